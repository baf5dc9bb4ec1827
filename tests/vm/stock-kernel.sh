#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch one of Debian's stock kernels (6.1 or 6.12) for the guest tests:
# `apt-get download` its unsigned image and its headers (with their common
# and kbuild packages) and `dpkg -x` them into the cache. Nothing is
# installed on the host: Debian's 6.12 headers package depends on the
# kernel image, so installing it would install a kernel. Prints three words:
#   ABI  extracted-root  headers-dir
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:?usage: stock-kernel.sh 6.1|6.12}
abi=$(resolve_stock "$series") ||true
[ -n "$abi" ] || die "cannot resolve Debian's $series kernel; run 'apt-get update' (or set P53G_K61/P53G_K612)"

root=$P53G_CACHE/stock-$abi
if [ ! -f "$root/.done" ]; then
	exec 9>"$P53G_CACHE/.stock-$abi.lock"
	flock 9
	if [ ! -f "$root/.done" ]; then
		# The headers package and the common/kbuild packages it needs.
		pkgs="linux-image-$abi-unsigned linux-headers-$abi $(apt-cache depends "linux-headers-$abi" |
			sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\)$/\1/p' | sort -u)"
		log "fetching $(echo $pkgs)"
		rm -rf "$root" "$root.tmp"
		mkdir -p "$root.tmp/debs"
		# shellcheck disable=SC2086
		(cd "$root.tmp/debs" && retry 3 apt-get download -q $pkgs >&2) ||
			die "apt-get download $pkgs failed"
		for d in "$root.tmp"/debs/*.deb; do dpkg -x "$d" "$root.tmp/root"; done
		rm -rf "$root.tmp/debs"
		# The arch headers include the common ones by absolute path.
		sed -i "s|^include /usr/src/|include $root/root/usr/src/|" \
			"$root.tmp/root/usr/src/linux-headers-$abi/Makefile"
		# The package's postinst would run depmod; do it on the extracted tree.
		depmod -b "$root.tmp/root" "$abi"
		touch "$root.tmp/.done"
		mv "$root.tmp" "$root"
	fi
fi
hdr=$root/root/usr/src/linux-headers-$abi
[ -f "$hdr/Makefile" ] || die "no headers in $hdr"
echo "$abi $root/root $hdr"
