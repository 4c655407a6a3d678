//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the request types, served at `/openapi.json` (no token needed: it
//! describes, it does not reveal data).

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::Shared;

/// The bearer-token scheme every route but this one uses.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "a token from `fieldwork token create`; or ?token= on pages and event streams",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "fieldwork",
        description = "The HTTP API of `fieldwork serve`: orders and their operations, dispatch candidates, the main job (asynchronous runs with server-sent progress), the current plan and plan diffs, SLA, billing, return orders, rules, the live board and technicians' days and calendars. Errors are RFC 9457 problem documents whose `detail` is the command line's error text. Every answer that depends on the rules names them (`rules`) and its `now`."
    ),
    paths(
        super::orders::list_orders,
        super::orders::create_order,
        super::orders::get_order,
        super::orders::operate,
        super::orders::candidates,
        super::orders::slots,
        super::runs::start_run,
        super::runs::list_runs,
        super::runs::get_run,
        super::runs::run_events,
        super::runs::run_diff,
        super::runs::plan,
        super::sla::report,
        super::billing::run,
        super::billing::transactions,
        super::returns::list,
        super::returns::get_return,
        super::returns::step,
        super::rules::check,
        super::rules::replace,
        super::board::board,
        super::board::events,
        super::board::me_today,
        super::board::technician_today,
        super::board::calendar,
        super::auth::audit_log,
        super::auth::me,
    ),
    components(schemas(
        super::Problem,
        super::orders::OperationRequest,
        super::runs::RunRequest,
        super::billing::BillingRequest,
        super::returns::StepRequest,
        super::rules::RuleFiles,
    )),
    modifiers(&BearerToken),
    security(("token" = []))
)]
pub struct ApiDoc;

/// The document as JSON.
pub fn document() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()
}

async fn serve_document() -> Response {
    axum::Json(document()).into_response()
}

/// `/openapi.json`.
pub fn routes() -> Router<Shared> {
    Router::new().route("/openapi.json", get(serve_document))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_route_of_the_router() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/orders",
            "/orders/{id}",
            "/orders/{id}/{action}",
            "/orders/{id}/candidates",
            "/orders/{id}/slots",
            "/runs",
            "/runs/{id}/events",
            "/runs/{id}/diff",
            "/plan",
            "/sla",
            "/billing/runs",
            "/returns/{id}/{action}",
            "/rules/check",
            "/rules",
            "/board",
            "/me/today",
            "/technicians/{id}/calendar.ics",
        ] {
            assert!(
                paths.contains_key(path),
                "{path} missing from the OpenAPI document"
            );
        }
        assert!(doc["components"]["securitySchemes"]["token"].is_object());
    }
}
