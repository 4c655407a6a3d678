//! Integration tests of repair management: BOM versions as of dates, where-used, cycle
//! rejection naming the ids, repair lines against code tables, repair stages.

use chrono::{NaiveDate, TimeZone, Utc};
use fieldwork::model::*;
use fieldwork::repair::*;
use serde_json::{json, Value};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn versions(v: Value) -> Vec<BomVersion> {
    serde_json::from_value(v).unwrap()
}

/// CHILLER changes at the start of 2027 from compressor A to compressor B plus fans;
/// COMP-B has valves; FAN is also used by the air handler.
fn boms() -> Vec<BomVersion> {
    versions(json!([
        {"id": "CH-1", "item": "CHILLER", "valid_to": "2026-12-31",
         "lines": [{"component": "COMP-A", "quantity": "1"}]},
        {"id": "CH-2", "item": "CHILLER", "valid_from": "2027-01-01",
         "lines": [{"component": "COMP-B", "quantity": "2"}, {"component": "FAN", "quantity": "4"}]},
        {"id": "CB-1", "item": "COMP-B", "valid_from": "2026-06-01",
         "lines": [{"component": "VALVE", "quantity": "3"}]},
        {"id": "AH-1", "item": "AHU", "valid_from": "2026-01-01", "valid_to": "2027-06-30",
         "lines": [{"component": "FAN", "quantity": "1"}]}
    ]))
}

fn explode(b: &Boms, item: &str, on: &str) -> Vec<String> {
    b.components_of(item, date(on))
        .unwrap()
        .into_iter()
        .map(|c| {
            format!(
                "{} {}<{} x{} ={} {}",
                c.level, c.item, c.parent, c.quantity, c.total_quantity, c.version
            )
        })
        .collect()
}

#[test]
fn components_follow_the_version_valid_on_the_date() {
    let b = Boms::build(&boms()).unwrap();
    assert_eq!(
        explode(&b, "CHILLER", "2026-12-31"),
        ["1 COMP-A<CHILLER x1 =1 CH-1"]
    );
    assert_eq!(
        explode(&b, "CHILLER", "2027-01-01"),
        [
            "1 COMP-B<CHILLER x2 =2 CH-2",
            "2 VALVE<COMP-B x3 =6 CB-1",
            "1 FAN<CHILLER x4 =4 CH-2"
        ]
    );
    // COMP-B had no BOM before June 2026; an item without a BOM has no components.
    assert!(explode(&b, "COMP-B", "2026-05-31").is_empty());
    assert!(explode(&b, "VALVE", "2027-01-01").is_empty());
    assert!(explode(&b, "UNKNOWN", "2027-01-01").is_empty());

    // Through a service object: its model is the item.
    let object: ServiceObject = serde_json::from_value(json!({
        "id": "OBJ-1", "customer": "C-1", "serial": "X", "model": "CHILLER"}))
    .unwrap();
    assert_eq!(b.components(&object, date("2027-03-01")).unwrap().len(), 3);
}

#[test]
fn where_used_lists_every_user_with_its_validity() {
    let b = Boms::build(&boms()).unwrap();
    let rows = |item: &str| -> Vec<String> {
        b.where_used(item)
            .unwrap()
            .into_iter()
            .map(|w| {
                let d = |x: Option<NaiveDate>| x.map_or("*".to_string(), |d| d.to_string());
                format!(
                    "{} {}>{} {} {}..{}",
                    w.level,
                    w.item,
                    w.component,
                    w.version,
                    d(w.valid.from),
                    d(w.valid.to)
                )
            })
            .collect()
    };
    assert_eq!(
        rows("VALVE"),
        [
            "1 COMP-B>VALVE CB-1 2026-06-01..*",
            "2 CHILLER>COMP-B CH-2 2027-01-01..*"
        ]
    );
    assert_eq!(
        rows("FAN"),
        [
            "1 CHILLER>FAN CH-2 2027-01-01..*",
            "1 AHU>FAN AH-1 2026-01-01..2027-06-30"
        ]
    );
    assert_eq!(rows("COMP-A"), ["1 CHILLER>COMP-A CH-1 *..2026-12-31"]);
    assert!(rows("CHILLER").is_empty());
}

#[test]
fn cycles_are_rejected_naming_items_and_versions() {
    // A contains B contains C contains A, all valid from 2027.
    let err = Boms::build(&versions(json!([
        {"id": "VA", "item": "A", "valid_from": "2027-01-01", "lines": [{"component": "B", "quantity": "1"}]},
        {"id": "VB", "item": "B", "lines": [{"component": "C", "quantity": "1"}]},
        {"id": "VC", "item": "C", "lines": [{"component": "A", "quantity": "1"}]}
    ])))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "BOM cycle valid on 2027-01-01: A -> B -> C -> A (versions VA, VB, VC)"
    );
    assert!(matches!(&err, RepairError::Cycle { items, versions, .. }
        if items.len() == 4 && versions.len() == 3));

    // An item containing itself.
    let err = Boms::build(&versions(json!([
        {"id": "V1", "item": "A", "lines": [{"component": "A", "quantity": "1"}]}
    ])))
    .unwrap_err();
    assert_eq!(err.to_string(), "BOM cycle: A -> A (versions V1)");

    // A cycle only when a later version of B comes into force.
    let err = Boms::build(&versions(json!([
        {"id": "A1", "item": "A", "lines": [{"component": "B", "quantity": "1"}]},
        {"id": "B1", "item": "B", "valid_to": "2027-05-31", "lines": [{"component": "C", "quantity": "1"}]},
        {"id": "B2", "item": "B", "valid_from": "2027-06-01", "lines": [{"component": "A", "quantity": "1"}]}
    ])))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "BOM cycle valid on 2027-06-01: A -> B -> A (versions A1, B2)"
    );

    // Links never valid on the same day form no cycle.
    let ok = Boms::build(&versions(json!([
        {"id": "A1", "item": "A", "valid_to": "2026-12-31", "lines": [{"component": "B", "quantity": "1"}]},
        {"id": "B1", "item": "B", "valid_from": "2027-01-01", "lines": [{"component": "A", "quantity": "1"}]}
    ])))
    .unwrap();
    assert_eq!(explode(&ok, "A", "2026-01-01"), ["1 B<A x1 =1 A1"]);
    assert_eq!(explode(&ok, "B", "2027-01-01"), ["1 A<B x1 =1 B1"]);
    assert_eq!(ok.where_used("A").unwrap().len(), 1);
}

#[test]
fn malformed_versions_are_rejected_naming_the_version() {
    let cases = [
        (
            json!([{"id": "V", "item": "A"}, {"id": "V", "item": "B"}]),
            "BOM version V: duplicate id",
        ),
        (
            json!([{"id": "V", "item": "A", "valid_from": "2027-02-01", "valid_to": "2027-01-01"}]),
            "BOM version V: valid_to 2027-01-01 is before valid_from 2027-02-01",
        ),
        (
            json!([{"id": "V", "item": "A", "lines": [{"component": "B", "quantity": "0"}]}]),
            "BOM version V: component B: quantity 0 must be positive",
        ),
        (
            json!([{"id": "V1", "item": "A", "valid_to": "2027-03-01"},
                   {"id": "V2", "item": "A", "valid_from": "2027-03-01"}]),
            "item A: BOM versions V1 and V2 are both valid on 2027-03-01",
        ),
        (
            json!([{"id": "V1", "item": "A"}, {"id": "V2", "item": "A", "valid_to": "2020-01-01"}]),
            "item A: BOM versions V1 and V2 are both valid since ever",
        ),
    ];
    for (input, message) in cases {
        assert_eq!(
            Boms::build(&versions(input)).unwrap_err().to_string(),
            message
        );
    }
}

#[test]
fn a_deep_diamond_is_cut_off_not_exploded_forever() {
    // 20 levels, each item using the next twice: 2^20 rows.
    let list: Vec<Value> = (0..20)
        .map(|i| {
            json!({"id": format!("V{i}"), "item": format!("I{i}"),
            "lines": [{"component": format!("I{}", i + 1), "quantity": "2"},
                      {"component": format!("I{}", i + 1), "quantity": "1"}]})
        })
        .collect();
    let b = Boms::build(&versions(Value::Array(list))).unwrap();
    assert!(matches!(
        b.components_of("I0", date("2027-01-01")),
        Err(RepairError::TooManyRows { .. })
    ));
    assert!(matches!(
        b.where_used("I20"),
        Err(RepairError::TooManyRows { .. })
    ));
}

fn codes() -> RepairCodes {
    serde_json::from_value(json!({
        "symptom_areas": [{"code": "COOLING", "codes": [{"code": "NO-COLD"}]}],
        "conditions": [{"code": "LEAK"}],
        "diagnosis_areas": [{"code": "REFRIG", "codes": [{"code": "LOW-GAS"}]}],
        "resolutions": [{"code": "REFILL"}],
        "stages": [{"code": "DIAG"}, {"code": "WAIT-PARTS"}, {"code": "DONE", "finished": true}]
    }))
    .unwrap()
}

fn line(symptom: &str, resolution: &str) -> RepairLine {
    serde_json::from_value(json!({"symptom_area": "COOLING", "symptom_code": symptom,
        "condition": "LEAK", "diagnosis_area": "REFRIG", "diagnosis_code": "LOW-GAS",
        "resolution": resolution}))
    .unwrap()
}

fn order() -> ServiceOrder {
    ServiceOrder::new(
        "SO-1",
        "C-1",
        Priority::High,
        Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap(),
    )
}

#[test]
fn repair_lines_are_checked_against_the_code_tables() {
    let codes = codes();
    let mut o = order();
    record_repair_line(&codes, &mut o, line("NO-COLD", "REFILL")).unwrap();
    let err = record_repair_line(&codes, &mut o, line("NO-COLD", "PRAY")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "order SO-1: repair line 1: field `resolution`: unknown resolution `PRAY`"
    );
    assert_eq!(o.repair_lines.len(), 1, "a rejected line is not recorded");
    o.repair_lines.push(line("HOT", "REFILL"));
    let found = check_repair_lines(&codes, [&o]);
    assert_eq!(found.len(), 1);
    assert!(
        matches!(&found[0], RepairError::InvalidLine { line: 1, field, .. } if field == "symptom_code")
    );
}

#[test]
fn repair_stages_and_the_finished_flag() {
    let codes = codes();
    let mut o = order();
    record_repair_line(&codes, &mut o, line("NO-COLD", "REFILL")).unwrap();
    assert!(!repair_status(&codes, &o).finished);
    assert!(matches!(
        check_ready_to_complete(&codes, &o),
        Err(RepairError::RepairNotFinished { stage: None, .. })
    ));
    let status = set_repair_stage(&codes, &mut o, "WAIT-PARTS").unwrap();
    assert_eq!(status.stage.as_deref(), Some("WAIT-PARTS"));
    assert!(!status.finished);
    assert!(check_ready_to_complete(&codes, &o).is_err());
    assert!(matches!(
        set_repair_stage(&codes, &mut o, "NAP"),
        Err(RepairError::UnknownStage { .. })
    ));
    assert!(set_repair_stage(&codes, &mut o, "DONE").unwrap().finished);
    check_ready_to_complete(&codes, &o).unwrap();

    // A completed order's repair records are closed.
    let t = |h| Utc.with_ymd_and_hms(2027, 3, 1, h, 0, 0).unwrap();
    for (status, h) in [
        (OrderStatus::Scheduled, 9),
        (OrderStatus::InProgress, 10),
        (OrderStatus::Completed, 11),
    ] {
        o.transition(status, t(h)).unwrap();
    }
    assert!(matches!(
        set_repair_stage(&codes, &mut o, "DIAG"),
        Err(RepairError::OrderClosed { .. })
    ));
    assert!(matches!(
        record_repair_line(&codes, &mut o, line("NO-COLD", "REFILL")),
        Err(RepairError::OrderClosed { .. })
    ));

    // Without a stage table nothing holds completion up.
    let free = RepairCodes::default();
    let mut o = order();
    record_repair_line(&free, &mut o, line("ANY", "THING")).unwrap();
    check_ready_to_complete(&free, &o).unwrap();
}
