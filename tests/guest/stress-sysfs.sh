#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sysfs concurrency: two writers and four readers of every file under
# /sys/kernel/port53guard at once, with light UDP/53 traffic so that the
# counters move.
#
# Writers go round the files, a valid write then an invalid one. Every
# invalid write must fail with the right errno (shell's "write error:"
# text, EINVAL or ENOENT) and change nothing. Where a change would be
# visible whatever the other writer does, it is checked:
#   rate     writer 1 writes multiples of 4, writer 2 values of the form
#            4k+1; the invalid ones ("+3", "3x", " 3", "0x3", "-3",
#            "1000001", ...) would read back as 3 mod 4 or over 10^6;
#   exempt   writer W adds 10.W.x.y and 2001:db8:W::x, and staged lists
#            ("begin" ... "commit"/"abort", in one write or several); its
#            invalid writes add 10.W.255.x / 2001:db8:W:ff::x next to a bad
#            line, or delete 10.W.254.x (never there): those must never
#            appear (a write is all or nothing);
#   stats    "0" resets; invalid writes ("1", "00", "reset") must not:
#            readers see the counters never go backwards except across a
#            reset a writer announced (a generation file per writer, odd
#            while its reset is under way).
# Readers check that every read parses: a valid value, a canonical list
# (IPv4 sorted, then IPv6 sorted, no duplicate, nothing a failed write
# tried), well-formed stats lines with the expected names. A list longer
# than a page takes several read()s; one a write changed in between fails
# with EAGAIN (module/exempt.c) and is never torn: readers 1 and 3 read it
# with cat and read again on EAGAIN (counted), readers 2 and 4 with
# `port53guard exempt list`, which retries on its own and must not fail.
. /p53g/guest/stress-lib.sh

SECS=20
[ $SLOW = 1 ] && SECS=15
[ $LONG = 1 ] && SECS=60
STOP=/tmp/st.stop
rm -f $STOP
FILES="enabled action tcp loopback log rate exempt stats"

stress_topo
ok "modprobe port53guard" modprobe port53guard
default_rate=$(cat $ST/rate)
# The stats names, in order, as the module prints them.
cut -d' ' -f1 $ST/stats >/tmp/names
echo 0 >/tmp/gen1
echo 0 >/tmp/gen2

# wr W FILE VALUE: write with a builtin (the staged list belongs to the
# writing process); sets _rc and _err (the shell's message).
wr() {
	{ echo "$3" >$ST/$2; } 2>/tmp/e$1
	_rc=$?
	_err=
	[ $_rc = 0 ] || read -r _err </tmp/e$1
}
# bad W FILE VALUE ERRTEXT: an invalid write, which must fail so.
bad() {
	wr $1 $2 "$3"
	_ninv=$((_ninv + 1))
	if [ $_rc = 0 ]; then
		echo "writer $1: '$3' > $2 was taken" >>/tmp/w$1.bad
	elif ! has "$_err" "$4"; then
		echo "writer $1: '$3' > $2 failed with '$_err', not $4" >>/tmp/w$1.bad
	fi
}
# good W FILE VALUE [ALSO_OK]: a valid write; ALSO_OK is an error text
# that is fine under contention (EBUSY, ENOENT).
good() {
	wr $1 $2 "$3"
	_nval=$((_nval + 1))
	[ $_rc = 0 ] && return 0
	if [ -n "${4:-}" ] && has "$_err" "$4"; then
		_ncont=$((_ncont + 1))
		return 1
	fi
	echo "writer $1: '$3' > $2 failed: $_err" >>/tmp/w$1.bad
	return 1
}

writer() {
	_w=$1 _i=0 _nval=0 _ninv=0 _ncont=0 _nres=0 _g=0
	: >/tmp/w$_w.bad
	# Filler for staged lists: 440 entries, so that the list often takes
	# more than a page (two reads) to read.
	_f1=$(awk -v o=$((_w + 4)) 'BEGIN { for (i = 1; i <= 220; i++) print "add 10." o ".0." i }')
	_f2=$(awk -v o=$((_w + 4)) 'BEGIN { for (i = 1; i <= 220; i++) print "add 10." o ".1." i }')
	while [ ! -e $STOP ]; do
		_i=$((_i + 1))
		_v=$((_i % 2))
		for _b in enabled tcp loopback log; do
			case $((_i % 3)) in
			0) good $_w $_b $_v ;;
			1) good $_w $_b y ;;
			2) good $_w $_b N ;;
			esac
			for _x in 2 yes "" 10 -1 "1 1" true; do bad $_w $_b "$_x" "Invalid argument"; done
		done
		# Leave the guard on and refusing most of the time.
		good $_w enabled 1
		case $((_i % 3)) in
		0) good $_w action drop ;;
		1) good $_w action monitor ;;
		2) good $_w action reject ;;
		esac
		for _x in REJECT rejectx "" "drop monitor" accept; do bad $_w action "$_x" "Invalid argument"; done
		good $_w rate $(((_i * 4 + _w - 1) % 1000000))
		for _x in +3 3x " 3" 0x3 -3 1000001 99999999 ""; do bad $_w rate "$_x" "Invalid argument"; done
		# The list: single adds, several lines, deletes, staged.
		_a=$((_i % 250 + 1))
		good $_w exempt "add 10.$_w.$((_i / 250 % 250)).$_a"
		good $_w exempt "add 10.$_w.253.$_a
add 2001:db8:$_w::$_a"
		good $_w exempt "del 2001:db8:$_w::$_a" "No such file"
		bad $_w exempt "add 10.$_w.255.$_a
add 10.$_w.255.300" "Invalid argument"
		bad $_w exempt "add 2001:db8:$_w:ff::$_a
bogus" "Invalid argument"
		bad $_w exempt "add 10.$_w.255.$_a/33" "Invalid argument"
		bad $_w exempt "del 10.$_w.254.$_a" "No such file"
		bad $_w exempt "add 10.$_w.255.$_a
del 10.$_w.254.$_a" "No such file"
		bad $_w exempt "commit" "Invalid argument"
		bad $_w exempt "abort" "Invalid argument"
		if [ $((_i % 4)) = 0 ]; then
			good $_w exempt "begin
add 10.$_w.1.$_a
add 2001:db8:$_w::1:$_a
commit" "Device or resource busy"
		elif good $_w exempt begin "Device or resource busy"; then
			good $_w exempt "add 10.$_w.2.$_a"
			good $_w exempt "$_f1"
			good $_w exempt "$_f2"
			bad $_w exempt "add 10.$_w.255.$_a
add nonsense" "Invalid argument"
			if [ $((_i % 2)) = 0 ]; then good $_w exempt commit; else good $_w exempt abort; fi
		fi
		# The counters: a reset announced in gen (odd while under way).
		if [ $((_i % 5)) = 1 ]; then
			_g=$((_g + 1)); echo $_g >/tmp/gen$_w
			good $_w stats 0
			_nres=$((_nres + 1))
			_g=$((_g + 1)); echo $_g >/tmp/gen$_w
		fi
		for _x in 1 00 reset ""; do bad $_w stats "$_x" "Invalid argument"; done
		# rate: anything but 4k or 4k+1 (or the default) was an invalid write taken.
		read -r _r <$ST/rate
		if [ "$_r" != "$default_rate" ] && { [ "$_r" -gt 1000000 ] || [ $((_r % 4)) -gt 1 ]; }; then
			echo "writer $_w: rate reads $_r" >>/tmp/w$_w.bad
		fi
	done
	echo "valid=$_nval invalid=$_ninv contended=$_ncont resets=$_nres" >/tmp/w$_w.res
}

# Reader checks, one awk each for the list and the counters.
check_list() {
	awk '
	function v4(s,  a) { split(s, a, "[./]"); return ((a[1] * 256 + a[2]) * 256 + a[3]) * 256 + a[4] }
	/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\/[0-9]+$/ {
		if (sec > 0) { print "IPv4 after IPv6 or dev: " $0; exit }
		k = v4($0) * 64 + substr($0, index($0, "/") + 1)
		if (n4++ && k <= last4) { print "IPv4 not sorted: " $0; exit }
		last4 = k
		if ($0 ~ /^10\.[12]\.25[45]\./) { print "a refused write showed: " $0; exit }
		next }
	/^2001:db8:[0-9a-f:]*\/[0-9]+$/ {
		if (sec > 1) { print "IPv6 after dev: " $0; exit }
		sec = 1
		if ($0 ~ /^2001:db8:[12]:ff:/) { print "a refused write showed: " $0; exit }
		if (seen[$0]++) { print "duplicate: " $0; exit }
		next }
	/^dev:/ { sec = 2; next }
	{ print "not canonical: " $0; exit }' "$1"
}
check_stats() {
	awk -v prev="$2" '
	NR == FNR { name[NR] = $1; nn = NR; next }
	{ n++ }
	NF != 2 || $2 !~ /^[0-9]+$/ { print "bad line: " $0; exit }
	$1 != name[n] { print "line " n " is " $1 ", not " name[n]; exit }
	{ v[$1] = $2 }
	END {
		if (n != nn) { print "lines: " n " of " nn; exit }
		if (prev != "") while ((getline l < prev) > 0) { split(l, a, " ")
			if (a[1] !~ /^exempt/ && (a[1] in v) && v[a[1]] + 0 < a[2] + 0) {
				print "BACK " a[1] " " a[2] " -> " v[a[1]]; exit } }
	}' /tmp/names "$1"
}

reader() {
	_r=$1 _n=0 _first=1 _again=0
	: >/tmp/r$_r.bad
	while [ ! -e $STOP ]; do
		for _f in enabled tcp loopback log; do
			read -r _v <$ST/$_f
			case $_v in 0|1) ;; *) echo "$_f reads '$_v'" >>/tmp/r$_r.bad ;; esac
		done
		read -r _v <$ST/action
		case $_v in reject|drop|monitor) ;; *) echo "action reads '$_v'" >>/tmp/r$_r.bad ;; esac
		read -r _v <$ST/rate
		case $_v in ''|*[!0-9]*) echo "rate reads '$_v'" >>/tmp/r$_r.bad ;; esac
		if [ $((_r % 2)) = 1 ]; then
			until cat $ST/exempt >/tmp/r$_r.list 2>/tmp/r$_r.err; do
				if ! grep -q 'Resource temporarily unavailable' /tmp/r$_r.err; then
					echo "exempt: cat failed: $(head -n1 /tmp/r$_r.err)" >>/tmp/r$_r.bad
					break
				fi
				_again=$((_again + 1))
			done
		elif ! port53guard exempt list >/tmp/r$_r.list 2>/tmp/r$_r.err; then
			echo "exempt: port53guard exempt list failed: $(head -n1 /tmp/r$_r.err)" >>/tmp/r$_r.bad
		fi
		_m=$(check_list /tmp/r$_r.list)
		[ -n "$_m" ] && echo "exempt: $_m" >>/tmp/r$_r.bad
		read -r _g1a </tmp/gen1; read -r _g2a </tmp/gen2
		cat $ST/stats >/tmp/r$_r.cur
		read -r _g1b </tmp/gen1; read -r _g2b </tmp/gen2
		if [ $_first = 1 ]; then
			_m=$(check_stats /tmp/r$_r.cur "")
		else
			_m=$(check_stats /tmp/r$_r.cur /tmp/r$_r.prev)
		fi
		case $_m in
		BACK*)
			# Allowed only across an announced reset: a generation
			# changed since the previous read began, or was odd.
			if [ "$_pg1$_pg2" = "$_g1b$_g2b" ] && [ $((_pg1 % 2)) = 0 ] && [ $((_pg2 % 2)) = 0 ]; then
				echo "stats: $_m with no reset" >>/tmp/r$_r.bad
			fi ;;
		'') ;;
		*) echo "stats: $_m" >>/tmp/r$_r.bad ;;
		esac
		mv /tmp/r$_r.cur /tmp/r$_r.prev
		_pg1=$_g1a _pg2=$_g2a _first=0
		_n=$((_n + 8))
	done
	echo "$_n $_again" >/tmp/r$_r.res
}

# Light traffic, so that the counters move: bursts of queries.
traffic() {
	_p=0
	while [ ! -e $STOP ]; do
		peer_send -s 198.18.0.0 -R 16 -d $DUT4 -n 50 udp >/dev/null && _p=$((_p + 50))
		peer_send -6 -s 2001:db8:a000:: -R 32 -d $DUT6 -n 50 udp >/dev/null && _p=$((_p + 50))
		sleep 0.2
	done
	echo $_p >/tmp/traffic.res
}

section "2 writers, 4 readers, $SECS s"
traffic &
pids=$!
for w in 1 2; do writer $w & pids="$pids $!"; done
for r in 1 2 3 4; do reader $r & pids="$pids $!"; done
sleep $SECS
touch $STOP
wait $pids
section "done"

wops=0 inv=0 cont=0
for w in 1 2; do
	echo "# writer $w: $(cat /tmp/w$w.res)"
	wops=$((wops + $(sed 's/.*valid=\([0-9]*\) invalid=\([0-9]*\).*/\1 + \2/' /tmp/w$w.res)))
	inv=$((inv + $(sed 's/.*invalid=\([0-9]*\).*/\1/' /tmp/w$w.res)))
	cont=$((cont + $(sed 's/.*contended=\([0-9]*\).*/\1/' /tmp/w$w.res)))
	nb=$(wc -l </tmp/w$w.bad)
	[ "$nb" = 0 ] || head -n 5 /tmp/w$w.bad | sed 's/^/# /'
	ok "writer $w: every invalid write refused with the right errno, nothing it tried showed ($nb wrong)" \
		test "$nb" = 0
	mis "$nb"
done
rops=0 again=0
for r in 1 2 3 4; do
	read -r n t </tmp/r$r.res
	rops=$((rops + n)) again=$((again + t))
	nb=$(wc -l </tmp/r$r.bad)
	[ "$nb" = 0 ] || head -n 5 /tmp/r$r.bad | sed 's/^/# /'
	ok "reader $r: all $n reads parsed, counters never went backwards without a reset ($nb wrong)" \
		test "$nb" = 0
	mis "$nb"
done
echo "# list reads by cat that a write changed half-way (EAGAIN, read again): $again of $((rops / 16))"
pk=$(cat /tmp/traffic.res)
ok "writers did $wops writes ($inv invalid), readers $rops reads" test $wops -gt 0 -a $rops -gt 0
# Quiet again: the list is canonical and holds no refused entry, settings
# read back as written.
m=$(check_list $ST/exempt)
ok "afterwards the list is canonical and holds nothing a refused write tried${m:+ ($m)}" test -z "$m"
for f in enabled tcp loopback log; do
	echo 1 >$ST/$f
	ok "$f takes 1 and reads it back" test "$(cat $ST/$f)" = 1
done
echo reject >$ST/action
echo 300 >$ST/rate
ok "action and rate read back as written" test "$(cat $ST/action) $(cat $ST/rate)" = "reject 300"
ok "rmmod port53guard" rmmod port53guard
topo_down
stress_row sysfs "$pk" $((wops + rops)) "$cont" "$inv"
