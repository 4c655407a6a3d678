//! [`OpenStretches`]: a calendar's maximal open stretches over a span of UTC instants, and the
//! local days of that span.
//!
//! Each local day's opening intervals ([`BusinessCalendar::intervals_on`], so holidays and
//! exceptions apply) are mapped to UTC with the calendar's one DST rule ([`super::local_day`]:
//! nonexistent local times are never open, repeated local times are open twice) and merged into
//! maximal *open stretches* `[start, end)`: intervals that touch, such as `20:00–24:00` and the
//! next day's `00:00–06:00`, form one stretch. An instant is inside a stretch exactly when
//! [`CompiledCalendar::is_open`](super::CompiledCalendar::is_open) says it is open, and the
//! business time over a stretch is its length (the tests check both across DST switches).
//!
//! Building scans the span's days once (never minutes); every lookup afterwards is a binary
//! search.

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

use super::compiled::DAY;
use super::local_day::local_midnight;
use super::local_day::OffsetRuns;
use crate::model::BusinessCalendar;

/// A calendar expanded into merged open stretches over a span of UTC instants (Unix seconds),
/// with the local days of the span.
///
/// The span `[from, to]` is widened to whole local days plus one day on each side; stretches
/// are cut at the widened span's ends (a stretch that is open across the first local midnight
/// or past the last one is cut there). Instants are Unix seconds (`DateTime::timestamp`).
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use fieldwork::calendar::OpenStretches;
/// use fieldwork::model::BusinessCalendar;
/// let cal = BusinessCalendar::from_json(r#"{"id": "night", "time_zone": "Europe/Berlin",
///   "weekly": {"mon": [["20:00","24:00"]], "tue": [["00:00","06:00"]]}}"#).unwrap();
/// let t = |d, h| Utc.with_ymd_and_hms(2027, 3, d, h, 0, 0).unwrap().timestamp();
/// let open = OpenStretches::new(&cal, t(1, 0), t(3, 0));
/// // Monday 20:00 to Tuesday 06:00 Berlin (UTC+1) is one stretch.
/// assert_eq!(open.stretches(), &[(t(1, 19), t(2, 5))]);
/// assert_eq!(open.containing(t(2, 0)), Some((t(1, 19), t(2, 5))));
/// assert_eq!(open.containing(t(2, 5)), None);
/// assert_eq!(open.local_date(t(1, 23)), NaiveDate::from_ymd_opt(2027, 3, 2).unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct OpenStretches {
    zone: Tz,
    /// Merged open stretches `[start, end)`, Unix seconds, sorted, disjoint, not touching.
    stretches: Vec<(i64, i64)>,
    /// The instants the span's local days begin and their dates, ascending and contiguous.
    days: Vec<(i64, NaiveDate)>,
}

/// The local date of Unix time `t` in `zone` (1970-01-01 for instants chrono cannot represent).
fn date_at(zone: Tz, t: i64) -> NaiveDate {
    DateTime::from_timestamp(t, 0)
        .map(|utc| utc.with_timezone(&zone).date_naive())
        .unwrap_or_default()
}

impl OpenStretches {
    /// Expands `calendar` over the UTC span `[from, to]` (Unix seconds), widened to whole local
    /// days plus a day each side. A zone the model does not know (validation rejects it) is
    /// read as UTC.
    ///
    /// Cost and bound: one pass over the span's local days and their intervals, plus the
    /// zone's offsets sampled every six hours; the span is the caller's (it is not capped).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use fieldwork::calendar::OpenStretches;
    /// use fieldwork::model::BusinessCalendar;
    /// let cal = BusinessCalendar::from_json(r#"{"id": "o", "time_zone": "UTC",
    ///   "weekly": {"mon": [["08:00","12:00"], ["13:00","17:00"]]}}"#).unwrap();
    /// let t = |d, h| Utc.with_ymd_and_hms(2027, 3, d, h, 0, 0).unwrap().timestamp();
    /// let open = OpenStretches::new(&cal, t(1, 0), t(2, 0));
    /// assert_eq!(open.stretches(), &[(t(1, 8), t(1, 12)), (t(1, 13), t(1, 17))]);
    /// ```
    pub fn new(calendar: &BusinessCalendar, from: i64, to: i64) -> Self {
        let zone = calendar.time_zone.tz().unwrap_or(Tz::UTC);
        let (mut open, runs) = Self::days_only(zone, from, to);
        let mut raw = Vec::new();
        for &(_, date) in &open.days {
            let midnight = local_midnight(date);
            for iv in calendar.intervals_on(date) {
                let (a, b) = (i64::from(iv.start.seconds()), i64::from(iv.end.seconds()));
                runs.preimage(midnight + a, midnight + b, |s, e| raw.push((s, e)));
            }
        }
        // A fall-back switch can put a day's repeated hour after the next day's first interval.
        raw.sort_unstable();
        for (s, e) in raw {
            match open.stretches.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => open.stretches.push((s, e)),
            }
        }
        open
    }

    /// Always open (no calendar, or availability not checked): one stretch over the whole span,
    /// with the local days of `zone`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use fieldwork::calendar::OpenStretches;
    /// let t = |d, h| Utc.with_ymd_and_hms(2027, 3, d, h, 0, 0).unwrap().timestamp();
    /// let open = OpenStretches::always_open(chrono_tz::Europe::Berlin, t(1, 0), t(2, 0));
    /// assert_eq!(open.stretches().len(), 1);
    /// assert!(open.containing(t(1, 12)).is_some());
    /// assert_eq!(open.day_count(), 4); // Feb 28 to Mar 3, local dates
    /// ```
    pub fn always_open(zone: Tz, from: i64, to: i64) -> Self {
        let (mut open, _) = Self::days_only(zone, from, to);
        let start = open.days.first().map_or(from, |d| d.0) - DAY;
        open.stretches.push((start, to.saturating_add(2 * DAY)));
        open
    }

    /// The local days of the span (no stretches) and the zone's offsets over them. Bound: the
    /// number of local dates from the day before `from`'s to the day after `to`'s.
    fn days_only(zone: Tz, from: i64, to: i64) -> (Self, OffsetRuns) {
        let first = date_at(zone, from).pred_opt().unwrap_or(NaiveDate::MIN);
        let last = date_at(zone, to).succ_opt().unwrap_or(NaiveDate::MAX);
        // Local times of the span's days lie within a day of their naive value.
        let runs = OffsetRuns::new(
            zone,
            local_midnight(first) - 2 * DAY,
            local_midnight(last) + 3 * DAY,
        );
        let days = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| {
                let midnight = local_midnight(d);
                (runs.first_at_or_after(midnight).unwrap_or(midnight), d)
            })
            .collect();
        let open = Self {
            zone,
            stretches: Vec::new(),
            days,
        };
        (open, runs)
    }

    /// The zone the calendar is read in.
    ///
    /// ```
    /// use fieldwork::calendar::OpenStretches;
    /// let open = OpenStretches::always_open(chrono_tz::Asia::Tokyo, 0, 0);
    /// assert_eq!(open.zone(), chrono_tz::Asia::Tokyo);
    /// ```
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The same open time with every gap shorter than `max_gap` seconds between two stretches
    /// that begin on the same local day closed (a lunch break: work may run through it). Gaps
    /// between days, and gaps of `max_gap` or more, stay. Bridge a calendar before cutting
    /// absences out of it ([`without`](Self::without)): an absence is never bridged. O(n) for
    /// n stretches.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use fieldwork::calendar::OpenStretches;
    /// use fieldwork::model::BusinessCalendar;
    /// let cal = BusinessCalendar::from_json(r#"{"id": "o", "time_zone": "UTC",
    ///   "weekly": {"mon": [["08:00","12:00"], ["13:00","17:00"]],
    ///              "tue": [["06:00","10:00"], ["15:00","19:00"]]}}"#).unwrap();
    /// let t = |d, h| Utc.with_ymd_and_hms(2027, 3, d, h, 0, 0).unwrap().timestamp();
    /// let open = OpenStretches::new(&cal, t(1, 0), t(3, 0)).bridging(2 * 3600);
    /// // Monday's lunch hour is bridged; Tuesday's five-hour gap splits the day.
    /// assert_eq!(
    ///     open.stretches(),
    ///     &[(t(1, 8), t(1, 17)), (t(2, 6), t(2, 10)), (t(2, 15), t(2, 19))]
    /// );
    /// ```
    pub fn bridging(mut self, max_gap: i64) -> Self {
        let mut out: Vec<(i64, i64)> = Vec::with_capacity(self.stretches.len());
        for &(s, e) in &self.stretches {
            match out.last_mut() {
                Some(last)
                    if s - last.1 < max_gap && self.local_date(last.0) == self.local_date(s) =>
                {
                    last.1 = e;
                }
                _ => out.push((s, e)),
            }
        }
        self.stretches = out;
        self
    }

    /// The same open time without `[from, to)` (an absence): stretches are cut or dropped.
    /// O(n) for n stretches.
    ///
    /// ```
    /// use fieldwork::calendar::OpenStretches;
    /// let open = OpenStretches::always_open(chrono_tz::UTC, 0, 3600).without(0, 600);
    /// assert_eq!(open.stretches(), &[(-2 * 86_400, 0), (600, 3600 + 2 * 86_400)]);
    /// ```
    pub fn without(mut self, from: i64, to: i64) -> Self {
        if to <= from {
            return self;
        }
        let mut out = Vec::with_capacity(self.stretches.len() + 1);
        for &(s, e) in &self.stretches {
            if e <= from || s >= to {
                out.push((s, e));
                continue;
            }
            if s < from {
                out.push((s, from));
            }
            if e > to {
                out.push((to, e));
            }
        }
        self.stretches = out;
        self
    }

    /// The open stretches `[start, end)` in Unix seconds, sorted, disjoint and never touching.
    ///
    /// ```
    /// use fieldwork::calendar::OpenStretches;
    /// let open = OpenStretches::always_open(chrono_tz::UTC, 0, 3600);
    /// assert_eq!(open.stretches(), &[(-2 * 86_400, 3600 + 2 * 86_400)]);
    /// ```
    pub fn stretches(&self) -> &[(i64, i64)] {
        &self.stretches
    }

    /// The stretches that end after `t`, in order: the one containing `t` (if any) first.
    /// O(log n).
    ///
    /// ```
    /// use fieldwork::calendar::OpenStretches;
    /// let open = OpenStretches::always_open(chrono_tz::UTC, 0, 3600);
    /// assert_eq!(open.ending_after(0).len(), 1);
    /// assert!(open.ending_after(10 * 86_400).is_empty());
    /// ```
    pub fn ending_after(&self, t: i64) -> &[(i64, i64)] {
        let first = self.stretches.partition_point(|&(_, e)| e <= t);
        &self.stretches[first..]
    }

    /// The stretch containing `t`, if it is open. O(log n).
    ///
    /// ```
    /// use fieldwork::calendar::OpenStretches;
    /// let open = OpenStretches::always_open(chrono_tz::UTC, 0, 3600);
    /// assert!(open.containing(0).is_some());
    /// assert_eq!(open.containing(10 * 86_400), None);
    /// ```
    pub fn containing(&self, t: i64) -> Option<(i64, i64)> {
        self.ending_after(t)
            .first()
            .copied()
            .filter(|&(s, _)| s <= t)
    }

    /// The first open instant at or after `t` within the span. O(log n).
    ///
    /// ```
    /// use fieldwork::calendar::OpenStretches;
    /// let open = OpenStretches::always_open(chrono_tz::UTC, 0, 3600);
    /// assert_eq!(open.next_open(0), Some(0));
    /// assert_eq!(open.next_open(-5 * 86_400), Some(-2 * 86_400));
    /// ```
    pub fn next_open(&self, t: i64) -> Option<i64> {
        self.ending_after(t).first().map(|&(s, _)| s.max(t))
    }

    /// Number of local days in the span.
    ///
    /// ```
    /// use fieldwork::calendar::OpenStretches;
    /// // 1970-01-01 in UTC, and a day each side.
    /// assert_eq!(OpenStretches::always_open(chrono_tz::UTC, 0, 3600).day_count(), 3);
    /// ```
    pub fn day_count(&self) -> usize {
        self.days.len()
    }

    /// The local date of a day index (`NaiveDate::MIN` past the span).
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use fieldwork::calendar::OpenStretches;
    /// let open = OpenStretches::always_open(chrono_tz::UTC, 0, 3600);
    /// assert_eq!(open.date(1), NaiveDate::from_ymd_opt(1970, 1, 1).unwrap());
    /// ```
    pub fn date(&self, day: usize) -> NaiveDate {
        self.days.get(day).map_or(NaiveDate::MIN, |d| d.1)
    }

    /// The instant (Unix seconds) a day index begins: local midnight, or the end of a DST gap
    /// that skips it ([`super::start_of_day`]); `None` past the span.
    ///
    /// ```
    /// use fieldwork::calendar::OpenStretches;
    /// let open = OpenStretches::always_open(chrono_tz::UTC, 0, 3600);
    /// assert_eq!(open.day_start(1), Some(0));
    /// assert_eq!(open.day_start(3), None);
    /// ```
    #[inline]
    pub fn day_start(&self, day: usize) -> Option<i64> {
        self.days.get(day).map(|d| d.0)
    }

    /// The index of a local date, if within the span.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use fieldwork::calendar::OpenStretches;
    /// let open = OpenStretches::always_open(chrono_tz::UTC, 0, 3600);
    /// assert_eq!(open.day_of_date(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), Some(2));
    /// assert_eq!(open.day_of_date(NaiveDate::from_ymd_opt(1970, 1, 3).unwrap()), None);
    /// ```
    pub fn day_of_date(&self, date: NaiveDate) -> Option<usize> {
        let first = self.days.first()?.1;
        let offset = usize::try_from((date - first).num_days()).ok()?;
        (offset < self.days.len()).then_some(offset)
    }

    /// The index of the local day containing `t`, clamped to the span. O(log d).
    ///
    /// ```
    /// use fieldwork::calendar::OpenStretches;
    /// let open = OpenStretches::always_open(chrono_tz::UTC, 0, 3600);
    /// assert_eq!(open.day_index(3600), 1);
    /// assert_eq!(open.day_index(-100 * 86_400), 0);
    /// ```
    #[inline]
    pub fn day_index(&self, t: i64) -> usize {
        self.days.partition_point(|d| d.0 <= t).saturating_sub(1)
    }

    /// The local date of `t` in the calendar's zone, clamped to the span's days.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use fieldwork::calendar::OpenStretches;
    /// let open = OpenStretches::always_open(chrono_tz::America::New_York, 0, 3600);
    /// // 1970-01-01T00:00Z is still New Year's Eve in New York.
    /// assert_eq!(open.local_date(0), NaiveDate::from_ymd_opt(1969, 12, 31).unwrap());
    /// ```
    pub fn local_date(&self, t: i64) -> NaiveDate {
        self.date(self.day_index(t))
    }
}

/// Calendars and instants the tests of stretches and of dispatch availability share.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::model::BusinessCalendar;

    /// A calendar from its JSON.
    pub fn cal(json: &str) -> BusinessCalendar {
        BusinessCalendar::from_json(json).unwrap()
    }

    /// Unix seconds of an RFC 3339 instant.
    pub fn utc(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    /// Berlin office hours with a lunch break on Mondays and a holiday on Wednesday 3 March 2027.
    pub fn office() -> BusinessCalendar {
        cal(r#"{"id":"o","time_zone":"Europe/Berlin","weekly":{
            "mon":[["08:00","12:00"],["13:00","17:00"]],"tue":[["08:00","17:00"]],
            "wed":[["08:00","17:00"]],"thu":[["08:00","17:00"]],"fri":[["08:00","17:00"]]},
            "holidays":["2027-03-03"]}"#)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{cal, office, utc};
    use super::*;
    use crate::calendar::CompiledCalendar;
    use chrono::TimeDelta;

    #[test]
    fn expands_local_hours_to_utc_with_holidays() {
        // 2027-03-01 is a Monday; Berlin is UTC+1 in March before the 28th.
        let o = OpenStretches::new(
            &office(),
            utc("2027-03-01T00:00:00Z"),
            utc("2027-03-04T00:00:00Z"),
        );
        let mon = &o.stretches()[..2];
        assert_eq!(
            mon[0],
            (utc("2027-03-01T07:00:00Z"), utc("2027-03-01T11:00:00Z"))
        );
        assert_eq!(
            mon[1],
            (utc("2027-03-01T12:00:00Z"), utc("2027-03-01T16:00:00Z"))
        );
        // Wednesday 3rd is a holiday: Tuesday is followed by Thursday.
        assert_eq!(o.stretches()[3].0, utc("2027-03-04T07:00:00Z"));
        let tue = NaiveDate::from_ymd_opt(2027, 3, 2).unwrap();
        assert_eq!(o.date(o.day_of_date(tue).unwrap()), tue);
        assert_eq!(
            o.next_open(utc("2027-03-01T11:30:00Z")),
            Some(utc("2027-03-01T12:00:00Z"))
        );
        let monday = o.day_index(utc("2027-03-01T12:00:00Z"));
        assert_eq!(o.date(monday), NaiveDate::from_ymd_opt(2027, 3, 1).unwrap());
        assert_eq!(o.day_start(monday), Some(utc("2027-02-28T23:00:00Z")));
    }

    #[test]
    fn touching_intervals_merge_across_midnight() {
        let c = cal(r#"{"id":"n","time_zone":"UTC","weekly":{
            "mon":[["20:00","24:00"]],"tue":[["00:00","06:00"]]}}"#);
        let o = OpenStretches::new(&c, utc("2027-03-01T00:00:00Z"), utc("2027-03-03T00:00:00Z"));
        assert_eq!(
            o.stretches(),
            &[(utc("2027-03-01T20:00:00Z"), utc("2027-03-02T06:00:00Z"))]
        );
    }

    #[test]
    fn a_24x7_calendar_counts_real_hours_across_dst() {
        // Berlin, 2027-03-28 spring forward: the local day has 23 hours.
        let c = cal(r#"{"id":"a","time_zone":"Europe/Berlin","weekly":{
            "mon":[["00:00","24:00"]],"tue":[["00:00","24:00"]],"wed":[["00:00","24:00"]],
            "thu":[["00:00","24:00"]],"fri":[["00:00","24:00"]],"sat":[["00:00","24:00"]],
            "sun":[["00:00","24:00"]]}}"#);
        let o = OpenStretches::new(&c, utc("2027-03-27T00:00:00Z"), utc("2027-03-30T00:00:00Z"));
        assert_eq!(o.stretches().len(), 1);
        let sunday = o
            .day_of_date(NaiveDate::from_ymd_opt(2027, 3, 28).unwrap())
            .unwrap();
        assert_eq!(o.days[sunday + 1].0 - o.days[sunday].0, 23 * 3600);
    }

    /// Every inner stretch edge and every stretch's business time agree with the SLA
    /// arithmetic, and so does every quarter hour of the span.
    fn assert_agrees_with_compiled(cal: &BusinessCalendar, from: &str, to: &str) {
        let compiled = CompiledCalendar::new(cal).unwrap();
        let at = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap();
        let open = OpenStretches::new(cal, utc(from), utc(to));
        assert!(open.stretches().len() > 5);
        // Stretches open at the span's first or after its last midnight are cut there.
        let (first, last) = (open.days[0].0, open.days[open.days.len() - 1].0);
        let inner = open
            .stretches()
            .iter()
            .filter(|st| st.0 > first && st.1 < last);
        for &(s, e) in inner {
            assert!(compiled.is_open(at(s)).unwrap(), "open at {}", at(s));
            assert!(
                !compiled.is_open(at(s - 1)).unwrap(),
                "closed before {}",
                at(s)
            );
            assert!(!compiled.is_open(at(e)).unwrap(), "closed at {}", at(e));
            assert_eq!(
                compiled.between(at(s), at(e)).unwrap(),
                TimeDelta::seconds(e - s),
                "fully open {} .. {}",
                at(s),
                at(e)
            );
        }
        let mut t = first;
        while t < last {
            assert_eq!(
                open.containing(t).is_some(),
                compiled.is_open(at(t)).unwrap(),
                "{}",
                at(t)
            );
            t += 900;
        }
    }

    #[test]
    fn stretches_agree_with_the_sla_calendar_arithmetic_across_dst() {
        // Night shifts over both Berlin switches (2027-03-28 spring, 2027-10-31 autumn), a
        // split day, a holiday and an exception.
        let night = cal(r#"{"id":"n","time_zone":"Europe/Berlin","weekly":{
            "sat":[["22:00","24:00"]],"sun":[["00:00","04:00"],["09:00","12:00"],["12:00","13:30"]],
            "mon":[["01:30","02:30"],["08:00","17:00"]]},
            "holidays":["2027-04-05"],"exceptions":{"2027-11-01":[["02:00","02:15"]]}}"#);
        for (from, to) in [
            ("2027-03-20T00:00:00Z", "2027-04-10T00:00:00Z"),
            ("2027-10-25T00:00:00Z", "2027-11-05T00:00:00Z"),
        ] {
            assert_agrees_with_compiled(&night, from, to);
        }
        // Intervals that open or close inside the skipped and the repeated hour, at odd
        // minutes: the gap opens at the switch, the repeated part is open twice.
        let edges = cal(r#"{"id":"e","time_zone":"Europe/Berlin","weekly":{
            "sun":[["01:00","02:30"],["02:40","05:10"]],"sat":[["02:10","02:50"]],
            "mon":[["08:00","17:00"]]},
            "exceptions":{"2027-03-28":[["02:10","04:00"]]}}"#);
        for (from, to) in [
            ("2027-03-20T00:00:00Z", "2027-04-10T00:00:00Z"),
            ("2027-10-25T00:00:00Z", "2027-11-05T00:00:00Z"),
        ] {
            assert_agrees_with_compiled(&edges, from, to);
        }
        // The spring night (Sat 22:00 – Sun 04:00 local) lasts 5 real hours, the autumn one 7.
        let spring = OpenStretches::new(
            &night,
            utc("2027-03-27T00:00:00Z"),
            utc("2027-03-28T12:00:00Z"),
        );
        let first = spring.stretches()[0];
        assert_eq!(first.1 - first.0, 5 * 3600);
        let autumn = OpenStretches::new(
            &night,
            utc("2027-10-30T00:00:00Z"),
            utc("2027-10-31T12:00:00Z"),
        );
        let first = autumn.stretches()[0];
        assert_eq!(first.1 - first.0, 7 * 3600);
        // A spring exception opening at 02:10 (skipped) opens at the switch, 03:00 local.
        let gap = OpenStretches::new(
            &edges,
            utc("2027-03-27T00:00:00Z"),
            utc("2027-03-29T00:00:00Z"),
        );
        assert!(gap
            .stretches()
            .contains(&(utc("2027-03-28T01:00:00Z"), utc("2027-03-28T02:00:00Z"))));
    }

    #[test]
    fn always_open_covers_the_span_with_its_days() {
        let o = OpenStretches::always_open(
            Tz::UTC,
            utc("2027-03-01T00:00:00Z"),
            utc("2027-03-02T00:00:00Z"),
        );
        assert_eq!(
            o.containing(utc("2027-03-01T03:00:00Z")),
            Some((utc("2027-02-27T00:00:00Z"), utc("2027-03-04T00:00:00Z")))
        );
        assert_eq!(o.day_count(), 4);
    }
}
