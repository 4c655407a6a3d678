//! Return orders: list, review (dispositions and the actions they imply) and the steps
//! receive, inspect, execute, close — the CLI's `rma` code (`rma::record_step` →
//! `operations::return_step` → `Store::apply_return_step`, one batch).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::auth::Principal;
use super::orders::AtQuery;
use super::{blocking, ok, ApiError, Page, Shared};
use crate::cli::rma::{record_step, review_of};
use fieldwork::operations::ReturnAction;

/// The body of a step: when it happened (default now).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// When, as `--at`.
    pub at: Option<String>,
}

/// The return orders by id; one page.
#[utoipa::path(get, path = "/returns", tag = "returns", params(Page),
    responses((status = 200, description = "a page of return orders"), (status = 403, body = super::Problem)))]
pub async fn list(
    State(state): State<Shared>,
    principal: Principal,
    Query(page): Query<Page>,
) -> Result<Response, ApiError> {
    principal.require_manager("read return orders")?;
    page.resolve()?;
    blocking(move || {
        let ctx = state.context(None)?;
        let mut all: Vec<_> = ctx.model.return_orders().iter().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        let (items, mut meta) = page.of(&all)?;
        meta["return_orders"] =
            serde_json::to_value(items).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(ok(ctx.json(&meta)))
    })
    .await
}

/// One return order: its lines, dispositions (rule or stored) and the next status.
#[utoipa::path(get, path = "/returns/{id}", tag = "returns",
    params(("id" = String, Path, description = "the return order"), AtQuery),
    responses((status = 200, description = "the review (as `rma --order ID --json`); rules and now"),
              (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn get_return(
    State(state): State<Shared>,
    principal: Principal,
    Path(id): Path<String>,
    Query(query): Query<AtQuery>,
) -> Result<Response, ApiError> {
    principal.require_manager("read return orders")?;
    blocking(move || {
        let ctx = state.context(query.at.as_deref())?;
        let review = review_of(&ctx, &id)?;
        Ok(ok(ctx.json(&review)))
    })
    .await
}

/// Moves a return order a step: receive, inspect, execute or close.
#[utoipa::path(post, path = "/returns/{id}/{action}", tag = "returns",
    params(("id" = String, Path, description = "the return order"),
           ("action" = String, Path, description = "receive, inspect, execute or close")),
    request_body(content = StepRequest, description = "optional: at"),
    responses((status = 200, description = "the step: from, status, orders created, credits posted"),
              (status = 400, body = super::Problem), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn step(
    State(state): State<Shared>,
    principal: Principal,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require_manager("move return orders")?;
    let action = match action.as_str() {
        "receive" => ReturnAction::Receive,
        "inspect" => ReturnAction::Inspect,
        "execute" => ReturnAction::Execute,
        "close" => ReturnAction::Close,
        other => {
            return Err(ApiError::not_found(format!(
                "unknown step `{other}`: expected receive, inspect, execute or close"
            )))
        }
    };
    let request: StepRequest = if body.iter().all(u8::is_ascii_whitespace) {
        StepRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?
    };
    blocking(move || {
        let mut ctx = state.context(request.at.as_deref())?;
        let (_, json) = state.writing(|| Ok(record_step(&mut ctx, &id, action)?))?;
        Ok(ok(json))
    })
    .await
}

/// The return-order routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/returns", get(list))
        .route("/returns/{id}", get(get_return))
        .route("/returns/{id}/{action}", post(step))
}
