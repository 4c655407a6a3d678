//! The command-line host (feature `host`): the `fieldwork` binary's commands and, as the host
//! issue lands, its SQLite store. The core library never depends on this module.

pub mod cli;
pub mod views;
