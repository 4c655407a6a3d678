//! Business-time arithmetic on [`BusinessCalendar`]s: deadlines ([`CompiledCalendar::add`]),
//! elapsed business time ([`CompiledCalendar::between`]) and the next opening
//! ([`CompiledCalendar::next_open`]), in UTC instants, to the second.
//!
//! Calendar owns business time for every engine (SLA, recurrence, dispatch) and for the rule
//! runtime's Rhai helpers: the arithmetic above, business-day stepping ([`is_business_day`],
//! [`next_business_day`], [`previous_business_day`]), local days and local date-time texts
//! ([`start_of_day`], [`parse_local`]). It imports only the model.
//!
//! # Semantics
//!
//! * **Business time is real elapsed time** inside opening intervals. Intervals are local
//!   wall-clock time of the calendar's zone on that local date. On a DST change day an interval
//!   that spans the switch is shorter or longer (a 24×7 calendar's spring day has 23 hours).
//! * **Nonexistent local times are never open; repeated local times are open twice** (a
//!   `02:00–03:00` interval on the autumn switch day in Berlin counts two hours).
//! * A **holiday** closes its whole local date; an **exception** replaces that date's weekly
//!   intervals (an empty exception closes the date). A date that is both is a holiday.
//! * A **start outside opening hours** begins counting at the next opening.
//! * A **deadline that exactly fills a window ends at that window's close** (due at 17:00, not
//!   at the next day's 09:00): `add` returns the earliest instant at which the duration has
//!   elapsed. A **zero duration returns the start** unchanged.
//! * `between(a, b)` is the business time in `[a, b)`, negative when `b < a`; `add` and
//!   `between` are inverse: `between(s, add(s, d)) == d`.
//! * A calendar with **no opening time within ten years** (3,652 whole local days) of where
//!   counting stands is an error ([`CalendarError::NoOpening`]), never a loop.
//! * Instants are whole seconds between 1900-01-01 and 2199-12-31 UTC.
//! * The calendar id [`ALWAYS_OPEN_ID`] (`"24x7"`) names a built-in always-open calendar.
//!
//! # Open stretches and local days
//!
//! [`OpenStretches`] expands a calendar over a span of instants into its maximal open
//! stretches `[start, end)` (touching intervals, such as `20:00–24:00` and the next day's
//! `00:00–06:00`, merge) and the span's local days, with binary-search lookups: the stretch
//! containing or following an instant, the local date and day index of an instant. Dispatch
//! fits jobs into them. [`start_of_day`] is the instant a local date begins, [`local_instant`]
//! the instant of a local wall-clock time.
//!
//! # What lives where
//!
//! This module is the one place calendar-local time becomes UTC instants: every DST rule
//! (a skipped local time is never open and begins at the switch; a repeated one is open twice)
//! is implemented here once, for the arithmetic, the stretches and the day starts alike, and
//! the property tests check the stretches against [`CompiledCalendar::is_open`] and
//! [`CompiledCalendar::between`]. The calendar's *data* — zone, weekly hours, holidays,
//! exceptions, their validation, and [`BusinessCalendar::intervals_on`], the one lookup of a
//! local date's intervals — is [`crate::model::BusinessCalendar`]'s.
//!
//! # Cost
//!
//! [`CompiledCalendar`] is built once per calendar: per-weekday prefix sums, the weekly total,
//! and a sorted index of holidays and exceptions with prefix sums of their differences. `add`
//! and `between` then cost O(log h) for h overrides per piece of constant UTC offset (a DST
//! year has three pieces), independent of the duration: `benches/sla.rs` shows a
//! 2,000-business-hour deadline costs less than three times a 1-hour one.
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use fieldwork::calendar::CompiledCalendar;
//! use fieldwork::model::BusinessCalendar;
//! let cal = BusinessCalendar::from_json(r#"{"id": "berlin", "time_zone": "Europe/Berlin",
//!   "weekly": {"fri": [["08:00","17:00"]], "mon": [["08:00","17:00"]]},
//!   "holidays": ["2027-03-08"]}"#).unwrap();
//! let cal = CompiledCalendar::new(&cal).unwrap();
//! let friday_16 = Utc.with_ymd_and_hms(2027, 3, 5, 15, 0, 0).unwrap(); // 16:00 CET
//! // One hour fills Friday to its close; two hours skip the Monday holiday.
//! assert_eq!(cal.add(friday_16, TimeDelta::hours(1)).unwrap(),
//!            Utc.with_ymd_and_hms(2027, 3, 5, 16, 0, 0).unwrap());
//! assert_eq!(cal.add(friday_16, TimeDelta::hours(2)).unwrap(),
//!            Utc.with_ymd_and_hms(2027, 3, 12, 8, 0, 0).unwrap());
//! ```

mod arith;
mod business_days;
mod compiled;
mod error;
mod local_day;
mod stretches;
mod zone;

pub use business_days::{
    is_business_day, next_business_day, previous_business_day, MAX_BUSINESS_DAY_SEARCH,
};
pub use compiled::{always_open_calendar, CompiledCalendar, ALWAYS_OPEN_ID, TEN_YEARS_DAYS};
pub use error::{parse_instant, CalendarError};
pub use local_day::local_instant;
pub use local_day::parse_local;
pub use local_day::start_of_day;
#[cfg(test)]
pub(crate) use stretches::fixtures as test_fixtures;
pub use stretches::OpenStretches;
pub use zone::{END_YEAR, FIRST_YEAR};

use chrono::{DateTime, TimeDelta, Utc};

use crate::model::BusinessCalendar;

/// Compiles `calendar` and computes one deadline; prefer [`CompiledCalendar`] for repeated use.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use fieldwork::{calendar, model::BusinessCalendar};
/// let cal = BusinessCalendar::from_json(
///     r#"{"id": "o", "time_zone": "UTC", "weekly": {"mon": [["08:00","17:00"]]}}"#).unwrap();
/// let start = Utc.with_ymd_and_hms(2027, 3, 1, 16, 0, 0).unwrap();
/// assert_eq!(calendar::add(&cal, start, TimeDelta::hours(2)).unwrap(),
///            Utc.with_ymd_and_hms(2027, 3, 8, 9, 0, 0).unwrap());
/// ```
pub fn add(
    calendar: &BusinessCalendar,
    start: DateTime<Utc>,
    duration: TimeDelta,
) -> Result<DateTime<Utc>, CalendarError> {
    CompiledCalendar::new(calendar)?.add(start, duration)
}

/// Compiles `calendar` and computes the business time from `a` to `b` (see
/// [`CompiledCalendar::between`]).
pub fn between(
    calendar: &BusinessCalendar,
    a: DateTime<Utc>,
    b: DateTime<Utc>,
) -> Result<TimeDelta, CalendarError> {
    CompiledCalendar::new(calendar)?.between(a, b)
}

/// Compiles `calendar` and finds the first open instant at or after `t` (see
/// [`CompiledCalendar::next_open`]).
pub fn next_open(
    calendar: &BusinessCalendar,
    t: DateTime<Utc>,
) -> Result<DateTime<Utc>, CalendarError> {
    CompiledCalendar::new(calendar)?.next_open(t)
}
