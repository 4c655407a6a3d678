//! Errors of the store layer: what a host's storage can report, each naming the database,
//! entity or batch a user needs to act on.

use thiserror::Error;

use crate::model::{ModelError, OperationError};

/// An error of a [`Store`](super::Store).
#[derive(Debug, Error)]
pub enum StoreError {
    /// The dataset (or the merge of the dataset into the stored model) is invalid; nothing
    /// was written.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// An order operation was refused (unknown order, not allowed in the order's status,
    /// invalid result); nothing was written.
    #[error(transparent)]
    Operation(#[from] OperationError),
    /// The store cannot be used as it is — missing, busy, not a store of this application,
    /// damaged, or written by a newer version. The backend's own typed error says which (see
    /// [`StoreError::unavailable_as`]); nothing was written.
    #[error(transparent)]
    Unavailable(Box<dyn std::error::Error + Send + Sync + 'static>),
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
    /// A backend's error that makes the store unusable as it is.
    pub fn unavailable(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Unavailable(Box::new(e))
    }

    /// The backend's error behind [`StoreError::Unavailable`], if it is an `E`.
    ///
    /// ```
    /// use fieldwork::store::StoreError;
    /// let e = StoreError::unavailable(std::io::Error::other("busy"));
    /// assert!(e.unavailable_as::<std::io::Error>().is_some());
    /// assert!(e.unavailable_as::<std::fmt::Error>().is_none());
    /// ```
    pub fn unavailable_as<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match self {
            StoreError::Unavailable(e) => e.downcast_ref::<E>(),
            _ => None,
        }
    }

    /// Whether the error is the caller's to fix (bad input, wrong or busy file) rather than a
    /// failure of the storage itself; the CLI maps this to exit code 1, the rest to 2.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, StoreError::Backend { .. } | StoreError::Decode { .. })
    }
}
