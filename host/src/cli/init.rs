//! `fieldwork init`: creates the database (or brings an existing one to the current schema).

use serde::Serialize;

use super::context::DbArgs;
use super::{db, CliError, Output};
use crate::sqlite::LATEST_VERSION;

/// Arguments of `fieldwork init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The database to create or migrate.
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Serialize)]
struct InitReport<'a> {
    db: &'a std::path::Path,
    created: bool,
    schema_version: i64,
    migrated_from: i64,
}

/// Runs the command.
pub fn run(args: InitArgs, out: &Output) -> Result<(), CliError> {
    let db_path = &args.db.db;
    let existed = db_path.exists();
    let store = db::open_or_create(db_path)?;
    let m = store.migration();
    let report = InitReport {
        db: db_path,
        created: !existed,
        schema_version: m.to,
        migrated_from: m.from,
    };
    if out.json {
        return out.print_json(&report);
    }
    let path = db_path.display();
    if !existed || m.from == 0 {
        say!("initialised {path} (schema version {LATEST_VERSION})");
    } else if m.from < m.to {
        say!("migrated {path} from schema version {} to {}", m.from, m.to);
    } else {
        say!("{path} is up to date (schema version {})", m.to);
    }
    Ok(())
}
