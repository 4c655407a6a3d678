//! The model in SQLite: reference entities as JSON documents keyed by id (insertion order kept
//! by rowid, so an export lists them as imported), orders as normalised rows with their status
//! history in its own table. Loading reassembles a [`Dataset`] and validates it.

use rusqlite::{params, Connection, Transaction};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;
use std::path::Path;

use super::error::sql_error;
use super::orders::{write_order, OrderStatements, OrderWrite};
use super::{batches, billing, plans, sla};
use crate::sql::codec::{from_doc, instant, parse_instant, to_doc};
use crate::sql::{
    put_whole_sections, whole_section_rows, whole_sections, whole_sections_from_rows,
};
use fieldwork::model::{Absence, Dataset, Keyed, Model, OrderId, OrderStatus, StatusChange};
use fieldwork::store::{merge_datasets, BatchKind, GenerationKey, History, StoreError};

/// A table of JSON documents.
struct DocTable {
    entity: &'static str,
    select: &'static str,
    upsert: &'static str,
}

const CALENDARS: DocTable = DocTable {
    entity: "calendar",
    select: "SELECT id, doc FROM calendars ORDER BY rowid",
    upsert: "INSERT INTO calendars (id, doc) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
};
const CUSTOMERS: DocTable = DocTable {
    entity: "customer",
    select: "SELECT id, doc FROM customers ORDER BY rowid",
    upsert: "INSERT INTO customers (id, doc) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
};
const OBJECTS: DocTable = DocTable {
    entity: "service object",
    select: "SELECT id, doc FROM service_objects ORDER BY rowid",
    upsert: "INSERT INTO service_objects (id, doc) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
};
const TASKS: DocTable = DocTable {
    entity: "task",
    select: "SELECT code, doc FROM tasks ORDER BY rowid",
    upsert: "INSERT INTO tasks (code, doc) VALUES (?1, ?2)
             ON CONFLICT (code) DO UPDATE SET doc = excluded.doc",
};
const TECHNICIANS: DocTable = DocTable {
    entity: "technician",
    select: "SELECT id, doc FROM technicians ORDER BY rowid",
    upsert: "INSERT INTO technicians (id, doc) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
};
const AGREEMENTS: DocTable = DocTable {
    entity: "agreement",
    select: "SELECT id, doc FROM agreements ORDER BY rowid",
    upsert: "INSERT INTO agreements (id, doc, customer_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, customer_id = excluded.customer_id",
};
const SUBSCRIPTIONS: DocTable = DocTable {
    entity: "subscription",
    select: "SELECT id, doc FROM subscriptions ORDER BY rowid",
    upsert: "INSERT INTO subscriptions (id, doc, customer_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, customer_id = excluded.customer_id",
};
const RETURN_ORDERS: DocTable = DocTable {
    entity: "return order",
    select: "SELECT id, doc FROM return_orders ORDER BY rowid",
    upsert: "INSERT INTO return_orders (id, doc) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
};
const EXTENSIONS: DocTable = DocTable {
    entity: "extension",
    select: "SELECT name, doc FROM extensions ORDER BY rowid",
    upsert: "INSERT INTO extensions (name, doc) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET doc = excluded.doc",
};

/// Every table, children first (the order `replace` clears them in).
const ALL_TABLES_CLEAR: &str = "
    DELETE FROM absences;
    DELETE FROM plan_unassigned; DELETE FROM plan_visits; DELETE FROM plan_routes;
    DELETE FROM plans;
    DELETE FROM billing_transactions; DELETE FROM billed_periods; DELETE FROM sla_snapshots; DELETE FROM generation_keys;
    DELETE FROM order_status_history; DELETE FROM orders;
    DELETE FROM return_orders; DELETE FROM subscriptions; DELETE FROM agreements;
    DELETE FROM technicians; DELETE FROM tasks; DELETE FROM service_objects;
    DELETE FROM customers; DELETE FROM calendars; DELETE FROM extensions;
    DELETE FROM batches;";

fn read_docs<T: DeserializeOwned>(
    conn: &Connection,
    path: &Path,
    table: &DocTable,
) -> Result<Vec<T>, StoreError> {
    let context = format!("reading {} documents", table.entity);
    let err = sql_error(path, &context);
    let mut stmt = conn.prepare_cached(table.select).map_err(&err)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(&err)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, doc) = row.map_err(&err)?;
        out.push(from_doc(&doc, table.entity, &id)?);
    }
    Ok(out)
}

fn write_docs<'a, T: Serialize + 'a>(
    tx: &Transaction<'_>,
    path: &Path,
    table: &DocTable,
    items: impl IntoIterator<Item = (String, &'a T, Option<&'a str>)>,
) -> Result<usize, StoreError> {
    let context = format!("writing {} documents", table.entity);
    let err = sql_error(path, &context);
    let mut stmt = tx.prepare_cached(table.upsert).map_err(&err)?;
    let mut n = 0;
    for (id, item, customer) in items {
        let doc = to_doc(item, table.entity, &id)?;
        match customer {
            Some(c) => stmt.execute(params![id, doc, c]),
            None => stmt.execute(params![id, doc]),
        }
        .map_err(&err)?;
        n += 1;
    }
    Ok(n)
}

fn keyed<T: Keyed>(items: &[T]) -> impl Iterator<Item = (String, &T, Option<&str>)>
where
    T::Key: std::fmt::Display,
{
    items.iter().map(|i| (i.key().to_string(), i, None))
}

/// Reads the sections stored whole (see [`whole_sections`]) into a dataset holding only them.
fn read_whole_sections(conn: &Connection, path: &Path) -> Result<Dataset, StoreError> {
    let err = sql_error(path, "reading whole sections");
    let mut stmt = conn.prepare_cached(EXTENSIONS.select).map_err(&err)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(&err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(&err)?;
    whole_sections_from_rows(rows)
}

/// Loads the stored dataset (not yet validated).
pub(crate) fn load_dataset(conn: &Connection, path: &Path) -> Result<Dataset, StoreError> {
    let mut dataset = Dataset {
        calendars: read_docs(conn, path, &CALENDARS)?,
        customers: read_docs(conn, path, &CUSTOMERS)?,
        service_objects: read_docs(conn, path, &OBJECTS)?,
        tasks: read_docs(conn, path, &TASKS)?,
        technicians: read_docs(conn, path, &TECHNICIANS)?,
        agreements: read_docs(conn, path, &AGREEMENTS)?,
        subscriptions: read_docs(conn, path, &SUBSCRIPTIONS)?,
        return_orders: read_docs(conn, path, &RETURN_ORDERS)?,
        ..Dataset::default()
    };
    put_whole_sections(&mut dataset, read_whole_sections(conn, path)?);
    dataset.orders = load_orders(conn, path)?;
    dataset.absences = load_absences(conn, path)?;
    Ok(dataset)
}

/// Loads the absences in the order they were stored.
fn load_absences(conn: &Connection, path: &Path) -> Result<Vec<Absence>, StoreError> {
    let err = sql_error(path, "reading absences");
    let mut stmt = conn
        .prepare_cached("SELECT technician_id, start, end, reason FROM absences ORDER BY rowid")
        .map_err(&err)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })
        .map_err(&err)?;
    let mut out = Vec::new();
    for row in rows {
        let (technician, start, end, reason) = row.map_err(&err)?;
        let start = parse_instant(&start, "absence", &technician)?;
        let end = parse_instant(&end, "absence", &technician)?;
        out.push(Absence {
            technician: technician.into(),
            start,
            end,
            reason,
        });
    }
    Ok(out)
}

/// Upserts absences by technician, start and end; returns the rows written.
fn write_absences(
    tx: &Transaction<'_>,
    path: &Path,
    absences: &[Absence],
) -> Result<usize, StoreError> {
    let err = sql_error(path, "writing absences");
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO absences (technician_id, start, end, reason) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (technician_id, start, end) DO UPDATE SET reason = excluded.reason",
        )
        .map_err(&err)?;
    for a in absences {
        stmt.execute(params![
            a.technician.as_str(),
            instant(&a.start),
            instant(&a.end),
            a.reason
        ])
        .map_err(&err)?;
    }
    Ok(absences.len())
}

/// Loads the orders in insertion order with their status history.
fn load_orders(
    conn: &Connection,
    path: &Path,
) -> Result<Vec<fieldwork::model::ServiceOrder>, StoreError> {
    let err = sql_error(path, "reading orders");
    let mut history: HashMap<String, Vec<StatusChange>> = HashMap::new();
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT order_id, at, status, reason FROM order_status_history \
                 ORDER BY order_id, seq",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                ))
            })
            .map_err(&err)?;
        for row in rows {
            let (order, at, status, reason) = row.map_err(&err)?;
            let change = StatusChange {
                at: parse_instant(&at, "order", &order)?,
                status: OrderStatus::parse(&status).ok_or_else(|| StoreError::Decode {
                    entity: "order",
                    id: order.clone(),
                    message: format!("unknown status `{status}` in history"),
                })?,
                reason,
            };
            history.entry(order).or_default().push(change);
        }
    }
    let mut stmt = conn
        .prepare_cached("SELECT id, doc FROM orders ORDER BY rowid")
        .map_err(&err)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(&err)?;
    let mut orders = Vec::new();
    for row in rows {
        let (id, doc) = row.map_err(&err)?;
        let mut order: fieldwork::model::ServiceOrder = from_doc(&doc, "order", &id)?;
        order.history = history.remove(&id).unwrap_or_default();
        orders.push(order);
    }
    Ok(orders)
}

/// Loads and validates the stored model.
pub(crate) fn load_model(conn: &Connection, path: &Path) -> Result<Model, StoreError> {
    Ok(Model::from_dataset(load_dataset(conn, path)?)?)
}

/// Writes every entity of `dataset` (upserting by id) and the sections stored whole as
/// `whole` holds them within `tx`, stamping orders with `batch`; returns the number of rows
/// written.
fn write_dataset(
    tx: &Transaction<'_>,
    path: &Path,
    dataset: &Dataset,
    whole: &Dataset,
    batch: i64,
) -> Result<usize, StoreError> {
    let mut n = 0;
    n += write_docs(tx, path, &CALENDARS, keyed(&dataset.calendars))?;
    n += write_docs(tx, path, &CUSTOMERS, keyed(&dataset.customers))?;
    n += write_docs(tx, path, &OBJECTS, keyed(&dataset.service_objects))?;
    n += write_docs(tx, path, &TASKS, keyed(&dataset.tasks))?;
    n += write_docs(tx, path, &TECHNICIANS, keyed(&dataset.technicians))?;
    n += write_docs(
        tx,
        path,
        &AGREEMENTS,
        dataset
            .agreements
            .iter()
            .map(|a| (a.id.to_string(), a, Some(a.customer.as_str()))),
    )?;
    n += write_docs(
        tx,
        path,
        &SUBSCRIPTIONS,
        dataset
            .subscriptions
            .iter()
            .map(|s| (s.id.to_string(), s, Some(s.customer.as_str()))),
    )?;
    n += write_docs(tx, path, &RETURN_ORDERS, keyed(&dataset.return_orders))?;
    let rows = whole_section_rows(whole);
    n += write_docs(
        tx,
        path,
        &EXTENSIONS,
        rows.iter().map(|(k, v)| (k.clone(), v, None)),
    )?;
    n += write_absences(tx, path, &dataset.absences)?;
    let mut statements = OrderStatements::prepare(tx, path)?;
    for order in &dataset.orders {
        write_order(&mut statements, path, order, batch, OrderWrite::Upsert)?;
        n += 1;
    }
    Ok(n)
}

/// Replaces everything stored by `model` and `history`, in one transaction.
pub(crate) fn replace(
    conn: &mut Connection,
    path: &Path,
    model: &Model,
    history: &History,
) -> Result<(), StoreError> {
    let err = sql_error(path, "replacing the model");
    let tx = super::begin_write(conn, path)?;
    tx.execute_batch(ALL_TABLES_CLEAR).map_err(&err)?;
    let batch = batches::begin(&tx, path, BatchKind::Import)?;
    let dataset = model.to_dataset();
    let mut rows = write_dataset(&tx, path, &dataset, &whole_sections(&dataset), batch)?;
    rows += write_history(&tx, path, history, batch)?;
    batches::finish(&tx, path, batch, rows)?;
    super::commit(tx, path, "replacing the model")
}

/// Upserts the entities of `incoming`, in one transaction.
pub(crate) fn merge(
    conn: &mut Connection,
    path: &Path,
    incoming: &Dataset,
) -> Result<(), StoreError> {
    let tx = super::begin_write(conn, path)?;
    let batch = batches::begin(&tx, path, BatchKind::Import)?;
    // The sections stored whole are written as merged into what is stored.
    let (whole, _) = merge_datasets(read_whole_sections(&tx, path)?, &whole_sections(incoming));
    let rows = write_dataset(&tx, path, incoming, &whole, batch)?;
    batches::finish(&tx, path, batch, rows)?;
    super::commit(tx, path, "merging the dataset")
}

/// Deletes the absence identified by `absence`'s technician, start and end, in one
/// transaction; returns whether a row was deleted.
pub(crate) fn remove_absence(
    conn: &mut Connection,
    path: &Path,
    absence: &Absence,
) -> Result<bool, StoreError> {
    let tx = super::begin_write(conn, path)?;
    let batch = batches::begin(&tx, path, BatchKind::Import)?;
    let rows = tx
        .execute(
            "DELETE FROM absences WHERE technician_id = ?1 AND start = ?2 AND end = ?3",
            params![
                absence.technician.as_str(),
                instant(&absence.start),
                instant(&absence.end)
            ],
        )
        .map_err(sql_error(path, "removing an absence"))?;
    batches::finish(&tx, path, batch, rows)?;
    super::commit(tx, path, "removing an absence")?;
    Ok(rows > 0)
}

/// Writes `history` within `tx` in `batch` (into a store just cleared); returns the rows.
fn write_history(
    tx: &Transaction<'_>,
    path: &Path,
    history: &History,
    batch: i64,
) -> Result<usize, StoreError> {
    let err = sql_error(path, "restoring generation keys");
    let mut rows = 0;
    {
        let mut key = tx
            .prepare_cached(
                "INSERT INTO generation_keys (key, order_id, batch_id) VALUES (?1, ?2, ?3)",
            )
            .map_err(&err)?;
        for k in &history.generation_keys {
            key.execute(params![k.key, k.order.as_str(), batch])
                .map_err(&err)?;
            rows += 1;
        }
    }
    for plan in &history.plans {
        rows += plans::write(tx, path, plan, batch)?;
    }
    let (written, _, periods) = billing::write(
        tx,
        path,
        &history.transactions,
        &history.billed_periods,
        batch,
    )?;
    rows += written + periods;
    sla::write(tx, path, &history.sla_snapshots, batch)?;
    rows += history.sla_snapshots.len();
    Ok(rows)
}

/// Everything stored besides the model.
pub(crate) fn history(conn: &Connection, path: &Path) -> Result<History, StoreError> {
    let err = sql_error(path, "reading generation keys");
    let mut stmt = conn
        .prepare_cached("SELECT key, order_id FROM generation_keys ORDER BY key")
        .map_err(&err)?;
    let generation_keys = stmt
        .query_map([], |row| {
            Ok(GenerationKey {
                key: row.get(0)?,
                order: OrderId::new(row.get::<_, String>(1)?),
            })
        })
        .map_err(&err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(&err)?;
    Ok(History {
        generation_keys,
        plans: plans::list(conn, path)?,
        billed_periods: billing::billed(conn, path)?.into_iter().collect(),
        transactions: billing::list(conn, path)?,
        sla_snapshots: sla::list(conn, path)?,
    })
}
