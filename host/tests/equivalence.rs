//! One path, one truth: `schedule`, `sla report` and `generate` give the same results on a
//! dataset file and on a database imported from it — with the built-in rules (no `rules/`
//! folder) and with the shipped rules found in `./rules` — and every output names the rules it
//! used.

mod support;

use serde_json::Value;
use std::path::Path;
use support::{copy_shipped_rules, demo_json, fieldwork_json as fieldwork};

const AT: &str = "2027-03-01T06:00:00Z";

/// A fresh database imported from the dataset (each command mutates its own copy).
fn database(cwd: &Path, name: &str) -> String {
    let db = format!("{name}.db");
    fieldwork(
        cwd,
        &[
            "import",
            "demo.json",
            "--mode",
            "replace",
            "--force",
            "--db",
            &db,
            "--json",
        ],
    );
    db
}

fn without(mut v: Value, keys: &[&str]) -> Value {
    if let Some(map) = v.as_object_mut() {
        for k in keys {
            map.remove(*k);
        }
    }
    v
}

/// Runs the three commands both ways in `cwd` and returns the rules label they reported.
fn same_results_both_ways(cwd: &Path) -> String {
    // generate: the same orders, counts and report.
    let horizon = [
        "--from",
        "2027-03-01",
        "--to",
        "2027-03-14",
        "--at",
        AT,
        "--json",
    ];
    let mut on_file = vec!["generate", "--dataset", "demo.json"];
    on_file.extend(horizon);
    let file = fieldwork(cwd, &on_file);
    let db = database(cwd, "generate");
    let mut on_db = vec!["generate", "--db", db.as_str()];
    on_db.extend(horizon);
    let stored = fieldwork(cwd, &on_db);
    assert_eq!(file["report"], stored["report"], "generate differs");
    assert!(!file["report"]["created"].as_array().unwrap().is_empty());
    let rules = file["rules"].as_str().unwrap().to_owned();
    assert_eq!(stored["rules"], file["rules"]);

    // sla report: the same statuses and compliance.
    let file = fieldwork(
        cwd,
        &[
            "sla",
            "report",
            "--dataset",
            "demo.json",
            "--at",
            AT,
            "--json",
        ],
    );
    let db = database(cwd, "sla");
    let stored = fieldwork(cwd, &["sla", "report", "--db", &db, "--at", AT, "--json"]);
    assert_eq!(file, stored, "sla report differs");
    assert_eq!(file["rules"], rules.as_str());

    // schedule: the same plan (a deterministic iteration budget, not a time budget).
    let window = [
        "--from",
        "2027-03-01",
        "--to",
        "2027-03-02",
        "--at",
        AT,
        "--iterations",
        "300",
        "--budget-ms",
        "600000",
        "--json",
    ];
    let mut on_file = vec!["schedule", "--dataset", "demo.json"];
    on_file.extend(window);
    let file = fieldwork(cwd, &on_file);
    let db = database(cwd, "schedule");
    let mut on_db = vec!["schedule", "--db", db.as_str()];
    on_db.extend(window);
    let stored = fieldwork(cwd, &on_db);
    assert!(file["plan"]["routes"]
        .as_array()
        .is_some_and(|r| !r.is_empty()));
    assert_eq!(
        without(file, &["created_at"]),
        without(stored, &["created_at"]),
        "schedule differs"
    );
    rules
}

#[test]
fn dataset_and_database_agree_with_and_without_a_rules_folder() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    demo_json(cwd);
    assert_eq!(same_results_both_ways(cwd), "built-in");
    let files = copy_shipped_rules(&cwd.join("rules"));
    assert_eq!(
        same_results_both_ways(cwd),
        format!("rules/ ({files} files)")
    );
}
