//! The Rhai side of dispatch: reading the maps returned by `dispatch_policy()`,
//! `order_profile(order, customer)` and `technician_profile(tech)` into the native policy and
//! profiles, and calling the optional per-pair hooks `eligible(order, tech)` and
//! `score_<name>(order, tech)`. The exact map shapes are documented in `rules/README.md`
//! (section "Dispatch"); unknown fields are errors, so a typo never goes unnoticed.

use rhai::Dynamic;

use super::context::{OrderIx, PairHooks, TechIx};
use super::error::{DispatchError, DispatchErrorKind};
use super::objectives::Objective;
use super::policy::{
    DispatchPolicy, GradeScales, ReplanningSettings, TravelSettings, Weights, WorkRuleSettings,
};
use super::profile::{OrderProfile, TechnicianProfile, MAX_OVERTIME_MINUTES};
use crate::model::{Model, ServiceOrder, Technician, TechnicianId, TerritoryId};
use crate::rules::{domain, HookValue, RuleError, RuleSet, Verdict, SCORE_PREFIX};

/// Fields of `dispatch_policy()`'s map and of its sub-maps.
const POLICY_FIELDS: [&str; 6] = [
    "weights",
    "work_rules",
    "scales",
    "travel",
    "replanning",
    "costs",
];
const ORDER_FIELDS: [&str; 6] = [
    "required_skills",
    "territory",
    "preferred_technicians",
    "excluded_technicians",
    "required_technician",
    "max_travel_km",
];
const TECH_FIELDS: [&str; 7] = [
    "available",
    "territories",
    "max_travel_km",
    "hourly_cost",
    "max_daily_minutes",
    "overtime_minutes",
    "max_jobs_per_day",
];

fn rule(subject: Option<String>) -> impl FnOnce(RuleError) -> DispatchError {
    move |source| DispatchError::rule(subject, source)
}

fn bad(rules: &RuleSet, hook: &str, subject: Option<String>, message: String) -> DispatchError {
    DispatchErrorKind::BadHookOutput {
        hook: hook.to_owned(),
        location: rules
            .hook_location(hook)
            .map(|l| l.to_string())
            .unwrap_or_else(|| "rules".into()),
        subject,
        message,
    }
    .into()
}

/// Checks every key of the map `v` is one of `known` (without copying the map); returns
/// whether the map is empty. `path` prefixes field names in the message (`work_rules.`).
fn check_keys(
    rules: &RuleSet,
    hook: &str,
    v: &HookValue,
    known: &[&str],
    path: &str,
    subject: impl Fn() -> Option<String>,
) -> Result<bool, DispatchError> {
    let Some(map) = v.value().read_lock::<rhai::Map>() else {
        return Err(DispatchError::rule(subject(), v.wrong("map")));
    };
    if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(bad(
            rules,
            hook,
            subject(),
            format!("unknown field `{path}{key}` (known: {})", known.join(", ")),
        ));
    }
    Ok(map.is_empty())
}

/// Why an integer does not fit `u32`: negative, or too large.
fn not_u32(n: i64) -> String {
    if n < 0 {
        format!("{n} is negative")
    } else {
        format!("{n} is too large (at most {})", u32::MAX)
    }
}

/// Reads the optional whole-number setting `section.key` of `r` (`None` when absent); a value
/// outside `u32` is an error naming the setting.
fn read_u32(
    rules: &RuleSet,
    r: &HookValue,
    section: &str,
    key: &str,
) -> Result<Option<u32>, DispatchError> {
    let e = |err| DispatchError::rule(None, err);
    let Some(v) = r.field(key).map_err(e)? else {
        return Ok(None);
    };
    let n = v.int().map_err(e)?;
    u32::try_from(n).map(Some).map_err(|_| {
        bad(
            rules,
            POLICY_HOOK,
            None,
            format!("`{section}.{key}`: {}", not_u32(n)),
        )
    })
}

/// Whether a map has `key`, even with the value `()` (which [`HookValue::field`] hides).
fn has_key(v: &HookValue, key: &str) -> bool {
    v.value()
        .read_lock::<rhai::Map>()
        .is_some_and(|m| m.contains_key(key))
}

/// Reads `dispatch_policy()` (called once per run): the policy and the custom objectives.
pub(crate) fn policy_from_rules(
    rules: &RuleSet,
) -> Result<(DispatchPolicy, Vec<String>), DispatchError> {
    const HOOK: &str = "dispatch_policy";
    let mut policy = DispatchPolicy::default();
    let custom: Vec<String> = rules
        .score_objectives()
        .into_iter()
        .map(str::to_owned)
        .collect();
    if let Some(value) = rules.call_hook(HOOK, ()).map_err(rule(None))? {
        let v = rules.value(HOOK, value);
        if !v.is_unit() {
            read_policy(rules, &v, &custom, &mut policy)?;
        }
    }
    for name in &custom {
        if policy.weights.custom_weight(name).is_none() {
            return Err(bad(
                rules,
                &format!("{SCORE_PREFIX}{name}"),
                None,
                format!("no weight: add `{name}` to dispatch_policy().weights"),
            ));
        }
    }
    policy.validate().map_err(|e| match e.kind() {
        DispatchErrorKind::InvalidPolicy { setting, message } => {
            bad(rules, HOOK, None, format!("`{setting}`: {message}"))
        }
        _ => e,
    })?;
    Ok((policy, custom))
}

/// The name of the hook [`read_policy`] and its helpers read.
const POLICY_HOOK: &str = "dispatch_policy";

/// The error for a field of `dispatch_policy()` that does not exist.
fn unknown_policy_field(rules: &RuleSet, path: String, known: String) -> DispatchError {
    bad(
        rules,
        POLICY_HOOK,
        None,
        format!("unknown field `{path}` (known: {known})"),
    )
}

/// Reads a non-unit `dispatch_policy()` map into `policy`: its top-level fields, then each
/// section in turn.
fn read_policy(
    rules: &RuleSet,
    v: &HookValue,
    custom: &[String],
    policy: &mut DispatchPolicy,
) -> Result<(), DispatchError> {
    let e = |err| DispatchError::rule(None, err);
    for (key, _) in v.entries().map_err(e)? {
        if !POLICY_FIELDS.contains(&key.as_str()) {
            return Err(unknown_policy_field(rules, key, POLICY_FIELDS.join(", ")));
        }
    }
    if let Some(w) = v.field("weights").map_err(e)? {
        read_weights(rules, &w, custom, &mut policy.weights)?;
    }
    if let Some(r) = v.field("work_rules").map_err(e)? {
        read_work_rules(rules, &r, &mut policy.work_rules)?;
    }
    if let Some(s) = v.field("scales").map_err(e)? {
        read_scales(rules, &s, &mut policy.scales)?;
    }
    if let Some(t) = v.field("travel").map_err(e)? {
        read_travel(rules, &t, &mut policy.travel)?;
    }
    if let Some(r) = v.field("replanning").map_err(e)? {
        read_replanning(rules, &r, &mut policy.replanning)?;
    }
    if let Some(c) = v.field("costs").map_err(e)? {
        let known = [
            "unplanned_per_priority_weight",
            "lateness_per_minute",
            "overtime_per_minute",
        ];
        for (key, _) in c.entries().map_err(e)? {
            if !known.contains(&key.as_str()) {
                return Err(unknown_policy_field(
                    rules,
                    format!("costs.{key}"),
                    known.join(", "),
                ));
            }
        }
        if let Some(n) = c.field("unplanned_per_priority_weight").map_err(e)? {
            policy.costs.unplanned_per_priority_weight = n.number().map_err(e)?;
        }
        if let Some(n) = c.field("lateness_per_minute").map_err(e)? {
            policy.costs.lateness_per_minute = n.number().map_err(e)?;
        }
        if let Some(n) = c.field("overtime_per_minute").map_err(e)? {
            policy.costs.overtime_per_minute = n.number().map_err(e)?;
        }
    }
    Ok(())
}

/// Reads `dispatch_policy().replanning`: `freeze_working_days` and `disruption_minutes`.
fn read_replanning(
    rules: &RuleSet,
    r: &HookValue,
    settings: &mut ReplanningSettings,
) -> Result<(), DispatchError> {
    let e = |err| DispatchError::rule(None, err);
    let known = ["freeze_working_days", "disruption_minutes"];
    for (key, _) in r.entries().map_err(e)? {
        if !known.contains(&key.as_str()) {
            return Err(unknown_policy_field(
                rules,
                format!("replanning.{key}"),
                known.join(", "),
            ));
        }
    }
    if let Some(n) = read_u32(rules, r, "replanning", "freeze_working_days")? {
        settings.freeze_working_days = n;
    }
    if let Some(n) = r.field("disruption_minutes").map_err(e)? {
        settings.disruption_minutes = n.number().map_err(e)?;
    }
    Ok(())
}

/// Reads `dispatch_policy().weights`: a weight per built-in or `custom` objective.
fn read_weights(
    rules: &RuleSet,
    w: &HookValue,
    custom: &[String],
    weights: &mut Weights,
) -> Result<(), DispatchError> {
    let e = |err| DispatchError::rule(None, err);
    for (name, weight) in w.entries().map_err(e)? {
        let weight = weight.number().map_err(e)?;
        match Objective::parse(&name) {
            Some(o) => weights.set(o, weight),
            None if custom.contains(&name) => weights.set_custom(name, weight),
            None => {
                return Err(bad(
                    rules,
                    POLICY_HOOK,
                    None,
                    format!(
                        "`weights.{name}`: no such objective (built-in: {}; custom ones \
                         need a score_{name}(order, tech) hook)",
                        Objective::ALL.map(Objective::name).join(", ")
                    ),
                ))
            }
        }
    }
    Ok(())
}

/// Reads `dispatch_policy().work_rules`: the rule switches, `max_travel_km`, `horizon_days`,
/// `depot_service_minutes`, `max_break_minutes` and `min_part_minutes`.
fn read_work_rules(
    rules: &RuleSet,
    r: &HookValue,
    settings: &mut WorkRuleSettings,
) -> Result<(), DispatchError> {
    let e = |err| DispatchError::rule(None, err);
    let flags: [(&str, &mut bool); 7] = [
        ("skills", &mut settings.skills),
        ("territory", &mut settings.territory),
        ("availability", &mut settings.availability),
        ("visiting_hours", &mut settings.visiting_hours),
        ("excluded_technicians", &mut settings.excluded_technicians),
        ("required_technician", &mut settings.required_technician),
        ("daily_limits", &mut settings.daily_limits),
    ];
    let mut known: Vec<&str> = flags.iter().map(|(k, _)| *k).collect();
    known.extend([
        "max_travel_km",
        "horizon_days",
        "depot_service_minutes",
        "max_break_minutes",
        "min_part_minutes",
    ]);
    for (key, _) in r.entries().map_err(e)? {
        if !known.contains(&key.as_str()) {
            return Err(unknown_policy_field(
                rules,
                format!("work_rules.{key}"),
                known.join(", "),
            ));
        }
    }
    for (key, slot) in flags {
        if let Some(b) = r.field(key).map_err(e)? {
            *slot = b.bool().map_err(e)?;
        }
    }
    if has_key(r, "max_travel_km") {
        settings.max_travel_km = r
            .field("max_travel_km")
            .map_err(e)?
            .map(|km| km.number())
            .transpose()
            .map_err(e)?;
    }
    if has_key(r, "min_part_minutes") {
        settings.min_part_minutes = match r.field("min_part_minutes").map_err(e)? {
            None => None,
            Some(m) => {
                let minutes = m.int().map_err(e)?;
                let max = i64::from(crate::model::MAX_PART_MINUTES);
                if !(1..=max).contains(&minutes) {
                    return Err(bad(
                        rules,
                        POLICY_HOOK,
                        None,
                        format!("`work_rules.min_part_minutes`: {minutes} outside 1..={max}"),
                    ));
                }
                Some(minutes as u32)
            }
        };
    }
    if let Some(n) = read_u32(rules, r, "work_rules", "horizon_days")? {
        settings.horizon_days = n;
    }
    if let Some(n) = read_u32(rules, r, "work_rules", "max_break_minutes")? {
        settings.max_break_minutes = n;
    }
    if let Some(n) = read_u32(rules, r, "work_rules", "depot_service_minutes")? {
        settings.depot_service_minutes = n;
    }
    Ok(())
}

/// Reads `dispatch_policy().scales`: the grading scales.
fn read_scales(
    rules: &RuleSet,
    s: &HookValue,
    scales: &mut GradeScales,
) -> Result<(), DispatchError> {
    let e = |err| DispatchError::rule(None, err);
    let fields: [(&str, &mut f64); 4] = [
        ("asap_horizon_hours", &mut scales.asap_horizon_hours),
        ("travel_worst_minutes", &mut scales.travel_worst_minutes),
        (
            "overqualification_penalty",
            &mut scales.overqualification_penalty,
        ),
        ("cost_worst", &mut scales.cost_worst),
    ];
    let known: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    for (key, _) in s.entries().map_err(e)? {
        if !known.contains(&key.as_str()) {
            return Err(unknown_policy_field(
                rules,
                format!("scales.{key}"),
                known.join(", "),
            ));
        }
    }
    for (key, slot) in fields {
        if let Some(n) = s.field(key).map_err(e)? {
            *slot = n.number().map_err(e)?;
        }
    }
    Ok(())
}

/// Reads `dispatch_policy().travel`: speed, circuity and whether to use the road graph.
fn read_travel(
    rules: &RuleSet,
    t: &HookValue,
    travel: &mut TravelSettings,
) -> Result<(), DispatchError> {
    let e = |err| DispatchError::rule(None, err);
    let known = ["average_speed_kmh", "circuity", "use_road_graph"];
    for (key, _) in t.entries().map_err(e)? {
        if !known.contains(&key.as_str()) {
            return Err(unknown_policy_field(
                rules,
                format!("travel.{key}"),
                known.join(", "),
            ));
        }
    }
    if let Some(n) = t.field("average_speed_kmh").map_err(e)? {
        travel.average_speed_kmh = n.number().map_err(e)?;
    }
    if let Some(n) = t.field("circuity").map_err(e)? {
        travel.circuity = n.number().map_err(e)?;
    }
    if let Some(b) = t.field("use_road_graph").map_err(e)? {
        travel.use_road_graph = b.bool().map_err(e)?;
    }
    Ok(())
}

fn strings(v: &HookValue) -> Result<Vec<String>, RuleError> {
    v.array()?.iter().map(HookValue::string).collect()
}

/// Applies `order_profile(order, customer)` (called once per order) to `profile`.
/// `customer_value` is the customer's Rhai value (built once per customer by the caller).
pub(crate) fn apply_order_profile(
    rules: &RuleSet,
    order_value: &Dynamic,
    customer_value: Dynamic,
    order: &ServiceOrder,
    profile: &mut OrderProfile,
) -> Result<(), DispatchError> {
    const HOOK: &str = "order_profile";
    let subject = || Some(format!("order {}", order.id));
    let e = |err| DispatchError::rule(subject(), err);
    let Some(value) = rules
        .call_hook(HOOK, (order_value.clone(), customer_value))
        .map_err(e)?
    else {
        return Ok(());
    };
    if value.is_unit() {
        return Ok(());
    }
    let v = rules.value(HOOK, value);
    if check_keys(rules, HOOK, &v, &ORDER_FIELDS, "", subject)? {
        return Ok(());
    }
    if let Some(skills) = v.field("required_skills").map_err(e)? {
        read_required_skills(rules, HOOK, &skills, &subject, profile)?;
    }
    if let Some(territory) = optional_string(&v, "territory").map_err(e)? {
        profile.territory = territory.map(TerritoryId::new);
    }
    add_technician_lists(&v, profile).map_err(e)?;
    if let Some(tech) = optional_string(&v, "required_technician").map_err(e)? {
        profile.required_technician = tech.map(TechnicianId::new);
    }
    if let Some(km) = v.field("max_travel_km").map_err(e)? {
        let km = km.number().map_err(e)?;
        if km < 0.0 {
            return Err(bad(
                rules,
                HOOK,
                subject(),
                format!("`max_travel_km`: {km} is negative"),
            ));
        }
        profile.max_travel_km = Some(km);
    }
    Ok(())
}

/// Reads `order_profile().required_skills` (skill → level in 1..=5) into `profile`.
fn read_required_skills(
    rules: &RuleSet,
    hook: &str,
    skills: &HookValue,
    subject: &impl Fn() -> Option<String>,
    profile: &mut OrderProfile,
) -> Result<(), DispatchError> {
    let e = |err| DispatchError::rule(subject(), err);
    for (skill, level) in skills.entries().map_err(e)? {
        let level = level.int().map_err(e)?;
        let level = u8::try_from(level)
            .ok()
            .filter(|l| (1..=5).contains(l))
            .ok_or_else(|| {
                bad(
                    rules,
                    hook,
                    subject(),
                    format!("`required_skills.{skill}`: level {level} outside 1..=5"),
                )
            })?;
        profile.require_skill(&skill, level);
    }
    Ok(())
}

/// The string under `key` when the map has the key (`Some(None)` for `()`), `None` without it.
fn optional_string(v: &HookValue, key: &str) -> Result<Option<Option<String>>, RuleError> {
    if !has_key(v, key) {
        return Ok(None);
    }
    Ok(Some(v.field(key)?.map(|s| s.string()).transpose()?))
}

/// Adds the ids in `preferred_technicians` and `excluded_technicians` to the profile's lists,
/// skipping ids already there.
fn add_technician_lists(v: &HookValue, profile: &mut OrderProfile) -> Result<(), RuleError> {
    for (key, list) in [
        ("preferred_technicians", &mut profile.preferred_technicians),
        ("excluded_technicians", &mut profile.excluded_technicians),
    ] {
        if let Some(ids) = v.field(key)? {
            for id in strings(&ids)? {
                let id = TechnicianId::new(id);
                if !list.contains(&id) {
                    list.push(id);
                }
            }
        }
    }
    Ok(())
}

/// Applies `technician_profile(tech)` (called once per technician) to `profile`.
pub(crate) fn apply_technician_profile(
    rules: &RuleSet,
    tech_value: &Dynamic,
    tech: &Technician,
    profile: &mut TechnicianProfile,
) -> Result<(), DispatchError> {
    const HOOK: &str = "technician_profile";
    let subject = || Some(format!("technician {}", tech.id));
    let e = |err| DispatchError::rule(subject(), err);
    let Some(value) = rules.call_hook(HOOK, (tech_value.clone(),)).map_err(e)? else {
        return Ok(());
    };
    if value.is_unit() {
        return Ok(());
    }
    let v = rules.value(HOOK, value);
    let range = |field: &str, n: f64, min: f64, max: f64| {
        if (min..=max).contains(&n) {
            Ok(n)
        } else {
            Err(bad(
                rules,
                HOOK,
                subject(),
                format!("`{field}`: {n} outside {min}..={max}"),
            ))
        }
    };
    if check_keys(rules, HOOK, &v, &TECH_FIELDS, "", subject)? {
        return Ok(());
    }
    if let Some(b) = v.field("available").map_err(e)? {
        profile.available = b.bool().map_err(e)?;
    }
    if let Some(list) = v.field("territories").map_err(e)? {
        profile.territories = strings(&list)
            .map_err(e)?
            .into_iter()
            .map(TerritoryId::new)
            .collect();
    }
    if has_key(&v, "max_travel_km") {
        profile.max_travel_km = match v.field("max_travel_km").map_err(e)? {
            Some(km) => Some(range(
                "max_travel_km",
                km.number().map_err(e)?,
                0.0,
                40_000.0,
            )?),
            None => None,
        };
    }
    if let Some(cost) = v.field("hourly_cost").map_err(e)? {
        profile.hourly_cost = range("hourly_cost", cost.number().map_err(e)?, 0.0, 1e9)?;
    }
    if let Some(m) = v.field("max_daily_minutes").map_err(e)? {
        profile.max_daily_minutes =
            range("max_daily_minutes", m.number().map_err(e)?, 1.0, 1440.0)?;
    }
    if let Some(m) = v.field("overtime_minutes").map_err(e)? {
        profile.overtime_minutes = range(
            "overtime_minutes",
            m.number().map_err(e)?,
            0.0,
            MAX_OVERTIME_MINUTES,
        )?;
    }
    if has_key(&v, "max_jobs_per_day") {
        profile.max_jobs_per_day = match v.field("max_jobs_per_day").map_err(e)? {
            Some(n) => {
                let n = n.int().map_err(e)?;
                Some(u32::try_from(n).map_err(|_| {
                    bad(
                        rules,
                        HOOK,
                        subject(),
                        format!("`max_jobs_per_day`: {}", not_u32(n)),
                    )
                })?)
            }
            None => None,
        };
    }
    Ok(())
}

/// The per-pair hooks, with each order and technician converted to a Rhai value once.
pub(crate) struct RhaiPairHooks<'r> {
    pub rules: &'r RuleSet,
    pub orders: Vec<(Dynamic, String)>,
    pub techs: Vec<(Dynamic, String)>,
    pub eligible: bool,
    /// `score_<name>` hook names, in the order of the context's custom objectives.
    pub scores: Vec<String>,
}

impl RhaiPairHooks<'_> {
    fn subject(&self, o: OrderIx, t: TechIx) -> Option<String> {
        Some(format!(
            "order {}, technician {}",
            self.orders[o.0].1, self.techs[t.0].1
        ))
    }
}

impl PairHooks for RhaiPairHooks<'_> {
    fn eligible(&self, o: OrderIx, t: TechIx) -> Result<Option<String>, DispatchError> {
        const HOOK: &str = "eligible";
        if !self.eligible {
            return Ok(None);
        }
        let args = (self.orders[o.0].0.clone(), self.techs[t.0].0.clone());
        let Some(value) = self
            .rules
            .call_hook(HOOK, args)
            .map_err(rule(self.subject(o, t)))?
        else {
            return Ok(None);
        };
        match self
            .rules
            .expect_bool_or_reason(HOOK, value)
            .map_err(rule(self.subject(o, t)))?
        {
            Verdict::Yes => Ok(None),
            Verdict::No(reason) => Ok(Some(reason)),
        }
    }

    fn score(&self, i: usize, o: OrderIx, t: TechIx) -> Result<f64, DispatchError> {
        let hook = &self.scores[i];
        let args = (self.orders[o.0].0.clone(), self.techs[t.0].0.clone());
        let value = self
            .rules
            .call_hook(hook, args)
            .map_err(rule(self.subject(o, t)))?
            .unwrap_or(Dynamic::UNIT);
        self.rules
            .value(hook, value)
            .number_in(0.0, 100.0)
            .map_err(rule(self.subject(o, t)))
    }
}

/// The Rhai value of an order (built once per order), with the duration and the task skills
/// already computed for `profile` (before any hook changed them).
pub(crate) fn order_value(model: &Model, order: &ServiceOrder, profile: &OrderProfile) -> Dynamic {
    Dynamic::from(domain::RuleOrder::from_parts(
        order.clone(),
        model.order_duration_minutes(order),
        profile.required_skills.clone(),
    ))
}

/// The Rhai value of a technician (built once per technician).
pub(crate) fn technician_value(tech: &Technician) -> Dynamic {
    domain::technician(tech)
}
