#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages: build them from debian/ with `dpkg-buildpackage -us
# -uc -b` on a copy of the tree (the work tree stays clean), run lintian on
# the source and the binaries, read their contents, install both with apt,
# check that DKMS built and installed the module for every kernel whose
# headers are in /lib/modules/*/build, purge them and check that nothing is
# left. Nothing is loaded.
#
# Debian's 6.1 headers are installed with apt (tests/deps.sh); the 6.12
# headers package would pull in its kernel image, so the 6.12 headers that
# tests/vm/stock-kernel.sh unpacked get a temporary /lib/modules/ABI/build
# link, removed at the end.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

need dpkg-buildpackage dpkg-dev
need dh debhelper
need dh_dkms dh-dkms
need lintian lintian
need dkms dkms
need systemd-analyze systemd
host_lock
host_is_clean
stock_kernels
arch=$(uname -m)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/p53g-debs.XXXXXX")
on_exit rm -rf "$tmp"
keep_dkms_mok

# --- build ------------------------------------------------------------------
tree_before=$(git -C "$P53G_TOP" status --porcelain --ignored -- debian)
stage_tree "$tmp/port53guard"
check "dpkg-source -b builds the source package" \
	bash -c "cd '$tmp' && dpkg-source -b port53guard"
check "dpkg-buildpackage -us -uc -b builds the binary packages" \
	bash -c "cd '$tmp/port53guard' && dpkg-buildpackage -us -uc -b"
check "the work tree's debian/ is as it was (no build output)" \
	test "$(git -C "$P53G_TOP" status --porcelain --ignored -- debian)" = "$tree_before"

ver=$P53G_VER
dkmsdeb=$tmp/port53guard-dkms_${ver}_all.deb
tooldeb=$tmp/port53guard_${ver}_$(dpkg --print-architecture).deb
check "built ${dkmsdeb##*/}" test -f "$dkmsdeb"
check "built ${tooldeb##*/}" test -f "$tooldeb"
if [ ! -f "$dkmsdeb" ] || [ ! -f "$tooldeb" ]; then finish; exit 1; fi
# The image test (tests/image/run.sh) installs these very packages.
rm -rf "$P53G_OUT/debs"
mkdir -p "$P53G_OUT/debs"
cp "$dkmsdeb" "$tooldeb" "$P53G_OUT/debs/"

# --- lintian: every tag, info, pedantic and experimental ones too ---------
lint() {
	local out
	out=$(cd "$tmp" && lintian --info --pedantic --display-experimental --show-overrides "$@" 2>&1)
	indent <<<"$out"
	! grep -E '^[EWIPXO]: ' <<<"$out"
}
check "lintian on the source package reports no tag (errors to pedantic and experimental)" lint "port53guard_${ver}.dsc"
check "lintian on the binary packages reports no tag (errors to pedantic and experimental)" \
	lint "port53guard_${ver}_$(dpkg --print-architecture).changes"

# --- contents -----------------------------------------------------------
files() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./|/|'; }
dfiles=$(files "$dkmsdeb")
tfiles=$(files "$tooldeb")
for f in dkms.conf Kbuild module/Kbuild module/main.c module/compat.h; do
	check "port53guard-dkms ships $P53G_SRC/$f" grep -qxF "$P53G_SRC/$f" <<<"$dfiles"
done
check "port53guard-dkms ships no build output" eval '! grep -E "\.(o|ko|mod|cmd)$" <<<"$dfiles"'
dpkg-deb --fsys-tarfile "$dkmsdeb" | tar -xO "./usr/src/$P53G_NAME-$ver/dkms.conf" >"$tmp/dkms.conf"
check "its dkms.conf is the tree's" cmp "$tmp/dkms.conf" "$P53G_TOP/dkms.conf"
for f in /usr/sbin/port53guard /usr/share/man/man8/port53guard.8.gz \
	/usr/share/bash-completion/completions/port53guard /etc/modprobe.d/port53guard.conf \
	/etc/port53guard/port53guard.conf /lib/systemd/system/port53guard.service \
	/lib/systemd/system/port53guard-metrics.service /lib/systemd/system/port53guard-metrics.timer; do
	check "port53guard ships $f" grep -qxF "$f" <<<"$tfiles"
done
for f in /etc/modprobe.d/port53guard.conf /etc/port53guard/port53guard.conf; do
	check "$f is a conffile" bash -c "dpkg-deb -I '$tooldeb' conffiles | grep -qxF $f"
done
dpkg-deb --fsys-tarfile "$tooldeb" | tar -xO ./etc/port53guard/port53guard.conf >"$tmp/p53g.conf"
check "the shipped port53guard.conf is the protective default: restore --check takes it" \
	"$P53G_TOP/tools/port53guard" restore --check "$tmp/p53g.conf"
same "and it holds no exemption" "$(grep -c '^exempt add' "$tmp/p53g.conf")" 0
dpkg-deb --fsys-tarfile "$tooldeb" | tar -xO ./lib/systemd/system/port53guard.service >"$tmp/unit"
check "port53guard.service loads the module, then restores the saved file" \
	bash -c "grep -qx 'ExecStart=/sbin/modprobe port53guard' '$tmp/unit' &&
		grep -qx 'ExecStart=/usr/sbin/port53guard restore --boot -w 30 /etc/port53guard/port53guard.conf' '$tmp/unit'"
check "port53guard.service applies the nftables fallback after a failure, reloads the conffile" \
	bash -c "grep -qx 'ExecStopPost=/usr/sbin/port53guard fallback --unit /etc/port53guard/port53guard.conf' '$tmp/unit' &&
		grep -qx 'ExecReload=/usr/sbin/port53guard restore -w 30 /etc/port53guard/port53guard.conf' '$tmp/unit' &&
		grep -qx 'RuntimeDirectory=port53guard' '$tmp/unit' && grep -qx 'RuntimeDirectoryPreserve=yes' '$tmp/unit'"
check "port53guard.service is not ordered after auditd.service (a cycle when auditd logs remotely)" \
	bash -c "! grep -E '^(After|Requires|Wants)=.*auditd' '$tmp/unit'"
check "port53guard depends on nftables (the fallback)" \
	bash -c "dpkg-deb -f '$tooldeb' Depends | grep -q nftables"
check "port53guard.service runs before network-pre.target and DNS daemons" \
	bash -c "grep -q '^Before=network-pre.target' '$tmp/unit' && grep -q '^Before=.*dnsmasq.service' '$tmp/unit'"
# The units are hardened as far as modprobe, sysfs and the textfile
# directory allow: systemd's own exposure score, offline, at most 3.0 for
# the guard (it must load a module and write /sys) and 1.5 for the metrics.
dpkg-deb --fsys-tarfile "$tooldeb" | tar -xO ./lib/systemd/system/port53guard-metrics.service >"$tmp/metrics.service"
cp "$tmp/unit" "$tmp/port53guard.service"
exposure() {
	systemd-analyze security --offline=true "$1" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
for u in port53guard.service:3.0 metrics.service:1.5; do
	e=$(exposure "$tmp/${u%%:*}")
	check "${u%%:*}: systemd-analyze security exposure ${e:-?} is at most ${u##*:}" \
		awk -v e="${e:-99}" -v m="${u##*:}" 'BEGIN { exit !(e + 0 <= m + 0) }'
done
dpkg-deb --fsys-tarfile "$tooldeb" | tar -xO ./etc/modprobe.d/port53guard.conf >"$tmp/modprobe.conf"
check "the example modprobe.d file changes nothing: every line is a comment" \
	test -z "$(grep -v -E '^[[:space:]]*(#|$)' "$tmp/modprobe.conf")"
check "and it shows commented-out 'options port53guard' lines" grep -q '^#options port53guard ' "$tmp/modprobe.conf"

# --- install ------------------------------------------------------------
# Every kernel with headers gets the module: the 6.1 one (apt-installed
# headers, or the unpacked ones if they are not), the 6.12 one (unpacked),
# and whatever else this machine has.
for s in 6.1 6.12; do kernel_dir "${K_ABI[$s]}" "${K_HDR[$s]}"; done
kernels=()
for d in /lib/modules/*; do
	[ -e "$d/build/include" ] && kernels+=("${d##*/}")
done
echo "kernels with headers: ${kernels[*]}" >&2

on_exit "! dpkg-query -W -f='\${Status}\n' port53guard port53guard-dkms 2>/dev/null | grep -q ' installed\$' ||
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q port53guard port53guard-dkms"
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"$dkmsdeb" "$tooldeb" >"$tmp/install.log" 2>&1; then
	pass "apt-get install ./${dkmsdeb##*/} ./${tooldeb##*/}"
else
	fail "apt-get install ./${dkmsdeb##*/} ./${tooldeb##*/} (exit $?)"
fi
if [ -d /run/systemd/system ]; then
	check "install with systemd running: port53guard.service is active, or dpkg said why not" \
		bash -c "systemctl is-active -q port53guard.service || grep -q 'port53guard.service is not running' '$tmp/install.log'"
else
	check "install without a running systemd says the guard starts at the next boot" \
		grep -q "port53guard.service starts at the next boot" "$tmp/install.log"
fi
indent <"$tmp/install.log"

# The package's postinst builds for every kernel in /lib/modules when the
# running kernel has none there (a container, a VM with its own kernel, as
# here); otherwise for the running and the newest kernel only, and the
# others get the module when their headers are installed, from the hook
# /etc/kernel/header_postinst.d/dkms (AUTOINSTALL), run here for them.
if [ -d "/lib/modules/$(uname -r)" ]; then
	for k in "${kernels[@]}"; do
		[ "$k" = "$(uname -r)" ] || [ -n "$(dkms status "$P53G_NAME/$ver" -k "$k")" ] && continue
		echo "running the header hook for $k" >&2
		check "[$k] the kernel's header hook builds it (AUTOINSTALL)" /etc/kernel/header_postinst.d/dkms "$k"
	done
fi
status=$(dkms status "$P53G_NAME/$ver")
indent <<<"$status"
for k in "${kernels[@]}"; do
	check "[$k] dkms status: $P53G_NAME/$ver, $k, $arch: installed" \
		grep -qxF "$P53G_NAME/$ver, $k, $arch: installed" <<<"$status"
	ko=$(find "/lib/modules/$k/updates/dkms" -name "$P53G_NAME.ko*" 2>/dev/null | head -n1)
	if [ -n "$ko" ]; then
		same "[$k] the installed module's version" "$(modinfo -F version "$ko")" "$ver"
		same "[$k] its depends" "$(module_depends "$ko")" "nf_reject_ipv4,nf_reject_ipv6"
	else
		fail "[$k] port53guard.ko under /lib/modules/$k/updates/dkms"
	fi
done
for s in 6.1 6.12; do
	check "[$s] Debian's $s kernel is one of them" grep -qxF "${K_ABI[$s]}" <(printf '%s\n' "${kernels[@]}")
done
same "the installed tool's --version" "$(/usr/sbin/port53guard --version 2>&1)" "port53guard $ver"
check "man finds port53guard(8)" bash -c "man -w 8 port53guard | grep -qxF /usr/share/man/man8/port53guard.8.gz"
check "the bash completion defines a completion for port53guard" \
	bash -c '. /usr/share/bash-completion/completions/port53guard && complete -p port53guard'
check "/etc/modprobe.d/port53guard.conf is installed" test -f /etc/modprobe.d/port53guard.conf
check "port53guard.service is enabled on install" \
	test -L /etc/systemd/system/sysinit.target.wants/port53guard.service
check "port53guard-metrics.timer is shipped, not enabled" \
	bash -c 'test -f /lib/systemd/system/port53guard-metrics.timer && ! test -e /etc/systemd/system/timers.target.wants/port53guard-metrics.timer'

# --- purge --------------------------------------------------------------
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -q port53guard port53guard-dkms \
	>"$tmp/purge.log" 2>&1; then
	pass "apt-get purge port53guard port53guard-dkms"
else
	fail "apt-get purge port53guard port53guard-dkms (exit $?)"
fi
indent <"$tmp/purge.log"
for p in port53guard port53guard-dkms; do
	check "$p is not installed" \
		eval "! dpkg-query -W -f='\${Status}' $p 2>/dev/null | grep -q installed"
done
check "DKMS no longer knows port53guard" test -z "$(dkms status "$P53G_NAME" 2>/dev/null)"
for f in "/var/lib/dkms/$P53G_NAME" "$P53G_SRC" /usr/sbin/port53guard /etc/modprobe.d/port53guard.conf \
	/etc/port53guard /etc/systemd/system/sysinit.target.wants/port53guard.service \
	/usr/share/bash-completion/completions/port53guard /usr/share/man/man8/port53guard.8.gz; do
	check "$f is gone" test ! -e "$f"
done
for k in "${kernels[@]}"; do
	check "[$k] no port53guard.ko left under /lib/modules/$k" \
		test -z "$(find "/lib/modules/$k" -name "$P53G_NAME.ko*" 2>/dev/null)"
done
for s in 6.1 6.12; do
	restore_kernel_dir "${K_ABI[$s]}"
	check "[$s] /lib/modules/${K_ABI[$s]} is as before (no build link or depmod files left)" \
		kernel_dir_restored "${K_ABI[$s]}"
done

run_undo
finish
