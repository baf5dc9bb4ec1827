#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The nftables fallback (port53guard fallback): with the module not
# loaded, the paths nat.sh proves for the module, against the table
# inet port53guard applied in dut (nat-lib.sh's topology):
#
# 1. REDIRECT and DNAT 53 -> dut:5354: refused (ICMP quoting port 53),
#    5354 itself answered, an exempt source answered; TCP with tcp 1 RST.
# 2. Published (DNAT 53 -> ctr:5354 and ctr:53, judged on forward):
#    refused, exempt answered, forward 0 answered; TCP with tcp 1 RST;
#    ctr's own lookups leave the host.
# 3. Along a flow dut opened from port 53: a query refused, a response
#    (QR 1) passes; UDP-Lite refused like UDP.
# 4. Each setting as the module applies it: action drop and monitor,
#    enabled 0, dev: exemptions (exact and NAME+), authoritative (RD 0
#    passes over UDP and TCP, RD 1 refused), loopback, the reply limit.
# 5. The tool: the unit's --unit path with modprobe refused, status,
#    verify (4 fallback, 1 not guarded) and the metrics in dut and
#    outside it; then the module loads, restore removes the table, and a
#    table left beside a guarding module fails verify and goes at the
#    tool's next change.
# Every section checks the table's counters move by exactly what was sent.
. /p53g/guest/lib.sh
. /p53g/guest/nat-lib.sh

FB=/tmp/fb.conf
STATE=/run/port53guard/fallback

# cnt NAME: the fallback's counter NAME in dut (packets).
cnt() {
	nsx dut nft list counter inet port53guard "$1" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") v = $(i + 1) } END { print v + 0 }'
}
snap() { for _c in rejected dropped monitored exempted replies iterative; do eval "B_$_c=$(cnt $_c)"; done; }
moved() {
	_n=$(cnt "$1")
	eval "_dv=\$((_n - B_$1))"
	ok "$3: $1 moved by $2 ($_dv)" test "$_dv" = "$2"
}
# conf LINE...: the saved configuration (every setting, as save writes
# it, then LINEs), applied as dut's fallback.
conf() {
	{
		printf 'set enabled 1\nset action reject\nset tcp 0\nset loopback 1\n'
		printf 'set log 0\nset rate 0\nset forward 1\nexempt flush\n'
		printf '%s\n' "$@"
	} >$FB
	ok "fallback applied ($*)" nsx dut port53guard fallback $FB
}
# no_table: dut has no table inet port53guard.
no_table() { ! nsx dut nft list table inet port53guard >/dev/null 2>&1; }
no_icmp() {	# no_icmp DESC NS ADDR [PROBE-ARGS]: a probe to ADDR:53 gets no ICMP
	_d=$1 _n=$2 _s=$3; shift 3
	_fl=
	[ "$(fam_of "$_s")" = 6 ] && _fl=-6
	next_sport
	# shellcheck disable=SC2086
	nsx "$_n" p53g-udpprobe $_fl -s $SP "$@" -p 53 -t $QUIET_MS "$_s" >/tmp/fb-r.out 2>&1
	ok "$_d: no ICMP ($(tail -n1 /tmp/fb-r.out))" test "$(field icmp /tmp/fb-r.out)" = 0
}

nat_topo_up
patient_tcp
ok "the module is not loaded" sh -c '! grep -q "^port53guard " /proc/modules'
nsx dut port53guard verify >/tmp/fb-v.out 2>&1
ok "verify without module or table: exit 1 ($?)" test $? = 1

# --- 1. Redirected and DNATed to a local port --------------------------
conf
ok "the table is in dut" nsx dut nft list table inet port53guard >/dev/null
ok "and in dut only" sh -c '! nft list table inet port53guard >/dev/null 2>&1'
for mode in redirect dnat; do
	section "1. $mode 53 -> dut:5354, the fallback"
	for fam in 4 6; do
		if [ $fam = 4 ]; then D=$DUT4 P=$PEER4 tbl=ip; else D=$DUT6 P=$PEER6 tbl=ip6; fi
		if [ $mode = redirect ]; then nat_rule $tbl "redirect to :5354"
		elif [ $fam = 4 ]; then nat_rule ip "dnat to $DUT4:5354"
		else nat_rule ip6 "dnat to [$DUT6]:5354"; fi
		snap
		refused_dig "IPv$fam peer -> dut:53 ($mode to 5354)" peer $D
		icmp_quotes_53 "IPv$fam peer -> dut:53 ($mode to 5354)" peer $D
		answered "IPv$fam peer -> dut:5354 itself (no translation)" peer $D $A_DUT -p 5354
		moved rejected 2 "IPv$fam $mode"
		conf "exempt add $P"
		snap
		answered "IPv$fam peer exempt -> dut:53 ($mode to 5354)" peer $D $A_DUT
		moved exempted 1 "IPv$fam $mode, exempt source"
		moved rejected 0 "IPv$fam $mode, exempt source"
		conf
		nat_rule $tbl none
	done
done
section "1. TCP with tcp 1: a SYN redirected from 53 gets a RST"
conf "set tcp 1"
for fam in 4 6; do
	if [ $fam = 4 ]; then D=$DUT4 tbl=ip; else D=$DUT6 tbl=ip6; fi
	nat_rule $tbl "redirect to :5354"
	snap
	refused_dig "IPv$fam peer -> dut:53 over TCP (redirect to 5354)" peer $D +tcp
	moved rejected 1 "IPv$fam TCP redirect"
	nat_rule $tbl none
done

# --- 2. Published to a container ---------------------------------------
for port in 5354 53; do
	want=$A_CTR; [ $port = 53 ] && want=$A_CTR53
	section "2. published: dut DNATs 53 to ctr:$port, the fallback"
	for fam in 4 6; do
		if [ $fam = 4 ]; then D=$DUT4 P=$PEER4 tbl=ip C=$CTR4; else D=$DUT6 P=$PEER6 tbl=ip6 C="[$CTR6]"; fi
		nat_rule $tbl "dnat to $C:$port"
		conf
		snap
		refused_dig "IPv$fam peer -> dut:53 published to ctr:$port" peer $D
		icmp_quotes_53 "IPv$fam peer -> dut:53 published to ctr:$port" peer $D
		moved rejected 2 "IPv$fam published to $port"
		conf "exempt add $P"
		snap
		answered "IPv$fam peer exempt -> dut:53 published to ctr:$port" peer $D $want
		moved exempted 1 "IPv$fam published to $port, exempt source"
		conf "set forward 0"
		snap
		answered "IPv$fam peer -> dut:53 published to ctr:$port, forward 0" peer $D $want
		moved rejected 0 "IPv$fam forward 0"
		nat_rule $tbl none
	done
done
section "2. published TCP with tcp 1: a SYN gets a RST"
conf "set tcp 1"
for fam in 4 6; do
	if [ $fam = 4 ]; then D=$DUT4 tbl=ip C=$CTR4; else D=$DUT6 tbl=ip6 C="[$CTR6]"; fi
	nat_rule $tbl "dnat to $C:5354"
	snap
	refused_dig "IPv$fam peer -> dut:53 over TCP published to ctr:5354" peer $D +tcp
	moved rejected 1 "IPv$fam TCP published"
	nat_rule $tbl none
done
section "2. the container's own lookups leave the host"
conf
for fam in 4 6; do
	if [ $fam = 4 ]; then P=$PEER4; else P=$PEER6; fi
	snap
	answered "IPv$fam ctr -> peer:53, through dut" ctr $P $A_PEER
	moved rejected 0 "IPv$fam ctr's own lookup"
	moved dropped 0 "IPv$fam ctr's own lookup"
done

# --- 3. Reply-shaped queries, UDP-Lite ---------------------------------
section "3. along a flow dut opened from port 53, the fallback"
reply_shaped
if [ -e /proc/net/udplite ]; then
	section "3. UDP-Lite, the fallback"
	for fam in 4 6; do
		if [ $fam = 4 ]; then f= D=$DUT4 P=$PEER4; else f=-6 D=$DUT6 P=$PEER6; fi
		listen_bg dut /tmp/fb-l.out $f -L -p 53 -t 60000
		conf
		snap
		icmp_quotes_53 "IPv$fam peer -> dut:53 over UDP-Lite" peer $D -L
		moved rejected 1 "IPv$fam UDP-Lite"
		conf "exempt add $P"
		snap
		no_icmp "IPv$fam peer exempt -> dut:53 over UDP-Lite" peer $D -L
		moved exempted 1 "IPv$fam UDP-Lite, exempt source"
		killall p53g-listen 2>/dev/null
		wait_until 5 grep -q received= /tmp/fb-l.out
		ok "IPv$fam dut's UDP-Lite listener got the exempt datagram only ($(field received /tmp/fb-l.out))" \
			test "$(field received /tmp/fb-l.out)" = 1
		wait
	done
fi

# --- 4. Each setting ----------------------------------------------------
section "4. settings, the fallback"
nat_rule ip "redirect to :5354"
nat_rule ip6 "redirect to :5354"
conf "set action drop"
snap
no_icmp "IPv4 action drop" peer $DUT4
no_icmp "IPv6 action drop" peer $DUT6
moved dropped 2 "action drop"
conf "set action monitor"
snap
answered "IPv4 action monitor" peer $DUT4 $A_DUT
answered "IPv6 action monitor" peer $DUT6 $A_DUT
moved monitored 2 "action monitor"
moved rejected 0 "action monitor"
conf "set enabled 0"
nsx dut nft list table inet port53guard >/tmp/fb-c.out
ok "enabled 0: the table has no chain" \
	sh -c 'grep -q "table inet port53guard" /tmp/fb-c.out && ! grep -q chain /tmp/fb-c.out'
answered "IPv4 enabled 0" peer $DUT4 $A_DUT
nsx dut port53guard verify >/tmp/fb-v.out 2>&1
ok "verify with a table that refuses nothing: exit 1 ($?)" test $? = 1
conf "exempt add dev:veth-dut"
snap
answered "IPv4 exempt dev:veth-dut" peer $DUT4 $A_DUT
moved exempted 1 "dev:veth-dut"
conf "exempt add dev:veth-d+"
snap
answered "IPv6 exempt dev:veth-d+" peer $DUT6 $A_DUT
moved exempted 1 "dev:veth-d+"
conf "exempt add dev:veth-x+" "exempt add dev:eth0"
snap
refused_dig "IPv4 dev:veth-x+ and dev:eth0 do not name veth-dut" peer $DUT4
moved rejected 1 "dev: entries naming other interfaces"
conf "set authoritative 1" "set tcp 1"
snap
answered "IPv4 authoritative 1: +norec (RD 0) passes" peer $DUT4 $A_DUT +norec
answered "IPv6 authoritative 1: +norec (RD 0) passes" peer $DUT6 $A_DUT +norec
refused_dig "IPv4 authoritative 1: RD 1" peer $DUT4
refused_dig "IPv6 authoritative 1: RD 1" peer $DUT6
moved iterative 2 "authoritative 1, RD 0 over UDP"
moved rejected 2 "authoritative 1, RD 1 over UDP"
snap
answered "IPv4 authoritative 1, tcp 1: +tcp +norec passes" peer $DUT4 $A_DUT +tcp +norec
next_sport
a=$(ask peer $DUT4 +tcp)
ok "IPv4 authoritative 1, tcp 1: +tcp with RD 1 gets no answer ($(echo $a | cut -c1-60))" \
	test -n "$a" -a "$a" != "$A_DUT"
moved iterative 1 "authoritative 1, RD 0 over TCP (the query's segment)"
load_r=$(cnt rejected)
ok "authoritative 1, RD 1 over TCP: the query's segment reset (rejected moved by $((load_r - B_rejected)))" \
	test $((load_r - B_rejected)) -ge 1
nat_rule ip none
nat_rule ip6 none
listen_bg dut /tmp/fb-l.out -p 53 -t 60000
snap
no_icmp "loopback 1: dut -> 127.0.0.1:53" dut 127.0.0.1
moved exempted 1 "loopback 1"
conf "set loopback 0"
snap
nsx dut p53g-udpprobe -p 53 -t $PROBE_MS 127.0.0.1 >/tmp/fb-r.out 2>&1
ok "loopback 0: dut -> 127.0.0.1:53 gets ICMP ($(tail -n1 /tmp/fb-r.out))" \
	test "$(field icmp /tmp/fb-r.out)" = 1
moved rejected 1 "loopback 0"
killall p53g-listen 2>/dev/null
wait
conf "set rate 2"
nsx dut nft list chain inet port53guard query >/tmp/fb-c.out
ok "rate 2: a limit in front of the replies" grep -q 'limit rate over 2/second burst 2 packets' /tmp/fb-c.out
snap
# One process sends the ten, each after the last one's answer or 100 ms:
# about a second, against the four seconds the limit needs to refill
# eight tokens, whatever the host's load does to process start-up.
next_sport
nsx peer p53g-udpprobe -s $SP -p 53 -n 10 -t 100 $DUT4 >/tmp/fb-r.out 2>&1
r=$(cnt rejected) d=$(cnt dropped)
r=$((r - B_rejected)) d=$((d - B_dropped))
ok "rate 2: 10 queries, rejected + dropped = 10 ($r + $d), some dropped" \
	test $((r + d)) = 10 -a "$d" -gt 0
ok "rate 2: no query answered ($(tail -n 1 /tmp/fb-r.out))" grep -q "^sent=10 .* replies=0 " /tmp/fb-r.out

# --- 5. The tool --------------------------------------------------------
section "5. the unit's path, status, verify, metrics"
nsx dut port53guard fallback --remove
ok "fallback --remove: the table is gone" no_table
ok "fallback --remove: the state is gone" test ! -e $STATE
mkdir -p /etc/modprobe.d
echo "install port53guard /bin/false" >/etc/modprobe.d/p53g-refuse.conf
conf
nsx dut port53guard fallback --remove
nsx dut env SERVICE_RESULT=success port53guard fallback --unit $FB
ok "--unit after a stop that was no failure: no table" \
	no_table
nsx dut env SERVICE_RESULT=exit-code port53guard fallback --unit $FB >/tmp/fb-u.out 2>&1
ok "--unit after modprobe failed: exit 0" test $? = 0
ok "--unit says why and that the fallback guards ($(head -c 200 /tmp/fb-u.out))" \
	grep -q "could not be loaded (modprobe: .*Error running install command .*/bin/false.*guarded by the nftables fallback" /tmp/fb-u.out
ok "--unit: the table is in dut" nsx dut nft list table inet port53guard >/dev/null
rm -f /etc/modprobe.d/p53g-refuse.conf
nsx dut port53guard status >/tmp/fb-s.out 2>&1
ok "status in dut: exit 0 ($?)" test $? = 0
ok "status in dut says the fallback guards" grep -q "guarded by the nftables fallback" /tmp/fb-s.out
ok "status in dut says why" grep -q "Error running install command" /tmp/fb-s.out
nsx dut port53guard status --json >/tmp/fb-s.out 2>&1
ok "status --json in dut: fallback true" grep -q '"fallback": true' /tmp/fb-s.out
port53guard status >/tmp/fb-s.out 2>&1
ok "status outside dut: not guarded, exit 1 ($?)" test $? = 1
nsx dut port53guard verify >/tmp/fb-v.out 2>&1
ok "verify in dut: exit 4 ($?)" test $? = 4
ok "verify in dut names the fallback" grep -q "guarded only by the nftables fallback" /tmp/fb-v.out
port53guard verify >/tmp/fb-v.out 2>&1
ok "verify outside dut: exit 1 ($?)" test $? = 1
nsx dut port53guard status --format prometheus >/tmp/fb-m.out 2>&1
ok "metrics in dut: port53guard_fallback 1" grep -qx "port53guard_fallback 1" /tmp/fb-m.out
ok "metrics in dut: port53guard_up 0" grep -qx "port53guard_up 0" /tmp/fb-m.out
nsx dut su nobody -s /bin/sh -c "port53guard status --format prometheus" >/tmp/fb-m.out 2>&1
ok "metrics in dut as nobody: port53guard_fallback 1 (from the state file)" \
	grep -qx "port53guard_fallback 1" /tmp/fb-m.out
port53guard status --format prometheus >/tmp/fb-m.out 2>&1
ok "metrics outside dut: port53guard_fallback 0" grep -qx "port53guard_fallback 0" /tmp/fb-m.out

section "5. the module loads: the table goes"
ok "modprobe port53guard" modprobe port53guard
nsx dut port53guard verify >/tmp/fb-v.out 2>&1
ok "verify with the table beside the module: exit 1 ($?)" test $? = 1
ok "verify names the table" grep -q "table inet port53guard" /tmp/fb-v.out
nsx dut port53guard restore $FB >/tmp/fb-r.out 2>&1
ok "restore with the module loaded: exit 0" test $? = 0
ok "restore removed the table ($(cat /tmp/fb-r.out))" \
	no_table
ok "and the state" test ! -e $STATE
nsx dut port53guard fallback $FB >/tmp/fb-r.out 2>&1
ok "fallback beside a loaded module warns" grep -q "the module is loaded" /tmp/fb-r.out
nsx dut port53guard exempt add 192.0.2.77 >/tmp/fb-r.out 2>&1
ok "the next change to the guarding module removes the table ($(cat /tmp/fb-r.out))" \
	no_table
nsx dut port53guard verify >/tmp/fb-v.out 2>&1
ok "verify: guarded by the module, exit 0 ($?)" test $? = 0
nat_rule ip "redirect to :5354"
refused_dig "IPv4 the module guards" peer $DUT4
nat_rule ip none
ok "rmmod port53guard" rmmod port53guard
exit $T_FAILED
