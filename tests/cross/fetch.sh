#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian 12's 6.1 kernel for a foreign architecture, and the Debian
# userland its test guest runs, into the cache; install nothing:
#   fetch.sh arm64|armhf|mipsel
# Prints four words: ABI  kernel-root  headers-dir  sysroot
#
# kernel-root ($P53G_CACHE/cross-ABI/root): the image, its modules
# (depmod'ed), its headers and common headers, with the headers' scripts
# pointing at the amd64 linux-kbuild-6.1 of the same version (host tools
# for kbuild). sysroot ($P53G_CACHE/cross-sysroot-ARCH/root): busybox-static,
# iproute2, nftables, dnsmasq-base, bind9-dnsutils, kmod and the packages
# they depend on, all of ARCH, unpacked with dpkg -x.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
arch=${1:?usage: fetch.sh arm64|armhf|mipsel}
. "$(dirname "$0")/lib.sh"
need apt-get apt
need dpkg dpkg
need depmod kmod

xapt_update
abi=$(resolve_cross) || true
[ -n "$abi" ] || die "cannot resolve Debian's 6.1 $flavour kernel (set P53G_CROSS_ABI)"

# download DIR PKG...: apt-get download into DIR, bounded retries.
download() {
	local d=$1; shift
	mkdir -p "$d"
	(cd "$d" && retry 3 xapt_get download "$@" >&2) || die "apt-get download ($arch) $* failed"
}

root=$P53G_CACHE/cross-$abi
if [ ! -f "$root/.done" ]; then
	exec 9>"$P53G_CACHE/.cross-$abi.lock"
	flock 9
	if [ ! -f "$root/.done" ]; then
		ver=$(xapt_cache show --no-all-versions "linux-headers-$abi" | sed -n 's/^Version: //p' | head -n1)
		common=$(xapt_cache depends "linux-headers-$abi" |
			sed -n 's/^ *Depends: <\?\(linux-headers-[^ >]*-common\)>\?$/\1/p' | head -n1)
		[ -n "$ver" ] && [ -n "$common" ] || die "cannot read linux-headers-$abi's version and common package"
		pkgs="linux-image-$abi$image_suffix linux-headers-$abi $common"
		log "fetching $pkgs ($arch, $ver) and linux-kbuild-6.1=$ver (amd64)"
		rm -rf "$root" "$root.tmp"
		download "$root.tmp/debs" $pkgs
		# kbuild's host programs run here: the host's architecture, same version.
		(cd "$root.tmp/debs" && retry 3 apt-get download -q "linux-kbuild-6.1=$ver" >&2) ||
			die "apt-get download linux-kbuild-6.1=$ver (amd64) failed"
		for d in "$root.tmp"/debs/*.deb; do dpkg -x "$d" "$root.tmp/root"; done
		rm -rf "$root.tmp/debs"
		hdr=$root.tmp/root/usr/src/linux-headers-$abi
		# The arch headers include the common ones by absolute path.
		sed -i "s|^include /usr/src/|include $root/root/usr/src/|" "$hdr/Makefile"
		[ -e "$hdr/scripts/basic/fixdep" ] ||
			die "the headers' scripts do not reach the amd64 kbuild ($(readlink "$hdr/scripts"))"
		file -L "$hdr/scripts/basic/fixdep" | grep -q x86-64 || die "$hdr/scripts is not the host's kbuild"
		depmod -b "$root.tmp/root" "$abi"
		touch "$root.tmp/.done"
		mv "$root.tmp" "$root"
	fi
	exec 9>&-
fi

# The guest's Debian userland and the closure of what it depends on.
sys=$P53G_CACHE/cross-sysroot-$arch
if [ ! -f "$sys/.done" ]; then
	exec 9>"$P53G_CACHE/.cross-sysroot-$arch.lock"
	flock 9
	if [ ! -f "$sys/.done" ]; then
		want="busybox-static iproute2 nftables dnsmasq-base bind9-dnsutils kmod"
		# Real packages only (apt-cache depends lists virtual ones in <>),
		# of this architecture or all; Pre-Depends and Depends, no more.
		# shellcheck disable=SC2086
		pkgs=$(xapt_cache depends --recurse --no-recommends --no-suggests --no-conflicts \
			--no-breaks --no-replaces --no-enhances $want | grep -v '^ ' | grep -v '^<' | sort -u)
		# Maintainer-script machinery the guest never runs.
		pkgs=$(echo "$pkgs" | grep -v -x -E 'debconf|perl-base|dpkg|init-system-helpers|adduser|passwd|lsb-base|sysvinit-utils|netbase|tar|gzip|base-files|debianutils|coreutils|libpam-modules.*|libpam-runtime|libpam0g|cdebconf|debconf-2.0|usrmerge|dhcpcd-base' || true)
		log "fetching the $arch guest userland: $(echo $pkgs | wc -w) packages"
		rm -rf "$sys.tmp"
		# shellcheck disable=SC2086
		download "$sys.tmp/debs" $pkgs
		for d in "$sys.tmp"/debs/*.deb; do dpkg -x "$d" "$sys.tmp/root"; done
		rm -rf "$sys.tmp/debs" "$sys"
		touch "$sys.tmp/.done"
		mv "$sys.tmp" "$sys"
	fi
	exec 9>&-
fi
echo "$abi $root/root $root/root/usr/src/linux-headers-$abi $sys/root"
