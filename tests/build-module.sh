#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the module out of tree against KDIR with W=1, in a copy of the
# sources under tests/out/build-LABEL (so several kernels never share
# objects). Fails on any compiler or modpost warning. Prints the .ko paths.
#   build-module.sh LABEL KDIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
label=${1:?} kdir=${2:?}
[ -f "$kdir/Makefile" ] || die "no kernel build tree at $kdir"
b=$P53G_OUT/build-$label
rm -rf "$b"
mkdir -p "$b"
cp -r "$P53G_TOP/Kbuild" "$P53G_TOP/module" "$b/"
rm -f "$b"/module/*.o "$b"/module/*.ko
if ! make -C "$kdir" M="$b" W=1 modules >"$b/build.log" 2>&1; then
	tail -n 30 "$b/build.log" >&2
	die "module build against $kdir failed (log: $b/build.log)"
fi
if grep -E -i 'warning:|error:' "$b/build.log" >&2; then
	die "module build against $kdir has warnings (log: $b/build.log)"
fi
ls "$b"/module/*.ko
