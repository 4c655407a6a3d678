//! Ruin operators: SISR string removals (Christiaens & Vanden Berghe 2020), random, worst,
//! related (Shaw) and route removal. Fixed jobs are never removed; a removal that would break a route
//! (possible only with travel times that violate the triangle inequality) is skipped.

use super::problem::Problem;
use super::rng::Rng;
use super::route::RouteState;
use super::state::{State, NONE};

/// Parameters of the ruin step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RuinParams {
    /// Average number of removed jobs (SISR's c̄).
    pub avg_removed: f64,
    /// Maximum string length (SISR's L_max).
    pub max_string_len: f64,
    /// Probability of a split string instead of a plain string.
    pub split_rate: f64,
    /// Probability of stopping the growth of the preserved part of a split string.
    pub split_depth: f64,
}

/// Reusable buffers and precomputed data for the ruin operators.
#[derive(Debug)]
pub(crate) struct Ruiner {
    mark: Vec<bool>,
    cand: Vec<usize>,
    keys: Vec<(f64, usize)>,
    seq: Vec<usize>,
    /// Largest distance between two job locations (for relatedness), at least 1e-9.
    max_dist: f64,
    /// Largest window start spread (for relatedness), at least 1e-9.
    horizon: f64,
}

impl Ruiner {
    pub fn new(p: &Problem) -> Ruiner {
        let m = p.matrix();
        let mut max_dist: f64 = 1e-9;
        // Relatedness scale from the neighbour lists (cheap, good enough).
        for (a, nb) in p.neighbours.iter().enumerate() {
            if let Some(&b) = nb.last() {
                let (la, lb) = (p.jd[a].loc, p.jd[b as usize].loc);
                let d = m.distance(la, lb);
                if d.is_finite() {
                    max_dist = max_dist.max(d);
                }
            }
        }
        let (lo, hi) =
            p.jd.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), d| {
                    (lo.min(d.e), hi.max(d.e))
                });
        let horizon = if hi > lo { hi - lo } else { 1e-9 };
        Ruiner {
            mark: vec![false; p.jobs().len()],
            cand: Vec::new(),
            keys: Vec::new(),
            seq: Vec::new(),
            max_dist,
            horizon: horizon.max(1e-9),
        }
    }

    /// Assigned, removable jobs into `self.cand`.
    fn candidates(&mut self, st: &State, fixed: &[bool]) {
        self.cand.clear();
        for r in &st.routes {
            self.cand
                .extend(r.jobs.iter().copied().filter(|&j| !fixed[j]));
        }
    }

    /// Removes the marked jobs of route `r` (if the rest stays feasible), appending them to
    /// `removed` and clearing their marks.
    fn strip_route(&mut self, p: &Problem, st: &mut State, r: usize, removed: &mut Vec<usize>) {
        let route = &st.routes[r];
        self.seq.clear();
        self.seq
            .extend(route.jobs.iter().copied().filter(|&j| !self.mark[j]));
        let ok = self.seq.len() == route.jobs.len()
            || RouteState::sequence_feasible(p, route.vehicle, &self.seq);
        for &j in &route.jobs {
            if self.mark[j] {
                self.mark[j] = false;
                if ok {
                    removed.push(j);
                    st.route_of[j] = NONE;
                }
            }
        }
        if ok && self.seq.len() != st.routes[r].jobs.len() {
            std::mem::swap(&mut st.routes[r].jobs, &mut self.seq);
            st.routes[r].rebuild(p);
            st.mark(r);
        }
    }

    /// Removes the marked jobs among `jobs`, route by route (for the list-based operators).
    fn strip_marked(
        &mut self,
        p: &Problem,
        st: &mut State,
        jobs: &[usize],
        removed: &mut Vec<usize>,
    ) {
        for &j in jobs {
            let r = st.route_of[j];
            if r != NONE && self.mark[j] {
                self.strip_route(p, st, r as usize, removed);
            }
        }
    }

    /// SISR: removes strings (or split strings) of consecutive jobs from routes near a random
    /// seed job.
    pub fn sisr(
        &mut self,
        p: &Problem,
        st: &mut State,
        fixed: &[bool],
        rng: &mut Rng,
        prm: &RuinParams,
        removed: &mut Vec<usize>,
    ) {
        self.candidates(st, fixed);
        if self.cand.is_empty() {
            return;
        }
        let used = st.routes.iter().filter(|r| !r.is_empty()).count().max(1);
        let assigned: usize = st.routes.iter().map(|r| r.len()).sum();
        let avg_card = assigned as f64 / used as f64;
        let ls_max = prm.max_string_len.min(avg_card).max(1.0);
        let ks_max = (4.0 * prm.avg_removed / (1.0 + ls_max) - 1.0).max(1.0);
        let ks = (rng.f64() * ks_max) as usize + 1;
        let seed = self.cand[rng.below(self.cand.len())];
        let mut ruined: Vec<usize> = Vec::with_capacity(ks);
        let nb = &p.neighbours[seed];
        for c in std::iter::once(seed).chain(nb.iter().map(|&c| c as usize)) {
            if ruined.len() >= ks {
                break;
            }
            let r = st.route_of[c];
            if r == NONE || fixed[c] || ruined.contains(&(r as usize)) {
                continue;
            }
            let r = r as usize;
            ruined.push(r);
            let route = &st.routes[r];
            let t = route.len();
            let Some(idx) = route.jobs.iter().position(|&x| x == c) else {
                continue;
            };
            let lmax = (t as f64).min(ls_max);
            let l = ((rng.f64() * lmax) as usize + 1).min(t);
            if t > l && rng.chance(prm.split_rate) {
                let mut m = 1;
                while l + m < t && !rng.chance(prm.split_depth) {
                    m += 1;
                }
                // A window of l + m jobs containing c; m consecutive of them are kept.
                let w = l + m;
                let lo = (idx + 1).saturating_sub(w);
                let hi = idx.min(t - w);
                let s = rng.range_inclusive(lo, hi);
                let keep_from = s + rng.below(l + 1);
                for (k, &j) in route.jobs[s..s + w].iter().enumerate() {
                    let kept = (keep_from - s..keep_from - s + m).contains(&k);
                    if !kept && !fixed[j] {
                        self.mark[j] = true;
                    }
                }
            } else {
                let lo = (idx + 1).saturating_sub(l);
                let hi = idx.min(t - l);
                let s = rng.range_inclusive(lo, hi);
                for &j in &route.jobs[s..s + l] {
                    if !fixed[j] {
                        self.mark[j] = true;
                    }
                }
            }
            self.strip_route(p, st, r, removed);
        }
    }

    /// Removes every free job of one route: of two used routes drawn at random, the one with
    /// fewer jobs (so the search can empty a route it no longer needs, which string removals
    /// seldom do when the routes are long).
    pub fn route(
        &mut self,
        p: &Problem,
        st: &mut State,
        fixed: &[bool],
        rng: &mut Rng,
        removed: &mut Vec<usize>,
    ) {
        self.cand.clear();
        self.cand
            .extend((0..st.routes.len()).filter(|&r| st.routes[r].jobs.iter().any(|&j| !fixed[j])));
        if self.cand.is_empty() {
            return;
        }
        let a = self.cand[rng.below(self.cand.len())];
        let b = self.cand[rng.below(self.cand.len())];
        let r = if st.routes[b].len() < st.routes[a].len() {
            b
        } else {
            a
        };
        for &j in &st.routes[r].jobs {
            self.mark[j] = !fixed[j];
        }
        self.strip_route(p, st, r, removed);
    }

    /// How many jobs the list-based operators remove: uniform in `[1, 2·c̄]`, at most all.
    fn how_many(&self, rng: &mut Rng, prm: &RuinParams) -> usize {
        let hi = (2.0 * prm.avg_removed).round().max(1.0) as usize;
        rng.range_inclusive(1, hi).min(self.cand.len())
    }

    /// Removes uniformly random jobs.
    pub fn random(
        &mut self,
        p: &Problem,
        st: &mut State,
        fixed: &[bool],
        rng: &mut Rng,
        prm: &RuinParams,
        removed: &mut Vec<usize>,
    ) {
        self.candidates(st, fixed);
        let q = self.how_many(rng, prm);
        rng.shuffle(&mut self.cand);
        let chosen: Vec<usize> = self.cand[..q].to_vec();
        for &j in &chosen {
            self.mark[j] = true;
        }
        self.strip_marked(p, st, &chosen, removed);
    }

    /// Removes jobs with large detours (cost saved by removing them), randomised
    /// (Ropke & Pisinger: index ⌊y³·n⌋ of the sorted list).
    pub fn worst(
        &mut self,
        p: &Problem,
        st: &mut State,
        fixed: &[bool],
        rng: &mut Rng,
        prm: &RuinParams,
        removed: &mut Vec<usize>,
    ) {
        self.candidates(st, fixed);
        let q = self.how_many(rng, prm);
        let m = p.matrix();
        self.keys.clear();
        for route in &st.routes {
            let veh = &p.vehicles()[route.vehicle];
            for (k, &j) in route.jobs.iter().enumerate() {
                if fixed[j] {
                    continue;
                }
                let prev = if k == 0 {
                    veh.start_location
                } else {
                    p.jd[route.jobs[k - 1]].loc
                };
                let next = route
                    .jobs
                    .get(k + 1)
                    .map_or(veh.end_location, |&n| p.jd[n].loc);
                let here = p.jd[j].loc;
                let gain = m.distance(prev, here) + m.distance(here, next) - m.distance(prev, next);
                self.keys.push((gain * veh.cost_per_distance, j));
            }
        }
        self.keys
            .sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut chosen = Vec::with_capacity(q);
        for _ in 0..q {
            if self.keys.is_empty() {
                break;
            }
            let y = rng.f64();
            let idx = ((y * y * y) * self.keys.len() as f64) as usize;
            let (_, j) = self.keys.remove(idx.min(self.keys.len() - 1));
            self.mark[j] = true;
            chosen.push(j);
        }
        self.strip_marked(p, st, &chosen, removed);
    }

    /// Shaw removal: jobs close in space and window start to already removed ones.
    pub fn related(
        &mut self,
        p: &Problem,
        st: &mut State,
        fixed: &[bool],
        rng: &mut Rng,
        prm: &RuinParams,
        removed: &mut Vec<usize>,
    ) {
        self.candidates(st, fixed);
        if self.cand.is_empty() {
            return;
        }
        let q = self.how_many(rng, prm);
        let m = p.matrix();
        let first = self.cand.swap_remove(rng.below(self.cand.len()));
        let mut chosen = vec![first];
        self.mark[first] = true;
        while chosen.len() < q && !self.cand.is_empty() {
            let r = chosen[rng.below(chosen.len())];
            let (lr, er) = (p.jd[r].loc, p.jd[r].e);
            self.keys.clear();
            for (i, &j) in self.cand.iter().enumerate() {
                let rel = m.distance(lr, p.jd[j].loc) / self.max_dist
                    + (er - p.jd[j].e).abs() / self.horizon;
                self.keys.push((rel, i));
            }
            self.keys
                .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let y = rng.f64();
            let idx = ((y * y * y) * self.keys.len() as f64) as usize;
            let (_, i) = self.keys[idx.min(self.keys.len() - 1)];
            let j = self.cand.swap_remove(i);
            self.mark[j] = true;
            chosen.push(j);
        }
        self.strip_marked(p, st, &chosen, removed);
    }
}

#[cfg(test)]
mod tests {
    use super::super::problem::{Job, TravelMatrix, Vehicle};
    use super::super::state::{InitialPlan, PlannedJob};
    use super::*;

    #[test]
    fn route_removal_empties_one_route_of_its_free_jobs() {
        let pts: Vec<(f64, f64)> = (0..7).map(|i| (i as f64, 0.0)).collect();
        let jobs = (1..7).map(Job::new).collect();
        let vehicles = vec![Vehicle::new(0, 0.0, 1000.0); 3];
        let p = Problem::new(TravelMatrix::euclidean(&pts).unwrap(), vehicles, jobs).unwrap();
        // Route 0: jobs 0, 1 (1 fixed); route 1: jobs 2..=5; route 2 empty.
        let plan = InitialPlan::new()
            .with_route(0, vec![PlannedJob::free(0), PlannedJob::fixed(1)])
            .with_route(
                1,
                vec![
                    PlannedJob::free(2),
                    PlannedJob::free(3),
                    PlannedJob::free(4),
                    PlannedJob::free(5),
                ],
            );
        let (start, fixed) = State::from_plan(&p, &plan).unwrap();
        let mut ruiner = Ruiner::new(&p);
        let mut rng = Rng::new(3);
        let mut emptied = [0usize; 2];
        for _ in 0..200 {
            let mut st = start.clone();
            let mut removed = Vec::new();
            ruiner.route(&p, &mut st, &fixed, &mut rng, &mut removed);
            removed.sort_unstable();
            if removed == vec![0] {
                // The shorter route: only its fixed job stays.
                assert_eq!(st.routes[0].jobs, vec![1]);
                assert_eq!(st.routes[1].jobs, start.routes[1].jobs);
                emptied[0] += 1;
            } else {
                assert_eq!(removed, vec![2, 3, 4, 5]);
                assert!(st.routes[1].jobs.is_empty());
                assert_eq!(st.routes[0].jobs, start.routes[0].jobs);
                emptied[1] += 1;
            }
            for &j in &removed {
                assert_eq!(st.route_of[j], NONE);
            }
        }
        // Of two routes drawn, the shorter goes: route 0 three times in four.
        assert!(emptied[0] > 120 && emptied[1] > 20, "{emptied:?}");
    }
}
