//! Technicians' calendars: planned visits as RFC 5545 VEVENTs (via the `icalendar` crate), with
//! UIDs stable across re-exports and SEQUENCE bumped when a visit moves, so calendar apps update
//! an event instead of duplicating it.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use fieldwork::model::{Model, TechnicianId};
use fieldwork::schedule::plan::Plan;

/// What was last exported for one event: its times and SEQUENCE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedEvent {
    /// DTSTART last exported.
    pub start: DateTime<Utc>,
    /// DTEND last exported.
    pub end: DateTime<Utc>,
    /// SEQUENCE last exported.
    pub sequence: u32,
}

/// Previously exported events by UID; hosts persist it between exports.
pub type ExportLedger = BTreeMap<String, ExportedEvent>;

/// The stable UID of an order's visit (one visit per order per plan).
pub fn event_uid(order: &str) -> String {
    format!("{order}@fieldwork")
}

/// Builds the calendar of the given technicians' visits (all technicians when `technicians` is
/// empty) and the updated ledger: an unchanged visit keeps its SEQUENCE, a moved one gets the
/// next, a new one starts at 0.
pub fn export(
    model: &Model,
    plan: &Plan,
    technicians: &[TechnicianId],
    ledger: &ExportLedger,
    now: DateTime<Utc>,
) -> (String, ExportLedger) {
    let mut calendar = Calendar::new();
    let name = match technicians {
        [one] => model
            .technician(one)
            .map_or(format!("fieldwork {one}"), |t| {
                format!("fieldwork · {}", t.name)
            }),
        _ => "fieldwork · all technicians".to_owned(),
    };
    calendar.name(&name);
    let mut next = ledger.clone();
    for route in &plan.routes {
        if !technicians.is_empty() && !technicians.contains(&route.technician) {
            continue;
        }
        for visit in &route.visits {
            let uid = event_uid(visit.order.as_str());
            let sequence = match ledger.get(&uid) {
                Some(prev) if prev.start == visit.start && prev.end == visit.end => prev.sequence,
                Some(prev) => prev.sequence + 1,
                None => 0,
            };
            next.insert(
                uid.clone(),
                ExportedEvent {
                    start: visit.start,
                    end: visit.end,
                    sequence,
                },
            );
            let order = model.order(&visit.order);
            let customer = order.and_then(|o| model.customer(&o.customer));
            let task = order
                .and_then(|o| o.task_codes().next())
                .and_then(|c| model.task(c));
            let location = match customer {
                Some(c) => c
                    .address
                    .clone()
                    .unwrap_or_else(|| format!("{:.5},{:.5}", c.location.lat, c.location.lon)),
                None => String::new(),
            };
            let mut description = format!(
                "Order {}\nTask: {}\nTechnician: {}\nSLA due: {}",
                visit.order,
                task.map_or("-".to_owned(), |t| format!(
                    "{} ({})",
                    t.description, t.code
                )),
                route.technician,
                visit.due.map_or("none".to_owned(), |d| {
                    let zone = model
                        .technician(&route.technician)
                        .and_then(|t| model.calendar(&t.calendar))
                        .and_then(|c| c.time_zone.tz().ok())
                        .unwrap_or(chrono_tz::Tz::UTC);
                    crate::format::instant(d, zone)
                }),
            );
            if let Some(o) = order.filter(|o| !o.description.is_empty()) {
                description.push_str(&format!("\nReported: {}", o.description));
            }
            let summary = format!(
                "{} · {}",
                task.map_or("Service visit", |t| t.description.as_str()),
                customer.map_or("", |c| c.name.as_str())
            );
            let event = Event::new()
                .uid(&uid)
                .sequence(sequence)
                .timestamp(now)
                .starts(visit.start)
                .ends(visit.end)
                .summary(&summary)
                .location(&location)
                .description(&description)
                .done();
            calendar.push(event);
        }
    }
    (calendar.done().to_string(), next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use fieldwork::schedule::plan::{PlanKpis, Route, Visit};
    use icalendar::CalendarComponent;

    fn plan(start_hour: u32) -> Plan {
        let t = |h, m| Utc.with_ymd_and_hms(2027, 3, 1, h, m, 0).unwrap();
        Plan {
            from: t(0, 0),
            to: t(23, 0),
            routes: vec![Route {
                technician: "T-1".into(),
                day: "2027-03-01".parse().unwrap(),
                shift_start: t(7, 0),
                shift_end: t(16, 0),
                visits: vec![Visit {
                    order: "SO-1".into(),
                    arrival: t(start_hour, 0),
                    start: t(start_hour, 0),
                    end: t(start_hour + 1, 30),
                    travel_minutes: 20.0,
                    travel_km: 12.0,
                    due: Some(t(12, 0)),
                    late_minutes: 0.0,
                    fixed: false,
                }],
                return_minutes: 10.0,
                return_km: 5.0,
            }],
            unassigned: vec![],
            kpis: PlanKpis::default(),
        }
    }

    fn events(text: &str) -> Vec<Event> {
        let parsed: Calendar = text.parse().expect("our output parses as iCalendar");
        parsed
            .components
            .into_iter()
            .filter_map(|c| match c {
                CalendarComponent::Event(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn export_parses_back_with_stable_uid_and_bumped_sequence_on_move() {
        let model = Model::default();
        let now = Utc.with_ymd_and_hms(2027, 2, 28, 18, 0, 0).unwrap();
        let (first, ledger) = export(&model, &plan(9), &[], &ExportLedger::new(), now);
        assert!(first.contains("DTSTART:20270301T090000Z"), "{first}");
        let e = &events(&first)[0];
        assert_eq!(e.get_uid(), Some("SO-1@fieldwork"));
        assert_eq!(e.get_sequence(), Some(0));
        assert!(e
            .get_description()
            .unwrap()
            .contains("SLA due: Mon 2027-03-01 "));

        let (same, ledger2) = export(&model, &plan(9), &[], &ledger, now);
        assert_eq!(events(&same)[0].get_sequence(), Some(0));
        let (moved, _) = export(&model, &plan(10), &[], &ledger2, now);
        let e = &events(&moved)[0];
        assert_eq!(e.get_uid(), Some("SO-1@fieldwork"));
        assert_eq!(e.get_sequence(), Some(1));
        assert!(moved.contains("DTEND:20270301T113000Z"));
    }

    #[test]
    fn filters_by_technician() {
        let model = Model::default();
        let now = Utc::now();
        let (text, _) = export(&model, &plan(9), &["T-2".into()], &ExportLedger::new(), now);
        assert!(events(&text).is_empty());
    }
}
