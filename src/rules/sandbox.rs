//! Construction of the sandboxed Rhai [`Engine`] and its output log.
//!
//! The engine starts from [`Engine::new_raw`] (no packages, no module resolver, no output),
//! then receives only what rules need:
//!
//! * arithmetic (integers, floats, decimals), logic, bit fields, maths (`floor`, `round`,
//!   `to_decimal`, `parse_int`…), strings, arrays, object maps, ranges and function pointers;
//! * **not** Rhai's language-core package (it holds `sleep`, which would block the host
//!   thread out of reach of every limit, `exit` and `parse_json`), the time package
//!   (`timestamp()` would make rules non-deterministic) nor blobs;
//! * a [`DummyModuleResolver`] and a module limit of zero: `import` is refused;
//! * `eval` disabled as a symbol;
//! * `print` and `debug` redirected to a bounded [`RuleLog`], never to stdout;
//! * the domain types and date helpers of [`domain`](super::domain), the `DateTime` type and
//!   business-day helpers of [`datetime`](super::datetime);
//! * every [`Limits`] value set explicitly, and a progress callback enforcing the wall clock
//!   and the memory budget.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rhai::module_resolvers::DummyModuleResolver;
use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage,
    BasicMathPackage, BasicStringPackage, BitFieldPackage, LogicPackage, MoreStringPackage,
    Package,
};
use rhai::{Dynamic, Engine, Module, OptimizationLevel};

use super::limits::{Limits, MemoryGauge, PROGRESS_CHECK_INTERVAL};

/// The token with which the progress callback terminates a script that ran out of time.
pub(crate) const WALL_CLOCK_TOKEN: &str = "fieldwork:wall-clock";

/// The token with which the progress callback terminates a script over its memory budget.
pub(crate) const MEMORY_TOKEN: &str = "fieldwork:memory";

/// Whether a log line came from `print` or `debug`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogKind {
    /// `print(x)`.
    Print,
    /// `debug(x)`.
    Debug,
}

/// One line written by a rule with `print` or `debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// `print` or `debug`.
    pub kind: LogKind,
    /// The text.
    pub text: String,
    /// The rule file (known for `debug` only).
    pub source: Option<String>,
    /// The line of the `debug` call (known for `debug` only).
    pub line: Option<usize>,
}

#[derive(Debug, Default)]
struct LogBuffer {
    entries: Vec<LogEntry>,
    dropped: u64,
}

/// The bounded buffer collecting `print`/`debug` output of rules.
///
/// Cloning gives another handle to the same buffer.
#[derive(Debug, Clone, Default)]
pub struct RuleLog {
    inner: Arc<Mutex<LogBuffer>>,
    capacity: usize,
}

impl RuleLog {
    fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::default(),
            capacity,
        }
    }

    fn push(&self, entry: LogEntry) {
        let mut buf = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if buf.entries.len() < self.capacity {
            buf.entries.push(entry);
        } else {
            buf.dropped += 1;
        }
    }

    /// A copy of the lines collected so far.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .clone()
    }

    /// Removes and returns the lines collected so far (and resets the dropped count).
    pub fn take(&self) -> Vec<LogEntry> {
        let mut buf = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        buf.dropped = 0;
        std::mem::take(&mut buf.entries)
    }

    /// How many lines were dropped because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .dropped
    }
}

/// The deadline of the hook call in progress, shared with the progress callback: nanoseconds
/// after `base`, or `u64::MAX` for none. Atomic, so the per-call cost is two stores.
///
/// It also holds the call's memory ceiling: the gauge's reading at the start of the call
/// plus [`Limits::max_memory`] (`usize::MAX` for none).
#[derive(Debug, Clone)]
pub(crate) struct Deadline {
    base: Instant,
    at_nanos: Arc<AtomicU64>,
    gauge: Option<MemoryGauge>,
    memory_budget: usize,
    memory_ceiling: Arc<AtomicUsize>,
}

impl Deadline {
    fn new(limits: &Limits) -> Self {
        Self {
            base: Instant::now(),
            at_nanos: Arc::new(AtomicU64::new(u64::MAX)),
            gauge: limits.memory_gauge,
            memory_budget: limits.max_memory,
            memory_ceiling: Arc::new(AtomicUsize::new(usize::MAX)),
        }
    }

    /// Sets the deadline `budget` from now, and the memory ceiling from the gauge's reading.
    pub(crate) fn start(&self, budget: Duration) {
        if let Some(gauge) = self.gauge {
            let ceiling = gauge.read().saturating_add(self.memory_budget);
            self.memory_ceiling.store(ceiling, Ordering::Relaxed);
        }
        let at = self
            .base
            .elapsed()
            .saturating_add(budget)
            .as_nanos()
            .try_into()
            .unwrap_or(u64::MAX);
        self.at_nanos.store(at, Ordering::Relaxed);
    }

    /// Removes the deadline.
    pub(crate) fn clear(&self) {
        self.at_nanos.store(u64::MAX, Ordering::Relaxed);
        self.memory_ceiling.store(usize::MAX, Ordering::Relaxed);
    }

    /// Whether the process's allocated bytes are above the call's ceiling.
    fn over_memory(&self) -> bool {
        self.gauge.is_some_and(|gauge| {
            let ceiling = self.memory_ceiling.load(Ordering::Relaxed);
            ceiling != usize::MAX && gauge.read() > ceiling
        })
    }

    fn passed(&self) -> bool {
        let at = self.at_nanos.load(Ordering::Relaxed);
        at != u64::MAX && u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX) >= at
    }
}

/// Builds the sandboxed engine with its log and deadline handles.
pub(crate) fn build_engine(limits: &Limits) -> (Engine, RuleLog, Deadline) {
    let mut engine = Engine::new_raw();

    // One module holding every package: function resolution searches each global module
    // in turn, so one module is cheaper than ten.
    let mut packages = Module::new();
    for package in [
        ArithmeticPackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BitFieldPackage::new().as_shared_module(),
        BasicMathPackage::new().as_shared_module(),
        BasicStringPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        BasicIteratorPackage::new().as_shared_module(),
        BasicFnPackage::new().as_shared_module(),
    ] {
        packages.combine_flatten((*package).clone());
    }
    packages.build_index();
    engine.register_global_module(packages.into());

    // Every Rhai type and function is the rule runtime's own: engines pass values built with
    // `domain` and `datetime` and register nothing.
    super::domain::register(&mut engine);
    super::datetime::register(&mut engine);

    engine.set_module_resolver(DummyModuleResolver::new());
    engine.set_max_modules(0);
    engine.disable_symbol("eval");
    engine.set_optimization_level(OptimizationLevel::Simple);

    engine.set_max_operations(limits.max_operations.max(1));
    engine.set_max_call_levels(limits.max_call_levels);
    engine.set_max_expr_depths(
        limits.max_expr_depth.max(1),
        limits.max_function_expr_depth.max(1),
    );
    engine.set_max_string_size(limits.max_string_size.max(1));
    engine.set_max_array_size(limits.max_array_size.max(1));
    engine.set_max_map_size(limits.max_map_size.max(1));
    engine.set_max_variables(limits.max_variables);
    engine.set_max_functions(limits.max_functions);

    let log = RuleLog::new(limits.max_log_entries);
    let print_log = log.clone();
    engine.on_print(move |text| {
        print_log.push(LogEntry {
            kind: LogKind::Print,
            text: text.to_string(),
            source: None,
            line: None,
        });
    });
    let debug_log = log.clone();
    engine.on_debug(move |text, source, pos| {
        debug_log.push(LogEntry {
            kind: LogKind::Debug,
            text: text.to_string(),
            source: source.map(str::to_string),
            line: pos.line(),
        });
    });

    let deadline = Deadline::new(limits);
    let progress_deadline = deadline.clone();
    // The memory gauge is read on every operation (an atomic load): one operation can
    // allocate at most a few times the string size limit, so the overshoot is small.
    engine.on_progress(move |ops| {
        if progress_deadline.over_memory() {
            Some(Dynamic::from(MEMORY_TOKEN))
        } else if ops % PROGRESS_CHECK_INTERVAL == 0 && progress_deadline.passed() {
            Some(Dynamic::from(WALL_CLOCK_TOKEN))
        } else {
            None
        }
    });

    (engine, log, deadline)
}
