#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fuzz corpus of the entry grammar, replayed through the real
# /sys/kernel/port53guard/exempt in guests:
#   fuzz-replay.sh [KERNEL...]      KERNEL: 6.1, 6.12, debug (default: all three)
#   fuzz-replay.sh --extra FILE     only the archive of step 3, into FILE
#
# 1. The corpus: $P53G_FUZZ_CORPUS, or the one tests/stress/fuzz.sh grew
#    in $P53G_OUT/fuzz/corpus (a check-sized fuzz.sh run makes it when
#    there is none), plus the committed seeds.
# 2. tests/stress/fuzz-replay.c, built with ASan and UBSan, computes with
#    module/entry.c what the kernel must answer to each record (see the
#    protocol there) and writes the plan.
# 3. The plan and a static build of the same program (the replayer) go
#    into an extra gzip cpio archive, appended to each kernel's test
#    initramfs (the kernel unpacks concatenated archives, as make bench
#    does): no shared file changes.
# 4. Each kernel boots and runs tests/guest/fuzz-replay.sh (the debug
#    kernel then kmemleak.sh).
# Prints the guests' PASS:/FAIL: lines and, per kernel, the guest's row
#   P53G-STRESS test=fuzz-replay ... inputs=RECORDS misclassified=MISMATCHES
# with kernel=LABEL and splats=N (tests/splat.sh's count) added.
# Exits non-zero on any FAIL.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

# --extra FILE: only build the plan and the archive into FILE (make check
# and make stress append it to their own guests' initramfs and run the
# guest test fuzz-replay there).
extra_only=
if [ "${1:-}" = --extra ]; then
	extra_only=${2:?usage: fuzz-replay.sh --extra FILE}
	shift 2
fi
kernels=${*:-6.1 6.12 debug}
here=$P53G_TOP/tests/stress
work=$P53G_OUT/fuzz-replay
corpus=${P53G_FUZZ_CORPUS:-$P53G_OUT/fuzz/corpus}
x=$work/extra
failed=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failed=1; }
need gcc gcc
need cpio cpio
need qemu-system-x86_64 qemu-system-x86

if ! [ -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
	log "fuzz-replay: no corpus in $corpus: a check-sized tests/stress/fuzz.sh run first"
	"$here/fuzz.sh" --check || fail "tests/stress/fuzz.sh --check made a corpus"
	corpus=$P53G_OUT/fuzz/corpus
fi
rm -rf "$work"
mkdir -p "$x/p53g/fuzz" "$x/usr/local/bin"

# --- the plan -----------------------------------------------------------
cflags="-std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I$P53G_TOP/module"
src="$here/fuzz-replay.c $P53G_TOP/module/entry.c"
# shellcheck disable=SC2086
if ! gcc $cflags -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-o "$work/p53g-fuzz-replay-san" $src 2>"$work/build.err" ||
   ! gcc $cflags -static -o "$x/usr/local/bin/p53g-fuzz-replay" $src 2>>"$work/build.err"; then
	cat "$work/build.err" >&2
	fail "p53g-fuzz-replay builds (ASan/UBSan for the host, static for the guest)"
	exit 1
fi
pass "p53g-fuzz-replay builds (ASan/UBSan for the host, static for the guest)"
# The grown corpus and the committed seeds (libFuzzer may have replaced a
# seed by a smaller input), each content once.
files=$(find "$corpus" "$P53G_TOP/tools/fuzz/corpus" -type f -exec md5sum {} + |
	sort -k1,1 -u | awk '{ print $2 }' | sort)
ninputs=$(echo "$files" | grep -c .)
# shellcheck disable=SC2086
if "$work/p53g-fuzz-replay-san" expect "$x/p53g/fuzz/plan" $files 2>"$work/expect.err" &&
   "$work/p53g-fuzz-replay-san" expect --corrupt "$x/p53g/fuzz/plan-bad" $files 2>>"$work/expect.err"; then
	pass "the model computes the answers for $ninputs corpus inputs ($(head -n1 "$work/expect.err"))"
else
	fail "the model computes the answers for $ninputs corpus inputs ($(tail -n1 "$work/expect.err"))"
	exit 1
fi
(cd "$x" && find . | cpio -o -H newc --quiet) | gzip -1 >"$work/extra.cpio.gz"
if [ -n "$extra_only" ]; then
	cp "$work/extra.cpio.gz" "$extra_only"
	exit $failed
fi

# --- one boot per kernel --------------------------------------------------
for k in $kernels; do
	label=fz-$k
	if [ "$k" = debug ]; then
		if ! dbg=$("$P53G_TOP/tests/debug-kernel.sh" 2>"$work/debug-kernel.err"); then
			fail "[$label] debug kernel available ($(tail -n1 "$work/debug-kernel.err"))"
			continue
		fi
		image=$dbg/arch/x86/boot/bzImage kdir=$dbg stock=-
		kver=$(cat "$dbg/include/config/kernel.release")
		tests=fuzz-replay,kmemleak mem=2048 tmo=2400
	else
		if ! out=$("$P53G_TOP/tests/stock-kernel.sh" "$k" 2>"$work/stock-$k.err"); then
			fail "[$label] Debian $k kernel available ($(tail -n1 "$work/stock-$k.err"))"
			continue
		fi
		read -r kver stock kdir <<<"$out"
		image=$stock/boot/vmlinuz-$kver
		tests=fuzz-replay mem=1024 tmo=900
	fi
	if ! kos=$("$P53G_TOP/tests/build-module.sh" "$label" "$kdir" 2>"$work/build-$label.err"); then
		fail "[$label] module builds ($(tail -n1 "$work/build-$label.err"))"
		continue
	fi
	# shellcheck disable=SC2086
	if ! "$P53G_TOP/tests/initramfs.sh" "$work/base-$label.cpio.gz" "$kver" "$stock" $kos \
		2>"$work/initrd-$label.err"; then
		fail "[$label] initramfs built ($(tail -n1 "$work/initrd-$label.err"))"
		continue
	fi
	cat "$work/base-$label.cpio.gz" "$work/extra.cpio.gz" >"$work/initrd-$label.cpio.gz"
	log "fuzz-replay: kernel $label ($kver), timeout $tmo s"
	t0=$(date +%s)
	P53G_MEM=${P53G_MEM:-$mem} "$P53G_TOP/tests/run-guest.sh" "$label" "$image" \
		"$work/initrd-$label.cpio.gz" "$tests" "$tmo" >"$work/run-$label.out"
	cat "$work/run-$label.out"
	grep -q '^FAIL: ' "$work/run-$label.out" && failed=1
	glog=$P53G_OUT/guest-$label.log
	grep -a '^# fuzz-replay: ' "$glog" | tr -d '\r' | sed "s/^# /fuzz-replay: [$label] /"
	splats=$("$P53G_TOP/tests/splat.sh" "$glog" | grep -c .)
	row=$(grep -a '^P53G-STRESS test=fuzz-replay ' "$glog" | tr -d '\r' | tail -n1)
	if [ -z "$row" ]; then
		fail "[$label] the guest printed its P53G-STRESS row (log $glog)"
		row="P53G-STRESS test=fuzz-replay packets=0 seconds=0 ops=0 faults=0 inputs=0 lost=0 misclassified=0"
	fi
	echo "$row kernel=$k splats=$splats"
	echo "fuzz-replay: [$label] guest boot to poweroff took $(($(date +%s) - t0)) s"
done
exit $failed
