# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the host-side test scripts. Sourced, not run.

P53G_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
P53G_CACHE=${P53G_CACHE:-/var/cache/port53guard}
P53G_OUT=${P53G_OUT:-$P53G_TOP/tests/out}
mkdir -p "$P53G_CACHE" "$P53G_OUT"

# No script of the project fails without a word: under set -e the ERR
# trap names the command and the line that failed (set -E carries it into
# functions, command substitutions and subshells); scripts without set -e
# test each status themselves and say what failed.
set -E
trap 'p53g_rc=$?; case $- in *e*) echo "${0##*/}: line $LINENO: \"$BASH_COMMAND\" exited $p53g_rc" >&2 ;; esac' ERR

die() { echo "port53guard-tests: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

# need CMD PACKAGE: fail with the exact apt-get line when a tool is missing.
need() {
	command -v "$1" >/dev/null 2>&1 ||
		die "missing '$1': run 'apt-get install $2' (or .ci/run as root)"
}

# Run a command at most N times, for apt indexes that are briefly inconsistent.
retry() {
	local n=$1 i; shift
	for ((i = 1; i <= n; i++)); do
		"$@" && return 0
		sleep $((i * 2))
	done
	return 1
}

# Kernel ABI names of the stock kernels under test, resolved from the
# archive's meta packages so that the tests follow Debian's updates.
# Overridable: P53G_K61=6.1.0-56-amd64 P53G_K612=6.12.117+deb12-amd64.
resolve_stock() {
	case $1 in
	6.1)
		[ -n "${P53G_K61:-}" ] && { echo "$P53G_K61"; return; }
		apt-cache depends linux-headers-amd64 2>/dev/null |
			sed -n 's/.*Depends: linux-headers-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n1 ;;
	6.12)
		[ -n "${P53G_K612:-}" ] && { echo "$P53G_K612"; return; }
		apt-cache depends linux-image-6.12-amd64 2>/dev/null |
			sed -n 's/.*Depends: linux-image-\(6\.12\.[0-9]*+deb12-amd64\)$/\1/p' | head -n1 ;;
	*) return 1 ;;
	esac
}
