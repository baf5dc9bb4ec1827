#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make stress: the long forms of the reliability tests, then one table.
#
#   1. the entry parser under libFuzzer (ASan, UBSan) for 10 million
#      executions (tests/stress/fuzz.sh);
#   2. one guest boot per kernel (the debug kernel first: KASAN, lockdep,
#      PROVE_RCU, DEBUG_ATOMIC_SLEEP, kmemleak, panic_on_warn; then Debian's
#      stock 6.1 and 6.12) running, with p53g.stress=long on the kernel
#      command line: hostile (malformed packets), stress-load (flood while
#      the list is replaced and the settings toggled), stress-reflect
#      (spoofed flood against the rate limit), stress-sysfs (concurrent
#      writers and readers), stress-life (rmmod/modprobe under flood),
#      stress-netns (namespace churn), fuzz-replay (the grown corpus through
#      the real sysfs file), and on the debug kernel a kmemleak scan last;
#   3. the Debian 12 image booted with both kernels, guarded (make check
#      boots only 6.1 guarded).
#
# Each guest test prints a row "P53G-STRESS test=... packets=N seconds=N
# ops=N faults=N inputs=N lost=N misclassified=N"; a test that prints none
# (hostile) is summed from its PASS/FAIL lines: inputs tried = assertions,
# misclassified = failed assertions. The splat column is the number of
# BUG/WARNING/KASAN/lockdep/Oops/stall/leak reports in that boot's kernel
# log (tests/vm/splat.sh). A row holds when its test ran to the end with no
# FAIL line and lost, misclassified and splats are all 0.
#
# The guest tests and their kernels are tests/guest/TESTS's STRESS column.
# Environment: P53G_KERNELS (debug 6.1 6.12), P53G_TESTS (a subset of the
# guest tests, comma-separated: the debug kernel's hours-long forms can
# run in parts), P53G_STRESS_FORM (long; "short" is what make check runs),
# P53G_FUZZ_RUNS (10000000; 0 skips the fuzzer).
# It writes docs/results/stress.md: the table, dated, with the commit.
set -uo pipefail
. "$(dirname "$0")/vm/lib.sh"

kernels=${P53G_KERNELS:-debug 6.1 6.12}
form=${P53G_STRESS_FORM:-long}
export P53G_STRESS_FORM=$form
runs=${P53G_FUZZ_RUNS:-10000000}
work=$P53G_OUT/stress
rows=$work/rows.txt
start=$(date +%s)
rm -rf "$work"
mkdir -p "$work"
: >"$rows"

# row KERNEL SPLATS VERDICT "P53G-STRESS ..." -> rows.txt
addrow() { echo "kernel=$1 splats=$2 verdict=$3 ${4#P53G-STRESS }" >>"$rows"; }

# --- 1. the fuzzer --------------------------------------------------------
if [ "$runs" != 0 ]; then
	log "stress: libFuzzer, $runs executions"
	fz=$work/fuzz.log
	if "$P53G_TOP/tests/stress/fuzz.sh" "$runs" >"$fz" 2>&1; then v=PASS; else v=FAIL; fi
	grep -a -E '^(PASS|FAIL): ' "$fz"
	r=$(grep -a '^P53G-STRESS ' "$fz" | tail -n1)
	[ -n "$r" ] || { r="P53G-STRESS test=fuzz-userspace misclassified=1"; v=FAIL; }
	addrow userspace - "$v" "$r"
fi

# --- 2. the guests --------------------------------------------------------
# The fuzz corpus and its expected outcomes ride in a second archive.
extra=$work/fuzz-extra.cpio.gz
"$P53G_TOP/tests/stress/fuzz-replay.sh" --extra "$extra" >"$work/fuzz-extra.log" 2>&1 ||
	echo "FAIL: fuzz replay archive built (log: $work/fuzz-extra.log)"
for k in $kernels; do
	t=${P53G_TESTS:-$(vm_tests stress "$k")}
	label=stress-$k
	log "stress: kernel $k, tests $t"
	vm_run "$k" "$label" "$t" stress "$extra" | tee "$work/guest-$k.res"
	glog=$P53G_OUT/guest-$label.log
	[ -f "$glog" ] || continue
	splats=$("$VM_DIR/splat.sh" "$glog" | grep -c .)
	# One row per test, from its own section of the guest log.
	for name in ${t//,/ }; do
		sect=$work/$k-$name.txt
		tr -d '\r' <"$glog" | awk -v n="$name" '$0 == "P53G-BEGIN " n { on = 1 }
			on { print } on && index($0, "P53G-END " n " ") == 1 { exit }' >"$sect"
		nfail=$(grep -c '^FAIL: ' "$sect")
		npass=$(grep -c '^PASS: ' "$sect")
		r=$(grep '^P53G-STRESS ' "$sect" | tail -n1)
		[ -n "$r" ] || r="P53G-STRESS test=$name inputs=$((npass + nfail)) misclassified=$nfail"
		v=PASS
		grep -q "^P53G-END $name rc=0 " "$sect" || v=FAIL
		[ "$nfail" = 0 ] && [ "$splats" = 0 ] || v=FAIL
		addrow "$k" "$splats" "$v" "$r"
	done
done

# --- 3. the Debian 12 image on 6.12, guarded --------------------------------
# make check boots it with 6.1 (guarded) and 6.12 (module absent); the
# guarded boot on 6.12 is a row here.
if [ "${P53G_IMAGE_ALL:-1}" = 1 ] && [ -z "${P53G_KERNELS:-}" ]; then
	log "stress: the Debian 12 image, every boot"
	il=$work/image.log
	P53G_IMAGE_ALL=1 "$P53G_TOP/tests/image/run.sh" 12 >"$il" 2>&1
	np=$(grep -c '^PASS: ' "$il") nf=$(grep -c '^FAIL: ' "$il")
	v=PASS
	[ "$nf" = 0 ] && [ "$np" -gt 0 ] || v=FAIL
	addrow image - "$v" "P53G-STRESS test=image-12-all inputs=$((np + nf)) misclassified=$nf"
fi

# --- 4. the table ---------------------------------------------------------
echo
echo "make stress ($form form), $(date -u +%Y-%m-%d), took $(($(date +%s) - start)) s"
table=$work/table.md
awk '
function g(k,   i, kv) {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] }
	return "-"
}
function z(k,   v) { v = g(k); return v == "-" ? 0 : v }
BEGIN {
	printf "| %-16s | %-6s | %11s | %7s | %10s | %6s | %10s | %12s | %6s | %-4s |\n",
		"test", "kernel", "packets", "seconds", "operations", "faults",
		"inputs", "lost/miscl.", "splats", "ok"
	print "| --- | --- | --: | --: | --: | --: | --: | --: | --: | --- |"
}
{
	bad = z("lost") + z("misclassified")
	v = g("verdict")
	if (bad || (g("splats") != "-" && g("splats") != 0)) v = "FAIL"
	if (v != "PASS") nbad++
	printf "| %-16s | %-6s | %11s | %7s | %10s | %6s | %10s | %12s | %6s | %-4s |\n",
		g("test"), g("kernel"), g("packets"), g("seconds"), g("ops"),
		g("faults"), g("inputs"), bad, g("splats"), v
}
END {
	printf "\n%d rows, %d failed\n", NR, nbad
	exit nbad ? 1 : 0
}' "$rows" | tee "$table"
rc=${PIPESTATUS[0]}
out=$P53G_TOP/docs/results/stress.md
mkdir -p "$(dirname "$out")"
{
	echo "# make stress: results"
	echo
	echo "Written by \`make stress\` itself (tests/stress.sh); not edited by hand."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$P53G_TOP" rev-parse --short HEAD 2>/dev/null)"
	echo "- form: $form; kernels: $kernels; tests: ${P53G_TESTS:-tests/guest/TESTS}; fuzzer: $runs executions"
	echo "- took $(($(date +%s) - start)) s on $(nproc) CPUs"
	echo
	cat "$table"
} >"$out"
exit "$rc"
