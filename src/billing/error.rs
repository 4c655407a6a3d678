//! Errors of subscription billing, each naming the subscription (and period) concerned.

use rust_decimal::Decimal;
use thiserror::Error;

use super::money::AllocationError;
use crate::model::SubscriptionId;
use crate::rules::RuleError;

/// Why a billing run or a billing computation failed.
#[derive(Debug, Error)]
pub enum BillingError {
    /// The run period is not a month written `YYYY-MM`.
    #[error("invalid billing period `{text}`: expected a month as YYYY-MM (e.g. 2027-03)")]
    BadMonth {
        /// The text given.
        text: String,
    },
    /// A period of the subscription lies beyond the representable dates.
    #[error("subscription {subscription}: invoice period out of the representable date range")]
    DateOutOfRange {
        /// The subscription.
        subscription: SubscriptionId,
    },
    /// The price for a period is negative.
    #[error("subscription {subscription}, period {period}: negative price {price}")]
    NegativePrice {
        /// The subscription.
        subscription: SubscriptionId,
        /// The period, `start..end`.
        period: String,
        /// The price found.
        price: Decimal,
    },
    /// A price cannot be split over the period's days.
    #[error("subscription {subscription}, period {period}: {source}")]
    Allocation {
        /// The subscription.
        subscription: SubscriptionId,
        /// The period, `start..end`.
        period: String,
        /// What went wrong.
        source: AllocationError,
    },
    /// The `subscription_price` hook failed or returned something other than a price.
    #[error("subscription {subscription}, period {period}: {source}")]
    Rule {
        /// The subscription.
        subscription: SubscriptionId,
        /// The period, `start..end`.
        period: String,
        /// The rule error (with its `file:line:col`).
        source: Box<RuleError>,
    },
}
