//! End-to-end tests of the `fieldwork` binary's foundation commands: `check` and `demo-data`,
//! exit codes and error lines.

use std::process::Command;

fn fieldwork(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fieldwork"))
        .args(args)
        .output()
        .expect("binary runs")
}

#[test]
fn check_accepts_the_shipped_rules() {
    let out = fieldwork(&["check", concat!(env!("CARGO_MANIFEST_DIR"), "/../rules")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty());
}

#[test]
fn check_reports_each_problem_with_position_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.rhai"), "fn helper(x) { x + }\n").unwrap();
    std::fs::write(
        dir.path().join("b.rhai"),
        "fn eligible(order) {\n  true\n}\n",
    )
    .unwrap();
    let out = fieldwork(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].contains("a.rhai:1:"), "{stdout}");
    assert!(
        lines[1].contains("b.rhai:1:") && lines[1].contains("eligible"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
}

#[test]
fn demo_data_is_deterministic_and_usage_errors_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    for p in [&a, &b] {
        let out = fieldwork(&[
            "demo-data",
            "--seed",
            "5",
            "--anchor",
            "2027-03-01",
            "--out",
            p.to_str().unwrap(),
        ]);
        assert!(out.status.success());
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // `--regions 1` is the default dataset; two regions double it with prefixed ids.
    let one = dir.path().join("one.json");
    let two = dir.path().join("two.json");
    for (p, n) in [(&one, "1"), (&two, "2")] {
        let args = [
            "demo-data",
            "--seed",
            "5",
            "--anchor",
            "2027-03-01",
            "--regions",
            n,
        ];
        let out = fieldwork(&[&args[..], &["--json", "--out", p.to_str().unwrap()]].concat());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["technicians"], 40 * n.parse::<u64>().unwrap());
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&one).unwrap());
    assert!(std::fs::read_to_string(&two)
        .unwrap()
        .contains("\"R002-T-001\""));
    for bad in ["0", "201", "x"] {
        let out = fieldwork(&["demo-data", "--regions", bad, "--out", "never.json"]);
        assert_eq!(out.status.code(), Some(1), "--regions {bad}");
    }
    let out = fieldwork(&["demo-data", "--anchor", "not-a-date"]);
    assert_eq!(out.status.code(), Some(1));
    let out = fieldwork(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn role_views_render_the_stored_plan_of_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let db = db.to_str().unwrap();
    let out = fieldwork(&["demo", "--db", db, "--anchor", "2027-03-01", "--quiet"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let board = dir.path().join("board.html");
    let out = fieldwork(&["board", "--db", db, "--out", board.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&board).unwrap();
    assert!(html.contains("class=\"bar") && html.contains("Backlog ("));
    let ics = dir.path().join("all.ics");
    let out = fieldwork(&["ics", "--db", db, "--out", ics.to_str().unwrap()]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&ics).unwrap();
    assert_eq!(
        text.matches("BEGIN:VEVENT").count(),
        html.matches("data-start=").count()
    );
    // `--at` is the export's DTSTAMP (a local time of the business: 08:00 CET is 07:00 UTC), so
    // an export can be reproduced byte for byte.
    let at = |file: &str| {
        let path = dir.path().join(file);
        let out = fieldwork(&[
            "ics",
            "--db",
            db,
            "--out",
            path.to_str().unwrap(),
            "--at",
            "2027-03-03T08:00",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&path).unwrap()
    };
    let (first, second) = (at("a.ics"), at("b.ics"));
    assert_eq!(first, second);
    let stamps: Vec<&str> = first
        .lines()
        .filter(|l| l.starts_with("DTSTAMP:"))
        .collect();
    assert!(!stamps.is_empty());
    assert!(
        stamps.iter().all(|l| *l == "DTSTAMP:20270303T070000Z"),
        "{stamps:?}"
    );
    let out = fieldwork(&["today", "--db", db, "--technician", "T-404"]);
    assert_eq!(out.status.code(), Some(1));
}
