//! Parts and tools in the van: the catalogue, stocks, needs and depots in the dataset
//! (validation naming the entity, the JSON round trip), eligibility (a technician who lacks a
//! tool that no depot of theirs lends is not eligible), the unassigned reasons that name the
//! missing part or tool, the dispatch explanation, and the stock rules of a route.

use chrono::{DateTime, Duration, TimeZone, Utc};
use fieldwork::dispatch::{rank_candidates, Dispatcher, WorkRule};
use fieldwork::model::{Model, OrderId};
use fieldwork::schedule::field::{schedule, PlanRequest, ScheduleOptions};
use fieldwork::schedule::plan::{Plan, UnassignedReason};
use fieldwork::schedule::stock::{check_route, day_stock, StockViolation};
use std::collections::HashMap;

/// Two technicians on Monday 2027-03-01 (08:00–17:00 UTC) near one customer; one depot.
/// T-1 carries 1 filter and the wrench; T-2 carries 3 filters and no tool. The depot lends the
/// ladder and holds valves; nobody has a crimper.
fn dataset() -> serde_json::Value {
    serde_json::json!({
      "calendars": [{"id": "cal", "time_zone": "UTC", "weekly": {"mon": [["08:00","17:00"]]}}],
      "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                     "location": {"lat": 52.50, "lon": 13.40}, "calendar": "cal"}],
      "parts": [{"id": "P-filter", "name": "Air filter"}, {"id": "P-valve", "name": "Valve"}],
      "tools": [{"id": "T-wrench", "name": "Torque wrench"}, {"id": "T-ladder", "name": "Ladder"},
                {"id": "T-crimper", "name": "Crimper"}],
      "depots": [{"id": "D-1", "name": "Depot", "location": {"lat": 52.52, "lon": 13.42},
                  "parts": ["P-valve"], "tools": ["T-ladder"], "service_minutes": 10}],
      "tasks": [{"code": "SWAP", "description": "Swap filter", "duration_minutes": 30,
                 "parts": {"P-filter": 1}}],
      "technicians": [
        {"id": "T-1", "name": "Ann", "home": {"lat": 52.51, "lon": 13.41}, "calendar": "cal",
         "hourly_cost": "50", "max_hours_per_day": 9, "stock": {"P-filter": 1},
         "tools": ["T-wrench"], "depot": "D-1"},
        {"id": "T-2", "name": "Bo", "home": {"lat": 52.49, "lon": 13.39}, "calendar": "cal",
         "hourly_cost": "50", "max_hours_per_day": 9, "stock": {"P-filter": 3}}],
      "orders": [
        order("SO-wrench", serde_json::json!({"tools": ["T-wrench"]})),
        order("SO-crimp", serde_json::json!({"tools": ["T-crimper"]})),
        order("SO-filters", serde_json::json!({"lines": [
            {"kind": "task", "task": "SWAP", "quantity": "4", "unit_price": "0"}]})),
      ]
    })
}

fn order(id: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut o = serde_json::json!({"id": id, "customer": "C-1", "origin": {"kind": "manual"},
        "priority": "normal", "created_at": "2027-03-01T07:00:00Z"});
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

fn model_of(v: &serde_json::Value) -> Model {
    Model::from_json(&v.to_string()).unwrap()
}

fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap()
}

fn plan(model: &Model, orders: &[&str]) -> Plan {
    let ids: Vec<OrderId> = orders.iter().map(|o| OrderId::new(*o)).collect();
    let dues = HashMap::new();
    let request = PlanRequest::new(&ids, &dues, monday(), monday() + Duration::days(1));
    let options = ScheduleOptions {
        seed: 1,
        iterations: Some(200),
        time_budget: None,
        ..ScheduleOptions::default()
    };
    schedule(model, &Dispatcher::default(), &request, &options).unwrap()
}

#[test]
fn unknown_parts_tools_and_depots_are_named_with_their_entity() {
    let mut v = dataset();
    v["technicians"][0]["stock"] = serde_json::json!({"P-filtre": 1});
    v["technicians"][1]["depot"] = serde_json::json!("D-9");
    v["orders"][0]["tools"] = serde_json::json!(["T-x"]);
    v["depots"][0]["parts"] = serde_json::json!(["P-none"]);
    v["tasks"][0]["parts"] = serde_json::json!({"P-filter": 0});
    let e = Model::from_json(&v.to_string()).unwrap_err().to_string();
    for needle in [
        "technician `T-1`: field `stock`: unknown part `P-filtre`",
        "technician `T-2`: field `depot`: unknown depot `D-9`",
        "order `SO-wrench`: field `tools`: unknown tool `T-x`",
        "depot `D-1`: field `parts`: unknown part `P-none`",
        "task `SWAP`: field `parts.P-filter`",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in {e}");
    }
    let mut dup = dataset();
    dup["parts"][1]["id"] = serde_json::json!("P-filter");
    let e = Model::from_json(&dup.to_string()).unwrap_err().to_string();
    assert!(
        e.contains("part `P-filter`: field `id`: duplicate id"),
        "{e}"
    );
}

#[test]
fn the_catalogue_stocks_and_needs_round_trip_through_json() {
    let model = model_of(&dataset());
    let again = Model::from_json(&model.to_json()).unwrap();
    assert_eq!(again.to_dataset(), model.to_dataset());
    assert_eq!(again.depots().len(), 1);
    assert_eq!(again.part_types().len(), 2);
    let t1 = again.technician(&"T-1".into()).unwrap();
    assert_eq!(t1.stock_of(&"P-filter".into()), 1);
    let filters = again.order(&"SO-filters".into()).unwrap();
    assert_eq!(
        again.order_required_parts(filters)[&"P-filter".into()],
        4,
        "task parts × quantity"
    );
}

#[test]
fn the_nearest_depot_serves_a_technician_that_names_none() {
    let mut v = dataset();
    v["depots"].as_array_mut().unwrap().push(
        serde_json::json!({"id": "D-far", "name": "Far", "location": {"lat": 53.5, "lon": 10.0}}),
    );
    let model = model_of(&v);
    let t2 = model.technician(&"T-2".into()).unwrap();
    assert_eq!(model.technician_depot(t2).unwrap().id.as_str(), "D-1");
}

#[test]
fn a_tool_decides_who_may_take_the_order() {
    let model = model_of(&dataset());
    let plan = plan(&model, &["SO-wrench"]);
    let visit = plan.routes.iter().find(|r| !r.visits.is_empty()).unwrap();
    assert_eq!(
        visit.technician.as_str(),
        "T-1",
        "only T-1 carries the wrench"
    );
    let ranking = rank_candidates(
        &model,
        &Dispatcher::default(),
        &"SO-wrench".into(),
        monday(),
    )
    .unwrap();
    let bo = ranking.candidate(&"T-2".into()).unwrap();
    assert!(!bo.is_eligible());
    let json = serde_json::to_string(bo).unwrap();
    assert!(json.contains("parts_and_tools"), "{json}");
    assert!(
        json.contains("needs tool T-wrench: not in the van and not at the depot"),
        "{json}"
    );
    assert_eq!(WorkRule::PartsAndTools.name(), "parts_and_tools");
}

#[test]
fn unassigned_reasons_name_the_missing_tool_and_parts() {
    let mut v = dataset();
    // Nobody can bring four filters: T-1 has 1, T-2 has 3, the depot holds none.
    v["orders"][2]["lines"][0]["quantity"] = serde_json::json!("4");
    let model = model_of(&v);
    let plan = plan(&model, &["SO-crimp", "SO-filters"]);
    let reason = |id: &str| {
        plan.unassigned
            .iter()
            .find(|u| u.order.as_str() == id)
            .unwrap_or_else(|| panic!("{id} unassigned: {plan:?}"))
    };
    let crimp = reason("SO-crimp");
    assert_eq!(crimp.reason, UnassignedReason::MissingTool);
    assert_eq!(
        crimp.detail,
        "needs tool T-crimper (Crimper): no technician carries it and no depot holds it"
    );
    let filters = reason("SO-filters");
    assert_eq!(filters.reason, UnassignedReason::MissingParts);
    assert_eq!(
        filters.detail,
        "needs 4 × P-filter (Air filter): vans carry at most 3 and no depot holds it"
    );
    assert_eq!(
        serde_json::to_value(UnassignedReason::MissingTool).unwrap(),
        "missing_tool"
    );
}

#[test]
fn three_filters_fit_bo_s_van_and_the_day_counts_them_down() {
    let mut v = dataset();
    v["orders"][2]["lines"][0]["quantity"] = serde_json::json!("3");
    let model = model_of(&v);
    let plan = plan(&model, &["SO-filters"]);
    let route = &plan.routes[0];
    assert_eq!(route.technician.as_str(), "T-2");
    assert!(check_route(&model, route).is_empty());
    let day = day_stock(&model, route).unwrap();
    assert_eq!(day.start[&"P-filter".into()], 3);
    assert_eq!(day.end[&"P-filter".into()], 0);
    // The same visit on Ann's van breaks the stock rule: one filter, no depot holding them.
    let mut on_ann = route.clone();
    on_ann.technician = "T-1".into();
    let v = check_route(&model, &on_ann);
    assert!(
        matches!(
            &v[..],
            [StockViolation::Parts {
                needed: 3,
                left: 1,
                ..
            }]
        ),
        "{v:?}"
    );
    assert!(v[0].to_string().contains("SO-filters needs 3 × P-filter"));
}

/// A Monday with T-1 only: one filter in the van, the depot D-1 holds filters. Two orders need
/// two filters together: the route calls at the depot before the second, and the validator's
/// stock rule rejects the same route without the stop.
#[test]
fn a_part_the_van_lacks_brings_a_depot_stop_before_the_visit() {
    let mut v = dataset();
    v["technicians"].as_array_mut().unwrap().truncate(1);
    v["depots"][0]["parts"] = serde_json::json!(["P-filter", "P-valve"]);
    v["orders"] = serde_json::json!([
        order("SO-a", serde_json::json!({"parts": {"P-filter": 1}})),
        order("SO-b", serde_json::json!({"parts": {"P-filter": 1}})),
    ]);
    let model = model_of(&v);
    let plan = plan(&model, &["SO-a", "SO-b"]);
    assert!(plan.unassigned.is_empty(), "{:?}", plan.unassigned);
    let route = &plan.routes[0];
    assert_eq!(route.visits.len(), 2);
    let stop = route.depot_stop.as_ref().expect("a depot stop");
    assert_eq!(stop.depot.as_str(), "D-1");
    let position = route.depot_position().unwrap();
    assert!(position <= 1, "the stop comes before the second visit");
    assert_eq!(
        (stop.end - stop.start).num_minutes(),
        10,
        "the depot's service minutes"
    );
    if position == 1 {
        assert!(stop.arrival >= route.visits[0].end);
    } else {
        assert!(stop.arrival >= route.shift_start);
    }
    assert!(route.visits[position].arrival >= stop.end);
    assert!(stop.travel_km > 0.0 && route.travel_km() > stop.travel_km);
    assert!(check_route(&model, route).is_empty());
    let day = day_stock(&model, route).unwrap();
    assert!(day.visits[position].after_depot);
    // Without the stop the second filter is missing.
    let mut skipped = route.clone();
    skipped.depot_stop = None;
    let violations = check_route(&model, &skipped);
    assert!(
        matches!(
            &violations[..],
            [StockViolation::Parts {
                needed: 1,
                left: 0,
                ..
            }]
        ),
        "{violations:?}"
    );
}

/// The depot is closed all Monday (its calendar opens on Tuesdays only): no stop can be made, so
/// only one of the two orders fits the van.
#[test]
fn a_closed_depot_gives_no_stop() {
    let mut v = dataset();
    v["technicians"].as_array_mut().unwrap().truncate(1);
    v["calendars"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"id": "tue", "time_zone": "UTC",
            "weekly": {"tue": [["08:00","17:00"]]}}));
    v["depots"][0]["calendar"] = serde_json::json!("tue");
    v["depots"][0]["parts"] = serde_json::json!(["P-filter"]);
    v["orders"] = serde_json::json!([
        order("SO-a", serde_json::json!({"parts": {"P-filter": 1}})),
        order("SO-b", serde_json::json!({"parts": {"P-filter": 1}})),
    ]);
    let model = model_of(&v);
    let plan = plan(&model, &["SO-a", "SO-b"]);
    assert_eq!(plan.routes.iter().map(|r| r.visits.len()).sum::<usize>(), 1);
    assert!(plan.routes.iter().all(|r| r.depot_stop.is_none()));
    assert_eq!(plan.unassigned.len(), 1);
    for r in &plan.routes {
        assert!(check_route(&model, r).is_empty());
    }
}

/// A re-plan after the first visit's planned start (no start recorded: as far as the plan knows
/// it is under way) keeps every visit of a route that began with a depot stop: the
/// technician's shift may start when the previous plan had them leave for the depot, so the
/// fixed visits still fit and the freeze is not dropped. (The demo's noon re-run moved 57 visits when a route began with a
/// depot stop: the stop no longer fitted before the kept first visit, the initial plan was
/// refused, and the whole freeze with it.)
/// One technician whose day starts at the depot: SO-a needs two filters (the van holds one),
/// SO-b and SO-c need nothing; the first plan of the three.
fn a_day_that_starts_at_the_depot() -> (Model, Plan) {
    let mut v = dataset();
    v["technicians"].as_array_mut().unwrap().truncate(1);
    v["depots"][0]["parts"] = serde_json::json!(["P-filter", "P-valve"]);
    v["tasks"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"code": "CHECK", "description": "Check", "duration_minutes": 60}));
    let check =
        serde_json::json!([{"kind": "task", "task": "CHECK", "quantity": "1", "unit_price": "0"}]);
    v["orders"] = serde_json::json!([
        order(
            "SO-a",
            serde_json::json!({"parts": {"P-filter": 2}, "lines": check})
        ),
        order("SO-b", serde_json::json!({"lines": check})),
        order("SO-c", serde_json::json!({"lines": check})),
    ]);
    let model = model_of(&v);
    let first = plan(&model, &["SO-a", "SO-b", "SO-c"]);
    assert!(first.unassigned.is_empty(), "{:?}", first.unassigned);
    assert_eq!(first.routes[0].depot_position(), Some(0), "{first:?}");
    (model, first)
}

/// The re-plan of the three orders at `now`, from `first`.
fn replan(model: &Model, first: &Plan, now: DateTime<Utc>) -> Plan {
    let ids: Vec<OrderId> = ["SO-a", "SO-b", "SO-c"].map(OrderId::new).to_vec();
    let dues = HashMap::new();
    let request =
        PlanRequest::new(&ids, &dues, now, monday() + Duration::days(1)).replanning(Some(first));
    let options = ScheduleOptions {
        seed: 7,
        iterations: Some(2_000),
        time_budget: None,
        ..ScheduleOptions::default()
    };
    schedule(model, &Dispatcher::default(), &request, &options).unwrap()
}

#[test]
fn a_replan_after_the_first_visit_keeps_a_route_that_starts_at_the_depot() {
    let (model, first) = a_day_that_starts_at_the_depot();
    let route = &first.routes[0];
    let a = route
        .visits
        .iter()
        .find(|v| v.order.as_str() == "SO-a")
        .unwrap();
    let now = route.visits[0].start + Duration::minutes(5);
    let again = replan(&model, &first, now);
    assert!(again.unassigned.is_empty(), "{:?}", again.unassigned);
    let kept = &again.routes[0];
    let starts = |r: &fieldwork::schedule::plan::Route| -> Vec<(String, DateTime<Utc>)> {
        r.visits
            .iter()
            .map(|v| (v.order.to_string(), v.start))
            .collect()
    };
    assert_eq!(starts(kept), starts(route), "{kept:?}");
    assert_eq!(kept.visits[0].start, a.start);
}

/// A depot stop made before "now" is a fact: a re-plan while the first visit is under way
/// keeps the stop on the route (it was dropped, and the day's stock then showed the van short
/// of the filter it had picked up), the van stays restocked for the rest of the day, and the
/// drive to the first visit is from the depot.
#[test]
fn a_depot_stop_made_before_now_stays_and_the_van_stays_restocked() {
    let (model, first) = a_day_that_starts_at_the_depot();
    let route = &first.routes[0];
    let stop = route.depot_stop.clone().unwrap();
    // Later than the re-plan above: the technician is at the first visit, the stop is past.
    let now = route.visits[0].start + Duration::minutes(30);
    assert!(stop.end < now);
    let again = replan(&model, &first, now);
    assert!(again.unassigned.is_empty(), "{:?}", again.unassigned);
    let kept = &again.routes[0];
    assert_eq!(kept.depot_stop.as_ref(), Some(&stop), "{kept:?}");
    assert_eq!(kept.depot_position(), Some(0));
    assert!(
        check_route(&model, kept).is_empty(),
        "{:?}",
        check_route(&model, kept)
    );
    assert_eq!(kept.visits[0].order, route.visits[0].order);
    assert!((kept.visits[0].travel_km - route.visits[0].travel_km).abs() < 1e-9);
    assert!(
        (kept.travel_km() - route.travel_km()).abs() < 1e-6,
        "{kept:?}"
    );
    // A re-plan before the stop is made plans it again (nothing is restocked yet).
    let early = replan(&model, &first, stop.start - Duration::minutes(1));
    assert_eq!(early.routes[0].depot_position(), Some(0));
    assert!(check_route(&model, &early.routes[0]).is_empty());
}
