//! The dispatch board: one self-contained HTML file (inline CSS and SVG, no scripts, no network
//! fetches) of the **whole window** — a row per technician with a bar per job at its planned
//! start and length and travel drawn before it, the window's **backlog** (open orders that no
//! plan holds, with why), a line at **now**, **SLA due markers**, and the KPIs of the days shown
//! on top.
//!
//! The board is built in two steps: [`board_view`] computes the view model ([`BoardView`]: rows,
//! bars, backlog, KPIs — plain data, unit-tested), and [`render_view`] draws it. The encoding:
//!
//! * **fill colour = priority** (critical red, high orange, normal blue, low grey);
//! * **status = pattern and border**: scheduled solid; in progress white diagonal stripes and
//!   `▶`; on hold pale with a dashed border and `❚❚`; done pale with `✓`; SLA at risk (starts
//!   after or close to its due time, or due has passed) a thick black border and `!`;
//! * **actual times**: a green line under the bar from the recorded start (the order's first
//!   `in_progress`) to its finish (`completed`), or to now while the work goes on;
//! * **SLA due markers**: a small triangle at the top of the technician's row at each visit's
//!   due instant, a diamond in the backlog lane for each backlog order, when the due instant
//!   falls on the days shown; red when the order is open and its due time has passed;
//! * **now**: a purple vertical line, when now falls on the days shown.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use crate::format;
use fieldwork::model::{Model, OrderId, OrderStatus, Priority, ServiceOrder, TechnicianId};
use fieldwork::schedule::plan::{Plan, Visit};
use fieldwork::store::{backlog, sla_at_risk, BacklogReason};

/// What to draw and how.
#[derive(Debug, Clone)]
pub struct BoardOptions {
    /// First local day shown.
    pub from: NaiveDate,
    /// Last local day shown (inclusive).
    pub to: NaiveDate,
    /// Zone the time axis is drawn in.
    pub zone: Tz,
    /// "Now" (the command's `--at`): the now line, overdue markers, at-risk jobs.
    pub now: DateTime<Utc>,
    /// A job is "at risk" when it starts later than this many minutes before its due time.
    pub risk_margin_minutes: i64,
}

/// SLA due instants by order (the resolution deadline at now), for orders without their own
/// `due`; the caller computes them with the SLA engine and its rules.
pub type Dues = HashMap<OrderId, DateTime<Utc>>;

/// At most this many backlog orders are listed (and drawn); the KPIs count them all.
pub const MAX_BACKLOG_LISTED: usize = 500;

/// A technician's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The technician.
    pub technician: TechnicianId,
    /// `T-001 · Name`.
    pub label: String,
}

/// A planned visit on the days shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The order.
    pub order: OrderId,
    /// Index into [`BoardView::rows`].
    pub row: usize,
    /// Planned start.
    pub start: DateTime<Utc>,
    /// Planned end.
    pub end: DateTime<Utc>,
    /// Travel before it, minutes.
    pub travel_minutes: f64,
    /// The order's priority (the bar's fill).
    pub priority: Priority,
    /// The order's status in the store (the bar's pattern and border).
    pub status: OrderStatus,
    /// The due instant ([`due_of`]).
    pub due: Option<DateTime<Utc>>,
    /// Whether the due instant falls on the days shown (a marker is drawn).
    pub due_shown: bool,
    /// Open (not completed) and its due time has passed at now.
    pub overdue: bool,
    /// SLA at risk ([`sla_at_risk`]); never for completed work.
    pub at_risk: bool,
    /// Recorded start of the work (the first change to `in_progress`).
    pub actual_start: Option<DateTime<Utc>>,
    /// Recorded finish (the change to `completed`).
    pub actual_end: Option<DateTime<Utc>>,
    /// Of a multi-day or crew job: which visit ("part 2 of 3", "crew member 1 of 2").
    pub part: Option<String>,
    /// Hover text.
    pub title: String,
}

/// An open order of the window that no plan holds.
#[derive(Debug, Clone, PartialEq)]
pub struct BacklogItem {
    /// The order.
    pub order: OrderId,
    /// Customer name.
    pub customer: String,
    /// The first task's description.
    pub task: String,
    /// Priority.
    pub priority: Priority,
    /// Status in the store.
    pub status: OrderStatus,
    /// Why it is not on the schedule.
    pub reason: BacklogReason,
    /// The due instant ([`due_of`]).
    pub due: Option<DateTime<Utc>>,
    /// Whether the due instant falls on the days shown (a marker is drawn).
    pub due_shown: bool,
    /// Its due time has passed at now.
    pub overdue: bool,
}

/// One figure of the KPI strip. The strip is a list so that more figures (on-site time,
/// first-time fix, SLA met %) are added by pushing to [`BoardView::kpis`] in [`kpis`].
#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    /// Stable id: the element is `id="kpi-{id}"`.
    pub id: &'static str,
    /// Label above the figure.
    pub label: String,
    /// The figure.
    pub value: String,
    /// What it counts (hover text).
    pub hint: String,
}

/// Everything the board draws, computed from the model, the current schedule and the options.
#[derive(Debug, Clone)]
pub struct BoardView {
    /// The options it was built with.
    pub options: BoardOptions,
    /// First visible hour of each day (local).
    pub first_hour: u32,
    /// End of the visible hours of each day (local, exclusive, at most 24).
    pub last_hour: u32,
    /// Technicians' rows.
    pub rows: Vec<Row>,
    /// Visits starting on the days shown, in route order.
    pub bars: Vec<Bar>,
    /// Backlog orders, overdue first, then by due time, priority and id; at most
    /// [`MAX_BACKLOG_LISTED`].
    pub backlog: Vec<BacklogItem>,
    /// All backlog orders of the window (also those beyond [`MAX_BACKLOG_LISTED`]).
    pub backlog_total: usize,
    /// The KPIs of the days shown.
    pub kpis: Vec<Kpi>,
}

impl BoardView {
    /// Whether now falls on the days shown (the now line is drawn).
    pub fn now_shown(&self) -> bool {
        self.shows(self.options.now)
    }

    /// Whether an instant's local date is one of the days shown.
    pub fn shows(&self, at: DateTime<Utc>) -> bool {
        let d = at.with_timezone(&self.options.zone).date_naive();
        d >= self.options.from && d <= self.options.to
    }
}

/// The due instant of an order: its own `due`, else its SLA resolution deadline from `dues`,
/// else `planned` (the due time the plan recorded) — the planner's order of precedence.
pub fn due_of(
    order: Option<&ServiceOrder>,
    dues: &Dues,
    planned: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    order
        .and_then(|o| o.due.or_else(|| dues.get(&o.id).copied()))
        .or(planned)
}

/// The recorded start (first change to `in_progress`) and finish (change to `completed`) of
/// an order, from its status history.
pub fn actual_times(order: &ServiceOrder) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let first = |s: OrderStatus| order.history.iter().find(|c| c.status == s).map(|c| c.at);
    (
        first(OrderStatus::InProgress),
        first(OrderStatus::Completed),
    )
}

/// Colours by priority (critical red … low grey), readable on white.
fn colour(priority: Priority) -> &'static str {
    match priority {
        Priority::Critical => "#c62828",
        Priority::High => "#ef6c00",
        Priority::Normal => "#1565c0",
        Priority::Low => "#78909c",
    }
}

/// The status name shown to people.
fn status_label(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Created => "created",
        OrderStatus::Scheduled => "scheduled",
        OrderStatus::InProgress => "in progress",
        OrderStatus::OnHold => "on hold",
        OrderStatus::Completed => "done",
        OrderStatus::Cancelled => "cancelled",
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

/// The visible hours of each day: from the earliest shift start to the latest shift end or
/// return home in overtime (local), rounded out to whole hours; 07:00–19:00 when the plan is
/// empty.
fn visible_hours(plan: &Plan, zone: Tz) -> (u32, u32) {
    let mut first = 24u32;
    let mut last = 0u32;
    for route in &plan.routes {
        let s = route.shift_start.with_timezone(&zone);
        let e = route.shift_end.max(route.return_at()).with_timezone(&zone);
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

/// The board's rows: every active technician, in model order, plus any technician of the plan.
fn rows(model: &Model, plan: &Plan) -> Vec<Row> {
    let mut ids: Vec<TechnicianId> = model
        .technicians()
        .iter()
        .filter(|t| t.active)
        .map(|t| t.id.clone())
        .collect();
    for r in &plan.routes {
        if !ids.contains(&r.technician) {
            ids.push(r.technician.clone());
        }
    }
    ids.into_iter()
        .map(|id| Row {
            label: model
                .technician(&id)
                .map_or(id.to_string(), |t| format!("{} · {}", t.id, t.name)),
            technician: id,
        })
        .collect()
}

/// Customer name and first task description of an order.
fn customer_and_task(model: &Model, order: Option<&ServiceOrder>) -> (String, String) {
    let customer = order
        .and_then(|o| model.customer(&o.customer))
        .map_or(String::new(), |c| c.name.clone());
    let task = order
        .and_then(|o| o.task_codes().next())
        .and_then(|c| model.task(c))
        .map_or(String::new(), |t| t.description.clone());
    (customer, task)
}

/// The hover text of a bar.
fn bar_title(bar: &Bar, customer: &str, task: &str, options: &BoardOptions) -> String {
    let zone = options.zone;
    let mut title = format!(
        "{} · {} · {}\n{} · {}\n{}–{}\ndue {}{}",
        bar.order,
        customer,
        task,
        bar.priority,
        status_label(bar.status),
        format::instant(bar.start, zone),
        format::clock(bar.end, zone),
        bar.due.map_or("none".to_owned(), |d| format::due(
            d,
            options.now,
            zone,
            bar.status != OrderStatus::Completed
        )),
        if bar.at_risk { " · SLA AT RISK" } else { "" }
    );
    if let Some(part) = &bar.part {
        let _ = write!(title, "\n{part}");
    }
    if let Some(s) = bar.actual_start {
        let _ = write!(title, "\nstarted {}", format::instant(s, zone));
    }
    if let Some(e) = bar.actual_end {
        let _ = write!(title, " · finished {}", format::instant(e, zone));
    }
    title
}

/// The stock lines of a bar's hover text: the depot stop just before the visit, the parts it
/// consumes and its tools, and what is left in the van after it (empty for a visit that needs
/// no part or tool and follows no depot stop).
fn stock_title(
    walked: Option<&fieldwork::schedule::stock::VisitStock>,
    depot: Option<&fieldwork::schedule::plan::DepotStop>,
    zone: chrono_tz::Tz,
) -> String {
    use crate::views::today::parts_text;
    let mut out = String::new();
    if let Some(d) = depot {
        let _ = write!(
            out,
            "\nafter restocking at {} {}–{}",
            d.depot,
            format::clock(d.start, zone),
            format::clock(d.end, zone)
        );
    }
    if let Some(w) = walked.filter(|w| !w.consumed.is_empty() || !w.tools.is_empty()) {
        let _ = write!(out, "\nparts {}", parts_text(&w.consumed));
        if !w.tools.is_empty() {
            let tools: Vec<String> = w.tools.iter().map(ToString::to_string).collect();
            let _ = write!(out, " · tools {}", tools.join(", "));
        }
        let _ = write!(out, "\nvan left {}", parts_text(&w.left));
    }
    out
}

/// The bars of the visits starting on the days shown.
fn bars(model: &Model, plan: &Plan, dues: &Dues, options: &BoardOptions, rows: &[Row]) -> Vec<Bar> {
    let row_of: BTreeMap<&TechnicianId, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (&r.technician, i))
        .collect();
    let on_days = |at: DateTime<Utc>| {
        let d = at.with_timezone(&options.zone).date_naive();
        d >= options.from && d <= options.to
    };
    let margin = Duration::minutes(options.risk_margin_minutes);
    let mut bars = Vec::new();
    for route in &plan.routes {
        let Some(&row) = row_of.get(&route.technician) else {
            continue;
        };
        let stock = fieldwork::schedule::stock::day_stock(model, route);
        let position = route.depot_position();
        for (k, visit) in route
            .visits
            .iter()
            .enumerate()
            .filter(|(_, v)| on_days(v.start))
        {
            let order = model.order(&visit.order);
            // An order the model does not know is drawn as planned.
            let status = order.map_or(OrderStatus::Scheduled, ServiceOrder::status);
            let open = status != OrderStatus::Completed;
            let due = due_of(order, dues, visit.due);
            let (actual_start, actual_end) = order.map_or((None, None), actual_times);
            let risk_visit = Visit {
                due,
                ..visit.clone()
            };
            let mut bar = Bar {
                order: visit.order.clone(),
                row,
                start: visit.start,
                end: visit.end,
                travel_minutes: visit.travel_minutes,
                priority: order.map_or(Priority::Normal, |o| o.priority),
                status,
                due,
                due_shown: due.is_some_and(on_days),
                overdue: open && due.is_some_and(|d| d < options.now),
                at_risk: open && sla_at_risk(&risk_visit, options.now, margin),
                actual_start,
                actual_end,
                part: visit.part.map(|p| p.to_string()),
                title: String::new(),
            };
            let (customer, task) = customer_and_task(model, order);
            bar.title = bar_title(&bar, &customer, &task, options);
            let walked = stock
                .as_ref()
                .and_then(|s| s.visits.iter().find(|v| v.order == visit.order));
            let depot = route.depot_stop.as_ref().filter(|_| position == Some(k));
            bar.title
                .push_str(&stock_title(walked, depot, options.zone));
            bars.push(bar);
        }
    }
    bars
}

/// The backlog items of the window, sorted: overdue first, then by due time (none last), then
/// by priority (critical first) and id.
fn backlog_items(
    model: &Model,
    plan: &Plan,
    dues: &Dues,
    options: &BoardOptions,
) -> Vec<BacklogItem> {
    let until = fieldwork::calendar::local_instant(
        options.zone,
        (options.to + Duration::days(1)).and_time(chrono::NaiveTime::MIN),
    );
    let on_days = |at: DateTime<Utc>| {
        let d = at.with_timezone(&options.zone).date_naive();
        d >= options.from && d <= options.to
    };
    let mut items: Vec<BacklogItem> = backlog(model, plan, until)
        .into_iter()
        .map(|entry| {
            let order = model.order(&entry.order);
            let (customer, task) = customer_and_task(model, order);
            let due = due_of(order, dues, None);
            BacklogItem {
                customer,
                task,
                priority: order.map_or(Priority::Normal, |o| o.priority),
                status: order.map_or(OrderStatus::Created, ServiceOrder::status),
                due,
                due_shown: due.is_some_and(on_days),
                overdue: due.is_some_and(|d| d < options.now),
                order: entry.order,
                reason: entry.reason,
            }
        })
        .collect();
    items.sort_by(|a, b| {
        (
            !a.overdue,
            a.due.is_none(),
            a.due,
            std::cmp::Reverse(a.priority.weight()),
        )
            .cmp(&(
                !b.overdue,
                b.due.is_none(),
                b.due,
                std::cmp::Reverse(b.priority.weight()),
            ))
            .then_with(|| a.order.cmp(&b.order))
    });
    items
}

/// The KPIs of the days shown: planned against the window's work, backlog, travel, utilisation,
/// late visits and the status of the visits shown. Further figures are pushed here.
pub fn kpis(
    plan: &Plan,
    options: &BoardOptions,
    bars: &[Bar],
    backlog: &[BacklogItem],
) -> Vec<Kpi> {
    let mut shown = Plan {
        routes: plan
            .routes
            .iter()
            .filter(|r| r.day >= options.from && r.day <= options.to)
            .cloned()
            .collect(),
        unassigned: Vec::new(),
        ..plan.clone()
    };
    shown.refresh_kpis();
    let k = &shown.kpis;
    let overdue = backlog.iter().filter(|b| b.overdue).count();
    let count = |s: OrderStatus| bars.iter().filter(|b| b.status == s).count();
    vec![
        Kpi {
            id: "assigned",
            label: "planned".into(),
            value: format!("{} / {}", bars.len(), bars.len() + backlog.len()),
            hint: "visits on the days shown / those plus the window's backlog".into(),
        },
        Kpi {
            id: "backlog",
            label: "backlog".into(),
            value: format!("{} · {overdue} overdue", backlog.len()),
            hint: "open orders of the window that no plan holds; overdue: due time passed".into(),
        },
        Kpi {
            id: "travel",
            label: "travel".into(),
            value: format!(
                "{} · {}",
                format::km(k.travel_km),
                format::minutes(k.travel_minutes)
            ),
            hint: "driving of the routes of the days shown".into(),
        },
        Kpi {
            id: "utilisation",
            label: "utilisation".into(),
            value: format!("{:.0} %", k.utilisation * 100.0),
            hint: "(work + travel) / shift time of the routes of the days shown".into(),
        },
        Kpi {
            id: "overtime",
            label: "overtime".into(),
            value: format::minutes(k.overtime_minutes),
            hint: "time the routes of the days shown bring technicians home after their \
                   shift's regular end (allowed by a technician profile's overtime_minutes)"
                .into(),
        },
        Kpi {
            id: "breaches",
            label: "SLA breaches".into(),
            value: k.sla_breaches.to_string(),
            hint: "visits of the days shown planned to start after their due time".into(),
        },
        Kpi {
            id: "status",
            label: "in progress · on hold · done".into(),
            value: format!(
                "{} · {} · {}",
                count(OrderStatus::InProgress),
                count(OrderStatus::OnHold),
                count(OrderStatus::Completed)
            ),
            hint: "visits of the days shown by their order's status in the store".into(),
        },
    ]
}

/// Builds the view model of the board: the rows, the bars of the visits on the days shown,
/// the window's backlog and the KPIs of the days shown. `plan` is the current schedule
/// ([`fieldwork::store::current_plan`]); `dues` the SLA deadlines of orders without their own
/// due time.
pub fn board_view(model: &Model, plan: &Plan, dues: &Dues, options: &BoardOptions) -> BoardView {
    let rows = rows(model, plan);
    let bars = bars(model, plan, dues, options, &rows);
    let mut backlog = backlog_items(model, plan, dues, options);
    let backlog_total = backlog.len();
    let kpis = kpis(plan, options, &bars, &backlog);
    backlog.truncate(MAX_BACKLOG_LISTED);
    let (first_hour, last_hour) = visible_hours(plan, options.zone);
    BoardView {
        options: options.clone(),
        first_hour,
        last_hour,
        rows,
        bars,
        backlog,
        backlog_total,
        kpis,
    }
}

const LABEL_W: f64 = 150.0;
const ROW_H: f64 = 24.0;
const HEADER_H: f64 = 40.0;
const LANE_H: f64 = 14.0;
/// At most this many sub-lanes of backlog due markers; further markers overlap.
const MAX_LANES: usize = 4;

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

    fn of(view: &BoardView) -> Self {
        let o = &view.options;
        let days = ((o.to - o.from).num_days() + 1).max(1);
        Axis {
            from: o.from,
            days,
            day_w: (1300.0 / days as f64).clamp(110.0, 320.0),
            first_hour: view.first_hour,
            hours: view.last_hour - view.first_hour,
            zone: o.zone,
        }
    }
}

/// Draws the day columns with their names and hour lines, from `HEADER_H` to `bottom`.
fn draw_days(svg: &mut String, axis: &Axis, bottom: f64) {
    let day_w = axis.day_w;
    let last_hour = axis.first_hour + axis.hours;
    for d in 0..axis.days {
        let x = LABEL_W + d as f64 * day_w;
        let date = axis.from + Duration::days(d);
        let _ = write!(
            svg,
            r#"<rect class="day" x="{x:.1}" y="{HEADER_H}" width="{day_w:.1}" height="{:.1}" fill="{}"/>"#,
            bottom - HEADER_H,
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
                r#"<line x1="{hx:.1}" y1="{}" x2="{hx:.1}" y2="{bottom:.1}" class="grid"/><text x="{:.1}" y="34" class="hour">{h:02}</text>"#,
                HEADER_H - 4.0,
                hx + 2.0
            );
        }
    }
}

/// A due marker: a downward triangle (visits) or a diamond (backlog) at `x`, `y` its top.
fn draw_due(
    svg: &mut String,
    order: &OrderId,
    (x, y): (f64, f64),
    diamond: bool,
    overdue: bool,
    title: &str,
) {
    let shape = if diamond {
        format!("M{x:.1},{y:.1} l5,5 l-5,5 l-5,-5 z")
    } else {
        format!("M{:.1},{y:.1} h8 l-4,6 z", x - 4.0)
    };
    let _ = write!(
        svg,
        r#"<g class="due{}{}" data-order="{}"><path d="{shape}"/><title>{}</title></g>"#,
        if diamond { " backlog-due" } else { "" },
        if overdue { " overdue" } else { "" },
        escape(order.as_str()),
        escape(title)
    );
}

/// The backlog lane's markers packed into sub-lanes (so nearby markers do not hide each
/// other): the sub-lane of each listed item with a due marker, and the number of sub-lanes.
fn pack_lanes(view: &BoardView, axis: &Axis) -> (Vec<(usize, f64)>, usize) {
    let mut marks: Vec<(usize, f64)> = view
        .backlog
        .iter()
        .enumerate()
        .filter(|(_, b)| b.due_shown)
        .filter_map(|(i, b)| b.due.map(|d| (i, axis.x(d))))
        .collect();
    marks.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut lane_end: Vec<f64> = Vec::new();
    let mut placed = vec![(0usize, 0.0f64); view.backlog.len()];
    for (i, x) in marks {
        let lane = match lane_end.iter().position(|end| *end + 11.0 <= x) {
            Some(l) => l,
            None if lane_end.len() < MAX_LANES => {
                lane_end.push(f64::MIN);
                lane_end.len() - 1
            }
            None => (0..lane_end.len())
                .min_by(|a, b| lane_end[*a].total_cmp(&lane_end[*b]))
                .unwrap_or(0),
        };
        lane_end[lane] = x;
        placed[i] = (lane, x);
    }
    (placed, lane_end.len().max(1))
}

/// Draws one bar: travel line, body, status overlay and glyph, actual line, due marker.
fn draw_bar(svg: &mut String, view: &BoardView, axis: &Axis, bar: &Bar, y: f64) {
    let x0 = axis.x(bar.start);
    let x1 = axis.x(bar.end).max(x0 + 2.0);
    let w = x1 - x0;
    if bar.travel_minutes > 0.0 {
        let tx = axis
            .x(bar.start - Duration::seconds((bar.travel_minutes * 60.0) as i64))
            .min(x0);
        let _ = write!(
            svg,
            r#"<line class="travel" x1="{tx:.1}" y1="{:.1}" x2="{x0:.1}" y2="{:.1}"/>"#,
            y + 12.0,
            y + 12.0
        );
    }
    let status = bar.status.as_str();
    let _ = write!(
        svg,
        r#"<g class="bar status-{status}{}{}" data-order="{}" data-row="{}" data-status="{status}" data-priority="{}" data-start="{}"><rect class="body" x="{x0:.2}" y="{:.1}" width="{w:.2}" height="{:.1}" rx="3" fill="{}"/>"#,
        if bar.at_risk { " risk" } else { "" },
        if bar.overdue { " overdue" } else { "" },
        escape(bar.order.as_str()),
        escape(view.rows[bar.row].technician.as_str()),
        bar.priority,
        format::rfc3339(bar.start),
        y + 3.0,
        ROW_H - 6.0,
        colour(bar.priority),
    );
    if bar.status == OrderStatus::InProgress {
        let _ = write!(
            svg,
            r#"<rect class="stripes" x="{x0:.2}" y="{:.1}" width="{w:.2}" height="{:.1}" rx="3" fill="url(#stripes)"/>"#,
            y + 3.0,
            ROW_H - 6.0
        );
    }
    let glyph = match bar.status {
        OrderStatus::InProgress => "▶",
        OrderStatus::OnHold => "❚❚",
        OrderStatus::Completed => "✓",
        _ => "",
    };
    let mut gx = x0 + 2.0;
    if bar.at_risk && w > 8.0 {
        let _ = write!(
            svg,
            r#"<text x="{gx:.1}" y="{:.1}" class="glyph riskmark">!</text>"#,
            y + 16.0
        );
        gx += 7.0;
    }
    if !glyph.is_empty() && w > gx - x0 + 8.0 {
        let _ = write!(
            svg,
            r#"<text x="{gx:.1}" y="{:.1}" class="glyph">{glyph}</text>"#,
            y + 16.0
        );
    }
    let _ = write!(svg, "<title>{}</title></g>", escape(&bar.title));
    if let Some(s) = bar.actual_start {
        let end = bar.actual_end.unwrap_or(view.options.now.max(s));
        if view.shows(s) || view.shows(end) {
            let (ax0, ax1) = (axis.x(s), axis.x(end));
            let _ = write!(
                svg,
                r#"<line class="actual" data-order="{}" x1="{ax0:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
                escape(bar.order.as_str()),
                y + ROW_H - 2.0,
                ax1.max(ax0 + 2.0),
                y + ROW_H - 2.0
            );
        }
    }
    if let (true, Some(due)) = (bar.due_shown, bar.due) {
        let title = format!(
            "{} due {}",
            bar.order,
            format::due(
                due,
                view.options.now,
                view.options.zone,
                bar.status != OrderStatus::Completed
            )
        );
        draw_due(
            svg,
            &bar.order,
            (axis.x(due), y + 1.0),
            false,
            bar.overdue,
            &title,
        );
    }
}

/// The board itself: days, backlog lane, technician rows, bars, due markers and the now line.
fn board_svg(view: &BoardView, axis: &Axis) -> String {
    let (lanes_of, lanes) = pack_lanes(view, axis);
    let lane_top = HEADER_H;
    let rows_top = lane_top + lanes as f64 * LANE_H + 6.0;
    let width = LABEL_W + axis.days as f64 * axis.day_w + 10.0;
    let bottom = rows_top + view.rows.len() as f64 * ROW_H;
    let height = bottom + 10.0;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" role="img" aria-label="dispatch board"><defs><pattern id="stripes" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="2.5" height="6" fill="#fff" fill-opacity="0.55"/></pattern></defs>"##
    );
    draw_days(&mut svg, axis, bottom);
    // The backlog lane: a diamond per backlog order at its due instant.
    let _ = write!(
        svg,
        r#"<g id="backlog-lane"><rect class="lane" x="{LABEL_W}" y="{lane_top}" width="{:.1}" height="{:.1}"/><text x="4" y="{:.1}" class="tech lanelabel">backlog · due</text>"#,
        width - LABEL_W - 10.0,
        lanes as f64 * LANE_H + 4.0,
        lane_top + 12.0
    );
    for (i, item) in view.backlog.iter().enumerate() {
        let (true, Some(due)) = (item.due_shown, item.due) else {
            continue;
        };
        let (lane, x) = lanes_of[i];
        let title = format!(
            "{} · {} · {}\n{} · {}\ndue {}",
            item.order,
            item.customer,
            item.priority,
            status_label(item.status),
            item.reason,
            format::due(due, view.options.now, view.options.zone, true)
        );
        draw_due(
            &mut svg,
            &item.order,
            (x, lane_top + 2.0 + lane as f64 * LANE_H),
            true,
            item.overdue,
            &title,
        );
    }
    svg.push_str("</g>");
    for (i, row) in view.rows.iter().enumerate() {
        let y = rows_top + i as f64 * ROW_H;
        let _ = write!(
            svg,
            r#"<text x="4" y="{:.1}" class="tech">{}</text><line x1="0" y1="{y:.1}" x2="{width:.0}" y2="{y:.1}" class="rowline"/>"#,
            y + 16.0,
            escape(&row.label)
        );
    }
    for bar in &view.bars {
        draw_bar(&mut svg, view, axis, bar, rows_top + bar.row as f64 * ROW_H);
    }
    if view.now_shown() {
        let x = axis.x(view.options.now);
        let _ = write!(
            svg,
            r#"<g id="now" data-now="{}"><line class="now" x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{bottom:.1}"/><text x="{:.1}" y="{}" class="nowlabel">now {}</text></g>"#,
            format::rfc3339(view.options.now),
            HEADER_H - 2.0,
            x + 2.0,
            HEADER_H - 2.0,
            format::clock(view.options.now, view.options.zone)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The side pane's list items: one per backlog order, with its status, why and due time.
fn backlog_list(view: &BoardView) -> String {
    let mut out = String::new();
    for item in &view.backlog {
        let (why, detail) = match &item.reason {
            BacklogReason::Unassigned { detail, .. } => (item.reason.to_string(), detail.clone()),
            other => (other.to_string(), String::new()),
        };
        let status = item.status.as_str();
        let _ = write!(
            out,
            r#"<li class="backlog-item status-{status}{}" data-order="{}" data-why="{}" data-status="{status}"><b>{}</b> <span class="key" style="background:{}">{}</span> <span class="st">{}</span><br>{}{}<br><i>{}</i>{}{}</li>"#,
            if item.overdue { " overdue" } else { "" },
            escape(item.order.as_str()),
            item.reason.kind(),
            escape(item.order.as_str()),
            colour(item.priority),
            item.priority,
            status_label(item.status),
            escape(&item.customer),
            if item.task.is_empty() {
                String::new()
            } else {
                format!(" · {}", escape(&item.task))
            },
            escape(&why),
            if detail.is_empty() {
                String::new()
            } else {
                format!("<br><small>{}</small>", escape(&detail))
            },
            item.due.map_or(String::new(), |d| format!(
                r#"<br><span class="duetext">due {}</span>"#,
                escape(&format::due(d, view.options.now, view.options.zone, true))
            )),
        );
    }
    if view.backlog_total > view.backlog.len() {
        let _ = write!(
            out,
            "<li>… and {} more</li>",
            view.backlog_total - view.backlog.len()
        );
    }
    out
}

/// A small sample bar of a status for the legend.
fn status_sample(status: OrderStatus, glyph: &str) -> String {
    let s = status.as_str();
    format!(
        r#"<svg width="34" height="16" class="sample"><g class="bar status-{s}"><rect class="body" x="1" y="1" width="32" height="14" rx="3" fill="{}"/>{}<text x="4" y="12" class="glyph">{glyph}</text></g></svg> {}"#,
        colour(Priority::Normal),
        if status == OrderStatus::InProgress {
            r#"<rect x="1" y="1" width="32" height="14" rx="3" fill="url(#stripes)"/>"#
        } else {
            ""
        },
        status_label(status)
    )
}

/// The key: priority colours, status patterns and the markers.
fn legend() -> String {
    let priorities: String = [
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
    .collect();
    format!(
        r#"<div class="legend" id="legend"><span>fill = priority {priorities}</span><span>status: {} {} {} {} <svg width="22" height="16" class="sample"><g class="bar risk"><rect class="body" x="2" y="2" width="18" height="12" rx="3" fill="{}"/><text x="5" y="12" class="glyph">!</text></g></svg> SLA at risk</span><span><svg width="34" height="8" class="sample"><line class="actual" x1="1" y1="4" x2="33" y2="4"/></svg> actual start–finish</span><span><svg width="12" height="10" class="sample"><g class="due"><path d="M2,1 h8 l-4,6 z"/></g></svg><svg width="12" height="12" class="sample"><g class="due"><path d="M6,1 l5,5 l-5,5 l-5,-5 z"/></g></svg> SLA due (visit, backlog) <svg width="12" height="10" class="sample"><g class="due overdue"><path d="M2,1 h8 l-4,6 z"/></g></svg> overdue</span><span><svg width="10" height="16" class="sample"><line class="now" x1="5" y1="0" x2="5" y2="16"/></svg> now · travel <span style="border-bottom:2px dashed #555">&nbsp;&nbsp;&nbsp;&nbsp;</span></span></div>"#,
        status_sample(OrderStatus::Scheduled, ""),
        status_sample(OrderStatus::InProgress, "▶"),
        status_sample(OrderStatus::OnHold, "❚❚"),
        status_sample(OrderStatus::Completed, "✓"),
        colour(Priority::Normal),
    )
}

/// Renders a built view as one HTML document.
pub fn render_view(view: &BoardView) -> String {
    let axis = Axis::of(view);
    let svg = board_svg(view, &axis);
    let kpis: String = view
        .kpis
        .iter()
        .map(|k| {
            format!(
                r#"<div class="kpi" id="kpi-{}" title="{}">{}<b>{}</b></div>"#,
                k.id,
                escape(&k.hint),
                escape(&k.label),
                escape(&k.value)
            )
        })
        .collect();
    let o = &view.options;
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>fieldwork dispatch board · {range}</title>
<style>
body {{ font: 13px/1.35 system-ui, sans-serif; margin: 12px; color: #222; }}
h1 {{ font-size: 18px; margin: 0 0 8px; }}
.kpis {{ display: flex; gap: 14px; margin-bottom: 8px; flex-wrap: wrap; }}
.kpi {{ background: #eef3f8; padding: 6px 10px; border-radius: 6px; }}
.kpi b {{ display: block; font-size: 16px; }}
.legend {{ display: flex; gap: 16px; flex-wrap: wrap; align-items: center; margin-bottom: 8px; color: #444; }}
.legend span {{ white-space: nowrap; }}
.sample {{ vertical-align: middle; }}
.layout {{ display: flex; gap: 14px; align-items: flex-start; }}
.board {{ overflow-x: auto; border: 1px solid #ddd; }}
.side {{ min-width: 260px; max-width: 320px; }}
.side ul {{ list-style: none; padding: 0; margin: 0; }}
.side li {{ border-bottom: 1px solid #eee; padding: 5px 0 5px 6px; border-left: 3px solid transparent; }}
.side li.overdue {{ border-left-color: #d50000; }}
.side li.overdue .duetext {{ color: #d50000; font-weight: 600; }}
.side .st {{ color: #555; }}
.key {{ color: #fff; padding: 1px 6px; border-radius: 3px; margin-right: 4px; }}
svg text {{ font-size: 11px; fill: #333; }}
svg .dayname {{ font-weight: 600; }}
svg .hour {{ fill: #888; font-size: 9px; }}
svg .grid {{ stroke: #ddd; }}
svg .rowline {{ stroke: #eee; }}
svg .lane {{ fill: #fff8e1; }}
svg .lanelabel {{ font-style: italic; fill: #8d6e00; }}
svg .travel {{ stroke: #555; stroke-width: 2; stroke-dasharray: 3 2; }}
svg .bar.status-on_hold rect.body {{ fill-opacity: 0.45; stroke: #333; stroke-width: 1.5; stroke-dasharray: 3 2; }}
svg .bar.status-completed rect.body {{ fill-opacity: 0.3; }}
svg .bar.risk rect.body {{ stroke: #000; stroke-width: 2; }}
svg .glyph {{ fill: #fff; font-weight: 700; font-size: 10px; }}
svg .bar.status-completed .glyph, svg .bar.status-on_hold .glyph {{ fill: #222; }}
svg .actual {{ stroke: #2e7d32; stroke-width: 3; }}
svg .due path {{ fill: #37474f; stroke: #fff; stroke-width: 0.7; }}
svg .due.overdue path {{ fill: #d50000; }}
svg .now {{ stroke: #8e24aa; stroke-width: 2; }}
svg .nowlabel {{ fill: #8e24aa; font-weight: 700; }}
</style></head>
<body>
<h1>Dispatch board · {range}</h1>
<div class="kpis">{kpis}</div>
{legend}
<div class="layout"><div class="board">{svg}</div>
<div class="side"><h2 style="font-size:15px">Backlog ({backlog_count})</h2><p style="margin:0 0 6px;color:#666">Open orders of the window that no plan holds, overdue first.</p><ul id="backlog">{backlog}</ul></div></div>
<p style="color:#888">Times in {zone}; now {now}. Generated by fieldwork.</p>
</body></html>
"#,
        range = format::date_range(o.from, o.to, o.zone),
        legend = legend(),
        backlog_count = view.backlog_total,
        backlog = backlog_list(view),
        zone = o.zone.name(),
        now = format::instant(o.now, o.zone),
    )
}

/// Renders the board as one HTML document: [`board_view`] then [`render_view`].
pub fn render(model: &Model, plan: &Plan, dues: &Dues, options: &BoardOptions) -> String {
    render_view(&board_view(model, plan, dues, options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use fieldwork::schedule::plan::{PlanKpis, Route, Unassigned, UnassignedReason};

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    /// 2027-03-`day` at `hour`:00 Berlin (CET, UTC+1).
    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        BERLIN
            .with_ymd_and_hms(2027, 3, day, hour, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, day).unwrap()
    }

    /// One technician T-1; orders SO-1..SO-9 created on 1 March 07:00 Berlin, each with an
    /// optional own due (day, hour) and moved through `path`.
    /// An order of the test model: id, own due (day, hour), path of statuses.
    type TestOrder<'a> = (&'a str, Option<(u32, u32)>, &'a [OrderStatus]);

    fn model(orders: &[TestOrder<'_>]) -> Model {
        let json: Vec<String> = orders
            .iter()
            .map(|(id, due, _)| {
                let due = due.map_or(String::new(), |(d, h)| {
                    format!(r#", "due": "{}""#, at(d, h).to_rfc3339())
                });
                format!(
                    r#"{{"id": "{id}", "customer": "C-1", "origin": {{"kind": "manual"}},
                        "priority": "high", "created_at": "2027-03-01T06:00:00Z"{due}}}"#
                )
            })
            .collect();
        let mut model = Model::from_json(&format!(
            r#"{{"calendars": [{{"id": "cal", "time_zone": "Europe/Berlin",
                  "weekly": {{"mon": [["07:00", "16:00"]]}}}}],
                "customers": [{{"id": "C-1", "name": "Acme", "tier": "gold",
                  "time_zone": "Europe/Berlin", "location": {{"lat": 52.5, "lon": 13.4}}}}],
                "technicians": [{{"id": "T-1", "name": "Ann", "home": {{"lat": 52.5, "lon": 13.4}},
                  "calendar": "cal", "hourly_cost": "60", "max_hours_per_day": 8.0}}],
                "orders": [{}]}}"#,
            json.join(",")
        ))
        .unwrap();
        for (id, _, path) in orders {
            for (i, s) in path.iter().enumerate() {
                model
                    .transition_order(&OrderId::new(*id), *s, at(1, 8 + i as u32))
                    .unwrap();
            }
        }
        model
    }

    fn visit(order: &str, day: u32, hour: u32) -> Visit {
        Visit {
            order: OrderId::new(order),
            arrival: at(day, hour),
            start: at(day, hour),
            end: at(day, hour) + Duration::hours(1),
            travel_minutes: 15.0,
            travel_km: 10.0,
            due: None,
            late_minutes: 0.0,
            fixed: false,
            part: None,
        }
    }

    fn route(day: u32, visits: Vec<Visit>) -> Route {
        Route {
            technician: TechnicianId::new("T-1"),
            day: date(day),
            shift_start: at(day, 7),
            shift_end: at(day, 16),
            visits,
            return_minutes: 15.0,
            return_km: 10.0,
            depot_stop: None,
        }
    }

    fn options(now: DateTime<Utc>) -> BoardOptions {
        BoardOptions {
            from: date(2),
            to: date(3),
            zone: BERLIN,
            now,
            risk_margin_minutes: 30,
        }
    }

    /// A day of every kind of order: planned in each status, planned outside the days shown,
    /// left unassigned, never planned, booked without a visit, cancelled, not yet workable.
    fn scene() -> (Model, Plan, Dues) {
        use OrderStatus::*;
        let model = model(&[
            ("SO-1", Some((2, 12)), &[Scheduled]),
            ("SO-2", None, &[Scheduled, InProgress]),
            ("SO-3", None, &[Scheduled, InProgress, Completed]),
            ("SO-4", None, &[Scheduled, InProgress, OnHold]),
            ("SO-5", Some((2, 10)), &[]),
            ("SO-6", Some((9, 10)), &[]),
            ("SO-7", None, &[Scheduled]),
            ("SO-8", None, &[Cancelled]),
            ("SO-9", None, &[Scheduled]),
        ]);
        let plan = Plan {
            from: at(2, 0),
            to: at(9, 0),
            routes: vec![
                route(
                    2,
                    vec![
                        visit("SO-2", 2, 8),
                        visit("SO-3", 2, 10),
                        visit("SO-1", 2, 13),
                    ],
                ),
                route(3, vec![visit("SO-4", 3, 9)]),
                // Outside the days shown: neither a bar nor backlog.
                route(5, vec![visit("SO-9", 5, 9)]),
            ],
            unassigned: vec![Unassigned {
                order: OrderId::new("SO-6"),
                reason: UnassignedReason::NoEligibleTechnician,
                detail: "lacks lifts".into(),
            }],
            kpis: PlanKpis::default(),
        };
        // SLA deadlines of the orders without their own due.
        let dues: Dues = [("SO-2", at(2, 9)), ("SO-4", at(3, 18)), ("SO-7", at(4, 12))]
            .into_iter()
            .map(|(o, d)| (OrderId::new(o), d))
            .collect();
        (model, plan, dues)
    }

    #[test]
    fn bars_carry_the_store_status_due_and_actual_times() {
        let (model, plan, dues) = scene();
        let view = board_view(&model, &plan, &dues, &options(at(2, 11)));
        let bar = |o: &str| view.bars.iter().find(|b| b.order.as_str() == o).unwrap();
        let orders: Vec<&str> = view.bars.iter().map(|b| b.order.as_str()).collect();
        assert_eq!(
            orders,
            ["SO-2", "SO-3", "SO-1", "SO-4"],
            "SO-9 is on the 5th"
        );
        assert_eq!(bar("SO-1").status, OrderStatus::Scheduled);
        assert_eq!(bar("SO-2").status, OrderStatus::InProgress);
        assert_eq!(bar("SO-3").status, OrderStatus::Completed);
        assert_eq!(bar("SO-4").status, OrderStatus::OnHold);
        // Dues: the order's own, else the SLA's; SO-3 has neither (and the plan none).
        assert_eq!(bar("SO-1").due, Some(at(2, 12)));
        assert_eq!(bar("SO-2").due, Some(at(2, 9)));
        assert_eq!(bar("SO-3").due, None);
        // At 11:00 on the 2nd SO-2 (due 09:00, in progress) is overdue; SO-1 (due 12:00,
        // planned 13:00) is at risk but not yet overdue.
        assert!(bar("SO-2").overdue && bar("SO-2").at_risk);
        assert!(!bar("SO-1").overdue && bar("SO-1").at_risk);
        assert!(!bar("SO-4").overdue && bar("SO-4").due_shown);
        // Recorded times from the status history.
        assert_eq!(bar("SO-3").actual_start, Some(at(1, 9)));
        assert_eq!(bar("SO-3").actual_end, Some(at(1, 10)));
        assert_eq!(bar("SO-2").actual_end, None);
        assert!(bar("SO-2").title.contains("in progress"));
        // Completed work is never overdue or at risk, whatever its due time.
        let done = board_view(&model, &plan, &dues, &options(at(9, 0)));
        let b3 = done
            .bars
            .iter()
            .find(|b| b.order.as_str() == "SO-3")
            .unwrap();
        assert!(!b3.overdue && !b3.at_risk);
    }

    #[test]
    fn the_backlog_is_every_open_order_of_the_window_without_a_visit() {
        let (model, plan, dues) = scene();
        let view = board_view(&model, &plan, &dues, &options(at(2, 11)));
        let got: Vec<(&str, &str, bool)> = view
            .backlog
            .iter()
            .map(|b| (b.order.as_str(), b.reason.kind(), b.overdue))
            .collect();
        // Overdue first (SO-5 due 10:00 on the 2nd), then by due time (SO-7 on the 4th,
        // SO-6 on the 9th).
        assert_eq!(
            got,
            [
                ("SO-5", "not_yet_planned", true),
                ("SO-7", "no_visit", false),
                ("SO-6", "unassigned", false),
            ]
        );
        assert!(view.backlog[0].due_shown, "due on the 2nd, shown");
        assert!(
            !view.backlog[1].due_shown,
            "due on the 4th, after the days shown"
        );
        assert_eq!(view.backlog_total, 3);
    }

    #[test]
    fn kpis_count_the_days_shown_and_the_window_backlog() {
        let (model, plan, dues) = scene();
        let view = board_view(&model, &plan, &dues, &options(at(2, 11)));
        let kpi = |id: &str| {
            view.kpis
                .iter()
                .find(|k| k.id == id)
                .map(|k| k.value.clone())
                .unwrap()
        };
        assert_eq!(kpi("assigned"), "4 / 7");
        assert_eq!(kpi("backlog"), "3 · 1 overdue");
        assert_eq!(kpi("status"), "1 · 1 · 1");
        // Travel of the 2nd and 3rd only: 4 visits × 10 km + 2 ways home × 10 km.
        assert_eq!(kpi("travel"), "60.0 km · 1 h 30 min");
        // One day shown: the 3rd holds SO-4 only.
        let one = board_view(
            &model,
            &plan,
            &dues,
            &BoardOptions {
                from: date(3),
                ..options(at(2, 11))
            },
        );
        assert_eq!(one.bars.len(), 1);
        assert_eq!(one.kpis[0].value, "1 / 4");
    }

    #[test]
    fn the_page_draws_the_now_line_markers_and_status_classes() {
        let (model, plan, dues) = scene();
        let html = render(&model, &plan, &dues, &options(at(2, 11)));
        assert!(html.contains(r#"<g id="now" data-now="2027-03-02T10:00:00Z">"#));
        assert!(html.contains("now 11:00"));
        for (order, status) in [
            ("SO-1", "scheduled"),
            ("SO-2", "in_progress"),
            ("SO-3", "completed"),
            ("SO-4", "on_hold"),
        ] {
            let tag = format!(r#"data-order="{order}" data-row="T-1" data-status="{status}""#);
            let at = html.find(&tag).unwrap_or_else(|| panic!("{tag}"));
            let open = html[..at].rfind("<g class=\"bar ").unwrap();
            assert!(
                html[open..at].contains(&format!("status-{status}")),
                "{tag}"
            );
        }
        // Markers: SO-1, SO-2 and SO-4 (visits) and SO-5 (backlog) fall on the days shown.
        let markers: Vec<&str> = html
            .split(r#"<g class="due"#)
            .skip(1)
            .map(|tail| &tail[..tail.find('>').unwrap()])
            .filter(|tag| tag.contains("data-order"))
            .collect();
        assert_eq!(markers.len(), 4, "{markers:?}");
        assert_eq!(
            markers
                .iter()
                .filter(|t| t.starts_with(r#" backlog-due overdue" data-order="SO-5""#))
                .count(),
            1
        );
        assert!(html.contains(r#"data-why="unassigned""#) && html.contains("lacks lifts"));
        assert!(html.contains("due 2 Mar 10:00 (overdue)"));
        assert!(html.contains(r#"<line class="actual" data-order="SO-2""#));
        // Now outside the days shown: no line.
        let later = render(&model, &plan, &dues, &options(at(5, 11)));
        assert!(!later.contains(r#"<g id="now""#));
    }
}
