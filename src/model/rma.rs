//! Return orders (RMA): goods coming back from customers, with reason and disposition codes.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

use super::ids::{CustomerId, ReturnOrderId, ServiceObjectId};

/// Status of a return order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    /// Authorised, goods not yet back.
    Created,
    /// Goods arrived.
    Received,
    /// Goods inspected, disposition decided.
    Inspected,
    /// The disposition's action was carried out.
    DispositionExecuted,
    /// Finished (final).
    Closed,
}

impl ReturnStatus {
    /// Lower-case name as in JSON and rules.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Created => "created",
            ReturnStatus::Received => "received",
            ReturnStatus::Inspected => "inspected",
            ReturnStatus::DispositionExecuted => "disposition_executed",
            ReturnStatus::Closed => "closed",
        }
    }
}

impl fmt::Display for ReturnStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to a returned item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispositionCode {
    /// Credit the customer.
    Credit,
    /// Send a replacement.
    Replace,
    /// Repair the returned object.
    Repair,
    /// Dispose of it.
    Scrap,
    /// Send it back unchanged.
    ReturnToCustomer,
}

impl DispositionCode {
    /// Lower-case name as in JSON and rules.
    pub fn as_str(self) -> &'static str {
        match self {
            DispositionCode::Credit => "credit",
            DispositionCode::Replace => "replace",
            DispositionCode::Repair => "repair",
            DispositionCode::Scrap => "scrap",
            DispositionCode::ReturnToCustomer => "return_to_customer",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            DispositionCode::Credit,
            DispositionCode::Replace,
            DispositionCode::Repair,
            DispositionCode::Scrap,
            DispositionCode::ReturnToCustomer,
        ]
        .into_iter()
        .find(|d| d.as_str() == text)
    }
}

/// One returned item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnLine {
    /// Line number within the return order.
    pub line: u32,
    /// The returned object, when it is a registered service object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_object: Option<ServiceObjectId>,
    /// Item number.
    pub item: String,
    /// Quantity returned.
    pub quantity: Decimal,
    /// Value of the item (basis of a credit).
    #[serde(default, skip_serializing_if = "Decimal::is_zero")]
    pub value: Decimal,
    /// Disposition decided at inspection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<DispositionCode>,
}

/// A return order (RMA).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnOrder {
    /// RMA number.
    pub id: ReturnOrderId,
    /// Customer returning goods.
    pub customer: CustomerId,
    /// Return reason code (e.g. `"DEFECT"`, `"WRONG-ITEM"`).
    pub reason_code: String,
    /// Status.
    pub status: ReturnStatus,
    /// When it was authorised.
    pub created_at: DateTime<Utc>,
    /// ISO 4217 currency of the lines' values (needed to credit them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Returned items.
    #[serde(default)]
    pub lines: Vec<ReturnLine>,
}

/// A return reason code (section `return_reasons` of the dataset), e.g. `"DEFECT"`.
///
/// When the table is empty, reason codes are free text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnReason {
    /// The code.
    pub code: String,
    /// What it means.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}
