//! The errors only the PostgreSQL store raises ([`PgError`]: a bad URL, an unreachable server,
//! a database without the fieldwork schema, a busy store, a newer schema), and the mapping of
//! driver errors to [`StoreError`]: those arrive as [`StoreError::Unavailable`] carrying the
//! [`PgError`], a refused reference or duplicate key as a `Conflict`, the rest as `Backend`
//! with what was being done.

use postgres::error::SqlState;
use thiserror::Error;

use fieldwork::store::StoreError;

/// Why a PostgreSQL database cannot be used as it is; nothing was written.
#[derive(Debug, Error)]
pub enum PgError {
    /// The connection URL cannot be parsed.
    #[error("{url} is not a PostgreSQL connection URL: {detail}")]
    BadUrl {
        /// The URL as given (password hidden).
        url: String,
        /// What the driver reported.
        detail: String,
    },
    /// The server cannot be reached, or refused the connection (authentication, unknown
    /// database).
    #[error("cannot connect to {url}: {detail}")]
    Unreachable {
        /// The URL (password hidden).
        url: String,
        /// What the driver reported.
        detail: String,
    },
    /// The database holds no fieldwork schema (and the operation does not create one).
    #[error("no fieldwork database at {url} (schema `{schema}` has no fieldwork tables)")]
    Missing {
        /// The URL (password hidden).
        url: String,
        /// The schema looked in.
        schema: String,
    },
    /// The schema holds tables of another application.
    #[error(
        "schema `{schema}` of {url} holds {tables} tables of another application, not a \
         fieldwork store (choose another schema with options=-csearch_path%3DNAME)"
    )]
    Foreign {
        /// The URL (password hidden).
        url: String,
        /// The schema.
        schema: String,
        /// How many tables it holds.
        tables: i64,
    },
    /// Another process held the store's write lock longer than the lock timeout.
    #[error("database {url} is locked by another process (try again when it has finished)")]
    Locked {
        /// The URL (password hidden).
        url: String,
    },
    /// The schema was written by a newer version of fieldwork; it is left untouched.
    #[error(
        "database {url} has schema version {found}, newer than this fieldwork supports \
         ({supported}): upgrade fieldwork to open it"
    )]
    SchemaTooNew {
        /// The URL (password hidden).
        url: String,
        /// Schema version found.
        found: i64,
        /// Newest schema version this build knows.
        supported: i64,
    },
}

impl From<PgError> for StoreError {
    fn from(e: PgError) -> Self {
        StoreError::unavailable(e)
    }
}

/// A mapper from a driver error to a [`StoreError`] for the database at `url`, naming what
/// the store was doing.
pub(crate) fn pg_error<'a>(
    url: &'a str,
    context: impl Into<String>,
) -> impl Fn(postgres::Error) -> StoreError + 'a {
    let context = context.into();
    move |e| classify(url, &context, e)
}

/// Classifies one driver error.
pub(crate) fn classify(url: &str, context: &str, e: postgres::Error) -> StoreError {
    let message = match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_owned(),
        },
        None => e.to_string(),
    };
    match e.code() {
        Some(code) if *code == SqlState::LOCK_NOT_AVAILABLE => PgError::Locked {
            url: url.to_owned(),
        }
        .into(),
        Some(code)
            if *code == SqlState::FOREIGN_KEY_VIOLATION
                || *code == SqlState::UNIQUE_VIOLATION
                || *code == SqlState::CHECK_VIOLATION
                || *code == SqlState::NOT_NULL_VIOLATION =>
        {
            StoreError::Conflict {
                entity: "batch",
                id: context.to_owned(),
                message: message.clone(),
            }
        }
        _ if e.is_closed() => PgError::Unreachable {
            url: url.to_owned(),
            detail: format!("the connection was closed while {context}"),
        }
        .into(),
        _ => StoreError::Backend {
            context: format!("{context} ({url})"),
            message,
        },
    }
}

/// The URL with its password replaced by `***` (for messages).
pub(crate) fn redact(url: &str) -> String {
    // postgres://user:password@host/db → postgres://user:***@host/db
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let Some(at) = rest.find('@') else {
        return url.to_owned();
    };
    let userinfo = &rest[..at];
    match userinfo.find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &userinfo[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(
            redact("postgres://ann:s3cret@db.example:5432/fw"),
            "postgres://ann:***@db.example:5432/fw"
        );
        assert_eq!(
            redact("postgresql://ann@db/fw?sslmode=disable"),
            "postgresql://ann@db/fw?sslmode=disable"
        );
        assert_eq!(redact("postgres://db/fw"), "postgres://db/fw");
    }
}
