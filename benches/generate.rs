//! Order generation over 100,000 agreement lines and one year, against plain `rrule`
//! expansion of the same lines in the same run.
//!
//! Lines: a third weekly (one weekday), a third monthly (a day of the month, or an ordinal
//! weekday), a third quarterly; DTSTARTs spread over the five years before the window, at
//! 07:00–16:00 local, in three zones; customers with and without a holiday calendar.
//!
//! * `raw_rrule/parse_and_expand`: `model::rrule_set` (the crate's parser) and the crate's
//!   iterator from DTSTART, occurrences in the window collected — what a plain
//!   implementation does.
//! * `raw_rrule/expand_preparsed`: the same iteration with the sets parsed beforehand.
//! * `expand_only`: our expansion (parse, fast-forward, window) without orders.
//! * `generate/native_default`: full generation (clipping, adjustment by the native twin of
//!   the shipped rule, units, coverage check, ids, orders added to the model), by line.
//!   SLA response targets from the SLA engine on every order.
//! * `generate/shipped_rule_rhai`: the same with `rules/recurrence.rhai` through the rule
//!   runtime (its results cached per occurrence time and calendar).
//! * `generate/native_no_sla`: the native default without SLA targets.
//! * `generate/native_by_agreement`: native default, grouped per agreement and date.
//!
//! Throughput is in occurrences (raw, expand) or created orders (generate) per second.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rust_decimal::Decimal;
use std::hint::black_box;
use std::time::Instant;

use fieldwork::model::{
    rrule_set, AgreementLine, AgreementLineId, AgreementStatus, BusinessCalendar, Customer,
    Dataset, Location, Model, Recurrence, ServiceAgreement, ServiceTask, WeeklyHours,
};
use fieldwork::random::SplitMix64;
use fieldwork::recurrence::generate::{generate_orders, GenerateOptions, GroupBy};
use fieldwork::recurrence::{Expander, Window};
use fieldwork::rules::RuleSet;

const LINES: usize = 100_000;
const LINES_PER_AGREEMENT: usize = 4;
const CUSTOMERS: usize = 5_000;
const ZONES: [&str; 3] = ["Europe/Berlin", "America/New_York", "Australia/Sydney"];

fn calendar(zone: &str) -> BusinessCalendar {
    let day = vec![fieldwork::model::OpeningInterval::parse("08:00", "17:00").unwrap()];
    let holidays = [
        "2027-01-01",
        "2027-04-02",
        "2027-04-05",
        "2027-05-01",
        "2027-12-24",
        "2027-12-25",
    ];
    BusinessCalendar {
        id: format!("cal-{zone}").as_str().into(),
        time_zone: zone.parse::<chrono_tz::Tz>().unwrap().into(),
        weekly: WeeklyHours {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day,
            ..WeeklyHours::default()
        },
        holidays: holidays.iter().map(|d| d.parse().unwrap()).collect(),
        exceptions: Default::default(),
    }
}

fn recurrence(rng: &mut SplitMix64, i: usize) -> Recurrence {
    let days = ["MO", "TU", "WE", "TH", "FR", "SA"];
    let rrule = match i % 3 {
        0 => format!("FREQ=WEEKLY;BYDAY={}", days[rng.below(6)]),
        1 if rng.below(2) == 0 => format!("FREQ=MONTHLY;BYMONTHDAY={}", 1 + rng.below(28)),
        1 => format!(
            "FREQ=MONTHLY;BYDAY={}{}",
            1 + rng.below(4),
            days[rng.below(5)]
        ),
        _ => format!("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY={}", 1 + rng.below(28)),
    };
    let start =
        NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + Duration::days(rng.below(5 * 365) as i64);
    let time = NaiveTime::from_hms_opt(7 + rng.below(10) as u32, 0, 0).unwrap();
    Recurrence {
        rrule,
        dtstart: NaiveDateTime::new(start, time),
        exdates: vec![],
        rdates: vec![],
    }
}

fn build_model() -> Model {
    let mut rng = SplitMix64::new(2027);
    let mut dataset = Dataset {
        calendars: ZONES.iter().map(|z| calendar(z)).collect(),
        tasks: vec![ServiceTask {
            code: "INSP".into(),
            description: "Inspection".into(),
            required_skills: vec![],
            duration_minutes: 60,
            parts: Default::default(),
            tools: Vec::new(),
        }],
        ..Dataset::default()
    };
    for c in 0..CUSTOMERS {
        let zone = ZONES[c % ZONES.len()];
        dataset.customers.push(Customer {
            id: format!("C-{c}").as_str().into(),
            name: format!("Customer {c}"),
            tier: "gold".into(),
            time_zone: zone.parse::<chrono_tz::Tz>().unwrap().into(),
            location: Location::new(50.0, 10.0),
            address: None,
            // Every fourth customer has no calendar (Monday to Friday).
            calendar: (c % 4 != 0).then(|| format!("cal-{zone}").as_str().into()),
            visiting_hours: None,
            territory: None,
            excluded_technicians: vec![],
        });
    }
    for a in 0..LINES / LINES_PER_AGREEMENT {
        let lines = (0..LINES_PER_AGREEMENT)
            .map(|l| {
                let i = a * LINES_PER_AGREEMENT + l;
                AgreementLine {
                    id: AgreementLineId::new(format!("L-{i}")),
                    service_object: None,
                    task: "INSP".into(),
                    recurrence: recurrence(&mut rng, i),
                    start: None,
                    end: None,
                    price: Decimal::from(80),
                    preferred_technician: None,
                    priority: None,
                    stopped: false,
                }
            })
            .collect();
        dataset.agreements.push(ServiceAgreement {
            id: format!("A-{a}").as_str().into(),
            customer: format!("C-{}", a % CUSTOMERS).as_str().into(),
            valid_from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            valid_to: None,
            status: AgreementStatus::Active,
            sla_policy: None,
            lines,
        });
    }
    Model::from_dataset(dataset).expect("bench model is valid")
}

/// The shipped rule files (`rules/`), compiled once by the rule runtime.
fn shipped_rules() -> RuleSet {
    RuleSet::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules")).expect("shipped rules load")
}

fn window() -> Window {
    Window::new(
        NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2028, 1, 1).unwrap(),
    )
    .unwrap()
}

/// Line recurrences with their customers' zones.
fn lines(model: &Model) -> Vec<(Recurrence, chrono_tz::Tz)> {
    model
        .agreements()
        .iter()
        .flat_map(|a| {
            let tz = model.customer(&a.customer).unwrap().time_zone.tz().unwrap();
            a.lines.iter().map(move |l| (l.recurrence.clone(), tz))
        })
        .collect()
}

fn raw_parse_and_expand(lines: &[(Recurrence, chrono_tz::Tz)], w: Window) -> usize {
    let mut buffer = Vec::new();
    let mut total = 0;
    for (rec, tz) in lines {
        let set = rrule_set(rec, *tz).unwrap().limit();
        buffer.clear();
        collect_window(&set, w, &mut buffer);
        total += buffer.len();
    }
    total
}

fn collect_window(set: &rrule::RRuleSet, w: Window, out: &mut Vec<chrono::DateTime<rrule::Tz>>) {
    for dt in set {
        let date = dt.naive_local().date();
        if date >= w.to() {
            break;
        }
        if date >= w.from() {
            out.push(dt);
        }
    }
}

fn options() -> GenerateOptions<'static> {
    GenerateOptions::new(Utc.with_ymd_and_hms(2026, 12, 20, 6, 0, 0).unwrap())
}

/// Median seconds of `runs` alternating rounds of raw expansion and generation (native and
/// shipped rule), and their ratios: on a shared machine, criterion's groups run minutes apart
/// under different load, so the ratio is also measured round by round.
fn interleaved_ratios(
    model: &Model,
    lines: &[(Recurrence, chrono_tz::Tz)],
    w: Window,
    shipped: &RuleSet,
) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let generate = |rules: Option<&RuleSet>| {
        let mut m = model.clone();
        let start = Instant::now();
        black_box(generate_orders(&mut m, rules, w.from(), w.to(), &options()).unwrap());
        let took = start.elapsed().as_secs_f64();
        drop(m);
        took
    };
    let (mut raw, mut native, mut rule) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        let start = Instant::now();
        black_box(raw_parse_and_expand(lines, w));
        raw.push(start.elapsed().as_secs_f64());
        native.push(generate(None));
        rule.push(generate(Some(shipped)));
    }
    let (raw, native, rule) = (median(raw), median(native), median(rule));
    eprintln!(
        "interleaved medians of 3 rounds: raw rrule {raw:.2} s, generate native {native:.2} s \
         ({:.2}x raw), generate shipped rule {rule:.2} s ({:.2}x raw)",
        native / raw,
        rule / raw
    );
}

fn bench(c: &mut Criterion) {
    let model = build_model();
    let lines = lines(&model);
    let w = window();
    let occurrences = raw_parse_and_expand(&lines, w);
    let orders = {
        let mut m = model.clone();
        generate_orders(&mut m, None, w.from(), w.to(), &options())
            .unwrap()
            .created
            .len()
    };
    eprintln!(
        "{LINES} lines, {occurrences} occurrences in {:?}..{:?}, {orders} orders",
        w.from(),
        w.to()
    );

    interleaved_ratios(&model, &lines, w, &shipped_rules());

    let mut group = c.benchmark_group("raw_rrule");
    group
        .sample_size(10)
        .measurement_time(std::time::Duration::from_secs(40));
    group.throughput(Throughput::Elements(occurrences as u64));
    group.bench_function("parse_and_expand", |b| {
        b.iter(|| black_box(raw_parse_and_expand(&lines, w)))
    });
    let sets: Vec<rrule::RRuleSet> = lines
        .iter()
        .map(|(r, tz)| rrule_set(r, *tz).unwrap().limit())
        .collect();
    group.bench_function("expand_preparsed", |b| {
        b.iter(|| {
            let mut buffer = Vec::new();
            let mut total = 0;
            for set in &sets {
                buffer.clear();
                collect_window(set, w, &mut buffer);
                total += buffer.len();
            }
            black_box(total)
        })
    });
    drop(sets);
    group.finish();

    let mut group = c.benchmark_group("expand_only");
    group
        .sample_size(10)
        .measurement_time(std::time::Duration::from_secs(30));
    group.throughput(Throughput::Elements(occurrences as u64));
    group.bench_function("ours", |b| {
        b.iter(|| {
            let mut buffer = Vec::new();
            let mut total = 0;
            for (rec, tz) in &lines {
                buffer.clear();
                Expander::new(rec, *tz).unwrap().expand_into(w, &mut buffer);
                total += buffer.len();
            }
            black_box(total)
        })
    });
    group.finish();

    let shipped = shipped_rules();
    {
        let mut m = model.clone();
        let report = generate_orders(&mut m, Some(&shipped), w.from(), w.to(), &options()).unwrap();
        eprintln!(
            "shipped rule through Rhai: {} calls for {} occurrences",
            report.rule_calls, report.occurrences
        );
    }

    let mut group = c.benchmark_group("generate");
    group
        .sample_size(10)
        .measurement_time(std::time::Duration::from_secs(60));
    group.throughput(Throughput::Elements(orders as u64));
    let variants: [(&str, Option<&RuleSet>, GenerateOptions<'static>); 4] = [
        ("native_default", None, options()),
        ("shipped_rule_rhai", Some(&shipped), options()),
        (
            "native_no_sla",
            None,
            GenerateOptions {
                sla: false,
                ..options()
            },
        ),
        (
            "native_by_agreement",
            None,
            options().group_by(GroupBy::Agreement),
        ),
    ];
    for (name, rules, options) in variants {
        group.bench_function(name, |b| {
            b.iter_batched(
                || model.clone(),
                |mut m| {
                    let report =
                        generate_orders(&mut m, rules, w.from(), w.to(), &options).unwrap();
                    assert!(report.errors.is_empty());
                    black_box(report.created.len());
                    m
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
