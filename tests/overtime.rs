//! Overtime in the batch scheduler: a technician profile's `overtime_minutes` lets a day run
//! past its regular end at the policy's `costs.overtime_per_minute`, traded on the one scale
//! against leaving an order unplanned; overtime never runs into an absence, and the plan
//! reports it per route and in its figures.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use fieldwork::dispatch::Dispatcher;
use fieldwork::model::{Model, OrderId};
use fieldwork::rules::RuleSet;
use fieldwork::schedule::field::{schedule, PlanRequest, ScheduleOptions};
use fieldwork::schedule::plan::Plan;

/// Monday 1 March 2027, `h:m` in Berlin (UTC+1).
fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, h - 1, m, 0).unwrap()
}

/// One technician working Monday 08:00–16:00 (8 h a day) and one order of 7.5 h on a site
/// 18 min away (0.1° north: 11.1 km straight, 14.5 road km at 50 km/h): 486 min of work and
/// travel, 6 more than the day holds. `absence`: the technician's absence from 16:00.
fn model(absence: bool) -> Model {
    let absences = if absence {
        format!(
            r#", "absences": [{{"technician": "T-1", "start": "{}", "end": "{}",
                 "reason": "dentist"}}]"#,
            at(16, 0).to_rfc3339(),
            at(18, 0).to_rfc3339()
        )
    } else {
        String::new()
    };
    Model::from_json(&format!(
        r#"{{
      "calendars": [{{"id": "day", "time_zone": "Europe/Berlin",
                      "weekly": {{"mon": [["08:00", "16:00"]]}}}}],
      "customers": [{{"id": "C-1", "name": "C1", "tier": "silver", "time_zone": "Europe/Berlin",
                      "location": {{"lat": 52.6, "lon": 13.4}}}}],
      "technicians": [{{"id": "T-1", "name": "T1", "home": {{"lat": 52.5, "lon": 13.4}},
                        "calendar": "day", "hourly_cost": "40", "max_hours_per_day": 8}}],
      "orders": [{{"id": "SO-1", "customer": "C-1", "origin": {{"kind": "manual"}},
                   "priority": "normal", "created_at": "2027-02-26T09:00:00Z",
                   "lines": [{{"kind": "hour", "quantity": "7.5", "unit_price": "0"}}]}}]
      {absences}
    }}"#
    ))
    .unwrap()
}

fn rules(overtime_minutes: f64, per_minute: f64) -> RuleSet {
    let source = format!(
        "fn dispatch_policy() {{ #{{ costs: #{{ overtime_per_minute: {per_minute:?} }} }} }}\n\
         fn technician_profile(tech) {{ #{{ overtime_minutes: {overtime_minutes:?} }} }}"
    );
    RuleSet::from_sources(&[("dispatch.rhai", source.as_str())]).unwrap()
}

fn plan(model: &Model, rules: Option<&RuleSet>) -> Plan {
    let dispatcher = match rules {
        Some(r) => Dispatcher::from_rules(r).unwrap(),
        None => Dispatcher::default(),
    };
    let orders = vec![OrderId::new("SO-1")];
    let dues = HashMap::new();
    let from = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    let request = PlanRequest::new(&orders, &dues, from, from + Duration::days(1));
    let options = ScheduleOptions {
        seed: 1,
        iterations: Some(200),
        time_budget: None,
        ..ScheduleOptions::default()
    };
    schedule(model, &dispatcher, &request, &options).unwrap()
}

#[test]
fn a_day_runs_into_overtime_when_the_order_is_worth_it() {
    // Without overtime the order does not fit the day.
    let none = plan(&model(false), None);
    assert_eq!(none.unassigned.len(), 1, "{:?}", none.routes);
    assert_eq!(none.kpis.overtime_minutes, 0.0);

    // An hour of overtime at 2 per minute: 6 min cost 12, far less than leaving a normal
    // order unplanned (2 × 10,000).
    let p = plan(&model(false), Some(&rules(60.0, 2.0)));
    assert!(p.unassigned.is_empty(), "{:?}", p.unassigned);
    let route = &p.routes[0];
    assert_eq!(route.shift_end, at(16, 0), "the regular end is reported");
    assert_eq!(route.shift_start, at(8, 0));
    assert_eq!(route.visits[0].start, at(8, 18), "leaves at once");
    assert_eq!(route.return_at(), at(16, 6));
    assert_eq!(route.overtime_minutes(), 6.0);
    assert_eq!(p.kpis.overtime_minutes, 6.0);
    // The objective holds the overtime: one more per minute costs 6 more, the plan alike.
    let dearer = plan(&model(false), Some(&rules(60.0, 3.0)));
    assert_eq!(dearer.routes, p.routes);
    assert!(
        (dearer.kpis.objective - p.kpis.objective - 6.0).abs() < 1e-6,
        "{} vs {}",
        dearer.kpis.objective,
        p.kpis.objective
    );
}

#[test]
fn overtime_dearer_than_the_order_or_too_short_leaves_it_unplanned() {
    // 6 min at 5,000 per minute cost more than the order's 20,000.
    let p = plan(&model(false), Some(&rules(60.0, 5_000.0)));
    assert_eq!(p.unassigned.len(), 1);
    // 5 min of overtime are not enough.
    let p = plan(&model(false), Some(&rules(5.0, 2.0)));
    assert_eq!(p.unassigned.len(), 1);
}

#[test]
fn overtime_never_runs_into_an_absence() {
    let p = plan(&model(true), Some(&rules(60.0, 2.0)));
    assert_eq!(p.unassigned.len(), 1, "{:?}", p.routes);
}

#[test]
fn an_overtime_allowance_out_of_range_is_refused_with_its_name() {
    let too_long = rules(500.0, 2.0);
    let dispatcher = Dispatcher::from_rules(&too_long).unwrap();
    let orders = vec![OrderId::new("SO-1")];
    let dues = HashMap::new();
    let from = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    let request = PlanRequest::new(&orders, &dues, from, from + Duration::days(1));
    let err = schedule(
        &model(false),
        &dispatcher,
        &request,
        &ScheduleOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("overtime_minutes"), "{err}");
    let err = Dispatcher::from_rules(&rules(60.0, -1.0))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("costs.overtime_per_minute"), "{err}");
}
