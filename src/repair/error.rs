//! Errors of repair management: invalid repair lines and stages (naming the order), and
//! invalid bills of materials (naming the BOM versions and items).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use thiserror::Error;

use crate::model::{BomId, OrderId, OrderStatus};

/// What is wrong with a repair record, a repair stage or a bill of materials.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RepairError {
    /// A repair line field is not in its code table.
    #[error("order {order}: repair line {line}: field `{field}`: {message}")]
    InvalidLine {
        /// The order.
        order: OrderId,
        /// Position of the line in the order's repair lines (0-based).
        line: usize,
        /// The field at fault (`symptom_code`, `resolution`…).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The stage is not in the repair-stage table.
    #[error("order {order}: unknown repair stage `{stage}`")]
    UnknownStage {
        /// The order.
        order: OrderId,
        /// The stage asked for.
        stage: String,
    },
    /// The order is completed or cancelled: its repair records can no longer change.
    #[error("order {order} is {status}: its repair records are closed")]
    OrderClosed {
        /// The order.
        order: OrderId,
        /// Its final status.
        status: OrderStatus,
    },
    /// The order has repair lines but its repair stage is not a finished one.
    #[error("order {order}: repair not finished (stage {})", .stage.as_deref().unwrap_or("none"))]
    RepairNotFinished {
        /// The order.
        order: OrderId,
        /// Its current stage.
        stage: Option<String>,
    },
    /// Two BOM versions share an id.
    #[error("BOM version {id}: duplicate id")]
    DuplicateBom {
        /// The id.
        id: BomId,
    },
    /// A BOM version ends before it starts.
    #[error("BOM version {id}: valid_to {to} is before valid_from {from}")]
    InvertedValidity {
        /// The version.
        id: BomId,
        /// Its first day.
        from: NaiveDate,
        /// Its last day.
        to: NaiveDate,
    },
    /// A BOM line's quantity is not positive.
    #[error("BOM version {id}: component {component}: quantity {quantity} must be positive")]
    BadQuantity {
        /// The version.
        id: BomId,
        /// The component item.
        component: String,
        /// The quantity found.
        quantity: Decimal,
    },
    /// Two versions of one item are valid on a common day.
    #[error(
        "item {item}: BOM versions {first} and {second} are both valid {}",
        .on.map(|d| format!("on {d}")).unwrap_or_else(|| "since ever".into())
    )]
    OverlappingVersions {
        /// The parent item.
        item: String,
        /// One version.
        first: BomId,
        /// The other.
        second: BomId,
        /// The first day both are valid (`None`: since ever).
        on: Option<NaiveDate>,
    },
    /// Components contain themselves.
    #[error(
        "BOM cycle{}: {} (versions {})",
        .on.map(|d| format!(" valid on {d}")).unwrap_or_default(),
        .items.join(" -> "),
        .versions.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
    )]
    Cycle {
        /// The first day the cycle exists (`None`: since ever).
        on: Option<NaiveDate>,
        /// The items around the cycle, the first repeated at the end.
        items: Vec<String>,
        /// The BOM versions of the cycle's links, in path order.
        versions: Vec<BomId>,
    },
    /// An explosion or where-used list exceeds the row limit (a pathological structure).
    #[error("item {item}: more than {limit} rows in the BOM structure")]
    TooManyRows {
        /// The item queried.
        item: String,
        /// The limit.
        limit: usize,
    },
    /// Multiplying quantities down the structure overflowed.
    #[error("item {item}: component quantities overflow")]
    QuantityOverflow {
        /// The item queried.
        item: String,
    },
}
