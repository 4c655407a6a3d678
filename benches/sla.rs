//! Business-time arithmetic cost does not grow with the duration: `add` of a 1-hour target (the
//! baseline) against a 2,000-business-hour target (about a year of office hours, crossing both
//! DST switches and a dozen holidays) in one run, and `between` over the same two spans.
//!
//! Calendar: Europe/Berlin, Mon–Thu 08:00–17:00, Fri 08:00–15:00, Berlin public holidays
//! 2026–2029 and half days on 24 and 31 December. Each iteration computes 52 deadlines, one
//! per week of 2027 at varying times of day, so DST and holiday crossings are represented.
//! Run with `cargo bench --bench sla`; the ratio 2,000 h / 1 h must stay below 3.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fieldwork::calendar::CompiledCalendar;
use fieldwork::model::BusinessCalendar;
use std::hint::black_box;

const CALENDAR: &str = r#"{
  "id": "berlin-office", "time_zone": "Europe/Berlin",
  "weekly": {
    "mon": [["08:00","17:00"]], "tue": [["08:00","17:00"]], "wed": [["08:00","17:00"]],
    "thu": [["08:00","17:00"]], "fri": [["08:00","15:00"]]
  },
  "holidays": [
    "2026-01-01","2026-03-08","2026-04-03","2026-04-06","2026-05-01","2026-05-14","2026-05-25",
    "2026-10-03","2026-12-25","2026-12-26",
    "2027-01-01","2027-03-08","2027-03-26","2027-03-29","2027-05-01","2027-05-06","2027-05-17",
    "2027-10-03","2027-12-25","2027-12-26",
    "2028-01-01","2028-03-08","2028-04-14","2028-04-17","2028-05-01","2028-05-25","2028-06-05",
    "2028-10-03","2028-12-25","2028-12-26",
    "2029-01-01","2029-03-08","2029-03-30","2029-04-02","2029-05-01","2029-05-10","2029-05-21",
    "2029-10-03","2029-12-25","2029-12-26"
  ],
  "exceptions": {
    "2026-12-24": [["08:00","12:00"]], "2026-12-31": [["08:00","12:00"]],
    "2027-12-24": [["08:00","12:00"]], "2027-12-31": [["08:00","12:00"]],
    "2028-12-24": [["08:00","12:00"]], "2028-12-31": [["08:00","12:00"]]
  }
}"#;

/// One start per week of 2027, at a different hour each week (some outside opening hours).
fn starts() -> Vec<DateTime<Utc>> {
    let first = Utc.with_ymd_and_hms(2027, 1, 4, 6, 17, 0).unwrap();
    (0..52)
        .map(|w| first + TimeDelta::days(7 * w + w % 5) + TimeDelta::minutes(97 * w))
        .collect()
}

fn bench_sla(c: &mut Criterion) {
    let calendar = BusinessCalendar::from_json(CALENDAR).unwrap();
    let cal = CompiledCalendar::new(&calendar).unwrap();
    let starts = starts();
    let short = TimeDelta::hours(1);
    let long = TimeDelta::hours(2_000);
    let ends_short: Vec<_> = starts.iter().map(|&s| cal.add(s, short).unwrap()).collect();
    let ends_long: Vec<_> = starts.iter().map(|&s| cal.add(s, long).unwrap()).collect();

    let mut group = c.benchmark_group("sla");
    group.throughput(Throughput::Elements(starts.len() as u64));
    group.bench_function("add/1h", |b| {
        b.iter(|| {
            for &s in &starts {
                black_box(cal.add(black_box(s), black_box(short)).unwrap());
            }
        })
    });
    group.bench_function("add/2000h", |b| {
        b.iter(|| {
            for &s in &starts {
                black_box(cal.add(black_box(s), black_box(long)).unwrap());
            }
        })
    });
    group.bench_function("between/1h", |b| {
        b.iter(|| {
            for (&s, &e) in starts.iter().zip(&ends_short) {
                black_box(cal.between(black_box(s), black_box(e)).unwrap());
            }
        })
    });
    group.bench_function("between/2000h", |b| {
        b.iter(|| {
            for (&s, &e) in starts.iter().zip(&ends_long) {
                black_box(cal.between(black_box(s), black_box(e)).unwrap());
            }
        })
    });
    group.bench_function("compile", |b| {
        b.iter(|| black_box(CompiledCalendar::new(black_box(&calendar)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench_sla);
criterion_main!(benches);
