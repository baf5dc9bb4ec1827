# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
#
# The one way to boot a kernel with the guard under QEMU and run guest
# tests in it: pick a kernel from the table, fetch or build it, build the
# module (W=1), build the initramfs, boot, collect the guest's PASS/FAIL
# lines and scan its kernel log. make check, stress, bench and demo are
# loops over vm_run; tests/vm/run is the same for one kernel by hand.
# Sourced, not run.
#
#   vm_run KERNEL LABEL TESTS [MODE] [ARCHIVE...]
#       MODE (check, stress, bench, demo) picks the memory and timeout;
#       ARCHIVEs (gzip cpio) are appended to the initramfs. Prints
#       PASS:/FAIL: lines labelled [LABEL]; the guest log is
#       $P53G_OUT/guest-LABEL.log.
#   vm_tests SUITE KERNEL
#       the guest tests tests/guest/TESTS gives SUITE (check, stress) on
#       KERNEL, comma-separated, in order.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
VM_DIR=$P53G_TOP/tests/vm

# The kernels, one line each:
#   NAME  ARCH  SOURCE  GROUPS  MEM  CHECK_TIMEOUT
# SOURCE: stock (Debian 12's x86 kernel, tests/vm/stock-kernel.sh), deb13
# (Debian 13's, built in a Debian 13 root: tests/vm/deb13.sh), debug
# (built from linux-source-6.1, tests/vm/debug-kernel.sh), cross (Debian's
# 6.1 for ARCH, tests/vm/cross-fetch.sh). GROUPS name it in
# tests/guest/TESTS: api is every stock x86 kernel, where the tests of the
# module's kernel API run; newest is the newest Debian kernel (backports).
# MEM in MiB: Debian's 4kc-malta kernel has no highmem and uses 256 at
# most. Each stock kernel is resolved at run time
# to the newest ABI of its series.
vm_table() {
	cat <<-'EOF'
	6.1       x86_64  stock  all,x86,stock,api,k61  1024  1800
	6.12      x86_64  stock  all,x86,stock,api   1024  1800
	13-6.12   x86_64  deb13  api,deb13           1024  1800
	13-bpo    x86_64  deb13  api,deb13,newest    1024  1800
	13-cloud  x86_64  deb13  api,deb13           1024  1800
	debug     x86_64  debug  all,x86,debug       2048  3600
	arm64   arm64   cross  all,cross       1024  2400
	armhf   armhf   cross  all,cross       1024  2400
	mipsel  mipsel  cross  all,cross       256   3600
	EOF
}
VM_KERNELS_ALL=$(vm_table | awk '{ printf "%s%s", sep, $1; sep = " " }')

# The architectures: what QEMU runs them with, the cross compiler, the
# kernel's ARCH, and Debian's kernel flavour.
#   x86_64  qemu-system-x86_64 -machine pc -cpu max, console ttyS0
#   arm64   qemu-system-aarch64 -M virt -cpu cortex-a57, console ttyAMA0
#   armhf   qemu-system-arm -M virt,highmem=off -cpu cortex-a15, ttyAMA0
#   mipsel  qemu-system-mipsel -M malta -cpu 34Kf, console ttyS0; one CPU:
#           Debian's 4kc-malta kernel is SMP by the MT ASE, but with two
#           VPEs under TCG its boot CPU misses timer interrupts and RCU
#           reports a stall before init runs
# vm_arch ARCH sets VM_QEMU (array), VM_CONSOLE, VM_SMP, VM_CROSS, VM_KARCH,
# VM_FLAVOUR, VM_IMAGE_SUFFIX, VM_QEMU_PKG.
vm_arch() {
	case $1 in
	x86_64)	VM_QEMU=(qemu-system-x86_64 -machine pc -accel tcg -cpu max) VM_CONSOLE=ttyS0
		VM_SMP=2 VM_CROSS= VM_KARCH= VM_FLAVOUR=amd64 VM_IMAGE_SUFFIX=-unsigned
		VM_QEMU_PKG=qemu-system-x86 ;;
	arm64)	VM_QEMU=(qemu-system-aarch64 -M virt -accel tcg -cpu cortex-a57) VM_CONSOLE=ttyAMA0
		VM_SMP=2 VM_CROSS=aarch64-linux-gnu- VM_KARCH=arm64 VM_FLAVOUR=arm64
		VM_IMAGE_SUFFIX=-unsigned VM_QEMU_PKG=qemu-system-arm ;;
	armhf)	# shellcheck disable=SC2054
		VM_QEMU=(qemu-system-arm -M virt,highmem=off -accel tcg -cpu cortex-a15)
		VM_CONSOLE=ttyAMA0 VM_SMP=2 VM_CROSS=arm-linux-gnueabihf- VM_KARCH=arm
		VM_FLAVOUR=armmp VM_IMAGE_SUFFIX= VM_QEMU_PKG=qemu-system-arm ;;
	mipsel)	VM_QEMU=(qemu-system-mipsel -M malta -accel tcg -cpu 34Kf) VM_CONSOLE=ttyS0
		VM_SMP=1 VM_CROSS=mipsel-linux-gnu- VM_KARCH=mips VM_FLAVOUR=4kc-malta
		VM_IMAGE_SUFFIX= VM_QEMU_PKG=qemu-system-mips ;;
	*)	echo "unknown architecture '$1' (x86_64, arm64, armhf, mipsel)" >&2; return 1 ;;
	esac
}

# vm_prepare KERNEL: fetch or build it. Sets VM_NAME, VM_ARCH, VM_SOURCE,
# VM_GROUPS, VM_MEM, VM_TMO, VM_KVER, VM_IMAGE (what QEMU boots), VM_KDIR
# (its headers, for the module), VM_ROOT (the unpacked stock tree, or -),
# VM_SYSROOT (a foreign userland, or empty), VM_BUILDROOT (the root the
# module is built in, or empty for the host) and vm_arch's. On failure
# prints one line why and returns 1.
vm_prepare() {
	local line out dbg
	line=$(vm_table | awk -v k="$1" '$1 == k')
	[ -n "$line" ] || { echo "unknown kernel '$1' (one of: $VM_KERNELS_ALL)"; return 1; }
	read -r VM_NAME VM_ARCH VM_SOURCE VM_GROUPS VM_MEM VM_TMO <<<"$line"
	vm_arch "$VM_ARCH" || return 1
	VM_SYSROOT= VM_BUILDROOT=
	case $VM_SOURCE in
	stock)
		out=$("$VM_DIR/stock-kernel.sh" "$VM_NAME" 2>"$P53G_OUT/vm-$VM_NAME.err") ||
			{ echo "Debian $VM_NAME kernel and headers available ($(tail -n1 "$P53G_OUT/vm-$VM_NAME.err"))"; return 1; }
		read -r VM_KVER VM_ROOT VM_KDIR <<<"$out"
		VM_IMAGE=$VM_ROOT/boot/vmlinuz-$VM_KVER ;;
	deb13)
		out=$("$VM_DIR/deb13.sh" kernel "$VM_NAME" 2>"$P53G_OUT/vm-$VM_NAME.err") ||
			{ echo "Debian 13 $VM_NAME kernel, headers and build root available ($(tail -n1 "$P53G_OUT/vm-$VM_NAME.err"))"; return 1; }
		read -r VM_KVER VM_ROOT VM_KDIR VM_BUILDROOT <<<"$out"
		VM_IMAGE=$VM_ROOT/boot/vmlinuz-$VM_KVER ;;
	debug)
		dbg=$("$VM_DIR/debug-kernel.sh" 2>"$P53G_OUT/vm-debug.err") ||
			{ echo "debug kernel built ($(tail -n1 "$P53G_OUT/vm-debug.err"))"; return 1; }
		VM_KDIR=$dbg VM_ROOT=- VM_IMAGE=$dbg/arch/x86/boot/bzImage
		VM_KVER=$(cat "$dbg/include/config/kernel.release") ;;
	cross)
		out=$("$VM_DIR/cross-fetch.sh" "$VM_ARCH" 2>"$P53G_OUT/vm-$VM_NAME.err") ||
			{ echo "Debian 6.1 $VM_ARCH kernel, headers and userland fetched ($(tail -n1 "$P53G_OUT/vm-$VM_NAME.err"))"; return 1; }
		read -r VM_KVER VM_ROOT VM_KDIR VM_SYSROOT <<<"$out"
		VM_IMAGE=$VM_ROOT/boot/vmlinuz-$VM_KVER ;;
	esac
	return 0
}

# vm_build LABEL: the module against VM_KDIR with W=1, in a copy of the
# sources under $P53G_OUT/build-LABEL (several kernels never share
# objects). Prints the .ko paths; fails on any compiler or modpost warning.
# With VM_BUILDROOT, the build runs chrooted there (VM_KDIR is a path in
# it), in a private mount namespace with its own /proc (objtool reads it),
# and the .ko files are copied back.
vm_build() {
	local b=$P53G_OUT/build-$1 mk src in=
	rm -rf "$b"
	mkdir -p "$b"
	src=$b
	if [ -n "${VM_BUILDROOT:-}" ]; then
		in=/tmp/p53g-build-$1 src=$VM_BUILDROOT/tmp/p53g-build-$1
		rm -rf "$src"
		mkdir -p "$src" "$b/module"
	fi
	cp -r "$P53G_TOP/Kbuild" "$P53G_TOP/module" "$src/"
	rm -f "$src"/module/*.o "$src"/module/*.ko
	mk=(make -C "$VM_KDIR" M="${in:-$b}" W=1)
	[ -n "$VM_CROSS" ] && mk+=(ARCH="$VM_KARCH" CROSS_COMPILE="$VM_CROSS")
	# shellcheck disable=SC2016
	[ -n "$in" ] && mk=(unshare -m -- sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"'
		"$VM_BUILDROOT" "${mk[@]}")
	if ! "${mk[@]}" modules >"$b/build.log" 2>&1 ||
		{ [ -n "$in" ] && ! cp "$src"/module/*.ko "$b/module/" 2>>"$b/build.log"; }; then
		echo "module build against $VM_KDIR failed: $(grep -m1 -E 'error|Error' "$b/build.log") (log: $b/build.log)" >&2
		return 1
	fi
	if grep -E -i 'warning:|error:' "$b/build.log" >&2; then
		echo "module build against $VM_KDIR has warnings (log: $b/build.log)" >&2
		return 1
	fi
	ls "$b"/module/*.ko
}

# vm_tests SUITE KERNEL: the tests tests/guest/TESTS runs there.
vm_tests() {
	local groups
	groups=$(vm_table | awk -v k="$2" '$1 == k { print $4 }')
	awk -v suite="$1" -v groups=",$groups," '
		/^#/ || NF < 3 { next }
		{ w = suite == "check" ? $2 : $3 }
		{ n = split(w, ws, ","); for (i = 1; i <= n; i++)
			if (ws[i] != "-" && index(groups, "," ws[i] ",")) {
				printf "%s%s", sep, $1; sep = ","; break
			} }
	' "$P53G_TOP/tests/guest/TESTS"
}

# vm_boot LABEL INITRD TESTS TIMEOUT [APPEND]: boot, run TESTS, print the
# guest's results and ours: every test ran to the end, the guest finished,
# its kernel log is timestamped and free of BUG/WARNING/KASAN/lockdep/
# Oops/leak reports.
vm_boot() {
	local label=$1 initrd=$2 tests=$3 tmo=$4 append logf qrc t splat
	need timeout coreutils
	need "${VM_QEMU[0]}" "$VM_QEMU_PKG"
	logf=$P53G_OUT/guest-$label.log
	append="console=$VM_CONSOLE panic=-1 oops=panic panic_on_warn=1 softlockup_panic=1"
	append+=" hung_task_panic=1 nmi_watchdog=0 rdinit=/init p53g.tests=$tests ${5:-}"
	timeout --kill-after=10 "$tmo" "${VM_QEMU[@]}" -smp "$VM_SMP" -m "$VM_MEM" \
		-nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$VM_IMAGE" -initrd "$initrd" -append "$append" \
		</dev/null >"$logf" 2>&1
	qrc=$?
	# what each test cost, in the guest's seconds: "TEST SECONDS" lines
	tr -d '\r' <"$logf" | awk '/^P53G-END / { for (i = 3; i <= NF; i++)
		if ($i ~ /^secs=/) print $2, substr($i, 6) }' >"$P53G_OUT/times-$label.txt"
	# (a guest that prints no result line is not an error here: the checks
	# below say what is missing)
	{ grep -a -E '^(PASS|FAIL): ' "$logf" || true; } | tr -d '\r' |
		sed "s/^\(PASS\|FAIL\): /\1: [$label] /"
	for t in ${tests//,/ }; do
		grep -a -q "^P53G-END $t " "$logf" ||
			echo "FAIL: [$label] guest test '$t' ran to the end (qemu exit $qrc; log $logf)"
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
	if ! splat=$("$VM_DIR/splat.sh" "$logf"); then
		echo "FAIL: [$label] kernel log scanned for reports (tests/vm/splat.sh failed)"
	elif [ -z "$splat" ]; then
		echo "PASS: [$label] kernel log has no BUG/WARNING/KASAN/lockdep/Oops/leak report"
	else
		echo "FAIL: [$label] kernel log is clean; first report: $(echo "$splat" | head -n1)"
	fi
}

# vm_profile MODE: memory (VM_MEM) and guest timeout (VM_RUN_TMO) for a
# mode: check (the table's), stress (the long forms: hours on the debug
# kernel), bench (1,000,000-entry sets: 3 GiB; its timeout from
# VM_BENCH_TMO), demo.
vm_profile() {
	VM_RUN_TMO=$VM_TMO
	case $1 in
	stress)	if [ "$VM_SOURCE" = debug ]; then
			VM_RUN_TMO=10800
			[ "${P53G_STRESS_FORM:-long}" = long ] && VM_RUN_TMO=43200
		else
			VM_RUN_TMO=5400 VM_MEM=1536
		fi ;;
	bench)	VM_RUN_TMO=${VM_BENCH_TMO:-7200} VM_MEM=3072
		vm_clock "${P53G_BENCH_CLOCK:-icount}" ;;
	demo)	VM_RUN_TMO=180 ;;
	esac
}

# vm_clock icount|wall: the guest's clock for a benchmark.
#   icount  one vCPU, single-threaded TCG, and QEMU's instruction counter
#           as the clock (1 ns a guest instruction): a rate measured in the
#           guest repeats within 0.1 % whatever the host's load; it counts
#           instructions and sees no cache miss
#   wall    as booted for tests (KVM where /dev/kvm works): the host's time
vm_clock() {
	local i
	case $1 in
	icount)
		VM_SMP=1
		for i in "${!VM_QEMU[@]}"; do
			[ "${VM_QEMU[$i]}" = tcg ] && VM_QEMU[i]=tcg,thread=single
		done
		VM_QEMU+=(-icount shift=0,sleep=off,align=off) ;;
	wall)
		if [ -w /dev/kvm ] && [ "$VM_ARCH" = x86_64 ]; then
			for i in "${!VM_QEMU[@]}"; do
				[ "${VM_QEMU[$i]}" = tcg ] && VM_QEMU[i]=kvm
			done
		fi ;;
	*)	die "P53G_BENCH_CLOCK: icount or wall, not '$1'" ;;
	esac
}

# vm_run KERNEL LABEL TESTS [MODE] [ARCHIVE...]: prepare, build, boot.
# Sets VM_KOS (the built modules) for the caller.
vm_run() {
	local k=$1 label=$2 tests=$3 mode=${4:-check} initrd a
	shift $(($# < 4 ? $# : 4))
	VM_KOS=
	if ! vm_prepare "$k" >"$P53G_OUT/vm-$label.why"; then
		echo "FAIL: [$label] $(cat "$P53G_OUT/vm-$label.why")"
		return 1
	fi
	echo "$VM_KVER" >"$P53G_OUT/abi-$label.txt"
	if ! VM_KOS=$(vm_build "$label" 2>"$P53G_OUT/build-$label.err"); then
		echo "FAIL: [$label] module builds with W=1 and no warnings ($(tail -n1 "$P53G_OUT/build-$label.err"))"
		return 1
	fi
	echo "PASS: [$label] module builds with W=1 and no warnings, for $VM_KVER"
	initrd=$P53G_OUT/initrd-$label.cpio.gz
	# shellcheck disable=SC2086
	if ! VM_ARCH=$VM_ARCH VM_SYSROOT=$VM_SYSROOT "$VM_DIR/initramfs.sh" "$initrd" \
		"$VM_KVER" "$VM_ROOT" $VM_KOS 2>"$P53G_OUT/initrd-$label.err"; then
		echo "FAIL: [$label] initramfs built ($(tail -n1 "$P53G_OUT/initrd-$label.err"))"
		return 1
	fi
	for a in "$@"; do
		[ -f "$a" ] && cat "$a" >>"$initrd"
	done
	vm_profile "$mode"
	vm_boot "$label" "$initrd" "$tests" "$VM_RUN_TMO" \
		"${VM_APPEND:-} $([ "$mode" = stress ] && echo "p53g.stress=${P53G_STRESS_FORM:-long}")"
}
