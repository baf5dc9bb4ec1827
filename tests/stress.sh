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
#      the real sysfs file), and on the debug kernel a kmemleak scan last.
#
# Each guest test prints a row "P53G-STRESS test=... packets=N seconds=N
# ops=N faults=N inputs=N lost=N misclassified=N"; a test that prints none
# (hostile) is summed from its PASS/FAIL lines: inputs tried = assertions,
# misclassified = failed assertions. The splat column is the number of
# BUG/WARNING/KASAN/lockdep/Oops/stall/leak reports in that boot's kernel
# log (tests/splat.sh). A row holds when its test ran to the end with no
# FAIL line and lost, misclassified and splats are all 0.
#
# Environment: P53G_STRESS_KERNELS (debug 6.1 6.12), P53G_STRESS_FORM (long;
# "short" is what make check runs), P53G_FUZZ_RUNS (10000000; 0 skips the
# fuzzer), P53G_STRESS_TESTS (the guest tests above, comma-separated; a
# subset lets the debug kernel's hours-long forms run in parts).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kernels=${P53G_STRESS_KERNELS:-debug 6.1 6.12}
form=${P53G_STRESS_FORM:-long}
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
tests=${P53G_STRESS_TESTS:-hostile,stress-load,stress-reflect,stress-sysfs,stress-life,stress-netns,fuzz-replay}
for k in $kernels; do
	t=$tests mem=1536 tmo=5400 stock=
	if [ "$k" = debug ]; then
		dbg=$("$P53G_TOP/tests/debug-kernel.sh" 2>"$work/debug-kernel.err") ||
			{ echo "FAIL: debug kernel built ($(tail -n1 "$work/debug-kernel.err"))"; continue; }
		image=$dbg/arch/x86/boot/bzImage kdir=$dbg stock=-
		kver=$(cat "$dbg/include/config/kernel.release")
		# Its long forms take hours under emulation (README, Reliability).
		t=$t,kmemleak mem=2048 tmo=10800
		[ "$form" = long ] && tmo=43200
	else
		out=$("$P53G_TOP/tests/stock-kernel.sh" "$k" 2>"$work/stock-$k.err") ||
			{ echo "FAIL: Debian $k kernel available ($(tail -n1 "$work/stock-$k.err"))"; continue; }
		read -r kver stock kdir <<<"$out"
		image=$stock/boot/vmlinuz-$kver
	fi
	label=stress-$k
	log "stress: kernel $k ($kver), tests $t"
	kos=$("$P53G_TOP/tests/build-module.sh" "$label" "$kdir" 2>"$work/build-$k.err") ||
		{ echo "FAIL: [$label] module builds ($(tail -n1 "$work/build-$k.err"))"; continue; }
	base=$work/base-$k.cpio.gz
	# shellcheck disable=SC2086
	"$P53G_TOP/tests/initramfs.sh" "$base" "$kver" "$stock" $kos 2>"$work/initrd-$k.err" ||
		{ echo "FAIL: [$label] initramfs built ($(tail -n1 "$work/initrd-$k.err"))"; continue; }
	# The fuzz corpus and its expected outcomes ride in a second archive.
	extra=$work/fuzz-extra.cpio.gz
	if [ ! -f "$extra" ]; then
		"$P53G_TOP/tests/stress/fuzz-replay.sh" --extra "$extra" >"$work/fuzz-extra.log" 2>&1 ||
			echo "FAIL: fuzz replay archive built (log: $work/fuzz-extra.log)"
	fi
	initrd=$work/initrd-$k.cpio.gz
	cat "$base" "$extra" >"$initrd" 2>/dev/null || cp "$base" "$initrd"
	P53G_MEM=$mem P53G_APPEND="p53g.stress=$form" "$P53G_TOP/tests/run-guest.sh" \
		"$label" "$image" "$initrd" "$t" "$tmo" | tee "$work/guest-$k.res"
	glog=$P53G_OUT/guest-$label.log
	splats=$("$P53G_TOP/tests/splat.sh" "$glog" | grep -c .)
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
		grep -q "^P53G-END $name rc=0" "$sect" || v=FAIL
		[ "$nfail" = 0 ] && [ "$splats" = 0 ] || v=FAIL
		addrow "$k" "$splats" "$v" "$r"
	done
done

# --- 3. the table ---------------------------------------------------------
echo
echo "make stress ($form form), $(date -u +%Y-%m-%d), took $(($(date +%s) - start)) s"
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
}' "$rows"
