//! Persistence: the [`Store`] trait — what a host provides so that the model and the results
//! of the engines survive the process — and [`MemoryStore`], an in-memory implementation for
//! tests and embedders. The SQLite store of the `fieldwork` binary lives in the host crate
//! (`fieldwork_host::sqlite`), which depends on this library and never the other way round.
//!
//! A store keeps:
//! - the **model** (calendars, customers, objects, tasks, technicians, agreements, orders with
//!   their status history, subscriptions, return orders, extension sections), imported by
//!   merge or replace and exported back as a [`Dataset`];
//! - **generation keys**: one per generated order, so generating the same window twice (or
//!   again after a crash) never writes an order twice;
//! - **SLA snapshots**, **plans** (the scheduler's [`Plan`](crate::schedule::plan::Plan)),
//!   **billing transactions** and the ledger of billed invoice periods;
//! - a log of **batches**: every write is one atomic batch, recorded with the number of rows
//!   it wrote.
//!
//! [`Store::export`] writes all of it but the batch log as one [`Dataset`]: the model sections
//! and a `history` section ([`History`]: generation keys, plans, billed periods, transactions,
//! SLA snapshots), so a replacing [`Store::import`] of an export restores the store — a restore
//! never bills a period twice nor strands scheduled orders.
//!
//! Every write method is one batch: it is applied wholly or not at all.
//!
//! [`current_plan`] combines the stored plans into the schedule as it stands (the newest plan
//! per order); the main job ([`job`](crate::job)) re-plans from it and the host's views show it,
//! with the visits whose SLA is at risk ([`sla_at_risk`]) marked and the open orders of a window
//! that no plan holds ([`backlog`]) beside.

mod backlog;
mod current;
mod error;
mod memory;
mod merge;
mod records;

pub use backlog::{backlog, BacklogEntry, BacklogReason};
pub use current::{current_plan, on_schedule, sla_at_risk};
pub use error::StoreError;
pub use memory::MemoryStore;
pub use merge::{merge_datasets, replace_summary};
pub use records::*;

use std::collections::{BTreeSet, HashSet};

use crate::billing::{BillingKey, Transaction};
use crate::model::{Absence, Dataset, Model, OrderOperation, ServiceOrder};

/// What a host must provide to persist the model and the engines' results.
///
/// Implementations make every write method atomic (all or nothing) and idempotent where a
/// key is given: generated orders are skipped when their key is stored, billing transactions
/// when theirs is, SLA snapshots replace the previous one of the same order and metric, and a
/// plan replaces the plan with the same id.
///
/// The provided [`Store::import`] validates before it writes: an invalid dataset (or a merge
/// that would make the stored model invalid) changes nothing.
///
/// ```
/// use fieldwork::model::Dataset;
/// use fieldwork::store::{ImportMode, MemoryStore, Store};
///
/// let mut store = MemoryStore::new();
/// let dataset: Dataset = serde_json::from_str(r#"{
///   "calendars": [{"id": "office", "time_zone": "Europe/Berlin",
///                  "weekly": {"mon": [["08:00","17:00"]]}}],
///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "Europe/Berlin",
///                  "location": {"lat": 52.5, "lon": 13.4}, "calendar": "office"}]
/// }"#).unwrap();
/// let summary = store.import(dataset, ImportMode::Merge).unwrap();
/// assert_eq!(summary.added["customers"], 1);
///
/// // A customer on an unknown calendar is refused, and nothing changes.
/// let bad: Dataset = serde_json::from_str(r#"{"customers": [{"id": "C-2", "name": "B",
///   "tier": "gold", "time_zone": "Europe/Berlin", "location": {"lat": 0, "lon": 0},
///   "calendar": "nope"}]}"#).unwrap();
/// assert!(store.import(bad, ImportMode::Merge).is_err());
/// assert_eq!(store.load_model().unwrap().customers().len(), 1);
/// ```
pub trait Store {
    /// Loads and validates the stored model (orders with their full status history).
    fn load_model(&self) -> Result<Model, StoreError>;

    /// Replaces the stored model by `model` and every result (keys, snapshots, plans,
    /// transactions, billed periods) by `history`, and clears the batch log, in one batch.
    /// Called by [`Store::import`] after validation (and [`History::check`]).
    fn replace_model(&mut self, model: &Model, history: &History) -> Result<(), StoreError>;

    /// Everything stored besides the model (what [`Store::export`] writes as `history`).
    fn history(&self) -> Result<History, StoreError>;

    /// Upserts the entities of `incoming` by id (orders with their history), in one batch.
    /// Called by [`Store::import`] once the merged model is known to be valid.
    fn merge_entities(&mut self, incoming: &Dataset) -> Result<(), StoreError>;

    /// Deletes the stored absence with `absence`'s identity (technician, start and end), in
    /// one batch; returns whether one was stored. (Absences are added with
    /// [`Store::merge_entities`].)
    fn remove_absence(&mut self, absence: &Absence) -> Result<bool, StoreError>;

    /// The stored generation keys.
    fn generation_keys(&self) -> Result<HashSet<String>, StoreError>;

    /// Writes generated orders whose key is not yet stored, with their keys, in one batch.
    /// An order whose key is stored is skipped, and so is an order stored under its id with the
    /// same origin (agreement line and occurrence: the same order, e.g. brought in by a merge
    /// import); both checks are made inside the write, so an order another writer stored after
    /// the caller read the model is skipped, never written twice. The receipt lists the skipped
    /// keys. An order whose id is taken by another order is a [`StoreError::Conflict`] and
    /// nothing is written.
    fn insert_generated(&mut self, orders: &[GeneratedOrder]) -> Result<BatchReceipt, StoreError>;

    /// Appends status changes to stored orders, in one batch; an illegal change (per the
    /// order lifecycle) is a [`StoreError::Conflict`] and nothing is written.
    fn record_status_changes(
        &mut self,
        updates: &[StatusUpdate],
    ) -> Result<BatchReceipt, StoreError>;

    /// Stores SLA snapshots, replacing earlier ones of the same order and metric, in one batch.
    fn save_sla_snapshots(&mut self, snapshots: &[SlaSnapshot])
        -> Result<BatchReceipt, StoreError>;

    /// The stored SLA snapshots, by order and metric.
    fn sla_snapshots(&self) -> Result<Vec<SlaSnapshot>, StoreError>;

    /// Applies one order operation (start, hold, priority, assign, repair, …) in one batch:
    /// reads the stored order, applies [`Model::preview_operation`] to it and writes the
    /// result — status changes appended to the history with their reason, other operations to
    /// the order's events. Returns the order as stored now. An unknown order, an operation the
    /// order's status does not allow or an invalid result is a [`StoreError::Operation`] and
    /// nothing is written.
    fn apply_operation(&mut self, operation: &OrderOperation) -> Result<ServiceOrder, StoreError>;

    /// Writes one return-order step in one batch: the return order as the step leaves it, the
    /// orders it creates and the credits it posts. Refused with a [`StoreError::Conflict`]
    /// (nothing written) when the stored return order is unknown or no longer in
    /// [`ReturnStep::from`], or when a created order's id is taken.
    fn apply_return_step(&mut self, step: &ReturnStep) -> Result<BatchReceipt, StoreError>;

    /// Stores a plan (replacing the plan with the same id) together with the status changes it
    /// implies (orders becoming `scheduled`), in one batch. The plan supersedes the visits that
    /// other stored plans hold for the orders it mentions (planned or unassigned): those visits
    /// are removed, so an order has at most one stored visit.
    ///
    /// **Operations recorded while the plan was computed win**: a change whose
    /// [`StatusUpdate::expected`] status is no longer the stored one is skipped, and the
    /// visits and unassigned entries of orders that are completed or cancelled when the batch
    /// is written are dropped from the plan (their earlier visit, if any, stays as it was).
    fn save_plan(
        &mut self,
        plan: &StoredPlan,
        updates: &[StatusUpdate],
    ) -> Result<BatchReceipt, StoreError>;

    /// The stored plans, oldest first.
    fn plans(&self) -> Result<Vec<StoredPlan>, StoreError>;

    /// Posts a billing run in one batch: records the invoice periods it billed (the ledger
    /// [`Store::billed_periods`] returns) and stores its transactions. A transaction whose id is
    /// stored is skipped, so posting the same run twice writes nothing new.
    fn save_billing(
        &mut self,
        transactions: &[Transaction],
        billed: &[BillingKey],
    ) -> Result<BatchReceipt, StoreError>;

    /// The invoice periods billed so far: the ledger a billing run skips.
    fn billed_periods(&self) -> Result<BTreeSet<BillingKey>, StoreError>;

    /// The stored billing transactions, in the order they were written.
    fn transactions(&self) -> Result<Vec<Transaction>, StoreError>;

    /// The log of committed batches, oldest first.
    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError>;

    /// Imports a dataset: refuses an id used twice within one of its sections, validates it
    /// (merged into the stored model for [`ImportMode::Merge`]: the merged model must validate
    /// as a whole), then writes it in one batch. A replacing import restores the dataset's
    /// `history` section (checked against the model); a merging import of a dataset with a
    /// history is refused (a ledger cannot be merged). An invalid dataset changes nothing.
    fn import(&mut self, dataset: Dataset, mode: ImportMode) -> Result<ImportSummary, StoreError> {
        dataset.check_unique_ids()?;
        match mode {
            ImportMode::Replace => {
                let history = History::from_dataset(&dataset)?;
                let mut summary = replace_summary(&dataset);
                for (kind, n) in history.counts() {
                    if n > 0 {
                        summary.added.insert(kind.to_owned(), n);
                    }
                }
                let model = Model::from_dataset(dataset)?;
                history.check(&model)?;
                self.replace_model(&model, &history)?;
                Ok(summary)
            }
            ImportMode::Merge => {
                if dataset.history.is_some() {
                    return Err(StoreError::Conflict {
                        entity: "dataset section",
                        id: "history".into(),
                        message: "plans, billing and generation keys can only be restored by \
                                  a replacing import"
                            .into(),
                    });
                }
                let current = self.load_model()?.to_dataset();
                let (merged, summary) = merge_datasets(current, &dataset);
                Model::from_dataset(merged)?;
                self.merge_entities(&dataset)?;
                Ok(summary)
            }
        }
    }

    /// The stored model and [`Store::history`] as one dataset (what a replacing `import`
    /// restores).
    fn export(&self) -> Result<Dataset, StoreError> {
        let mut dataset = self.load_model()?.to_dataset();
        dataset.history = self.history()?.to_section();
        Ok(dataset)
    }
}
