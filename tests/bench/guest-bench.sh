#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark, inside one guest boot (run by tests/bench/run.sh through
# the guest init as /p53g/guest/bench.sh).
#
#   +--------- ns peer ---------+    +------------ ns dut ------------+    +-- ns sink --+
#   | veth-peer 192.0.2.2/24    |<-->| veth-dut 192.0.2.1/24          |    |             |
#   |                           |    |  pktgen (netif_receive) injects |    |             |
#   |                           |    |  192.0.2.2 -> 192.0.2.1:PORT    |    |             |
#   |                           |    |  or -> 198.51.100.2:5353,       |    |             |
#   |                           |    |  forwarded out veth-fwd  ------>|--->| veth-sink   |
#   +---------------------------+    +---------------------------------+    +-------------+
#
# Forwarded frames go to a neighbour address no one has (a permanent
# entry): sink discards them as another host's, at the cost of nothing
# the configurations differ in.
#
# pktgen builds each 60-byte UDP frame and hands it to netif_receive_skb()
# of veth-dut on CPU 0, so its rate is the cost of the whole receive path:
# netfilter, the verdict, and any ICMP reply (which crosses the veth and is
# received by peer on the same CPU). Every configuration runs in every
# repetition; the guard's block and the rest swap order on odd and even
# repetitions. Lines printed for the host:
#   P53G-BENCH inj=I limits=L rep=R config=C n=N pps=P sent=S icmp=U [acct=A]
# (U: ICMP unreachables dut sent; A: port-53 packets the guard counted)
#   P53G-BENCH-LOAD what=W n=N rep=R secs=S kib=K [bytes=B]
# (loading N prefixes: S guest seconds, K KiB more kernel memory:
# unreclaimable slab, vmalloc and per-CPU; B the guard's own count of its
# table's bytes)
#   P53G-BENCH-NOTE text
# Under QEMU's instruction counter (make bench's default) a guest second
# is 10^9 instructions and pps counts packets per 10^9 instructions.
# Parameters come from /p53g/bench/params.sh (BENCH_SECS, BENCH_REPS,
# BENCH_NS, BENCH_LIMITS, BENCH_E2E).
. /p53g/guest/lib.sh
. /p53g/bench/params.sh
B=/p53g/bench
# Every rule, set and table lives in dut, where pktgen injects.
IPT="$IP netns exec $(ns dut) /usr/sbin/iptables-legacy"
NFT="$IP netns exec $(ns dut) nft"
IPSET="$IP netns exec $(ns dut) ipset"
PG=/proc/net/pktgen

note() { echo "P53G-BENCH-NOTE $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# kernel memory in KiB: unreclaimable slab, vmalloc, per-CPU
kmem() { awk '/^(SUnreclaim|VmallocUsed|Percpu):/ { s += $2 } END { print s }' /proc/meminfo; }
# load WHAT N CMD...: load a set, print its cost (guest time, kernel memory)
load() {
	_w=$1 _n=$2; shift 2
	sync; echo 3 >/proc/sys/vm/drop_caches
	_m0=$(kmem) _t0=$(uptime_s)
	"$@" || { note "$_w: loading $_n prefixes FAILED"; return 1; }
	_t1=$(uptime_s)
	sync; echo 3 >/proc/sys/vm/drop_caches
	_b=
	[ "$_w" = guard ] && _b=" bytes=$(awk '$1 == "exempt_bytes" { print $2 }' /sys/kernel/port53guard/stats)"
	echo "P53G-BENCH-LOAD what=$_w n=$_n rep=${rep:-0} secs=$(echo "$_t1 $_t0" | awk '{ printf "%.3f", $1 - $2 }') kib=$(($(kmem) - _m0))$_b"
}
NCPU=$(grep -c ^processor /proc/cpuinfo)

# --- topology ----------------------------------------------------------
setup_ns dut peer sink
$IP link add veth-dut netns "$(ns dut)" type veth peer name veth-peer netns "$(ns peer)"
in_ns dut $IP link set lo up
in_ns peer $IP link set lo up
in_ns dut $IP addr add $DUT4/24 dev veth-dut
in_ns peer $IP addr add $PEER4/24 dev veth-peer
in_ns dut $IP link set veth-dut up
in_ns peer $IP link set veth-peer up
$IP link add veth-fwd netns "$(ns dut)" type veth peer name veth-sink netns "$(ns sink)"
in_ns dut $IP addr add 198.51.100.1/24 dev veth-fwd
in_ns dut $IP link set veth-fwd up
in_ns sink $IP link set veth-sink up
in_ns dut $IP neigh replace 198.51.100.2 dev veth-fwd lladdr 02:00:00:00:53:53 nud permanent
in_ns dut sysctl -qw net.ipv4.ip_forward=1
wait_until 5 in_ns peer ping -c1 -W1 $DUT4 >/dev/null || note "peer does not reach dut"
# Static neighbours: no ARP traffic during a run.
in_ns dut $IP neigh replace $PEER4 dev veth-dut lladdr "$(in_ns peer cat /sys/class/net/veth-peer/address)" nud permanent
in_ns peer $IP neigh replace $DUT4 dev veth-peer lladdr "$(in_ns dut cat /sys/class/net/veth-dut/address)" nud permanent

# limits default|off: the kernel's ICMP limits in dut (and the guard's rate).
limits() {
	if [ "$1" = off ]; then
		in_ns dut sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_ratemask=0
		[ -d /sys/kernel/port53guard ] && port53guard set rate 0
	else
		in_ns dut sysctl -qw net.ipv4.icmp_ratelimit=$RL_DEFAULT net.ipv4.icmp_ratemask=$RM_DEFAULT
		[ -d /sys/kernel/port53guard ] && port53guard set rate "$GUARD_RATE"
	fi
}
RL_DEFAULT=$(in_ns dut sysctl -n net.ipv4.icmp_ratelimit)
RM_DEFAULT=$(in_ns dut sysctl -n net.ipv4.icmp_ratemask)
note "dut ICMP defaults: icmp_ratelimit=$RL_DEFAULT icmp_ratemask=$RM_DEFAULT icmp_msgs_per_sec=$(in_ns dut sysctl -n net.ipv4.icmp_msgs_per_sec) icmp_msgs_burst=$(in_ns dut sysctl -n net.ipv4.icmp_msgs_burst)"
if nft list table inet p53g_keep >/dev/null 2>&1; then
	note "the guest's permanent empty nft chains (inet p53g_keep, on every hook) live in the initial namespace, in every configuration alike: dut's packets never traverse them, they only keep netfilter's static keys on"
fi

# --- pktgen ------------------------------------------------------------
modprobe pktgen || note "modprobe pktgen failed"
in_ns dut sh -c "
	echo rem_device_all >$PG/kpktgend_0
	echo add_device veth-dut >$PG/kpktgend_0
	for c in 'count 0' 'pkt_size 60' 'xmit_mode netif_receive' 'burst 1' 'delay 0' \
		'src_min $PEER4' 'src_max $PEER4' \
		'dst_mac $(in_ns dut cat /sys/class/net/veth-dut/address)' \
		'udp_src_min 40000' 'udp_src_max 40000'; do
		echo \"\$c\" >$PG/veth-dut
	done" || note "pktgen setup failed"

# pktgen_run PORT [DST]: inject for BENCH_SECS; prints "PPS SENT"
pktgen_run() {
	in_ns dut sh -c "
		echo 'dst ${2:-$DUT4}' >$PG/veth-dut
		echo 'udp_dst_min $1' >$PG/veth-dut
		echo 'udp_dst_max $1' >$PG/veth-dut
		echo start >$PG/pgctrl &
		sleep $BENCH_SECS
		echo stop >$PG/pgctrl
		wait
		awk '/^Result: OK/ { r = 1; next } r && /pps/ { sub(/pps/, \"\", \$1); print \$1; exit }' $PG/veth-dut
		sed -n 's/.*sofar: \([0-9]*\).*/\1/p' $PG/veth-dut | head -n1" | tr '\n' ' '
}

# e2e_run PORT: sendmmsg from peer for BENCH_SECS; counts what reached
# veth-dut (its rx_packets); prints "PPS SENT"
e2e_run() {
	_rx0=$(in_ns dut cat /sys/class/net/veth-dut/statistics/rx_packets)
	_o=$(in_ns peer taskset -c 0 p53g-flood send $DUT4 "$1" "$BENCH_SECS")
	_rx1=$(in_ns dut cat /sys/class/net/veth-dut/statistics/rx_packets)
	echo "$_o" | awk -v d=$((_rx1 - _rx0)) '{ split($1, a, "="); split($2, b, "=");
		printf "%d %d", d / b[2], a[2] }'
}

# raw_measure CONFIG CASE: hand-built frames (p53g-raw, AF_PACKET) from
# peer for BENCH_SECS, pinned to CPU 0 as pktgen is: what reached veth-dut
# a guest second. The injector for what pktgen cannot build (a wrong UDP
# checksum); its figures compare only with each other (inj=raw).
raw_measure() {
	[ -n "${BENCH_ONLY:-}" ] && case " $BENCH_ONLY " in *" $1 "*) ;; *) return 0 ;; esac
	limits default
	_mac=$(in_ns dut cat /sys/class/net/veth-dut/address)
	_u=$(unreach4)
	_rx0=$(in_ns dut cat /sys/class/net/veth-dut/statistics/rx_packets)
	in_ns peer taskset -c 0 p53g-raw send -I veth-peer -M "$_mac" -s $PEER4 -d $DUT4 -p 53 -n 1000000000 \
		-T "$BENCH_SECS" "$2" >/dev/null
	_rx1=$(in_ns dut cat /sys/class/net/veth-dut/statistics/rx_packets)
	echo "P53G-BENCH inj=raw limits=default rep=$rep config=$1 n=0 pps=$(((_rx1 - _rx0) / BENCH_SECS)) sent=$((_rx1 - _rx0)) icmp=$(($(unreach4) - _u))"
}

# What the guard decided for port-53 packets (every one of them is one of
# these; traffic to 5353 and ICMP errors arriving in peer count as passed).
guard_acct() {
	awk '$1 == "rejected" || $1 == "dropped" || $1 == "exempted" { s += $2 } END { print s }' \
		/sys/kernel/port53guard/stats
}
# ICMP destination unreachable messages dut has sent
unreach4() {
	in_ns dut awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $(c["OutDestUnreachs"]) }' /proc/net/snmp
}

# measure CONFIG N PORT [DST]: one figure per injector and limit setting
measure() {
	_dst=${4:-$DUT4}
	[ -n "${BENCH_ONLY:-}" ] && case " $BENCH_ONLY " in *" $1 "*) ;; *) return 0 ;; esac
	for lim in $BENCH_LIMITS; do
		limits "$lim"
		for inj in pktgen $BENCH_E2E; do
			[ "$inj" = e2e ] && case " $E2E_CONFIGS " in *" $1 "*) ;; *) continue ;; esac
			[ "$inj" = e2e ] && { [ "$lim" != default ] || [ "$2" -gt 1000 ]; } && continue
			[ "$inj" = e2e ] && [ "$_dst" != "$DUT4" ] && continue
			_g=
			[ -d /sys/kernel/port53guard ] && [ "$3" = 53 ] &&
				{ echo 0 >/sys/kernel/port53guard/stats; _g=1; }
			_u=$(unreach4)
			if [ $inj = pktgen ]; then set -- "$1" "$2" "$3" $(pktgen_run "$3" "$_dst")
			else set -- "$1" "$2" "$3" $(e2e_run "$3"); fi
			_a=
			[ -n "$_g" ] && _a=" acct=$(guard_acct)"
			echo "P53G-BENCH inj=$inj limits=$lim rep=$rep config=$1 n=$2 pps=$4 sent=$5 icmp=$(($(unreach4) - _u))$_a"
			set -- "$1" "$2" "$3"
		done
	done
}
E2E_CONFIGS="none none-5353 nft-reject guard guard-5353 nftset guard-drop"

nft_chain() { # nft_chain TABLE RULE [HOOK]: a base chain on input (or HOOK) with one rule
	$NFT -f - <<-EOF
	table inet $1 {
		chain in {
			type filter hook ${3:-input} priority 0;
			$2
		}
	}
	EOF
}
FWD=198.51.100.2
# pub_nat: dut publishes port 53 to FWD:5353 (DNAT, as docker -p 53:5353):
# what arrives for 53 is routed on, and judged on FORWARD.
pub_nat() {
	$NFT -f - <<-EOF
	table ip bpub {
		chain pre {
			type nat hook prerouting priority dstnat;
			udp dport 53 dnat to $FWD:5353
		}
	}
	EOF
}

# --- the sets, loaded once; a configuration only hooks a chain to one ---
for n in $BENCH_NS; do
	[ "$n" = 0 ] && continue
	if load nft "$n" $NFT -f $B/nft-$n.nft; then
		have_nft="$have_nft $n"
	else
		$NFT delete table inet bset_$n 2>/dev/null
	fi
	rm -f $B/nft-$n.nft
	if load ipset "$n" $IPSET restore -f $B/ipset-$n.txt; then
		have_ipset="$have_ipset $n"
		# run.sh pins the hash seed, so that two boots hash alike
		note "ipset ex_$n: $($IPSET list -t ex_$n | grep -o 'initval [^ ]*' || echo 'no initval: seeded at random')"
	else
		$IPSET destroy ex_$n 2>/dev/null
	fi
	rm -f $B/ipset-$n.txt
done
note "iptables measured: $($IPT --version) (x_tables, not the nft backend)"

block_rest() {
	measure none 0 53
	measure none-5353 0 5353
	# The floor for any guard on LOCAL_IN: a hook in dut that does nothing.
	nft_chain bench "" && measure nft-hook-5353 0 5353 &&
		raw_measure hook-norec-raw norec
	$NFT delete table inet bench
	measure fwd-none 0 5353 $FWD
	# the same floor on FORWARD: an empty chain there
	nft_chain bench "" forward && measure fwd-nft-hook 0 5353 $FWD
	$NFT delete table inet bench
	nft_chain bench "udp dport 53 drop" && measure nft-drop 0 53
	$NFT delete table inet bench
	nft_chain bench "udp dport 53 reject" && measure nft-reject 0 53
	$NFT delete table inet bench
	$IPT -A INPUT -p udp --dport 53 -j REJECT && measure ipt-reject 0 53
	$IPT -F INPUT
	for n in $have_nft; do
		$NFT add chain inet bset_$n in '{ type filter hook input priority 0; }' &&
		$NFT add rule inet bset_$n in udp dport 53 ip saddr != @ex reject &&
			measure nftset "$n" 53
		$NFT delete chain inet bset_$n in ||
			{ $NFT flush chain inet bset_$n in; $NFT delete chain inet bset_$n in; }
	done
	for n in $have_ipset; do
		$IPT -A INPUT -p udp --dport 53 -m set ! --match-set ex_$n src -j REJECT &&
			measure ipset "$n" 53
		$IPT -F INPUT
	done
	# iptable_filter's hooks stay until it is unloaded: no trace left for
	# the next configuration.
	rmmod iptable_filter 2>/dev/null || note "rmmod iptable_filter failed: $(lsmod | grep iptable)"
}

block_guard() {
	modprobe port53guard max_entries=$GUARD_MAX || { note "modprobe port53guard failed"; return; }
	[ -n "$GUARD_RATE" ] || GUARD_RATE=$(cat /sys/kernel/port53guard/rate)
	for n in $BENCH_NS; do
		if [ "$n" = 0 ]; then port53guard exempt flush
		else load guard "$n" port53guard exempt replace $B/pfx-$n.txt
		fi && measure guard "$n" 53
	done
	port53guard exempt flush
	port53guard exempt add $PEER4
	# the drain on the other CPU when there is one
	_cpu=$((NCPU > 1 ? 1 : 0))
	$IP netns exec "$(ns dut)" taskset -c $_cpu p53g-flood drain 53 >/tmp/drain.out &
	drain=$!
	wait_until 5 grep -q ready /tmp/drain.out || note "drain listener did not start"
	measure guard-exempt 1 53
	kill $drain
	wait $drain
	note "drain listener: $(cat /tmp/drain.out | tr '\n' ' ')"
	port53guard exempt flush
	measure guard-5353 0 5353
	measure fwd-guard 0 5353 $FWD
	# pktgen's payload begins with its magic, be 9b e9 55: as a DNS header,
	# flags 0xe9 (QR 1, RD 1), so authoritative 1 reads it and refuses it
	port53guard set authoritative 1 && measure guard-auth 0 53 &&
		raw_measure guard-auth-norec-raw norec
	port53guard set authoritative 0
	port53guard set action drop && measure guard-drop 0 53
	# a flood with wrong UDP checksums, beside action drop, one injector
	raw_measure guard-drop-raw udp
	port53guard set action reject
	raw_measure guard-badsum-raw badsum
	rmmod port53guard || note "rmmod port53guard failed"
}

# Last in each repetition: what brings conntrack and NAT into dut (they
# stay registered there once used), so that every other configuration of
# a repetition sees dut as the one before it did.
block_pub() {
	# A published port 53: nft's own forward rules for it, the drop (the
	# floor: conntrack, NAT and routing cost every configuration alike)
	# and the reject the guard does.
	pub_nat
	nft_chain bench "meta l4proto udp ct status dnat ct original proto-dst 53 drop" forward &&
		measure pub-nft-drop 0 53
	$NFT delete table inet bench
	nft_chain bench "meta l4proto udp ct status dnat ct original proto-dst 53 reject" forward &&
		measure pub-nft-reject 0 53
	$NFT delete table inet bench
	$NFT delete table ip bpub
	# A host whose module cannot load: the nftables fallback, at the
	# guard's rate, with no exemption.
	printf 'set rate %s\nexempt flush\n' "${GUARD_RATE:-300}" >/tmp/fb-bench.conf
	in_ns dut port53guard fallback /tmp/fb-bench.conf && measure fallback 0 53
	in_ns dut port53guard fallback --remove
	modprobe port53guard || { note "modprobe port53guard failed"; return; }
	pub_nat
	measure pub-guard 0 53
	$NFT delete table ip bpub
	rmmod port53guard || note "rmmod port53guard failed"
}

rep=1
while [ $rep -le "$BENCH_REPS" ]; do
	section "repetition $rep"
	if [ $((rep % 2)) = 1 ]; then block_rest; block_guard
	else block_guard; block_rest; fi
	block_pub
	rep=$((rep + 1))
done
note "done at $(uptime_s) s"
