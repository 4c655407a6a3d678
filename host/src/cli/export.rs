//! `fieldwork export`: writes the stored model as a dataset (the JSON `import` reads), to a
//! file or to stdout.

use std::path::PathBuf;

use super::context::DbArgs;
use super::{db, CliError, Output};
use fieldwork::store::Store;

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
    let model = store.load_model()?;
    let Some(path) = args.out else {
        say!("{}", model.to_json());
        return Ok(());
    };
    model.save(&path)?;
    if out.json {
        out.print_json(&serde_json::json!({
            "out": path,
            "customers": model.customers().len(),
            "agreements": model.agreements().len(),
            "technicians": model.technicians().len(),
            "orders": model.orders().len(),
        }))
    } else if !out.quiet {
        say!(
            "wrote {}: {} customers, {} agreements, {} technicians, {} orders",
            path.display(),
            model.customers().len(),
            model.agreements().len(),
            model.technicians().len(),
            model.orders().len()
        );
        Ok(())
    } else {
        Ok(())
    }
}
