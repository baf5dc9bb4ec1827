#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# port53guard listeners: every socket on port 53 in every namespace, and
# what the guard does to a query for it (topology in lib.sh, plus):
#
#   ns dut:    dnsmasq on every address, UDP and TCP :53; p53g-listen on
#              UDP-Lite :53
#   ns lonely: p53g-listen on 127.0.0.1:53 (loopback only) and [::]:53
#              (named under /run/netns)
#   ns empty:  named, no process in it (read by joining it)
#   ns evil:   a listener whose process name is an escape sequence
#              (ESC[8m hides the rest of a terminal line)
#
# Asserted: each socket is listed with its namespace, protocol, address
# and process; the verdicts follow the guard (not loaded, reject, tcp 0,
# loopback only, exemptions, disabled); --json holds the same.
. /p53g/guest/lib.sh

cleanup() {
	[ -s /tmp/ls-dnsmasq.pid ] && kill "$(cat /tmp/ls-dnsmasq.pid)" 2>/dev/null
	killall p53g-listen 2>/dev/null
	[ -n "${EVILPID:-}" ] && kill "$EVILPID" 2>/dev/null
}

topo_up
setup_ns lonely empty
nsip lonely link set lo up
in_ns dut dnsmasq --user=root --group=root --no-resolv --no-hosts \
	--address=/l.example.test/192.0.2.53 --pid-file=/tmp/ls-dnsmasq.pid
wait_until 5 test -s /tmp/ls-dnsmasq.pid || fail "dnsmasq started in dut"
listen_bg dut /tmp/ls-lite.out -L -p 53 -t 600000
listen_bg lonely /tmp/ls-lo.out -a 127.0.0.1 -p 53 -t 600000
listen_bg lonely /tmp/ls-lonely.out -6 -p 53 -t 600000
DNSMASQ=$(cat /tmp/ls-dnsmasq.pid)

ok "listeners runs with a namespace no process is in" sh -c 'port53guard listeners >/tmp/ls.out 2>&1'
cat /tmp/ls.out | sed 's/^/# /'
ok "not loaded: it says so" grep -q "^The guard is not loaded" /tmp/ls.out
ok "not loaded: dnsmasq's UDP socket in dut is answered" \
	grep -q "^udp 0.0.0.0:53 dnsmasq\[$DNSMASQ\], namespace dut-$NS_SUFFIX: answered: the guard is not loaded" /tmp/ls.out

ok "modprobe port53guard" modprobe port53guard
port53guard listeners >/tmp/ls.out 2>&1
cat /tmp/ls.out | sed 's/^/# /'
ok "dnsmasq, UDP, every IPv4 address of dut: refused" \
	grep -q "^udp 0.0.0.0:53 dnsmasq\[$DNSMASQ\], namespace dut-$NS_SUFFIX: refused: port unreachable" /tmp/ls.out
ok "dnsmasq, UDP, every IPv6 address of dut: refused" \
	grep -q "^udp \[::\]:53 dnsmasq\[$DNSMASQ\], namespace dut-$NS_SUFFIX: refused: port unreachable" /tmp/ls.out
ok "dnsmasq, TCP: answered, TCP is not judged (tcp 0)" \
	grep -q "^tcp 0.0.0.0:53 dnsmasq\[$DNSMASQ\], namespace dut-$NS_SUFFIX: answered: TCP is not judged (tcp 0)" /tmp/ls.out
ok "a socket on 127.0.0.1: not reachable from the network" \
	grep -q "^udp 127.0.0.1:53 p53g-listen\[[0-9]*\], namespace lonely-$NS_SUFFIX: not reachable from the network" /tmp/ls.out
ok "a UDP-Lite socket: refused" \
	grep -q "^udplite 0.0.0.0:53 p53g-listen\[[0-9]*\], namespace dut-$NS_SUFFIX: refused" /tmp/ls.out
ok "a namespace known by its /run/netns name: lonely, refused" \
	grep -q "^udp \[::\]:53 p53g-listen\[[0-9]*\], namespace lonely-$NS_SUFFIX: refused" /tmp/ls.out

# Any user can name a process so and bind port 53 in a namespace of its
# own: the name must reach root's terminal escaped, not as a sequence.
setup_ns evil
nsip evil link set lo up
ESC=$(printf '\033')
cp /usr/local/bin/p53g-listen "/tmp/${ESC}[8mhid"
rm -f /tmp/ls-evil.out
in_ns evil "/tmp/${ESC}[8mhid" -p 53 -t 600000 >/tmp/ls-evil.out &
EVILPID=$!
wait_until 30 grep -q ready /tmp/ls-evil.out || fail "the listener named ESC[8mhid started"
port53guard listeners >/tmp/ls.out 2>&1
ok "a process named ESC[8mhid: listed with the name escaped" \
	grep -q -F 'udp 0.0.0.0:53 \x1b[8mhid[' /tmp/ls.out
ok "and no escape byte reaches the terminal" sh -c "! grep -q '$ESC' /tmp/ls.out"
kill "$EVILPID" 2>/dev/null
wait "$EVILPID" 2>/dev/null
EVILPID=
del_ns evil

port53guard exempt add 192.0.2.0/24 2001:db8:53::/64 dev:veth-dut
echo 1 >$ST/tcp
port53guard listeners >/tmp/ls.out 2>&1
ok "tcp 1: dnsmasq's TCP socket is refused with a RST" \
	grep -q "^tcp 0.0.0.0:53 dnsmasq\[$DNSMASQ\], namespace dut-$NS_SUFFIX: refused: TCP RST" /tmp/ls.out
ok "the exemptions that let a query through are named, by family" \
	test "$(sed -n "/^udp 0.0.0.0:53 dnsmasq/,/^[a-z]/p" /tmp/ls.out | grep -c 'answered from')" = 2
ok "an IPv4 socket lists 192.0.2.0/24 and dev:veth-dut, not the IPv6 prefix" \
	sh -c "sed -n '/^udp 0.0.0.0:53 dnsmasq/,/^[a-z]/p' /tmp/ls.out | grep -q 'answered from 192.0.2.0/24 (exempt)' &&
	       sed -n '/^udp 0.0.0.0:53 dnsmasq/,/^[a-z]/p' /tmp/ls.out | grep -q 'answered from dev:veth-dut (exempt)'"
port53guard listeners --json >/tmp/ls.json 2>&1
ok "--json: an object with guard_loaded true" grep -q '"guard_loaded": true' /tmp/ls.json
ok "--json: dnsmasq's socket with its verdict and exemptions" \
	grep -q "\"namespace\": \"dut-$NS_SUFFIX\", \"netns_inode\": [0-9]*, \"protocol\": \"udp\", \"address\": \"0.0.0.0:53\", \"processes\": \"dnsmasq\[$DNSMASQ\]\", \"from_internet\": \"refused: port unreachable\", \"answered\": false, \"exempt_answered\": \[\"192.0.2.0/24\", \"dev:veth-dut\"\]" /tmp/ls.json
echo 0 >$ST/enabled
port53guard listeners >/tmp/ls.out 2>&1
ok "enabled 0: answered, the guard is disabled" \
	grep -q "^udp 0.0.0.0:53 dnsmasq\[$DNSMASQ\], namespace dut-$NS_SUFFIX: answered: the guard is disabled (enabled 0)" /tmp/ls.out
ok "rmmod port53guard" rmmod port53guard
