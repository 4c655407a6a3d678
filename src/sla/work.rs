//! Work KPIs: what the field actually did, read from the orders' recorded operations — orders
//! completed, first-time fix rate, time on site, and the share of completed orders whose
//! resolution SLA was met. The compliance report carries them ([`SlaReport::work`]), and the
//! board computes them for the days it shows.
//!
//! [`SlaReport::work`]: super::SlaReport::work

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::clock::MetricState;
use super::engine::OrderSla;
use super::targets::Metric;
use crate::model::{OrderId, ServiceOrder, WorkFacts};

/// KPIs of the work done (completed orders), as at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct WorkKpis {
    /// Orders started (an actual start recorded) in the window.
    pub started: u32,
    /// Orders completed (an actual finish recorded) in the window.
    pub completed: u32,
    /// Completed orders that were never put on hold.
    pub first_time_fixes: u32,
    /// `100 × first_time_fixes / completed`; `None` when nothing was completed.
    pub first_time_fix_percent: Option<f64>,
    /// Seconds on site (in progress, holds excluded) over the completed orders.
    pub on_site_seconds: i64,
    /// Mean minutes on site per completed order.
    pub average_on_site_minutes: Option<f64>,
    /// Completed orders whose resolution SLA concluded (met or missed).
    pub sla_concluded: u32,
    /// Of those, met.
    pub sla_met: u32,
    /// `100 × sla_met / sla_concluded`; `None` when none concluded.
    pub sla_met_percent: Option<f64>,
}

impl WorkKpis {
    /// The KPIs of `orders` as at `at`, counting starts and completions inside `window`
    /// (`[from, to)`; `None`: any time up to `at`). `slas` are the orders' SLA statuses (those
    /// of other orders are ignored; an order without one does not count for the SLA share).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use fieldwork::model::{OrderStatus::*, Priority, ServiceOrder};
    /// use fieldwork::sla::WorkKpis;
    /// let t = |h| Utc.with_ymd_and_hms(2027, 3, 1, h, 0, 0).unwrap();
    /// let mut a = ServiceOrder::new("SO-1", "C-1", Priority::High, t(7));
    /// let mut b = ServiceOrder::new("SO-2", "C-1", Priority::High, t(7));
    /// for (s, h) in [(Scheduled, 7), (InProgress, 8), (Completed, 9)] { a.transition(s, t(h)).unwrap(); }
    /// for (s, h) in [(Scheduled, 7), (InProgress, 8), (OnHold, 9), (InProgress, 10), (Completed, 13)] {
    ///     b.transition(s, t(h)).unwrap();
    /// }
    /// let kpis = WorkKpis::of([&a, &b], &[], None, t(20));
    /// assert_eq!((kpis.completed, kpis.first_time_fixes), (2, 1));
    /// assert_eq!(kpis.first_time_fix_percent, Some(50.0));
    /// assert_eq!(kpis.average_on_site_minutes, Some(150.0)); // (60 + 240) / 2
    /// ```
    pub fn of<'o>(
        orders: impl IntoIterator<Item = &'o ServiceOrder>,
        slas: &[OrderSla],
        window: Option<(DateTime<Utc>, DateTime<Utc>)>,
        at: DateTime<Utc>,
    ) -> Self {
        let resolution: HashMap<&OrderId, MetricState> = slas
            .iter()
            .filter_map(|s| s.metric(Metric::Resolution).map(|m| (&s.order, m.state)))
            .collect();
        let inside = |t: DateTime<Utc>| window.is_none_or(|(from, to)| t >= from && t < to);
        let mut k = WorkKpis::default();
        for order in orders {
            let facts = WorkFacts::of(order, at);
            if facts.actual_start.is_some_and(inside) {
                k.started += 1;
            }
            if !facts.actual_finish.is_some_and(inside) {
                continue;
            }
            k.completed += 1;
            k.on_site_seconds += facts.on_site_seconds;
            if facts.first_time_fix == Some(true) {
                k.first_time_fixes += 1;
            }
            match resolution.get(&order.id) {
                Some(MetricState::Met) => {
                    k.sla_concluded += 1;
                    k.sla_met += 1;
                }
                Some(MetricState::Missed) => k.sla_concluded += 1,
                _ => {}
            }
        }
        let percent =
            |part: u32, whole: u32| (whole > 0).then(|| 100.0 * f64::from(part) / f64::from(whole));
        k.first_time_fix_percent = percent(k.first_time_fixes, k.completed);
        k.sla_met_percent = percent(k.sla_met, k.sla_concluded);
        k.average_on_site_minutes =
            (k.completed > 0).then(|| k.on_site_seconds as f64 / 60.0 / f64::from(k.completed));
        k
    }
}
