//! Money arithmetic: rounding to the currency scale and splitting an amount into parts that add
//! up exactly.
//!
//! # Rounding
//!
//! Amounts are [`Decimal`]s rounded to [`CURRENCY_SCALE`] (2) places *half-up*, i.e. half a
//! cent rounds away from zero ([`RoundingStrategy::MidpointAwayFromZero`]): `12.905 → 12.91`,
//! `-12.905 → -12.91`, `12.9032 → 12.90`.
//!
//! # Allocation
//!
//! [`allocate`] splits a total into parts proportional to integer weights (days, for
//! proration) so that the parts add up to the total *exactly*:
//!
//! 1. each part is its exact share `total × weight / Σweights`, rounded half-up to cents;
//! 2. if the rounded parts miss the total, the difference — at most half a cent per part, so
//!    never more than one cent for any one part — is settled a cent at a time: when the parts
//!    fall short, the parts that were rounded *down* the most get one cent more; when they
//!    exceed the total, the parts rounded *up* the most give one cent back. Ties go to the
//!    earlier part.
//!
//! Every part therefore differs from its exact share by less than one cent, and when plain
//! half-up rounding already adds up (the common case) the parts are exactly the half-up ones.

use rust_decimal::{Decimal, RoundingStrategy};
use thiserror::Error;

/// Decimal places of currency amounts.
pub const CURRENCY_SCALE: u32 = 2;

/// Rounds an amount to cents, half-up (half a cent away from zero).
///
/// ```
/// use fieldwork::billing::round_money;
/// use rust_decimal::Decimal;
/// let d = |s: &str| s.parse::<Decimal>().unwrap();
/// assert_eq!(round_money(d("12.905")), d("12.91"));
/// assert_eq!(round_money(d("-12.905")), d("-12.91"));
/// assert_eq!(round_money(d("12.9032")), d("12.90"));
/// assert_eq!(round_money(d("7")).to_string(), "7.00");
/// ```
pub fn round_money(amount: Decimal) -> Decimal {
    let mut rounded =
        amount.round_dp_with_strategy(CURRENCY_SCALE, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(CURRENCY_SCALE);
    rounded
}

/// An allocation that cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AllocationError {
    /// All weights are zero (or there are none): there is nothing to be proportional to.
    #[error("cannot allocate over zero total weight")]
    ZeroWeight,
    /// The amount times a weight does not fit 128-bit integer cents.
    #[error("amount {0} is too large to allocate")]
    TooLarge(Decimal),
}

/// Splits `total` (rounded to cents first, half-up) into parts proportional to `weights`, so
/// that the parts add up to the rounded total exactly; see [the rounding rule](crate::billing#rounding)
/// for the rule. Parts are returned in the order of the weights, at scale 2.
///
/// ```
/// use fieldwork::billing::allocate;
/// use rust_decimal::Decimal;
/// let d = |s: &str| s.parse::<Decimal>().unwrap();
/// // EUR 200.00 over March: 29 days covered, 2 days not.
/// assert_eq!(allocate(d("200.00"), &[29, 2]).unwrap(), [d("187.10"), d("12.90")]);
/// // Three equal thirds of 100.00: the first part takes the remaining cent.
/// assert_eq!(allocate(d("100"), &[1, 1, 1]).unwrap(), [d("33.34"), d("33.33"), d("33.33")]);
/// ```
///
/// # Errors
/// [`AllocationError::ZeroWeight`] when the weights sum to zero; [`AllocationError::TooLarge`]
/// when the arithmetic would overflow.
pub fn allocate(total: Decimal, weights: &[u64]) -> Result<Vec<Decimal>, AllocationError> {
    let total = round_money(total);
    let too_large = || AllocationError::TooLarge(total);
    let weight_sum: i128 = weights.iter().map(|&w| i128::from(w)).sum();
    if weight_sum == 0 {
        return Err(AllocationError::ZeroWeight);
    }
    // Integer cents: the mantissa of a scale-2 decimal.
    let cents = total.mantissa();
    let mut parts = Vec::with_capacity(weights.len());
    // (rounding error in 1/weight_sum cents, index): positive when the part was rounded down.
    let mut errors = Vec::with_capacity(weights.len());
    let mut allocated: i128 = 0;
    for (i, &w) in weights.iter().enumerate() {
        let numerator = cents.checked_mul(i128::from(w)).ok_or_else(too_large)?;
        let part = div_half_away(numerator, weight_sum).ok_or_else(too_large)?;
        let error = numerator - part * weight_sum;
        parts.push(part);
        errors.push((error, i));
        allocated += part;
    }
    let diff = cents - allocated;
    if diff != 0 {
        // Most rounded-down first when cents are missing, most rounded-up first otherwise;
        // the sort is stable so ties keep the earlier part first.
        if diff > 0 {
            errors.sort_by_key(|e| std::cmp::Reverse(e.0));
        } else {
            errors.sort_by_key(|e| e.0);
        }
        let step = diff.signum();
        for &(_, i) in errors.iter().take(diff.unsigned_abs() as usize) {
            parts[i] += step;
        }
    }
    parts
        .into_iter()
        .map(|c| Decimal::try_from_i128_with_scale(c, CURRENCY_SCALE).map_err(|_| too_large()))
        .collect()
}

/// `n / d` rounded half away from zero, for `d > 0`.
fn div_half_away(n: i128, d: i128) -> Option<i128> {
    let q = n.checked_abs()?.checked_mul(2)?.checked_add(d)? / d.checked_mul(2)?;
    Some(if n < 0 { -q } else { q })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_march_example() {
        // EUR 200.00 reduced for 2 of 31 days: 200 × 2 / 31 = 12.9032… → 12.90.
        let parts = allocate(d("200.00"), &[2, 29]).unwrap();
        assert_eq!(parts, [d("12.90"), d("187.10")]);
    }

    #[test]
    fn rounding_cases() {
        for (input, expected) in [
            ("0.005", "0.01"),
            ("0.004999", "0.00"),
            ("-0.005", "-0.01"),
            ("2.675", "2.68"),
            ("1.115", "1.12"),
            ("199.995", "200.00"),
            ("12.9032258", "12.90"),
        ] {
            assert_eq!(round_money(d(input)), d(expected), "{input}");
        }
    }

    #[test]
    fn remainder_rules() {
        // Short by a cent: the part rounded down the most (the earliest on a tie) gets it.
        assert_eq!(
            allocate(d("100"), &[1, 1, 1]).unwrap(),
            [d("33.34"), d("33.33"), d("33.33")]
        );
        // 0.10 over 4 equal parts: 0.025 each rounds up to 0.03 → 0.12, two cents too many:
        // all were rounded up equally, so the first two give one back.
        assert_eq!(
            allocate(d("0.10"), &[1, 1, 1, 1]).unwrap(),
            [d("0.02"), d("0.02"), d("0.03"), d("0.03")]
        );
        // Negative totals mirror positive ones.
        assert_eq!(
            allocate(d("-100"), &[1, 1, 1]).unwrap(),
            [d("-33.34"), d("-33.33"), d("-33.33")]
        );
        // Zero weights take nothing; the total is rounded to cents first.
        assert_eq!(
            allocate(d("10.005"), &[0, 3, 0]).unwrap(),
            [d("0"), d("10.01"), d("0")]
        );
        assert_eq!(allocate(d("1"), &[0, 0]), Err(AllocationError::ZeroWeight));
        assert!(matches!(
            allocate(Decimal::MAX, &[u64::MAX, 1]),
            Err(AllocationError::TooLarge(_))
        ));
    }

    /// Reference: exact rational shares in integer cents, rounded half-up by comparison
    /// (2·n ≥ (2q+1)·W), then the largest-remainder fix-up done by a full sort on
    /// (remainder, index) computed as fractions.
    fn reference(cents: i64, weights: &[u64]) -> Vec<i64> {
        let w_sum: i128 = weights.iter().map(|&w| w as i128).sum();
        let exact: Vec<i128> = weights.iter().map(|&w| cents as i128 * w as i128).collect();
        let mut parts: Vec<i128> = exact
            .iter()
            .map(|&n| {
                let mut q = n.div_euclid(w_sum);
                if 2 * (n - q * w_sum) >= w_sum {
                    q += 1;
                }
                q
            })
            .collect();
        let diff = cents as i128 - parts.iter().sum::<i128>();
        let mut order: Vec<usize> = (0..parts.len()).collect();
        let err = |i: usize, parts: &[i128]| exact[i] - parts[i] * w_sum;
        if diff > 0 {
            order.sort_by_key(|&i| (std::cmp::Reverse(err(i, &parts)), i));
        } else {
            order.sort_by_key(|&i| (err(i, &parts), i));
        }
        for &i in order.iter().take(diff.unsigned_abs() as usize) {
            parts[i] += diff.signum();
        }
        parts.into_iter().map(|p| p as i64).collect()
    }

    proptest! {
        #[test]
        fn parts_add_up_and_stay_within_a_cent(
            cents in 0i64..100_000_000,
            weights in proptest::collection::vec(0u64..400, 1..14),
        ) {
            prop_assume!(weights.iter().any(|&w| w > 0));
            let total = Decimal::new(cents, 2);
            let parts = allocate(total, &weights).unwrap();
            prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), total);
            let w_sum: u64 = weights.iter().sum();
            for (part, &w) in parts.iter().zip(&weights) {
                let exact = total * Decimal::from(w) / Decimal::from(w_sum);
                prop_assert!((*part - exact).abs() < d("0.01"), "{} vs {}", part, exact);
                prop_assert_eq!(part.scale(), 2);
            }
            let expected: Vec<Decimal> = reference(cents, &weights)
                .into_iter()
                .map(|c| Decimal::new(c, 2))
                .collect();
            prop_assert_eq!(parts, expected);
        }
    }
}
