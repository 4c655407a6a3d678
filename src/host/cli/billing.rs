//! `fieldwork bill`: bills one month of subscriptions and prints the transactions.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::output::table;
use super::{CliError, Output};
use crate::billing::{bill_with, ListPrice, Month};
use crate::model::Model;

/// Arguments of `fieldwork bill`.
#[derive(Debug, clap::Args)]
pub struct BillArgs {
    /// The dataset (JSON).
    #[arg(long)]
    pub dataset: PathBuf,
    /// The month to bill, YYYY-MM.
    #[arg(long)]
    pub period: Month,
}

/// Runs the command.
pub fn run(args: BillArgs, out: &Output) -> Result<(), CliError> {
    let model = Model::load(&args.dataset)?;
    // Without a store nothing has been billed before: every period due this month is billed.
    let run =
        bill_with(&model, args.period, &BTreeSet::new(), &ListPrice).map_err(CliError::user)?;
    if out.json {
        return out.print_json(&run);
    }
    if run.transactions.is_empty() {
        println!("nothing to bill in {}", run.month);
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
    println!(
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
    println!();
    for (currency, total) in run.totals() {
        println!(
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
