//! Billing transactions in SQLite: one row per transaction, keyed by its idempotency key;
//! amounts are exact decimal TEXT.

use rusqlite::{params, Connection};
use rust_decimal::Decimal;
use std::path::Path;

use super::batches;
use super::codec::{date, decode, from_doc, parse_date, to_doc};
use super::error::sql_error;
use crate::model::{CustomerId, SubscriptionId};
use crate::store::{BatchKind, BatchReceipt, BillingTransaction, StoreError};

/// Inserts transactions whose key is new, in one transaction.
pub(crate) fn save(
    conn: &mut Connection,
    path: &Path,
    transactions: &[BillingTransaction],
) -> Result<BatchReceipt, StoreError> {
    if transactions.is_empty() {
        return Ok(BatchReceipt::default());
    }
    let err = sql_error(path, "writing billing transactions");
    let tx = super::begin_write(conn, path)?;
    let batch = batches::begin(&tx, path, BatchKind::Billing)?;
    let (mut written, mut skipped) = (0, 0);
    {
        let mut exists = tx
            .prepare_cached("SELECT 1 FROM subscriptions WHERE id = ?1")
            .map_err(&err)?;
        let mut insert = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO billing_transactions (key, subscription_id, customer_id, \
                 period_start, period_end, amount, currency, description, detail, batch_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(&err)?;
        for t in transactions {
            if !exists.exists([t.subscription.as_str()]).map_err(&err)? {
                return Err(StoreError::Conflict {
                    entity: "subscription",
                    id: t.subscription.to_string(),
                    message: "billing transaction for a subscription that is not stored".into(),
                });
            }
            let detail = if t.detail.is_null() {
                None
            } else {
                Some(to_doc(&t.detail, "billing transaction", &t.key)?)
            };
            let n = insert
                .execute(params![
                    t.key,
                    t.subscription.as_str(),
                    t.customer.as_str(),
                    date(&t.period_start),
                    date(&t.period_end),
                    t.amount.to_string(),
                    t.currency,
                    t.description,
                    detail,
                    batch
                ])
                .map_err(&err)?;
            if n == 0 {
                skipped += 1;
            } else {
                written += 1;
            }
        }
    }
    if written == 0 {
        return Ok(BatchReceipt {
            batch: None,
            written,
            skipped,
        });
    }
    batches::finish(&tx, path, batch, written)?;
    super::commit(tx, path, "writing billing transactions")?;
    Ok(BatchReceipt {
        batch: Some(batch),
        written,
        skipped,
    })
}

/// The stored transactions in the order they were written.
pub(crate) fn list(conn: &Connection, path: &Path) -> Result<Vec<BillingTransaction>, StoreError> {
    let err = sql_error(path, "reading billing transactions");
    let mut stmt = conn
        .prepare_cached(
            "SELECT key, subscription_id, customer_id, period_start, period_end, amount, \
             currency, description, detail FROM billing_transactions ORDER BY rowid",
        )
        .map_err(&err)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
                row.get::<_, String>(7)?,
                row.get::<_, Option<String>>(8)?,
            ))
        })
        .map_err(&err)?;
    let mut out = Vec::new();
    for row in rows {
        let (key, sub, customer, start, end, amount, currency, description, detail) =
            row.map_err(&err)?;
        let entity = "billing transaction";
        out.push(BillingTransaction {
            subscription: SubscriptionId::new(sub),
            customer: CustomerId::new(customer),
            period_start: parse_date(&start, entity, &key)?,
            period_end: parse_date(&end, entity, &key)?,
            amount: amount
                .parse::<Decimal>()
                .map_err(|e| decode(entity, &key, format!("amount `{amount}`: {e}")))?,
            currency,
            description,
            detail: match detail {
                Some(d) => from_doc(&d, entity, &key)?,
                None => serde_json::Value::Null,
            },
            key,
        });
    }
    Ok(out)
}
