//! Plans in PostgreSQL: one row per plan (horizon, key figures as a JSON document), its routes,
//! visits and unassigned orders as rows in plan order — the rows of the SQLite store, each
//! table of a plan written in one bulk insert.

use postgres::Transaction;
use std::collections::{HashMap, HashSet};

use super::error::pg_error;
use super::orders::{apply_updates, stored_ids};
use super::{batches, get};
use crate::sql::codec::{
    date, from_doc, instant, parse_date, parse_instant, parse_opt_instant, to_doc,
};
use crate::sql::{
    depot_stop_doc, parse_depot_stop, parse_part, parse_reason, part_name, plan_orders,
    plan_without, reason_name,
};
use fieldwork::model::{OrderId, TechnicianId};
use fieldwork::schedule::plan::{Plan, Route, Unassigned, Visit};
use fieldwork::store::{BatchKind, BatchReceipt, StatusUpdate, StoreError, StoredPlan};

/// A conflict of the plan `stored` (an unknown reference, a row the schema refuses).
fn conflict(stored: &StoredPlan, message: String) -> StoreError {
    StoreError::Conflict {
        entity: "plan",
        id: stored.id.clone(),
        message,
    }
}

/// Refuses a plan that names an order or a technician the store does not know.
fn check_references(
    tx: &mut Transaction<'_>,
    url: &str,
    stored: &StoredPlan,
) -> Result<(), StoreError> {
    let orders: Vec<&str> = plan_orders(stored).map(|o| o.as_str()).collect();
    let known = stored_ids(tx, url, "orders", &orders)?;
    if let Some(order) = orders.iter().find(|o| !known.contains(**o)) {
        return Err(conflict(
            stored,
            format!("refers to unknown order `{order}`"),
        ));
    }
    let techs: Vec<&str> = stored
        .plan
        .routes
        .iter()
        .map(|r| r.technician.as_str())
        .collect();
    let known = stored_ids(tx, url, "technicians", &techs)?;
    if let Some(tech) = techs.iter().find(|t| !known.contains(**t)) {
        return Err(conflict(
            stored,
            format!("refers to unknown technician `{tech}`"),
        ));
    }
    Ok(())
}

/// Writes a plan's rows (replacing the plan with the same id) and supersedes other plans'
/// visits of its orders; returns the rows written.
fn write_rows(
    tx: &mut Transaction<'_>,
    url: &str,
    stored: &StoredPlan,
    batch: i64,
) -> Result<usize, StoreError> {
    let err = pg_error(url, "writing a plan");
    let refused = |e: postgres::Error| match e.code() {
        Some(_) if e.as_db_error().is_some() => conflict(
            stored,
            e.as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_owned()),
        ),
        _ => err(e),
    };
    let plan = &stored.plan;
    let id = stored.id.as_str();
    tx.execute("DELETE FROM plans WHERE id = $1", &[&id])
        .map_err(&err)?;
    let kpis = to_doc(&plan.kpis, "plan", id)?;
    tx.execute(
        "INSERT INTO plans (id, horizon_from, horizon_to, created_at, kpis, batch_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &id,
            &instant(&plan.from),
            &instant(&plan.to),
            &instant(&stored.created_at),
            &kpis,
            &batch,
        ],
    )
    .map_err(&err)?;
    let mut rows = 1;
    // Routes.
    let n = plan.routes.len();
    let positions: Vec<i64> = (0..n as i64).collect();
    let techs: Vec<&str> = plan.routes.iter().map(|r| r.technician.as_str()).collect();
    let days: Vec<String> = plan.routes.iter().map(|r| date(&r.day)).collect();
    let starts: Vec<String> = plan
        .routes
        .iter()
        .map(|r| instant(&r.shift_start))
        .collect();
    let ends: Vec<String> = plan.routes.iter().map(|r| instant(&r.shift_end)).collect();
    let minutes: Vec<f64> = plan.routes.iter().map(|r| r.return_minutes).collect();
    let km: Vec<f64> = plan.routes.iter().map(|r| r.return_km).collect();
    let depot_stops = plan
        .routes
        .iter()
        .map(|r| depot_stop_doc(stored, r))
        .collect::<Result<Vec<Option<String>>, _>>()?;
    if n > 0 {
        tx.execute(
            "INSERT INTO plan_routes (plan_id, position, technician_id, day, shift_start, \
             shift_end, return_minutes, return_km, depot_stop) SELECT $1, * FROM \
             unnest($2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], \
             $7::float8[], $8::float8[], $9::text[])",
            &[
                &id,
                &positions,
                &techs,
                &days,
                &starts,
                &ends,
                &minutes,
                &km,
                &depot_stops,
            ],
        )
        .map_err(refused)?;
        rows += n;
    }
    // Visits.
    let visits: Vec<(i64, i64, &str, &Visit)> = plan
        .routes
        .iter()
        .enumerate()
        .flat_map(|(p, r)| {
            r.visits
                .iter()
                .enumerate()
                .map(move |(s, v)| (p as i64, s as i64, r.technician.as_str(), v))
        })
        .collect();
    if !visits.is_empty() {
        let route: Vec<i64> = visits.iter().map(|v| v.0).collect();
        let sequence: Vec<i64> = visits.iter().map(|v| v.1).collect();
        let tech: Vec<&str> = visits.iter().map(|v| v.2).collect();
        let order: Vec<&str> = visits.iter().map(|v| v.3.order.as_str()).collect();
        let at = |f: &dyn Fn(&Visit) -> String| -> Vec<String> {
            visits.iter().map(|v| f(v.3)).collect()
        };
        let num =
            |f: &dyn Fn(&Visit) -> f64| -> Vec<f64> { visits.iter().map(|v| f(v.3)).collect() };
        let due: Vec<Option<String>> = visits
            .iter()
            .map(|v| v.3.due.as_ref().map(instant))
            .collect();
        let fixed: Vec<bool> = visits.iter().map(|v| v.3.fixed).collect();
        let part: Vec<Option<String>> = visits.iter().map(|v| part_name(v.3.part)).collect();
        tx.execute(
            "INSERT INTO plan_visits (plan_id, route, sequence, order_id, technician_id, \
             arrival, start, \"end\", travel_minutes, travel_km, due, late_minutes, fixed, \
             part) \
             SELECT $1, * FROM unnest($2::int8[], $3::int8[], $4::text[], $5::text[], \
             $6::text[], $7::text[], $8::text[], $9::float8[], $10::float8[], $11::text[], \
             $12::float8[], $13::bool[], $14::text[])",
            &[
                &id,
                &route,
                &sequence,
                &order,
                &tech,
                &at(&|v| instant(&v.arrival)),
                &at(&|v| instant(&v.start)),
                &at(&|v| instant(&v.end)),
                &num(&|v| v.travel_minutes),
                &num(&|v| v.travel_km),
                &due,
                &num(&|v| v.late_minutes),
                &fixed,
                &part,
            ],
        )
        .map_err(refused)?;
        rows += visits.len();
    }
    // Unassigned orders.
    if !plan.unassigned.is_empty() {
        let positions: Vec<i64> = (0..plan.unassigned.len() as i64).collect();
        let orders: Vec<&str> = plan.unassigned.iter().map(|u| u.order.as_str()).collect();
        let reasons: Vec<String> = plan
            .unassigned
            .iter()
            .map(|u| reason_name(u.reason))
            .collect();
        let details: Vec<&str> = plan.unassigned.iter().map(|u| u.detail.as_str()).collect();
        tx.execute(
            "INSERT INTO plan_unassigned (plan_id, position, order_id, reason, detail) \
             SELECT $1, * FROM unnest($2::int8[], $3::text[], $4::text[], $5::text[])",
            &[&id, &positions, &orders, &reasons, &details],
        )
        .map_err(refused)?;
        rows += plan.unassigned.len();
    }
    // The plan supersedes other plans' visits of the orders it mentions.
    let mentioned: Vec<&str> = plan_orders(stored).map(|o| o.as_str()).collect();
    tx.execute(
        "DELETE FROM plan_visits WHERE order_id = ANY($1) AND plan_id <> $2",
        &[&mentioned, &id],
    )
    .map_err(&err)?;
    Ok(rows)
}

/// Writes a plan within `tx` in `batch` (a restore: references checked, nothing dropped);
/// returns the rows written.
pub(crate) fn write(
    tx: &mut Transaction<'_>,
    url: &str,
    stored: &StoredPlan,
    batch: i64,
) -> Result<usize, StoreError> {
    check_references(tx, url, stored)?;
    write_rows(tx, url, stored, batch)
}

/// Replaces the plan with the same id and applies the status changes, in one batch.
pub(crate) fn save(
    tx: &mut Transaction<'_>,
    url: &str,
    stored: &StoredPlan,
    updates: &[StatusUpdate],
) -> Result<BatchReceipt, StoreError> {
    let batch = batches::begin(tx, url, BatchKind::Plan)?;
    check_references(tx, url, stored)?;
    // The statuses are re-read inside the write transaction: a change the plan implies that an
    // operation has overtaken is skipped, and orders finished meanwhile leave the plan.
    let mut rows = apply_updates(tx, url, updates, batch)?;
    let orders: Vec<&str> = plan_orders(stored).map(|o| o.as_str()).collect();
    let gone: HashSet<OrderId> = tx
        .query(
            "SELECT id FROM orders WHERE id = ANY($1) AND status IN ('completed', 'cancelled')",
            &[&orders],
        )
        .map_err(pg_error(url, "writing a plan"))?
        .iter()
        .map(|r| get::<String>(r, 0).map(OrderId::new))
        .collect::<Result<_, _>>()?;
    let kept = plan_without(stored, &gone);
    rows += write_rows(tx, url, kept.as_ref().unwrap_or(stored), batch)?;
    batches::finish(tx, url, batch, rows)?;
    Ok(BatchReceipt {
        batch: Some(batch),
        written: rows,
        skipped: 0,
        ..Default::default()
    })
}

type RouteKey = (String, i64);

fn read_visits(
    tx: &mut Transaction<'_>,
    url: &str,
) -> Result<HashMap<RouteKey, Vec<Visit>>, StoreError> {
    let rows = tx
        .query(
            "SELECT plan_id, route, order_id, arrival, start, \"end\", travel_minutes, \
             travel_km, due, late_minutes, fixed, part FROM plan_visits \
             ORDER BY plan_id, route, sequence",
            &[],
        )
        .map_err(pg_error(url, "reading plan visits"))?;
    let mut out: HashMap<RouteKey, Vec<Visit>> = HashMap::new();
    for row in rows {
        let plan: String = get(&row, 0)?;
        let route: i64 = get(&row, 1)?;
        let at =
            |i: usize| -> Result<_, StoreError> { parse_instant(get(&row, i)?, "plan", &plan) };
        let visit = Visit {
            order: OrderId::new(get::<String>(&row, 2)?),
            arrival: at(3)?,
            start: at(4)?,
            end: at(5)?,
            travel_minutes: get(&row, 6)?,
            travel_km: get(&row, 7)?,
            due: parse_opt_instant(get(&row, 8)?, "plan", &plan)?,
            late_minutes: get(&row, 9)?,
            fixed: get(&row, 10)?,
            part: parse_part(get(&row, 11)?, &plan)?,
        };
        out.entry((plan, route)).or_default().push(visit);
    }
    Ok(out)
}

fn read_routes(
    tx: &mut Transaction<'_>,
    url: &str,
    mut visits: HashMap<RouteKey, Vec<Visit>>,
) -> Result<HashMap<String, Vec<Route>>, StoreError> {
    let rows = tx
        .query(
            "SELECT plan_id, position, technician_id, day, shift_start, shift_end, \
             return_minutes, return_km, depot_stop FROM plan_routes \
             ORDER BY plan_id, position",
            &[],
        )
        .map_err(pg_error(url, "reading plan routes"))?;
    let mut out: HashMap<String, Vec<Route>> = HashMap::new();
    for row in rows {
        let plan: String = get(&row, 0)?;
        let position: i64 = get(&row, 1)?;
        let route = Route {
            technician: TechnicianId::new(get::<String>(&row, 2)?),
            day: parse_date(get(&row, 3)?, "plan", &plan)?,
            shift_start: parse_instant(get(&row, 4)?, "plan", &plan)?,
            shift_end: parse_instant(get(&row, 5)?, "plan", &plan)?,
            return_minutes: get(&row, 6)?,
            return_km: get(&row, 7)?,
            depot_stop: parse_depot_stop(get(&row, 8)?, &plan)?,
            visits: visits.remove(&(plan.clone(), position)).unwrap_or_default(),
        };
        // A route whose visits a newer plan superseded is no longer part of this plan.
        if !route.visits.is_empty() {
            out.entry(plan).or_default().push(route);
        }
    }
    Ok(out)
}

fn read_unassigned(
    tx: &mut Transaction<'_>,
    url: &str,
) -> Result<HashMap<String, Vec<Unassigned>>, StoreError> {
    let rows = tx
        .query(
            "SELECT plan_id, order_id, reason, detail FROM plan_unassigned \
             ORDER BY plan_id, position",
            &[],
        )
        .map_err(pg_error(url, "reading unassigned orders"))?;
    let mut out: HashMap<String, Vec<Unassigned>> = HashMap::new();
    for row in rows {
        let plan: String = get(&row, 0)?;
        let unassigned = Unassigned {
            order: OrderId::new(get::<String>(&row, 1)?),
            reason: parse_reason(get(&row, 2)?, &plan)?,
            detail: get(&row, 3)?,
        };
        out.entry(plan).or_default().push(unassigned);
    }
    Ok(out)
}

/// The stored plans, oldest first.
pub(crate) fn list(tx: &mut Transaction<'_>, url: &str) -> Result<Vec<StoredPlan>, StoreError> {
    let visits = read_visits(tx, url)?;
    let mut routes = read_routes(tx, url, visits)?;
    let mut unassigned = read_unassigned(tx, url)?;
    let rows = tx
        .query(
            "SELECT id, horizon_from, horizon_to, created_at, kpis FROM plans \
             ORDER BY batch_id, seq",
            &[],
        )
        .map_err(pg_error(url, "reading plans"))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = get(&row, 0)?;
        out.push(StoredPlan {
            created_at: parse_instant(get(&row, 3)?, "plan", &id)?,
            plan: Plan {
                from: parse_instant(get(&row, 1)?, "plan", &id)?,
                to: parse_instant(get(&row, 2)?, "plan", &id)?,
                routes: routes.remove(&id).unwrap_or_default(),
                unassigned: unassigned.remove(&id).unwrap_or_default(),
                kpis: from_doc(get(&row, 4)?, "plan", &id)?,
            },
            id,
        });
    }
    Ok(out)
}
