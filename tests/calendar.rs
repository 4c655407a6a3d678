//! Business-time arithmetic against a minute-stepping reference: random calendars in
//! Europe/Berlin, America/New_York, Australia/Lord_Howe (30-minute DST), Asia/Kolkata and UTC,
//! with random holidays and exceptions, and starts concentrated around DST switches.
//!
//! The reference knows nothing of the implementation: it converts every UTC minute to local
//! time with chrono-tz and asks `BusinessCalendar::intervals_on` whether that local time is
//! open. All offsets and switches of these zones, and all generated intervals, fall on whole
//! minutes, so minute stepping is exact.

use chrono::{DateTime, NaiveDate, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use fieldwork::calendar::{parse_instant, CalendarError, CompiledCalendar};
use fieldwork::model::{BusinessCalendar, CalendarId, OpeningInterval, TimeOfDay, WeeklyHours};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

const ZONES: [Tz; 5] = [
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Asia::Kolkata,
    chrono_tz::UTC,
];
const YEARS: std::ops::Range<i32> = 2025..2029;
/// The reference gives up after this many minutes (60 days).
const MAX_STEPS: i64 = 60 * 1440;

// ---------------------------------------------------------------- reference

fn offset_at(tz: Tz, t: i64) -> i32 {
    let dt = DateTime::from_timestamp(t, 0).unwrap().naive_utc();
    tz.offset_from_utc_datetime(&dt).fix().local_minus_utc()
}

fn ref_open(cal: &BusinessCalendar, tz: Tz, t: i64) -> bool {
    let local = DateTime::from_timestamp(t, 0)
        .unwrap()
        .with_timezone(&tz)
        .naive_local();
    let sod = local.time().num_seconds_from_midnight();
    cal.intervals_on(local.date())
        .iter()
        .any(|iv| iv.start.seconds() <= sod && sod < iv.end.seconds())
}

/// First instant at which `minutes` open minutes have passed since `start`.
fn ref_add(cal: &BusinessCalendar, tz: Tz, start: i64, minutes: i64) -> Option<i64> {
    if minutes == 0 {
        return Some(start);
    }
    let mut count = 0;
    for step in 0..MAX_STEPS {
        let t = start + 60 * step;
        if ref_open(cal, tz, t) {
            count += 1;
            if count == minutes {
                return Some(t + 60);
            }
        }
    }
    None
}

fn ref_between(cal: &BusinessCalendar, tz: Tz, a: i64, b: i64) -> i64 {
    (0..(b - a) / 60)
        .filter(|step| ref_open(cal, tz, a + 60 * step))
        .count() as i64
}

fn ref_next_open(cal: &BusinessCalendar, tz: Tz, t: i64) -> Option<i64> {
    (0..MAX_STEPS)
        .map(|step| t + 60 * step)
        .find(|&m| ref_open(cal, tz, m))
}

/// The zone's offset switches in `YEARS`, found by hourly stepping (cached per zone).
fn switches(tz: Tz) -> &'static [i64] {
    static CACHE: OnceLock<HashMap<Tz, Vec<i64>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        ZONES
            .iter()
            .map(|&z| {
                let start = Utc
                    .with_ymd_and_hms(YEARS.start, 1, 1, 0, 0, 0)
                    .unwrap()
                    .timestamp();
                let end = Utc
                    .with_ymd_and_hms(YEARS.end, 1, 1, 0, 0, 0)
                    .unwrap()
                    .timestamp();
                let found = (start..end)
                    .step_by(3600)
                    .filter(|&t| offset_at(z, t) != offset_at(z, t + 3600))
                    .map(|t| t + 3600)
                    .collect();
                (z, found)
            })
            .collect()
    });
    &cache[&tz]
}

// ---------------------------------------------------------------- generators

fn time(quarter_hours: u8) -> TimeOfDay {
    TimeOfDay::from_seconds(u32::from(quarter_hours) * 900).unwrap()
}

/// 0–2 sorted, disjoint intervals on quarter hours, biased towards the small hours where DST
/// switches happen.
fn day_intervals() -> impl Strategy<Value = Vec<OpeningInterval>> {
    let bound = prop_oneof![0u8..=16, 0u8..=96];
    proptest::collection::vec(bound, 0..=4).prop_map(|mut b| {
        b.sort_unstable();
        b.dedup();
        b.chunks_exact(2)
            .map(|p| OpeningInterval {
                start: time(p[0]),
                end: time(p[1]),
            })
            .collect()
    })
}

#[derive(Debug, Clone)]
struct Case {
    calendar: BusinessCalendar,
    tz: Tz,
    /// A start in Unix seconds, on a whole minute.
    start: i64,
}

fn case() -> impl Strategy<Value = Case> {
    let zone = 0..ZONES.len();
    let week = proptest::collection::vec(day_intervals(), 7);
    let pick = any::<prop::sample::Index>();
    let around = -3 * 1440i64..3 * 1440; // minutes around the switch
    let holidays = proptest::collection::vec(-7i64..21, 0..4);
    let exceptions = proptest::collection::vec((-7i64..21, day_intervals()), 0..3);
    (zone, week, pick, around, holidays, exceptions).prop_map(
        |(zone, mut week, pick, around, holidays, exceptions)| {
            let tz = ZONES[zone];
            if week.iter().all(Vec::is_empty) {
                week[0] = vec![OpeningInterval::parse("08:00", "17:00").unwrap()];
            }
            let sw = switches(tz);
            let anchor = if sw.is_empty() {
                // No DST: any day in the years covered.
                let base = Utc
                    .with_ymd_and_hms(YEARS.start, 1, 1, 0, 0, 0)
                    .unwrap()
                    .timestamp();
                base + pick.index(4 * 365) as i64 * 86_400
            } else {
                sw[pick.index(sw.len())]
            };
            let start = anchor + around * 60;
            let anchor_date = DateTime::from_timestamp(anchor, 0).unwrap().date_naive();
            let date = |d: i64| anchor_date + TimeDelta::days(d);
            let mut w = week.into_iter();
            let mut next = || w.next().unwrap_or_default();
            let calendar = BusinessCalendar {
                id: CalendarId::new("random"),
                time_zone: tz.into(),
                weekly: WeeklyHours {
                    mon: next(),
                    tue: next(),
                    wed: next(),
                    thu: next(),
                    fri: next(),
                    sat: next(),
                    sun: next(),
                },
                holidays: holidays
                    .into_iter()
                    .map(date)
                    .collect::<BTreeSet<NaiveDate>>(),
                exceptions: exceptions
                    .into_iter()
                    .map(|(d, iv)| (date(d), iv))
                    .collect::<BTreeMap<_, _>>(),
            };
            Case {
                calendar,
                tz,
                start,
            }
        },
    )
}

fn weekly_minutes(cal: &BusinessCalendar) -> i64 {
    let days = [
        &cal.weekly.mon,
        &cal.weekly.tue,
        &cal.weekly.wed,
        &cal.weekly.thu,
        &cal.weekly.fri,
        &cal.weekly.sat,
        &cal.weekly.sun,
    ];
    days.iter()
        .flat_map(|d| d.iter())
        .map(|iv| i64::from(iv.end.seconds() - iv.start.seconds()) / 60)
        .sum()
}

fn utc(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap()
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn add_matches_minute_stepping(c in case(), fraction in 0.0f64..2.0) {
        let minutes = (weekly_minutes(&c.calendar) as f64 * fraction).min(2.0 * 1440.0) as i64;
        let compiled = CompiledCalendar::new(&c.calendar).unwrap();
        let expected = ref_add(&c.calendar, c.tz, c.start, minutes);
        prop_assume!(expected.is_some());
        let got = compiled.add(utc(c.start), TimeDelta::minutes(minutes)).unwrap();
        prop_assert_eq!(got, utc(expected.unwrap()), "{} min from {}", minutes, utc(c.start));
    }

    #[test]
    fn between_matches_minute_stepping(c in case(), len in 0i64..(6 * 1440)) {
        let compiled = CompiledCalendar::new(&c.calendar).unwrap();
        let (a, b) = (c.start, c.start + len * 60);
        let expected = ref_between(&c.calendar, c.tz, a, b);
        prop_assert_eq!(compiled.between(utc(a), utc(b)).unwrap(), TimeDelta::minutes(expected));
        prop_assert_eq!(compiled.between(utc(b), utc(a)).unwrap(), TimeDelta::minutes(-expected));
    }

    #[test]
    fn next_open_and_is_open_match_minute_stepping(c in case()) {
        let compiled = CompiledCalendar::new(&c.calendar).unwrap();
        let expected = ref_next_open(&c.calendar, c.tz, c.start);
        prop_assume!(expected.is_some());
        prop_assert_eq!(compiled.next_open(utc(c.start)).unwrap(), utc(expected.unwrap()));
        prop_assert_eq!(compiled.is_open(utc(c.start)).unwrap(), ref_open(&c.calendar, c.tz, c.start));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// To the second and over long durations: `between` inverts `add`, and `add` returns the
    /// earliest such instant (one second less is one second short).
    #[test]
    fn between_inverts_add_to_the_second(
        c in case(),
        jitter in 0i64..60,
        seconds in prop_oneof![0i64..86_400, 0i64..(2_000 * 3600)],
    ) {
        let compiled = CompiledCalendar::new(&c.calendar).unwrap();
        let start = utc(c.start + jitter);
        let d = TimeDelta::seconds(seconds);
        let due = compiled.add(start, d).unwrap();
        prop_assert_eq!(compiled.between(start, due).unwrap(), d);
        if seconds > 0 {
            let just_before = due - TimeDelta::seconds(1);
            prop_assert_eq!(compiled.between(start, just_before).unwrap(), d - TimeDelta::seconds(1));
            prop_assert!(compiled.is_open(just_before).unwrap());
        }
    }
}

// ---------------------------------------------------------------- fixed cases and bad input

#[test]
fn reference_switches_are_where_expected() {
    let berlin = switches(chrono_tz::Europe::Berlin);
    assert_eq!(berlin.len(), 8);
    assert_eq!(
        utc(berlin[0]),
        Utc.with_ymd_and_hms(2025, 3, 30, 1, 0, 0).unwrap()
    );
    assert_eq!(switches(chrono_tz::Australia::Lord_Howe).len(), 8);
    assert!(switches(chrono_tz::Asia::Kolkata).is_empty());
}

#[test]
fn lord_howe_half_hour_switch_days() {
    let cal = BusinessCalendar::from_json(
        r#"{"id":"lh","time_zone":"Australia/Lord_Howe","weekly":{"sun":[["00:00","24:00"]]}}"#,
    )
    .unwrap();
    let c = CompiledCalendar::new(&cal).unwrap();
    let sunday = |y, m, d| {
        let local = NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        chrono_tz::Australia::Lord_Howe
            .from_local_datetime(&local)
            .unwrap()
            .with_timezone(&Utc)
    };
    // 2027-04-04: 02:00 -> 01:30, a 24.5 h day; 2027-10-03: 02:00 -> 02:30, a 23.5 h day.
    let apr = sunday(2027, 4, 4);
    assert_eq!(
        c.between(apr, apr + TimeDelta::days(2)).unwrap(),
        TimeDelta::minutes(24 * 60 + 30)
    );
    let oct = sunday(2027, 10, 3);
    assert_eq!(
        c.between(oct, oct + TimeDelta::days(2)).unwrap(),
        TimeDelta::minutes(23 * 60 + 30)
    );
}

#[test]
fn bad_input_is_an_error_naming_the_field() {
    let err =
        BusinessCalendar::from_json(r#"{"id":"x","time_zone":"UTC","weekly":{"mon":[["08:00"]]}}"#)
            .unwrap_err()
            .to_string();
    assert!(err.contains("line 1"), "{err}");
    let err = BusinessCalendar::from_json(r#"{"id":"x","time_zone":"Europe/Berlinn","weekly":{}}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("time_zone") && err.contains("Europe/Berlinn"),
        "{err}"
    );
    let err = BusinessCalendar::from_json(
        r#"{"id":"x","time_zone":"UTC","weekly":{"tue":[["17:00","08:00"]]}}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("weekly.tue") && err.contains("17:00-08:00"),
        "{err}"
    );
    let err = parse_instant("start", "2027-03-01T08:00:00").unwrap_err();
    assert!(matches!(err, CalendarError::InvalidInstant { .. }));
    assert!(err.to_string().contains("UTC offset is missing"), "{err}");
    let err = parse_instant("start", "yesterday").unwrap_err().to_string();
    assert!(err.starts_with("start: `yesterday`"), "{err}");
}

#[test]
fn compiling_an_invalid_calendar_names_calendar_and_field() {
    let mut cal =
        BusinessCalendar::from_json(r#"{"id":"shop","time_zone":"UTC","weekly":{}}"#).unwrap();
    cal.weekly.fri = vec![
        OpeningInterval::parse("08:00", "12:00").unwrap(),
        OpeningInterval::parse("11:00", "13:00").unwrap(),
    ];
    let err = CompiledCalendar::new(&cal).unwrap_err().to_string();
    assert!(
        err.contains("calendar `shop`") && err.contains("weekly.fri"),
        "{err}"
    );
}
