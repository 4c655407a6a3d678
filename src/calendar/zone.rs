//! UTC-offset segments of a time zone: the instants where a zone's offset changes (DST and
//! other transitions), found once per UTC year and cached, so that business-time arithmetic can
//! split any UTC range into pieces of constant offset without querying the zone database on its
//! hot path.
//!
//! chrono-tz does not expose its transition table, so each year is sampled every six hours and
//! every change of offset is located to the second by bisection. Two transitions less than six
//! hours apart would be missed; the time-zone database has none in the supported range.

use chrono::{DateTime, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;
use std::sync::OnceLock;

/// First UTC year supported by business-time arithmetic.
pub const FIRST_YEAR: i32 = 1900;
/// First UTC year no longer supported (instants must lie before `END_YEAR-01-01T00:00Z`).
pub const END_YEAR: i32 = 2200;

const SAMPLE_STEP: i64 = 6 * 3600;

/// One change of UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    /// First UTC second (Unix time) with the new offset.
    pub at: i64,
    /// Offset (local minus UTC, seconds) from `at` on.
    pub after: i32,
}

/// The offsets of one UTC year.
#[derive(Debug)]
struct YearTable {
    /// Offset in force at the first second of the year.
    start_offset: i32,
    /// Transitions with `year_start < at <= next_year_start`, in order.
    transitions: Box<[Transition]>,
}

/// A stretch of UTC time with one offset: `[from, end)` where `from` is the instant asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Local minus UTC, seconds.
    pub offset: i32,
    /// First UTC second after the segment (a transition or the end of the UTC year).
    pub end: i64,
}

/// Cached offset segments of one zone, filled lazily year by year; shareable across threads.
#[derive(Debug)]
pub(crate) struct ZoneTable {
    tz: Tz,
    years: Box<[OnceLock<YearTable>]>,
}

/// Unix time of `year-01-01T00:00:00Z`.
pub(crate) fn year_start(year: i32) -> i64 {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .map(|d| {
            d.and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .timestamp()
        })
        .unwrap_or(i64::MAX)
}

/// The supported range of Unix times, `[FIRST_YEAR-01-01, END_YEAR-01-01)`.
pub(crate) fn supported(t: i64) -> bool {
    (year_start(FIRST_YEAR)..year_start(END_YEAR)).contains(&t)
}

impl ZoneTable {
    /// An empty table for a zone.
    pub fn new(tz: Tz) -> Self {
        let years = (FIRST_YEAR..END_YEAR).map(|_| OnceLock::new()).collect();
        Self { tz, years }
    }

    /// The zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Offset at a Unix time, straight from the zone database.
    fn offset_at(&self, t: i64) -> i32 {
        match DateTime::from_timestamp(t, 0) {
            Some(dt) => self
                .tz
                .offset_from_utc_datetime(&dt.naive_utc())
                .fix()
                .local_minus_utc(),
            None => 0,
        }
    }

    fn year(&self, year: i32) -> &YearTable {
        let index = (year - FIRST_YEAR) as usize;
        self.years[index].get_or_init(|| self.scan_year(year))
    }

    fn scan_year(&self, year: i32) -> YearTable {
        let (start, end) = (year_start(year), year_start(year + 1));
        let start_offset = self.offset_at(start);
        let mut transitions = Vec::new();
        let (mut lo, mut lo_offset) = (start, start_offset);
        while lo < end {
            let hi = (lo + SAMPLE_STEP).min(end);
            let hi_offset = self.offset_at(hi);
            if hi_offset != lo_offset {
                // Invariant: offset(a) == lo_offset, offset(b) != lo_offset.
                let (mut a, mut b) = (lo, hi);
                while b - a > 1 {
                    let mid = a + (b - a) / 2;
                    if self.offset_at(mid) == lo_offset {
                        a = mid;
                    } else {
                        b = mid;
                    }
                }
                transitions.push(Transition {
                    at: b,
                    after: self.offset_at(b),
                });
            }
            (lo, lo_offset) = (hi, hi_offset);
        }
        YearTable {
            start_offset,
            transitions: transitions.into_boxed_slice(),
        }
    }

    /// The segment of constant offset that contains `t`; `None` outside the supported range.
    pub fn segment(&self, t: i64) -> Option<Segment> {
        if !supported(t) {
            return None;
        }
        let year = DateTime::from_timestamp(t, 0).map(|d| chrono::Datelike::year(&d))?;
        let table = self.year(year);
        let after = table.transitions.partition_point(|tr| tr.at <= t);
        let offset = match after {
            0 => table.start_offset,
            n => table.transitions[n - 1].after,
        };
        let end = table
            .transitions
            .get(after)
            .map_or_else(|| year_start(year + 1), |tr| tr.at);
        Some(Segment { offset, end })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn ts(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .timestamp()
    }

    #[test]
    fn berlin_2027_switches_are_found_to_the_second() {
        let z = ZoneTable::new(chrono_tz::Europe::Berlin);
        // 2027-03-28 01:00 UTC: +1 h -> +2 h; 2027-10-31 01:00 UTC: back to +1 h.
        let winter = z.segment(ts(2027, 3, 1, 0, 0)).unwrap();
        assert_eq!(winter.offset, 3600);
        assert_eq!(winter.end, ts(2027, 3, 28, 1, 0));
        let summer = z.segment(winter.end).unwrap();
        assert_eq!(summer.offset, 7200);
        assert_eq!(summer.end, ts(2027, 10, 31, 1, 0));
        let late = z.segment(summer.end).unwrap();
        assert_eq!((late.offset, late.end), (3600, ts(2028, 1, 1, 0, 0)));
    }

    #[test]
    fn lord_howe_has_half_hour_switches_and_kolkata_none() {
        let z = ZoneTable::new(chrono_tz::Australia::Lord_Howe);
        // 2027-04-04 02:00 local (+11) -> 01:30 (+10:30): 2027-04-03 15:00 UTC.
        let s = z.segment(ts(2027, 3, 1, 0, 0)).unwrap();
        assert_eq!((s.offset, s.end), (39_600, ts(2027, 4, 3, 15, 0)));
        assert_eq!(z.segment(s.end).unwrap().offset, 37_800);
        let k = ZoneTable::new(chrono_tz::Asia::Kolkata);
        let s = k.segment(ts(2027, 6, 1, 0, 0)).unwrap();
        assert_eq!((s.offset, s.end), (19_800, ts(2028, 1, 1, 0, 0)));
    }

    #[test]
    fn outside_the_supported_range_is_none() {
        let z = ZoneTable::new(chrono_tz::UTC);
        assert!(z.segment(ts(1899, 12, 31, 23, 59)).is_none());
        assert!(z.segment(year_start(END_YEAR)).is_none());
        assert!(z.segment(year_start(END_YEAR) - 1).is_some());
    }
}
