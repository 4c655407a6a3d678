//! The domain model as seen by rules: model types registered as Rhai custom types with
//! read-only getters, plus a few date and calendar helpers.
//!
//! This module owns the one Rhai view of each domain type: engines build their hook
//! arguments with its functions and never register a type of their own. (`DateTime` and the
//! business-day helpers are in [`datetime`](super::datetime).)
//!
//! Rules read `order.priority`, `customer.tier`, `tech.skill_level("hvac")` — typed values,
//! not ad-hoc maps. Every type is held behind an [`Arc`], so a value built once (per order,
//! per technician) is cloned cheaply for each call. Build values with the functions of
//! this module ([`order`], [`customer`], [`technician`]…); a value built otherwise has no
//! getters.
//!
//! Conventions, the same for every type:
//!
//! * ids and enum-like fields are strings (`order.priority == "critical"`);
//! * an absent optional field is `()`;
//! * instants (`DateTime<Utc>`) are RFC 3339 strings (`"2025-03-10T08:00:00Z"`), local
//!   date-times `"2025-03-10T08:00:00"`, dates `"2025-03-10"`;
//! * money is a decimal (`tech.hourly_cost`, `line.price`, `subscription.fee`);
//! * all values are read-only: setters are not registered.
//!
//! The getters are listed type by type in `rules/README.md`.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, Position, INT};

use crate::calendar::next_business_day as next_open_day;
use crate::model::{
    AgreementLine, BusinessCalendar, Customer, Model, OrderOrigin, ReturnLine, ReturnOrder,
    ServiceAgreement, ServiceObject, ServiceOrder, SkillRequirement, Subscription, Technician,
};

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// The largest shift `add_days` accepts (about a thousand years).
const MAX_DAY_SHIFT: INT = 366_000;

/// A service order with what rules need from the model around it: its duration and the
/// skills its tasks require (both derived from the task catalogue).
#[derive(Debug, Clone)]
pub struct RuleOrder {
    inner: Arc<RuleOrderInner>,
}

#[derive(Debug)]
struct RuleOrderInner {
    order: ServiceOrder,
    duration_minutes: u32,
    required_skills: Vec<SkillRequirement>,
}

impl RuleOrder {
    /// The order with its duration and required skills computed from `model`.
    pub fn new(model: &Model, order: &ServiceOrder) -> Self {
        Self::from_parts(
            order.clone(),
            model.order_duration_minutes(order),
            model.order_required_skills(order),
        )
    }

    /// The order with a given duration and skill requirements (for tests and embedders
    /// without a [`Model`]).
    pub fn from_parts(
        order: ServiceOrder,
        duration_minutes: u32,
        required_skills: Vec<SkillRequirement>,
    ) -> Self {
        Self {
            inner: Arc::new(RuleOrderInner {
                order,
                duration_minutes,
                required_skills,
            }),
        }
    }

    /// The order.
    pub fn order(&self) -> &ServiceOrder {
        &self.inner.order
    }
}

/// An agreement line as rules see it (Rhai type `AgreementLine`): the line with the ids of
/// its agreement and customer and, when the customer is at hand, the customer's tier.
///
/// A view can note whether a rule read it ([`noting_reads`](Self::noting_reads)): a hook call
/// that did not read its line depends only on its other arguments, so an engine may reuse
/// its result for other lines (recurrence's `adjust_occurrence` does).
#[derive(Debug, Clone)]
pub struct RuleLine {
    inner: Arc<RuleLineInner>,
    read: Option<Rc<Cell<bool>>>,
}

#[derive(Debug)]
struct RuleLineInner {
    line: AgreementLine,
    agreement: String,
    customer: String,
    tier: Option<String>,
}

impl RuleLine {
    /// The view of `line` of `agreement`; `customer` (the agreement's) gives the line its
    /// `tier`, which is `()` without it.
    pub fn new(
        agreement: &ServiceAgreement,
        line: &AgreementLine,
        customer: Option<&Customer>,
    ) -> Self {
        Self {
            inner: Arc::new(RuleLineInner {
                line: line.clone(),
                agreement: agreement.id.to_string(),
                customer: agreement.customer.to_string(),
                tier: customer.map(|c| c.tier.clone()),
            }),
            read: None,
        }
    }

    /// The same view, setting `read` whenever a rule reads one of its fields or prints it.
    #[must_use]
    pub fn noting_reads(mut self, read: Rc<Cell<bool>>) -> Self {
        self.read = Some(read);
        self
    }

    /// The line.
    pub fn line(&self) -> &AgreementLine {
        &self.inner.line
    }

    /// What a getter reads, noting the read.
    fn get(&self) -> &RuleLineInner {
        if let Some(read) = &self.read {
            read.set(true);
        }
        &self.inner
    }
}

/// An invoice period of a subscription, passed to `subscription_price(subscription, period)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingPeriod {
    /// First day of the period.
    pub start: NaiveDate,
    /// Last day of the period (inclusive).
    pub end: NaiveDate,
}

/// A service order for rules (see [`RuleOrder::new`]).
pub fn order(model: &Model, order: &ServiceOrder) -> Dynamic {
    Dynamic::from(RuleOrder::new(model, order))
}

/// A customer for rules.
pub fn customer(customer: &Customer) -> Dynamic {
    Dynamic::from(Arc::new(customer.clone()))
}

/// A technician for rules.
pub fn technician(technician: &Technician) -> Dynamic {
    Dynamic::from(Arc::new(technician.clone()))
}

/// A service agreement for rules.
pub fn agreement(agreement: &ServiceAgreement) -> Dynamic {
    Dynamic::from(Arc::new(agreement.clone()))
}

/// A line of `agreement` for rules (see [`RuleLine::new`]).
pub fn agreement_line(
    agreement: &ServiceAgreement,
    line: &AgreementLine,
    customer: Option<&Customer>,
) -> Dynamic {
    Dynamic::from(RuleLine::new(agreement, line, customer))
}

/// A service object for rules.
pub fn service_object(object: &ServiceObject) -> Dynamic {
    Dynamic::from(Arc::new(object.clone()))
}

/// A subscription for rules.
pub fn subscription(subscription: &Subscription) -> Dynamic {
    Dynamic::from(Arc::new(subscription.clone()))
}

/// A return order (RMA) for rules.
pub fn return_order(rma: &ReturnOrder) -> Dynamic {
    Dynamic::from(Arc::new(rma.clone()))
}

/// A return-order line for rules.
pub fn return_line(line: &ReturnLine) -> Dynamic {
    Dynamic::from(Arc::new(line.clone()))
}

/// A business calendar for rules.
pub fn calendar(calendar: &BusinessCalendar) -> Dynamic {
    Dynamic::from(Arc::new(calendar.clone()))
}

/// A billing period for rules.
pub fn billing_period(start: NaiveDate, end: NaiveDate) -> Dynamic {
    Dynamic::from(BillingPeriod { start, end })
}

/// A local date-time (such as a recurrence occurrence) as rules see it:
/// `"2025-03-10T08:00:00"`.
pub fn local_datetime(at: NaiveDateTime) -> Dynamic {
    Dynamic::from(fmt_local(at))
}

/// An optional domain value: `()` when absent.
pub fn optional<T>(value: Option<&T>, convert: impl FnOnce(&T) -> Dynamic) -> Dynamic {
    value.map_or(Dynamic::UNIT, convert)
}

// ------------------------------------------------------------------ conversions

fn s(text: impl ToString) -> Dynamic {
    Dynamic::from(text.to_string())
}

fn opt<T: std::fmt::Display>(value: Option<&T>) -> Dynamic {
    value.map_or(Dynamic::UNIT, s)
}

fn fmt_instant(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn fmt_local(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn opt_instant(at: Option<&DateTime<Utc>>) -> Dynamic {
    at.map_or(Dynamic::UNIT, |t| Dynamic::from(fmt_instant(t)))
}

fn strings<T: ToString>(items: impl IntoIterator<Item = T>) -> Array {
    items.into_iter().map(s).collect()
}

fn int(n: impl Into<i64>) -> INT {
    n.into()
}

/// Parses the date at the start of `text` (`YYYY-MM-DD`, optionally followed by a time).
fn parse_date(text: &str) -> RhaiResult<NaiveDate> {
    text.get(0..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| {
            Box::new(EvalAltResult::ErrorRuntime(
                format!("not a date (expected YYYY-MM-DD…): {text:?}").into(),
                Position::NONE,
            ))
        })
}

/// Replaces the date at the start of `text` by `date`, keeping any time part.
fn with_date(text: &str, date: NaiveDate) -> String {
    format!("{date}{}", text.get(10..).unwrap_or(""))
}

fn next_business_day(cal: &BusinessCalendar, text: &str) -> RhaiResult<Dynamic> {
    let date = parse_date(text)?;
    Ok(next_open_day(date, Some(cal)).map_or(Dynamic::UNIT, |d| Dynamic::from(with_date(text, d))))
}

fn open_minutes(cal: &BusinessCalendar, date: NaiveDate) -> INT {
    cal.intervals_on(date)
        .iter()
        .map(|i| INT::from(i.end.seconds().saturating_sub(i.start.seconds())) / 60)
        .sum()
}

fn full_years_between(a: NaiveDate, b: NaiveDate) -> INT {
    let (from, to, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
    let mut years = INT::from(to.year() - from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years * sign
}

// ------------------------------------------------------------------ registration

/// Registers the domain types, their getters and the date helpers on `engine`.
pub(crate) fn register(engine: &mut Engine) {
    register_order(engine);
    register_customer(engine);
    register_technician(engine);
    register_agreement(engine);
    register_object(engine);
    register_subscription(engine);
    register_rma(engine);
    register_calendar(engine);
    register_date_helpers(engine);
}

macro_rules! display {
    ($engine:ident, $ty:ty, $name:literal, |$v:ident| $id:expr) => {
        $engine.register_type_with_name::<$ty>($name);
        $engine.register_fn("to_string", |$v: &mut $ty| format!("{}({})", $name, $id));
        $engine.register_fn("to_debug", |$v: &mut $ty| format!("{}({})", $name, $id));
    };
}

fn register_order(engine: &mut Engine) {
    display!(engine, RuleOrder, "ServiceOrder", |o| o.inner.order.id);
    engine
        .register_get("id", |o: &mut RuleOrder| o.inner.order.id.to_string())
        .register_get("customer", |o: &mut RuleOrder| {
            o.inner.order.customer.to_string()
        })
        .register_get("agreement", |o: &mut RuleOrder| {
            opt(o.inner.order.agreement.as_ref())
        })
        .register_get("priority", |o: &mut RuleOrder| {
            o.inner.order.priority.as_str().to_string()
        })
        .register_get("priority_weight", |o: &mut RuleOrder| {
            int(o.inner.order.priority.weight())
        })
        .register_get("status", |o: &mut RuleOrder| {
            o.inner.order.status().as_str().to_string()
        })
        .register_get("description", |o: &mut RuleOrder| {
            o.inner.order.description.clone()
        })
        .register_get("created_at", |o: &mut RuleOrder| {
            fmt_instant(&o.inner.order.created_at)
        })
        .register_get("earliest_start", |o: &mut RuleOrder| {
            opt_instant(o.inner.order.earliest_start.as_ref())
        })
        .register_get("due", |o: &mut RuleOrder| {
            opt_instant(o.inner.order.due.as_ref())
        })
        .register_get("pinned_start", |o: &mut RuleOrder| {
            opt_instant(o.inner.order.pinned_start.as_ref())
        })
        .register_get("service_object", |o: &mut RuleOrder| {
            opt(o.inner.order.service_object.as_ref())
        })
        .register_get("preferred_technician", |o: &mut RuleOrder| {
            opt(o.inner.order.preferred_technician.as_ref())
        })
        .register_get("required_technician", |o: &mut RuleOrder| {
            opt(o.inner.order.required_technician.as_ref())
        })
        .register_get("origin", |o: &mut RuleOrder| match o.inner.order.origin {
            OrderOrigin::Manual => "manual".to_string(),
            OrderOrigin::Agreement { .. } => "agreement".to_string(),
            OrderOrigin::ReturnOrder { .. } => "return_order".to_string(),
        })
        .register_get("agreement_line", |o: &mut RuleOrder| {
            match &o.inner.order.origin {
                OrderOrigin::Agreement { line, .. } => s(line),
                OrderOrigin::Manual | OrderOrigin::ReturnOrder { .. } => Dynamic::UNIT,
            }
        })
        .register_get("occurrence", |o: &mut RuleOrder| {
            match &o.inner.order.origin {
                OrderOrigin::Agreement { occurrence, .. } => Dynamic::from(fmt_local(*occurrence)),
                OrderOrigin::Manual | OrderOrigin::ReturnOrder { .. } => Dynamic::UNIT,
            }
        })
        .register_get("task_codes", |o: &mut RuleOrder| {
            strings(o.inner.order.task_codes())
        })
        .register_get("total_amount", |o: &mut RuleOrder| {
            o.inner.order.total_amount()
        })
        .register_get("demand", |o: &mut RuleOrder| o.inner.order.demand)
        .register_get("duration_minutes", |o: &mut RuleOrder| {
            int(o.inner.duration_minutes)
        })
        .register_get("required_skills", |o: &mut RuleOrder| {
            o.inner
                .required_skills
                .iter()
                .map(|r| (r.skill.as_str().into(), Dynamic::from(int(r.min_level))))
                .collect::<Map>()
        })
        .register_fn("required_level", |o: &mut RuleOrder, skill: &str| {
            o.inner
                .required_skills
                .iter()
                .find(|r| r.skill == skill)
                .map_or(0, |r| int(r.min_level))
        });
}

fn register_customer(engine: &mut Engine) {
    type C = Arc<Customer>;
    display!(engine, C, "Customer", |c| c.id);
    engine
        .register_get("id", |c: &mut C| c.id.to_string())
        .register_get("name", |c: &mut C| c.name.clone())
        .register_get("tier", |c: &mut C| c.tier.clone())
        .register_get("time_zone", |c: &mut C| c.time_zone.name().to_string())
        .register_get("address", |c: &mut C| opt(c.address.as_ref()))
        .register_get("calendar", |c: &mut C| opt(c.calendar.as_ref()))
        .register_get("territory", |c: &mut C| opt(c.territory.as_ref()))
        .register_get("lat", |c: &mut C| c.location.lat)
        .register_get("lon", |c: &mut C| c.location.lon)
        .register_get("excluded_technicians", |c: &mut C| {
            strings(&c.excluded_technicians)
        })
        .register_fn("excludes", |c: &mut C, tech: &str| {
            c.excluded_technicians.iter().any(|t| t.as_str() == tech)
        });
}

fn register_technician(engine: &mut Engine) {
    type T = Arc<Technician>;
    display!(engine, T, "Technician", |t| t.id);
    engine
        .register_get("id", |t: &mut T| t.id.to_string())
        .register_get("name", |t: &mut T| t.name.clone())
        .register_get("territory", |t: &mut T| opt(t.territory.as_ref()))
        .register_get("calendar", |t: &mut T| t.calendar.to_string())
        .register_get("hourly_cost", |t: &mut T| t.hourly_cost)
        .register_get("max_hours_per_day", |t: &mut T| t.max_hours_per_day)
        .register_get("max_jobs_per_day", |t: &mut T| {
            t.max_jobs_per_day
                .map_or(Dynamic::UNIT, |n| Dynamic::from(int(n)))
        })
        .register_get("van_capacity", |t: &mut T| {
            t.van_capacity.map_or(Dynamic::UNIT, Dynamic::from)
        })
        .register_get("active", |t: &mut T| t.active)
        .register_get("lat", |t: &mut T| t.home.lat)
        .register_get("lon", |t: &mut T| t.home.lon)
        .register_get("skills", |t: &mut T| {
            t.skills
                .iter()
                .map(|(k, v)| (k.as_str().into(), Dynamic::from(int(*v))))
                .collect::<Map>()
        })
        .register_fn("skill_level", |t: &mut T, skill: &str| {
            int(t.skill_level(skill))
        });
}

fn register_agreement(engine: &mut Engine) {
    type A = Arc<ServiceAgreement>;
    display!(engine, A, "ServiceAgreement", |a| a.id);
    engine
        .register_get("id", |a: &mut A| a.id.to_string())
        .register_get("customer", |a: &mut A| a.customer.to_string())
        .register_get("valid_from", |a: &mut A| a.valid_from.to_string())
        .register_get("valid_to", |a: &mut A| opt(a.valid_to.as_ref()))
        .register_get("status", |a: &mut A| a.status.as_str().to_string())
        .register_get("sla_policy", |a: &mut A| opt(a.sla_policy.as_ref()))
        .register_get("lines", |a: &mut A| {
            a.lines
                .iter()
                .map(|l| agreement_line(a, l, None))
                .collect::<Array>()
        });

    type L = RuleLine;
    engine.register_type_with_name::<L>("AgreementLine");
    engine
        .register_fn("to_string", |l: &mut L| {
            format!("AgreementLine({})", l.get().line.id)
        })
        .register_fn("to_debug", |l: &mut L| {
            format!("AgreementLine({})", l.get().line.id)
        })
        .register_get("id", |l: &mut L| l.get().line.id.to_string())
        .register_get("agreement", |l: &mut L| l.get().agreement.clone())
        .register_get("customer", |l: &mut L| l.get().customer.clone())
        .register_get("tier", |l: &mut L| opt(l.get().tier.as_ref()))
        .register_get("service_object", |l: &mut L| {
            opt(l.get().line.service_object.as_ref())
        })
        .register_get("task", |l: &mut L| l.get().line.task.to_string())
        .register_get("rrule", |l: &mut L| l.get().line.recurrence.rrule.clone())
        .register_get("dtstart", |l: &mut L| {
            fmt_local(l.get().line.recurrence.dtstart)
        })
        .register_get("start", |l: &mut L| opt(l.get().line.start.as_ref()))
        .register_get("end", |l: &mut L| opt(l.get().line.end.as_ref()))
        .register_get("price", |l: &mut L| l.get().line.price)
        .register_get("preferred_technician", |l: &mut L| {
            opt(l.get().line.preferred_technician.as_ref())
        })
        .register_get("priority", |l: &mut L| {
            l.get()
                .line
                .priority
                .map_or(Dynamic::UNIT, |p| s(p.as_str()))
        })
        .register_get("stopped", |l: &mut L| l.get().line.stopped);
}

fn register_object(engine: &mut Engine) {
    type O = Arc<ServiceObject>;
    display!(engine, O, "ServiceObject", |o| o.id);
    engine
        .register_get("id", |o: &mut O| o.id.to_string())
        .register_get("customer", |o: &mut O| o.customer.to_string())
        .register_get("site", |o: &mut O| opt(o.site.as_ref()))
        .register_get("serial", |o: &mut O| o.serial.clone())
        .register_get("model", |o: &mut O| o.model.clone())
        .register_get("warranty_end", |o: &mut O| opt(o.warranty_end.as_ref()))
        .register_get("parent", |o: &mut O| opt(o.parent.as_ref()))
        .register_get("repairable", |o: &mut O| o.repairable)
        .register_fn("under_warranty", |o: &mut O, on: &str| {
            parse_date(on).map(|d| o.under_warranty(d))
        });
}

fn register_subscription(engine: &mut Engine) {
    type S = Arc<Subscription>;
    display!(engine, S, "Subscription", |x| x.id);
    engine
        .register_get("id", |x: &mut S| x.id.to_string())
        .register_get("customer", |x: &mut S| x.customer.to_string())
        .register_get("agreement", |x: &mut S| opt(x.agreement.as_ref()))
        .register_get("fee", |x: &mut S| x.fee)
        .register_get("currency", |x: &mut S| x.currency.clone())
        .register_get("frequency", |x: &mut S| {
            match x.frequency {
                crate::model::BillingFrequency::Monthly => "monthly",
                crate::model::BillingFrequency::Quarterly => "quarterly",
                crate::model::BillingFrequency::Yearly => "yearly",
            }
            .to_string()
        })
        .register_get("months", |x: &mut S| int(x.frequency.months()))
        .register_get("start", |x: &mut S| x.start.to_string())
        .register_get("end", |x: &mut S| opt(x.end.as_ref()));

    display!(engine, BillingPeriod, "BillingPeriod", |p| format!(
        "{}..{}",
        p.start, p.end
    ));
    engine
        .register_get("start", |p: &mut BillingPeriod| p.start.to_string())
        .register_get("end", |p: &mut BillingPeriod| p.end.to_string())
        .register_get("days", |p: &mut BillingPeriod| {
            (p.end - p.start).num_days() + 1
        });
}

fn register_rma(engine: &mut Engine) {
    type R = Arc<ReturnOrder>;
    display!(engine, R, "ReturnOrder", |r| r.id);
    engine
        .register_get("id", |r: &mut R| r.id.to_string())
        .register_get("customer", |r: &mut R| r.customer.to_string())
        .register_get("reason_code", |r: &mut R| r.reason_code.clone())
        .register_get("status", |r: &mut R| r.status.as_str().to_string())
        .register_get("created_at", |r: &mut R| fmt_instant(&r.created_at))
        .register_get("lines", |r: &mut R| {
            r.lines.iter().map(return_line).collect::<Array>()
        });

    type L = Arc<ReturnLine>;
    display!(engine, L, "ReturnLine", |l| l.line);
    engine
        .register_get("line", |l: &mut L| int(l.line))
        .register_get("service_object", |l: &mut L| opt(l.service_object.as_ref()))
        .register_get("item", |l: &mut L| l.item.clone())
        .register_get("quantity", |l: &mut L| l.quantity)
        .register_get("value", |l: &mut L| l.value)
        .register_get("disposition", |l: &mut L| {
            l.disposition.map_or(Dynamic::UNIT, |d| s(d.as_str()))
        });
}

fn register_calendar(engine: &mut Engine) {
    type K = Arc<BusinessCalendar>;
    display!(engine, K, "BusinessCalendar", |k| k.id);
    engine
        .register_get("id", |k: &mut K| k.id.to_string())
        .register_get("time_zone", |k: &mut K| k.time_zone.name().to_string())
        .register_fn("is_business_day", |k: &mut K, date: &str| {
            parse_date(date).map(|d| k.is_open_on(d))
        })
        .register_fn("is_holiday", |k: &mut K, date: &str| {
            parse_date(date).map(|d| k.holidays.contains(&d))
        })
        .register_fn("open_minutes", |k: &mut K, date: &str| {
            parse_date(date).map(|d| open_minutes(k, d))
        })
        .register_fn("next_business_day", |k: &mut K, date: &str| {
            next_business_day(k, date)
        });
}

fn register_date_helpers(engine: &mut Engine) {
    engine
        .register_fn("weekday", |date: &str| {
            parse_date(date).map(|d| {
                ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                    [d.weekday().num_days_from_monday() as usize]
                    .to_string()
            })
        })
        .register_fn("date_of", |text: &str| {
            parse_date(text).map(|d| d.to_string())
        })
        .register_fn("add_days", |date: &str, days: INT| {
            let d = parse_date(date)?;
            (-MAX_DAY_SHIFT..=MAX_DAY_SHIFT)
                .contains(&days)
                .then(|| d.checked_add_signed(Duration::days(days)))
                .flatten()
                .map(|n| with_date(date, n))
                .ok_or_else(|| {
                    Box::new(EvalAltResult::ErrorArithmetic(
                        format!("add_days: {days} days from {date} is out of range"),
                        Position::NONE,
                    ))
                })
        })
        .register_fn("days_between", |a: &str, b: &str| {
            Ok::<_, Box<EvalAltResult>>((parse_date(b)? - parse_date(a)?).num_days())
        })
        .register_fn("years_between", |a: &str, b: &str| {
            Ok::<_, Box<EvalAltResult>>(full_years_between(parse_date(a)?, parse_date(b)?))
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_years() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        assert_eq!(full_years_between(d("2022-03-01"), d("2025-02-28")), 2);
        assert_eq!(full_years_between(d("2022-03-01"), d("2025-03-01")), 3);
        assert_eq!(full_years_between(d("2025-03-01"), d("2022-03-01")), -3);
    }

    #[test]
    fn an_agreement_line_is_one_view_whichever_way_it_comes() {
        let model = Model::from_json(
            r#"{
              "customers": [{"id": "C-1", "name": "Acme", "tier": "gold",
                "time_zone": "Europe/Berlin", "location": {"lat": 52.5, "lon": 13.4}}],
              "tasks": [{"code": "INSP", "description": "Inspection", "duration_minutes": 60}],
              "agreements": [{"id": "A-1", "customer": "C-1", "valid_from": "2027-01-01",
                "status": "active",
                "lines": [{"id": "L-1", "task": "INSP", "price": "80",
                  "recurrence": {"rrule": "FREQ=WEEKLY", "dtstart": "2027-01-04T09:00:00"}}]}]
            }"#,
        )
        .unwrap();
        let (a, l) = model.agreement_line(&"L-1".into()).unwrap();
        let c = model.customer(&a.customer);
        let mut engine = Engine::new();
        register(&mut engine);
        let script = "[type_of(line), `${line}`, line.id, line.agreement, line.customer, \
                      line.tier, line.task, line.dtstart, line.price, line.stopped]";
        let eval = |line: Dynamic| {
            let mut scope = rhai::Scope::new();
            scope.push("line", line);
            let got: Array = engine.eval_with_scope(&mut scope, script).unwrap();
            got.into_iter().map(|v| v.to_string()).collect::<Vec<_>>()
        };
        let mut via_agreement = rhai::Scope::new();
        via_agreement.push("a", agreement(a));
        let first: Dynamic = engine
            .eval_with_scope(&mut via_agreement, "a.lines[0]")
            .unwrap();
        let read = Rc::new(Cell::new(false));
        let direct = RuleLine::new(a, l, c).noting_reads(Rc::clone(&read));
        let expected = |tier: &str| {
            [
                "AgreementLine",
                "AgreementLine(L-1)",
                "L-1",
                "A-1",
                "C-1",
                tier,
                "INSP",
                "2027-01-04T09:00:00",
                "80",
                "false",
            ]
            .map(str::to_owned)
        };
        // Reached through `agreement.lines`, the customer (and so the tier) is not at hand.
        assert_eq!(eval(first), expected(""));
        assert!(!read.get());
        assert_eq!(eval(Dynamic::from(direct)), expected("gold"));
        assert!(read.get(), "reads are noted");
    }

    #[test]
    fn dates_keep_their_time_part() {
        let d = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap_or_default();
        assert_eq!(with_date("2025-03-08T09:30:00", d), "2025-03-10T09:30:00");
        assert_eq!(with_date("2025-03-08", d), "2025-03-10");
        assert!(parse_date("03/08/2025").is_err());
        assert!(parse_date("").is_err());
    }
}
