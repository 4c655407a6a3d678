//! The command-line host (feature `host`): the `fieldwork` binary's commands, its SQLite store
//! and its progress bars. The core library never depends on this module.

pub mod cli;
pub mod progress;
pub mod sqlite;
pub mod views;
