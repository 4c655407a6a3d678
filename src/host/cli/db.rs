//! Opening the database for a command (`--db PATH`, default `fieldwork.db`) and mapping store
//! errors to CLI errors: input, file and lock problems exit 1, storage failures exit 2.

use std::path::Path;

use super::CliError;
use crate::host::sqlite::{OpenOptions, SqliteStore};
use crate::store::StoreError;

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        if e.is_user_error() {
            CliError::User(e.to_string())
        } else {
            CliError::Internal(e.to_string())
        }
    }
}

/// Opens an existing database (a missing file is an error that says how to create one).
pub fn open(path: &Path) -> Result<SqliteStore, CliError> {
    Ok(SqliteStore::open(path)?)
}

/// Opens the database, creating it when missing.
pub fn open_or_create(path: &Path) -> Result<SqliteStore, CliError> {
    Ok(SqliteStore::open_with(
        path,
        &OpenOptions {
            create: true,
            ..OpenOptions::default()
        },
    )?)
}
