//! The main job's scheduling at the size of a real service business: datasets of K demo
//! regions side by side (`fieldwork demo-data --regions K`: 40 technicians, 300 customers and
//! 150 open orders per region), the first five days planned.
//!
//! * `prepare/K`: [`field::prepare`] — dispatch context, each order's eligible technicians
//!   (O(orders × technicians) rule checks, a few ns each), the travel matrix blocked by reach
//!   (O(Σ group²), linear in K), vehicles, jobs, neighbour lists.
//! * `prepare_all_pairs_reference/K`: the old path's travel matrix in the same run: the
//!   context and a dense matrix over all (t + o)² pairs (K ≤ 10: it takes memory quadratic in K).
//! * `construct/K`: the solver's regret construction alone (`max_iterations: 0`) on the
//!   prepared problem (per-job eligible routes, cached regret keys: O(n · e) insertions).
//!
//! After the runs the bench prints each phase's time against K × its K = 1 time (the linear
//! reference). `FIELDWORK_BENCH_REGIONS=1,5,10,25,50` chooses the sizes (default 1,5,10,25).

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use fieldwork::demo::{generate, DemoOptions};
use fieldwork::dispatch::{Dispatcher, OrderIx, TechIx};
use fieldwork::model::{Model, OrderId};
use fieldwork::schedule::field::{prepare, PlanRequest, ScheduleOptions};
use fieldwork::schedule::solver::{solve, SolverConfig, TravelMatrix};

struct Case {
    k: usize,
    model: Model,
    orders: Vec<OrderId>,
}

fn case(k: usize) -> Case {
    let anchor: NaiveDate = "2027-03-01".parse().unwrap();
    let mut options = DemoOptions::new(42, anchor).with_regions(k);
    options.open_orders = 150;
    let model = Model::from_dataset(generate(&options)).unwrap();
    let orders = model.orders().iter().map(|o| o.id.clone()).collect();
    Case { k, model, orders }
}

fn regions() -> Vec<usize> {
    std::env::var("FIELDWORK_BENCH_REGIONS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 5, 10, 25])
}

fn bench(c: &mut Criterion) {
    let from = Utc.with_ymd_and_hms(2027, 2, 28, 23, 0, 0).unwrap();
    let to = from + Duration::days(5);
    let dues = HashMap::new();
    let options = ScheduleOptions {
        iterations: Some(0),
        time_budget: None,
        ..ScheduleOptions::default()
    };
    let dispatcher = Dispatcher::default();
    let mut summary = Vec::new();
    for k in regions() {
        let case = case(k);
        let request = PlanRequest::new(&case.orders, &dues, from, to);
        let mut group = c.benchmark_group(format!("scale_k{:02}", case.k));
        group.sample_size(10);
        group.bench_function("prepare", |b| {
            b.iter(|| black_box(prepare(&case.model, &dispatcher, &request, &options).unwrap()))
        });
        if k <= 10 {
            group.bench_function("prepare_all_pairs_reference", |b| {
                b.iter(|| {
                    let ctx = dispatcher.context(&case.model, &case.orders, from).unwrap();
                    black_box(all_pairs(&ctx))
                })
            });
        }
        let problem = prepare(&case.model, &dispatcher, &request, &options).unwrap();
        let config = SolverConfig::default().with_iterations(Some(0));
        group.bench_function("construct", |b| {
            b.iter(|| black_box(solve(&problem, &config).unwrap()))
        });
        group.finish();
        // One timed run of each phase for the summary (criterion's figures are the reference).
        let t = Instant::now();
        let p = prepare(&case.model, &dispatcher, &request, &options).unwrap();
        let prep = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let s = solve(&p, &config).unwrap();
        let cons = t.elapsed().as_secs_f64();
        summary.push((
            k,
            case.model.technicians().len(),
            case.orders.len(),
            p.matrix().stored_entries(),
            prep,
            cons,
            s.unassigned.len(),
        ));
    }
    if let Some(&(_, _, _, _, p1, c1, _)) = summary.first() {
        println!("\nK  techs  orders  matrix entries  prepare s  (÷ K·K1)  construct s  (÷ K·K1)  unassigned");
        for &(k, t, o, m, p, c, u) in &summary {
            let kf = k as f64;
            println!(
                "{k:<2} {t:>6} {o:>7} {m:>15} {p:>10.3} {:>9.2} {c:>12.3} {:>9.2} {u:>11}",
                p / (kf * p1),
                c / (kf * c1)
            );
        }
    }
}

/// The old preparation's travel matrix: every pair of technicians' homes and order sites.
fn all_pairs(ctx: &fieldwork::dispatch::PolicyContext<'_>) -> TravelMatrix {
    let n_t = ctx.technician_count();
    let size = n_t + ctx.order_count();
    TravelMatrix::from_fn(size, |a, b| {
        let tr = match (a >= n_t, b >= n_t) {
            (true, true) => ctx.travel_between_orders(OrderIx(a - n_t), OrderIx(b - n_t)),
            (true, false) => ctx.travel_from_home(OrderIx(a - n_t), TechIx(b)),
            (false, true) => ctx.travel_from_home(OrderIx(b - n_t), TechIx(a)),
            (false, false) => return (0.0, 0.0),
        };
        (tr.minutes.ceil() * 60.0, tr.km)
    })
    .unwrap()
}

criterion_group!(benches, bench);
criterion_main!(benches);
