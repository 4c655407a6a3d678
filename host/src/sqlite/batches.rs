//! The batch log: every write transaction opens a batch row, stamps its rows with the batch id
//! and records how many it wrote, all inside the same transaction — so after any crash each
//! batch is wholly present or wholly absent, and its row count can be checked.

use chrono::Utc;
use rusqlite::{params, Connection, Transaction};
use std::path::Path;

use super::error::sql_error;
use crate::sql::codec::{instant, parse_instant};
use fieldwork::store::{BatchKind, BatchRecord, StoreError};

/// Opens a batch inside `tx`; returns its id.
pub(crate) fn begin(tx: &Transaction<'_>, path: &Path, kind: BatchKind) -> Result<i64, StoreError> {
    tx.prepare_cached("INSERT INTO batches (kind, at, rows) VALUES (?1, ?2, 0)")
        .and_then(|mut stmt| stmt.execute(params![kind.as_str(), instant(&Utc::now())]))
        .map_err(sql_error(path, "opening a write batch"))?;
    Ok(tx.last_insert_rowid())
}

/// Records the number of rows the batch wrote.
pub(crate) fn finish(
    tx: &Transaction<'_>,
    path: &Path,
    batch: i64,
    rows: usize,
) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE batches SET rows = ?2 WHERE id = ?1")
        .and_then(|mut stmt| stmt.execute(params![batch, rows as i64]))
        .map_err(sql_error(path, "closing a write batch"))?;
    Ok(())
}

/// The batch log, oldest first.
pub(crate) fn list(conn: &Connection, path: &Path) -> Result<Vec<BatchRecord>, StoreError> {
    let err = sql_error(path, "reading the batch log");
    let mut stmt = conn
        .prepare_cached("SELECT id, kind, at, rows FROM batches ORDER BY id")
        .map_err(&err)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .map_err(&err)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, kind, at, count) = row.map_err(&err)?;
        let id_text = id.to_string();
        out.push(BatchRecord {
            id,
            kind: BatchKind::parse(&kind).ok_or_else(|| StoreError::Decode {
                entity: "batch",
                id: id_text.clone(),
                message: format!("unknown kind `{kind}`"),
            })?,
            at: parse_instant(&at, "batch", &id_text)?,
            rows: count.max(0) as u64,
        });
    }
    Ok(out)
}
