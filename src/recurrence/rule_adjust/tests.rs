//! Tests of the rule adjuster: reading hook results, the shipped rule against its native
//! twin, the cache, errors, and the rule runtime's values (`DateTime`, `AgreementLine`,
//! `BusinessCalendar` and the business-day helpers) as `adjust_occurrence` sees them.

use super::*;
use crate::model::AgreementLineId;
use crate::recurrence::test_support::{agreement, line, model, rules, shipped};
use crate::recurrence::Window;
use chrono_tz::Europe::Berlin;

fn dt(text: &str) -> NaiveDateTime {
    parse_local(text).unwrap()
}

#[test]
fn hook_results_mean_keep_move_or_skip() {
    let o = dt("2027-03-06T09:00");
    let keep = decide(Dynamic::from(RuleDateTime(o)), o, Berlin);
    assert_eq!(keep, Ok(Adjusted::Keep));
    let moved = decide(
        Dynamic::from(RuleDateTime(dt("2027-03-08T09:00"))),
        o,
        Berlin,
    );
    assert_eq!(moved, Ok(Adjusted::Move(dt("2027-03-08T09:00"))));
    assert_eq!(decide(Dynamic::UNIT, o, Berlin), Ok(Adjusted::Skip));
    assert_eq!(decide(Dynamic::FALSE, o, Berlin), Ok(Adjusted::Skip));
    let text = decide(Dynamic::from("2027-03-08T10:15"), o, Berlin);
    assert_eq!(text, Ok(Adjusted::Move(dt("2027-03-08T10:15"))));
    // A date alone keeps the time of day.
    let date = decide(Dynamic::from("2027-03-08"), o, Berlin);
    assert_eq!(date, Ok(Adjusted::Move(dt("2027-03-08T09:00"))));
    // An RFC 3339 instant is read in the customer's zone.
    let utc = decide(Dynamic::from("2027-03-08T08:00:00Z"), o, Berlin);
    assert_eq!(utc, Ok(Adjusted::Move(dt("2027-03-08T09:00"))));
    let err = decide(Dynamic::from(42_i64), o, Berlin).unwrap_err();
    assert!(err.contains("type i64"), "{err}");
    let err = decide(Dynamic::from("soon"), o, Berlin).unwrap_err();
    assert!(err.contains("`soon`"), "{err}");
}

/// Every day of 2027 at 09:00, for a customer with a holiday calendar and one without:
/// the shipped rule and the native default decide the same.
#[test]
fn the_shipped_rule_equals_the_native_default() {
    let m = model(&format!(
        "[{}, {}]",
        agreement(
            "A-BER",
            "C-BER",
            &[line("L-BER", "FREQ=DAILY", "2027-01-01T09:00:00")]
        ),
        agreement(
            "A-NYC",
            "C-NYC",
            &[line("L-NYC", "FREQ=DAILY", "2027-01-01T09:00:00")]
        )
    ));
    let hook = shipped();
    for id in ["L-BER", "L-NYC"] {
        let ctx = LineContext::by_id(&m, &AgreementLineId::new(id)).unwrap();
        let mut rules = RuleAdjuster::new(&hook, NonBusinessDay::Keep);
        let mut native = NonBusinessDay::NextBusinessDay;
        rules.begin_line(&ctx);
        let window =
            Window::new(dt("2027-01-01T00:00").date(), dt("2028-01-01T00:00").date()).unwrap();
        let occurrences = ctx.occurrences(window).unwrap();
        assert_eq!(occurrences.len(), 365);
        let mut moved = 0;
        for o in occurrences {
            let o = o.naive_local();
            let by_rule = rules.adjust(o, &ctx).unwrap();
            assert_eq!(by_rule, native.adjust(o, &ctx).unwrap(), "{id} {o}");
            moved += usize::from(matches!(by_rule, Adjusted::Move(_)));
        }
        // 104 weekend days; Berlin also has three weekday holidays.
        assert_eq!(moved, if id == "L-BER" { 107 } else { 104 }, "{id}");
    }
}

#[test]
fn calls_that_do_not_read_the_line_are_shared_between_lines() {
    let lines: Vec<String> = (0..5)
        .map(|i| {
            line(
                &format!("L-{i}"),
                "FREQ=WEEKLY;BYDAY=MO,SA",
                "2027-01-04T09:00:00",
            )
        })
        .collect();
    let m = model(&format!("[{}]", agreement("A-1", "C-BER", &lines)));
    let window = Window::new(dt("2027-03-01T00:00").date(), dt("2027-04-01T00:00").date()).unwrap();
    let run = |hook: &RuleSet| {
        let mut rules = RuleAdjuster::new(hook, NonBusinessDay::Keep);
        let mut decisions = Vec::new();
        for i in 0..5 {
            let ctx = LineContext::by_id(&m, &AgreementLineId::new(format!("L-{i}"))).unwrap();
            rules.begin_line(&ctx);
            for o in ctx.occurrences(window).unwrap() {
                decisions.push(rules.adjust(o.naive_local(), &ctx).unwrap());
            }
        }
        (rules.stats(), decisions)
    };
    // 5 Mondays + 4 Saturdays in March 2027, 5 lines.
    let (stats, shared) = run(&shipped());
    assert_eq!(stats.occurrences, 45);
    assert_eq!(stats.calls, 9, "one call per distinct occurrence");
    assert_eq!(stats.cache_hits, 36);
    // Reading the line on the closed-day path makes exactly those calls per line: 4 Saturdays
    // and Easter Monday (29 March) per line, the 4 other Mondays once.
    let reads = rules(
        r#"fn adjust_occurrence(o, line, cal) {
               if is_business_day(o, cal) { return o; }
               if line.task == "CLEAN" { return (); }
               next_business_day(o, cal)
           }"#,
    );
    let (stats, decisions) = run(&reads);
    assert_eq!(stats.calls, 4 + 5 * 5);
    assert_eq!(
        decisions, shared,
        "same decisions with or without the cache"
    );
}

#[test]
fn a_failing_rule_names_the_line_and_the_occurrence() {
    let m = model(&format!(
        "[{}]",
        agreement(
            "A-1",
            "C-BER",
            &[line("L-1", "FREQ=WEEKLY;BYDAY=MO", "2027-01-04T09:00:00")]
        )
    ));
    let ctx = LineContext::by_id(&m, &AgreementLineId::new("L-1")).unwrap();
    for (source, needle) in [
        (r#"fn adjust_occurrence(o, line, cal) { throw "no" }"#, "no"),
        // A value of the wrong shape is located at the hook too (#14 item 8).
        (
            "fn adjust_occurrence(o, line, cal) { 42 }",
            "recurrence.rhai:1:4: hook `adjust_occurrence` returned a value of type i64",
        ),
        (
            r#"fn adjust_occurrence(o, line, cal) { "soon" }"#,
            "recurrence.rhai:1:4: hook `adjust_occurrence` returned `soon`, not a date/time",
        ),
    ] {
        let hook = rules(source);
        let mut rules = RuleAdjuster::new(&hook, NonBusinessDay::Keep);
        rules.begin_line(&ctx);
        let err = rules.adjust(dt("2027-03-01T09:00"), &ctx).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("agreement line `L-1`: adjust_occurrence for 2027-03-01 09:00:00"),
            "{text}"
        );
        assert!(text.contains(needle), "{text}");
    }
    // Without the hook, the fallback policy decides without any call.
    let none = rules("fn other() { 1 }");
    let mut rules = RuleAdjuster::new(&none, NonBusinessDay::Skip);
    rules.begin_line(&ctx);
    assert_eq!(
        rules.adjust(dt("2027-03-06T09:00"), &ctx),
        Ok(Adjusted::Skip)
    );
    assert_eq!(rules.stats().calls, 0);
}

#[test]
fn the_runtime_calendar_and_date_helpers_accept_datetimes_and_texts() {
    let m = model(&format!(
        "[{}]",
        agreement(
            "A-1",
            "C-BER",
            &[line("L-1", "FREQ=WEEKLY;BYDAY=FR", "2027-01-01T09:00:00")]
        )
    ));
    let ctx = LineContext::by_id(&m, &AgreementLineId::new("L-1")).unwrap();
    let hook = rules(
        r#"fn adjust_occurrence(o, line, cal) {
               [cal.is_business_day(o), `${cal.next_business_day(o)}`, `${cal.previous_business_day(o)}`,
                cal.is_holiday(o), weekday(o), date_of(o), is_business_day(o.to_string(), cal),
                next_business_day(o.date, cal), previous_business_day(`${o}`, cal),
                days_between(o, o.add_days(3)), cal.id, line.task, line.dtstart, line.start,
                line.stopped, line.tier, line.agreement, line.customer, `${line}`]
           }"#,
    );
    // Good Friday 2027 is a holiday of the fixture calendar, Easter Monday too.
    let good_friday = RuleDateTime(dt("2027-03-26T09:00"));
    let calendar = crate::rules::domain::calendar(ctx.calendar.unwrap());
    let read = Rc::new(Cell::new(false));
    let line = Dynamic::from(
        RuleLine::new(ctx.agreement, ctx.line, Some(ctx.customer)).noting_reads(Rc::clone(&read)),
    );
    let got = hook
        .call_hook(
            "adjust_occurrence",
            vec![Dynamic::from(good_friday), line, calendar],
        )
        .unwrap()
        .unwrap()
        .into_array()
        .unwrap();
    let got: Vec<String> = got.into_iter().map(|v| v.to_string()).collect();
    assert_eq!(
        got,
        [
            "false",
            "2027-03-30T09:00:00",
            "2027-03-25T09:00:00",
            "true",
            "fri",
            "2027-03-26",
            "false",
            "2027-03-30",
            "2027-03-25T09:00:00",
            "3",
            "berlin",
            "INSP",
            "2027-01-01T09:00:00",
            "",
            "false",
            "gold",
            "A-1",
            "C-BER",
            "AgreementLine(L-1)"
        ]
    );
    assert!(read.get(), "the view notes that the rule read the line");
}
