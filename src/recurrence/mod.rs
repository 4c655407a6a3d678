//! Recurrence: turning an agreement line's RRULE into dated occurrences, and deciding which of
//! them become work.
//!
//! * [`Expander`] expands one recurrence (RRULE, local DTSTART, date-level EXDATE, local
//!   RDATE) in a zone within a half-open [`Window`] of local dates — fast-forwarding over the
//!   years between DTSTART and the window, bounded, DST-exact.
//! * [`LineContext`] resolves an agreement line against the model and clips its occurrences
//!   to the agreement's validity and the line's start/end; suspended, ended or draft
//!   agreements and stopped lines generate nothing.
//! * [`OccurrenceAdjuster`] keeps, moves or skips each occurrence: natively
//!   ([`NonBusinessDay`], whose default equals the shipped rule) or through the
//!   `adjust_occurrence(occurrence, line, calendar)` hook of the rule files.
//! * [`generate`] turns the result into service orders, idempotently.
//!
//! Business days are those of the **customer's** calendar (any opening interval on the local
//! date, after holidays and exceptions); a customer without a calendar has Monday to Friday.

mod adjust;
mod business_days;
mod error;
mod expand;
pub mod generate;
mod line;
pub mod rhai_api;
mod rule_adjust;
#[cfg(test)]
pub(crate) mod test_support;

pub use adjust::{Adjusted, NonBusinessDay, OccurrenceAdjuster};
pub use business_days::{
    is_business_day, next_business_day, previous_business_day, MAX_BUSINESS_DAY_SEARCH,
};
pub use error::{RecurrenceError, RecurrenceRuleError};
pub use expand::{localize, parse_local, Expander, Occurrence, Window, MAX_INTERVAL};
pub use line::{expand_line, LineContext};
pub use rule_adjust::{AdjustHook, HookStats, RuleAdjuster};
