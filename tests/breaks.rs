//! Breaks: the dispatch policy's `work_rules.max_break_minutes` decides, for the `availability`
//! rule and the scheduler alike, which gaps of a technician's day work may run through. Before,
//! the rule never let a job span a lunch break while the scheduler's shifts did, so a job longer
//! than the morning was "no working time" although the scheduler could have placed it; and an
//! absence shorter than two hours was bridged like a break, so a visit could overlap it.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use fieldwork::dispatch::Dispatcher;
use fieldwork::model::{Model, OrderId, TechnicianId};
use fieldwork::rules::RuleSet;
use fieldwork::schedule::field::{schedule, PlanRequest, ScheduleOptions};
use fieldwork::schedule::plan::Plan;

/// Monday 1 March 2027, `h:m` UTC (the calendar's zone).
fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, h, m, 0).unwrap()
}

/// One technician open Monday `hours` (JSON intervals), 10 h a day, with `absences` (JSON
/// records, may be empty); orders `SO-1`… of `durations` hours each, on one site 18 min away
/// (0.1° north at 45 km/h … the default travel model).
fn model(hours: &str, absences: &str, durations: &[&str]) -> Model {
    let orders: Vec<String> = durations
        .iter()
        .enumerate()
        .map(|(i, h)| {
            format!(
                r#"{{"id": "SO-{}", "customer": "C-1", "origin": {{"kind": "manual"}},
                    "priority": "normal", "created_at": "2027-02-26T09:00:00Z",
                    "lines": [{{"kind": "hour", "quantity": "{h}", "unit_price": "0"}}]}}"#,
                i + 1
            )
        })
        .collect();
    Model::from_json(&format!(
        r#"{{
      "calendars": [{{"id": "day", "time_zone": "UTC", "weekly": {{"mon": {hours}}}}}],
      "customers": [{{"id": "C-1", "name": "C1", "tier": "silver", "time_zone": "UTC",
                      "location": {{"lat": 52.6, "lon": 13.4}}}}],
      "technicians": [{{"id": "T-1", "name": "T1", "home": {{"lat": 52.5, "lon": 13.4}},
                        "calendar": "day", "hourly_cost": "40", "max_hours_per_day": 10}}],
      "absences": [{absences}],
      "orders": [{}]
    }}"#,
        orders.join(",")
    ))
    .unwrap()
}

const LUNCH: &str = r#"[["08:00", "12:00"], ["13:00", "17:00"]]"#;

/// Rules whose policy sets `max_break_minutes` (`None`: the built-in policy).
fn rules(max_break: Option<u32>) -> Option<RuleSet> {
    max_break.map(|m| {
        let src =
            format!("fn dispatch_policy() {{ #{{ work_rules: #{{ max_break_minutes: {m} }} }} }}");
        RuleSet::from_sources(&[("dispatch.rhai", src.as_str())]).unwrap()
    })
}

/// The dispatcher of `rules` (`None`: the built-in policy).
fn dispatcher(rules: Option<&RuleSet>) -> Dispatcher<'_> {
    rules.map_or_else(Dispatcher::default, |r| Dispatcher::from_rules(r).unwrap())
}

/// Monday's plan of every order, made on Sunday evening.
fn plan(model: &Model, rules: Option<&RuleSet>) -> Plan {
    let orders: Vec<OrderId> = model.orders().iter().map(|o| o.id.clone()).collect();
    let dues = HashMap::new();
    let request = PlanRequest::new(
        &orders,
        &dues,
        Utc.with_ymd_and_hms(2027, 2, 28, 20, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2027, 3, 2, 0, 0, 0).unwrap(),
    );
    let options = ScheduleOptions {
        seed: 1,
        iterations: Some(300),
        time_budget: None,
        ..ScheduleOptions::default()
    };
    let dispatcher = dispatcher(rules);
    schedule(model, &dispatcher, &request, &options).unwrap()
}

/// The minute of the day of `start` on Monday 1 March, if it is then (the dispatcher's start is
/// to the second: home to site is 17.4 min).
fn monday_minute(start: Result<DateTime<Utc>, String>) -> Option<i64> {
    let start = start.ok()?;
    (start >= at(0, 0) && start < at(0, 0) + chrono::Duration::days(1))
        .then(|| ((start - at(0, 0)).num_seconds() + 59) / 60)
}

/// The dispatcher's earliest start for `SO-1` on `T-1`, or its reason for none.
fn candidate_start(model: &Model, rules: Option<&RuleSet>) -> Result<DateTime<Utc>, String> {
    let dispatcher = dispatcher(rules);
    let order = OrderId::new("SO-1");
    let ctx = dispatcher
        .context(model, std::slice::from_ref(&order), at(0, 0))
        .unwrap();
    let (o, t) = (
        ctx.order_ix(&order).unwrap(),
        ctx.tech_ix(&TechnicianId::new("T-1")).unwrap(),
    );
    ctx.check(o, t)
        .map(|a| Utc.timestamp_opt(a.start, 0).unwrap())
        .map_err(|v| ctx.exclusion(o, t, &v).reason)
}

#[test]
fn a_job_longer_than_the_morning_runs_through_lunch() {
    let m = model(LUNCH, "", &["5"]);
    // The candidate list and the scheduler agree: 08:18 – 13:18, through the lunch hour.
    assert_eq!(monday_minute(candidate_start(&m, None)), Some(8 * 60 + 18));
    let p = plan(&m, None);
    assert!(p.unassigned.is_empty(), "{:?}", p.unassigned);
    let visit = &p.routes[0].visits[0];
    assert_eq!((visit.start, visit.end), (at(8, 18), at(13, 18)));
    // The same with the setting written out.
    let r = rules(Some(120));
    assert_eq!(
        monday_minute(candidate_start(&m, r.as_ref())),
        Some(8 * 60 + 18)
    );
}

#[test]
fn without_breaks_the_job_fits_no_opening_for_both() {
    let m = model(LUNCH, "", &["5"]);
    let r = rules(Some(0));
    let reason = candidate_start(&m, r.as_ref()).unwrap_err();
    assert!(reason.contains("open"), "{reason}");
    let p = plan(&m, r.as_ref());
    assert!(
        p.routes.iter().all(|r| r.visits.is_empty()),
        "{:?}",
        p.routes
    );
    assert_eq!(p.unassigned.len(), 1);
    assert_eq!(p.unassigned[0].order.as_str(), "SO-1");
    // A gap as long as the limit is not a break either.
    let r = rules(Some(60));
    assert!(candidate_start(&m, r.as_ref()).is_err());
    assert_eq!(plan(&m, r.as_ref()).unassigned.len(), 1);
    // A job that fits the morning is planned there whatever the setting.
    let short = model(LUNCH, "", &["3"]);
    assert_eq!(
        monday_minute(candidate_start(&short, r.as_ref())),
        Some(8 * 60 + 18)
    );
    assert!(plan(&short, r.as_ref()).unassigned.is_empty());
}

#[test]
fn an_absence_is_never_bridged() {
    let absence = r#"{"technician": "T-1", "start": "2027-03-01T12:00:00Z",
                      "end": "2027-03-01T13:00:00Z", "reason": "dentist"}"#;
    let m = model(r#"[["08:00", "17:00"]]"#, absence, &["3", "3"]);
    let p = plan(&m, None);
    assert!(p.unassigned.is_empty(), "{:?}", p.unassigned);
    let mut visits: Vec<_> = p.routes.iter().flat_map(|r| &r.visits).collect();
    assert_eq!(visits.len(), 2);
    visits.sort_by_key(|v| v.start);
    for v in &visits {
        assert!(
            v.end <= at(12, 0) || v.start >= at(13, 0),
            "{} {}–{} overlaps the absence",
            v.order,
            v.start,
            v.end
        );
    }
    // Each route leaves home after the absence or is back before it.
    for r in &p.routes {
        assert!(
            r.shift_end <= at(12, 0) || r.shift_start >= at(13, 0),
            "{r:?}"
        );
    }
    assert_eq!(visits[1].start, at(13, 18));
    // A six-hour job does not fit Monday around the absence (the dispatcher offers the next
    // Monday, beyond the plan's horizon).
    let long = model(r#"[["08:00", "17:00"]]"#, absence, &["6"]);
    assert_eq!(monday_minute(candidate_start(&long, None)), None);
    assert!(candidate_start(&long, None).is_ok());
    assert_eq!(plan(&long, None).unassigned.len(), 1);
}

#[test]
fn the_daily_limit_counts_from_the_first_opening_across_a_short_absence() {
    // Open 08:00–20:00 with 10 h a day and an hour away at 09:00: the day's two spans are
    // 08:00–09:00 and 10:00–18:00 (10 h from 08:00), not 10:00–20:00.
    let absence = r#"{"technician": "T-1", "start": "2027-03-01T09:00:00Z",
                      "end": "2027-03-01T10:00:00Z", "reason": "errand"}"#;
    let m = model(r#"[["08:00", "20:00"]]"#, absence, &["7"]);
    let p = plan(&m, None);
    assert!(p.unassigned.is_empty(), "{:?}", p.unassigned);
    let route = p.routes.iter().find(|r| !r.visits.is_empty()).unwrap();
    assert_eq!((route.shift_start, route.shift_end), (at(10, 0), at(18, 0)));
    assert_eq!(route.visits[0].start, at(10, 18));
    // Nine hours would end past 18:00: not planned that day.
    let long = model(r#"[["08:00", "20:00"]]"#, absence, &["9"]);
    assert_eq!(plan(&long, None).unassigned.len(), 1);
}
