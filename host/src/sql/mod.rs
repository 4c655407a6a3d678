//! What the two SQL stores ([`crate::sqlite`] and [`crate::postgres`]) share: the encoding of
//! values in columns ([`codec`]: instants as RFC 3339 UTC text, dates, local date-times, JSON
//! documents), the row shapes of orders, plans and billing transactions (which fields are
//! columns and how they are spelled), the sections of a dataset kept whole as one document per
//! section, the report of a schema migration, and the host's own tables of `fieldwork serve`
//! ([`access`]: tokens, audit log, calendar ledgers, the store's revision). Both stores lay out the same tables with the
//! same column values, so a dataset exported from either imports into the other unchanged.

pub mod access;
pub mod codec;

use serde_json::Value;
use std::collections::HashSet;

use codec::{decode, instant, local};
use fieldwork::billing::{DateRange, TransactionKind, TransactionSource};
use fieldwork::model::{Dataset, OrderId, OrderOrigin, ServiceOrder};
use fieldwork::schedule::plan::{PartKind, UnassignedReason, VisitPart};
use fieldwork::store::{StoreError, StoredPlan};

/// What opening a database did to its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Version found (0: a new, empty database).
    pub from: i64,
    /// Version now.
    pub to: i64,
}

/// The columns of an order's row besides its document (the fields engines filter on).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderColumns<'a> {
    pub id: &'a str,
    pub customer: &'a str,
    pub agreement: Option<&'a str>,
    pub line: Option<&'a str>,
    pub occurrence: Option<String>,
    pub priority: &'static str,
    pub status: &'static str,
    pub created_at: String,
    pub changed_at: String,
    pub due: Option<String>,
}

/// The origin columns of an order: its agreement line and local occurrence, when generated.
pub(crate) fn origin_columns(origin: &OrderOrigin) -> (Option<&str>, Option<String>) {
    match origin {
        OrderOrigin::Agreement { line, occurrence } => {
            (Some(line.as_str()), Some(local(occurrence)))
        }
        OrderOrigin::Manual | OrderOrigin::ReturnOrder { .. } => (None, None),
    }
}

/// The columns of `order`'s row.
pub(crate) fn order_columns(order: &ServiceOrder) -> OrderColumns<'_> {
    let (line, occurrence) = origin_columns(&order.origin);
    OrderColumns {
        id: order.id.as_str(),
        customer: order.customer.as_str(),
        agreement: order.agreement.as_ref().map(|a| a.as_str()),
        line,
        occurrence,
        priority: order.priority.as_str(),
        status: order.status().as_str(),
        created_at: instant(&order.created_at),
        changed_at: instant(&order.last_change_at()),
        due: order.due.as_ref().map(instant),
    }
}

/// Encodes `order`'s document — everything but its status history, which has its own table —
/// into `buf` (cleared first) and returns it as text.
pub(crate) fn order_doc<'b>(
    order: &ServiceOrder,
    buf: &'b mut Vec<u8>,
) -> Result<&'b str, StoreError> {
    buf.clear();
    let id = order.id.as_str();
    let encoded = if order.history.is_empty() {
        serde_json::to_writer(&mut *buf, order)
    } else {
        let bare = ServiceOrder {
            history: Vec::new(),
            ..order.clone()
        };
        serde_json::to_writer(&mut *buf, &bare)
    };
    let backend = |message: String| StoreError::Backend {
        context: format!("encoding order `{id}`"),
        message,
    };
    encoded.map_err(|e| backend(e.to_string()))?;
    std::str::from_utf8(buf).map_err(|e| backend(e.to_string()))
}

/// The stored name of an unassigned order's reason (its serde name).
pub(crate) fn reason_name(reason: UnassignedReason) -> String {
    match serde_json::to_value(reason) {
        Ok(Value::String(s)) => s,
        _ => format!("{reason:?}"),
    }
}

/// Parses a stored unassigned reason of plan `plan`.
pub(crate) fn parse_reason(reason: &str, plan: &str) -> Result<UnassignedReason, StoreError> {
    serde_json::from_value(Value::String(reason.to_owned()))
        .map_err(|_| decode("plan", plan, format!("unknown reason `{reason}`")))
}

/// The stored form of a visit's place among its order's visits: `day 2/3`, `crew 1/2`, or
/// NULL for an order's only visit.
pub(crate) fn part_name(part: Option<VisitPart>) -> Option<String> {
    part.map(|p| {
        let kind = match p.kind {
            PartKind::Day => "day",
            PartKind::Crew => "crew",
        };
        format!("{kind} {}/{}", p.index, p.count)
    })
}

/// Parses a stored visit part of plan `plan` (see [`part_name`]).
pub(crate) fn parse_part(
    part: Option<String>,
    plan: &str,
) -> Result<Option<VisitPart>, StoreError> {
    let Some(text) = part else {
        return Ok(None);
    };
    let bad = || decode("plan", plan, format!("bad visit part `{text}`"));
    let (kind, rest) = text.split_once(' ').ok_or_else(bad)?;
    let kind = match kind {
        "day" => PartKind::Day,
        "crew" => PartKind::Crew,
        _ => return Err(bad()),
    };
    let (index, count) = rest.split_once('/').ok_or_else(bad)?;
    let index: u32 = index.parse().map_err(|_| bad())?;
    let count: u32 = count.parse().map_err(|_| bad())?;
    if index == 0 || index > count {
        return Err(bad());
    }
    Ok(Some(VisitPart { kind, index, count }))
}

/// Parses a stored billing transaction kind.
pub(crate) fn parse_kind(kind: &str, id: &str) -> Result<TransactionKind, StoreError> {
    match kind {
        "fee" => Ok(TransactionKind::Fee),
        "proration" => Ok(TransactionKind::Proration),
        "credit" => Ok(TransactionKind::Credit),
        other => Err(decode(
            "billing transaction",
            id,
            format!("unknown kind `{other}`"),
        )),
    }
}

/// The source columns of a billing transaction: (subscription, period start, return order,
/// return line).
pub(crate) type SourceColumns<'a> = (
    Option<&'a str>,
    Option<String>,
    Option<&'a str>,
    Option<u32>,
);

/// Splits a transaction's source into its columns.
pub(crate) fn source_columns(source: &TransactionSource) -> SourceColumns<'_> {
    match source {
        TransactionSource::Subscription {
            subscription,
            period_start,
        } => (
            Some(subscription.as_str()),
            Some(codec::date(period_start)),
            None,
            None,
        ),
        TransactionSource::ReturnOrder { rma, line } => {
            (None, None, Some(rma.as_str()), Some(*line))
        }
    }
}

/// Reassembles a transaction's source from its columns.
pub(crate) fn parse_source(
    id: &str,
    subscription: Option<String>,
    period_start: Option<String>,
    rma: Option<String>,
    line: Option<u32>,
) -> Result<TransactionSource, StoreError> {
    let entity = "billing transaction";
    match (subscription, period_start, rma) {
        (Some(sub), Some(start), None) => Ok(TransactionSource::Subscription {
            subscription: sub.into(),
            period_start: codec::parse_date(&start, entity, id)?,
        }),
        (None, None, Some(rma)) => Ok(TransactionSource::ReturnOrder {
            rma: rma.into(),
            line: line.unwrap_or(0),
        }),
        _ => Err(decode(
            entity,
            id,
            "neither subscription nor return order".into(),
        )),
    }
}

/// Reassembles a transaction's service range from its columns.
pub(crate) fn parse_service(
    id: &str,
    start: Option<String>,
    end: Option<String>,
) -> Result<Option<DateRange>, StoreError> {
    let entity = "billing transaction";
    match (start, end) {
        (Some(start), Some(end)) => Ok(Some(DateRange {
            start: codec::parse_date(&start, entity, id)?,
            end: codec::parse_date(&end, entity, id)?,
        })),
        _ => Ok(None),
    }
}

/// The orders a plan mentions (visits, then unassigned entries), each once (a multi-day or
/// crew job has several visits).
pub(crate) fn plan_orders(stored: &StoredPlan) -> impl Iterator<Item = &OrderId> {
    let plan = &stored.plan;
    let mut seen: HashSet<&OrderId> = HashSet::new();
    plan.routes
        .iter()
        .flat_map(|r| &r.visits)
        .map(|v| &v.order)
        .chain(plan.unassigned.iter().map(|u| &u.order))
        .filter(move |o| seen.insert(*o))
}

/// The plan without the visits and unassigned entries of the orders in `gone` (completed or
/// cancelled when the plan is written); `None` when `gone` is empty.
pub(crate) fn plan_without(stored: &StoredPlan, gone: &HashSet<OrderId>) -> Option<StoredPlan> {
    if gone.is_empty() {
        return None;
    }
    let mut kept = stored.clone();
    for route in &mut kept.plan.routes {
        route.visits.retain(|v| !gone.contains(&v.order));
    }
    kept.plan.routes.retain(|r| !r.visits.is_empty());
    kept.plan.unassigned.retain(|u| !gone.contains(&u.order));
    kept.plan.refresh_kpis();
    Some(kept)
}

/// The sections stored whole, one JSON document per section (named as in the dataset): return
/// reasons, repair codes, BOM versions, the road graph, the part and tool catalogues, the depots
/// and the extension sections (the catalogues and depots are small, read whole by the
/// scheduler and never filtered in SQL, so they need no table of their own). The
/// dataset's named fields never reach its `extensions` map, so these names cannot clash with an
/// extension's.
pub(crate) fn whole_sections(dataset: &Dataset) -> Dataset {
    Dataset {
        return_reasons: dataset.return_reasons.clone(),
        repair_codes: dataset.repair_codes.clone(),
        boms: dataset.boms.clone(),
        road_graph: dataset.road_graph.clone(),
        parts: dataset.parts.clone(),
        tools: dataset.tools.clone(),
        depots: dataset.depots.clone(),
        extensions: dataset.extensions.clone(),
        ..Dataset::default()
    }
}

/// The non-empty sections of `whole` as (name, document) rows.
pub(crate) fn whole_section_rows(whole: &Dataset) -> Vec<(String, Value)> {
    match serde_json::to_value(whole) {
        Ok(Value::Object(mut map)) => {
            map.remove("version");
            map.into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// A dataset holding only the sections stored whole, from their (name, document) rows.
pub(crate) fn whole_sections_from_rows(
    rows: impl IntoIterator<Item = (String, String)>,
) -> Result<Dataset, StoreError> {
    let mut sections = serde_json::Map::new();
    for (name, doc) in rows {
        let value: Value = codec::from_doc(&doc, "extension", &name)?;
        sections.insert(name, value);
    }
    serde_json::from_value(Value::Object(sections)).map_err(|e| StoreError::Decode {
        entity: "dataset section",
        id: "extensions".into(),
        message: e.to_string(),
    })
}

/// Moves the sections stored whole of `whole` into `dataset`.
pub(crate) fn put_whole_sections(dataset: &mut Dataset, whole: Dataset) {
    dataset.return_reasons = whole.return_reasons;
    dataset.repair_codes = whole.repair_codes;
    dataset.boms = whole.boms;
    dataset.road_graph = whole.road_graph;
    dataset.parts = whole.parts;
    dataset.tools = whole.tools;
    dataset.depots = whole.depots;
    dataset.extensions = whole.extensions;
}

/// The stored document of `route`'s depot stop (`None`: the column is NULL).
pub(crate) fn depot_stop_doc(
    stored: &StoredPlan,
    route: &fieldwork::schedule::plan::Route,
) -> Result<Option<String>, StoreError> {
    route
        .depot_stop
        .as_ref()
        .map(|stop| codec::to_doc(stop, "plan", &stored.id))
        .transpose()
}

/// Decodes a route's stored depot stop of plan `plan`.
pub(crate) fn parse_depot_stop(
    doc: Option<String>,
    plan: &str,
) -> Result<Option<fieldwork::schedule::plan::DepotStop>, StoreError> {
    doc.map(|d| codec::from_doc(&d, "plan", plan)).transpose()
}
