//! The optimiser's answer: routes with their schedule, unassigned jobs with a reason, objective.

use std::time::Duration;

use super::problem::{Problem, DEPOT, EPS};
use super::route::simulate;

/// One job in a route, with its schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    /// Job index.
    pub job: usize,
    /// Arrival at the job's location.
    pub arrival: f64,
    /// Service start (`max(arrival, earliest)`, or the pinned start).
    pub start: f64,
    /// Service end (`start + service`).
    pub end: f64,
    /// Time waited before starting (`start - arrival`).
    pub waiting: f64,
    /// Travel time from the previous stop.
    pub travel_time: f64,
    /// Travel distance from the previous stop.
    pub travel_distance: f64,
    /// `start - due` if positive and lateness is penalised, else 0.
    pub lateness: f64,
}

/// One used vehicle and its ordered visits.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Vehicle index.
    pub vehicle: usize,
    /// The vehicle's resource (technician) index.
    pub resource: usize,
    /// Visits in order.
    pub visits: Vec<Visit>,
    /// Departure from the start location (as late as possible without extra lateness).
    pub departure: f64,
    /// Arrival back at the end location.
    pub return_time: f64,
    /// Total distance, including the way back.
    pub distance: f64,
    /// `return_time - departure`.
    pub duration: f64,
    /// Total travel time, including the way back.
    pub travel_time: f64,
    /// Total service time.
    pub service_time: f64,
    /// Total waiting time.
    pub waiting_time: f64,
    /// Total demand served.
    pub load: f64,
    /// Total lateness.
    pub lateness: f64,
    /// Sum of the preference scores of the visits for this vehicle.
    pub preference: f64,
    /// Overtime: how long after the vehicle's `overtime_start` the route returns (0 when it
    /// returns before).
    pub overtime: f64,
    /// Route cost: distance·cost_per_distance + duration·cost_per_time +
    /// overtime·cost_per_overtime + fixed cost − score_weight·preference.
    pub cost: f64,
    /// The route's restock (depot) visit, if it makes one (see
    /// [`Vehicle::restock`](super::Vehicle::restock)).
    pub restock: Option<RestockVisit>,
}

/// A route's restock (depot) visit and its schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestockVisit {
    /// The visit comes before `visits[position]`; `position == visits.len()` means after the
    /// last visit (just before the way home).
    pub position: usize,
    /// Arrival at the depot.
    pub arrival: f64,
    /// Start of the depot visit (`max(arrival, earliest)`).
    pub start: f64,
    /// Departure from the depot (`start + service`).
    pub departure: f64,
}

/// Why a job could not be assigned (found by checking why no insertion was feasible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnassignedReason {
    /// No vehicle is allowed to serve it (allowed list / pinned vehicle).
    NoEligibleVehicle,
    /// Its demand exceeds the capacity of every eligible vehicle.
    ExceedsCapacity,
    /// No eligible vehicle can reach it within its time window (or at its pinned start), even
    /// with an otherwise empty route.
    WindowUnreachable,
    /// It can be reached in time, but no eligible shift is long enough to also get back.
    ShiftTooShort,
    /// It fits on its own, but every eligible route is too full (capacity).
    CapacityExhausted,
    /// It fits on its own, but every eligible route already holds its vehicle's `max_jobs`.
    JobLimitReached,
    /// It fits on its own, but no eligible route has room in its schedule any more.
    NoTimeLeft,
    /// Every eligible vehicle lacks a tool it needs and has no restock visit to fetch it.
    MissingTool,
    /// Every eligible vehicle carries too few of a part it needs and has no restock visit.
    MissingParts,
}

/// A job left out of the plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unassigned {
    /// Job index.
    pub job: usize,
    /// Why.
    pub reason: UnassignedReason,
}

/// Objective components. Solutions are ranked by `total`, one cost on one scale:
/// `cost` (Σ routes: distance·cost_per_distance + duration·cost_per_time +
/// overtime·cost_per_overtime + fixed cost − score_weight · preference) + lateness weight · `lateness` + `disruption` +
/// `unassigned_value` (each job left out costs its value).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Objective {
    /// Total value of assigned jobs (reported).
    pub assigned_value: f64,
    /// Total value of unassigned jobs: what leaving them out costs (part of `total`).
    pub unassigned_value: f64,
    /// Total lateness (weighted by the problem's lateness weight in `total`).
    pub lateness: f64,
    /// Disruption penalties of the jobs moved from their incumbent place (part of `total`;
    /// see [`Incumbent`](super::Incumbent)).
    pub disruption: f64,
    /// Route cost (part of `total`).
    pub cost: f64,
    /// Total distance.
    pub distance: f64,
    /// Total route duration.
    pub duration: f64,
    /// Total overtime (its cost is in `cost`).
    pub overtime: f64,
    /// Total preference score of the assignment.
    pub preference: f64,
    /// The objective, minimised: `cost` + lateness weight · `lateness` + `disruption` +
    /// `unassigned_value`.
    pub total: f64,
}

impl Objective {
    /// Whether `self` is strictly better (lower `total`) than `other`, with a small relative
    /// tolerance.
    pub fn is_better_than(&self, other: &Objective) -> bool {
        let tol = EPS.max(1e-12 * self.total.abs().max(other.total.abs()));
        self.total < other.total - tol
    }
}

/// Statistics of a run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SolveStats {
    /// Ruin-and-recreate iterations run.
    pub iterations: u64,
    /// Times a new best solution was found after construction.
    pub improvements: u64,
    /// Cost of the constructed start solution.
    pub construction_cost: f64,
    /// Wall-clock time spent.
    pub elapsed: Duration,
}

/// A solved plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Used vehicles only, in vehicle order.
    pub routes: Vec<Route>,
    /// Jobs not assigned, in job order.
    pub unassigned: Vec<Unassigned>,
    /// Objective components.
    pub objective: Objective,
    /// Run statistics (not part of the plan; `elapsed` varies between runs).
    pub stats: SolveStats,
}

impl Solution {
    /// Number of vehicles used.
    pub fn vehicles_used(&self) -> usize {
        self.routes.len()
    }

    /// The route of a vehicle, if it is used.
    pub fn route_of_vehicle(&self, vehicle: usize) -> Option<&Route> {
        self.routes.iter().find(|r| r.vehicle == vehicle)
    }

    /// Where a job is: `(vehicle, position in the route)`.
    pub fn position_of_job(&self, job: usize) -> Option<(usize, usize)> {
        self.routes.iter().find_map(|r| {
            r.visits
                .iter()
                .position(|v| v.job == job)
                .map(|k| (r.vehicle, k))
        })
    }

    /// The job sequences per used vehicle: `(vehicle, jobs)`.
    pub fn sequences(&self) -> Vec<(usize, Vec<usize>)> {
        self.routes
            .iter()
            .map(|r| (r.vehicle, r.visits.iter().map(|v| v.job).collect()))
            .collect()
    }
}

/// Builds the reported schedule of `jobs` on vehicle `v`, with the restock visit before
/// `jobs[q]` when `restock` is `Some(q)`; `None` if infeasible or empty.
pub(crate) fn schedule_route(
    p: &Problem,
    v: usize,
    jobs: &[usize],
    restock: Option<usize>,
) -> Option<Route> {
    if jobs.is_empty() {
        return None;
    }
    let q = restock.unwrap_or(usize::MAX);
    let nodes: Vec<usize> = jobs
        .iter()
        .enumerate()
        .flat_map(|(i, &j)| (i == q).then_some(DEPOT).into_iter().chain(Some(j)))
        .chain((q == jobs.len()).then_some(DEPOT))
        .collect();
    let ev = simulate(p, v, nodes.iter().copied())?;
    let veh = &p.vehicles()[v];
    let m = p.matrix();
    let mut t = ev.departure;
    let mut loc = veh.start_location;
    let mut visits = Vec::with_capacity(jobs.len());
    let mut restock_visit = None;
    let (mut travel, mut service, mut waiting, mut load, mut late, mut pref, mut dist) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &j in &nodes {
        let d = &p.node_on(j, v);
        let tt = m.time(loc, d.loc);
        let td = m.distance(loc, d.loc);
        let arrival = t + tt;
        let start = arrival.max(d.e);
        travel += tt;
        dist += td;
        t = start + d.service;
        loc = d.loc;
        if j == DEPOT {
            restock_visit = Some(RestockVisit {
                position: visits.len(),
                arrival,
                start,
                departure: t,
            });
            continue;
        }
        let lateness = if d.soft {
            (start - d.due).max(0.0)
        } else {
            0.0
        };
        visits.push(Visit {
            job: j,
            arrival,
            start,
            end: start + d.service,
            waiting: start - arrival,
            travel_time: tt,
            travel_distance: td,
            lateness,
        });
        service += d.service;
        waiting += start - arrival;
        load += d.demand;
        late += lateness;
        pref += p.preference(j, v);
    }
    let tt = m.time(loc, veh.end_location);
    travel += tt;
    dist += m.distance(loc, veh.end_location);
    let return_time = t + tt;
    let duration = return_time - ev.departure;
    let overtime = veh.overtime(return_time);
    let cost = veh.cost_per_distance * dist
        + veh.cost_per_time * duration
        + veh.cost_per_overtime * overtime
        + veh.fixed_cost
        - p.score_weight() * pref;
    Some(Route {
        vehicle: v,
        resource: veh.resource,
        visits,
        departure: ev.departure,
        return_time,
        distance: dist,
        duration,
        travel_time: travel,
        service_time: service,
        waiting_time: waiting,
        load,
        lateness: late,
        preference: pref,
        overtime,
        cost,
        restock: restock_visit,
    })
}

/// The node sequence of a reported route: its jobs, with `DEPOT` at the restock visit.
pub(crate) fn route_nodes(r: &Route) -> Vec<usize> {
    let q = r.restock.map_or(usize::MAX, |x| x.position);
    let mut nodes = Vec::with_capacity(r.visits.len() + 1);
    for (i, v) in r.visits.iter().enumerate() {
        if i == q {
            nodes.push(DEPOT);
        }
        nodes.push(v.job);
    }
    if q == r.visits.len() {
        nodes.push(DEPOT);
    }
    nodes
}

/// Sums the objective over routes and unassigned jobs.
pub(crate) fn objective_of(p: &Problem, routes: &[Route], unassigned: &[Unassigned]) -> Objective {
    let mut o = Objective::default();
    for r in routes {
        for v in &r.visits {
            o.assigned_value += p.jobs()[v.job].value;
        }
        o.lateness += r.lateness;
        o.disruption += super::route::disruption(p, r.vehicle, route_nodes(r));
        o.cost += r.cost;
        o.distance += r.distance;
        o.duration += r.duration;
        o.overtime += r.overtime;
        o.preference += r.preference;
    }
    for u in unassigned {
        o.unassigned_value += p.jobs()[u.job].value;
    }
    o.total = o.cost + p.lateness_weight() * o.lateness + o.disruption + o.unassigned_value;
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objective_order_is_by_total() {
        let base = Objective {
            assigned_value: 10.0,
            lateness: 5.0,
            cost: 100.0,
            total: 105.0,
            ..Objective::default()
        };
        let cheaper = Objective {
            lateness: 50.0,
            total: 104.0,
            ..base
        };
        assert!(cheaper.is_better_than(&base));
        assert!(!base.is_better_than(&base));
        assert!(!base.is_better_than(&cheaper));
    }
}
