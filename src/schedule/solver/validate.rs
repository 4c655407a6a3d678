//! Independent validator: recomputes a solution from the public problem data alone (it does not
//! use the optimiser's internal tables) and lists every rule it breaks.

use super::problem::{LatePolicy, Problem};
use super::solution::Solution;

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

/// Checks every rule of the problem against a solution, recomputing all times, loads, distances
/// and objective totals from scratch. An empty list means the solution is valid.
///
/// Rules: each vehicle used at most once and existing; each job served at most once, and
/// either served or reported unassigned; eligibility and pinned vehicles; capacity; departure
/// not before shift start and return by shift end; arrival = previous end + travel time; start
/// not before arrival nor earliest start; start not after the due time when lateness is
/// forbidden; pinned starts kept; end = start + service; totals and objective consistent.
pub fn validate(problem: &Problem, solution: &Solution) -> Vec<Violation> {
    let mut out = Vec::new();
    let m = problem.matrix();
    let jobs = problem.jobs();
    let vehicles = problem.vehicles();
    let mut seen_job = vec![false; jobs.len()];
    let mut seen_vehicle = vec![false; vehicles.len()];
    let mut mark = |job: usize, out: &mut Vec<Violation>| {
        if job >= jobs.len() {
            out.push(Violation::UnknownJob { job });
            false
        } else if std::mem::replace(&mut seen_job[job], true) {
            out.push(Violation::JobRepeated { job });
            false
        } else {
            true
        }
    };
    let (mut value, mut late_total, mut cost_total, mut dist_total, mut dur_total, mut pref_total) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for route in &solution.routes {
        let v = route.vehicle;
        if v >= vehicles.len() {
            out.push(Violation::UnknownVehicle { vehicle: v });
            continue;
        }
        if std::mem::replace(&mut seen_vehicle[v], true) {
            out.push(Violation::VehicleUsedTwice { vehicle: v });
        }
        let veh = &vehicles[v];
        if route.departure < veh.shift_start - 1e-6 {
            out.push(Violation::DepartsBeforeShift { vehicle: v });
        }
        let mut t = route.departure;
        let mut loc = veh.start_location;
        let (mut load, mut dist, mut late, mut pref) = (0.0, 0.0, 0.0, 0.0);
        let inconsistent = |what: &'static str, job: Option<usize>, out: &mut Vec<Violation>| {
            out.push(Violation::ScheduleInconsistent {
                vehicle: v,
                job,
                what,
            })
        };
        for visit in &route.visits {
            let j = visit.job;
            if !mark(j, &mut out) {
                continue;
            }
            let job = &jobs[j];
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
                inconsistent("travel time", Some(j), &mut out);
            }
            if !close(visit.travel_distance, m.distance(loc, job.location)) {
                inconsistent("travel distance", Some(j), &mut out);
            }
            if !close(visit.arrival, arrival) {
                inconsistent("arrival", Some(j), &mut out);
            }
            let start = visit.start;
            if !le(arrival, start) || (job.pinned_start.is_none() && !le(job.earliest, start)) {
                out.push(Violation::StartsTooEarly { job: j });
            }
            if !close(visit.waiting, start - arrival) {
                inconsistent("waiting", Some(j), &mut out);
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
            let lateness = if job.pinned_start.is_none() && job.late_policy == LatePolicy::Penalised
            {
                (start - job.latest).max(0.0)
            } else {
                0.0
            };
            if !close(visit.lateness, lateness) {
                inconsistent("lateness", Some(j), &mut out);
            }
            if !close(visit.end, start + job.service) {
                inconsistent("end", Some(j), &mut out);
            }
            late += lateness;
            load += job.demand;
            dist += m.distance(loc, job.location);
            pref += job
                .preferences
                .iter()
                .filter(|(pv, _)| *pv == v)
                .map(|(_, s)| s)
                .sum::<f64>();
            value += job.value;
            t = visit.end;
            loc = job.location;
        }
        let return_time = t + m.time(loc, veh.end_location);
        dist += m.distance(loc, veh.end_location);
        if !close(route.return_time, return_time) {
            inconsistent("return time", None, &mut out);
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
        let duration = return_time - route.departure;
        let cost = veh.cost_per_distance * dist
            + veh.cost_per_time * duration
            + if route.visits.is_empty() {
                0.0
            } else {
                veh.fixed_cost
            }
            - problem.score_weight() * pref;
        for (what, reported, recomputed) in [
            ("route distance", route.distance, dist),
            ("route duration", route.duration, duration),
            ("route load", route.load, load),
            ("route lateness", route.lateness, late),
            ("route preference", route.preference, pref),
            ("route cost", route.cost, cost),
        ] {
            if !close(reported, recomputed) {
                out.push(Violation::TotalMismatch {
                    what,
                    reported,
                    recomputed,
                });
            }
        }
        late_total += late;
        cost_total += cost;
        dist_total += dist;
        dur_total += duration;
        pref_total += pref;
    }
    let mut unassigned_value = 0.0;
    for u in &solution.unassigned {
        if mark(u.job, &mut out) {
            unassigned_value += jobs[u.job].value;
        }
    }
    for (job, seen) in seen_job.iter().enumerate() {
        if !seen {
            out.push(Violation::JobMissing { job });
        }
    }
    let o = &solution.objective;
    for (what, reported, recomputed) in [
        ("objective assigned value", o.assigned_value, value),
        (
            "objective unassigned value",
            o.unassigned_value,
            unassigned_value,
        ),
        ("objective lateness", o.lateness, late_total),
        ("objective cost", o.cost, cost_total),
        ("objective distance", o.distance, dist_total),
        ("objective duration", o.duration, dur_total),
        ("objective preference", o.preference, pref_total),
    ] {
        if !close(reported, recomputed) {
            out.push(Violation::TotalMismatch {
                what,
                reported,
                recomputed,
            });
        }
    }
    out
}
