//! The day's operations — what dispatchers and technicians record as it happens:
//!
//! - **Order operations** (start, hold, resume, complete, cancel, priority, manual assignment,
//!   repair lines and stage): the state machine is [`model::operation`](crate::model) —
//!   [`OrderOperation`], [`allowed_actions`], [`Model::preview_operation`] — below the store, so
//!   that every [`Store`](crate::store::Store) applies it inside its own write transaction
//!   (`Store::apply_operation`). It is re-exported here.
//! - **Return-order steps** (receive, inspect, execute, close): [`return_step`] runs the
//!   return-order lifecycle of [`rma`](crate::rma) (inspection asks the disposition rule;
//!   execution creates the replacement and repair orders and the credits) and returns a
//!   [`ReturnStep`] the store writes in one batch (`Store::apply_return_step`), refusing it if
//!   the return order moved on meanwhile.
//!
//! SLA clocks follow the recorded history by themselves (`sla::clock`), and the work KPIs
//! (first-time fix, time on site, SLA met share) are [`WorkKpis`](crate::sla::WorkKpis).
//!
//! [`Model::preview_operation`]: crate::model::Model::preview_operation

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

use crate::billing::Transaction;
use crate::model::{Model, ReturnOrderId, ReturnStatus, ServiceOrder};
use crate::rma::{
    close, execute_dispositions, inspect, receive, Action, DispositionSource, RmaError,
};
use crate::store::ReturnStep;

pub use crate::model::{allowed_actions, OperationError, OrderAction, OrderOperation, WorkFacts};

/// A step of a return order's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnAction {
    /// The goods arrived (`created → received`).
    Receive,
    /// Every line gets a disposition (`received → inspected`).
    Inspect,
    /// The dispositions are carried out (`inspected → disposition_executed`): replacement and
    /// repair orders are created, credits posted.
    Execute,
    /// Finished (`disposition_executed → closed`).
    Close,
}

impl ReturnAction {
    /// The step's name, as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnAction::Receive => "receive",
            ReturnAction::Inspect => "inspect",
            ReturnAction::Execute => "execute",
            ReturnAction::Close => "close",
        }
    }

    /// The step allowed in `status` (`None` for `closed`).
    pub fn allowed_in(status: ReturnStatus) -> Option<ReturnAction> {
        match status {
            ReturnStatus::Created => Some(ReturnAction::Receive),
            ReturnStatus::Received => Some(ReturnAction::Inspect),
            ReturnStatus::Inspected => Some(ReturnAction::Execute),
            ReturnStatus::DispositionExecuted => Some(ReturnAction::Close),
            ReturnStatus::Closed => None,
        }
    }
}

impl fmt::Display for ReturnAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a return-order step was refused; nothing was changed.
#[derive(Debug, Error)]
pub enum ReturnStepError {
    /// No return order has this id.
    #[error("unknown return order `{rma}`")]
    Unknown {
        /// The id asked for.
        rma: ReturnOrderId,
    },
    /// The step is not the one the return order's status allows.
    #[error("return order {rma} is {status}: cannot {action} (allowed: {})",
        allowed.map_or("none, the return order is closed".to_owned(), |a| a.to_string()))]
    NotAllowed {
        /// The return order.
        rma: ReturnOrderId,
        /// The step refused.
        action: ReturnAction,
        /// Its current status.
        status: ReturnStatus,
        /// The one step allowed.
        allowed: Option<ReturnAction>,
    },
    /// The lifecycle's guards or actions failed (a line without disposition, a credit without
    /// currency, an order id taken, the disposition rule failing).
    #[error(transparent)]
    Rma(#[from] RmaError),
}

/// Computes `action` on the return order `id` of `model` at `at` — the step the store then
/// writes. Inspection asks `source` for the dispositions not yet recorded.
///
/// # Errors
/// [`ReturnStepError`]: unknown return order, a step its status does not allow (naming the
/// status and the allowed step), or the lifecycle's own errors.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use fieldwork::model::{Model, ReturnOrderId, ReturnStatus};
/// use fieldwork::operations::{return_step, ReturnAction};
/// use fieldwork::rma::BuiltInDisposition;
/// let model = Model::from_json(r#"{
///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
///                  "location": {"lat": 0, "lon": 0}}],
///   "return_orders": [{"id": "RMA-1", "customer": "C-1", "reason_code": "DEFECT",
///     "status": "created", "created_at": "2027-03-01T09:00:00Z",
///     "lines": [{"line": 1, "item": "PUMP", "quantity": "1"}]}]
/// }"#).unwrap();
/// let at = Utc.with_ymd_and_hms(2027, 3, 2, 9, 0, 0).unwrap();
/// let id = ReturnOrderId::new("RMA-1");
/// let err = return_step(&model, &id, ReturnAction::Inspect, &BuiltInDisposition, at).unwrap_err();
/// assert_eq!(err.to_string(), "return order RMA-1 is created: cannot inspect (allowed: receive)");
/// let step = return_step(&model, &id, ReturnAction::Receive, &BuiltInDisposition, at).unwrap();
/// assert_eq!((step.from, step.rma.status), (ReturnStatus::Created, ReturnStatus::Received));
/// ```
pub fn return_step(
    model: &Model,
    id: &ReturnOrderId,
    action: ReturnAction,
    source: &impl DispositionSource,
    at: DateTime<Utc>,
) -> Result<ReturnStep, ReturnStepError> {
    let stored = model
        .return_order(id)
        .ok_or_else(|| ReturnStepError::Unknown { rma: id.clone() })?;
    let allowed = ReturnAction::allowed_in(stored.status);
    if allowed != Some(action) {
        return Err(ReturnStepError::NotAllowed {
            rma: id.clone(),
            action,
            status: stored.status,
            allowed,
        });
    }
    let mut rma = stored.clone();
    let mut orders: Vec<ServiceOrder> = Vec::new();
    let mut transactions: Vec<Transaction> = Vec::new();
    match action {
        ReturnAction::Receive => receive(&mut rma)?,
        ReturnAction::Inspect => {
            inspect(model, &mut rma, source)?;
        }
        ReturnAction::Execute => {
            for a in execute_dispositions(model, &mut rma, at)? {
                match a {
                    Action::Credit { transaction, .. } => transactions.push(transaction),
                    Action::Replace { order, .. } | Action::Repair { order, .. } => {
                        orders.push(*order)
                    }
                    Action::Scrap { .. } | Action::ReturnToCustomer { .. } => {}
                }
            }
        }
        ReturnAction::Close => close(&mut rma)?,
    }
    Ok(ReturnStep {
        from: stored.status,
        rma,
        orders,
        transactions,
    })
}
