//! The sandboxed rule runtime.
//!
//! Administrators describe policy in Rhai files (`rules/*.rhai`): SLA targets, recurrence
//! adjustments, dispatch weights, RMA dispositions, subscription pricing. This module loads
//! those files into a [`RuleSet`], checks them ([`check_dir`]) and calls their *hooks*
//! ([`HOOKS`]) in a sandbox that no rule can escape or bring down:
//!
//! * no file or module access (`import` is refused), no `eval`, no `sleep`, no output to
//!   stdout (`print`/`debug` go to a [`RuleLog`]);
//! * every resource bounded by [`Limits`]: operations, wall-clock time, call depth,
//!   expression depth, string/array/map sizes, variables, functions, memory per call (with
//!   a [`MemoryGauge`]) and stack ([`Limits::stack_size`], for the thread that calls hooks);
//! * every failure is a [`RuleError`] or [`RuleLoadError`] located as `path:line:col`.
//!
//! # Who owns what
//!
//! The rule runtime owns **every Rhai type and function** rules see: the one view of each
//! domain type ([`domain`]: `ServiceOrder`, `AgreementLine`, `BusinessCalendar`…) and business
//! time ([`datetime`]: `DateTime`, `is_business_day`, `next_business_day`,
//! `previous_business_day`). It depends only on the model and on [`calendar`](crate::calendar),
//! which does the business-day stepping. Engines (SLA, recurrence, dispatch, billing, RMA)
//! sit above it: they build hook arguments with [`domain`] and [`datetime`], call the hooks
//! through a [`RuleSet`] and read the results themselves (recurrence's `decide`, dispatch's
//! profiles…). The runtime imports no engine and has no registration hook for them, so a
//! rule sees the same functions whichever engine calls it.
//!
//! # Performance design
//!
//! A Rhai call costs 300 to 1,000 times a native call (see `benches/rules.rs`). Hooks are
//! therefore called once per run, order or technician and return *parameters* (weights,
//! targets, profiles); the per-(order, technician) grading of dispatch is native Rust. The
//! per-pair hooks `eligible` and `score_<name>` exist for the cases parameters cannot
//! express; they are optional and their cost is documented in `rules/README.md`.

#![deny(missing_docs)]

mod check;
mod convert;
pub mod datetime;
pub mod domain;
mod error;
mod hooks;
mod limits;
mod outline;
mod ruleset;
mod sandbox;

pub use check::{check_dir, check_sources, Diagnostic, Severity, MAX_SYNTAX_ERRORS};
pub use convert::{HookValue, Verdict};
pub use error::{LimitKind, Location, RuleError, RuleLoadError, RuleLoadErrors};
pub use hooks::{hook_spec, Frequency, HookSpec, HOOKS, SCORE_PREFIX};
pub use limits::{
    memory_gauge, set_memory_gauge, Limits, MemoryGauge, BASE_STACK_BYTES, PROGRESS_CHECK_INTERVAL,
    STACK_BYTES_PER_OPERATION,
};
pub use ruleset::RuleSet;
pub use sandbox::{LogEntry, LogKind, RuleLog};
