//! Revenue recognition: the billed amount of an invoice period spread over the calendar months
//! it serves.
//!
//! Each month's share is proportional to the *fraction of that month* the covered days fill
//! (covered days in the month ÷ days of the month), so a full quarter is recognised in three
//! equal parts and a full year in twelve, whatever the months' lengths; a partial month counts
//! for its fraction. Shares are rounded and add up exactly as described in
//! [`allocate`](super::allocate) (the remainder cent goes to the month rounded down the most,
//! the earliest on a tie).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ledger::BillingKey;
use super::money::{allocate, AllocationError};
use super::period::{DateRange, Month};
use crate::model::CustomerId;

/// Least common multiple of 28, 29, 30 and 31: month fractions as integer weights.
const MONTH_LCM: u64 = 377_580;

/// The revenue of one invoice period recognised in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecognitionEntry {
    /// The invoice period.
    pub key: BillingKey,
    /// Customer.
    pub customer: CustomerId,
    /// The month the revenue is recognised in.
    pub month: Month,
    /// Covered days of the period in that month.
    pub days: u32,
    /// Amount recognised (scale 2).
    pub amount: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
}

/// Spreads `amount` over the months of `covered`: `(month, covered days, share)` per month.
///
/// ```
/// use fieldwork::billing::{spread_monthly, DateRange};
/// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
/// let m = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
/// let q1 = DateRange::new(d("2027-01-01"), d("2027-03-31")).unwrap();
/// let shares: Vec<String> = spread_monthly(&q1, m("100.00")).unwrap()
///     .iter().map(|(m, _, a)| format!("{m} {a}")).collect();
/// assert_eq!(shares, ["2027-01 33.34", "2027-02 33.33", "2027-03 33.33"]);
/// ```
///
/// # Errors
/// [`AllocationError::TooLarge`] for an amount too large to split.
pub fn spread_monthly(
    covered: &DateRange,
    amount: Decimal,
) -> Result<Vec<(Month, u32, Decimal)>, AllocationError> {
    let months = covered.months();
    let weights: Vec<u64> = months
        .iter()
        .map(|&(month, days)| u64::from(days) * (MONTH_LCM / u64::from(month.days())))
        .collect();
    let shares = allocate(amount, &weights)?;
    Ok(months
        .into_iter()
        .zip(shares)
        .map(|((month, days), share)| (month, days, share))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d<T: std::str::FromStr>(s: &str) -> T
    where
        T::Err: std::fmt::Debug,
    {
        s.parse().unwrap()
    }

    #[test]
    fn a_year_is_twelve_equal_months_and_a_partial_month_its_fraction() {
        let year = DateRange::new(d("2027-01-01"), d("2027-12-31")).unwrap();
        let shares = spread_monthly(&year, d("1200.00")).unwrap();
        assert_eq!(shares.len(), 12);
        assert!(shares.iter().all(|s| s.2 == d("100.00")));

        // Start-aligned month 15 Jan – 14 Feb: 17/31 of January, 14/28 of February.
        let r = DateRange::new(d("2027-01-15"), d("2027-02-14")).unwrap();
        let shares = spread_monthly(&r, d("100.00")).unwrap();
        // 100 × (17/31) / (17/31 + 1/2) = 52.31…, the rest 47.69.
        assert_eq!(
            shares,
            [
                (d("2027-01"), 17, d("52.31")),
                (d("2027-02"), 14, d("47.69"))
            ]
        );
    }
}
