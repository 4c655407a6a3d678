//! The `fieldwork` command line: argument parsing (clap), dispatch to one file per command,
//! output as human tables or `--json`, errors as one `error: …` line and documented exit codes
//! (0 ok, 1 user or input error, 2 internal error).

#[macro_use]
mod output;
mod absence;
pub(crate) mod billing;
pub(crate) mod candidates;
mod check;
pub(crate) mod context;
pub(crate) mod db;
mod demo;
mod demo_data;
mod export;
mod generate;
mod import;
mod init;
mod limits;
pub(crate) mod order;
mod recur;
pub(crate) mod rma;
pub(crate) mod run;
mod schedule;
pub(crate) mod sla;
pub(crate) mod slots;
mod token;
pub(crate) mod views;
mod worker;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub(crate) use output::{CliError, Output};

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
    /// Print machine-readable JSON instead of tables (instants as RFC 3339 in UTC, whole
    /// seconds).
    #[arg(long, global = true)]
    pub json: bool,
    /// Only results: no progress bars, headers, "wrote …" lines or hints.
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
        after_help = "Examples:\n  fieldwork demo-data --out demo.json\n  fieldwork demo-data --seed 7 --anchor 2027-03-01 --out demo.json\n  fieldwork demo-data --regions 10 --anchor 2027-03-01 --out big.json"
    )]
    DemoData(demo_data::DemoDataArgs),
    /// Bill one month of subscriptions: fees, prorations, revenue recognition.
    #[command(
        after_help = "Examples:\n  fieldwork bill --period 2027-03\n  fieldwork bill --db prod.db --period 2027-04 --json\n  fieldwork bill --dataset demo.json --period 2027-03\n  fieldwork bill --dataset demo.json --period 2027-03 --json"
    )]
    Bill(billing::BillArgs),
    /// Show an order or record what happens to it: start, hold, resume, complete, cancel,
    /// priority, assign, repair.
    #[command(
        after_help = "Every operation is one transaction in the database and is appended to the order's history with its instant (--at, default now) and --reason. An operation the order's status does not allow, or an unknown id, exits 1 naming the status and the operations allowed; nothing changes. --dataset files are read-only: operations refuse them.\n\nExamples:\n  fieldwork order show SO-0001\n  fieldwork order start SO-0001 --at 2027-03-01T08:45\n  fieldwork order hold SO-0001 --at 2027-03-01T10:00 --reason 'waiting for parts'\n  fieldwork order resume SO-0001 --at 2027-03-02T08:00\n  fieldwork order complete SO-0001 --at 2027-03-02T09:30 --json\n  fieldwork order priority SO-0002 critical --reason 'customer escalation'\n  fieldwork order assign SO-0003 --technician T-001 --start 2027-03-02T13:00\n  fieldwork order repair SO-0001 --symptom COOLING/NO-COLD --resolution REPLACED --stage DONE"
    )]
    Order(order::OrderArgs),
    /// Record, list or remove technicians' time off; adding or removing one re-plans only that
    /// technician's visits.
    #[command(
        after_help = "Adding or removing an absence re-plans the scheduling window (--schedule-days from today, default 5) moving only the absent technician's visits: those the absence made infeasible go to free time (theirs or another technician's, without moving anyone else's visit) or become unassigned; the rest stay under the re-planning stability rules. An unknown technician or an end before the start exits 1; nothing changes.\n\nExamples:\n  fieldwork absence add --technician T-009 --day 2027-03-02 --reason sick\n  fieldwork absence add --technician T-004 --from 2027-03-03T12:00 --to 2027-03-03T17:00 --reason dentist\n  fieldwork absence list --technician T-009\n  fieldwork absence remove --technician T-009 --day 2027-03-02 --json"
    )]
    Absence(absence::AbsenceArgs),
    /// Show a return order, its dispositions and the actions they imply; or move it a step:
    /// receive, inspect, execute, close.
    #[command(
        after_help = "Examples:\n  fieldwork rma --order RMA-0001\n  fieldwork rma receive RMA-0001 --at 2027-03-02T09:00\n  fieldwork rma inspect RMA-0001\n  fieldwork rma execute RMA-0001 --json\n  fieldwork rma close RMA-0001\n  fieldwork rma --dataset demo.json --order RMA-0001\n  fieldwork rma --dataset demo.json --order RMA-0001 --at 2027-03-05T08:00:00Z --json"
    )]
    Rma(rma::RmaArgs),
    /// Batch-schedule the open orders of a dataset onto technicians' routes over a horizon.
    #[command(
        after_help = "Dates are local dates of the business; --from and --to are both inclusive.\n\nExamples:\n  fieldwork schedule --from 2027-03-01 --to 2027-03-05\n  fieldwork schedule --db prod.db --from 2027-03-01 --to 2027-03-02 --at 2027-03-01T07:00\n  fieldwork schedule --dataset demo.json --from 2027-03-01 --to 2027-03-05\n  fieldwork schedule --dataset demo.json --from 2027-03-01 --to 2027-03-05 --iterations 5000 --seed 7 --json"
    )]
    Schedule(schedule::ScheduleArgs),
    /// Rank every technician for one order and explain why (grades, weights, exclusions).
    #[command(
        after_help = "Examples:\n  fieldwork candidates --order SO-B0001\n  fieldwork candidates --db prod.db --order SO-B0007 --json\n  fieldwork candidates --dataset demo.json --order SO-0001\n  fieldwork candidates --dataset demo.json --order SO-0001 --at 2027-03-01T08:00:00Z --json"
    )]
    Candidates(candidates::CandidatesArgs),
    /// Arrival windows to offer a customer for one order without moving any planned visit.
    #[command(
        after_help = "Windows lie on a grid from the customer's local midnight; the cheapest way to keep each (detour km minus the policy's score) ranks it.\n\nExamples:\n  fieldwork slots --order SO-B0001\n  fieldwork slots --order SO-B0001 --days 3 --count 8 --window-minutes 60\n  fieldwork slots --order SO-B0001 --json\n  fieldwork order book SO-B0001 --slot 2"
    )]
    Slots(slots::SlotsArgs),
    /// Preview a recurrence rule's occurrences on the local dates --from to --to (inclusive).
    #[command(
        after_help = "Examples:\n  fieldwork recur --rrule 'FREQ=MONTHLY;BYDAY=1MO' --dtstart 2027-01-04T09:00 --tz Europe/Berlin --from 2027-01-01 --to 2027-12-31\n  fieldwork recur --rrule 'FREQ=MONTHLY;BYMONTHDAY=-1' --dtstart 2027-01-31T08:00 --tz America/New_York --from 2027-01-01 --to 2027-06-30 --json"
    )]
    Recur(recur::RecurArgs),
    /// Generate the service orders of agreement lines for the local dates --from to --to
    /// (inclusive; idempotent), into the database or from a dataset file.
    #[command(
        after_help = "On the database (no --dataset) the orders are written in atomic batches; killing it at any moment and running it again writes each order exactly once. The report accounts for every occurrence: orders created + merged into them + already stored + skipped by rule.\n\nExit codes: 0 every line generated; 1 a user error, or some lines failed (a rule threw, an unknown calendar, …): the orders of the other lines are still written and the report printed, and one `error:` line on stderr counts the failed lines and names the first; 2 an internal error.\n\nExamples:\n  fieldwork generate --days-ahead 28\n  fieldwork generate --db prod.db --from 2027-03-01 --to 2027-03-31 --batch-size 500\n  fieldwork generate --dataset demo.json --from 2027-03-01 --to 2027-03-31 --out orders.json\n  fieldwork generate --dataset demo.json --from 2027-03-01 --to 2027-03-31 --group-by agreement --save"
    )]
    Generate(generate::GenerateArgs),
    /// Create the demo dataset, import it into a fresh database and run the main job over the
    /// next four weeks.
    #[command(
        after_help = "Exits 1 (after its summary) when a phase of the main job failed, as `fieldwork run` does.\n\nExamples:\n  fieldwork demo\n  fieldwork demo --db /tmp/demo.db --anchor 2027-03-01 --seed 7\n  fieldwork demo --force --weeks 2 --json"
    )]
    Demo(demo::DemoArgs),
    /// The main job: generate due orders, SLA targets and snapshot, schedule, persist, summary.
    #[command(
        after_help = "Dates are local dates of the business; --from and --to are both inclusive. Killing it at any moment leaves the database consistent; running it again completes the work without duplicates.\n\nExit codes: 0 every phase succeeded; 1 a user error, or a phase failed (agreement lines that failed to generate, orders without SLA status, a failed schedule): what the other phases did is still committed and the summary printed, and one `error:` line on stderr counts the failures and names the first; 2 an internal error.\n\nExamples:\n  fieldwork run --days-ahead 14\n  fieldwork run --from 2027-03-01 --to 2027-03-28 --at 2027-03-01T06:00\n  fieldwork run --db prod.db --json"
    )]
    Run(run::RunArgs),
    /// One of several processes sharing a main-job run through PostgreSQL: the shared phases
    /// once, the schedule's parts claimed one at a time.
    #[command(
        after_help = "Every worker of a run gets the same horizon and --at (a run is identified by them) and the same PostgreSQL database. The first worker runs order generation and the SLA snapshot; the schedule phase is split into independent parts, each claimed by one worker (an advisory lock: a killed worker's part is claimed by another) and stored with its done mark in one transaction. A worker exits 0 when every part of the run is done.\n\nExamples:\n  fieldwork worker --db postgres://fw@db.example/fieldwork --days-ahead 14 --at 2027-03-01T06:00\n  FIELDWORK_DB=postgres://fw@db.example/fieldwork fieldwork worker --days-ahead 14 --at 2027-03-01T06:00 --json"
    )]
    Worker(worker::WorkerArgs),
    /// Create the database (or migrate an existing one to this version's schema).
    #[command(
        after_help = "Examples:\n  fieldwork init\n  fieldwork init --db /var/lib/fieldwork/prod.db --json"
    )]
    Init(init::InitArgs),
    /// Validate a dataset and write it into the database (merge or replace).
    #[command(
        after_help = "An invalid dataset (or a merge that would leave the stored model invalid) changes nothing.\n\nExamples:\n  fieldwork import demo.json\n  fieldwork import customers-update.json --mode merge\n  fieldwork import full.json --mode replace --db prod.db"
    )]
    Import(import::ImportArgs),
    /// Write the stored model as a dataset (round-trips with import).
    #[command(
        after_help = "Examples:\n  fieldwork export > backup.json\n  fieldwork export --out backup.json\n  fieldwork export --db prod.db --out prod.json"
    )]
    Export(export::ExportArgs),
    /// The dispatcher's board: one self-contained HTML file of the stored plan.
    #[command(
        after_help = "--from and --to are both inclusive local dates (Monday to Friday below).\n\nExamples:\n  fieldwork board --out board.html\n  fieldwork board --db prod.db --from 2027-03-01 --to 2027-03-05 --out board.html"
    )]
    Board(views::BoardArgs),
    /// Technicians' calendars (iCalendar) of the stored plan; UIDs stay stable across exports.
    #[command(
        after_help = "Examples:\n  fieldwork ics --technician T-001 --out t001.ics\n  fieldwork ics --out all.ics"
    )]
    Ics(views::IcsArgs),
    /// A technician's day: times, addresses, tasks and travel.
    #[command(
        after_help = "Examples:\n  fieldwork today --technician T-001\n  fieldwork today --technician T-001 --date 2027-03-02 --json"
    )]
    Today(views::TodayArgs),
    /// Business-time deadlines on a calendar, and SLA status and compliance of a dataset.
    #[command(
        after_help = "Examples:\n  fieldwork sla due --calendar office.json --start 2027-03-05T16:00:00+01:00 --minutes 120\n  fieldwork sla report --at 2027-03-01T12:00:00Z\n  fieldwork sla report --dataset demo.json --at 2027-03-01T12:00:00Z"
    )]
    Sla(sla::SlaArgs),
    /// Serve the HTTP API and the live board (loopback by default).
    #[command(
        after_help = "Every request needs a token (`fieldwork token create`): `Authorization: Bearer TOKEN`, or `?token=TOKEN` for the board, feeds and event streams a browser opens by URL. The OpenAPI document is at /openapi.json. The first line printed is `listening on http://ADDR`.\n\nExamples:\n  fieldwork serve\n  fieldwork serve --db prod.db --listen 127.0.0.1:8080\n  fieldwork serve --listen 127.0.0.1:0 --rules ./rules"
    )]
    Serve(crate::serve::ServeArgs),
    /// The API tokens of `fieldwork serve`: create (printed once, stored hashed), list, revoke.
    #[command(
        after_help = "Examples:\n  fieldwork token create --role dispatcher --subject 'Dana (dispatch)'\n  fieldwork token create --role technician --technician T-001\n  fieldwork token list\n  fieldwork token revoke 3"
    )]
    Token(token::TokenArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  fieldwork completions bash > /etc/bash_completion.d/fieldwork\n  fieldwork completions zsh > ~/.zfunc/_fieldwork"
    )]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), generated from the command definitions.
    #[command(after_help = "Examples:\n  fieldwork man > fieldwork.1 && man ./fieldwork.1")]
    Man,
}

/// Arguments of `fieldwork completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Runs the CLI on the process arguments and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0); usage errors are ours to print, as
            // one `error:` line and one `hint:` line on stderr, exit 1 (a user error).
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            eprintln!("{}", usage_error(&e.render().to_string(), &command_path()));
            return ExitCode::from(1);
        }
    };
    let out = Output::new(cli.global.json, cli.global.quiet);
    // A closed stdout (`fieldwork … | head`) ends the command quietly; any other panic is a bug,
    // reported as one `error:` line with exit code 2, never as a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let message = panic_message(info.payload());
        if !message.contains("Broken pipe") {
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            eprintln!("error: internal error: {message}{at}");
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli.command, &out)));
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
        Err(payload) if panic_message(payload.as_ref()).contains("Broken pipe") => {
            ExitCode::SUCCESS
        }
        Err(_) => ExitCode::from(2),
    }
}

/// A clap usage error as two lines: `error: …` (the message, its lists joined on one line) and
/// `hint: …` (clap's tip when it has one, else the usage and where to read more).
fn usage_error(rendered: &str, command: &str) -> String {
    let mut lines = rendered.lines();
    let mut message: Vec<&str> = Vec::new();
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
        message.push(line.trim());
    }
    let mut error = message.join(" ");
    if !error.starts_with("error:") {
        error = format!("error: {error}");
    }
    let rest: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
    let hint = match rest.iter().find_map(|l| l.strip_prefix("tip: ")) {
        Some(tip) => format!("hint: {tip}; see `{command} --help`"),
        None => format!("hint: see `{command} --help` for the arguments and examples"),
    };
    format!("{error}\n{hint}")
}

/// The (sub)command the process arguments name, `fieldwork sla due`, as far as they are valid.
fn command_path() -> String {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut path = vec!["fieldwork".to_owned()];
    for arg in std::env::args().skip(1) {
        if arg.starts_with('-') {
            continue;
        }
        match cmd.find_subcommand(&arg).cloned() {
            Some(sub) => {
                path.push(sub.get_name().to_owned());
                cmd = sub;
            }
            None => break,
        }
    }
    path.join(" ")
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

/// Runs one parsed command.
fn run(command: Command, out: &Output) -> Result<(), CliError> {
    match command {
        Command::Check(args) => check::run(args, out),
        Command::Demo(args) => demo::run(args, out),
        Command::DemoData(args) => demo_data::run(args, out),
        Command::Bill(args) => billing::run(args, out),
        Command::Order(args) => order::run(args, out),
        Command::Absence(args) => absence::run(args, out),
        Command::Rma(args) => rma::run(args, out),
        Command::Schedule(args) => schedule::run(args, out),
        Command::Candidates(args) => candidates::run(args, out),
        Command::Slots(args) => slots::run(args, out),
        Command::Recur(args) => recur::run(args, out),
        Command::Generate(args) => generate::run(args, out),
        Command::Run(args) => run::run(args, out),
        Command::Worker(args) => worker::run(args, out),
        Command::Board(args) => views::run_board(args, out),
        Command::Ics(args) => views::run_ics(args, out),
        Command::Today(args) => views::run_today(args, out),
        Command::Init(args) => init::run(args, out),
        Command::Import(args) => import::run(args, out),
        Command::Export(args) => export::run(args, out),
        Command::Sla(args) => sla::run(args, out),
        Command::Serve(args) => crate::serve::run(args, out),
        Command::Token(args) => token::run(args, out),
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut cmd, "fieldwork", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .map_err(|e| CliError::Internal(e.to_string()))?;
            output::write_stdout(format_args!("{}", String::from_utf8_lossy(&page)));
            Ok(())
        }
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
    fn usage_errors_are_one_line_and_a_hint() {
        let e = Cli::try_parse_from(["fieldwork", "schedule", "--from", "2027-03-01"]).unwrap_err();
        let text = usage_error(&e.render().to_string(), "fieldwork schedule");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains("--to <DATE>"),
            "{text}"
        );
        assert!(lines[1].starts_with("hint: ") && lines[1].contains("fieldwork schedule --help"));
    }

    #[test]
    fn parses_global_flags_after_the_subcommand() {
        let cli = Cli::try_parse_from(["fieldwork", "demo-data", "--json"]).unwrap();
        assert!(cli.global.json);
        assert!(Cli::try_parse_from(["fieldwork", "no-such-command"]).is_err());
    }
}
