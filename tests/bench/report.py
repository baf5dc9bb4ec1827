#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guests' P53G-BENCH lines into a table per kernel, the ratios
against their targets, and the results files.

    report.py [--clock C] [--commit X] [--params P] OUT.json OUT.md PSET.txt SERIES=GUEST.log...

Every ratio is taken inside one repetition (both figures from the same
pass through the configurations), then the median over repetitions is
reported; spread is (max - min) / median over the repetitions. When
OUT.json already holds a run, each ratio is also compared with it.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import textwrap

LINE = re.compile(r"^P53G-BENCH (.*)$")
LOAD = re.compile(r"^P53G-BENCH-LOAD (.*)$")
NOTE = re.compile(r"^P53G-BENCH-NOTE (.*)$")
ORDER = ["none", "none-5353", "nft-hook-5353", "fwd-none", "fwd-nft-hook", "nft-drop", "nft-reject",
         "ipt-reject", "nftset", "ipset", "guard", "guard-exempt", "guard-5353", "fwd-guard",
         "guard-drop", "guard-auth", "pub-nft-drop", "pub-nft-reject", "pub-guard", "fallback",
         "guard-drop-raw", "guard-badsum-raw", "hook-norec-raw", "guard-auth-norec-raw"]
DESC = {
    "none": "no module, closed port 53",
    "none-5353": "no module, closed port 5353",
    "nft-hook-5353": "nft: empty input chain, traffic to 5353",
    "fwd-none": "no module, forwarded UDP to 5353",
    "fwd-nft-hook": "nft: empty forward chain, forwarded UDP",
    "nft-drop": "nft: udp dport 53 drop",
    "nft-reject": "nft: udp dport 53 reject",
    "ipt-reject": "iptables-legacy -j REJECT",
    "nftset": "nft: saddr != @interval-set reject",
    "ipset": "iptables-legacy ! --match-set hash:net REJECT",
    "guard": "guard, N exemptions, source not exempt",
    "guard-exempt": "guard, source exempt, listener drains 53",
    "guard-5353": "guard loaded, traffic to 5353 (closed)",
    "fwd-guard": "guard loaded, forwarded UDP to 5353",
    "guard-drop": "guard, action drop",
    "guard-auth": "guard, authoritative 1 (pktgen's RD=1 header read)",
    "pub-nft-drop": "port 53 published (DNAT): nft forward drop",
    "pub-nft-reject": "port 53 published (DNAT): nft forward reject",
    "pub-guard": "port 53 published (DNAT): guard on FORWARD",
    "fallback": "no module: the nftables fallback table",
    "guard-drop-raw": "guard, action drop, p53g-raw frames (good checksums)",
    "guard-badsum-raw": "guard reject, p53g-raw frames with wrong UDP checksums",
    "hook-norec-raw": "nft: empty input chain, p53g-raw queries with RD clear (closed port 53)",
    "guard-auth-norec-raw": "guard, authoritative 1, p53g-raw queries with RD clear: passed",
}
# (name, description, numerator, denominator, target)
TARGETS = [
    ("reject/drop", "guard reject / guard drop, a flood at the default ICMP limits (the limit)",
     ("guard", 0), ("guard-drop", 0), 0.99),
    ("reject/nft", "guard reject / nft reject", ("guard", 0), ("nft-reject", 0), 1.5),
    ("reject/iptables", "guard reject / iptables REJECT", ("guard", 0), ("ipt-reject", 0), 1.5),
    ("1k/nftset", "guard, 1,000 prefixes / nft 1,000-prefix interval set + reject",
     ("guard", 1000), ("nftset", 1000), 1.5),
    ("1k/ipset", "guard, 1,000 prefixes / ipset 1,000 hash:net + REJECT",
     ("guard", 1000), ("ipset", 1000), 1.5),
    ("5353/nft-hook", "unrelated UDP to 5353: guard loaded / empty nft input chain (the floor)",
     ("guard-5353", 0), ("nft-hook-5353", 0), 0.995),
    ("5353/none", "unrelated UDP to 5353: guard loaded / no module",
     ("guard-5353", 0), ("none-5353", 0), None),
    ("fwd/nft-hook", "forwarded UDP: guard loaded / empty nft forward chain (the floor)",
     ("fwd-guard", 0), ("fwd-nft-hook", 0), 0.995),
    ("fwd/none", "forwarded UDP: guard loaded / no module", ("fwd-guard", 0), ("fwd-none", 0), None),
    ("auth/reject", "guard reject, authoritative 1 / authoritative 0 (the header read)",
     ("guard-auth", 0), ("guard", 0), 0.99),
    ("pub/nft-reject", "published port 53: guard / nft ct status dnat ct original proto-dst 53 reject",
     ("pub-guard", 0), ("pub-nft-reject", 0), None),
    ("pub/nft-drop", "published port 53: guard / nft forward drop (the floor)",
     ("pub-guard", 0), ("pub-nft-drop", 0), None),
    ("guard/fallback", "guard reject / the nftables fallback's reject (what a degraded host costs)",
     ("guard", 0), ("fallback", 0), None),
    ("badsum/drop", "a flood with wrong UDP checksums: guard reject / guard drop (p53g-raw)",
     ("guard-badsum-raw", 0), ("guard-drop-raw", 0), 0.98),
    ("norec/nft-hook", "RD clear, authoritative 1: the guard's pass / an empty nft input chain (p53g-raw)",
     ("guard-auth-norec-raw", 0), ("hook-norec-raw", 0), 0.99),
    ("1M/0", "guard, 1,000,000 / 0 prefixes (source not exempt)",
     ("guard", 1000000), ("guard", 0), 0.98),
    ("1M/nftset", "guard, 1,000,000 prefixes / nft 1,000,000-prefix set + reject",
     ("guard", 1000000), ("nftset", 1000000), None),
    ("1M/ipset", "guard, 1,000,000 prefixes / ipset 1,000,000 hash:net + REJECT",
     ("guard", 1000000), ("ipset", 1000000), None),
]


def kv_of(text):
    return dict(w.split("=", 1) for w in text.split() if "=" in w)


def parse(path):
    runs, loads, notes = {}, {}, []
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.strip("\r\n").replace("\r", "")
            m = NOTE.match(line)
            if m:
                notes.append(m.group(1))
                continue
            m = LOAD.match(line)
            if m:
                kv = kv_of(m.group(1))
                try:
                    loads.setdefault((kv["what"], int(kv["n"])), []).append(
                        {"secs": float(kv["secs"]), "kib": int(kv["kib"]),
                         "bytes": int(kv["bytes"]) if "bytes" in kv else None})
                except (KeyError, ValueError):
                    pass
                continue
            m = LINE.match(line)
            if not m:
                continue
            kv = kv_of(m.group(1))
            try:
                key = (kv["inj"], kv["limits"], kv["config"], int(kv["n"]))
                rep, pps = int(kv["rep"]), int(kv["pps"])
            except (KeyError, ValueError):
                continue
            runs.setdefault(key, {})[rep] = {
                "pps": pps, "sent": int(kv.get("sent", 0) or 0),
                "icmp": int(kv["icmp"]) if kv.get("icmp", "").lstrip("-").isdigit() else None,
                "acct": int(kv["acct"]) if kv.get("acct", "").isdigit() else None}
    return runs, loads, notes


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
    ap = argparse.ArgumentParser()
    ap.add_argument("--clock", default="icount")
    ap.add_argument("--commit", default="")
    ap.add_argument("--params", default="")
    ap.add_argument("out_json")
    ap.add_argument("out_md")
    ap.add_argument("pset")
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    try:
        with open(a.out_json) as f:
            prev = json.load(f)
    except (OSError, ValueError):
        prev = None
    unit = "packets per 10^9 guest instructions" if a.clock == "icount" else "packets per second"
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": a.commit, "clock": a.clock, "params": a.params, "unit": unit,
        "method": "pktgen netif_receive into veth-dut, 60-byte UDP; every configuration in "
                  "every repetition, the guard's block and the rest in alternating order; ratios "
                  "taken inside each repetition, median over repetitions; spread = (max - min) / "
                  "median" + ("; QEMU's instruction counter is the guest's clock (one vCPU, "
                              "single-threaded TCG): figures count instructions and see no "
                              "cache miss" if a.clock == "icount" else ""),
        "kernels": {}}
    md = [f"# make bench: latest results", "",
          f"Generated by `make bench` (tests/bench/run.sh, report.py) on {results['date']}, "
          f"commit {a.commit or '?'}; {a.params}.", "",
          textwrap.fill(
              f"Method: {results['method']}. Rates are {unit}." +
              (" A guest second is 10^9 instructions; the figures repeat within 0.1 % "
               "whatever the host does, and count instructions only: a cache miss or a "
               "slow atomic costs nothing here." if a.clock == "icount" else ""), 72), ""]
    for arg in a.logs:
        series, path = arg.split("=", 1)
        runs, loads, notes = parse(path)
        print(f"\n=== Debian {series} kernel ({path}) ===")
        for n in notes:
            print(f"  note: {n}")
        rows = []
        keys = sorted(runs, key=lambda k: (k[0] != "pktgen", k[0], k[1] != "default", k[1],
                                           ORDER.index(k[2]) if k[2] in ORDER else 99, k[3]))
        hdr = f"{'injector':8} {'limits':8} {'config':13} {'N':>8} {'median':>11} " \
              f"{'spread':>7} {'ICMP/pkt':>8} {'reps':>4}  what"
        print(hdr)
        print("-" * len(hdr))
        md += [f"## Debian {series}", "", "| config | N | median | spread | ICMP/pkt | what |",
               "| --- | --: | --: | --: | --: | --- |"]
        for k in keys:
            inj, lim, cfg, n = k
            vals = [v["pps"] for _, v in sorted(runs[k].items())]
            med = statistics.median(vals)
            accts = [v for v in runs[k].values() if v["acct"] is not None and inj == "pktgen"]
            acct_ok = all(v["acct"] == v["sent"] for v in accts) if accts else None
            icmp = [v["icmp"] / v["sent"] for v in runs[k].values()
                    if v["icmp"] is not None and v["sent"]]
            icmp = statistics.median(icmp) if icmp else None
            rows.append({"injector": inj, "limits": lim, "config": cfg, "n": n, "median": med,
                         "spread_pct": round(spread(vals), 3), "reps": len(vals), "values": vals,
                         "icmp_per_packet": round(icmp, 4) if icmp is not None else None,
                         "guard_counters_match_sent": acct_ok})
            flag = "" if acct_ok in (None, True) else "  [guard counters != pktgen count]"
            print(f"{inj:8} {lim:8} {cfg:13} {n:>8} {med:>11.0f} {spread(vals):>6.2f}% "
                  f"{'-' if icmp is None else f'{icmp:.3f}':>8} {len(vals):>4}  "
                  f"{DESC.get(cfg, '')}{flag}")
            if inj in ("pktgen", "raw") and lim == "default":
                md.append(f"| {cfg} | {n:,} | {med:,.0f} | {spread(vals):.2f} % | "
                          f"{'-' if icmp is None else f'{icmp:.3f}'} | {DESC.get(cfg, '')}{flag} |")
        print("\n  ratios (inside each repetition: median [spread], reps):")
        md += ["", "| ratio | median | spread | target | |", "| --- | --: | --: | --: | --- |"]
        tres = []
        pk = (prev or {}).get("kernels", {}).get(series, {})
        prev_r = {(t["injector"], t["limits"], t["name"]): t["ratio"] for t in pk.get("ratios", [])}
        for inj in sorted({k[0] for k in runs}, key=lambda i: i != "pktgen"):
            for lim in sorted({k[1] for k in runs if k[0] == inj}, key=lambda l: l != "default"):
                for name, desc, num, den, target in TARGETS:
                    r = ratio(runs, inj, lim, num, den)
                    if not r:
                        continue
                    met = None if target is None else r[0] >= target
                    verdict = "" if met is None else ("met" if met else "MISSED")
                    old = prev_r.get((inj, lim, name))
                    drift = (r[0] - old) / old * 100 if old else None
                    dtext = f", {drift:+.2f} % against the previous run" if drift is not None else ""
                    print(f"  [{inj} {lim}] {desc}: {r[0]:.4f} [{r[1]:.2f} %] n={r[2]}"
                          f"{f' (target >= {target}) {verdict}' if target else ''}{dtext}")
                    tres.append({"injector": inj, "limits": lim, "name": name, "what": desc,
                                 "ratio": round(r[0], 4), "spread_pct": round(r[1], 3),
                                 "reps": r[2], "target": target, "met": met,
                                 "previous": old, "drift_pct": None if drift is None else
                                 round(drift, 3)})
                    if inj in ("pktgen", "raw") and lim == "default":
                        md.append(f"| {desc} | {r[0]:.4f} | {r[1]:.2f} % | "
                                  f"{'' if target is None else f'>= {target}'} | {verdict} |")
            # published port 53: >= 1.5 x nft's reject where the floor (nft's
            # drop) leaves room for it, else within 2 % of the floor
            for lim in sorted({k[1] for k in runs if k[0] == inj}, key=lambda l: l != "default"):
                rr = ratio(runs, inj, lim, ("pub-guard", 0), ("pub-nft-reject", 0))
                rf = ratio(runs, inj, lim, ("pub-guard", 0), ("pub-nft-drop", 0))
                room = ratio(runs, inj, lim, ("pub-nft-drop", 0), ("pub-nft-reject", 0))
                if not (rr and rf and room):
                    continue
                if room[0] >= 1.5:
                    met, how = rr[0] >= 1.5, f"guard / nft reject {rr[0]:.4f} >= 1.5"
                else:
                    met, how = rf[0] >= 0.98, (f"the floor leaves no room for 1.5 x (nft drop / "
                                               f"reject {room[0]:.4f}): guard / nft drop "
                                               f"{rf[0]:.4f} >= 0.98")
                verdict = "met" if met else "MISSED"
                print(f"  [{inj} {lim}] published port 53 target: {how}: {verdict}")
                tres.append({"injector": inj, "limits": lim, "name": "pub/target",
                             "what": "published port 53: >= 1.5 x nft reject, or within 2 % of "
                                     "nft's drop when that floor leaves no room",
                             "ratio": round(rr[0] if room[0] >= 1.5 else rf[0], 4),
                             "spread_pct": None, "reps": rr[2],
                             "target": 1.5 if room[0] >= 1.5 else 0.98, "met": met,
                             "previous": None, "drift_pct": None})
                if inj == "pktgen" and lim == "default":
                    md.append(f"| published port 53: {how} | | | | {verdict} |")
        lres = []
        if loads:
            print("\n  loading the lists (guest time; kernel memory: slab, vmalloc, per-CPU):")
            md += ["", "| loading | N | guest s | 10^9 instructions | KiB | bytes/prefix |",
                   "| --- | --: | --: | --: | --: | --: |"]
            for (what, n), ls in sorted(loads.items(), key=lambda x: (x[0][1], x[0][0])):
                secs = statistics.median(l["secs"] for l in ls)
                kib = statistics.median(l["kib"] for l in ls)
                own = [l["bytes"] for l in ls if l["bytes"] is not None]
                per = kib * 1024 / n if n else 0
                print(f"  {what:6} {n:>8}: {secs:.3f} s, {kib:,.0f} KiB ({per:.0f} B/prefix)"
                      + (f", table {statistics.median(own):,.0f} bytes" if own else "")
                      + f", {len(ls)} loads")
                lres.append({"what": what, "n": n, "guest_secs": secs, "kib": kib,
                             "bytes_per_prefix": round(per, 1), "loads": len(ls),
                             "table_bytes": statistics.median(own) if own else None})
                instr = f"{secs:.2f}" if a.clock == "icount" else "-"
                md.append(f"| {what} | {n:,} | {secs:.3f} | {instr} | {kib:,.0f} | {per:.0f} |")
            by = {(l["what"], l["n"]): l for l in lres}
            for n in sorted({l["n"] for l in lres}):
                g = by.get(("guard", n))
                for other in ("nft", "ipset"):
                    o = by.get((other, n))
                    if g and o and o["guest_secs"] and o["kib"]:
                        line = (f"guard / {other}, loading {n:,} prefixes: time "
                                f"{g['guest_secs'] / o['guest_secs']:.3f}, memory {g['kib'] / o['kib']:.3f}")
                        print("  " + line)
                        md.append(f"- {line}")
        md.append("")
        results["kernels"][series] = {"log": os.path.basename(path), "notes": notes, "rows": rows,
                                      "ratios": tres, "loads": lres}
        md.append("")
    try:
        with open(a.pset) as f:
            text = f.read()
    except OSError:
        text = ""
    if text.strip():
        print("\n=== exemption lookup, userspace, callgrind (tests/pset/bench.sh) ===")
        print(text.rstrip())
        results["lookup_callgrind"] = text.splitlines()
        md += ["## Exemption lookup, userspace (callgrind)", "", "```", text.rstrip(), "```", ""]
    if prev:
        drifts = [abs(t["drift_pct"]) for k in results["kernels"].values() for t in k["ratios"]
                  if t["drift_pct"] is not None]
        if drifts:
            line = (f"Against the previous run (commit {prev.get('commit', '?')}, "
                    f"{prev.get('date', '?')}): every ratio within {max(drifts):.3f} %.")
            print("\n" + line)
            md += [line, ""]
    with open(a.out_json, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    with open(a.out_md, "w") as f:
        f.write("\n".join(md))
    print(f"\nwritten: {a.out_json}, {a.out_md}")


if __name__ == "__main__":
    main()
