//! `fieldwork generate`: creates the service orders of agreement lines for a window of dates
//! from a dataset and writes them out.

use chrono::{DateTime, NaiveDate, Utc};
use std::path::PathBuf;

use super::output::table;
use super::{CliError, Output};
use crate::model::{Model, ServiceOrder};
use crate::recurrence::generate::{generate_orders, GenerateOptions, GenerationReport, GroupBy};
use crate::rules::RuleSet;

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
    /// generated again.
    #[arg(long)]
    pub dataset: PathBuf,
    /// First local date of the window (YYYY-MM-DD).
    #[arg(long)]
    pub from: NaiveDate,
    /// First local date after the window (YYYY-MM-DD).
    #[arg(long)]
    pub to: NaiveDate,
    /// How occurrences are grouped into orders.
    #[arg(long, value_enum, default_value_t = GroupByArg::Line)]
    pub group_by: GroupByArg,
    /// Write the generated orders (a JSON array of dataset orders) to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also add the generated orders to the dataset file (a later run then skips them).
    #[arg(long)]
    pub save: bool,
    /// Creation instant of the orders (RFC 3339); defaults to now.
    #[arg(long)]
    pub created_at: Option<DateTime<Utc>>,
    /// Rule directory whose `adjust_occurrence` hook adjusts occurrences; without it (or
    /// without the hook) occurrences on closed days move to the next business day, as the
    /// shipped `rules/recurrence.rhai` does.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Do not put SLA response targets on the orders' time windows.
    #[arg(long)]
    pub no_sla: bool,
}

/// Loads the dataset, generates, and returns the model with the report.
///
/// # Errors
/// Invalid dataset or window.
pub fn generate(args: &GenerateArgs) -> Result<(Model, GenerationReport), CliError> {
    let mut model = Model::load(&args.dataset)?;
    let rules = match &args.rules {
        Some(dir) => Some(RuleSet::load_dir(dir).map_err(CliError::user)?),
        None => None,
    };
    let options = GenerateOptions {
        sla: !args.no_sla,
        ..GenerateOptions::new(args.created_at.unwrap_or_else(Utc::now))
            .group_by(args.group_by.into())
    };
    let report = generate_orders(&mut model, rules.as_ref(), args.from, args.to, &options)
        .map_err(CliError::user)?;
    Ok((model, report))
}

/// Runs the command.
pub fn run(args: GenerateArgs, out: &Output) -> Result<(), CliError> {
    let (model, report) = generate(&args)?;
    if let Some(path) = &args.out {
        let orders: Vec<&ServiceOrder> = report
            .created
            .iter()
            .filter_map(|id| model.order(id))
            .collect();
        let text = serde_json::to_string_pretty(&orders)
            .map_err(|e| CliError::Internal(format!("cannot serialise orders: {e}")))?;
        std::fs::write(path, text)
            .map_err(|e| CliError::user(format!("{}: {e}", path.display())))?;
    }
    if args.save {
        model.save(&args.dataset)?;
    }
    if out.json {
        return out.print_json(&report);
    }
    say!("{}", summary(&report));
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
            dataset: dir.join("data.json"),
            from: "2027-03-01".parse().unwrap(),
            to: "2027-03-15".parse().unwrap(),
            group_by,
            out: Some(dir.join("orders.json")),
            save,
            created_at: Some("2027-02-20T06:00:00Z".parse().unwrap()),
            rules: None,
            no_sla: false,
        }
    }

    #[test]
    fn writes_orders_and_a_saved_dataset_makes_reruns_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.json"), DATASET).unwrap();
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
        let (_, again) = generate(&args(dir.path(), GroupByArg::Agreement, false)).unwrap();
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
        let err = generate(&args(dir.path(), GroupByArg::Line, false)).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        std::fs::write(dir.path().join("data.json"), DATASET).unwrap();
        std::fs::write(dir.path().join("bad.rhai"), "fn adjust_occurrence(o) { o }").unwrap();
        let mut a = args(dir.path(), GroupByArg::Line, false);
        a.rules = Some(dir.path().to_owned());
        let err = generate(&a).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert!(err.to_string().contains("bad.rhai"), "{err}");
    }
}
