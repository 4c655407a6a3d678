//! Availability: when a technician's calendar is open, as UTC instants, and the earliest start
//! of a job within an order's window.
//!
//! A calendar is expanded once per run over the span of all order windows: each local day's
//! opening intervals (`BusinessCalendar::intervals_on`, so holidays and exceptions apply) are
//! converted to UTC in the calendar's zone and merged into *open stretches* (intervals that
//! touch, such as `20:00–24:00` and the next day's `00:00–06:00`, form one stretch). This is a
//! scan of the days, never of minutes. Checking a pair is then a binary search.
//!
//! A job fits a stretch when the technician can leave home at the stretch's opening (or later),
//! arrive (`lead` = travel time), start no earlier than the window start and no later than the
//! window end, and finish the whole duration before the stretch closes: a job is not split
//! across closing times. Local times in a DST gap move forward to the first valid instant; an
//! ambiguous opening time takes its first occurrence and an ambiguous closing time its last
//! (business time is real elapsed time).
//!
//! The SLA engine's business-time arithmetic ([`crate::calendar`]) answers deadlines, elapsed
//! business time and the next opening; availability needs the maximal open stretches of a
//! span (where each closes), which it does not expose, so this module expands the days
//! itself — with the same DST semantics, which the tests check against
//! [`crate::calendar::CompiledCalendar`] (`is_open` at every stretch edge, `between` over every
//! stretch, and minute by minute in `tests/dispatch_properties.rs`).

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::model::BusinessCalendar;

const DAY: i64 = 86_400;

/// A calendar expanded into open stretches over a span of days.
#[derive(Debug, Clone)]
pub(crate) struct OpenTime {
    tz: Tz,
    /// Merged open stretches `[start, end)`, UTC seconds, sorted, disjoint.
    stretches: Vec<(i64, i64)>,
    /// Local midnights (UTC seconds) and their dates, ascending and contiguous.
    days: Vec<(i64, NaiveDate)>,
}

/// What a job needs from a calendar.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FitRequest {
    /// Earliest start, UTC seconds.
    pub window_start: i64,
    /// Latest start, UTC seconds.
    pub window_end: i64,
    /// Open time needed before the start (travel from home), seconds.
    pub lead: i64,
    /// Duration of the work, seconds.
    pub duration: i64,
}

/// The outcome of looking for a start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fit {
    /// The earliest feasible start and (when days were checked) the index of its local day.
    Start { at: i64, day: Option<usize> },
    /// No open stretch can hold the job within the window.
    NoOpening,
    /// Stretches fit, but every day they offer was refused by the capacity check; `day` is the
    /// first refused day and `days` how many distinct days were refused.
    NoCapacity { day: usize, days: usize },
}

/// The local date and second-of-day as an instant in `tz` (see the module doc for DST).
fn local_instant(tz: Tz, date: NaiveDate, seconds: u32, latest: bool) -> i64 {
    let naive: NaiveDateTime =
        date.and_time(chrono::NaiveTime::MIN) + Duration::seconds(i64::from(seconds));
    let mut probe = naive;
    // DST gaps are at most a few hours; step forward to the first valid local time.
    for _ in 0..=16 {
        match tz.from_local_datetime(&probe) {
            chrono::LocalResult::Single(t) => return t.timestamp(),
            chrono::LocalResult::Ambiguous(a, b) => {
                return if latest { b.timestamp() } else { a.timestamp() }
            }
            chrono::LocalResult::None => probe += Duration::minutes(15),
        }
    }
    naive.and_utc().timestamp()
}

fn local_date(tz: Tz, t: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|utc| utc.with_timezone(&tz).date_naive())
        .unwrap_or_default()
}

impl OpenTime {
    /// Expands `calendar` over the UTC span `[from, to]` (plus a day each side). Stretches are
    /// cut at the span's ends: windows keep at least a day away from both (the context adds the
    /// longest job and a day to `to`), so a start never depends on the cut (unless travel
    /// exceeds a day).
    pub fn build(calendar: &BusinessCalendar, from: i64, to: i64) -> Self {
        // The model validated the zone; UTC is a defensive fallback.
        let tz = calendar.time_zone.tz().unwrap_or(Tz::UTC);
        let mut open = Self::days_only(tz, from, to);
        let mut raw = Vec::new();
        for &(_, date) in &open.days {
            for iv in calendar.intervals_on(date) {
                let s = local_instant(tz, date, iv.start.seconds(), false);
                let e = local_instant(tz, date, iv.end.seconds(), true);
                if e > s {
                    raw.push((s, e));
                }
            }
        }
        raw.sort_unstable();
        for (s, e) in raw {
            match open.stretches.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => open.stretches.push((s, e)),
            }
        }
        open
    }

    /// A calendar that is always open (availability switched off), with the days of `tz`.
    pub fn always_open(tz: Tz, from: i64, to: i64) -> Self {
        let mut open = Self::days_only(tz, from, to);
        let start = open.days.first().map_or(from, |d| d.0) - DAY;
        open.stretches.push((start, to.saturating_add(2 * DAY)));
        open
    }

    fn days_only(tz: Tz, from: i64, to: i64) -> Self {
        let first = local_date(tz, from).pred_opt().unwrap_or(NaiveDate::MIN);
        let last = local_date(tz, to).succ_opt().unwrap_or(NaiveDate::MAX);
        let days = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| (local_instant(tz, d, 0, false), d))
            .collect();
        Self {
            tz,
            stretches: Vec::new(),
            days,
        }
    }

    /// The zone the calendar is read in.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The local date of a day index.
    pub fn date(&self, day: usize) -> NaiveDate {
        self.days.get(day).map_or(NaiveDate::MIN, |d| d.1)
    }

    /// The index of a local date, if within the span.
    pub fn day_of_date(&self, date: NaiveDate) -> Option<usize> {
        let first = self.days.first()?.1;
        let offset = usize::try_from((date - first).num_days()).ok()?;
        (offset < self.days.len()).then_some(offset)
    }

    /// Number of days in the span.
    pub fn day_count(&self) -> usize {
        self.days.len()
    }

    /// The index of the local day containing instant `t` (clamped to the span).
    pub fn day_index(&self, t: i64) -> usize {
        self.days.partition_point(|d| d.0 <= t).saturating_sub(1)
    }

    /// The open stretches `[start, end)` in UTC seconds, sorted and disjoint.
    pub fn stretches(&self) -> &[(i64, i64)] {
        &self.stretches
    }

    /// The earliest start for `req`. With `check_days`, each candidate day is offered to
    /// `day_ok` (by day index) and refused days are skipped; without, no day is computed.
    pub fn find_start(
        &self,
        req: &FitRequest,
        check_days: bool,
        mut day_ok: impl FnMut(usize) -> bool,
    ) -> Fit {
        let need = req.duration.max(1);
        let first = self
            .stretches
            .partition_point(|&(_, e)| e <= req.window_start);
        let mut refused: Option<(usize, usize)> = None;
        let mut last_refused = usize::MAX;
        for &(s, e) in &self.stretches[first..] {
            let lo = (s + req.lead).max(req.window_start);
            if lo > req.window_end {
                break;
            }
            let hi = (e - need).min(req.window_end);
            if lo > hi {
                continue;
            }
            if !check_days {
                return Fit::Start { at: lo, day: None };
            }
            let first_day = self.day_index(lo);
            let mut d = first_day;
            while d < self.days.len() {
                let day_start = self.days[d].0;
                if d != first_day && day_start > hi {
                    break;
                }
                if day_ok(d) {
                    return Fit::Start {
                        at: lo.max(day_start),
                        day: Some(d),
                    };
                }
                if d != last_refused {
                    last_refused = d;
                    let entry = refused.get_or_insert((d, 0));
                    entry.1 += 1;
                }
                d += 1;
            }
        }
        match refused {
            Some((day, days)) => Fit::NoCapacity { day, days },
            None => Fit::NoOpening,
        }
    }

    /// Local wall-clock rendering of an instant, for explanations.
    pub fn local_text(&self, t: i64) -> String {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|utc| {
                utc.with_timezone(&self.tz)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|| t.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BusinessCalendar;

    fn cal(json: &str) -> BusinessCalendar {
        BusinessCalendar::from_json(json).unwrap()
    }

    fn utc(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    fn office() -> BusinessCalendar {
        cal(r#"{"id":"o","time_zone":"Europe/Berlin","weekly":{
            "mon":[["08:00","12:00"],["13:00","17:00"]],"tue":[["08:00","17:00"]],
            "wed":[["08:00","17:00"]],"thu":[["08:00","17:00"]],"fri":[["08:00","17:00"]]},
            "holidays":["2027-03-03"]}"#)
    }

    fn req(ws: &str, we: &str, lead_min: i64, dur_min: i64) -> FitRequest {
        FitRequest {
            window_start: utc(ws),
            window_end: utc(we),
            lead: lead_min * 60,
            duration: dur_min * 60,
        }
    }

    #[test]
    fn expands_local_hours_to_utc_with_holidays() {
        // 2027-03-01 is a Monday; Berlin is UTC+1 in March before the 28th.
        let o = OpenTime::build(
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
    }

    #[test]
    fn finds_the_earliest_start_after_travel_and_within_the_window() {
        let o = OpenTime::build(
            &office(),
            utc("2027-03-01T00:00:00Z"),
            utc("2027-03-06T00:00:00Z"),
        );
        // From Monday 09:00 local, 30 min travel, 190 min job: the morning block would end
        // 12:10 (closes 12:00), so the afternoon block at 13:30 (leaving home at 13:00).
        let fit = o.find_start(
            &req("2027-03-01T08:00:00Z", "2027-03-05T00:00:00Z", 30, 190),
            false,
            |_| true,
        );
        assert_eq!(
            fit,
            Fit::Start {
                at: utc("2027-03-01T12:30:00Z"),
                day: None
            }
        );
        // 180 min fits the morning exactly (09:00–12:00).
        let fit = o.find_start(
            &req("2027-03-01T08:00:00Z", "2027-03-05T00:00:00Z", 30, 180),
            false,
            |_| true,
        );
        assert_eq!(
            fit,
            Fit::Start {
                at: utc("2027-03-01T08:00:00Z"),
                day: None
            }
        );
        // A 9 h job only fits a full Tuesday (08:00–17:00 with no travel).
        let fit = o.find_start(
            &req("2027-03-01T07:00:00Z", "2027-03-05T00:00:00Z", 0, 540),
            false,
            |_| true,
        );
        assert_eq!(
            fit,
            Fit::Start {
                at: utc("2027-03-02T07:00:00Z"),
                day: None
            }
        );
        // ...but not with travel, and not at all when the window ends Monday.
        let fit = o.find_start(
            &req("2027-03-01T07:00:00Z", "2027-03-05T00:00:00Z", 10, 540),
            false,
            |_| true,
        );
        assert_eq!(fit, Fit::NoOpening);
        let fit = o.find_start(
            &req("2027-03-01T07:00:00Z", "2027-03-01T20:00:00Z", 0, 540),
            false,
            |_| true,
        );
        assert_eq!(fit, Fit::NoOpening);
        // The latest start may be the window end exactly.
        let fit = o.find_start(
            &req("2027-03-01T16:30:00Z", "2027-03-02T07:00:00Z", 0, 60),
            false,
            |_| true,
        );
        assert_eq!(
            fit,
            Fit::Start {
                at: utc("2027-03-02T07:00:00Z"),
                day: None
            }
        );
    }

    #[test]
    fn touching_intervals_merge_across_midnight() {
        let c = cal(r#"{"id":"n","time_zone":"UTC","weekly":{
            "mon":[["20:00","24:00"]],"tue":[["00:00","06:00"]]}}"#);
        let o = OpenTime::build(&c, utc("2027-03-01T00:00:00Z"), utc("2027-03-03T00:00:00Z"));
        assert_eq!(
            o.stretches(),
            &[(utc("2027-03-01T20:00:00Z"), utc("2027-03-02T06:00:00Z"))]
        );
        let fit = o.find_start(
            &req("2027-03-01T00:00:00Z", "2027-03-02T00:00:00Z", 0, 600),
            false,
            |_| true,
        );
        assert_eq!(
            fit,
            Fit::Start {
                at: utc("2027-03-01T20:00:00Z"),
                day: None
            }
        );
    }

    #[test]
    fn a_24x7_calendar_counts_real_hours_across_dst() {
        // Berlin, 2027-03-28 spring forward: the local day has 23 hours.
        let c = cal(r#"{"id":"a","time_zone":"Europe/Berlin","weekly":{
            "mon":[["00:00","24:00"]],"tue":[["00:00","24:00"]],"wed":[["00:00","24:00"]],
            "thu":[["00:00","24:00"]],"fri":[["00:00","24:00"]],"sat":[["00:00","24:00"]],
            "sun":[["00:00","24:00"]]}}"#);
        let o = OpenTime::build(&c, utc("2027-03-27T00:00:00Z"), utc("2027-03-30T00:00:00Z"));
        assert_eq!(o.stretches().len(), 1);
        let sunday = o
            .day_of_date(NaiveDate::from_ymd_opt(2027, 3, 28).unwrap())
            .unwrap();
        assert_eq!(o.days[sunday + 1].0 - o.days[sunday].0, 23 * 3600);
    }

    #[test]
    fn stretches_agree_with_the_sla_calendar_arithmetic_across_dst() {
        use crate::calendar::CompiledCalendar;
        use chrono::TimeDelta;
        // Night shifts over both Berlin switches (2027-03-28 spring, 2027-10-31 autumn), a
        // split day, a holiday and an exception.
        let cal = cal(r#"{"id":"n","time_zone":"Europe/Berlin","weekly":{
            "sat":[["22:00","24:00"]],"sun":[["00:00","04:00"],["09:00","12:00"],["12:00","13:30"]],
            "mon":[["01:30","02:30"],["08:00","17:00"]]},
            "holidays":["2027-04-05"],"exceptions":{"2027-11-01":[["02:00","02:15"]]}}"#);
        let compiled = CompiledCalendar::new(&cal).unwrap();
        let at = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap();
        for (from, to) in [
            ("2027-03-20T00:00:00Z", "2027-04-10T00:00:00Z"),
            ("2027-10-25T00:00:00Z", "2027-11-05T00:00:00Z"),
        ] {
            let open = OpenTime::build(&cal, utc(from), utc(to));
            assert!(open.stretches().len() > 5);
            // Stretches open at the span's first or after its last midnight are cut there
            // (windows keep a day away from both ends, so nothing depends on it).
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
        }
        // The spring night (Sat 22:00 – Sun 04:00 local) lasts 5 real hours, the autumn one 7.
        let spring = OpenTime::build(
            &cal,
            utc("2027-03-27T00:00:00Z"),
            utc("2027-03-28T12:00:00Z"),
        );
        let night = spring.stretches()[0];
        assert_eq!(night.1 - night.0, 5 * 3600);
        let autumn = OpenTime::build(
            &cal,
            utc("2027-10-30T00:00:00Z"),
            utc("2027-10-31T12:00:00Z"),
        );
        let night = autumn.stretches()[0];
        assert_eq!(night.1 - night.0, 7 * 3600);
    }

    #[test]
    fn refused_days_are_skipped_and_reported() {
        let o = OpenTime::build(
            &office(),
            utc("2027-03-01T00:00:00Z"),
            utc("2027-03-06T00:00:00Z"),
        );
        let monday = o.day_index(utc("2027-03-01T12:00:00Z"));
        assert_eq!(o.date(monday), NaiveDate::from_ymd_opt(2027, 3, 1).unwrap());
        let r = req("2027-03-01T07:00:00Z", "2027-03-02T12:00:00Z", 0, 60);
        let fit = o.find_start(&r, true, |d| d != monday);
        assert_eq!(
            fit,
            Fit::Start {
                at: utc("2027-03-02T07:00:00Z"),
                day: Some(monday + 1)
            }
        );
        let fit = o.find_start(&r, true, |_| false);
        assert_eq!(
            fit,
            Fit::NoCapacity {
                day: monday,
                days: 2
            }
        );
    }

    #[test]
    fn always_open_fits_at_the_window_start_plus_travel() {
        let o = OpenTime::always_open(
            Tz::UTC,
            utc("2027-03-01T00:00:00Z"),
            utc("2027-03-02T00:00:00Z"),
        );
        let fit = o.find_start(
            &req("2027-03-01T03:00:00Z", "2027-03-01T04:00:00Z", 20, 600),
            false,
            |_| true,
        );
        assert_eq!(
            fit,
            Fit::Start {
                at: utc("2027-03-01T03:00:00Z"),
                day: None
            }
        );
    }
}
