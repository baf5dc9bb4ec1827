# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# Shared helpers for the cross-architecture tests (tests/cross/). Sourced
# after tests/lib.sh, with $arch set to arm64, armhf or mipsel.
#
# Foreign packages are fetched with a private apt state per architecture
# (its own lists, cache and an empty dpkg status under the cache dir), from
# the host's own sources: the host's dpkg gets no foreign architecture, so
# its `apt-get update` is never broken by a foreign index that is briefly
# inconsistent, and nothing is ever installed.

case ${arch:?} in
arm64)	karch=arm64 cross=aarch64-linux-gnu- flavour=arm64 image_suffix=-unsigned
	kimage=vmlinuz ;;
armhf)	karch=arm cross=arm-linux-gnueabihf- flavour=armmp image_suffix=
	kimage=vmlinuz ;;
mipsel)	karch=mips cross=mipsel-linux-gnu- flavour=4kc-malta image_suffix=
	kimage=vmlinuz ;;
*)	die "unknown architecture '$arch' (arm64, armhf, mipsel)" ;;
esac

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
