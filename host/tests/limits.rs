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
