//! Concurrent writers on one database (#14 item 9): a `run` whose model was read before another
//! process stored the same generated orders — a second `run`, or an `import --mode merge` of an
//! exported dataset holding them — skips them inside its write transaction instead of failing
//! with "id already taken", and every run reports as created exactly the orders it wrote.
//!
//! The races are reproduced deterministically with two store handles on one SQLite file (the
//! model of the first handle is read before the second one writes), and once with two real
//! processes started together.

mod support;

use chrono::{DateTime, NaiveDate, Utc};
use fieldwork::job::{generate_phase, Engines, GenerateSummary, JobOptions, NoProgress};
use fieldwork::model::{Dataset, Model};
use fieldwork::rules::RuleSet;
use fieldwork::store::{ImportMode, Store};
use fieldwork_host::sqlite::SqliteStore;
use std::path::{Path, PathBuf};
use support::{demo_json, fieldwork, ok};

fn now() -> DateTime<Utc> {
    "2027-03-01T12:00:00Z".parse().unwrap()
}

fn options() -> JobOptions {
    JobOptions::new(
        NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        NaiveDate::from_ymd_opt(2027, 3, 15).unwrap(),
        now(),
    )
}

/// A database with the demo dataset imported (nothing generated yet).
fn demo_db(dir: &Path, name: &str) -> PathBuf {
    demo_json(dir);
    ok(fieldwork(
        dir,
        &["import", "--db", name, "demo.json", "--quiet"],
    ));
    dir.join(name)
}

/// Runs the generation phase of the main job with `model` (possibly read long before) on `store`.
fn generate(store: &mut SqliteStore, mut model: Model) -> GenerateSummary {
    let rules = RuleSet::empty();
    let engines = Engines::new(&model, &rules).unwrap();
    generate_phase(store, &mut model, &engines, &options(), &mut NoProgress).unwrap()
}

fn generated_rows(store: &SqliteStore) -> usize {
    store.generation_keys().unwrap().len()
}

#[test]
fn a_run_racing_another_run_reports_only_the_orders_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path(), "d.db");
    let mut first = SqliteStore::open(&db).unwrap();
    let mut second = SqliteStore::open(&db).unwrap();
    // Both runs read the model before either writes.
    let (model_1, model_2) = (first.load_model().unwrap(), second.load_model().unwrap());
    let a = generate(&mut first, model_1);
    let b = generate(&mut second, model_2);
    let rows = generated_rows(&first);
    assert!(rows > 50, "{rows}");
    assert_eq!(a.report.created.len(), a.persisted.written);
    assert_eq!(b.report.created.len(), b.persisted.written);
    assert_eq!(a.persisted.written + b.persisted.written, rows);
    assert_eq!(b.persisted.written, 0);
    // The loser counts them as already stored, so its report still accounts for everything.
    assert_eq!(b.report.skipped_existing, rows);
    assert_eq!(b.persisted.skipped_keys.len(), rows);
}

#[test]
fn a_run_racing_a_merge_import_of_the_same_generated_orders_skips_them() {
    let dir = tempfile::tempdir().unwrap();
    // Elsewhere: the same demo, generated and exported (the dataset an administrator merges).
    let other = demo_db(dir.path(), "other.db");
    let mut other = SqliteStore::open(&other).unwrap();
    let model = other.load_model().unwrap();
    let made = generate(&mut other, model);
    assert!(made.persisted.written > 50);
    let exported: Dataset = other.export().unwrap();

    let db = demo_db(dir.path(), "d.db");
    let mut run = SqliteStore::open(&db).unwrap();
    let stale = run.load_model().unwrap();
    let mut import = SqliteStore::open(&db).unwrap();
    import.import(exported, ImportMode::Merge).unwrap();
    // Before the fix: Conflict "id already taken by another order (generation key …)".
    let g = generate(&mut run, stale);
    assert_eq!(g.persisted.written, 0);
    assert!(g.report.created.is_empty());
    assert_eq!(g.persisted.skipped, made.persisted.written);
    // An order with a generated id but another origin is still a conflict, not skipped.
    let fresh = tempfile::tempdir().unwrap();
    let db2 = demo_db(fresh.path(), "e.db");
    let mut run2 = SqliteStore::open(&db2).unwrap();
    let stale2 = run2.load_model().unwrap();
    let mut dataset = other.export().unwrap();
    let first_generated = dataset
        .orders
        .iter()
        .position(|o| o.id.as_str().starts_with("SO-L-"))
        .unwrap();
    let mut impostor = dataset.orders[first_generated].clone();
    impostor.origin = fieldwork::model::OrderOrigin::Manual;
    dataset.orders = vec![impostor];
    let mut import2 = SqliteStore::open(&db2).unwrap();
    import2.import(dataset, ImportMode::Merge).unwrap();
    let rules = RuleSet::empty();
    let mut stale2 = stale2;
    let engines = Engines::new(&stale2, &rules).unwrap();
    let err = generate_phase(
        &mut run2,
        &mut stale2,
        &engines,
        &options(),
        &mut NoProgress,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("id already taken"), "{err}");
}

#[test]
fn two_concurrent_run_processes_report_what_they_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path(), "d.db");
    let db_text = db.to_string_lossy().into_owned();
    let args = [
        "run",
        "--db",
        db_text.as_str(),
        "--at",
        "2027-03-01T12:00:00Z",
        "--days-ahead",
        "14",
        "--json",
    ];
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_fieldwork"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("FIELDWORK_DB")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let mut created = 0;
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        let v = support::json(out);
        let g = &v["generation"];
        let c = g["report"]["created"].as_array().unwrap().len();
        assert_eq!(c as u64, g["persisted"]["written"].as_u64().unwrap());
        created += c;
    }
    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(created, generated_rows(&store));
}
