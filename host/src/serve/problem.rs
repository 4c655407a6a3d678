//! Errors as RFC 9457 problem details (`application/problem+json`): `detail` is the text the
//! CLI prints after `error: ` for the same mistake, so a host application and a person at the
//! terminal read the same message.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::cli::CliError;
use fieldwork::store::StoreError;

/// An error answered as a problem document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The explanation (the CLI's error text).
    pub detail: String,
}

/// The JSON body of a problem (RFC 9457 §3.1).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, as the CLI says it.
    pub detail: String,
}

/// The audit note a response carries: `ok` or the error's text (read by the audit layer).
#[derive(Debug, Clone)]
pub struct Outcome(pub String);

impl ApiError {
    /// An error with this status and text.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }

    /// 400: the request is wrong.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 401: no valid token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// 403: the token's role does not allow it.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 404: no such thing.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 409: it conflicts with the current state (a run of the same window is going on).
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }

    /// 500: not the client's fault.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }
}

impl From<CliError> for ApiError {
    /// A user error is 400 (404 when it is about an unknown entity — `unknown order …` — and
    /// 503 when the database is locked by another process); an internal one is 500. The text
    /// is the CLI's.
    fn from(e: CliError) -> Self {
        match e {
            CliError::User(text) => {
                let status = if text.starts_with("unknown ") {
                    StatusCode::NOT_FOUND
                } else if text.contains("is locked by another process") {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::BAD_REQUEST
                };
                Self::new(status, text)
            }
            CliError::Internal(text) => Self::internal(text),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        CliError::from(e).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        Self::new(e.status(), e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        Self::new(e.status(), e.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: "about:blank".into(),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
        };
        let text = serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned());
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            text,
        )
            .into_response();
        response.extensions_mut().insert(Outcome(self.detail));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_errors_keep_their_text_and_get_a_status() {
        let e: ApiError = CliError::User("unknown order `SO-X`".into()).into();
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        assert_eq!(e.detail, "unknown order `SO-X`");
        let e: ApiError =
            CliError::User("order SO-1 is completed: start is not allowed".into()).into();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        let e: ApiError = CliError::Internal("disk full".into()).into();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_problem_is_problem_json_with_the_detail() {
        let response =
            ApiError::conflict("a run of 2027-03-01 to 2027-03-07 is going on").into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
    }
}
