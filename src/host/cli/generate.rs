//! `fieldwork generate`: creates the service orders of agreement lines for a window of dates
//! from a dataset and writes them out.

use chrono::{DateTime, NaiveDate, Utc};
use std::path::PathBuf;

use super::output::table;
use super::{CliError, Output};
use crate::model::{Model, ServiceOrder};
use crate::recurrence::generate::{generate_with, GenerateOptions, GenerationReport, GroupBy};
use crate::recurrence::NonBusinessDay;

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
}

/// Loads the dataset, generates, and returns the model with the report.
///
/// # Errors
/// Invalid dataset or window.
pub fn generate(args: &GenerateArgs) -> Result<(Model, GenerationReport), CliError> {
    let mut model = Model::load(&args.dataset)?;
    let options = GenerateOptions::new(args.created_at.unwrap_or_else(Utc::now))
        .group_by(args.group_by.into());
    let mut policy = NonBusinessDay::default();
    let report = generate_with(&mut model, &mut policy, args.from, args.to, &options)
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
    println!("{}", summary(&report));
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
