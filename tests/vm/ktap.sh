#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Turn the KTAP a guest printed (between P53G-KTAP-BEGIN/END lines) into
# PASS:/FAIL: lines, one per suite, test case and parameter. "not ok" and
# any "# SKIP" fail: a skipped test is not a passed one. A block with no
# result, or a plan ("1..N") whose count does not match, fails too.
#   ktap.sh LOGFILE LABEL
tr -d '\r' <"${1:?}" | awk -v label="${2:?}" '
function indent(s) { match(s, /^ */); return RLENGTH }
function path(lvl,   p, k) {
	p = ""
	for (k = 4; k <= lvl; k += 4)
		if (k in sub_) p = p sub_[k] ": "
	return p
}
function out(res, what) { print res ": [" label "] kunit " what; if (res == "FAIL") bad = 1 }
function close_plan(l) {
	if ((l in plan) && plan[l] != cnt[l])
		out("FAIL", path(l) "plan says " plan[l] " tests, saw " cnt[l] + 0)
	delete plan[l]; delete cnt[l]
}
/^P53G-KTAP-BEGIN/ { inblk = 1; split("", sub_); split("", plan); split("", cnt); nres = 0; next }
/^P53G-KTAP-END/ {
	if (!inblk) next
	if (nres == 0) out("FAIL", "no KTAP results")
	close_plan(0)
	inblk = 0; next
}
!inblk { next }
{
	lvl = indent($0); line = substr($0, lvl + 1)
	if (line ~ /^# Subtest: /) {
		sub_[lvl] = substr(line, 12)
		for (k in sub_) if (k + 0 > lvl) delete sub_[k]
		delete plan[lvl]; delete cnt[lvl]
		next
	}
	if (line ~ /^1\.\.[0-9]+/) { plan[lvl] = substr(line, 4) + 0; cnt[lvl] = 0; next }
	if (line ~ /^(not )?ok [0-9]+/) {
		res = (line ~ /^ok/) ? "PASS" : "FAIL"
		name = line; sub(/^(not )?ok [0-9]+ (- )?/, "", name)
		if (name ~ /# SKIP/) { res = "FAIL"; name = name " (skipped)" }
		cnt[lvl]++; nres++
		close_plan(lvl + 4)
		out(res, path(lvl) name)
		for (k in sub_) if (k + 0 > lvl) delete sub_[k]
	}
}'
