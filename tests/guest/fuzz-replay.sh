#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The entry grammar's fuzz corpus written to the real exempt file, each
# input in one write(), and every answer (bytes taken or errno, the list
# read back, the staged list) compared with a userspace model built on the
# same module/entry.c (tests/stress/fuzz-replay.c: the model, the plan's
# format and the replay protocol are described there).
#
# Needs what tests/stress/fuzz-replay.sh appends to the initramfs:
#   /p53g/fuzz/plan                    records and the answers they must get
#   /p53g/fuzz/plan-bad                the edge records, two answers wrong
#   /usr/local/bin/p53g-fuzz-replay    the static replayer
# No network: the module only, loaded with the plan's max_entries.
. /p53g/guest/lib.sh

PLAN=/p53g/fuzz/plan
BIN=/usr/local/bin/p53g-fuzz-replay

if ! [ -r $PLAN ] || ! [ -r $PLAN-bad ] || ! [ -x $BIN ]; then
	fail "the replay plan and p53g-fuzz-replay are in the initramfs (run tests/stress/fuzz-replay.sh)"
	exit 1
fi
max=$(head -n 3 $PLAN | sed -n 's/^max \([0-9][0-9]*\)$/\1/p')
base=$(head -n 3 $PLAN | sed -n 's/^entries \([0-9][0-9]*\)$/\1/p')
ok "the plan names max_entries ($max) and the baseline's size ($base)" test -n "$max" -a -n "$base"
section "load with max_entries=$max"
ok "modprobe port53guard max_entries=$max" modprobe port53guard max_entries="$max"
ok "$ST/exempt exists" test -e $ST/exempt

# A plan with two wrong answers (a return value, a list): the runner must
# report exactly those, so a clean replay below means something.
section "the runner against a corrupted plan"
$BIN run $PLAN-bad $ST/exempt >/tmp/bad.out 2>&1
rc=$?
sed 's/^/# corrupted plan: /' /tmp/bad.out | grep -v ': PASS: '
ok "a corrupted plan fails the run (exit $rc)" test $rc = 1
ok "the wrong return value is the one write() mismatch" \
	grep -q '^FAIL: fuzz-replay: every write() .* 1 mismatched)$' /tmp/bad.out
ok "the wrong list is the one list mismatch" \
	grep -q '^FAIL: fuzz-replay: the list read back .* 1 mismatched)$' /tmp/bad.out
ok "nothing else mismatches (misclassified=2)" grep -q ' misclassified=2$' /tmp/bad.out

section "replay"
$BIN run $PLAN $ST/exempt
rc=$?
ok "the replay ran to the end with no mismatch (exit $rc)" test $rc = 0
# the plan always ends on the baseline
n=$(awk '$1 == "exempt_entries" { print $2 }' $ST/stats)
ok "stats count the baseline's $base entries after the replay ($n)" test "$n" = "$base"

section "unload"
ok "rmmod port53guard" rmmod port53guard
ok "$ST is gone" test ! -e $ST
exit $T_FAILED
