//! Billing in SQLite: transactions as rows keyed by their deterministic id (amounts exact
//! decimal TEXT), and the ledger of billed invoice periods keyed by (subscription, period
//! start) — what a billing run skips.

use rusqlite::{params, CachedStatement, Connection};
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use super::batches;
use super::error::sql_error;
use crate::sql::codec::{date, decode, parse_date};
use crate::sql::{parse_kind, parse_service, parse_source, source_columns};
use fieldwork::billing::{BillingKey, Transaction, TransactionSource};
use fieldwork::model::{CustomerId, SubscriptionId};
use fieldwork::store::{BatchKind, BatchReceipt, StoreError};

/// Records the billed periods and the new transactions, in one transaction.
pub(crate) fn save(
    conn: &mut Connection,
    path: &Path,
    transactions: &[Transaction],
    billed: &[BillingKey],
) -> Result<BatchReceipt, StoreError> {
    if transactions.is_empty() && billed.is_empty() {
        return Ok(BatchReceipt::default());
    }
    let tx = super::begin_write(conn, path)?;
    let batch = batches::begin(&tx, path, BatchKind::Billing)?;
    let (written, skipped, periods) = write(&tx, path, transactions, billed, batch)?;
    if written + periods == 0 {
        return Ok(BatchReceipt {
            batch: None,
            written,
            skipped,
            ..Default::default()
        });
    }
    batches::finish(&tx, path, batch, written + periods)?;
    super::commit(tx, path, "posting a billing run")?;
    Ok(BatchReceipt {
        batch: Some(batch),
        written,
        skipped,
        ..Default::default()
    })
}

/// Records the billed periods and the new transactions within `tx`, in `batch`; returns
/// (transactions written, transactions skipped, periods recorded).
pub(crate) fn write(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
    transactions: &[Transaction],
    billed: &[BillingKey],
    batch: i64,
) -> Result<(usize, usize, usize), StoreError> {
    let err = sql_error(path, "posting a billing run");
    let mut subscription = tx
        .prepare_cached("SELECT 1 FROM subscriptions WHERE id = ?1")
        .map_err(&err)?;
    let periods = insert_periods(tx, &mut subscription, batch, billed, &err)?;
    let (written, skipped) = insert_transactions(tx, &mut subscription, batch, transactions, &err)?;
    Ok((written, skipped, periods))
}

/// Checks, with the prepared `SELECT 1 FROM subscriptions` statement, that a billed
/// subscription is stored.
fn check_subscription(
    subscription: &mut CachedStatement<'_>,
    sub: &SubscriptionId,
    err: &impl Fn(rusqlite::Error) -> StoreError,
) -> Result<(), StoreError> {
    if subscription.exists([sub.as_str()]).map_err(err)? {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            entity: "subscription",
            id: sub.to_string(),
            message: "billed, but not stored".into(),
        })
    }
}

/// Records the billed periods of stored subscriptions in `batch` (already billed ones are
/// ignored); returns how many were new.
fn insert_periods(
    tx: &rusqlite::Transaction<'_>,
    subscription: &mut CachedStatement<'_>,
    batch: i64,
    billed: &[BillingKey],
    err: &impl Fn(rusqlite::Error) -> StoreError,
) -> Result<usize, StoreError> {
    let mut period = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO billed_periods (subscription_id, period_start, batch_id) \
             VALUES (?1, ?2, ?3)",
        )
        .map_err(err)?;
    let mut periods = 0;
    for key in billed {
        check_subscription(subscription, &key.subscription, err)?;
        periods += period
            .execute(params![
                key.subscription.as_str(),
                date(&key.period_start),
                batch
            ])
            .map_err(err)?;
    }
    Ok(periods)
}

/// Inserts the transactions not yet stored (nor repeated in `transactions`) in `batch`;
/// returns how many were written and how many skipped.
pub(crate) fn insert_transactions(
    tx: &rusqlite::Transaction<'_>,
    subscription: &mut CachedStatement<'_>,
    batch: i64,
    transactions: &[Transaction],
    err: &impl Fn(rusqlite::Error) -> StoreError,
) -> Result<(usize, usize), StoreError> {
    let mut known = tx
        .prepare_cached("SELECT 1 FROM billing_transactions WHERE id = ?1")
        .map_err(err)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO billing_transactions (id, customer_id, subscription_id, \
             period_start, return_order_id, return_line, kind, date, service_start, \
             service_end, amount, currency, description, batch_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )
        .map_err(err)?;
    let (mut written, mut skipped) = (0, 0);
    let mut seen = HashSet::new();
    for t in transactions {
        if !seen.insert(t.id.as_str()) || known.exists([t.id.as_str()]).map_err(err)? {
            skipped += 1;
            continue;
        }
        if let TransactionSource::Subscription {
            subscription: id, ..
        } = &t.source
        {
            check_subscription(subscription, id, err)?;
        }
        let (sub, start, rma, line) = source_columns(&t.source);
        insert
            .execute(params![
                t.id,
                t.customer.as_str(),
                sub,
                start,
                rma,
                line,
                t.kind.as_str(),
                date(&t.date),
                t.service.as_ref().map(|s| date(&s.start)),
                t.service.as_ref().map(|s| date(&s.end)),
                t.amount.to_string(),
                t.currency,
                t.description,
                batch
            ])
            .map_err(err)?;
        written += 1;
    }
    Ok((written, skipped))
}

/// The billed invoice periods.
pub(crate) fn billed(conn: &Connection, path: &Path) -> Result<BTreeSet<BillingKey>, StoreError> {
    let err = sql_error(path, "reading billed periods");
    let mut stmt = conn
        .prepare_cached("SELECT subscription_id, period_start FROM billed_periods")
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    let mut out = BTreeSet::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let sub: String = row.get(0).map_err(&err)?;
        let start: String = row.get(1).map_err(&err)?;
        out.insert(BillingKey {
            period_start: parse_date(&start, "billed period", &sub)?,
            subscription: SubscriptionId::new(sub),
        });
    }
    Ok(out)
}

/// The stored transactions in the order they were written.
pub(crate) fn list(conn: &Connection, path: &Path) -> Result<Vec<Transaction>, StoreError> {
    let err = sql_error(path, "reading billing transactions");
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, customer_id, subscription_id, period_start, return_order_id, \
             return_line, kind, date, service_start, service_end, amount, currency, description \
             FROM billing_transactions ORDER BY rowid",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    let entity = "billing transaction";
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let id: String = row.get(0).map_err(&err)?;
        let text = |i: usize| row.get::<_, String>(i).map_err(&err);
        let opt = |i: usize| row.get::<_, Option<String>>(i).map_err(&err);
        let source = parse_source(
            &id,
            opt(2)?,
            opt(3)?,
            opt(4)?,
            row.get::<_, Option<u32>>(5).map_err(&err)?,
        )?;
        let kind = parse_kind(&text(6)?, &id)?;
        let service = parse_service(&id, opt(8)?, opt(9)?)?;
        let amount = text(10)?;
        out.push(Transaction {
            customer: CustomerId::new(text(1)?),
            source,
            kind,
            date: parse_date(&text(7)?, entity, &id)?,
            service,
            amount: amount
                .parse::<Decimal>()
                .map_err(|e| decode(entity, &id, format!("amount `{amount}`: {e}")))?,
            currency: text(11)?,
            description: text(12)?,
            id,
        });
    }
    Ok(out)
}
