#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The static footprint of built modules: text, data and bss of each .ko, as
# `size` (Berkeley format) counts them, one machine-readable line each:
#   P53G-FOOTPRINT-KO file=PATH arch=ARCH vermagic=VER text=N data=N bss=N total=N
#                     code=N not_kept=N
#   footprint.sh KO...
# text is every allocated read-only section: code, rodata, the unwind
# tables (x86's ORC), and also sections the loader does not keep (the
# symbol versions __versions and .modinfo, read at load then dropped) and
# .init.* (freed once the module is initialised); data is initialised
# writable data, with the module's own struct module and its parameter
# tables; bss is zeroed data. code is the .text* sections alone; not_kept
# is __versions + .modinfo + .init.*, so text + data + bss - not_kept is
# what stays in memory before page rounding. The guest test
# tests/guest/footprint.sh reports what the loaded module keeps, rounded.
#
# The right `size` is found per file: ${CROSS_COMPILE}size when set, else the
# host's when it reads the file's architecture, else a cross one named for
# it (ARCH-linux-gnu-size, as Debian's binutils-ARCH-linux-gnu installs),
# else binutils-multiarch's.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || die "usage: footprint.sh KO..."

# The machine of an ELF file, as `file` names it, mapped to GNU triplets.
triplets() {
	case $(file -b -L "$1") in
	*x86-64*) echo x86_64-linux-gnu ;;
	*"Intel 80386"*) echo i686-linux-gnu ;;
	*aarch64* | *"ARM aarch64"*) echo aarch64-linux-gnu ;;
	*ARM*) echo arm-linux-gnueabihf arm-linux-gnueabi ;;
	*MIPS*LSB*) echo mipsel-linux-gnu mips-linux-gnu ;;
	*MIPS*MSB*) echo mips-linux-gnu ;;
	*RISC-V*) echo riscv64-linux-gnu ;;
	*PowerPC* | *"64-bit PowerPC"*) echo powerpc64le-linux-gnu powerpc-linux-gnu ;;
	esac
}

# size_for KO: a size(1) that reads KO, or nothing.
size_for() {
	local c t
	for c in ${CROSS_COMPILE:+${CROSS_COMPILE}size} size \
		$(for t in $(triplets "$1"); do echo "$t-size"; done) size-multiarch; do
		command -v "$c" >/dev/null 2>&1 || continue
		"$c" -B "$1" >/dev/null 2>&1 && { echo "$c"; return 0; }
	done
	return 1
}

rc=0
for ko in "$@"; do
	[ -f "$ko" ] || { echo "footprint: no such file: $ko" >&2; rc=1; continue; }
	if ! sz=$(size_for "$ko"); then
		echo "footprint: no size(1) reads $ko ($(file -b "$ko" | cut -d, -f1-2));" \
			"run 'apt-get install binutils-multiarch'" >&2
		rc=1
		continue
	fi
	read -r text data bss _ < <("$sz" -B "$ko" | awk 'NR == 2')
	read -r code notkept < <("$sz" -A "$ko" | awk '
		$1 ~ /^\.text/ { c += $2 }
		$1 == "__versions" || $1 == ".modinfo" || $1 ~ /^\.init\./ { n += $2 }
		END { print c + 0, n + 0 }')
	arch=$(file -b -L "$ko" | cut -d, -f2 | sed 's/^ *//; s/ /_/g')
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{ print $1 }')
	echo "P53G-FOOTPRINT-KO file=$ko arch=$arch vermagic=${vermagic:-?} text=$text data=$data bss=$bss" \
		"total=$((text + data + bss)) code=$code not_kept=$notkept"
done
exit $rc
