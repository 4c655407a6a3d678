//! `fieldwork run`: the main job on the database — generate the orders due in the horizon, SLA
//! targets and snapshot, schedule, persist, summary. Safe to kill at any moment and to rerun.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::path::{Path, PathBuf};

use super::billing::load_rules;
use super::output::table;
use super::{db, CliError, GlobalArgs, Output};
use crate::host::progress::Bars;
use crate::rules::RuleSet;
use crate::store::job::{
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

/// The horizon and "now" of a job, as the commands take them.
#[derive(Debug, Clone, clap::Args)]
pub struct HorizonArgs {
    /// First date of the horizon (YYYY-MM-DD); needs --to.
    #[arg(long, requires = "to", conflicts_with = "days_ahead")]
    pub from: Option<NaiveDate>,
    /// Date after the last day of the horizon (exclusive, YYYY-MM-DD); needs --from.
    #[arg(long, requires = "from", conflicts_with = "days_ahead")]
    pub to: Option<NaiveDate>,
    /// Horizon of N days starting today (the default is 28 when neither this nor --from/--to
    /// is given).
    #[arg(long, value_name = "N")]
    pub days_ahead: Option<u32>,
    /// "Now" (RFC 3339 with an offset): creation instant of generated orders, instant of the SLA
    /// snapshot, and "today" for --days-ahead. Default: the current time.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<DateTime<chrono::FixedOffset>>,
    /// Generated orders per write batch (each batch is committed atomically).
    #[arg(long, value_name = "N", default_value_t = crate::store::job::DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
}

impl HorizonArgs {
    /// The job options these arguments describe.
    pub fn options(&self) -> Result<JobOptions, CliError> {
        let now = self.at.map_or_else(Utc::now, |t| t.with_timezone(&Utc));
        let today = self
            .at
            .map_or_else(|| chrono::Local::now().date_naive(), |t| t.date_naive());
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
        let mut options = JobOptions::new(from, to, now);
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
    /// Directory of rule files (`*.rhai`); default `rules/` when it exists, else the built-in
    /// defaults.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
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
pub fn render(summary: &JobSummary, db: &Path) -> String {
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
        "main job on {} over {} .. {} (now {})\n\n{}",
        db.display(),
        summary.from,
        summary.to,
        summary
            .now
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        table(&["phase", "result"], &rows)
    )
}

/// Runs the job on an open database and prints the summary.
pub fn run_on(
    store: &mut crate::host::sqlite::SqliteStore,
    rules: &RuleSet,
    options: &JobOptions,
    db: &Path,
    out: &Output,
) -> Result<JobSummary, CliError> {
    let mut bars = Bars::new(out);
    let summary = run_main_job(store, rules, options, &mut bars)?;
    drop(bars);
    if out.json {
        out.print_json(&summary)?;
    } else {
        say!("{}", render(&summary, db));
    }
    Ok(summary)
}

/// Runs the command.
pub fn run(args: RunArgs, global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    let options = args.horizon.options()?;
    let rules = load_rules(args.rules.as_deref())?;
    let mut store = db::open(&global.db)?;
    run_on(&mut store, &rules, &options, &global.db, out).map(|_| ())
}
