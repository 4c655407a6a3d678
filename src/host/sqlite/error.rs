//! Mapping SQLite errors to [`StoreError`]: a busy database becomes `Locked`, a file that is
//! not a database or is damaged becomes `Corrupt`, the rest `Backend` with what was being done.

use rusqlite::ErrorCode;
use std::path::Path;

use crate::store::StoreError;

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
                return StoreError::Locked {
                    path: path.to_owned(),
                }
            }
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => {
                return StoreError::Corrupt {
                    path: path.to_owned(),
                    detail: message.clone().unwrap_or_else(|| failure.to_string()),
                }
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
