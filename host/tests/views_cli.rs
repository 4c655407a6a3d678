//! The role views on the command line over the demo database: the board shows every open order
//! of its window (planned, or in the backlog with why), a now line at `--at` and SLA due
//! markers; `today` shows today (the local date of now) and says when a job is overdue.

mod support;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use support::{fieldwork, json, ok, stdout};

const BERLIN: chrono_tz::Tz = chrono_tz::Europe::Berlin;

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    support::demo_db(dir.path());
    dir
}

/// The stored orders, as exported.
fn orders(dir: &std::path::Path) -> Vec<Value> {
    ok(fieldwork(
        dir,
        &["export", "--db", "d.db", "--out", "e.json", "--quiet"],
    ));
    let text = std::fs::read_to_string(dir.join("e.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["orders"].as_array().unwrap().clone()
}

fn status(order: &Value) -> &str {
    order["history"]
        .as_array()
        .and_then(|h| h.last())
        .map_or("created", |c| c["status"].as_str().unwrap())
}

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .map(|s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

#[test]
fn the_board_shows_every_open_order_of_the_window() {
    let dir = setup();
    let d = dir.path();
    // Orders of the next week generated but not planned yet: the old board showed none of them.
    ok(fieldwork(
        d,
        &[
            "generate",
            "--db",
            "d.db",
            "--from",
            "2027-03-08",
            "--to",
            "2027-03-09",
            "--at",
            "2027-03-03T10:00",
            "--quiet",
        ],
    ));
    let args = [
        "board",
        "--db",
        "d.db",
        "--from",
        "2027-03-01",
        "--to",
        "2027-03-09",
        "--at",
        "2027-03-03T10:00",
        "--out",
        "b.html",
    ];
    let text = stdout(&ok(fieldwork(d, &args)));
    assert!(text.contains("now Wed 2027-03-03 10:00 CET"), "{text}");
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let summary = json(fieldwork(d, &with_json));
    let html = std::fs::read_to_string(d.join("b.html")).unwrap();

    // Every open order workable before the window ends is on the board: a bar or a backlog
    // entry (the demo plans the first days; the rest of the window is backlog).
    let until = chrono::TimeZone::from_local_datetime(
        &BERLIN,
        &NaiveDate::from_ymd_opt(2027, 3, 10)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
    )
    .unwrap()
    .with_timezone(&Utc);
    let mut open = 0;
    for order in orders(d) {
        if matches!(status(&order), "completed" | "cancelled") {
            continue;
        }
        let start = instant(&order["earliest_start"])
            .or_else(|| instant(&order["created_at"]))
            .unwrap();
        if start >= until {
            continue;
        }
        open += 1;
        let id = order["id"].as_str().unwrap();
        assert!(
            html.contains(&format!(r#"data-order="{id}""#)),
            "{id} ({}) appears nowhere on the board",
            status(&order)
        );
    }
    let backlog = summary["backlog"].as_u64().unwrap() as usize;
    let visits = summary["visits"].as_u64().unwrap() as usize;
    assert!(backlog > 20, "the 8th and 9th are not planned: {summary}");
    assert_eq!(html.matches(r#"<li class="backlog-item"#).count(), backlog);
    assert!(visits + backlog >= open, "{visits} + {backlog} < {open}");
    assert!(html.contains(r#"data-why="not_yet_planned""#));
    // The now line at --at, and due markers (on the 3rd at 10:00 some are overdue).
    assert!(html.contains(r#"<g id="now" data-now="2027-03-03T09:00:00Z">"#));
    assert!(html.contains(r#"<g class="due"#) && html.contains(r#" overdue" data-order="#));
    // The new orders are due next week; the one overdue backlog order is SO-B0012, a lift
    // repair that needs the torque wrench, which no van that may take it carries and no depot
    // lends (the demo's missing_tool order: docs/dataset.md, "Parts and tools").
    assert_eq!(summary["backlog_overdue"], 1, "{summary}");
    assert!(html.contains(r#"data-order="SO-B0012""#));
}

/// The first technician (T-001…T-040) with visits on 2 March, and their `today` text.
fn busy_technician(d: &std::path::Path, at: &str) -> (String, String) {
    for n in 1..=40 {
        let tech = format!("T-{n:03}");
        let args = [
            "today",
            "--db",
            "d.db",
            "--technician",
            &tech,
            "--date",
            "2027-03-02",
            "--at",
            at,
        ];
        let text = stdout(&ok(fieldwork(d, &args)));
        if !text.contains("nothing planned") {
            return (tech, text);
        }
    }
    panic!("nobody works on 2 March");
}

#[test]
fn today_shows_today_and_says_when_a_job_is_overdue() {
    let dir = setup();
    let d = dir.path();
    // Before the day: due times are plain, nothing overdue.
    let (tech, before) = busy_technician(d, "2027-03-01T07:00");
    assert!(before.contains(" · due "), "{before}");
    assert!(!before.contains("(overdue)"), "{before}");
    for line in before.lines().filter(|l| l.contains(" · due ")) {
        let due = line.split(" · due ").nth(1).unwrap();
        // `2 Mar 13:00` / `3 Mar 00:00`: the date, never a bare weekday.
        assert!(
            due.starts_with("2 Mar ") || due.starts_with("3 Mar "),
            "{line}"
        );
    }
    // Two days later every open job of the 2nd is overdue, by more than a day: the date only.
    let args = [
        "today",
        "--db",
        "d.db",
        "--technician",
        &tech,
        "--date",
        "2027-03-02",
        "--at",
        "2027-03-04T12:00",
    ];
    let after = stdout(&ok(fieldwork(d, &args)));
    let dues: Vec<&str> = after
        .lines()
        .filter_map(|l| l.split(" · due ").nth(1))
        .collect();
    assert!(!dues.is_empty());
    for due in &dues {
        assert!(due.ends_with(" (overdue)"), "{after}");
    }
    // More than a day overdue: the date without the hour.
    assert!(dues.iter().all(|d| !d.contains(':')), "{after}");
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let view = json(fieldwork(d, &with_json));
    let stops = view["stops"].as_array().unwrap();
    assert!(stops
        .iter()
        .all(|s| s["overdue"] == true && s["status"] == "scheduled"));

    // Without --date: the local date of --at in the business's zone (not the plan's first day).
    let text = stdout(&ok(fieldwork(
        d,
        &[
            "today",
            "--db",
            "d.db",
            "--technician",
            &tech,
            "--at",
            "2027-03-04T23:30",
        ],
    )));
    assert!(
        text.lines().next().unwrap().contains("Thu 2027-03-04"),
        "{text}"
    );
    // 23:30 UTC on the 4th is already the 5th in Berlin.
    let text = stdout(&ok(fieldwork(
        d,
        &[
            "today",
            "--db",
            "d.db",
            "--technician",
            &tech,
            "--at",
            "2027-03-04T23:30:00Z",
        ],
    )));
    assert!(
        text.lines().next().unwrap().contains("Fri 2027-03-05"),
        "{text}"
    );
    // Without --at: today.
    let text = stdout(&ok(fieldwork(
        d,
        &["today", "--db", "d.db", "--technician", &tech],
    )));
    let today = |at: DateTime<Utc>| {
        at.with_timezone(&BERLIN)
            .date_naive()
            .format("%a %Y-%m-%d")
            .to_string()
    };
    let header = text.lines().next().unwrap();
    let now = Utc::now();
    assert!(
        header.contains(&today(now)) || header.contains(&today(now - chrono::Duration::minutes(1))),
        "{header}"
    );
}
