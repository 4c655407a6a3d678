//! Technicians' calendars: planned visits as RFC 5545 VEVENTs (via the `icalendar` crate), with
//! UIDs stable across re-exports and SEQUENCE bumped when a visit moves (another time or another
//! technician), so calendar apps update an event instead of duplicating it. A visit taken away
//! from a technician stays in their calendar as `STATUS:CANCELLED`. `PRODID` names fieldwork;
//! a calendar without visits carries a UTC `VTIMEZONE`, because RFC 5545 requires at least one
//! component in a `VCALENDAR`.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use fieldwork::model::{Model, TechnicianId};
use fieldwork::schedule::plan::{PartKind, Plan, Visit};

/// What was last exported for one event: its times and SEQUENCE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedEvent {
    /// DTSTART last exported.
    pub start: DateTime<Utc>,
    /// DTEND last exported.
    pub end: DateTime<Utc>,
    /// SEQUENCE last exported.
    pub sequence: u32,
    /// The technician it was last exported for (absent in ledgers of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technician: Option<TechnicianId>,
    /// It was last exported as cancelled (taken away from that technician).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
}

/// The calendar's `PRODID`: fieldwork and its version (RFC 5545 3.7.3).
pub fn prodid() -> String {
    format!("-//fieldwork//fieldwork {}//EN", env!("CARGO_PKG_VERSION"))
}

/// The component of a calendar without visits: RFC 5545 (3.4, `icalbody = calprops
/// component`) requires at least one, and a UTC time zone definition is one that every reader
/// accepts and no calendar app shows.
const EMPTY_CALENDAR_COMPONENT: &str = "BEGIN:VTIMEZONE\r\nTZID:UTC\r\nBEGIN:STANDARD\r\n\
    DTSTART:19700101T000000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\nTZNAME:UTC\r\n\
    END:STANDARD\r\nEND:VTIMEZONE\r\n";

/// Previously exported events by UID; hosts persist it between exports.
pub type ExportLedger = BTreeMap<String, ExportedEvent>;

/// The stable UID of an order's visit (one visit per order per plan).
pub fn event_uid(order: &str) -> String {
    format!("{order}@fieldwork")
}

/// The stable UID of one visit of a route: [`event_uid`] for an order's only visit; a
/// multi-day job's part by its number (`SO-1-p2@fieldwork`), a crew member's by technician
/// (`SO-1-T-009@fieldwork`).
pub fn visit_uid(visit: &Visit, technician: &TechnicianId) -> String {
    match visit.part {
        None => event_uid(visit.order.as_str()),
        Some(p) if p.kind == PartKind::Day => format!("{}-p{}@fieldwork", visit.order, p.index),
        Some(_) => format!("{}-{technician}@fieldwork", visit.order),
    }
}

/// Builds the calendar of the given technicians' visits (all technicians when `technicians` is
/// empty) and the updated ledger: an unchanged visit keeps its SEQUENCE, a moved one (other
/// times or another technician) gets the next, a new one starts at 0. A visit the ledger has
/// for one of these technicians that the plan no longer gives them is exported as
/// `STATUS:CANCELLED` with the next SEQUENCE (and keeps it on later exports).
pub fn export(
    model: &Model,
    plan: &Plan,
    technicians: &[TechnicianId],
    ledger: &ExportLedger,
    now: DateTime<Utc>,
) -> (String, ExportLedger) {
    let mut calendar = Calendar::empty();
    calendar.append_property(("VERSION", "2.0"));
    calendar.append_property(("PRODID", prodid().as_str()));
    calendar.append_property(("CALSCALE", "GREGORIAN"));
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
    let selected = |t: &TechnicianId| technicians.is_empty() || technicians.contains(t);
    let mut exported: std::collections::HashSet<String> = std::collections::HashSet::new();
    for route in &plan.routes {
        if !selected(&route.technician) {
            continue;
        }
        for visit in &route.visits {
            let uid = visit_uid(visit, &route.technician);
            let sequence = match ledger.get(&uid) {
                Some(prev)
                    if prev.start == visit.start
                        && prev.end == visit.end
                        && !prev.cancelled
                        && prev
                            .technician
                            .as_ref()
                            .is_none_or(|t| t == &route.technician) =>
                {
                    prev.sequence
                }
                Some(prev) => prev.sequence + 1,
                None => 0,
            };
            exported.insert(uid.clone());
            next.insert(
                uid.clone(),
                ExportedEvent {
                    start: visit.start,
                    end: visit.end,
                    sequence,
                    technician: Some(route.technician.clone()),
                    cancelled: false,
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
                "{} · {}{}",
                task.map_or("Service visit", |t| t.description.as_str()),
                customer.map_or("", |c| c.name.as_str()),
                visit.part.map_or(String::new(), |p| format!(" ({p})"))
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
    // Visits these calendars showed that the plan has taken away from their technician.
    for (uid, prev) in ledger {
        let Some(tech) = prev.technician.as_ref().filter(|t| selected(t)) else {
            continue;
        };
        if exported.contains(uid) {
            continue;
        }
        let sequence = if prev.cancelled {
            prev.sequence
        } else {
            prev.sequence + 1
        };
        next.insert(
            uid.clone(),
            ExportedEvent {
                sequence,
                cancelled: true,
                ..prev.clone()
            },
        );
        let event = Event::new()
            .uid(uid)
            .sequence(sequence)
            .timestamp(now)
            .starts(prev.start)
            .ends(prev.end)
            .summary(&format!(
                "Cancelled: {}",
                uid.trim_end_matches("@fieldwork")
            ))
            .description(&format!("No longer planned for {tech}"))
            .status(icalendar::EventStatus::Cancelled)
            .done();
        calendar.push(event);
    }
    let calendar = calendar.done();
    let mut text = calendar.to_string();
    if calendar.components.is_empty() {
        if let Some(at) = text.rfind("END:VCALENDAR") {
            text.insert_str(at, EMPTY_CALENDAR_COMPONENT);
        }
    }
    (text, next)
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
                    part: None,
                }],
                return_minutes: 10.0,
                return_km: 5.0,
                depot_stop: None,
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

    /// The checks of a strict RFC 5545 reader on the structure: CRLF lines, one VERSION and
    /// PRODID, at least one component, balanced BEGIN/END, each VEVENT with UID and DTSTAMP,
    /// each VTIMEZONE with TZID and a STANDARD or DAYLIGHT part holding DTSTART, TZOFFSETFROM
    /// and TZOFFSETTO.
    fn strictly_valid(text: &str) -> Result<(), String> {
        if !text.ends_with("\r\n") || text.replace("\r\n", "").contains('\n') {
            return Err("lines must end in CRLF".into());
        }
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        if lines.first() != Some(&"BEGIN:VCALENDAR") || lines.last() != Some(&"END:VCALENDAR") {
            return Err("not one VCALENDAR".into());
        }
        let mut stack: Vec<&str> = Vec::new();
        let mut props: Vec<Vec<&str>> = Vec::new();
        let mut top_components = 0;
        let mut calprops: Vec<&str> = Vec::new();
        for line in &lines {
            let name = line.split([':', ';']).next().unwrap_or("");
            if let Some(c) = line.strip_prefix("BEGIN:") {
                if stack.len() == 1 {
                    top_components += 1;
                }
                stack.push(c);
                props.push(Vec::new());
            } else if let Some(c) = line.strip_prefix("END:") {
                if stack.pop() != Some(c) {
                    return Err(format!("unbalanced END:{c}"));
                }
                let mine = props.pop().unwrap_or_default();
                let need: &[&str] = match c {
                    "VEVENT" => &["UID", "DTSTAMP"],
                    "VTIMEZONE" => &["TZID"],
                    "STANDARD" | "DAYLIGHT" => &["DTSTART", "TZOFFSETFROM", "TZOFFSETTO"],
                    _ => &[],
                };
                for n in need {
                    if !mine.contains(n) {
                        return Err(format!("{c} without {n}"));
                    }
                }
                if c == "VTIMEZONE" && !mine.contains(&"STANDARD") && !mine.contains(&"DAYLIGHT") {
                    return Err("VTIMEZONE without STANDARD or DAYLIGHT".into());
                }
                if let Some(parent) = props.last_mut() {
                    parent.push(c);
                }
            } else if stack.len() == 1 {
                calprops.push(name);
            } else if let Some(mine) = props.last_mut() {
                mine.push(name);
            }
        }
        for p in ["VERSION", "PRODID"] {
            if calprops.iter().filter(|n| **n == p).count() != 1 {
                return Err(format!("{p} must appear once"));
            }
        }
        if top_components == 0 {
            return Err("a VCALENDAR needs at least one component".into());
        }
        Ok(())
    }

    #[test]
    fn prodid_names_fieldwork_and_an_empty_calendar_is_valid() {
        let model = Model::default();
        let now = Utc.with_ymd_and_hms(2027, 2, 28, 18, 0, 0).unwrap();
        let (text, _) = export(&model, &plan(9), &["T-9".into()], &ExportLedger::new(), now);
        assert!(events(&text).is_empty());
        assert!(text.contains("PRODID:-//fieldwork//fieldwork "), "{text}");
        assert!(!text.contains("ICALENDAR-RS"));
        assert_eq!(strictly_valid(&text), Ok(()), "{text}");
        let (full, _) = export(&model, &plan(9), &[], &ExportLedger::new(), now);
        assert_eq!(strictly_valid(&full), Ok(()), "{full}");
        assert!(!full.contains("VTIMEZONE"));
        // The checker can fail: a calendar without component is refused.
        let bare = text.replace(EMPTY_CALENDAR_COMPONENT, "");
        assert!(strictly_valid(&bare).is_err());
    }

    #[test]
    fn a_reassigned_visit_bumps_sequence_and_is_cancelled_for_the_old_technician() {
        let model = Model::default();
        let now = Utc.with_ymd_and_hms(2027, 2, 28, 18, 0, 0).unwrap();
        let t1: TechnicianId = "T-1".into();
        let t2: TechnicianId = "T-2".into();
        let (_, l1) = export(
            &model,
            &plan(9),
            std::slice::from_ref(&t1),
            &ExportLedger::new(),
            now,
        );
        // The same visit, same time, now with T-2.
        let mut moved = plan(9);
        moved.routes[0].technician = t2;
        let (old, l2) = export(&model, &moved, std::slice::from_ref(&t1), &l1, now);
        let e = &events(&old)[0];
        assert_eq!(e.get_status(), Some(icalendar::EventStatus::Cancelled));
        assert_eq!(e.get_sequence(), Some(1));
        assert_eq!(strictly_valid(&old), Ok(()));
        // Re-exported: still cancelled, same SEQUENCE.
        let (again, _) = export(&model, &moved, std::slice::from_ref(&t1), &l2, now);
        assert_eq!(events(&again)[0].get_sequence(), Some(1));
        // All technicians in one calendar: the event follows T-2 with the next SEQUENCE.
        let (all, _) = export(&model, &moved, &[], &l1, now);
        let e = &events(&all)[0];
        assert_eq!(e.get_sequence(), Some(1));
        assert_ne!(e.get_status(), Some(icalendar::EventStatus::Cancelled));
        assert!(e.get_description().unwrap().contains("Technician: T-2"));
    }

    #[test]
    fn filters_by_technician() {
        let model = Model::default();
        let now = Utc::now();
        let (text, _) = export(&model, &plan(9), &["T-2".into()], &ExportLedger::new(), now);
        assert!(events(&text).is_empty());
    }
}
