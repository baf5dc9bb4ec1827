#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Debug kernel only: after the other tests, ask kmemleak for a scan and
# require an empty report.
. /p53g/guest/lib.sh
k=/sys/kernel/debug/kmemleak
ok "kmemleak is available" test -w $k
# Objects freed by RCU after the last test need a grace period or two.
leaks=$(kmemleak_leaks 2)
ok "kmemleak finds no leaked object ($leaks)" test "$leaks" = 0
