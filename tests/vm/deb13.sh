#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian 13's kernels for the guest tests, and the Debian 13 root their
# modules are built in; nothing is installed on the host:
#   deb13.sh kernel SERIES   fetch one kernel; prints four words:
#                            ABI  kernel-root  headers-dir  build-root
#   deb13.sh newest          the early warning: the newest kernel headers
#                            in sid or experimental, if newer than
#                            trixie-backports'; prints "SUITE ABI VERSION
#                            BPO-VERSION", SUITE - when none is (P53G_EARLY_SUITE=sid
#                            or experimental names the suite whatever its
#                            version, to try the path)
#   deb13.sh headers SUITE ABI
#                            that suite's headers in a build root of that
#                            suite; prints "headers-dir build-root"
#   deb13.sh root [SUITE]    make (once) the build root; prints its path
#   deb13.sh abi SUITE META  the ABI a suite's meta package points at
#   deb13.sh download SUITE DIR PKG...
#                            apt-get download from that suite into DIR
#   deb13.sh mirror          the Debian mirror the host's apt uses
#
# SERIES (tests/vm/lib.sh's table names them):
#   13-6.12   trixie's own kernel (linux-image-amd64 in trixie)
#   13-bpo    the newest trixie-backports kernel (7.x today)
#   13-cloud  trixie's cloud flavour (linux-image-cloud-amd64)
# Each is resolved from its suite's meta package at run time, so a new
# point release or backports kernel is tested without a code change
# (P53G_ABI_<SERIES> with - and . as _ overrides, e.g. P53G_ABI_13_BPO).
#
# Debian 13's headers need its compiler (gcc-14) and its C library (the
# kbuild host programs are linked against it), so its modules are built in
# a Debian 13 root that mmdebstrap makes from the host's own mirror, cached
# by the hash of its recipe; each kernel's headers are unpacked into that
# root at their Debian path (the headers name it absolutely). Each suite
# has a private apt state (its own lists and cache, an empty dpkg status)
# under the cache dir, refreshed once a day, holding that suite alone: the
# host's apt sources are never touched.
#
# The kernel root ($P53G_CACHE/stock-ABI/root) holds the image and its
# modules, depmod'ed, for the guest's initramfs: 7.x kernels come as
# linux-binary-ABI (the image at /usr/lib/modules/ABI/vmlinuz),
# linux-modules-ABI and linux-base-ABI (modules.builtin and .order); 6.12
# as linux-image-ABI-unsigned.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need apt-get apt
need dpkg dpkg
need depmod kmod

# The mirror the host's own apt uses for Debian.
mirror() {
	local m
	m=$(grep -h -o -E 'https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list 2>/dev/null | head -n1 | tr -d ' ') || true
	echo "${m:-http://deb.debian.org/debian}"
}

# The private apt state of one suite.
suite_opts() {
	local d=$P53G_CACHE/apt-$1
	apt_opts=(-o "Dir::Etc::SourceList=$d/sources.list" -o "Dir::Etc::SourceParts=$d/none"
		-o "Dir::State::Lists=$d/lists" -o "Dir::State::status=$d/status"
		-o "Dir::Cache=$d/cache" -o "APT::Architecture=amd64" -o "APT::Architectures::=amd64"
		-o "APT::Sandbox::User=root" -o "Debug::NoLocking=1"
		-o "Acquire::Check-Valid-Until=false")
}
sapt_get() { local apt_opts; suite_opts "$1"; shift; apt-get -q "${apt_opts[@]}" "$@"; }
sapt_cache() { local apt_opts; suite_opts "$1"; shift; apt-cache "${apt_opts[@]}" "$@"; }

# suite_update SUITE: the suite's index, when missing or older than a day.
suite_update() {
	local d=$P53G_CACHE/apt-$1
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/none"
	[ -f "$d/status" ] || : >"$d/status"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(mirror) $1 main" \
		>"$d/sources.list"
	if [ -z "$(find "$d/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null)" ]; then
		log "apt update for $1 (private index in $d)"
		retry 3 sapt_get "$1" update >"$d/update.log" 2>&1 ||
			die "apt update for $1 failed (see $d/update.log)"
	fi
}

# meta_abi SUITE META: the ABI the suite's meta package points at.
meta_abi() {
	sapt_cache "$1" depends "$2" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | sed 's/-unsigned$//' | head -n1
}

# The build root of a suite: a minimal Debian with the compiler its
# headers name (trixie's: gcc-14; another suite's: what its headers depend
# on, given as EXTRA packages), and perl and python3 for W=1's kernel-doc.
root_pkgs() {
	local suite=$1; shift
	echo make libc6-dev kmod libelf1t64 libssl3t64 dwarves bc xz-utils perl python3 \
		$([ "$suite" = trixie ] && echo gcc-14 gcc-14-for-host) "$@"
}
root_dir() {
	echo "$P53G_CACHE/build-$1-$(echo "$(root_pkgs "$@") $(mirror) 1" | sha256sum | cut -c1-12)"
}
# mmdebstrap_root SUITE DIR EXTRA...: one try, into an empty DIR.
# Experimental is no whole distribution: its root is sid's. A mirror that
# is a dated snapshot serves Release files past their Valid-Until; the
# signatures are still checked.
mmdebstrap_root() {
	local suite=$1 dir=$2
	[ "$suite" = experimental ] && suite=sid
	rm -rf "$dir"
	mmdebstrap --mode=root --variant=minbase --format=directory \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--include="$(root_pkgs "${@:3}" | tr ' ' ,)" "$suite" "$dir" "$(mirror)"
}
# make_root SUITE [EXTRA...]: prints the root's path.
make_root() {
	local suite=$1 dir
	dir=$(root_dir "$@")
	if [ ! -f "$dir/.done" ]; then
		[ "$(id -u)" = 0 ] || die "building the $suite root needs root (mmdebstrap, chroot)"
		need mmdebstrap mmdebstrap
		exec 8>"$dir.lock"
		flock 8
		if [ ! -f "$dir/.done" ]; then
			log "building the $suite build root with mmdebstrap (cached: $dir)"
			rm -rf "$dir" "$dir.tmp"
			mkdir -p "$dir.tmp"
			if ! retry 2 mmdebstrap_root "$suite" "$dir.tmp/root" "$@" \
				>"$dir.tmp/mmdebstrap.log" 2>&1; then
				tail -n 5 "$dir.tmp/mmdebstrap.log" >&2
				die "mmdebstrap $suite failed (log: $dir.tmp/mmdebstrap.log)"
			fi
			touch "$dir.tmp/.done"
			mv "$dir.tmp" "$dir"
		fi
		exec 8>&-
	fi
	echo "$dir/root"
}

# download SUITE DIR PKG...: apt-get download into DIR, bounded retries.
download() {
	local s=$1 d=$2; shift 2
	mkdir -p "$d"
	(cd "$d" && retry 3 sapt_get "$s" download "$@" >&2) || die "apt-get download ($s) $* failed"
}

# headers_into SUITE ABI ROOT: the headers (and their common and kbuild
# packages) unpacked into the build root, once per ABI.
headers_into() {
	local s=$1 abi=$2 br=$3 pkgs tmp
	[ -f "$br/usr/src/.p53g-$abi" ] && return 0
	exec 7>"$br.headers.lock"
	flock 7
	if [ ! -f "$br/usr/src/.p53g-$abi" ]; then
		pkgs="linux-headers-$abi $(sapt_cache "$s" depends "linux-headers-$abi" |
			sed -n 's/^ *Depends: <\?\(linux-\(headers\|kbuild\)-[^ >]*\)>\?$/\1/p' | sort -u)"
		log "unpacking $(echo $pkgs) into the $s build root"
		tmp=$(mktemp -d "$P53G_CACHE/debs.XXXXXX")
		# shellcheck disable=SC2086
		download "$s" "$tmp" $pkgs
		for d in "$tmp"/*.deb; do dpkg -x "$d" "$br"; done
		rm -rf "$tmp"
		[ -f "$br/usr/src/linux-headers-$abi/Makefile" ] || die "no headers for $abi in $br"
		touch "$br/usr/src/.p53g-$abi"
	fi
	exec 7>&-
}

# kernel_root SUITE ABI: the image and modules, depmod'ed, for the guest.
kernel_root() {
	local s=$1 abi=$2 root=$P53G_CACHE/stock-$2 pkgs
	if [ ! -f "$root/.done" ]; then
		exec 9>"$P53G_CACHE/.stock-$abi.lock"
		flock 9
		if [ ! -f "$root/.done" ]; then
			if sapt_cache "$s" show "linux-binary-$abi" >/dev/null 2>&1; then
				pkgs="linux-binary-$abi linux-modules-$abi linux-base-$abi"
			else
				pkgs="linux-image-$abi-unsigned"
			fi
			log "fetching $pkgs ($s)"
			rm -rf "$root" "$root.tmp"
			# shellcheck disable=SC2086
			download "$s" "$root.tmp/debs" $pkgs
			for d in "$root.tmp"/debs/*.deb; do dpkg -x "$d" "$root.tmp/root"; done
			rm -rf "$root.tmp/debs"
			# merged /usr: the initramfs builder and depmod look in /lib
			[ -e "$root.tmp/root/lib" ] || ln -s usr/lib "$root.tmp/root/lib"
			mkdir -p "$root.tmp/root/boot"
			[ -f "$root.tmp/root/boot/vmlinuz-$abi" ] ||
				ln -s "../usr/lib/modules/$abi/vmlinuz" "$root.tmp/root/boot/vmlinuz-$abi"
			[ -s "$root.tmp/root/boot/vmlinuz-$abi" ] || die "no kernel image in $pkgs"
			depmod -b "$root.tmp/root" "$abi"
			touch "$root.tmp/.done"
			mv "$root.tmp" "$root"
		fi
		exec 9>&-
	fi
	echo "$root/root"
}

# series SERIES: sets suite and meta for a series name.
series() {
	case $1 in
	13-6.12)	suite=trixie meta=linux-image-amd64 ;;
	13-bpo)		suite=trixie-backports meta=linux-image-amd64 ;;
	13-cloud)	suite=trixie meta=linux-image-cloud-amd64 ;;
	*)		die "unknown Debian 13 series '$1' (13-6.12, 13-bpo, 13-cloud)" ;;
	esac
}

cmd=${1:?usage: deb13.sh kernel SERIES | newest | headers SUITE ABI | root [SUITE] | abi SUITE META | download SUITE DIR PKG... | mirror}
case $cmd in
root)
	shift
	make_root "${@:-trixie}" ;;
kernel)
	s=${2:?usage: deb13.sh kernel SERIES}
	series "$s"
	var=P53G_ABI_$(echo "$s" | tr .- __)
	suite_update "$suite"
	abi=${!var:-$(meta_abi "$suite" "$meta")}
	[ -n "$abi" ] || die "cannot resolve $meta in $suite (set $var)"
	br=$(make_root trixie)
	headers_into "$suite" "$abi" "$br"
	kr=$(kernel_root "$suite" "$abi")
	echo "$abi $kr /usr/src/linux-headers-$abi $br" ;;
newest)
	suite_update trixie-backports
	bpo=$(sapt_cache trixie-backports show --no-all-versions linux-headers-amd64 |
		sed -n 's/^Version: //p' | head -n1)
	[ -n "$bpo" ] || die "no linux-headers-amd64 in trixie-backports"
	best= bestv=$bpo
	for s in sid experimental; do
		suite_update "$s"
		v=$(sapt_cache "$s" show linux-headers-amd64 2>/dev/null | sed -n 's/^Version: //p' |
			sort -V -r | head -n1)
		[ -n "$v" ] || continue
		if [ "${P53G_EARLY_SUITE:-}" = "$s" ] ||
			{ [ -z "${P53G_EARLY_SUITE:-}" ] && dpkg --compare-versions "$v" gt "$bestv"; }; then
			best=$s bestv=$v
		fi
	done
	[ -n "$best" ] || { echo "- - - $bpo"; exit 0; }
	abi=$(sapt_cache "$best" show "linux-headers-amd64=$bestv" |
		sed -n 's/^Depends:.*linux-headers-\([0-9][^ ,]*-amd64\) .*/\1/p' | head -n1)
	echo "$best $abi $bestv $bpo" ;;
abi)
	suite_update "${2:?usage: deb13.sh abi SUITE META}"
	abi=$(meta_abi "$2" "${3:?usage: deb13.sh abi SUITE META}")
	[ -n "$abi" ] || die "cannot resolve $3 in $2"
	echo "$abi" ;;
download)
	suite_update "${2:?usage: deb13.sh download SUITE DIR PKG...}"
	download "$2" "${3:?usage: deb13.sh download SUITE DIR PKG...}" "${@:4}" ;;
mirror)
	mirror ;;
headers)
	s=${2:?usage: deb13.sh headers SUITE ABI} abi=${3:?usage: deb13.sh headers SUITE ABI}
	suite_update "$s"
	# the compiler the headers name (gcc-N, gcc-N-for-host)
	cc=$(sapt_cache "$s" show "linux-headers-$abi" | sed -n 's/^Depends: //p' | head -n1 |
		tr ',' '\n' | sed -n 's/^ *\(gcc-[0-9]*\(-for-host\)\?\).*/\1/p' | tr '\n' ' ')
	# shellcheck disable=SC2086
	br=$(make_root "$s" $cc)
	headers_into "$s" "$abi" "$br"
	echo "/usr/src/linux-headers-$abi $br" ;;
*)
	die "usage: deb13.sh kernel SERIES | newest | headers SUITE ABI | root [SUITE] | abi SUITE META | download SUITE DIR PKG... | mirror" ;;
esac
