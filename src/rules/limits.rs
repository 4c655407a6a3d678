//! Resource limits of the rule sandbox.
//!
//! Every limit is set explicitly on the [`rhai::Engine`] (Rhai's own defaults differ between
//! debug and release builds, and several are unlimited by default). The defaults below leave
//! ample room for realistic rules while guaranteeing that a runaway script stops quickly:
//! at ~30–100 ns per operation, the operation budget ends an infinite loop in well under
//! 100 ms on a release build; the wall-clock backstop catches the rest (slow native calls
//! between two operation counts).

use std::time::Duration;

/// The limits applied to every rule evaluation (compilation and each hook call).
///
/// All counters are **per hook call**: the operation budget, the wall clock and the call
/// depth start afresh on every [`RuleSet::call_hook`](super::RuleSet::call_hook).
///
/// ```
/// use fieldwork::rules::Limits;
/// let strict = Limits { max_operations: 100_000, ..Limits::default() };
/// assert!(strict.max_operations < Limits::default().max_operations);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum number of Rhai operations (expression evaluations, loop iterations, function
    /// calls…) in one hook call. Default: 1,000,000. This is also what stops map-insertion
    /// bombs: Rhai 1.27 does not enforce [`max_map_size`](Self::max_map_size) on `m[k] = v`.
    pub max_operations: u64,
    /// Wall-clock budget of one hook call, checked from Rhai's progress callback every
    /// [`PROGRESS_CHECK_INTERVAL`] operations. Default: 500 ms.
    pub max_duration: Duration,
    /// Maximum depth of nested function calls (recursion). Set explicitly because Rhai's own
    /// default is 8 in debug builds and 64 in release builds. Default: 32.
    pub max_call_levels: usize,
    /// Maximum nesting depth of statements and expressions at the top level of a file.
    /// Default: 64. Keep it bounded: a deeply nested expression could otherwise overflow the
    /// parser's stack.
    pub max_expr_depth: usize,
    /// Maximum nesting depth of statements and expressions inside a function body.
    /// Default: 32.
    pub max_function_expr_depth: usize,
    /// Maximum length of a string (in bytes, as counted by Rhai). Default: 65,536.
    pub max_string_size: usize,
    /// Maximum number of elements of an array. Default: 10,000 (size checks make array
    /// growth quadratic, so keep this modest).
    pub max_array_size: usize,
    /// Maximum number of properties of an object map built by literals or map functions.
    /// Default: 10,000. Not enforced by Rhai on `m[key] = value`; the operation budget is
    /// the effective guard there.
    pub max_map_size: usize,
    /// Maximum number of variables in scope at any instant. Default: 256.
    pub max_variables: usize,
    /// Maximum number of functions defined in one rule file. Default: 256.
    pub max_functions: usize,
    /// Maximum number of `print`/`debug` lines kept in the [`RuleLog`](super::RuleLog);
    /// later lines are counted but dropped. Default: 1,000.
    pub max_log_entries: usize,
}

/// How many Rhai operations pass between two wall-clock checks in the progress callback.
pub const PROGRESS_CHECK_INTERVAL: u64 = 1024;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: 1_000_000,
            max_duration: Duration::from_millis(500),
            max_call_levels: 32,
            max_expr_depth: 64,
            max_function_expr_depth: 32,
            max_string_size: 64 * 1024,
            max_array_size: 10_000,
            max_map_size: 10_000,
            max_variables: 256,
            max_functions: 256,
            max_log_entries: 1_000,
        }
    }
}
