//! SLA status and compliance: every open order's metrics at "now" and the compliance of the
//! closed ones, as `fieldwork sla report --json` (the CLI's `sla::report_of`).

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::auth::Principal;
use super::orders::AtQuery;
use super::{blocking, ok, ApiError, Shared};

/// SLA status of every order and compliance, at `at` (default now), with the server's rules.
#[utoipa::path(get, path = "/sla", tag = "sla", params(AtQuery),
    responses((status = 200, description = "the SLA report (as `sla report --json`); rules and now"),
              (status = 403, body = super::Problem)))]
pub async fn report(
    State(state): State<Shared>,
    principal: Principal,
    Query(query): Query<AtQuery>,
) -> Result<Response, ApiError> {
    principal.require_office("read the SLA report")?;
    blocking(move || {
        let ctx = state.context(query.at.as_deref())?;
        let report = crate::cli::sla::report_of(&ctx)?;
        Ok(ok(ctx.json(&report)))
    })
    .await
}

/// The SLA route.
pub fn routes() -> Router<Shared> {
    Router::new().route("/sla", get(report))
}
