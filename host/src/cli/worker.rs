//! `fieldwork worker`: one of N processes (on one machine or several) running the same main-job
//! run on one PostgreSQL database. The shared phases (order generation, the SLA snapshot) run
//! once, by the first worker to take the run's lock; the schedule phase is split into
//! independent parts that workers claim one at a time (advisory locks: a killed worker's part is
//! released with its connection and claimed by another); every part is planned from the run's
//! base (the business and its plans as the shared phases left them, recorded with the parts),
//! and each part's plan is written in one transaction with its done mark. A worker returns when
//! every part of the run is done (or after `--max-parts`).
//!
//! A run is identified by its horizon, scheduling days and "now": start the workers of one run
//! with the same `--at` (or `--from/--to` and `--at`).

use serde::Serialize;
use std::time::{Duration, Instant};

use super::context::{DbArgs, RulesArgs};
use super::run::HorizonArgs;
use super::{db, CliError, Output};
use crate::postgres::{Claim, PgStore, RunBase};
use fieldwork::job::{
    business_zone, generate_phase, schedule_phase_part, schedule_phase_parts, snapshot_sla,
    Engines, JobOptions, NoProgress, ScheduleOutcome,
};
use fieldwork::model::Model;
use fieldwork::schedule::field::PlanPart;
use fieldwork::store::{current_plan, Store, StoredPlan};

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
    /// Return after planning this many parts, leaving the rest to other workers (a worker
    /// with a time slot of its own, e.g. a batch job).
    #[arg(long, value_name = "N")]
    pub max_parts: Option<usize>,
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
    /// Parts not done yet (left to other workers by `--max-parts`).
    left: usize,
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
    let ran_shared = shared_phases(&mut store, &rules.set, &options, &run, deadline)?;
    if ran_shared {
        say_progress(
            out,
            &format!("worker {worker}: generated orders and the SLA snapshot"),
        );
    }
    let keys = store.run_parts(&run)?;
    let mut planned_here = Vec::new();
    // Every part is planned from the run's base (the business and its plans as the shared
    // phases left them), whichever parts other workers stored since. A worker joining a
    // finished run reads nothing more.
    if store.parts_done(&run)?.len() < keys.len() {
        match store.run_base(&run)? {
            Some(base) => {
                let model = Model::from_dataset(base.dataset)
                    .map_err(|e| CliError::user(format!("the base of run {run}: {e}")))?;
                let engines = Engines::new(&model, &rules.set)?;
                let parts = schedule_phase_parts(&model, &base.plans, &engines, &options)?;
                let base = PartsBase {
                    model: &model,
                    plans: &base.plans,
                    engines: &engines,
                    parts: &parts,
                };
                claim_parts(
                    &mut store,
                    &args,
                    out,
                    (&run, &worker, deadline),
                    &keys,
                    &base,
                    &options,
                    &mut planned_here,
                )?;
            }
            // Dropped meanwhile: another worker did the last part.
            None if store.parts_done(&run)?.len() >= keys.len() => {}
            None => {
                return Err(CliError::user(format!(
                    "run {run} has parts left to plan but no base to plan them from (recorded \
                     by an older fieldwork)\nhint: start the workers again with a new --at"
                )))
            }
        }
    }
    let done = store.parts_done(&run)?;
    if done.len() == keys.len() {
        store.clear_base(&run)?;
    }
    let left = keys.len() - done.len().min(keys.len());
    let done_elsewhere = done
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
        left,
    };
    if out.json {
        return out.print_json(&report);
    }
    if !out.quiet {
        let state = match report.left {
            0 => "complete".to_owned(),
            n => format!("{n} parts left to other workers"),
        };
        say!(
            "worker {}: {} of {} parts planned here; run {} {state}",
            report.worker,
            report.planned_here.len(),
            report.parts,
            report.run
        );
    }
    Ok(())
}

/// What a worker plans its parts from: the run's base, its engines and its parts.
struct PartsBase<'a> {
    model: &'a Model,
    plans: &'a [StoredPlan],
    engines: &'a Engines<'a>,
    parts: &'a [PlanPart],
}

/// Claims and plans the run's parts one at a time until every one is done (or `--max-parts`
/// are planned here), pushing the keys planned here.
#[allow(clippy::too_many_arguments)]
fn claim_parts(
    store: &mut PgStore,
    args: &WorkerArgs,
    out: &Output,
    (run, worker, deadline): (&str, &str, Instant),
    keys: &[String],
    base: &PartsBase<'_>,
    options: &JobOptions,
    planned_here: &mut Vec<String>,
) -> Result<(), CliError> {
    // Bounded: each pass plans or skips every part; passes repeat only while another worker
    // holds a part, at most until --wait-s.
    loop {
        let mut waiting = false;
        for key in keys {
            if args.max_parts.is_some_and(|max| planned_here.len() >= max) {
                return Ok(());
            }
            match store.try_claim(run, key)? {
                Claim::Done => {}
                Claim::Taken => waiting = true,
                Claim::Claimed => {
                    let Some(part) = base.parts.iter().find(|p| &p.key == key) else {
                        store.release(run, key)?;
                        return Err(CliError::user(format!(
                            "part {key} of run {run} is not a part of the run's base (the \
                             worker's build differs from the one that started the run)\nhint: \
                             run one fieldwork version per run"
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
                        let mut part_store = store.part_store(run, key, worker);
                        let outcome = schedule_phase_part(
                            &mut part_store,
                            base.model,
                            base.plans,
                            base.engines,
                            options,
                            part,
                        )?;
                        if let ScheduleOutcome::Failed { error } = &outcome {
                            return Err(CliError::user(format!("part {key}: {error}")));
                        }
                        part_store.saved()
                    };
                    if !planned {
                        store.mark_done(run, key, worker)?;
                    }
                    store.release(run, key)?;
                    say_progress(out, &format!("worker {worker}: part {key} done"));
                    planned_here.push(key.clone());
                }
            }
        }
        if !waiting {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(CliError::user(format!(
                "parts of run {run} are still held by other workers after {}s",
                args.wait_s
            )));
        }
        std::thread::sleep(POLL);
    }
}

/// Runs generation and the SLA snapshot unless another worker has for `run`, then records
/// the run's parts and its base (the business and its plans as the phases left them); whether
/// this worker ran them.
fn shared_phases(
    store: &mut PgStore,
    rules: &fieldwork::rules::RuleSet,
    options: &JobOptions,
    run: &str,
    deadline: Instant,
) -> Result<bool, CliError> {
    // Bounded by the deadline: another worker runs them meanwhile (or dies, releasing the lock).
    loop {
        match store.try_lock_shared(run)? {
            Some(true) => {
                store.release_shared(run)?;
                return Ok(false);
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
    // The base keeps the current schedule as one plan rather than every plan ever stored: the
    // schedule phase reads only the current schedule, and it is its own current schedule.
    let plans: Vec<StoredPlan> = current_plan(&model, &store.plans()?)
        .map(|plan| StoredPlan {
            id: format!("{run}#base"),
            created_at: options.now,
            plan,
        })
        .into_iter()
        .collect();
    let parts = schedule_phase_parts(&model, &plans, &engines, options)?;
    let keys: Vec<String> = parts.iter().map(|p| p.key.clone()).collect();
    let base = RunBase {
        dataset: model.to_dataset(),
        plans,
    };
    store.finish_shared(run, &keys, &base)?;
    Ok(true)
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
