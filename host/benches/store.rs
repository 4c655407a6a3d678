//! Store benchmark: persist one year of generated service orders for 100,000 agreement lines
//! (a third weekly, a third monthly, a third quarterly: ~2.3 million orders) into a fresh SQLite
//! database through `SqliteStore::insert_generated`, against a plain rusqlite insert loop of the
//! same rows (pre-encoded values, same schema, same connection settings, same transactions) in
//! the same run — the physical limit of the store. Goal: the store within 1.5× of the loop.
//!
//! Only the writes are timed: building the orders and encoding the baseline's rows happen
//! outside the measurement. Each write batch holds the orders of 2,000 lines (~45,000 orders).
//! Every run writes the year both ways, interleaved batch by batch into two fresh databases,
//! so that load on a shared machine hits both alike; criterion reports each variant's times
//! (the plain loop's as measured in those runs) and the last line prints orders per second and
//! the ratio over all runs.
//! `FIELDWORK_BENCH_LINES=N` scales the run down (e.g. 10000 for a quick look).
//!
//! With `FIELDWORK_TEST_POSTGRES` set (a connection URL, see `.ci/pg-cluster`), the same year
//! is also written into PostgreSQL through `PgStore::insert_generated`, against a raw
//! multi-row `INSERT … VALUES (…), (…)` loop of the same pre-encoded rows (1,000 rows per
//! statement, one transaction per batch, same schema) in the same run, interleaved batch by
//! batch in the same way; each run starts from two scratch schemas holding the reference data.
//! Goal: the store within 1.5× of the raw loop.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use fieldwork::model::*;
use fieldwork::store::{GeneratedOrder, ImportMode, Store};
use fieldwork_host::postgres::PgStore;
use fieldwork_host::sqlite::SqliteStore;
use rusqlite::params;
use rust_decimal::Decimal;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, Instant};

const LINES_PER_AGREEMENT: usize = 4;
const LINES_PER_BATCH: usize = 2_000;
const YEAR: i32 = 2027;

fn line_count() -> usize {
    std::env::var("FIELDWORK_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// The reference data: customers and agreements carrying `lines` lines.
fn dataset(lines: usize) -> Dataset {
    let agreements = lines.div_ceil(LINES_PER_AGREEMENT);
    let customers = agreements.div_ceil(5);
    let mut ds = Dataset {
        tasks: vec![ServiceTask {
            code: TaskCode::new("HVAC-INSP"),
            description: "Inspect air-conditioning unit".into(),
            required_skills: vec![SkillRequirement {
                skill: "hvac".into(),
                min_level: 2,
            }],
            duration_minutes: 60,
            parts: Default::default(),
            tools: Vec::new(),
        }],
        ..Dataset::default()
    };
    for c in 0..customers {
        ds.customers.push(Customer {
            id: CustomerId::new(format!("C-{c:06}")),
            name: format!("Customer {c}"),
            tier: ["gold", "silver", "bronze"][c % 3].into(),
            time_zone: TimeZoneName::new("Europe/Berlin"),
            location: Location::new(52.5, 13.4),
            address: None,
            calendar: None,
            visiting_hours: None,
            territory: None,
            excluded_technicians: Vec::new(),
        });
    }
    let rules = [
        "FREQ=WEEKLY;BYDAY=MO",
        "FREQ=MONTHLY;BYMONTHDAY=15",
        "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1",
    ];
    for a in 0..agreements {
        let first = a * LINES_PER_AGREEMENT;
        let lines = (first..(first + LINES_PER_AGREEMENT).min(lines))
            .map(|l| AgreementLine {
                id: AgreementLineId::new(format!("L-{l:06}")),
                service_object: None,
                task: TaskCode::new("HVAC-INSP"),
                recurrence: Recurrence {
                    rrule: rules[l % 3].into(),
                    dtstart: NaiveDate::from_ymd_opt(YEAR, 1, 1)
                        .and_then(|d| d.and_hms_opt(9, 0, 0))
                        .unwrap(),
                    exdates: Vec::new(),
                    rdates: Vec::new(),
                },
                start: None,
                end: None,
                price: Decimal::new(12000, 2),
                preferred_technician: None,
                priority: None,
                stopped: false,
            })
            .collect();
        ds.agreements.push(ServiceAgreement {
            id: AgreementId::new(format!("A-{a:06}")),
            customer: CustomerId::new(format!("C-{:06}", a / 5)),
            valid_from: NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap(),
            valid_to: None,
            status: AgreementStatus::Active,
            sla_policy: None,
            lines,
        });
    }
    ds
}

/// Occurrence dates of line `l` in the year (weekly Mondays, monthly 15th, quarterly 1st).
fn occurrences(l: usize) -> Vec<NaiveDate> {
    let jan1 = NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap();
    match l % 3 {
        0 => {
            let first =
                jan1 + Duration::days(((7 - jan1.weekday().num_days_from_monday()) % 7) as i64);
            (0..53)
                .map(|w| first + Duration::weeks(w))
                .filter(|d| d.year() == YEAR)
                .collect()
        }
        1 => (1..=12)
            .filter_map(|m| NaiveDate::from_ymd_opt(YEAR, m, 15))
            .collect(),
        _ => [1, 4, 7, 10]
            .iter()
            .filter_map(|&m| NaiveDate::from_ymd_opt(YEAR, m, 1))
            .collect(),
    }
}

/// The generated orders of lines `range` (as order generation produces them).
fn orders(ds: &Dataset, range: std::ops::Range<usize>) -> Vec<GeneratedOrder> {
    let mut out = Vec::new();
    for l in range {
        let agreement = &ds.agreements[l / LINES_PER_AGREEMENT];
        let line = &agreement.lines[l % LINES_PER_AGREEMENT];
        for date in occurrences(l) {
            let occurrence = date.and_hms_opt(9, 0, 0).unwrap();
            let created = Utc.from_utc_datetime(&(occurrence - Duration::days(14)));
            let mut order = ServiceOrder::new(
                format!("SO-{}-{}", line.id, date.format("%Y%m%d")),
                agreement.customer.clone(),
                Priority::Normal,
                created,
            );
            order.agreement = Some(agreement.id.clone());
            order.origin = OrderOrigin::Agreement {
                line: line.id.clone(),
                occurrence,
            };
            order.due = Some(Utc.from_utc_datetime(&(occurrence + Duration::hours(8))));
            order.lines.push(OrderLine {
                kind: LineKind::Task,
                task: Some(line.task.clone()),
                agreement_line: Some(line.id.clone()),
                description: String::new(),
                quantity: Decimal::ONE,
                unit_price: line.price,
            });
            out.push(GeneratedOrder {
                key: format!("{}@{}", line.id, occurrence.format("%Y-%m-%dT%H:%M:%S")),
                order,
            });
        }
    }
    out
}

/// One row as the baseline inserts it: every value already encoded.
struct Row {
    key: String,
    id: String,
    customer: String,
    agreement: Option<String>,
    line: Option<String>,
    occurrence: Option<String>,
    created: String,
    due: Option<String>,
    doc: String,
}

fn encode(orders: &[GeneratedOrder]) -> Vec<Row> {
    let at = |t: &chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    orders
        .iter()
        .map(|g| {
            let o = &g.order;
            let (line, occurrence) = match &o.origin {
                OrderOrigin::Agreement { line, occurrence } => (
                    Some(line.to_string()),
                    Some(occurrence.format("%Y-%m-%dT%H:%M:%S").to_string()),
                ),
                OrderOrigin::Manual | OrderOrigin::ReturnOrder { .. } => (None, None),
            };
            Row {
                key: g.key.clone(),
                id: o.id.to_string(),
                customer: o.customer.to_string(),
                agreement: o.agreement.as_ref().map(|a| a.to_string()),
                line,
                occurrence,
                created: at(&o.created_at),
                due: o.due.as_ref().map(at),
                doc: serde_json::to_string(o).unwrap(),
            }
        })
        .collect()
}

/// The plain loop: prepared statements, bound values, one transaction per batch.
fn plain_insert(conn: &rusqlite::Connection, rows: &[Row]) {
    let tx = conn.unchecked_transaction().unwrap();
    tx.execute(
        "INSERT INTO batches (kind, at, rows) VALUES ('generate', '2027-01-01T00:00:00Z', ?1)",
        [rows.len() as i64],
    )
    .unwrap();
    let batch = tx.last_insert_rowid();
    {
        let mut key = tx
            .prepare_cached(
                "INSERT INTO generation_keys (key, order_id, batch_id) VALUES (?1, ?2, ?3)",
            )
            .unwrap();
        let mut order = tx
            .prepare_cached(
                "INSERT INTO orders (id, customer_id, agreement_id, origin_line, \
                 origin_occurrence, priority, status, created_at, changed_at, due, batch_id, doc) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'normal', 'created', ?6, ?6, ?7, ?8, ?9)",
            )
            .unwrap();
        for r in rows {
            order
                .execute(params![
                    r.id,
                    r.customer,
                    r.agreement,
                    r.line,
                    r.occurrence,
                    r.created,
                    r.due,
                    batch,
                    r.doc
                ])
                .unwrap();
            key.execute(params![r.key, r.id, batch]).unwrap();
        }
    }
    tx.commit().unwrap();
}

/// A database file holding the reference data, copied for each run.
fn template(dir: &Path, ds: &Dataset) -> PathBuf {
    let path = dir.join("template.db");
    let mut store = SqliteStore::create(&path).unwrap();
    store.import(ds.clone(), ImportMode::Replace).unwrap();
    drop(store);
    path
}

fn fresh(dir: &Path, template: &Path, run: usize) -> PathBuf {
    let path = dir.join(format!("run-{run}.db"));
    std::fs::copy(template, &path).unwrap();
    path
}

fn cleanup(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// One full year written both ways, interleaved batch by batch (store batch, then the same
/// rows through the plain loop into a second database), so that load on a shared machine hits
/// both alike. Returns (store time, plain time).
fn year_both_ways(
    dir: &Path,
    template: &Path,
    ds: &Dataset,
    lines: usize,
    run: usize,
) -> (StdDuration, StdDuration) {
    let store_path = fresh(dir, template, 2 * run);
    let plain_path = fresh(dir, template, 2 * run + 1);
    let mut store = SqliteStore::open(&store_path).unwrap();
    let plain = SqliteStore::open(&plain_path).unwrap();
    let (mut store_time, mut plain_time) = (StdDuration::ZERO, StdDuration::ZERO);
    for start in (0..lines).step_by(LINES_PER_BATCH) {
        let batch = orders(ds, start..(start + LINES_PER_BATCH).min(lines));
        let rows = encode(&batch);
        let t = Instant::now();
        let receipt = store.insert_generated(&batch).unwrap();
        store_time += t.elapsed();
        assert_eq!(receipt.written, batch.len());
        let t = Instant::now();
        plain_insert(plain.connection(), &rows);
        plain_time += t.elapsed();
    }
    drop((store, plain));
    cleanup(&store_path);
    cleanup(&plain_path);
    (store_time, plain_time)
}

fn bench(c: &mut Criterion) {
    let lines = line_count();
    let ds = dataset(lines);
    let total: usize = (0..lines).map(|l| occurrences(l).len()).sum();
    let dir = tempfile::tempdir().unwrap();
    let template = template(dir.path(), &ds);
    let runs = RefCell::new(0usize);
    // Plain-loop timings measured alongside the store's, replayed to criterion below.
    let plain_times: RefCell<VecDeque<StdDuration>> = RefCell::new(VecDeque::new());
    let sums = RefCell::new((StdDuration::ZERO, StdDuration::ZERO, 0usize));

    let mut group = c.benchmark_group(format!("store/persist_year_{lines}_lines"));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(StdDuration::from_millis(1));
    group.measurement_time(StdDuration::from_secs(1));
    group.throughput(Throughput::Elements(total as u64));

    group.bench_function("sqlite_store", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = StdDuration::ZERO;
            for _ in 0..iters {
                let run = {
                    *runs.borrow_mut() += 1;
                    *runs.borrow()
                };
                let (store, plain) = year_both_ways(dir.path(), &template, &ds, lines, run);
                elapsed += store;
                plain_times.borrow_mut().push_back(plain);
                let mut s = sums.borrow_mut();
                s.0 += store;
                s.1 += plain;
                s.2 += 1;
            }
            elapsed
        })
    });

    group.bench_function("plain_rusqlite_loop", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = StdDuration::ZERO;
            for _ in 0..iters {
                let recorded = plain_times.borrow_mut().pop_front();
                elapsed += match recorded {
                    Some(t) => t,
                    None => {
                        // More samples than recorded runs: measure afresh.
                        let run = {
                            *runs.borrow_mut() += 1;
                            *runs.borrow()
                        };
                        year_both_ways(dir.path(), &template, &ds, lines, run).1
                    }
                };
            }
            elapsed
        })
    });
    group.finish();

    let (store_sum, plain_sum, n) = *sums.borrow();
    if n == 0 {
        return; // filtered out
    }
    let n = n as f64;
    println!(
        "\nstore: {lines} lines, {total} orders per year, {n} interleaved runs; sqlite_store {:.0} \
         orders/s, plain loop {:.0} orders/s, ratio {:.2}x (goal <= 1.5x)",
        total as f64 * n / store_sum.as_secs_f64(),
        total as f64 * n / plain_sum.as_secs_f64(),
        store_sum.as_secs_f64() / plain_sum.as_secs_f64()
    );
}

/// The raw loop on PostgreSQL: multi-row inserts of pre-encoded values, one transaction.
fn plain_pg_insert(client: &mut postgres::Client, rows: &[Row]) {
    let mut tx = client.transaction().unwrap();
    let batch: i64 = tx
        .query_one(
            "INSERT INTO batches (kind, at, rows) VALUES ('generate', '2027-01-01T00:00:00Z', $1) \
             RETURNING id",
            &[&(rows.len() as i64)],
        )
        .unwrap()
        .get(0);
    for chunk in rows.chunks(1_000) {
        let mut sql = String::from(
            "INSERT INTO orders (id, customer_id, agreement_id, origin_line, origin_occurrence, \
             priority, status, created_at, changed_at, due, batch_id, doc) VALUES ",
        );
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = Vec::new();
        for (i, r) in chunk.iter().enumerate() {
            let b = i * 8;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, 'normal', 'created', ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 6,
                b + 7,
                chunk.len() * 8 + 1,
                b + 8
            ));
            params.extend([
                &r.id as &(dyn postgres::types::ToSql + Sync),
                &r.customer,
                &r.agreement,
                &r.line,
                &r.occurrence,
                &r.created,
                &r.due,
                &r.doc,
            ]);
        }
        params.push(&batch);
        tx.execute(sql.as_str(), &params).unwrap();
        let mut sql = String::from("INSERT INTO generation_keys (key, order_id, batch_id) VALUES ");
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = Vec::new();
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${})",
                2 * i + 1,
                2 * i + 2,
                chunk.len() * 2 + 1
            ));
            params.extend([&r.key as &(dyn postgres::types::ToSql + Sync), &r.id]);
        }
        params.push(&batch);
        tx.execute(sql.as_str(), &params).unwrap();
    }
    tx.commit().unwrap();
}

/// Empties the orders, their keys and the generate batches of a store (between runs).
fn reset_pg(store: &PgStore) {
    let mut client = store.client();
    client
        .batch_execute(
            "DELETE FROM generation_keys; DELETE FROM order_status_history; \
             DELETE FROM orders; DELETE FROM batches WHERE kind = 'generate'",
        )
        .unwrap();
    // VACUUM runs outside a transaction: one statement per call.
    for table in ["orders", "generation_keys", "batches"] {
        client
            .batch_execute(&format!("VACUUM ANALYZE {table}"))
            .unwrap();
    }
}

/// One full year written both ways into PostgreSQL, interleaved batch by batch. Returns
/// (store time, raw loop time).
fn pg_year_both_ways(
    store: &mut PgStore,
    plain: &PgStore,
    ds: &Dataset,
    lines: usize,
) -> (StdDuration, StdDuration) {
    reset_pg(store);
    reset_pg(plain);
    let (mut store_time, mut plain_time) = (StdDuration::ZERO, StdDuration::ZERO);
    for start in (0..lines).step_by(LINES_PER_BATCH) {
        let batch = orders(ds, start..(start + LINES_PER_BATCH).min(lines));
        let rows = encode(&batch);
        let t = Instant::now();
        let receipt = store.insert_generated(&batch).unwrap();
        store_time += t.elapsed();
        assert_eq!(receipt.written, batch.len());
        let t = Instant::now();
        plain_pg_insert(&mut plain.client(), &rows);
        plain_time += t.elapsed();
    }
    (store_time, plain_time)
}

fn bench_postgres(c: &mut Criterion) {
    let Ok(url) = std::env::var("FIELDWORK_TEST_POSTGRES") else {
        println!("store/postgres: skipped (FIELDWORK_TEST_POSTGRES is not set)");
        return;
    };
    let lines = line_count();
    let ds = dataset(lines);
    let total: usize = (0..lines).map(|l| occurrences(l).len()).sum();
    let mut store = PgStore::scratch(&url).unwrap();
    store.import(ds.clone(), ImportMode::Replace).unwrap();
    let mut plain = PgStore::scratch(&url).unwrap();
    plain.import(ds.clone(), ImportMode::Replace).unwrap();
    let store = RefCell::new(store);
    let plain_times: RefCell<VecDeque<StdDuration>> = RefCell::new(VecDeque::new());
    let sums = RefCell::new((StdDuration::ZERO, StdDuration::ZERO, 0usize));

    let mut group = c.benchmark_group(format!("store/persist_year_{lines}_lines"));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(StdDuration::from_millis(1));
    group.measurement_time(StdDuration::from_secs(1));
    group.throughput(Throughput::Elements(total as u64));
    group.bench_function("postgres_store", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = StdDuration::ZERO;
            for _ in 0..iters {
                let (s, p) = pg_year_both_ways(&mut store.borrow_mut(), &plain, &ds, lines);
                elapsed += s;
                plain_times.borrow_mut().push_back(p);
                let mut sum = sums.borrow_mut();
                sum.0 += s;
                sum.1 += p;
                sum.2 += 1;
            }
            elapsed
        })
    });
    // The ratio over the same interleaved runs, printed before criterion replays the raw
    // loop's times (so it never depends on a fresh run).
    let (store_sum, plain_sum, n) = *sums.borrow();
    let n = n as f64;
    println!(
        "\nstore: {lines} lines, {total} orders per year, {n} interleaved runs; postgres_store \
         {:.0} orders/s, raw multi-row insert loop {:.0} orders/s, ratio {:.2}x (goal <= 1.5x)",
        total as f64 * n / store_sum.as_secs_f64(),
        total as f64 * n / plain_sum.as_secs_f64(),
        store_sum.as_secs_f64() / plain_sum.as_secs_f64()
    );
    group.bench_function("raw_postgres_multirow_insert", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = StdDuration::ZERO;
            for _ in 0..iters {
                let recorded = plain_times.borrow_mut().pop_front();
                elapsed += match recorded {
                    Some(t) => t,
                    None => pg_year_both_ways(&mut store.borrow_mut(), &plain, &ds, lines).1,
                };
            }
            elapsed
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_postgres);
criterion_main!(benches);
