#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# CLI tests of port53guard against a fake module: a directory of plain files
# ($P53G_SYSFS) and fake-sysfs.so, preloaded into the tool, which plays the
# kernel's side of every write (the exempt command protocol with its errno
# values, begin/commit, the settings) and logs each write() as one record
# of $SYS/.writes, so the tests see the exact bytes of every write.
#
#   P53G_BIN=path/to/port53guard P53G_FAKE=path/to/fake-sysfs.so tests/cli/run.sh
#
# One PASS:/FAIL: line per assertion; exits non-zero on any FAIL.

# The bash -c '...' snippets take their values as "$1"...: not expanded here.
# shellcheck disable=SC2016
set -uo pipefail
set -E
trap 'p53g_rc=$?; case $- in *e*) echo "${0##*/}: line $LINENO: \"$BASH_COMMAND\" exited $p53g_rc" >&2 ;; esac' ERR

BIN=${P53G_BIN:?set P53G_BIN to the port53guard binary}
FAKE=${P53G_FAKE:?set P53G_FAKE to fake-sysfs.so}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/p53g-cli.XXXXXX")
SYS=$WORK/sys/kernel/port53guard
MOD=$WORK/sys/module/port53guard
OUT=$WORK/out
ERR=$WORK/err
passed=0
failed=0
bg_pids=()

cleanup() {
	local p
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

pass() { echo "PASS: cli: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: cli: $1${2:+ ($2)}"; failed=$((failed + 1)); }

# check DESC CMD...: one assertion.
check() {
	local desc=$1; shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# is DESC GOT WANT: one assertion on a string, showing both on failure.
is() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got '$(printf %s "$2" | head -c 400 | tr '\n' '|')', want '$(printf %s "$3" | head -c 400 | tr '\n' '|')'"
	fi
}

violations=$WORK/violations
: >"$violations"

# A fresh fake module: default settings, a small list, some counters.
fresh() {
	[ -f "$SYS/.violations" ] && cat "$SYS/.violations" >>"$violations"
	rm -rf "$SYS"
	mkdir -p "$SYS"
	echo 1 >"$SYS/enabled"
	echo reject >"$SYS/action"
	echo 0 >"$SYS/tcp"
	echo 1 >"$SYS/loopback"
	echo 0 >"$SYS/log"
	echo 200 >"$SYS/rate"
	echo 1 >"$SYS/forward"
	echo 0 >"$SYS/authoritative"
	rm -rf "$MOD"
	mkdir -p "$MOD/parameters"
	echo 0.1.0 >"$MOD/version"
	echo 65536 >"$MOD/parameters/max_entries"
	echo N >"$MOD/parameters/init_net_only"
	printf '10.0.0.0/8\n192.0.2.0/24\n2001:db8::/32\ndev:wg+\n' >"$SYS/exempt"
	printf 'rejected 12\ndropped 3\nmonitored 0\nexempted 7\nreplies 2\nudp4 10\nexempt_entries 4\n' >"$SYS/stats"
	printf 'exempt_ipv4 2\nexempt_ipv6 1\nexempt_dev 1\nexempt_bytes 96\n' >>"$SYS/stats"
	printf '%s\n' "hook family passed disabled exempted_list rejected_unreach dropped_action" \
		"input ipv4 100 0 5 11 2" "input ipv6 40 0 2 1 1" "forward ipv4 7 0 0 0 0" \
		"forward ipv6 0 0 0 0 0" >"$SYS/counters"
	echo 9 >"$SYS/generation"
	echo 1764650000 >"$SYS/changed"
	echo 1000 >"$SYS/namespaces"
	echo OE >"$MOD/taint"
}

# run ARGS...: the tool on the fake module; sets $rc, $out, $err.
# A sanitizer report fails the test on its own, whatever the exit status.
run() {
	LD_PRELOAD=$FAKE P53G_SYSFS=${RUN_SYSFS-$SYS} \
		ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:exitcode=99 \
		UBSAN_OPTIONS=print_stacktrace=1:exitcode=98 \
		"$BIN" "$@" >"$OUT" 2>"$ERR" <"${RUN_STDIN:-/dev/null}"
	rc=$?
	out=$(cat "$OUT")
	err=$(cat "$ERR")
	if [ $rc -ge 98 ] || grep -q -e 'Sanitizer' -e 'runtime error' "$ERR"; then
		fail "no sanitizer report: port53guard $*" "$(head -c 600 "$ERR")"
	fi
}

# The write() records of the fake, for one file: "len result bytes".
writes() { sed -n "s/^$1 //p" "$SYS/.writes" 2>/dev/null; }
nwrites() { writes "$1" | grep -c .; }
# rec BYTES [RESULT]: the record the fake logs for a write of BYTES (\n escaped)
rec() { echo "$(printf '%b' "$1" | wc -c) ${2:-ok} $1"; }
state() { cat "$SYS"/{enabled,action,tcp,loopback,log,rate,forward,authoritative,exempt}; }

NOMOD="port53guard: module not loaded (try: sudo modprobe port53guard)"

########################################################################
# Usage, help, version: no module needed.
fresh
run --version
is "--version prints the version" "$out" "port53guard 0.1.0"
is "--version exits 0" "$rc" 0
run --help
check "--help prints the usage with every subcommand" \
	bash -c 'grep -q "^Usage: port53guard" "$1" && for s in status exempt set save restore listeners verify reset-counters; do grep -q "^  $s " "$1" || exit 1; done' _ "$OUT"
is "--help exits 0" "$rc" 0
for sub in status exempt "exempt list" "exempt add" "exempt del" "exempt flush" \
	"exempt replace" "exempt check" set save restore listeners verify reset-counters; do
	# shellcheck disable=SC2086
	RUN_SYSFS=$WORK/absent run $sub --help
	check "$sub --help prints its usage and exits 0, module or not" \
		test "$rc" = 0 -a "${out%%$'\n'*}" != "" -a -z "$err"
	check "$sub --help names its own command" grep -q "^Usage: port53guard $sub" "$OUT"
done

usage_case() {
	local want=$1; shift
	run "$@"
	is "port53guard $*: exits 2 (usage)" "$rc" 2
	is "port53guard $*: says what is wrong" "$(head -n 1 "$ERR")" "$want"
}
usage_case "port53guard: unknown subcommand 'frobnicate'" frobnicate
usage_case "port53guard: exempt: unknown command 'show'" exempt show
usage_case "port53guard: exempt: missing command" exempt
usage_case "port53guard: exempt add: missing arguments" exempt add
usage_case "port53guard: exempt del: missing arguments" exempt del
usage_case "port53guard: exempt list: too many arguments" exempt list extra
usage_case "port53guard: exempt flush: too many arguments" exempt flush now
usage_case "port53guard: exempt replace: missing FILE (or - for standard input)" exempt replace
usage_case "port53guard: exempt check: missing arguments" exempt check
usage_case "port53guard: exempt check: expected 'dev IF' after the address" exempt check 192.0.2.1 eth0
usage_case "port53guard: set: expected NAME VALUE" set action
usage_case "port53guard: set: unknown setting 'colour' (enabled, action, tcp, loopback, log, rate, forward, authoritative)" set colour red
usage_case "port53guard: status: unexpected argument '--yaml'" status --yaml
usage_case "port53guard: save: unexpected argument '--iptables'" save --iptables
usage_case "port53guard: restore: expected one FILE (or - for standard input)" restore
usage_case "port53guard: restore: unexpected argument 'b'" restore a b
usage_case "port53guard: status: option -o needs a FILE" status --format prometheus -o ''
usage_case "port53guard: status: option -o needs a FILE" status --format prometheus -o
usage_case "port53guard: save: option -o needs a FILE" save -o ''
usage_case "port53guard: status: formats json and prometheus conflict: give one" status --json --format prometheus
usage_case "port53guard: status: formats prometheus and text conflict: give one" status --format prometheus --format text
usage_case "port53guard: verify: option --saved needs a FILE" verify --saved
usage_case "port53guard: verify: option --saved needs a FILE" verify --saved ''
usage_case "port53guard: help: unknown subcommand 'frob'" help frob
run status --help
check "status --help says where -o applies" grep -q '^       port53guard status --format prometheus \[-o FILE\]$' "$OUT"
run help status
is "help status: the usage of status, exit 0" "$rc:$(head -n 1 "$OUT")" \
	"0:Usage: port53guard status [--json | --format text|json]"
run help exempt add
is "help exempt add: the usage of exempt add, exit 0" "$rc:$(head -n 1 "$OUT")" \
	"0:Usage: port53guard exempt add [--exist] [-w [SECONDS]] ENTRY..."
run --help
is "--help: the descriptions in one column" \
	"$(sed -n '/^Available/,/^$/p' "$OUT" | grep '^  ' | sed -E 's/^(  [a-z-]+ +).*/\1/' | awk '{print length($0)}' | sort -u)" 18
run status --format prometheus -o /proc/version
check "status -o /proc/version: exit 1, the real reason, not ENOENT" \
	test "$rc" = 1 -a -n "$err" -a "${err#*No such file}" = "$err" -a "${err#port53guard: /proc/version: }" != "$err"
mkfifo "$WORK/fifo"
run status --format prometheus -o "$WORK/fifo"
is "status -o onto a FIFO: refused, the FIFO left" "$rc:$err:$(stat -c %F "$WORK/fifo")" \
	"1:port53guard: $WORK/fifo: not a regular file: not replaced:fifo"
check "usage errors wrote nothing" test ! -e "$SYS/.writes"

########################################################################
# No module.
for cmd in "status" "exempt list" "exempt add 192.0.2.1" "exempt del 192.0.2.1" "exempt flush" \
	"exempt replace -" "exempt check 192.0.2.1" "set enabled 1" "save" "save --modprobe" "restore -"; do
	# shellcheck disable=SC2086
	RUN_SYSFS=$WORK/absent run $cmd
	# exempt check cannot tell: 3, never "blocked"
	want=1; [ "$cmd" = "exempt check 192.0.2.1" ] && want=3
	is "no module: $cmd exits $want" "$rc" $want
	is "no module: $cmd says how to load it" "$err" "$NOMOD"
done
RUN_SYSFS=$WORK/absent run
is "no module: no arguments (status) says how to load it" "$err" "$NOMOD"
: >"$WORK/plainfile"
RUN_SYSFS=$WORK/plainfile run status
is "no module: a file where the directory should be" "$err" "$NOMOD"
if [ ! -e /sys/kernel/port53guard ]; then
	RUN_SYSFS='' run status
	check "no module: the default /sys/kernel/port53guard is used without P53G_SYSFS" \
		test "$rc" = 1 -a "$err" = "$NOMOD"
fi

########################################################################
# status
fresh
run status
is "status exits 0" "$rc" 0
is "status shows the module, settings, list size and every counter" "$out" "module: version 0.1.0, max_entries 65536, every namespace (init_net_only 0)
changes: 9 since load, the last at 2025-12-02T04:33:20Z
settings:
  enabled: 1
  action: reject
  tcp: 0
  loopback: 1
  log: 0
  rate: 200
  forward: 1
  authoritative: 0
exempt: 4 entries
counters:
  rejected: 12
  dropped: 3
  monitored: 0
  exempted: 7
  replies: 2
  udp4: 10
  exempt_entries: 4
  exempt_ipv4: 2
  exempt_ipv6: 1
  exempt_dev: 1
  exempt_bytes: 96"
run
is "no subcommand runs status" "$out" "$(LD_PRELOAD=$FAKE P53G_SYSFS=$SYS ASAN_OPTIONS=verify_asan_link_order=0 "$BIN" status)"
run status --json
is "status --json exits 0" "$rc" 0
is "status --json is the expected object" "$out" '{
  "version": "0.1.0",
  "max_entries": 65536,
  "init_net_only": false,
  "generation": 9,
  "changed": "2025-12-02T04:33:20Z",
  "enabled": true,
  "action": "reject",
  "tcp": false,
  "loopback": true,
  "log": false,
  "rate": 200,
  "forward": true,
  "authoritative": false,
  "exempt": 4,
  "counters": {
    "rejected": 12,
    "dropped": 3,
    "monitored": 0,
    "exempted": 7,
    "replies": 2,
    "udp4": 10,
    "exempt_entries": 4,
    "exempt_ipv4": 2,
    "exempt_ipv6": 1,
    "exempt_dev": 1,
    "exempt_bytes": 96
  }
}'
is "status --json parses as JSON (jq)" "$(jq -c '[.enabled, .action, .rate, .exempt, .counters.rejected]' "$OUT")" \
	'[true,"reject",200,4,12]'
echo Y >"$SYS/enabled"
run status --json
is "status reads a module boolean Y as true" "$(jq .enabled "$OUT")" true
echo maybe >"$SYS/tcp"
run status
is "status names a setting file with an unexpected value" "$err" "port53guard: $SYS/tcp: unexpected value 'maybe'"
is "status exits 1 on it" "$rc" 1
fresh
: >"$SYS/exempt"
sed -i 's/^exempt_entries .*/exempt_entries 0/' "$SYS/stats"
run status
check "status counts an empty list" grep -qx "exempt: 0 entries" "$OUT"
rm "$SYS/stats"
run status
is "status names a missing file" "$err" "port53guard: $SYS/stats: No such file or directory"
fresh
seq 0 199999 | awk '{printf "10.%d.%d.0/24\n", int($1/256)%256, $1%256}' >"$SYS/exempt"
sed -i 's/^exempt_entries .*/exempt_entries 200000/' "$SYS/stats"
chmod 000 "$SYS/exempt"
echo 1000 >"$SYS/.eagain"
run status
check "status takes the list's size from stats, without reading the list (200000 entries)" \
	grep -qx "exempt: 200000 entries" "$OUT"
chmod 644 "$SYS/exempt"
rm -f "$SYS/.eagain"
run exempt list
check "exempt list prints a list of several MB whole, not cut at 4 KiB" cmp -s "$OUT" "$SYS/exempt"
if command -v timeout >/dev/null; then
	check "status > /dev/full fails (exit 1), not a silent truncation" \
		bash -c 'LD_PRELOAD=$1 P53G_SYSFS=$2 ASAN_OPTIONS=verify_asan_link_order=0 "$3" status >/dev/full 2>"$4"; [ $? = 1 ] && grep -q "stdout: No space left on device" "$4"' _ "$FAKE" "$SYS" "$BIN" "$WORK/full.err"
fi

########################################################################
# status --format prometheus: the text format, checked by promtool.
prom_line() { grep -F "$1" "$OUT" | grep -v '^#' | awk '{print $NF}'; }
fresh
run status --format prometheus
is "prometheus: exits 0" "$rc" 0
if command -v promtool >/dev/null; then
	check "prometheus: promtool check metrics accepts it" promtool check metrics <"$OUT"
	check "prometheus: promtool rejects the same with the counter not named _total (the check can fail)" \
		bash -c '! sed "s/port53guard_packets_total/port53guard_packets/" "$1" | promtool check metrics >/dev/null 2>&1' _ "$OUT"
elif [ -n "${P53G_REQUIRE_PROMTOOL:-}" ]; then
	fail "prometheus: promtool check metrics (promtool is missing: apt-get install prometheus)"
else
	echo "SKIP: cli: promtool check metrics (no promtool here; make check requires it)"
fi
is "prometheus: up 1" "$(prom_line 'port53guard_up ')" 1
is "prometheus: the version in port53guard_info" "$(grep -c '^port53guard_info{version="0.1.0"} 1$' "$OUT")" 1
is "prometheus: each cell of the counters file is a sample (input ipv4 rejected_unreach)" \
	"$(prom_line 'port53guard_packets_total{hook="input",family="ipv4",outcome="rejected",reason="rejected_unreach"}')" 11
is "prometheus: outcome is the total, reason the finer one (exempted_list)" \
	"$(prom_line 'port53guard_packets_total{hook="input",family="ipv6",outcome="exempted",reason="exempted_list"}')" 2
is "prometheus: dropped_action counts as dropped" \
	"$(prom_line 'port53guard_packets_total{hook="forward",family="ipv4",outcome="passed",reason="passed"}')" 7
is "prometheus: 20 cells, one sample each" "$(grep -c '^port53guard_packets_total{' "$OUT")" 20
is "prometheus: the sum of the samples is the sum of the counters file" \
	"$(grep '^port53guard_packets_total{' "$OUT" | awk '{s+=$NF} END {print s}')" \
	"$(awk 'NR>1 {for (i=3;i<=NF;i++) s+=$i} END {print s}' "$SYS/counters")"
is "prometheus: action as a state set" "$(grep '^port53guard_action{' "$OUT" | tr '\n' ' ')" \
	'port53guard_action{action="reject"} 1 port53guard_action{action="drop"} 0 port53guard_action{action="monitor"} 0 '
is "prometheus: settings" "$(prom_line 'port53guard_enabled ') $(prom_line 'port53guard_rate ') $(prom_line 'port53guard_forward ')" "1 200 1"
is "prometheus: the authoritative setting" "$(prom_line 'port53guard_authoritative ')" 0
is "prometheus: list gauges" "$(prom_line 'port53guard_exempt_entries ') $(prom_line 'family="ipv4"} ') $(prom_line 'port53guard_exempt_interfaces ')" "4 2 1"
is "prometheus: generation and time of the last change" \
	"$(prom_line 'port53guard_config_generation ') $(prom_line 'port53guard_config_changed_timestamp_seconds ')" "9 1764650000"
is "prometheus: namespaces and load-time parameters" \
	"$(prom_line 'port53guard_namespaces ') $(prom_line 'port53guard_init_net_only ') $(prom_line 'port53guard_max_entries ')" "1000 0 65536"
# The iterative counter (authoritative 1) is a sample of its own outcome.
printf '%s\n' "hook family passed rejected_unreach iterative" "input ipv4 1 2 3" "input ipv6 0 0 4" \
	"forward ipv4 0 0 0" "forward ipv6 0 0 0" >"$SYS/counters"
echo 1 >"$SYS/authoritative"
run status --format prometheus
if command -v promtool >/dev/null; then
	check "prometheus: with iterative, promtool check metrics accepts it" promtool check metrics <"$OUT"
fi
is "prometheus: iterative is its own outcome" \
	"$(prom_line 'port53guard_packets_total{hook="input",family="ipv6",outcome="iterative",reason="iterative"}') $(prom_line 'port53guard_authoritative ')" "4 1"
echo drop >"$SYS/action"
echo 0 >"$SYS/enabled"
run status --format prometheus
is "prometheus: enabled 0 and action drop are seen" \
	"$(prom_line 'port53guard_enabled ') $(prom_line '{action="drop"}') $(prom_line '{action="reject"}')" "0 1 0"
RUN_SYSFS=$WORK/absent run status --format prometheus
is "prometheus: no module is port53guard_up 0 and port53guard_fallback, exit 0, nothing else" "$rc:$out" "0:# HELP port53guard_up Whether the port53guard module is loaded.
# TYPE port53guard_up gauge
port53guard_up 0
# HELP port53guard_fallback 1 when the module is not loaded and the nftables fallback refuses queries here.
# TYPE port53guard_fallback gauge
port53guard_fallback 0"
if command -v promtool >/dev/null; then
	check "prometheus: promtool accepts the no-module form" promtool check metrics <"$OUT"
fi
# -o: replaced by rename, never written in place
fresh
prom=$WORK/textfile/port53guard.prom
mkdir -p "$WORK/textfile"
run status --format prometheus -o "$prom"
is "prometheus -o: exits 0, prints nothing" "$rc:$out" "0:"
run status --format prometheus
check "prometheus -o: the file holds what stdout would" cmp -s "$prom" "$OUT"
is "prometheus -o: readable by node_exporter's user (0644)" "$(stat -c %a "$prom")" 644
ino=$(stat -c %i "$prom")
echo 10 >"$SYS/generation"
run status --format prometheus -o "$prom"
check "prometheus -o: a new file renamed over the old (a new inode), not rewritten in place" \
	test "$(stat -c %i "$prom")" != "$ino"
is "prometheus -o: with the new values" "$(grep '^port53guard_config_generation ' "$prom")" "port53guard_config_generation 10"
is "prometheus -o: no temporary file left" "$(ls "$WORK/textfile")" "port53guard.prom"
cp "$prom" "$WORK/prom.before"
rm -f "$SYS/counters"
run status --format prometheus -o "$prom"
is "prometheus -o: a failure exits 1, names the file it could not read" "$rc:$err" \
	"1:port53guard: $SYS/counters: No such file or directory"
check "prometheus -o: a failure leaves the old file as it was" cmp -s "$prom" "$WORK/prom.before"
is "prometheus -o: and no temporary file" "$(ls "$WORK/textfile")" "port53guard.prom"
fresh
run status --format prometheus -o "$WORK/absent-dir/x.prom"
check "prometheus -o: a directory that does not exist: exit 1, named" \
	test "$rc" = 1 -a -n "$err" -a -z "$(echo "$err" | grep -v absent-dir)"
usage_case "port53guard: status: unknown format 'xml' (text, json or prometheus)" status --format xml
usage_case "port53guard: status: -o goes with --format prometheus" status -o "$WORK/x"
is "prometheus: -o writes nothing on bad usage" "$(ls "$WORK/x" 2>/dev/null)" ""

########################################################################
# verify: exit 0 only when guarded as configured, each failure named.
verify_fresh() {
	fresh
	run save -o "$WORK/saved.conf"
}
vline() { grep -E "^(ok|warn|fail) +$1 " "$OUT" | head -n 1; }
verify_fresh
run verify --saved "$WORK/saved.conf"
is "verify: a guarded host passes (exit 0)" "$rc" 0
is "verify: and says so" "$(tail -n 1 "$OUT")" "verify: guarded as configured (8 checks, 1 warning)"
check "verify: an unsigned module is a warning, with its taint" \
	bash -c 'grep -qE "^warn +module +loaded, version 0.1.0, taint OE, signer none \(unsigned: taint E\)" "$1"' _ "$OUT"
is "verify: the list's SHA-256 is sha256sum of the exempt file" \
	"$(vline list | grep -o 'sha256 [0-9a-f]*' | cut -d' ' -f2)" "$(sha256sum <"$SYS/exempt" | cut -d' ' -f1)"
check "verify: the list check gives entries, generation, last change" \
	bash -c 'grep -qE "^ok +list +4 entries, sha256 [0-9a-f]{64}, generation 9, last change 2025-12-02T04:33:20Z$" "$1"' _ "$OUT"
is "verify: the saved file is compared" "$(vline saved)" \
	"ok    saved       $WORK/saved.conf is the running configuration (8 settings, 4 entries)"
# the digest at every length mod 64 (padding into a second block), and a long list
verify_fresh
bad_sha=""
for n in $(seq 1 48) 200000; do
	seq 1 "$n" | awk '{printf "10.%d.%d.0/24\n", int($1/256)%256, $1%256}' >"$SYS/exempt"
	run verify --saved /dev/null
	[ "$(vline list | grep -o 'sha256 [0-9a-f]*' | cut -d' ' -f2)" = "$(sha256sum <"$SYS/exempt" | cut -d' ' -f1)" ] ||
		bad_sha="$bad_sha $n"
done
is "verify: SHA-256 equals sha256sum for lists of 1-48 and 200000 entries" "$bad_sha" ""
# each reason, alone
verify_case() {
	local desc=$1 line=$2 want=$3
	run verify --saved "$WORK/saved.conf"
	is "verify: $desc: exit $want" "$rc" "$want"
	check "verify: $desc: named" bash -c 'grep -qE -- "$2" "$1"' _ "$OUT" "$line"
}
verify_fresh; echo 0 >"$SYS/enabled"; run save -o "$WORK/saved.conf"
verify_case "enabled 0" '^fail +enabled +0: every query passes' 1
check "verify: the summary names the failed check" grep -qx "verify: NOT guarded as configured: 1 check failed: enabled" "$OUT"
verify_fresh; echo monitor >"$SYS/action"; run save -o "$WORK/saved.conf"
verify_case "action monitor" '^fail +action +monitor: queries are counted, not refused' 1
verify_fresh; echo drop >"$SYS/action"; run save -o "$WORK/saved.conf"
verify_case "action drop guards" '^ok +action +drop$' 0
verify_fresh; echo 0 >"$SYS/forward"; run save -o "$WORK/saved.conf"
verify_case "forward 0" '^fail +forward +0: ports published from 53' 1
for wide in 0.0.0.0/0 ::/0 dev:+; do
	verify_fresh; echo "$wide" >>"$SYS/exempt"; run save -o "$WORK/saved.conf"
	verify_case "$wide exempt" "^fail +exemptions +$(printf %s "$wide" | sed 's/[.+]/\\&/g') exempts every" 1
done
verify_fresh; echo 2.0.0.0/7 >>"$SYS/exempt"; echo 2001::/16 >>"$SYS/exempt"; run save -o "$WORK/saved.conf"
verify_case "a prefix wider than /8 and /32 is a warning" \
	'^warn +exemptions +2\.0\.0\.0/7 is wider than /8; 2001::/16 is wider than /32$' 0
verify_fresh; echo 100 >"$SYS/rate"
verify_case "a setting differs from the saved file" "^fail +saved +$WORK/saved.conf differs from the running configuration: rate 200 there, 100 running$" 1
verify_fresh; echo 198.51.100.0/24 >>"$SYS/exempt"
verify_case "an entry differs from the saved file" "^fail +saved +.* differs from the running configuration: 198\.51\.100\.0/24 only running$" 1
verify_fresh; echo 'exempt add 203.0.113.0/24' >>"$WORK/saved.conf"
verify_case "an entry only in the saved file" "^fail +saved +.*: 203\.0\.113\.0/24 only there$" 1
verify_fresh; echo 'set colour red' >>"$WORK/saved.conf"
verify_case "a saved file restore would refuse" "^fail +saved +$WORK/saved.conf cannot be restored \(wrong lines, above\)" 1
check "verify: and the wrong line is named" grep -q "saved.conf:.*unknown setting 'colour'" "$ERR"
verify_fresh; rm "$WORK/saved.conf"
verify_case "no saved file is a warning" "^warn +saved +$WORK/saved.conf does not exist" 0
verify_fresh; echo 0 >"$SYS/namespaces"
verify_case "a namespace without the hooks" '^fail +namespaces +[0-9]+ network namespaces, only 0 with the hooks' 1
verify_fresh; echo Y >"$MOD/parameters/init_net_only"
verify_case "init_net_only 1 is a warning (as configured)" '^warn +namespaces +init_net_only=1' 0
verify_fresh; echo 0.0.9 >"$MOD/version"
verify_case "another module version is a warning" '^warn +module +loaded, version 0\.0\.9, but this tool is 0\.1\.0' 0
RUN_SYSFS=$WORK/absent run verify
is "verify: no module: exit 1" "$rc" 1
check "verify: no module: named" grep -qE '^fail +module +not loaded: nothing refuses DNS queries' "$OUT"
verify_fresh; echo 0 >"$SYS/enabled"; echo 0.0.0.0/0 >>"$SYS/exempt"
run verify --json --saved "$WORK/saved.conf"
is "verify --json: exit 1 when a check fails" "$rc" 1
is "verify --json: an evidence record (jq)" \
	"$(jq -c '[.record, .result, .probe, (.checks | map(select(.result == "fail")) | map(.check)), .configuration.enabled, .configuration.exempt_entries, .configuration.generation]' "$OUT")" \
	'["port53guard verify","fail",false,["enabled","exemptions","saved"],"0",5,9]'
is "verify --json: the list's SHA-256" "$(jq -r .configuration.exempt_sha256 "$OUT")" "$(sha256sum <"$SYS/exempt" | cut -d' ' -f1)"
check "verify --json: time, host, kernel" \
	bash -c 'jq -e "(.time | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$\")) and (.host | length > 0) and .kernel == \"$(uname -r)\"" "$1" >/dev/null' _ "$OUT"
RUN_SYSFS=$WORK/absent run verify --json
is "verify --json: no module is a record too" "$rc:$(jq -c '[.result, .checks[0].check, .configuration]' "$OUT")" '1:["fail","module",null]'
usage_case "port53guard: verify: unexpected argument '--prob'" verify --prob
# --json: every outcome is JSON, an error {"error": "..."} with the exit
# status of the text mode (and said on stderr as ever)
RUN_SYSFS=$WORK/absent run status --json
is "status --json, no module: a JSON error, exit 1" "$rc:$(jq -c . "$OUT" 2>&1)" \
	'1:{"error":"module not loaded (try: sudo modprobe port53guard)"}'
is "status --json, no module: said on stderr too" "$err" "$NOMOD"
fresh
echo maybe >"$SYS/tcp"
run status --json
is "status --json, an unreadable setting: a JSON error naming it, exit 1" "$rc:$(jq -r .error "$OUT" 2>&1)" \
	"1:$SYS/tcp: unexpected value 'maybe'"
fresh
run status --format json $'x"y\\'
is "status --format json, a bad argument: a JSON error, properly escaped, exit 2" \
	"$rc:$(jq -r .error "$OUT" 2>&1)" "2:status: unexpected argument 'x\"y\\x5c'"
for cmd in listeners verify; do
	run "$cmd" --bogus --json
	is "$cmd --json, a bad argument: a JSON error, exit 2" "$rc:$(jq -r .error "$OUT" 2>&1)" \
		"2:$cmd: unexpected argument '--bogus'"
done

########################################################################
# listeners, on a fake /proc ($P53G_ROOTFS stands for "/"): a namespace is
# a file under $FS/ns whose inode the processes' ns/net links share, its
# sockets the /proc/net tables it holds, their owners /proc/PID/fd links.
FS=$WORK/fs
TABLE_HEAD="  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
# fake_proc PID COMM NS: a process named COMM in the namespace NS
fake_proc() {
	local pid=$1 comm=$2 ns=$3 t
	mkdir -p "$FS/proc/$pid/ns" "$FS/proc/$pid/net" "$FS/proc/$pid/fd" "$FS/ns"
	printf '%s\n' "$comm" >"$FS/proc/$pid/comm"
	[ -e "$FS/ns/$ns" ] || : >"$FS/ns/$ns"
	ln -sfn "../../../ns/$ns" "$FS/proc/$pid/ns/net"
	for t in udp udp6 udplite udplite6 tcp tcp6 dev; do
		[ -e "$FS/ns/$ns.$t" ] || echo "$TABLE_HEAD" >"$FS/ns/$ns.$t"
		ln -sfn "../../../ns/$ns.$t" "$FS/proc/$pid/net/$t"
	done
}
# fake_sock NS LOCAL TABLE STATE INODE PID FD: a socket, held by PID
fake_sock() {
	printf '   0: %s 00000000:0000 %s 00000000:00000000 00:00000000 00000000     0        0 %s 2 0 0\n' \
		"$2" "$4" "$5" >>"$FS/ns/$1.${3}"
	ln -sfn "socket:[$5]" "$FS/proc/$6/fd/$7"
}
fake_fs() {
	rm -rf "$FS"
	fake_proc 1 systemd host
	fake_proc 300 named host
	fake_sock host 0100007F:0035 udp 07 4001 300 5
}
fresh
fake_fs
fake_proc 200 $'\e[8mhidden' c1
fake_sock c1 00000000:0035 udp 07 5001 200 3
P53G_ROOTFS=$FS run listeners
is "listeners on a fake /proc: exits 0" "$rc" 0
is "listeners: a process name with escape sequences is shown escaped" \
	"$(grep -F '0.0.0.0:53' "$OUT" | head -n 1)" \
	'udp 0.0.0.0:53 \x1b[8mhidden[200], namespace pid 200 (\x1b[8mhidden): refused: port unreachable'
check "listeners: no escape byte reaches the terminal" bash -c '! grep -q $'"'"'\e'"'"' "$1"' _ "$OUT"
P53G_ROOTFS=$FS run listeners --json
is "listeners --json: the name as it is, JSON-escaped" \
	"$(jq -r '.listeners[] | select(.address == "0.0.0.0:53") | .processes' "$OUT")" $'\e[8mhidden[200]'
# Not root: pid 1's ns/net cannot be read (here: is absent). The host's
# namespace is told by /proc/1/net, else called unknown, never named
# after the first process of it the tool can see.
fresh
fake_fs
fake_sock host 00000000000000000000000000000000:0035 udp6 07 4002 300 6
rm "$FS/proc/1/ns/net"
P53G_ROOTFS=$FS run listeners
is "listeners, pid 1's namespace unreadable: the host's is told by /proc/1/net" \
	"$(grep -F '[::]:53' "$OUT")" 'udp [::]:53 named[300], namespace host: refused: port unreachable'
rm -rf "$FS/proc/1"
echo Y >"$MOD/parameters/init_net_only"
P53G_ROOTFS=$FS run listeners
is "listeners, pid 1 hidden: the namespace is unknown, not named after a process" \
	"$(grep -F '[::]:53' "$OUT")" \
	"udp [::]:53 named[300], namespace unknown: answered unless this is the host's namespace (init_net_only 1)"
# an interface name in verify's warning (a default route's, from /proc/net/route)
verify_fresh
mkdir -p "$FS/proc/net"
printf 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n%s\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' \
	$'eth\e[31m0' >"$FS/proc/net/route"
echo 'dev:eth+' >>"$SYS/exempt"
run save -o "$WORK/saved.conf"
P53G_ROOTFS=$FS run verify --saved "$WORK/saved.conf"
is "verify: an interface name is shown escaped" "$(vline exemptions)" \
	'warn  exemptions  dev:eth+ covers eth\x1b[31m0, which carries a default route'
# a file name that would forge a line
evil=$WORK/$'evil\e[31mred\nfake: valid'
printf 'set log 1\n' >"$evil"
run restore --check "$evil"
is "restore --check: a file name is shown escaped, on one line" "$out" \
	"$WORK/evil\\x1b[31mred\\x0afake: valid: valid: 1 settings, 0 exempt lines"
run restore --check "$evil.missing"
is "restore: a file name in an error is shown escaped" "$err" \
	"port53guard: $WORK/evil\\x1b[31mred\\x0afake: valid.missing: No such file or directory"
printf 'bogus\n' >"$evil"
run exempt replace --check "$evil"
is "exempt replace: a file name before a line number is shown escaped" "$(head -n 1 "$ERR")" \
	"port53guard: $WORK/evil\\x1b[31mred\\x0afake: valid:1: 'bogus': not an IPv4 or IPv6 address, nor dev:NAME"
run save -o "$WORK/absent-dir/"$'\e[2J'
is "save -o: a file name in an error is shown escaped" "$err" \
	"port53guard: $WORK/absent-dir/\\x1b[2J: No such file or directory"

########################################################################
# exempt list, add
fresh
run exempt list
is "exempt list prints the list as the module does" "$out" "$(cat "$SYS/exempt")"
run exempt list --json
is "exempt list --json: a JSON array of the canonical entries, exit 0" "$rc:$out" '0:[
  "10.0.0.0/8",
  "192.0.2.0/24",
  "2001:db8::/32",
  "dev:wg+"
]'
is "exempt list --json parses as JSON (jq), the same entries in order" \
	"$(jq -r '.[]' "$OUT" 2>&1)" "$(cat "$SYS/exempt")"
printf '10.0.0.0/8\ndev:q"\\x\n' >"$SYS/exempt"
run exempt list --json
is "exempt list --json: entries are JSON-escaped" "$rc:$(jq -c . "$OUT" 2>&1)" \
	'0:["10.0.0.0/8","dev:q\"\\x"]'
: >"$SYS/exempt"
run exempt list --json
is "exempt list --json of an empty list: []" "$rc:$out" "0:[]"
RUN_SYSFS=$WORK/absent run exempt list --json
is "exempt list --json, no module: a JSON error, exit 1" "$rc:$(jq -c . "$OUT" 2>&1)" \
	'1:{"error":"module not loaded (try: sudo modprobe port53guard)"}'
is "exempt list --json, no module: said on stderr too" "$err" "$NOMOD"
run exempt list --json extra
is "exempt list --json extra: a JSON error, exit 2" "$rc:$(jq -c . "$OUT" 2>&1)" \
	'2:{"error":"exempt list: too many arguments"}'
fresh
echo 1000 >"$SYS/.eagain"
run exempt list --json
is "exempt list --json when the list cannot be read: a JSON error, exit 1" \
	"$rc:$(jq -r .error "$OUT" 2>&1)" "1:${err#port53guard: }"
fresh
run exempt add 198.51.100.7/24 2001:DB8:0:0:1::/80 dev:br-lan 203.0.113.9
is "exempt add exits 0" "$rc" 0
is "exempt add sends one write of canonical add lines, sorted" "$(writes exempt)" \
	"$(rec 'add 198.51.100.0/24\nadd 203.0.113.9/32\nadd 2001:db8:0:0:1::/80\nadd dev:br-lan\n')"
is "exempt add: the list holds the new entries" "$(cat "$SYS/exempt")" "10.0.0.0/8
192.0.2.0/24
198.51.100.0/24
203.0.113.9/32
2001:db8::/32
2001:db8:0:0:1::/80
dev:br-lan
dev:wg+"
fresh
run exempt add 10.1.1.1 10.1.1.1/32 10.0.0.0/8
is "exempt add merges duplicates; an entry already there is fine" "$(writes exempt)" \
	"$(rec 'add 10.0.0.0/8\nadd 10.1.1.1/32\n')"

bad_entry() {
	local reason=$1; shift
	fresh
	run exempt add "$@"
	is "exempt add $*: exits 1" "$rc" 1
	is "exempt add $*: names the bad entry and why" "$err" "$reason"
	check "exempt add $*: writes nothing" test ! -e "$SYS/.writes"
}
bad_entry "port53guard: '10.0.0.0/33': prefix length must be 0-32" 10.0.0.0/33
bad_entry "port53guard: '10.0.0.0/33': prefix length must be 0-32
port53guard: 'eth0': not an IPv4 or IPv6 address, nor dev:NAME" 192.0.2.1 10.0.0.0/33 eth0
bad_entry "port53guard: '010.0.0.1': leading zero in IPv4 address" 010.0.0.1
bad_entry "port53guard: 'fe80::1%eth0': IPv6 zone index (%...) not allowed" fe80::1%eth0
bad_entry "port53guard: '2001:db8::/129': prefix length must be 0-128" 2001:db8::/129
bad_entry "port53guard: 'dev:': empty interface name" dev:
bad_entry "port53guard: 'dev:abcdefghijklmnop': interface name longer than 15 bytes" dev:abcdefghijklmnop
bad_entry "port53guard: 'dev:a/b': '/' in interface name" dev:a/b
bad_entry "port53guard: '1.2.3': IPv4 address must have 4 parts" 1.2.3
bad_entry "port53guard: '': empty entry" ""
bad_entry "port53guard: '10.0.0.1 ': whitespace in entry" "10.0.0.1 "

# More than one write can hold: a staged transaction from the current list.
fresh
mapfile -t many < <(seq 1 300 | awk '{printf "172.16.%d.%d\n", int($1/256), $1%256}')
run exempt add "${many[@]}"
is "exempt add of 300 entries exits 0" "$rc" 0
is "exempt add of 300 entries: the list is the old one plus all of them" \
	"$(cat "$SYS/exempt")" \
	"$(echo 10.0.0.0/8; printf '%s/32\n' "${many[@]}"; printf '192.0.2.0/24\n2001:db8::/32\ndev:wg+\n')"
is "exempt add of 300 entries: begin first" "$(writes exempt | head -n 1)" '6 ok begin\n'
is "exempt add of 300 entries: commit last" "$(writes exempt | tail -n 1)" '7 ok commit\n'
check "exempt add of 300 entries: each write between is whole add lines, at most 4095 bytes" \
	bash -c 'sed "1d;\$d" | while read -r len res bytes; do
		[ "$len" -le 4095 ] && [ "$res" = ok ] && [[ $bytes == add\ *\\n ]] || exit 1
		[[ ${bytes//\\nadd /} != *\\n*\\n ]] || exit 1
	done' < <(writes exempt)
is "exempt add of 300 entries: the staged writes hold the whole new list" \
	"$(writes exempt | sed '1d;$d' | cut -d' ' -f3- | sed 's/\\n/\n/g' | grep -c '^add ')" 304

fresh
echo 5 >"$SYS/.max_entries"
run exempt add 192.0.2.1 192.0.2.2
is "exempt add over max_entries: exits 1" "$rc" 1
is "exempt add over max_entries: says so" "$err" \
	"port53guard: $SYS/exempt: No space left on device (the list would exceed the module's max_entries)"
is "exempt add over max_entries: the list is unchanged" "$(cat "$SYS/exempt")" \
	"$(printf '10.0.0.0/8\n192.0.2.0/24\n2001:db8::/32\ndev:wg+')"
fresh
touch "$SYS/.eperm"
run exempt add 192.0.2.1
is "exempt add without CAP_NET_ADMIN (EPERM): exits 1" "$rc" 1
is "exempt add without CAP_NET_ADMIN (EPERM): says what is needed" "$err" \
	"port53guard: $SYS/exempt: Operation not permitted (needs CAP_NET_ADMIN in the initial user namespace)"
fresh
touch "$SYS/.eacces"
run exempt add 192.0.2.1
is "exempt add as a user (EACCES at open): says to run as root" "$err" \
	"port53guard: $SYS/exempt: Permission denied (run as root)"
fresh
touch "$SYS/.short"
run exempt add 192.0.2.1
is "a short write is a failure: exits 1" "$rc" 1
is "a short write is a failure: says so" "$err" \
	"port53guard: $SYS/exempt: short write: the module took part of a command"
is "a short write is not continued" "$(nwrites exempt)" 1
fresh
echo EINVAL >"$SYS/.inject"
run exempt add 192.0.2.1
is "the module refusing an entry the tool accepts (EINVAL) is named" "$err" \
	"port53guard: $SYS/exempt: Invalid argument (the module refused a command this tool accepts: are they the same version?)"

# A list read in several read()s that changed between them: the module
# fails the later read with EAGAIN; the tool reads it again from the start
# (and prints or counts it once), and gives up after 50 tries.
fresh
awk 'BEGIN { for (i = 0; i < 9000; i++) printf "10.%d.%d.0/24\n", int(i / 256), i % 256 }' >"$SYS/exempt"
echo 3 >"$SYS/.eagain"
run exempt list
is "exempt list: EAGAIN past offset 0 three times, read again: exits 0" "$rc" 0
check "exempt list: EAGAIN three times: prints the list once, whole" cmp -s "$OUT" "$SYS/exempt"
is "exempt list: the three EAGAINs were met" "$(cat "$SYS/.eagain")" 0
echo 2 >"$SYS/.eagain"
run save
check "save: EAGAIN twice, saves the list once" \
	bash -c '[ "$(grep -c "^exempt add " "$1")" = 9000 ]' _ "$OUT"
echo 1000 >"$SYS/.eagain"
run exempt list
is "exempt list: EAGAIN every time: exits 1" "$rc" 1
is "exempt list: EAGAIN every time: prints nothing" "$out" ""
is "exempt list: EAGAIN every time: says why" "$err" \
	"port53guard: $SYS/exempt: Resource temporarily unavailable (the list kept changing while it was read)"
is "exempt list: gave up after 50 tries" "$(cat "$SYS/.eagain")" 950

########################################################################
# exempt del, flush
fresh
run exempt del 192.0.2.9/24 dev:wg+
is "exempt del exits 0" "$rc" 0
is "exempt del sends one write of del lines" "$(writes exempt)" "$(rec 'del 192.0.2.0/24\ndel dev:wg+\n')"
is "exempt del: the entries are gone" "$(cat "$SYS/exempt")" "$(printf '10.0.0.0/8\n2001:db8::/32')"
fresh
run exempt del 10.0.0.0/8 198.51.100.0/24
is "exempt del of an absent entry: exits 1" "$rc" 1
is "exempt del of an absent entry: names it" "$err" "port53guard: 198.51.100.0/24: not in the exempt list"
is "exempt del of an absent entry: nothing is deleted (atomic)" "$(wc -l <"$SYS/exempt")" 4
fresh
run exempt del 10.0.0.0/8 10.9.9.9/8
is "exempt del of one entry spelled twice deletes it once" "$(writes exempt)" "$(rec 'del 10.0.0.0/8\n')"
fresh
seq 1 400 | awk '{printf "172.16.%d.%d/32\n", int($1/256), $1%256}' >>"$SYS/exempt"
mapfile -t dels < <(seq 1 399 | awk '{printf "172.16.%d.%d\n", int($1/256), $1%256}')
run exempt del "${dels[@]}"
is "exempt del of 399 entries (staged) exits 0" "$rc" 0
is "exempt del of 399 entries: the rest remains" "$(cat "$SYS/exempt")" \
	"$(printf '10.0.0.0/8\n172.16.1.144/32\n192.0.2.0/24\n2001:db8::/32\ndev:wg+')"
fresh
seq 1 400 | awk '{printf "172.16.%d.%d/32\n", int($1/256), $1%256}' >>"$SYS/exempt"
cp "$SYS/exempt" "$WORK/before"
run exempt del "${dels[@]}" 198.51.100.1
is "exempt del of many with one absent (staged): exits 1" "$rc" 1
is "exempt del of many with one absent (staged): names it" "$err" "port53guard: 198.51.100.1/32: not in the exempt list"
check "exempt del of many with one absent (staged): the list is unchanged" cmp -s "$SYS/exempt" "$WORK/before"
is "exempt del of many with one absent (staged): begin then abort" "$(writes exempt | tr '\n' ' ')" \
	'6 ok begin\n 6 ok abort\n '
fresh
run exempt flush
is "exempt flush exits 0" "$rc" 0
is "exempt flush sends one write: flush" "$(writes exempt)" "$(rec 'flush\n')"
is "exempt flush empties the list" "$(cat "$SYS/exempt")" ""

########################################################################
# exempt replace
fresh
printf '# the LAN\n  192.0.2.77/24 \r\n\n2001:DB8::/48\n\t# more\ndev:br-lan\n192.0.2.0/24\n' >"$WORK/list"
run exempt replace "$WORK/list"
is "exempt replace FILE exits 0" "$rc" 0
is "exempt replace FILE: one write, flush then the entries (comments, blanks, CRLF skipped)" \
	"$(writes exempt)" "$(rec 'flush\nadd 192.0.2.0/24\nadd 2001:db8::/48\nadd dev:br-lan\n')"
is "exempt replace FILE: the list is exactly the file's" "$(cat "$SYS/exempt")" \
	"$(printf '192.0.2.0/24\n2001:db8::/48\ndev:br-lan')"
fresh
seq 1 5000 | awk '{printf "2001:db8:%x::/48\n", $1}' >"$WORK/big"
RUN_STDIN=$WORK/big run exempt replace -
is "exempt replace - (5000 entries from stdin) exits 0" "$rc" 0
is "exempt replace -: the list is exactly the input" "$(cat "$SYS/exempt")" "$(cat "$WORK/big")"
is "exempt replace -: staged: begin first, commit last" \
	"$(writes exempt | sed -n '1p;$p' | tr '\n' ' ')" '6 ok begin\n 7 ok commit\n '
check "exempt replace -: more than one add write, each at most 4095 bytes of whole lines" \
	bash -c 'n=0; while read -r len res bytes; do n=$((n + 1))
		[ "$len" -le 4095 ] && [ "$res" = ok ] && [[ $bytes == add\ *\\n ]] || exit 1
	done < <(sed "1d;\$d"); [ $n -gt 1 ]' < <(writes exempt)
fresh
printf '192.0.2.0/24\n# ok\n10.0.0.0/33\n2001:db8::/32\n10.1.1.1 10.2.2.2\n' >"$WORK/badlist"
run exempt replace "$WORK/badlist"
is "exempt replace of a bad file: exits 1" "$rc" 1
is "exempt replace of a bad file: names each bad line, changes nothing" "$err" \
	"port53guard: $WORK/badlist:3: '10.0.0.0/33': prefix length must be 0-32
port53guard: $WORK/badlist:5: '10.1.1.1 10.2.2.2': whitespace in entry
port53guard: $WORK/badlist: nothing changed"
check "exempt replace of a bad file writes nothing" test ! -e "$SYS/.writes"
printf 'bogus\n' | RUN_STDIN=/dev/stdin run exempt replace -
is "exempt replace - names standard input as stdin" "$(head -n 1 "$ERR")" \
	"port53guard: stdin:1: 'bogus': not an IPv4 or IPv6 address, nor dev:NAME"
run exempt replace "$WORK/nonexistent"
is "exempt replace of a missing file: named" "$err" "port53guard: $WORK/nonexistent: No such file or directory"
is "exempt replace of a missing file: exits 1" "$rc" 1
# Empty input empties nothing unless it says so.
fresh
: >"$WORK/empty"
before=$(state)
run exempt replace "$WORK/empty"
is "exempt replace of an empty file: exits 1, changes nothing" "$rc $(state)" "1 $before"
is "exempt replace of an empty file: says why and what to do" "$err" \
	"port53guard: $WORK/empty: no entry: nothing changed (a line 'flush', or --allow-empty, empties the list)"
check "exempt replace of an empty file writes nothing" test ! -e "$SYS/.writes"
RUN_STDIN=/dev/null run exempt replace -
is "exempt replace - of empty standard input (a failed download): exits 1, list kept" \
	"$rc $(wc -l <"$SYS/exempt")" "1 4"
printf '# nothing on purpose\nflush\n' >"$WORK/flushfile"
run exempt replace "$WORK/flushfile"
is "exempt replace of a file saying flush: one flush, list empty" "$(writes exempt) $(wc -c <"$SYS/exempt")" "$(rec 'flush\n') 0"
fresh
run exempt replace --allow-empty "$WORK/empty"
is "exempt replace --allow-empty of an empty file: one flush" "$(writes exempt)" "$(rec 'flush\n')"
RUN_SYSFS=$WORK/nomodule run exempt replace --check "$WORK/big"
is "exempt replace --check, no module: exits 0, counts the entries" "$rc $out" "0 $WORK/big: valid: 5000 entries"
RUN_SYSFS=$WORK/nomodule run exempt replace --check "$WORK/badlist"
is "exempt replace --check of a bad file: exits 1" "$rc" 1
# Host bits are cleared, and said so.
fresh
run exempt add 192.0.2.7/24 2001:db8::1/32 10.1.0.0/16
is "exempt add 192.0.2.7/24: exits 0" "$rc" 0
is "exempt add: a warning names what was stored, for each entry with host bits" "$err" \
	"port53guard: warning: '192.0.2.7/24' is stored as 192.0.2.0/24
port53guard: warning: '2001:db8::1/32' is stored as 2001:db8::/32"
printf '198.51.100.9/24\n' >"$WORK/hostbits"
run exempt replace "$WORK/hostbits"
is "exempt replace: the warning names file and line" "$err" \
	"port53guard: warning: $WORK/hostbits:1: '198.51.100.9/24' is stored as 198.51.100.0/24"
# IPv4-mapped prefixes of length 96 or more are IPv4 entries, and said so.
fresh
run exempt add ::ffff:198.51.100.0/120 ::ffff:0:0/95 ::FFFF:203.0.113.9
is "exempt add of IPv4-mapped prefixes: exits 0" "$rc" 0
is "exempt add of IPv4-mapped prefixes: /96 and longer written as IPv4, /95 as IPv6" \
	"$(writes exempt)" "$(rec 'add 198.51.100.0/24\nadd 203.0.113.9/32\nadd ::fffe:0:0/95\n')"
is "exempt add of IPv4-mapped prefixes: the list holds the IPv4 entries" "$(cat "$SYS/exempt")" \
	"10.0.0.0/8
192.0.2.0/24
198.51.100.0/24
203.0.113.9/32
::fffe:0:0/95
2001:db8::/32
dev:wg+"
is "exempt add of IPv4-mapped prefixes: a warning names what was stored" "$err" \
	"port53guard: warning: '::ffff:198.51.100.0/120' is IPv4-mapped: stored as 198.51.100.0/24
port53guard: warning: '::ffff:0:0/95' is stored as ::fffe:0:0/95
port53guard: warning: '::FFFF:203.0.113.9' is IPv4-mapped: stored as 203.0.113.9/32"
run exempt del ::ffff:10.0.0.0/104
is "exempt del ::ffff:10.0.0.0/104 deletes 10.0.0.0/8" "$rc:$(writes exempt | tail -n1)" \
	"0:$(rec 'del 10.0.0.0/8\n')"
fresh
printf '::ffff:10.1.2.3/120\n::ffff:0:0/96\n' >"$WORK/mapped"
run exempt replace "$WORK/mapped"
is "exempt replace of IPv4-mapped prefixes: stored as IPv4" "$rc:$(cat "$SYS/exempt")" \
	"0:0.0.0.0/0
10.1.2.0/24"
is "exempt replace of IPv4-mapped prefixes: each warning names file, line and what was stored" \
	"$err" "port53guard: warning: $WORK/mapped:1: '::ffff:10.1.2.3/120' is IPv4-mapped: stored as 10.1.2.0/24
port53guard: warning: $WORK/mapped:2: '::ffff:0:0/96' is IPv4-mapped: stored as 0.0.0.0/0"
fresh
printf 'exempt flush\nexempt add ::ffff:192.0.2.0/120 2001:db8::/32\n' >"$WORK/mapped-saved"
run restore "$WORK/mapped-saved"
is "restore of an IPv4-mapped prefix: stored as IPv4, said so" "$rc:$(cat "$SYS/exempt"):$err" \
	"0:192.0.2.0/24
2001:db8::/32:port53guard: warning: $WORK/mapped-saved:2: '::ffff:192.0.2.0/120' is IPv4-mapped: stored as 192.0.2.0/24"
# Entries are checked before the module is looked for.
RUN_SYSFS=$WORK/absent run exempt add 10.0.0.0/8 999.0.0.0
is "exempt add of a bad entry, no module: the bad entry named, exit 1" "$rc:$err" \
	"1:port53guard: '999.0.0.0': IPv4 part out of range 0-255"
RUN_SYSFS=$WORK/absent run exempt del 10.0.0.0/33
is "exempt del of a bad entry, no module: the bad entry named, exit 1" "$rc:$err" \
	"1:port53guard: '10.0.0.0/33': prefix length must be 0-32"
RUN_SYSFS=$WORK/absent run exempt add 10.0.0.0/8
is "exempt add of a good entry, no module: says so" "$rc:$err" "1:$NOMOD"
# Bad input is quoted: no terminal escape reaches it, long input is cut.
fresh
run exempt add "$(printf '\033[31mred\033[0m')"
is "a bad entry with escape sequences: shown escaped" "$err" \
	"port53guard: '\\x1b[31mred\\x1b[0m': non-printable byte in entry"
long=$(head -c 5000 /dev/zero | tr '\0' 'a')
run exempt add "$long"
is "a 5000-byte entry: cut, with its length" "$err" \
	"port53guard: '$(head -c 64 /dev/zero | tr '\0' 'a')'... (5000 bytes): not an IPv4 or IPv6 address, nor dev:NAME"
run set action "$(printf 'drop\001')"
is "a bad value with a control byte: escaped" "$err" \
	"port53guard: action: 'drop\\x01': must be reject, drop or monitor"
fresh
echo 100 >"$SYS/.max_entries"
run exempt replace "$WORK/big"
is "exempt replace over max_entries: exits 1" "$rc" 1
is "exempt replace over max_entries: says so" "$err" \
	"port53guard: $SYS/exempt: No space left on device (the list would exceed the module's max_entries)"
# the module refuses the staged write that would take the list over it
is "exempt replace over max_entries: ENOSPC on the staged write over it, then abort" \
	"$(writes exempt | tail -n 2 | cut -d' ' -f1,2 | tr '\n' ' ')" '4080 ENOSPC 6 ok '
is "exempt replace over max_entries: no commit was written" "$(writes exempt | grep -c commit)" 0
is "exempt replace over max_entries: the list is unchanged" "$(wc -l <"$SYS/exempt")" 4

# Another process holds a staged replace.
fresh
sleep 30 &
holder=$!
bg_pids+=("$holder")
echo "$holder" >"$SYS/.staged_owner"
: >"$SYS/.staged"
run exempt replace "$WORK/big"
is "EBUSY without -w: fails at once, exit 1, one try" "$rc:$(writes exempt | grep -c EBUSY)" "1:1"
is "EBUSY without -w: names -w" "$err" \
	"port53guard: $SYS/exempt: another process is replacing the list (begin ... commit); -w [SECONDS] waits for it"
: >"$SYS/.writes"
t0=$(date +%s%N)
run exempt replace -w 1 "$WORK/big"
t1=$(date +%s%N)
is "begin while another process is staged (EBUSY), -w 1: exits 1" "$rc" 1
is "EBUSY: says who holds the list and how long it waited" "$err" \
	"port53guard: $SYS/exempt: another process is replacing the list (begin ... commit); gave up after 1 s (-w 1)"
check "EBUSY: it waited about -w seconds (1-5 s), no longer" \
	test $(((t1 - t0) / 1000000)) -ge 1000 -a $(((t1 - t0) / 1000000)) -lt 5000
check "EBUSY: it tried again more than once" test "$(writes exempt | grep -c EBUSY)" -gt 2
is "EBUSY: the list is unchanged" "$(wc -l <"$SYS/exempt")" 4
echo 'set log 1' >"$WORK/w-saved"
for w in "exempt add --wait=0 10.9.0.0/16" "exempt del -w 0 10.0.0.0/8" "exempt flush --wait 0" \
	"restore -w 0 $WORK/w-saved" "set -w 0 log 1"; do
	# shellcheck disable=SC2086
	run $w
	check "$w: takes -w (fails only on EBUSY or not at all)" \
		bash -c '[ "$1" = 0 ] || grep -q -- "-w" "$2"' _ "$rc" "$ERR"
done
run exempt add -w 5s 10.9.0.0/16
is "-w with a bad SECONDS: a usage error" "$rc:$(head -n1 "$ERR")" \
	"2:port53guard: add: -w: '5s': expected SECONDS, 0 to 31536000"
kill "$holder"
wait "$holder" 2>/dev/null
fresh
sleep 1 &
holder=$!
bg_pids+=("$holder")
echo "$holder" >"$SYS/.staged_owner"
: >"$SYS/.staged"
run exempt replace -w "$WORK/big"
is "-w with no SECONDS: EBUSY until the holder exits, then the replace goes through" "$rc" 0
is "EBUSY then success: the list is the new one" "$(cat "$SYS/exempt")" "$(cat "$WORK/big")"
check "EBUSY then success: the first begins failed with EBUSY" \
	test "$(writes exempt | head -n 1)" = '6 EBUSY begin\n'

########################################################################
# --exist, as ipset's -exist: no error for an entry already there or gone.
fresh
run exempt del --exist 10.0.0.0/8 198.51.100.0/24
is "exempt del --exist: an entry already gone is skipped, exit 0" "$rc:$err" "0:"
is "exempt del --exist: the entry there is deleted, one write" \
	"$(grep -c '^10\.0\.0\.0/8$' "$SYS/exempt"):$(writes exempt)" '0:15 ok del 10.0.0.0/8\n'
run exempt del --exist 198.51.100.0/24
is "exempt del --exist of entries all gone: exit 0, nothing written" "$rc:$(nwrites exempt)" "0:1"
run exempt del 198.51.100.0/24
is "exempt del without --exist of an entry gone: exit 1" "$rc" 1
run exempt add --exist 192.0.2.0/24
is "exempt add --exist of an entry already there: exit 0" "$rc:$err" "0:"
RUN_SYSFS=$WORK/absent run exempt del --exist 10.0.0.0/33
is "exempt del --exist: a bad entry still named" "$rc:$err" "1:port53guard: '10.0.0.0/33': prefix length must be 0-32"

########################################################################
# reset-counters: "0" to the stats file; the list's gauges stay.
fresh
run reset-counters
is "reset-counters: exits 0, one write of 0 to stats" "$rc:$(writes stats)" '0:2 ok 0\n'
is "reset-counters: every counter is 0, the list's gauges stay" \
	"$(grep -c ' 0$' "$SYS/stats"):$(grep '^exempt_entries ' "$SYS/stats")" "6:exempt_entries 4"
run status --json
check "reset-counters: status shows the counters at 0" grep -q '"rejected": *0' "$OUT"
run reset-counters -w 5
is "reset-counters -w 5: takes -w" "$rc" 0
run reset-counters now
is "reset-counters with an argument: a usage error" "$rc:$err" \
	"2:port53guard: reset-counters: unexpected argument 'now'"
RUN_SYSFS=$WORK/absent run reset-counters
is "reset-counters, no module: says so" "$rc:$err" "1:$NOMOD"
touch "$SYS/.eperm"
run reset-counters
is "reset-counters refused: the errno said" "$rc:$err" \
	"1:port53guard: $SYS/stats: Operation not permitted (needs CAP_NET_ADMIN)"

########################################################################
# exempt check
fresh
printf '10.0.0.0/8\n10.1.0.0/16\n2001:db8::/32\ndev:eth0\ndev:wg+\n' >"$SYS/exempt"
check_case() {
	local want_rc=$1 want=$2; shift 2
	run exempt check "$@"
	is "exempt check $*: exits $want_rc" "$rc" "$want_rc"
	is "exempt check $*: says why" "$out" "$want"
}
check_case 0 "10.1.2.3: passes (exempt by 10.1.0.0/16)" 10.1.2.3
check_case 0 "10.2.0.1: passes (exempt by 10.0.0.0/8)" 10.2.0.1
check_case 1 "192.0.2.1: blocked (action reject: answered with ICMP port unreachable)" 192.0.2.1
check_case 0 "2001:db8::53: passes (exempt by 2001:db8::/32)" 2001:DB8:0::53
check_case 0 "10.1.2.3: passes (exempt by 10.1.0.0/16)" ::ffff:10.1.2.3
check_case 1 "192.0.2.1: blocked (action reject: answered with ICMP port unreachable)" ::ffff:192.0.2.1
check_case 1 "2001:db9::1: blocked (action reject: answered with ICMPv6 port unreachable)" 2001:db9::1
check_case 0 "192.0.2.1 on wg0: passes (exempt by dev:wg+)" 192.0.2.1 dev wg0
check_case 0 "192.0.2.1 on eth0: passes (exempt by dev:eth0)" 192.0.2.1 dev eth0
check_case 1 "192.0.2.1 on eth1: blocked (action reject: answered with ICMP port unreachable)" 192.0.2.1 dev eth1
check_case 0 "192.0.2.1 on lo: passes (arrived on a loopback device)" 192.0.2.1 dev lo
echo 0 >"$SYS/loopback"
check_case 1 "192.0.2.1 on lo: blocked (action reject: answered with ICMP port unreachable)" 192.0.2.1 dev lo
echo drop >"$SYS/action"
check_case 1 "192.0.2.1: blocked (action drop: dropped silently)" 192.0.2.1
echo monitor >"$SYS/action"
check_case 0 "192.0.2.1: passes (action monitor: counted and logged, not blocked)" 192.0.2.1
echo reject >"$SYS/action"
echo 0 >"$SYS/enabled"
check_case 0 "192.0.2.1: passes (the guard is disabled)" 192.0.2.1
echo 1 >"$SYS/enabled"
# A prefix passes only if every address in it would: one exempt prefix of
# its family holds it whole, or the interface, loopback, monitor, disabled.
echo 1 >"$SYS/loopback"
check_case 0 "10.1.0.0/16: passes (exempt by 10.1.0.0/16)" 10.1.0.0/16
check_case 0 "10.1.2.0/24: passes (exempt by 10.1.0.0/16)" 10.1.2.0/24
check_case 0 "10.0.0.0/8: passes (exempt by 10.0.0.0/8)" 10.0.0.0/8
check_case 0 "10.1.2.3/32: passes (exempt by 10.1.0.0/16)" 10.1.2.3/32
check_case 1 "10.0.0.0/7: blocked (action reject: answered with ICMP port unreachable)" 10.0.0.0/7
check_case 1 "0.0.0.0/0: blocked (action reject: answered with ICMP port unreachable)" 0.0.0.0/0
check_case 1 "11.0.0.0/8: blocked (action reject: answered with ICMP port unreachable)" 11.0.0.0/8
check_case 0 "2001:db8:1::/48: passes (exempt by 2001:db8::/32)" 2001:db8:1::/48
check_case 1 "2001:db8::/31: blocked (action reject: answered with ICMPv6 port unreachable)" 2001:db8::/31
check_case 1 "::/0: blocked (action reject: answered with ICMPv6 port unreachable)" ::/0
check_case 0 "10.0.0.0/8: passes (exempt by 10.0.0.0/8)" 10.200.3.4/8
is "exempt check of a prefix with host bits: no warning" "$err" ""
check_case 0 "10.1.0.0/16: passes (exempt by 10.1.0.0/16)" ::ffff:10.1.0.0/112
check_case 0 "0.0.0.0/0 on wg0: passes (exempt by dev:wg+)" 0.0.0.0/0 dev wg0
check_case 0 "::/0 on lo: passes (arrived on a loopback device)" ::/0 dev lo
check_case 1 "0.0.0.0/0 on eth1: blocked (action reject: answered with ICMP port unreachable)" 0.0.0.0/0 dev eth1
echo monitor >"$SYS/action"
check_case 0 "0.0.0.0/0: passes (action monitor: counted and logged, not blocked)" 0.0.0.0/0
echo drop >"$SYS/action"
check_case 1 "0.0.0.0/0: blocked (action drop: dropped silently)" 0.0.0.0/0
echo reject >"$SYS/action"
echo 0 >"$SYS/enabled"
check_case 0 "::/0: passes (the guard is disabled)" ::/0
echo 1 >"$SYS/enabled"
# Two halves exempt are not one prefix that holds it: the contract asks one.
printf '10.0.0.0/9\n10.128.0.0/9\n' >"$SYS/exempt"
check_case 1 "10.0.0.0/8: blocked (action reject: answered with ICMP port unreachable)" 10.0.0.0/8
check_case 0 "10.128.0.0/10: passes (exempt by 10.128.0.0/9)" 10.128.0.0/10
printf '10.0.0.0/8\n10.1.0.0/16\n2001:db8::/32\ndev:eth0\ndev:wg+\n' >"$SYS/exempt"
check_bad() {
	local want=$1; shift
	run exempt check "$@"
	is "exempt check $*: exits 2 (usage)" "$rc" 2
	is "exempt check $*: names the bad argument" "$err" "$want"
}
check_bad "port53guard: 'dev:eth0': check takes an IPv4 or IPv6 address or prefix; give the interface as 'dev IF'" dev:eth0
check_bad "port53guard: '10.0.0.0/33': prefix length must be 0-32" 10.0.0.0/33
check_bad "port53guard: '2001:db8::/129': prefix length must be 0-128" 2001:db8::/129
check_bad "port53guard: '300.1.1.1': IPv4 part out of range 0-255" 300.1.1.1
check_bad "port53guard: 'a/b': '/' in interface name" 192.0.2.1 dev a/b
check_bad "port53guard: 'abcdefghijklmnop': interface name longer than 15 bytes" 192.0.2.1 dev abcdefghijklmnop
check "exempt check writes nothing" test ! -e "$SYS/.writes"
# authoritative 1: no packet is read, so the answer is for RD set, and says so.
echo 1 >"$SYS/authoritative"
run exempt check 198.51.100.7
is "exempt check, authoritative 1: blocked, judged as RD set" "$rc:$out" \
	"1:198.51.100.7: blocked (action reject: answered with ICMP port unreachable)
198.51.100.7: judged as a query with RD set; with authoritative 1 one with RD clear passes (iterative)"
run exempt check 10.1.2.3
is "exempt check, authoritative 1: an exempt source passes, no note" "$rc:$out" \
	"0:10.1.2.3: passes (exempt by 10.1.0.0/16)"
echo 0 >"$SYS/authoritative"
# Cannot tell is not "blocked": 3, with the reason.
RUN_SYSFS=$WORK/nomodule run exempt check 192.0.2.1
is "exempt check with no module: exits 3, says so" "$rc:$err" "3:$NOMOD"
fresh
echo 1000 >"$SYS/.eagain"
seq 0 999 | awk '{printf "10.%d.%d.0/24\n", int($1/256), $1%256}' >"$SYS/exempt"
run exempt check 192.0.2.1
is "exempt check when the list cannot be read: exits 3" "$rc" 3

########################################################################
# set
set_case() {
	local name=$1 value=$2 stored=$3
	fresh
	run set "$name" "$value"
	is "set $name $value: exits 0" "$rc" 0
	is "set $name $value: writes '$stored' once" "$(writes "$name")" "$((${#stored} + 1)) ok $stored\\n"
	is "set $name $value: the module holds $stored" "$(cat "$SYS/$name")" "$stored"
}
set_case enabled 0 0
set_case enabled off 0
set_case enabled YES 1
set_case tcp on 1
set_case tcp false 0
set_case loopback n 0
set_case log true 1
set_case action drop drop
set_case action monitor monitor
set_case rate 0 0
set_case rate 1000000 1000000
bad_set() {
	local want=$1; shift
	fresh
	run set "$@"
	is "set $*: exits 1" "$rc" 1
	is "set $*: names the setting, the value and what it takes" "$err" "$want"
	check "set $*: writes nothing" test ! -e "$SYS/.writes"
}
bad_set "port53guard: action: 'bogus': must be reject, drop or monitor" action bogus
bad_set "port53guard: action: 'REJECT': must be reject, drop or monitor" action REJECT
bad_set "port53guard: enabled: '2': must be 1 or 0 (or y/n, yes/no, on/off, true/false)" enabled 2
bad_set "port53guard: log: '': must be 1 or 0 (or y/n, yes/no, on/off, true/false)" log ""
bad_set "port53guard: rate: '1000001': must be a decimal number 0-1000000 (no sign, no leading zeros)" rate 1000001
bad_set "port53guard: rate: '007': must be a decimal number 0-1000000 (no sign, no leading zeros)" rate 007
bad_set "port53guard: rate: '-1': must be a decimal number 0-1000000 (no sign, no leading zeros)" rate -1
bad_set "port53guard: rate: '12k': must be a decimal number 0-1000000 (no sign, no leading zeros)" rate 12k
fresh
touch "$SYS/.eperm"
run set enabled 0
is "set without CAP_NET_ADMIN: exits 1" "$rc" 1
is "set without CAP_NET_ADMIN: says so" "$err" "port53guard: $SYS/enabled: 0: Operation not permitted (needs CAP_NET_ADMIN)"
fresh
echo EINVAL >"$SYS/.inject"
run set rate 5
is "set refused by the module: names file, value and error" "$err" "port53guard: $SYS/rate: 5: Invalid argument"
fresh
touch "$SYS/.short"
run set rate 5
is "set with a short write: exits 1" "$rc" 1
is "set with a short write: says so" "$err" "port53guard: $SYS/rate: short write: the module took part of '5'"

########################################################################
# save, restore
# save_header: the first line of $OUT names tool, version, host and a time
# (UTC, ISO 8601) within a minute of now.
save_header() {
	local first when
	first=$(head -n1 "$OUT")
	when=${first##* at }
	[ "${first% at *}" = "# Generated by port53guard 0.1.0 on $(uname -n)" ] &&
		[[ $when =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] &&
		when=$(date -u -d "$when" +%s) && [ $(($(date -u +%s) - when)) -lt 60 ] &&
		[ "$when" -le "$(date -u +%s)" ]
}
fresh
run save
is "save exits 0" "$rc" 0
check "save begins with '# Generated by port53guard VERSION on HOST at DATE' (UTC, ISO 8601)" save_header
out=$(sed 1d "$OUT")
is "save prints settings, then flush and the list" "$out" "set enabled 1
set action reject
set tcp 0
set loopback 1
set log 0
set rate 200
set forward 1
set authoritative 0
exempt flush
exempt add 10.0.0.0/8
exempt add 192.0.2.0/24
exempt add 2001:db8::/32
exempt add dev:wg+"
run save --modprobe
check "save --modprobe begins with the same comment, valid in modprobe.d" save_header
out=$(sed 1d "$OUT")
is "save --modprobe prints one options line" "$out" \
	"options port53guard enabled=1 action=reject tcp=0 loopback=1 log=0 rate=200 forward=1 authoritative=0 exempt=10.0.0.0/8,192.0.2.0/24,2001:db8::/32,dev:wg+"
: >"$SYS/exempt"
run save --modprobe
out=$(sed 1d "$OUT")
is "save --modprobe with an empty list leaves exempt= out" "$out" \
	"options port53guard enabled=1 action=reject tcp=0 loopback=1 log=0 rate=200 forward=1 authoritative=0"
seq 1 100 | awk '{printf "2001:db8:%x::/48\n", $1}' >"$SYS/exempt"
need=$(paste -sd, "$SYS/exempt" | tr -d '\n' | wc -c)
run save --modprobe
is "save --modprobe of a list over 1023 bytes: exits 1" "$rc" 1
is "save --modprobe of a list over 1023 bytes: prints nothing" "$out" ""
is "save --modprobe of a list over 1023 bytes: says why and what to do" "$err" \
	"port53guard: save --modprobe: the exempt list needs $need bytes as a module parameter, more than the kernel's 1023; use 'port53guard save' and restore it at boot"
seq 1 60 | awk '{printf "2001:db8:%x::/48\n", $1}' >"$SYS/exempt"
run save --modprobe
check "save --modprobe of a list just under 1023 bytes fits" \
	test "$rc" = 0 -a "$(sed -n 's/^options .* exempt=//p' "$OUT" | tr -d '\n' | wc -c)" -gt 1000 -a \
	"$(sed -n 's/^options .* exempt=//p' "$OUT" | tr -d '\n' | wc -c)" -le 1023
printf 'dev:a,b\n' >"$SYS/exempt"
run save --modprobe
is "save --modprobe refuses an interface name with a comma" "$err" \
	"port53guard: dev:a,b: cannot be written as a module parameter (it holds ',')"

# save -o: the file whole, old or new, never half.
fresh
run save
cp "$OUT" "$WORK/save-stdout"
mkdir -p "$WORK/etc"
echo "old content" >"$WORK/etc/p53g.conf"
run save -o "$WORK/etc/p53g.conf"
is "save -o FILE: exits 0, prints nothing" "$rc:$out" "0:"
check "save -o FILE: the file is what save prints (but the time)" \
	cmp -s <(sed '1s/ at [^ ]*$//' "$WORK/etc/p53g.conf") <(sed '1s/ at [^ ]*$//' "$WORK/save-stdout")
# restore takes save's output, its comment line included.
echo 0 >"$SYS/enabled"
: >"$SYS/exempt"
run restore "$WORK/etc/p53g.conf"
is "restore of save's output (a comment line first): exits 0, quiet" "$rc:$err" "0:"
is "restore of save's output: the saved configuration is back" "$(state)" \
	"$(printf '1\nreject\n0\n1\n0\n200\n1\n0\n10.0.0.0/8\n192.0.2.0/24\n2001:db8::/32\ndev:wg+')"
RUN_SYSFS=$WORK/absent run restore --check "$WORK/etc/p53g.conf"
is "restore --check of save's output: valid" "$rc:$out" "0:$WORK/etc/p53g.conf: valid: 8 settings, 5 exempt lines"
is "save -o FILE: mode 0644" "$(stat -c %a "$WORK/etc/p53g.conf")" 644
is "save -o FILE: no temporary file left beside it" "$(ls "$WORK/etc")" p53g.conf
echo "old content" >"$WORK/etc/p53g.conf"
RUN_SYSFS=$WORK/absent run save -o "$WORK/etc/p53g.conf"
is "save -o with no module: exits 1" "$rc" 1
is "save -o with no module: the old file is untouched, nothing beside it" \
	"$(cat "$WORK/etc/p53g.conf") $(ls "$WORK/etc")" "old content p53g.conf"
echo 1000 >"$SYS/.eagain"
seq 0 999 | awk '{printf "10.%d.%d.0/24\n", int($1/256), $1%256}' >"$SYS/exempt"
run save -o "$WORK/etc/p53g.conf"
is "save -o when the list cannot be read: exits 1, old file untouched" \
	"$rc $(cat "$WORK/etc/p53g.conf") $(ls "$WORK/etc")" "1 old content p53g.conf"
rm -f "$SYS/.eagain"
run save -o "$WORK/nodir/p53g.conf"
is "save -o into a missing directory: exits 1, names it" "$rc:${err%%:*}" "1:port53guard"

# Round trip: a configuration saved, everything changed, restored.
fresh
echo 1 >"$SYS/tcp"
echo drop >"$SYS/action"
echo 0 >"$SYS/loopback"
echo 1 >"$SYS/log"
echo 5000 >"$SYS/rate"
echo 1 >"$SYS/authoritative"
seq 0 299 | awk '{printf "10.%d.%d.0/24\n", int($1/256), $1%256}' >"$SYS/exempt"
printf 'fe80::/10\ndev:br-lan\n' >>"$SYS/exempt"
state >"$WORK/state-a"
run save
cp "$OUT" "$WORK/saved"
is "save of the configuration to restore exits 0" "$rc" 0
run exempt flush
run exempt add 192.0.2.1
run set action reject
run set rate 7
run set tcp 0
run set log 0
run set loopback 1
run set authoritative 0
is "set authoritative 0 writes the file" "$rc:$(cat "$SYS/authoritative")" "0:0"
check "the configuration was changed before restore" test "$(state)" != "$(cat "$WORK/state-a")"
: >"$SYS/.writes"
run restore "$WORK/saved"
is "restore FILE exits 0" "$rc" 0
is "restore FILE gives back the saved list and settings" "$(state)" "$(cat "$WORK/state-a")"
run save
check "save after restore prints the same file (but the time)" \
	cmp -s <(sed '1s/ at [^ ]*$//' "$OUT") <(sed '1s/ at [^ ]*$//' "$WORK/saved")
check "restore replaced the list in a staged transaction (begin ... commit)" \
	test "$(writes exempt | head -n 1)" = '6 ok begin\n'
is "restore: the settings went with the commit, in its last write" "$(writes exempt | tail -n 1)" \
	"$(rec 'set enabled 1\nset action drop\nset tcp 1\nset loopback 0\nset log 1\nset rate 5000\nset forward 1\nset authoritative 1\ncommit\n')"
check "restore wrote no setting file: settings and list are one transaction" \
	test "$(grep -vc '^exempt ' "$SYS/.writes")" = 0
fresh
RUN_STDIN=$WORK/saved run restore -
is "restore - (stdin) exits 0" "$rc" 0
is "restore - gives back the saved list and settings" "$(state)" "$(cat "$WORK/state-a")"
fresh
printf '# only a setting\nset log on\n' >"$WORK/partial"
run restore "$WORK/partial"
is "restore of a file with no exempt line leaves the list alone" "$(cat "$SYS/exempt")" \
	"$(printf '10.0.0.0/8\n192.0.2.0/24\n2001:db8::/32\ndev:wg+')"
is "restore of 'set log on' sets log to 1" "$(cat "$SYS/log")" 1
is "restore of a file with no exempt line: one write of its set line" "$(writes exempt)" "$(rec 'set log 1\n')"
fresh
printf 'exempt add 198.51.100.0/24 203.0.113.0/24\nexempt del 10.0.0.0/8\nset rate 50\n' >"$WORK/small"
run restore "$WORK/small"
is "restore of a small change: one atomic write of its settings and lines" "$(writes exempt)" \
	"$(rec 'set rate 50\nadd 198.51.100.0/24\nadd 203.0.113.0/24\ndel 10.0.0.0/8\n')"
is "restore of a small change: the setting and the list both changed" \
	"$(cat "$SYS/rate") $(tr '\n' ' ' <"$SYS/exempt")" "50 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 2001:db8::/32 dev:wg+ "
fresh
printf 'set action reject\nexempt del 198.51.100.0/24\n' >"$WORK/absent"
run restore "$WORK/absent"
is "restore with a del of an absent entry: exits 1" "$rc" 1
is "restore with a del of an absent entry: names file, line and entry" "$err" \
	"port53guard: $WORK/absent:2: 198.51.100.0/24: not in the exempt list"
is "restore with a del of an absent entry: no setting is applied" "$(cat "$SYS/action")" reject
fresh
echo drop >"$SYS/action"
seq 0 1199 | awk '{printf "exempt add 10.%d.%d.0/24\n", int($1/256), $1%256}' >"$WORK/big-restore"
printf 'set action monitor\nset rate 9\n' >>"$WORK/big-restore"
before=$(state)
echo "EIO 3" >"$SYS/.inject"
run restore "$WORK/big-restore"
is "restore whose third write fails: exits 1" "$rc" 1
is "restore whose third write fails: nothing changed, settings nor list" "$(state)" "$before"
is "restore whose third write fails: the transaction was aborted" "$(writes exempt | tail -n 1)" "$(rec 'abort\n')"
run restore "$WORK/big-restore"
is "the same restore without the failure: exits 0" "$rc" 0
is "the same restore: settings and list both new (4 + 1200 added)" "$(cat "$SYS/action") $(cat "$SYS/rate") $(wc -l <"$SYS/exempt")" "monitor 9 1204"
fresh
printf 'set action reject\nset action sideways\nexempt add 10.0.0.0/33\nset colour red\nexempt flush now\nexempt add\nfrobnicate\nset rate\n' >"$WORK/bad"
run restore "$WORK/bad"
is "restore of a bad file: exits 1" "$rc" 1
is "restore of a bad file: names every bad line, changes nothing" "$err" \
	"port53guard: $WORK/bad:2: action: 'sideways': must be reject, drop or monitor
port53guard: $WORK/bad:3: '10.0.0.0/33': prefix length must be 0-32
port53guard: $WORK/bad:4: unknown setting 'colour'
port53guard: $WORK/bad:5: exempt flush takes no argument
port53guard: $WORK/bad:6: exempt add needs an entry
port53guard: $WORK/bad:7: expected 'set NAME VALUE' or 'exempt flush|add|del'
port53guard: $WORK/bad:8: expected 'set rate VALUE'
port53guard: $WORK/bad: nothing changed"
check "restore of a bad file writes nothing" test ! -e "$SYS/.writes"
run restore "$WORK/nonexistent"
is "restore of a missing file: named, exit 1" "$rc:$err" "1:port53guard: $WORK/nonexistent: No such file or directory"

# Empty input is refused; --check checks without the module.
fresh
before=$(state)
printf '# nothing\n\n' >"$WORK/nothing"
run restore "$WORK/nothing"
is "restore of a file with no line: exits 1" "$rc" 1
is "restore of a file with no line: says why and what to do" "$err" \
	"port53guard: $WORK/nothing: no setting and no exempt line: nothing changed (--allow-empty accepts that; 'exempt flush' empties the list)"
RUN_STDIN=/dev/null run restore -
is "restore - of empty standard input: exits 1, changes nothing" "$rc $(state)" "1 $before"
run restore --allow-empty "$WORK/nothing"
is "restore --allow-empty of a file with no line: exits 0, changes nothing" "$rc $(state)" "0 $before"
RUN_SYSFS=$WORK/nomodule run restore --check "$WORK/saved"
is "restore --check of a good file, no module: exits 0" "$rc" 0
is "restore --check: says what it found" "$out" "$WORK/saved: valid: 8 settings, 303 exempt lines"
RUN_SYSFS=$WORK/nomodule run restore --check "$WORK/bad"
is "restore --check of a bad file, no module: exits 1, names the lines" "$rc $(echo "$err" | head -n1)" \
	"1 port53guard: $WORK/bad:2: action: 'sideways': must be reject, drop or monitor"
check "restore --check writes nothing" test ! -e "$SYS/.writes"

# Input is read a line at a time, never whole: at most max_entries entries
# (the module's, else its default) and lines of at most 4096 bytes, so that
# memory stays bounded whatever comes; more is refused at once.
fresh
echo 1000 >"$MOD/parameters/max_entries"
seq 0 1000 | awk '{printf "exempt add 10.%d.%d.0/24\n", int($1/256), $1%256}' >"$WORK/over"
run restore --check "$WORK/over"
is "restore --check of 1001 entries, max_entries 1000: refused, the cap named" "$rc:$err" \
	"1:port53guard: $WORK/over:1001: more than 1000 entries (the module's max_entries): nothing changed"
sed 's/^exempt add //' "$WORK/over" >"$WORK/over-list"
run exempt replace "$WORK/over-list"
is "exempt replace of 1001 entries, max_entries 1000: refused, the cap named, nothing written" \
	"$rc:$err:$(nwrites exempt)" \
	"1:port53guard: $WORK/over-list:1001: more than 1000 entries (the module's max_entries): nothing changed:0"
t0=$(date +%s%N)
RUN_SYSFS=$WORK/absent RUN_STDIN=<(seq 0 99999 | awk '{printf "exempt add 10.%d.%d.%d\n", int($1/65536), int($1/256)%256, $1%256}') \
	run restore --check -
t1=$(date +%s%N)
is "restore --check - of 100000 entries, no module: refused at the default cap" "$rc:$err" \
	"1:port53guard: stdin:65537: more than 65536 entries (the default max_entries: the module is not loaded): nothing changed"
check "restore --check - of too many entries: refused within 10 s" test $(((t1 - t0) / 1000000)) -lt 10000
# The cap counts entries as the module does: the same prefix twice is one.
{ echo 'exempt flush'; head -n 1000 "$WORK/over"; head -n 49 "$WORK/over"; } >"$WORK/at-cap"
run restore --check "$WORK/at-cap"
is "restore --check of 1000 entries and 49 repeats, max_entries 1000: valid" "$rc:$err" "0:"
sed '1d;s/^exempt add //' "$WORK/at-cap" >"$WORK/at-cap-list"
run exempt replace --check "$WORK/at-cap-list"
is "exempt replace --check of 1000 entries and 49 repeats, max_entries 1000: valid" "$rc:$out" \
	"0:$WORK/at-cap-list: valid: 1000 entries"
run exempt replace "$WORK/at-cap-list"
is "exempt replace of 1000 entries and 49 repeats: applied, 1000 in the list" \
	"$rc:$(wc -l <"$SYS/exempt")" "0:1000"
RUN_STDIN=<(yes 'exempt add 10.0.0.0/8' | head -n 100000) run restore --check -
is "restore --check - of one entry 100000 times: one entry, valid" "$rc:$out" \
	"0:stdin: valid: 0 settings, 1 exempt lines"
# What verify would say: warnings, exit 0; exit 1 under --strict.
printf '0.0.0.0/0\n::/0\ndev:+\n::ffff:192.0.2.0/120\n10.0.0.0/8\n' >"$WORK/broad"
RUN_SYSFS=$WORK/absent run exempt replace --check "$WORK/broad"
is "exempt replace --check: over-broad and IPv4-mapped entries are warnings, exit 0" "$rc:$out" \
	"0:$WORK/broad: valid: 5 entries (with warnings)"
is "exempt replace --check: each warning names the entry and what would be stored" "$err" \
	"port53guard: warning: $WORK/broad:1: 0.0.0.0/0 exempts every IPv4 source (verify fails such a list)
port53guard: warning: $WORK/broad:2: ::/0 exempts every IPv6 source (verify fails such a list)
port53guard: warning: $WORK/broad:3: dev:+ exempts every interface (verify fails such a list)
port53guard: warning: $WORK/broad:4: '::ffff:192.0.2.0/120' is IPv4-mapped: stored as 192.0.2.0/24"
RUN_SYSFS=$WORK/absent run exempt replace --check --strict "$WORK/broad"
is "exempt replace --check --strict: a warning fails it" "$rc:$out" \
	"1:$WORK/broad: valid: 5 entries (warnings: failed by --strict)"
RUN_SYSFS=$WORK/absent run exempt replace --check --strict "$WORK/at-cap-list"
is "exempt replace --check --strict of a clean file: exit 0" "$rc" 0
sed 's/^/exempt add /' "$WORK/broad" >"$WORK/broad-saved"
RUN_SYSFS=$WORK/absent run restore --check "$WORK/broad-saved"
is "restore --check: the same warnings, exit 0" "$rc:$(grep -c warning "$ERR")" "0:4"
RUN_SYSFS=$WORK/absent run restore --check --strict "$WORK/broad-saved"
is "restore --check --strict: a warning fails it" "$rc:$out" \
	"1:$WORK/broad-saved: valid: 0 settings, 5 exempt lines (warnings: failed by --strict)"
run restore --strict "$WORK/broad-saved"
is "restore --strict without --check: a usage error" "$rc:$(head -n1 "$ERR")" \
	"2:port53guard: restore: --strict goes with --check"
RUN_STDIN=<(head -c 20000000 /dev/zero | tr '\0' a) run exempt replace --check -
is "exempt replace --check - of a 20 MB line: refused, the cap named" "$rc:$err" \
	"1:port53guard: stdin:1: line longer than 4096 bytes"
{ echo 'set log 1'; printf '#%4095s\n' ''; printf '#%4096s\n' ''; } >"$WORK/longline"
run restore --check "$WORK/longline"
is "restore --check: a line of 4096 bytes is read, one of 4097 refused" "$rc:$err" \
	"1:port53guard: $WORK/longline:3: line longer than 4096 bytes"
RUN_STDIN=<(yes 'set log 1' | head -n 200000; yes 'exempt flush' | head -n 200000) run restore --check -
is "restore --check: a setting or a flush repeated is kept once" "$rc:$out" "0:stdin: valid: 1 settings, 1 exempt lines"

########################################################################
# The write protocol, over every test above.
fresh
check "every write to exempt was whole lines, at most 4095 bytes, begin/commit alone, only add while staged" \
	test ! -s "$violations"
[ -s "$violations" ] && head -n 5 "$violations"

########################################################################
# Bash completion and man page.
comp() {
	bash -c 'source "$1"; COMP_LINE=$2; COMP_POINT=${#2}; _port53guard; echo "${COMPREPLY[*]}"' \
		_ "$TOP/tools/completion/port53guard.bash" "$1"
}
is "completion: subcommands" "$(comp 'port53guard ')" "status exempt set save restore listeners verify reset-counters fallback help --help --version"
is "completion: fallback's options" "$(comp 'port53guard fallback --')" "--print --remove --unit --help"
is "completion: help SUBCOMMAND" "$(comp 'port53guard help ')" "status exempt set save restore listeners verify reset-counters fallback"
is "completion: reset-counters options" "$(comp 'port53guard reset-counters ')" "-w --wait --help"
is "completion: exempt add options" "$(comp 'port53guard exempt add --')" "--exist --wait --help"
is "completion: exempt del options" "$(comp 'port53guard exempt del -')" "--exist -w --wait --help"
is "completion: status options" "$(comp 'port53guard status ')" "--json --format -o --help"
is "completion: status formats" "$(comp 'port53guard status --format ')" "text json prometheus"
is "completion: verify options" "$(comp 'port53guard verify --')" "--json --probe --saved --help"
is "completion: restore options" "$(comp 'port53guard restore --')" "--check --strict --allow-empty --boot --wait --help"
is "completion: listeners options" "$(comp 'port53guard listeners ')" "--json --help"
is "completion: exempt commands" "$(comp 'port53guard exempt ')" "list add del flush replace check --help"
is "completion: setting names" "$(comp 'port53guard set ')" "enabled action tcp loopback log rate forward authoritative"
is "completion: action values" "$(comp 'port53guard set action ')" "reject drop monitor"
is "completion: boolean values" "$(comp 'port53guard set log o')" "on off"
is "completion: dev:NAME of the interfaces, after the colon" "$(comp 'port53guard exempt add dev:l')" "lo"
is "completion: dev keyword of check" "$(comp 'port53guard exempt check 192.0.2.1 ')" "dev"
mkdir -p "$WORK/bin"
ln -sf "$BIN" "$WORK/bin/port53guard"
is "completion: entries of the list for del" \
	"$(PATH=$WORK/bin:$PATH P53G_SYSFS=$SYS comp 'port53guard exempt del 1')" "10.0.0.0/8 192.0.2.0/24"
# OpenWrt: the init script turns /etc/config/port53guard into restore
# lines; every setting the tool has must reach them.
is "openwrt: every option of /etc/config/port53guard becomes a set line" \
	"$(sh -c '. "$1"
		config_load() { :; }
		config_list_foreach() { :; }
		config_get() { eval "$1=\${2}_v"; eval "$1=\$3-v"; }
		emit_config' _ "$TOP/packaging/openwrt/files/port53guard.init" | grep "^set" | cut -d" " -f2 | tr "\n" " ")" \
	"enabled action tcp loopback log rate forward authoritative "
# verify warns of each FOU/GUE receive port (what ip fou show lists)
fresh
printf '#!/bin/sh\n[ "$1 $2" = "fou show" ] && printf "port 5555 gue\\nport 6666 ipproto 4\\n"\n' >"$WORK/fake-ip"
chmod +x "$WORK/fake-ip"
P53G_IP=$WORK/fake-ip run verify
check "verify: a warning for each FOU/GUE port, with the remedy" \
	bash -c 'grep -q "^warn  fou .*port 5555 gue.*past netfilter, and past the guard: drop UDP to it" "$1" &&
		grep -q "^warn  fou .*port 6666 ipproto 4" "$1"' _ "$OUT"

########################################################################
# A module older than the tool (upgraded, not yet reloaded) has no
# authoritative file: it behaves as 0, and the tool says so where it must.
fresh
rm -f "$SYS/authoritative"
run status
check "old module: status works, authoritative shown as its default" \
	bash -c 'test "$1" = 0 && grep -q "authoritative: 0" "$2"' _ "$rc" "$OUT"
run set authoritative 1
check "old module: set authoritative 1 fails, naming the setting and the remedy" \
	bash -c 'test "$1" = 1 && grep -q "has no setting authoritative: load this version" "$2"' _ "$rc" "$ERR"
printf '%s\n' "set rate 250" "set authoritative 0" "exempt flush" >"$WORK/old.conf"
run restore "$WORK/old.conf"
check "old module: restore of authoritative 0 (its behaviour already) works" \
	bash -c 'test "$1" = 0 && test "$(cat "$2")" = 250' _ "$rc" "$SYS/rate"
printf '%s\n' "set rate 240" "set authoritative 1" >"$WORK/old1.conf"
run restore "$WORK/old1.conf"
check "old module: restore of authoritative 1 changes nothing, exit 1" \
	bash -c 'test "$1" = 1 && test "$(cat "$2")" = 250 && grep -q "nothing changed" "$3"' _ "$rc" "$SYS/rate" "$ERR"
run verify
check "old module: verify runs its checks" grep -q "^ok    enabled" "$OUT"

########################################################################
# restore --boot: the load-time options and the saved file never silently
# override each other.
fresh
echo 0 >"$SYS/generation"
printf '%s\n' "set rate 300" "set action reject" "exempt flush" "exempt add 10.0.0.0/8" >"$WORK/boot.conf"
rm -f "$SYS/.writes"
run restore --boot "$WORK/boot.conf"
is "restore --boot, a file that undoes load-time options: exit 1" "$rc" 1
check "restore --boot: the setting named, with both values" \
	grep -q "set rate 300 would undo rate 200, which the module was loaded with" "$ERR"
check "restore --boot: each exemption it would remove named" \
	bash -c 'grep -q "would remove the exemption 192.0.2.0/24" "$1" && grep -q "would remove the exemption dev:wg+" "$1" &&
		! grep -q "would remove the exemption 10.0.0.0/8" "$1"' _ "$ERR"
check "restore --boot: and what to do" grep -q "must agree; keep the configuration in this file" "$ERR"
is "restore --boot: nothing written" "$(nwrites exempt)$(nwrites rate)" "00"
printf '%s\n' "set rate 200" "set action reject" "exempt add 2001:db8::/32" >"$WORK/boot-ok.conf"
run restore --boot "$WORK/boot-ok.conf"
is "restore --boot, a file that agrees (adds to the list, keeps rate 200): exit 0" "$rc" 0
echo 9 >"$SYS/generation"
run restore --boot "$WORK/boot.conf"
is "restore --boot once the configuration changed since load: the file wins, exit 0" "$rc" 0
is "and it was applied" "$(cat "$SYS/rate")" 300
run restore --boot --check "$WORK/boot.conf"
is "restore --boot --check: usage, exit 2" "$rc" 2

########################################################################
# fallback: the nftables table, rendered; applied through a fake nft that
# keeps what it was given ($WORK/nft.*), never the host's nftables.
fresh
cat >"$WORK/fake-nft" <<'NFT'
#!/bin/bash
case "$1" in
-f)	cp "$2" "$NFTLOG.in"
	[ -n "${FAKE_NFT_FAIL:-}" ] && { echo "Error: $FAKE_NFT_FAIL" >&2; exit 1; }
	exit 0 ;;
-t)	[ -f "$NFTLOG.table" ] && { cat "$NFTLOG.table"; exit 0; }
	echo "Error: No such file or directory" >&2; exit 1 ;;
list)	cat "$NFTLOG.counters"; exit 0 ;;
esac
exit 2
NFT
chmod +x "$WORK/fake-nft"
export P53G_NFT=$WORK/fake-nft P53G_RUN=$WORK/run NFTLOG=$WORK/nft
fbconf=$WORK/fb.conf
printf '%s\n' "set enabled 1" "set action reject" "set tcp 1" "set rate 250" "set forward 1" \
	"exempt flush" "exempt add 10.0.0.0/8" "exempt add 10.1.0.0/16" "exempt add 2001:db8::/32" \
	"exempt add dev:br-lan" "exempt add dev:wg+" 'exempt add dev:a"b' >"$fbconf"
run fallback --print "$fbconf"
is "fallback --print: exit 0" "$rc" 0
check "fallback --print: one transaction that replaces the table" \
	grep -qz 'table inet port53guard {}.delete table inet port53guard.table inet port53guard {' "$OUT"
check "fallback --print: the prefixes as interval sets" \
	grep -qz 'set exempt4 {.*flags interval.*10.0.0.0/8,.*10.1.0.0/16.*set exempt6 {.*2001:db8::/32' "$OUT"
check "fallback --print: exact names in exemptif, NAME+ as iifname \"NAME*\"" \
	bash -c 'grep -qz "set exemptif {.*\"br-lan\"" "$1" && grep -q "iifname \"wg\*\" counter name \"exempted\" accept" "$1"' _ "$OUT"
check "fallback --print: the world-addressed port on input, DNAT from 53 on forward" \
	bash -c 'grep -q "meta l4proto { udp, udplite } ct original proto-dst 53 goto query" "$1" &&
		grep -q "ct status dnat meta l4proto { udp, udplite } ct original proto-dst 53 goto query" "$1"' _ "$OUT"
check "fallback --print: tcp 1 judges SYNs" grep -q 'tcp dport 53 tcp flags & (fin | syn | rst | ack) == syn goto query' "$OUT"
check "fallback --print: the rate in front of the replies, then reject" \
	grep -qz 'limit rate over 250/second burst 250 packets counter name "dropped" drop.*reject with tcp reset.*counter name "rejected" reject' "$OUT"
check "fallback --print: DNS responses along a flow pass" grep -q '@th,80,1 1 counter name "replies" accept' "$OUT"
check "fallback --print: a name nft cannot quote is left out, with a warning naming it" \
	bash -c '! grep -q "a\"b" "$1" && grep -q "dev:.a\"b. cannot be written as an nftables interface name" "$2"' _ "$OUT" "$ERR"
cp "$OUT" "$WORK/fb.printed"
run fallback "$fbconf"
is "fallback FILE: exit 0 through nft" "$rc" 0
check "fallback FILE: nft was given what --print prints" cmp -s "$WORK/nft.in" "$WORK/fb.printed"
check "fallback FILE: the state file says it guards" grep -qx 'guards 1' "$WORK/run/fallback"
check "fallback FILE: and where it came from" grep -q "^file $fbconf\$" "$WORK/run/fallback"
printf '%s\n' "set enabled 0" >"$WORK/fb0.conf"
run fallback --print "$WORK/fb0.conf"
check "fallback, enabled 0: a table with no chain, that says it refuses nothing" \
	bash -c '! grep -q chain "$1" && grep -q "refuses nothing (enabled 0)" "$1"' _ "$OUT"
printf '%s\n' "set action monitor" "set log 1" >"$WORK/fbm.conf"
run fallback --print "$WORK/fbm.conf"
check "fallback, action monitor: counted and let through, never rejected" \
	bash -c 'grep -q "counter name \"monitored\" accept" "$1" && ! grep -q "name \"rejected\"" "$1"' _ "$OUT"
check "fallback, log 1: a log line at most 10 a second" grep -q 'limit rate 10/second log prefix "port53guard: "' "$OUT"
printf '%s\n' "set authoritative 1" "set tcp 1" >"$WORK/fba.conf"
run fallback --print "$WORK/fba.conf"
check "fallback, authoritative 1: RD and QR clear pass before the action, UDP and TCP" \
	bash -c 'grep -qz "@th,80,1 0 @th,87,1 0 counter name \"iterative\" accept.*@ih,32,1 0 @ih,39,1 0 counter name \"iterative\" accept.*reject" "$1"' _ "$OUT"
check "fallback, authoritative 1 and tcp 1: SYNs pass, segments with a payload are read" \
	bash -c 'grep -q "tcp dport 53 tcp flags & rst == 0 @ih,0,8 { 0-255 } goto query" "$1" &&
		! grep -q "== syn goto query" "$1"' _ "$OUT"
run fallback --print "$fbconf"
check "fallback, authoritative 0: no iterative rule" bash -c '! grep -q "counter name \"iterative\" accept" "$1"' _ "$OUT"
rm -f "$WORK/run/fallback"
FAKE_NFT_FAIL="syntax error" run fallback "$fbconf"
is "fallback: nft fails: exit 1" "$rc" 1
check "fallback: nft fails: its message, nothing changed, no state" \
	bash -c 'grep -q "nft could not apply table inet port53guard (nothing changed): .*syntax error" "$1" &&
		test ! -e "$2"' _ "$ERR" "$WORK/run/fallback"
printf 'exempt add 10.0.0.0/33\n' >"$WORK/fbbad.conf"
rm -f "$NFTLOG.in"
run fallback "$WORK/fbbad.conf"
check "fallback: a bad file: exit 1, the line named, nft not run" \
	bash -c 'test "$1" = 1 && grep -q "prefix length" "$2" && grep -q "nothing applied" "$2" &&
		test ! -e "$3"' _ "$rc" "$ERR" "$NFTLOG.in"
for args in "" "--remove $fbconf" "--print --remove" "--print" "--bogus $fbconf"; do
	# shellcheck disable=SC2086
	run fallback $args
	is "fallback $args: usage, exit 2" "$rc" 2
done
# What status, verify and the metrics say of it, with no module.
run fallback "$fbconf"
echo 'table inet port53guard { comment "port53guard fallback: guards (action reject)" }' >"$NFTLOG.table"
printf 'table inet port53guard {\n\tcounter rejected {\n\t\tpackets 7 bytes 420\n\t}\n\tcounter dropped {\n\t\tpackets 2 bytes 120\n\t}\n}\n' >"$NFTLOG.counters"
RUN_SYSFS=$WORK/none run status
is "status, no module, the fallback: exit 0" "$rc" 0
check "status: guarded by the nftables fallback, its counters" \
	bash -c 'grep -q "guarded by the nftables fallback, table inet port53guard" "$1" &&
		grep -q "rejected: 7" "$1" && grep -q "dropped: 2" "$1"' _ "$OUT"
RUN_SYSFS=$WORK/none run status --json
check "status --json: fallback true, guards true" \
	bash -c 'grep -q "\"fallback\": true" "$1" && grep -q "\"guards\": true" "$1" && grep -q "\"rejected\": 7" "$1"' _ "$OUT"
RUN_SYSFS=$WORK/none run verify
is "verify, no module, the fallback guards: exit 4" "$rc" 4
check "verify says so" grep -q 'guarded only by the nftables fallback' "$OUT"
RUN_SYSFS=$WORK/none run status --format prometheus
check "metrics: port53guard_up 0, port53guard_fallback 1" \
	bash -c 'grep -qx "port53guard_up 0" "$1" && grep -qx "port53guard_fallback 1" "$1"' _ "$OUT"
echo 'table inet port53guard { comment "port53guard fallback: refuses nothing (enabled 0)" }' >"$NFTLOG.table"
RUN_SYSFS=$WORK/none run verify
is "verify, a table that refuses nothing: exit 1" "$rc" 1
RUN_SYSFS=$WORK/none run status --format prometheus
check "metrics: port53guard_fallback 0 for it" grep -qx 'port53guard_fallback 0' "$OUT"
sed -i 's/^netns .*/netns 1/' "$WORK/run/fallback"
rm -f "$NFTLOG.table"
RUN_SYSFS=$WORK/none run status
check "status: another namespace's state file, no table here: module not loaded, exit 1" \
	bash -c 'test "$1" = 1 && grep -qF "module not loaded" "$2"' _ "$rc" "$ERR"
# With the module: a table beside it fails verify; a change removes it.
run fallback "$fbconf"
echo 'table inet port53guard { comment "port53guard fallback: guards (action reject)" }' >"$NFTLOG.table"
run verify
check "verify, a table beside the module: exit 1, naming it" \
	bash -c 'test "$1" = 1 && grep -q "^fail  fallback .*table inet port53guard is loaded beside the module" "$2"' _ "$rc" "$OUT"
rm -f "$NFTLOG.in"
run exempt add 192.0.2.9
check "a change to the guarding module removes the table, and says so" \
	bash -c 'grep -q "delete table inet port53guard" "$1" && grep -q "removed the nftables fallback" "$2" &&
		test ! -e "$3"' _ "$NFTLOG.in" "$ERR" "$WORK/run/fallback"
rm -f "$NFTLOG.in"
echo monitor >"$SYS/action"
run exempt add 192.0.2.10
check "but not while the module only monitors" test ! -e "$NFTLOG.in"
unset P53G_NFT P53G_RUN NFTLOG

check "man page renders with no groff warnings" \
	bash -c '[ -z "$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$1" 2>&1)" ]' _ "$TOP/tools/port53guard.8"
check "man page covers every subcommand, setting and the sysfs protocol" \
	bash -c 'for w in status "exempt list" "exempt add" "exempt del" "exempt flush" "exempt replace" \
		"exempt check" "set" "save" "restore" fallback port53guard_fallback /run/port53guard/fallback enabled action tcp loopback log rate forward authoritative begin commit abort \
		EBUSY ENOENT ENOSPC EPERM P53G_SYSFS "EXIT STATUS" "SAVE FORMAT" listeners verify \
		--probe --saved prometheus generation changed namespaces counters NETFILTER_CFG reset-counters \
		"CHANGE RECORDS" METRICS port53guard-metrics.timer /etc/port53guard/port53guard.conf; do
		MANWIDTH=200 man -l "$1" 2>/dev/null | grep -q -- "$w" || { echo "$w"; exit 1; }; done' _ "$TOP/tools/port53guard.8"

echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
