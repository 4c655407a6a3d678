//! `fieldwork absence add|list|remove` on the demo database: adding a sick day re-plans only
//! that technician's visits (every change is one of theirs, nobody else's visit moves), the
//! list shows it, removing it re-plans again, and mistakes exit 1 changing nothing.

mod support;

use support::{demo_db, fieldwork, fieldwork_json, ok, stderr};

const NOW: &str = "2027-03-01T11:00:00Z";

/// Every visit of the current plan: order → (technician, start).
fn placements(
    dir: &std::path::Path,
    id: &str,
) -> std::collections::HashMap<String, (String, String)> {
    ok(fieldwork(
        dir,
        &["export", "--db", "d.db", "--out", "x.json", "-q"],
    ));
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("x.json")).unwrap()).unwrap();
    let mut out = std::collections::HashMap::new();
    let plans = export["history"]["plans"].as_array().unwrap();
    let plan = &plans.iter().find(|p| p["id"] == id).unwrap()["plan"];
    for route in plan["routes"].as_array().unwrap() {
        for v in route["visits"].as_array().unwrap() {
            out.insert(
                v["order"].as_str().unwrap().to_owned(),
                (
                    route["technician"].as_str().unwrap().to_owned(),
                    v["start"].as_str().unwrap().to_owned(),
                ),
            );
        }
    }
    out
}

#[test]
fn a_sick_day_moves_only_the_sick_technicians_visits() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    demo_db(dir);
    let run = fieldwork_json(
        dir,
        &[
            "run",
            "--db",
            "d.db",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-07",
            "--at",
            NOW,
            "--json",
        ],
    );
    let id = run["schedule"]["plan"].as_str().unwrap().to_owned();
    let before = placements(dir, &id);
    let on_tuesday: Vec<&String> = before
        .iter()
        .filter(|(_, (t, s))| t == "T-009" && s.starts_with("2027-03-02"))
        .map(|(o, _)| o)
        .collect();
    assert!(!on_tuesday.is_empty(), "T-009 works on Tuesday");

    let change = fieldwork_json(
        dir,
        &[
            "absence",
            "add",
            "--db",
            "d.db",
            "--technician",
            "T-009",
            "--day",
            "2027-03-02",
            "--reason",
            "sick",
            "--at",
            NOW,
            "--json",
        ],
    );
    assert_eq!(change["existed"], false, "{change}");
    assert_eq!(
        change["schedule"]["plan"],
        id.as_str(),
        "the window's plan is revised"
    );
    let diff = &change["schedule"]["diff"];
    assert!(diff["moved"].as_u64().unwrap() + diff["newly_unassigned"].as_u64().unwrap() > 0);
    for c in diff["changes"].as_array().unwrap() {
        assert_eq!(c["before"]["technician"], "T-009", "{c}");
    }
    let after = placements(dir, &id);
    for (order, (tech, start)) in &before {
        if tech != "T-009" {
            assert_eq!(
                after.get(order),
                Some(&(tech.clone(), start.clone())),
                "{order}"
            );
        }
    }
    for order in on_tuesday {
        let placed = after.get(order);
        assert!(
            placed.is_none_or(|(t, s)| t != "T-009" || !s.starts_with("2027-03-02")),
            "{order} still on T-009's sick day"
        );
    }

    let list = fieldwork_json(dir, &["absence", "list", "--db", "d.db", "--json"]);
    assert_eq!(list[0]["technician"], "T-009");
    assert_eq!(list[0]["start"], "2027-03-01T23:00:00Z");
    assert_eq!(list[0]["reason"], "sick");

    let removed = fieldwork_json(
        dir,
        &[
            "absence",
            "remove",
            "--db",
            "d.db",
            "--technician",
            "T-009",
            "--day",
            "2027-03-02",
            "--at",
            NOW,
            "--json",
        ],
    );
    assert_eq!(removed["existed"], true);
    let list = fieldwork_json(dir, &["absence", "list", "--db", "d.db", "--json"]);
    assert_eq!(list, serde_json::json!([]));
}

#[test]
fn mistakes_exit_1_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    demo_db(dir);
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "absence",
                "add",
                "--db",
                "d.db",
                "--technician",
                "T-999",
                "--day",
                "2027-03-02",
            ],
            "unknown technician `T-999`",
        ),
        (
            &[
                "absence",
                "add",
                "--db",
                "d.db",
                "--technician",
                "T-009",
                "--from",
                "2027-03-02T10:00",
                "--to",
                "2027-03-02T09:00",
            ],
            "ends (Tue 2027-03-02 09:00 CET) before it starts",
        ),
        (
            &["absence", "add", "--db", "d.db", "--technician", "T-009"],
            "give the absence as --day DATE or --from AT --to AT",
        ),
        (
            &[
                "absence",
                "remove",
                "--db",
                "d.db",
                "--technician",
                "T-009",
                "--day",
                "2027-03-02",
            ],
            "no such absence is stored",
        ),
    ];
    for (args, message) in cases {
        let out = fieldwork(dir, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains(message), "{}", stderr(&out));
    }
    let list = fieldwork_json(dir, &["absence", "list", "--db", "d.db", "--json"]);
    assert_eq!(list, serde_json::json!([]));
}
