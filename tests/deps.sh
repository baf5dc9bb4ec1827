#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages the tests need, one line, for `apt-get install`.
# Kernel images and headers are not here: tests/vm/stock-kernel.sh downloads
# and unpacks them into the cache (Debian's 6.12 headers package depends on
# the kernel image, and no kernel is ever installed on the host). The one
# exception is linux-headers-amd64, the current 6.1 headers, which depend on
# no image: the Debian package test (tests/dkms/debs.sh) needs a kernel
# whose headers dpkg installed. pahole is what Debian's 6.12 kbuild
# depends on: its headers ship a vmlinux, so every module build there
# writes BTF.
# prometheus is for promtool (the metrics and the alert rules are checked
# with it); mmdebstrap and e2fsprogs make the systemd image (tests/image/).
# The cross compilers, their C libraries and qemu-system-arm/-mips are for
# the arm64, armhf and mipsel guests (tests/vm/); the foreign kernels and guest
# userland are fetched by tests/vm/cross-fetch.sh with a private apt state, so
# no foreign architecture is added to dpkg.
#   deps.sh [demo]              print the packages, one line
#   deps.sh --install [demo]    install those not installed yet: as root
#                               with apt-get; otherwise print the one
#                               apt-get line to run, and fail
set -euo pipefail
set -E
trap 'p53g_rc=$?; case $- in *e*) echo "${0##*/}: line $LINENO: \"$BASH_COMMAND\" exited $p53g_rc" >&2 ;; esac' ERR
install=0
[ "${1:-}" = --install ] && { install=1; shift; }
common="make gcc gcc-12 libc6-dev libelf1 libssl3 file cpio gzip xz-utils kmod busybox-static
	qemu-system-x86 iproute2 nftables dnsmasq-base bind9-dnsutils"
if [ "${1:-}" = demo ]; then
	pkgs=$(echo $common)
else
	pkgs=$(echo $common linux-source-6.1 bc bison flex libelf-dev libssl-dev \
		perl python3 clang libclang-rt-14-dev valgrind \
		dkms debhelper dh-dkms lintian dpkg-dev openssl git man-db linux-headers-amd64 \
		iptables ipset pahole \
		gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-mipsel-linux-gnu \
		binutils-aarch64-linux-gnu binutils-arm-linux-gnueabihf binutils-mipsel-linux-gnu \
		libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev-mipsel-cross \
		binutils qemu-system-arm qemu-system-mips time \
		jq prometheus mmdebstrap e2fsprogs systemd)
fi
if [ $install = 0 ]; then
	echo "$pkgs"
	exit 0
fi
# shellcheck disable=SC2086
# dpkg-query exits 1 when it has never heard of one of them (a fresh
# machine): that is an answer, not an error.
missing=$({ dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null || true; } |
	awk '$NF == "installed" { ok[$1] = 1 } END { for (p in ok) print p }' |
	sort | comm -13 - <(echo "$pkgs" | tr ' ' '\n' | sort -u) | tr '\n' ' ')
[ -z "${missing// /}" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "port53guard-tests: missing packages; run as root:" >&2
	echo "  apt-get update && apt-get install --no-install-recommends $missing" >&2
	exit 1
fi
echo "== installing what the tests need: $missing" >&2
export DEBIAN_FRONTEND=noninteractive
for i in 1 2 3; do
	apt-get update -q >&2 || true
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >&2 && exit 0
	sleep 10
done
echo "port53guard-tests: apt-get install $missing failed" >&2
exit 1
