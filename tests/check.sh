#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test, one PASS:/FAIL: line each, then exactly one line
# "N passed, N failed". Exits non-zero on any failure. A missing
# prerequisite is a failure with the command that fixes it, never a skip
# (run as root, it installs what is missing first: tests/deps.sh).
#
#   1. userspace: the harness's own checks, the probes, the tool and its
#      tests, the lookup table, the fuzzer's short run
#   2. packaging: make install, DKMS, signing, the Debian packages
#   3. style: checkpatch, the version written everywhere alike
#   4. guests, as jobs, P53G_JOBS (2) at a time:
#      - every kernel of tests/vm/lib.sh's table (or P53G_KERNELS) boots
#        under QEMU and runs its tests from tests/guest/TESTS: Debian 12's
#        6.1 and 6.12, Debian 13's 6.12, its newest backports kernel and
#        its cloud flavour, each the newest ABI apt knows; the debug
#        kernel; arm64, armhf, mipsel. On Debian 12's kernels also the
#        module DKMS built
#      - image: a Debian 12 system with systemd, built by mmdebstrap, the
#        project's .debs installed, booted with 6.1 and 6.12; image13: a
#        Debian 13 cloud image, upgraded to the backports kernel inside
#        the guest (skipped when P53G_KERNELS picks kernels, unless
#        P53G_IMAGE=1)
#      - demo: make demo, as a user runs it
#      - early: a NOTE, counted in neither total: the module compiled
#        against the newest headers in sid or experimental, when newer
#        than trixie-backports'
# It writes docs/results/check.md: every part's result and wall time (the
# jobs' times overlap), the date and the commit.
set -uo pipefail
. "$(dirname "$0")/vm/lib.sh"

"$P53G_TOP/tests/deps.sh" --install || exit 1

results=$P53G_OUT/results.txt
parts=$P53G_OUT/parts.txt
: >"$results"
: >"$parts"
rm -f "$P53G_OUT"/times-*.txt
start=$(date +%s)
part_t0=$start part_name=

emit() { tee -a "$results"; }
# part NAME: the wall time of the part before it, and NAME starts.
part() {
	local now
	now=$(date +%s)
	[ -n "$part_name" ] && echo "$part_name|$((now - part_t0))" >>"$parts"
	part_name=$1 part_t0=$now
	[ -n "$1" ] && log "$1"
}
# step NAME CMD...: PASS when CMD succeeds; its output goes to a log file.
step() {
	local name=$1 slug; shift
	slug=$(echo "$name" | tr -c 'a-zA-Z0-9.\n' '_')
	if "$@" >"$P53G_OUT/step-$slug.log" 2>&1; then
		echo "PASS: $name" | emit
	else
		echo "FAIL: $name ($(tail -n 1 "$P53G_OUT/step-$slug.log"); log: tests/out/step-$slug.log)" | emit
		return 1
	fi
}
# suite NAME CMD...: a test program that prints its own PASS:/FAIL: lines;
# it must also exit 0, and print at least one PASS.
suite() {
	local name=$1 slug rc; shift
	slug=$(echo "$name" | tr -c 'a-zA-Z0-9.\n' '_')
	"$@" >"$P53G_OUT/suite-$slug.log" 2>&1
	rc=$?
	grep -a -E '^(PASS|FAIL): ' "$P53G_OUT/suite-$slug.log" | emit
	if [ $rc = 0 ] && grep -a -q '^PASS: ' "$P53G_OUT/suite-$slug.log"; then
		echo "PASS: $name ran to the end" | emit
	else
		echo "FAIL: $name ran to the end (exit $rc; log: tests/out/suite-$slug.log)" | emit
	fi
}

part "userspace"
"$VM_DIR/selftest.sh" | emit
step "probes build as static binaries" bash -c "make -s -C '$P53G_TOP/tests/probes' &&
	for p in '$P53G_TOP'/tests/probes/p53g-*; do [ -x \"\$p\" ] || continue;
	file \"\$p\" | grep -q 'statically linked' || { echo \"\$p is not static\"; exit 1; }; done"
step "tool builds with -Wall -Wextra -Werror" make -s -C "$P53G_TOP/tools"
suite "entry grammar and CLI tests (ASan, UBSan)" \
	env P53G_REQUIRE_PROMTOOL=1 make -s -C "$P53G_TOP/tools" test
step "alert rules: promtool check rules, and promtool test rules fires each alert when it must" \
	bash -c "promtool check rules '$P53G_TOP/docs/prometheus/port53guard.rules.yml' &&
		promtool test rules '$P53G_TOP/tests/prometheus/rules_test.yml'"
suite "lookup table tests (ASan, UBSan)" make -s -C "$P53G_TOP/tests/pset" test
# The short form of make stress's fuzzing: it grows the corpus that the
# guests then replay through the real exempt file (fuzz-replay).
suite "libFuzzer: 300,000 executions of the entry grammar (ASan, UBSan)" \
	"$P53G_TOP/tests/stress/fuzz.sh" --check
fuzzx=$P53G_OUT/fuzz-extra.cpio.gz
rm -f "$fuzzx"
suite "fuzz corpus: the answers the kernel must give, computed by the model" \
	"$P53G_TOP/tests/stress/fuzz-replay.sh" --extra "$fuzzx"

# make install into a DESTDIR; DKMS and its MOK signing; the Debian packages
# built, linted, installed and purged. They use the host's real dkms, dpkg
# and /lib/modules (as root; nothing is loaded) and put back what they add.
part "packaging"
suite "make install and uninstall honour DESTDIR and PREFIX" "$P53G_TOP/tests/dkms/install.sh"
suite "DKMS adds, builds, installs and removes the module for 6.1 and 6.12" "$P53G_TOP/tests/dkms/dkms.sh"
suite "DKMS signs the module with the configured MOK key" "$P53G_TOP/tests/dkms/sign.sh"
suite "Debian packages build, pass lintian, install and purge" "$P53G_TOP/tests/dkms/debs.sh"

part "style"
step "checkpatch --strict is clean on module/" "$P53G_TOP/tests/style.sh"
suite "the version is written alike everywhere" "$P53G_TOP/tests/version.sh"

# kernel_job K: one kernel's part (its guest, and the DKMS module's guest
# on the stock kernels); its PASS/FAIL lines go to $results.
kernel_job() {
	local k=$1 tests dko initrd
	tests=$(vm_tests check "$k")
	# not in a pipe: vm_run leaves VM_KOS, VM_SOURCE and VM_KVER here
	vm_run "$k" "$k" "${P53G_TESTS:-$tests}" check "$fuzzx" >"$P53G_OUT/vm-$k.res"
	emit <"$P53G_OUT/vm-$k.res" >/dev/null
	[ -n "${VM_KOS:-}" ] || return 0
	# shellcheck disable=SC2086
	"$VM_DIR/footprint.sh" $VM_KOS >"$P53G_OUT/footprint-$k.txt" 2>&1 ||
		echo "FAIL: [$k] footprint of the built module ($(tail -n1 "$P53G_OUT/footprint-$k.txt"))" | emit
	grep -a '^P53G-FOOTPRINT' "$P53G_OUT/guest-$k.log" | tr -d '\r' >>"$P53G_OUT/footprint-$k.txt"
	case ,$tests, in
	*,kunit,*)
		echo "$VM_KOS" | grep -q port53guard_test.ko &&
			echo "PASS: [$k] KUnit module port53guard_test.ko built" | emit ||
			echo "FAIL: [$k] KUnit module port53guard_test.ko built" | emit
		"$VM_DIR/ktap.sh" "$P53G_OUT/guest-$k.log" "$k" | emit ;;
	esac
	# The module DKMS built and installed (tests/dkms/dkms.sh keeps a
	# copy), in the stock tree under updates/dkms, loaded by modprobe.
	[ "$VM_SOURCE" = stock ] || return 0
	dko=$(ls "$P53G_OUT/dkms-$VM_KVER"/port53guard.ko* 2>/dev/null | head -n1)
	if [ -z "$dko" ]; then
		echo "FAIL: [$k-dkms] the DKMS-installed module is available (see the DKMS suite)" | emit
		return 0
	fi
	initrd=$P53G_OUT/initrd-$k-dkms.cpio.gz
	if ! VM_KO_SUBDIR=updates/dkms "$VM_DIR/initramfs.sh" "$initrd" "$VM_KVER" "$VM_ROOT" "$dko" \
		2>"$P53G_OUT/initrd-$k-dkms.err"; then
		echo "FAIL: [$k-dkms] initramfs built ($(tail -n1 "$P53G_OUT/initrd-$k-dkms.err"))" | emit
		return 0
	fi
	vm_boot "$k-dkms" "$initrd" dkms,basic "$VM_TMO" | emit
}

# The early warning: the module compiled (W=1) against the newest kernel
# headers Debian has in sid or experimental, when newer than
# trixie-backports'. A NOTE line, in the output and docs/results, never a
# PASS or FAIL: a kernel that is not yet shipped to any Debian host must
# not fail the run, but it must be seen.
early_job() {
	local out suite abi ver bpo
	if ! out=$("$VM_DIR/deb13.sh" newest 2>"$P53G_OUT/early.err"); then
		echo "NOTE: early warning: could not read sid and experimental ($(tail -n1 "$P53G_OUT/early.err"))" | emit
		return 0
	fi
	read -r suite abi ver bpo <<<"$out"
	if [ "$suite" = - ]; then
		echo "NOTE: early warning: no kernel headers in sid or experimental are newer than trixie-backports' $bpo" | emit
		return 0
	fi
	if ! out=$("$VM_DIR/deb13.sh" headers "$suite" "$abi" 2>"$P53G_OUT/early.err"); then
		echo "NOTE: early warning: $suite's $abi ($ver) headers could not be fetched ($(tail -n1 "$P53G_OUT/early.err"))" | emit
		return 0
	fi
	read -r VM_KDIR VM_BUILDROOT <<<"$out"
	VM_CROSS=
	if vm_build early 2>"$P53G_OUT/build-early.err" >/dev/null; then
		echo "NOTE: early warning: the module compiles with W=1 and no warnings against $suite's $abi ($ver, newer than trixie-backports' $bpo)" | emit
	else
		echo "NOTE: early warning: the module does NOT compile against $suite's $abi ($ver, newer than trixie-backports' $bpo): $(tail -n1 "$P53G_OUT/build-early.err") (log: tests/out/build-early/build.log)" | emit
	fi
}

# The real host: a Debian 12 image with systemd, DKMS, the .debs that the
# packaging part built, booted with both kernels (tests/image/run.sh).
image_job() {
	suite "Debian 12 image with systemd: boot order, verify, metrics, audit" \
		"$P53G_TOP/tests/image/run.sh" 12
}
# A Debian 13 cloud image: guarded, then the newest backports kernel
# installed inside it, DKMS building through the kernel's own hooks, and
# guarded again after the reboot into it.
image13_job() {
	suite "Debian 13 cloud image: guarded, kernel upgrade through DKMS, reboot, guarded" \
		"$P53G_TOP/tests/image/run.sh" 13
}

# The guests: every kernel, then the image, P53G_JOBS at a time (2: most
# guest tests keep one vCPU busy, so two guests share this machine's two
# cores with little loss). Each job writes its own results, printed in
# this order when all are done; each job's wall time is its part's.
todo=()
for k in ${P53G_KERNELS:-$VM_KERNELS_ALL}; do todo+=("kernel $k"); done
if [ -z "${P53G_KERNELS:-}" ] || [ -n "${P53G_IMAGE:-}" ]; then todo+=(image image13); fi
# make demo itself, the README's first command, run exactly as a user runs it
[ -z "${P53G_KERNELS:-}" ] && todo+=(demo early)
# The longest first, so that the two lanes end together.
order=()
for j in "kernel debug" image13 image "${todo[@]}"; do
	case " ${order[*]} " in *" $j "*) continue ;; esac
	for x in "${todo[@]}"; do [ "$x" = "$j" ] && order+=("$j"); done
done
part "guests: ${#todo[@]} jobs, ${P53G_JOBS:-2} at a time"
# What every x86 guest's initramfs takes, built once before jobs share it.
step "the guests' static tool builds" make -s -C "$P53G_TOP/tools" static
for j in "${order[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "${P53G_JOBS:-2}" ]; do wait -n; done
	slug=${j// /-}
	(
		results=$P53G_OUT/job-$slug.res
		: >"$results"
		t0=$(date +%s)
		log "$j: started"
		case $j in
		"kernel "*) kernel_job "${j#kernel }" >/dev/null ;;
		image) image_job >/dev/null ;;
		image13) image13_job >/dev/null ;;
		early) early_job >/dev/null ;;
		demo) suite "make demo shows what it says and exits 0" make -s -C "$P53G_TOP" demo >/dev/null ;;
		esac
		echo "$j|$(($(date +%s) - t0))" >"$P53G_OUT/job-$slug.time"
		log "$j: done in $(($(date +%s) - t0)) s"
	) &
done
wait
for j in "${todo[@]}"; do
	slug=${j// /-}
	emit <"$P53G_OUT/job-$slug.res"
done
part ""
for j in "${todo[@]}"; do cat "$P53G_OUT/job-${j// /-}.time" 2>/dev/null; done >>"$parts"

passed=$(grep -c '^PASS: ' "$results")
failed=$(grep -c '^FAIL: ' "$results")
total=$(($(date +%s) - start))
log "make check took $total s"
"$P53G_TOP/tests/results.sh" check "$total" "$passed" "$failed" "$parts" "$results"
# What failed, last, so that the tail of a CI log names it.
if [ "$failed" != 0 ]; then
	echo "== what failed:"
	grep '^FAIL: ' "$results" | head -n 40
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
