#!/usr/bin/env python3
"""Side-by-side Solomon table: fieldwork (examples/solomon.rs --all --md) against PyVRP
(benches/peers/solomon_pyvrp.py), per class, with the seed-to-seed spread.

    python3 benches/peers/compare_solomon.py --bks benches/data/solomon/bks.json \
        --ours ours-s1.md ours-s2.md ours-s3.md --peer pyvrp-s1.jsonl pyvrp-s2.jsonl pyvrp-s3.jsonl

Each --ours file is the Markdown written by `examples/solomon.rs --all --md`; each --peer file
the JSON lines of solomon_pyvrp.py; one file per seed, same instances. Gap = (distance − best
known) / best known against the `distance_only` values. An infeasible solution counts as
missing and is reported. Spread = max − min over the seeds of the class-average gap.
"""
import argparse
import json
import statistics


def ours(path):
    out = {}
    for line in open(path):
        f = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(f) >= 7 and f[0][:1] in "CR" and f[1].replace(".", "").isdigit():
            out[f[0]] = (float(f[1]), f[6] == "yes")
    return out


def peer(path):
    out = {}
    for line in open(path):
        r = json.loads(line)
        out[r["instance"]] = (r["distance"], r["feasible"])
    return out


def klass(name):
    return name[:3] if name.startswith("RC") else name[:2]


def summary(runs, bks):
    """Per class and overall: mean over seeds of the average gap, spread over seeds,
    infeasible count."""
    classes = sorted({klass(i) for i in bks}, key=lambda c: (len(c), c)) + ["all"]
    rows = {}
    for c in classes:
        avgs, bad = [], 0
        for run in runs:
            gaps = []
            for inst, best in bks.items():
                if c != "all" and klass(inst) != c:
                    continue
                d, ok = run.get(inst, (None, False))
                if not ok:
                    bad += 1
                    continue
                gaps.append((d - best) / best * 100)
            avgs.append(statistics.mean(gaps) if gaps else float("nan"))
        rows[c] = (statistics.mean(avgs), max(avgs) - min(avgs), bad)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bks", required=True)
    ap.add_argument("--ours", nargs="+", required=True)
    ap.add_argument("--peer", nargs="+", required=True)
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    bks = {k: v["distance_only"]["distance"] for k, v in json.load(open(a.bks)).items()}
    o = summary([ours(p) for p in a.ours], bks)
    p = summary([peer(q) for q in a.peer], bks)
    if a.title:
        print(f"### {a.title}\n")
    print("| class | fieldwork gap % | spread | infeasible | PyVRP gap % | spread | infeasible | ahead |")
    print("|---|---:|---:|---:|---:|---:|---:|:---:|")
    for c in o:
        (og, osp, ob), (pg, psp, pb) = o[c], p[c]
        ahead = "fieldwork" if og < pg else "PyVRP"
        print(f"| {c} | {og:+.2f} | {osp:.2f} | {ob} | {pg:+.2f} | {psp:.2f} | {pb} | {ahead} |")


if __name__ == "__main__":
    main()
