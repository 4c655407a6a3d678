//! The SQLite store of the `fieldwork` binary (rusqlite with SQLite bundled —
//! no system library needed): [`SqliteStore`] implements [`Store`] on one database file.
//!
//! - Schema migrations are applied on open ([`schema`]); a database newer than this build is
//!   refused with [`SqliteError::SchemaTooNew`] and left untouched.
//! - WAL journal, `synchronous = NORMAL` (a killed process never loses a committed batch; a
//!   power cut may lose the last ones, never consistency), foreign keys on.
//! - Every write method is one `BEGIN IMMEDIATE` transaction stamped with a batch id; statements
//!   are prepared (and cached), parameters always bound.
//! - A busy database waits up to the busy timeout, then reports [`SqliteError::Locked`]; a file
//!   that is not a fieldwork database (or is damaged) reports [`SqliteError::Corrupt`] (both
//!   inside [`StoreError::Unavailable`]).

pub mod access;
mod batches;
mod billing;
mod error;
mod model;
mod operations;
mod orders;
mod plans;
pub mod schema;
mod sla;

pub use error::SqliteError;
pub use schema::{MigrationReport, LATEST_VERSION};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use error::sql_error;
use fieldwork::billing::{BillingKey, Transaction as BillingTransaction};
use fieldwork::model::{Absence, Dataset, Model, OrderOperation, ServiceOrder};
use fieldwork::store::{
    BatchReceipt, BatchRecord, GeneratedOrder, History, ReturnStep, SlaSnapshot, StatusUpdate,
    Store, StoreError, StoredPlan,
};

/// How to open a database.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Create the file when it does not exist (otherwise [`SqliteError::Missing`]).
    pub create: bool,
    /// How long to wait for another process's write lock before [`SqliteError::Locked`].
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            create: false,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A [`Store`] on an SQLite database file.
///
/// ```
/// use fieldwork_host::sqlite::SqliteStore;
/// use fieldwork::store::Store;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("fieldwork.db");
/// assert!(SqliteStore::open(&path).is_err()); // missing: not created implicitly
/// let store = SqliteStore::create(&path).unwrap();
/// assert_eq!(store.migration().from, 0);
/// assert!(store.load_model().unwrap().customers().is_empty());
/// ```
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    migration: MigrationReport,
}

impl SqliteStore {
    /// Opens an existing database (applying pending migrations).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, &OpenOptions::default())
    }

    /// Opens the database, creating it when missing.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(
            path,
            &OpenOptions {
                create: true,
                ..OpenOptions::default()
            },
        )
    }

    /// A private in-memory database (for tests).
    pub fn in_memory() -> Result<Self, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(sql_error(&path, "opening"))?;
        Self::setup(conn, path, Duration::from_secs(0))
    }

    /// Opens a database with explicit options.
    pub fn open_with(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        if path.is_dir() {
            return Err(SqliteError::IsDirectory { path }.into());
        }
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
            if options.create && !folder.is_dir() {
                let folder = folder.to_owned();
                return Err(SqliteError::NoFolder { path, folder }.into());
            }
        }
        if !options.create && !path.exists() {
            return Err(SqliteError::Missing { path }.into());
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if options.create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn =
            Connection::open_with_flags(&path, flags).map_err(sql_error(&path, "opening"))?;
        Self::setup(conn, path, options.busy_timeout)
    }

    fn setup(
        mut conn: Connection,
        path: PathBuf,
        busy_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let err = |context: &'static str| sql_error(&path, context);
        conn.busy_timeout(busy_timeout)
            .map_err(err("setting the busy timeout"))?;
        // Reading the header first: a file that is not a database fails here, clearly.
        conn.pragma_query_value(None, "schema_version", |row| row.get::<_, i64>(0))
            .map_err(err("reading the database header"))?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(err("switching to WAL"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err("setting synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err("enabling foreign keys"))?;
        conn.set_prepared_statement_cache_capacity(64);
        let migration = schema::migrate(&mut conn, &path)?;
        Ok(Self {
            conn,
            path,
            migration,
        })
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening did to the schema (version found and version now).
    pub fn migration(&self) -> &MigrationReport {
        &self.migration
    }

    /// Runs `PRAGMA integrity_check` and `PRAGMA foreign_key_check`; returns the problems
    /// found (empty when the database is sound).
    pub fn check_integrity(&self) -> Result<Vec<String>, StoreError> {
        let err = sql_error(&self.path, "checking integrity");
        let mut problems = Vec::new();
        self.conn
            .pragma_query(None, "integrity_check", |row| {
                let line: String = row.get(0)?;
                if line != "ok" {
                    problems.push(line);
                }
                Ok(())
            })
            .map_err(&err)?;
        self.conn
            .pragma_query(None, "foreign_key_check", |row| {
                let table: String = row.get(0)?;
                let parent: String = row.get(2)?;
                problems.push(format!("{table}: dangling reference to {parent}"));
                Ok(())
            })
            .map_err(&err)?;
        Ok(problems)
    }

    /// The underlying connection, for read-only queries by hosts (reports, checks).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Starts a write transaction that takes the write lock at once (`BEGIN IMMEDIATE`).
pub(crate) fn begin_write<'c>(
    conn: &'c mut Connection,
    path: &Path,
) -> Result<Transaction<'c>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_error(path, "starting a write transaction"))
}

/// Commits; a deferred foreign-key violation is reported as a conflict.
pub(crate) fn commit(tx: Transaction<'_>, path: &Path, context: &str) -> Result<(), StoreError> {
    tx.commit().map_err(|e| match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict {
                entity: "batch",
                id: context.to_owned(),
                message: format!("a record refers to an entity that is not stored ({e})"),
            }
        }
        _ => error::classify(path, context, e),
    })
}

impl Store for SqliteStore {
    fn load_model(&self) -> Result<Model, StoreError> {
        model::load_model(&self.conn, &self.path)
    }

    fn replace_model(&mut self, m: &Model, history: &History) -> Result<(), StoreError> {
        model::replace(&mut self.conn, &self.path, m, history)
    }

    fn history(&self) -> Result<History, StoreError> {
        model::history(&self.conn, &self.path)
    }

    fn merge_entities(&mut self, incoming: &Dataset) -> Result<(), StoreError> {
        model::merge(&mut self.conn, &self.path, incoming)
    }

    fn remove_absence(&mut self, absence: &Absence) -> Result<bool, StoreError> {
        model::remove_absence(&mut self.conn, &self.path, absence)
    }

    fn generation_keys(&self) -> Result<HashSet<String>, StoreError> {
        orders::generation_keys(&self.conn, &self.path)
    }

    fn insert_generated(&mut self, o: &[GeneratedOrder]) -> Result<BatchReceipt, StoreError> {
        orders::insert_generated(&mut self.conn, &self.path, o)
    }

    fn record_status_changes(
        &mut self,
        updates: &[StatusUpdate],
    ) -> Result<BatchReceipt, StoreError> {
        orders::record_status_changes(&mut self.conn, &self.path, updates)
    }

    fn save_sla_snapshots(&mut self, s: &[SlaSnapshot]) -> Result<BatchReceipt, StoreError> {
        sla::save(&mut self.conn, &self.path, s)
    }

    fn sla_snapshots(&self) -> Result<Vec<SlaSnapshot>, StoreError> {
        sla::list(&self.conn, &self.path)
    }

    fn save_plan(
        &mut self,
        plan: &StoredPlan,
        updates: &[StatusUpdate],
    ) -> Result<BatchReceipt, StoreError> {
        plans::save(&mut self.conn, &self.path, plan, updates)
    }

    fn apply_operation(&mut self, operation: &OrderOperation) -> Result<ServiceOrder, StoreError> {
        operations::apply_operation(&mut self.conn, &self.path, operation)
    }

    fn apply_return_step(&mut self, step: &ReturnStep) -> Result<BatchReceipt, StoreError> {
        operations::apply_return_step(&mut self.conn, &self.path, step)
    }

    fn plans(&self) -> Result<Vec<StoredPlan>, StoreError> {
        plans::list(&self.conn, &self.path)
    }

    fn save_billing(
        &mut self,
        transactions: &[BillingTransaction],
        billed: &[BillingKey],
    ) -> Result<BatchReceipt, StoreError> {
        billing::save(&mut self.conn, &self.path, transactions, billed)
    }

    fn billed_periods(&self) -> Result<BTreeSet<BillingKey>, StoreError> {
        billing::billed(&self.conn, &self.path)
    }

    fn transactions(&self) -> Result<Vec<BillingTransaction>, StoreError> {
        billing::list(&self.conn, &self.path)
    }

    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        batches::list(&self.conn, &self.path)
    }
}
