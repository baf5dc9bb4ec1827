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
fail() { echo "FAIL: $*"; T_FAILED=1; }

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

in_ns() { _ns=$1; shift; $IP netns exec "$_ns" "$@"; }

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
	$IP netns add dut
	$IP netns add peer
	$IP link add veth-dut netns dut type veth peer name veth-peer netns peer
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

topo_down() {
	$IP netns del peer 2>/dev/null
	$IP netns del dut 2>/dev/null
}

# A UDP listener in the background: listen NS OUTFILE ARGS...; waits for "ready".
# The old OUTFILE is removed first: the background job opens it only when it
# gets to run, and on a slow guest (one emulated CPU) the wait would find the
# last listener's "ready" in it and the probe go out before this one is bound.
listen_bg() {
	_ns=$1 _out=$2; shift 2
	rm -f "$_out"
	in_ns "$_ns" p53g-listen "$@" >"$_out" &
	wait_until 5 grep -q ready "$_out" || fail "listener $* did not start"
}

# The value of KEY=N in the probe's summary line.
field() {
	awk -v k="$1" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) v = substr($i, length(k) + 2) }
		END { print v }' "$2"
}
