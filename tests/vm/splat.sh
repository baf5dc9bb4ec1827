#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the kernel-log lines of FILE that report a kernel problem: BUG,
# WARNING, KASAN, lockdep, Oops, kmemleak, panic, stalls. Only kernel lines
# count (they carry a printk timestamp), so a test's own output cannot
# trip it; the command line is not a report. Prints nothing when clean.
tr -d '\r' <"${1:?usage: splat.sh LOGFILE}" | grep -a -E '^\[ *[0-9]+\.[0-9]+\] ' |
	grep -a -v -E '\] (Command line|Kernel command line): ' | grep -a -E \
	'BUG:|WARNING:|KASAN|Oops|general protection fault|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|lockdep (warning|splat)|unreferenced object|new suspected memory leaks|Kernel panic|soft lockup|blocked for more than|detected stall|rcu: INFO:|UBSAN|list_(add|del) corruption|refcount_t:|Call Trace:'
exit 0
