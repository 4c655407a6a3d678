//! Tests of the `DateTime` type and the business-day helpers on a bare engine; the same
//! helpers inside the sandbox, with calendars and agreement lines, are tested by recurrence
//! (`recurrence::rule_adjust`).

use super::*;

fn engine() -> Engine {
    let mut engine = Engine::new();
    register(&mut engine);
    engine
}

fn eval<T: Clone + 'static>(script: &str) -> T {
    engine().eval::<T>(script).unwrap()
}

#[test]
fn datetime_values_read_compute_and_compare() {
    let script = r#"
        let d = datetime("2027-03-06T09:30");
        [d.year, d.month, d.day, d.hour, d.minute, d.weekday, d.weekday_name, d.date, d.time,
         d.add_days(2).to_string(), d.with_time(14, 0).time, d < d.add_minutes(1),
         d == datetime(2027, 3, 6, 9, 30), date(2027, 3, 6).hour, `${d}`]
    "#;
    let got: rhai::Array = eval(script);
    let got: Vec<String> = got.into_iter().map(|v| v.to_string()).collect();
    assert_eq!(
        got,
        [
            "2027",
            "3",
            "6",
            "9",
            "30",
            "6",
            "sat",
            "2027-03-06",
            "09:30",
            "2027-03-08T09:30:00",
            "14:00",
            "true",
            "true",
            "0",
            "2027-03-06T09:30:00"
        ]
    );
    let engine = engine();
    assert!(engine
        .eval::<RuleDateTime>(r#"datetime("March 6th")"#)
        .is_err());
    assert!(engine.eval::<RuleDateTime>("date(2027, 2, 30)").is_err());
}

#[test]
fn business_day_helpers_without_a_calendar_count_monday_to_friday() {
    let got: rhai::Array = eval(
        r#"let sat = datetime("2027-03-06T09:00");
           [is_business_day(sat, ()), next_business_day(sat, ()).to_string(),
            previous_business_day(sat, ()).to_string()]"#,
    );
    let got: Vec<String> = got.into_iter().map(|v| v.to_string()).collect();
    assert_eq!(got, ["false", "2027-03-08T09:00:00", "2027-03-05T09:00:00"]);
}

#[test]
fn texts_stay_texts_and_a_closed_calendar_has_no_business_day() {
    let closed =
        BusinessCalendar::from_json(r#"{"id":"closed","time_zone":"UTC","weekly":{}}"#).unwrap();
    let engine = engine();
    let mut scope = rhai::Scope::new();
    scope.push("cal", Arc::new(closed));
    let got: rhai::Array = engine
        .eval_with_scope(
            &mut scope,
            r#"[next_business_day("2027-03-06", ()), previous_business_day("2027-03-08T10:00", ()),
                is_business_day("2027-03-08", cal), cal.is_business_day(datetime("2027-03-08T09:00")),
                cal.next_business_day(datetime("2027-03-06T09:00")),
                cal.previous_business_day("2027-03-06")]"#,
        )
        .unwrap();
    let got: Vec<String> = got.into_iter().map(|v| v.to_string()).collect();
    assert_eq!(
        got,
        [
            "2027-03-08",
            "2027-03-05T10:00:00",
            "false",
            "false",
            "",
            ""
        ]
    );
    let err = engine
        .eval_with_scope::<Dynamic>(
            &mut scope,
            r#"next_business_day(datetime("2027-03-06T09:00"), cal)"#,
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no next business day within 366 days of 2027-03-06"),
        "{err}"
    );
    let err = engine
        .eval::<Dynamic>(r#"is_business_day("2027-03-06", 42)"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected a BusinessCalendar or ()"), "{err}");
}
