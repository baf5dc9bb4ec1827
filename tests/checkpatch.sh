#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the path of checkpatch.pl from Debian's linux-source-6.1, unpacking
# just the files it needs into the cache the first time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || die "missing $tarball: run 'apt-get install linux-source-6.1'"
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
dir=$P53G_CACHE/checkpatch-$ver
if [ ! -f "$dir/.done" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -xJf "$tarball" -C "$dir" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	touch "$dir/.done"
fi
echo "$dir/scripts/checkpatch.pl"
