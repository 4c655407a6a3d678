//! Integration and property tests of recurrence expansion and order generation against simple
//! reference implementations: the `rrule` crate iterated plainly from DTSTART, and a naive
//! day-by-day business-day adjustment.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use proptest::prelude::*;
use std::collections::BTreeSet;

use fieldwork::model::{rrule_set, Model, Recurrence};
use fieldwork::recurrence::generate::{generate_with, GenerateOptions, GroupBy};
use fieldwork::recurrence::{Expander, NonBusinessDay, Window};

const ZONES: [Tz; 5] = [
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Sydney,
    chrono_tz::UTC,
    chrono_tz::Asia::Kolkata,
];

/// The reference: the crate's own set from the real DTSTART, iterated plainly, filtered to
/// the window by local date, EXDATE dates removed.
fn reference(rec: &Recurrence, tz: Tz, window: Window) -> Vec<String> {
    let set = rrule_set(rec, tz).unwrap().limit();
    let mut out = Vec::new();
    for dt in &set {
        let date = dt.naive_local().date();
        if date >= window.to() {
            break;
        }
        if window.contains(date) && !rec.exdates.contains(&date) {
            out.push(dt.fixed_offset().to_rfc3339());
        }
    }
    out
}

fn weekday_code(i: usize) -> &'static str {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][i % 7]
}

/// RRULE texts: the frequencies, INTERVAL, BYDAY with ordinals, BYMONTHDAY incl. negatives,
/// BYMONTH, BYSETPOS, COUNT and UNTIL.
fn rule() -> impl Strategy<Value = String> {
    let weekly = (1u16..=3, prop::collection::btree_set(0usize..7, 0..3)).prop_map(|(n, days)| {
        let mut r = format!("FREQ=WEEKLY;INTERVAL={n}");
        if !days.is_empty() {
            let codes: Vec<&str> = days.iter().map(|&d| weekday_code(d)).collect();
            r.push_str(&format!(";BYDAY={}", codes.join(",")));
        }
        r
    });
    let monthly_day = (
        1u16..=4,
        prop::sample::subsequence(vec![1i8, 15, 28, 29, 30, 31, -1, -2], 0..3),
    )
        .prop_map(|(n, days)| {
            let mut r = format!("FREQ=MONTHLY;INTERVAL={n}");
            if !days.is_empty() {
                let d: Vec<String> = days.iter().map(i8::to_string).collect();
                r.push_str(&format!(";BYMONTHDAY={}", d.join(",")));
            }
            r
        });
    let monthly_weekday = (
        1u16..=3,
        0usize..7,
        prop::sample::select(vec![1i8, 2, 3, 4, -1, -2]),
    )
        .prop_map(|(n, day, ord)| {
            format!("FREQ=MONTHLY;INTERVAL={n};BYDAY={ord}{}", weekday_code(day))
        });
    let last_workday = (1u16..=2, prop::sample::select(vec![1i32, 2, -1])).prop_map(|(n, pos)| {
        format!("FREQ=MONTHLY;INTERVAL={n};BYDAY=MO,TU,WE,TH,FR;BYSETPOS={pos}")
    });
    let yearly = (
        1u16..=2,
        1u32..=12,
        prop::sample::select(vec![1i8, 14, 28, 29, 31, -1]),
    )
        .prop_map(|(n, m, d)| format!("FREQ=YEARLY;INTERVAL={n};BYMONTH={m};BYMONTHDAY={d}"));
    let daily = (1u16..=10).prop_map(|n| format!("FREQ=DAILY;INTERVAL={n}"));
    let base = prop_oneof![
        weekly,
        monthly_day,
        monthly_weekday,
        last_workday,
        yearly,
        daily
    ];
    let bound = prop_oneof![
        4 => Just(String::new()),
        1 => (1u32..80).prop_map(|c| format!(";COUNT={c}")),
        1 => (2024i32..2030).prop_map(|y| format!(";UNTIL={y}0615T120000Z")),
    ];
    (base, bound).prop_map(|(b, x)| b + x.as_str())
}

fn date_from(base: NaiveDate, days: i64) -> NaiveDate {
    base + Duration::days(days)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Fast-forwarded, bounded expansion equals the plain expansion from DTSTART.
    #[test]
    fn expansion_equals_the_plain_rrule_expansion(
        rrule in rule(),
        zone in 0usize..ZONES.len(),
        start_day in 0i64..4000,
        hour in 6u32..21,
        minute in prop::sample::select(vec![0u32, 30]),
        from_day in 0i64..1500,
        len in 1i64..400,
        exdate_offsets in prop::collection::vec(0i64..400, 0..3),
    ) {
        let tz = ZONES[zone];
        let base = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
        let dtstart = date_from(base, start_day).and_hms_opt(hour, minute, 0).unwrap();
        let from = date_from(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(), from_day);
        let window = Window::new(from, date_from(from, len)).unwrap();
        let rec = Recurrence {
            rrule: rrule.clone(),
            dtstart,
            exdates: exdate_offsets.iter().map(|&o| date_from(from, o)).collect(),
            rdates: vec![],
        };
        // UNTIL before DTSTART is invalid for both; skip those draws.
        prop_assume!(rrule_set(&rec, tz).is_ok());
        let ours: Vec<String> = Expander::new(&rec, tz)
            .unwrap()
            .expand(window)
            .iter()
            .map(|o| o.to_rfc3339())
            .collect();
        prop_assert_eq!(ours, reference(&rec, tz, window), "{} from {}", rrule, dtstart);
    }
}

// ----------------------------------------------------------------------------- generation

const HOLIDAYS: [&str; 4] = ["2027-03-26", "2027-03-29", "2027-05-06", "2027-12-24"];

fn business(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
        && !HOLIDAYS.contains(&date.to_string().as_str())
}

/// The naive reference of the native policy: walk day by day.
fn reference_adjust(date: NaiveDate, policy: NonBusinessDay) -> Option<NaiveDate> {
    if business(date) {
        return Some(date);
    }
    let step = match policy {
        NonBusinessDay::Keep => return Some(date),
        NonBusinessDay::Skip => return None,
        NonBusinessDay::NextBusinessDay => 1,
        NonBusinessDay::PreviousBusinessDay => -1,
    };
    let mut d = date;
    loop {
        d += Duration::days(step);
        if business(d) {
            return Some(d);
        }
    }
}

fn model_with(rules: &[String]) -> Model {
    let lines: Vec<String> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                r#"{{"id": "L-{i}", "task": "INSP", "price": "10",
                     "recurrence": {{"rrule": "{r}", "dtstart": "2020-01-06T09:00:00"}}}}"#
            )
        })
        .collect();
    let holidays: Vec<String> = HOLIDAYS.iter().map(|h| format!("\"{h}\"")).collect();
    Model::from_json(&format!(
        r#"{{
        "calendars": [{{"id": "cal", "time_zone": "Europe/Berlin",
            "weekly": {{"mon": [["08:00","17:00"]], "tue": [["08:00","17:00"]],
                        "wed": [["08:00","17:00"]], "thu": [["08:00","17:00"]],
                        "fri": [["08:00","17:00"]]}},
            "holidays": [{}]}}],
        "customers": [{{"id": "C", "name": "C", "tier": "gold", "time_zone": "Europe/Berlin",
                        "location": {{"lat": 52.5, "lon": 13.4}}, "calendar": "cal"}}],
        "tasks": [{{"code": "INSP", "description": "Inspection", "duration_minutes": 60}}],
        "agreements": [{{"id": "A", "customer": "C", "valid_from": "2020-01-01",
                         "status": "active", "lines": [{}]}}]
    }}"#,
        holidays.join(","),
        lines.join(",")
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The generated work is the rule's own expansion minus the skipped occurrences plus the
    /// moved ones, each (line, date) once.
    #[test]
    fn generated_dates_are_the_expansion_minus_skipped_plus_moved(
        rules in prop::collection::vec(rule(), 1..4),
        policy in prop::sample::select(vec![
            NonBusinessDay::Keep, NonBusinessDay::NextBusinessDay,
            NonBusinessDay::PreviousBusinessDay, NonBusinessDay::Skip]),
        from_day in 0i64..330,
        len in 1i64..60,
    ) {
        let mut model = model_with(&rules);
        let tz = chrono_tz::Europe::Berlin;
        let from = date_from(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), from_day);
        let to = date_from(from, len);
        let window = Window::new(from, to).unwrap();
        let mut expected = BTreeSet::new();
        let (mut moved, mut skipped, mut occurrences) = (0, 0, 0);
        for (i, r) in rules.iter().enumerate() {
            let rec = Recurrence {
                rrule: r.clone(),
                dtstart: "2020-01-06T09:00:00".parse().unwrap(),
                exdates: vec![],
                rdates: vec![],
            };
            for occ in reference(&rec, tz, window) {
                occurrences += 1;
                let date = chrono::DateTime::parse_from_rfc3339(&occ).unwrap().date_naive();
                match reference_adjust(date, policy) {
                    Some(d) => {
                        moved += usize::from(d != date);
                        expected.insert((format!("L-{i}"), d));
                    }
                    None => skipped += 1,
                }
            }
        }
        let created_at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let mut adjuster = policy;
        let report = generate_with(&mut model, &mut adjuster, from, to, &GenerateOptions::new(created_at)).unwrap();
        let got: BTreeSet<(String, NaiveDate)> = model
            .orders()
            .iter()
            .map(|o| {
                let line = o.lines[0].agreement_line.clone().unwrap().to_string();
                (line, o.earliest_start.unwrap().with_timezone(&tz).date_naive())
            })
            .collect();
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(report.created.len(), expected.len());
        prop_assert_eq!((report.occurrences, report.moved_by_rule, report.skipped_by_rule),
                        (occurrences, moved, skipped));
        prop_assert!(report.errors.is_empty());
        // Idempotent: a second run over an overlapping window creates nothing new for it.
        let again = generate_with(&mut model, &mut adjuster, from, to, &GenerateOptions::new(created_at)).unwrap();
        prop_assert!(again.created.is_empty());
        prop_assert_eq!(again.skipped_existing, expected.len());
    }
}

#[test]
fn grouping_three_lines_over_a_month_through_the_public_api() {
    // Three weekly lines (Mon, Mon, Wed) and a biweekly one (Mon) over February 2027.
    let rules = [
        "FREQ=WEEKLY;BYDAY=MO".to_owned(),
        "FREQ=WEEKLY;BYDAY=MO".to_owned(),
        "FREQ=WEEKLY;BYDAY=WE".to_owned(),
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO".to_owned(),
    ];
    let created_at = Utc.with_ymd_and_hms(2027, 1, 20, 0, 0, 0).unwrap();
    let (from, to) = (
        NaiveDate::from_ymd_opt(2027, 2, 1).unwrap(),
        NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
    );
    for (group_by, expected) in [(GroupBy::Line, 14), (GroupBy::Agreement, 8)] {
        let mut model = model_with(&rules);
        let mut policy = NonBusinessDay::NextBusinessDay;
        let options = GenerateOptions::new(created_at).group_by(group_by);
        let report = generate_with(&mut model, &mut policy, from, to, &options).unwrap();
        // 4 + 4 Mondays, 4 Wednesdays, and the biweekly line (1 February is 369 weeks after
        // its DTSTART) on the 8th and the 22nd: 14 units on 8 dates.
        assert_eq!(report.created.len(), expected, "{group_by}");
    }
}

/// Every occurrence of a generation run is accounted for exactly once — created, merged into
/// another occurrence's order, already stored, skipped by the rule, or rejected — whatever the
/// grouping, with the built-in policy or the shipped rule, on a first run and on a rerun; and
/// moves are credited to the rule only when a rule ran.
#[test]
fn every_occurrence_is_accounted_for_once() {
    use fieldwork::demo::{generate, DemoOptions};
    use fieldwork::recurrence::generate::generate_orders;
    use fieldwork::rules::RuleSet;

    let anchor = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
    let mut dataset = generate(&DemoOptions::new(42, anchor));
    // One line on Saturdays, which both the shipped rule and the built-in policy move.
    // (The demo customer is open 24x7; without a calendar Monday to Friday are business days.)
    dataset.agreements[0].lines[0].recurrence.rrule = "FREQ=WEEKLY;BYDAY=SA".into();
    let customer = dataset.agreements[0].customer.clone();
    for c in dataset.customers.iter_mut().filter(|c| c.id == customer) {
        c.calendar = None;
    }
    let shipped = RuleSet::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules")).unwrap();
    let created_at = Utc.with_ymd_and_hms(2027, 2, 20, 6, 0, 0).unwrap();
    let (from, to) = (anchor, NaiveDate::from_ymd_opt(2027, 4, 1).unwrap());
    for group_by in [GroupBy::Line, GroupBy::Agreement, GroupBy::Object] {
        for rules in [None, Some(&shipped)] {
            let mut model = Model::from_dataset(dataset.clone()).unwrap();
            let mut options = GenerateOptions::new(created_at);
            options.group_by = group_by;
            let first = generate_orders(&mut model, rules, from, to, &options).unwrap();
            let again = generate_orders(&mut model, rules, from, to, &options).unwrap();
            for (run, report) in [("first", &first), ("again", &again)] {
                let context = format!("{group_by:?}, rules {}, {run} run", rules.is_some());
                assert!(
                    report.occurrences > 300,
                    "{context}: {}",
                    report.occurrences
                );
                assert_eq!(report.accounted(), report.occurrences, "{context}");
                assert!(report.errors.is_empty(), "{context}: {:?}", report.errors);
                // The shipped rule and the built-in policy both move the Saturdays (four in
                // March 2027), each credited to whoever moved them.
                let (by_rule, by_policy) = (report.moved_by_rule, report.moved_by_policy);
                match rules {
                    Some(_) => assert!(
                        by_rule >= 4 && by_policy == 0,
                        "{context}: {by_rule}, {by_policy}"
                    ),
                    None => assert!(
                        by_policy >= 4 && by_rule == 0,
                        "{context}: {by_rule}, {by_policy}"
                    ),
                }
            }
            assert!(again.created.is_empty());
            if group_by == GroupBy::Agreement {
                // Grouping merges several lines' units into one order (the demo's agreements
                // have several lines; its service objects one each).
                assert!(first.merged > 0, "{group_by:?}: nothing merged");
                assert!(first.created.len() < first.occurrences);
            }
        }
    }
}

#[test]
fn the_expander_rejects_sub_daily_and_zero_rrule_parts() {
    for (rule, needle) in [
        ("FREQ=SECONDLY", "FREQ=SECONDLY is not supported"),
        ("FREQ=MINUTELY", "FREQ=MINUTELY is not supported"),
        ("FREQ=HOURLY", "FREQ=HOURLY is not supported"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL=0"),
        ("FREQ=DAILY;COUNT=0", "COUNT=0"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY=0"),
    ] {
        let rec = Recurrence {
            rrule: rule.into(),
            dtstart: "2027-01-04T09:00:00".parse().unwrap(),
            exdates: vec![],
            rdates: vec![],
        };
        let err = Expander::new(&rec, chrono_tz::Europe::Berlin).unwrap_err();
        assert!(err.to_string().contains(needle), "{rule}: {err}");
        let err = rrule_set(&rec, chrono_tz::Europe::Berlin).unwrap_err();
        assert!(err.to_string().contains(needle), "{rule}: {err}");
    }
}

#[test]
fn a_line_with_too_many_occurrences_is_an_error_naming_it_and_others_still_generate() {
    use fieldwork::recurrence::{RecurrenceError, MAX_OCCURRENCES_PER_LINE};
    // 24 occurrences a day over 60 days: 1,440, more than the bound.
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let rules = [
        format!(
            "FREQ=DAILY;BYHOUR={};BYMINUTE=0;BYSECOND=0",
            hours.join(",")
        ),
        "FREQ=WEEKLY;BYDAY=MO".to_owned(),
    ];
    let mut model = model_with(&rules);
    let (from, to) = (
        NaiveDate::from_ymd_opt(2027, 2, 1).unwrap(),
        NaiveDate::from_ymd_opt(2027, 4, 2).unwrap(),
    );
    let options = GenerateOptions::new(Utc.with_ymd_and_hms(2027, 1, 20, 0, 0, 0).unwrap());
    let mut policy = NonBusinessDay::NextBusinessDay;
    let report = generate_with(&mut model, &mut policy, from, to, &options).unwrap();
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let err = &report.errors[0];
    assert!(
        matches!(err, RecurrenceError::TooManyOccurrences { max, .. } if *max == MAX_OCCURRENCES_PER_LINE)
    );
    assert_eq!(err.line().as_str(), "L-0");
    assert!(
        err.to_string().contains("more than 1000 occurrences"),
        "{err}"
    );
    // The weekly line still generates its Mondays; the hostile line generates nothing.
    assert_eq!(report.created.len(), 9, "{:?}", report.created);
    assert!(report.created.iter().all(|id| id.as_str().contains("L-1")));
}

#[test]
fn a_generation_window_longer_than_the_bound_is_refused() {
    use fieldwork::recurrence::{RecurrenceRuleError, MAX_GENERATION_DAYS};
    let mut model = model_with(&["FREQ=WEEKLY;BYDAY=MO".to_owned()]);
    let from = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    let options = GenerateOptions::new(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    let mut policy = NonBusinessDay::NextBusinessDay;
    let too_long = from + Duration::days(MAX_GENERATION_DAYS + 1);
    let err = generate_with(&mut model, &mut policy, from, too_long, &options).unwrap_err();
    assert!(
        matches!(err, RecurrenceRuleError::WindowTooLong { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("at most 732 days"), "{err}");
    let longest = from + Duration::days(MAX_GENERATION_DAYS);
    assert!(generate_with(&mut model, &mut policy, from, longest, &options).is_ok());
}

#[test]
fn a_non_ascii_rule_is_an_error_of_the_expander_not_a_panic() {
    // Found by fuzzing (fuzz/corpus/rrule/regression-non-ascii-byday.txt).
    let rec = Recurrence {
        rrule: "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,F\u{202e}R".into(),
        dtstart: "2027-01-04T09:00:00".parse().unwrap(),
        exdates: vec![],
        rdates: vec![],
    };
    let err = Expander::new(&rec, chrono_tz::Europe::Berlin).unwrap_err();
    assert!(err.to_string().contains("ASCII"), "{err}");
}
