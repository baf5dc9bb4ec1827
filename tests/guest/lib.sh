# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest test scripts (busybox sh). Sourced, not run.
#
# Topology made by topo_up (kselftest shape):
#
#   +----------- ns peer -----------+      +------------ ns dut ------------+
#   | veth-peer 192.0.2.2/24        |<---->| veth-dut 192.0.2.1/24          |
#   |           2001:db8:53::2/64   |      |          2001:db8:53::1/64     |
#   +-------------------------------+      +--------------------------------+
#
# Documentation prefixes only, inside the guest; nothing leaves the guest.

IP=/usr/bin/ip
DUT4=192.0.2.1
PEER4=192.0.2.2
DUT6=2001:db8:53::1
PEER6=2001:db8:53::2
T_FAILED=0

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; T_FAILED=$((T_FAILED + 1)); }

# ok DESC CMD...: PASS when CMD succeeds.
ok() {
	_d=$1; shift
	if "$@"; then pass "$_d"; else fail "$_d"; fi
}

# has TEXT WORDS: TEXT contains WORDS (an error message, say).
has() {
	case $1 in *"$2"*) return 0 ;; esac
	return 1
}

# section NAME: mark where a test is, with the guest's uptime (for timing).
section() { echo "# $* (at $(cut -d' ' -f1 /proc/uptime) s)"; }

# The guard's sysfs directory, and its 13 outcome counters: every packet
# that reaches a hook lands in exactly one of them.
ST=/sys/kernel/port53guard
OUTCOMES="passed disabled exempted_loopback exempted_list replies monitored
	rejected_unreach tcp_reset dropped_action dropped_ratelimit
	dropped_malformed dropped_noreply iterative"
# The debug kernel (KASAN, lockdep, kmemleak): its packet path is far
# slower under emulation, so tests use longer bounds and smaller loads.
SLOW=0
[ -e /sys/kernel/debug/kmemleak ] && SLOW=1

# nsx NS CMD...: in_ns without ip(8)'s mount namespace and sysfs remount
# (hot paths run it hundreds of times, which the debug kernel feels);
# namespace "-" is the guest's initial one.
nsx() {
	_x=$1; shift
	if [ "$_x" = - ]; then "$@"; else nsenter --net=/run/netns/"$(ns "$_x")" "$@"; fi
}
snap() { cat $ST/stats >"$1"; }
val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
# The sum of the outcome counters in a stats snapshot.
total() {
	awk -v outs="$OUTCOMES" 'BEGIN { split(outs, o, " "); for (i in o) w[o[i]] = 1 }
		($1 in w) { t += $2 } END { print t + 0 }' "$1"
}
# unreach NS: ICMP destination-unreachable messages NS has sent, IPv4 +
# IPv6, read by column name (the column set differs between kernels). One
# process: on the debug kernel every fork counts.
unreach() {
	nsx "$1" awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else n += $(c["OutDestUnreachs"]) }
		$1 == "Icmp6OutDestUnreachs" { n += $2 } END { print n }' /proc/net/snmp /proc/net/snmp6
}
# outerr NS: ICMP errors NS tried to send but could not (its ICMP socket's
# send buffer is full while the peer drains a flood slowly), IPv4 + IPv6.
outerr() {
	nsx "$1" awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else n += $(c["OutErrors"]) }
		$1 == "Icmp6OutErrors" { n += $2 } END { print n }' /proc/net/snmp /proc/net/snmp6
}

# kmemleak_leaks WAIT_S: wait (objects freed by RCU or a workqueue after
# the last test need it), scan twice, print how many unreferenced objects
# kmemleak reports; the first of them go to stderr.
kmemleak_leaks() {
	sleep "$1"
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	_l=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak)
	[ "$_l" = 0 ] || head -n 40 /sys/kernel/debug/kmemleak >&2
	echo "$_l"
}

# Namespaces, the kselftest way (setup_ns): a test names its namespaces
# (dut, peer, gw, ...) and works with those names; the real namespace is
# the name with this test's own suffix, so that nothing one test leaves
# behind can meet another, and every one is deleted when the test exits.
NS_SUFFIX=$$
ns() { if [ "$1" = - ]; then echo -; else echo "$1-$NS_SUFFIX"; fi; }
setup_ns() {
	for _n in "$@"; do
		$IP netns add "$(ns "$_n")" || { fail "namespace $_n made"; return 1; }
	done
}
del_ns() { for _n in "$@"; do $IP netns del "$(ns "$_n")" 2>/dev/null; done; }
in_ns() { _ns=$1; shift; $IP netns exec "$(ns "$_ns")" "$@"; }
# nsip NS ARGS...: ip -n for a namespace.
nsip() { _ns=$1; shift; $IP -n "$(ns "$_ns")" "$@"; }

# On exit, whatever happened: the test's own cleanup (a function named
# cleanup, if it has one), its namespaces gone, and the exit status the
# number of failed assertions (capped at 125).
p53g_exit() {
	trap - EXIT
	command -v cleanup >/dev/null 2>&1 && cleanup
	for _f in /run/netns/*-"$NS_SUFFIX"; do
		[ -e "$_f" ] && $IP netns del "${_f##*/}" 2>/dev/null
	done
	[ "$T_FAILED" -gt 125 ] && T_FAILED=125
	exit "$T_FAILED"
}
trap p53g_exit EXIT

# wait_until TIMEOUT_S CMD...: poll CMD every 0.1 s, bounded.
wait_until() {
	_n=$(($1 * 10)); shift
	while [ $_n -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# Kernel ICMP limits off in a namespace, so every probe is answered.
no_icmp_limits() {
	in_ns "$1" sysctl -qw net.ipv4.icmp_ratelimit=0
	in_ns "$1" sysctl -qw net.ipv6.icmp.ratelimit=0
}

topo_up() {
	setup_ns dut peer
	$IP link add veth-dut netns "$(ns dut)" type veth peer name veth-peer netns "$(ns peer)"
	for ns in dut peer; do
		in_ns $ns $IP link set lo up
		in_ns $ns sysctl -qw net.ipv6.conf.all.accept_dad=0
		in_ns $ns sysctl -qw net.ipv6.conf.default.accept_dad=0
		no_icmp_limits $ns
	done
	in_ns dut $IP addr add $DUT4/24 dev veth-dut
	in_ns dut $IP addr add $DUT6/64 dev veth-dut nodad
	in_ns peer $IP addr add $PEER4/24 dev veth-peer
	in_ns peer $IP addr add $PEER6/64 dev veth-peer nodad
	in_ns dut $IP link set veth-dut up
	in_ns peer $IP link set veth-peer up
	wait_until 5 in_ns peer ping -c1 -W1 $DUT4 >/dev/null ||
		fail "topology: peer reaches dut over IPv4"
	wait_until 5 in_ns peer ping -6 -c1 -W1 $DUT6 >/dev/null ||
		fail "topology: peer reaches dut over IPv6"
}

topo_down() { del_ns peer dut; }

# patient_tcp: peer's TCP to dut waits 5 s before it sends a segment
# again (a host route with rto_min), so that a stalled guest does not
# send a query's segment twice where a test counts the segments the guard
# judged. SYNs keep their own 1 s timer.
patient_tcp() {
	in_ns peer $IP route add $DUT4/32 dev veth-peer rto_min 5s &&
		in_ns peer $IP -6 route add $DUT6/128 dev veth-peer rto_min 5s ||
		fail "peer's routes to dut with rto_min 5s"
}

# A UDP listener in the background: listen NS OUTFILE ARGS...; waits for "ready".
# The old OUTFILE is removed first: the background job opens it only when it
# gets to run, and on a slow guest (one emulated CPU) the wait would find the
# last listener's "ready" in it and the probe go out before this one is bound.
listen_bg() {
	_ns=$1 _out=$2; shift 2
	rm -f "$_out"
	in_ns "$_ns" p53g-listen "$@" >"$_out" &
	wait_until 30 grep -q ready "$_out" || fail "listener $* did not start"
}

# The value of KEY=N in the probe's summary line.
field() {
	awk -v k="$1" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) v = substr($i, length(k) + 2) }
		END { print v }' "$2"
}
