//! Billing periods: the calendar month a billing run covers ([`Month`]), date ranges, and the
//! invoice periods of a subscription ([`InvoicePeriod`]) — monthly, quarterly or yearly, aligned
//! to calendar periods or to the subscription's start.
//!
//! # Invoice periods
//!
//! * **Calendar alignment**: periods are calendar months, quarters (Jan/Apr/Jul/Oct) or years.
//!   Period 0 is the one containing the subscription's start.
//! * **Start alignment**: period `k` runs from `start + k·n months` to the day before
//!   `start + (k+1)·n months`, always counted from the original start so the day never drifts;
//!   a start on the 31st gives periods starting on the last day of shorter months
//!   (Jan 31, Feb 28, Mar 31, Apr 30…).
//!
//! The *covered* days of a period are those within the subscription (`start..=end`); a period
//! whose covered days are fewer than its days is *partial* and is prorated.
//!
//! Each period is billed in exactly one run: the run of the month holding its first covered
//! day. Running every month once therefore bills every period once.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::error::BillingError;
use crate::model::{PeriodAlignment, Subscription};

/// A calendar month, written `YYYY-MM` (the period of a billing run).
///
/// ```
/// use fieldwork::billing::Month;
/// let march: Month = "2027-03".parse().unwrap();
/// assert_eq!(march.days(), 31);
/// assert_eq!(march.to_string(), "2027-03");
/// assert!("2027-13".parse::<Month>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    first: NaiveDate,
}

impl Month {
    /// The month `month` (1–12) of `year`; `None` when out of range.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|first| Self { first })
    }

    /// The month containing `date`.
    pub fn of(date: NaiveDate) -> Self {
        Self {
            first: date.with_day(1).unwrap_or(date),
        }
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.first.year()
    }

    /// The month number, 1–12.
    pub fn month(self) -> u32 {
        self.first.month()
    }

    /// The first day.
    pub fn first_day(self) -> NaiveDate {
        self.first
    }

    /// The last day.
    pub fn last_day(self) -> NaiveDate {
        self.next()
            .and_then(|m| m.first.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }

    /// Number of days (28–31).
    pub fn days(self) -> u32 {
        self.last_day().day()
    }

    /// The following month (`None` past the last representable date).
    pub fn next(self) -> Option<Self> {
        self.first
            .checked_add_months(Months::new(1))
            .map(|first| Self { first })
    }

    /// Months since year 0 (a linear month number).
    pub(crate) fn ordinal(self) -> i64 {
        i64::from(self.year()) * 12 + i64::from(self.month0())
    }

    fn month0(self) -> u32 {
        self.first.month0()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl FromStr for Month {
    type Err = BillingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BillingError::BadMonth {
            text: text.to_owned(),
        };
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        Month::new(year, month).ok_or_else(bad)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Days from `start` to `end`, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DateRange {
    /// First day.
    pub start: NaiveDate,
    /// Last day (inclusive).
    pub end: NaiveDate,
}

impl DateRange {
    /// The range, or `None` when `end < start`.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Option<Self> {
        (start <= end).then_some(Self { start, end })
    }

    /// Number of days, at least 1.
    pub fn days(&self) -> u32 {
        // A valid range spans at most a few million days.
        u32::try_from((self.end - self.start).num_days() + 1).unwrap_or(u32::MAX)
    }

    /// The overlap with another range.
    pub fn intersect(&self, other: &DateRange) -> Option<DateRange> {
        DateRange::new(self.start.max(other.start), self.end.min(other.end))
    }

    /// The calendar months the range touches, with the days of the range in each.
    pub fn months(&self) -> Vec<(Month, u32)> {
        let mut out = Vec::new();
        let mut month = Month::of(self.start);
        loop {
            let whole = DateRange {
                start: month.first_day(),
                end: month.last_day(),
            };
            if let Some(part) = self.intersect(&whole) {
                out.push((month, part.days()));
            }
            match month.next() {
                Some(next) if next.first_day() <= self.end => month = next,
                _ => break,
            }
        }
        out
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// One invoice period of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InvoicePeriod {
    /// Number of the period, 0 for the subscription's first.
    pub index: u32,
    /// The full (nominal) period.
    pub period: DateRange,
    /// The days of the period within the subscription.
    pub covered: DateRange,
}

impl InvoicePeriod {
    /// Whether some days of the period are outside the subscription (it is prorated).
    pub fn is_partial(&self) -> bool {
        self.covered != self.period
    }

    /// The run month that bills it: the month of its first covered day.
    pub fn billing_month(&self) -> Month {
        Month::of(self.covered.start)
    }

    /// Whole years from the subscription's start to the period's first covered day (0 during
    /// the first year): the basis of a yearly indexation.
    ///
    /// ```
    /// use fieldwork::billing::{DateRange, InvoicePeriod};
    /// let d = |s: &str| s.parse().unwrap();
    /// let march = DateRange::new(d("2027-03-01"), d("2027-03-31")).unwrap();
    /// let p = InvoicePeriod { index: 24, period: march, covered: march };
    /// assert_eq!(p.years_since_start(d("2025-03-01")), 2);
    /// assert_eq!(p.years_since_start(d("2025-03-02")), 1);
    /// ```
    pub fn years_since_start(&self, subscription_start: NaiveDate) -> u32 {
        whole_years(subscription_start, self.covered.start)
    }

    /// The days of the period outside the subscription: before its start and after its end.
    pub fn uncovered(&self) -> (Option<DateRange>, Option<DateRange>) {
        let before = self
            .covered
            .start
            .pred_opt()
            .and_then(|end| DateRange::new(self.period.start, end));
        let after = self
            .covered
            .end
            .succ_opt()
            .and_then(|start| DateRange::new(start, self.period.end));
        (before, after)
    }
}

/// Period `index` of a subscription, or `None` when the subscription has ended before it.
///
/// ```
/// use fieldwork::billing::invoice_period;
/// use fieldwork::model::{BillingFrequency, PeriodAlignment, Subscription};
/// let d = |s: &str| s.parse().unwrap();
/// let sub = Subscription { id: "S-1".into(), customer: "C-1".into(), agreement: None,
///     fee: "300".parse().unwrap(), currency: "EUR".into(),
///     frequency: BillingFrequency::Quarterly, alignment: PeriodAlignment::Calendar,
///     start: d("2027-02-10"), end: None };
/// let first = invoice_period(&sub, 0).unwrap().unwrap();
/// assert_eq!(first.period.to_string(), "2027-01-01..2027-03-31");
/// assert_eq!(first.covered.to_string(), "2027-02-10..2027-03-31");
/// assert_eq!(invoice_period(&sub, 1).unwrap().unwrap().period.start, d("2027-04-01"));
/// ```
///
/// # Errors
/// [`BillingError::DateOutOfRange`] when the period lies beyond the representable dates.
pub fn invoice_period(
    sub: &Subscription,
    index: u32,
) -> Result<Option<InvoicePeriod>, BillingError> {
    let out_of_range = || BillingError::DateOutOfRange {
        subscription: sub.id.clone(),
    };
    let n = sub.frequency.months();
    let months = |k: u32| k.checked_mul(n).map(Months::new).ok_or_else(out_of_range);
    let anchor = match sub.alignment {
        PeriodAlignment::Start => sub.start,
        PeriodAlignment::Calendar => {
            let m = Month::of(sub.start);
            let first_month0 = m.month0() - m.month0() % n;
            NaiveDate::from_ymd_opt(m.year(), first_month0 + 1, 1).ok_or_else(out_of_range)?
        }
    };
    let start = anchor
        .checked_add_months(months(index)?)
        .ok_or_else(out_of_range)?;
    let end = anchor
        .checked_add_months(months(index.checked_add(1).ok_or_else(out_of_range)?)?)
        .and_then(|next| next.pred_opt())
        .ok_or_else(out_of_range)?;
    let period = DateRange { start, end };
    let life = DateRange {
        start: sub.start,
        end: sub.end.unwrap_or(NaiveDate::MAX),
    };
    Ok(period.intersect(&life).map(|covered| InvoicePeriod {
        index,
        period,
        covered,
    }))
}

/// The invoice period of `sub` billed in the run of `month`, if any (see the
/// [billing docs](crate::billing#periods)). Constant time: no iteration from the subscription's start.
///
/// # Errors
/// [`BillingError::DateOutOfRange`] when the period lies beyond the representable dates.
pub fn period_billed_in(
    sub: &Subscription,
    month: Month,
) -> Result<Option<InvoicePeriod>, BillingError> {
    let start_month = Month::of(sub.start);
    let index = if month == start_month {
        0
    } else {
        let n = i64::from(sub.frequency.months());
        // Calendar periods begin in months that are multiples of n; start-aligned ones
        // every n months after the start month.
        let anchor = match sub.alignment {
            PeriodAlignment::Start => start_month.ordinal(),
            PeriodAlignment::Calendar => {
                start_month.ordinal() - start_month.ordinal().rem_euclid(n)
            }
        };
        let diff = month.ordinal() - anchor;
        if diff <= 0 || diff % n != 0 {
            return Ok(None);
        }
        match u32::try_from(diff / n) {
            Ok(k) => k,
            Err(_) => return Ok(None),
        }
    };
    Ok(invoice_period(sub, index)?.filter(|p| p.billing_month() == month))
}

/// Whole years from `from` to `to` (0 when `to` is before the first anniversary); a start on
/// 29 February has its anniversary on 28 February in common years.
fn whole_years(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut years = to.year() - from.year();
    let anniversary = from
        .checked_add_months(Months::new(12 * years.max(0).unsigned_abs()))
        .unwrap_or(NaiveDate::MAX);
    if anniversary > to {
        years -= 1;
    }
    years.max(0).unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BillingFrequency;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn sub(
        freq: BillingFrequency,
        align: PeriodAlignment,
        start: &str,
        end: Option<&str>,
    ) -> Subscription {
        Subscription {
            id: "S-1".into(),
            customer: "C-1".into(),
            agreement: None,
            fee: "100".parse().unwrap(),
            currency: "EUR".into(),
            frequency: freq,
            alignment: align,
            start: d(start),
            end: end.map(d),
        }
    }

    fn m(s: &str) -> Month {
        s.parse().unwrap()
    }

    #[test]
    fn months_parse_strictly() {
        for bad in [
            "2027-3",
            "27-03",
            "2027/03",
            "2027-00",
            "2027-13",
            "",
            "2027-03-01",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
        assert_eq!(m("2028-02").days(), 29);
        assert_eq!(m("2027-12").next(), Some(m("2028-01")));
        let json = serde_json::to_string(&m("2027-03")).unwrap();
        assert_eq!(json, "\"2027-03\"");
        assert_eq!(serde_json::from_str::<Month>(&json).unwrap(), m("2027-03"));
    }

    #[test]
    fn start_aligned_periods_keep_their_anchor_day() {
        let s = sub(
            BillingFrequency::Monthly,
            PeriodAlignment::Start,
            "2027-01-31",
            None,
        );
        let starts: Vec<String> = (0..4)
            .map(|k| invoice_period(&s, k).unwrap().unwrap().period.to_string())
            .collect();
        assert_eq!(
            starts,
            [
                "2027-01-31..2027-02-27",
                "2027-02-28..2027-03-30",
                "2027-03-31..2027-04-29",
                "2027-04-30..2027-05-30"
            ]
        );
    }

    #[test]
    fn the_run_month_picks_the_period_by_its_first_covered_day() {
        let q = sub(
            BillingFrequency::Quarterly,
            PeriodAlignment::Calendar,
            "2027-02-10",
            Some("2027-08-15"),
        );
        let billed = |month: &str| period_billed_in(&q, m(month)).unwrap().map(|p| p.index);
        assert_eq!(billed("2027-01"), None);
        assert_eq!(billed("2027-02"), Some(0));
        assert_eq!(billed("2027-03"), None);
        assert_eq!(billed("2027-04"), Some(1));
        assert_eq!(billed("2027-07"), Some(2));
        assert_eq!(billed("2027-10"), None, "ended in August");
        let p = period_billed_in(&q, m("2027-07")).unwrap().unwrap();
        assert_eq!(p.covered.to_string(), "2027-07-01..2027-08-15");
        assert_eq!(
            p.uncovered().1.unwrap().to_string(),
            "2027-08-16..2027-09-30"
        );

        let y = sub(
            BillingFrequency::Yearly,
            PeriodAlignment::Start,
            "2026-05-20",
            None,
        );
        let p = period_billed_in(&y, m("2028-05")).unwrap().unwrap();
        assert_eq!(p.period.to_string(), "2028-05-20..2029-05-19");
        assert!(period_billed_in(&y, m("2028-06")).unwrap().is_none());
        assert!(period_billed_in(&y, m("2025-05")).unwrap().is_none());
    }

    #[test]
    fn whole_years_count_anniversaries() {
        assert_eq!(whole_years(d("2025-03-01"), d("2027-02-28")), 1);
        assert_eq!(whole_years(d("2025-03-01"), d("2027-03-01")), 2);
        assert_eq!(whole_years(d("2024-02-29"), d("2025-02-28")), 1);
        assert_eq!(whole_years(d("2027-03-01"), d("2026-01-01")), 0);
    }

    #[test]
    fn months_of_a_range() {
        let r = DateRange::new(d("2027-01-20"), d("2027-03-05")).unwrap();
        assert_eq!(
            r.months(),
            [(m("2027-01"), 12), (m("2027-02"), 28), (m("2027-03"), 5)]
        );
    }

    fn freq() -> impl Strategy<Value = BillingFrequency> {
        prop_oneof![
            Just(BillingFrequency::Monthly),
            Just(BillingFrequency::Quarterly),
            Just(BillingFrequency::Yearly)
        ]
    }

    proptest! {
        /// Reference: walk the subscription day by day; the periods billed month by month
        /// must cover every day exactly once, in order, without overlap.
        #[test]
        fn monthly_runs_bill_every_covered_day_once(
            f in freq(),
            calendar in any::<bool>(),
            start_offset in 0i64..800,
            length in 0i64..900,
        ) {
            let start = d("2026-01-01") + chrono::Duration::days(start_offset);
            let end = start + chrono::Duration::days(length);
            let align = if calendar { PeriodAlignment::Calendar } else { PeriodAlignment::Start };
            let s = Subscription { start, end: Some(end), ..sub(f, align, "2026-01-01", None) };
            let mut covered = Vec::new();
            let mut month = Month::of(start - chrono::Duration::days(40));
            while month.first_day() <= end + chrono::Duration::days(400) {
                if let Some(p) = period_billed_in(&s, month).unwrap() {
                    prop_assert_eq!(p.billing_month(), month);
                    prop_assert!(p.period.start <= p.covered.start && p.covered.end <= p.period.end);
                    let days = (p.covered.end - p.covered.start).num_days();
                    covered.extend((0..=days).map(|i| p.covered.start + chrono::Duration::days(i)));
                }
                month = month.next().unwrap();
            }
            let expected: Vec<NaiveDate> =
                (0..=length).map(|i| start + chrono::Duration::days(i)).collect();
            prop_assert_eq!(covered, expected);
        }
    }
}
