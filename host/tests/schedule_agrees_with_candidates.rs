//! One truth between commands: every visit `schedule` plans goes to a technician that
//! `candidates` (the explained ranking, same data, same rules, same "now") does not exclude by a
//! work rule that holds whatever else is planned — skills, territory, travel distance, active,
//! pinned or excluded technician. (Before the one resolved context, `schedule --dataset` used the
//! built-in dispatch policy whatever `--rules` said, and gave orders to technicians the rules'
//! `order_profile` made under-skilled.)

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use support::{copy_shipped_rules, demo_json, fieldwork_json as fieldwork};

const AT: &str = "2027-03-01T06:00:00Z";

/// Work rules whose verdict does not depend on what else is planned.
const STATIC_RULES: &[&str] = &[
    "active",
    "required_technician",
    "excluded_technician",
    "skills",
    "territory",
    "max_travel_distance",
];

/// (order, technician) of every planned visit.
fn planned(cwd: &Path) -> Vec<(String, String)> {
    let plan = fieldwork(
        cwd,
        &[
            "schedule",
            "--dataset",
            "demo.json",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-03",
            "--at",
            AT,
            "--iterations",
            "300",
            "--budget-ms",
            "600000",
            "--json",
        ],
    );
    let mut visits = Vec::new();
    for route in plan["plan"]["routes"].as_array().expect("routes") {
        let technician = route["technician"].as_str().expect("technician");
        for visit in route["visits"].as_array().expect("visits") {
            let order = visit["order"].as_str().expect("order");
            visits.push((order.to_owned(), technician.to_owned()));
        }
    }
    visits
}

/// The static work rules `candidates` says exclude `technician` from `order`.
fn static_exclusions(cwd: &Path, order: &str, technician: &str) -> BTreeSet<String> {
    let ranking = fieldwork(
        cwd,
        &[
            "candidates",
            "--dataset",
            "demo.json",
            "--order",
            order,
            "--at",
            AT,
            "--json",
        ],
    );
    let entry = ranking["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .find(|c| c["technician"] == technician)
        .unwrap_or_else(|| panic!("{technician} missing from the ranking of {order}"))
        .clone();
    entry["exclusions"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|e| e["rule"].as_str())
                .filter(|rule| STATIC_RULES.contains(rule))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn check(cwd: &Path) -> usize {
    let visits = planned(cwd);
    assert!(
        visits.len() >= 10,
        "too few visits to prove anything: {visits:?}"
    );
    for (order, technician) in &visits {
        let broken = static_exclusions(cwd, order, technician);
        assert!(
            broken.is_empty(),
            "schedule gave {order} to {technician}, whom candidates excludes by {broken:?}"
        );
    }
    visits.len()
}

#[test]
fn schedule_never_plans_a_visit_candidates_excludes() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    demo_json(cwd);
    check(cwd);

    // With the shipped rules in ./rules, found by default: their `order_profile` asks for
    // level 4 in every skill of a gold customer's critical order. Make every order such an
    // order: a schedule that ignored the rules would give several of them to technicians of a
    // lower level (8 of 36 on this data), which candidates excludes by `skills`.
    let path = cwd.join("demo.json");
    let mut data: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for order in data["orders"].as_array_mut().unwrap() {
        order["priority"] = "critical".into();
    }
    for customer in data["customers"].as_array_mut().unwrap() {
        customer["tier"] = "gold".into();
    }
    std::fs::write(&path, serde_json::to_vec(&data).unwrap()).unwrap();
    copy_shipped_rules(&cwd.join("rules"));
    check(cwd);
}
