//! The scheduling phase: which orders await planning in the window, re-planning them from the
//! current schedule, and storing the plan with the status changes it implies (one batch).

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

use super::{Engines, JobError, JobOptions, Progress};
use crate::calendar::start_of_day;
use crate::model::{Model, OrderId, OrderStatus, StatusChange, TechnicianId};
use crate::schedule::diff::PlanDiff;
use crate::schedule::field::{
    plan_parts, schedule, schedule_parts, PlanPart, PlanRequest, ScheduleError,
};
use crate::schedule::plan::Plan;
use crate::sla::{Metric, SlaEngine};
use crate::store::{current_plan, StatusUpdate, Store, StoredPlan};

/// What the scheduling phase did.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ScheduleOutcome {
    /// No order awaited planning in the scheduling window.
    NothingToPlan,
    /// A plan was computed and stored; its orders became `scheduled`.
    Planned {
        /// Stored plan id.
        plan: String,
        /// Orders given to the scheduler.
        orders: usize,
        /// Orders planned.
        assigned: usize,
        /// Orders left unassigned (with reasons in the plan).
        unassigned: usize,
        /// Planned visits after their SLA due time.
        sla_breaches: usize,
        /// Total travel, km.
        travel_km: f64,
        /// What the plan changed on the schedule of the window (moved, added, removed, newly
        /// unassigned visits, per technician).
        diff: PlanDiff,
    },
    /// The scheduler failed; generated orders and the SLA snapshot are stored, orders stay
    /// unscheduled and a rerun retries.
    Failed {
        /// Why.
        #[serde(serialize_with = "serialize_display")]
        error: ScheduleError,
    },
}

fn serialize_display<S: serde::Serializer>(e: &ScheduleError, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(e)
}

/// The scheduling window of a run: from "now" (or the start of the horizon, if later) to
/// local midnight [`JobOptions::schedule_days`] days after the horizon's first day, at most the
/// horizon's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start.
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
}

impl Window {
    /// The scheduling window of `options`.
    pub fn of(options: &JobOptions) -> Self {
        let days = chrono::Duration::days(i64::from(options.schedule_days.max(1)));
        let last = options
            .from
            .checked_add_signed(days)
            .map_or(options.to, |d| d.min(options.to));
        Self {
            from: options.now.max(start_of_day(options.zone, options.from)),
            to: start_of_day(options.zone, last),
        }
    }

    /// The id of the plan of this window.
    pub fn plan_id(&self) -> String {
        format!(
            "plan-{}-{}",
            self.from.format("%Y%m%dT%H%M"),
            self.to.format("%Y%m%d")
        )
    }
}

/// The orders the scheduler plans in a window, with their SLA resolution deadlines.
#[derive(Debug, Clone, Default)]
pub struct OrdersToPlan {
    /// The orders: `created` ones that may start in the window, and those on the schedule
    /// inside it (re-planned from their current places).
    pub orders: Vec<OrderId>,
    /// SLA resolution deadlines by order.
    pub dues: HashMap<OrderId, DateTime<Utc>>,
}

/// The orders awaiting planning in `[.., to)`: `created` orders whose earliest start is before
/// `to`, `scheduled` orders that no stored plan holds (`held` lists the orders with a visit in
/// any stored plan; a restore from a backup without plans leaves such orders), and the
/// `previously_planned` ones — each with its SLA resolution deadline at `now` (an order whose
/// SLA cannot be computed is planned without a deadline).
pub fn orders_to_plan(
    model: &Model,
    sla: &SlaEngine<'_>,
    previously_planned: &HashSet<&OrderId>,
    held: &HashSet<&OrderId>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> OrdersToPlan {
    let mut plan = OrdersToPlan::default();
    for order in model.orders() {
        let waiting = match order.status() {
            OrderStatus::Created => true,
            OrderStatus::Scheduled => !held.contains(&order.id),
            _ => false,
        };
        let open = waiting && order.earliest_start.is_none_or(|t| t < to);
        if !open && !previously_planned.contains(&order.id) {
            continue;
        }
        plan.orders.push(order.id.clone());
        if let Ok(status) = sla.status(order, now) {
            if let Some(m) = status.metric(Metric::Resolution) {
                plan.dues.insert(order.id.clone(), m.due);
            }
        }
    }
    plan
}

/// What is on the schedule inside the window now, from every stored plan (this window's
/// earlier plan and overlapping windows of earlier runs), without unassigned entries: the
/// routes with a visit that ends after the window's start, so work under way is re-planned
/// (and kept at its actual start) with the rest of its technician's day.
fn current_in_window(current: Option<&Plan>, window: Window) -> Option<Plan> {
    current.cloned().map(|mut plan| {
        // Routes with a visit not over yet (work under way included) inside the window.
        plan.routes.retain(|r| {
            r.visits
                .iter()
                .any(|v| v.end > window.from && v.start < window.to)
        });
        plan.unassigned.clear();
        plan
    })
}

/// Plans the open orders that may start within the first [`JobOptions::schedule_days`] days
/// and stores the plan with the status changes it implies — one batch.
///
/// The window is **re-planned** from the current schedule ([`current_plan`] of every stored
/// plan): the orders on the schedule inside the window (scheduled, or started and kept first on
/// their route) are planned again together with the new `created` ones, starting from their
/// current places. The plan of a window has a fixed id and replaces an earlier plan of the same
/// window (a rerun, or a run killed after it committed); visits it takes over from plans of
/// other windows supersede theirs. Orders it newly places become `scheduled`; scheduled orders
/// it can no longer place go back to `created`. So rerunning never loses a planned visit, never
/// plans an order twice and never books a technician twice.
pub fn schedule_phase(
    store: &mut dyn Store,
    model: &Model,
    engines: &Engines<'_>,
    options: &JobOptions,
    progress: &mut dyn Progress,
) -> Result<ScheduleOutcome, JobError> {
    plan_window(store, model, engines, options, progress, None)
}

/// Re-plans only `technicians`' visits of the scheduling window's current schedule (after an
/// absence was recorded or removed): every other technician's visit keeps its technician and
/// start, and no order the schedule does not hold yet is added (the next run places those).
/// The affected visits move under the stability rules of a run (started work stays, the
/// freeze horizon holds where the visit is still feasible, moving beyond it costs the
/// disruption penalty): those that became infeasible go to the same technician's free time
/// or into another technician's free time, or become unassigned. Stored like
/// [`schedule_phase`]'s plan (one batch, the window's plan id).
pub fn replan_technicians(
    store: &mut dyn Store,
    model: &Model,
    engines: &Engines<'_>,
    options: &JobOptions,
    technicians: &[TechnicianId],
    progress: &mut dyn Progress,
) -> Result<ScheduleOutcome, JobError> {
    plan_window(store, model, engines, options, progress, Some(technicians))
}

/// [`schedule_phase`], or with `only` [`replan_technicians`].
fn plan_window(
    store: &mut dyn Store,
    model: &Model,
    engines: &Engines<'_>,
    options: &JobOptions,
    progress: &mut dyn Progress,
    only: Option<&[TechnicianId]>,
) -> Result<ScheduleOutcome, JobError> {
    let plans = store.plans()?;
    let Some(work) = WindowWork::read(&plans, model, engines, options, only) else {
        return Ok(ScheduleOutcome::NothingToPlan);
    };
    progress.start("schedule", 0);
    let planned = schedule(
        model,
        engines.dispatcher(),
        &work.request(),
        &options.schedule,
    );
    progress.finish();
    let plan = match planned {
        Ok(plan) => plan,
        Err(error) => return Ok(ScheduleOutcome::Failed { error }),
    };
    work.store(store, model, plan, work.window.plan_id(), None, options)
}

/// The independent parts of the schedule phase's problem (see
/// [`plan_parts`](crate::schedule::field::plan_parts)): technicians and orders no eligibility
/// links to the rest, typically territories. Empty when nothing awaits planning. Processes
/// that each plan some parts with [`schedule_phase_part`] (`fieldwork worker`) together store
/// the plan [`schedule_phase`] stores, for an iteration budget.
///
/// `model` and `plans` are the phase's **base**: the business and its stored plans
/// ([`Store::plans`]) as the phase starts, before any part is stored. Every part of a phase is
/// planned from the same base, so the parts stored first change nothing for the others.
///
/// # Errors
/// A request the scheduler refuses ([`JobError::Schedule`]).
pub fn schedule_phase_parts(
    model: &Model,
    plans: &[StoredPlan],
    engines: &Engines<'_>,
    options: &JobOptions,
) -> Result<Vec<PlanPart>, JobError> {
    let Some(work) = WindowWork::read(plans, model, engines, options, None) else {
        return Ok(Vec::new());
    };
    Ok(plan_parts(
        model,
        engines.dispatcher(),
        &work.request(),
        &options.schedule,
    )?)
}

/// The schedule phase for one part (see [`schedule_phase_parts`]): plans the part's orders
/// from the phase's base (`model` and `plans`, as the phase started) exactly as
/// [`schedule_phase`] plans them from it, and stores the plan in `store` as
/// `<window plan id>-<part key>` with the status changes of the part's orders only — one batch.
/// Rerunning a part replaces its plan.
///
/// # Errors
/// A failing store. A request the scheduler refuses is the outcome
/// [`ScheduleOutcome::Failed`].
pub fn schedule_phase_part(
    store: &mut dyn Store,
    model: &Model,
    plans: &[StoredPlan],
    engines: &Engines<'_>,
    options: &JobOptions,
    part: &PlanPart,
) -> Result<ScheduleOutcome, JobError> {
    let Some(work) = WindowWork::read(plans, model, engines, options, None) else {
        return Ok(ScheduleOutcome::NothingToPlan);
    };
    let planned = schedule_parts(
        model,
        engines.dispatcher(),
        &work.request(),
        &options.schedule,
        std::slice::from_ref(&part.key),
    );
    let plan = match planned {
        Ok(plan) => plan,
        Err(error) => return Ok(ScheduleOutcome::Failed { error }),
    };
    let scope: HashSet<&OrderId> = part.orders.iter().collect();
    let id = format!("{}-{}", work.window.plan_id(), part.key);
    work.store(store, model, plan, id, Some(&scope), options)
}

/// What the schedule phase of a window works from: the orders to plan and the schedule inside
/// the window now.
struct WindowWork {
    window: Window,
    todo: OrdersToPlan,
    previous: Option<Plan>,
    /// Orders on the schedule inside the window (booked) that are planned again.
    previously_planned: HashSet<OrderId>,
    /// Scheduled orders no stored plan held (a restore without plans), planned like new ones.
    stranded: HashSet<OrderId>,
    /// Only these technicians' visits are revised ([`replan_technicians`]).
    only: Option<Vec<TechnicianId>>,
}

impl WindowWork {
    /// The window's work from the business and its stored plans; `None` when nothing awaits
    /// planning.
    fn read(
        plans: &[StoredPlan],
        model: &Model,
        engines: &Engines<'_>,
        options: &JobOptions,
        only: Option<&[TechnicianId]>,
    ) -> Option<Self> {
        let window = Window::of(options);
        if window.to <= window.from {
            return None;
        }
        // What is on the schedule inside the window now is re-planned together with the new
        // orders, so a technician is never booked twice.
        let current = current_plan(model, plans);
        // A visit outside the window booked with the customer since holds its order no more:
        // the order is planned again (into its window).
        let held: HashSet<&OrderId> = current
            .iter()
            .flat_map(|p| p.routes.iter().flat_map(|r| &r.visits))
            .filter(|v| {
                model
                    .order(&v.order)
                    .and_then(|o| o.appointment)
                    .is_none_or(|a| a.contains(v.start))
            })
            .map(|v| &v.order)
            .collect();
        let previous = current_in_window(current.as_ref(), window);
        let previously_planned: HashSet<&OrderId> = previous
            .iter()
            .flat_map(|p| p.routes.iter().flat_map(|r| &r.visits))
            .map(|v| &v.order)
            .filter(|o| model.order(o).is_some_and(|o| o.status().is_booked()))
            .collect();
        let sla = engines.sla(model);
        let mut todo = orders_to_plan(
            model,
            &sla,
            &previously_planned,
            &held,
            window.to,
            options.now,
        );
        if only.is_some() {
            // Only the schedule is revised: nothing new joins it.
            todo.orders.retain(|o| previously_planned.contains(o));
        }
        if todo.orders.is_empty() {
            return None;
        }
        let stranded = todo
            .orders
            .iter()
            .filter(|o| !previously_planned.contains(o) && !held.contains(o))
            .filter(|o| model.order(o).map(|o| o.status()) == Some(OrderStatus::Scheduled))
            .cloned()
            .collect();
        let previously_planned = previously_planned.into_iter().cloned().collect();
        Some(Self {
            window,
            todo,
            previous,
            previously_planned,
            stranded,
            only: only.map(<[TechnicianId]>::to_vec),
        })
    }

    fn request(&self) -> PlanRequest<'_> {
        let request = PlanRequest::new(
            &self.todo.orders,
            &self.todo.dues,
            self.window.from,
            self.window.to,
        )
        .replanning(self.previous.as_ref());
        match &self.only {
            Some(only) => request.only_technicians(only),
            None => request,
        }
    }

    /// Stores `plan` as `id` with the status changes it implies for the orders in `scope`
    /// (all the window's orders when `None`), one batch; the outcome with the plan's diff.
    fn store(
        &self,
        store: &mut dyn Store,
        model: &Model,
        plan: Plan,
        id: String,
        scope: Option<&HashSet<&OrderId>>,
        options: &JobOptions,
    ) -> Result<ScheduleOutcome, JobError> {
        let in_scope = |o: &OrderId| scope.is_none_or(|s| s.contains(o));
        let previously_planned: HashSet<&OrderId> = self
            .previously_planned
            .iter()
            .filter(|o| in_scope(o))
            .collect();
        let stranded: HashSet<&OrderId> = self.stranded.iter().filter(|o| in_scope(o)).collect();
        let updates = status_updates(model, &plan, &previously_planned, &stranded, options.now);
        // The diff covers the visits this run re-planned (work completed or cancelled since is
        // not the plan's change).
        let replanned: HashSet<&OrderId> =
            self.todo.orders.iter().filter(|o| in_scope(o)).collect();
        let before = self.previous.as_ref().map(|p| {
            let mut p = p.clone();
            for r in &mut p.routes {
                r.visits.retain(|v| replanned.contains(&v.order));
            }
            p
        });
        let diff = PlanDiff::between(before.as_ref(), &plan);
        let outcome = ScheduleOutcome::Planned {
            plan: id.clone(),
            orders: replanned.len(),
            assigned: plan.kpis.orders_assigned,
            unassigned: plan.unassigned.len(),
            sla_breaches: plan.kpis.sla_breaches,
            travel_km: plan.kpis.travel_km,
            diff,
        };
        store.save_plan(
            &StoredPlan {
                id,
                created_at: options.now,
                plan,
            },
            &updates,
        )?;
        Ok(outcome)
    }
}

/// The status changes a new plan implies: orders it newly places become `scheduled` (those
/// already `scheduled` — `stranded` ones no plan held — keep their status); scheduled orders it
/// no longer places, or stranded ones it cannot place, go back to `created`.
fn status_updates(
    model: &Model,
    plan: &Plan,
    previously_planned: &HashSet<&OrderId>,
    stranded: &HashSet<&OrderId>,
    now: DateTime<Utc>,
) -> Vec<StatusUpdate> {
    let planned: HashSet<&OrderId> = plan
        .routes
        .iter()
        .flat_map(|r| &r.visits)
        .map(|v| &v.order)
        .collect();
    let change = |order: &OrderId, status| StatusUpdate {
        order: order.clone(),
        change: StatusChange {
            // Never before the order's last recorded change: its history stays ordered.
            at: model
                .order(order)
                .map_or(now, |o| now.max(o.last_change_at())),
            status,
            reason: None,
        },
        // An operation recorded while the plan was computed wins over the plan's change.
        expected: model.order(order).map(|o| o.status()),
    };
    let mut updates: Vec<StatusUpdate> = plan
        .routes
        .iter()
        .flat_map(|r| &r.visits)
        .filter(|v| !previously_planned.contains(&v.order) && !stranded.contains(&v.order))
        .map(|v| &v.order)
        .collect::<std::collections::BTreeSet<&OrderId>>()
        .into_iter()
        .map(|o| change(o, OrderStatus::Scheduled))
        .collect();
    updates.extend(
        previously_planned
            .iter()
            .chain(stranded.iter())
            .filter(|o| !planned.contains(**o))
            .filter(|o| model.order(o).map(|o| o.status()) == Some(OrderStatus::Scheduled))
            .map(|o| change(o, OrderStatus::Created)),
    );
    updates
}
