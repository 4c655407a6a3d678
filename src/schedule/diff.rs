//! What a re-plan changed: the [`PlanDiff`] between the schedule before a run and the plan the
//! run made — visits moved (another technician or another start), added, removed, and orders
//! newly left unassigned — overall and per technician.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

use super::plan::Plan;
use crate::model::{OrderId, TechnicianId};

/// Where and when a visit is planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// The technician.
    pub technician: TechnicianId,
    /// Planned start.
    pub start: DateTime<Utc>,
}

/// What happened to one order's visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Planned before and now, with another technician or start.
    Moved,
    /// Planned now, not before.
    Added,
    /// Planned before, now neither planned nor unassigned (cancelled, completed, out of the
    /// window).
    Removed,
    /// Planned before, now left unassigned.
    Unassigned,
}

/// One changed visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitChange {
    /// The order.
    pub order: OrderId,
    /// What happened.
    pub kind: ChangeKind,
    /// Where it was (absent when added).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Placement>,
    /// Where it is (absent when removed or unassigned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Placement>,
}

/// The changes one technician sees: a visit moved between two technicians counts for both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TechnicianDiff {
    /// Visits of theirs moved (to another time, to or from another technician).
    pub moved: usize,
    /// New visits.
    pub added: usize,
    /// Visits removed from the schedule.
    pub removed: usize,
    /// Visits taken off and left unassigned.
    pub unassigned: usize,
}

/// The difference between the schedule before a run and the new plan.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use fieldwork::schedule::diff::PlanDiff;
/// use fieldwork::schedule::plan::{Plan, PlanKpis, Route, Visit};
/// let at = Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
/// let visit = |order: &str, start| Visit {
///     order: order.into(), arrival: start, start, end: start + Duration::hours(1),
///     travel_minutes: 0.0, travel_km: 0.0, due: None, late_minutes: 0.0, fixed: false, part: None,
/// };
/// let plan = |visits| Plan {
///     from: at, to: at + Duration::days(1), unassigned: vec![], kpis: PlanKpis::default(),
///     routes: vec![Route { technician: "T-1".into(), day: at.date_naive(), shift_start: at,
///         shift_end: at + Duration::hours(8), visits, return_minutes: 0.0, return_km: 0.0,
///         depot_stop: None }],
/// };
/// let before = plan(vec![visit("SO-1", at), visit("SO-2", at + Duration::hours(2))]);
/// let after = plan(vec![visit("SO-1", at), visit("SO-2", at + Duration::hours(3))]);
/// let diff = PlanDiff::between(Some(&before), &after);
/// assert_eq!((diff.moved, diff.unchanged), (1, 1));
/// assert_eq!(diff.technicians[&"T-1".into()].moved, 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanDiff {
    /// Visits planned before and now at the same technician and start.
    pub unchanged: usize,
    /// Visits moved.
    pub moved: usize,
    /// Visits added.
    pub added: usize,
    /// Visits removed.
    pub removed: usize,
    /// Visits newly left unassigned.
    pub newly_unassigned: usize,
    /// Per technician (by id).
    pub technicians: BTreeMap<TechnicianId, TechnicianDiff>,
    /// Every change, by order id.
    pub changes: Vec<VisitChange>,
}

impl PlanDiff {
    /// The changes from `previous` (the schedule before the run; `None` when there was none)
    /// to `new`. O(v log v) for v visits.
    pub fn between(previous: Option<&Plan>, new: &Plan) -> PlanDiff {
        // An order with several visits (multi-day, crew) is placed where its earliest one is.
        let placements = |plan: &Plan| -> HashMap<OrderId, Placement> {
            let mut out: HashMap<OrderId, Placement> = HashMap::new();
            for r in &plan.routes {
                for v in &r.visits {
                    let place = Placement {
                        technician: r.technician.clone(),
                        start: v.start,
                    };
                    out.entry(v.order.clone())
                        .and_modify(|p| {
                            if (place.start, &place.technician) < (p.start, &p.technician) {
                                *p = place.clone();
                            }
                        })
                        .or_insert(place);
                }
            }
            out
        };
        let before = previous.map(placements).unwrap_or_default();
        let after = placements(new);
        let unassigned: std::collections::HashSet<&OrderId> =
            new.unassigned.iter().map(|u| &u.order).collect();
        let mut diff = PlanDiff::default();
        for (order, now) in &after {
            match before.get(order) {
                Some(was) if was == now => diff.unchanged += 1,
                was => diff.changes.push(VisitChange {
                    order: order.clone(),
                    kind: if was.is_some() {
                        ChangeKind::Moved
                    } else {
                        ChangeKind::Added
                    },
                    before: was.cloned(),
                    after: Some(now.clone()),
                }),
            }
        }
        for (order, was) in &before {
            if after.contains_key(order) {
                continue;
            }
            diff.changes.push(VisitChange {
                order: order.clone(),
                kind: if unassigned.contains(order) {
                    ChangeKind::Unassigned
                } else {
                    ChangeKind::Removed
                },
                before: Some(was.clone()),
                after: None,
            });
        }
        diff.changes.sort_by(|a, b| a.order.cmp(&b.order));
        for c in &diff.changes {
            let mut techs: Vec<&TechnicianId> = c
                .before
                .iter()
                .chain(&c.after)
                .map(|p| &p.technician)
                .collect();
            techs.dedup();
            for t in techs {
                let entry = diff.technicians.entry(t.clone()).or_default();
                match c.kind {
                    ChangeKind::Moved => entry.moved += 1,
                    ChangeKind::Added => entry.added += 1,
                    ChangeKind::Removed => entry.removed += 1,
                    ChangeKind::Unassigned => entry.unassigned += 1,
                }
            }
            match c.kind {
                ChangeKind::Moved => diff.moved += 1,
                ChangeKind::Added => diff.added += 1,
                ChangeKind::Removed => diff.removed += 1,
                ChangeKind::Unassigned => diff.newly_unassigned += 1,
            }
        }
        diff
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::plan::{PlanKpis, Route, Unassigned, UnassignedReason, Visit};
    use chrono::{Duration, TimeZone};

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, h, 0, 0).unwrap()
    }

    fn plan(routes: &[(&str, &[(&str, u32)])], unassigned: &[&str]) -> Plan {
        Plan {
            from: at(0),
            to: at(23),
            routes: routes
                .iter()
                .map(|(t, visits)| Route {
                    technician: TechnicianId::new(*t),
                    day: at(0).date_naive(),
                    shift_start: at(8),
                    shift_end: at(17),
                    visits: visits
                        .iter()
                        .map(|(o, h)| Visit {
                            order: OrderId::new(*o),
                            arrival: at(*h),
                            start: at(*h),
                            end: at(*h) + Duration::hours(1),
                            travel_minutes: 0.0,
                            travel_km: 0.0,
                            due: None,
                            late_minutes: 0.0,
                            fixed: false,
                            part: None,
                        })
                        .collect(),
                    return_minutes: 0.0,
                    return_km: 0.0,
                    depot_stop: None,
                })
                .collect(),
            unassigned: unassigned
                .iter()
                .map(|o| Unassigned {
                    order: OrderId::new(*o),
                    reason: UnassignedReason::NoCapacityLeft,
                    detail: String::new(),
                })
                .collect(),
            kpis: PlanKpis::default(),
        }
    }

    #[test]
    fn every_kind_of_change_is_counted_per_technician() {
        let before = plan(
            &[
                ("T-1", &[("A", 8), ("B", 10), ("C", 12)]),
                ("T-2", &[("D", 9)]),
            ],
            &[],
        );
        let after = plan(
            &[("T-1", &[("A", 8), ("E", 10)]), ("T-2", &[("B", 10)])],
            &["C"],
        );
        let diff = PlanDiff::between(Some(&before), &after);
        assert_eq!(
            (
                diff.unchanged,
                diff.moved,
                diff.added,
                diff.removed,
                diff.newly_unassigned
            ),
            (1, 1, 1, 1, 1)
        );
        let t1 = &diff.technicians[&TechnicianId::new("T-1")];
        assert_eq!(
            (t1.moved, t1.added, t1.unassigned, t1.removed),
            (1, 1, 1, 0)
        );
        let t2 = &diff.technicians[&TechnicianId::new("T-2")];
        assert_eq!((t2.moved, t2.removed), (1, 1));
    }

    #[test]
    fn the_same_plan_has_no_changes() {
        let p = plan(&[("T-1", &[("A", 8), ("B", 10)])], &[]);
        let diff = PlanDiff::between(Some(&p), &p);
        assert!(diff.is_empty());
        assert_eq!(diff.unchanged, 2);
        assert_eq!(PlanDiff::between(None, &p).added, 2);
    }
}
