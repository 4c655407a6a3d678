//! The errors only the SQLite store raises ([`SqliteError`]: missing, locked, corrupt, newer
//! schema), and the mapping of rusqlite errors to [`StoreError`]: those four arrive as
//! [`StoreError::Unavailable`] carrying the [`SqliteError`], the rest as `Backend` with what was
//! being done.

use rusqlite::ErrorCode;
use std::path::{Path, PathBuf};
use thiserror::Error;

use fieldwork::store::StoreError;

/// Why a SQLite database cannot be used as it is; nothing was written.
#[derive(Debug, Error)]
pub enum SqliteError {
    /// No database exists at the path (and the operation does not create one).
    #[error("no database at {path}")]
    Missing {
        /// The database path.
        path: PathBuf,
    },
    /// The path names a directory, not a database file.
    #[error(
        "{path} is a directory, not a database file (give a file path, e.g. {path}/fieldwork.db)"
    )]
    IsDirectory {
        /// The database path.
        path: PathBuf,
    },
    /// The folder the database would be created in does not exist (it is not created).
    #[error("cannot create database {path}: folder {folder} does not exist (create it first)")]
    NoFolder {
        /// The database path.
        path: PathBuf,
        /// The missing folder.
        folder: PathBuf,
    },
    /// Another process holds the database's write lock.
    #[error("database {path} is locked by another process (try again when it has finished)")]
    Locked {
        /// The database path.
        path: PathBuf,
    },
    /// The file is not a database of this application, or it is damaged.
    #[error("{path} is not a fieldwork database or is corrupt: {detail}")]
    Corrupt {
        /// The database path.
        path: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// The database was written by a newer version of fieldwork; it is left untouched.
    #[error(
        "database {path} has schema version {found}, newer than this fieldwork supports \
         ({supported}): upgrade fieldwork to open it"
    )]
    SchemaTooNew {
        /// The database path.
        path: PathBuf,
        /// Schema version found in the file.
        found: i64,
        /// Newest schema version this build knows.
        supported: i64,
    },
}

impl From<SqliteError> for StoreError {
    fn from(e: SqliteError) -> Self {
        StoreError::unavailable(e)
    }
}

/// A mapper from a rusqlite error to a [`StoreError`] for the database at `path`, naming what
/// the store was doing.
pub(crate) fn sql_error<'a>(
    path: &'a Path,
    context: impl Into<String>,
) -> impl Fn(rusqlite::Error) -> StoreError + 'a {
    let context = context.into();
    move |e| classify(path, &context, e)
}

/// Classifies one rusqlite error.
pub(crate) fn classify(path: &Path, context: &str, e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, message) = &e {
        match failure.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return SqliteError::Locked {
                    path: path.to_owned(),
                }
                .into()
            }
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => {
                return SqliteError::Corrupt {
                    path: path.to_owned(),
                    detail: message.clone().unwrap_or_else(|| failure.to_string()),
                }
                .into()
            }
            ErrorCode::CannotOpen => {
                return StoreError::Backend {
                    context: format!("opening {}", path.display()),
                    message: message.clone().unwrap_or_else(|| failure.to_string()),
                }
            }
            _ => {}
        }
    }
    StoreError::Backend {
        context: format!("{context} ({})", path.display()),
        message: e.to_string(),
    }
}
