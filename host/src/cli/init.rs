//! `fieldwork init`: creates the database (or brings an existing one to the current schema).

use serde::Serialize;

use super::context::DbArgs;
use super::{db, CliError, Output};

/// Arguments of `fieldwork init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The database to create or migrate.
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Serialize)]
struct InitReport {
    db: String,
    created: bool,
    schema_version: i64,
    migrated_from: i64,
}

/// Runs the command.
pub fn run(args: InitArgs, out: &Output) -> Result<(), CliError> {
    let db_path = &args.db.db;
    let (_store, created, m) = db::init(db_path)?;
    let path = db::shown(db_path);
    let report = InitReport {
        db: path.clone(),
        created,
        schema_version: m.to,
        migrated_from: m.from,
    };
    if out.json {
        return out.print_json(&report);
    }
    if created || m.from == 0 {
        say!("initialised {path} (schema version {})", m.to);
    } else if m.from < m.to {
        say!("migrated {path} from schema version {} to {}", m.from, m.to);
    } else {
        say!("{path} is up to date (schema version {})", m.to);
    }
    Ok(())
}
