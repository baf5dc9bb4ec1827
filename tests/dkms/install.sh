#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make install` and `make uninstall` honour DESTDIR and PREFIX: install
# into a scratch DESTDIR, with a PREFIX that is not the default and the
# unpacked headers of Debian's 6.1 kernel (KDIR, KVER), and compare the exact
# file list; uninstall must leave no file behind. Runs on a copy of the tree,
# so the work tree gets no build output. Touches nothing outside its
# scratch directory: no depmod on the host, nothing under /lib/modules.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$("$P53G_TOP/tests/vm/stock-kernel.sh" 6.1) || die "Debian 6.1 headers unavailable"
read -r abi _ hdr <<<"$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/p53g-install.XXXXXX")
on_exit rm -rf "$tmp"
stage_tree "$tmp/src"
dest=$tmp/dest
prefix=/opt/p53g
vars=(KDIR="$hdr" KVER="$abi" DESTDIR="$dest" PREFIX="$prefix")
host_before=$(ls -d "/lib/modules/$abi/updates" "$prefix" /usr/local/sbin/port53guard 2>/dev/null)

check "make install KDIR=(6.1 headers) KVER=$abi DESTDIR=(scratch) PREFIX=$prefix" make -C "$tmp/src" install "${vars[@]}"
want="lib/modules/$abi/updates/dkms/module/port53guard.ko
${prefix#/}/sbin/port53guard
${prefix#/}/share/bash-completion/completions/port53guard
${prefix#/}/share/man/man8/port53guard.8"
got=$(cd "$dest" && find . -type f -o -type l | sed 's|^\./||' | sort)
if [ "$got" = "$(sort <<<"$want")" ]; then
	pass "make install put exactly these files in DESTDIR: ${want//$'\n'/ }"
else
	fail "make install file list (got: ${got//$'\n'/ }; want: ${want//$'\n'/ })"
fi
ko=$dest/lib/modules/$abi/updates/dkms/module/port53guard.ko
if [ -f "$ko" ]; then
	same "the installed module was built for KVER" "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" "$abi"
	same "the installed module's version" "$(modinfo -F version "$ko")" "$P53G_VER"
fi
check "the installed tool is executable and runs" "$dest$prefix/sbin/port53guard" --version
same "the installed tool's mode" "$(stat -c %a "$dest$prefix/sbin/port53guard" 2>/dev/null)" 755
same "the man page's mode" "$(stat -c %a "$dest$prefix/share/man/man8/port53guard.8" 2>/dev/null)" 644
check "no depmod output in DESTDIR (depmod is the packager's job there)" \
	test -z "$(find "$dest" -name 'modules.dep*')"

check "make uninstall with the same KDIR, KVER, DESTDIR and PREFIX" make -C "$tmp/src" uninstall "${vars[@]}"
left=$(cd "$dest" && find . \( -type f -o -type l \) | sed 's|^\./||')
if [ -z "$left" ]; then
	pass "make uninstall left no file in DESTDIR"
else
	fail "make uninstall left files in DESTDIR: ${left//$'\n'/ }"
fi
check "nothing was installed outside DESTDIR" \
	test "$(ls -d "/lib/modules/$abi/updates" "$prefix" /usr/local/sbin/port53guard 2>/dev/null)" = "$host_before"

run_undo
finish
