#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest machinery self-check: the tools the tests rely on work in this kernel.
. /p53g/guest/lib.sh
topo_up
ok "iproute2 makes namespaces and veth" in_ns dut $IP link show veth-dut
ok "nft lists the permanent chain" sh -c 'nft list chain inet p53g_keep input >/dev/null'
topo_down
