//! The SLA phase: the status of every open order at "now", stored as one snapshot batch.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

use super::{Engines, JobError, Progress};
use crate::model::{Model, OrderId};
use crate::store::{SlaSnapshot, Store};

/// An order whose SLA could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderProblem {
    /// The order.
    pub order: OrderId,
    /// Why.
    pub error: String,
}

/// What the SLA phase found and stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SlaSummary {
    /// The instant of the snapshot.
    #[serde(serialize_with = "serialize_optional_instant")]
    pub at: Option<DateTime<Utc>>,
    /// Open orders looked at.
    pub orders: usize,
    /// Metrics per state (`on_track`, `warning`, `breached`, …).
    pub states: BTreeMap<String, usize>,
    /// Snapshots written.
    pub snapshots: usize,
    /// Orders without an SLA status (each with its error).
    pub errors: Vec<OrderProblem>,
}

fn serialize_optional_instant<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => super::serialize_instant(t, s),
        None => s.serialize_none(),
    }
}

/// Computes the SLA status of every open order at `at` (targets from the rules' `sla_targets`
/// hook, else the built-in table) and stores the snapshot (one batch, replacing each order's
/// previous snapshot).
pub fn snapshot_sla(
    store: &mut dyn Store,
    model: &Model,
    engines: &Engines<'_>,
    at: DateTime<Utc>,
    progress: &mut dyn Progress,
) -> Result<SlaSummary, JobError> {
    let engine = engines.sla(model);
    let open: Vec<_> = model
        .orders()
        .iter()
        .filter(|o| !o.status().is_final() && o.created_at <= at)
        .collect();
    let mut summary = SlaSummary {
        at: Some(at),
        orders: open.len(),
        ..SlaSummary::default()
    };
    progress.start("SLA", open.len() as u64);
    let mut snapshots = Vec::with_capacity(open.len() * 2);
    for order in open {
        match engine.status(order, at) {
            Ok(sla) => {
                for m in &sla.metrics {
                    *summary.states.entry(m.state.to_string()).or_default() += 1;
                    snapshots.push(SlaSnapshot {
                        order: order.id.clone(),
                        metric: m.metric.to_string(),
                        computed_at: at,
                        state: m.state.to_string(),
                        target_seconds: m.target_seconds,
                        due: Some(m.due),
                        warning_at: Some(m.warning_at),
                        remaining_seconds: Some(m.remaining_seconds),
                        calendar: Some(sla.calendar.to_string()),
                    });
                }
            }
            Err(e) => summary.errors.push(OrderProblem {
                order: order.id.clone(),
                error: e.to_string(),
            }),
        }
        progress.advance(1);
    }
    progress.finish();
    summary.snapshots = store.save_sla_snapshots(&snapshots)?.written;
    Ok(summary)
}
