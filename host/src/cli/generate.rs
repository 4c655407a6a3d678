//! `fieldwork generate`: creates the service orders of agreement lines for a window of dates
//! from a dataset and writes them out.

use std::path::{Path, PathBuf};

use super::context::{Context, RulesArgs, SourceArgs};
use super::run::{inclusive_json, HorizonArgs};
use super::{CliError, Output};
use crate::format::{date_range_exclusive, table};
use crate::progress::Bars;
use fieldwork::job::{generate_phase, Engines, GenerateSummary};
use fieldwork::model::{Model, ServiceOrder};
use fieldwork::recurrence::generate::{GenerationReport, GroupBy};

/// Grouping on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupByArg {
    /// One order per agreement line and date.
    Line,
    /// One order per agreement and date.
    Agreement,
    /// One order per service object and date.
    Object,
}

impl From<GroupByArg> for GroupBy {
    fn from(g: GroupByArg) -> Self {
        match g {
            GroupByArg::Line => GroupBy::Line,
            GroupByArg::Agreement => GroupBy::Agreement,
            GroupByArg::Object => GroupBy::Object,
        }
    }
}

/// Arguments of `fieldwork generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The database (the orders are written in atomic batches, and a rerun — also after a
    /// crash — writes only what is missing) or a dataset file whose agreements generate orders
    /// (its existing orders are never generated again; nothing is stored unless --save).
    #[command(flatten)]
    pub source: SourceArgs,
    /// The window (`--from`/`--to` or `--days-ahead`), "now" (`--at`: the orders' creation
    /// instant) and the write batch size.
    #[command(flatten)]
    pub horizon: HorizonArgs,
    /// How occurrences are grouped into orders.
    #[arg(long, value_enum, default_value_t = GroupByArg::Line)]
    pub group_by: GroupByArg,
    /// Write the generated orders (a JSON array of dataset orders) to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// With --dataset: also add the generated orders to the dataset file (a later run then
    /// skips them).
    #[arg(long, requires = "dataset")]
    pub save: bool,
    /// The rules: `adjust_occurrence` adjusts occurrences (without it, occurrences on closed
    /// days move to the next business day, as the shipped `rules/recurrence.rhai` does) and
    /// `sla_targets` sets the SLA targets on the orders' windows.
    #[command(flatten)]
    pub rules: RulesArgs,
    /// Do not put SLA response targets on the orders' time windows.
    #[arg(long)]
    pub no_sla: bool,
}

/// Generates in a resolved context: the main job's generation phase (on the in-memory store
/// for a dataset). Returns the summary; `ctx.model` holds the generated orders.
pub fn generate(
    args: &GenerateArgs,
    ctx: &mut Context,
    out: &Output,
) -> Result<GenerateSummary, CliError> {
    let mut options = args.horizon.options(ctx)?;
    options.group_by = args.group_by.into();
    options.sla_on_generated = !args.no_sla;
    let engines = Engines::new(&ctx.model, &ctx.rules.set)?;
    let mut bars = Bars::new(out);
    let generated = generate_phase(
        ctx.store.as_mut(),
        &mut ctx.model,
        &engines,
        &options,
        &mut bars,
    )?;
    drop(bars);
    Ok(generated)
}

fn write_orders(path: &Path, model: &Model, report: &GenerationReport) -> Result<(), CliError> {
    let orders: Vec<&ServiceOrder> = report
        .created
        .iter()
        .filter_map(|id| model.order(id))
        .collect();
    let text = serde_json::to_string_pretty(&orders)
        .map_err(|e| CliError::Internal(format!("cannot serialise orders: {e}")))?;
    std::fs::write(path, text).map_err(|e| CliError::user(format!("{}: {e}", path.display())))
}

/// Runs the command.
pub fn run(args: GenerateArgs, out: &Output) -> Result<(), CliError> {
    let mut ctx = Context::resolve(&args.source, &args.rules, &args.horizon.at)?;
    let generated = generate(&args, &mut ctx, out)?;
    if let Some(path) = &args.out {
        write_orders(path, &ctx.model, &generated.report)?;
    }
    if let (true, Some(dataset)) = (args.save, &args.source.dataset) {
        ctx.model.save(dataset)?;
    }
    if out.json {
        out.print_json(&inclusive_json(ctx.json(&generated)))?;
        return failed_lines(&generated.report);
    }
    ctx.say_header(out);
    say!("{}", summary(&generated.report, ctx.zone));
    let p = &generated.persisted;
    if out.quiet {
        return failed_lines(&generated.report);
    }
    if ctx.is_dataset() {
        if args.save {
            say!("\nadded to {}", ctx.source);
        }
    } else {
        say!(
            "\nwritten to {}: {} orders in {} {} ({} already stored)",
            ctx.source,
            p.written,
            p.batches,
            if p.batches == 1 { "batch" } else { "batches" },
            p.skipped
        );
    }
    failed_lines(&generated.report)
}

/// The lines that failed, as the one error the command exits with (code 1) after its summary
/// (and the orders of the other lines) were written: how many, and the first one.
pub fn failed_lines(report: &GenerationReport) -> Result<(), CliError> {
    super::run::failed(super::run::generation_failure(report))
}

/// The human summary: where the occurrences went, then one row per failed line.
pub fn summary(report: &GenerationReport, zone: chrono_tz::Tz) -> String {
    let c = report;
    let mut rows = vec![
        vec![
            "window".into(),
            date_range_exclusive(report.window.from(), report.window.to(), zone),
        ],
        vec!["group by".into(), report.group_by.to_string()],
        vec!["lines".into(), report.lines.to_string()],
        vec!["occurrences".into(), c.occurrences.to_string()],
        vec!["  orders created".into(), c.created.len().to_string()],
        vec!["  merged into them".into(), c.merged.to_string()],
        vec!["  already stored".into(), c.skipped_existing.to_string()],
        vec!["  skipped by rule".into(), c.skipped_by_rule.to_string()],
    ];
    if c.rejected > 0 {
        rows.push(vec!["  rejected".into(), c.rejected.to_string()]);
    }
    rows.extend([
        vec!["moved by rule".into(), c.moved_by_rule.to_string()],
        vec![
            "moved to a business day (built-in)".into(),
            c.moved_by_policy.to_string(),
        ],
        vec!["rule calls".into(), report.rule_calls.to_string()],
        vec!["failed lines".into(), report.errors.len().to_string()],
    ]);
    let mut text = table(&["generation", ""], &rows);
    if !report.errors.is_empty() {
        let errors: Vec<Vec<String>> = report
            .errors
            .iter()
            .map(|e| vec![e.line().to_string(), e.to_string()])
            .collect();
        text.push_str("\n\n");
        text.push_str(&table(&["line", "error"], &errors));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldwork::store::Store;

    const DATASET: &str = r#"{
      "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "Europe/Berlin",
                     "location": {"lat": 52.5, "lon": 13.4}}],
      "tasks": [{"code": "INSP", "description": "Inspection", "duration_minutes": 60}],
      "agreements": [{"id": "A-1", "customer": "C-1", "valid_from": "2027-01-01",
        "status": "active", "lines": [
          {"id": "L-1", "task": "INSP", "price": "80",
           "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=MO", "dtstart": "2027-01-04T09:00:00"}},
          {"id": "L-2", "task": "INSP", "price": "60",
           "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=SA", "dtstart": "2027-01-02T09:00:00"}}]}]
    }"#;

    fn args(dir: &std::path::Path, group_by: GroupByArg, save: bool) -> GenerateArgs {
        GenerateArgs {
            source: SourceArgs {
                db: super::super::context::DbArgs {
                    db: dir.join("fieldwork.db"),
                },
                dataset: Some(dir.join("data.json")),
            },
            horizon: HorizonArgs {
                from: Some("2027-03-01".parse().unwrap()),
                to: Some("2027-03-14".parse().unwrap()),
                days_ahead: None,
                at: super::super::context::AtArgs {
                    at: Some(super::super::context::parse_at("2027-02-20T06:00:00Z").unwrap()),
                },
                batch_size: 100,
            },
            group_by,
            out: Some(dir.join("orders.json")),
            save,
            rules: RulesArgs {
                rules: Some(dir.join("no-rules")),
            },
            no_sla: false,
        }
    }

    fn on_dataset(a: &GenerateArgs) -> Result<GenerationReport, CliError> {
        let out = Output::new(true, true);
        let mut ctx = Context::resolve(&a.source, &a.rules, &a.horizon.at)?;
        Ok(generate(a, &mut ctx, &out)?.report)
    }

    #[test]
    fn writes_orders_and_a_saved_dataset_makes_reruns_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.json"), DATASET).unwrap();
        std::fs::create_dir(dir.path().join("no-rules")).unwrap();
        let a = args(dir.path(), GroupByArg::Agreement, true);
        run(a, &Output::new(true, true)).unwrap();
        let written: Vec<ServiceOrder> =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("orders.json")).unwrap())
                .unwrap();
        // Mondays 1 and 8 March; Saturdays 6 and 13 move to Mondays 8 and 15.
        let ids: Vec<&str> = written.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "SO-A-A-1-20270301",
                "SO-A-A-1-20270308",
                "SO-A-A-1-20270315"
            ]
        );
        assert_eq!(written[1].lines.len(), 2);
        let a = args(dir.path(), GroupByArg::Agreement, false);
        let again = on_dataset(&a).unwrap();
        assert!(again.created.is_empty());
        assert_eq!(again.skipped_existing, 4);
        let text = summary(&again, chrono_tz::Europe::Berlin);
        assert!(
            text.contains("already stored") && text.contains(" 4"),
            "{text}"
        );
        assert_eq!(again.accounted(), again.occurrences, "{again:?}");
    }

    #[test]
    fn a_missing_dataset_or_bad_rules_are_user_errors() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.json");
        assert!(!data.exists());
        let err = on_dataset(&args(dir.path(), GroupByArg::Line, false)).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        std::fs::write(dir.path().join("data.json"), DATASET).unwrap();
        std::fs::write(dir.path().join("bad.rhai"), "fn adjust_occurrence(o) { o }").unwrap();
        let mut a = args(dir.path(), GroupByArg::Line, false);
        a.rules.rules = Some(dir.path().to_owned());
        let err = on_dataset(&a).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert!(err.to_string().contains("bad.rhai"), "{err}");
    }

    #[test]
    fn on_the_database_orders_are_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.json");
        std::fs::write(&data, DATASET).unwrap();
        std::fs::create_dir(dir.path().join("no-rules")).unwrap();
        let mut store =
            crate::sqlite::SqliteStore::create(dir.path().join("fieldwork.db")).unwrap();
        store
            .import(
                serde_json::from_str(DATASET).unwrap(),
                fieldwork::store::ImportMode::Replace,
            )
            .unwrap();
        drop(store);
        let mut a = args(dir.path(), GroupByArg::Line, false);
        a.source.dataset = None;
        a.horizon.batch_size = 2;
        run(a, &Output::new(true, true)).unwrap();
        let store = crate::sqlite::SqliteStore::open(dir.path().join("fieldwork.db")).unwrap();
        let orders = store.load_model().unwrap().orders().len();
        // Mondays 1 and 8 March, Saturdays 6 and 13 moved to Mondays 8 and 15: 4 orders, in
        // batches of 2.
        assert_eq!(orders, 4);
        assert_eq!(store.generation_keys().unwrap().len(), 4);
        assert_eq!(store.batches().unwrap().len(), 1 + 2);
        let mut a = args(dir.path(), GroupByArg::Line, false);
        a.source.dataset = None;
        run(a, &Output::new(true, true)).unwrap();
        assert_eq!(store.load_model().unwrap().orders().len(), 4);
    }
}
