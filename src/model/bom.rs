//! Versioned bills of materials: which components an item (a service object's model) is built
//! from, in which quantities, valid from/to a date. The graph built from them, with cycle
//! rejection and `components`/`where_used` queries, lives in [`crate::repair`].

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ids::BomId;

/// One component line of a BOM version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BomLine {
    /// Component item number.
    pub component: String,
    /// Quantity per unit of the parent item (positive).
    pub quantity: Decimal,
}

/// One version of an item's bill of materials, valid over a date range.
///
/// An item may have several versions; their validity ranges must not overlap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BomVersion {
    /// Version id, unique across all BOMs.
    pub id: BomId,
    /// The parent item number (matches [`ServiceObject::model`](super::ServiceObject::model)).
    pub item: String,
    /// First day valid; valid since ever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last day valid, inclusive; open-ended when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    /// Component lines.
    #[serde(default)]
    pub lines: Vec<BomLine>,
}

impl BomVersion {
    /// Whether the version is valid on `date`.
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| date <= to)
    }
}
