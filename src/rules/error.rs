//! Errors of the rule runtime: load-time problems ([`RuleLoadError`], collected in
//! [`RuleLoadErrors`]) and call-time failures ([`RuleError`]).
//!
//! Every error that points into a rule file displays as `path:line:col: message`, the form
//! `fieldwork check` prints and editors understand.

use std::fmt;
use std::path::PathBuf;

/// A place in a rule file. `line` and `column` are 1-based; either may be unknown.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The rule file (as given to the loader: a path, or the name passed to
    /// [`RuleSet::from_sources`](super::RuleSet::from_sources)).
    pub path: PathBuf,
    /// 1-based line, if known.
    pub line: Option<u32>,
    /// 1-based column (in characters), if known.
    pub column: Option<u32>,
}

impl Location {
    /// A location with a known line and column.
    pub fn new(path: impl Into<PathBuf>, line: usize, column: usize) -> Self {
        Self {
            path: path.into(),
            line: u32::try_from(line).ok(),
            column: u32::try_from(column).ok(),
        }
    }

    /// A location naming only a file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            line: None,
            column: None,
        }
    }

    /// Builds a location from a Rhai position (which may be `NONE`).
    pub(crate) fn from_position(path: impl Into<PathBuf>, pos: rhai::Position) -> Self {
        Self {
            path: path.into(),
            line: pos.line().and_then(|l| u32::try_from(l).ok()),
            column: pos.position().and_then(|c| u32::try_from(c).ok()),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// Which sandbox limit stopped a hook call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// The operation budget ([`Limits::max_operations`](super::Limits::max_operations)).
    Operations,
    /// The wall-clock budget ([`Limits::max_duration`](super::Limits::max_duration)).
    Duration,
    /// The call depth ([`Limits::max_call_levels`](super::Limits::max_call_levels)):
    /// usually runaway recursion.
    CallLevels,
    /// A data size limit (string, array, map); the text names which one.
    DataSize(String),
    /// The number of variables ([`Limits::max_variables`](super::Limits::max_variables)).
    Variables,
    /// Module loading (always refused in the sandbox).
    Modules,
    /// The memory budget ([`Limits::max_memory`](super::Limits::max_memory), in bytes):
    /// the call allocated more than this above what the process held when it started.
    Memory(usize),
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Operations => f.write_str("operation limit exceeded"),
            Self::Duration => f.write_str("time limit exceeded"),
            Self::CallLevels => f.write_str("call depth limit exceeded (runaway recursion?)"),
            Self::DataSize(what) => write!(f, "size limit exceeded: {what}"),
            Self::Variables => f.write_str("too many variables"),
            Self::Modules => f.write_str("modules cannot be loaded in rules"),
            Self::Memory(bytes) => write!(
                f,
                "memory limit exceeded (more than {} MiB allocated by one call)",
                bytes / (1024 * 1024)
            ),
        }
    }
}

/// A problem found while loading rule files. Display: `path:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleLoadError {
    /// The directory or a file could not be read.
    #[error("{location}: cannot read: {message}")]
    Io {
        /// The path that failed.
        location: Location,
        /// The operating system's message.
        message: String,
    },
    /// The file does not compile (Rhai reports the first syntax error of each file).
    #[error("{location}: syntax error: {message}")]
    Syntax {
        /// Where the parser stopped.
        location: Location,
        /// Rhai's description.
        message: String,
    },
    /// A known hook is defined with the wrong number of parameters.
    #[error(
        "{location}: hook `{hook}` must take {expected} parameter(s) ({signature}), found {found}"
    )]
    WrongArity {
        /// Where the function is defined (its name).
        location: Location,
        /// The hook name.
        hook: String,
        /// The registry's signature, e.g. `eligible(order, tech)`.
        signature: String,
        /// Expected parameter count.
        expected: usize,
        /// Parameter count found.
        found: usize,
    },
    /// The same hook is defined in two files (or twice in one file with different
    /// parameter counts).
    #[error("{location}: hook `{hook}` is also defined at {first}")]
    DuplicateHook {
        /// The second definition.
        location: Location,
        /// The hook name.
        hook: String,
        /// The first definition.
        first: Location,
    },
    /// A statement at the top level of a file other than a `fn` definition or a `const`
    /// declaration. Hooks are called without running the top level, so such a statement
    /// would never take effect.
    #[error("{location}: only `fn` definitions and `const` declarations are allowed at the top level of a rule file")]
    TopLevelStatement {
        /// The first token of the statement.
        location: Location,
    },
    /// A top-level `const` whose value is not a literal (number, string, boolean, array or
    /// map of literals, or an expression the compiler folds into one).
    #[error("{location}: constant `{name}` must have a literal value (a number, string, boolean, or an array/map of those)")]
    NonLiteralConstant {
        /// The `const` declaration.
        location: Location,
        /// The constant's name.
        name: String,
    },
    /// The same constant is declared twice (constants are shared by all files).
    #[error("{location}: constant `{name}` is also declared at {first}")]
    DuplicateConstant {
        /// The second declaration.
        location: Location,
        /// The constant's name.
        name: String,
        /// The first declaration.
        first: Location,
    },
}

impl RuleLoadError {
    /// Where the problem is.
    pub fn location(&self) -> &Location {
        match self {
            Self::Io { location, .. }
            | Self::Syntax { location, .. }
            | Self::WrongArity { location, .. }
            | Self::DuplicateHook { location, .. }
            | Self::TopLevelStatement { location }
            | Self::NonLiteralConstant { location, .. }
            | Self::DuplicateConstant { location, .. } => location,
        }
    }
}

/// All problems found while loading a rule set (never empty when returned as an error).
///
/// Displays one problem per line; dereferences to a slice of [`RuleLoadError`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleLoadErrors(pub Vec<RuleLoadError>);

impl fmt::Display for RuleLoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleLoadErrors {}

impl std::ops::Deref for RuleLoadErrors {
    type Target = [RuleLoadError];
    fn deref(&self) -> &[RuleLoadError] {
        &self.0
    }
}

impl IntoIterator for RuleLoadErrors {
    type Item = RuleLoadError;
    type IntoIter = std::vec::IntoIter<RuleLoadError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A failure while calling a hook. Display: `path:line:col: message` where the location
/// is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The script raised an error (`throw`, a type mismatch, a missing property…).
    /// The location is the innermost position, inside nested helper functions if need be.
    #[error("{location}: in hook `{hook}`{}: {message}", via(.call_chain))]
    Runtime {
        /// The hook that was called.
        hook: String,
        /// Where the error happened.
        location: Location,
        /// Helper functions between the hook and the error, outermost first.
        call_chain: Vec<String>,
        /// What went wrong.
        message: String,
    },
    /// A sandbox limit stopped the script. Rhai does not report where a limit was hit, so
    /// the location is the hook's definition.
    #[error("{location}: in hook `{hook}`: {limit}")]
    LimitExceeded {
        /// The hook that was called.
        hook: String,
        /// The hook's definition.
        location: Location,
        /// Which limit.
        limit: LimitKind,
    },
    /// The hook was not called: earlier in the life of this rule set (one run of a command) a
    /// call of it ran into the operation, time, memory or call-depth limit, and a runaway hook
    /// is stopped once, not
    /// once per order. See [`RuleSet::reset_stopped_hooks`](super::RuleSet::reset_stopped_hooks).
    #[error("{location}: in hook `{hook}`: not called again this run (an earlier call stopped: {limit})")]
    Stopped {
        /// The hook.
        hook: String,
        /// The hook's definition.
        location: Location,
        /// The limit its earlier call exceeded.
        limit: LimitKind,
    },
    /// The hook returned a value of the wrong type or shape.
    #[error("{location}: hook `{hook}` returned {found}, expected {expected}")]
    WrongReturnType {
        /// The hook.
        hook: String,
        /// The hook's definition.
        location: Location,
        /// What the caller expected (e.g. `number`, `map field \`weights\` of numbers`).
        expected: String,
        /// What it got (type name and, for short values, the value).
        found: String,
    },
    /// The host called a hook with a number of arguments that does not match the
    /// [hook registry](super::HOOKS) (a bug in the host, not in the rules).
    #[error("hook `{hook}` takes {expected} argument(s), the host passed {found}")]
    ArgumentCount {
        /// The hook.
        hook: String,
        /// Parameters in the registry.
        expected: usize,
        /// Arguments passed.
        found: usize,
    },
    /// The host called a function that is not a known hook (a bug in the host).
    #[error("`{hook}` is not a known hook")]
    UnknownHook {
        /// The name asked for.
        hook: String,
    },
}

fn via(chain: &[String]) -> String {
    if chain.is_empty() {
        String::new()
    } else {
        format!(" (via {})", chain.join(" → "))
    }
}

impl RuleError {
    /// The hook concerned.
    pub fn hook(&self) -> &str {
        match self {
            Self::Runtime { hook, .. }
            | Self::LimitExceeded { hook, .. }
            | Self::Stopped { hook, .. }
            | Self::WrongReturnType { hook, .. }
            | Self::ArgumentCount { hook, .. }
            | Self::UnknownHook { hook } => hook,
        }
    }

    /// Where in the rule files, if the error points there.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::Runtime { location, .. }
            | Self::LimitExceeded { location, .. }
            | Self::Stopped { location, .. }
            | Self::WrongReturnType { location, .. } => Some(location),
            Self::ArgumentCount { .. } | Self::UnknownHook { .. } => None,
        }
    }

    /// Whether a sandbox limit stopped the call (or an earlier call of the same hook).
    pub fn is_limit(&self) -> bool {
        matches!(self, Self::LimitExceeded { .. } | Self::Stopped { .. })
    }
}
