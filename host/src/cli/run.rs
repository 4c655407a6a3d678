//! `fieldwork run`: the main job on the database — generate the orders due in the horizon, SLA
//! targets and snapshot, schedule, persist, summary. Safe to kill at any moment and to rerun.

use chrono::{Duration, NaiveDate};

use super::context::{AtArgs, Context, DbArgs, RulesArgs, Source};
use super::{db, CliError, Output};
use crate::format::{date_range_exclusive, km, parse_date, table};
use crate::progress::Bars;
use fieldwork::job::{
    run_main_job, GenerateSummary, JobError, JobOptions, JobSummary, ScheduleOutcome,
};
use fieldwork::recurrence::generate::GenerationReport;
use fieldwork::schedule::diff::PlanDiff;

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
/// business (the zone most technicians' calendars use); `--from` and `--to` are both
/// inclusive, as everywhere on the command line.
#[derive(Debug, Clone, clap::Args)]
pub struct HorizonArgs {
    /// First day of the horizon (YYYY-MM-DD, a local date of the business, inclusive); needs
    /// --to.
    #[arg(
        long,
        value_name = "DATE",
        value_parser = parse_date,
        requires = "to",
        conflicts_with = "days_ahead"
    )]
    pub from: Option<NaiveDate>,
    /// Last day of the horizon (YYYY-MM-DD, a local date of the business, inclusive: --from
    /// 2027-03-01 --to 2027-03-05 is five days); needs --from.
    #[arg(
        long,
        value_name = "DATE",
        value_parser = parse_date,
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
        self.options_at(ctx.now, ctx.zone)
    }

    /// The job options these arguments describe at `now` in `zone`.
    pub fn options_at(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        zone: chrono_tz::Tz,
    ) -> Result<JobOptions, CliError> {
        let today = now.with_timezone(&zone).date_naive();
        let (from, to) = match (self.from, self.to) {
            (Some(from), Some(last)) => (
                from,
                super::limits::bounded_end(
                    from,
                    last,
                    super::limits::MAX_HORIZON_DAYS,
                    "the horizon",
                )?,
            ),
            _ => {
                let days = self.days_ahead.unwrap_or(28);
                if days == 0 {
                    return Err(CliError::user(
                        "--days-ahead must be at least 1\nhint: --days-ahead 1 is today only",
                    ));
                }
                super::limits::check_days(
                    today,
                    i64::from(days),
                    super::limits::MAX_HORIZON_DAYS,
                    "the horizon",
                )?;
                let to = today
                    .checked_add_signed(Duration::days(i64::from(days)))
                    .ok_or_else(|| CliError::user(format!("--days-ahead {days} is too far")))?;
                (today, to)
            }
        };
        if self.batch_size == 0 {
            return Err(CliError::user("--batch-size must be at least 1"));
        }
        let mut options = JobOptions::new(from, to, now).in_zone(zone);
        options.batch_size = self.batch_size;
        options.check()?;
        Ok(options)
    }
}

/// The exclusive end of the inclusive range `from..=last` of `--from`/`--to`; `--to` before
/// `--from` is an error that says both are inclusive.
pub fn exclusive_end(from: NaiveDate, last: NaiveDate) -> Result<NaiveDate, CliError> {
    if last < from {
        return Err(CliError::User(format!(
            "--to {last} is before --from {from}\nhint: both are inclusive local dates: \
             --from {from} --to {from} is one day"
        )));
    }
    last.succ_opt()
        .ok_or_else(|| CliError::user(format!("--to {last} is too far")))
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
    /// Threads that plan the independent parts of the day's problem (territories that share no
    /// technician) side by side; 0 = one per core.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

/// One line on what generation did, with the counts of `fieldwork generate`.
pub fn generation_line(g: &GenerateSummary) -> String {
    let r = &g.report;
    let batches = g.persisted.batches;
    let mut text = format!(
        "{} orders created from {} occurrences of {} lines, {} already stored",
        r.created.len(),
        r.occurrences,
        r.lines,
        r.skipped_existing,
    );
    if r.merged > 0 {
        text.push_str(&format!(", {} merged into them", r.merged));
    }
    text.push_str(&format!(
        "; written in {batches} {}",
        if batches == 1 { "batch" } else { "batches" }
    ));
    if r.moved_by_rule + r.skipped_by_rule > 0 {
        text.push_str(&format!(
            "; {} moved and {} skipped by rules",
            r.moved_by_rule, r.skipped_by_rule
        ));
    }
    if r.moved_by_policy > 0 {
        text.push_str(&format!(
            "; {} moved to a business day (built-in)",
            r.moved_by_policy
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
                    diff,
                } => format!(
                    "{assigned}/{orders} orders planned ({unassigned} unassigned, {sla_breaches} late), {} travel, stored as {plan}; {}",
                    km(*travel_km),
                    diff_line(diff)
                ),
                ScheduleOutcome::Failed { error } => {
                    format!("failed, orders stay unscheduled: {error}")
                }
            },
        ],
    ];
    let mut text = format!(
        "main job over {}\n\n{}",
        date_range_exclusive(summary.from, summary.to, ctx.zone),
        table(&["phase", "result"], &rows)
    );
    if let ScheduleOutcome::Planned { diff, .. } = &summary.schedule {
        if let Some(changes) = diff_table(diff) {
            text.push_str("\n\nplan changes per technician:\n");
            text.push_str(&changes);
        }
    }
    text
}

/// A plan diff in one line: `changes: 2 moved, 1 added, 0 removed, 0 newly unassigned (151
/// unchanged)`.
pub fn diff_line(diff: &PlanDiff) -> String {
    format!(
        "changes: {} moved, {} added, {} removed, {} newly unassigned ({} unchanged)",
        diff.moved, diff.added, diff.removed, diff.newly_unassigned, diff.unchanged
    )
}

/// A plan diff per technician as a table: the technicians whose existing visits changed (moved,
/// removed or newly unassigned; additions alone are in [`diff_line`]), `None` when there is none
/// — a first plan, or one that only added visits, prints no table.
pub fn diff_table(diff: &PlanDiff) -> Option<String> {
    let rows: Vec<Vec<String>> = diff
        .technicians
        .iter()
        .filter(|(_, d)| d.moved + d.removed + d.unassigned > 0)
        .map(|(t, d)| {
            vec![
                t.to_string(),
                d.moved.to_string(),
                d.added.to_string(),
                d.removed.to_string(),
                d.unassigned.to_string(),
            ]
        })
        .collect();
    (!rows.is_empty()).then(|| {
        table(
            &["technician", "moved", "added", "removed", "unassigned"],
            &rows,
        )
    })
}

/// A job summary's JSON with its horizon as on the command line: `"from"` and `"to"` both
/// inclusive (the generation report's window too).
pub fn inclusive_json(mut value: serde_json::Value) -> serde_json::Value {
    fn last_day(v: &mut serde_json::Value) {
        if let Some(day) = v
            .as_str()
            .and_then(|s| s.parse::<NaiveDate>().ok())
            .and_then(|d| d.pred_opt())
        {
            *v = serde_json::Value::String(day.to_string());
        }
    }
    for path in ["/to", "/generation/report/window/to", "/report/window/to"] {
        if let Some(v) = value.pointer_mut(path) {
            last_day(v);
        }
    }
    value
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
        out.print_json(&inclusive_json(ctx.json(&summary)))?;
    } else {
        ctx.say_header(out);
        say!("{}", render(&summary, ctx));
    }
    Ok(summary)
}

/// One kind of failure a command completed around: its count (`3 agreement lines failed to
/// generate`) and its first error.
pub struct Failure {
    count: String,
    first: String,
}

/// The agreement lines of a generation run that failed, if any.
pub fn generation_failure(report: &GenerationReport) -> Option<Failure> {
    report.errors.first().map(|e| Failure {
        count: count(report.errors.len(), "agreement line", "failed to generate"),
        first: e.to_string(),
    })
}

/// The failures as the one error the command exits with (code 1) after its summary is
/// printed: each kind counted, the first one named. `Ok` when there are none.
pub fn failed(failures: impl IntoIterator<Item = Failure>) -> Result<(), CliError> {
    let failures: Vec<Failure> = failures.into_iter().collect();
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(CliError::User(format!(
            "{}; first: {}",
            failures
                .iter()
                .map(|f| f.count.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            one_line(&first.first)
        ))),
    }
}

/// The failures a job committed around: the lines that failed to generate, the orders left
/// without an SLA status and a failed scheduling phase (see [`failed`]).
pub fn failures(summary: &JobSummary) -> Result<(), CliError> {
    let sla = summary.sla.errors.first().map(|e| Failure {
        count: count(summary.sla.errors.len(), "order", "without SLA status"),
        first: sla_problem(&e.order, &e.error),
    });
    let schedule = match &summary.schedule {
        ScheduleOutcome::Failed { error } => Some(Failure {
            count: "scheduling failed".to_owned(),
            first: format!("scheduling: {error}"),
        }),
        _ => None,
    };
    failed(
        [
            generation_failure(&summary.generation.report),
            sla,
            schedule,
        ]
        .into_iter()
        .flatten(),
    )
}

/// `1 order without SLA status`, `3 orders without SLA status`.
pub fn count(n: usize, noun: &str, what: &str) -> String {
    format!("{n} {noun}{} {what}", if n == 1 { "" } else { "s" })
}

/// An SLA problem naming its order (once).
fn sla_problem(order: &fieldwork::model::OrderId, error: &str) -> String {
    if error.contains(order.as_str()) {
        error.to_owned()
    } else {
        format!("order {order}: {error}")
    }
}

/// A message on one line (an `error:` line is one line).
pub fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Runs the command.
pub fn run(args: RunArgs, out: &Output) -> Result<(), CliError> {
    let store = db::open(&args.db.db)?;
    let mut ctx = Context::with_store(
        Source::Database(args.db.db.clone()),
        store,
        args.rules.load()?,
        &args.horizon.at,
    )?;
    let mut options = args.horizon.options(&ctx)?;
    options.schedule.threads = args.threads;
    let summary = run_on(&mut ctx, &options, out)?;
    failures(&summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldwork::model::TechnicianId;
    use fieldwork::schedule::diff::TechnicianDiff;

    fn diff(rows: &[(&str, usize, usize)]) -> PlanDiff {
        let mut d = PlanDiff::default();
        for (t, moved, added) in rows {
            let e = TechnicianDiff {
                moved: *moved,
                added: *added,
                ..TechnicianDiff::default()
            };
            d.technicians.insert(TechnicianId::new(*t), e);
        }
        d
    }

    #[test]
    fn the_table_lists_only_technicians_whose_visits_changed() {
        // A first plan (additions only) prints no table.
        assert_eq!(diff_table(&diff(&[("T-1", 0, 4), ("T-2", 0, 3)])), None);
        let table = diff_table(&diff(&[("T-1", 0, 4), ("T-2", 2, 0)])).unwrap();
        assert!(table.contains("T-2") && !table.contains("T-1"), "{table}");
    }
}
