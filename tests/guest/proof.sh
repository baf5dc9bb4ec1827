#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Proof that the guard is in place, on a real module:
#   1. change records without auditd: one kernel log line per committed
#      change (load, setting, exempt write, flush, staged commit, stats
#      reset, unload) and per refused write (EINVAL, ENOENT, EPERM), with
#      the writer; generation counts them
#   2. a writer killed in the middle of a staged restore: the whole old
#      configuration or the whole new one, never a mix
#   3. port53guard verify on the live module: passes; fails, naming why,
#      for each wrong setting, a /0 exemption, a saved file that differs,
#      the module unloaded
#   4. verify --probe: passes over both families and leaves nothing
#      behind; fails when an exemption covers the probe and a DNS server
#      answers it, and when an nft rule drops the host's ICMP errors
#   5. status --format prometheus: after N refused queries, every sample
#      sums to what stats says, and the counter moved by exactly N
# Topology (lib.sh): peer -> dut for section 5; the probe makes its own.
. /p53g/guest/lib.sh

SAVED=/etc/port53guard/port53guard.conf
cleanup() {
	nft delete table inet p53g_proof 2>/dev/null
	[ -s /tmp/proof-dnsmasq.pid ] && kill "$(cat /tmp/proof-dnsmasq.pid)" 2>/dev/null
	rm -f "$SAVED"
	grep -q '^port53guard ' /proc/modules && rmmod port53guard
}

# The change records in the kernel log since the last mark.
recs_mark() { _mark=$(dmesg | grep -c 'port53guard: table=port53guard '); }
recs_new() { dmesg | grep 'port53guard: table=port53guard ' | tail -n +$((_mark + 1)) | sed 's/^\[[^]]*\] //'; }
# rec DESC PATTERN CMD...: CMD leaves exactly one new record, matching PATTERN.
rec() {
	_rd=$1 _rp=$2; shift 2
	recs_mark
	"$@" >/tmp/rec.out 2>&1
	recs_new >/tmp/rec.new
	ok "record: $_rd: exactly one ($(wc -l </tmp/rec.new))" test "$(wc -l </tmp/rec.new)" = 1
	ok "record: $_rd: its fields" grep -q -E "$_rp" /tmp/rec.new || sed 's/^/#   /' /tmp/rec.new
}
W='pid=[0-9]+ uid=0 comm='

########################################################################
section "1. change records in the kernel log (audit is off)"
ok "no audit daemon here: records go to the kernel log" sh -c '! pidof auditd'
rec "load, with every parameter" \
	"^port53guard: table=port53guard family=0 entries=1 op=p53g_load generation=0 res=1 version=[0-9.]+ max_entries=65536 init_net_only=0 enabled=1 action=reject tcp=0 loopback=1 log=0 rate=250 forward=1 authoritative=0 ${W}modprobe$" \
	modprobe port53guard rate=250 exempt=10.9.0.0/16
ok "generation is 0 after load" test "$(cat $ST/generation)" = 0
ok "changed is the load's time" sh -c "test \$(( $(date +%s) - $(cat $ST/changed) )) -lt 60"
rec "a setting, old and new value" \
	"op=p53g_set generation=1 res=1 setting=action old_action=reject new_action=drop ${W}port53guard$" \
	port53guard set action drop
rec "exempt add" \
	"entries=3 op=p53g_exempt generation=2 res=1 added=2 removed=0 lines=2 ${W}port53guard$" \
	port53guard exempt add 192.0.2.0/24 198.51.100.0/24
rec "exempt del" \
	"entries=2 op=p53g_exempt generation=3 res=1 added=0 removed=1 lines=1 ${W}port53guard$" \
	port53guard exempt del 198.51.100.0/24
rec "flush alone" \
	"entries=0 op=p53g_flush generation=4 res=1 added=0 removed=2 lines=1 ${W}port53guard$" \
	port53guard exempt flush
printf 'set action reject\nset rate 300\nexempt flush\nexempt add 10.0.0.0/8\n' >/tmp/small.conf
rec "restore in one write: settings with the list" \
	"entries=1 op=p53g_exempt generation=5 res=1 added=1 removed=0 lines=4 old_action=drop new_action=reject old_rate=250 new_rate=300 ${W}port53guard$" \
	port53guard restore /tmp/small.conf
{ echo "set log 1"; echo "exempt flush"; i=0; while [ $i -lt 600 ]; do
	echo "exempt add 10.$((i / 256)).$((i % 256)).0/24"; i=$((i + 1)); done; } >/tmp/big.conf
rec "restore staged: one record, at the commit" \
	"entries=600 op=p53g_commit generation=6 res=1 added=600 removed=1 lines=2 old_log=0 new_log=1 ${W}port53guard$" \
	port53guard restore /tmp/big.conf
rec "stats reset" "entries=600 op=p53g_reset generation=7 res=1 ${W}sh$" sh -c "echo 0 >$ST/stats"
rec "refused: a bad value (EINVAL), nothing changed" \
	"entries=600 op=p53g_set res=0 errno=22 setting=action ${W}sh$" sh -c "echo maybe >$ST/action"
rec "refused: del of an absent entry (ENOENT)" \
	"entries=600 op=p53g_exempt res=0 errno=2 ${W}port53guard$" port53guard exempt del 203.0.113.0/24
rec "refused: root of a user namespace (EPERM)" \
	"op=p53g_set res=0 errno=1 setting=enabled pid=[0-9]+ uid=0 comm=sh$" \
	unshare -U -r sh -c "echo 0 >$ST/enabled"
rec "refused: a stats write that is not 0 (EINVAL)" "op=p53g_reset res=0 errno=22 ${W}sh$" \
	sh -c "echo 5 >$ST/stats"
ok "refused writes change nothing: generation 7" test "$(cat $ST/generation)" = 7
ok "refused writes change nothing: enabled 1, action reject" \
	test "$(cat $ST/enabled) $(cat $ST/action)" = "1 reject"
# since the last load: earlier tests' loads leave their records too
n=$(dmesg | awk '/port53guard: table=port53guard / { if (/ op=p53g_load /) n = 0
	else if (!/ op=p53g_unload | res=0 /) n++ } END { print n + 0 }')
ok "the committed records since load count to generation ($n)" test "$n" = "$(cat $ST/generation)"
rec "unload" "entries=600 op=p53g_unload generation=7 res=1 ${W}rmmod$" rmmod port53guard

########################################################################
section "2. a writer killed in the middle of a staged restore"
modprobe port53guard
{ echo "set rate 111"; echo "exempt flush"; echo "exempt add 192.0.2.0/24"; } >/tmp/old.conf
port53guard restore /tmp/old.conf
{ echo "set rate 222"; echo "exempt flush"; i=0; while [ $i -lt 20000 ]; do
	echo "exempt add 10.$((i / 256 % 256)).$((i % 256)).0/24"; i=$((i + 1)); done; } >/tmp/new.conf
port53guard restore /tmp/new.conf
new_sum=$(sha256sum <$ST/exempt)
mix=0 olds=0 news=0
for d in 0.05 0.1 0.2 0.3 0.5 0.8 1.2 2; do
	port53guard restore /tmp/old.conf
	port53guard restore /tmp/new.conf &
	w=$!
	sleep $d
	kill -9 $w 2>/dev/null
	wait $w 2>/dev/null
	r=$(cat $ST/rate) s=$(sha256sum <$ST/exempt)
	if [ "$r" = 111 ] && [ "$(cat $ST/exempt)" = 192.0.2.0/24 ]; then olds=$((olds + 1))
	elif [ "$r" = 222 ] && [ "$s" = "$new_sum" ]; then news=$((news + 1))
	else mix=$((mix + 1)); echo "# after ${d}s: rate $r, $(wc -l <$ST/exempt) entries"
	fi
done
echo "# killed at 8 moments: $olds left the old configuration, $news the new one"
ok "every kill left the whole old or the whole new configuration ($mix mixed)" test $mix = 0
ok "and a later writer is not locked out by the dead one's stage" port53guard restore /tmp/old.conf
rmmod port53guard

########################################################################
section "3. verify on the live module"
modprobe port53guard
mkdir -p /etc/port53guard
port53guard exempt add 192.0.2.0/24 dev:wg+
port53guard save -o $SAVED
vcase() {
	_vd=$1 _want=$2 _pat=$3
	port53guard verify >/tmp/v.out 2>&1
	_rc=$?
	ok "verify: $_vd: exit $_want ($_rc)" test $_rc = "$_want"
	ok "verify: $_vd: named" grep -q -E "$_pat" /tmp/v.out || sed 's/^/#   /' /tmp/v.out
}
vcase "guarded as saved" 0 '^verify: guarded as configured'
sed 's/^/# /' /tmp/v.out
ok "verify: every namespace counted (namespaces file)" grep -q -E '^ok +namespaces +every namespace: [0-9]+ with the hooks' /tmp/v.out
ok "verify: the list's SHA-256 is sha256sum of the exempt file" \
	grep -q "sha256 $(sha256sum <$ST/exempt | cut -d' ' -f1)," /tmp/v.out
echo 0 >$ST/enabled
vcase "enabled 0" 1 '^fail +enabled +0: every query passes'
echo 1 >$ST/enabled
echo monitor >$ST/action
vcase "action monitor" 1 '^fail +action +monitor'
echo reject >$ST/action
echo 0 >$ST/forward
vcase "forward 0" 1 '^fail +forward +0'
echo 1 >$ST/forward
port53guard exempt add 0.0.0.0/0
vcase "0.0.0.0/0 exempt" 1 '^fail +exemptions +0\.0\.0\.0/0 exempts every IPv4 source'
port53guard exempt del 0.0.0.0/0
echo 77 >$ST/rate
vcase "the saved file differs" 1 "^fail +saved +$SAVED differs from the running configuration: rate 300 there, 77 running"
echo 300 >$ST/rate
vcase "back as saved" 0 '^verify: guarded as configured'
port53guard verify --json >/tmp/v.json 2>&1
ok "verify --json: an evidence record with the kernel and each check" \
	sh -c "grep -q '\"kernel\": \"$(uname -r)\"' /tmp/v.json && grep -q '\"result\": \"pass\"' /tmp/v.json &&
	       test \$(grep -c '{\"check\": ' /tmp/v.json) = 8"

########################################################################
section "4. verify --probe: a real query on the wire"
sysctl -qw net.ipv4.icmp_ratelimit=0
sysctl -qw net.ipv6.icmp.ratelimit=0
snap /tmp/p0
port53guard verify --probe >/tmp/v.out 2>&1
rc=$?
sed 's/^/# /' /tmp/v.out
ok "--probe: passes (exit $rc)" test $rc = 0
ok "--probe ipv4: refused with ICMP port unreachable, the counter moved by one" \
	grep -q -E '^ok +probe ipv4 +169\.254\.53\.[0-9]+ port 53 from 169\.254\.53\.[0-9]+: input ipv4 rejected_unreach \+1, ICMP port unreachable came back$' /tmp/v.out
ok "--probe ipv6: the same" \
	grep -q -E '^ok +probe ipv6 +fd53:53:53:[0-9a-f:]+ port 53 from fd53:53:53:[0-9a-f:]+: input ipv6 rejected_unreach \+1, ICMP port unreachable came back$' /tmp/v.out
snap /tmp/p1
ok "--probe: rejected moved by exactly 2 (one per family)" \
	test $(($(val rejected /tmp/p1) - $(val rejected /tmp/p0))) = 2
ok "--probe: its namespace is gone" sh -c '! ls /run/netns | grep -q p53g-probe'
ok "--probe: its veth is gone" sh -c '! $0 -o link show | grep -q p53gh' $IP
ok "--probe: its addresses are gone" sh -c '! $0 -o addr show | grep -q -e 169.254.53. -e fd53:53:53:' $IP
# answered: an exemption covers the probe and a DNS server listens
dnsmasq --user=root --group=root --no-resolv --no-hosts --address=/probe.port53guard.invalid/192.0.2.53 --pid-file=/tmp/proof-dnsmasq.pid
wait_until 5 test -s /tmp/proof-dnsmasq.pid || fail "dnsmasq started"
port53guard exempt add 169.254.53.0/24
port53guard verify --probe --saved /dev/null >/tmp/v.out 2>&1
rc=$?
sed -n '/probe/s/^/# /p' /tmp/v.out
ok "--probe, exempt and a server listening: fails (exit $rc)" test $rc = 1
ok "--probe, exempt and a server listening: says it was answered, and by which outcome" \
	grep -q -E '^fail +probe ipv4 +a query from 169\.254\.53\.[0-9]+ to 169\.254\.53\.[0-9]+ port 53 was answered \(input ipv4 exempted_list \+1\)$' /tmp/v.out
kill "$(cat /tmp/proof-dnsmasq.pid)"
rm -f /tmp/proof-dnsmasq.pid
port53guard verify --probe --saved /dev/null >/tmp/v.out 2>&1
ok "--probe, exempt, nothing listening: fails, naming the exemption" \
	grep -q -E '^fail +probe ipv4 +.*input ipv4 exempted_list \+1: an exemption covers the probe' /tmp/v.out
port53guard exempt del 169.254.53.0/24
# the host's ICMP errors dropped on the way out
nft -f - <<-'EOF'
	table inet p53g_proof {
		chain out {
			type filter hook output priority 0; policy accept;
			icmp type destination-unreachable drop
			icmpv6 type destination-unreachable drop
		}
	}
EOF
port53guard verify --probe >/tmp/v.out 2>&1
rc=$?
sed -n '/probe/s/^/# /p' /tmp/v.out
ok "--probe, ICMP errors dropped: fails (exit $rc)" test $rc = 1
ok "--probe, ICMP errors dropped: says the guard refused but no error came back" \
	grep -q -E '^fail +probe ipv4 +the guard refused the query \(input ipv4 rejected_unreach \+1\) but nothing came back: something drops the host.s ICMP errors$' /tmp/v.out
nft delete table inet p53g_proof
echo drop >$ST/action
port53guard verify --probe --saved /dev/null >/tmp/v.out 2>&1
ok "--probe, action drop: passes, dropped and silent" \
	grep -q -E '^ok +probe ipv4 +.*input ipv4 dropped_action \+1, nothing came back$' /tmp/v.out
echo reject >$ST/action
rmmod port53guard
port53guard verify >/tmp/v.out 2>&1
rc=$?
ok "verify, module unloaded: fails (exit $rc), says it is not loaded" \
	sh -c "test $rc = 1 && grep -q -E '^fail +module +not loaded' /tmp/v.out"

########################################################################
section "5. metrics: after N refused queries"
topo_up
modprobe port53guard
prom() { port53guard status --format prometheus >/tmp/m.$1; }
# psum FILE OUTCOME: the sum of the packets samples with that outcome
psum() { awk -v o="outcome=\"$2\"" '/^port53guard_packets_total\{/ && index($0, o) { s += $NF } END { print s + 0 }' "$1"; }
prom 0
N=7
in_ns peer p53g-udpprobe -n $N -t 2000 $DUT4 >/tmp/u.out 2>&1
prom 1
snap /tmp/s1
ok "metrics: the rejected samples moved by exactly N=$N" \
	test $(($(psum /tmp/m.1 rejected) - $(psum /tmp/m.0 rejected))) = $N
bad=
for t in rejected dropped monitored exempted replies passed disabled; do
	[ "$(psum /tmp/m.1 $t)" = "$(val $t /tmp/s1)" ] || bad="$bad $t:$(psum /tmp/m.1 $t)/$(val $t /tmp/s1)"
done
# passed moves with any packet (neighbour discovery...): compared apart
case $bad in *passed*) bad=$(echo "$bad" | sed 's/ passed:[^ ]*//') ;; esac
ok "metrics: each total is the sum of its samples, as stats says ($bad)" test -z "$bad"
ok "metrics: exempt entries and generation" \
	sh -c "grep -qx 'port53guard_exempt_entries 0' /tmp/m.1 && grep -qx \"port53guard_config_generation $(cat $ST/generation)\" /tmp/m.1"
ok "metrics: readable without root" \
	sh -c "su nobody -s /bin/sh -c 'port53guard status --format prometheus' | grep -q '^port53guard_up 1$'"
topo_down
rmmod port53guard
