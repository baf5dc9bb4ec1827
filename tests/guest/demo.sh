#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make demo, inside the guest: a real DNS server (dnsmasq) in namespace
# "dut", a real client (dig) in namespace "peer", before, with and after
# the guard. Lines starting with "demo|" are shown to the person; the
# PASS:/FAIL: lines check that each step showed what it says (make demo
# fails on any FAIL, and make check runs make demo).
. /p53g/guest/lib.sh
say() { echo "demo| $*"; }
now_cs() { cut -d' ' -f1 /proc/uptime | tr -d .; }

# ask ADDR answered|refused WHAT: run dig from peer, show its answer or
# error and how long it took, and check it was answered (the record) or
# refused (dig's "connection refused", from the ICMP error).
ask() {
	t0=$(now_cs)
	out=$(in_ns peer dig +time=3 +tries=1 +short @"$1" www.example.test A 2>&1)
	t1=$(now_cs)
	echo "$out" | while IFS= read -r l; do say "    $l"; done
	say "    ($(( (t1 - t0) * 10 )) ms)"
	case $2 in
	answered) ok "demo: $3: answered" test "$out" = 192.0.2.80 ;;
	refused) ok "demo: $3: refused" has "$out" "connection refused" ;;
	esac
}

topo_up >/dev/null
in_ns dut dnsmasq --user=root --group=root --no-resolv --no-hosts \
	--listen-address=$DUT4 --listen-address=$DUT6 --listen-address=127.0.0.1 \
	--address=/www.example.test/192.0.2.80 --pid-file=/tmp/dnsmasq.pid
wait_until 5 test -s /tmp/dnsmasq.pid

say ""
say "Two network namespaces joined by a veth pair:"
say "  dut  ($DUT4, $DUT6) runs dnsmasq, a real DNS server, on port 53"
say "  peer ($PEER4, $PEER6) asks it with dig"
say ""
say "1. No guard: the query is answered."
say "  peer\$ dig @$DUT4 www.example.test"
ask $DUT4 answered "no guard, IPv4"
say ""
say "2. modprobe port53guard: the same query is refused at once with ICMP"
say "   port unreachable, so dig reports 'connection refused' instead of waiting."
ok "demo: modprobe port53guard" modprobe port53guard
say "  # modprobe port53guard   (loaded)"
say "  peer\$ dig @$DUT4 www.example.test"
ask $DUT4 refused "guarded, IPv4"
say "  peer\$ dig @$DUT6 www.example.test"
ask $DUT6 refused "guarded, IPv6"
say "  dut\$ dig @127.0.0.1 www.example.test   (loopback always passes)"
t0=$(in_ns dut dig +time=3 +tries=1 +short @127.0.0.1 www.example.test A 2>&1)
say "    $t0"
ok "demo: guarded, loopback: answered" test "$t0" = 192.0.2.80
say ""
say "3. A LAN is exempted: the guard passes queries from 192.0.2.0/24, IPv6 stays refused."
say "  # port53guard exempt add 192.0.2.0/24"
port53guard exempt add 192.0.2.0/24 2>&1 | while IFS= read -r l; do say "    $l"; done
say "  # port53guard exempt list"
port53guard exempt list 2>&1 | while IFS= read -r l; do say "    $l"; done
say "  peer\$ dig @$DUT4 www.example.test"
ask $DUT4 answered "exempt source, IPv4"
say "  peer\$ dig @$DUT6 www.example.test"
ask $DUT6 refused "IPv6, not exempt"
say "  # port53guard exempt check 203.0.113.9   (a WAN address)"
port53guard exempt check 203.0.113.9 2>&1 | while IFS= read -r l; do say "    $l"; done
say "  # port53guard status | head -n 14   (the first counters)"
port53guard status 2>&1 | head -n 14 | while IFS= read -r l; do say "    $l"; done
say ""
say "4. rmmod port53guard: answered again, no hook is left behind."
ok "demo: rmmod port53guard" rmmod port53guard
say "  # rmmod port53guard   (unloaded)"
say "  peer\$ dig @$DUT4 www.example.test"
ask $DUT4 answered "unloaded, IPv4"
say ""
kill "$(cat /tmp/dnsmasq.pid)" 2>/dev/null
topo_down
exit $T_FAILED
