#!/usr/bin/env python3
"""A second, independent checker of TRSP solutions (Pillac, Gueret & Medaglia 2013; semantics in
../shared/bench/trsp/README.md), written apart from examples/trsp.rs's checker and from the
solver, in another language, so that results at or below the best-known values are confirmed by
a second reading of the rules.

    python3 benches/peers/trsp_check.py ../shared/bench/trsp/C101.100_25-5-5-5.txt routes.json
    python3 benches/peers/trsp_check.py ../shared/bench/trsp ROUTES_DIR

The first form checks one solution (`examples/trsp.rs --out`); the second every
`NAME.seedK.json` of ROUTES_DIR (`examples/trsp.rs --all --routes-dir`) against the instance
NAME.txt of the data folder and its bks_vrprep_2013.json, and prints per class the average gap
of the durations it recomputed. Exit 1 when any solution breaks a rule (each violation printed).
Checked: one route per technician from home to home within its window; every request served
exactly once by a technician with all its skills; arrival within each window (waiting allowed);
at most one depot visit; before it the technician's own tools and cumulated parts within its
stock, after it everything; duration = return - latest feasible start (start postponed by
min(forward slack, total waiting))."""
import json, math, os, re, sys
from collections import defaultdict


def rows(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) != 9 or not f[0].isdigit():
            continue
        lst = lambda s: [int(x) for x in s.strip('[]').split(',') if x.strip()]
        out[int(f[0])] = dict(x=float(f[1]), y=float(f[2]), tws=float(f[3]), twe=float(f[4]),
                              serv=float(f[5]), skills=lst(f[6]), tools=lst(f[7]), parts=lst(f[8]))
    return out


def check(instance, solution):
    """(duration, distance, violations) of one solution."""
    r = rows(instance)
    routes = json.load(open(solution))['routes']
    techs = {i for i in r if 1 <= i <= 25}
    requests = [i for i in r if i > 25]
    d = lambda a, b: math.hypot(a['x'] - b['x'], a['y'] - b['y'])
    bad, seen, total_dur, total_dist, used = [], {}, 0.0, 0.0, set()
    for route in routes:
        t = route['technician']
        if t not in techs:
            bad.append(f'unknown technician {t}'); continue
        if t in used:
            bad.append(f'technician {t} has two routes')
        used.add(t)
        home = r[t]
        stops = route['stops']
        if not stops:
            continue
        if stops.count(0) > 1:
            bad.append(f'technician {t}: more than one depot visit')
        # Earliest schedule, then the latest start (Savelsbergh forward slack, capped by the waiting).
        time, here, waits, arrivals = home['tws'], home, [], []
        stock = list(home['parts'])
        after_depot = False
        for s in stops:
            node = r.get(s)
            if node is None or (0 < s <= 25):
                bad.append(f'technician {t}: bad stop {s}'); continue
            total_dist += d(here, node)
            a = time + d(here, node)
            if a > node['twe'] + 1e-9:
                bad.append(f'technician {t}: late at {s} ({a:.3f} > {node["twe"]})')
            b = max(a, node['tws'])
            arrivals.append((a, node['twe'])); waits.append(b - a)
            if s == 0:
                after_depot = True
                time = b
            else:
                seen[s] = seen.get(s, 0) + 1
                if not set(node['skills']) <= set(home['skills']):
                    bad.append(f'technician {t}: lacks a skill for {s}')
                if not after_depot:
                    if not set(node['tools']) <= set(home['tools']):
                        bad.append(f'technician {t}: lacks a tool for {s} before the depot')
                    for k, u in enumerate(node['parts']):
                        stock[k] -= u
                        if stock[k] < 0:
                            bad.append(f'technician {t}: short of part {k} at {s}')
                time = b + node['serv']
            here = node
        total_dist += d(here, home)
        back = time + d(here, home)
        if back > home['twe'] + 1e-9:
            bad.append(f'technician {t}: home at {back:.3f} > {home["twe"]}')
        arrivals.append((back, home['twe'])); waits.append(0.0)
        # F0 = min_k (latest_k - a_k + waiting before k); shift = min(F0, total waiting).
        f0, before = math.inf, 0.0
        for (a, late), w in zip(arrivals, waits):
            f0 = min(f0, late - a + before)
            before += w
        shift = max(0.0, min(f0, sum(waits)))
        total_dur += back - (home['tws'] + shift)
    for q in requests:
        if seen.get(q, 0) != 1:
            bad.append(f'request {q} served {seen.get(q, 0)} times')
    return total_dur, total_dist, bad


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data, sols = sys.argv[1], sys.argv[2]
    if not os.path.isdir(data):
        dur, dist, bad = check(data, sols)
        print('\n'.join(bad) if bad else f'duration {dur:.3f} distance {dist:.3f}')
        sys.exit(1 if bad else 0)
    bks = json.load(open(os.path.join(data, 'bks_vrprep_2013.json')))
    gaps, failed, checked = defaultdict(list), 0, 0
    for name in sorted(os.listdir(sols)):
        m = re.match(r'(.+)\.seed(\d+)\.json$', name)
        if not m:
            continue
        inst = m.group(1)
        dur, _, bad = check(os.path.join(data, inst + '.txt'), os.path.join(sols, name))
        checked += 1
        if bad:
            failed += 1
            print(f'{name}: ' + '; '.join(bad))
            continue
        gap = (dur - bks[inst]['duration']) / bks[inst]['duration'] * 100
        gaps[re.match(r'[A-Z]+\d', inst).group(0)].append(gap)
    every = [g for v in gaps.values() for g in v]
    for cls in sorted(gaps):
        v = gaps[cls]
        below = sum(1 for g in v if g < 0)
        print(f'{cls:4} {len(v):3} solutions, average gap {sum(v) / len(v):+.2f} %, {below} below best known')
    print(f'{checked} solutions checked, {failed} infeasible; average gap {sum(every) / max(1, len(every)):+.2f} %')
    sys.exit(1 if failed else 0)


main()
