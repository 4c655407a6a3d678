//! Who may use `fieldwork serve`, and what they did: API tokens with roles (stored as the
//! SHA-256 of their secret, never the secret), the audit log of every request that changes
//! something, and the SEQUENCE ledger of each technician's calendar feed — the host's own
//! tables, not part of the library's [`Store`] (the model never sees them) — and the store's
//! **revision**, which tells the server that the model may have changed.
//!
//! [`AccessStore`] is that seam; both SQL stores implement it on the same tables
//! (`api_tokens`, `audit_log`, `ics_ledgers`: SQLite's schema version 4, PostgreSQL's
//! version 3), so `fieldwork serve` and `fieldwork token` run the same code on either
//! (`cli::db::open_host`).

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

use fieldwork::store::{Store, StoreError};

/// The longest subject (a person's or an application's name) a token may carry, in bytes.
pub const MAX_SUBJECT_BYTES: usize = 200;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including replacing the rules and managing tokens.
    Admin,
    /// Everything but the rules and tokens.
    Manager,
    /// Orders, candidates, plans and runs, the board.
    Dispatcher,
    /// One technician's own visits and the operations on them.
    Technician,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Manager,
        Role::Dispatcher,
        Role::Technician,
    ];

    /// The stored and written name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Dispatcher => "dispatcher",
            Role::Technician => "technician",
        }
    }

    /// Parses a role name.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored token (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    /// The token's id (for `token revoke`).
    pub id: i64,
    /// Its role.
    pub role: Role,
    /// The technician a technician token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technician: Option<String>,
    /// Who holds it (written to the audit log).
    pub subject: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was revoked (RFC 3339), if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// When the request was answered (RFC 3339).
    pub at: String,
    /// The token used, if any was valid.
    pub token_id: Option<i64>,
    /// Its subject (`anonymous` without a valid token).
    pub subject: String,
    /// `METHOD /path?query` and the body (at most [`MAX_AUDIT_REQUEST_BYTES`]).
    pub request: String,
    /// The HTTP status answered.
    pub status: u16,
    /// `ok` or the error's text.
    pub outcome: String,
}

/// The request text kept per audit line is cut to this many bytes.
pub const MAX_AUDIT_REQUEST_BYTES: usize = 4096;

/// A new token's secret: `fw_` and 64 hex digits (256 random bits from the operating system).
pub fn new_secret() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Backend {
        context: "drawing a random token from the system".into(),
        message: e.to_string(),
    })?;
    Ok(format!("fw_{}", hex(&bytes)))
}

/// The stored form of a secret: its SHA-256, hex. Tokens are long random secrets, not
/// passwords, so a fast hash is enough (nothing to brute-force).
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(text, "{b:02x}");
    }
    text
}

pub(crate) fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The tokens, audit log, calendar ledgers and revision of a store: what `fieldwork serve` and
/// `fieldwork token` need besides the [`Store`] (implemented by
/// [`SqliteStore`](crate::sqlite::SqliteStore) and [`PgStore`](crate::postgres::PgStore)).
/// None of these writes changes the [`revision`](AccessStore::revision).
pub trait AccessStore {
    /// Creates a token and returns its record and its secret (shown once: only its hash is
    /// stored). The subject is cut to [`MAX_SUBJECT_BYTES`].
    fn create_token(
        &mut self,
        role: Role,
        technician: Option<&str>,
        subject: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(TokenRecord, String), StoreError>;

    /// Every token, oldest first (revoked ones too).
    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;

    /// Revokes a token; `false` when no unrevoked token has this id.
    fn revoke_token(
        &mut self,
        id: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// The unrevoked token whose secret this is, if any.
    fn token_for_secret(&self, secret: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Appends one line to the audit log (its request and outcome cut to
    /// [`MAX_AUDIT_REQUEST_BYTES`]).
    fn audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// Audit lines, newest first: at most `limit` after skipping `offset`.
    fn audit_log(&self, limit: usize, offset: usize) -> Result<Vec<AuditEntry>, StoreError>;

    /// The stored calendar-feed ledger of a technician (JSON), if any.
    fn ics_ledger(&self, technician: &str) -> Result<Option<String>, StoreError>;

    /// Stores a technician's calendar-feed ledger (JSON).
    fn save_ics_ledger(&mut self, technician: &str, ledger: &str) -> Result<(), StoreError>;

    /// A number that grows with every committed write of the [`Store`] trait, by any process
    /// (the model, plans, snapshots, billing — not tokens, audit lines or ledgers): on SQLite
    /// the last batch id given (every write transaction opens a batch; `AUTOINCREMENT` never
    /// gives an id twice), on PostgreSQL the counter of `fieldwork_revision` (bumped under the
    /// store's write lock by every write transaction). The live board polls it and the server
    /// keys its cache of the model on it.
    fn revision(&self) -> Result<i64, StoreError>;

    /// Whether the handle can still be used (a PostgreSQL connection can be lost); a server
    /// keeps only usable handles between requests.
    fn is_usable(&self) -> bool {
        true
    }
}

/// A store `fieldwork serve` can run on: the library's [`Store`] and the host's
/// [`AccessStore`].
pub trait HostStore: Store + AccessStore + Send {
    /// The same store as the library's trait object.
    fn into_store(self: Box<Self>) -> Box<dyn Store>;
}

impl<T: Store + AccessStore + Send + 'static> HostStore for T {
    fn into_store(self: Box<Self>) -> Box<dyn Store> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_secrets_differ_and_the_hash_is_sha256() {
        assert_ne!(new_secret().unwrap(), new_secret().unwrap());
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn cut_keeps_whole_characters() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("abc", 10), "abc");
    }
}
