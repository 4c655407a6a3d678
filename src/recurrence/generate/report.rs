//! The result of a generation run: what was created, what already existed, what the rules
//! skipped or moved, and the lines that failed (each with its own error; the others ran).

use serde::{Serialize, Serializer};

use super::options::GroupBy;
use crate::model::OrderId;
use crate::recurrence::{RecurrenceError, Window};

/// What a generation run did.
///
/// A *work unit* is one agreement line on one local date: occurrences of a line that the
/// rules move onto the same date are merged into one unit, and with a grouping
/// ([`GroupBy::Agreement`], [`GroupBy::Object`]) the units of one group and date become one
/// order. Every occurrence is accounted for exactly once (see [`GenerationReport::accounted`]):
///
/// `occurrences = created + merged + skipped_existing + skipped_by_rule + rejected`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerationReport {
    /// The window of local dates the occurrences were taken from.
    #[serde(serialize_with = "window_text")]
    pub window: Window,
    /// The grouping used.
    pub group_by: GroupBy,
    /// Active lines whose validity overlaps the window.
    pub lines: usize,
    /// Occurrences of those lines in the window (after EXDATE/RDATE, before adjustment).
    pub occurrences: usize,
    /// Ids of the orders created, in creation order.
    pub created: Vec<OrderId>,
    /// Work units already covered by an existing order (earlier run, overlapping window); the
    /// other occurrences of such a unit are counted in `merged`.
    pub skipped_existing: usize,
    /// Occurrences the `adjust_occurrence` rule skipped.
    pub skipped_by_rule: usize,
    /// Occurrences the `adjust_occurrence` rule moved to another date/time.
    pub moved_by_rule: usize,
    /// Occurrences the built-in non-business-day policy moved (no `adjust_occurrence` rule).
    pub moved_by_policy: usize,
    /// Occurrences that did not get an order of their own because they joined another
    /// occurrence's order or unit: of the same line on the same date, or of the same group and
    /// date under a grouping.
    pub merged: usize,
    /// Orders the model refused (each also in `errors`, as [`RecurrenceError::Order`]).
    pub rejected: usize,
    /// Calls of the `adjust_occurrence` rule (0 when the native policy decided).
    pub rule_calls: u64,
    /// Lines that failed; none of their occurrences became orders.
    #[serde(serialize_with = "error_texts")]
    pub errors: Vec<RecurrenceError>,
}

impl GenerationReport {
    pub(crate) fn new(window: Window, group_by: GroupBy) -> Self {
        Self {
            window,
            group_by,
            lines: 0,
            occurrences: 0,
            created: Vec::new(),
            skipped_existing: 0,
            skipped_by_rule: 0,
            moved_by_rule: 0,
            moved_by_policy: 0,
            merged: 0,
            rejected: 0,
            rule_calls: 0,
            errors: Vec::new(),
        }
    }

    /// Occurrences accounted for: `created + merged + skipped_existing + skipped_by_rule +
    /// rejected`, which equals [`Self::occurrences`] (lines that failed count in neither).
    pub fn accounted(&self) -> usize {
        self.created.len()
            + self.merged
            + self.skipped_existing
            + self.skipped_by_rule
            + self.rejected
    }
}

fn window_text<S: Serializer>(window: &Window, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Text {
        from: String,
        to: String,
    }
    Text {
        from: window.from().to_string(),
        to: window.to().to_string(),
    }
    .serialize(s)
}

fn error_texts<S: Serializer>(errors: &[RecurrenceError], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Failure {
        line: String,
        error: String,
    }
    s.collect_seq(errors.iter().map(|e| Failure {
        line: e.line().to_string(),
        error: e.to_string(),
    }))
}
