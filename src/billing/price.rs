//! The price of an invoice period: the subscription's list fee, or what the
//! `subscription_price(subscription, period)` rule hook says (e.g. a yearly indexation).

use rust_decimal::Decimal;

use super::error::BillingError;
use super::period::InvoicePeriod;
use crate::model::Subscription;

/// Where the full-period price of each invoice period comes from. Called once per
/// subscription and period billed.
pub trait PriceSource {
    /// The price of a full `period` of `subscription` (before proration; rounded to cents
    /// half-up by the caller).
    ///
    /// # Errors
    /// Whatever prevents pricing the period (a failing rule, a wrong return type).
    fn price(
        &self,
        subscription: &Subscription,
        period: &InvoicePeriod,
    ) -> Result<Decimal, BillingError>;
}

/// The built-in price: the subscription's `fee`, unchanged over time.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListPrice;

impl PriceSource for ListPrice {
    fn price(
        &self,
        subscription: &Subscription,
        _: &InvoicePeriod,
    ) -> Result<Decimal, BillingError> {
        Ok(subscription.fee)
    }
}
