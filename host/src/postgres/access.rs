//! The PostgreSQL side of [`AccessStore`]: API tokens, the audit log and the calendar-feed
//! ledgers in the tables of schema version 3 (the columns of SQLite's version 4), and the
//! revision as the counter of `fieldwork_revision` (bumped by [`PgStore::write`]). Each of
//! these writes is one statement (its own transaction) and takes no store write lock: tokens,
//! audit lines and ledgers never meet the model's rows.

use chrono::{DateTime, Utc};

use super::error::pg_error;
use super::{get, PgStore};
use crate::sql::access::{
    cut, hash_secret, new_secret, AccessStore, AuditEntry, Role, TokenRecord,
    MAX_AUDIT_REQUEST_BYTES, MAX_SUBJECT_BYTES,
};
use crate::sql::codec::instant;
use fieldwork::store::StoreError;

const TOKEN_COLUMNS: &str = "id, role, technician_id, subject, created_at, revoked_at";

impl PgStore {
    fn token_record(&self, row: &postgres::Row) -> Result<TokenRecord, StoreError> {
        let id: i64 = get(row, 0)?;
        let role: String = get(row, 1)?;
        let role = Role::parse(&role).ok_or_else(|| StoreError::Backend {
            context: format!("{}: reading token {id}", self.url()),
            message: format!("unknown role `{role}`"),
        })?;
        Ok(TokenRecord {
            id,
            role,
            technician: get(row, 2)?,
            subject: get(row, 3)?,
            created_at: get(row, 4)?,
            revoked_at: get(row, 5)?,
        })
    }
}

impl AccessStore for PgStore {
    fn create_token(
        &mut self,
        role: Role,
        technician: Option<&str>,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<(TokenRecord, String), StoreError> {
        let secret = new_secret()?;
        let subject = cut(subject, MAX_SUBJECT_BYTES);
        let row = self
            .client()
            .query_one(
                "INSERT INTO api_tokens (hash, role, technician_id, subject, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[
                    &hash_secret(&secret),
                    &role.as_str(),
                    &technician,
                    &subject,
                    &instant(&now),
                ],
            )
            .map_err(pg_error(self.url(), "creating a token"))?;
        let record = TokenRecord {
            id: get(&row, 0)?,
            role,
            technician: technician.map(str::to_owned),
            subject: subject.to_owned(),
            created_at: instant(&now),
            revoked_at: None,
        };
        Ok((record, secret))
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = self
            .client()
            .query(
                &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"),
                &[],
            )
            .map_err(pg_error(self.url(), "reading tokens"))?;
        rows.iter().map(|r| self.token_record(r)).collect()
    }

    fn revoke_token(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = self
            .client()
            .execute(
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &instant(&now)],
            )
            .map_err(pg_error(self.url(), "revoking a token"))?;
        Ok(changed == 1)
    }

    fn token_for_secret(&self, secret: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row = self
            .client()
            .query_opt(
                &format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL"
                ),
                &[&hash_secret(secret)],
            )
            .map_err(pg_error(self.url(), "reading a token"))?;
        row.map(|r| self.token_record(&r)).transpose()
    }

    fn audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.client()
            .execute(
                "INSERT INTO audit_log (at, token_id, subject, request, status, outcome)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &entry.at,
                    &entry.token_id,
                    &entry.subject,
                    &cut(&entry.request, MAX_AUDIT_REQUEST_BYTES),
                    &i32::from(entry.status),
                    &cut(&entry.outcome, MAX_AUDIT_REQUEST_BYTES),
                ],
            )
            .map_err(pg_error(self.url(), "writing the audit log"))?;
        Ok(())
    }

    fn audit_log(&self, limit: usize, offset: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = self
            .client()
            .query(
                "SELECT at, token_id, subject, request, status, outcome FROM audit_log
                 ORDER BY id DESC LIMIT $1 OFFSET $2",
                &[&limit, &offset],
            )
            .map_err(pg_error(self.url(), "reading the audit log"))?;
        rows.iter()
            .map(|row| {
                let status: i32 = get(row, 4)?;
                Ok(AuditEntry {
                    at: get(row, 0)?,
                    token_id: get(row, 1)?,
                    subject: get(row, 2)?,
                    request: get(row, 3)?,
                    status: u16::try_from(status).unwrap_or(0),
                    outcome: get(row, 5)?,
                })
            })
            .collect()
    }

    fn ics_ledger(&self, technician: &str) -> Result<Option<String>, StoreError> {
        let row = self
            .client()
            .query_opt(
                "SELECT ledger FROM ics_ledgers WHERE technician_id = $1",
                &[&technician],
            )
            .map_err(pg_error(self.url(), "reading a calendar ledger"))?;
        row.map(|r| get(&r, 0)).transpose()
    }

    fn save_ics_ledger(&mut self, technician: &str, ledger: &str) -> Result<(), StoreError> {
        self.client()
            .execute(
                "INSERT INTO ics_ledgers (technician_id, ledger) VALUES ($1, $2)
                 ON CONFLICT (technician_id) DO UPDATE SET ledger = excluded.ledger",
                &[&technician, &ledger],
            )
            .map_err(pg_error(self.url(), "writing a calendar ledger"))?;
        Ok(())
    }

    fn revision(&self) -> Result<i64, StoreError> {
        let row = self
            .client()
            .query_one("SELECT revision FROM fieldwork_revision", &[])
            .map_err(pg_error(self.url(), "reading the revision"))?;
        get(&row, 0)
    }

    fn is_usable(&self) -> bool {
        !self.client().is_closed()
    }
}
