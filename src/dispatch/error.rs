//! Errors of the dispatch engine: unknown entities, invalid policy settings, and rule-hook
//! output that does not have the documented shape (each naming the hook and the entity).
//!
//! [`DispatchError`] is one pointer wide (the [`DispatchErrorKind`] enum, boxed): the
//! scheduler calls [`super::PolicyContext::evaluate`] for every pair, and a wide error type
//! made each of those results a large copy (measured: ~30% of the per-pair time).

use thiserror::Error;

use crate::rules::RuleError;

/// An error of the dispatch engine; see [`DispatchError::kind`] for what went wrong.
#[derive(Debug, Error)]
#[error(transparent)]
pub struct DispatchError(Box<DispatchErrorKind>);

impl From<DispatchErrorKind> for DispatchError {
    fn from(kind: DispatchErrorKind) -> Self {
        Self(Box::new(kind))
    }
}

/// What went wrong in the dispatch engine.
#[derive(Debug, Error)]
pub enum DispatchErrorKind {
    /// The order is not in the model.
    #[error("unknown order `{0}`")]
    UnknownOrder(String),
    /// The order has no location (neither its service object nor its customer has one).
    #[error("order `{0}` has no location")]
    NoLocation(String),
    /// A hook or the workload names a technician that is not in the model.
    #[error("{context}: unknown technician `{id}`")]
    UnknownTechnician {
        /// Where the id came from (e.g. `order_profile(SO-1).required_technician`).
        context: String,
        /// The id that was not found.
        id: String,
    },
    /// A policy setting is out of its allowed range.
    #[error("dispatch policy: `{setting}`: {message}")]
    InvalidPolicy {
        /// The setting, as a dotted path (e.g. `weights.travel`).
        setting: String,
        /// What is wrong.
        message: String,
    },
    /// A rule hook returned a value that does not have the documented shape or range.
    #[error("{location}: hook `{hook}`{subject}: {message}", subject = subject_text(.subject))]
    BadHookOutput {
        /// The hook, e.g. `score_vip` or `order_profile`.
        hook: String,
        /// Where the hook is defined (`path:line:col`), when known.
        location: String,
        /// The entity it was called for (e.g. `order SO-1, technician T-2`).
        subject: Option<String>,
        /// What is wrong with the value.
        message: String,
    },
    /// A rule hook failed (script error, limit reached) or returned a value of the wrong type
    /// (e.g. a `score_<name>` grade outside 0–100, a string where a number is expected); the
    /// rule error names the hook and its `path:line:col`.
    #[error("{source}{subject}", subject = subject_suffix(.subject))]
    Rule {
        /// The entity the hook was called for (e.g. `order SO-1, technician T-2`).
        subject: Option<String>,
        /// The rule runtime's error.
        source: RuleError,
    },
}

fn subject_suffix(subject: &Option<String>) -> String {
    subject
        .as_ref()
        .map(|s| format!(" (for {s})"))
        .unwrap_or_default()
}

fn subject_text(subject: &Option<String>) -> String {
    subject
        .as_ref()
        .map(|s| format!(" for {s}"))
        .unwrap_or_default()
}

impl DispatchError {
    /// What went wrong.
    pub fn kind(&self) -> &DispatchErrorKind {
        &self.0
    }

    /// An invalid policy setting.
    pub fn policy(setting: impl Into<String>, message: impl Into<String>) -> Self {
        DispatchErrorKind::InvalidPolicy {
            setting: setting.into(),
            message: message.into(),
        }
        .into()
    }

    /// An unknown order.
    pub fn unknown_order(id: impl ToString) -> Self {
        DispatchErrorKind::UnknownOrder(id.to_string()).into()
    }

    /// An unknown technician, named where it came from.
    pub fn unknown_technician(context: impl Into<String>, id: impl ToString) -> Self {
        DispatchErrorKind::UnknownTechnician {
            context: context.into(),
            id: id.to_string(),
        }
        .into()
    }

    /// A rule-runtime error for a hook called for `subject`.
    pub fn rule(subject: Option<String>, source: RuleError) -> Self {
        DispatchErrorKind::Rule { subject, source }.into()
    }

    /// The hook that produced the error, when there is one.
    pub fn hook(&self) -> Option<&str> {
        match self.kind() {
            DispatchErrorKind::BadHookOutput { hook, .. } => Some(hook),
            DispatchErrorKind::Rule { source, .. } => Some(source.hook()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_hook_output_names_hook_location_and_subject() {
        let e = DispatchError::from(DispatchErrorKind::BadHookOutput {
            hook: "score_vip".into(),
            location: "rules/dispatch.rhai:40:1".into(),
            subject: Some("order SO-1, technician T-2".into()),
            message: "grade 140 outside 0..=100".into(),
        });
        assert_eq!(
            e.to_string(),
            "rules/dispatch.rhai:40:1: hook `score_vip` for order SO-1, technician T-2: \
             grade 140 outside 0..=100"
        );
        assert_eq!(e.hook(), Some("score_vip"));
        assert_eq!(std::mem::size_of::<DispatchError>(), 8);
    }
}
