//! SLA clocks: the status of one metric of one order at an instant, computed as a pure function
//! of (targets, calendar, the order's status history, the instant).
//!
//! A clock starts at the order's creation and stops at the metric's end event (response: first
//! entry into a response status; resolution: completion). Time spent in a pause status does not
//! count; only the business part of a pause is credited, because the clock counts business time
//! of the active stretches only. Changes recorded after the instant asked about are ignored, so
//! a status "as at" any past instant can be recomputed at any time. The targets are whatever the
//! order's *current* priority yields: a priority change recomputes the deadlines from the
//! original creation instant.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::targets::{Metric, SlaTargets, Target};
use crate::calendar::{CalendarError, CompiledCalendar};
use crate::model::{OrderStatus, ServiceOrder};

/// State of a metric at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricState {
    /// Running, before the warning instant.
    OnTrack,
    /// Running, at or after the warning instant, not past the due instant.
    Warning,
    /// Running and past the due instant: already a certain miss.
    Breached,
    /// Stopped at or before the due instant.
    Met,
    /// Stopped after the due instant.
    Missed,
    /// The order was cancelled before the metric stopped; the metric does not count.
    Cancelled,
}

impl MetricState {
    /// Lower-case name as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricState::OnTrack => "on_track",
            MetricState::Warning => "warning",
            MetricState::Breached => "breached",
            MetricState::Met => "met",
            MetricState::Missed => "missed",
            MetricState::Cancelled => "cancelled",
        }
    }

    /// Whether the clock still runs.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            MetricState::OnTrack | MetricState::Warning | MetricState::Breached
        )
    }
}

impl fmt::Display for MetricState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status of one metric of one order at an instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricStatus {
    /// The metric.
    pub metric: Metric,
    /// The target as configured.
    pub target: Target,
    /// The target in business seconds (a next-business-day target resolved at creation).
    pub target_seconds: i64,
    /// State at the instant.
    pub state: MetricState,
    /// Business seconds counted so far (up to the stop, or the instant).
    pub elapsed_seconds: i64,
    /// `target_seconds - elapsed_seconds`: business time left, negative when overdue.
    pub remaining_seconds: i64,
    /// The due instant: when the target was or will be reached. While paused, and after the
    /// clock stopped early, it is the projection as if counting went on from the instant (or
    /// the stop).
    pub due: DateTime<Utc>,
    /// The instant the warning fraction was or will be reached (same projection rules).
    pub warning_at: DateTime<Utc>,
    /// When the clock stopped (met, missed or cancelled).
    pub stopped_at: Option<DateTime<Utc>>,
    /// Whether the order is in a pause status at the instant (running clocks only).
    pub paused: bool,
}

impl MetricStatus {
    /// Business seconds past the target (0 when not over).
    pub fn overrun_seconds(&self) -> i64 {
        (-self.remaining_seconds).max(0)
    }
}

/// A stretch of the order's timeline during which the clock counts: `[from, to)` Unix seconds.
type Piece = (i64, i64);

/// Where the clock of `metric` stops (or is cancelled), looking only at changes up to `at`.
fn end_event(
    metric: Metric,
    targets: &SlaTargets,
    order: &ServiceOrder,
    at: i64,
) -> Option<(i64, bool)> {
    order
        .history
        .iter()
        .take_while(|c| c.at.timestamp() <= at)
        .find_map(|c| {
            let stops = match metric {
                Metric::Response => targets.response_ends.contains(&c.status),
                Metric::Resolution => c.status == OrderStatus::Completed,
            };
            if stops {
                Some((c.at.timestamp(), false))
            } else if c.status == OrderStatus::Cancelled {
                Some((c.at.timestamp(), true))
            } else {
                None
            }
        })
}

/// When an order's SLA clocks start: its creation, or its `earliest_start` when that is later —
/// an order generated ahead for a planned visit (preventive maintenance) is not late for
/// anything before its visit window opens.
pub fn clock_start(order: &ServiceOrder) -> DateTime<Utc> {
    order
        .earliest_start
        .map_or(order.created_at, |e| e.max(order.created_at))
}

/// The counting pieces of the timeline from the clock start to `end`, skipping pause statuses.
fn active_pieces(targets: &SlaTargets, order: &ServiceOrder, end: i64) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut from = clock_start(order).timestamp();
    let mut status = OrderStatus::Created;
    for change in &order.history {
        let at = change.at.timestamp().min(end);
        if !targets.pause_statuses.contains(&status) && at > from {
            pieces.push((from, at));
        }
        if change.at.timestamp() >= end {
            return pieces;
        }
        (from, status) = (at.max(from), change.status);
    }
    if !targets.pause_statuses.contains(&status) && end > from {
        pieces.push((from, end));
    }
    pieces
}

/// Target of a metric in business seconds, resolved at the clock start.
pub(crate) fn target_seconds(
    target: Target,
    calendar: &CompiledCalendar,
    created: DateTime<Utc>,
) -> Result<i64, CalendarError> {
    match target {
        Target::Minutes(m) => Ok(i64::from(m) * 60),
        Target::NextBusinessDay => {
            let end = calendar.next_business_day_end(created)?;
            Ok(calendar.between(created, end)?.num_seconds())
        }
    }
}

/// The instant at which `x` business seconds have been counted: inside the recorded pieces, or
/// projected from `resume` when the pieces hold less.
fn reaching(
    calendar: &CompiledCalendar,
    pieces: &[(Piece, i64)],
    x: i64,
    start: i64,
    resume: i64,
) -> Result<i64, CalendarError> {
    if x <= 0 {
        return Ok(start);
    }
    let mut acc = 0;
    for &((from, _), business) in pieces {
        if acc + business >= x {
            return calendar.add_seconds(from, x - acc);
        }
        acc += business;
    }
    calendar.add_seconds(resume, x - acc)
}

/// The status of one metric of `order` at `at`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use fieldwork::calendar::CompiledCalendar;
/// use fieldwork::model::{OrderStatus, Priority, ServiceOrder};
/// use fieldwork::sla::{default_targets, metric_status, Metric, MetricState};
/// let t = |d, h| Utc.with_ymd_and_hms(2027, 3, d, h, 0, 0).unwrap();
/// let mut order = ServiceOrder::new("SO-1", "C-1", Priority::Critical, t(1, 8));
/// order.transition(OrderStatus::Scheduled, t(1, 8) + chrono::TimeDelta::minutes(45)).unwrap();
/// let targets = default_targets(Priority::Critical, "gold"); // 1 h response, 24x7
/// let cal = CompiledCalendar::always_open();
/// let s = metric_status(Metric::Response, &targets, &cal, &order, t(2, 0)).unwrap().unwrap();
/// assert_eq!(s.state, MetricState::Met);
/// assert_eq!(s.due, t(1, 9));
/// ```
pub fn metric_status(
    metric: Metric,
    targets: &SlaTargets,
    calendar: &CompiledCalendar,
    order: &ServiceOrder,
    at: DateTime<Utc>,
) -> Result<Option<MetricStatus>, CalendarError> {
    let Some(target) = targets.target(metric) else {
        return Ok(None);
    };
    let started = clock_start(order);
    let target_secs = target_seconds(target, calendar, started)?;
    let warn_secs = ((target_secs as f64) * targets.warning.clamp(0.0, 1.0)).round() as i64;
    let (now, start) = (at.timestamp(), started.timestamp());
    let event = end_event(metric, targets, order, now);
    let end = event.map_or(now, |(t, _)| t).max(start);
    let mut pieces = Vec::new();
    let mut elapsed = 0;
    for piece in active_pieces(targets, order, end) {
        let business = calendar.between_seconds(piece.0, piece.1)?;
        elapsed += business;
        pieces.push((piece, business));
    }
    let due = reaching(calendar, &pieces, target_secs, start, end)?;
    let warning_at = reaching(calendar, &pieces, warn_secs, start, end)?;
    let paused = event.is_none() && targets.pause_statuses.contains(&status_at(order, now));
    let state = match event {
        Some((_, true)) => MetricState::Cancelled,
        Some((stop, false)) if elapsed >= target_secs && due < stop => MetricState::Missed,
        Some(_) => MetricState::Met,
        None if elapsed >= target_secs && due < now => MetricState::Breached,
        None if elapsed >= warn_secs => MetricState::Warning,
        None => MetricState::OnTrack,
    };
    let instant = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
    Ok(Some(MetricStatus {
        metric,
        target,
        target_seconds: target_secs,
        state,
        elapsed_seconds: elapsed,
        remaining_seconds: target_secs - elapsed,
        due: instant(due),
        warning_at: instant(warning_at),
        stopped_at: event.map(|(t, _)| instant(t)),
        paused,
    }))
}

/// The order's status at an instant (changes after it ignored).
fn status_at(order: &ServiceOrder, at: i64) -> OrderStatus {
    order
        .history
        .iter()
        .take_while(|c| c.at.timestamp() <= at)
        .last()
        .map_or(OrderStatus::Created, |c| c.status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BusinessCalendar, Priority};
    use crate::sla::targets::default_targets;
    use chrono::{TimeDelta, TimeZone};
    use OrderStatus::*;

    fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, d, h, m, 0).unwrap()
    }

    /// Mon–Fri 08:00–17:00 UTC.
    fn office() -> CompiledCalendar {
        let day = r#"[["08:00","17:00"]]"#;
        let json = format!(
            r#"{{"id":"office","time_zone":"UTC","weekly":{{"mon":{day},"tue":{day},"wed":{day},"thu":{day},"fri":{day}}}}}"#
        );
        CompiledCalendar::new(&BusinessCalendar::from_json(&json).unwrap()).unwrap()
    }

    fn targets(response: u32, resolution: u32) -> SlaTargets {
        SlaTargets {
            response: Some(Target::Minutes(response)),
            resolution: Some(Target::Minutes(resolution)),
            ..default_targets(Priority::Normal, "gold")
        }
    }

    fn order(created: DateTime<Utc>, changes: &[(OrderStatus, DateTime<Utc>)]) -> ServiceOrder {
        let mut o = ServiceOrder::new("SO-1", "C-1", Priority::Normal, created);
        for &(s, at) in changes {
            o.transition(s, at).unwrap();
        }
        o
    }

    fn status(t: &SlaTargets, o: &ServiceOrder, m: Metric, at: DateTime<Utc>) -> MetricStatus {
        metric_status(m, t, &office(), o, at).unwrap().unwrap()
    }

    #[test]
    fn running_clock_goes_on_track_warning_breached() {
        let t = targets(240, 480);
        let o = order(utc(1, 9, 0), &[]); // Monday 09:00, response due 13:00, warning 12:00
        let s = status(&t, &o, Metric::Response, utc(1, 11, 0));
        assert_eq!(
            (s.state, s.remaining_seconds),
            (MetricState::OnTrack, 2 * 3600)
        );
        assert_eq!((s.due, s.warning_at), (utc(1, 13, 0), utc(1, 12, 0)));
        assert_eq!(
            status(&t, &o, Metric::Response, utc(1, 12, 0)).state,
            MetricState::Warning
        );
        assert_eq!(
            status(&t, &o, Metric::Response, utc(1, 13, 0)).state,
            MetricState::Warning
        );
        let s = status(&t, &o, Metric::Response, utc(1, 14, 30));
        assert_eq!(
            (s.state, s.overrun_seconds()),
            (MetricState::Breached, 5400)
        );
    }

    #[test]
    fn an_order_generated_ahead_starts_its_clocks_when_its_window_opens() {
        let t = targets(240, 480);
        // Created Monday 1st for a visit from Wednesday 3rd 09:00.
        let mut o = order(utc(1, 9, 0), &[]);
        o.earliest_start = Some(utc(3, 9, 0));
        let s = status(&t, &o, Metric::Response, utc(2, 16, 0));
        assert_eq!(s.state, MetricState::OnTrack);
        assert_eq!(s.due, utc(3, 13, 0));
        assert_eq!(s.remaining_seconds, 4 * 3600);
        assert_eq!(
            status(&t, &o, Metric::Resolution, utc(3, 9, 0)).due,
            utc(3, 17, 0)
        );
        assert_eq!(
            status(&t, &o, Metric::Response, utc(3, 14, 0)).state,
            MetricState::Breached
        );
        // Scheduled on Tuesday, before the clock started: the response is met.
        o.transition(Scheduled, utc(2, 10, 0)).unwrap();
        assert_eq!(
            status(&t, &o, Metric::Response, utc(3, 14, 0)).state,
            MetricState::Met
        );
        // An earliest start before creation changes nothing.
        let mut early = order(utc(1, 9, 0), &[]);
        early.earliest_start = Some(utc(1, 7, 0));
        assert_eq!(
            status(&t, &early, Metric::Response, utc(1, 9, 0)).due,
            utc(1, 13, 0)
        );
    }

    #[test]
    fn due_at_close_breaches_after_close_even_with_no_business_overrun() {
        let t = targets(480, 540);
        let o = order(utc(1, 8, 0), &[]);
        let s = status(&t, &o, Metric::Resolution, utc(1, 20, 0));
        assert_eq!(s.due, utc(1, 17, 0));
        assert_eq!((s.state, s.remaining_seconds), (MetricState::Breached, 0));
    }

    #[test]
    fn stopped_clocks_are_met_or_missed_and_later_changes_are_ignored() {
        let t = targets(60, 120);
        let o = order(
            utc(1, 9, 0),
            &[
                (Scheduled, utc(1, 10, 0)),
                (InProgress, utc(1, 10, 30)),
                (Completed, utc(1, 11, 30)),
            ],
        );
        let r = status(&t, &o, Metric::Response, utc(5, 0, 0));
        assert_eq!(
            (r.state, r.stopped_at),
            (MetricState::Met, Some(utc(1, 10, 0)))
        );
        let s = status(&t, &o, Metric::Resolution, utc(5, 0, 0));
        assert_eq!((s.state, s.overrun_seconds()), (MetricState::Missed, 1800));
        // As at 10:15 the resolution clock was still running (75 of 120 min, warning at 90).
        let s = status(&t, &o, Metric::Resolution, utc(1, 10, 15));
        assert_eq!((s.state, s.stopped_at), (MetricState::OnTrack, None));
        assert_eq!(s.warning_at, utc(1, 10, 30));
    }

    #[test]
    fn pauses_credit_only_their_business_part() {
        let t = targets(60, 600);
        // Monday 09:00 created, on hold Monday 16:00 to Tuesday 10:00 (1 business hour + 1 h).
        let o = order(
            utc(1, 9, 0),
            &[
                (Scheduled, utc(1, 9, 30)),
                (InProgress, utc(1, 10, 0)),
                (OnHold, utc(1, 16, 0)),
                (InProgress, utc(2, 10, 0)),
            ],
        );
        let s = status(&t, &o, Metric::Resolution, utc(2, 12, 0));
        // Counted: Mon 09-16 (7 h) + Tue 10-12 (2 h) = 9 h of 10 h.
        assert_eq!(s.elapsed_seconds, 9 * 3600);
        assert_eq!(s.due, utc(2, 13, 0));
        assert!(!s.paused);
        let paused = status(&t, &o, Metric::Resolution, utc(2, 9, 0));
        assert!(paused.paused);
        assert_eq!(paused.elapsed_seconds, 7 * 3600);
        // Projection: 3 h left, counted from 09:00 as if resumed now.
        assert_eq!(paused.due, utc(2, 12, 0));
    }

    #[test]
    fn cancellation_before_stop_cancels_the_metric() {
        let t = targets(60, 120);
        let o = order(
            utc(1, 9, 0),
            &[(Scheduled, utc(1, 9, 30)), (Cancelled, utc(1, 10, 0))],
        );
        assert_eq!(
            status(&t, &o, Metric::Response, utc(2, 0, 0)).state,
            MetricState::Met
        );
        assert_eq!(
            status(&t, &o, Metric::Resolution, utc(2, 0, 0)).state,
            MetricState::Cancelled
        );
    }

    #[test]
    fn response_ends_are_configurable_and_untracked_metrics_are_none() {
        let mut t = targets(60, 120);
        t.response_ends = vec![InProgress];
        t.resolution = None;
        let o = order(
            utc(1, 9, 0),
            &[(Scheduled, utc(1, 9, 30)), (InProgress, utc(1, 10, 30))],
        );
        let s = status(&t, &o, Metric::Response, utc(2, 0, 0));
        assert_eq!((s.state, s.overrun_seconds()), (MetricState::Missed, 1800));
        assert!(
            metric_status(Metric::Resolution, &t, &office(), &o, utc(2, 0, 0))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn next_business_day_target_resolves_at_creation() {
        let mut t = targets(60, 0);
        t.resolution = Some(Target::NextBusinessDay);
        let o = order(utc(5, 15, 0), &[]); // Friday 15:00 -> due Monday 17:00
        let s = status(&t, &o, Metric::Resolution, utc(5, 16, 0));
        assert_eq!(s.target_seconds, 2 * 3600 + 9 * 3600);
        assert_eq!(s.due, utc(8, 17, 0));
        assert_eq!(s.due - s.warning_at, TimeDelta::seconds(11 * 3600 / 4));
    }
}
