//! Return orders (RMA): the lifecycle `created → received → inspected → disposition executed →
//! closed`, return reason codes, and disposition codes with the actions they imply.
//!
//! * [`transition`], [`can_transition`]: the lifecycle (forward one step at a time).
//! * [`receive`], [`inspect`], [`execute_dispositions`], [`close`]: the steps. Inspection
//!   decides a disposition for every line without one, through a [`DispositionSource`]: the
//!   `disposition(rma, line, object)` rule hook ([`RuleDisposition`]) or
//!   [`BuiltInDisposition`].
//! * [`plan_actions`], [`action_for`]: what each disposition implies — a credit
//!   [`Transaction`](crate::billing::Transaction), a replacement order, a repair service order
//!   for the returned object, scrap, return to customer — as values, never side effects.
//! * [`review`]: an RMA with its (recorded or proposed) dispositions and their actions.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use fieldwork::model::{Model, ReturnOrderId, ReturnStatus};
//! use fieldwork::rma::{execute_dispositions, inspect, receive, Action, BuiltInDisposition};
//! let model = Model::from_json(r#"{
//!   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
//!                  "location": {"lat": 0, "lon": 0}}],
//!   "service_objects": [{"id": "OBJ-1", "customer": "C-1", "serial": "S1", "model": "PUMP",
//!                        "warranty_end": "2027-12-31"}],
//!   "return_orders": [{"id": "RMA-1", "customer": "C-1", "reason_code": "DEFECT",
//!     "status": "created", "created_at": "2027-03-01T09:00:00Z",
//!     "lines": [{"line": 1, "service_object": "OBJ-1", "item": "PUMP", "quantity": "1"}]}]
//! }"#)?;
//! let mut rma = model.return_order(&ReturnOrderId::new("RMA-1")).unwrap().clone();
//! receive(&mut rma)?;
//! let decisions = inspect(&model, &mut rma, &BuiltInDisposition)?;
//! assert_eq!(decisions[0].reason, "under warranty until 2027-12-31");
//! let at = Utc.with_ymd_and_hms(2027, 3, 5, 8, 0, 0).unwrap();
//! let actions = execute_dispositions(&model, &mut rma, at)?;
//! assert!(matches!(&actions[0], Action::Replace { order, .. } if order.id.as_str() == "RMA-1-1-REPLACE"));
//! assert_eq!(rma.status, ReturnStatus::DispositionExecuted);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod actions;
mod disposition;
mod error;
mod lifecycle;

pub use actions::{action_for, action_order_id, Action};
pub use disposition::{
    BuiltInDisposition, DecidedBy, Decision, DispositionSource, RuleDisposition, DISPOSITION_HOOK,
    WRONG_ITEM,
};
pub use error::RmaError;
pub use lifecycle::{can_transition, check_lines, next_status, transition};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Model, ReturnOrder, ReturnOrderId, ReturnReason, ReturnStatus};

/// Marks the goods as arrived (`created → received`).
///
/// # Errors
/// [`RmaError::IllegalTransition`] from any other status.
pub fn receive(rma: &mut ReturnOrder) -> Result<(), RmaError> {
    transition(rma, ReturnStatus::Received)
}

/// The disposition of every line: the recorded one, or the one `source` decides (the return
/// order is not changed).
///
/// # Errors
/// [`RmaError::DuplicateLine`]; whatever `source` fails with.
pub fn decide_dispositions(
    model: &Model,
    rma: &ReturnOrder,
    source: &impl DispositionSource,
) -> Result<Vec<Decision>, RmaError> {
    check_lines(rma, false)?;
    rma.lines
        .iter()
        .map(|line| match line.disposition {
            Some(disposition) => Ok(Decision {
                line: line.line,
                disposition,
                reason: "recorded".to_owned(),
                decided_by: DecidedBy::Recorded,
            }),
            None => {
                let object = line
                    .service_object
                    .as_ref()
                    .and_then(|id| model.service_object(id));
                source.decide(rma, line, object)
            }
        })
        .collect()
}

/// Inspects the goods (`received → inspected`): every line without a disposition gets the one
/// `source` decides; recorded dispositions are kept. Returns the decisions, line by line.
///
/// # Errors
/// [`RmaError::IllegalTransition`] from any status but `received`; whatever `source` fails
/// with. The return order is unchanged on error.
pub fn inspect(
    model: &Model,
    rma: &mut ReturnOrder,
    source: &impl DispositionSource,
) -> Result<Vec<Decision>, RmaError> {
    if !can_transition(rma.status, ReturnStatus::Inspected) {
        return Err(RmaError::IllegalTransition {
            rma: rma.id.clone(),
            from: rma.status,
            to: ReturnStatus::Inspected,
        });
    }
    let decisions = decide_dispositions(model, rma, source)?;
    let mut inspected = rma.clone();
    for (line, decision) in inspected.lines.iter_mut().zip(&decisions) {
        line.disposition = Some(decision.disposition);
    }
    transition(&mut inspected, ReturnStatus::Inspected)?;
    *rma = inspected;
    Ok(decisions)
}

/// The actions the lines' recorded dispositions imply, created at `at` (see [`action_for`]).
///
/// # Errors
/// [`RmaError::MissingDisposition`] for a line without one; the errors of [`action_for`].
pub fn plan_actions(rma: &ReturnOrder, at: DateTime<Utc>) -> Result<Vec<Action>, RmaError> {
    check_lines(rma, true)?;
    rma.lines
        .iter()
        .filter_map(|line| line.disposition.map(|d| action_for(rma, line, d, at)))
        .collect()
}

/// Carries out the dispositions (`inspected → disposition_executed`): returns the actions for
/// the host to apply (orders to add, credits to post).
///
/// # Errors
/// [`RmaError::IllegalTransition`] from any status but `inspected`;
/// [`RmaError::OrderIdTaken`] when an order to create exists in `model`; the errors of
/// [`plan_actions`]. The return order is unchanged on error.
pub fn execute_dispositions(
    model: &Model,
    rma: &mut ReturnOrder,
    at: DateTime<Utc>,
) -> Result<Vec<Action>, RmaError> {
    if !can_transition(rma.status, ReturnStatus::DispositionExecuted) {
        return Err(RmaError::IllegalTransition {
            rma: rma.id.clone(),
            from: rma.status,
            to: ReturnStatus::DispositionExecuted,
        });
    }
    let actions = plan_actions(rma, at)?;
    for action in &actions {
        if let Some(order) = action.order().filter(|o| model.order(&o.id).is_some()) {
            return Err(RmaError::OrderIdTaken {
                rma: rma.id.clone(),
                line: action.line(),
                order: order.id.clone(),
            });
        }
    }
    transition(rma, ReturnStatus::DispositionExecuted)?;
    Ok(actions)
}

/// Closes a return order whose dispositions were executed.
///
/// # Errors
/// [`RmaError::IllegalTransition`] from any other status.
pub fn close(rma: &mut ReturnOrder) -> Result<(), RmaError> {
    transition(rma, ReturnStatus::Closed)
}

/// A return order with its reason, the disposition of every line (recorded or proposed) and
/// the actions those imply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RmaReview {
    /// The return order as recorded.
    pub rma: ReturnOrder,
    /// Its reason code's entry in the reason table, if any.
    pub reason: Option<ReturnReason>,
    /// The next status of the lifecycle (`None` when closed).
    pub next_status: Option<ReturnStatus>,
    /// Each line's disposition and who decided it.
    pub decisions: Vec<Decision>,
    /// The actions the dispositions imply, as if executed at the review instant.
    pub actions: Vec<Action>,
}

/// Reviews return order `id`: dispositions recorded or proposed by `source`, and the actions
/// they imply at `at`. Nothing changes.
///
/// # Errors
/// [`RmaError::NotFound`]; the errors of [`decide_dispositions`] and [`action_for`].
pub fn review(
    model: &Model,
    id: &ReturnOrderId,
    source: &impl DispositionSource,
    at: DateTime<Utc>,
) -> Result<RmaReview, RmaError> {
    let rma = model
        .return_order(id)
        .ok_or_else(|| RmaError::NotFound { rma: id.clone() })?;
    let decisions = decide_dispositions(model, rma, source)?;
    let actions = rma
        .lines
        .iter()
        .zip(&decisions)
        .map(|(line, d)| action_for(rma, line, d.disposition, at))
        .collect::<Result<_, _>>()?;
    Ok(RmaReview {
        rma: rma.clone(),
        reason: model
            .return_reasons()
            .iter()
            .find(|r| r.code == rma.reason_code)
            .cloned(),
        next_status: next_status(rma.status),
        decisions,
        actions,
    })
}
