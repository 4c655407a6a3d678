//! Integration tests of dispatch driven by rule files: the shipped `rules/dispatch.rhai`
//! (policy, profiles), the per-pair hooks, and bad rule output reported as clear errors
//! naming the hook.

use chrono::{DateTime, TimeZone, Utc};
use fieldwork::dispatch::*;
use fieldwork::model::{Model, OrderId, TechnicianId};
use fieldwork::rules::RuleSet;
use serde_json::{json, Value};
use std::path::PathBuf;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap()
}

/// A gold customer, an HVAC task needing level 3, a weekday calendar, four technicians:
/// T-1 (hvac 3, at the site), T-2 (hvac 4, 0.7° north ≈ 101 road km), T-3 (hvac 2, an
/// apprentice 0.4° north ≈ 58 road km), T-4 (hvac 5, at the site).
fn dataset(priority: &str) -> Value {
    let week = json!([["08:00", "17:00"]]);
    let tech = |id: &str, level: u8, lat: f64| {
        json!({"id": id, "name": format!("Tech {id}"), "skills": {"hvac": level},
            "home": {"lat": lat, "lon": 13.4}, "territory": "north", "calendar": "day",
            "hourly_cost": "40", "max_hours_per_day": 8})
    };
    json!({
        "calendars": [{"id": "day", "time_zone": "UTC",
            "weekly": {"mon": week, "tue": week, "wed": week, "thu": week, "fri": week}}],
        "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
            "location": {"lat": 52.5, "lon": 13.4}, "territory": "north"}],
        "tasks": [{"code": "HVAC", "description": "Service", "duration_minutes": 60,
            "required_skills": [{"skill": "hvac", "min_level": 3}]}],
        "technicians": [tech("T-1", 3, 52.5), tech("T-2", 4, 53.2), tech("T-3", 2, 52.9),
                        tech("T-4", 5, 52.5)],
        "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
            "priority": priority, "created_at": "2027-03-01T08:00:00Z",
            "lines": [{"kind": "task", "task": "HVAC", "quantity": "1", "unit_price": "0"}]}]
    })
}

fn model(ds: &Value) -> Model {
    Model::from_json(&ds.to_string()).unwrap()
}

fn shipped() -> RuleSet {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    RuleSet::load_dir(dir).unwrap_or_else(|e| panic!("{e}"))
}

fn rules(source: &str) -> RuleSet {
    RuleSet::from_sources(&[("dispatch.rhai", source)]).unwrap_or_else(|e| panic!("{e}"))
}

fn rank(m: &Model, d: &Dispatcher<'_>) -> Ranking {
    rank_candidates(m, d, &OrderId::new("SO-1"), at()).unwrap()
}

fn rank_err(m: &Model, rules: &RuleSet) -> String {
    match Dispatcher::from_rules(rules)
        .and_then(|d| rank_candidates(m, &d, &OrderId::new("SO-1"), at()))
    {
        Ok(r) => panic!("expected an error, got {r:?}"),
        Err(e) => e.to_string(),
    }
}

fn verdict<'a>(r: &'a Ranking, id: &str) -> &'a Verdict {
    &r.candidate(&TechnicianId::new(id)).unwrap().verdict
}

fn reasons(r: &Ranking, id: &str) -> Vec<(WorkRule, String)> {
    match verdict(r, id) {
        Verdict::Excluded { exclusions } => exclusions
            .iter()
            .map(|e| (e.rule, e.reason.clone()))
            .collect(),
        Verdict::Eligible(_) => vec![],
    }
}

#[test]
fn the_shipped_policy_is_read_as_documented() {
    let rules = shipped();
    let d = Dispatcher::from_rules(&rules).unwrap();
    let p = d.policy();
    let w: Vec<f64> = Objective::ALL.iter().map(|o| p.weights.get(*o)).collect();
    assert_eq!(w, [35.0, 25.0, 10.0, 15.0, 5.0, 10.0]);
    assert_eq!(p.work_rules.max_travel_km, Some(80.0));
    assert_eq!(p.work_rules.horizon_days, 14);
    assert_eq!(p.travel.average_speed_kmh, 45.0);
    assert_eq!(p.travel.circuity, 1.3);
    assert_eq!(p.scales.travel_worst_minutes, 120.0);
}

#[test]
fn shipped_profiles_raise_skills_and_travel_for_critical_gold_work() {
    let rules = shipped();
    let d = Dispatcher::from_rules(&rules).unwrap();
    // Normal priority: T-1 (level 3) qualifies; T-2 is 101 km away (> 80); T-3 lacks the skill
    // and, as an apprentice, may drive 40 km at most.
    let normal = rank(&model(&dataset("normal")), &d);
    assert!(matches!(verdict(&normal, "T-1"), Verdict::Eligible(_)));
    let t2 = reasons(&normal, "T-2");
    assert_eq!(t2[0].0, WorkRule::MaxTravelDistance);
    assert!(t2[0].1.ends_with("beyond the 80 km limit"), "{t2:?}");
    let t3 = reasons(&normal, "T-3");
    assert_eq!(
        t3,
        [
            (
                WorkRule::Skills,
                "lacks skill hvac level 3 (has 2)".to_string()
            ),
            (
                WorkRule::MaxTravelDistance,
                t3[1].1.clone() // checked below
            )
        ]
    );
    assert!(t3[1].1.ends_with("beyond the 40 km limit"), "{t3:?}");

    // Critical at a gold customer: level 4 needed, 120 km allowed.
    let critical = rank(&model(&dataset("critical")), &d);
    assert_eq!(
        reasons(&critical, "T-1"),
        [(
            WorkRule::Skills,
            "lacks skill hvac level 4 (has 3)".to_string()
        )]
    );
    assert!(
        reasons(&critical, "T-2")
            .iter()
            .all(|(r, _)| *r != WorkRule::MaxTravelDistance),
        "T-2 within 120 km"
    );
    // The overtime allowance shows in the workload grade's scale.
    let Verdict::Eligible(g) = verdict(&critical, "T-4") else {
        panic!("T-4 qualifies")
    };
    let load = g
        .objectives
        .iter()
        .find(|o| o.objective == "workload_balance")
        .unwrap();
    assert_eq!(load.detail, "0 of 510 min planned on the start day");
}

#[test]
fn weights_from_rules_change_the_ranking() {
    // T-1 (exact skill) vs T-4 (overqualified by 2): skill fit prefers T-1; a custom objective
    // for seniority prefers T-4.
    let m = model(&dataset("normal"));
    let fit = rules("fn dispatch_policy() { #{ weights: #{ sla_urgency: 0, travel: 0, skill_fit: 10, preferred_technician: 0, workload_balance: 0, cost: 0 } } }");
    let r = rank(&m, &Dispatcher::from_rules(&fit).unwrap());
    assert_eq!(r.best().unwrap().technician.as_str(), "T-1");
    let senior = rules(
        "fn dispatch_policy() { #{ weights: #{ sla_urgency: 0, travel: 0, skill_fit: 10, \
         preferred_technician: 0, workload_balance: 0, cost: 0, seniority: 30 } } }\n\
         fn score_seniority(order, tech) { tech.skill_level(\"hvac\") * 20 }",
    );
    let r = rank(&m, &Dispatcher::from_rules(&senior).unwrap());
    assert_eq!(r.best().unwrap().technician.as_str(), "T-4");
    let Verdict::Eligible(g) = verdict(&r, "T-4") else {
        panic!()
    };
    let custom = g
        .objectives
        .iter()
        .find(|o| o.objective == "seniority")
        .unwrap();
    assert_eq!((custom.grade, custom.weight), (100.0, 30.0));
    assert_eq!(custom.contribution, 100.0 * 30.0 / 40.0);
    let sum: f64 = g.objectives.iter().map(|o| o.contribution).sum();
    assert_eq!(sum, g.total);
}

#[test]
fn the_eligible_hook_excludes_with_its_reason_and_runs_after_the_built_in_rules() {
    let r = rules(
        "fn eligible(order, tech) {\n\
           if tech.id == \"T-4\" { return `${tech.name} is on a training course`; }\n\
           if tech.id == \"T-2\" { throw \"must not be called: T-2 is too far\"; }\n\
           true\n\
         }",
    );
    let ranking = rank(
        &model(&dataset("normal")),
        &Dispatcher::from_rules(&r).unwrap(),
    );
    assert_eq!(
        reasons(&ranking, "T-4"),
        [(
            WorkRule::Custom,
            "Tech T-4 is on a training course".to_string()
        )]
    );
    assert!(matches!(verdict(&ranking, "T-1"), Verdict::Eligible(_)));
    // `false` gets a generic reason naming the hook.
    let r = rules("fn eligible(order, tech) { tech.id != \"T-1\" }");
    let ranking = rank(
        &model(&dataset("normal")),
        &Dispatcher::from_rules(&r).unwrap(),
    );
    assert_eq!(
        reasons(&ranking, "T-1")[0].1,
        "rule `eligible` returned false"
    );
}

#[test]
fn bad_rule_output_is_a_clear_error_naming_the_hook() {
    let m = model(&dataset("normal"));
    let weights = "weights: #{ vip: 10 }";
    // A grade outside 0–100.
    let e = rank_err(
        &m,
        &rules(&format!(
            "fn dispatch_policy() {{ #{{ {weights} }} }}\nfn score_vip(order, tech) {{ 140 }}"
        )),
    );
    assert!(
        e.starts_with(
            "dispatch.rhai:2:4: hook `score_vip` returned int 140, expected number from 0 to 100"
        ),
        "{e}"
    );
    assert!(e.ends_with("(for order SO-1, technician T-1)"), "{e}");
    // A non-numeric grade.
    let e = rank_err(
        &m,
        &rules(&format!(
            "fn dispatch_policy() {{ #{{ {weights} }} }}\nfn score_vip(order, tech) {{ \"high\" }}"
        )),
    );
    assert!(
        e.contains("hook `score_vip` returned string \"high\", expected number"),
        "{e}"
    );
    // A negative grade.
    let e = rank_err(
        &m,
        &rules(&format!(
            "fn dispatch_policy() {{ #{{ {weights} }} }}\nfn score_vip(order, tech) {{ -0.5 }}"
        )),
    );
    assert!(e.contains("hook `score_vip` returned float -0.5"), "{e}");
    // A score hook without a weight.
    let e = rank_err(&m, &rules("fn score_vip(order, tech) { 50 }"));
    assert_eq!(
        e,
        "dispatch.rhai:1:4: hook `score_vip`: no weight: add `vip` to dispatch_policy().weights"
    );
    // A weight for an objective that does not exist.
    let e = rank_err(
        &m,
        &rules("fn dispatch_policy() { #{ weights: #{ trvael: 5 } } }"),
    );
    assert!(
        e.contains("hook `dispatch_policy`: `weights.trvael`: no such objective"),
        "{e}"
    );
    // Unknown fields, wrong types, out-of-range settings.
    let e = rank_err(&m, &rules("fn dispatch_policy() { #{ work_rule: #{} } }"));
    assert!(
        e.contains(
            "unknown field `work_rule` (known: weights, work_rules, scales, travel, replanning, costs)"
        ),
        "{e}"
    );
    let e = rank_err(
        &m,
        &rules("fn dispatch_policy() { #{ work_rules: #{ max_travel_km: \"far\" } } }"),
    );
    assert!(
        e.contains("hook `dispatch_policy` returned string \"far\", expected number at `work_rules.max_travel_km`"),
        "{e}"
    );
    let e = rank_err(
        &m,
        &rules("fn dispatch_policy() { #{ weights: #{ travel: -3 } } }"),
    );
    assert!(
        e.contains("hook `dispatch_policy`: `weights.travel`: -3 outside 0..=1000000"),
        "{e}"
    );
    let e = rank_err(
        &m,
        &rules("fn order_profile(o, c) { #{ required_skills: #{ hvac: 9 } } }"),
    );
    assert!(
        e.contains(
            "hook `order_profile` for order SO-1: `required_skills.hvac`: level 9 outside 1..=5"
        ),
        "{e}"
    );
    let e = rank_err(
        &m,
        &rules("fn order_profile(o, c) { #{ preferred_technicians: [\"T-99\"] } }"),
    );
    assert_eq!(
        e,
        "order SO-1 preferred_technicians: unknown technician `T-99`"
    );
    let e = rank_err(
        &m,
        &rules("fn technician_profile(t) { #{ hourly_cost: \"cheap\" } }"),
    );
    assert!(
        e.contains(
            "hook `technician_profile` returned string \"cheap\", expected number at `hourly_cost`"
        ) && e.ends_with("(for technician T-1)"),
        "{e}"
    );
    let e = rank_err(&m, &rules("fn technician_profile(t) { 42 }"));
    assert!(
        e.contains("hook `technician_profile` returned int 42, expected map"),
        "{e}"
    );
    let e = rank_err(&m, &rules("fn eligible(o, t) { 1 }"));
    assert!(
        e.contains("hook `eligible` returned int 1, expected true or a reason string"),
        "{e}"
    );
    // A script error inside a hook is located too.
    let e = rank_err(
        &m,
        &rules("fn order_profile(o, c) {\n  throw \"no profile\";\n}"),
    );
    assert!(
        e.starts_with("dispatch.rhai:2:3: in hook `order_profile`"),
        "{e}"
    );
    assert!(e.ends_with("(for order SO-1)"), "{e}");
}

#[test]
fn profile_hooks_override_the_model() {
    let r = rules(
        "fn order_profile(order, customer) {\n\
           #{ territory: (), preferred_technicians: [\"T-4\"], required_technician: \"T-4\" }\n\
         }\n\
         fn technician_profile(tech) {\n\
           if tech.id == \"T-1\" { #{ available: false } } else { #{ territories: [\"south\"], max_jobs_per_day: () } }\n\
         }",
    );
    let ranking = rank(
        &model(&dataset("normal")),
        &Dispatcher::from_rules(&r).unwrap(),
    );
    assert_eq!(
        reasons(&ranking, "T-1"),
        [
            (
                WorkRule::Active,
                "technician_profile() marks the technician unavailable".to_string()
            ),
            (
                WorkRule::RequiredTechnician,
                "order is pinned to technician T-4".to_string()
            )
        ]
    );
    // Territory cleared: T-4 in "south" is eligible, and preferred.
    let Verdict::Eligible(g) = verdict(&ranking, "T-4") else {
        panic!("{:?}", verdict(&ranking, "T-4"))
    };
    let pref = g
        .objectives
        .iter()
        .find(|o| o.objective == "preferred_technician")
        .unwrap();
    assert_eq!(pref.grade, 100.0);
}

#[test]
fn per_pair_hooks_are_called_only_when_defined_and_weighted() {
    let m = model(&dataset("normal"));
    let ids = [OrderId::new("SO-1")];
    let plain = shipped();
    let ctx = Dispatcher::from_rules(&plain)
        .unwrap()
        .context(&m, &ids, at())
        .unwrap();
    assert!(!ctx.has_pair_hooks());
    let off = rules(
        "fn dispatch_policy() { #{ weights: #{ vip: 0 } } }\nfn score_vip(o, t) { throw \"not called\" }",
    );
    let ctx = Dispatcher::from_rules(&off)
        .unwrap()
        .context(&m, &ids, at())
        .unwrap();
    assert!(!ctx.has_pair_hooks());
    assert!(ctx.rank(OrderIx(0)).is_ok());
}

#[test]
fn replanning_settings_come_from_the_rules_and_are_checked() {
    let r = rules(
        "fn dispatch_policy() { #{ replanning: #{ freeze_working_days: 0, disruption_minutes: 15 } } }",
    );
    let d = Dispatcher::from_rules(&r).unwrap();
    assert_eq!(d.policy().replanning.freeze_working_days, 0);
    assert_eq!(d.policy().replanning.disruption_minutes, 15.0);
    let empty = rules("fn dispatch_policy() { #{} }");
    let default = Dispatcher::from_rules(&empty).unwrap();
    assert_eq!(default.policy().replanning.freeze_working_days, 1);
    for (source, expected) in [
        (
            "fn dispatch_policy() { #{ replanning: #{ freeze_working_days: -1 } } }",
            "`replanning.freeze_working_days`: -1 is negative",
        ),
        (
            "fn dispatch_policy() { #{ replanning: #{ disruption_minutes: -5 } } }",
            "replanning.disruption_minutes",
        ),
        (
            "fn dispatch_policy() { #{ replanning: #{ freeze_days: 2 } } }",
            "unknown field `replanning.freeze_days`",
        ),
    ] {
        let set = rules(source);
        let e = match Dispatcher::from_rules(&set) {
            Ok(_) => panic!("accepted: {source}"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(expected), "{e}");
    }
}

#[test]
fn an_integer_too_large_for_a_count_is_called_too_large_not_negative() {
    // #14 item 8: `max_jobs_per_day: 9223372036854775807 is negative`.
    let m = model(&dataset("normal"));
    let err = rank_err(
        &m,
        &rules("fn technician_profile(tech) { #{ max_jobs_per_day: 9223372036854775807 } }"),
    );
    assert!(
        err.contains("`max_jobs_per_day`: 9223372036854775807 is too large (at most 4294967295)"),
        "{err}"
    );
    assert!(err.contains("dispatch.rhai:1:4"), "{err}");
    let err = rank_err(
        &m,
        &rules("fn technician_profile(tech) { #{ max_jobs_per_day: -1 } }"),
    );
    assert!(err.contains("`max_jobs_per_day`: -1 is negative"), "{err}");
}
