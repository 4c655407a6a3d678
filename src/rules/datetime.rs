//! Business time as rules see it: the `DateTime` value type (a local wall-clock date and time,
//! e.g. an occurrence in the customer's zone) and the business-day helpers
//! `is_business_day`, `next_business_day` and `previous_business_day`.
//!
//! The rule runtime owns these Rhai types and functions; the stepping itself is
//! [`calendar`](crate::calendar)'s ([`is_business_day`], [`next_business_day`],
//! [`previous_business_day`]), so a helper and its native twin cannot disagree. Engines pass
//! [`RuleDateTime`] values to their hooks and read them back from the results (recurrence's
//! `adjust_occurrence`).
//!
//! | Rhai | meaning |
//! |---|---|
//! | `is_business_day(dt, calendar)` | whether `dt`'s date is a business day (`calendar` may be `()`: Monday to Friday) |
//! | `next_business_day(dt, calendar)`, `previous_business_day(dt, calendar)` | strictly after / before, same time of day; an error when there is none within [`MAX_BUSINESS_DAY_SEARCH`] days |
//! | `calendar.is_business_day(dt)`, `calendar.is_holiday(dt)`, `calendar.next_business_day(dt)`, `calendar.previous_business_day(dt)` | the same as methods of the `BusinessCalendar` value; `()` when there is none |
//!
//! Each takes a `DateTime` or a date / local date-time text (and then returns text). The
//! text-only methods of `BusinessCalendar` are those of [`domain`](super::domain).

use std::fmt;
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use rhai::{Dynamic, Engine, EvalAltResult, Position, INT};

use crate::calendar::{
    is_business_day, next_business_day, parse_local, previous_business_day, MAX_BUSINESS_DAY_SEARCH,
};
use crate::model::BusinessCalendar;

/// The calendar value of the rule runtime ([`domain::calendar`](super::domain::calendar)).
type Calendar = Arc<BusinessCalendar>;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A local wall-clock date and time as rules see it (Rhai type `DateTime`).
///
/// In Rhai: getters `year`, `month`, `day`, `hour`, `minute`, `second`, `weekday` (1 = Monday
/// … 7 = Sunday), `weekday_name` (`"mon"`…), `date` (`"2027-03-01"`), `time` (`"09:00"`);
/// functions `add_days(n)`, `add_hours(n)`, `add_minutes(n)`, `with_time(h, m)`,
/// `datetime("2027-03-01T09:00")`, `datetime(y, mo, d, h, mi)`, `date(y, mo, d)`; comparison
/// operators; `to_string` gives `"2027-03-01T09:00:00"`, the runtime's local date-time text,
/// and the runtime's date helpers `weekday`, `date_of`, `days_between` accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleDateTime(pub NaiveDateTime);

impl fmt::Display for RuleDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%S"))
    }
}

fn rule_error(message: String) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(message.into(), Position::NONE))
}

fn calendar_of(calendar: &Dynamic) -> RhaiResult<Option<Calendar>> {
    if calendar.is_unit() {
        return Ok(None);
    }
    calendar
        .clone()
        .try_cast::<Calendar>()
        .map(Some)
        .ok_or_else(|| {
            rule_error(format!(
                "expected a BusinessCalendar or (), got {}",
                calendar.type_name()
            ))
        })
}

type Search = fn(NaiveDate, Option<&BusinessCalendar>) -> Option<NaiveDate>;

/// The business day found by `search` from `dt`'s date, at `dt`'s time of day.
fn shift(
    dt: NaiveDateTime,
    calendar: Option<&BusinessCalendar>,
    search: Search,
) -> Option<NaiveDateTime> {
    search(dt.date(), calendar).map(|d| d.and_time(dt.time()))
}

/// As [`shift`], or a rule error naming the direction when there is none within a year.
fn shift_or_error(
    dt: NaiveDateTime,
    calendar: &Dynamic,
    search: Search,
    direction: &str,
) -> RhaiResult<NaiveDateTime> {
    let calendar = calendar_of(calendar)?;
    shift(dt, calendar.as_deref(), search).ok_or_else(|| {
        rule_error(format!(
            "no {direction} business day within {MAX_BUSINESS_DAY_SEARCH} days of {}",
            dt.date()
        ))
    })
}

/// A date or date-time text as the runtime writes them; a date-only text is midnight and
/// keeps its date-only form when written back.
fn parse_text(text: &str) -> RhaiResult<NaiveDateTime> {
    parse_local(text).ok_or_else(|| rule_error(format!("`{text}` is not YYYY-MM-DD[THH:MM[:SS]]")))
}

fn write_like(text: &str, dt: NaiveDateTime) -> String {
    if text.trim().len() == 10 {
        dt.date().to_string()
    } else {
        RuleDateTime(dt).to_string()
    }
}

fn checked(dt: RuleDateTime, delta: Option<Duration>) -> RhaiResult<RuleDateTime> {
    delta
        .and_then(|d| dt.0.checked_add_signed(d))
        .map(RuleDateTime)
        .ok_or_else(|| rule_error(format!("{dt}: date/time out of range")))
}

fn ymd(y: INT, m: INT, d: INT, h: INT, mi: INT) -> RhaiResult<RuleDateTime> {
    let part = |v: INT| u32::try_from(v).ok();
    i32::try_from(y)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, part(m)?, part(d)?))
        .and_then(|date| date.and_hms_opt(part(h)?, part(mi)?, 0))
        .map(RuleDateTime)
        .ok_or_else(|| rule_error(format!("invalid date/time {y}-{m}-{d} {h}:{mi}")))
}

/// Registers the `DateTime` type, its functions and the business-day helpers on `engine`
/// (after [`domain`](super::domain)'s registration, whose `BusinessCalendar` they extend).
pub(crate) fn register(engine: &mut Engine) {
    engine.register_type_with_name::<RuleDateTime>("DateTime");
    register_datetime(engine);
    register_business_days(engine);
}

fn register_business_days(engine: &mut Engine) {
    // Free functions `f(date, calendar)`: calendar may be (); none within a year is an error.
    engine
        .register_fn("is_business_day", |dt: RuleDateTime, cal: Dynamic| {
            calendar_of(&cal).map(|c| is_business_day(dt.0.date(), c.as_deref()))
        })
        .register_fn("next_business_day", |dt: RuleDateTime, cal: Dynamic| {
            shift_or_error(dt.0, &cal, next_business_day, "next").map(RuleDateTime)
        })
        .register_fn("previous_business_day", |dt: RuleDateTime, cal: Dynamic| {
            shift_or_error(dt.0, &cal, previous_business_day, "previous").map(RuleDateTime)
        })
        .register_fn("is_business_day", |text: &str, cal: Dynamic| {
            let dt = parse_text(text)?;
            calendar_of(&cal).map(|c| is_business_day(dt.date(), c.as_deref()))
        })
        .register_fn("next_business_day", |text: &str, cal: Dynamic| {
            let dt = shift_or_error(parse_text(text)?, &cal, next_business_day, "next")?;
            Ok::<_, Box<EvalAltResult>>(write_like(text, dt))
        })
        .register_fn("previous_business_day", |text: &str, cal: Dynamic| {
            let dt = shift_or_error(parse_text(text)?, &cal, previous_business_day, "previous")?;
            Ok::<_, Box<EvalAltResult>>(write_like(text, dt))
        });
    // Methods of the runtime's calendar value taking a DateTime (its own take texts); like
    // them, they return () when there is no business day within a year.
    let found =
        |dt: Option<NaiveDateTime>| dt.map_or(Dynamic::UNIT, |d| Dynamic::from(RuleDateTime(d)));
    engine
        .register_fn("is_business_day", |c: &mut Calendar, dt: RuleDateTime| {
            c.is_open_on(dt.0.date())
        })
        .register_fn("is_holiday", |c: &mut Calendar, dt: RuleDateTime| {
            c.holidays.contains(&dt.0.date())
        })
        .register_fn(
            "next_business_day",
            move |c: &mut Calendar, dt: RuleDateTime| {
                found(shift(dt.0, Some(c), next_business_day))
            },
        )
        .register_fn(
            "previous_business_day",
            move |c: &mut Calendar, dt: RuleDateTime| {
                found(shift(dt.0, Some(c), previous_business_day))
            },
        )
        .register_fn("previous_business_day", |c: &mut Calendar, text: &str| {
            let dt = parse_text(text)?;
            Ok::<_, Box<EvalAltResult>>(
                shift(dt, Some(c), previous_business_day)
                    .map_or(Dynamic::UNIT, |d| Dynamic::from(write_like(text, d))),
            )
        });
}

fn register_datetime(engine: &mut Engine) {
    let int = |v: u32| INT::from(v);
    engine
        .register_get("year", |d: &mut RuleDateTime| INT::from(d.0.year()))
        .register_get("month", move |d: &mut RuleDateTime| int(d.0.month()))
        .register_get("day", move |d: &mut RuleDateTime| int(d.0.day()))
        .register_get("hour", move |d: &mut RuleDateTime| int(d.0.hour()))
        .register_get("minute", move |d: &mut RuleDateTime| int(d.0.minute()))
        .register_get("second", move |d: &mut RuleDateTime| int(d.0.second()))
        .register_get("weekday", move |d: &mut RuleDateTime| {
            int(d.0.weekday().number_from_monday())
        })
        .register_get("weekday_name", |d: &mut RuleDateTime| weekday_name(d.0))
        .register_get("date", |d: &mut RuleDateTime| d.0.date().to_string())
        .register_get("time", |d: &mut RuleDateTime| {
            d.0.format("%H:%M").to_string()
        })
        .register_fn("to_string", |d: &mut RuleDateTime| d.to_string())
        .register_fn("to_debug", |d: &mut RuleDateTime| format!("DateTime({d})"))
        .register_fn("add_days", |d: RuleDateTime, n: INT| {
            checked(d, Duration::try_days(n))
        })
        .register_fn("add_hours", |d: RuleDateTime, n: INT| {
            checked(d, Duration::try_hours(n))
        })
        .register_fn("add_minutes", |d: RuleDateTime, n: INT| {
            checked(d, Duration::try_minutes(n))
        })
        .register_fn("with_time", |d: RuleDateTime, h: INT, m: INT| {
            let date = d.0.date();
            ymd(
                date.year().into(),
                date.month().into(),
                date.day().into(),
                h,
                m,
            )
        })
        .register_fn("datetime", |text: &str| parse_text(text).map(RuleDateTime))
        .register_fn("datetime", ymd)
        .register_fn("date", |y: INT, m: INT, d: INT| ymd(y, m, d, 0, 0))
        // The runtime's date helpers, for DateTime values.
        .register_fn("weekday", |d: RuleDateTime| weekday_name(d.0))
        .register_fn("date_of", |d: RuleDateTime| d.0.date().to_string())
        .register_fn("days_between", |a: RuleDateTime, b: RuleDateTime| {
            (b.0.date() - a.0.date()).num_days()
        })
        .register_fn("==", |a: RuleDateTime, b: RuleDateTime| a == b)
        .register_fn("!=", |a: RuleDateTime, b: RuleDateTime| a != b)
        .register_fn("<", |a: RuleDateTime, b: RuleDateTime| a < b)
        .register_fn("<=", |a: RuleDateTime, b: RuleDateTime| a <= b)
        .register_fn(">", |a: RuleDateTime, b: RuleDateTime| a > b)
        .register_fn(">=", |a: RuleDateTime, b: RuleDateTime| a >= b);
}

fn weekday_name(dt: NaiveDateTime) -> String {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][dt.weekday().num_days_from_monday() as usize]
        .to_owned()
}

#[cfg(test)]
mod tests;
