#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel (KUnit, KASAN, lockdep, PROVE_RCU, kmemleak) from
# Debian's linux-source-6.1: tinyconfig plus tests/vm/debug.config. The result
# is cached under $P53G_CACHE/debug-<hash>, keyed by the fragment, the
# recipe version below and the source package version, so repeated runs
# skip the build.
# Prints the build directory (bzImage at arch/x86/boot/bzImage; usable as KDIR).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || die "missing $tarball: run 'apt-get install linux-source-6.1'"
for t in make:make gcc:gcc bc:bc bison:bison flex:flex perl:perl; do need "${t%%:*}" "${t#*:}"; done
[ -f /usr/include/libelf.h ] || die "missing libelf.h: run 'apt-get install libelf-dev'"
[ -f /usr/include/openssl/ssl.h ] || die "missing openssl headers: run 'apt-get install libssl-dev'"

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
recipe=1	# bump when the build steps below change what they produce
key=$( { cat "$VM_DIR/debug.config"; echo "$srcver $recipe"; } | sha256sum | cut -c1-16)
dir=$P53G_CACHE/debug-$key
src=$P53G_CACHE/linux-source-6.1-$srcver

exec 9>"$P53G_CACHE/.debug.lock"
flock 9

# External modules resolve vmlinux's symbols through Module.symvers, which
# only a `make modules` writes; with everything built in it equals
# vmlinux.symvers.
symvers() { [ -f "$1/Module.symvers" ] || cp "$1/vmlinux.symvers" "$1/Module.symvers"; }

if [ -f "$dir/.done" ]; then
	symvers "$dir/build"
	echo "$dir/build"
	exit 0
fi

if [ ! -f "$src/.done" ]; then
	log "unpacking linux-source-6.1 $srcver"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.done"
	mv "$src.tmp" "$src"
fi

rm -rf "$dir"
mkdir -p "$dir/build"
b=$dir/build
log "configuring debug kernel in $b"
make -s -C "$src" O="$b" tinyconfig >"$dir/config.log" 2>&1
"$src/scripts/kconfig/merge_config.sh" -m -O "$b" "$b/.config" "$VM_DIR/debug.config" \
	>>"$dir/config.log" 2>&1
make -s -C "$src" O="$b" olddefconfig >>"$dir/config.log" 2>&1

# Every option the fragment asks for must have survived olddefconfig.
missing=0
while IFS= read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	opt=${line%%=*} val=${line#*=}
	if [ "$val" = n ]; then
		grep -qx "# $opt is not set" "$b/.config" && continue
		grep -q "^$opt=" "$b/.config" || continue
	else
		grep -qx "$line" "$b/.config" && continue
	fi
	echo "debug.config: $line did not take (have: $(grep -E "^(# )?$opt[= ]" "$b/.config" || echo unset))" >&2
	missing=1
done <"$VM_DIR/debug.config"
[ $missing = 0 ] || die "debug kernel config incomplete (see above)"

log "building debug kernel (several minutes on 2 cores; cached afterwards)"
make -C "$src" O="$b" -j"$(nproc)" bzImage modules_prepare >"$dir/build.log" 2>&1 ||
	{ tail -n 30 "$dir/build.log" >&2; die "debug kernel build failed (log: $dir/build.log)"; }
symvers "$b"
touch "$dir/.done"
echo "$b"
