#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Turn the KTAP blocks a guest printed (between P53G-KTAP-BEGIN/END) into
# PASS:/FAIL: lines, one per test case and parameter. "not ok" and any
# "# SKIP" fail: a skipped test is not a passed one. A block with no result
# at all, or a plan whose count does not match, fails too.
#   ktap.sh LOGFILE LABEL
tr -d '\r' <"${1:?}" | awk -v label="${2:?}" '
function indent(s) { match(s, /^ */); return RLENGTH }
function path(lvl,   p, k) {
	p = suite
	for (k = 8; k <= lvl; k += 4)
		if (k in sub_) p = p ": " sub_[k]
	return p
}
/^P53G-KTAP-BEGIN / { inblk = 1; suite = $2; split("", sub_); plan0 = ""; plvl = -1; top = 0; nres = 0; next }
/^P53G-KTAP-END/ {
	if (nres == 0) { print "FAIL: [" label "] kunit " suite ": no results"; bad = 1 }
	if (plan0 != "" && plan0 != top) {
		print "FAIL: [" label "] kunit " suite ": plan says " plan0 " tests, saw " top; bad = 1 }
	inblk = 0; next
}
!inblk { next }
{
	lvl = indent($0); line = substr($0, lvl + 1)
	if (line ~ /^# Subtest: /) { sub_[lvl] = substr(line, 12); for (k in sub_) if (k + 0 > lvl) delete sub_[k]; next }
	if (line ~ /^1\.\.[0-9]+/) { if (plvl < 0) { plvl = lvl; plan0 = substr(line, 4) + 0 } next }
	if (line ~ /^(not )?ok [0-9]+/) {
		res = (line ~ /^ok/) ? "PASS" : "FAIL"
		name = line; sub(/^(not )?ok [0-9]+ (- )?/, "", name)
		if (name ~ /# SKIP/) res = "FAIL"
		if (lvl == 0) next
		if (lvl == plvl) top++
		nres++
		print res ": [" label "] kunit " path(lvl) ": " name (res == "FAIL" && name ~ /# SKIP/ ? " (skipped)" : "")
		for (k in sub_) if (k + 0 > lvl) delete sub_[k]
	}
}'
