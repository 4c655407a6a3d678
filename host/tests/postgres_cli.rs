//! The command line on PostgreSQL (`--db postgres://…`): the same commands on the same data give
//! the same database as on SQLite — exported, the two are the same file — and a PostgreSQL export
//! restores exactly; a schema without fieldwork tables is one clear error (exit 1). Needs
//! `FIELDWORK_TEST_POSTGRES` (see `support::postgres`).

mod support;

use fieldwork_host::postgres::PgStore;
use support::postgres::{server, with_schema};
use support::{demo_json, fieldwork, ok, stderr};

/// The day's work on the database `db`: import, generate two weeks, schedule the first week
/// (deterministic), bill March, export to `out`.
fn day(dir: &std::path::Path, db: &str, out: &str) {
    let at = ["--at", "2027-03-01T06:00:00Z"];
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--db", db, "--quiet"]);
        ok(fieldwork(dir, &all));
    };
    run(&["import", "demo.json", "--mode", "replace"]);
    run(&[
        "generate",
        "--from",
        "2027-03-01",
        "--to",
        "2027-03-14",
        at[0],
        at[1],
    ]);
    run(&[
        "schedule",
        "--from",
        "2027-03-01",
        "--to",
        "2027-03-05",
        "--iterations",
        "200",
        "--seed",
        "3",
        at[0],
        at[1],
    ]);
    run(&["bill", "--period", "2027-03"]);
    run(&["export", "--out", out]);
}

#[test]
fn the_same_commands_leave_the_same_database_on_postgres_as_on_sqlite() {
    let Some(url) = server("command-line tests") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    demo_json(d);
    let scratch = PgStore::scratch(&url).unwrap();
    let pg = with_schema(&url, scratch.schema());
    day(d, "s.db", "sqlite.json");
    day(d, &pg, "postgres.json");
    let sqlite = std::fs::read_to_string(d.join("sqlite.json")).unwrap();
    let postgres = std::fs::read_to_string(d.join("postgres.json")).unwrap();
    assert!(sqlite.contains("\"plans\""), "a plan was stored");
    assert_eq!(postgres, sqlite, "PostgreSQL and SQLite exports differ");
    // The export restores exactly on PostgreSQL.
    ok(fieldwork(
        d,
        &[
            "import",
            "postgres.json",
            "--mode",
            "replace",
            "--force",
            "--db",
            &pg,
            "--quiet",
        ],
    ));
    ok(fieldwork(
        d,
        &["export", "--out", "again.json", "--db", &pg, "--quiet"],
    ));
    assert_eq!(
        std::fs::read_to_string(d.join("again.json")).unwrap(),
        postgres
    );
}

#[test]
fn a_schema_without_fieldwork_tables_is_one_clear_error() {
    let Some(url) = server("command-line tests") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let scratch = PgStore::scratch(&url).unwrap();
    let empty = format!("{}_empty", scratch.schema());
    scratch
        .client()
        .batch_execute(&format!("CREATE SCHEMA {empty}"))
        .unwrap();
    let db = with_schema(&url, &empty);
    let out = fieldwork(dir.path(), &["run", "--days-ahead", "3", "--db", &db]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no fieldwork database"), "{err}");
    assert!(err.contains("fieldwork init"), "{err}");
    // `init` creates the tables; the command then runs.
    ok(fieldwork(dir.path(), &["init", "--db", &db, "--quiet"]));
    ok(fieldwork(
        dir.path(),
        &["export", "--db", &db, "--out", "empty.json", "--quiet"],
    ));
    scratch
        .client()
        .batch_execute(&format!("DROP SCHEMA {empty} CASCADE"))
        .unwrap();
}
