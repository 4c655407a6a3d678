//! UTC-offset changes of a time zone (DST and other transitions), found once per UTC year and
//! cached with the calendar's cumulative opening time on both sides of each change, so that
//! business-time arithmetic crosses a DST switch in O(1) without querying the zone database.
//!
//! chrono-tz does not expose its transition table, so each year is sampled every six hours and
//! every change of offset is located to the second by bisection. Two transitions less than six
//! hours apart would be missed; the time-zone database has none in the supported range.

use chrono::{DateTime, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;
use std::sync::OnceLock;

pub use crate::model::{END_YEAR, FIRST_YEAR};

const SAMPLE_STEP: i64 = 6 * 3600;

/// One change of UTC offset, with the calendar's cumulative opening time (see
/// `CompiledCalendar::cum`) at the instant's local time just before and from the change on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    /// First UTC second (Unix time) with the new offset.
    pub at: i64,
    /// Offset (local minus UTC, seconds) from `at` on.
    pub after: i32,
    /// `cum(at + offset before)`: where counting stands when the old offset ends.
    pub cum_before: i64,
    /// `cum(at + after)`: where counting resumes under the new offset.
    pub cum_after: i64,
}

/// The offsets of one UTC year.
#[derive(Debug)]
struct YearTable {
    /// Offset in force at the first second of the year.
    start_offset: i32,
    /// Transitions with `year_start < at <= next_year_start`, in order.
    transitions: Box<[Transition]>,
}

/// Cached offset changes of one zone for one calendar, filled lazily year by year; shareable
/// across threads. The `cum` function passed to the accessors must always be the owning
/// calendar's.
#[derive(Debug)]
pub(crate) struct ZoneTable {
    tz: Tz,
    years: Box<[OnceLock<YearTable>]>,
}

/// Unix times of `year-01-01T00:00:00Z` for `FIRST_YEAR..=END_YEAR`.
fn year_starts() -> &'static [i64] {
    static STARTS: OnceLock<Box<[i64]>> = OnceLock::new();
    STARTS.get_or_init(|| {
        (FIRST_YEAR..=END_YEAR)
            .map(|y| {
                NaiveDate::from_ymd_opt(y, 1, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map_or(0, |d| d.and_utc().timestamp())
            })
            .collect()
    })
}

/// The supported range of Unix times, `[FIRST_YEAR-01-01, END_YEAR-01-01)`.
pub(crate) fn supported(t: i64) -> bool {
    let starts = year_starts();
    starts[0] <= t && t < starts[starts.len() - 1]
}

/// Index (year − FIRST_YEAR) of the UTC year containing a supported instant.
fn year_index(t: i64) -> usize {
    year_starts().partition_point(|&s| s <= t).saturating_sub(1)
}

/// The UTC offset (local minus UTC, seconds) of `tz` at a Unix time, straight from the zone
/// database; 0 for instants chrono cannot represent.
pub(crate) fn zone_offset(tz: Tz, t: i64) -> i32 {
    match DateTime::from_timestamp(t, 0) {
        Some(dt) => tz
            .offset_from_utc_datetime(&dt.naive_utc())
            .fix()
            .local_minus_utc(),
        None => 0,
    }
}

/// Calls `on_change(at, before, after)` for every change of `tz`'s offset with `from < at <= to`,
/// in order: `at` is the first second with the new offset `after`, `before` the offset it
/// replaces. This is the one place transitions are found (by sampling every six hours and
/// bisecting to the second); the loop runs `(to - from) / 6 h` samples plus 15 bisection
/// steps per change, so its cost is bounded by the span the caller passes.
pub(crate) fn offset_changes(tz: Tz, from: i64, to: i64, mut on_change: impl FnMut(i64, i32, i32)) {
    let (mut lo, mut lo_offset) = (from, zone_offset(tz, from));
    while lo < to {
        let hi = lo.saturating_add(SAMPLE_STEP).min(to);
        let hi_offset = zone_offset(tz, hi);
        if hi_offset != lo_offset {
            // Invariant: offset(a) == lo_offset, offset(b) != lo_offset.
            let (mut a, mut b) = (lo, hi);
            while b - a > 1 {
                let mid = a + (b - a) / 2;
                if zone_offset(tz, mid) == lo_offset {
                    a = mid;
                } else {
                    b = mid;
                }
            }
            on_change(b, lo_offset, zone_offset(tz, b));
        }
        (lo, lo_offset) = (hi, hi_offset);
    }
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

    fn year(&self, index: usize, cum: &dyn Fn(i64) -> i64) -> &YearTable {
        self.years[index].get_or_init(|| self.scan_year(index, cum))
    }

    fn scan_year(&self, index: usize, cum: &dyn Fn(i64) -> i64) -> YearTable {
        let (start, end) = (year_starts()[index], year_starts()[index + 1]);
        let mut transitions = Vec::new();
        offset_changes(self.tz, start, end, |at, before, after| {
            transitions.push(Transition {
                at,
                after,
                cum_before: cum(at + i64::from(before)),
                cum_after: cum(at + i64::from(after)),
            })
        });
        YearTable {
            start_offset: zone_offset(self.tz, start),
            transitions: transitions.into_boxed_slice(),
        }
    }

    /// The offset in force at `t`; `None` outside the supported range.
    pub fn offset_at(&self, t: i64, cum: &dyn Fn(i64) -> i64) -> Option<i32> {
        if !supported(t) {
            return None;
        }
        let table = self.year(year_index(t), cum);
        let before = table.transitions.partition_point(|tr| tr.at <= t);
        Some(match before {
            0 => table.start_offset,
            n => table.transitions[n - 1].after,
        })
    }

    /// The transitions with `from < at < to`, in order (both ends must be supported or `to`
    /// may be the end of the range).
    pub fn transitions_in<'a>(
        &'a self,
        from: i64,
        to: i64,
        cum: &'a dyn Fn(i64) -> i64,
    ) -> impl Iterator<Item = Transition> + 'a {
        let first = year_index(from);
        let last = year_index(to.saturating_sub(1))
            .min(self.years.len() - 1)
            .max(first);
        (first..=last)
            .flat_map(move |y| self.year(y, cum).transitions.iter().copied())
            .skip_while(move |tr| tr.at <= from)
            .take_while(move |tr| tr.at < to)
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

    fn ident(x: i64) -> i64 {
        x
    }

    #[test]
    fn berlin_2027_switches_are_found_to_the_second() {
        let z = ZoneTable::new(chrono_tz::Europe::Berlin);
        let all: Vec<Transition> = z
            .transitions_in(ts(2026, 12, 1, 0, 0), ts(2028, 2, 1, 0, 0), &ident)
            .collect();
        // 2027-03-28 01:00 UTC: +1 h -> +2 h; 2027-10-31 01:00 UTC: back to +1 h.
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].at, all[0].after), (ts(2027, 3, 28, 1, 0), 7200));
        assert_eq!((all[1].at, all[1].after), (ts(2027, 10, 31, 1, 0), 3600));
        assert_eq!(all[0].cum_before, all[0].at + 3600);
        assert_eq!(all[0].cum_after, all[0].at + 7200);
        assert_eq!(z.offset_at(ts(2027, 3, 28, 0, 59), &ident), Some(3600));
        assert_eq!(z.offset_at(ts(2027, 3, 28, 1, 0), &ident), Some(7200));
        // The ends are exclusive.
        assert_eq!(z.transitions_in(all[0].at, all[1].at, &ident).count(), 0);
    }

    #[test]
    fn lord_howe_has_half_hour_switches_and_kolkata_none() {
        let z = ZoneTable::new(chrono_tz::Australia::Lord_Howe);
        // 2027-04-04 02:00 local (+11) -> 01:30 (+10:30): 2027-04-03 15:00 UTC.
        let first = z
            .transitions_in(ts(2027, 3, 1, 0, 0), ts(2027, 12, 1, 0, 0), &ident)
            .next()
            .unwrap();
        assert_eq!((first.at, first.after), (ts(2027, 4, 3, 15, 0), 37_800));
        let k = ZoneTable::new(chrono_tz::Asia::Kolkata);
        assert_eq!(
            k.transitions_in(ts(2020, 1, 1, 0, 0), ts(2030, 1, 1, 0, 0), &ident)
                .count(),
            0
        );
        assert_eq!(k.offset_at(ts(2027, 6, 1, 0, 0), &ident), Some(19_800));
    }

    #[test]
    fn outside_the_supported_range_is_none() {
        let z = ZoneTable::new(chrono_tz::UTC);
        assert!(z.offset_at(ts(1899, 12, 31, 23, 59), &ident).is_none());
        assert!(z.offset_at(ts(END_YEAR, 1, 1, 0, 0), &ident).is_none());
        assert!(z.offset_at(ts(END_YEAR, 1, 1, 0, 0) - 1, &ident).is_some());
        assert_eq!(year_index(ts(2027, 1, 1, 0, 0)), 127);
        assert_eq!(year_index(ts(2027, 1, 1, 0, 0) - 1), 126);
    }
}
