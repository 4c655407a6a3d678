//! Order operations and return-order steps in PostgreSQL: each one write transaction (holding
//! the store's write lock) that reads the stored state, applies the library's state machine
//! ([`Model::preview_operation`](fieldwork::model::Model::preview_operation)) or checks the
//! step's starting status, and writes the result — so two processes recording operations on
//! the same order never overwrite each other: the second one sees the first one's result.

use postgres::Transaction;

use super::billing::insert_transactions;
use super::error::pg_error;
use super::model::load_model;
use super::orders::{check_new_orders, HistoryRows, OrderRows, OrderWrite};
use super::{batches, get};
use crate::sql::codec::{from_doc, instant, to_doc};
use fieldwork::model::{OrderOperation, ReturnOrder, ServiceOrder};
use fieldwork::store::{BatchKind, BatchReceipt, ReturnStep, StoreError};

/// Applies one order operation within `tx`; returns the order as stored now.
pub(crate) fn apply_operation(
    tx: &mut Transaction<'_>,
    url: &str,
    operation: &OrderOperation,
) -> Result<ServiceOrder, StoreError> {
    let err = pg_error(url, "recording an order operation");
    // The model is read inside the write transaction: the operation applies to the order as
    // it is now, whatever another process wrote before the lock was taken.
    let model = load_model(tx, url)?;
    let order = model.preview_operation(operation)?;
    let recorded = model
        .order(&order.id)
        .map_or(0, |before| before.history.len());
    let batch = batches::begin(tx, url, BatchKind::Status)?;
    // The order's row keeps the batch that created it; the changes it gains are stamped with
    // this one (the history rows already stored keep theirs).
    let id = order.id.as_str();
    let bare = ServiceOrder {
        history: Vec::new(),
        ..order.clone()
    };
    let doc = to_doc(&bare, "order", id)?;
    tx.execute(
        "UPDATE orders SET priority = $2, status = $3, changed_at = $4, due = $5, doc = $6 \
         WHERE id = $1",
        &[
            &id,
            &order.priority.as_str(),
            &order.status().as_str(),
            &instant(&order.last_change_at()),
            &order.due.as_ref().map(instant),
            &doc,
        ],
    )
    .map_err(&err)?;
    let mut history = HistoryRows::default();
    for (seq, change) in order.history.iter().enumerate().skip(recorded) {
        history.push(id, seq as i64 + 1, change);
    }
    let rows = 1 + history.write(tx, url, batch)?;
    batches::finish(tx, url, batch, rows)?;
    Ok(order)
}

/// Writes one return-order step within `tx`.
pub(crate) fn apply_return_step(
    tx: &mut Transaction<'_>,
    url: &str,
    step: &ReturnStep,
) -> Result<BatchReceipt, StoreError> {
    let id = step.rma.id.as_str();
    let conflict = |message: String| StoreError::Conflict {
        entity: "return order",
        id: id.to_owned(),
        message,
    };
    let err = pg_error(url, "recording a return-order step");
    let row = tx
        .query_opt("SELECT doc FROM return_orders WHERE id = $1", &[&id])
        .map_err(&err)?;
    let stored: ReturnOrder = match row {
        Some(row) => from_doc(get(&row, 0)?, "return order", id)?,
        None => return Err(conflict("is not stored".into())),
    };
    if stored.status != step.from {
        return Err(conflict(format!(
            "is {}, not {} (changed since it was read)",
            stored.status, step.from
        )));
    }
    let batch = batches::begin(tx, url, BatchKind::Status)?;
    let doc = to_doc(&step.rma, "return order", id)?;
    tx.execute(
        "UPDATE return_orders SET doc = $2 WHERE id = $1",
        &[&id, &doc],
    )
    .map_err(&err)?;
    check_new_orders(tx, url, &step.orders)?;
    let mut orders = OrderRows::default();
    for order in &step.orders {
        orders.push(order)?;
    }
    orders.write(tx, url, batch, OrderWrite::Insert)?;
    let (written, skipped) = insert_transactions(tx, url, batch, &step.transactions)?;
    let rows = 1 + step.orders.len() + written;
    batches::finish(tx, url, batch, rows)?;
    Ok(BatchReceipt {
        batch: Some(batch),
        written: rows,
        skipped,
        ..Default::default()
    })
}
