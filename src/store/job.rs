//! The main job of a service business, run against any [`Store`]: generate the orders that fall
//! due in a horizon → put SLA targets on the open orders and snapshot their status → schedule →
//! persist → summary. Each phase is also a function of its own, so hosts (and the CLI's
//! `generate` command) can run one phase at a time.
//!
//! **Crash safety.** Every write is one store batch: generated orders are written in batches of
//! [`JobOptions::batch_size`] (each with its generation keys), the SLA snapshot is one batch,
//! the plan with the status changes it implies is one batch. A process killed at any moment
//! leaves each batch wholly there or wholly absent; running the job again skips what was
//! written (generation is idempotent per key, snapshots and plans replace their previous
//! version) and completes the rest.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use thiserror::Error;

use super::{
    current_plan, BatchReceipt, GeneratedOrder, Progress, SlaSnapshot, StatusUpdate, Store,
    StoreError, StoredPlan,
};
use crate::dispatch::Dispatcher;
use crate::model::{Model, OrderId, OrderStatus, StatusChange};
use crate::recurrence::generate::GenerationReport;
use crate::recurrence::generate::{generate_orders, GenerateOptions, GroupBy};
use crate::rules::RuleSet;
use crate::schedule::field::{replan, ScheduleOptions};
use crate::sla::{Metric, SlaEngine, SlaError};

/// Default number of generated orders per write batch.
pub const DEFAULT_BATCH_SIZE: usize = 1_000;

/// Errors of the main job. Per-order and per-line problems are reported in the summary, not
/// here; these stop the job (the batches already written stay, a rerun continues).
#[derive(Debug, Error)]
pub enum JobError {
    /// The store failed or refused a batch.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The SLA engine could not be built (e.g. a calendar does not compile).
    #[error("SLA: {0}")]
    Sla(#[from] SlaError),
    /// Order generation could not run (an inverted window).
    #[error("generate: {0}")]
    Generate(String),
    /// The horizon is empty or inverted.
    #[error("empty horizon: {from} .. {to} (the end is exclusive and must be after the start)")]
    Horizon {
        /// First day.
        from: NaiveDate,
        /// Day after the last.
        to: NaiveDate,
    },
}

impl JobError {
    /// Whether the error is the caller's to fix (input, file, lock) rather than an internal
    /// failure.
    pub fn is_user_error(&self) -> bool {
        match self {
            JobError::Store(e) => e.is_user_error(),
            JobError::Sla(_) | JobError::Horizon { .. } | JobError::Generate(_) => true,
        }
    }
}

/// What the main job runs over.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// First local date of the horizon.
    pub from: NaiveDate,
    /// First local date after the horizon.
    pub to: NaiveDate,
    /// "Now": creation instant of generated orders and the instant of the SLA snapshot.
    pub now: DateTime<Utc>,
    /// Generated orders per write batch.
    pub batch_size: usize,
    /// How generation groups occurrences into orders.
    pub group_by: GroupBy,
    /// Whether generation puts SLA response targets on the orders' time windows.
    pub sla_on_generated: bool,
    /// Days from `from` whose open orders the scheduler plans (orders due later wait for a
    /// later run, as a dispatcher plans the next days, not the whole horizon).
    pub schedule_days: u32,
    /// Scheduler settings (seed, budget, lateness policy).
    pub schedule: ScheduleOptions,
}

impl JobOptions {
    /// Options for `[from, to)` at `now` with the default batch size.
    pub fn new(from: NaiveDate, to: NaiveDate, now: DateTime<Utc>) -> Self {
        Self {
            from,
            to,
            now,
            batch_size: DEFAULT_BATCH_SIZE,
            group_by: GroupBy::Line,
            sla_on_generated: true,
            schedule_days: 5,
            schedule: ScheduleOptions {
                time_budget: Some(std::time::Duration::from_secs(3)),
                ..ScheduleOptions::default()
            },
        }
    }

    /// Checks the horizon.
    pub fn check(&self) -> Result<(), JobError> {
        if self.to <= self.from {
            return Err(JobError::Horizon {
                from: self.from,
                to: self.to,
            });
        }
        Ok(())
    }
}

/// What persisting a list of generated orders did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PersistSummary {
    /// Orders written.
    pub written: usize,
    /// Orders skipped because their key was already stored.
    pub skipped: usize,
    /// Batches committed.
    pub batches: usize,
}

/// Writes generated orders in batches of `batch_size` (each batch atomic, with its keys).
///
/// ```
/// use fieldwork::store::{job, MemoryStore, Store};
/// let mut store = MemoryStore::new();
/// let summary = job::persist_generated(&mut store, &[], 100, &mut fieldwork::store::NoProgress)
///     .unwrap();
/// assert_eq!(summary.batches, 0);
/// ```
pub fn persist_generated(
    store: &mut dyn Store,
    orders: &[GeneratedOrder],
    batch_size: usize,
    progress: &mut dyn Progress,
) -> Result<PersistSummary, StoreError> {
    let mut summary = PersistSummary::default();
    progress.start("persist", orders.len() as u64);
    for chunk in orders.chunks(batch_size.max(1)) {
        let BatchReceipt {
            batch,
            written,
            skipped,
        } = store.insert_generated(chunk)?;
        summary.written += written;
        summary.skipped += skipped;
        summary.batches += usize::from(batch.is_some());
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    Ok(summary)
}

/// An order whose SLA could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderProblem {
    /// The order.
    pub order: OrderId,
    /// Why.
    pub error: String,
}

/// What the SLA phase found and stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SlaSummary {
    /// The instant of the snapshot.
    pub at: Option<DateTime<Utc>>,
    /// Open orders looked at.
    pub orders: usize,
    /// Metrics per state (`on_track`, `warning`, `breached`, …).
    pub states: BTreeMap<String, usize>,
    /// Snapshots written.
    pub snapshots: usize,
    /// Orders without an SLA status (each with its error).
    pub errors: Vec<OrderProblem>,
}

/// Computes the SLA status of every open order at `at` (targets from the rules' `sla_targets`
/// hook, else the built-in table) and stores the snapshot (one batch, replacing each order's
/// previous snapshot).
pub fn snapshot_sla(
    store: &mut dyn Store,
    model: &Model,
    rules: &RuleSet,
    at: DateTime<Utc>,
    progress: &mut dyn Progress,
) -> Result<SlaSummary, JobError> {
    let engine = SlaEngine::new(model)?.with_rules(rules);
    let open: Vec<_> = model
        .orders()
        .iter()
        .filter(|o| !o.status().is_final() && o.created_at <= at)
        .collect();
    let mut summary = SlaSummary {
        at: Some(at),
        orders: open.len(),
        ..SlaSummary::default()
    };
    progress.start("SLA", open.len() as u64);
    let mut snapshots = Vec::with_capacity(open.len() * 2);
    for order in open {
        match engine.status(order, at) {
            Ok(sla) => {
                for m in &sla.metrics {
                    *summary.states.entry(m.state.to_string()).or_default() += 1;
                    snapshots.push(SlaSnapshot {
                        order: order.id.clone(),
                        metric: m.metric.to_string(),
                        computed_at: at,
                        state: m.state.to_string(),
                        target_seconds: m.target_seconds,
                        due: Some(m.due),
                        warning_at: Some(m.warning_at),
                        remaining_seconds: Some(m.remaining_seconds),
                        calendar: Some(sla.calendar.to_string()),
                    });
                }
            }
            Err(e) => summary.errors.push(OrderProblem {
                order: order.id.clone(),
                error: e.to_string(),
            }),
        }
        progress.advance(1);
    }
    progress.finish();
    summary.snapshots = store.save_sla_snapshots(&snapshots)?.written;
    Ok(summary)
}

/// What the scheduling phase did.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    },
    /// The scheduler failed; generated orders and the SLA snapshot are stored, orders stay
    /// unscheduled and a rerun retries.
    Failed {
        /// Why.
        error: String,
    },
}

/// What the generation phase did: the recurrence engine's report and how its orders were
/// written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerateSummary {
    /// The generation report (created, skipped as existing, moved or skipped by rules,
    /// failed lines).
    pub report: GenerationReport,
    /// How the created orders were written (batches, orders skipped by key).
    pub persisted: PersistSummary,
}

/// Generates the orders of `[options.from, options.to)` into `model` (occurrences already
/// covered by stored orders are skipped) and writes the new ones in batches of
/// [`JobOptions::batch_size`]; each order's generation key is its deterministic id.
pub fn generate_phase(
    store: &mut dyn Store,
    model: &mut Model,
    rules: &RuleSet,
    options: &JobOptions,
    progress: &mut dyn Progress,
) -> Result<GenerateSummary, JobError> {
    options.check()?;
    progress.start("generate", 0);
    let report = generate_orders(
        model,
        Some(rules),
        options.from,
        options.to,
        &GenerateOptions {
            sla: options.sla_on_generated,
            ..GenerateOptions::new(options.now).group_by(options.group_by)
        },
    )
    .map_err(|e| JobError::Generate(e.to_string()))?;
    progress.finish();
    let generated: Vec<GeneratedOrder> = report
        .created
        .iter()
        .filter_map(|id| model.order(id))
        .map(|order| GeneratedOrder {
            key: order.id.to_string(),
            order: order.clone(),
        })
        .collect();
    let persisted = persist_generated(store, &generated, options.batch_size, progress)?;
    Ok(GenerateSummary { report, persisted })
}

/// The summary of one run of the main job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSummary {
    /// First local date of the horizon.
    pub from: NaiveDate,
    /// First local date after the horizon.
    pub to: NaiveDate,
    /// "Now" of the run.
    pub now: DateTime<Utc>,
    /// Orders stored before the run.
    pub orders_before: usize,
    /// Order generation.
    pub generation: GenerateSummary,
    /// The SLA snapshot.
    pub sla: SlaSummary,
    /// Scheduling.
    pub schedule: ScheduleOutcome,
}

/// Runs the main job over `[options.from, options.to)` on `store` (see the module docs):
/// generate → SLA snapshot → schedule, each phase persisted in its own batches.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use fieldwork::demo::{generate, DemoOptions};
/// use fieldwork::rules::RuleSet;
/// use fieldwork::store::job::{run_main_job, JobOptions, ScheduleOutcome};
/// use fieldwork::store::{ImportMode, MemoryStore, NoProgress, Store};
/// let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
/// let mut store = MemoryStore::new();
/// let mut demo = DemoOptions::new(1, day);
/// demo.customers = 20;
/// demo.technicians = 4;
/// store.import(generate(&demo), ImportMode::Replace).unwrap();
/// let now = Utc.with_ymd_and_hms(2027, 3, 1, 6, 0, 0).unwrap();
/// let mut options = JobOptions::new(day, day + chrono::Duration::days(7), now);
/// options.schedule.time_budget = None; // deterministic: the iteration budget ends the search
/// let summary = run_main_job(&mut store, &RuleSet::empty(), &options, &mut NoProgress).unwrap();
/// assert!(!summary.generation.report.created.is_empty());
/// assert!(matches!(summary.schedule, ScheduleOutcome::Planned { .. }));
/// // Running it again creates nothing new.
/// let again = run_main_job(&mut store, &RuleSet::empty(), &options, &mut NoProgress).unwrap();
/// assert!(again.generation.report.created.is_empty());
/// ```
pub fn run_main_job(
    store: &mut dyn Store,
    rules: &RuleSet,
    options: &JobOptions,
    progress: &mut dyn Progress,
) -> Result<JobSummary, JobError> {
    options.check()?;
    progress.start("load", 0);
    let mut model = store.load_model()?;
    progress.finish();
    let orders_before = model.orders().len();
    let generation = generate_phase(store, &mut model, rules, options, progress)?;
    let sla = snapshot_sla(store, &model, rules, options.now, progress)?;
    progress.start("schedule", 0);
    let schedule = schedule_phase(store, &model, rules, options)?;
    progress.finish();
    Ok(JobSummary {
        from: options.from,
        to: options.to,
        now: options.now,
        orders_before,
        generation,
        sla,
        schedule,
    })
}

/// The plan id of a scheduling window.
fn plan_id(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    format!(
        "plan-{}-{}",
        from.format("%Y%m%dT%H%M"),
        to.format("%Y%m%d")
    )
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
    rules: &RuleSet,
    options: &JobOptions,
) -> Result<ScheduleOutcome, JobError> {
    let from = options
        .now
        .max(options.from.and_time(chrono::NaiveTime::MIN).and_utc());
    let to = (options.from + chrono::Duration::days(i64::from(options.schedule_days.max(1))))
        .min(options.to)
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    if to <= from {
        return Ok(ScheduleOutcome::NothingToPlan);
    }
    let id = plan_id(from, to);
    // What is on the schedule inside the window now, from every stored plan (this window's
    // earlier plan and overlapping windows of earlier runs): it is re-planned together with the
    // new orders, so a technician is never booked twice.
    let previous = current_plan(model, &store.plans()?).map(|mut plan| {
        plan.routes
            .retain(|r| r.visits.iter().any(|v| v.start >= from && v.start < to));
        plan.unassigned.clear();
        plan
    });
    let previously_planned: HashSet<&OrderId> = previous
        .iter()
        .flat_map(|p| p.routes.iter().flat_map(|r| &r.visits))
        .map(|v| &v.order)
        .filter(|o| model.order(o).is_some_and(|o| o.status().is_booked()))
        .collect();
    let sla = SlaEngine::new(model)?.with_rules(rules);
    let mut orders = Vec::new();
    let mut dues = HashMap::new();
    for order in model.orders() {
        let open =
            order.status() == OrderStatus::Created && order.earliest_start.is_none_or(|t| t < to);
        if !open && !previously_planned.contains(&order.id) {
            continue;
        }
        orders.push(order.id.clone());
        if let Ok(status) = sla.status(order, options.now) {
            if let Some(m) = status.metric(Metric::Resolution) {
                dues.insert(order.id.clone(), m.due);
            }
        }
    }
    if orders.is_empty() {
        return Ok(ScheduleOutcome::NothingToPlan);
    }
    let dispatcher = match Dispatcher::from_rules(rules) {
        Ok(d) => d,
        Err(e) => {
            return Ok(ScheduleOutcome::Failed {
                error: e.to_string(),
            })
        }
    };
    let plan = match replan(
        model,
        &dispatcher,
        &orders,
        &dues,
        previous.as_ref(),
        from,
        to,
        &options.schedule,
    ) {
        Ok(plan) => plan,
        Err(e) => {
            return Ok(ScheduleOutcome::Failed {
                error: e.to_string(),
            })
        }
    };
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
                .map_or(options.now, |o| options.now.max(o.last_change_at())),
            status,
        },
    };
    let mut updates: Vec<StatusUpdate> = plan
        .routes
        .iter()
        .flat_map(|r| &r.visits)
        .filter(|v| !previously_planned.contains(&v.order))
        .map(|v| change(&v.order, OrderStatus::Scheduled))
        .collect();
    updates.extend(
        previously_planned
            .iter()
            .filter(|o| !planned.contains(**o))
            .filter(|o| model.order(o).map(|o| o.status()) == Some(OrderStatus::Scheduled))
            .map(|o| change(o, OrderStatus::Created)),
    );
    let outcome = ScheduleOutcome::Planned {
        plan: id.clone(),
        orders: orders.len(),
        assigned: plan.kpis.orders_assigned,
        unassigned: plan.unassigned.len(),
        sla_breaches: plan.kpis.sla_breaches,
        travel_km: plan.kpis.travel_km,
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
