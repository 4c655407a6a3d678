//! `fieldwork check`: validate a rules directory without running anything.
//!
//! [`check_dir`] loads the directory exactly as the runtime would and turns every load
//! problem into a [`Diagnostic`]; it adds warnings for likely mistakes that are not errors
//! (a helper whose name is one typo away from a hook, an empty directory).
//!
//! Rhai stops at the first syntax error of a file. To report more, the check blanks the
//! top-level item holding the error (from the `fn`/`const` line at or before it to the next
//! one after it; items are recognised by `fn`, `private fn` or `const` at the start of a line,
//! as the shipped rules are written), keeping every position, and compiles again: at most
//! [`MAX_SYNTAX_ERRORS`] errors per file. An error inside an item hides later errors of the
//! same item only.
//!
//! Running the hooks on sample data (what a static check cannot see) is
//! `fieldwork::job::probe_rules`, which `fieldwork check` adds.

use std::fmt;
use std::path::Path;

use rhai::Engine;

use super::error::{Location, RuleLoadError};
use super::hooks::{HOOKS, SCORE_PREFIX};
use super::outline::outline;
use super::ruleset::RuleSet;
use super::sandbox::build_engine;
use super::Limits;

/// The most syntax errors reported per file (see the module documentation).
pub const MAX_SYNTAX_ERRORS: usize = 20;

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
    let engine = OnceEngine::default();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "rhai") {
                if let Ok(source) = std::fs::read_to_string(&path) {
                    out.extend(near_miss_warnings(&path, &source));
                    more_syntax_errors(&engine, &path, &source, &mut out);
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
    let engine = OnceEngine::default();
    for (name, source) in sources {
        let path = Path::new(name.as_ref());
        out.extend(near_miss_warnings(path, source.as_ref()));
        more_syntax_errors(&engine, path, source.as_ref(), &mut out);
    }
    out.sort_by(|a, b| {
        a.location
            .cmp(&b.location)
            .then(a.severity.cmp(&b.severity))
    });
    out
}

/// The compiling engine, built only for files with a syntax error.
#[derive(Default)]
struct OnceEngine(std::cell::OnceCell<Engine>);

impl OnceEngine {
    fn get(&self) -> &Engine {
        self.0.get_or_init(|| build_engine(&Limits::default()).0)
    }
}

fn is_syntax_error(d: &Diagnostic, path: &Path) -> bool {
    d.is_error() && d.location.path == path && d.message.starts_with("syntax error: ")
}

/// When `out` holds a syntax error for `path`, replaces it with every syntax error the
/// recovery finds (the first is the same).
fn more_syntax_errors(engine: &OnceEngine, path: &Path, source: &str, out: &mut Vec<Diagnostic>) {
    if !out.iter().any(|d| is_syntax_error(d, path)) {
        return;
    }
    let found = syntax_errors(engine.get(), path, source);
    if found.is_empty() {
        return;
    }
    out.retain(|d| !is_syntax_error(d, path));
    out.extend(found);
}

/// Whether a line starts a top-level item (`fn`, `private fn`, `const` at column 1).
fn starts_item(line: &str) -> bool {
    ["fn ", "private fn ", "const "]
        .iter()
        .any(|k| line.starts_with(k))
}

/// Every syntax error of `source` found by blanking the failing item and compiling again, at
/// most [`MAX_SYNTAX_ERRORS`].
fn syntax_errors(engine: &Engine, path: &Path, source: &str) -> Vec<Diagnostic> {
    let mut lines: Vec<String> = source.split('\n').map(str::to_string).collect();
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| starts_item(l))
        .map(|(i, _)| i)
        .collect();
    let mut out: Vec<Diagnostic> = Vec::new();
    while out.len() < MAX_SYNTAX_ERRORS {
        let Err(e) = engine.compile(lines.join("\n")) else {
            break;
        };
        let diagnostic = Diagnostic::from(RuleLoadError::Syntax {
            location: Location::from_position(path, e.position()),
            message: e.err_type().to_string(),
        });
        if out.contains(&diagnostic) {
            break;
        }
        out.push(diagnostic);
        let Some(at) = e.position().line().map(|l| l.saturating_sub(1)) else {
            break;
        };
        let start = starts
            .iter()
            .rev()
            .find(|&&s| s <= at)
            .copied()
            .unwrap_or(0);
        let end = starts
            .iter()
            .find(|&&s| s > at)
            .copied()
            .unwrap_or(lines.len());
        let mut changed = false;
        for line in lines.iter_mut().take(end).skip(start) {
            if !line.trim().is_empty() {
                *line = " ".repeat(line.chars().count());
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
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
    fn every_recoverable_syntax_error_is_reported() {
        let src = "fn dispatch_policy() {\n    let x = ;\n    #{}\n}\n\n\
                   fn helper(a) {\n    a +* 2\n}\n\n\
                   fn eligible(order, tech) {\n    true\n}\n\n\
                   fn other() {\n    if { }\n}\n";
        let d = check_sources(&[("a.rhai", src)]);
        let lines: Vec<Option<u32>> = d.iter().map(|d| d.location.line).collect();
        assert_eq!(lines, [Some(2), Some(7), Some(15)], "{d:#?}");
        assert!(d
            .iter()
            .all(|d| d.is_error() && d.message.starts_with("syntax error: ")));
        // One error per file was all Rhai gave before.
        assert_eq!(
            d[0].to_string(),
            crate::rules::RuleSet::from_sources(&[("a.rhai", src)])
                .map(|_| String::new())
                .unwrap_err()
                .to_string()
        );
    }

    #[test]
    fn syntax_errors_are_bounded() {
        let src: String = (0..100)
            .map(|i| format!("fn f{i}() {{ let = ; }}\n"))
            .collect();
        let d = check_sources(&[("a.rhai", src.as_str())]);
        assert_eq!(d.len(), MAX_SYNTAX_ERRORS);
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
    }
}
