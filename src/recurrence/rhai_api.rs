//! What recurrence rules see in Rhai: a `DateTime` value type (local wall-clock time of the
//! customer's zone), read-only views of the agreement line and the customer's calendar, and
//! the helpers `is_business_day`, `next_business_day`, `previous_business_day`.
//!
//! [`register`] adds all of it to a Rhai engine; [`decide`] reads what
//! `adjust_occurrence(occurrence, line, calendar)` returned:
//!
//! | returned                      | meaning |
//! |-------------------------------|---------|
//! | the occurrence (or an equal `DateTime`) | keep it |
//! | another `DateTime`, or a text `YYYY-MM-DDTHH:MM[:SS]` (local) / RFC 3339 | move it there |
//! | `()` (or `false`)             | skip it |
//!
//! The line view records whether the rule read any of its fields: a call that did not read
//! the line depends only on the occurrence and the calendar, so its result can be reused for
//! every other line with the same occurrence time and calendar (see
//! [`RuleAdjuster`](super::RuleAdjuster)).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use chrono_tz::Tz;
use rhai::{Dynamic, Engine, EvalAltResult, Position};
use rust_decimal::Decimal;
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use super::adjust::Adjusted;
use super::business_days::{
    is_business_day, next_business_day, previous_business_day, MAX_BUSINESS_DAY_SEARCH,
};
use super::expand::parse_local;
use super::line::LineContext;
use crate::model::BusinessCalendar;

/// A local wall-clock date and time as rules see it (Rhai type `DateTime`).
///
/// In Rhai: getters `year`, `month`, `day`, `hour`, `minute`, `second`, `weekday` (1 = Monday
/// … 7 = Sunday), `weekday_name` (`"mon"`…), `date` (`"2027-03-01"`), `time` (`"09:00"`);
/// functions `add_days(n)`, `add_hours(n)`, `add_minutes(n)`, `with_time(h, m)`,
/// `datetime("2027-03-01T09:00")`, `datetime(y, mo, d, h, mi)`, `date(y, mo, d)`;
/// comparison operators and `to_string`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleDateTime(pub NaiveDateTime);

impl fmt::Display for RuleDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%S"))
    }
}

/// The customer's calendar as rules see it (Rhai type `Calendar`): getters `id`,
/// `time_zone`. Rules get `()` instead when the customer has no calendar; the business-day
/// helpers then count Monday to Friday.
#[derive(Debug, Clone)]
pub struct RuleCalendar(pub Rc<BusinessCalendar>);

/// The agreement line as rules see it (Rhai type `AgreementLine`): getters `id`, `agreement`,
/// `customer`, `tier` (the customer's), `task`, `service_object` (or `()`), `priority`
/// (or `()`), `preferred_technician` (or `()`), `price` (decimal).
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
    service_object: Option<String>,
    priority: Option<String>,
    preferred_technician: Option<String>,
    price: Decimal,
}

impl RuleLine {
    /// The view of a resolved line; `read` is set whenever a rule reads a field.
    pub fn new(ctx: &LineContext<'_>, read: Rc<Cell<bool>>) -> Self {
        let line = ctx.line;
        Self {
            data: Rc::new(LineData {
                id: line.id.to_string(),
                agreement: ctx.agreement.id.to_string(),
                customer: ctx.customer.id.to_string(),
                tier: ctx.customer.tier.clone(),
                task: line.task.to_string(),
                service_object: line.service_object.as_ref().map(|o| o.to_string()),
                priority: line.priority.map(|p| p.as_str().to_owned()),
                preferred_technician: line.preferred_technician.as_ref().map(|t| t.to_string()),
                price: line.price,
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

fn calendar_of(calendar: &Dynamic) -> RhaiResult<Option<Rc<BusinessCalendar>>> {
    if calendar.is_unit() {
        return Ok(None);
    }
    calendar
        .clone()
        .try_cast::<RuleCalendar>()
        .map(|c| Some(c.0))
        .ok_or_else(|| {
            rule_error(format!(
                "expected a Calendar or (), got {}",
                calendar.type_name()
            ))
        })
}

fn shift(
    dt: RuleDateTime,
    calendar: &Dynamic,
    search: fn(NaiveDate, Option<&BusinessCalendar>) -> Option<NaiveDate>,
    direction: &str,
) -> RhaiResult<RuleDateTime> {
    let calendar = calendar_of(calendar)?;
    let date = dt.0.date();
    search(date, calendar.as_deref())
        .map(|d| RuleDateTime(d.and_time(dt.0.time())))
        .ok_or_else(|| {
            rule_error(format!(
                "no {direction} business day within {MAX_BUSINESS_DAY_SEARCH} days of {date}"
            ))
        })
}

fn checked(dt: RuleDateTime, delta: Option<Duration>) -> RhaiResult<RuleDateTime> {
    delta
        .and_then(|d| dt.0.checked_add_signed(d))
        .map(RuleDateTime)
        .ok_or_else(|| rule_error(format!("{dt}: date/time out of range")))
}

fn ymd(y: i64, m: i64, d: i64, h: i64, mi: i64) -> RhaiResult<RuleDateTime> {
    let part = |v: i64| u32::try_from(v).ok();
    i32::try_from(y)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, part(m)?, part(d)?))
        .and_then(|date| date.and_hms_opt(part(h)?, part(mi)?, 0))
        .map(RuleDateTime)
        .ok_or_else(|| rule_error(format!("invalid date/time {y}-{m}-{d} {h}:{mi}")))
}

/// Registers the recurrence types and helpers on a Rhai engine (the rule runtime calls this
/// when it builds its sandbox).
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<RuleDateTime>("DateTime");
    engine.register_type_with_name::<RuleCalendar>("Calendar");
    engine.register_type_with_name::<RuleLine>("AgreementLine");
    register_datetime(engine);
    engine
        .register_get("id", |c: &mut RuleCalendar| c.0.id.to_string())
        .register_get("time_zone", |c: &mut RuleCalendar| {
            c.0.time_zone.name().to_owned()
        })
        .register_fn("to_string", |c: &mut RuleCalendar| {
            format!("Calendar({})", c.0.id)
        })
        .register_fn("to_debug", |c: &mut RuleCalendar| {
            format!("Calendar({})", c.0.id)
        });
    engine
        .register_get("id", |l: &mut RuleLine| l.get().id.clone())
        .register_get("agreement", |l: &mut RuleLine| l.get().agreement.clone())
        .register_get("customer", |l: &mut RuleLine| l.get().customer.clone())
        .register_get("tier", |l: &mut RuleLine| l.get().tier.clone())
        .register_get("task", |l: &mut RuleLine| l.get().task.clone())
        .register_get("service_object", |l: &mut RuleLine| {
            opt(&l.get().service_object)
        })
        .register_get("priority", |l: &mut RuleLine| opt(&l.get().priority))
        .register_get("preferred_technician", |l: &mut RuleLine| {
            opt(&l.get().preferred_technician)
        })
        .register_get("price", |l: &mut RuleLine| l.get().price)
        .register_fn("to_string", |l: &mut RuleLine| {
            format!("AgreementLine({})", l.get().id)
        })
        .register_fn("to_debug", |l: &mut RuleLine| {
            format!("AgreementLine({})", l.get().id)
        });
    engine
        .register_fn("is_business_day", |dt: RuleDateTime, cal: Dynamic| {
            calendar_of(&cal).map(|c| is_business_day(dt.0.date(), c.as_deref()))
        })
        .register_fn("next_business_day", |dt: RuleDateTime, cal: Dynamic| {
            shift(dt, &cal, next_business_day, "next")
        })
        .register_fn("previous_business_day", |dt: RuleDateTime, cal: Dynamic| {
            shift(dt, &cal, previous_business_day, "previous")
        });
}

fn register_datetime(engine: &mut Engine) {
    let int = |v: u32| i64::from(v);
    engine
        .register_get("year", |d: &mut RuleDateTime| i64::from(d.0.year()))
        .register_get("month", move |d: &mut RuleDateTime| int(d.0.month()))
        .register_get("day", move |d: &mut RuleDateTime| int(d.0.day()))
        .register_get("hour", move |d: &mut RuleDateTime| int(d.0.hour()))
        .register_get("minute", move |d: &mut RuleDateTime| int(d.0.minute()))
        .register_get("second", move |d: &mut RuleDateTime| int(d.0.second()))
        .register_get("weekday", move |d: &mut RuleDateTime| {
            int(d.0.weekday().number_from_monday())
        })
        .register_get("weekday_name", |d: &mut RuleDateTime| {
            d.0.format("%a").to_string().to_lowercase()
        })
        .register_get("date", |d: &mut RuleDateTime| d.0.date().to_string())
        .register_get("time", |d: &mut RuleDateTime| {
            d.0.format("%H:%M").to_string()
        })
        .register_fn("to_string", |d: &mut RuleDateTime| d.to_string())
        .register_fn("to_debug", |d: &mut RuleDateTime| format!("DateTime({d})"))
        .register_fn("add_days", |d: RuleDateTime, n: i64| {
            checked(d, Duration::try_days(n))
        })
        .register_fn("add_hours", |d: RuleDateTime, n: i64| {
            checked(d, Duration::try_hours(n))
        })
        .register_fn("add_minutes", |d: RuleDateTime, n: i64| {
            checked(d, Duration::try_minutes(n))
        })
        .register_fn("with_time", |d: RuleDateTime, h: i64, m: i64| {
            let date = d.0.date();
            ymd(
                date.year().into(),
                date.month().into(),
                date.day().into(),
                h,
                m,
            )
        })
        .register_fn("datetime", |text: &str| {
            parse_local(text)
                .map(RuleDateTime)
                .ok_or_else(|| rule_error(format!("`{text}` is not YYYY-MM-DD[THH:MM[:SS]]")))
        })
        .register_fn("datetime", ymd)
        .register_fn("date", |y: i64, m: i64, d: i64| ymd(y, m, d, 0, 0))
        .register_fn("==", |a: RuleDateTime, b: RuleDateTime| a == b)
        .register_fn("!=", |a: RuleDateTime, b: RuleDateTime| a != b)
        .register_fn("<", |a: RuleDateTime, b: RuleDateTime| a < b)
        .register_fn("<=", |a: RuleDateTime, b: RuleDateTime| a <= b)
        .register_fn(">", |a: RuleDateTime, b: RuleDateTime| a > b)
        .register_fn(">=", |a: RuleDateTime, b: RuleDateTime| a >= b);
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
        parse_local(&text)
            .or_else(|| {
                DateTime::parse_from_rfc3339(text.trim())
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
