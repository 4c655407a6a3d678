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
fn key_better(a: (f64, f64, f64, f64, f64), b: (f64, f64, f64, f64, f64)) -> bool {
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
pub(crate) fn regret_insert(p: &Problem, st: &mut State, k: usize, urgency_first: bool) {
    let k = k.max(1);
    let mut pending = std::mem::take(&mut st.unassigned);
    let nr = st.routes.len();
    // cache[i * nr + r]: best insertion of pending[i] into route r.
    let mut cache: Vec<Option<Insertion>> = Vec::with_capacity(pending.len() * nr);
    for &j in &pending {
        for r in 0..nr {
            cache.push(route_best(p, st, r, j, INF2, None));
        }
    }
    let mut top: Vec<(f64, f64, usize)> = Vec::with_capacity(nr);
    while !pending.is_empty() {
        // Key (value, urgency, regret lateness, regret cost) and the chosen insertion.
        let mut chosen: Option<(usize, usize, Insertion)> = None;
        let mut chosen_key = (
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for (i, &j) in pending.iter().enumerate() {
            top.clear();
            let mut empty_best: Option<(f64, f64, usize)> = None;
            for r in 0..nr {
                if let Some(ins) = cache[i * nr + r] {
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
                continue;
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
            let (value, urgency) = (p.jobs()[j].value, (k - options) as f64);
            let key = if urgency_first {
                (urgency, value, rl, rc, -top[0].1)
            } else {
                (value, urgency, rl, rc, -top[0].1)
            };
            let better_key = key_better(key, chosen_key);
            if chosen.is_none() || better_key {
                chosen_key = key;
                let r = top[0].2;
                chosen = cache[i * nr + r].map(|ins| (i, r, ins));
            }
        }
        let Some((i, r, ins)) = chosen else {
            break;
        };
        let j = pending[i];
        st.insert(p, r, ins.pos, j);
        // Drop the row of the inserted job, then refresh column r.
        pending.swap_remove(i);
        let last = pending.len();
        if i != last {
            for rr in 0..nr {
                cache[i * nr + rr] = cache[last * nr + rr];
            }
        }
        cache.truncate(last * nr);
        for (ii, &jj) in pending.iter().enumerate() {
            cache[ii * nr + r] = route_best(p, st, r, jj, INF2, None);
        }
    }
    st.unassigned = pending;
}

/// Inserts `jobs` in the given order, each at its cheapest feasible position over all routes
/// (positions skipped with probability `blink`). Jobs that fit nowhere go to `st.unassigned`.
pub(crate) fn greedy_insert(
    p: &Problem,
    st: &mut State,
    jobs: &[usize],
    rng: &mut Rng,
    blink: f64,
) {
    let nr = st.routes.len();
    for &j in jobs {
        let mut best: Option<(usize, Insertion)> = None;
        let mut limit = INF2;
        let mut ties = 0u32;
        for r in 0..nr {
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
