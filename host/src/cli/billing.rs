//! `fieldwork bill`: bills one month of subscriptions and prints the transactions.

use super::context::{AtArgs, Context, RulesArgs, SourceArgs};
use super::output::table;
use super::{CliError, Output};
use fieldwork::billing::{bill, BillingError, BillingRun, Month};
use fieldwork::calendar::{END_YEAR, FIRST_YEAR};

/// Arguments of `fieldwork bill`.
#[derive(Debug, clap::Args)]
pub struct BillArgs {
    /// The database (periods billed before are skipped and the run is posted: transactions
    /// and ledger, one batch), or a dataset file (nothing is stored).
    #[command(flatten)]
    pub source: SourceArgs,
    /// The month to bill, YYYY-MM (1900-01 to 2199-12, the calendar's supported range).
    #[arg(long, value_name = "MONTH", value_parser = parse_period)]
    pub period: Month,
    /// The rules (`subscription_price` prices the periods; without it, list prices).
    #[command(flatten)]
    pub rules: RulesArgs,
}

/// A `--period`: a YYYY-MM month whose year lies in the calendar's supported range
/// (`FIRST_YEAR` to `END_YEAR - 1`).
pub fn parse_period(text: &str) -> Result<Month, String> {
    let month: Month = text.parse().map_err(|e: BillingError| e.to_string())?;
    if (FIRST_YEAR..END_YEAR).contains(&month.year()) {
        Ok(month)
    } else {
        Err(format!(
            "{month} is outside the supported months {FIRST_YEAR}-01 to {}-12",
            END_YEAR - 1
        ))
    }
}

/// Bills one month in a context and posts the run (the CLI's `bill` and the API's
/// `POST /billing/runs`): periods billed before are skipped.
pub(crate) fn bill_month(ctx: &mut Context, period: Month) -> Result<BillingRun, CliError> {
    // A dataset's in-memory store has billed nothing before: every period due is billed.
    let ledger = ctx.store.billed_periods()?;
    let run = bill(&ctx.model, &ctx.rules.set, period, &ledger).map_err(CliError::user)?;
    ctx.store.save_billing(&run.transactions, &run.billed)?;
    Ok(run)
}

/// Runs the command.
pub fn run(args: BillArgs, out: &Output) -> Result<(), CliError> {
    let mut ctx = Context::resolve(&args.source, &args.rules, &AtArgs::default())?;
    let run = bill_month(&mut ctx, args.period)?;
    if out.json {
        return out.print_json(&ctx.json(&run));
    }
    ctx.say_header(out);
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
