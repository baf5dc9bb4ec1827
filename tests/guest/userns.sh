#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dev: exemptions count only in network namespaces owned by the initial
# user namespace. The root of a rootless container (a network namespace
# owned by a child user namespace, as unshare -U -r -n, rootless Podman,
# LXD and Incus make) renames its interface to an exempt name and still
# gets no answer through; a namespace made by the host's root does.
#
#   +------------ ns peer ------------+      +------ ns dut (ip netns add) ------+
#   | veth-p1 192.0.2.2/24            |<---->| wan0 192.0.2.1/24                 |
#   |                                 |      +-----------------------------------+
#   | veth-p2 198.51.100.2/24         |<---->+-- rootless: unshare -U -r -n -----+
#   |                                 |      | wan0 198.51.100.1/24, named so by |
#   +---------------------------------+      |   the namespace's own root        |
#                                            +-----------------------------------+
#   exempt: dev:wan0
. /p53g/guest/lib.sh

S=/sys/kernel/port53guard
RDUT=192.0.2.1
RL4=198.51.100.1
RLPEER=198.51.100.2
RL=

cleanup() {
	[ -n "$RL" ] && kill "$RL" 2>/dev/null
	for e in dev:wan0 $RLPEER; do echo "del $e" >$S/exempt; done 2>/dev/null
}

# rl CMD...: run CMD as the rootless namespace's own root, in its network
# (entering its user namespace gives every capability there, over that
# network namespace only; uid 0 is mapped, so no uid change is needed,
# and setgroups is denied there).
rl() { nsenter --preserve-credentials -t "$RL" -U -n "$@"; }
# query ADDR: one query from peer; the probe's summary in /tmp/q.out.
query() { in_ns peer p53g-udpprobe -t 2000 "$1" >/tmp/q.out 2>&1; }
# answered ADDR / refused ADDR: the query got a reply and no ICMP error /
# an ICMP error and no reply.
answered() { query "$1"; [ "$(field replies /tmp/q.out)" = 1 ] && [ "$(field icmp /tmp/q.out)" = 0 ]; }
refused() { query "$1"; [ "$(field icmp /tmp/q.out)" = 1 ] && [ "$(field replies /tmp/q.out)" = 0 ]; }

ok "modprobe port53guard" modprobe port53guard
setup_ns dut peer
for n in dut peer; do in_ns $n $IP link set lo up; done

# The root-made namespace: the host's root names its interface wan0.
$IP link add veth-d1 netns "$(ns dut)" type veth peer name veth-p1 netns "$(ns peer)"
in_ns dut $IP link set veth-d1 name wan0
in_ns dut $IP addr add $RDUT/24 dev wan0
in_ns dut $IP link set wan0 up
in_ns peer $IP addr add $PEER4/24 dev veth-p1
in_ns peer $IP link set veth-p1 up

# The rootless namespace: the host's root hands it a veth end (as rootless
# Podman's helper does); its own root names it wan0.
unshare -U -r -n sleep 3600 2>/tmp/unshare.err &
RL=$!
# (polled through sh -c: the links must be read anew each time)
wait_until 5 sh -c "test \"\$(readlink /proc/$RL/ns/net)\" != \"\$(readlink /proc/1/ns/net)\"" ||
	{ fail "unshare -U -r -n made a namespace ($(cat /tmp/unshare.err))"; exit; }
ok "the rootless namespace is owned by a child user namespace" \
	test "$(readlink /proc/$RL/ns/user)" != "$(readlink /proc/1/ns/user)"
$IP link add veth-d2 netns "$RL" type veth peer name veth-p2 netns "$(ns peer)"
ok "its own root renames veth-d2 to wan0" rl $IP link set veth-d2 name wan0
rl $IP addr add $RL4/24 dev wan0
rl $IP link set lo up
rl $IP link set wan0 up
in_ns peer $IP addr add $RLPEER/24 dev veth-p2
in_ns peer $IP link set veth-p2 up
wait_until 5 in_ns peer ping -c1 -W1 $RDUT >/dev/null || fail "peer reaches dut"
wait_until 5 in_ns peer ping -c1 -W1 $RL4 >/dev/null || fail "peer reaches the rootless namespace"

# Listeners answer whatever reaches them (-r), each until it has one query.
listen_bg dut /tmp/ld.out -r -c 1 -t 20000
rm -f /tmp/lr.out
nsenter -t "$RL" -n p53g-listen -r -c 1 -t 20000 >/tmp/lr.out &
RLL=$!
wait_until 30 grep -q ready /tmp/lr.out || fail "listener in the rootless namespace started"

echo "add dev:wan0" >$S/exempt
# What listeners tells the operator: dev:wan0 opens dut's resolver, not the
# rootless one's. (exempted KEY: the lines under the socket line with KEY)
port53guard listeners >/tmp/ul.out 2>&1
sed 's/^/# /' /tmp/ul.out
exempted() { awk -v k="$1" 'index($0, k) { on = 1; next } /^[^ ]/ { on = 0 } on' /tmp/ul.out; }
ok "listeners: dev:wan0 lets a query through to dut's listener" \
	sh -c "echo '$(exempted "namespace dut-$NS_SUFFIX")' | grep -q 'answered from dev:wan0'"
ok "listeners: but not to the rootless namespace's" \
	sh -c "grep -q '\[$RLL\], namespace' /tmp/ul.out && ! echo '$(exempted "[$RLL], namespace")' | grep -q 'dev:wan0'"
ok "dev:wan0 exempt, root-made namespace: the query is answered" answered $RDUT
ok "dev:wan0 exempt, rootless namespace: refused with ICMP" refused $RL4
echo "add $RLPEER" >$S/exempt
ok "source $RLPEER exempt, rootless namespace: the query is answered" answered $RL4
wait_until 20 grep -q received= /tmp/lr.out
ok "the rootless listener got the exempt query only" \
	test "$(field received /tmp/lr.out)" = 1
