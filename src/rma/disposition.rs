//! Choosing a line's disposition: recorded by a person, or decided by the
//! `disposition(rma, line, object)` rule hook ([`RuleDisposition`]), or by the built-in rule
//! ([`BuiltInDisposition`]).
//!
//! The hook receives the `ReturnOrder`, the `ReturnLine` and the returned `ServiceObject` (`()`
//! when the line names no registered object) and returns a disposition name — `"credit"`,
//! `"replace"`, `"repair"`, `"scrap"`, `"return_to_customer"` — or a map
//! `#{ action: "replace", reason: "…" }` whose reason is shown to people. `()` leaves the line to
//! the built-in rule.
//!
//! The built-in rule is the shipped `rules/rma.rhai`: an object under warranty on the day the
//! return was authorised is replaced; otherwise it is repaired if repairable, else scrapped. A
//! line without a registered object (a part, a consumable) is credited when the reason is
//! [`WRONG_ITEM`] (it was never the customer's to keep) and scrapped otherwise.

use serde::Serialize;

use super::error::RmaError;
use crate::model::{DispositionCode, ReturnLine, ReturnOrder, ServiceObject};
use crate::rules::{domain, HookValue, RuleError, RuleSet};

/// Name of the disposition hook.
pub const DISPOSITION_HOOK: &str = "disposition";

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

/// The built-in rule: an object under warranty on the day the return was authorised is
/// replaced; otherwise repaired if repairable, else scrapped; a line without a registered object
/// is credited when the reason is [`WRONG_ITEM`], else scrapped.
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
            None if rma.reason_code == WRONG_ITEM => {
                (DispositionCode::Credit, "wrong item delivered".to_owned())
            }
            None => (
                DispositionCode::Scrap,
                format!("item {} is not a registered object", line.item),
            ),
            Some(o) if o.under_warranty(on) => (
                DispositionCode::Replace,
                format!(
                    "under warranty until {}",
                    o.warranty_end.map(|d| d.to_string()).unwrap_or_default()
                ),
            ),
            Some(o) if o.repairable => (
                DispositionCode::Repair,
                "out of warranty, repairable".to_owned(),
            ),
            Some(_) => (
                DispositionCode::Scrap,
                "out of warranty, not repairable".to_owned(),
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

/// Dispositions from the rules' `disposition(rma, line, object)` hook; the built-in rule where
/// the rules do not define it or it returns `()`.
///
/// ```
/// use fieldwork::model::{DispositionCode, ReturnOrder};
/// use fieldwork::rma::{DecidedBy, DispositionSource, RuleDisposition};
/// use fieldwork::rules::RuleSet;
/// let rules = RuleSet::from_sources(&[("rma.rhai", r#"
///     fn disposition(rma, line, object) {
///         if line.value < 50 { #{ action: "credit", reason: "cheaper to credit" } } else { () }
///     }"#)])?;
/// let rma: ReturnOrder = serde_json::from_str(r#"{"id": "R-1", "customer": "C-1",
///     "reason_code": "DEFECT", "status": "received", "created_at": "2027-03-01T09:00:00Z",
///     "lines": [{"line": 1, "item": "FILTER", "quantity": "1", "value": "20.00"}]}"#)?;
/// let decision = RuleDisposition(&rules).decide(&rma, &rma.lines[0], None)?;
/// assert_eq!(decision.disposition, DispositionCode::Credit);
/// assert_eq!(decision.decided_by, DecidedBy::Rule);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RuleDisposition<'a>(pub &'a RuleSet);

impl DispositionSource for RuleDisposition<'_> {
    fn decide(
        &self,
        rma: &ReturnOrder,
        line: &ReturnLine,
        object: Option<&ServiceObject>,
    ) -> Result<Decision, RmaError> {
        let rules = self.0;
        let rule_error = |source: RuleError| RmaError::Rule {
            rma: rma.id.clone(),
            line: line.line,
            source: Box::new(source),
        };
        let args = (
            domain::return_order(rma),
            domain::return_line(line),
            domain::optional(object, domain::service_object),
        );
        let answer = rules
            .call_hook(DISPOSITION_HOOK, args)
            .map_err(rule_error)?;
        let Some(value) = answer.filter(|v| !v.is_unit()) else {
            return BuiltInDisposition.decide(rma, line, object);
        };
        let value = rules.value(DISPOSITION_HOOK, value);
        let (action, reason) = if value.value().is_map() {
            let action = value
                .field("action")
                .map_err(rule_error)?
                .ok_or_else(|| rule_error(value.wrong("map with an `action`")))?;
            let reason = match value.field("reason").map_err(rule_error)? {
                Some(r) => r.string().map_err(rule_error)?,
                None => String::new(),
            };
            (action, reason)
        } else {
            (value, String::new())
        };
        let disposition = parse_disposition(&action).map_err(rule_error)?;
        Ok(Decision {
            line: line.line,
            disposition,
            reason: if reason.is_empty() {
                format!("rule: {}", disposition.as_str())
            } else {
                reason
            },
            decided_by: DecidedBy::Rule,
        })
    }
}

/// The disposition a hook value names.
fn parse_disposition(value: &HookValue) -> Result<DispositionCode, RuleError> {
    DispositionCode::parse(&value.string()?).ok_or_else(|| {
        value.wrong("\"credit\", \"replace\", \"repair\", \"scrap\" or \"return_to_customer\"")
    })
}
