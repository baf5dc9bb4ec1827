#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Malformed and hostile packets, a spoofed flood, exact counters.
# Topology (lib.sh) plus routes in dut towards the peer for spoofed
# sources; the peer does not forward, so replies to them die there, seen
# only by an AF_PACKET tap on veth-peer (p53g-raw watch):
#
#   ns peer: p53g-raw send (AF_PACKET)  ---->  ns dut: port53guard, and
#            p53g-raw watch (ICMP tap)  <----  p53g-raw listen on :53
#                                              (joined to 224.0.0.251 and ff02::fb)
#   spoofed sources 198.51.100.0/24, 198.18.0.0/15, 2001:db8:99::/64,
#   exempt markers 203.0.113.53, 2001:db8:ee::53: all routed dut -> peer.
#
# For each case: the documented outcome counter moves by exactly the number
# of packets that reach the hook and the sum of all outcomes by exactly
# that too; dut sends exactly the ICMP errors it may (none where RFC 1122 /
# RFC 4443 forbid one), and the tap agrees; the :53 listener gets nothing
# that must be blocked. Each case ends with two barriers: a query that is
# refused (its ICMP error, inner source port 65000, proves the tap has seen
# everything before it) and one from an exempt source (the listener getting
# it proves nothing was queued before it).
. /p53g/guest/lib.sh

SPOOF4=198.51.100.7
SPOOF6=2001:db8:99::7
MARK4=203.0.113.53
MARK6=2001:db8:ee::53
# The debug kernel's packet path is far slower: longer bounds, smaller loads.
BOUND=20
[ $SLOW = 1 ] && BOUND=120

marks() { grep -c 'inner_sport=65000 ' /tmp/w.out; }
errs() { grep -c '^icmp' /tmp/w.out; }
heard() { grep -c "^datagram from=$1\$" /tmp/l.out; }
# The sum of the outcomes now.
hooked() { snap /tmp/now; total /tmp/now; }
reached() { test "$(hooked)" -ge "$1"; }
heard_other() { grep '^datagram' /tmp/l.out | grep -v -c -e "=$MARK4\$" -e "=$MARK6\$"; }

peer_send() { nsx peer p53g-raw send -I veth-peer -M "$DUTMAC" "$@"; }

# hcase FAM DESC COUNTERS REPLIES DELIVERED CMD...: run CMD (which sends
# the case's packets), then the barriers, and check. COUNTERS is
# "name:n,name:n" (or "-": the stack drops the packets before LOCAL_IN),
# REPLIES the ICMP errors dut must send, DELIVERED the datagrams the :53
# listener must get.
hcase() {
	_f=$1 h_t="IPv$1 $2" _c=$3 _r=$4 h_del=$5; shift 5
	_src=$SPOOF4 _dst=$DUT4 _mk=$MARK4 _fl=
	[ "$_f" = 6 ] && { _src=$SPOOF6 _dst=$DUT6 _mk=$MARK6 _fl=-6; }
	snap /tmp/s0; _u0=$(unreach dut) _m0=$(marks) _e0=$(errs)
	_h0=$(heard $_mk) _o0=$(heard_other)
	"$@" >/tmp/send.out 2>&1 || fail "$h_t: sender ran ($(tail -n1 /tmp/send.out))"
	peer_send $_fl -s $_src -d $_dst -q 65000 udp >/dev/null
	peer_send $_fl -s $_mk -d $_dst udp >/dev/null
	wait_until $BOUND test "$(marks)" -gt "$_m0" ||
		fail "$h_t: barrier: the refused marker query's ICMP error reached the tap"
	wait_until $BOUND test "$(heard $_mk)" -gt "$_h0" ||
		fail "$h_t: barrier: the exempt marker reached the listener"
	snap /tmp/s1; _u1=$(unreach dut) _e1=$(errs) _o1=$(heard_other)

	# Expected moves: the case's, plus the barriers' (one rejected_unreach,
	# one exempted_list). h_bad lists every outcome that moved otherwise.
	h_n=0
	[ "$_c" != - ] && h_n=$(echo "$_c" | tr , '\n' | awk -F: '{ n += $2 } END { print n }')
	h_bad=$(awk -v want="$_c,rejected_unreach:1,exempted_list:1" -v outs="$OUTCOMES" '
		BEGIN { split(want, w, ","); for (i in w) { split(w[i], kv, ":"); x[kv[1]] += kv[2] }
			split(outs, o, " ") }
		NR == FNR { a[$1] = $2; next }
		{ b[$1] = $2 }
		END { for (i in o) { k = o[i]; d = b[k] - a[k]; if (d != x[k] + 0)
			printf " %s:%d(expected %d)", k, d, x[k] } }' /tmp/s0 /tmp/s1)
	if [ -n "$h_bad" ]; then
		fail "$h_t: outcomes moved:$h_bad"
	elif [ "$_c" = - ]; then
		pass "$h_t: dropped by the stack before LOCAL_IN: no counter moved but the barriers'"
	else
		pass "$h_t: counted $_c exactly, no other outcome moved"
	fi
	ok "$h_t: outcomes sum moved by exactly $h_n + 2 barriers" \
		test $(($(total /tmp/s1) - $(total /tmp/s0))) = $((h_n + 2))
	ok "$h_t: dut sent exactly $_r ICMP destination unreachable (+1 barrier; $_u0 -> $_u1)" \
		test $((_u1 - _u0)) = $((_r + 1))
	ok "$h_t: the tap on peer saw exactly $_r ICMP errors (+1 barrier)" \
		test $((_e1 - _e0)) = $((_r + 1))
	ok "$h_t: the listener on dut:53 got exactly $h_del of them" \
		test $((_o1 - _o0)) = "$h_del"
}

# Unaligned accesses the kernel had to fix up (32-bit ARM: /proc/cpu/alignment,
# with the last faulting PC by symbol; MIPS: debugfs, a count). A 64-bit
# counter or a packet header read at the wrong alignment lands here.
ALIGN_ARM=/proc/cpu/alignment
ALIGN_MIPS=/sys/kernel/debug/mips/unaligned_instructions
align_sys() {
	if [ -r $ALIGN_ARM ]; then awk '$1 == "System:" { print $2 }' $ALIGN_ARM
	elif [ -r $ALIGN_MIPS ]; then cat $ALIGN_MIPS
	fi
}
ALIGN0=$(align_sys)

topo_up
DUTMAC=$(in_ns dut cat /sys/class/net/veth-dut/address)
PEERMAC=$(in_ns peer cat /sys/class/net/veth-peer/address)
# Static neighbours: no ARP/ND traffic to disturb the counts.
in_ns dut $IP neigh replace $PEER4 lladdr "$PEERMAC" dev veth-dut nud permanent
in_ns dut $IP -6 neigh replace $PEER6 lladdr "$PEERMAC" dev veth-dut nud permanent
in_ns peer $IP neigh replace $DUT4 lladdr "$DUTMAC" dev veth-peer nud permanent
in_ns peer $IP -6 neigh replace $DUT6 lladdr "$DUTMAC" dev veth-peer nud permanent
for net in 198.51.100.0/24 198.18.0.0/15 203.0.113.0/24; do
	in_ns dut $IP route add $net via $PEER4
done
for net in 2001:db8:99::/64 2001:db8:ee::/64; do
	in_ns dut $IP -6 route add $net via $PEER6
done
for dev in all default veth-dut lo; do
	in_ns dut sysctl -qw net.ipv4.conf.$dev.rp_filter=0
done
# The host's global ICMP limits out of the way (per namespace on newer
# kernels). Not larger: 6.1 multiplies msgs_per_sec by jiffies in 32 bits.
for ns in "" dut; do
	c=sysctl; [ -n "$ns" ] && c="in_ns $ns sysctl"
	$c -qw net.ipv4.icmp_msgs_per_sec=1000000 2>/dev/null
	$c -qw net.ipv4.icmp_msgs_burst=1000000 2>/dev/null
done
# And out of the way entirely for destination unreachable (types 3 / 1).
in_ns dut sysctl -qw net.ipv4.icmp_ratemask=0
in_ns dut sysctl -qw net.ipv6.icmp.ratemask=0

ok "modprobe port53guard" modprobe port53guard
echo 0 >$ST/rate
printf 'add %s\nadd %s\n' $MARK4 $MARK6 >$ST/exempt

rm -f /tmp/w.out /tmp/l.out	# no earlier test's "ready" (see listen_bg)
$IP netns exec "$(ns peer)" p53g-raw watch -I veth-peer -t 3600000 >/tmp/w.out &
wpid=$!
$IP netns exec "$(ns dut)" p53g-raw listen -I veth-dut -g 224.0.0.251 -g ff02::fb -t 3600000 >/tmp/l.out &
lpid=$!
wait_until 30 grep -q ready /tmp/w.out || fail "the ICMP tap on peer started"
wait_until 30 grep -q ready /tmp/l.out || fail "the listener on dut:53 started"

echo "# hostile IPv4"
S=$SPOOF4 D=$DUT4
hcase 4 "well-formed query (the witnesses work)" rejected_unreach:1 1 0 peer_send -s $S -d $D udp
hcase 4 "IP header cut to 12 bytes" - 0 0 peer_send -s $S -d $D iptrunc
hcase 4 "UDP header cut to 4 bytes" dropped_malformed:1 0 0 peer_send -s $S -d $D udptrunc
hcase 4 "IP options (NOPs): refused, answered" rejected_unreach:1 1 0 peer_send -s $S -d $D opts
# Record route: the receiving stack writes its address into the option and
# leaves the IP header checksum stale (only forwarding refreshes it). The
# guard checks the UDP checksum over the datagram alone, as the UDP layer
# does, so this valid query is refused and answered like any other.
hcase 4 "IP option record route (stale header checksum): refused, answered" rejected_unreach:1 1 0 \
	peer_send -s $S -d $D rropt
hcase 4 "UDP length short of the packet (padding): refused, answered" rejected_unreach:1 1 0 \
	peer_send -s $S -d $D shortlen
hcase 4 "UDP length past the packet: no reply" dropped_noreply:1 0 0 peer_send -s $S -d $D longlen
hcase 4 "bad UDP checksum: no reply" dropped_noreply:1 0 0 peer_send -s $S -d $D badsum
hcase 4 "zero UDP checksum (none): refused, answered" rejected_unreach:1 1 0 peer_send -s $S -d $D zerosum
hcase 4 "non-first fragment alone: held for reassembly" - 0 0 peer_send -s $S -d $D -i 101 frag2
hcase 4 "first fragment alone: held for reassembly" - 0 0 peer_send -s $S -d $D -i 102 frag1
hcase 4 "the second fragment completes it: judged whole, refused" rejected_unreach:1 1 0 \
	peer_send -s $S -d $D -i 102 frag2
hcase 4 "first and second fragment: refused" rejected_unreach:1 1 0 peer_send -s $S -d $D -i 103 frags
hcase 4 "to 192.0.2.255 (subnet broadcast): no reply" dropped_noreply:1 0 0 \
	peer_send -s $S -d 192.0.2.255 -M ff:ff:ff:ff:ff:ff udp
hcase 4 "to dut in a link-layer broadcast frame: no reply" dropped_noreply:1 0 0 \
	peer_send -s $S -d $D -M ff:ff:ff:ff:ff:ff udp
hcase 4 "to dut in a link-layer multicast frame: no reply" dropped_noreply:1 0 0 \
	peer_send -s $S -d $D -M 01:00:5e:00:00:fb udp
hcase 4 "to 255.255.255.255: no reply" dropped_noreply:1 0 0 \
	nsx peer p53g-raw send -I veth-peer -s $S -d 255.255.255.255 udp
hcase 4 "to 224.0.0.251 (joined by the listener): no reply" dropped_noreply:1 0 0 \
	nsx peer p53g-raw send -I veth-peer -s $S -d 224.0.0.251 udp
hcase 4 "from 0.0.0.0 to dut: a martian, dropped by routing" - 0 0 peer_send -s 0.0.0.0 -d $D udp
hcase 4 "from 0.0.0.0 to 255.255.255.255: no reply" dropped_noreply:1 0 0 \
	nsx peer p53g-raw send -I veth-peer -s 0.0.0.0 -d 255.255.255.255 udp
hcase 4 "ICMP port unreachable quoting UDP to port 53: not a query, no reply" passed:1 0 0 \
	peer_send -s $S -d $D icmperr

echo "# hostile IPv6"
S=$SPOOF6 D=$DUT6
hcase 6 "well-formed query (the witnesses work)" rejected_unreach:1 1 0 peer_send -6 -s $S -d $D udp
hcase 6 "IPv6 header cut to 20 bytes" - 0 0 peer_send -6 -s $S -d $D iptrunc
hcase 6 "UDP header cut to 4 bytes" dropped_malformed:1 0 0 peer_send -6 -s $S -d $D udptrunc
hcase 6 "destination options header: refused, answered" rejected_unreach:1 1 0 peer_send -6 -s $S -d $D opts
hcase 6 "bad UDP checksum: no reply" dropped_noreply:1 0 0 peer_send -6 -s $S -d $D badsum
hcase 6 "UDP length short of the packet (padding): refused, answered" rejected_unreach:1 1 0 \
	peer_send -6 -s $S -d $D shortlen
hcase 6 "UDP length past the packet: no reply" dropped_noreply:1 0 0 peer_send -6 -s $S -d $D longlen
hcase 6 "zero UDP checksum (invalid over IPv6): no reply" dropped_noreply:1 0 0 peer_send -6 -s $S -d $D zerosum
hcase 6 "atomic fragment: judged whole, refused" rejected_unreach:1 1 0 peer_send -6 -s $S -d $D -i 200 atomic
hcase 6 "non-first fragment alone: passes" passed:1 0 0 peer_send -6 -s $S -d $D -i 201 frag2
hcase 6 "first fragment with UDP/53: blocked (checksum unverifiable, no reply)" dropped_noreply:1 0 0 \
	peer_send -6 -s $S -d $D -i 202 frag1
hcase 6 "its second fragment: passes, completes nothing" passed:1 0 0 peer_send -6 -s $S -d $D -i 202 frag2
hcase 6 "first and second fragment: never reassembled" dropped_noreply:1,passed:1 0 0 \
	peer_send -6 -s $S -d $D -i 203 frags
hcase 6 "tiny first fragment ending before UDP, then the rest" dropped_malformed:1,passed:1 0 0 \
	peer_send -6 -s $S -d $D -i 204 tinyfrag
hcase 6 "to dut in a link-layer broadcast frame: no reply" dropped_noreply:1 0 0 \
	peer_send -6 -s $S -d $D -M ff:ff:ff:ff:ff:ff udp
hcase 6 "to ff02::fb (joined by the listener): no reply" dropped_noreply:1 0 0 \
	nsx peer p53g-raw send -6 -I veth-peer -s $S -d ff02::fb udp
hcase 6 "from :: to dut: no reply" dropped_noreply:1 0 0 peer_send -6 -s :: -d $D udp
hcase 6 "ICMPv6 port unreachable quoting UDP to port 53: not a query, no reply" passed:1 0 0 \
	peer_send -6 -s $S -d $D icmperr

echo "# loopback"
lo_send() { nsx dut p53g-raw send -I lo "$@"; }
hcase 4 "query on dut's loopback: exempt, delivered" exempted_loopback:1 0 1 lo_send -s $SPOOF4 -d $DUT4 udp
hcase 4 "cut UDP header on loopback: exempt (the stack drops it)" exempted_loopback:1 0 0 \
	lo_send -s $SPOOF4 -d $DUT4 udptrunc
hcase 6 "query on dut's loopback: exempt, delivered" exempted_loopback:1 0 1 lo_send -6 -s $SPOOF6 -d $DUT6 udp
echo 0 >$ST/loopback
hcase 4 "query on loopback with loopback=0: refused, answered" rejected_unreach:1 1 0 \
	lo_send -s $SPOOF4 -d $DUT4 udp
hcase 6 "query on loopback with loopback=0: refused, answered" rejected_unreach:1 1 0 \
	lo_send -6 -s $SPOOF6 -d $DUT6 udp
echo 1 >$ST/loopback

echo "# reflection: spoofed flood against the rate limit"
# flood FAMFLAG SRC BITS: as many queries as fit in SECS from random sources.
RATE=200 SECS=3
[ $SLOW = 1 ] && RATE=20
BURST=$((RATE / 10)); [ $BURST -lt 1 ] && BURST=1
for fam in 4 6; do
	f= src=198.18.0.0 bits=17 dst=$DUT4
	[ $fam = 6 ] && { f=-6 src=2001:db8:99:: bits=32 dst=$DUT6; }
	echo $RATE >$ST/rate
	snap /tmp/s0; u0=$(unreach dut) x0=$(outerr dut)
	peer_send $f -s $src -R $bits -d $dst -n 100000000 -T $SECS udp >/tmp/flood.out
	sent=$(field sent /tmp/flood.out) ms=$(field seconds /tmp/flood.out | tr -d .)
	ms=$(echo "$ms" | sed 's/^0*//'); ms=${ms:-0}
	wait_until $BOUND reached $(($(total /tmp/s0) + sent))
	snap /tmp/s1; u1=$(unreach dut) x1=$(outerr dut)
	rej=$(($(val rejected_unreach /tmp/s1) - $(val rejected_unreach /tmp/s0)))
	lim=$(($(val dropped_ratelimit /tmp/s1) - $(val dropped_ratelimit /tmp/s0)))
	max=$((RATE * (ms + 100) / 1000 + BURST))
	echo "# IPv$fam flood: sent=$sent in ${ms} ms, rejected=$rej ratelimited=$lim replies=$((u1 - u0)) bound=$max"
	ok "IPv$fam flood: every one of $sent queries reached the hook once (outcomes sum)" \
		test $(($(total /tmp/s1) - $(total /tmp/s0))) = "$sent"
	ok "IPv$fam flood: rejected ($rej) + dropped_ratelimit ($lim) = sent ($sent)" \
		test $((rej + lim)) = "$sent"
	ok "IPv$fam flood: dut sent ($((u1 - u0))) or failed to send ($((x1 - x0))) one ICMP error per rejected ($rej)" \
		test $((u1 - u0 + x1 - x0)) = "$rej"
	ok "IPv$fam flood: replies $rej <= rate*seconds + burst ($max)" test "$rej" -le $max
	ok "IPv$fam flood: at least the burst went out ($rej >= $BURST)" test "$rej" -ge $BURST
	ok "IPv$fam flood: the flood exceeded the limit (dropped_ratelimit $lim > 0)" test "$lim" -gt 0
done
echo 0 >$ST/rate

echo "# exact counters under load: four senders at once"
N=20000
[ $SLOW = 1 ] && N=500
printf 'add 198.18.0.0/16\nadd 2001:db8:99::/80\n' >$ST/exempt
snap /tmp/s0; u0=$(unreach dut) x0=$(outerr dut)
peer_send -s 198.18.0.0 -R 16 -d $DUT4 -n $N udp >/tmp/f1.out & p1=$!
peer_send -s 198.19.0.0 -R 16 -d $DUT4 -n $N udp >/tmp/f2.out & p2=$!
peer_send -6 -s 2001:db8:99:: -R 32 -d $DUT6 -n $N udp >/tmp/f3.out & p3=$!
peer_send -6 -s 2001:db8:99:0:1:: -R 32 -d $DUT6 -n $N udp >/tmp/f4.out & p4=$!
wait $p1 $p2 $p3 $p4
wait_until $BOUND reached $(($(total /tmp/s0) + 4 * N))
snap /tmp/s1; u1=$(unreach dut) x1=$(outerr dut)
s=0; for i in 1 2 3 4; do s=$((s + $(field sent /tmp/f$i.out))); done
# Every counter that moved, for the record (and the diagnosis of a failure).
echo "# moved under load:$(awk 'NR == FNR { a[$1] = $2; next }
	$2 != a[$1] { printf " %s:%d", $1, $2 - a[$1] }' /tmp/s0 /tmp/s1)"
ok "4 x $N queries sent" test $s = $((4 * N))
ok "outcomes sum moved by exactly $((4 * N))" test $(($(total /tmp/s1) - $(total /tmp/s0))) = $((4 * N))
ok "exempted_list moved by exactly $((2 * N))" \
	test $(($(val exempted_list /tmp/s1) - $(val exempted_list /tmp/s0))) = $((2 * N))
ok "rejected_unreach moved by exactly $((2 * N))" \
	test $(($(val rejected_unreach /tmp/s1) - $(val rejected_unreach /tmp/s0))) = $((2 * N))
ok "dut sent ($((u1 - u0))) or failed to send ($((x1 - x0))) exactly $((2 * N)) ICMP errors" \
	test $((u1 - u0 + x1 - x0)) = $((2 * N))
for fam in ipv4 ipv6; do
	ok "per family: rejected_$fam + exempted_$fam moved by $((2 * N))" \
		test $(($(val rejected_$fam /tmp/s1) + $(val exempted_$fam /tmp/s1) -
			$(val rejected_$fam /tmp/s0) - $(val exempted_$fam /tmp/s0))) = $((2 * N))
done

# The listener took the exempt queries above: without it the stack would
# answer each with a port unreachable of its own.
kill $lpid $wpid 2>/dev/null
wait $lpid $wpid
echo "# the ICMP tap: $(tail -n1 /tmp/w.out)"
if [ -n "$ALIGN0" ]; then
	a1=$(align_sys)
	if [ -r $ALIGN_ARM ]; then
		last=$(sed -n 's/^System:[^(]*(\(.*\))$/\1/p' $ALIGN_ARM)
		echo "# kernel unaligned-access fixups: $ALIGN0 -> $a1, last at $last"
		if [ "$a1" = "$ALIGN0" ]; then
			pass "no kernel unaligned-access fixup during the hostile run ($a1 in all)"
		else
			ok "no unaligned-access fixup in port53guard ($((a1 - ALIGN0)) in the kernel, the last at $last)" \
				eval '! has "$last" "[port53guard]"'
		fi
	else
		ok "no unaligned-access fixup during the hostile run (MIPS emulated $ALIGN0 -> $a1)" \
			test "$a1" = "$ALIGN0"
	fi
fi
ok "rmmod port53guard" rmmod port53guard
topo_down
