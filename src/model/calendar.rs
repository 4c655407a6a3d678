//! Business calendars: a time zone, weekly opening hours, holidays and dated exceptions.
//!
//! This module owns the calendar's *data*: its fields, their validation, and
//! [`BusinessCalendar::intervals_on`] / [`BusinessCalendar::is_open_on`], the one lookup of a
//! local date's opening intervals (holidays and exceptions applied), all in local wall-clock
//! time. Business time — turning local times into instants across DST switches, deadlines and
//! elapsed business time, open stretches over a span, local days — is [`crate::calendar`]'s.

use chrono::{NaiveDate, Weekday};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::common::TimeZoneName;
use super::error::{EntityKind, ModelError, ValidationError, ValidationIssue};
use super::ids::CalendarId;

/// Seconds in a day; the largest valid [`TimeOfDay`] (`"24:00"`).
pub const SECONDS_PER_DAY: u32 = 86_400;

/// A local wall-clock time of day, to the second; `24:00` is allowed as an interval end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u32);

impl TimeOfDay {
    /// `00:00`.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    /// `24:00`, the end of the day.
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(SECONDS_PER_DAY);

    /// From seconds since local midnight (0..=86,400).
    pub fn from_seconds(seconds: u32) -> Option<Self> {
        (seconds <= SECONDS_PER_DAY).then_some(Self(seconds))
    }

    /// From hours and minutes (`24:00` allowed).
    pub fn hm(hour: u32, minute: u32) -> Option<Self> {
        if minute >= 60 {
            return None;
        }
        Self::from_seconds(hour * 3600 + minute * 60)
    }

    /// Seconds since local midnight.
    pub fn seconds(self) -> u32 {
        self.0
    }

    /// Parses `HH:MM` or `HH:MM:SS` (hours 00–24; `24:00` only with zero minutes and seconds).
    pub fn parse(text: &str) -> Option<Self> {
        let parts: Vec<&str> = text.split(':').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
            return None;
        }
        let num = |p: &str| -> Option<u32> {
            p.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| p.parse().ok())
                .flatten()
        };
        let (h, m) = (num(parts[0])?, num(parts[1])?);
        let s = match parts.get(2) {
            Some(p) => num(p)?,
            None => 0,
        };
        if h > 24 || m >= 60 || s >= 60 {
            return None;
        }
        Self::from_seconds(h * 3600 + m * 60 + s)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 / 60 % 60, self.0 % 60);
        if s == 0 {
            write!(f, "{h:02}:{m:02}")
        } else {
            write!(f, "{h:02}:{m:02}:{s:02}")
        }
    }
}

/// One opening interval `[start, end)` of local wall-clock time; serialised as `["08:00","17:00"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpeningInterval {
    /// Local opening time.
    pub start: TimeOfDay,
    /// Local closing time (exclusive); may be `24:00`.
    pub end: TimeOfDay,
}

impl OpeningInterval {
    /// Builds an interval from `HH:MM` texts.
    ///
    /// ```
    /// use fieldwork::model::OpeningInterval;
    /// let morning = OpeningInterval::parse("08:00", "12:00").unwrap();
    /// assert_eq!(morning.to_string(), "08:00-12:00");
    /// ```
    pub fn parse(start: &str, end: &str) -> Option<Self> {
        Some(Self {
            start: TimeOfDay::parse(start)?,
            end: TimeOfDay::parse(end)?,
        })
    }
}

impl fmt::Display for OpeningInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

impl Serialize for OpeningInterval {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        [self.start.to_string(), self.end.to_string()].serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for OpeningInterval {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let [start, end] = <[String; 2]>::deserialize(deserializer)?;
        let parse = |t: &str| {
            TimeOfDay::parse(t).ok_or_else(|| {
                de::Error::custom(format!(
                    "invalid time `{t}` (expected HH:MM, 00:00 to 24:00)"
                ))
            })
        };
        Ok(Self {
            start: parse(&start)?,
            end: parse(&end)?,
        })
    }
}

/// Opening intervals for each weekday; a missing day is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    /// Monday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mon: Vec<OpeningInterval>,
    /// Tuesday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tue: Vec<OpeningInterval>,
    /// Wednesday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wed: Vec<OpeningInterval>,
    /// Thursday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thu: Vec<OpeningInterval>,
    /// Friday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fri: Vec<OpeningInterval>,
    /// Saturday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sat: Vec<OpeningInterval>,
    /// Sunday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sun: Vec<OpeningInterval>,
}

impl WeeklyHours {
    /// The intervals of one weekday.
    pub fn day(&self, weekday: Weekday) -> &[OpeningInterval] {
        match weekday {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    /// The same intervals every day of the week.
    pub fn every_day(intervals: Vec<OpeningInterval>) -> Self {
        Self {
            mon: intervals.clone(),
            tue: intervals.clone(),
            wed: intervals.clone(),
            thu: intervals.clone(),
            fri: intervals.clone(),
            sat: intervals.clone(),
            sun: intervals,
        }
    }

    fn days(&self) -> [(&'static str, &[OpeningInterval]); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }
}

/// A business calendar: when a business (or a technician) is open, in local time of one zone.
///
/// JSON shape:
/// ```
/// use fieldwork::model::BusinessCalendar;
/// let cal = BusinessCalendar::from_json(r#"{
///   "id": "berlin", "time_zone": "Europe/Berlin",
///   "weekly": {"mon": [["08:00","17:00"]], "tue": [["08:00","17:00"]], "sun": []},
///   "holidays": ["2027-01-01"],
///   "exceptions": {"2027-12-24": [["08:00","12:00"]]}
/// }"#).unwrap();
/// assert_eq!(cal.time_zone.name(), "Europe/Berlin");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    /// Calendar id.
    pub id: CalendarId,
    /// IANA zone whose local wall-clock time the intervals are read in.
    pub time_zone: TimeZoneName,
    /// Opening intervals per weekday.
    pub weekly: WeeklyHours,
    /// Dates closed all day (local dates).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub holidays: BTreeSet<NaiveDate>,
    /// Dates whose opening intervals replace the weekly ones (an empty list closes the date).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exceptions: BTreeMap<NaiveDate, Vec<OpeningInterval>>,
}

impl BusinessCalendar {
    /// Opening intervals of a local date after holidays and exceptions, sorted.
    pub fn intervals_on(&self, date: NaiveDate) -> &[OpeningInterval] {
        use chrono::Datelike;
        if self.holidays.contains(&date) {
            return &[];
        }
        match self.exceptions.get(&date) {
            Some(intervals) => intervals,
            None => self.weekly.day(date.weekday()),
        }
    }

    /// Whether the local date has any opening time.
    pub fn is_open_on(&self, date: NaiveDate) -> bool {
        !self.intervals_on(date).is_empty()
    }

    /// Parses and validates one calendar from JSON.
    pub fn from_json(json: &str) -> Result<Self, ModelError> {
        let calendar: Self =
            serde_json::from_str(json).map_err(|e| ModelError::json("<calendar>", &e))?;
        let issues = calendar.validate();
        if issues.is_empty() {
            Ok(calendar)
        } else {
            Err(ModelError::Invalid(issues))
        }
    }

    /// Checks the zone and every day's intervals (inverted, overlapping); sorts nothing.
    pub fn validate(&self) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let issue = |field: String, error| {
            ValidationIssue::new(EntityKind::Calendar, &self.id, field, error)
        };
        if let Err(e) = self.time_zone.tz() {
            issues.push(issue("time_zone".into(), e));
        }
        for (day, intervals) in self.weekly.days() {
            for e in check_intervals(intervals) {
                issues.push(issue(format!("weekly.{day}"), e));
            }
        }
        for (date, intervals) in &self.exceptions {
            for e in check_intervals(intervals) {
                issues.push(issue(format!("exceptions.{date}"), e));
            }
        }
        issues
    }
}

/// Inverted intervals and overlaps within one day's list.
fn check_intervals(intervals: &[OpeningInterval]) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    for iv in intervals {
        if iv.end <= iv.start {
            errors.push(ValidationError::InvertedInterval {
                start: iv.start.to_string(),
                end: iv.end.to_string(),
            });
        }
    }
    let mut sorted: Vec<&OpeningInterval> = intervals.iter().filter(|i| i.start < i.end).collect();
    sorted.sort();
    for pair in sorted.windows(2) {
        if pair[1].start < pair[0].end {
            errors.push(ValidationError::OverlappingIntervals {
                first: pair[0].to_string(),
                second: pair[1].to_string(),
            });
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal(json: &str) -> Result<BusinessCalendar, ModelError> {
        BusinessCalendar::from_json(json)
    }

    #[test]
    fn parses_the_documented_shape_with_24_00_end() {
        let c = cal(
            r#"{"id":"x","time_zone":"UTC","weekly":{"mon":[["00:00","24:00"]]},
            "holidays":["2027-01-01"],"exceptions":{"2027-12-24":[["08:00","12:00"]]}}"#,
        )
        .unwrap();
        assert_eq!(c.weekly.mon[0].end.seconds(), SECONDS_PER_DAY);
        let d = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert!(!c.is_open_on(d));
        let xmas = NaiveDate::from_ymd_opt(2027, 12, 24).unwrap();
        assert_eq!(c.intervals_on(xmas)[0].to_string(), "08:00-12:00");
    }

    #[test]
    fn rejects_unknown_zone_inverted_and_overlapping_intervals_all_at_once() {
        let err = cal(r#"{"id":"x","time_zone":"Mars/Base","weekly":{
            "mon":[["17:00","08:00"]],"tue":[["08:00","12:00"],["11:00","13:00"]]}}"#)
        .unwrap_err();
        let issues = err.issues();
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert!(matches!(
            issues[0].error,
            ValidationError::UnknownTimeZone(_)
        ));
        assert_eq!(issues[1].field, "weekly.mon");
        assert!(matches!(
            issues[1].error,
            ValidationError::InvertedInterval { .. }
        ));
        assert_eq!(issues[2].field, "weekly.tue");
        assert!(matches!(
            issues[2].error,
            ValidationError::OverlappingIntervals { .. }
        ));
    }

    #[test]
    fn rejects_malformed_times_with_position() {
        let err = cal(r#"{"id":"x","time_zone":"UTC","weekly":{"mon":[["25:00","26:00"]]}}"#)
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("invalid time `25:00`"), "{text}");
        assert!(text.contains("line 1"), "{text}");
    }

    #[test]
    fn time_of_day_parsing_bounds() {
        assert_eq!(TimeOfDay::parse("24:00").unwrap().seconds(), 86_400);
        assert!(TimeOfDay::parse("24:01").is_none());
        assert!(TimeOfDay::parse("7:00").is_none());
        assert_eq!(
            TimeOfDay::parse("07:30:15").unwrap().to_string(),
            "07:30:15"
        );
    }
}
