//! The model in PostgreSQL: reference entities as JSON documents keyed by id (insertion order
//! kept by `seq`, so an export lists them as imported), orders as normalised rows with their
//! status history in its own table — the layout of the SQLite store. Loading reassembles a
//! [`Dataset`] and validates it.

use postgres::Transaction;
use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;

use super::error::pg_error;
use super::orders::{OrderRows, OrderWrite};
use super::{batches, billing, get, plans, sla};
use crate::sql::codec::{from_doc, instant, parse_instant, to_doc};
use crate::sql::{
    put_whole_sections, whole_section_rows, whole_sections, whole_sections_from_rows,
};
use fieldwork::model::{
    Absence, Dataset, Keyed, Model, OrderId, OrderStatus, ServiceOrder, StatusChange,
};
use fieldwork::store::{merge_datasets, BatchKind, GenerationKey, History, StoreError};

/// A table of JSON documents: (table, entity, whether it has a customer column).
struct DocTable {
    table: &'static str,
    entity: &'static str,
    customer: bool,
}

const fn docs(table: &'static str, entity: &'static str, customer: bool) -> DocTable {
    DocTable {
        table,
        entity,
        customer,
    }
}

const CALENDARS: DocTable = docs("calendars", "calendar", false);
const CUSTOMERS: DocTable = docs("customers", "customer", false);
const OBJECTS: DocTable = docs("service_objects", "service object", false);
const TASKS: DocTable = docs("tasks", "task", false);
const TECHNICIANS: DocTable = docs("technicians", "technician", false);
const AGREEMENTS: DocTable = docs("agreements", "agreement", true);
const SUBSCRIPTIONS: DocTable = docs("subscriptions", "subscription", true);
const RETURN_ORDERS: DocTable = docs("return_orders", "return order", false);
const EXTENSIONS: DocTable = docs("extensions", "extension", false);

/// Every table, children first (the order `replace` clears them in).
const ALL_TABLES_CLEAR: &str = "
    DELETE FROM absences;
    DELETE FROM plan_unassigned; DELETE FROM plan_visits; DELETE FROM plan_routes;
    DELETE FROM plans;
    DELETE FROM billing_transactions; DELETE FROM billed_periods; DELETE FROM sla_snapshots;
    DELETE FROM generation_keys;
    DELETE FROM order_status_history; DELETE FROM orders;
    DELETE FROM return_orders; DELETE FROM subscriptions; DELETE FROM agreements;
    DELETE FROM technicians; DELETE FROM tasks; DELETE FROM service_objects;
    DELETE FROM customers; DELETE FROM calendars; DELETE FROM extensions;
    DELETE FROM work_parts; DELETE FROM work_runs;
    DELETE FROM batches;";

fn read_rows(
    tx: &mut Transaction<'_>,
    url: &str,
    table: &DocTable,
) -> Result<Vec<(String, String)>, StoreError> {
    let rows = tx
        .query(
            &format!("SELECT id, doc FROM {} ORDER BY seq", table.table),
            &[],
        )
        .map_err(pg_error(url, format!("reading {} documents", table.entity)))?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
}

fn read_docs<T: DeserializeOwned>(
    tx: &mut Transaction<'_>,
    url: &str,
    table: &DocTable,
) -> Result<Vec<T>, StoreError> {
    read_rows(tx, url, table)?
        .iter()
        .map(|(id, doc)| from_doc(doc, table.entity, id))
        .collect()
}

/// Upserts documents by id, in one statement; returns the rows written.
fn write_docs<'a, T: Serialize + 'a>(
    tx: &mut Transaction<'_>,
    url: &str,
    table: &DocTable,
    items: impl IntoIterator<Item = (String, &'a T, Option<&'a str>)>,
) -> Result<usize, StoreError> {
    let (mut ids, mut docs, mut customers) = (Vec::new(), Vec::new(), Vec::new());
    for (id, item, customer) in items {
        docs.push(to_doc(item, table.entity, &id)?);
        ids.push(id);
        customers.push(customer);
    }
    if ids.is_empty() {
        return Ok(0);
    }
    let err = pg_error(url, format!("writing {} documents", table.entity));
    let name = table.table;
    if table.customer {
        tx.execute(
            &format!(
                "INSERT INTO {name} (id, doc, customer_id) SELECT i, d, c FROM \
                 unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(i, d, c, n) \
                 ORDER BY n ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, \
                 customer_id = excluded.customer_id"
            ),
            &[&ids, &docs, &customers],
        )
        .map_err(&err)?;
    } else {
        tx.execute(
            &format!(
                "INSERT INTO {name} (id, doc) SELECT i, d FROM unnest($1::text[], $2::text[]) \
                 WITH ORDINALITY AS u(i, d, n) ORDER BY n \
                 ON CONFLICT (id) DO UPDATE SET doc = excluded.doc"
            ),
            &[&ids, &docs],
        )
        .map_err(&err)?;
    }
    Ok(ids.len())
}

fn keyed<T: Keyed>(items: &[T]) -> impl Iterator<Item = (String, &T, Option<&str>)>
where
    T::Key: std::fmt::Display,
{
    items.iter().map(|i| (i.key().to_string(), i, None))
}

/// Loads the stored dataset (not yet validated).
pub(crate) fn load_dataset(tx: &mut Transaction<'_>, url: &str) -> Result<Dataset, StoreError> {
    let mut dataset = Dataset {
        calendars: read_docs(tx, url, &CALENDARS)?,
        customers: read_docs(tx, url, &CUSTOMERS)?,
        service_objects: read_docs(tx, url, &OBJECTS)?,
        tasks: read_docs(tx, url, &TASKS)?,
        technicians: read_docs(tx, url, &TECHNICIANS)?,
        agreements: read_docs(tx, url, &AGREEMENTS)?,
        subscriptions: read_docs(tx, url, &SUBSCRIPTIONS)?,
        return_orders: read_docs(tx, url, &RETURN_ORDERS)?,
        ..Dataset::default()
    };
    put_whole_sections(
        &mut dataset,
        whole_sections_from_rows(read_rows(tx, url, &EXTENSIONS)?)?,
    );
    dataset.orders = load_orders(tx, url)?;
    dataset.absences = load_absences(tx, url)?;
    Ok(dataset)
}

/// Loads the absences in the order they were stored.
fn load_absences(tx: &mut Transaction<'_>, url: &str) -> Result<Vec<Absence>, StoreError> {
    let rows = tx
        .query(
            "SELECT technician_id, start, \"end\", reason FROM absences ORDER BY seq",
            &[],
        )
        .map_err(pg_error(url, "reading absences"))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let technician: String = get(&row, 0)?;
        out.push(Absence {
            start: parse_instant(get(&row, 1)?, "absence", &technician)?,
            end: parse_instant(get(&row, 2)?, "absence", &technician)?,
            reason: get(&row, 3)?,
            technician: technician.into(),
        });
    }
    Ok(out)
}

/// Upserts absences by technician, start and end; returns the rows written.
fn write_absences(
    tx: &mut Transaction<'_>,
    url: &str,
    absences: &[Absence],
) -> Result<usize, StoreError> {
    if absences.is_empty() {
        return Ok(0);
    }
    let techs: Vec<&str> = absences.iter().map(|a| a.technician.as_str()).collect();
    let starts: Vec<String> = absences.iter().map(|a| instant(&a.start)).collect();
    let ends: Vec<String> = absences.iter().map(|a| instant(&a.end)).collect();
    let reasons: Vec<&str> = absences.iter().map(|a| a.reason.as_str()).collect();
    tx.execute(
        "INSERT INTO absences (technician_id, start, \"end\", reason) SELECT t, s, e, r FROM \
         unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY \
         AS u(t, s, e, r, n) ORDER BY n \
         ON CONFLICT (technician_id, start, \"end\") DO UPDATE SET reason = excluded.reason",
        &[&techs, &starts, &ends, &reasons],
    )
    .map_err(pg_error(url, "writing absences"))?;
    Ok(absences.len())
}

/// Loads the orders in insertion order with their status history.
fn load_orders(tx: &mut Transaction<'_>, url: &str) -> Result<Vec<ServiceOrder>, StoreError> {
    let err = pg_error(url, "reading orders");
    let mut history: HashMap<String, Vec<StatusChange>> = HashMap::new();
    for row in tx
        .query(
            "SELECT order_id, at, status, reason FROM order_status_history \
             ORDER BY order_id, seq",
            &[],
        )
        .map_err(&err)?
    {
        let order: String = get(&row, 0)?;
        let status: &str = get(&row, 2)?;
        let change = StatusChange {
            at: parse_instant(get(&row, 1)?, "order", &order)?,
            status: OrderStatus::parse(status).ok_or_else(|| StoreError::Decode {
                entity: "order",
                id: order.clone(),
                message: format!("unknown status `{status}` in history"),
            })?,
            reason: get(&row, 3)?,
        };
        history.entry(order).or_default().push(change);
    }
    let rows = tx
        .query("SELECT id, doc FROM orders ORDER BY seq", &[])
        .map_err(&err)?;
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = get(&row, 0)?;
        let mut order: ServiceOrder = from_doc(get(&row, 1)?, "order", &id)?;
        order.history = history.remove(&id).unwrap_or_default();
        orders.push(order);
    }
    Ok(orders)
}

/// Loads and validates the stored model.
pub(crate) fn load_model(tx: &mut Transaction<'_>, url: &str) -> Result<Model, StoreError> {
    Ok(Model::from_dataset(load_dataset(tx, url)?)?)
}

/// Writes every entity of `dataset` (upserting by id) and the sections stored whole as
/// `whole` holds them within `tx`, stamping orders with `batch`; returns the rows written.
fn write_dataset(
    tx: &mut Transaction<'_>,
    url: &str,
    dataset: &Dataset,
    whole: &Dataset,
    batch: i64,
) -> Result<usize, StoreError> {
    let mut n = 0;
    n += write_docs(tx, url, &CALENDARS, keyed(&dataset.calendars))?;
    n += write_docs(tx, url, &CUSTOMERS, keyed(&dataset.customers))?;
    n += write_docs(tx, url, &OBJECTS, keyed(&dataset.service_objects))?;
    n += write_docs(tx, url, &TASKS, keyed(&dataset.tasks))?;
    n += write_docs(tx, url, &TECHNICIANS, keyed(&dataset.technicians))?;
    n += write_docs(
        tx,
        url,
        &AGREEMENTS,
        dataset
            .agreements
            .iter()
            .map(|a| (a.id.to_string(), a, Some(a.customer.as_str()))),
    )?;
    n += write_docs(
        tx,
        url,
        &SUBSCRIPTIONS,
        dataset
            .subscriptions
            .iter()
            .map(|s| (s.id.to_string(), s, Some(s.customer.as_str()))),
    )?;
    n += write_docs(tx, url, &RETURN_ORDERS, keyed(&dataset.return_orders))?;
    let rows = whole_section_rows(whole);
    n += write_docs(
        tx,
        url,
        &EXTENSIONS,
        rows.iter().map(|(k, v)| (k.clone(), v, None)),
    )?;
    n += write_absences(tx, url, &dataset.absences)?;
    let mut orders = OrderRows::default();
    for order in &dataset.orders {
        orders.push(order)?;
    }
    n += orders.write(tx, url, batch, OrderWrite::Upsert)?;
    Ok(n)
}

/// Replaces everything stored by `model` and `history`, within `tx`.
pub(crate) fn replace(
    tx: &mut Transaction<'_>,
    url: &str,
    model: &Model,
    history: &History,
) -> Result<(), StoreError> {
    tx.batch_execute(ALL_TABLES_CLEAR)
        .map_err(pg_error(url, "replacing the model"))?;
    let batch = batches::begin(tx, url, BatchKind::Import)?;
    let dataset = model.to_dataset();
    let mut rows = write_dataset(tx, url, &dataset, &whole_sections(&dataset), batch)?;
    rows += write_history(tx, url, history, batch)?;
    batches::finish(tx, url, batch, rows)
}

/// Upserts the entities of `incoming`, within `tx`.
pub(crate) fn merge(
    tx: &mut Transaction<'_>,
    url: &str,
    incoming: &Dataset,
) -> Result<(), StoreError> {
    let batch = batches::begin(tx, url, BatchKind::Import)?;
    // The sections stored whole are written as merged into what is stored.
    let stored = whole_sections_from_rows(read_rows(tx, url, &EXTENSIONS)?)?;
    let (whole, _) = merge_datasets(stored, &whole_sections(incoming));
    let rows = write_dataset(tx, url, incoming, &whole, batch)?;
    batches::finish(tx, url, batch, rows)
}

/// Deletes the stored absence with `absence`'s identity (technician, start and end) in one
/// batch within `tx`; returns whether one was stored.
pub(crate) fn remove_absence(
    tx: &mut Transaction<'_>,
    url: &str,
    absence: &Absence,
) -> Result<bool, StoreError> {
    let batch = batches::begin(tx, url, BatchKind::Import)?;
    let rows = tx
        .execute(
            "DELETE FROM absences WHERE technician_id = $1 AND start = $2 AND \"end\" = $3",
            &[
                &absence.technician.as_str(),
                &instant(&absence.start),
                &instant(&absence.end),
            ],
        )
        .map_err(pg_error(url, "removing an absence"))?;
    batches::finish(tx, url, batch, rows as usize)?;
    Ok(rows > 0)
}

/// Writes `history` within `tx` in `batch` (into a store just cleared); returns the rows.
fn write_history(
    tx: &mut Transaction<'_>,
    url: &str,
    history: &History,
    batch: i64,
) -> Result<usize, StoreError> {
    let mut rows = 0;
    if !history.generation_keys.is_empty() {
        let keys: Vec<&str> = history
            .generation_keys
            .iter()
            .map(|k| k.key.as_str())
            .collect();
        let orders: Vec<&str> = history
            .generation_keys
            .iter()
            .map(|k| k.order.as_str())
            .collect();
        tx.execute(
            "INSERT INTO generation_keys (key, order_id, batch_id) \
             SELECT k, o, $3 FROM unnest($1::text[], $2::text[]) AS u(k, o)",
            &[&keys, &orders, &batch],
        )
        .map_err(pg_error(url, "restoring generation keys"))?;
        rows += keys.len();
    }
    for plan in &history.plans {
        rows += plans::write(tx, url, plan, batch)?;
    }
    let (written, _, periods) = billing::write(
        tx,
        url,
        &history.transactions,
        &history.billed_periods,
        batch,
    )?;
    rows += written + periods;
    sla::write(tx, url, &history.sla_snapshots, batch)?;
    rows += history.sla_snapshots.len();
    Ok(rows)
}

/// Everything stored besides the model.
pub(crate) fn history(tx: &mut Transaction<'_>, url: &str) -> Result<History, StoreError> {
    let generation_keys = tx
        .query(
            "SELECT key, order_id FROM generation_keys ORDER BY key COLLATE \"C\"",
            &[],
        )
        .map_err(pg_error(url, "reading generation keys"))?
        .iter()
        .map(|r| {
            Ok(GenerationKey {
                key: get(r, 0)?,
                order: OrderId::new(get::<String>(r, 1)?),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(History {
        generation_keys,
        plans: plans::list(tx, url)?,
        billed_periods: billing::billed(tx, url)?.into_iter().collect(),
        transactions: billing::list(tx, url)?,
        sla_snapshots: sla::list(tx, url)?,
    })
}
