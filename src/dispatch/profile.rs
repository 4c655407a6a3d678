//! Per-order and per-technician dispatch parameters ("profiles"): what the work rules and the
//! objectives read for one order or one technician. Each is computed once per run from the
//! model, then adjusted by the `order_profile(order, customer)` / `technician_profile(tech)`
//! hooks when the rule files define them (see `hooks.rs` for the map shapes).

use serde::Serialize;

use crate::model::{
    Model, OrderOrigin, ServiceOrder, SkillRequirement, Technician, TechnicianId, TerritoryId,
};

/// Dispatch parameters of one order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderProfile {
    /// Skills the order needs, the highest minimum level per skill, sorted by skill.
    pub required_skills: Vec<SkillRequirement>,
    /// Territory the order is in (default: the customer's).
    pub territory: Option<TerritoryId>,
    /// Technicians preferred (default: the order's preferred technician and its agreement
    /// line's).
    pub preferred_technicians: Vec<TechnicianId>,
    /// Technicians who may not take the order (default: the customer's excluded technicians).
    pub excluded_technicians: Vec<TechnicianId>,
    /// The only technician who may take it (default: the order's required technician).
    pub required_technician: Option<TechnicianId>,
    /// The travel limit for this order, km, replacing the policy's (default none: the policy's
    /// limit applies). A technician's personal limit still caps it.
    pub max_travel_km: Option<f64>,
}

impl OrderProfile {
    /// The profile as the model gives it, before any hook.
    ///
    /// ```
    /// use fieldwork::dispatch::OrderProfile;
    /// use fieldwork::model::{Model, OrderId};
    /// let model = Model::from_json(r#"{
    ///   "calendars": [{"id": "c", "time_zone": "UTC", "weekly": {"mon": [["08:00", "17:00"]]}}],
    ///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
    ///                  "location": {"lat": 0, "lon": 0}, "territory": "north"}],
    ///   "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
    ///               "priority": "high", "created_at": "2027-03-01T08:00:00Z"}]
    /// }"#).unwrap();
    /// let order = model.order(&OrderId::new("SO-1")).unwrap();
    /// let profile = OrderProfile::from_model(&model, order);
    /// assert_eq!(profile.territory.unwrap().as_str(), "north");
    /// ```
    pub fn from_model(model: &Model, order: &ServiceOrder) -> Self {
        let customer = model.customer(&order.customer);
        let mut preferred: Vec<TechnicianId> = order.preferred_technician.iter().cloned().collect();
        if let OrderOrigin::Agreement { line, .. } = &order.origin {
            if let Some(t) = model
                .agreement_line(line)
                .and_then(|(_, l)| l.preferred_technician.clone())
            {
                if !preferred.contains(&t) {
                    preferred.push(t);
                }
            }
        }
        Self {
            required_skills: model.order_required_skills(order),
            territory: customer.and_then(|c| c.territory.clone()),
            preferred_technicians: preferred,
            excluded_technicians: customer
                .map(|c| c.excluded_technicians.clone())
                .unwrap_or_default(),
            required_technician: order.required_technician.clone(),
            max_travel_km: None,
        }
    }

    /// Raises the minimum level of a skill (adding the skill if needed); levels never drop.
    pub fn require_skill(&mut self, skill: &str, min_level: u8) {
        match self.required_skills.iter_mut().find(|r| r.skill == skill) {
            Some(r) => r.min_level = r.min_level.max(min_level),
            None => {
                self.required_skills.push(SkillRequirement {
                    skill: skill.to_owned(),
                    min_level,
                });
                self.required_skills.sort_by(|a, b| a.skill.cmp(&b.skill));
            }
        }
    }
}

/// Largest accepted [`TechnicianProfile::overtime_minutes`] (4 hours).
pub const MAX_OVERTIME_MINUTES: f64 = 240.0;

/// Dispatch parameters of one technician.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TechnicianProfile {
    /// Whether the technician can be dispatched at all (default: the `active` flag).
    pub available: bool,
    /// Territories covered (default: the technician's territory).
    pub territories: Vec<TerritoryId>,
    /// Personal travel limit from home, km: caps the order's (or policy's) limit (default none).
    pub max_travel_km: Option<f64>,
    /// Cost per working hour (default: the technician's hourly cost).
    pub hourly_cost: f64,
    /// Most minutes of work and travel per day in regular time (default: max hours per day ×
    /// 60).
    pub max_daily_minutes: f64,
    /// Most minutes of overtime a day may run past its regular end (the end of the calendar's
    /// opening or of `max_daily_minutes`, whichever comes first), never into an absence or
    /// the next opening; each minute costs the policy's `costs.overtime_per_minute` (default
    /// 0: no overtime; at most [`MAX_OVERTIME_MINUTES`]).
    pub overtime_minutes: f64,
    /// Most jobs per day (default: the technician's limit, if any).
    pub max_jobs_per_day: Option<u32>,
}

impl TechnicianProfile {
    /// The profile as the model gives it, before any hook.
    pub fn from_model(tech: &Technician) -> Self {
        use rust_decimal::prelude::ToPrimitive;
        Self {
            available: tech.active,
            territories: tech.territory.iter().cloned().collect(),
            max_travel_km: None,
            hourly_cost: tech.hourly_cost.to_f64().unwrap_or(0.0),
            max_daily_minutes: tech.max_hours_per_day * 60.0,
            overtime_minutes: 0.0,
            max_jobs_per_day: tech.max_jobs_per_day,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_skill_only_raises_and_keeps_order() {
        let mut p = OrderProfile {
            required_skills: vec![SkillRequirement {
                skill: "hvac".into(),
                min_level: 3,
            }],
            territory: None,
            preferred_technicians: vec![],
            excluded_technicians: vec![],
            required_technician: None,
            max_travel_km: None,
        };
        p.require_skill("hvac", 2);
        p.require_skill("electrical", 1);
        p.require_skill("hvac", 4);
        let got: Vec<(&str, u8)> = p
            .required_skills
            .iter()
            .map(|r| (r.skill.as_str(), r.min_level))
            .collect();
        assert_eq!(got, [("electrical", 1), ("hvac", 4)]);
    }
}
