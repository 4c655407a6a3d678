//! [`CompiledCalendar`]: a [`BusinessCalendar`] prepared once for fast arithmetic.
//!
//! Local wall-clock time is handled here as *naive* seconds since 1970-01-01T00:00 (no zone).
//! The central function is the cumulative opening time `cum(L)`: business seconds in naive local
//! time from a fixed origin up to `L`. It is computed in O(log h) for h holidays and exceptions:
//! whole weeks come from the precomputed weekly total, the partial week from per-weekday prefix
//! sums, and every holiday or exception contributes its difference to the regular weekday
//! through a prefix sum over the sorted override index. Its inverse (the earliest local time at
//! which a cumulative total is reached) is found by a binary search over that index plus O(1)
//! arithmetic, so the cost of a deadline does not grow with the duration.
//!
//! The zone's offsets ([`super::zone`]) are applied on top, in [`super::arith`].

use chrono::{Datelike, NaiveDate};

use super::error::CalendarError;
use super::zone::ZoneTable;
use crate::model::{BusinessCalendar, CalendarId, OpeningInterval, WeeklyHours};

/// Seconds per day, as `i64`.
pub(crate) const DAY: i64 = 86_400;
/// A stretch of at least this many whole local days without opening time counts as "no opening
/// within ten years".
pub const TEN_YEARS_DAYS: i64 = 3_652;
/// Day number (days since 1970-01-01) of Monday 1970-01-05, origin of the weekly arithmetic.
const MONDAY_ORIGIN: i64 = 4;

/// Id of the built-in always-open calendar (see [`CompiledCalendar::always_open`]).
pub const ALWAYS_OPEN_ID: &str = "24x7";

/// The opening intervals of one day as seconds since local midnight, sorted, with their total.
#[derive(Debug, Clone, Default)]
pub(crate) struct DayPlan {
    intervals: Box<[(i64, i64)]>,
    total: i64,
}

impl DayPlan {
    fn new(intervals: &[OpeningInterval]) -> Self {
        let mut iv: Vec<(i64, i64)> = intervals
            .iter()
            .map(|i| (i64::from(i.start.seconds()), i64::from(i.end.seconds())))
            .collect();
        iv.sort_unstable();
        let total = iv.iter().map(|(s, e)| e - s).sum();
        Self {
            intervals: iv.into_boxed_slice(),
            total,
        }
    }

    /// Opening seconds before `sod` (seconds since local midnight).
    fn open_before(&self, sod: i64) -> i64 {
        self.intervals
            .iter()
            .map(|&(s, e)| (sod - s).clamp(0, e - s))
            .sum()
    }

    /// The earliest second of day at which `need` (in `1..=total`) opening seconds have passed.
    fn reach(&self, mut need: i64) -> i64 {
        for &(s, e) in self.intervals.iter() {
            if need <= e - s {
                return s + need;
            }
            need -= e - s;
        }
        // Unreachable when `need <= total`; the last close is the safe answer.
        self.intervals.last().map_or(0, |&(_, e)| e)
    }

    fn contains(&self, sod: i64) -> bool {
        self.intervals.iter().any(|&(s, e)| s <= sod && sod < e)
    }
}

/// Days since 1970-01-01 of a date.
pub(crate) fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 719_163
}

/// Monday = 0 … Sunday = 6.
fn weekday_index(day: i64) -> usize {
    (day - MONDAY_ORIGIN).rem_euclid(7) as usize
}

/// A business calendar compiled for arithmetic: per-weekday plans and totals, the weekly total,
/// a sorted index of holidays and exceptions with prefix sums, the zone's offset table and the
/// closed stretches of ten years or more.
///
/// Build it once per calendar and reuse it: it is `Send + Sync`, and the zone's transitions are
/// computed lazily, once per UTC year touched.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use fieldwork::calendar::CompiledCalendar;
/// use fieldwork::model::BusinessCalendar;
/// let cal = BusinessCalendar::from_json(r#"{"id": "berlin", "time_zone": "Europe/Berlin",
///   "weekly": {"mon": [["08:00","17:00"]], "tue": [["08:00","17:00"]]}}"#).unwrap();
/// let cal = CompiledCalendar::new(&cal).unwrap();
/// // Monday 2027-03-01 16:00 Berlin (15:00 UTC) + 2 h -> Tuesday 09:00 Berlin.
/// let start = Utc.with_ymd_and_hms(2027, 3, 1, 15, 0, 0).unwrap();
/// let due = cal.add(start, TimeDelta::hours(2)).unwrap();
/// assert_eq!(due, Utc.with_ymd_and_hms(2027, 3, 2, 8, 0, 0).unwrap());
/// assert_eq!(cal.between(start, due).unwrap(), TimeDelta::hours(2));
/// ```
#[derive(Debug)]
pub struct CompiledCalendar {
    pub(crate) id: CalendarId,
    pub(crate) zone: ZoneTable,
    weekly: [DayPlan; 7],
    week_total: i64,
    /// `week_prefix[i]` = opening seconds of weekdays `0..i` (Monday first); `[7]` = week total.
    week_prefix: [i64; 8],
    /// Day numbers of holidays and exceptions, sorted, unique.
    override_days: Vec<i64>,
    override_plans: Vec<DayPlan>,
    /// `override_prefix[i]` = Σ over overrides `< i` of (override total − regular weekday total).
    override_prefix: Vec<i64>,
    /// `cum` at the end of each override day (sorted like the days), for [`Self::reach`].
    override_end_cum: Vec<i64>,
    /// Maximal runs `[from, to)` of ≥ [`TEN_YEARS_DAYS`] whole local days without opening time;
    /// `i64::MIN` / `i64::MAX` stand for unbounded ends.
    long_closed: Vec<(i64, i64)>,
}

impl CompiledCalendar {
    /// Validates and compiles a calendar (unknown zone, inverted or overlapping intervals are
    /// errors naming the field).
    pub fn new(calendar: &BusinessCalendar) -> Result<Self, CalendarError> {
        let issues = calendar.validate();
        if !issues.is_empty() {
            return Err(CalendarError::Invalid {
                calendar: calendar.id.clone(),
                issues,
            });
        }
        let tz = calendar
            .time_zone
            .tz()
            .map_err(|e| CalendarError::Invalid {
                calendar: calendar.id.clone(),
                issues: vec![crate::model::ValidationIssue::new(
                    crate::model::EntityKind::Calendar,
                    &calendar.id,
                    "time_zone",
                    e,
                )],
            })?;
        let w = &calendar.weekly;
        let weekly =
            [&w.mon, &w.tue, &w.wed, &w.thu, &w.fri, &w.sat, &w.sun].map(|d| DayPlan::new(d));
        let mut week_prefix = [0i64; 8];
        for i in 0..7 {
            week_prefix[i + 1] = week_prefix[i] + weekly[i].total;
        }
        // Every date that differs from its weekday, with its intervals as the model reads them
        // (`intervals_on`: a holiday closes the date even when it also has an exception).
        let dates: std::collections::BTreeSet<_> = calendar
            .exceptions
            .keys()
            .chain(calendar.holidays.iter())
            .copied()
            .collect();
        let overrides: Vec<(i64, DayPlan)> = dates
            .into_iter()
            .map(|date| (day_number(date), DayPlan::new(calendar.intervals_on(date))))
            .collect();
        let mut override_prefix = Vec::with_capacity(overrides.len() + 1);
        override_prefix.push(0);
        let mut acc = 0;
        for (day, plan) in &overrides {
            acc += plan.total - weekly[weekday_index(*day)].total;
            override_prefix.push(acc);
        }
        let (override_days, override_plans): (Vec<i64>, Vec<DayPlan>) =
            overrides.into_iter().unzip();
        let mut compiled = Self {
            id: calendar.id.clone(),
            zone: ZoneTable::new(tz),
            weekly,
            week_total: week_prefix[7],
            week_prefix,
            override_days,
            override_plans,
            override_prefix,
            override_end_cum: Vec::new(),
            long_closed: Vec::new(),
        };
        compiled.override_end_cum = (0..compiled.override_days.len())
            .map(|i| {
                compiled.regular_cum(compiled.override_days[i] + 1)
                    + compiled.override_prefix[i + 1]
            })
            .collect();
        compiled.long_closed = compiled.find_long_closed();
        Ok(compiled)
    }

    /// The built-in always-open calendar [`ALWAYS_OPEN_ID`] (`"24x7"`): every instant is open, so
    /// business time is plain elapsed time.
    pub fn always_open() -> Self {
        let calendar = always_open_calendar();
        // The built-in calendar is valid by construction; fall back to an explicit build.
        Self::new(&calendar).unwrap_or_else(|_| Self {
            id: calendar.id,
            zone: ZoneTable::new(chrono_tz::UTC),
            weekly: std::array::from_fn(|_| DayPlan {
                intervals: Box::new([(0, DAY)]),
                total: DAY,
            }),
            week_total: 7 * DAY,
            week_prefix: std::array::from_fn(|i| i as i64 * DAY),
            override_days: Vec::new(),
            override_plans: Vec::new(),
            override_prefix: vec![0],
            override_end_cum: Vec::new(),
            long_closed: Vec::new(),
        })
    }

    /// The calendar's id.
    pub fn id(&self) -> &CalendarId {
        &self.id
    }

    /// The calendar's zone.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.zone.tz()
    }

    /// Opening seconds of a regular (non-overridden) week, in local wall-clock time.
    pub fn weekly_seconds(&self) -> i64 {
        self.week_total
    }

    /// Index of the first override at or after `day`.
    fn override_index(&self, day: i64) -> usize {
        self.override_days.partition_point(|&o| o < day)
    }

    /// Regular cumulative opening time from the origin to the start of `day`.
    fn regular_cum(&self, day: i64) -> i64 {
        let m = day - MONDAY_ORIGIN;
        m.div_euclid(7) * self.week_total + self.week_prefix[m.rem_euclid(7) as usize]
    }

    /// The plan of `day`, given `k` = [`Self::override_index`]`(day)`.
    fn plan(&self, day: i64, k: usize) -> &DayPlan {
        match self.override_days.get(k) {
            Some(&o) if o == day => &self.override_plans[k],
            _ => &self.weekly[weekday_index(day)],
        }
    }

    /// Opening seconds of one local day.
    pub(crate) fn day_total(&self, day: i64) -> i64 {
        self.plan(day, self.override_index(day)).total
    }

    /// Cumulative opening seconds in naive local time up to `local` (seconds since
    /// 1970-01-01T00:00 local).
    pub(crate) fn cum(&self, local: i64) -> i64 {
        let (day, sod) = (local.div_euclid(DAY), local.rem_euclid(DAY));
        let k = self.override_index(day);
        self.regular_cum(day) + self.override_prefix[k] + self.plan(day, k).open_before(sod)
    }

    /// Whether the naive local second `local` is inside an opening interval.
    pub(crate) fn contains(&self, local: i64) -> bool {
        let (day, sod) = (local.div_euclid(DAY), local.rem_euclid(DAY));
        self.plan(day, self.override_index(day)).contains(sod)
    }

    /// The earliest naive local time `L` with `cum(L) >= target`, or `None` when the calendar
    /// never accumulates that much (no weekly hours and no overrides left).
    pub(crate) fn reach(&self, target: i64) -> Option<i64> {
        let n = self.override_days.len();
        // First override whose end-of-day cumulative reaches the target.
        let j = self.override_end_cum.partition_point(|&end| end < target);
        if j < n {
            let day = self.override_days[j];
            let start = self.override_end_cum[j] - self.override_plans[j].total;
            if start < target {
                return Some(day * DAY + self.override_plans[j].reach(target - start));
            }
        }
        // The target falls in the regular days before override `j` (or after the last one).
        if self.week_total == 0 {
            return None;
        }
        let t = target - self.override_prefix[j];
        let q = (t - 1).div_euclid(self.week_total);
        let r = (1..=7)
            .find(|&r| q * self.week_total + self.week_prefix[r] >= t)
            .unwrap_or(7);
        // Day `r - 1` (Monday = 0) of week `q` after the Monday origin.
        let day = 7 * q + r as i64 - 1 + MONDAY_ORIGIN;
        let need = t - (q * self.week_total + self.week_prefix[r - 1]);
        Some(day * DAY + self.weekly[r - 1].reach(need))
    }

    /// Maximal closed runs of at least [`TEN_YEARS_DAYS`] whole local days.
    fn find_long_closed(&self) -> Vec<(i64, i64)> {
        let mut runs = Vec::new();
        if self.week_total == 0 {
            // Only overrides open: closed between consecutive open overrides and at both ends.
            let open: Vec<i64> = self
                .override_days
                .iter()
                .zip(&self.override_plans)
                .filter(|(_, p)| p.total > 0)
                .map(|(d, _)| *d)
                .collect();
            let mut from = i64::MIN;
            for &d in &open {
                runs.push((from, d));
                from = d + 1;
            }
            runs.push((from, i64::MAX));
        } else {
            // Weekly hours exist: a long closed run is a chain of closed overrides joined by
            // regular days that are closed too (at most six in a row).
            let mut run: Option<(i64, i64)> = None;
            for (&d, plan) in self.override_days.iter().zip(&self.override_plans) {
                if plan.total > 0 {
                    continue;
                }
                run = match run {
                    Some((from, to)) if (to..d).all(|x| self.day_total(x) == 0) => {
                        Some((from, d + 1))
                    }
                    other => {
                        if let Some(r) = other {
                            runs.push(r);
                        }
                        Some((d, d + 1))
                    }
                };
            }
            runs.extend(run);
            for r in &mut runs {
                while self.day_total(r.0 - 1) == 0 {
                    r.0 -= 1;
                }
                while self.day_total(r.1) == 0 {
                    r.1 += 1;
                }
            }
        }
        runs.retain(|&(from, to)| to.saturating_sub(from) >= TEN_YEARS_DAYS);
        runs
    }

    /// The first long closed run that, from `from_day` on, keeps the calendar closed for ten
    /// years or more before `to_day` is reached. Returns its first closed day.
    pub(crate) fn long_gap_between(&self, from_day: i64, to_day: i64) -> Option<i64> {
        self.long_closed.iter().find_map(|&(a, b)| {
            let start = a.max(from_day);
            (start <= to_day && b.saturating_sub(start) >= TEN_YEARS_DAYS).then_some(start)
        })
    }
}

/// The built-in always-open calendar: id [`ALWAYS_OPEN_ID`], zone UTC, 00:00–24:00 every day.
pub fn always_open_calendar() -> BusinessCalendar {
    let all_day = OpeningInterval::parse("00:00", "24:00")
        .into_iter()
        .collect();
    BusinessCalendar {
        id: CalendarId::new(ALWAYS_OPEN_ID),
        time_zone: chrono_tz::UTC.into(),
        weekly: WeeklyHours::every_day(all_day),
        holidays: Default::default(),
        exceptions: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(json: &str) -> CompiledCalendar {
        CompiledCalendar::new(&BusinessCalendar::from_json(json).unwrap()).unwrap()
    }

    fn local(y: i32, m: u32, d: u32, h: i64, min: i64) -> i64 {
        day_number(NaiveDate::from_ymd_opt(y, m, d).unwrap()) * DAY + h * 3600 + min * 60
    }

    #[test]
    fn day_numbers_and_weekdays() {
        assert_eq!(day_number(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()), 0);
        assert_eq!(weekday_index(0), 3, "1970-01-01 was a Thursday");
        let monday = day_number(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap());
        assert_eq!(weekday_index(monday), 0);
    }

    #[test]
    fn cum_counts_weeks_partial_days_and_overrides() {
        let c = compile(
            r#"{"id":"x","time_zone":"UTC","weekly":{
              "mon":[["08:00","12:00"],["13:00","17:00"]],"tue":[["08:00","17:00"]]},
              "holidays":["2027-03-02"],"exceptions":{"2027-03-06":[["10:00","11:00"]]}}"#,
        );
        assert_eq!(c.weekly_seconds(), 17 * 3600);
        let mon = local(2027, 3, 1, 0, 0);
        let c0 = c.cum(mon);
        assert_eq!(c.cum(local(2027, 3, 1, 12, 30)) - c0, 4 * 3600);
        assert_eq!(c.cum(local(2027, 3, 1, 14, 0)) - c0, 5 * 3600);
        // Tuesday is a holiday, Saturday an exception of one hour.
        assert_eq!(c.cum(local(2027, 3, 8, 0, 0)) - c0, 8 * 3600 + 3600);
        // Two weeks later everything is regular again.
        assert_eq!(
            c.cum(local(2027, 3, 22, 0, 0)) - c.cum(local(2027, 3, 8, 0, 0)),
            2 * 17 * 3600
        );
    }

    #[test]
    fn reach_is_the_earliest_time_and_fills_windows_to_their_close() {
        let c = compile(
            r#"{"id":"x","time_zone":"UTC","weekly":{"mon":[["08:00","17:00"]],"tue":[["08:00","17:00"]]},
              "holidays":["2027-03-08"]}"#,
        );
        let mon = local(2027, 3, 1, 8, 0);
        let c0 = c.cum(mon);
        assert_eq!(c.reach(c0 + 9 * 3600), Some(local(2027, 3, 1, 17, 0)));
        assert_eq!(
            c.reach(c0 + 9 * 3600 + 1),
            Some(local(2027, 3, 2, 8, 0) + 1)
        );
        // 18 h fills Tuesday; the next Monday is a holiday, so 19 h ends Tuesday 09:00 a week on.
        assert_eq!(c.reach(c0 + 18 * 3600), Some(local(2027, 3, 2, 17, 0)));
        assert_eq!(c.reach(c0 + 19 * 3600), Some(local(2027, 3, 9, 9, 0)));
    }

    #[test]
    fn no_weekly_hours_only_exceptions_is_finite_and_flags_long_gaps() {
        let c = compile(
            r#"{"id":"x","time_zone":"UTC","weekly":{},
              "exceptions":{"2027-03-02":[["08:00","09:00"]]}}"#,
        );
        let before = c.cum(local(2027, 1, 1, 0, 0));
        assert_eq!(c.reach(before + 1800), Some(local(2027, 3, 2, 8, 30)));
        assert_eq!(c.reach(before + 3601), None);
        let d = local(2027, 3, 3, 0, 0) / DAY;
        assert_eq!(c.long_gap_between(d, d + 10), Some(d));
        assert_eq!(
            c.long_gap_between(d - 5, d - 1),
            None,
            "opens within ten years"
        );
    }

    #[test]
    fn ten_years_of_holidays_is_a_long_gap() {
        let mut cal = BusinessCalendar::from_json(
            r#"{"id":"x","time_zone":"UTC","weekly":{"mon":[["08:00","09:00"]]}}"#,
        )
        .unwrap();
        let first = NaiveDate::from_ymd_opt(2030, 1, 7).unwrap();
        for week in 0..530 {
            cal.holidays.insert(first + chrono::Days::new(7 * week));
        }
        let c = CompiledCalendar::new(&cal).unwrap();
        let d = day_number(first);
        assert_eq!(c.long_gap_between(d - 3, d + 5000), Some(d - 3));
        assert_eq!(c.long_gap_between(d - 20, d + 5000), Some(d - 6));
        assert_eq!(
            c.long_gap_between(d - 20, d - 8),
            None,
            "the run starts later"
        );
    }
}
