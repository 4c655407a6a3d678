//! The main job's scheduling at the size of a real service business: datasets of K demo
//! regions side by side (`fieldwork demo-data --regions K`: 40 technicians, 300 customers and
//! 150 open orders per region), the first five days planned.
//!
//! * `prepare/K`: [`field::prepare`] — dispatch context, each order's eligible technicians
//!   (rule checks of the order's indexed candidates only: the technicians of its territory,
//!   O(Σ candidates), linear in K), the travel matrix blocked by reach (O(Σ group²), linear
//!   in K), vehicles, jobs, neighbour lists.
//! * `prepare_all_pairs_reference/K`: the old path's travel matrix in the same run: the
//!   context and a dense matrix over all (t + o)² pairs (K ≤ 10: it takes memory quadratic in K).
//! * `construct/K`: the solver's regret construction alone (`max_iterations: 0`) on the
//!   prepared problem (per-job eligible routes, cached regret keys: O(n · e) insertions).
//!
//! * `search_threads_1/K`, `search_threads_2/K` (K ≤ 10): construction and 100 × K search
//!   iterations of the prepared problem on one and on two threads. The problem falls into
//!   independent parts (territories that share no technician), each solved alone with its
//!   share of the iterations, so both give the same plan; the ratio is the speed-up.
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
use fieldwork::schedule::solver::{parts, solve, InitialPlan, SolverConfig, TravelMatrix};

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
    let mut lpt = Vec::new();
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
            b.iter(|| black_box(solve(&problem, &config.clone().with_threads(1)).unwrap()))
        });
        let mut speedup = None;
        if k <= 10 {
            let search = SolverConfig::default().with_iterations(Some(100 * k as u64));
            let mut took = [0.0; 2];
            for (i, threads) in [1, 2].into_iter().enumerate() {
                let config = search.clone().with_threads(threads);
                group.bench_function(format!("search_threads_{threads}"), |b| {
                    b.iter(|| black_box(solve(&problem, &config).unwrap()))
                });
                let t = Instant::now();
                solve(&problem, &config).unwrap();
                took[i] = t.elapsed().as_secs_f64();
            }
            speedup = Some(took[0] / took[1]);
        }
        group.finish();
        let sizes: Vec<usize> = parts(&problem, &InitialPlan::default())
            .iter()
            .map(|p| p.jobs.len())
            .collect();
        lpt.push((k, sizes, speedup));
        // One timed run of each phase for the summary (criterion's figures are the reference).
        let t = Instant::now();
        let p = prepare(&case.model, &dispatcher, &request, &options).unwrap();
        let prep = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let s = solve(&p, &config.clone().with_threads(1)).unwrap();
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
    println!("\nK  parts  largest  measured 1→2 threads  bound at 2 / 4 / 16 threads");
    for (k, sizes, speedup) in &lpt {
        println!(
            "{k:<2} {:>6} {:>8} {:>21} {:>6.2} / {:.2} / {:.2}",
            sizes.len(),
            sizes.iter().max().unwrap_or(&0),
            speedup.map_or("-".to_string(), |s| format!("{s:.2}×")),
            lpt_speedup(sizes, 2),
            lpt_speedup(sizes, 4),
            lpt_speedup(sizes, 16),
        );
    }
}

/// The speed-up a longest-first schedule of parts of `sizes` jobs (cost taken as linear in
/// jobs) reaches on `threads` threads: the design's bound when cores are many.
fn lpt_speedup(sizes: &[usize], threads: usize) -> f64 {
    let mut sorted = sizes.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let mut load = vec![0usize; threads];
    for s in sorted {
        if let Some(min) = load.iter_mut().min() {
            *min += s;
        }
    }
    let total: usize = sizes.iter().sum();
    total as f64 / load.into_iter().max().unwrap_or(1).max(1) as f64
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
