#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Load the KUnit module (its suites run at load) and print each suite's
# KTAP results between markers for the host's parser (tests/ktap.sh).
. /p53g/guest/lib.sh
ok "modprobe port53guard_test" modprobe port53guard_test
n=0
for d in /sys/kernel/debug/kunit/port53guard_*; do
	[ -f "$d/results" ] || continue
	echo "P53G-KTAP-BEGIN ${d##*/}"
	cat "$d/results"
	echo "P53G-KTAP-END"
	n=$((n + 1))
done
ok "KUnit ran port53guard suites ($n found)" test $n -gt 0
ok "rmmod port53guard_test" rmmod port53guard_test
