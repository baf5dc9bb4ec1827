#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the Debian image, booted with systemd as PID 1 (tests/image/
# run.sh): run by p53g-image-test.service once the system has started,
# prints PASS:/FAIL: lines on the serial console, then powers off.
# p53g.expect names one step, or several comma-separated, run in order.
#
#   p53g.expect=guarded  the guard was loaded and the saved configuration
#                        restored before dnsmasq started; a query from a
#                        peer namespace is refused, one from an exempt
#                        source answered; the system is not degraded;
#                        listeners shows dnsmasq; verify --probe passes;
#                        the metrics timer feeds node_exporter; auditd
#                        has a record of every change (audit.sh); on the
#                        cloud flavour, -dkms refuses to be configured
#                        while the booted kernel has no headers
#   p53g.expect=absent   the module was removed for this kernel: the unit
#                        failed, the system says so, and so does the tool;
#                        the nftables fallback refuses the peer and answers
#                        the exempt source; verify exits 4, the metrics
#                        say port53guard_fallback 1; the build put back,
#                        a restart loads the module and removes the table
#   p53g.expect=sigrefused  booted with module.sig_enforce=1: the module
#                        DKMS built (signed with its own key, not enrolled)
#                        is refused; the unit fails saying so and the
#                        nftables fallback guards, as for absent
#   p53g.expect=...,lifecycle
#                        after the first step, the package's life on a
#                        running host, from /var/cache/p53g-debs: upgrade
#                        (reinstall) restarts the unit, keeps the module
#                        loaded and a running metrics timer running;
#                        remove leaves the module loaded and says so;
#                        purge removes the conffile and the .prom file;
#                        install starts the guard at once; a conffile that
#                        would undo a modprobe.d option fails the unit,
#                        naming it, until the two agree
#   p53g.expect=...,upgrade
#                        after the first step: a new kernel and its headers
#                        installed with apt from /var/cache/p53g-upgrade
#                        (no network): its postinst hooks have DKMS build
#                        the module and initramfs-tools make its initrd
#
#   host ns: veth-h 198.51.100.1/24  <---->  ns peer: veth-p 198.51.100.2/24
#            dnsmasq (Debian's unit)                  and 198.51.100.200/24
#   /etc/port53guard/port53guard.conf exempts 198.51.100.128/25 and sets
#   rate 299, so the restored configuration can be told from the default.
exec >/dev/ttyS0 2>&1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
T_FAILED=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; T_FAILED=$((T_FAILED + 1)); }
ok() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
ST=/sys/kernel/port53guard
NAME=image.example.test ANSWER=192.0.2.53
expect=$(sed -n 's/.*p53g\.expect=\([a-z,]*\).*/\1/p' /proc/cmdline)
kernel=$(uname -r)
last=${expect##*,}
echo "P53G-BEGIN image-$last"

state=$(systemctl is-system-running --wait)
echo "# kernel $kernel, system $state"
systemctl --failed --no-legend | sed 's/^/# failed: /'

# mono NAME PROPERTY: a unit's timestamp, in microseconds since boot.
mono() { systemctl show -p "$2" --value "$1"; }

# peer_up: a peer namespace, 198.51.100.2 (not exempt) and .200 (exempt
# by the shipped test configuration), on a veth pair with the host.
peer_up() {
	ip netns add peer
	ip link add veth-h type veth peer name veth-p netns peer
	ip addr add 198.51.100.1/24 dev veth-h
	ip link set veth-h up
	ip -n peer link set lo up
	ip -n peer addr add 198.51.100.2/24 dev veth-p
	ip -n peer addr add 198.51.100.200/24 dev veth-p
	ip -n peer link set veth-p up
	for ns in "" "ip netns exec peer"; do
		$ns sysctl -qw net.ipv4.icmp_ratelimit=0
	done
	n=0
	until ip netns exec peer ping -c1 -W1 198.51.100.1 >/dev/null 2>&1 || [ $n -ge 20 ]; do
		n=$((n + 1))
	done
}
# peer_asks WHO: a query from the peer's 198.51.100.2 (refused) and from
# .200 (exempt: answered by dnsmasq); WHO refuses, counted by the shell
# function rejected (prints the counter).
peer_asks() {
	local r0 a
	r0=$(rejected)
	a=$(ip netns exec peer dig +short +time=5 +tries=1 -b 198.51.100.2 @198.51.100.1 $NAME A 2>&1)
	ok "$1: a query from the peer (198.51.100.2) is refused ($(echo $a | cut -c1-60))" \
		sh -c "echo '$a' | grep -q 'connection refused'"
	a=$(ip netns exec peer dig +short +time=5 +tries=1 -b 198.51.100.200 @198.51.100.1 $NAME A 2>&1)
	ok "$1: a query from the exempt source (198.51.100.200) is answered by dnsmasq ($a)" \
		test "$a" = $ANSWER
	ok "$1: rejected moved by exactly the one refused query" test $(($(rejected) - r0)) = 1
}
module_rejected() { awk '$1 == "rejected" { print $2 }' $ST/stats; }
table_rejected() {
	nft list counter inet port53guard rejected 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") v = $(i + 1) } END { print v + 0 }'
}

if [ "${expect%%,*}" = guarded ]; then
	ok "port53guard.service is active" systemctl is-active -q port53guard.service
	ok "the module is loaded" grep -q '^port53guard ' /proc/modules
	ok "DKMS built it for this kernel ($kernel)" \
		test -n "$(find "/lib/modules/$kernel/updates/dkms" -name 'port53guard.ko*')"
	ok "the saved configuration was restored: rate 299" test "$(cat $ST/rate)" = 299
	ok "the saved configuration was restored: the list" \
		test "$(cat $ST/exempt)" = 198.51.100.128/25
	g=$(mono port53guard.service ActiveEnterTimestampMonotonic)
	d=$(mono dnsmasq.service ExecMainStartTimestampMonotonic)
	ok "the guard was in place ($g us) before dnsmasq started ($d us)" \
		test "${g:-0}" -gt 0 -a "${d:-0}" -gt "${g:-0}"
	ok "dnsmasq.service is active" systemctl is-active -q dnsmasq.service
	ok "no ordering cycle at boot (auditd set up for remote logging)" \
		sh -c '! journalctl -b | grep -i "ordering cycle"'
	[ -f /etc/systemd/system/auditd.service ] &&
		ok "auditd.service is active, after network-online.target" \
			sh -c 'systemctl is-active -q auditd.service &&
				systemctl show -p After --value auditd.service | grep -q network-online.target'
	ok "systemctl is-system-running: running, not degraded ($state)" test "$state" = running
	gen=$(cat $ST/generation)
	ok "systemctl reload port53guard restores the saved file again" \
		sh -c "systemctl reload port53guard.service && test \$(cat $ST/generation) -gt $gen &&
			test \$(cat $ST/rate) = 299"

	peer_up
	rejected() { module_rejected; }
	peer_asks "the module"
	port53guard listeners >/tmp/ls.out 2>&1
	sed 's/^/# /' /tmp/ls.out
	ok "listeners shows dnsmasq on port 53, refused from the Internet" \
		grep -q '^udp 0.0.0.0:53 dnsmasq\[[0-9]*\], namespace host: refused' /tmp/ls.out
	ok "listeners names the exemption that lets a query through" \
		grep -q 'answered from 198.51.100.128/25 (exempt)' /tmp/ls.out
	ip netns del peer

	# verify, on the host as it booted
	port53guard verify --probe >/tmp/v.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/v.out
	ok "verify --probe: guarded as configured (exit $rc)" test $rc = 0
	ok "verify: the saved file is what runs" grep -q -E '^ok +saved +/etc/port53guard/port53guard.conf is the running configuration' /tmp/v.out
	ok "verify --probe: refused over IPv4 and IPv6, while dnsmasq listens" \
		test "$(grep -c -E '^ok +probe ipv[46] .* rejected_unreach \+1, ICMP port unreachable came back$' /tmp/v.out)" = 2

	# metrics: the shipped timer, into node_exporter's textfile directory
	prom=/var/lib/prometheus/node-exporter/port53guard.prom
	ok "port53guard-metrics.timer is shipped, not enabled" \
		test "$(systemctl is-enabled port53guard-metrics.timer)" = disabled
	# (a file left by an earlier boot would prove nothing)
	rm -f $prom
	systemctl enable --now port53guard-metrics.timer >/dev/null 2>&1
	n=0
	until [ -s $prom ] || [ $n -ge 300 ]; do sleep 0.2; n=$((n + 1)); done
	ok "the timer writes $prom" test -s $prom
	# The run the timer started may still be finishing after its rename:
	# a start now would join it, not run again.
	n=0
	while [ "$(systemctl show -p ActiveState --value port53guard-metrics.service)" = activating ] &&
		[ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
	# the old file held open, so that its inode number cannot come back
	exec 3<$prom
	systemctl start port53guard-metrics.service
	ok "the file is replaced (a new inode), not rewritten in place" \
		test "$(stat -c %i $prom)" != "$(stat -L -c %i /proc/self/fd/3)"
	exec 3<&-
	ok "port53guard-metrics.service succeeded" \
		test "$(systemctl show -p Result --value port53guard-metrics.service)" = success
	curl -s http://127.0.0.1:9100/metrics >/tmp/node.out
	ok "node_exporter serves it: port53guard_up 1" grep -qx 'port53guard_up 1' /tmp/node.out
	ok "node_exporter serves the counters, with their labels" \
		grep -q '^port53guard_packets_total{family="ipv4",hook="input",outcome="rejected",reason="rejected_unreach"} [1-9]' /tmp/node.out
	ok "node_exporter saw no error in the file" \
		grep -qx 'node_textfile_scrape_error 0' /tmp/node.out
	systemctl disable --now port53guard-metrics.timer >/dev/null 2>&1

	[ -f /usr/local/lib/p53g/audit.sh ] && . /usr/local/lib/p53g/audit.sh

	# headers for the flavour that boots: the -dkms package's postinst
	# refuses to configure while an installed kernel image has none (it
	# stops before DKMS: run directly, it leaves the installed module be;
	# with headers, the install above and the upgrade below are the case)
	case $kernel in *-cloud-*)
		mv "/usr/src/linux-headers-$kernel" /usr/src/p53g-hidden
		sh /var/lib/dpkg/info/port53guard-dkms.postinst configure >/tmp/hd.out 2>&1
		rc=$?
		mv /usr/src/p53g-hidden "/usr/src/linux-headers-$kernel"
		sed 's/^/# /' /tmp/hd.out
		ok "port53guard-dkms with no headers for $kernel: configure fails (exit $rc)" test $rc != 0
		ok "and says the exact apt-get line" grep -q "^  apt-get install linux-headers-$kernel" /tmp/hd.out
		ok "and leaves the module DKMS built in place" \
			test -n "$(find "/lib/modules/$kernel/updates/dkms" -name 'port53guard.ko*')" ;;
	esac
else
	ok "port53guard.service failed" test "$(systemctl is-active port53guard.service)" = failed
	ok "systemctl --failed names it" sh -c 'systemctl --failed --no-legend | grep -q port53guard.service'
	ok "systemctl is-system-running: degraded ($state)" test "$state" = degraded
	ok "the journal says why the module did not load" \
		sh -c "journalctl -b -u port53guard.service | grep -q -i 'modprobe.*port53guard'"
	ok "the module is not loaded" sh -c '! grep -q "^port53guard " /proc/modules'
	ok "the journal says the nftables fallback guards the host" \
		sh -c "journalctl -b -u port53guard.service | grep -q 'could not be loaded (modprobe: .*): this host is guarded by the nftables fallback'"
	ok "table inet port53guard is loaded" nft list table inet port53guard >/dev/null
	[ "$expect" = sigrefused ] &&
		ok "the journal says the signature was refused (module.sig_enforce=1)" \
			sh -c "journalctl -b -u port53guard.service | grep -q -E 'Key was rejected|Required key not available'"
	peer_up
	rejected() { table_rejected; }
	peer_asks "the fallback"
	port53guard status >/tmp/st.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/st.out
	ok "port53guard status: guarded by the nftables fallback (exit $rc)" \
		sh -c "test $rc = 0 && grep -q 'guarded by the nftables fallback' /tmp/st.out"
	port53guard verify >/tmp/v.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/v.out
	ok "port53guard verify exits 4 (exit $rc): the module is not loaded, the fallback guards" \
		sh -c "test $rc = 4 && grep -q -E '^fail +module +not loaded' /tmp/v.out &&
			grep -q 'guarded only by the nftables fallback' /tmp/v.out"
	systemctl start port53guard-metrics.service
	prom=/var/lib/prometheus/node-exporter/port53guard.prom
	ok "the metrics service says port53guard_up 0" grep -qx 'port53guard_up 0' $prom
	ok "and port53guard_fallback 1, with no capability (state file)" \
		grep -qx 'port53guard_fallback 1' $prom
	port53guard listeners >/tmp/ls.out 2>&1
	sed 's/^/# /' /tmp/ls.out
	ok "port53guard listeners says the guard is not loaded" \
		grep -q '^The guard is not loaded' /tmp/ls.out
	ok "and that dnsmasq is answered, as far as the module goes" \
		grep -q '^udp 0.0.0.0:53 dnsmasq\[[0-9]*\], namespace host: answered: the guard is not loaded' /tmp/ls.out
	if [ "$expect" = sigrefused ]; then
		ip netns del peer
		echo "P53G-END image-$last rc=$T_FAILED"
		echo "P53G-DONE"
		systemctl poweroff
		exit 0
	fi
	# the build comes back (run.sh kept a copy), the unit starts again
	ko=$(ls /var/cache/p53g-ko/port53guard.ko* 2>/dev/null | head -n1)
	mkdir -p "/lib/modules/$kernel/updates/dkms"
	cp "$ko" "/lib/modules/$kernel/updates/dkms/" && depmod "$kernel"
	systemctl restart port53guard.service
	ok "the build back: port53guard.service is active" systemctl is-active -q port53guard.service
	ok "the module is loaded" grep -q '^port53guard ' /proc/modules
	ok "its restore removed table inet port53guard" sh -c '! nft list table inet port53guard >/dev/null 2>&1'
	ok "and the state file" test ! -e /run/port53guard/fallback
	rejected() { module_rejected; }
	peer_asks "the module, restarted"
	port53guard verify >/tmp/v.out 2>&1
	ok "port53guard verify: guarded as configured (exit $?)" test $? = 0
	ip netns del peer
fi
case ,$expect, in
*,lifecycle,*)
	# pkg WHAT DPKG-ARGS...: one package step, its output logged, and
	# whether dpkg succeeded.
	pkg() {
		local what=$1 rc
		shift
		DEBIAN_FRONTEND=noninteractive dpkg "$@" >/tmp/lc.out 2>&1
		rc=$?
		sed 's/^/# /' /tmp/lc.out
		ok "$what succeeds (dpkg $*: exit $rc)" test $rc = 0
	}
	deb=$(ls /var/cache/p53g-debs/port53guard_*.deb)
	# the test's conffile, put back at the end for the boots after this one
	cp /etc/port53guard/port53guard.conf /var/cache/p53g-debs/conf.test
	prom=/var/lib/prometheus/node-exporter/port53guard.prom
	systemctl enable --now port53guard-metrics.timer >/dev/null 2>&1
	n=0
	until [ -s $prom ] || [ $n -ge 300 ]; do sleep 0.2; n=$((n + 1)); done
	t0=$(mono port53guard.service ActiveEnterTimestampMonotonic)
	pkg "upgrade (the package installed again)" -i "$deb"
	t1=$(mono port53guard.service ActiveEnterTimestampMonotonic)
	ok "upgrade: port53guard.service was restarted ($t0 -> $t1 us) and is active" \
		sh -c "test '${t1:-0}' -gt '${t0:-0}' && systemctl is-active -q port53guard.service"
	ok "upgrade: the module stayed loaded" grep -q '^port53guard ' /proc/modules
	ok "upgrade: the running metrics timer is still active" \
		systemctl is-active -q port53guard-metrics.timer
	pkg remove -r port53guard
	ok "remove: the module stays loaded" grep -q '^port53guard ' /proc/modules
	ok "remove: dpkg's output says the module stays loaded" grep -q 'stays loaded' /tmp/lc.out
	pkg purge -P port53guard
	ok "purge: the conffile is gone" test ! -e /etc/port53guard/port53guard.conf
	ok "purge: $prom is gone" test ! -e $prom
	pkg "install after purge" -i "$deb"
	t2=$(mono port53guard.service ActiveEnterTimestampMonotonic)
	ok "install: port53guard.service was started at once ($t2 us) and is active" \
		sh -c "test '${t2:-0}' -gt '${t1:-0}' && systemctl is-active -q port53guard.service"
	ok "install: the shipped conffile is back" test -f /etc/port53guard/port53guard.conf
	ok "install: dpkg says nothing of a guard not running" sh -c '! grep -q "is not running" /tmp/lc.out'
	want=$(awk '$1 == "set" && $2 == "rate" { print $3 }' /etc/port53guard/port53guard.conf)
	ok "install: and restored at once (rate $(cat $ST/rate), the file says ${want:-nothing})" \
		test "$(cat $ST/rate)" = "${want:-none}"
	# modprobe.d and the conffile: never one silently over the other
	echo 'options port53guard exempt=dev:br-lan' >/etc/modprobe.d/p53g-gw.conf
	rmmod port53guard
	systemctl restart port53guard.service 2>/dev/null
	ok "a conffile that would undo a modprobe.d exemption: the unit fails" \
		test "$(systemctl is-active port53guard.service)" = failed
	ok "the journal names the conflict" \
		sh -c "journalctl -u port53guard.service | grep -q 'would remove the exemption dev:br-lan, which the module was loaded with'"
	ok "the module keeps what it was loaded with" grep -qx 'dev:br-lan' $ST/exempt
	ok "no fallback table beside the loaded module" sh -c '! nft list table inet port53guard >/dev/null 2>&1'
	port53guard save -o /etc/port53guard/port53guard.conf
	systemctl restart port53guard.service
	ok "the conffile saved from what runs: the unit starts" systemctl is-active -q port53guard.service
	ok "and the exemption stays" grep -qx 'dev:br-lan' $ST/exempt
	rm -f /etc/modprobe.d/p53g-gw.conf
	cp /var/cache/p53g-debs/conf.test /etc/port53guard/port53guard.conf
	systemctl restart port53guard.service
	sync ;;
esac
case ,$expect, in
*,upgrade,*)
	abi=$(cat /var/cache/p53g-upgrade/ABI)
	echo "# installing $abi from /var/cache/p53g-upgrade"
	# apt, as an operator upgrades, from the local .debs (it orders the
	# kernel after backports' linux-base, which it pre-depends on)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		/var/cache/p53g-upgrade/*.deb >/tmp/up.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/up.out
	ok "apt installs the $abi kernel and its headers without network (exit $rc)" test $rc = 0
	ok "its postinst hooks ran DKMS for it (apt's output)" grep -q 'Autoinstall on' /tmp/up.out
	dkms status port53guard 2>&1 | sed 's/^/# /'
	ok "DKMS built and installed the module for $abi" \
		sh -c "dkms status port53guard 2>/dev/null | grep -q '$abi, x86_64: installed'"
	ok "the module for $abi is under updates/dkms" \
		test -n "$(find "/lib/modules/$abi/updates/dkms" -name 'port53guard.ko*' 2>/dev/null)"
	ok "initramfs-tools made /boot/initrd.img-$abi" test -s "/boot/initrd.img-$abi"
	sync ;;
esac
echo "P53G-END image-$last rc=$T_FAILED"
echo "P53G-DONE"
systemctl poweroff
