# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Change records with Debian's own auditd (kernel booted with audit=1):
# sourced by guest.sh on a guarded boot, after everything else that needs
# the module (it ends by unloading and loading it).
#
# For each kind of change, made by a process whose login uid is 1000
# (as after a user's login): exactly one NETFILTER_CFG record, with the
# fields of the change and the writer (auid, uid, exe); a refused write is
# recorded with its errno; the committed records since load count to
# generation; with a syscall rule loaded, auditd pairs each record with
# its SYSCALL record. Then nftables' record of the same kind of change,
# printed beside ours.

# recs: every NETFILTER_CFG record since boot, raw, one a line.
recs() { ausearch --raw -m NETFILTER_CFG -ts boot 2>/dev/null | grep '^type=NETFILTER_CFG '; }
ours() { recs | grep ' table=port53guard '; }
# klog: the records the module wrote to the kernel log instead (the
# writer as pid, uid and comm), while
# audit was off (systemd-journald turns it off at boot until auditd
# starts and turns it on; auditd logging remotely starts after the
# network, and the guard before it)
klog() { journalctl -k -b -o cat 2>/dev/null | grep '^port53guard: table=port53guard '; }
# as_user CMD...: CMD with login uid 1000 (its records say auid=1000).
as_user() { sh -c 'echo 1000 >/proc/self/loginuid && exec "$@"' _ "$@"; }
# arec DESC PATTERN CMD...: CMD leaves exactly one new record of ours,
# matching PATTERN (an extended regular expression).
arec() {
	local d=$1 p=$2 n0 n i
	shift 2
	n0=$(ours | wc -l)
	"$@" >/tmp/arec.out 2>&1
	# auditd writes what the kernel sends it within moments (30 s: a
	# loaded host can stall the guest for seconds)
	for i in $(seq 300); do
		n=$(ours | wc -l)
		[ "$n" -gt "$n0" ] && sleep 0.5 && break
		sleep 0.1
	done
	ours | tail -n +$((n0 + 1)) >/tmp/arec.new
	ok "audit: $d: exactly one record ($(wc -l </tmp/arec.new))" test "$(wc -l </tmp/arec.new)" = 1
	if grep -q -E "$p" /tmp/arec.new; then
		pass "audit: $d: its fields"
	else
		fail "audit: $d: its fields"
		sed 's/^/#   /' /tmp/arec.new
	fi
}
A='auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=[^ ]+ ses=[0-9]+'
EXE="comm=\"port53guard\" exe=\"/usr/sbin/port53guard\""

ok "auditd.service is active" systemctl is-active -q auditd.service
ok "the kernel's audit is on (auditctl -s: enabled 1)" sh -c 'auditctl -s | grep -q "^enabled 1"'
ours | sed 's/^/# boot: /'
has_rec() { { ours; klog; } | grep -q -E "$1"; }
klog | sed 's/^/# boot, kernel log: /'
ok "audit: the load at boot was recorded, with every parameter (by auditd, or in the kernel log while audit was off)" \
	has_rec 'op=p53g_load generation=0 res=1 version=[0-9.]+ max_entries=65536 init_net_only=0 enabled=1 action=reject tcp=0 loopback=1 log=0 rate=300 forward=1 authoritative=0 (ppid=1 |pid=[0-9]+ uid=0 comm=modprobe)'
ok "audit: and the restore of the saved file, by port53guard.service" \
	has_rec 'entries=1 op=p53g_exempt generation=1 res=1 added=1 removed=0 lines=9 .*old_rate=300 new_rate=299 .*(exe="/usr/sbin/port53guard"|comm=port53guard)'

g=$(cat $ST/generation)
arec "a setting: name, old and new value, the writer" \
	"entries=1 op=p53g_set generation=$((g + 1)) res=1 setting=rate old_rate=299 new_rate=250 .*$A $EXE" \
	as_user port53guard set rate 250
arec "exempt add: entries added, total" \
	"entries=3 op=p53g_exempt generation=$((g + 2)) res=1 added=2 removed=0 lines=2 .*$A $EXE" \
	as_user port53guard exempt add 192.0.2.0/24 203.0.113.0/24
arec "exempt del" \
	"entries=2 op=p53g_exempt generation=$((g + 3)) res=1 added=0 removed=1 lines=1 .*$A $EXE" \
	as_user port53guard exempt del 203.0.113.0/24
arec "flush" \
	"entries=0 op=p53g_flush generation=$((g + 4)) res=1 added=0 removed=2 lines=1 .*$A $EXE" \
	as_user port53guard exempt flush
{ echo "set rate 299"; echo "exempt flush"; for i in $(seq 0 599); do
	echo "exempt add 10.$((i / 256)).$((i % 256)).0/24"; done; echo "exempt add 198.51.100.128/25"; } >/tmp/big.conf
arec "a staged restore: one record, at its commit" \
	"entries=601 op=p53g_commit generation=$((g + 5)) res=1 added=601 removed=0 lines=2 old_rate=250 new_rate=299 .*$A $EXE" \
	as_user port53guard restore /tmp/big.conf
arec "stats reset" "entries=601 op=p53g_reset generation=$((g + 6)) res=1 .*auid=1000 .*comm=\"sh\"" \
	as_user sh -c "echo 0 >$ST/stats"
arec "refused: a bad value, with its errno (EINVAL)" \
	"entries=601 op=p53g_set res=0 errno=22 setting=action .*auid=1000 .*comm=\"sh\"" \
	as_user sh -c "echo maybe >$ST/action"
arec "refused: del of an absent entry (ENOENT)" \
	"op=p53g_exempt res=0 errno=2 .*$A $EXE" as_user port53guard exempt del 203.0.113.0/24
arec "refused: root in a user namespace (EPERM)" \
	"op=p53g_set res=0 errno=1 setting=enabled .*auid=1000 .*comm=\"sh\"" \
	as_user unshare -U -r sh -c "echo 0 >$ST/enabled"
ok "refused writes changed nothing (generation $((g + 6)), enabled 1, action reject)" \
	test "$(cat $ST/generation) $(cat $ST/enabled) $(cat $ST/action)" = "$((g + 6)) 1 reject"
n=$({ ours; klog; } | grep -v -E 'op=p53g_(load|unload)| res=0 ' | wc -l)
ok "audit: the committed records since load, auditd's and the kernel log's, count to generation ($n = $(cat $ST/generation))" \
	test "$n" = "$(cat $ST/generation)"

# With any syscall rule loaded the kernel audits the writer's system call
# too: auditd writes its SYSCALL record in the same event (same serial).
auditctl -a always,exit -F arch=b64 -S kexec_load -k p53g-any >/dev/null
arec "with a syscall rule loaded" "op=p53g_set generation=$((g + 7)) res=1 setting=log" \
	as_user port53guard set log 0
serial=$(sed -n 's/^type=NETFILTER_CFG msg=audit([0-9.]*:\([0-9]*\)).*/\1/p' /tmp/arec.new)
ausearch --raw -a "$serial" >/tmp/event.raw 2>&1
sed 's/^/# event: /' /tmp/event.raw
ok "audit: the record's event also holds the SYSCALL record of the write (serial $serial)" \
	grep -q -E "^type=SYSCALL msg=audit\([0-9.]+:$serial\): arch=c000003e syscall=1 success=yes .* auid=1000 .*comm=\"port53guard\" exe=\"/usr/sbin/port53guard\"" /tmp/event.raw
auditctl -d always,exit -F arch=b64 -S kexec_load -k p53g-any >/dev/null

# nftables, the same kind of change (entries added to a set), side by side.
nft add table inet p53g_audit
nft add set inet p53g_audit s '{ type ipv4_addr; flags interval; }'
n0=$(recs | wc -l)
as_user nft add element inet p53g_audit s '{ 192.0.2.0/24, 203.0.113.0/24 }'
sleep 2
arec "side by side with nftables: exempt add" "op=p53g_exempt .*added=2 " \
	as_user port53guard exempt add 192.0.2.0/24 203.0.113.0/24
recs | tail -n +$((n0 + 1)) >/tmp/nft.all
grep -E 'table=p53g_audit[: ]' /tmp/nft.all >/tmp/nft.rec
[ -s /tmp/nft.rec ] || sed 's/^/# since: /' /tmp/nft.all
echo "# nftables records 'nft add element' (two entries added to a set) as:"
sed 's/^/#   /' /tmp/nft.rec
echo "# port53guard records 'port53guard exempt add' (two entries) as:"
sed 's/^/#   /' /tmp/arec.new
ok "nftables' record of the same change is there to compare (table=p53g_audit ... op=nft_register_setelem)" \
	grep -q -E 'table=p53g_audit(:[0-9]+)? family=1 entries=[0-9]+ op=nft_register_setelem' /tmp/nft.rec
nft delete table inet p53g_audit

arec "unload" "op=p53g_unload generation=$((g + 8)) res=1 .*auid=1000 .*comm=\"modprobe\"" \
	as_user modprobe -r port53guard
arec "load, with its parameters" \
	"entries=0 op=p53g_load generation=0 res=1 version=[0-9.]+ max_entries=65536 init_net_only=0 enabled=1 action=reject .*auid=1000 .*comm=\"modprobe\"" \
	as_user modprobe port53guard
