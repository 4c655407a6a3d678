//! The technician's day: the route of one technician on one local date — times, addresses,
//! tasks, travel, each job's status and due time — as data (for `--json`) and as text.
//!
//! Due times read as everywhere in the views (the host's `format::due`): `due 12 Mar 17:00`,
//! and for open work whose due time has passed at now `due 12 Mar 09:00 (overdue)`, or
//! `due 12 Mar (overdue)` once more than a day has passed.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::fmt::Write;

use crate::format;
use fieldwork::model::{Model, OrderStatus, PartUnits, TechnicianId};
use fieldwork::schedule::plan::Plan;
use fieldwork::schedule::stock::day_stock;

/// One stop of the day.
#[derive(Debug, Clone, Serialize)]
pub struct Stop {
    /// Order id.
    pub order: String,
    /// Customer name.
    pub customer: String,
    /// Address (or coordinates).
    pub address: String,
    /// Task description.
    pub task: String,
    /// Priority.
    pub priority: String,
    /// Travel before this stop, minutes.
    pub travel_minutes: f64,
    /// Travel before this stop, kilometres.
    pub travel_km: f64,
    /// Planned start.
    pub start: DateTime<Utc>,
    /// Planned end.
    pub end: DateTime<Utc>,
    /// Due instant, if any.
    pub due: Option<DateTime<Utc>>,
    /// The order's status in the store (`scheduled`, `in_progress`, `on_hold`, `completed`).
    pub status: OrderStatus,
    /// Open work whose due time has passed at now.
    pub overdue: bool,
    /// Of a multi-day or crew job: which visit this is ("part 2 of 3", "crew member 1 of 2").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Parts the visit consumes (part id → units).
    #[serde(skip_serializing_if = "PartUnits::is_empty")]
    pub parts: PartUnits,
    /// Tools the visit needs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// What the van holds after the visit (parts restocked without limit at the depot stop are
    /// not counted after it).
    pub van_after: PartUnits,
    /// The depot stop just before this visit, if it is here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depot_before: Option<DepotVisit>,
}

/// The day's restocking stop at a depot.
#[derive(Debug, Clone, Serialize)]
pub struct DepotVisit {
    /// Depot id.
    pub depot: String,
    /// Depot name.
    pub name: String,
    /// Restocking starts.
    pub start: DateTime<Utc>,
    /// Departure.
    pub end: DateTime<Utc>,
    /// Parts available without limit after it.
    pub unlimited: Vec<String>,
}

/// Parts as text: `2 × P-filter, 1 × P-valve` (`—` for none).
pub fn parts_text(parts: &PartUnits) -> String {
    if parts.is_empty() {
        return "—".into();
    }
    parts
        .iter()
        .map(|(p, n)| format!("{n} × {p}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A technician's day.
#[derive(Debug, Clone, Serialize)]
pub struct DayView {
    /// Technician id.
    pub technician: String,
    /// Technician name.
    pub name: String,
    /// Local date.
    pub date: NaiveDate,
    /// Stops in order.
    pub stops: Vec<Stop>,
    /// Travel home after the last stop, minutes.
    pub return_minutes: f64,
    /// Total travel of the day, kilometres.
    pub travel_km: f64,
    /// Minutes the technician is back home after the day's regular end (overtime; 0 when
    /// back in time).
    pub overtime_minutes: f64,
    /// "Now" the view was made at (which due times have passed).
    pub now: DateTime<Utc>,
    /// The van's parts when the day starts (its standard stock; see docs/dataset.md, "Parts
    /// and tools").
    pub van_start: PartUnits,
    /// What is left in the van at the end of the day.
    pub van_end: PartUnits,
    /// The depot stop after the last visit (on the way home), if it is there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depot_last: Option<DepotVisit>,
}

/// Collects the technician's stops on a local date (empty when nothing is planned), with
/// each job's status and whether it is overdue at `now`.
pub fn day_view(
    model: &Model,
    plan: &Plan,
    technician: &TechnicianId,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> DayView {
    let mut view = DayView {
        technician: technician.to_string(),
        name: model
            .technician(technician)
            .map_or(String::new(), |t| t.name.clone()),
        date,
        stops: Vec::new(),
        return_minutes: 0.0,
        travel_km: 0.0,
        overtime_minutes: 0.0,
        now,
        van_start: PartUnits::new(),
        van_end: PartUnits::new(),
        depot_last: None,
    };
    for route in plan
        .routes
        .iter()
        .filter(|r| &r.technician == technician && r.day == date)
    {
        view.return_minutes += route.return_minutes;
        view.travel_km += route.travel_km();
        view.overtime_minutes += route.overtime_minutes();
        let stock = day_stock(model, route);
        let depot = route.depot_stop.as_ref().map(|d| DepotVisit {
            depot: d.depot.to_string(),
            name: model
                .depot(&d.depot)
                .map_or(String::new(), |x| x.name.clone()),
            start: d.start,
            end: d.end,
            unlimited: stock
                .as_ref()
                .map(|s| s.unlimited.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
        });
        let position = route.depot_position();
        if let Some(s) = &stock {
            if view.stops.is_empty() {
                view.van_start = s.start.clone();
            }
            view.van_end = s.end.clone();
        }
        if position == Some(route.visits.len()) {
            view.depot_last = depot.clone();
        }
        for (k, visit) in route.visits.iter().enumerate() {
            let walked = stock
                .as_ref()
                .and_then(|s| s.visits.iter().find(|v| v.order == visit.order));
            let order = model.order(&visit.order);
            let customer = order.and_then(|o| model.customer(&o.customer));
            let status = order.map_or(OrderStatus::Scheduled, |o| o.status());
            view.stops.push(Stop {
                status,
                overdue: status != OrderStatus::Completed && visit.due.is_some_and(|d| d < now),
                order: visit.order.to_string(),
                customer: customer.map_or(String::new(), |c| c.name.clone()),
                address: customer.map_or(String::new(), |c| {
                    c.address
                        .clone()
                        .unwrap_or_else(|| format!("{:.5},{:.5}", c.location.lat, c.location.lon))
                }),
                task: order
                    .and_then(|o| o.task_codes().next())
                    .and_then(|c| model.task(c))
                    .map_or(String::new(), |t| t.description.clone()),
                priority: order.map_or(String::new(), |o| o.priority.to_string()),
                travel_minutes: visit.travel_minutes,
                travel_km: visit.travel_km,
                start: visit.start,
                end: visit.end,
                due: visit.due,
                parts: walked.map_or_else(PartUnits::new, |w| w.consumed.clone()),
                tools: walked.map_or_else(Vec::new, |w| {
                    w.tools.iter().map(ToString::to_string).collect()
                }),
                van_after: walked.map_or_else(PartUnits::new, |w| w.left.clone()),
                depot_before: depot.clone().filter(|_| position == Some(k)),
                part: visit.part.map(|p| p.to_string()),
            });
        }
    }
    view
}

/// Renders the day as text in a zone.
pub fn render_text(view: &DayView, zone: Tz) -> String {
    let mut out = format!(
        "{} · {} · {} ({zone})\n",
        view.technician,
        view.name,
        format::date(view.date)
    );
    if view.stops.is_empty() {
        out.push_str("nothing planned\n");
        return out;
    }
    if !view.van_start.is_empty() {
        let _ = writeln!(out, "van at start: {}", parts_text(&view.van_start));
    }
    let depot_line = |out: &mut String, d: &DepotVisit| {
        let _ = writeln!(
            out,
            "    depot {}–{}  {} {} · restock{}",
            format::clock(d.start, zone),
            format::clock(d.end, zone),
            d.depot,
            d.name,
            if d.unlimited.is_empty() {
                String::new()
            } else {
                format!(" ({})", d.unlimited.join(", "))
            }
        );
    };
    for (i, s) in view.stops.iter().enumerate() {
        if let Some(d) = &s.depot_before {
            depot_line(&mut out, d);
        }
        let _ = writeln!(
            out,
            "{:>2}. {}–{}  {}{} · {} ({}{})\n    {}\n    drive {} / {}{}",
            i + 1,
            format::clock(s.start, zone),
            format::clock(s.end, zone),
            s.order,
            s.part.as_ref().map_or(String::new(), |p| format!(" ({p})")),
            s.task,
            s.priority,
            match s.status {
                OrderStatus::InProgress => ", in progress",
                OrderStatus::OnHold => ", on hold",
                OrderStatus::Completed => ", done",
                _ => "",
            },
            if s.address.is_empty() {
                s.customer.clone()
            } else {
                format!("{}, {}", s.customer, s.address)
            },
            format::minutes(s.travel_minutes),
            format::km(s.travel_km),
            s.due.map_or(String::new(), |d| format!(
                " · due {}",
                format::due(d, view.now, zone, s.status != OrderStatus::Completed)
            ))
        );
        if !s.parts.is_empty() || !s.tools.is_empty() {
            let tools = if s.tools.is_empty() {
                String::new()
            } else {
                format!(" · tools {}", s.tools.join(", "))
            };
            let _ = writeln!(
                out,
                "    parts {}{tools} · van left {}",
                parts_text(&s.parts),
                parts_text(&s.van_after)
            );
        }
    }
    if let Some(d) = &view.depot_last {
        depot_line(&mut out, d);
    }
    if !view.van_start.is_empty() {
        let _ = writeln!(out, "van at end: {}", parts_text(&view.van_end));
    }
    let _ = writeln!(
        out,
        "home: drive {} · day total {}{}",
        format::minutes(view.return_minutes),
        format::km(view.travel_km),
        overtime_text(view)
    );
    out
}

/// " · overtime 25 min" when the day runs past its regular end, else nothing.
fn overtime_text(view: &DayView) -> String {
    if view.overtime_minutes > 0.0 {
        format!(" · overtime {}", format::minutes(view.overtime_minutes))
    } else {
        String::new()
    }
}
/// Renders the day as a small HTML page readable on a phone (the server's `/me/today`):
/// one card per stop with times, order, task, customer and address (a map link), travel, due
/// time and status; `extra` is inserted before `</body>` (the server's live-update script).
pub fn render_html(view: &DayView, zone: Tz, extra: &str) -> String {
    use crate::views::board::escape;
    let mut cards = String::new();
    for (i, s) in view.stops.iter().enumerate() {
        let due = s.due.map_or(String::new(), |d| {
            format!(
                "<div class=\"due{}\">due {}</div>",
                if s.overdue { " overdue" } else { "" },
                escape(&format::due(
                    d,
                    view.now,
                    zone,
                    s.status != OrderStatus::Completed
                ))
            )
        });
        let address = if s.address.is_empty() {
            String::new()
        } else {
            format!(
                "<a href=\"https://www.openstreetmap.org/search?query={}\">{}</a>",
                escape(&s.address.replace(' ', "+")),
                escape(&s.address)
            )
        };
        let _ = write!(
            cards,
            "<li class=\"stop status-{status}\" data-order=\"{order}\" data-status=\"{status}\"><div class=\"time\">{n}. {start}–{end}</div><div class=\"what\"><b>{order}</b>{part} · {task} <span class=\"prio\">{prio}</span> <span class=\"st\">{status_text}</span></div><div>{customer}</div><div>{address}</div><div class=\"drive\">drive {drive} / {km}</div>{due}{stock}</li>",
            status = s.status.as_str(),
            order = escape(&s.order),
            part = s.part.as_ref().map_or(String::new(), |p| format!(" ({})", escape(p))),
            n = i + 1,
            start = format::clock(s.start, zone),
            end = format::clock(s.end, zone),
            task = escape(&s.task),
            prio = escape(&s.priority),
            status_text = s.status.as_str().replace('_', " "),
            customer = escape(&s.customer),
            drive = format::minutes(s.travel_minutes),
            km = format::km(s.travel_km),
            stock = if s.parts.is_empty() && s.tools.is_empty() {
                String::new()
            } else {
                format!(
                    "<div class=\"stock\">parts {} · tools {} · van left {}</div>",
                    escape(&parts_text(&s.parts)),
                    escape(&if s.tools.is_empty() { "—".to_owned() } else { s.tools.join(", ") }),
                    escape(&parts_text(&s.van_after))
                )
            },
        );
    }
    if view.stops.is_empty() {
        cards.push_str("<li class=\"empty\">nothing planned</li>");
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{tech} · {date}</title>
<style>
body {{ font: 16px/1.4 system-ui, sans-serif; margin: 0; padding: 12px; color: #222; max-width: 640px; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }}
ol {{ list-style: none; padding: 0; margin: 0; }}
li.stop {{ border: 1px solid #ddd; border-radius: 8px; padding: 10px; margin: 10px 0; }}
li.status-in_progress {{ border-color: #2e7d32; }}
li.status-completed {{ opacity: .6; }}
.time {{ font-weight: 700; font-size: 18px; }}
.st, .drive {{ color: #555; }}
.due.overdue {{ color: #d50000; font-weight: 600; }}
a {{ color: #1565c0; }}
</style></head>
<body>
<h1>{tech} · {name}</h1>
<p>{date} ({zone}) · {stops} stop(s)</p>
<ol id="stops">{cards}</ol>
<p class="drive">home: drive {home} · day total {total}{overtime}</p>
{extra}</body></html>
"#,
        tech = escape(&view.technician),
        name = escape(&view.name),
        date = format::date(view.date),
        zone = zone.name(),
        stops = view.stops.len(),
        home = format::minutes(view.return_minutes),
        total = format::km(view.travel_km),
        overtime = escape(&overtime_text(view)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_phone_page_escapes_and_lists_each_stop() {
        let at = Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap();
        let stop = Stop {
            order: "SO-1".into(),
            customer: "Müller & <Sons>".into(),
            address: "Hauptstr. 1".into(),
            task: "Annual service".into(),
            priority: "high".into(),
            travel_minutes: 12.0,
            travel_km: 8.0,
            start: at,
            end: at + chrono::Duration::minutes(60),
            due: Some(at - chrono::Duration::minutes(5)),
            status: OrderStatus::Scheduled,
            overdue: true,
            parts: PartUnits::from([("P-filter".into(), 2)]),
            tools: vec!["T-wrench".into()],
            van_after: PartUnits::from([("P-filter".into(), 1)]),
            depot_before: None,
            part: Some("part 2 of 3".into()),
        };
        let view = DayView {
            technician: "T-001".into(),
            name: "Ana".into(),
            date: at.date_naive(),
            stops: vec![stop],
            return_minutes: 10.0,
            travel_km: 16.0,
            overtime_minutes: 25.0,
            now: at,
            van_start: PartUnits::from([("P-filter".into(), 3)]),
            van_end: PartUnits::from([("P-filter".into(), 1)]),
            depot_last: None,
        };
        let html = render_html(&view, chrono_tz::Europe::Berlin, "<!--extra-->");
        assert!(html.contains("width=device-width"));
        assert!(html.contains("Müller &amp; &lt;Sons&gt;"), "{html}");
        assert!(html.contains(r#"data-order="SO-1""#));
        assert!(html.contains("09:00"), "local times: {html}");
        assert!(
            html.contains("day total 16.0 km · overtime 25 min"),
            "{html}"
        );
        assert!(html.contains(r#"class="due overdue""#));
        assert!(html.contains("<!--extra--></body>"));
        assert!(html.contains("parts 2 × P-filter · tools T-wrench · van left 1 × P-filter"));
        let text = render_text(&view, chrono_tz::Europe::Berlin);
        assert!(text.contains("van at start: 3 × P-filter"), "{text}");
        assert!(text.contains("parts 2 × P-filter · tools T-wrench · van left 1 × P-filter"));
        assert!(text.contains("van at end: 1 × P-filter"), "{text}");
        assert!(html.contains("<b>SO-1</b> (part 2 of 3)"), "{html}");
    }
}
