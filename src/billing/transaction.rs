//! Transactions: the amounts billing and return orders produce, as plain values a host stores
//! or posts. Positive amounts are charged to the customer, negative ones credited.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

use super::period::DateRange;
use crate::model::{CustomerId, ReturnOrderId, SubscriptionId};

/// What a transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    /// The full fee of an invoice period.
    Fee,
    /// The reduction of a fee for days of the period outside the subscription (negative).
    Proration,
    /// A credit for returned goods (negative).
    Credit,
}

impl TransactionKind {
    /// Lower-case name as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionKind::Fee => "fee",
            TransactionKind::Proration => "proration",
            TransactionKind::Credit => "credit",
        }
    }
}

impl fmt::Display for TransactionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a transaction comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransactionSource {
    /// An invoice period of a subscription.
    Subscription {
        /// The subscription.
        subscription: SubscriptionId,
        /// First day of the (nominal) invoice period.
        period_start: NaiveDate,
    },
    /// A line of a return order.
    ReturnOrder {
        /// The return order.
        rma: ReturnOrderId,
        /// The line number.
        line: u32,
    },
}

/// One amount charged or credited to a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// Deterministic id: `<subscription>/<period start>/<fee|proration-before|proration-after>`
    /// or `<rma>/<line>/credit`, so a store can use it as a primary key.
    pub id: String,
    /// Customer charged or credited.
    pub customer: CustomerId,
    /// Where it comes from.
    pub source: TransactionSource,
    /// What it is for.
    pub kind: TransactionKind,
    /// Transaction (posting) date.
    pub date: NaiveDate,
    /// The service days the amount is for (the period, or the days a proration removes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<DateRange>,
    /// Amount at currency scale 2: positive charges, negative credits.
    pub amount: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
    /// Human-readable text for invoices.
    pub description: String,
}
