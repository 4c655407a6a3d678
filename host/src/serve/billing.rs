//! Billing runs: bill one month of subscriptions and post it (as `fieldwork bill`, the CLI's
//! `billing::bill_month`: periods billed before are skipped), and the posted transactions.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::auth::Principal;
use super::{blocking, json, ok, ApiError, Page, Shared};
use crate::cli::billing::{bill_month, parse_period};

/// The body of `POST /billing/runs`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingRequest {
    /// The month, YYYY-MM.
    pub period: String,
}

/// Bills one month and posts the transactions and the ledger (one batch).
#[utoipa::path(post, path = "/billing/runs", tag = "billing",
    request_body = BillingRequest,
    responses((status = 201, description = "the billing run (as `bill --json`); rules"),
              (status = 400, body = super::Problem), (status = 403, body = super::Problem)))]
pub async fn run(
    State(state): State<Shared>,
    principal: Principal,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require_manager("run billing")?;
    let request: BillingRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
    let period = parse_period(&request.period)
        .map_err(|e| ApiError::bad_request(format!("invalid period '{}': {e}", request.period)))?;
    blocking(move || {
        let mut ctx = state.context(None)?;
        let run = state.writing(|| Ok(bill_month(&mut ctx, period)?))?;
        Ok(json(StatusCode::CREATED, ctx.json(&run)))
    })
    .await
}

/// The posted billing transactions, oldest first; one page.
#[utoipa::path(get, path = "/billing/transactions", tag = "billing", params(Page),
    responses((status = 200, description = "a page of transactions"), (status = 403, body = super::Problem)))]
pub async fn transactions(
    State(state): State<Shared>,
    principal: Principal,
    Query(page): Query<Page>,
) -> Result<Response, ApiError> {
    principal.require_manager("read billing")?;
    page.resolve()?;
    blocking(move || {
        let all = fieldwork::store::Store::transactions(&*state.store()?)?;
        let (items, mut meta) = page.of(&all)?;
        meta["transactions"] =
            serde_json::to_value(items).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(ok(meta))
    })
    .await
}

/// The billing routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/billing/runs", post(run))
        .route("/billing/transactions", get(transactions))
}
