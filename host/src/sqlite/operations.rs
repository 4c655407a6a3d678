//! Order operations and return-order steps in SQLite: each one `BEGIN IMMEDIATE` transaction
//! that reads the stored state, applies the library's state machine
//! ([`Model::preview_operation`](fieldwork::model::Model::preview_operation)) or checks the
//! step's starting status, and writes the result — so two processes recording operations on
//! the same order never overwrite each other: the second one sees the first one's result.

use rusqlite::{params, Connection};
use std::path::Path;

use super::batches;
use super::billing::insert_transactions;
use super::error::sql_error;
use super::model::load_model;
use super::orders::{write_order, OrderStatements, OrderWrite};
use crate::sql::codec::{from_doc, instant, to_doc};
use fieldwork::model::{OrderOperation, ReturnOrder, ServiceOrder};
use fieldwork::store::{BatchKind, BatchReceipt, ReturnStep, StoreError};

/// Applies one order operation in one transaction; returns the order as stored now.
pub(crate) fn apply_operation(
    conn: &mut Connection,
    path: &Path,
    operation: &OrderOperation,
) -> Result<ServiceOrder, StoreError> {
    let err = sql_error(path, "recording an order operation");
    let tx = super::begin_write(conn, path)?;
    // The model is read inside the write transaction: the operation applies to the order as
    // it is now, whatever another process wrote before the lock was taken.
    let model = load_model(&tx, path)?;
    let order = model.preview_operation(operation)?;
    let recorded = model
        .order(&order.id)
        .map_or(0, |before| before.history.len());
    let batch = batches::begin(&tx, path, BatchKind::Status)?;
    // The order's row keeps the batch that created it; the changes it gains are stamped with
    // this one (the history rows already stored keep theirs).
    let id = order.id.as_str();
    let bare = ServiceOrder {
        history: Vec::new(),
        ..order.clone()
    };
    let doc = to_doc(&bare, "order", id)?;
    tx.execute(
        "UPDATE orders SET priority = ?2, status = ?3, changed_at = ?4, due = ?5, doc = ?6 \
         WHERE id = ?1",
        params![
            id,
            order.priority.as_str(),
            order.status().as_str(),
            instant(&order.last_change_at()),
            order.due.as_ref().map(instant),
            doc
        ],
    )
    .map_err(&err)?;
    let mut rows = 1;
    for (seq, change) in order.history.iter().enumerate().skip(recorded) {
        tx.execute(
            "INSERT INTO order_status_history (order_id, seq, at, status, batch_id, reason) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                seq as i64 + 1,
                instant(&change.at),
                change.status.as_str(),
                batch,
                change.reason
            ],
        )
        .map_err(&err)?;
        rows += 1;
    }
    batches::finish(&tx, path, batch, rows)?;
    super::commit(tx, path, "recording an order operation")?;
    Ok(order)
}

/// Writes one return-order step in one transaction.
pub(crate) fn apply_return_step(
    conn: &mut Connection,
    path: &Path,
    step: &ReturnStep,
) -> Result<BatchReceipt, StoreError> {
    let id = step.rma.id.as_str();
    let conflict = |message: String| StoreError::Conflict {
        entity: "return order",
        id: id.to_owned(),
        message,
    };
    let err = sql_error(path, "recording a return-order step");
    let tx = super::begin_write(conn, path)?;
    let doc: Option<String> =
        match tx.query_row("SELECT doc FROM return_orders WHERE id = ?1", [id], |row| {
            row.get(0)
        }) {
            Ok(doc) => Some(doc),
            Err(rusqlite::Error::QueryReturnedNoRows) => None,
            Err(e) => return Err(err(e)),
        };
    let stored: ReturnOrder = match doc {
        Some(doc) => from_doc(&doc, "return order", id)?,
        None => return Err(conflict("is not stored".into())),
    };
    if stored.status != step.from {
        return Err(conflict(format!(
            "is {}, not {} (changed since it was read)",
            stored.status, step.from
        )));
    }
    let batch = batches::begin(&tx, path, BatchKind::Status)?;
    let doc = to_doc(&step.rma, "return order", id)?;
    tx.execute(
        "UPDATE return_orders SET doc = ?2 WHERE id = ?1",
        params![id, doc],
    )
    .map_err(&err)?;
    let (written, skipped) = {
        let mut statements = OrderStatements::prepare(&tx, path)?;
        for order in &step.orders {
            write_order(&mut statements, path, order, batch, OrderWrite::Insert)?;
        }
        let mut subscription = tx
            .prepare_cached("SELECT 1 FROM subscriptions WHERE id = ?1")
            .map_err(&err)?;
        insert_transactions(&tx, &mut subscription, batch, &step.transactions, &err)?
    };
    let rows = 1 + step.orders.len() + written;
    batches::finish(&tx, path, batch, rows)?;
    super::commit(tx, path, "recording a return-order step")?;
    Ok(BatchReceipt {
        batch: Some(batch),
        written: rows,
        skipped,
        ..Default::default()
    })
}
