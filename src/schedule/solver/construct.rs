//! Insertion heuristics: regret-k construction and SISR's greedy insertion with blinks.

use std::cmp::Ordering;

use super::problem::{Problem, EPS};
use super::rng::Rng;
use super::route::{better, Insertion};
use super::state::State;

const INF2: (f64, f64) = (f64::INFINITY, f64::INFINITY);

/// Best insertion of `j` in route `r` (eligibility and capacity included).
#[inline]
fn route_best(
    p: &Problem,
    st: &State,
    r: usize,
    j: usize,
    limit: (f64, f64),
    blink: Option<(&mut Rng, f64)>,
) -> Option<Insertion> {
    let route = &st.routes[r];
    if !p.is_eligible(j, route.vehicle) || !route.has_room_for(p, j) {
        return None;
    }
    route.best_insertion(p, j, limit, blink)
}

/// Compares two floats with the absolute tolerance [`EPS`] (infinities compare equal to themselves).
fn cmp_eps(a: f64, b: f64) -> Ordering {
    if a == b || (a - b).abs() <= EPS {
        Ordering::Equal
    } else {
        a.total_cmp(&b)
    }
}

/// Regret priority: larger is better, component by component.
fn key_better(a: Key, b: Key) -> bool {
    cmp_eps(a.0, b.0)
        .then(cmp_eps(a.1, b.1))
        .then(cmp_eps(a.2, b.2))
        .then(cmp_eps(a.3, b.3))
        .then(cmp_eps(a.4, b.4))
        == Ordering::Greater
}

/// Regret-k insertion of every unassigned job: repeatedly inserts the job whose best insertion
/// would be most regretted (sum of the cost differences between its best and its next k−1
/// best routes). Only the cheapest empty route counts as an option, so that a fleet of identical
/// idle vehicles does not drown the regret. Higher-value jobs go first and, among them, jobs
/// with fewer than k options; with `urgency_first` the jobs with fewer options go first and
/// value comes second. Ties go to the cheapest insertion. Jobs that fit nowhere stay
/// unassigned.
///
/// Cost: each job's best insertions are cached for its *eligible* routes only, and its regret
/// key is recomputed only when the route just changed is one of them; a step costs the
/// insertion evaluations of the jobs eligible for the changed route plus one comparison per
/// pending job. For n jobs with at most e eligible routes each: O(n · e) evaluations to start,
/// O(n²) key comparisons overall (cheap), instead of O(n² · routes) before.
pub(crate) fn regret_insert(p: &Problem, st: &mut State, k: usize, urgency_first: bool) {
    let k = k.max(1);
    let mut pending = std::mem::take(&mut st.unassigned);
    let nr = st.routes.len();
    let nj = p.jobs().len();
    // Per job: its eligible routes (routes are indexed by vehicle), and at the same offsets
    // the cached best insertion into each.
    let mut offset = vec![0usize; nj + 1];
    for j in 0..nj {
        offset[j + 1] = offset[j] + p.eligible_vehicles[j].len();
    }
    let routes_of = |j: usize| &p.eligible_vehicles[j];
    let mut cache: Vec<Option<Insertion>> = vec![None; offset[nj]];
    // Per route: the pending jobs eligible for it (with their slot in the job's list).
    let mut jobs_of_route: Vec<Vec<(u32, u32)>> = vec![Vec::new(); nr];
    // Per twin group: the last job evaluated on an empty route of the group, and the result
    // (the same on every empty route of the group).
    let mut empty_seen: Vec<(usize, Option<Insertion>)> = vec![(usize::MAX, None); nr];
    for &j in &pending {
        for (slot, &r) in routes_of(j).iter().enumerate() {
            let r = r as usize;
            if r >= nr {
                continue;
            }
            let group = st.routes[r]
                .is_empty()
                .then(|| p.twin(st.routes[r].vehicle));
            cache[offset[j] + slot] = match group.and_then(|g| empty_seen.get_mut(g)) {
                Some(seen) if seen.0 == j => seen.1,
                Some(seen) => {
                    *seen = (j, route_best(p, st, r, j, INF2, None));
                    seen.1
                }
                None => route_best(p, st, r, j, INF2, None),
            };
            jobs_of_route[r].push((j as u32, slot as u32));
        }
    }
    const NO_KEY: Key = (
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    let mut is_pending = vec![false; nj];
    for &j in &pending {
        is_pending[j] = true;
    }
    let mut top: Vec<(f64, f64, usize)> = Vec::new();
    // Per job: its key and best route, `None` when it fits nowhere.
    let mut keys: Vec<Option<(Key, usize)>> = vec![None; nj];
    let mut key_of = |j: usize, st: &State, cache: &[Option<Insertion>]| {
        top.clear();
        // Inserting at a cost above the job's value (its cost when left out) does not pay.
        let value = p.jobs()[j].value;
        let mut empty_best: Option<(f64, f64, usize)> = None;
        for (slot, &r) in routes_of(j).iter().enumerate() {
            let r = r as usize;
            if r >= nr {
                continue;
            }
            if let Some(ins) = cache[offset[j] + slot].filter(|i| i.cost <= value + EPS) {
                let t = (ins.lateness, ins.cost, r);
                if st.routes[r].is_empty() {
                    if empty_best.is_none_or(|e| better(t.0, t.1, e.0, e.1)) {
                        empty_best = Some(t);
                    }
                } else {
                    top.push(t);
                }
            }
        }
        top.extend(empty_best);
        if top.is_empty() {
            return None;
        }
        top.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let options = top.len().min(k);
        let (mut rl, mut rc) = (0.0, 0.0);
        for t in top.iter().take(options).skip(1) {
            rl += t.0 - top[0].0;
            rc += t.1 - top[0].1;
        }
        if options < k {
            // Few options: most urgent; among those, the cheapest best insertion goes first.
            rl = f64::INFINITY;
            rc = -top[0].1;
        }
        let urgency = (k - options) as f64;
        let key = if urgency_first {
            (urgency, value, rl, rc, -top[0].1)
        } else {
            (value, urgency, rl, rc, -top[0].1)
        };
        Some((key, top[0].2))
    };
    for &j in &pending {
        keys[j] = key_of(j, st, &cache);
    }
    while !pending.is_empty() {
        // The pending job with the best key (the first in pending order among equals).
        let mut chosen: Option<(usize, usize)> = None;
        let mut chosen_key = NO_KEY;
        for (i, &j) in pending.iter().enumerate() {
            let Some((key, r)) = keys[j] else {
                continue;
            };
            if chosen.is_none() || key_better(key, chosen_key) {
                chosen_key = key;
                chosen = Some((i, r));
            }
        }
        let Some((i, r)) = chosen else {
            break;
        };
        let j = pending[i];
        let slot = routes_of(j).iter().position(|&x| x as usize == r);
        let Some(ins) = slot.and_then(|s| cache[offset[j] + s]) else {
            break;
        };
        st.insert(p, r, ins.pos, j);
        pending.swap_remove(i);
        is_pending[j] = false;
        // Refresh route r's column, then the keys of the jobs that can use route r.
        jobs_of_route[r].retain(|&(jj, _)| is_pending[jj as usize]);
        for &(jj, s) in &jobs_of_route[r] {
            let jj = jj as usize;
            cache[offset[jj] + s as usize] = route_best(p, st, r, jj, INF2, None);
        }
        for &(jj, _) in &jobs_of_route[r] {
            let jj = jj as usize;
            keys[jj] = key_of(jj, st, &cache);
        }
    }
    st.unassigned = pending;
}

/// A regret key: (value, urgency, regret lateness, regret cost, −best cost) or with urgency
/// and value swapped; larger is better.
type Key = (f64, f64, f64, f64, f64);

/// Inserts `jobs` in the given order, each at its cheapest feasible position over all routes
/// (positions skipped with probability `blink`). Jobs that fit nowhere go to `st.unassigned`.
/// Only a job's eligible routes are tried (the others could not take it anyway), and of the
/// empty routes of interchangeable vehicles ([`Problem::twin`]) only the first.
pub(crate) fn greedy_insert(
    p: &Problem,
    st: &mut State,
    jobs: &[usize],
    rng: &mut Rng,
    blink: f64,
) {
    let nr = st.routes.len();
    // Per twin group: the last job that tried an empty route of the group.
    let mut tried_empty = vec![usize::MAX; nr];
    for &j in jobs {
        let mut best: Option<(usize, Insertion)> = None;
        // Inserting at a cost above the job's value (its cost when left out) does not pay.
        let mut limit = (f64::INFINITY, p.jobs()[j].value);
        let mut ties = 0u32;
        for r in p.eligible_vehicles[j].iter().map(|&r| r as usize) {
            if r >= nr {
                continue;
            }
            if st.routes[r].is_empty() {
                let group = p.twin(st.routes[r].vehicle);
                if let Some(last) = tried_empty.get_mut(group) {
                    if *last == j {
                        continue;
                    }
                    *last = j;
                }
            }
            let bl = if blink > 0.0 {
                Some((&mut *rng, blink))
            } else {
                None
            };
            if let Some(ins) = route_best(p, st, r, j, limit, bl) {
                if best.is_none() || better(ins.lateness, ins.cost, limit.0, limit.1) {
                    limit = (ins.lateness, ins.cost);
                    best = Some((r, ins));
                    ties = 1;
                } else {
                    // Equally good: pick uniformly among the ties (reservoir sampling).
                    ties += 1;
                    if rng.below(ties as usize) == 0 {
                        best = Some((r, ins));
                    }
                }
            }
        }
        match best {
            Some((r, ins)) => st.insert(p, r, ins.pos, j),
            None => st.unassigned.push(j),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::problem::{Job, TravelMatrix, Vehicle};
    use super::*;

    /// 40 jobs around a depot with windows, served by `fleet` vehicles: identical ones
    /// (`distinct == false`, all twins) or made distinct by a job limit no route reaches.
    fn problem(distinct: bool, fleet: usize) -> Problem {
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut points = vec![(50.0, 50.0)];
        points.extend((0..40).map(|_| (next() * 100.0, next() * 100.0)));
        let matrix = TravelMatrix::euclidean(&points).unwrap();
        let vehicles = (0..fleet)
            .map(|v| {
                let veh = Vehicle::new(0, 0.0, 400.0).with_capacity(60.0);
                if distinct {
                    veh.with_max_jobs(100 + v)
                } else {
                    veh
                }
            })
            .collect();
        let jobs = (1..=40)
            .map(|l| {
                let e = next() * 250.0;
                Job::new(l)
                    .with_service(10.0)
                    .with_demand(5.0 + next() * 10.0)
                    .with_window(e, e + 60.0 + next() * 60.0)
            })
            .collect();
        Problem::new(matrix, vehicles, jobs).unwrap()
    }

    #[test]
    fn twin_empty_routes_are_tried_once_without_changing_the_plan_cost() {
        let (twins, distinct) = (problem(false, 12), problem(true, 12));
        assert!((1..12).all(|v| twins.twin(v) == 0 && distinct.twin(v) == v));
        let jobs: Vec<usize> = (0..40).collect();
        let cost = |p: &Problem, regret: bool| {
            let mut st = State::empty(p);
            if regret {
                st.unassigned = jobs.clone();
                regret_insert(p, &mut st, 3, false);
            } else {
                greedy_insert(p, &mut st, &jobs, &mut Rng::new(3), 0.0);
            }
            let s = st.score(p, 0.0);
            (st.unassigned.len(), s.cost)
        };
        for regret in [false, true] {
            let (a, b) = (cost(&twins, regret), cost(&distinct, regret));
            assert_eq!(a.0, b.0, "regret {regret}");
            assert!(
                (a.1 - b.1).abs() < 1e-6,
                "regret {regret}: {a:?} against {b:?}"
            );
        }
    }
}
