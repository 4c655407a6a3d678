//! Cost of a rule call against the native code it replaces.
//!
//! A dispatch score `score_bench(order, tech)` reading five getters is called through the
//! rule runtime ([`RuleSet::call_hook`], including argument passing, the sandbox's deadline
//! and error mapping) and computed by a native Rust function, in one run. The ratio printed
//! at the end is the number `rules/README.md` quotes: it is why hooks run once per run,
//! order or technician and return parameters, while per-pair grading is native.
//!
//! Run: `cargo bench --bench rules` (add `-- --quick` for a shorter run).

mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::Criterion;
use fieldwork::model::{ServiceOrder, SkillRequirement, Technician};
use fieldwork::rules::domain::{self, RuleOrder};
use fieldwork::rules::RuleSet;
use rhai::packages::{Package, StandardPackage};
use rhai::{CallFnOptions, Dynamic, Engine, Scope};

const SCRIPT: &str = r#"
fn score_bench(order, tech) {
    if !tech.active { return 0; }
    let urgency = order.priority_weight * 10;
    let fit = 40 - min(order.duration_minutes, 240) / 6;
    let load = tech.max_hours_per_day * 2.0 - order.demand;
    urgency + fit + load
}
fn score_empty(order, tech) { 0 }
"#;

fn native_score(order: &ServiceOrder, duration_minutes: u32, tech: &Technician) -> f64 {
    if !tech.active {
        return 0.0;
    }
    let urgency = i64::from(order.priority.weight()) * 10;
    let fit = 40 - i64::from(duration_minutes.min(240)) / 6;
    let load = tech.max_hours_per_day * 2.0 - order.demand;
    (urgency + fit) as f64 + load
}

struct Fixture {
    rules: RuleSet,
    order: ServiceOrder,
    tech: Technician,
    order_dyn: Dynamic,
    tech_dyn: Dynamic,
}

fn fixture() -> Fixture {
    let order: ServiceOrder = serde_json::from_str(
        r#"{"id":"SO-1","customer":"C-1","origin":{"kind":"manual"},"priority":"high",
            "created_at":"2025-03-07T10:00:00Z","demand":1.5}"#,
    )
    .expect("order fixture");
    let tech: Technician = serde_json::from_str(
        r#"{"id":"T-1","name":"Ada","skills":{"hvac":4},"home":{"lat":52.5,"lon":13.4},
            "calendar":"office","hourly_cost":"55.50","max_hours_per_day":8.0}"#,
    )
    .expect("technician fixture");
    let rules = RuleSet::from_sources(&[("bench.rhai", SCRIPT)]).expect("bench rules load");
    let order_dyn = Dynamic::from(RuleOrder::from_parts(
        order.clone(),
        90,
        vec![SkillRequirement {
            skill: "hvac".into(),
            min_level: 2,
        }],
    ));
    let tech_dyn = domain::technician(&tech);
    Fixture {
        rules,
        order,
        tech,
        order_dyn,
        tech_dyn,
    }
}

fn rhai_score(f: &Fixture, hook: &str) -> f64 {
    let v = f
        .rules
        .call_hook(hook, (f.order_dyn.clone(), f.tech_dyn.clone()))
        .expect("hook runs")
        .expect("hook defined");
    f.rules.expect_number(hook, v).expect("a number")
}

fn bench(c: &mut Criterion, f: &Fixture) {
    // Same answer both ways.
    assert_eq!(
        rhai_score(f, "score_bench"),
        native_score(&f.order, 90, &f.tech)
    );
    let mut g = c.benchmark_group("dispatch_score");
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("native", |b| {
        b.iter(|| native_score(black_box(&f.order), black_box(90), black_box(&f.tech)))
    });
    g.bench_function("rhai_call_hook", |b| {
        b.iter(|| rhai_score(black_box(f), "score_bench"))
    });
    g.bench_function("rhai_empty_hook", |b| {
        b.iter(|| rhai_score(black_box(f), "score_empty"))
    });
    // Baseline: a bare Rhai engine (standard package, the same five getters, no sandbox),
    // to show what the sandbox itself costs.
    let (raw, ast) = raw_engine();
    let options = || CallFnOptions::new().eval_ast(false);
    g.bench_function("rhai_raw_engine", |b| {
        b.iter(|| {
            raw.call_fn_with_options::<Dynamic>(
                options(),
                &mut Scope::new(),
                &ast,
                "score_bench",
                (f.order_dyn.clone(), f.tech_dyn.clone()),
            )
            .expect("raw call")
        })
    });
    g.finish();
}

/// A bare engine with the getters `score_bench` reads.
fn raw_engine() -> (Engine, rhai::AST) {
    let mut engine = Engine::new_raw();
    engine.register_global_module(StandardPackage::new().as_shared_module());
    engine
        .register_get("priority_weight", |o: &mut RuleOrder| {
            i64::from(o.order().priority.weight())
        })
        .register_get("duration_minutes", |_: &mut RuleOrder| 90_i64)
        .register_get("demand", |o: &mut RuleOrder| o.order().demand)
        .register_get("active", |t: &mut Arc<Technician>| t.active)
        .register_get("max_hours_per_day", |t: &mut Arc<Technician>| {
            t.max_hours_per_day
        });
    let ast = engine.compile(SCRIPT).expect("compiles");
    (engine, ast)
}

fn main() {
    let f = fixture();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &f);
    c.final_summary();

    if let (Some(native), Some(rule), Some(empty), Some(raw)) = (
        support::criterion_median("dispatch_score", "native"),
        support::criterion_median("dispatch_score", "rhai_call_hook"),
        support::criterion_median("dispatch_score", "rhai_empty_hook"),
        support::criterion_median("dispatch_score", "rhai_raw_engine"),
    ) {
        println!(
            "dispatch score (criterion medians): native {native:.1} ns, rule {rule:.0} ns \
             (empty hook {empty:.0} ns, bare Rhai engine {raw:.0} ns): \
             rule/native ratio {:.0}x, sandbox/bare {:.2}x",
            rule / native,
            rule / raw
        );
    }
}
