#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's nsd (an authoritative server) and unbound (a recursive
# resolver), for the guest tests that need real DNS servers
# (tests/guest/authoritative.sh). They are never installed on the host (a
# package would start them as services): apt-get download fetches the
# .debs into the cache and dpkg -x unpacks them; tests/vm/initramfs.sh
# copies the binaries and their shared libraries (the host's, which
# Debian 12 has: libevent, libfstrm, libprotobuf-c, libnghttp2, libpython3)
# into the guest.
#   dns-servers.sh      print the unpacked root, fetching it the first time
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs="nsd unbound"
vers=
for p in $pkgs; do
	v=$(apt-cache policy "$p" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
	[ -n "$v" ] && [ "$v" != "(none)" ] || die "apt knows no $p: run 'apt-get update'"
	vers="$vers-$p-$v"
done
dir=$P53G_CACHE/dns-servers${vers//[^A-Za-z0-9.+-]/_}
if [ ! -f "$dir/.done" ]; then
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/root"
	# apt's sandbox user cannot write the cache: the download is ours.
	# shellcheck disable=SC2086
	(cd "$dir/debs" && apt-get -q -o APT::Sandbox::User=root download $pkgs >&2) ||
		die "apt-get download $pkgs failed"
	for d in "$dir"/debs/*.deb; do dpkg -x "$d" "$dir/root"; done
	touch "$dir/.done"
fi
echo "$dir/root"
