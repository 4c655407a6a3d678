//! Errors of recurrence expansion: a rule-level error ([`RecurrenceRuleError`], for a bare
//! RRULE as the `recur` preview takes it) and a line-level error ([`RecurrenceError`]) that
//! always names the agreement line a user has to fix.

use chrono::{NaiveDate, NaiveDateTime};
use thiserror::Error;

use crate::model::{AgreementLineId, CalendarId, CustomerId, OrderId};

/// What is wrong with a recurrence rule or a window, independent of any agreement line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecurrenceRuleError {
    /// The RRULE does not parse, is out of the bounds we accept, or contradicts its DTSTART.
    #[error("invalid recurrence rule: {0}")]
    InvalidRule(String),
    /// The IANA zone name is unknown.
    #[error("unknown time zone `{0}`")]
    UnknownTimeZone(String),
    /// The window ends before it starts.
    #[error("window ends ({to}) before it starts ({from})")]
    InvertedWindow {
        /// First date of the window.
        from: NaiveDate,
        /// First date after the window.
        to: NaiveDate,
    },
    /// A generation window longer than [`MAX_GENERATION_DAYS`](super::MAX_GENERATION_DAYS).
    #[error(
        "generation window {from} to {to} is {days} days; at most {max} days are generated at once"
    )]
    WindowTooLong {
        /// First date of the window.
        from: NaiveDate,
        /// First date after the window.
        to: NaiveDate,
        /// Its length in days.
        days: i64,
        /// The limit.
        max: i64,
    },
}

/// An expansion or adjustment error, naming the agreement line it occurred on.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RecurrenceError {
    /// The line's recurrence rule is invalid.
    #[error("agreement line `{line}`: {source}")]
    Rule {
        /// The line.
        line: AgreementLineId,
        /// What is wrong with its rule.
        #[source]
        source: RecurrenceRuleError,
    },
    /// No agreement line has this id.
    #[error("agreement line `{line}`: no such agreement line")]
    UnknownLine {
        /// The id looked for.
        line: AgreementLineId,
    },
    /// The agreement's customer does not exist (only possible in an unvalidated model).
    #[error("agreement line `{line}`: unknown customer `{customer}`")]
    UnknownCustomer {
        /// The line.
        line: AgreementLineId,
        /// The customer id of its agreement.
        customer: CustomerId,
    },
    /// The customer's calendar does not exist (only possible in an unvalidated model).
    #[error("agreement line `{line}`: unknown calendar `{calendar}`")]
    UnknownCalendar {
        /// The line.
        line: AgreementLineId,
        /// The calendar id of its customer.
        calendar: CalendarId,
    },
    /// A business-day search found no business day within [`MAX_BUSINESS_DAY_SEARCH`] days.
    ///
    /// [`MAX_BUSINESS_DAY_SEARCH`]: crate::calendar::MAX_BUSINESS_DAY_SEARCH
    #[error(
        "agreement line `{line}`: calendar `{calendar}` has no business day within {days} days of {date}"
    )]
    NoBusinessDay {
        /// The line.
        line: AgreementLineId,
        /// The calendar searched (`<mon-fri>` when the customer has none).
        calendar: String,
        /// The date the search started from.
        date: NaiveDate,
        /// How many days were searched.
        days: u32,
    },
    /// The line has more than [`MAX_OCCURRENCES_PER_LINE`](super::MAX_OCCURRENCES_PER_LINE)
    /// occurrences in the window (expansion stopped there; the line generates nothing).
    #[error(
        "agreement line `{line}`: more than {max} occurrences from {from} to {to}; \
         generate a shorter window or fix the rule"
    )]
    TooManyOccurrences {
        /// The line.
        line: AgreementLineId,
        /// First date of the window.
        from: NaiveDate,
        /// First date after the window.
        to: NaiveDate,
        /// The limit.
        max: usize,
    },
    /// The `adjust_occurrence` rule failed or returned something it may not.
    #[error("agreement line `{line}`: adjust_occurrence for {occurrence}: {message}")]
    Adjustment {
        /// The line.
        line: AgreementLineId,
        /// The occurrence being adjusted (local wall-clock time).
        occurrence: NaiveDateTime,
        /// What went wrong, with the rule's `file:line:col` when known.
        message: String,
    },
    /// The SLA targets of the line's orders could not be computed (SLA engine error).
    #[error("agreement line `{line}`: SLA: {message}")]
    Sla {
        /// The line.
        line: AgreementLineId,
        /// The SLA engine's error.
        message: String,
    },
    /// A generated order was refused by the model.
    #[error("agreement line `{line}`: order `{order}`: {message}")]
    Order {
        /// The order's origin line.
        line: AgreementLineId,
        /// The order.
        order: OrderId,
        /// What went wrong.
        message: String,
    },
}

impl RecurrenceError {
    /// The agreement line the error is about.
    pub fn line(&self) -> &AgreementLineId {
        match self {
            RecurrenceError::Rule { line, .. }
            | RecurrenceError::UnknownLine { line }
            | RecurrenceError::UnknownCustomer { line, .. }
            | RecurrenceError::UnknownCalendar { line, .. }
            | RecurrenceError::NoBusinessDay { line, .. }
            | RecurrenceError::TooManyOccurrences { line, .. }
            | RecurrenceError::Adjustment { line, .. }
            | RecurrenceError::Sla { line, .. }
            | RecurrenceError::Order { line, .. } => line,
        }
    }
}
