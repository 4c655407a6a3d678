//! Occurrence adjustment: what happens to an occurrence before it becomes work — kept, moved
//! to another date/time, or skipped. [`OccurrenceAdjuster`] is the seam; [`NonBusinessDay`]
//! is the native policy (its default, [`NonBusinessDay::NextBusinessDay`], is exactly what the
//! shipped `rules/recurrence.rhai` does), and the rule-driven adjuster calls the
//! `adjust_occurrence(occurrence, line, calendar)` hook.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::error::RecurrenceError;
use super::line::LineContext;
use crate::calendar::{
    is_business_day, next_business_day, previous_business_day, MAX_BUSINESS_DAY_SEARCH,
};

/// The decision for one occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Adjusted {
    /// Generate it as it is.
    Keep,
    /// Generate it at this local wall-clock time (customer's zone) instead.
    Move(NaiveDateTime),
    /// Generate nothing for it.
    Skip,
}

/// Decides, occurrence by occurrence, what becomes work.
pub trait OccurrenceAdjuster {
    /// Called once per line before its occurrences: lets an adjuster prepare per-line state.
    fn begin_line(&mut self, _line: &LineContext<'_>) {}

    /// The decision for `occurrence` (local wall-clock time of the customer's zone) of a line.
    ///
    /// # Errors
    /// A [`RecurrenceError`] naming the line; the caller then drops the whole line.
    fn adjust(
        &mut self,
        occurrence: NaiveDateTime,
        line: &LineContext<'_>,
    ) -> Result<Adjusted, RecurrenceError>;
}

/// Native policy for occurrences that fall on a day that is not a business day of the
/// customer's calendar (holiday, closed weekday, dated closure; without a calendar: Saturday
/// and Sunday). The time of day is kept when moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonBusinessDay {
    /// Leave the occurrence where it is.
    Keep,
    /// Move it to the next business day (the shipped rule).
    #[default]
    NextBusinessDay,
    /// Move it to the previous business day.
    PreviousBusinessDay,
    /// Drop it.
    Skip,
}

impl NonBusinessDay {
    /// The policy's name as written in configuration (`"next_business_day"`…).
    pub fn as_str(self) -> &'static str {
        match self {
            NonBusinessDay::Keep => "keep",
            NonBusinessDay::NextBusinessDay => "next_business_day",
            NonBusinessDay::PreviousBusinessDay => "previous_business_day",
            NonBusinessDay::Skip => "skip",
        }
    }

    /// Parses a name written by [`as_str`](Self::as_str).
    pub fn parse(text: &str) -> Option<Self> {
        [
            NonBusinessDay::Keep,
            NonBusinessDay::NextBusinessDay,
            NonBusinessDay::PreviousBusinessDay,
            NonBusinessDay::Skip,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
    }

    /// The decision for an occurrence on `date` of a line.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use fieldwork::recurrence::{Adjusted, NonBusinessDay};
    /// let sat = NaiveDate::from_ymd_opt(2027, 3, 6).unwrap().and_hms_opt(9, 0, 0).unwrap();
    /// let mon = NaiveDate::from_ymd_opt(2027, 3, 8).unwrap().and_hms_opt(9, 0, 0).unwrap();
    /// let policy = NonBusinessDay::NextBusinessDay;
    /// assert_eq!(policy.decide(sat, None), Ok(Adjusted::Move(mon)));
    /// assert_eq!(policy.decide(mon, None), Ok(Adjusted::Keep));
    /// ```
    ///
    /// # Errors
    /// The date (`Err(date)`) when no business day lies within
    /// [`MAX_BUSINESS_DAY_SEARCH`] days in the direction searched.
    pub fn decide(
        self,
        occurrence: NaiveDateTime,
        calendar: Option<&crate::model::BusinessCalendar>,
    ) -> Result<Adjusted, NaiveDate> {
        let date = occurrence.date();
        if self == NonBusinessDay::Keep || is_business_day(date, calendar) {
            return Ok(Adjusted::Keep);
        }
        let target = match self {
            NonBusinessDay::Keep => return Ok(Adjusted::Keep),
            NonBusinessDay::Skip => return Ok(Adjusted::Skip),
            NonBusinessDay::NextBusinessDay => next_business_day(date, calendar),
            NonBusinessDay::PreviousBusinessDay => previous_business_day(date, calendar),
        };
        target
            .map(|d| Adjusted::Move(d.and_time(occurrence.time())))
            .ok_or(date)
    }
}

impl OccurrenceAdjuster for NonBusinessDay {
    fn adjust(
        &mut self,
        occurrence: NaiveDateTime,
        line: &LineContext<'_>,
    ) -> Result<Adjusted, RecurrenceError> {
        self.decide(occurrence, line.calendar)
            .map_err(|date| RecurrenceError::NoBusinessDay {
                line: line.line.id.clone(),
                calendar: calendar_name(line),
                date,
                days: MAX_BUSINESS_DAY_SEARCH,
            })
    }
}

/// The calendar's id, or `<mon-fri>` for a customer without one (for messages).
pub(crate) fn calendar_name(line: &LineContext<'_>) -> String {
    line.calendar
        .map_or_else(|| "<mon-fri>".to_owned(), |c| c.id.to_string())
}
