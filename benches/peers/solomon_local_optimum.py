#!/usr/bin/env python3
"""Is a Solomon plan a local optimum of the classical neighbourhoods? Tries every move of each
on the plan and prints the best improvement (in distance) each offers, if any:

- intra-oropt: a string of 1-3 jobs moved elsewhere in its route, either way round;
- 2opt: a stretch of a route reversed;
- 2opt*: the tails of two routes exchanged;
- swap: one job of a route exchanged with one of another, each taking the other's place;
- swap*: the same exchange, each job inserted at its best feasible place in the other route
  (Vidal 2022's SWAP*);
- relocate: a string of 1-3 jobs moved to another route.

Every candidate is checked for feasibility (windows, capacity, return by the depot's close) in
double precision. Plain and slow on purpose (O(n^3) per neighbourhood): a reference, not a
solver.

    cargo run --release --example solomon -- benches/data/solomon/R202.txt --out /tmp/r.json
    python3 benches/peers/solomon_local_optimum.py benches/data/solomon/R202.txt /tmp/r.json
"""
import json
import math
import sys


def read(path):
    lines = open(path).read().split('\n')
    capacity = int(lines[4].split()[1])
    rows = []
    for line in lines[9:]:
        t = line.split()
        if len(t) == 7:
            rows.append(tuple(float(x) for x in t[1:]))
    return capacity, rows


def main(instance, plan):
    capacity, c = read(instance)
    n = len(c)
    d = [[math.hypot(c[i][0] - c[j][0], c[i][1] - c[j][1]) for j in range(n)] for i in range(n)]
    routes = json.load(open(plan))['routes']

    def feasible(r):
        t, loc, load = 0.0, 0, 0
        for x in r:
            t = max(t + d[loc][x], c[x][3])
            if t > c[x][4] + 1e-9:
                return False
            t += c[x][5]
            loc = x
            load += c[x][2]
        return load <= capacity and t + d[loc][0] <= c[0][4] + 1e-9

    def length(r):
        p = [0] + r + [0]
        return sum(d[a][b] for a, b in zip(p, p[1:]))

    def best_insertion(rest, x):
        """The shortest feasible route of `rest` with `x` inserted, or None."""
        lengths = [length(r) for r in (rest[:k] + [x] + rest[k:] for k in range(len(rest) + 1))
                   if feasible(r)]
        return min(lengths) if lengths else None

    best = {}

    def record(kind, delta):
        if delta < best.get(kind, 0.0) - 1e-7:
            best[kind] = delta

    for a, ra in enumerate(routes):
        base = length(ra)
        for i in range(len(ra)):
            for ln in (1, 2, 3):
                s = ra[i:i + ln]
                if len(s) < ln:
                    continue
                rest = ra[:i] + ra[i + ln:]
                for k in range(len(rest) + 1):
                    for t in (s, s[::-1]):
                        r = rest[:k] + t + rest[k:]
                        if r != ra and feasible(r):
                            record('intra-oropt', length(r) - base)
            for j in range(i + 1, len(ra)):
                r = ra[:i] + ra[i:j + 1][::-1] + ra[j + 1:]
                if feasible(r):
                    record('2opt', length(r) - base)
        for b, rb in enumerate(routes):
            if a == b:
                continue
            base2 = length(ra) + length(rb)
            if a < b:
                for i in range(len(ra) + 1):
                    for j in range(len(rb) + 1):
                        n1, n2 = ra[:i] + rb[j:], rb[:j] + ra[i:]
                        if feasible(n1) and feasible(n2):
                            record('2opt*', length(n1) + length(n2) - base2)
                for i in range(len(ra)):
                    for j in range(len(rb)):
                        n1 = ra[:i] + [rb[j]] + ra[i + 1:]
                        n2 = rb[:j] + [ra[i]] + rb[j + 1:]
                        delta = length(n1) + length(n2) - base2
                        if delta < -1e-7 and feasible(n1) and feasible(n2):
                            record('swap', delta)
                for i in range(len(ra)):
                    for j in range(len(rb)):
                        a_in = best_insertion(ra[:i] + ra[i + 1:], rb[j])
                        b_in = best_insertion(rb[:j] + rb[j + 1:], ra[i])
                        if a_in is not None and b_in is not None:
                            record('swap*', a_in + b_in - base2)
            for i in range(len(ra)):
                for ln in (1, 2, 3):
                    s = ra[i:i + ln]
                    if len(s) < ln:
                        continue
                    n1 = ra[:i] + ra[i + ln:]
                    for k in range(len(rb) + 1):
                        n2 = rb[:k] + s + rb[k:]
                        delta = length(n1) + length(n2) - base2
                        if delta < -1e-7 and feasible(n1) and feasible(n2):
                            record('relocate', delta)
    total = sum(length(r) for r in routes)
    ok = all(feasible(r) for r in routes)
    print(f'distance {total:.2f}, {len(routes)} routes, feasible {ok}')
    print('best improvement per neighbourhood:', best or 'none (a local optimum of all six)')


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: solomon_local_optimum.py INSTANCE.txt ROUTES.json')
    main(sys.argv[1], sys.argv[2])
