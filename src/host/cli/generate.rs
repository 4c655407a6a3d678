//! `fieldwork generate`: creates the service orders of agreement lines for a window of dates
//! from a dataset and writes them out.

use std::path::{Path, PathBuf};

use super::output::table;
use super::run::HorizonArgs;
use super::{db, CliError, GlobalArgs, Output};
use crate::host::progress::Bars;
use crate::model::{Model, ServiceOrder};
use crate::recurrence::generate::{generate_orders, GenerateOptions, GenerationReport, GroupBy};
use crate::rules::RuleSet;
use crate::store::job::{generate_phase, JobOptions};
use crate::store::Store;

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
    /// The dataset (JSON) whose agreements generate orders; its existing orders are never
    /// generated again. When absent, the database (`--db`): the orders are written to it in
    /// atomic batches, and a rerun (also after a crash) writes only what is missing.
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// The window (`--from`/`--to` or `--days-ahead`), "now" (`--at`: the orders' creation
    /// instant) and the write batch size.
    #[command(flatten)]
    pub horizon: HorizonArgs,
    /// How occurrences are grouped into orders.
    #[arg(long, value_enum, default_value_t = GroupByArg::Line)]
    pub group_by: GroupByArg,
    /// Write the generated orders (a JSON array of dataset orders) to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// With --dataset: also add the generated orders to the dataset file (a later run then
    /// skips them).
    #[arg(long, requires = "dataset")]
    pub save: bool,
    /// Rule directory whose `adjust_occurrence` hook adjusts occurrences; without it (or
    /// without the hook) occurrences on closed days move to the next business day, as the
    /// shipped `rules/recurrence.rhai` does.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Do not put SLA response targets on the orders' time windows.
    #[arg(long)]
    pub no_sla: bool,
}

fn rules(args: &GenerateArgs) -> Result<RuleSet, CliError> {
    match &args.rules {
        Some(dir) => RuleSet::load_dir(dir).map_err(CliError::user),
        None => Ok(RuleSet::empty()),
    }
}

fn job_options(args: &GenerateArgs) -> Result<JobOptions, CliError> {
    let mut options = args.horizon.options()?;
    options.group_by = args.group_by.into();
    options.sla_on_generated = !args.no_sla;
    Ok(options)
}

/// Loads the dataset, generates, and returns the model with the report.
///
/// # Errors
/// Invalid dataset or window.
pub fn generate(
    args: &GenerateArgs,
    dataset: &Path,
) -> Result<(Model, GenerationReport), CliError> {
    let mut model = Model::load(dataset)?;
    let rules = rules(args)?;
    let options = job_options(args)?;
    let generate_options = GenerateOptions {
        sla: options.sla_on_generated,
        ..GenerateOptions::new(options.now).group_by(options.group_by)
    };
    let report = generate_orders(
        &mut model,
        Some(&rules),
        options.from,
        options.to,
        &generate_options,
    )
    .map_err(CliError::user)?;
    Ok((model, report))
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
pub fn run(args: GenerateArgs, global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    let Some(dataset) = args.dataset.clone() else {
        return run_on_db(&args, global, out);
    };
    let (model, report) = generate(&args, &dataset)?;
    if let Some(path) = &args.out {
        write_orders(path, &model, &report)?;
    }
    if args.save {
        model.save(&dataset)?;
    }
    if out.json {
        return out.print_json(&report);
    }
    say!("{}", summary(&report));
    Ok(())
}

/// `generate` on the database: the main job's generation phase alone.
fn run_on_db(args: &GenerateArgs, global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    let options = job_options(args)?;
    let rules = rules(args)?;
    let mut store = db::open(&global.db)?;
    let mut model = store.load_model()?;
    let mut bars = Bars::new(out);
    let generated = generate_phase(&mut store, &mut model, &rules, &options, &mut bars)?;
    drop(bars);
    if let Some(path) = &args.out {
        write_orders(path, &model, &generated.report)?;
    }
    if out.json {
        return out.print_json(&generated);
    }
    say!("{}", summary(&generated.report));
    let p = &generated.persisted;
    say!(
        "\nwritten to {}: {} orders in {} batches ({} already stored)",
        global.db.display(),
        p.written,
        p.batches,
        p.skipped
    );
    Ok(())
}

/// The human summary: counts, then one row per failed line.
pub fn summary(report: &GenerationReport) -> String {
    let rows = vec![
        vec![
            "window".into(),
            format!("{} .. {}", report.window.from(), report.window.to()),
        ],
        vec!["group by".into(), report.group_by.to_string()],
        vec!["lines".into(), report.lines.to_string()],
        vec!["occurrences".into(), report.occurrences.to_string()],
        vec!["created".into(), report.created.len().to_string()],
        vec![
            "skipped (existing)".into(),
            report.skipped_existing.to_string(),
        ],
        vec!["skipped by rule".into(), report.skipped_by_rule.to_string()],
        vec!["moved by rule".into(), report.moved_by_rule.to_string()],
        vec!["merged".into(), report.merged.to_string()],
        vec!["rule calls".into(), report.rule_calls.to_string()],
        vec!["failed lines".into(), report.errors.len().to_string()],
    ];
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
            dataset: Some(dir.join("data.json")),
            horizon: HorizonArgs {
                from: Some("2027-03-01".parse().unwrap()),
                to: Some("2027-03-15".parse().unwrap()),
                days_ahead: None,
                at: Some("2027-02-20T06:00:00Z".parse().unwrap()),
                batch_size: 100,
            },
            group_by,
            out: Some(dir.join("orders.json")),
            save,
            rules: None,
            no_sla: false,
        }
    }

    fn global(dir: &std::path::Path) -> GlobalArgs {
        GlobalArgs {
            json: true,
            quiet: true,
            db: dir.join("fieldwork.db"),
        }
    }

    #[test]
    fn writes_orders_and_a_saved_dataset_makes_reruns_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.json"), DATASET).unwrap();
        let a = args(dir.path(), GroupByArg::Agreement, true);
        run(a, &global(dir.path()), &Output::new(true, true)).unwrap();
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
        let (_, again) = generate(&a, &dir.path().join("data.json")).unwrap();
        assert!(again.created.is_empty());
        assert_eq!(again.skipped_existing, 4);
        assert!(
            summary(&again).contains("skipped (existing)  4"),
            "{}",
            summary(&again)
        );
    }

    #[test]
    fn a_missing_dataset_or_bad_rules_are_user_errors() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.json");
        let err = generate(&args(dir.path(), GroupByArg::Line, false), &data).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        std::fs::write(dir.path().join("data.json"), DATASET).unwrap();
        std::fs::write(dir.path().join("bad.rhai"), "fn adjust_occurrence(o) { o }").unwrap();
        let mut a = args(dir.path(), GroupByArg::Line, false);
        a.rules = Some(dir.path().to_owned());
        let err = generate(&a, &data).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert!(err.to_string().contains("bad.rhai"), "{err}");
    }

    #[test]
    fn on_the_database_orders_are_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.json");
        std::fs::write(&data, DATASET).unwrap();
        let mut store =
            crate::host::sqlite::SqliteStore::create(dir.path().join("fieldwork.db")).unwrap();
        store
            .import(
                serde_json::from_str(DATASET).unwrap(),
                crate::store::ImportMode::Replace,
            )
            .unwrap();
        drop(store);
        let mut a = args(dir.path(), GroupByArg::Line, false);
        a.dataset = None;
        a.horizon.batch_size = 2;
        run(a, &global(dir.path()), &Output::new(true, true)).unwrap();
        let store =
            crate::host::sqlite::SqliteStore::open(dir.path().join("fieldwork.db")).unwrap();
        let orders = store.load_model().unwrap().orders().len();
        // Mondays 1 and 8 March, Saturdays 6 and 13 moved to Mondays 8 and 15: 4 orders, in
        // batches of 2.
        assert_eq!(orders, 4);
        assert_eq!(store.generation_keys().unwrap().len(), 4);
        assert_eq!(store.batches().unwrap().len(), 1 + 2);
        let mut a = args(dir.path(), GroupByArg::Line, false);
        a.dataset = None;
        run(a, &global(dir.path()), &Output::new(true, true)).unwrap();
        assert_eq!(store.load_model().unwrap().orders().len(), 4);
    }
}
