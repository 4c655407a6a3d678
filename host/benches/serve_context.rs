//! What one request of `fieldwork serve` pays before its handler runs: the context (store,
//! model, rules, now) on the demo database, resolved as the CLI resolves it —
//! `Context::resolve`: open, load the model, compile the rules; what every request did before
//! the server cached them — against the server's `State::context`, which reuses the model
//! while the store's revision is unchanged and the compiled rules while the rule files are.
//! Both with the built-in rules and with the shipped rule files (`rules/*.rhai`).
//!
//! `cargo bench -p fieldwork-host --bench serve_context`.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use fieldwork_host::benching::{resolve_context, ServeState};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    support::demo_db(dir.path());
    let db = dir.path().join("d.db");
    let shipped = dir.path().join("rules");
    support::copy_shipped_rules(&shipped);
    let mut group = c.benchmark_group("request context");
    group.sample_size(30);
    for (name, rules) in [
        ("built-in rules", None),
        ("shipped rules", Some(shipped.as_path())),
    ] {
        group.bench_function(format!("{name}: Context::resolve (before)"), |b| {
            b.iter(|| black_box(resolve_context(&db, rules).expect("a context")))
        });
        let state = ServeState::new(&db, rules);
        group.bench_function(format!("{name}: State::context (cached)"), |b| {
            b.iter(|| black_box(state.context().expect("a context")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
