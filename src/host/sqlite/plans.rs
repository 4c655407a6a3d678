//! Plans in SQLite: one row per plan (horizon, key figures as a JSON document), its visits and
//! unassigned orders as rows — visits are indexed by technician and start for board queries.

use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::path::Path;

use super::batches;
use super::codec::{date, from_doc, instant, parse_date, parse_instant, to_doc};
use super::error::sql_error;
use super::orders::apply_updates;
use crate::model::{OrderId, TechnicianId};
use crate::store::{
    BatchKind, BatchReceipt, PlanRecord, PlannedVisit, StatusUpdate, StoreError, UnassignedOrder,
};

/// Replaces the plan with the same id and applies the status changes, in one transaction.
pub(crate) fn save(
    conn: &mut Connection,
    path: &Path,
    plan: &PlanRecord,
    updates: &[StatusUpdate],
) -> Result<BatchReceipt, StoreError> {
    let err = sql_error(path, "writing a plan");
    let tx = super::begin_write(conn, path)?;
    let batch = batches::begin(&tx, path, BatchKind::Plan)?;
    {
        let mut check_order = tx
            .prepare_cached("SELECT 1 FROM orders WHERE id = ?1")
            .map_err(&err)?;
        let mut check_tech = tx
            .prepare_cached("SELECT 1 FROM technicians WHERE id = ?1")
            .map_err(&err)?;
        let conflict = |message: String| StoreError::Conflict {
            entity: "plan",
            id: plan.id.clone(),
            message,
        };
        for order in plan
            .visits
            .iter()
            .map(|v| &v.order)
            .chain(plan.unassigned.iter().map(|u| &u.order))
        {
            if !check_order.exists([order.as_str()]).map_err(&err)? {
                return Err(conflict(format!("refers to unknown order `{order}`")));
            }
        }
        for visit in &plan.visits {
            if !check_tech
                .exists([visit.technician.as_str()])
                .map_err(&err)?
            {
                return Err(conflict(format!(
                    "refers to unknown technician `{}`",
                    visit.technician
                )));
            }
        }
        tx.prepare_cached("DELETE FROM plans WHERE id = ?1")
            .and_then(|mut s| s.execute([plan.id.as_str()]))
            .map_err(&err)?;
        tx.prepare_cached(
            "INSERT INTO plans (id, horizon_from, horizon_to, created_at, kpis, batch_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                plan.id,
                date(&plan.from),
                date(&plan.to),
                instant(&plan.created_at),
                to_doc(&plan.kpis, "plan", &plan.id).unwrap_or_else(|_| "null".into()),
                batch
            ])
        })
        .map_err(&err)?;
        let mut visit = tx
            .prepare_cached(
                "INSERT INTO plan_visits (plan_id, order_id, technician_id, sequence, arrival, \
                 start, end, travel_seconds, travel_km) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(&err)?;
        for v in &plan.visits {
            visit
                .execute(params![
                    plan.id,
                    v.order.as_str(),
                    v.technician.as_str(),
                    v.sequence,
                    instant(&v.arrival),
                    instant(&v.start),
                    instant(&v.end),
                    v.travel_seconds,
                    v.travel_km
                ])
                .map_err(|e| conflict(format!("visit of order `{}`: {e}", v.order)))?;
        }
        let mut unassigned = tx
            .prepare_cached(
                "INSERT INTO plan_unassigned (plan_id, order_id, reason) VALUES (?1, ?2, ?3)",
            )
            .map_err(&err)?;
        for u in &plan.unassigned {
            unassigned
                .execute(params![plan.id, u.order.as_str(), u.reason])
                .map_err(|e| conflict(format!("unassigned order `{}`: {e}", u.order)))?;
        }
    }
    let changes = apply_updates(&tx, path, updates, batch)?;
    let rows = 1 + plan.visits.len() + plan.unassigned.len() + changes;
    batches::finish(&tx, path, batch, rows)?;
    super::commit(tx, path, "writing a plan")?;
    Ok(BatchReceipt {
        batch: Some(batch),
        written: rows,
        skipped: 0,
    })
}

/// The stored plans, oldest first.
pub(crate) fn list(conn: &Connection, path: &Path) -> Result<Vec<PlanRecord>, StoreError> {
    let err = sql_error(path, "reading plans");
    let mut visits: HashMap<String, Vec<PlannedVisit>> = HashMap::new();
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT plan_id, order_id, technician_id, sequence, arrival, start, end, \
                 travel_seconds, travel_km FROM plan_visits \
                 ORDER BY plan_id, technician_id, start",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, u32>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, i64>(7)?,
                    row.get::<_, f64>(8)?,
                ))
            })
            .map_err(&err)?;
        for row in rows {
            let (plan, order, tech, sequence, arrival, start, end, travel_seconds, travel_km) =
                row.map_err(&err)?;
            let visit = PlannedVisit {
                arrival: parse_instant(&arrival, "plan", &plan)?,
                start: parse_instant(&start, "plan", &plan)?,
                end: parse_instant(&end, "plan", &plan)?,
                order: OrderId::new(order),
                technician: TechnicianId::new(tech),
                sequence,
                travel_seconds,
                travel_km,
            };
            visits.entry(plan).or_default().push(visit);
        }
    }
    let mut unassigned: HashMap<String, Vec<UnassignedOrder>> = HashMap::new();
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT plan_id, order_id, reason FROM plan_unassigned ORDER BY plan_id, order_id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .map_err(&err)?;
        for row in rows {
            let (plan, order, reason) = row.map_err(&err)?;
            unassigned.entry(plan).or_default().push(UnassignedOrder {
                order: OrderId::new(order),
                reason,
            });
        }
    }
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, horizon_from, horizon_to, created_at, kpis FROM plans ORDER BY batch_id",
        )
        .map_err(&err)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
            ))
        })
        .map_err(&err)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, from, to, created_at, kpis) = row.map_err(&err)?;
        out.push(PlanRecord {
            from: parse_date(&from, "plan", &id)?,
            to: parse_date(&to, "plan", &id)?,
            created_at: parse_instant(&created_at, "plan", &id)?,
            kpis: from_doc(&kpis, "plan", &id)?,
            visits: visits.remove(&id).unwrap_or_default(),
            unassigned: unassigned.remove(&id).unwrap_or_default(),
            id,
        });
    }
    Ok(out)
}
