//! `fieldwork order`: show one order (status, history, SLA, planned visit) and record what
//! happens to it — start, hold, resume, complete, cancel, a new priority, a manual assignment,
//! a booked arrival window, repair lines and stage. Each operation is one store transaction through
//! [`Store::apply_operation`](fieldwork::store::Store::apply_operation); the state machine is
//! the library's (`fieldwork::model::operation`).
//!
//! Operations change the database only: on a `--dataset` file they are refused (the file is
//! never rewritten — import it and work on the database).

use chrono::{DateTime, Utc};
use clap::Subcommand;
use serde::Serialize;

use super::context::{AtArgs, Context, RulesArgs, SourceArgs};
use super::{CliError, Output};
use crate::format::{instant, minutes, rfc3339, table};
use fieldwork::job::Engines;
use fieldwork::model::{
    allowed_actions, Appointment, OrderAction, OrderId, OrderOperation, OrderStatus, Priority,
    RepairLine, ServiceOrder, TechnicianId, WorkFacts,
};
use fieldwork::sla::OrderSla;
use fieldwork::store::current_plan;

/// Arguments of `fieldwork order`.
#[derive(Debug, clap::Args)]
pub struct OrderArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: OrderCommand,
}

/// The `order` subcommands.
#[derive(Debug, Subcommand)]
pub enum OrderCommand {
    /// The order: status and what may happen next, history, SLA, planned visit, work facts.
    Show(ShowArgs),
    /// Work starts (scheduled -> in_progress): the actual start.
    Start(StatusArgs),
    /// Work pauses (in_progress -> on_hold): the SLA clocks pause.
    Hold(StatusArgs),
    /// Work goes on (on_hold -> in_progress): the SLA clocks run again.
    Resume(StatusArgs),
    /// Work is done (in_progress -> completed): the actual finish; SLA met or missed.
    Complete(StatusArgs),
    /// The order is withdrawn (any open status -> cancelled).
    Cancel(StatusArgs),
    /// A new priority: SLA targets are recomputed from the original clock start.
    Priority(PriorityArgs),
    /// Manual dispatch: pin the order to a technician (and start); the next run places it.
    Assign(AssignArgs),
    /// Book an arrival window with the customer: one of `fieldwork slots` (--slot N, searched
    /// again with the same --days/--count/--window-minutes) or any --window FROM/TO; the next
    /// run starts the work inside it.
    Book(BookArgs),
    /// Add a repair line and/or set the repair stage (checked against the repair code tables).
    Repair(RepairArgs),
}

/// The database, rules and "now" of an order command.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// The order id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The database (operations refuse `--dataset`; `show` reads either).
    #[command(flatten)]
    pub source: SourceArgs,
    /// The rules (SLA targets).
    #[command(flatten)]
    pub rules: RulesArgs,
    /// When it happened ("now"; default the current time).
    #[command(flatten)]
    pub at: AtArgs,
}

/// Arguments of `order show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Order, source, rules, now.
    #[command(flatten)]
    pub common: Common,
}

/// Arguments of the status operations.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Order, source, rules, instant.
    #[command(flatten)]
    pub common: Common,
    /// Why (kept in the status history).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// Arguments of `order priority`.
#[derive(Debug, clap::Args)]
pub struct PriorityArgs {
    /// Order, source, rules, instant.
    #[command(flatten)]
    pub common: Common,
    /// critical, high, normal or low.
    #[arg(value_name = "LEVEL", value_parser = parse_priority)]
    pub level: Priority,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// Arguments of `order assign`.
#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    /// Order, source, rules, instant.
    #[command(flatten)]
    pub common: Common,
    /// The technician.
    #[arg(long, value_name = "ID")]
    pub technician: String,
    /// The start, as `--at` is written (an instant or a local time of the business).
    #[arg(long, value_name = "START", value_parser = super::context::parse_at)]
    pub start: Option<super::context::At>,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// Arguments of `order book`.
#[derive(Debug, clap::Args)]
pub struct BookArgs {
    /// Order, source, rules, instant.
    #[command(flatten)]
    pub common: Common,
    /// The slot's number in `fieldwork slots` (1 = the first offered).
    #[arg(
        long,
        value_name = "N",
        required_unless_present = "window",
        conflicts_with = "window"
    )]
    pub slot: Option<usize>,
    /// The search the slot number refers to.
    #[command(flatten)]
    pub search: super::slots::SearchArgs,
    /// A window of your own, FROM/TO, each as `--at` is written (2027-03-04T10:00/2027-03-04T12:00).
    #[arg(long, value_name = "FROM/TO")]
    pub window: Option<String>,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// The window `order book` asks for: the N-th slot offered, or `--window FROM/TO`.
fn book_window(ctx: &Context, a: &BookArgs) -> Result<Appointment, CliError> {
    window_to_book(ctx, &a.common.id, a.window.as_deref(), a.slot, &a.search)
}

/// The window to book for `order`: `window` (`FROM/TO`, each as `--at` is written), else the
/// `slot`-th (default 1) window `fieldwork slots` offers with `search` (the CLI's `order book`
/// and the API's `POST /orders/{id}/book`).
pub(crate) fn window_to_book(
    ctx: &Context,
    order: &str,
    window: Option<&str>,
    slot: Option<usize>,
    search: &super::slots::SearchArgs,
) -> Result<Appointment, CliError> {
    if let Some(text) = window {
        let (from, to) = text.split_once('/').ok_or_else(|| {
            CliError::User(format!("invalid --window '{text}': expected FROM/TO"))
        })?;
        let at = |t: &str| {
            super::context::parse_at(t)
                .map(|at| AtArgs { at: Some(at) }.resolve(ctx.zone))
                .map_err(|e| CliError::User(format!("invalid --window '{text}': {e}")))
        };
        let window = Appointment {
            from: at(from)?,
            to: at(to)?,
        };
        if window.to < window.from {
            return Err(CliError::User(format!(
                "invalid --window '{text}': it ends before it starts"
            )));
        }
        return Ok(window);
    }
    let n = slot.unwrap_or(1);
    let order = OrderId::new(order);
    let offered = super::slots::offered(ctx, &order, search)?;
    let slot = n
        .checked_sub(1)
        .and_then(|i| offered.get(i))
        .ok_or_else(|| {
            CliError::User(format!(
                "no slot {n}: {} windows are offered for {order} (see `fieldwork slots --order {order}`)",
                offered.len()
            ))
        })?;
    Ok(Appointment {
        from: slot.from,
        to: slot.to,
    })
}

/// Arguments of `order repair`.
#[derive(Debug, clap::Args)]
pub struct RepairArgs {
    /// Order, source, rules, instant.
    #[command(flatten)]
    pub common: Common,
    /// The symptom as AREA/CODE (adds a repair line).
    #[arg(long, value_name = "AREA/CODE")]
    pub symptom: Option<String>,
    /// The condition found.
    #[arg(long, value_name = "CODE", requires = "symptom")]
    pub condition: Option<String>,
    /// The diagnosis as AREA/CODE or AREA.
    #[arg(long, value_name = "AREA/CODE", requires = "symptom")]
    pub diagnosis: Option<String>,
    /// The resolution applied.
    #[arg(long, value_name = "CODE", requires = "symptom")]
    pub resolution: Option<String>,
    /// The object repaired (default the order's).
    #[arg(long, value_name = "OBJECT", requires = "symptom")]
    pub object: Option<String>,
    /// Free text on the line.
    #[arg(long, value_name = "TEXT", requires = "symptom")]
    pub note: Option<String>,
    /// The new repair stage.
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

fn parse_priority(text: &str) -> Result<Priority, String> {
    Priority::parse(text).ok_or_else(|| "expected critical, high, normal or low".to_owned())
}

/// Runs the command.
pub fn run(args: OrderArgs, out: &Output) -> Result<(), CliError> {
    let (common, action, reason) = match args.command {
        OrderCommand::Show(a) => return show(&a.common, out),
        OrderCommand::Start(a) => (a.common, OrderAction::Start, a.reason),
        OrderCommand::Hold(a) => (a.common, OrderAction::Hold, a.reason),
        OrderCommand::Resume(a) => (a.common, OrderAction::Resume, a.reason),
        OrderCommand::Complete(a) => (a.common, OrderAction::Complete, a.reason),
        OrderCommand::Cancel(a) => (a.common, OrderAction::Cancel, a.reason),
        OrderCommand::Priority(a) => (
            a.common,
            OrderAction::Priority { priority: a.level },
            a.reason,
        ),
        OrderCommand::Assign(a) => {
            let action = |ctx: &Context| {
                Ok(OrderAction::Assign {
                    technician: TechnicianId::new(a.technician.clone()),
                    start: a.start.map(|s| AtArgs { at: Some(s) }.resolve(ctx.zone)),
                })
            };
            return operate(&a.common, action, a.reason, out);
        }
        OrderCommand::Book(a) => {
            let action = |ctx: &Context| {
                Ok(OrderAction::Book {
                    window: book_window(ctx, &a)?,
                })
            };
            return operate(&a.common, action, a.reason.clone(), out);
        }
        OrderCommand::Repair(a) => {
            let line = repair_line(&RepairInput {
                symptom: a.symptom.clone(),
                condition: a.condition.clone(),
                diagnosis: a.diagnosis.clone(),
                resolution: a.resolution.clone(),
                object: a.object.clone(),
                note: a.note.clone(),
            })?;
            let action = OrderAction::Repair {
                lines: line.into_iter().collect(),
                stage: a.stage.clone(),
            };
            (a.common, action, a.reason)
        }
    };
    operate(&common, |_| Ok(action.clone()), reason, out)
}

/// The fields of a repair line as `order repair` takes them (flags or the API's body).
#[derive(Debug, Clone, Default)]
pub(crate) struct RepairInput {
    /// AREA/CODE.
    pub symptom: Option<String>,
    /// The condition found.
    pub condition: Option<String>,
    /// AREA/CODE or AREA.
    pub diagnosis: Option<String>,
    /// The resolution applied.
    pub resolution: Option<String>,
    /// The object repaired.
    pub object: Option<String>,
    /// Free text.
    pub note: Option<String>,
}

/// The repair line of `order repair`'s flags, if `--symptom` was given.
pub(crate) fn repair_line(a: &RepairInput) -> Result<Option<RepairLine>, CliError> {
    let Some(symptom) = &a.symptom else {
        return Ok(None);
    };
    let Some((area, code)) = symptom.split_once('/') else {
        return Err(CliError::User(format!(
            "invalid --symptom '{symptom}': expected AREA/CODE (e.g. COOLING/NO-COLD)"
        )));
    };
    let (diagnosis_area, diagnosis_code) = match a.diagnosis.as_deref().map(|d| d.split_once('/')) {
        None => (None, None),
        Some(Some((area, code))) => (Some(area.to_owned()), Some(code.to_owned())),
        Some(None) => (a.diagnosis.clone(), None),
    };
    Ok(Some(RepairLine {
        service_object: a.object.as_ref().map(|o| o.as_str().into()),
        symptom_area: area.to_owned(),
        symptom_code: code.to_owned(),
        condition: a.condition.clone(),
        diagnosis_area,
        diagnosis_code,
        resolution: a.resolution.clone(),
        note: a.note.clone().unwrap_or_default(),
    }))
}

/// What an operation did (the `--json` output of an operation, and the API's answer).
#[derive(Debug, Serialize)]
pub(crate) struct Done {
    /// The order.
    pub order: OrderId,
    /// The operation's name (`start`, `hold`, …).
    pub action: &'static str,
    /// The status before.
    pub from: &'static str,
    /// The status after.
    pub status: &'static str,
    /// When it happened (RFC 3339).
    pub at: String,
    /// Why, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the status allows next.
    pub allowed_next: &'static [&'static str],
    /// The order's SLA at that instant.
    pub sla: Option<OrderSla>,
    /// The event recorded by a non-status operation (its detail), if any.
    #[serde(skip)]
    pub event: Option<String>,
}

/// Records one operation on an order of the context's database: one store transaction through
/// [`Store::apply_operation`](fieldwork::store::Store::apply_operation) at the context's
/// "now". The CLI's `order start|hold|…` and the HTTP API's order operations both call it.
pub(crate) fn apply(
    ctx: &mut Context,
    id: &str,
    action: OrderAction,
    reason: Option<String>,
) -> Result<Done, CliError> {
    if ctx.is_dataset() {
        return Err(CliError::User(format!(
            "`order {}` records an operation in the database; a --dataset file is read-only \
             (import it with `fieldwork import FILE` and use --db)",
            action.name()
        )));
    }
    let operation = OrderOperation {
        order: OrderId::new(id.to_owned()),
        action,
        at: ctx.now,
        reason: reason.clone(),
    };
    let order = ctx.store.apply_operation(&operation)?;
    let sla = order_sla(ctx, &order);
    let status = order.status();
    // The status the operation left, as stored when it was applied.
    let from = match operation.action.target_status() {
        Some(_) => order
            .history
            .iter()
            .rev()
            .nth(1)
            .map_or(OrderStatus::Created, |c| c.status),
        None => status,
    }
    .as_str();
    let event = order
        .events
        .last()
        .filter(|_| operation.action.target_status().is_none())
        .map(|e| e.detail.clone());
    Ok(Done {
        order: order.id.clone(),
        action: operation.action.name(),
        from,
        status: status.as_str(),
        at: rfc3339(ctx.now),
        reason,
        allowed_next: allowed_actions(status),
        sla,
        event,
    })
}

fn operate(
    common: &Common,
    action: impl FnOnce(&Context) -> Result<OrderAction, CliError>,
    reason: Option<String>,
    out: &Output,
) -> Result<(), CliError> {
    let mut ctx = Context::resolve(&common.source, &common.rules, &common.at)?;
    let action = action(&ctx)?;
    let done = apply(&mut ctx, &common.id, action, reason)?;
    if out.json {
        return out.print_json(&ctx.json(&done));
    }
    ctx.say_header(out);
    let change = if done.from == done.status {
        done.status.to_owned()
    } else {
        format!("{} -> {}", done.from, done.status)
    };
    let why = done
        .reason
        .as_ref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    say!(
        "order {}: {} at {}: {change}{why}",
        done.order,
        done.action,
        instant(ctx.now, ctx.zone)
    );
    if let Some(detail) = &done.event {
        say!("  {detail}");
    }
    if let Some(sla) = &done.sla {
        for m in &sla.metrics {
            say!(
                "  SLA {}: {}{}, due {}",
                m.metric,
                m.state,
                if m.paused { " (paused)" } else { "" },
                instant(m.due, ctx.zone)
            );
        }
    }
    say!("  next: {}", next(done.allowed_next));
    Ok(())
}

fn next(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        "nothing (final)".to_owned()
    } else {
        allowed.join(", ")
    }
}

/// The order's SLA at "now" with the context's rules (`None` when it cannot be computed).
fn order_sla(ctx: &Context, order: &ServiceOrder) -> Option<OrderSla> {
    let engines = Engines::new(&ctx.model, &ctx.rules.set).ok()?;
    engines.sla(&ctx.model).status(order, ctx.now).ok()
}

/// One line of an order's history: a status change or another operation.
#[derive(Serialize)]
struct HistoryLine {
    at: String,
    action: String,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// A planned visit of an order: technician, start, end, fixed, part.
type PlannedRow = (String, DateTime<Utc>, DateTime<Utc>, bool, Option<String>);

/// The planned visit of an order, for `--json`.
#[derive(Serialize, Clone)]
struct PlannedVisit {
    technician: String,
    start: String,
    end: String,
    fixed: bool,
    /// Of a multi-day or crew job: "part 2 of 3", "crew member 1 of 2".
    #[serde(skip_serializing_if = "Option::is_none")]
    part: Option<String>,
}

/// `order show`, for `--json`.
#[derive(Serialize)]
struct Shown<'a> {
    order: &'a OrderId,
    customer: String,
    priority: Priority,
    status: &'static str,
    allowed_next: &'static [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    required_technician: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pinned_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    appointment: Option<Appointment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repair_stage: Option<String>,
    repair_lines: usize,
    history: Vec<HistoryLine>,
    sla: Option<OrderSla>,
    /// The first planned visit.
    visit: Option<PlannedVisit>,
    /// Every planned visit of a multi-day or crew job (absent for one visit).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    visits: Vec<PlannedVisit>,
    work: WorkFacts,
}

/// `order show` as JSON (the CLI's `--json` and the API's `GET /orders/{id}`).
pub(crate) fn shown_json(ctx: &Context, id: &str) -> Result<serde_json::Value, CliError> {
    show_in(ctx, id, None)?.ok_or_else(|| CliError::Internal("order show produced nothing".into()))
}

fn show(common: &Common, out: &Output) -> Result<(), CliError> {
    let ctx = Context::resolve(&common.source, &common.rules, &common.at)?;
    if out.json {
        let json = shown_json(&ctx, &common.id)?;
        return out.print_json(&json);
    }
    show_in(&ctx, &common.id, Some(out))?;
    Ok(())
}

/// Collects an order's view: printed for people on `out`, or returned as JSON when `out` is
/// `None` (nothing is printed).
fn show_in(
    ctx: &Context,
    id: &str,
    out: Option<&Output>,
) -> Result<Option<serde_json::Value>, CliError> {
    let id = OrderId::new(id.to_owned());
    let order = ctx
        .model
        .order(&id)
        .ok_or_else(|| CliError::User(format!("unknown order `{id}`")))?;
    let zone = ctx.zone;
    let mut history: Vec<(DateTime<Utc>, HistoryLine)> = vec![(
        order.created_at,
        HistoryLine {
            at: rfc3339(order.created_at),
            action: "created".into(),
            detail: String::new(),
            reason: None,
        },
    )];
    history.extend(order.history.iter().map(|c| {
        (
            c.at,
            HistoryLine {
                at: rfc3339(c.at),
                action: c.status.to_string(),
                detail: String::new(),
                reason: c.reason.clone(),
            },
        )
    }));
    history.extend(order.events.iter().map(|e| {
        (
            e.at,
            HistoryLine {
                at: rfc3339(e.at),
                action: e.action.clone(),
                detail: e.detail.clone(),
                reason: e.reason.clone(),
            },
        )
    }));
    // Stable: status changes before events recorded at the same instant.
    history.sort_by_key(|(at, _)| *at);
    let plans = ctx.store.plans()?;
    let mut planned: Vec<PlannedRow> =
        current_plan(&ctx.model, &plans).map_or_else(Vec::new, |plan| {
            plan.visits_of(&id)
                .map(|(route, v)| {
                    let part = v.part.map(|p| p.to_string());
                    (route.technician.to_string(), v.start, v.end, v.fixed, part)
                })
                .collect()
        });
    planned.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    let all: Vec<PlannedVisit> = planned
        .iter()
        .map(|(technician, start, end, fixed, part)| PlannedVisit {
            technician: technician.clone(),
            start: rfc3339(*start),
            end: rfc3339(*end),
            fixed: *fixed,
            part: part.clone(),
        })
        .collect();
    let visit = all.first().cloned();
    let visits = if all.len() > 1 { all } else { Vec::new() };
    let sla = order_sla(ctx, order);
    let status = order.status();
    let work = WorkFacts::of(order, ctx.now);
    let Some(out) = out else {
        return Ok(Some(ctx.json(&Shown {
            order: &order.id,
            customer: order.customer.to_string(),
            priority: order.priority,
            status: status.as_str(),
            allowed_next: allowed_actions(status),
            required_technician: order.required_technician.as_ref().map(ToString::to_string),
            pinned_start: order.pinned_start.map(rfc3339),
            appointment: order.appointment,
            repair_stage: order.repair_stage.clone(),
            repair_lines: order.repair_lines.len(),
            history: history.into_iter().map(|(_, h)| h).collect(),
            sla,
            visit,
            visits,
            work,
        })));
    };
    ctx.say_header(out);
    say!(
        "order {}  customer {}  priority {}",
        order.id,
        order.customer,
        order.priority
    );
    say!(
        "status       {}  (next: {})",
        status,
        next(allowed_actions(status))
    );
    if let Some(t) = &order.required_technician {
        let start = order
            .pinned_start
            .map(|s| format!(" from {}", instant(s, zone)))
            .unwrap_or_default();
        say!("assigned     {t}{start}");
    }
    if let Some(a) = order.appointment {
        say!(
            "booked       {} - {}",
            instant(a.from, zone),
            crate::format::clock(a.to, zone)
        );
    }
    if planned.is_empty() {
        say!("planned      -");
    }
    for (technician, start, end, fixed, part) in &planned {
        say!(
            "planned      {technician} {} - {}{}{}",
            instant(*start, zone),
            crate::format::clock(*end, zone),
            if *fixed { " (fixed)" } else { "" },
            part.as_ref().map_or(String::new(), |p| format!(" ({p})"))
        );
    }
    if let Some(start) = work.actual_start {
        let finish = work
            .actual_finish
            .map(|f| format!(", finished {}", instant(f, zone)))
            .unwrap_or_default();
        let ftf = match work.first_time_fix {
            Some(true) => ", first-time fix",
            Some(false) => ", not first-time fix",
            None => "",
        };
        say!(
            "work         started {}{finish}, on site {}{ftf}",
            instant(start, zone),
            minutes(work.on_site_seconds as f64 / 60.0)
        );
    }
    if let Some(stage) = &order.repair_stage {
        say!(
            "repair stage {stage}  ({} repair line(s))",
            order.repair_lines.len()
        );
    }
    if let Some(sla) = &sla {
        for m in &sla.metrics {
            say!(
                "SLA {:<11}{}{}, due {}",
                m.metric.to_string(),
                m.state,
                if m.paused { " (paused)" } else { "" },
                instant(m.due, zone)
            );
        }
    }
    say!();
    let rows: Vec<Vec<String>> = history
        .iter()
        .map(|(at, h)| {
            vec![
                instant(*at, zone),
                h.action.clone(),
                h.detail.clone(),
                h.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    say!("{}", table(&["at", "what", "detail", "reason"], &rows));
    Ok(None)
}
