#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the guard against what users would run instead (nftables,
# iptables, ipset), in one guest boot per kernel, and the userspace cost of
# the exemption lookup (tests/pset/bench.sh). Prints a table per kernel,
# the ratios against their targets, and writes them to
# docs/results/bench.md and docs/results/bench.json. A benchmark, not a
# test: it prints figures and never fails on a number.
#
# The guest runs on one vCPU under QEMU's instruction counter
# (P53G_BENCH_CLOCK=icount, tests/vm/lib.sh vm_clock): its clock counts
# instructions, so a rate is packets per 10^9 instructions, repeats within
# 0.1 % whatever the host does, and sees no cache miss. wall uses the
# host's time instead (KVM where /dev/kvm works).
#
# Environment (defaults in brackets):
#   P53G_BENCH_CLOCK    icount or wall [icount]
#   P53G_BENCH_SECS     guest seconds per measurement [2]
#   P53G_BENCH_REPS     repetitions [3]
#   P53G_BENCH_NS       list sizes [0 1000 1000000]
#   P53G_BENCH_LIMITS   ICMP limit settings [default]; "default off" adds
#                       the kernel's limits and the guard's rate off
#   P53G_BENCH_E2E      "e2e" adds the sendmmsg injector for key configs []
#   P53G_BENCH_KERNELS  Debian kernel series [6.1 6.12]
#   P53G_BENCH_PSET     0 skips the userspace lookup benchmark [1]
#   P53G_BENCH_ONLY     measure only these configurations (names as in
#                       the table, e.g. "guard guard-drop") [all]
set -uo pipefail
. "$(dirname "$0")/../vm/lib.sh"

clock=${P53G_BENCH_CLOCK:-icount}
secs=${P53G_BENCH_SECS:-2}
reps=${P53G_BENCH_REPS:-3}
ns=${P53G_BENCH_NS:-0 1000 1000000}
lims=${P53G_BENCH_LIMITS:-default}
e2e=${P53G_BENCH_E2E:-}
kernels=${P53G_BENCH_KERNELS:-6.1 6.12}
here=$P53G_TOP/tests/bench
work=$P53G_OUT/bench
start=$(date +%s)
need python3 python3
need gcc gcc
for b in /usr/sbin/xtables-legacy-multi /usr/sbin/ipset; do
	[ -x "$b" ] || die "missing $b: run 'apt-get install iptables ipset'"
done
rm -rf "$work"
mkdir -p "$work/extra/p53g/bench" "$work/extra/usr/local/bin"
x=$work/extra

# --- the files the guest needs beyond the test initramfs ----------------
gcc -static -O2 -Wall -Wextra -Werror -o "$x/usr/local/bin/p53g-flood" "$here/p53g-flood.c" ||
	die "building p53g-flood failed"
cp "$here/guest-bench.sh" "$x/p53g/bench/"
copy_with_libs() {
	local f=$1 lib
	mkdir -p "$x$(dirname "$f")"
	cp -L "$f" "$x$f"
	for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$x$(dirname "$lib")"
		cp -L "$lib" "$x$lib"
	done
}
# iptables-legacy (x_tables), with the extensions it dlopen()s, and ipset.
copy_with_libs /usr/sbin/xtables-legacy-multi
copy_with_libs /usr/sbin/ipset
ln -sf xtables-legacy-multi "$x/usr/sbin/iptables-legacy"
xt=/usr/lib/x86_64-linux-gnu/xtables
mkdir -p "$x$xt"
for e in libxt_standard libxt_udp libxt_tcp libipt_REJECT libxt_set; do cp "$xt/$e.so" "$x$xt/"; done

# N prefixes: every other /24 from 32.0.0.0 (no two adjacent, so no set
# merges them), never covering the source 192.0.2.2.
python3 - "$x/p53g/bench" $ns <<'EOF'
import sys
out, ns = sys.argv[1], [int(n) for n in sys.argv[2:]]
for n in ns:
    pfx = ["%d.%d.%d.0/24" % (32 + (i >> 15), (i >> 7) & 255, (i & 127) << 1) for i in range(n)]
    with open(f"{out}/pfx-{n}.txt", "w") as f:
        f.write("".join(p + "\n" for p in pfx))
    with open(f"{out}/nft-{n}.nft", "w") as f:
        f.write(f"table inet bset_{n} {{\n\tset ex {{\n\t\ttype ipv4_addr; flags interval;\n")
        if n:
            f.write("\t\telements = {\n" + ",\n".join(pfx) + "\n\t\t}\n")
        f.write("\t}\n}\n")
    # A fixed initval: hash:net otherwise seeds each set at random, and
    # its rate with 1,000,000 entries moves between boots.
    with open(f"{out}/ipset-{n}.txt", "w") as f:
        f.write(f"create ex_{n} hash:net family inet hashsize {max(1024, 1 << (n.bit_length()))} maxelem {max(65536, 2 * n)} initval 0x9e3779b9\n")
        f.write("".join(f"add ex_{n} {p}\n" for p in pfx))
EOF
cat >"$x/p53g/bench/params.sh" <<EOF
BENCH_SECS=$secs
BENCH_REPS=$reps
BENCH_NS="$ns"
BENCH_LIMITS="$lims"
BENCH_E2E="$e2e"
BENCH_ONLY="${P53G_BENCH_ONLY:-}"
GUARD_MAX=1048576
EOF
(cd "$x" && find . | cpio -o -H newc --quiet) | gzip -1 >"$work/extra.cpio.gz"

# --- one boot per kernel ------------------------------------------------
nn=$(echo $ns | wc -w) nl=$(echo $lims | wc -w)
VM_BENCH_TMO=$((1800 + reps * (3 * nn + 12) * nl * (secs + 6) * 4))
logs=()
for series in $kernels; do
	log "bench: kernel $series, clock $clock, guest timeout $VM_BENCH_TMO s"
	t0=$(date +%s)
	P53G_OUT=$work P53G_BENCH_CLOCK=$clock vm_run "$series" "bench-$series" \
		../bench/guest-bench bench "$work/extra.cpio.gz" | sed 's/^/bench: /'
	echo "bench: [$series] took $(($(date +%s) - t0)) s on the host (load average now $(cut -d' ' -f1-3 /proc/loadavg))"
	logs+=("$series=$work/guest-bench-$series.log")
done

# --- the userspace lookup benchmark -------------------------------------
pset=$work/pset.txt
if [ "${P53G_BENCH_PSET:-1}" != 0 ]; then
	log "bench: exemption lookup under callgrind (tests/pset/bench.sh)"
	"$P53G_TOP/tests/pset/bench.sh" >"$pset" 2>&1 || echo "bench: tests/pset/bench.sh failed" >>"$pset"
else
	: >"$pset"
fi

# Results of uncommitted code name no commit, and a reduced run (some
# configurations, kernels or list sizes, fewer repetitions, or the lookup
# benchmark skipped) does not make the whole table: both are printed and
# kept under tests/out, never written to docs/results.
dest=$P53G_TOP/docs/results
why=
if [ -n "$(git -C "$P53G_TOP" status --porcelain -- module tools tests 2>/dev/null)" ]; then
	why="module/, tools/ or tests/ has uncommitted changes (commit, then run make bench again)"
elif [ -n "${P53G_BENCH_ONLY:-}" ] || [ "$kernels" != "6.1 6.12" ] || [ "$ns" != "0 1000 1000000" ] ||
	[ "$reps" -lt 3 ] || [ "${P53G_BENCH_PSET:-1}" = 0 ]; then
	why="a reduced run"
fi
if [ -n "$why" ]; then
	dest=$work/results
	mkdir -p "$dest"
	cp "$P53G_TOP/docs/results/bench.json" "$dest/" 2>/dev/null || true
	echo "bench: $why: the results go to $dest, not docs/results" >&2
fi
mkdir -p "$dest"
python3 -B "$here/report.py" --clock "$clock" --commit "$(git -C "$P53G_TOP" describe --always --dirty 2>/dev/null)" \
	--params "secs=$secs reps=$reps N={$ns} limits={$lims} injectors=pktgen${e2e:+,sendmmsg}" \
	"$dest/bench.json" "$dest/bench.md" "$pset" "${logs[@]}"
cat "$dest/bench.md"
echo "bench: clock=$clock secs=$secs reps=$reps N={$ns} limits={$lims} injectors=pktgen${e2e:+,sendmmsg}; took $(($(date +%s) - start)) s"
exit 0
