//! The return-order lifecycle: `created → received → inspected → disposition_executed →
//! closed`, one step at a time, forward only. Every other change — skipping a step, going back,
//! staying, leaving `closed` — is illegal.
//!
//! Guards: a return order becomes `inspected` and `disposition_executed` only when every line
//! has a disposition.

use super::error::RmaError;
use crate::model::{ReturnOrder, ReturnStatus};

/// The status after `status`, `None` for `closed`.
pub fn next_status(status: ReturnStatus) -> Option<ReturnStatus> {
    use ReturnStatus::*;
    match status {
        Created => Some(Received),
        Received => Some(Inspected),
        Inspected => Some(DispositionExecuted),
        DispositionExecuted => Some(Closed),
        Closed => None,
    }
}

/// Whether the lifecycle allows `from → to`.
///
/// ```
/// use fieldwork::model::ReturnStatus::*;
/// use fieldwork::rma::can_transition;
/// assert!(can_transition(Created, Received));
/// assert!(!can_transition(Created, Inspected));
/// assert!(!can_transition(Inspected, Received));
/// assert!(!can_transition(Closed, Created));
/// ```
pub fn can_transition(from: ReturnStatus, to: ReturnStatus) -> bool {
    next_status(from) == Some(to)
}

/// Checks that every line has a disposition and that line numbers are unique.
///
/// # Errors
/// [`RmaError::DuplicateLine`] or [`RmaError::MissingDisposition`] for the first offending line.
pub fn check_lines(rma: &ReturnOrder, need_disposition: bool) -> Result<(), RmaError> {
    let mut seen = std::collections::HashSet::new();
    for line in &rma.lines {
        if !seen.insert(line.line) {
            return Err(RmaError::DuplicateLine {
                rma: rma.id.clone(),
                line: line.line,
            });
        }
        if need_disposition && line.disposition.is_none() {
            return Err(RmaError::MissingDisposition {
                rma: rma.id.clone(),
                line: line.line,
            });
        }
    }
    Ok(())
}

/// Moves a return order to `to`, checking the lifecycle and its guards; the return order is
/// unchanged on error.
///
/// # Errors
/// [`RmaError::IllegalTransition`] for a change the lifecycle does not allow;
/// [`RmaError::MissingDisposition`] when entering `inspected` or `disposition_executed` with a
/// line lacking a disposition; [`RmaError::DuplicateLine`].
pub fn transition(rma: &mut ReturnOrder, to: ReturnStatus) -> Result<(), RmaError> {
    if !can_transition(rma.status, to) {
        return Err(RmaError::IllegalTransition {
            rma: rma.id.clone(),
            from: rma.status,
            to,
        });
    }
    let need_disposition = matches!(
        to,
        ReturnStatus::Inspected | ReturnStatus::DispositionExecuted
    );
    check_lines(rma, need_disposition)?;
    rma.status = to;
    Ok(())
}
