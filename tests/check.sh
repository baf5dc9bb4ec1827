#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test, one PASS:/FAIL: line each, then exactly one line
# "N passed, N failed". Exits non-zero on any failure. A missing
# prerequisite is a failure with the command that fixes it, never a skip.
#
#   1. userspace: the harness's own checks, the probes
#   2. style: checkpatch
#   3. builds: the module with W=1 against Debian's 6.1 and 6.12 headers and
#      the debug kernel (built from linux-source-6.1, cached)
#   4. guests: each kernel boots under QEMU and runs the guest tests; the
#      debug kernel also runs KUnit and a kmemleak scan
#   5. other architectures: arm64, armhf and mipsel guests (tests/cross/)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

results=$P53G_OUT/results.txt
: >"$results"
start=$(date +%s)

emit() { tee -a "$results"; }
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

log "userspace"
"$P53G_TOP/tests/selftest.sh" | emit
step "probes build as static binaries" bash -c "make -s -C '$P53G_TOP/tests/probes' &&
	for p in '$P53G_TOP'/tests/probes/p53g-*; do [ -x \"\$p\" ] || continue;
	file \"\$p\" | grep -q 'statically linked' || { echo \"\$p is not static\"; exit 1; }; done"

# suite NAME CMD...: a test program that prints its own PASS:/FAIL: lines;
# it must also exit 0, and print at least one PASS.
suite() {
	local name=$1 slug out rc; shift
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
step "tool builds with -Wall -Wextra -Werror" make -s -C "$P53G_TOP/tools"
suite "entry grammar and CLI tests (ASan, UBSan)" make -s -C "$P53G_TOP/tools" test
suite "lookup table tests (ASan, UBSan)" make -s -C "$P53G_TOP/tests/pset" test
# The short form of make stress's fuzzing (it also serves as the fuzzer's
# smoke test): it grows the corpus that the guests then replay through the
# real exempt file (tests/guest/fuzz-replay.sh).
suite "libFuzzer: 300,000 executions of the entry grammar (ASan, UBSan)" \
	"$P53G_TOP/tests/stress/fuzz.sh" --check
fuzzx=$P53G_OUT/fuzz-extra.cpio.gz
rm -f "$fuzzx"
suite "fuzz corpus: the answers the kernel must give, computed by the model" \
	"$P53G_TOP/tests/stress/fuzz-replay.sh" --extra "$fuzzx"

# --- packaging (tests/dkms/) ---------------------------------------------
# make install into a DESTDIR; DKMS and its MOK signing; the Debian packages
# built, linted, installed and purged. They use the host's real dkms, dpkg
# and /lib/modules (as root; nothing is loaded) and put back what they add.
log "packaging"
suite "make install and uninstall honour DESTDIR and PREFIX" "$P53G_TOP/tests/dkms/install.sh"
suite "DKMS adds, builds, installs and removes the module for 6.1 and 6.12" "$P53G_TOP/tests/dkms/dkms.sh"
suite "DKMS signs the module with the configured MOK key" "$P53G_TOP/tests/dkms/sign.sh"
suite "Debian packages build, pass lintian, install and purge" "$P53G_TOP/tests/dkms/debs.sh"
# --- end of packaging ------------------------------------------------------

log "style"
step "checkpatch --strict is clean on module/" "$P53G_TOP/tests/style.sh"

# kernels: LABEL KERNEL-IMAGE KDIR KVER STOCKROOT TESTS
# Every kernel runs the contract, the gateway scenario, the footprint and
# the short forms of make stress (tests/stress.sh runs the long ones).
suite_tests=basic,persist,contract,contract-list,hostile,gateway,nat,footprint
stress_tests=stress-load,stress-reflect,stress-sysfs,stress-life,stress-netns,fuzz-replay
declare -a kernels=()
for series in 6.1 6.12; do
	if out=$("$P53G_TOP/tests/stock-kernel.sh" "$series" 2>"$P53G_OUT/stock-$series.err"); then
		read -r abi root hdr <<<"$out"
		kernels+=("$series $root/boot/vmlinuz-$abi $hdr $abi $root $suite_tests,$stress_tests")
	else
		echo "FAIL: Debian $series kernel and headers available ($(tail -n1 "$P53G_OUT/stock-$series.err"))" | emit
	fi
done
log "debug kernel (cached by config hash)"
if dbg=$("$P53G_TOP/tests/debug-kernel.sh" 2>"$P53G_OUT/debug-kernel.err"); then
	echo "PASS: debug kernel (KUnit, KASAN, lockdep, kmemleak) built from linux-source-6.1" | emit
	kernels+=("debug $dbg/arch/x86/boot/bzImage $dbg $(cat "$dbg/include/config/kernel.release") - $suite_tests,$stress_tests,kunit,kmemleak")
else
	echo "FAIL: debug kernel built ($(tail -n1 "$P53G_OUT/debug-kernel.err"))" | emit
fi

for k in "${kernels[@]}"; do
	read -r label image kdir kver stock tests <<<"$k"
	log "kernel $label ($kver)"
	if ! kos=$("$P53G_TOP/tests/build-module.sh" "$label" "$kdir" 2>"$P53G_OUT/build-$label.err"); then
		echo "FAIL: [$label] module builds with W=1 and no warnings ($(tail -n1 "$P53G_OUT/build-$label.err"))" | emit
		continue
	fi
	echo "PASS: [$label] module builds with W=1 and no warnings" | emit
	# shellcheck disable=SC2086
	"$P53G_TOP/tests/footprint.sh" $kos >"$P53G_OUT/footprint-$label.txt" 2>&1 ||
		echo "FAIL: [$label] footprint of the built module ($(tail -n1 "$P53G_OUT/footprint-$label.txt"))" | emit
	if [ "$label" = debug ]; then
		echo "$kos" | grep -q port53guard_test.ko &&
			echo "PASS: [$label] KUnit module port53guard_test.ko built" | emit ||
			echo "FAIL: [$label] KUnit module port53guard_test.ko built" | emit
	fi
	initrd=$P53G_OUT/initrd-$label.cpio.gz
	# shellcheck disable=SC2086
	if ! "$P53G_TOP/tests/initramfs.sh" "$initrd" "$kver" "$stock" $kos 2>"$P53G_OUT/initrd-$label.err"; then
		echo "FAIL: [$label] initramfs built ($(tail -n1 "$P53G_OUT/initrd-$label.err"))" | emit
		continue
	fi
	# The fuzz corpus and its expected answers ride in a second archive.
	if [ -f "$fuzzx" ]; then
		cat "$initrd" "$fuzzx" >"$initrd.tmp" && mv "$initrd.tmp" "$initrd"
	fi
	mem=1024 tmo=1800
	[ "$label" = debug ] && mem=2048 tmo=3600
	P53G_MEM=$mem "$P53G_TOP/tests/run-guest.sh" "$label" "$image" "$initrd" "$tests" "$tmo" | emit
	grep -a '^P53G-FOOTPRINT' "$P53G_OUT/guest-$label.log" | tr -d '\r' >>"$P53G_OUT/footprint-$label.txt"
	"$P53G_TOP/tests/ktap.sh" "$P53G_OUT/guest-$label.log" "$label" | emit

	# The module DKMS built and installed (tests/dkms/dkms.sh keeps a copy),
	# in the stock tree under updates/dkms, loaded by modprobe.
	[ "$stock" = - ] && continue
	dko=$(ls "$P53G_OUT/dkms-$kver"/port53guard.ko* 2>/dev/null | head -n1)
	if [ -z "$dko" ]; then
		echo "FAIL: [$label-dkms] the DKMS-installed module is available (see the DKMS suite)" | emit
		continue
	fi
	# shellcheck disable=SC2086
	if ! P53G_KO_SUBDIR=updates/dkms "$P53G_TOP/tests/initramfs.sh" "$initrd" "$kver" "$stock" "$dko" \
		2>"$P53G_OUT/initrd-$label-dkms.err"; then
		echo "FAIL: [$label-dkms] initramfs built ($(tail -n1 "$P53G_OUT/initrd-$label-dkms.err"))" | emit
		continue
	fi
	P53G_MEM=$mem "$P53G_TOP/tests/run-guest.sh" "$label-dkms" "$image" "$initrd" dkms,basic "$tmo" | emit
done

# --- other architectures (tests/cross/) ---------------------------------
# Debian's 6.1 kernels for arm64, armhf and mipsel under QEMU, with the
# module, the tool and the probes cross-built and Debian's own userland of
# that architecture: the same guest suite, the gateway and the footprint.
for arch in ${P53G_CROSS_ARCHES:-arm64 armhf mipsel}; do
	log "architecture $arch"
	"$P53G_TOP/tests/cross/run.sh" "$arch" "${P53G_CROSS_TESTS:-$suite_tests}" \
		2>"$P53G_OUT/cross-$arch.err" | emit
done

passed=$(grep -c '^PASS: ' "$results")
failed=$(grep -c '^FAIL: ' "$results")
log "make check took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
