//! Solomon VRPTW benchmark: the optimiser with a fixed iteration budget against the baseline
//! (the regret construction alone), on one instance of each class.
//!
//! Run with `cargo bench --bench solomon`. Before timing, the run prints the distance and the
//! gap to the best-known `distance_only` value of both variants, so quality and speed are
//! compared in the same run. The full 56-instance table is produced by
//! `cargo run --release --example solomon -- --all benches/data/solomon`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use fieldwork::schedule::solomon::{read_best_known, SolomonInstance};
use fieldwork::schedule::solver::{solve, validate, Problem, SolverConfig};

const INSTANCES: [&str; 6] = ["C101", "C201", "R101", "R201", "RC101", "RC201"];
const ITERATIONS: u64 = 2_000;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/data/solomon")
}

fn variants() -> [(&'static str, SolverConfig); 2] {
    [
        (
            "construction",
            SolverConfig::default().with_iterations(Some(0)),
        ),
        (
            "lns-2000it",
            SolverConfig::default().with_iterations(Some(ITERATIONS)),
        ),
    ]
}

fn load(name: &str) -> Problem {
    let path = data().join(format!("{name}.txt"));
    let inst = SolomonInstance::read(&path).unwrap_or_else(|e| panic!("{e}"));
    inst.to_problem().unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn bench(c: &mut Criterion) {
    let bks = read_best_known(data().join("bks.json")).unwrap_or_default();
    let mut group = c.benchmark_group("solomon");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    eprintln!(
        "{:8} {:>14} {:>10} {:>8} {:>8}",
        "instance", "variant", "distance", "gap %", "feasible"
    );
    for name in INSTANCES {
        let problem = load(name);
        let best = bks.get(name).map(|b| b.distance_only.distance);
        for (label, config) in variants() {
            let sol = solve(&problem, &config).expect("valid configuration");
            let feasible = validate(&problem, &sol).is_empty() && sol.unassigned.is_empty();
            let gap = best.map_or(f64::NAN, |b| (sol.objective.distance - b) / b * 100.0);
            eprintln!(
                "{name:8} {label:>14} {:>10.2} {gap:>+8.2} {feasible:>8}",
                sol.objective.distance
            );
            group.bench_with_input(BenchmarkId::new(label, name), &problem, |b, p| {
                b.iter(|| solve(black_box(p), &config).map(|s| s.objective.distance))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
