//! Appointment slots for one demo order (`schedule::slots::slots`, K = 5 two-hour windows over
//! the next 7 days, the demo's 5-day plan kept as it is), against the explained ranking of the
//! same order in the same run (`Dispatcher::rank`, what `fieldwork candidates` computes: the
//! dispatch context and every technician's grades) — the interactive call a dispatcher already
//! waits for. Also at 10 demo regions side by side (the same order, ten times the technicians
//! and plan).

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use std::collections::HashMap;
use std::hint::black_box;

use fieldwork::demo::{generate, DemoOptions};
use fieldwork::dispatch::Dispatcher;
use fieldwork::model::{Model, OrderId, OrderStatus};
use fieldwork::schedule::field::{schedule, PlanRequest, ScheduleOptions};
use fieldwork::schedule::slots::{slots, SlotRequest};

fn bench(c: &mut Criterion) {
    let anchor: NaiveDate = "2027-03-01".parse().unwrap();
    let from = Utc.from_utc_datetime(&anchor.and_hms_opt(0, 0, 0).unwrap());
    let now = from + Duration::hours(7);
    let dispatcher = Dispatcher::default();
    let options = ScheduleOptions {
        iterations: Some(500),
        time_budget: None,
        ..ScheduleOptions::default()
    };
    for regions in [1, 10] {
        let model = Model::from_dataset(generate(
            &DemoOptions::new(42, anchor).with_regions(regions),
        ))
        .unwrap();
        let orders: Vec<OrderId> = model
            .orders()
            .iter()
            .filter(|o| o.status() == OrderStatus::Created)
            .map(|o| o.id.clone())
            .collect();
        let dues = HashMap::new();
        let request = PlanRequest::new(&orders, &dues, from, from + Duration::days(5));
        let plan = schedule(&model, &dispatcher, &request, &options).unwrap();
        let order = orders[1].clone();
        let ask = SlotRequest::new(order.clone(), now);
        let offered = slots(&model, &dispatcher, Some(&plan), &ask, &options).unwrap();
        assert_eq!(offered.len(), 5);
        let mut group = c.benchmark_group(format!("slots_k{regions:02}"));
        group.bench_function("slots_5_of_7_days", |b| {
            b.iter(|| black_box(slots(&model, &dispatcher, Some(&plan), &ask, &options).unwrap()))
        });
        group.bench_function("rank_baseline", |b| {
            b.iter(|| black_box(dispatcher.rank(&model, &order, now).unwrap()))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
