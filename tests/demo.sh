#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot Debian's 6.1 kernel under QEMU with a real DNS server and
# client in two namespaces, and show the guard refusing DNS. As root it
# installs what it needs; otherwise it prints the apt-get line to run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

missing=0
for t in qemu-system-x86_64 busybox cpio gcc make dnsmasq dig nft depmod; do
	command -v $t >/dev/null 2>&1 || missing=1
done
if [ $missing = 1 ]; then
	if [ "$(id -u)" = 0 ]; then
		log "installing what the demo needs"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q >&2
		# shellcheck disable=SC2046
		apt-get install -y -q --no-install-recommends $("$P53G_TOP/tests/deps.sh" demo) >&2
	else
		echo "The demo needs a few packages. Run as root:"
		echo "  sudo apt-get update"
		echo "  sudo apt-get install --no-install-recommends $(echo $("$P53G_TOP/tests/deps.sh" demo))"
		echo "then: make demo"
		exit 1
	fi
fi

read -r abi root hdr < <("$P53G_TOP/tests/stock-kernel.sh" 6.1)
log "building port53guard against $abi"
kos=$("$P53G_TOP/tests/build-module.sh" demo "$hdr")
initrd=$P53G_OUT/initrd-demo.cpio.gz
# shellcheck disable=SC2086
"$P53G_TOP/tests/initramfs.sh" "$initrd" "$abi" "$root" $kos
log "booting Debian's $abi kernel under QEMU (about 10 s)"
P53G_MEM=1024 P53G_APPEND=quiet "$P53G_TOP/tests/run-guest.sh" demo \
	"$root/boot/vmlinuz-$abi" "$initrd" demo 180 >/dev/null
grep -a '^demo|' "$P53G_OUT/guest-demo.log" | tr -d '\r' | sed 's/^demo| \{0,1\}//'
grep -a -q '^P53G-DONE' "$P53G_OUT/guest-demo.log" ||
	die "the guest did not finish (log: $P53G_OUT/guest-demo.log)"
