#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load + control: UDP/53 floods from spoofed sources while two writers
# replace the exemption list over and over and a third toggles enabled and
# action. Every packet must be counted exactly once, none lost, and no
# verdict may come from a half-built list.
#
#   ns peer: floods (p53g-raw send, AF_PACKET)  ---->  ns dut: port53guard,
#            ICMP tap (p53g-raw watch)          <----  listeners on :53
#
# Floods (each source port marks its sender at the tap):
#   F1  10.3.0.0/24, random per packet   (list A's LAST entry)
#   F2  10.1.0.1                          (list A's FIRST entry)
#   F6  2001:db8:a000::/96, random        (in no list, ever)
#   F7  10.5.0.0/24, random, to dut's published address 192.0.2.100:53,
#       which a third writer DNATs to ns ctr (198.51.100.2:5354, behind
#       dut, which forwards) and un-DNATs, over and over, while it also
#       toggles forward: the published path under churn
# Lists:
#   E   empty
#   A   4096 IPv4 entries: 10.1.0.1/32, 4094 host routes in 10.2.0.0/16,
#       10.3.0.0/24; replaced by writers 1 and 2 with the tool
#       (`port53guard exempt replace`, a staged replace: begin, about 18
#       writes of whole lines, commit), alternating with E
#   B   62 IPv6 entries, FIRST 2001:db8:b000::1/128, LAST
#       2001:db8:b000:ffff::1/128; staged by writer 2 itself with the sysfs
#       protocol, in two writes with a pause after each, then committed
#
# What a half-built list looks like from outside: packets judged against a
# list that holds some of a replace's entries but not yet all of them, or
# against entries that are staged but not committed. Such a list would
# exempt B's first entry (in the first staged write) while its last is
# not there yet, or exempt B's sources at all before the commit. So while
# writer 2 holds B staged and paused, it sends queries from B's first and
# last entries and waits until the hook has judged them: the live list
# then cannot hold any IPv6 entry (writer 2 flushed it before "begin"; E
# and A hold none), so the IPv6 exempted counter must not move at all
# (F6 never matches a list). A staged list leaking into the live one, or
# a commit published in pieces, moves it. Any such move is counted as
# misclassified. After the commit the same queries may be exempt (if no
# other writer replaced the list meanwhile), which shows the probe works.
# List A is checked the same way at the end, quiescent: after a final
# replace it reads back exactly, and its first and last entries are both
# exempt, each query counted once.
#
# Exactly once: an nft chain at priority 0 in every namespace counts every
# packet that reaches LOCAL_IN (the guard hooks every namespace, at
# priority 1, and nothing between them drops), and one on FORWARD in dut
# every packet it routes; the guard's 12 outcome counters, input and
# forward, must move by exactly that sum. Lost: the floods' senders count
# the frames the veth took; the UDP/53 counter at dut's input plus F7's
# DNATed packets on its FORWARD must equal that. Misclassified on the
# published path: a DNATed query counted as passed on FORWARD, or more of
# F7 reaching ctr's listener than FORWARD let through.
. /p53g/guest/stress-lib.sh

SECS=10 TARGET=40 K=100 EVERY=5
[ $SLOW = 1 ] && { SECS=10 TARGET=8 K=10 EVERY=3; }
[ $LONG = 1 ] && { SECS=60 TARGET=1000; }
BFIRST=2001:db8:b000::1
BLAST=2001:db8:b000:ffff::1
STOP=/tmp/st.stop MINDONE=/tmp/st.mindone
rm -f $STOP $MINDONE /tmp/dn.met

stress_topo
# ns ctr behind dut, and dut's published address.
PUB4=192.0.2.100 CTR4=198.51.100.2
setup_ns ctr
$IP link add veth-ctr netns "$(ns dut)" type veth peer name eth0 netns "$(ns ctr)"
nsx ctr $IP link set lo up
nsx ctr $IP addr add $CTR4/24 dev eth0
nsx ctr $IP link set eth0 up
nsx ctr $IP route add default via 198.51.100.1
nsx dut $IP addr add 198.51.100.1/24 dev veth-ctr
nsx dut $IP link set veth-ctr up
nsx dut $IP addr add $PUB4/32 dev veth-dut
nsx dut sysctl -qw net.ipv4.ip_forward=1
for _d in all default eth0; do nsx ctr sysctl -qw net.ipv4.conf.$_d.rp_filter=0; done
for ns in dut peer ctr -; do count_chain $ns; done
in_ns dut nft add rule inet p53g_st input ip6 saddr 2001:db8:b000::/48 udp dport 53 counter
# FORWARD in dut: F7's DNATed queries, then every packet routed.
nsx dut nft -f - <<-EOF
table inet p53g_fw {
	chain forward {
		type filter hook forward priority 0;
		ip daddr $CTR4 udp dport 5354 counter
		counter
	}
}
EOF
fw_counts() {
	nsx dut nft list chain inet p53g_fw forward |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") v[n++] = $(i + 1) }
			END { print v[0] + 0, v[1] + 0 }'
}
fw7() { fw_counts | cut -d' ' -f1; }
fwall() { fw_counts | cut -d' ' -f2; }
dnat_on() {
	nsx dut nft -f - <<-EOF
	table ip p53g_pub {
		chain pre {
			type nat hook prerouting priority dstnat;
			ip daddr $PUB4 udp dport 53 dnat to $CTR4:5354
		}
	}
	EOF
}
dnat_off() { nsx dut nft delete table ip p53g_pub; }
bcount() {
	nsx dut nft list chain inet p53g_st input |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") v[n++] = $(i + 1) }
			END { print v[3] + 0 }'
}
# Every packet that reached LOCAL_IN anywhere, and UDP/53 in dut.
allnft() { for ns in dut peer ctr -; do nft_counts $ns; done | awk '{ t += $3 } END { print t }'; }
dut53() { nft_counts dut | awk '{ print $1 }'; }
ex6() { awk '$1 == "exempted_ipv6" { print $2 }' $ST/stats; }

# The lists: E empty; A and its canonical form; B's two staged writes.
# the empty list: replace refuses input with no entry unless it says flush
echo flush >/tmp/E.txt
awk 'BEGIN { print "10.1.0.1"; n = 0
	for (i = 0; i < 32 && n < 4094; i++) for (j = 1; j < 256 && n < 4094; j++) {
		print "10.2." i "." j; n++ }
	print "10.3.0.0/24" }' >/tmp/A.txt
awk '{ print (index($0, "/") ? $0 : $0 "/32") }' /tmp/A.txt >/tmp/A.canon
ok "list A has 4096 entries" test "$(wc -l </tmp/A.txt)" = 4096
B1="add $BFIRST"
B2=
for i in $(seq 1 30); do
	B1="$B1
add 2001:db8:b000:1:$i::/80"
	B2="${B2}add 2001:db8:b000:2:$i::/80
"
done
B2="${B2}add $BLAST"
{ echo "$BFIRST/128"; for i in $(seq 1 30); do echo "2001:db8:b000:1:$i::/80"; done
  for i in $(seq 1 30); do echo "2001:db8:b000:2:$i::/80"; done; echo "$BLAST/128"; } >/tmp/B.canon

ok "modprobe port53guard rate=0" modprobe port53guard rate=0
nsenter --net=/run/netns/"$(ns dut)" p53g-listen -p 53 -t 3600000 >/tmp/l4.out &
l4=$!
nsenter --net=/run/netns/"$(ns dut)" p53g-listen -6 -p 53 -t 3600000 >/tmp/l6.out &
l6=$!
nsenter --net=/run/netns/"$(ns ctr)" p53g-listen -p 5354 -t 3600000 >/tmp/lc.out &
lc=$!


# Writer 1 and 2: tool replaces, E and A alternating, until together they
# have done TARGET and the minimum time is over. Without -w the tool does
# not wait out another staged replace; EBUSY fails it and the writer tries
# again.
# Writer 2 also runs a direct staged replace of B on its first turn and
# every EVERY-th after it (on its first, so that a run in which writer 1
# wins most replaces still has a staged window).
tool_writer() {
	_w=$1 _ok=0 _fail=0 _turn=$2 _st=0 _viol=0 _post=0 _busy=0 _bad=0
	echo 0 >/tmp/w$_w.cnt
	while :; do
		read -r _c1 </tmp/w1.cnt; read -r _c2 </tmp/w2.cnt
		[ $((${_c1:-0} + ${_c2:-0})) -ge $TARGET ] && [ -e $MINDONE ] && break
		if [ "$_w" = 2 ] && [ $(((_ok + _st) % EVERY)) = 0 ]; then
			staged_b
			continue
		fi
		_f=/tmp/E.txt
		[ $((_turn % 2)) = 1 ] && _f=/tmp/A.txt
		if port53guard exempt replace $_f 2>/tmp/w$_w.err; then
			_ok=$((_ok + 1)) _turn=$((_turn + 1))
			echo $_ok >/tmp/w$_w.cnt
			[ $((_ok % 50)) = 0 ] && section "writer $_w: $_ok replaces, $_fail refused, $_st staged"
		else
			_fail=$((_fail + 1))
			if ! grep -q -i 'another process' /tmp/w$_w.err; then
				echo "writer $_w: $(cat /tmp/w$_w.err)" >>/tmp/w$_w.unexpected
				# a writer that cannot write ends the run, not the guest's time
				_bad=$((_bad + 1))
				[ $_bad -ge 20 ] && break
			fi
			sleep 0.01
		fi
	done
	echo "ok=$_ok fail=$_fail staged=$_st violations=$_viol post=$_post busy=$_busy" >/tmp/w$_w.res
}

# staged_b (in writer 2's own process: the staged list belongs to the
# writing thread group, so only builtins write to sysfs here).
b_reached() { test "$(bcount)" -ge "$1"; }
bwait() {
	_want=$1
	wait_until $BOUND b_reached "$_want" ||
		echo "B probes not judged: $(bcount) < $_want" >>/tmp/w2.unexpected
	sleep 0.3	# the hook counts right after nft does
}
bprobe() {
	peer_send -6 -s $BFIRST -d $DUT6 -q 61011 -n $K udp >/dev/null
	peer_send -6 -s $BLAST -d $DUT6 -q 61012 -n $K udp >/dev/null
	_bs=$((_bs + 2 * K))
	bwait $((_b0 + _bs))
}
staged_b() {
	_b0=$(bcount) _bs=0
	echo flush >$ST/exempt || echo "writer 2: flush failed" >>/tmp/w2.unexpected
	sleep 0.1	# hooks that began under the old list have finished
	until { echo begin >$ST/exempt; } 2>/dev/null; do
		_busy=$((_busy + 1))
		sleep 0.01
	done
	_e0=$(ex6)
	printf '%s\n' "$B1" >$ST/exempt || echo "writer 2: staged write 1 failed" >>/tmp/w2.unexpected
	bprobe
	printf '%s\n' "$B2" >$ST/exempt || echo "writer 2: staged write 2 failed" >>/tmp/w2.unexpected
	bprobe
	_e1=$(ex6)
	if [ "$_e1" != "$_e0" ]; then
		_viol=$((_viol + _e1 - _e0))
		echo "staged window $_st: exempted_ipv6 moved $_e0 -> $_e1 before commit" >>/tmp/w2.unexpected
	fi
	echo commit >$ST/exempt || echo "writer 2: commit failed" >>/tmp/w2.unexpected
	bprobe
	_post=$((_post + $(ex6) - _e1))
	_st=$((_st + 1))
	echo "$_bs" >>/tmp/w2.bsent
}

# The published path's churn: DNAT on, forward off, DNAT off, forward on.
# Each of the first two states is held until the guard has judged a
# published query in it (bounded, and cut short by the end of the run):
# the other toggler leaves `action reject` in force for a small part of
# its cycle, and on the debug kernel F7 comes in a burst every few
# seconds, so a fixed pause would meet it by luck. /tmp/dn.met says both
# were met once; the run's minimum time waits for it (bounded too).
fwd_out() { val "$1"_forward $ST/stats; }
fwd_moved() { [ -e $STOP ] || [ "$(fwd_out "$1")" != "$2" ]; }
dnat_toggler() {
	_ops=0 _met=
	while [ ! -e $STOP ]; do
		_r=$(fwd_out rejected)
		dnat_on || echo "dnat on failed" >>/tmp/dn.unexpected
		wait_until 10 fwd_moved rejected "$_r" && [ "$(fwd_out rejected)" != "$_r" ] && _met=${_met}r
		_d=$(fwd_out disabled)
		echo 0 >$ST/forward || echo "forward 0 failed" >>/tmp/dn.unexpected
		wait_until 10 fwd_moved disabled "$_d" && [ "$(fwd_out disabled)" != "$_d" ] && _met=${_met}d
		dnat_off || echo "dnat off failed" >>/tmp/dn.unexpected
		sleep 0.05
		echo 1 >$ST/forward || echo "forward 1 failed" >>/tmp/dn.unexpected
		sleep 0.05
		_ops=$((_ops + 4))
		case $_met in *r*d* | *d*r*) touch /tmp/dn.met ;; esac
	done
	echo "ops=$_ops" >/tmp/dn.res
}

toggler() {
	_n=0
	while [ ! -e $STOP ]; do
		echo 0 >$ST/enabled && echo drop >$ST/action && echo 1 >$ST/enabled &&
			echo monitor >$ST/action && echo reject >$ST/action ||
			echo "toggle failed" >>/tmp/tg.unexpected
		_n=$((_n + 5))
		sleep 0.02
	done
	echo "ops=$_n" >/tmp/tg.res
}

# Calibration, quiet: the staged-window probe sees exemption when there
# is one. While B is staged nothing is exempt; after the commit all 2K.
_st=0 _viol=0 _post=0 _busy=0
staged_b
ok "calibration: no query from B's sources exempted while B was staged ($_viol)" test "$_viol" = 0
ok "calibration: after B's commit all $((2 * K)) queries from its first and last entries exempted ($_post)" \
	test "$_post" = $((2 * K))
ok "calibration: B reads back whole" cmp -s $ST/exempt /tmp/B.canon
: >/tmp/w2.bsent
rm -f /tmp/w2.unexpected

# The tap starts after the calibration: it counts the run only.
mkfifo /tmp/tap.fifo
# The tap, counted per source port as it runs (a line per error would not
# fit in /tmp for a long stock run).
awk '/^ready/ { print; fflush() } /^icmp/ { split($4, a, "="); c[a[2]]++ }
	/^errors=/ { print }
	END { for (p in c) print "sport " p " " c[p]; fflush() }' </tmp/tap.fifo >/tmp/tap.out &
apid=$!
nsenter --net=/run/netns/"$(ns peer)" p53g-raw watch -I veth-peer -t 3600000 >/tmp/tap.fifo &
wpid=$!
wait_until 30 grep -q ready /tmp/l4.out || fail "listener on dut:53 (IPv4) started"
wait_until 30 grep -q ready /tmp/l6.out || fail "listener on dut:53 (IPv6) started"
wait_until 30 grep -q ready /tmp/lc.out || fail "listener on ctr:5354 started"
wait_until 30 grep -q ready /tmp/tap.out || fail "the ICMP tap on peer started"

snap /tmp/s0
u0=$(unreach dut) x0=$(outerr dut) a0=$(allnft) d0=$(dut53) g0=$(fw7) h0=$(fwall)
: >/tmp/f1.out; : >/tmp/f2.out; : >/tmp/f6.out; : >/tmp/f7.out

flood_loop /tmp/f1.out -s 10.3.0.0 -R 8 -d $DUT4 -q 61001 &
f1=$!
flood_loop /tmp/f2.out -s 10.1.0.1 -d $DUT4 -q 61002 &
f2=$!
flood_loop /tmp/f6.out -6 -s 2001:db8:a000:: -R 32 -d $DUT6 -q 61006 &
f6=$!
flood_loop /tmp/f7.out -s 10.5.0.0 -R 8 -d $PUB4 -q 61007 &
f7=$!
t0=$(now_cs)
: >/tmp/w2.bsent
echo 0 >/tmp/w1.cnt
echo 0 >/tmp/w2.cnt
tool_writer 1 0 &
w1=$!
tool_writer 2 1 &
w2=$!
toggler &
tg=$!
dnat_toggler &
dn=$!
sleep $SECS
wait_until $BOUND test -e /tmp/dn.met || echo "# the published flood did not meet both outcomes in ${BOUND} s"
touch $MINDONE
wait $w1 $w2
touch $STOP
wait $tg $dn $f1 $f2 $f6 $f7
t1=$(now_cs)
echo reject >$ST/action
echo 1 >$ST/enabled
echo 1 >$ST/forward
dnat_off 2>/dev/null
section "writers and floods stopped after $(((t1 - t0) / 100)) s"

# Drain: every frame the senders counted has reached dut's hook, and the
# outcomes have caught up with what nft counted everywhere.
sent=0
for n in f1 f2 f6 f7; do
	s=$(awk -F'[= ]' '/^sent=/ { t += $2 } END { print t + 0 }' /tmp/$n.out)
	echo "# $n: sent=$s in $(grep -c '^sent=' /tmp/$n.out) runs"
	grep -q sender-failed /tmp/$n.out && fail "flood $n: a sender run failed ($(grep -v '^sent=' /tmp/$n.out | head -n2))"
	eval "sent_$n=$s"
	sent=$((sent + s))
done
bsent=$(awk '{ t += $1 } END { print t + 0 }' /tmp/w2.bsent)
sent=$((sent + bsent))
d_reached() { test $(($(dut53) - d0 + $(fw7) - g0)) -ge $sent; }
wait_until $BOUND d_reached
caught_up() {
	snap /tmp/cu
	test $(($(total /tmp/cu) - $(total /tmp/s0))) -ge $(($(allnft) - a0 + $(fwall) - h0))
}
wait_until $BOUND caught_up
sleep 1
snap /tmp/s1
u1=$(unreach dut) x1=$(outerr dut) a1=$(allnft) d1=$(dut53) g1=$(fw7) h1=$(fwall)
hooked=$(($(total /tmp/s1) - $(total /tmp/s0)))
seen53=$((d1 - d0 + g1 - g0))
seenall=$((a1 - a0 + h1 - h0))
echo "# floods + probes sent=$sent, UDP/53 at dut's input or DNATed on its FORWARD=$seen53 ($((g1 - g0)) DNATed), all packets at input and forward=$seenall, outcomes=$hooked"
if [ "$seen53" = "$sent" ]; then
	pass "every one of $sent queries sent reached dut's input or forward hook (nft counters)"
else
	fail "queries sent ($sent) = UDP/53 packets at dut's input + DNATed on its forward ($seen53)"
	d=$((sent - seen53)); [ $d -lt 0 ] && d=$((-d)); lost $d
fi
if [ "$hooked" = "$seenall" ]; then
	pass "outcome counters moved by exactly the packets that reached LOCAL_IN or FORWARD ($seenall)"
else
	fail "outcome counters moved by $hooked, packets at LOCAL_IN (nft, every namespace) and FORWARD $seenall"
	d=$((hooked - seenall)); [ $d -lt 0 ] && d=$((-d)); mis $d
fi

# The published path: nothing DNATed from 53 passed as unrelated; no more
# of F7 reached ctr's listener than FORWARD let through.
dfw() { echo $(($(val "$1"_forward /tmp/s1) - $(val "$1"_forward /tmp/s0))); }
fwd_passed=$(dfw passed) fwd_through=$(($(dfw exempted) + $(dfw disabled) + $(dfw monitored)))
fwd_other=$((h1 - h0 - g1 + g0))
ok "forward: passed ($fwd_passed) <= routed packets not DNATed from 53 ($fwd_other)" \
	test "$fwd_passed" -le "$fwd_other"
[ "$fwd_passed" -le "$fwd_other" ] || mis $((fwd_passed - fwd_other))
kill $lc 2>/dev/null
wait $lc
lcr=$(field received /tmp/lc.out)
ok "ctr's listener got $lcr of F7, no more than FORWARD let through ($fwd_through)" \
	test "${lcr:-x}" -le "$fwd_through"
[ "${lcr:-0}" -le "$fwd_through" ] || mis $((lcr - fwd_through))
echo "# dnat toggler: $(cat /tmp/dn.res)"
[ -s /tmp/dn.unexpected ] && fail "dnat toggler: every change taken ($(head -n1 /tmp/dn.unexpected))"
for o in rejected disabled; do
	ok "under the toggles the published flood met outcome ${o}_forward ($(dfw $o))" test "$(dfw $o)" -gt 0
done
rej=$(($(val rejected_unreach /tmp/s1) - $(val rejected_unreach /tmp/s0)))
ok "dut sent ($((u1 - u0))) or failed to send ($((x1 - x0))) one ICMP error per rejected ($rej)" \
	test $((u1 - u0 + x1 - x0)) = "$rej"
for o in $OUTCOMES; do
	printf '%s=%s ' $o $(($(val $o /tmp/s1) - $(val $o /tmp/s0)))
done | sed 's/^/# outcomes: /'
echo
for o in rejected_unreach dropped_action monitored disabled exempted_list; do
	ok "under the toggles the floods met outcome $o" test $(($(val $o /tmp/s1) - $(val $o /tmp/s0))) -gt 0
done

# The tap: never more errors for a sender than it sent.
kill $wpid 2>/dev/null
wait $wpid
wait $apid
cat /tmp/tap.out | sed 's/^/# tap: /'
tap() { awk -v p="$1" '$1 == "sport" && $2 == p { print $3 }' /tmp/tap.out; }
for s in f1:61001 f2:61002 f6:61006 f7:61007; do
	n=${s%:*} p=${s#*:}
	eval "sn=\$sent_$n"
	e=$(tap $p); e=${e:-0}
	ok "tap: ICMP errors for $n ($e) <= its queries ($sn)" test "$e" -le "$sn"
done
te=$(awk '/^errors=/ { split($1, a, "="); print a[2] }' /tmp/tap.out)
ok "tap: errors seen (${te:-?}) <= ICMP errors dut sent ($((u1 - u0)))" test "${te:-0}" -le $((u1 - u0))

# The writers.
for w in 1 2; do
	echo "# writer $w: $(cat /tmp/w$w.res)"
	if [ -s /tmp/w$w.unexpected ]; then
		fail "writer $w: no unexpected error ($(head -n3 /tmp/w$w.unexpected | tr '\n' ' '))"
	else
		pass "writer $w: every failure was EBUSY from the other's staged replace"
	fi
done
echo "# toggler: $(cat /tmp/tg.res)"
[ -s /tmp/tg.unexpected ] && fail "toggler: every write taken ($(head -n1 /tmp/tg.unexpected))"
okr=$(($(cut -d' ' -f1 /tmp/w1.res | cut -d= -f2) + $(cut -d' ' -f1 /tmp/w2.res | cut -d= -f2)))
busy=$(($(cut -d' ' -f2 /tmp/w1.res | cut -d= -f2) + $(cut -d' ' -f2 /tmp/w2.res | cut -d= -f2)))
stg=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^staged=/) print substr($i, 8) }' /tmp/w2.res)
viol=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^violations=/) print substr($i, 12) }' /tmp/w2.res)
post=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^post=/) print substr($i, 6) }' /tmp/w2.res)
bbusy=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^busy=/) print substr($i, 6) }' /tmp/w2.res)
tgops=$(($(cut -d= -f2 /tmp/tg.res) + $(cut -d= -f2 /tmp/dn.res)))
ok "the tool writers replaced the list $okr times (E and A alternating; target $TARGET)" test $okr -ge $TARGET
ok "writer 2 ran $stg staged replaces of B with pauses" test "$stg" -ge 1
ok "no query from B's sources was exempted while B was staged, not committed ($stg windows, $viol wrong)" \
	test "$viol" = 0
mis "$viol"
echo "# after B's commits: $post of $((stg * 2 * K)) queries from B's first and last entries exempted"
ok "B's committed list exempted its sources at least once (the probe can see exemption)" test "$post" -gt 0

# Afterwards: the list is one that was committed, whole; settings sane.
cat $ST/exempt >/tmp/final.list
m=none
for l in E A B; do
	if [ $l = E ]; then test ! -s /tmp/final.list && m=E
	elif cmp -s /tmp/final.list /tmp/$l.canon; then m=$l; fi
done
ok "after the run the list reads back as one whole committed list (it is $m)" test $m != none
ok "a last replace with A is taken" port53guard exempt replace /tmp/A.txt
ok "and the list reads back exactly A, canonical" cmp -s $ST/exempt /tmp/A.canon
ok "enabled reads 1" test "$(cat $ST/enabled)" = 1
ok "action reads reject" test "$(cat $ST/action)" = reject
ok "untouched settings kept: tcp=0 loopback=1 log=0 rate=0, forward back at 1" \
	test "$(cat $ST/tcp)$(cat $ST/loopback)$(cat $ST/log)$(cat $ST/rate)$(cat $ST/forward)" = 01001
ok "stats: every line is a name and a number" \
	test "$(awk 'NF != 2 || $2 !~ /^[0-9]+$/' $ST/stats | wc -l)" = 0

# Quiescent: A's first and last entries exempt, B's first not, counted once.
snap /tmp/q0; b0=$(bcount)
peer_send -s 10.1.0.1 -d $DUT4 -n $K udp >/dev/null
peer_send -s 10.3.0.77 -d $DUT4 -n $K udp >/dev/null
peer_send -6 -s $BFIRST -d $DUT6 -n $K udp >/dev/null
wait_until $BOUND b_reached $((b0 + K))
q_done() { test "$(awk '$1 == "exempted_list" { print $2 }' $ST/stats)" -ge $(($(val exempted_list /tmp/q0) + 2 * K)); }
wait_until $BOUND q_done
sleep 0.5
snap /tmp/q1
qe=$(($(val exempted_list /tmp/q1) - $(val exempted_list /tmp/q0)))
qr=$(($(val rejected_unreach /tmp/q1) - $(val rejected_unreach /tmp/q0)))
ok "quiescent: A's first and last entries exempt: exempted_list moved by $((2 * K)) ($qe)" test $qe = $((2 * K))
ok "quiescent: B's first entry no longer exempt: rejected_unreach moved by $K ($qr)" test $qr = $K
[ $qe = $((2 * K)) ] || mis $((qe - 2 * K))

kill $l4 $l6 2>/dev/null
wait $l4 $l6
ok "rmmod port53guard" rmmod port53guard
del_ns ctr
topo_down
stress_row load $sent $((okr + stg + tgops)) $((busy + bbusy)) $((okr + stg))
