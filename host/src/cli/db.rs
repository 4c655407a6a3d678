//! Opening the database for a command (`--db LOCATION`, default `fieldwork.db`) and mapping
//! store errors to CLI errors: input, file and lock problems exit 1, storage failures exit 2.
//!
//! The location is a file path (the SQLite store) or a `postgres://` / `postgresql://` URL
//! (the PostgreSQL store); this module is the one place that tells them apart, so every
//! command accepts both and sees only the [`Store`] trait.
//!
//! A command waits up to 5 seconds for another process's write lock before it reports the
//! database as locked; `FIELDWORK_BUSY_TIMEOUT_MS` changes the wait (both stores).

use std::path::Path;
use std::time::Duration;

use super::CliError;
use crate::postgres::{is_postgres_url, PgOptions, PgStore};
use crate::sql::access::HostStore;
use crate::sql::MigrationReport;
use crate::sqlite::{OpenOptions, SqliteStore};
use fieldwork::store::{Store, StoreError};

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        if e.is_user_error() {
            CliError::User(e.to_string())
        } else {
            CliError::Internal(e.to_string())
        }
    }
}

fn busy_timeout() -> Duration {
    std::env::var("FIELDWORK_BUSY_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(OpenOptions::default().busy_timeout, Duration::from_millis)
}

fn options(create: bool) -> OpenOptions {
    OpenOptions {
        create,
        busy_timeout: busy_timeout(),
    }
}

/// The PostgreSQL URL `location` names, if it names one.
pub fn postgres_url(location: &Path) -> Option<&str> {
    location.to_str().filter(|l| is_postgres_url(l))
}

/// Opens the PostgreSQL store at `url`.
pub fn open_postgres(url: &str, create: bool) -> Result<PgStore, CliError> {
    let options = PgOptions {
        create,
        lock_timeout: busy_timeout(),
    };
    Ok(PgStore::open_with(url, &options)?)
}

/// Opens an existing database (a missing one is an error that says how to create one).
pub fn open(location: &Path) -> Result<Box<dyn Store>, CliError> {
    if let Some(url) = postgres_url(location) {
        return Ok(Box::new(open_postgres(url, false).map_err(|e| {
            CliError::User(format!(
                "{e}\nhint: create the tables with `fieldwork init --db URL`"
            ))
        })?));
    }
    if !location.exists() {
        return Err(CliError::User(format!(
            "no database at {}\nhint: create one with `fieldwork init --db {0}` (or `fieldwork \
             demo`), or choose another with --db PATH or FIELDWORK_DB",
            location.display()
        )));
    }
    Ok(Box::new(SqliteStore::open_with(location, &options(false))?))
}

/// Opens the database, creating it (or the PostgreSQL schema's tables) when missing.
pub fn open_or_create(location: &Path) -> Result<Box<dyn Store>, CliError> {
    Ok(init(location)?.0)
}

/// Opens the database, creating it when missing; returns the store, whether it was created
/// and what opening did to its schema.
pub fn init(location: &Path) -> Result<(Box<dyn Store>, bool, MigrationReport), CliError> {
    if let Some(url) = postgres_url(location) {
        let store = open_postgres(url, true)?;
        let report = store.migration().clone();
        return Ok((Box::new(store), report.from == 0, report));
    }
    let existed = location.exists();
    let store = SqliteStore::open_with(location, &options(true))?;
    let report = store.migration().clone();
    Ok((Box::new(store), !existed, report))
}

/// The location as shown in messages (a URL's password hidden).
pub fn shown(location: &Path) -> String {
    match postgres_url(location) {
        Some(url) => crate::postgres::redact_url(url),
        None => location.display().to_string(),
    }
}

/// Opens an existing database as a [`HostStore`] (the commands that also use the host's own
/// tables — tokens, the audit log, calendar ledgers, the revision: `serve`, `token`), SQLite or
/// PostgreSQL alike.
pub fn open_host(location: &Path) -> Result<Box<dyn HostStore>, CliError> {
    if let Some(url) = postgres_url(location) {
        return Ok(Box::new(open_postgres(url, false).map_err(|e| {
            CliError::User(format!(
                "{e}\nhint: create the tables with `fieldwork init --db URL`"
            ))
        })?));
    }
    if !location.exists() {
        return Err(CliError::User(format!(
            "no database at {}\nhint: create one with `fieldwork init --db {0}`",
            location.display()
        )));
    }
    Ok(Box::new(SqliteStore::open_with(location, &options(false))?))
}
