#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fuzz corpus of the entry grammar, made ready to be replayed through
# the real /sys/kernel/port53guard/exempt in guests:
#   fuzz-replay.sh --extra FILE
#
# 1. The corpus: $P53G_FUZZ_CORPUS, or the one tests/stress/fuzz.sh grew
#    in $P53G_OUT/fuzz/corpus (a check-sized fuzz.sh run makes it when
#    there is none), plus the committed seeds.
# 2. tests/stress/fuzz-replay.c, built with ASan and UBSan, computes with
#    module/entry.c what the kernel must answer to each record (see the
#    protocol there) and writes the plan.
# 3. The plan and a static build of the same program (the replayer) go
#    into an extra gzip cpio archive, FILE, which make check and make
#    stress append to each kernel's test initramfs (the kernel unpacks
#    concatenated archives, as make bench does); the guest test
#    tests/guest/fuzz-replay.sh replays it. To replay it alone on chosen
#    kernels: P53G_STRESS_TESTS=fuzz-replay P53G_FUZZ_RUNS=0
#    P53G_STRESS_KERNELS="6.1" make stress.
# Prints PASS:/FAIL: lines; exits non-zero on any FAIL.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

if [ $# != 2 ] || [ "$1" != --extra ] || [ -z "$2" ]; then
	die "usage: fuzz-replay.sh --extra FILE"
fi
extra_only=$2
here=$P53G_TOP/tests/stress
work=$P53G_OUT/fuzz-replay
corpus=${P53G_FUZZ_CORPUS:-$P53G_OUT/fuzz/corpus}
x=$work/extra
failed=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failed=1; }
need gcc gcc
need cpio cpio

if ! [ -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
	log "fuzz-replay: no corpus in $corpus: a check-sized tests/stress/fuzz.sh run first"
	"$here/fuzz.sh" --check || fail "tests/stress/fuzz.sh --check made a corpus"
	corpus=$P53G_OUT/fuzz/corpus
fi
rm -rf "$work"
mkdir -p "$x/p53g/fuzz" "$x/usr/local/bin"

# --- the plan -----------------------------------------------------------
cflags="-std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I$P53G_TOP/module"
src="$here/fuzz-replay.c $P53G_TOP/module/entry.c $P53G_TOP/module/names.c"
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
(cd "$x" && find . | cpio -o -H newc --quiet) | gzip -1 >"$extra_only"
exit $failed
