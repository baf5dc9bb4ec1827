# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the packaging tests (tests/dkms/*.sh). Sourced, not run.
#
# These tests use the host's DKMS, dpkg and /lib/modules for real: they build
# and install module files there (never load them) and put back every file
# they added. Nothing here runs modprobe or insmod.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

P53G_NAME=port53guard
P53G_VER=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$P53G_TOP/dkms.conf")
P53G_SRC=/usr/src/$P53G_NAME-$P53G_VER

# A test that cannot start is one failure, named, like every other.
die() { echo "FAIL: $*"; exit 1; }

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
# Output of the commands under test goes to stderr (the suite's log),
# indented, so that a PASS: line of theirs is never taken for one of ours.
indent() { sed 's/^/    | /' >&2; }
# check NAME CMD...: one assertion.
check() {
	local name=$1 rc; shift
	"$@" 2>&1 | indent
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 0 ]; then pass "$name"; else fail "$name (exit $rc)"; fi
}
# same NAME GOT WANT
same() {
	if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1 (got '$2', want '$3')"; fi
}
finish() {
	echo "$(basename "$0" .sh): $passed passed, $failed failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}

# Cleanup actions, run in reverse order at exit, even after a failure or a
# signal, so that an interrupted run leaves the host as it found it.
declare -a p53g_undo=()
on_exit() { p53g_undo+=("$*"); }
run_undo() {
	local i
	for ((i = ${#p53g_undo[@]} - 1; i >= 0; i--)); do
		{ eval "${p53g_undo[$i]}" 2>&1 || true; } | indent
	done
	p53g_undo=()
}
trap 'run_undo' EXIT
trap 'exit 130' INT TERM

# These tests change host state; run one at a time across work trees.
host_lock() {
	[ "$(id -u)" = 0 ] || die "must run as root (it installs into /usr/src, /var/lib/dkms and /lib/modules); run .ci/run or sudo make check"
	exec 8>"$P53G_CACHE/.host-packaging.lock"
	flock 8
}

# Refuse to start on a host where port53guard is already installed: the test
# would remove it at the end.
host_is_clean() {
	if [ -e "$P53G_SRC" ] || [ -e "/var/lib/dkms/$P53G_NAME" ] ||
		dpkg-query -W -f='${Status}\n' "$P53G_NAME" "$P53G_NAME-dkms" 2>/dev/null |
		grep -q ' installed$'; then
		die "port53guard is already on this host ($P53G_SRC, /var/lib/dkms/$P53G_NAME or the .debs); remove it first: apt-get purge port53guard port53guard-dkms; dkms remove $P53G_NAME/$P53G_VER --all; rm -rf $P53G_SRC"
	fi
}

# A copy of the work tree as a fresh checkout would have it: tracked files
# and new files not ignored, with their current contents; no build output.
stage_tree() {
	local dest=$1
	mkdir -p "$dest"
	(cd "$P53G_TOP" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		cpio -0 -pdm --quiet "$dest") || die "cannot copy the work tree to $dest"
}

# DKMS signs every module it builds on Debian, and makes itself a key pair
# in /var/lib/dkms the first time. Forget a pair that this run made.
keep_dkms_mok() {
	if [ ! -e /var/lib/dkms/mok.key ] && [ ! -e /var/lib/dkms/mok.pub ]; then
		on_exit rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
	fi
}

# kernel_dir ABI HEADERS: make /lib/modules/ABI usable by DKMS for the
# test and put it back afterwards. A kernel that is not installed has no
# /lib/modules/ABI (dkms install refuses it), and one whose headers are not
# installed has no build link there (dkms and its package hooks look for the
# headers only there): what is missing is made here, pointing at the
# unpacked headers, and removed at the end, with the files that depmod adds
# (modules.*). An existing build link is left alone.
declare -A p53g_kdir_before=() p53g_klink_made=()
kernel_dir() {
	local abi=$1 hdr=$2 d=/lib/modules/$1
	p53g_kdir_before[$abi]=$( [ -d "$d" ] && cd "$d" && find . | sort)
	[ -d "$d" ] || p53g_kdir_before[$abi]=absent
	on_exit "restore_kernel_dir '$abi'"
	mkdir -p "$d"
	if [ ! -e "$d/build" ] && [ ! -L "$d/build" ]; then
		ln -s "$hdr" "$d/build"
		p53g_klink_made[$abi]=1
	fi
}
restore_kernel_dir() {
	local abi=$1 d=/lib/modules/$1 f
	[ -d "$d" ] || return 0
	if find "$d" -name "$P53G_NAME.ko*" | grep -q .; then
		echo "port53guard-tests: $d still holds port53guard.ko; not cleaning it" >&2
		return 1
	fi
	if [ -n "${p53g_klink_made[$abi]:-}" ]; then
		rm -f "$d/build"
		unset "p53g_klink_made[$abi]"
	fi
	while read -r f; do
		grep -qxF "$f" <<<"${p53g_kdir_before[$abi]}" && continue
		case $f in ./modules.*) rm -f "$d/$f" ;; esac
	done < <(cd "$d" && find . -type f | sort)
	while read -r f; do
		grep -qxF "$f" <<<"${p53g_kdir_before[$abi]}" || rmdir "$d/$f" 2>/dev/null
	done < <(cd "$d" && find . -mindepth 1 -depth -type d)
	[ "${p53g_kdir_before[$abi]}" != absent ] || rmdir "$d"
}
# kernel_dir_restored ABI: after restore_kernel_dir, is it as it was?
kernel_dir_restored() {
	local abi=$1 d=/lib/modules/$1
	if [ "${p53g_kdir_before[$abi]}" = absent ]; then
		[ ! -e "$d" ]
	else
		[ "$(cd "$d" && find . | sort)" = "${p53g_kdir_before[$abi]}" ]
	fi
}

# The stock kernels' headers, unpacked by tests/vm/stock-kernel.sh: sets
# K_ABI[series], K_HDR[series] for 6.1 and 6.12.
declare -A K_ABI=() K_HDR=()
stock_kernels() {
	local s out abi hdr
	for s in 6.1 6.12; do
		out=$("$P53G_TOP/tests/vm/stock-kernel.sh" "$s") || die "Debian $s headers unavailable"
		read -r abi _ hdr <<<"$out"
		K_ABI[$s]=$abi
		K_HDR[$s]=$hdr
	done
}

# module_depends KO: its depends: field, sorted, one line.
module_depends() { modinfo -F depends "$1" | tr ',' '\n' | sort | paste -sd, -; }
