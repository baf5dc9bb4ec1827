#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel with an initramfs under QEMU (TCG), run the named guest
# tests, and print the guest's PASS:/FAIL: lines prefixed with a label,
# then one more result per run: the guest finished, and its kernel log is
# free of BUG/WARNING/KASAN/lockdep/Oops/leak reports.
#   run-guest.sh LABEL BZIMAGE INITRD TESTS [TIMEOUT_S] [-- extra qemu args]
# Environment: P53G_SMP (2), P53G_MEM (MiB, 1536), P53G_APPEND (extra cmdline),
# P53G_ARCH: x86_64 (default), arm64, armhf or mipsel picks the machine:
#   x86_64  qemu-system-x86_64 -machine pc -cpu max, console ttyS0
#   arm64   qemu-system-aarch64 -M virt -cpu cortex-a57, console ttyAMA0
#   armhf   qemu-system-arm -M virt,highmem=off -cpu cortex-a15, console ttyAMA0
#   mipsel  qemu-system-mipsel -M malta -cpu 34Kf, console ttyS0; KERNEL is
#           the ELF image. One CPU by default: Debian's 4kc-malta kernel is
#           SMP by the MT ASE (MIPS_MT_SMP), but with two VPEs under TCG its
#           boot CPU misses timer interrupts and RCU reports a stall before
#           init runs (P53G_SMP=2 to try); without highmem it uses 256 MiB
set -uo pipefail
. "$(dirname "$0")/lib.sh"

label=${1:?} kernel=${2:?} initrd=${3:?} tests=${4:?} tmo=${5:-600}
shift $(($# < 5 ? $# : 5))
[ "${1:-}" = -- ] && shift
need timeout coreutils

case ${P53G_ARCH:-x86_64} in
x86_64)	need qemu-system-x86_64 qemu-system-x86
	qemu=(qemu-system-x86_64 -machine pc -accel tcg -cpu max -smp "${P53G_SMP:-2}") console=ttyS0 ;;
arm64)	need qemu-system-aarch64 qemu-system-arm
	qemu=(qemu-system-aarch64 -M virt -accel tcg -cpu cortex-a57 -smp "${P53G_SMP:-2}") console=ttyAMA0 ;;
armhf)	need qemu-system-arm qemu-system-arm
	# shellcheck disable=SC2054
	qemu=(qemu-system-arm -M virt,highmem=off -accel tcg -cpu cortex-a15 -smp "${P53G_SMP:-2}") console=ttyAMA0 ;;
mipsel)	need qemu-system-mipsel qemu-system-mips
	qemu=(qemu-system-mipsel -M malta -accel tcg -cpu 34Kf -smp "${P53G_SMP:-1}") console=ttyS0 ;;
*)	die "unknown P53G_ARCH '$P53G_ARCH' (x86_64, arm64, armhf, mipsel)" ;;
esac

logf=$P53G_OUT/guest-$label.log
append="console=$console panic=-1 oops=panic panic_on_warn=1 softlockup_panic=1"
append+=" hung_task_panic=1 nmi_watchdog=0 rdinit=/init p53g.tests=$tests"
append+=" ${P53G_APPEND:-}"

timeout --kill-after=10 "$tmo" "${qemu[@]}" -m "${P53G_MEM:-1536}" \
	-nographic -no-reboot -nodefaults -serial stdio \
	-kernel "$kernel" -initrd "$initrd" -append "$append" "$@" \
	</dev/null >"$logf" 2>&1
qrc=$?

# The guest's own results.
grep -a -E '^(PASS|FAIL): ' "$logf" | tr -d '\r' | sed "s/^\(PASS\|FAIL\): /\1: [$label] /"

for t in ${tests//,/ }; do
	if ! grep -a -q "^P53G-END $t " "$logf"; then
		echo "FAIL: [$label] guest test '$t' ran to the end (qemu exit $qrc; log $logf)"
	fi
done
if grep -a -q '^P53G-DONE' "$logf"; then
	echo "PASS: [$label] guest booted and finished every test (qemu exit $qrc)"
else
	echo "FAIL: [$label] guest finished (qemu exit $qrc, 124 = timeout; log $logf)"
fi
# The scanner reads only timestamped kernel lines: prove it can see them.
if grep -a -q -E '^\[ *[0-9]+\.[0-9]+\] Run \/init as init process' "$logf"; then
	echo "PASS: [$label] kernel log is timestamped, so the splat scan sees it"
else
	echo "FAIL: [$label] kernel log is timestamped (CONFIG_PRINTK_TIME), so the splat scan sees it"
fi
splat=$("$P53G_TOP/tests/splat.sh" "$logf")
if [ -z "$splat" ]; then
	echo "PASS: [$label] kernel log has no BUG/WARNING/KASAN/lockdep/Oops/leak report"
else
	echo "FAIL: [$label] kernel log is clean; first report: $(echo "$splat" | head -n1)"
fi
