//! Order operations: what a dispatcher or technician records about one order during the day —
//! start, hold, resume, complete, cancel, a priority change, a manual assignment, a booked
//! arrival window, repair lines
//! and stage — and the state machine that decides which operation is allowed in which status.
//!
//! The logic lives here, below every engine and the store, so that a store can apply an
//! operation inside its own transaction ([`Store::apply_operation`](crate::store::Store)):
//! read the order, [`Model::preview_operation`], write the result. An operation that is not
//! allowed, names an unknown order or technician, or would make the order invalid (an unknown
//! repair code, a change recorded before the previous one) is an [`OperationError`] and
//! changes nothing.
//!
//! | status | allowed operations |
//! |---|---|
//! | `created` | assign, book, priority, repair, cancel |
//! | `scheduled` | start, assign, book, priority, repair, cancel |
//! | `in_progress` | hold, complete, priority, repair, cancel |
//! | `on_hold` | resume, priority, repair, cancel |
//! | `completed`, `cancelled` | none (final) |
//!
//! Status operations append to the order's [`history`](ServiceOrder::history) with their
//! instant and reason; the others append an [`OrderEvent`]. SLA clocks follow from the
//! history alone (see `sla::clock`): a hold pauses them, resuming restarts them, completion
//! stops them, and a priority change recomputes the targets from the clock start.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::error::ValidationIssue;
use super::ids::{OrderId, TechnicianId};
use super::order::{Appointment, LifecycleError, OrderEvent, OrderStatus, Priority, ServiceOrder};
use super::repair::RepairLine;
use super::Model;

/// Most repair lines one operation may add (a bound on what one command line can ask).
pub const MAX_REPAIR_LINES_PER_OPERATION: usize = 100;

/// What an operation does to an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OrderAction {
    /// Work starts (`scheduled → in_progress`): the actual start.
    Start,
    /// Work pauses (`in_progress → on_hold`): SLA clocks pause.
    Hold,
    /// Work goes on (`on_hold → in_progress`): SLA clocks run again.
    Resume,
    /// Work is done (`in_progress → completed`): the actual finish; SLA clocks stop.
    Complete,
    /// The order is withdrawn (any open status → `cancelled`).
    Cancel,
    /// A new priority: SLA targets are recomputed from the original clock start.
    Priority {
        /// The new priority.
        priority: Priority,
    },
    /// Manual dispatch: the order is pinned to the technician (and start, when given); the
    /// next planning run places it there.
    Assign {
        /// The technician.
        technician: TechnicianId,
        /// The start, when the dispatcher fixes it too.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<DateTime<Utc>>,
    },
    /// An arrival window booked with the customer (e.g. one of the slots `fieldwork slots`
    /// offers): the next planning run starts the work inside it.
    Book {
        /// The window.
        #[serde(flatten)]
        window: Appointment,
    },
    /// Repair lines to add and/or the repair stage to set (checked against the model's repair
    /// code tables).
    Repair {
        /// Lines to add (at most [`MAX_REPAIR_LINES_PER_OPERATION`]).
        #[serde(default)]
        lines: Vec<RepairLine>,
        /// The new stage.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stage: Option<String>,
    },
}

impl OrderAction {
    /// The operation's name, as on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            OrderAction::Start => "start",
            OrderAction::Hold => "hold",
            OrderAction::Resume => "resume",
            OrderAction::Complete => "complete",
            OrderAction::Cancel => "cancel",
            OrderAction::Priority { .. } => "priority",
            OrderAction::Assign { .. } => "assign",
            OrderAction::Book { .. } => "book",
            OrderAction::Repair { .. } => "repair",
        }
    }

    /// The status the action moves the order to, for status actions.
    pub fn target_status(&self) -> Option<OrderStatus> {
        match self {
            OrderAction::Start | OrderAction::Resume => Some(OrderStatus::InProgress),
            OrderAction::Hold => Some(OrderStatus::OnHold),
            OrderAction::Complete => Some(OrderStatus::Completed),
            OrderAction::Cancel => Some(OrderStatus::Cancelled),
            OrderAction::Priority { .. }
            | OrderAction::Assign { .. }
            | OrderAction::Book { .. }
            | OrderAction::Repair { .. } => None,
        }
    }
}

/// The names of the operations allowed on an order in `status` (the table of the module docs).
///
/// ```
/// use fieldwork::model::{allowed_actions, OrderStatus};
/// assert_eq!(allowed_actions(OrderStatus::InProgress), ["hold", "complete", "priority", "repair", "cancel"]);
/// assert!(allowed_actions(OrderStatus::Completed).is_empty());
/// ```
pub fn allowed_actions(status: OrderStatus) -> &'static [&'static str] {
    match status {
        OrderStatus::Created => &["assign", "book", "priority", "repair", "cancel"],
        OrderStatus::Scheduled => &["start", "assign", "book", "priority", "repair", "cancel"],
        OrderStatus::InProgress => &["hold", "complete", "priority", "repair", "cancel"],
        OrderStatus::OnHold => &["resume", "priority", "repair", "cancel"],
        OrderStatus::Completed | OrderStatus::Cancelled => &[],
    }
}

/// One operation on one order: what, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderOperation {
    /// The order.
    pub order: OrderId,
    /// What to do.
    #[serde(flatten)]
    pub action: OrderAction,
    /// When it happened (recorded in the history; never before the order's last change).
    pub at: DateTime<Utc>,
    /// Why, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Why an operation was refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OperationError {
    /// No order has this id.
    #[error("unknown order `{order}`")]
    UnknownOrder {
        /// The id asked for.
        order: OrderId,
    },
    /// The operation is not allowed in the order's current status.
    #[error(
        "order {order} is {status}: cannot {action} (allowed: {})",
        list(allowed)
    )]
    NotAllowed {
        /// The order.
        order: OrderId,
        /// The operation refused.
        action: &'static str,
        /// The order's current status.
        status: OrderStatus,
        /// The operations allowed in that status.
        allowed: &'static [&'static str],
    },
    /// The change would be recorded before the order's previous one.
    #[error("{0}")]
    Lifecycle(LifecycleError),
    /// An assignment to a technician the model does not know.
    #[error("order {order}: unknown technician `{technician}`")]
    UnknownTechnician {
        /// The order.
        order: OrderId,
        /// The technician asked for.
        technician: TechnicianId,
    },
    /// A repair operation with no line and no stage, or too many lines.
    #[error("order {order}: {message}")]
    BadRepair {
        /// The order.
        order: OrderId,
        /// What is wrong.
        message: String,
    },
    /// The order would no longer be valid (an unknown repair code or stage, …).
    #[error("{}", issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// The problems, each naming the order and field.
        issues: Vec<ValidationIssue>,
    },
}

fn list(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        "none, the order is final".to_owned()
    } else {
        allowed.join(", ")
    }
}

/// Facts of the work done on an order, read from its history: the actual start and finish,
/// the time on site and whether it was fixed in one go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkFacts {
    /// First entry into `in_progress`.
    pub actual_start: Option<DateTime<Utc>>,
    /// Entry into `completed`.
    pub actual_finish: Option<DateTime<Utc>>,
    /// Seconds spent `in_progress` (holds excluded), up to the finish or `at`.
    pub on_site_seconds: i64,
    /// For a completed order: whether it was completed without ever being put on hold.
    pub first_time_fix: Option<bool>,
}

impl WorkFacts {
    /// The facts of `order` as at `at` (changes after `at` are ignored).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use fieldwork::model::{OrderStatus::*, Priority, ServiceOrder, WorkFacts};
    /// let t = |h| Utc.with_ymd_and_hms(2027, 3, 1, h, 0, 0).unwrap();
    /// let mut o = ServiceOrder::new("SO-1", "C-1", Priority::High, t(7));
    /// for (s, h) in [(Scheduled, 7), (InProgress, 8), (OnHold, 9), (InProgress, 11), (Completed, 12)] {
    ///     o.transition(s, t(h)).unwrap();
    /// }
    /// let facts = WorkFacts::of(&o, t(20));
    /// assert_eq!((facts.actual_start, facts.actual_finish), (Some(t(8)), Some(t(12))));
    /// assert_eq!(facts.on_site_seconds, 2 * 3600);
    /// assert_eq!(facts.first_time_fix, Some(false));
    /// ```
    pub fn of(order: &ServiceOrder, at: DateTime<Utc>) -> Self {
        let mut facts = WorkFacts {
            actual_start: None,
            actual_finish: None,
            on_site_seconds: 0,
            first_time_fix: None,
        };
        let mut working_since: Option<DateTime<Utc>> = None;
        let mut held = false;
        // Bounded by the order's history.
        for change in order.history.iter().take_while(|c| c.at <= at) {
            if let Some(since) = working_since.take() {
                facts.on_site_seconds += (change.at - since).num_seconds().max(0);
            }
            match change.status {
                OrderStatus::InProgress => {
                    facts.actual_start.get_or_insert(change.at);
                    working_since = Some(change.at);
                }
                OrderStatus::OnHold => held = true,
                OrderStatus::Completed => {
                    facts.actual_finish = Some(change.at);
                    facts.first_time_fix = Some(!held);
                }
                _ => {}
            }
        }
        if let Some(since) = working_since {
            facts.on_site_seconds += (at - since).num_seconds().max(0);
        }
        facts
    }
}

impl Model {
    /// The order as `operation` would leave it, without changing the model — what a store
    /// writes inside its transaction.
    ///
    /// # Errors
    /// [`OperationError`]: unknown order, an operation the status does not allow (naming the
    /// status and the allowed operations), a change before the previous one, an unknown
    /// technician, or a result the model's validation refuses (repair codes and stages).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use fieldwork::model::{Model, OrderAction, OrderId, OrderOperation, OrderStatus};
    /// let mut model = Model::from_json(r#"{
    ///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
    ///                  "location": {"lat": 0, "lon": 0}}],
    ///   "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
    ///               "priority": "high", "created_at": "2027-03-01T08:00:00Z",
    ///               "history": [{"at": "2027-03-01T08:00:00Z", "status": "scheduled"}]}]
    /// }"#).unwrap();
    /// let at = Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
    /// let op = |action| OrderOperation { order: OrderId::new("SO-1"), action, at, reason: None };
    /// let err = model.apply_operation(&op(OrderAction::Complete)).unwrap_err();
    /// assert_eq!(err.to_string(),
    ///     "order SO-1 is scheduled: cannot complete (allowed: start, assign, book, priority, repair, cancel)");
    /// model.apply_operation(&op(OrderAction::Start)).unwrap();
    /// assert_eq!(model.order(&OrderId::new("SO-1")).unwrap().status(), OrderStatus::InProgress);
    /// ```
    pub fn preview_operation(
        &self,
        operation: &OrderOperation,
    ) -> Result<ServiceOrder, OperationError> {
        let id = &operation.order;
        let current = self
            .order(id)
            .ok_or_else(|| OperationError::UnknownOrder { order: id.clone() })?;
        let status = current.status();
        let action = &operation.action;
        let allowed = allowed_actions(status);
        if !allowed.contains(&action.name()) {
            return Err(OperationError::NotAllowed {
                order: id.clone(),
                action: action.name(),
                status,
                allowed,
            });
        }
        let mut order = current.clone();
        let reason = operation.reason.clone();
        let event = |action: &str, detail: String| OrderEvent {
            at: operation.at,
            action: action.to_owned(),
            detail,
            reason: reason.clone(),
        };
        match action {
            OrderAction::Priority { priority } => {
                let detail = format!("{} -> {priority}", order.priority);
                order.priority = *priority;
                order.events.push(event("priority", detail));
            }
            OrderAction::Assign { technician, start } => {
                if self.technician(technician).is_none() {
                    return Err(OperationError::UnknownTechnician {
                        order: id.clone(),
                        technician: technician.clone(),
                    });
                }
                order.required_technician = Some(technician.clone());
                order.pinned_start = *start;
                let detail = match start {
                    Some(s) => format!("{technician} from {}", s.to_rfc3339()),
                    None => technician.to_string(),
                };
                order.events.push(event("assign", detail));
            }
            OrderAction::Book { window } => {
                order.appointment = Some(*window);
                // A start pinned outside the new window no longer holds.
                if order.pinned_start.is_some_and(|p| !window.contains(p)) {
                    order.pinned_start = None;
                }
                let detail = format!("{} to {}", window.from.to_rfc3339(), window.to.to_rfc3339());
                order.events.push(event("book", detail));
            }
            OrderAction::Repair { lines, stage } => {
                if lines.is_empty() && stage.is_none() {
                    return Err(OperationError::BadRepair {
                        order: id.clone(),
                        message: "a repair operation needs a repair line or a stage".into(),
                    });
                }
                if lines.len() > MAX_REPAIR_LINES_PER_OPERATION {
                    return Err(OperationError::BadRepair {
                        order: id.clone(),
                        message: format!(
                            "{} repair lines in one operation (at most \
                             {MAX_REPAIR_LINES_PER_OPERATION})",
                            lines.len()
                        ),
                    });
                }
                order.repair_lines.extend(lines.iter().cloned());
                let mut detail = Vec::new();
                if !lines.is_empty() {
                    detail.push(format!("{} line(s)", lines.len()));
                }
                if let Some(stage) = stage {
                    detail.push(format!("stage {stage}"));
                    order.repair_stage = Some(stage.clone());
                }
                order.events.push(event("repair", detail.join(", ")));
            }
            status_action => {
                if let Some(to) = status_action.target_status() {
                    order
                        .transition_because(to, operation.at, reason.clone())
                        .map_err(OperationError::Lifecycle)?;
                }
            }
        }
        let mut issues = Vec::new();
        super::validate::check_order(self, &order, &mut issues);
        if !issues.is_empty() {
            return Err(OperationError::Invalid { issues });
        }
        Ok(order)
    }

    /// Applies `operation` to the model (see [`Self::preview_operation`]); the model is
    /// unchanged on error. Returns the order as it is now.
    ///
    /// # Errors
    /// As [`Self::preview_operation`].
    pub fn apply_operation(
        &mut self,
        operation: &OrderOperation,
    ) -> Result<&ServiceOrder, OperationError> {
        let order = self.preview_operation(operation)?;
        let id = order.id.clone();
        self.orders.upsert(order);
        self.order(&id)
            .ok_or(OperationError::UnknownOrder { order: id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn model() -> Model {
        Model::from_json(
            r#"{
          "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                         "location": {"lat": 0, "lon": 0}}],
          "calendars": [{"id": "c", "time_zone": "UTC", "weekly": {"mon": [["08:00","17:00"]]}}],
          "technicians": [{"id": "T-1", "name": "Ann", "home": {"lat": 0, "lon": 0},
                           "calendar": "c", "hourly_cost": "40", "max_hours_per_day": 8}],
          "repair_codes": {"symptom_areas": [{"code": "COOLING", "codes": [{"code": "NO-COLD"}]}],
                           "stages": [{"code": "DIAG"}, {"code": "DONE", "finished": true}]},
          "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
                      "priority": "normal", "created_at": "2027-03-01T08:00:00Z"}]
        }"#,
        )
        .unwrap()
    }

    fn op(action: OrderAction, hour: u32) -> OrderOperation {
        OrderOperation {
            order: OrderId::new("SO-1"),
            action,
            at: Utc.with_ymd_and_hms(2027, 3, 1, hour, 0, 0).unwrap(),
            reason: Some("because".into()),
        }
    }

    fn line(area: &str, code: &str) -> RepairLine {
        RepairLine {
            service_object: None,
            symptom_area: area.into(),
            symptom_code: code.into(),
            condition: None,
            diagnosis_area: None,
            diagnosis_code: None,
            resolution: None,
            note: String::new(),
        }
    }

    #[test]
    fn non_status_operations_record_an_event_and_change_the_order() {
        let mut m = model();
        m.apply_operation(&op(
            OrderAction::Priority {
                priority: Priority::Critical,
            },
            9,
        ))
        .unwrap();
        let t = Utc.with_ymd_and_hms(2027, 3, 2, 10, 0, 0).unwrap();
        m.apply_operation(&op(
            OrderAction::Assign {
                technician: TechnicianId::new("T-1"),
                start: Some(t),
            },
            9,
        ))
        .unwrap();
        let o = m.order(&OrderId::new("SO-1")).unwrap();
        assert_eq!(o.priority, Priority::Critical);
        assert_eq!(o.required_technician, Some(TechnicianId::new("T-1")));
        assert_eq!(o.pinned_start, Some(t));
        assert_eq!(o.events.len(), 2);
        assert_eq!(o.events[0].detail, "normal -> critical");
        assert_eq!(o.events[0].reason.as_deref(), Some("because"));
        assert_eq!(o.status(), OrderStatus::Created);
    }

    #[test]
    fn repair_lines_and_stages_are_checked_against_the_code_tables() {
        let mut m = model();
        let repair = |lines, stage: Option<&str>| OrderAction::Repair {
            lines,
            stage: stage.map(Into::into),
        };
        let err = m
            .apply_operation(&op(repair(vec![line("COOLING", "NOISE")], None), 9))
            .unwrap_err();
        assert!(err.to_string().contains("symptom code `NOISE`"), "{err}");
        let err = m
            .apply_operation(&op(repair(vec![], Some("NOPE")), 9))
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown repair stage `NOPE`"),
            "{err}"
        );
        assert!(matches!(
            m.apply_operation(&op(repair(vec![], None), 9)),
            Err(OperationError::BadRepair { .. })
        ));
        let o = m.order(&OrderId::new("SO-1")).unwrap();
        assert!(o.repair_lines.is_empty() && o.events.is_empty());
        m.apply_operation(&op(
            repair(vec![line("COOLING", "NO-COLD")], Some("DIAG")),
            9,
        ))
        .unwrap();
        let o = m.order(&OrderId::new("SO-1")).unwrap();
        assert_eq!(o.repair_lines.len(), 1);
        assert_eq!(o.repair_stage.as_deref(), Some("DIAG"));
    }

    #[test]
    fn unknown_orders_and_technicians_are_refused() {
        let mut m = model();
        let mut unknown = op(OrderAction::Cancel, 9);
        unknown.order = OrderId::new("SO-9");
        assert_eq!(
            m.apply_operation(&unknown).unwrap_err().to_string(),
            "unknown order `SO-9`"
        );
        let err = m
            .apply_operation(&op(
                OrderAction::Assign {
                    technician: TechnicianId::new("T-9"),
                    start: None,
                },
                9,
            ))
            .unwrap_err();
        assert_eq!(err.to_string(), "order SO-1: unknown technician `T-9`");
    }

    #[test]
    fn a_final_order_names_its_status_and_allows_nothing() {
        let mut m = model();
        m.apply_operation(&op(OrderAction::Cancel, 9)).unwrap();
        let o = m.order(&OrderId::new("SO-1")).unwrap();
        assert_eq!(o.history[0].reason.as_deref(), Some("because"));
        let err = m.apply_operation(&op(OrderAction::Start, 10)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "order SO-1 is cancelled: cannot start (allowed: none, the order is final)"
        );
    }
}
