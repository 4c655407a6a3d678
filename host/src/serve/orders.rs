//! Orders: list and filter, get, create (manual orders), every operation of the day (start,
//! hold, resume, complete, cancel, priority, assign, book, repair), and the dispatch candidates
//! and appointment slots of an order. Operations go through the CLI's `order` code (`cli::order::apply` →
//! `Store::apply_operation`, one transaction), so the validation and the messages are the
//! command's.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::auth::Principal;
use super::{blocking, json, ok, ApiError, Page, Shared};
use crate::cli::context::{parse_at, AtArgs, Context};
use crate::cli::order::{apply, repair_line, shown_json, window_to_book, RepairInput};
use crate::cli::slots::{offered, SearchArgs};
use crate::sql::access::Role;
use fieldwork::model::{
    Dataset, OrderAction, OrderId, OrderOrigin, OrderStatus, Priority, ServiceOrder, TechnicianId,
};
use fieldwork::store::{current_plan, ImportMode};

/// `at`: "now" of a read, as `--at` is written (an RFC 3339 instant or a local time of the
/// business); the current time when absent.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct AtQuery {
    /// "Now" (`2027-03-01T07:00:00Z` or `2027-03-01T08:00`).
    pub at: Option<String>,
}

/// Filters of `GET /orders`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct OrderFilter {
    /// Only this status (`created`, `scheduled`, `in_progress`, `on_hold`, `completed`,
    /// `cancelled`).
    pub status: Option<String>,
    /// Only this customer.
    pub customer: Option<String>,
    /// Only this priority (`critical`, `high`, `normal`, `low`).
    pub priority: Option<String>,
    /// Only orders assigned (`required_technician`) to this technician.
    pub technician: Option<String>,
    /// Items per page (1 to 1000, default 100).
    pub limit: Option<usize>,
    /// Items skipped (default 0).
    pub offset: Option<usize>,
    /// "Now".
    pub at: Option<String>,
}

/// The body of an operation (`POST /orders/{id}/{action}`); every field is optional, each
/// operation reads the ones it needs, as the command's flags.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationRequest {
    /// When it happened, as `--at` (default now).
    pub at: Option<String>,
    /// Why (kept in the history).
    pub reason: Option<String>,
    /// `priority`: critical, high, normal or low.
    pub priority: Option<String>,
    /// `assign`: the technician.
    pub technician: Option<String>,
    /// `assign`: the start, as `--at` is written.
    pub start: Option<String>,
    /// `repair`: the symptom as AREA/CODE (adds a repair line).
    pub symptom: Option<String>,
    /// `repair`: the condition found.
    pub condition: Option<String>,
    /// `repair`: the diagnosis as AREA/CODE or AREA.
    pub diagnosis: Option<String>,
    /// `repair`: the resolution applied.
    pub resolution: Option<String>,
    /// `repair`: the object repaired.
    pub object: Option<String>,
    /// `repair`: free text on the line.
    pub note: Option<String>,
    /// `repair`: the new repair stage.
    pub stage: Option<String>,
    /// `book`: a window of your own, `FROM/TO`, each as `at` is written.
    pub window: Option<String>,
    /// `book`: the number of a window `GET /orders/{id}/slots` offers (1 = the first; searched
    /// again with `days`, `count`, `window_minutes`).
    pub slot: Option<usize>,
    /// `book` with `slot`: days to look ahead (default 7).
    pub days: Option<u32>,
    /// `book` with `slot`: windows offered (default 5).
    pub count: Option<usize>,
    /// `book` with `slot`: width of a window in minutes (default 120).
    pub window_minutes: Option<u32>,
}

/// The operations, as the CLI's `order` subcommands name them.
pub const OPERATIONS: [&str; 9] = [
    "start", "hold", "resume", "complete", "cancel", "priority", "assign", "book", "repair",
];

/// Operations a technician token may record on their own orders.
const TECHNICIAN_OPERATIONS: [&str; 5] = ["start", "hold", "resume", "complete", "repair"];

fn parse_body<T: Default + for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
}

/// The operation a name and a body describe, in the context (for the zone of `start`).
fn action_of(
    name: &str,
    id: &str,
    body: &OperationRequest,
    ctx: &Context,
) -> Result<OrderAction, ApiError> {
    Ok(match name {
        "start" => OrderAction::Start,
        "hold" => OrderAction::Hold,
        "resume" => OrderAction::Resume,
        "complete" => OrderAction::Complete,
        "cancel" => OrderAction::Cancel,
        "priority" => {
            let text = body.priority.as_deref().ok_or_else(|| {
                ApiError::bad_request("priority needs \"priority\": critical, high, normal or low")
            })?;
            let priority = Priority::parse(text).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "invalid priority '{text}': expected critical, high, normal or low"
                ))
            })?;
            OrderAction::Priority { priority }
        }
        "assign" => {
            let technician = body.technician.as_deref().ok_or_else(|| {
                ApiError::bad_request("assign needs \"technician\": the technician's id")
            })?;
            let start = match &body.start {
                Some(text) => Some(
                    AtArgs {
                        at: Some(parse_at(text).map_err(|e| {
                            ApiError::bad_request(format!("invalid start '{text}': {e}"))
                        })?),
                    }
                    .resolve(ctx.zone),
                ),
                None => None,
            };
            OrderAction::Assign {
                technician: TechnicianId::new(technician),
                start,
            }
        }
        "book" => OrderAction::Book {
            window: window_to_book(
                ctx,
                id,
                body.window.as_deref(),
                body.slot,
                &search(body.days, body.count, body.window_minutes),
            )?,
        },
        "repair" => {
            let line = repair_line(&RepairInput {
                symptom: body.symptom.clone(),
                condition: body.condition.clone(),
                diagnosis: body.diagnosis.clone(),
                resolution: body.resolution.clone(),
                object: body.object.clone(),
                note: body.note.clone(),
            })?;
            OrderAction::Repair {
                lines: line.into_iter().collect(),
                stage: body.stage.clone(),
            }
        }
        other => {
            return Err(ApiError::not_found(format!(
                "unknown operation `{other}`: expected one of {}",
                OPERATIONS.join(", ")
            )))
        }
    })
}

/// Technicians may only see and work on their own orders.
fn check_order_access(
    principal: &Principal,
    ctx: &Context,
    order: &OrderId,
) -> Result<(), ApiError> {
    if principal.role != Role::Technician {
        return Ok(());
    }
    let plan = current_plan(&ctx.model, &ctx.store.plans()?);
    principal.require_order(&ctx.model, plan.as_ref(), order)
}

/// Records one operation on an order.
#[utoipa::path(post, path = "/orders/{id}/{action}", tag = "orders",
    params(("id" = String, Path, description = "the order"),
           ("action" = String, Path, description = "start, hold, resume, complete, cancel, priority, assign, book or repair")),
    request_body(content = OperationRequest, description = "optional: at, reason, and the operation's fields"),
    responses((status = 200, description = "what the operation did: from, status, allowed_next, SLA; rules and now"),
              (status = 400, body = super::Problem, description = "not allowed in the order's status, or a bad field (the CLI's message)"),
              (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn operate(
    State(state): State<Shared>,
    principal: Principal,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: OperationRequest = parse_body(&body)?;
    if !OPERATIONS.contains(&name.as_str()) {
        return Err(ApiError::not_found(format!(
            "unknown operation `{name}`: expected one of {}",
            OPERATIONS.join(", ")
        )));
    }
    if principal.role == Role::Technician && !TECHNICIAN_OPERATIONS.contains(&name.as_str()) {
        return Err(ApiError::forbidden(format!(
            "a technician token may not {name} an order (only {})",
            TECHNICIAN_OPERATIONS.join(", ")
        )));
    }
    blocking(move || {
        let mut ctx = state.context(body.at.as_deref())?;
        check_order_access(&principal, &ctx, &OrderId::new(id.as_str()))?;
        let action = action_of(&name, &id, &body, &ctx)?;
        let done = state.writing(|| Ok(apply(&mut ctx, &id, action, body.reason.clone())?))?;
        Ok(ok(ctx.json(&done)))
    })
    .await
}

/// One order: status and what may happen next, history, SLA, planned visit, work facts (as
/// `fieldwork order show --json`).
#[utoipa::path(get, path = "/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "the order"), AtQuery),
    responses((status = 200, description = "the order as `order show --json`"),
              (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn get_order(
    State(state): State<Shared>,
    principal: Principal,
    Path(id): Path<String>,
    Query(query): Query<AtQuery>,
) -> Result<Response, ApiError> {
    blocking(move || {
        let ctx = state.context(query.at.as_deref())?;
        check_order_access(&principal, &ctx, &OrderId::new(id.as_str()))?;
        Ok(ok(shown_json(&ctx, &id)?))
    })
    .await
}

/// One line of the order list.
fn summary(order: &ServiceOrder) -> serde_json::Value {
    serde_json::json!({
        "id": order.id,
        "customer": order.customer,
        "priority": order.priority,
        "status": order.status().as_str(),
        "created_at": order.created_at,
        "due": order.due,
        "description": order.description,
        "required_technician": order.required_technician,
        "pinned_start": order.pinned_start,
    })
}

/// The orders, by id, filtered; one page (`limit`, `offset`).
#[utoipa::path(get, path = "/orders", tag = "orders", params(OrderFilter),
    responses((status = 200, description = "a page of orders: total, limit, offset, next_offset, orders"),
              (status = 400, body = super::Problem), (status = 403, body = super::Problem)))]
pub async fn list_orders(
    State(state): State<Shared>,
    principal: Principal,
    Query(filter): Query<OrderFilter>,
) -> Result<Response, ApiError> {
    principal.require_office("list every order (a technician reads /me/today)")?;
    let page = Page {
        limit: filter.limit,
        offset: filter.offset,
    };
    page.resolve()?;
    let status = match filter.status.as_deref() {
        Some(text) => Some(
            serde_json::from_value::<OrderStatus>(text.into()).map_err(|_| {
                ApiError::bad_request(format!(
                    "invalid status '{text}': expected created, scheduled, in_progress, \
                     on_hold, completed or cancelled"
                ))
            })?,
        ),
        None => None,
    };
    let priority = match filter.priority.as_deref() {
        Some(text) => Some(Priority::parse(text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "invalid priority '{text}': expected critical, high, normal or low"
            ))
        })?),
        None => None,
    };
    blocking(move || {
        let ctx = state.context(filter.at.as_deref())?;
        let mut orders: Vec<&ServiceOrder> = ctx
            .model
            .orders()
            .iter()
            .filter(|o| status.is_none_or(|s| o.status() == s))
            .filter(|o| priority.is_none_or(|p| o.priority == p))
            .filter(|o| {
                filter
                    .customer
                    .as_deref()
                    .is_none_or(|c| o.customer.as_str() == c)
            })
            .filter(|o| {
                filter.technician.as_deref().is_none_or(|t| {
                    o.required_technician
                        .as_ref()
                        .is_some_and(|r| r.as_str() == t)
                })
            })
            .collect();
        orders.sort_by(|a, b| a.id.cmp(&b.id));
        let (items, mut meta) = page.of(&orders)?;
        meta["orders"] = items.into_iter().map(summary).collect();
        Ok(ok(ctx.json(&meta)))
    })
    .await
}

/// Creates a manual order: the body is an order as a dataset writes it (`id`, `customer`,
/// `priority`, `lines`, …); `origin` defaults to manual and `created_at` to now. It is written
/// as `fieldwork import --mode merge` writes a dataset, validated against the stored model;
/// an id already stored is refused.
#[utoipa::path(post, path = "/orders", tag = "orders",
    request_body(content = Object, description = "an order as the dataset writes it"),
    responses((status = 201, description = "the order as `order show --json`"),
              (status = 400, body = super::Problem), (status = 403, body = super::Problem),
              (status = 409, body = super::Problem, description = "the id is taken")))]
pub async fn create_order(
    State(state): State<Shared>,
    principal: Principal,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require_office("create orders")?;
    let mut value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid order: {e}")))?;
    blocking(move || {
        let ctx = state.context(None)?;
        let fields = value
            .as_object_mut()
            .ok_or_else(|| ApiError::bad_request("invalid order: expected a JSON object"))?;
        for recorded in ["history", "events"] {
            if fields.get(recorded).is_some_and(|v| !v.is_null()) {
                return Err(ApiError::bad_request(format!(
                    "invalid order: `{recorded}` is recorded by operations, not given on creation"
                )));
            }
        }
        if !fields.contains_key("origin") {
            let manual = serde_json::to_value(OrderOrigin::Manual)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            fields.insert("origin".into(), manual);
        }
        fields
            .entry("created_at")
            .or_insert_with(|| crate::format::rfc3339(ctx.now).into());
        let order: ServiceOrder = serde_json::from_value(value)
            .map_err(|e| ApiError::bad_request(format!("invalid order: {e}")))?;
        let id = order.id.clone();
        // The id is checked and the order written under the write lock: two creations of
        // one id cannot both pass the check.
        state.writing(|| {
            let mut store = state.store()?;
            if fieldwork::store::Store::load_model(&*store)?
                .order(&id)
                .is_some()
            {
                return Err(ApiError::conflict(format!("order `{id}` already exists")));
            }
            let dataset = Dataset {
                orders: vec![order],
                ..Dataset::default()
            };
            fieldwork::store::Store::import(&mut *store, dataset, ImportMode::Merge)?;
            Ok(())
        })?;
        let ctx = state.context(None)?;
        Ok(json(StatusCode::CREATED, shown_json(&ctx, id.as_str())?))
    })
    .await
}

/// The explained candidate list of one order: every technician, the eligible ones ranked with
/// their per-objective grades, the excluded ones with the work rules that exclude them (as
/// `fieldwork candidates --json`).
#[utoipa::path(get, path = "/orders/{id}/candidates", tag = "dispatch",
    params(("id" = String, Path, description = "the order"), AtQuery),
    responses((status = 200, description = "the ranking; rules and now"),
              (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn candidates(
    State(state): State<Shared>,
    principal: Principal,
    Path(id): Path<String>,
    Query(query): Query<AtQuery>,
) -> Result<Response, ApiError> {
    principal.require_office("rank candidates")?;
    blocking(move || {
        let ctx = state.context(query.at.as_deref())?;
        let ranking = crate::cli::candidates::rank(&ctx, &id)?;
        Ok(ok(ctx.json(&ranking)))
    })
    .await
}

/// The slot search of the CLI's `slots` flags, their defaults for what is not given.
fn search(days: Option<u32>, count: Option<usize>, window_minutes: Option<u32>) -> SearchArgs {
    SearchArgs {
        days: days.unwrap_or(7),
        count: count.unwrap_or(5),
        window_minutes: window_minutes.unwrap_or(120),
    }
}

/// The query of `GET /orders/{id}/slots`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct SlotQuery {
    /// Days to look ahead from "now" (1 to 28, default 7).
    pub days: Option<u32>,
    /// Windows to offer (1 to 50, default 5).
    pub count: Option<usize>,
    /// Width of a window in minutes (15 to 720, default 120).
    pub window_minutes: Option<u32>,
    /// "Now": no window starts earlier.
    pub at: Option<String>,
}

/// The arrival windows that can be offered to the customer for one order without moving any
/// planned visit, best first (as `fieldwork slots --json`); book one with
/// `POST /orders/{id}/book` and `{"slot": N}`.
#[utoipa::path(get, path = "/orders/{id}/slots", tag = "dispatch",
    params(("id" = String, Path, description = "the order"), SlotQuery),
    responses((status = 200, description = "order, slots; rules and now"),
              (status = 400, body = super::Problem), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn slots(
    State(state): State<Shared>,
    principal: Principal,
    Path(id): Path<String>,
    Query(query): Query<SlotQuery>,
) -> Result<Response, ApiError> {
    principal.require_office("offer appointment slots")?;
    blocking(move || {
        let ctx = state.context(query.at.as_deref())?;
        let search = search(query.days, query.count, query.window_minutes);
        let slots = offered(&ctx, &OrderId::new(id.as_str()), &search)?;
        Ok(ok(
            ctx.json(&serde_json::json!({ "order": id, "slots": slots }))
        ))
    })
    .await
}

/// The order routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/orders", get(list_orders).post(create_order))
        .route("/orders/{id}", get(get_order))
        .route("/orders/{id}/candidates", get(candidates))
        .route("/orders/{id}/slots", get(slots))
        .route("/orders/{id}/{action}", post(operate))
}
