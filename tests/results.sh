#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Write the results file of a run: docs/results/NAME.md, dated, with the
# commit, what each part of the run cost and its PASS/FAIL count, and the
# failures. Written by the run itself, never by hand.
#   results.sh NAME SECONDS PASSED FAILED PARTS RESULTS
# PARTS: "name|seconds" lines; RESULTS: the run's PASS:/FAIL: lines.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
name=${1:?} secs=${2:?} passed=${3:?} failed=${4:?} parts=${5:?} res=${6:?}
out=$P53G_TOP/docs/results/$name.md
mkdir -p "$(dirname "$out")"
commit=$(git -C "$P53G_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$P53G_TOP" status --porcelain --untracked-files=no -- module tools tests 2>/dev/null | grep -c .)
{
	echo "# make $name: results"
	echo
	echo "Written by \`make $name\` itself (tests/results.sh); not edited by hand."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- commit: $commit$([ "$dirty" != 0 ] && echo " (with uncommitted changes)")"
	echo "- host: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- result: **$passed passed, $failed failed**, $secs s"
	echo
	echo "| part | kernel (ABI) | seconds | passed | failed |"
	echo "| --- | --- | --: | --: | --: |"
	while IFS='|' read -r p s; do
		abi=-
		case $p in
		"kernel "*) k=${p#kernel }
			abi=$(cat "$P53G_OUT/abi-$k.txt" 2>/dev/null || echo -)
			np=$(grep -c -E "^PASS: \[$k(-dkms)?\] " "$res")
			nf=$(grep -c -E "^FAIL: \[$k(-dkms)?\] " "$res") ;;
		*) np=- nf=- ;;
		esac
		echo "| $p | $abi | $s | $np | $nf |"
	done <"$parts"
	# Notes: what was looked at but counts in neither total (the early
	# warning against kernels Debian does not ship yet).
	if grep -q '^NOTE: ' "$res"; then
		echo
		grep '^NOTE: ' "$res" | sed 's/^NOTE: /- /'
	fi
	# The module's footprint, where a kernel's run measured it (tests/vm/
	# footprint.sh on the .ko, tests/guest/footprint.sh in the guest).
	fps=$(ls "$P53G_OUT"/footprint-*.txt 2>/dev/null)
	if [ -n "$fps" ]; then
		echo
		echo "Footprint (bytes): the .ko's sections; loaded, from /proc/modules;"
		echo "the list's table idle and with 1,000 entries of a kind, from exempt_bytes."
		echo
		echo "| kernel | .ko text / data / bss | loaded | idle | 1,000 v4 hosts | 1,000 v4 /24s | 1,000 v6 /48s | 1,000 mixed |"
		echo "| --- | --- | --: | --: | --: | --: | --: | --: |"
		for f in $fps; do
			k=${f##*/footprint-}; k=${k%.txt}
			awk -v k="$k" '
			function v(key,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) return kv[2] } return "-" }
			/^P53G-FOOTPRINT-KO / && $0 ~ /port53guard\.ko/ { ko = v("text") " / " v("data") " / " v("bss") }
			/^P53G-FOOTPRINT stage=loaded / { loaded = v("size") }
			/^P53G-FOOTPRINT stage=idle / { idle = v("exempt_bytes") }
			/^P53G-FOOTPRINT stage=(v4host|v4net|v6net|mixed) / { split($2, st, "="); b[st[2]] = v("exempt_bytes") }
			END { if (ko == "" && loaded == "") exit
				printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", k, ko, loaded, idle,
					b["v4host"], b["v4net"], b["v6net"], b["mixed"] }' "$f"
		done
	fi
	# What each guest test cost, in the guest's seconds (tests/vm/lib.sh
	# vm_boot writes times-LABEL.txt from the P53G-END lines).
	tms=$(ls "$P53G_OUT"/times-*.txt 2>/dev/null)
	if [ -n "$tms" ]; then
		echo
		echo "Guest tests, seconds of guest time each (a column's total is the boot's"
		echo "test time; booting and building add to the part's wall time above):"
		echo
		# shellcheck disable=SC2086
		awk 'FNR == 1 { k = FILENAME; sub(/.*\/times-/, "", k); sub(/\.txt$/, "", k); ks[++nk] = k }
		{ if (!($1 in seen)) { seen[$1] = 1; ts[++nt] = $1 } s[k, $1] = $2; tot[k] += $2 }
		END {
			printf "| test |"; for (j = 1; j <= nk; j++) printf " %s |", ks[j]; print ""
			printf "| --- |"; for (j = 1; j <= nk; j++) printf " --: |"; print ""
			for (i = 1; i <= nt; i++) {
				printf "| %s |", ts[i]
				for (j = 1; j <= nk; j++) printf " %s |", ((ks[j], ts[i]) in s) ? s[ks[j], ts[i]] : "-"
				print ""
			}
			printf "| total |"; for (j = 1; j <= nk; j++) printf " %d |", tot[ks[j]]; print ""
		}' $tms
	fi
	if [ "$failed" != 0 ]; then
		echo
		echo "Failures:"
		echo
		# awk reads to the end: 'grep | head' would die of SIGPIPE
		# (pipefail, set -e) when there are more than 50 failures.
		awk '/^FAIL: / && n++ < 50 { print "    " substr($0, 1, 300) }' "$res"
	fi
} >"$out"
log "wrote $out"
