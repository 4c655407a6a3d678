//! Orders in SQLite: one normalised row per order (the columns engines filter on: customer,
//! agreement, origin, priority, status, due) plus the order's remaining fields as a JSON
//! document, its status history in `order_status_history`, and the generation keys that make
//! order generation idempotent.

use rusqlite::{params, CachedStatement, Connection, ErrorCode, Transaction};
use std::collections::HashSet;
use std::path::Path;

use super::batches;
use super::error::sql_error;
use crate::sql::codec::{instant, parse_instant};
use crate::sql::{order_columns, order_doc, origin_columns};
use fieldwork::model::{OrderStatus, ServiceOrder};
use fieldwork::store::{BatchKind, BatchReceipt, GeneratedOrder, StatusUpdate, StoreError};

const ORDER_COLUMNS: &str = "(id, customer_id, agreement_id, origin_line, origin_occurrence, \
    priority, status, created_at, changed_at, due, batch_id, doc) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

/// How an order row is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderWrite {
    /// A new order: an existing id is a conflict.
    Insert,
    /// Insert or replace the order with the same id (and its history).
    Upsert,
}

/// The prepared statements of order writes, prepared once per transaction, and a buffer the
/// JSON documents are encoded into.
pub(crate) struct OrderStatements<'tx> {
    doc: Vec<u8>,
    insert: CachedStatement<'tx>,
    upsert: CachedStatement<'tx>,
    delete_history: CachedStatement<'tx>,
    insert_history: CachedStatement<'tx>,
}

impl<'tx> OrderStatements<'tx> {
    /// Prepares (or takes from the cache) the statements.
    pub(crate) fn prepare(tx: &'tx Transaction<'_>, path: &Path) -> Result<Self, StoreError> {
        let err = sql_error(path, "preparing order statements");
        Ok(Self {
            doc: Vec::with_capacity(1024),
            insert: tx
                .prepare_cached(&format!("INSERT INTO orders {ORDER_COLUMNS}"))
                .map_err(&err)?,
            upsert: tx
                .prepare_cached(&format!(
                    "INSERT INTO orders {ORDER_COLUMNS} ON CONFLICT (id) DO UPDATE SET \
                     customer_id = excluded.customer_id, agreement_id = excluded.agreement_id, \
                     origin_line = excluded.origin_line, \
                     origin_occurrence = excluded.origin_occurrence, \
                     priority = excluded.priority, status = excluded.status, \
                     created_at = excluded.created_at, changed_at = excluded.changed_at, \
                     due = excluded.due, batch_id = excluded.batch_id, doc = excluded.doc"
                ))
                .map_err(&err)?,
            delete_history: tx
                .prepare_cached("DELETE FROM order_status_history WHERE order_id = ?1")
                .map_err(&err)?,
            insert_history: tx
                .prepare_cached(
                    "INSERT INTO order_status_history \
                     (order_id, seq, at, status, batch_id, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(&err)?,
        })
    }
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation)
}

/// Writes one order row and its history.
pub(crate) fn write_order(
    statements: &mut OrderStatements<'_>,
    path: &Path,
    order: &ServiceOrder,
    batch: i64,
    mode: OrderWrite,
) -> Result<(), StoreError> {
    let id = order.id.as_str();
    let mut doc = std::mem::take(&mut statements.doc);
    let doc_text = order_doc(order, &mut doc)?;
    let c = order_columns(order);
    let values = params![
        id,
        c.customer,
        c.agreement,
        c.line,
        c.occurrence,
        c.priority,
        c.status,
        c.created_at,
        c.changed_at,
        c.due,
        batch,
        doc_text,
    ];
    let written = match mode {
        OrderWrite::Insert => statements.insert.execute(values),
        OrderWrite::Upsert => statements.upsert.execute(values),
    };
    statements.doc = doc;
    match written {
        Ok(_) => {}
        Err(e) if is_constraint(&e) => {
            return Err(StoreError::Conflict {
                entity: "order",
                id: id.to_owned(),
                message: format!("cannot be stored: {e}"),
            })
        }
        Err(e) => return Err(sql_error(path, "writing an order")(e)),
    }
    let err = sql_error(path, "writing an order's status history");
    if mode == OrderWrite::Upsert {
        statements.delete_history.execute([id]).map_err(&err)?;
    }
    for (seq, change) in order.history.iter().enumerate() {
        statements
            .insert_history
            .execute(params![
                id,
                seq as i64 + 1,
                instant(&change.at),
                change.status.as_str(),
                batch,
                change.reason
            ])
            .map_err(&err)?;
    }
    Ok(())
}

/// Inserts generated orders whose key is new, with their keys, in one transaction.
pub(crate) fn insert_generated(
    conn: &mut Connection,
    path: &Path,
    orders: &[GeneratedOrder],
) -> Result<BatchReceipt, StoreError> {
    if orders.is_empty() {
        return Ok(BatchReceipt::default());
    }
    let tx = super::begin_write(conn, path)?;
    let batch = batches::begin(&tx, path, BatchKind::Generate)?;
    let mut written = 0;
    let mut skipped_keys = Vec::new();
    {
        // The order row is written before its key, so no deferred foreign-key check is ever
        // outstanding (an outstanding one makes SQLite scan child tables on every insert).
        let err = sql_error(path, "writing a generation key");
        let mut known = tx
            .prepare_cached("SELECT 1 FROM generation_keys WHERE key = ?1")
            .map_err(&err)?;
        // The same order stored under its id (e.g. brought in by a merge import of an exported
        // dataset) has the same origin line and occurrence.
        let mut same_order = tx
            .prepare_cached(
                "SELECT 1 FROM orders WHERE id = ?1 AND origin_line IS ?2 AND origin_occurrence IS ?3",
            )
            .map_err(&err)?;
        let mut key_stmt = tx
            .prepare_cached(
                "INSERT INTO generation_keys (key, order_id, batch_id) VALUES (?1, ?2, ?3)",
            )
            .map_err(&err)?;
        let mut statements = OrderStatements::prepare(&tx, path)?;
        for generated in orders {
            let id = generated.order.id.as_str();
            // A key repeated within the batch is found too: its first order is already written.
            // Both checks run inside this write transaction (BEGIN IMMEDIATE), so an order
            // another process stored since our model was read is skipped, never written twice.
            if known.exists([generated.key.as_str()]).map_err(&err)? {
                skipped_keys.push(generated.key.clone());
                continue;
            }
            let (line, occurrence) = origin_columns(&generated.order.origin);
            if same_order
                .exists(params![id, line, occurrence])
                .map_err(&err)?
            {
                skipped_keys.push(generated.key.clone());
                continue;
            }
            write_order(
                &mut statements,
                path,
                &generated.order,
                batch,
                OrderWrite::Insert,
            )
            .map_err(|e| match e {
                StoreError::Conflict { entity, id, .. } => StoreError::Conflict {
                    entity,
                    id,
                    message: format!(
                        "id already taken by another order (generation key `{}`)",
                        generated.key
                    ),
                },
                other => other,
            })?;
            key_stmt
                .execute(params![generated.key, id, batch])
                .map_err(&err)?;
            written += 1;
        }
    }
    if written == 0 {
        // Nothing new: the transaction is rolled back, no empty batch is logged.
        return Ok(BatchReceipt {
            batch: None,
            written,
            skipped: skipped_keys.len(),
            skipped_keys,
        });
    }
    batches::finish(&tx, path, batch, written)?;
    super::commit(tx, path, "writing generated orders")?;
    Ok(BatchReceipt {
        batch: Some(batch),
        written,
        skipped: skipped_keys.len(),
        skipped_keys,
    })
}

/// The stored generation keys.
pub(crate) fn generation_keys(
    conn: &Connection,
    path: &Path,
) -> Result<HashSet<String>, StoreError> {
    let err = sql_error(path, "reading generation keys");
    let mut stmt = conn
        .prepare_cached("SELECT key FROM generation_keys")
        .map_err(&err)?;
    let rows = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(&err)?;
    rows.collect::<Result<HashSet<_>, _>>().map_err(&err)
}

/// Appends status changes within `tx`, checking each against the stored status and the
/// lifecycle; returns the number written. A change whose expected status is no longer the
/// stored one (an operation landed since it was read) is skipped.
pub(crate) fn apply_updates(
    tx: &Transaction<'_>,
    path: &Path,
    updates: &[StatusUpdate],
    batch: i64,
) -> Result<usize, StoreError> {
    let err = sql_error(path, "recording status changes");
    let mut current = tx
        .prepare_cached(
            "SELECT status, changed_at, \
             (SELECT coalesce(max(seq), 0) FROM order_status_history WHERE order_id = ?1) \
             FROM orders WHERE id = ?1",
        )
        .map_err(&err)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO order_status_history (order_id, seq, at, status, batch_id, reason) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(&err)?;
    let mut written = 0;
    let mut update = tx
        .prepare_cached("UPDATE orders SET status = ?2, changed_at = ?3 WHERE id = ?1")
        .map_err(&err)?;
    for u in updates {
        let id = u.order.as_str();
        let conflict = |message: String| StoreError::Conflict {
            entity: "order",
            id: id.to_owned(),
            message,
        };
        let row = current.query_row([id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
            ))
        });
        let (status, changed_at, seq) = match row {
            Ok(r) => r,
            Err(rusqlite::Error::QueryReturnedNoRows) => {
                return Err(conflict(
                    "status change for an order that is not stored".into(),
                ))
            }
            Err(e) => return Err(err(e)),
        };
        let from = OrderStatus::parse(&status)
            .ok_or_else(|| conflict(format!("stored status `{status}` is unknown")))?;
        if u.expected.is_some_and(|expected| expected != from) {
            continue;
        }
        let to = u.change.status;
        if !from.can_become(to) {
            return Err(conflict(format!("illegal transition {from} -> {to}")));
        }
        let previous = parse_instant(&changed_at, "order", id)?;
        if u.change.at < previous {
            return Err(conflict(format!(
                "transition at {} is before the previous change at {}",
                u.change.at, previous
            )));
        }
        let at = instant(&u.change.at);
        insert
            .execute(params![
                id,
                seq + 1,
                at,
                to.as_str(),
                batch,
                u.change.reason
            ])
            .map_err(&err)?;
        update.execute(params![id, to.as_str(), at]).map_err(&err)?;
        written += 1;
    }
    Ok(written)
}

/// Records status changes in one transaction.
pub(crate) fn record_status_changes(
    conn: &mut Connection,
    path: &Path,
    updates: &[StatusUpdate],
) -> Result<BatchReceipt, StoreError> {
    if updates.is_empty() {
        return Ok(BatchReceipt::default());
    }
    let tx = super::begin_write(conn, path)?;
    let batch = batches::begin(&tx, path, BatchKind::Status)?;
    let written = apply_updates(&tx, path, updates, batch)?;
    if written == 0 {
        return Ok(BatchReceipt {
            batch: None,
            written,
            skipped: updates.len(),
            ..Default::default()
        });
    }
    batches::finish(&tx, path, batch, written)?;
    super::commit(tx, path, "recording status changes")?;
    Ok(BatchReceipt {
        batch: Some(batch),
        written,
        skipped: updates.len() - written,
        ..Default::default()
    })
}
