//! The batch log: every write transaction opens a batch row, stamps its rows with the batch id
//! and records how many it wrote, all inside the same transaction — so after any crash each
//! batch is wholly present or wholly absent, and its row count can be checked.

use chrono::Utc;
use postgres::Transaction;

use super::error::pg_error;
use super::get;
use crate::sql::codec::{instant, parse_instant};
use fieldwork::store::{BatchKind, BatchRecord, StoreError};

/// Opens a batch inside `tx`; returns its id.
pub(crate) fn begin(
    tx: &mut Transaction<'_>,
    url: &str,
    kind: BatchKind,
) -> Result<i64, StoreError> {
    let row = tx
        .query_one(
            "INSERT INTO batches (kind, at, rows) VALUES ($1, $2, 0) RETURNING id",
            &[&kind.as_str(), &instant(&Utc::now())],
        )
        .map_err(pg_error(url, "opening a write batch"))?;
    get(&row, 0)
}

/// Records the number of rows the batch wrote.
pub(crate) fn finish(
    tx: &mut Transaction<'_>,
    url: &str,
    batch: i64,
    rows: usize,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE batches SET rows = $2 WHERE id = $1",
        &[&batch, &(rows as i64)],
    )
    .map_err(pg_error(url, "closing a write batch"))?;
    Ok(())
}

/// The batch log, oldest first.
pub(crate) fn list(tx: &mut Transaction<'_>, url: &str) -> Result<Vec<BatchRecord>, StoreError> {
    let rows = tx
        .query("SELECT id, kind, at, rows FROM batches ORDER BY id", &[])
        .map_err(pg_error(url, "reading the batch log"))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = get(&row, 0)?;
        let kind: &str = get(&row, 1)?;
        let at: &str = get(&row, 2)?;
        let count: i64 = get(&row, 3)?;
        let id_text = id.to_string();
        out.push(BatchRecord {
            id,
            kind: BatchKind::parse(kind).ok_or_else(|| StoreError::Decode {
                entity: "batch",
                id: id_text.clone(),
                message: format!("unknown kind `{kind}`"),
            })?,
            at: parse_instant(at, "batch", &id_text)?,
            rows: count.max(0) as u64,
        });
    }
    Ok(out)
}
