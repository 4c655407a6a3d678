//! `fieldwork absence`: record, list and remove technicians' time off. Adding or removing an
//! absence re-plans only that technician's visits of the scheduling window
//! ([`fieldwork::job::add_absence`], [`fieldwork::job::remove_absence`]): the visits it made
//! infeasible move to free time or become unassigned, nobody else's visit moves.

use chrono::{Duration, NaiveDate};
use clap::Subcommand;
use serde::Serialize;

use super::context::{parse_at, At, AtArgs, Context, DbArgs, RulesArgs, Source};
use super::run::{diff_line, diff_table};
use super::{db, CliError, Output};
use crate::format::{instant, km, parse_date, rfc3339, table};
use crate::progress::Bars;
use fieldwork::job::{add_absence, remove_absence, AbsenceChange, JobOptions, ScheduleOutcome};
use fieldwork::model::{Absence, TechnicianId};

/// Arguments of `fieldwork absence`.
#[derive(Debug, clap::Args)]
pub struct AbsenceArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AbsenceCommand,
}

/// The `absence` subcommands.
#[derive(Debug, Subcommand)]
pub enum AbsenceCommand {
    /// Record time off and re-plan only that technician's visits.
    Add(ChangeArgs),
    /// The stored absences (of one technician with --technician).
    List(ListArgs),
    /// Remove a recorded absence (technician, start and end as recorded) and re-plan that
    /// technician's visits.
    Remove(ChangeArgs),
}

/// Which absence, and the database, rules and "now" of the re-plan.
#[derive(Debug, clap::Args)]
pub struct ChangeArgs {
    /// The technician.
    #[arg(long, value_name = "ID")]
    pub technician: String,
    /// A whole local day of the business (midnight to midnight); instead of --from/--to.
    #[arg(long, value_name = "DATE", value_parser = parse_date, conflicts_with_all = ["from", "to"])]
    pub day: Option<NaiveDate>,
    /// First absent instant, as --at is written (an instant or a local time of the business).
    #[arg(long, value_name = "AT", value_parser = parse_at, requires = "to")]
    pub from: Option<At>,
    /// End of the absence (exclusive), as --at is written.
    #[arg(long, value_name = "AT", value_parser = parse_at, requires = "from")]
    pub to: Option<At>,
    /// Why (shown to dispatchers; `add` only).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub reason: String,
    /// Days of the schedule re-planned from today (the main job's scheduling window).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub schedule_days: u32,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The rules (dispatch policy, SLA targets).
    #[command(flatten)]
    pub rules: RulesArgs,
    /// "Now": the re-plan starts here.
    #[command(flatten)]
    pub at: AtArgs,
}

/// Arguments of `absence list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this technician's.
    #[arg(long, value_name = "ID")]
    pub technician: Option<String>,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
}

/// Runs the command.
pub fn run(args: AbsenceArgs, out: &Output) -> Result<(), CliError> {
    match args.command {
        AbsenceCommand::Add(a) => change(a, true, out),
        AbsenceCommand::Remove(a) => change(a, false, out),
        AbsenceCommand::List(a) => list(a, out),
    }
}

/// The absence `args` describe, in the business's `zone`.
fn absence_of(args: &ChangeArgs, ctx: &Context) -> Result<Absence, CliError> {
    let resolve = |at: At| AtArgs { at: Some(at) }.resolve(ctx.zone);
    let (start, end) = match (args.day, args.from, args.to) {
        (Some(day), _, _) => {
            let next = day
                .succ_opt()
                .ok_or_else(|| CliError::user(format!("--day {day} is too far")))?;
            (
                fieldwork::calendar::start_of_day(ctx.zone, day),
                fieldwork::calendar::start_of_day(ctx.zone, next),
            )
        }
        (None, Some(from), Some(to)) => (resolve(from), resolve(to)),
        _ => {
            return Err(CliError::user(
                "give the absence as --day DATE or --from AT --to AT\nhint: fieldwork absence \
                 add --technician T-009 --day 2027-03-02 --reason sick",
            ))
        }
    };
    if end <= start {
        return Err(CliError::User(format!(
            "the absence ends ({}) before it starts ({})\nhint: --to is the end, exclusive: \
             --from 2027-03-02T08:00 --to 2027-03-02T12:00 is a morning",
            instant(end, ctx.zone),
            instant(start, ctx.zone)
        )));
    }
    Ok(Absence {
        technician: TechnicianId::new(args.technician.as_str()),
        start,
        end,
        reason: args.reason.clone(),
    })
}

/// `add` or `remove`.
fn change(args: ChangeArgs, add: bool, out: &Output) -> Result<(), CliError> {
    let store = db::open(&args.db.db)?;
    let mut ctx = Context::with_store(
        Source::Database(args.db.db.clone()),
        store,
        args.rules.load()?,
        &args.at,
    )?;
    if ctx
        .model
        .technician(&TechnicianId::new(args.technician.as_str()))
        .is_none()
    {
        return Err(CliError::User(format!(
            "unknown technician `{}`",
            args.technician
        )));
    }
    if args.schedule_days == 0 {
        return Err(CliError::user("--schedule-days must be at least 1"));
    }
    let absence = absence_of(&args, &ctx)?;
    let today = ctx.now.with_timezone(&ctx.zone).date_naive();
    let last = today + Duration::days(i64::from(args.schedule_days));
    let mut options = JobOptions::new(today, last, ctx.now).in_zone(ctx.zone);
    options.schedule_days = args.schedule_days;
    let mut bars = Bars::new(out);
    let result = if add {
        add_absence(
            ctx.store.as_mut(),
            &ctx.rules.set,
            &options,
            &absence,
            &mut bars,
        )
    } else {
        remove_absence(
            ctx.store.as_mut(),
            &ctx.rules.set,
            &options,
            &absence,
            &mut bars,
        )
    }?;
    drop(bars);
    if out.json {
        return out.print_json(&ctx.json(&result));
    }
    ctx.say_header(out);
    say!("{}", render(&result, add, &ctx));
    Ok(())
}

/// What `add`/`remove` did, for people.
fn render(change: &AbsenceChange, add: bool, ctx: &Context) -> String {
    let a = &change.absence;
    let what = match (add, change.existed) {
        (true, false) => "absence recorded",
        (true, true) => "absence updated",
        (false, _) => "absence removed",
    };
    let reason = if a.reason.is_empty() {
        String::new()
    } else {
        format!(" ({})", a.reason)
    };
    let mut text = format!(
        "{what}: {} {} – {}{reason}\n",
        a.technician,
        instant(a.start, ctx.zone),
        instant(a.end, ctx.zone)
    );
    match &change.schedule {
        ScheduleOutcome::NothingToPlan => {
            text.push_str("re-plan: nothing on the schedule of the window");
        }
        ScheduleOutcome::Planned {
            plan,
            orders,
            assigned,
            unassigned,
            travel_km,
            diff,
            ..
        } => {
            text.push_str(&format!(
                "re-planned only {}'s visits: {assigned}/{orders} orders planned ({unassigned} \
                 unassigned), {} travel, stored as {plan}; {}",
                a.technician,
                km(*travel_km),
                diff_line(diff)
            ));
            if let Some(t) = diff_table(diff) {
                text.push_str("\n\nplan changes per technician:\n");
                text.push_str(&t);
            }
        }
        ScheduleOutcome::Failed { error } => {
            text.push_str(&format!(
                "re-plan failed, the schedule is unchanged (the next run re-plans): {error}"
            ));
        }
    }
    text
}

/// One absence in `--json`.
#[derive(Serialize)]
struct Row<'a> {
    technician: &'a TechnicianId,
    start: String,
    end: String,
    reason: &'a str,
}

/// `list`.
fn list(args: ListArgs, out: &Output) -> Result<(), CliError> {
    let store = db::open(&args.db.db)?;
    let model = store.load_model()?;
    let zone = fieldwork::job::business_zone(&model);
    let wanted = args.technician.as_deref();
    if let Some(t) = wanted {
        if model.technician(&TechnicianId::new(t)).is_none() {
            return Err(CliError::User(format!("unknown technician `{t}`")));
        }
    }
    let mut absences: Vec<&Absence> = model
        .absences()
        .iter()
        .filter(|a| wanted.is_none_or(|t| a.technician.as_str() == t))
        .collect();
    absences.sort_by_key(|a| (a.start, a.technician.clone()));
    if out.json {
        let rows: Vec<Row<'_>> = absences
            .iter()
            .map(|a| Row {
                technician: &a.technician,
                start: rfc3339(a.start),
                end: rfc3339(a.end),
                reason: &a.reason,
            })
            .collect();
        return out.print_json(&rows);
    }
    if absences.is_empty() {
        say!("no absence recorded");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = absences
        .iter()
        .map(|a| {
            vec![
                a.technician.to_string(),
                instant(a.start, zone),
                instant(a.end, zone),
                a.reason.clone(),
            ]
        })
        .collect();
    say!("{}", table(&["technician", "from", "to", "reason"], &rows));
    Ok(())
}
