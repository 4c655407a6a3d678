//! Independent parts of a problem, solved one by one or on several threads.
//!
//! Two jobs belong to the same **part** when some chain of "job may use vehicle" and "vehicles
//! share a resource" links them (eligibility, pinned vehicles, incumbent places and the initial
//! plan all count as links). No route can serve jobs of two parts and no constraint spans them,
//! so the parts are independent problems: solving each alone and putting the routes side by
//! side is an optimal way to solve the whole — and it costs what the parts cost, not what
//! their union costs (the search's neighbourhoods, the insertion scans and the annealing
//! temperature all stay within one part).
//!
//! **Determinism.** Every part is solved with the run's seed and a share of the iteration
//! budget proportional to its number of jobs, so the result for a seed and an iteration budget
//! does not depend on the number of threads, nor on which thread (or which machine: see
//! [`solve_part`]) solved which part. A part also gets the same answer as the same jobs and
//! vehicles given alone with that share of the budget.
//!
//! **Time budget.** Parts are taken largest first from a shared queue; each gets the time left
//! until the run's deadline, scaled by its share of the jobs not yet started and by the number
//! of threads still busy, and no part runs past the deadline.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::problem::{Incumbent, Problem, SolverError, TravelMatrix};
use super::search::{solve_whole, SolverConfig};
use super::solution::{objective_of, Solution, SolveStats, UnassignedReason};
use super::state::{carry_reason, InitialPlan};

/// One independent part of a problem: the jobs and the vehicles that may serve them, in
/// ascending index order (indices of the whole problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Vehicles of the part, ascending. Empty for the part of the jobs no vehicle may serve.
    pub vehicles: Vec<usize>,
    /// Jobs of the part, ascending.
    pub jobs: Vec<usize>,
}

/// Union–find over `n` elements with path halving.
struct Sets {
    parent: Vec<usize>,
}

impl Sets {
    fn new(n: usize) -> Self {
        Sets {
            parent: (0..n).collect(),
        }
    }

    fn root(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        if a != b {
            self.parent[a.max(b)] = a.min(b);
        }
    }
}

/// The independent parts of `problem` started from `plan`, in order of their smallest job.
/// Vehicles no job may use belong to no part (they stay unused); the jobs no vehicle may serve
/// form one last part without vehicles. O((jobs + vehicles + eligible pairs) · α).
///
/// ```
/// use fieldwork::schedule::solver::{parts, InitialPlan, Job, Problem, TravelMatrix, Vehicle};
/// let matrix = TravelMatrix::euclidean(&[(0.0, 0.0), (1.0, 0.0), (9.0, 0.0), (10.0, 0.0)])?;
/// let vehicles = vec![Vehicle::new(0, 0.0, 100.0), Vehicle::new(3, 0.0, 100.0).with_resource(1)];
/// let jobs = vec![
///     Job::new(1).with_allowed_vehicles(vec![0]),
///     Job::new(2).with_allowed_vehicles(vec![1]),
/// ];
/// let problem = Problem::new(matrix, vehicles, jobs)?;
/// let parts = parts(&problem, &InitialPlan::default());
/// assert_eq!(parts.len(), 2);
/// assert_eq!((parts[0].vehicles.clone(), parts[0].jobs.clone()), (vec![0], vec![0]));
/// # Ok::<(), fieldwork::schedule::solver::SolverError>(())
/// ```
pub fn parts(problem: &Problem, plan: &InitialPlan) -> Vec<Part> {
    let (nj, nv) = (problem.jobs().len(), problem.vehicles().len());
    // Elements: vehicles 0..nv, then jobs nv..nv + nj.
    let mut sets = Sets::new(nv + nj);
    let mut first_of_resource: HashMap<usize, usize> = HashMap::new();
    for (v, vehicle) in problem.vehicles().iter().enumerate() {
        let first = *first_of_resource.entry(vehicle.resource).or_insert(v);
        sets.join(first, v);
    }
    for (j, job) in problem.jobs().iter().enumerate() {
        for &v in &problem.eligible_vehicles[j] {
            sets.join(nv + j, v as usize);
        }
        if let Some(Incumbent { vehicle, .. }) = job.incumbent {
            if vehicle < nv {
                sets.join(nv + j, vehicle);
            }
        }
    }
    for (v, jobs) in &plan.routes {
        for planned in jobs {
            if *v < nv && planned.job < nj {
                sets.join(nv + planned.job, *v);
            }
        }
    }
    // Roots are the smallest element of their set and vehicles come first, so a set holds a
    // vehicle exactly when its root is one.
    let mut index_of_root: HashMap<usize, usize> = HashMap::new();
    let mut out: Vec<Part> = Vec::new();
    let mut stranded: Vec<usize> = Vec::new();
    for j in 0..nj {
        let r = sets.root(nv + j);
        if r >= nv {
            stranded.push(j);
            continue;
        }
        let k = *index_of_root.entry(r).or_insert_with(|| {
            out.push(Part {
                vehicles: Vec::new(),
                jobs: Vec::new(),
            });
            out.len() - 1
        });
        out[k].jobs.push(j);
    }
    for v in 0..nv {
        let r = sets.root(v);
        if let Some(&k) = index_of_root.get(&r) {
            out[k].vehicles.push(v);
        }
    }
    if !stranded.is_empty() {
        out.push(Part {
            vehicles: Vec::new(),
            jobs: stranded,
        });
    }
    out
}

/// The jobs `plan` fixes in place (they are not searched). O(planned jobs).
fn fixed_jobs(plan: &InitialPlan) -> std::collections::HashSet<usize> {
    plan.routes
        .iter()
        .flat_map(|(_, jobs)| jobs)
        .filter(|j| j.lock == super::state::Lock::Fixed)
        .map(|j| j.job)
        .collect()
}

/// The part of the budget a part gets: its share of the movable jobs.
fn iterations_of(config: &SolverConfig, part_jobs: usize, total_jobs: usize) -> Option<u64> {
    config.max_iterations.map(|m| {
        let share = u128::from(m) * part_jobs as u128 / total_jobs.max(1) as u128;
        share as u64
    })
}

/// The problem of one part alone: its vehicles and jobs renumbered in ascending order, its
/// locations too (the travel matrix restricted to them, blocks kept), the same score weight.
fn restrict(problem: &Problem, part: &Part) -> Result<Problem, SolverError> {
    let vehicles = problem.vehicles();
    let jobs = problem.jobs();
    let mut locations: Vec<usize> = Vec::new();
    for &v in &part.vehicles {
        locations.push(vehicles[v].start_location);
        locations.push(vehicles[v].end_location);
        locations.extend(vehicles[v].restock.map(|r| r.location));
    }
    locations.extend(part.jobs.iter().map(|&j| jobs[j].location));
    locations.sort_unstable();
    locations.dedup();
    let local_loc: HashMap<usize, usize> =
        locations.iter().enumerate().map(|(i, &l)| (l, i)).collect();
    let local_vehicle: HashMap<usize, usize> = part
        .vehicles
        .iter()
        .enumerate()
        .map(|(i, &v)| (v, i))
        .collect();
    let matrix = problem.matrix();
    let mut blocks: Vec<(u32, Vec<usize>)> = Vec::new();
    for (i, &l) in locations.iter().enumerate() {
        let b = matrix.block_of(l);
        match blocks.iter_mut().find(|(x, _)| *x == b) {
            Some((_, list)) => list.push(i),
            None => blocks.push((b, vec![i])),
        }
    }
    let blocks: Vec<Vec<usize>> = blocks.into_iter().map(|(_, list)| list).collect();
    let sub_matrix = if blocks.len() == 1 {
        TravelMatrix::from_fn(locations.len(), |a, b| {
            let (a, b) = (locations[a], locations[b]);
            (matrix.time(a, b), matrix.distance(a, b))
        })?
    } else {
        TravelMatrix::blocked(locations.len(), &blocks, |a, b| {
            let (a, b) = (locations[a], locations[b]);
            (matrix.time(a, b), matrix.distance(a, b))
        })?
    };
    let loc = |l: usize| local_loc.get(&l).copied().unwrap_or(0);
    let veh = |v: usize| local_vehicle.get(&v).copied();
    let sub_vehicles = part
        .vehicles
        .iter()
        .map(|&v| {
            let mut vehicle = vehicles[v].clone();
            vehicle.start_location = loc(vehicle.start_location);
            vehicle.end_location = loc(vehicle.end_location);
            if let Some(r) = vehicle.restock.as_mut() {
                r.location = loc(r.location);
            }
            vehicle
        })
        .collect();
    let sub_jobs = part
        .jobs
        .iter()
        .map(|&j| {
            let mut job = jobs[j].clone();
            job.location = loc(job.location);
            job.allowed_vehicles = job
                .allowed_vehicles
                .map(|list| list.into_iter().filter_map(veh).collect());
            job.preferences = job
                .preferences
                .into_iter()
                .filter_map(|(v, s)| veh(v).map(|v| (v, s)))
                .collect();
            // A pinned vehicle is the job's only eligible one, hence in its part.
            job.pinned_vehicle = job.pinned_vehicle.and_then(veh);
            job.incumbent = job
                .incumbent
                .and_then(|inc| veh(inc.vehicle).map(|vehicle| Incumbent { vehicle, ..inc }));
            job.vehicle_windows = job
                .vehicle_windows
                .into_iter()
                .filter_map(|(v, e, l)| veh(v).map(|v| (v, e, l)))
                .collect();
            job
        })
        .collect();
    Problem::new(sub_matrix, sub_vehicles, sub_jobs)?
        .with_score_weight(problem.score_weight())?
        .with_lateness_weight(problem.lateness_weight())
}

/// The initial plan's routes of one part, renumbered as in [`restrict`].
fn restrict_plan(plan: &InitialPlan, part: &Part) -> InitialPlan {
    let local_job: HashMap<usize, usize> =
        part.jobs.iter().enumerate().map(|(i, &j)| (j, i)).collect();
    let mut out = InitialPlan::new();
    for (v, jobs) in &plan.routes {
        let Ok(local_v) = part.vehicles.binary_search(v) else {
            continue;
        };
        let planned = jobs
            .iter()
            .filter_map(|p| {
                local_job
                    .get(&p.job)
                    .map(|&job| super::state::PlannedJob { job, lock: p.lock })
            })
            .collect();
        out = out.with_route(local_v, planned);
    }
    out
}

/// Solves one part of `problem` (see [`parts`]) from `plan` and returns its routes and
/// unassigned jobs in the whole problem's indices, with the objective of the part. The
/// iteration budget is the part's share of `config.max_iterations` (proportional to its jobs
/// among all the problem's jobs, counting only the jobs `plan` does not fix); the time limit is used as given. A worker that solves only
/// some parts of a problem gets exactly the routes a single process would.
///
/// # Errors
/// As [`solve_from`](super::solve_from).
pub fn solve_part(
    problem: &Problem,
    plan: &InitialPlan,
    part: &Part,
    config: &SolverConfig,
) -> Result<Solution, SolverError> {
    let mut config = config.clone();
    // Shares count the jobs the search may move: fixed jobs cost it nothing, and a part's
    // budget must not depend on how many fixed jobs the other parts hold.
    let fixed = fixed_jobs(plan);
    let movable =
        |jobs: &mut dyn Iterator<Item = usize>| jobs.filter(|j| !fixed.contains(j)).count();
    config.max_iterations = iterations_of(
        &config,
        movable(&mut part.jobs.iter().copied()),
        movable(&mut (0..problem.jobs().len())),
    );
    if config.max_iterations.is_none() && config.time_limit.is_none() {
        config.max_iterations = Some(0);
    }
    let sub = restrict(problem, part)?;
    let sub_plan = restrict_plan(plan, part);
    let solved = solve_whole(&sub, &sub_plan, &config)?;
    let mut routes = solved.routes;
    for r in &mut routes {
        r.vehicle = part.vehicles[r.vehicle];
        for v in &mut r.visits {
            v.job = part.jobs[v.job];
        }
    }
    let mut unassigned = solved.unassigned;
    for u in &mut unassigned {
        u.job = part.jobs[u.job];
        if u.reason == UnassignedReason::NoEligibleVehicle {
            // The part may hold no vehicle because none can carry what the job needs.
            if let Some(r) = carry_reason(problem, u.job) {
                u.reason = r;
            }
        }
    }
    let objective = objective_of(problem, &routes, &unassigned);
    Ok(Solution {
        routes,
        unassigned,
        objective,
        stats: solved.stats,
    })
}

/// Puts the solutions of disjoint parts of `problem` side by side: routes by vehicle,
/// unassigned jobs by job, the objective recomputed over the whole, statistics summed
/// (`elapsed` is `wall`).
pub fn merge(problem: &Problem, solutions: Vec<Solution>, wall: Duration) -> Solution {
    let mut routes = Vec::new();
    let mut unassigned = Vec::new();
    let mut stats = SolveStats::default();
    for s in solutions {
        routes.extend(s.routes);
        unassigned.extend(s.unassigned);
        stats.iterations += s.stats.iterations;
        stats.improvements += s.stats.improvements;
        stats.construction_cost += s.stats.construction_cost;
    }
    routes.sort_by_key(|r| r.vehicle);
    unassigned.sort_by_key(|u| u.job);
    stats.elapsed = wall;
    let objective = objective_of(problem, &routes, &unassigned);
    Solution {
        routes,
        unassigned,
        objective,
        stats,
    }
}

/// The number of threads a run uses: `config.threads`, or every core when it is 0, never more
/// than there are parts.
fn thread_count(config: &SolverConfig, parts: usize) -> usize {
    let wanted = match config.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    wanted.clamp(1, parts.max(1))
}

/// Solves the given parts of `problem` from `plan` (see the module documentation: threads,
/// budget shares, determinism) and merges their results; jobs of other parts are neither
/// assigned nor reported unassigned. [`solve_from`](super::solve_from) calls it with every
/// part; a worker that owns some parts of a shared problem calls it with those.
///
/// # Errors
/// As [`solve_from`](super::solve_from).
pub fn solve_parts(
    problem: &Problem,
    plan: &InitialPlan,
    parts: &[Part],
    config: &SolverConfig,
) -> Result<Solution, SolverError> {
    let started = Instant::now();
    let deadline = config.time_limit.map(|l| started + l);
    // Largest first, so that the long parts start early and the short ones fill the gaps.
    let mut queue: Vec<usize> = (0..parts.len()).collect();
    queue.sort_by_key(|&k| (std::cmp::Reverse(parts[k].jobs.len()), k));
    let jobs_left = AtomicUsize::new(problem.jobs().len());
    let parts_left = AtomicUsize::new(parts.len());
    let next = AtomicUsize::new(0);
    let threads = thread_count(config, parts.len());
    let results: Mutex<Vec<Option<Result<Solution, SolverError>>>> =
        Mutex::new((0..parts.len()).map(|_| None).collect());
    let work = || loop {
        let i = next.fetch_add(1, Ordering::SeqCst);
        let Some(&k) = queue.get(i) else {
            break;
        };
        let part = &parts[k];
        let mut part_config = config.clone();
        if let Some(deadline) = deadline {
            let now = Instant::now();
            let left = deadline.saturating_duration_since(now);
            let jobs_before = jobs_left
                .fetch_sub(part.jobs.len(), Ordering::SeqCst)
                .max(1);
            let busy = parts_left
                .fetch_sub(1, Ordering::SeqCst)
                .min(threads)
                .max(1);
            let share = part.jobs.len() as f64 / jobs_before as f64 * busy as f64;
            part_config.time_limit = Some(left.mul_f64(share.min(1.0)));
        }
        let solved = solve_part(problem, plan, part, &part_config);
        if let Ok(mut slots) = results.lock() {
            slots[k] = Some(solved);
        }
    };
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(work);
            }
        });
    }
    let slots = results
        .into_inner()
        .map_err(|_| SolverError::InvalidConfig {
            message: "a solver thread panicked".into(),
        })?;
    let mut solutions = Vec::with_capacity(slots.len());
    for slot in slots {
        match slot {
            Some(Ok(s)) => solutions.push(s),
            Some(Err(e)) => return Err(e),
            None => {
                return Err(SolverError::InvalidConfig {
                    message: "a part was not solved (a solver thread panicked)".into(),
                })
            }
        }
    }
    Ok(merge(problem, solutions, started.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::super::problem::{Job, Vehicle};
    use super::super::search::solve;
    use super::super::validate::validate;
    use super::*;

    /// `k` copies of a small region side by side (10 jobs, 2 vehicles each, far apart), each
    /// region's jobs allowed only on its vehicles.
    fn regions(k: usize) -> Problem {
        let mut points = Vec::new();
        let mut vehicles = Vec::new();
        let mut jobs = Vec::new();
        for r in 0..k {
            let ox = r as f64 * 1000.0;
            let depot = points.len();
            points.push((ox, 0.0));
            let first_vehicle = vehicles.len();
            for _ in 0..2 {
                vehicles.push(
                    Vehicle::new(depot, 0.0, 400.0)
                        .with_capacity(30.0)
                        .with_resource(vehicles.len()),
                );
            }
            for i in 0..10 {
                let loc = points.len();
                let x = ox + ((i * 37) % 23) as f64 - 11.0;
                let y = ((i * 53) % 19) as f64 - 9.0;
                points.push((x, y));
                jobs.push(
                    Job::new(loc)
                        .with_service(10.0)
                        .with_window(0.0, 300.0)
                        .with_demand(5.0)
                        .with_allowed_vehicles(vec![first_vehicle, first_vehicle + 1]),
                );
            }
        }
        let matrix = TravelMatrix::euclidean(&points).unwrap();
        Problem::new(matrix, vehicles, jobs).unwrap()
    }

    #[test]
    fn separate_regions_are_separate_parts() {
        let p = regions(3);
        let parts = parts(&p, &InitialPlan::default());
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1].vehicles, vec![2, 3]);
        assert_eq!(parts[1].jobs, (10..20).collect::<Vec<_>>());
    }

    #[test]
    fn shared_resource_joins_parts() {
        let mut vehicles = vec![
            Vehicle::new(0, 0.0, 100.0).with_resource(7),
            Vehicle::new(0, 0.0, 100.0).with_resource(7),
        ];
        vehicles.push(Vehicle::new(0, 0.0, 100.0).with_resource(8));
        let jobs = vec![
            Job::new(1).with_allowed_vehicles(vec![0]),
            Job::new(2).with_allowed_vehicles(vec![1]),
            Job::new(3).with_allowed_vehicles(vec![]),
        ];
        let matrix =
            TravelMatrix::euclidean(&[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (3.0, 0.0)]).unwrap();
        let p = Problem::new(matrix, vehicles, jobs).unwrap();
        let parts = parts(&p, &InitialPlan::default());
        assert_eq!(
            parts,
            vec![
                Part {
                    vehicles: vec![0, 1],
                    jobs: vec![0, 1]
                },
                Part {
                    vehicles: vec![],
                    jobs: vec![2]
                }
            ]
        );
        let s = solve(&p, &SolverConfig::default().with_iterations(Some(50))).unwrap();
        assert_eq!(s.unassigned.len(), 1);
        assert_eq!(s.unassigned[0].job, 2);
        assert!(validate(&p, &s).is_empty());
    }

    #[test]
    fn result_does_not_depend_on_threads() {
        let p = regions(5);
        let config = SolverConfig::default().with_iterations(Some(2_000));
        let one = solve(
            &p,
            &SolverConfig {
                threads: 1,
                ..config.clone()
            },
        )
        .unwrap();
        let four = solve(
            &p,
            &SolverConfig {
                threads: 4,
                ..config
            },
        )
        .unwrap();
        assert!(validate(&p, &one).is_empty());
        assert_eq!(one.routes, four.routes);
        assert_eq!(one.unassigned, four.unassigned);
        assert_eq!(one.objective, four.objective);
    }

    #[test]
    fn a_part_solves_as_its_region_alone() {
        // Region 2 of 4 with a quarter of the budget = the region given alone.
        let whole = regions(4);
        let config = SolverConfig::default().with_iterations(Some(4_000));
        let merged = solve(&whole, &config).unwrap();
        let alone = regions(1);
        let single = solve(&alone, &config.clone().with_iterations(Some(1_000))).unwrap();
        let of_region = |s: &Solution, r: usize| -> Vec<Vec<usize>> {
            s.routes
                .iter()
                .filter(|route| route.vehicle / 2 == r)
                .map(|route| route.visits.iter().map(|v| v.job % 10).collect())
                .collect()
        };
        assert_eq!(of_region(&merged, 2), of_region(&single, 0));
        let part_cost: f64 = merged
            .routes
            .iter()
            .filter(|r| r.vehicle / 2 == 2)
            .map(|r| r.cost)
            .sum();
        assert!((part_cost - single.objective.cost).abs() < 1e-6);
    }

    #[test]
    fn solving_parts_separately_equals_the_whole() {
        let p = regions(3);
        let config = SolverConfig::default().with_iterations(Some(900));
        let whole = solve(&p, &config).unwrap();
        let plan = InitialPlan::default();
        let pieces: Vec<Solution> = parts(&p, &plan)
            .iter()
            .map(|part| solve_part(&p, &plan, part, &config).unwrap())
            .collect();
        let merged = merge(&p, pieces, Duration::ZERO);
        assert_eq!(merged.routes, whole.routes);
        assert_eq!(merged.objective, whole.objective);
    }

    #[test]
    fn time_budget_holds_over_many_parts() {
        let p = regions(40);
        let config = SolverConfig::default()
            .with_iterations(None)
            .with_time_limit(Some(Duration::from_millis(300)));
        let started = Instant::now();
        let s = solve(
            &p,
            &SolverConfig {
                threads: 2,
                ..config
            },
        )
        .unwrap();
        let took = started.elapsed();
        assert!(took < Duration::from_millis(450), "took {took:?}");
        assert!(validate(&p, &s).is_empty());
        assert_eq!(s.unassigned.len(), 0);
    }
}
