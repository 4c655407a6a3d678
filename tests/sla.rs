//! SLA engine through the public API on a dataset: targets by priority × tier, priority changes
//! recomputed from the original start, pauses, DST, the compliance report. The `fieldwork sla`
//! commands are tested end to end in `host/tests/sla_cli.rs`.

use chrono::{DateTime, TimeZone, Utc};
use fieldwork::model::{Model, OrderId, OrderStatus, Priority};
use fieldwork::rules::RuleSet;
use fieldwork::sla::{self, Grouping, Metric, MetricState, SlaEngine, Target, TargetSource};
use serde_json::{json, Value};

fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, d, h, m, 0).unwrap()
}

/// Berlin office Mon–Fri 08:00–17:00 with a holiday on Monday 2027-03-08; gold and bronze
/// customers; orders in several states.
fn dataset() -> Value {
    let day = json!([["08:00", "17:00"]]);
    json!({
        "calendars": [{"id": "office", "time_zone": "Europe/Berlin",
            "weekly": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day},
            "holidays": ["2027-03-08"]}],
        "customers": [
            {"id": "C-GOLD", "name": "Gold GmbH", "tier": "gold", "time_zone": "Europe/Berlin",
             "location": {"lat": 52.5, "lon": 13.4}, "calendar": "office"},
            {"id": "C-BRONZE", "name": "Bronze AG", "tier": "bronze", "time_zone": "Europe/Berlin",
             "location": {"lat": 52.5, "lon": 13.4}, "calendar": "office"}],
        "orders": [
            // Gold, high: 4 h response, next-business-day resolution. Created Friday 15:00 CET.
            {"id": "SO-1", "customer": "C-GOLD", "origin": {"kind": "manual"}, "priority": "high",
             "created_at": "2027-03-05T14:00:00Z",
             "history": [{"at": "2027-03-05T15:00:00Z", "status": "scheduled"},
                         {"at": "2027-03-09T08:00:00Z", "status": "in_progress"},
                         {"at": "2027-03-09T11:00:00Z", "status": "completed"}]},
            // Bronze, normal: 24 h response, 80 h resolution; responded late.
            {"id": "SO-2", "customer": "C-BRONZE", "origin": {"kind": "manual"}, "priority": "normal",
             "created_at": "2027-03-01T07:00:00Z",
             "history": [{"at": "2027-03-05T09:00:00Z", "status": "scheduled"}]},
            // Gold, critical: 24x7, 1 h response; still open.
            {"id": "SO-3", "customer": "C-GOLD", "origin": {"kind": "manual"}, "priority": "critical",
             "created_at": "2027-03-10T22:00:00Z"}
        ]
    })
}

fn model() -> Model {
    Model::from_json(&dataset().to_string()).unwrap()
}

#[test]
fn default_targets_follow_priority_and_tier_and_the_holiday() {
    let model = model();
    let engine = SlaEngine::new(&model).unwrap();
    let so1 = model.order(&OrderId::new("SO-1")).unwrap();
    let targets = engine.targets(so1).unwrap();
    assert_eq!(targets.source, TargetSource::Default);
    assert_eq!(targets.resolution, Some(Target::NextBusinessDay));
    let s = engine.status(so1, utc(12, 0, 0)).unwrap();
    // Next business day after Friday is Tuesday (Monday is a holiday): due Tue 17:00 CET.
    let res = s.metric(Metric::Resolution).unwrap();
    assert_eq!(res.due, utc(9, 16, 0));
    assert_eq!(res.state, MetricState::Met);
    let resp = s.metric(Metric::Response).unwrap();
    // 4 h response: Friday 15:00-17:00 CET, then Tuesday 08:00-10:00 CET.
    assert_eq!((resp.state, resp.due), (MetricState::Met, utc(9, 9, 0)));
    assert_eq!(resp.stopped_at, Some(utc(5, 15, 0)));
}

#[test]
fn priority_change_recomputes_targets_from_the_original_start() {
    let mut model = model();
    let id = OrderId::new("SO-2");
    let at = utc(2, 12, 0); // Tuesday 13:00 CET, before the response (changes after are ignored)
    let before = sla::status(&model, None, model.order(&id).unwrap(), at).unwrap();
    let normal = before.metric(Metric::Response).unwrap();
    // Bronze normal: 24 business hours from Monday 08:00 CET -> Wednesday 14:00 CET.
    assert_eq!(normal.due, utc(3, 13, 0));
    assert_eq!(normal.state, MetricState::OnTrack);
    model.set_order_priority(&id, Priority::Critical).unwrap();
    let after = sla::status(&model, None, model.order(&id).unwrap(), at).unwrap();
    let critical = after.metric(Metric::Response).unwrap();
    // Bronze critical: 4 h around the clock, counted from the same creation instant.
    assert_eq!(critical.due, utc(1, 11, 0));
    assert_eq!(critical.state, MetricState::Breached);
    assert_eq!(after.calendar.as_str(), "24x7");
}

#[test]
fn pauses_across_a_dst_switch_credit_only_business_time() {
    let mut model = model();
    let mut order = model.order(&OrderId::new("SO-3")).unwrap().clone();
    order.id = OrderId::new("SO-4");
    order.customer = "C-BRONZE".into();
    order.priority = Priority::Normal; // 80 h resolution in the office calendar
    order.created_at = Utc.with_ymd_and_hms(2027, 3, 25, 8, 0, 0).unwrap(); // Thu 09:00 CET
    let at = |d, h| Utc.with_ymd_and_hms(2027, 3, d, h, 0, 0).unwrap();
    order.transition(OrderStatus::Scheduled, at(25, 9)).unwrap();
    order
        .transition(OrderStatus::InProgress, at(25, 10))
        .unwrap();
    // On hold from Friday 12:00 CET to Monday 10:00 CEST (switch on Sunday 28th).
    order.transition(OrderStatus::OnHold, at(26, 11)).unwrap();
    order
        .transition(OrderStatus::InProgress, at(29, 8))
        .unwrap();
    model.add_order(order.clone()).unwrap();
    let s = sla::status(&model, None, &order, at(29, 10)).unwrap();
    let res = s.metric(Metric::Resolution).unwrap();
    // Thu 09-17 (8 h) + Fri 08-12 (4 h) + Mon 10-12 CEST (2 h) = 14 h; the pause credits
    // Fri 12-17 and Mon 08-10 only, nothing for the weekend or the switch.
    assert_eq!(res.elapsed_seconds, 14 * 3600);
    assert!(!res.paused);
    assert_eq!(res.state, MetricState::OnTrack);
}

#[test]
fn report_groups_by_customer_and_tier() {
    let model = model();
    let engine = SlaEngine::new(&model).unwrap();
    let report = engine.report(model.orders(), utc(11, 0, 0));
    assert!(report.errors.is_empty());
    let row = |m, g, k: &str| {
        report
            .compliance
            .iter()
            .find(|r| r.metric == m && r.grouping == g && r.key == k)
            .unwrap()
    };
    let all = row(Metric::Response, Grouping::All, "all");
    // SO-1 met, SO-2 missed (scheduled after 4 days), SO-3 critical 1 h: breached at 00:00.
    assert_eq!((all.count, all.met, all.missed), (3, 1, 2));
    let bronze = row(Metric::Response, Grouping::Tier, "bronze");
    assert_eq!((bronze.count, bronze.missed), (1, 1));
    // Bronze response 24 h due Wed 14:00 CET; scheduled Fri 10:00 CET: 3 + 9 + 2 h late.
    assert_eq!(bronze.worst_overrun_seconds, 14 * 3600);
    let gold = row(Metric::Response, Grouping::Customer, "C-GOLD");
    assert_eq!((gold.count, gold.met, gold.missed), (2, 1, 1));
    assert_eq!(gold.worst_order, Some(OrderId::new("SO-3")));
}

/// The dataset plus an active premium agreement for the bronze customer, a planned-maintenance
/// order generated from it and a manual high-priority order under it.
fn dataset_with_agreement() -> Value {
    let mut data = dataset();
    data["tasks"] = json!([{"code": "INSP", "description": "Inspect", "duration_minutes": 60}]);
    data["agreements"] = json!([{"id": "A-1", "customer": "C-BRONZE", "valid_from": "2027-01-01",
        "status": "active", "sla_policy": "premium", "lines": [{"id": "L-1", "task": "INSP",
        "recurrence": {"rrule": "FREQ=MONTHLY", "dtstart": "2027-01-04T09:00:00"},
        "price": "120.00"}]}]);
    let orders = data["orders"].as_array_mut().unwrap();
    orders.push(
        json!({"id": "SO-10", "customer": "C-BRONZE", "agreement": "A-1",
        "origin": {"kind": "agreement", "line": "L-1", "occurrence": "2027-03-01T09:00:00"},
        "priority": "normal", "created_at": "2027-03-01T07:00:00Z"}),
    );
    orders.push(
        json!({"id": "SO-11", "customer": "C-BRONZE", "agreement": "A-1",
        "origin": {"kind": "manual"}, "priority": "high", "created_at": "2027-03-01T07:00:00Z"}),
    );
    data
}

fn shipped_rules() -> RuleSet {
    RuleSet::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules")).unwrap()
}

#[test]
fn shipped_rules_set_targets_through_the_hook() {
    let model = Model::from_json(&dataset_with_agreement().to_string()).unwrap();
    let rules = shipped_rules();
    let engine = SlaEngine::new(&model).unwrap().with_rules(&rules);
    let order = |id: &str| model.order(&OrderId::new(id)).unwrap();

    // Outside an agreement the rule returns (): the built-in table.
    let t = engine.targets(order("SO-2")).unwrap();
    assert_eq!(
        (t.source, t.response),
        (TargetSource::Default, Some(Target::Minutes(24 * 60)))
    );

    // A premium agreement lifts the bronze customer to gold: high halves 4 h to 2 h, resolution
    // by the next business day, warning at 60%.
    let t = engine.targets(order("SO-11")).unwrap();
    assert_eq!(t.source, TargetSource::Rule);
    assert_eq!(
        (t.response, t.resolution),
        (Some(Target::Minutes(120)), Some(Target::NextBusinessDay))
    );
    assert_eq!(t.warning, 0.6);
    let s = engine.status(order("SO-11"), utc(1, 8, 0)).unwrap();
    let response = s.metric(Metric::Response).unwrap();
    // Monday 08:00 CET + 2 business hours; warning at 60% = 72 min.
    assert_eq!(
        (response.due, response.warning_at),
        (utc(1, 9, 0), utc(1, 8, 12))
    );
    assert_eq!(s.metric(Metric::Resolution).unwrap().due, utc(2, 16, 0));

    // Planned maintenance: no response metric, ten business days (80 h) to resolve.
    let s = engine.status(order("SO-10"), utc(1, 8, 0)).unwrap();
    assert!(s.metric(Metric::Response).is_none());
    assert_eq!(
        s.metric(Metric::Resolution).unwrap().target,
        Target::Minutes(4800)
    );
}

#[test]
fn a_hook_error_names_the_order_and_the_rule_location() {
    let model = model();
    let rules = RuleSet::from_sources(&[(
        "sla.rhai",
        "fn sla_targets(order, customer, agreement) {\n  #{ response_minutes: -5 }\n}",
    )])
    .unwrap();
    let err = sla::targets_for(&model, Some(&rules), &model.orders()[0])
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("order SO-1: sla.rhai:1:"), "{err}");
    assert!(err.contains("response_minutes"), "{err}");
    let engine = SlaEngine::new(&model).unwrap().with_rules(&rules);
    let report = engine.report(model.orders(), utc(11, 0, 0));
    assert_eq!(report.errors.len(), 3);
    assert!(report.orders.is_empty());
}

#[test]
fn an_unknown_calendar_from_the_rules_is_located_at_the_hook() {
    // #14 item 8: was "order SO-1: unknown SLA calendar `berln`" without the rule's position.
    let model = model();
    let rules = RuleSet::from_sources(&[(
        "sla.rhai",
        "fn sla_targets(order, customer, agreement) {\n  #{ calendar: \"berln\" }\n}",
    )])
    .unwrap();
    let err = sla::targets_for(&model, Some(&rules), &model.orders()[0])
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("order SO-1: sla.rhai:1:4: "), "{err}");
    assert!(err.contains("berln"), "{err}");
    assert!(err.contains("calendar"), "{err}");
    // The built-in names stay valid.
    for ok in ["business", "24x7"] {
        let rules = RuleSet::from_sources(&[(
            "sla.rhai",
            format!("fn sla_targets(order, customer, agreement) {{ #{{ calendar: \"{ok}\" }} }}"),
        )])
        .unwrap();
        assert!(sla::targets_for(&model, Some(&rules), &model.orders()[0]).is_ok());
    }
}
