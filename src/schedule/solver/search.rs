//! The optimiser: regret-k construction, then ruin-and-recreate large neighbourhood search with
//! simulated-annealing acceptance.

use std::time::{Duration, Instant};

use super::construct::{greedy_insert, regret_insert};
use super::parts::{parts, solve_parts};
use super::polish::Polisher;
use super::problem::{Problem, SolverError};
use super::rng::Rng;
use super::ruin::{RuinParams, Ruiner};
use super::solution::{Solution, SolveStats};
use super::state::{InitialPlan, Score, State};

/// Relative weights of the ruin operators (need not sum to 1; at least one must be positive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuinWeights {
    /// SISR string removal.
    pub strings: f64,
    /// Uniformly random removal.
    pub random: f64,
    /// Worst (largest detour) removal.
    pub worst: f64,
    /// Related (Shaw) removal.
    pub related: f64,
    /// Removal of a whole route (the shorter of two drawn at random).
    pub route: f64,
}

impl Default for RuinWeights {
    fn default() -> Self {
        RuinWeights {
            strings: 0.85,
            random: 0.05,
            worst: 0.05,
            related: 0.05,
            route: 0.005,
        }
    }
}

/// Optimiser settings. The defaults suit problems of a few hundred jobs.
///
/// The run stops at whichever budget is hit first. With only `max_iterations` the result is
/// deterministic for a given `seed`; with `time_limit` the search is anytime and returns the
/// best solution found when time runs out. `max_iterations: Some(0)` returns the regret
/// construction alone.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverConfig {
    /// Seed of the random generator.
    pub seed: u64,
    /// Ruin-and-recreate iterations; `None` = unlimited (then `time_limit` must be set).
    pub max_iterations: Option<u64>,
    /// Wall-clock budget; `None` = none.
    pub time_limit: Option<Duration>,
    /// Largest k of the regret-k insertion (1 = cheapest insertion; 2 or 3 recommended). The
    /// construction tries every k from 2 (or 1) up to this value and keeps the best plan; the
    /// regret recreate step uses this value.
    pub regret_k: usize,
    /// Average number of jobs removed per iteration (SISR's c̄).
    pub avg_removed: f64,
    /// Maximum length of a removed string (SISR's L_max).
    pub max_string_len: f64,
    /// Probability that a removed string is a split string.
    pub split_rate: f64,
    /// Probability of stopping the growth of the preserved part of a split string.
    pub split_depth: f64,
    /// Probability of skipping an insertion position (SISR's blinks).
    pub blink_rate: f64,
    /// Probability of recreating with regret-k insertion instead of greedy insertion.
    pub regret_rate: f64,
    /// Initial annealing temperature of each cooling cycle, relative to the average route
    /// cost (travel, time and fixed costs, without preferences or penalties) per assigned job
    /// of the constructed solution: so the acceptance does not depend on the magnitude of
    /// costs.
    pub start_temperature: f64,
    /// Final annealing temperature of each cycle, same scale.
    pub end_temperature: f64,
    /// Length of the first cooling cycle in iterations (geometric from `start_temperature`
    /// to `end_temperature`; each next cycle is twice as long and starts again from the best
    /// plan); `None` = [`COOLING_PER_JOB`] × the number of jobs. Under an iteration budget the
    /// schedule does not depend on the budget, so a longer run is the same run prolonged and
    /// its best is never worse. Under a time limit that ends the run first, the cycle under
    /// way is fitted to the time left (estimated from the iteration rate), so the run ends its
    /// last cycle cold.
    pub cooling_iterations: Option<u64>,
    /// Ruin operator mix.
    pub ruin_weights: RuinWeights,
    /// Threads that solve the problem's independent parts ([`parts`](super::parts)) side by
    /// side; 0 = one per core. The result for a seed and an iteration budget is the same for
    /// every thread count.
    pub threads: usize,
}

impl Default for SolverConfig {
    fn default() -> Self {
        SolverConfig {
            seed: 0,
            max_iterations: Some(20_000),
            time_limit: None,
            regret_k: 3,
            avg_removed: 10.0,
            max_string_len: 10.0,
            split_rate: 0.5,
            split_depth: 0.01,
            blink_rate: 0.01,
            regret_rate: 0.1,
            start_temperature: 10.0,
            end_temperature: 0.1,
            cooling_iterations: None,
            ruin_weights: RuinWeights::default(),
            threads: 0,
        }
    }
}

impl SolverConfig {
    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the iteration budget (`None` = unlimited).
    pub fn with_iterations(mut self, iterations: Option<u64>) -> Self {
        self.max_iterations = iterations;
        self
    }

    /// Sets the number of threads (0 = one per core).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Sets the time budget (`None` = none).
    pub fn with_time_limit(mut self, limit: Option<Duration>) -> Self {
        self.time_limit = limit;
        self
    }

    fn check(&self) -> Result<(), SolverError> {
        let bad = |message: &str| {
            Err(SolverError::InvalidConfig {
                message: message.to_string(),
            })
        };
        if self.max_iterations.is_none() && self.time_limit.is_none() {
            return bad("set max_iterations or time_limit");
        }
        if self.regret_k == 0 {
            return bad("regret_k must be at least 1");
        }
        if !(self.avg_removed.is_finite() && self.avg_removed >= 1.0) {
            return bad("avg_removed must be at least 1");
        }
        if !(self.max_string_len.is_finite() && self.max_string_len >= 1.0) {
            return bad("max_string_len must be at least 1");
        }
        for (x, name) in [
            (self.split_rate, "split_rate"),
            (self.split_depth, "split_depth"),
            (self.blink_rate, "blink_rate"),
            (self.regret_rate, "regret_rate"),
        ] {
            if !(0.0..=1.0).contains(&x) {
                return bad(&format!("{name} must be within [0, 1]"));
            }
        }
        for t in [self.start_temperature, self.end_temperature] {
            if !(t.is_finite() && t >= 0.0) {
                return bad("temperatures must be finite and non-negative");
            }
        }
        let w = self.ruin_weights;
        let ws = [w.strings, w.random, w.worst, w.related, w.route];
        if ws.iter().any(|x| !(x.is_finite() && *x >= 0.0)) || ws.iter().sum::<f64>() <= 0.0 {
            return bad("ruin weights must be non-negative with a positive sum");
        }
        Ok(())
    }
}

/// Solves a problem from scratch. See [`solve_from`].
///
/// # Errors
/// [`SolverError::InvalidConfig`] if the configuration is out of range.
pub fn solve(problem: &Problem, config: &SolverConfig) -> Result<Solution, SolverError> {
    solve_from(problem, &InitialPlan::default(), config)
}

/// Solves a problem starting from an existing plan (incremental re-planning).
///
/// Planned routes are kept if still feasible (otherwise their free jobs are re-inserted);
/// fixed and started jobs never leave their vehicle and keep their relative order; jobs not in
/// the plan are inserted by regret-k; then ruin-and-recreate improves the whole plan.
///
/// # Errors
/// [`SolverError::InvalidConfig`] for a bad configuration, [`SolverError::InvalidPlan`] if the
/// plan names unknown jobs or vehicles, repeats them, puts a fixed job on a vehicle it is not
/// eligible for, or its fixed jobs cannot be scheduled.
///
/// # Example
/// ```
/// use fieldwork::schedule::solver::{
///     solve_from, validate, InitialPlan, Job, PlannedJob, Problem, SolverConfig, TravelMatrix,
///     Vehicle,
/// };
///
/// let matrix = TravelMatrix::euclidean(&[(0.0, 0.0), (10.0, 0.0), (0.0, 10.0), (5.0, 5.0)])?;
/// let vehicles = vec![Vehicle::new(0, 0.0, 480.0); 2];
/// let jobs = vec![Job::new(1).with_service(60.0), Job::new(2).with_service(60.0), Job::new(3)];
/// let problem = Problem::new(matrix, vehicles, jobs)?;
/// // This morning's plan: vehicle 1 is at job 0 already; job 1 was promised to vehicle 1.
/// // Job 2 is new.
/// let plan = InitialPlan::new()
///     .with_route(1, vec![PlannedJob::started(0), PlannedJob::fixed(1)]);
/// let config = SolverConfig::default().with_iterations(Some(100));
/// let solution = solve_from(&problem, &plan, &config)?;
///
/// assert!(validate(&problem, &solution).is_empty());
/// assert_eq!(solution.position_of_job(0), Some((1, 0)));
/// assert_eq!(solution.position_of_job(1).map(|(v, _)| v), Some(1));
/// assert!(solution.unassigned.is_empty());
/// # Ok::<(), fieldwork::schedule::solver::SolverError>(())
/// ```
pub fn solve_from(
    problem: &Problem,
    plan: &InitialPlan,
    config: &SolverConfig,
) -> Result<Solution, SolverError> {
    config.check()?;
    let parts = parts(problem, plan);
    // One part holding every job and vehicle is the problem itself: solved as it is.
    let whole = match parts.as_slice() {
        [] => true,
        [only] => {
            only.jobs.len() == problem.jobs().len()
                && only.vehicles.len() == problem.vehicles().len()
        }
        _ => false,
    };
    if whole {
        return solve_whole(problem, plan, config);
    }
    if !plan.routes.is_empty() {
        // Checked on the whole problem, so that an error names the plan's own indices.
        check_plan(problem, plan)?;
    }
    solve_parts(problem, plan, &parts, config)
}

/// Checks that `plan` fits `problem` as [`solve_from`] would start from it (known jobs and
/// vehicles, none repeated, fixed jobs on eligible vehicles and schedulable), without solving.
///
/// # Errors
/// [`SolverError::InvalidPlan`] naming the first problem found.
pub fn check_plan(problem: &Problem, plan: &InitialPlan) -> Result<(), SolverError> {
    State::from_plan(problem, plan).map(|_| ())
}

/// [`solve_from`] on a problem taken as one part.
pub(crate) fn solve_whole(
    problem: &Problem,
    plan: &InitialPlan,
    config: &SolverConfig,
) -> Result<Solution, SolverError> {
    config.check()?;
    let started = Instant::now();
    let p = problem;
    let (mut cur, fixed) = State::from_plan(p, plan)?;
    let mut rng = Rng::new(config.seed);
    let total_value: f64 = p.jobs().iter().map(|j| j.value).sum();
    let construction_budget = config.time_limit.map(|l| l.mul_f64(CONSTRUCTION_SHARE));
    if let Some(st) = construct(p, &cur, config.regret_k, total_value, |elapsed| {
        construction_budget.is_some_and(|b| elapsed >= b)
    }) {
        cur = st;
    }
    cur.clear_dirty();
    let cur_score = cur.score(p, total_value);
    let mut stats = SolveStats {
        construction_cost: cur_score.cost,
        ..SolveStats::default()
    };
    let movable = fixed.iter().filter(|f| !**f).count();
    let run_lns = movable > 0 && config.max_iterations != Some(0) && !p.vehicles().is_empty();
    let mut best = if run_lns {
        let lns = Lns::new(p, config, &fixed, total_value);
        lns.run(started, &mut rng, cur, cur_score, &mut stats)
    } else {
        cur.clone()
    };
    // A last plain insertion pass (no blinks) for anything still out, when no search ran (a
    // search leaves jobs out deliberately; a pass after it would make a longer run's result
    // depend on more than its best).
    if !run_lns && !best.unassigned.is_empty() {
        let pending = std::mem::take(&mut best.unassigned);
        greedy_insert(p, &mut best, &pending, &mut rng, 0.0);
    }
    stats.elapsed = started.elapsed();
    Ok(best.to_solution(p, stats))
}

/// Share of the time limit after which no further construction variant is tried (the
/// first always completes): on large problems the search keeps most of the budget.
const CONSTRUCTION_SHARE: f64 = 0.25;

/// The best of the regret-k constructions from `start` for k = 2..=`regret_k` (value first,
/// and, when values differ, also fewest options first); `None` if none was tried. Stops
/// trying variants once `spent(time since the first began)` says the construction's share of
/// the budget is spent.
fn construct(
    p: &Problem,
    start: &State,
    regret_k: usize,
    total_value: f64,
    spent: impl Fn(Duration) -> bool,
) -> Option<State> {
    let began = Instant::now();
    let distinct_values = p.jobs().iter().any(|j| j.value != p.jobs()[0].value);
    let mut built: Option<(State, Score)> = None;
    for k in regret_k.min(2)..=regret_k {
        for urgency_first in [false, true] {
            if urgency_first && !distinct_values {
                continue;
            }
            if built.is_some() && spent(began.elapsed()) {
                break;
            }
            let mut st = start.clone();
            regret_insert(p, &mut st, k, urgency_first);
            let score = st.score(p, total_value);
            if built.as_ref().is_none_or(|(_, b)| score.better_than(b)) {
                built = Some((st, score));
            }
        }
    }
    built.map(|(st, _)| st)
}

/// Iterations of the first cooling cycle per job when [`SolverConfig::cooling_iterations`]
/// is `None` (cycles then double).
pub const COOLING_PER_JOB: u64 = 50;

/// How far the search is through its budget (0 → 1, the larger of iterations and time spent)
/// before iteration `it`, or `None` once either budget is spent.
fn budget_progress(config: &SolverConfig, it: u64, started: Instant) -> Option<f64> {
    let mut progress: f64 = 0.0;
    if let Some(max) = config.max_iterations {
        if it >= max {
            return None;
        }
        progress = it as f64 / max as f64;
    }
    if let Some(limit) = config.time_limit {
        let el = started.elapsed();
        if el >= limit {
            return None;
        }
        progress = progress.max(el.as_secs_f64() / limit.as_secs_f64().max(1e-9));
    }
    Some(progress)
}

/// Iterations before the first estimate of the iteration rate (fewer are too noisy).
const FIT_FROM: u64 = 256;

/// The iterations a time limit leaves, estimated from the rate since `search_began`, when the
/// time limit ends the run before the iteration budget does; `None` when it does not, or
/// there is none.
fn time_bound_left(
    config: &SolverConfig,
    it: u64,
    started: Instant,
    search_began: Instant,
) -> Option<u64> {
    let limit = config.time_limit?;
    let spent = search_began.elapsed().as_secs_f64();
    if spent <= 0.0 {
        return None;
    }
    let rest = limit.saturating_sub(started.elapsed()).as_secs_f64();
    let left = (it as f64 / spent * rest).min(u64::MAX as f64) as u64;
    match config.max_iterations {
        Some(max) if max.saturating_sub(it) <= left => None,
        _ => Some(left),
    }
}

/// The length of a cooling cycle `done` iterations in, planned `cycle` long, when a time limit
/// leaves `left` iterations (`None`: the budget does not end the run first, the cycle stays).
/// A cycle that would not finish is shortened to end with the budget, so a time-limited run
/// always ends its last cycle cold instead of stopping part-way down (hot); at a cycle's start,
/// when what is left is less than two cycles, the cycle takes it all instead of a full cycle
/// and a short stub. Iteration budgets never change the schedule (a longer run is the same run
/// prolonged).
fn fit_cycle(done: u64, cycle: u64, left: Option<u64>) -> u64 {
    let Some(left) = left else {
        return cycle;
    };
    if left < cycle.saturating_sub(done) {
        (done + left).max(1)
    } else if done == 0 && left < cycle.saturating_mul(2) {
        left.max(1)
    } else {
        cycle
    }
}

/// The annealing temperature at `progress` from `t0` to `tf`: geometric when both are positive,
/// else linear.
fn temperature(t0: f64, tf: f64, progress: f64) -> f64 {
    if t0 > 0.0 && tf > 0.0 {
        t0 * (tf / t0).powf(progress)
    } else {
        t0 + (tf - t0) * progress
    }
}

/// Whether a candidate scoring `score` replaces the current plan scoring `cur`: the annealing
/// test on the one objective (any term may get worse for a while).
fn accepts(score: &Score, cur: &Score, temperature: f64, rng: &mut Rng) -> bool {
    score.total < cur.total - temperature * rng.f64().max(1e-300).ln()
}

/// The temperature unit: the average positive route cost (travel, time less service time,
/// fixed cost; no preference, lateness or outsourcing term) per assigned job of `st`; else
/// the average value per job; else 1.
fn temperature_scale(p: &Problem, st: &State) -> f64 {
    let assigned = p.jobs().len() - st.unassigned.len();
    let positive: f64 = st
        .routes
        .iter()
        .map(|r| {
            let veh = &p.vehicles()[r.vehicle];
            if r.is_empty() {
                0.0
            } else {
                // Service time is the same wherever a job goes: only travel and waiting vary.
                let service: f64 = r.jobs.iter().map(|&j| p.jd[j].service).sum();
                veh.cost_per_distance * r.distance
                    + veh.cost_per_time * (r.duration - service).max(0.0)
                    + veh.fixed_cost
            }
        })
        .sum();
    if positive > 0.0 && assigned > 0 {
        return positive / assigned as f64;
    }
    let values: f64 = p.jobs().iter().map(|j| j.value).sum();
    if values > 0.0 {
        values / p.jobs().len() as f64
    } else {
        1.0
    }
}

/// Moves up to `retry_cap` jobs, drawn at random, from `cand.unassigned` to `removed`. Jobs
/// already out are retried too: all of them when few, else a random sample (in an
/// over-subscribed problem, retrying hundreds of jobs every iteration would dominate the run
/// time). The others stay in `cand.unassigned`.
fn take_retries(cand: &mut State, rng: &mut Rng, retry_cap: usize, removed: &mut Vec<usize>) {
    let out = cand.unassigned.len();
    let retry = out.min(retry_cap);
    for i in (out - retry..out).rev() {
        let k = rng.below(i + 1);
        cand.unassigned.swap(i, k);
    }
    removed.extend(cand.unassigned.drain(out - retry..));
}

/// What stays the same through a ruin-and-recreate run: the problem, settings and operators.
struct Lns<'a> {
    p: &'a Problem,
    config: &'a SolverConfig,
    fixed: &'a [bool],
    total_value: f64,
    prm: RuinParams,
    orders: SortKeys,
    retry_cap: usize,
}

impl<'a> Lns<'a> {
    /// Prepares a run: ruin parameters, insertion sort keys and the retry cap.
    fn new(p: &'a Problem, config: &'a SolverConfig, fixed: &'a [bool], total_value: f64) -> Self {
        Lns {
            p,
            config,
            fixed,
            total_value,
            prm: RuinParams {
                avg_removed: config.avg_removed,
                max_string_len: config.max_string_len,
                split_rate: config.split_rate,
                split_depth: config.split_depth,
            },
            orders: SortKeys::new(p),
            retry_cap: (2.0 * config.avg_removed).ceil() as usize,
        }
    }

    /// Ruin-and-recreate with simulated annealing from `cur` (scoring `cur_score`) until the
    /// budget is spent; records iterations and improvements in `stats` and returns the best
    /// plan found.
    fn run(
        &self,
        started: Instant,
        rng: &mut Rng,
        mut cur: State,
        mut cur_score: Score,
        stats: &mut SolveStats,
    ) -> State {
        let p = self.p;
        // Every best plan (the first included) is polished within its routes.
        let mut polisher = Polisher::default();
        if polisher.polish(p, &mut cur, self.fixed) {
            cur_score = cur.score(p, self.total_value);
        }
        cur.clear_dirty();
        let mut best = cur.clone();
        let mut best_score = cur_score;
        let scale = temperature_scale(p, &cur);
        let t0 = self.config.start_temperature * scale;
        let tf = self.config.end_temperature * scale;
        // Cooling cycles double in length (the first `cooling_iterations` long) and each starts
        // again from the best plan: a short run gets complete short cycles, a long run long
        // ones, and the schedule never depends on an iteration budget (a longer run is the same
        // run prolonged, so its best can only be as good or better); a time limit that ends
        // the run first fits the last cycle to it (`fit_cycle`).
        let mut cycle = self
            .config
            .cooling_iterations
            .unwrap_or(COOLING_PER_JOB * p.jobs().len() as u64)
            .max(1);
        let mut cycle_start: u64 = 0;
        let mut ruiner = Ruiner::new(p);
        let mut cand = cur.clone();
        let mut removed: Vec<usize> = Vec::new();
        let mut it: u64 = 0;
        let search_began = Instant::now();
        while budget_progress(self.config, it, started).is_some() {
            if it - cycle_start >= cycle {
                cycle_start = it;
                cycle = cycle.saturating_mul(2);
                cur.clone_from(&best);
                cur_score = best_score;
                cand.clone_from(&cur);
            }
            // At each cycle's start and at every power of two, a time limit that will end the
            // run first fits the cycle under way to it.
            if (it == cycle_start || it.is_power_of_two()) && it >= FIT_FROM {
                let left = time_bound_left(self.config, it, started, search_began);
                cycle = fit_cycle(it - cycle_start, cycle, left);
            }
            let temperature = temperature(t0, tf, (it - cycle_start) as f64 / cycle as f64);
            it += 1;

            removed.clear();
            self.ruin(&mut ruiner, &mut cand, rng, &mut removed);
            take_retries(&mut cand, rng, self.retry_cap, &mut removed);
            self.recreate(&mut cand, &mut removed, rng);

            let mut score = cand.score(p, self.total_value);
            if accepts(&score, &cur_score, temperature, rng) {
                if score.better_than(&best_score) {
                    if polisher.polish(p, &mut cand, self.fixed) {
                        score = cand.score(p, self.total_value);
                    }
                    best.clone_from(&cand);
                    best_score = score;
                    stats.improvements += 1;
                }
                cur.sync_from(&mut cand);
                cur_score = score;
            } else {
                cand.restore_from(&cur);
            }
        }
        stats.iterations = it;
        best
    }

    /// Removes jobs from `cand` into `removed` with one ruin operator, drawn by weight.
    fn ruin(&self, ruiner: &mut Ruiner, cand: &mut State, rng: &mut Rng, removed: &mut Vec<usize>) {
        let (p, fixed, prm) = (self.p, self.fixed, &self.prm);
        let w = self.config.ruin_weights;
        let wsum = w.strings + w.random + w.worst + w.related + w.route;
        let pick = rng.f64() * wsum;
        if pick < w.strings {
            ruiner.sisr(p, cand, fixed, rng, prm, removed);
        } else if pick < w.strings + w.random {
            ruiner.random(p, cand, fixed, rng, prm, removed);
        } else if pick < w.strings + w.random + w.worst {
            ruiner.worst(p, cand, fixed, rng, prm, removed);
        } else if pick < w.strings + w.random + w.worst + w.related {
            ruiner.related(p, cand, fixed, rng, prm, removed);
        } else {
            ruiner.route(p, cand, fixed, rng, removed);
        }
    }

    /// Reinserts `removed` into `cand`: by regret-k (with the configured probability; the jobs
    /// left out before stay out), else greedily in a random order with blinks.
    fn recreate(&self, cand: &mut State, removed: &mut Vec<usize>, rng: &mut Rng) {
        let (p, config) = (self.p, self.config);
        if rng.chance(config.regret_rate) {
            let held = std::mem::replace(&mut cand.unassigned, std::mem::take(removed));
            let urgency_first = rng.chance(0.5);
            regret_insert(p, cand, config.regret_k, urgency_first);
            cand.unassigned.extend_from_slice(&held);
        } else {
            self.orders.sort(p, rng, removed);
            greedy_insert(p, cand, removed, rng, config.blink_rate);
        }
    }
}

/// Precomputed keys for SISR's insertion orders.
struct SortKeys {
    /// Distance from the nearest vehicle start.
    far: Vec<f64>,
    width: Vec<f64>,
    distinct_values: bool,
}

impl SortKeys {
    fn new(p: &Problem) -> SortKeys {
        let m = p.matrix();
        let mut starts: Vec<usize> = p.vehicles().iter().map(|v| v.start_location).collect();
        starts.sort_unstable();
        starts.dedup();
        let far =
            p.jd.iter()
                .map(|d| {
                    starts
                        .iter()
                        .map(|&s| m.distance(s, d.loc))
                        .fold(f64::INFINITY, f64::min)
                })
                .collect();
        let width = p.jd.iter().map(|d| d.l - d.e).collect();
        let v0 = p.jobs().first().map_or(0.0, |j| j.value);
        SortKeys {
            far,
            width,
            distinct_values: p.jobs().iter().any(|j| j.value != v0),
        }
    }

    /// Shuffles, then stable-sorts by a randomly chosen key (random 4, demand 4, far 2, close 1,
    /// narrow window 2, early window 2), then, in half of the calls, by value when values differ.
    fn sort(&self, p: &Problem, rng: &mut Rng, jobs: &mut [usize]) {
        rng.shuffle(jobs);
        let r = rng.below(15);
        match r {
            0..=3 => {}
            4..=7 => jobs.sort_by(|&a, &b| p.jd[b].demand.total_cmp(&p.jd[a].demand)),
            8..=9 => jobs.sort_by(|&a, &b| self.far[b].total_cmp(&self.far[a])),
            10 => jobs.sort_by(|&a, &b| self.far[a].total_cmp(&self.far[b])),
            11..=12 => jobs.sort_by(|&a, &b| self.width[a].total_cmp(&self.width[b])),
            _ => jobs.sort_by(|&a, &b| p.jd[a].e.total_cmp(&p.jd[b].e)),
        }
        // Higher values first in half of the iterations (they win scarce room), free order
        // otherwise (so that a high-value job does not always take the same place).
        if self.distinct_values && rng.chance(0.5) {
            jobs.sort_by(|&a, &b| p.jobs()[b].value.total_cmp(&p.jobs()[a].value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_is_fitted_only_to_a_time_limit_that_ends_the_run() {
        // No binding time limit: the schedule stays.
        assert_eq!(fit_cycle(0, 5_000, None), 5_000);
        assert_eq!(fit_cycle(300, 5_000, None), 5_000);
        // Plenty of time left: the planned cycle.
        assert_eq!(fit_cycle(0, 5_000, Some(10_000)), 5_000);
        assert_eq!(fit_cycle(1_000, 5_000, Some(4_000)), 5_000);
        // At a cycle's start with less than two cycles left: one cycle takes it all.
        assert_eq!(fit_cycle(0, 5_000, Some(9_999)), 9_999);
        assert_eq!(fit_cycle(0, 5_000, Some(3_000)), 3_000);
        // Part-way with too little left: the cycle ends with the budget.
        assert_eq!(fit_cycle(1_000, 5_000, Some(2_000)), 3_000);
        assert_eq!(fit_cycle(1_000, 5_000, Some(0)), 1_000);
        assert_eq!(fit_cycle(0, 5_000, Some(0)), 1);
    }

    #[test]
    fn the_iterations_left_are_estimated_from_the_rate_so_far() {
        let now = Instant::now();
        let (Some(started), Some(began)) = (
            now.checked_sub(Duration::from_millis(500)),
            now.checked_sub(Duration::from_millis(400)),
        ) else {
            return; // a clock too close to its origin to go back: nothing to check
        };
        let timed = SolverConfig::default()
            .with_iterations(None)
            .with_time_limit(Some(Duration::from_secs(1)));
        // 4,000 iterations in 0.4 s, 0.5 s left: about 5,000 more.
        let left = time_bound_left(&timed, 4_000, started, began);
        assert!(
            left.is_some_and(|l| (4_000..=5_000).contains(&l)),
            "{left:?}"
        );
        // An iteration budget that ends the run first: no fitting.
        let capped = timed.clone().with_iterations(Some(5_000));
        assert_eq!(time_bound_left(&capped, 4_000, started, began), None);
        let loose = timed.clone().with_iterations(Some(1_000_000));
        assert!(time_bound_left(&loose, 4_000, started, began).is_some());
        // No time limit: no fitting.
        let untimed = SolverConfig::default();
        assert_eq!(time_bound_left(&untimed, 4_000, started, began), None);
    }
}
