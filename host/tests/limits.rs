//! Hostile or mistaken input is bounded and explained, never a crash or a runaway: the limits
//! documented in the README's "Limits" section, tried through the built binary.

mod support;

use support::{fieldwork, stderr};

/// Runs `fieldwork args` in a fresh directory; asserts exit 1 and an `error:` naming `needle`.
fn user_error(args: &[&str], needle: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = fieldwork(dir.path(), args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?}\n{err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected `{needle}` in\n{err}"
    );
    err
}

#[test]
fn recur_rejects_sub_daily_frequencies_and_zero_parts() {
    for (rule, needle) in [
        ("FREQ=SECONDLY", "FREQ=SECONDLY is not supported"),
        ("FREQ=MINUTELY", "FREQ=MINUTELY is not supported"),
        ("FREQ=HOURLY", "FREQ=HOURLY is not supported"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL=0"),
        ("FREQ=DAILY;COUNT=0", "COUNT=0"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY=0"),
    ] {
        user_error(
            &[
                "recur",
                "--rrule",
                rule,
                "--dtstart",
                "2027-01-04T09:00",
                "--tz",
                "Europe/Berlin",
                "--from",
                "2027-01-04",
                "--to",
                "2027-01-05",
            ],
            needle,
        );
    }
}

const RECUR: [&str; 7] = [
    "recur",
    "--dtstart",
    "2027-01-04T09:00",
    "--tz",
    "Europe/Berlin",
    "--rrule",
    "FREQ=DAILY",
];

fn recur(extra: &[&str]) -> Vec<String> {
    RECUR.iter().chain(extra).map(|s| (*s).to_owned()).collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn dates_outside_the_supported_years_are_refused_with_a_hint() {
    let args = recur(&["--from", "0001-01-01", "--to", "0001-01-02"]);
    let err = user_error(&strs(&args), "outside the supported years 1900–2199");
    assert!(err.contains("hint:"), "{err}");
    let args = recur(&["--from", "2027-01-01", "--to", "9999-12-31"]);
    user_error(&strs(&args), "9999-12-31 is outside the supported years");
}

#[test]
fn recur_ranges_and_output_are_bounded() {
    let args = recur(&["--from", "2027-01-01", "--to", "2040-01-01"]);
    let err = user_error(
        &strs(&args),
        "the `fieldwork recur` range is 4749 days; at most 3660 days are allowed",
    );
    assert!(err.contains("hint: split it"), "{err}");
    // 24 a day for 3,000 days: more than 10,000 occurrences is an error, not a flood.
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let rule = format!("FREQ=DAILY;BYHOUR={}", hours.join(","));
    let mut args = recur(&["--from", "2027-01-01", "--to", "2035-03-01"]);
    args[6] = rule;
    user_error(&strs(&args), "more than 10000 occurrences");
}

#[test]
fn schedule_run_and_generate_ranges_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    support::demo_json(d);
    for (args, needle) in [
        (
            vec![
                "schedule",
                "--dataset",
                "demo.json",
                "--from",
                "2027-03-01",
                "--to",
                "2028-03-01",
            ],
            "the `fieldwork schedule` range is 367 days; at most 366 days",
        ),
        (
            vec![
                "generate",
                "--dataset",
                "demo.json",
                "--from",
                "2027-03-01",
                "--to",
                "2030-03-01",
            ],
            "the horizon is 1097 days; at most 732 days",
        ),
        (
            vec![
                "generate",
                "--dataset",
                "demo.json",
                "--days-ahead",
                "100000",
            ],
            "the horizon is 100000 days; at most 732 days",
        ),
    ] {
        let out = fieldwork(d, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}\n{err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(err.contains("hint:"), "{args:?}: {err}");
    }
}

#[test]
fn board_and_run_on_a_database_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    support::demo_db(d);
    let out = fieldwork(
        d,
        &[
            "board",
            "--db",
            "d.db",
            "--from",
            "2027-03-01",
            "--to",
            "2027-12-31",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the `fieldwork board` range is 306 days; at most 31 days"),
        "{err}"
    );
    assert!(!d.join("board.html").exists());
    let out = fieldwork(d, &["run", "--db", "d.db", "--days-ahead", "100000"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the horizon is 100000 days; at most 732 days"),
        "{err}"
    );
}

/// A device that never ends is read only up to the dataset bound, then refused.
#[cfg(unix)]
#[test]
fn datasets_are_read_up_to_256_mib() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for args in [
        vec!["import", "/dev/zero", "--db", "z.db"],
        vec![
            "schedule",
            "--dataset",
            "/dev/zero",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-01",
        ],
    ] {
        let out = fieldwork(d, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}\n{err}");
        assert!(
            err.contains("/dev/zero: the dataset is larger than 268435456 bytes (256 MiB)"),
            "{args:?}: {err}"
        );
    }
}
