#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot Debian's 6.1 kernel under QEMU with a real DNS server and
# client in two namespaces, and show the guard refusing DNS. As root it
# installs what it needs; otherwise it prints the apt-get line to run.
set -euo pipefail
. "$(dirname "$0")/vm/lib.sh"

"$P53G_TOP/tests/deps.sh" --install demo
log "building port53guard and booting Debian's 6.1 kernel under QEMU (about a minute)"
vm_run 6.1 demo demo demo >"$P53G_OUT/demo.results" || true
grep -a '^demo|' "$P53G_OUT/guest-demo.log" | tr -d '\r' | sed 's/^demo| \{0,1\}//' || true
# What the demo checked, and what the harness checked of the boot: make
# check runs this script as it is and counts these lines.
log "what the demo checked"
cat "$P53G_OUT/demo.results"
grep -q '^FAIL: ' "$P53G_OUT/demo.results" &&
	die "the demo failed: $(grep -m1 '^FAIL: ' "$P53G_OUT/demo.results") (log: $P53G_OUT/guest-demo.log)"
grep -q '^PASS: \[demo\] demo: ' "$P53G_OUT/demo.results" ||
	die "the demo checked nothing (log: $P53G_OUT/guest-demo.log)"
exit 0
