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
//!   `adjust_occurrence(occurrence, line, calendar)` hook of the rule files ([`RuleAdjuster`],
//!   which shares the decisions of calls that do not read the line; [`decide`] reads what the
//!   hook returned).
//! * [`generate`] turns the result into service orders, idempotently
//!   ([`generate::generate_orders`], [`generate::generate_days_ahead`]).
//!
//! Business days are those of the **customer's** calendar (any opening interval on the local
//! date, after holidays and exceptions); a customer without a calendar has Monday to Friday.
//!
//! # Who owns what
//!
//! Recurrence owns expansion, line resolution ([`LineContext`]), the adjustment policies and
//! the meaning of `adjust_occurrence`'s result ([`decide`]). It owns no business time and no
//! Rhai type: business-day stepping is [`calendar`](crate::calendar)'s
//! ([`calendar::next_business_day`](crate::calendar::next_business_day)…), and the values the
//! hook sees — `DateTime`, `AgreementLine`, `BusinessCalendar` and the business-day helpers —
//! are the rule runtime's ([`rules::datetime`](crate::rules::datetime),
//! [`rules::domain`](crate::rules::domain)).

mod adjust;
mod error;
mod expand;
pub mod generate;
mod line;
mod rule_adjust;
#[cfg(test)]
pub(crate) mod test_support;

pub use adjust::{Adjusted, NonBusinessDay, OccurrenceAdjuster};
pub use error::{RecurrenceError, RecurrenceRuleError};
pub use expand::{
    localize, Expander, Occurrence, Window, MAX_GENERATION_DAYS, MAX_INTERVAL,
    MAX_OCCURRENCES_PER_LINE,
};
pub use line::{expand_line, LineContext};
pub use rule_adjust::{decide, AdjustHook, HookStats, RuleAdjuster};
