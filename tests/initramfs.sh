#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a guest initramfs (gzip cpio) for one kernel:
#   initramfs.sh OUT KVER STOCKROOT|- KO...
# It holds busybox-static, Debian's own binaries where a real tool is needed
# (ip, nft, dnsmasq, dig, kmod) with their shared libraries, the kernel
# modules the tests need from the stock image (STOCKROOT, or - for the
# debug kernel, which has everything built in), the given .ko files under
# /lib/modules/KVER/extra (or $P53G_KO_SUBDIR) with a depmod'ed tree, the port53guard tool (static),
# the project's probes and the guest scripts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:?} kver=${2:?} stock=${3:?}
shift 3

need busybox busybox-static
need cpio cpio
need depmod kmod
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked' ||
	die "busybox is not static: run 'apt-get install busybox-static'"

# Debian binaries the guest runs, by their Debian path.
bins="/usr/bin/ip /usr/sbin/nft /usr/sbin/dnsmasq /usr/bin/dig /usr/bin/kmod"
for b in $bins; do
	[ -x "$b" ] || die "missing $b: run 'apt-get install iproute2 nftables dnsmasq-base bind9-dnsutils kmod'"
done

r=$(mktemp -d "$P53G_OUT/initramfs.XXXXXX")
chmod 755 "$r"	# the guest's /: mktemp makes it 0700, which locks out non-root users
trap 'rm -rf "$r"' EXIT
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,proc,sys,dev,tmp,run,var/run,root,p53g}
kodir=lib/modules/$kver/${P53G_KO_SUBDIR:-extra}
mkdir -p "$r/$kodir"

cp /bin/busybox "$r/bin/busybox"
# Real tools win over busybox applets of the same name.
skip=" busybox ip modprobe insmod rmmod lsmod depmod modinfo nslookup "
for a in $(/bin/busybox --list); do
	case $skip in *" $a "*) continue ;; esac
	ln -sf busybox "$r/bin/$a"
done

copy_with_libs() {
	local f=$1 lib
	mkdir -p "$r$(dirname "$f")"
	cp -L "$f" "$r$f"
	for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$r$lib" ] && continue
		mkdir -p "$r$(dirname "$lib")"
		cp -L "$lib" "$r$lib"
	done
}
for b in $bins; do copy_with_libs "$b"; done
for m in modprobe insmod rmmod lsmod depmod modinfo; do ln -sf /usr/bin/kmod "$r/sbin/$m"; done

cat >"$r/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat >"$r/etc/group" <<'GR'
root:x:0:
nogroup:x:65534:
GR
echo "127.0.0.1 localhost" >"$r/etc/hosts"

# Stock kernel: the listed modules and their dependency closure.
if [ "$stock" != - ]; then
	src=$stock/lib/modules/$kver
	cp "$src"/modules.builtin "$src"/modules.builtin.modinfo "$src"/modules.order \
		"$r/lib/modules/$kver/"
	for m in $(grep -v '^#' "$P53G_TOP/tests/guest-modules.txt"); do
		modprobe -d "$stock" -S "$kver" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }'
	done | sort -u | while read -r ko; do
		rel=${ko#"$stock"}
		mkdir -p "$r$(dirname "$rel")"
		cp "$ko" "$r$rel"
	done
fi
touch "$r/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo}
for ko in "$@"; do cp "$ko" "$r/$kodir/"; done
depmod -b "$r" "$kver"

if [ -f "$P53G_TOP/tests/probes/Makefile" ]; then make -s -C "$P53G_TOP/tests/probes" >/dev/null || die "building the probes failed"; fi
for p in "$P53G_TOP"/tests/probes/p53g-*; do
	[ -x "$p" ] && cp "$p" "$r/usr/local/bin/"
done
make -s -C "$P53G_TOP/tools" static >/dev/null || die "building the static port53guard tool failed"
cp "$P53G_TOP/tools/build/port53guard-static" "$r/usr/sbin/port53guard"
cp -r "$P53G_TOP/tests/guest" "$r/p53g/"
install -m 0755 "$P53G_TOP/tests/guest/init" "$r/init"

(cd "$r" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
