//! Fuzz targets: one function per untrusted input format, each taking arbitrary bytes and
//! exercising the real code path from parsing to the first computation on the parsed value. They
//! must never panic, whatever the bytes; a bad input is an `Err` that is dropped.
//!
//! This is the one place the targets live. Two drivers call them:
//! - `host/tests/fuzz_smoke.rs` (stable, in CI): replays the committed corpus of each target
//!   (`fuzz/corpus/<target>/`) and mutates it with [`SplitMix64`](fieldwork::random::SplitMix64)
//!   for a time budget, catching panics and bounding the time of each input;
//! - the cargo-fuzz crate in `fuzz/` (libFuzzer, nightly or `RUSTC_BOOTSTRAP=1`), for long runs
//!   by hand.
//!
//! Not an API: hidden from the documentation and free to change.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use fieldwork::calendar::CompiledCalendar;
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::job::{run_main_job, JobOptions, NoProgress};
use fieldwork::model::{BusinessCalendar, Dataset, Model, Recurrence};
use fieldwork::recurrence::{Expander, Window, MAX_OCCURRENCES_PER_LINE};
use fieldwork::rules::RuleSet;
use fieldwork::store::{ImportMode, MemoryStore, Store};
use std::sync::OnceLock;

/// A fuzz target: arbitrary bytes in, no panic whatever they are.
pub type Target = fn(&[u8]);

/// The targets by name (the folder names under `fuzz/corpus/` and the cargo-fuzz targets).
pub const TARGETS: &[(&str, Target)] = &[
    ("dataset", dataset),
    ("rrule", rrule),
    ("calendar", calendar),
    ("rules", rules),
    ("sla_batch", sla_batch),
];

/// A tiny demo model (anchor 2027-03-01: 6 customers, 3 technicians, 4 open orders), made once.
fn tiny_model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let options = DemoOptions {
            customers: 6,
            technicians: 3,
            open_orders: 4,
            ..DemoOptions::new(7, anchor())
        };
        // The demo generator's output is valid by construction (its own tests check it).
        Model::from_dataset(generate(&options)).unwrap_or_else(|_| Model::default())
    })
}

fn anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default()
}

fn noon() -> DateTime<Utc> {
    anchor().and_hms_opt(12, 0, 0).unwrap_or_default().and_utc()
}

/// A dataset file: JSON parsing, validation, then a merge import into a store holding the tiny
/// demo (the merged model is validated again) and a replace import into an empty one.
pub fn dataset(data: &[u8]) {
    let Ok(dataset) = serde_json::from_slice::<Dataset>(data) else {
        return;
    };
    let mut store = MemoryStore::with_model(tiny_model().clone());
    let _ = store.import(dataset.clone(), ImportMode::Merge);
    let _ = MemoryStore::new().import(dataset, ImportMode::Replace);
}

/// An RRULE: the first line may be a local DTSTART (`2027-01-04T09:00:00`), the rest (or the
/// whole input) is the rule. Validation as at import, then expansion over a two-year window
/// bounded by [`MAX_OCCURRENCES_PER_LINE`], as generation does.
pub fn rrule(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let default_start = anchor().and_hms_opt(9, 0, 0).unwrap_or_default();
    let (dtstart, rule) = match text.split_once('\n') {
        Some((first, rest)) => match first.trim().parse::<NaiveDateTime>() {
            Ok(start) => (start, rest),
            Err(_) => (default_start, text),
        },
        None => (default_start, text),
    };
    let recurrence = Recurrence {
        rrule: rule.to_owned(),
        dtstart,
        exdates: vec![],
        rdates: vec![],
    };
    let tz = chrono_tz::Europe::Berlin;
    let _ = fieldwork::model::rrule_set(&recurrence, tz);
    let Ok(expander) = Expander::new(&recurrence, tz) else {
        return;
    };
    let from = dtstart.date();
    let Ok(window) = Window::new(from, from + TimeDelta::days(731)) else {
        return;
    };
    let mut out = Vec::new();
    let _ = expander.expand_at_most(window, MAX_OCCURRENCES_PER_LINE, &mut out);
}

/// A calendar file (as `sla due --calendar` reads it): parsing, validation in a dataset,
/// compilation, then a deadline, an elapsed time and the next opening from the anchor.
pub fn calendar(data: &[u8]) {
    let Ok(calendar) = serde_json::from_slice::<BusinessCalendar>(data) else {
        return;
    };
    let dataset = Dataset {
        calendars: vec![calendar.clone()],
        ..Dataset::default()
    };
    let _ = Model::from_dataset(dataset);
    let Ok(compiled) = CompiledCalendar::new(&calendar) else {
        return;
    };
    let start = noon();
    if let Ok(due) = compiled.add(start, TimeDelta::hours(8)) {
        let _ = compiled.between(start, due);
    }
    let _ = compiled.add(start, TimeDelta::days(3650));
    let _ = compiled.next_open(start);
}

/// A rule file: compiled with the real limits, then the main job (generation with
/// `adjust_occurrence`, SLA targets, dispatch hooks, scheduling) runs one week of the tiny demo
/// with it into a memory store.
pub fn rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rules) = RuleSet::from_sources(&[("fuzz.rhai", text)]) else {
        return;
    };
    let mut store = MemoryStore::with_model(tiny_model().clone());
    let options = JobOptions::new(anchor(), anchor() + TimeDelta::days(7), noon());
    let _ = run_main_job(&mut store, &rules, &options, &mut NoProgress);
}

/// `sla due --batch` input: every line gets exactly one answer line, whatever the bytes.
///
/// # Panics
/// When the number of answers differs from the number of input lines (the invariant the target
/// checks), or the batch fails as a whole.
pub fn sla_batch(data: &[u8]) {
    static OFFICE: OnceLock<Option<CompiledCalendar>> = OnceLock::new();
    let office = OFFICE.get_or_init(|| {
        let calendar: BusinessCalendar = serde_json::from_str(
            r#"{"id": "office", "time_zone": "Europe/Berlin",
                "weekly": {"mon": [["08:00", "17:00"]], "tue": [["08:00", "17:00"]],
                           "fri": [["08:00", "12:00"], ["13:00", "17:00"]]},
                "holidays": ["2027-03-08"]}"#,
        )
        .ok()?;
        CompiledCalendar::new(&calendar).ok()
    });
    let Some(office) = office else {
        return;
    };
    let mut out = Vec::new();
    let result = crate::cli::sla::batch(office, data, &mut out);
    assert!(result.is_ok(), "the batch failed as a whole: {result:?}");
    // Empty input has no line; otherwise every newline ends one, and a last unterminated piece
    // is one more.
    let lines = if data.is_empty() {
        0
    } else {
        data.split(|&b| b == b'\n').count() - usize::from(data.ends_with(b"\n"))
    };
    let answers = out.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(answers, lines, "one answer per input line");
}
