//! The registry of hooks: the script functions the host calls, with their parameters,
//! when they are called, what they return and what the host does when they are absent.
//!
//! A rule file may define any other top-level function as a helper; only names listed here
//! (and names starting with [`SCORE_PREFIX`]) are hooks, and their parameter counts are
//! checked at load time. `rules/README.md` documents the same table for administrators.

/// How often the host calls a hook — the performance contract of the rule runtime.
///
/// A Rhai call costs 300 to 1,000 times a native call, so hooks are called once per run,
/// order or technician and return *parameters*; the per-(order, technician) grading is
/// native. The two per-pair hooks are optional and costly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// Once per planning run.
    PerRun,
    /// Once per service order (or per RMA line, subscription period…).
    PerItem,
    /// Once per technician and run.
    PerTechnician,
    /// Once per (order, technician) candidate pair: expensive, optional.
    PerPair,
}

/// One entry of the hook registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookSpec {
    /// The function name (for the `score_` family: the prefix `score_`).
    pub name: &'static str,
    /// Parameter names, in order.
    pub params: &'static [&'static str],
    /// When the host calls it.
    pub frequency: Frequency,
    /// The documented return type.
    pub returns: &'static str,
    /// What the host does when the hook is not defined.
    pub default: &'static str,
}

impl HookSpec {
    /// The signature as written in a rule file, e.g. `eligible(order, tech)`.
    pub fn signature(&self) -> String {
        let name = if self.name == SCORE_PREFIX {
            "score_<name>"
        } else {
            self.name
        };
        format!("{name}({})", self.params.join(", "))
    }

    /// Number of parameters.
    pub fn arity(&self) -> usize {
        self.params.len()
    }
}

/// Prefix of the custom per-pair objective hooks `score_<name>(order, tech)`.
pub const SCORE_PREFIX: &str = "score_";

/// The known hooks.
pub const HOOKS: &[HookSpec] = &[
    HookSpec {
        name: "sla_targets",
        params: &["order", "customer", "agreement"],
        frequency: Frequency::PerItem,
        returns: "() for the built-in table, false for no SLA, or map #{ response_minutes, \
                  resolution_minutes: int | (), response, resolution: \"next_business_day\", \
                  calendar: \"business\" | \"24x7\" | id, warning: 0..1, response_ends, \
                  pause_statuses: [status] } (every field optional; `agreement` is () outside \
                  agreements)",
        default: "the built-in table by priority × customer tier (see `sla::default_targets`)",
    },
    HookSpec {
        name: "adjust_occurrence",
        params: &["occurrence", "line", "calendar"],
        frequency: Frequency::PerItem,
        returns: "the occurrence (a DateTime) to keep it, another DateTime or a local \
                  \"YYYY-MM-DDTHH:MM:SS\" / \"YYYY-MM-DD\" (same time of day) to move it, \
                  () to skip it",
        default: "the native policy of the generation options: next business day of the \
                  customer's calendar (what the shipped rule does)",
    },
    HookSpec {
        name: "dispatch_policy",
        params: &[],
        frequency: Frequency::PerRun,
        returns: "map #{ weights: #{ sla_urgency, travel, skill_fit, preferred_technician, \
                  workload_balance, cost, <custom>: numbers >= 0 }, work_rules: #{ skills, \
                  territory, availability, visiting_hours, excluded_technicians, required_technician, \
                  daily_limits: bools, max_travel_km: number | (), horizon_days: int }, \
                  scales: #{ asap_horizon_hours, travel_worst_minutes, \
                  overqualification_penalty, cost_worst: numbers }, travel: #{ \
                  average_speed_kmh, circuity: numbers, use_road_graph: bool } } \
                  (every field optional)",
        default: "built-in weights, work rules, scales and travel model",
    },
    HookSpec {
        name: "order_profile",
        params: &["order", "customer"],
        frequency: Frequency::PerItem,
        returns: "map #{ required_skills: #{ skill: min_level }, territory: string | (), \
                  preferred_technicians: [ids], excluded_technicians: [ids], \
                  required_technician: id | (), max_travel_km: number } (every field optional)",
        default: "the skills of the order's tasks, the customer's territory and exclusions, \
                  the order's preferred and required technician",
    },
    HookSpec {
        name: "technician_profile",
        params: &["tech"],
        frequency: Frequency::PerTechnician,
        returns: "map #{ available: bool, territories: [strings], max_travel_km: number | (), \
                  hourly_cost: number, max_daily_minutes: number, overtime_minutes: number, \
                  max_jobs_per_day: int | () } \
                  (every field optional)",
        default: "the technician as recorded (active flag, territory, hourly cost, daily limits)",
    },
    HookSpec {
        name: "eligible",
        params: &["order", "tech"],
        frequency: Frequency::PerPair,
        returns: "true, or a string giving the reason the technician is not eligible",
        default: "every pair passing the built-in work rules is eligible",
    },
    HookSpec {
        name: SCORE_PREFIX,
        params: &["order", "tech"],
        frequency: Frequency::PerPair,
        returns:
            "number 0-100 (higher is better), weighted by `weights.<name>` of dispatch_policy()",
        default: "no custom objective",
    },
    HookSpec {
        name: "disposition",
        params: &["rma", "line", "object"],
        frequency: Frequency::PerItem,
        returns: "\"replace\" | \"repair\" | \"scrap\" | \"credit\" | \"return_to_customer\", \
                  or map #{ action: one of those, reason: string } (`object` is () for \
                  unregistered items)",
        default: "the built-in rule (the policy of the shipped rma.rhai); lines with a recorded \
                  disposition are not asked",
    },
    HookSpec {
        name: "subscription_price",
        params: &["subscription", "period"],
        frequency: Frequency::PerItem,
        returns: "decimal (int and float accepted) price of a full period, or () for the fee",
        default: "the subscription's fee",
    },
];

/// The registry entry for a function name: exact names, then the `score_<name>` family.
/// Returns `None` for helpers (any other name).
pub fn hook_spec(name: &str) -> Option<&'static HookSpec> {
    HOOKS
        .iter()
        .find(|h| h.name != SCORE_PREFIX && h.name == name)
        .or_else(|| {
            if name.starts_with(SCORE_PREFIX) && name.len() > SCORE_PREFIX.len() {
                HOOKS.iter().find(|h| h.name == SCORE_PREFIX)
            } else {
                None
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_exact_and_prefix() {
        assert_eq!(hook_spec("eligible").map(|h| h.arity()), Some(2));
        assert_eq!(hook_spec("dispatch_policy").map(|h| h.arity()), Some(0));
        assert_eq!(
            hook_spec("score_travel").map(|h| h.name),
            Some(SCORE_PREFIX)
        );
        assert!(hook_spec("score_").is_none());
        assert!(hook_spec("helper").is_none());
        assert_eq!(
            hook_spec("score_x").map(|h| h.signature()),
            Some("score_<name>(order, tech)".to_string())
        );
    }
}
