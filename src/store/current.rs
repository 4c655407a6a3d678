//! The current schedule: what the stored plans say *now*. Plans accumulate (one per scheduling
//! window, replaced when that window is re-planned, and windows of successive runs overlap), so
//! no single stored plan is the schedule. For each order the newest plan that places it wins,
//! and only orders still on the schedule (scheduled, in progress, on hold or completed) count;
//! an order taken off the plan (back to `created`) or cancelled has no visit. Routes of one
//! technician and day coming from different plans are merged.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::records::StoredPlan;
use crate::model::{Model, OrderId, OrderStatus, TechnicianId};
use crate::schedule::plan::{Plan, PlanKpis, Route, Visit};

/// Whether an order in this status belongs on the schedule.
/// Booked work ([`OrderStatus::is_booked`]) and completed work (as it was planned).
pub fn on_schedule(status: OrderStatus) -> bool {
    status.is_booked() || status == OrderStatus::Completed
}

/// Whether a planned visit puts its order's SLA at risk at `now`: it starts after its due time,
/// starts less than `margin` before it, or the due time has already passed.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use fieldwork::schedule::plan::Visit;
/// use fieldwork::store::sla_at_risk;
/// let at = Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
/// let visit = Visit {
///     order: "SO-1".into(), arrival: at, start: at, end: at + Duration::hours(1),
///     travel_minutes: 0.0, travel_km: 0.0, due: Some(at + Duration::minutes(30)),
///     late_minutes: 0.0, fixed: false, part: None,
/// };
/// assert!(sla_at_risk(&visit, at, Duration::minutes(60)));
/// assert!(!sla_at_risk(&visit, at, Duration::minutes(15)));
/// ```
pub fn sla_at_risk(visit: &Visit, now: DateTime<Utc>, margin: Duration) -> bool {
    visit.is_late()
        || visit
            .due
            .is_some_and(|due| visit.start > due - margin || due < now)
}

/// Combines the stored `plans` into the current schedule (see the module docs); `None` when
/// no plan is stored. The horizon spans every plan's; unassigned orders are those the newest
/// plan that mentions them left out and that are still `created`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use fieldwork::model::Model;
/// use fieldwork::schedule::plan::{Plan, PlanKpis};
/// use fieldwork::store::{current_plan, StoredPlan};
/// let model = Model::from_json("{}").unwrap();
/// let at = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
/// let empty = Plan { from: at, to: at, routes: vec![], unassigned: vec![], kpis: PlanKpis::default() };
/// let stored = StoredPlan { id: "p".into(), created_at: at, plan: empty };
/// assert_eq!(current_plan(&model, &[stored]).unwrap().routes.len(), 0);
/// assert!(current_plan(&model, &[]).is_none());
/// ```
pub fn current_plan(model: &Model, plans: &[StoredPlan]) -> Option<Plan> {
    let mut newest_first: Vec<&StoredPlan> = plans.iter().collect();
    newest_first.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    let (first, _) = newest_first.split_first()?;
    let status = |o: &OrderId| model.order(o).map(|o| o.status());

    let mut seen: HashSet<&OrderId> = HashSet::new();
    let mut routes: BTreeMap<(TechnicianId, NaiveDate), Route> = BTreeMap::new();
    let mut unassigned = Vec::new();
    let (mut from, mut to): (DateTime<Utc>, DateTime<Utc>) = (first.plan.from, first.plan.to);
    for stored in &newest_first {
        let plan = &stored.plan;
        (from, to) = (from.min(plan.from), to.max(plan.to));
        // A newer plan holds an order with all its visits (the parts of a multi-day job, a
        // crew's): an older plan's visits of it are all dropped.
        let mut held: HashSet<&OrderId> = HashSet::new();
        for route in &plan.routes {
            let visits: Vec<_> = route
                .visits
                .iter()
                .filter(|v| {
                    if !status(&v.order).is_some_and(on_schedule) {
                        return false;
                    }
                    if held.contains(&v.order) {
                        return true;
                    }
                    let first = seen.insert(&v.order);
                    if first {
                        held.insert(&v.order);
                    }
                    first
                })
                .cloned()
                .collect();
            if visits.is_empty() {
                continue;
            }
            let key = (route.technician.clone(), route.day);
            match routes.get_mut(&key) {
                None => {
                    routes.insert(
                        key,
                        Route {
                            visits,
                            ..route.clone()
                        },
                    );
                }
                Some(merged) => merge_route(merged, route, visits),
            }
        }
        for u in &plan.unassigned {
            if status(&u.order) == Some(OrderStatus::Created) && seen.insert(&u.order) {
                unassigned.push(u.clone());
            }
        }
    }
    let mut plan = Plan {
        from,
        to,
        routes: routes.into_values().collect(),
        unassigned,
        kpis: PlanKpis::default(),
    };
    plan.refresh_kpis();
    plan.kpis.orders_total = plan.kpis.orders_assigned + plan.unassigned.len();
    Some(plan)
}

/// Adds `visits` of an older plan's `route` to the newer route of the same technician and day.
fn merge_route(merged: &mut Route, route: &Route, visits: Vec<Visit>) {
    let last_before = merged.visits.last().map(|v| v.end);
    merged.visits.extend(visits);
    merged.visits.sort_by_key(|v| v.start);
    merged.shift_start = merged.shift_start.min(route.shift_start);
    merged.shift_end = merged.shift_end.max(route.shift_end);
    if merged.visits.last().map(|v| v.end) != last_before {
        // The older route now ends the day: its way home is the day's.
        merged.return_minutes = route.return_minutes;
        merged.return_km = route.return_km;
    }
    if merged.depot_stop.is_none() {
        merged.depot_stop.clone_from(&route.depot_stop);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::plan::{Unassigned, UnassignedReason};
    use chrono::{Duration, TimeZone};

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, day, hour, 0, 0).unwrap()
    }

    fn visit(order: &str, day: u32, hour: u32) -> Visit {
        Visit {
            order: OrderId::new(order),
            arrival: at(day, hour),
            start: at(day, hour),
            end: at(day, hour) + Duration::hours(1),
            travel_minutes: 10.0,
            travel_km: 5.0,
            due: None,
            late_minutes: 0.0,
            fixed: false,
            part: None,
        }
    }

    fn route(tech: &str, day: u32, visits: Vec<Visit>) -> Route {
        Route {
            technician: TechnicianId::new(tech),
            day: NaiveDate::from_ymd_opt(2027, 3, day).unwrap(),
            shift_start: at(day, 7),
            shift_end: at(day, 16),
            visits,
            return_minutes: 10.0,
            return_km: 5.0,
            depot_stop: None,
        }
    }

    fn stored(id: &str, created: DateTime<Utc>, routes: Vec<Route>, left: &[&str]) -> StoredPlan {
        let unassigned = left
            .iter()
            .map(|o| Unassigned {
                order: OrderId::new(*o),
                reason: UnassignedReason::NoCapacityLeft,
                detail: String::new(),
            })
            .collect();
        StoredPlan {
            id: id.into(),
            created_at: created,
            plan: Plan {
                from: created,
                to: created + Duration::days(5),
                routes,
                unassigned,
                kpis: PlanKpis::default(),
            },
        }
    }

    /// Orders SO-1..SO-5 with the given statuses.
    fn model(statuses: &[(&str, OrderStatus)]) -> Model {
        let orders: Vec<String> = statuses
            .iter()
            .map(|(id, _)| {
                format!(
                    r#"{{"id": "{id}", "customer": "C-1", "origin": {{"kind": "manual"}},
                        "priority": "normal", "created_at": "2027-02-01T00:00:00Z"}}"#
                )
            })
            .collect();
        let mut model = Model::from_json(&format!(
            r#"{{"customers": [{{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                  "location": {{"lat": 52.5, "lon": 13.4}}}}], "orders": [{}]}}"#,
            orders.join(",")
        ))
        .unwrap();
        for (id, status) in statuses {
            let path: &[OrderStatus] = match status {
                OrderStatus::Created => &[],
                OrderStatus::Scheduled => &[OrderStatus::Scheduled],
                OrderStatus::InProgress => &[OrderStatus::Scheduled, OrderStatus::InProgress],
                OrderStatus::Cancelled => &[OrderStatus::Cancelled],
                _ => unreachable!("not used"),
            };
            for (i, s) in path.iter().enumerate() {
                model
                    .transition_order(&OrderId::new(*id), *s, at(2, i as u32))
                    .unwrap();
            }
        }
        model
    }

    #[test]
    fn the_newest_plan_wins_and_orders_off_the_schedule_drop_out() {
        use OrderStatus::*;
        let model = model(&[
            ("SO-1", Scheduled),
            ("SO-2", Scheduled),
            ("SO-3", Created),
            ("SO-4", Cancelled),
            ("SO-5", InProgress),
        ]);
        let old = stored(
            "old",
            at(1, 6),
            vec![
                route("T-1", 2, vec![visit("SO-1", 2, 8), visit("SO-5", 2, 10)]),
                route("T-2", 3, vec![visit("SO-2", 3, 8), visit("SO-4", 3, 10)]),
            ],
            &["SO-3"],
        );
        // The newer plan moved SO-1 to T-2 on the 3rd and still could not place SO-3.
        let new = stored(
            "new",
            at(2, 6),
            vec![route("T-2", 3, vec![visit("SO-1", 3, 12)])],
            &["SO-3"],
        );
        let plan = current_plan(&model, &[old, new]).unwrap();
        let where_is = |o: &str| {
            plan.visit_of(&OrderId::new(o))
                .map(|(r, v)| (r.technician.to_string(), v.start))
        };
        assert_eq!(where_is("SO-1"), Some(("T-2".into(), at(3, 12))));
        assert_eq!(where_is("SO-2"), Some(("T-2".into(), at(3, 8))));
        assert_eq!(where_is("SO-5"), Some(("T-1".into(), at(2, 10))));
        assert_eq!(where_is("SO-4"), None, "cancelled");
        assert_eq!(where_is("SO-3"), None);
        assert_eq!(plan.unassigned.len(), 1);
        // T-2's 3rd is one route, in time order, with each order once.
        assert_eq!(plan.routes.len(), 2);
        let t2 = &plan.routes[1];
        let orders: Vec<&str> = t2.visits.iter().map(|v| v.order.as_str()).collect();
        assert_eq!(orders, ["SO-2", "SO-1"]);
        assert_eq!(plan.kpis.orders_assigned, 3);
        assert_eq!(plan.kpis.orders_total, 4);
        assert_eq!(
            (plan.from, plan.to),
            (at(1, 6), at(2, 6) + Duration::days(5))
        );
        // The current plan stored alone is its own current plan (a worker run's base keeps
        // only it, not every plan ever stored).
        let alone = StoredPlan {
            id: "current".into(),
            created_at: at(2, 6),
            plan: plan.clone(),
        };
        assert_eq!(current_plan(&model, &[alone]), Some(plan));
    }
}
