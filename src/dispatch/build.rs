//! Building a [`PolicyContext`]: everything done once per run — interning skills and
//! territories, locating sites and homes, order windows and grade scales, expanding each
//! distinct calendar once over the span of all windows, indexing the planned workload, and
//! normalising the weights.

use std::collections::HashMap;

use super::context::{ContextInput, OrderFacts, PolicyContext, TechFacts, TechInfo};
use super::error::{DispatchError, DispatchErrorKind};
use super::objectives::{self as grade, Objective};
use super::travel::TravelModel;
use super::workload::DayLoad;
use crate::calendar::OpenStretches;
use crate::model::{ServiceOrder, TechnicianId};

fn intern(names: &mut Vec<String>, index: &mut HashMap<String, usize>, name: &str) -> usize {
    if let Some(&i) = index.get(name) {
        return i;
    }
    names.push(name.to_owned());
    index.insert(name.to_owned(), names.len() - 1);
    names.len() - 1
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
        let lookup = |context: String, id: &TechnicianId| {
            tech_index
                .get(id)
                .copied()
                .ok_or_else(|| DispatchError::unknown_technician(context, id))
        };

        let (mut skills, mut skill_index) = (Vec::new(), HashMap::new());
        let (mut territories, mut territory_index) = (Vec::new(), HashMap::new());
        let horizon = i64::from(policy.work_rules.horizon_days) * 86_400;
        let mut order_facts = Vec::with_capacity(orders.len());
        let mut order_index = HashMap::with_capacity(orders.len());
        for (order, profile) in orders {
            let ids = |list: &[TechnicianId], field: &str| -> Result<Vec<usize>, DispatchError> {
                list.iter()
                    .map(|t| lookup(format!("order {} {field}", order.id), t))
                    .collect()
            };
            let customer_excluded = model
                .customer(&order.customer)
                .map(|c| ids(&c.excluded_technicians, "customer excluded_technicians"))
                .transpose()?
                .unwrap_or_default();
            // A validated model always locates an order (its object's or customer's site).
            let location = model.order_location(order).ok_or_else(|| {
                DispatchError::from(DispatchErrorKind::NoLocation(order.id.to_string()))
            })?;
            let (window_start, window_end) = window(order, at_secs, horizon);
            let duration_minutes = f64::from(model.order_duration_minutes(order));
            let due = if order.pinned_start.is_some() {
                None
            } else {
                order.due.map(|d| d.timestamp())
            };
            let facts = OrderFacts {
                id: order.id.clone(),
                skills: profile
                    .required_skills
                    .iter()
                    .map(|r| {
                        let s = intern(&mut skills, &mut skill_index, &r.skill);
                        (u16::try_from(s).unwrap_or(u16::MAX), r.min_level)
                    })
                    .collect(),
                territory: profile
                    .territory
                    .as_ref()
                    .map(|t| intern(&mut territories, &mut territory_index, t.as_str()) as u32),
                preferred: ids(&profile.preferred_technicians, "preferred_technicians")?,
                excluded: {
                    // Customer exclusions and the profile's, one list for the hot path.
                    let mut all = ids(&profile.excluded_technicians, "excluded_technicians")?;
                    all.extend(customer_excluded.iter().copied());
                    all.sort_unstable();
                    all.dedup();
                    all
                },
                customer_excluded,
                required: profile
                    .required_technician
                    .as_ref()
                    .map(|t| lookup(format!("order {} required_technician", order.id), t))
                    .transpose()?,
                max_travel_km: profile.max_travel_km,
                site: travel.place(location),
                window_start,
                window_end,
                duration_secs: (duration_minutes * 60.0) as i64,
                duration_minutes,
                sla_scale: grade::sla_scale_secs(window_start, due, &policy.scales),
                profile,
            };
            order_index.insert(order.id.clone(), order_facts.len());
            order_facts.push(facts);
        }
        if skills.len() > usize::from(u16::MAX) {
            return Err(DispatchError::policy(
                "skills",
                "more than 65,535 distinct skills",
            ));
        }

        // Calendar span: every window, plus the longest job and travel allowance.
        let longest = order_facts
            .iter()
            .map(|o| o.duration_secs)
            .max()
            .unwrap_or(0);
        let from = order_facts
            .iter()
            .map(|o| o.window_start)
            .min()
            .unwrap_or(at_secs);
        let to = order_facts
            .iter()
            .map(|o| o.window_end)
            .max()
            .unwrap_or(at_secs)
            + longest
            + 86_400;
        let mut calendars = Vec::new();
        let mut calendar_index: HashMap<&str, usize> = HashMap::new();
        let mut tech_facts = Vec::with_capacity(techs.len());
        let mut tech_info = Vec::with_capacity(techs.len());
        let mut levels = Vec::with_capacity(techs.len() * skills.len());
        for (tech, profile) in techs {
            let cal = match calendar_index.get(tech.calendar.as_str()) {
                Some(&i) => i,
                None => {
                    let open = match model.calendar(&tech.calendar) {
                        Some(c) if policy.work_rules.availability => {
                            OpenStretches::new(c, from, to)
                        }
                        Some(c) => OpenStretches::always_open(
                            c.time_zone.tz().unwrap_or(chrono_tz::Tz::UTC),
                            from,
                            to,
                        ),
                        None => OpenStretches::always_open(chrono_tz::Tz::UTC, from, to),
                    };
                    calendars.push(open);
                    calendar_index.insert(tech.calendar.as_str(), calendars.len() - 1);
                    calendars.len() - 1
                }
            };
            let mut load = Vec::new();
            for (date, day) in workload.days_of(&tech.id) {
                if let Some(d) = calendars[cal].day_of_date(date) {
                    if load.is_empty() {
                        load = vec![DayLoad::default(); calendars[cal].day_count()];
                    }
                    load[d] += day;
                }
            }
            levels.extend(skills.iter().map(|s| tech.skill_level(s)));
            let territories: Vec<u32> = profile
                .territories
                .iter()
                .filter_map(|t| territory_index.get(t.as_str()).map(|&i| i as u32))
                .collect();
            tech_facts.push(TechFacts {
                available: profile.available,
                hourly_cost: profile.hourly_cost,
                daily_minutes: profile.max_daily_minutes,
                max_jobs: profile.max_jobs_per_day,
                territory_mask: territories
                    .iter()
                    .filter(|&&t| t < 64)
                    .fold(0, |mask, &t| mask | 1u64 << t),
                territories,
                home: travel.place(tech.home),
                max_travel_km: profile.max_travel_km,
                calendar: cal,
                load,
            });
            tech_info.push(TechInfo {
                id: tech.id.clone(),
                name: tech.name.clone(),
                profile,
            });
        }
        for t in workload.technicians() {
            if !tech_index.contains_key(t) {
                return Err(DispatchError::unknown_technician("workload", t));
            }
        }
        travel.warm(tech_facts.iter().map(|t| t.home));

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
        Ok(Self {
            model,
            at: at_secs,
            travel,
            skills,
            levels,
            territories,
            orders: order_facts,
            order_index,
            techs: tech_facts,
            tech_info,
            tech_index,
            calendars,
            weights,
            custom,
            hooks: None,
            policy,
        })
    }
}

/// The window of an order: `(earliest start, latest start)`, UTC seconds. A pinned start is
/// both; otherwise from `max(at, earliest_start)` to the due time, cut to the horizon (and the
/// whole horizon when there is no due time or it has passed).
fn window(order: &ServiceOrder, at: i64, horizon: i64) -> (i64, i64) {
    if let Some(p) = order.pinned_start {
        let p = p.timestamp();
        return (p, p);
    }
    let start = order.earliest_start.map_or(at, |e| e.timestamp().max(at));
    let cap = start + horizon;
    let end = match order.due.map(|d| d.timestamp()) {
        Some(due) if due >= start => due.min(cap),
        _ => cap,
    };
    (start, end)
}
