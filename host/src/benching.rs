//! Entry points for the host's benchmarks into private modules (hidden; not an API):
//! `benches/serve_context.rs` times a request's context as the CLI resolves it against the
//! server's cached one.

use std::path::{Path, PathBuf};

use crate::cli::context::{AtArgs, Context, DbArgs, RulesArgs, SourceArgs};

fn rules_args(rules: Option<&Path>) -> RulesArgs {
    RulesArgs {
        rules: rules.map(Path::to_path_buf),
    }
}

/// Resolves a command's context on the database `db` as every request did before the server
/// cached the model and rules: open, load the model, compile the rules. Returns the number of
/// orders (so the work cannot be optimised away).
pub fn resolve_context(db: &Path, rules: Option<&Path>) -> Result<usize, String> {
    let source = SourceArgs {
        db: DbArgs {
            db: db.to_path_buf(),
        },
        dataset: None,
    };
    let ctx = Context::resolve(&source, &rules_args(rules), &AtArgs::default())
        .map_err(|e| e.to_string())?;
    Ok(ctx.model.orders().len())
}

/// The shared state of a `fieldwork serve` over `db`.
pub struct ServeState(crate::serve::State);

impl ServeState {
    /// The state of a server on `db` with `rules` (none: `rules/` when it exists, else
    /// built-in).
    pub fn new(db: &Path, rules: Option<&Path>) -> Self {
        Self(crate::serve::State::new(
            PathBuf::from(db),
            rules_args(rules),
            1 << 20,
        ))
    }

    /// One request's context, as a handler gets it. Returns the number of orders.
    pub fn context(&self) -> Result<usize, String> {
        let ctx = self.0.context(None).map_err(|e| e.detail)?;
        Ok(ctx.model.orders().len())
    }
}
