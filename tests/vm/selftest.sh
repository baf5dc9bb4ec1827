#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The harness checks itself: the splat scanner and the KTAP parser must
# catch what they exist to catch, and pass what is clean.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
fx=$VM_DIR/fixtures
t() { local d=$1; shift; if "$@" >/dev/null 2>&1; then echo "PASS: harness: $d"; else echo "FAIL: harness: $d"; fi; }
splat() { "$VM_DIR/splat.sh" "$fx/$1"; }
ktap() { "$VM_DIR/ktap.sh" "$fx/$1" t; }

t "splat scanner passes a clean log (guest text and command line ignored)" test -z "$(splat clean.log)"
for f in warn kasan lockdep leak; do
	t "splat scanner reports $f.log" test -n "$(splat $f.log)"
done
t "ktap parser fails a 'not ok' case" sh -c "'$VM_DIR/ktap.sh' '$fx/mixed.ktap' t | grep -q '^FAIL: .*port53guard_x: tcp'"
t "ktap parser passes an 'ok' parameter" sh -c "'$VM_DIR/ktap.sh' '$fx/mixed.ktap' t | grep -q '^PASS: .*port53guard_x: udp 53'"
t "ktap parser fails a skipped case" sh -c "'$VM_DIR/ktap.sh' '$fx/skip.ktap' t | grep -q '^FAIL: .*needs_hardware'"
t "ktap parser fails a suite with no results" sh -c "'$VM_DIR/ktap.sh' '$fx/empty.ktap' t | grep -q '^FAIL: .*no KTAP results'"
t "ktap parser fails a plan that does not match" sh -c "'$VM_DIR/ktap.sh' '$fx/short.ktap' t | grep -q '^FAIL: .*plan says 3 tests, saw 1'"
t "ktap parser fails a failed suite" sh -c "'$VM_DIR/ktap.sh' '$fx/mixed.ktap' t | grep -q '^FAIL: \[t\] kunit port53guard_x$'"
# tests/guest/TESTS: a column may name several groups; "-" is none.
t "TESTS: proof runs on 6.1 in make check (group stock)" bash -c ". '$VM_DIR/lib.sh'; vm_tests check 6.1 | tr , '\n' | grep -qx proof"
t "TESTS: proof does not run on debug in make check" bash -c ". '$VM_DIR/lib.sh'; ! vm_tests check debug | tr , '\n' | grep -qx proof"
t "TESTS: listeners runs on mipsel in make check (stock,cross)" bash -c ". '$VM_DIR/lib.sh'; vm_tests check mipsel | tr , '\n' | grep -qx listeners"
t "TESTS: listeners runs on debug in make stress" bash -c ". '$VM_DIR/lib.sh'; vm_tests stress debug | tr , '\n' | grep -qx listeners"
