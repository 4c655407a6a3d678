//! The backlog of a window: the open orders that could be worked before the window ends but
//! that the current schedule ([`current_plan`](super::current_plan)) holds no visit for, each
//! with why. The dispatcher's board shows it beside the technicians' rows, so no open order of
//! the window is invisible (an order neither planned nor listed as unassigned used to appear
//! nowhere).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Model, OrderId, OrderStatus};
use crate::schedule::plan::{Plan, UnassignedReason};

/// Why an open order of the window is not on the schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BacklogReason {
    /// Still `created` and no stored plan has tried to place it (it became workable after the
    /// last run, or lies beyond the days the last run planned).
    NotYetPlanned,
    /// The newest plan that considered it could not place it.
    Unassigned {
        /// The planner's reason.
        reason: UnassignedReason,
        /// The planner's detail (e.g. the closest technician and what they lack).
        detail: String,
    },
    /// Its status says it is booked (`scheduled`, `in_progress`, `on_hold`) but no stored plan
    /// holds a visit for it — e.g. a restore that brought the orders back without their plans.
    NoVisit {
        /// The order's status.
        status: OrderStatus,
    },
}

impl BacklogReason {
    /// A short machine name: `not_yet_planned`, `unassigned` or `no_visit`.
    pub fn kind(&self) -> &'static str {
        match self {
            BacklogReason::NotYetPlanned => "not_yet_planned",
            BacklogReason::Unassigned { .. } => "unassigned",
            BacklogReason::NoVisit { .. } => "no_visit",
        }
    }
}

impl std::fmt::Display for BacklogReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BacklogReason::NotYetPlanned => f.write_str("not yet planned"),
            BacklogReason::Unassigned { reason, .. } => write!(f, "unassigned: {reason}"),
            BacklogReason::NoVisit { status } => {
                write!(f, "{status} but no stored plan holds a visit")
            }
        }
    }
}

/// One open order of the backlog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacklogEntry {
    /// The order.
    pub order: OrderId,
    /// Why it is not on the schedule.
    pub reason: BacklogReason,
}

/// The backlog of a window ending at `until` (exclusive): every order of the model that is
/// **open** (not completed, not cancelled), **workable before the window ends** (its earliest
/// start, else its creation, is before `until` — so overdue work from before the window is
/// included) and **holds no visit** in `plan` (the current schedule, on any day). In model
/// order; one entry per order (the loop is bounded by the model's orders).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use fieldwork::model::Model;
/// use fieldwork::schedule::plan::{Plan, PlanKpis};
/// use fieldwork::store::{backlog, BacklogReason};
/// let model = Model::from_json(r#"{"customers": [{"id": "C-1", "name": "Acme", "tier": "gold",
///   "time_zone": "UTC", "location": {"lat": 52.5, "lon": 13.4}}],
///   "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
///   "priority": "high", "created_at": "2027-03-01T08:00:00Z"}]}"#).unwrap();
/// let at = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
/// let empty = Plan { from: at, to: at, routes: vec![], unassigned: vec![], kpis: PlanKpis::default() };
/// let until = Utc.with_ymd_and_hms(2027, 3, 2, 0, 0, 0).unwrap();
/// let entries = backlog(&model, &empty, until);
/// assert_eq!(entries.len(), 1);
/// assert_eq!(entries[0].reason, BacklogReason::NotYetPlanned);
/// // Created after the window: not of this window.
/// assert!(backlog(&model, &empty, at).is_empty());
/// ```
pub fn backlog(model: &Model, plan: &Plan, until: DateTime<Utc>) -> Vec<BacklogEntry> {
    let held: HashSet<&OrderId> = plan
        .routes
        .iter()
        .flat_map(|r| r.visits.iter().map(|v| &v.order))
        .collect();
    let unassigned: HashMap<&OrderId, _> = plan.unassigned.iter().map(|u| (&u.order, u)).collect();
    let mut entries = Vec::new();
    for order in model.orders() {
        let status = order.status();
        if status.is_final() || held.contains(&order.id) {
            continue;
        }
        if order.earliest_start.unwrap_or(order.created_at) >= until {
            continue;
        }
        let reason = if status.is_booked() {
            BacklogReason::NoVisit { status }
        } else {
            match unassigned.get(&order.id) {
                Some(u) => BacklogReason::Unassigned {
                    reason: u.reason,
                    detail: u.detail.clone(),
                },
                None => BacklogReason::NotYetPlanned,
            }
        };
        entries.push(BacklogEntry {
            order: order.id.clone(),
            reason,
        });
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::plan::{PlanKpis, Route, Unassigned, Visit};
    use chrono::{NaiveDate, TimeZone};

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, day, hour, 0, 0).unwrap()
    }

    /// Orders SO-1.. created on the 1st, each with an optional earliest start (day of March)
    /// and a path of statuses.
    fn model(orders: &[(&str, Option<u32>, &[OrderStatus])]) -> Model {
        let json: Vec<String> = orders
            .iter()
            .map(|(id, earliest, _)| {
                let earliest = earliest.map_or(String::new(), |d| {
                    format!(r#", "earliest_start": "2027-03-{d:02}T08:00:00Z""#)
                });
                format!(
                    r#"{{"id": "{id}", "customer": "C-1", "origin": {{"kind": "manual"}},
                        "priority": "normal", "created_at": "2027-03-01T00:00:00Z"{earliest}}}"#
                )
            })
            .collect();
        let mut model = Model::from_json(&format!(
            r#"{{"customers": [{{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                  "location": {{"lat": 52.5, "lon": 13.4}}}}], "orders": [{}]}}"#,
            json.join(",")
        ))
        .unwrap();
        for (id, _, path) in orders {
            for (i, s) in path.iter().enumerate() {
                model
                    .transition_order(&OrderId::new(*id), *s, at(1, 1 + i as u32))
                    .unwrap();
            }
        }
        model
    }

    fn plan(visits: &[&str], unassigned: &[&str]) -> Plan {
        let visits = visits
            .iter()
            .map(|o| Visit {
                order: OrderId::new(*o),
                arrival: at(2, 9),
                start: at(2, 9),
                end: at(2, 10),
                travel_minutes: 0.0,
                travel_km: 0.0,
                due: None,
                late_minutes: 0.0,
                fixed: false,
                part: None,
            })
            .collect();
        Plan {
            from: at(2, 0),
            to: at(4, 0),
            routes: vec![Route {
                technician: "T-1".into(),
                day: NaiveDate::from_ymd_opt(2027, 3, 2).unwrap(),
                shift_start: at(2, 7),
                shift_end: at(2, 16),
                visits,
                return_minutes: 0.0,
                return_km: 0.0,
                depot_stop: None,
            }],
            unassigned: unassigned
                .iter()
                .map(|o| Unassigned {
                    order: OrderId::new(*o),
                    reason: UnassignedReason::NoEligibleTechnician,
                    detail: "lacks lifts".into(),
                })
                .collect(),
            kpis: PlanKpis::default(),
        }
    }

    #[test]
    fn open_orders_without_a_visit_are_the_backlog_with_why() {
        use OrderStatus::*;
        let model = model(&[
            ("SO-1", None, &[]),                                 // created, never planned
            ("SO-2", None, &[]),                                 // created, left unassigned
            ("SO-3", None, &[Scheduled]),                        // planned: not backlog
            ("SO-4", None, &[Scheduled, InProgress]),            // booked, no visit
            ("SO-5", None, &[Scheduled, InProgress, Completed]), // done
            ("SO-6", None, &[Cancelled]),                        // withdrawn
            ("SO-7", Some(3), &[]),                              // workable on the 3rd
            ("SO-8", Some(5), &[]),                              // after the window
        ]);
        let plan = plan(&["SO-3"], &["SO-2"]);
        let entries = backlog(&model, &plan, at(4, 0));
        let got: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.order.as_str(), e.reason.kind()))
            .collect();
        assert_eq!(
            got,
            [
                ("SO-1", "not_yet_planned"),
                ("SO-2", "unassigned"),
                ("SO-4", "no_visit"),
                ("SO-7", "not_yet_planned"),
            ]
        );
        assert_eq!(
            entries[1].reason.to_string(),
            "unassigned: no eligible technician"
        );
        assert_eq!(
            entries[2].reason,
            BacklogReason::NoVisit { status: InProgress }
        );
        // A window ending before SO-7 becomes workable leaves it out.
        assert_eq!(backlog(&model, &plan, at(3, 8)).len(), 3);
    }
}
