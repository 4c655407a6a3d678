//! Linked visits: the orders served in several visits — **multi-day jobs** (longer than the
//! technician's working day, split over consecutive working days of one technician) and **crew
//! jobs** (`technicians_required` > 1, every member starting together) — placed in a pre-pass
//! before the search, then pinned (technician's shift and start) so that the optimiser plans
//! every other order around them. The solver knows nothing of the link.
//!
//! Each linked order is placed, most valuable first, at the earliest feasible start — for a
//! crew the earliest common start of N eligible technicians, the cheapest N (travel cost less
//! the policy's pair score) among those free then; for a multi-day job the earliest finish, then
//! the cheapest technician — into the routes as they stand: started and frozen visits of the
//! plan being revised and the linked visits already placed. A linked order whose previous
//! visits all still fit keeps them (stability when re-planning).
//!
//! Bounds: per crew order O(i²) for the i feasible start intervals of its eligible technicians'
//! shifts (one per gap between visits already placed); per multi-day order O(t · d²) for t
//! eligible technicians with d working days in the window, and at most [`MAX_PARTS`] parts.

use chrono::{NaiveDate, TimeZone, Utc};
use std::collections::HashMap;

use super::Shift;
use crate::dispatch::{OrderIx, PolicyContext, TechIx};
use crate::schedule::plan::{PartKind, Plan, UnassignedReason, VisitPart};
use crate::schedule::solver::{TravelMatrix, Vehicle};

/// Most parts (working days) of one multi-day job.
pub const MAX_PARTS: usize = 31;

/// One visit already on a shift: its time and place.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) location: usize,
    pub(super) demand: f64,
}

/// What is already on each shift (solver vehicle), kept sorted by start.
#[derive(Debug, Default)]
pub(super) struct Busy {
    slots: HashMap<usize, Vec<Slot>>,
}

impl Busy {
    pub(super) fn add(&mut self, shift: usize, slot: Slot) {
        let list = self.slots.entry(shift).or_default();
        let at = list.partition_point(|s| s.start <= slot.start);
        list.insert(at, slot);
    }

    fn on(&self, shift: usize) -> &[Slot] {
        self.slots.get(&shift).map_or(&[], Vec::as_slice)
    }
}

/// A placed visit of a linked order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Placed {
    pub(super) shift: usize,
    pub(super) start: i64,
    pub(super) secs: i64,
    pub(super) part: VisitPart,
}

/// The pre-pass's answer for one linked order.
#[derive(Debug, Clone)]
pub(super) enum Outcome {
    /// Its visits, in part order.
    Placed(Vec<Placed>),
    /// Why it cannot be placed.
    Failed(UnassignedReason, String),
}

/// What placing reads: the context, the shifts and their vehicles, travel.
pub(super) struct Input<'a, 'c> {
    pub(super) ctx: &'a PolicyContext<'c>,
    pub(super) shifts: &'a [Shift],
    pub(super) shifts_of_tech: &'a [Vec<usize>],
    pub(super) vehicles: &'a [Vehicle],
    pub(super) reach: &'a [Vec<(TechIx, f64)>],
    pub(super) matrix: &'a TravelMatrix,
    pub(super) cost_per_km: f64,
}

/// The kind of link of order `o`, if it is served in several visits: a crew, or a job longer
/// than every shift of its eligible technicians (travel included) that may be split.
pub(super) fn link_of(input: &Input<'_, '_>, o: OrderIx) -> Option<PartKind> {
    let ctx = input.ctx;
    if ctx.crew_size(o) > 1 {
        return Some(PartKind::Crew);
    }
    ctx.min_part_minutes(o)?;
    let secs = (ctx.duration_minutes(o) * 60.0) as i64;
    let n_t = ctx.technician_count();
    let fits = input.reach[o.0].iter().any(|&(t, _)| {
        let trip = input.matrix.time(t.0, n_t + o.0) as i64 * 2;
        input.shifts_of_tech[t.0]
            .iter()
            .any(|&v| input.shifts[v].end - input.shifts[v].start >= secs + trip)
    });
    (!fits && !input.reach[o.0].is_empty()).then_some(PartKind::Day)
}

/// The start intervals `[lo, hi]` (UTC seconds, `lo` on a whole minute) at which a visit of
/// `secs` at `location` fits on shift `v` between what `busy` holds there, within `[from, to]`
/// for its start and inside one of the site's openings. O(g + openings) for g visits on the
/// shift.
#[allow(clippy::too_many_arguments)]
fn free_starts(
    input: &Input<'_, '_>,
    busy: &Busy,
    v: usize,
    location: usize,
    secs: i64,
    (from, to): (i64, i64),
    site: Option<&[(i64, i64)]>,
    demand: f64,
) -> Vec<(i64, i64)> {
    let shift = &input.shifts[v];
    let vehicle = &input.vehicles[v];
    let slots = busy.on(v);
    if vehicle.max_jobs.is_some_and(|m| slots.len() + 1 > m) {
        return Vec::new();
    }
    let load: f64 = slots.iter().map(|s| s.demand).sum();
    if vehicle.capacity.is_some_and(|c| load + demand > c + 1e-9) {
        return Vec::new();
    }
    let home = shift.tech.0;
    let time = |a: usize, b: usize| input.matrix.time(a, b) as i64;
    let mut out = Vec::new();
    for k in 0..=slots.len() {
        let (prev_end, prev_loc) = match k.checked_sub(1) {
            Some(p) => (slots[p].end, slots[p].location),
            None => (shift.start, home),
        };
        // The pre-pass cannot price overtime: its visits stay within regular time (the priced
        // search may still run the day into overtime for the visits it places after them).
        let (next_start, next_loc) = slots
            .get(k)
            .map_or((shift.regular_end, home), |s| (s.start, s.location));
        let lo = (prev_end + time(prev_loc, location)).max(from);
        let hi = (next_start - time(location, next_loc) - secs).min(to);
        let mut push = |lo: i64, hi: i64| {
            let lo = lo.div_euclid(60) * 60 + if lo % 60 == 0 { 0 } else { 60 };
            if lo <= hi {
                out.push((lo, hi));
            }
        };
        match site {
            None => push(lo, hi),
            Some(openings) => {
                let first = openings.partition_point(|&(_, e)| e <= lo);
                for &(a, b) in &openings[first..] {
                    if a > hi {
                        break;
                    }
                    push(lo.max(a), hi.min(b - secs));
                }
            }
        }
    }
    out
}

/// The order's start window (UTC seconds): its dispatch window cut to the horizon, or its
/// pinned start.
fn window(ctx: &PolicyContext<'_>, o: OrderIx, origin: i64, pinned: Option<i64>) -> (i64, i64) {
    if let Some(p) = pinned {
        return (p, p);
    }
    let (s, e) = ctx.window(o);
    (s.timestamp().max(origin), e.timestamp())
}

fn at(x: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(x, 0).single().unwrap_or_default()
}

/// Places a crew order: the earliest start at which `n` eligible technicians, each qualified
/// that day, have room together; of those free then, the cheapest `n`.
fn place_crew(
    input: &Input<'_, '_>,
    busy: &Busy,
    o: OrderIx,
    origin: i64,
    pinned: Option<i64>,
    demand: f64,
) -> Outcome {
    let ctx = input.ctx;
    let n = ctx.crew_size(o) as usize;
    let n_t = ctx.technician_count();
    let secs = (ctx.duration_minutes(o) * 60.0) as i64;
    let eligible = &input.reach[o.0];
    if eligible.len() < n {
        let names: Vec<String> = eligible
            .iter()
            .map(|&(t, _)| ctx.tech_id(t).to_string())
            .collect();
        return Outcome::Failed(
            UnassignedReason::NoEligibleTechnician,
            format!(
                "no crew of {n} available together: {} eligible technician{}{}",
                eligible.len(),
                if eligible.len() == 1 { "" } else { "s" },
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", names.join(", "))
                }
            ),
        );
    }
    let window = window(ctx, o, origin, pinned);
    let site = ctx.visiting_hours(o);
    // (lo, hi, technician, shift, cost); the first member carries the parts.
    let mut intervals: Vec<(i64, i64, TechIx, usize, f64)> = Vec::new();
    for &(t, score) in eligible {
        let cost = ctx.travel_from_home(o, t).km * 2.0 * input.cost_per_km - score;
        for &v in &input.shifts_of_tech[t.0] {
            for (lo, hi) in free_starts(input, busy, v, n_t + o.0, secs, window, site, demand) {
                intervals.push((lo, hi, t, v, cost));
            }
        }
    }
    let mut starts: Vec<i64> = intervals.iter().map(|i| i.0).collect();
    starts.sort_unstable();
    starts.dedup();
    for s in starts {
        let mut members: Vec<(f64, TechIx, usize)> = Vec::new();
        for &(lo, hi, t, v, cost) in &intervals {
            let free = lo <= s && s <= hi && !members.iter().any(|m| m.1 == t);
            if free && ctx.qualified_at(o, t, at(s)) {
                members.push((cost, t, v));
            }
        }
        if members.len() < n {
            continue;
        }
        members.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1 .0.cmp(&b.1 .0)));
        members.truncate(n);
        members.sort_by(|a, b| ctx.tech_id(a.1).cmp(ctx.tech_id(b.1)));
        let count = n as u32;
        return Outcome::Placed(
            members
                .iter()
                .enumerate()
                .map(|(k, &(_, _, v))| Placed {
                    shift: v,
                    start: s,
                    secs,
                    part: VisitPart {
                        kind: PartKind::Crew,
                        index: k as u32 + 1,
                        count,
                    },
                })
                .collect(),
        );
    }
    Outcome::Failed(
        UnassignedReason::NoCapacityLeft,
        format!(
            "no crew of {n} available together: {} eligible technicians, never {n} free at \
             the same time in the window",
            eligible.len()
        ),
    )
}

/// The longest part (seconds, whole minutes) that can start on shift `v`: its start and
/// length. `window` bounds the start (the first part's window, else the shift).
#[allow(clippy::too_many_arguments)]
fn longest_part(
    input: &Input<'_, '_>,
    busy: &Busy,
    v: usize,
    location: usize,
    window: (i64, i64),
    site: Option<&[(i64, i64)]>,
    demand: f64,
    min: i64,
) -> Option<(i64, i64)> {
    // Every start interval for the shortest part; the part then runs as long as the gap (and
    // the site's opening) allows: its latest start for `min` plus `min`.
    free_starts(input, busy, v, location, min, window, site, demand)
        .into_iter()
        .map(|(lo, hi)| (lo, (hi + min - lo).div_euclid(60) * 60))
        .max_by_key(|&(lo, len)| (len, -lo))
}

/// Places a multi-day job: on consecutive working days of one eligible technician (qualified
/// each day), each part as long as the day's room allows and at least `min`; the earliest
/// finish, then the cheapest technician.
fn place_days(
    input: &Input<'_, '_>,
    busy: &Busy,
    o: OrderIx,
    origin: i64,
    pinned: Option<i64>,
    demand: f64,
) -> Outcome {
    let ctx = input.ctx;
    let n_t = ctx.technician_count();
    let total = (ctx.duration_minutes(o) * 60.0) as i64;
    let min = (ctx.min_part_minutes(o).unwrap_or(0.0) * 60.0) as i64;
    let window = window(ctx, o, origin, pinned);
    let site = ctx.visiting_hours(o);
    let mut best: Option<((i64, f64), Vec<Placed>)> = None;
    for &(t, score) in &input.reach[o.0] {
        // The technician's working days: the shifts of each local day, in order.
        let mut days: Vec<(NaiveDate, Vec<usize>)> = Vec::new();
        for &v in &input.shifts_of_tech[t.0] {
            let day = ctx.local_date(t, at(input.shifts[v].start));
            match days.last_mut() {
                Some((d, list)) if *d == day => list.push(v),
                _ => days.push((day, vec![v])),
            }
        }
        let cost = ctx.travel_from_home(o, t).km * 2.0 * input.cost_per_km - score;
        for first in 0..days.len() {
            let mut parts: Vec<(usize, i64, i64)> = Vec::new();
            let mut left = total;
            for (k, (_, shifts)) in days.iter().enumerate().skip(first) {
                if left == 0 || parts.len() >= MAX_PARTS {
                    break;
                }
                let bound = if k == first {
                    window
                } else {
                    (i64::MIN, i64::MAX)
                };
                let room = shifts
                    .iter()
                    .filter_map(|&v| {
                        longest_part(input, busy, v, n_t + o.0, bound, site, demand, min)
                            .map(|(s, len)| (v, s, len))
                    })
                    .filter(|&(_, s, _)| ctx.qualified_at(o, t, at(s)))
                    .max_by_key(|&(_, s, len)| (len, -s));
                let Some((v, s, len)) = room.filter(|r| r.2 >= min) else {
                    break;
                };
                let mut part = len.min(left);
                if left - part > 0 && left - part < min {
                    part = left - min;
                }
                if part < min {
                    break;
                }
                parts.push((v, s, part));
                left -= part;
            }
            if left > 0 || parts.len() < 2 {
                continue;
            }
            let finish = parts.last().map_or(0, |p| p.1 + p.2);
            let key = (finish, cost);
            if best
                .as_ref()
                .is_none_or(|(b, _)| key.0 < b.0 || (key.0 == b.0 && key.1 < b.1))
            {
                let count = parts.len() as u32;
                let placed = parts
                    .iter()
                    .enumerate()
                    .map(|(k, &(v, s, secs))| Placed {
                        shift: v,
                        start: s,
                        secs,
                        part: VisitPart {
                            kind: PartKind::Day,
                            index: k as u32 + 1,
                            count,
                        },
                    })
                    .collect();
                best = Some((key, placed));
            }
            // The earliest feasible first day of this technician is their best.
            break;
        }
    }
    match best {
        Some((_, placed)) => Outcome::Placed(placed),
        None => {
            let longest = input
                .shifts
                .iter()
                .map(|s| s.end - s.start)
                .max()
                .unwrap_or(0);
            Outcome::Failed(
                UnassignedReason::NoTimeBeforeDue,
                format!(
                    "longer than any shift: {} min of work, the longest shift of the window is \
                     {} min, and no eligible technician has enough consecutive working days \
                     with at least {} min free each",
                    total / 60,
                    longest / 60,
                    min / 60
                ),
            )
        }
    }
}

/// Places order `o` (a crew or multi-day job): its previous visits when they all still fit,
/// else anew. Records what it places in `busy`.
#[allow(clippy::too_many_arguments)]
pub(super) fn place(
    input: &Input<'_, '_>,
    busy: &mut Busy,
    o: OrderIx,
    kind: PartKind,
    origin: i64,
    pinned: Option<i64>,
    demand: f64,
    previous: Option<&Plan>,
) -> Outcome {
    if let Some(kept) = keep_previous(input, busy, o, kind, previous) {
        record(input, busy, o, &kept, demand);
        return Outcome::Placed(kept);
    }
    let outcome = match kind {
        PartKind::Crew => place_crew(input, busy, o, origin, pinned, demand),
        PartKind::Day => place_days(input, busy, o, origin, pinned, demand),
    };
    if let Outcome::Placed(visits) = &outcome {
        record(input, busy, o, visits, demand);
    }
    outcome
}

fn record(input: &Input<'_, '_>, busy: &mut Busy, o: OrderIx, visits: &[Placed], demand: f64) {
    let location = input.ctx.technician_count() + o.0;
    for (k, p) in visits.iter().enumerate() {
        busy.add(
            p.shift,
            Slot {
                start: p.start,
                end: p.start + p.secs,
                location,
                demand: if k == 0 { demand } else { 0.0 },
            },
        );
    }
}

/// The previous plan's visits of `o` when they are as many as its link needs (of a multi-day
/// job under way — parts ended before "now", or one whose planned start passed — its remaining
/// parts), of the same kind, each on an eligible technician's shift where it still fits
/// between what is placed (the shift of a part under way starts early enough to have driven
/// there: `priors_of`).
fn keep_previous(
    input: &Input<'_, '_>,
    busy: &Busy,
    o: OrderIx,
    kind: PartKind,
    previous: Option<&Plan>,
) -> Option<Vec<Placed>> {
    let ctx = input.ctx;
    let id = ctx.order_id(o);
    // Parts that ended before "now" are behind the window (done, as far as the plan knows);
    // the rest, the first of them possibly under way, are what is kept.
    let now = ctx.at();
    let visits: Vec<_> = previous?
        .visits_of(id)
        .filter(|(_, v)| v.end > now)
        .collect();
    let first = visits.first()?.1.part?;
    // A multi-day job under way keeps its remaining parts: the earlier ones lie before the
    // window (the last part's number is the count, the numbers follow each other).
    let under_way = kind == PartKind::Day
        && first.index > 1
        && first.index as usize + visits.len() - 1 == first.count as usize;
    if first.kind != kind || (visits.len() != first.count as usize && !under_way) {
        return None;
    }
    let total = (ctx.duration_minutes(o) * 60.0) as i64;
    // A booked window wins over the previous plan: a visit not yet begun outside it moves.
    let booked = ctx.model().order(id).and_then(|ord| ord.appointment);
    let mut kept = Vec::with_capacity(visits.len());
    for (route, visit) in &visits {
        let part = visit.part?;
        if booked.is_some_and(|w| visit.start >= now && !w.contains(visit.start)) {
            return None;
        }
        let t = ctx.tech_ix(&route.technician)?;
        if !input.reach[o.0].iter().any(|&(e, _)| e == t) {
            return None;
        }
        let start = visit.start.timestamp();
        let secs = (visit.end - visit.start).num_seconds();
        let v = *input.shifts_of_tech[t.0]
            .iter()
            .find(|&&v| input.shifts[v].start <= start && start < input.shifts[v].end)?;
        let fits = free_starts(
            input,
            busy,
            v,
            ctx.technician_count() + o.0,
            secs,
            (start, start),
            ctx.visiting_hours(o),
            0.0,
        );
        if fits.is_empty() || !ctx.qualified_at(o, t, visit.start) {
            return None;
        }
        kept.push(Placed {
            shift: v,
            start,
            secs,
            part,
        });
    }
    let sum: i64 = kept.iter().map(|p| p.secs).sum();
    let whole = match kind {
        PartKind::Day if under_way => sum < total,
        PartKind::Day => sum == total,
        PartKind::Crew => kept
            .iter()
            .all(|p| p.secs == total && p.start == kept[0].start),
    };
    whole.then_some(kept)
}
