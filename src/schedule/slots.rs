//! Appointment slots: the arrival windows that can be offered to a customer for one order over
//! the next days **without breaking the current plan** — every planned visit keeps its
//! technician and its start; the order goes into a gap of an eligible technician's working day
//! (from home, between two visits, or before the way home) where the drive there, the work and
//! the drive on fit.
//!
//! Windows lie on a grid of `window_minutes` from the customer's local midnight (08:00–10:00,
//! 10:00–12:00, … for two hours). A window is offered when some start inside it fits a gap; each
//! window is offered once, with the cheapest way to keep it:
//!
//! cost = detour km × `cost_per_km` − the dispatch policy's score of the pair (0–100),
//!
//! the scheduler's own objective for one insertion (travel cost minus preference). Slots are
//! ranked by cost, then by time. The order's own work rules apply (skills, territory, pinned
//! technician, exclusions, travel limits, the technician's working time and absences, the
//! daily job limit); the work must end by the order's due time, and no window starts before
//! the order may start (`earliest_start`, "now").
//!
//! A crew job (`technicians_required` N > 1) is offered a window when N distinct eligible
//! technicians can all start at one instant inside it, each in a gap of their own day; the slot
//! names them (`technician` and `crew`), with the crew's summed detour and cost.
//!
//! Booking a slot ([`OrderAction::Book`](crate::model::OrderAction)) stores the window on the
//! order as its [`Appointment`](crate::model::Appointment); the next planning run treats it as a
//! hard window.
//!
//! Cost: O(candidates × (shifts + visits) + windows) for the order's indexed candidate
//! technicians over at most [`MAX_SLOT_DAYS`] days.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeMap;
use thiserror::Error;

use super::field::{shifts_of, ScheduleOptions};
use super::plan::Plan;
use crate::dispatch::{DispatchError, Dispatcher, Evaluation, OrderIx, Place, TechIx};
use crate::model::{Model, OrderId, OrderStatus, TechnicianId};

/// The longest look-ahead of a slot search, days.
pub const MAX_SLOT_DAYS: u32 = 28;
/// The most slots one search returns.
pub const MAX_SLOT_COUNT: usize = 50;
/// The shortest and longest window, minutes.
pub const WINDOW_MINUTES: std::ops::RangeInclusive<u32> = 15..=720;

/// Why no slots could be computed.
#[derive(Debug, Error)]
pub enum SlotError {
    /// No such order.
    #[error("unknown order {0}")]
    UnknownOrder(OrderId),
    /// The order is under way or closed.
    #[error("order {order} is {status}: only created or scheduled orders can be booked")]
    NotBookable {
        /// The order.
        order: OrderId,
        /// Its status.
        status: OrderStatus,
    },
    /// The order has no site (neither its object nor its customer has a location).
    #[error("order {0} has no site location")]
    NoSite(OrderId),
    /// A request parameter is out of range.
    #[error("{what} must be within {range}, not {value}")]
    Parameter {
        /// Which one.
        what: &'static str,
        /// The allowed range.
        range: String,
        /// The value given.
        value: u64,
    },
    /// The dispatch policy could not be evaluated.
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
}

/// What to look for.
#[derive(Debug, Clone)]
pub struct SlotRequest {
    /// The order to book.
    pub order: OrderId,
    /// "Now": no window starts earlier.
    pub now: DateTime<Utc>,
    /// Days to look ahead from now (1 ..= [`MAX_SLOT_DAYS`]).
    pub days: u32,
    /// Slots wanted (1 ..= [`MAX_SLOT_COUNT`]).
    pub count: usize,
    /// Width of a window, minutes ([`WINDOW_MINUTES`]).
    pub window_minutes: u32,
}

impl SlotRequest {
    /// Five two-hour windows over the next seven days.
    pub fn new(order: OrderId, now: DateTime<Utc>) -> Self {
        Self {
            order,
            now,
            days: 7,
            count: 5,
            window_minutes: 120,
        }
    }

    fn check(&self) -> Result<(), SlotError> {
        let bad = |what, range: String, value: u64| SlotError::Parameter { what, range, value };
        if !(1..=MAX_SLOT_DAYS).contains(&self.days) {
            let r = format!("1..={MAX_SLOT_DAYS}");
            return Err(bad("days", r, u64::from(self.days)));
        }
        if !(1..=MAX_SLOT_COUNT).contains(&self.count) {
            let r = format!("1..={MAX_SLOT_COUNT}");
            return Err(bad("count", r, self.count as u64));
        }
        if !WINDOW_MINUTES.contains(&self.window_minutes) {
            let r = format!("{}..={}", WINDOW_MINUTES.start(), WINDOW_MINUTES.end());
            return Err(bad("window minutes", r, u64::from(self.window_minutes)));
        }
        Ok(())
    }
}

/// One arrival window that can be offered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slot {
    /// Window start (the earliest arrival promised).
    pub from: DateTime<Utc>,
    /// Window end (the latest start promised).
    pub to: DateTime<Utc>,
    /// The technician of the cheapest way to keep it.
    pub technician: TechnicianId,
    /// The start that way (inside the window).
    pub start: DateTime<Utc>,
    /// Extra driving, kilometres, against the technician's planned day.
    pub detour_km: f64,
    /// Extra driving, minutes.
    pub detour_minutes: f64,
    /// The dispatch policy's score of the order with that technician (0–100).
    pub score: f64,
    /// detour km × cost per km − score: lower is better.
    pub cost: f64,
    /// Other technicians who could keep the same window.
    pub alternatives: usize,
    /// A crew job's other members, who start with `technician` at `start` (empty for one
    /// technician's visit). `detour_km`, `detour_minutes` and `cost` are the crew's sums,
    /// `score` its mean.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crew: Vec<TechnicianId>,
}

/// A planned stop of a technician's day: when it ends or starts, and where.
#[derive(Clone, Copy)]
struct Stop {
    start: i64,
    end: i64,
    place: Place,
}

/// One technician's way to keep one window: the starts `[lo, hi]` that fit a gap of their day,
/// and what it costs.
#[derive(Clone)]
struct Way {
    tech: TechIx,
    lo: i64,
    hi: i64,
    detour_km: f64,
    detour_minutes: f64,
    score: f64,
    cost: f64,
}

/// The arrival windows that can be offered for `request.order` without moving any visit of
/// `plan` (the current plan of the days; `None` = nothing planned), best first (see the module
/// documentation). An order that already has a booked window or a pinned start is searched as
/// if it had neither (re-booking); its own planned visit is left out of the plan.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use fieldwork::dispatch::Dispatcher;
/// use fieldwork::model::{Model, OrderId};
/// use fieldwork::schedule::field::ScheduleOptions;
/// use fieldwork::schedule::slots::{slots, SlotRequest};
/// let model = Model::from_json(r#"{
///   "calendars": [{"id": "c", "time_zone": "UTC", "weekly": {"mon": [["08:00","17:00"]]}}],
///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
///                  "location": {"lat": 52.50, "lon": 13.40}}],
///   "technicians": [{"id": "T-1", "name": "Ana", "home": {"lat": 52.52, "lon": 13.40},
///                    "calendar": "c", "hourly_cost": "40", "max_hours_per_day": 8}],
///   "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
///               "priority": "high", "created_at": "2027-03-01T07:00:00Z",
///               "lines": [{"kind": "hour", "quantity": "1", "unit_price": "0"}]}]
/// }"#).unwrap();
/// let now = Utc.with_ymd_and_hms(2027, 3, 1, 7, 0, 0).unwrap();
/// let request = SlotRequest { count: 3, ..SlotRequest::new(OrderId::new("SO-1"), now) };
/// let offered = slots(&model, &Dispatcher::default(), None, &request, &ScheduleOptions::default())
///     .unwrap();
/// // Ana works Mondays 08–17: 08–10, 10–12 and 12–14 cost the same; earliest first.
/// assert_eq!(offered.len(), 3);
/// assert_eq!(offered[0].from, Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap());
/// assert!(offered[0].start >= offered[0].from && offered[0].start <= offered[0].to);
/// ```
///
/// # Errors
/// [`SlotError`]: an unknown or closed order, an order without a site, a parameter out of
/// range, a failing dispatch rule.
pub fn slots(
    model: &Model,
    dispatcher: &Dispatcher<'_>,
    plan: Option<&Plan>,
    request: &SlotRequest,
    options: &ScheduleOptions,
) -> Result<Vec<Slot>, SlotError> {
    request.check()?;
    let id = &request.order;
    let order = model
        .order(id)
        .ok_or_else(|| SlotError::UnknownOrder(id.clone()))?;
    let status = order.status();
    if !matches!(status, OrderStatus::Created | OrderStatus::Scheduled) {
        return Err(SlotError::NotBookable {
            order: id.clone(),
            status,
        });
    }
    let crew = order.technicians_required.max(1) as usize;
    let site = model
        .order_location(order)
        .ok_or_else(|| SlotError::NoSite(id.clone()))?;
    let zone: Tz = model
        .customer(&order.customer)
        .and_then(|c| c.time_zone.tz().ok())
        .unwrap_or(Tz::UTC);
    // Re-booking: search as if the order had no window of its own yet.
    let unbooked;
    let model = if order.appointment.is_some() || order.pinned_start.is_some() {
        let mut m = model.clone();
        m.clear_order_booking(id);
        unbooked = m;
        &unbooked
    } else {
        model
    };
    let order = model
        .order(id)
        .ok_or_else(|| SlotError::UnknownOrder(id.clone()))?;
    let ctx = dispatcher.context(model, std::slice::from_ref(id), request.now)?;
    let o = OrderIx(0);
    let travel = ctx.travel_model();
    let site = travel.place(site);
    let now = request.now.timestamp();
    let end = now + i64::from(request.days) * 86_400;
    let work = (ctx.duration_minutes(o) * 60.0).ceil() as i64;
    // No visit before the order exists.
    let exists = order.created_at.timestamp().max(now);
    let earliest = order
        .earliest_start
        .map_or(exists, |e| e.timestamp().max(exists));
    // The site's visiting hours, when it has some (every visit lies whole in one opening).
    let site_hours = ctx.visiting_hours(o);
    let latest_end = order.due.map_or(i64::MAX, |d| d.timestamp());
    let step = i64::from(request.window_minutes) * 60;
    let planned: Vec<_> = plan
        .map_or(&[][..], |p| p.routes.as_slice())
        .iter()
        .collect();
    let mut windows: BTreeMap<i64, Vec<Way>> = BTreeMap::new();
    for t in ctx.candidates(o) {
        let score = match ctx.evaluate(o, t)? {
            Evaluation::Eligible { score, .. } => score,
            Evaluation::Excluded(_) => continue,
        };
        let tech_id = ctx.tech_id(t);
        let Some(home) = model
            .technician(tech_id)
            .map(|tech| travel.place(tech.home))
        else {
            continue;
        };
        // The technician's planned visits (other orders), by start.
        let mut visits: Vec<Stop> = planned
            .iter()
            .filter(|r| &r.technician == tech_id)
            .flat_map(|r| r.visits.iter())
            .filter(|v| &v.order != id)
            .filter_map(|v| {
                let place = model
                    .order(&v.order)
                    .and_then(|ord| model.order_location(ord))
                    .map(|l| travel.place(l))?;
                Some(Stop {
                    start: v.start.timestamp(),
                    end: v.end.timestamp(),
                    place,
                })
            })
            .collect();
        visits.sort_by_key(|v| v.start);
        let max_jobs = ctx.technician_profile(t).max_jobs_per_day;
        for shift in shifts_of(&ctx, t, now, end) {
            // Dated certifications qualify on their days only.
            if !ctx.qualified_at(o, t, at(shift.start)) {
                continue;
            }
            let day: Vec<Stop> = visits
                .iter()
                .filter(|v| v.start >= shift.start && v.start < shift.end)
                .copied()
                .collect();
            if max_jobs.is_some_and(|m| day.len() >= m as usize) {
                continue;
            }
            // Where the day starts: at home, or — when "now" cut the shift — where the last
            // visit of the same day before it left the technician.
            let date = ctx.local_date(t, at(shift.start));
            let earlier = visits
                .iter()
                .filter(|v| v.start < shift.start && ctx.local_date(t, at(v.start)) == date)
                .max_by_key(|v| v.end);
            let leave = match earlier {
                Some(v) => Stop {
                    start: shift.start,
                    end: v.end.max(shift.start),
                    place: v.place,
                },
                None => Stop {
                    start: shift.start,
                    end: shift.start,
                    place: home,
                },
            };
            // Slots are offered in regular time: a booking does not commit overtime.
            let back = Stop {
                start: shift.regular_end,
                end: shift.regular_end,
                place: home,
            };
            let stops: Vec<Stop> = std::iter::once(leave)
                .chain(day)
                .chain(std::iter::once(back))
                .collect();
            for pair in stops.windows(2) {
                let (prev, next) = (pair[0], pair[1]);
                let there = travel.between(&prev.place, &site);
                let on = travel.between(&site, &next.place);
                let direct = travel.between(&prev.place, &next.place);
                let minute = |m: f64| (m.ceil() * 60.0) as i64;
                let first = round_up((prev.end + minute(there.minutes)).max(earliest), 60);
                let last = (next.start - minute(on.minutes) - work).min(latest_end - work);
                if first > last {
                    continue;
                }
                let detour_km = (there.km + on.km - direct.km).max(0.0);
                let detour_minutes = (there.minutes + on.minutes - direct.minutes).max(0.0);
                let cost = detour_km * options.cost_per_km - score;
                // The starts the site's openings allow within the gap.
                let ranges: Vec<(i64, i64)> = match site_hours {
                    None => vec![(first, last)],
                    Some(open) => open
                        .iter()
                        .filter(|&&(a, b)| a <= last && b - work >= first)
                        .map(|&(a, b)| (round_up(first.max(a), 60), last.min(b - work)))
                        .filter(|(f, l)| f <= l)
                        .collect(),
                };
                for (first, last) in ranges {
                    for from in window_starts(zone, first, last, step) {
                        windows.entry(from).or_default().push(Way {
                            tech: t,
                            lo: first.max(from),
                            hi: last.min(from + step),
                            detour_km,
                            detour_minutes,
                            score,
                            cost,
                        });
                    }
                }
            }
        }
    }
    let mut offered: Vec<Slot> = windows
        .into_iter()
        .filter_map(|(from, ways)| {
            let (start, members, others) = cheapest_crew(&ways, crew)?;
            let (first, rest) = members.split_first()?;
            let n = members.len() as f64;
            Some(Slot {
                from: at(from),
                to: at(from + step),
                technician: ctx.tech_id(first.tech).clone(),
                start: at(start),
                detour_km: members.iter().map(|w| w.detour_km).sum(),
                detour_minutes: members.iter().map(|w| w.detour_minutes).sum(),
                score: members.iter().map(|w| w.score).sum::<f64>() / n,
                cost: members.iter().map(|w| w.cost).sum(),
                alternatives: others,
                crew: rest.iter().map(|w| ctx.tech_id(w.tech).clone()).collect(),
            })
        })
        .collect();
    offered.sort_by(|a, b| a.cost.total_cmp(&b.cost).then(a.from.cmp(&b.from)));
    offered.truncate(request.count);
    Ok(offered)
}

/// The cheapest way for `size` distinct technicians to start together inside one window: the
/// common start (the earliest of the cheapest), the members (cheapest first) and how many other
/// technicians could keep the window; `None` when fewer than `size` can start together. For one
/// technician, the cheapest way at its earliest start. O(w² log w) for the w ways of the window (a handful:
/// one or two gaps per eligible technician).
fn cheapest_crew(ways: &[Way], size: usize) -> Option<(i64, Vec<Way>, usize)> {
    let mut starts: Vec<i64> = ways.iter().map(|w| w.lo).collect();
    starts.sort_unstable();
    starts.dedup();
    let mut best: Option<(f64, i64, Vec<Way>)> = None;
    for s in starts {
        // The cheapest way of each technician who can start at `s`.
        let mut at_s: Vec<Way> = Vec::new();
        for w in ways.iter().filter(|w| w.lo <= s && s <= w.hi) {
            match at_s.iter_mut().find(|x| x.tech == w.tech) {
                Some(x) if w.cost < x.cost => *x = w.clone(),
                Some(_) => {}
                None => at_s.push(w.clone()),
            }
        }
        if at_s.len() < size {
            continue;
        }
        at_s.sort_by(|a, b| a.cost.total_cmp(&b.cost));
        at_s.truncate(size);
        let cost: f64 = at_s.iter().map(|w| w.cost).sum();
        if best.as_ref().is_none_or(|(c, ..)| cost < *c) {
            best = Some((cost, s, at_s));
        }
    }
    let mut techs: Vec<TechIx> = ways.iter().map(|w| w.tech).collect();
    techs.sort_unstable_by_key(|t| t.0);
    techs.dedup();
    best.map(|(_, s, members)| (s, members, techs.len().saturating_sub(size)))
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn round_up(x: i64, unit: i64) -> i64 {
    -((-x).div_euclid(unit)) * unit
}

/// The starts of the grid windows (`step` seconds from local midnight in `zone`) that contain a
/// start in `[first, last]`: from the window holding `first` to the one holding `last`.
fn window_starts(zone: Tz, first: i64, last: i64, step: i64) -> Vec<i64> {
    let local = at(first).with_timezone(&zone).date_naive();
    let midnight = local
        .and_hms_opt(0, 0, 0)
        .and_then(|m| zone.from_local_datetime(&m).earliest())
        .map_or(first - first.rem_euclid(86_400), |m| m.timestamp());
    let mut from = midnight + (first - midnight).div_euclid(step) * step;
    let mut out = Vec::new();
    while from <= last {
        out.push(from);
        from += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_lie_on_the_local_grid() {
        let zone: Tz = "Europe/Berlin".parse().unwrap();
        // 09:10 CET .. 11:05 CET: the 08–10 and 10–12 windows.
        let first = Utc
            .with_ymd_and_hms(2027, 3, 1, 8, 10, 0)
            .unwrap()
            .timestamp();
        let last = Utc
            .with_ymd_and_hms(2027, 3, 1, 10, 5, 0)
            .unwrap()
            .timestamp();
        let starts = window_starts(zone, first, last, 7_200);
        let local: Vec<String> = starts
            .iter()
            .map(|&s| at(s).with_timezone(&zone).format("%H:%M").to_string())
            .collect();
        assert_eq!(local, ["08:00", "10:00"]);
        assert_eq!(round_up(61, 60), 120);
        assert_eq!(round_up(120, 60), 120);
    }
}
