//! Opening the database for a command (`--db PATH`, default `fieldwork.db`) and mapping store
//! errors to CLI errors: input, file and lock problems exit 1, storage failures exit 2.
//!
//! A command waits up to 5 seconds for another process's write lock before it reports the
//! database as locked; `FIELDWORK_BUSY_TIMEOUT_MS` changes the wait.

use std::path::Path;
use std::time::Duration;

use super::CliError;
use crate::sqlite::{OpenOptions, SqliteStore};
use fieldwork::store::StoreError;

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        if e.is_user_error() {
            CliError::User(e.to_string())
        } else {
            CliError::Internal(e.to_string())
        }
    }
}

fn options(create: bool) -> OpenOptions {
    let mut options = OpenOptions {
        create,
        ..OpenOptions::default()
    };
    if let Some(ms) = std::env::var("FIELDWORK_BUSY_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        options.busy_timeout = Duration::from_millis(ms);
    }
    options
}

/// Opens an existing database (a missing file is an error that says how to create one).
pub fn open(path: &Path) -> Result<SqliteStore, CliError> {
    if !path.exists() {
        return Err(CliError::User(format!(
            "no database at {}\nhint: create one with `fieldwork init --db {0}` (or `fieldwork \
             demo`), or choose another with --db PATH or FIELDWORK_DB",
            path.display()
        )));
    }
    Ok(SqliteStore::open_with(path, &options(false))?)
}

/// Opens the database, creating it when missing.
pub fn open_or_create(path: &Path) -> Result<SqliteStore, CliError> {
    Ok(SqliteStore::open_with(path, &options(true))?)
}
