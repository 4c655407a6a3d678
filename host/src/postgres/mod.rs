//! The PostgreSQL store of the `fieldwork` binary (the synchronous `postgres` driver, so the
//! CLI needs no async runtime): [`PgStore`] implements [`Store`] on one schema of a PostgreSQL
//! database, with the tables, columns and values of the SQLite store ([`crate::sql`]), for a
//! business that outgrows one machine — several processes on several machines share it, e.g.
//! `fieldwork worker`s.
//!
//! - Select it with `--db postgres://user@host/db` (or `FIELDWORK_DB`); the store lives in the
//!   connection's current schema (add `?options=-csearch_path%3DNAME` to choose one).
//! - Schema migrations are applied on open ([`schema`]); a schema newer than this build is
//!   refused with [`PgError::SchemaTooNew`] and left untouched.
//! - Every write method is one transaction stamped with a batch id, holding the store's write
//!   lock (a transaction-scoped advisory lock keyed by the schema) from its start: writers are
//!   serialised exactly as SQLite's `BEGIN IMMEDIATE` serialises them, so every check a write
//!   makes inside its transaction (a stored generation key, an order's status) is still true
//!   when it commits. A writer waits up to the lock timeout, then reports
//!   [`PgError::Locked`].
//! - Reads run in one `REPEATABLE READ` read-only transaction each, so a model is read as one
//!   consistent snapshot while other processes write.
//! - Rows are written in bulk: one `INSERT … SELECT FROM unnest(…)` per table and batch, so a
//!   batch costs a handful of round trips whatever its size.

mod access;
mod batches;
mod billing;
mod error;
mod model;
mod operations;
mod orders;
mod plans;
pub mod schema;
mod sla;
pub mod work;

pub use error::PgError;
pub use schema::LATEST_VERSION;
pub use work::{Claim, PartStore, RunBase};

use postgres::{Client, Config, IsolationLevel, NoTls, Transaction};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};
use std::str::FromStr;
use std::time::Duration;

use crate::sql::MigrationReport;
use error::{pg_error, redact};
use fieldwork::billing::{BillingKey, Transaction as BillingTransaction};
use fieldwork::model::{Absence, Dataset, Model, OrderOperation, ServiceOrder};
use fieldwork::store::{
    BatchReceipt, BatchRecord, GeneratedOrder, History, ReturnStep, SlaSnapshot, StatusUpdate,
    Store, StoreError, StoredPlan,
};

/// Whether `location` (a `--db` value) names a PostgreSQL database rather than a file.
///
/// ```
/// use fieldwork_host::postgres::is_postgres_url;
/// assert!(is_postgres_url("postgres://ann@db.example/fieldwork"));
/// assert!(is_postgres_url("postgresql:///fieldwork"));
/// assert!(!is_postgres_url("fieldwork.db"));
/// ```
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// How to open a PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Create the schema's tables when there are none (otherwise [`PgError::Missing`]).
    pub create: bool,
    /// How long a write waits for another process's write lock before [`PgError::Locked`].
    pub lock_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            create: false,
            lock_timeout: Duration::from_secs(5),
        }
    }
}

/// A [`Store`] on one schema of a PostgreSQL database.
///
/// ```no_run
/// use fieldwork::store::Store;
/// use fieldwork_host::postgres::{PgOptions, PgStore};
/// let options = PgOptions { create: true, ..PgOptions::default() };
/// let store = PgStore::open_with("postgres://ann@localhost/fieldwork", &options).unwrap();
/// assert!(store.load_model().unwrap().customers().is_empty());
/// ```
pub struct PgStore {
    client: RefCell<Client>,
    /// The URL with its password hidden (for messages).
    url: String,
    schema: String,
    migration: MigrationReport,
    /// A scratch schema dropped with the store (tests).
    scratch: bool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.url)
            .field("schema", &self.schema)
            .field("migration", &self.migration)
            .finish_non_exhaustive()
    }
}

/// Connects to `url` (parse and connection errors are [`PgError`]s naming the redacted URL).
fn connect(url: &str) -> Result<Client, StoreError> {
    let shown = redact(url);
    let mut config = Config::from_str(url).map_err(|e| PgError::BadUrl {
        url: shown.clone(),
        detail: e.to_string(),
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name("fieldwork");
    }
    config.connect(NoTls).map_err(|e| {
        PgError::Unreachable {
            url: shown,
            detail: match e.as_db_error() {
                Some(db) => db.message().to_owned(),
                None => e.to_string(),
            },
        }
        .into()
    })
}

impl PgStore {
    /// Opens the store at `url` (applying pending migrations; a database without fieldwork
    /// tables is [`PgError::Missing`]).
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, &PgOptions::default())
    }

    /// Opens the store at `url`, creating its tables when the schema has none.
    pub fn create(url: &str) -> Result<Self, StoreError> {
        Self::open_with(
            url,
            &PgOptions {
                create: true,
                ..PgOptions::default()
            },
        )
    }

    /// Opens the store at `url` with explicit options.
    pub fn open_with(url: &str, options: &PgOptions) -> Result<Self, StoreError> {
        Self::setup(connect(url)?, redact(url), options, false)
    }

    /// A store in a new, uniquely named schema of the database at `url`, dropped with the
    /// store (for tests: each gets its own schema, so tests run in parallel on one database).
    pub fn scratch(url: &str) -> Result<Self, StoreError> {
        let mut client = connect(url)?;
        let shown = redact(url);
        let schema = scratch_name();
        client
            .batch_execute(&format!(
                "CREATE SCHEMA {schema}; SET search_path TO {schema}"
            ))
            .map_err(pg_error(&shown, "creating a scratch schema"))?;
        let options = PgOptions {
            create: true,
            ..PgOptions::default()
        };
        Self::setup(client, shown, &options, true)
    }

    fn setup(
        mut client: Client,
        url: String,
        options: &PgOptions,
        scratch: bool,
    ) -> Result<Self, StoreError> {
        let (migration, schema) = {
            let err = pg_error(&url, "configuring the session");
            client
                .batch_execute(&format!(
                    "SET lock_timeout = {}; SET client_min_messages = warning",
                    options.lock_timeout.as_millis().max(1)
                ))
                .map_err(&err)?;
            let migration = schema::migrate(&mut client, &url, options.create)?;
            let row = client
                .query_one("SELECT current_schema()", &[])
                .map_err(&err)?;
            let schema: String = get(&row, 0)?;
            (migration, schema)
        };
        Ok(Self {
            client: RefCell::new(client),
            url,
            schema,
            migration,
            scratch,
        })
    }

    /// The URL (password hidden).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The schema the store lives in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// What opening did to the schema (version found and version now).
    pub fn migration(&self) -> &MigrationReport {
        &self.migration
    }

    /// Runs `f` in one write transaction holding the store's write lock; commits when `f`
    /// returns `Ok(Some(_))`, rolls back on `Ok(None)` (nothing to write) or an error.
    pub(crate) fn write<T>(
        &self,
        context: &str,
        f: impl FnOnce(&mut Transaction<'_>, &str) -> Result<(T, bool), StoreError>,
    ) -> Result<T, StoreError> {
        let url = self.url.as_str();
        let err = pg_error(url, context);
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction().map_err(&err)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
            &[&schema::LOCK_SPACE],
        )
        .map_err(&err)?;
        let (value, commit) = f(&mut tx, url)?;
        if commit {
            // Under the write lock: the revision other processes poll (`AccessStore::revision`).
            tx.execute("UPDATE fieldwork_revision SET revision = revision + 1", &[])
                .map_err(&err)?;
            tx.commit().map_err(|e| match e.code() {
                Some(code) if *code == postgres::error::SqlState::FOREIGN_KEY_VIOLATION => {
                    StoreError::Conflict {
                        entity: "batch",
                        id: context.to_owned(),
                        message: format!(
                            "a record refers to an entity that is not stored ({})",
                            e.as_db_error()
                                .map_or(e.to_string(), |d| d.message().to_owned())
                        ),
                    }
                }
                _ => err(e),
            })?;
        }
        Ok(value)
    }

    /// Runs `f` in one read-only `REPEATABLE READ` transaction (one consistent snapshot).
    pub(crate) fn read<T>(
        &self,
        context: &str,
        f: impl FnOnce(&mut Transaction<'_>, &str) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let url = self.url.as_str();
        let err = pg_error(url, context);
        let mut client = self.client.borrow_mut();
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(&err)?;
        let value = f(&mut tx, url)?;
        tx.commit().map_err(&err)?;
        Ok(value)
    }

    /// The connection, for hosts' own queries (the workers' claims, tests). Not part of the
    /// [`Store`] seam: every write of the model goes through the trait.
    pub fn client(&self) -> std::cell::RefMut<'_, Client> {
        self.client.borrow_mut()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if self.scratch {
            let statement = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
            // Best effort: a scratch schema left behind by a failed drop is harmless.
            let _ = self.client.get_mut().batch_execute(&statement);
        }
    }
}

/// Column `i` of a row as a `T`; a column of another type (a schema edited by hand) is a
/// decoding error, never a panic.
pub(crate) fn get<'a, T: postgres::types::FromSql<'a>>(
    row: &'a postgres::Row,
    i: usize,
) -> Result<T, StoreError> {
    row.try_get(i).map_err(|e| StoreError::Decode {
        entity: "row",
        id: row
            .columns()
            .get(i)
            .map_or_else(|| i.to_string(), |c| c.name().to_owned()),
        message: e.to_string(),
    })
}

/// A schema name unique to this process, moment and call.
fn scratch_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("fw_scratch_{}_{n}_{nanos}", std::process::id())
}

impl Store for PgStore {
    fn load_model(&self) -> Result<Model, StoreError> {
        self.read("reading the model", model::load_model)
    }

    fn replace_model(&mut self, m: &Model, history: &History) -> Result<(), StoreError> {
        self.write("replacing the model", |tx, url| {
            model::replace(tx, url, m, history).map(|()| ((), true))
        })
    }

    fn history(&self) -> Result<History, StoreError> {
        self.read("reading the history", model::history)
    }

    fn merge_entities(&mut self, incoming: &Dataset) -> Result<(), StoreError> {
        self.write("merging the dataset", |tx, url| {
            model::merge(tx, url, incoming).map(|()| ((), true))
        })
    }

    fn remove_absence(&mut self, absence: &Absence) -> Result<bool, StoreError> {
        self.write("removing an absence", |tx, url| {
            model::remove_absence(tx, url, absence).map(|removed| (removed, true))
        })
    }

    fn generation_keys(&self) -> Result<HashSet<String>, StoreError> {
        self.read("reading generation keys", |tx, url| {
            orders::generation_keys(tx, url)
        })
    }

    fn insert_generated(&mut self, o: &[GeneratedOrder]) -> Result<BatchReceipt, StoreError> {
        if o.is_empty() {
            return Ok(BatchReceipt::default());
        }
        self.write("writing generated orders", |tx, url| {
            orders::insert_generated(tx, url, o)
        })
    }

    fn record_status_changes(
        &mut self,
        updates: &[StatusUpdate],
    ) -> Result<BatchReceipt, StoreError> {
        if updates.is_empty() {
            return Ok(BatchReceipt::default());
        }
        self.write("recording status changes", |tx, url| {
            orders::record_status_changes(tx, url, updates)
        })
    }

    fn save_sla_snapshots(&mut self, s: &[SlaSnapshot]) -> Result<BatchReceipt, StoreError> {
        if s.is_empty() {
            return Ok(BatchReceipt::default());
        }
        self.write("writing SLA snapshots", |tx, url| sla::save(tx, url, s))
    }

    fn sla_snapshots(&self) -> Result<Vec<SlaSnapshot>, StoreError> {
        self.read("reading SLA snapshots", sla::list)
    }

    fn save_plan(
        &mut self,
        plan: &StoredPlan,
        updates: &[StatusUpdate],
    ) -> Result<BatchReceipt, StoreError> {
        self.write("writing a plan", |tx, url| {
            plans::save(tx, url, plan, updates).map(|r| (r, true))
        })
    }

    fn apply_operation(&mut self, operation: &OrderOperation) -> Result<ServiceOrder, StoreError> {
        self.write("recording an order operation", |tx, url| {
            operations::apply_operation(tx, url, operation).map(|o| (o, true))
        })
    }

    fn apply_return_step(&mut self, step: &ReturnStep) -> Result<BatchReceipt, StoreError> {
        self.write("recording a return-order step", |tx, url| {
            operations::apply_return_step(tx, url, step).map(|r| (r, true))
        })
    }

    fn plans(&self) -> Result<Vec<StoredPlan>, StoreError> {
        self.read("reading plans", plans::list)
    }

    fn save_billing(
        &mut self,
        transactions: &[BillingTransaction],
        billed: &[BillingKey],
    ) -> Result<BatchReceipt, StoreError> {
        if transactions.is_empty() && billed.is_empty() {
            return Ok(BatchReceipt::default());
        }
        self.write("posting a billing run", |tx, url| {
            billing::save(tx, url, transactions, billed)
        })
    }

    fn billed_periods(&self) -> Result<BTreeSet<BillingKey>, StoreError> {
        self.read("reading billed periods", billing::billed)
    }

    fn transactions(&self) -> Result<Vec<BillingTransaction>, StoreError> {
        self.read("reading billing transactions", |tx, url| {
            billing::list(tx, url)
        })
    }

    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        self.read("reading the batch log", batches::list)
    }
}

/// `url` with its password replaced by `***`, for messages.
///
/// ```
/// use fieldwork_host::postgres::redact_url;
/// assert_eq!(redact_url("postgres://ann:pw@db/fw"), "postgres://ann:***@db/fw");
/// ```
pub fn redact_url(url: &str) -> String {
    redact(url)
}
