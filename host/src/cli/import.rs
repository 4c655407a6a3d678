//! `fieldwork import DATASET.json`: validates a dataset and writes it into the database, merged
//! into what is stored (default) or replacing it. Nothing is written when the dataset — or the
//! merge — is invalid.

use std::path::PathBuf;

use super::context::DbArgs;
use super::output::table;
use super::{db, CliError, Output};
use fieldwork::model::{Dataset, ModelError};
use fieldwork::store::{History, ImportMode, ImportSummary};

/// How the dataset is combined with the stored model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Add new entities, replace those with the same id, keep the rest.
    Merge,
    /// Replace the stored model and drop every stored result.
    Replace,
}

/// Arguments of `fieldwork import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The dataset (JSON, the format `fieldwork export` writes).
    #[arg(value_name = "FILE")]
    pub dataset: PathBuf,
    /// Merge into the stored model or replace it.
    #[arg(long, value_enum, default_value_t = ModeArg::Merge)]
    pub mode: ModeArg,
    /// With `--mode replace`: replace a database that holds posted billing or plans (they are
    /// dropped, or replaced by the file's `history` section).
    #[arg(long)]
    pub force: bool,
    /// The database to write into (created when missing).
    #[command(flatten)]
    pub db: DbArgs,
}

/// Reads a dataset file of at most [`fieldwork::model::MAX_DATASET_BYTES`] (JSON syntax errors
/// carry file, line and column).
pub fn read_dataset(path: &std::path::Path) -> Result<Dataset, CliError> {
    let text = fieldwork::model::read_dataset_text(path)?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::from(ModelError::json(path.display().to_string(), &e)))
}

/// Prints an import summary as a table (or JSON).
pub fn print_summary(
    out: &Output,
    db: &std::path::Path,
    summary: &ImportSummary,
) -> Result<(), CliError> {
    if out.json {
        return out.print_json(&serde_json::json!({ "db": db, "summary": summary }));
    }
    let mut kinds: Vec<&String> = summary.added.keys().chain(summary.updated.keys()).collect();
    kinds.sort();
    kinds.dedup();
    let rows: Vec<Vec<String>> = kinds
        .iter()
        .map(|k| {
            vec![
                (*k).clone(),
                summary.added.get(*k).copied().unwrap_or(0).to_string(),
                summary.updated.get(*k).copied().unwrap_or(0).to_string(),
            ]
        })
        .collect();
    let mode = match summary.mode {
        ImportMode::Merge => "merged",
        ImportMode::Replace => "replaced",
    };
    say!("{mode} into {}:", super::db::shown(db));
    say!("{}", table(&["entities", "added", "updated"], &rows));
    Ok(())
}

/// A replacing import over a database that holds posted billing or plans is refused (exit
/// 1) unless `--force` is given; the message says what would be dropped.
fn refuse_to_drop_history(stored: &History, dataset: &Dataset) -> Result<(), CliError> {
    let held: Vec<String> = stored
        .counts()
        .into_iter()
        .filter(|(kind, n)| *n > 0 && matches!(*kind, "plans" | "billed_periods" | "transactions"))
        .map(|(kind, n)| format!("{n} {}", kind.replace('_', " ")))
        .collect();
    if held.is_empty() {
        return Ok(());
    }
    let visits: usize = stored
        .plans
        .iter()
        .flat_map(|p| &p.plan.routes)
        .map(|r| r.visits.len())
        .sum();
    let instead = if dataset.history.is_some() {
        "replaced by the file's history"
    } else {
        "dropped (the file has no history section)"
    };
    Err(CliError::User(format!(
        "the database holds {} ({visits} planned visits); `import --mode replace` would have them \
         {instead}: pass --force to replace anyway, or `fieldwork export` first to keep a backup",
        held.join(", ")
    )))
}

/// Runs the command.
pub fn run(args: ImportArgs, out: &Output) -> Result<(), CliError> {
    let dataset = read_dataset(&args.dataset)?;
    let mode = match args.mode {
        ModeArg::Merge => ImportMode::Merge,
        ModeArg::Replace => ImportMode::Replace,
    };
    let mut store = db::open_or_create(&args.db.db)?;
    if mode == ImportMode::Replace && !args.force {
        refuse_to_drop_history(&store.history()?, &dataset)?;
    }
    let summary = store.import(dataset, mode)?;
    print_summary(out, &args.db.db, &summary)
}
