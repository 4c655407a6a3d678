//! Errors of return-order processing, each naming the return order (and line).

use thiserror::Error;

use crate::model::{OrderId, ReturnOrderId, ReturnStatus};
use crate::rules::RuleError;

/// Why a return-order step failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RmaError {
    /// No return order has this id.
    #[error("unknown return order `{rma}`")]
    NotFound {
        /// The id looked for.
        rma: ReturnOrderId,
    },
    /// The lifecycle has no such step.
    #[error("return order {rma}: illegal transition {from} -> {to}")]
    IllegalTransition {
        /// The return order.
        rma: ReturnOrderId,
        /// Its status.
        from: ReturnStatus,
        /// The status asked for.
        to: ReturnStatus,
    },
    /// A line has no disposition where one is needed.
    #[error("return order {rma}: line {line} has no disposition")]
    MissingDisposition {
        /// The return order.
        rma: ReturnOrderId,
        /// The line number.
        line: u32,
    },
    /// Two lines share a line number.
    #[error("return order {rma}: line number {line} is used twice")]
    DuplicateLine {
        /// The return order.
        rma: ReturnOrderId,
        /// The line number.
        line: u32,
    },
    /// A credit needs the return order's currency.
    #[error("return order {rma}: line {line}: a credit needs the return order's currency")]
    MissingCurrency {
        /// The return order.
        rma: ReturnOrderId,
        /// The line number.
        line: u32,
    },
    /// Value × quantity does not fit a decimal.
    #[error("return order {rma}: line {line}: credit amount overflows")]
    AmountOverflow {
        /// The return order.
        rma: ReturnOrderId,
        /// The line number.
        line: u32,
    },
    /// The order a disposition would create exists already.
    #[error("return order {rma}: line {line}: order {order} exists already")]
    OrderIdTaken {
        /// The return order.
        rma: ReturnOrderId,
        /// The line number.
        line: u32,
        /// The order id.
        order: OrderId,
    },
    /// The `disposition` hook failed or returned something that is not a disposition.
    #[error("return order {rma}: line {line}: {source}")]
    Rule {
        /// The return order.
        rma: ReturnOrderId,
        /// The line number.
        line: u32,
        /// The rule error (with its `file:line:col`).
        source: Box<RuleError>,
    },
}
