//! The main job of a service business, run against any [`Store`]: generate the orders that fall
//! due in a horizon → put SLA targets on the open orders and snapshot their status → schedule →
//! persist → summary. This layer stands above the engines and beside the store: it is the only
//! part of the library that wires engines to a store.
//!
//! Each phase is also a function of its own ([`generate_phase`], [`snapshot_sla`],
//! [`schedule_phase`]), so hosts can run one phase at a time — on a database or on an
//! in-memory store loaded from a dataset file, with the same results. The rule-driven engines
//! are built **once** per run ([`Engines`]): the dispatcher from the rules (before anything is
//! written, so a broken dispatch policy changes nothing) and the SLA calendars, compiled once
//! and shared by generation (SLA targets on generated orders), the snapshot and scheduling.
//!
//! **Crash safety.** Every write is one store batch: generated orders are written in batches of
//! [`JobOptions::batch_size`] (each with its generation keys), the SLA snapshot is one batch,
//! the plan with the status changes it implies is one batch. A process killed at any moment
//! leaves each batch wholly there or wholly absent; running the job again skips what was
//! written (generation is idempotent per key, snapshots and plans replace their previous
//! version) and completes the rest.
//!
//! **Dates** of a horizon are local dates of the business's time zone ([`JobOptions::zone`]):
//! `[from, to)` runs from local midnight of `from` to local midnight of `to` (exclusive).

mod absence;
mod check;
mod engines;
mod generate;
mod progress;
mod schedule;
mod sla;

pub use absence::{add_absence, remove_absence, AbsenceChange};
pub use check::{
    check_rules_dir, probe_rules, probe_rules_on, sample_anchor, sample_model, SAMPLE_SEED,
};
pub use engines::{business_zone, Engines};
pub use generate::{generate_phase, persist_generated, GenerateSummary, PersistSummary};
pub use progress::{NoProgress, Progress};
pub use schedule::{
    orders_to_plan, replan_technicians, schedule_phase, schedule_phase_part, schedule_phase_parts,
    OrdersToPlan, ScheduleOutcome, Window,
};
pub use sla::{snapshot_sla, OrderProblem, SlaSummary};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use thiserror::Error;

use crate::dispatch::DispatchError;
use crate::recurrence::generate::GroupBy;
use crate::recurrence::RecurrenceRuleError;
use crate::rules::RuleSet;
use crate::schedule::field::ScheduleError;
use crate::schedule::field::ScheduleOptions;
use crate::sla::SlaError;
use crate::store::{Store, StoreError};

/// Default number of generated orders per write batch.
pub const DEFAULT_BATCH_SIZE: usize = 1_000;

/// Errors of the main job. Per-order and per-line problems are reported in the summary, not
/// here; these stop the job (the batches already written stay, a rerun continues).
#[derive(Debug, Error)]
pub enum JobError {
    /// The store failed or refused a batch.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The SLA calendars could not be compiled (e.g. a calendar does not compile).
    #[error("SLA: {0}")]
    Sla(#[from] SlaError),
    /// The dispatch policy of the rules is invalid; nothing was written.
    #[error("dispatch rules: {0}")]
    Dispatch(#[from] DispatchError),
    /// Order generation could not run (an inverted window, a failing recurrence hook).
    #[error("generate: {0}")]
    Generate(#[from] RecurrenceRuleError),
    /// The scheduler refused the request (listing its parts: see
    /// [`schedule_phase_parts`]).
    #[error("schedule: {0}")]
    Schedule(#[from] ScheduleError),
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
    /// Whether the error is the caller's to fix (input, file, lock, rules) rather than an
    /// internal failure.
    pub fn is_user_error(&self) -> bool {
        match self {
            JobError::Store(e) => e.is_user_error(),
            JobError::Sla(_)
            | JobError::Dispatch(_)
            | JobError::Horizon { .. }
            | JobError::Schedule(_)
            | JobError::Generate(_) => true,
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
    /// The business's time zone: the horizon's dates are local dates of this zone.
    pub zone: Tz,
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
    /// Options for `[from, to)` at `now` in UTC with the default batch size (see
    /// [`Self::in_zone`]).
    pub fn new(from: NaiveDate, to: NaiveDate, now: DateTime<Utc>) -> Self {
        Self {
            from,
            to,
            zone: Tz::UTC,
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

    /// The same options with the horizon's dates read in `zone`.
    pub fn in_zone(self, zone: Tz) -> Self {
        Self { zone, ..self }
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

/// The summary of one run of the main job.
#[derive(Debug, Serialize)]
pub struct JobSummary {
    /// First local date of the horizon.
    pub from: NaiveDate,
    /// First local date after the horizon.
    pub to: NaiveDate,
    /// "Now" of the run.
    #[serde(serialize_with = "serialize_instant")]
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

/// Instants in JSON: RFC 3339 in UTC, to the second.
pub(crate) fn serialize_instant<S: serde::Serializer>(
    t: &DateTime<Utc>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Runs the main job over `[options.from, options.to)` on `store` (see the module docs):
/// build the engines from the rules once → generate → SLA snapshot → schedule, each phase
/// persisted in its own batches.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use fieldwork::demo::{generate, DemoOptions};
/// use fieldwork::job::{run_main_job, JobOptions, NoProgress, ScheduleOutcome};
/// use fieldwork::rules::RuleSet;
/// use fieldwork::store::{ImportMode, MemoryStore, Store};
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
    // Each run starts with every hook callable (a hook stopped as runaway in an earlier run of
    // the same rule set gets another chance).
    rules.reset_stopped_hooks();
    progress.start("load", 0);
    let mut model = store.load_model()?;
    progress.finish();
    let engines = Engines::new(&model, rules)?;
    let orders_before = model.orders().len();
    let generation = generate_phase(store, &mut model, &engines, options, progress)?;
    let sla = snapshot_sla(store, &model, &engines, options.now, progress)?;
    let schedule = schedule_phase(store, &model, &engines, options, progress)?;
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
