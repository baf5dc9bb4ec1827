#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guests' P53G-BENCH lines into a table per kernel, the target
ratios, and results.json.

    report.py RESULTS.json PSET.txt SERIES=GUEST.log...

Every ratio is taken inside one repetition (both figures from the same
pass through the configurations), then the median over repetitions is
reported; spread is (max - min) / median over the repetitions.
"""
import json
import re
import statistics
import sys

LINE = re.compile(r"^P53G-BENCH (.*)$")
NOTE = re.compile(r"^P53G-BENCH-NOTE (.*)$")
ORDER = ["none", "none-5353", "nft-hook-5353", "nft-drop", "nft-reject", "ipt-reject", "nftset", "ipset",
         "guard", "guard-exempt", "guard-5353", "guard-drop"]
DESC = {
    "none": "no module, closed port 53",
    "none-5353": "no module, closed port 5353",
    "nft-hook-5353": "nft: empty input chain, traffic to 5353",
    "nft-drop": "nft: udp dport 53 drop",
    "nft-reject": "nft: udp dport 53 reject",
    "ipt-reject": "iptables-legacy -j REJECT",
    "nftset": "nft: saddr != @interval-set reject",
    "ipset": "iptables-legacy ! --match-set hash:net REJECT",
    "guard": "guard, N exemptions, source not exempt",
    "guard-exempt": "guard, source exempt, listener drains 53",
    "guard-5353": "guard loaded, traffic to 5353 (closed)",
    "guard-drop": "guard, action drop",
}
# (description, numerator, denominator, limits, target)
TARGETS = [
    ("guard reject / nft reject (flood, default ICMP limits)",
     ("guard", 0), ("nft-reject", 0), "default", 1.8),
    ("guard reject / nft reject (limits off)", ("guard", 0), ("nft-reject", 0), "off", None),
    ("unrelated UDP: guard loaded / no module (port 5353)",
     ("guard-5353", 0), ("none-5353", 0), "default", 0.98),
    ("unrelated UDP: guard loaded / no module (limits off)",
     ("guard-5353", 0), ("none-5353", 0), "off", 0.98),
    ("unrelated UDP: any input hook (empty nft chain) / no module",
     ("nft-hook-5353", 0), ("none-5353", 0), "default", None),
    ("unrelated UDP: guard loaded / empty nft chain",
     ("guard-5353", 0), ("nft-hook-5353", 0), "default", None),
    ("guard 1,000 prefixes / nft 1,000-prefix interval set + reject",
     ("guard", 1000), ("nftset", 1000), "default", 1.5),
    ("guard 1,000 prefixes / nft 1,000-prefix set (limits off)",
     ("guard", 1000), ("nftset", 1000), "off", 1.5),
    ("guard 1,000,000 / guard 0 prefixes", ("guard", 1000000), ("guard", 0), "default", 0.9),
    ("guard 1,000,000 prefixes / nft 1,000,000-prefix set",
     ("guard", 1000000), ("nftset", 1000000), "default", None),
]


def parse(path):
    runs, notes = {}, []
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.strip("\r\n").replace("\r", "")
            m = NOTE.match(line)
            if m:
                notes.append(m.group(1))
                continue
            m = LINE.match(line)
            if not m:
                continue
            kv = dict(w.split("=", 1) for w in m.group(1).split() if "=" in w)
            try:
                key = (kv["inj"], kv["limits"], kv["config"], int(kv["n"]))
                rep, pps = int(kv["rep"]), int(kv["pps"])
            except (KeyError, ValueError):
                continue
            runs.setdefault(key, {})[rep] = {
                "pps": pps, "sent": int(kv.get("sent", 0) or 0),
                "icmp": int(kv["icmp"]) if kv.get("icmp", "").lstrip("-").isdigit() else None,
                "acct": int(kv["acct"]) if kv.get("acct", "").isdigit() else None}
    return runs, notes


def spread(vals):
    med = statistics.median(vals)
    return (max(vals) - min(vals)) / med * 100 if med else 0.0


def ratio(runs, inj, lim, num, den):
    a, b = runs.get((inj, lim) + num), runs.get((inj, lim) + den)
    if not a or not b:
        return None
    rs = [a[r]["pps"] / b[r]["pps"] for r in sorted(a) if r in b and b[r]["pps"]]
    return (statistics.median(rs), spread(rs), len(rs)) if rs else None


def main():
    out, pset, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
    results = {"method": "pktgen netif_receive into veth-dut (primary); sendmmsg from the peer "
               "namespace (e2e, pps = frames received by veth-dut / s); 60-byte UDP; "
               "ratios taken inside each repetition, median over repetitions; "
               "spread = (max - min) / median", "kernels": {}}
    for arg in logs:
        series, path = arg.split("=", 1)
        runs, notes = parse(path)
        print(f"\n=== Debian {series} kernel ({path}) ===")
        for n in notes:
            print(f"  note: {n}")
        rows = []
        keys = sorted(runs, key=lambda k: (k[0] != "pktgen", k[0], k[1] != "default", k[1],
                                           ORDER.index(k[2]) if k[2] in ORDER else 99, k[3]))
        hdr = f"{'injector':8} {'limits':8} {'config':13} {'N':>8} {'median pps':>11} " \
              f"{'spread':>7} {'x nft-reject':>12} {'ICMP/pkt':>8} {'reps':>4}  what"
        print(hdr)
        print("-" * len(hdr))
        for k in keys:
            inj, lim, cfg, n = k
            vals = [v["pps"] for _, v in sorted(runs[k].items())]
            med = statistics.median(vals)
            r = ratio(runs, inj, lim, (cfg, n), ("nft-reject", 0))
            accts = [v for v in runs[k].values() if v["acct"] is not None and inj == "pktgen"]
            acct_ok = all(v["acct"] == v["sent"] for v in accts) if accts else None
            icmp = [v["icmp"] / v["sent"] for v in runs[k].values()
                    if v["icmp"] is not None and v["sent"]]
            icmp = statistics.median(icmp) if icmp else None
            row = {"injector": inj, "limits": lim, "config": cfg, "n": n,
                   "median_pps": med, "spread_pct": round(spread(vals), 1),
                   "reps": len(vals), "pps": vals,
                   "ratio_to_nft_reject": round(r[0], 3) if r else None,
                   "ratio_spread_pct": round(r[1], 1) if r else None,
                   "icmp_per_packet": round(icmp, 4) if icmp is not None else None,
                   "guard_counters_match_sent": acct_ok}
            rows.append(row)
            rs = f"{r[0]:.2f}" if r else "-"
            print(f"{inj:8} {lim:8} {cfg:13} {n:>8} {med:>11.0f} {spread(vals):>6.1f}% "
                  f"{rs:>12} {'-' if icmp is None else f'{icmp:.3f}':>8} {len(vals):>4}  {DESC.get(cfg, '')}"
                  + ("" if acct_ok in (None, True) else "  [guard counters != pktgen count]"))
        print("\n  targets (ratio inside each repetition, median [spread], reps):")
        tres = []
        for inj in sorted({k[0] for k in runs}, key=lambda i: i != "pktgen"):
            for desc, num, den, lim, target in TARGETS:
                r = ratio(runs, inj, lim, num, den)
                if not r:
                    continue
                verdict = "" if target is None else ("  met" if r[0] >= target else "  MISSED")
                tgt = f" (target >= {target})" if target else ""
                print(f"  [{inj}] {desc}{tgt}: {r[0]:.2f} [{r[1]:.0f}%] n={r[2]}{verdict}")
                tres.append({"injector": inj, "what": desc, "limits": lim, "ratio": round(r[0], 3),
                             "spread_pct": round(r[1], 1), "target": target,
                             "met": None if target is None else r[0] >= target})
        results["kernels"][series] = {"log": path, "notes": notes, "rows": rows, "targets": tres}
    try:
        with open(pset) as f:
            text = f.read()
    except OSError:
        text = ""
    if text.strip():
        print("\n=== exemption lookup, userspace, callgrind (tests/pset/bench.sh) ===")
        print(text.rstrip())
        results["lookup_callgrind"] = text
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
