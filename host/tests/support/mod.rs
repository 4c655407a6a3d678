//! What the binary's integration tests share: running the built `fieldwork` in a directory
//! (never reading the caller's `FIELDWORK_DB`), reading its output, and the demo data and
//! shipped rules to run it on. Each test file includes it with `mod support;` and uses what it
//! needs.
#![allow(dead_code)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the built binary in `dir` with `args`.
pub fn fieldwork(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldwork"))
        .args(args)
        .current_dir(dir)
        .env_remove("FIELDWORK_DB")
        .output()
        .expect("run fieldwork")
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The output of a run that must succeed (panics with both streams otherwise).
pub fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    out
}

/// The JSON output of a run that must succeed.
pub fn json(out: Output) -> Value {
    let out = ok(out);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}):\n{}", stdout(&out));
    })
}

/// Runs `fieldwork args` in `dir` and returns its JSON output (`--json` must be in `args`).
pub fn fieldwork_json(dir: &Path, args: &[&str]) -> Value {
    json(fieldwork(dir, args))
}

/// Writes the demo dataset of anchor 2027-03-01 to `dir/demo.json`.
pub fn demo_json(dir: &Path) {
    ok(fieldwork(
        dir,
        &[
            "demo-data",
            "--anchor",
            "2027-03-01",
            "--out",
            "demo.json",
            "--quiet",
        ],
    ));
}

/// Creates `dir/d.db` with `fieldwork demo` (anchor 2027-03-01, one week planned).
pub fn demo_db(dir: &Path) {
    ok(fieldwork(
        dir,
        &[
            "demo",
            "--db",
            "d.db",
            "--anchor",
            "2027-03-01",
            "--weeks",
            "1",
            "--quiet",
        ],
    ));
}

/// Copies the shipped rule files (`rules/*.rhai` of the repository) into `to`; returns how many.
pub fn copy_shipped_rules(to: &Path) -> usize {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    std::fs::create_dir_all(to).unwrap();
    let mut copied = 0;
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "rhai") {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
            copied += 1;
        }
    }
    copied
}

pub mod postgres;

/// The stores a backend-independent suite runs on, each fresh: the in-memory reference, SQLite
/// (in memory), and PostgreSQL (a scratch schema of `FIELDWORK_TEST_POSTGRES`, dropped with the
/// store) when a test server is configured — see [`postgres::server`] for skipping. A suite
/// written once against `dyn Store` thereby runs on every backend.
pub fn stores(suite: &str) -> Vec<(&'static str, Box<dyn fieldwork::store::Store>)> {
    let mut stores: Vec<(&'static str, Box<dyn fieldwork::store::Store>)> = vec![
        ("memory", Box::new(fieldwork::store::MemoryStore::new())),
        (
            "sqlite",
            Box::new(fieldwork_host::sqlite::SqliteStore::in_memory().expect("in-memory SQLite")),
        ),
    ];
    if let Some(url) = postgres::server(suite) {
        let store = fieldwork_host::postgres::PgStore::scratch(&url)
            .unwrap_or_else(|e| panic!("{suite}: a scratch PostgreSQL store: {e}"));
        stores.push(("postgres", Box::new(store)));
    }
    stores
}
