//! Local days and times: where a date of a time zone begins, across DST switches, and the
//! local date-time texts (`2027-03-01T09:00`) that dataset files, the CLI and rules write.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant local `date` begins in `zone`: local midnight, or — where a DST switch skips
/// midnight — the first local time of the day that exists.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use fieldwork::calendar::start_of_day;
/// let d = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
/// assert_eq!(start_of_day(chrono_tz::Europe::Berlin, d),
///            Utc.with_ymd_and_hms(2027, 2, 28, 23, 0, 0).unwrap());
/// // Santiago springs forward at midnight: 2027-09-05 begins at 01:00 local.
/// let d = NaiveDate::from_ymd_opt(2027, 9, 5).unwrap();
/// assert_eq!(start_of_day(chrono_tz::America::Santiago, d),
///            Utc.with_ymd_and_hms(2027, 9, 5, 4, 0, 0).unwrap());
/// ```
pub fn start_of_day(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    // A gap is at most a few hours long: step forward by minutes until a local time exists
    // (bounded by one day; past it the day is treated as starting at UTC midnight).
    for minutes in 0..=24 * 60 {
        let local = midnight + chrono::Duration::minutes(minutes);
        if let Some(t) = zone.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    midnight.and_utc()
}

/// Parses `YYYY-MM-DDTHH:MM[:SS]` or `YYYY-MM-DD` (midnight) as a local date-time.
///
/// ```
/// use fieldwork::calendar::parse_local;
/// assert_eq!(parse_local("2027-03-01T09:00").unwrap().to_string(), "2027-03-01 09:00:00");
/// assert_eq!(parse_local("2027-03-01").unwrap().to_string(), "2027-03-01 00:00:00");
/// assert!(parse_local("01/03/2027").is_none());
/// ```
pub fn parse_local(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(NaiveTime::MIN))
        })
}
