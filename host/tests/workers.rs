//! `fieldwork worker`: processes of the real binary sharing one business through PostgreSQL.
//! Three workers running one run concurrently leave exactly the state one worker leaves on a
//! copy (same orders, same plan, generation done once, every part done once, no visit — an
//! order, or one part of a multi-day or crew order — planned twice, no technician
//! double-booked); a worker killed after claiming its part leaves the part to another, which
//! finishes it; a worker joining after another planned some parts plans the rest from the
//! run's base. Needs `FIELDWORK_TEST_POSTGRES` (see `support::postgres`).

mod support;

use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use fieldwork::demo::{generate, DemoOptions};
use fieldwork::job::{business_zone, run_main_job, JobOptions, NoProgress};
use fieldwork::model::{Dataset, OrderStatus};
use fieldwork::rules::RuleSet;
use fieldwork::store::{current_plan, BatchKind, ImportMode, MemoryStore, Store};
use fieldwork_host::postgres::PgStore;
use support::postgres::{server, with_schema};

/// The run every worker of a test gets: two weeks from Monday 1 March 2027, fixed "now", and a
/// deterministic search.
const RUN: &[&str] = &[
    "worker",
    "--from",
    "2027-03-01",
    "--to",
    "2027-03-14",
    "--at",
    "2027-03-01T06:00:00Z",
    "--seed",
    "7",
];

/// The demo business: three regions side by side (each its own territories, so the schedule
/// splits into several parts).
fn dataset() -> Dataset {
    let mut options =
        DemoOptions::new(11, NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()).with_regions(3);
    options.customers = 60;
    options.technicians = 8;
    generate(&options)
}

/// A scratch schema holding the demo business, and the URL that reaches it.
fn business(url: &str) -> (PgStore, String) {
    let mut store = PgStore::scratch(url).unwrap();
    store.import(dataset(), ImportMode::Replace).unwrap();
    let schema_url = with_schema(url, store.schema());
    (store, schema_url)
}

/// The next day's run: the schedule of the first run is the previous plan.
const NEXT_RUN: &[&str] = &[
    "worker",
    "--from",
    "2027-03-02",
    "--to",
    "2027-03-14",
    "--at",
    "2027-03-02T06:00:00Z",
    "--seed",
    "7",
];

/// Two copies of the demo business: the reference, where one worker ("alone") has run `RUN`
/// with 300 iterations, and an untouched one for the test's workers; each with its URL.
fn reference_and_shared(url: &str) -> ((PgStore, String), (PgStore, String)) {
    let (reference, reference_url) = business(url);
    let shared = business(url);
    finish(
        worker(&reference_url, "alone", 300).spawn().unwrap(),
        "alone",
    );
    ((reference, reference_url), shared)
}

fn worker(url: &str, name: &str, iterations: u64) -> Command {
    worker_of(RUN, url, name, iterations)
}

fn worker_of(run: &[&str], url: &str, name: &str, iterations: u64) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fieldwork"));
    cmd.args(run)
        .args(["--iterations", &iterations.to_string(), "--name", name])
        .env("FIELDWORK_DB", url)
        .env_remove("FIELDWORK_BUSY_TIMEOUT_MS")
        .stdin(Stdio::null());
    cmd
}

fn finish(child: Child, name: &str) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{name}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What a run leaves that must not depend on how many workers ran it: every order's status,
/// every visit by order (technician, start, end), the generation keys, the number of
/// generation and SLA batches, and the parts done.
#[derive(Debug, PartialEq)]
struct Outcome {
    statuses: BTreeMap<String, OrderStatus>,
    visits: BTreeMap<String, (String, String, String)>,
    unassigned: BTreeSet<String>,
    keys: usize,
    generate_batches: usize,
    sla_batches: usize,
}

fn outcome(store: &dyn Store) -> Outcome {
    let model = store.load_model().unwrap();
    let plans = store.plans().unwrap();
    let plan = current_plan(&model, &plans).expect("a plan");
    let mut visits = BTreeMap::new();
    for route in &plan.routes {
        for v in &route.visits {
            // A multi-day or crew order has one visit per part ("R002-SO-M0001 part 2 of 2").
            let key = match &v.part {
                Some(part) => format!("{} {part}", v.order),
                None => v.order.to_string(),
            };
            let previous = visits.insert(
                key.clone(),
                (
                    route.technician.to_string(),
                    v.start.to_rfc3339(),
                    v.end.to_rfc3339(),
                ),
            );
            assert!(previous.is_none(), "{key} planned twice");
        }
    }
    // No technician is double-booked.
    let mut by_tech: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for (tech, start, end) in visits.values() {
        by_tech.entry(tech).or_default().push((start, end));
    }
    for (tech, mut spans) in by_tech {
        spans.sort();
        for pair in spans.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "{tech} double-booked: {pair:?}");
        }
    }
    let batches = store.batches().unwrap();
    let count = |kind| batches.iter().filter(|b| b.kind == kind).count();
    Outcome {
        statuses: model
            .orders()
            .iter()
            .map(|o| (o.id.to_string(), o.status()))
            .collect(),
        visits,
        unassigned: plan
            .unassigned
            .iter()
            .map(|u| u.order.to_string())
            .collect(),
        keys: store.generation_keys().unwrap().len(),
        generate_batches: count(BatchKind::Generate),
        sla_batches: count(BatchKind::Sla),
    }
}

/// The parts marked done, each with the worker that did it.
fn parts_done(store: &PgStore) -> Vec<(String, String)> {
    store
        .client()
        .query("SELECT part, worker FROM work_parts ORDER BY part", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Whether each recorded run still holds its base (a copy of the business).
fn bases(store: &PgStore) -> Vec<bool> {
    store
        .client()
        .query("SELECT base IS NOT NULL FROM work_runs ORDER BY run", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The same run in this process, on a memory store: `run_main_job` with the workers' options
/// (one plan for the whole window, no parts).
fn single_process(iterations: u64) -> Outcome {
    single_process_days(iterations, 1)
}

/// [`single_process`] for `days` days in a row (the runs of `RUN`, then of `NEXT_RUN`).
fn single_process_days(iterations: u64, days: u32) -> Outcome {
    let mut store = MemoryStore::new();
    store.import(dataset(), ImportMode::Replace).unwrap();
    let zone = business_zone(&store.load_model().unwrap());
    let day = |d| NaiveDate::from_ymd_opt(2027, 3, d).unwrap();
    for (d, now) in [(1, "2027-03-01T06:00:00Z"), (2, "2027-03-02T06:00:00Z")]
        .into_iter()
        .take(days as usize)
    {
        let mut options = JobOptions::new(day(d), day(15), now.parse().unwrap()).in_zone(zone);
        options.schedule.seed = 7;
        options.schedule.iterations = Some(iterations);
        options.schedule.time_budget = None;
        run_main_job(&mut store, &RuleSet::empty(), &options, &mut NoProgress).unwrap();
    }
    outcome(&store)
}

#[test]
fn three_workers_leave_exactly_what_one_worker_leaves() {
    let Some(url) = server("worker tests") else {
        return;
    };
    let ((reference, _), (shared, shared_url)) = reference_and_shared(&url);
    let children: Vec<(Child, String)> = (1..=3)
        .map(|i| {
            let name = format!("w{i}");
            let child = worker(&shared_url, &name, 300)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (child, name)
        })
        .collect();
    for (child, name) in children {
        finish(child, &name);
    }
    let expected = outcome(&reference);
    assert!(!expected.visits.is_empty(), "the run planned visits");
    assert!(expected.keys > 0, "the run generated orders");
    // One worker plans exactly what the main job plans in one process...
    assert_eq!(expected, single_process(300));
    // ...and so do three.
    assert_eq!(outcome(&shared), expected);
    // Generation and the SLA snapshot ran once; every part was planned once, by one worker.
    assert_eq!(expected.sla_batches, 1);
    let done = parts_done(&shared);
    assert_eq!(
        done.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        parts_done(&reference)
            .iter()
            .map(|(p, _)| p)
            .collect::<Vec<_>>()
    );
    assert!(done.len() > 1, "the run has several parts: {done:?}");
    assert!(done.iter().all(|(_, w)| w.starts_with('w')), "{done:?}");
    // A late worker of the same run finds every part done and changes nothing.
    finish(worker(&shared_url, "late", 300).spawn().unwrap(), "late");
    assert_eq!(outcome(&shared), expected);
    assert_eq!(parts_done(&shared), done);
}

#[test]
fn a_killed_workers_part_is_finished_by_another() {
    let Some(url) = server("worker tests") else {
        return;
    };
    let ((reference, _), (shared, shared_url)) = reference_and_shared(&url);
    let iterations = 300;
    // The first worker is killed as soon as it has claimed a part.
    let mut doomed = worker(&shared_url, "doomed", iterations)
        .args(["--pause-after-claim-ms", "60000"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = doomed.stderr.take().unwrap();
    let mut claimed = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains("claimed part") {
            claimed = true;
            break;
        }
    }
    assert!(claimed, "the first worker claimed a part");
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    assert!(parts_done(&shared).is_empty(), "killed before finishing");
    // Another worker claims the released part and finishes the run.
    finish(
        worker(&shared_url, "rescuer", iterations).spawn().unwrap(),
        "rescuer",
    );
    let done = parts_done(&shared);
    assert!(done.len() > 1, "{done:?}");
    assert!(done.iter().all(|(_, w)| w == "rescuer"), "{done:?}");
    assert_eq!(outcome(&shared), outcome(&reference));
}

/// A worker that joins a run after another planned some of its parts plans the rest from the
/// run's base — the business as the shared phases left it — not from what the other wrote
/// since: the run leaves what one worker leaves.
#[test]
fn a_worker_joining_late_plans_from_the_runs_base() {
    let Some(url) = server("worker tests") else {
        return;
    };
    let ((reference, reference_url), (shared, shared_url)) = reference_and_shared(&url);
    finish(
        worker(&shared_url, "early", 300)
            .args(["--max-parts", "3"])
            .spawn()
            .unwrap(),
        "early",
    );
    let early = parts_done(&shared);
    assert_eq!(early.len(), 3, "{early:?}");
    assert_eq!(
        bases(&shared),
        [true],
        "the base stays while parts are left"
    );
    finish(worker(&shared_url, "late", 300).spawn().unwrap(), "late");
    assert_eq!(bases(&shared), [false], "the last part done drops the base");
    let done = parts_done(&shared);
    assert_eq!(done.iter().filter(|(_, w)| w == "early").count(), 3);
    assert!(
        done.iter().filter(|(_, w)| w == "late").count() > 1,
        "{done:?}"
    );
    let first = outcome(&reference);
    assert_eq!(outcome(&shared), first);
    // The next day re-plans from the first run's schedule (its parts' plans): the base holds
    // it as one plan, and a late worker still plans what one worker plans.
    let next = |url: &str, name: &str| worker_of(NEXT_RUN, url, name, 300);
    finish(next(&reference_url, "alone").spawn().unwrap(), "alone");
    finish(
        next(&shared_url, "early")
            .args(["--max-parts", "2"])
            .spawn()
            .unwrap(),
        "early",
    );
    finish(next(&shared_url, "late").spawn().unwrap(), "late");
    let second = outcome(&reference);
    assert_ne!(second.visits, first.visits, "the next day re-planned");
    assert_eq!(second, single_process_days(300, 2));
    assert_eq!(outcome(&shared), second);
}
