//! SLA snapshots in PostgreSQL: the latest state of each order's metrics, one row per (order,
//! metric), replaced when recomputed — the whole batch in one upsert.

use postgres::Transaction;
use std::collections::HashMap;

use super::error::pg_error;
use super::orders::stored_ids;
use super::{batches, get};
use crate::sql::codec::{instant, parse_instant, parse_opt_instant};
use fieldwork::model::OrderId;
use fieldwork::store::{BatchKind, BatchReceipt, SlaSnapshot, StoreError};

/// Upserts snapshots in one batch; returns the receipt and whether to commit.
pub(crate) fn save(
    tx: &mut Transaction<'_>,
    url: &str,
    snapshots: &[SlaSnapshot],
) -> Result<(BatchReceipt, bool), StoreError> {
    let batch = batches::begin(tx, url, BatchKind::Sla)?;
    write(tx, url, snapshots, batch)?;
    batches::finish(tx, url, batch, snapshots.len())?;
    let receipt = BatchReceipt {
        batch: Some(batch),
        written: snapshots.len(),
        skipped: 0,
        ..Default::default()
    };
    Ok((receipt, true))
}

/// Upserts SLA snapshots of stored orders within `tx`, in `batch` (of two snapshots of the
/// same order and metric, the later one wins).
pub(crate) fn write(
    tx: &mut Transaction<'_>,
    url: &str,
    snapshots: &[SlaSnapshot],
    batch: i64,
) -> Result<(), StoreError> {
    if snapshots.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = snapshots.iter().map(|s| s.order.as_str()).collect();
    let stored = stored_ids(tx, url, "orders", &ids)?;
    if let Some(s) = snapshots
        .iter()
        .find(|s| !stored.contains(s.order.as_str()))
    {
        return Err(StoreError::Conflict {
            entity: "order",
            id: s.order.to_string(),
            message: "SLA snapshot for an order that is not stored".into(),
        });
    }
    let mut last: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, s) in snapshots.iter().enumerate() {
        last.insert((s.order.as_str(), s.metric.as_str()), i);
    }
    let mut kept: Vec<usize> = last.into_values().collect();
    kept.sort_unstable();
    let pick = |f: &dyn Fn(&SlaSnapshot) -> Option<String>| -> Vec<Option<String>> {
        kept.iter().map(|&i| f(&snapshots[i])).collect()
    };
    let orders = pick(&|s| Some(s.order.to_string()));
    let metrics = pick(&|s| Some(s.metric.clone()));
    let computed = pick(&|s| Some(instant(&s.computed_at)));
    let states = pick(&|s| Some(s.state.clone()));
    let dues = pick(&|s| s.due.as_ref().map(instant));
    let warnings = pick(&|s| s.warning_at.as_ref().map(instant));
    let calendars = pick(&|s| s.calendar.clone());
    let targets: Vec<i64> = kept.iter().map(|&i| snapshots[i].target_seconds).collect();
    let remaining: Vec<Option<i64>> = kept
        .iter()
        .map(|&i| snapshots[i].remaining_seconds)
        .collect();
    tx.execute(
        "INSERT INTO sla_snapshots (order_id, metric, computed_at, state, target_seconds, due, \
         warning_at, remaining_seconds, calendar, batch_id) \
         SELECT * , $10::int8 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
         $5::int8[], $6::text[], $7::text[], $8::int8[], $9::text[]) \
         ON CONFLICT (order_id, metric) DO UPDATE SET computed_at = excluded.computed_at, \
         state = excluded.state, target_seconds = excluded.target_seconds, due = excluded.due, \
         warning_at = excluded.warning_at, remaining_seconds = excluded.remaining_seconds, \
         calendar = excluded.calendar, batch_id = excluded.batch_id",
        &[
            &orders, &metrics, &computed, &states, &targets, &dues, &warnings, &remaining,
            &calendars, &batch,
        ],
    )
    .map_err(pg_error(url, "writing SLA snapshots"))?;
    Ok(())
}

/// The stored snapshots by order and metric.
pub(crate) fn list(tx: &mut Transaction<'_>, url: &str) -> Result<Vec<SlaSnapshot>, StoreError> {
    let rows = tx
        .query(
            "SELECT order_id, metric, computed_at, state, target_seconds, due, warning_at, \
             remaining_seconds, calendar FROM sla_snapshots \
             ORDER BY order_id COLLATE \"C\", metric COLLATE \"C\"",
            &[],
        )
        .map_err(pg_error(url, "reading SLA snapshots"))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let order: String = get(&row, 0)?;
        let entity = "SLA snapshot";
        out.push(SlaSnapshot {
            computed_at: parse_instant(get(&row, 2)?, entity, &order)?,
            due: parse_opt_instant(get(&row, 5)?, entity, &order)?,
            warning_at: parse_opt_instant(get(&row, 6)?, entity, &order)?,
            metric: get(&row, 1)?,
            state: get(&row, 3)?,
            target_seconds: get(&row, 4)?,
            remaining_seconds: get(&row, 7)?,
            calendar: get(&row, 8)?,
            order: OrderId::new(order),
        });
    }
    Ok(out)
}
