//! Progress reporting for long store-backed work (generation, persisting, scheduling): the
//! library reports phases and steps through [`Progress`]; hosts draw them (the CLI with
//! progress bars) or ignore them ([`NoProgress`]).

/// Receives progress of a long job. All methods have empty defaults.
pub trait Progress {
    /// A phase starts; `total` steps are expected (0 when unknown).
    fn start(&mut self, _phase: &str, _total: u64) {}
    /// `n` more steps of the current phase are done.
    fn advance(&mut self, _n: u64) {}
    /// The current phase is finished.
    fn finish(&mut self) {}
}

/// Ignores progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
