//! `fieldwork check [RULES_DIR]`: validates a rules directory and prints one
//! `path:line:col: message` line per problem; exit 1 when any is an error.
//!
//! Static problems first (every load error, every recoverable syntax error); when the rules
//! load, their hooks are also run on the demo data and what they return is validated by the
//! engines ([`fieldwork::job::check_rules_dir`]).

use std::path::PathBuf;

use super::{CliError, Output};
use fieldwork::job::check_rules_dir;

/// Arguments of `fieldwork check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The rules directory to check.
    #[arg(default_value = "rules")]
    pub dir: PathBuf,
}

/// Runs the command.
pub fn run(args: CheckArgs, out: &Output) -> Result<(), CliError> {
    let diagnostics = check_rules_dir(&args.dir);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if out.json {
        let rows: Vec<serde_json::Value> = diagnostics
            .iter()
            .map(|d| {
                serde_json::json!({
                    "path": d.location.path,
                    "line": d.location.line,
                    "column": d.location.column,
                    "error": d.is_error(),
                    "message": d.message,
                })
            })
            .collect();
        out.print_json(
            &serde_json::json!({ "dir": args.dir, "errors": errors, "problems": rows }),
        )?;
    } else {
        for d in &diagnostics {
            say!("{d}");
        }
        if errors == 0 && !out.quiet {
            eprintln!("{}: rules are valid", args.dir.display());
        }
    }
    if errors > 0 {
        Err(CliError::User(format!(
            "{}: {errors} problem(s) in the rules",
            args.dir.display()
        )))
    } else {
        Ok(())
    }
}
