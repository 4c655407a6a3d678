//! The daily limit counts from the day's first opening, whatever the time of the run: a plan
//! made at 11:00 leaves a technician the same end of day as one made before the day began
//! (before, a mid-day run counted `max_hours_per_day` from "now", so re-planning lengthened
//! the day), and a run after the day's limit gives that technician no more time that day.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use fieldwork::dispatch::Dispatcher;
use fieldwork::model::{Model, OrderId};
use fieldwork::schedule::field::{schedule, PlanRequest, ScheduleOptions};
use fieldwork::schedule::plan::Plan;

/// Monday 1 March 2027, `h:m` in Berlin (UTC+1).
fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, h - 1, m, 0).unwrap()
}

/// One technician open Monday 07:00–12:00 and 12:30–18:00 (one shift: the break is short)
/// with 8 h a day, so the regular day is 07:00–15:00; one order of `hours` on a site 18 min
/// away (0.1° north).
fn model(hours: &str) -> Model {
    model_with(hours, "")
}

/// [`model`] with extra order fields (`history`, …) spliced into the order.
fn model_with(hours: &str, order_extra: &str) -> Model {
    Model::from_json(&format!(
        r#"{{
      "calendars": [{{"id": "day", "time_zone": "Europe/Berlin",
                      "weekly": {{"mon": [["07:00", "12:00"], ["12:30", "18:00"]]}}}}],
      "customers": [{{"id": "C-1", "name": "C1", "tier": "silver", "time_zone": "Europe/Berlin",
                      "location": {{"lat": 52.6, "lon": 13.4}}}}],
      "technicians": [{{"id": "T-1", "name": "T1", "home": {{"lat": 52.5, "lon": 13.4}},
                        "calendar": "day", "hourly_cost": "40", "max_hours_per_day": 8}}],
      "orders": [{{"id": "SO-1", "customer": "C-1", "origin": {{"kind": "manual"}},
                   "priority": "normal", "created_at": "2027-02-26T09:00:00Z",
                   "lines": [{{"kind": "hour", "quantity": "{hours}", "unit_price": "0"}}]
                   {order_extra}}}]
    }}"#
    ))
    .unwrap()
}

/// The plan of Monday made at `now`.
fn plan(model: &Model, now: DateTime<Utc>) -> Plan {
    replan(model, now, None)
}

/// The plan of Monday made at `now`, revising `previous`.
fn replan(model: &Model, now: DateTime<Utc>, previous: Option<&Plan>) -> Plan {
    let orders = vec![OrderId::new("SO-1")];
    let dues = HashMap::new();
    let end = Utc.with_ymd_and_hms(2027, 3, 2, 0, 0, 0).unwrap();
    let request = PlanRequest::new(&orders, &dues, now, end).replanning(previous);
    let options = ScheduleOptions {
        seed: 1,
        iterations: Some(200),
        time_budget: None,
        ..ScheduleOptions::default()
    };
    schedule(model, &Dispatcher::default(), &request, &options).unwrap()
}

#[test]
fn a_mid_day_run_keeps_the_end_of_day_of_a_morning_run() {
    let morning = plan(&model("2"), at(6, 0));
    assert_eq!(morning.routes.len(), 1, "{:?}", morning.unassigned);
    assert_eq!(morning.routes[0].shift_start, at(7, 0));
    assert_eq!(morning.routes[0].shift_end, at(15, 0));

    let noon = plan(&model("2"), at(11, 0));
    assert_eq!(noon.routes.len(), 1, "{:?}", noon.unassigned);
    assert_eq!(noon.routes[0].shift_start, at(11, 0));
    assert_eq!(
        noon.routes[0].shift_end,
        at(15, 0),
        "not 18:00 (11:00 + 8 h, cut by the close)"
    );
    assert_eq!(noon.routes[0].visits[0].start, at(11, 18));
}

#[test]
fn work_that_would_end_past_the_days_limit_is_not_planned_after_the_morning() {
    // 3.5 h: fits a day that starts at 07:00 …
    let morning = plan(&model("3.5"), at(6, 0));
    assert!(morning.unassigned.is_empty(), "{:?}", morning.unassigned);
    // … but from 11:00 the technician would be back at 15:06, past the 8 h counted from 07:00.
    let noon = plan(&model("3.5"), at(11, 0));
    assert_eq!(noon.unassigned.len(), 1, "{:?}", noon.routes);
    // After the day's limit the technician has no time left that day (the calendar is still
    // open until 18:00).
    let late = plan(&model("0.25"), at(15, 30));
    assert!(late.routes.is_empty(), "{:?}", late.routes);
    assert_eq!(late.unassigned.len(), 1);
}

#[test]
fn work_under_way_after_the_days_limit_stays_planned() {
    // Planned in the morning: 07:18–10:18. Started then and not recorded as done: at 15:30, past
    // the day's limit (15:00), it is still work under way on the technician's day.
    let morning = plan(&model("3"), at(6, 0));
    assert_eq!(morning.routes[0].visits[0].start, at(7, 18));
    let started = model_with(
        "3",
        &format!(
            r#", "history": [{{"at": "{}", "status": "scheduled"}},
                              {{"at": "{}", "status": "in_progress"}}]"#,
            at(6, 0).to_rfc3339(),
            at(7, 18).to_rfc3339()
        ),
    );
    let late = replan(&started, at(15, 30), Some(&morning));
    assert!(late.unassigned.is_empty(), "{:?}", late.unassigned);
    assert_eq!(late.routes.len(), 1);
    assert_eq!(late.routes[0].visits[0].start, at(7, 18));
}
