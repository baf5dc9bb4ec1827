#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Port 53 as the world addresses it: queries redirected to a resolver on
# another port, queries published (DNAT) to a container behind the host,
# datagrams sent back along a flow the host opened from port 53, and
# UDP-Lite.
#
#   +---- ns peer (Internet) ----+    +------------ ns dut (host) -------------+
#   | veth-peer 192.0.2.2/24     |<-->| veth-dut 192.0.2.1/24                  |
#   |           2001:db8:53::2   |    |          2001:db8:53::1                |
#   | dnsmasq :53 (a resolver    |    | dnsmasq :5354 (REDIRECT/DNAT target)   |
#   |   out there, exempt)       |    | veth-ctr 198.51.100.1/24               |
#   +----------------------------+    |          2001:db8:c::1/64  forwarding  |
#                                     +------------------|----------------------+
#                                     +---- ns ctr (container) ----+
#                                     | eth0 198.51.100.2/24       |
#                                     |      2001:db8:c::2/64      |
#                                     | dnsmasq :5354 and :53      |
#                                     +----------------------------+
#
# 1. REDIRECT 53 -> 5354 and DNAT to dut's own address:5354: peer's dig is
#    refused (connection refused), the probe's ICMP quotes port 53 (NAT
#    turned the quoted query back), an exempt source is answered; a query
#    sent to 5354 itself is not touched.
# 2. Published: dut DNATs 53 to ctr:5354 and to ctr:53 and forwards: the
#    same as the peer sees it; an exempt source is answered; forward 0
#    lets it through (to 5354: answered; to 53: ctr's own guard refuses
#    it, since the guard runs in every namespace); TCP with tcp 1 gets a
#    RST; ctr's own query to the resolver out on peer leaves dut and is
#    answered (masqueraded over IPv4, routed over IPv6).
# 3. Reply-shaped: dut sends from port 53 to peer; a query (QR 0) peer
#    then sends from that port is refused, a response (QR 1) passes.
# 4. UDP-Lite to port 53 is refused like UDP, exempt like UDP.
# Every section checks the counters move by exactly what was sent, per
# hook. Documentation prefixes only; nothing leaves the guest.
. /p53g/guest/lib.sh
. /p53g/guest/nat-lib.sh

# load P: P_name=value for every line of the stats file; snap, then
# moved NAME N WHAT: the counter NAME moved by exactly N since snap.
load() { while read -r _k _v; do eval "$1_$_k=\$_v"; done <$ST/stats; }
snap() { load B; }
moved() {
	load A
	eval "_dv=\$((A_$1 - B_$1))"
	ok "$3: $1 moved by $2 ($_dv)" test "$_dv" = "$2"
	[ "$_dv" = "$2" ] || {
		dmesg | grep -a 'port53guard: ' | tail -n 6 | sed 's/^/    log: /'
		nsx dut grep -h 'dport=53 ' /proc/net/nf_conntrack 2>/dev/null |
			tail -n 12 | sed 's/^/    dut conntrack: /'
	}
}

# --- topology ----------------------------------------------------------
nat_topo_up

# --- 0. Without the guard: every path of the test bed answers ----------
section "0. without the guard every path answers"
nat_rule ip "redirect to :5354"
nat_rule ip6 "redirect to :5354"
answered "IPv4 peer -> dut:53 redirected to 5354, no guard" peer $DUT4 $A_DUT
answered "IPv6 peer -> dut:53 redirected to 5354, no guard" peer $DUT6 $A_DUT
nat_rule ip "dnat to $CTR4:5354"
nat_rule ip6 "dnat to [$CTR6]:5354"
answered "IPv4 peer -> dut:53 published to ctr:5354, no guard" peer $DUT4 $A_CTR
answered "IPv6 peer -> dut:53 published to ctr:5354, no guard" peer $DUT6 $A_CTR
answered "IPv4 ctr -> peer:53 (a resolver out there), no guard" ctr $PEER4 $A_PEER
answered "IPv6 ctr -> peer:53 (a resolver out there), no guard" ctr $PEER6 $A_PEER

ok "modprobe port53guard" modprobe port53guard
# Each refusal's log line says where it was judged (in=DEV, "forward"):
# shown when a counter moved otherwise than it must.
echo 1 >$ST/log
ok "forward reads 1 by default" test "$(cat $ST/forward)" = 1
ok "the guard does not pull in nf_conntrack itself" \
	sh -c "! modinfo -F depends port53guard | tr ',' '\n' | grep -qx nf_conntrack"

# --- 1. Redirected and DNATed to a local port --------------------------
for mode in redirect dnat; do
	section "1. $mode 53 -> dut:5354"
	for fam in 4 6; do
		if [ $fam = 4 ]; then D=$DUT4 P=$PEER4 tbl=ip; else D=$DUT6 P=$PEER6 tbl=ip6; fi
		if [ $mode = redirect ]; then nat_rule $tbl "redirect to :5354"
		elif [ $fam = 4 ]; then nat_rule ip "dnat to $DUT4:5354"
		else nat_rule ip6 "dnat to [$DUT6]:5354"; fi
		snap
		refused_dig "IPv$fam peer -> dut:53 ($mode to 5354)" peer $D
		icmp_quotes_53 "IPv$fam peer -> dut:53 ($mode to 5354)" peer $D
		moved rejected_input 2 "IPv$fam $mode"
		moved rejected_ipv$fam 2 "IPv$fam $mode"
		moved rejected_forward 0 "IPv$fam $mode"
		answered "IPv$fam peer -> dut:5354 itself (no translation)" peer $D $A_DUT -p 5354
		moved rejected 2 "IPv$fam $mode, then a query to 5354 itself"
		echo "add $P" >$ST/exempt
		snap
		answered "IPv$fam peer exempt -> dut:53 ($mode to 5354)" peer $D $A_DUT
		moved exempted_list 1 "IPv$fam $mode, exempt source"
		echo "del $P" >$ST/exempt
		nat_rule $tbl none
	done
done
section "1. TCP with tcp 1: a SYN redirected from 53 gets a RST"
echo 1 >$ST/tcp
for fam in 4 6; do
	if [ $fam = 4 ]; then D=$DUT4 tbl=ip; else D=$DUT6 tbl=ip6; fi
	nat_rule $tbl "redirect to :5354"
	snap
	refused_dig "IPv$fam peer -> dut:53 over TCP (redirect to 5354)" peer $D +tcp
	moved tcp_reset 1 "IPv$fam TCP redirect"
	nat_rule $tbl none
done
echo 0 >$ST/tcp

# --- 2. Published to a container ---------------------------------------
for port in 5354 53; do
	want=$A_CTR; [ $port = 53 ] && want=$A_CTR53
	section "2. published: dut DNATs 53 to ctr:$port"
	for fam in 4 6; do
		if [ $fam = 4 ]; then D=$DUT4 P=$PEER4 tbl=ip C=$CTR4; else D=$DUT6 P=$PEER6 tbl=ip6 C="[$CTR6]"; fi
		nat_rule $tbl "dnat to $C:$port"
		snap
		refused_dig "IPv$fam peer -> dut:53 published to ctr:$port" peer $D
		icmp_quotes_53 "IPv$fam peer -> dut:53 published to ctr:$port" peer $D
		moved rejected_forward 2 "IPv$fam published to $port"
		moved rejected_input 0 "IPv$fam published to $port"
		moved rejected 2 "IPv$fam published to $port"
		echo "add $P" >$ST/exempt
		snap
		answered "IPv$fam peer exempt -> dut:53 published to ctr:$port" peer $D $want
		moved exempted_forward 1 "IPv$fam published to $port, exempt source"
		echo "del $P" >$ST/exempt
		echo 0 >$ST/forward
		snap
		if [ $port = 5354 ]; then
			answered "IPv$fam peer -> dut:53 published to ctr:5354, forward 0" peer $D $want
			# the query and ctr's answer, both routed by dut
			moved disabled_forward 2 "IPv$fam forward 0"
			moved rejected 0 "IPv$fam forward 0"
		else
			refused_dig "IPv$fam peer -> ctr:53 with forward 0: ctr's own guard" peer $D
			# the query and ctr's ICMP error, both routed by dut
			moved disabled_forward 2 "IPv$fam forward 0, to ctr:53"
			moved rejected_input 1 "IPv$fam forward 0, to ctr:53 (ctr's namespace)"
		fi
		echo 1 >$ST/forward
		nat_rule $tbl none
	done
done
section "2. published TCP with tcp 1: a SYN gets a RST"
echo 1 >$ST/tcp
for fam in 4 6; do
	if [ $fam = 4 ]; then D=$DUT4 tbl=ip C=$CTR4; else D=$DUT6 tbl=ip6 C="[$CTR6]"; fi
	nat_rule $tbl "dnat to $C:5354"
	snap
	refused_dig "IPv$fam peer -> dut:53 over TCP published to ctr:5354" peer $D +tcp
	moved tcp_reset 1 "IPv$fam TCP published"
	moved rejected_forward 1 "IPv$fam TCP published"
	nat_rule $tbl none
done
echo 0 >$ST/tcp

section "2. the container's own lookups leave the host"
# peer stands for the Internet, whose resolvers answer lawfully; in this
# one-kernel test bed its own guard is told so (an interface only peer has).
echo "add dev:veth-peer" >$ST/exempt
for fam in 4 6; do
	if [ $fam = 4 ]; then P=$PEER4; else P=$PEER6; fi
	snap
	answered "IPv$fam ctr -> peer:53, through dut" ctr $P $A_PEER
	moved rejected 0 "IPv$fam ctr's own lookup"
	moved dropped 0 "IPv$fam ctr's own lookup"
	load A
	ok "IPv$fam ctr's own lookup: dut's FORWARD hook saw it and passed it ($((A_passed_forward - B_passed_forward)) >= 2)" \
		test $((A_passed_forward - B_passed_forward)) -ge 2
	moved exempted_list 1 "IPv$fam ctr's own lookup, at peer"
done
echo "del dev:veth-peer" >$ST/exempt

# --- 3. Reply-shaped queries ------------------------------------------
section "3. along a flow dut opened from port 53"
# Conntrack tracks dut (the NAT rules are gone): one ct rule keeps it on.
nsx dut nft add table inet p53g_ct
nsx dut nft add chain inet p53g_ct input '{ type filter hook input priority 0; }'
nsx dut nft add rule inet p53g_ct input ct state established counter
reply_shaped
nsx dut nft delete table inet p53g_ct

# --- 4. UDP-Lite -------------------------------------------------------
section "4. UDP-Lite"
# Linux 7.x has no UDP-Lite: no socket can receive a UDP-Lite query there
# (the kernel itself answers protocol unreachable), so there is nothing
# for the guard to refuse; the section runs where the kernel has it.
if [ -e /proc/net/udplite ]; then udplite="4 6"; else
	udplite=
	ok "this kernel has no UDP-Lite ($(uname -r)): a UDP-Lite socket is refused" \
		sh -c 'p53g-udpprobe -L -p 53 -t 1 127.0.0.1 2>&1 | grep -q "Protocol not supported"'
	echo "# UDP-Lite: not in this kernel; section 4 does not apply"
fi
for fam in $udplite; do
	if [ $fam = 4 ]; then f= D=$DUT4 P=$PEER4; else f=-6 D=$DUT6 P=$PEER6; fi
	listen_bg dut /tmp/nat-l.out $f -L -p 53 -t 60000
	snap
	icmp_quotes_53 "IPv$fam peer -> dut:53 over UDP-Lite" peer $D -L
	moved rejected_unreach 1 "IPv$fam UDP-Lite"
	echo "add $P" >$ST/exempt
	snap
	nsx peer p53g-udpprobe $f -L -p 53 -t $QUIET_MS $D >/tmp/nat-r.out 2>&1
	ok "IPv$fam peer exempt -> dut:53 over UDP-Lite: no ICMP" test "$(field icmp /tmp/nat-r.out)" = 0
	moved exempted_list 1 "IPv$fam UDP-Lite, exempt source"
	echo "del $P" >$ST/exempt
	killall p53g-listen 2>/dev/null
	wait_until 5 grep -q received= /tmp/nat-l.out
	ok "IPv$fam dut's UDP-Lite listener on 53 got the exempt datagram only ($(field received /tmp/nat-l.out))" \
		test "$(field received /tmp/nat-l.out)" = 1
	wait
done

ok "rmmod port53guard" rmmod port53guard
nat_rule ip "dnat to $CTR4:5354"
answered "IPv4 after rmmod: published to ctr:5354 answered again" peer $DUT4 $A_CTR
nat_rule ip none
exit $T_FAILED
