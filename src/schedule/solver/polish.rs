//! Intra-route local search, run on the first plan of the search and on every new best plan:
//! reversing a stretch of a route (2-opt) and moving a string of up to [`MAX_STRING`] jobs
//! elsewhere in its route, either way round (or-opt). Ruin-and-recreate seldom makes these
//! moves: it re-inserts removed jobs one at a time, each at its own best place, and never
//! reverses a stretch. Measured on the final plans of 2 s Solomon runs (R2, RC2): a reversal
//! that shortens the route by 0.4 % was left in RC204, smaller ones in several others.
//!
//! Every candidate move is screened by its change in travel distance, O(1) with prefix sums of
//! the route's legs in both directions (so asymmetric matrices are handled); one that
//! shortens the route is checked exactly — feasibility ([`RouteState::sequence_feasible`]) and
//! the route's whole cost on the one scale after a rebuild (duration, lateness, overtime,
//! disruption, restock visit), O(k) — and applied when it lowers that cost. Fixed jobs never
//! move and no job goes before a route's started ones. Routes whose vehicle has no cost per
//! distance are left alone (the screen would be blind there).
//!
//! Cost: O(k² · [`MAX_STRING`]) screens per scan of a route of k jobs; every applied move
//! restarts the scan of its route, at most [`MAX_MOVES`] times per route and call. Run only on
//! new best plans, it takes a small share of a search (about 1 % on Solomon's long routes).

use super::problem::{Problem, EPS};
use super::route::RouteState;
use super::state::State;

/// Longest string an or-opt move relocates.
pub(crate) const MAX_STRING: usize = 3;

/// Improving moves applied per route and call (each restarts that route's scan).
pub(crate) const MAX_MOVES: usize = 100;

/// Reusable buffers of [`polish`].
#[derive(Debug, Default)]
pub(crate) struct Polisher {
    /// Locations of the route's nodes: start, jobs, end.
    locs: Vec<usize>,
    /// `fw[x]`: distance of the legs from node 0 to node x, in route order.
    fw: Vec<f64>,
    /// `bw[x]`: the same legs driven backwards (node x to node 0).
    bw: Vec<f64>,
    /// The candidate job sequence.
    seq: Vec<usize>,
    /// Screened moves with their change in distance.
    moves: Vec<(f64, Move)>,
}

impl Polisher {
    /// Applies improving intra-route moves to every route of `st` until none is left (or the
    /// per-route bound is reached), the most shortening first; marks the changed routes dirty. Returns whether any route
    /// changed (its cost then dropped).
    pub(crate) fn polish(&mut self, p: &Problem, st: &mut State, fixed: &[bool]) -> bool {
        let mut improved = false;
        for r in 0..st.routes.len() {
            let mut moves = 0;
            while moves < MAX_MOVES && self.improve_route(p, st, r, fixed) {
                moves += 1;
                improved = true;
            }
        }
        improved
    }

    /// Screens every move of route `r` and applies the one that shortens it most among those
    /// that pass the exact check, if any.
    fn improve_route(&mut self, p: &Problem, st: &mut State, r: usize, fixed: &[bool]) -> bool {
        self.screen(p, &st.routes[r], fixed);
        self.moves
            .sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let moves = std::mem::take(&mut self.moves);
        let applied = moves.iter().any(|&(_, mv)| self.try_move(p, st, r, mv));
        self.moves = moves;
        applied
    }

    /// Collects into `self.moves` the moves of `route` that shorten it, with their change in
    /// distance. O(k² · [`MAX_STRING`]).
    fn screen(&mut self, p: &Problem, route: &RouteState, fixed: &[bool]) {
        self.moves.clear();
        let k = route.jobs.len();
        let veh = &p.vehicles()[route.vehicle];
        if k < 2 || veh.cost_per_distance <= 0.0 {
            return;
        }
        let m = p.matrix();
        self.locs.clear();
        self.locs.push(veh.start_location);
        self.locs.extend(route.jobs.iter().map(|&j| p.jd[j].loc));
        self.locs.push(veh.end_location);
        self.fw.clear();
        self.bw.clear();
        self.fw.push(0.0);
        self.bw.push(0.0);
        for x in 0..=k {
            let (a, b) = (self.locs[x], self.locs[x + 1]);
            self.fw.push(self.fw[x] + m.distance(a, b));
            self.bw.push(self.bw[x] + m.distance(b, a));
        }
        let (locs, fw, bw, moves) = (&self.locs, &self.fw, &self.bw, &mut self.moves);
        // Node positions: node 0 = start, node i + 1 = jobs[i], node k + 1 = end.
        let d = |a: usize, b: usize| m.distance(locs[a], locs[b]);
        // Reversing the nodes s..=e changes their inner legs by this much.
        let flip = |s: usize, e: usize| (bw[e] - bw[s]) - (fw[e] - fw[s]);
        let jobs = &route.jobs;
        let first = route.locked;
        for i in first..k {
            if fixed[jobs[i]] {
                continue;
            }
            // 2-opt: reverse jobs[i..=j].
            for j in i + 1..k {
                if fixed[jobs[j]] {
                    break;
                }
                let (a, s, e, b) = (i, i + 1, j + 1, j + 2);
                let delta = d(a, e) + d(s, b) - d(a, s) - d(e, b) + flip(s, e);
                if delta < -EPS {
                    moves.push((delta, Move::Reverse { i, j }));
                }
            }
            // Or-opt: move jobs[i..i + len] after node x, as they are or reversed.
            for len in 1..=MAX_STRING.min(k - i) {
                if fixed[jobs[i + len - 1]] {
                    break;
                }
                let (a, s, e, b) = (i, i + 1, i + len, i + len + 1);
                let out = d(a, b) - d(a, s) - d(e, b);
                for x in (first..a).chain(b..=k) {
                    let base = out - d(x, x + 1);
                    let ahead = base + d(x, s) + d(e, x + 1);
                    let back = if len > 1 {
                        base + d(x, e) + d(s, x + 1) + flip(s, e)
                    } else {
                        f64::INFINITY
                    };
                    let (delta, reversed) = if back < ahead {
                        (back, true)
                    } else {
                        (ahead, false)
                    };
                    if delta < -EPS {
                        moves.push((
                            delta,
                            Move::Shift {
                                i,
                                len,
                                x,
                                reversed,
                            },
                        ));
                    }
                }
            }
        }
    }

    /// Builds the sequence of `mv` on route `r`, and applies it if it is feasible and lowers
    /// the route's cost.
    fn try_move(&mut self, p: &Problem, st: &mut State, r: usize, mv: Move) -> bool {
        let route = &st.routes[r];
        let jobs = &route.jobs;
        self.seq.clear();
        match mv {
            Move::Reverse { i, j } => {
                self.seq.extend_from_slice(&jobs[..i]);
                self.seq.extend(jobs[i..=j].iter().rev());
                self.seq.extend_from_slice(&jobs[j + 1..]);
            }
            Move::Shift {
                i,
                len,
                x,
                reversed,
            } => {
                // Node x is job x - 1: the string goes after the first x jobs of the route
                // without it.
                let string = &jobs[i..i + len];
                let place = |seq: &mut Vec<usize>| {
                    if reversed {
                        seq.extend(string.iter().rev());
                    } else {
                        seq.extend_from_slice(string);
                    }
                };
                if x <= i {
                    self.seq.extend_from_slice(&jobs[..x]);
                    place(&mut self.seq);
                    self.seq.extend_from_slice(&jobs[x..i]);
                    self.seq.extend_from_slice(&jobs[i + len..]);
                } else {
                    self.seq.extend_from_slice(&jobs[..i]);
                    self.seq.extend_from_slice(&jobs[i + len..x]);
                    place(&mut self.seq);
                    self.seq.extend_from_slice(&jobs[x..]);
                }
            }
        }
        if !RouteState::sequence_feasible(p, route.vehicle, &self.seq) {
            return false;
        }
        let mut cand = route.clone();
        cand.jobs.clone_from(&self.seq);
        cand.rebuild(p);
        if cand.feasible && cand.total(p) < route.total(p) - EPS {
            st.routes[r] = cand;
            st.mark(r);
            true
        } else {
            false
        }
    }
}

/// An intra-route move, in job indices of the route (`x`: a node position, see
/// [`Polisher::screen`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Move {
    /// Reverse `jobs[i..=j]`.
    Reverse { i: usize, j: usize },
    /// Move `jobs[i..i + len]` after node `x` (outside the string), possibly reversed.
    Shift {
        i: usize,
        len: usize,
        x: usize,
        reversed: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::super::problem::{Job, TravelMatrix, Vehicle};
    use super::super::rng::Rng;
    use super::super::state::{InitialPlan, PlannedJob};
    use super::*;

    /// Every sequence one reversal or one string move (up to [`MAX_STRING`] jobs, either way
    /// round) away from `jobs`, keeping the first `locked` jobs in place: the neighbourhood
    /// written the plain way, as the reference of the screen.
    fn neighbours(jobs: &[usize], locked: usize) -> Vec<Vec<usize>> {
        let k = jobs.len();
        let mut out = Vec::new();
        for i in locked..k {
            for j in i + 1..k {
                let mut s = jobs.to_vec();
                s[i..=j].reverse();
                out.push(s);
            }
            for len in 1..=MAX_STRING.min(k - i) {
                let string: Vec<usize> = jobs[i..i + len].to_vec();
                let rest: Vec<usize> = [&jobs[..i], &jobs[i + len..]].concat();
                for at in locked..=rest.len() {
                    for rev in [false, true] {
                        let mut st = string.clone();
                        if rev {
                            st.reverse();
                        }
                        let mut s = rest[..at].to_vec();
                        s.extend(st);
                        s.extend_from_slice(&rest[at..]);
                        out.push(s);
                    }
                }
            }
        }
        out
    }

    /// The route's cost with `seq`, if feasible.
    fn cost_of(p: &Problem, seq: &[usize]) -> Option<f64> {
        if !RouteState::sequence_feasible(p, 0, seq) {
            return None;
        }
        let r = RouteState::new(p, 0, seq.to_vec(), 0);
        r.feasible.then(|| r.total(p))
    }

    /// `n` jobs at random points of a 100 × 100 square, windows of random width (wide when
    /// `wide`), on one vehicle, visited in a random order that is feasible.
    fn random_case(rng: &mut Rng, n: usize, wide: bool) -> Option<(Problem, Vec<usize>)> {
        let mut pts = vec![(50.0, 50.0)];
        pts.extend((0..n).map(|_| (rng.f64() * 100.0, rng.f64() * 100.0)));
        let matrix = TravelMatrix::euclidean(&pts).ok()?;
        let jobs: Vec<Job> = (1..=n)
            .map(|i| {
                let e = rng.f64() * 600.0;
                let w = if wide {
                    2000.0
                } else {
                    100.0 + rng.f64() * 400.0
                };
                Job::new(i).with_service(10.0).with_window(e, e + w)
            })
            .collect();
        let p = Problem::new(matrix, vec![Vehicle::new(0, 0.0, 3000.0)], jobs).ok()?;
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        // Start from a feasible order: sorted by window start when the shuffle is not.
        if cost_of(&p, &order).is_none() {
            order.sort_by(|&a, &b| p.jd[a].e.total_cmp(&p.jd[b].e));
        }
        cost_of(&p, &order).map(|_| (p, order))
    }

    fn state(p: &Problem, jobs: &[usize], fixed: &[usize], started: usize) -> (State, Vec<bool>) {
        let planned = jobs
            .iter()
            .enumerate()
            .map(|(i, &j)| {
                if i < started {
                    PlannedJob::started(j)
                } else if fixed.contains(&j) {
                    PlannedJob::fixed(j)
                } else {
                    PlannedJob::free(j)
                }
            })
            .collect();
        State::from_plan(p, &InitialPlan::new().with_route(0, planned)).unwrap()
    }

    #[test]
    fn polished_routes_are_local_optima_of_the_reference_neighbourhood() {
        let mut rng = Rng::new(7);
        let mut cases = 0;
        let mut improved = 0;
        for case in 0..300 {
            let Some((p, order)) = random_case(&mut rng, 3 + case % 6, case % 3 != 0) else {
                continue;
            };
            let (mut st, fixed) = state(&p, &order, &[], 0);
            let before = st.routes[0].total(&p);
            let changed = Polisher::default().polish(&p, &mut st, &fixed);
            let route = &st.routes[0];
            let after = route.total(&p);
            // Exactly the cost the route has from scratch, feasible, never worse.
            assert_eq!(cost_of(&p, &route.jobs), Some(after), "case {case}");
            assert!(after <= before + EPS, "case {case}: {before} -> {after}");
            assert_eq!(changed, after < before - EPS, "case {case}");
            // Same jobs.
            let mut a = route.jobs.clone();
            a.sort_unstable();
            let mut b = order.clone();
            b.sort_unstable();
            assert_eq!(a, b);
            // No move of the neighbourhood shortens it any further.
            for seq in neighbours(&route.jobs, 0) {
                if let Some(c) = cost_of(&p, &seq) {
                    assert!(
                        c >= after - 1e-6,
                        "case {case}: {seq:?} costs {c} < {after}"
                    );
                }
            }
            cases += 1;
            improved += usize::from(changed);
        }
        assert!(
            cases > 200 && improved > 100,
            "{cases} cases, {improved} improved"
        );
    }

    #[test]
    fn fixed_and_started_jobs_keep_their_places() {
        let mut rng = Rng::new(11);
        let mut checked = 0;
        for _ in 0..200 {
            let Some((p, order)) = random_case(&mut rng, 7, true) else {
                continue;
            };
            let fixed_job = order[4];
            let (mut st, fixed) = state(&p, &order, &[fixed_job], 2);
            Polisher::default().polish(&p, &mut st, &fixed);
            let jobs = &st.routes[0].jobs;
            assert_eq!(jobs[..2], order[..2], "started jobs moved");
            // The fixed job is where it was or moved only by strings of free jobs around it:
            // it is never reversed or moved itself, so it keeps its place among fixed and
            // started jobs (the last of them).
            assert!(jobs.iter().position(|&j| j == fixed_job).unwrap() >= 2);
            checked += 1;
        }
        assert!(checked > 150);
    }

    #[test]
    fn a_crossing_that_the_windows_require_stays() {
        // Depot at the origin, jobs at (10, 0), (0, 10), (10, 10): the route through them in
        // that order crosses itself (48.3 against 40), but the job at (0, 10) must start by 30
        // and the one at (10, 10) not before 60 (the one at (10, 0) by 15: it comes first).
        let pts = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0), (10.0, 10.0)];
        let windows = [(0.0, 15.0), (0.0, 30.0), (60.0, 100.0)];
        let build = |windowed: bool| {
            let jobs = (0..3)
                .map(|i| {
                    let (e, l) = if windowed { windows[i] } else { (0.0, 1000.0) };
                    Job::new(i + 1).with_window(e, l)
                })
                .collect();
            let matrix = TravelMatrix::euclidean(&pts).unwrap();
            Problem::new(matrix, vec![Vehicle::new(0, 0.0, 500.0)], jobs).unwrap()
        };
        let p = build(true);
        let (mut st, fixed) = state(&p, &[0, 1, 2], &[], 0);
        assert!(!Polisher::default().polish(&p, &mut st, &fixed));
        assert_eq!(st.routes[0].jobs, vec![0, 1, 2]);
        // Without the windows the crossing goes.
        let p = build(false);
        let (mut st, fixed) = state(&p, &[0, 1, 2], &[], 0);
        assert!(Polisher::default().polish(&p, &mut st, &fixed));
        assert!((st.routes[0].distance - 40.0).abs() < 1e-9);
        assert_eq!(st.routes[0].jobs, vec![0, 2, 1]);
    }
}
