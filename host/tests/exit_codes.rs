//! Exit codes of commands that complete with failures, and of bad paths and periods: a rule
//! that makes a phase fail, a `--db` that is a directory, a month outside the calendar's range.
//! Each failure exits 1 with the summary still on stdout and one `error:` line on stderr.

mod support;

use std::path::Path;
use support::{demo_json, fieldwork, ok, stderr, stdout};

/// A database with the demo dataset in `dir/f.db`.
fn demo_db(dir: &Path) {
    demo_json(dir);
    ok(fieldwork(dir, &["init", "--db", "f.db", "--quiet"]));
    ok(fieldwork(
        dir,
        &["import", "demo.json", "--db", "f.db", "--quiet"],
    ));
}

/// Writes one rule file `name` into `dir/rules` and returns the rules folder's name.
fn rule(dir: &Path, name: &str, text: &str) -> &'static str {
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("rules").join(name), text).unwrap();
    "rules"
}

/// `fieldwork run` over two days of the demo with the rules of `dir/rules`.
fn run(dir: &Path) -> std::process::Output {
    fieldwork(
        dir,
        &[
            "run",
            "--db",
            "f.db",
            "--rules",
            "rules",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-02",
            "--at",
            "2027-03-01T06:00:00Z",
        ],
    )
}

/// Exit 1, the summary on stdout, exactly one `error:` line on stderr containing `needle`.
fn failed_with(out: &std::process::Output, summary: &str, needle: &str) {
    let (so, se) = (stdout(out), stderr(out));
    assert_eq!(out.status.code(), Some(1), "stdout:\n{so}\nstderr:\n{se}");
    assert!(so.contains(summary), "stdout:\n{so}");
    let lines: Vec<&str> = se.lines().collect();
    assert_eq!(lines.len(), 1, "stderr:\n{se}");
    assert!(lines[0].starts_with("error: "), "stderr:\n{se}");
    assert!(lines[0].contains(needle), "stderr:\n{se}");
}

#[test]
fn run_exits_1_when_adjust_occurrence_throws() {
    let dir = tempfile::tempdir().unwrap();
    demo_db(dir.path());
    rule(
        dir.path(),
        "recurrence.rhai",
        "fn adjust_occurrence(o, l, c) { throw \"boom\"; }\n",
    );
    let out = run(dir.path());
    failed_with(
        &out,
        "main job over",
        "failed to generate; first: agreement line",
    );
    assert!(stderr(&out).contains("boom"), "{}", stderr(&out));
}

#[test]
fn run_exits_1_when_sla_targets_throws() {
    let dir = tempfile::tempdir().unwrap();
    demo_db(dir.path());
    rule(
        dir.path(),
        "sla.rhai",
        "fn sla_targets(o, c, a) { throw \"nope\"; }\n",
    );
    let out = run(dir.path());
    failed_with(&out, "without SLA", "orders without SLA status");
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
}

#[test]
fn run_exits_1_when_scheduling_fails_and_keeps_what_it_committed() {
    let dir = tempfile::tempdir().unwrap();
    demo_db(dir.path());
    rule(
        dir.path(),
        "dispatch.rhai",
        "fn order_profile(o, c) { throw \"op\"; }\n",
    );
    let out = run(dir.path());
    failed_with(
        &out,
        "failed, orders stay unscheduled",
        "scheduling failed; first: scheduling:",
    );
    // The generated orders are committed: a rerun with good rules generates none again.
    std::fs::remove_file(dir.path().join("rules/dispatch.rhai")).unwrap();
    let again = ok(run(dir.path()));
    assert!(
        stdout(&again).contains("0 orders created"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn run_exits_1_when_dispatch_policy_returns_a_bad_shape() {
    let dir = tempfile::tempdir().unwrap();
    demo_db(dir.path());
    rule(dir.path(), "dispatch.rhai", "fn dispatch_policy() { 42 }\n");
    let out = run(dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let se = stderr(&out);
    assert_eq!(se.lines().count(), 1, "{se}");
    assert!(se.contains("dispatch_policy"), "{se}");
}

#[test]
fn run_with_good_rules_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    demo_db(dir.path());
    support::copy_shipped_rules(&dir.path().join("rules"));
    let out = ok(run(dir.path()));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn generate_exits_1_when_every_line_failed() {
    let dir = tempfile::tempdir().unwrap();
    demo_json(dir.path());
    rule(
        dir.path(),
        "recurrence.rhai",
        "fn adjust_occurrence(o, l, c) { throw \"boom\"; }\n",
    );
    for json in [false, true] {
        let mut args = vec![
            "generate",
            "--dataset",
            "demo.json",
            "--rules",
            "rules",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-07",
            "--at",
            "2027-03-01T06:00:00Z",
        ];
        if json {
            args.push("--json");
        }
        let out = fieldwork(dir.path(), &args);
        let summary = if json { "\"errors\"" } else { "failed lines" };
        failed_with(&out, summary, "agreement lines failed to generate; first:");
    }
}

#[test]
fn a_db_that_is_a_directory_or_in_a_missing_folder_is_a_user_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("adir")).unwrap();
    demo_json(dir.path());
    for args in [
        &["init", "--db", "adir"][..],
        &["run", "--db", "adir", "--days-ahead", "1"],
        &["sla", "report", "--db", "adir"],
        &["import", "demo.json", "--db", "adir"],
        &["export", "--db", "adir"],
    ] {
        let out = fieldwork(dir.path(), args);
        let se = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {se}");
        assert!(
            se.starts_with("error: adir is a directory"),
            "{args:?}: {se}"
        );
        assert_eq!(se.lines().count(), 1, "{args:?}: {se}");
    }
    for args in [
        &["init", "--db", "nofolder/x.db"][..],
        &["import", "demo.json", "--db", "nofolder/x.db"],
        &["demo", "--db", "nofolder/x.db", "--weeks", "1"],
    ] {
        let out = fieldwork(dir.path(), args);
        let se = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {se}");
        assert!(
            se.contains("folder nofolder does not exist"),
            "{args:?}: {se}"
        );
        assert!(!dir.path().join("nofolder").exists());
    }
}

#[test]
fn bill_rejects_months_outside_the_supported_range() {
    let dir = tempfile::tempdir().unwrap();
    demo_json(dir.path());
    for period in ["0000-01", "1899-12", "2200-01", "9999-12"] {
        let out = fieldwork(
            dir.path(),
            &["bill", "--dataset", "demo.json", "--period", period],
        );
        let se = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{period}: {se}");
        assert!(se.starts_with("error: "), "{period}: {se}");
        assert!(se.contains("1900-01 to 2199-12"), "{period}: {se}");
        assert!(stdout(&out).is_empty(), "{period}: {}", stdout(&out));
    }
    for period in ["1900-01", "2199-12"] {
        ok(fieldwork(
            dir.path(),
            &[
                "bill",
                "--dataset",
                "demo.json",
                "--period",
                period,
                "--quiet",
            ],
        ));
    }
}

#[test]
fn import_refuses_out_of_range_instants_and_never_open_calendars_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    demo_json(dir.path());
    ok(fieldwork(dir.path(), &["init", "--db", "f.db", "--quiet"]));
    let text = std::fs::read_to_string(dir.path().join("demo.json")).unwrap();
    let mut data: serde_json::Value = serde_json::from_str(&text).unwrap();
    let order = data["orders"][0]["id"].as_str().unwrap().to_owned();
    let calendar = data["calendars"][0]["id"].as_str().unwrap().to_owned();
    data["orders"][0]["due"] = serde_json::json!("0001-01-01T00:00:00Z");
    data["calendars"][0]["weekly"] = serde_json::json!({});
    data["calendars"][0]["exceptions"] = serde_json::json!({});
    std::fs::write(dir.path().join("bad.json"), data.to_string()).unwrap();
    let out = fieldwork(dir.path(), &["import", "bad.json", "--db", "f.db"]);
    let se = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{se}");
    assert!(se.starts_with("error: "), "{se}");
    assert!(
        se.contains(&format!("order `{order}`: field `due`")),
        "{se}"
    );
    assert!(
        se.contains(&format!("calendar `{calendar}`: field `weekly`")),
        "{se}"
    );
    // Nothing stored: the export is an empty dataset.
    let exported = support::fieldwork_json(dir.path(), &["export", "--db", "f.db", "--json"]);
    assert!(
        exported["orders"].as_array().is_none_or(|o| o.is_empty()),
        "{exported}"
    );
}
