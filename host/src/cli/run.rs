//! `fieldwork run`: the main job on the database — generate the orders due in the horizon, SLA
//! targets and snapshot, schedule, persist, summary. Safe to kill at any moment and to rerun.

use chrono::{Duration, NaiveDate};

use super::context::{date_range, AtArgs, Context, DbArgs, RulesArgs, Source};
use super::output::table;
use super::{db, CliError, Output};
use crate::progress::Bars;
use fieldwork::job::{
    run_main_job, GenerateSummary, JobError, JobOptions, JobSummary, ScheduleOutcome,
};

impl From<JobError> for CliError {
    fn from(e: JobError) -> Self {
        if e.is_user_error() {
            CliError::User(e.to_string())
        } else {
            CliError::Internal(e.to_string())
        }
    }
}

/// The horizon and "now" of a job, as the commands take them. Dates are local dates of the
/// business (the zone most technicians' calendars use); `--to` is exclusive.
#[derive(Debug, Clone, clap::Args)]
pub struct HorizonArgs {
    /// First date of the horizon (YYYY-MM-DD, local); needs --to.
    #[arg(
        long,
        value_name = "DATE",
        requires = "to",
        conflicts_with = "days_ahead"
    )]
    pub from: Option<NaiveDate>,
    /// Date after the last day of the horizon (YYYY-MM-DD, local, exclusive); needs --from.
    #[arg(
        long,
        value_name = "DATE",
        requires = "from",
        conflicts_with = "days_ahead"
    )]
    pub to: Option<NaiveDate>,
    /// Horizon of N days starting today (the default is 28 when neither this nor --from/--to
    /// is given).
    #[arg(long, value_name = "N")]
    pub days_ahead: Option<u32>,
    /// "Now": creation instant of generated orders, instant of the SLA snapshot, and "today"
    /// for --days-ahead.
    #[command(flatten)]
    pub at: AtArgs,
    /// Generated orders per write batch (each batch is committed atomically).
    #[arg(long, value_name = "N", default_value_t = fieldwork::job::DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
}

impl HorizonArgs {
    /// The job options these arguments describe, in the context's zone and "now".
    pub fn options(&self, ctx: &Context) -> Result<JobOptions, CliError> {
        let now = ctx.now;
        let today = now.with_timezone(&ctx.zone).date_naive();
        let (from, to) = match (self.from, self.to) {
            (Some(from), Some(to)) => (from, to),
            _ => {
                let days = self.days_ahead.unwrap_or(28);
                let to = today
                    .checked_add_signed(Duration::days(i64::from(days)))
                    .ok_or_else(|| CliError::user(format!("--days-ahead {days} is too far")))?;
                (today, to)
            }
        };
        if self.batch_size == 0 {
            return Err(CliError::user("--batch-size must be at least 1"));
        }
        let mut options = JobOptions::new(from, to, now).in_zone(ctx.zone);
        options.batch_size = self.batch_size;
        options.check()?;
        Ok(options)
    }
}

/// Arguments of `fieldwork run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The horizon.
    #[command(flatten)]
    pub horizon: HorizonArgs,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The rules.
    #[command(flatten)]
    pub rules: RulesArgs,
}

/// One line on what generation did.
pub fn generation_line(g: &GenerateSummary) -> String {
    let r = &g.report;
    let batches = g.persisted.batches;
    let mut text = format!(
        "{} orders created from {} occurrences of {} lines, {} already stored; written in {batches} {}",
        r.created.len(),
        r.occurrences,
        r.lines,
        r.skipped_existing,
        if batches == 1 { "batch" } else { "batches" }
    );
    if r.moved_by_rule + r.skipped_by_rule > 0 {
        text.push_str(&format!(
            "; {} moved and {} skipped by rules",
            r.moved_by_rule, r.skipped_by_rule
        ));
    }
    if !r.errors.is_empty() {
        text.push_str(&format!("; {} lines failed", r.errors.len()));
    }
    text
}

/// Renders a job summary for people.
pub fn render(summary: &JobSummary, ctx: &Context) -> String {
    // Running clocks first (always shown), then the stopped ones that occur.
    let mut states: Vec<String> = [
        "on_track",
        "warning",
        "breached",
        "met",
        "missed",
        "cancelled",
    ]
    .iter()
    .enumerate()
    .filter_map(|(i, s)| {
        let n = summary.sla.states.get(*s).copied().unwrap_or(0);
        (i < 3 || n > 0).then(|| format!("{n} {}", s.replace('_', " ")))
    })
    .collect();
    if !summary.sla.errors.is_empty() {
        states.push(format!("{} without SLA", summary.sla.errors.len()));
    }
    let rows = vec![
        vec!["generate".into(), generation_line(&summary.generation)],
        vec![
            "sla".into(),
            format!(
                "{} open orders; metrics: {}",
                summary.sla.orders,
                states.join(", ")
            ),
        ],
        vec![
            "schedule".into(),
            match &summary.schedule {
                ScheduleOutcome::NothingToPlan => "no open order to plan".into(),
                ScheduleOutcome::Planned {
                    plan,
                    orders,
                    assigned,
                    unassigned,
                    sla_breaches,
                    travel_km,
                } => format!(
                    "{assigned}/{orders} orders planned ({unassigned} unassigned, {sla_breaches} late), {travel_km:.0} km travel, stored as {plan}"
                ),
                ScheduleOutcome::Failed { error } => {
                    format!("failed, orders stay unscheduled: {error}")
                }
            },
        ],
    ];
    format!(
        "{}\nmain job over {}\n\n{}",
        ctx.header(),
        date_range(summary.from, summary.to),
        table(&["phase", "result"], &rows)
    )
}

/// Runs the job in a resolved context and prints the summary.
pub fn run_on(
    ctx: &mut Context,
    options: &JobOptions,
    out: &Output,
) -> Result<JobSummary, CliError> {
    let mut bars = Bars::new(out);
    let summary = run_main_job(ctx.store.as_mut(), &ctx.rules.set, options, &mut bars)?;
    drop(bars);
    if out.json {
        out.print_json(&ctx.json(&summary))?;
    } else {
        say!("{}", render(&summary, ctx));
    }
    Ok(summary)
}

/// Runs the command.
pub fn run(args: RunArgs, out: &Output) -> Result<(), CliError> {
    let store = db::open(&args.db.db)?;
    let mut ctx = Context::with_store(
        Source::Database(args.db.db.clone()),
        Box::new(store),
        args.rules.load()?,
        &args.horizon.at,
    )?;
    let options = args.horizon.options(&ctx)?;
    run_on(&mut ctx, &options, out).map(|_| ())
}
