//! Billing and BOM benchmarks, each against a baseline in the same run:
//!
//! * `bill_month`: billing one month of 10,000 subscriptions with list prices ([`bill_with`]:
//!   period lookup, proration, revenue recognition, transactions) and with the shipped
//!   `subscription_price` rule (one Rhai call per period billed); the constant-time period
//!   lookup alone vs the baseline of finding each period by walking the invoice periods from
//!   the subscription's start.
//! * `bom_explosion`: exploding a 4-level, 3-version BOM with the petgraph index vs the
//!   baseline of scanning the version list for every node.

use std::collections::BTreeSet;
use std::hint::black_box;

use chrono::{Duration, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion};
use fieldwork::billing::{bill, bill_with, invoice_period, period_billed_in, ListPrice, Month};
use fieldwork::model::{BomVersion, Model};
use fieldwork::repair::Boms;
use fieldwork::rules::RuleSet;
use rust_decimal::Decimal;
use serde_json::json;

const SUBSCRIPTIONS: usize = 10_000;

fn model() -> Model {
    let base = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    let subs: Vec<_> = (0..SUBSCRIPTIONS)
        .map(|i| {
            let start = base + Duration::days((i * 37 % 2600) as i64);
            let frequency = ["monthly", "quarterly", "yearly"][i % 3];
            let alignment = ["calendar", "start"][i / 3 % 2];
            let mut s = json!({"id": format!("S-{i}"), "customer": "C-1",
                "fee": format!("{}.{:02}", 50 + i % 500, i % 100), "currency": "EUR",
                "frequency": frequency, "alignment": alignment, "start": start.to_string()});
            if i % 7 == 0 {
                s["end"] = json!((start + Duration::days(400 + (i % 900) as i64)).to_string());
            }
            s
        })
        .collect();
    let data = json!({
        "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                       "location": {"lat": 0, "lon": 0}}],
        "subscriptions": subs
    });
    Model::from_json(&data.to_string()).expect("valid benchmark model")
}

fn bill_month(c: &mut Criterion) {
    let model = model();
    let month: Month = "2027-03".parse().expect("month");
    let mut group = c.benchmark_group("bill_month");
    group.sample_size(20);
    group.bench_function("bill_with_10k", |b| {
        b.iter(|| {
            let run = bill_with(&model, month, &BTreeSet::new(), &ListPrice).expect("bills");
            black_box(run.transactions.len())
        })
    });
    let rules = RuleSet::load_dir("rules").expect("shipped rules load");
    group.bench_function("bill_with_rules_10k", |b| {
        b.iter(|| {
            let run = bill(&model, &rules, month, &BTreeSet::new()).expect("bills");
            black_box(run.transactions.len())
        })
    });
    group.bench_function("period_lookup_10k", |b| {
        b.iter(|| {
            let found = model
                .subscriptions()
                .iter()
                .filter(|s| matches!(period_billed_in(s, month), Ok(Some(_))))
                .count();
            black_box(found)
        })
    });
    group.bench_function("baseline_walk_periods_10k", |b| {
        b.iter(|| {
            let mut found = 0usize;
            for sub in model.subscriptions() {
                for k in 0.. {
                    match invoice_period(sub, k) {
                        Ok(Some(p)) if p.billing_month() < month => continue,
                        Ok(Some(p)) if p.billing_month() == month => found += 1,
                        _ => {}
                    }
                    break;
                }
            }
            black_box(found)
        })
    });
    group.finish();
}

/// Items `L<level>-<n>`, each with `WIDTH` components on the next level, in 3 versions over
/// time (the components differ per version).
fn bom_versions() -> Vec<BomVersion> {
    const WIDTH: usize = 6;
    const LEVELS: usize = 4;
    let mut out = Vec::new();
    let mut items = vec!["L0-0".to_string()];
    for level in 0..LEVELS {
        let mut next = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let children: Vec<String> = (0..WIDTH)
                .map(|c| format!("L{}-{}", level + 1, n * WIDTH + c))
                .collect();
            for (v, (from, to)) in [
                (None, Some("2024-12-31")),
                (Some("2025-01-01"), Some("2026-12-31")),
                (Some("2027-01-01"), None),
            ]
            .into_iter()
            .enumerate()
            {
                let lines: Vec<_> = children
                    .iter()
                    .skip(v % 2)
                    .map(|c| json!({"component": c, "quantity": "2"}))
                    .collect();
                let mut version =
                    json!({"id": format!("{item}-V{v}"), "item": item, "lines": lines});
                if let Some(from) = from {
                    version["valid_from"] = json!(from);
                }
                if let Some(to) = to {
                    version["valid_to"] = json!(to);
                }
                out.push(serde_json::from_value(version).expect("version"));
            }
            next.extend(children);
        }
        items = next;
    }
    out
}

/// The baseline: depth-first explosion finding each item's valid version by a linear scan.
fn naive_explode(
    versions: &[BomVersion],
    item: &str,
    on: NaiveDate,
    factor: Decimal,
    out: &mut usize,
) {
    let Some(v) = versions.iter().find(|v| v.item == item && v.valid_on(on)) else {
        return;
    };
    for line in &v.lines {
        *out += 1;
        naive_explode(versions, &line.component, on, factor * line.quantity, out);
    }
}

fn bom_explosion(c: &mut Criterion) {
    let versions = bom_versions();
    let boms = Boms::build(&versions).expect("valid BOM");
    let on = NaiveDate::from_ymd_opt(2027, 6, 1).unwrap_or_default();
    let mut group = c.benchmark_group("bom_explosion");
    group.sample_size(20);
    group.bench_function("components_of", |b| {
        b.iter(|| black_box(boms.components_of("L0-0", on).expect("explodes").len()))
    });
    group.bench_function("baseline_scan_versions", |b| {
        b.iter(|| {
            let mut rows = 0;
            naive_explode(&versions, "L0-0", on, Decimal::ONE, &mut rows);
            black_box(rows)
        })
    });
    group.bench_function("build_with_cycle_check", |b| {
        b.iter(|| black_box(Boms::build(&versions).is_ok()))
    });
    group.finish();
}

criterion_group!(benches, bill_month, bom_explosion);
criterion_main!(benches);
