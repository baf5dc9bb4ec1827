#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian 12's 6.1 kernel for a foreign architecture, and the Debian
# userland its test guest runs, into the cache; install nothing:
#   cross-fetch.sh arm64|armhf|mipsel
# Prints four words: ABI  kernel-root  headers-dir  sysroot
#
# kernel-root ($P53G_CACHE/cross-ABI/root): the image, its modules
# (depmod'ed), its headers and common headers, with the headers' scripts
# pointing at the amd64 linux-kbuild-6.1 of the same version (host tools
# for kbuild). sysroot ($P53G_CACHE/cross-sysroot-ARCH/root): busybox-static,
# iproute2, nftables, dnsmasq-base, bind9-dnsutils, kmod and the packages
# they depend on, all of ARCH, unpacked with dpkg -x.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch=${1:?usage: cross-fetch.sh arm64|armhf|mipsel}
vm_arch "$arch" || exit 1
flavour=$VM_FLAVOUR image_suffix=$VM_IMAGE_SUFFIX

# Foreign packages are fetched with a private apt state per architecture
# (its own lists, cache and an empty dpkg status under the cache dir), from
# the host's own sources: the host's dpkg gets no foreign architecture, so
# its `apt-get update` is never broken by a foreign index that is briefly
# inconsistent, and nothing is ever installed.
apt_dir=$P53G_CACHE/cross-apt-$arch
apt_opts=(-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status"
	-o "Dir::Cache=$apt_dir/cache" -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
	-o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
xapt_get() { apt-get -q "${apt_opts[@]}" "$@"; }
xapt_cache() { apt-cache "${apt_opts[@]}" "$@"; }

# Refresh the private index when missing or older than a day (a second run
# on the same day downloads nothing). An index that fails to download is
# retried; a repository that keeps failing is left out by apt.
xapt_update() {
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	[ -f "$apt_dir/status" ] || : >"$apt_dir/status"
	if [ -z "$(find "$apt_dir/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null)" ] ||
		[ "${P53G_CROSS_UPDATE:-0}" = 1 ]; then
		log "apt update for $arch (private index in $apt_dir)"
		retry 3 xapt_get update >"$apt_dir/update.log" 2>&1 ||
			log "apt update for $arch reported errors (see $apt_dir/update.log); using what it has"
		touch "$apt_dir/lists"
	fi
	xapt_cache show "linux-headers-$flavour" >/dev/null 2>&1 ||
		die "no $arch package index (see $apt_dir/update.log)"
}

# The ABI of Debian's current 6.1 kernel for this architecture, from the
# meta package, like resolve_stock does for x86 (P53G_CROSS_ABI overrides).
resolve_cross() {
	if [ -n "${P53G_CROSS_ABI:-}" ]; then echo "$P53G_CROSS_ABI"; return; fi
	xapt_cache depends "linux-headers-$flavour" 2>/dev/null |
		sed -n "s/.*Depends: linux-headers-\(6\.1\.0-[0-9]*-$flavour\)\$/\1/p" | head -n1
}

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
