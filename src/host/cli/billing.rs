//! `fieldwork bill`: bills one month of subscriptions and prints the transactions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::output::table;
use super::{CliError, Output};
use crate::billing::{bill, Month};
use crate::model::Model;
use crate::rules::RuleSet;

/// The directory of rule files used when `--rules` is not given (if it exists).
pub(super) const DEFAULT_RULES_DIR: &str = "rules";

/// Loads the rule files of `dir`; without `dir`, those of `./rules` when it exists, else none
/// (every hook then falls back to its built-in default).
pub(super) fn load_rules(dir: Option<&Path>) -> Result<RuleSet, CliError> {
    let dir = match dir {
        Some(dir) => dir,
        None if Path::new(DEFAULT_RULES_DIR).is_dir() => Path::new(DEFAULT_RULES_DIR),
        None => return Ok(RuleSet::empty()),
    };
    RuleSet::load_dir(dir).map_err(CliError::user)
}

/// Arguments of `fieldwork bill`.
#[derive(Debug, clap::Args)]
pub struct BillArgs {
    /// The dataset (JSON).
    #[arg(long)]
    pub dataset: PathBuf,
    /// The month to bill, YYYY-MM.
    #[arg(long)]
    pub period: Month,
    /// Rules directory (its `subscription_price` hook prices the periods); default `./rules`
    /// when present, else list prices.
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: BillArgs, out: &Output) -> Result<(), CliError> {
    let model = Model::load(&args.dataset)?;
    let rules = load_rules(args.rules.as_deref())?;
    // Without a store nothing has been billed before: every period due this month is billed.
    let run = bill(&model, &rules, args.period, &BTreeSet::new()).map_err(CliError::user)?;
    if out.json {
        return out.print_json(&run);
    }
    if run.transactions.is_empty() {
        say!("nothing to bill in {}", run.month);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = run
        .transactions
        .iter()
        .map(|t| {
            vec![
                t.id.clone(),
                t.customer.to_string(),
                t.kind.to_string(),
                t.date.to_string(),
                format!("{:>10}", t.amount),
                t.currency.clone(),
                t.description.clone(),
            ]
        })
        .collect();
    say!(
        "{}",
        table(
            &[
                "transaction",
                "customer",
                "kind",
                "date",
                "amount",
                "cur",
                "description"
            ],
            &rows
        )
    );
    say!();
    for (currency, total) in run.totals() {
        say!(
            "{}: {} transaction(s) for {} period(s), net {total} {currency}",
            run.month,
            run.transactions
                .iter()
                .filter(|t| t.currency == currency)
                .count(),
            run.billed.len()
        );
    }
    Ok(())
}
