//! Compliance over a set of orders: per metric, overall, per customer and per tier — count,
//! share met, average and worst overrun.
//!
//! A metric counts once its outcome is certain: **met**, **missed**, or **breached** (still
//! running but past its due instant, so certain to be missed). Running metrics on track or in
//! warning and cancelled ones are left out. Overrun is business time past the target; the
//! average is taken over the missed (and breached) metrics.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::clock::{MetricState, MetricStatus};
use super::engine::{OrderSla, SlaEngine};
use super::targets::Metric;
use super::work::WorkKpis;
use crate::model::{OrderId, ServiceOrder};

/// How a compliance row groups orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// All orders.
    All,
    /// One customer.
    Customer,
    /// One customer tier.
    Tier,
}

/// Compliance of one metric over one group of orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceRow {
    /// The metric.
    pub metric: Metric,
    /// The grouping.
    pub grouping: Grouping,
    /// The group's key: `"all"`, a customer id or a tier.
    pub key: String,
    /// Metrics with a certain outcome (met + missed).
    pub count: u32,
    /// Met.
    pub met: u32,
    /// Missed, including breached running metrics.
    pub missed: u32,
    /// `100 × met / count`; `None` when nothing counts yet.
    pub percent_met: Option<f64>,
    /// Mean business seconds past the target over the missed metrics (0 when none).
    pub average_overrun_seconds: i64,
    /// Largest business seconds past the target (0 when none).
    pub worst_overrun_seconds: i64,
    /// The order with the worst overrun.
    pub worst_order: Option<OrderId>,
}

impl ComplianceRow {
    fn new(metric: Metric, grouping: Grouping, key: String) -> Self {
        Self {
            metric,
            grouping,
            key,
            count: 0,
            met: 0,
            missed: 0,
            percent_met: None,
            average_overrun_seconds: 0,
            worst_overrun_seconds: 0,
            worst_order: None,
        }
    }

    fn add(&mut self, order: &OrderId, status: &MetricStatus, overrun_sum: &mut i64) {
        match status.state {
            MetricState::Met => self.met += 1,
            MetricState::Missed | MetricState::Breached => {
                self.missed += 1;
                let overrun = status.overrun_seconds();
                *overrun_sum += overrun;
                if self.worst_order.is_none() || overrun > self.worst_overrun_seconds {
                    self.worst_overrun_seconds = overrun;
                    self.worst_order = Some(order.clone());
                }
            }
            _ => return,
        }
        self.count += 1;
    }
}

/// One order whose SLA could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderError {
    /// The order.
    pub order: OrderId,
    /// The error message (it names the order).
    pub error: String,
}

/// Status of every order at an instant and the compliance over them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaReport {
    /// The instant the report is "as at".
    pub at: DateTime<Utc>,
    /// Each order's SLA, in the order given.
    pub orders: Vec<OrderSla>,
    /// Orders whose SLA failed (each with its error); the rest of the report is still valid.
    pub errors: Vec<OrderError>,
    /// Compliance rows: per metric, `all` first, then per tier and per customer, sorted by key.
    pub compliance: Vec<ComplianceRow>,
    /// What the field did (completions, first-time fix, time on site, SLA met share of the
    /// completed orders), from the recorded operations.
    pub work: WorkKpis,
}

/// Compliance rows over computed order SLAs.
pub fn compliance(orders: &[OrderSla]) -> Vec<ComplianceRow> {
    let mut rows: BTreeMap<(Metric, Grouping, String), (ComplianceRow, i64)> = BTreeMap::new();
    for sla in orders {
        for status in &sla.metrics {
            let keys = [
                (Grouping::All, "all".to_owned()),
                (Grouping::Tier, sla.tier.clone()),
                (Grouping::Customer, sla.customer.to_string()),
            ];
            for (grouping, key) in keys {
                let (row, sum) = rows
                    .entry((status.metric, grouping, key.clone()))
                    .or_insert_with(|| (ComplianceRow::new(status.metric, grouping, key), 0));
                row.add(&sla.order, status, sum);
            }
        }
    }
    let mut out: Vec<ComplianceRow> = rows
        .into_values()
        .map(|(mut row, sum)| {
            if row.count > 0 {
                row.percent_met = Some(100.0 * f64::from(row.met) / f64::from(row.count));
            }
            if row.missed > 0 {
                row.average_overrun_seconds = sum / i64::from(row.missed);
            }
            row
        })
        .collect();
    out.sort_by(|a, b| {
        let rank = |g: Grouping| match g {
            Grouping::All => 0,
            Grouping::Tier => 1,
            Grouping::Customer => 2,
        };
        (a.metric, rank(a.grouping), &a.key).cmp(&(b.metric, rank(b.grouping), &b.key))
    });
    out
}

impl SlaEngine<'_> {
    /// The SLA of each order at `at` and the compliance over them. An order whose SLA fails is
    /// listed in [`SlaReport::errors`] and left out of the rest.
    pub fn report<'o>(
        &self,
        orders: impl IntoIterator<Item = &'o ServiceOrder>,
        at: DateTime<Utc>,
    ) -> SlaReport {
        let mut slas = Vec::new();
        let mut errors = Vec::new();
        let orders: Vec<&ServiceOrder> = orders.into_iter().collect();
        for &order in &orders {
            match self.status(order, at) {
                Ok(sla) => slas.push(sla),
                Err(e) => errors.push(OrderError {
                    order: order.id.clone(),
                    error: e.to_string(),
                }),
            }
        }
        let compliance = compliance(&slas);
        let work = WorkKpis::of(orders, &slas, None, at);
        SlaReport {
            at,
            orders: slas,
            errors,
            compliance,
            work,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CalendarId, CustomerId, Priority};
    use crate::sla::targets::{Target, TargetSource};
    use chrono::TimeZone;

    fn status(metric: Metric, state: MetricState, remaining: i64) -> MetricStatus {
        let t = Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap();
        MetricStatus {
            metric,
            target: Target::Minutes(60),
            target_seconds: 3600,
            state,
            elapsed_seconds: 3600 - remaining,
            remaining_seconds: remaining,
            due: t,
            warning_at: t,
            stopped_at: None,
            paused: false,
        }
    }

    fn sla(order: &str, customer: &str, tier: &str, metrics: Vec<MetricStatus>) -> OrderSla {
        OrderSla {
            order: OrderId::new(order),
            customer: CustomerId::new(customer),
            tier: tier.into(),
            priority: Priority::Normal,
            calendar: CalendarId::new("24x7"),
            source: TargetSource::Default,
            metrics,
        }
    }

    #[test]
    fn counts_certain_outcomes_per_group_with_overruns() {
        use MetricState::*;
        let orders = vec![
            sla(
                "A",
                "C1",
                "gold",
                vec![
                    status(Metric::Response, Met, 10),
                    status(Metric::Resolution, Missed, -600),
                ],
            ),
            sla(
                "B",
                "C1",
                "gold",
                vec![
                    status(Metric::Response, Breached, -1200),
                    status(Metric::Resolution, OnTrack, 100),
                ],
            ),
            sla(
                "C",
                "C2",
                "silver",
                vec![
                    status(Metric::Response, Met, 0),
                    status(Metric::Resolution, Cancelled, 0),
                ],
            ),
        ];
        let rows = compliance(&orders);
        let find = |m, g, k: &str| {
            rows.iter()
                .find(|r| r.metric == m && r.grouping == g && r.key == k)
                .unwrap()
        };
        let all = find(Metric::Response, Grouping::All, "all");
        assert_eq!((all.count, all.met, all.missed), (3, 2, 1));
        assert!((all.percent_met.unwrap() - 66.666).abs() < 0.01);
        assert_eq!(
            (all.average_overrun_seconds, all.worst_overrun_seconds),
            (1200, 1200)
        );
        assert_eq!(all.worst_order, Some(OrderId::new("B")));
        let gold = find(Metric::Resolution, Grouping::Tier, "gold");
        assert_eq!(
            (gold.count, gold.missed, gold.worst_overrun_seconds),
            (1, 1, 600)
        );
        let c2 = find(Metric::Resolution, Grouping::Customer, "C2");
        assert_eq!((c2.count, c2.percent_met), (0, None));
        assert_eq!(rows[0].grouping, Grouping::All);
        assert_eq!(rows.len(), 2 * (1 + 2 + 2));
    }
}
