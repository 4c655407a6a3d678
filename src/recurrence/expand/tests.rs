//! Tests of the expander: RFC 5545's own examples (table-driven), end-of-month rules, DST,
//! EXDATE/RDATE, bounds and fast-forward.

use super::*;
use chrono_tz::{America::New_York, Europe::Berlin};

fn rec(rrule: &str, dtstart: &str) -> Recurrence {
    Recurrence {
        rrule: rrule.into(),
        dtstart: dtstart.parse().unwrap(),
        exdates: vec![],
        rdates: vec![],
    }
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn window(from: &str, to: &str) -> Window {
    Window::new(date(from), date(to)).unwrap()
}

fn local_dates(occ: &[Occurrence]) -> Vec<String> {
    occ.iter()
        .map(|o| o.naive_local().format("%Y-%m-%d").to_string())
        .collect()
}

fn expand(r: &Recurrence, tz: Tz, from: &str, to: &str) -> Vec<Occurrence> {
    Expander::new(r, tz).unwrap().expand(window(from, to))
}

/// RFC 5545 §3.8.5.3 examples (America/New_York, 09:00 local): rule, DTSTART, expected
/// local dates (a prefix of the set when the rule is unbounded).
const RFC5545: &[(&str, &str, &[&str])] = &[
    (
        "FREQ=DAILY;COUNT=10",
        "1997-09-02T09:00:00",
        &[
            "1997-09-02",
            "1997-09-03",
            "1997-09-04",
            "1997-09-05",
            "1997-09-06",
            "1997-09-07",
            "1997-09-08",
            "1997-09-09",
            "1997-09-10",
            "1997-09-11",
        ],
    ),
    (
        "FREQ=DAILY;INTERVAL=10;COUNT=5",
        "1997-09-02T09:00:00",
        &[
            "1997-09-02",
            "1997-09-12",
            "1997-09-22",
            "1997-10-02",
            "1997-10-12",
        ],
    ),
    (
        "FREQ=WEEKLY;COUNT=10",
        "1997-09-02T09:00:00",
        &[
            "1997-09-02",
            "1997-09-09",
            "1997-09-16",
            "1997-09-23",
            "1997-09-30",
            "1997-10-07",
            "1997-10-14",
            "1997-10-21",
            "1997-10-28",
            "1997-11-04",
        ],
    ),
    (
        "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
        "1997-09-01T09:00:00",
        &[
            "1997-09-01",
            "1997-09-03",
            "1997-09-05",
            "1997-09-15",
            "1997-09-17",
            "1997-09-19",
            "1997-09-29",
            "1997-10-01",
            "1997-10-03",
            "1997-10-13",
            "1997-10-15",
            "1997-10-17",
            "1997-10-27",
            "1997-10-29",
            "1997-10-31",
            "1997-11-10",
            "1997-11-12",
            "1997-11-14",
            "1997-11-24",
            "1997-11-26",
            "1997-11-28",
            "1997-12-08",
            "1997-12-10",
            "1997-12-12",
            "1997-12-22",
        ],
    ),
    (
        "FREQ=MONTHLY;COUNT=10;BYDAY=1FR",
        "1997-09-05T09:00:00",
        &[
            "1997-09-05",
            "1997-10-03",
            "1997-11-07",
            "1997-12-05",
            "1998-01-02",
            "1998-02-06",
            "1998-03-06",
            "1998-04-03",
            "1998-05-01",
            "1998-06-05",
        ],
    ),
    (
        "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO",
        "1997-09-22T09:00:00",
        &[
            "1997-09-22",
            "1997-10-20",
            "1997-11-17",
            "1997-12-22",
            "1998-01-19",
            "1998-02-16",
        ],
    ),
    (
        "FREQ=MONTHLY;BYMONTHDAY=-3",
        "1997-09-28T09:00:00",
        &[
            "1997-09-28",
            "1997-10-29",
            "1997-11-28",
            "1997-12-29",
            "1998-01-29",
            "1998-02-26",
        ],
    ),
    (
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1",
        "1997-09-30T09:00:00",
        &[
            "1997-09-30",
            "1997-10-01",
            "1997-10-31",
            "1997-11-01",
            "1997-11-30",
            "1997-12-01",
            "1997-12-31",
            "1998-01-01",
            "1998-01-31",
            "1998-02-01",
        ],
    ),
    (
        "FREQ=YEARLY;COUNT=10;BYMONTH=6,7",
        "1997-06-10T09:00:00",
        &[
            "1997-06-10",
            "1997-07-10",
            "1998-06-10",
            "1998-07-10",
            "1999-06-10",
            "1999-07-10",
            "2000-06-10",
            "2000-07-10",
            "2001-06-10",
            "2001-07-10",
        ],
    ),
    (
        "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200",
        "1997-01-01T09:00:00",
        &[
            "1997-01-01",
            "1997-04-10",
            "1997-07-19",
            "2000-01-01",
            "2000-04-09",
            "2000-07-18",
            "2003-01-01",
            "2003-04-10",
            "2003-07-19",
            "2006-01-01",
        ],
    ),
    (
        "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
        "1997-05-12T09:00:00",
        &["1997-05-12", "1998-05-11", "1999-05-17"],
    ),
    (
        "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
        "1997-09-02T09:00:00",
        &[
            "1998-02-13",
            "1998-03-13",
            "1998-11-13",
            "1999-08-13",
            "2000-10-13",
        ],
    ),
    (
        "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8",
        "1996-11-05T09:00:00",
        &["1996-11-05", "2000-11-07", "2004-11-02"],
    ),
    (
        "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
        "1997-09-04T09:00:00",
        &["1997-09-04", "1997-10-07", "1997-11-06"],
    ),
    (
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "1997-09-29T09:00:00",
        &[
            "1997-09-30",
            "1997-10-31",
            "1997-11-28",
            "1997-12-31",
            "1998-01-30",
            "1998-02-27",
            "1998-03-31",
        ],
    ),
    (
        "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
        "2007-01-15T09:00:00",
        &[
            "2007-01-15",
            "2007-01-30",
            "2007-02-15",
            "2007-03-15",
            "2007-03-30",
        ],
    ),
];

#[test]
fn rfc5545_examples_expand_as_the_rfc_lists_them() {
    for (rule, dtstart, expected) in RFC5545 {
        let got = expand(&rec(rule, dtstart), New_York, "1996-01-01", "2007-04-01");
        let got = local_dates(&got);
        assert_eq!(&got[..expected.len().min(got.len())], *expected, "{rule}");
        assert!(got.len() >= expected.len(), "{rule}: {got:?}");
        if rule.contains("COUNT") || rule.contains("UNTIL") {
            assert_eq!(
                got.len(),
                expected.len(),
                "{rule}: bounded rule yields more"
            );
        }
    }
}

#[test]
fn rfc5545_examples_are_exact_in_any_later_window() {
    // The same sets seen through a window years after DTSTART (fast-forward) match a
    // filter of the full expansion.
    for (rule, dtstart, _) in RFC5545 {
        let r = rec(rule, dtstart);
        let full = expand(&r, New_York, "1996-01-01", "2031-01-01");
        let part = expand(&r, New_York, "2024-02-10", "2026-07-03");
        let filtered: Vec<_> = full
            .iter()
            .filter(|o| window("2024-02-10", "2026-07-03").contains(o.date_naive()))
            .copied()
            .collect();
        assert_eq!(part, filtered, "{rule}");
    }
}

#[test]
fn nine_o_clock_local_stays_nine_o_clock_across_dst_switches() {
    let r = rec("FREQ=WEEKLY;BYDAY=SU", "2020-01-05T09:00:00");
    let got = expand(&r, Berlin, "2027-03-20", "2027-04-05");
    let text: Vec<String> = got.iter().map(|o| o.to_rfc3339()).collect();
    assert_eq!(
        text,
        [
            "2027-03-21T09:00:00+01:00",
            "2027-03-28T09:00:00+02:00",
            "2027-04-04T09:00:00+02:00"
        ]
    );
    let got = expand(&r, Berlin, "2027-10-24", "2027-11-01");
    assert_eq!(got[0].to_rfc3339(), "2027-10-24T09:00:00+02:00");
    assert_eq!(got[1].to_rfc3339(), "2027-10-31T09:00:00+01:00");
    let ny = expand(&r, New_York, "2027-03-07", "2027-03-15");
    assert_eq!(ny[0].to_rfc3339(), "2027-03-07T09:00:00-05:00");
    assert_eq!(ny[1].to_rfc3339(), "2027-03-14T09:00:00-04:00");
}

#[test]
fn a_time_in_the_dst_gap_is_shifted_forward_and_an_ambiguous_one_takes_the_first() {
    let r = rec("FREQ=DAILY", "2027-03-26T02:30:00");
    let got = expand(&r, Berlin, "2027-03-27", "2027-03-30");
    let text: Vec<String> = got.iter().map(|o| o.to_rfc3339()).collect();
    assert_eq!(
        text,
        [
            "2027-03-27T02:30:00+01:00",
            "2027-03-28T03:30:00+02:00",
            "2027-03-29T02:30:00+02:00"
        ]
    );
    let got = expand(&r, Berlin, "2027-10-31", "2027-11-01");
    assert_eq!(got.len(), 1, "one occurrence on the fall-back night");
    assert_eq!(got[0].to_rfc3339(), "2027-10-31T02:30:00+02:00");
    // A DTSTART inside the gap keeps its nominal 02:30 on other days.
    let r = rec("FREQ=DAILY", "2027-03-28T02:30:00");
    let got = expand(&r, Berlin, "2027-03-28", "2027-03-30");
    assert_eq!(got[0].to_rfc3339(), "2027-03-28T03:30:00+02:00");
    assert_eq!(got[1].to_rfc3339(), "2027-03-29T02:30:00+02:00");
}

#[test]
fn bymonthday_31_skips_short_months_and_minus_one_is_the_last_day() {
    let r = rec("FREQ=MONTHLY;BYMONTHDAY=31", "2027-01-31T09:00:00");
    let got = local_dates(&expand(&r, Berlin, "2027-01-01", "2028-01-01"));
    assert_eq!(
        got,
        [
            "2027-01-31",
            "2027-03-31",
            "2027-05-31",
            "2027-07-31",
            "2027-08-31",
            "2027-10-31",
            "2027-12-31"
        ]
    );
    // The implicit day from DTSTART behaves the same (RFC 5545: invalid dates are ignored).
    let implicit = rec("FREQ=MONTHLY", "2027-01-31T09:00:00");
    assert_eq!(
        local_dates(&expand(&implicit, Berlin, "2027-01-01", "2028-01-01")),
        got
    );
    let r = rec("FREQ=MONTHLY;BYMONTHDAY=-1", "2027-01-31T09:00:00");
    let got = local_dates(&expand(&r, Berlin, "2027-12-01", "2028-04-01"));
    assert_eq!(
        got,
        ["2027-12-31", "2028-01-31", "2028-02-29", "2028-03-31"]
    );
}

#[test]
fn exdate_removes_the_whole_local_date_and_rdate_adds_local_times() {
    let mut r = rec("FREQ=WEEKLY;BYDAY=MO", "2027-01-04T09:00:00");
    r.exdates = vec![date("2027-03-08")];
    r.rdates = vec![
        "2027-03-10T14:00:00".parse().unwrap(),
        "2027-03-15T09:00:00".parse().unwrap(), // equal to a rule occurrence: counted once
        "2027-04-02T09:00:00".parse().unwrap(), // outside the window
    ];
    let got: Vec<String> = expand(&r, Berlin, "2027-03-01", "2027-03-22")
        .iter()
        .map(|o| o.naive_local().to_string())
        .collect();
    assert_eq!(
        got,
        [
            "2027-03-01 09:00:00",
            "2027-03-10 14:00:00",
            "2027-03-15 09:00:00"
        ]
    );
}

#[test]
fn count_and_until_are_honoured_from_the_real_dtstart() {
    // COUNT counts from DTSTART, so no fast-forward: the 5 weekly occurrences are in 2020.
    let r = rec("FREQ=WEEKLY;COUNT=5", "2020-01-06T09:00:00");
    assert!(expand(&r, Berlin, "2027-01-01", "2028-01-01").is_empty());
    assert_eq!(expand(&r, Berlin, "2020-01-01", "2021-01-01").len(), 5);
    let r = rec("FREQ=DAILY;UNTIL=20270305T080000Z", "2020-01-01T09:00:00");
    let got = local_dates(&expand(&r, Berlin, "2027-03-01", "2027-04-01"));
    assert_eq!(
        got,
        [
            "2027-03-01",
            "2027-03-02",
            "2027-03-03",
            "2027-03-04",
            "2027-03-05"
        ]
    );
    // UNTIL long before the window: nothing, and no error.
    let r = rec("FREQ=DAILY;UNTIL=20210101T000000Z", "2020-01-01T09:00:00");
    assert!(expand(&r, Berlin, "2027-03-01", "2027-04-01").is_empty());
}

#[test]
fn a_rule_that_never_yields_ends() {
    for rule in [
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31",
        "FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31",
    ] {
        let r = rec(rule, "2020-01-01T09:00:00");
        assert!(
            expand(&r, Berlin, "2027-01-01", "2028-01-01").is_empty(),
            "{rule}"
        );
    }
}

#[test]
fn invalid_rules_are_errors() {
    for (rule, needle) in [
        ("FREQ=SOMETIMES", ""),
        ("FREQ=DAILY;INTERVAL=5000", "INTERVAL 5000 exceeds 1000"),
        ("FREQ=DAILY\nFREQ=WEEKLY", "single RRULE"),
        ("", "single RRULE"),
        ("FREQ=DAILY;UNTIL=20190101T000000Z", ""),
        ("FREQ=MONTHLY;BYMONTHDAY=32", ""),
    ] {
        let err = Expander::new(&rec(rule, "2020-01-01T09:00:00"), Berlin).unwrap_err();
        assert!(err.to_string().contains(needle), "{rule}: {err}");
        assert!(matches!(err, RecurrenceRuleError::InvalidRule(_)), "{rule}");
    }
}

#[test]
fn windows_clip_to_inclusive_ranges() {
    let w = window("2027-03-01", "2027-04-01");
    assert_eq!(
        w.clip(Some(date("2027-03-10")), Some(date("2027-03-20"))),
        window("2027-03-10", "2027-03-21")
    );
    assert!(w.clip(Some(date("2027-05-01")), None).is_empty());
    assert!(w.clip(None, Some(date("2027-02-01"))).is_empty());
    assert_eq!(w.clip(None, None), w);
}

#[test]
fn a_dst_gap_starting_at_midnight_moves_the_occurrence_forward_and_count_counts_it() {
    // America/Santiago: 2026-09-06 00:00 jumps to 01:00, so 00:30 does not exist that night.
    let santiago = chrono_tz::America::Santiago;
    let r = rec("FREQ=DAILY", "2026-09-04T00:30:00");
    let got: Vec<String> = expand(&r, santiago, "2026-09-05", "2026-09-09")
        .iter()
        .map(|o| o.to_rfc3339())
        .collect();
    assert_eq!(
        got,
        [
            "2026-09-05T00:30:00-04:00",
            "2026-09-06T01:30:00-03:00",
            "2026-09-07T00:30:00-03:00",
            "2026-09-08T00:30:00-03:00"
        ]
    );
    // COUNT counts the moved occurrence: the third of four is on the gap night.
    let r = rec("FREQ=DAILY;COUNT=4", "2026-09-04T00:30:00");
    let got = expand(&r, santiago, "2026-09-01", "2026-09-30");
    assert_eq!(
        local_dates(&got),
        ["2026-09-04", "2026-09-05", "2026-09-06", "2026-09-07"]
    );
    // America/Havana: 2027-03-14 00:00 jumps to 01:00.
    let havana = chrono_tz::America::Havana;
    let r = rec("FREQ=DAILY", "2027-03-10T00:30:00");
    let got = expand(&r, havana, "2027-03-13", "2027-03-16");
    assert_eq!(got[1].to_rfc3339(), "2027-03-14T01:30:00-04:00");
    assert_eq!(got.len(), 3);
    // Havana falls back at 01:00 to 00:00, so midnight and 00:30 are ambiguous that night:
    // the occurrence is kept, at its first instant.
    let got = expand(&r, havana, "2027-11-06", "2027-11-09");
    let text: Vec<String> = got.iter().map(|o| o.to_rfc3339()).collect();
    assert_eq!(
        text,
        [
            "2027-11-06T00:30:00-04:00",
            "2027-11-07T00:30:00-04:00",
            "2027-11-08T00:30:00-05:00"
        ]
    );
}

#[test]
fn until_is_compared_with_the_occurrence_instant() {
    // UNTIL at the instant of the moved gap occurrence keeps it; one second earlier drops it.
    let santiago = chrono_tz::America::Santiago;
    let r = rec("FREQ=DAILY;UNTIL=20260906T043000Z", "2026-09-04T00:30:00");
    let got = expand(&r, santiago, "2026-09-01", "2026-09-30");
    assert_eq!(
        local_dates(&got),
        ["2026-09-04", "2026-09-05", "2026-09-06"]
    );
    let r = rec("FREQ=DAILY;UNTIL=20260906T042959Z", "2026-09-04T00:30:00");
    let got = expand(&r, santiago, "2026-09-01", "2026-09-30");
    assert_eq!(local_dates(&got), ["2026-09-04", "2026-09-05"]);
}
