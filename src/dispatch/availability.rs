//! Availability: the earliest start of a job within an order's window, in a technician's open
//! time.
//!
//! The open time is the calendar's [`OpenStretches`] (`crate::calendar`), expanded once per
//! run over the span of all order windows; checking a pair is then a binary search plus a walk
//! over the stretches that can still hold the job. Business time — local hours, holidays,
//! exceptions, DST — is entirely the calendar's: nothing here converts a local time.
//!
//! A job fits a stretch when the technician can leave home at the stretch's opening (or later),
//! arrive (`lead` = travel time), start no earlier than the window start and no later than the
//! window end, and finish the whole duration before the stretch closes: a job is not split
//! across closing times. A technician's stretches are working spans: the context bridged the
//! calendar's breaks shorter than the policy's `work_rules.max_break_minutes` (work runs
//! through a lunch hour, as in the scheduler's shifts) and cut out absences. Stretches are
//! cut a day beyond the span: windows keep at least a day away from both ends (the context
//! adds the longest job and a day to `to`), so a start never depends on the cut (unless
//! travel exceeds a day).

use crate::calendar::OpenStretches;

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

/// The earliest start for `req` in `open` (and, when given, inside one stretch of the site's
/// visiting hours `site`: the whole job, not its travel). With `check_days`, each candidate day
/// is offered to `day_ok` (by day index) and refused days are skipped; without, no day is
/// computed.
///
/// Cost: a binary search for the first stretch ending after the window start, then a walk over
/// the stretches until one opens after the window end (bounded by the span's stretches), per
/// fitting stretch a binary search and walk over the site's stretches that overlap it (bounded
/// by the site's stretches in the span), and per candidate interval over the local days it
/// covers (bounded by the span's days).
pub(crate) fn find_start(
    open: &OpenStretches,
    site: Option<&OpenStretches>,
    req: &FitRequest,
    check_days: bool,
    mut day_ok: impl FnMut(usize) -> bool,
) -> Fit {
    let need = req.duration.max(1);
    let mut refused: Option<(usize, usize)> = None;
    let mut last_refused = usize::MAX;
    // The first start in `[lo, hi]` on a day `day_ok` accepts, counting refused days.
    let mut try_interval = |lo: i64, hi: i64| -> Option<Fit> {
        if !check_days {
            return Some(Fit::Start { at: lo, day: None });
        }
        let first_day = open.day_index(lo);
        let mut d = first_day;
        while let Some(day_start) = open.day_start(d) {
            if d != first_day && day_start > hi {
                break;
            }
            if day_ok(d) {
                return Some(Fit::Start {
                    at: lo.max(day_start),
                    day: Some(d),
                });
            }
            if d != last_refused {
                last_refused = d;
                let entry = refused.get_or_insert((d, 0));
                entry.1 += 1;
            }
            d += 1;
        }
        None
    };
    for &(s, e) in open.ending_after(req.window_start) {
        let lo = (s + req.lead).max(req.window_start);
        if lo > req.window_end {
            break;
        }
        let hi = (e - need).min(req.window_end);
        if lo > hi {
            continue;
        }
        match site {
            None => {
                if let Some(fit) = try_interval(lo, hi) {
                    return fit;
                }
            }
            Some(site) => {
                for &(ss, se) in site.ending_after(lo) {
                    let lo2 = lo.max(ss);
                    if lo2 > hi {
                        break;
                    }
                    let hi2 = hi.min(se - need);
                    if lo2 > hi2 {
                        continue;
                    }
                    if let Some(fit) = try_interval(lo2, hi2) {
                        return fit;
                    }
                }
            }
        }
    }
    match refused {
        Some((day, days)) => Fit::NoCapacity { day, days },
        None => Fit::NoOpening,
    }
}

/// Whether the site's visiting hours `site` hold a job of `duration` seconds starting within
/// `[from, to]` at all (whoever does it). O(log s + stretches in the window).
pub(crate) fn site_opens(site: &OpenStretches, from: i64, to: i64, duration: i64) -> bool {
    let need = duration.max(1);
    for &(s, e) in site.ending_after(from) {
        let lo = s.max(from);
        if lo > to {
            return false;
        }
        if lo <= (e - need).min(to) {
            return true;
        }
    }
    false
}

/// Local wall-clock rendering of an instant in the calendar's zone, for explanations.
pub(crate) fn local_text(open: &OpenStretches, t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|utc| {
            utc.with_timezone(&open.zone())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::test_fixtures::{cal, office, utc};
    use chrono::NaiveDate;
    use chrono_tz::Tz;

    fn req(ws: &str, we: &str, lead_min: i64, dur_min: i64) -> FitRequest {
        FitRequest {
            window_start: utc(ws),
            window_end: utc(we),
            lead: lead_min * 60,
            duration: dur_min * 60,
        }
    }

    #[test]
    fn finds_the_earliest_start_after_travel_and_within_the_window() {
        let o = OpenStretches::new(
            &office(),
            utc("2027-03-01T00:00:00Z"),
            utc("2027-03-06T00:00:00Z"),
        );
        // From Monday 09:00 local, 30 min travel, 190 min job: the morning block would end
        // 12:10 (closes 12:00), so the afternoon block at 13:30 (leaving home at 13:00).
        let fit = find_start(
            &o,
            None,
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
        let fit = find_start(
            &o,
            None,
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
        let fit = find_start(
            &o,
            None,
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
        let fit = find_start(
            &o,
            None,
            &req("2027-03-01T07:00:00Z", "2027-03-05T00:00:00Z", 10, 540),
            false,
            |_| true,
        );
        assert_eq!(fit, Fit::NoOpening);
        let fit = find_start(
            &o,
            None,
            &req("2027-03-01T07:00:00Z", "2027-03-01T20:00:00Z", 0, 540),
            false,
            |_| true,
        );
        assert_eq!(fit, Fit::NoOpening);
        // The latest start may be the window end exactly.
        let fit = find_start(
            &o,
            None,
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
    fn a_job_spans_midnight_in_a_merged_stretch() {
        let c = cal(r#"{"id":"n","time_zone":"UTC","weekly":{
            "mon":[["20:00","24:00"]],"tue":[["00:00","06:00"]]}}"#);
        let o = OpenStretches::new(&c, utc("2027-03-01T00:00:00Z"), utc("2027-03-03T00:00:00Z"));
        let fit = find_start(
            &o,
            None,
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
    fn refused_days_are_skipped_and_reported() {
        let o = OpenStretches::new(
            &office(),
            utc("2027-03-01T00:00:00Z"),
            utc("2027-03-06T00:00:00Z"),
        );
        let monday = o.day_index(utc("2027-03-01T12:00:00Z"));
        assert_eq!(o.date(monday), NaiveDate::from_ymd_opt(2027, 3, 1).unwrap());
        let r = req("2027-03-01T07:00:00Z", "2027-03-02T12:00:00Z", 0, 60);
        let fit = find_start(&o, None, &r, true, |d| d != monday);
        assert_eq!(
            fit,
            Fit::Start {
                at: utc("2027-03-02T07:00:00Z"),
                day: Some(monday + 1)
            }
        );
        let fit = find_start(&o, None, &r, true, |_| false);
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
        let o = OpenStretches::always_open(
            Tz::UTC,
            utc("2027-03-01T00:00:00Z"),
            utc("2027-03-02T00:00:00Z"),
        );
        let fit = find_start(
            &o,
            None,
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
