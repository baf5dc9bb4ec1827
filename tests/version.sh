#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The version is written once, in module/version.h. The module and the
# tool take it from there; dkms.conf, debian/changelog and the man page
# repeat it, and must agree.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
v=$(sed -n 's/^#define P53G_VERSION\t*"\(.*\)"$/\1/p' "$P53G_TOP/module/version.h")
t() { local d=$1; shift; if "$@"; then echo "PASS: version $v: $d"; else echo "FAIL: version $v: $d"; fi; }
t "module/version.h names one" test -n "$v"
t "the module takes it (MODULE_VERSION(P53G_VERSION))" \
	grep -q '^MODULE_VERSION(P53G_VERSION);$' "$P53G_TOP/module/main.c"
t "dkms.conf's PACKAGE_VERSION ($(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$P53G_TOP/dkms.conf"))" \
	test "$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$P53G_TOP/dkms.conf")" = "$v"
t "debian/changelog's latest entry ($(head -n1 "$P53G_TOP/debian/changelog" | sed 's/.*(\(.*\)).*/\1/'))" \
	test "$(head -n1 "$P53G_TOP/debian/changelog" | sed 's/.*(\(.*\)).*/\1/')" = "$v"
t "the OpenWrt recipe's PKG_VERSION" \
	grep -q "^PKG_VERSION:=$v\$" "$P53G_TOP/packaging/openwrt/Makefile"
t "the man page's header" grep -q "^\.TH PORT53GUARD 8 .* \"port53guard $v\"" "$P53G_TOP/tools/port53guard.8"
make -s -C "$P53G_TOP/tools" >/dev/null 2>&1
t "the tool says it (port53guard --version)" \
	test "$("$P53G_TOP/tools/port53guard" --version)" = "port53guard $v"
t "no other file writes a version of its own" \
	test -z "$(git -C "$P53G_TOP" grep -l -E 'MODULE_VERSION\("|define P53G_VERSION' -- module tools | grep -v '^module/version.h$')"
