#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module/pset.c as kernel code: built alone (with module/entry.h) as a
# throwaway module with W=1 against every
# kernel header tree given (default: Debian's 6.1 and 6.12), then
# checkpatch --strict over pset.[ch].  Any compiler warning fails; the
# throwaway's modpost complaints (no MODULE_LICENSE) are ignored.
#   tests/pset/kcheck.sh [KDIR...]
set -uo pipefail
rc=0
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${P53G_CACHE:-/var/cache/port53guard}
if [ $# -eq 0 ]; then
	# installed headers, else the copies tests/stock-kernel.sh extracts
	for abi in 6.1.0-56-amd64 6.12.117+deb12-amd64; do
		for d in /usr/src/linux-headers-$abi "$cache/stock-$abi/root/usr/src/linux-headers-$abi"; do
			[ -f "$d/Makefile" ] && { set -- "$@" "$d"; continue 2; }
		done
		echo "FAIL: pset: no headers for $abi (tests/stock-kernel.sh fetches them)"
		rc=1
	done
fi
for kdir in "$@"; do
	tmp=$(mktemp -d)
	cp "$top/module/pset.c" "$top/module/pset.h" "$top/module/entry.h" "$tmp/"
	echo 'obj-m += pset.o' >"$tmp/Kbuild"
	make -C "$kdir" M="$tmp" W=1 modules >"$tmp/log" 2>&1
	if [ -f "$tmp/pset.o" ] && ! grep -E 'warning:|error:' "$tmp/log" | grep -v -E 'modpost|MODULE_LICENSE|MODULE_DESCRIPTION'; then
		echo "PASS: pset: kernel build, W=1, no warnings ($kdir)"
	else
		cat "$tmp/log"
		echo "FAIL: pset: kernel build, W=1, no warnings ($kdir)"
		rc=1
	fi
	rm -rf "$tmp"
done
cp=$(ls -d "$cache"/checkpatch-*/scripts/checkpatch.pl 2>/dev/null | tail -n1)
if [ -z "$cp" ]; then
	echo "FAIL: pset: checkpatch (none under $cache; run tests/checkpatch.sh)"
	rc=1
elif out=$(cd "$top" && perl "$cp" --no-tree --strict --terse --show-types -f module/pset.c module/pset.h 2>&1) && [ -z "$out" ]; then
	echo "PASS: pset: checkpatch --strict is clean on module/pset.[ch]"
else
	echo "$out"
	echo "FAIL: pset: checkpatch --strict is clean on module/pset.[ch]"
	rc=1
fi
exit $rc
