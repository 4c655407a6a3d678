//! Stable re-planning through the command line on the demo database: a rerun prints an empty
//! plan diff (text and JSON), an absence survives import and export and moves only its
//! technician's visits, and a technician's calendar follows the diff.

mod support;

use support::{copy_shipped_rules, demo_db, fieldwork, fieldwork_json, ok, stdout};

const RUN: [&str; 8] = [
    "run",
    "--db",
    "d.db",
    "--from",
    "2027-03-01",
    "--to",
    "2027-03-07",
    "--at",
];
const NOW: &str = "2027-03-01T11:00:00Z";

fn run_json(dir: &std::path::Path) -> serde_json::Value {
    let mut args: Vec<&str> = RUN.to_vec();
    args.extend([NOW, "--json"]);
    fieldwork_json(dir, &args)
}

const ABSENCE: &str = r#"{"absences": [{"technician": "T-009", "start": "2027-03-01T23:00:00Z",
                          "end": "2027-03-02T23:00:00Z", "reason": "sick"}]}"#;

/// Imports T-009's sick day (Tuesday 2027-03-02, Berlin) and re-runs the window: the plan diff's
/// changes.
fn sick_day_changes(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::write(dir.join("absence.json"), ABSENCE).unwrap();
    ok(fieldwork(
        dir,
        &["import", "--db", "d.db", "absence.json", "--mode", "merge"],
    ));
    let diff = run_json(dir)["schedule"]["diff"].clone();
    let changes = diff["changes"].as_array().unwrap().clone();
    assert!(!changes.is_empty(), "{diff}");
    changes
}

fn on_tuesday(v: &serde_json::Value) -> bool {
    v["start"].as_str().unwrap().starts_with("2027-03-02")
}

#[test]
fn a_rerun_reports_no_change_and_an_absence_moves_only_its_technician() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    demo_db(dir);
    let mut args: Vec<&str> = RUN.to_vec();
    args.push(NOW);
    let text = stdout(&ok(fieldwork(dir, &args)));
    assert!(
        text.contains("changes: 0 moved, 0 added, 0 removed, 0 newly unassigned"),
        "{text}"
    );
    let diff = &run_json(dir)["schedule"]["diff"];
    assert_eq!(diff["moved"], 0, "{diff}");
    assert!(diff["unchanged"].as_u64().unwrap() > 100);

    let t1 = dir.join("t1.ics");
    let ics_args = [
        "ics",
        "--db",
        "d.db",
        "--technician",
        "T-009",
        "--out",
        t1.to_str().unwrap(),
    ];
    ok(fieldwork(dir, &ics_args));
    // Under the shipped rules (freeze: today and the next working day; a later visit moves when
    // that saves more than `disruption_minutes` = 60 of lateness), T-009's Tuesday visits all
    // leave T-009, nobody else's visit inside the freeze moves, and a visit of another
    // technician moves only beyond it (Wednesday on), where it is traded against lateness.
    let changes = sick_day_changes(dir);
    let mut taken = 0;
    for c in &changes {
        if c["before"]["technician"] == "T-009" {
            assert!(on_tuesday(&c["before"]), "{c}");
            assert_ne!(c["after"]["technician"], "T-009", "{c}");
            taken += 1;
        } else {
            assert!(
                c["before"]["start"].as_str().unwrap() >= "2027-03-02T23:00:00Z",
                "{c}"
            );
        }
    }
    assert!(taken > 0, "{changes:?}");
    // The absence is part of the database's truth: export brings it back.
    ok(fieldwork(
        dir,
        &["export", "--db", "d.db", "--out", "back.json"],
    ));
    let back: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("back.json")).unwrap()).unwrap();
    assert_eq!(back["absences"][0]["reason"], "sick");
    // T-009's calendar shows the visits taken away as cancelled.
    ok(fieldwork(dir, &ics_args));
    let ics = std::fs::read_to_string(&t1).unwrap();
    assert_eq!(ics.matches("STATUS:CANCELLED").count(), taken, "{ics}");
    // An absence of an unknown technician is refused, nothing stored.
    std::fs::write(
        dir.join("bad.json"),
        r#"{"absences": [{"technician": "T-999", "start": "2027-03-01T23:00:00Z",
                          "end": "2027-03-02T23:00:00Z"}]}"#,
    )
    .unwrap();
    let out = fieldwork(
        dir,
        &["import", "--db", "d.db", "bad.json", "--mode", "merge"],
    );
    assert_eq!(out.status.code(), Some(1));
}

/// With a disruption penalty above any lateness a move could save (the shipped rules with
/// `disruption_minutes: 100000`, used from the demo on), the same sick day moves only T-009's
/// Tuesday visits: the stability setting of the dispatch rules is what decides.
#[test]
fn with_a_prohibitive_disruption_penalty_only_the_absent_technicians_visits_move() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert!(copy_shipped_rules(&dir.join("rules")) > 0);
    let policy = dir.join("rules/dispatch.rhai");
    let text = std::fs::read_to_string(&policy).unwrap();
    assert!(text.contains("disruption_minutes: 60,"));
    std::fs::write(
        &policy,
        text.replace("disruption_minutes: 60,", "disruption_minutes: 100000,"),
    )
    .unwrap();
    demo_db(dir);
    let diff = &run_json(dir)["schedule"]["diff"];
    assert_eq!(diff["moved"], 0, "{diff}");
    for c in sick_day_changes(dir) {
        assert_eq!(c["before"]["technician"], "T-009", "{c}");
        assert!(on_tuesday(&c["before"]), "{c}");
    }
}

/// The README's day: the demo planned on Monday noon, re-run on Tuesday noon with nothing
/// recorded. Every visit inside the freeze (Tuesday and Wednesday) stays — those whose planned
/// start passed count as under way — even on routes that begin with a depot stop (their shift
/// may start when the plan had the technician leave for the depot; before, such a route made
/// the previous plan invalid and the whole freeze was dropped: 57 visits moved). The one
/// multi-day job's part whose planned start passed stays too (as work under way; before, it was
/// placed again from "now").
#[test]
fn the_noon_rerun_keeps_every_visit_inside_the_freeze() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert!(copy_shipped_rules(&dir.join("rules")) > 0);
    ok(fieldwork(
        dir,
        &["demo", "--anchor", "2027-03-01", "--quiet"],
    ));
    let run = fieldwork_json(
        dir,
        &[
            "run",
            "--days-ahead",
            "7",
            "--at",
            "2027-03-02T12:00",
            "--json",
        ],
    );
    let diff = &run["schedule"]["diff"];
    let changes = diff["changes"].as_array().unwrap();
    assert!(diff["unchanged"].as_u64().unwrap() > 80, "{diff}");
    for c in changes {
        if c["kind"] == "added" {
            continue;
        }
        let order = c["order"].as_str().unwrap();
        let before = c["before"]["start"].as_str().unwrap();
        assert!(before >= "2027-03-03T23:00:00Z", "{order}: {c}");
    }
}
