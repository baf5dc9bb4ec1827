#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages the tests need, one line, for `apt-get install`.
# The two kernels' headers are resolved from the archive (apt-get update
# first). Never a kernel image: the images are only downloaded and unpacked.
#   deps.sh [demo]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
k61=$(resolve_stock 6.1) k612=$(resolve_stock 6.12)
[ -n "$k61" ] && [ -n "$k612" ] || die "cannot resolve the 6.1/6.12 kernels: run 'apt-get update' first"
common="make gcc libc6-dev file cpio gzip xz-utils kmod busybox-static qemu-system-x86
	iproute2 nftables dnsmasq-base bind9-dnsutils linux-headers-$k61"
if [ "${1:-}" = demo ]; then
	echo $common
else
	echo $common linux-headers-$k612 linux-source-6.1 bc bison flex libelf-dev libssl-dev \
		perl python3 clang libclang-rt-14-dev valgrind
fi
