//! Parts and tools along a technician's day: what a technician cannot bring to an order even
//! with a depot stop (eligibility and unassigned reasons), and the day's stock visit by visit
//! (for `fieldwork today`, the board and plan checks).
//!
//! **The day model** (see `docs/dataset.md`, "Parts and tools"): each working day's route
//! starts with the van's standard stock ([`Technician::stock`]) and its tools; each visit
//! consumes its order's parts ([`Model::order_required_parts`]); at most one stop at the
//! technician's depot ([`Model::technician_depot`]) per route refills the van: after it, every
//! part the depot holds is available without limit and its tools are in the van; parts it does
//! not hold are still taken from what is left in the van.

use std::collections::BTreeMap;

use thiserror::Error;

use super::plan::{Route, UnassignedReason};
pub use crate::model::Shortfall;
use crate::model::{
    Depot, Model, OrderId, PartId, PartUnits, ServiceOrder, Technician, TechnicianId, ToolId,
};

/// The first of `order`'s needs that `tech` cannot meet even with a stop at its depot (see
/// [`Model::stock_shortfall`]).
pub fn shortfall(model: &Model, order: &ServiceOrder, tech: &Technician) -> Option<Shortfall> {
    model.stock_shortfall(order, tech)
}

/// Whether `order` needs any part or tool at all (orders that need none skip the checks).
pub fn needs_stock(model: &Model, order: &ServiceOrder) -> bool {
    !model.order_required_tools(order).is_empty() || !model.order_required_parts(order).is_empty()
}

/// The unassigned reason and its detail for an order that no otherwise eligible technician can
/// serve for want of a part or a tool: the shortfall of the first technician (in `techs`'
/// order), e.g. `needs tool T-torque-wrench: no technician carries it and no depot holds it`.
/// `None` when some technician has no shortfall or `techs` is empty.
pub fn missing_reason<'a>(
    model: &Model,
    order: &ServiceOrder,
    techs: impl IntoIterator<Item = &'a Technician>,
) -> Option<(UnassignedReason, String)> {
    let techs: Vec<&Technician> = techs.into_iter().collect();
    let mut first = None;
    for tech in &techs {
        let s = shortfall(model, order, tech)?;
        first.get_or_insert(s);
    }
    Some(match first? {
        Shortfall::Tool(tool) => (
            UnassignedReason::MissingTool,
            format!(
                "needs tool {tool}{}: no technician carries it and no depot holds it",
                name_of(model.tool_type(&tool).map(|t| t.name.as_str()))
            ),
        ),
        Shortfall::Parts { part, needed, .. } => {
            let carried = techs.iter().map(|t| t.stock_of(&part)).max().unwrap_or(0);
            (
                UnassignedReason::MissingParts,
                format!(
                    "needs {needed} × {part}{}: vans carry at most {carried} and no depot holds it",
                    name_of(model.part_type(&part).map(|p| p.name.as_str()))
                ),
            )
        }
    })
}

fn name_of(name: Option<&str>) -> String {
    name.map(|n| format!(" ({n})")).unwrap_or_default()
}

/// One visit's parts in a day's stock walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitStock {
    /// The order.
    pub order: OrderId,
    /// Whether the depot stop comes just before this visit.
    pub after_depot: bool,
    /// Parts the visit consumes.
    pub consumed: PartUnits,
    /// Tools the visit needs.
    pub tools: Vec<ToolId>,
    /// What the van holds after the visit (parts the depot restocked without limit are not
    /// counted after the depot stop: see [`DayStock::unlimited`]).
    pub left: PartUnits,
}

/// A route's stock through the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayStock {
    /// The technician.
    pub technician: TechnicianId,
    /// The van's stock when the day starts.
    pub start: PartUnits,
    /// The depot of the route's stop, if it has one.
    pub depot: Option<String>,
    /// Parts available without limit after the depot stop (those the depot holds).
    pub unlimited: Vec<PartId>,
    /// Visit by visit, in route order.
    pub visits: Vec<VisitStock>,
    /// What is left at the end of the day (parts the depot holds excepted).
    pub end: PartUnits,
}

/// A stock rule a route breaks (see [`check_route`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StockViolation {
    /// The route's technician is not in the model.
    #[error("route of unknown technician {0}")]
    UnknownTechnician(TechnicianId),
    /// A visit needs a tool the van does not carry at that point of the day.
    #[error("order {order} needs tool {tool}, which {technician}'s van does not carry there")]
    Tool {
        /// The order.
        order: OrderId,
        /// The technician.
        technician: TechnicianId,
        /// The tool.
        tool: ToolId,
    },
    /// A visit needs more units of a part than are left in the van.
    #[error("order {order} needs {needed} × {part}; {technician}'s van has {left} left there")]
    Parts {
        /// The order.
        order: OrderId,
        /// The technician.
        technician: TechnicianId,
        /// The part.
        part: PartId,
        /// Units needed.
        needed: u32,
        /// Units left in the van.
        left: u32,
    },
    /// The depot stop names a depot that does not exist.
    #[error("route of {technician} stops at unknown depot {depot}")]
    UnknownDepot {
        /// The technician.
        technician: TechnicianId,
        /// The depot.
        depot: String,
    },
}

/// Walks `route`'s day: the van's stock at the start, each visit's consumption, the depot
/// stop's refill, what is left. Violations are collected in `violations` (parts go to zero,
/// never below). O(visits × parts per order · log).
fn walk(model: &Model, route: &Route) -> (Option<DayStock>, Vec<StockViolation>) {
    let mut violations = Vec::new();
    let Some(tech) = model.technician(&route.technician) else {
        violations.push(StockViolation::UnknownTechnician(route.technician.clone()));
        return (None, violations);
    };
    let depot: Option<&Depot> = match &route.depot_stop {
        Some(stop) => match model.depot(&stop.depot) {
            Some(d) => Some(d),
            None => {
                violations.push(StockViolation::UnknownDepot {
                    technician: tech.id.clone(),
                    depot: stop.depot.to_string(),
                });
                None
            }
        },
        None => None,
    };
    let position = route.depot_position();
    let mut van: BTreeMap<PartId, u32> = tech.stock.clone();
    let mut visits = Vec::with_capacity(route.visits.len());
    for (i, visit) in route.visits.iter().enumerate() {
        let restocked = position.is_some_and(|p| i >= p);
        let refill = depot.filter(|_| restocked);
        let Some(order) = model.order(&visit.order) else {
            continue;
        };
        // An order served in several visits (crew members, a multi-day job's parts) takes its
        // parts once, at its first visit; every visit needs the tools.
        let consumed = if visit.part.is_none_or(|p| p.index == 1) {
            model.order_required_parts(order)
        } else {
            Default::default()
        };
        let tools = model.order_required_tools(order);
        for tool in &tools {
            if !tech.has_tool(tool) && !refill.is_some_and(|d| d.holds_tool(tool)) {
                violations.push(StockViolation::Tool {
                    order: order.id.clone(),
                    technician: tech.id.clone(),
                    tool: tool.clone(),
                });
            }
        }
        for (part, n) in &consumed {
            if refill.is_some_and(|d| d.holds_part(part)) {
                continue;
            }
            let left = van.get(part).copied().unwrap_or(0);
            if *n > left {
                violations.push(StockViolation::Parts {
                    order: order.id.clone(),
                    technician: tech.id.clone(),
                    part: part.clone(),
                    needed: *n,
                    left,
                });
            }
            van.insert(part.clone(), left.saturating_sub(*n));
        }
        visits.push(VisitStock {
            order: order.id.clone(),
            after_depot: position == Some(i),
            consumed,
            tools,
            left: shown(&van, refill),
        });
    }
    let day = DayStock {
        technician: tech.id.clone(),
        start: tech.stock.clone(),
        depot: depot.map(|d| d.id.to_string()),
        unlimited: depot.map(|d| d.parts.clone()).unwrap_or_default(),
        end: shown(&van, depot),
        visits,
    };
    (Some(day), violations)
}

/// The van's parts with the depot's unlimited parts left out (after a stop).
fn shown(van: &PartUnits, refill: Option<&Depot>) -> PartUnits {
    van.iter()
        .filter(|(p, _)| !refill.is_some_and(|d| d.holds_part(p)))
        .map(|(p, n)| (p.clone(), *n))
        .collect()
}

/// The day's stock of `route` (`None` when its technician is unknown). See the module docs
/// for the day model.
pub fn day_stock(model: &Model, route: &Route) -> Option<DayStock> {
    walk(model, route).0
}

/// Every stock rule `route` breaks: a tool not in the van where a visit needs it, a part
/// short, an unknown depot. Empty when the route keeps them all.
pub fn check_route(model: &Model, route: &Route) -> Vec<StockViolation> {
    walk(model, route).1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::plan::{DepotStop, Visit};
    use chrono::{Duration, TimeZone, Utc};

    fn model() -> Model {
        Model::from_json(
            r#"{
          "calendars": [{"id": "cal", "time_zone": "UTC", "weekly": {"mon": [["08:00","17:00"]]}}],
          "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                         "location": {"lat": 52.5, "lon": 13.4}, "calendar": "cal"}],
          "parts": [{"id": "P-filter", "name": "Filter"}, {"id": "P-seal", "name": "Seal"}],
          "tools": [{"id": "T-wrench", "name": "Torque wrench"}, {"id": "T-ladder", "name": "Ladder"}],
          "depots": [{"id": "D-1", "name": "North", "location": {"lat": 52.6, "lon": 13.4},
                      "parts": ["P-filter"], "tools": ["T-wrench"]}],
          "technicians": [
            {"id": "T-1", "name": "Ann", "home": {"lat": 52.5, "lon": 13.4}, "calendar": "cal",
             "hourly_cost": "50", "max_hours_per_day": 8, "stock": {"P-filter": 2, "P-seal": 1}},
            {"id": "T-2", "name": "Bo", "home": {"lat": 52.5, "lon": 13.4}, "calendar": "cal",
             "hourly_cost": "50", "max_hours_per_day": 8, "tools": ["T-ladder"]}],
          "orders": [
            {"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"}, "priority": "normal",
             "created_at": "2027-03-01T07:00:00Z", "parts": {"P-filter": 2}},
            {"id": "SO-2", "customer": "C-1", "origin": {"kind": "manual"}, "priority": "normal",
             "created_at": "2027-03-01T07:00:00Z", "parts": {"P-filter": 1, "P-seal": 1},
             "tools": ["T-wrench"]},
            {"id": "SO-3", "customer": "C-1", "origin": {"kind": "manual"}, "priority": "normal",
             "created_at": "2027-03-01T07:00:00Z", "tools": ["T-ladder"]},
            {"id": "SO-4", "customer": "C-1", "origin": {"kind": "manual"}, "priority": "normal",
             "created_at": "2027-03-01T07:00:00Z", "parts": {"P-seal": 2}}]
        }"#,
        )
        .unwrap()
    }

    fn route(orders: &[&str], depot_before: Option<usize>) -> Route {
        let t0 = Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap();
        let at = |i: usize| t0 + Duration::hours(i as i64);
        Route {
            technician: "T-1".into(),
            day: t0.date_naive(),
            shift_start: t0,
            shift_end: t0 + Duration::hours(9),
            visits: orders
                .iter()
                .enumerate()
                .map(|(i, o)| Visit {
                    order: (*o).into(),
                    arrival: at(i + 1),
                    start: at(i + 1),
                    end: at(i + 1) + Duration::minutes(30),
                    travel_minutes: 10.0,
                    travel_km: 5.0,
                    due: None,
                    late_minutes: 0.0,
                    fixed: false,
                    part: None,
                })
                .collect(),
            return_minutes: 10.0,
            return_km: 5.0,
            depot_stop: depot_before.map(|p| DepotStop {
                depot: "D-1".into(),
                arrival: at(p) + Duration::minutes(35),
                start: at(p) + Duration::minutes(35),
                end: at(p) + Duration::minutes(50),
                travel_minutes: 5.0,
                travel_km: 2.0,
            }),
        }
    }

    #[test]
    fn a_route_within_the_van_stock_keeps_the_rules_and_counts_down() {
        let m = model();
        let r = route(&["SO-1"], None);
        assert!(check_route(&m, &r).is_empty());
        let day = day_stock(&m, &r).unwrap();
        assert_eq!(day.start[&PartId::from("P-filter")], 2);
        assert_eq!(day.end[&PartId::from("P-filter")], 0);
        assert_eq!(day.end[&PartId::from("P-seal")], 1);
    }

    #[test]
    fn parts_beyond_the_van_need_the_depot_stop_before_the_visit() {
        let m = model();
        // SO-1 takes both filters; SO-2 needs one more filter and the wrench.
        let without = check_route(&m, &route(&["SO-1", "SO-2"], None));
        assert!(
            without
                .iter()
                .any(|v| matches!(v, StockViolation::Parts { part, left: 0, .. } if part.as_str() == "P-filter")),
            "{without:?}"
        );
        assert!(without.iter().any(
            |v| matches!(v, StockViolation::Tool { tool, .. } if tool.as_str() == "T-wrench")
        ));
        // A stop after the last visit is too late.
        assert!(!check_route(&m, &route(&["SO-1", "SO-2"], Some(2))).is_empty());
        // A stop between the two visits restocks in time.
        let with = route(&["SO-1", "SO-2"], Some(1));
        assert_eq!(with.depot_position(), Some(1));
        assert!(check_route(&m, &with).is_empty());
        let day = day_stock(&m, &with).unwrap();
        assert!(day.visits[1].after_depot && !day.visits[0].after_depot);
        assert_eq!(day.depot.as_deref(), Some("D-1"));
        // The seal is not held by the depot: the van's one seal is consumed.
        assert_eq!(day.end.get(&PartId::from("P-seal")), Some(&0));
        assert!(!day.end.contains_key(&PartId::from("P-filter")));
    }

    #[test]
    fn a_part_the_depot_does_not_hold_stays_short_after_the_stop() {
        let m = model();
        let v = check_route(&m, &route(&["SO-4"], Some(0)));
        assert!(
            matches!(
                &v[..],
                [StockViolation::Parts {
                    needed: 2,
                    left: 1,
                    ..
                }]
            ),
            "{v:?}"
        );
    }

    #[test]
    fn shortfalls_name_what_neither_van_nor_depot_can_bring() {
        let m = model();
        let t1 = m.technician(&"T-1".into()).unwrap();
        let t2 = m.technician(&"T-2".into()).unwrap();
        let order = |id: &str| m.order(&id.into()).unwrap();
        // T-1 lacks the ladder and the depot has none.
        assert_eq!(
            shortfall(&m, order("SO-3"), t1),
            Some(Shortfall::Tool("T-ladder".into()))
        );
        assert_eq!(shortfall(&m, order("SO-3"), t2), None);
        // The depot lends the wrench and holds filters: SO-2 is fine for T-1 but not the
        // seal for T-2 (none in the van, none at the depot).
        assert_eq!(shortfall(&m, order("SO-2"), t1), None);
        assert_eq!(
            shortfall(&m, order("SO-2"), t2),
            Some(Shortfall::Parts {
                part: "P-seal".into(),
                needed: 1,
                carried: 0
            })
        );
        let (reason, detail) = missing_reason(&m, order("SO-4"), [t1, t2]).unwrap();
        assert_eq!(reason, UnassignedReason::MissingParts);
        assert_eq!(
            detail,
            "needs 2 × P-seal (Seal): vans carry at most 1 and no depot holds it"
        );
        let (reason, detail) = missing_reason(&m, order("SO-3"), [t1]).unwrap();
        assert_eq!(reason, UnassignedReason::MissingTool);
        assert!(detail.starts_with("needs tool T-ladder (Ladder): no technician carries it"));
        assert_eq!(missing_reason(&m, order("SO-3"), [t1, t2]), None);
    }
}
