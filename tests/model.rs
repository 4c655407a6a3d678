//! Integration tests of the domain model: every validation error kind, lifecycle through the
//! model, and the dataset round trip (JSON → model → JSON).

use chrono::{TimeZone, Utc};
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::model::*;
use serde_json::{json, Value};

/// A small valid dataset to break in each test.
fn base() -> Value {
    json!({
        "version": 1,
        "calendars": [{"id": "office", "time_zone": "Europe/Berlin",
            "weekly": {"mon": [["08:00","17:00"]], "tue": [["08:00","12:00"], ["13:00","17:00"]]},
            "holidays": ["2027-01-01"], "exceptions": {"2027-12-24": [["08:00","12:00"]]}}],
        "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "Europe/Berlin",
            "location": {"lat": 52.5, "lon": 13.4}, "calendar": "office"}],
        "service_objects": [
            {"id": "O-1", "customer": "C-1", "serial": "S1", "model": "Chiller"},
            {"id": "O-2", "customer": "C-1", "serial": "S2", "model": "Compressor", "parent": "O-1"}],
        "tasks": [{"code": "INSP", "description": "Inspect",
            "required_skills": [{"skill": "hvac", "min_level": 2}], "duration_minutes": 60}],
        "technicians": [{"id": "T-1", "name": "Ann", "skills": {"hvac": 3},
            "home": {"lat": 52.4, "lon": 13.3}, "calendar": "office", "hourly_cost": "55.00",
            "max_hours_per_day": 8.0}],
        "agreements": [{"id": "A-1", "customer": "C-1", "valid_from": "2027-01-01",
            "valid_to": "2027-12-31", "status": "active", "lines": [
              {"id": "L-1", "service_object": "O-1", "task": "INSP",
               "recurrence": {"rrule": "FREQ=MONTHLY;BYDAY=1MO", "dtstart": "2027-01-04T09:00:00"},
               "price": "120.00"}]}],
        "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
            "priority": "high", "created_at": "2027-03-01T08:00:00Z",
            "lines": [{"kind": "task", "task": "INSP", "quantity": "1", "unit_price": "95.00"}],
            "history": [{"at": "2027-03-01T09:00:00Z", "status": "scheduled"}]}],
        "subscriptions": [{"id": "S-1", "customer": "C-1", "fee": "200.00", "currency": "EUR",
            "frequency": "monthly", "start": "2027-01-01"}],
        "return_orders": [{"id": "R-1", "customer": "C-1", "reason_code": "DEFECT",
            "status": "received", "created_at": "2027-03-01T08:00:00Z",
            "lines": [{"line": 1, "service_object": "O-1", "item": "Chiller", "quantity": "1"}]}]
    })
}

fn load(v: &Value) -> Result<Model, ModelError> {
    Model::from_json(&v.to_string())
}

/// Applies `edit` to the base dataset and returns the single validation issue it causes.
fn single_issue(edit: impl FnOnce(&mut Value)) -> ValidationIssue {
    let mut v = base();
    edit(&mut v);
    let err = load(&v).expect_err("the edit should make the dataset invalid");
    let issues = err.issues();
    assert_eq!(issues.len(), 1, "expected one issue, got {issues:#?}");
    issues[0].clone()
}

#[test]
fn base_dataset_is_valid() {
    let model = load(&base()).unwrap();
    assert_eq!(
        model.order(&"SO-1".into()).unwrap().status(),
        OrderStatus::Scheduled
    );
    let (agreement, line) = model.agreement_line(&"L-1".into()).unwrap();
    assert_eq!((agreement.id.as_str(), line.task.as_str()), ("A-1", "INSP"));
    let order = model.order(&"SO-1".into()).unwrap();
    assert_eq!(model.order_duration_minutes(order), 60);
    assert_eq!(model.order_required_skills(order)[0].min_level, 2);
    assert_eq!(
        model.object_hierarchy().children(&"O-1".into()),
        vec![&ServiceObjectId::new("O-2")]
    );
}

#[test]
fn duplicate_ids_are_reported_per_kind() {
    let issue = single_issue(|v| {
        let t = v["technicians"][0].clone();
        v["technicians"].as_array_mut().unwrap().push(t);
    });
    assert_eq!(
        (issue.entity, issue.id.as_str(), issue.field.as_str()),
        (EntityKind::Technician, "T-1", "id")
    );
    assert_eq!(issue.error, ValidationError::DuplicateId);

    let issue = single_issue(|v| {
        let mut a = v["agreements"][0].clone();
        a["id"] = json!("A-2");
        v["agreements"].as_array_mut().unwrap().push(a);
    });
    assert_eq!(
        (issue.entity, issue.id.as_str()),
        (EntityKind::AgreementLine, "L-1")
    );
}

#[test]
fn dangling_references_name_entity_field_and_target() {
    let issue = single_issue(|v| v["technicians"][0]["calendar"] = json!("nowhere"));
    assert_eq!(issue.field, "calendar");
    assert_eq!(
        issue.error,
        ValidationError::DanglingReference {
            target: EntityKind::Calendar,
            id: "nowhere".into()
        }
    );
    let issue = single_issue(|v| v["orders"][0]["lines"][0]["task"] = json!("NOPE"));
    assert_eq!(
        (issue.entity, issue.field.as_str()),
        (EntityKind::Order, "lines[0].task")
    );
    let issue = single_issue(|v| v["agreements"][0]["lines"][0]["service_object"] = json!("O-9"));
    assert_eq!(
        (issue.entity, issue.id.as_str(), issue.field.as_str()),
        (EntityKind::AgreementLine, "L-1", "service_object")
    );
    assert_eq!(
        issue.to_string(),
        "agreement line `L-1`: field `service_object`: unknown service object `O-9`"
    );
}

#[test]
fn inverted_or_out_of_range_certifications_are_reported() {
    let issue = single_issue(|v| {
        v["technicians"][0]["certifications"] = json!([{"skill": "gas", "level": 2,
            "valid_from": "2027-03-15", "valid_to": "2027-03-01"}])
    });
    assert_eq!(
        issue.to_string(),
        "technician `T-1`: field `certifications[0].valid_to`: certificate gas ends (2027-03-01) \
         before it starts (2027-03-15)"
    );
    let issue = single_issue(|v| {
        v["technicians"][0]["certifications"] = json!([{"skill": "gas", "level": 7}])
    });
    assert_eq!(issue.field, "certifications[0].level");
}

#[test]
fn unknown_visiting_hours_are_reported() {
    let issue = single_issue(|v| v["customers"][0]["visiting_hours"] = json!("nowhere"));
    assert_eq!(
        issue.to_string(),
        "customer `C-1`: field `visiting_hours`: unknown calendar `nowhere`"
    );
}

#[test]
fn unknown_time_zones_are_reported() {
    let issue = single_issue(|v| v["customers"][0]["time_zone"] = json!("Europe/Atlantis"));
    assert_eq!(
        issue.error,
        ValidationError::UnknownTimeZone("Europe/Atlantis".into())
    );
    let issue = single_issue(|v| v["calendars"][0]["time_zone"] = json!("Nowhere/City"));
    assert_eq!(
        (issue.entity, issue.field.as_str()),
        (EntityKind::Calendar, "time_zone")
    );
}

#[test]
fn malformed_rrules_are_reported_on_the_line() {
    let issue = single_issue(|v| {
        v["agreements"][0]["lines"][0]["recurrence"]["rrule"] = json!("FREQ=SOMETIMES")
    });
    assert_eq!(
        (issue.entity, issue.id.as_str(), issue.field.as_str()),
        (EntityKind::AgreementLine, "L-1", "recurrence.rrule")
    );
    assert!(matches!(issue.error, ValidationError::InvalidRrule(_)));
    let issue = single_issue(|v| {
        v["agreements"][0]["lines"][0]["recurrence"]["rrule"] = json!("FREQ=DAILY;INTERVAL=5000")
    });
    assert!(matches!(issue.error, ValidationError::InvalidRrule(ref m) if m.contains("INTERVAL")));
}

#[test]
fn sub_daily_and_zero_rrule_parts_are_rejected_naming_line_and_field() {
    for (rule, needle) in [
        ("FREQ=SECONDLY", "FREQ=SECONDLY is not supported"),
        ("FREQ=MINUTELY", "FREQ=MINUTELY is not supported"),
        ("FREQ=HOURLY;INTERVAL=2", "FREQ=HOURLY is not supported"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL=0"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT=0"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY=0"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,0", "BYMONTHDAY=0"),
    ] {
        let issue =
            single_issue(|v| v["agreements"][0]["lines"][0]["recurrence"]["rrule"] = json!(rule));
        assert_eq!(
            (issue.entity, issue.id.as_str(), issue.field.as_str()),
            (EntityKind::AgreementLine, "L-1", "recurrence.rrule"),
            "{rule}"
        );
        let text = issue.to_string();
        assert!(
            text.contains(needle) && text.contains("L-1"),
            "{rule}: {text}"
        );
    }
}

#[test]
fn inverted_periods_are_reported() {
    let issue = single_issue(|v| v["agreements"][0]["valid_to"] = json!("2026-12-31"));
    assert_eq!(issue.field, "valid_to");
    assert!(matches!(
        issue.error,
        ValidationError::InvertedPeriod { .. }
    ));
    let issue = single_issue(|v| v["subscriptions"][0]["end"] = json!("2026-01-01"));
    assert_eq!(
        (issue.entity, issue.field.as_str()),
        (EntityKind::Subscription, "end")
    );
}

#[test]
fn calendar_intervals_inverted_and_overlapping_are_reported() {
    let issue = single_issue(|v| v["calendars"][0]["weekly"]["mon"] = json!([["17:00", "08:00"]]));
    assert!(matches!(
        issue.error,
        ValidationError::InvertedInterval { .. }
    ));
    let issue = single_issue(|v| {
        v["calendars"][0]["exceptions"]["2027-12-24"] =
            json!([["08:00", "12:00"], ["11:00", "14:00"]])
    });
    assert_eq!(issue.field, "exceptions.2027-12-24");
    assert!(matches!(
        issue.error,
        ValidationError::OverlappingIntervals { .. }
    ));
}

#[test]
fn object_hierarchy_cycles_name_the_ids() {
    let issue = single_issue(|v| v["service_objects"][0]["parent"] = json!("O-2"));
    assert_eq!(
        issue.error,
        ValidationError::Cycle(vec!["O-1".into(), "O-2".into()])
    );
    assert!(issue.to_string().contains("O-1 -> O-2"));
}

#[test]
fn out_of_range_values_are_reported() {
    let issue = single_issue(|v| v["technicians"][0]["skills"]["hvac"] = json!(7));
    assert_eq!(issue.field, "skills.hvac");
    let issue = single_issue(|v| v["technicians"][0]["max_hours_per_day"] = json!(30.0));
    assert_eq!(issue.field, "max_hours_per_day");
    let issue = single_issue(|v| v["customers"][0]["location"]["lat"] = json!(123.0));
    assert_eq!(issue.field, "location");
    let issue = single_issue(|v| v["subscriptions"][0]["currency"] = json!("euro"));
    assert_eq!(issue.field, "currency");
    let issue = single_issue(|v| v["tasks"][0]["duration_minutes"] = json!(0));
    assert_eq!(issue.entity, EntityKind::Task);
}

#[test]
fn illegal_recorded_history_is_reported() {
    let issue = single_issue(|v| {
        v["orders"][0]["history"] = json!([{"at": "2027-03-01T09:00:00Z", "status": "completed"}])
    });
    assert_eq!(
        (issue.entity, issue.field.as_str()),
        (EntityKind::Order, "history")
    );
}

#[test]
fn all_issues_are_reported_not_only_the_first() {
    let mut v = base();
    v["customers"][0]["calendar"] = json!("x");
    v["technicians"][0]["calendar"] = json!("y");
    v["agreements"][0]["lines"][0]["recurrence"]["rrule"] = json!("nonsense");
    let err = load(&v).unwrap_err();
    assert_eq!(err.issues().len(), 3, "{err}");
}

#[test]
fn malformed_json_reports_line_and_column() {
    let err = Model::from_json("{\n  \"customers\": [ {\"id\": 1} ]\n}").unwrap_err();
    match err {
        ModelError::Json { line, .. } => assert_eq!(line, 2),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn lifecycle_through_the_model_records_history() {
    let mut model = load(&base()).unwrap();
    let id = OrderId::new("SO-1");
    let t = |h| Utc.with_ymd_and_hms(2027, 3, 1, h, 0, 0).unwrap();
    model
        .transition_order(&id, OrderStatus::InProgress, t(10))
        .unwrap();
    assert!(model
        .transition_order(&id, OrderStatus::Scheduled, t(11))
        .is_err());
    model
        .transition_order(&id, OrderStatus::Completed, t(12))
        .unwrap();
    assert_eq!(model.order(&id).unwrap().history.len(), 3);
    assert!(matches!(
        model.transition_order(&"SO-404".into(), OrderStatus::Completed, t(12)),
        Err(ModelError::NotFound { .. })
    ));
}

#[test]
fn add_order_checks_references_and_leaves_the_model_unchanged_on_error() {
    let mut model = load(&base()).unwrap();
    let t = Utc.with_ymd_and_hms(2027, 3, 2, 8, 0, 0).unwrap();
    let mut bad = ServiceOrder::new("SO-2", "C-404", Priority::Low, t);
    bad.required_technician = Some("T-404".into());
    assert_eq!(model.add_order(bad).unwrap_err().issues().len(), 2);
    assert_eq!(model.orders().len(), 1);
    model
        .add_order(ServiceOrder::new("SO-2", "C-1", Priority::Low, t))
        .unwrap();
    assert!(model
        .add_order(ServiceOrder::new("SO-2", "C-1", Priority::Low, t))
        .is_err());
    assert_eq!(model.orders().len(), 2);
}

#[test]
fn dataset_round_trips_exactly() {
    let text = serde_json::to_string_pretty(&base()).unwrap();
    let model = Model::from_json(&text).unwrap();
    let again: Value = serde_json::from_str(&model.to_json()).unwrap();
    assert_eq!(again, base());
}

#[test]
fn demo_dataset_is_valid_deterministic_and_round_trips() {
    let options = DemoOptions::new(7, "2027-03-01".parse().unwrap());
    let a = generate(&options);
    assert_eq!(a, generate(&options), "same seed, same data");
    assert_ne!(a, generate(&DemoOptions::new(8, options.anchor)));
    let model = Model::from_dataset(a.clone()).unwrap();
    assert_eq!(model.technicians().len(), 40);
    assert!(model.orders().len() >= 24);
    let freqs: Vec<&str> = model
        .agreements()
        .iter()
        .flat_map(|a| a.lines.iter().map(|l| l.recurrence.rrule.as_str()))
        .collect();
    for f in [
        "FREQ=WEEKLY",
        "FREQ=MONTHLY;BY",
        "INTERVAL=3",
        "FREQ=YEARLY",
    ] {
        assert!(freqs.iter().any(|r| r.contains(f)), "{f} missing");
    }
    let json = model.to_json();
    let back = Model::from_json(&json).unwrap();
    assert_eq!(back.to_dataset(), a);
}

#[test]
fn save_and_load_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.json");
    let model = load(&base()).unwrap();
    model.save(&path).unwrap();
    let back = Model::load(&path).unwrap();
    assert_eq!(back.to_dataset(), model.to_dataset());
    let missing = Model::load(dir.path().join("missing.json")).unwrap_err();
    assert!(missing.to_string().contains("missing.json"));
}

#[test]
fn order_instants_outside_the_supported_years_are_reported_per_field() {
    use fieldwork::calendar::{END_YEAR, FIRST_YEAR};
    let before = format!("{}-12-31T23:59:59Z", FIRST_YEAR - 1);
    let after = format!("{END_YEAR}-01-01T00:00:00Z");
    for (field, value) in [
        ("created_at", "0001-01-01T00:00:00Z"),
        ("created_at", before.as_str()),
        ("due", after.as_str()),
        ("earliest_start", before.as_str()),
        ("pinned_start", "9999-12-31T00:00:00Z"),
    ] {
        let issue = single_issue(|v| v["orders"][0][field] = json!(value));
        assert_eq!(
            (issue.entity, issue.id.as_str(), issue.field.as_str()),
            (EntityKind::Order, "SO-1", field),
            "{issue}"
        );
        assert!(
            issue.to_string().contains("outside the supported"),
            "{issue}"
        );
    }
    let issue = single_issue(|v| {
        v["orders"][0]["history"][0]["at"] = json!(after);
    });
    assert_eq!(issue.field, "history[0].at", "{issue}");
    // The first and last supported instants are accepted.
    let mut v = base();
    v["orders"][0]["created_at"] = json!(format!("{FIRST_YEAR}-01-01T00:00:00Z"));
    v["orders"][0]["due"] = json!(format!("{}-12-31T23:59:59Z", END_YEAR - 1));
    v["orders"][0]["history"] = json!([]);
    load(&v).unwrap();
    // One issue per bad field.
    let mut v = base();
    v["orders"][0]["due"] = json!(after);
    v["orders"][0]["earliest_start"] = json!(before);
    assert_eq!(load(&v).unwrap_err().issues().len(), 2);
}

#[test]
fn a_calendar_that_never_opens_is_reported() {
    let issue = single_issue(|v| {
        v["calendars"][0]["weekly"] = json!({});
        v["calendars"][0]["exceptions"] = json!({});
    });
    assert_eq!(
        (issue.entity, issue.id.as_str(), issue.field.as_str()),
        (EntityKind::Calendar, "office", "weekly"),
        "{issue}"
    );
    assert!(issue.to_string().contains("never opens"), "{issue}");
    // Open only on an exception day is open.
    let mut v = base();
    v["calendars"][0]["weekly"] = json!({});
    load(&v).unwrap();
}

#[cfg(unix)]
#[test]
fn dataset_files_are_read_up_to_the_bound() {
    let err = Model::load("/dev/zero").unwrap_err();
    assert!(
        matches!(err, ModelError::TooLarge { max, .. } if max == MAX_DATASET_BYTES),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("larger than 268435456 bytes (256 MiB)"),
        "{err}"
    );
}

/// FNV-1a of a text: a stable fingerprint of a generated dataset.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn demo_regions_lay_independent_regions_side_by_side_and_one_region_is_the_demo() {
    let one = DemoOptions::new(42, "2027-03-01".parse().unwrap());
    let single = generate(&one);
    // The one-region dataset is byte for byte the demo as it was before regions existed (with
    // the field constraints added after the random draws).
    let json = Model::from_dataset(single.clone()).unwrap().to_json();
    assert_eq!(
        fnv1a(&json),
        DEMO_42_FINGERPRINT,
        "the one-region demo changed"
    );
    assert_eq!(
        generate(&one.clone().with_regions(0)),
        single,
        "0 clamps to 1"
    );

    let three = generate(&one.clone().with_regions(3));
    assert_eq!(
        three,
        generate(&one.clone().with_regions(3)),
        "deterministic"
    );
    let model = Model::from_dataset(three.clone()).unwrap();
    assert_eq!(model.technicians().len(), 120);
    assert_eq!(model.customers().len(), 900);
    // Region 1 of three is the one-region demo.
    assert_eq!(three.technicians[..40], single.technicians[..]);
    assert_eq!(three.customers[..300], single.customers[..]);
    assert_eq!(
        three.agreements[..single.agreements.len()],
        single.agreements[..]
    );
    assert_eq!(three.orders[..single.orders.len()], single.orders[..]);
    // Ids are unique across regions (the model would reject duplicates too).
    let mut ids: Vec<String> = three
        .technicians
        .iter()
        .map(|t| t.id.to_string())
        .chain(three.customers.iter().map(|c| c.id.to_string()))
        .chain(three.service_objects.iter().map(|o| o.id.to_string()))
        .chain(three.agreements.iter().map(|a| a.id.to_string()))
        .chain(three.calendars.iter().map(|c| c.id.to_string()))
        .chain(three.orders.iter().map(|o| o.id.to_string()))
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate ids across regions");
    // Each region has its own four territories, its technicians live in them, and its
    // customers and technicians are drawn from their own stream (not a copy of region 1).
    let territories: std::collections::BTreeSet<String> = three
        .technicians
        .iter()
        .filter_map(|t| t.territory.as_ref().map(|x| x.to_string()))
        .collect();
    assert_eq!(territories.len(), 12, "{territories:?}");
    assert!(three.technicians[40..80]
        .iter()
        .all(|t| t.id.as_str().starts_with("R002-")
            && t.calendar.as_str().starts_with("R002-")
            && t.territory
                .as_ref()
                .is_some_and(|x| x.as_str().starts_with("R002-"))));
    assert_ne!(three.technicians[0].home, three.technicians[40].home);
    assert_ne!(three.technicians[0].name, three.technicians[40].name);
    // Regions do not overlap: every region-2 customer is east of every region-1 customer.
    let east_of_1 = three.customers[..300]
        .iter()
        .map(|c| c.location.lon)
        .fold(f64::MIN, f64::max);
    assert!(three.customers[300..600]
        .iter()
        .all(|c| c.location.lon > east_of_1));
}
/// FNV-1a of the seed-42 demo of 2027-03-01 as generated before regions existed, with the
/// parts and tools of #18 (catalogues, van stocks and tools, task needs, depots) and the field
/// constraints of #17 (a morning-only site, a sick day, a dated certification, a multi-day, a
/// crew and a booked order) added.
const DEMO_42_FINGERPRINT: u64 = 9_647_651_561_652_158_765;

#[test]
fn recurrence_starts_outside_the_supported_years_are_rejected_naming_the_line() {
    for dtstart in [
        "0000-01-01T09:00:00",
        "1899-12-31T23:00:00",
        "9999-12-31T09:00:00",
    ] {
        let issue = single_issue(|v| {
            v["agreements"][0]["lines"][0]["recurrence"]["dtstart"] = json!(dtstart)
        });
        assert_eq!(
            (issue.entity, issue.id.as_str(), issue.field.as_str()),
            (EntityKind::AgreementLine, "L-1", "recurrence.dtstart"),
            "{dtstart}"
        );
        assert!(issue.to_string().contains("outside the supported years"));
    }
}

#[test]
fn non_ascii_rrules_are_rejected_not_a_panic() {
    // Found by fuzzing: the rrule crate sliced `F\u{202e}R` by bytes and panicked.
    for rule in [
        "FREQ=WEEKLY;BYDAY=F\u{202e}R",
        "FREQ=MONTHLY;BYDAY=MO,TU,F\u{202e}R",
        "FREQ=DAILY;BYHOUR=é",
    ] {
        let issue =
            single_issue(|v| v["agreements"][0]["lines"][0]["recurrence"]["rrule"] = json!(rule));
        assert_eq!(issue.field.as_str(), "recurrence.rrule", "{rule}");
        assert!(issue.to_string().contains("ASCII"), "{rule}: {issue}");
    }
}
