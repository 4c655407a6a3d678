//! Orders in PostgreSQL: the rows of the SQLite store ([`crate::sql::order_columns`]), written
//! in bulk — every order of a batch in one `INSERT … SELECT FROM unnest(…)`, their status
//! histories in a second, their generation keys in a third — after the checks SQLite makes row
//! by row are made for the whole batch with one query each, inside the write transaction.

use postgres::Transaction;
use std::collections::{HashMap, HashSet};

use super::error::pg_error;
use super::{batches, get};
use crate::sql::codec::{instant, parse_instant};
use crate::sql::{order_columns, order_doc, origin_columns};
use fieldwork::model::{OrderStatus, ServiceOrder};
use fieldwork::store::{BatchKind, BatchReceipt, GeneratedOrder, StatusUpdate, StoreError};

/// How order rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderWrite {
    /// New orders: the caller has checked that no id is stored.
    Insert,
    /// Insert or replace the orders with the same ids (and their histories).
    Upsert,
}

/// The columns of a set of orders and of their status histories, ready to be bound as arrays.
#[derive(Default)]
pub(crate) struct OrderRows {
    ids: Vec<String>,
    customers: Vec<String>,
    agreements: Vec<Option<String>>,
    lines: Vec<Option<String>>,
    occurrences: Vec<Option<String>>,
    priorities: Vec<&'static str>,
    statuses: Vec<&'static str>,
    created: Vec<String>,
    changed: Vec<String>,
    dues: Vec<Option<String>>,
    docs: Vec<String>,
    history: HistoryRows,
    buf: Vec<u8>,
}

/// Status-history rows, ready to be bound as arrays.
#[derive(Default)]
pub(crate) struct HistoryRows {
    orders: Vec<String>,
    seqs: Vec<i64>,
    ats: Vec<String>,
    statuses: Vec<&'static str>,
    reasons: Vec<Option<String>>,
}

impl HistoryRows {
    /// Adds one change of `order` with its 1-based sequence number.
    pub(crate) fn push(&mut self, order: &str, seq: i64, change: &fieldwork::model::StatusChange) {
        self.orders.push(order.to_owned());
        self.seqs.push(seq);
        self.ats.push(instant(&change.at));
        self.statuses.push(change.status.as_str());
        self.reasons.push(change.reason.clone());
    }

    /// Inserts the rows in `batch`; returns how many.
    pub(crate) fn write(
        &self,
        tx: &mut Transaction<'_>,
        url: &str,
        batch: i64,
    ) -> Result<usize, StoreError> {
        if self.orders.is_empty() {
            return Ok(0);
        }
        tx.execute(
            "INSERT INTO order_status_history (order_id, seq, at, status, batch_id, reason) \
             SELECT o, s, a, st, $6, r FROM unnest($1::text[], $2::int8[], $3::text[], \
             $4::text[], $5::text[]) AS u(o, s, a, st, r)",
            &[
                &self.orders,
                &self.seqs,
                &self.ats,
                &self.statuses,
                &self.reasons,
                &batch,
            ],
        )
        .map_err(pg_error(url, "writing status histories"))?;
        Ok(self.orders.len())
    }
}

impl OrderRows {
    /// Adds one order (its document without the history, its history as rows).
    pub(crate) fn push(&mut self, order: &ServiceOrder) -> Result<(), StoreError> {
        let doc = order_doc(order, &mut self.buf)?.to_owned();
        let c = order_columns(order);
        self.ids.push(c.id.to_owned());
        self.customers.push(c.customer.to_owned());
        self.agreements.push(c.agreement.map(str::to_owned));
        self.lines.push(c.line.map(str::to_owned));
        self.occurrences.push(c.occurrence);
        self.priorities.push(c.priority);
        self.statuses.push(c.status);
        self.created.push(c.created_at);
        self.changed.push(c.changed_at);
        self.dues.push(c.due);
        self.docs.push(doc);
        for (seq, change) in order.history.iter().enumerate() {
            self.history.push(c.id, seq as i64 + 1, change);
        }
        Ok(())
    }

    /// Writes the orders and their histories in `batch`; returns the orders written.
    pub(crate) fn write(
        &self,
        tx: &mut Transaction<'_>,
        url: &str,
        batch: i64,
        mode: OrderWrite,
    ) -> Result<usize, StoreError> {
        if self.ids.is_empty() {
            return Ok(0);
        }
        let err = pg_error(url, "writing orders");
        let conflict = match mode {
            OrderWrite::Insert => "",
            OrderWrite::Upsert => {
                tx.execute(
                    "DELETE FROM order_status_history WHERE order_id = ANY($1)",
                    &[&self.ids],
                )
                .map_err(&err)?;
                " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, \
                 agreement_id = excluded.agreement_id, origin_line = excluded.origin_line, \
                 origin_occurrence = excluded.origin_occurrence, priority = excluded.priority, \
                 status = excluded.status, created_at = excluded.created_at, \
                 changed_at = excluded.changed_at, due = excluded.due, \
                 batch_id = excluded.batch_id, doc = excluded.doc"
            }
        };
        let statement = format!(
            "INSERT INTO orders (id, customer_id, agreement_id, origin_line, origin_occurrence, \
             priority, status, created_at, changed_at, due, batch_id, doc) \
             SELECT i, c, a, l, o, p, s, cr, ch, d, $12, doc FROM unnest($1::text[], \
             $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
             $8::text[], $9::text[], $10::text[], $11::text[]) WITH ORDINALITY \
             AS u(i, c, a, l, o, p, s, cr, ch, d, doc, n) ORDER BY n{conflict}"
        );
        tx.execute(
            &statement,
            &[
                &self.ids,
                &self.customers,
                &self.agreements,
                &self.lines,
                &self.occurrences,
                &self.priorities,
                &self.statuses,
                &self.created,
                &self.changed,
                &self.dues,
                &self.docs,
                &batch,
            ],
        )
        .map_err(&err)?;
        self.history.write(tx, url, batch)?;
        Ok(self.ids.len())
    }
}

/// The ids of `ids` that are stored.
pub(crate) fn stored_ids(
    tx: &mut Transaction<'_>,
    url: &str,
    table: &str,
    ids: &[&str],
) -> Result<HashSet<String>, StoreError> {
    let rows = tx
        .query(
            &format!("SELECT id FROM {table} WHERE id = ANY($1)"),
            &[&ids],
        )
        .map_err(pg_error(url, format!("reading {table}")))?;
    rows.iter().map(|r| get::<String>(r, 0)).collect()
}

/// Refuses new orders whose id is stored or repeated (the first such id is named).
pub(crate) fn check_new_orders(
    tx: &mut Transaction<'_>,
    url: &str,
    orders: &[ServiceOrder],
) -> Result<(), StoreError> {
    let ids: Vec<&str> = orders.iter().map(|o| o.id.as_str()).collect();
    let stored = stored_ids(tx, url, "orders", &ids)?;
    let mut seen = HashSet::new();
    for id in ids {
        if stored.contains(id) || !seen.insert(id) {
            return Err(StoreError::Conflict {
                entity: "order",
                id: id.to_owned(),
                message: "cannot be stored: the id is taken".into(),
            });
        }
    }
    Ok(())
}

/// Inserts generated orders whose key is new, with their keys; returns the receipt and whether
/// anything was written (to commit).
pub(crate) fn insert_generated(
    tx: &mut Transaction<'_>,
    url: &str,
    orders: &[GeneratedOrder],
) -> Result<(BatchReceipt, bool), StoreError> {
    let err = pg_error(url, "writing generated orders");
    let keys: Vec<&str> = orders.iter().map(|g| g.key.as_str()).collect();
    let known: HashSet<String> = tx
        .query(
            "SELECT key FROM generation_keys WHERE key = ANY($1)",
            &[&keys],
        )
        .map_err(&err)?
        .iter()
        .map(|r| get::<String>(r, 0))
        .collect::<Result<_, _>>()?;
    let ids: Vec<&str> = orders.iter().map(|g| g.order.id.as_str()).collect();
    // The origin of every stored order with one of these ids: the same order (e.g. brought in
    // by a merge import of an exported dataset) has the same line and occurrence.
    let mut origins: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
    for row in tx
        .query(
            "SELECT id, origin_line, origin_occurrence FROM orders WHERE id = ANY($1)",
            &[&ids],
        )
        .map_err(&err)?
    {
        origins.insert(get(&row, 0)?, (get(&row, 1)?, get(&row, 2)?));
    }
    let mut rows = OrderRows::default();
    let (mut new_keys, mut key_orders) = (Vec::new(), Vec::new());
    let mut written_keys = HashSet::new();
    let mut skipped_keys = Vec::new();
    for generated in orders {
        let id = generated.order.id.as_str();
        // A key repeated within the batch is found too: its first order is written.
        if known.contains(&generated.key) || written_keys.contains(generated.key.as_str()) {
            skipped_keys.push(generated.key.clone());
            continue;
        }
        let (line, occurrence) = origin_columns(&generated.order.origin);
        let origin = (line.map(str::to_owned), occurrence);
        match origins.get(id) {
            Some(stored) if *stored == origin => {
                skipped_keys.push(generated.key.clone());
                continue;
            }
            Some(_) => {
                return Err(StoreError::Conflict {
                    entity: "order",
                    id: id.to_owned(),
                    message: format!(
                        "id already taken by another order (generation key `{}`)",
                        generated.key
                    ),
                })
            }
            None => {}
        }
        rows.push(&generated.order)?;
        origins.insert(id.to_owned(), origin);
        written_keys.insert(generated.key.as_str());
        new_keys.push(generated.key.as_str());
        key_orders.push(id);
    }
    let written = new_keys.len();
    if written == 0 {
        // Nothing new: no batch is opened, nothing is logged.
        let receipt = BatchReceipt {
            batch: None,
            written,
            skipped: skipped_keys.len(),
            skipped_keys,
        };
        return Ok((receipt, false));
    }
    let batch = batches::begin(tx, url, BatchKind::Generate)?;
    rows.write(tx, url, batch, OrderWrite::Insert)?;
    tx.execute(
        "INSERT INTO generation_keys (key, order_id, batch_id) \
         SELECT k, o, $3 FROM unnest($1::text[], $2::text[]) AS u(k, o)",
        &[&new_keys, &key_orders, &batch],
    )
    .map_err(pg_error(url, "writing generation keys"))?;
    batches::finish(tx, url, batch, written)?;
    let receipt = BatchReceipt {
        batch: Some(batch),
        written,
        skipped: skipped_keys.len(),
        skipped_keys,
    };
    Ok((receipt, true))
}

/// The stored generation keys.
pub(crate) fn generation_keys(
    tx: &mut Transaction<'_>,
    url: &str,
) -> Result<HashSet<String>, StoreError> {
    tx.query("SELECT key FROM generation_keys", &[])
        .map_err(pg_error(url, "reading generation keys"))?
        .iter()
        .map(|r| get::<String>(r, 0))
        .collect()
}

/// An order's state as a batch of status changes sees it.
struct Current {
    status: OrderStatus,
    changed_at: chrono::DateTime<chrono::Utc>,
    seq: i64,
    touched: bool,
}

/// Appends status changes within `tx`, checking each against the stored status and the
/// lifecycle (in order: a later change of the same order sees the earlier one); returns the
/// number written. A change whose expected status is no longer the stored one is skipped.
pub(crate) fn apply_updates(
    tx: &mut Transaction<'_>,
    url: &str,
    updates: &[StatusUpdate],
    batch: i64,
) -> Result<usize, StoreError> {
    if updates.is_empty() {
        return Ok(0);
    }
    let err = pg_error(url, "recording status changes");
    let ids: Vec<&str> = updates.iter().map(|u| u.order.as_str()).collect();
    let mut current: HashMap<String, Current> = HashMap::new();
    for row in tx
        .query(
            "SELECT o.id, o.status, o.changed_at, \
             (SELECT coalesce(max(h.seq), 0) FROM order_status_history h WHERE h.order_id = o.id) \
             FROM orders o WHERE o.id = ANY($1)",
            &[&ids],
        )
        .map_err(&err)?
    {
        let id: String = get(&row, 0)?;
        let status: &str = get(&row, 1)?;
        let changed_at: &str = get(&row, 2)?;
        let state = Current {
            status: OrderStatus::parse(status).ok_or_else(|| StoreError::Conflict {
                entity: "order",
                id: id.clone(),
                message: format!("stored status `{status}` is unknown"),
            })?,
            changed_at: parse_instant(changed_at, "order", &id)?,
            seq: get(&row, 3)?,
            touched: false,
        };
        current.insert(id, state);
    }
    let mut history = HistoryRows::default();
    for u in updates {
        let id = u.order.as_str();
        let conflict = |message: String| StoreError::Conflict {
            entity: "order",
            id: id.to_owned(),
            message,
        };
        let Some(state) = current.get_mut(id) else {
            return Err(conflict(
                "status change for an order that is not stored".into(),
            ));
        };
        let from = state.status;
        if u.expected.is_some_and(|expected| expected != from) {
            continue;
        }
        let to = u.change.status;
        if !from.can_become(to) {
            return Err(conflict(format!("illegal transition {from} -> {to}")));
        }
        if u.change.at < state.changed_at {
            return Err(conflict(format!(
                "transition at {} is before the previous change at {}",
                u.change.at, state.changed_at
            )));
        }
        state.seq += 1;
        state.status = to;
        state.changed_at = u.change.at;
        state.touched = true;
        history.push(id, state.seq, &u.change);
    }
    let written = history.write(tx, url, batch)?;
    let (mut ids, mut statuses, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    for (id, state) in current.iter().filter(|(_, s)| s.touched) {
        ids.push(id.as_str());
        statuses.push(state.status.as_str());
        changed.push(instant(&state.changed_at));
    }
    if !ids.is_empty() {
        tx.execute(
            "UPDATE orders SET status = u.s, changed_at = u.c \
             FROM unnest($1::text[], $2::text[], $3::text[]) AS u(i, s, c) WHERE orders.id = u.i",
            &[&ids, &statuses, &changed],
        )
        .map_err(&err)?;
    }
    Ok(written)
}

/// Records status changes in one batch; returns the receipt and whether to commit.
pub(crate) fn record_status_changes(
    tx: &mut Transaction<'_>,
    url: &str,
    updates: &[StatusUpdate],
) -> Result<(BatchReceipt, bool), StoreError> {
    let batch = batches::begin(tx, url, BatchKind::Status)?;
    let written = apply_updates(tx, url, updates, batch)?;
    if written == 0 {
        let receipt = BatchReceipt {
            batch: None,
            written,
            skipped: updates.len(),
            ..Default::default()
        };
        return Ok((receipt, false));
    }
    batches::finish(tx, url, batch, written)?;
    let receipt = BatchReceipt {
        batch: Some(batch),
        written,
        skipped: updates.len() - written,
        ..Default::default()
    };
    Ok((receipt, true))
}
