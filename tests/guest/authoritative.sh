#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# authoritative 1: a real authoritative server (Debian's nsd) answers
# resolvers' iterative queries (RD clear) while a real recursive resolver
# (Debian's unbound) on the same host stays refused to the world.
#
#   +------- ns peer (the Internet) -------+    +-------------- ns dut --------------+
#   | veth-peer 192.0.2.2/24               |<-->| veth-dut 192.0.2.1   nsd :53        |
#   |           2001:db8:53::2/64          |    |          2001:db8:53::1             |
#   |           192.0.2.4, 2001:db8:53::4  |    |          192.0.2.3   unbound :53    |
#   |           (exempt sources)           |    |          2001:db8:53::3             |
#   +--------------------------------------+    +------------------------------------+
#
# 0. Without the guard both servers answer peer.
# 1. authoritative 0 (the default): dig +norec to nsd is refused.
# 2. authoritative 1, UDP, IPv4 and IPv6: dig +norec answered (iterative
#    +1), dig (RD set) refused by ICMP (rejected +1), an exempt source
#    with RD set answered (exempted +1).
# 3. tcp 1: dig +tcp +norec answered (the SYN passes, the query segment
#    is iterative +1); dig +tcp with RD set gets a RST (tcp_reset +1) and
#    no answer; an exempt source is answered.
# 4. unbound: refused to peer's RD=1 queries, answers an exempt source;
#    an RD=0 query reaches it (the trade-off the README states).
# 5. action monitor: RD clear counts iterative, RD set monitored.
# 6. The setting in save, save --modprobe and restore, its change record.
# Counters move by exactly the queries sent. Documentation prefixes only.
. /p53g/guest/lib.sh

EX4=192.0.2.4 EX6=2001:db8:53::4
REC4=192.0.2.3 REC6=2001:db8:53::3
AUTH_NAME=www.auth.example.test A_AUTH=192.0.2.80
REC_NAME=www.rec.example.test A_REC=192.0.2.99
DIG_T=5 BOUND=15
[ $SLOW = 1 ] && { DIG_T=60; BOUND=120; }
D=/tmp/p53g-auth

# load P: P_name=value for every line of the stats file; snap, then
# moved NAME N WHAT: the counter NAME moved by exactly N since snap.
load() { while read -r _k _v; do eval "$1_$_k=\$_v"; done <$ST/stats; }
snap() { load B; }
moved() {
	load A
	_dv=
	eval "_dv=\$((A_$1 - B_$1))"
	ok "$3: $1 moved by $2 ($_dv)" test "$_dv" = "$2"
}

# ask SRC SERVER NAME [DIG-ARGS]: dig's short answer or its error, from
# peer's address SRC.
ask() {
	_b=$1 _s=$2 _q=$3; shift 3
	nsx peer dig +short +time=$DIG_T +tries=1 +retry=0 -b "$_b" "$@" @"$_s" "$_q" A 2>&1
}
answered() {	# answered DESC SRC SERVER NAME WANT [DIG-ARGS]
	_d=$1 _b=$2 _s=$3 _q=$4 _w=$5; shift 5
	_a=$(ask "$_b" "$_s" "$_q" "$@")
	ok "$_d: answered ($(echo $_a | cut -c1-70))" test "$_a" = "$_w"
}
refused() {	# refused DESC SRC SERVER NAME [DIG-ARGS]: ICMP port unreachable
	_d=$1 _b=$2 _s=$3 _q=$4; shift 4
	_a=$(ask "$_b" "$_s" "$_q" "$@")
	ok "$_d: dig is refused ($(echo $_a | cut -c1-70))" has "$_a" "connection refused"
}
was_reset() {	# was_reset DESC SRC SERVER NAME [DIG-ARGS]: a TCP query gets a RST
	_d=$1 _b=$2 _s=$3 _q=$4; shift 4
	_a=$(ask "$_b" "$_s" "$_q" "$@")
	ok "$_d: no answer, the connection is reset ($(echo $_a | cut -c1-70))" \
		sh -c 'case $1 in *"connection reset"*) ! echo "$1" | grep -q "^[0-9]" ;; *) false ;; esac' _ "$_a"
}

cleanup() {
	for p in $D/nsd.pid $D/unbound.pid; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	[ -n "${NSD_PID:-}" ] && kill "$NSD_PID" 2>/dev/null
	[ -n "${UNBOUND_PID:-}" ] && kill "$UNBOUND_PID" 2>/dev/null
	rmmod port53guard 2>/dev/null
	topo_down
}

# --- topology and servers ------------------------------------------------
topo_up
patient_tcp
nsip peer addr add $EX4/24 dev veth-peer
nsip peer addr add $EX6/64 dev veth-peer nodad
nsip dut addr add $REC4/24 dev veth-dut
nsip dut addr add $REC6/64 dev veth-dut nodad
rm -rf $D
mkdir -p $D
cat >$D/auth.example.test.zone <<'EOF'
$ORIGIN auth.example.test.
$TTL 300
@	IN SOA ns1 hostmaster 1 3600 600 86400 300
@	IN NS ns1
ns1	IN A 192.0.2.1
www	IN A 192.0.2.80
EOF
cat >$D/nsd.conf <<EOF
server:
	ip-address: $DUT4
	ip-address: $DUT6
	port: 53
	username: ""
	chroot: ""
	zonesdir: "$D"
	database: ""
	zonelistfile: "$D/zone.list"
	xfrdfile: "$D/xfrd.state"
	xfrdir: "$D"
	pidfile: "$D/nsd.pid"
	logfile: "$D/nsd.log"
	server-count: 1
	tcp-count: 32
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: "auth.example.test"
	zonefile: "auth.example.test.zone"
EOF
cat >$D/unbound.conf <<EOF
server:
	interface: $REC4
	interface: $REC6
	port: 53
	username: ""
	chroot: ""
	directory: "$D"
	pidfile: "$D/unbound.pid"
	use-syslog: no
	logfile: "$D/unbound.log"
	do-daemonize: no
	num-threads: 1
	so-reuseport: no
	outgoing-range: 32
	module-config: "iterator"
	access-control: 0.0.0.0/0 allow
	access-control: ::/0 allow
	local-zone: "rec.example.test." static
	local-data: "$REC_NAME. A $A_REC"
remote-control:
	control-enable: no
EOF
nsx dut nsd -d -c $D/nsd.conf >$D/nsd.out 2>&1 &
NSD_PID=$!
nsx dut unbound -d -c $D/unbound.conf >$D/unbound.out 2>&1 &
UNBOUND_PID=$!

# --- 0. Without the guard -------------------------------------------------
section "0. without the guard both servers answer"
# up SERVER NAME WANT: the server answers (it has started).
up() { test "$(nsx peer dig +short +time=1 +tries=1 @"$1" "$2" A 2>/dev/null)" = "$3"; }
ok "nsd answers on $DUT4 (it started)" wait_until $BOUND up $DUT4 $AUTH_NAME $A_AUTH
ok "unbound answers on $REC4 (it started)" wait_until $BOUND up $REC4 $REC_NAME $A_REC
[ -s $D/nsd.log ] && sed 's/^/# nsd: /' $D/nsd.log | tail -n 3
answered "IPv6 peer -> nsd, RD set, no guard" $PEER6 $DUT6 $AUTH_NAME $A_AUTH
answered "IPv6 peer -> unbound, RD set, no guard" $PEER6 $REC6 $REC_NAME $A_REC

# --- 1. authoritative 0 ---------------------------------------------------
section "1. authoritative 0: nothing changes"
ok "modprobe port53guard" modprobe port53guard
ok "authoritative reads 0 by default" test "$(cat $ST/authoritative)" = 0
ok "stats has an iterative line" grep -q '^iterative 0$' $ST/stats
snap
refused "IPv4 peer -> nsd +norec, authoritative 0" $PEER4 $DUT4 $AUTH_NAME +norec
moved rejected 1 "authoritative 0, RD clear"
moved iterative 0 "authoritative 0, RD clear"
ok "the module parameter authoritative=1 sets it at load" \
	sh -c 'rmmod port53guard && modprobe port53guard authoritative=1 &&
		test "$(cat /sys/kernel/port53guard/authoritative)" = 1'
ok "port53guard set authoritative 0, then 1" \
	sh -c 'port53guard set authoritative 0 && port53guard set authoritative 1'
ok "the change is recorded: setting=authoritative old 0 new 1" \
	sh -c 'dmesg | grep -q "setting=authoritative old_authoritative=0 new_authoritative=1"'
echo "add $EX4" >$ST/exempt
echo "add $EX6" >$ST/exempt

# --- 2. UDP ---------------------------------------------------------------
for fam in 4 6; do
	if [ $fam = 4 ]; then S=$DUT4 P=$PEER4 X=$EX4; else S=$DUT6 P=$PEER6 X=$EX6; fi
	section "2. IPv$fam UDP, authoritative 1"
	snap
	answered "IPv$fam peer -> nsd +norec" $P $S $AUTH_NAME $A_AUTH +norec
	moved iterative 1 "IPv$fam +norec"
	moved iterative_ipv$fam 1 "IPv$fam +norec"
	moved rejected 0 "IPv$fam +norec"
	snap
	refused "IPv$fam peer -> nsd, RD set" $P $S $AUTH_NAME
	moved rejected 1 "IPv$fam RD set"
	moved iterative 0 "IPv$fam RD set"
	snap
	answered "IPv$fam exempt peer -> nsd, RD set" $X $S $AUTH_NAME $A_AUTH
	moved exempted 1 "IPv$fam exempt, RD set"
	moved iterative 0 "IPv$fam exempt, RD set"
	moved rejected 0 "IPv$fam exempt, RD set"
done

# --- 3. TCP ---------------------------------------------------------------
echo 1 >$ST/tcp
for fam in 4 6; do
	if [ $fam = 4 ]; then S=$DUT4 P=$PEER4 X=$EX4; else S=$DUT6 P=$PEER6 X=$EX6; fi
	section "3. IPv$fam TCP, tcp 1, authoritative 1"
	snap
	answered "IPv$fam peer -> nsd +tcp +norec" $P $S $AUTH_NAME $A_AUTH +tcp +norec
	moved iterative 1 "IPv$fam +tcp +norec"
	moved rejected 0 "IPv$fam +tcp +norec"
	snap
	was_reset "IPv$fam peer -> nsd +tcp, RD set" $P $S $AUTH_NAME +tcp
	moved tcp_reset 1 "IPv$fam +tcp, RD set"
	moved rejected 1 "IPv$fam +tcp, RD set"
	moved iterative 0 "IPv$fam +tcp, RD set"
	snap
	answered "IPv$fam exempt peer -> nsd +tcp, RD set" $X $S $AUTH_NAME $A_AUTH +tcp
	moved rejected 0 "IPv$fam exempt +tcp"
	moved iterative 0 "IPv$fam exempt +tcp"
done
echo 0 >$ST/tcp

# --- 4. The resolver on the same host --------------------------------------
for fam in 4 6; do
	if [ $fam = 4 ]; then R=$REC4 P=$PEER4 X=$EX4; else R=$REC6 P=$PEER6 X=$EX6; fi
	section "4. IPv$fam unbound, authoritative 1"
	snap
	refused "IPv$fam peer -> unbound, RD set" $P $R $REC_NAME
	moved rejected 1 "IPv$fam unbound RD set"
	snap
	answered "IPv$fam exempt peer -> unbound, RD set" $X $R $REC_NAME $A_REC
	moved exempted 1 "IPv$fam unbound, exempt"
	snap
	_a=$(ask $P $R $REC_NAME +norec +noshort +comments)
	ok "IPv$fam peer -> unbound +norec: passes the guard, unbound replies itself ($(echo "$_a" | grep -o 'status: [A-Z]*'))" \
		has "$_a" "status: "
	moved iterative 1 "IPv$fam unbound +norec"
done

# --- 5. monitor -----------------------------------------------------------
section "5. action monitor"
echo monitor >$ST/action
snap
answered "IPv4 peer -> nsd, RD set, monitor" $PEER4 $DUT4 $AUTH_NAME $A_AUTH
moved monitored 1 "monitor, RD set"
moved iterative 0 "monitor, RD set"
snap
answered "IPv4 peer -> nsd +norec, monitor" $PEER4 $DUT4 $AUTH_NAME $A_AUTH +norec
moved iterative 1 "monitor, RD clear"
moved monitored 0 "monitor, RD clear"
echo reject >$ST/action

# --- 6. Saved and restored ------------------------------------------------
section "6. save and restore"
ok "save writes set authoritative 1" \
	sh -c "port53guard save -o $D/saved.conf && grep -qx 'set authoritative 1' $D/saved.conf"
ok "save --modprobe has authoritative=1" \
	sh -c 'port53guard save --modprobe | grep -q " authoritative=1"'
ok "status shows it" sh -c 'port53guard status | grep -qx "  authoritative: 1"'
port53guard set authoritative 0
snap
refused "IPv4 peer -> nsd +norec, after set authoritative 0" $PEER4 $DUT4 $AUTH_NAME +norec
moved rejected 1 "authoritative 0 again"
ok "restore of the saved file" port53guard restore $D/saved.conf
ok "authoritative reads 1 after restore" test "$(cat $ST/authoritative)" = 1
snap
answered "IPv4 peer -> nsd +norec, after restore" $PEER4 $DUT4 $AUTH_NAME $A_AUTH +norec
moved iterative 1 "after restore"
ok "rmmod port53guard" rmmod port53guard
