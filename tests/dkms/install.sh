#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make install` and `make uninstall` honour DESTDIR and PREFIX: install
# into a scratch DESTDIR, with a PREFIX that is not the default and the
# unpacked headers of Debian's 6.1 kernel (KDIR, KVER), and compare the exact
# file list, with what loads the guard at boot (BOOT=systemd, then
# modules-load); uninstall must leave no file behind. Runs on a copy of the tree,
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

check "make install KDIR=(6.1 headers) KVER=$abi DESTDIR=(scratch) PREFIX=$prefix BOOT=systemd" \
	make -C "$tmp/src" install "${vars[@]}" BOOT=systemd
want="lib/modules/$abi/updates/dkms/module/port53guard.ko
${prefix#/}/sbin/port53guard
${prefix#/}/share/bash-completion/completions/port53guard
${prefix#/}/share/man/man8/port53guard.8
lib/systemd/system/port53guard.service
etc/port53guard/port53guard.conf"
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
unit=$dest/lib/systemd/system/port53guard.service
check "BOOT=systemd: the unit runs the tool under PREFIX, and only there" \
	bash -c "grep -qx 'ExecStart=$prefix/sbin/port53guard restore --boot -w 30 /etc/port53guard/port53guard.conf' '$unit' &&
		! grep -q '/usr/sbin/port53guard' '$unit'"
check "BOOT=systemd: the conffile is the package's protective default" \
	cmp -s "$P53G_TOP/debian/port53guard.conf" "$dest/etc/port53guard/port53guard.conf"
echo "set rate 5" >>"$dest/etc/port53guard/port53guard.conf"
make -s -C "$tmp/src" install-tool "${vars[@]}" BOOT=systemd >/dev/null 2>&1
check "a second install keeps a conffile the operator changed" \
	grep -qx 'set rate 5' "$dest/etc/port53guard/port53guard.conf"
sed -i '$d' "$dest/etc/port53guard/port53guard.conf"
check "make install-tool BOOT=modules-load: an /etc/modules-load.d entry" \
	make -s -C "$tmp/src" install-tool "${vars[@]}" BOOT=modules-load
same "which names the module" "$(cat "$dest/etc/modules-load.d/port53guard.conf" 2>/dev/null)" port53guard
check "BOOT=bogus is refused" bash -c '! make -s -C "$1" install-tool KDIR="$2" DESTDIR="$3" BOOT=bogus 2>/dev/null' _ "$tmp/src" "$hdr" "$dest"

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
