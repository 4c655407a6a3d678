//! The rules: `check` a rule set (the server's own, or files sent in the body) as
//! `fieldwork check` does (`job::check_rules_dir`: load errors, syntax, and the hooks run on
//! the demo data), and — admin only — replace the server's rules directory with a set of
//! files, atomically, after a successful check.
//!
//! The replacement writes the files into a staging directory beside the rules directory,
//! checks it, and swaps it in under the server's rules lock: no request loads a half-written
//! or half-swapped rule set, and a failed check changes nothing.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{post, put};
use axum::Router;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::auth::Principal;
use super::problem::Outcome;
use super::{blocking, json, ok, ApiError, Shared};
use crate::sql::access::Role;
use fieldwork::job::check_rules_dir;
use fieldwork::rules::Diagnostic;

/// At most this many files in a rule set sent to the server.
pub const MAX_RULE_FILES: usize = 64;

/// A rule set sent to the server: file name (`name.rhai`) → its text.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFiles {
    /// `sla.rhai` → the file's text.
    pub files: BTreeMap<String, String>,
}

static STAGING: AtomicU64 = AtomicU64::new(0);

fn valid_name(name: &str) -> bool {
    name.strip_suffix(".rhai").is_some_and(|stem| {
        !stem.is_empty()
            && stem
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

/// Writes the files into a new staging directory beside `target`.
fn stage(target: &Path, files: &RuleFiles) -> Result<PathBuf, ApiError> {
    if files.files.len() > MAX_RULE_FILES {
        return Err(ApiError::bad_request(format!(
            "{} files: at most {MAX_RULE_FILES} rule files",
            files.files.len()
        )));
    }
    if let Some(bad) = files.files.keys().find(|n| !valid_name(n)) {
        return Err(ApiError::bad_request(format!(
            "invalid rule file name '{bad}': expected NAME.rhai (letters, digits, _ and -)"
        )));
    }
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map_or("rules".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(
        ".{name}.staging-{}-{}",
        std::process::id(),
        STAGING.fetch_add(1, Ordering::Relaxed)
    ));
    let io = |e: std::io::Error| ApiError::internal(format!("{}: {e}", staging.display()));
    std::fs::create_dir_all(&staging).map_err(io)?;
    for (file, text) in &files.files {
        std::fs::write(staging.join(file), text).map_err(io)?;
    }
    Ok(staging)
}

/// The diagnostics as JSON, their paths shown under `shown` instead of the staging directory.
fn problems(diagnostics: &[Diagnostic], staging: Option<&Path>, shown: &Path) -> serde_json::Value {
    diagnostics
        .iter()
        .map(|d| {
            let path = match staging.and_then(|s| d.location.path.strip_prefix(s).ok()) {
                Some(rest) => shown.join(rest),
                None => d.location.path.clone(),
            };
            serde_json::json!({
                "path": path,
                "line": d.location.line,
                "column": d.location.column,
                "error": d.is_error(),
                "message": d.message,
            })
        })
        .collect()
}

fn parse_files(body: &Bytes) -> Result<Option<RuleFiles>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
}

/// Checks a rule set: the files in the body (`{"files": {"sla.rhai": "…"}}`), or the server's
/// own rules when the body is empty. 200 with `errors: 0`, or 422 listing the problems as
/// `path:line:col` and message (as `fieldwork check --json`).
#[utoipa::path(post, path = "/rules/check", tag = "rules",
    request_body(content = RuleFiles, description = "optional: the files to check"),
    responses((status = 200, description = "no error: dir, errors 0, problems (warnings)"),
              (status = 422, description = "errors: the problems"),
              (status = 403, body = super::Problem)))]
pub async fn check(
    State(state): State<Shared>,
    principal: Principal,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require(&[Role::Admin, Role::Manager], "check rules")?;
    let files = parse_files(&body)?;
    blocking(move || {
        let target = state.rules_dir();
        let (dir, staging) = match &files {
            Some(files) => {
                let staging = stage(&target, files)?;
                (staging.clone(), Some(staging))
            }
            None => (target.clone(), None),
        };
        let diagnostics = check_rules_dir(&dir);
        if let Some(staging) = &staging {
            let _ = std::fs::remove_dir_all(staging);
        }
        Ok(check_answer(
            &diagnostics,
            staging.as_deref(),
            &target,
            false,
        ))
    })
    .await
}

/// The answer of a check: 200, or 422 with the problems when any is an error.
fn check_answer(
    diagnostics: &[Diagnostic],
    staging: Option<&Path>,
    shown: &Path,
    replaced: bool,
) -> Response {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let body = serde_json::json!({
        "dir": shown,
        "errors": errors,
        "problems": problems(diagnostics, staging, shown),
        "replaced": replaced,
    });
    if errors == 0 {
        return ok(body);
    }
    let detail = format!("{}: {errors} problem(s) in the rules", shown.display());
    let mut response = json(StatusCode::UNPROCESSABLE_ENTITY, body);
    response.extensions_mut().insert(Outcome(detail));
    response
}

/// Replaces the server's rules directory with the files of the body, atomically, if they pass
/// the check (admin only). 422 with the problems otherwise, and nothing changes.
#[utoipa::path(put, path = "/rules", tag = "rules",
    request_body = RuleFiles,
    responses((status = 200, description = "replaced: dir, errors 0, problems (warnings)"),
              (status = 422, description = "the check failed: the problems; nothing changed"),
              (status = 403, body = super::Problem, description = "only an admin token may replace the rules")))]
pub async fn replace(
    State(state): State<Shared>,
    principal: Principal,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require(&[Role::Admin], "replace the rules")?;
    let files = parse_files(&body)?.ok_or_else(|| {
        ApiError::bad_request("give the rule set: {\"files\": {\"NAME.rhai\": \"…\"}}")
    })?;
    blocking(move || {
        let target = state.rules_dir();
        let staging = stage(&target, &files)?;
        let diagnostics = check_rules_dir(&staging);
        if diagnostics.iter().any(Diagnostic::is_error) {
            let _ = std::fs::remove_dir_all(&staging);
            return Ok(check_answer(&diagnostics, Some(&staging), &target, false));
        }
        let _writing = state
            .rules_lock
            .write()
            .map_err(|_| ApiError::internal("the rules lock is poisoned"))?;
        let io = |e: std::io::Error| ApiError::internal(format!("{}: {e}", target.display()));
        let old = target.with_file_name(format!(
            ".{}.old-{}-{}",
            target
                .file_name()
                .map_or("rules".into(), |n| n.to_string_lossy().into_owned()),
            std::process::id(),
            STAGING.fetch_add(1, Ordering::Relaxed)
        ));
        let had_old = target.exists();
        if had_old {
            std::fs::rename(&target, &old).map_err(io)?;
        }
        if let Err(e) = std::fs::rename(&staging, &target) {
            // Put the old rules back: nothing changed.
            if had_old {
                let _ = std::fs::rename(&old, &target);
            }
            let _ = std::fs::remove_dir_all(&staging);
            return Err(io(e));
        }
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(check_answer(&diagnostics, Some(&staging), &target, true))
    })
    .await
}

/// The rules routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/rules/check", post(check))
        .route("/rules", put(replace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_rhai_file_names_are_accepted() {
        assert!(valid_name("sla.rhai"));
        assert!(valid_name("dispatch_policy-2.rhai"));
        for bad in ["../x.rhai", "a/b.rhai", ".rhai", "x.txt", "x.rhai.bak", ""] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_clean_check_answers_200() {
        let response = check_answer(&[], None, Path::new("rules"), false);
        assert_eq!(response.status(), StatusCode::OK);
    }
}
