//! SLA snapshots in SQLite: the latest state of each order's metrics, one row per (order,
//! metric), replaced when recomputed.

use rusqlite::{params, Connection};
use std::path::Path;

use super::batches;
use super::error::sql_error;
use crate::sql::codec::{instant, parse_instant, parse_opt_instant};
use fieldwork::model::OrderId;
use fieldwork::store::{BatchKind, BatchReceipt, SlaSnapshot, StoreError};

/// Upserts snapshots in one transaction.
pub(crate) fn save(
    conn: &mut Connection,
    path: &Path,
    snapshots: &[SlaSnapshot],
) -> Result<BatchReceipt, StoreError> {
    if snapshots.is_empty() {
        return Ok(BatchReceipt::default());
    }
    let tx = super::begin_write(conn, path)?;
    let batch = batches::begin(&tx, path, BatchKind::Sla)?;
    write(&tx, path, snapshots, batch)?;
    batches::finish(&tx, path, batch, snapshots.len())?;
    super::commit(tx, path, "writing SLA snapshots")?;
    Ok(BatchReceipt {
        batch: Some(batch),
        written: snapshots.len(),
        skipped: 0,
        ..Default::default()
    })
}

/// Upserts SLA snapshots of stored orders within `tx`, in `batch`.
pub(crate) fn write(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
    snapshots: &[SlaSnapshot],
    batch: i64,
) -> Result<(), StoreError> {
    let err = sql_error(path, "writing SLA snapshots");
    {
        let mut exists = tx
            .prepare_cached("SELECT 1 FROM orders WHERE id = ?1")
            .map_err(&err)?;
        let mut upsert = tx
            .prepare_cached(
                "INSERT INTO sla_snapshots (order_id, metric, computed_at, state, target_seconds, \
                 due, warning_at, remaining_seconds, calendar, batch_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (order_id, metric) DO UPDATE SET \
                 computed_at = excluded.computed_at, state = excluded.state, \
                 target_seconds = excluded.target_seconds, due = excluded.due, \
                 warning_at = excluded.warning_at, remaining_seconds = excluded.remaining_seconds, \
                 calendar = excluded.calendar, batch_id = excluded.batch_id",
            )
            .map_err(&err)?;
        for s in snapshots {
            if !exists.exists([s.order.as_str()]).map_err(&err)? {
                return Err(StoreError::Conflict {
                    entity: "order",
                    id: s.order.to_string(),
                    message: "SLA snapshot for an order that is not stored".into(),
                });
            }
            upsert
                .execute(params![
                    s.order.as_str(),
                    s.metric,
                    instant(&s.computed_at),
                    s.state,
                    s.target_seconds,
                    s.due.as_ref().map(instant),
                    s.warning_at.as_ref().map(instant),
                    s.remaining_seconds,
                    s.calendar,
                    batch
                ])
                .map_err(&err)?;
        }
    }
    Ok(())
}

/// The stored snapshots by order and metric.
pub(crate) fn list(conn: &Connection, path: &Path) -> Result<Vec<SlaSnapshot>, StoreError> {
    let err = sql_error(path, "reading SLA snapshots");
    let mut stmt = conn
        .prepare_cached(
            "SELECT order_id, metric, computed_at, state, target_seconds, due, warning_at, \
             remaining_seconds, calendar FROM sla_snapshots ORDER BY order_id, metric",
        )
        .map_err(&err)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, Option<String>>(6)?,
                row.get::<_, Option<i64>>(7)?,
                row.get::<_, Option<String>>(8)?,
            ))
        })
        .map_err(&err)?;
    let mut out = Vec::new();
    for row in rows {
        let (order, metric, computed_at, state, target, due, warning, remaining, calendar) =
            row.map_err(&err)?;
        out.push(SlaSnapshot {
            computed_at: parse_instant(&computed_at, "SLA snapshot", &order)?,
            due: parse_opt_instant(due, "SLA snapshot", &order)?,
            warning_at: parse_opt_instant(warning, "SLA snapshot", &order)?,
            order: OrderId::new(order),
            metric,
            state,
            target_seconds: target,
            remaining_seconds: remaining,
            calendar,
        });
    }
    Ok(out)
}
