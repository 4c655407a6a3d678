//! The soft objectives and their grades. Every objective grades a (order, technician) pair on
//! its own bounded scale from 0 (worst) to 100 (best); the policy's weights combine the grades.
//! The functions here are pure and cheap: the per-pair hot path calls them directly.

use serde::Serialize;

use super::policy::GradeScales;

/// A built-in objective. Custom objectives are graded by `score_<name>(order, tech)` hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// SLA urgency / as soon as possible: 100 when the technician can start at the window start;
    /// 0 at the order's due time, or [`GradeScales::asap_horizon_hours`] after the window start
    /// when that comes first (or the order has no due time, or is already overdue); linear in
    /// between.
    SlaUrgency,
    /// Travel time from home: 100 at 0 minutes, 0 at [`GradeScales::travel_worst_minutes`] or
    /// more; linear in between.
    Travel,
    /// Skill-level fit: 100 when the technician's levels match the required ones exactly;
    /// [`GradeScales::overqualification_penalty`] points less per level of over-qualification,
    /// averaged over the required skills; floor 0. Orders without skills grade 100.
    SkillFit,
    /// Preferred technician: 100 for a technician the order (or its agreement line, or the
    /// order profile) prefers, else 0.
    PreferredTechnician,
    /// Workload balance: 100 × (1 − minutes already planned on the start day ÷ the technician's
    /// daily minutes); 100 for an empty day, 0 for a full one.
    WorkloadBalance,
    /// Cost: 100 × (1 − hourly cost × duration ÷ [`GradeScales::cost_worst`]); 100 for a free job,
    /// 0 at `cost_worst` or more.
    Cost,
}

impl Objective {
    /// Number of built-in objectives.
    pub const COUNT: usize = 6;

    /// All built-in objectives, in explanation order.
    pub const ALL: [Objective; Self::COUNT] = [
        Objective::SlaUrgency,
        Objective::Travel,
        Objective::SkillFit,
        Objective::PreferredTechnician,
        Objective::WorkloadBalance,
        Objective::Cost,
    ];

    /// The name used in `dispatch_policy().weights` and in explanations.
    pub fn name(self) -> &'static str {
        match self {
            Objective::SlaUrgency => "sla_urgency",
            Objective::Travel => "travel",
            Objective::SkillFit => "skill_fit",
            Objective::PreferredTechnician => "preferred_technician",
            Objective::WorkloadBalance => "workload_balance",
            Objective::Cost => "cost",
        }
    }

    /// Parses a weight name.
    ///
    /// ```
    /// use fieldwork::dispatch::Objective;
    /// assert_eq!(Objective::parse("skill_fit"), Some(Objective::SkillFit));
    /// assert_eq!(Objective::parse("vip"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == name)
    }
}

/// Clamps a grade to 0..=100 (NaN becomes 0).
#[inline]
fn clamp_grade(g: f64) -> f64 {
    if g.is_nan() {
        0.0
    } else {
        g.clamp(0.0, 100.0)
    }
}

/// [`Objective::SlaUrgency`]: `delay_secs` after the window start, on a scale of `scale_secs`
/// (the time from window start to due, capped by the ASAP horizon).
#[inline]
pub fn grade_sla_urgency(delay_secs: f64, scale_secs: f64) -> f64 {
    if scale_secs <= 0.0 {
        return if delay_secs <= 0.0 { 100.0 } else { 0.0 };
    }
    clamp_grade(100.0 * (1.0 - delay_secs / scale_secs))
}

/// The SLA-urgency scale of an order: seconds from window start to due, capped by the ASAP
/// horizon; the horizon alone when there is no due time or it has already passed (an overdue
/// order is graded "as soon as possible" on the full horizon, so technicians still differ).
#[inline]
pub fn sla_scale_secs(window_start: i64, due: Option<i64>, scales: &GradeScales) -> f64 {
    let horizon = scales.asap_horizon_hours * 3600.0;
    match due {
        Some(due) if due > window_start => ((due - window_start) as f64).min(horizon),
        _ => horizon,
    }
}

/// [`Objective::Travel`].
#[inline]
pub fn grade_travel(minutes: f64, scales: &GradeScales) -> f64 {
    clamp_grade(100.0 * (1.0 - minutes / scales.travel_worst_minutes))
}

/// [`Objective::SkillFit`]: `excess_levels` is the sum over required skills of (level held −
/// level required), `skills` their number.
#[inline]
pub fn grade_skill_fit(excess_levels: u32, skills: usize, scales: &GradeScales) -> f64 {
    if skills == 0 {
        return 100.0;
    }
    let average = f64::from(excess_levels) / skills as f64;
    clamp_grade(100.0 - scales.overqualification_penalty * average)
}

/// [`Objective::PreferredTechnician`].
#[inline]
pub fn grade_preferred(preferred: bool) -> f64 {
    if preferred {
        100.0
    } else {
        0.0
    }
}

/// [`Objective::WorkloadBalance`].
#[inline]
pub fn grade_workload(planned_minutes: f64, daily_minutes: f64) -> f64 {
    if daily_minutes <= 0.0 {
        return 0.0;
    }
    clamp_grade(100.0 * (1.0 - planned_minutes / daily_minutes))
}

/// [`Objective::Cost`]: `cost` is hourly cost × duration in hours.
#[inline]
pub fn grade_cost(cost: f64, scales: &GradeScales) -> f64 {
    clamp_grade(100.0 * (1.0 - cost / scales.cost_worst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grade_reaches_its_bounds_and_stays_within_them() {
        let s = GradeScales::default();
        assert_eq!(grade_sla_urgency(0.0, 3600.0), 100.0);
        assert_eq!(grade_sla_urgency(3600.0, 3600.0), 0.0);
        assert_eq!(grade_sla_urgency(1e9, 3600.0), 0.0);
        assert_eq!(grade_sla_urgency(1800.0, 3600.0), 50.0);
        assert_eq!(grade_sla_urgency(0.0, 0.0), 100.0);
        assert_eq!(grade_sla_urgency(1.0, 0.0), 0.0);
        assert_eq!(grade_travel(0.0, &s), 100.0);
        assert_eq!(grade_travel(60.0, &s), 50.0);
        assert_eq!(grade_travel(120.0, &s), 0.0);
        assert_eq!(grade_travel(500.0, &s), 0.0);
        assert_eq!(grade_skill_fit(0, 2, &s), 100.0);
        assert_eq!(grade_skill_fit(0, 0, &s), 100.0);
        assert_eq!(grade_skill_fit(3, 2, &s), 85.0);
        let harsh = GradeScales {
            overqualification_penalty: 100.0,
            ..s.clone()
        };
        assert_eq!(grade_skill_fit(4, 1, &harsh), 0.0);
        assert_eq!(grade_preferred(true), 100.0);
        assert_eq!(grade_preferred(false), 0.0);
        assert_eq!(grade_workload(0.0, 480.0), 100.0);
        assert_eq!(grade_workload(480.0, 480.0), 0.0);
        assert_eq!(grade_workload(600.0, 480.0), 0.0);
        assert_eq!(grade_cost(0.0, &s), 100.0);
        assert_eq!(grade_cost(250.0, &s), 50.0);
        assert_eq!(grade_cost(5000.0, &s), 0.0);
        assert_eq!(grade_cost(f64::NAN, &s), 0.0);
    }

    #[test]
    fn sla_scale_is_due_capped_by_horizon() {
        let s = GradeScales::default();
        assert_eq!(sla_scale_secs(0, Some(3600), &s), 3600.0);
        assert_eq!(sla_scale_secs(0, Some(1_000_000), &s), 72.0 * 3600.0);
        assert_eq!(sla_scale_secs(0, None, &s), 72.0 * 3600.0);
        assert_eq!(sla_scale_secs(100, Some(50), &s), 72.0 * 3600.0);
    }

    #[test]
    fn names_round_trip() {
        for o in Objective::ALL {
            assert_eq!(Objective::parse(o.name()), Some(o));
        }
    }
}
