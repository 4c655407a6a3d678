//! Business-day stepping on a [`BusinessCalendar`]: a local date is a business day when the
//! calendar has any opening interval on it (after holidays and dated exceptions). Without a
//! calendar, Monday to Friday are business days.
//!
//! Recurrence adjustment ([`NonBusinessDay`](crate::recurrence::NonBusinessDay)) steps with
//! these; they are also the native twins of the Rhai helpers `is_business_day`,
//! `next_business_day` and `previous_business_day` (see [`crate::rules::datetime`]).

use chrono::{Datelike, NaiveDate, Weekday};

use crate::model::BusinessCalendar;

/// How far [`next_business_day`] and [`previous_business_day`] search before giving up: a
/// calendar closed for more than a year has no business day for our purposes.
pub const MAX_BUSINESS_DAY_SEARCH: u32 = 366;

/// Whether `date` is a business day of `calendar` (any opening interval); without a calendar,
/// whether it is Monday to Friday.
///
/// ```
/// use chrono::NaiveDate;
/// use fieldwork::calendar::is_business_day;
/// let saturday = NaiveDate::from_ymd_opt(2027, 3, 6).unwrap();
/// assert!(!is_business_day(saturday, None));
/// assert!(is_business_day(saturday.succ_opt().unwrap().succ_opt().unwrap(), None));
/// ```
pub fn is_business_day(date: NaiveDate, calendar: Option<&BusinessCalendar>) -> bool {
    match calendar {
        Some(calendar) => calendar.is_open_on(date),
        None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
    }
}

/// The first business day strictly after `date`, searching at most
/// [`MAX_BUSINESS_DAY_SEARCH`] days; `None` when there is none.
pub fn next_business_day(
    date: NaiveDate,
    calendar: Option<&BusinessCalendar>,
) -> Option<NaiveDate> {
    date.iter_days()
        .skip(1)
        .take(MAX_BUSINESS_DAY_SEARCH as usize)
        .find(|d| is_business_day(*d, calendar))
}

/// The last business day strictly before `date`, searching at most
/// [`MAX_BUSINESS_DAY_SEARCH`] days; `None` when there is none.
pub fn previous_business_day(
    date: NaiveDate,
    calendar: Option<&BusinessCalendar>,
) -> Option<NaiveDate> {
    date.iter_days()
        .rev()
        .skip(1)
        .take(MAX_BUSINESS_DAY_SEARCH as usize)
        .find(|d| is_business_day(*d, calendar))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, m, day).unwrap()
    }

    fn berlin() -> BusinessCalendar {
        BusinessCalendar::from_json(
            r#"{"id":"berlin","time_zone":"Europe/Berlin",
                "weekly":{"mon":[["08:00","17:00"]],"tue":[["08:00","17:00"]],
                          "wed":[["08:00","17:00"]],"thu":[["08:00","17:00"]],
                          "fri":[["08:00","17:00"]]},
                "holidays":["2027-03-26","2027-03-29"],
                "exceptions":{"2027-03-27":[["09:00","12:00"]],"2027-03-31":[]}}"#,
        )
        .unwrap()
    }

    #[test]
    fn holidays_exceptions_and_weekly_days_decide() {
        let cal = berlin();
        assert!(!is_business_day(d(3, 26), Some(&cal)), "holiday (Friday)");
        assert!(
            is_business_day(d(3, 27), Some(&cal)),
            "Saturday opened by exception"
        );
        assert!(!is_business_day(d(3, 28), Some(&cal)), "Sunday");
        assert!(
            !is_business_day(d(3, 31), Some(&cal)),
            "Wednesday closed by exception"
        );
        assert!(is_business_day(d(3, 30), Some(&cal)));
    }

    #[test]
    fn next_and_previous_are_strict_and_skip_closed_days() {
        let cal = berlin();
        assert_eq!(next_business_day(d(3, 25), Some(&cal)), Some(d(3, 27)));
        assert_eq!(next_business_day(d(3, 27), Some(&cal)), Some(d(3, 30)));
        assert_eq!(next_business_day(d(3, 30), Some(&cal)), Some(d(4, 1)));
        assert_eq!(previous_business_day(d(3, 30), Some(&cal)), Some(d(3, 27)));
        assert_eq!(previous_business_day(d(3, 27), Some(&cal)), Some(d(3, 25)));
        // Without a calendar: Monday to Friday.
        assert_eq!(next_business_day(d(3, 5), None), Some(d(3, 8)));
        assert_eq!(previous_business_day(d(3, 8), None), Some(d(3, 5)));
    }

    #[test]
    fn a_calendar_that_never_opens_has_no_business_day() {
        let closed =
            BusinessCalendar::from_json(r#"{"id":"closed","time_zone":"UTC","weekly":{}}"#)
                .unwrap();
        assert_eq!(next_business_day(d(3, 1), Some(&closed)), None);
        assert_eq!(previous_business_day(d(3, 1), Some(&closed)), None);
    }
}
