//! Plans in SQLite: one row per plan (horizon, key figures as a JSON document), its routes,
//! visits and unassigned orders as rows in plan order — visits are indexed by technician and
//! start (board queries) and by order (where is this order planned?).

use rusqlite::{params, Connection, Transaction};
use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::batches;
use super::error::sql_error;
use super::orders::apply_updates;
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
    tx: &Transaction<'_>,
    path: &Path,
    stored: &StoredPlan,
) -> Result<(), StoreError> {
    let err = sql_error(path, "writing a plan");
    let plan = &stored.plan;
    let mut check_order = tx
        .prepare_cached("SELECT 1 FROM orders WHERE id = ?1")
        .map_err(&err)?;
    let mut check_tech = tx
        .prepare_cached("SELECT 1 FROM technicians WHERE id = ?1")
        .map_err(&err)?;
    let visits = plan.routes.iter().flat_map(|r| &r.visits);
    for order in visits
        .map(|v| &v.order)
        .chain(plan.unassigned.iter().map(|u| &u.order))
    {
        if !check_order.exists([order.as_str()]).map_err(&err)? {
            return Err(conflict(
                stored,
                format!("refers to unknown order `{order}`"),
            ));
        }
    }
    for route in &plan.routes {
        if !check_tech
            .exists([route.technician.as_str()])
            .map_err(&err)?
        {
            return Err(conflict(
                stored,
                format!("refers to unknown technician `{}`", route.technician),
            ));
        }
    }
    Ok(())
}

/// Replaces the plan's row (horizon, creation, key figures) with the same id; its routes,
/// visits and unassigned rows go with the old one.
fn write_plan_row(
    tx: &Transaction<'_>,
    path: &Path,
    stored: &StoredPlan,
    batch: i64,
) -> Result<(), StoreError> {
    let err = sql_error(path, "writing a plan");
    let plan = &stored.plan;
    tx.prepare_cached("DELETE FROM plans WHERE id = ?1")
        .and_then(|mut s| s.execute([stored.id.as_str()]))
        .map_err(&err)?;
    let kpis = to_doc(&plan.kpis, "plan", &stored.id)?;
    tx.prepare_cached(
        "INSERT INTO plans (id, horizon_from, horizon_to, created_at, kpis, batch_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            stored.id,
            instant(&plan.from),
            instant(&plan.to),
            instant(&stored.created_at),
            kpis,
            batch
        ])
    })
    .map_err(&err)?;
    Ok(())
}

/// Writes the plan's routes and their visits in plan order; returns the rows written.
fn write_routes(
    tx: &Transaction<'_>,
    path: &Path,
    stored: &StoredPlan,
) -> Result<usize, StoreError> {
    let err = sql_error(path, "writing a plan");
    let mut rows = 0;
    let mut route_stmt = tx
        .prepare_cached(
            "INSERT INTO plan_routes (plan_id, position, technician_id, day, shift_start, \
             shift_end, return_minutes, return_km, depot_stop) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(&err)?;
    let mut visit_stmt = tx
        .prepare_cached(
            "INSERT INTO plan_visits (plan_id, route, sequence, order_id, technician_id, \
             arrival, start, end, travel_minutes, travel_km, due, late_minutes, fixed, part) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )
        .map_err(&err)?;
    for (position, route) in stored.plan.routes.iter().enumerate() {
        route_stmt
            .execute(params![
                stored.id,
                position as i64,
                route.technician.as_str(),
                date(&route.day),
                instant(&route.shift_start),
                instant(&route.shift_end),
                route.return_minutes,
                route.return_km,
                depot_stop_doc(stored, route)?
            ])
            .map_err(|e| {
                conflict(
                    stored,
                    format!("route of {} on {}: {e}", route.technician, route.day),
                )
            })?;
        rows += 1;
        for (sequence, v) in route.visits.iter().enumerate() {
            visit_stmt
                .execute(params![
                    stored.id,
                    position as i64,
                    sequence as i64,
                    v.order.as_str(),
                    route.technician.as_str(),
                    instant(&v.arrival),
                    instant(&v.start),
                    instant(&v.end),
                    v.travel_minutes,
                    v.travel_km,
                    v.due.as_ref().map(instant),
                    v.late_minutes,
                    v.fixed,
                    part_name(v.part)
                ])
                .map_err(|e| conflict(stored, format!("visit of order `{}`: {e}", v.order)))?;
            rows += 1;
        }
    }
    Ok(rows)
}

/// Writes the plan's unassigned orders in plan order; returns the rows written.
fn write_unassigned(
    tx: &Transaction<'_>,
    path: &Path,
    stored: &StoredPlan,
) -> Result<usize, StoreError> {
    let err = sql_error(path, "writing a plan");
    let mut unassigned = tx
        .prepare_cached(
            "INSERT INTO plan_unassigned (plan_id, position, order_id, reason, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(&err)?;
    for (position, u) in stored.plan.unassigned.iter().enumerate() {
        unassigned
            .execute(params![
                stored.id,
                position as i64,
                u.order.as_str(),
                reason_name(u.reason),
                u.detail
            ])
            .map_err(&err)?;
    }
    Ok(stored.plan.unassigned.len())
}

/// Deletes other plans' visits of the orders this plan mentions: it supersedes them.
fn supersede_visits(
    tx: &Transaction<'_>,
    path: &Path,
    stored: &StoredPlan,
) -> Result<(), StoreError> {
    let err = sql_error(path, "writing a plan");
    let plan = &stored.plan;
    let mut supersede = tx
        .prepare_cached("DELETE FROM plan_visits WHERE order_id = ?1 AND plan_id <> ?2")
        .map_err(&err)?;
    let mentioned = plan
        .routes
        .iter()
        .flat_map(|r| &r.visits)
        .map(|v| &v.order)
        .chain(plan.unassigned.iter().map(|u| &u.order));
    for order in mentioned {
        supersede
            .execute(params![order.as_str(), stored.id])
            .map_err(&err)?;
    }
    Ok(())
}

/// Writes a plan within `tx` in `batch` (replacing the plan with the same id, superseding
/// other plans' visits of its orders); returns the rows written.
pub(crate) fn write(
    tx: &Transaction<'_>,
    path: &Path,
    stored: &StoredPlan,
    batch: i64,
) -> Result<usize, StoreError> {
    check_references(tx, path, stored)?;
    write_plan_row(tx, path, stored, batch)?;
    let mut rows = 1;
    rows += write_routes(tx, path, stored)?;
    rows += write_unassigned(tx, path, stored)?;
    supersede_visits(tx, path, stored)?;
    Ok(rows)
}

/// Replaces the plan with the same id and applies the status changes, in one transaction.
pub(crate) fn save(
    conn: &mut Connection,
    path: &Path,
    stored: &StoredPlan,
    updates: &[StatusUpdate],
) -> Result<BatchReceipt, StoreError> {
    let tx = super::begin_write(conn, path)?;
    let batch = batches::begin(&tx, path, BatchKind::Plan)?;
    check_references(&tx, path, stored)?;
    // The statuses are re-read inside the write transaction: a change the plan implies that an
    // operation has overtaken is skipped, and orders finished meanwhile leave the plan.
    let mut rows = apply_updates(&tx, path, updates, batch)?;
    let kept = without_final_orders(&tx, path, stored)?;
    let stored = kept.as_ref().unwrap_or(stored);
    write_plan_row(&tx, path, stored, batch)?;
    rows += 1;
    rows += write_routes(&tx, path, stored)?;
    rows += write_unassigned(&tx, path, stored)?;
    supersede_visits(&tx, path, stored)?;
    batches::finish(&tx, path, batch, rows)?;
    super::commit(tx, path, "writing a plan")?;
    Ok(BatchReceipt {
        batch: Some(batch),
        written: rows,
        skipped: 0,
        ..Default::default()
    })
}

/// The plan without the visits and unassigned entries of orders that are completed or
/// cancelled as stored now; `None` when no order of the plan is.
fn without_final_orders(
    tx: &Transaction<'_>,
    path: &Path,
    stored: &StoredPlan,
) -> Result<Option<StoredPlan>, StoreError> {
    let err = sql_error(path, "writing a plan");
    let mut finished = tx
        .prepare_cached(
            "SELECT 1 FROM orders WHERE id = ?1 AND status IN ('completed', 'cancelled')",
        )
        .map_err(&err)?;
    let mut gone = HashSet::new();
    for order in plan_orders(stored) {
        if finished.exists([order.as_str()]).map_err(&err)? {
            gone.insert(order.clone());
        }
    }
    Ok(plan_without(stored, &gone))
}

type RouteKey = (String, i64);

fn read_visits(
    conn: &Connection,
    path: &Path,
) -> Result<HashMap<RouteKey, Vec<Visit>>, StoreError> {
    let err = sql_error(path, "reading plan visits");
    let mut stmt = conn
        .prepare_cached(
            "SELECT plan_id, route, order_id, arrival, start, end, travel_minutes, travel_km, \
             due, late_minutes, fixed, part FROM plan_visits ORDER BY plan_id, route, sequence",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    let mut out: HashMap<RouteKey, Vec<Visit>> = HashMap::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let plan: String = row.get(0).map_err(&err)?;
        let route: i64 = row.get(1).map_err(&err)?;
        let at = |i: usize| -> Result<_, StoreError> {
            parse_instant(&row.get::<_, String>(i).map_err(&err)?, "plan", &plan)
        };
        let visit = Visit {
            order: OrderId::new(row.get::<_, String>(2).map_err(&err)?),
            arrival: at(3)?,
            start: at(4)?,
            end: at(5)?,
            travel_minutes: row.get(6).map_err(&err)?,
            travel_km: row.get(7).map_err(&err)?,
            due: parse_opt_instant(row.get(8).map_err(&err)?, "plan", &plan)?,
            late_minutes: row.get(9).map_err(&err)?,
            fixed: row.get(10).map_err(&err)?,
            part: parse_part(row.get(11).map_err(&err)?, &plan)?,
        };
        out.entry((plan, route)).or_default().push(visit);
    }
    Ok(out)
}

fn read_routes(
    conn: &Connection,
    path: &Path,
    mut visits: HashMap<RouteKey, Vec<Visit>>,
) -> Result<HashMap<String, Vec<Route>>, StoreError> {
    let err = sql_error(path, "reading plan routes");
    let mut stmt = conn
        .prepare_cached(
            "SELECT plan_id, position, technician_id, day, shift_start, shift_end, \
             return_minutes, return_km, depot_stop FROM plan_routes ORDER BY plan_id, position",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    let mut out: HashMap<String, Vec<Route>> = HashMap::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let plan: String = row.get(0).map_err(&err)?;
        let position: i64 = row.get(1).map_err(&err)?;
        let route = Route {
            technician: TechnicianId::new(row.get::<_, String>(2).map_err(&err)?),
            day: parse_date(&row.get::<_, String>(3).map_err(&err)?, "plan", &plan)?,
            shift_start: parse_instant(&row.get::<_, String>(4).map_err(&err)?, "plan", &plan)?,
            shift_end: parse_instant(&row.get::<_, String>(5).map_err(&err)?, "plan", &plan)?,
            return_minutes: row.get(6).map_err(&err)?,
            return_km: row.get(7).map_err(&err)?,
            depot_stop: parse_depot_stop(row.get(8).map_err(&err)?, &plan)?,
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
    conn: &Connection,
    path: &Path,
) -> Result<HashMap<String, Vec<Unassigned>>, StoreError> {
    let err = sql_error(path, "reading unassigned orders");
    let mut stmt = conn
        .prepare_cached(
            "SELECT plan_id, order_id, reason, detail FROM plan_unassigned \
             ORDER BY plan_id, position",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    let mut out: HashMap<String, Vec<Unassigned>> = HashMap::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let plan: String = row.get(0).map_err(&err)?;
        let reason: String = row.get(2).map_err(&err)?;
        let unassigned = Unassigned {
            order: OrderId::new(row.get::<_, String>(1).map_err(&err)?),
            reason: parse_reason(&reason, &plan)?,
            detail: row.get(3).map_err(&err)?,
        };
        out.entry(plan).or_default().push(unassigned);
    }
    Ok(out)
}

/// The stored plans, oldest first.
pub(crate) fn list(conn: &Connection, path: &Path) -> Result<Vec<StoredPlan>, StoreError> {
    let mut routes = read_routes(conn, path, read_visits(conn, path)?)?;
    let mut unassigned = read_unassigned(conn, path)?;
    let err = sql_error(path, "reading plans");
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, horizon_from, horizon_to, created_at, kpis FROM plans ORDER BY batch_id, rowid",
        )
        .map_err(&err)?;
    let mut rows = stmt.query([]).map_err(&err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let id: String = row.get(0).map_err(&err)?;
        let text = |i: usize| row.get::<_, String>(i).map_err(&err);
        out.push(StoredPlan {
            created_at: parse_instant(&text(3)?, "plan", &id)?,
            plan: Plan {
                from: parse_instant(&text(1)?, "plan", &id)?,
                to: parse_instant(&text(2)?, "plan", &id)?,
                routes: routes.remove(&id).unwrap_or_default(),
                unassigned: unassigned.remove(&id).unwrap_or_default(),
                kpis: from_doc(&text(4)?, "plan", &id)?,
            },
            id,
        });
    }
    Ok(out)
}
