//! `fieldwork slots` and `fieldwork order book` on the demo database: windows offered as JSON and
//! as a table, the N-th booked, the next run plans the order inside it, `order show` tells the
//! booking; a slot that does not exist, a malformed or inverted window and a closed order are
//! refused with one line and change nothing.

mod support;

use chrono::{DateTime, Utc};
use serde_json::Value;
use support::{demo_db, fieldwork, fieldwork_json, ok, stderr, stdout};

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn a_customer_books_an_offered_window_and_the_next_run_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    demo_db(dir);
    let at = ["--db", "d.db", "--at", "2027-03-02T07:00"];
    let args = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = extra.to_vec();
        v.extend(at);
        v
    };
    let offered = fieldwork_json(
        dir,
        &args(&["slots", "--order", "SO-B0002", "--count", "4", "--json"]),
    );
    let offered = offered["result"]
        .as_array()
        .or_else(|| offered.as_array())
        .unwrap()
        .clone();
    assert_eq!(offered.len(), 4, "{offered:?}");
    let text = stdout(&ok(fieldwork(
        dir,
        &args(&["slots", "--order", "SO-B0002", "--count", "4"]),
    )));
    assert!(text.contains("4 windows for SO-B0002"), "{text}");
    assert!(text.contains("T-"), "{text}");

    // Book the third window offered.
    let chosen = &offered[2];
    let (from, to) = (instant(&chosen["from"]), instant(&chosen["to"]));
    ok(fieldwork(
        dir,
        &args(&[
            "order", "book", "SO-B0002", "--slot", "3", "--count", "4", "-q",
        ]),
    ));
    let shown = fieldwork_json(dir, &args(&["order", "show", "SO-B0002", "--json"]));
    let shown = if shown.get("result").is_some() {
        &shown["result"]
    } else {
        &shown
    };
    assert_eq!(instant(&shown["appointment"]["from"]), from);
    assert_eq!(instant(&shown["appointment"]["to"]), to);

    ok(fieldwork(
        dir,
        &[
            "run",
            "--days-ahead",
            "7",
            "--db",
            "d.db",
            "--at",
            "2027-03-02T07:05",
            "-q",
        ],
    ));
    let shown = fieldwork_json(
        dir,
        &[
            "order",
            "show",
            "SO-B0002",
            "--db",
            "d.db",
            "--at",
            "2027-03-02T07:06",
            "--json",
        ],
    );
    let shown = if shown.get("result").is_some() {
        &shown["result"]
    } else {
        &shown
    };
    let start = instant(&shown["visit"]["start"]);
    assert!(
        from <= start && start <= to,
        "planned at {start}, booked {from} - {to}"
    );
    let text = stdout(&ok(fieldwork(
        dir,
        &[
            "order",
            "show",
            "SO-B0002",
            "--db",
            "d.db",
            "--at",
            "2027-03-02T07:06",
        ],
    )));
    assert!(text.contains("booked "), "{text}");

    // A window of one's own.
    ok(fieldwork(
        dir,
        &args(&[
            "order",
            "book",
            "SO-B0002",
            "--window",
            "2027-03-04T10:00/2027-03-04T12:00",
            "-q",
        ]),
    ));
}

#[test]
fn impossible_bookings_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    demo_db(dir);
    let export = || {
        stdout(&ok(fieldwork(
            dir,
            &["export", "--db", "d.db", "--out", "-", "-q"],
        )))
    };
    let before = export();
    for (args, message) in [
        (
            vec!["order", "book", "SO-B0002", "--slot", "99"],
            "no slot 99: ",
        ),
        (
            vec!["order", "book", "SO-B0002", "--window", "2027-03-04T10:00"],
            "expected FROM/TO",
        ),
        (
            vec![
                "order",
                "book",
                "SO-B0002",
                "--window",
                "2027-03-04T12:00/2027-03-04T10:00",
            ],
            "ends before it starts",
        ),
        (vec!["slots", "--order", "SO-NOPE"], "unknown order SO-NOPE"),
        (
            vec!["slots", "--order", "SO-B0002", "--days", "40"],
            "days must be within 1..=28, not 40",
        ),
    ] {
        let mut full = args.clone();
        full.extend(["--db", "d.db", "--at", "2027-03-02T07:00"]);
        let out = fieldwork(dir, &full);
        assert_eq!(out.status.code(), Some(1), "{full:?}: {}", stdout(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(message), "{full:?}: {err}");
    }
    assert_eq!(export(), before);
}
