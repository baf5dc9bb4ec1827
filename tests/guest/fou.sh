#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# FOU/GUE, the documented limit: on a host with a GUE receive port (ip fou
# add port 5555 gue), a datagram to that port carrying a GUE header and a
# UDP query to port 53 is handed to UDP past netfilter, so neither the
# guard nor a LOCAL_IN rule sees the inner query. The test shows that it
# is so (the README's threat model says it), that the guard counts the
# outer datagram as passed, that verify warns of the port, and that the
# operator's remedy (drop UDP to the port from untrusted sources) holds.
#
#   ns peer: p53g-raw send ... gue  --->  ns dut: GUE port 5555, guard,
#                                         p53g-raw listen on :53
. /p53g/guest/lib.sh

if ! modprobe fou 2>/dev/null; then
	echo "# this kernel has no fou module: nothing to show"
	ok "the kernel has no FOU ($(uname -r)): no GUE port can be configured" \
		sh -c "! $IP fou show 2>/dev/null | grep -q port"
	exit $T_FAILED
fi
topo_up
DUTMAC=$(in_ns dut cat /sys/class/net/veth-dut/address)
modprobe port53guard || fail "modprobe port53guard"
ok "ip fou add port 5555 gue, in dut" nsx dut $IP fou add port 5555 gue
# One listener on dut's port 53 for the whole test: each datagram it
# receives is one line "datagram from=ADDR".
rm -f /tmp/fou-l.out
$IP netns exec "$(ns dut)" p53g-raw listen -t 3600000 >/tmp/fou-l.out 2>&1 &
lpid=$!
wait_until 30 grep -q ready /tmp/fou-l.out || fail "the listener on dut:53 started"
cleanup() { kill $lpid 2>/dev/null; }
# gue_through: one GUE datagram from peer, then a query over dut's own
# loopback as a barrier (the listener logs it after anything that reached
# it before); prints how many datagrams other than the barrier the
# listener on 53 received meanwhile.
since() { tail -n +$(($1 + 1)) /tmp/fou-l.out | grep "^datagram"; }
barrier_heard() { since "$1" | grep -q "from=127\.0\.0\.1"; }
gue_through() {
	_l0=$(wc -l </tmp/fou-l.out)
	nsx peer p53g-raw send -I veth-peer -M "$DUTMAC" -s $PEER4 -d $DUT4 -p 5555 -q 20053 gue \
		>/dev/null
	nsx dut p53g-udpprobe -t 100 127.0.0.1 >/dev/null 2>&1
	wait_until 30 barrier_heard "$_l0" || echo "# the barrier query never reached the listener" >&2
	since "$_l0" | grep -c -v "from=127\.0\.0\.1"
}
p0=$(awk '$1 == "passed" { print $2 }' $ST/stats)
r0=$(awk '$1 == "rejected" { print $2 }' $ST/stats)
n=$(gue_through)
ok "the inner query to 53 reaches the listener past the guard (received=$n): the documented limit" \
	test "$n" = 1
ok "the guard saw only the outer datagram, to 5555: passed +1" \
	test $(($(awk '$1 == "passed" { print $2 }' $ST/stats) - p0)) -ge 1
ok "and refused nothing" test "$(awk '$1 == "rejected" { print $2 }' $ST/stats)" = "$r0"
nsx dut port53guard verify >/tmp/fou-v.out 2>&1
ok "verify warns of the GUE port, with the remedy" \
	grep -q "^warn  fou .*port 5555 gue.*drop UDP to it from untrusted sources" /tmp/fou-v.out
# the remedy the threat model names
nsx dut nft -f - <<-EOF
table inet p53g_fou {
	chain in {
		type filter hook input priority filter;
		udp dport 5555 ip saddr != 198.51.100.0/24 drop
	}
}
EOF
n=$(gue_through)
ok "with UDP to 5555 dropped from untrusted sources, nothing reaches 53 (received=$n)" test "$n" = 0
nsx dut nft delete table inet p53g_fou
nsx dut $IP fou del port 5555
rmmod port53guard
exit $T_FAILED
