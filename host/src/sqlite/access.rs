//! The SQLite side of [`AccessStore`]: API tokens, the audit log and the calendar-feed ledgers
//! in the host's own tables (schema version 4), and the revision as the last batch id given
//! (`sqlite_sequence` of `batches`: every write transaction of the store opens a batch).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::error::sql_error;
use super::SqliteStore;
use crate::sql::access::cut;
pub use crate::sql::access::{
    hash_secret, new_secret, AccessStore, AuditEntry, Role, TokenRecord, MAX_AUDIT_REQUEST_BYTES,
    MAX_SUBJECT_BYTES,
};
use crate::sql::codec::instant;
use fieldwork::store::StoreError;

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
}

impl AccessStore for SqliteStore {
    /// Creates a token and returns its record and its secret (shown once: only its hash is
    /// stored). A technician token names an existing technician; other roles name none.
    fn create_token(
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
    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
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

    /// Revokes a token; `false` when no unrevoked token has this id.
    fn revoke_token(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
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
    fn token_for_secret(&self, secret: &str) -> Result<Option<TokenRecord>, StoreError> {
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
    fn audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
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
    fn audit_log(&self, limit: usize, offset: usize) -> Result<Vec<AuditEntry>, StoreError> {
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
    fn ics_ledger(&self, technician: &str) -> Result<Option<String>, StoreError> {
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
    fn save_ics_ledger(&mut self, technician: &str, ledger: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO ics_ledgers (technician_id, ledger) VALUES (?1, ?2)
                 ON CONFLICT (technician_id) DO UPDATE SET ledger = excluded.ledger",
                params![technician, ledger],
            )
            .map_err(sql_error(&self.path, "writing a calendar ledger"))?;
        Ok(())
    }

    fn revision(&self) -> Result<i64, StoreError> {
        // Every write transaction of the store opens a batch; AUTOINCREMENT keeps the last id
        // given even when the batch log is cleared (an import that replaces the model).
        self.conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'batches'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map(|seq| seq.unwrap_or(0))
            .map_err(sql_error(&self.path, "reading the revision"))
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
