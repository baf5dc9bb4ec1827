#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Namespaces: the guard hooks every network namespace, so it must follow
# namespaces as they come and go, and find those that were there before
# it loaded.
#
#   ns hub --- veth hI / vI --- ns snI    (10.77.x.y/30, 2001:db8:77:I::/64)
#
# 1. Loaded: create N namespaces one after another, each with a veth to
#    the hub; a UDP/53 query from the hub to each must be refused with
#    ICMP port unreachable; each namespace is deleted in the background
#    while the next ones are made (teardown races creation).
# 2. Unloaded: create M namespaces; modprobe; every one of them refuses
#    a query from the hub, IPv4 and IPv6; delete them.
# 3. Debug kernel: kmemleak scans twice and finds nothing.
. /p53g/guest/stress-lib.sh

N=40 M=10 TMO=3000
[ $SLOW = 1 ] && { N=6 M=4 TMO=20000; }
[ $LONG = 1 ] && { N=200 M=50; }

# addr I SIDE: the /30's address on the hub side (1) or namespace side (2).
addr() { echo "10.77.$(($1 / 64)).$((($1 % 64) * 4 + $2))"; }
mkns() {
	setup_ns sn$1 &&
	$IP link add h$1 netns "$(ns hub)" type veth peer name v$1 netns "$(ns sn$1)" &&
	printf 'link set lo up\naddr add %s/30 dev v%s\naddr add 2001:db8:77:%s::2/64 dev v%s nodad\nlink set v%s up\n' \
		"$(addr $1 2)" $1 $1 $1 $1 | nsip sn$1 -b - &&
	printf 'addr add %s/30 dev h%s\naddr add 2001:db8:77:%s::1/64 dev h%s nodad\nlink set h%s up\n' \
		"$(addr $1 1)" $1 $1 $1 $1 | nsip hub -b -
}
# refused I FAM: a query from the hub to snI gets ICMP port unreachable.
refused() {
	if [ "$2" = 6 ]; then
		nsx hub p53g-udpprobe -6 -n 1 -t $TMO 2001:db8:77:$1::2 >/tmp/p.out 2>&1
		grep -q '^icmp type=1 code=4 ' /tmp/p.out
	else
		nsx hub p53g-udpprobe -n 1 -t $TMO "$(addr $1 2)" >/tmp/p.out 2>&1
		grep -q '^icmp type=3 code=3 ' /tmp/p.out
	fi
}

setup_ns hub
nsx hub $IP link set lo up
nsx hub sysctl -qw net.ipv6.conf.all.accept_dad=0
nsx hub sysctl -qw net.ipv6.conf.default.accept_dad=0
ok "modprobe port53guard rate=0" modprobe port53guard rate=0
snap /tmp/s0

section "$N namespaces made and deleted while loaded"
bad=0 made=0 probes=0 i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	[ $((i % 10)) = 0 ] && section "namespace $i"
	if ! mkns $i; then
		fail "namespace sn$i made with its veth"
		bad=$((bad + 1))
		continue
	fi
	made=$((made + 1))
	probes=$((probes + 1))
	refused $i 4 || { echo "# sn$i: query not refused: $(head -n1 /tmp/p.out)"; bad=$((bad + 1)); }
	del_ns sn$i &
done
wait
ok "$made of $N namespaces made, each refused a query from the hub ($bad wrong)" test $bad = 0
mis $bad
snap /tmp/s1
r=$(($(val rejected_unreach /tmp/s1) - $(val rejected_unreach /tmp/s0)))
ok "rejected_unreach moved by exactly the $probes queries ($r)" test "$r" = $probes

section "$M namespaces made before loading"
ok "rmmod port53guard" rmmod port53guard
bad2=0 i=1000
while [ $i -lt $((1000 + M)) ]; do
	i=$((i + 1))
	mkns $i || { fail "namespace sn$i made with its veth"; bad2=$((bad2 + 1)); }
done
# Not loaded: the first one answers nothing (no listener) but is not
# guarded: the stack's own port unreachable comes back, so the probe
# cannot tell. The listener makes it tell: a reply means nothing blocked.
# Its start can take seconds on a loaded host: the probe waits for it.
nsenter --net=/run/netns/"$(ns sn1001)" p53g-listen -r -p 53 -c 1 -t 120000 >/tmp/l.out &
lpid=$!
wait_until 60 grep -q ready /tmp/l.out || fail "the listener in sn1001 is ready"
nsx hub p53g-udpprobe -n 1 -t $TMO "$(addr 1001 2)" >/tmp/p.out 2>&1
ok "not loaded: a query to sn1001 is answered by its listener ($(head -n1 /tmp/p.out))" \
	grep -q '^reply ' /tmp/p.out
kill $lpid 2>/dev/null
wait
ok "modprobe port53guard rate=0 with $M namespaces alive" modprobe port53guard rate=0
snap /tmp/s2
i=1000
while [ $i -lt $((1000 + M)) ]; do
	i=$((i + 1))
	for f in 4 6; do
		probes=$((probes + 1))
		refused $i $f || { echo "# sn$i: IPv$f query not refused: $(head -n1 /tmp/p.out)"; bad2=$((bad2 + 1)); }
	done
done
ok "all $M namespaces that were there before loading are guarded, IPv4 and IPv6 ($bad2 wrong)" test $bad2 = 0
mis $bad2
snap /tmp/s3
r=$(($(val rejected_unreach /tmp/s3) - $(val rejected_unreach /tmp/s2)))
ok "rejected_unreach moved by exactly the $((2 * M)) queries ($r)" test "$r" = $((2 * M))
i=1000
while [ $i -lt $((1000 + M)) ]; do
	i=$((i + 1))
	del_ns sn$i
done
del_ns hub
ok "rmmod port53guard" rmmod port53guard

if [ $SLOW = 1 ]; then
	section "kmemleak"
	# Namespaces are torn down by a workqueue after the last reference
	# goes; kmemleak reports objects unreferenced for a few seconds.
	leaks=$(kmemleak_leaks 8)
	ok "kmemleak finds no leaked object after $((N + M)) namespaces ($leaks)" test "$leaks" = 0
	mis "$leaks"
fi
stress_row netns $probes $((2 * (N + M) + 4)) 0 $((N + M))
