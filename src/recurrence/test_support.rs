//! Test fixtures of the recurrence module: a small model with two customers in different
//! zones (one with a holiday calendar, one without a calendar) and rule sets.

use crate::model::Model;
use crate::rules::RuleSet;

/// Customer C-BER (Europe/Berlin, calendar `berlin`: Mon–Fri, Good Friday and Easter Monday
/// 2027 closed) and C-NYC (America/New_York, no calendar); tasks INSP and CLEAN; objects;
/// `agreements` is spliced in as the JSON array of agreements.
pub(crate) fn model(agreements: &str) -> Model {
    let json = format!(
        r#"{{
        "calendars": [{{"id": "berlin", "time_zone": "Europe/Berlin",
            "weekly": {{"mon": [["08:00","17:00"]], "tue": [["08:00","17:00"]],
                        "wed": [["08:00","17:00"]], "thu": [["08:00","17:00"]],
                        "fri": [["08:00","17:00"]]}},
            "holidays": ["2027-03-26", "2027-03-29", "2027-12-24"]}}],
        "customers": [
            {{"id": "C-BER", "name": "Berlin Site", "tier": "gold", "time_zone": "Europe/Berlin",
              "location": {{"lat": 52.5, "lon": 13.4}}, "calendar": "berlin"}},
            {{"id": "C-NYC", "name": "NYC Site", "tier": "silver",
              "time_zone": "America/New_York", "location": {{"lat": 40.7, "lon": -74.0}}}}],
        "service_objects": [
            {{"id": "BOILER-1", "customer": "C-BER", "serial": "B1", "model": "X"}},
            {{"id": "CHILLER-1", "customer": "C-BER", "serial": "C1", "model": "Y"}}],
        "tasks": [{{"code": "INSP", "description": "Inspection", "duration_minutes": 60}},
                  {{"code": "CLEAN", "description": "Cleaning", "duration_minutes": 30}}],
        "technicians": [{{"id": "T-1", "name": "Tess", "home": {{"lat": 52.5, "lon": 13.4}},
            "calendar": "berlin", "hourly_cost": "50", "max_hours_per_day": 8}}],
        "agreements": {agreements}
    }}"#
    );
    Model::from_json(&json).unwrap()
}

/// One agreement line as JSON.
pub(crate) fn line(id: &str, rrule: &str, dtstart: &str) -> String {
    format!(
        r#"{{"id": "{id}", "task": "INSP", "price": "80",
            "recurrence": {{"rrule": "{rrule}", "dtstart": "{dtstart}"}}}}"#
    )
}

/// One active agreement as JSON.
pub(crate) fn agreement(id: &str, customer: &str, lines: &[String]) -> String {
    format!(
        r#"{{"id": "{id}", "customer": "{customer}", "valid_from": "2020-01-01",
            "status": "active", "lines": [{}]}}"#,
        lines.join(",")
    )
}

/// A rule set of one file given as source (the sandbox of the rule runtime).
pub(crate) fn rules(source: &str) -> RuleSet {
    RuleSet::from_sources(&[("recurrence.rhai", source)]).unwrap()
}

/// The shipped `rules/recurrence.rhai`.
pub(crate) fn shipped() -> RuleSet {
    rules(include_str!("../../rules/recurrence.rhai"))
}
