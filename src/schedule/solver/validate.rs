//! Independent validator: recomputes a solution from the public problem data alone (it does not
//! use the optimiser's internal tables) and lists every rule it breaks.

use super::problem::{Job, LatePolicy, Problem};
use super::solution::{Route, Solution, Visit};

/// A broken rule found by [`validate`].
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    /// A route names a vehicle that does not exist.
    UnknownVehicle {
        /// The vehicle index.
        vehicle: usize,
    },
    /// Two routes use the same vehicle (the fleet is exceeded).
    VehicleUsedTwice {
        /// The vehicle index.
        vehicle: usize,
    },
    /// A route or the unassigned list names a job that does not exist.
    UnknownJob {
        /// The job index.
        job: usize,
    },
    /// A job is served more than once, or is both served and reported unassigned.
    JobRepeated {
        /// The job index.
        job: usize,
    },
    /// A job is neither served nor reported unassigned.
    JobMissing {
        /// The job index.
        job: usize,
    },
    /// A job is served by a vehicle it is not allowed on (allowed list or pinned vehicle).
    NotEligible {
        /// The job index.
        job: usize,
        /// The vehicle index.
        vehicle: usize,
    },
    /// Total demand exceeds the vehicle capacity.
    CapacityExceeded {
        /// The vehicle index.
        vehicle: usize,
        /// Demand on the route.
        load: f64,
        /// Capacity of the vehicle.
        capacity: f64,
    },
    /// More jobs on the route than the vehicle's `max_jobs`.
    TooManyJobs {
        /// The vehicle index.
        vehicle: usize,
        /// Jobs on the route.
        jobs: usize,
        /// The vehicle's limit.
        max_jobs: usize,
    },
    /// The route departs before the shift starts.
    DepartsBeforeShift {
        /// The vehicle index.
        vehicle: usize,
    },
    /// The route returns after the shift ends.
    ReturnsAfterShift {
        /// The vehicle index.
        vehicle: usize,
        /// Recomputed return time.
        return_time: f64,
    },
    /// A job starts before its arrival or before its earliest start.
    StartsTooEarly {
        /// The job index.
        job: usize,
    },
    /// A job with forbidden lateness starts after its due time.
    StartsAfterDue {
        /// The job index.
        job: usize,
        /// Reported start.
        start: f64,
        /// Due time.
        due: f64,
    },
    /// A job starts after the end of its window on the vehicle serving it.
    OutsideVehicleWindow {
        /// The job index.
        job: usize,
        /// The vehicle index.
        vehicle: usize,
        /// Reported start.
        start: f64,
    },
    /// A job with a pinned start does not start then.
    PinnedStartMissed {
        /// The job index.
        job: usize,
    },
    /// A reported time, travel or waiting figure does not follow from the previous stop.
    ScheduleInconsistent {
        /// The vehicle index.
        vehicle: usize,
        /// The job index, or `None` for the return to the end location.
        job: Option<usize>,
        /// Which figure.
        what: &'static str,
    },
    /// Before the route's restock visit (or on a route without one) its jobs consume more of a
    /// part type than the vehicle carries.
    PartsExceeded {
        /// The vehicle index.
        vehicle: usize,
        /// The part type.
        part: usize,
        /// Units consumed before the restock visit.
        used: u64,
        /// Units the vehicle carries.
        stock: u32,
    },
    /// A job before the route's restock visit (or on a route without one) needs a tool the
    /// vehicle does not carry.
    MissingTool {
        /// The job index.
        job: usize,
        /// The vehicle index.
        vehicle: usize,
        /// The tool type.
        tool: usize,
    },
    /// A route has a restock visit its vehicle does not have, or at a position past its
    /// visits, or timed outside the restock window.
    BadRestock {
        /// The vehicle index.
        vehicle: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A reported total differs from the recomputed one.
    TotalMismatch {
        /// Which total (e.g. `"route distance"`, `"objective cost"`).
        what: &'static str,
        /// Reported value.
        reported: f64,
        /// Recomputed value.
        recomputed: f64,
    },
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

fn le(a: f64, b: f64) -> bool {
    a <= b + 1e-6 * a.abs().max(b.abs()).max(1.0)
}

/// Reports every `(what, reported, recomputed)` total that does not match.
fn check_totals<const N: usize>(totals: [(&'static str, f64, f64); N], out: &mut Vec<Violation>) {
    for (what, reported, recomputed) in totals {
        if !close(reported, recomputed) {
            out.push(Violation::TotalMismatch {
                what,
                reported,
                recomputed,
            });
        }
    }
}

/// The jobs and vehicles met so far.
struct Seen {
    jobs: Vec<bool>,
    vehicles: Vec<bool>,
}

impl Seen {
    /// Marks `job` as met; reports and refuses (`false`) an unknown or repeated job.
    fn job(&mut self, job: usize, out: &mut Vec<Violation>) -> bool {
        if job >= self.jobs.len() {
            out.push(Violation::UnknownJob { job });
            false
        } else if std::mem::replace(&mut self.jobs[job], true) {
            out.push(Violation::JobRepeated { job });
            false
        } else {
            true
        }
    }
}

/// The solution's totals recomputed over every route.
#[derive(Default)]
struct Totals {
    value: f64,
    late: f64,
    cost: f64,
    dist: f64,
    dur: f64,
    overtime: f64,
    pref: f64,
}

/// One route's sums recomputed over its visits.
#[derive(Default)]
struct RouteSums {
    load: f64,
    dist: f64,
    late: f64,
    pref: f64,
}

/// The lateness a job has when starting at `start`: penalised lateness after its latest start
/// (pinned and forbidden-lateness jobs have none).
fn lateness_of(job: &Job, start: f64) -> f64 {
    if job.pinned_start.is_none() && job.late_policy == LatePolicy::Penalised {
        (start - job.latest).max(0.0)
    } else {
        0.0
    }
}

/// Checks one visit of vehicle `v` reached from `loc` at time `t`: eligibility, travel,
/// arrival, start, waiting, pinned start or due time, lateness and end. Returns its lateness.
fn check_visit(
    problem: &Problem,
    v: usize,
    (t, loc): (f64, usize),
    visit: &Visit,
    out: &mut Vec<Violation>,
) -> f64 {
    let m = problem.matrix();
    let j = visit.job;
    let job = &problem.jobs()[j];
    let inconsistent = |what: &'static str, out: &mut Vec<Violation>| {
        out.push(Violation::ScheduleInconsistent {
            vehicle: v,
            job: Some(j),
            what,
        })
    };
    let allowed = job
        .allowed_vehicles
        .as_ref()
        .is_none_or(|list| list.contains(&v))
        && job.pinned_vehicle.is_none_or(|pv| pv == v);
    if !allowed {
        out.push(Violation::NotEligible { job: j, vehicle: v });
    }
    let travel = m.time(loc, job.location);
    let arrival = t + travel;
    if !close(visit.travel_time, travel) {
        inconsistent("travel time", out);
    }
    if !close(visit.travel_distance, m.distance(loc, job.location)) {
        inconsistent("travel distance", out);
    }
    if !close(visit.arrival, arrival) {
        inconsistent("arrival", out);
    }
    let start = visit.start;
    if !le(arrival, start) || (job.pinned_start.is_none() && !le(job.earliest, start)) {
        out.push(Violation::StartsTooEarly { job: j });
    }
    if let Some((e, l)) = problem.vehicle_window(j, v) {
        if !le(e, start) {
            out.push(Violation::StartsTooEarly { job: j });
        }
        if !le(start, l) {
            out.push(Violation::OutsideVehicleWindow {
                job: j,
                vehicle: v,
                start,
            });
        }
    }
    if !close(visit.waiting, start - arrival) {
        inconsistent("waiting", out);
    }
    match job.pinned_start {
        Some(ps) => {
            if !close(start, ps) {
                out.push(Violation::PinnedStartMissed { job: j });
            }
        }
        None => {
            if job.late_policy == LatePolicy::Forbidden && !le(start, job.latest) {
                out.push(Violation::StartsAfterDue {
                    job: j,
                    start,
                    due: job.latest,
                });
            }
        }
    }
    let lateness = lateness_of(job, start);
    if !close(visit.lateness, lateness) {
        inconsistent("lateness", out);
    }
    if !close(visit.end, start + job.service) {
        inconsistent("end", out);
    }
    lateness
}

/// Checks the end of vehicle `v`'s route (return by the shift end, capacity, job count) and
/// returns the recomputed return time.
fn check_route_end(
    problem: &Problem,
    (v, route): (usize, &Route),
    (t, loc): (f64, usize),
    load: f64,
    out: &mut Vec<Violation>,
) -> f64 {
    let veh = &problem.vehicles()[v];
    let return_time = t + problem.matrix().time(loc, veh.end_location);
    if !close(route.return_time, return_time) {
        out.push(Violation::ScheduleInconsistent {
            vehicle: v,
            job: None,
            what: "return time",
        });
    }
    if !le(return_time, veh.shift_end) {
        out.push(Violation::ReturnsAfterShift {
            vehicle: v,
            return_time,
        });
    }
    if let Some(c) = veh.capacity {
        if !le(load, c) {
            out.push(Violation::CapacityExceeded {
                vehicle: v,
                load,
                capacity: c,
            });
        }
    }
    if let Some(m) = veh.max_jobs {
        if route.visits.len() > m {
            out.push(Violation::TooManyJobs {
                vehicle: v,
                jobs: route.visits.len(),
                max_jobs: m,
            });
        }
    }
    return_time
}

/// Checks the restock visit of `route` reached from `loc` at `t` (travel, arrival, window,
/// departure); adds its distance to `sums` and returns the time and place it leaves.
fn check_restock(
    problem: &Problem,
    v: usize,
    route: &Route,
    (t, loc): (f64, usize),
    sums: &mut RouteSums,
    out: &mut Vec<Violation>,
) -> (f64, usize) {
    let (Some(rv), Some(r)) = (&route.restock, &problem.vehicles()[v].restock) else {
        return (t, loc);
    };
    let m = problem.matrix();
    let arrival = t + m.time(loc, r.location);
    sums.dist += m.distance(loc, r.location);
    let bad = |what: &'static str, out: &mut Vec<Violation>| {
        out.push(Violation::BadRestock { vehicle: v, what })
    };
    if !close(rv.arrival, arrival) {
        bad("arrival does not follow from the previous stop", out);
    }
    if !le(arrival, rv.start) || !le(r.earliest, rv.start) {
        bad("starts before arrival or before its window", out);
    }
    if !le(rv.start, r.latest) {
        bad("starts after its window", out);
    }
    if !close(rv.departure, rv.start + r.service) {
        bad("departure is not start + service", out);
    }
    (rv.departure, r.location)
}

/// Checks one route — its vehicle, every visit, its end and its reported totals — and adds
/// its recomputed figures to `totals`.
fn check_route(
    problem: &Problem,
    route: &Route,
    seen: &mut Seen,
    totals: &mut Totals,
    out: &mut Vec<Violation>,
) {
    let (m, jobs, vehicles) = (problem.matrix(), problem.jobs(), problem.vehicles());
    let v = route.vehicle;
    if v >= vehicles.len() {
        out.push(Violation::UnknownVehicle { vehicle: v });
        return;
    }
    if std::mem::replace(&mut seen.vehicles[v], true) {
        out.push(Violation::VehicleUsedTwice { vehicle: v });
    }
    let veh = &vehicles[v];
    if route.departure < veh.shift_start - 1e-6 {
        out.push(Violation::DepartsBeforeShift { vehicle: v });
    }
    let mut t = route.departure;
    let mut loc = veh.start_location;
    let mut sums = RouteSums::default();
    let restock_at = route.restock.map(|r| r.position);
    if let Some(rv) = &route.restock {
        match &veh.restock {
            None => out.push(Violation::BadRestock {
                vehicle: v,
                what: "the vehicle has no restock visit",
            }),
            Some(_) if rv.position > route.visits.len() => out.push(Violation::BadRestock {
                vehicle: v,
                what: "position past the last visit",
            }),
            Some(_) => {}
        }
    }
    // Parts consumed and tools needed before the restock visit.
    let mut used: std::collections::BTreeMap<usize, u64> = std::collections::BTreeMap::new();
    for (i, visit) in route.visits.iter().enumerate() {
        if restock_at == Some(i) {
            (t, loc) = check_restock(problem, v, route, (t, loc), &mut sums, out);
        }
        let j = visit.job;
        if !seen.job(j, out) {
            continue;
        }
        let job = &jobs[j];
        if restock_at.is_none_or(|q| i < q) {
            for &(part, units) in &job.parts {
                *used.entry(part).or_insert(0) += units as u64;
            }
            for &tool in &job.tools {
                if !veh.tools.contains(&tool) {
                    out.push(Violation::MissingTool {
                        job: j,
                        vehicle: v,
                        tool,
                    });
                }
            }
        }
        sums.late += check_visit(problem, v, (t, loc), visit, out);
        sums.load += job.demand;
        sums.dist += m.distance(loc, job.location);
        sums.pref += job
            .preferences
            .iter()
            .filter(|(pv, _)| *pv == v)
            .map(|(_, s)| s)
            .sum::<f64>();
        totals.value += job.value;
        t = visit.end;
        loc = job.location;
    }
    if restock_at == Some(route.visits.len()) {
        (t, loc) = check_restock(problem, v, route, (t, loc), &mut sums, out);
    }
    for (&part, &units) in &used {
        let stock = veh.stock.get(part).copied().unwrap_or(0);
        if units > stock as u64 {
            out.push(Violation::PartsExceeded {
                vehicle: v,
                part,
                used: units,
                stock,
            });
        }
    }
    let return_time = check_route_end(problem, (v, route), (t, loc), sums.load, out);
    sums.dist += m.distance(loc, veh.end_location);
    let duration = return_time - route.departure;
    let overtime = veh.overtime(return_time);
    let cost = veh.cost_per_distance * sums.dist
        + veh.cost_per_time * duration
        + veh.cost_per_overtime * overtime
        + if route.visits.is_empty() {
            0.0
        } else {
            veh.fixed_cost
        }
        - problem.score_weight() * sums.pref;
    check_totals(
        [
            ("route distance", route.distance, sums.dist),
            ("route duration", route.duration, duration),
            ("route load", route.load, sums.load),
            ("route lateness", route.lateness, sums.late),
            ("route preference", route.preference, sums.pref),
            ("route overtime", route.overtime, overtime),
            ("route cost", route.cost, cost),
        ],
        out,
    );
    totals.late += sums.late;
    totals.cost += cost;
    totals.dist += sums.dist;
    totals.dur += duration;
    totals.overtime += overtime;
    totals.pref += sums.pref;
}

/// Checks every rule of the problem against a solution, recomputing all times, loads, distances
/// and objective totals from scratch. An empty list means the solution is valid.
///
/// Rules: each vehicle used at most once and existing; each job served at most once, and
/// either served or reported unassigned; eligibility and pinned vehicles; capacity; departure
/// not before shift start and return by shift end; arrival = previous end + travel time; start
/// not before arrival nor earliest start; start not after the due time when lateness is
/// forbidden; pinned starts kept; end = start + service; before the route's restock visit (all
/// of a route without one) the parts consumed per type within the vehicle's stock and every
/// job's tools carried; the restock visit only for a vehicle that has one, timed within its
/// window; overtime (the return after the vehicle's `overtime_start`) and its cost in the
/// route cost; totals and objective consistent (`total` = cost + lateness weight · lateness +
/// disruption + unassigned value).
pub fn validate(problem: &Problem, solution: &Solution) -> Vec<Violation> {
    let mut out = Vec::new();
    let jobs = problem.jobs();
    let mut seen = Seen {
        jobs: vec![false; jobs.len()],
        vehicles: vec![false; problem.vehicles().len()],
    };
    let mut totals = Totals::default();
    for route in &solution.routes {
        check_route(problem, route, &mut seen, &mut totals, &mut out);
    }
    let mut unassigned_value = 0.0;
    for u in &solution.unassigned {
        if seen.job(u.job, &mut out) {
            unassigned_value += jobs[u.job].value;
        }
    }
    for (job, seen) in seen.jobs.iter().enumerate() {
        if !seen {
            out.push(Violation::JobMissing { job });
        }
    }
    let o = &solution.objective;
    check_totals(
        [
            ("objective assigned value", o.assigned_value, totals.value),
            (
                "objective unassigned value",
                o.unassigned_value,
                unassigned_value,
            ),
            ("objective lateness", o.lateness, totals.late),
            ("objective cost", o.cost, totals.cost),
            ("objective distance", o.distance, totals.dist),
            ("objective duration", o.duration, totals.dur),
            ("objective overtime", o.overtime, totals.overtime),
            ("objective preference", o.preference, totals.pref),
            (
                "objective total",
                o.total,
                o.cost + problem.lateness_weight() * o.lateness + o.disruption + unassigned_value,
            ),
        ],
        &mut out,
    );
    out
}
