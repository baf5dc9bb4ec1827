# SPDX-License-Identifier: GPL-2.0
# The topology of nat.sh, shared with fallback.sh (which proves the same
# paths against the nftables fallback): sourced after lib.sh. The picture
# and what each part stands for are in nat.sh.

CTR4=198.51.100.2 CTR6=2001:db8:c::2
DUTC4=198.51.100.1 DUTC6=2001:db8:c::1
NAME=nat.example.test
A_DUT=192.0.2.53 A_CTR=198.51.100.53 A_CTR53=198.51.100.54 A_PEER=192.0.2.99
# QUIET_MS: how long a probe that must get no ICMP error waits for one.
DIG_T=5 PROBE_MS=5000 BOUND=10 QUIET_MS=1000
[ $SLOW = 1 ] && { DIG_T=60; PROBE_MS=60000; BOUND=120; QUIET_MS=5000; }

# Every query of this test comes from a source port of its own, below the
# ephemeral range (32768-60999): no query can fall into a conntrack entry
# an earlier one left (UDP keeps them 30 s, 120 s once answered), such as
# a REDIRECT of section 1 still live when section 2 publishes port 53 to
# ctr. next_sport gives the next one in SP.
SP=20000
next_sport() { SP=$((SP + 1)); }

# ask NS SERVER [DIG-ARGS]: dig's short answer, or its error; from source
# port SP (the caller takes a new one: this runs in a subshell).
ask() {
	_n=$1 _s=$2 _b=0.0.0.0; shift 2
	[ "$(fam_of "$_s")" = 6 ] && _b=::
	nsx "$_n" dig +short +time=$DIG_T +tries=1 +retry=0 -b "$_b#$SP" "$@" @"$_s" $NAME A 2>&1
}
answered() {	# answered DESC NS SERVER WANT [DIG-ARGS]
	_d=$1 _n=$2 _s=$3 _w=$4; shift 4
	next_sport
	_a=$(ask "$_n" "$_s" "$@")
	ok "$_d: answered ($(echo $_a))" test "$_a" = "$_w"
}
refused_dig() {	# refused_dig DESC NS SERVER [DIG-ARGS]
	_d=$1 _n=$2 _s=$3; shift 3
	next_sport
	_a=$(ask "$_n" "$_s" "$@")
	ok "$_d: dig is refused ($(echo $_a | cut -c1-70))" has "$_a" "connection refused"
}
fam_of() { case $1 in *:*) echo 6 ;; *) echo 4 ;; esac; }
# icmp_quotes_53 DESC NS ADDR [PROBE-ARGS]: a probe datagram to ADDR:53 gets
# ICMP(v6) port unreachable quoting destination port 53.
icmp_quotes_53() {
	_d=$1 _n=$2 _s=$3; shift 3
	_fl= _ty=3 _co=3
	[ "$(fam_of "$_s")" = 6 ] && { _fl=-6 _ty=1 _co=4; }
	next_sport
	# shellcheck disable=SC2086
	nsx "$_n" p53g-udpprobe $_fl -s $SP "$@" -p 53 -t $PROBE_MS "$_s" >/tmp/nat-p.out 2>&1
	ok "$_d: the probe gets ICMP type $_ty code $_co quoting port 53 ($(tail -n1 /tmp/nat-p.out))" \
		grep -q "^icmp type=$_ty code=$_co embedded_dport=53 errqueue_type=$_ty errqueue_code=$_co " \
		/tmp/nat-p.out
}

dns() {	# dns NS PIDFILE PORT ANSWER: a resolver on every address of NS
	nsx "$1" dnsmasq --user=root --group=root --no-resolv --no-hosts -p "$3" \
		--address=/$NAME/"$4" --pid-file="$2"
	wait_until $BOUND test -s "$2" || fail "dnsmasq on port $3 started in $1"
}
stop_dns() { [ -s "$1" ] && kill "$(cat "$1")" 2>/dev/null; rm -f "$1"; }

cleanup() {
	for p in /tmp/nat-*.pid; do stop_dns "$p"; done
	del_ns ctr 2>/dev/null
	topo_down
}

# nat_rule FAMILY ACTION: dut's only NAT rule for queries from veth-dut to
# port 53 (UDP and TCP); ACTION is nft's ("redirect to :5354", "dnat to
# ADDR:PORT"); "none" removes it.
nat_rule() {
	nsx dut nft delete table "$1" p53g_nat 2>/dev/null
	[ "$2" = none ] && return 0
	nsx dut nft -f - <<-EOF
	table $1 p53g_nat {
		chain pre {
			type nat hook prerouting priority dstnat;
			iifname "veth-dut" meta l4proto { udp, tcp } th dport 53 $2
		}
	}
	EOF
}

# nat_topo_up: the namespaces, links, routes and resolvers drawn above.
nat_topo_up() {
	topo_up
	setup_ns ctr
	$IP link add veth-ctr netns "$(ns dut)" type veth peer name eth0 netns "$(ns ctr)"
	nsx ctr $IP link set lo up
	for s in net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0; do
		nsx ctr sysctl -qw $s
	done
	nsx dut $IP addr add $DUTC4/24 dev veth-ctr
	nsx dut $IP addr add $DUTC6/64 dev veth-ctr nodad
	nsx ctr $IP addr add $CTR4/24 dev eth0
	nsx ctr $IP addr add $CTR6/64 dev eth0 nodad
	nsx dut $IP link set veth-ctr up
	nsx ctr $IP link set eth0 up
	nsx ctr $IP route add default via $DUTC4
	nsx ctr $IP -6 route add default via $DUTC6
	nsx peer $IP -6 route add 2001:db8:c::/64 via $DUT6
	nsx dut sysctl -qw net.ipv4.ip_forward=1
	nsx dut sysctl -qw net.ipv6.conf.all.forwarding=1
	# ctr's own lookups go out masqueraded over IPv4 (as Docker does); over
	# IPv6 they are routed.
	nsx dut nft -f - <<-EOF
	table ip p53g_masq {
		chain post {
			type nat hook postrouting priority srcnat;
			ip saddr 198.51.100.0/24 oifname "veth-dut" masquerade
		}
	}
	EOF
	wait_until $BOUND nsx ctr ping -c1 -W1 $PEER4 >/dev/null || fail "topology: ctr reaches peer over IPv4"
	wait_until $BOUND nsx ctr ping -6 -c1 -W1 $PEER6 >/dev/null || fail "topology: ctr reaches peer over IPv6"

	dns dut /tmp/nat-dut.pid 5354 $A_DUT
	dns ctr /tmp/nat-ctr.pid 5354 $A_CTR
	dns ctr /tmp/nat-ctr53.pid 53 $A_CTR53
	dns peer /tmp/nat-peer.pid 53 $A_PEER
}

# reply_shaped: along a flow dut opened from port 53 (its listener sends
# first, to peer:4053), a query (QR 0) peer sends back is refused, a
# response (QR 1) passes, a response outside any flow is refused; in both
# families. snap and moved are the calling test's (the module's counters,
# or the fallback table's, by the same names); dut must track connections.
reply_shaped() {
	for fam in 4 6; do
		if [ $fam = 4 ]; then f= D=$DUT4 P=$PEER4 PS=$PEER4; else f=-6 D=$DUT6 P=$PEER6 PS="[$PEER6]"; fi
		# dut's listener on 53 sends first, to peer:4053: a flow from dut:53.
		listen_bg dut /tmp/nat-l.out $f -p 53 -t 60000 -S $PS:4053
		snap
		icmp_quotes_53 "IPv$fam peer:4053 -> dut:53, a query (QR 0) along dut's flow" peer $D -s 4053
		moved replies 0 "IPv$fam query along dut's flow"
		moved rejected 1 "IPv$fam query along dut's flow"
		snap
		nsx peer p53g-udpprobe $f -R -s 4053 -p 53 -t $QUIET_MS $D >/tmp/nat-r.out 2>&1
		ok "IPv$fam peer:4053 -> dut:53, a response (QR 1): no ICMP ($(tail -n1 /tmp/nat-r.out))" \
			test "$(field icmp /tmp/nat-r.out)" = 0
		moved replies 1 "IPv$fam response along dut's flow"
		moved rejected 0 "IPv$fam response along dut's flow"
		snap
		nsx peer p53g-udpprobe $f -R -s 4054 -p 53 -t $PROBE_MS $D >/tmp/nat-r.out 2>&1
		ok "IPv$fam peer:4054 -> dut:53, a response outside any flow: ICMP" \
			test "$(field icmp /tmp/nat-r.out)" = 1
		moved rejected 1 "IPv$fam response outside any flow"
		killall p53g-listen 2>/dev/null
		wait_until 5 grep -q received= /tmp/nat-l.out
		ok "IPv$fam dut's listener on 53 got the response only ($(field received /tmp/nat-l.out))" \
			test "$(field received /tmp/nat-l.out)" = 1
		wait
	done
}
