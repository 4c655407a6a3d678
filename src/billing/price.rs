//! The price of an invoice period: the subscription's list fee, or what the
//! `subscription_price(subscription, period)` rule hook says (e.g. a yearly indexation).
//!
//! The hook receives the `Subscription` and the nominal invoice period as a `BillingPeriod`
//! (`start`, `end`, `days`; for a partial period the full period, not just its covered days) and
//! returns the price of the full period as a decimal (an int or float is accepted), or `()` for
//! the list fee. The engine rounds the price half-up to cents, then prorates it; a negative
//! price is an error.

use rust_decimal::Decimal;

use super::error::BillingError;
use super::money::round_money;
use super::period::InvoicePeriod;
use super::proration::MAX_PRICE;
use crate::model::Subscription;
use crate::rules::{domain, RuleSet};

/// Name of the pricing hook.
pub const PRICE_HOOK: &str = "subscription_price";

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

/// Prices from the rules' `subscription_price` hook; the list fee where the rules do not define
/// it or it returns `()`.
///
/// ```
/// use fieldwork::billing::{invoice_period, PriceSource, RulePrice};
/// use fieldwork::model::{BillingFrequency, PeriodAlignment, Subscription};
/// use fieldwork::rules::RuleSet;
/// let rules = RuleSet::from_sources(&[("billing.rhai",
///     "fn subscription_price(subscription, period) { subscription.fee * period.days }")])?;
/// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
/// let sub = Subscription { id: "S-1".into(), customer: "C-1".into(), agreement: None,
///     fee: "1.50".parse()?, currency: "EUR".into(), frequency: BillingFrequency::Monthly,
///     alignment: PeriodAlignment::Calendar, start: d("2027-02-01"), end: None };
/// let february = invoice_period(&sub, 0)?.unwrap();
/// assert_eq!(RulePrice(&rules).price(&sub, &february)?, "42.00".parse()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RulePrice<'a>(pub &'a RuleSet);

impl PriceSource for RulePrice<'_> {
    fn price(
        &self,
        subscription: &Subscription,
        period: &InvoicePeriod,
    ) -> Result<Decimal, BillingError> {
        let rules = self.0;
        let rule_error = |source| BillingError::Rule {
            subscription: subscription.id.clone(),
            period: period.period.to_string(),
            source: Box::new(source),
        };
        let args = (
            domain::subscription(subscription),
            domain::billing_period(period.period.start, period.period.end),
        );
        match rules.call_hook(PRICE_HOOK, args).map_err(rule_error)? {
            Some(value) if !value.is_unit() => {
                // The price's range is checked here, where the rule's location is known.
                let value = rules.value(PRICE_HOOK, value);
                let price = value.decimal().map_err(rule_error)?;
                let rounded = round_money(price);
                if rounded.is_sign_negative() && !rounded.is_zero() {
                    Err(rule_error(value.wrong("a price of at least 0")))
                } else if rounded > MAX_PRICE {
                    Err(rule_error(
                        value.wrong(&format!("a price of at most {MAX_PRICE}")),
                    ))
                } else {
                    Ok(price)
                }
            }
            _ => Ok(subscription.fee),
        }
    }
}
