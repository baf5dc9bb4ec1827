#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guard on a real host: a Debian image with systemd, Debian's kernels
# and their headers, DKMS, dnsmasq, auditd and prometheus-node-exporter,
# and the project's two .debs, built as an image builder would (mmdebstrap,
# then the packages installed into it: DKMS builds the module there),
# booted under QEMU with systemd as PID 1:
#   run.sh [12]   Debian 12 with 6.1 and 6.12:
#     1. on 6.1: guarded before dnsmasq starts, the saved configuration
#        restored, a peer refused, an exempt source answered, verify
#        --probe passes, the metrics reach node_exporter, every change
#        leaves its audit record (tests/image/guest.sh, audit.sh); then
#        the package upgraded, removed, purged and installed again on
#        the running system; guarded on 6.12 in make stress
#        (P53G_IMAGE_ALL=1);
#     2. the module removed for 6.12, booted again: the unit fails visibly.
#   run.sh 13     Debian 13, cloud flavour, as a cloud image runs it:
#     1. on trixie's 6.12 cloud kernel: guarded as above; then, in the
#        booted system and without network, the newest trixie-backports
#        cloud kernel and its headers are installed from .debs placed in
#        the image (apt, from local files): the kernel's own postinst hooks make DKMS
#        build the module, and initramfs-tools the initrd;
#     2. rebooted into that kernel (its image and initrd taken from the
#        disk): guarded before dnsmasq's first query, as above.
# Prints PASS:/FAIL: lines labelled [image-...] ([image13-...]).
#
# The base image (everything but the project's packages) is cached by the
# hash of its recipe: package list, apt sources, this script's version.
# Each run copies it, installs the .debs ($P53G_OUT/debs/, which
# tests/dkms/debs.sh leaves there; built here if missing), and writes an
# ext4 file system from the directory (mke2fs -d: no loop mount).
set -uo pipefail
. "$(dirname "$0")/../vm/lib.sh"
need mmdebstrap mmdebstrap
need mke2fs e2fsprogs
need debugfs e2fsprogs
need qemu-system-x86_64 qemu-system-x86
[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap and chroot build the image)"

debian=${1:-12}
here=$P53G_TOP/tests/image
pkgs="systemd-sysv udev dbus kmod iproute2 nftables dnsmasq bind9-dnsutils initramfs-tools
	auditd prometheus-node-exporter curl dkms make gcc procps"
case $debian in
12)
	tag=image work=$P53G_OUT/image
	k61=$(resolve_stock 6.1) k612=$(resolve_stock 6.12)
	[ -n "$k61" ] && [ -n "$k612" ] || die "cannot resolve Debian's 6.1 and 6.12 kernels (apt-get update)"
	kernels="$k61 $k612" suite=bookworm
	sources=/etc/apt/sources.list.d/debian.sources
	[ -f "$sources" ] || sources=/etc/apt/sources.list
	pkgs+=" linux-image-$k61 linux-headers-$k61 linux-image-$k612 linux-headers-$k612" ;;
13)
	tag=image13 work=$P53G_OUT/image13 suite=trixie
	# the kernels: trixie's cloud flavour, booted first, and the newest
	# backports cloud kernel, the upgrade (tests/vm/deb13.sh resolves both)
	read -r k13 _ _ _ < <("$VM_DIR/deb13.sh" kernel 13-cloud) || true
	bpo=$("$VM_DIR/deb13.sh" abi trixie-backports linux-image-cloud-amd64) || true
	[ -n "${k13:-}" ] && [ -n "$bpo" ] || die "cannot resolve Debian 13's cloud kernels (tests/vm/deb13.sh)"
	kernels=$k13
	sources=$P53G_OUT/image13-sources.list
	echo "deb $("$VM_DIR/deb13.sh" mirror) trixie main" >"$sources"
	pkgs+=" gcc-14-for-host linux-base linux-image-$k13 linux-headers-$k13" ;;
*)	die "usage: run.sh [12|13]" ;;
esac
recipe=1	# bump when the base image's recipe below changes what it makes
key=$( { echo $pkgs $recipe; cat "$sources"; } | sha256sum | cut -c1-16)
base=$P53G_CACHE/image-base-$key
t0=$(date +%s)

say() { echo "$*"; }
ok() { local d=$1; shift; if "$@" >>"$work/build.log" 2>&1; then say "PASS: [$tag] $d"; else say "FAIL: [$tag] $d (log: $work/build.log)"; return 1; fi; }

rm -rf "$work"
mkdir -p "$work"

# --- the base image, cached ------------------------------------------------
if [ ! -f "$base/.done" ]; then
	exec 9>"$P53G_CACHE/.image-base.lock"
	flock 9
	if [ ! -f "$base/.done" ]; then
		log "building the Debian $debian base image (mmdebstrap, about ten minutes; cached afterwards)"
		rm -rf "$base" "$base.tmp"
		mkdir -p "$base.tmp"
		# shellcheck disable=SC2016,SC2086
		if ! mmdebstrap --mode=root --variant=minbase --format=directory \
			--include="$(echo $pkgs | tr ' ' ,)" \
			--customize-hook='echo p53g-image >"$1/etc/hostname"' \
			--customize-hook='echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$1/etc/fstab"' \
			--customize-hook='printf "no-resolv\naddress=/image.example.test/192.0.2.53\n" >"$1/etc/dnsmasq.d/p53g.conf"' \
			--customize-hook='for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer dpkg-db-backup.timer getty@tty1.service; do ln -sf /dev/null "$1/etc/systemd/system/$u"; done' \
			--customize-hook=': >"$1/etc/machine-id"' \
			"$suite" "$base.tmp/root" - <"$sources" >"$base.tmp/mmdebstrap.log" 2>&1; then
			tail -n 20 "$base.tmp/mmdebstrap.log" >&2
			say "FAIL: [$tag] base image built with mmdebstrap (log: $base.tmp/mmdebstrap.log)"
			exit 1
		fi
		touch "$base.tmp/.done"
		mv "$base.tmp" "$base"
	fi
	exec 9>&-
fi
say "PASS: [$tag] base image: Debian $debian, systemd, $kernels with headers, DKMS, dnsmasq, auditd"

# --- the project's packages -----------------------------------------------
debs=$P53G_OUT/debs
if ! ls "$debs"/port53guard-dkms_*_all.deb "$debs"/port53guard_*.deb >/dev/null 2>&1; then
	log "building the .debs"
	mkdir -p "$debs" "$work/src"
	(cd "$P53G_TOP" && git ls-files -z | cpio -0 -pdm --quiet "$work/src") &&
		(cd "$work/src" && dpkg-buildpackage -us -uc -b >"$work/debs.log" 2>&1) &&
		cp "$work"/port53guard*.deb "$debs/" ||
		{ say "FAIL: [$tag] the .debs built (log: $work/debs.log)"; exit 1; }
fi

# --- this run's image -----------------------------------------------------
root=$work/root
log "installing the .debs into a copy of the base image"
cp -a "$base/root" "$root"
cp "$debs"/port53guard-dkms_*_all.deb "$debs"/port53guard_*.deb "$root/tmp/"
mounts=()
cleanup() {
	local m
	for ((m = ${#mounts[@]} - 1; m >= 0; m--)); do umount -l "${mounts[$m]}" 2>/dev/null; done
}
trap cleanup EXIT
for m in proc sys dev; do
	if [ $m = dev ]; then mount --bind /dev "$root/dev"; else mount -t $m $m "$root/$m"; fi &&
		mounts+=("$root/$m")
done
ok "apt installs port53guard-dkms and port53guard into the image (DKMS builds the module)" \
	chroot "$root" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/port53guard*.deb'
status=$(chroot "$root" dkms status port53guard 2>&1)
echo "$status" >>"$work/build.log"
for k in $kernels; do
	ok "[$k] DKMS built and installed the module for it in the image" \
		grep -q "$k, x86_64: installed" <<<"$status"
done
ok "port53guard.service is enabled by the package" \
	test -L "$root/etc/systemd/system/sysinit.target.wants/port53guard.service"
ok "the package ships /etc/port53guard/port53guard.conf" test -f "$root/etc/port53guard/port53guard.conf"
[ "$debian" = 12 ] && ko612=$(cd "$root" && find "lib/modules/$k612/updates/dkms" -name 'port53guard.ko*' | head -n1)
# a copy of it in the image: the absent step puts the build back, to see
# a restart load the module and remove the nftables fallback
if [ -n "${ko612:-}" ]; then
	mkdir -p "$root/var/cache/p53g-ko"
	cp "$root/$ko612" "$root/var/cache/p53g-ko/"
fi
cleanup
mounts=()
rm -f "$root"/tmp/port53guard*.deb
# the package again, for the lifecycle steps inside the guest
mkdir -p "$root/var/cache/p53g-debs"
cp "$debs"/port53guard_*.deb "$root/var/cache/p53g-debs/"

# The saved configuration (the format of port53guard save), the test.
cat >"$root/etc/port53guard/port53guard.conf" <<-'EOF'
	set enabled 1
	set action reject
	set tcp 0
	set loopback 1
	set log 0
	set rate 299
	set forward 1
	exempt flush
	exempt add 198.51.100.128/25
EOF
install -D -m 0755 "$here/guest.sh" "$root/usr/local/lib/p53g/guest.sh"
[ -f "$here/audit.sh" ] && install -m 0644 "$here/audit.sh" "$root/usr/local/lib/p53g/audit.sh"
cat >"$root/etc/systemd/system/p53g-image-test.service" <<-'EOF'
	[Unit]
	Description=port53guard image test
	After=multi-user.target
	[Service]
	# simple, not oneshot: the test waits for the boot to finish
	# (systemctl is-system-running --wait), which a oneshot would hold up
	Type=simple
	ExecStart=/usr/local/lib/p53g/guest.sh
	[Install]
	WantedBy=multi-user.target
EOF
# No login prompt on the console: agetty would hang up the test's output
# there (vhangup) as soon as it starts.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
# auditd set up for remote logging, as its unit's own comments say: after
# network-online.target, no longer before sysinit.target. The guard runs
# before the network: ordered after auditd it would make a cycle, which
# systemd would break by dropping a job (the boot test looks for one).
if [ "$debian" = 12 ]; then
	sed -e 's/^After=local-fs.target.*/#&/' \
		-e 's/^##After=\(network-online.target.*\)/After=\1\nWants=network-online.target/' \
		-e 's/^Before=sysinit.target shutdown.target/#&/' -e 's/^##Before=shutdown.target/Before=shutdown.target/' \
		"$root/lib/systemd/system/auditd.service" >"$root/etc/systemd/system/auditd.service"
	ok "auditd.service set up for remote logging (after network-online.target)" \
		grep -q '^After=network-online.target' "$root/etc/systemd/system/auditd.service"
fi
ln -sf /etc/systemd/system/p53g-image-test.service \
	"$root/etc/systemd/system/multi-user.target.wants/p53g-image-test.service"
for k in $kernels; do
	cp "$root/boot/vmlinuz-$k" "$root/boot/initrd.img-$k" "$work/"
done
# Debian 13: the upgrade, as .debs in the image (no network in the guest):
# the backports cloud kernel, its modules and headers, and what they need
# that the image does not have (backports' linux-base, which the kernel
# pre-depends on).
if [ "$debian" = 13 ]; then
	mkdir -p "$root/var/cache/p53g-upgrade"
	if "$VM_DIR/deb13.sh" download trixie-backports "$root/var/cache/p53g-upgrade" \
		"linux-image-$bpo" "linux-binary-$bpo" "linux-modules-$bpo" "linux-base-$bpo" \
		"linux-headers-$bpo" "linux-headers-${bpo%-cloud-amd64}-common" \
		"linux-kbuild-${bpo%-cloud-amd64}" linux-base >>"$work/build.log" 2>&1; then
		say "PASS: [$tag] the upgrade's .debs ($bpo) placed in the image"
	else
		say "FAIL: [$tag] the upgrade's .debs ($bpo) placed in the image (log: $work/build.log)"
	fi
	echo "$bpo" >"$root/var/cache/p53g-upgrade/ABI"
fi
size=$(( $(du -sm "$root" | cut -f1) + 1024 ))
ok "ext4 image written from the directory (mke2fs -d, ${size} MiB)" \
	mke2fs -q -t ext4 -L p53g -d "$root" "$work/image.img" "${size}M"
rm -rf "$root"
t1=$(date +%s)
echo "# [$tag] base image and packages: $((t1 - t0)) s"

# boot KERNEL EXPECT LABEL [TIMEOUT [CMDLINE]]: systemd from the image's disk, with
# its own kernel and initrd; the test unit powers the machine off. EXPECT
# may name several steps, comma-separated (guest.sh runs them in order).
boot() {
	local k=$1 expect=$2 label=$3 logf=$P53G_OUT/guest-$3.log qrc splat
	log "booting the image with $k, systemd as PID 1"
	timeout --kill-after=10 "${4:-1200}" qemu-system-x86_64 -machine pc -accel tcg -cpu max -smp 2 \
		-m 1536 -nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$work/vmlinuz-$k" -initrd "$work/initrd.img-$k" \
		-drive "file=$work/image.img,format=raw,if=virtio" \
		-append "root=/dev/vda rw console=ttyS0 audit=1 audit_backlog_limit=8192 panic=-1 softlockup_panic=1 hung_task_panic=1 net.ifnames=0 systemd.show_status=0 p53g.expect=$expect${5:+ $5}" \
		</dev/null >"$logf" 2>&1
	qrc=$?
	grep -a -E '^(PASS|FAIL): ' "$logf" | tr -d '\r' | sed "s/^\(PASS\|FAIL\): /\1: [$label] /"
	if grep -a -q "^P53G-END image-${expect##*,} " "$logf" && grep -a -q '^P53G-DONE' "$logf"; then
		say "PASS: [$label] booted with systemd, ran its test to the end (qemu exit $qrc)"
	else
		say "FAIL: [$label] booted with systemd and ran its test to the end (qemu exit $qrc, 124 = timeout; log $logf)"
	fi
	splat=$("$VM_DIR/splat.sh" "$logf")
	if [ -z "$splat" ]; then
		say "PASS: [$label] kernel log has no BUG/WARNING/Oops report"
	else
		say "FAIL: [$label] kernel log is clean; first report: $(echo "$splat" | head -n1)"
	fi
}

if [ "$debian" = 12 ]; then
	boot "$k61" guarded,lifecycle "image-6.1"
	# Secure Boot's rule without Secure Boot: only modules signed by a key
	# the kernel trusts load; DKMS's own key is not enrolled
	boot "$k61" sigrefused "image-6.1-sigrefused" 1200 module.sig_enforce=1
	# the same on 6.12 costs a boot, and tests nothing 6.1's does not but
	# the kernel: make stress runs it (make check boots 6.12 absent below)
	[ "${P53G_IMAGE_ALL:-0}" = 1 ] && boot "$k612" guarded "image-6.12"
	# No module for 6.12 any more (a kernel DKMS could not build for, or
	# whose build was removed): the unit must fail, visibly.
	if [ -n "$ko612" ] && debugfs -w -R "rm /$ko612" "$work/image.img" >>"$work/build.log" 2>&1; then
		say "PASS: [image] the module build for $k612 removed from the image"
		boot "$k612" absent "image-6.12-absent"
	else
		say "FAIL: [image] the module build for $k612 removed from the image (${ko612:-not found})"
	fi
else
	# guarded on trixie's kernel, then the upgrade inside the guest: dpkg,
	# initramfs-tools and DKMS under TCG take minutes
	boot "$k13" guarded,upgrade "image13-${k13%%-*}" 2400
	# the new kernel and the initrd its postinst made, from the disk
	for f in "boot/vmlinuz-$bpo" "usr/lib/modules/$bpo/vmlinuz" "boot/initrd.img-$bpo"; do
		[ -e "$work/${f##*/}" ] && continue
		debugfs -R "dump /$f $work/${f##*/}" "$work/image.img" >>"$work/build.log" 2>&1
		[ -s "$work/${f##*/}" ] || rm -f "$work/${f##*/}"
	done
	[ -s "$work/vmlinuz-$bpo" ] || mv "$work/vmlinuz" "$work/vmlinuz-$bpo" 2>/dev/null
	if [ -s "$work/vmlinuz-$bpo" ] && [ -s "$work/initrd.img-$bpo" ]; then
		say "PASS: [$tag] the upgraded kernel $bpo and its initrd are on the disk"
		boot "$bpo" guarded "image13-${bpo%%+*}"
	else
		say "FAIL: [$tag] the upgraded kernel $bpo and its initrd are on the disk (log: $work/build.log)"
	fi
fi
echo "# [$tag] boots: $(($(date +%s) - t1)) s"
rm -f "$work/image.img"
