#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module's footprint, for small devices. Prints machine-readable lines
#   P53G-FOOTPRINT stage=STAGE key=value ...
# and PASS/FAIL lines for what can be asserted. No network, no namespaces:
# only the module and the kernel's own accounting. Portable (no
# architecture assumptions): the cross-architecture guests run it too.
#
# What each figure is, and how much to trust it:
#  - size (from /proc/modules): the module's loaded core, in bytes, after
#    its init sections are freed: text, rodata, data, ro_after_init, each
#    rounded up to pages on 6.4+ kernels (one region per kind) and the whole
#    to a page on older ones. Exact.
#  - coresize, initsize (/sys/module/port53guard/): the kernel's own
#    split; coresize leaves out what /proc/modules adds on some kernels
#    (e.g. the data when an architecture keeps it apart). Exact.
#  - exempt_bytes (the module's stats): what the exemption table has
#    allocated, counted by the module as kmalloc/vmalloc would round it;
#    exempt_text_bytes is the cached text of the list, made on the first
#    read of `exempt` and kept until the list changes. Exact, but only
#    for the list: not the module's other allocations.
#  - d_sunreclaim, d_vmalloc, d_percpu, d_memfree (kB): /proc/meminfo
#    deltas between two stages, page cache and reclaimable slab dropped
#    first (drop_caches=3) and read once two reads in a row agree. They
#    include everything the kernel did meanwhile: sysfs nodes, the
#    netfilter hook arrays (per namespace; one namespace here), the per-CPU
#    counters, the module text (vmalloc), and any unrelated allocation.
#    Slab grows by whole slab pages, so a small allocation may show as 0 or
#    as a few kB; Percpu moves only when a new per-CPU page is populated;
#    MemFree moves with everything and is the noisiest. The stage=noise
#    line is the same deltas across an interval in which nothing was done:
#    read every other delta against it. Under KASAN (the debug kernel)
#    allocations carry redzones and frees sit in a quarantine: its
#    meminfo figures are not the module's and are printed for the record
#    only (kasan=1).
. /p53g/guest/lib.sh

SM=/sys/module/port53guard
KASAN=$SLOW	# the debug kernel
HEAD="kernel=$(uname -r) arch=$(uname -m) cpus=$(grep -c ^processor /proc/cpuinfo) kasan=$KASAN"

counter() { awk -v k="$1" '$1 == k { print $2 }' $ST/stats; }
# meminfo fields of interest on one line, in kB (one process: forks are
# dear on the debug kernel).
mem_now() {
	awk '{ v[$1] = $2 } END { print v["SUnreclaim:"] + 0, v["VmallocUsed:"] + 0,
		v["Percpu:"] + 0, v["MemFree:"] + 0 }' /proc/meminfo
}
# snapshot VAR: drop caches, then read until two reads 0.2 s apart agree
# (bounded: 5 s); the reading is stored in VAR.
snapshot() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	_prev=$(mem_now) _n=25
	# Under KASAN the figures never settle and are not the module's anyway.
	[ $KASAN = 1 ] && { eval "$1=\"$_prev\""; return; }
	while [ $_n -gt 0 ]; do
		sleep 0.2
		_cur=$(mem_now)
		# MemFree always moves a little: compare the others.
		[ "${_cur% *}" = "${_prev% *}" ] && break
		_prev=$_cur _n=$((_n - 1))
	done
	[ $_n -gt 0 ] || echo "# $1: meminfo did not settle in 5 s; the reading is noisier"
	eval "$1=\"$_cur\""
}
# delta BEFORE AFTER: "d_sunreclaim=.. d_vmalloc=.. d_percpu=.. d_memfree=.." (kB).
delta() {
	echo "$1 $2" | awk '{ printf "d_sunreclaim=%d d_vmalloc=%d d_percpu=%d d_memfree=%d",
		$5 - $1, $6 - $2, $7 - $3, $8 - $4 }'
}
fp() { echo "P53G-FOOTPRINT $*"; }

# The reject helpers the module needs are modules on stock kernels: load
# them first so that they are not counted as the guard's.
modprobe nf_reject_ipv4 2>/dev/null
modprobe nf_reject_ipv6 2>/dev/null

# vmalloc areas are checked by address, exactly: the kernel shows real
# addresses in /proc/modules and /proc/vmallocinfo to root once
# kptr_restrict is 1 (0 hashes %pK).
echo 1 >/proc/sys/kernel/kptr_restrict
# vm_area ADDR: the /proc/vmallocinfo line of the area that holds ADDR
# (0x and the pointer's hex digits, as both files print them), or nothing. Compared
# as strings of one width: awk's numbers cannot hold 64-bit addresses.
vm_area() {
	awk -v a="x${1#0x}" '{ split($1, r, "-"); lo = "x" substr(r[1], 3); hi = "x" substr(r[2], 3)
		if (length(lo) == length(a) && lo <= a && a < hi) print }' /proc/vmallocinfo
}
# bare_callers: the vmalloc areas whose caller the kernel can no longer
# name (it prints a bare address once the code that allocated them is
# unloaded), one line each.
# (The first line is a header, so that grep -f never reads an empty file,
# which busybox's grep takes as a pattern that matches every line.)
bare_callers() { echo "# areas whose caller has no name"; awk '$3 ~ /^0x[0-9a-f]+$/' /proc/vmallocinfo; }

section "baseline"
bare_callers >/tmp/fp-bare0
snapshot M0
snapshot M0b
fp "stage=noise $HEAD $(delta "$M0" "$M0b")"

section "loaded, idle"
ok "modprobe port53guard" modprobe port53guard
snapshot M1
size=$(awk '$1 == "port53guard" { print $2 }' /proc/modules)
core=$(cat $SM/coresize 2>/dev/null)
init=$(cat $SM/initsize 2>/dev/null)
nsec=$(ls -A $SM/sections 2>/dev/null | wc -l)
secs=$(ls -A $SM/sections 2>/dev/null | tr '\n' ',' | sed 's/,$//')
idle=$(counter exempt_bytes)
fp "stage=loaded $HEAD size=$size coresize=$core initsize=$init nsections=$nsec sections=$secs"
fp "stage=idle $HEAD exempt_entries=$(counter exempt_entries) exempt_bytes=$idle $(delta "$M0" "$M1")"
ok "/proc/modules gives a size ($size)" test "${size:-0}" -gt 0
ok "coresize ($core) is at most the /proc/modules size ($size)" \
	test "${core:-0}" -gt 0 -a "${core:-0}" -le "${size:-0}"
ok "the module has its sections listed ($nsec)" test "$nsec" -gt 0
ok "the idle table is empty (exempt_entries 0)" test "$(counter exempt_entries)" = 0
base=$(awk '$1 == "port53guard" { print $6 }' /proc/modules)
image=$(vm_area "$base")
ok "the module's image ($base) is a vmalloc area: ${image:-none}" test -n "$image"
# Where the module's code was: its image, and its init text (freed after
# load, when initsize reads 0; its address stays listed, and it ends where
# the next section begins, or within 64 KiB). A vmalloc area whose caller
# lies there was allocated by the module; other modules load and unload
# meanwhile.
img_lo=${image%%-*} img_hi=${image#*-} img_hi=${img_hi%% *}
init_lo=$(cat $SM/sections/.init.text 2>/dev/null)
init_hi=
if [ -n "$init_lo" ]; then
	init_hi=$(cat $SM/sections/* $SM/sections/.[!.]* 2>/dev/null | awk -v a="x${init_lo#0x}" '
		{ x = "x" substr($1, 3); if (length(x) == length(a) && x > a && (m == "" || x < m)) { m = x; v = $1 } }
		END { print (m == "" ? "" : v) }')
	[ -n "$init_hi" ] || init_hi=0x$(printf '%x' $((init_lo + 65536)))
fi

# list KIND FILE: 1,000 entries of one kind, made by one awk (a shell loop
# forks too often for the debug kernel). Addresses from the documentation,
# benchmarking and shared-address ranges; nothing is sent to them.
list() {
	awk -v k="$1" 'function v4host(i) { return sprintf("198.18.%d.%d", int(i / 250), i % 250 + 1) }
		function v4net(i) { return sprintf("100.%d.%d.0/24", 64 + int(i / 256), i % 256) }
		function v6net(i) { return sprintf("2001:db8:%x::/48", i) }
		BEGIN { for (i = 0; i < 1000; i++) {
			if (k == "v4host") print v4host(i)
			else if (k == "v4net") print v4net(i)
			else if (k == "v6net") print v6net(i)
			else if (i % 4 == 0) print v4host(i)	# mixed: a quarter each
			else if (i % 4 == 1) print v4net(i)
			else if (i % 4 == 2) print v6net(i)
			else printf "2001:db8:ffff:%x::/64\n", i } }' >"$2"
}

# Budgets that the table must stay under at 1,000 entries (bytes per entry);
# a regression guard with room, not a figure to aim at.
for kind in v4host:64 v4net:64 v6net:128 mixed:128; do
	k=${kind%:*} budget=${kind#*:}
	section "1,000 entries: $k"
	list $k /tmp/fp-$k.txt
	ok "$k: exempt replace of 1,000 entries" port53guard exempt replace /tmp/fp-$k.txt
	snapshot M2
	n=$(counter exempt_entries) b=$(counter exempt_bytes) t=$(counter exempt_text_bytes)
	fp "stage=$k $HEAD exempt_entries=$n exempt_bytes=$b per_entry=$(counter exempt_bytes_per_entry) text_bytes=$t $(delta "$M1" "$M2")"
	ok "$k: the table holds 1,000 entries ($n)" test "$n" = 1000
	ok "$k: the table takes more than the idle one ($b > $idle)" test "$b" -gt "$idle"
	ok "$k: at most $budget bytes per entry ($(counter exempt_bytes_per_entry))" \
		test "$(counter exempt_bytes_per_entry)" -le $budget
	if [ $k = mixed ]; then
		# Reading the list once caches its text until the list changes.
		cat $ST/exempt >/dev/null
		snapshot M3
		t=$(counter exempt_text_bytes)
		fp "stage=$k+text $HEAD exempt_entries=$n exempt_bytes=$b text_bytes=$t $(delta "$M1" "$M3")"
		ok "$k: the cached text is the list's size ($t = $(cat $ST/exempt | wc -c))" \
			test "$t" = "$(cat $ST/exempt | wc -c)"
	fi
done

section "flushed, unloaded"
ok "exempt flush" port53guard exempt flush
snapshot M4
fp "stage=flushed $HEAD exempt_entries=$(counter exempt_entries) exempt_bytes=$(counter exempt_bytes) $(delta "$M1" "$M4")"
ok "after flush the table is back to its idle size ($(counter exempt_bytes) = $idle)" \
	test "$(counter exempt_bytes)" = "$idle"

ok "rmmod port53guard" rmmod port53guard
snapshot M5
fp "stage=unloaded $HEAD $(delta "$M0" "$M5")"
ok "/sys/module/port53guard is gone" test ! -e $SM
# The module's image is vfree'd at unload, and nothing the module
# allocated outlives it: exact, by address, whatever else the kernel
# allocates meanwhile (VmallocUsed moves with kernel stacks and the like:
# its delta is in the stage=unloaded line above, a figure, not a test).
after=$(vm_area "$base")
ok "after rmmod the module's image is gone from vmallocinfo (${after:-no area at $base})" \
	test -z "$after" -o "$after" != "$image"
bare_callers >/tmp/fp-bare1
# in_code 1|0: the lines whose caller (field 3) lies (1) or does not lie
# (0) in the module's image or init text; compared as strings of one
# width, as vm_area does.
in_code() {
	awk -v want="$1" -v a="x${img_lo#0x}" -v b="x${img_hi#0x}" -v c="x${init_lo#0x}" -v d="x${init_hi#0x}" '
		function within(x, lo, hi) { return length(x) == length(lo) && lo <= x && x < hi }
		{ x = "x" substr($3, 3) }
		(within(x, a, b) || (d != "x" && within(x, c, d))) == want'
}
grep -v -x -F -f /tmp/fp-bare0 /tmp/fp-bare1 >/tmp/fp-new
in_code 1 </tmp/fp-new >/tmp/fp-stray
stray=$(wc -l </tmp/fp-stray)
ok "after rmmod no vmalloc area was allocated by the module's code, image $img_lo-$img_hi, init ${init_lo:-none}-${init_hi:-none} ($stray: $(head -n 1 /tmp/fp-stray))" \
	test "$stray" = 0
# Areas other code left meanwhile, for the record.
in_code 0 </tmp/fp-new | sed 's/^/# new area, not the module'"'"'s: /'
exit $T_FAILED
