#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Readers never wait for a writer: while a replace of 1,000,000 entries
# builds its table (seconds, under the writers' lock), a read of stats,
# counters, generation or a setting completes, and a writer waiting for
# the lock can be killed.
#
# How it is seen: setting writes are started beside the replace, one after
# another; once one is seen waiting for the lock (its task state), the
# reads are made and must return while it still waits. Were a read to take
# the writers' lock, it would queue behind that waiting writer.
. /p53g/guest/lib.sh

N=1000000
cleanup() { grep -q '^port53guard ' /proc/modules && rmmod port53guard; }
ok "modprobe port53guard max_entries=$N" modprobe port53guard max_entries=$N
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++)
	printf "%d.%d.%d.0/24\n", 32 + int(i / 32768), int(i / 128) % 256, (i % 128) * 2 }' >/tmp/1m.txt
ok "a list of $N prefixes" test "$(wc -l </tmp/1m.txt)" = $N

now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
port53guard exempt replace /tmp/1m.txt 2>/tmp/rp.err &
rp=$!
t_start=$(now_ms)
seen=0 killed=0 max_read=0 waits=0
# blocked PID: the writer sleeps on the writers' lock, killable (state D
# in /proc/PID/stat); a write that is not waiting never shows D. Seen by
# the task's state, not by how long it took: no bound on the host's load.
# Shell builtins only, here and in the reads below: no fork between the
# two looks at the writer, so that it is the reads it waits out.
blocked() {
	_st=
	read -r _st </proc/"$1"/stat 2>/dev/null || return 1
	set -- $_st
	[ "$3" = D ]
}
# cs_now: the guest's uptime in hundredths of a second, into _cs (a
# builtin read: no fork)
cs_now() {
	read -r _cs _ </proc/uptime
	_cs=${_cs%%.*}${_cs#*.}
}
reads() {
	for _f in stats counters generation enabled; do
		while read -r _l; do :; done <$ST/$_f
	done
}
while kill -0 $rp 2>/dev/null; do
	rm -f /tmp/w.done
	(echo 300 >$ST/rate && echo done >/tmp/w.done) 2>/dev/null &
	wp=$!
	# until it is done, or found waiting, or 2 s of the guest's clock
	# have gone by (a few forks' time at most, unless the host stalls the
	# guest: a bound by time, not by a count of looks)
	cs_now; _end=$((_cs + 200))
	while [ ! -e /tmp/w.done ] && ! blocked $wp; do
		cs_now
		[ "$_cs" -ge "$_end" ] && break
	done
	if blocked $wp; then
		waits=$((waits + 1))
		t0=$(now_ms)
		reads
		if blocked $wp; then
			t1=$(now_ms)
			seen=$((seen + 1))
			[ $((t1 - t0)) -gt $max_read ] && max_read=$((t1 - t0))
			# a writer waiting for the lock dies when killed
			if [ $killed = 0 ]; then
				kill -9 $wp 2>/dev/null
				k0=$(now_ms)
				wait $wp 2>/dev/null
				k1=$(now_ms)
				if [ ! -e /tmp/w.done ]; then
					killed=1
					echo "# a waiting writer, killed, was gone in $((k1 - k0)) ms while the build went on"
					ok "a writer waiting for the lock is killable" test $((k1 - k0)) -lt 2000
				fi
				continue
			fi
		fi
	fi
	wait $wp 2>/dev/null
done
wait $rp
rc=$?
echo "# replace of $N entries: $(($(now_ms) - t_start)) ms; a writer waited $waits times; reads done while it waited: $seen (longest $max_read ms)"
ok "the replace of $N entries succeeded ($(cat /tmp/rp.err))" test $rc = 0
ok "the list holds $N entries" test "$(awk '$1 == "exempt_entries" { print $2 }' $ST/stats)" = $N
ok "reads of stats, counters, generation and a setting completed while a writer waited for the build ($seen)" \
	test $seen -gt 0
ok "a waiting writer was killed during the build" test $killed = 1
ok "rmmod port53guard" rmmod port53guard
