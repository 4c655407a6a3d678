//! The role views over the persisted plan: `fieldwork board` (the dispatcher's HTML board),
//! `fieldwork ics` (technicians' calendars) and `fieldwork today` (a technician's day).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use std::path::{Path, PathBuf};

use super::context::{AtArgs, Context, DbArgs, RulesArgs, SourceArgs};
use super::{db, CliError, Output};
use crate::format::{date_range, parse_date};
use crate::views::{board, ics, today};
use fieldwork::job::Engines;
use fieldwork::model::{Model, TechnicianId};
use fieldwork::schedule::plan::Plan;
use fieldwork::sla::Metric;
use fieldwork::store::{current_plan, StoredPlan};

/// Arguments of `fieldwork board`.
#[derive(Debug, clap::Args)]
pub struct BoardArgs {
    /// The database holding the plan.
    #[command(flatten)]
    pub db: DbArgs,
    /// First day shown (YYYY-MM-DD, a local date of the business, inclusive); defaults to the
    /// first day of the newest plan.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// Last day shown (YYYY-MM-DD, a local date of the business, inclusive, as everywhere);
    /// defaults to five days in all (--from plus four).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<NaiveDate>,
    /// The HTML file to write.
    #[arg(long, value_name = "FILE", default_value = "board.html")]
    pub out: PathBuf,
    /// The rules (their `sla_targets` give the SLA due markers).
    #[command(flatten)]
    pub rules: RulesArgs,
    /// "Now": the now line, overdue markers and SLA-at-risk jobs.
    #[command(flatten)]
    pub at: AtArgs,
}

/// Arguments of `fieldwork ics`.
#[derive(Debug, clap::Args)]
pub struct IcsArgs {
    /// The database holding the plan.
    #[command(flatten)]
    pub db: DbArgs,
    /// The technician whose visits to export; all technicians when absent.
    #[arg(long, value_name = "ID")]
    pub technician: Option<String>,
    /// The .ics file to write (a `.ledger.json` beside it remembers SEQUENCE numbers).
    #[arg(long, value_name = "FILE", default_value = "fieldwork.ics")]
    pub out: PathBuf,
    /// "Now": the export's `DTSTAMP`.
    #[command(flatten)]
    pub at: AtArgs,
}

/// Arguments of `fieldwork today`.
#[derive(Debug, clap::Args)]
pub struct TodayArgs {
    /// The database holding the plan.
    #[command(flatten)]
    pub db: DbArgs,
    /// The technician.
    #[arg(long, value_name = "ID")]
    pub technician: String,
    /// The day (YYYY-MM-DD, a local date of the business); defaults to today (the local date
    /// of now, `--at`, in the business's zone).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub date: Option<NaiveDate>,
    /// "Now": today's date and which due times have passed.
    #[command(flatten)]
    pub at: AtArgs,
}

/// The stored model, the current schedule of all stored plans ([`current_plan`]) and the start
/// of the newest plan's window (the views' default first day).
fn load(db_path: &Path) -> Result<(Model, Plan, DateTime<Utc>), CliError> {
    let store = db::open(db_path)?;
    let model = store.load_model()?;
    let plans = store.plans()?;
    let (plan, newest) = schedule_of(&model, &plans)?;
    Ok((model, plan, newest))
}

/// The current schedule of the stored `plans` and the start of the newest plan's window; a
/// user error when no plan is stored.
fn schedule_of(model: &Model, plans: &[StoredPlan]) -> Result<(Plan, DateTime<Utc>), CliError> {
    let newest = plans
        .iter()
        .max_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)))
        .map(|p| p.plan.from);
    match (current_plan(model, plans), newest) {
        (Some(plan), Some(newest)) => Ok((plan, newest)),
        _ => Err(CliError::User(
            "no plan stored yet: run `fieldwork run` first".into(),
        )),
    }
}

/// The zone of a technician's calendar (their day's clock), UTC otherwise.
fn zone_of(model: &Model, tech: Option<&TechnicianId>) -> Tz {
    let tech = match tech {
        Some(id) => model.technician(id),
        None => model.technicians().first(),
    };
    tech.and_then(|t| model.calendar(&t.calendar))
        .and_then(|c| c.time_zone.tz().ok())
        .unwrap_or(Tz::UTC)
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| CliError::user(format!("{}: {e}", path.display())))
}

/// The context of a view over the database: the store, rules, "now" and the business zone.
fn view_context(db: &DbArgs, rules: &RulesArgs, at: &AtArgs) -> Result<Context, CliError> {
    let source = SourceArgs {
        db: db.clone(),
        dataset: None,
    };
    Context::resolve(&source, rules, at)
}

/// The SLA resolution deadline at `now` of every order that is not cancelled and has no `due`
/// of its own, with the context's rules (an order whose SLA cannot be computed has none, as
/// when it is planned). One SLA evaluation per order of the model.
fn sla_dues(ctx: &Context) -> Result<board::Dues, CliError> {
    let engines = Engines::new(&ctx.model, &ctx.rules.set)?;
    let sla = engines.sla(&ctx.model);
    let mut dues = board::Dues::new();
    for order in ctx.model.orders() {
        if order.due.is_some() || order.status() == fieldwork::model::OrderStatus::Cancelled {
            continue;
        }
        if let Ok(status) = sla.status(order, ctx.now) {
            if let Some(m) = status.metric(Metric::Resolution) {
                dues.insert(order.id.clone(), m.due);
            }
        }
    }
    Ok(dues)
}

/// The board of the context's database over `from..=to` (default: the newest plan's first day
/// and four more), with SLA due markers from the context's rules: `fieldwork board` and the
/// server's `/board` build it here.
pub(crate) fn board_of(
    ctx: &Context,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<board::BoardView, CliError> {
    let check_range = |from, to| {
        super::limits::bounded_end(
            from,
            to,
            super::limits::MAX_BOARD_DAYS,
            "the `fieldwork board` range",
        )
    };
    let (plan, newest) = schedule_of(&ctx.model, &ctx.store.plans()?)?;
    // Dates are local dates of the business, as on every command.
    let zone = ctx.zone;
    let from = from.unwrap_or_else(|| newest.with_timezone(&zone).date_naive());
    // Both ends inclusive, as on every command.
    let to = to.unwrap_or(from + Duration::days(4));
    check_range(from, to)?;
    let dues = sla_dues(ctx)?;
    Ok(board::board_view(
        &ctx.model,
        &plan,
        &dues,
        &board::BoardOptions {
            from,
            // The board's own option is the last day shown, as --to.
            to,
            zone,
            now: ctx.now,
            risk_margin_minutes: 60,
        },
    ))
}

/// A technician's day on `date` (default today, the local date of now in the business's zone)
/// in the current schedule, and the zone of their calendar: `fieldwork today` and the
/// server's `/me/today` build it here.
pub(crate) fn today_of(
    model: &Model,
    plans: &[StoredPlan],
    technician: &str,
    date: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<(today::DayView, Tz), CliError> {
    let (plan, _) = schedule_of(model, plans)?;
    let tech = TechnicianId::new(technician);
    if model.technician(&tech).is_none() {
        return Err(CliError::User(format!("unknown technician `{tech}`")));
    }
    let business = fieldwork::job::business_zone(model);
    let date = date.unwrap_or_else(|| now.with_timezone(&business).date_naive());
    Ok((
        today::day_view(model, &plan, &tech, date, now),
        zone_of(model, Some(&tech)),
    ))
}

/// The calendar of one technician's visits in the current schedule and the updated SEQUENCE
/// ledger (`fieldwork ics --technician` and the server's calendar feed).
pub(crate) fn calendar_of(
    model: &Model,
    plans: &[StoredPlan],
    technician: &str,
    ledger: &ics::ExportLedger,
    now: DateTime<Utc>,
) -> Result<(String, ics::ExportLedger), CliError> {
    let (plan, _) = schedule_of(model, plans)?;
    let id = TechnicianId::new(technician);
    if model.technician(&id).is_none() {
        return Err(CliError::User(format!("unknown technician `{id}`")));
    }
    Ok(ics::export(model, &plan, &[id], ledger, now))
}

/// Runs `fieldwork board`.
pub fn run_board(args: BoardArgs, out: &Output) -> Result<(), CliError> {
    if let Some((from, to)) = args.from.zip(args.to) {
        // A range given in full is checked before the database is read.
        super::limits::bounded_end(
            from,
            to,
            super::limits::MAX_BOARD_DAYS,
            "the `fieldwork board` range",
        )?;
    }
    let ctx = view_context(&args.db, &args.rules, &args.at)?;
    let view = board_of(&ctx, args.from, args.to)?;
    let (from, to, zone) = (view.options.from, view.options.to, view.options.zone);
    write(&args.out, &board::render_view(&view))?;
    let overdue = view.backlog.iter().filter(|b| b.overdue).count();
    if out.json {
        out.print_json(&ctx.json(&serde_json::json!({
            "out": args.out,
            "from": from,
            "to": to,
            "visits": view.bars.len(),
            "backlog": view.backlog_total,
            "backlog_overdue": overdue,
        })))
    } else {
        if !out.quiet {
            say!(
                "wrote {} ({}): {} visits, backlog {} ({overdue} overdue), now {}",
                args.out.display(),
                date_range(from, to, zone),
                view.bars.len(),
                view.backlog_total,
                crate::format::instant(ctx.now, zone)
            );
        }
        Ok(())
    }
}

/// Runs `fieldwork ics`.
pub fn run_ics(args: IcsArgs, out: &Output) -> Result<(), CliError> {
    let (model, plan, _) = load(&args.db.db)?;
    let techs: Vec<TechnicianId> = match &args.technician {
        Some(id) => {
            let id = TechnicianId::new(id.as_str());
            if model.technician(&id).is_none() {
                return Err(CliError::User(format!("unknown technician `{id}`")));
            }
            vec![id]
        }
        None => Vec::new(),
    };
    let mut ledger_path = args.out.clone().into_os_string();
    ledger_path.push(".ledger.json");
    let ledger_path = PathBuf::from(ledger_path);
    let ledger: ics::ExportLedger = match std::fs::read_to_string(&ledger_path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| CliError::user(format!("{}: {e}", ledger_path.display())))?,
        Err(_) => ics::ExportLedger::new(),
    };
    let now = args.at.resolve(fieldwork::job::business_zone(&model));
    let (text, next) = ics::export(&model, &plan, &techs, &ledger, now);
    write(&args.out, &text)?;
    let ledger_text =
        serde_json::to_string_pretty(&next).map_err(|e| CliError::Internal(e.to_string()))?;
    write(&ledger_path, &ledger_text)?;
    let events = text.matches("BEGIN:VEVENT").count();
    if out.json {
        out.print_json(&serde_json::json!({"out": args.out, "events": events}))
    } else {
        if !out.quiet {
            say!("wrote {}: {events} events", args.out.display());
        }
        Ok(())
    }
}

/// Runs `fieldwork today`.
pub fn run_today(args: TodayArgs, out: &Output) -> Result<(), CliError> {
    let store = db::open(&args.db.db)?;
    let model = store.load_model()?;
    let business = fieldwork::job::business_zone(&model);
    let now = args.at.resolve(business);
    let (view, zone) = today_of(&model, &store.plans()?, &args.technician, args.date, now)?;
    if out.json {
        return out.print_json(&view);
    }
    super::output::write_stdout(format_args!("{}", today::render_text(&view, zone)));
    Ok(())
}
