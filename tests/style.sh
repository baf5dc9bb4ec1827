#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make style: checkpatch (strict) over the kernel sources. Any error,
# warning or check fails.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need perl perl
cp=$("$P53G_TOP/tests/checkpatch.sh") || exit 1
cd "$P53G_TOP" || exit 1
files=$(ls module/*.[ch] 2>/dev/null)
[ -n "$files" ] || die "no kernel sources under module/"
out=$(perl "$cp" --no-tree --strict --terse --show-types -f $files 2>&1)
rc=$?
if [ $rc -ne 0 ] || echo "$out" | grep -q -E ': (ERROR|WARNING|CHECK):'; then
	echo "$out"
	echo "checkpatch: not clean" >&2
	exit 1
fi
echo "checkpatch: $(echo $files | wc -w) files clean"
