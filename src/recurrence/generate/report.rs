//! The result of a generation run: what was created, what already existed, what the rules
//! skipped or moved, and the lines that failed (each with its own error; the others ran).

use serde::{Serialize, Serializer};

use super::options::GroupBy;
use crate::model::OrderId;
use crate::recurrence::{RecurrenceError, Window};

/// What a generation run did.
///
/// A *work unit* is one agreement line on one local date: occurrences of a line that the
/// rules move onto the same date are merged into one unit (counted in `merged`).
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
    /// Work units already covered by an existing order (earlier run, overlapping window).
    pub skipped_existing: usize,
    /// Occurrences the adjustment skipped.
    pub skipped_by_rule: usize,
    /// Occurrences the adjustment moved to another date/time.
    pub moved_by_rule: usize,
    /// Occurrences merged into another occurrence of the same line on the same date.
    pub merged: usize,
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
            merged: 0,
            rule_calls: 0,
            errors: Vec::new(),
        }
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
