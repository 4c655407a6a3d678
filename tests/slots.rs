//! Appointment slots on the demo data: every offered window can be kept without moving any
//! planned visit (checked independently: the technician is eligible, at work, and has room for
//! the drives and the work between the visits around it), windows lie on the customer's local
//! grid, are distinct and ranked by cost; booking one makes the next plan start the work inside
//! it; bad requests are refused with a clear error.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::dispatch::Dispatcher;
use fieldwork::model::{
    Appointment, Model, OrderAction, OrderId, OrderOperation, OrderStatus, TechnicianId,
};
use fieldwork::schedule::field::{schedule, PlanRequest, ScheduleOptions};
use fieldwork::schedule::plan::Plan;
use fieldwork::schedule::slots::{slots, SlotError, SlotRequest};
use std::collections::{HashMap, HashSet};

fn demo() -> (Model, DateTime<Utc>) {
    let anchor: NaiveDate = "2027-03-01".parse().unwrap();
    let model = Model::from_dataset(generate(&DemoOptions::new(11, anchor))).unwrap();
    (
        model,
        Utc.from_utc_datetime(&anchor.and_hms_opt(0, 0, 0).unwrap()),
    )
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

fn plan_of(
    model: &Model,
    orders: &[OrderId],
    from: DateTime<Utc>,
    previous: Option<&Plan>,
) -> Plan {
    let dues = HashMap::new();
    let request =
        PlanRequest::new(orders, &dues, from, from + Duration::days(5)).replanning(previous);
    schedule(model, &Dispatcher::default(), &request, &options()).unwrap()
}

/// Books `window` for order `id` at `now`.
fn book(model: &mut Model, id: &OrderId, window: Appointment, now: DateTime<Utc>) {
    model
        .apply_operation(&OrderOperation {
            order: id.clone(),
            action: OrderAction::Book { window },
            at: now,
            reason: None,
        })
        .unwrap();
}

fn minutes(m: f64) -> Duration {
    Duration::seconds((m.ceil() * 60.0) as i64)
}

#[test]
fn offered_slots_keep_every_planned_visit() {
    let (model, from) = demo();
    let orders = open(&model);
    let plan = plan_of(&model, &orders, from, None);
    let now = from + Duration::hours(7);
    let dispatcher = Dispatcher::default();
    let mut offered_any = 0;
    // A dozen single-visit orders and the demo's crew jobs (every member checked alike).
    let crews: Vec<&OrderId> = orders
        .iter()
        .filter(|id| model.order(id).unwrap().technicians_required > 1)
        .collect();
    assert!(!crews.is_empty(), "the demo has a crew job");
    let mut crew_slots = 0;
    for id in orders.iter().take(12).chain(crews.iter().copied()) {
        let request = SlotRequest {
            count: 8,
            ..SlotRequest::new(id.clone(), now)
        };
        let offered = slots(&model, &dispatcher, Some(&plan), &request, &options()).unwrap();
        assert!(offered.len() <= 8);
        offered_any += offered.len();
        let ctx = dispatcher
            .context(&model, std::slice::from_ref(id), now)
            .unwrap();
        let o = ctx.order_ix(id).unwrap();
        let order = model.order(id).unwrap();
        let site = ctx
            .travel_model()
            .place(model.order_location(order).unwrap());
        let work = Duration::minutes(i64::from(model.order_duration_minutes(order)));
        let zone: Tz = model
            .customer(&order.customer)
            .unwrap()
            .time_zone
            .tz()
            .unwrap();
        let mut windows = HashSet::new();
        for (k, s) in offered.iter().enumerate() {
            assert!(windows.insert(s.from), "{id}: window offered twice");
            if k > 0 {
                assert!(offered[k - 1].cost <= s.cost, "{id}: ranked by cost");
            }
            assert_eq!(s.to - s.from, Duration::minutes(120));
            let local = s.from.with_timezone(&zone);
            assert_eq!(local.format("%M").to_string(), "00", "{id}: on the grid");
            assert!(
                s.from <= s.start && s.start <= s.to,
                "{id}: start in window"
            );
            assert!(s.start >= now);
            let size = order.technicians_required.max(1) as usize;
            let members: Vec<&TechnicianId> =
                std::iter::once(&s.technician).chain(&s.crew).collect();
            assert_eq!(members.len(), size, "{id}: the whole crew");
            assert_eq!(
                members.iter().collect::<HashSet<_>>().len(),
                size,
                "{id}: distinct members"
            );
            crew_slots += usize::from(size > 1);
            for technician in members {
                let t = ctx.tech_ix(technician).unwrap();
                assert!(ctx.check(o, t).is_ok(), "{id}: {} eligible", technician);
                // At work from leaving home to coming back: inside one working span (open
                // stretches with breaks under the 2 h the scheduler bridges merged).
                let tech = model.technician(technician).unwrap();
                let home = ctx.travel_model().place(tech.home);
                let leave = s.start - minutes(ctx.travel_model().between(&home, &site).minutes);
                let back =
                    s.start + work + minutes(ctx.travel_model().between(&site, &home).minutes);
                let mut spans: Vec<(i64, i64)> = Vec::new();
                for &(a, b) in ctx.open_stretches(t) {
                    match spans.last_mut() {
                        Some(last) if a - last.1 < 7_200 => last.1 = b,
                        _ => spans.push((a, b)),
                    }
                }
                assert!(
                    spans
                        .iter()
                        .any(|&(a, b)| a <= leave.timestamp() && back.timestamp() <= b),
                    "{id}: {} at work from {leave} to {back}",
                    technician,
                );
                // Room between the planned visits around it (none moves).
                for route in plan.routes.iter().filter(|r| &r.technician == technician) {
                    for v in route.visits.iter().filter(|v| &v.order != id) {
                        let there = model
                            .order_location(model.order(&v.order).unwrap())
                            .unwrap();
                        let there = ctx.travel_model().place(there);
                        let before = v.end
                            + minutes(ctx.travel_model().between(&there, &site).minutes)
                            <= s.start;
                        let after = s.start
                            + work
                            + minutes(ctx.travel_model().between(&site, &there).minutes)
                            <= v.start;
                        assert!(
                            before || after,
                            "{id} at {} collides with {} of {} ({} - {})",
                            s.start,
                            v.order,
                            technician,
                            v.start,
                            v.end
                        );
                    }
                }
            }
        }
    }
    assert!(offered_any > 0, "some windows are offered");
    assert!(crew_slots > 0, "some windows are offered to a crew");
}

#[test]
fn a_booked_window_is_where_the_next_plan_starts_the_work() {
    let (mut model, from) = demo();
    let orders = open(&model);
    let plan = plan_of(&model, &orders, from, None);
    let now = from + Duration::hours(7);
    let id = orders[3].clone();
    let request = SlotRequest::new(id.clone(), now);
    let offered = slots(
        &model,
        &Dispatcher::default(),
        Some(&plan),
        &request,
        &options(),
    )
    .unwrap();
    // Book the last offered (not the plan's first choice).
    let slot = offered.last().expect("a window").clone();
    let window = Appointment {
        from: slot.from,
        to: slot.to,
    };
    book(&mut model, &id, window, now);
    let replanned = plan_of(&model, &orders, from, Some(&plan));
    let (_, visit) = replanned
        .visit_of(&id)
        .expect("the booked order is planned");
    assert!(
        window.contains(visit.start),
        "{} not in {window:?}",
        visit.start
    );
    // A booked window nobody can keep leaves the order unassigned, never planned outside it.
    let night = from + Duration::days(2) + Duration::hours(1);
    let night_window = Appointment {
        from: night,
        to: night + Duration::minutes(30),
    };
    book(&mut model, &id, night_window, now);
    let replanned = plan_of(&model, &orders, from, Some(&plan));
    assert!(replanned.visit_of(&id).is_none());
    assert!(replanned.unassigned.iter().any(|u| u.order == id));
}

/// A crew job's booked window: the next plan starts the whole crew together inside it.
#[test]
fn a_crew_books_a_window_and_starts_in_it_together() {
    let (mut model, from) = demo();
    let orders = open(&model);
    let plan = plan_of(&model, &orders, from, None);
    let now = from + Duration::hours(7);
    let id = orders
        .iter()
        .find(|id| model.order(id).unwrap().technicians_required == 2)
        .expect("a crew of two")
        .clone();
    let offered = slots(
        &model,
        &Dispatcher::default(),
        Some(&plan),
        &SlotRequest::new(id.clone(), now),
        &options(),
    )
    .unwrap();
    let slot = offered.last().expect("a window for the crew").clone();
    assert_eq!(slot.crew.len(), 1);
    let window = Appointment {
        from: slot.from,
        to: slot.to,
    };
    book(&mut model, &id, window, now);
    let replanned = plan_of(&model, &orders, from, Some(&plan));
    let visits: Vec<_> = replanned.visits_of(&id).collect();
    assert_eq!(visits.len(), 2, "both members planned");
    assert_eq!(visits[0].1.start, visits[1].1.start, "together");
    assert_ne!(visits[0].0.technician, visits[1].0.technician);
    assert!(
        window.contains(visits[0].1.start),
        "{} not in {window:?}",
        visits[0].1.start
    );
}

#[test]
fn bad_requests_are_refused() {
    let (model, from) = demo();
    let orders = open(&model);
    let d = Dispatcher::default();
    let ask = |request: SlotRequest| slots(&model, &d, None, &request, &options()).unwrap_err();
    let base = SlotRequest::new(orders[0].clone(), from);
    assert!(matches!(
        ask(SlotRequest {
            order: OrderId::new("SO-NOPE"),
            ..base.clone()
        }),
        SlotError::UnknownOrder(_)
    ));
    let e = ask(SlotRequest {
        days: 0,
        ..base.clone()
    });
    assert_eq!(e.to_string(), "days must be within 1..=28, not 0");
    let e = ask(SlotRequest {
        count: 51,
        ..base.clone()
    });
    assert_eq!(e.to_string(), "count must be within 1..=50, not 51");
    let e = ask(SlotRequest {
        window_minutes: 5,
        ..base
    });
    assert_eq!(
        e.to_string(),
        "window minutes must be within 15..=720, not 5"
    );
    let done = model
        .orders()
        .iter()
        .find(|o| matches!(o.status(), OrderStatus::Completed | OrderStatus::InProgress))
        .map(|o| o.id.clone());
    if let Some(done) = done {
        assert!(matches!(
            ask(SlotRequest::new(done, from)),
            SlotError::NotBookable { .. }
        ));
    }
}
