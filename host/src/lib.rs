//! The `fieldwork` command-line host around the [`fieldwork`] library: its SQLite store
//! ([`sqlite`]) and PostgreSQL store ([`postgres`], with the coordination of `fieldwork worker`
//! processes), what the two share ([`sql`]), the dispatcher's board and technicians' calendars ([`views`]), progress bars
//! ([`progress`]), the commands ([`cli::main`]) and the HTTP service of `fieldwork serve` (the private
//! `serve` module: the same library calls behind axum); one module formats every value shown to
//! people or written as JSON (`format`), for the commands and the views alike. The library never depends on this crate.
//!
//! Only [`cli::main`] of the command line is public: the commands' modules are the binary's
//! implementation, not an API. The hidden `fuzzing` module holds the fuzz targets (see the
//! README's "Reliability"); it is not an API either.

pub mod alloc;
#[doc(hidden)]
pub mod benching;
pub mod cli;
pub(crate) mod format;
#[doc(hidden)]
pub mod fuzzing;
pub mod postgres;
pub mod progress;
pub(crate) mod serve;
pub mod sql;
pub mod sqlite;
pub mod views;
