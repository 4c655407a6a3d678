//! The SQLite schema and its versioned migrations. The schema version is `PRAGMA
//! user_version`; each migration runs in its own transaction together with the version bump,
//! so a crash mid-migration leaves the previous version intact. A database whose version is
//! newer than [`LATEST_VERSION`] is refused, untouched.
//!
//! Layout (see the README's schema summary): the entities engines query — orders and their
//! status history, generation keys, SLA snapshots, plan visits, billing transactions — are
//! normalised tables with indexes; reference data (calendars, customers, objects, tasks,
//! technicians, agreements, subscriptions, return orders) is kept as one JSON document per
//! entity, keyed by id; the sections kept whole (return reasons, repair codes, BOM versions, the
//! road graph, extension sections) are one JSON document per section in `extensions`, keyed by
//! the section's dataset name. Money is TEXT (exact decimal), instants are RFC 3339
//! UTC TEXT, dates are `YYYY-MM-DD`. Every foreign key is checked at commit.

use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;

use super::error::sql_error;
use fieldwork::store::StoreError;

/// `PRAGMA application_id` of a fieldwork database (`"FWK1"`).
pub const APPLICATION_ID: i64 = 0x4657_4B31;

/// One schema migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The `user_version` after it has run.
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
        description: "initial schema: model documents, orders, status history, generation keys, \
                      SLA snapshots, plans, billing transactions and billed periods, batches",
        sql: V1,
    },
    Migration {
        version: 2,
        description: "order operations: the reason of a status change",
        sql: V2,
    },
    Migration {
        version: 3,
        description: "technicians' absences",
        sql: V3,
    },
    Migration {
        version: 4,
        description: "fieldwork serve: API tokens (hashed), the audit log, calendar feed ledgers",
        sql: V4,
    },
    Migration {
        version: 5,
        description: "parts and tools: a route's depot stop",
        sql: V5,
    },
    Migration {
        version: 6,
        description: "multi-day and crew jobs: several visits of one order in a plan, each \
                      with its part",
        sql: V6,
    },
];

/// Newest schema version this build knows.
pub const LATEST_VERSION: i64 = 6;

/// Version 5 (parts and tools in the van): a route's restocking stop at a depot, one JSON
/// document (`schedule::plan::DepotStop`) or NULL. The part and tool catalogues and the depots
/// are sections kept whole in `extensions`; stocks, tools and needs are fields of the
/// technicians', tasks' and orders' documents, so they need no column.
const V5: &str = "ALTER TABLE plan_routes ADD COLUMN depot_stop TEXT;";

/// Version 6: an order may have several visits in one plan (the parts of a multi-day job, the
/// members of a crew), each with its `part` (`day 2/3`, `crew 1/2`; NULL for an order's only
/// visit). SQLite cannot drop a constraint: the table is rebuilt without
/// `UNIQUE (plan_id, order_id)`, its rows copied.
const V6: &str = r#"
CREATE TABLE plan_visits_v6 (
    plan_id        TEXT NOT NULL,
    route          INTEGER NOT NULL,
    sequence       INTEGER NOT NULL,
    order_id       TEXT NOT NULL REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    technician_id  TEXT NOT NULL REFERENCES technicians(id) DEFERRABLE INITIALLY DEFERRED,
    arrival        TEXT NOT NULL,
    start          TEXT NOT NULL,
    end            TEXT NOT NULL,
    travel_minutes REAL NOT NULL,
    travel_km      REAL NOT NULL,
    due            TEXT,
    late_minutes   REAL NOT NULL,
    fixed          INTEGER NOT NULL,
    part           TEXT,
    PRIMARY KEY (plan_id, route, sequence),
    FOREIGN KEY (plan_id, route) REFERENCES plan_routes(plan_id, position) ON DELETE CASCADE
      DEFERRABLE INITIALLY DEFERRED
) WITHOUT ROWID;
INSERT INTO plan_visits_v6 (plan_id, route, sequence, order_id, technician_id, arrival, start,
    end, travel_minutes, travel_km, due, late_minutes, fixed)
  SELECT plan_id, route, sequence, order_id, technician_id, arrival, start, end,
    travel_minutes, travel_km, due, late_minutes, fixed FROM plan_visits;
DROP TABLE plan_visits;
ALTER TABLE plan_visits_v6 RENAME TO plan_visits;
CREATE INDEX plan_visits_technician ON plan_visits(technician_id, start);
CREATE INDEX plan_visits_order ON plan_visits(order_id);
"#;

/// Version 4 (`fieldwork serve`): API tokens, stored as the SHA-256 of the secret (the secret
/// itself is printed once and never stored); the audit log of every operation made through the
/// API; and the SEQUENCE ledger of each technician's calendar feed.
const V4: &str = r#"
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    hash          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    technician_id TEXT,
    subject       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
);
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    token_id INTEGER,
    subject  TEXT NOT NULL,
    request  TEXT NOT NULL,
    status   INTEGER NOT NULL,
    outcome  TEXT NOT NULL
);
CREATE TABLE ics_ledgers (
    technician_id TEXT PRIMARY KEY,
    ledger        TEXT NOT NULL
);
"#;

/// Version 3: absences, one row per record, identified by technician, start and end (in
/// dataset order by rowid).
const V3: &str = r#"
CREATE TABLE absences (
    technician_id TEXT NOT NULL REFERENCES technicians(id) DEFERRABLE INITIALLY DEFERRED,
    start         TEXT NOT NULL,
    end           TEXT NOT NULL,
    reason        TEXT NOT NULL,
    UNIQUE (technician_id, start, end)
);
"#;

/// Version 2: a status change records why (`order hold --reason …`); older rows have none.
const V2: &str = "ALTER TABLE order_status_history ADD COLUMN reason TEXT;";

const V1: &str = r#"
CREATE TABLE batches (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind  TEXT NOT NULL CHECK (kind IN ('import','generate','status','sla','plan','billing')),
    at    TEXT NOT NULL,
    rows  INTEGER NOT NULL
);

CREATE TABLE calendars       (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE customers       (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE service_objects (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE tasks           (code TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE technicians     (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE agreements (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    doc         TEXT NOT NULL
);
CREATE TABLE subscriptions (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    doc         TEXT NOT NULL
);
CREATE TABLE return_orders   (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE extensions      (name TEXT PRIMARY KEY, doc TEXT NOT NULL);

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
    batch_id          INTEGER REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED,
    doc               TEXT NOT NULL
);
CREATE INDEX orders_status   ON orders(status, due);
CREATE INDEX orders_origin   ON orders(origin_line, origin_occurrence);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_batch    ON orders(batch_id);

CREATE TABLE order_status_history (
    order_id TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    seq      INTEGER NOT NULL,
    at       TEXT NOT NULL,
    status   TEXT NOT NULL CHECK (status IN
               ('created','scheduled','in_progress','on_hold','completed','cancelled')),
    batch_id INTEGER REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (order_id, seq)
) WITHOUT ROWID;

CREATE TABLE generation_keys (
    key      TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    batch_id INTEGER NOT NULL REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED
) WITHOUT ROWID;

CREATE TABLE sla_snapshots (
    order_id          TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE
                        DEFERRABLE INITIALLY DEFERRED,
    metric            TEXT NOT NULL,
    computed_at       TEXT NOT NULL,
    state             TEXT NOT NULL,
    target_seconds    INTEGER NOT NULL,
    due               TEXT,
    warning_at        TEXT,
    remaining_seconds INTEGER,
    calendar          TEXT,
    batch_id          INTEGER NOT NULL REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (order_id, metric)
) WITHOUT ROWID;
CREATE INDEX sla_snapshots_state ON sla_snapshots(state);

CREATE TABLE plans (
    id           TEXT PRIMARY KEY,
    horizon_from TEXT NOT NULL,
    horizon_to   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    kpis         TEXT NOT NULL,
    batch_id     INTEGER NOT NULL REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE plan_routes (
    plan_id        TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE
                     DEFERRABLE INITIALLY DEFERRED,
    position       INTEGER NOT NULL,
    technician_id  TEXT NOT NULL REFERENCES technicians(id) DEFERRABLE INITIALLY DEFERRED,
    day            TEXT NOT NULL,
    shift_start    TEXT NOT NULL,
    shift_end      TEXT NOT NULL,
    return_minutes REAL NOT NULL,
    return_km      REAL NOT NULL,
    PRIMARY KEY (plan_id, position),
    UNIQUE (plan_id, technician_id, day)
) WITHOUT ROWID;
CREATE TABLE plan_visits (
    plan_id        TEXT NOT NULL,
    route          INTEGER NOT NULL,
    sequence       INTEGER NOT NULL,
    order_id       TEXT NOT NULL REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    technician_id  TEXT NOT NULL REFERENCES technicians(id) DEFERRABLE INITIALLY DEFERRED,
    arrival        TEXT NOT NULL,
    start          TEXT NOT NULL,
    end            TEXT NOT NULL,
    travel_minutes REAL NOT NULL,
    travel_km      REAL NOT NULL,
    due            TEXT,
    late_minutes   REAL NOT NULL,
    fixed          INTEGER NOT NULL,
    PRIMARY KEY (plan_id, route, sequence),
    UNIQUE (plan_id, order_id),
    FOREIGN KEY (plan_id, route) REFERENCES plan_routes(plan_id, position) ON DELETE CASCADE
      DEFERRABLE INITIALLY DEFERRED
) WITHOUT ROWID;
CREATE INDEX plan_visits_technician ON plan_visits(technician_id, start);
CREATE INDEX plan_visits_order ON plan_visits(order_id);
CREATE TABLE plan_unassigned (
    plan_id  TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    position INTEGER NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED,
    reason   TEXT NOT NULL,
    detail   TEXT NOT NULL,
    PRIMARY KEY (plan_id, position)
) WITHOUT ROWID;

CREATE TABLE billing_transactions (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    subscription_id TEXT REFERENCES subscriptions(id) DEFERRABLE INITIALLY DEFERRED,
    period_start    TEXT,
    return_order_id TEXT REFERENCES return_orders(id) DEFERRABLE INITIALLY DEFERRED,
    return_line     INTEGER,
    kind            TEXT NOT NULL CHECK (kind IN ('fee','proration','credit')),
    date            TEXT NOT NULL,
    service_start   TEXT,
    service_end     TEXT,
    amount          TEXT NOT NULL,
    currency        TEXT NOT NULL,
    description     TEXT NOT NULL,
    batch_id        INTEGER NOT NULL REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED,
    CHECK ((subscription_id IS NULL) <> (return_order_id IS NULL))
);
CREATE INDEX billing_transactions_date ON billing_transactions(date);
CREATE TABLE billed_periods (
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id) DEFERRABLE INITIALLY DEFERRED,
    period_start    TEXT NOT NULL,
    batch_id        INTEGER NOT NULL REFERENCES batches(id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (subscription_id, period_start)
) WITHOUT ROWID;
"#;

pub use crate::sql::MigrationReport;

/// Reads the schema version and application id, refuses foreign or newer databases, and
/// applies the pending migrations (each in one transaction with its version bump).
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<MigrationReport, StoreError> {
    let err = |context: &str| sql_error(path, context.to_owned());
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(err("reading the schema version"))?;
    let application_id: i64 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(err("reading the application id"))?;
    if version > LATEST_VERSION {
        return Err(super::SqliteError::SchemaTooNew {
            path: path.to_owned(),
            found: version,
            supported: LATEST_VERSION,
        }
        .into());
    }
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(err("reading the schema"))?;
    let ours = application_id == APPLICATION_ID;
    if !ours && (version != 0 || tables != 0) {
        return Err(super::SqliteError::Corrupt {
            path: path.to_owned(),
            detail: format!(
                "an SQLite database of another application (application id {application_id:#x}, \
                 {tables} schema objects)"
            ),
        }
        .into());
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > version) {
        let context = format!("migrating the schema to version {}", migration.version);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&context))?;
        tx.execute_batch(migration.sql).map_err(err(&context))?;
        tx.pragma_update(None, "user_version", migration.version)
            .map_err(err(&context))?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(err(&context))?;
        tx.commit().map_err(err(&context))?;
    }
    Ok(MigrationReport {
        from: version,
        to: LATEST_VERSION.max(version),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteError;

    #[test]
    fn migrations_are_numbered_consecutively_up_to_the_latest() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.description);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(LATEST_VERSION));
    }

    #[test]
    fn a_fresh_database_is_migrated_once_and_a_second_open_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        let path = Path::new(":memory:");
        let report = migrate(&mut conn, path).unwrap();
        assert_eq!(
            report,
            MigrationReport {
                from: 0,
                to: LATEST_VERSION
            }
        );
        let again = migrate(&mut conn, path).unwrap();
        assert_eq!(
            again,
            MigrationReport {
                from: LATEST_VERSION,
                to: LATEST_VERSION
            }
        );
        let id: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(id, APPLICATION_ID);
    }

    #[test]
    fn a_version_1_database_gains_the_reason_column_and_keeps_its_history() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO customers VALUES ('C-1', '{}');
             INSERT INTO orders (id, customer_id, priority, status, created_at, changed_at, doc)
               VALUES ('SO-1', 'C-1', 'normal', 'scheduled', 't', 't', '{}');
             INSERT INTO order_status_history (order_id, seq, at, status)
               VALUES ('SO-1', 1, 't', 'scheduled');",
        )
        .unwrap();
        let report = migrate(&mut conn, Path::new(":memory:")).unwrap();
        assert_eq!((report.from, report.to), (1, LATEST_VERSION));
        let (status, reason): (String, Option<String>) = conn
            .query_row(
                "SELECT status, reason FROM order_status_history WHERE order_id = 'SO-1'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((status.as_str(), reason), ("scheduled", None));
    }

    #[test]
    fn a_newer_schema_is_refused_untouched() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", LATEST_VERSION + 1)
            .unwrap();
        let err = migrate(&mut conn, Path::new("x.db")).unwrap_err();
        assert!(
            matches!(err.unavailable_as(), Some(SqliteError::SchemaTooNew { found, .. }) if *found == LATEST_VERSION + 1)
        );
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 0);
    }

    #[test]
    fn another_applications_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
        let err = migrate(&mut conn, Path::new("x.db")).unwrap_err();
        assert!(
            matches!(err.unavailable_as(), Some(SqliteError::Corrupt { .. })),
            "{err}"
        );
    }
}
