#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Load the KUnit module (its suites run at load) and print the KTAP it
# logged, without printk timestamps, between markers for the host's parser
# (tests/vm/ktap.sh). The kernel log is the full record: debugfs keeps only the
# last case of a parameterised test.
. /p53g/guest/lib.sh
dmesg -c >/dev/null
ok "modprobe port53guard_test" modprobe port53guard_test
echo "P53G-KTAP-BEGIN"
dmesg | sed -e 's/^\[[^]]*\] //' | sed -n '/KTAP version/,$p'
echo "P53G-KTAP-END"
n=$(ls -d /sys/kernel/debug/kunit/port53guard_* 2>/dev/null | wc -l)
ok "KUnit registered port53guard suites ($n)" test "$n" -gt 0
ok "rmmod port53guard_test" rmmod port53guard_test
