//! The field-service batch scheduler: maps service orders, technicians and the dispatch policy
//! onto the generic optimiser ([`super::solver`]) and its solution back onto a [`Plan`].
//!
//! * **Routes**: one per technician and working day, from the technician's calendar within the
//!   horizon, starting and ending at home: one per working span of the dispatch context
//!   ([`PolicyContext::open_stretches`]), where openings of one local day separated by less
//!   than the policy's `work_rules.max_break_minutes` (a lunch break) are already one span
//!   (work may run through the break) and absences are cut out; longer gaps split the day.
//!   A shift never exceeds the technician's daily working time (`max_hours_per_day`, or the
//!   profile's `max_daily_minutes` when a rule sets it; travel counts as working time),
//!   counted from the day's first opening (across an absence shorter than a break) whatever
//!   the time of the run: re-planning at noon leaves a technician the same end of day as
//!   planning at 07:00.
//! * **Jobs**: an order's duration from its tasks, its window from the dispatch policy (earliest
//!   start … due) and its due time (the order's `due`, or the SLA deadline the caller passes),
//!   its site, its priority weight times the policy's `costs.unplanned_per_priority_weight` as
//!   value (the cost of leaving it unplanned), its parts `demand`.
//! * **Hard constraints**: every work rule of the dispatch policy (skills, territory,
//!   exclusions, pinned technician, travel limit, availability) decides which routes may take
//!   a job; a route holds at most `max_jobs_per_day` jobs (the technician profile's limit) and
//!   its orders' parts `demand` together within the technician's `van_capacity` (the van is
//!   restocked between days); a pinned start is kept exactly; started jobs stay where they are
//!   when re-planning.
//! * **Objective** (one cost on one scale, the policy's `costs`): the sum of travel cost
//!   minus the policy's pair score, `lateness_per_minute` times the minutes of SLA lateness
//!   (when lateness is penalised), `lateness_per_minute` times `disruption_minutes` per moved
//!   visit, and `unplanned_per_priority_weight` times the priority weight (critical 8, high 4,
//!   normal 2, low 1) of each order left unplanned.
//! * **Parts and tools** (docs/dataset.md, "Parts and tools"): each shift's vehicle carries its
//!   technician's van stock and tools and may make one restock visit at the technician's depot
//!   (within the depot's opening hours); jobs carry their orders' parts and tools; a technician
//!   whose van and depot cannot supply an order is not eligible for it (`missing_tool`,
//!   `missing_parts`). The solver's restock refills every part; a depot that does not hold a
//!   part cannot refill it, so such a part is only offered to technicians whose van alone holds
//!   the order's units (a day's later visits may still run short of it: `stock::check_route`
//!   finds that). A depot stop of the previous plan that has ended by "now" stays on the
//!   re-planned route: that shift's van leaves from the depot, restocked.

use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashMap;
use std::time::Duration as StdDuration;
use thiserror::Error;

use super::plan::{
    PartKind, Plan, PlanKpis, Route, Unassigned, UnassignedReason, Visit, VisitPart,
};
use super::solver::{
    self, InitialPlan, Job, PlannedJob, Problem, Restock, SolverConfig, SolverError, TravelMatrix,
    Vehicle,
};
use super::stock;
use crate::calendar::OpenStretches;
use crate::dispatch::{
    DispatchError, Dispatcher, Evaluation, OrderIx, PolicyContext, TechIx, WorkRule,
};
use crate::model::{
    DepotId, Model, OrderId, OrderStatus, PartId, TechnicianId, TerritoryId, ToolId,
};

mod linked;

pub use linked::MAX_PARTS;

/// Errors of the batch scheduler.
#[derive(Debug, Error)]
pub enum ScheduleError {
    /// The horizon is empty or inverted.
    #[error("empty horizon: {from} .. {to}")]
    EmptyHorizon {
        /// Start.
        from: DateTime<Utc>,
        /// End.
        to: DateTime<Utc>,
    },
    /// The dispatch policy could not be evaluated (rule error, unknown order…).
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    /// The optimiser rejected the problem (a bug in the mapping, reported, never a panic).
    #[error("optimiser: {0}")]
    Solver(#[from] SolverError),
}

/// Whether a job may start after its due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lateness {
    /// Late starts are allowed and minimised (second objective): breaches are visible in the plan.
    #[default]
    Penalised,
    /// A job that cannot start by its due time stays unassigned.
    Forbidden,
}

/// Settings of a scheduling run.
#[derive(Debug, Clone)]
pub struct ScheduleOptions {
    /// Random seed (same seed and iteration budget → same plan).
    pub seed: u64,
    /// Search iterations (deterministic budget); `None` = until the time budget ends.
    pub iterations: Option<u64>,
    /// Wall-clock budget of the whole call — preparing the problem (eligibility, travel
    /// matrix) and the search (anytime: the best plan found is returned when it runs out).
    pub time_budget: Option<StdDuration>,
    /// Lateness policy.
    pub lateness: Lateness,
    /// Cost of one kilometre of travel, in the same unit as one point of pair score.
    pub cost_per_km: f64,
    /// Threads that plan the request's independent parts (see [`plan_parts`]) side by side;
    /// 0 = one per core. The plan for a seed and an iteration budget is the same for every
    /// thread count.
    pub threads: usize,
}

impl Default for ScheduleOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            iterations: Some(2_000),
            time_budget: Some(StdDuration::from_secs(5)),
            lateness: Lateness::Penalised,
            cost_per_km: 1.0,
            threads: 0,
        }
    }
}

/// What to plan: the orders, their SLA deadlines, the window, and the plan to start from when
/// re-planning.
#[derive(Debug, Clone, Copy)]
pub struct PlanRequest<'a> {
    /// The orders to plan.
    pub orders: &'a [OrderId],
    /// SLA resolution deadlines of orders without their own `due`.
    pub dues: &'a HashMap<OrderId, DateTime<Utc>>,
    /// Start of the window.
    pub from: DateTime<Utc>,
    /// End of the window (exclusive).
    pub to: DateTime<Utc>,
    /// The current plan of the window: its visits are the starting point (re-planning).
    pub previous: Option<&'a Plan>,
    /// Re-plan only these technicians' visits: every other technician's visit of `previous`
    /// keeps its technician and start wherever it lies (as inside the freeze horizon), so
    /// only these technicians' visits can move (to them or into free time of others). `None`:
    /// every technician's, under the freeze horizon.
    pub only: Option<&'a [TechnicianId]>,
}

impl<'a> PlanRequest<'a> {
    /// A request to plan `orders` over `[from, to)` from scratch.
    pub fn new(
        orders: &'a [OrderId],
        dues: &'a HashMap<OrderId, DateTime<Utc>>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Self {
        Self {
            orders,
            dues,
            from,
            to,
            previous: None,
            only: None,
        }
    }

    /// The same request, re-planning from `previous`.
    pub fn replanning(self, previous: Option<&'a Plan>) -> Self {
        Self { previous, ..self }
    }

    /// The same request, re-planning only `technicians`' visits (see [`PlanRequest::only`]).
    pub fn only_technicians(self, technicians: &'a [TechnicianId]) -> Self {
        Self {
            only: Some(technicians),
            ..self
        }
    }

    /// Whether `tech`'s visits of the previous plan stay where they are whatever the freeze
    /// (another technician's than those re-planned).
    fn keeps(&self, tech: &TechnicianId) -> bool {
        self.only.is_some_and(|only| !only.contains(tech))
    }
}

/// One route of the problem: which technician and which shift (UTC seconds).
#[derive(Debug, Clone)]
pub(crate) struct Shift {
    pub(crate) tech: TechIx,
    pub(crate) start: i64,
    /// The latest return: the regular end plus the overtime the technician may work.
    pub(crate) end: i64,
    /// End of regular time (`end` when the day allows no overtime).
    pub(crate) regular_end: i64,
}

/// The problem built from the model, with the maps back to ids.
struct Mapped<'a> {
    ctx: PolicyContext<'a>,
    origin: i64,
    shifts: Vec<Shift>,
    orders: Vec<OrderIx>,
    dues: Vec<Option<i64>>,
    /// Per job: its place in the plan being revised, if any.
    priors: Vec<Option<Prior>>,
    /// Per job: the reason when every technician the work rules allow lacks a part or a tool
    /// (see [`stock_reach`]).
    stock_blocked: Vec<Option<(UnassignedReason, String)>>,
    /// Parts, tools and depots as the solver sees them.
    vans: Vans,
    /// Per shift: the depot stop the previous plan made before "now" on it (the van is
    /// restocked already; see [`past_restocks`]).
    restocked: Vec<Option<super::plan::DepotStop>>,
    /// Per job: its place among its order's visits (multi-day and crew jobs).
    links: Vec<Option<VisitPart>>,
    /// The linked visits placed before the search: (job, shift), fixed there.
    placed: Vec<(usize, usize, i64)>,
    /// The linked orders that could not be placed, by job: reason and detail.
    failed: HashMap<usize, (UnassignedReason, String)>,
    problem: Problem,
}

/// How a job of the plan being revised is treated (see [`schedule`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// In progress or on hold: a fact, kept at its actual start on its technician.
    Started,
    /// Inside the freeze horizon: keeps technician and start.
    Frozen,
    /// Beyond the freeze (or no longer feasible where it was): moving it costs the disruption
    /// penalty when it still has a shift to stay on.
    Movable,
}

/// A job's place in the plan being revised.
#[derive(Debug, Clone, Copy)]
struct Prior {
    tech: TechIx,
    /// The shift (solver vehicle) that still contains its start, if any.
    shift: Option<usize>,
    /// Its start (UTC seconds): the actual start for started work.
    start: i64,
    /// When its route of the previous plan left home (UTC seconds): a kept visit's shift may
    /// start that early, so a depot stop planned before it still fits.
    left: i64,
    hold: Hold,
}

fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// The instant of `x` UTC seconds (the epoch when out of range).
fn utc(x: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(x, 0).single().unwrap_or_default()
}

fn instant(origin: i64, offset: f64) -> DateTime<Utc> {
    let s = origin as f64 + offset;
    Utc.timestamp_opt(s.round() as i64, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Splits a technician's open stretches within the horizon into shifts.
///
/// The daily limit counts from the day's first opening wherever `from` ("now") falls, so a
/// plan made at noon gives a technician the same end of day as one made in the morning: the
/// stretches of `from`'s local day that already ended still anchor the day, then every shift
/// is cut at `from`. A shift of that day with no time left (regular or overtime) stays, empty
/// (it ends at `from`), so work under way finds its day (see `priors_of`). O(s) for s open
/// stretches of the technician.
pub(crate) fn shifts_of(ctx: &PolicyContext<'_>, t: TechIx, from: i64, to: i64) -> Vec<Shift> {
    let max_secs = (ctx.technician_profile(t).max_daily_minutes * 60.0) as i64;
    let max_break = i64::from(ctx.policy().work_rules.max_break_minutes) * 60;
    let day = |x: i64| ctx.local_date(t, utc(x));
    let from_day = day(from);
    let mut out: Vec<Shift> = Vec::new();
    // Where each shift's daily limit counts from: its own start, or — when only an absence
    // shorter than a break separates it from the previous stretch of the day (the context
    // bridged the calendar's breaks, never absences) — that stretch's anchor.
    let mut last: Option<(i64, i64, i64)> = None;
    for &(s, e) in ctx.open_stretches(t) {
        let anchor = match last {
            Some((prev_start, prev_end, a))
                if s - prev_end < max_break && day(prev_start) == day(s) =>
            {
                a
            }
            _ => s,
        };
        last = Some((s, e, anchor));
        let e = e.min(to);
        // A stretch that ended before `from` counts only to anchor `from`'s day.
        if e <= s || (e <= from && day(s) != from_day) {
            continue;
        }
        let end = e.min(anchor + max_secs).max(s);
        out.push(Shift {
            tech: t,
            start: s,
            end,
            regular_end: end,
        });
    }
    let overtime = (ctx.technician_profile(t).overtime_minutes * 60.0) as i64;
    if overtime > 0 {
        add_overtime(ctx, t, &mut out, overtime, to);
    }
    for shift in &mut out {
        shift.start = shift.start.max(from);
        shift.end = shift.end.max(shift.start);
        // Past the regular end already: every minute from now on is overtime.
        shift.regular_end = shift.regular_end.clamp(shift.start, shift.end);
    }
    out
}

/// Lets each of technician `t`'s shifts run up to `overtime` seconds past its regular end, but
/// not past `to` (the horizon), into the technician's next opening (another shift), nor into
/// one of their absences. O(shifts × (log stretches + absences)).
fn add_overtime(ctx: &PolicyContext<'_>, t: TechIx, shifts: &mut [Shift], overtime: i64, to: i64) {
    let stretches = ctx.open_stretches(t);
    let absences: Vec<(i64, i64)> = ctx
        .model()
        .absences_of(ctx.tech_id(t))
        .map(|a| (secs(a.start), secs(a.end)))
        .collect();
    for shift in shifts {
        let regular = shift.regular_end;
        let mut end = (regular + overtime).min(to.max(regular));
        // The next opening: the first stretch that starts at or after the regular end (one
        // that is still open then, cut by the daily limit, is the overtime itself).
        let next = stretches.partition_point(|&(s, _)| s < regular);
        if let Some(&(s, _)) = stretches.get(next) {
            end = end.min(s);
        }
        for &(a, b) in &absences {
            if a < end && b > regular {
                end = end.min(a.max(regular));
            }
        }
        shift.end = end;
    }
}

/// The travel matrix of the problem: technicians' homes first, then order sites. Drives are
/// planned in whole minutes (rounded up) so that appointments fall on minutes.
///
/// Up to [`DENSE_MAX_LOCATIONS`] locations the matrix is dense (O((t + o)²) entries for t
/// technicians and o orders). Above, it is **blocked** by `reach`: the connected groups of
/// technicians and orders that eligibility links (a technician and the orders they may take,
/// transitively), each group dense, nothing stored between groups (no route can join them):
/// O(Σ group²) entries, which grows with the number of territories rather than with its
/// square.
fn travel_matrix(
    ctx: &PolicyContext<'_>,
    reach: &[Vec<(TechIx, f64)>],
) -> Result<TravelMatrix, ScheduleError> {
    let n_t = ctx.technician_count();
    let n_o = ctx.order_count();
    let size = n_t + n_o;
    let site = |x: usize| (x >= n_t).then(|| OrderIx(x - n_t));
    let entry = |a: usize, b: usize| {
        if a == b {
            return (0.0, 0.0);
        }
        let tr = match (site(a), site(b)) {
            (Some(i), Some(j)) => ctx.travel_between_orders(i, j),
            (Some(i), None) => ctx.travel_from_home(i, TechIx(b)),
            (None, Some(j)) => ctx.travel_from_home(j, TechIx(a)),
            (None, None) => return (0.0, 0.0),
        };
        (tr.minutes.ceil() * 60.0, tr.km)
    };
    if size <= DENSE_MAX_LOCATIONS {
        return dense_travel_matrix(ctx);
    }
    let groups = reach_groups(n_t, reach);
    Ok(TravelMatrix::blocked(size, &groups, entry)?)
}

/// Locations up to which the travel matrix is dense (see [`travel_matrix`]).
const DENSE_MAX_LOCATIONS: usize = 512;

/// The dense travel matrix (all pairs; technicians' homes are not linked to each other).
fn dense_travel_matrix(ctx: &PolicyContext<'_>) -> Result<TravelMatrix, ScheduleError> {
    let n_t = ctx.technician_count();
    let n_o = ctx.order_count();
    let size = n_t + n_o;
    let mut time = vec![0.0; size * size];
    let mut dist = vec![0.0; size * size];
    for i in 0..n_o {
        let o = OrderIx(i);
        for t in (0..n_t).map(TechIx) {
            let tr = ctx.travel_from_home(o, t);
            for (a, b) in [(t.0, n_t + i), (n_t + i, t.0)] {
                time[a * size + b] = tr.minutes.ceil() * 60.0;
                dist[a * size + b] = tr.km;
            }
        }
        for j in i + 1..n_o {
            let tr = ctx.travel_between_orders(o, OrderIx(j));
            for (a, b) in [(n_t + i, n_t + j), (n_t + j, n_t + i)] {
                time[a * size + b] = tr.minutes.ceil() * 60.0;
                dist[a * size + b] = tr.km;
            }
        }
    }
    Ok(TravelMatrix::new(size, time, dist)?)
}

/// The connected groups of locations (technicians `0..n_t`, then orders) that `reach` (each
/// order's eligible technicians) links, each sorted, in order of their smallest location.
/// O((t + o + pairs) · α) with a union–find.
fn reach_groups(n_t: usize, reach: &[Vec<(TechIx, f64)>]) -> Vec<Vec<usize>> {
    let size = n_t + reach.len();
    let mut parent: Vec<usize> = (0..size).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (i, techs) in reach.iter().enumerate() {
        for &(t, _) in techs {
            let (a, b) = (root(&mut parent, n_t + i), root(&mut parent, t.0));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut index_of_root = vec![usize::MAX; size];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for x in 0..size {
        let r = root(&mut parent, x);
        if index_of_root[r] == usize::MAX {
            index_of_root[r] = groups.len();
            groups.push(Vec::new());
        }
        groups[index_of_root[r]].push(x);
    }
    groups
}

/// Each order's eligible technicians with the pair's score (the dispatch policy's work rules
/// and score): the pairs the problem is made of. Only the order's indexed
/// [candidates](PolicyContext::candidates) are evaluated: O(Σ candidates), which grows with
/// the business (technicians per territory stay the same as territories are added) rather
/// than with orders × technicians.
fn reach_of(ctx: &PolicyContext<'_>) -> Result<Vec<Vec<(TechIx, f64)>>, ScheduleError> {
    let mut reach = Vec::with_capacity(ctx.order_count());
    for o in (0..ctx.order_count()).map(OrderIx) {
        let mut techs = Vec::new();
        for t in ctx.candidates(o) {
            if let Evaluation::Eligible { score, .. } = ctx.evaluate(o, t)? {
                techs.push((t, score));
            }
        }
        reach.push(techs);
    }
    Ok(reach)
}

/// One solver vehicle per shift (its technician's resource, job limit and van capacity), and
/// the vehicles of each technician.
fn vehicles_of(
    model: &Model,
    ctx: &PolicyContext<'_>,
    shifts: &[Shift],
    origin: i64,
    options: &ScheduleOptions,
) -> (Vec<Vehicle>, Vec<Vec<usize>>) {
    let mut vehicles = Vec::with_capacity(shifts.len());
    let mut shifts_of_tech: Vec<Vec<usize>> = vec![Vec::new(); ctx.technician_count()];
    for (v, shift) in shifts.iter().enumerate() {
        let tech = model.technician(ctx.tech_id(shift.tech));
        let mut vehicle = Vehicle::new(
            shift.tech.0,
            (shift.start - origin) as f64,
            (shift.end - origin) as f64,
        )
        .with_resource(shift.tech.0)
        .with_costs(options.cost_per_km, 0.0, 0.0);
        if shift.end > shift.regular_end {
            vehicle = vehicle.with_overtime(
                (shift.regular_end - origin) as f64,
                ctx.policy().costs.overtime_per_minute / 60.0,
            );
        }
        if let Some(max_jobs) = ctx.technician_profile(shift.tech).max_jobs_per_day {
            vehicle = vehicle.with_max_jobs(max_jobs as usize);
        }
        if let Some(van) = tech.and_then(|t| t.van_capacity) {
            vehicle = vehicle.with_capacity(van);
        }
        vehicles.push(vehicle);
        shifts_of_tech[shift.tech.0].push(v);
    }
    (vehicles, shifts_of_tech)
}

/// What [`job_of`] reads besides the order: the context, the shifts and the horizon's origin.
struct JobInput<'m, 'c> {
    model: &'m Model,
    ctx: &'m PolicyContext<'c>,
    dues: &'m HashMap<OrderId, DateTime<Utc>>,
    shifts: &'m [Shift],
    shifts_of_tech: &'m [Vec<usize>],
    reach: &'m [Vec<(TechIx, f64)>],
    origin: i64,
    options: &'m ScheduleOptions,
}

/// The solver job of order `o` (location `location`): its window (from the later of the
/// window start and the horizon, to the earlier of the window end and the due time less the
/// work), demand, value, and the shifts of every eligible technician with the pair's score as
/// preference; a pinned start keeps only the shifts that contain it. Returns the job and the
/// order's due time (UTC seconds).
fn job_of(
    input: &JobInput<'_, '_>,
    o: OrderIx,
    location: usize,
    prior: &mut Option<Prior>,
) -> Result<(Job, Option<i64>), ScheduleError> {
    let JobInput {
        model,
        ctx,
        dues,
        shifts,
        shifts_of_tech,
        reach,
        origin,
        options,
    } = *input;
    let order = model.order(ctx.order_id(o));
    let duration = ctx.duration_minutes(o) * 60.0;
    let (w_start, w_end) = ctx.window(o);
    let due = order
        .and_then(|ord| ord.due)
        .or_else(|| dues.get(ctx.order_id(o)).copied());
    let earliest = ((secs(w_start).max(origin) - origin) as f64 / 60.0).ceil() * 60.0;
    // Latest start: the window's end, and the due time minus the work — except for a booked
    // appointment, whose window is hard and not cut by the due time.
    let booked = order.and_then(|ord| ord.appointment).is_some();
    let mut latest = (secs(w_end) - origin) as f64;
    if let Some(d) = due.filter(|_| !booked) {
        latest = latest.min((secs(d) - origin) as f64 - duration);
    }
    let mut job = Job::new(location)
        .with_service(duration)
        .with_window(earliest, latest.max(earliest))
        .with_demand(order.map_or(0.0, |ord| ord.demand))
        .with_value(
            f64::from(order.map_or(2, |ord| ord.priority.weight()))
                * ctx.policy().costs.unplanned_per_priority_weight,
        );
    if options.lateness == Lateness::Penalised && !booked {
        job = job.with_soft_due();
    }
    let mut allowed = Vec::new();
    for &(t, score) in &reach[o.0] {
        for &v in &shifts_of_tech[t.0] {
            // Dated certifications qualify on their days only.
            let day = Utc
                .timestamp_opt(shifts[v].start, 0)
                .single()
                .unwrap_or_default();
            if !ctx.qualified_at(o, t, day) {
                continue;
            }
            allowed.push(v);
            job = job.with_preference(v, score);
        }
    }
    let pin = order.and_then(|ord| ord.pinned_start);
    if let Some(pinned) = pin {
        let at = secs(pinned);
        allowed.retain(|&v| shifts[v].start <= at && at < shifts[v].end);
        job = job.with_pinned_start((at - origin) as f64);
    }
    // The site's visiting hours: a window on each shift they open in, the shifts they do not
    // open in dropped.
    let mut site_windows = Vec::new();
    if let Some(site) = ctx.visiting_hours(o) {
        allowed.retain(|&v| match site_window(site, &shifts[v], duration, origin) {
            Some((e, l)) => {
                site_windows.push((v, e, l));
                true
            }
            None => false,
        });
    }
    if let Some(p) = prior.as_mut() {
        // A visit that no longer fits a booked window must move (the booking wins).
        let in_window = !booked || {
            let at = (p.start - origin) as f64;
            at >= earliest && at <= latest.max(earliest)
        };
        let stays = p
            .shift
            .filter(|v| allowed.contains(v))
            .filter(|_| in_window || p.hold == Hold::Started);
        match (p.hold, stays) {
            // Started work is a fact: it stays where and when it began, even if a rule would no
            // longer choose that technician.
            (Hold::Started, _) => {
                allowed = p.shift.into_iter().collect();
                job = job.with_pinned_start((p.start - origin) as f64);
            }
            (Hold::Frozen, Some(v)) if pin.is_none() => {
                allowed = vec![v];
                job = job.with_pinned_start((p.start - origin) as f64);
            }
            (_, Some(v)) if pin.is_none() => {
                p.hold = Hold::Movable;
                let policy = ctx.policy();
                let penalty =
                    policy.replanning.disruption_minutes * policy.costs.lateness_per_minute;
                job = job.with_incumbent(v, (p.start - origin) as f64, penalty);
            }
            (_, stays) => {
                // Pinned by the order, or no longer feasible where it was: it moves freely.
                p.hold = Hold::Movable;
                p.shift = stays;
            }
        }
    }
    // Started work is a fact, wherever it began; everything else keeps the site's hours.
    if prior.is_none_or(|p| p.hold != Hold::Started) {
        for (v, e, l) in site_windows {
            if allowed.contains(&v) {
                job = job.with_vehicle_window(v, e, l);
            }
        }
    }
    Ok((job.with_allowed_vehicles(allowed), due.map(secs)))
}

/// The window (solver seconds from `origin`: earliest start rounded up to the minute, latest
/// start) that the site's visiting hours `site` give a job of `duration` seconds on `shift`:
/// the opening overlapping the shift that leaves the widest window (a solver job has one
/// window per vehicle, so of a site open twice in one shift, the longer opening is offered);
/// `None` when no opening holds the job within the shift. O(log s + openings in the shift).
fn site_window(
    site: &[(i64, i64)],
    shift: &Shift,
    duration: f64,
    origin: i64,
) -> Option<(f64, f64)> {
    let first = site.partition_point(|&(_, e)| e <= shift.start);
    let mut best: Option<(f64, f64)> = None;
    for &(a, b) in &site[first..] {
        if a >= shift.end {
            break;
        }
        let e = ((a.max(shift.start) - origin) as f64 / 60.0).ceil() * 60.0;
        let l = (b.min(shift.end) - origin) as f64 - duration;
        if e <= l && best.is_none_or(|(be, bl)| l - e > bl - be) {
            best = Some((e, l));
        }
    }
    best
}

/// The solver problem of a request: the dispatcher's context over the orders, the travel
/// matrix, one vehicle per technician shift and one job per order.
fn build<'a, 'r: 'a>(
    model: &'a Model,
    dispatcher: &Dispatcher<'r>,
    request: &PlanRequest<'_>,
    options: &ScheduleOptions,
    freeze: bool,
    released: &[usize],
) -> Result<Mapped<'a>, ScheduleError> {
    let PlanRequest {
        orders,
        dues,
        from,
        to,
        ..
    } = *request;
    let ctx = dispatcher.context(model, orders, from)?;
    let origin = secs(from);
    let n_t = ctx.technician_count();
    let order_ixs: Vec<OrderIx> = (0..ctx.order_count()).map(OrderIx).collect();
    let mut reach = reach_of(&ctx)?;
    let stock_blocked = stock_reach(model, &ctx, &mut reach);
    let vans = Vans::of(model, &ctx, &reach);
    let matrix = if vans.depots.is_empty() {
        travel_matrix(&ctx, &reach)?
    } else {
        travel_matrix_with_depots(model, &ctx, &reach, &vans)?
    };
    let mut shifts = Vec::new();
    for t in (0..n_t).map(TechIx) {
        shifts.extend(shifts_of(&ctx, t, origin, secs(to)));
    }
    let mut priors = if freeze || request.previous.is_some() {
        priors_of(model, &ctx, request, &mut shifts, &matrix, freeze)
    } else {
        vec![None; order_ixs.len()]
    };
    // Without the freeze, or on the shifts whose kept visits no longer fit together, frozen
    // visits become movable (at the disruption penalty).
    for p in priors.iter_mut().flatten() {
        let release = !freeze || p.shift.is_some_and(|v| released.contains(&v));
        if release && p.hold == Hold::Frozen && !request.keeps(ctx.tech_id(p.tech)) {
            p.hold = Hold::Movable;
        }
    }
    keep_linked_reachable(&ctx, request, &mut shifts, &matrix);
    let restocked = past_restocks(&ctx, request, &vans, &mut shifts, &priors, &matrix);
    let (vehicles, shifts_of_tech) = vehicles_of(model, &ctx, &shifts, origin, options);
    let vehicles: Vec<Vehicle> = vehicles
        .into_iter()
        .zip(&shifts)
        .zip(&restocked)
        .map(|((vehicle, shift), past)| {
            vans.vehicle(model, &ctx, shift, origin, vehicle, past.is_some())
        })
        .collect();
    // The pre-pass plans no depot stop: a linked order goes only to vans that carry its needs.
    let linked_reach = van_alone_reach(model, &ctx, &reach);
    let links = place_linked(
        model,
        &ctx,
        request,
        &shifts,
        &shifts_of_tech,
        &vehicles,
        &linked_reach,
        &matrix,
        &mut priors,
        options,
    );
    let input = JobInput {
        model,
        ctx: &ctx,
        dues,
        shifts: &shifts,
        shifts_of_tech: &shifts_of_tech,
        reach: &reach,
        origin,
        options,
    };
    let mut jobs = Vec::with_capacity(order_ixs.len());
    let mut due_secs = Vec::with_capacity(order_ixs.len());
    for (i, &o) in order_ixs.iter().enumerate() {
        let (job, due) = job_of(&input, o, n_t + i, &mut priors[i])?;
        jobs.push(vans.job(model, &ctx, o, job));
        due_secs.push(due);
    }
    // The linked orders' visits: the first replaces the order's own job, the others are
    // appended; each pinned to its shift and start (fixed in the initial plan).
    let mut orders = order_ixs;
    let mut job_links = vec![None; orders.len()];
    let mut placed = Vec::new();
    let mut failed = HashMap::new();
    for (i, outcome) in links {
        let o = OrderIx(i);
        let value = jobs[i].value;
        let demand = jobs[i].demand;
        match outcome {
            linked::Outcome::Placed(visits) => {
                for (k, p) in visits.iter().enumerate() {
                    let at = (p.start - origin) as f64;
                    let job = Job::new(n_t + i)
                        .with_service(p.secs as f64)
                        .with_window(at, at)
                        .with_demand(if k == 0 { demand } else { 0.0 })
                        .with_value(value)
                        .with_pinned_start(at)
                        .with_allowed_vehicles(vec![p.shift]);
                    let j = if k == 0 {
                        // The first visit carries the order's parts and tools (as its demand).
                        jobs[i] = vans.job(model, &ctx, o, job);
                        i
                    } else {
                        jobs.push(job);
                        orders.push(o);
                        due_secs.push(due_secs[i]);
                        priors.push(None);
                        job_links.push(None);
                        jobs.len() - 1
                    };
                    job_links[j] = Some(p.part);
                    placed.push((j, p.shift, p.start));
                }
            }
            linked::Outcome::Failed(reason, detail) => {
                jobs[i] = Job::new(n_t + i)
                    .with_value(value)
                    .with_allowed_vehicles(Vec::new());
                failed.insert(i, (reason, detail));
            }
        }
    }
    // Lateness is counted in seconds: the policy's cost of a late minute per 60.
    let problem = Problem::new(matrix, vehicles, jobs)?
        .with_score_weight(1.0)?
        .with_lateness_weight(ctx.policy().costs.lateness_per_minute / 60.0)?;
    Ok(Mapped {
        ctx,
        origin,
        shifts,
        orders,
        dues: due_secs,
        priors,
        stock_blocked,
        vans,
        restocked,
        links: job_links,
        placed,
        failed,
        problem,
    })
}

/// The solver's view of parts and tools (see `docs/dataset.md`, "Parts and tools"): part and
/// tool types by their position in the model's catalogues, and the depots the request's
/// technicians restock at, located after the order sites in the travel matrix. Empty (no
/// depot locations, no stock) when no order of the request needs a part or a tool, so such
/// requests build exactly the problem they did before parts and tools existed.
#[derive(Debug, Default)]
struct Vans {
    /// Whether any order of the request needs a part or a tool.
    active: bool,
    parts: HashMap<PartId, usize>,
    tools: HashMap<ToolId, usize>,
    /// Depot ids, in location order (`n_t + n_o + k`).
    depots: Vec<DepotId>,
    /// Per technician: its depot's position in `depots`.
    depot_of: Vec<Option<usize>>,
}

impl Vans {
    /// O(orders × needs + technicians + catalogue).
    fn of(model: &Model, ctx: &PolicyContext<'_>, reach: &[Vec<(TechIx, f64)>]) -> Self {
        let active = (0..ctx.order_count()).any(|i| {
            !reach[i].is_empty()
                && model
                    .order(ctx.order_id(OrderIx(i)))
                    .is_some_and(|o| stock::needs_stock(model, o))
        });
        if !active {
            return Self::default();
        }
        let mut vans = Vans {
            active,
            parts: (model.part_types().iter().enumerate())
                .map(|(i, p)| (p.id.clone(), i))
                .collect(),
            tools: (model.tool_types().iter().enumerate())
                .map(|(i, t)| (t.id.clone(), i))
                .collect(),
            ..Self::default()
        };
        for t in (0..ctx.technician_count()).map(TechIx) {
            let depot = ctx.tech_depot(t);
            let k = depot.map(|d| match vans.depots.iter().position(|x| x == &d.id) {
                Some(k) => k,
                None => {
                    vans.depots.push(d.id.clone());
                    vans.depots.len() - 1
                }
            });
            vans.depot_of.push(k);
        }
        vans
    }

    /// `vehicle` (a shift of a technician) with the van's stock and tools, and its depot as the
    /// restock visit: open the longest stretch of the depot's opening hours within the shift
    /// (the whole shift without a calendar), taking the depot's `service_minutes` or the
    /// policy's `depot_service_minutes`; no restock when the depot is closed throughout.
    ///
    /// A shift whose van was restocked before "now" (`restocked`, see [`past_restocks`])
    /// starts from the depot with the solver's state after a restock (every part and tool
    /// available, no second restock).
    fn vehicle(
        &self,
        model: &Model,
        ctx: &PolicyContext<'_>,
        shift: &Shift,
        origin: i64,
        mut vehicle: Vehicle,
        restocked: bool,
    ) -> Vehicle {
        if !self.active {
            return vehicle;
        }
        if restocked {
            if let Some(k) = self.depot_of[shift.tech.0] {
                vehicle.start_location = ctx.technician_count() + ctx.order_count() + k;
                return vehicle
                    .with_stock(vec![u32::MAX; self.parts.len()])
                    .with_tools((0..self.tools.len()).collect());
            }
        }
        let Some(tech) = model.technician(ctx.tech_id(shift.tech)) else {
            return vehicle;
        };
        let mut stock = vec![0u32; self.parts.len()];
        for (part, n) in &tech.stock {
            if let Some(&i) = self.parts.get(part) {
                stock[i] = *n;
            }
        }
        let tools = tech
            .tools
            .iter()
            .filter_map(|t| self.tools.get(t).copied())
            .collect();
        let mut vehicle = vehicle.with_stock(stock).with_tools(tools);
        let Some(k) = self.depot_of[shift.tech.0] else {
            return vehicle;
        };
        let Some(depot) = model.depot(&self.depots[k]) else {
            return vehicle;
        };
        let minutes = depot
            .service_minutes
            .unwrap_or(ctx.policy().work_rules.depot_service_minutes);
        let service = f64::from(minutes) * 60.0;
        // The depot's longest opening within the shift that holds a restock (none in a shift
        // too short for one, e.g. a day with no time left).
        let open = match depot.calendar.as_ref().and_then(|c| model.calendar(c)) {
            None => Some((shift.start, shift.end)),
            Some(calendar) => OpenStretches::new(calendar, shift.start, shift.end)
                .stretches()
                .iter()
                .map(|&(a, b)| (a.max(shift.start), b.min(shift.end)))
                .max_by_key(|(a, b)| b - a),
        }
        .filter(|(a, b)| b - a >= minutes as i64 * 60);
        let Some((a, b)) = open else {
            return vehicle;
        };
        let location = ctx.technician_count() + ctx.order_count() + k;
        vehicle = vehicle.with_restock(Restock {
            location,
            earliest: (a - origin) as f64,
            latest: (b - origin) as f64 - service,
            service,
        });
        vehicle
    }

    /// `job` (order `o`) with the order's parts and tools as catalogue indices.
    fn job(&self, model: &Model, ctx: &PolicyContext<'_>, o: OrderIx, job: Job) -> Job {
        let Some(order) = model.order(ctx.order_id(o)).filter(|_| self.active) else {
            return job;
        };
        let parts = model
            .order_required_parts(order)
            .iter()
            .filter_map(|(p, n)| self.parts.get(p).map(|&i| (i, *n)))
            .collect();
        let tools = model
            .order_required_tools(order)
            .iter()
            .filter_map(|t| self.tools.get(t).copied())
            .collect();
        job.with_parts(parts).with_tools(tools)
    }
}

/// [`travel_matrix`] with the depots of `vans` after the order sites: dense up to
/// [`DENSE_MAX_LOCATIONS`], else blocked with each depot in the group of the technicians that
/// restock there (groups that share a depot are one group).
fn travel_matrix_with_depots(
    model: &Model,
    ctx: &PolicyContext<'_>,
    reach: &[Vec<(TechIx, f64)>],
    vans: &Vans,
) -> Result<TravelMatrix, ScheduleError> {
    let n_t = ctx.technician_count();
    let n_o = ctx.order_count();
    let size = n_t + n_o + vans.depots.len();
    let travel = ctx.travel_model();
    let place = |x: usize| {
        let location = if x < n_t {
            model.technician(ctx.tech_id(TechIx(x))).map(|t| t.home)
        } else if x < n_t + n_o {
            model
                .order(ctx.order_id(OrderIx(x - n_t)))
                .and_then(|o| model.order_location(o))
        } else {
            model.depot(&vans.depots[x - n_t - n_o]).map(|d| d.location)
        };
        location.map(|l| travel.place(l))
    };
    let places: Vec<_> = (0..size).map(place).collect();
    let entry = |a: usize, b: usize| {
        if a == b || (a < n_t && b < n_t) {
            return (0.0, 0.0);
        }
        let tr = match (a >= n_t && a < n_t + n_o, b >= n_t && b < n_t + n_o) {
            (true, true) => ctx.travel_between_orders(OrderIx(a - n_t), OrderIx(b - n_t)),
            (true, false) if b < n_t => ctx.travel_from_home(OrderIx(a - n_t), TechIx(b)),
            (false, true) if a < n_t => ctx.travel_from_home(OrderIx(b - n_t), TechIx(a)),
            _ => match (&places[a], &places[b]) {
                (Some(pa), Some(pb)) => travel.between(pa, pb),
                _ => return (0.0, 0.0),
            },
        };
        (tr.minutes.ceil() * 60.0, tr.km)
    };
    if size <= DENSE_MAX_LOCATIONS {
        return Ok(TravelMatrix::from_fn(size, entry)?);
    }
    // Groups: the eligibility groups, each technician's depot joined to its group.
    let mut groups = reach_groups(n_t, reach);
    let mut group_of = vec![usize::MAX; n_t + n_o];
    for (g, members) in groups.iter().enumerate() {
        for &x in members {
            group_of[x] = g;
        }
    }
    let mut depot_group: Vec<Option<usize>> = vec![None; vans.depots.len()];
    for (t, k) in vans.depot_of.iter().enumerate() {
        let Some(k) = *k else { continue };
        let g = group_of[t];
        match depot_group[k] {
            None => depot_group[k] = Some(g),
            Some(h) if h != g => {
                // Two groups share the depot: merge g into h.
                let moved = std::mem::take(&mut groups[g]);
                for &x in &moved {
                    group_of[x] = h;
                }
                groups[h].extend(moved);
                for dg in depot_group.iter_mut().flatten() {
                    if *dg == g {
                        *dg = h;
                    }
                }
            }
            Some(_) => {}
        }
    }
    for (k, g) in depot_group.iter().enumerate() {
        if let Some(g) = g {
            groups[*g].push(n_t + n_o + k);
        }
    }
    groups.retain(|g| !g.is_empty());
    for g in &mut groups {
        g.sort_unstable();
    }
    Ok(TravelMatrix::blocked(size, &groups, entry)?)
}

/// Parts and tools as eligibility: drops from each order's `reach` the technicians who lack
/// a tool or part that neither their van nor their depot can supply
/// ([`Model::stock_shortfall`]); returns, per order, the unassigned reason naming the missing
/// part or tool when that left nobody. Orders that need no part or tool are untouched.
/// O(Σ reach × needs of the order).
fn stock_reach(
    model: &Model,
    ctx: &PolicyContext<'_>,
    reach: &mut [Vec<(TechIx, f64)>],
) -> Vec<Option<(UnassignedReason, String)>> {
    let mut blocked = vec![None; reach.len()];
    for (i, techs) in reach.iter_mut().enumerate() {
        let Some(order) = model.order(ctx.order_id(OrderIx(i))) else {
            continue;
        };
        if techs.is_empty() || !stock::needs_stock(model, order) {
            continue;
        }
        let tech = |t: TechIx| model.technician(ctx.tech_id(t));
        let before: Vec<TechIx> = techs.iter().map(|&(t, _)| t).collect();
        techs.retain(|&(t, _)| {
            tech(t).is_some_and(|tt| {
                model
                    .stock_shortfall_at(order, tt, ctx.tech_depot(t))
                    .is_none()
            })
        });
        if techs.is_empty() {
            blocked[i] = stock::missing_reason(model, order, before.into_iter().filter_map(tech));
        }
    }
    blocked
}

/// `reach` where every order that needs parts or tools keeps only the technicians whose van
/// alone holds them (without a depot stop): what the linked-visit pre-pass may use, since it
/// places visits before the search decides any depot stop. O(Σ reach × needs).
fn van_alone_reach(
    model: &Model,
    ctx: &PolicyContext<'_>,
    reach: &[Vec<(TechIx, f64)>],
) -> Vec<Vec<(TechIx, f64)>> {
    let mut out = reach.to_vec();
    for (i, techs) in out.iter_mut().enumerate() {
        let Some(order) = model.order(ctx.order_id(OrderIx(i))) else {
            continue;
        };
        if techs.is_empty() || !stock::needs_stock(model, order) {
            continue;
        }
        let parts = model.order_required_parts(order);
        let tools = model.order_required_tools(order);
        techs.retain(|&(t, _)| {
            model.technician(ctx.tech_id(t)).is_some_and(|tech| {
                tools.iter().all(|tool| tech.has_tool(tool))
                    && parts
                        .iter()
                        .all(|(p, n)| tech.stock.get(p).is_some_and(|have| have >= n))
            })
        });
    }
    out
}

/// A technician on the way to a linked visit of the previous plan (a crew member's, a
/// multi-day job's part) on a shift that "now" cut short: the shift starts early enough to
/// drive there, as for the kept visits of [`priors_of`], so the minutes that pass never move a
/// linked visit. O(v) for v previous visits.
fn keep_linked_reachable(
    ctx: &PolicyContext<'_>,
    request: &PlanRequest<'_>,
    shifts: &mut [Shift],
    matrix: &TravelMatrix,
) {
    let Some(previous) = request.previous else {
        return;
    };
    let now = secs(request.from);
    let n_t = ctx.technician_count();
    for route in &previous.routes {
        let Some(t) = ctx.tech_ix(&route.technician) else {
            continue;
        };
        for v in route.visits.iter().filter(|v| v.part.is_some()) {
            let Some(o) = ctx.order_ix(&v.order) else {
                continue;
            };
            let start = secs(v.start);
            let drive = matrix.time(t.0, n_t + o.0) as i64;
            if let Some(shift) = shifts
                .iter_mut()
                .find(|sh| sh.tech == t && sh.start <= start && start < sh.end)
            {
                if shift.start <= now {
                    shift.start = shift.start.min(start - drive);
                }
            }
        }
    }
}

/// Places the linked orders (crew and multi-day jobs, see [`linked`]) before the search, most
/// valuable first, around the started and frozen visits of the plan being revised; their
/// priors are dropped (the pre-pass keeps their previous visits when those still fit).
/// Returns each linked order's index with its outcome.
#[allow(clippy::too_many_arguments)]
fn place_linked(
    model: &Model,
    ctx: &PolicyContext<'_>,
    request: &PlanRequest<'_>,
    shifts: &[Shift],
    shifts_of_tech: &[Vec<usize>],
    vehicles: &[Vehicle],
    reach: &[Vec<(TechIx, f64)>],
    matrix: &TravelMatrix,
    priors: &mut [Option<Prior>],
    options: &ScheduleOptions,
) -> Vec<(usize, linked::Outcome)> {
    let input = linked::Input {
        ctx,
        shifts,
        shifts_of_tech,
        vehicles,
        reach,
        matrix,
        cost_per_km: options.cost_per_km,
    };
    let n_t = ctx.technician_count();
    let mut kinds: Vec<(usize, PartKind)> = (0..ctx.order_count())
        .filter_map(|i| linked::link_of(&input, OrderIx(i)).map(|k| (i, k)))
        .collect();
    if kinds.is_empty() {
        return Vec::new();
    }
    let order_of = |i: usize| model.order(ctx.order_id(OrderIx(i)));
    let mut busy = linked::Busy::default();
    for (i, p) in priors.iter().enumerate() {
        if let Some(Prior {
            shift: Some(v),
            start,
            hold,
            ..
        }) = p
        {
            if *hold != Hold::Movable && kinds.iter().all(|&(k, _)| k != i) {
                let secs = (ctx.duration_minutes(OrderIx(i)) * 60.0) as i64;
                let slot = linked::Slot {
                    start: *start,
                    end: start + secs,
                    location: n_t + i,
                    demand: order_of(i).map_or(0.0, |o| o.demand),
                };
                busy.add(*v, slot);
            }
        }
    }
    kinds.sort_by_key(|&(i, _)| {
        let weight = order_of(i).map_or(0, |o| o.priority.weight());
        (std::cmp::Reverse(weight), ctx.window(OrderIx(i)).0, i)
    });
    kinds
        .into_iter()
        .map(|(i, kind)| {
            priors[i] = None;
            let order = order_of(i);
            let pinned = order.and_then(|o| o.pinned_start).map(secs);
            let demand = order.map_or(0.0, |o| o.demand);
            let outcome = linked::place(
                &input,
                &mut busy,
                OrderIx(i),
                kind,
                secs(request.from),
                pinned,
                demand,
                request.previous,
            );
            (i, outcome)
        })
        .collect()
}

/// Per shift, the depot stop the previous plan made on it that has ended by "now" (the
/// request's `from`): the van is restocked already, so the shift's vehicle starts from the
/// depot with the state after a restock ([`Vans::vehicle`]) and the plan keeps the stop. A
/// shift with started work leaves the depot early enough to have driven to it (nothing can be
/// planned in that past stretch, as no job may go before started work). O(r + s + o) for r
/// previous routes, s shifts and o orders.
fn past_restocks(
    ctx: &PolicyContext<'_>,
    request: &PlanRequest<'_>,
    vans: &Vans,
    shifts: &mut [Shift],
    priors: &[Option<Prior>],
    matrix: &TravelMatrix,
) -> Vec<Option<super::plan::DepotStop>> {
    let mut restocked = vec![None; shifts.len()];
    let Some(previous) = request.previous.filter(|_| vans.active) else {
        return restocked;
    };
    let now = secs(request.from);
    let n_t = ctx.technician_count();
    let mut first_shift: HashMap<(usize, chrono::NaiveDate), usize> = HashMap::new();
    for (v, sh) in shifts.iter().enumerate() {
        if sh.end > now {
            first_shift
                .entry((sh.tech.0, ctx.local_date(sh.tech, utc(sh.start))))
                .or_insert(v);
        }
    }
    for route in &previous.routes {
        let Some(stop) = route.depot_stop.as_ref().filter(|d| secs(d.end) <= now) else {
            continue;
        };
        let Some(t) = ctx.tech_ix(&route.technician) else {
            continue;
        };
        let Some(&v) = first_shift.get(&(t.0, ctx.local_date(t, utc(secs(stop.end))))) else {
            continue;
        };
        if vans.depot_of[t.0].is_some() {
            restocked[v] = Some(stop.clone());
        }
    }
    // Started work on a restocked shift: the shift starts early enough to drive from the depot.
    for (i, p) in priors.iter().enumerate() {
        let Some((v, start)) = p
            .filter(|p| p.hold == Hold::Started)
            .and_then(|p| p.shift.map(|v| (v, p.start)))
            .filter(|&(v, _)| restocked[v].is_some())
        else {
            continue;
        };
        if let Some(k) = vans.depot_of[shifts[v].tech.0] {
            let drive = matrix.time(n_t + ctx.order_count() + k, n_t + i) as i64;
            shifts[v].start = shifts[v].start.min(start - drive);
        }
    }
    restocked
}

/// The places of the request's orders in the previous plan: started work (its technician's
/// shift that day starts early enough to have driven there), visits inside the technician's
/// freeze horizon that still fit where they were, and the others. O(v log v + o) for v
/// previous visits and o orders.
fn priors_of(
    model: &Model,
    ctx: &PolicyContext<'_>,
    request: &PlanRequest<'_>,
    shifts: &mut [Shift],
    matrix: &TravelMatrix,
    freeze: bool,
) -> Vec<Option<Prior>> {
    let n_t = ctx.technician_count();
    let mut priors: Vec<Option<Prior>> = vec![None; ctx.order_count()];
    let Some(previous) = request.previous else {
        return priors;
    };
    let placed: HashMap<&OrderId, (&TechnicianId, i64, i64)> = previous
        .routes
        .iter()
        .flat_map(|r| {
            r.visits.iter().map(move |v| {
                (
                    &v.order,
                    (&r.technician, secs(v.start), secs(r.shift_start)),
                )
            })
        })
        .collect();
    let freeze_ends: Vec<i64> = (0..n_t)
        .map(|t| freeze_end(ctx, shifts, TechIx(t), secs(request.from)))
        .collect();
    if freeze {
        under_way_parts(ctx, previous, shifts, matrix, secs(request.from));
    }
    for (i, prior) in priors.iter_mut().enumerate() {
        let o = OrderIx(i);
        let id = ctx.order_id(o);
        let Some(&(tech, start, left)) = placed.get(id) else {
            continue;
        };
        let Some(t) = ctx.tech_ix(tech) else {
            continue;
        };
        let order = model.order(id);
        let started = order.is_some_and(|ord| {
            matches!(ord.status(), OrderStatus::InProgress | OrderStatus::OnHold)
        });
        // A visit whose planned start has passed without a recorded start is, as far as the
        // plan knows, under way (or about to be): inside the freeze it stays where it was, so
        // the clock passing never re-times a technician's day (a rerun minutes later moves 0).
        let overdue_to_start = freeze && start < secs(request.from);
        if started || overdue_to_start {
            // A fact: the actual start (from the order's history; the planned one when none is
            // recorded), on its technician's shift of that day, which starts early enough to
            // have driven there.
            let actual = order
                .filter(|_| started)
                .and_then(|ord| {
                    ord.history
                        .iter()
                        .find(|c| c.status == OrderStatus::InProgress)
                })
                .map_or(start, |c| secs(c.at));
            let shift_on_day_of = |x: i64| {
                let day = ctx.local_date(t, utc(x));
                shifts
                    .iter()
                    .position(|sh| sh.tech == t && ctx.local_date(t, utc(sh.start)) == day)
            };
            // An actual start outside the window's shifts (recorded on another day) leaves the
            // visit where it was planned.
            let (actual, shift) = match shift_on_day_of(actual) {
                Some(v) => (actual, Some(v)),
                None => (start, shift_on_day_of(start)),
            };
            if let Some(v) = shift {
                let drive = matrix.time(t.0, n_t + i) as i64;
                shifts[v].start = shifts[v].start.min(actual - drive);
                // Work under way is finished whatever the day's limit: the day holds it and
                // the drive home (past the regular end, as overtime).
                let back = actual
                    + (ctx.duration_minutes(o) * 60.0) as i64
                    + matrix.time(n_t + i, t.0) as i64;
                shifts[v].end = shifts[v].end.max(back);
            }
            *prior = Some(Prior {
                tech: t,
                shift,
                start: actual,
                left,
                hold: Hold::Started,
            });
            continue;
        }
        let shift = shifts
            .iter()
            .position(|sh| sh.tech == t && sh.start <= start && start < sh.end);
        let frozen =
            shift.is_some() && (request.keeps(tech) || (freeze && start < freeze_ends[t.0]));
        *prior = Some(Prior {
            tech: t,
            shift,
            start,
            left,
            hold: if frozen { Hold::Frozen } else { Hold::Movable },
        });
    }
    // The kept (started or frozen) visits of each shift in start order, grouped in one pass:
    // O(o log o) rather than a scan of every order per shift.
    let mut kept_by_shift: HashMap<usize, Vec<(i64, usize)>> = HashMap::new();
    for (i, p) in priors.iter().enumerate() {
        if let Some(Prior {
            shift: Some(v),
            start,
            hold,
            ..
        }) = p
        {
            if *hold != Hold::Movable {
                kept_by_shift.entry(*v).or_default().push((*start, i));
            }
        }
    }
    let now = secs(request.from);
    for (v, mut kept) in kept_by_shift {
        kept.sort_unstable();
        let shift = &mut shifts[v];
        // A technician on the way to the first kept visit of a shift that "now" cut short: the
        // shift starts early enough to drive there (the plan that placed it had them leave
        // then), so the minutes passed since do not make it late. When that visit is under way
        // and the previous plan had them leave earlier that day (a depot stop before it), the
        // shift starts then, so the restock still fits; nothing can be planned in that past
        // stretch, as no job may go before started work.
        if let Some(&(start, i)) = kept.first() {
            if shift.start <= now {
                let drive = matrix.time(shift.tech.0, n_t + i) as i64;
                shift.start = shift.start.min(start - drive);
                if let Some(p) = priors[i].filter(|p| p.hold == Hold::Started) {
                    let day = |x: i64| ctx.local_date(shift.tech, utc(x));
                    if p.left < shift.start && day(p.left) == day(start) {
                        shift.start = p.left;
                    }
                }
            }
        }
        // A frozen visit that no longer fits between the kept ones of its shift (a longer job,
        // a shorter shift) becomes movable.
        let (mut clock, mut loc) = (shift.start, shift.tech.0);
        let mut last_frozen = None;
        for (start, i) in kept {
            let arrive = clock + matrix.time(loc, n_t + i) as i64;
            let frozen = priors[i].is_some_and(|p| p.hold == Hold::Frozen);
            if arrive > start && frozen {
                if let Some(p) = priors[i].as_mut() {
                    p.hold = Hold::Movable;
                }
                continue;
            }
            clock = start + (ctx.duration_minutes(OrderIx(i)) * 60.0) as i64;
            loc = n_t + i;
            if frozen {
                last_frozen = Some(i);
            }
        }
        if clock + matrix.time(loc, shift.tech.0) as i64 > shift.end {
            if let Some(p) = last_frozen.and_then(|i| priors[i].as_mut()) {
                p.hold = Hold::Movable;
            }
        }
    }
    priors
}

/// A multi-day job's part of the previous plan whose planned start passed and which has not
/// ended at `now` is under way, as a single visit would be: its technician's shift of that day
/// starts early enough to have driven there, so the linked pre-pass keeps it where it is
/// (`linked::keep_previous`). O(visits of the previous plan × shifts).
fn under_way_parts(
    ctx: &PolicyContext<'_>,
    previous: &Plan,
    shifts: &mut [Shift],
    matrix: &TravelMatrix,
    now: i64,
) {
    let n_t = ctx.technician_count();
    for route in &previous.routes {
        let Some(t) = ctx.tech_ix(&route.technician) else {
            continue;
        };
        for visit in &route.visits {
            let (start, end) = (secs(visit.start), secs(visit.end));
            let day_part = visit.part.is_some_and(|p| p.kind == PartKind::Day);
            if !day_part || start >= now || end <= now {
                continue;
            }
            let Some(o) = ctx.order_ix(&visit.order) else {
                continue;
            };
            let day = ctx.local_date(t, visit.start);
            if let Some(shift) = shifts
                .iter_mut()
                .find(|sh| sh.tech == t && ctx.local_date(t, utc(sh.start)) == day)
            {
                let drive = matrix.time(t.0, n_t + o.0) as i64;
                shift.start = shift.start.min(start - drive);
            }
        }
    }
}

/// The end of technician `t`'s freeze horizon: the end of the last shift on its
/// `freeze_working_days`-th working day after the local day of `now` (that day itself for 0);
/// unbounded when the window holds fewer working days.
fn freeze_end(ctx: &PolicyContext<'_>, shifts: &[Shift], t: TechIx, now: i64) -> i64 {
    let today = ctx.local_date(t, utc(now));
    let n = ctx.policy().replanning.freeze_working_days as usize;
    let mut days: Vec<chrono::NaiveDate> = shifts
        .iter()
        .filter(|sh| sh.tech == t)
        .map(|sh| ctx.local_date(t, utc(sh.start)))
        .filter(|d| *d > today)
        .collect();
    days.dedup();
    let last_day = if n == 0 {
        today
    } else {
        match days.get(n - 1) {
            Some(d) => *d,
            None => return i64::MAX,
        }
    };
    shifts
        .iter()
        .filter(|sh| sh.tech == t && ctx.local_date(t, utc(sh.start)) <= last_day)
        .map(|sh| sh.end)
        .max()
        .unwrap_or(now)
}

/// The solver problem [`schedule`] would solve for a request — the preparation phase alone
/// (dispatch context, each order's eligible technicians, travel matrix, vehicles, jobs), for
/// measuring it (`benches/scale.rs`) and for inspecting what the optimiser is given.
///
/// # Errors
/// As [`schedule`].
pub fn prepare(
    model: &Model,
    dispatcher: &Dispatcher<'_>,
    request: &PlanRequest<'_>,
    options: &ScheduleOptions,
) -> Result<Problem, ScheduleError> {
    Ok(build(model, dispatcher, request, options, true, &[])?.problem)
}

fn config(options: &ScheduleOptions) -> SolverConfig {
    let mut config = SolverConfig::default().with_seed(options.seed);
    config.max_iterations = options.iterations;
    config.time_limit = options.time_budget;
    config.threads = options.threads;
    config
}

/// Plans the request's orders over its window: routes per technician and day, unassigned orders
/// with reasons, KPIs. With [`PlanRequest::previous`] it **re-plans** (incremental re-planning):
/// visits of orders that are in progress (or on hold) stay first on their route, visits of
/// orders with a pinned start stay fixed, the other planned visits start where they were and may
/// move, and new orders (e.g. urgent breakdowns) are inserted.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use fieldwork::dispatch::Dispatcher;
/// use fieldwork::model::{Model, OrderId};
/// use fieldwork::schedule::field::{schedule, PlanRequest, ScheduleOptions};
/// let model = Model::from_json(r#"{
///   "calendars": [{"id": "c", "time_zone": "UTC", "weekly": {"mon": [["08:00","17:00"]]}}],
///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
///                  "location": {"lat": 52.50, "lon": 13.40}}],
///   "technicians": [{"id": "T-1", "name": "Ana", "home": {"lat": 52.52, "lon": 13.40},
///                    "calendar": "c", "hourly_cost": "40", "max_hours_per_day": 8}],
///   "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
///               "priority": "high", "created_at": "2027-03-01T08:00:00Z",
///               "lines": [{"kind": "hour", "quantity": "1", "unit_price": "0"}]}]
/// }"#).unwrap();
/// let from = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
/// let to = Utc.with_ymd_and_hms(2027, 3, 2, 0, 0, 0).unwrap();
/// let orders = [OrderId::new("SO-1")];
/// let dues = Default::default();
/// let request = PlanRequest::new(&orders, &dues, from, to);
/// let plan = schedule(&model, &Dispatcher::default(), &request, &ScheduleOptions::default())
///     .unwrap();
/// assert_eq!(plan.kpis.orders_assigned, 1);
/// // Ana leaves home at the 08:00 shift start and drives a few minutes to Acme.
/// let start = plan.routes[0].visits[0].start;
/// assert!(start > Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap());
/// assert!(start < Utc.with_ymd_and_hms(2027, 3, 1, 8, 5, 0).unwrap());
/// ```
pub fn schedule(
    model: &Model,
    dispatcher: &Dispatcher<'_>,
    request: &PlanRequest<'_>,
    options: &ScheduleOptions,
) -> Result<Plan, ScheduleError> {
    plan_with(model, dispatcher, request, options, None)
}

/// One independent part of a request: technicians and orders that no eligibility links to the
/// rest (typically a territory, or territories that share technicians). Parts are planned
/// independently ([`ScheduleOptions::threads`] at a time): a plan is the parts' plans side by
/// side, whichever process made each ([`schedule_parts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanPart {
    /// A stable name: the part's first technician id, or `"unplannable"` for the orders no
    /// technician may take.
    pub key: String,
    /// Its technicians, by id.
    pub technicians: Vec<TechnicianId>,
    /// The territories of its technicians, by name.
    pub territories: Vec<TerritoryId>,
    /// Its orders, by id.
    pub orders: Vec<OrderId>,
}

/// Name of the part of the orders that no technician may take.
pub const UNPLANNABLE_PART: &str = "unplannable";

/// The independent parts of a request, in order of their first order (see [`PlanPart`]). Costs
/// the preparation of [`schedule`] (and no search).
///
/// # Errors
/// As [`schedule`].
pub fn plan_parts(
    model: &Model,
    dispatcher: &Dispatcher<'_>,
    request: &PlanRequest<'_>,
    options: &ScheduleOptions,
) -> Result<Vec<PlanPart>, ScheduleError> {
    let (mapped, initial) = prepared(model, dispatcher, request, options)?;
    Ok(solver::parts(&mapped.problem, &initial)
        .iter()
        .map(|part| describe(model, &mapped, part))
        .collect())
}

/// Plans only the parts of a request named by `keys` (see [`plan_parts`]): the routes and
/// unassigned orders of those parts exactly as [`schedule`] would plan them for an iteration
/// budget (each part gets its share of [`ScheduleOptions::iterations`] by its number of orders
/// among all the request's orders). Several processes that each plan some parts of one request
/// together produce [`schedule`]'s plan. `kpis.orders_total` counts the chosen parts' orders.
///
/// # Errors
/// As [`schedule`].
pub fn schedule_parts(
    model: &Model,
    dispatcher: &Dispatcher<'_>,
    request: &PlanRequest<'_>,
    options: &ScheduleOptions,
    keys: &[String],
) -> Result<Plan, ScheduleError> {
    plan_with(model, dispatcher, request, options, Some(keys))
}

/// The problem of a request and the initial plan to start from: the previous plan's visits
/// under the freeze; when the kept visits of a shift cannot all stay (e.g. a day limit
/// lowered), that shift's frozen visits become movable and the rest of the freeze holds (up to
/// [`MAX_RELEASED_SHIFTS`] shifts; beyond, the freeze is dropped; started work stays fixed).
fn prepared<'a, 'r: 'a>(
    model: &'a Model,
    dispatcher: &Dispatcher<'r>,
    request: &PlanRequest<'_>,
    options: &ScheduleOptions,
) -> Result<(Mapped<'a>, InitialPlan), ScheduleError> {
    let (from, to) = (request.from, request.to);
    if to <= from {
        return Err(ScheduleError::EmptyHorizon { from, to });
    }
    // Shifts whose frozen visits are released because the kept visits of the shift no longer
    // fit together; the freeze holds everywhere else. Bounded by MAX_RELEASED_SHIFTS rebuilds,
    // then the freeze is dropped as a whole.
    let mut released: Vec<usize> = Vec::new();
    loop {
        let mapped = build(model, dispatcher, request, options, true, &released)?;
        if request.previous.is_none() && mapped.placed.is_empty() {
            return Ok((mapped, InitialPlan::default()));
        }
        let initial = initial_plan(model, &mapped);
        match solver::check_plan(&mapped.problem, &initial) {
            Ok(()) => return Ok((mapped, initial)),
            Err(SolverError::InvalidPlan {
                vehicle: Some(v), ..
            }) if !released.contains(&v) && released.len() < MAX_RELEASED_SHIFTS => {
                released.push(v);
            }
            Err(SolverError::InvalidPlan { .. }) => {
                let mapped = build(model, dispatcher, request, options, false, &[])?;
                let initial = initial_plan(model, &mapped);
                return Ok((mapped, initial));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// How many shifts may have their frozen visits released one by one (each a rebuild of the
/// problem) before a re-plan drops the freeze as a whole.
const MAX_RELEASED_SHIFTS: usize = 16;

/// [`schedule`] of every part (`keys` = `None`) or of the named parts.
fn plan_with(
    model: &Model,
    dispatcher: &Dispatcher<'_>,
    request: &PlanRequest<'_>,
    options: &ScheduleOptions,
    keys: Option<&[String]>,
) -> Result<Plan, ScheduleError> {
    let started = std::time::Instant::now();
    let (mapped, initial) = prepared(model, dispatcher, request, options)?;
    // The time budget covers the whole call: the search gets what preparing the problem left.
    let mut config = config(options);
    config.time_limit = options
        .time_budget
        .map(|b| b.saturating_sub(started.elapsed()));
    let (solution, total) = match keys {
        None => (
            solver::solve_from(&mapped.problem, &initial, &config)?,
            mapped.ctx.order_count(),
        ),
        Some(keys) => {
            let chosen: Vec<solver::Part> = solver::parts(&mapped.problem, &initial)
                .into_iter()
                .filter(|part| keys.contains(&describe(model, &mapped, part).key))
                .collect();
            // Orders, not visits: a crew's or a multi-day job's visits count once.
            let mut orders: Vec<usize> = chosen
                .iter()
                .flat_map(|p| &p.jobs)
                .map(|&j| mapped.orders[j].0)
                .collect();
            orders.sort_unstable();
            orders.dedup();
            let total = orders.len();
            let solution = solver::solve_parts(&mapped.problem, &initial, &chosen, &config)?;
            (solution, total)
        }
    };
    let mut plan = to_plan(model, &mapped, &solution, request.from, request.to);
    plan.kpis.orders_total = total;
    Ok(plan)
}

/// A solver part in the model's terms.
fn describe(model: &Model, m: &Mapped<'_>, part: &solver::Part) -> PlanPart {
    let mut technicians: Vec<TechnicianId> = part
        .vehicles
        .iter()
        .map(|&v| m.ctx.tech_id(m.shifts[v].tech).clone())
        .collect();
    technicians.sort();
    technicians.dedup();
    let mut territories: Vec<TerritoryId> = technicians
        .iter()
        .filter_map(|t| model.technician(t).and_then(|t| t.territory.clone()))
        .collect();
    territories.sort();
    territories.dedup();
    let mut orders: Vec<OrderId> = part
        .jobs
        .iter()
        .map(|&j| m.ctx.order_id(m.orders[j]).clone())
        .collect();
    orders.sort();
    orders.dedup();
    PlanPart {
        key: technicians
            .first()
            .map_or_else(|| UNPLANNABLE_PART.to_string(), |t| t.as_str().to_string()),
        technicians,
        territories,
        orders,
    }
}

/// The previous plan's visits as an initial solution of the new problem: each on the shift that
/// still contains it, in their previous order; started work locked first, frozen and pinned
/// visits fixed, the others free.
fn initial_plan(model: &Model, mapped: &Mapped<'_>) -> InitialPlan {
    let mut by_shift: HashMap<usize, Vec<(i64, usize)>> = HashMap::new();
    for (j, prior) in mapped.priors.iter().enumerate() {
        if let Some(Prior {
            shift: Some(v),
            start,
            ..
        }) = prior
        {
            by_shift.entry(*v).or_default().push((*start, j));
        }
    }
    for &(j, v, start) in &mapped.placed {
        by_shift.entry(v).or_default().push((start, j));
    }
    let mut shifts: Vec<usize> = by_shift.keys().copied().collect();
    shifts.sort_unstable();
    let mut initial = InitialPlan::new();
    for v in shifts {
        let mut jobs = by_shift.remove(&v).unwrap_or_default();
        jobs.sort_unstable();
        let planned = jobs
            .into_iter()
            .map(|(_, j)| {
                let id = mapped.ctx.order_id(mapped.orders[j]);
                let pinned = model.order(id).is_some_and(|o| o.pinned_start.is_some());
                match mapped.priors[j].map(|p| p.hold) {
                    _ if mapped.links[j].is_some() => PlannedJob::fixed(j),
                    Some(Hold::Started) => PlannedJob::started(j),
                    Some(Hold::Frozen) => PlannedJob::fixed(j),
                    _ if pinned => PlannedJob::fixed(j),
                    _ => PlannedJob::free(j),
                }
            })
            .collect();
        initial = initial.with_route(v, planned);
    }
    initial
}

fn reason_of(r: solver::UnassignedReason) -> UnassignedReason {
    use solver::UnassignedReason as R;
    match r {
        R::NoEligibleVehicle => UnassignedReason::NoEligibleTechnician,
        R::ExceedsCapacity | R::CapacityExhausted => UnassignedReason::Capacity,
        R::MissingTool => UnassignedReason::MissingTool,
        R::MissingParts => UnassignedReason::MissingParts,
        R::WindowUnreachable | R::ShiftTooShort => UnassignedReason::NoTimeBeforeDue,
        R::JobLimitReached | R::NoTimeLeft => UnassignedReason::NoCapacityLeft,
    }
}

/// A solver route as the plan's route: timed forward from the shift start (see the comment
/// inside), with each visit's order, travel, due time, lateness and whether it is fixed.
fn route_of(model: &Model, m: &Mapped<'_>, r: &solver::Route) -> Route {
    let shift = &m.shifts[r.vehicle];
    let mut visits = Vec::with_capacity(r.visits.len());
    // The solver delays a route's departure as long as that costs nothing (the VRPTW
    // convention). A technician starts at the shift start, so the route is timed forward from
    // there: every visit starts as early as its window allows, never later than the solver's
    // start, hence every window and due time the solver met stays met.
    let mut clock = (shift.start - m.origin) as f64;
    let latest = latest_starts(m, r);
    // A van restocked before "now" keeps its (past) depot stop and leaves from the depot.
    let mut depot_stop = m.restocked[r.vehicle].clone();
    let mut loc = m.problem.vehicles()[r.vehicle].start_location;
    for (k, v) in r.visits.iter().enumerate() {
        if r.restock.is_some_and(|x| x.position == k) {
            (clock, depot_stop) = (depot_leg(m, r, loc, clock), depot_stop_of(m, r, loc, clock));
        }
        loc = m.problem.jobs()[v.job].location;
        let job = &m.problem.jobs()[v.job];
        let service = v.end - v.start;
        let arrival = clock + v.travel_time;
        // Appointments start on a whole minute where that keeps within the solver's timing.
        let own = m.problem.vehicle_window(v.job, r.vehicle);
        let natural = arrival.max(job.earliest).max(own.map_or(f64::MIN, |w| w.0));
        let on_minute = ((m.origin as f64 + natural) / 60.0).ceil() * 60.0 - m.origin as f64;
        // (After a kept start, the solver's later start may lie before the new arrival.)
        let mut begin = job
            .pinned_start
            .unwrap_or_else(|| on_minute.min(v.start.max(natural)));
        // A visit that stays with its technician keeps its previous start where waiting for it
        // breaks nothing later on the route and adds no lateness.
        if let Some(p) = m.priors[v.job].filter(|p| p.tech == shift.tech) {
            let kept = (p.start - m.origin) as f64;
            if job.pinned_start.is_none() && kept >= begin && kept <= latest[k] {
                begin = kept;
            }
        }
        let v = &solver::Visit {
            arrival,
            start: begin,
            end: begin + service,
            ..v.clone()
        };
        clock = v.end;
        visits.push(visit_of(model, m, v));
    }
    let back = m.problem.matrix();
    let mut last_loc = r
        .visits
        .last()
        .map_or(shift.tech.0, |v| m.problem.jobs()[v.job].location);
    if r.restock.is_some_and(|x| x.position == r.visits.len()) {
        depot_stop = depot_stop_of(m, r, last_loc, clock);
        if let Some(rs) = &m.problem.vehicles()[r.vehicle].restock {
            last_loc = rs.location;
        }
    }
    Route {
        technician: m.ctx.tech_id(shift.tech).clone(),
        day: m.ctx.local_date(
            shift.tech,
            instant(m.origin, (shift.start - m.origin) as f64),
        ),
        shift_start: instant(m.origin, (shift.start - m.origin) as f64),
        shift_end: instant(m.origin, (shift.regular_end - m.origin) as f64),
        visits,
        return_minutes: back.time(last_loc, shift.tech.0) / 60.0,
        return_km: back.distance(last_loc, shift.tech.0),
        depot_stop,
    }
}

/// The departure from the route's depot stop when the technician leaves `from` (a location)
/// at `clock`: travel there, wait for the depot's window, restock (see [`Vans::vehicle`]).
fn depot_leg(m: &Mapped<'_>, r: &solver::Route, from: usize, clock: f64) -> f64 {
    match &m.problem.vehicles()[r.vehicle].restock {
        Some(rs) => {
            let arrival = clock + m.problem.matrix().time(from, rs.location);
            arrival.max(rs.earliest) + rs.service
        }
        None => clock,
    }
}

/// The plan's depot stop of route `r` reached from `from` (a location) at `clock`.
fn depot_stop_of(
    m: &Mapped<'_>,
    r: &solver::Route,
    from: usize,
    clock: f64,
) -> Option<super::plan::DepotStop> {
    let rs = m.problem.vehicles()[r.vehicle].restock.as_ref()?;
    let shift = &m.shifts[r.vehicle];
    let k = m.vans.depot_of.get(shift.tech.0).copied().flatten()?;
    let matrix = m.problem.matrix();
    let arrival = clock + matrix.time(from, rs.location);
    let start = arrival.max(rs.earliest);
    Some(super::plan::DepotStop {
        depot: m.vans.depots[k].clone(),
        arrival: instant(m.origin, arrival),
        start: instant(m.origin, start),
        end: instant(m.origin, start + rs.service),
        travel_minutes: matrix.time(from, rs.location) / 60.0,
        travel_km: matrix.distance(from, rs.location),
    })
}

/// The latest start of each visit of route `r` that keeps every later visit within its window
/// (and its due time, where the solver met it) and the return home within the shift, no later
/// into overtime than the solver planned. O(k).
fn latest_starts(m: &Mapped<'_>, r: &solver::Route) -> Vec<f64> {
    let shift = &m.shifts[r.vehicle];
    let jobs = m.problem.jobs();
    let matrix = m.problem.matrix();
    let mut latest = vec![f64::NEG_INFINITY; r.visits.len()];
    let Some(last) = r.visits.last() else {
        return latest;
    };
    let restock = m.problem.vehicles()[r.vehicle]
        .restock
        .as_ref()
        .zip(r.restock.map(|x| x.position));
    let loc_before = |k: usize| {
        k.checked_sub(1)
            .map_or(shift.tech.0, |p| jobs[r.visits[p].job].location)
    };
    // Through the depot stop backwards: its latest start, then the latest departure before it.
    let through_depot = |bound: f64, rs: &Restock, before: usize, after_travel: f64| {
        let depot_latest = (bound - after_travel - rs.service).min(rs.latest);
        depot_latest - matrix.time(before, rs.location)
    };
    let n = r.visits.len();
    // Back home by the shift end, and no later into overtime than the solver's route (so that
    // keeping a previous start adds no overtime).
    let mut bound = ((shift.regular_end - m.origin) as f64)
        .max(r.return_time)
        .min((shift.end - m.origin) as f64);
    bound = match restock {
        Some((rs, q)) if q == n => through_depot(
            bound,
            rs,
            jobs[last.job].location,
            matrix.time(rs.location, shift.tech.0),
        ),
        _ => bound - matrix.time(jobs[last.job].location, shift.tech.0),
    };
    for (k, v) in r.visits.iter().enumerate().rev() {
        let job = &jobs[v.job];
        let service = v.end - v.start;
        let mut l = bound - service;
        l = l.min(match job.late_policy {
            solver::LatePolicy::Forbidden => job.latest,
            solver::LatePolicy::Penalised => job.latest.max(v.start),
        });
        if let Some(p) = job.pinned_start {
            l = l.min(p);
        }
        if let Some((_, own)) = m.problem.vehicle_window(v.job, r.vehicle) {
            l = l.min(own);
        }
        latest[k] = l;
        bound = match restock {
            // v.travel_time is from the depot here.
            Some((rs, q)) if q == k => through_depot(l, rs, loc_before(k), v.travel_time),
            _ => l - v.travel_time,
        };
    }
    latest
}

/// A timed solver visit as the plan's visit.
fn visit_of(model: &Model, m: &Mapped<'_>, v: &solver::Visit) -> Visit {
    let id = m.ctx.order_id(m.orders[v.job]).clone();
    let fixed = model.order(&id).is_some_and(|ord| {
        ord.pinned_start.is_some()
            || matches!(ord.status(), OrderStatus::InProgress | OrderStatus::OnHold)
    });
    let start = instant(m.origin, v.start);
    let late_minutes = m.dues[v.job].map_or(0.0, |d| {
        ((secs(start) + (v.end - v.start) as i64 - d) as f64 / 60.0).max(0.0)
    });
    Visit {
        order: id,
        arrival: instant(m.origin, v.arrival),
        start,
        end: instant(m.origin, v.end),
        travel_minutes: v.travel_time / 60.0,
        travel_km: v.travel_distance,
        due: m.dues[v.job].and_then(|d| Utc.timestamp_opt(d, 0).single()),
        late_minutes,
        fixed,
        part: m.links[v.job],
    }
}

/// An order the solver left out, with its reason (and, when no one is eligible, what excludes
/// the closest technician).
fn unassigned_of(m: &Mapped<'_>, u: &solver::Unassigned) -> Unassigned {
    let o = m.orders[u.job];
    // Appended visits of linked orders have no entry of their own (they share their order's).
    if let Some((reason, detail)) = m.stock_blocked.get(u.job).cloned().flatten() {
        return Unassigned {
            order: m.ctx.order_id(o).clone(),
            reason,
            detail,
        };
    }
    if let Some((reason, detail)) = m.failed.get(&u.job) {
        return Unassigned {
            order: m.ctx.order_id(o).clone(),
            reason: *reason,
            detail: detail.clone(),
        };
    }
    let reason = reason_of(u.reason);
    let longest = m.shifts.iter().map(|s| s.end - s.start).max().unwrap_or(0);
    let work = m.ctx.duration_minutes(o);
    let detail = if work * 60.0 > longest as f64 {
        // Its length blocks everyone, whatever else a technician lacks.
        format!(
            "longer than any shift: {} min of work, the longest shift of the window is {} min",
            work.round(),
            longest / 60
        )
    } else if reason == UnassignedReason::NoEligibleTechnician {
        // Blocked by time rather than by who may take it: say so.
        if let Some(detail) = out_of_time(&m.ctx, o) {
            return Unassigned {
                order: m.ctx.order_id(o).clone(),
                reason: UnassignedReason::NoTimeBeforeDue,
                detail,
            };
        }
        blocker(&m.ctx, o)
    } else {
        String::new()
    };
    Unassigned {
        order: m.ctx.order_id(o).clone(),
        reason,
        detail,
    }
}

/// When every technician is excluded but some only by time — availability (no opening before
/// the order is due, say late in the day) or a daily limit —, what keeps the closest of those
/// from it: the order is blocked by time, not by who may take it. `None` otherwise.
/// O(t · rules) for t technicians.
fn out_of_time(ctx: &PolicyContext<'_>, o: OrderIx) -> Option<String> {
    let time_rules = [
        WorkRule::Availability,
        WorkRule::MaxHoursPerDay,
        WorkRule::MaxJobsPerDay,
    ];
    let mut best: Option<(f64, String)> = None;
    let mut count = 0;
    for t in (0..ctx.technician_count()).map(TechIx) {
        let violations = ctx.violations(o, t);
        let Some(first) = violations.first() else {
            continue;
        };
        if !violations.iter().all(|v| time_rules.contains(&v.rule())) {
            continue;
        }
        count += 1;
        let km = ctx.travel_from_home(o, t).km;
        if best.as_ref().is_none_or(|(d, _)| km < *d) {
            let e = ctx.exclusion(o, t, first);
            best = Some((km, format!("{}: {}", ctx.tech_id(t), e.reason)));
        }
    }
    best.map(|(_, text)| {
        format!(
            "{count} technician(s) may take it but have no working time for it before it is due \
             (closest {text})"
        )
    })
}

/// The solver's solution as a plan of `[from, to)`, routes sorted by technician and day.
fn to_plan(
    model: &Model,
    m: &Mapped<'_>,
    solution: &solver::Solution,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Plan {
    let mut routes: Vec<Route> = solution
        .routes
        .iter()
        .filter(|r| !r.visits.is_empty())
        .map(|r| route_of(model, m, r))
        .collect();
    routes.sort_by(|a, b| (&a.technician, a.day).cmp(&(&b.technician, b.day)));
    let unassigned = solution
        .unassigned
        .iter()
        .map(|u| unassigned_of(m, u))
        .collect();
    let mut plan = Plan {
        from,
        to,
        routes,
        unassigned,
        kpis: PlanKpis {
            orders_total: m.ctx.order_count(),
            objective: solution.objective.cost,
            ..PlanKpis::default()
        },
    };
    plan.refresh_kpis();
    plan
}

/// What keeps every technician from an order, for the dispatcher: a blocker all share — the
/// site closed throughout the window, or nobody certified on the window's dates — else the
/// reason that excludes the technician closest to the site. O(t · rules) for t technicians.
fn blocker(ctx: &PolicyContext<'_>, o: OrderIx) -> String {
    let n = ctx.technician_count();
    let mut closed = 0;
    let mut unskilled = 0;
    let mut uncertified: Option<(f64, String)> = None;
    for t in (0..n).map(TechIx) {
        let violations = ctx.violations(o, t);
        if violations
            .iter()
            .any(|v| v.rule() == WorkRule::VisitingHours)
        {
            closed += 1;
        }
        if violations.iter().any(|v| v.rule() == WorkRule::Skills) {
            unskilled += 1;
        }
        if let Some(v) = violations.iter().find(|v| v.lacks_certification()) {
            let km = ctx.travel_from_home(o, t).km;
            if uncertified.as_ref().is_none_or(|(d, _)| km < *d) {
                let e = ctx.exclusion(o, t, v);
                uncertified = Some((km, format!("{}: {}", ctx.tech_id(t), e.reason)));
            }
        }
    }
    if n > 0 && closed == n {
        let t = TechIx(0);
        if let Some(v) = ctx
            .violations(o, t)
            .into_iter()
            .find(|v| v.rule() == WorkRule::VisitingHours)
        {
            return ctx.exclusion(o, t, &v).reason;
        }
    }
    // Everyone lacks a required skill, some only on the window's dates.
    if n > 0 && unskilled == n {
        if let Some((_, text)) = uncertified {
            return format!("nobody certified on that date (closest technician {text})");
        }
    }
    first_exclusion(ctx, o)
}

/// The reason that excludes the technician closest to the order's site, for the dispatcher.
fn first_exclusion(ctx: &PolicyContext<'_>, o: OrderIx) -> String {
    let mut best: Option<(f64, String)> = None;
    for t in (0..ctx.technician_count()).map(TechIx) {
        if let Err(v) = ctx.check(o, t) {
            let km = ctx.travel_from_home(o, t).km;
            if best.as_ref().is_none_or(|(d, _)| km < *d) {
                let e = ctx.exclusion(o, t, &v);
                best = Some((
                    km,
                    format!("closest technician {}: {}", ctx.tech_id(t), e.reason),
                ));
            }
        }
    }
    best.map(|(_, s)| s).unwrap_or_default()
}
