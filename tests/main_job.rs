//! The main job run on successive days: each run re-plans its window from the current schedule
//! of every stored plan, so overlapping windows never book a technician twice, every scheduled
//! order has exactly one visit (in the stored plans too), and the views' current plan agrees
//! with the orders' statuses.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::job::NoProgress;
use fieldwork::job::{run_main_job, JobOptions, ScheduleOutcome};
use fieldwork::model::{Dataset, Model, OrderId, OrderStatus, Priority};
use fieldwork::rules::RuleSet;
use fieldwork::schedule::plan::Plan;
use fieldwork::store::{current_plan, on_schedule, ImportMode, MemoryStore, Store};
use std::collections::{BTreeMap, HashMap};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, d).unwrap()
}

fn options(from: u32, now: DateTime<Utc>) -> JobOptions {
    let mut o = JobOptions::new(day(from), day(from) + Duration::days(7), now);
    o.schedule.time_budget = None;
    o.schedule.iterations = Some(300);
    o
}

/// A technician's visit: start, end, order.
type Booking<'a> = (DateTime<Utc>, DateTime<Utc>, &'a OrderId);

/// Every visit of the current plan belongs to an order on the schedule, each once; every
/// scheduled order has a visit; no technician is in two places at once.
fn check_consistent(model: &Model, plan: &Plan) {
    let mut seen: HashMap<&OrderId, usize> = HashMap::new();
    let mut linked = std::collections::HashSet::new();
    let mut by_tech: BTreeMap<&str, Vec<Booking>> = BTreeMap::new();
    for route in &plan.routes {
        for v in &route.visits {
            // A multi-day job's parts and a crew's members are each one visit of their order.
            if v.part.is_none_or(|p| p.index == 1) {
                *seen.entry(&v.order).or_default() += 1;
            } else {
                assert!(
                    linked.insert((&v.order, v.part.map(|p| p.index))),
                    "{} {:?} planned twice",
                    v.order,
                    v.part
                );
                seen.entry(&v.order).or_default();
            }
            let status = model.order(&v.order).unwrap().status();
            assert!(on_schedule(status), "{} is {status} but planned", v.order);
            by_tech
                .entry(route.technician.as_str())
                .or_default()
                .push((v.start, v.end, &v.order));
        }
    }
    assert!(seen.values().all(|&n| n <= 1), "an order planned twice");
    for order in model.orders() {
        if order.status() == OrderStatus::Scheduled {
            assert!(
                seen.contains_key(&order.id),
                "{} scheduled, no visit",
                order.id
            );
        }
    }
    for (tech, mut visits) in by_tech {
        visits.sort();
        for pair in visits.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "{tech} double-booked: {} until {} and {} from {}",
                pair[0].2,
                pair[0].1,
                pair[1].2,
                pair[1].0
            );
        }
    }
}

#[test]
fn successive_runs_with_overlapping_windows_never_double_book() {
    let mut demo = DemoOptions::new(5, day(1));
    demo.customers = 60;
    demo.technicians = 5;
    let mut store = MemoryStore::new();
    store.import(generate(&demo), ImportMode::Replace).unwrap();
    let rules = RuleSet::empty();

    let monday = Utc.with_ymd_and_hms(2027, 3, 1, 5, 0, 0).unwrap();
    let first = run_main_job(&mut store, &rules, &options(1, monday), &mut NoProgress).unwrap();
    assert!(matches!(first.schedule, ScheduleOutcome::Planned { assigned, .. } if assigned > 0));

    // Tuesday morning: three new breakdowns come in, then the job runs over Tue..Tue+7.
    let tuesday = Utc.with_ymd_and_hms(2027, 3, 2, 5, 0, 0).unwrap();
    // Copies of an order that Monday's plan could place (so some technician may take them).
    let model = store.load_model().unwrap();
    let monday_plan = current_plan(&model, &store.plans().unwrap()).unwrap();
    let template = model
        .order(&monday_plan.routes[0].visits[0].order)
        .unwrap()
        .clone();
    let mut news = Dataset::default();
    for i in 0..3 {
        let mut o = template.clone();
        o.id = OrderId::new(format!("SO-NEW-{i}"));
        o.history.clear();
        o.created_at = tuesday - Duration::hours(1);
        o.priority = Priority::High;
        o.pinned_start = None;
        o.earliest_start = None;
        o.due = None;
        news.orders.push(o);
    }
    store.import(news, ImportMode::Merge).unwrap();
    let model = store.load_model().unwrap();
    check_consistent(
        &model,
        &current_plan(&model, &store.plans().unwrap()).unwrap(),
    );

    let second = run_main_job(&mut store, &rules, &options(2, tuesday), &mut NoProgress).unwrap();
    let ScheduleOutcome::Planned { orders, .. } = second.schedule else {
        panic!("Tuesday planned nothing: {:?}", second.schedule);
    };
    let model = store.load_model().unwrap();
    let plans = store.plans().unwrap();
    assert_eq!(plans.len(), 2, "one plan per window");
    // The stored plans themselves hold each order's visit at most once: Tuesday's plan
    // superseded Monday's visits of the orders it re-planned.
    // (A multi-day job's parts and a crew's members are distinct visits of one order.)
    let mut stored_visits: HashMap<(&OrderId, Option<u32>), usize> = HashMap::new();
    for p in &plans {
        for v in p.plan.routes.iter().flat_map(|r| &r.visits) {
            *stored_visits
                .entry((&v.order, v.part.map(|p| p.index)))
                .or_default() += 1;
        }
    }
    assert!(
        stored_visits.values().all(|&n| n == 1),
        "a visit stored twice"
    );
    let plan = current_plan(&model, &plans).unwrap();
    check_consistent(&model, &plan);
    // Tuesday's window took over Monday's still-scheduled visits from Tuesday on.
    assert!(orders > 3, "re-planned {orders} orders");
    for i in 0..3 {
        let id = OrderId::new(format!("SO-NEW-{i}"));
        let placed = plan.visit_of(&id).is_some();
        let explained = plan.unassigned.iter().any(|u| u.order == id);
        assert!(placed || explained, "{id} neither planned nor explained");
    }
}

#[test]
fn scheduled_orders_no_plan_holds_are_planned_again() {
    // A restore from a backup without its plans (an export made before plans were exported, or
    // a hand-made file) leaves orders `scheduled` with no visit anywhere; the next run plans
    // them again instead of stranding them.
    let mut demo = DemoOptions::new(5, day(1));
    demo.customers = 60;
    demo.technicians = 5;
    let mut store = MemoryStore::new();
    store.import(generate(&demo), ImportMode::Replace).unwrap();
    let rules = RuleSet::empty();
    let monday = Utc.with_ymd_and_hms(2027, 3, 1, 5, 0, 0).unwrap();
    run_main_job(&mut store, &rules, &options(1, monday), &mut NoProgress).unwrap();

    let mut backup = store.export().unwrap();
    backup.history = None;
    let mut restored = MemoryStore::new();
    restored.import(backup, ImportMode::Replace).unwrap();
    let model = restored.load_model().unwrap();
    let stranded: Vec<OrderId> = model
        .orders()
        .iter()
        .filter(|o| o.status() == OrderStatus::Scheduled)
        .map(|o| o.id.clone())
        .collect();
    assert!(!stranded.is_empty(), "the first run scheduled nothing");
    assert!(restored.plans().unwrap().is_empty());

    let again = run_main_job(&mut restored, &rules, &options(1, monday), &mut NoProgress).unwrap();
    assert!(matches!(again.schedule, ScheduleOutcome::Planned { .. }));
    let model = restored.load_model().unwrap();
    let plan = current_plan(&model, &restored.plans().unwrap()).unwrap();
    check_consistent(&model, &plan);
    for id in &stranded {
        let status = model.order(id).unwrap().status();
        let placed = plan.visit_of(id).is_some();
        assert!(
            (placed && status == OrderStatus::Scheduled) || status == OrderStatus::Created,
            "{id} is {status}, placed: {placed}"
        );
    }
}

/// The schedule phase planned part by part (as `fieldwork worker`s do, here in any order, on a
/// second and a third day too, re-planning from the parts' stored plans) stores the schedule
/// the whole phase stores: the same visit for every order, the same statuses.
#[test]
fn the_schedule_phase_part_by_part_stores_what_the_whole_phase_stores() {
    use fieldwork::job::{
        generate_phase, schedule_phase, schedule_phase_part, schedule_phase_parts, snapshot_sla,
        Engines,
    };
    let demo = DemoOptions::new(9, day(1)).with_regions(2);
    let rules = RuleSet::empty();
    let mut whole = MemoryStore::new();
    whole.import(generate(&demo), ImportMode::Replace).unwrap();
    let mut split = MemoryStore::new();
    split.import(generate(&demo), ImportMode::Replace).unwrap();
    let mut part_counts = Vec::new();
    for (d, hour) in [(1, 5), (2, 6), (3, 6)] {
        let now = Utc.with_ymd_and_hms(2027, 3, d, hour, 0, 0).unwrap();
        let options = options(d, now);
        for (i, store) in [&mut whole, &mut split].into_iter().enumerate() {
            let mut model = store.load_model().unwrap();
            let engines = Engines::new(&model, &rules).unwrap();
            generate_phase(store, &mut model, &engines, &options, &mut NoProgress).unwrap();
            snapshot_sla(store, &model, &engines, now, &mut NoProgress).unwrap();
            let model = store.load_model().unwrap();
            if i == 0 {
                schedule_phase(store, &model, &engines, &options, &mut NoProgress).unwrap();
                continue;
            }
            // Every part is planned from the phase's base: the plans stored before any part.
            let base = store.plans().unwrap();
            let parts = schedule_phase_parts(&model, &base, &engines, &options).unwrap();
            part_counts.push(parts.len());
            // Last part first: the order parts are planned in does not matter.
            for part in parts.iter().rev() {
                let outcome =
                    schedule_phase_part(store, &model, &base, &engines, &options, part).unwrap();
                assert!(
                    !matches!(outcome, ScheduleOutcome::Failed { .. }),
                    "{outcome:?}"
                );
            }
        }
        let visits = |store: &MemoryStore| {
            let model = store.load_model().unwrap();
            let plan = current_plan(&model, &store.plans().unwrap()).unwrap();
            check_consistent(&model, &plan);
            let mut visits: BTreeMap<String, (String, DateTime<Utc>)> = BTreeMap::new();
            for route in &plan.routes {
                for v in &route.visits {
                    visits.insert(v.order.to_string(), (route.technician.to_string(), v.start));
                }
            }
            let statuses: BTreeMap<String, OrderStatus> = model
                .orders()
                .iter()
                .map(|o| (o.id.to_string(), o.status()))
                .collect();
            (visits, statuses)
        };
        let expected = visits(&whole);
        assert!(!expected.0.is_empty());
        assert_eq!(visits(&split), expected, "day {d}");
    }
    assert!(part_counts.iter().all(|&n| n > 1), "{part_counts:?}");
}
