#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module as DKMS installed it: in the stock tree under updates/dkms,
# found by depmod, loaded by modprobe with the reject helpers pulled in.
. /p53g/guest/lib.sh
kv=$(uname -r)
ok "modules.dep lists updates/dkms/port53guard.ko" \
	grep -q '^updates/dkms/port53guard.ko[^:]*: .*nf_reject' /lib/modules/$kv/modules.dep
ok "modprobe port53guard" modprobe port53guard
ok "the loaded module is DKMS's (modinfo -n points into updates/dkms)" \
	sh -c "modinfo -n port53guard | grep -q /updates/dkms/"
for m in nf_reject_ipv4 nf_reject_ipv6; do
	ok "modprobe pulled in $m" grep -q "^$m " /proc/modules
done
ok "rmmod port53guard" rmmod port53guard
