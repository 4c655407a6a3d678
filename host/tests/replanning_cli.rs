//! Stable re-planning through the command line on the demo database: a rerun prints an empty
//! plan diff (text and JSON), an absence survives import and export and moves only its
//! technician's visits, and a technician's calendar follows the diff.

mod support;

use support::{demo_db, fieldwork, fieldwork_json, ok, stdout};

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

    // T-009 off sick on Tuesday (Berlin).
    let t1 = dir.join("t1.ics");
    ok(fieldwork(
        dir,
        &[
            "ics",
            "--db",
            "d.db",
            "--technician",
            "T-009",
            "--out",
            t1.to_str().unwrap(),
        ],
    ));
    std::fs::write(
        dir.join("absence.json"),
        r#"{"absences": [{"technician": "T-009", "start": "2027-03-01T23:00:00Z",
                          "end": "2027-03-02T23:00:00Z", "reason": "sick"}]}"#,
    )
    .unwrap();
    ok(fieldwork(
        dir,
        &["import", "--db", "d.db", "absence.json", "--mode", "merge"],
    ));
    let diff = run_json(dir)["schedule"]["diff"].clone();
    let changes = diff["changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "{diff}");
    for c in changes {
        assert_eq!(c["before"]["technician"], "T-009", "{c}");
        assert!(c["before"]["start"]
            .as_str()
            .unwrap()
            .starts_with("2027-03-02"));
    }
    // The absence is part of the database's truth: export brings it back.
    ok(fieldwork(
        dir,
        &["export", "--db", "d.db", "--out", "back.json"],
    ));
    let back: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("back.json")).unwrap()).unwrap();
    assert_eq!(back["absences"][0]["reason"], "sick");
    // T-009's calendar shows the visits taken away as cancelled.
    ok(fieldwork(
        dir,
        &[
            "ics",
            "--db",
            "d.db",
            "--technician",
            "T-009",
            "--out",
            t1.to_str().unwrap(),
        ],
    ));
    let ics = std::fs::read_to_string(&t1).unwrap();
    assert_eq!(
        ics.matches("STATUS:CANCELLED").count(),
        changes.len(),
        "{ics}"
    );
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
