//! One set of conventions across the commands, tried through the built binary as a new user
//! would: inclusive local date ranges, one time-stamp style in text and one in JSON, `--quiet`
//! prints only results, `--db` only where a database is opened, the same value names, one-line
//! argument errors with a hint, `FIELDWORK_DB`, completions and the man page, and generation
//! counts that add up.

mod support;

use serde_json::Value;
use std::process::Command;
use support::{fieldwork, json, ok, stderr, stdout};

const AT: &str = "2027-03-01T07:00:00+01:00";

/// A directory with the demo dataset (`demo.json`) and a database planned by `demo` (`d.db`).
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    support::demo_json(dir.path());
    support::demo_db(dir.path());
    dir
}

/// Every string in a JSON value.
fn strings(v: &Value, into: &mut Vec<String>) {
    match v {
        Value::String(s) => into.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, into)),
        Value::Object(m) => m.values().for_each(|x| strings(x, into)),
        _ => {}
    }
}

/// Asserts every instant in a JSON value is RFC 3339 in UTC with whole seconds.
fn assert_json_instants(v: &Value) -> usize {
    let mut all = Vec::new();
    strings(v, &mut all);
    let instants: Vec<&String> = all
        .iter()
        .filter(|s| s.len() >= 19 && s.as_bytes()[10] == b'T' && s[..4].parse::<u32>().is_ok())
        .collect();
    for s in &instants {
        assert_eq!(s.len(), 20, "not whole seconds in UTC: {s}");
        assert!(s.ends_with('Z'), "not UTC: {s}");
        assert!(
            chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            "not RFC 3339: {s}"
        );
    }
    instants.len()
}

#[test]
fn from_and_to_are_inclusive_local_dates_on_every_command() {
    let dir = setup();
    let d = dir.path();
    // schedule: --from 2027-03-01 --to 2027-03-02 plans two days, Monday and Tuesday.
    let schedule = |output: &'static str| {
        fieldwork(
            d,
            &[
                "schedule",
                "--dataset",
                "demo.json",
                "--from",
                "2027-03-01",
                "--to",
                "2027-03-02",
                "--at",
                AT,
                "--iterations",
                "50",
                output,
            ],
        )
    };
    let plan = json(schedule("--json"));
    let mut days: Vec<&str> = plan["plan"]["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["day"].as_str().unwrap())
        .collect();
    days.sort_unstable();
    days.dedup();
    assert_eq!(days, ["2027-03-01", "2027-03-02"], "{plan}");
    // The text's figures end with the plan's overtime (none under the built-in rules).
    assert_eq!(plan["plan"]["kpis"]["overtime_minutes"], 0.0, "{plan}");
    let text = stdout(&ok(schedule("--quiet")));
    let figures = text
        .lines()
        .find(|l| l.starts_with("assigned "))
        .unwrap_or_default();
    assert!(figures.ends_with(" · overtime 0 min"), "{text}");

    // run and generate: the same range, printed unambiguously; JSON says the last day.
    let text = stdout(&ok(fieldwork(
        d,
        &[
            "run",
            "--db",
            "d.db",
            "--from",
            "2027-03-02",
            "--to",
            "2027-03-06",
            "--at",
            AT,
        ],
    )));
    assert!(
        text.contains("main job over Tue 2027-03-02 – Sat 2027-03-06 (5 days, Europe/Berlin)"),
        "{text}"
    );
    let run = json(fieldwork(
        d,
        &[
            "run",
            "--db",
            "d.db",
            "--from",
            "2027-03-02",
            "--to",
            "2027-03-06",
            "--at",
            AT,
            "--json",
        ],
    ));
    assert_eq!(
        (&run["from"], &run["to"]),
        (&"2027-03-02".into(), &"2027-03-06".into())
    );
    let generated = json(fieldwork(
        d,
        &[
            "generate",
            "--dataset",
            "demo.json",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-01",
            "--at",
            AT,
            "--json",
        ],
    ));
    assert_eq!(generated["report"]["window"]["to"], "2027-03-01");
    // Occurrences of 1 March only: every order is of that day.
    let ids = generated["report"]["created"].as_array().unwrap();
    assert!(!ids.is_empty());

    // board: the same rule at the argument level.
    let text = stdout(&ok(fieldwork(
        d,
        &[
            "board",
            "--db",
            "d.db",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-05",
            "--out",
            "b.html",
        ],
    )));
    assert!(
        text.contains("Mon 2027-03-01 – Fri 2027-03-05 (5 days, Europe/Berlin)"),
        "{text}"
    );
    // One day is --from D --to D; --to before --from says so, with a hint.
    ok(fieldwork(
        d,
        &[
            "board",
            "--db",
            "d.db",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-01",
            "--out",
            "b.html",
        ],
    ));
    let out = fieldwork(
        d,
        &[
            "schedule",
            "--dataset",
            "demo.json",
            "--from",
            "2027-03-02",
            "--to",
            "2027-03-01",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.contains("--to 2027-03-01 is before --from 2027-03-02"),
        "{err}"
    );
    assert!(err.contains("hint: both are inclusive"), "{err}");
}

#[test]
fn time_stamps_have_one_style_in_text_and_one_in_json() {
    let dir = setup();
    let d = dir.path();
    // Text: local time with the zone, the date always present.
    let text = stdout(&ok(fieldwork(
        d,
        &["sla", "report", "--db", "d.db", "--at", "2027-03-01T08:00"],
    )));
    let header = text.lines().next().unwrap();
    assert!(header.ends_with("now Mon 2027-03-01 08:00 CET"), "{header}");
    assert!(!text.contains("+00:00") && !text.contains(":00Z"), "{text}");
    let day = stdout(&ok(fieldwork(
        d,
        &[
            "today",
            "--db",
            "d.db",
            "--technician",
            "T-001",
            "--date",
            "2027-03-01",
        ],
    )));
    let due: Vec<&str> = day.lines().filter(|l| l.contains(" · due ")).collect();
    assert!(!due.is_empty(), "{day}");
    // Due times in the views: `1 Mar 2027 13:00` (the year when not now's, the zone in the
    // header), `… (overdue)` once passed (see format::due).
    for line in due {
        let at = line.split(" · due ").nth(1).unwrap();
        let at = at.strip_suffix(" (overdue)").unwrap_or(at);
        assert!(
            chrono::NaiveDateTime::parse_from_str(at, "%d %b %Y %H:%M").is_ok()
                || chrono::NaiveDate::parse_from_str(at, "%d %b %Y").is_ok(),
            "{line}"
        );
    }
    // Distances and durations for people.
    assert!(day.contains(" min / ") && day.contains(" km"), "{day}");
    let run = stdout(&ok(fieldwork(
        d,
        &["run", "--db", "d.db", "--days-ahead", "3", "--at", AT],
    )));
    assert!(
        run.lines()
            .any(|l| l.contains(" km travel") && l.contains(','))
            || run.contains("no open order"),
        "{run}"
    );

    // One "now" in the JSON of run (the context's and the job's were both printed).
    let raw = stdout(&ok(fieldwork(
        d,
        &[
            "run",
            "--db",
            "d.db",
            "--days-ahead",
            "1",
            "--at",
            AT,
            "--json",
        ],
    )));
    assert_eq!(raw.matches("\"now\":").count(), 1, "{raw}");
    // JSON: RFC 3339 in UTC with whole seconds, on every command that prints instants.
    for args in [
        vec![
            "run",
            "--db",
            "d.db",
            "--days-ahead",
            "3",
            "--at",
            AT,
            "--json",
        ],
        vec![
            "schedule",
            "--dataset",
            "demo.json",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-01",
            "--at",
            AT,
            "--iterations",
            "50",
            "--json",
        ],
        vec![
            "today",
            "--db",
            "d.db",
            "--technician",
            "T-001",
            "--date",
            "2027-03-01",
            "--json",
        ],
        vec![
            "recur",
            "--rrule",
            "FREQ=WEEKLY;BYDAY=MO",
            "--dtstart",
            "2027-03-01T09:00",
            "--tz",
            "Europe/Berlin",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-08",
            "--json",
        ],
    ] {
        let v = json(fieldwork(d, &args));
        assert!(assert_json_instants(&v) > 0, "{args:?}: no instants in {v}");
    }
    let recur = json(fieldwork(
        d,
        &[
            "recur",
            "--rrule",
            "FREQ=WEEKLY;BYDAY=MO",
            "--dtstart",
            "2027-03-01T09:00",
            "--tz",
            "Europe/Berlin",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-08",
            "--json",
        ],
    ));
    // --to is inclusive: Monday the 8th is in.
    assert_eq!(
        recur,
        serde_json::json!(["2027-03-01T08:00:00Z", "2027-03-08T08:00:00Z"])
    );
}

#[test]
fn quiet_prints_only_results() {
    let dir = setup();
    let d = dir.path();
    let out = ok(fieldwork(
        d,
        &["export", "--db", "d.db", "--out", "x.json", "--quiet"],
    ));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "");
    let out = ok(fieldwork(
        d,
        &[
            "run",
            "--db",
            "d.db",
            "--days-ahead",
            "2",
            "--at",
            AT,
            "--quiet",
        ],
    ));
    let text = stdout(&out);
    assert!(!text.contains("database d.db"), "{text}");
    assert!(text.contains("schedule"), "{text}");
    let out = ok(fieldwork(
        d,
        &[
            "schedule",
            "--db",
            "d.db",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-01",
            "--at",
            AT,
            "--iterations",
            "20",
            "--quiet",
        ],
    ));
    let text = stdout(&out);
    assert!(
        !text.contains("database d.db") && !text.contains("stored as"),
        "{text}"
    );
    let out = ok(fieldwork(
        d,
        &["ics", "--db", "d.db", "--out", "x.ics", "--quiet"],
    ));
    assert_eq!(stdout(&out), "");
    let out = ok(fieldwork(d, &["demo-data", "--out", "y.json", "--quiet"]));
    assert_eq!(stdout(&out), "");
    let out = ok(fieldwork(
        d,
        &[
            "generate",
            "--db",
            "d.db",
            "--days-ahead",
            "2",
            "--at",
            AT,
            "--quiet",
        ],
    ));
    let text = stdout(&out);
    assert!(
        !text.contains("written to") && !text.contains("database d.db"),
        "{text}"
    );
}

#[test]
fn db_only_where_a_database_is_opened_and_value_names_agree() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let help = |args: &[&str]| {
        let mut args = args.to_vec();
        args.push("--help");
        stdout(&ok(fieldwork(d, &args)))
    };
    for cmd in [
        vec!["recur"],
        vec!["check"],
        vec!["demo-data"],
        vec!["sla", "due"],
        vec!["completions"],
    ] {
        let text = help(&cmd);
        assert!(!text.contains("--db"), "{cmd:?}:\n{text}");
    }
    // rma reads return orders from the database (or --dataset), like every command with data.
    assert!(help(&["rma"]).contains("--db <PATH>"));
    for cmd in [
        vec!["run"],
        vec!["schedule"],
        vec!["generate"],
        vec!["candidates"],
        vec!["bill"],
        vec!["sla", "report"],
        vec!["rma"],
        vec!["board"],
        vec!["today"],
    ] {
        let text = help(&cmd);
        for (flag, name) in [
            ("--at", "<AT>"),
            ("--rules", "<DIR>"),
            ("--from", "<DATE>"),
            ("--to", "<DATE>"),
            ("--date", "<DATE>"),
            ("--db", "<PATH>"),
            ("--dataset", "<FILE>"),
            ("--out", "<FILE>"),
            ("--order", "<ID>"),
            ("--technician", "<ID>"),
        ] {
            let with_value = format!("{flag} <");
            if let Some(at) = text.find(&with_value) {
                let shown = &text[at + flag.len() + 1..];
                assert!(
                    shown.starts_with(name),
                    "{cmd:?}: {flag} {}",
                    &shown[..shown.find('>').map_or(shown.len(), |i| i + 1)]
                );
            }
        }
        if text.contains("--from <DATE>") {
            assert!(text.contains("inclusive"), "{cmd:?}:\n{text}");
        }
    }
    // rma takes --order like candidates (the old --id still works).
    assert!(help(&["rma"]).contains("--order <ID>"));
}

#[test]
fn argument_errors_are_one_line_and_a_hint_and_local_times_are_accepted() {
    let dir = setup();
    let d = dir.path();
    // A local time without an offset is a local time of the business.
    let v = json(fieldwork(
        d,
        &[
            "sla",
            "report",
            "--db",
            "d.db",
            "--at",
            "2027-03-09T07:00:00",
            "--json",
        ],
    ));
    assert_eq!(v["now"], "2027-03-09T06:00:00Z");
    let v = json(fieldwork(
        d,
        &[
            "sla",
            "report",
            "--db",
            "d.db",
            "--at",
            "2027-03-09 07:00",
            "--json",
        ],
    ));
    assert_eq!(v["now"], "2027-03-09T06:00:00Z");
    // sla due --start: the same, in the calendar's zone.
    std::fs::write(
        d.join("office.json"),
        r#"{"id": "office", "time_zone": "Europe/Berlin", "weekly": {"fri": [["08:00","17:00"]]}}"#,
    )
    .unwrap();
    for start in ["2027-03-05T16:00", "2027-03-05T16:00:00+01:00"] {
        let v = json(fieldwork(
            d,
            &[
                "sla",
                "due",
                "--calendar",
                "office.json",
                "--start",
                start,
                "--minutes",
                "30",
                "--json",
            ],
        ));
        assert_eq!(v["due"], "2027-03-05T15:30:00Z", "{start}");
    }
    for args in [
        vec![
            "rma",
            "--dataset",
            "demo.json",
            "--order",
            "R",
            "--at",
            "2027-03-09T07",
        ],
        vec!["run", "--db", "d.db", "--at", "soon"],
        vec![
            "schedule",
            "--dataset",
            "demo.json",
            "--from",
            "1 March",
            "--to",
            "2027-03-02",
        ],
        vec!["schedule", "--dataset", "demo.json", "--from", "2027-03-01"],
        vec!["run", "--frm", "2027-03-01"],
        vec![
            "sla",
            "due",
            "--calendar",
            "office.json",
            "--start",
            "Friday 4pm",
            "--minutes",
            "30",
        ],
    ] {
        let out = fieldwork(d, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}:\n{err}");
        assert!(lines[0].starts_with("error: "), "{err}");
        assert!(lines[1].starts_with("hint: "), "{err}");
        if args.contains(&"--at") || args.contains(&"--start") {
            assert!(
                lines[0].contains("2027-03-01T07:00:00+01:00")
                    && lines[0].contains("2027-03-01T07:00"),
                "{err}"
            );
        }
        if args.contains(&"1 March") {
            assert!(lines[0].contains("YYYY-MM-DD (e.g. 2027-03-01)"), "{err}");
        }
    }
}

#[test]
fn fieldwork_db_completions_and_man_page() {
    let dir = setup();
    let d = dir.path();
    let out = Command::new(env!("CARGO_BIN_EXE_fieldwork"))
        .args(["export", "--out", "env.json", "--quiet"])
        .current_dir(d)
        .env("FIELDWORK_DB", d.join("d.db"))
        .output()
        .unwrap();
    let out = ok(out);
    assert_eq!(stdout(&out), "");
    let exported: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("env.json")).unwrap()).unwrap();
    assert!(!exported["orders"].as_array().unwrap().is_empty());
    let bash = stdout(&ok(fieldwork(d, &["completions", "bash"])));
    assert!(
        bash.contains("_fieldwork()") && bash.contains("schedule"),
        "{bash}"
    );
    let man = stdout(&ok(fieldwork(d, &["man"])));
    assert!(
        man.starts_with(".ie") || man.contains(".TH fieldwork"),
        "{man}"
    );
    assert!(man.contains("schedule"));
}

#[test]
fn generation_counts_add_up() {
    let dir = setup();
    let d = dir.path();
    for group in ["line", "agreement", "object"] {
        let v = json(fieldwork(
            d,
            &[
                "generate",
                "--dataset",
                "demo.json",
                "--from",
                "2027-03-01",
                "--to",
                "2027-03-31",
                "--group-by",
                group,
                "--at",
                AT,
                "--json",
            ],
        ));
        let c = &v["report"];
        let n = |k: &str| c[k].as_u64().unwrap_or_else(|| panic!("{k} in {c}"));
        let orders = c["created"].as_array().unwrap().len() as u64;
        assert_eq!(
            n("occurrences"),
            orders + n("merged") + n("skipped_existing") + n("skipped_by_rule") + n("rejected"),
            "{group}: {c}"
        );
        // No rule runs here (no rules/ directory): nothing is moved "by rule".
        assert_eq!(n("moved_by_rule"), 0, "{group}: {c}");
        if group == "agreement" {
            assert!(n("merged") > 0, "{c}");
        }
    }
    // The text says the same.
    let text = stdout(&ok(fieldwork(
        d,
        &[
            "generate",
            "--dataset",
            "demo.json",
            "--from",
            "2027-03-01",
            "--to",
            "2027-12-31",
            "--at",
            AT,
        ],
    )));
    let row = |name: &str| -> u64 {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {text}"));
        line.split_whitespace().last().unwrap().parse().unwrap()
    };
    assert_eq!(row("moved by rule"), 0, "{text}");
    assert!(row("moved to a business day (built-in)") > 0, "{text}");
    assert_eq!(
        row("occurrences"),
        row("orders created")
            + row("merged into them")
            + row("already stored")
            + row("skipped by rule"),
        "{text}"
    );
}

#[test]
fn tables_fit_the_terminal_and_do_not_wrap_in_a_pipe() {
    // A terminal of 80 columns through `script` (util-linux); skipped where it is missing.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED: no `script` to give the command a terminal");
        return;
    }
    let dir = setup();
    let d = dir.path();
    let bin = env!("CARGO_BIN_EXE_fieldwork");
    let report = format!("{bin} sla report --db d.db --at 2027-03-02T07:00");
    let piped = stdout(&ok(fieldwork(
        d,
        &["sla", "report", "--db", "d.db", "--at", "2027-03-02T07:00"],
    )));
    let widest = |text: &str| text.lines().map(|l| l.trim_end().chars().count()).max();
    // In a pipe nothing wraps: the status table is wider than 80 columns.
    assert!(widest(&piped).unwrap() > 100, "{piped}");
    let out = ok(Command::new("script")
        .args([
            "-qec",
            &format!("stty rows 40 cols 80; {report}"),
            "/dev/null",
        ])
        .current_dir(d)
        .output()
        .unwrap());
    let text = stdout(&out).replace('\r', "");
    assert!(text.contains("SLA status at"), "{text}");
    assert!(widest(&text).unwrap() <= 80, "{text}");
    // The first column (the order) is never broken.
    assert!(text.lines().any(|l| l.starts_with("SO-B0001 ")), "{text}");
}

#[test]
fn schedule_shows_progress_like_run_and_quiet_silences_it() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED: no `script` to give the command a terminal");
        return;
    }
    let dir = setup();
    let d = dir.path();
    let bin = env!("CARGO_BIN_EXE_fieldwork");
    let on_terminal = |args: &str| {
        let out = ok(Command::new("script")
            .args([
                "-qec",
                &format!("stty rows 40 cols 100; {bin} {args}"),
                "/dev/null",
            ])
            .current_dir(d)
            .output()
            .unwrap());
        stdout(&out)
    };
    let schedule = "schedule --db d.db --from 2027-03-02 --to 2027-03-02 --at 2027-03-02T07:00 \
                    --budget-ms 400";
    let text = on_terminal(schedule);
    assert!(
        text.contains(" load (") && text.contains(" schedule ("),
        "{text}"
    );
    let run = on_terminal("run --db d.db --days-ahead 1 --at 2027-03-02T07:00");
    assert!(
        run.contains(" load (") && run.contains(" schedule ("),
        "{run}"
    );
    let quiet = on_terminal(&format!("{schedule} --quiet"));
    assert!(
        !quiet.contains(" load (") && !quiet.contains(" schedule ("),
        "{quiet}"
    );
}
