//! Local wall-clock time as instants, across DST switches: the one place a calendar-local time
//! becomes a UTC instant; and the local date-time texts (`2027-03-01T09:00`) that dataset files,
//! the CLI and rules write ([`parse_local`]).
//!
//! Local time is UTC plus the zone's offset, constant between two offset changes
//! ([`super::zone::offset_changes`]). A local range therefore maps back to UTC piece by piece:
//! on each run of constant offset `o`, local `[a, b)` is UTC `[a − o, b − o)` cut to the run.
//! This gives the calendar's DST semantics (the same as [`super::arith`]'s): a local time in a
//! spring-forward gap exists at no instant (a range starting in it begins at the switch), and a
//! local time repeated by a fall-back switch exists at two instants (a range covering it is
//! open twice; the *first* instant at or after a local time is its first occurrence).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::compiled::day_number;
use super::compiled::DAY;
use super::zone::offset_changes;
use super::zone::zone_offset;

/// Offsets are less than a day from UTC: the runs that can hold a local range lie within a day
/// of it.
const MAX_OFFSET: i64 = DAY;

/// The constant-offset runs of a zone over a UTC span.
#[derive(Debug, Clone)]
pub(crate) struct OffsetRuns {
    /// `(first UTC second, offset)` of each run, ascending; the first starts at the span start.
    runs: Vec<(i64, i32)>,
    /// End of the span (exclusive).
    end: i64,
}

impl OffsetRuns {
    /// The runs of `tz` over the UTC span `[from, to)` (Unix seconds).
    pub fn new(tz: Tz, from: i64, to: i64) -> Self {
        let mut runs = vec![(from, zone_offset(tz, from))];
        offset_changes(tz, from, to, |at, _, after| {
            if at < to {
                runs.push((at, after));
            }
        });
        Self { runs, end: to }
    }

    /// Index of the first run that can hold local times from `local` on.
    fn first_run(&self, local: i64) -> usize {
        self.runs
            .partition_point(|r| r.0 <= local.saturating_sub(MAX_OFFSET))
            .saturating_sub(1)
    }

    /// Calls `piece(start, end)` for each maximal UTC piece `[start, end)` whose local time lies
    /// in the naive local range `[a, b)` (seconds since 1970-01-01T00:00 local), in UTC order.
    /// Pieces outside the span are dropped. Bound: the runs met lie within a day of the range,
    /// and runs are at least six hours long, so the loop takes at most
    /// `(b − a) / 6 h + 10` steps.
    pub fn preimage(&self, a: i64, b: i64, mut piece: impl FnMut(i64, i64)) {
        let limit = b.saturating_add(MAX_OFFSET);
        let first = self.first_run(a);
        for (i, &(start, offset)) in self.runs.iter().enumerate().skip(first) {
            if start >= limit {
                break;
            }
            let end = self.runs.get(i + 1).map_or(self.end, |r| r.0);
            let offset = i64::from(offset);
            let (lo, hi) = (start.max(a - offset), end.min(b - offset));
            if lo < hi {
                piece(lo, hi);
            }
        }
    }

    /// The first instant of the span whose local time is at or after the naive local time
    /// `local`: the local time itself (its first occurrence when repeated), or the end of the
    /// DST gap it falls in. Same bound as [`Self::preimage`] for a range of a day.
    pub fn first_at_or_after(&self, local: i64) -> Option<i64> {
        let limit = local.saturating_add(2 * MAX_OFFSET);
        let first = self.first_run(local);
        for (i, &(start, offset)) in self.runs.iter().enumerate().skip(first) {
            if start >= limit {
                break;
            }
            let end = self.runs.get(i + 1).map_or(self.end, |r| r.0);
            let at = start.max(local - i64::from(offset));
            if at < end {
                return Some(at);
            }
        }
        None
    }

    /// The first instant of the span whose local time is exactly `local`; a local time in a
    /// DST gap is read with the offset in force before the gap (so it lands as far after the
    /// switch as it is after the gap's start). Same bound as [`Self::first_at_or_after`].
    pub fn instant_of(&self, local: i64) -> Option<i64> {
        let limit = local.saturating_add(2 * MAX_OFFSET);
        let first = self.first_run(local);
        let mut before: Option<i64> = None;
        for (i, &(start, offset)) in self.runs.iter().enumerate().skip(first) {
            if start >= limit {
                break;
            }
            let end = self.runs.get(i + 1).map_or(self.end, |r| r.0);
            let offset = i64::from(offset);
            let at = local - offset;
            if at < end {
                return if at >= start {
                    Some(at)
                } else {
                    // Under this run's offset `local` was before the switch, under the previous
                    // one after it: `local` is in the gap between them.
                    before.map(|b| local - b)
                };
            }
            before = Some(offset);
        }
        None
    }
}

/// Naive local seconds (since 1970-01-01T00:00 local) of the midnight beginning `date`.
pub(crate) fn local_midnight(date: NaiveDate) -> i64 {
    day_number(date) * DAY
}

/// The instant local `date` begins in `zone`: local midnight (its first occurrence if a switch
/// repeats it), or — where a DST switch skips midnight — the first local time of the day that
/// exists. Outside the instants chrono represents, midnight read as UTC.
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
    let midnight = local_midnight(date);
    let runs = OffsetRuns::new(zone, midnight - 2 * DAY, midnight + 2 * DAY);
    runs.first_at_or_after(midnight)
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .unwrap_or_else(|| date.and_time(NaiveTime::MIN).and_utc())
}

/// The instant of local wall-clock time `local` in `zone`, to the second: its first occurrence
/// when a fall-back switch repeats it; a local time skipped by a spring-forward switch is read
/// with the offset before the switch (as RFC 5545 reads it). Outside the instants chrono
/// represents, `local` read as UTC.
///
/// ```
/// use chrono::{NaiveDateTime, TimeZone, Utc};
/// use fieldwork::calendar::local_instant;
/// let berlin = chrono_tz::Europe::Berlin;
/// let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap();
/// assert_eq!(local_instant(berlin, local("2027-03-09T07:00")),
///            Utc.with_ymd_and_hms(2027, 3, 9, 6, 0, 0).unwrap());
/// // 02:30 does not exist on the spring-forward day: it is 03:30 CEST.
/// assert_eq!(local_instant(berlin, local("2027-03-28T02:30")),
///            Utc.with_ymd_and_hms(2027, 3, 28, 1, 30, 0).unwrap());
/// // 02:30 happens twice on the fall-back day: the first (CEST) one.
/// assert_eq!(local_instant(berlin, local("2027-10-31T02:30")),
///            Utc.with_ymd_and_hms(2027, 10, 31, 0, 30, 0).unwrap());
/// ```
pub fn local_instant(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Fast path: a time that exists (once or twice) is the zone database's first reading of it;
    // only a time in a gap needs the offset runs.
    if let Some(first) = zone.from_local_datetime(&local).earliest() {
        return first.with_timezone(&Utc);
    }
    let naive = local.and_utc().timestamp();
    let runs = OffsetRuns::new(zone, naive - 2 * DAY, naive + 2 * DAY);
    runs.instant_of(naive)
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .unwrap_or_else(|| local.and_utc())
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ts(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .timestamp()
    }

    fn local(y: i32, m: u32, d: u32, h: i64, min: i64) -> i64 {
        local_midnight(NaiveDate::from_ymd_opt(y, m, d).unwrap()) + h * 3600 + min * 60
    }

    fn pieces(runs: &OffsetRuns, a: i64, b: i64) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        runs.preimage(a, b, |s, e| out.push((s, e)));
        out
    }

    #[test]
    fn gaps_begin_at_the_switch_and_repeated_times_are_open_twice() {
        let berlin = chrono_tz::Europe::Berlin;
        let runs = OffsetRuns::new(berlin, ts(2027, 3, 20, 0, 0), ts(2027, 11, 10, 0, 0));
        // Spring: 02:00–03:00 local does not exist on 2027-03-28 (switch at 01:00 UTC).
        let spring = |h, m| local(2027, 3, 28, h, m);
        assert_eq!(
            runs.first_at_or_after(spring(2, 10)),
            Some(ts(2027, 3, 28, 1, 0))
        );
        assert_eq!(
            pieces(&runs, spring(2, 10), spring(5, 0)),
            [(ts(2027, 3, 28, 1, 0), ts(2027, 3, 28, 3, 0))]
        );
        assert_eq!(pieces(&runs, spring(2, 10), spring(2, 50)), []);
        // Autumn: 02:00–03:00 local happens twice on 2027-10-31 (switch at 01:00 UTC).
        let autumn = |h, m| local(2027, 10, 31, h, m);
        assert_eq!(
            runs.first_at_or_after(autumn(2, 30)),
            Some(ts(2027, 10, 31, 0, 30))
        );
        assert_eq!(
            pieces(&runs, autumn(1, 0), autumn(2, 30)),
            [
                (ts(2027, 10, 30, 23, 0), ts(2027, 10, 31, 0, 30)),
                (ts(2027, 10, 31, 1, 0), ts(2027, 10, 31, 1, 30))
            ]
        );
        assert_eq!(
            pieces(&runs, autumn(0, 0), autumn(4, 0)),
            [
                (ts(2027, 10, 30, 22, 0), ts(2027, 10, 31, 1, 0)),
                (ts(2027, 10, 31, 1, 0), ts(2027, 10, 31, 3, 0))
            ]
        );
    }

    #[test]
    fn local_times_in_a_gap_keep_the_offset_before_it() {
        let at = |zone, s: &str| {
            let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap();
            local_instant(zone, local).timestamp()
        };
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(at(berlin, "2027-03-28T02:00"), ts(2027, 3, 28, 1, 0));
        assert_eq!(at(berlin, "2027-03-28T02:59"), ts(2027, 3, 28, 1, 59));
        assert_eq!(at(berlin, "2027-03-28T03:00"), ts(2027, 3, 28, 1, 0));
        assert_eq!(at(berlin, "2027-10-31T03:00"), ts(2027, 10, 31, 2, 0));
        // Santiago skips 00:00–01:00 on 2027-09-05 (UTC−4 to UTC−3).
        let santiago = chrono_tz::America::Santiago;
        assert_eq!(at(santiago, "2027-09-05T00:30"), ts(2027, 9, 5, 4, 30));
        assert_eq!(at(santiago, "2027-09-05T01:30"), ts(2027, 9, 5, 4, 30));
    }

    #[test]
    fn days_start_at_midnight_or_after_a_midnight_gap() {
        let d = NaiveDate::from_ymd_opt(2027, 10, 31).unwrap();
        assert_eq!(
            start_of_day(chrono_tz::Europe::Berlin, d).timestamp(),
            ts(2027, 10, 30, 22, 0)
        );
        let d = NaiveDate::from_ymd_opt(2027, 6, 1).unwrap();
        assert_eq!(
            start_of_day(chrono_tz::UTC, d).timestamp(),
            ts(2027, 6, 1, 0, 0)
        );
    }
}
