//! Resource limits of the rule sandbox.
//!
//! Every limit is set explicitly on the [`rhai::Engine`] (Rhai's own defaults differ between
//! debug and release builds, and several are unlimited by default). The defaults below leave
//! ample room for realistic rules while guaranteeing that a runaway script stops quickly:
//! at ~30–100 ns per operation, the operation budget ends an infinite loop in well under
//! 100 ms on a release build; the wall-clock backstop catches the rest (slow native calls
//! between two operation counts).

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

/// Reads how many bytes the process has currently allocated on its heap, for the memory
/// budget ([`Limits::max_memory`]).
///
/// A library cannot choose the global allocator (the program that embeds it does), so the
/// embedder supplies the reading: typically a counting wrapper around
/// [`std::alloc::System`] whose counter this function loads (the `fieldwork` binary installs
/// one). It is called on every Rhai operation, so it must be cheap (an atomic load).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use fieldwork::rules::{Limits, MemoryGauge};
/// static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
/// fn allocated() -> usize { ALLOCATED.load(Ordering::Relaxed) }
/// let limits = Limits { memory_gauge: Some(MemoryGauge(allocated)), ..Limits::default() };
/// assert_eq!(limits.memory_gauge.map(|g| g.read()), Some(0));
/// ```
#[derive(Clone, Copy)]
pub struct MemoryGauge(pub fn() -> usize);

impl MemoryGauge {
    /// The current reading, in bytes.
    pub fn read(self) -> usize {
        (self.0)()
    }
}

impl fmt::Debug for MemoryGauge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemoryGauge(..)")
    }
}

impl PartialEq for MemoryGauge {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.0, other.0)
    }
}

impl Eq for MemoryGauge {}

static PROCESS_GAUGE: OnceLock<MemoryGauge> = OnceLock::new();

/// Registers the process's memory gauge: every [`Limits::default()`] made afterwards uses it
/// (so every rule set loaded with default limits enforces [`Limits::max_memory`]). Only the
/// first registration counts; returns whether this one did.
pub fn set_memory_gauge(gauge: MemoryGauge) -> bool {
    PROCESS_GAUGE.set(gauge).is_ok()
}

/// The memory gauge registered with [`set_memory_gauge`], if any.
pub fn memory_gauge() -> Option<MemoryGauge> {
    PROCESS_GAUGE.get().copied()
}

/// Stack a thread needs per Rhai operation of a hook call, in bytes (measured: 170 to 320
/// bytes per level of a closure chain, the deepest structure a rule can build; rounded up).
///
/// Each level of nesting of a value a rule builds (a closure capturing a closure…) costs at
/// least one operation, so the depth of anything a call builds, and of the recursion that
/// drops, clones or compares it, is at most [`Limits::max_operations`].
pub const STACK_BYTES_PER_OPERATION: usize = 512;

/// Stack reserved on top of the per-operation share by [`Limits::stack_size`]: the caller's
/// own frames and Rhai's evaluation of [`Limits::max_call_levels`] nested calls.
pub const BASE_STACK_BYTES: usize = 16 * 1024 * 1024;

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
    /// Heap memory one hook call may allocate above what the process had allocated when the
    /// call started, in bytes, checked on every operation through
    /// [`memory_gauge`](Self::memory_gauge). Default: 256 MiB. Without a gauge it is not
    /// enforced (the size limits and the operation budget are then the only bounds).
    pub max_memory: usize,
    /// How to read the process's allocated bytes (see [`MemoryGauge`]). Default: the gauge
    /// registered with [`set_memory_gauge`], if any.
    pub memory_gauge: Option<MemoryGauge>,
    /// Maximum number of Rhai operations (expression evaluations, loop iterations, function
    /// calls…) in one hook call. Default: 1,000,000. It also bounds how deeply anything a call
    /// builds can be nested, hence the stack it needs ([`stack_size`](Self::stack_size)).
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
    /// Default: 10,000. Not enforced by Rhai 1.27 on `m[key] = value` (it checks the inserted
    /// value, not the map); [`max_memory`](Self::max_memory) and the operation budget bound
    /// such insertions.
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
            max_memory: 256 * 1024 * 1024,
            memory_gauge: memory_gauge(),
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

impl Limits {
    /// The stack a thread must have to call hooks under these limits without any script
    /// being able to overflow it: [`max_operations`](Self::max_operations) ×
    /// [`STACK_BYTES_PER_OPERATION`] + [`BASE_STACK_BYTES`] (about 504 MiB with the defaults).
    ///
    /// Hooks run on the caller's thread: run them on a thread spawned with at least this
    /// stack size (the `fieldwork` binary runs its commands on one). The stack is reserved
    /// address space; only the pages a call really touches become resident.
    ///
    /// ```
    /// use fieldwork::rules::Limits;
    /// assert_eq!(Limits::default().stack_size(), 1_000_000 * 512 + 16 * 1024 * 1024);
    /// ```
    pub fn stack_size(&self) -> usize {
        usize::try_from(self.max_operations)
            .unwrap_or(usize::MAX)
            .saturating_mul(STACK_BYTES_PER_OPERATION)
            .saturating_add(BASE_STACK_BYTES)
    }
}
