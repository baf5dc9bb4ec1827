#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle: rmmod / modprobe over and over while a spoofed UDP/53 flood
# runs at dut's first address, readers keep the sysfs files open and
# others read the module parameters without pause.
#
#   ns peer: flood 198.18.0.0/15 -> 192.0.2.1:53 (p53g-raw send, AF_PACKET)
#            probes (p53g-udpprobe) -> 192.0.2.11:53 / [2001:db8:53::11]:53
#   ns dut:  echoing listeners on 192.0.2.11:53 and [2001:db8:53::11]:53
#
# Each cycle: modprobe (every other one with an exemption list as a module
# parameter, half the flood's sources in it); loaded, a probe to the
# listener is refused with ICMP port unreachable; rmmod; unloaded, the
# same probe is answered by the listener (so no hook is left behind) and
# /sys/kernel/port53guard is gone. Afterwards: the flood's senders all ran
# to the end, ping works both ways, and nft's hook listing no longer shows
# the module's hooks (when nft lists them at all).
. /p53g/guest/stress-lib.sh

N=20 TMO=3000
[ $SLOW = 1 ] && { N=6 TMO=20000; }
[ $LONG = 1 ] && N=100
STOP=/tmp/st.stop
rm -f $STOP
D4=192.0.2.11 D6=2001:db8:53::11

stress_topo
in_ns dut $IP addr add $D4/24 dev veth-dut
in_ns dut $IP addr add $D6/64 dev veth-dut nodad
nsenter --net=/run/netns/"$(ns dut)" p53g-listen -r -a $D4 -p 53 -t 3600000 >/tmp/l4.out &
l4=$!
nsenter --net=/run/netns/"$(ns dut)" p53g-listen -6 -r -a $D6 -p 53 -t 3600000 >/tmp/l6.out &
l6=$!
wait_until 30 grep -q ready /tmp/l4.out || fail "echoing listener on $D4:53 started"
wait_until 30 grep -q ready /tmp/l6.out || fail "echoing listener on [$D6]:53 started"

# probe FAM: what one query to the listener got: icmp, reply or timeout.
probe() {
	_a=$D4 _f=
	[ "$1" = 6 ] && { _a=$D6 _f=-6; }
	nsx peer p53g-udpprobe $_f -n 1 -t $TMO $_a >/tmp/probe.out 2>&1
	if grep -q '^icmp type=3 code=3 ' /tmp/probe.out || grep -q '^icmp type=1 code=4 ' /tmp/probe.out; then
		echo icmp
	elif grep -q '^reply ' /tmp/probe.out; then
		echo reply
	else
		echo "other($(head -n1 /tmp/probe.out))"
	fi
}
ok "before loading, IPv4 query answered by the listener" test "$(probe 4)" = reply
ok "before loading, IPv6 query answered by the listener" test "$(probe 6)" = reply

: >/tmp/flood.out
flood_loop /tmp/flood.out -s 198.18.0.0 -R 17 -d $DUT4 &
fp4=$!
flood_loop /tmp/flood.out -6 -s 2001:db8:a000:: -R 32 -d $DUT6 &
fp6=$!
# Readers of the settings, list and counters, across loads and unloads.
reader() {
	_r=0
	while [ ! -e $STOP ]; do
		for _f in enabled action rate exempt stats; do
			cat $ST/$_f >/dev/null 2>&1
			_r=$((_r + 1))
		done
		sleep 0.05
	done
	echo "$_r" >/tmp/reader.res
}
reader &
rp=$!
# Readers of the module parameters (world-readable, and removed by the
# loader only after the module's exit has run): at rmmod they race the
# configuration's teardown, where KASAN sees a read after the free.
preader() {
	_r=0
	while [ ! -e $STOP ]; do
		for _f in /sys/module/port53guard/parameters/*; do
			cat "$_f" >/dev/null 2>&1
			_r=$((_r + 1))
		done
	done
	echo "$_r" >/tmp/preader.res
}
preader &
pp=$!

# nft lists hooks through nfnetlink_hook (a module on 6.12, absent on 6.1
# and the debug kernel); without it the listing is empty.
modprobe nfnetlink_hook 2>/dev/null
hooks_listed=-
bad_load=0 bad_unload=0 bad_sysfs=0 i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	[ $((i % 10)) = 0 ] && section "cycle $i"
	fam=4; [ $((i % 2)) = 0 ] && fam=6
	args="rate=0"
	[ $((i % 2)) = 1 ] && args="rate=0 exempt=198.18.0.0/16,2001:db8:a000::/33"
	if ! modprobe port53guard $args; then
		fail "cycle $i: modprobe port53guard $args"
		bad_load=$((bad_load + 1))
		continue
	fi
	if [ "$hooks_listed" = - ]; then
		nsx dut nft list hooks >/tmp/hooks.loaded 2>&1
		hooks_listed=0
		grep -q -i -e port53guard -e p53g_ /tmp/hooks.loaded && hooks_listed=1
	fi
	[ -d $ST ] || { echo "cycle $i: loaded but no $ST"; bad_sysfs=$((bad_sysfs + 1)); }
	r=$(probe $fam)
	[ "$r" = icmp ] || { echo "# cycle $i: loaded, IPv$fam query got $r"; bad_load=$((bad_load + 1)); }
	if ! rmmod port53guard; then
		fail "cycle $i: rmmod port53guard"
		bad_unload=$((bad_unload + 1))
		continue
	fi
	[ -e $ST ] && { echo "cycle $i: unloaded but $ST is there"; bad_sysfs=$((bad_sysfs + 1)); }
	r=$(probe $fam)
	[ "$r" = reply ] || { echo "# cycle $i: unloaded, IPv$fam query got $r"; bad_unload=$((bad_unload + 1)); }
done
touch $STOP
wait $fp4 $fp6 $rp $pp
section "$N cycles done"
ok "$N modprobe/rmmod cycles under a flood: loaded, every query refused with port unreachable ($bad_load wrong)" \
	test $bad_load = 0
ok "$N cycles: unloaded, every query reached the listener: no hook left ($bad_unload wrong)" \
	test $bad_unload = 0
ok "$N cycles: $ST present exactly while loaded ($bad_sysfs wrong)" test $bad_sysfs = 0
mis $((bad_load + bad_unload))

sent=$(awk -F'[= ]' '/^sent=/ { t += $2 } END { print t + 0 }' /tmp/flood.out)
runs=$(grep -c '^sent=' /tmp/flood.out)
echo "# flood: $sent frames in $runs sender runs; sysfs reads: $(cat /tmp/reader.res); parameter reads: $(cat /tmp/preader.res)"
ok "the module parameters were read throughout the cycles ($(cat /tmp/preader.res) reads)" \
	test "$(cat /tmp/preader.res)" -gt "$N"
ok "the flood's senders all ran to the end ($runs runs, $sent frames)" \
	test "$(grep -v -c '^sent=' /tmp/flood.out)" = 0
ok "the flood ran through every cycle ($sent frames)" test "$sent" -gt 0
ok "port53guard is not in the module list" sh -c '! grep -q "^port53guard " /proc/modules'
ok "$ST is gone" test ! -e $ST
if [ "$hooks_listed" = 1 ]; then
	nsx dut nft list hooks >/tmp/hooks.after 2>&1
	ok "nft list hooks showed the guard's hooks while loaded, and shows none now" \
		sh -c '! grep -q -i -e port53guard -e p53g_ /tmp/hooks.after'
else
	echo "# nft list hooks does not name module hooks here ($(grep -c . /tmp/hooks.loaded) lines); the probes above are the proof"
fi
ok "after the final rmmod, an IPv4 query reaches the listener" test "$(probe 4)" = reply
ok "after the final rmmod, an IPv6 query reaches the listener" test "$(probe 6)" = reply
ok "the guest is healthy: peer pings dut over IPv4" in_ns peer ping -c 2 -W 5 $DUT4
ok "the guest is healthy: peer pings dut over IPv6" in_ns peer ping -6 -c 2 -W 5 $DUT6
kill $l4 $l6 2>/dev/null
wait $l4 $l6
topo_down
stress_row life $sent $((2 * N)) 0 $N
