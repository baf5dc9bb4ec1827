#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a guest initramfs (gzip cpio) for one kernel:
#   initramfs.sh OUT KVER STOCKROOT|- KO...
# It holds busybox-static, Debian's own binaries where a real tool is needed
# (ip, nft, dnsmasq, dig, kmod; on x86 also nsd and unbound, fetched by
# dns-servers.sh) with their shared libraries, the kernel
# modules the tests need from the stock image (STOCKROOT, or - for the
# debug kernel, which has everything built in), the given .ko files under
# /lib/modules/KVER/extra (or $VM_KO_SUBDIR) with a depmod'ed tree, the port53guard tool (static),
# the project's probes and the guest scripts.
#
# A foreign architecture (VM_ARCH=arm64|armhf|mipsel, with VM_SYSROOT
# the Debian userland of that architecture that tests/vm/cross-fetch.sh
# unpacks): busybox and the Debian binaries come from the sysroot, their
# shared libraries and ELF interpreter are resolved with readelf against it
# (ldd cannot run foreign binaries), and the tool and the probes are
# cross-built into their per-architecture build dirs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:?} kver=${2:?} stock=${3:?}
shift 3

need busybox busybox-static
need cpio cpio
need depmod kmod
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked' ||
	die "busybox is not static: run 'apt-get install busybox-static'"

xarch=${VM_ARCH:-x86_64}
vm_arch "$xarch" || die "unknown VM_ARCH '$xarch'"
cross=$VM_CROSS karch=$VM_KARCH sysroot=
if [ -n "$cross" ]; then
	sysroot=${VM_SYSROOT:?VM_SYSROOT: the $xarch userland (tests/vm/cross-fetch.sh)}
	need readelf binutils
	need "${cross}gcc" "gcc-${cross%-}"
fi

# Debian binaries the guest runs, by their Debian path.
bins="/usr/bin/ip /usr/sbin/nft /usr/sbin/dnsmasq /usr/bin/dig /usr/bin/kmod"
# Their file in the sysroot: the packages predate merged /usr, so ip and
# kmod are under /bin there.
srcof() {
	if [ -z "$sysroot" ]; then echo "$1"
	elif [ -e "$sysroot$1" ]; then echo "$sysroot$1"
	else echo "$sysroot${1#/usr}"
	fi
}
for b in $bins; do
	[ -x "$(srcof "$b")" ] || die "missing $(srcof "$b"): run 'apt-get install iproute2 nftables dnsmasq-base bind9-dnsutils kmod'"
done

r=$(mktemp -d "$P53G_OUT/initramfs.XXXXXX")
chmod 755 "$r"	# the guest's /: mktemp makes it 0700, which locks out non-root users
trap 'rm -rf "$r"' EXIT
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,proc,sys,dev,tmp,run,var/run,root,p53g}
kodir=lib/modules/$kver/${VM_KO_SUBDIR:-extra}
mkdir -p "$r/$kodir"

# The applet list is the host's busybox's: the foreign one cannot run here,
# and both are the same Debian busybox-static (checked below).
cp "$(srcof /bin/busybox)" "$r/bin/busybox"
if [ -n "$sysroot" ]; then
	file -L "$r/bin/busybox" | grep -q 'statically linked' || die "$sysroot/bin/busybox is not static"
	# Whole output first: with pipefail, 'busybox | head -n1' can fail on
	# SIGPIPE when busybox writes its applet list after head has exited.
	hv=$(/bin/busybox 2>&1 || true)
	hv=${hv%%$'\n'*}
	hv=$(grep -o '(Debian [^)]*)' <<<"$hv") || die "/bin/busybox does not print its Debian version"
	grep -a -q -F "$hv" "$r/bin/busybox" || die "$xarch busybox is not the host's version $hv"
fi
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
# The same for a foreign binary: its ELF interpreter and NEEDED libraries,
# recursively, looked up in the sysroot's library dirs (and RUNPATH).
xlibdirs=
xcopy() {
	local src=$1 dst=$2 lib d p found
	[ -e "$r$dst" ] && return 0
	mkdir -p "$r$(dirname "$dst")"
	cp -L "$src" "$r$dst"
	p=$(readelf -lW "$src" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
	[ -n "$p" ] && { [ -e "$sysroot$p" ] || die "no interpreter $p for $dst in $sysroot"; xcopy "$sysroot$p" "$p"; }
	for lib in $(readelf -dW "$src" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
		found=
		for d in $(readelf -dW "$src" | sed -n 's/.*(RUNPATH\|RPATH).*\[\(.*\)\]$/\1/p' | tr : ' ') \
			$xlibdirs; do
			[ -e "$sysroot$d/$lib" ] && { found=$d/$lib; break; }
		done
		[ -n "$found" ] || die "$dst needs $lib, not found in $sysroot"
		xcopy "$sysroot$found" "$found"
	done
}
if [ -n "$sysroot" ]; then
	triplet=$(basename "$(dirname "$(readlink -f "$(ls "$sysroot"/lib/*/libc.so.6 | head -n1)")")")
	xlibdirs="/lib/$triplet /usr/lib/$triplet /lib /usr/lib"
	for b in $bins; do xcopy "$(srcof "$b")" "$b"; done
else
	for b in $bins; do copy_with_libs "$b"; done
	# nsd and unbound, unpacked from their .debs (dns-servers.sh), at their
	# Debian paths; their libraries are the host's.
	dnsroot=$("$VM_DIR/dns-servers.sh") || die "fetching nsd and unbound failed"
	for b in /usr/sbin/nsd /usr/sbin/unbound; do
		[ -x "$dnsroot$b" ] || die "missing $dnsroot$b"
		if ldd "$dnsroot$b" | grep -q 'not found'; then
			die "$b needs a library the host lacks: $(ldd "$dnsroot$b" | grep 'not found')"
		fi
		mkdir -p "$r$(dirname "$b")"
		cp -L "$dnsroot$b" "$r$b"
		for lib in $(ldd "$dnsroot$b" | grep -o '/[^ ]*'); do
			[ -e "$r$lib" ] && continue
			mkdir -p "$r$(dirname "$lib")"
			cp -L "$lib" "$r$lib"
		done
	done
fi
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
	# A name this kernel does not have as a module (built into another,
	# as nft_objref is into nf_tables since 6.4) is skipped: a test that
	# needs what it did fails on its own.
	for m in $(grep -v '^#' "$VM_DIR/guest-modules.txt"); do
		modprobe -d "$stock" -S "$kver" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }' ||
			echo "initramfs: $m is no module of $kver: skipped" >&2
	done | sort -u | while read -r ko; do
		rel=${ko#"$stock"}
		mkdir -p "$r$(dirname "$rel")"
		cp "$ko" "$r$rel"
	done
fi
touch "$r/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo}
for ko in "$@"; do cp "$ko" "$r/$kodir/"; done
depmod -b "$r" "$kver"

if [ -z "$cross" ]; then
	make -s -C "$P53G_TOP/tests/probes" >/dev/null || die "building the probes failed"
	for p in "$P53G_TOP"/tests/probes/p53g-*; do
		[ -x "$p" ] && cp "$p" "$r/usr/local/bin/"
	done
	make -s -C "$P53G_TOP/tools" static >/dev/null || die "building the static port53guard tool failed"
	cp "$P53G_TOP/tools/build/port53guard-static" "$r/usr/sbin/port53guard"
else
	# Cross-built, static, in their per-architecture dirs.
	xm=(CROSS_COMPILE="$cross" ARCH="$karch")
	make -s -C "$P53G_TOP/tests/probes" "${xm[@]}" >/dev/null || die "cross-building the probes for $xarch failed"
	for p in "$P53G_TOP/tests/probes/build/$karch"/p53g-*; do
		if [ -x "$p" ]; then cp "$p" "$r/usr/local/bin/"; fi
	done
	make -s -C "$P53G_TOP/tools" static "${xm[@]}" >/dev/null || die "cross-building the static port53guard tool for $xarch failed"
	cp "$P53G_TOP/tools/build/$karch/port53guard-static" "$r/usr/sbin/port53guard"
fi
# What the guest runs of ours: static, and for its architecture.
for f in "$r/usr/sbin/port53guard" "$r"/usr/local/bin/p53g-*; do
	file -L "$f" | grep -q 'statically linked' || die "${f##*/} is not statically linked"
	case $xarch in
	x86_64)	m='x86-64' ;;
	arm64)	m='ARM aarch64' ;;
	armhf)	m='ARM, EABI5' ;;
	mipsel)	m='LSB.*MIPS' ;;
	esac
	file -L "$f" | grep -q -E "$m" || die "${f##*/} is not a $xarch executable"
done
cp -r "$P53G_TOP/tests/guest" "$r/p53g/"
install -m 0755 "$P53G_TOP/tests/guest/init" "$r/init"

(cd "$r" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
