#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The contract, list side: /sys/kernel/port53guard/exempt. Canonical output,
# atomic writes, every class of bad write refused with the list unchanged
# to the byte, the staged replace (begin/commit/abort, ownership, a dead
# owner) with a 100,000-entry list read back whole and at any offset, the
# size limit, and writers without CAP_NET_ADMIN or without root.
#
# Topology (lib.sh): peer probes dut over veth; only used to show that
# packets see the old list until commit, then the new one.
. /p53g/guest/lib.sh

S=/sys/kernel/port53guard
E=$S/exempt

# xw TEXT: write TEXT (echo -e escapes, no newline added) in one write()
# from a child process; print "ok" or the error.
xw() { sh -c 'echo -ne "$1" > "$2" && echo ok' _ "$1" "$E" 2>&1; }

# refused TEXT ERROR WHAT: the write fails with ERROR, the list is unchanged.
refused() {
	cat $E >/tmp/before
	_e=$(xw "$1")
	cat $E >/tmp/after
	ok "$3: refused with '$2'" has "$_e" "$2"
	ok "$3: the list is byte-identical after" cmp -s /tmp/before /tmp/after
}
stat_get() { awk -v k="$1" '$1 == k { print $2 }' $S/stats; }
# probe_got: one query from peer to dut:53; print what a listener there got.
probe_got() {
	rm -f /tmp/l.out	# no earlier listener's "ready" (see listen_bg)
	$IP netns exec "$(ns dut)" p53g-listen -p 53 -t 60000 >/tmp/l.out &
	_l=$!
	wait_until 30 grep -q ready /tmp/l.out || fail "listener in dut started"
	in_ns peer p53g-udpprobe -t 2000 $DUT4 >/tmp/p.out 2>&1
	kill $_l
	wait $_l
	wait_until 5 grep -q received= /tmp/l.out
	field received /tmp/l.out
}

topo_up
chmod 755 / # the initramfs root is 0700: let nobody reach /bin/sh
ok "modprobe port53guard max_entries=200000" modprobe port53guard max_entries=200000

# --- 1. Canonical output ---------------------------------------------------
section "1. Canonical output"
ok "one write of 9 add lines (out of order, a duplicate, host bits set)" \
	test "$(xw 'add 192.0.2.7/24\nadd dev:wg+\nadd 2001:DB8::1\nadd 10.0.0.1\nadd dev:br-lan\nadd ::/0\nadd 10.0.0.1\nadd 0.0.0.0/0\nadd dev:eth0+\n')" = ok
printf '%s\n' 0.0.0.0/0 10.0.0.1/32 192.0.2.0/24 ::/0 2001:db8::1/128 \
	dev:br-lan dev:eth0+ dev:wg+ >/tmp/want
cat $E >/tmp/got
ok "the list reads back canonical: IPv4, IPv6, interfaces, each sorted" cmp -s /tmp/want /tmp/got
ok "stats: exempt_entries 8" test "$(stat_get exempt_entries)" = 8
ok "stats: exempt_ipv4 3, exempt_ipv6 2, exempt_dev 3" \
	test "$(stat_get exempt_ipv4) $(stat_get exempt_ipv6) $(stat_get exempt_dev)" = "3 2 3"
ok "stats: exempt_bytes is reported ($(stat_get exempt_bytes))" test "$(stat_get exempt_bytes)" -gt 0
ok "re-adding an entry that is there is no error" test "$(xw 'add 10.0.0.1/32')" = ok
ok "a write without a trailing newline is taken" test "$(xw 'add 198.51.100.0/24')" = ok
ok "del removes an entry" test "$(xw 'del 198.51.100.7/24\n')" = ok
cat $E >/tmp/got
ok "the list is back to the 8 entries" cmp -s /tmp/want /tmp/got

# --- 2. Every class of bad write: refused, nothing changes -----------------
section "2. Every class of bad write: refused, nothing changes"
refused 'add 10.0.0.0/33\n' "Invalid argument" "malformed entry"
refused 'add 10.9.9.9\nadd bogus\n' "Invalid argument" "a good line then a malformed one"
refused 'del 10.9.9.9\n' "No such file or directory" "del of an absent entry"
refused 'add 10.9.9.9\ndel 10.9.9.8\n' "No such file or directory" "an add then a del of an absent entry"
refused 'del 10.0.0.1\ndel 10.0.0.1\n' "No such file or directory" "the same entry deleted twice"
refused 'flush\nadd 1.2.3.4/40\n' "Invalid argument" "flush then a malformed line"
refused 'flush\ndel 10.0.0.1\n' "No such file or directory" "flush then del of a flushed entry"
refused 'add 10.9.9.9 \n' "Invalid argument" "a trailing blank"
refused ' add 10.9.9.9\n' "Invalid argument" "a leading blank"
refused 'add  10.9.9.9\n' "Invalid argument" "two blanks"
refused 'add 10.9.9.9\r\n' "Invalid argument" "a carriage return"
refused 'add 10.9.9.9\n\nadd 10.9.9.8\n' "Invalid argument" "an empty line"
refused '\n' "Invalid argument" "only a newline"
refused 'ADD 10.9.9.9\n' "Invalid argument" "an unknown command"
refused 'add 10.9.9.9 10.9.9.8\n' "Invalid argument" "two entries on a line"
refused 'add dev:name-is-too-long0\n' "Invalid argument" "an interface name over 15 bytes"
refused 'add fe80::1%veth-dut\n' "Invalid argument" "an IPv6 zone"
refused 'add 010.0.0.1\n' "Invalid argument" "a leading zero"
refused 'commit\n' "Invalid argument" "commit with nothing staged"
refused 'abort\n' "Invalid argument" "abort with nothing staged"
refused 'add 10.9.9.9\nbegin\n' "Invalid argument" "begin not on the first line"
refused 'commit\nadd 10.9.9.9\n' "Invalid argument" "commit not on the last line"
# too_big FILE BS WHAT: one write() (dd) of FILE's first BS bytes fails
# with E2BIG and leaves the list byte-identical.
too_big() {
	cat $E >/tmp/before
	dd if="$1" of=$E bs="$2" count=1 2>/tmp/dd.err
	cat $E >/tmp/after
	ok "$3: refused with E2BIG" grep -q "Argument list too long" /tmp/dd.err
	ok "$3: the list is byte-identical after (no part applied)" cmp -s /tmp/before /tmp/after
}
# A write of more than a page: sysfs hands over the first page, which ends
# inside a line; it must be refused, not read as a shorter entry.
awk 'BEGIN { for (i = 0; i < 300; i++) printf "add 10.77.%d.%d\n", i / 256, i % 256 }' >/tmp/big
too_big /tmp/big 8192 "a write over a page with a line cut at the page end"
# The same with the page ending exactly at a line's end: sysfs hands over
# 4,096 bytes of whole lines and would return short; the write must still
# fail whole, not apply its first page.
awk 'BEGIN { for (i = 0; i < 300; i++) printf "add 10.7.%d.0/24\n", i % 10 }' >/tmp/big
test "$(head -c 4096 /tmp/big | tail -c 1 | od -An -c | tr -d ' ')" = '\n' ||
	fail "test set-up: byte 4,096 of /tmp/big ends a line"
too_big /tmp/big 8192 "a write over a page whose first page is whole lines"
too_big /tmp/big 4096 "a write of exactly a page of whole lines"
{ head -c 4080 /tmp/big; printf 'add 10.88.0.10\n'; } >/tmp/page1
dd if=/tmp/page1 of=$E bs=4096 count=1 2>/tmp/dd.err
ok "a write of 4,095 bytes ($(wc -c </tmp/page1)) of whole lines is taken" grep -q '^10.88.0.10/32$' $E
xw 'del 10.88.0.10\n' >/dev/null
for i in 0 1 2 3 4 5 6 7 8 9; do xw "del 10.7.$i.0/24\n" >/dev/null; done
cat $E >/tmp/after
ok "... and its entries deleted, the list is as before" cmp -s /tmp/before /tmp/after

# --- 3. Staged replace: ownership ------------------------------------------
section "3. Staged replace: ownership"
exec 3>$E
echo begin >&3 2>/tmp/err
ok "begin: this shell now owns a stage ($(cat /tmp/err))" test ! -s /tmp/err
refused 'begin\n' "Device or resource busy" "begin from another process while a stage is open"
refused 'commit\n' "Invalid argument" "commit from a process that owns no stage"
echo "add 203.0.113.1" >&3
ok "an add in the stage does not touch the live list" cmp -s /tmp/want "$E"
ok "another process's add goes to the live list" test "$(xw 'add 203.0.113.9\n')" = ok
ok "... where it shows" grep -q '^203.0.113.9/32$' $E
xw 'del 203.0.113.9\n' >/dev/null
echo abort >&3
ok "abort: the live list is unchanged" cmp -s /tmp/want "$E"
echo commit >&3 2>/tmp/err
ok "after abort, commit is refused ($(cat /tmp/err))" grep -q "Invalid argument" /tmp/err

# A stage whose owner exited does not block the next begin.
ok "a short-lived process opens a stage" test "$(xw 'begin\nadd 203.0.113.5\n')" = ok
dmesg -c >/dev/null
echo begin >&3 2>/tmp/err
ok "begin succeeds once that owner has exited ($(cat /tmp/err))" test ! -s /tmp/err
ok "the log says the dead owner's stage was dropped" \
	sh -c 'dmesg | grep -q "dropping a staged exempt list"'
echo abort >&3
ok "begin, lines and commit in one write replace the list" \
	test "$(xw 'begin\nadd 192.0.2.2\nadd dev:br-lan\ncommit\n')" = ok
printf '192.0.2.2/32\ndev:br-lan\n' >/tmp/want
ok "... and it reads back as exactly those" cmp -s /tmp/want "$E"

# --- 4. A 100,000-entry staged replace, read back whole --------------------
section "4. A 100,000-entry staged replace, read back whole"
# 98,990 IPv4 /32s, 1,000 IPv6 /48s and 10 interfaces (a tenth of that on
# the debug kernel), written in a scrambled order, 180 lines a write, from
# this shell (the owner): awk writes the writes as a script this shell
# sources, so no process is forked between them.
n4=98990 n6=1000
[ $SLOW = 1 ] && n4=8990
N=$((n4 + n6 + 10))
awk -v n4=$n4 -v n6=$n6 '
function ent(i) {
	if (i < n4)
		return sprintf("10.%d.%d.%d", int(i / 65536), int(i / 256) % 256, i % 256)
	if (i < n4 + n6)
		return sprintf("2001:db8:%x::/48", i - n4)
	return sprintf("dev:eth%d", i - n4 - n6)
}
BEGIN {
	n = n4 + n6 + 10	# coprime to 7919
	for (j = 0; j < n; j++) {
		if (j % 180 == 0)
			printf "%secho \047", j ? "\047 >&3 || bad=$((bad + 1))\nn=$((n + 1))\n" : "" > "/tmp/stage.sh"
		else
			printf "\n" > "/tmp/stage.sh"
		printf "add %s", ent((j * 7919) % n) > "/tmp/stage.sh"
	}
	print "\047 >&3 || bad=$((bad + 1))\nn=$((n + 1))" > "/tmp/stage.sh"
	for (i = 0; i < n4; i++)
		printf "10.%d.%d.%d/32\n", int(i / 65536), int(i / 256) % 256, i % 256 > "/tmp/want"
	print "2001:db8::/48" > "/tmp/want"
	for (i = 1; i < n6; i++)
		printf "2001:db8:%x::/48\n", i > "/tmp/want"
	for (i = 0; i < 10; i++)
		printf "dev:eth%d\n", i > "/tmp/want"
}'
ok "under the old list peer is exempt: its query arrives" test "$(probe_got)" = 1
echo begin >&3
bad=0 n=0
. /tmp/stage.sh
ok "$N entries staged in $n writes, none refused ($bad)" test "$bad" = 0
ok "before commit the live list is still the old one" \
	test "$(cat $E)" = "$(printf '192.0.2.2/32\ndev:br-lan')"
ok "before commit, packets still see the old list: peer's query arrives" \
	test "$(probe_got)" = 1
echo commit >&3 2>/tmp/err
ok "commit ($(cat /tmp/err))" test ! -s /tmp/err
exec 3>&-
ok "after commit, packets see the new list: peer's query is refused" \
	test "$(probe_got)" = 0
cat $E >/tmp/got
ok "the list reads back whole: $N lines ($(wc -l </tmp/got))" test "$(wc -l </tmp/got)" = $N
ok "the list reads back byte-identical to the canonical text" cmp -s /tmp/want /tmp/got
ok "stats: exempt_entries $N" test "$(stat_get exempt_entries)" = $N
ok "stats: exempt_ipv4 $n4, exempt_ipv6 $n6, exempt_dev 10" \
	test "$(stat_get exempt_ipv4) $(stat_get exempt_ipv6) $(stat_get exempt_dev)" = "$n4 $n6 10"
bpe=$(stat_get exempt_bytes_per_entry)
ok "stats: memory per entry is reported and small ($bpe bytes)" \
	sh -c "test '$bpe' -gt 0 && test '$bpe' -le 64"
for bs_skip in 4096:0 4096:37 4096:341 1000:777 333:4001 7:200000; do
	bs=${bs_skip%%:*} skip=${bs_skip#*:}
	dd if=$E of=/tmp/part bs=$bs skip=$skip count=3 2>/dev/null
	dd if=/tmp/want of=/tmp/wpart bs=$bs skip=$skip count=3 2>/dev/null
	ok "a read of 3x$bs bytes at offset $((bs * skip)) matches the canonical text" \
		cmp -s /tmp/part /tmp/wpart
done
ok "a read past the end returns nothing" \
	test "$(dd if=$E bs=4096 skip=100000 count=1 2>/dev/null | wc -c)" = 0
# One open file reads one version of the list: a change between two of
# its reads fails the next one with EAGAIN (never old text up to one
# offset and new text past it); a new open reads the new list whole. The
# dd runs share fd 4's offset.
exec 4<$E
dd bs=4096 count=1 <&4 >/tmp/p1 2>/dev/null
dd bs=4096 count=1 <&4 >/tmp/p2 2>/dev/null
head -c 8192 /tmp/want >/tmp/w8192
ok "two reads of one open file with no change between: the first 8192 bytes" \
	sh -c 'cat /tmp/p1 /tmp/p2 | cmp -s - /tmp/w8192'
echo "add 10.255.255.255" >$E
dd bs=4096 count=1 <&4 >/tmp/p3 2>/tmp/err
ok "the list changed: the open file's next read fails with EAGAIN ($(head -n1 /tmp/err))" \
	grep -q 'Resource temporarily unavailable' /tmp/err
ok "... and hands out no byte" test ! -s /tmp/p3
dd bs=4096 count=1 <&4 >/tmp/p3 2>/tmp/err
ok "... and so does the read after it" grep -q 'Resource temporarily unavailable' /tmp/err
exec 4<&-
cat $E >/tmp/got
ok "a new open reads the new list whole: $((N + 1)) lines ($(wc -l </tmp/got))" test "$(wc -l </tmp/got)" = $((N + 1))
ok "... with the new entry last among the IPv4 ones" \
	test "$(sed -n "${n4},$((n4 + 1))p" /tmp/got | tr '\n' ' ')" = "$(sed -n "${n4}p" /tmp/want) 10.255.255.255/32 "
ok "the tool lists it whole too" sh -c "port53guard exempt list | cmp -s - /tmp/got"
echo "del 10.255.255.255" >$E
ok "... and without the entry the list is the canonical text again" cmp -s $E /tmp/want

# --- 5. Writers without the right ------------------------------------------
section "5. Writers without the right"
# Not root: the 0644 mode stops the open (EACCES). Root in a user namespace
# (a container): the file opens, CAP_NET_ADMIN in the initial namespace is
# missing, the write fails with EPERM.
cat $E >/tmp/before
keys='enabled=0 action=drop rate=5 stats=0 "exempt=add 192.0.2.99"'
[ $SLOW = 1 ] && keys='enabled=0 "exempt=add 192.0.2.99"'
eval "set -- $keys"
for kv; do
	k=${kv%%=*} v=${kv#*=}
	[ $k = stats ] || was=$(cat $S/$k)
	e=$(su nobody -s /bin/sh -c "echo '$v' > $S/$k" 2>&1)
	ok "user nobody writing $k: refused ($e)" has "$e" "Permission denied"
	e=$(unshare -r sh -c "echo '$v' > $S/$k" 2>&1)
	ok "root in a user namespace writing $k: EPERM ($e)" \
		has "$e" "Operation not permitted"
	[ $k = stats ] || ok "$k is unchanged ($was)" test "$(cat $S/$k)" = "$was"
done
ok "the list is byte-identical after the refused writes" cmp -s /tmp/before $E
ok "stats were not reset by the refused writes" test "$(stat_get rejected)" -ge 1
ok "flush empties the list" test "$(xw 'flush\n')" = ok
ok "the list is empty" test -z "$(cat $E)"
ok "rmmod port53guard" rmmod port53guard

# --- 6. The size limit -----------------------------------------------------
section "6. The size limit"
ok "modprobe port53guard max_entries=10" modprobe port53guard max_entries=10
xw 'add 10.0.0.1\nadd 10.0.0.2\nadd 10.0.0.3\nadd 10.0.0.4\nadd 10.0.0.5\nadd 10.0.0.6\nadd 10.0.0.7\nadd 10.0.0.8\n' >/dev/null
refused 'add 10.0.1.1\nadd 10.0.1.2\nadd 10.0.1.3\n' "No space left on device" "going over max_entries"
ok "at the limit, del one and add another in one write" \
	test "$(xw 'add 10.0.1.1\nadd 10.0.1.2\ndel 10.0.0.1\nadd 10.0.1.3\n')" = ok
ok "the list holds 10 entries" test "$(stat_get exempt_entries)" = 10
exec 3>$E
echo begin >&3
echo "$(awk 'BEGIN { for (i = 0; i < 11; i++) printf "add 10.2.0.%d\n", i }')" >&3 2>/tmp/err
ok "a staged write over max_entries is refused ($(cat /tmp/err))" \
	grep -q "No space left on device" /tmp/err
echo "$(awk 'BEGIN { for (i = 0; i < 10; i++) printf "add 10.2.0.%d\n", i }')" >&3 2>/tmp/err
ok "a staged write up to max_entries is taken ($(cat /tmp/err))" test ! -s /tmp/err
echo commit >&3
exec 3>&-
ok "the committed list holds the 10 staged entries" \
	test "$(grep -c '^10\.2\.0\.' $E) $(stat_get exempt_entries)" = "10 10"
ok "rmmod port53guard" rmmod port53guard

topo_down
