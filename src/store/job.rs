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
use std::collections::BTreeMap;
use thiserror::Error;

use super::{BatchReceipt, GeneratedOrder, Progress, SlaSnapshot, Store, StoreError};
use crate::model::{Model, OrderId};
use crate::rules::RuleSet;
use crate::sla::{SlaEngine, SlaError};

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
            JobError::Sla(_) | JobError::Horizon { .. } => true,
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
}

impl JobOptions {
    /// Options for `[from, to)` at `now` with the default batch size.
    pub fn new(from: NaiveDate, to: NaiveDate, now: DateTime<Utc>) -> Self {
        Self {
            from,
            to,
            now,
            batch_size: DEFAULT_BATCH_SIZE,
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
    /// The batch scheduler is not part of this build yet: orders stay unscheduled.
    NotAvailable,
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
    /// Generated orders written.
    pub persisted: PersistSummary,
    /// The SLA snapshot.
    pub sla: SlaSummary,
    /// Scheduling.
    pub schedule: ScheduleOutcome,
}

/// Runs the main job over `[options.from, options.to)` on `store` (see the module docs).
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use fieldwork::demo::{generate, DemoOptions};
/// use fieldwork::rules::RuleSet;
/// use fieldwork::store::job::{run_main_job, JobOptions};
/// use fieldwork::store::{ImportMode, MemoryStore, NoProgress, Store};
/// let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
/// let mut store = MemoryStore::new();
/// store.import(generate(&DemoOptions::new(1, day)), ImportMode::Replace).unwrap();
/// let now = Utc.with_ymd_and_hms(2027, 3, 1, 6, 0, 0).unwrap();
/// let options = JobOptions::new(day, day + chrono::Duration::days(7), now);
/// let summary = run_main_job(&mut store, &RuleSet::empty(), &options, &mut NoProgress).unwrap();
/// assert_eq!(summary.sla.orders, summary.orders_before);
/// ```
pub fn run_main_job(
    store: &mut dyn Store,
    rules: &RuleSet,
    options: &JobOptions,
    progress: &mut dyn Progress,
) -> Result<JobSummary, JobError> {
    options.check()?;
    progress.start("load", 0);
    let model = store.load_model()?;
    progress.finish();
    let orders_before = model.orders().len();
    let persisted = PersistSummary::default();
    let sla = snapshot_sla(store, &model, rules, options.now, progress)?;
    Ok(JobSummary {
        from: options.from,
        to: options.to,
        now: options.now,
        orders_before,
        persisted,
        sla,
        schedule: ScheduleOutcome::NotAvailable,
    })
}
