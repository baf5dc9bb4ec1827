#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Reflection: floods of queries from spoofed random sources, IPv4 and
# IPv6 at once, must never draw more replies than the guard's rate allows
# (the long form of hostile.sh's 3 s spoofed flood). The host's own ICMP
# limits are off, so the guard's bucket is the only limit.
#
#   ns peer: p53g-raw send -R (AF_PACKET), tap (p53g-raw watch)
#   ns dut:  port53guard, rate=R; replies to 198.18.0.0/15 and
#            2001:db8:a000::/35 routed to the peer, which drops them
#
# The bound, from module/ratelimit.c's GCRA bucket: interval T = 10^9 / R
# ns (R divides 10^9 here, so T is exact), burst = max(R / 10, 1), a reply
# allowed while tat - now <= (burst - 1) T. n replies in a span of D ns
# need D >= (n - burst) T, so n <= burst + D / T = burst + D * R / 10^9.
# The bucket's clock is the kernel's tick, which adds at most one tick
# (10 ms at HZ=100, the coarsest) to D. D is at most the time from before
# the first query to after the last one was judged, read from /proc/uptime
# (10 ms ticks, +1 tick).
#
# A third flood, IPv4 queries with wrong UDP checksums, runs beside the
# other two. Such a query that finds a token spends it and is dropped
# without a reply (dropped_noreply): a token is never given back. So the
# tokens spent, replies plus those drops, stay within the same bound. A
# guard that gave the token back would checksum the whole flood and
# count it as dropped_noreply far past the bound.
. /p53g/guest/stress-lib.sh

SECS=10 R=200
[ $SLOW = 1 ] && R=20
[ $LONG = 1 ] && SECS=60
BURST=$((R / 10)); [ $BURST -lt 1 ] && BURST=1

stress_topo
count_chain dut
dut53() { nft_counts dut | awk '{ print $1 }'; }
ok "modprobe port53guard" modprobe port53guard
echo $R >$ST/rate
ok "rate reads $R" test "$(cat $ST/rate)" = $R
nsenter --net=/run/netns/"$(ns peer)" p53g-raw watch -I veth-peer -t 3600000 >/tmp/w.out &
wpid=$!
wait_until 30 grep -q ready /tmp/w.out || fail "the ICMP tap on peer started"

snap /tmp/s0
u0=$(unreach dut) x0=$(outerr dut) d0=$(dut53)
t0=$(now_cs)
peer_send -s 198.18.0.0 -R 17 -d $DUT4 -n 1000000000 -T $SECS udp >/tmp/f4.out &
p4=$!
peer_send -6 -s 2001:db8:a000:: -R 32 -d $DUT6 -n 1000000000 -T $SECS udp >/tmp/f6.out &
p6=$!
peer_send -s 198.18.0.0 -R 17 -d $DUT4 -q 61003 -n 1000000000 -T $SECS badsum >/tmp/fb.out &
pb=$!
wait $p4 $p6 $pb
sent=$(($(field sent /tmp/f4.out) + $(field sent /tmp/f6.out) + $(field sent /tmp/fb.out)))
d_reached() { test $(($(dut53) - d0)) -ge $sent; }
wait_until $BOUND d_reached
h_reached() { snap /tmp/h; test $(($(total /tmp/h) - $(total /tmp/s0))) -ge $sent; }
wait_until $BOUND h_reached
t1=$(now_cs)
# Replies are sent in the hook, before it returns: none is still to come.
sleep 1
snap /tmp/s1
u1=$(unreach dut) x1=$(outerr dut) d1=$(dut53)
kill $wpid 2>/dev/null
wait $wpid
tapn=$(grep -c '^icmp' /tmp/w.out)

rej=$(($(val rejected_unreach /tmp/s1) - $(val rejected_unreach /tmp/s0)))
lim=$(($(val dropped_ratelimit /tmp/s1) - $(val dropped_ratelimit /tmp/s0)))
# p53g-raw sends a UDP checksum that computes to 0 as 0 over IPv6 too,
# where it means "invalid" (RFC 8200): about one random-source IPv6 query
# in 65536 is such a packet, which the guard rightly drops without a
# reply (dropped_noreply, as hostile.sh's zero-checksum case), before
# the bucket. Counted here, not hidden: rejected + ratelimited + noreply
# = all; the wrong checksums are the rest of noreply.
nor=$(($(val dropped_noreply /tmp/s1) - $(val dropped_noreply /tmp/s0)))
hooked=$(($(total /tmp/s1) - $(total /tmp/s0)))
seen=$((d1 - d0))
span=$(((t1 - t0 + 1) * 10))
max=$((BURST + (span + 10) * R / 1000))
echo "# sent=$sent (v4 $(field sent /tmp/f4.out), v6 $(field sent /tmp/f6.out), v4 wrong checksums $(field sent /tmp/fb.out)) at dut's input=$seen outcomes=$hooked"
echo "# rate=$R burst=$BURST span=${span} ms: rejected=$rej ratelimited=$lim noreply=$nor dut unreach=$((u1 - u0)) failed=$((x1 - x0)) tap=$tapn bound=$max"
ok "every one of $sent queries reached dut's input (nft UDP/53 counter: $seen)" test "$seen" = "$sent"
[ "$seen" = "$sent" ] || lost $((sent - seen))
ok "outcomes moved by exactly the $sent queries ($hooked)" test "$hooked" = "$sent"
ok "rejected ($rej) + dropped_ratelimit ($lim) + dropped_noreply ($nor) = queries that reached the hook ($seen)" \
	test $((rej + lim + nor)) = "$seen"
[ $((rej + lim + nor)) = "$seen" ] || mis $((seen - rej - lim - nor))
v6=$(field sent /tmp/f6.out)
z=$((v6 / 65536 * 4 + 4))
ok "tokens spent, rejected ($rej) + dropped_noreply ($nor), <= the bound ($max) + what zero IPv6 checksums explain ($z)" \
	test $((rej + nor)) -le $((max + z))
[ $((rej + nor)) -le $((max + z)) ] || mis $((rej + nor - max - z))
ok "the wrong checksums spent tokens: dropped_noreply ($nor) > what zero IPv6 checksums explain ($z)" \
	test "$nor" -gt "$z"
ok "dut sent ($((u1 - u0))) or failed to send ($((x1 - x0))) one ICMP error per rejected ($rej)" \
	test $((u1 - u0 + x1 - x0)) = "$rej"
ok "replies counted by the guard ($rej) <= burst + span * rate ($max)" test "$rej" -le $max
ok "ICMP errors dut sent ($((u1 - u0))) <= the bound ($max)" test $((u1 - u0)) -le $max
ok "ICMP errors at the peer's tap ($tapn) <= the bound ($max)" test "$tapn" -le $max
[ "$rej" -le $max ] || mis $((rej - max))
ok "the flood exceeded the limit (dropped_ratelimit $lim > 0)" test "$lim" -gt 0
# Not too strict either: the bucket refills while the flood lasts (a
# quarter of rate * seconds is many bursts; the senders come in bursts of
# their own on a slow kernel, and a bucket full at burst loses the rest).
ok "at least a quarter of the allowed tokens were spent ($rej + $nor >= $((R * SECS / 4)))" \
	test $((rej + nor)) -ge $((R * SECS / 4))
ok "the queries with good checksums were answered too ($rej > 0)" test "$rej" -gt 0
ok "rmmod port53guard" rmmod port53guard
topo_down
stress_row reflect $sent 0 0 "$sent"
