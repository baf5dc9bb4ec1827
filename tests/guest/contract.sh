#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The contract, packet side: settings and their files, each action per
# family with exact counters, the rate limit, TCP, loopback, exemptions by
# prefix and interface, conntrack replies, broadcast and multicast,
# namespaces, load-time parameters, logging, counter reset and unload.
#
# Topology (lib.sh), plus what some sections add:
#
#   +----------- ns peer -----------+      +------------ ns dut ------------+
#   | veth-peer 192.0.2.2/24        |<---->| veth-dut 192.0.2.1/24          |
#   |           2001:db8:53::2/64   |      |          2001:db8:53::1/64     |
#   | route 198.51.100.0/24 dev     |      |          198.51.100.1/24       |
#   |   (198.51.100.255 -> ff:ff..) |      |   (its broadcast .255)         |
#   +-------------------------------+      +--------------------------------+
#   ns late: made after the module is loaded, loopback only
#
# The settings and the list are global: every namespace, peer's included,
# runs the guard. Sections that need peer to receive on port 53 exempt
# dev:veth-peer, an interface only peer has.
. /p53g/guest/lib.sh

S=/sys/kernel/port53guard

# The debug kernel makes every fork slow (and its packet path far slower):
# counters are read with shell builtins, and some lists are shorter there.
# load P: set P_name=value for every line of the stats file.
load() { while read -r _k _v; do eval "$1_$_k=\$_v"; done <$S/stats; }
snap() { load B; }
# delta NAME: DV = how far the counter NAME moved since snap.
delta() { load A; eval "DV=\$((A_$1 - B_$1))"; }
# moved NAME N WHAT: the counter NAME moved by exactly N since snap.
moved() {
	delta "$1"
	ok "$3: $1 moved by $2 ($DV)" test "$DV" = "$2"
}
setv() { echo "$2" >$S/$1; }
# wr FILE VALUE: write VALUE (and a newline) from a child shell, print any error.
wr() { sh -c 'echo "$1" > "$2"' _ "$2" "$S/$1" 2>&1; }

# fam_vars 4|6: f (probe flag), D (dut), P (peer), LO (loopback), PNET, V
fam_vars() {
	if [ "$1" = 6 ]; then
		f=-6 D=$DUT6 P=$PEER6 LO=::1 PNET=2001:db8:53::/64 V=ipv6
	else
		f= D=$DUT4 P=$PEER4 LO=127.0.0.1 PNET=192.0.2.0/24 V=ipv4
	fi
}

# probe NS ADDR ARGS...: datagrams to ADDR port 53 (unless -p), output in /tmp/p.out
probe() {
	_ns=$1 _a=$2
	shift 2
	# shellcheck disable=SC2086
	in_ns "$_ns" p53g-udpprobe $f "$@" "$_a" >/tmp/p.out 2>&1
}
# lstart NS [PORT [-r]]: a listener that counts (and with -r echoes);
# lstop: stop it, print its count. Each listener has its own output file.
# (ip netns exec runs in the background job itself, so $! is the listener.)
LN=0
lstart() {
	LN=$((LN + 1))
	LOUT=/tmp/l.$LN.out
	# shellcheck disable=SC2086
	$IP netns exec "$(ns "$1")" p53g-listen $f -p "${2:-53}" -t 60000 $3 >$LOUT 2>&1 &
	LPID=$!
	wait_until 30 grep -q ready $LOUT || fail "listener in $1 started ($(cat $LOUT))"
}
lstop() {
	kill "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	wait_until 5 grep -q received= $LOUT
	field received $LOUT
}

# ICMP destination-unreachable messages dut has sent.
unreach4() {
	in_ns dut awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $(c["OutDestUnreachs"]) }' /proc/net/snmp
}
unreach6() { in_ns dut awk '$1 == "Icmp6OutDestUnreachs" { print $2 }' /proc/net/snmp6; }

topo_up

# --- 1. Files and defaults -------------------------------------------------
section "1. Files and defaults"
ok "modprobe port53guard" modprobe port53guard
for x in enabled action tcp loopback log rate forward authoritative exempt stats; do
	ok "$S/$x exists with mode 0644" test "$(stat -c %a $S/$x 2>/dev/null)" = 644
done
for kv in enabled=1 action=reject tcp=0 loopback=1 log=0 rate=300 forward=1 authoritative=0; do
	ok "default: ${kv%%=*} reads ${kv#*=}" test "$(cat $S/${kv%%=*})" = "${kv#*=}"
done
ok "default: the exempt list is empty" test -z "$(cat $S/exempt)"
for n in rejected dropped monitored exempted replies passed disabled tcp_reset \
	dropped_action dropped_ratelimit dropped_malformed dropped_noreply \
	exempted_loopback exempted_list iterative rejected_ipv4 rejected_ipv6 \
	exempt_entries exempt_bytes; do
	ok "stats has a line '$n N'" grep -q "^$n [0-9][0-9]*\$" $S/stats
done

# --- 2. Settings: what each file takes and what it refuses -----------------
section "2. Settings: what each file takes and what it refuses"
for kv in enabled=y:1 enabled=n:0 enabled=Y:1 enabled=0:0 enabled=1:1 \
	action=drop:drop action=monitor:monitor action=reject:reject \
	tcp=1:1 tcp=0:0 loopback=0:0 loopback=1:1 log=1:1 log=0:0 \
	rate=0:0 rate=1000000:1000000 rate=300:300; do
	k=${kv%%=*} v=${kv#*=}
	setv "$k" "${v%%:*}"
	ok "$k: writing '${v%%:*}' reads back ${v#*:}" test "$(cat $S/$k)" = "${v#*:}"
done
bad_setting() {
	_was=$(cat $S/$1)
	_e=$(wr "$1" "$2")
	_r=1
	has "$_e" "Invalid argument" && _r=0
	[ "$(cat $S/$1)" = "$_was" ] || _r=1
	ok "$1: '$2' refused with EINVAL, still $_was" test $_r = 0
}
# (KUnit tests the same parsers word by word; fewer words on the debug kernel.)
bad_bool='2 yes on true -1 "" " 1" "1 " 10 "y n"'
bad_action='accept REJECT "drop now" rejec "" " drop"'
bad_rate='1000001 -5 +5 1e3 0x10 abc "" 99999999999 "3 00"'
if [ $SLOW = 1 ]; then
	bad_bool='2 yes ""' bad_action='accept ""' bad_rate='1000001 +5'
fi
eval "set -- $bad_bool"
for v; do bad_setting enabled "$v"; done
for v in 2 maybe; do
	bad_setting tcp "$v"
	bad_setting loopback "$v"
	bad_setting log "$v"
done
eval "set -- $bad_action"
for v; do bad_setting action "$v"; done
eval "set -- $bad_rate"
for v; do bad_setting rate "$v"; done
for v in 1 reset 00; do
	_e=$(wr stats "$v")
	ok "stats: '$v' refused with EINVAL" has "$_e" "Invalid argument"
done

# --- 3. Each action, per family, counters exact ----------------------------
section "3. Each action, per family, counters exact"
N=3
b4=$(unreach4) b6=$(unreach6)
for fam in 4 6; do
	fam_vars $fam
	lstart dut
	snap
	probe peer $D -n $N -t 2000
	got=$(lstop)
	ok "IPv$fam reject: $N probes get $N ICMP port unreachable" \
		test "$(field icmp /tmp/p.out)" = $N
	ok "IPv$fam reject: the listener on 53 receives none ($got)" test "$got" = 0
	moved rejected $N "IPv$fam reject"
	moved rejected_$V $N "IPv$fam reject"
	moved dropped 0 "IPv$fam reject"
	moved exempted 0 "IPv$fam reject"

	setv action drop
	lstart dut
	snap
	probe peer $D -n $N -t 300
	got=$(lstop)
	ok "IPv$fam drop: no ICMP error comes back" test "$(field icmp /tmp/p.out)" = 0
	ok "IPv$fam drop: the listener receives none ($got)" test "$got" = 0
	moved dropped $N "IPv$fam drop"
	moved dropped_action $N "IPv$fam drop"
	moved dropped_$V $N "IPv$fam drop"
	moved rejected 0 "IPv$fam drop"

	setv action monitor
	setv log 1
	dmesg -c >/dev/null
	lstart dut
	snap
	probe peer $D -n $N -t 300
	got=$(lstop)
	ok "IPv$fam monitor: the listener receives all $N ($got)" test "$got" = $N
	ok "IPv$fam monitor: no ICMP error" test "$(field icmp /tmp/p.out)" = 0
	moved monitored $N "IPv$fam monitor"
	moved monitored_$V $N "IPv$fam monitor"
	ok "IPv$fam monitor with log=1: a log line names the outcome, source, destination, interface" \
		sh -c "dmesg | grep -q 'port53guard: monitored udp src=$P dst=$D in=veth-dut'"
	setv log 0
	setv action reject

	setv enabled 0
	lstart dut
	snap
	probe peer $D -t 1000
	got=$(lstop)
	ok "IPv$fam enabled=0: the listener receives the probe" test "$got" = 1
	ok "IPv$fam enabled=0: no ICMP error" test "$(field icmp /tmp/p.out)" = 0
	delta disabled
	ok "IPv$fam enabled=0: counted as disabled ($DV)" test "$DV" -ge 1
	moved rejected 0 "IPv$fam enabled=0"
	setv enabled 1
done
a4=$(unreach4) a6=$(unreach6)
ok "dut sent exactly $N ICMP unreachables ($b4 -> $a4)" test $((a4 - b4)) = $N
ok "dut sent exactly $N ICMPv6 unreachables ($b6 -> $a6)" test $((a6 - b6)) = $N

# Logging: off sends nothing, on names the blocked packet.
for fam in 4 6; do
	fam_vars $fam
	dmesg -c >/dev/null
	probe peer $D -t 2000
	ok "IPv$fam log=0: no log line" sh -c '! dmesg | grep -q "port53guard: reject"'
	setv log 1
	probe peer $D -t 2000
	ok "IPv$fam log=1: 'rejected_unreach udp src=$P dst=$D in=veth-dut' is logged" \
		sh -c "dmesg | grep -q 'port53guard: rejected_unreach udp src=$P dst=$D in=veth-dut'"
	setv log 0
done

# --- 4. Rate limit ---------------------------------------------------------
section "4. Rate limit"
# rate=1: a burst of one reply, then one a second; the rest are dropped
# and counted before any reply is built.
for fam in 4 6; do
	fam_vars $fam
	setv rate 1
	snap
	# (-t 800: a rejected probe's error comes back at once; the wait is
	# for the dropped ones, and keeps four probes inside about 2.5 s.)
	probe peer $D -n 4 -t 800
	delta rejected
	r=$DV
	delta dropped_ratelimit
	l=$DV
	ok "IPv$fam rate=1: 4 probes are rejected ($r) or dropped over the limit ($l), nothing else" \
		test $((r + l)) = 4
	ok "IPv$fam rate=1: at least one is over the limit" test "$l" -ge 1
	ok "IPv$fam rate=1: at least one is answered" test "$r" -ge 1
	ok "IPv$fam rate=1: the probe saw exactly the rejected ones answered" \
		test "$(field icmp /tmp/p.out)" = "$r"
	moved dropped $l "IPv$fam rate=1"
	setv rate 0
	snap
	probe peer $D -n 10 -t 2000
	ok "IPv$fam rate=0 (no local limit): 10 probes, 10 answers" \
		test "$(field icmp /tmp/p.out)" = 10
	moved dropped_ratelimit 0 "IPv$fam rate=0"
	setv rate 300
done

# --- 5. TCP ----------------------------------------------------------------
section "5. TCP"
# A TCP listener on 53 in dut (busybox nc, dual-stack), one per connection.
nc_start() {
	$IP netns exec "$(ns dut)" nc -l -p 53 </dev/null >/dev/null 2>&1 &
	NCPID=$!
	wait_until 5 sh -c "$IP netns exec $(ns dut) netstat -ltn | grep -q ':53 '" ||
		fail "nc listens on TCP 53 in dut"
}
nc_stop() { kill "$NCPID" 2>/dev/null; wait "$NCPID" 2>/dev/null; }
# (-t under a second: the first SYN retransmission comes at 1 s.)
tcpprobe() { in_ns peer p53g-tcpprobe $f -t "${2:-2000}" "$1"; }
for fam in 4 6; do
	fam_vars $fam
	nc_start
	snap
	ok "IPv$fam tcp=0: a SYN to 53 connects" test "$(tcpprobe $D)" = connected
	moved tcp_reset 0 "IPv$fam tcp=0"
	nc_stop
	setv tcp 1
	nc_start
	snap
	ok "IPv$fam tcp=1: a SYN to 53 is refused" test "$(tcpprobe $D)" = refused
	moved tcp_reset 1 "IPv$fam tcp=1"
	moved rejected 1 "IPv$fam tcp=1"
	setv action drop
	snap
	# 300 ms, well before the first retransmission, so one SYN is counted
	ok "IPv$fam tcp=1 action=drop: the SYN times out" test "$(tcpprobe $D 300)" = timeout
	moved dropped_action 1 "IPv$fam tcp=1 action=drop"
	setv action monitor
	snap
	ok "IPv$fam tcp=1 action=monitor: the SYN connects" test "$(tcpprobe $D)" = connected
	moved monitored 1 "IPv$fam tcp=1 action=monitor"
	nc_stop
	setv action reject
	setv tcp 0
done

# --- 6. Loopback -----------------------------------------------------------
section "6. Loopback"
for fam in 4 6; do
	fam_vars $fam
	lstart dut
	snap
	probe dut $LO -t 1000
	got=$(lstop)
	ok "IPv$fam loopback=1: a query to $LO in dut reaches its listener ($got)" test "$got" = 1
	moved exempted_loopback 1 "IPv$fam loopback=1"
	setv loopback 0
	lstart dut
	snap
	probe dut $LO -t 2000
	got=$(lstop)
	ok "IPv$fam loopback=0: the query to $LO is refused with ICMP" \
		grep -q '^icmp type=' /tmp/p.out
	ok "IPv$fam loopback=0: the listener receives none" test "$got" = 0
	moved rejected 1 "IPv$fam loopback=0"
	setv loopback 1
done

# --- 7. Exemptions by prefix and interface ---------------------------------
section "7. Exemptions by prefix and interface"
for fam in 4 6; do
	fam_vars $fam
	other=$PEER6
	[ $fam = 6 ] && other=$PEER4
	match="$P $PNET dev:veth-dut dev:veth+ dev:+"
	[ $SLOW = 1 ] && match="$P dev:veth+"
	for e in $match; do
		echo "add $e" >$S/exempt
		lstart dut
		snap
		probe peer $D -t 1000
		got=$(lstop)
		ok "IPv$fam exempt $e: the listener receives the probe ($got)" test "$got" = 1
		ok "IPv$fam exempt $e: no ICMP error" test "$(field icmp /tmp/p.out)" = 0
		moved exempted_list 1 "IPv$fam exempt $e"
		echo "del $e" >$S/exempt
	done
	nomatch="$other dev:veth-du dev:veth-peer dev:veth-x+"
	if [ $fam = 4 ]; then
		nomatch="$nomatch 192.0.2.128/25 192.0.2.1 ::/0"
	else
		nomatch="$nomatch 2001:db8:53:1::/64 2001:db8:53::1 0.0.0.0/0"
	fi
	[ $SLOW = 1 ] && nomatch="$other dev:veth-du"
	for e in $nomatch; do
		echo "add $e" >$S/exempt
		snap
		probe peer $D -t 2000
		ok "IPv$fam exempt $e only: the probe is still refused" \
			test "$(field icmp /tmp/p.out)" = 1
		moved exempted_list 0 "IPv$fam exempt $e only"
		echo "del $e" >$S/exempt
	done
done
ok "the list is empty again" test -z "$(cat $S/exempt)"

# --- 8. Conntrack replies --------------------------------------------------
section "8. Conntrack replies"
# dut sends from port 53 to peer's port 53; peer echoes from 53 to dut's 53.
# With conntrack tracking dut, the echo is the reply of dut's own flow and
# passes; without, it is a query like any other. peer's guard must let
# dut's datagram in: exempt peer's interface.
echo "add dev:veth-peer" >$S/exempt
modprobe nf_conntrack 2>/dev/null
modprobe nft_ct 2>/dev/null
ct_on() {
	in_ns dut nft add table inet p53g_ct &&
	in_ns dut nft add chain inet p53g_ct input '{ type filter hook input priority 0; }' &&
	in_ns dut nft add rule inet p53g_ct input ct state established counter
}
ok "conntrack tracks dut (an nft ct rule there)" ct_on
for fam in 4 6; do
	fam_vars $fam
	lstart peer 53 -r
	snap
	probe dut $P -s 53 -t 2000
	lstop >/dev/null
	ok "IPv$fam conntrack: the echo of dut's own flow from peer:53 reaches dut:53" \
		grep -q '^reply bytes=' /tmp/p.out
	moved replies 1 "IPv$fam conntrack reply"
	moved rejected 0 "IPv$fam conntrack reply"
done
in_ns dut nft delete table inet p53g_ct
for fam in 4 6; do
	fam_vars $fam
	lstart peer 53 -r
	snap
	probe dut $P -s 53 -t 1000
	lstop >/dev/null
	ok "IPv$fam no conntrack in dut: the same echo is refused" \
		test "$(field replies /tmp/p.out)" = 0
	moved replies 0 "IPv$fam no conntrack"
	moved rejected 1 "IPv$fam no conntrack"
done

# --- 9. Broadcast and multicast: refused, never answered -------------------
section "9. Broadcast and multicast: refused, never answered"
# peer's own looped copies of its multicast arrive on veth-peer: still exempt.
in_ns dut $IP addr add 198.51.100.1/24 dev veth-dut
in_ns peer $IP route add 198.51.100.0/24 dev veth-peer
in_ns peer $IP neigh add 198.51.100.255 lladdr ff:ff:ff:ff:ff:ff dev veth-peer nud permanent
b4=$(unreach4) b6=$(unreach6)
fam_vars 4
for dst in 198.51.100.255 224.0.0.1; do
	lstart dut
	snap
	probe peer $dst -t 1000 -I veth-peer
	got=$(lstop)
	ok "to $dst:53: no ICMP error comes back" test "$(field icmp /tmp/p.out)" = 0
	ok "to $dst:53: the listener receives none" test "$got" = 0
	moved dropped_noreply 1 "to $dst:53"
	moved rejected 0 "to $dst:53"
done
fam_vars 6
lstart dut
snap
probe peer ff02::1%veth-peer -t 1000 -I veth-peer
got=$(lstop)
ok "to ff02::1:53: no ICMPv6 error comes back" test "$(field icmp /tmp/p.out)" = 0
ok "to ff02::1:53: the listener receives none" test "$got" = 0
moved dropped_noreply 1 "to ff02::1:53"
a4=$(unreach4) a6=$(unreach6)
ok "dut sent no ICMP unreachable for them ($b4 -> $a4)" test "$a4" = "$b4"
ok "dut sent no ICMPv6 unreachable for them ($b6 -> $a6)" test "$a6" = "$b6"
echo "del dev:veth-peer" >$S/exempt

# --- 10. Counter reset -----------------------------------------------------
section "10. Counter reset"
ok "stats: writing 0 is accepted" sh -c "echo 0 > $S/stats"
for n in rejected dropped monitored exempted replies tcp_reset dropped_ratelimit \
	dropped_noreply rejected_ipv4 rejected_ipv6; do
	load A
	eval "v=\$A_$n"
	ok "after reset: $n reads 0" test "$v" = 0
done
fam_vars 4
snap
probe peer $D -n 2 -t 2000
moved rejected 2 "after reset, 2 probes"

# --- 11. Namespaces --------------------------------------------------------
section "11. Namespaces"
# A namespace made after loading is guarded (checked on its loopback).
setup_ns late
in_ns late $IP link set lo up
no_icmp_limits late
setv loopback 0
for fam in 4 6; do
	fam_vars $fam
	lstart late
	probe late $LO -t 2000
	got=$(lstop)
	ok "IPv$fam ns created after modprobe: a query to $LO there is refused" \
		grep -q '^icmp type=' /tmp/p.out
	ok "IPv$fam ns created after modprobe: its listener receives none" test "$got" = 0
done
ok "rmmod port53guard" rmmod port53guard
ok "modprobe port53guard init_net_only=1" modprobe port53guard init_net_only=1
ok "init_net_only reads Y" test "$(cat /sys/module/port53guard/parameters/init_net_only)" = Y
sysctl -qw net.ipv4.icmp_ratelimit=0
sysctl -qw net.ipv6.icmp.ratelimit=0
setv loopback 0
for fam in 4 6; do
	fam_vars $fam
	lstart dut
	probe peer $D -t 1000
	got=$(lstop)
	ok "IPv$fam init_net_only=1: dut's namespace is not guarded (got $got)" \
		test "$got" = 1
	lstart late
	probe late $LO -t 1000
	got=$(lstop)
	ok "IPv$fam init_net_only=1: ns late is not guarded (got $got)" test "$got" = 1
	# shellcheck disable=SC2086
	LN=$((LN + 1))
	LOUT=/tmp/l.$LN.out
	p53g-listen $f -p 53 -t 60000 >$LOUT &
	LPID=$!
	wait_until 30 grep -q ready $LOUT || fail "listener in the initial namespace started"
	p53g-udpprobe $f -t 2000 $LO >/tmp/p.out 2>&1
	got=$(lstop)
	ok "IPv$fam init_net_only=1: the initial namespace is guarded" \
		grep -q '^icmp type=' /tmp/p.out
	ok "IPv$fam init_net_only=1: its listener receives none" test "$got" = 0
done
ok "rmmod port53guard" rmmod port53guard
del_ns late

# --- 12. Load-time parameters -----------------------------------------------
section "12. Load-time parameters"
mkdir -p /etc/modprobe.d
echo "options port53guard exempt=192.0.2.2,2001:db8:53::/64,dev:br-lan action=drop tcp=1 loopback=0 log=1 rate=7 max_entries=10" \
	>/etc/modprobe.d/port53guard.conf
ok "modprobe with options from /etc/modprobe.d" modprobe port53guard
for kv in action=drop tcp=1 loopback=0 log=1 rate=7 enabled=1; do
	ok "modprobe.d: ${kv%%=*} reads ${kv#*=}" test "$(cat $S/${kv%%=*})" = "${kv#*=}"
done
printf '192.0.2.2/32\n2001:db8:53::/64\ndev:br-lan\n' >/tmp/want
cat $S/exempt >/tmp/got
ok "modprobe.d: exempt= loaded, canonical" cmp -s /tmp/want /tmp/got
ok "modprobe.d: max_entries reads 10" \
	test "$(cat /sys/module/port53guard/parameters/max_entries)" = 10
ok "parameter files are read-only" \
	test "$(stat -c %a /sys/module/port53guard/parameters/action)" = 444
for fam in 4 6; do
	fam_vars $fam
	lstart dut
	probe peer $D -t 1000
	got=$(lstop)
	ok "IPv$fam modprobe.d: peer is exempt, its query arrives" test "$got" = 1
done
ok "rmmod port53guard" rmmod port53guard
rm -f /etc/modprobe.d/port53guard.conf

# Bad values fail closed: the module loads, names each bad value, keeps the
# protective defaults, and loads no exemption.
dmesg -c >/dev/null
ok "modprobe with bad values still loads" modprobe port53guard action=bogus rate=abc \
	tcp=2 enabled=maybe loopback=x log=yes init_net_only=perhaps max_entries=-1 \
	exempt=192.0.2.2,10.0.0.0/33
for kv in enabled=1 action=reject tcp=0 loopback=1 log=0 rate=300 forward=1 authoritative=0; do
	ok "bad parameter: ${kv%%=*} keeps ${kv#*=}" test "$(cat $S/${kv%%=*})" = "${kv#*=}"
done
ok "bad parameter: max_entries keeps 65536" \
	test "$(cat /sys/module/port53guard/parameters/max_entries)" = 65536
ok "bad parameter: init_net_only keeps N" \
	test "$(cat /sys/module/port53guard/parameters/init_net_only)" = N
ok "bad parameter: no exemption loaded" test -z "$(cat $S/exempt)"
for p in action=bogus rate=abc tcp=2 enabled=maybe loopback=x log=yes \
	init_net_only=perhaps max_entries=-1; do
	ok "the log names the bad parameter $p" sh -c "dmesg | grep -q 'parameter $p is not valid'"
done
ok "the log names the bad exempt entry and why" \
	sh -c "dmesg | grep -q \"parameter exempt: '10.0.0.0/33': prefix length must be 0-32\""
for fam in 4; do
	fam_vars $fam
	snap
	probe peer $D -t 2000
	ok "bad parameters: peer's query is still refused" test "$(field icmp /tmp/p.out)" = 1
done
ok "rmmod port53guard" rmmod port53guard
ok "modprobe with more exempt entries than max_entries loads" \
	modprobe port53guard max_entries=2 exempt=192.0.2.2,192.0.2.3,192.0.2.4
ok "... and loads none of them" test -z "$(cat $S/exempt)"
ok "rmmod port53guard" rmmod port53guard

# --- 13. Under load --------------------------------------------------------
section "13. Under load"
# Queries flood in over both families while the settings flip, the list is
# replaced and the counters reset; then the module is unloaded mid-flood.
# (The host fails the run on any splat in the kernel log.)
ok "modprobe port53guard rate=0" modprobe port53guard rate=0
$IP netns exec "$(ns peer)" p53g-udpprobe -n 100000 -t 1 $DUT4 >/dev/null 2>&1 &
F4=$!
$IP netns exec "$(ns peer)" p53g-udpprobe -6 -n 100000 -t 1 $DUT6 >/dev/null 2>&1 &
F6=$!
i=0 bad=0
while [ $i -lt 20 ]; do
	for kv in enabled=0 action=drop enabled=1 tcp=1 action=monitor loopback=0 \
		action=reject tcp=0 loopback=1 stats=0; do
		echo "${kv#*=}" >$S/${kv%%=*} || bad=$((bad + 1))
	done
	printf 'begin\nadd 192.0.2.2\nadd 2001:db8:53::/64\nadd dev:veth+\ncommit\n' >$S/exempt ||
		bad=$((bad + 1))
	cat $S/exempt $S/stats >/dev/null
	echo flush >$S/exempt || bad=$((bad + 1))
	i=$((i + 1))
done
ok "under load: 20 rounds of setting, list and counter writes all taken ($bad refused)" \
	test $bad = 0
snap
rejected_grew() {
	delta rejected
	[ "$DV" -gt 0 ]
}
ok "under load: the floods are still refused" wait_until 5 rejected_grew
ok "rmmod port53guard under load" rmmod port53guard
ok "modprobe port53guard under load" modprobe port53guard
ok "rmmod port53guard under load, again" rmmod port53guard
kill $F4 $F6 2>/dev/null
wait $F4 $F6 2>/dev/null

# --- 14. Unload ------------------------------------------------------------
section "14. Unload"
ok "$S is gone after rmmod" test ! -e $S
for fam in 4 6; do
	fam_vars $fam
	lstart dut
	probe peer $D -t 1000
	got=$(lstop)
	ok "IPv$fam after rmmod: the query reaches the listener" test "$got" = 1
done

topo_down
