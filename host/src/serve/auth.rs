//! Who is asking, what they may do, and what they did.
//!
//! Every route but `/openapi.json` needs a token (`fieldwork token create`), given as
//! `Authorization: Bearer fw_…` or, for pages, feeds and event streams a browser or a calendar
//! application opens by URL, as `?token=fw_…`. Tokens are looked up by the SHA-256 of the
//! secret. Roles: *admin* (everything, the rules and the audit log), *manager* (everything but
//! the rules and the audit log), *dispatcher* (orders, candidates, plans, runs, SLA, the board),
//! *technician* (bound to one technician: their own visits, their day, their calendar, and
//! start/hold/resume/complete/repair on their own orders). Every request that changes
//! something (`POST`, `PUT`, `DELETE`) is written to the audit log with the token's subject,
//! the time, the request and the outcome — refused ones too. The line is written after the
//! answer is known, under the server's write lock; should it still fail (after
//! `AUDIT_TRIES` tries), the answer stands and the missing line is reported on stderr: a
//! client told "failed" about an operation that happened would retry it.

use axum::body::Body;
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{SubsecRound, Utc};

use super::problem::Outcome;
use super::{blocking, ok, ApiError, Page, Shared};
use crate::sql::access::{AuditEntry, Role, TokenRecord};
use fieldwork::model::{Model, OrderId, TechnicianId};
use fieldwork::schedule::plan::Plan;

/// The holder of a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's id.
    pub token: i64,
    /// Its role.
    pub role: Role,
    /// The technician a technician token is bound to.
    pub technician: Option<TechnicianId>,
    /// Who holds it.
    pub subject: String,
}

impl From<TokenRecord> for Principal {
    fn from(t: TokenRecord) -> Self {
        Self {
            token: t.id,
            role: t.role,
            technician: t.technician.map(TechnicianId::new),
            subject: t.subject,
        }
    }
}

impl Principal {
    /// Allowed when the role is one of `roles`; 403 naming the role otherwise.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::forbidden(format!(
                "a {} token may not {what} (needs {})",
                self.role,
                allowed.join(" or ")
            )))
        }
    }

    /// Orders, candidates, plans, runs, SLA and the board: admin, manager, dispatcher.
    pub fn require_office(&self, what: &str) -> Result<(), ApiError> {
        self.require(&[Role::Admin, Role::Manager, Role::Dispatcher], what)
    }

    /// Billing and return orders: admin, manager.
    pub fn require_manager(&self, what: &str) -> Result<(), ApiError> {
        self.require(&[Role::Admin, Role::Manager], what)
    }

    /// The technician's own data: a technician token bound to `technician`, or an office role.
    pub fn require_technician(&self, technician: &TechnicianId) -> Result<(), ApiError> {
        match (&self.role, &self.technician) {
            (Role::Technician, Some(own)) if own == technician => Ok(()),
            (Role::Technician, own) => Err(ApiError::forbidden(format!(
                "this technician token is bound to {}; it may not read {technician}'s visits",
                own.as_ref()
                    .map_or("no technician".to_owned(), |t| t.to_string())
            ))),
            _ => Ok(()),
        }
    }

    /// An order a technician token may see and work on: one planned on their route in the
    /// current plan, or assigned to them (`required_technician`). Office roles see every order.
    pub fn require_order(
        &self,
        model: &Model,
        plan: Option<&Plan>,
        order: &OrderId,
    ) -> Result<(), ApiError> {
        if self.role != Role::Technician {
            return Ok(());
        }
        let Some(own) = &self.technician else {
            return Err(ApiError::forbidden(
                "this technician token names no technician",
            ));
        };
        // Any visit of the order: a crew member's, a multi-day job's part.
        let planned = plan.is_some_and(|p| {
            p.visits_of(order)
                .any(|(route, _)| &route.technician == own)
        });
        let assigned = model
            .order(order)
            .is_some_and(|o| o.required_technician.as_ref() == Some(own));
        if planned || assigned {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "order {order} is not one of {own}'s visits"
            )))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("no token"))
    }
}

/// The secret of a request: `Authorization: Bearer …`, else `?token=…`.
fn secret_of(request: &Request) -> Option<String> {
    if let Some(value) = request.headers().get(header::AUTHORIZATION) {
        let text = value.to_str().ok()?;
        return text.strip_prefix("Bearer ").map(|s| s.trim().to_owned());
    }
    let query = request.uri().query()?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("token=").map(|t| t.to_owned()))
}

/// The middleware of every route that needs a token: 401 without a valid one; the
/// [`Principal`] is put in the request (for the handlers) and the response (for the audit).
pub async fn authenticate(
    State(state): State<Shared>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(secret) = secret_of(&request) else {
        return ApiError::unauthorized(
            "no token: send `Authorization: Bearer <token>` (create one with `fieldwork token create`)",
        )
        .into_response();
    };
    let found = blocking(move || Ok(state.store()?.token_for_secret(&secret)?)).await;
    let principal: Principal = match found {
        Ok(Some(record)) => record.into(),
        Ok(None) => {
            return ApiError::unauthorized("unknown or revoked token").into_response();
        }
        Err(e) => return e.into_response(),
    };
    request.extensions_mut().insert(principal.clone());
    let mut response = next.run(request).await;
    response.extensions_mut().insert(principal);
    response
}

/// The middleware that writes every changing request (`POST`, `PUT`, `DELETE`) to the audit
/// log once answered: subject, time, `METHOD /path?query body`, status and outcome.
pub async fn audit(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, state.max_body).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is larger than the server accepts",
            )
            .into_response()
        }
    };
    // The token is not written to the log.
    let query: String = parts
        .uri
        .query()
        .map(|q| {
            let kept: Vec<&str> = q.split('&').filter(|p| !p.starts_with("token=")).collect();
            if kept.is_empty() {
                String::new()
            } else {
                format!("?{}", kept.join("&"))
            }
        })
        .unwrap_or_default();
    let mut text = format!("{} {}{query}", parts.method, parts.uri.path());
    if !bytes.is_empty() {
        text.push(' ');
        text.push_str(&String::from_utf8_lossy(&bytes));
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let principal = response.extensions().get::<Principal>().cloned();
    let outcome = response
        .extensions()
        .get::<Outcome>()
        .map_or_else(|| "ok".to_owned(), |o| o.0.clone());
    let entry = AuditEntry {
        at: crate::format::rfc3339(Utc::now().trunc_subsecs(0)),
        token_id: principal.as_ref().map(|p| p.token),
        subject: principal.map_or_else(|| "anonymous".to_owned(), |p| p.subject),
        request: text,
        status: response.status().as_u16(),
        outcome,
    };
    let status = response.status();
    let written = blocking(move || {
        state.writing(|| {
            // A busy database (a run's batch, another process) gets a few more tries.
            let mut last = None;
            for _ in 0..AUDIT_TRIES {
                match state.store().and_then(|mut s| Ok(s.audit(&entry)?)) {
                    Ok(()) => return Ok(()),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or_else(|| ApiError::internal("audit not written")))
        })
    })
    .await;
    if let Err(e) = written {
        // The request was done: its answer stands (a client told "failed" would retry an
        // operation that happened). The missing audit line is reported on stderr.
        eprintln!(
            "error: the audit line of a request answered {status} could not be written: {}",
            e.detail
        );
    }
    response
}

/// Tries to write one audit line before it is reported missing.
const AUDIT_TRIES: usize = 3;

/// The audit log, newest first (admin only).
#[utoipa::path(get, path = "/audit", tag = "admin", params(Page),
    responses((status = 200, description = "audit lines, newest first"), (status = 403, body = super::Problem)))]
pub async fn audit_log(
    State(state): State<Shared>,
    principal: Principal,
    Query(page): Query<Page>,
) -> Result<Response, ApiError> {
    principal.require(&[Role::Admin], "read the audit log")?;
    let (limit, offset) = page.resolve()?;
    let lines = blocking(move || Ok(state.store()?.audit_log(limit, offset)?)).await?;
    Ok(ok(
        serde_json::json!({ "limit": limit, "offset": offset, "lines": lines }),
    ))
}

/// Who the token is.
#[utoipa::path(get, path = "/me", tag = "admin",
    responses((status = 200, description = "the token's role, technician and subject"), (status = 401, body = super::Problem)))]
pub async fn me(principal: Principal) -> Response {
    ok(serde_json::json!({
        "role": principal.role,
        "technician": principal.technician,
        "subject": principal.subject,
    }))
}

/// `/audit` and `/me`.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/audit", get(audit_log))
        .route("/me", get(me))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, technician: Option<&str>) -> Principal {
        Principal {
            token: 1,
            role,
            technician: technician.map(TechnicianId::new),
            subject: "t".into(),
        }
    }

    #[test]
    fn roles_allow_what_the_issue_says() {
        let dispatcher = principal(Role::Dispatcher, None);
        assert!(dispatcher.require_office("plan").is_ok());
        let e = dispatcher
            .require(&[Role::Admin], "replace the rules")
            .unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::FORBIDDEN);
        assert!(
            e.detail
                .contains("dispatcher token may not replace the rules"),
            "{}",
            e.detail
        );
        assert!(principal(Role::Manager, None)
            .require_manager("bill")
            .is_ok());
        assert!(dispatcher.require_manager("bill").is_err());
        let tech = principal(Role::Technician, Some("T-001"));
        assert!(tech.require_office("list orders").is_err());
        assert!(tech.require_technician(&TechnicianId::new("T-001")).is_ok());
        let e = tech
            .require_technician(&TechnicianId::new("T-002"))
            .unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::FORBIDDEN);
    }
}
