//! `fieldwork demo`: the first thing to run — creates the demo dataset, imports it into a fresh
//! database and runs the main job over the next four weeks.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use std::path::{Path, PathBuf};

use super::billing::load_rules;
use super::{db, run as job, CliError, GlobalArgs, Output};
use crate::demo::{generate, DemoOptions};
use crate::store::job::JobOptions;
use crate::store::{ImportMode, Store};

/// Arguments of `fieldwork demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Random seed of the demo data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The demo's "today" (YYYY-MM-DD; "now" is then 11:00 UTC of that day); default: today.
    #[arg(long)]
    pub anchor: Option<NaiveDate>,
    /// Weeks of work to generate and plan.
    #[arg(long, default_value_t = 4)]
    pub weeks: u32,
    /// Replace an existing database file.
    #[arg(long)]
    pub force: bool,
    /// Directory of rule files (`*.rhai`); default `rules/` when it exists, else the built-in
    /// defaults.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

fn remove_database(path: &Path) -> Result<(), CliError> {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let file = PathBuf::from(file);
        if file.exists() {
            std::fs::remove_file(&file)
                .map_err(|e| CliError::user(format!("cannot remove {}: {e}", file.display())))?;
        }
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: DemoArgs, global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    if global.db.exists() {
        if !args.force {
            return Err(CliError::user(format!(
                "{} already exists: pass --force to recreate it, or --db PATH for another file",
                global.db.display()
            )));
        }
        remove_database(&global.db)?;
    }
    let (anchor, now) = match args.anchor {
        Some(day) => (
            day,
            Utc.from_utc_datetime(&day.and_hms_opt(11, 0, 0).unwrap_or_default()),
        ),
        None => (chrono::Local::now().date_naive(), Utc::now()),
    };
    let dataset = generate(&DemoOptions::new(args.seed, anchor));
    let mut store = db::open_or_create(&global.db)?;
    let summary = store.import(dataset, ImportMode::Replace)?;
    if !out.json {
        say!(
            "created {} with the demo dataset (seed {}): {} customers, {} agreements, {} technicians, {} open orders",
            global.db.display(),
            args.seed,
            summary.added.get("customers").copied().unwrap_or(0),
            summary.added.get("agreements").copied().unwrap_or(0),
            summary.added.get("technicians").copied().unwrap_or(0),
            summary.added.get("orders").copied().unwrap_or(0),
        );
    }
    let to = anchor
        .checked_add_signed(Duration::weeks(i64::from(args.weeks.max(1))))
        .ok_or_else(|| CliError::user("--weeks is too large"))?;
    let options = JobOptions::new(anchor, to, now);
    let rules = load_rules(args.rules.as_deref())?;
    job::run_on(&mut store, &rules, &options, &global.db, out)?;
    if !out.json {
        say!(
            "\nnext: fieldwork sla report | fieldwork export --out demo.json | fieldwork run --days-ahead 7"
        );
    }
    Ok(())
}
