//! Service orders and their strict lifecycle. Every status change is recorded with its instant,
//! because SLA clocks are computed from that history.

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

use super::ids::{
    AgreementId, AgreementLineId, CustomerId, OrderId, PartId, ReturnOrderId, ServiceObjectId,
    TaskCode, TechnicianId, ToolId,
};
use super::repair::RepairLine;

/// Order priority, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Safety or total outage.
    Critical,
    /// Major impairment.
    High,
    /// Normal work.
    Normal,
    /// Cosmetic or planned work with slack.
    Low,
}

impl Priority {
    /// Lower-case name as in JSON and rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "critical" => Some(Priority::Critical),
            "high" => Some(Priority::High),
            "normal" => Some(Priority::Normal),
            "low" => Some(Priority::Low),
            _ => None,
        }
    }

    /// Value weight used by the scheduler when not every order fits (critical 8, high 4,
    /// normal 2, low 1).
    pub fn weight(self) -> u32 {
        match self {
            Priority::Critical => 8,
            Priority::High => 4,
            Priority::Normal => 2,
            Priority::Low => 1,
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status of a service order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Registered, not yet planned.
    Created,
    /// Planned onto a technician.
    Scheduled,
    /// Work has started.
    InProgress,
    /// Work paused (waiting for parts, for the customer…).
    OnHold,
    /// Work finished (final).
    Completed,
    /// Withdrawn (final).
    Cancelled,
}

impl OrderStatus {
    /// Lower-case name as in JSON and rules.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Created => "created",
            OrderStatus::Scheduled => "scheduled",
            OrderStatus::InProgress => "in_progress",
            OrderStatus::OnHold => "on_hold",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            OrderStatus::Created,
            OrderStatus::Scheduled,
            OrderStatus::InProgress,
            OrderStatus::OnHold,
            OrderStatus::Completed,
            OrderStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Whether the order holds a technician's time: scheduled, in progress or on hold.
    ///
    /// ```
    /// use fieldwork::model::OrderStatus::*;
    /// assert!(Scheduled.is_booked() && OnHold.is_booked());
    /// assert!(!Created.is_booked() && !Completed.is_booked());
    /// ```
    pub fn is_booked(self) -> bool {
        matches!(
            self,
            OrderStatus::Scheduled | OrderStatus::InProgress | OrderStatus::OnHold
        )
    }

    /// Whether no transition leaves this status.
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Cancelled)
    }

    /// The lifecycle: `created → scheduled → in_progress ⇄ on_hold → completed`, any open status
    /// → `cancelled`, and `scheduled → created` to take an order off the plan.
    ///
    /// ```
    /// use fieldwork::model::OrderStatus::*;
    /// assert!(Created.can_become(Scheduled));
    /// assert!(InProgress.can_become(OnHold) && OnHold.can_become(InProgress));
    /// assert!(!Created.can_become(Completed));
    /// assert!(!Completed.can_become(Cancelled));
    /// ```
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Created, Scheduled)
                | (Scheduled, InProgress)
                | (Scheduled, Created)
                | (InProgress, OnHold)
                | (OnHold, InProgress)
                | (InProgress, Completed)
                | (Created | Scheduled | InProgress | OnHold, Cancelled)
        )
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The status entered.
    pub status: OrderStatus,
    /// Why, when the person recording the change gave a reason (`order hold --reason …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One recorded operation on an order that is not a status change: a priority change, a
/// manual assignment, repair lines or a repair stage (see
/// [`OrderOperation`](super::OrderOperation)). Status changes are in
/// [`ServiceOrder::history`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The operation's name (`priority`, `assign`, `repair`).
    pub action: String,
    /// What changed, in words (`normal -> critical`, `T-1 from 2027-03-01T09:00:00Z`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Why, when a reason was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where an order came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrderOrigin {
    /// Entered by hand (breakdown call, customer request).
    Manual,
    /// Generated from an agreement line's occurrence.
    Agreement {
        /// The agreement line.
        line: AgreementLineId,
        /// The occurrence, local wall-clock time of the customer's zone, before any rule moved it.
        occurrence: NaiveDateTime,
    },
    /// Created by the disposition of a return order line (a replacement or a repair).
    ReturnOrder {
        /// The return order.
        rma: ReturnOrderId,
        /// The line number within it.
        line: u32,
    },
}

/// Kind of an order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A service task (its duration comes from the task catalogue).
    Task,
    /// Hours of labour (quantity in hours adds to the duration).
    Hour,
    /// Parts or material.
    Item,
    /// Other expenses (travel fees, parking).
    Expense,
}

/// One line of a service order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    /// Kind.
    pub kind: LineKind,
    /// The task, for task lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskCode>,
    /// The agreement line it was generated from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_line: Option<AgreementLineId>,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Quantity (hours for hour lines, pieces for items).
    pub quantity: Decimal,
    /// Price per unit.
    pub unit_price: Decimal,
}

impl OrderLine {
    /// quantity × unit price, exact.
    pub fn amount(&self) -> Decimal {
        self.quantity * self.unit_price
    }
}

/// A lifecycle error: the transition is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LifecycleError {
    /// The lifecycle has no such edge.
    #[error("order {order}: illegal transition {from} -> {to}")]
    IllegalTransition {
        /// The order.
        order: OrderId,
        /// Current status.
        from: OrderStatus,
        /// Requested status.
        to: OrderStatus,
    },
    /// The change would be recorded before the previous one.
    #[error("order {order}: transition at {at} is before the previous change at {previous}")]
    OutOfOrder {
        /// The order.
        order: OrderId,
        /// Requested instant.
        at: DateTime<Utc>,
        /// Instant of the last recorded change (or creation).
        previous: DateTime<Utc>,
    },
}

/// An arrival window promised to a customer: the work starts at or after `from` and no later
/// than `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    /// Earliest start.
    pub from: DateTime<Utc>,
    /// Latest start.
    pub to: DateTime<Utc>,
}

impl Appointment {
    /// Whether `at` lies in the window (both ends included).
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at <= self.to
    }
}

/// A service order: work to do for a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceOrder {
    /// Order id.
    pub id: OrderId,
    /// Customer served.
    pub customer: CustomerId,
    /// Agreement it falls under, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementId>,
    /// Where it came from.
    pub origin: OrderOrigin,
    /// Object serviced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_object: Option<ServiceObjectId>,
    /// Priority (may change; SLA targets are then recomputed from `created_at`).
    pub priority: Priority,
    /// Free text (symptom as reported).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Lines.
    #[serde(default)]
    pub lines: Vec<OrderLine>,
    /// Creation instant: the status `created` starts here; SLA clocks start here.
    pub created_at: DateTime<Utc>,
    /// Status changes after creation, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<StatusChange>,
    /// Work may not start before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_start: Option<DateTime<Utc>>,
    /// Work should start by this instant (time window end); the SLA may set a tighter one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DateTime<Utc>>,
    /// Technician the customer prefers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_technician: Option<TechnicianId>,
    /// Technician the order is pinned to (a hard work rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_technician: Option<TechnicianId>,
    /// Start the order is pinned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_start: Option<DateTime<Utc>>,
    /// The arrival window booked with the customer (`fieldwork order book`): a hard window
    /// for the start of the work, whatever the due time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment: Option<Appointment>,
    /// Parts volume to carry (against a van's capacity).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub demand: f64,
    /// Parts the work needs besides its tasks' parts, units per part type (see
    /// `Model::order_required_parts` for the total).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub parts: std::collections::BTreeMap<PartId, u32>,
    /// Tools the work needs besides its tasks' tools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolId>,
    /// Technicians who must work on site together, all starting at once (a crew job):
    /// 1 (the default) to [`MAX_CREW`]. A crew job is never split over days.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub technicians_required: u32,
    /// Whether a job longer than its technician's shift may be split over consecutive working
    /// days of that technician (a multi-day job, each part a visit). Default true.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub split: bool,
    /// The shortest part of a multi-day job, minutes: overrides the dispatch policy's
    /// `work_rules.min_part_minutes` for this order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_part_minutes: Option<u32>,
    /// Repair records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repair_lines: Vec<RepairLine>,
    /// Current repair stage (a code of the repair-stage table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair_stage: Option<String>,
    /// Operations other than status changes (priority, manual assignment, repair), oldest
    /// first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<OrderEvent>,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn one() -> u32 {
    1
}

fn is_one(v: &u32) -> bool {
    *v == 1
}

fn yes() -> bool {
    true
}

fn is_true(v: &bool) -> bool {
    *v
}

/// Largest crew an order may require (`technicians_required`).
pub const MAX_CREW: u32 = 8;

impl ServiceOrder {
    /// A new manual order in status `created`.
    pub fn new(
        id: impl Into<OrderId>,
        customer: impl Into<CustomerId>,
        priority: Priority,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: id.into(),
            customer: customer.into(),
            agreement: None,
            origin: OrderOrigin::Manual,
            service_object: None,
            priority,
            description: String::new(),
            lines: Vec::new(),
            created_at,
            history: Vec::new(),
            earliest_start: None,
            due: None,
            preferred_technician: None,
            required_technician: None,
            pinned_start: None,
            appointment: None,
            demand: 0.0,
            parts: std::collections::BTreeMap::new(),
            tools: Vec::new(),
            technicians_required: 1,
            split: true,
            min_part_minutes: None,
            repair_lines: Vec::new(),
            repair_stage: None,
            events: Vec::new(),
        }
    }

    /// Current status: the last recorded change, or `created`.
    pub fn status(&self) -> OrderStatus {
        self.history
            .last()
            .map_or(OrderStatus::Created, |c| c.status)
    }

    /// Instant of the last change (or creation).
    pub fn last_change_at(&self) -> DateTime<Utc> {
        self.history.last().map_or(self.created_at, |c| c.at)
    }

    /// Moves the order to `to` at `at`, recording the change; illegal or out-of-order changes are
    /// errors and leave the order as it was.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use fieldwork::model::{OrderStatus, Priority, ServiceOrder};
    /// let t0 = Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap();
    /// let mut order = ServiceOrder::new("SO-1", "C-1", Priority::High, t0);
    /// order.transition(OrderStatus::Scheduled, t0).unwrap();
    /// assert!(order.transition(OrderStatus::Completed, t0).is_err());
    /// assert_eq!(order.status(), OrderStatus::Scheduled);
    /// ```
    pub fn transition(&mut self, to: OrderStatus, at: DateTime<Utc>) -> Result<(), LifecycleError> {
        self.transition_because(to, at, None)
    }

    /// [`Self::transition`] recording why (the reason is kept in the history).
    pub fn transition_because(
        &mut self,
        to: OrderStatus,
        at: DateTime<Utc>,
        reason: Option<String>,
    ) -> Result<(), LifecycleError> {
        let from = self.status();
        if !from.can_become(to) {
            return Err(LifecycleError::IllegalTransition {
                order: self.id.clone(),
                from,
                to,
            });
        }
        let previous = self.last_change_at();
        if at < previous {
            return Err(LifecycleError::OutOfOrder {
                order: self.id.clone(),
                at,
                previous,
            });
        }
        self.history.push(StatusChange {
            at,
            status: to,
            reason,
        });
        Ok(())
    }

    /// Checks the recorded history is a legal path from `created`, in time order.
    pub fn check_history(&self) -> Result<(), LifecycleError> {
        // The same checks as `transition`, replayed without copying the order.
        let (mut status, mut previous) = (OrderStatus::Created, self.created_at);
        for change in &self.history {
            if !status.can_become(change.status) {
                return Err(LifecycleError::IllegalTransition {
                    order: self.id.clone(),
                    from: status,
                    to: change.status,
                });
            }
            if change.at < previous {
                return Err(LifecycleError::OutOfOrder {
                    order: self.id.clone(),
                    at: change.at,
                    previous,
                });
            }
            (status, previous) = (change.status, change.at);
        }
        Ok(())
    }

    /// Task codes of the order's task lines.
    pub fn task_codes(&self) -> impl Iterator<Item = &TaskCode> {
        self.lines.iter().filter_map(|l| l.task.as_ref())
    }

    /// Total of all lines.
    pub fn total_amount(&self) -> Decimal {
        self.lines.iter().map(OrderLine::amount).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use OrderStatus::*;

    const ALL: [OrderStatus; 6] = [Created, Scheduled, InProgress, OnHold, Completed, Cancelled];

    #[test]
    fn every_transition_is_legal_or_illegal_as_documented() {
        let legal = [
            (Created, Scheduled),
            (Created, Cancelled),
            (Scheduled, InProgress),
            (Scheduled, Created),
            (Scheduled, Cancelled),
            (InProgress, OnHold),
            (InProgress, Completed),
            (InProgress, Cancelled),
            (OnHold, InProgress),
            (OnHold, Cancelled),
        ];
        for from in ALL {
            for to in ALL {
                assert_eq!(
                    from.can_become(to),
                    legal.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn transitions_are_recorded_and_illegal_ones_change_nothing() {
        let t = |h| Utc.with_ymd_and_hms(2027, 3, 1, h, 0, 0).unwrap();
        let mut o = ServiceOrder::new("SO-1", "C-1", Priority::Normal, t(8));
        for (status, hour) in [
            (Scheduled, 9),
            (InProgress, 10),
            (OnHold, 11),
            (InProgress, 12),
        ] {
            o.transition(status, t(hour)).unwrap();
        }
        let err = o.transition(Created, t(13)).unwrap_err();
        assert!(matches!(
            err,
            LifecycleError::IllegalTransition {
                from: InProgress,
                to: Created,
                ..
            }
        ));
        let err = o.transition(Completed, t(11)).unwrap_err();
        assert!(matches!(err, LifecycleError::OutOfOrder { .. }));
        o.transition(Completed, t(14)).unwrap();
        assert_eq!(o.history.len(), 5);
        assert_eq!(o.status(), Completed);
        assert!(o.check_history().is_ok());
        assert!(o.transition(Cancelled, t(15)).is_err());
    }

    #[test]
    fn check_history_finds_a_bad_recorded_path() {
        let t = Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap();
        let mut o = ServiceOrder::new("SO-1", "C-1", Priority::Normal, t);
        o.history.push(StatusChange {
            at: t,
            status: Completed,
            reason: None,
        });
        assert!(o.check_history().is_err());
    }
}
