#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel with an initramfs under QEMU (TCG), run the named guest
# tests, and print the guest's PASS:/FAIL: lines prefixed with a label,
# then one more result per run: the guest finished, and its kernel log is
# free of BUG/WARNING/KASAN/lockdep/Oops/leak reports.
#   run-guest.sh LABEL BZIMAGE INITRD TESTS [TIMEOUT_S] [-- extra qemu args]
# Environment: P53G_SMP (2), P53G_MEM (MiB, 1536), P53G_APPEND (extra cmdline).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

label=${1:?} kernel=${2:?} initrd=${3:?} tests=${4:?} tmo=${5:-600}
shift $(($# < 5 ? $# : 5))
[ "${1:-}" = -- ] && shift
need qemu-system-x86_64 qemu-system-x86
need timeout coreutils

logf=$P53G_OUT/guest-$label.log
append="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 softlockup_panic=1"
append+=" hung_task_panic=1 nmi_watchdog=0 rdinit=/init p53g.tests=$tests"
append+=" ${P53G_APPEND:-}"

timeout --kill-after=10 "$tmo" qemu-system-x86_64 \
	-machine pc -accel tcg -cpu max -smp "${P53G_SMP:-2}" -m "${P53G_MEM:-1536}" \
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
