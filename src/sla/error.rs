//! Errors of the SLA engine, each naming the order (and calendar or rule location) at fault.

use thiserror::Error;

use crate::calendar::CalendarError;
use crate::model::{CalendarId, CustomerId, OrderId};
use crate::rules::RuleError;

/// What can go wrong when computing an order's SLA.
#[derive(Debug, Error)]
pub enum SlaError {
    /// The order's customer is not in the model.
    #[error("order {order}: unknown customer `{customer}`")]
    UnknownCustomer {
        /// The order.
        order: OrderId,
        /// The customer id it names.
        customer: CustomerId,
    },
    /// The targets name a calendar that is neither in the model nor built in (`24x7`).
    #[error(
        "order {order}: unknown SLA calendar `{calendar}` (not in the dataset, and not `24x7`)"
    )]
    UnknownCalendar {
        /// The order.
        order: OrderId,
        /// The calendar id.
        calendar: CalendarId,
    },
    /// A dataset calendar failed to compile.
    #[error("calendar `{calendar}`: {source}")]
    Compile {
        /// The calendar.
        calendar: CalendarId,
        /// Why.
        source: CalendarError,
    },
    /// Business-time arithmetic failed for an order (e.g. no opening within ten years).
    #[error("order {order}: {source}")]
    Calendar {
        /// The order.
        order: OrderId,
        /// Why.
        source: CalendarError,
    },
    /// The `sla_targets` hook failed or returned a value of the wrong shape.
    #[error("order {order}: {source}")]
    Rule {
        /// The order.
        order: OrderId,
        /// The rule error, with `file:line:col` where known (boxed: it is large).
        source: Box<RuleError>,
    },
}
