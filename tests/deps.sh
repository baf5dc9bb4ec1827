#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages the tests need, one line, for `apt-get install`.
# Kernel images and headers are not here: tests/stock-kernel.sh downloads
# and unpacks them into the cache (Debian's 6.12 headers package depends on
# the kernel image, and no kernel is ever installed on the host). The one
# exception is linux-headers-amd64, the current 6.1 headers, which depend on
# no image: the Debian package test (tests/dkms/debs.sh) needs a kernel
# whose headers dpkg installed. pahole is what Debian's 6.12 kbuild
# depends on: its headers ship a vmlinux, so every module build there
# writes BTF.
# The cross compilers, their C libraries and qemu-system-arm/-mips are for
# tests/cross/ (arm64, armhf, mipsel); the foreign kernels and guest
# userland are fetched by tests/cross/fetch.sh with a private apt state, so
# no foreign architecture is added to dpkg.
#   deps.sh [demo]
set -euo pipefail
common="make gcc gcc-12 libc6-dev libelf1 libssl3 file cpio gzip xz-utils kmod busybox-static
	qemu-system-x86 iproute2 nftables dnsmasq-base bind9-dnsutils"
if [ "${1:-}" = demo ]; then
	echo $common
else
	echo $common linux-source-6.1 bc bison flex libelf-dev libssl-dev \
		perl python3 clang libclang-rt-14-dev valgrind \
		dkms debhelper dh-dkms lintian dpkg-dev openssl git man-db linux-headers-amd64 \
		iptables ipset pahole \
		gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-mipsel-linux-gnu \
		binutils-aarch64-linux-gnu binutils-arm-linux-gnueabihf binutils-mipsel-linux-gnu \
		libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev-mipsel-cross \
		binutils qemu-system-arm qemu-system-mips time
fi
