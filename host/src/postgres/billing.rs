//! Billing in PostgreSQL: transactions as rows keyed by their deterministic id (amounts exact
//! decimal TEXT), and the ledger of billed invoice periods keyed by (subscription, period
//! start) — what a billing run skips. The rows of the SQLite store, written in bulk.

use postgres::Transaction;
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashSet};

use super::error::pg_error;
use super::orders::stored_ids;
use super::{batches, get};
use crate::sql::codec::{date, decode, parse_date};
use crate::sql::{parse_kind, parse_service, parse_source, source_columns};
use fieldwork::billing::{BillingKey, Transaction as BillingTransaction, TransactionSource};
use fieldwork::model::{CustomerId, SubscriptionId};
use fieldwork::store::{BatchKind, BatchReceipt, StoreError};

/// Records the billed periods and the new transactions in one batch; returns the receipt and
/// whether to commit.
pub(crate) fn save(
    tx: &mut Transaction<'_>,
    url: &str,
    transactions: &[BillingTransaction],
    billed: &[BillingKey],
) -> Result<(BatchReceipt, bool), StoreError> {
    let batch = batches::begin(tx, url, BatchKind::Billing)?;
    let (written, skipped, periods) = write(tx, url, transactions, billed, batch)?;
    if written + periods == 0 {
        let receipt = BatchReceipt {
            batch: None,
            written,
            skipped,
            ..Default::default()
        };
        return Ok((receipt, false));
    }
    batches::finish(tx, url, batch, written + periods)?;
    let receipt = BatchReceipt {
        batch: Some(batch),
        written,
        skipped,
        ..Default::default()
    };
    Ok((receipt, true))
}

/// Refuses subscriptions that are not stored (the first one is named).
fn check_subscriptions<'a>(
    tx: &mut Transaction<'_>,
    url: &str,
    subscriptions: impl Iterator<Item = &'a SubscriptionId> + Clone,
) -> Result<(), StoreError> {
    let ids: Vec<&str> = subscriptions.clone().map(|s| s.as_str()).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let stored = stored_ids(tx, url, "subscriptions", &ids)?;
    match subscriptions
        .into_iter()
        .find(|s| !stored.contains(s.as_str()))
    {
        Some(sub) => Err(StoreError::Conflict {
            entity: "subscription",
            id: sub.to_string(),
            message: "billed, but not stored".into(),
        }),
        None => Ok(()),
    }
}

/// Records the billed periods and the new transactions within `tx`, in `batch`; returns
/// (transactions written, transactions skipped, periods recorded).
pub(crate) fn write(
    tx: &mut Transaction<'_>,
    url: &str,
    transactions: &[BillingTransaction],
    billed: &[BillingKey],
    batch: i64,
) -> Result<(usize, usize, usize), StoreError> {
    check_subscriptions(tx, url, billed.iter().map(|k| &k.subscription))?;
    let mut periods = 0;
    if !billed.is_empty() {
        let subs: Vec<&str> = billed.iter().map(|k| k.subscription.as_str()).collect();
        let starts: Vec<String> = billed.iter().map(|k| date(&k.period_start)).collect();
        periods = tx
            .execute(
                "INSERT INTO billed_periods (subscription_id, period_start, batch_id) \
                 SELECT s, p, $3 FROM unnest($1::text[], $2::text[]) AS u(s, p) \
                 ON CONFLICT DO NOTHING",
                &[&subs, &starts, &batch],
            )
            .map_err(pg_error(url, "posting a billing run"))? as usize;
    }
    let (written, skipped) = insert_transactions(tx, url, batch, transactions)?;
    Ok((written, skipped, periods))
}

/// Inserts the transactions not yet stored (nor repeated in `transactions`) in `batch`;
/// returns how many were written and how many skipped.
pub(crate) fn insert_transactions(
    tx: &mut Transaction<'_>,
    url: &str,
    batch: i64,
    transactions: &[BillingTransaction],
) -> Result<(usize, usize), StoreError> {
    if transactions.is_empty() {
        return Ok((0, 0));
    }
    let ids: Vec<&str> = transactions.iter().map(|t| t.id.as_str()).collect();
    let known = stored_ids(tx, url, "billing_transactions", &ids)?;
    let mut seen = HashSet::new();
    let new: Vec<&BillingTransaction> = transactions
        .iter()
        .filter(|t| seen.insert(t.id.as_str()) && !known.contains(&t.id))
        .collect();
    let skipped = transactions.len() - new.len();
    check_subscriptions(
        tx,
        url,
        new.iter().filter_map(|t| match &t.source {
            TransactionSource::Subscription { subscription, .. } => Some(subscription),
            TransactionSource::ReturnOrder { .. } => None,
        }),
    )?;
    if new.is_empty() {
        return Ok((0, skipped));
    }
    let text = |f: &dyn Fn(&BillingTransaction) -> Option<String>| -> Vec<Option<String>> {
        new.iter().map(|t| f(t)).collect()
    };
    fn source(t: &BillingTransaction) -> crate::sql::SourceColumns<'_> {
        source_columns(&t.source)
    }
    let lines: Vec<Option<i64>> = new.iter().map(|t| source(t).3.map(i64::from)).collect();
    tx.execute(
        "INSERT INTO billing_transactions (id, customer_id, subscription_id, period_start, \
         return_order_id, return_line, kind, date, service_start, service_end, amount, \
         currency, description, batch_id) \
         SELECT i, c, s, p, r, l, k, d, ss, se, a, cu, de, $14 FROM unnest($1::text[], \
         $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::text[], $8::text[], \
         $9::text[], $10::text[], $11::text[], $12::text[], $13::text[]) WITH ORDINALITY \
         AS u(i, c, s, p, r, l, k, d, ss, se, a, cu, de, n) ORDER BY n",
        &[
            &text(&|t| Some(t.id.clone())),
            &text(&|t| Some(t.customer.to_string())),
            &text(&|t| source(t).0.map(str::to_owned)),
            &text(&|t| source(t).1),
            &text(&|t| source(t).2.map(str::to_owned)),
            &lines,
            &text(&|t| Some(t.kind.as_str().to_owned())),
            &text(&|t| Some(date(&t.date))),
            &text(&|t| t.service.as_ref().map(|s| date(&s.start))),
            &text(&|t| t.service.as_ref().map(|s| date(&s.end))),
            &text(&|t| Some(t.amount.to_string())),
            &text(&|t| Some(t.currency.clone())),
            &text(&|t| Some(t.description.clone())),
            &batch,
        ],
    )
    .map_err(pg_error(url, "posting a billing run"))?;
    Ok((new.len(), skipped))
}

/// The billed invoice periods.
pub(crate) fn billed(
    tx: &mut Transaction<'_>,
    url: &str,
) -> Result<BTreeSet<BillingKey>, StoreError> {
    let rows = tx
        .query(
            "SELECT subscription_id, period_start FROM billed_periods",
            &[],
        )
        .map_err(pg_error(url, "reading billed periods"))?;
    let mut out = BTreeSet::new();
    for row in rows {
        let sub: String = get(&row, 0)?;
        out.insert(BillingKey {
            period_start: parse_date(get(&row, 1)?, "billed period", &sub)?,
            subscription: SubscriptionId::new(sub),
        });
    }
    Ok(out)
}

/// The stored transactions in the order they were written.
pub(crate) fn list(
    tx: &mut Transaction<'_>,
    url: &str,
) -> Result<Vec<BillingTransaction>, StoreError> {
    let rows = tx
        .query(
            "SELECT id, customer_id, subscription_id, period_start, return_order_id, \
             return_line, kind, date, service_start, service_end, amount, currency, description \
             FROM billing_transactions ORDER BY seq",
            &[],
        )
        .map_err(pg_error(url, "reading billing transactions"))?;
    let entity = "billing transaction";
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = get(&row, 0)?;
        let line: Option<i64> = get(&row, 5)?;
        let line = line
            .map(u32::try_from)
            .transpose()
            .map_err(|e| decode(entity, &id, format!("return line: {e}")))?;
        let source = parse_source(&id, get(&row, 2)?, get(&row, 3)?, get(&row, 4)?, line)?;
        let amount: String = get(&row, 10)?;
        out.push(BillingTransaction {
            customer: CustomerId::new(get::<String>(&row, 1)?),
            source,
            kind: parse_kind(get(&row, 6)?, &id)?,
            date: parse_date(get(&row, 7)?, entity, &id)?,
            service: parse_service(&id, get(&row, 8)?, get(&row, 9)?)?,
            amount: amount
                .parse::<Decimal>()
                .map_err(|e| decode(entity, &id, format!("amount `{amount}`: {e}")))?,
            currency: get(&row, 11)?,
            description: get(&row, 12)?,
            id,
        });
    }
    Ok(out)
}
