//! `fieldwork demo`: the first thing to run — creates the demo dataset, imports it into a fresh
//! database and runs the main job over the next four weeks.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use std::path::{Path, PathBuf};

use super::context::{At, AtArgs, Context, DbArgs, RulesArgs, Source};
use super::{db, run as job, CliError, Output};
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::job::JobOptions;
use fieldwork::store::ImportMode;

/// Arguments of `fieldwork demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Random seed of the demo data.
    #[arg(long, value_name = "N", default_value_t = 42)]
    pub seed: u64,
    /// The demo's "today" (YYYY-MM-DD; "now" is then 11:00 UTC of that day); default: today.
    #[arg(long, value_name = "DATE", value_parser = crate::format::parse_date)]
    pub anchor: Option<NaiveDate>,
    /// Weeks of work to generate and plan.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub weeks: u32,
    /// Replace an existing database file.
    #[arg(long)]
    pub force: bool,
    /// The rules.
    #[command(flatten)]
    pub rules: RulesArgs,
    /// The database to create.
    #[command(flatten)]
    pub db: DbArgs,
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
pub fn run(args: DemoArgs, out: &Output) -> Result<(), CliError> {
    let db = &args.db.db;
    let postgres = db::postgres_url(db).is_some();
    if !postgres && db.exists() {
        if !args.force {
            return Err(CliError::user(format!(
                "{} already exists\nhint: pass --force to recreate it, or --db PATH for another file",
                db.display()
            )));
        }
        remove_database(db)?;
    }
    let (anchor, now) = match args.anchor {
        Some(day) => (
            day,
            Utc.from_utc_datetime(&day.and_hms_opt(11, 0, 0).unwrap_or_default()),
        ),
        None => (chrono::Local::now().date_naive(), Utc::now()),
    };
    let dataset = generate(&DemoOptions::new(args.seed, anchor));
    let mut store = db::open_or_create(db)?;
    if postgres && !args.force && !store.load_model()?.customers().is_empty() {
        return Err(CliError::user(format!(
            "{} already holds a business\nhint: pass --force to replace it, or --db for another",
            db::shown(db)
        )));
    }
    let summary = store.import(dataset, ImportMode::Replace)?;
    if !out.json && !out.quiet {
        say!(
            "created {} with the demo dataset (seed {}): {} customers, {} agreements, {} technicians, {} open orders",
            db::shown(db),
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
    let at = AtArgs {
        at: Some(At::Instant(now)),
    };
    let mut ctx =
        Context::with_store(Source::Database(db.clone()), store, args.rules.load()?, &at)?;
    let options = JobOptions::new(anchor, to, ctx.now).in_zone(ctx.zone);
    let summary = job::run_on(&mut ctx, &options, out)?;
    if !out.json && !out.quiet {
        say!(
            "\nnext: fieldwork sla report | fieldwork export --out demo.json | fieldwork run --days-ahead 7"
        );
    }
    job::failures(&summary)
}
