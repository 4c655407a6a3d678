//! The SLA engine: response and resolution deadlines on service orders, counted in business
//! time of a calendar ([`crate::calendar`]), with pauses, warnings, live status and compliance.
//!
//! * **Targets** ([`SlaTargets`]) per order come from the `sla_targets(order, customer,
//!   agreement)` rule hook, or from the built-in table by priority × customer tier
//!   ([`default_targets`]). They name the calendar (the customer's, a dataset calendar, or the
//!   built-in always-open `"24x7"`), the warning fraction (default 75%) and the statuses that
//!   end the response metric (default scheduled or in progress) and pause the clocks (default
//!   on hold).
//! * **Clocks** ([`metric_status`]) start at the order's creation, or at its `earliest_start`
//!   when that is later ([`clock_start`]: an order generated ahead for a planned visit is not
//!   late before its window opens; a response given before then is met); response stops at the first
//!   response status, resolution at completion. Pause time is not counted (only its business
//!   part is credited). The due instant is the earliest instant at which the target's business
//!   time has elapsed; a clock is **breached** once the instant is past it, **missed** when it
//!   stopped after it. Everything is a pure function of (targets, calendar, history, instant).
//! * **Priority changes** recompute the targets from the original creation instant with the
//!   new priority (as Dynamics 365, Jira Service Management and ServiceNow do): the status is
//!   always computed from the order's current priority and its clock start.
//! * **Compliance** ([`compliance`], [`SlaEngine::report`]) per metric, overall, per customer and
//!   per tier.
//!
//! For one-off use, [`targets_for`] and [`status`] build an [`SlaEngine`] (compiling the
//! model's calendars) and compute one order; keep an engine for many orders.

mod clock;
mod engine;
mod error;
mod hook;
mod report;
mod targets;
mod work;

pub use clock::{clock_start, metric_status, MetricState, MetricStatus};
pub use engine::{OrderSla, SlaCalendars, SlaEngine};
pub use error::SlaError;
pub use hook::{BUSINESS_CALENDAR, HOOK};
pub use report::{compliance, ComplianceRow, Grouping, OrderError, SlaReport};
pub use targets::{
    default_targets, CalendarChoice, Metric, SlaTargets, Target, TargetSource,
    DEFAULT_PAUSE_STATUSES, DEFAULT_RESPONSE_ENDS, DEFAULT_WARNING, TIERS,
};
pub use work::WorkKpis;

use chrono::{DateTime, Utc};

use crate::model::{Model, ServiceOrder};
use crate::rules::RuleSet;

fn engine<'m>(model: &'m Model, rules: Option<&'m RuleSet>) -> Result<SlaEngine<'m>, SlaError> {
    let engine = SlaEngine::new(model)?;
    Ok(match rules {
        Some(rules) => engine.with_rules(rules),
        None => engine,
    })
}

/// The SLA targets of one order: the `sla_targets` hook of `rules` over the built-in table
/// (builds a one-off [`SlaEngine`]; keep an engine for many orders).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use fieldwork::model::{Model, Priority, ServiceOrder};
/// use fieldwork::sla::{self, Target};
/// let model = Model::from_json(r#"{"customers": [{"id": "C-1", "name": "Acme",
///   "tier": "silver", "time_zone": "UTC", "location": {"lat": 0, "lon": 0}}]}"#).unwrap();
/// let order = ServiceOrder::new("SO-1", "C-1", Priority::High,
///                               Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap());
/// let targets = sla::targets_for(&model, None, &order).unwrap();
/// assert_eq!(targets.response, Some(Target::Minutes(8 * 60)));
/// let rules = fieldwork::rules::RuleSet::from_sources(&[("sla.rhai",
///     "fn sla_targets(order, customer, agreement) { #{ response_minutes: 30 } }")]).unwrap();
/// let targets = sla::targets_for(&model, Some(&rules), &order).unwrap();
/// assert_eq!(targets.response, Some(Target::Minutes(30)));
/// ```
pub fn targets_for(
    model: &Model,
    rules: Option<&RuleSet>,
    order: &ServiceOrder,
) -> Result<SlaTargets, SlaError> {
    engine(model, rules)?.targets(order)
}

/// The SLA status of one order at `at` (builds a one-off [`SlaEngine`]; keep an engine for
/// many orders).
pub fn status(
    model: &Model,
    rules: Option<&RuleSet>,
    order: &ServiceOrder,
    at: DateTime<Utc>,
) -> Result<OrderSla, SlaError> {
    engine(model, rules)?.status(order, at)
}
