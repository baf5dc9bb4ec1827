#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Secure Boot: DKMS signs the module with the machine owner's key (MOK).
# Debian's dkms 3.0 reads sign_file, mok_signing_key and mok_certificate
# from /etc/dkms/framework.conf and then /etc/dkms/framework.conf.d/*.conf,
# and signs every module it builds (by default with /var/lib/dkms/mok.key,
# made on first use). Here a throwaway key and certificate are named in a
# drop-in of framework.conf.d, with the headers' own scripts/sign-file; the
# module is built for Debian's 6.1 kernel and must carry a signature by that
# key, which openssl verifies. The drop-in is removed afterwards and
# framework.conf is never edited. Nothing is loaded.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

need dkms dkms
need openssl openssl
host_lock
host_is_clean
stock_kernels
abi=${K_ABI[6.1]} hdr=${K_HDR[6.1]}
arch=$(uname -m)
dropin=/etc/dkms/framework.conf.d/zz-port53guard-test-signing.conf
[ ! -e "$dropin" ] || die "$dropin exists: a test run was interrupted? remove it"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/p53g-sign.XXXXXX")
on_exit rm -rf "$tmp"
had_mok=$(ls /var/lib/dkms/mok.key 2>/dev/null)
keep_dkms_mok

# --- a throwaway key pair, as a MOK would be made -----------------------
cn="port53guard throwaway test key $(date +%s)-$$"
openssl req -new -x509 -nodes -days 1 -subj "/CN=$cn" -newkey rsa:2048 \
	-keyout "$tmp/mok.key" -outform DER -out "$tmp/mok.der" 2>"$tmp/openssl.log" ||
	die "openssl could not make a key pair: $(tail -n1 "$tmp/openssl.log")"
serial=$(openssl x509 -inform DER -in "$tmp/mok.der" -noout -serial | sed 's/^serial=//; s/../&:/g; s/:$//')
openssl x509 -inform DER -in "$tmp/mok.der" -out "$tmp/mok.pem"
# A second one that must not verify the signature.
openssl req -new -x509 -nodes -days 1 -subj "/CN=$cn other" -newkey rsa:2048 \
	-keyout "$tmp/other.key" -out "$tmp/other.pem" 2>/dev/null

# --- point DKMS at it, in a drop-in ---------------------------------------
conf_sum=$(sha256sum /etc/dkms/framework.conf 2>/dev/null)
confd_before=$(ls -A /etc/dkms/framework.conf.d 2>/dev/null)
on_exit "rm -f '$dropin'"
mkdir -p /etc/dkms/framework.conf.d
cat >"$dropin" <<EOF
# Written by port53guard's tests/dkms/sign.sh; removed when it ends.
sign_file="$hdr/scripts/sign-file"
mok_signing_key="$tmp/mok.key"
mok_certificate="$tmp/mok.der"
EOF

on_exit "rm -rf '$P53G_SRC'"
on_exit "[ ! -e /var/lib/dkms/$P53G_NAME ] || dkms remove $P53G_NAME/$P53G_VER --all"
stage_tree "$tmp/src"
check "dkms add registers the source tree" dkms add "$tmp/src"
if dkms build "$P53G_NAME/$P53G_VER" -k "$abi" --kernelsourcedir "$hdr" >"$tmp/build.log" 2>&1; then
	pass "[6.1] dkms build with the throwaway key configured"
else
	fail "[6.1] dkms build with the throwaway key configured (exit $?)"
fi
indent <"$tmp/build.log"
check "dkms used the headers' sign-file" grep -qxF "Sign command: $hdr/scripts/sign-file" "$tmp/build.log"
check "dkms used the configured key" grep -qxF "Signing key: $tmp/mok.key" "$tmp/build.log"

ko=/var/lib/dkms/$P53G_NAME/$P53G_VER/$abi/$arch/module/$P53G_NAME.ko
if [ -f "$ko" ]; then
	pass "[6.1] the built module is in DKMS's tree"
	same "modinfo -F signer is the certificate's CN" "$(modinfo -F signer "$ko")" "$cn"
	same "modinfo -F sig_key is the certificate's serial" "$(modinfo -F sig_key "$ko")" "$serial"
	same "modinfo -F sig_hashalgo is the kernel's CONFIG_MODULE_SIG_HASH" \
		"$(modinfo -F sig_hashalgo "$ko")" \
		"$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$hdr/.config")"

	# The appended signature: module, PKCS#7 (DER), struct module_signature
	# (12 bytes, the last 4 the PKCS#7's length, big endian), magic (28).
	size=$(stat -c %s "$ko")
	magic=$(tail -c 28 "$ko")
	same "the module ends with the signature magic" "$magic" "~Module signature appended~"
	siglen=$(tail -c 40 "$ko" | head -c 12 | od -An -tu1 | awk '{print $9 * 16777216 + $10 * 65536 + $11 * 256 + $12}')
	head -c $((size - 40 - siglen)) "$ko" >"$tmp/body"
	tail -c $((40 + siglen)) "$ko" | head -c "$siglen" >"$tmp/sig.p7"
	verify() { openssl cms -verify -binary -inform DER -in "$tmp/sig.p7" -content "$tmp/body" \
		-certfile "$1" -nointern -noverify -out /dev/null; }
	check "openssl verifies the signature with the throwaway certificate" verify "$tmp/mok.pem"
	check "another certificate does not verify it" eval '! verify "$tmp/other.pem"'
else
	fail "[6.1] the built module is in DKMS's tree ($ko)"
fi

# --- put everything back --------------------------------------------------
check "dkms remove $P53G_NAME/$P53G_VER --all" dkms remove "$P53G_NAME/$P53G_VER" --all
rm -rf "$P53G_SRC"
rm -f "$dropin"
check "/var/lib/dkms/$P53G_NAME and $P53G_SRC are gone" test ! -e "/var/lib/dkms/$P53G_NAME" -a ! -e "$P53G_SRC"
check "framework.conf is untouched" test "$(sha256sum /etc/dkms/framework.conf 2>/dev/null)" = "$conf_sum"
check "framework.conf.d holds what it held before" test "$(ls -A /etc/dkms/framework.conf.d 2>/dev/null)" = "$confd_before"
if [ -z "$had_mok" ]; then
	check "DKMS made no key of its own in /var/lib/dkms" test ! -e /var/lib/dkms/mok.key
fi

run_undo
finish
