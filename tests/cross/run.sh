#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest suite on a foreign architecture, one host command per arch:
#   tests/cross/run.sh arm64|armhf|mipsel TESTS [TIMEOUT_S]
# e.g. tests/cross/run.sh arm64 basic,persist,contract,contract-list,hostile
#
# Fetches Debian 12's 6.1 kernel, headers and the guest userland for ARCH
# (tests/cross/fetch.sh, cached), cross-builds the module with W=1 (any
# warning fails), the tool and the probes statically, builds the initramfs,
# boots it under QEMU (tests/run-guest.sh) and prints PASS:/FAIL: lines
# labelled [ARCH], like run-guest.sh, then "# [ARCH] ..." lines with the
# run's wall time and QEMU's peak memory. Exits non-zero on any FAIL.
# Environment: P53G_OUT, P53G_MEM (MiB; arm64/armhf 1024, mipsel 256),
# P53G_SMP (CPUs; 2, mipsel 1: see tests/run-guest.sh),
# P53G_CROSS_ABI (the kernel ABI, instead of Debian's current one).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
arch=${1:?usage: run.sh arm64|armhf|mipsel TESTS [TIMEOUT_S]} tests=${2:?} tmo=${3:-}
. "$(dirname "$0")/lib.sh"

res=$P53G_OUT/cross-$arch.results
: >"$res"
say() { echo "$*" | tee -a "$res"; }
finish() {
	grep -q '^FAIL: ' "$res" && exit 1
	exit 0
}

t0=$(date +%s)
if ! out=$("$P53G_TOP/tests/cross/fetch.sh" "$arch" 2>"$P53G_OUT/cross-fetch-$arch.err"); then
	say "FAIL: [$arch] Debian 6.1 kernel, headers and userland fetched ($(tail -n1 "$P53G_OUT/cross-fetch-$arch.err"))"
	finish
fi
read -r abi root hdr sysroot <<<"$out"
say "PASS: [$arch] Debian $abi kernel, headers and $arch userland fetched and unpacked"

# The module, W=1, in a copy of the sources (like tests/build-module.sh).
b=$P53G_OUT/build-cross-$arch
rm -rf "$b"
mkdir -p "$b"
cp -r "$P53G_TOP/Kbuild" "$P53G_TOP/module" "$b/"
rm -f "$b"/module/*.o "$b"/module/*.ko
if ! make -C "$hdr" M="$b" ARCH="$karch" CROSS_COMPILE="$cross" W=1 modules >"$b/build.log" 2>&1; then
	say "FAIL: [$arch] module cross-builds with W=1 and no warnings ($(grep -m1 -E 'error|Error' "$b/build.log"); log $b/build.log)"
	finish
elif grep -E -i 'warning:|error:' "$b/build.log" >&2; then
	say "FAIL: [$arch] module cross-builds with W=1 and no warnings ($(grep -m1 -i 'warning:' "$b/build.log"))"
	finish
fi
kos=$(ls "$b"/module/*.ko)
case $arch in
arm64)	mach='ARM aarch64' ;;
armhf)	mach='ARM, EABI5' ;;
mipsel)	mach='LSB.*MIPS' ;;
esac
if file "$kos" | grep -q -E "ELF 32|ELF 64" && file "$kos" | grep -q -E "$mach" &&
	[ "$(modinfo -F vermagic "$kos" | cut -d' ' -f1)" = "$abi" ]; then
	say "PASS: [$arch] module cross-builds with W=1 and no warnings, for $abi"
else
	say "FAIL: [$arch] module cross-builds for $abi ($(file -b "$kos" | cut -c1-60); vermagic $(modinfo -F vermagic "$kos"))"
	finish
fi

# The tool and the probes, static, with the cross compiler.
xm=(CROSS_COMPILE="$cross" ARCH="$karch")
if make -s -C "$P53G_TOP/tools" static "${xm[@]}" >"$P53G_OUT/cross-tool-$arch.log" 2>&1 &&
	make -s -C "$P53G_TOP/tests/probes" "${xm[@]}" >>"$P53G_OUT/cross-tool-$arch.log" 2>&1; then
	bad=
	for f in "$P53G_TOP/tools/build/$karch/port53guard-static" "$P53G_TOP/tests/probes/build/$karch"/p53g-*; do
		file "$f" | grep -q 'statically linked' && file "$f" | grep -q -E "$mach" || bad+=" ${f##*/}"
	done
	if [ -z "$bad" ]; then
		say "PASS: [$arch] tool and probes cross-build static with -Wall -Wextra -Werror"
	else
		say "FAIL: [$arch] tool and probes cross-build static ($bad: not static $arch executables)"
	fi
else
	say "FAIL: [$arch] tool and probes cross-build static ($(tail -n1 "$P53G_OUT/cross-tool-$arch.log"))"
	finish
fi

initrd=$P53G_OUT/initrd-cross-$arch.cpio.gz
# shellcheck disable=SC2086
if ! P53G_ARCH=$arch P53G_SYSROOT=$sysroot "$P53G_TOP/tests/initramfs.sh" "$initrd" "$abi" "$root" $kos \
	2>"$P53G_OUT/initrd-cross-$arch.err"; then
	say "FAIL: [$arch] initramfs built ($(tail -n1 "$P53G_OUT/initrd-cross-$arch.err"))"
	finish
fi
say "PASS: [$arch] initramfs built ($(($(stat -c %s "$initrd") / 1024)) KiB)"
t1=$(date +%s)

# Emulation speed differs a lot: MIPS (one CPU) is the slowest.
[ -n "$tmo" ] || case $arch in
	mipsel) tmo=3600 ;;
	*) tmo=2400 ;;
	esac
# Debian's malta kernel has no highmem: 256 MiB is all it can use.
mem=1024
[ $arch = mipsel ] && mem=256
mem=${P53G_MEM:-$mem}
P53G_ARCH=$arch P53G_MEM=$mem /usr/bin/time -f '%e %M' -o "$P53G_OUT/cross-time-$arch" \
	"$P53G_TOP/tests/run-guest.sh" "$arch" "$root/boot/$kimage-$abi" "$initrd" "$tests" "$tmo" |
	tee -a "$res"
read -r secs kib <"$P53G_OUT/cross-time-$arch"
echo "# [$arch] fetch+builds $((t1 - t0)) s; guest ($tests) $secs s wall, -m $mem MiB, QEMU peak RSS $((kib / 1024)) MiB" |
	tee -a "$res"
finish
