//! Repair lines and repair stages on service orders: recording a repair line checked against
//! the code tables, moving an order through repair stages, and whether its repair is finished.
//!
//! The stage table's `finished` flag marks the stages that end a repair (e.g. `DONE`,
//! `BEYOND-REPAIR`). An order with repair lines is ready to complete only in a finished stage.
//! Repair records of a completed or cancelled order are closed.
//!
//! An empty code table leaves its field free text (see
//! [`RepairCodes::check_line`](crate::model::RepairCodes::check_line)); an empty stage table
//! lets any stage through, never calls a repair finished and does not hold up completion.

use serde::Serialize;

use super::error::RepairError;
use crate::model::{RepairCodes, RepairLine, RepairStage, ServiceOrder};

/// Checks a repair line of `order` (at position `index`) against the code tables.
///
/// # Errors
/// [`RepairError::InvalidLine`] for the first field not in its table.
pub fn validate_repair_line(
    codes: &RepairCodes,
    order: &ServiceOrder,
    index: usize,
    line: &RepairLine,
) -> Result<(), RepairError> {
    match codes.check_line(line).into_iter().next() {
        None => Ok(()),
        Some((field, error)) => Err(RepairError::InvalidLine {
            order: order.id.clone(),
            line: index,
            field: field.to_owned(),
            message: error.to_string(),
        }),
    }
}

fn check_open(order: &ServiceOrder) -> Result<(), RepairError> {
    let status = order.status();
    if status.is_final() {
        return Err(RepairError::OrderClosed {
            order: order.id.clone(),
            status,
        });
    }
    Ok(())
}

/// Adds a repair line to an open order after checking it against the code tables.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use fieldwork::model::{Code, CodeArea, Priority, RepairCodes, RepairLine, ServiceOrder};
/// use fieldwork::repair::record_repair_line;
/// let codes = RepairCodes {
///     symptom_areas: vec![CodeArea { code: "COOLING".into(), description: String::new(),
///         codes: vec![Code { code: "NO-COLD".into(), description: String::new() }] }],
///     ..RepairCodes::default()
/// };
/// let mut order = ServiceOrder::new("SO-1", "C-1", Priority::High,
///     Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap());
/// let line = |code: &str| RepairLine { service_object: None, symptom_area: "COOLING".into(),
///     symptom_code: code.into(), condition: None, diagnosis_area: None,
///     diagnosis_code: None, resolution: None, note: String::new() };
/// assert!(record_repair_line(&codes, &mut order, line("NOISE")).is_err());
/// record_repair_line(&codes, &mut order, line("NO-COLD")).unwrap();
/// assert_eq!(order.repair_lines.len(), 1);
/// ```
///
/// # Errors
/// [`RepairError::OrderClosed`] for a completed or cancelled order;
/// [`RepairError::InvalidLine`] for a code not in its table. The order is unchanged on error.
pub fn record_repair_line(
    codes: &RepairCodes,
    order: &mut ServiceOrder,
    line: RepairLine,
) -> Result<(), RepairError> {
    check_open(order)?;
    validate_repair_line(codes, order, order.repair_lines.len(), &line)?;
    order.repair_lines.push(line);
    Ok(())
}

/// Checks every repair line of every order of a model; returns all problems found.
pub fn check_repair_lines<'a>(
    codes: &RepairCodes,
    orders: impl IntoIterator<Item = &'a ServiceOrder>,
) -> Vec<RepairError> {
    let mut out = Vec::new();
    for order in orders {
        for (i, line) in order.repair_lines.iter().enumerate() {
            for (field, error) in codes.check_line(line) {
                out.push(RepairError::InvalidLine {
                    order: order.id.clone(),
                    line: i,
                    field: field.to_owned(),
                    message: error.to_string(),
                });
            }
        }
    }
    out
}

/// Where an order's repair stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepairStatus {
    /// The current stage code, if any.
    pub stage: Option<String>,
    /// Whether the stage is flagged finished.
    pub finished: bool,
    /// Number of repair lines recorded.
    pub lines: usize,
}

/// The repair status of an order.
pub fn repair_status(codes: &RepairCodes, order: &ServiceOrder) -> RepairStatus {
    let stage = order.repair_stage.as_deref();
    RepairStatus {
        stage: stage.map(str::to_owned),
        finished: stage
            .and_then(|s| codes.stage(s))
            .is_some_and(|s: &RepairStage| s.finished),
        lines: order.repair_lines.len(),
    }
}

/// Moves an open order to repair stage `stage`.
///
/// # Errors
/// [`RepairError::OrderClosed`] for a completed or cancelled order;
/// [`RepairError::UnknownStage`] when the stage table is not empty and lacks `stage`.
pub fn set_repair_stage(
    codes: &RepairCodes,
    order: &mut ServiceOrder,
    stage: &str,
) -> Result<RepairStatus, RepairError> {
    check_open(order)?;
    if !codes.stages.is_empty() && codes.stage(stage).is_none() {
        return Err(RepairError::UnknownStage {
            order: order.id.clone(),
            stage: stage.to_owned(),
        });
    }
    order.repair_stage = Some(stage.to_owned());
    Ok(repair_status(codes, order))
}

/// Checks that an order may be completed as far as repair is concerned: when the dataset has
/// repair stages, an order with repair lines must be in a finished stage.
///
/// # Errors
/// [`RepairError::RepairNotFinished`] otherwise.
pub fn check_ready_to_complete(
    codes: &RepairCodes,
    order: &ServiceOrder,
) -> Result<(), RepairError> {
    let status = repair_status(codes, order);
    if !codes.stages.is_empty() && status.lines > 0 && !status.finished {
        return Err(RepairError::RepairNotFinished {
            order: order.id.clone(),
            stage: status.stage,
        });
    }
    Ok(())
}
