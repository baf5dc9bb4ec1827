# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the stress guest tests (tests/guest/stress-*.sh), on
# top of lib.sh. Sourced, not run.
#
# Scale: p53g.stress=long on the kernel command line selects the issue's
# full numbers; otherwise each test runs a short form sized for make check.
# SLOW=1 on the debug kernel (KASAN, lockdep, kmemleak), whose packet path
# is about 60 times slower under emulation: loads there are sized in
# thousands of packets per second, not tens of thousands.
#
# Every stress test ends with exactly one machine-readable row for the
# host's table (stress_row):
#   P53G-STRESS test=NAME packets=N seconds=N ops=N faults=N inputs=N lost=N misclassified=N
. /p53g/guest/lib.sh

LONG=0
grep -q 'p53g\.stress=long' /proc/cmdline && LONG=1
BOUND=30
[ $SLOW = 1 ] && BOUND=180
# The counts behind the row; tests add to them.
S_LOST=0
S_MIS=0
S_T0=$(cut -d. -f1 /proc/uptime)

# The guest's uptime in hundredths of a second.
now_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }
# lost N / mis N: what an assertion found wrong, for the row.
lost() { S_LOST=$((S_LOST + $1)); }
mis() { S_MIS=$((S_MIS + $1)); }

# The ICMP limits of the host and of namespace $1 out of the way: every
# reply the guard allows is sent. Not larger: 6.1 multiplies
# msgs_per_sec by jiffies in 32 bits.
icmp_unlimited() {
	for _c in sysctl "nsx $1 sysctl"; do
		$_c -qw net.ipv4.icmp_msgs_per_sec=1000000 2>/dev/null
		$_c -qw net.ipv4.icmp_msgs_burst=1000000 2>/dev/null
	done
	nsx "$1" sysctl -qw net.ipv4.icmp_ratemask=0
	nsx "$1" sysctl -qw net.ipv6.icmp.ratemask=0
}

# topo_up, plus what spoofed floods need: static neighbours (no ARP/ND to
# disturb counts), no reverse-path filter in dut, routes in dut towards
# the peer for the spoofed sources (the peer does not forward, so replies
# to them die there, seen only by a tap), ICMP limits off.
# Spoofed ranges: 10.0.0.0/8, 198.18.0.0/15, 2001:db8:a000::/35.
stress_topo() {
	topo_up
	DUTMAC=$(in_ns dut cat /sys/class/net/veth-dut/address)
	PEERMAC=$(in_ns peer cat /sys/class/net/veth-peer/address)
	in_ns dut $IP neigh replace $PEER4 lladdr "$PEERMAC" dev veth-dut nud permanent
	in_ns dut $IP -6 neigh replace $PEER6 lladdr "$PEERMAC" dev veth-dut nud permanent
	in_ns peer $IP neigh replace $DUT4 lladdr "$DUTMAC" dev veth-peer nud permanent
	in_ns peer $IP -6 neigh replace $DUT6 lladdr "$DUTMAC" dev veth-peer nud permanent
	in_ns dut $IP route add 10.0.0.0/8 via $PEER4
	in_ns dut $IP route add 198.18.0.0/15 via $PEER4
	in_ns dut $IP -6 route add 2001:db8:a000::/35 via $PEER6
	for _d in all default veth-dut lo; do
		in_ns dut sysctl -qw net.ipv4.conf.$_d.rp_filter=0
	done
	icmp_unlimited dut
}

peer_send() { nsx peer p53g-raw send -I veth-peer -M "$DUTMAC" "$@"; }

# count_chain NS (- for the initial namespace): an nft base chain of our own on input at priority 0,
# before the guard (NF_IP_PRI_FILTER + 1), counting in order: UDP/53 (both
# families), UDP/53 over IPv6, every packet. What it counts is what
# reached the guard's hook in that namespace (nothing between them drops).
count_chain() {
	nsx "$1" nft -f - <<-EOF
	table inet p53g_st {
		chain input {
			type filter hook input priority 0;
			meta l4proto udp udp dport 53 counter
			meta nfproto ipv6 meta l4proto udp udp dport 53 counter
			counter
		}
	}
	EOF
}
# nft_counts NS: "UDP53 UDP53V6 ALL" from that chain.
nft_counts() {
	nsx "$1" nft list chain inet p53g_st input |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") v[n++] = $(i + 1) }
			END { print v[0] + 0, v[1] + 0, v[2] + 0 }'
}

# stress_row NAME PACKETS OPS FAULTS INPUTS: the row for the host's table;
# seconds since the test began, lost and misclassified from lost/mis.
stress_row() {
	echo "P53G-STRESS test=$1 packets=$2 seconds=$(($(cut -d. -f1 /proc/uptime) - S_T0)) ops=$3 faults=$4 inputs=$5 lost=$S_LOST misclassified=$S_MIS"
}

# flood_loop OUT ARGS...: queries (p53g-raw send ARGS... udp) from peer to
# dut until $STOP exists, each run's "sent=" line appended to OUT. Stock:
# 5 s runs at full speed, niced a little so that the control plane under
# test (writers, modprobe) gets its turn on the guest's two CPUs; the
# packet path's softirq work is done whoever's turn it is. Debug kernel:
# bursts of 20 every 50 ms, about what its packet path absorbs, so that a
# probe never waits behind a backlog of thousands of frames.
flood_loop() {
	_o=$1; shift
	while [ ! -e $STOP ]; do
		if [ $SLOW = 1 ]; then
			nsx peer p53g-raw send -I veth-peer -M "$DUTMAC" \
				-n 20 "$@" udp || echo "sender-failed"
			sleep 0.05
		else
			sh -c 'renice -n 4 -p $$ >/dev/null; exec "$@"' sh \
				nsenter --net=/run/netns/"$(ns peer)" p53g-raw send -I veth-peer -M "$DUTMAC" \
				-n 1000000000 -T 5 "$@" udp || echo "sender-failed"
		fi
	done >>"$_o" 2>&1
}
