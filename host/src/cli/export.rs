//! `fieldwork export`: writes everything stored — the model and its `history` (generation
//! keys, plans, billed periods, billing transactions, SLA snapshots) — as a dataset (the JSON
//! `import` reads; `import --mode replace` restores it), to a file or to stdout.

use std::path::PathBuf;

use super::context::DbArgs;
use super::{db, CliError, Output};
use fieldwork::model::ModelError;
use fieldwork::store::History;

/// Writes `bytes` to a temporary sibling of `path`, syncs it and renames it over `path`.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let io = |source| {
        CliError::from(ModelError::Io {
            path: path.to_owned(),
            source,
        })
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut file = std::fs::File::create(&tmp).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Arguments of `fieldwork export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Where to write the dataset; stdout when absent (then the dataset is the only output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The database to export.
    #[command(flatten)]
    pub db: DbArgs,
}

/// Runs the command.
pub fn run(args: ExportArgs, out: &Output) -> Result<(), CliError> {
    let store = db::open(&args.db.db)?;
    let dataset = store.export()?;
    let history = History::from_dataset(&dataset)?;
    // Serialising plain data with string keys cannot fail.
    let text = serde_json::to_string_pretty(&dataset).unwrap_or_default();
    let Some(path) = args.out else {
        say!("{text}");
        return Ok(());
    };
    write_atomically(&path, text.as_bytes())?;
    let counts: Vec<(&str, usize)> = dataset
        .section_counts()
        .into_iter()
        .chain(history.counts())
        .filter(|(_, n)| *n > 0)
        .collect();
    if out.json {
        let sections: serde_json::Map<String, serde_json::Value> = counts
            .iter()
            .map(|(k, n)| ((*k).to_owned(), (*n).into()))
            .collect();
        out.print_json(&serde_json::json!({ "out": path, "sections": sections }))
    } else if out.quiet {
        Ok(())
    } else {
        let list: Vec<String> = counts
            .iter()
            .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
            .collect();
        say!("wrote {}: {}", path.display(), list.join(", "));
        Ok(())
    }
}
