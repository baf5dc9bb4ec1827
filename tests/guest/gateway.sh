#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The home-gateway scenario: a router answers DNS for its LAN and must not
# answer it from the Internet. One namespace per host:
#
#   ns lan1: eth0 192.0.2.11  2001:db8:1::11 --+
#                                              |  ns gw: br-lan 192.0.2.1  2001:db8:1::1
#                                              +-- p-lan1, p-lan2 (bridge ports)
#   ns lan2: eth0 192.0.2.12  2001:db8:1::12 --+         wan 198.51.100.1  2001:db8:2::1
#                                                         dnsmasq on every interface (:53)
#   ns inet: isp0 198.51.100.2  2001:db8:2::2 ----------- wan
#            dnsmasq :53 (a resolver on the Internet)
#
# The guard is loaded by `modprobe port53guard` with its settings from
# /etc/modprobe.d/port53guard.conf: `options port53guard exempt=dev:br-lan`.
# Asserted: lan1 and lan2 get answers over IPv4 and IPv6; a LAN host that
# addresses the gateway's WAN address is answered too (the exemption is by
# input interface, not by address), and an Internet host that addresses the
# gateway's LAN address is refused; the Internet host is refused with ICMP
# port unreachable over both families (dig: connection refused); the
# gateway's own lookups over loopback work; the counters show exactly the
# refused WAN queries, the exempted LAN ones and the loopback ones; after
# rmmod the Internet host is answered again. A LAN host's own lookup at the
# resolver on the Internet is forwarded by the gateway (masqueraded over
# IPv4, routed over IPv6) and answered: the guard never touches routed
# traffic that was not DNATed from port 53.
#
# The hooks are in every namespace (the guard is per host, these are all
# one kernel), so the counters are global: only the gateway receives
# queries here, the other namespaces only receive answers (from port 53,
# which pass). Documentation prefixes only; nothing leaves the guest.
# Portable: no architecture assumptions (the cross-architecture guests run
# it too).
. /p53g/guest/lib.sh

CONF=/etc/modprobe.d/port53guard.conf
GW_LAN4=192.0.2.1 GW_LAN6=2001:db8:1::1
GW_WAN4=198.51.100.1 GW_WAN6=2001:db8:2::1
LAN1_4=192.0.2.11 LAN1_6=2001:db8:1::11
LAN2_4=192.0.2.12 LAN2_6=2001:db8:1::12
INET4=198.51.100.2 INET6=2001:db8:2::2
NAME=gw.example.test ANSWER=192.0.2.53 INET_ANSWER=203.0.113.53

# The debug kernel (KASAN, lockdep) is ~60x slower on the packet path and
# slow emulated guests stall for seconds on a loaded host: the bounds are
# generous, and cost nothing when things work (an answer or an ICMP error
# ends the wait at once).
DIG_T=5 PROBE_MS=5000 BOUND=10
[ $SLOW = 1 ] && { DIG_T=60; PROBE_MS=60000; BOUND=120; }

# Queries sent, by outcome they must have; checked against the counters.
N_WAN4=0 N_WAN6=0 N_LAN=0 N_LO=0

# ask NS SERVER: dig from NS, one try, print its short answer or its error.
ask() {
	nsx "$1" dig +short +time=$DIG_T +tries=1 +retry=0 @"$2" $NAME A 2>&1
}
counter() { awk -v k="$1" '$1 == k { print $2 }' $ST/stats; }
fam_of() { case $1 in *:*) echo 6 ;; *) echo 4 ;; esac; }

# answered DESC NS SERVER KIND: dig from NS gets the test name's address.
# KIND (lan, lo, none) says which counter the query must land in.
answered() {
	_a=$(ask "$2" "$3")
	ok "$1: answered ($(echo $_a))" test "$_a" = $ANSWER
	case $4 in
	lan) N_LAN=$((N_LAN + 1)) ;;
	lo) N_LO=$((N_LO + 1)) ;;
	esac
}

# answered_by_inet DESC NS SERVER: dig from NS gets inet's answer.
answered_by_inet() {
	_a=$(ask "$2" "$3")
	ok "$1: answered by inet ($(echo $_a))" test "$_a" = $INET_ANSWER
}

# refused DESC NS SERVER: dig from NS reports connection refused at once,
# and a probe datagram gets ICMP(v6) port unreachable with the right type
# and code. Two WAN queries.
refused() {
	_f=$(fam_of "$3") _fl= _ty=3 _co=3
	[ $_f = 6 ] && { _fl=-6 _ty=1 _co=4; }
	_a=$(ask "$2" "$3")
	ok "$1: dig is refused ($(echo $_a | cut -c1-80))" has "$_a" "connection refused"
	nsx "$2" p53g-udpprobe $_fl -p 53 -t $PROBE_MS "$3" >/tmp/gw-p.out 2>&1
	ok "$1: the probe gets ICMP type $_ty code $_co ($(tail -n1 /tmp/gw-p.out))" \
		grep -q "^icmp type=$_ty code=$_co embedded_dport=53 " /tmp/gw-p.out
	ok "$1: the probe gets no DNS reply" test "$(field replies /tmp/gw-p.out)" = 0
	if [ $_f = 4 ]; then N_WAN4=$((N_WAN4 + 2)); else N_WAN6=$((N_WAN6 + 2)); fi
}

gw_up() {
	modprobe bridge 2>/dev/null	# built into the debug kernel
	for ns in gw lan1 lan2 inet; do
		setup_ns $ns
		nsip $ns link set lo up
		# No DAD, and the kernel's ICMP limits off: every refused
		# query gets its ICMP error.
		for s in net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0; do
			nsx $ns sysctl -qw $s
		done
	done
	# STP off: the ports forward at once.
	nsip gw link add br-lan type bridge stp_state 0
	for h in lan1 lan2; do
		$IP link add p-$h netns "$(ns gw)" type veth peer name eth0 netns "$(ns $h)"
		nsip gw link set p-$h master br-lan
		nsip gw link set p-$h up
	done
	$IP link add wan netns "$(ns gw)" type veth peer name isp0 netns "$(ns inet)"
	nsip gw addr add $GW_LAN4/24 dev br-lan
	nsip gw addr add $GW_LAN6/64 dev br-lan nodad
	nsip gw addr add $GW_WAN4/24 dev wan
	nsip gw addr add $GW_WAN6/64 dev wan nodad
	nsip gw link set br-lan up
	nsip gw link set wan up
	for h in lan1:$LAN1_4:$LAN1_6 lan2:$LAN2_4:$LAN2_6 inet:$INET4:$INET6; do
		ns=${h%%:*} a=${h#*:}
		a4=${a%%:*} a6=${a#*:}
		len=24 len6=64 dev=eth0
		[ $ns = inet ] && dev=isp0
		nsip $ns addr add $a4/$len dev $dev
		nsip $ns addr add $a6/$len6 dev $dev nodad
		nsip $ns link set $dev up
	done
	# LAN hosts route everything through the gateway; the Internet host
	# knows the way to the LAN (it is on the gateway's WAN link).
	for h in lan1 lan2; do
		nsip $h route add default via $GW_LAN4
		nsip $h -6 route add default via $GW_LAN6
	done
	nsip inet route add 192.0.2.0/24 via $GW_WAN4
	nsip inet -6 route add 2001:db8:1::/64 via $GW_WAN6
	for h in lan1:$GW_LAN4:$GW_LAN6 lan2:$GW_LAN4:$GW_LAN6 inet:$GW_WAN4:$GW_WAN6; do
		ns=${h%%:*} a=${h#*:}
		wait_until $BOUND nsx $ns ping -c1 -W1 ${a%%:*} >/dev/null ||
			fail "topology: $ns reaches the gateway over IPv4"
		wait_until $BOUND nsx $ns ping -6 -c1 -W1 ${a#*:} >/dev/null ||
			fail "topology: $ns reaches the gateway over IPv6"
	done
}

cleanup() { gw_down; }
gw_down() {
	for p in /tmp/gw-dnsmasq.pid /tmp/inet-dnsmasq.pid; do
		[ -s $p ] && kill "$(cat $p)" 2>/dev/null
		rm -f $p
	done
	for ns in inet lan2 lan1 gw; do del_ns $ns 2>/dev/null; done
}

gw_up
ok "br-lan has both LAN ports" \
	test "$(nsip gw -o link show master br-lan | grep -c -e p-lan1 -e p-lan2)" = 2

# dnsmasq with no interface options binds the wildcard addresses: it serves
# every interface, the WAN one included (the guard is what keeps that in).
nsx gw dnsmasq --user=root --group=root --no-resolv --no-hosts \
	--address=/$NAME/$ANSWER --pid-file=/tmp/gw-dnsmasq.pid
wait_until $BOUND test -s /tmp/gw-dnsmasq.pid || fail "dnsmasq started in gw"

section "baseline: without the guard the Internet host is answered"
answered "IPv4 inet -> gw WAN $GW_WAN4 without the guard" inet $GW_WAN4 none
answered "IPv6 inet -> gw WAN $GW_WAN6 without the guard" inet $GW_WAN6 none

section "modprobe with exempt=dev:br-lan from /etc/modprobe.d"
mkdir -p /etc/modprobe.d
echo "options port53guard exempt=dev:br-lan" >$CONF
ok "modprobe port53guard" modprobe port53guard
ok "the exemption list is dev:br-lan, from $CONF ($(cat $ST/exempt 2>&1 | tr '\n' ' '))" \
	test "$(cat $ST/exempt)" = dev:br-lan
ok "action is reject" test "$(cat $ST/action)" = reject
ok "loopback passes (loopback 1)" test "$(cat $ST/loopback)" = 1
# The guard's own rate limit (default 300/s, burst 30) holds back replies
# over it. This test sends 8 refused queries, one at a time: the burst
# alone covers them, and dropped must stay 0 below.
RATE=$(cat $ST/rate)
echo "# rate=$RATE"
ok "the tool agrees: a packet from $INET4 on wan is blocked" \
	sh -c "! port53guard exempt check $INET4 dev wan"
ok "the tool agrees: a packet from $LAN1_4 on br-lan passes" \
	port53guard exempt check $LAN1_4 dev br-lan
for k in rejected exempted dropped; do
	ok "counter $k starts at 0" test "$(counter $k)" = 0
done

section "LAN hosts are answered over IPv4 and IPv6"
for h in lan1 lan2; do
	answered "IPv4 $h -> gw LAN $GW_LAN4" $h $GW_LAN4 lan
	answered "IPv6 $h -> gw LAN $GW_LAN6" $h $GW_LAN6 lan
done
for a in $GW_LAN4 $GW_LAN6; do
	f=$(fam_of $a) fl=; [ $f = 6 ] && fl=-6
	nsx lan1 p53g-udpprobe $fl -p 53 -t $PROBE_MS $a >/tmp/gw-p.out 2>&1
	ok "IPv$f lan1 -> gw LAN $a: the probe gets a DNS reply and no ICMP ($(tail -n1 /tmp/gw-p.out))" \
		test "$(field replies /tmp/gw-p.out)" = 1 -a "$(field icmp /tmp/gw-p.out)" = 0
	N_LAN=$((N_LAN + 1))
done

section "a LAN host addressing the gateway's WAN address comes in on br-lan: exempt"
answered "IPv4 lan1 -> gw WAN $GW_WAN4 (via br-lan)" lan1 $GW_WAN4 lan
answered "IPv6 lan2 -> gw WAN $GW_WAN6 (via br-lan)" lan2 $GW_WAN6 lan

section "the Internet host is refused over IPv4 and IPv6"
refused "IPv4 inet -> gw WAN $GW_WAN4" inet $GW_WAN4
refused "IPv6 inet -> gw WAN $GW_WAN6" inet $GW_WAN6
section "the Internet host addressing the gateway's LAN address comes in on wan: refused"
refused "IPv4 inet -> gw LAN $GW_LAN4 (via wan)" inet $GW_LAN4
refused "IPv6 inet -> gw LAN $GW_LAN6 (via wan)" inet $GW_LAN6

section "the gateway's own lookups over loopback"
answered "gw -> 127.0.0.1" gw 127.0.0.1 lo
answered "gw -> ::1" gw ::1 lo

section "counters: exactly the refused WAN queries"
N_WAN=$((N_WAN4 + N_WAN6))
cat $ST/stats | sed -n '1,/^exempt_entries/p' | tr '\n' ' ' | sed 's/^/# stats: /'; echo
ok "rejected = the $N_WAN WAN queries ($(counter rejected))" test "$(counter rejected)" = $N_WAN
ok "rejected_ipv4 = $N_WAN4 ($(counter rejected_ipv4))" test "$(counter rejected_ipv4)" = $N_WAN4
ok "rejected_ipv6 = $N_WAN6 ($(counter rejected_ipv6))" test "$(counter rejected_ipv6)" = $N_WAN6
ok "rejected_unreach = $N_WAN, tcp_reset = 0" \
	test "$(counter rejected_unreach)" = $N_WAN -a "$(counter tcp_reset)" = 0
ok "exempted_list = the $N_LAN LAN queries ($(counter exempted_list))" test "$(counter exempted_list)" = $N_LAN
ok "exempted_loopback = the $N_LO loopback queries ($(counter exempted_loopback))" \
	test "$(counter exempted_loopback)" = $N_LO
ok "dropped = 0, none held back by the rate limit ($(counter dropped))" test "$(counter dropped)" = 0
ok "monitored = 0, replies = 0, disabled = 0" \
	test "$(counter monitored)$(counter replies)$(counter disabled)" = 000

section "a LAN host's lookup at a resolver on the Internet is forwarded, untouched"
nsx inet dnsmasq --user=root --group=root --no-resolv --no-hosts \
	--address=/$NAME/$INET_ANSWER --pid-file=/tmp/inet-dnsmasq.pid
wait_until $BOUND test -s /tmp/inet-dnsmasq.pid || fail "dnsmasq started in inet"
nsx gw sysctl -qw net.ipv4.ip_forward=1
nsx gw sysctl -qw net.ipv6.conf.all.forwarding=1
nsx gw nft -f - <<-EOF
table ip p53g_gw_nat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "wan" masquerade
	}
}
EOF
# inet stands for the Internet, whose resolvers answer lawfully; here one
# kernel hosts both, so inet's own guard is told so (an interface only
# inet has).
port53guard exempt add dev:isp0
p0=$(counter passed_forward) r0=$(counter rejected) d0=$(counter dropped) e0=$(counter exempted_list)
answered_by_inet "IPv4 lan1 -> inet $INET4, a resolver on the Internet (masqueraded)" lan1 $INET4
answered_by_inet "IPv6 lan2 -> inet $INET6, a resolver on the Internet (routed)" lan2 $INET6
ok "the lookups were not refused or dropped ($r0 -> $(counter rejected), $d0 -> $(counter dropped))" \
	test "$(counter rejected)$(counter dropped)" = "$r0$d0"
ok "the gateway's FORWARD hook saw them and passed them ($p0 -> $(counter passed_forward))" \
	test $(($(counter passed_forward) - p0)) -ge 4
ok "inet's own guard exempted exactly the 2 lookups ($e0 -> $(counter exempted_list))" \
	test $(($(counter exempted_list) - e0)) = 2
port53guard exempt del dev:isp0

section "rmmod: the Internet host is answered again"
ok "rmmod port53guard" rmmod port53guard
ok "no /sys/kernel/port53guard after rmmod" test ! -e $ST
answered "IPv4 inet -> gw WAN $GW_WAN4 after rmmod" inet $GW_WAN4 none
answered "IPv6 inet -> gw WAN $GW_WAN6 after rmmod" inet $GW_WAN6 none

rm -f $CONF
gw_down
exit $T_FAILED
