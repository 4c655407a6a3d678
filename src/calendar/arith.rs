//! Business-time arithmetic in UTC instants: [`CompiledCalendar::add`],
//! [`CompiledCalendar::between`], [`CompiledCalendar::next_open`] and
//! [`CompiledCalendar::is_open`].
//!
//! A UTC range is split at the zone's offset changes; on each piece local time is UTC plus one
//! offset, so the piece's business time is the naive-local business time of its local range
//! (see [`super::compiled`]). This is what makes DST exact: across a spring-forward switch the
//! skipped local hour belongs to no piece (nonexistent local times are never open); across a
//! fall-back switch the repeated local hour belongs to two pieces (it is open twice).

use chrono::{DateTime, TimeDelta, Utc};

use super::compiled::{CompiledCalendar, DAY, TEN_YEARS_DAYS};
use super::error::CalendarError;
use super::zone::supported;

const TEN_YEARS_SECS: i64 = TEN_YEARS_DAYS * DAY;

impl CompiledCalendar {
    fn out_of_range(&self, t: i64) -> CalendarError {
        CalendarError::OutOfRange {
            calendar: self.id.clone(),
            instant: t,
        }
    }

    fn instant(&self, t: i64) -> Result<DateTime<Utc>, CalendarError> {
        DateTime::from_timestamp(t, 0).ok_or_else(|| self.out_of_range(t))
    }

    fn no_opening(&self, t: i64) -> CalendarError {
        CalendarError::NoOpening {
            calendar: self.id.clone(),
            from: DateTime::from_timestamp(t, 0).unwrap_or_default(),
        }
    }

    /// The zone's offset at `t`, in seconds.
    fn offset(&self, t: i64) -> Result<i64, CalendarError> {
        self.zone
            .offset_at(t, &|l| self.cum(l))
            .map(i64::from)
            .ok_or_else(|| self.out_of_range(t))
    }

    fn check_range(&self, t: i64) -> Result<(), CalendarError> {
        if supported(t) {
            Ok(())
        } else {
            Err(self.out_of_range(t))
        }
    }

    /// The instant at which `duration` of business time has elapsed after `start`.
    ///
    /// Semantics: time counts only inside opening intervals (local wall-clock time of the
    /// calendar's zone on that local date); a start outside opening hours begins counting at
    /// the next opening; a deadline that exactly fills a window ends at that window's close;
    /// a zero duration returns `start` unchanged. Instants are taken to the second (sub-second
    /// parts are dropped). Cost: O(log h) for h holidays and exceptions, plus O(1) per DST
    /// switch crossed — independent of the duration otherwise.
    ///
    /// Errors: a negative duration; a stretch of ten years or more without opening time before
    /// the deadline (including a calendar that never opens); instants outside 1900–2199.
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use fieldwork::calendar::CompiledCalendar;
    /// use fieldwork::model::BusinessCalendar;
    /// let cal = CompiledCalendar::new(&BusinessCalendar::from_json(r#"{"id": "office",
    ///   "time_zone": "UTC", "weekly": {"fri": [["09:00","17:00"]], "mon": [["09:00","17:00"]]}}"#
    /// ).unwrap()).unwrap();
    /// let friday_9 = Utc.with_ymd_and_hms(2027, 3, 5, 9, 0, 0).unwrap();
    /// // Exactly one window: due at Friday's close, not Monday's opening.
    /// assert_eq!(cal.add(friday_9, TimeDelta::hours(8)).unwrap(),
    ///            Utc.with_ymd_and_hms(2027, 3, 5, 17, 0, 0).unwrap());
    /// assert_eq!(cal.add(friday_9, TimeDelta::hours(9)).unwrap(),
    ///            Utc.with_ymd_and_hms(2027, 3, 8, 10, 0, 0).unwrap());
    /// ```
    pub fn add(
        &self,
        start: DateTime<Utc>,
        duration: TimeDelta,
    ) -> Result<DateTime<Utc>, CalendarError> {
        let seconds = duration.num_seconds();
        if seconds < 0 {
            return Err(CalendarError::NegativeDuration {
                calendar: self.id.clone(),
                seconds,
            });
        }
        if seconds == 0 {
            return Ok(start);
        }
        self.instant(self.add_seconds(start.timestamp(), seconds)?)
    }

    /// [`Self::add`] on Unix seconds with `remaining > 0`.
    ///
    /// Counting stands at cumulative `c` under offset `offset` from instant `t`. The deadline
    /// under the current offset is `reach(c + remaining) - offset`; every DST switch before it
    /// is crossed in O(1) with its cached cumulative values, and the candidate is recomputed
    /// once after the switches.
    pub(crate) fn add_seconds(&self, start: i64, mut remaining: i64) -> Result<i64, CalendarError> {
        let cum = |l: i64| self.cum(l);
        let mut offset = self.offset(start)?;
        let start_day = (start + offset).div_euclid(DAY);
        let (mut t, mut c) = (start, self.cum(start + offset));
        loop {
            let local = self
                .reach(c + remaining)
                .ok_or_else(|| self.no_opening(t))?;
            let candidate = local - offset;
            if let Some(day) = self.long_gap_between(start_day, local.div_euclid(DAY)) {
                return Err(self.no_opening((day * DAY - offset).max(start)));
            }
            self.check_range(candidate)?;
            let mut crossed = false;
            for tr in self.zone.transitions_in(t, candidate, &cum) {
                if tr.cum_before - c >= remaining {
                    // The deadline falls before this switch, under the current offset.
                    let local = self
                        .reach(c + remaining)
                        .ok_or_else(|| self.no_opening(t))?;
                    return Ok(local - offset);
                }
                remaining -= tr.cum_before - c;
                (t, c, offset) = (tr.at, tr.cum_after, i64::from(tr.after));
                crossed = true;
            }
            if !crossed {
                return Ok(candidate);
            }
        }
    }

    /// Business time elapsed from `a` to `b`: positive when `b` is after `a`, negative (the
    /// same magnitude) when before. `between(s, add(s, d)) == d` for every `d >= 0`.
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use fieldwork::calendar::CompiledCalendar;
    /// let always = CompiledCalendar::always_open();
    /// let a = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    /// assert_eq!(always.between(a, a + TimeDelta::days(2)).unwrap(), TimeDelta::days(2));
    /// assert_eq!(always.between(a + TimeDelta::days(2), a).unwrap(), TimeDelta::days(-2));
    /// ```
    pub fn between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Result<TimeDelta, CalendarError> {
        let (a, b) = (a.timestamp(), b.timestamp());
        let seconds = if a <= b {
            self.between_seconds(a, b)?
        } else {
            -self.between_seconds(b, a)?
        };
        Ok(TimeDelta::seconds(seconds))
    }

    /// Business seconds in `[a, b)` for `a <= b`: two cumulative lookups plus O(1) per DST
    /// switch in between.
    pub(crate) fn between_seconds(&self, a: i64, b: i64) -> Result<i64, CalendarError> {
        if a >= b {
            return Ok(0);
        }
        self.check_range(b - 1)?;
        let cum = |l: i64| self.cum(l);
        let mut offset = self.offset(a)?;
        let mut c = self.cum(a + offset);
        let mut total = 0;
        for tr in self.zone.transitions_in(a, b, &cum) {
            total += tr.cum_before - c;
            (c, offset) = (tr.cum_after, i64::from(tr.after));
        }
        Ok(total + self.cum(b + offset) - c)
    }

    /// The first open instant at or after `t` (`t` itself when open).
    ///
    /// Errors when there is no opening time within ten years.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use fieldwork::calendar::CompiledCalendar;
    /// use fieldwork::model::BusinessCalendar;
    /// let cal = CompiledCalendar::new(&BusinessCalendar::from_json(r#"{"id": "ny",
    ///   "time_zone": "America/New_York", "weekly": {"mon": [["09:00","17:00"]]}}"#
    /// ).unwrap()).unwrap();
    /// let sunday = Utc.with_ymd_and_hms(2027, 3, 7, 12, 0, 0).unwrap();
    /// // Monday 09:00 EST (UTC-5) is 14:00 UTC.
    /// assert_eq!(cal.next_open(sunday).unwrap(), Utc.with_ymd_and_hms(2027, 3, 8, 14, 0, 0).unwrap());
    /// let never = CompiledCalendar::new(&BusinessCalendar::from_json(
    ///   r#"{"id": "never", "time_zone": "UTC", "weekly": {}}"#).unwrap()).unwrap();
    /// assert!(never.next_open(sunday).is_err());
    /// ```
    pub fn next_open(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        let start = t.timestamp();
        let cum = |l: i64| self.cum(l);
        let mut offset = self.offset(start)?;
        let (mut cur, mut c) = (start, self.cum(start + offset));
        loop {
            let open = self.reach(c + 1).ok_or_else(|| self.no_opening(start))? - 1;
            let candidate = open - offset;
            if candidate - start >= TEN_YEARS_SECS {
                return Err(self.no_opening(start));
            }
            self.check_range(candidate)?;
            // A switch at or before the candidate changes what local time it is.
            match self.zone.transitions_in(cur, candidate + 1, &cum).next() {
                None => return self.instant(candidate),
                Some(tr) => (cur, c, offset) = (tr.at, tr.cum_after, i64::from(tr.after)),
            }
        }
    }

    /// The close of the next business day: the last closing instant of the first local date
    /// after `t`'s local date that has opening time ("next business day" SLA targets).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use fieldwork::calendar::CompiledCalendar;
    /// use fieldwork::model::BusinessCalendar;
    /// let cal = CompiledCalendar::new(&BusinessCalendar::from_json(r#"{"id": "o",
    ///   "time_zone": "UTC", "weekly": {"mon": [["08:00","12:00"],["13:00","17:00"]],
    ///   "fri": [["08:00","17:00"]]}}"#).unwrap()).unwrap();
    /// let friday_10 = Utc.with_ymd_and_hms(2027, 3, 5, 10, 0, 0).unwrap();
    /// assert_eq!(cal.next_business_day_end(friday_10).unwrap(),
    ///            Utc.with_ymd_and_hms(2027, 3, 8, 17, 0, 0).unwrap());
    /// ```
    pub fn next_business_day_end(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        let start = t.timestamp();
        let offset = self.offset(start)?;
        let day0 = (start + offset).div_euclid(DAY);
        let open = self
            .reach(self.cum((day0 + 1) * DAY) + 1)
            .ok_or_else(|| self.no_opening(start))?
            - 1;
        let day = open.div_euclid(DAY);
        if day - day0 > TEN_YEARS_DAYS {
            return Err(self.no_opening(start));
        }
        // The last instant whose local time is before the midnight that ends `day`: take the
        // latest such instant over the pieces of constant offset up to a day past it.
        let limit = (day + 1) * DAY;
        let horizon = limit - offset + 2 * DAY;
        self.check_range(horizon)?;
        let cum = |l: i64| self.cum(l);
        let (mut from, mut piece_offset, mut last) = (start, offset, start);
        let mut consider = |from: i64, to: i64, offset: i64| {
            let candidate = (limit - offset).min(to);
            if candidate > from {
                last = last.max(candidate);
            }
        };
        for tr in self.zone.transitions_in(start, horizon, &cum) {
            consider(from, tr.at, piece_offset);
            (from, piece_offset) = (tr.at, i64::from(tr.after));
        }
        consider(from, horizon, piece_offset);
        let seconds = self.between_seconds(start, last)?;
        if seconds == 0 {
            return Ok(t);
        }
        self.instant(self.add_seconds(start, seconds)?)
    }

    /// Whether the instant is inside an opening interval.
    pub fn is_open(&self, t: DateTime<Utc>) -> Result<bool, CalendarError> {
        let t = t.timestamp();
        Ok(self.contains(t + self.offset(t)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BusinessCalendar;
    use chrono::TimeZone;

    fn compile(json: &str) -> CompiledCalendar {
        CompiledCalendar::new(&BusinessCalendar::from_json(json).unwrap()).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn berlin_24x7() -> CompiledCalendar {
        compile(
            r#"{"id":"b","time_zone":"Europe/Berlin","weekly":{
            "mon":[["00:00","24:00"]],"tue":[["00:00","24:00"]],"wed":[["00:00","24:00"]],
            "thu":[["00:00","24:00"]],"fri":[["00:00","24:00"]],"sat":[["00:00","24:00"]],
            "sun":[["00:00","24:00"]]}}"#,
        )
    }

    #[test]
    fn a_24x7_spring_day_has_23_hours_and_autumn_day_25() {
        let c = berlin_24x7();
        // Znuny: Berlin 2016-03-26 00:00 -> 2016-03-28 00:00 local is 47 h, not 48.
        let a = utc(2016, 3, 25, 23, 0); // 2016-03-26 00:00 CET
        let b = utc(2016, 3, 27, 22, 0); // 2016-03-28 00:00 CEST
        assert_eq!(c.between(a, b).unwrap(), TimeDelta::hours(47));
        assert_eq!(c.add(a, TimeDelta::hours(47)).unwrap(), b);
        let a = utc(2016, 10, 29, 22, 0); // 2016-10-30 00:00 CEST
        let b = utc(2016, 10, 30, 23, 0); // 2016-10-31 00:00 CET
        assert_eq!(c.between(a, b).unwrap(), TimeDelta::hours(25));
    }

    #[test]
    fn nonexistent_local_hour_is_never_open_and_repeated_hour_open_twice() {
        let c = compile(
            r#"{"id":"n","time_zone":"Europe/Berlin","weekly":{"sun":[["02:00","03:30"]]}}"#,
        );
        // Spring: 2027-03-28 02:00-03:00 does not exist; only 03:00-03:30 CEST is open.
        let day = utc(2027, 3, 27, 12, 0);
        let next = utc(2027, 3, 29, 0, 0);
        assert_eq!(c.between(day, next).unwrap(), TimeDelta::minutes(30));
        assert_eq!(c.next_open(day).unwrap(), utc(2027, 3, 28, 1, 0));
        // Autumn: 2027-10-31 02:00-03:00 happens twice (CEST, then CET): 2.5 h in total.
        let day = utc(2027, 10, 30, 12, 0);
        let next = utc(2027, 11, 1, 0, 0);
        assert_eq!(c.between(day, next).unwrap(), TimeDelta::minutes(150));
        assert_eq!(
            c.add(day, TimeDelta::minutes(90)).unwrap(),
            utc(2027, 10, 31, 1, 30)
        );
        assert_eq!(
            c.add(day, TimeDelta::minutes(150)).unwrap(),
            utc(2027, 10, 31, 2, 30)
        );
    }

    #[test]
    fn start_outside_hours_begins_at_next_opening_and_zero_returns_start() {
        let c = compile(r#"{"id":"o","time_zone":"UTC","weekly":{"mon":[["08:00","17:00"]]}}"#);
        let saturday = utc(2027, 3, 6, 11, 0);
        assert_eq!(
            c.add(saturday, TimeDelta::hours(1)).unwrap(),
            utc(2027, 3, 8, 9, 0)
        );
        assert_eq!(c.add(saturday, TimeDelta::zero()).unwrap(), saturday);
        assert!(matches!(
            c.add(saturday, TimeDelta::seconds(-1)),
            Err(CalendarError::NegativeDuration { .. })
        ));
    }

    #[test]
    fn holidays_close_the_whole_date_and_exceptions_replace_it() {
        let c = compile(
            r#"{"id":"h","time_zone":"Asia/Kolkata","weekly":{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]]},
              "holidays":["2027-03-01"],"exceptions":{"2027-03-02":[["13:00","14:00"]]}}"#,
        );
        let start = utc(2027, 2, 28, 0, 0);
        // Tuesday 13:00 IST = 07:30 UTC; one hour of business time ends at 14:00 IST.
        assert_eq!(
            c.add(start, TimeDelta::hours(1)).unwrap(),
            utc(2027, 3, 2, 8, 30)
        );
        assert_eq!(
            c.add(start, TimeDelta::hours(2)).unwrap(),
            utc(2027, 3, 8, 4, 30)
        );
    }

    #[test]
    fn never_open_calendar_errors_instead_of_looping() {
        let c = compile(r#"{"id":"never","time_zone":"Europe/Berlin","weekly":{}}"#);
        let t = utc(2027, 1, 1, 0, 0);
        assert!(matches!(
            c.add(t, TimeDelta::hours(1)),
            Err(CalendarError::NoOpening { .. })
        ));
        assert!(matches!(
            c.next_open(t),
            Err(CalendarError::NoOpening { .. })
        ));
        assert_eq!(
            c.between(t, utc(2030, 1, 1, 0, 0)).unwrap(),
            TimeDelta::zero()
        );
        let sparse = compile(
            r#"{"id":"sparse","time_zone":"UTC","weekly":{},
              "exceptions":{"2027-01-04":[["09:00","10:00"]],"2040-01-02":[["09:00","10:00"]]}}"#,
        );
        assert_eq!(
            sparse.add(t, TimeDelta::minutes(30)).unwrap(),
            utc(2027, 1, 4, 9, 30)
        );
        assert!(matches!(
            sparse.add(t, TimeDelta::minutes(90)),
            Err(CalendarError::NoOpening { .. })
        ));
    }

    #[test]
    fn out_of_range_instants_are_errors() {
        let c = CompiledCalendar::always_open();
        let late = utc(2199, 12, 31, 0, 0);
        assert!(matches!(
            c.add(late, TimeDelta::days(2)),
            Err(CalendarError::OutOfRange { .. })
        ));
        assert!(c.between(utc(1899, 1, 1, 0, 0), late).is_err());
    }

    #[test]
    fn long_durations_cross_many_weeks_transitions_and_holidays() {
        let c = compile(
            r#"{"id":"b","time_zone":"Europe/Berlin","weekly":{"mon":[["08:00","17:00"]],
              "tue":[["08:00","17:00"]],"wed":[["08:00","17:00"]],"thu":[["08:00","17:00"]],
              "fri":[["08:00","16:00"]]},"holidays":["2027-04-02","2027-04-05","2027-12-24"]}"#,
        );
        let start = utc(2027, 1, 4, 7, 0); // Monday 08:00 CET
        let d = TimeDelta::hours(2000);
        let due = c.add(start, d).unwrap();
        assert_eq!(c.between(start, due).unwrap(), d);
        assert_eq!(
            c.between(start, due - TimeDelta::seconds(1)).unwrap(),
            d - TimeDelta::seconds(1)
        );
        assert!(c.is_open(due - TimeDelta::seconds(1)).unwrap());
    }
}
