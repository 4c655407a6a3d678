//! The PostgreSQL schema and its versioned migrations. The schema version is the one row of
//! `fieldwork_schema`; the pending migrations run in one transaction together with the version
//! bump, under the store's migration lock (so two processes opening a new database at once
//! migrate it once), and a crash mid-migration leaves the previous version intact. A schema
//! whose version is newer than [`LATEST_VERSION`] is refused, untouched.
//!
//! The tables, their columns and their values are those of the SQLite store (see
//! `crate::sqlite::schema` and [`crate::sql`]): entities engines query are normalised rows,
//! reference data one JSON document (TEXT, byte-exact) per entity, instants RFC 3339 UTC TEXT,
//! money exact decimal TEXT; every foreign key is checked at commit (`DEFERRABLE INITIALLY
//! DEFERRED`). Where SQLite orders rows by `rowid`, a `seq` identity column keeps insertion
//! order (an upsert keeps the row's `seq`, as SQLite keeps its rowid). The store lives in the
//! connection's current schema (the first of its `search_path`), so several stores can share
//! one database, one schema each.

use postgres::Client;

use super::error::pg_error;
use super::PgError;
use crate::sql::MigrationReport;
use fieldwork::store::StoreError;

/// One schema migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The version after it has run.
    pub version: i64,
    /// What it changes.
    pub description: &'static str,
    /// The statements.
    pub sql: &'static str,
}

/// The migrations, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "initial schema (as SQLite's version 3): model documents, orders, status \
                      history with reasons, absences, generation keys, SLA snapshots, plans, \
                      billing transactions and billed periods, batches",
        sql: V1,
    },
    Migration {
        version: 2,
        description: "workers: the runs whose shared phases are done, the parts planned",
        sql: V2,
    },
    Migration {
        version: 3,
        description: "fieldwork serve: API tokens (hashed), the audit log, calendar feed \
                      ledgers (as SQLite's version 4), and the store's revision",
        sql: V3,
    },
    Migration {
        version: 4,
        description: "parts and tools: a route's depot stop (as SQLite's version 5)",
        sql: V4,
    },
    Migration {
        version: 5,
        description: "multi-day and crew jobs: several visits of one order in a plan, each \
                      with its part (as SQLite's version 6)",
        sql: V5,
    },
    Migration {
        version: 6,
        description: "workers: a run's base (the business and its plans as the shared phases \
                      left them), which every part of the run is planned from",
        sql: V6,
    },
];

/// Newest schema version this build knows.
pub const LATEST_VERSION: i64 = 6;

/// Version 4 (parts and tools in the van, as SQLite's version 5): a route's restocking stop
/// at a depot, one JSON document or NULL.
const V4: &str = "ALTER TABLE plan_routes ADD COLUMN depot_stop TEXT;";

/// Version 5: an order may have several visits in one plan (the parts of a multi-day job, the
/// members of a crew), each with its `part` (`day 2/3`, `crew 1/2`; NULL for an order's only
/// visit), as SQLite's version 6.
const V5: &str = r#"
ALTER TABLE plan_visits DROP CONSTRAINT IF EXISTS plan_visits_plan_id_order_id_key;
ALTER TABLE plan_visits ADD COLUMN part TEXT;
"#;

/// Version 6: a run's base, one JSON document (`crate::postgres::work::RunBase`), written
/// with the run's parts and cleared when the last part is done.
const V6: &str = "ALTER TABLE work_runs ADD COLUMN base TEXT;";

/// Version 2: what `fieldwork worker`s record about a run (see `crate::postgres::work`): one
/// row per run (its shared phases done, the keys of its parts as a JSON list), one per part
/// planned — written in the transaction of the part's plan.
const V2: &str = r#"
CREATE TABLE work_runs (
    run         TEXT PRIMARY KEY,
    shared_done TEXT,
    parts       TEXT
);
CREATE TABLE work_parts (
    run      TEXT NOT NULL REFERENCES work_runs(run) ON DELETE CASCADE,
    part     TEXT NOT NULL,
    worker   TEXT NOT NULL,
    done_at  TEXT NOT NULL,
    PRIMARY KEY (run, part)
);
"#;

/// Version 3: the tables of `fieldwork serve` (see `crate::sql::access`) — the same columns as
/// SQLite's version 4 — and `fieldwork_revision`, one row whose counter every write
/// transaction of the store bumps before it commits (`PgStore::write`): the server polls it
/// to learn, with one indexed read, that another process changed the data.
const V3: &str = r#"
CREATE TABLE api_tokens (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    technician_id TEXT,
    subject       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
);
CREATE TABLE audit_log (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       TEXT NOT NULL,
    token_id BIGINT,
    subject  TEXT NOT NULL,
    request  TEXT NOT NULL,
    status   INTEGER NOT NULL,
    outcome  TEXT NOT NULL
);
CREATE TABLE ics_ledgers (
    technician_id TEXT PRIMARY KEY,
    ledger        TEXT NOT NULL
);
CREATE TABLE fieldwork_revision (
    one      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    revision BIGINT NOT NULL
);
INSERT INTO fieldwork_revision (revision) VALUES (0);
"#;

/// The first key of the store's advisory locks (`"FWK1"`); the second is the schema's hash.
pub const LOCK_SPACE: i32 = 0x4657_4B31;
const V1: &str = r#"
CREATE TABLE batches (
    id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind  TEXT NOT NULL CHECK (kind IN ('import','generate','status','sla','plan','billing')),
    at    TEXT NOT NULL,
    rows  BIGINT NOT NULL
);

CREATE TABLE calendars       (id TEXT PRIMARY KEY, doc TEXT NOT NULL,
                              seq BIGINT GENERATED ALWAYS AS IDENTITY);
CREATE TABLE customers       (id TEXT PRIMARY KEY, doc TEXT NOT NULL,
                              seq BIGINT GENERATED ALWAYS AS IDENTITY);
CREATE TABLE service_objects (id TEXT PRIMARY KEY, doc TEXT NOT NULL,
                              seq BIGINT GENERATED ALWAYS AS IDENTITY);
CREATE TABLE tasks           (id TEXT PRIMARY KEY, doc TEXT NOT NULL,
                              seq BIGINT GENERATED ALWAYS AS IDENTITY);
CREATE TABLE technicians     (id TEXT PRIMARY KEY, doc TEXT NOT NULL,
                              seq BIGINT GENERATED ALWAYS AS IDENTITY);
CREATE TABLE agreements (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    doc         TEXT NOT NULL,
    seq         BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE TABLE subscriptions (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    doc         TEXT NOT NULL,
    seq         BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE TABLE return_orders   (id TEXT PRIMARY KEY, doc TEXT NOT NULL,
                              seq BIGINT GENERATED ALWAYS AS IDENTITY);
CREATE TABLE extensions      (id TEXT PRIMARY KEY, doc TEXT NOT NULL,
                              seq BIGINT GENERATED ALWAYS AS IDENTITY);

CREATE TABLE absences (
    technician_id TEXT NOT NULL REFERENCES technicians(id) DEFERRABLE INITIALLY DEFERRED,
    start         TEXT NOT NULL,
    "end"         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    UNIQUE (technician_id, start, "end")
);

CREATE TABLE orders (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    agreement_id      TEXT REFERENCES agreements(id) DEFERRABLE INITIALLY DEFERRED,
    origin_line       TEXT,
    origin_occurrence TEXT,
    priority          TEXT NOT NULL CHECK (priority IN ('critical','high','normal','low')),
    status            TEXT NOT NULL CHECK (status IN
                        ('created','scheduled','in_progress','on_hold','completed','cancelled')),
    created_at        TEXT NOT NULL,
    changed_at        TEXT NOT NULL,
    due               TEXT,
    batch_id          BIGINT REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED,
    doc               TEXT NOT NULL,
    seq               BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX orders_status   ON orders(status, due);
CREATE INDEX orders_origin   ON orders(origin_line, origin_occurrence);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_batch    ON orders(batch_id);
CREATE INDEX orders_seq      ON orders(seq);

CREATE TABLE order_status_history (
    order_id TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    seq      BIGINT NOT NULL,
    at       TEXT NOT NULL,
    status   TEXT NOT NULL CHECK (status IN
               ('created','scheduled','in_progress','on_hold','completed','cancelled')),
    batch_id BIGINT REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED,
    reason   TEXT,
    PRIMARY KEY (order_id, seq)
);

CREATE TABLE generation_keys (
    key      TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    batch_id BIGINT NOT NULL REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX generation_keys_order ON generation_keys(order_id);

CREATE TABLE sla_snapshots (
    order_id          TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE
                        DEFERRABLE INITIALLY DEFERRED,
    metric            TEXT NOT NULL,
    computed_at       TEXT NOT NULL,
    state             TEXT NOT NULL,
    target_seconds    BIGINT NOT NULL,
    due               TEXT,
    warning_at        TEXT,
    remaining_seconds BIGINT,
    calendar          TEXT,
    batch_id          BIGINT NOT NULL REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (order_id, metric)
);
CREATE INDEX sla_snapshots_state ON sla_snapshots(state);

CREATE TABLE plans (
    id           TEXT PRIMARY KEY,
    horizon_from TEXT NOT NULL,
    horizon_to   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    kpis         TEXT NOT NULL,
    batch_id     BIGINT NOT NULL REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE TABLE plan_routes (
    plan_id        TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE
                     DEFERRABLE INITIALLY DEFERRED,
    position       BIGINT NOT NULL,
    technician_id  TEXT NOT NULL REFERENCES technicians(id) DEFERRABLE INITIALLY DEFERRED,
    day            TEXT NOT NULL,
    shift_start    TEXT NOT NULL,
    shift_end      TEXT NOT NULL,
    return_minutes DOUBLE PRECISION NOT NULL,
    return_km      DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (plan_id, position),
    UNIQUE (plan_id, technician_id, day)
);
CREATE TABLE plan_visits (
    plan_id        TEXT NOT NULL,
    route          BIGINT NOT NULL,
    sequence       BIGINT NOT NULL,
    order_id       TEXT NOT NULL REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    technician_id  TEXT NOT NULL REFERENCES technicians(id) DEFERRABLE INITIALLY DEFERRED,
    arrival        TEXT NOT NULL,
    start          TEXT NOT NULL,
    "end"          TEXT NOT NULL,
    travel_minutes DOUBLE PRECISION NOT NULL,
    travel_km      DOUBLE PRECISION NOT NULL,
    due            TEXT,
    late_minutes   DOUBLE PRECISION NOT NULL,
    fixed          BOOLEAN NOT NULL,
    PRIMARY KEY (plan_id, route, sequence),
    UNIQUE (plan_id, order_id),
    FOREIGN KEY (plan_id, route) REFERENCES plan_routes(plan_id, position) ON DELETE CASCADE
      DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX plan_visits_technician ON plan_visits(technician_id, start);
CREATE INDEX plan_visits_order ON plan_visits(order_id);
CREATE TABLE plan_unassigned (
    plan_id  TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    position BIGINT NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    reason   TEXT NOT NULL,
    detail   TEXT NOT NULL,
    PRIMARY KEY (plan_id, position)
);

CREATE TABLE billing_transactions (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    subscription_id TEXT REFERENCES subscriptions(id) DEFERRABLE INITIALLY DEFERRED,
    period_start    TEXT,
    return_order_id TEXT REFERENCES return_orders(id) DEFERRABLE INITIALLY DEFERRED,
    return_line     BIGINT,
    kind            TEXT NOT NULL CHECK (kind IN ('fee','proration','credit')),
    date            TEXT NOT NULL,
    service_start   TEXT,
    service_end     TEXT,
    amount          TEXT NOT NULL,
    currency        TEXT NOT NULL,
    description     TEXT NOT NULL,
    batch_id        BIGINT NOT NULL REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED,
    seq             BIGINT GENERATED ALWAYS AS IDENTITY,
    CHECK ((subscription_id IS NULL) <> (return_order_id IS NULL))
);
CREATE INDEX billing_transactions_date ON billing_transactions(date);
CREATE TABLE billed_periods (
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id) DEFERRABLE INITIALLY DEFERRED,
    period_start    TEXT NOT NULL,
    batch_id        BIGINT NOT NULL REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (subscription_id, period_start)
);
"#;

/// Reads the schema version (0 when the schema holds no fieldwork tables).
fn version(client: &mut Client, url: &str) -> Result<Option<i64>, StoreError> {
    let err = pg_error(url, "reading the schema version");
    let exists: bool = client
        .query_one(
            "SELECT to_regclass(quote_ident(current_schema()) || '.fieldwork_schema') IS NOT NULL",
            &[],
        )
        .map_err(&err)?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let row = client
        .query_opt("SELECT version FROM fieldwork_schema", &[])
        .map_err(&err)?;
    Ok(Some(row.map_or(0, |r| r.get(0))))
}

/// Reads the schema version, refuses a foreign or newer schema, and (when `create`, or when a
/// fieldwork schema is there) applies the pending migrations, each in one transaction with
/// its version bump.
pub(crate) fn migrate(
    client: &mut Client,
    url: &str,
    create: bool,
) -> Result<MigrationReport, StoreError> {
    let err = |context: &str| pg_error(url, context.to_owned());
    let schema: Option<String> = client
        .query_one("SELECT current_schema()", &[])
        .map_err(err("reading the current schema"))?
        .get(0);
    let Some(schema) = schema else {
        return Err(PgError::Missing {
            url: url.to_owned(),
            schema: "(none: no schema of the search_path exists)".into(),
        }
        .into());
    };
    let found = version(client, url)?;
    if found.is_none() {
        let tables: i64 = client
            .query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
                &[&schema],
            )
            .map_err(err("reading the schema"))?
            .get(0);
        if tables > 0 {
            return Err(PgError::Foreign {
                url: url.to_owned(),
                schema,
                tables,
            }
            .into());
        }
        if !create {
            return Err(PgError::Missing {
                url: url.to_owned(),
                schema,
            }
            .into());
        }
    }
    let from = found.unwrap_or(0);
    if from > LATEST_VERSION {
        return Err(PgError::SchemaTooNew {
            url: url.to_owned(),
            found: from,
            supported: LATEST_VERSION,
        }
        .into());
    }
    if from < LATEST_VERSION {
        let context = "migrating the schema";
        let mut tx = client.transaction().map_err(err(context))?;
        // One migrating process at a time: the second one finds the work done.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()) + 1)",
            &[&LOCK_SPACE],
        )
        .map_err(err(context))?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS fieldwork_schema (version BIGINT NOT NULL)")
            .map_err(err(context))?;
        let now: i64 = tx
            .query_opt("SELECT version FROM fieldwork_schema", &[])
            .map_err(err(context))?
            .map_or(0, |r| r.get(0));
        for migration in MIGRATIONS.iter().filter(|m| m.version > now) {
            let context = format!("migrating the schema to version {}", migration.version);
            let mut step = tx.transaction().map_err(err(&context))?;
            step.batch_execute(migration.sql).map_err(err(&context))?;
            step.commit().map_err(err(&context))?;
        }
        tx.execute("DELETE FROM fieldwork_schema", &[])
            .map_err(err(context))?;
        tx.execute(
            "INSERT INTO fieldwork_schema (version) VALUES ($1)",
            &[&LATEST_VERSION.max(now)],
        )
        .map_err(err(context))?;
        tx.commit().map_err(err(context))?;
    }
    Ok(MigrationReport {
        from,
        to: LATEST_VERSION.max(from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_consecutively_up_to_the_latest() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.description);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(LATEST_VERSION));
    }
}
