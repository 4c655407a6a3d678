//! Errors of business-time arithmetic: invalid calendars, calendars without opening time,
//! instants outside the supported range, and malformed instants or durations in user input.

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::model::{CalendarId, ModelError, ValidationIssue};

/// What can go wrong when compiling a calendar or computing with it.
#[derive(Debug, Error)]
pub enum CalendarError {
    /// The calendar failed validation (unknown zone, inverted or overlapping intervals).
    #[error("calendar `{calendar}` is invalid:\n{}", .issues.iter().map(|i| format!("  {i}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The calendar.
        calendar: CalendarId,
        /// Every problem found, each naming its field.
        issues: Vec<ValidationIssue>,
    },
    /// The calendar JSON could not be read or parsed (carries file, line and column).
    #[error(transparent)]
    Load(#[from] ModelError),
    /// Counting would have to wait ten years or more for an opening.
    #[error("calendar `{calendar}` has no opening time within ten years after {from}")]
    NoOpening {
        /// The calendar.
        calendar: CalendarId,
        /// Where the closed stretch begins (or the instant counting started from).
        from: DateTime<Utc>,
    },
    /// An instant (given or computed) lies outside 1900-01-01 … 2199-12-31 UTC.
    #[error("calendar `{calendar}`: instant {instant} is outside the supported range 1900-01-01T00:00:00Z to 2199-12-31T23:59:59Z")]
    OutOfRange {
        /// The calendar.
        calendar: CalendarId,
        /// The instant, as Unix seconds (it may not be representable as a date).
        instant: i64,
    },
    /// A negative business duration was given.
    #[error("calendar `{calendar}`: duration {seconds} s is negative")]
    NegativeDuration {
        /// The calendar.
        calendar: CalendarId,
        /// The duration in seconds.
        seconds: i64,
    },
    /// A timestamp in user input is not RFC 3339 with an offset.
    #[error("{field}: `{text}` is not an RFC 3339 timestamp with a UTC offset (e.g. 2027-03-01T08:00:00+01:00): {reason}")]
    InvalidInstant {
        /// The input field, e.g. `start`.
        field: String,
        /// The text given.
        text: String,
        /// What the parser reported.
        reason: String,
    },
}

/// Parses an RFC 3339 timestamp that must carry an offset (`Z` or `±hh:mm`), naming `field` in
/// the error.
///
/// ```
/// use fieldwork::calendar::parse_instant;
/// assert_eq!(parse_instant("start", "2027-03-01T08:00:00+01:00").unwrap().to_rfc3339(),
///            "2027-03-01T07:00:00+00:00");
/// let err = parse_instant("start", "2027-03-01T08:00:00").unwrap_err().to_string();
/// assert!(err.starts_with("start: `2027-03-01T08:00:00` is not an RFC 3339"), "{err}");
/// ```
pub fn parse_instant(field: &str, text: &str) -> Result<DateTime<Utc>, CalendarError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            let looks_local =
                chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S")
                    .or_else(|_| {
                        chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
                    })
                    .is_ok();
            CalendarError::InvalidInstant {
                field: field.to_owned(),
                text: text.to_owned(),
                reason: if looks_local {
                    "the UTC offset is missing".to_owned()
                } else {
                    e.to_string()
                },
            }
        })
}
