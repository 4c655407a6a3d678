//! Subscription billing: periodic fee transactions per subscription and invoice period,
//! independent of how often service is done.
//!
//! * **Periods** ([`invoice_period`], [`period_billed_in`]): monthly, quarterly or yearly invoice periods,
//!   aligned to calendar periods or to the subscription's start. A billing run covers one
//!   calendar [`Month`] and bills each period whose first covered day falls in it.
//! * **Proration** ([`charge_period`]): a partial first or last period is billed as the full
//!   fee plus a negative proration for the days outside the subscription, split by days.
//! * **Rounding** ([`round_money`], [`allocate`]): `rust_decimal`, scale 2, half-up; the
//!   prorated parts of a period add up exactly to the fee.
//! * **Prices** ([`PriceSource`]): the list fee ([`ListPrice`]), or the
//!   `subscription_price(subscription, period)` rule hook ([`RulePrice`], used by [`bill`]).
//! * **Idempotency** ([`BilledLedger`], [`BillingKey`]): a period already billed is skipped.
//! * **Revenue recognition** ([`spread_monthly`]): each billed period's net amount spread over
//!   the months it serves.
//!
//! # Periods
//!
//! * **Calendar alignment**: periods are calendar months, quarters (Jan/Apr/Jul/Oct) or years;
//!   period 0 is the one containing the subscription's start.
//! * **Start alignment**: period `k` runs from `start + k·n months` to the day before
//!   `start + (k+1)·n months`, counted from the original start so the day never drifts (a start
//!   on the 31st gives periods starting Jan 31, Feb 28, Mar 31, Apr 30…).
//!
//! The *covered* days of a period are those within the subscription; a period with uncovered
//! days is prorated. Each period is billed by the run of the month holding its first covered
//! day, so running every month once bills every period once.
//!
//! # Rounding
//!
//! Amounts are [`Decimal`]s at scale 2, rounded *half-up* (half a cent away from zero,
//! `RoundingStrategy::MidpointAwayFromZero`). A period's price is rounded to cents, then split
//! over [days before the subscription | covered days | days after it] by [`allocate`]:
//!
//! 1. each part is its exact share `price × days / period days`, rounded half-up to cents;
//! 2. if the rounded parts miss the price, the difference (at most half a cent per part) is
//!    settled a cent at a time: when they fall short, the parts rounded *down* the most get one
//!    cent more; when they exceed it, the parts rounded *up* the most give one back; ties go to
//!    the earlier part.
//!
//! The parts therefore add up to the price exactly, each is within a cent of its exact share,
//! and when plain half-up rounding already adds up the parts are exactly the half-up ones. The
//! fee transaction is the price; each uncovered stretch is a negative `proration` transaction
//! of its part; the net is the covered part. Revenue recognition splits the net the same way
//! over months, weighted by the fraction of each month covered.
//!
//! ```
//! use std::collections::HashSet;
//! use fieldwork::billing::{bill_with, ListPrice, Month};
//! use fieldwork::model::Model;
//!
//! let model = Model::from_json(r#"{
//!   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
//!                  "location": {"lat": 0, "lon": 0}}],
//!   "subscriptions": [{"id": "S-1", "customer": "C-1", "fee": "200.00", "currency": "EUR",
//!                      "frequency": "monthly", "start": "2027-01-01", "end": "2027-03-29"}]
//! }"#)?;
//! let march: Month = "2027-03".parse()?;
//! let mut ledger = HashSet::new();
//! let run = bill_with(&model, march, &ledger, &ListPrice)?;
//! let amounts: Vec<String> = run.transactions.iter().map(|t| t.amount.to_string()).collect();
//! assert_eq!(amounts, ["200.00", "-12.90"]);
//! ledger.extend(run.billed.iter().cloned());
//! // Billing March again creates nothing new.
//! assert!(bill_with(&model, march, &ledger, &ListPrice)?.transactions.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod ledger;
mod money;
mod period;
mod price;
mod proration;
mod revenue;
mod transaction;

pub use error::BillingError;
pub use ledger::{BilledLedger, BillingKey};
pub use money::{allocate, round_money, AllocationError, CURRENCY_SCALE};
pub use period::{invoice_period, period_billed_in, DateRange, InvoicePeriod, Month};
pub use price::{ListPrice, PriceSource, RulePrice, PRICE_HOOK};
pub use proration::{charge_period, MAX_PRICE};
pub use revenue::{spread_monthly, RecognitionEntry};
pub use transaction::{Transaction, TransactionKind, TransactionSource};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::model::Model;
use crate::rules::RuleSet;

/// The result of billing one month: new transactions, the periods they bill, the periods
/// skipped because they were billed before, and the revenue-recognition schedule of the new
/// periods. Nothing is stored: the host posts the transactions and records [`billed`](Self::billed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingRun {
    /// The month billed.
    pub month: Month,
    /// New transactions, by subscription (model order) then fee before prorations.
    pub transactions: Vec<Transaction>,
    /// Keys of the periods billed by this run (record them to make the next run skip them).
    pub billed: Vec<BillingKey>,
    /// Keys of the periods due this month that the ledger holds already.
    pub already_billed: Vec<BillingKey>,
    /// Revenue of the periods billed, spread monthly.
    pub recognition: Vec<RecognitionEntry>,
}

impl BillingRun {
    /// Net amount billed per currency.
    pub fn totals(&self) -> BTreeMap<&str, Decimal> {
        let mut totals: BTreeMap<&str, Decimal> = BTreeMap::new();
        for t in &self.transactions {
            *totals.entry(t.currency.as_str()).or_default() += t.amount;
        }
        totals
    }
}

/// Bills `month` with the rules' `subscription_price` hook (the list fee where the rules do not
/// define it), skipping the periods `ledger` holds: [`bill_with`] with [`RulePrice`].
///
/// ```
/// use std::collections::BTreeSet;
/// use fieldwork::billing::bill;
/// use fieldwork::model::Model;
/// use fieldwork::rules::RuleSet;
/// let model = Model::from_json(r#"{
///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
///                  "location": {"lat": 0, "lon": 0}}],
///   "subscriptions": [{"id": "S-1", "customer": "C-1", "fee": "100.00", "currency": "EUR",
///                      "frequency": "yearly", "alignment": "start", "start": "2025-03-01"}]
/// }"#)?;
/// let rules = RuleSet::from_sources(&[("billing.rhai", r#"
///     fn subscription_price(subscription, period) {
///         let price = subscription.fee;
///         for year in 0..years_between(subscription.start, period.start) {
///             price = price * 102 / 100;
///         }
///         price
///     }"#)])?;
/// let run = bill(&model, &rules, "2027-03".parse()?, &BTreeSet::new())?;
/// assert_eq!(run.transactions[0].amount.to_string(), "104.04");
/// // Revenue recognised monthly: twelve parts of 8.67.
/// assert_eq!(run.recognition.len(), 12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`bill_with`]; a failing hook is [`BillingError::Rule`] with its `file:line:col`.
pub fn bill(
    model: &Model,
    rules: &RuleSet,
    month: Month,
    ledger: &impl BilledLedger,
) -> Result<BillingRun, BillingError> {
    bill_with(model, month, ledger, &RulePrice(rules))
}

/// Bills `month` with prices from `prices`, skipping the periods `ledger` holds.
///
/// For each subscription (in model order) the invoice period billed in `month` (see
/// [`period_billed_in`]) is priced once, prorated ([`charge_period`]) and spread for revenue
/// recognition ([`spread_monthly`]). See the [module example](self).
///
/// # Errors
/// The first [`BillingError`] met; nothing is billed then.
pub fn bill_with(
    model: &Model,
    month: Month,
    ledger: &impl BilledLedger,
    prices: &impl PriceSource,
) -> Result<BillingRun, BillingError> {
    let mut run = BillingRun {
        month,
        transactions: Vec::new(),
        billed: Vec::new(),
        already_billed: Vec::new(),
        recognition: Vec::new(),
    };
    for sub in model.subscriptions() {
        let Some(period) = period_billed_in(sub, month)? else {
            continue;
        };
        let key = BillingKey {
            subscription: sub.id.clone(),
            period_start: period.period.start,
        };
        if ledger.is_billed(&key) {
            run.already_billed.push(key);
            continue;
        }
        let price = prices.price(sub, &period)?;
        let (transactions, net) = charge_period(sub, &period, price)?;
        let spread =
            spread_monthly(&period.covered, net).map_err(|source| BillingError::Allocation {
                subscription: sub.id.clone(),
                period: period.period.to_string(),
                source,
            })?;
        run.recognition.extend(
            spread
                .into_iter()
                .map(|(m, days, amount)| RecognitionEntry {
                    key: key.clone(),
                    customer: sub.customer.clone(),
                    month: m,
                    days,
                    amount,
                    currency: sub.currency.clone(),
                }),
        );
        run.transactions.extend(transactions);
        run.billed.push(key);
    }
    Ok(run)
}
