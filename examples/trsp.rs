//! Solves the TRSP instances of Pillac, Guéret & Medaglia (2013) and compares with the
//! best-known durations.
//!
//! ```text
//! cargo run --release --example trsp -- ../shared/bench/trsp/C101.100_25-5-5-5.txt [--budget-ms 10000] [--seed 1] [--out routes.json]
//! cargo run --release --example trsp -- --all ../shared/bench/trsp [--budget-ms 10000] [--seeds 3] [--md docs/trsp-results.md]
//! ```
//! The data is GPL-licensed and read from where it lies (never copied into this repository).
//! Every solution is checked by this file's own checker (`check`), written from the
//! benchmark's README and independent of the solver's validator: each request served once by
//! a technician with its skills, home to home within the technician's window, arrival within
//! each window, at most one depot visit, tools and cumulated parts within the technician's
//! before it; duration recomputed with the latest feasible start. `--out` writes
//! `{"routes": [{"technician": t, "stops": [request ids, 0 for the depot]}]}`.
//! `--all` solves every instance with seeds 1..=N and writes a Markdown table (default
//! `docs/trsp-results.md`): feasibility, duration of seed 1, gap to `bks_vrprep_2013.json`,
//! time, and the spread over the seeds. `--parallel N` (at most 64) runs N of those
//! single-threaded runs side by side, e.g. one per idle core; the table is the same.
//! `--routes-dir DIR` also writes every run's routes there as `NAME.seedK.json` (the `--out`
//! format), for a second checker (`benches/peers/trsp_check.py`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use fieldwork::schedule::solver::{solve, Solution, SolverConfig};
use fieldwork::schedule::trsp::{read_best_known, TrspBestKnown, TrspInstance};

struct Args {
    target: PathBuf,
    all: bool,
    budget_ms: u64,
    seed: u64,
    seeds: u64,
    out: Option<PathBuf>,
    md: Option<PathBuf>,
    parallel: usize,
    routes_dir: Option<PathBuf>,
}

const USAGE: &str = "usage: trsp FILE.txt [--budget-ms N] [--seed N] [--out routes.json]\n       trsp --all DIR [--budget-ms N] [--seeds N] [--parallel N] [--md results.md] [--routes-dir DIR]";

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut target = None;
    let mut all = false;
    let (mut budget_ms, mut seed, mut seeds) = (10_000u64, 1u64, 3u64);
    let (mut out, mut md, mut parallel, mut routes_dir) = (None, None, 1usize, None);
    let num = |v: Option<String>, name: &str| -> Result<u64, String> {
        v.ok_or(format!("{name} needs a value"))?
            .parse()
            .map_err(|_| format!("{name} needs a non-negative integer"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--all" => {
                all = true;
                target = Some(PathBuf::from(it.next().ok_or("--all needs a folder")?));
            }
            "--budget-ms" => budget_ms = num(it.next(), "--budget-ms")?,
            "--seed" => seed = num(it.next(), "--seed")?,
            "--seeds" => seeds = num(it.next(), "--seeds")?.max(1),
            "--out" => out = Some(PathBuf::from(it.next().ok_or("--out needs a file")?)),
            "--md" => md = Some(PathBuf::from(it.next().ok_or("--md needs a file")?)),
            "--routes-dir" => {
                routes_dir = Some(PathBuf::from(
                    it.next().ok_or("--routes-dir needs a folder")?,
                ));
            }
            "--parallel" => {
                parallel = usize::try_from(num(it.next(), "--parallel")?.clamp(1, 64))
                    .map_err(|_| "--parallel out of range")?;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            s => target = Some(PathBuf::from(s)),
        }
    }
    Ok(Args {
        target: target.ok_or(USAGE)?,
        all,
        budget_ms,
        seed,
        seeds,
        out,
        md,
        parallel,
        routes_dir,
    })
}

/// A route as the benchmark writes it: technician row id and stops (request row ids, 0 for
/// the depot).
struct TrspRoute {
    technician: u32,
    stops: Vec<u32>,
}

/// The solver's solution as benchmark routes.
fn to_routes(inst: &TrspInstance, sol: &Solution) -> Vec<TrspRoute> {
    sol.routes
        .iter()
        .map(|r| {
            let mut stops = Vec::new();
            for (i, v) in r.visits.iter().enumerate() {
                if r.restock.is_some_and(|x| x.position == i) {
                    stops.push(0);
                }
                stops.push(inst.requests[v.job].id);
            }
            if r.restock.is_some_and(|x| x.position == r.visits.len()) {
                stops.push(0);
            }
            TrspRoute {
                technician: inst.technicians[r.vehicle].id,
                stops,
            }
        })
        .collect()
}

/// The independent checker: returns (total duration, total distance, problems found).
fn check(inst: &TrspInstance, routes: &[TrspRoute]) -> (f64, f64, Vec<String>) {
    let mut problems = Vec::new();
    let rows: BTreeMap<u32, &fieldwork::schedule::trsp::TrspRow> = std::iter::once(&inst.depot)
        .chain(&inst.technicians)
        .chain(&inst.requests)
        .map(|r| (r.id, r))
        .collect();
    let first_request = inst.requests.first().map_or(u32::MAX, |r| r.id);
    let mut served: BTreeMap<u32, usize> = BTreeMap::new();
    let mut used_tech = BTreeMap::new();
    let (mut total_duration, mut total_distance) = (0.0, 0.0);
    let dist = |a: &fieldwork::schedule::trsp::TrspRow, b: &fieldwork::schedule::trsp::TrspRow| {
        ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
    };
    for route in routes {
        let Some(tech) = rows
            .get(&route.technician)
            .filter(|_| route.technician >= 1 && route.technician < first_request)
        else {
            problems.push(format!("unknown technician {}", route.technician));
            continue;
        };
        if used_tech.insert(route.technician, ()).is_some() {
            problems.push(format!("technician {} has two routes", route.technician));
        }
        if route.stops.is_empty() {
            continue;
        }
        let mut stock: Vec<i64> = tech.parts.iter().map(|&u| u as i64).collect();
        let mut restocked = false;
        let mut t = tech.tws;
        let mut at: &fieldwork::schedule::trsp::TrspRow = tech;
        let (mut waiting, mut waited_before, mut slack) = (0.0, 0.0, f64::INFINITY);
        let mut d = 0.0;
        for &s in &route.stops {
            let Some(node) = rows.get(&s) else {
                problems.push(format!("unknown stop {s}"));
                continue;
            };
            let is_depot = s == 0;
            if !is_depot && s < first_request {
                problems.push(format!("stop {s} is a technician's home"));
                continue;
            }
            let leg = dist(at, node);
            d += leg;
            let arrival = t + leg;
            if arrival > node.twe + 1e-9 {
                problems.push(format!(
                    "technician {}: arrival {arrival:.3} at {s} after {}",
                    route.technician, node.twe
                ));
            }
            slack = slack.min(node.twe - arrival + waited_before);
            let start = arrival.max(node.tws);
            waiting += start - arrival;
            waited_before = waiting;
            if is_depot {
                if restocked {
                    problems.push(format!("technician {}: two depot visits", route.technician));
                }
                restocked = true;
                t = start;
            } else {
                *served.entry(s).or_insert(0) += 1;
                if !node.skills.iter().all(|k| tech.skills.contains(k)) {
                    problems.push(format!(
                        "technician {} lacks a skill of {s}",
                        route.technician
                    ));
                }
                if !restocked {
                    if !node.tools.iter().all(|k| tech.tools.contains(k)) {
                        problems.push(format!(
                            "technician {} lacks a tool of {s} before the depot",
                            route.technician
                        ));
                    }
                    for (k, &u) in node.parts.iter().enumerate() {
                        if k >= stock.len() {
                            stock.resize(k + 1, 0);
                        }
                        stock[k] -= u as i64;
                        if stock[k] < 0 {
                            problems.push(format!(
                                "technician {} out of part {k} at {s}",
                                route.technician
                            ));
                        }
                    }
                }
                t = start + node.service;
            }
            at = node;
        }
        let leg = dist(at, tech);
        d += leg;
        let back = t + leg;
        if back > tech.twe + 1e-9 {
            problems.push(format!(
                "technician {} back home at {back:.3} after {}",
                route.technician, tech.twe
            ));
        }
        slack = slack.min(tech.twe - back + waited_before);
        let delay = slack.min(waiting).max(0.0);
        total_duration += back - (tech.tws + delay);
        total_distance += d;
    }
    for r in &inst.requests {
        match served.get(&r.id) {
            Some(1) => {}
            Some(n) => problems.push(format!("request {} served {n} times", r.id)),
            None => problems.push(format!("request {} not served", r.id)),
        }
    }
    (total_duration, total_distance, problems)
}

struct Outcome {
    name: String,
    duration: f64,
    solver_duration: f64,
    bks: Option<f64>,
    ms: f64,
    iterations: u64,
    problems: Vec<String>,
    routes: Vec<TrspRoute>,
}

impl Outcome {
    fn gap(&self) -> Option<f64> {
        self.bks.map(|b| (self.duration - b) / b * 100.0)
    }
}

fn run(
    file: &Path,
    budget_ms: u64,
    seed: u64,
    bks: &BTreeMap<String, TrspBestKnown>,
) -> Result<Outcome, String> {
    let inst = TrspInstance::read(file).map_err(|e| e.to_string())?;
    let problem = inst.to_problem().map_err(|e| e.to_string())?;
    let config = SolverConfig::default()
        .with_seed(seed)
        .with_threads(1)
        .with_iterations(None)
        .with_time_limit(Some(Duration::from_millis(budget_ms)));
    let sol = solve(&problem, &config).map_err(|e| e.to_string())?;
    let routes = to_routes(&inst, &sol);
    let (duration, _distance, problems) = check(&inst, &routes);
    Ok(Outcome {
        bks: bks.get(&inst.name).map(|b| b.duration),
        name: inst.name,
        duration,
        solver_duration: sol.objective.duration,
        ms: sol.stats.elapsed.as_secs_f64() * 1000.0,
        iterations: sol.stats.iterations,
        problems,
        routes,
    })
}

fn routes_json(routes: &[TrspRoute]) -> String {
    let items: Vec<String> = routes
        .iter()
        .map(|r| {
            let stops: Vec<String> = r.stops.iter().map(u32::to_string).collect();
            format!(
                "{{\"technician\": {}, \"stops\": [{}]}}",
                r.technician,
                stops.join(", ")
            )
        })
        .collect();
    format!("{{\"routes\": [\n  {}\n]}}\n", items.join(",\n  "))
}

fn best_known_for(target: &Path) -> BTreeMap<String, TrspBestKnown> {
    let dir = if target.is_dir() {
        target.to_path_buf()
    } else {
        target.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    read_best_known(dir.join("bks_vrprep_2013.json")).unwrap_or_default()
}

fn single(args: &Args) -> Result<(), String> {
    let bks = best_known_for(&args.target);
    let o = run(&args.target, args.budget_ms, args.seed, &bks)?;
    println!(
        "{}: duration {:.3} (solver {:.3}), gap {}, {:.0} ms, {} iterations, {}",
        o.name,
        o.duration,
        o.solver_duration,
        o.gap().map_or("-".into(), |g| format!("{g:+.2} %")),
        o.ms,
        o.iterations,
        if o.problems.is_empty() {
            "feasible".to_string()
        } else {
            format!("INFEASIBLE: {}", o.problems.join("; "))
        }
    );
    if let Some(out) = &args.out {
        std::fs::write(out, routes_json(&o.routes))
            .map_err(|e| format!("{}: {e}", out.display()))?;
    }
    if o.problems.is_empty() {
        Ok(())
    } else {
        Err("infeasible".into())
    }
}

fn all(args: &Args) -> Result<(), String> {
    let bks = best_known_for(&args.target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&args.target)
        .map_err(|e| format!("{}: {e}", args.target.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "txt")
                && p.file_name()
                    .is_some_and(|n| !n.to_string_lossy().contains(' '))
        })
        .collect();
    files.sort();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "| instance | feasible | duration (seed 1) | best known | gap | mean gap over seeds | spread | time (s) | iterations |\n|---|---|---|---|---|---|---|---|---|"
    );
    let (mut gaps, mut spreads, mut mean_gaps) = (Vec::new(), Vec::new(), Vec::new());
    let mut infeasible = 0;
    let mut total_ms = 0.0;
    // Every (instance, seed) run, `args.parallel` at a time, each on one thread.
    let tasks: Vec<(usize, u64)> = (0..files.len())
        .flat_map(|f| (1..=args.seeds).map(move |s| (f, s)))
        .collect();
    let results: Vec<std::sync::Mutex<Option<Result<Outcome, String>>>> =
        tasks.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..args.parallel {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&(f, seed)) = tasks.get(i) else {
                    break;
                };
                let mut r = run(&files[f], args.budget_ms, seed, &bks);
                if let (Ok(o), Some(dir)) = (&r, &args.routes_dir) {
                    let file = dir.join(format!("{}.seed{seed}.json", o.name));
                    if let Err(e) = std::fs::write(&file, routes_json(&o.routes)) {
                        r = Err(format!("{}: {e}", file.display()));
                    }
                }
                if let Ok(o) = &r {
                    eprintln!("{} seed {seed}: {:.2}", o.name, o.duration);
                }
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    let mut results = results.into_iter().map(|m| {
        m.into_inner()
            .ok()
            .flatten()
            .unwrap_or_else(|| Err("a run did not finish".into()))
    });
    for _ in &files {
        let mut outs = Vec::new();
        for _ in 1..=args.seeds {
            outs.push(results.next().ok_or("a run did not finish")??);
        }
        let first = &outs[0];
        let feasible = outs.iter().all(|o| o.problems.is_empty());
        if !feasible {
            infeasible += 1;
        }
        let ds: Vec<f64> = outs.iter().map(|o| o.duration).collect();
        let (lo, hi) = ds
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
        let spread = (hi - lo) / lo * 100.0;
        let mean_gap = outs.iter().filter_map(Outcome::gap).sum::<f64>() / outs.len() as f64;
        spreads.push(spread);
        mean_gaps.push(mean_gap);
        if let Some(g) = first.gap() {
            gaps.push(g);
        }
        total_ms += first.ms;
        let line = format!(
            "| {} | {} | {:.2} | {} | {} | {:+.2} % | {:.2} % | {:.1} | {} |",
            first.name,
            if feasible { "yes" } else { "**no**" },
            first.duration,
            first.bks.map_or("-".into(), |b| format!("{b:.2}")),
            first.gap().map_or("-".into(), |g| format!("{g:+.2} %")),
            mean_gap,
            spread,
            first.ms / 1000.0,
            first.iterations,
        );
        println!("{line}");
        let _ = writeln!(md, "{line}");
    }
    let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let summary = format!(
        "\n{} instances, {} infeasible; average gap (seed 1) {:+.2} %, average gap over {} seeds {:+.2} %, worst {:+.2} %; average seed spread {:.2} % (worst {:.2} %); average time {:.1} s",
        files.len(),
        infeasible,
        avg(&gaps),
        args.seeds,
        avg(&mean_gaps),
        mean_gaps.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        avg(&spreads),
        spreads.iter().cloned().fold(0.0, f64::max),
        total_ms / 1000.0 / files.len().max(1) as f64,
    );
    println!("{summary}");
    let _ = writeln!(md, "{summary}");
    let out = args
        .md
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/trsp-results.md"));
    let side_by_side = (args.parallel > 1).then(|| {
        (
            format!(" --parallel {}", args.parallel),
            format!(", {} runs side by side", args.parallel),
        )
    });
    let mut doc = String::new();
    let _ = writeln!(
        doc,
        "# TRSP benchmark results\n\nThe 56 instances of Pillac, Guéret & Medaglia (2013), crew of 25, read from \
`../shared/bench/trsp` (GPL data, not in this repository); generated by \
`cargo run --release --example trsp -- --all ../shared/bench/trsp --budget-ms {} --seeds {}{}`. \
Every solution is checked by the example's own checker; gaps are to `bks_vrprep_2013.json` \
(duration). Spread = (worst − best) / best over the seeds 1..={}. One thread per run{}.\n",
        args.budget_ms,
        args.seeds,
        side_by_side.as_ref().map_or("", |(flag, _)| flag),
        args.seeds,
        side_by_side.as_ref().map_or("", |(_, note)| note),
    );
    doc.push_str(&md);
    std::fs::write(&out, doc).map_err(|e| format!("{}: {e}", out.display()))?;
    if infeasible > 0 {
        Err(format!("{infeasible} infeasible"))
    } else {
        Ok(())
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let result = if args.all { all(&args) } else { single(&args) };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
