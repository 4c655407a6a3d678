//! The `fieldwork sla` commands end to end: `sla due` (one deadline, JSON-lines batch) and
//! `sla report` on a dataset (exit codes, JSON, bad input).

use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

fn dataset() -> Value {
    let day = json!([["08:00", "17:00"]]);
    json!({
        "calendars": [{"id": "office", "time_zone": "Europe/Berlin",
            "weekly": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day},
            "holidays": ["2027-03-08"]}],
        "customers": [
            {"id": "C-GOLD", "name": "Gold GmbH", "tier": "gold", "time_zone": "Europe/Berlin",
             "location": {"lat": 52.5, "lon": 13.4}, "calendar": "office"},
            {"id": "C-BRONZE", "name": "Bronze AG", "tier": "bronze", "time_zone": "Europe/Berlin",
             "location": {"lat": 52.5, "lon": 13.4}, "calendar": "office"}],
        "orders": [
            // Gold, high: 4 h response, next-business-day resolution. Created Friday 15:00 CET.
            {"id": "SO-1", "customer": "C-GOLD", "origin": {"kind": "manual"}, "priority": "high",
             "created_at": "2027-03-05T14:00:00Z",
             "history": [{"at": "2027-03-05T15:00:00Z", "status": "scheduled"},
                         {"at": "2027-03-09T08:00:00Z", "status": "in_progress"},
                         {"at": "2027-03-09T11:00:00Z", "status": "completed"}]},
            // Bronze, normal: 24 h response, 80 h resolution; responded late.
            {"id": "SO-2", "customer": "C-BRONZE", "origin": {"kind": "manual"}, "priority": "normal",
             "created_at": "2027-03-01T07:00:00Z",
             "history": [{"at": "2027-03-05T09:00:00Z", "status": "scheduled"}]},
            // Gold, critical: 24x7, 1 h response; still open.
            {"id": "SO-3", "customer": "C-GOLD", "origin": {"kind": "manual"}, "priority": "critical",
             "created_at": "2027-03-10T22:00:00Z"}
        ]
    })
}

fn fieldwork(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldwork"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const OFFICE: &str = r#"{"id":"office","time_zone":"Europe/Berlin",
    "weekly":{"mon":[["08:00","17:00"]],"fri":[["08:00","17:00"]]},"holidays":["2027-03-08"]}"#;

#[test]
fn sla_due_prints_the_local_time_and_utc_json() {
    let dir = tempfile::tempdir().unwrap();
    let cal = write(&dir, "office.json", OFFICE);
    let args = [
        "sla",
        "due",
        "--calendar",
        &cal,
        "--start",
        "2027-03-05T16:00:00+01:00",
        "--minutes",
        "120",
    ];
    let (code, out, _) = fieldwork(&args, "");
    // Text: the local time of the calendar's zone; JSON: RFC 3339 in UTC, whole seconds.
    assert_eq!((code, out.as_str()), (0, "Fri 2027-03-12 09:00 CET\n"));
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (code, out, _) = fieldwork(&json_args, "");
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["due"],
        "2027-03-12T08:00:00Z"
    );
}

#[test]
fn sla_due_batch_answers_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let cal = write(&dir, "office.json", OFFICE);
    let input = "{\"start\":\"2027-03-05T16:00:00+01:00\",\"minutes\":60}\n{\"start\":\"soon\",\"minutes\":1}\n";
    let (code, out, _) = fieldwork(&["sla", "due", "--calendar", &cal, "--batch"], input);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], r#"{"due":"2027-03-05T16:00:00Z"}"#);
    assert!(
        lines[1].starts_with(r#"{"error":"line 2: start: `soon`"#),
        "{}",
        lines[1]
    );
}

#[test]
fn sla_due_bad_input_is_one_error_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            r#"{"id":"x","time_zone":"UTC","weekly":{"mon":[["08:00",]]}}"#,
            "line 1, column",
        ),
        (
            r#"{"id":"x","time_zone":"Mars/Olympus","weekly":{}}"#,
            "field `time_zone`: unknown time zone `Mars/Olympus`",
        ),
        (
            r#"{"id":"x","time_zone":"UTC","weekly":{"mon":[["17:00","08:00"]]}}"#,
            "field `weekly.mon`: interval 17:00-08:00",
        ),
    ];
    for (i, (json, expected)) in cases.iter().enumerate() {
        let cal = write(&dir, &format!("bad{i}.json"), json);
        let (code, out, err) = fieldwork(
            &[
                "sla",
                "due",
                "--calendar",
                &cal,
                "--start",
                "2027-03-01T08:00:00Z",
                "--minutes",
                "1",
            ],
            "",
        );
        assert_eq!(code, 1, "{err}");
        assert!(out.is_empty());
        assert!(
            err.starts_with("error: ") && err.contains(expected),
            "{err}"
        );
    }
    let cal = write(&dir, "office.json", OFFICE);
    let (code, _, err) = fieldwork(
        &[
            "sla",
            "due",
            "--calendar",
            &cal,
            "--start",
            "2027-03-01 8 o'clock",
            "--minutes",
            "1",
        ],
        "",
    );
    // (A time without an offset is a local time of the calendar's zone, as --at is.)
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: invalid --start '2027-03-01 8 o'clock'")
            && err.contains("2027-03-01T07:00:00+01:00")
            && err.lines().nth(1).is_some_and(|l| l.starts_with("hint: ")),
        "{err}"
    );
    let never = write(
        &dir,
        "never.json",
        r#"{"id":"never","time_zone":"UTC","weekly":{}}"#,
    );
    let (code, _, err) = fieldwork(
        &[
            "sla",
            "due",
            "--calendar",
            &never,
            "--start",
            "2027-03-01T08:00:00Z",
            "--minutes",
            "1",
        ],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("no opening time within ten years"), "{err}");
}

#[test]
fn sla_report_prints_tables_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(&dir, "data.json", &dataset().to_string());
    let (code, out, err) = fieldwork(
        &[
            "sla",
            "report",
            "--dataset",
            &data,
            "--at",
            "2027-03-11T00:00:00Z",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines().nth(1) == Some("SLA status at Thu 2027-03-11 01:00 CET"),
        "{out}"
    );
    assert!(
        out.contains("SO-3") && out.contains("breached") && out.contains("Compliance"),
        "{out}"
    );
    let (code, out, _) = fieldwork(
        &[
            "sla",
            "report",
            "--dataset",
            &data,
            "--at",
            "2027-03-11T00:00:00Z",
            "--json",
        ],
        "",
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["orders"].as_array().unwrap().len(), 3);
    assert_eq!(v["compliance"][0]["key"], "all");
    let (code, _, err) = fieldwork(
        &["sla", "report", "--dataset", &data, "--at", "tomorrow"],
        "",
    );
    assert_eq!(code, 1);
    // One line that says what a good value looks like, and a hint.
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("error: invalid value 'tomorrow' for '--at <AT>'")
            && lines[0].contains("2027-03-01T07:00:00+01:00"),
        "{err}"
    );
    assert!(lines[1].starts_with("hint: "), "{err}");
}
