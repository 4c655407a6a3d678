//! Crash safety: the real binary is killed with SIGKILL at random moments of `run` and
//! `generate` (seeded, a few iterations), then the database must be sound (`PRAGMA
//! integrity_check`, foreign keys), every batch wholly present or wholly absent (its recorded
//! row count equals the rows stamped with its id), and rerunning the same command must complete
//! the work without duplicates — ending in exactly the state of an uninterrupted run.

#![cfg(all(feature = "host", unix))]

use rusqlite::Connection;
use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const ANCHOR: &str = "2027-03-01";
const AT: &str = "2027-03-01T11:00:00Z";
const ITERATIONS: usize = 3;

/// SplitMix64, seeded: the kill delays are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

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

/// What a finished run leaves: orders (id, status) and generation keys.
#[derive(Debug, PartialEq, Eq)]
struct State {
    orders: BTreeSet<(String, String)>,
    keys: BTreeSet<(String, String)>,
}

fn state(db: &Path) -> State {
    let conn = Connection::open(db).unwrap();
    let pairs = |sql: &str| -> BTreeSet<(String, String)> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    State {
        orders: pairs("SELECT id, status FROM orders"),
        keys: pairs("SELECT key, order_id FROM generation_keys"),
    }
}

/// The database is sound and every batch is wholly present: its recorded row count equals the
/// records stamped with its id.
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
    let unkeyed: i64 = conn
        .query_row(
            "SELECT count(*) FROM orders o WHERE o.origin_line IS NOT NULL AND o.batch_id IN
               (SELECT id FROM batches WHERE kind = 'generate')
             AND NOT EXISTS (SELECT 1 FROM generation_keys k WHERE k.order_id = o.id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unkeyed, 0, "{context}: generated orders without a key");
    let duplicates: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT origin_line, origin_occurrence FROM orders
               WHERE origin_line IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        duplicates, 0,
        "{context}: an occurrence was generated twice"
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

    // An uninterrupted run: the state every interrupted run must end in, and its duration.
    let reference = copy_of(&template, "reference.db");
    let started = Instant::now();
    succeed(fieldwork(dir.path()).args(args("reference.db")));
    let full = started.elapsed();
    check_consistent(&reference, "uninterrupted run");
    let expected = state(&reference);
    let before = state(&template);
    assert!(
        expected.keys.len() > 100,
        "the run should generate enough orders to be interrupted ({} keys)",
        expected.keys.len()
    );

    let mut rng = Rng(seed);
    let mut killed = 0;
    for i in 0..ITERATIONS {
        let name = format!("run-{i}.db");
        let db = copy_of(&template, &name);
        let mut child = fieldwork(dir.path()).args(args(&name)).spawn().unwrap();
        let delay = full.mul_f64(rng.between(0.1, 0.9));
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
    assert!(killed > 0, "no run was killed before it finished");
}

#[test]
fn killing_run_at_random_moments_loses_nothing_and_duplicates_nothing() {
    kill_and_rerun(
        &[
            "run",
            "--from",
            ANCHOR,
            "--to",
            "2027-04-26",
            "--at",
            AT,
            "--batch-size",
            "40",
        ],
        0xC0FFEE,
    );
}
