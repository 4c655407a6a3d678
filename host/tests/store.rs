//! Integration tests of the store layer: the same behaviour suite runs against `MemoryStore`
//! (the reference), `SqliteStore` and — when `FIELDWORK_TEST_POSTGRES` names a server —
//! `PgStore` (`support::stores`), then backend-only checks: migrations, refusing newer or
//! foreign databases, locked and corrupt files, for SQLite and for PostgreSQL.

mod support;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fieldwork::billing::{BillingKey, DateRange, Transaction, TransactionKind, TransactionSource};
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::model::*;
use fieldwork::schedule::plan::{
    PartKind, Plan, PlanKpis, Route, Unassigned, UnassignedReason, Visit, VisitPart,
};
use fieldwork::store::*;
use fieldwork_host::sqlite::{OpenOptions, SqliteError, SqliteStore, LATEST_VERSION};
use rust_decimal::Decimal;

fn small_dataset() -> Dataset {
    let mut options = DemoOptions::new(7, NaiveDate::from_ymd_opt(2027, 3, 1).unwrap());
    options.customers = 12;
    options.technicians = 4;
    options.open_orders = 3;
    generate(&options)
}

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, day, hour, 0, 0).unwrap()
}

/// A generated order for the first line of the first agreement, on `day`.
fn generated(model: &Model, day: u32) -> GeneratedOrder {
    let agreement = &model.agreements()[0];
    let line = &agreement.lines[0];
    let occurrence = NaiveDate::from_ymd_opt(2027, 3, day)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let mut order = ServiceOrder::new(
        format!("SO-{}-{day:02}", line.id),
        agreement.customer.clone(),
        Priority::Normal,
        t(1, 6),
    );
    order.agreement = Some(agreement.id.clone());
    order.origin = OrderOrigin::Agreement {
        line: line.id.clone(),
        occurrence,
    };
    order.lines.push(OrderLine {
        kind: LineKind::Task,
        task: Some(line.task.clone()),
        agreement_line: Some(line.id.clone()),
        description: String::new(),
        quantity: Decimal::ONE,
        unit_price: line.price,
    });
    GeneratedOrder {
        key: format!("{}@{occurrence}", line.id),
        order,
    }
}

fn stores() -> Vec<(&'static str, Box<dyn Store>)> {
    support::stores("store suite")
}

fn loaded(name: &str, store: &mut dyn Store) -> Model {
    store
        .import(small_dataset(), ImportMode::Replace)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    store.load_model().unwrap()
}

#[test]
fn import_then_export_round_trips_the_dataset() {
    for (name, mut store) in stores() {
        let dataset = small_dataset();
        let summary = store.import(dataset.clone(), ImportMode::Replace).unwrap();
        assert_eq!(summary.added["customers"], 12, "{name}");
        assert_eq!(store.export().unwrap(), dataset, "{name}");
        // Merging the same dataset again updates everything and adds nothing.
        let again = store.import(dataset.clone(), ImportMode::Merge).unwrap();
        assert_eq!(again.total_added(), 0, "{name}");
        assert_eq!(again.updated["orders"], dataset.orders.len(), "{name}");
        assert_eq!(store.export().unwrap(), dataset, "{name}");
    }
}

#[test]
fn an_invalid_dataset_changes_nothing() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let batches = store.batches().unwrap();
        // A new customer on an unknown calendar, and an order for an unknown customer.
        let mut bad = Dataset::default();
        let mut customer = model.customers()[0].clone();
        customer.id = CustomerId::new("C-NEW");
        customer.calendar = Some(CalendarId::new("nope"));
        bad.customers.push(customer);
        let mut order = model.orders()[0].clone();
        order.customer = CustomerId::new("C-GHOST");
        bad.orders.push(order);
        for mode in [ImportMode::Merge, ImportMode::Replace] {
            let err = store.import(bad.clone(), mode).unwrap_err();
            assert!(matches!(err, StoreError::Model(_)), "{name}: {err}");
            assert!(err.to_string().contains("C-GHOST"), "{name}: {err}");
        }
        assert_eq!(store.export().unwrap(), model.to_dataset(), "{name}");
        assert_eq!(store.batches().unwrap(), batches, "{name}");
    }
}

#[test]
fn an_absence_is_removed_by_technician_start_and_end_only() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let technician = model.technicians()[0].id.clone();
        let absence = |day: u32, reason: &str| Absence {
            technician: technician.clone(),
            start: t(day, 0),
            end: t(day + 1, 0),
            reason: reason.into(),
        };
        let incoming = Dataset {
            absences: vec![absence(2, "sick"), absence(3, "training")],
            ..Dataset::default()
        };
        store.import(incoming, ImportMode::Merge).unwrap();
        // The reason is not part of the identity.
        assert!(
            store.remove_absence(&absence(2, "other words")).unwrap(),
            "{name}"
        );
        assert!(
            !store.remove_absence(&absence(2, "sick")).unwrap(),
            "{name}: gone"
        );
        assert!(
            !store.remove_absence(&absence(9, "sick")).unwrap(),
            "{name}"
        );
        let left = store.load_model().unwrap().absences().to_vec();
        assert_eq!(left, vec![absence(3, "training")], "{name}");
    }
}

#[test]
fn merge_adds_and_replaces_by_id() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let mut incoming = Dataset::default();
        let mut renamed = model.customers()[0].clone();
        renamed.name = "Renamed GmbH".into();
        let mut added = model.customers()[1].clone();
        added.id = CustomerId::new("C-ADDED");
        incoming.customers = vec![renamed.clone(), added];
        let summary = store.import(incoming, ImportMode::Merge).unwrap();
        assert_eq!(summary.added["customers"], 1, "{name}");
        assert_eq!(summary.updated["customers"], 1, "{name}");
        let after = store.load_model().unwrap();
        assert_eq!(after.customers().len(), 13, "{name}");
        assert_eq!(after.customers()[0], renamed, "{name}: replaced in place");
        assert_eq!(after.customers()[12].id.as_str(), "C-ADDED", "{name}");
    }
}

#[test]
fn generated_orders_are_written_once_per_key() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let first: Vec<_> = [2, 9, 16].iter().map(|&d| generated(&model, d)).collect();
        let receipt = store.insert_generated(&first).unwrap();
        assert_eq!((receipt.written, receipt.skipped), (3, 0), "{name}");
        assert!(receipt.batch.is_some(), "{name}");
        // An overlapping window: two known keys, one new.
        let overlap: Vec<_> = [9, 16, 23].iter().map(|&d| generated(&model, d)).collect();
        let receipt = store.insert_generated(&overlap).unwrap();
        assert_eq!((receipt.written, receipt.skipped), (1, 2), "{name}");
        // Nothing new: no batch is logged.
        let receipt = store.insert_generated(&overlap).unwrap();
        assert_eq!((receipt.batch, receipt.written), (None, 0), "{name}");
        let stored = store.load_model().unwrap();
        assert_eq!(stored.orders().len(), model.orders().len() + 4, "{name}");
        assert_eq!(store.generation_keys().unwrap().len(), 4, "{name}");
        let generate_batches: Vec<_> = store
            .batches()
            .unwrap()
            .into_iter()
            .filter(|b| b.kind == BatchKind::Generate)
            .map(|b| b.rows)
            .collect();
        assert_eq!(generate_batches, [3, 1], "{name}");
    }
}

#[test]
fn a_batch_with_a_conflicting_order_writes_nothing() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let good = generated(&model, 2);
        let mut clash = generated(&model, 9);
        clash.order.id = model.orders()[0].id.clone(); // id taken by an imported order
        let err = store.insert_generated(&[good, clash]).unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict { id, .. } if id == model.orders()[0].id.as_str()),
            "{name}: {err}"
        );
        assert!(store.generation_keys().unwrap().is_empty(), "{name}");
        assert_eq!(
            store.load_model().unwrap().orders().len(),
            model.orders().len()
        );
    }
}

#[test]
fn status_changes_are_checked_against_the_lifecycle_and_atomic() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let order = generated(&model, 2);
        let id = order.order.id.clone();
        store.insert_generated(&[order]).unwrap();
        let update = |status, at| StatusUpdate {
            order: id.clone(),
            change: StatusChange {
                at,
                status,
                reason: None,
            },
            expected: None,
        };
        store
            .record_status_changes(&[
                update(OrderStatus::Scheduled, t(1, 8)),
                update(OrderStatus::InProgress, t(2, 9)),
            ])
            .unwrap();
        // The second change is illegal: neither is written.
        let err = store
            .record_status_changes(&[
                update(OrderStatus::OnHold, t(2, 10)),
                update(OrderStatus::Created, t(2, 11)),
            ])
            .unwrap_err();
        assert!(
            err.to_string().contains("illegal transition"),
            "{name}: {err}"
        );
        let err = store
            .record_status_changes(&[update(OrderStatus::Completed, t(1, 7))])
            .unwrap_err();
        assert!(
            err.to_string().contains("before the previous"),
            "{name}: {err}"
        );
        let err = store
            .record_status_changes(&[StatusUpdate {
                order: OrderId::new("SO-NONE"),
                change: StatusChange {
                    at: t(3, 8),
                    status: OrderStatus::Scheduled,
                    reason: None,
                },
                expected: None,
            }])
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{name}: {err}");
        let stored = store.load_model().unwrap();
        let order = stored.order(&id).unwrap();
        assert_eq!(order.status(), OrderStatus::InProgress, "{name}");
        assert_eq!(order.history.len(), 2, "{name}");
        assert!(order.check_history().is_ok(), "{name}");
    }
}

fn snapshot(order: &OrderId, metric: &str, state: &str, remaining: i64) -> SlaSnapshot {
    SlaSnapshot {
        order: order.clone(),
        metric: metric.into(),
        computed_at: t(2, 12),
        state: state.into(),
        target_seconds: 4 * 3600,
        due: Some(t(2, 16)),
        warning_at: Some(t(2, 15)),
        remaining_seconds: Some(remaining),
        calendar: Some("office".into()),
    }
}

#[test]
fn sla_snapshots_replace_the_previous_one_per_order_and_metric() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let id = model.orders()[0].id.clone();
        store
            .save_sla_snapshots(&[
                snapshot(&id, "response", "on_track", 3600),
                snapshot(&id, "resolution", "on_track", 7200),
            ])
            .unwrap();
        store
            .save_sla_snapshots(&[snapshot(&id, "response", "breached", -60)])
            .unwrap();
        let stored = store.sla_snapshots().unwrap();
        assert_eq!(
            stored,
            vec![
                snapshot(&id, "resolution", "on_track", 7200),
                snapshot(&id, "response", "breached", -60),
            ],
            "{name}"
        );
        let err = store
            .save_sla_snapshots(&[snapshot(&OrderId::new("SO-NONE"), "response", "met", 0)])
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{name}: {err}");
    }
}

fn plan_for(model: &Model, orders: &[OrderId]) -> Plan {
    let tech = model.technicians()[0].id.clone();
    let visits = orders
        .iter()
        .enumerate()
        .map(|(i, order)| Visit {
            order: order.clone(),
            arrival: t(3, 8 + 2 * i as u32),
            start: t(3, 8 + 2 * i as u32),
            end: t(3, 9 + 2 * i as u32),
            travel_minutes: 12.5,
            travel_km: 8.25,
            due: (i == 0).then(|| t(3, 12)),
            late_minutes: 0.0,
            fixed: i == 1,
            part: None,
        })
        .collect();
    let mut plan = Plan {
        from: t(3, 0),
        to: t(10, 0),
        routes: vec![Route {
            technician: tech,
            day: NaiveDate::from_ymd_opt(2027, 3, 3).unwrap(),
            shift_start: t(3, 7),
            shift_end: t(3, 16),
            visits,
            return_minutes: 20.0,
            return_km: 11.0,
            // The restocking stop (schema: SQLite 5, PostgreSQL 3) between the first two visits.
            depot_stop: Some(fieldwork::schedule::plan::DepotStop {
                depot: model.depots()[0].id.clone(),
                arrival: t(3, 9) + chrono::Duration::minutes(10),
                start: t(3, 9) + chrono::Duration::minutes(15),
                end: t(3, 9) + chrono::Duration::minutes(30),
                travel_minutes: 10.5,
                travel_km: 6.25,
            }),
        }],
        unassigned: vec![Unassigned {
            order: model.orders()[0].id.clone(),
            reason: UnassignedReason::MissingTool,
            detail: "needs tool T-torque-wrench: no technician carries it and no depot holds it"
                .into(),
        }],
        kpis: PlanKpis::default(),
    };
    plan.refresh_kpis();
    plan
}

/// A multi-day job's parts (several visits of one order in one plan, each with its part) and a
/// crew's members round-trip through every store, and the order counts once.
#[test]
fn an_order_with_several_visits_round_trips() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let orders: Vec<_> = [2, 9].iter().map(|&d| generated(&model, d)).collect();
        store.insert_generated(&orders).unwrap();
        let ids: Vec<OrderId> = orders.iter().map(|g| g.order.id.clone()).collect();
        let mut plan = plan_for(&model, &ids[..1]);
        let mut second_day = plan.routes[0].clone();
        second_day.day = NaiveDate::from_ymd_opt(2027, 3, 4).unwrap();
        for v in &mut second_day.visits {
            v.start += chrono::Duration::days(1);
            v.end += chrono::Duration::days(1);
            v.arrival += chrono::Duration::days(1);
            v.part = Some(VisitPart {
                kind: PartKind::Day,
                index: 2,
                count: 2,
            });
        }
        plan.routes[0].visits[0].part = Some(VisitPart {
            kind: PartKind::Day,
            index: 1,
            count: 2,
        });
        plan.routes.push(second_day);
        if let Some(other) = model.technicians().get(1) {
            let mut crew = plan.routes[0].clone();
            crew.technician = other.id.clone();
            crew.visits[0].order = ids[1].clone();
            crew.visits[0].part = Some(VisitPart {
                kind: PartKind::Crew,
                index: 2,
                count: 2,
            });
            plan.routes.push(crew);
        }
        plan.refresh_kpis();
        assert_eq!(plan.kpis.orders_assigned, plan.routes.len().min(3) - 1);
        let stored = StoredPlan {
            id: "multi".into(),
            created_at: t(2, 18),
            plan,
        };
        store.save_plan(&stored, &[]).unwrap();
        assert_eq!(store.plans().unwrap(), vec![stored], "{name}");
    }
}

#[test]
fn a_plan_round_trips_and_replaces_the_plan_with_the_same_id() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let orders: Vec<_> = [2, 9].iter().map(|&d| generated(&model, d)).collect();
        store.insert_generated(&orders).unwrap();
        let ids: Vec<OrderId> = orders.iter().map(|g| g.order.id.clone()).collect();
        let stored = StoredPlan {
            id: "week-10".into(),
            created_at: t(2, 18),
            plan: plan_for(&model, &ids),
        };
        let scheduled: Vec<StatusUpdate> = ids
            .iter()
            .map(|id| StatusUpdate {
                order: id.clone(),
                change: StatusChange {
                    at: t(2, 18),
                    status: OrderStatus::Scheduled,
                    reason: None,
                },
                expected: None,
            })
            .collect();
        let receipt = store.save_plan(&stored, &scheduled).unwrap();
        // plan + route + 2 visits + 1 unassigned + 2 status changes
        assert_eq!(receipt.written, 7, "{name}");
        assert_eq!(store.plans().unwrap(), vec![stored.clone()], "{name}");
        let after = store.load_model().unwrap();
        assert!(ids
            .iter()
            .all(|id| after.order(id).unwrap().status() == OrderStatus::Scheduled));
        // Same id: replaced, not duplicated.
        let smaller = StoredPlan {
            plan: plan_for(&model, &ids[..1]),
            ..stored.clone()
        };
        store.save_plan(&smaller, &[]).unwrap();
        assert_eq!(store.plans().unwrap(), vec![smaller], "{name}");
        // A plan naming an unknown order is refused whole: its status change is not applied.
        let bad = StoredPlan {
            id: "bad".into(),
            plan: plan_for(&model, &[OrderId::new("SO-NONE")]),
            ..stored
        };
        let err = store.save_plan(&bad, &scheduled[..0]).unwrap_err();
        assert!(err.to_string().contains("SO-NONE"), "{name}: {err}");
        assert_eq!(store.plans().unwrap().len(), 1, "{name}");
    }
}

#[test]
fn a_newer_plan_supersedes_older_visits_of_its_orders() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let orders: Vec<_> = [2, 9, 16].iter().map(|&d| generated(&model, d)).collect();
        store.insert_generated(&orders).unwrap();
        let ids: Vec<OrderId> = orders.iter().map(|g| g.order.id.clone()).collect();
        let first = StoredPlan {
            id: "window-1".into(),
            created_at: t(2, 18),
            plan: plan_for(&model, &ids[..2]),
        };
        store.save_plan(&first, &[]).unwrap();
        // The next window re-plans the second order (with the third).
        let second = StoredPlan {
            id: "window-2".into(),
            created_at: t(3, 18),
            plan: plan_for(&model, &ids[1..]),
        };
        store.save_plan(&second, &[]).unwrap();
        let plans = store.plans().unwrap();
        let orders_of = |id: &str| -> Vec<OrderId> {
            plans
                .iter()
                .find(|p| p.id == id)
                .unwrap()
                .plan
                .routes
                .iter()
                .flat_map(|r| r.visits.iter().map(|v| v.order.clone()))
                .collect()
        };
        assert_eq!(orders_of("window-1"), ids[..1].to_vec(), "{name}");
        assert_eq!(orders_of("window-2"), ids[1..].to_vec(), "{name}");
        // A plan whose every visit was superseded keeps no route.
        let third = StoredPlan {
            id: "window-3".into(),
            created_at: t(4, 18),
            plan: plan_for(&model, &ids[..1]),
        };
        store.save_plan(&third, &[]).unwrap();
        let plans = store.plans().unwrap();
        let first_now = plans.iter().find(|p| p.id == "window-1").unwrap();
        assert!(first_now.plan.routes.is_empty(), "{name}");
    }
}

#[test]
fn a_billing_run_is_posted_once_with_its_ledger() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let sub = &model.subscriptions()[0];
        let march = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let key = BillingKey {
            subscription: sub.id.clone(),
            period_start: march,
        };
        let txn = |suffix: &str, kind, amount: Decimal, service| Transaction {
            id: format!("{}/2027-03-01/{suffix}", sub.id),
            customer: sub.customer.clone(),
            source: TransactionSource::Subscription {
                subscription: sub.id.clone(),
                period_start: march,
            },
            kind,
            date: march,
            service,
            amount,
            currency: "EUR".into(),
            description: format!("{suffix} March"),
        };
        let fee = txn("fee", TransactionKind::Fee, Decimal::new(20000, 2), None);
        let proration = txn(
            "proration-before",
            TransactionKind::Proration,
            Decimal::new(-1290, 2),
            Some(DateRange {
                start: march,
                end: NaiveDate::from_ymd_opt(2027, 3, 2).unwrap(),
            }),
        );
        let credit = Transaction {
            id: "RMA-1/1/credit".into(),
            source: TransactionSource::ReturnOrder {
                rma: model.return_orders()[0].id.clone(),
                line: 1,
            },
            kind: TransactionKind::Credit,
            service: None,
            ..fee.clone()
        };
        let run = [fee.clone(), proration.clone()];
        let receipt = store
            .save_billing(&run, std::slice::from_ref(&key))
            .unwrap();
        assert_eq!((receipt.written, receipt.skipped), (2, 0), "{name}");
        // Posting the same run again writes nothing new.
        let receipt = store
            .save_billing(
                &[proration.clone(), credit.clone()],
                std::slice::from_ref(&key),
            )
            .unwrap();
        assert_eq!((receipt.written, receipt.skipped), (1, 1), "{name}");
        let receipt = store
            .save_billing(&run, std::slice::from_ref(&key))
            .unwrap();
        assert_eq!((receipt.batch, receipt.written), (None, 0), "{name}");
        assert_eq!(
            store.transactions().unwrap(),
            vec![fee.clone(), proration.clone(), credit],
            "{name}"
        );
        assert_eq!(
            store.transactions().unwrap()[1].amount.to_string(),
            "-12.90"
        );
        assert_eq!(
            store
                .billed_periods()
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            vec![key],
            "{name}"
        );
        let ghost = BillingKey {
            subscription: SubscriptionId::new("S-GHOST"),
            period_start: march,
        };
        let mut other = fee.clone();
        other.id = "other".into();
        let err = store.save_billing(&[other], &[ghost]).unwrap_err();
        assert!(err.to_string().contains("S-GHOST"), "{name}: {err}");
        assert_eq!(store.transactions().unwrap().len(), 3, "{name}");
    }
}

#[test]
fn replace_drops_results_and_the_batch_log() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        store.insert_generated(&[generated(&model, 2)]).unwrap();
        assert_eq!(store.batches().unwrap().len(), 2, "{name}");
        store.import(small_dataset(), ImportMode::Replace).unwrap();
        assert!(store.generation_keys().unwrap().is_empty(), "{name}");
        let batches = store.batches().unwrap();
        assert_eq!(batches.len(), 1, "{name}");
        assert_eq!(batches[0].kind, BatchKind::Import, "{name}");
        assert_eq!(store.export().unwrap(), small_dataset(), "{name}");
    }
}

// ---- SQLite only ----------------------------------------------------------------------------

fn temp_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fieldwork.db");
    (dir, path)
}

#[test]
fn a_database_file_survives_reopening_with_everything_in_it() {
    let (_dir, path) = temp_db();
    let mut store = SqliteStore::create(&path).unwrap();
    assert_eq!(store.migration().from, 0);
    let model = loaded("sqlite", &mut store);
    store.insert_generated(&[generated(&model, 2)]).unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.migration().from, LATEST_VERSION);
    assert_eq!(
        store.load_model().unwrap().orders().len(),
        model.orders().len() + 1
    );
    assert!(store.check_integrity().unwrap().is_empty());
    let mode: String = store
        .connection()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = store
        .connection()
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
}

#[test]
fn missing_newer_foreign_and_corrupt_files_get_clear_errors() {
    let (dir, path) = temp_db();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(err.unavailable_as(), Some(SqliteError::Missing { .. })),
        "{err}"
    );
    assert!(!path.exists(), "opening must not create the file");

    // Newer schema: refused, untouched.
    drop(SqliteStore::create(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", LATEST_VERSION + 1)
            .unwrap();
    }
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        err.to_string()
            .contains("newer than this fieldwork supports"),
        "{err}"
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, LATEST_VERSION + 1);

    // Another application's database.
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE notes (text TEXT)")
        .unwrap();
    let err = SqliteStore::open(&other).unwrap_err();
    assert!(
        matches!(err.unavailable_as(), Some(SqliteError::Corrupt { .. })),
        "{err}"
    );

    // Not a database at all.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x42u8; 8192]).unwrap();
    let err = SqliteStore::open(&junk).unwrap_err();
    assert!(
        matches!(err.unavailable_as(), Some(SqliteError::Corrupt { .. })),
        "{err}"
    );
    assert!(err.is_user_error());

    // A damaged database: the header survives, a table page is overwritten.
    let damaged = dir.path().join("damaged.db");
    {
        let mut store = SqliteStore::create(&damaged).unwrap();
        loaded("sqlite", &mut store);
        store
            .connection()
            .pragma_update(None, "journal_mode", "DELETE")
            .unwrap();
    }
    let mut bytes = std::fs::read(&damaged).unwrap();
    let page = 4096;
    for b in &mut bytes[page * 2..page * 6] {
        *b = 0xA5;
    }
    std::fs::write(&damaged, bytes).unwrap();
    let result = SqliteStore::open(&damaged).and_then(|s| {
        let problems = s.check_integrity()?;
        s.load_model().map(|_| problems)
    });
    match result {
        Err(e) => assert!(
            matches!(e.unavailable_as(), Some(SqliteError::Corrupt { .. })),
            "{e}"
        ),
        Ok(problems) => assert!(!problems.is_empty(), "damage went unnoticed"),
    }
}

#[test]
fn a_locked_database_is_reported_after_the_busy_timeout() {
    let (_dir, path) = temp_db();
    let mut store = SqliteStore::open_with(
        &path,
        &OpenOptions {
            create: true,
            busy_timeout: std::time::Duration::from_millis(50),
        },
    )
    .unwrap();
    let model = loaded("sqlite", &mut store);
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = store.insert_generated(&[generated(&model, 2)]).unwrap_err();
    assert!(
        matches!(err.unavailable_as(), Some(SqliteError::Locked { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("locked by another process"));
    // Readers are not blocked by a writer in WAL mode.
    assert_eq!(
        store.load_model().unwrap().orders().len(),
        model.orders().len()
    );
    other.execute_batch("ROLLBACK").unwrap();
    let receipt = store.insert_generated(&[generated(&model, 2)]).unwrap();
    assert_eq!(receipt.written, 1);
}

/// One operation on `order` at `at` (day 3 of March, `hour`), with a reason.
fn operation(order: &OrderId, action: OrderAction, hour: u32) -> OrderOperation {
    OrderOperation {
        order: order.clone(),
        action,
        at: t(3, hour),
        reason: Some(format!("note {hour}")),
    }
}

#[test]
fn order_operations_are_applied_alike_by_both_stores_and_refused_ones_change_nothing() {
    let mut results: Vec<(Vec<String>, ServiceOrder)> = Vec::new();
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let order = generated(&model, 2);
        let id = order.order.id.clone();
        store.insert_generated(&[order]).unwrap();
        let tech = model.technicians()[0].id.clone();
        let steps = [
            (OrderAction::Start, 7), // refused: created
            (
                OrderAction::Assign {
                    technician: tech,
                    start: Some(t(3, 9)),
                },
                8,
            ),
            (
                OrderAction::Priority {
                    priority: Priority::Critical,
                },
                8,
            ),
        ];
        let mut outcomes = Vec::new();
        for (action, hour) in steps {
            let batches = store.batches().unwrap().len();
            match store.apply_operation(&operation(&id, action, hour)) {
                Ok(o) => outcomes.push(format!("ok {}", o.status())),
                Err(e) => {
                    assert_eq!(store.batches().unwrap().len(), batches, "{name}: {e}");
                    outcomes.push(e.to_string());
                }
            }
        }
        // Scheduled by a plan, then worked on.
        store
            .record_status_changes(&[StatusUpdate {
                order: id.clone(),
                change: StatusChange {
                    at: t(3, 8),
                    status: OrderStatus::Scheduled,
                    reason: None,
                },
                expected: Some(OrderStatus::Created),
            }])
            .unwrap();
        for (action, hour) in [
            (OrderAction::Start, 9),
            (OrderAction::Resume, 10), // refused: in progress
            (OrderAction::Hold, 10),
            (OrderAction::Start, 6), // refused: on hold
            (OrderAction::Resume, 12),
            (OrderAction::Complete, 14),
            (OrderAction::Cancel, 15), // refused: final
        ] {
            match store.apply_operation(&operation(&id, action, hour)) {
                Ok(o) => outcomes.push(format!("ok {}", o.status())),
                Err(e) => outcomes.push(e.to_string()),
            }
        }
        let stored = store.load_model().unwrap().order(&id).unwrap().clone();
        assert_eq!(stored.status(), OrderStatus::Completed, "{name}");
        assert_eq!(
            stored.history[2].reason.as_deref(),
            Some("note 10"),
            "{name}: the hold's reason is stored"
        );
        assert_eq!(stored.events.len(), 2, "{name}");
        assert_eq!(stored.priority, Priority::Critical, "{name}");
        results.push((outcomes, stored));
    }
    let memory = &results[0];
    for other in &results[1..] {
        assert_eq!(memory, other, "every store agrees, errors included");
    }
    let id = &memory.1.id;
    assert_eq!(
        memory.0[0],
        format!(
            "order {id} is created: cannot start (allowed: assign, book, priority, repair, cancel)"
        )
    );
    assert_eq!(
        memory.0[6],
        format!("order {id} is on_hold: cannot start (allowed: resume, priority, repair, cancel)")
    );
    assert_eq!(
        memory.0[9],
        format!("order {id} is completed: cannot cancel (allowed: none, the order is final)")
    );
}

#[test]
fn a_plan_never_overwrites_an_operation_recorded_while_it_was_computed() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let orders: Vec<_> = [2, 9].iter().map(|&d| generated(&model, d)).collect();
        store.insert_generated(&orders).unwrap();
        let ids: Vec<OrderId> = orders.iter().map(|g| g.order.id.clone()).collect();
        // The plan was computed from both orders `created`…
        let plan = StoredPlan {
            id: "p-race".into(),
            created_at: t(2, 18),
            plan: plan_for(&model, &ids),
        };
        let updates: Vec<StatusUpdate> = ids
            .iter()
            .map(|id| StatusUpdate {
                order: id.clone(),
                change: StatusChange {
                    at: t(2, 18),
                    status: OrderStatus::Scheduled,
                    reason: None,
                },
                expected: Some(OrderStatus::Created),
            })
            .collect();
        // …and the first was cancelled before it was saved.
        store
            .apply_operation(&OrderOperation {
                order: ids[0].clone(),
                action: OrderAction::Cancel,
                at: t(2, 17),
                reason: Some("customer called".into()),
            })
            .unwrap();
        store
            .save_plan(&plan, &updates)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let now = store.load_model().unwrap();
        let first = now.order(&ids[0]).unwrap();
        assert_eq!(first.status(), OrderStatus::Cancelled, "{name}");
        assert_eq!(
            first.history.len(),
            1,
            "{name}: the plan's change was skipped"
        );
        assert_eq!(
            now.order(&ids[1]).unwrap().status(),
            OrderStatus::Scheduled,
            "{name}"
        );
        let saved = store.plans().unwrap();
        let visits: Vec<&OrderId> = saved[0]
            .plan
            .routes
            .iter()
            .flat_map(|r| &r.visits)
            .map(|v| &v.order)
            .collect();
        assert_eq!(
            visits,
            [&ids[1]],
            "{name}: the cancelled order left the plan"
        );
        assert_eq!(saved[0].plan.kpis.orders_assigned, 1, "{name}");
    }
}

#[test]
fn a_return_step_is_written_once_and_refused_when_the_return_order_moved_on() {
    for (name, mut store) in stores() {
        let model = loaded(name, store.as_mut());
        let Some(rma) = model.return_orders().first().cloned() else {
            panic!("{name}: the small demo has a return order");
        };
        let next = fieldwork::rma::next_status(rma.status).unwrap();
        let step = ReturnStep {
            from: rma.status,
            rma: ReturnOrder {
                status: next,
                ..rma.clone()
            },
            orders: vec![],
            transactions: vec![],
        };
        store.apply_return_step(&step).unwrap();
        assert_eq!(
            store
                .load_model()
                .unwrap()
                .return_order(&rma.id)
                .unwrap()
                .status,
            next,
            "{name}"
        );
        let err = store.apply_return_step(&step).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("is {next}, not {}", rma.status)),
            "{name}: {err}"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Any sequence of operations leaves both stores with the same order and the same answers
    /// (the SQL stores apply the library's state machine exactly as the reference does).
    #[test]
    fn any_sequence_of_operations_leaves_both_stores_alike(
        actions in proptest::collection::vec(0usize..8, 1..16)
    ) {
        let mut results = Vec::new();
        for (name, mut store) in stores() {
            let model = loaded(name, store.as_mut());
            let order = generated(&model, 2);
            let id = order.order.id.clone();
            store.insert_generated(&[order]).unwrap();
            store
                .record_status_changes(&[StatusUpdate {
                    order: id.clone(),
                    change: StatusChange {
                        at: t(2, 8),
                        status: OrderStatus::Scheduled,
                        reason: None,
                    },
                    expected: None,
                }])
                .unwrap();
            let tech = model.technicians()[0].id.clone();
            let mut answers = Vec::new();
            for (i, &a) in actions.iter().enumerate() {
                let action = match a {
                    0 => OrderAction::Start,
                    1 => OrderAction::Hold,
                    2 => OrderAction::Resume,
                    3 => OrderAction::Complete,
                    4 => OrderAction::Cancel,
                    5 => OrderAction::Priority { priority: Priority::High },
                    6 => OrderAction::Assign { technician: tech.clone(), start: None },
                    _ => OrderAction::Repair { lines: vec![], stage: Some(format!("S{i}")) },
                };
                let op = OrderOperation {
                    order: id.clone(),
                    action,
                    at: t(3, 0) + chrono::Duration::minutes(i as i64),
                    reason: (i % 2 == 0).then(|| format!("r{i}")),
                };
                answers.push(match store.apply_operation(&op) {
                    Ok(o) => o.status().to_string(),
                    Err(e) => e.to_string(),
                });
            }
            let stored = store.load_model().unwrap().order(&id).unwrap().clone();
            results.push((answers, stored));
        }
        for other in &results[1..] {
            proptest::prop_assert_eq!(&results[0], other);
        }
    }
}

// ---- PostgreSQL only --------------------------------------------------------------------------

use fieldwork_host::postgres::{PgError, PgOptions, PgStore, LATEST_VERSION as PG_LATEST};

/// A second connection to the schema of `store`.
fn reopen(url: &str, store: &PgStore, options: &PgOptions) -> Result<PgStore, StoreError> {
    PgStore::open_with(
        &support::postgres::with_schema(url, store.schema()),
        options,
    )
}

#[test]
fn a_postgres_store_survives_reopening_and_refuses_newer_foreign_or_missing_schemas() {
    let Some(url) = support::postgres::server("store suite") else {
        return;
    };
    let mut store = PgStore::scratch(&url).unwrap();
    assert_eq!(store.migration().from, 0);
    let model = loaded("postgres", &mut store);
    store.insert_generated(&[generated(&model, 2)]).unwrap();
    let again = reopen(&url, &store, &PgOptions::default()).unwrap();
    assert_eq!(again.migration().from, PG_LATEST);
    assert_eq!(
        again.load_model().unwrap().orders().len(),
        model.orders().len() + 1
    );
    drop(again);

    // Newer schema: refused, untouched.
    store
        .client()
        .execute(
            "UPDATE fieldwork_schema SET version = $1",
            &[&(PG_LATEST + 1)],
        )
        .unwrap();
    let err = reopen(&url, &store, &PgOptions::default()).unwrap_err();
    assert!(
        matches!(err.unavailable_as(), Some(PgError::SchemaTooNew { found, .. }) if *found == PG_LATEST + 1),
        "{err}"
    );
    assert!(err.is_user_error());

    // An empty schema is not a store unless created; another application's schema is refused.
    let empty = PgStore::scratch(&url).unwrap();
    empty
        .client()
        .batch_execute("DROP TABLE fieldwork_schema CASCADE")
        .unwrap();
    let mut client = empty.client();
    let tables: Vec<String> = client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for table in tables {
        client
            .batch_execute(&format!("DROP TABLE {table} CASCADE"))
            .unwrap();
    }
    drop(client);
    let err = reopen(&url, &empty, &PgOptions::default()).unwrap_err();
    assert!(
        matches!(err.unavailable_as(), Some(PgError::Missing { .. })),
        "{err}"
    );
    empty
        .client()
        .batch_execute("CREATE TABLE notes (text TEXT)")
        .unwrap();
    let create = PgOptions {
        create: true,
        ..PgOptions::default()
    };
    let err = reopen(&url, &empty, &create).unwrap_err();
    assert!(
        matches!(
            err.unavailable_as(),
            Some(PgError::Foreign { tables: 1, .. })
        ),
        "{err}"
    );

    // A bad URL and an unreachable server are clear errors, with no password shown.
    let err = PgStore::open("postgres://ann:s3cret@127.0.0.1:1/fw").unwrap_err();
    assert!(
        matches!(err.unavailable_as(), Some(PgError::Unreachable { .. })),
        "{err}"
    );
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

#[test]
fn a_locked_postgres_store_is_reported_after_the_lock_timeout() {
    let Some(url) = support::postgres::server("store suite") else {
        return;
    };
    let mut store = PgStore::scratch(&url).unwrap();
    let model = loaded("postgres", &mut store);
    let options = PgOptions {
        create: false,
        lock_timeout: std::time::Duration::from_millis(50),
    };
    let mut other = reopen(&url, &store, &options).unwrap();
    // The first store holds the write lock in an open transaction.
    let mut client = store.client();
    let mut tx = client.transaction().unwrap();
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
        &[&fieldwork_host::postgres::schema::LOCK_SPACE],
    )
    .unwrap();
    let err = other.insert_generated(&[generated(&model, 2)]).unwrap_err();
    assert!(
        matches!(err.unavailable_as(), Some(PgError::Locked { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("locked by another process"));
    // Readers are not blocked by a writer.
    assert_eq!(
        other.load_model().unwrap().orders().len(),
        model.orders().len()
    );
    tx.rollback().unwrap();
    drop(client);
    let receipt = other.insert_generated(&[generated(&model, 2)]).unwrap();
    assert_eq!(receipt.written, 1);
}

#[test]
fn a_dataset_moves_between_sqlite_and_postgres_unchanged() {
    let Some(url) = support::postgres::server("store suite") else {
        return;
    };
    let mut sqlite = SqliteStore::in_memory().unwrap();
    let model = loaded("sqlite", &mut sqlite);
    sqlite.insert_generated(&[generated(&model, 2)]).unwrap();
    let ids = [model.orders()[0].id.clone()];
    sqlite
        .save_plan(
            &StoredPlan {
                id: "p-1".into(),
                created_at: t(2, 18),
                plan: plan_for(&model, &ids),
            },
            &[],
        )
        .unwrap();
    let exported = sqlite.export().unwrap();
    let mut postgres = PgStore::scratch(&url).unwrap();
    postgres
        .import(exported.clone(), ImportMode::Replace)
        .unwrap();
    assert_eq!(postgres.export().unwrap(), exported);
    let mut back = SqliteStore::in_memory().unwrap();
    back.import(postgres.export().unwrap(), ImportMode::Replace)
        .unwrap();
    assert_eq!(back.export().unwrap(), exported);
}

/// Tokens, the audit log, calendar ledgers and the revision (`AccessStore`) behave alike on
/// SQLite and PostgreSQL: secrets stored hashed and found until revoked, audit lines newest
/// first, ledgers upserted; the revision grows with every committed write of the store by
/// any handle, and only with those.
#[test]
fn the_host_tables_and_the_revision_behave_alike_on_both_stores() {
    use fieldwork_host::postgres::PgStore;
    use fieldwork_host::sql::access::{AuditEntry, HostStore, Role};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    /// A backend's name, a writing handle, a watching handle, and the scratch schema.
    type Pair = (
        &'static str,
        Box<dyn HostStore>,
        Box<dyn HostStore>,
        Option<PgStore>,
    );
    let mut pairs: Vec<Pair> = vec![(
        "sqlite",
        Box::new(SqliteStore::create(&path).unwrap()),
        Box::new(SqliteStore::open(&path).unwrap()),
        None,
    )];
    if let Some(url) = support::postgres::server("store suite (host tables)") {
        let scratch = PgStore::scratch(&url).unwrap();
        let url = support::postgres::with_schema(&url, scratch.schema());
        pairs.push((
            "postgres",
            Box::new(PgStore::open(&url).unwrap()),
            Box::new(PgStore::open(&url).unwrap()),
            Some(scratch),
        ));
    }
    for (name, mut writer, watch, _scratch) in pairs {
        let start = watch.revision().unwrap();
        let now = t(1, 8);
        let (record, secret) = writer
            .create_token(Role::Technician, Some("T-001"), "phone", now)
            .unwrap();
        assert_eq!(
            writer.token_for_secret(&secret).unwrap(),
            Some(record.clone()),
            "{name}"
        );
        assert_eq!(watch.token_for_secret("fw_wrong").unwrap(), None, "{name}");
        assert!(writer.revoke_token(record.id, now).unwrap(), "{name}");
        assert!(!writer.revoke_token(record.id, now).unwrap(), "{name}");
        assert_eq!(watch.token_for_secret(&secret).unwrap(), None, "{name}");
        assert_eq!(watch.tokens().unwrap().len(), 1, "{name}");
        for i in 0..3 {
            writer
                .audit(&AuditEntry {
                    at: format!("2027-03-01T08:00:0{i}Z"),
                    token_id: Some(record.id),
                    subject: "phone".into(),
                    request: format!("POST /orders/SO-{i}/start"),
                    status: 200,
                    outcome: "ok".into(),
                })
                .unwrap();
        }
        let log = watch.audit_log(2, 0).unwrap();
        assert_eq!(log.len(), 2, "{name}");
        assert_eq!(log[0].request, "POST /orders/SO-2/start", "{name}");
        assert_eq!(watch.audit_log(10, 2).unwrap().len(), 1, "{name}");
        writer.save_ics_ledger("T-001", "{\"a\":1}").unwrap();
        writer.save_ics_ledger("T-001", "{\"a\":2}").unwrap();
        assert_eq!(
            watch.ics_ledger("T-001").unwrap().as_deref(),
            Some("{\"a\":2}"),
            "{name}"
        );
        assert_eq!(watch.ics_ledger("T-002").unwrap(), None, "{name}");
        // The revision: unchanged by the host's tables (tokens, audit lines, ledgers), grown
        // by a write of the store, read on any handle.
        let before = watch.revision().unwrap();
        assert_eq!(
            before, start,
            "{name}: the host's tables leave the revision alone"
        );
        writer.import(small_dataset(), ImportMode::Replace).unwrap();
        let after = watch.revision().unwrap();
        assert!(
            after > before,
            "{name}: a committed import grows the revision"
        );
        assert_eq!(
            writer.revision().unwrap(),
            after,
            "{name}: the writer reads it too"
        );
        writer.import(small_dataset(), ImportMode::Replace).unwrap();
        assert!(
            watch.revision().unwrap() > after,
            "{name}: a replacement (which clears the batch log) grows it again"
        );
    }
}
