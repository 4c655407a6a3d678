//! Tests of order generation: grouping counts, idempotency over overlapping windows, status
//! and validity, rule outcomes, per-line errors, the fields of generated orders.

use super::*;
use crate::model::{AgreementLineId, OrderId, OrderOrigin, Priority};
use crate::recurrence::test_support::{agreement, line, model, rules, shipped};
use crate::recurrence::{NonBusinessDay, RuleAdjuster};
use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

fn d(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn options() -> GenerateOptions<'static> {
    GenerateOptions::new(Utc.with_ymd_and_hms(2027, 1, 20, 6, 0, 0).unwrap())
}

fn run(m: &mut Model, from: &str, to: &str, group_by: GroupBy) -> GenerationReport {
    let mut policy = NonBusinessDay::NextBusinessDay;
    generate_with(
        m,
        &mut policy,
        d(from),
        d(to),
        &options().group_by(group_by),
    )
    .unwrap()
}

/// Agreement A-1 (Berlin): L-1 weekly on Mondays on BOILER-1, L-2 weekly on Mondays on
/// CHILLER-1, L-3 every other Monday on BOILER-1.
fn three_lines() -> Model {
    let with_object = |l: String, object: &str| {
        l.replacen('{', &format!(r#"{{"service_object": "{object}", "#), 1)
    };
    model(&format!(
        "[{}]",
        agreement(
            "A-1",
            "C-BER",
            &[
                with_object(
                    line("L-1", "FREQ=WEEKLY;BYDAY=MO", "2026-01-05T09:00:00"),
                    "BOILER-1"
                ),
                with_object(
                    line("L-2", "FREQ=WEEKLY;BYDAY=MO", "2026-01-05T10:00:00"),
                    "CHILLER-1"
                ),
                with_object(
                    line(
                        "L-3",
                        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
                        "2027-02-01T09:00:00"
                    ),
                    "BOILER-1",
                ),
            ]
        )
    ))
}

/// (line, local date of earliest_start) of every order line in the model.
fn units(m: &Model) -> Vec<(String, NaiveDate)> {
    let mut out = Vec::new();
    for o in m.orders() {
        let tz = m.customer(&o.customer).unwrap().time_zone.tz().unwrap();
        let date = o.earliest_start.unwrap().with_timezone(&tz).date_naive();
        for l in &o.lines {
            out.push((l.agreement_line.as_ref().unwrap().to_string(), date));
        }
    }
    out.sort();
    out
}

#[test]
fn three_weekly_and_biweekly_lines_over_a_month_group_as_expected() {
    // February 2027: Mondays 1, 8, 15, 22; L-3 on the 1st and the 15th.
    for (group_by, orders, order_lines) in [
        (GroupBy::Line, 10, 10),
        (GroupBy::Agreement, 4, 10),
        (GroupBy::Object, 8, 10),
    ] {
        let mut m = three_lines();
        let report = run(&mut m, "2027-02-01", "2027-03-01", group_by);
        assert_eq!(report.created.len(), orders, "{group_by}");
        assert_eq!(report.occurrences, 10);
        assert_eq!(units(&m).len(), order_lines, "{group_by}");
        assert!(report.errors.is_empty());
    }
    let mut m = three_lines();
    run(&mut m, "2027-02-01", "2027-03-01", GroupBy::Agreement);
    let first = m.order(&OrderId::new("SO-A-A-1-20270201")).unwrap();
    assert_eq!(first.lines.len(), 3);
    assert_eq!(first.service_object, None, "two objects in one order");
    assert_eq!(first.agreement.as_ref().unwrap().as_str(), "A-1");
    let mut m = three_lines();
    run(&mut m, "2027-02-01", "2027-03-01", GroupBy::Object);
    let boiler = m.order(&OrderId::new("SO-O-BOILER-1-20270215")).unwrap();
    assert_eq!(boiler.lines.len(), 2);
    assert_eq!(boiler.service_object.as_ref().unwrap().as_str(), "BOILER-1");
}

#[test]
fn overlapping_windows_create_nothing_twice_and_the_same_ids_as_one_run() {
    for group_by in [GroupBy::Line, GroupBy::Agreement, GroupBy::Object] {
        let mut once = three_lines();
        run(&mut once, "2027-02-01", "2027-04-01", group_by);
        let mut twice = three_lines();
        let a = run(&mut twice, "2027-02-01", "2027-02-20", group_by);
        let b = run(&mut twice, "2027-02-10", "2027-04-01", group_by);
        let c = run(&mut twice, "2027-02-01", "2027-04-01", group_by);
        assert!(c.created.is_empty(), "{group_by}: {:?}", c.created);
        assert_eq!(
            a.created.len() + b.created.len(),
            once.orders().len(),
            "{group_by}"
        );
        assert!(b.skipped_existing > 0);
        let ids = |m: &Model| {
            m.orders()
                .iter()
                .map(|o| o.id.to_string())
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(ids(&once), ids(&twice), "{group_by}");
        assert_eq!(units(&once), units(&twice), "{group_by}");
    }
}

#[test]
fn a_move_across_the_window_boundary_is_generated_once() {
    // L-SAT on Saturdays moves to Monday; L-MON is on Mondays. Window 1 ends on Sunday.
    let mut m = model(&format!(
        "[{}]",
        agreement(
            "A-1",
            "C-BER",
            &[
                line("L-SAT", "FREQ=WEEKLY;BYDAY=SA", "2027-01-02T09:00:00"),
                line("L-MON", "FREQ=WEEKLY;BYDAY=MO", "2027-01-04T09:00:00"),
            ]
        )
    ));
    let first = run(&mut m, "2027-02-06", "2027-02-08", GroupBy::Agreement);
    assert_eq!(first.moved_by_rule, 1);
    let second = run(&mut m, "2027-02-06", "2027-02-09", GroupBy::Agreement);
    assert_eq!(second.created.len(), 1, "only L-MON is new");
    assert_eq!(second.created[0].as_str(), "SO-A-A-1-20270208-2");
    let got = units(&m);
    assert_eq!(
        got,
        [
            ("L-MON".into(), d("2027-02-08")),
            ("L-SAT".into(), d("2027-02-08"))
        ]
    );
}

#[test]
fn inactive_agreements_stopped_lines_and_validity_generate_nothing_outside() {
    let with = |l: String, extra: &str| l.replacen('{', &format!("{{{extra}, "), 1);
    let status = |id: &str, s: &str| {
        agreement(
            id,
            "C-BER",
            &[line(
                &format!("L-{id}"),
                "FREQ=DAILY",
                "2027-01-01T09:00:00",
            )],
        )
        .replace("\"active\"", &format!("\"{s}\""))
    };
    let mut m = model(&format!(
        "[{}, {}, {}, {}, {}]",
        status("S", "suspended"),
        status("E", "ended"),
        status("D", "draft"),
        agreement(
            "A",
            "C-BER",
            &[
                with(
                    line("L-STOP", "FREQ=DAILY", "2027-01-01T09:00:00"),
                    r#""stopped": true"#
                ),
                with(
                    line("L-PART", "FREQ=DAILY", "2027-01-01T09:00:00"),
                    r#""start": "2027-02-03", "end": "2027-02-05""#,
                ),
            ]
        ),
        agreement(
            "V",
            "C-BER",
            &[line("L-V", "FREQ=DAILY", "2027-01-01T09:00:00")]
        )
        .replace(
            "\"valid_from\": \"2020-01-01\"",
            "\"valid_from\": \"2027-02-04\", \"valid_to\": \"2027-02-04\""
        )
    ));
    let mut keep = NonBusinessDay::Keep;
    let report = generate_with(
        &mut m,
        &mut keep,
        d("2027-02-01"),
        d("2027-03-01"),
        &options(),
    )
    .unwrap();
    assert_eq!(report.lines, 2);
    let got = units(&m);
    assert_eq!(
        got,
        [
            ("L-PART".into(), d("2027-02-03")),
            ("L-PART".into(), d("2027-02-04")),
            ("L-PART".into(), d("2027-02-05")),
            ("L-V".into(), d("2027-02-04")),
        ]
    );
}

#[test]
fn moves_merge_onto_one_unit_and_skips_are_counted() {
    let daily = || {
        model(&format!(
            "[{}]",
            agreement(
                "A-1",
                "C-BER",
                &[line("L-1", "FREQ=DAILY", "2027-01-01T09:00:00")]
            )
        ))
    };
    // Fri 5 – Mon 8 March 2027: Sat and Sun move onto Monday.
    let mut m = daily();
    let report = run(&mut m, "2027-03-05", "2027-03-09", GroupBy::Line);
    assert_eq!(
        (
            report.occurrences,
            report.moved_by_rule,
            report.merged,
            report.created.len()
        ),
        (4, 2, 2, 2)
    );
    let monday = m.order(&OrderId::new("SO-L-L-1-20270306T090000")).unwrap();
    assert_eq!(monday.lines[0].quantity, Decimal::from(3));
    // Skipping instead.
    let mut m = daily();
    let mut skip = NonBusinessDay::Skip;
    let report = generate_with(
        &mut m,
        &mut skip,
        d("2027-03-05"),
        d("2027-03-09"),
        &options(),
    )
    .unwrap();
    assert_eq!((report.skipped_by_rule, report.created.len()), (2, 2));
}

#[test]
fn orders_carry_origin_priority_technician_and_the_day_as_time_window() {
    let l = line("L-1", "FREQ=MONTHLY;BYMONTHDAY=6", "2027-01-06T09:00:00").replacen(
        '{',
        r#"{"priority": "high", "preferred_technician": "T-1", "service_object": "BOILER-1", "#,
        1,
    );
    let mut m = model(&format!(
        "[{}]",
        agreement("A-1", "C-BER", std::slice::from_ref(&l))
    ));
    let report = run(&mut m, "2027-03-01", "2027-04-01", GroupBy::Line);
    let order = m.order(&report.created[0]).unwrap();
    assert_eq!(order.id.as_str(), "SO-L-L-1-20270306T090000");
    assert_eq!(
        order.origin,
        OrderOrigin::Agreement {
            line: AgreementLineId::new("L-1"),
            occurrence: "2027-03-06T09:00:00".parse().unwrap()
        }
    );
    assert_eq!(order.priority, Priority::High);
    assert_eq!(order.preferred_technician.as_ref().unwrap().as_str(), "T-1");
    assert_eq!(order.service_object.as_ref().unwrap().as_str(), "BOILER-1");
    assert_eq!(order.customer.as_str(), "C-BER");
    // Saturday the 6th moved to Monday the 8th, 09:00 CET. SLA for a gold customer's high
    // priority work: respond within 4 business hours of the customer's calendar, so start by
    // 13:00 CET.
    let at = |d, h| Some(Utc.with_ymd_and_hms(2027, 3, d, h, 0, 0).unwrap());
    assert_eq!(order.earliest_start, at(8, 8));
    assert_eq!(order.due, at(8, 12));
    assert_eq!(order.created_at, options().created_at);
    // Without SLA targets the window is the whole planned day.
    let mut m = model(&format!("[{}]", agreement("A-1", "C-BER", &[l])));
    let mut policy = NonBusinessDay::NextBusinessDay;
    let no_sla = GenerateOptions {
        sla: false,
        ..options()
    };
    let report = generate_with(
        &mut m,
        &mut policy,
        d("2027-03-01"),
        d("2027-04-01"),
        &no_sla,
    )
    .unwrap();
    assert_eq!(m.order(&report.created[0]).unwrap().due, at(8, 23));
    assert_eq!(order.lines[0].unit_price, Decimal::from(80));
}

#[test]
fn one_failing_line_is_reported_and_the_others_are_generated() {
    let mut m = model(&format!(
        "[{}]",
        agreement(
            "A-1",
            "C-BER",
            &[
                line("L-OK", "FREQ=WEEKLY;BYDAY=MO", "2027-01-04T09:00:00"),
                line("L-BAD", "FREQ=WEEKLY;BYDAY=MO", "2027-01-04T09:00:00"),
            ]
        )
    ));
    let hook = rules(
        r#"fn adjust_occurrence(o, line, cal) {
               if line.id == "L-BAD" && o.day > 10 { throw "broken rule" }
               o
           }"#,
    );
    let mut rules = RuleAdjuster::new(&hook, NonBusinessDay::Keep);
    let report = generate_with(
        &mut m,
        &mut rules,
        d("2027-02-01"),
        d("2027-03-01"),
        &options(),
    )
    .unwrap();
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].line().as_str(), "L-BAD");
    assert!(report.errors[0].to_string().contains("broken rule"));
    // The failing line contributes nothing at all, not even its early occurrences.
    assert_eq!(report.created.len(), 4);
    assert!(units(&m).iter().all(|(l, _)| l == "L-OK"));
}

#[test]
fn sla_targets_come_from_the_sla_engine_per_line_priority_and_customer() {
    let with_priority = |id: &str, p: &str, rrule: &str| {
        line(id, rrule, "2027-01-04T09:00:00").replacen(
            '{',
            &format!(r#"{{"priority": "{p}", "#),
            1,
        )
    };
    let mut m = model(&format!(
        "[{}, {}]",
        agreement(
            "A-BER",
            "C-BER",
            &[
                with_priority("L-CRIT", "critical", "FREQ=WEEKLY;BYDAY=MO"),
                with_priority("L-LOW", "low", "FREQ=WEEKLY;BYDAY=MO"),
            ]
        ),
        agreement(
            "A-NYC",
            "C-NYC",
            &[with_priority("L-NYC", "high", "FREQ=WEEKLY;BYDAY=MO")]
        )
    ));
    let report = run(&mut m, "2027-02-01", "2027-02-02", GroupBy::Line);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let due = |line: &str| {
        m.orders()
            .iter()
            .find(|o| o.lines[0].agreement_line.as_ref().unwrap().as_str() == line)
            .and_then(|o| o.due)
            .unwrap()
    };
    // Critical for gold: 1 h around the clock from 09:00 CET.
    assert_eq!(
        due("L-CRIT"),
        Utc.with_ymd_and_hms(2027, 2, 1, 9, 0, 0).unwrap()
    );
    // Low: 24 business hours, later than the planned day: the day's end.
    assert_eq!(
        due("L-LOW"),
        Utc.with_ymd_and_hms(2027, 2, 1, 23, 0, 0).unwrap()
    );
    // High for silver in New York without a calendar: 8 h of the built-in 24x7 calendar.
    assert_eq!(
        due("L-NYC"),
        Utc.with_ymd_and_hms(2027, 2, 1, 22, 0, 0).unwrap()
    );
    // Grouped, the most urgent line sets the window.
    let mut m2 = three_lines();
    let report = run(&mut m2, "2027-02-01", "2027-02-02", GroupBy::Agreement);
    let order = m2.order(&report.created[0]).unwrap();
    assert_eq!(order.priority, Priority::Normal);
    // Gold, normal: 8 business hours from 09:00 → Monday 17:00 CET.
    assert_eq!(
        order.due,
        Some(Utc.with_ymd_and_hms(2027, 2, 1, 16, 0, 0).unwrap())
    );
}

#[test]
fn generate_orders_uses_the_rules_hook_and_counts_its_calls() {
    let mut m = three_lines();
    let shipped = shipped();
    let report = generate_orders(
        &mut m,
        Some(&shipped),
        d("2027-03-01"),
        d("2027-04-01"),
        &options(),
    )
    .unwrap();
    // Mondays of March 2027; Easter Monday (29th) moves to Tuesday the 30th. The shipped rule
    // does not read the line: one call per distinct (time, calendar).
    assert!(report
        .created
        .iter()
        .any(|id| id.as_str() == "SO-L-L-1-20270329T090000"));
    assert_eq!(report.moved_by_rule, 3);
    assert_eq!(
        report.rule_calls, 10,
        "5 Mondays at 09:00 and 5 at 10:00; L-3 shares L-1's"
    );
    let easter = m.order(&OrderId::new("SO-L-L-1-20270329T090000")).unwrap();
    assert_eq!(
        easter.earliest_start,
        Some(Utc.with_ymd_and_hms(2027, 3, 30, 7, 0, 0).unwrap())
    );
    // Without the hook, the native default decides the same, with no call.
    let mut native = three_lines();
    let none = rules("fn dispatch_policy() { #{} }");
    let r2 = generate_orders(
        &mut native,
        Some(&none),
        d("2027-03-01"),
        d("2027-04-01"),
        &options(),
    )
    .unwrap();
    assert_eq!(r2.rule_calls, 0);
    assert_eq!(units(&native), units(&m));
}

#[test]
fn days_ahead_generates_each_occurrence_once_as_it_enters_the_horizon() {
    let mut m = three_lines();
    let mut policy = NonBusinessDay::NextBusinessDay;
    let mut total = 0;
    for day in d("2027-02-01").iter_days().take(28) {
        let r = generate_days_ahead_with(&mut m, &mut policy, day, 14, &options()).unwrap();
        total += r.created.len();
    }
    // Mondays 1 Feb – 8 Mar (the horizon of 28 Feb reaches 13 Mar): 6 × 2 + L-3 on 1, 15 Feb
    // and 1 Mar.
    assert_eq!(total, 15);
    assert_eq!(m.orders().len(), 15);
}

#[test]
fn an_inverted_window_is_an_error() {
    let mut m = three_lines();
    let mut policy = NonBusinessDay::Keep;
    let err = generate_with(
        &mut m,
        &mut policy,
        d("2027-03-01"),
        d("2027-02-01"),
        &options(),
    );
    assert!(matches!(
        err,
        Err(RecurrenceRuleError::InvertedWindow { .. })
    ));
}
