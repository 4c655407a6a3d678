//! # fieldwork
//!
//! The rules and the scheduling of a service business as an embeddable engine: service
//! agreements generate service orders on recurrence rules, SLAs put business-time deadlines on
//! them, a dispatcher ranks and schedules technicians, subscriptions are billed — all configured
//! by administrators in sandboxed Rhai rule files.
//!
//! Data flows one way: [`model`] → rules → engines → results → store. The core library knows
//! nothing of the command-line host or SQLite: those are the `fieldwork-host` package (`host/`
//! in the repository), which depends on this crate and never the other way round.

#![warn(missing_docs)]

pub mod billing;
pub mod calendar;
pub mod demo;
pub mod dispatch;
pub mod job;
pub mod model;
pub mod operations;
pub mod random;
pub mod recurrence;
pub mod repair;
pub mod rma;
pub mod rules;
pub mod schedule;
pub mod sla;
pub mod store;
