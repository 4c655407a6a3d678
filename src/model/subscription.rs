//! Subscriptions: recurring fees billed per period, independent of how often service is done.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ids::{AgreementId, CustomerId, SubscriptionId};

/// How often a subscription is invoiced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingFrequency {
    /// Every month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every year.
    Yearly,
}

impl BillingFrequency {
    /// Months per invoice period.
    pub fn months(self) -> u32 {
        match self {
            BillingFrequency::Monthly => 1,
            BillingFrequency::Quarterly => 3,
            BillingFrequency::Yearly => 12,
        }
    }
}

/// Where invoice periods begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodAlignment {
    /// Calendar months, quarters, years (partial first/last periods are prorated).
    #[default]
    Calendar,
    /// Periods start on the subscription's start day.
    Start,
}

impl PeriodAlignment {
    /// Whether this is the default calendar alignment.
    pub fn is_calendar(&self) -> bool {
        *self == PeriodAlignment::Calendar
    }
}

/// A recurring fee for a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// Subscription id.
    pub id: SubscriptionId,
    /// Customer billed.
    pub customer: CustomerId,
    /// Agreement it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementId>,
    /// Fee per full invoice period.
    pub fee: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Invoice period length.
    pub frequency: BillingFrequency,
    /// Period alignment.
    #[serde(default, skip_serializing_if = "PeriodAlignment::is_calendar")]
    pub alignment: PeriodAlignment,
    /// First day billed.
    pub start: NaiveDate,
    /// Last day billed, inclusive; open-ended when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
}
