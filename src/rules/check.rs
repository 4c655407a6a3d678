//! `fieldwork check`: validate a rules directory without running anything.
//!
//! [`check_dir`] loads the directory exactly as the runtime would and turns every load
//! problem into a [`Diagnostic`]; it adds warnings for likely mistakes that are not errors
//! (a helper whose name is one typo away from a hook, an empty directory).

use std::fmt;
use std::path::Path;

use super::error::{Location, RuleLoadError};
use super::hooks::{HOOKS, SCORE_PREFIX};
use super::outline::outline;
use super::ruleset::RuleSet;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The rule set does not load.
    Error,
    /// Loads, but probably not what was meant.
    Warning,
}

/// One finding of [`check_dir`]. Display: `path:line:col: message` (warnings: `path:line:col:
/// warning: message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where.
    pub location: Location,
    /// Error or warning.
    pub severity: Severity,
    /// What, without the location.
    pub message: String,
}

impl Diagnostic {
    /// Whether this diagnostic prevents the rules from loading (`fieldwork check` exits
    /// non-zero when any does).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.severity {
            Severity::Error => write!(f, "{}: {}", self.location, self.message),
            Severity::Warning => write!(f, "{}: warning: {}", self.location, self.message),
        }
    }
}

impl From<RuleLoadError> for Diagnostic {
    fn from(e: RuleLoadError) -> Self {
        let location = e.location().clone();
        let full = e.to_string();
        let prefix = format!("{location}: ");
        let message = full.strip_prefix(&prefix).unwrap_or(&full).to_string();
        Self {
            location,
            severity: Severity::Error,
            message,
        }
    }
}

/// Checks the rules directory `dir`: every load error, then warnings; sorted by file and
/// position. Empty when all is well.
pub fn check_dir(dir: impl AsRef<Path>) -> Vec<Diagnostic> {
    let dir = dir.as_ref();
    let mut out: Vec<Diagnostic> = match RuleSet::load_dir(dir) {
        Ok(rules) if rules.files().is_empty() => vec![Diagnostic {
            location: Location::file(dir),
            severity: Severity::Warning,
            message: "no *.rhai rule files: every hook uses its built-in default".to_string(),
        }],
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(Diagnostic::from).collect(),
    };
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "rhai") {
                if let Ok(source) = std::fs::read_to_string(&path) {
                    out.extend(near_miss_warnings(&path, &source));
                }
            }
        }
    }
    out.sort_by(|a, b| {
        a.location
            .cmp(&b.location)
            .then(a.severity.cmp(&b.severity))
    });
    out
}

/// Checks in-memory sources as [`RuleSet::from_sources`] would load them.
pub fn check_sources<N: AsRef<str>, S: AsRef<str>>(sources: &[(N, S)]) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = match RuleSet::from_sources(sources) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(Diagnostic::from).collect(),
    };
    for (name, source) in sources {
        out.extend(near_miss_warnings(
            Path::new(name.as_ref()),
            source.as_ref(),
        ));
    }
    out.sort_by(|a, b| {
        a.location
            .cmp(&b.location)
            .then(a.severity.cmp(&b.severity))
    });
    out
}

/// Warnings for functions whose name is within two edits of a hook name but is not one.
fn near_miss_warnings(path: &Path, source: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for f in outline(source).fns {
        if f.is_method || super::hooks::hook_spec(&f.name).is_some() {
            continue;
        }
        let candidate = HOOKS
            .iter()
            .filter(|h| h.name != SCORE_PREFIX)
            .map(|h| (edit_distance(&f.name, h.name), h.name))
            .filter(|(d, _)| *d <= 2)
            .min();
        if let Some((_, hook)) = candidate {
            out.push(Diagnostic {
                location: Location::new(path, f.line, f.column),
                severity: Severity::Warning,
                message: format!(
                    "`{}` is not a hook and will never be called by the host; did you mean `{hook}`?",
                    f.name
                ),
            });
        }
    }
    out
}

/// Levenshtein distance (small strings only).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_miss_is_a_warning() {
        let d = check_sources(&[("a.rhai", "fn eligable(order, tech) { true }")]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].severity, Severity::Warning);
        assert_eq!(
            d[0].to_string(),
            "a.rhai:1:4: warning: `eligable` is not a hook and will never be called by the host; did you mean `eligible`?"
        );
    }

    #[test]
    fn load_errors_become_diagnostics() {
        let d = check_sources(&[("a.rhai", "fn eligible(order) { true }")]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].severity, Severity::Error);
        assert!(d[0]
            .to_string()
            .starts_with("a.rhai:1:4: hook `eligible` must take 2"));
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
    }
}
