//! The records a [`Store`](super::Store) persists besides the model: generated orders with their
//! idempotency keys, status updates, SLA snapshots, plans, billing transactions, and the batch
//! receipts that make every write traceable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

use super::error::StoreError;
use crate::billing::{BillingKey, Transaction, TransactionSource};
use crate::model::{
    Dataset, EntityKind, Model, ModelError, OrderId, OrderStatus, ReturnOrder, ReturnStatus,
    ServiceOrder, StatusChange, ValidationError, ValidationIssue,
};
use crate::schedule::plan::Plan;

/// A service order produced by order generation, with the key that makes generation
/// idempotent: an order whose key is already stored is skipped, never written twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedOrder {
    /// Idempotency key (e.g. agreement line and occurrence), unique in the store.
    pub key: String,
    /// The order.
    pub order: ServiceOrder,
}

/// One status change of a stored order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// The order.
    pub order: OrderId,
    /// The change (status entered and when).
    pub change: StatusChange,
    /// The status the writer read the order in, when the change depends on it (a plan's
    /// changes do): if the stored status differs when the batch is written — an operation
    /// changed the order meanwhile — the change is skipped rather than refused, so the
    /// operation is never overwritten and the batch still lands. `None`: always applied
    /// (an illegal change is then a conflict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<OrderStatus>,
}

/// One step of a return order ([`Store::apply_return_step`](super::Store::apply_return_step)):
/// the return order as the step leaves it, with what the step implies — orders to create
/// (replacements, repairs) and credit transactions to post — written in one batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnStep {
    /// The status the step was computed from: the store refuses the step (changing nothing)
    /// when the stored return order is no longer in it.
    pub from: ReturnStatus,
    /// The return order after the step.
    pub rma: ReturnOrder,
    /// Orders the step creates.
    #[serde(default)]
    pub orders: Vec<ServiceOrder>,
    /// Credit transactions the step posts.
    #[serde(default)]
    pub transactions: Vec<Transaction>,
}

/// State of one SLA metric of one order when the snapshot was taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaSnapshot {
    /// The order.
    pub order: OrderId,
    /// The metric (`response`, `resolution`, …).
    pub metric: String,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// State name (`on_track`, `warning`, `breached`, `met`, `missed`).
    pub state: String,
    /// Target in business seconds.
    pub target_seconds: i64,
    /// Due instant.
    pub due: Option<DateTime<Utc>>,
    /// Instant the warning threshold is reached.
    pub warning_at: Option<DateTime<Utc>>,
    /// Business seconds left (negative: overdue) at `computed_at`.
    pub remaining_seconds: Option<i64>,
    /// Calendar the business time is counted in.
    pub calendar: Option<String>,
}

/// A plan (schedule) as stored: the scheduler's [`Plan`] under an id, with when it was
/// computed. Saving a plan with the same id replaces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPlan {
    /// Plan id.
    pub id: String,
    /// When it was computed.
    pub created_at: DateTime<Utc>,
    /// The plan.
    pub plan: Plan,
}

/// What a write batch was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchKind {
    /// A dataset import.
    Import,
    /// Generated orders.
    Generate,
    /// Order status changes.
    Status,
    /// SLA snapshots.
    Sla,
    /// A plan (with the status changes it implies).
    Plan,
    /// Billing transactions.
    Billing,
}

impl BatchKind {
    /// Lower-case name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchKind::Import => "import",
            BatchKind::Generate => "generate",
            BatchKind::Status => "status",
            BatchKind::Sla => "sla",
            BatchKind::Plan => "plan",
            BatchKind::Billing => "billing",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            BatchKind::Import,
            BatchKind::Generate,
            BatchKind::Status,
            BatchKind::Sla,
            BatchKind::Plan,
            BatchKind::Billing,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

impl fmt::Display for BatchKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A committed write batch: written atomically together with its rows, so `rows` is exactly
/// the number of records that carry its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// Batch id, increasing.
    pub id: i64,
    /// What was written.
    pub kind: BatchKind,
    /// When it was committed.
    pub at: DateTime<Utc>,
    /// Records written.
    pub rows: u64,
}

/// The outcome of one write batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReceipt {
    /// The batch id, when anything was written.
    pub batch: Option<i64>,
    /// Records written.
    pub written: usize,
    /// Records skipped because they were already stored (same idempotency key).
    pub skipped: usize,
    /// The keys of the records skipped, in input order ([`Store::insert_generated`](super::Store::insert_generated)
    /// fills it; other writes leave it empty). A caller that generated these records from a model
    /// read earlier learns which of them another writer stored in the meantime.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_keys: Vec<String>,
}

/// How an import treats what is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Entities of the dataset are added or replace stored ones with the same id; the rest
    /// stays.
    #[default]
    Merge,
    /// The stored model and every result derived from it are replaced by the dataset.
    Replace,
}

/// Per entity kind: how many were added and how many replaced stored ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    /// The mode used.
    pub mode: ImportMode,
    /// Entities added, by kind (`customers`, `orders`, …).
    pub added: BTreeMap<String, usize>,
    /// Entities that replaced a stored one, by kind.
    pub updated: BTreeMap<String, usize>,
}

impl ImportSummary {
    /// Total entities added.
    pub fn total_added(&self) -> usize {
        self.added.values().sum()
    }
    /// Total entities updated.
    pub fn total_updated(&self) -> usize {
        self.updated.values().sum()
    }
}

/// A stored generation key with the order it generated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationKey {
    /// The idempotency key.
    pub key: String,
    /// The order generated under it.
    pub order: OrderId,
}

/// Everything a store holds besides the model: what a backup must carry so that a restore
/// never generates an order twice, never strands scheduled orders and never bills a period
/// twice. It travels in the dataset's `history` section ([`Store::export`](super::Store::export)
/// writes it, a replacing [`Store::import`](super::Store::import) restores it). Order status
/// histories are part of the orders themselves.
///
/// ```
/// use fieldwork::store::History;
/// let h = History::default();
/// assert!(h.is_empty());
/// assert_eq!(h.counts()[0], ("generation_keys", 0));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Generation keys, by key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generation_keys: Vec<GenerationKey>,
    /// Stored plans, oldest first (each holding only the visits no newer plan superseded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<StoredPlan>,
    /// The ledger of billed invoice periods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub billed_periods: Vec<BillingKey>,
    /// Posted billing transactions, in the order they were written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transactions: Vec<Transaction>,
    /// The latest SLA snapshot of each order and metric.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sla_snapshots: Vec<SlaSnapshot>,
}

impl History {
    /// The sections with how many records each holds — the one list of the history's
    /// sections (a new one is added here, in the struct and in both stores' `history` and
    /// `replace_model`).
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("generation_keys", self.generation_keys.len()),
            ("plans", self.plans.len()),
            ("billed_periods", self.billed_periods.len()),
            ("transactions", self.transactions.len()),
            ("sla_snapshots", self.sla_snapshots.len()),
        ]
    }

    /// Whether no section holds anything.
    pub fn is_empty(&self) -> bool {
        self.counts().iter().all(|(_, n)| *n == 0)
    }

    /// The history carried by `dataset` (empty when it has none).
    ///
    /// # Errors
    /// [`StoreError::Model`] naming the field when the section is not a history.
    pub fn from_dataset(dataset: &Dataset) -> Result<History, StoreError> {
        match &dataset.history {
            None => Ok(History::default()),
            Some(value) => History::deserialize(value).map_err(|e| {
                StoreError::Model(ModelError::Invalid(vec![ValidationIssue::new(
                    EntityKind::Dataset,
                    "history",
                    "history",
                    ValidationError::InvalidValue(e.to_string()),
                )]))
            }),
        }
    }

    /// The history as the dataset's `history` section (`None` when empty).
    pub fn to_section(&self) -> Option<serde_json::Value> {
        if self.is_empty() {
            return None;
        }
        // Serialising plain data with string keys cannot fail.
        serde_json::to_value(self).ok()
    }

    /// Checks that every record refers to what `model` holds and that ids are unique (the
    /// checks the stores make when the records are first written).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] naming the first record at fault.
    pub fn check(&self, model: &Model) -> Result<(), StoreError> {
        let conflict = |entity: &'static str, id: &str, message: String| StoreError::Conflict {
            entity,
            id: id.to_owned(),
            message,
        };
        let mut keys = HashSet::new();
        for k in &self.generation_keys {
            if !keys.insert(k.key.as_str()) {
                return Err(conflict("generation key", &k.key, "stored twice".into()));
            }
            if model.order(&k.order).is_none() {
                let message = format!("refers to unknown order `{}`", k.order);
                return Err(conflict("generation key", &k.key, message));
            }
        }
        let mut plans = HashSet::new();
        for p in &self.plans {
            if !plans.insert(p.id.as_str()) {
                return Err(conflict("plan", &p.id, "stored twice".into()));
            }
            let orders = p
                .plan
                .routes
                .iter()
                .flat_map(|r| &r.visits)
                .map(|v| &v.order);
            let unassigned = p.plan.unassigned.iter().map(|u| &u.order);
            if let Some(o) = orders.chain(unassigned).find(|o| model.order(o).is_none()) {
                return Err(conflict(
                    "plan",
                    &p.id,
                    format!("refers to unknown order `{o}`"),
                ));
            }
            if let Some(r) = p
                .plan
                .routes
                .iter()
                .find(|r| model.technician(&r.technician).is_none())
            {
                let message = format!("refers to unknown technician `{}`", r.technician);
                return Err(conflict("plan", &p.id, message));
            }
        }
        for k in &self.billed_periods {
            if model.subscription(&k.subscription).is_none() {
                let message = format!("billed period of unknown subscription `{}`", k.subscription);
                return Err(conflict("billed period", k.subscription.as_str(), message));
            }
        }
        let mut ids = HashSet::new();
        for t in &self.transactions {
            if !ids.insert(t.id.as_str()) {
                return Err(conflict(
                    "billing transaction",
                    &t.id,
                    "stored twice".into(),
                ));
            }
            if model.customer(&t.customer).is_none() {
                let message = format!("customer `{}` is not stored", t.customer);
                return Err(conflict("billing transaction", &t.id, message));
            }
            if let TransactionSource::Subscription { subscription, .. } = &t.source {
                if model.subscription(subscription).is_none() {
                    let message = format!("subscription `{subscription}` is not stored");
                    return Err(conflict("billing transaction", &t.id, message));
                }
            }
        }
        let mut snapshots = HashSet::new();
        for s in &self.sla_snapshots {
            if !snapshots.insert((&s.order, s.metric.as_str())) {
                let message = format!("SLA snapshot of `{}` stored twice", s.metric);
                return Err(conflict("order", s.order.as_str(), message));
            }
            if model.order(&s.order).is_none() {
                let message = "SLA snapshot for an order that is not stored".into();
                return Err(conflict("order", s.order.as_str(), message));
            }
        }
        Ok(())
    }
}
