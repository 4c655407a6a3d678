//! The dispatch board: one self-contained HTML file (inline CSS and SVG, no network fetches)
//! with a row per technician, a bar per job at its planned start and length, travel drawn before
//! each job, colour by priority, SLA-at-risk jobs marked, the unassigned orders beside, KPIs of
//! the days shown on top.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::fmt::Write;

use fieldwork::model::{Model, Priority, TechnicianId};
use fieldwork::schedule::plan::{Plan, PlanKpis, Visit};
use fieldwork::store::sla_at_risk;

/// What to draw and how.
#[derive(Debug, Clone)]
pub struct BoardOptions {
    /// First local day shown.
    pub from: NaiveDate,
    /// Last local day shown (inclusive).
    pub to: NaiveDate,
    /// Zone the time axis is drawn in.
    pub zone: Tz,
    /// "Now", for marking jobs whose due time is near or past.
    pub now: DateTime<Utc>,
    /// A job is "at risk" when it starts later than this many minutes before its due time.
    pub risk_margin_minutes: i64,
}

const LABEL_W: f64 = 150.0;
const ROW_H: f64 = 24.0;
const HEADER_H: f64 = 40.0;

/// Colours by priority (critical red … low grey), readable on white.
fn colour(priority: Priority) -> &'static str {
    match priority {
        Priority::Critical => "#c62828",
        Priority::High => "#ef6c00",
        Priority::Normal => "#1565c0",
        Priority::Low => "#78909c",
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The visible hours of each day: from the earliest shift start to the latest shift end
/// (local), rounded out to whole hours; 07:00–19:00 when the plan is empty.
fn visible_hours(plan: &Plan, zone: Tz) -> (u32, u32) {
    let mut first = 24u32;
    let mut last = 0u32;
    for route in &plan.routes {
        let s = route.shift_start.with_timezone(&zone);
        let e = route.shift_end.with_timezone(&zone);
        first = first.min(s.hour());
        last = last.max(if e.minute() > 0 || e.second() > 0 {
            e.hour() + 1
        } else {
            e.hour()
        });
    }
    if first >= last {
        (7, 19)
    } else {
        (first, last.min(24))
    }
}

/// The time axis: the days shown side by side, each over the visible hours.
struct Axis {
    from: NaiveDate,
    days: i64,
    day_w: f64,
    first_hour: u32,
    hours: u32,
    zone: Tz,
}

impl Axis {
    /// x of an instant, clamped to its day's visible hours.
    fn x(&self, at: DateTime<Utc>) -> f64 {
        let local = at.with_timezone(&self.zone);
        let day = (local.date_naive() - self.from)
            .num_days()
            .clamp(0, self.days - 1);
        let hours =
            local.hour() as f64 + local.minute() as f64 / 60.0 + local.second() as f64 / 3600.0;
        let within = ((hours - self.first_hour as f64) / self.hours as f64).clamp(0.0, 1.0);
        LABEL_W + day as f64 * self.day_w + within * self.day_w
    }

    /// The axis of the days in `options`, over the plan's visible hours.
    fn of(plan: &Plan, options: &BoardOptions) -> Self {
        let days = ((options.to - options.from).num_days() + 1).max(1);
        let (first_hour, last_hour) = visible_hours(plan, options.zone);
        Axis {
            from: options.from,
            days,
            day_w: (1300.0 / days as f64).clamp(110.0, 320.0),
            first_hour,
            hours: last_hour - first_hour,
            zone: options.zone,
        }
    }
}

/// The board's rows: every active technician, in model order, plus any technician of the plan.
fn rows(model: &Model, plan: &Plan) -> Vec<TechnicianId> {
    let mut rows: Vec<TechnicianId> = model
        .technicians()
        .iter()
        .filter(|t| t.active)
        .map(|t| t.id.clone())
        .collect();
    for r in &plan.routes {
        if !rows.contains(&r.technician) {
            rows.push(r.technician.clone());
        }
    }
    rows
}

/// Draws the day columns with their names and hour lines.
fn draw_days(svg: &mut String, axis: &Axis, from: NaiveDate, row_count: usize) {
    let day_w = axis.day_w;
    let last_hour = axis.first_hour + axis.hours;
    for d in 0..axis.days {
        let x = LABEL_W + d as f64 * day_w;
        let date = from + Duration::days(d);
        let _ = write!(
            svg,
            r#"<rect class="day" x="{x:.1}" y="{HEADER_H}" width="{day_w:.1}" height="{:.1}" fill="{}"/>"#,
            row_count as f64 * ROW_H,
            if d % 2 == 0 { "#fafafa" } else { "#f0f0f0" }
        );
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="16" class="dayname">{}</text>"#,
            x + 4.0,
            date.format("%a %d %b")
        );
        // The day's closing hour is the next day's opening line: not labelled twice.
        for h in (axis.first_hour..last_hour).step_by(if day_w > 200.0 { 2 } else { 4 }) {
            let hx = x + (h - axis.first_hour) as f64 / axis.hours as f64 * day_w;
            let _ = write!(
                svg,
                r#"<line x1="{hx:.1}" y1="{}" x2="{hx:.1}" y2="{:.1}" class="grid"/><text x="{:.1}" y="34" class="hour">{h:02}</text>"#,
                HEADER_H - 4.0,
                HEADER_H + row_count as f64 * ROW_H,
                hx + 2.0
            );
        }
    }
}

/// Draws each row's technician label and separating line.
fn draw_row_labels(svg: &mut String, model: &Model, rows: &[TechnicianId], width: f64) {
    for (i, tech) in rows.iter().enumerate() {
        let y = HEADER_H + i as f64 * ROW_H;
        let name = model
            .technician(tech)
            .map_or(tech.to_string(), |t| format!("{} · {}", t.id, t.name));
        let _ = write!(
            svg,
            r#"<text x="4" y="{:.1}" class="tech">{}</text><line x1="0" y1="{y:.1}" x2="{width:.0}" y2="{y:.1}" class="rowline"/>"#,
            y + 16.0,
            escape(&name)
        );
    }
}

/// The tooltip of a visit's bar: order, customer, task, priority, times, due, risk.
fn visit_title(model: &Model, visit: &Visit, zone: Tz, at_risk: bool) -> String {
    let order = model.order(&visit.order);
    let priority = order.map_or(Priority::Normal, |o| o.priority);
    let customer = order
        .and_then(|o| model.customer(&o.customer))
        .map_or(String::new(), |c| c.name.clone());
    let task = order
        .and_then(|o| o.task_codes().next())
        .and_then(|c| model.task(c))
        .map_or(String::new(), |t| t.description.clone());
    let due = visit
        .due
        .map_or("none".to_owned(), |d| crate::format::instant(d, zone));
    format!(
        "{} · {} · {}\n{} · {}–{}\ndue {}{}",
        visit.order,
        customer,
        task,
        priority,
        crate::format::instant(visit.start, zone),
        crate::format::clock(visit.end, zone),
        due,
        if at_risk { " · SLA AT RISK" } else { "" }
    )
}

/// Draws one visit in the row at `y`: its travel line and its bar, marked when `at_risk`.
fn draw_visit(
    svg: &mut String,
    model: &Model,
    axis: &Axis,
    (technician, y): (&TechnicianId, f64),
    visit: &Visit,
    at_risk: bool,
) {
    let priority = model
        .order(&visit.order)
        .map_or(Priority::Normal, |o| o.priority);
    let x0 = axis.x(visit.start);
    let x1 = axis.x(visit.end).max(x0 + 2.0);
    if visit.travel_minutes > 0.0 {
        let tx = axis
            .x(visit.start - Duration::seconds((visit.travel_minutes * 60.0) as i64))
            .min(x0);
        let _ = write!(
            svg,
            r#"<line class="travel" x1="{tx:.1}" y1="{:.1}" x2="{x0:.1}" y2="{:.1}"/>"#,
            y + 12.0,
            y + 12.0
        );
    }
    let title = visit_title(model, visit, axis.zone, at_risk);
    let _ = write!(
        svg,
        r#"<g class="bar{}" data-order="{}" data-row="{}"><rect x="{x0:.2}" y="{:.1}" width="{:.2}" height="{:.1}" rx="3" fill="{}"/>{}<title>{}</title></g>"#,
        if at_risk { " risk" } else { "" },
        escape(visit.order.as_str()),
        escape(technician.as_str()),
        y + 3.0,
        x1 - x0,
        ROW_H - 6.0,
        colour(priority),
        if at_risk {
            format!(
                r#"<text x="{:.1}" y="{:.1}" class="riskmark">!</text>"#,
                x0 + 2.0,
                y + 16.0
            )
        } else {
            String::new()
        },
        escape(&title)
    );
}

/// The board itself: days, technician rows and a bar per visit of the days shown.
fn board_svg(model: &Model, plan: &Plan, options: &BoardOptions, axis: &Axis) -> String {
    let rows = rows(model, plan);
    let row_of: BTreeMap<&TechnicianId, usize> =
        rows.iter().enumerate().map(|(i, t)| (t, i)).collect();
    let width = LABEL_W + axis.days as f64 * axis.day_w + 10.0;
    let height = HEADER_H + rows.len() as f64 * ROW_H + 10.0;
    let in_range = |v: &Visit| {
        let d = v.start.with_timezone(&options.zone).date_naive();
        d >= options.from && d <= options.to
    };
    let margin = Duration::minutes(options.risk_margin_minutes);

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" role="img" aria-label="dispatch board">"#
    );
    draw_days(&mut svg, axis, options.from, rows.len());
    draw_row_labels(&mut svg, model, &rows, width);
    for route in &plan.routes {
        let Some(&row) = row_of.get(&route.technician) else {
            continue;
        };
        let y = HEADER_H + row as f64 * ROW_H;
        for visit in route.visits.iter().filter(|v| in_range(v)) {
            let at_risk = sla_at_risk(visit, options.now, margin);
            draw_visit(
                &mut svg,
                model,
                axis,
                (&route.technician, y),
                visit,
                at_risk,
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The KPIs of the days shown (the unassigned orders are the whole backlog).
fn shown_kpis(plan: &Plan, options: &BoardOptions) -> PlanKpis {
    let mut shown = Plan {
        routes: plan
            .routes
            .iter()
            .filter(|r| r.day >= options.from && r.day <= options.to)
            .cloned()
            .collect(),
        ..plan.clone()
    };
    shown.refresh_kpis();
    shown.kpis.orders_total = shown.kpis.orders_assigned + shown.unassigned.len();
    shown.kpis
}

/// The list items of the unassigned orders: id, priority, customer, reason and detail.
fn unassigned_items(model: &Model, plan: &Plan) -> String {
    let mut unassigned = String::new();
    for u in &plan.unassigned {
        let order = model.order(&u.order);
        let customer = order
            .and_then(|o| model.customer(&o.customer))
            .map_or(String::new(), |c| c.name.clone());
        let priority = order.map_or(String::new(), |o| o.priority.to_string());
        let _ = write!(
            unassigned,
            r#"<li data-order="{}"><b>{}</b> <span class="prio {p}">{p}</span><br>{}<br><i>{}</i>{}</li>"#,
            escape(u.order.as_str()),
            escape(u.order.as_str()),
            escape(&customer),
            escape(&u.reason.to_string()),
            if u.detail.is_empty() {
                String::new()
            } else {
                format!("<br><small>{}</small>", escape(&u.detail))
            },
            p = escape(&priority)
        );
    }
    unassigned
}

/// The priority colour key.
fn legend() -> String {
    [
        Priority::Critical,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ]
    .iter()
    .map(|p| {
        format!(
            r#"<span class="key" style="background:{}">{}</span>"#,
            colour(*p),
            p
        )
    })
    .collect()
}

/// Renders the board as one HTML document.
pub fn render(model: &Model, plan: &Plan, options: &BoardOptions) -> String {
    let axis = Axis::of(plan, options);
    let svg = board_svg(model, plan, options, &axis);
    let k = shown_kpis(plan, options);
    let unassigned = unassigned_items(model, plan);
    let legend = legend();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>fieldwork dispatch board · {range}</title>
<style>
body {{ font: 13px/1.35 system-ui, sans-serif; margin: 12px; color: #222; }}
h1 {{ font-size: 18px; margin: 0 0 8px; }}
.kpis {{ display: flex; gap: 18px; margin-bottom: 10px; flex-wrap: wrap; }}
.kpi {{ background: #eef3f8; padding: 6px 10px; border-radius: 6px; }}
.kpi b {{ display: block; font-size: 16px; }}
.layout {{ display: flex; gap: 14px; align-items: flex-start; }}
.board {{ overflow-x: auto; border: 1px solid #ddd; }}
.side {{ min-width: 240px; max-width: 300px; }}
.side ul {{ list-style: none; padding: 0; margin: 0; }}
.side li {{ border-bottom: 1px solid #eee; padding: 5px 0; }}
.key {{ color: #fff; padding: 1px 6px; border-radius: 3px; margin-right: 4px; }}
svg text {{ font-size: 11px; fill: #333; }}
svg .dayname {{ font-weight: 600; }}
svg .hour {{ fill: #888; font-size: 9px; }}
svg .grid {{ stroke: #ddd; }}
svg .rowline {{ stroke: #eee; }}
svg .travel {{ stroke: #555; stroke-width: 2; stroke-dasharray: 3 2; }}
svg .bar.risk rect {{ stroke: #000; stroke-width: 2; }}
svg .riskmark {{ fill: #fff; font-weight: 700; }}
</style></head>
<body>
<h1>Dispatch board · {range}</h1>
<div class="kpis">
<div class="kpi" id="kpi-assigned">assigned<b>{assigned} / {total}</b></div>
<div class="kpi" id="kpi-travel">travel<b>{travel_km} · {travel_h}</b></div>
<div class="kpi" id="kpi-utilisation">utilisation<b>{util:.0} %</b></div>
<div class="kpi" id="kpi-breaches">SLA breaches<b>{breaches}</b></div>
<div class="kpi">priority {legend} · travel <span style="border-bottom:2px dashed #555">&nbsp;&nbsp;&nbsp;&nbsp;</span> · <b style="display:inline">!</b> SLA at risk</div>
</div>
<div class="layout"><div class="board">{svg}</div>
<div class="side"><h2 style="font-size:15px">Unassigned ({unassigned_count})</h2><ul id="unassigned">{unassigned}</ul></div></div>
<p style="color:#888">Times in {zone}. Generated by fieldwork.</p>
</body></html>
"#,
        range = crate::format::date_range(options.from, options.to, options.zone),
        assigned = k.orders_assigned,
        total = k.orders_total,
        travel_km = crate::format::km(k.travel_km),
        travel_h = crate::format::minutes(k.travel_minutes),
        util = k.utilisation * 100.0,
        breaches = k.sla_breaches,
        unassigned_count = plan.unassigned.len(),
        zone = options.zone.name(),
    )
}
