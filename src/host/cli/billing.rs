//! `fieldwork bill`: bills one month of subscriptions and prints the transactions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::output::table;
use super::{CliError, GlobalArgs, Output};
use crate::billing::{bill, Month};
use crate::model::Model;
use crate::rules::RuleSet;
use crate::store::Store;

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
    /// The dataset (JSON); nothing is stored. When absent, the database (`--db`) is billed:
    /// periods billed before are skipped and the run is posted (transactions and ledger, one
    /// batch).
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// The month to bill, YYYY-MM.
    #[arg(long)]
    pub period: Month,
    /// Rules directory (its `subscription_price` hook prices the periods); default `./rules`
    /// when present, else list prices.
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: BillArgs, global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    let rules = load_rules(args.rules.as_deref())?;
    let run = match &args.dataset {
        Some(dataset) => {
            let model = Model::load(dataset)?;
            // Without a store nothing has been billed before: every period due is billed.
            bill(&model, &rules, args.period, &BTreeSet::new()).map_err(CliError::user)?
        }
        None => {
            let mut store = super::db::open(&global.db)?;
            let model = store.load_model()?;
            let ledger = store.billed_periods()?;
            let run = bill(&model, &rules, args.period, &ledger).map_err(CliError::user)?;
            store.save_billing(&run.transactions, &run.billed)?;
            run
        }
    };
    if out.json {
        return out.print_json(&run);
    }
    if run.transactions.is_empty() {
        if run.already_billed.is_empty() {
            say!("nothing to bill in {}", run.month);
        } else {
            say!(
                "nothing new to bill in {}: {} invoice period(s) were billed before",
                run.month,
                run.already_billed.len()
            );
        }
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
