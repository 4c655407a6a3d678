//! End-to-end tests of `fieldwork candidates`: the table, `--json`, the shipped rules by
//! default, `--workload`, and `error:` lines with exit code 1 for bad input.

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn fieldwork(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fieldwork"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("binary runs")
}

fn dataset() -> Value {
    let week = json!([["08:00", "17:00"]]);
    json!({
        "calendars": [{"id": "day", "time_zone": "Europe/Berlin",
            "weekly": {"mon": week, "tue": week, "wed": week, "thu": week, "fri": week}}],
        "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "Europe/Berlin",
            "location": {"lat": 52.5, "lon": 13.4}, "territory": "north"}],
        "tasks": [{"code": "HVAC", "description": "Service", "duration_minutes": 90,
            "required_skills": [{"skill": "hvac", "min_level": 3}]}],
        "technicians": [
            {"id": "T-1", "name": "Ana", "skills": {"hvac": 3}, "home": {"lat": 52.52, "lon": 13.4},
             "territory": "north", "calendar": "day", "hourly_cost": "40", "max_hours_per_day": 8},
            {"id": "T-2", "name": "Ben", "skills": {"hvac": 2}, "home": {"lat": 52.5, "lon": 13.41},
             "territory": "north", "calendar": "day", "hourly_cost": "30", "max_hours_per_day": 8},
            {"id": "T-3", "name": "Cem", "skills": {"hvac": 4}, "home": {"lat": 52.55, "lon": 13.4},
             "territory": "north", "calendar": "day", "hourly_cost": "50", "max_hours_per_day": 8,
             "max_jobs_per_day": 2}],
        "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
            "priority": "high", "created_at": "2027-03-01T07:00:00Z",
            "due": "2027-03-01T15:00:00Z",
            "lines": [{"kind": "task", "task": "HVAC", "quantity": "1", "unit_price": "0"}]}]
    })
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.json"), dataset().to_string()).unwrap();
    dir
}

const AT: &str = "2027-03-01T07:00:00Z";

#[test]
fn prints_a_ranked_table_with_reasons() {
    let dir = setup();
    let out = fieldwork(
        dir.path(),
        &[
            "candidates",
            "--dataset",
            "d.json",
            "--order",
            "SO-1",
            "--at",
            AT,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].starts_with(
            "order SO-1: 1 h 30 min, start between Mon 2027-03-01 08:00 CET and Mon 2027-03-01 16:00 CET"
        ),
        "{text}"
    );
    let ranked: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("1 ") || l.starts_with("2 "))
        .copied()
        .collect();
    assert_eq!(ranked.len(), 2, "{text}");
    assert!(text.contains("excluded (1):"), "{text}");
    assert!(
        text.contains("T-2         Ben   skills: lacks skill hvac level 3 (has 2)"),
        "{text}"
    );
}

#[test]
fn json_output_carries_grades_weights_and_contributions() {
    let dir = setup();
    let out = fieldwork(
        dir.path(),
        &[
            "candidates",
            "--dataset",
            "d.json",
            "--order",
            "SO-1",
            "--at",
            AT,
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let candidates = v["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 3);
    let best = &candidates[0];
    assert_eq!(best["rank"], 1);
    assert_eq!(best["status"], "eligible");
    let sum: f64 = best["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["contribution"].as_f64().unwrap())
        .sum();
    assert!((sum - best["total"].as_f64().unwrap()).abs() < 1e-9);
    let excluded = &candidates[2];
    assert_eq!(excluded["status"], "excluded");
    assert_eq!(excluded["exclusions"][0]["rule"], "skills");
}

#[test]
fn uses_the_rules_directory_and_the_workload() {
    let dir = setup();
    // ./rules is used when present: make T-1 unavailable through a rule.
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/dispatch.rhai"),
        "fn technician_profile(tech) { if tech.id == \"T-1\" { #{ available: false } } }",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("w.json"),
        r#"{"T-3": {"2027-03-01": {"jobs": 2, "minutes": 200}}}"#,
    )
    .unwrap();
    let out = fieldwork(
        dir.path(),
        &[
            "candidates",
            "--dataset",
            "d.json",
            "--order",
            "SO-1",
            "--at",
            AT,
            "--workload",
            "w.json",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["exclusions"][0]["rule"].as_str().unwrap_or("eligible"))
        .collect();
    assert_eq!(rules, ["active", "skills", "max_jobs_per_day"]);
}

#[test]
fn bad_input_is_an_error_line_with_exit_1() {
    let dir = setup();
    let out = fieldwork(
        dir.path(),
        &[
            "candidates",
            "--dataset",
            "d.json",
            "--order",
            "SO-9",
            "--at",
            AT,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: unknown order `SO-9`"
    );
    std::fs::create_dir(dir.path().join("bad")).unwrap();
    std::fs::write(
        dir.path().join("bad/d.rhai"),
        "fn dispatch_policy() { #{ weights: #{ travel: \"lots\" } } }",
    )
    .unwrap();
    let out = fieldwork(
        dir.path(),
        &[
            "candidates",
            "--dataset",
            "d.json",
            "--order",
            "SO-1",
            "--rules",
            "bad",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: bad/d.rhai:1:4: hook `dispatch_policy` returned string \"lots\""),
        "{err}"
    );
}
