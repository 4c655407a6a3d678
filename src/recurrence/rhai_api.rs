//! What recurrence rules see in Rhai: a `DateTime` value type (local wall-clock time of the
//! customer's zone), a read-only view of the agreement line, the customer's calendar (the rule
//! runtime's `BusinessCalendar` value), and the helpers `is_business_day`,
//! `next_business_day`, `previous_business_day`.
//!
//! [`register`] adds all of it to a Rhai engine (the rule runtime's sandbox calls it);
//! [`decide`] reads what `adjust_occurrence(occurrence, line, calendar)` returned:
//!
//! | returned | meaning |
//! |---|---|
//! | the occurrence (or an equal `DateTime`) | keep it |
//! | another `DateTime`; a text `"YYYY-MM-DDTHH:MM[:SS]"` (local) or RFC 3339 | move it there |
//! | a text `"YYYY-MM-DD"` | move it to that date, same time of day |
//! | `()` (or `false`) | skip it |
//!
//! The line view records whether the rule read any of its fields: a call that did not read
//! the line depends only on the occurrence and the calendar, so its result can be reused for
//! every other line with the same occurrence time and calendar (see
//! [`RuleAdjuster`](super::RuleAdjuster)).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use chrono_tz::Tz;
use rhai::{Dynamic, Engine, EvalAltResult, Position, INT};
use rust_decimal::Decimal;
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use super::adjust::Adjusted;
use super::business_days::{
    is_business_day, next_business_day, previous_business_day, MAX_BUSINESS_DAY_SEARCH,
};
use super::expand::parse_local;
use super::line::LineContext;
use crate::model::BusinessCalendar;

/// The calendar value of the rule runtime (`rules::domain::calendar`).
type Calendar = Arc<BusinessCalendar>;

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

/// The agreement line as rules see it (Rhai type `AgreementLine`): the getters of the rule
/// runtime's `AgreementLine` (`id`, `service_object`, `task`, `rrule`, `dtstart`, `start`,
/// `end`, `price`, `preferred_technician`, `priority`, `stopped`) plus `agreement`, `customer`
/// and `tier` (the customer's). It is a type of its own because it notes every read (see the
/// module documentation).
#[derive(Debug, Clone)]
pub struct RuleLine {
    data: Rc<LineData>,
    read: Rc<Cell<bool>>,
}

#[derive(Debug)]
struct LineData {
    id: String,
    agreement: String,
    customer: String,
    tier: String,
    task: String,
    rrule: String,
    dtstart: String,
    start: Option<String>,
    end: Option<String>,
    service_object: Option<String>,
    priority: Option<String>,
    preferred_technician: Option<String>,
    price: Decimal,
    stopped: bool,
}

impl RuleLine {
    /// The view of a resolved line; `read` is set whenever a rule reads a field.
    pub fn new(ctx: &LineContext<'_>, read: Rc<Cell<bool>>) -> Self {
        let line = ctx.line;
        let text = |v: Option<&dyn fmt::Display>| v.map(|v| v.to_string());
        Self {
            data: Rc::new(LineData {
                id: line.id.to_string(),
                agreement: ctx.agreement.id.to_string(),
                customer: ctx.customer.id.to_string(),
                tier: ctx.customer.tier.clone(),
                task: line.task.to_string(),
                rrule: line.recurrence.rrule.clone(),
                dtstart: RuleDateTime(line.recurrence.dtstart).to_string(),
                start: text(line.start.as_ref().map(|d| d as _)),
                end: text(line.end.as_ref().map(|d| d as _)),
                service_object: text(line.service_object.as_ref().map(|o| o as _)),
                priority: line.priority.map(|p| p.as_str().to_owned()),
                preferred_technician: text(line.preferred_technician.as_ref().map(|t| t as _)),
                price: line.price,
                stopped: line.stopped,
            }),
            read,
        }
    }

    fn get(&self) -> &LineData {
        self.read.set(true);
        &self.data
    }
}

fn opt(value: &Option<String>) -> Dynamic {
    value.clone().map_or(Dynamic::UNIT, Dynamic::from)
}

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

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

/// Registers the recurrence types and helpers on a Rhai engine.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<RuleDateTime>("DateTime");
    engine.register_type_with_name::<RuleLine>("AgreementLine");
    register_datetime(engine);
    register_line(engine);
    register_business_days(engine);
}

fn register_line(engine: &mut Engine) {
    engine
        .register_get("id", |l: &mut RuleLine| l.get().id.clone())
        .register_get("agreement", |l: &mut RuleLine| l.get().agreement.clone())
        .register_get("customer", |l: &mut RuleLine| l.get().customer.clone())
        .register_get("tier", |l: &mut RuleLine| l.get().tier.clone())
        .register_get("task", |l: &mut RuleLine| l.get().task.clone())
        .register_get("rrule", |l: &mut RuleLine| l.get().rrule.clone())
        .register_get("dtstart", |l: &mut RuleLine| l.get().dtstart.clone())
        .register_get("start", |l: &mut RuleLine| opt(&l.get().start))
        .register_get("end", |l: &mut RuleLine| opt(&l.get().end))
        .register_get("service_object", |l: &mut RuleLine| {
            opt(&l.get().service_object)
        })
        .register_get("priority", |l: &mut RuleLine| opt(&l.get().priority))
        .register_get("preferred_technician", |l: &mut RuleLine| {
            opt(&l.get().preferred_technician)
        })
        .register_get("price", |l: &mut RuleLine| l.get().price)
        .register_get("stopped", |l: &mut RuleLine| l.get().stopped)
        .register_fn("to_string", |l: &mut RuleLine| {
            format!("AgreementLine({})", l.get().id)
        })
        .register_fn("to_debug", |l: &mut RuleLine| {
            format!("AgreementLine({})", l.get().id)
        });
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

/// Reads the value `adjust_occurrence` returned for `original` (see the module table). A text
/// with a UTC offset is converted to the customer's zone `tz`.
///
/// # Errors
/// A message naming what was returned instead.
pub fn decide(value: Dynamic, original: NaiveDateTime, tz: Tz) -> Result<Adjusted, String> {
    if value.is_unit() || value.as_bool() == Ok(false) {
        return Ok(Adjusted::Skip);
    }
    let type_name = value.type_name();
    let target = if let Some(dt) = value.clone().try_cast::<RuleDateTime>() {
        dt.0
    } else if let Ok(text) = value.into_immutable_string() {
        let trimmed = text.trim();
        let local = parse_local(trimmed).map(|t| {
            if trimmed.len() == 10 {
                t.date().and_time(original.time())
            } else {
                t
            }
        });
        local
            .or_else(|| {
                DateTime::parse_from_rfc3339(trimmed)
                    .ok()
                    .map(|dt| dt.with_timezone(&tz).naive_local())
            })
            .ok_or_else(|| format!("returned `{text}`, not a date/time"))?
    } else {
        return Err(format!(
            "returned a value of type {type_name}; expected the occurrence (keep), another \
             DateTime (move) or () (skip)"
        ));
    };
    Ok(if target == original {
        Adjusted::Keep
    } else {
        Adjusted::Move(target)
    })
}

#[cfg(test)]
mod tests;
