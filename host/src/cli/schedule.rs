//! `fieldwork schedule`: batch-schedules a dataset's open orders over a horizon and prints the
//! routes, the unassigned orders with reasons, and the KPIs.

use chrono::NaiveDate;
use std::path::PathBuf;
use std::time::Duration;

use super::context::{AtArgs, Context, RulesArgs, SourceArgs};
use super::limits::{bounded_end, MAX_SCHEDULE_DAYS};
use super::{CliError, Output};
use crate::format::{clock, date, date_range, km, minutes, parse_date, table};
use crate::progress::Bars;
use fieldwork::job::Progress;
use fieldwork::job::{schedule_phase, Engines, JobOptions, ScheduleOutcome};
use fieldwork::model::Model;
use fieldwork::schedule::field::{Lateness, ScheduleOptions};
use fieldwork::schedule::plan::Plan;

/// Arguments of `fieldwork schedule`.
#[derive(Debug, clap::Args)]
pub struct ScheduleArgs {
    /// The database (the plan is stored with the orders' new status in one batch, re-planning
    /// the stored plan of the same window) or a dataset file (nothing is stored).
    #[command(flatten)]
    pub source: SourceArgs,
    /// "Now": planning starts no earlier.
    #[command(flatten)]
    pub at: AtArgs,
    /// The rules (`sla_targets`, dispatch hooks).
    #[command(flatten)]
    pub rules: RulesArgs,
    /// First day of the horizon (YYYY-MM-DD, a local date of the business, inclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day of the horizon (YYYY-MM-DD, a local date of the business, inclusive: --from
    /// 2027-03-01 --to 2027-03-05 is five days).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: NaiveDate,
    /// Time budget of the whole command in milliseconds — loading, preparing the problem,
    /// searching and storing (the best plan found in time is returned).
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    pub budget_ms: u64,
    /// Search iterations (deterministic with --seed); unlimited within the time budget if 0.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub iterations: u64,
    /// Random seed.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Threads that plan the independent parts of the problem (territories that share no
    /// technician) side by side; 0 = one per core. The plan for a --seed and --iterations is
    /// the same for every count.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Leave orders unassigned rather than plan them after their SLA deadline.
    #[arg(long)]
    pub no_late: bool,
    /// Write the plan as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The scheduler settings the arguments describe.
fn options(args: &ScheduleArgs) -> ScheduleOptions {
    ScheduleOptions {
        seed: args.seed,
        iterations: (args.iterations > 0).then_some(args.iterations),
        time_budget: Some(Duration::from_millis(args.budget_ms)),
        threads: args.threads,
        lateness: if args.no_late {
            Lateness::Forbidden
        } else {
            Lateness::Penalised
        },
        ..ScheduleOptions::default()
    }
}

/// The scheduler's share of `--budget-ms`: the whole command finishes within the budget, so
/// the time loading took is spent, and twice as much again is set aside for what follows the
/// search — explaining the unplanned orders, storing the plan and printing it (all grow with
/// the business as loading does; measured at 50 demo regions: loading ≈ 0.4 s, after the
/// search ≈ 0.8 s). At least nothing: the construction alone is then returned.
fn search_budget(args: &ScheduleArgs, loading: Duration) -> Duration {
    Duration::from_millis(args.budget_ms).saturating_sub(loading * 3)
}

/// Runs the command: the main job's scheduling phase over the local dates `--from..=--to`, on
/// the database or on the dataset in memory — the same phase, the same rules.
pub fn run(args: ScheduleArgs, out: &Output) -> Result<(), CliError> {
    let end = bounded_end(
        args.from,
        args.to,
        MAX_SCHEDULE_DAYS,
        "the `fieldwork schedule` range",
    )?;
    // Progress as `run` shows it: loading, then scheduling.
    let started = std::time::Instant::now();
    let mut bars = Bars::new(out);
    bars.start("load", 0);
    let mut ctx = Context::resolve(&args.source, &args.rules, &args.at)?;
    bars.finish();
    let mut job = JobOptions::new(args.from, end, ctx.now).in_zone(ctx.zone);
    job.schedule = options(&args);
    job.schedule.time_budget = Some(search_budget(&args, started.elapsed()));
    job.schedule_days = u32::try_from((end - args.from).num_days()).unwrap_or(u32::MAX);
    let engines = Engines::new(&ctx.model, &ctx.rules.set)?;
    let outcome = schedule_phase(ctx.store.as_mut(), &ctx.model, &engines, &job, &mut bars)?;
    drop(bars);
    let plan = match &outcome {
        ScheduleOutcome::Planned { plan, .. } => {
            ctx.store.plans()?.into_iter().find(|p| &p.id == plan)
        }
        ScheduleOutcome::NothingToPlan => None,
        ScheduleOutcome::Failed { error } => return Err(CliError::user(error)),
    };
    let Some(stored) = plan else {
        if out.json {
            return out.print_json(&ctx.json(&outcome));
        }
        ctx.say_header(out);
        say!(
            "no open order to plan in {}",
            date_range(args.from, args.to, ctx.zone)
        );
        return Ok(());
    };
    if let Some(path) = &args.out {
        let text = serde_json::to_string_pretty(&stored.plan)
            .map_err(|e| CliError::Internal(e.to_string()))?;
        std::fs::write(path, text)
            .map_err(|e| CliError::user(format!("{}: {e}", path.display())))?;
    }
    let diff = match &outcome {
        ScheduleOutcome::Planned { diff, .. } => Some(diff),
        _ => None,
    };
    if out.json {
        let mut value = ctx.json(&stored);
        value["diff"] =
            serde_json::to_value(diff).map_err(|e| CliError::Internal(e.to_string()))?;
        return out.print_json(&value);
    }
    ctx.say_header(out);
    say!(
        "plan of {}\n\n{}\n",
        date_range(args.from, args.to, ctx.zone),
        render(&ctx.model, &stored.plan)
    );
    if let Some(diff) = diff {
        say!("{}", super::run::diff_line(diff));
        if let Some(changes) = super::run::diff_table(diff) {
            say!("{changes}");
        }
    }
    if !out.quiet {
        if ctx.is_dataset() {
            say!("not stored (dataset)");
        } else {
            say!("stored as {}", stored.id);
        }
    }
    Ok(())
}

/// The zone's abbreviation at an instant (`CET`).
fn zone_abbreviation(t: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz) -> String {
    t.with_timezone(&zone).format("%Z").to_string()
}

/// The plan as text: KPIs, one line per visit, the unassigned orders.
pub fn render(model: &Model, plan: &Plan) -> String {
    let k = &plan.kpis;
    let mut text = format!(
        "assigned {}/{} orders · travel {} / {} · utilisation {:.0}% · SLA breaches {} · \
         overtime {}\n\n",
        k.orders_assigned,
        k.orders_total,
        km(k.travel_km),
        minutes(k.travel_minutes),
        k.utilisation * 100.0,
        k.sla_breaches,
        minutes(k.overtime_minutes)
    );
    let tz = |tech: &fieldwork::model::TechnicianId| {
        model
            .technician(tech)
            .and_then(|t| model.calendar(&t.calendar))
            .and_then(|c| c.time_zone.tz().ok())
            .unwrap_or(chrono_tz::Tz::UTC)
    };
    let mut rows = Vec::new();
    for route in &plan.routes {
        let zone = tz(&route.technician);
        for v in &route.visits {
            rows.push(vec![
                route.technician.to_string(),
                date(route.day),
                format!(
                    "{} {}",
                    clock(v.start, zone),
                    zone_abbreviation(v.start, zone)
                ),
                clock(v.end, zone),
                match v.part {
                    Some(part) => format!("{} ({part})", v.order),
                    None => v.order.to_string(),
                },
                minutes(v.travel_minutes),
                if v.is_late() {
                    format!("late {}", minutes(v.late_minutes))
                } else {
                    String::new()
                },
            ]);
        }
    }
    text.push_str(&table(
        &[
            "technician",
            "day",
            "start",
            "end",
            "order",
            "travel",
            "SLA",
        ],
        &rows,
    ));
    if !plan.unassigned.is_empty() {
        text.push_str("\n\nunassigned:\n");
        let rows: Vec<Vec<String>> = plan
            .unassigned
            .iter()
            .map(|u| vec![u.order.to_string(), u.reason.to_string(), u.detail.clone()])
            .collect();
        text.push_str(&table(&["order", "reason", "detail"], &rows));
    }
    text
}
