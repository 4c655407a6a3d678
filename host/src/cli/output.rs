//! Output helpers shared by the commands: JSON vs human text (tables and other formats live in
//! [`super::format`]), the CLI error type and its exit codes.

use serde::Serialize;
use std::fmt;
use std::io::{self, Write};

/// `println!` for command output: writes through [`write_stdout`], so a closed pipe
/// (`fieldwork export | head`) ends the command quietly instead of panicking.
macro_rules! say {
    () => {
        $crate::cli::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes to stdout. When the reader has gone (a broken pipe) the process exits with status 0,
/// as `head`-style consumers expect; any other write error is reported and exits with status 2.
pub fn write_stdout(args: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write output: {e}");
        std::process::exit(2);
    }
}

/// An error the CLI reports as `error: …` with an exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad input or usage: exit code 1.
    User(String),
    /// A failure that is not the user's fault: exit code 2.
    Internal(String),
}

impl CliError {
    /// The process exit code: 1 for user errors, 2 for internal ones.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::User(_) => 1,
            CliError::Internal(_) => 2,
        }
    }

    /// A user error from anything displayable.
    pub fn user(e: impl fmt::Display) -> Self {
        CliError::User(e.to_string())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::User(m) | CliError::Internal(m) => f.write_str(m),
        }
    }
}

impl From<fieldwork::model::ModelError> for CliError {
    fn from(e: fieldwork::model::ModelError) -> Self {
        CliError::User(e.to_string())
    }
}

/// Where commands write: JSON or human text on stdout; progress only when not quiet.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// `--json` was given.
    pub json: bool,
    /// `--quiet` was given.
    pub quiet: bool,
}

impl Output {
    /// Builds the output settings.
    pub fn new(json: bool, quiet: bool) -> Self {
        Self { json, quiet }
    }

    /// Prints a value as pretty JSON; its instants are RFC 3339 in UTC with whole seconds
    /// ([`crate::format::normalize_json`]).
    pub fn print_json<T: Serialize>(&self, value: &T) -> Result<(), CliError> {
        let mut value = serde_json::to_value(value)
            .map_err(|e| CliError::Internal(format!("cannot serialise output: {e}")))?;
        crate::format::normalize_json(&mut value);
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| CliError::Internal(format!("cannot serialise output: {e}")))?;
        say!("{text}");
        Ok(())
    }

    /// Whether progress bars and chatter may be shown on stderr.
    pub fn show_progress(&self) -> bool {
        !self.quiet && !self.json
    }
}

pub use crate::format::table;
