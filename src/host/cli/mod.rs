//! The `fieldwork` command line: argument parsing (clap), dispatch to one file per command,
//! output as human tables or `--json`, errors as one `error: …` line and documented exit codes
//! (0 ok, 1 user or input error, 2 internal error).

mod billing;
mod candidates;
mod check;
mod demo_data;
pub mod output;
mod rma;
mod schedule;
pub mod sla;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub use output::{CliError, Output};

/// fieldwork: rules and scheduling for service businesses.
#[derive(Debug, Parser)]
#[command(name = "fieldwork", version, about, long_about = None)]
pub struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by all commands.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bars or chatter on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a rules directory: prints `path:line:col: message` per problem.
    #[command(after_help = "Examples:\n  fieldwork check\n  fieldwork check ./rules --json")]
    Check(check::CheckArgs),
    /// Write a deterministic demo dataset (a region with customers, technicians, agreements).
    #[command(
        name = "demo-data",
        after_help = "Examples:\n  fieldwork demo-data --out demo.json\n  fieldwork demo-data --seed 7 --anchor 2027-03-01 --out demo.json"
    )]
    DemoData(demo_data::DemoDataArgs),
    /// Bill one month of subscriptions: fees, prorations, revenue recognition.
    #[command(
        after_help = "Examples:\n  fieldwork bill --dataset demo.json --period 2027-03\n  fieldwork bill --dataset demo.json --period 2027-03 --json"
    )]
    Bill(billing::BillArgs),
    /// Show a return order, its dispositions and the actions they imply.
    #[command(
        after_help = "Examples:\n  fieldwork rma --dataset demo.json --id RMA-0001\n  fieldwork rma --dataset demo.json --id RMA-0001 --at 2027-03-05T08:00:00Z --json"
    )]
    Rma(rma::RmaArgs),
    /// Batch-schedule the open orders of a dataset onto technicians' routes over a horizon.
    #[command(
        after_help = "Examples:\n  fieldwork schedule --dataset demo.json --from 2027-03-01 --to 2027-03-06\n  fieldwork schedule --dataset demo.json --from 2027-03-01 --to 2027-03-06 --iterations 5000 --seed 7 --json"
    )]
    Schedule(schedule::ScheduleArgs),
    /// Rank every technician for one order and explain why (grades, weights, exclusions).
    #[command(
        after_help = "Examples:\n  fieldwork candidates --dataset demo.json --order SO-0001\n  fieldwork candidates --dataset demo.json --order SO-0001 --at 2027-03-01T08:00:00Z --json"
    )]
    Candidates(candidates::CandidatesArgs),
    /// Business-time deadlines on a calendar, and SLA status and compliance of a dataset.
    #[command(
        after_help = "Examples:\n  fieldwork sla due --calendar office.json --start 2027-03-05T16:00:00+01:00 --minutes 120\n  fieldwork sla report --dataset demo.json --at 2027-03-01T12:00:00Z"
    )]
    Sla(sla::SlaArgs),
}

/// Runs the CLI on the process arguments and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2 in
            // clap's convention; ours is 1 for user errors).
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let out = Output::new(cli.global.json, cli.global.quiet);
    match run(cli.command, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs one parsed command.
pub fn run(command: Command, out: &Output) -> Result<(), CliError> {
    match command {
        Command::Check(args) => check::run(args, out),
        Command::DemoData(args) => demo_data::run(args, out),
        Command::Bill(args) => billing::run(args, out),
        Command::Rma(args) => rma::run(args, out),
        Command::Schedule(args) => schedule::run(args, out),
        Command::Candidates(args) => candidates::run(args, out),
        Command::Sla(args) => sla::run(args, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_global_flags_after_the_subcommand() {
        let cli = Cli::try_parse_from(["fieldwork", "demo-data", "--json"]).unwrap();
        assert!(cli.global.json);
        assert!(Cli::try_parse_from(["fieldwork", "no-such-command"]).is_err());
    }
}
