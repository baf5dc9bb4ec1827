#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.conf under the host's real dkms: add the source tree, build and
# install the module for Debian's 6.1 and 6.12 kernels (their headers as
# tests/vm/stock-kernel.sh unpacked them, given with --kernelsourcedir), read the
# installed modules, remove everything, and check that nothing is left:
# not in /var/lib/dkms, /usr/src or /lib/modules. Nothing is loaded.
#
# Also: the module DKMS built says dkms.conf's version (tests/version.sh
# checks that module/version.h, dkms.conf and debian/changelog agree), and
# BUILD_EXCLUSIVE_CONFIG skips (exit 77) the kernels the module cannot be
# built for.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

need dkms dkms
host_lock
host_is_clean
stock_kernels
arch=$(uname -m)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/p53g-dkms.XXXXXX")
on_exit rm -rf "$tmp"
keep_dkms_mok

# The last safety net: whatever happened, take port53guard out of DKMS.
on_exit "rm -rf '$P53G_SRC'"
on_exit "[ ! -e /var/lib/dkms/$P53G_NAME ] || dkms remove $P53G_NAME/$P53G_VER --all"

# --- add: `dkms add DIR` copies the tree to /usr/src/NAME-VERSION ---------
stage_tree "$tmp/src"
check "dkms add registers the source tree" dkms add "$tmp/src"
check "dkms add copied the source to $P53G_SRC" test -f "$P53G_SRC/dkms.conf" -a -f "$P53G_SRC/module/main.c"

# --- BUILD_EXCLUSIVE_CONFIG, against fake kernel configs ------------------
# dkms decides before it builds anything, so an empty include/ will do.
fake=$tmp/fake-kernel
mkdir -p "$fake/include"
exclusive() { # CONFIG-LINES...: dkms build's exit status for such a kernel
	printf '%s\n' "$@" >"$fake/.config"
	dkms build "$P53G_NAME/$P53G_VER" -k 0.0.0-p53g-fake --kernelsourcedir "$fake" >"$tmp/excl.log" 2>&1
	echo $?
}
same "a kernel without CONFIG_NF_REJECT_IPV4 is skipped, dkms exit" \
	"$(exclusive CONFIG_NETFILTER=y CONFIG_IPV6=y CONFIG_NF_REJECT_IPV6=m)" 77
same "a kernel without CONFIG_NETFILTER is skipped, dkms exit" \
	"$(exclusive CONFIG_NF_REJECT_IPV4=m)" 77
same "a kernel with IPv6 but without CONFIG_NF_REJECT_IPV6 is skipped, dkms exit" \
	"$(exclusive CONFIG_NETFILTER=y CONFIG_IPV6=m CONFIG_NF_REJECT_IPV4=y)" 77
# Without IPv6 the IPv6 helpers are not needed: dkms goes on to build (and
# fails on the fake tree, with its build-failure status, not 77).
rc=$(exclusive CONFIG_NETFILTER=y CONFIG_NF_REJECT_IPV4=y)
if [ "$rc" != 77 ] && grep -q "Bad return status for module build" "$tmp/excl.log"; then
	pass "a kernel without IPv6 is not skipped for lack of CONFIG_NF_REJECT_IPV6"
else
	fail "a kernel without IPv6 is not skipped for lack of CONFIG_NF_REJECT_IPV6 (dkms exit $rc)"
fi

# --- build and install for each stock kernel ----------------------------
for s in 6.1 6.12; do
	abi=${K_ABI[$s]} hdr=${K_HDR[$s]}
	kernel_dir "$abi" "$hdr"
	mod=(-k "$abi" --kernelsourcedir "$hdr")
	check "[$s] dkms build $P53G_NAME/$P53G_VER -k $abi" dkms build "$P53G_NAME/$P53G_VER" "${mod[@]}"
	check "[$s] dkms install $P53G_NAME/$P53G_VER -k $abi" dkms install "$P53G_NAME/$P53G_VER" "${mod[@]}"
done

status=$(dkms status "$P53G_NAME/$P53G_VER")
indent <<<"$status"
for s in 6.1 6.12; do
	abi=${K_ABI[$s]}
	if grep -qxF "$P53G_NAME/$P53G_VER, $abi, $arch: installed" <<<"$status"; then
		pass "[$s] dkms status: $P53G_NAME/$P53G_VER, $abi, $arch: installed"
	else
		fail "[$s] dkms status shows $P53G_NAME/$P53G_VER installed for $abi"
	fi
	ko=$(find "/lib/modules/$abi/updates/dkms" -name "$P53G_NAME.ko*" 2>/dev/null | head -n1)
	if [ -z "$ko" ]; then
		fail "[$s] port53guard.ko installed under /lib/modules/$abi/updates/dkms"
		continue
	fi
	pass "[$s] installed as ${ko#/lib/modules/}"
	# Kept for the guest test that modprobes the DKMS-installed module.
	mkdir -p "$P53G_OUT/dkms-$abi"
	cp "$ko" "$P53G_OUT/dkms-$abi/"
	same "[$s] modinfo -F version of the installed module" "$(modinfo -F version "$ko")" "$P53G_VER"
	same "[$s] its vermagic names the kernel" "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" "$abi"
	same "[$s] modinfo -F depends (the reject helpers)" "$(module_depends "$ko")" "nf_reject_ipv4,nf_reject_ipv6"
done

# --- remove: nothing left behind ----------------------------------------
check "dkms remove $P53G_NAME/$P53G_VER --all" dkms remove "$P53G_NAME/$P53G_VER" --all
check "dkms status no longer lists port53guard" test -z "$(dkms status "$P53G_NAME" 2>/dev/null)"
check "/var/lib/dkms/$P53G_NAME is gone" test ! -e "/var/lib/dkms/$P53G_NAME"
# dkms remove leaves the copied source in /usr/src; README's uninstall
# removes it, as here.
rm -rf "$P53G_SRC"
check "$P53G_SRC is gone" test ! -e "$P53G_SRC"
for s in 6.1 6.12; do
	abi=${K_ABI[$s]}
	check "[$s] no port53guard.ko left in /lib/modules/$abi" \
		test -z "$(find "/lib/modules/$abi" -name "$P53G_NAME.ko*" 2>/dev/null)"
	restore_kernel_dir "$abi"
	check "[$s] /lib/modules/$abi is as before (no build link or depmod files left)" kernel_dir_restored "$abi"
done

run_undo
finish
