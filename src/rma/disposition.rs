//! Choosing a line's disposition: recorded by a person, or decided by the
//! `disposition(rma, line, object)` rule hook, or by the built-in rule.
//!
//! The built-in rule is the shipped `rules/rma.rhai`: an object under warranty on the day the
//! return was authorised is replaced; otherwise it is repaired if repairable, else scrapped. A
//! line without a registered object (a part, a consumable) is credited when the reason is
//! [`WRONG_ITEM`] (it was never the customer's to keep) and scrapped otherwise.

use serde::Serialize;

use super::error::RmaError;
use crate::model::{DispositionCode, ReturnLine, ReturnOrder, ServiceObject};

/// The return reason code for goods delivered by mistake.
pub const WRONG_ITEM: &str = "WRONG-ITEM";

/// Who decided a disposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// Recorded on the line (by a person, or by an earlier inspection).
    Recorded,
    /// The `disposition` rule hook.
    Rule,
    /// The built-in rule.
    BuiltIn,
}

/// A disposition and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The line number.
    pub line: u32,
    /// The disposition.
    pub disposition: DispositionCode,
    /// Why (for people reading the RMA).
    pub reason: String,
    /// Who decided.
    pub decided_by: DecidedBy,
}

/// Decides dispositions for lines that have none. Called once per undecided line.
pub trait DispositionSource {
    /// The disposition of `line` of `rma`, whose returned object is `object` (when the line
    /// names a registered service object).
    ///
    /// # Errors
    /// Whatever prevents deciding (a failing rule, an unknown disposition name).
    fn decide(
        &self,
        rma: &ReturnOrder,
        line: &ReturnLine,
        object: Option<&ServiceObject>,
    ) -> Result<Decision, RmaError>;
}

/// The built-in rule (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltInDisposition;

impl DispositionSource for BuiltInDisposition {
    fn decide(
        &self,
        rma: &ReturnOrder,
        line: &ReturnLine,
        object: Option<&ServiceObject>,
    ) -> Result<Decision, RmaError> {
        let on = rma.created_at.date_naive();
        let (disposition, reason) = match object {
            None if rma.reason_code == WRONG_ITEM => (
                DispositionCode::Credit,
                "wrong item delivered: credit".to_owned(),
            ),
            None => (
                DispositionCode::Scrap,
                format!("{} is not a registered object: scrap", line.item),
            ),
            Some(o) if o.under_warranty(on) => (
                DispositionCode::Replace,
                format!(
                    "under warranty until {}: replace",
                    o.warranty_end.map(|d| d.to_string()).unwrap_or_default()
                ),
            ),
            Some(o) if o.repairable => (
                DispositionCode::Repair,
                "out of warranty, repairable: repair".to_owned(),
            ),
            Some(_) => (
                DispositionCode::Scrap,
                "out of warranty, not repairable: scrap".to_owned(),
            ),
        };
        Ok(Decision {
            line: line.line,
            disposition,
            reason,
            decided_by: DecidedBy::BuiltIn,
        })
    }
}
