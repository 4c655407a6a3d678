//! `fieldwork sla`: business-time deadlines on a calendar file (`sla due`, one-off or as a
//! JSON-lines batch) and the SLA status and compliance report of a dataset (`sla report`).

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use super::context::{AtArgs, Context, RulesArgs, SourceArgs};
use super::output::table;
use super::{CliError, Output};
use fieldwork::calendar::{parse_instant, CompiledCalendar};
use fieldwork::job::Engines;
use fieldwork::model::{BusinessCalendar, ModelError};
use fieldwork::sla::{ComplianceRow, Grouping, MetricState, SlaReport, WorkKpis};

/// Arguments of `fieldwork sla`.
#[derive(Debug, clap::Args)]
pub struct SlaArgs {
    /// The SLA command.
    #[command(subcommand)]
    pub command: SlaCommand,
}

/// The `sla` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SlaCommand {
    /// Business-time deadline: START plus N business minutes of a calendar, as a local time of
    /// the calendar's zone (RFC 3339 in UTC with --json); with --batch, one JSON line per JSON line read from stdin.
    #[command(
        after_help = "Examples:\n  fieldwork sla due --calendar office.json --start 2027-03-05T16:00:00+01:00 --minutes 120\n  \
        printf '{\"start\":\"2027-03-05T16:00:00+01:00\",\"minutes\":120}\\n' | fieldwork sla due --calendar office.json --batch"
    )]
    Due(DueArgs),
    /// Status of every order's SLA metrics at an instant, and the compliance report.
    #[command(
        after_help = "Exits 1 when an order has no SLA status (e.g. `sla_targets` threw): the report of the others is still printed, and one `error:` line counts them and names the first.\n\nExamples:\n  fieldwork sla report\n  fieldwork sla report --db prod.db --at 2027-03-01T12:00:00Z\n  fieldwork sla report --dataset demo.json --rules rules/ --at 2027-03-01T12:00:00Z --json"
    )]
    Report(ReportArgs),
}

/// Arguments of `fieldwork sla due`.
#[derive(Debug, clap::Args)]
pub struct DueArgs {
    /// The business calendar (one calendar object as JSON, as in a dataset's `calendars`).
    #[arg(long, value_name = "FILE")]
    pub calendar: PathBuf,
    /// Start: an RFC 3339 instant (2027-03-05T16:00:00+01:00) or a local time of the
    /// calendar's zone (2027-03-05T16:00).
    #[arg(
        long,
        value_name = "AT",
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    pub start: Option<String>,
    /// Business minutes to add.
    #[arg(
        long,
        value_name = "N",
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    pub minutes: Option<u32>,
    /// Read JSON lines `{"start": RFC3339, "minutes": N}` from stdin; write one line
    /// `{"due": RFC3339}` or `{"error": "..."}` per input line, in order.
    #[arg(long)]
    pub batch: bool,
}

/// Arguments of `fieldwork sla report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The database, or a dataset file.
    #[command(flatten)]
    pub source: SourceArgs,
    /// The instant the report is "as at".
    #[command(flatten)]
    pub at: AtArgs,
    /// The rules (`sla_targets` sets the targets; without it, the built-in table by
    /// priority × customer tier).
    #[command(flatten)]
    pub rules: RulesArgs,
}

/// Runs an `sla` subcommand.
pub fn run(args: SlaArgs, out: &Output) -> Result<(), CliError> {
    match args.command {
        SlaCommand::Due(args) => due(args, out),
        SlaCommand::Report(args) => report(args, out),
    }
}

use crate::format::{instant, rfc3339};

/// Reads and compiles one calendar file; errors name the file, line and column or the field.
pub fn load_calendar(path: &Path) -> Result<CompiledCalendar, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| {
        CliError::user(ModelError::Io {
            path: path.to_owned(),
            source,
        })
    })?;
    let calendar: BusinessCalendar = serde_json::from_str(&text)
        .map_err(|e| CliError::user(ModelError::json(path.display().to_string(), &e)))?;
    CompiledCalendar::new(&calendar).map_err(CliError::user)
}

fn due(args: DueArgs, out: &Output) -> Result<(), CliError> {
    let calendar = load_calendar(&args.calendar)?;
    if args.batch {
        let stdin = std::io::stdin();
        let stdout = std::io::stdout();
        return batch(&calendar, stdin.lock(), &mut stdout.lock());
    }
    let (Some(start), Some(minutes)) = (args.start, args.minutes) else {
        return Err(CliError::user(
            "--start and --minutes are required without --batch",
        ));
    };
    // As --at: an RFC 3339 instant, or a local time of the calendar's zone.
    let start = super::context::parse_at(&start)
        .map(|at| AtArgs { at: Some(at) }.resolve(calendar.time_zone()))
        .map_err(|e| {
            CliError::User(format!(
                "invalid --start '{start}': {e}\nhint: see `fieldwork sla due --help`"
            ))
        })?;
    let due = calendar
        .add(start, TimeDelta::minutes(i64::from(minutes)))
        .map_err(CliError::user)?;
    if out.json {
        out.print_json(&serde_json::json!({ "due": rfc3339(due) }))
    } else {
        say!("{}", instant(due, calendar.time_zone()));
        Ok(())
    }
}

/// One line of `sla due --batch` input.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLine {
    start: String,
    minutes: i64,
}

/// The longest `sla due --batch` input line read, in bytes: a longer line is answered with an
/// error and skipped, so one line never holds more than this in memory.
pub const MAX_BATCH_LINE: usize = 64 * 1024;

/// Answers every input line with one output line, in order; a bad line gets `{"error": …}`
/// naming the line number and the field.
pub fn batch(
    calendar: &CompiledCalendar,
    mut input: impl BufRead,
    output: &mut impl Write,
) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::Internal(format!("stdout: {e}"));
    let mut line = Vec::new();
    for number in 1.. {
        let answer = match read_line(&mut input, &mut line) {
            Err(e) => return Err(CliError::user(format!("stdin: {e}"))),
            Ok(Line::End) => break,
            Ok(Line::TooLong) => Err(format!("longer than {MAX_BATCH_LINE} bytes")),
            Ok(Line::Read) => std::str::from_utf8(&line)
                .map_err(|e| format!("not UTF-8 text ({e})"))
                .and_then(|text| batch_line(calendar, text.trim_end_matches('\r'))),
        };
        let answer = match answer {
            Ok(due) => serde_json::json!({ "due": rfc3339(due) }),
            Err(e) => serde_json::json!({ "error": format!("line {number}: {e}") }),
        };
        writeln!(output, "{answer}").map_err(io)?;
    }
    output.flush().map_err(io)
}

/// What [`read_line`] found.
enum Line {
    /// A line (without its newline) is in the buffer.
    Read,
    /// A line longer than [`MAX_BATCH_LINE`] was skipped.
    TooLong,
    /// The input has ended.
    End,
}

/// Reads the next line into `line` (bytes, newline removed), keeping at most
/// [`MAX_BATCH_LINE`] bytes: the rest of a longer line is read and dropped.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Line> {
    line.clear();
    let (mut any, mut too_long) = (false, false);
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (part, newline) = match chunk.iter().position(|&b| b == b'\n') {
            Some(at) => (&chunk[..at], true),
            None => (chunk, false),
        };
        if line.len() + part.len() > MAX_BATCH_LINE {
            too_long = true;
        } else {
            line.extend_from_slice(part);
        }
        let used = part.len() + usize::from(newline);
        input.consume(used);
        if newline {
            break;
        }
    }
    Ok(match (any, too_long) {
        (false, _) => Line::End,
        (true, true) => Line::TooLong,
        (true, false) => Line::Read,
    })
}

fn batch_line(calendar: &CompiledCalendar, line: &str) -> Result<DateTime<Utc>, String> {
    let input: BatchLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
    if input.minutes < 0 {
        return Err(format!("minutes: {} is negative", input.minutes));
    }
    let duration = TimeDelta::try_minutes(input.minutes)
        .ok_or_else(|| format!("minutes: {} is too large", input.minutes))?;
    let start = parse_instant("start", &input.start).map_err(|e| e.to_string())?;
    calendar.add(start, duration).map_err(|e| e.to_string())
}

/// The SLA status and compliance of every order at the context's "now" (the CLI's
/// `sla report` and the API's `GET /sla`).
pub(crate) fn report_of(ctx: &Context) -> Result<SlaReport, CliError> {
    let engines = Engines::new(&ctx.model, &ctx.rules.set)?;
    let engine = engines.sla(&ctx.model);
    Ok(engine.report(ctx.model.orders(), ctx.now))
}

fn report(args: ReportArgs, out: &Output) -> Result<(), CliError> {
    let ctx = Context::resolve(&args.source, &args.rules, &args.at)?;
    let report = report_of(&ctx)?;
    if out.json {
        out.print_json(&ctx.json(&report))?;
    } else {
        ctx.say_header(out);
        say!("{}", render_report(&report, ctx.zone));
    }
    match report.errors.first() {
        None => Ok(()),
        Some(first) if report.errors.len() == 1 => Err(CliError::user(&first.error)),
        Some(first) => Err(CliError::user(format!(
            "{} orders have no SLA status; first: {}",
            report.errors.len(),
            first.error
        ))),
    }
}

/// `1 h 5 min`, `-30 min` for business seconds.
fn hours_minutes(seconds: i64) -> String {
    crate::format::minutes(seconds as f64 / 60.0)
}

/// The human form of a report: the status table, then the compliance table.
pub fn render_report(report: &SlaReport, zone: chrono_tz::Tz) -> String {
    let mut rows = Vec::new();
    for sla in &report.orders {
        for m in &sla.metrics {
            let state = if m.paused {
                format!("{} (paused)", m.state)
            } else {
                m.state.to_string()
            };
            let left = match m.state {
                MetricState::Cancelled => String::new(),
                _ => hours_minutes(m.remaining_seconds),
            };
            rows.push(vec![
                sla.order.to_string(),
                sla.customer.to_string(),
                sla.tier.clone(),
                sla.priority.to_string(),
                m.metric.to_string(),
                m.target.to_string(),
                state,
                instant(m.due, zone),
                left,
                sla.calendar.to_string(),
            ]);
        }
    }
    let mut text = format!("SLA status at {}\n\n", instant(report.at, zone));
    text.push_str(&table(
        &[
            "order",
            "customer",
            "tier",
            "priority",
            "metric",
            "target",
            "state",
            "due",
            "remaining",
            "calendar",
        ],
        &rows,
    ));
    text.push_str(
        "\n\nCompliance (met, missed and breached metrics; overrun in business time)\n\n",
    );
    text.push_str(&table(
        &[
            "metric",
            "group",
            "count",
            "met",
            "% met",
            "avg overrun",
            "worst overrun",
            "worst order",
        ],
        &report
            .compliance
            .iter()
            .filter(|r| r.count > 0 || r.grouping != Grouping::Customer)
            .map(compliance_row)
            .collect::<Vec<_>>(),
    ));
    let quiet = report
        .compliance
        .iter()
        .filter(|r| r.count == 0 && r.grouping == Grouping::Customer)
        .count();
    if quiet > 0 {
        text.push_str(&format!(
            "\n({quiet} customer row(s) without a concluded metric left out; --json lists them)"
        ));
    }
    text.push_str(&render_work(&report.work));
    if !report.errors.is_empty() {
        text.push_str("\n\nOrders without SLA status\n");
        for e in &report.errors {
            text.push_str(&format!("\n{}", e.error));
        }
    }
    text
}

/// The work KPIs of a report (from the recorded order operations), one per line.
fn render_work(work: &WorkKpis) -> String {
    let percent = |p: Option<f64>| p.map_or("-".to_owned(), |p| format!("{p:.1} %"));
    let on_site = work
        .average_on_site_minutes
        .map_or("-".to_owned(), crate::format::minutes);
    format!(
        "\n\nWork done (from recorded operations)\n\n\
         started                 {}\n\
         completed               {}\n\
         first-time fix          {} ({} of {})\n\
         on site per completion  {on_site}\n\
         resolution SLA met      {} of completed ({} of {})",
        work.started,
        work.completed,
        percent(work.first_time_fix_percent),
        work.first_time_fixes,
        work.completed,
        percent(work.sla_met_percent),
        work.sla_met,
        work.sla_concluded,
    )
}

fn compliance_row(row: &ComplianceRow) -> Vec<String> {
    let group = match row.grouping {
        Grouping::All => "all".to_owned(),
        Grouping::Tier => format!("tier {}", row.key),
        Grouping::Customer => format!("customer {}", row.key),
    };
    vec![
        row.metric.to_string(),
        group,
        row.count.to_string(),
        row.met.to_string(),
        row.percent_met.map_or("-".into(), |p| format!("{p:.1}")),
        hours_minutes(row.average_overrun_seconds),
        hours_minutes(row.worst_overrun_seconds),
        row.worst_order
            .as_ref()
            .map_or(String::new(), ToString::to_string),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office() -> CompiledCalendar {
        let cal = BusinessCalendar::from_json(
            r#"{"id":"o","time_zone":"Europe/Berlin","weekly":{"mon":[["08:00","17:00"]],"fri":[["08:00","17:00"]]}}"#,
        )
        .unwrap();
        CompiledCalendar::new(&cal).unwrap()
    }

    #[test]
    fn bad_lines_get_their_own_error_and_the_batch_goes_on() {
        let mut input = Vec::new();
        input.extend_from_slice(
            b"{\"start\":\"2027-03-05T16:00:00+01:00\",\"minutes\":153722867280913}\n",
        );
        input.extend_from_slice(
            b"{\"start\":\"2027-03-05T16:00:00+01:00\",\"minutes\":9223372036854775807}\n",
        );
        input.extend_from_slice(b"\xff\xfe not UTF-8\n");
        input.extend_from_slice(&vec![b' '; MAX_BATCH_LINE + 10]);
        input.extend_from_slice(b"\n");
        input.extend_from_slice(b"{\"start\":\"2027-03-05T16:00:00+01:00\",\"minutes\":60}\r\n");
        input.extend_from_slice(b"{\"start\":\"2027-03-05T16:00:00+01:00\",\"minutes\":120}");
        let mut out = Vec::new();
        batch(&office(), input.as_slice(), &mut out).unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 6, "{lines:?}");
        let error = |i: usize| lines[i]["error"].as_str().unwrap_or_default().to_owned();
        assert!(error(0).starts_with("line 1: "), "{}", error(0));
        assert_eq!(
            error(1),
            "line 2: minutes: 9223372036854775807 is too large"
        );
        assert!(
            error(2).starts_with("line 3: not UTF-8 text"),
            "{}",
            error(2)
        );
        assert_eq!(
            error(3),
            format!("line 4: longer than {MAX_BATCH_LINE} bytes")
        );
        assert_eq!(lines[4]["due"], "2027-03-05T16:00:00Z");
        assert_eq!(lines[5]["due"], "2027-03-08T08:00:00Z");
    }

    #[test]
    fn batch_answers_every_line_in_order() {
        let input = concat!(
            "{\"start\":\"2027-03-05T16:00:00+01:00\",\"minutes\":60}\n",
            "{\"start\":\"2027-03-05T16:00:00\",\"minutes\":60}\n",
            "\n",
            "{\"start\":\"2027-03-05T16:00:00+01:00\",\"minutes\":-5}\n",
            "{\"start\":\"2027-03-05T16:00:00+01:00\",\"minutes\":120}\n",
        );
        let mut out = Vec::new();
        batch(&office(), input.as_bytes(), &mut out).unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0]["due"], "2027-03-05T16:00:00Z");
        let e = lines[1]["error"].as_str().unwrap();
        assert!(
            e.starts_with("line 2: start:") && e.contains("offset is missing"),
            "{e}"
        );
        assert!(lines[2]["error"]
            .as_str()
            .unwrap()
            .starts_with("line 3: EOF"));
        assert_eq!(lines[3]["error"], "line 4: minutes: -5 is negative");
        assert_eq!(lines[4]["due"], "2027-03-08T08:00:00Z");
    }

    #[test]
    fn hours_minutes_formats_signs() {
        assert_eq!(hours_minutes(3900), "1 h 5 min");
        assert_eq!(hours_minutes(-1800), "-30 min");
    }
}
