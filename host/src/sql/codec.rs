//! Encoding of values in SQLite columns: instants as RFC 3339 UTC text (sortable), dates as
//! `YYYY-MM-DD`, local date-times as ISO 8601 without offset, JSON documents as text.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, SecondsFormat, Timelike, Utc};
use serde::{de::DeserializeOwned, Serialize};

use fieldwork::store::StoreError;

/// An instant as stored: `2027-03-01T08:00:00Z` (fractions only when present).
pub(crate) fn instant(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses a stored instant.
pub(crate) fn parse_instant(
    text: &str,
    entity: &'static str,
    id: &str,
) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| decode(entity, id, format!("instant `{text}`: {e}")))
}

/// Parses an optional stored instant.
pub(crate) fn parse_opt_instant(
    text: Option<String>,
    entity: &'static str,
    id: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.map(|t| parse_instant(&t, entity, id)).transpose()
}

/// A date as stored.
pub(crate) fn date(d: &NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// Parses a stored date.
pub(crate) fn parse_date(
    text: &str,
    entity: &'static str,
    id: &str,
) -> Result<NaiveDate, StoreError> {
    text.parse()
        .map_err(|e| decode(entity, id, format!("date `{text}`: {e}")))
}

/// A local date-time as stored (`2027-03-01T09:00:00`; whole seconds, as recurrence yields).
pub(crate) fn local(t: &NaiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A value as a JSON document.
pub(crate) fn to_doc<T: Serialize>(
    value: &T,
    entity: &'static str,
    id: &str,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend {
        context: format!("encoding {entity} `{id}`"),
        message: e.to_string(),
    })
}

/// Decodes a stored JSON document.
pub(crate) fn from_doc<T: DeserializeOwned>(
    text: &str,
    entity: &'static str,
    id: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| decode(entity, id, e.to_string()))
}

/// A decoding error.
pub(crate) fn decode(entity: &'static str, id: &str, message: String) -> StoreError {
    StoreError::Decode {
        entity,
        id: id.to_owned(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_and_local_times_are_iso_8601() {
        let d = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        assert_eq!(date(&d), "2027-03-01");
        assert_eq!(
            local(&d.and_hms_opt(9, 5, 7).unwrap()),
            "2027-03-01T09:05:07"
        );
        assert_eq!(parse_date(&date(&d), "x", "y").unwrap(), d);
    }

    #[test]
    fn instants_round_trip_and_sort_as_text() {
        let a = Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2027, 11, 30, 17, 5, 9).unwrap();
        assert_eq!(instant(&a), "2027-03-01T08:00:00Z");
        assert_eq!(parse_instant(&instant(&b), "order", "x").unwrap(), b);
        assert!(instant(&a) < instant(&b));
        assert!(parse_instant("yesterday", "order", "SO-1")
            .unwrap_err()
            .to_string()
            .contains("SO-1"));
    }
}
