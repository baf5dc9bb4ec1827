#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Persistence: a configuration set with the tool, saved as modprobe.d
# options, comes back whole at the next `modprobe`; and `save` output fed
# to `restore` gives the same list and settings.
. /p53g/guest/lib.sh

# The configuration part of status --json (counters move, settings must
# not; generation and the time of the last change count the changes).
config() {
	port53guard status --json | tr -d ' \n' |
		sed -e 's/"counters":{[^}]*}//' -e 's/"generation":[0-9]*,//' -e 's/"changed":"[^"]*",//'
}

ok "modprobe port53guard" modprobe port53guard
ok "set action drop" port53guard set action drop
ok "set tcp 1" port53guard set tcp 1
ok "set loopback 0" port53guard set loopback 0
ok "set log 1" port53guard set log 1
ok "set rate 123" port53guard set rate 123
ok "exempt add three kinds of entry" \
	port53guard exempt add 10.0.0.0/8 192.0.2.7/24 2001:db8::/32 dev:br-lan dev:wg+
before=$(config)
list_before=$(port53guard exempt list)
ok "status --json holds the configuration ($before)" sh -c "echo '$before' | grep -q '\"action\":\"drop\"'"
ok "the list holds the five entries" test "$(echo "$list_before" | wc -l)" = 5

mkdir -p /etc/modprobe.d
ok "save --modprobe writes the options file" \
	sh -c 'port53guard save --modprobe >/etc/modprobe.d/port53guard.conf'
echo "persist: $(cat /etc/modprobe.d/port53guard.conf)"
ok "rmmod port53guard" rmmod port53guard
ok "modprobe port53guard reads /etc/modprobe.d" modprobe port53guard
after=$(config)
ok "status --json after reload equals before (settings and list size)" test "$after" = "$before"
ok "the list after reload is byte-identical" test "$(port53guard exempt list)" = "$list_before"
ok "the setting files read back (action drop)" test "$(cat /sys/kernel/port53guard/action)" = drop
ok "the setting files read back (rate 123)" test "$(cat /sys/kernel/port53guard/rate)" = 123

# save | restore on a changed configuration gives back the saved one.
port53guard save >/tmp/saved
ok "set action reject, flush the list" sh -c 'port53guard set action reject && port53guard exempt flush'
ok "restore from the saved file" port53guard restore /tmp/saved
ok "after restore, the list is identical" test "$(port53guard exempt list)" = "$list_before"
ok "after restore, settings and list size are identical" test "$(config)" = "$before"

ok "rmmod port53guard" rmmod port53guard
rm -f /etc/modprobe.d/port53guard.conf
