//! Crash safety: the real binary is killed with SIGKILL at random moments of `run` and
//! `generate` (seeded, a few iterations), then the database must be sound (`PRAGMA
//! integrity_check`, foreign keys), every batch wholly present or wholly absent (its recorded
//! row count equals the rows stamped with its id), and rerunning the same command must complete
//! the work without duplicates — ending in exactly the state of an uninterrupted run.

#![cfg(unix)]

use fieldwork::random::SplitMix64;
use rusqlite::Connection;
use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const ANCHOR: &str = "2027-03-01";
const AT: &str = "2027-03-01T11:00:00Z";
const ITERATIONS: usize = 3;

fn fieldwork(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fieldwork"));
    cmd.current_dir(dir).arg("--quiet");
    cmd
}

fn succeed(cmd: &mut Command) {
    let out = cmd.output().expect("binary runs");
    assert!(
        out.status.success(),
        "{cmd:?}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A database with the demo dataset, to copy for each run.
fn template(dir: &Path) -> PathBuf {
    succeed(fieldwork(dir).args(["demo-data", "--anchor", ANCHOR, "--out", "demo.json"]));
    succeed(fieldwork(dir).args(["import", "demo.json", "--db", "template.db"]));
    dir.join("template.db")
}

fn copy_of(template: &Path, name: &str) -> PathBuf {
    let path = template.with_file_name(name);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::copy(template, &path).unwrap();
    path
}

/// What a finished run leaves: the orders and their generation keys. (Which orders the
/// scheduler places may differ between runs cut by its time budget; that every scheduled order
/// is in a stored plan, and only once, is checked by `check_consistent`.)
#[derive(Debug, PartialEq, Eq)]
struct State {
    orders: BTreeSet<String>,
    keys: BTreeSet<(String, String)>,
}

fn state(db: &Path) -> State {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM orders").unwrap();
    let orders = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut stmt = conn
        .prepare("SELECT key, order_id FROM generation_keys")
        .unwrap();
    let keys = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    State { orders, keys }
}

/// The database is sound and every batch is wholly present: its recorded row count equals the
/// records stamped with its id.
/// The single integer a counting query returns.
fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn check_consistent(db: &Path, context: &str) {
    let conn = Connection::open(db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "{context}");
    let dangling: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(dangling, 0, "{context}: dangling references");
    let mut stmt = conn
        .prepare(
            "SELECT b.id, b.rows,
                    (SELECT count(*) FROM orders o WHERE o.batch_id = b.id),
                    (SELECT count(*) FROM generation_keys k WHERE k.batch_id = b.id)
             FROM batches b WHERE b.kind = 'generate'",
        )
        .unwrap();
    let batches: Vec<(i64, i64, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (id, rows, orders, keys) in batches {
        assert!(
            rows > 0 && rows == orders && rows == keys,
            "{context}: batch {id} records {rows} rows, has {orders} orders and {keys} keys"
        );
    }
    let unkeyed: i64 = count(
        &conn,
        "SELECT count(*) FROM orders o WHERE o.origin_line IS NOT NULL AND o.batch_id IN
               (SELECT id FROM batches WHERE kind = 'generate')
             AND NOT EXISTS (SELECT 1 FROM generation_keys k WHERE k.order_id = o.id)",
    );
    assert_eq!(unkeyed, 0, "{context}: generated orders without a key");
    let duplicates: i64 = count(
        &conn,
        "SELECT count(*) FROM (SELECT origin_line, origin_occurrence FROM orders
               WHERE origin_line IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1)",
    );
    assert_eq!(
        duplicates, 0,
        "{context}: an occurrence was generated twice"
    );
    // A plan batch is whole: the plan row, and every order it places is `scheduled` (its status
    // change was written with it); no order is placed twice; no order is `scheduled` without a
    // stored visit.
    let misplaced: i64 = count(
        &conn,
        "SELECT count(*) FROM plan_visits v JOIN orders o ON o.id = v.order_id
             WHERE o.status <> 'scheduled'",
    );
    assert_eq!(misplaced, 0, "{context}: a planned order is not scheduled");
    let twice: i64 = count(
        &conn,
        // (a multi-day job's parts and a crew's members are one visit each: by order and part)
        "SELECT count(*) FROM (SELECT order_id, part FROM plan_visits GROUP BY 1, 2 \
         HAVING count(*) > 1)",
    );
    assert_eq!(twice, 0, "{context}: an order is planned twice");
    let unplanned: i64 = count(
        &conn,
        "SELECT count(*) FROM orders o WHERE o.status = 'scheduled'
             AND NOT EXISTS (SELECT 1 FROM plan_visits v WHERE v.order_id = o.id)",
    );
    assert_eq!(
        unplanned, 0,
        "{context}: a scheduled order has no planned visit"
    );
    let plan_batches: i64 = count(
        &conn,
        "SELECT count(*) FROM batches b WHERE b.kind = 'plan'
             AND NOT EXISTS (SELECT 1 FROM plans p WHERE p.batch_id = b.id)
             AND b.id = (SELECT max(id) FROM batches WHERE kind = 'plan')",
    );
    assert_eq!(
        plan_batches, 0,
        "{context}: the last plan batch has no plan"
    );
}

fn kill_and_rerun(command: &[&str], seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let template = template(dir.path());
    let args = |db: &str| {
        let mut a: Vec<String> = command.iter().map(|s| (*s).to_owned()).collect();
        a.extend(["--db".into(), db.into()]);
        a
    };

    // Two uninterrupted runs: the state every interrupted run must end in (both must agree),
    // and the duration the kill delays are drawn from (the faster one: caches are warm then).
    let mut full = std::time::Duration::MAX;
    let mut states = Vec::new();
    for name in ["reference-1.db", "reference-2.db"] {
        let reference = copy_of(&template, name);
        let started = Instant::now();
        succeed(fieldwork(dir.path()).args(args(name)));
        full = full.min(started.elapsed());
        check_consistent(&reference, "uninterrupted run");
        states.push(state(&reference));
    }
    assert_eq!(states[0], states[1], "uninterrupted runs disagree");
    let expected = states.remove(0);
    let before = state(&template);
    assert!(
        expected.keys.len() > 100,
        "the run should generate enough orders to be interrupted ({} keys)",
        expected.keys.len()
    );

    let mut rng = SplitMix64::new(seed); // seeded: the kill delays are reproducible
    let mut killed = 0;
    // Until ITERATIONS runs were killed mid-way (a run may finish before its kill).
    for i in 0..2 * ITERATIONS {
        if killed == ITERATIONS {
            break;
        }
        let name = format!("run-{i}.db");
        let db = copy_of(&template, &name);
        let mut child = fieldwork(dir.path())
            .args(args(&name))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // Stratified: early, middle and late in the run (load, generation, SLA, scheduling).
        let stratum = (i % ITERATIONS) as f64;
        let fraction = rng.between(stratum, stratum + 1.0) / ITERATIONS as f64;
        let delay = full.mul_f64(0.02 + 0.93 * fraction);
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if status.signal() == Some(9) {
            killed += 1;
        }
        let context = format!("{command:?}, run {i} killed after {delay:?}");
        check_consistent(&db, &context);
        let partial = state(&db);
        assert!(
            partial.keys.is_subset(&expected.keys) && before.keys.is_subset(&partial.keys),
            "{context}: a killed run wrote keys a full run does not"
        );
        // Rerunning completes the work: exactly the uninterrupted state, nothing twice.
        succeed(fieldwork(dir.path()).args(args(&name)));
        check_consistent(&db, &format!("{context}, rerun"));
        assert_eq!(state(&db), expected, "{context}, rerun");
    }
    assert!(
        killed >= 2,
        "only {killed} runs were killed before they finished"
    );
}

#[test]
fn killing_generate_at_random_moments_loses_nothing_and_duplicates_nothing() {
    kill_and_rerun(
        &[
            "generate",
            "--from",
            ANCHOR,
            "--to",
            "2027-05-23",
            "--at",
            AT,
            "--batch-size",
            "25",
        ],
        0x5EED,
    );
}

#[test]
fn killing_run_at_random_moments_loses_nothing_and_duplicates_nothing() {
    kill_and_rerun(
        &[
            "run",
            "--from",
            ANCHOR,
            "--to",
            "2027-04-25",
            "--at",
            AT,
            "--batch-size",
            "40",
        ],
        0xC0FFEE,
    );
}
