//! Building a [`PolicyContext`]: everything done once per run — interning skills and
//! territories, locating sites and homes, order windows and grade scales, expanding each
//! distinct calendar once over the span of all windows, indexing the planned workload, and
//! normalising the weights.

use std::collections::HashMap;

use super::availability::site_opens;
use super::context::{ContextInput, DatedSkill, OrderFacts, PolicyContext, TechFacts, TechInfo};
use super::error::{DispatchError, DispatchErrorKind};
use super::objectives::{self as grade, Objective};
use super::policy::{DispatchPolicy, WorkRuleSettings};
use super::profile::{OrderProfile, TechnicianProfile};
use super::travel::TravelModel;
use super::workload::{DayLoad, Workload};
use crate::calendar::start_of_day;
use crate::calendar::OpenStretches;
use crate::model::{CalendarId, Model, ServiceOrder, Technician, TechnicianId};

/// Names (skills, territories) interned to dense indices, in first-seen order.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    index: HashMap<String, usize>,
}

impl Names {
    /// The index of `name`, added when new.
    fn intern(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.list.push(name.to_owned());
        self.index.insert(name.to_owned(), self.list.len() - 1);
        self.list.len() - 1
    }
}

/// What every phase of the build reads: the model, the policy, the travel model, the instant
/// (UTC seconds) and the technicians' indices by id.
struct Shared<'s> {
    model: &'s Model,
    policy: &'s DispatchPolicy,
    travel: &'s TravelModel,
    at: i64,
    tech_index: &'s HashMap<TechnicianId, usize>,
}

impl Shared<'_> {
    /// The index of technician `id`; an unknown id is an error naming `context`.
    fn tech(&self, context: String, id: &TechnicianId) -> Result<usize, DispatchError> {
        self.tech_index
            .get(id)
            .copied()
            .ok_or_else(|| DispatchError::unknown_technician(context, id))
    }

    /// The indices of the technicians `list` of `order`'s `field`.
    fn techs(
        &self,
        order: &ServiceOrder,
        list: &[TechnicianId],
        field: &str,
    ) -> Result<Vec<usize>, DispatchError> {
        list.iter()
            .map(|t| self.tech(format!("order {} {field}", order.id), t))
            .collect()
    }
}

/// The skills and territories the orders name, interned while their facts are built.
#[derive(Default)]
struct Interned {
    skills: Names,
    territories: Names,
    /// Calendars of sites' visiting hours.
    sites: Names,
}

/// The facts of one order: its window, duration, site, SLA scale and the technicians and
/// skills its profile names, as indices.
fn order_facts(
    shared: &Shared<'_>,
    interned: &mut Interned,
    order: &ServiceOrder,
    profile: OrderProfile,
) -> Result<OrderFacts, DispatchError> {
    let (model, policy) = (shared.model, shared.policy);
    let customer_excluded = model
        .customer(&order.customer)
        .map(|c| {
            shared.techs(
                order,
                &c.excluded_technicians,
                "customer excluded_technicians",
            )
        })
        .transpose()?
        .unwrap_or_default();
    // A validated model always locates an order (its object's or customer's site).
    let location = model
        .order_location(order)
        .ok_or_else(|| DispatchError::from(DispatchErrorKind::NoLocation(order.id.to_string())))?;
    let horizon = i64::from(policy.work_rules.horizon_days) * 86_400;
    let (window_start, window_end) = window(order, shared.at, horizon);
    let duration_minutes = f64::from(model.order_duration_minutes(order));
    let due = if order.pinned_start.is_some() {
        None
    } else {
        order.due.map(|d| d.timestamp())
    };
    Ok(OrderFacts {
        id: order.id.clone(),
        skills: profile
            .required_skills
            .iter()
            .map(|r| {
                let s = interned.skills.intern(&r.skill);
                (u16::try_from(s).unwrap_or(u16::MAX), r.min_level)
            })
            .collect(),
        territory: profile
            .territory
            .as_ref()
            .map(|t| interned.territories.intern(t.as_str()) as u32),
        preferred: shared.techs(
            order,
            &profile.preferred_technicians,
            "preferred_technicians",
        )?,
        excluded: {
            // Customer exclusions and the profile's, one list for the hot path.
            let mut all =
                shared.techs(order, &profile.excluded_technicians, "excluded_technicians")?;
            all.extend(customer_excluded.iter().copied());
            all.sort_unstable();
            all.dedup();
            all
        },
        customer_excluded,
        required: profile
            .required_technician
            .as_ref()
            .map(|t| shared.tech(format!("order {} required_technician", order.id), t))
            .transpose()?,
        max_travel_km: profile.max_travel_km,
        site: shared.travel.place(location),
        window_start,
        window_end,
        duration_secs: (duration_minutes * 60.0) as i64,
        duration_minutes,
        min_part_secs: order
            .min_part_minutes
            .or(policy.work_rules.min_part_minutes)
            .filter(|_| order.split && order.technicians_required <= 1)
            .map(|m| i64::from(m) * 60),
        crew: order.technicians_required.max(1),
        sla_scale: grade::sla_scale_secs(window_start, due, &policy.scales),
        site_hours: model
            .order_visiting_hours(order)
            .filter(|_| policy.work_rules.visiting_hours)
            .map(|c| interned.sites.intern(c.id.as_str()) as u32),
        site_closed: false,
        profile,
    })
}

/// The span of the calendars to expand, UTC seconds: every window, plus the longest job and a
/// day of travel allowance.
fn calendar_span(orders: &[OrderFacts], at: i64) -> (i64, i64) {
    let longest = orders.iter().map(|o| o.duration_secs).max().unwrap_or(0);
    let from = orders.iter().map(|o| o.window_start).min().unwrap_or(at);
    let to = orders.iter().map(|o| o.window_end).max().unwrap_or(at) + longest + 86_400;
    (from, to)
}

/// A technician calendar's open time over `[from, to)`, its breaks shorter than the policy's
/// `max_break_minutes` bridged: always open when availability is not a work rule (in the
/// calendar's zone) or the calendar is unknown (in UTC).
fn open_time(
    model: &Model,
    calendar: &CalendarId,
    rules: &WorkRuleSettings,
    (from, to): (i64, i64),
) -> OpenStretches {
    match model.calendar(calendar) {
        Some(c) if rules.availability => {
            OpenStretches::new(c, from, to).bridging(i64::from(rules.max_break_minutes) * 60)
        }
        Some(c) => {
            OpenStretches::always_open(c.time_zone.tz().unwrap_or(chrono_tz::Tz::UTC), from, to)
        }
        None => OpenStretches::always_open(chrono_tz::Tz::UTC, from, to),
    }
}

/// The visiting hours of the sites, each calendar (by id, validated to exist) expanded over
/// `span`; an unknown calendar (an unvalidated model) never restricts.
fn site_calendars(model: &Model, ids: &[String], (from, to): (i64, i64)) -> Vec<OpenStretches> {
    ids.iter()
        .map(|id| match model.calendar(&CalendarId::new(id.as_str())) {
            Some(c) => OpenStretches::new(c, from, to),
            None => OpenStretches::always_open(chrono_tz::Tz::UTC, from, to),
        })
        .collect()
}

/// A technician's certifications of the skills the orders require, their days as UTC spans
/// of local days in the technician's calendar zone.
fn dated_skills(model: &Model, tech: &Technician, skills: &Names) -> Vec<DatedSkill> {
    let zone = model
        .calendar(&tech.calendar)
        .and_then(|c| c.time_zone.tz().ok())
        .unwrap_or(chrono_tz::Tz::UTC);
    tech.certifications
        .iter()
        .filter_map(|c| {
            let skill = u16::try_from(*skills.index.get(c.skill.as_str())?).ok()?;
            let from = c
                .valid_from
                .map_or(i64::MIN, |d| start_of_day(zone, d).timestamp());
            let to = c
                .valid_to
                .and_then(|d| d.succ_opt())
                .map_or(i64::MAX, |d| start_of_day(zone, d).timestamp());
            Some(DatedSkill {
                skill,
                level: c.level,
                from,
                to,
            })
        })
        .collect()
}

/// A technician's planned workload per day of their calendar (empty when none falls in it).
fn day_loads(calendar: &OpenStretches, workload: &Workload, tech: &TechnicianId) -> Vec<DayLoad> {
    let mut load = Vec::new();
    for (date, day) in workload.days_of(tech) {
        if let Some(d) = calendar.day_of_date(date) {
            if load.is_empty() {
                load = vec![DayLoad::default(); calendar.day_count()];
            }
            load[d] += day;
        }
    }
    load
}

/// The technicians' side of the context: each distinct calendar expanded once, and per
/// technician its facts, its skill levels (for every interned skill) and its identity.
#[derive(Default)]
struct TechSide {
    calendars: Vec<OpenStretches>,
    facts: Vec<TechFacts>,
    info: Vec<TechInfo>,
    levels: Vec<u8>,
}

/// Builds the technicians' side over the calendar `span`, with their planned `workload`.
fn tech_side(
    shared: &Shared<'_>,
    interned: &Interned,
    techs: Vec<(&Technician, TechnicianProfile)>,
    workload: &Workload,
    span: (i64, i64),
) -> TechSide {
    let mut side = TechSide {
        facts: Vec::with_capacity(techs.len()),
        info: Vec::with_capacity(techs.len()),
        levels: Vec::with_capacity(techs.len() * interned.skills.list.len()),
        ..TechSide::default()
    };
    let mut calendar_index: HashMap<&str, usize> = HashMap::new();
    for (tech, profile) in techs {
        let mut absences = shared.model.absences_of(&tech.id).peekable();
        let cal = match calendar_index.get(tech.calendar.as_str()) {
            // An absent technician's open time is their own: the calendar's less the absences.
            _ if absences.peek().is_some() => {
                let rules = &shared.policy.work_rules;
                let open = absences.fold(
                    open_time(shared.model, &tech.calendar, rules, span),
                    |open, a| open.without(a.start.timestamp(), a.end.timestamp()),
                );
                side.calendars.push(open);
                side.calendars.len() - 1
            }
            Some(&i) => i,
            None => {
                let rules = &shared.policy.work_rules;
                side.calendars
                    .push(open_time(shared.model, &tech.calendar, rules, span));
                calendar_index.insert(tech.calendar.as_str(), side.calendars.len() - 1);
                side.calendars.len() - 1
            }
        };
        let load = day_loads(&side.calendars[cal], workload, &tech.id);
        let dated = dated_skills(shared.model, tech, &interned.skills);
        side.levels
            .extend(interned.skills.list.iter().map(|s| tech.skill_level(s)));
        let territories: Vec<u32> = profile
            .territories
            .iter()
            .filter_map(|t| {
                interned
                    .territories
                    .index
                    .get(t.as_str())
                    .map(|&i| i as u32)
            })
            .collect();
        side.facts.push(TechFacts {
            available: profile.available,
            hourly_cost: profile.hourly_cost,
            // The daily limit a job must fit: regular time plus the overtime the scheduler may
            // plan (rules/README.md, "Overtime").
            daily_minutes: profile.max_daily_minutes + profile.overtime_minutes,
            max_jobs: profile.max_jobs_per_day,
            territory_mask: territories
                .iter()
                .filter(|&&t| t < 64)
                .fold(0, |mask, &t| mask | 1u64 << t),
            territories,
            home: shared.travel.place(tech.home),
            max_travel_km: profile.max_travel_km,
            calendar: cal,
            dated,
            load,
        });
        side.info.push(TechInfo {
            id: tech.id.clone(),
            name: tech.name.clone(),
            profile,
            depot: shared.model.technician_depot(tech).map(|d| d.id.clone()),
        });
    }
    side
}

/// The built-in and `custom` objectives' weights, each divided by the policy's total weight.
fn normalised_weights(
    policy: &DispatchPolicy,
    custom: Vec<String>,
) -> ([f64; Objective::COUNT], Vec<(String, f64)>) {
    let total = policy.weights.total();
    let norm = |w: f64| if total > 0.0 { w / total } else { 0.0 };
    let mut weights = [0.0; Objective::COUNT];
    for o in Objective::ALL {
        weights[o as usize] = norm(policy.weights.get(o));
    }
    let custom = custom
        .into_iter()
        .map(|name| {
            let w = policy.weights.custom_weight(&name).unwrap_or(0.0);
            (name, norm(w))
        })
        .collect();
    (weights, custom)
}

/// The available technicians, and per territory those who cover it, ascending (the index of
/// [`PolicyContext::candidates`]). O(technicians + territories covered).
fn candidate_index(facts: &[TechFacts], territories: usize) -> (Vec<u32>, Vec<Vec<u32>>) {
    let mut available = Vec::new();
    let mut by_territory: Vec<Vec<u32>> = vec![Vec::new(); territories];
    for (t, f) in facts.iter().enumerate().filter(|(_, f)| f.available) {
        available.push(t as u32);
        for &territory in &f.territories {
            if let Some(list) = by_territory.get_mut(territory as usize) {
                if list.last() != Some(&(t as u32)) {
                    list.push(t as u32);
                }
            }
        }
    }
    (available, by_territory)
}

impl<'a> PolicyContext<'a> {
    pub(crate) fn build(input: ContextInput<'a, '_>) -> Result<Self, DispatchError> {
        let ContextInput {
            model,
            policy,
            at,
            orders,
            techs,
            workload,
            custom,
        } = input;
        policy.validate()?;
        let travel = TravelModel::new(&policy.travel, model.road_graph());
        let at_secs = at.timestamp();
        let tech_index: HashMap<TechnicianId, usize> = techs
            .iter()
            .enumerate()
            .map(|(i, (t, _))| (t.id.clone(), i))
            .collect();
        let shared = Shared {
            model,
            policy: &policy,
            travel: &travel,
            at: at_secs,
            tech_index: &tech_index,
        };

        let mut interned = Interned::default();
        let mut order_facts_list = Vec::with_capacity(orders.len());
        let mut order_index = HashMap::with_capacity(orders.len());
        for (order, profile) in orders {
            let facts = order_facts(&shared, &mut interned, order, profile)?;
            order_index.insert(order.id.clone(), order_facts_list.len());
            order_facts_list.push(facts);
        }
        if interned.skills.list.len() > usize::from(u16::MAX) {
            return Err(DispatchError::policy(
                "skills",
                "more than 65,535 distinct skills",
            ));
        }

        let span = calendar_span(&order_facts_list, at_secs);
        let site_calendars = site_calendars(model, &interned.sites.list, span);
        for of in &mut order_facts_list {
            of.site_closed = of.site_hours.is_some_and(|c| {
                let site = &site_calendars[c as usize];
                !site_opens(
                    site,
                    of.window_start,
                    of.window_end,
                    of.shortest_visit_secs(),
                )
            });
        }
        let tech_side = tech_side(&shared, &interned, techs, workload, span);
        for t in workload.technicians() {
            if !tech_index.contains_key(t) {
                return Err(DispatchError::unknown_technician("workload", t));
            }
        }
        travel.warm(tech_side.facts.iter().map(|t| t.home));

        let (weights, custom) = normalised_weights(&policy, custom);
        let (available_techs, territory_techs) =
            candidate_index(&tech_side.facts, interned.territories.list.len());
        Ok(Self {
            available_techs,
            territory_techs,
            model,
            at: at_secs,
            travel,
            skills: interned.skills.list,
            levels: tech_side.levels,
            territories: interned.territories.list,
            orders: order_facts_list,
            order_index,
            techs: tech_side.facts,
            tech_info: tech_side.info,
            tech_index,
            calendars: tech_side.calendars,
            site_calendars,
            weights,
            custom,
            hooks: None,
            policy,
        })
    }
}

/// The window of an order: `(earliest start, latest start)`, UTC seconds. A pinned start is
/// both; a booked appointment is its window (from no earlier than `at`, `earliest_start` and
/// the order's creation; the due time does not cut it: the customer was promised that
/// window); otherwise from the latest of `at`, `earliest_start` and the order's creation
/// (no visit before the order exists) to the due time, cut to the horizon (and the whole
/// horizon when there is no due time or it has passed).
fn window(order: &ServiceOrder, at: i64, horizon: i64) -> (i64, i64) {
    if let Some(p) = order.pinned_start {
        let p = p.timestamp();
        return (p, p);
    }
    let exists = order.created_at.timestamp().max(at);
    let start = order
        .earliest_start
        .map_or(exists, |e| e.timestamp().max(exists));
    if let Some(a) = order.appointment {
        let from = start.max(a.from.timestamp());
        return (from, a.to.timestamp().max(from));
    }
    let cap = start + horizon;
    let end = match order.due.map(|d| d.timestamp()) {
        Some(due) if due >= start => due.min(cap),
        _ => cap,
    };
    (start, end)
}
