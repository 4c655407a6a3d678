//! Order operations and return-order steps through the store (the in-memory reference; the
//! host's store suite runs them against SQLite too): the state machine against a plain
//! reference table, SLA clocks following the operations, the work KPIs, and return-order steps.

use chrono::{DateTime, Duration, TimeDelta, TimeZone, Utc};
use fieldwork::calendar::CompiledCalendar;
use fieldwork::model::{
    Model, OrderAction, OrderId, OrderOperation, OrderStatus, Priority, ReturnOrderId,
    ReturnStatus, TechnicianId,
};
use fieldwork::operations::{return_step, ReturnAction};
use fieldwork::rma::BuiltInDisposition;
use fieldwork::sla::{default_targets, Metric, MetricState, SlaEngine, Target, WorkKpis};
use fieldwork::store::{MemoryStore, Store};
use proptest::prelude::*;

/// Monday 1 March 2027 at `hour` UTC, plus `day - 1` days.
fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, day, hour, 0, 0).unwrap()
}

/// A gold customer on an office calendar (Mon–Fri 08:00–17:00 UTC), one technician, and
/// orders `SO-1..=SO-n` created Monday 08:00 with `priority`.
fn model(n: usize, priority: Priority) -> Model {
    let orders: Vec<String> = (1..=n)
        .map(|i| {
            format!(
                r#"{{"id": "SO-{i}", "customer": "C-1", "origin": {{"kind": "manual"}},
                    "priority": "{priority}", "created_at": "2027-03-01T08:00:00Z"}}"#
            )
        })
        .collect();
    let day = r#"[["08:00","17:00"]]"#;
    Model::from_json(&format!(
        r#"{{
      "calendars": [{{"id": "office", "time_zone": "UTC",
        "weekly": {{"mon": {day}, "tue": {day}, "wed": {day}, "thu": {day}, "fri": {day}}}}}],
      "customers": [{{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                     "location": {{"lat": 52.5, "lon": 13.4}}, "calendar": "office"}}],
      "technicians": [{{"id": "T-1", "name": "Ann", "home": {{"lat": 52.5, "lon": 13.4}},
                       "calendar": "office", "hourly_cost": "40", "max_hours_per_day": 8}}],
      "orders": [{}]
    }}"#,
        orders.join(",")
    ))
    .unwrap()
}

fn op(order: &str, action: OrderAction, at: DateTime<Utc>) -> OrderOperation {
    OrderOperation {
        order: OrderId::new(order),
        action,
        at,
        reason: None,
    }
}

/// Applies `(action, instant)` to `SO-1`, panicking on refusal.
fn apply(store: &mut MemoryStore, order: &str, steps: &[(OrderAction, DateTime<Utc>)]) {
    for (action, at) in steps {
        store
            .apply_operation(&op(order, action.clone(), *at))
            .unwrap_or_else(|e| panic!("{}: {e}", action.name()));
    }
}

/// Moves an order to `scheduled` as a plan does.
fn schedule(store: &mut MemoryStore, order: &str, at: DateTime<Utc>) {
    use fieldwork::model::StatusChange;
    use fieldwork::store::StatusUpdate;
    store
        .record_status_changes(&[StatusUpdate {
            order: OrderId::new(order),
            change: StatusChange {
                at,
                status: OrderStatus::Scheduled,
                reason: None,
            },
            expected: Some(OrderStatus::Created),
        }])
        .unwrap();
}

// --- the state machine against a reference table -------------------------------------------

/// The reference: the status each action leads to from each status, `None` where refused.
/// Written out by hand from the lifecycle, independently of `allowed_actions`.
fn reference(status: OrderStatus, action: usize) -> Option<OrderStatus> {
    use OrderStatus::*;
    // start, hold, resume, complete, cancel, priority, assign, repair
    let table: [(OrderStatus, [Option<OrderStatus>; 8]); 6] = [
        (
            Created,
            [
                None,
                None,
                None,
                None,
                Some(Cancelled),
                Some(Created),
                Some(Created),
                Some(Created),
            ],
        ),
        (
            Scheduled,
            [
                Some(InProgress),
                None,
                None,
                None,
                Some(Cancelled),
                Some(Scheduled),
                Some(Scheduled),
                Some(Scheduled),
            ],
        ),
        (
            InProgress,
            [
                None,
                Some(OnHold),
                None,
                Some(Completed),
                Some(Cancelled),
                Some(InProgress),
                None,
                Some(InProgress),
            ],
        ),
        (
            OnHold,
            [
                None,
                None,
                Some(InProgress),
                None,
                Some(Cancelled),
                Some(OnHold),
                None,
                Some(OnHold),
            ],
        ),
        (Completed, [None; 8]),
        (Cancelled, [None; 8]),
    ];
    table
        .iter()
        .find(|(s, _)| *s == status)
        .and_then(|(_, row)| row[action])
}

fn action(i: usize) -> OrderAction {
    match i {
        0 => OrderAction::Start,
        1 => OrderAction::Hold,
        2 => OrderAction::Resume,
        3 => OrderAction::Complete,
        4 => OrderAction::Cancel,
        5 => OrderAction::Priority {
            priority: Priority::High,
        },
        6 => OrderAction::Assign {
            technician: TechnicianId::new("T-1"),
            start: None,
        },
        _ => OrderAction::Repair {
            lines: vec![],
            stage: Some("ANY".into()),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any sequence of operations (from `scheduled`, one minute apart) is accepted exactly
    /// where the reference table allows it, ends in the reference's status, and a refused
    /// operation leaves the stored order exactly as it was.
    #[test]
    fn operations_follow_the_reference_state_machine(
        actions in proptest::collection::vec(0usize..8, 1..25)
    ) {
        let mut store = MemoryStore::with_model(model(1, Priority::Normal));
        schedule(&mut store, "SO-1", t(1, 8));
        let mut expected = OrderStatus::Scheduled;
        for (i, &a) in actions.iter().enumerate() {
            let before = store.model().order(&OrderId::new("SO-1")).unwrap().clone();
            let at = t(1, 9) + Duration::minutes(i as i64);
            let result = store.apply_operation(&op("SO-1", action(a), at));
            match reference(expected, a) {
                Some(next) => {
                    let order = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(order.status(), next);
                    expected = next;
                }
                None => {
                    let err = result.err().map(|e| e.to_string()).unwrap_or_default();
                    prop_assert!(
                        err.contains(&format!("is {expected}: cannot {}", action(a).name())),
                        "{}", err
                    );
                    let after = store.model().order(&OrderId::new("SO-1")).unwrap();
                    prop_assert_eq!(&before, after);
                }
            }
        }
        let order = store.model().order(&OrderId::new("SO-1")).unwrap();
        prop_assert!(order.check_history().is_ok());
    }
}

#[test]
fn a_change_before_the_previous_one_and_unknown_ids_are_refused() {
    let mut store = MemoryStore::with_model(model(1, Priority::Normal));
    schedule(&mut store, "SO-1", t(1, 10));
    let err = store
        .apply_operation(&op("SO-1", OrderAction::Start, t(1, 9)))
        .unwrap_err();
    assert!(
        err.to_string().contains("before the previous change"),
        "{err}"
    );
    let err = store
        .apply_operation(&op("SO-9", OrderAction::Start, t(1, 11)))
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown order `SO-9`");
    assert_eq!(
        store
            .model()
            .order(&OrderId::new("SO-1"))
            .unwrap()
            .history
            .len(),
        1
    );
}

// --- SLA clocks follow ---------------------------------------------------------------------

fn office(model: &Model) -> CompiledCalendar {
    CompiledCalendar::new(&model.calendars()[0]).unwrap()
}

fn resolution(store: &MemoryStore, order: &str, at: DateTime<Utc>) -> fieldwork::sla::MetricStatus {
    let model = store.model();
    let engine = SlaEngine::new(model).unwrap();
    let sla = engine
        .status(model.order(&OrderId::new(order)).unwrap(), at)
        .unwrap();
    sla.metric(Metric::Resolution).unwrap().clone()
}

#[test]
fn a_hold_moves_the_due_time_by_the_held_business_time() {
    let mut store = MemoryStore::with_model(model(2, Priority::Normal));
    for order in ["SO-1", "SO-2"] {
        schedule(&mut store, order, t(1, 8));
        apply(&mut store, order, &[(OrderAction::Start, t(1, 9))]);
    }
    // SO-2 waits for parts from Monday 16:00 to Tuesday 09:00: 17 h on the clock, 2 business
    // hours (16–17 and 08–09) in the office calendar.
    apply(
        &mut store,
        "SO-2",
        &[
            (OrderAction::Hold, t(1, 16)),
            (OrderAction::Resume, t(2, 9)),
        ],
    );
    let during = resolution(&store, "SO-2", t(2, 8));
    assert!(during.paused, "the clock is paused during the hold");
    let now = t(2, 10);
    let (plain, held) = (
        resolution(&store, "SO-1", now),
        resolution(&store, "SO-2", now),
    );
    assert!(!held.paused);
    let cal = office(store.model());
    assert_eq!(held.due, cal.add(plain.due, TimeDelta::hours(2)).unwrap());
    assert_eq!(plain.elapsed_seconds - held.elapsed_seconds, 2 * 3600);
}

#[test]
fn completion_stops_the_clock_and_concludes_met_or_missed() {
    // Critical for gold: 4 h resolution around the clock, due Monday 12:00.
    let mut store = MemoryStore::with_model(model(2, Priority::Critical));
    for order in ["SO-1", "SO-2"] {
        schedule(&mut store, order, t(1, 8));
        apply(&mut store, order, &[(OrderAction::Start, t(1, 9))]);
    }
    apply(&mut store, "SO-1", &[(OrderAction::Complete, t(1, 11))]);
    apply(&mut store, "SO-2", &[(OrderAction::Complete, t(1, 13))]);
    let later = t(5, 12);
    let met = resolution(&store, "SO-1", later);
    assert_eq!(met.state, MetricState::Met);
    assert_eq!(met.stopped_at, Some(t(1, 11)));
    assert_eq!(
        met.elapsed_seconds,
        3 * 3600,
        "stopped: days later it still reads 3 h"
    );
    let missed = resolution(&store, "SO-2", later);
    assert_eq!(missed.state, MetricState::Missed);
    assert_eq!(missed.due, t(1, 12));
}

#[test]
fn a_priority_change_recomputes_the_due_time_from_the_original_start() {
    let mut store = MemoryStore::with_model(model(1, Priority::Normal));
    let before = resolution(&store, "SO-1", t(1, 12));
    apply(
        &mut store,
        "SO-1",
        &[(
            OrderAction::Priority {
                priority: Priority::Critical,
            },
            t(1, 12),
        )],
    );
    let after = resolution(&store, "SO-1", t(1, 12));
    let Some(Target::Minutes(minutes)) = default_targets(Priority::Critical, "gold").resolution
    else {
        panic!("critical gold has a resolution target in minutes");
    };
    // Counted from creation (Monday 08:00), around the clock as critical orders are.
    assert_eq!(after.due, t(1, 8) + Duration::minutes(i64::from(minutes)));
    assert!(after.due < before.due);
    let order = store.model().order(&OrderId::new("SO-1")).unwrap();
    assert_eq!(order.events[0].detail, "normal -> critical");
}

// --- work KPIs -----------------------------------------------------------------------------

#[test]
fn the_report_counts_completions_first_time_fixes_time_on_site_and_sla_met() {
    let mut store = MemoryStore::with_model(model(3, Priority::Critical));
    for order in ["SO-1", "SO-2", "SO-3"] {
        schedule(&mut store, order, t(1, 8));
    }
    // SO-1: one visit, 2 h, in time. SO-2: held for parts, 4 h on site, late. SO-3: started.
    apply(
        &mut store,
        "SO-1",
        &[
            (OrderAction::Start, t(1, 9)),
            (OrderAction::Complete, t(1, 11)),
        ],
    );
    apply(
        &mut store,
        "SO-2",
        &[
            (OrderAction::Start, t(1, 9)),
            (OrderAction::Hold, t(1, 10)),
            (OrderAction::Resume, t(1, 20)),
            (OrderAction::Complete, t(1, 23)),
        ],
    );
    apply(&mut store, "SO-3", &[(OrderAction::Start, t(1, 12))]);
    let model = store.model();
    let report = SlaEngine::new(model)
        .unwrap()
        .report(model.orders(), t(2, 8));
    let w = report.work;
    assert_eq!((w.started, w.completed, w.first_time_fixes), (3, 2, 1));
    assert_eq!(w.first_time_fix_percent, Some(50.0));
    assert_eq!(w.on_site_seconds, (2 + 4) * 3600);
    assert_eq!(w.average_on_site_minutes, Some(180.0));
    assert_eq!((w.sla_met, w.sla_concluded), (1, 2));
    assert_eq!(w.sla_met_percent, Some(50.0));
    // A window counts only what happened in it.
    let day2 = WorkKpis::of(
        model.orders(),
        &report.orders,
        Some((t(2, 0), t(3, 0))),
        t(2, 8),
    );
    assert_eq!((day2.started, day2.completed), (0, 0));
}

// --- return orders -------------------------------------------------------------------------

#[test]
fn a_return_order_moves_through_its_steps_and_execution_writes_orders_and_credits() {
    let model = Model::from_json(
        r#"{
      "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                     "location": {"lat": 0, "lon": 0}}],
      "return_orders": [{"id": "RMA-1", "customer": "C-1", "reason_code": "DEFECT",
        "status": "created", "created_at": "2027-03-01T09:00:00Z", "currency": "EUR",
        "lines": [{"line": 1, "item": "PUMP", "quantity": "1", "value": "120.00",
                   "disposition": "credit"},
                  {"line": 2, "item": "VALVE", "quantity": "1", "disposition": "replace"}]}]
    }"#,
    )
    .unwrap();
    let mut store = MemoryStore::with_model(model);
    let id = ReturnOrderId::new("RMA-1");
    let step = |store: &mut MemoryStore, action| {
        let s = return_step(store.model(), &id, action, &BuiltInDisposition, t(2, 9))?;
        store.apply_return_step(&s).map_err(|e| e.to_string())?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    let err = step(&mut store, ReturnAction::Execute).unwrap_err();
    assert_eq!(
        err.to_string(),
        "return order RMA-1 is created: cannot execute (allowed: receive)"
    );
    for action in [
        ReturnAction::Receive,
        ReturnAction::Inspect,
        ReturnAction::Execute,
    ] {
        step(&mut store, action).unwrap();
    }
    let model = store.model();
    assert_eq!(
        model.return_order(&id).unwrap().status,
        ReturnStatus::DispositionExecuted
    );
    assert!(model.order(&OrderId::new("RMA-1-2-REPLACE")).is_some());
    let credits = store.transactions().unwrap();
    assert_eq!(credits.len(), 1);
    assert_eq!(credits[0].amount.to_string(), "-120.00");
    step(&mut store, ReturnAction::Close).unwrap();
    let err = step(&mut store, ReturnAction::Close).unwrap_err();
    assert_eq!(
        err.to_string(),
        "return order RMA-1 is closed: cannot close (allowed: none, the return order is closed)"
    );
}
