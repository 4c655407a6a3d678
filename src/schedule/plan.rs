//! The result of batch scheduling: per technician and day an ordered route of visits with times
//! and travel, the orders left unassigned with their reasons, and KPIs. Plain serde data: the
//! scheduler produces it, stores persist it, views render it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::model::{DepotId, OrderId, TechnicianId};

/// One planned job on a route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    /// The order served.
    pub order: OrderId,
    /// Arrival on site (may be before `start` when the technician waits for the window).
    pub arrival: DateTime<Utc>,
    /// Planned start of work.
    pub start: DateTime<Utc>,
    /// Planned end of work.
    pub end: DateTime<Utc>,
    /// Travel time from the previous stop (home or the previous job), minutes.
    pub travel_minutes: f64,
    /// Travel distance from the previous stop, kilometres.
    pub travel_km: f64,
    /// The order's due instant (SLA deadline or window end), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DateTime<Utc>>,
    /// Minutes the start lies after `due` (0 when on time).
    #[serde(default)]
    pub late_minutes: f64,
    /// The visit was pinned (technician or start kept as given) or already started.
    #[serde(default)]
    pub fixed: bool,
    /// One of several visits of the order: a part of a multi-day job or a crew member's;
    /// `None` for an order served in one visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<VisitPart>,
}

impl Visit {
    /// Whether the planned start misses the due time.
    pub fn is_late(&self) -> bool {
        self.late_minutes > 0.0
    }

    /// Whether this is the order's only visit or the first of its visits (the first part of
    /// a multi-day job, the first crew member's).
    pub fn counts_order(&self) -> bool {
        self.part.is_none_or(|p| p.index == 1)
    }
}

/// What kind of linked visit a [`VisitPart`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// A day's part of a multi-day job (same technician, consecutive working days).
    Day,
    /// One member of a crew that starts together on site.
    Crew,
}

/// The place of a visit among the visits of one order: "part 2 of 3", "crew member 1 of 2".
///
/// ```
/// use fieldwork::schedule::plan::{PartKind, VisitPart};
/// let part = VisitPart { kind: PartKind::Day, index: 2, count: 3 };
/// assert_eq!(part.to_string(), "part 2 of 3");
/// let member = VisitPart { kind: PartKind::Crew, index: 1, count: 2 };
/// assert_eq!(member.to_string(), "crew member 1 of 2");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VisitPart {
    /// Day part or crew member.
    pub kind: PartKind,
    /// 1-based position (days in order; crew members by technician).
    pub index: u32,
    /// How many visits the order has.
    pub count: u32,
}

impl fmt::Display for VisitPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PartKind::Day => write!(f, "part {} of {}", self.index, self.count),
            PartKind::Crew => write!(f, "crew member {} of {}", self.index, self.count),
        }
    }
}

/// A technician's working day: the visits in order, from home and back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// The technician.
    pub technician: TechnicianId,
    /// Local working day (technician's calendar zone).
    pub day: NaiveDate,
    /// Start of the working time used by this route (leaving home).
    pub shift_start: DateTime<Utc>,
    /// End of the working time available on this route.
    pub shift_end: DateTime<Utc>,
    /// Visits in order.
    pub visits: Vec<Visit>,
    /// Travel from the last visit back home, minutes.
    pub return_minutes: f64,
    /// Travel from the last visit back home, kilometres.
    pub return_km: f64,
    /// The restocking stop at the technician's depot, when the day's parts or tools need one
    /// (at most one per route; see `docs/dataset.md`, "Parts and tools").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depot_stop: Option<DepotStop>,
}

/// A restocking stop at a depot within a route: the van is refilled there (every part and tool
/// the depot holds is available after it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepotStop {
    /// The depot.
    pub depot: DepotId,
    /// Arrival at the depot.
    pub arrival: DateTime<Utc>,
    /// Start of the restocking (may be after the arrival when the depot is not yet open).
    pub start: DateTime<Utc>,
    /// Departure from the depot.
    pub end: DateTime<Utc>,
    /// Travel from the previous stop (home or a visit) to the depot, minutes; the next visit's
    /// `travel_minutes` is from the depot.
    pub travel_minutes: f64,
    /// Travel from the previous stop to the depot, kilometres.
    pub travel_km: f64,
}

impl Route {
    /// Total travel of the route, minutes (including the way home).
    pub fn travel_minutes(&self) -> f64 {
        self.visits.iter().map(|v| v.travel_minutes).sum::<f64>()
            + self.return_minutes
            + self.depot_stop.as_ref().map_or(0.0, |d| d.travel_minutes)
    }

    /// Total travel of the route, kilometres (including the way home).
    pub fn travel_km(&self) -> f64 {
        total(self.visits.iter().map(|v| v.travel_km))
            + self.return_km
            + self.depot_stop.as_ref().map_or(0.0, |d| d.travel_km)
    }

    /// Where the depot stop lies in the route: the number of visits that start before it
    /// (`visits.len()`: after the last visit, on the way home); `None` without a stop. Kept by
    /// time rather than by index, so the current-plan view that drops finished visits or
    /// merges routes of two plans keeps it in its place.
    pub fn depot_position(&self) -> Option<usize> {
        let stop = self.depot_stop.as_ref()?;
        Some(self.visits.iter().filter(|v| v.start < stop.start).count())
    }

    /// Minutes of work on site.
    pub fn work_minutes(&self) -> f64 {
        self.visits
            .iter()
            .map(|v| (v.end - v.start).num_seconds() as f64 / 60.0)
            .sum()
    }

    /// Minutes of working time available.
    pub fn available_minutes(&self) -> f64 {
        (self.shift_end - self.shift_start).num_seconds().max(0) as f64 / 60.0
    }

    /// When the technician is back home: the end of the last visit (or of a depot stop after
    /// it) plus the way home; the shift start for a route without visits.
    pub fn return_at(&self) -> DateTime<Utc> {
        let last = self
            .visits
            .iter()
            .map(|v| v.end)
            .chain(self.depot_stop.as_ref().map(|d| d.end))
            .max();
        match last {
            Some(t) => t + chrono::Duration::seconds((self.return_minutes * 60.0).round() as i64),
            None => self.shift_start,
        }
    }

    /// Minutes of overtime: how long after the shift's regular end (`shift_end`) the
    /// technician is back home (0 when back in time). Overtime is planned only where the
    /// technician profile allows it (`overtime_minutes`), at the policy's
    /// `costs.overtime_per_minute`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use fieldwork::schedule::plan::Route;
    /// let at = |h, m| Utc.with_ymd_and_hms(2027, 3, 1, h, m, 0).unwrap();
    /// let route = Route {
    ///     technician: "T-1".into(),
    ///     day: at(8, 0).date_naive(),
    ///     shift_start: at(8, 0),
    ///     shift_end: at(16, 0),
    ///     visits: Vec::new(),
    ///     return_minutes: 0.0,
    ///     return_km: 0.0,
    ///     depot_stop: None,
    /// };
    /// assert_eq!(route.overtime_minutes(), 0.0);
    /// ```
    pub fn overtime_minutes(&self) -> f64 {
        (self.return_at() - self.shift_end).num_seconds().max(0) as f64 / 60.0
    }
}

/// Why an order could not be planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnassignedReason {
    /// No technician passes the dispatch work rules (skills, territory, exclusions, pin…).
    NoEligibleTechnician,
    /// Eligible technicians have no working time in the order's window before it is due.
    NoTimeBeforeDue,
    /// Eligible technicians' days are full.
    NoCapacityLeft,
    /// Van capacity (parts demand) would be exceeded.
    Capacity,
    /// The order's data prevents planning (no location, zero-length window…).
    InvalidOrder,
    /// The order needs a tool that no otherwise eligible technician carries and no depot of
    /// theirs lends (the detail names the tool).
    MissingTool,
    /// The order needs more units of a part than any otherwise eligible technician's van holds
    /// and no depot of theirs holds it (the detail names the part and the units).
    MissingParts,
}

impl fmt::Display for UnassignedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnassignedReason::NoEligibleTechnician => "no eligible technician",
            UnassignedReason::NoTimeBeforeDue => "no working time left before it is due",
            UnassignedReason::NoCapacityLeft => "eligible technicians are fully booked",
            UnassignedReason::Capacity => "van capacity exceeded",
            UnassignedReason::InvalidOrder => "order cannot be planned",
            UnassignedReason::MissingTool => "needs a tool no technician can bring",
            UnassignedReason::MissingParts => "needs parts no technician can bring",
        })
    }
}

/// An order left out of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unassigned {
    /// The order.
    pub order: OrderId,
    /// Why.
    pub reason: UnassignedReason,
    /// Details for a dispatcher (e.g. the work rule that excluded the closest technician).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Plan-level figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanKpis {
    /// Orders given to the scheduler.
    pub orders_total: usize,
    /// Orders planned.
    pub orders_assigned: usize,
    /// Total travel, kilometres.
    pub travel_km: f64,
    /// Total travel, minutes.
    pub travel_minutes: f64,
    /// Work on site, minutes.
    pub work_minutes: f64,
    /// (work + travel) / available working time of the technicians used, 0–1.
    pub utilisation: f64,
    /// Visits that start after their due time.
    pub sla_breaches: usize,
    /// Sum of lateness, minutes.
    pub late_minutes: f64,
    /// Sum of overtime (work and travel past the regular end of a shift), minutes.
    #[serde(default)]
    pub overtime_minutes: f64,
    /// The optimiser's objective value (lower is better; see the scheduler's docs).
    pub objective: f64,
}

/// The sum of `values` from +0.0 (`Iterator::sum` of no float is -0.0, which people would
/// read as "-0 km").
fn total(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, |sum, v| sum + v)
}

/// A schedule over a horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Start of the horizon.
    pub from: DateTime<Utc>,
    /// End of the horizon (exclusive).
    pub to: DateTime<Utc>,
    /// Routes with at least one visit, by technician then day.
    pub routes: Vec<Route>,
    /// Orders not planned, with reasons.
    pub unassigned: Vec<Unassigned>,
    /// Figures.
    pub kpis: PlanKpis,
}

impl Plan {
    /// Recomputes the KPIs that follow from the routes (all but `orders_total` and `objective`).
    pub fn refresh_kpis(&mut self) {
        let k = &mut self.kpis;
        // Orders, not visits: a crew's or a multi-day job's visits count once.
        let mut orders: Vec<&OrderId> = self
            .routes
            .iter()
            .flat_map(|r| r.visits.iter().map(|v| &v.order))
            .collect();
        orders.sort_unstable();
        orders.dedup();
        k.orders_assigned = orders.len();
        k.travel_km = total(self.routes.iter().map(Route::travel_km));
        k.travel_minutes = total(self.routes.iter().map(Route::travel_minutes));
        k.work_minutes = total(self.routes.iter().map(Route::work_minutes));
        let available = total(self.routes.iter().map(Route::available_minutes));
        k.utilisation = if available > 0.0 {
            ((k.work_minutes + k.travel_minutes) / available).min(1.0)
        } else {
            0.0
        };
        let visits = self.routes.iter().flat_map(|r| &r.visits);
        k.sla_breaches = visits.clone().filter(|v| v.is_late()).count();
        k.late_minutes = total(visits.map(|v| v.late_minutes));
        k.overtime_minutes = total(self.routes.iter().map(Route::overtime_minutes));
    }

    /// The plans of disjoint parts of one request (see
    /// [`schedule_parts`](super::field::schedule_parts)) as one plan: routes by technician and
    /// day, unassigned orders by id, figures summed (`orders_total`, `objective`) or recomputed;
    /// the window is the first plan's. `None` when there is no plan.
    pub fn combine(parts: impl IntoIterator<Item = Plan>) -> Option<Plan> {
        let mut parts = parts.into_iter();
        let mut plan = parts.next()?;
        for part in parts {
            plan.routes.extend(part.routes);
            plan.unassigned.extend(part.unassigned);
            plan.kpis.orders_total += part.kpis.orders_total;
            plan.kpis.objective += part.kpis.objective;
        }
        plan.routes
            .sort_by(|a, b| (&a.technician, a.day).cmp(&(&b.technician, b.day)));
        plan.unassigned.sort_by(|a, b| a.order.cmp(&b.order));
        plan.refresh_kpis();
        Some(plan)
    }

    /// The visit of an order and its route, if planned (of a multi-day or crew job, the first
    /// visit in route order; [`Plan::visits_of`] lists them all).
    pub fn visit_of(&self, order: &OrderId) -> Option<(&Route, &Visit)> {
        self.routes
            .iter()
            .find_map(|r| r.visits.iter().find(|v| &v.order == order).map(|v| (r, v)))
    }

    /// Every visit of an order with its route, in route order (technician, then day).
    pub fn visits_of<'p>(
        &'p self,
        order: &'p OrderId,
    ) -> impl Iterator<Item = (&'p Route, &'p Visit)> {
        self.routes.iter().flat_map(move |r| {
            r.visits
                .iter()
                .filter(move |v| &v.order == order)
                .map(move |v| (r, v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_plan_has_zero_not_negative_zero_figures() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let mut plan = Plan {
            from: now,
            to: now,
            routes: Vec::new(),
            unassigned: Vec::new(),
            kpis: PlanKpis::default(),
        };
        plan.refresh_kpis();
        let k = &plan.kpis;
        for figure in [
            k.travel_km,
            k.travel_minutes,
            k.work_minutes,
            k.late_minutes,
        ] {
            assert!(figure == 0.0 && figure.is_sign_positive(), "{figure:?}");
        }
    }
}
