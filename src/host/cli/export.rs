//! `fieldwork export`: writes the stored model as a dataset (the JSON `import` reads), to a
//! file or to stdout.

use std::path::PathBuf;

use super::{db, CliError, GlobalArgs, Output};
use crate::store::Store;

/// Arguments of `fieldwork export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Where to write the dataset; stdout when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: ExportArgs, global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    let store = db::open(&global.db)?;
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
    } else {
        say!(
            "wrote {}: {} customers, {} agreements, {} technicians, {} orders",
            path.display(),
            model.customers().len(),
            model.agreements().len(),
            model.technicians().len(),
            model.orders().len()
        );
        Ok(())
    }
}
