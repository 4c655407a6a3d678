//! [`SlaEngine`]: the SLA of orders of one model — targets (rule hook or default table), the
//! calendars compiled once, and each order's metric statuses at an instant.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

use super::clock::{metric_status, MetricStatus};
use super::error::SlaError;
use super::hook::targets_from_rules;
use super::targets::{default_targets, CalendarChoice, Metric, SlaTargets, TargetSource};
use crate::calendar::{CompiledCalendar, ALWAYS_OPEN_ID};
use crate::model::{CalendarId, CustomerId, Model, OrderId, Priority, ServiceOrder};
use crate::rules::RuleSet;

/// The SLA of one order at an instant: its targets' origin and calendar, and the status of every
/// tracked metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSla {
    /// The order.
    pub order: OrderId,
    /// Its customer.
    pub customer: CustomerId,
    /// The customer's tier.
    pub tier: String,
    /// The order's current priority (targets follow it, counted from creation).
    pub priority: Priority,
    /// The calendar SLA time is counted in.
    pub calendar: CalendarId,
    /// Where the targets came from.
    pub source: TargetSource,
    /// One status per tracked metric, response first.
    pub metrics: Vec<MetricStatus>,
}

impl OrderSla {
    /// The status of one metric, if tracked.
    pub fn metric(&self, metric: Metric) -> Option<&MetricStatus> {
        self.metrics.iter().find(|m| m.metric == metric)
    }

    /// The earliest due instant among running metrics (what a dispatcher should aim for).
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.metrics
            .iter()
            .filter(|m| m.state.is_running())
            .map(|m| m.due)
            .min()
    }
}

/// Computes SLA targets and statuses for the orders of a [`Model`].
///
/// Every calendar of the model is compiled once when the engine is built, plus the built-in
/// always-open calendar `"24x7"` (a dataset calendar with that id takes precedence). With
/// [`Self::with_rules`], targets come from the `sla_targets` hook (one call per order);
/// without, from the built-in table.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use fieldwork::model::Model;
/// use fieldwork::sla::{MetricState, SlaEngine, Metric};
/// let model = Model::from_json(r#"{
///   "calendars": [{"id": "office", "time_zone": "Europe/Berlin",
///                  "weekly": {"mon": [["08:00","17:00"]], "tue": [["08:00","17:00"]]}}],
///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "Europe/Berlin",
///                  "location": {"lat": 52.5, "lon": 13.4}, "calendar": "office"}],
///   "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
///               "priority": "high", "created_at": "2027-03-01T14:00:00Z"}]
/// }"#).unwrap();
/// let engine = SlaEngine::new(&model).unwrap(); // no rules: the built-in table
/// let order = &model.orders()[0];
/// // Gold, high: 4 h response in the office calendar. Monday 15:00 CET + 4 h -> Tuesday 10:00.
/// let sla = engine.status(order, Utc.with_ymd_and_hms(2027, 3, 1, 15, 0, 0).unwrap()).unwrap();
/// let response = sla.metric(Metric::Response).unwrap();
/// assert_eq!(response.due, Utc.with_ymd_and_hms(2027, 3, 2, 9, 0, 0).unwrap());
/// assert_eq!(response.state, MetricState::OnTrack);
/// ```
#[derive(Debug)]
pub struct SlaEngine<'m> {
    model: &'m Model,
    rules: Option<&'m RuleSet>,
    calendars: SlaCalendars,
}

/// The model's calendars compiled for SLA clocks, with the built-in `"24x7"`. Compiling is the
/// costly part of building an [`SlaEngine`]: the main job compiles once per run and shares the
/// result (a cheap clone) between generation, the SLA snapshot and scheduling, while the model
/// itself changes (generated orders are added; calendars are not).
#[derive(Debug, Clone)]
pub struct SlaCalendars(Arc<HashMap<CalendarId, CompiledCalendar>>);

impl SlaCalendars {
    /// Compiles every calendar of the model.
    ///
    /// # Errors
    /// [`SlaError::Compile`] naming the first calendar that does not compile.
    pub fn compile(model: &Model) -> Result<Self, SlaError> {
        let mut calendars = HashMap::new();
        calendars.insert(
            CalendarId::new(ALWAYS_OPEN_ID),
            CompiledCalendar::always_open(),
        );
        for cal in model.calendars() {
            let compiled = CompiledCalendar::new(cal).map_err(|source| SlaError::Compile {
                calendar: cal.id.clone(),
                source,
            })?;
            calendars.insert(cal.id.clone(), compiled);
        }
        Ok(Self(Arc::new(calendars)))
    }

    /// A compiled calendar by id.
    pub fn get(&self, id: &CalendarId) -> Option<&CompiledCalendar> {
        self.0.get(id)
    }
}

impl<'m> SlaEngine<'m> {
    /// Compiles the model's calendars.
    pub fn new(model: &'m Model) -> Result<Self, SlaError> {
        Ok(Self::with_calendars(model, SlaCalendars::compile(model)?))
    }

    /// An engine over `model` with calendars compiled before (from a model with the same
    /// calendars; see [`SlaCalendars`]).
    pub fn with_calendars(model: &'m Model, calendars: SlaCalendars) -> Self {
        Self {
            model,
            rules: None,
            calendars,
        }
    }

    /// Takes targets from the rules' `sla_targets` hook (the built-in table fills what the hook
    /// leaves out, and serves when the hook is absent or returns `()`).
    pub fn with_rules(mut self, rules: &'m RuleSet) -> Self {
        self.rules = Some(rules);
        self
    }

    /// The model.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// A compiled calendar by id (the model's, or the built-in `"24x7"`).
    pub fn calendar(&self, id: &CalendarId) -> Option<&CompiledCalendar> {
        self.calendars.get(id)
    }

    /// The order's targets, for its current priority: the `sla_targets` hook's answer over the
    /// built-in table by priority × customer tier (one rule call per order).
    pub fn targets(&self, order: &ServiceOrder) -> Result<SlaTargets, SlaError> {
        let customer =
            self.model
                .customer(&order.customer)
                .ok_or_else(|| SlaError::UnknownCustomer {
                    order: order.id.clone(),
                    customer: order.customer.clone(),
                })?;
        let defaults = default_targets(order.priority, &customer.tier);
        match self.rules {
            None => Ok(defaults),
            Some(rules) => targets_from_rules(rules, self.model, order, customer, defaults)
                .map_err(|source| SlaError::Rule {
                    order: order.id.clone(),
                    source: Box::new(source),
                }),
        }
    }

    /// The calendar id the targets resolve to for this order.
    pub fn calendar_id(&self, order: &ServiceOrder, targets: &SlaTargets) -> CalendarId {
        match &targets.calendar {
            CalendarChoice::Id(id) => id.clone(),
            CalendarChoice::Customer => self
                .model
                .customer(&order.customer)
                .and_then(|c| c.calendar.clone())
                .unwrap_or_else(|| CalendarId::new(ALWAYS_OPEN_ID)),
        }
    }

    /// The order's SLA at `at` with its own targets (see [`Self::targets`]).
    pub fn status(&self, order: &ServiceOrder, at: DateTime<Utc>) -> Result<OrderSla, SlaError> {
        let targets = self.targets(order)?;
        self.status_with(order, &targets, at)
    }

    /// The order's SLA at `at` with the given targets — a pure function of the targets, the
    /// calendar, the order's history and `at`.
    pub fn status_with(
        &self,
        order: &ServiceOrder,
        targets: &SlaTargets,
        at: DateTime<Utc>,
    ) -> Result<OrderSla, SlaError> {
        let calendar_id = self.calendar_id(order, targets);
        let calendar =
            self.calendars
                .get(&calendar_id)
                .ok_or_else(|| SlaError::UnknownCalendar {
                    order: order.id.clone(),
                    calendar: calendar_id.clone(),
                })?;
        let mut metrics = Vec::new();
        for metric in Metric::ALL {
            let status = metric_status(metric, targets, calendar, order, at).map_err(|source| {
                SlaError::Calendar {
                    order: order.id.clone(),
                    source,
                }
            })?;
            metrics.extend(status);
        }
        let tier = self
            .model
            .customer(&order.customer)
            .map(|c| c.tier.clone())
            .unwrap_or_default();
        Ok(OrderSla {
            order: order.id.clone(),
            customer: order.customer.clone(),
            tier,
            priority: order.priority,
            calendar: calendar_id,
            source: targets.source,
            metrics,
        })
    }
}
