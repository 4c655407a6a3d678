//! `fieldwork worker`: one of N processes (on one machine or several) running the same main-job
//! run on one PostgreSQL database. The shared phases (order generation, the SLA snapshot) run
//! once, by the first worker to take the run's lock; the schedule phase is split into
//! independent parts that workers claim one at a time (advisory locks: a killed worker's part is
//! released with its connection and claimed by another); each part's plan is written in one
//! transaction with its done mark. A worker returns when every part of the run is done.
//!
//! A run is identified by its horizon, scheduling days and "now": start the workers of one run
//! with the same `--at` (or `--from/--to` and `--at`).

use serde::Serialize;
use std::time::{Duration, Instant};

use super::context::{DbArgs, RulesArgs};
use super::run::HorizonArgs;
use super::{db, CliError, Output};
use crate::postgres::{Claim, PgStore};
use fieldwork::job::{
    business_zone, generate_phase, schedule_phase_part, schedule_phase_parts, snapshot_sla,
    Engines, JobOptions, NoProgress, ScheduleOutcome,
};
use fieldwork::model::Model;
use fieldwork::schedule::field::PlanPart;
use fieldwork::store::Store;

/// Arguments of `fieldwork worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The horizon and "now" of the run (every worker of a run gets the same ones).
    #[command(flatten)]
    pub horizon: HorizonArgs,
    /// The database: a PostgreSQL URL (workers share a business through PostgreSQL).
    #[command(flatten)]
    pub db: DbArgs,
    /// The rules.
    #[command(flatten)]
    pub rules: RulesArgs,
    /// This worker's name in the done marks (default: host name and process id).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Search iterations per part (deterministic with --seed; the time budget is then off).
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,
    /// Random seed of the search.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Time budget of the search per part, in milliseconds (ignored with --iterations).
    #[arg(long, value_name = "MS", default_value_t = 3_000)]
    pub budget_ms: u64,
    /// How long to wait for the shared phases and parts other workers hold before giving up,
    /// in seconds.
    #[arg(long, value_name = "S", default_value_t = 600)]
    pub wait_s: u64,
    /// Testing aid: hold each claimed part this long before planning it (so a test can kill
    /// a worker that holds a part).
    #[arg(long, value_name = "MS", default_value_t = 0, hide = true)]
    pub pause_after_claim_ms: u64,
}

/// What one worker did.
#[derive(Debug, Serialize)]
struct WorkerReport {
    worker: String,
    run: String,
    ran_shared_phases: bool,
    parts: usize,
    planned_here: Vec<String>,
    done_elsewhere: Vec<String>,
}

/// How often a waiting worker polls for parts released by a dead worker.
const POLL: Duration = Duration::from_millis(200);

/// Runs the command.
pub fn run(args: WorkerArgs, out: &Output) -> Result<(), CliError> {
    let Some(url) = db::postgres_url(&args.db.db) else {
        return Err(CliError::user(format!(
            "fieldwork worker needs a PostgreSQL database, not {}\nhint: --db postgres://user@host/db \
             (or FIELDWORK_DB); workers on several machines share one business through it",
            args.db.db.display()
        )));
    };
    let mut store = db::open_postgres(url, false)?;
    let rules = args.rules.load()?;
    let model = store.load_model()?;
    let zone = business_zone(&model);
    let now = args.horizon.at.resolve(zone);
    let mut options = args.horizon.options_at(now, zone)?;
    options.schedule.seed = args.seed;
    match args.iterations {
        Some(n) => {
            options.schedule.iterations = Some(n);
            options.schedule.time_budget = None;
        }
        None => options.schedule.time_budget = Some(Duration::from_millis(args.budget_ms)),
    }
    let run = run_key(&options);
    let worker = args.name.clone().unwrap_or_else(default_name);
    say_progress(out, &format!("worker {worker}: run {run}"));

    // The shared phases, once per run; their worker records the run's parts.
    let deadline = Instant::now() + Duration::from_secs(args.wait_s);
    let shared = shared_phases(&mut store, &rules.set, &options, &run, deadline)?;
    let ran_shared = shared.is_some();
    if ran_shared {
        say_progress(
            out,
            &format!("worker {worker}: generated orders and the SLA snapshot"),
        );
    }
    let keys = store.run_parts(&run)?;
    // The parts, claimed one at a time until every one is done. This worker's own view of them
    // is computed when it first claims one (a worker joining a finished run computes nothing).
    let mut mine: Option<(Model, Vec<PlanPart>)> = shared;
    let engines = Engines::new(&model, &rules.set)?;
    let mut planned_here = Vec::new();
    // Bounded: each pass plans or skips every part; passes repeat only while another worker
    // holds a part, at most until --wait-s.
    loop {
        let mut waiting = false;
        for key in &keys {
            match store.try_claim(&run, key)? {
                Claim::Done => {}
                Claim::Taken => waiting = true,
                Claim::Claimed => {
                    if mine.is_none() {
                        let model = store.load_model()?;
                        let parts = schedule_phase_parts(&mut store, &model, &engines, &options)?;
                        mine = Some((model, parts));
                    }
                    let Some((model, parts)) = &mine else {
                        continue;
                    };
                    let Some(part) = parts.iter().find(|p| &p.key == key) else {
                        store.release(&run, key)?;
                        return Err(CliError::user(format!(
                            "part {key} of run {run} is no longer a part of the stored \
                             schedule (the data changed since the run started)\nhint: start \
                             the workers again with a new --at"
                        )));
                    };
                    say_progress(
                        out,
                        &format!(
                            "worker {worker}: claimed part {key} ({} technicians, {} orders)",
                            part.technicians.len(),
                            part.orders.len()
                        ),
                    );
                    if args.pause_after_claim_ms > 0 {
                        std::thread::sleep(Duration::from_millis(args.pause_after_claim_ms));
                    }
                    let planned = {
                        let mut part_store = store.part_store(&run, key, &worker);
                        let outcome =
                            schedule_phase_part(&mut part_store, model, &engines, &options, part)?;
                        if let ScheduleOutcome::Failed { error } = &outcome {
                            return Err(CliError::user(format!("part {key}: {error}")));
                        }
                        part_store.saved()
                    };
                    if !planned {
                        store.mark_done(&run, key, &worker)?;
                    }
                    store.release(&run, key)?;
                    say_progress(out, &format!("worker {worker}: part {key} done"));
                    planned_here.push(key.clone());
                }
            }
        }
        if !waiting {
            break;
        }
        if Instant::now() >= deadline {
            return Err(CliError::user(format!(
                "parts of run {run} are still held by other workers after {}s",
                args.wait_s
            )));
        }
        std::thread::sleep(POLL);
    }
    let done_elsewhere = store
        .parts_done(&run)?
        .into_iter()
        .filter(|(part, _)| !planned_here.contains(part))
        .map(|(part, by)| format!("{part} by {by}"))
        .collect();
    let report = WorkerReport {
        worker,
        run,
        ran_shared_phases: ran_shared,
        parts: keys.len(),
        planned_here,
        done_elsewhere,
    };
    if out.json {
        return out.print_json(&report);
    }
    if !out.quiet {
        say!(
            "worker {}: {} of {} parts planned here; run {} complete",
            report.worker,
            report.planned_here.len(),
            report.parts,
            report.run
        );
    }
    Ok(())
}

/// Runs generation and the SLA snapshot unless another worker has for `run`, then records
/// the run's parts; returns the model after them and its parts when this worker ran them.
fn shared_phases(
    store: &mut PgStore,
    rules: &fieldwork::rules::RuleSet,
    options: &JobOptions,
    run: &str,
    deadline: Instant,
) -> Result<Option<(Model, Vec<PlanPart>)>, CliError> {
    // Bounded by the deadline: another worker runs them meanwhile (or dies, releasing the lock).
    loop {
        match store.try_lock_shared(run)? {
            Some(true) => {
                store.release_shared(run)?;
                return Ok(None);
            }
            Some(false) => break,
            None if Instant::now() >= deadline => {
                return Err(CliError::user(format!(
                    "the shared phases of run {run} are still running in another worker"
                )))
            }
            None => std::thread::sleep(POLL),
        }
    }
    rules.reset_stopped_hooks();
    let mut model = store.load_model()?;
    let engines = Engines::new(&model, rules)?;
    generate_phase(store, &mut model, &engines, options, &mut NoProgress)?;
    snapshot_sla(store, &model, &engines, options.now, &mut NoProgress)?;
    let model = store.load_model()?;
    let parts = schedule_phase_parts(store, &model, &engines, options)?;
    let keys: Vec<String> = parts.iter().map(|p| p.key.clone()).collect();
    store.finish_shared(run, &keys)?;
    Ok(Some((model, parts)))
}

/// The key of a run: horizon, scheduling days and "now" (every worker of a run computes the
/// same one from the same arguments).
fn run_key(options: &JobOptions) -> String {
    format!(
        "{}..{}+{}d@{}",
        options.from,
        options.to,
        options.schedule_days,
        crate::format::rfc3339(options.now)
    )
}

fn default_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    format!("{host}:{}", std::process::id())
}

/// A progress line on stderr (stdout keeps the result), unless --quiet.
fn say_progress(out: &Output, line: &str) {
    if !out.quiet {
        eprintln!("{line}");
    }
}
