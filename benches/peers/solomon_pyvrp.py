#!/usr/bin/env python3
"""Solves Solomon VRPTW instances with PyVRP (the peer of examples/solomon.rs) and checks
every solution with an independent validator in double precision.

    python3 benches/peers/solomon_pyvrp.py benches/data/solomon --budget-ms 2000 --seed 1 > pyvrp.jsonl

One JSON line per instance: instance, distance (Euclidean, double precision), vehicles,
feasible, ms. PyVRP works on integers: coordinates-distances are scaled by 1000 and rounded
to the nearest integer for the distance it minimises; durations are scaled by 1000 and
rounded *up*, so a schedule PyVRP finds feasible is feasible in real numbers too (the
validator below re-checks it with the unrounded data). One thread (PyVRP is sequential).
"""
import argparse
import json
import math
import pathlib
import sys
import time

import pyvrp
from pyvrp.stop import MaxRuntime

SCALE = 1000


def read_solomon(path):
    lines = path.read_text().splitlines()
    fleet, capacity = map(int, lines[4].split())
    rows = []
    for line in lines[9:]:
        f = line.split()
        if len(f) == 7:
            rows.append(tuple(float(x) for x in f))
    return fleet, capacity, rows


def solve(path, budget_ms, seed):
    fleet, capacity, rows = read_solomon(path)
    m = pyvrp.Model()
    depot_row = rows[0]
    locations = [m.add_location(x=round(r[1] * SCALE), y=round(r[2] * SCALE)) for r in rows]
    depot = m.add_depot(locations[0], tw_early=0, tw_late=round(depot_row[5] * SCALE))
    m.add_vehicle_type(num_available=fleet, capacity=capacity, start_depot=depot, end_depot=depot,
                       tw_early=0, tw_late=round(depot_row[5] * SCALE))
    for i, r in enumerate(rows[1:], start=1):
        m.add_client(locations[i], delivery=int(r[3]), service_duration=round(r[6] * SCALE),
                     tw_early=round(r[4] * SCALE), tw_late=round(r[5] * SCALE))
    for i, a in enumerate(rows):
        for j, b in enumerate(rows):
            if i != j:
                d = math.hypot(a[1] - b[1], a[2] - b[2]) * SCALE
                m.add_edge(locations[i], locations[j], distance=round(d), duration=math.ceil(d - 1e-9))
    start = time.perf_counter()
    res = m.solve(stop=MaxRuntime(budget_ms / 1000), seed=seed, display=False)
    ms = (time.perf_counter() - start) * 1000
    # Activity indices count clients from 0; Solomon customers are numbered from 1.
    routes = [[a.idx + 1 for a in r if a.is_client()] for r in res.best.routes()]
    return rows, fleet, capacity, routes, ms, res.best.is_feasible()


def check(rows, fleet, capacity, routes):
    """Independent check with the unrounded data: every customer once, capacity, start of
    service within [ready, due], back at the depot by its due time, fleet respected."""
    seen = sorted(c for r in routes for c in r)
    if seen != list(range(1, len(rows))) or len(routes) > fleet:
        return False, 0.0
    total = 0.0
    for r in routes:
        if sum(rows[c][3] for c in r) > capacity:
            return False, 0.0
        t, here = 0.0, 0
        for c in r + [0]:
            d = math.hypot(rows[here][1] - rows[c][1], rows[here][2] - rows[c][2])
            total += d
            t = max(t + d, rows[c][4])
            if t > rows[c][5] + 1e-6:
                return False, 0.0
            t += rows[c][6] if c else 0.0
            here = c
    return True, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--budget-ms", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated instance names")
    a = ap.parse_args()
    only = set(filter(None, a.only.split(",")))
    for path in sorted(pathlib.Path(a.dir).glob("*.txt")):
        if only and path.stem not in only:
            continue
        rows, fleet, capacity, routes, ms, ok = solve(path, a.budget_ms, a.seed)
        feasible, distance = check(rows, fleet, capacity, routes)
        print(json.dumps({"instance": path.stem, "distance": round(distance, 4),
                          "vehicles": len(routes), "feasible": feasible and ok, "ms": round(ms)}),
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
