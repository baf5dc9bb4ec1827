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
# priority 1, and nothing between them drops); the guard's 12 outcome
# counters must move by exactly that sum. Lost: the floods' senders count
# the frames the veth took; the UDP/53 counter in dut must equal that.
. /p53g/guest/stress-lib.sh

SECS=10 TARGET=40 K=100 EVERY=5
[ $SLOW = 1 ] && { SECS=10 TARGET=8 K=10 EVERY=3; }
[ $LONG = 1 ] && { SECS=60 TARGET=1000; }
BFIRST=2001:db8:b000::1
BLAST=2001:db8:b000:ffff::1
STOP=/tmp/st.stop MINDONE=/tmp/st.mindone
rm -f $STOP $MINDONE

stress_topo
for ns in dut peer -; do count_chain $ns; done
in_ns dut nft add rule inet p53g_st input ip6 saddr 2001:db8:b000::/48 udp dport 53 counter
bcount() {
	nsx dut nft list chain inet p53g_st input |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") v[n++] = $(i + 1) }
			END { print v[3] + 0 }'
}
# Every packet that reached LOCAL_IN anywhere, and UDP/53 in dut.
allnft() { for ns in dut peer -; do nft_counts $ns; done | awk '{ t += $3 } END { print t }'; }
dut53() { nft_counts dut | awk '{ print $1 }'; }
ex6() { awk '$1 == "exempted_ipv6" { print $2 }' $ST/stats; }

# The lists: E empty; A and its canonical form; B's two staged writes.
: >/tmp/E.txt
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
nsenter --net=/run/netns/dut p53g-listen -p 53 -t 3600000 >/tmp/l4.out &
l4=$!
nsenter --net=/run/netns/dut p53g-listen -6 -p 53 -t 3600000 >/tmp/l6.out &
l6=$!


# Writer 1 and 2: tool replaces, E and A alternating, until together they
# have done TARGET and the minimum time is over. P53G_WAIT=0: the tool does not wait
# out another staged replace; EBUSY fails it and the writer tries again.
# Writer 2 also runs a direct staged replace of B every EVERY-th turn.
tool_writer() {
	_w=$1 _ok=0 _fail=0 _turn=$2 _st=0 _viol=0 _post=0 _busy=0
	echo 0 >/tmp/w$_w.cnt
	while :; do
		read -r _c1 </tmp/w1.cnt; read -r _c2 </tmp/w2.cnt
		[ $((${_c1:-0} + ${_c2:-0})) -ge $TARGET ] && [ -e $MINDONE ] && break
		if [ "$_w" = 2 ] && [ $(((_ok + _st + 1) % EVERY)) = 0 ]; then
			staged_b
			continue
		fi
		_f=/tmp/E.txt
		[ $((_turn % 2)) = 1 ] && _f=/tmp/A.txt
		if P53G_WAIT=0 port53guard exempt replace $_f 2>/tmp/w$_w.err; then
			_ok=$((_ok + 1)) _turn=$((_turn + 1))
			echo $_ok >/tmp/w$_w.cnt
			[ $((_ok % 50)) = 0 ] && section "writer $_w: $_ok replaces, $_fail refused, $_st staged"
		else
			_fail=$((_fail + 1))
			grep -q -i 'another process' /tmp/w$_w.err ||
				echo "writer $_w: $(cat /tmp/w$_w.err)" >>/tmp/w$_w.unexpected
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
nsenter --net=/run/netns/peer p53g-raw watch -I veth-peer -t 3600000 >/tmp/tap.fifo &
wpid=$!
wait_until 5 grep -q ready /tmp/l4.out || fail "listener on dut:53 (IPv4) started"
wait_until 5 grep -q ready /tmp/l6.out || fail "listener on dut:53 (IPv6) started"
wait_until 5 grep -q ready /tmp/tap.out || fail "the ICMP tap on peer started"

snap /tmp/s0
u0=$(unreach dut) x0=$(outerr dut) a0=$(allnft) d0=$(dut53)
: >/tmp/f1.out; : >/tmp/f2.out; : >/tmp/f6.out

flood_loop /tmp/f1.out -s 10.3.0.0 -R 8 -d $DUT4 -q 61001 &
f1=$!
flood_loop /tmp/f2.out -s 10.1.0.1 -d $DUT4 -q 61002 &
f2=$!
flood_loop /tmp/f6.out -6 -s 2001:db8:a000:: -R 32 -d $DUT6 -q 61006 &
f6=$!
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
sleep $SECS
touch $MINDONE
wait $w1 $w2
touch $STOP
wait $tg $f1 $f2 $f6
t1=$(now_cs)
echo reject >$ST/action
echo 1 >$ST/enabled
section "writers and floods stopped after $(((t1 - t0) / 100)) s"

# Drain: every frame the senders counted has reached dut's hook, and the
# outcomes have caught up with what nft counted everywhere.
sent=0
for n in f1 f2 f6; do
	s=$(awk -F'[= ]' '/^sent=/ { t += $2 } END { print t + 0 }' /tmp/$n.out)
	echo "# $n: sent=$s in $(grep -c '^sent=' /tmp/$n.out) runs"
	grep -q sender-failed /tmp/$n.out && fail "flood $n: a sender run failed ($(grep -v '^sent=' /tmp/$n.out | head -n2))"
	eval "sent_$n=$s"
	sent=$((sent + s))
done
bsent=$(awk '{ t += $1 } END { print t + 0 }' /tmp/w2.bsent)
sent=$((sent + bsent))
d_reached() { test $(($(dut53) - d0)) -ge $sent; }
wait_until $BOUND d_reached
caught_up() { snap /tmp/cu; test $(($(total /tmp/cu) - $(total /tmp/s0))) -ge $(($(allnft) - a0)); }
wait_until $BOUND caught_up
sleep 1
snap /tmp/s1
u1=$(unreach dut) x1=$(outerr dut) a1=$(allnft) d1=$(dut53)
hooked=$(($(total /tmp/s1) - $(total /tmp/s0)))
seen53=$((d1 - d0))
seenall=$((a1 - a0))
echo "# floods + probes sent=$sent, UDP/53 at dut's input=$seen53, all packets at input=$seenall, outcomes=$hooked"
if [ "$seen53" = "$sent" ]; then
	pass "every one of $sent queries sent reached dut's input hook (nft UDP/53 counter)"
else
	fail "queries sent ($sent) = UDP/53 packets at dut's input ($seen53)"
	d=$((sent - seen53)); [ $d -lt 0 ] && d=$((-d)); lost $d
fi
if [ "$hooked" = "$seenall" ]; then
	pass "outcome counters moved by exactly the packets that reached LOCAL_IN ($seenall)"
else
	fail "outcome counters moved by $hooked, packets at LOCAL_IN (nft, every namespace) $seenall"
	d=$((hooked - seenall)); [ $d -lt 0 ] && d=$((-d)); mis $d
fi
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
for s in f1:61001 f2:61002 f6:61006; do
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
tgops=$(cut -d= -f2 /tmp/tg.res)
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
ok "untouched settings kept: tcp=0 loopback=1 log=0 rate=0" \
	test "$(cat $ST/tcp)$(cat $ST/loopback)$(cat $ST/log)$(cat $ST/rate)" = 0100
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
topo_down
stress_row load $sent $((okr + stg + tgops)) $((busy + bbusy)) $((okr + stg))
