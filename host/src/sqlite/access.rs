//! Who may use `fieldwork serve`, and what they did: API tokens with roles (stored as the
//! SHA-256 of their secret, never the secret), the audit log of every operation made through the
//! API, and the SEQUENCE ledger of each technician's calendar feed. These are the host's own
//! tables (schema version 4), not part of the library's [`Store`](fieldwork::store::Store):
//! the model never sees them.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

use super::error::sql_error;
use super::SqliteStore;
use crate::sql::codec::instant;
use fieldwork::store::StoreError;

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

fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A row of `api_tokens`: id, role, technician, subject, created, revoked.
type TokenRow = (i64, String, Option<String>, String, String, Option<String>);

fn token_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

impl SqliteStore {
    /// Creates a token and returns its record and its secret (shown once: only its hash is
    /// stored). A technician token names an existing technician; other roles name none.
    pub fn create_token(
        &mut self,
        role: Role,
        technician: Option<&str>,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<(TokenRecord, String), StoreError> {
        let secret = new_secret()?;
        let path = self.path.clone();
        self.conn
            .execute(
                "INSERT INTO api_tokens (hash, role, technician_id, subject, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    hash_secret(&secret),
                    role.as_str(),
                    technician,
                    cut(subject, MAX_SUBJECT_BYTES),
                    instant(&now)
                ],
            )
            .map_err(sql_error(&path, "creating a token"))?;
        let id = self.conn.last_insert_rowid();
        let record = TokenRecord {
            id,
            role,
            technician: technician.map(str::to_owned),
            subject: cut(subject, MAX_SUBJECT_BYTES).to_owned(),
            created_at: instant(&now),
            revoked_at: None,
        };
        Ok((record, secret))
    }

    /// Every token, oldest first (revoked ones too).
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, role, technician_id, subject, created_at, revoked_at
                 FROM api_tokens ORDER BY id",
            )
            .map_err(sql_error(&self.path, "reading tokens"))?;
        let rows = stmt
            .query_map([], token_row)
            .map_err(sql_error(&self.path, "reading tokens"))?;
        let mut tokens = Vec::new();
        for row in rows {
            let row = row.map_err(sql_error(&self.path, "reading tokens"))?;
            tokens.push(self.record(row)?);
        }
        Ok(tokens)
    }

    fn record(
        &self,
        (id, role, technician, subject, created_at, revoked_at): TokenRow,
    ) -> Result<TokenRecord, StoreError> {
        let role = Role::parse(&role).ok_or_else(|| StoreError::Backend {
            context: format!("{}: reading token {id}", self.path.display()),
            message: format!("unknown role `{role}`"),
        })?;
        Ok(TokenRecord {
            id,
            role,
            technician,
            subject,
            created_at,
            revoked_at,
        })
    }

    /// Revokes a token; `false` when no unrevoked token has this id.
    pub fn revoke_token(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, instant(&now)],
            )
            .map_err(sql_error(&self.path, "revoking a token"))?;
        Ok(changed == 1)
    }

    /// The unrevoked token whose secret this is, if any.
    pub fn token_for_secret(&self, secret: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT id, role, technician_id, subject, created_at, revoked_at
                 FROM api_tokens WHERE hash = ?1 AND revoked_at IS NULL",
                params![hash_secret(secret)],
                token_row,
            )
            .optional()
            .map_err(sql_error(&self.path, "reading a token"))?;
        row.map(|r| self.record(r)).transpose()
    }

    /// Appends one line to the audit log (its request cut to [`MAX_AUDIT_REQUEST_BYTES`]).
    pub fn audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO audit_log (at, token_id, subject, request, status, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    entry.at,
                    entry.token_id,
                    entry.subject,
                    cut(&entry.request, MAX_AUDIT_REQUEST_BYTES),
                    entry.status,
                    cut(&entry.outcome, MAX_AUDIT_REQUEST_BYTES)
                ],
            )
            .map_err(sql_error(&self.path, "writing the audit log"))?;
        Ok(())
    }

    /// Audit lines, newest first: at most `limit` after skipping `offset`.
    pub fn audit_log(&self, limit: usize, offset: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT at, token_id, subject, request, status, outcome FROM audit_log
                 ORDER BY id DESC LIMIT ?1 OFFSET ?2",
            )
            .map_err(sql_error(&self.path, "reading the audit log"))?;
        let rows = stmt
            .query_map(params![limit as i64, offset as i64], |row| {
                Ok(AuditEntry {
                    at: row.get(0)?,
                    token_id: row.get(1)?,
                    subject: row.get(2)?,
                    request: row.get(3)?,
                    status: row.get(4)?,
                    outcome: row.get(5)?,
                })
            })
            .map_err(sql_error(&self.path, "reading the audit log"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(sql_error(&self.path, "reading the audit log"))
    }

    /// The stored calendar-feed ledger of a technician (JSON), if any.
    pub fn ics_ledger(&self, technician: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT ledger FROM ics_ledgers WHERE technician_id = ?1",
                params![technician],
                |row| row.get(0),
            )
            .optional()
            .map_err(sql_error(&self.path, "reading a calendar ledger"))
    }

    /// Stores a technician's calendar-feed ledger (JSON).
    pub fn save_ics_ledger(&mut self, technician: &str, ledger: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO ics_ledgers (technician_id, ledger) VALUES (?1, ?2)
                 ON CONFLICT (technician_id) DO UPDATE SET ledger = excluded.ledger",
                params![technician, ledger],
            )
            .map_err(sql_error(&self.path, "writing a calendar ledger"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stored_hashed_found_by_secret_and_revoked() {
        let mut store = SqliteStore::in_memory().unwrap();
        let now = Utc::now();
        let (record, secret) = store
            .create_token(Role::Technician, Some("T-001"), "Ana's phone", now)
            .unwrap();
        assert!(secret.starts_with("fw_") && secret.len() == 67, "{secret}");
        let stored: String = store
            .connection()
            .query_row("SELECT hash FROM api_tokens", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, hash_secret(&secret));
        assert!(!stored.contains(&secret[3..]));
        let found = store.token_for_secret(&secret).unwrap().unwrap();
        assert_eq!(found, record);
        assert_eq!(store.token_for_secret("fw_wrong").unwrap(), None);
        assert!(store.revoke_token(record.id, now).unwrap());
        assert!(!store.revoke_token(record.id, now).unwrap());
        assert_eq!(store.token_for_secret(&secret).unwrap(), None);
        assert_eq!(store.tokens().unwrap().len(), 1);
    }

    #[test]
    fn two_secrets_differ_and_the_hash_is_sha256() {
        assert_ne!(new_secret().unwrap(), new_secret().unwrap());
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_audit_log_reads_newest_first_and_cuts_long_requests() {
        let mut store = SqliteStore::in_memory().unwrap();
        for i in 0..3 {
            store
                .audit(&AuditEntry {
                    at: format!("2027-03-01T08:00:0{i}Z"),
                    token_id: Some(1),
                    subject: "ops".into(),
                    request: "x".repeat(MAX_AUDIT_REQUEST_BYTES + i),
                    status: 200,
                    outcome: "ok".into(),
                })
                .unwrap();
        }
        let log = store.audit_log(2, 0).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].at, "2027-03-01T08:00:02Z");
        assert_eq!(log[0].request.len(), MAX_AUDIT_REQUEST_BYTES);
        assert_eq!(store.audit_log(10, 2).unwrap().len(), 1);
    }
}
