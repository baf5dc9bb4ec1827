#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Instructions per lookup of the packet-path exemption set, counted by
# callgrind (repeatable, unlike time), for 1 to 1,000,000 prefixes, and the
# bytes the set allocates per prefix.  A benchmark, not a test: it never
# fails on a number.
#   tests/pset/bench.sh [LOOKUPS]     (default 100000)
set -uo pipefail
set -E
trap 'p53g_rc=$?; case $- in *e*) echo "${0##*/}: line $LINENO: \"$BASH_COMMAND\" exited $p53g_rc" >&2 ;; esac' ERR
cd "$(dirname "$0")" || exit 1
k=${1:-100000}
command -v valgrind >/dev/null || { echo "bench: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
make -s pset_bench || exit 1

# callgrind's "Collected" total: the lookup loop only
ir() {
	valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
		--callgrind-out-file=/dev/null ./pset_bench "$@" 2>"$tmp" >"$out" ||
		{ cat "$tmp" >&2; return 1; }
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp"
}
tmp=$(mktemp) out=$(mktemp)
trap 'rm -f "$tmp" "$out"' EXIT

nop=$(ir v4-24 1 nop "$k")
printf 'lookups per run: %d; loop and call overhead: %.1f instructions per lookup (included below)\n\n' \
	"$k" "$(echo "$nop / $k" | bc -l)"
printf '%-7s %8s %8s %7s %12s %12s %12s\n' mode N entries probes "Ir/random" "Ir/hit" "bytes/entry"
declare -A cost
for mode in v4-24 v4-bgp v6-48; do
	for n in 1 1000 100000 1000000; do
		r=$(ir "$mode" "$n" random "$k") || exit 1
		h=$(ir "$mode" "$n" hits "$k") || exit 1
		eval "$(tr ' ' '\n' <"$out" | grep -E '^(entries|bytes|probes)=')"
		cost[$mode,$n,r]=$(echo "$r / $k" | bc -l)
		cost[$mode,$n,h]=$(echo "$h / $k" | bc -l)
		printf '%-7s %8d %8d %7d %12.1f %12.1f %12.1f\n' "$mode" "$n" "$entries" "$probes" \
			"${cost[$mode,$n,r]}" "${cost[$mode,$n,h]}" "$(echo "$bytes / $entries" | bc -l)"
	done
done
echo
echo "cost ratio, 1 prefix / 1,000,000 prefixes (>= 0.9: a million costs at most 1.11x one):"
for mode in v4-24 v4-bgp v6-48; do
	printf '  %-7s random %.2f   hits %.2f\n' "$mode" \
		"$(echo "${cost[$mode,1,r]} / ${cost[$mode,1000000,r]}" | bc -l)" \
		"$(echo "${cost[$mode,1,h]} / ${cost[$mode,1000000,h]}" | bc -l)"
done
