#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The first working guard, end to end (topology in lib.sh: ns peer probes
# ns dut over veth, IPv4 and IPv6).
#   1. without the module a datagram to dut:53 reaches a listener there;
#   2. with it, the probe gets ICMP port unreachable (type 3 code 3, ICMPv6
#      type 1 code 4) read from a raw ICMP socket and from the error queue,
#      and the listener on 53 receives nothing;
#   3. a listener on another port is unaffected;
#   4. DNS over loopback in dut is answered (dnsmasq + dig);
#   5. after rmmod the same datagram reaches the listener again.
. /p53g/guest/lib.sh

# Timeouts are generous: on a loaded 2-CPU host an emulated guest can stall
# for seconds. They cost nothing when things work: the probe returns on the
# first ICMP error or reply, and the listener on its first datagram.

# probe_to FAMILYFLAG ADDR PORT OUT: one datagram from peer.
probe_to() {
	in_ns peer p53g-udpprobe $1 -p "$3" -t 3000 "$2" >"$4" 2>&1
}

# listen_once NS FAMILYFLAG PORT OUT [-r]: background listener taking one datagram.
listen_once() {
	listen_bg "$1" "$4" $2 -p "$3" -t 15000 -c 1 $5
}

# listener_got OUT: wait for the listener to take its datagram, print its count.
listener_got() {
	wait_until 15 grep -q received= "$1"
	field received "$1"
}

# listener_stopped OUT: the probe has its answer, so whatever reached dut has
# been delivered or dropped; stop the listener and print its count.
listener_stopped() {
	killall -TERM p53g-listen 2>/dev/null
	wait_until 5 grep -q received= "$1"
	field received "$1"
}

# ICMP destination-unreachable messages dut has sent (v4 and v6), read by
# column name because the column set differs between kernels.
unreach4() {
	in_ns dut awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $(c["OutDestUnreachs"]) }' /proc/net/snmp
}
unreach6() { in_ns dut awk '$1 == "Icmp6OutDestUnreachs" { print $2 }' /proc/net/snmp6; }

topo_up

# 1. Baseline: proves the probe and listener can see a delivered query.
for fam in 4 6; do
	f=; addr=$DUT4; [ $fam = 6 ] && { f=-6; addr=$DUT6; }
	listen_once dut "$f" 53 /tmp/l.out
	probe_to "$f" $addr 53 /tmp/p.out
	ok "IPv$fam without module: listener on 53 receives the probe" \
		test "$(listener_got /tmp/l.out)" = 1
	ok "IPv$fam without module: no ICMP error comes back" \
		test "$(field icmp /tmp/p.out)" = 0
	wait
done

ok "modprobe port53guard" modprobe port53guard
ok "port53guard is listed in /proc/modules" grep -q '^port53guard ' /proc/modules
# Stock kernels build the reject helpers as modules: depmod must pull them in.
if grep -q 'nf_reject_ipv4.ko' "/lib/modules/$(uname -r)/modules.dep"; then
	for m in nf_reject_ipv4 nf_reject_ipv6; do
		ok "modprobe pulled in $m" grep -q "^$m " /proc/modules
	done
fi

# 2. Blocked: ICMP error with the right type and code, listener starved.
b4=$(unreach4) b6=$(unreach6)
for fam in 4 6; do
	f=; addr=$DUT4; type=3; code=3
	[ $fam = 6 ] && { f=-6; addr=$DUT6; type=1; code=4; }
	listen_once dut "$f" 53 /tmp/l.out
	probe_to "$f" $addr 53 /tmp/p.out
	ok "IPv$fam: probe to port 53 gets ICMP type $type code $code on a raw socket" \
		grep -q "^icmp type=$type code=$code embedded_dport=53 " /tmp/p.out
	ok "IPv$fam: the error queue sees the same type $type code $code" \
		grep -q "errqueue_type=$type errqueue_code=$code" /tmp/p.out
	ok "IPv$fam: listener on port 53 in dut never receives the probe" \
		test "$(listener_stopped /tmp/l.out)" = 0
	wait
done
a4=$(unreach4) a6=$(unreach6)
ok "IPv4: dut sent exactly one ICMP destination unreachable ($b4 -> $a4)" \
	test $((a4 - b4)) = 1
ok "IPv6: dut sent exactly one ICMPv6 destination unreachable ($b6 -> $a6)" \
	test $((a6 - b6)) = 1

# 3. Another port is not touched.
for fam in 4 6; do
	f=; addr=$DUT4; [ $fam = 6 ] && { f=-6; addr=$DUT6; }
	listen_once dut "$f" 5353 /tmp/l.out -r
	probe_to "$f" $addr 5353 /tmp/p.out
	ok "IPv$fam: a listener on port 5353 receives and answers" \
		grep -q '^reply bytes=' /tmp/p.out
	ok "IPv$fam: the 5353 listener counted the datagram" \
		test "$(listener_got /tmp/l.out)" = 1
	wait
done

# 4. DNS over loopback inside dut keeps working.
in_ns dut dnsmasq --user=root --group=root --no-resolv --no-hosts --bind-interfaces \
	--listen-address=127.0.0.1 --listen-address=::1 --interface=lo \
	--address=/example.test/192.0.2.53 --pid-file=/tmp/dnsmasq.pid
wait_until 5 test -s /tmp/dnsmasq.pid || fail "dnsmasq started in dut"
for srv in 127.0.0.1 ::1; do
	ans=$(in_ns dut dig +short +time=2 +tries=1 @$srv example.test A 2>&1)
	ok "DNS over loopback ($srv) in dut is answered ($ans)" test "$ans" = 192.0.2.53
done
kill "$(cat /tmp/dnsmasq.pid)" 2>/dev/null

# 5. Unloaded: no hook left behind.
ok "rmmod port53guard" rmmod port53guard
ok "port53guard is gone from /proc/modules" sh -c '! grep -q "^port53guard " /proc/modules'
for fam in 4 6; do
	f=; addr=$DUT4; [ $fam = 6 ] && { f=-6; addr=$DUT6; }
	listen_once dut "$f" 53 /tmp/l.out
	probe_to "$f" $addr 53 /tmp/p.out
	ok "IPv$fam after rmmod: the probe reaches the listener on 53" \
		test "$(listener_got /tmp/l.out)" = 1
	ok "IPv$fam after rmmod: no ICMP error" test "$(field icmp /tmp/p.out)" = 0
	wait
done

topo_down
