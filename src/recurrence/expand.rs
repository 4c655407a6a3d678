//! Expansion of one recurrence (RRULE + local DTSTART + date-level EXDATE + RDATE) in one time
//! zone within a half-open window of local dates, on top of the `rrule` crate.
//!
//! Three things the `rrule` crate does not do for us are done here:
//!
//! * **Fast-forward.** The crate always iterates from DTSTART, so a weekly line that started
//!   ten years ago would walk 520 occurrences to reach this month. For rules without COUNT and
//!   with a period of a day or longer, iteration starts instead at a whole number of periods
//!   after DTSTART, shortly before the window: the same period phase, so the same occurrences.
//!   The parts of the rule the crate fills in from DTSTART (BYMONTHDAY, BYMONTH, BYDAY,
//!   BYHOUR, BYMINUTE, BYSECOND) are made explicit first, from the *local* DTSTART.
//! * **Bounds.** Iteration stops at the first occurrence on or after the window's end; the
//!   crate's loop limit is on, so a rule that yields nothing for 100,000 periods ends.
//! * **Date-level EXDATE and local RDATE.** EXDATE removes every occurrence on a local date
//!   (the crate only removes exact instants); RDATEs are local wall-clock times.
//!
//! Local times that do not exist (a DST gap) are shifted forward by the gap, as RFC 5545
//! requires (02:30 on a spring-forward night becomes 03:30); ambiguous ones (fall-back) take
//! the first instant.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike,
};
use chrono_tz::Tz;
use rrule::{Frequency, NWeekday, RRule, RRuleSet, Unvalidated};

use super::error::RecurrenceRuleError;
use crate::calendar::local_instant;
use crate::model::check_rule_limits;
use crate::model::check_rule_text;
use crate::model::Recurrence;

/// Largest INTERVAL accepted (the model's bound).
pub const MAX_INTERVAL: u16 = 1000;

/// Most occurrences one agreement line may have in one generation window: a daily line over a
/// year (366) fits with room to spare; more is an error naming the line, and expansion stops
/// after `MAX_OCCURRENCES_PER_LINE + 1` occurrences (never materialising more).
pub const MAX_OCCURRENCES_PER_LINE: usize = 1000;

/// Longest generation window, in days (`generate`, `run`'s horizon): two years, so a daily line
/// stays within [`MAX_OCCURRENCES_PER_LINE`].
pub const MAX_GENERATION_DAYS: i64 = 732;

/// A half-open window of local calendar dates `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    from: NaiveDate,
    to: NaiveDate,
}

impl Window {
    /// The window `[from, to)`; `from == to` is an empty window.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use fieldwork::recurrence::Window;
    /// let d = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
    /// let march = Window::new(d(3, 1), d(4, 1)).unwrap();
    /// assert!(march.contains(d(3, 31)) && !march.contains(d(4, 1)));
    /// assert!(Window::new(d(4, 1), d(3, 1)).is_err());
    /// ```
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, RecurrenceRuleError> {
        if to < from {
            return Err(RecurrenceRuleError::InvertedWindow { from, to });
        }
        Ok(Self { from, to })
    }

    /// First date in the window.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// First date after the window.
    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// Whether the window holds no date.
    pub fn is_empty(&self) -> bool {
        self.from >= self.to
    }

    /// Whether `date` is in the window.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date < self.to
    }

    /// The window narrowed to the inclusive date range `[first, last]` (either end open).
    pub fn clip(&self, first: Option<NaiveDate>, last: Option<NaiveDate>) -> Window {
        let from = first.map_or(self.from, |f| f.max(self.from));
        let to = last
            .and_then(|l| l.succ_opt())
            .map_or(self.to, |end| end.min(self.to));
        Window {
            from,
            to: to.max(from),
        }
    }
}

/// One occurrence: the local wall-clock time in the recurrence's zone with its UTC offset.
pub type Occurrence = DateTime<FixedOffset>;

/// A parsed recurrence, ready to be expanded in any number of windows.
///
/// ```
/// use chrono::NaiveDate;
/// use fieldwork::model::Recurrence;
/// use fieldwork::recurrence::{Expander, Window};
/// let rec = Recurrence {
///     rrule: "FREQ=MONTHLY;BYMONTHDAY=-1".into(),
///     dtstart: "2019-01-31T09:00:00".parse().unwrap(),
///     exdates: vec![], rdates: vec![],
/// };
/// let expander = Expander::new(&rec, chrono_tz::Europe::Berlin).unwrap();
/// let d = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
/// let got = expander.expand(Window::new(d(1, 1), d(4, 1)).unwrap());
/// let text: Vec<String> = got.iter().map(|o| o.to_rfc3339()).collect();
/// assert_eq!(text, ["2027-01-31T09:00:00+01:00", "2027-02-28T09:00:00+01:00",
///                   "2027-03-31T09:00:00+02:00"]);
/// ```
#[derive(Debug, Clone)]
pub struct Expander {
    tz: Tz,
    /// The rule with every part the crate would take from DTSTART made explicit.
    rule: RRule<Unvalidated>,
    freq: Frequency,
    interval: u16,
    fast_forward: bool,
    until: Option<DateTime<rrule::Tz>>,
    dtstart_local: NaiveDateTime,
    dtstart: DateTime<rrule::Tz>,
    /// Sorted, deduplicated.
    exdates: Vec<NaiveDate>,
    /// Sorted by instant, deduplicated.
    rdates: Vec<Occurrence>,
}

impl Expander {
    /// Parses and validates `recurrence` for expansion in zone `tz`.
    ///
    /// # Errors
    /// [`RecurrenceRuleError::InvalidRule`] when the RRULE does not parse, its INTERVAL exceeds
    /// [`MAX_INTERVAL`], or it contradicts its DTSTART (e.g. UNTIL before DTSTART, UNTIL not in
    /// UTC).
    pub fn new(recurrence: &Recurrence, tz: Tz) -> Result<Self, RecurrenceRuleError> {
        let invalid = |m: String| RecurrenceRuleError::InvalidRule(m);
        let text = recurrence.rrule.trim();
        let text = text.strip_prefix("RRULE:").unwrap_or(text);
        if text.is_empty() || text.contains(['\n', '\r']) {
            return Err(invalid(
                "expected a single RRULE value such as FREQ=WEEKLY;BYDAY=MO".into(),
            ));
        }
        // Non-ASCII text is refused before the rrule crate sees it (it panicked on some).
        check_rule_text(text).map_err(invalid)?;
        let parsed: RRule<Unvalidated> = text
            .parse()
            .map_err(|e: rrule::RRuleError| invalid(e.to_string()))?;
        check_rule_limits(&parsed).map_err(invalid)?;
        if parsed.get_interval() > MAX_INTERVAL {
            return Err(invalid(format!(
                "INTERVAL {} exceeds {MAX_INTERVAL}",
                parsed.get_interval()
            )));
        }
        let dtstart_local = recurrence.dtstart;
        let rule = make_explicit(parsed, dtstart_local);
        let dtstart = to_rrule_tz(localize(tz, dtstart_local), tz);
        // Validate once against the real DTSTART so errors surface here, not per window.
        rule.clone()
            .validate(dtstart)
            .map_err(|e| invalid(e.to_string()))?;
        let freq = rule.get_freq();
        let fast_forward = rule.get_count().is_none() && freq <= Frequency::Daily;
        let mut exdates = recurrence.exdates.clone();
        exdates.sort_unstable();
        exdates.dedup();
        let mut rdates: Vec<Occurrence> = recurrence
            .rdates
            .iter()
            .map(|&local| localize(tz, local).fixed_offset())
            .collect();
        rdates.sort_unstable();
        rdates.dedup();
        Ok(Self {
            tz,
            freq,
            interval: rule.get_interval().max(1),
            until: rule.get_until().copied(),
            rule,
            fast_forward,
            dtstart_local,
            dtstart,
            exdates,
            rdates,
        })
    }

    /// The zone occurrences are expanded in.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// The occurrences whose local date is in `window`, in time order, EXDATE dates removed,
    /// RDATEs merged (an RDATE equal to a rule occurrence counts once).
    pub fn expand(&self, window: Window) -> Vec<Occurrence> {
        let mut out = Vec::new();
        self.expand_into(window, &mut out);
        out
    }

    /// Like [`expand`](Self::expand), appending to `out` (lets a caller reuse one buffer).
    pub fn expand_into(&self, window: Window, out: &mut Vec<Occurrence>) {
        self.expand_at_most(window, usize::MAX, out);
    }

    /// Like [`expand_into`](Self::expand_into), but stops after `max` rule occurrences plus
    /// one: returns `false` (with at most `max + 1` rule occurrences appended, plus the RDATEs)
    /// when the window holds more than `max` occurrences, `true` otherwise.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use fieldwork::model::Recurrence;
    /// use fieldwork::recurrence::{Expander, Window};
    /// let rec = Recurrence {
    ///     rrule: "FREQ=DAILY".into(),
    ///     dtstart: "2027-01-01T09:00:00".parse().unwrap(),
    ///     exdates: vec![], rdates: vec![],
    /// };
    /// let expander = Expander::new(&rec, chrono_tz::UTC).unwrap();
    /// let d = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
    /// let mut out = Vec::new();
    /// assert!(!expander.expand_at_most(Window::new(d(1, 1), d(12, 1)).unwrap(), 10, &mut out));
    /// assert_eq!(out.len(), 11);
    /// ```
    pub fn expand_at_most(&self, window: Window, max: usize, out: &mut Vec<Occurrence>) -> bool {
        if window.is_empty() {
            return true;
        }
        let first = out.len();
        self.expand_rule(window, max.saturating_add(1), out);
        let within = out.len() - first <= max;
        let rdates = self
            .rdates
            .iter()
            .filter(|o| window.contains(o.date_naive()) && !self.excluded(o.date_naive()));
        let mut merged = false;
        for rdate in rdates {
            out.push(*rdate);
            merged = true;
        }
        if merged {
            out[first..].sort_unstable();
            let mut tail = out.split_off(first);
            tail.dedup();
            out.append(&mut tail);
        }
        within && out.len() - first <= max
    }

    fn excluded(&self, date: NaiveDate) -> bool {
        !self.exdates.is_empty() && self.exdates.binary_search(&date).is_ok()
    }

    /// Appends the rule's occurrences in `window`, at most `limit` of them.
    fn expand_rule(&self, window: Window, limit: usize, out: &mut Vec<Occurrence>) {
        let first = out.len();
        let start = self.iteration_start(window.from);
        if self.until.is_some_and(|until| until < start) {
            return;
        }
        // The rule validated against the real DTSTART; the shifted start differs only in
        // its position on the period grid, so validation cannot fail now. Should it, the
        // rule yields nothing rather than panicking.
        let Ok(rule) = self.rule.clone().validate(start) else {
            return;
        };
        let set = RRuleSet::new(start).rrule(rule).limit();
        for dt in &set {
            let local = dt.naive_local();
            let date = local.date();
            if date >= window.to {
                break;
            }
            if date < window.from || self.excluded(date) {
                continue;
            }
            if out.len() - first >= limit {
                break;
            }
            out.push(dt.fixed_offset());
        }
    }

    /// Where iteration starts: DTSTART, or a start on the same period grid shortly before
    /// the window (at least one full period and two days before `from`).
    fn iteration_start(&self, from: NaiveDate) -> DateTime<rrule::Tz> {
        if !self.fast_forward {
            return self.dtstart;
        }
        let d0 = self.dtstart_local.date();
        let n = i64::from(self.interval);
        let shifted: Option<NaiveDate> = match self.freq {
            Frequency::Daily | Frequency::Weekly => {
                let period = if self.freq == Frequency::Daily {
                    n
                } else {
                    7 * n
                };
                let gap = (from - d0).num_days() - period - 2;
                (gap >= period).then(|| d0 + Duration::days(gap / period * period))
            }
            Frequency::Monthly => {
                let m0 = i64::from(d0.year()) * 12 + i64::from(d0.month0());
                let target = i64::from(from.year()) * 12 + i64::from(from.month0()) - n - 1;
                (target - m0 >= n)
                    .then(|| m0 + (target - m0) / n * n)
                    .and_then(|m| {
                        let year = i32::try_from(m.div_euclid(12)).ok()?;
                        NaiveDate::from_ymd_opt(year, u32::try_from(m.rem_euclid(12)).ok()? + 1, 1)
                    })
            }
            Frequency::Yearly => {
                let y0 = i64::from(d0.year());
                let target = i64::from(from.year()) - n - 1;
                (target - y0 >= n)
                    .then(|| y0 + (target - y0) / n * n)
                    .and_then(|y| NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, 1, 1))
            }
            _ => None,
        };
        match shifted {
            Some(date) => to_rrule_tz(localize(self.tz, date.and_time(NaiveTime::MIN)), self.tz),
            None => self.dtstart,
        }
    }
}

/// Makes explicit what the `rrule` crate would otherwise take from DTSTART (mirroring its
/// `finalize_parsed_rrule`), from the *local* DTSTART: the rule then means the same thing
/// whatever DTSTART it is validated with, and a DTSTART inside a DST gap keeps its nominal
/// time of day.
fn make_explicit(rule: RRule<Unvalidated>, dtstart: NaiveDateTime) -> RRule<Unvalidated> {
    let mut rule = rule;
    let freq = rule.get_freq();
    let day_given = !rule.get_by_week_no().is_empty()
        || !rule.get_by_year_day().is_empty()
        || !rule.get_by_month_day().is_empty()
        || !rule.get_by_weekday().is_empty();
    if !day_given {
        let day = i8::try_from(dtstart.day()).unwrap_or(1);
        match freq {
            Frequency::Yearly => {
                if rule.get_by_month().is_empty() {
                    rule = rule.by_month(&[month_of(dtstart.month())]);
                }
                rule = rule.by_month_day(vec![day]);
            }
            Frequency::Monthly => rule = rule.by_month_day(vec![day]),
            Frequency::Weekly => {
                rule = rule.by_weekday(vec![NWeekday::Every(dtstart.weekday())]);
            }
            _ => {}
        }
    }
    let part = |v: u32| u8::try_from(v).unwrap_or(0);
    if rule.get_by_hour().is_empty() && freq < Frequency::Hourly {
        rule = rule.by_hour(vec![part(dtstart.hour())]);
    }
    if rule.get_by_minute().is_empty() && freq < Frequency::Minutely {
        rule = rule.by_minute(vec![part(dtstart.minute())]);
    }
    if rule.get_by_second().is_empty() && freq < Frequency::Secondly {
        rule = rule.by_second(vec![part(dtstart.second())]);
    }
    rule
}

fn month_of(month: u32) -> chrono::Month {
    chrono::Month::try_from(u8::try_from(month).unwrap_or(1)).unwrap_or(chrono::Month::January)
}

fn to_rrule_tz(dt: DateTime<Tz>, tz: Tz) -> DateTime<rrule::Tz> {
    dt.with_timezone(&rrule::Tz::from(tz))
}

/// The instant of a local wall-clock time: a time in a DST gap is shifted forward by the
/// gap (RFC 5545 §3.3.5: read with the offset in force before the gap); an ambiguous time
/// takes its first instant.
///
/// ```
/// use fieldwork::recurrence::localize;
/// let berlin = chrono_tz::Europe::Berlin;
/// let gap = localize(berlin, "2027-03-28T02:30:00".parse().unwrap());
/// assert_eq!(gap.to_rfc3339(), "2027-03-28T03:30:00+02:00");
/// let twice = localize(berlin, "2027-10-31T02:30:00".parse().unwrap());
/// assert_eq!(twice.to_rfc3339(), "2027-10-31T02:30:00+02:00");
/// ```
pub fn localize(tz: Tz, local: NaiveDateTime) -> DateTime<Tz> {
    // The calendar's one reading of local time (RFC 5545's for gaps and repeats).
    local_instant(tz, local).with_timezone(&tz)
}

#[cfg(test)]
mod tests;
