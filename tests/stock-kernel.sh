#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch one of Debian's stock kernels (6.1 or 6.12) for the guest tests:
# `apt-get download` its unsigned image and `dpkg -x` it into the cache.
# Nothing is installed on the host. Prints three words:
#   ABI  extracted-root  headers-dir
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:?usage: stock-kernel.sh 6.1|6.12}
abi=$(resolve_stock "$series") ||true
[ -n "$abi" ] || die "cannot resolve Debian's $series kernel; run 'apt-get update' (or set P53G_K61/P53G_K612)"

hdr=/usr/src/linux-headers-$abi
[ -f "$hdr/Makefile" ] ||
	die "missing headers for $abi: run 'apt-get install linux-headers-$abi' (or .ci/run as root)"

root=$P53G_CACHE/stock-$abi
if [ ! -f "$root/.done" ]; then
	exec 9>"$P53G_CACHE/.stock-$abi.lock"
	flock 9
	if [ ! -f "$root/.done" ]; then
		log "fetching linux-image-$abi-unsigned"
		rm -rf "$root" "$root.tmp"
		mkdir -p "$root.tmp/debs"
		(cd "$root.tmp/debs" &&
			retry 3 apt-get download -q "linux-image-$abi-unsigned" >&2) ||
			die "apt-get download linux-image-$abi-unsigned failed"
		dpkg -x "$root.tmp"/debs/linux-image-*.deb "$root.tmp/root"
		rm -rf "$root.tmp/debs"
		# The package's postinst would run depmod; do it on the extracted tree.
		depmod -b "$root.tmp/root" "$abi"
		touch "$root.tmp/.done"
		mv "$root.tmp" "$root"
	fi
fi
echo "$abi $root/root $hdr"
