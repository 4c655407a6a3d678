//! The field-service batch scheduler on the demo dataset and on small hand-made cases: plans are
//! checked by an independent validator (each order at most once, inside a working shift of an
//! eligible technician, no overlaps, travel time between consecutive jobs), pinned starts and
//! required technicians are kept, runs are deterministic for a seed, and re-planning keeps
//! started work while inserting new orders. A property test plans random small regions and
//! checks every plan with the same validator; van capacity and the daily job limit bind.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::dispatch::{Dispatcher, OrderIx};
use fieldwork::model::{Model, OrderId, OrderStatus, Priority, ServiceOrder, TechnicianId};
use fieldwork::schedule::field::{
    plan_parts, schedule, schedule_parts, PlanRequest, ScheduleOptions,
};
use fieldwork::schedule::plan::{PartKind, Plan, UnassignedReason};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};

fn demo() -> (Model, DateTime<Utc>, DateTime<Utc>) {
    let anchor: NaiveDate = "2027-03-01".parse().unwrap();
    let model = Model::from_dataset(generate(&DemoOptions::new(11, anchor))).unwrap();
    let from = Utc.from_utc_datetime(&anchor.and_hms_opt(0, 0, 0).unwrap());
    (model, from, from + Duration::days(5))
}

fn options() -> ScheduleOptions {
    ScheduleOptions {
        seed: 3,
        iterations: Some(300),
        time_budget: None,
        ..ScheduleOptions::default()
    }
}

fn open(model: &Model) -> Vec<OrderId> {
    model
        .orders()
        .iter()
        .filter(|o| o.status() == OrderStatus::Created)
        .map(|o| o.id.clone())
        .collect()
}

/// Plans `orders` over `[from, to)` with the default dispatch policy, no SLA dues and
/// [`options`].
fn plan_with_defaults(
    model: &Model,
    orders: &[OrderId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Plan {
    let dues = HashMap::new();
    let request = PlanRequest::new(orders, &dues, from, to);
    schedule(model, &Dispatcher::default(), &request, &options()).unwrap()
}

/// One visit of an order served in several (multi-day parts, crew members), for the checks
/// of the whole group: technician, local day, start, end.
type LinkedVisit = (String, NaiveDate, DateTime<Utc>, DateTime<Utc>, u32);

/// Independent checks of a plan against the model and the dispatch work rules.
fn validate(model: &Model, plan: &Plan, orders: &[OrderId], at: DateTime<Utc>) {
    let ctx = Dispatcher::default().context(model, orders, at).unwrap();
    let mut seen = HashSet::new();
    let mut linked: HashMap<OrderId, (PartKind, u32, Vec<LinkedVisit>)> = HashMap::new();
    for route in &plan.routes {
        let t = ctx.tech_ix(&route.technician).expect("known technician");
        let tech = model.technician(&route.technician).unwrap();
        assert!(
            route.visits.len() as u32 <= tech.max_jobs_per_day.unwrap_or(u32::MAX),
            "max jobs per day"
        );
        // A linked order's demand rides with its first visit only.
        let load: f64 = route
            .visits
            .iter()
            .filter(|v| v.part.is_none_or(|p| p.index == 1))
            .map(|v| model.order(&v.order).unwrap().demand)
            .sum();
        assert!(
            load <= tech.van_capacity.unwrap_or(f64::INFINITY) + 1e-9,
            "{} {}: parts {load} over the van capacity",
            route.technician,
            route.day
        );
        check_stock(model, route);
        let stop_at = route
            .depot_stop
            .as_ref()
            .map(|d| route.visits.iter().filter(|v| v.start < d.start).count());
        let mut prev_end = route.shift_start;
        let depot_leg = |prev_end: DateTime<Utc>| {
            let d = route.depot_stop.as_ref().unwrap();
            let travel = Duration::seconds((d.travel_minutes * 60.0).floor() as i64);
            assert!(
                d.arrival >= prev_end + travel - Duration::seconds(1)
                    && d.arrival <= d.start
                    && d.start < d.end,
                "{} {}: depot stop timing",
                route.technician,
                route.day
            );
            d.end
        };
        for (k, v) in route.visits.iter().enumerate() {
            if stop_at == Some(k) {
                prev_end = depot_leg(prev_end);
            }
            match v.part {
                None => assert!(seen.insert(v.order.clone()), "{} planned twice", v.order),
                Some(part) => {
                    let entry = linked.entry(v.order.clone()).or_insert((
                        part.kind,
                        part.count,
                        Vec::new(),
                    ));
                    assert_eq!((entry.0, entry.1), (part.kind, part.count), "{}", v.order);
                    entry.2.push((
                        route.technician.to_string(),
                        route.day,
                        v.start,
                        v.end,
                        part.index,
                    ));
                }
            }
            let o = ctx.order_ix(&v.order).unwrap();
            assert!(
                ctx.check(o, t).is_ok(),
                "{} on ineligible {}",
                v.order,
                route.technician
            );
            assert!(
                v.start >= route.shift_start && v.end <= route.shift_end,
                "{} outside the shift",
                v.order
            );
            assert!(v.arrival <= v.start && v.start < v.end);
            let travel = Duration::seconds((v.travel_minutes * 60.0).floor() as i64);
            assert!(
                v.arrival >= prev_end + travel - Duration::seconds(1),
                "{} arrives before it can",
                v.order
            );
            let minutes = model.order_duration_minutes(model.order(&v.order).unwrap()) as i64;
            // (A multi-day job's parts are checked together below.)
            let day_part = v.part.is_some_and(|p| p.kind == PartKind::Day);
            assert!(
                day_part || ((v.end - v.start).num_minutes() - minutes).abs() <= 1,
                "duration of {}",
                v.order
            );
            let later_part = v
                .part
                .is_some_and(|p| p.kind == PartKind::Day && p.index > 1);
            if let Some(a) = model
                .order(&v.order)
                .unwrap()
                .appointment
                .filter(|_| !later_part)
            {
                assert!(a.contains(v.start), "{} outside its booked window", v.order);
            }
            let (mut earliest, _) = ctx.window(o);
            assert!(
                v.start >= earliest - Duration::seconds(1),
                "{} before its window",
                v.order
            );
            let order = model.order(&v.order).unwrap();
            // Skills on the visit's local date (certifications valid that day), read from the
            // technician directly.
            let tz = model
                .calendar(&tech.calendar)
                .unwrap()
                .time_zone
                .tz()
                .unwrap();
            let day = v.start.with_timezone(&tz).date_naive();
            for req in model.order_required_skills(order) {
                assert!(
                    tech.skill_level_on(&req.skill, day) >= req.min_level,
                    "{} on {day}: {} lacks {} level {}",
                    v.order,
                    route.technician,
                    req.skill,
                    req.min_level
                );
            }
            assert!(
                v.start >= order.created_at,
                "{} planned before the order exists",
                v.order
            );
            if let Some(site) = model.order_visiting_hours(order) {
                let opening = visiting_interval(site, v.start, v.end);
                assert!(
                    opening.is_some(),
                    "{} at {}..{} outside the visiting hours {}",
                    v.order,
                    v.start,
                    v.end,
                    site.id
                );
                // Waiting for the site to open is waiting for a reason.
                earliest = earliest.max(opening.unwrap());
            }
            // The technician leaves at the shift start and never idles for nothing: a visit
            // starts on arrival or at its window's opening (rounded up to the minute), or at
            // its pinned start.
            // A crew member waits for the others; a later day's part starts when the day's
            // room allows.
            let pinned = model.order(&v.order).unwrap().pinned_start;
            let wait = (v.start - v.arrival.max(earliest)).num_seconds();
            assert!(
                pinned == Some(v.start) || v.part.is_some() || (-1..60).contains(&wait),
                "{} waits {wait} s without reason",
                v.order
            );
            assert!(
                (v.arrival - (prev_end + travel)).num_seconds().abs() <= 1,
                "{} does not leave as soon as the previous job ends",
                v.order
            );
            prev_end = v.end;
        }
        if stop_at == Some(route.visits.len()) {
            prev_end = depot_leg(prev_end);
        }
        let back = Duration::seconds((route.return_minutes * 60.0).floor() as i64);
        assert!(
            prev_end + back <= route.shift_end + Duration::seconds(1),
            "route ends after the shift"
        );
    }
    for (order, (kind, count, mut visits)) in linked {
        let o = model.order(&order).unwrap();
        let minutes = model.order_duration_minutes(o) as i64;
        assert_eq!(visits.len() as u32, count, "{order}: {count} visits");
        visits.sort_by_key(|v| (v.2, v.0.clone()));
        match kind {
            PartKind::Crew => {
                assert_eq!(count, o.technicians_required, "{order}: crew size");
                let techs: HashSet<&String> = visits.iter().map(|v| &v.0).collect();
                assert_eq!(techs.len(), visits.len(), "{order}: crew members distinct");
                for v in &visits {
                    assert_eq!(v.2, visits[0].2, "{order}: crew starts together");
                    assert_eq!(v.3, visits[0].3, "{order}: crew ends together");
                    assert!(((v.3 - v.2).num_minutes() - minutes).abs() <= 1, "{order}");
                }
            }
            PartKind::Day => {
                assert!(count >= 2, "{order}: a split job has parts");
                let tech = model
                    .technician(&TechnicianId::new(visits[0].0.as_str()))
                    .unwrap();
                let calendar = model.calendar(&tech.calendar).unwrap();
                let min = o.min_part_minutes.unwrap_or(120) as i64;
                let mut total = 0;
                for (k, v) in visits.iter().enumerate() {
                    assert_eq!(v.0, visits[0].0, "{order}: parts on one technician");
                    assert_eq!(v.4, k as u32 + 1, "{order}: parts numbered by day");
                    let part = (v.3 - v.2).num_minutes();
                    assert!(part >= min, "{order}: part of {part} min under {min}");
                    total += part;
                    if k > 0 {
                        let previous = visits[k - 1].1;
                        assert!(v.1 > previous, "{order}: one part a day");
                        // No working day of the technician lies between two parts.
                        let mut d = previous.succ_opt().unwrap();
                        while d < v.1 {
                            assert!(
                                calendar.intervals_on(d).is_empty(),
                                "{order}: working day {d} skipped between parts"
                            );
                            d = d.succ_opt().unwrap();
                        }
                    }
                }
                assert!(
                    (total - minutes).abs() <= 1,
                    "{order}: parts sum to {total} min"
                );
            }
        }
        assert!(seen.insert(order.clone()), "{order} planned twice");
    }
    for u in &plan.unassigned {
        assert!(!seen.contains(&u.order));
    }
    assert_eq!(
        seen.len() + plan.unassigned.len(),
        orders.len(),
        "every order planned or explained"
    );
}

/// Parts and tools along a route, walked here from the model alone (independent of
/// `schedule::stock`): the van starts the day with its standard stock and its tools; each
/// visit takes its order's parts (tasks' parts × quantity plus the order's own) and needs its
/// tools; after the depot stop (if any) the depot's parts are unlimited and its tools are in
/// the van.
fn check_stock(model: &Model, route: &fieldwork::schedule::plan::Route) {
    let tech = model.technician(&route.technician).unwrap();
    let depot = route.depot_stop.as_ref().map(|d| {
        let depot = model.depot(&d.depot).expect("known depot");
        let own = tech.depot.clone().or_else(|| {
            // The nearest depot to home when the technician names none.
            model
                .depots()
                .iter()
                .min_by(|a, b| {
                    let da = tech.home.distance_km(&a.location);
                    let db = tech.home.distance_km(&b.location);
                    da.partial_cmp(&db).unwrap()
                })
                .map(|d| d.id.clone())
        });
        assert_eq!(own.as_ref(), Some(&depot.id), "{}: not its depot", tech.id);
        (d.start, depot)
    });
    let mut van: HashMap<String, u64> = tech
        .stock
        .iter()
        .map(|(p, n)| (p.to_string(), u64::from(*n)))
        .collect();
    for v in &route.visits {
        let order = model.order(&v.order).unwrap();
        let refill = depot
            .as_ref()
            .filter(|(at, _)| *at < v.start)
            .map(|(_, d)| d);
        let mut needs: HashMap<String, u64> = order
            .parts
            .iter()
            .map(|(p, n)| (p.to_string(), u64::from(*n)))
            .collect();
        let mut tools: Vec<String> = order.tools.iter().map(|t| t.to_string()).collect();
        for line in &order.lines {
            if let Some(task) = line.task.as_ref().and_then(|c| model.task(c)) {
                let qty = line.quantity.ceil().to_string().parse::<u64>().unwrap_or(0);
                for (p, n) in &task.parts {
                    *needs.entry(p.to_string()).or_default() += u64::from(*n) * qty;
                }
                tools.extend(task.tools.iter().map(|t| t.to_string()));
            }
        }
        for tool in tools {
            assert!(
                tech.tools.iter().any(|t| t.as_str() == tool)
                    || refill.is_some_and(|d| d.tools.iter().any(|t| t.as_str() == tool)),
                "{} on {}: tool {tool} not in the van",
                v.order,
                tech.id
            );
        }
        // A linked order (crew, multi-day) takes its parts once, at its first visit.
        if v.part.is_some_and(|p| p.index != 1) {
            needs.clear();
        }
        for (part, n) in needs {
            if refill.is_some_and(|d| d.parts.iter().any(|p| p.as_str() == part)) {
                continue;
            }
            let left = van.entry(part.clone()).or_default();
            assert!(
                *left >= n,
                "{} on {} {}: needs {n} x {part}, the van has {left} left",
                v.order,
                tech.id,
                route.day
            );
            *left -= n;
        }
    }
}

/// The opening instant of the interval of `site` that holds `[start, end)` whole on the local
/// day of `start`, if one does (read from the calendar's weekly hours, holidays and exceptions
/// directly, in its zone: independent of the scheduler's expansion into stretches).
fn visiting_interval(
    site: &fieldwork::model::BusinessCalendar,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let tz = site.time_zone.tz().unwrap();
    let (ls, le) = (start.with_timezone(&tz), end.with_timezone(&tz));
    let day = ls.date_naive();
    let end_secs = if le.date_naive() == day {
        le.num_seconds_from_midnight()
    } else if le.date_naive() == day.succ_opt().unwrap() && le.num_seconds_from_midnight() == 0 {
        86_400
    } else {
        return None;
    };
    site.intervals_on(day)
        .iter()
        .find(|iv| {
            ls.num_seconds_from_midnight() >= iv.start.seconds() && end_secs <= iv.end.seconds()
        })
        .map(|iv| {
            let open = day.and_hms_opt(0, 0, 0).unwrap()
                + Duration::seconds(i64::from(iv.start.seconds()));
            tz.from_local_datetime(&open)
                .earliest()
                .unwrap()
                .with_timezone(&Utc)
        })
}

#[test]
fn demo_plan_is_valid_and_assigns_the_breakdowns() {
    let (model, from, to) = demo();
    let orders = open(&model);
    let plan = plan_with_defaults(&model, &orders, from, to);
    validate(&model, &plan, &orders, from);
    assert!(
        plan.kpis.orders_assigned * 10 >= orders.len() * 9,
        "{:?}",
        plan.kpis
    );
    assert!(plan.kpis.utilisation > 0.0 && plan.kpis.utilisation <= 1.0);
}

/// Sixteen demo regions (640 technicians, 576 open breakdowns and 48 orders of the field
/// constraints): above the dense travel matrix's
/// size, so the matrix is blocked by reach. The plan is valid, keeps every order in its own
/// region, and the whole call — preparation included — keeps its time budget (the old
/// all-pairs regret construction alone took far longer than the budget here).
#[test]
fn many_regions_are_planned_within_the_time_budget_each_order_in_its_region() {
    let anchor: NaiveDate = "2027-03-01".parse().unwrap();
    let options = DemoOptions::new(11, anchor).with_regions(16);
    let model = Model::from_dataset(generate(&options)).unwrap();
    let from = Utc.from_utc_datetime(&anchor.and_hms_opt(0, 0, 0).unwrap());
    let to = from + Duration::days(5);
    let orders = open(&model);
    assert_eq!(orders.len(), 16 * 39);
    let budget = std::time::Duration::from_millis(1500);
    let dues = HashMap::new();
    let request = PlanRequest::new(&orders, &dues, from, to);
    let started = std::time::Instant::now();
    let plan = schedule(
        &model,
        &Dispatcher::default(),
        &request,
        &ScheduleOptions {
            iterations: None,
            time_budget: Some(budget),
            ..options_default_seed()
        },
    )
    .unwrap();
    let elapsed = started.elapsed();
    // 10 % over the budget, and a little for a busy shared test machine.
    assert!(
        elapsed <= budget.mul_f64(1.1) + std::time::Duration::from_millis(150),
        "{elapsed:?} for a budget of {budget:?}"
    );
    validate(&model, &plan, &orders, from);
    assert!(
        plan.kpis.orders_assigned * 10 >= orders.len() * 8,
        "{:?}",
        plan.kpis
    );
    let region = |id: &str| id.split_once("-T-").map_or("", |(r, _)| r).to_string();
    for route in &plan.routes {
        for v in &route.visits {
            let order_region = v.order.as_str().split_once("-SO-").map_or("", |(r, _)| r);
            assert_eq!(
                order_region,
                region(route.technician.as_str()),
                "{}",
                v.order
            );
        }
    }
}

/// Three demo regions side by side, five days, the orders not yet planned.
fn three_regions() -> (Model, Vec<OrderId>, DateTime<Utc>, DateTime<Utc>) {
    let anchor: NaiveDate = "2027-03-01".parse().unwrap();
    let options = DemoOptions::new(11, anchor).with_regions(3);
    let model = Model::from_dataset(generate(&options)).unwrap();
    let from = Utc.from_utc_datetime(&anchor.and_hms_opt(0, 0, 0).unwrap());
    let orders = open(&model);
    (model, orders, from, from + Duration::days(5))
}

/// The region of a demo id: `R002-T-001` → `R002`; the first region's ids have no prefix.
fn region_of(id: &str) -> &str {
    match id.split_once('-') {
        Some((r, _)) if r.starts_with('R') && r.len() == 4 => r,
        _ => "R001",
    }
}

/// At an equal budget per region, a region planned among others gets exactly the plan it gets
/// alone: the independent parts are solved apart, each with its share of the iterations.
#[test]
fn a_region_among_others_is_planned_as_it_is_alone() {
    let (model, orders, from, to) = three_regions();
    let dues = HashMap::new();
    let per_region = 200;
    let options = |iterations| ScheduleOptions {
        seed: 5,
        iterations: Some(iterations),
        time_budget: None,
        ..ScheduleOptions::default()
    };
    let request = PlanRequest::new(&orders, &dues, from, to);
    let whole = schedule(
        &model,
        &Dispatcher::default(),
        &request,
        &options(3 * per_region),
    )
    .unwrap();
    validate(&model, &whole, &orders, from);
    let mut regions: Vec<&str> = orders.iter().map(|o| region_of(o.as_str())).collect();
    regions.dedup();
    assert_eq!(regions.len(), 3, "{regions:?}");
    for region in regions {
        let mine: Vec<OrderId> = orders
            .iter()
            .filter(|o| region_of(o.as_str()) == region)
            .cloned()
            .collect();
        assert_eq!(mine.len() * 3, orders.len(), "regions are the same size");
        let request = PlanRequest::new(&mine, &dues, from, to);
        let alone = schedule(
            &model,
            &Dispatcher::default(),
            &request,
            &options(per_region),
        )
        .unwrap();
        let of_region: Vec<_> = whole
            .routes
            .iter()
            .filter(|r| region_of(r.technician.as_str()) == region)
            .collect();
        assert_eq!(
            of_region,
            alone.routes.iter().collect::<Vec<_>>(),
            "{region}"
        );
        assert!(!alone.routes.is_empty());
    }
}

/// Parts planned by separate calls (as workers on separate machines would) combine into the
/// plan of one call, and the thread count does not change the plan.
#[test]
fn parts_planned_separately_combine_into_the_whole_plan() {
    let (model, orders, from, to) = three_regions();
    let dues = HashMap::new();
    let request = PlanRequest::new(&orders, &dues, from, to);
    let options = ScheduleOptions {
        seed: 2,
        iterations: Some(450),
        time_budget: None,
        threads: 1,
        ..ScheduleOptions::default()
    };
    let dispatcher = Dispatcher::default();
    let whole = schedule(&model, &dispatcher, &request, &options).unwrap();
    let threaded = schedule(
        &model,
        &dispatcher,
        &request,
        &ScheduleOptions {
            threads: 3,
            ..options.clone()
        },
    )
    .unwrap();
    assert_eq!(whole.routes, threaded.routes);
    assert_eq!(whole.unassigned, threaded.unassigned);

    let parts = plan_parts(&model, &dispatcher, &request, &options).unwrap();
    assert!(parts.len() >= 3, "{} parts", parts.len());
    let mut seen: HashSet<&OrderId> = HashSet::new();
    for part in &parts {
        for o in &part.orders {
            assert!(seen.insert(o), "{o} in two parts");
        }
        // A part never spans regions (their territories share nobody).
        let regions: HashSet<&str> = part
            .technicians
            .iter()
            .map(|t| region_of(t.as_str()))
            .collect();
        assert!(regions.len() <= 1, "{}: {regions:?}", part.key);
    }
    assert_eq!(seen.len(), orders.len());
    let keys: Vec<String> = parts.iter().map(|p| p.key.clone()).collect();
    let (first, second) = keys.split_at(keys.len() / 2);
    let pieces = [first, second]
        .into_iter()
        .map(|keys| schedule_parts(&model, &dispatcher, &request, &options, keys).unwrap());
    let combined = Plan::combine(pieces).unwrap();
    assert_eq!(combined.routes, whole.routes);
    let mut unassigned = whole.unassigned.clone();
    unassigned.sort_by(|a, b| a.order.cmp(&b.order));
    assert_eq!(combined.unassigned, unassigned);
    assert_eq!(combined.kpis.orders_total, orders.len());
    assert_eq!(combined.kpis.orders_assigned, whole.kpis.orders_assigned);
}

fn options_default_seed() -> ScheduleOptions {
    ScheduleOptions {
        seed: 3,
        ..ScheduleOptions::default()
    }
}

#[test]
fn same_seed_and_iterations_give_the_same_plan() {
    let (model, from, to) = demo();
    let orders = open(&model);
    let a = plan_with_defaults(&model, &orders, from, to);
    let b = plan_with_defaults(&model, &orders, from, to);
    assert_eq!(a, b);
}

fn with_order(model: &Model, edit: impl FnOnce(&mut ServiceOrder)) -> (Model, OrderId) {
    let mut ds = model.to_dataset();
    let mut order = ds.orders[0].clone();
    order.id = OrderId::new("SO-NEW");
    edit(&mut order);
    ds.orders.push(order);
    (Model::from_dataset(ds).unwrap(), OrderId::new("SO-NEW"))
}

#[test]
fn pinned_start_and_required_technician_are_kept() {
    let (model, from, to) = demo();
    let ctx = Dispatcher::default()
        .context(&model, &open(&model), from)
        .unwrap();
    // A technician who may take the first order, and a time inside their shift on day 2.
    let t = (0..ctx.technician_count())
        .map(fieldwork::dispatch::TechIx)
        .find(|&t| ctx.check(OrderIx(0), t).is_ok())
        .unwrap();
    let tech = ctx.tech_id(t).clone();
    let stretch = ctx
        .open_stretches(t)
        .iter()
        .find(|(s, _)| *s > from.timestamp() + 86_400)
        .copied()
        .unwrap();
    let pin = Utc.timestamp_opt(stretch.0 + 3600, 0).unwrap();
    let (model, id) = with_order(&model, |o| {
        o.required_technician = Some(tech.clone());
        o.pinned_start = Some(pin);
    });
    let orders = open(&model);
    let plan = plan_with_defaults(&model, &orders, from, to);
    validate(&model, &plan, &orders, from);
    let (route, visit) = plan.visit_of(&id).expect("pinned order planned");
    assert_eq!(route.technician, tech);
    assert_eq!(visit.start, pin);
    assert!(visit.fixed);
}

#[test]
fn an_order_nobody_may_take_is_unassigned_with_the_reason() {
    let (model, from, to) = demo();
    let (model, id) = with_order(&model, |o| o.required_technician = Some("T-040".into()));
    // T-040 may not exist as active; exclude it through the customer as well.
    let mut ds = model.to_dataset();
    let customer = ds.orders.last().unwrap().customer.clone();
    ds.customers
        .iter_mut()
        .find(|c| c.id == customer)
        .unwrap()
        .excluded_technicians
        .push("T-040".into());
    let model = Model::from_dataset(ds).unwrap();
    let orders = open(&model);
    let plan = plan_with_defaults(&model, &orders, from, to);
    let u = plan
        .unassigned
        .iter()
        .find(|u| u.order == id)
        .expect("unassigned");
    assert_eq!(u.reason, UnassignedReason::NoEligibleTechnician);
    assert!(u.detail.contains("closest technician"), "{}", u.detail);
}

/// An order due before anyone starts work is left out for lack of time, not of a technician:
/// the reason and detail say so and name the closest technician who may take it.
#[test]
fn an_order_due_before_anyone_can_reach_it_is_explained_by_time() {
    let (model, from, to) = demo();
    // Due Monday 06:30 Berlin: every calendar opens at 07:00 or later.
    let due = Utc.with_ymd_and_hms(2027, 3, 1, 5, 30, 0).unwrap();
    let (model, id) = with_order(&model, |o| {
        o.due = Some(due);
        o.required_technician = None;
        o.pinned_start = None;
        o.appointment = None;
    });
    let orders = open(&model);
    let plan = plan_with_defaults(&model, &orders, from, to);
    let u = plan
        .unassigned
        .iter()
        .find(|u| u.order == id)
        .expect("unassigned");
    assert_eq!(u.reason, UnassignedReason::NoTimeBeforeDue, "{}", u.detail);
    assert!(
        u.detail
            .contains("may take it but have no working time for it before it is due (closest T-"),
        "{}",
        u.detail
    );
    assert!(
        u.detail.contains("availability") || u.detail.contains("calendar"),
        "{}",
        u.detail
    );
}

/// The demo with a calendar `wed-09-13` (Wednesday 09:00–13:00, Berlin) as the visiting hours
/// of the customer of a new order, and a second new order created on Wednesday at 12:00.
fn demo_with_site_hours(due: Option<DateTime<Utc>>) -> (Model, OrderId, OrderId) {
    let (model, _, _) = demo();
    let mut ds = model.to_dataset();
    ds.calendars.push(
        serde_json::from_str(
            r#"{"id": "wed-09-13", "time_zone": "Europe/Berlin",
                "weekly": {"wed": [["09:00","13:00"]]}}"#,
        )
        .unwrap(),
    );
    let mut site = ds.orders[0].clone();
    site.id = OrderId::new("SO-WED");
    site.service_object = None;
    site.due = due;
    site.pinned_start = None;
    site.earliest_start = None;
    let customer = site.customer.clone();
    ds.customers
        .iter_mut()
        .find(|c| c.id == customer)
        .unwrap()
        .visiting_hours = Some("wed-09-13".into());
    // The customer's other orders keep their own visits inside the same hours.
    let mut late = ds.orders[1].clone();
    late.id = OrderId::new("SO-LATE");
    late.created_at = Utc.with_ymd_and_hms(2027, 3, 3, 11, 0, 0).unwrap();
    late.history.clear();
    ds.orders.push(site);
    ds.orders.push(late);
    (
        Model::from_dataset(ds).unwrap(),
        OrderId::new("SO-WED"),
        OrderId::new("SO-LATE"),
    )
}

#[test]
fn visits_keep_the_sites_visiting_hours_and_never_precede_the_order() {
    let (model, wed, late) = demo_with_site_hours(None);
    let (_, from, to) = demo();
    let orders = open(&model);
    let plan = plan_with_defaults(&model, &orders, from, to);
    validate(&model, &plan, &orders, from);
    let (_, visit) = plan.visit_of(&wed).unwrap_or_else(|| {
        let o = model.order(&wed).unwrap();
        panic!(
            "the Wednesday site is not visited: {:?}, {} min, window {:?}",
            plan.unassigned.iter().find(|u| u.order == wed),
            model.order_duration_minutes(o),
            (o.earliest_start, o.due, o.pinned_start, o.status())
        )
    });
    let local = |t: DateTime<Utc>| {
        t.with_timezone(&chrono_tz::Europe::Berlin)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    assert!(
        local(visit.start).as_str() >= "2027-03-03 09:00",
        "{}",
        local(visit.start)
    );
    assert!(
        local(visit.end).as_str() <= "2027-03-03 13:00",
        "{}",
        local(visit.end)
    );
    if let Some((_, v)) = plan.visit_of(&late) {
        assert!(v.start >= Utc.with_ymd_and_hms(2027, 3, 3, 11, 0, 0).unwrap());
    }
}

#[test]
fn a_site_closed_throughout_the_window_is_explained() {
    // Due on Tuesday evening: the site opens on Wednesday only.
    let due = Utc.with_ymd_and_hms(2027, 3, 2, 17, 0, 0).unwrap();
    let (model, wed, _) = demo_with_site_hours(Some(due));
    let (_, from, to) = demo();
    let orders = open(&model);
    let plan = plan_with_defaults(&model, &orders, from, to);
    let u = plan
        .unassigned
        .iter()
        .find(|u| u.order == wed)
        .expect("unassigned");
    assert_eq!(u.reason, UnassignedReason::NoEligibleTechnician);
    assert!(
        u.detail.contains("site closed throughout the window"),
        "{}",
        u.detail
    );
    assert!(u.detail.contains("wed-09-13"), "{}", u.detail);
}

#[test]
fn a_job_longer_than_any_shift_says_so() {
    let (model, from, to) = demo();
    let (model, id) = with_order(&model, |o| {
        o.lines = vec![fieldwork::model::OrderLine {
            kind: fieldwork::model::LineKind::Hour,
            task: None,
            agreement_line: None,
            description: String::new(),
            quantity: rust_decimal::Decimal::from(14),
            unit_price: rust_decimal::Decimal::ZERO,
        }];
        o.required_technician = None;
        o.pinned_start = None;
        o.split = false;
    });
    let orders = open(&model);
    let plan = plan_with_defaults(&model, &orders, from, to);
    let u = plan
        .unassigned
        .iter()
        .find(|u| u.order == id)
        .expect("unassigned");
    assert!(
        u.detail
            .starts_with("longer than any shift: 840 min of work, the longest shift"),
        "{}",
        u.detail
    );
}

/// A 14 h order with the demo's first breakdown call's site and skills.
fn long_order(model: &Model, hours: i64) -> (Model, OrderId) {
    with_order(model, |o| {
        o.lines.push(fieldwork::model::OrderLine {
            kind: fieldwork::model::LineKind::Hour,
            task: None,
            agreement_line: None,
            description: String::new(),
            quantity: rust_decimal::Decimal::from(hours),
            unit_price: rust_decimal::Decimal::ZERO,
        });
        o.required_technician = None;
        o.pinned_start = None;
        o.appointment = None;
    })
}

#[test]
fn a_job_longer_than_a_day_is_split_over_consecutive_days_of_one_technician() {
    let (model, from, to) = demo();
    let (model, id) = long_order(&model, 13);
    let orders = open(&model);
    let plan = plan_with_defaults(&model, &orders, from, to);
    assert!(
        plan.unassigned.iter().all(|u| u.order != id),
        "{:?}",
        plan.unassigned.iter().find(|u| u.order == id)
    );
    let parts: Vec<_> = plan.visits_of(&id).collect();
    assert!(parts.len() >= 2, "{} parts", parts.len());
    let first = parts[0].1.part.unwrap();
    assert_eq!(first.to_string(), format!("part 1 of {}", parts.len()));
    assert!(parts
        .iter()
        .all(|(r, _)| r.technician == parts[0].0.technician));
    validate(&model, &plan, &orders, from);
    // The order counts once among the assigned.
    let planned: HashSet<&OrderId> = plan
        .routes
        .iter()
        .flat_map(|r| r.visits.iter().map(|v| &v.order))
        .collect();
    assert_eq!(plan.kpis.orders_assigned, planned.len());
}

#[test]
fn a_crew_job_gets_distinct_technicians_starting_together() {
    let (model, from, to) = demo();
    let (model, id) = with_order(&model, |o| {
        o.technicians_required = 2;
        o.required_technician = None;
        o.pinned_start = None;
    });
    let orders = open(&model);
    let plan = plan_with_defaults(&model, &orders, from, to);
    let crew: Vec<_> = plan.visits_of(&id).collect();
    assert_eq!(
        crew.len(),
        2,
        "{:?}",
        plan.unassigned.iter().find(|u| u.order == id)
    );
    assert_ne!(crew[0].0.technician, crew[1].0.technician);
    assert_eq!(crew[0].1.start, crew[1].1.start);
    validate(&model, &plan, &orders, from);
}

#[test]
fn a_crew_larger_than_the_eligible_technicians_is_explained() {
    let (model, from, to) = demo();
    let (model, id) = with_order(&model, |o| {
        o.technicians_required = 8;
        o.pinned_start = None;
    });
    let orders = open(&model);
    let plan = plan_with_defaults(&model, &orders, from, to);
    let u = plan
        .unassigned
        .iter()
        .find(|u| u.order == id)
        .expect("unassigned");
    assert!(
        u.detail.starts_with("no crew of 8 available together"),
        "{}",
        u.detail
    );
    validate(&model, &plan, &orders, from);
}

#[test]
fn nobody_certified_on_the_windows_dates_is_the_reason() {
    let (model, from, to) = demo();
    let mut ds = model.to_dataset();
    // Every technician's skills become certificates that lapsed before the window.
    for t in &mut ds.technicians {
        t.certifications = t
            .skills
            .iter()
            .map(|(skill, level)| fieldwork::model::Certification {
                skill: skill.clone(),
                level: *level,
                valid_from: None,
                valid_to: Some("2027-02-26".parse().unwrap()),
            })
            .collect();
        t.skills.clear();
    }
    let model = Model::from_dataset(ds).unwrap();
    let orders = open(&model);
    let plan = plan_with_defaults(&model, &orders, from, to);
    let needs_skill = plan
        .unassigned
        .iter()
        .find(|u| {
            !model
                .order_required_skills(model.order(&u.order).unwrap())
                .is_empty()
        })
        .expect("an order needing a skill is unassigned");
    assert!(
        needs_skill
            .detail
            .starts_with("nobody certified on that date (closest technician T-"),
        "{}",
        needs_skill.detail
    );
}

#[test]
fn replanning_keeps_started_work_and_inserts_a_new_urgent_order() {
    let (model, from, to) = demo();
    let orders = open(&model);
    let first = plan_with_defaults(&model, &orders, from, to);
    let route = first
        .routes
        .iter()
        .find(|r| r.visits.len() >= 2 && r.visits[0].part.is_none())
        .unwrap()
        .clone();
    let started = route.visits[0].order.clone();
    // The first job of that route is now in progress; a critical breakdown comes in.
    let mut ds = model.to_dataset();
    let o = ds.orders.iter_mut().find(|o| o.id == started).unwrap();
    let at = o.created_at;
    o.transition(OrderStatus::Scheduled, at).unwrap();
    o.transition(OrderStatus::InProgress, at).unwrap();
    let mut urgent = ds.orders[1].clone();
    urgent.id = OrderId::new("SO-URGENT");
    urgent.priority = Priority::Critical;
    urgent.history.clear();
    ds.orders.push(urgent);
    let model = Model::from_dataset(ds).unwrap();
    let mut all = orders.clone();
    all.push(OrderId::new("SO-URGENT"));
    let dues = HashMap::new();
    let request = PlanRequest::new(&all, &dues, from, to).replanning(Some(&first));
    let second = schedule(&model, &Dispatcher::default(), &request, &options()).unwrap();
    let (r, v) = second.visit_of(&started).expect("started job kept");
    assert_eq!(
        (r.technician.clone(), r.day),
        (route.technician.clone(), route.day)
    );
    assert_eq!(r.visits[0].order, started, "started job stays first");
    assert!(v.fixed);
    assert!(
        second.visit_of(&OrderId::new("SO-URGENT")).is_some(),
        "urgent order inserted"
    );
}

/// One technician, one day, a van for 12 units: orders of 8 units each cannot share the van.
#[test]
fn van_capacity_limits_the_parts_a_route_carries() {
    let region = |days: &str| {
        Model::from_json(&format!(
            r#"{{
          "calendars": [{{"id": "c", "time_zone": "UTC", "weekly": {{{days}}}}}],
          "customers": [{{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                         "location": {{"lat": 52.50, "lon": 13.40}}}}],
          "technicians": [{{"id": "T-1", "name": "Ana", "home": {{"lat": 52.52, "lon": 13.40}},
                           "calendar": "c", "hourly_cost": "40", "max_hours_per_day": 8,
                           "van_capacity": 12}}],
          "orders": [
            {{"id": "SO-1", "customer": "C-1", "origin": {{"kind": "manual"}}, "priority": "high",
             "created_at": "2027-03-01T06:00:00Z", "demand": 8,
             "lines": [{{"kind": "hour", "quantity": "1", "unit_price": "0"}}]}},
            {{"id": "SO-2", "customer": "C-1", "origin": {{"kind": "manual"}}, "priority": "high",
             "created_at": "2027-03-01T06:00:00Z", "demand": 8,
             "lines": [{{"kind": "hour", "quantity": "1", "unit_price": "0"}}]}}]
        }}"#
        ))
        .unwrap()
    };
    let from = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    let to = from + Duration::days(2);
    let ids = [OrderId::new("SO-1"), OrderId::new("SO-2")];
    let plan_of = |model: &Model| {
        let plan = plan_with_defaults(model, &ids, from, to);
        validate(model, &plan, &ids, from);
        plan
    };
    // Monday only: one order fits, the other is refused for the van.
    let plan = plan_of(&region(r#""mon": [["08:00","17:00"]]"#));
    assert_eq!(plan.kpis.orders_assigned, 1);
    assert_eq!(plan.unassigned[0].reason, UnassignedReason::Capacity);
    // Monday and Tuesday: one each day (the van is restocked overnight).
    let plan = plan_of(&region(
        r#""mon": [["08:00","17:00"]], "tue": [["08:00","17:00"]]"#,
    ));
    assert_eq!(plan.kpis.orders_assigned, 2);
    assert_eq!(plan.routes.len(), 2);
}

/// A random small region: technicians with skills, calendars, job limits and vans; orders with
/// durations, windows, priorities, parts and sometimes a required technician.
#[derive(Debug, Clone)]
struct Region {
    techs: Vec<RandTech>,
    orders: Vec<RandOrder>,
}

/// Home offset (lat, lon), hvac level, max jobs per day, van capacity, late calendar, a dated
/// hvac certification (level, first day of March 1–3, days valid 1–2).
type RandTech = (
    f64,
    f64,
    u8,
    Option<u32>,
    Option<u32>,
    bool,
    Option<(u8, u32, u32)>,
);
/// Site offset (lat, lon), quarter hours of work, task level, demand, priority, required tech,
/// the site's visiting hours (0: none, else one of the region's site calendars), created on
/// the second day (else before the window), kind (0–3: one technician, 4: a crew of two, 5: a
/// multi-day job of 10–12 h more).
type RandOrder = (f64, f64, u32, u8, u32, u32, Option<usize>, u8, bool, u8);

fn region() -> impl Strategy<Value = Region> {
    let tech = (
        -0.2..0.2f64,
        -0.2..0.2f64,
        2..=5u8,
        prop::option::of(1..5u32),
        prop::option::of(2..12u32),
        any::<bool>(),
        prop::option::of((3..=5u8, 1..=3u32, 1..=2u32)),
    );
    let order = (
        -0.2..0.2f64,
        -0.2..0.2f64,
        1..8u32,
        1..=4u8,
        0..5u32,
        0..4u32,
        prop::option::of(0..3usize),
        0..4u8,
        any::<bool>(),
        0..6u8,
    );
    (
        prop::collection::vec(tech, 1..4),
        prop::collection::vec(order, 0..10),
    )
        .prop_map(|(techs, orders)| Region { techs, orders })
}

fn region_model(r: &Region) -> Model {
    let techs: Vec<String> = r
        .techs
        .iter()
        .enumerate()
        .map(|(i, &(dlat, dlon, level, jobs, van, late, cert))| {
            // A certified technician's undated level is 1: the certificate is what qualifies.
            let level = if cert.is_some() { 1 } else { level };
            let mut t = format!(
                r#"{{"id": "T-{i}", "name": "T{i}", "skills": {{"hvac": {level}}},
                   "home": {{"lat": {}, "lon": {}}}, "calendar": "{}",
                   "hourly_cost": "40", "max_hours_per_day": 8"#,
                52.5 + dlat,
                13.4 + dlon,
                if late { "late" } else { "early" }
            );
            if let Some(j) = jobs {
                t += &format!(r#", "max_jobs_per_day": {j}"#);
            }
            if let Some(v) = van {
                t += &format!(r#", "van_capacity": {v}"#);
            }
            if let Some((level, first, days)) = cert {
                t += &format!(
                    r#", "certifications": [{{"skill": "hvac", "level": {level},
                         "valid_from": "2027-03-0{first}", "valid_to": "2027-03-0{}"}}]"#,
                    first + days - 1
                );
            }
            t + "}"
        })
        .collect();
    let orders: Vec<String> = r
        .orders
        .iter()
        .enumerate()
        .map(|(i, &(_, _, hours, level, demand, prio, required, _, late, kind))| {
            let created = if late {
                "2027-03-02T09:00:00Z"
            } else {
                "2027-03-01T06:00:00Z"
            };
            let mut o = format!(
                r#"{{"id": "SO-{i}", "customer": "C-{i}", "origin": {{"kind": "manual"}},
                   "priority": "{}", "created_at": "{created}", "demand": {demand},
                   "lines": [{{"kind": "task", "task": "T{level}", "quantity": "1", "unit_price": "0"}},
                             {{"kind": "hour", "quantity": "{}", "unit_price": "0"}}]"#,
                ["low", "normal", "high", "critical"][prio as usize],
                f64::from(hours) / 4.0 + if kind == 5 { 10.0 } else { 0.0 }
            );
            if kind == 4 {
                o += r#", "technicians_required": 2"#;
            }
            if let Some(t) = required.filter(|&t| t < r.techs.len()) {
                o += &format!(r#", "required_technician": "T-{t}""#);
            }
            o + "}"
        })
        .collect();
    let customers: Vec<String> = r
        .orders
        .iter()
        .enumerate()
        .map(|(i, &(dlat, dlon, .., site, _, _))| {
            let hours = match site {
                1 => r#", "visiting_hours": "site_am""#,
                2 => r#", "visiting_hours": "site_wed""#,
                3 => r#", "visiting_hours": "site_split""#,
                _ => "",
            };
            format!(
                r#"{{"id": "C-{i}", "name": "C{i}", "tier": "gold", "time_zone": "Europe/Berlin",
                   "location": {{"lat": {}, "lon": {}}}{hours}}}"#,
                52.5 + dlat,
                13.4 + dlon
            )
        })
        .collect();
    let tasks: Vec<String> = (1..=5)
        .map(|l| {
            format!(
                r#"{{"code": "T{l}", "description": "level {l}", "duration_minutes": 30,
                   "required_skills": [{{"skill": "hvac", "min_level": {l}}}]}}"#
            )
        })
        .collect();
    Model::from_json(&format!(
        r#"{{
      "calendars": [
        {{"id": "early", "time_zone": "Europe/Berlin",
          "weekly": {{"mon": [["07:00","12:00"],["12:30","15:30"]], "tue": [["07:00","15:30"]]}}}},
        {{"id": "late", "time_zone": "Europe/Berlin",
          "weekly": {{"mon": [["10:00","18:30"]], "wed": [["10:00","18:30"]]}}}},
        {{"id": "site_am", "time_zone": "Europe/Berlin",
          "weekly": {{"mon": [["09:00","12:00"]], "tue": [["09:00","12:00"]], "wed": [["09:00","12:00"]]}}}},
        {{"id": "site_wed", "time_zone": "Europe/Berlin", "weekly": {{"wed": [["10:00","12:00"]]}}}},
        {{"id": "site_split", "time_zone": "Europe/Berlin",
          "weekly": {{"mon": [["08:00","10:00"],["14:00","16:00"]],
                      "tue": [["08:00","10:00"],["14:00","16:00"]],
                      "wed": [["08:00","10:00"],["14:00","16:00"]]}}}}],
      "tasks": [{}],
      "customers": [{}],
      "technicians": [{}],
      "orders": [{}]
    }}"#,
        tasks.join(","),
        customers.join(","),
        techs.join(","),
        orders.join(",")
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Whatever the region, the plan keeps every hard rule (the validator above) and explains
    /// every order it leaves out.
    #[test]
    fn random_regions_get_valid_plans(r in region(), seed in 0..100u64) {
        let model = region_model(&r);
        let ids = open(&model);
        let from = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
        let options = ScheduleOptions { seed, iterations: Some(60), ..options() };
        let dues = HashMap::new();
        let request = PlanRequest::new(&ids, &dues, from, from + Duration::days(3));
        let plan = schedule(&model, &Dispatcher::default(), &request, &options).unwrap();
        validate(&model, &plan, &ids, from);
    }
}
