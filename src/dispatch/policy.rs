//! The dispatch policy: objective weights, work-rule settings, grade scales and the travel
//! model's settings. A run reads it once — from the `dispatch_policy()` hook when the rule files
//! define it, else [`DispatchPolicy::default`] — and validates it before any pair is graded.

use serde::Serialize;

use super::error::DispatchError;
use super::objectives::Objective;

/// Weights of the objectives: the six built-in ones and any custom `score_<name>` objectives.
///
/// A candidate's total score is `Σ weightᵢ × gradeᵢ / Σ weightᵢ`, so it stays on the 0–100 scale
/// of the grades whatever the weights add up to; only their ratios matter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weights {
    builtin: [f64; Objective::COUNT],
    custom: Vec<(String, f64)>,
}

impl Default for Weights {
    /// SLA urgency 30, travel 25, preferred technician 15, skill fit 10, workload balance 10,
    /// cost 10.
    fn default() -> Self {
        let mut w = Self {
            builtin: [0.0; Objective::COUNT],
            custom: Vec::new(),
        };
        for (o, v) in [
            (Objective::SlaUrgency, 30.0),
            (Objective::Travel, 25.0),
            (Objective::SkillFit, 10.0),
            (Objective::PreferredTechnician, 15.0),
            (Objective::WorkloadBalance, 10.0),
            (Objective::Cost, 10.0),
        ] {
            w.set(o, v);
        }
        w
    }
}

impl Weights {
    /// All weights zero (a starting point for setting a few).
    pub fn zero() -> Self {
        Self {
            builtin: [0.0; Objective::COUNT],
            custom: Vec::new(),
        }
    }

    /// The weight of a built-in objective.
    pub fn get(&self, objective: Objective) -> f64 {
        self.builtin[objective as usize]
    }

    /// Sets the weight of a built-in objective.
    pub fn set(&mut self, objective: Objective, weight: f64) {
        self.builtin[objective as usize] = weight;
    }

    /// Sets the weight of a custom objective (graded by the `score_<name>` hook).
    pub fn set_custom(&mut self, name: impl Into<String>, weight: f64) {
        let name = name.into();
        match self.custom.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = weight,
            None => self.custom.push((name, weight)),
        }
    }

    /// Custom objectives and their weights, in the order they were set.
    pub fn custom(&self) -> &[(String, f64)] {
        &self.custom
    }

    /// The weight of a custom objective, if set.
    pub fn custom_weight(&self, name: &str) -> Option<f64> {
        self.custom.iter().find(|(n, _)| n == name).map(|(_, w)| *w)
    }

    /// Sum of all weights (built-in and custom).
    pub fn total(&self) -> f64 {
        self.builtin.iter().sum::<f64>() + self.custom.iter().map(|(_, w)| w).sum::<f64>()
    }

    fn validate(&self) -> Result<(), DispatchError> {
        let named = Objective::ALL
            .iter()
            .map(|o| (o.name(), self.get(*o)))
            .chain(self.custom.iter().map(|(n, w)| (n.as_str(), *w)));
        for (name, w) in named {
            if !(w.is_finite() && (0.0..=MAX_WEIGHT).contains(&w)) {
                return Err(DispatchError::policy(
                    format!("weights.{name}"),
                    format!("{w} outside 0..={MAX_WEIGHT}"),
                ));
            }
        }
        Ok(())
    }
}

/// Largest accepted weight.
pub const MAX_WEIGHT: f64 = 1_000_000.0;

/// Which hard work rules apply, and their limits. Every rule is on by default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkRuleSettings {
    /// Required skills with minimum level.
    pub skills: bool,
    /// The technician must cover the order's territory.
    pub territory: bool,
    /// The technician's calendar must be open for travel and the order's duration, starting
    /// within the order's window (breaks shorter than `max_break_minutes` do not interrupt it).
    pub availability: bool,
    /// Every visit must lie inside the site's visiting hours (the service object's or the
    /// customer's `visiting_hours` calendar), whole.
    pub visiting_hours: bool,
    /// Most road kilometres from the technician's home to the site; `None` for no limit.
    pub max_travel_km: Option<f64>,
    /// Technicians the customer (or the order profile) excludes.
    pub excluded_technicians: bool,
    /// An order pinned to a technician may only go to that technician.
    pub required_technician: bool,
    /// Maximum jobs and hours (work plus travel) per day.
    pub daily_limits: bool,
    /// The availability window is cut to this many days after its start (and is this long
    /// when the order has no due time).
    pub horizon_days: u32,
    /// Minutes a restocking stop at a depot takes, for depots without their own
    /// `service_minutes` (see `docs/dataset.md`, "Parts and tools"); 0–1440.
    pub depot_service_minutes: u32,
    /// Gaps shorter than this between two openings of a technician's calendar on one local day
    /// are breaks (a lunch break), minutes: the day is one working span and a job may run
    /// through the break — for the `availability` rule and the scheduler's shifts alike.
    /// Longer gaps split the day; an absence is never bridged. 0–1440.
    pub max_break_minutes: u32,
    /// Shortest part of a multi-day job, minutes (an order's `min_part_minutes` overrides it):
    /// a job longer than a technician's working day is split over consecutive working days
    /// of that technician, each part at least this long. `None`: jobs are never split.
    pub min_part_minutes: Option<u32>,
}

impl Default for WorkRuleSettings {
    fn default() -> Self {
        Self {
            skills: true,
            territory: true,
            availability: true,
            visiting_hours: true,
            max_travel_km: Some(80.0),
            excluded_technicians: true,
            required_technician: true,
            daily_limits: true,
            horizon_days: 14,
            depot_service_minutes: 15,
            max_break_minutes: 120,
            min_part_minutes: Some(120),
        }
    }
}

/// The bounded scales objectives are graded on (see [`Objective`] for each formula).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradeScales {
    /// SLA urgency: hours after the window start at which a start is graded 0 when the order has
    /// no due time or a later one.
    pub asap_horizon_hours: f64,
    /// Travel: minutes of driving graded 0 (0 minutes is 100).
    pub travel_worst_minutes: f64,
    /// Skill fit: grade points lost per level of over-qualification (averaged over the skills).
    pub overqualification_penalty: f64,
    /// Cost: job cost (hourly cost × duration, dataset currency) graded 0 (free is 100).
    pub cost_worst: f64,
}

impl Default for GradeScales {
    fn default() -> Self {
        Self {
            asap_horizon_hours: 72.0,
            travel_worst_minutes: 120.0,
            overqualification_penalty: 10.0,
            cost_worst: 500.0,
        }
    }
}

/// Settings of the travel model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TravelSettings {
    /// Average driving speed, km/h (great-circle legs, and road edges without a time).
    pub average_speed_kmh: f64,
    /// Road kilometres per great-circle kilometre (≥ 1; 1.3 is typical of road networks).
    pub circuity: f64,
    /// Use the dataset's `road_graph` section when it has one.
    pub use_road_graph: bool,
}

impl Default for TravelSettings {
    fn default() -> Self {
        Self {
            average_speed_kmh: 50.0,
            circuity: 1.3,
            use_road_graph: true,
        }
    }
}

/// A complete dispatch policy.
///
/// ```
/// use fieldwork::dispatch::{DispatchPolicy, Objective};
/// let mut policy = DispatchPolicy::default();
/// policy.weights.set(Objective::Travel, 60.0);
/// policy.work_rules.max_travel_km = Some(120.0);
/// assert!(policy.validate().is_ok());
/// policy.travel.average_speed_kmh = 0.0;
/// assert!(policy.validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DispatchPolicy {
    /// Objective weights.
    pub weights: Weights,
    /// Hard work rules.
    pub work_rules: WorkRuleSettings,
    /// Grade scales.
    pub scales: GradeScales,
    /// Travel model.
    pub travel: TravelSettings,
    /// Stability of re-planning: freeze horizon and disruption penalty.
    pub replanning: ReplanningSettings,
    /// The scheduler's one objective: what an unplanned order and a late minute cost.
    pub costs: CostSettings,
}

/// The weights that put the scheduler's objective on one scale, the unit of travel cost (one
/// km at the scheduler's `cost_per_km` of 1): travel + `lateness_per_minute` × minutes of SLA
/// lateness + `lateness_per_minute` × `replanning.disruption_minutes` per moved visit +
/// `unplanned_per_priority_weight` × the priority weight (critical 8, high 4, normal 2, low 1)
/// of each order left unplanned (its outsourcing cost) + `overtime_per_minute` × minutes of
/// overtime (a day's work past its regular end, within the technician profile's
/// `overtime_minutes`).
///
/// ```
/// use fieldwork::dispatch::CostSettings;
/// let c = CostSettings::default();
/// assert_eq!((c.unplanned_per_priority_weight, c.lateness_per_minute), (10_000.0, 1.0));
/// assert_eq!(c.overtime_per_minute, 2.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostSettings {
    /// Cost of leaving an order unplanned, per unit of its priority weight.
    pub unplanned_per_priority_weight: f64,
    /// Cost of one minute of SLA lateness (and of one disruption minute).
    pub lateness_per_minute: f64,
    /// Cost of one minute of overtime.
    pub overtime_per_minute: f64,
}

impl Default for CostSettings {
    fn default() -> Self {
        Self {
            unplanned_per_priority_weight: 10_000.0,
            lateness_per_minute: 1.0,
            overtime_per_minute: 2.0,
        }
    }
}

/// Largest accepted `replanning.freeze_working_days`.
pub const MAX_FREEZE_WORKING_DAYS: u32 = 14;

/// How stable a re-plan is (see docs/engines.md, "Re-planning").
///
/// * Visits that start before the end of a technician's `freeze_working_days`-th working day
///   after today (today's remaining work counts as day 0) keep their technician and start
///   unless that became infeasible.
/// * Beyond the freeze, moving a planned visit (another technician, or a later start) costs
///   `disruption_minutes` minutes of SLA lateness in the objective, so a visit moves only to
///   plan more (or more urgent) orders or to cut lateness by more than that; travel savings
///   alone never move a planned visit.
///
/// ```
/// use fieldwork::dispatch::ReplanningSettings;
/// let r = ReplanningSettings::default();
/// assert_eq!((r.freeze_working_days, r.disruption_minutes), (1, 60.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplanningSettings {
    /// Working days after today inside the freeze horizon (0: only the rest of today).
    pub freeze_working_days: u32,
    /// Disruption penalty of moving a planned visit beyond the freeze, in minutes of lateness.
    pub disruption_minutes: f64,
}

impl Default for ReplanningSettings {
    fn default() -> Self {
        Self {
            freeze_working_days: 1,
            disruption_minutes: 60.0,
        }
    }
}

impl DispatchPolicy {
    /// Checks every setting is finite and in range.
    pub fn validate(&self) -> Result<(), DispatchError> {
        self.weights.validate()?;
        let positive = [
            ("travel.average_speed_kmh", self.travel.average_speed_kmh),
            ("scales.asap_horizon_hours", self.scales.asap_horizon_hours),
            (
                "scales.travel_worst_minutes",
                self.scales.travel_worst_minutes,
            ),
            ("scales.cost_worst", self.scales.cost_worst),
        ];
        for (setting, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(DispatchError::policy(setting, format!("{v} must be > 0")));
            }
        }
        let c = self.travel.circuity;
        if !(c.is_finite() && (1.0..=5.0).contains(&c)) {
            return Err(DispatchError::policy(
                "travel.circuity",
                format!("{c} outside 1..=5"),
            ));
        }
        let p = self.scales.overqualification_penalty;
        if !(p.is_finite() && (0.0..=100.0).contains(&p)) {
            return Err(DispatchError::policy(
                "scales.overqualification_penalty",
                format!("{p} outside 0..=100"),
            ));
        }
        if let Some(km) = self.work_rules.max_travel_km {
            if !(km.is_finite() && km >= 0.0) {
                return Err(DispatchError::policy(
                    "work_rules.max_travel_km",
                    format!("{km} must be >= 0"),
                ));
            }
        }
        for (setting, c) in [
            (
                "costs.unplanned_per_priority_weight",
                self.costs.unplanned_per_priority_weight,
            ),
            ("costs.lateness_per_minute", self.costs.lateness_per_minute),
            ("costs.overtime_per_minute", self.costs.overtime_per_minute),
        ] {
            if !(c.is_finite() && (0.0..=1e9).contains(&c)) {
                return Err(DispatchError::policy(
                    setting,
                    format!("{c} outside 0..=1e9"),
                ));
            }
        }
        let d = self.replanning.disruption_minutes;
        if !(d.is_finite() && (0.0..=MAX_WEIGHT).contains(&d)) {
            return Err(DispatchError::policy(
                "replanning.disruption_minutes",
                format!("{d} outside 0..={MAX_WEIGHT}"),
            ));
        }
        let f = self.replanning.freeze_working_days;
        if f > MAX_FREEZE_WORKING_DAYS {
            return Err(DispatchError::policy(
                "replanning.freeze_working_days",
                format!("{f} outside 0..={MAX_FREEZE_WORKING_DAYS}"),
            ));
        }
        for (setting, m) in [
            (
                "work_rules.depot_service_minutes",
                self.work_rules.depot_service_minutes,
            ),
            (
                "work_rules.max_break_minutes",
                self.work_rules.max_break_minutes,
            ),
        ] {
            if m > 24 * 60 {
                return Err(DispatchError::policy(
                    setting,
                    format!("{m} outside 0..=1440"),
                ));
            }
        }
        let h = self.work_rules.horizon_days;
        if !(1..=MAX_HORIZON_DAYS).contains(&h) {
            return Err(DispatchError::policy(
                "work_rules.horizon_days",
                format!("{h} outside 1..={MAX_HORIZON_DAYS}"),
            ));
        }
        Ok(())
    }
}

/// Largest accepted availability horizon, days.
pub const MAX_HORIZON_DAYS: u32 = 366;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_valid_and_weights_sum_to_100() {
        let p = DispatchPolicy::default();
        p.validate().unwrap();
        assert_eq!(p.weights.total(), 100.0);
    }

    #[test]
    fn out_of_range_settings_name_the_setting() {
        let mut p = DispatchPolicy::default();
        p.weights.set(Objective::Cost, -1.0);
        assert!(p
            .validate()
            .unwrap_err()
            .to_string()
            .contains("weights.cost"));
        let mut p = DispatchPolicy::default();
        p.weights.set_custom("vip", f64::NAN);
        assert!(p
            .validate()
            .unwrap_err()
            .to_string()
            .contains("weights.vip"));
        let mut p = DispatchPolicy::default();
        p.travel.circuity = 0.9;
        assert!(p
            .validate()
            .unwrap_err()
            .to_string()
            .contains("travel.circuity"));
        let mut p = DispatchPolicy::default();
        p.work_rules.horizon_days = 0;
        assert!(p.validate().is_err());
        let mut p = DispatchPolicy::default();
        p.work_rules.max_travel_km = Some(-5.0);
        assert!(p.validate().is_err());
        let mut p = DispatchPolicy::default();
        p.work_rules.max_break_minutes = 1441;
        assert!(p
            .validate()
            .unwrap_err()
            .to_string()
            .contains("work_rules.max_break_minutes"));
        p.work_rules.max_break_minutes = 1440;
        assert!(p.validate().is_ok());
    }

    #[test]
    fn custom_weights_are_set_and_replaced() {
        let mut w = Weights::zero();
        w.set_custom("vip", 5.0);
        w.set_custom("vip", 7.0);
        assert_eq!(w.custom(), &[("vip".to_string(), 7.0)]);
        assert_eq!(w.total(), 7.0);
    }
}
