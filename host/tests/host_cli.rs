//! End-to-end tests of the host commands on a database: `init`, `import`, `export`, `--db`,
//! exit codes, JSON output, clear errors for missing, locked, corrupt and newer databases, and
//! `--help` with examples on every subcommand.

use std::path::Path;
use std::process::{Command, Output};

fn fieldwork(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldwork"))
        .current_dir(dir)
        .env("FIELDWORK_BUSY_TIMEOUT_MS", "100")
        .args(args)
        .output()
        .expect("binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    out
}

/// Subcommand names listed under `Commands:` in a help text (continuation lines are indented
/// further and skipped).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l[2..].starts_with(' '))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect()
}

fn demo_json(dir: &Path) {
    ok(fieldwork(
        dir,
        &["demo-data", "--anchor", "2027-03-01", "--out", "demo.json"],
    ));
}

#[test]
fn init_import_export_round_trip_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    demo_json(d);
    let out = ok(fieldwork(d, &["init"]));
    assert!(stdout(&out).contains("initialised fieldwork.db"));
    assert!(
        d.join("fieldwork.db").exists(),
        "--db defaults to fieldwork.db"
    );
    let out = ok(fieldwork(d, &["init", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["created"], false);
    assert_eq!(v["schema_version"], fieldwork_host::sqlite::LATEST_VERSION);
    let out = ok(fieldwork(d, &["import", "demo.json"]));
    assert!(stdout(&out).contains("customers"), "{}", stdout(&out));
    ok(fieldwork(d, &["export", "--out", "back.json"]));
    assert_eq!(
        std::fs::read(d.join("demo.json")).unwrap(),
        std::fs::read(d.join("back.json")).unwrap()
    );
    // Export to stdout, re-import into another database with --db, export again: same bytes.
    let out = ok(fieldwork(d, &["export"]));
    std::fs::write(d.join("piped.json"), stdout(&out)).unwrap();
    ok(fieldwork(
        d,
        &[
            "import",
            "piped.json",
            "--mode",
            "replace",
            "--db",
            "other.db",
        ],
    ));
    ok(fieldwork(
        d,
        &["export", "--db", "other.db", "--out", "again.json"],
    ));
    assert_eq!(
        std::fs::read(d.join("demo.json")).unwrap(),
        std::fs::read(d.join("again.json")).unwrap()
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    demo_json(d);
    ok(fieldwork(d, &["import", "demo.json"]));
    // `fieldwork export | head -c 64`: the reader goes away long before the export is written.
    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldwork"))
        .current_dir(d)
        .arg("export")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn an_invalid_dataset_is_refused_with_exit_1_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    demo_json(d);
    ok(fieldwork(d, &["import", "demo.json"]));
    let before = std::fs::read(d.join("demo.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&before).unwrap();
    v["customers"][0]["calendar"] = "no-such-calendar".into();
    v["customers"][0]["name"] = "Changed".into();
    std::fs::write(d.join("bad.json"), v.to_string()).unwrap();
    for mode in ["merge", "replace"] {
        let out = fieldwork(d, &["import", "bad.json", "--mode", mode]);
        assert_eq!(out.status.code(), Some(1), "{mode}");
        let err = stderr(&out);
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains("no-such-calendar"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    std::fs::write(d.join("broken.json"), "{\"customers\": [").unwrap();
    let out = fieldwork(d, &["import", "broken.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("broken.json: malformed JSON at line 1"));
    ok(fieldwork(d, &["export", "--out", "after.json"]));
    assert_eq!(before, std::fs::read(d.join("after.json")).unwrap());
}

#[test]
fn missing_corrupt_newer_and_locked_databases_get_one_clear_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = fieldwork(d, &["export"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "error: no database at fieldwork.db\nhint: create one with `fieldwork init --db fieldwork.db` \
         (or `fieldwork demo`), or choose another with --db PATH or FIELDWORK_DB"
    );
    assert!(!d.join("fieldwork.db").exists());

    std::fs::write(
        d.join("junk.db"),
        "this is not a database, just text".repeat(200),
    )
    .unwrap();
    let out = fieldwork(d, &["export", "--db", "junk.db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: junk.db is not a fieldwork database or is corrupt"),
        "{}",
        stderr(&out)
    );

    ok(fieldwork(d, &["init", "--db", "new.db"]));
    rusqlite::Connection::open(d.join("new.db"))
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let out = fieldwork(d, &["init", "--db", "new.db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "has schema version 99, newer than this fieldwork supports ({})",
            fieldwork_host::sqlite::LATEST_VERSION
        )),
        "{}",
        stderr(&out)
    );

    demo_json(d);
    ok(fieldwork(d, &["init"]));
    let lock = rusqlite::Connection::open(d.join("fieldwork.db")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let out = fieldwork(d, &["import", "demo.json"]);
    lock.execute_batch("ROLLBACK").unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).lines().collect::<Vec<_>>(),
        ["error: database fieldwork.db is locked by another process (try again when it has finished)"]
    );
}

#[test]
fn every_subcommand_has_help_with_examples() {
    let dir = tempfile::tempdir().unwrap();
    let top = ok(fieldwork(dir.path(), &["--help"]));
    let text = stdout(&top);
    // --db is no global option: only the commands that open a database take it.
    assert!(!text.contains("--db"), "{text}");
    let commands = subcommands(&text);
    for required in ["init", "import", "export", "demo", "run", "bill", "sla"] {
        assert!(
            commands.iter().any(|c| c == required),
            "{required} in {commands:?}"
        );
    }
    for command in &commands {
        let out = ok(fieldwork(dir.path(), &[command, "--help"]));
        let help = stdout(&out);
        let has_examples = help.contains("Examples:")
            || subcommands(&help).iter().all(|sub| {
                stdout(&ok(fieldwork(dir.path(), &[command, sub, "--help"]))).contains("Examples:")
            });
        assert!(
            has_examples,
            "`fieldwork {command} --help` has no examples:\n{help}"
        );
    }
}
