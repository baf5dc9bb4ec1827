#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The entry grammar (module/entry.c) under libFuzzer with ASan and UBSan
# (tools/fuzz/fuzz_entry.c, built by `make -C tools fuzz`), for a fixed
# number of executions:
#   fuzz.sh [--check] [RUNS]
# RUNS defaults to 10,000,000 (make stress); --check makes it 300,000, a
# run of a few seconds for make check. The corpus starts each time from
# the committed seeds (tools/fuzz/corpus) in $P53G_OUT/fuzz/corpus, and
# what libFuzzer adds to it is kept there for tests/stress/fuzz-replay.sh,
# which writes every input to the real sysfs file in a guest.
#
# Prints PASS:/FAIL: lines and one row
#   P53G-STRESS test=fuzz-userspace packets=0 seconds=S ops=EXECS faults=0
#               inputs=CORPUS lost=0 misclassified=CRASHES
# It fails when libFuzzer reports a crash, a leak, a timeout or an
# out-of-memory, exits non-zero, or executed fewer inputs than asked.
# Environment: P53G_FUZZ_SEED (libFuzzer's -seed; 0, the default, lets it
# pick one, which it prints); P53G_FUZZ_TIMEOUT (seconds one input may
# take, wall clock, default 60); P53G_FUZZ_BIN, another libFuzzer binary to run
# instead of building tools/build/fuzz_entry (to test this script).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

runs=10000000
if [ "${1:-}" = --check ]; then
	runs=300000
	shift
fi
[ $# -gt 0 ] && runs=$1
case $runs in '' | *[!0-9]*) die "usage: fuzz.sh [--check] [RUNS]" ;; esac
[ "$runs" -gt 0 ] || die "RUNS must be positive"
need clang clang
tmo=${P53G_FUZZ_TIMEOUT:-60}

work=$P53G_OUT/fuzz
corpus=$work/corpus
arts=$work/artifacts
flog=$work/libfuzzer.log
failed=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failed=1; }

bin=${P53G_FUZZ_BIN:-$P53G_TOP/tools/build/fuzz_entry}
if [ -z "${P53G_FUZZ_BIN:-}" ] && ! make -s -C "$P53G_TOP/tools" fuzz >"$work.build.log" 2>&1; then
	tail -n 20 "$work.build.log" >&2
	fail "fuzz harness builds (make -C tools fuzz; log $work.build.log)"
	echo "P53G-STRESS test=fuzz-userspace packets=0 seconds=0 ops=0 faults=0 inputs=0 lost=0 misclassified=0"
	exit 1
fi
[ -x "$bin" ] || die "no fuzz harness at $bin"
pass "fuzz harness builds with -fsanitize=fuzzer,address,undefined ($bin)"

rm -rf "$work"
mkdir -p "$corpus" "$arts"
cp "$P53G_TOP"/tools/fuzz/corpus/* "$corpus/"
seeds=$(find "$corpus" -type f | wc -l)

log "fuzz: $runs executions from $seeds seeds (log $flog)"
t0=$(date +%s.%N)
# -timeout is wall-clock time: a niced run on a loaded host was once
# stopped for 5 s in a 17-byte loop (the input runs in microseconds
# alone), so the bound is generous; the parser is linear and a hang still
# trips it. -error_exitcode: any finding is exit 77; a crash in the
# harness itself (abort() of a CHECK, a sanitizer report) is a deadly
# signal, also non-zero. libFuzzer's -runs counts the corpus's own first
# runs too.
(cd "$P53G_TOP/tools" && "$bin" -runs="$runs" -seed="${P53G_FUZZ_SEED:-0}" \
	-dict=fuzz/entry.dict -timeout="$tmo" -rss_limit_mb=1024 -error_exitcode=77 \
	-artifact_prefix="$arts/" -print_final_stats=1 "$corpus") >"$flog" 2>&1
rc=$?
t1=$(date +%s.%N)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)$/\1/p' "$flog" | tail -n1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\)$/\1/p' "$flog" | tail -n1)
added=$(sed -n 's/^stat::new_units_added: *\([0-9]*\)$/\1/p' "$flog" | tail -n1)
rss=$(sed -n 's/^stat::peak_rss_mb: *\([0-9]*\)$/\1/p' "$flog" | tail -n1)
seed=$(sed -n 's/.*Seed: \([0-9]*\).*/\1/p' "$flog" | head -n1)
inputs=$(find "$corpus" -type f | wc -l)
crashes=$(find "$arts" -type f | wc -l)
echo "fuzz: libFuzzer exit $rc, seed ${seed:-?}, $secs s, ${execs:-?} executions (${speed:-?}/s)," \
	"${added:-?} units added, corpus $seeds -> $inputs inputs, peak RSS ${rss:-?} MB"

if [ "$rc" = 0 ] && [ "$crashes" = 0 ] && ! grep -a -q -E '^==[0-9]+== ?ERROR|runtime error:|deadly signal|^SUMMARY: ' "$flog"; then
	pass "libFuzzer finds no crash, leak, timeout or sanitizer report in the entry grammar"
else
	fail "libFuzzer finds no crash (exit $rc, $crashes artifact(s) in $arts; log $flog)"
	grep -a -m 5 -E '^==[0-9]+== ?ERROR|runtime error:|deadly signal|check failed' "$flog" | sed 's/^/fuzz: /'
	[ "$crashes" = 0 ] && crashes=1
fi
if [ -n "$execs" ] && [ "$execs" -ge "$runs" ]; then
	pass "libFuzzer executed at least $runs inputs ($execs)"
else
	fail "libFuzzer executed at least $runs inputs (${execs:-none reported})"
fi
if [ "$inputs" -gt "$seeds" ]; then
	pass "the corpus grew ($seeds seeds -> $inputs inputs in $corpus)"
else
	fail "the corpus grew ($seeds seeds -> $inputs inputs)"
fi
echo "P53G-STRESS test=fuzz-userspace packets=0 seconds=$secs ops=${execs:-0} faults=0" \
	"inputs=$inputs lost=0 misclassified=$crashes"
exit $failed
