//! Errors of the store layer: what a host's storage can report, each naming the database,
//! entity or batch a user needs to act on.

use std::path::PathBuf;
use thiserror::Error;

use crate::model::ModelError;

/// An error of a [`Store`](super::Store).
#[derive(Debug, Error)]
pub enum StoreError {
    /// The dataset (or the merge of the dataset into the stored model) is invalid; nothing
    /// was written.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// No database exists at the path (and the operation does not create one).
    #[error("no database at {path}: create one with `fieldwork init` (or `fieldwork demo`)")]
    Missing {
        /// The database path.
        path: PathBuf,
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
        /// What the storage engine reported.
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
    /// A write conflicts with what is stored (an unknown order, an illegal status change, an
    /// order id already used by another generation key); the batch was not written.
    #[error("{entity} `{id}`: {message}")]
    Conflict {
        /// Kind of entity (`order`, `plan`, …).
        entity: &'static str,
        /// Its id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// A stored record cannot be decoded (damaged or hand-edited data).
    #[error("stored {entity} `{id}` cannot be read: {message}")]
    Decode {
        /// Kind of entity.
        entity: &'static str,
        /// Its id.
        id: String,
        /// The decoding error.
        message: String,
    },
    /// Any other failure of the storage backend (I/O, disk full, …).
    #[error("storage error while {context}: {message}")]
    Backend {
        /// What the store was doing.
        context: String,
        /// The backend's message.
        message: String,
    },
}

impl StoreError {
    /// Whether the error is the caller's to fix (bad input, wrong or busy file) rather than a
    /// failure of the storage itself; the CLI maps this to exit code 1, the rest to 2.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, StoreError::Backend { .. } | StoreError::Decode { .. })
    }
}
