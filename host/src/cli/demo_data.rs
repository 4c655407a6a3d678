//! `fieldwork demo-data`: writes the deterministic demo dataset.

use chrono::NaiveDate;
use std::path::PathBuf;

use super::{CliError, Output};
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::model::Model;

/// Arguments of `fieldwork demo-data`.
#[derive(Debug, clap::Args)]
pub struct DemoDataArgs {
    /// Random seed; the same seed and anchor give the same dataset.
    #[arg(long, value_name = "N", default_value_t = 42)]
    pub seed: u64,
    /// The demo's "today" (YYYY-MM-DD); defaults to today's date.
    #[arg(long, value_name = "DATE", value_parser = crate::format::parse_date)]
    pub anchor: Option<NaiveDate>,
    /// Number of demo regions side by side (1 to 200), each with its own territories,
    /// calendars, 40 technicians and 300 customers; the ids of region 2 on start with `R002-`.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=fieldwork::demo::MAX_REGIONS as i64))]
    pub regions: u16,
    /// Where to write the dataset (JSON).
    #[arg(long, value_name = "FILE", default_value = "demo.json")]
    pub out: PathBuf,
}

/// Runs the command.
pub fn run(args: DemoDataArgs, out: &Output) -> Result<(), CliError> {
    let anchor = args
        .anchor
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let options = DemoOptions::new(args.seed, anchor).with_regions(usize::from(args.regions));
    let dataset = generate(&options);
    let model = Model::from_dataset(dataset)
        .map_err(|e| CliError::Internal(format!("generated demo data is invalid: {e}")))?;
    model.save(&args.out)?;
    if out.json {
        out.print_json(&serde_json::json!({
            "out": args.out,
            "customers": model.customers().len(),
            "technicians": model.technicians().len(),
            "agreements": model.agreements().len(),
            "open_orders": model.orders().len(),
        }))
    } else if out.quiet {
        Ok(())
    } else {
        say!(
            "wrote {}: {} customers, {} service objects, {} agreements, {} technicians, {} open orders",
            args.out.display(),
            model.customers().len(),
            model.service_objects().len(),
            model.agreements().len(),
            model.technicians().len(),
            model.orders().len()
        );
        Ok(())
    }
}
