//! Proration: the transactions of one invoice period. A full period is one fee; a partial
//! period is the full fee plus one negative proration per stretch of days outside the
//! subscription (before its start, after its end).
//!
//! The price of the period is rounded to cents (half-up), then split over the period's days
//! with [`allocate`](super::allocate) into the days before the subscription, the covered days
//! and the days after it. The prorations are the negated shares of the uncovered stretches, so
//! `fee + prorations = share of the covered days` exactly, and the three shares add up to the
//! fee exactly. A EUR 200.00 monthly fee for a subscription ending 29 March: fee 200.00,
//! proration −12.90 (2 of 31 days), net 187.10.

use rust_decimal::Decimal;

use super::error::BillingError;
use super::money::{allocate, round_money, AllocationError};
use super::period::{DateRange, InvoicePeriod};
use super::transaction::{Transaction, TransactionKind, TransactionSource};
use crate::model::{BillingFrequency, Subscription};

/// The largest price of one period (10^15): far beyond any real fee, small enough that sums of
/// many periods never overflow.
pub const MAX_PRICE: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// The transactions billing `period` of `sub` at `price` (the full-period price), and their
/// net amount (the share of the covered days).
///
/// ```
/// use fieldwork::billing::{charge_period, invoice_period};
/// use fieldwork::model::{BillingFrequency, PeriodAlignment, Subscription};
/// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
/// let m = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
/// let sub = Subscription { id: "S-1".into(), customer: "C-1".into(), agreement: None,
///     fee: m("200.00"), currency: "EUR".into(), frequency: BillingFrequency::Monthly,
///     alignment: PeriodAlignment::Calendar, start: d("2027-01-01"), end: Some(d("2027-03-29")) };
/// let march = invoice_period(&sub, 2).unwrap().unwrap();
/// let (transactions, net) = charge_period(&sub, &march, sub.fee).unwrap();
/// let amounts: Vec<String> = transactions.iter().map(|t| t.amount.to_string()).collect();
/// assert_eq!(amounts, ["200.00", "-12.90"]);
/// assert_eq!(net, m("187.10"));
/// ```
///
/// # Errors
/// [`BillingError::NegativePrice`] for a negative price; [`BillingError::Allocation`] for a
/// price above [`MAX_PRICE`].
pub fn charge_period(
    sub: &Subscription,
    period: &InvoicePeriod,
    price: Decimal,
) -> Result<(Vec<Transaction>, Decimal), BillingError> {
    let price = round_money(price);
    if price > MAX_PRICE {
        return Err(BillingError::Allocation {
            subscription: sub.id.clone(),
            period: period.period.to_string(),
            source: AllocationError::TooLarge(price),
        });
    }
    if price.is_sign_negative() && !price.is_zero() {
        return Err(BillingError::NegativePrice {
            subscription: sub.id.clone(),
            period: period.period.to_string(),
            price,
        });
    }
    let (before, after) = period.uncovered();
    let days = |r: Option<DateRange>| r.map_or(0, |r| u64::from(r.days()));
    let shares = allocate(
        price,
        &[days(before), u64::from(period.covered.days()), days(after)],
    )
    .map_err(|source| BillingError::Allocation {
        subscription: sub.id.clone(),
        period: period.period.to_string(),
        source,
    })?;
    // One part per weight, in order.
    let share = |i: usize| shares.get(i).copied().unwrap_or_default();
    let (before_share, net, after_share) = (share(0), share(1), share(2));

    let base = format!("{}/{}", sub.id, period.period.start);
    let transaction = |suffix: &str, kind, service: DateRange, amount, description| Transaction {
        id: format!("{base}/{suffix}"),
        customer: sub.customer.clone(),
        source: TransactionSource::Subscription {
            subscription: sub.id.clone(),
            period_start: period.period.start,
        },
        kind,
        date: period.covered.start,
        service: Some(service),
        amount,
        currency: sub.currency.clone(),
        description,
    };
    let mut out = vec![transaction(
        "fee",
        TransactionKind::Fee,
        period.period,
        price,
        format!("{} fee {}", frequency_name(sub.frequency), period.period),
    )];
    let total_days = period.period.days();
    for (suffix, range, share) in [
        ("proration-before", before, before_share),
        ("proration-after", after, after_share),
    ] {
        if let Some(range) = range {
            let what = if suffix.ends_with("before") {
                "before the subscription starts"
            } else {
                "after the subscription ends"
            };
            out.push(transaction(
                suffix,
                TransactionKind::Proration,
                range,
                negate(share),
                format!("{range} {what}: {} of {total_days} days", range.days()),
            ));
        }
    }
    Ok((out, net))
}

fn frequency_name(f: BillingFrequency) -> &'static str {
    match f {
        BillingFrequency::Monthly => "Monthly",
        BillingFrequency::Quarterly => "Quarterly",
        BillingFrequency::Yearly => "Yearly",
    }
}

/// `-amount`, without a negative zero.
fn negate(amount: Decimal) -> Decimal {
    if amount.is_zero() {
        amount
    } else {
        -amount
    }
}
