//! The `fieldwork bill` and `fieldwork rma` commands end to end: tables, `--json`, and
//! `error: …` lines with exit code 1 for bad input.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

fn dataset(dir: &Path) -> String {
    let path = dir.join("data.json");
    let data = json!({
        "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                       "location": {"lat": 0, "lon": 0}}],
        "service_objects": [{"id": "OBJ-1", "customer": "C-1", "serial": "1", "model": "PUMP",
                             "warranty_end": "2026-12-31", "repairable": false}],
        "subscriptions": [
            {"id": "S-1", "customer": "C-1", "fee": "200.00", "currency": "EUR",
             "frequency": "monthly", "start": "2027-01-01", "end": "2027-03-29"},
            {"id": "S-2", "customer": "C-1", "fee": "900.00", "currency": "EUR",
             "frequency": "quarterly", "start": "2027-01-01"}],
        "return_orders": [{"id": "RMA-1", "customer": "C-1", "reason_code": "DEFECT",
            "status": "received", "created_at": "2027-03-01T09:00:00Z", "currency": "EUR",
            "lines": [{"line": 1, "service_object": "OBJ-1", "item": "PUMP", "quantity": "1"},
                      {"line": 2, "item": "FILTER", "quantity": "2", "value": "15.00",
                       "disposition": "credit"}]}]
    });
    std::fs::write(&path, data.to_string()).unwrap();
    path.display().to_string()
}

fn fieldwork(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldwork"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn bill_prints_the_transactions_of_the_month() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(dir.path());
    let out = fieldwork(&["bill", "--dataset", &data, "--period", "2027-03"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("S-1/2027-03-01/proration-after"), "{text}");
    assert!(text.contains("-12.90"), "{text}");
    assert!(text.contains("net 187.10 EUR"), "{text}");

    let out = fieldwork(&["bill", "--dataset", &data, "--period", "2027-04", "--json"]);
    assert!(out.status.success());
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(run["month"], "2027-04");
    assert_eq!(run["transactions"][0]["id"], "S-2/2027-04-01/fee");
    assert_eq!(run["transactions"][0]["amount"], "900.00");
    assert_eq!(run["recognition"].as_array().unwrap().len(), 3);

    let out = fieldwork(&["bill", "--dataset", &data, "--period", "2027-05"]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("rules: built-in"), "{text}");
    assert_eq!(lines[1..], ["nothing to bill in 2027-05"], "{text}");
}

#[test]
fn rma_shows_dispositions_and_actions() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(dir.path());
    let args = [
        "rma",
        "--dataset",
        &data,
        "--id",
        "RMA-1",
        "--at",
        "2027-03-05T08:00:00Z",
    ];
    let out = fieldwork(&args);
    assert!(out.status.success());
    let text = stdout(&out);
    // The same context as every command: where the data and the rules came from, and "now".
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.starts_with("dataset ")
                && l.contains("rules: built-in")
                && l.contains("now Fri 2027-03-05 08:00 UTC")),
        "{text}"
    );
    assert!(
        text.contains("status       received (next: inspected)"),
        "{text}"
    );
    assert!(text.contains("out of warranty, not repairable"), "{text}");
    assert!(
        text.contains("credit -30.00 EUR (RMA-1/2/credit)"),
        "{text}"
    );

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let review: Value = serde_json::from_slice(&fieldwork(&json_args).stdout).unwrap();
    assert_eq!(review["rules"], "built-in");
    assert_eq!(review["now"], "2027-03-05T08:00:00Z");
    assert_eq!(review["decisions"][0]["disposition"], "scrap");
    assert_eq!(review["decisions"][1]["decided_by"], "recorded");
    assert_eq!(review["actions"][1]["transaction"]["date"], "2027-03-05");
}

#[test]
fn bad_input_is_one_error_line_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(dir.path());
    for (args, message) in [
        (
            vec!["rma", "--dataset", &data, "--order", "RMA-9"],
            "error: unknown return order `RMA-9`",
        ),
        (
            vec![
                "bill",
                "--dataset",
                "/nonexistent.json",
                "--period",
                "2027-03",
            ],
            "error: /nonexistent.json:",
        ),
        (
            vec!["bill", "--dataset", &data, "--period", "March"],
            "error: invalid value 'March' for '--period <MONTH>'",
        ),
    ] {
        let out = fieldwork(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with(message), "{args:?}: {err}");
    }
}
