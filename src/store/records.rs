//! The records a [`Store`](super::Store) persists besides the model: generated orders with their
//! idempotency keys, status updates, SLA snapshots, plans, billing transactions, and the batch
//! receipts that make every write traceable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

use crate::billing::Transaction;
use crate::model::{OrderId, OrderStatus, ReturnOrder, ReturnStatus, ServiceOrder, StatusChange};
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
