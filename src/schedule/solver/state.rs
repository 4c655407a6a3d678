//! The working solution of the search, the initial plan for incremental re-planning, and the
//! diagnosis of unassigned jobs.

use super::problem::{Problem, SolverError, EPS};
use super::route::{simulate, RouteState};
use super::solution::{
    objective_of, schedule_route, Solution, SolveStats, Unassigned, UnassignedReason,
};

/// Why job `j`, eligible for no vehicle, is so because of what it needs: some vehicle is
/// allowed (allowed list, pinned vehicle) but none of them can carry its tools
/// ([`UnassignedReason::MissingTool`]) or its parts ([`UnassignedReason::MissingParts`])
/// without a restock visit. `None` when no vehicle is allowed at all.
pub(crate) fn carry_reason(p: &Problem, j: usize) -> Option<UnassignedReason> {
    let job = &p.jobs()[j];
    let allowed: Vec<usize> = (0..p.vehicles().len())
        .filter(|&v| {
            job.pinned_vehicle.is_none_or(|pv| pv == v)
                && job.allowed_vehicles.as_ref().is_none_or(|a| a.contains(&v))
        })
        .collect();
    if allowed.is_empty() {
        return None;
    }
    Some(if allowed.iter().all(|&v| !p.has_tools(j, v)) {
        UnassignedReason::MissingTool
    } else {
        UnassignedReason::MissingParts
    })
}

/// `route_of` entry of an unassigned job.
pub(crate) const NONE: u32 = u32::MAX;

/// How a job of an initial plan may be changed by the optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lock {
    /// The job may move to any position or vehicle (or, if that improves the objective, be left
    /// out when it no longer fits).
    #[default]
    Free,
    /// The job stays on this vehicle, in the same order relative to the route's other fixed
    /// jobs; other jobs may be inserted before and after it. To also keep its time, set
    /// [`Job::pinned_start`](super::Job::pinned_start).
    Fixed,
    /// Like `Fixed`, and nothing may be placed before it: the job is under way or done. Started
    /// jobs must come first in their route.
    Started,
}

/// One job of an initial plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedJob {
    /// Job index.
    pub job: usize,
    /// What the optimiser may change.
    pub lock: Lock,
}

impl PlannedJob {
    /// A job that may move.
    pub fn free(job: usize) -> Self {
        PlannedJob {
            job,
            lock: Lock::Free,
        }
    }

    /// A job that stays on its vehicle, in order with the other fixed jobs.
    pub fn fixed(job: usize) -> Self {
        PlannedJob {
            job,
            lock: Lock::Fixed,
        }
    }

    /// A job that is under way: fixed, and nothing before it.
    pub fn started(job: usize) -> Self {
        PlannedJob {
            job,
            lock: Lock::Started,
        }
    }
}

/// An existing plan to start from (incremental re-planning): ordered jobs per vehicle.
///
/// Jobs of the problem that are not in the plan are new and get inserted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InitialPlan {
    /// `(vehicle, jobs in order)`; each vehicle at most once.
    pub routes: Vec<(usize, Vec<PlannedJob>)>,
}

impl InitialPlan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route for a vehicle.
    pub fn with_route(mut self, vehicle: usize, jobs: Vec<PlannedJob>) -> Self {
        self.routes.push((vehicle, jobs));
        self
    }

    /// A plan with every job of a previous solution, all free to move.
    pub fn from_solution(solution: &Solution) -> Self {
        InitialPlan {
            routes: solution
                .routes
                .iter()
                .map(|r| {
                    (
                        r.vehicle,
                        r.visits.iter().map(|v| PlannedJob::free(v.job)).collect(),
                    )
                })
                .collect(),
        }
    }
}

/// Score of a working solution on the one scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Score {
    /// Value of the assigned jobs (reported).
    pub value: f64,
    /// Total lateness (reported).
    pub lateness: f64,
    /// Σ route cost (travel, time, fixed − preference).
    pub cost: f64,
    /// The objective: Σ route cost + lateness weight · lateness + disruption + Σ value of the
    /// unassigned jobs (their outsourcing cost). Minimised.
    pub total: f64,
}

impl Score {
    pub fn better_than(&self, o: &Score) -> bool {
        self.total < o.total - EPS.max(1e-12 * self.total.abs().max(o.total.abs()))
    }
}

/// The working solution: one route per vehicle (index = vehicle).
#[derive(Debug)]
pub(crate) struct State {
    pub routes: Vec<RouteState>,
    pub route_of: Vec<u32>,
    pub unassigned: Vec<usize>,
    /// Routes modified since the last synchronisation.
    pub dirty: Vec<usize>,
    dirty_flag: Vec<bool>,
}

impl Clone for State {
    fn clone(&self) -> Self {
        State {
            routes: self.routes.clone(),
            route_of: self.route_of.clone(),
            unassigned: self.unassigned.clone(),
            dirty: self.dirty.clone(),
            dirty_flag: self.dirty_flag.clone(),
        }
    }

    fn clone_from(&mut self, o: &Self) {
        self.routes.clone_from(&o.routes);
        self.route_of.clone_from(&o.route_of);
        self.unassigned.clone_from(&o.unassigned);
        self.dirty.clone_from(&o.dirty);
        self.dirty_flag.clone_from(&o.dirty_flag);
    }
}

impl State {
    /// Every vehicle empty, every job unassigned.
    pub fn empty(p: &Problem) -> State {
        let nv = p.vehicles().len();
        State {
            routes: (0..nv)
                .map(|v| RouteState::new(p, v, Vec::new(), 0))
                .collect(),
            route_of: vec![NONE; p.jobs().len()],
            unassigned: (0..p.jobs().len()).collect(),
            dirty: Vec::new(),
            dirty_flag: vec![false; nv],
        }
    }

    #[inline]
    pub fn mark(&mut self, r: usize) {
        if !self.dirty_flag[r] {
            self.dirty_flag[r] = true;
            self.dirty.push(r);
        }
    }

    pub fn clear_dirty(&mut self) {
        for &r in &self.dirty {
            self.dirty_flag[r] = false;
        }
        self.dirty.clear();
    }

    /// Copies from `src` the routes `src` marked dirty (plus the assignment tables), then clears
    /// the dirty marks of both. Afterwards `self` equals `src` if they differed only there.
    pub fn sync_from(&mut self, src: &mut State) {
        for &r in &src.dirty {
            self.routes[r].clone_from(&src.routes[r]);
        }
        self.route_of.clone_from(&src.route_of);
        self.unassigned.clone_from(&src.unassigned);
        src.clear_dirty();
        self.clear_dirty();
    }

    /// Undoes the changes of the routes `self` marked dirty by copying them back from `src`
    /// (plus the assignment tables), then clears the dirty marks.
    pub fn restore_from(&mut self, src: &State) {
        for &r in &self.dirty {
            self.routes[r].clone_from(&src.routes[r]);
        }
        self.route_of.clone_from(&src.route_of);
        self.unassigned.clone_from(&src.unassigned);
        self.clear_dirty();
    }

    /// Inserts job `j` into route `r` before position `pos`.
    pub fn insert(&mut self, p: &Problem, r: usize, pos: usize, j: usize) {
        self.routes[r].jobs.insert(pos, j);
        self.routes[r].rebuild(p);
        self.route_of[j] = r as u32;
        self.mark(r);
    }

    pub fn score(&self, p: &Problem, total_value: f64) -> Score {
        let mut s = Score {
            value: total_value,
            lateness: 0.0,
            cost: 0.0,
            total: 0.0,
        };
        for &j in &self.unassigned {
            s.value -= p.jobs()[j].value;
            s.total += p.jobs()[j].value;
        }
        for r in &self.routes {
            s.lateness += r.lateness;
            s.cost += r.cost;
            s.total += r.total(p);
        }
        s
    }

    /// Builds the starting state from an initial plan. Returns the state and the per-job fixed
    /// flags.
    pub fn from_plan(p: &Problem, plan: &InitialPlan) -> Result<(State, Vec<bool>), SolverError> {
        let nj = p.jobs().len();
        let nv = p.vehicles().len();
        let mut st = State::empty(p);
        let mut fixed = vec![false; nj];
        let mut seen_job = vec![false; nj];
        let mut seen_vehicle = vec![false; nv];
        let bad = |message: String| SolverError::InvalidPlan {
            message,
            vehicle: None,
        };
        for (v, jobs) in &plan.routes {
            let v = *v;
            if v >= nv {
                return Err(bad(format!("vehicle {v} does not exist")));
            }
            if std::mem::replace(&mut seen_vehicle[v], true) {
                return Err(bad(format!("vehicle {v} has two routes")));
            }
            let mut started_run = true;
            let mut locked = 0;
            for pj in jobs {
                if pj.job >= nj {
                    return Err(bad(format!("job {} does not exist", pj.job)));
                }
                if std::mem::replace(&mut seen_job[pj.job], true) {
                    return Err(bad(format!("job {} is planned twice", pj.job)));
                }
                match pj.lock {
                    Lock::Started if !started_run => {
                        return Err(bad(format!(
                            "started job {} on vehicle {v} follows a job that is not started",
                            pj.job
                        )))
                    }
                    Lock::Started => locked += 1,
                    _ => started_run = false,
                }
                if pj.lock != Lock::Free {
                    fixed[pj.job] = true;
                    if !p.is_eligible(pj.job, v) {
                        return Err(bad(format!(
                            "fixed job {} is not eligible for vehicle {v}",
                            pj.job
                        )));
                    }
                }
            }
            let all: Vec<usize> = jobs.iter().map(|pj| pj.job).collect();
            let all_ok = all.iter().all(|&j| p.is_eligible(j, v))
                && RouteState::sequence_feasible(p, v, &all)
                && simulate(p, v, all.iter().copied()).is_some();
            let seq = if all_ok {
                all
            } else {
                let kept: Vec<usize> = jobs
                    .iter()
                    .filter(|pj| pj.lock != Lock::Free)
                    .map(|pj| pj.job)
                    .collect();
                if !RouteState::sequence_feasible(p, v, &kept)
                    || simulate(p, v, kept.iter().copied()).is_none()
                {
                    return Err(SolverError::InvalidPlan {
                        message: format!(
                            "the fixed jobs of vehicle {v} cannot be scheduled (windows, shift or capacity)"
                        ),
                        vehicle: Some(v),
                    });
                }
                kept
            };
            for &j in &seq {
                st.route_of[j] = v as u32;
            }
            st.routes[v] = RouteState::new(p, v, seq, locked);
        }
        st.unassigned = (0..nj).filter(|&j| st.route_of[j] == NONE).collect();
        Ok((st, fixed))
    }

    /// Why job `j` (unassigned) cannot be inserted anywhere.
    pub fn reason(&self, p: &Problem, j: usize) -> UnassignedReason {
        let d = &p.jd[j];
        let m = p.matrix();
        let eligible: Vec<usize> = (0..p.vehicles().len())
            .filter(|&v| p.is_eligible(j, v))
            .collect();
        if eligible.is_empty() {
            return carry_reason(p, j).unwrap_or(UnassignedReason::NoEligibleVehicle);
        }
        let fits: Vec<usize> = eligible
            .into_iter()
            .filter(|&v| {
                let veh = &p.vehicles()[v];
                veh.capacity.is_none_or(|c| d.demand <= c + EPS) && veh.max_jobs != Some(0)
            })
            .collect();
        if fits.is_empty() {
            return UnassignedReason::ExceedsCapacity;
        }
        let mut reachable = false;
        let mut alone = Vec::new();
        for &v in &fits {
            let veh = &p.vehicles()[v];
            let d = &p.jd_on(j, v);
            let start = (veh.shift_start + m.time(veh.start_location, d.loc)).max(d.e);
            if start > d.l + EPS {
                continue;
            }
            reachable = true;
            if start + d.service + m.time(d.loc, veh.end_location) <= veh.shift_end + EPS {
                alone.push(v);
            }
        }
        if !reachable {
            return UnassignedReason::WindowUnreachable;
        }
        if alone.is_empty() {
            return UnassignedReason::ShiftTooShort;
        }
        if alone.iter().all(|&v| !self.routes[v].has_room_for(p, j)) {
            // Every route it fits on alone is full: by load if any of them is, else by count.
            return if alone
                .iter()
                .any(|&v| self.routes[v].free_capacity(p) < d.demand - EPS)
            {
                UnassignedReason::CapacityExhausted
            } else {
                UnassignedReason::JobLimitReached
            };
        }
        UnassignedReason::NoTimeLeft
    }

    /// The public solution for this state.
    pub fn to_solution(&self, p: &Problem, stats: SolveStats) -> Solution {
        let routes: Vec<_> = self
            .routes
            .iter()
            .filter_map(|r| schedule_route(p, r.vehicle, &r.jobs, r.restock))
            .collect();
        let mut unassigned: Vec<Unassigned> = self
            .unassigned
            .iter()
            .map(|&j| Unassigned {
                job: j,
                reason: self.reason(p, j),
            })
            .collect();
        unassigned.sort_by_key(|u| u.job);
        let objective = objective_of(p, &routes, &unassigned);
        Solution {
            routes,
            unassigned,
            objective,
            stats,
        }
    }
}
