//! Solves Solomon VRPTW instances and compares with the best-known distances.
//!
//! ```text
//! cargo run --release --example solomon -- benches/data/solomon/C101.txt [--budget-ms 2000] [--seed 1] [--out routes.json]
//! cargo run --release --example solomon -- --all benches/data/solomon [--budget-ms 2000] [--seed 1] [--md docs/solomon-results.md]
//! ```
//! Single mode prints distance, vehicles, time, gap to the best-known `distance_only` value
//! (from `bks.json` beside the file, else `benches/data/solomon/bks.json`) and feasibility
//! (independent validator: every customer served, every window and capacity kept, fleet
//! respected). `--out` writes `{"instance", "distance", "routes": [[customer numbers]]}`.
//! `--all` solves every `*.txt` in the folder, prints a table and the gap statistics, and writes
//! them as Markdown (default `docs/solomon-results.md`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use fieldwork::schedule::solomon::{read_best_known, BestKnown, SolomonInstance};
use fieldwork::schedule::solver::{solve, validate, SolverConfig};

struct Args {
    target: PathBuf,
    all: bool,
    budget_ms: u64,
    seed: u64,
    out: Option<PathBuf>,
    md: Option<PathBuf>,
}

const USAGE: &str = "usage: solomon FILE.txt [--budget-ms N] [--seed N] [--out routes.json]\n       solomon --all DIR [--budget-ms N] [--seed N] [--md results.md]";

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut target = None;
    let mut all = false;
    let (mut budget_ms, mut seed) = (2000u64, 1u64);
    let (mut out, mut md) = (None, None);
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
            "--out" => out = Some(PathBuf::from(it.next().ok_or("--out needs a file")?)),
            "--md" => md = Some(PathBuf::from(it.next().ok_or("--md needs a file")?)),
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
        out,
        md,
    })
}

fn best_known_for(file: &Path) -> BTreeMap<String, BestKnown> {
    let beside = file.parent().map(|d| {
        if file.is_dir() {
            file.join("bks.json")
        } else {
            d.join("bks.json")
        }
    });
    let fallback = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/solomon/bks.json");
    for p in beside.into_iter().chain([fallback]) {
        if let Ok(b) = read_best_known(&p) {
            return b;
        }
    }
    BTreeMap::new()
}

struct Outcome {
    name: String,
    distance: f64,
    vehicles: usize,
    bks: Option<f64>,
    ms: f64,
    iterations: u64,
    feasible: bool,
    problems: Vec<String>,
    routes: Vec<Vec<u32>>,
}

impl Outcome {
    fn gap(&self) -> Option<f64> {
        self.bks.map(|b| (self.distance - b) / b * 100.0)
    }
}

fn run(file: &Path, args: &Args, bks: &BTreeMap<String, BestKnown>) -> Result<Outcome, String> {
    let inst = SolomonInstance::read(file).map_err(|e| e.to_string())?;
    let problem = inst.to_problem().map_err(|e| e.to_string())?;
    let config = SolverConfig::default()
        .with_seed(args.seed)
        .with_iterations(None)
        .with_time_limit(Some(Duration::from_millis(args.budget_ms)));
    let sol = solve(&problem, &config).map_err(|e| e.to_string())?;
    let mut problems: Vec<String> = validate(&problem, &sol)
        .iter()
        .map(|v| format!("{v:?}"))
        .collect();
    if !sol.unassigned.is_empty() {
        problems.push(format!("{} customers unassigned", sol.unassigned.len()));
    }
    if sol.routes.len() > inst.vehicles {
        problems.push(format!(
            "{} routes for a fleet of {}",
            sol.routes.len(),
            inst.vehicles
        ));
    }
    let routes = sol
        .routes
        .iter()
        .map(|r| {
            r.visits
                .iter()
                .map(|v| inst.customers[v.job].number)
                .collect()
        })
        .collect();
    Ok(Outcome {
        bks: bks.get(&inst.name).map(|b| b.distance_only.distance),
        name: inst.name,
        distance: sol.objective.distance,
        vehicles: sol.routes.len(),
        ms: sol.stats.elapsed.as_secs_f64() * 1000.0,
        iterations: sol.stats.iterations,
        feasible: problems.is_empty(),
        problems,
        routes,
    })
}

fn fmt_gap(g: Option<f64>) -> String {
    g.map_or("-".into(), |g| format!("{g:+.2}"))
}

fn single(args: &Args) -> Result<(), String> {
    let bks = best_known_for(&args.target);
    let o = run(&args.target, args, &bks)?;
    println!("instance    {}", o.name);
    println!("distance    {:.2}", o.distance);
    println!("vehicles    {}", o.vehicles);
    println!("time        {:.0} ms ({} iterations)", o.ms, o.iterations);
    match o.bks {
        Some(b) => println!(
            "best known  {b:.2} (distance_only), gap {}%",
            fmt_gap(o.gap())
        ),
        None => println!("best known  unknown"),
    }
    println!("feasible    {}", if o.feasible { "yes" } else { "NO" });
    for p in &o.problems {
        println!("  violation: {p}");
    }
    if let Some(out) = &args.out {
        let json = serde_json::json!({
            "instance": o.name,
            "distance": o.distance,
            "routes": o.routes,
        });
        let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
        std::fs::write(out, text + "\n").map_err(|e| format!("{}: {e}", out.display()))?;
        println!("routes written to {}", out.display());
    }
    if o.feasible {
        Ok(())
    } else {
        Err("solution is not feasible".into())
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn all(args: &Args) -> Result<(), String> {
    let dir = &args.target;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("txt")))
        .collect();
    files.sort();
    let bks = best_known_for(dir);
    let header = "| instance | distance | vehicles | BKS | gap % | ms | feasible | iterations |";
    let rule = "|---|---:|---:|---:|---:|---:|:---:|---:|";
    let load_before = load_average();
    println!("{header}\n{rule}");
    let mut table = format!("{header}\n{rule}\n");
    let mut outcomes = Vec::new();
    for f in &files {
        let o = run(f, args, &bks)?;
        let row = format!(
            "| {} | {:.2} | {} | {} | {} | {:.0} | {} | {} |",
            o.name,
            o.distance,
            o.vehicles,
            o.bks.map_or("-".into(), |b| format!("{b:.2}")),
            fmt_gap(o.gap()),
            o.ms,
            if o.feasible { "yes" } else { "NO" },
            o.iterations
        );
        println!("{row}");
        for p in &o.problems {
            println!("  violation: {p}");
        }
        table.push_str(&row);
        table.push('\n');
        outcomes.push(o);
    }
    let mut gaps: Vec<f64> = outcomes.iter().filter_map(Outcome::gap).collect();
    gaps.sort_by(f64::total_cmp);
    let n = gaps.len().max(1) as f64;
    let avg = gaps.iter().sum::<f64>() / n;
    let median = match gaps.len() {
        0 => 0.0,
        k if k % 2 == 1 => gaps[k / 2],
        k => (gaps[k / 2 - 1] + gaps[k / 2]) / 2.0,
    };
    let worst = gaps.last().copied().unwrap_or(0.0);
    let worst_name = outcomes
        .iter()
        .filter(|o| o.gap() == Some(worst))
        .map(|o| o.name.clone())
        .next()
        .unwrap_or_default();
    let feasible = outcomes.iter().filter(|o| o.feasible).count();
    let avg_ms = outcomes.iter().map(|o| o.ms).sum::<f64>() / outcomes.len().max(1) as f64;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut summary = String::new();
    let _ = writeln!(
        summary,
        "- instances: {}, feasible: {feasible}/{}",
        outcomes.len(),
        outcomes.len()
    );
    let _ = writeln!(
        summary,
        "- gap to best-known distance (distance_only): average {avg:+.2}%, median {median:+.2}%, worst {worst:+.2}% ({worst_name})"
    );
    let _ = writeln!(
        summary,
        "- time per instance: budget {} ms, average {avg_ms:.0} ms, one thread, seed {}",
        args.budget_ms, args.seed
    );
    let _ = writeln!(
        summary,
        "- machine: {cores} cores (nproc), {}; load average {load_before} at the start, {} at the end (shared machine: a higher load means fewer iterations)",
        cpu_model(),
        load_average()
    );
    println!("\n{summary}");
    let md_path = args
        .md
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/solomon-results.md"));
    let doc = format!(
        "# Solomon VRPTW results\n\nGenerated by `cargo run --release --example solomon -- --all {} --budget-ms {} --seed {}`.\n\
         Distances are total Euclidean route lengths in double precision; gap = (distance − best known) / best known, \
         against the `distance_only` best-known values of `benches/data/solomon/bks.json`. \
         Feasible = the independent validator found no violation, every customer is served and the fleet is respected.\n\n\
         {summary}\n{table}",
        dir.display(),
        args.budget_ms,
        args.seed
    );
    if let Some(parent) = md_path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(&md_path, doc).map_err(|e| format!("{}: {e}", md_path.display()))?;
    println!("written to {}", md_path.display());
    if feasible == outcomes.len() {
        Ok(())
    } else {
        Err("some solutions are not feasible".into())
    }
}

fn main() -> ExitCode {
    let result = parse_args().and_then(|a| if a.all { all(&a) } else { single(&a) });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
