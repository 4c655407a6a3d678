//! Integration tests of the dispatch policy: every work rule includes and excludes as
//! documented, grades reach their scale bounds, weights change the ranking, explanations add
//! up, the road graph changes travel, and the demo dataset ranks consistently.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fieldwork::dispatch::*;
use fieldwork::model::{Model, OrderId, TechnicianId};
use serde_json::{json, Value};

/// Monday 2027-03-01 08:00 UTC.
fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, d).unwrap()
}

/// A customer in Berlin (territory north), a 60-minute HVAC task needing level 3, a weekday
/// 08:00–17:00 UTC calendar and a closed one, one order created at 08:00; technicians added
/// per test.
fn base() -> Value {
    let week = json!([["08:00", "17:00"]]);
    json!({
        "calendars": [
            {"id": "day", "time_zone": "UTC", "weekly": {"mon": week, "tue": week, "wed": week,
             "thu": week, "fri": week}},
            // Closed in every test's window (a calendar that never opens is invalid).
            {"id": "closed", "time_zone": "UTC", "weekly": {},
             "exceptions": {"2020-01-06": [["08:00", "09:00"]]}}],
        "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
            "location": {"lat": 52.5, "lon": 13.4}, "territory": "north"}],
        "tasks": [{"code": "HVAC", "description": "Service", "duration_minutes": 60,
            "required_skills": [{"skill": "hvac", "min_level": 3}]}],
        "technicians": [],
        "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
            "priority": "high", "created_at": "2027-03-01T08:00:00Z",
            "lines": [{"kind": "task", "task": "HVAC", "quantity": "1", "unit_price": "0"}]}]
    })
}

/// A technician with hvac level 3 in territory north living at the customer's site.
fn tech(id: &str) -> Value {
    json!({"id": id, "name": format!("Tech {id}"), "skills": {"hvac": 3},
        "home": {"lat": 52.5, "lon": 13.4}, "territory": "north", "calendar": "day",
        "hourly_cost": "40", "max_hours_per_day": 8})
}

fn with_techs(mut ds: Value, techs: Vec<Value>) -> Value {
    ds["technicians"] = Value::Array(techs);
    ds
}

fn model(ds: &Value) -> Model {
    Model::from_json(&ds.to_string()).unwrap()
}

fn rank_with(ds: &Value, dispatcher: &Dispatcher<'_>) -> Ranking {
    rank_candidates(&model(ds), dispatcher, &OrderId::new("SO-1"), at()).unwrap()
}

fn rank(ds: &Value) -> Ranking {
    rank_with(ds, &Dispatcher::default())
}

fn exclusions(r: &Ranking, id: &str) -> Vec<Exclusion> {
    match &r.candidate(&TechnicianId::new(id)).unwrap().verdict {
        Verdict::Excluded { exclusions } => exclusions.clone(),
        Verdict::Eligible(_) => vec![],
    }
}

fn eligible(r: &Ranking, id: &str) -> bool {
    r.candidate(&TechnicianId::new(id)).unwrap().is_eligible()
}

fn grade(r: &Ranking, id: &str, objective: &str) -> f64 {
    match &r.candidate(&TechnicianId::new(id)).unwrap().verdict {
        Verdict::Eligible(g) => {
            g.objectives
                .iter()
                .find(|o| o.objective == objective)
                .unwrap()
                .grade
        }
        Verdict::Excluded { exclusions } => panic!("{id} excluded: {exclusions:?}"),
    }
}

fn policy_with(f: impl FnOnce(&mut DispatchPolicy)) -> Dispatcher<'static> {
    let mut p = DispatchPolicy::default();
    f(&mut p);
    Dispatcher::native(p).unwrap()
}

#[test]
fn a_dated_certification_qualifies_on_its_days_only() {
    // hvac level 3 by a certificate valid Wednesday to Friday; level 2 otherwise.
    let mut dated = tech("T-2");
    dated["skills"] = json!({"hvac": 2});
    dated["certifications"] = json!([{"skill": "hvac", "level": 3, "valid_from": "2027-03-03", "valid_to": "2027-03-05"}]);
    let mut lapsed = tech("T-3");
    lapsed["skills"] = json!({});
    lapsed["certifications"] = json!([{"skill": "hvac", "level": 4, "valid_to": "2027-02-26"}]);
    let ds = with_techs(base(), vec![dated, lapsed]);
    let r = rank(&ds);
    // Eligible, but its earliest start is the first certified day.
    match &r.candidate(&TechnicianId::new("T-2")).unwrap().verdict {
        Verdict::Eligible(g) => assert_eq!(
            g.earliest_start,
            Utc.with_ymd_and_hms(2027, 3, 3, 8, 0, 0).unwrap()
        ),
        Verdict::Excluded { exclusions } => panic!("{exclusions:?}"),
    }
    let e = exclusions(&r, "T-3");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].rule, WorkRule::Skills);
    assert!(
        e[0].reason.starts_with(
            "nobody certified on that date: certificate hvac level 3 valid always – 2027-02-26"
        ),
        "{}",
        e[0].reason
    );
    // The scheduler's per-shift test reads the visit's date.
    let m = model(&ds);
    let ctx = Dispatcher::default()
        .context(&m, &[OrderId::new("SO-1")], at())
        .unwrap();
    let (o, t) = (OrderIx(0), ctx.tech_ix(&TechnicianId::new("T-2")).unwrap());
    assert!(!ctx.qualified_at(o, t, Utc.with_ymd_and_hms(2027, 3, 2, 9, 0, 0).unwrap()));
    assert!(ctx.qualified_at(o, t, Utc.with_ymd_and_hms(2027, 3, 5, 16, 0, 0).unwrap()));
    assert!(!ctx.qualified_at(o, t, Utc.with_ymd_and_hms(2027, 3, 6, 0, 0, 0).unwrap()));
}

#[test]
fn skills_rule_requires_the_minimum_level() {
    let mut low = tech("T-2");
    low["skills"] = json!({"hvac": 2});
    let mut none = tech("T-3");
    none["skills"] = json!({"electrical": 5});
    let ds = with_techs(base(), vec![tech("T-1"), low, none]);
    let r = rank(&ds);
    assert!(eligible(&r, "T-1"));
    let e = exclusions(&r, "T-2");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].rule, WorkRule::Skills);
    assert_eq!(e[0].reason, "lacks skill hvac level 3 (has 2)");
    assert_eq!(
        exclusions(&r, "T-3")[0].reason,
        "lacks skill hvac level 3 (has none)"
    );
    // Switched off, both pass.
    let r = rank_with(&ds, &policy_with(|p| p.work_rules.skills = false));
    assert!(eligible(&r, "T-2") && eligible(&r, "T-3"));
}

#[test]
fn territory_rule_matches_the_customers_territory() {
    let mut south = tech("T-2");
    south["territory"] = json!("south");
    let mut floating = tech("T-3");
    floating.as_object_mut().unwrap().remove("territory");
    let ds = with_techs(base(), vec![tech("T-1"), south, floating]);
    let r = rank(&ds);
    assert!(eligible(&r, "T-1"));
    let e = exclusions(&r, "T-2");
    assert_eq!(e[0].rule, WorkRule::Territory);
    assert_eq!(e[0].reason, "covers south; the order is in north");
    assert_eq!(
        exclusions(&r, "T-3")[0].reason,
        "covers no territory; the order is in north"
    );
    // A customer without a territory accepts everyone.
    let mut ds2 = ds.clone();
    ds2["customers"][0]
        .as_object_mut()
        .unwrap()
        .remove("territory");
    let r = rank(&ds2);
    assert!(eligible(&r, "T-2") && eligible(&r, "T-3"));
    let r = rank_with(&ds, &policy_with(|p| p.work_rules.territory = false));
    assert!(eligible(&r, "T-2"));
}

#[test]
fn travel_distance_rule_uses_road_km_and_reports_the_excess() {
    // 1° of latitude ≈ 111.2 km; × circuity 1.3 ≈ 144.6 road km.
    let mut far = tech("T-2");
    far["home"] = json!({"lat": 53.5, "lon": 13.4});
    let mut near = tech("T-3");
    near["home"] = json!({"lat": 52.9, "lon": 13.4}); // ≈ 57.8 road km
    let ds = with_techs(base(), vec![tech("T-1"), far, near]);
    let r = rank(&ds);
    assert!(eligible(&r, "T-1") && eligible(&r, "T-3"));
    let e = exclusions(&r, "T-2");
    assert_eq!(e[0].rule, WorkRule::MaxTravelDistance);
    let km = 111.195 * 1.3;
    assert_eq!(
        e[0].reason,
        format!(
            "{km:.1} km from home, {:.1} km beyond the 80 km limit",
            km - 80.0
        )
    );
    let r = rank_with(&ds, &policy_with(|p| p.work_rules.max_travel_km = None));
    assert!(eligible(&r, "T-2"));
    let r = rank_with(
        &ds,
        &policy_with(|p| p.work_rules.max_travel_km = Some(50.0)),
    );
    assert!(!eligible(&r, "T-3"));
}

#[test]
fn customer_exclusions_and_pins_are_hard() {
    let mut ds = with_techs(base(), vec![tech("T-1"), tech("T-2"), tech("T-3")]);
    ds["customers"][0]["excluded_technicians"] = json!(["T-2"]);
    let r = rank(&ds);
    assert!(eligible(&r, "T-1") && eligible(&r, "T-3"));
    let e = exclusions(&r, "T-2");
    assert_eq!(e[0].rule, WorkRule::ExcludedTechnician);
    assert_eq!(e[0].reason, "customer C-1 excludes this technician");

    ds["orders"][0]["required_technician"] = json!("T-3");
    let r = rank(&ds);
    assert!(eligible(&r, "T-3"));
    let e = exclusions(&r, "T-1");
    assert_eq!(e[0].rule, WorkRule::RequiredTechnician);
    assert_eq!(e[0].reason, "order is pinned to technician T-3");
    // Both rules break for T-2, listed in checking order.
    let rules: Vec<WorkRule> = exclusions(&r, "T-2").iter().map(|e| e.rule).collect();
    assert_eq!(
        rules,
        [WorkRule::RequiredTechnician, WorkRule::ExcludedTechnician]
    );
    let r = rank_with(
        &ds,
        &policy_with(|p| {
            p.work_rules.required_technician = false;
            p.work_rules.excluded_technicians = false;
        }),
    );
    assert!(eligible(&r, "T-1") && eligible(&r, "T-2"));
}

#[test]
fn inactive_technicians_are_excluded() {
    let mut off = tech("T-2");
    off["active"] = json!(false);
    let r = rank(&with_techs(base(), vec![tech("T-1"), off]));
    let e = exclusions(&r, "T-2");
    assert_eq!(e[0].rule, WorkRule::Active);
    assert_eq!(e[0].reason, "technician is inactive");
}

#[test]
fn availability_needs_open_time_for_travel_and_the_whole_job_within_the_window() {
    let mut closed = tech("T-2");
    closed["calendar"] = json!("closed");
    let mut ds = with_techs(base(), vec![tech("T-1"), closed]);
    // Due Monday 16:30: a 60-minute job starting by 16:30 fits the 08:00–17:00 day.
    ds["orders"][0]["due"] = json!("2027-03-01T16:30:00Z");
    let r = rank(&ds);
    assert!(eligible(&r, "T-1"));
    let e = exclusions(&r, "T-2");
    assert_eq!(e[0].rule, WorkRule::Availability);
    assert_eq!(
        e[0].reason,
        "calendar closed has no open time for 0 min travel + 60 min work starting between \
         2027-03-01 08:00 and 2027-03-01 16:30 (UTC)"
    );
    // Pinned at 16:30: the job would run past 17:00.
    ds["orders"][0]["pinned_start"] = json!("2027-03-01T16:30:00Z");
    let r = rank(&ds);
    assert_eq!(exclusions(&r, "T-1")[0].rule, WorkRule::Availability);
    ds["orders"][0]["pinned_start"] = json!("2027-03-01T15:30:00Z");
    let r = rank(&ds);
    assert!(eligible(&r, "T-1"));
    // Switched off: the closed calendar passes.
    let r = rank_with(&ds, &policy_with(|p| p.work_rules.availability = false));
    assert!(eligible(&r, "T-2"));
}

#[test]
fn availability_counts_travel_before_the_start_and_skips_holidays() {
    // ~58 road km ≈ 69 min travel: leaving at 08:00 the job starts ≈ 09:09.
    let mut away = tech("T-1");
    away["home"] = json!({"lat": 52.9, "lon": 13.4});
    let mut ds = with_techs(base(), vec![away]);
    ds["calendars"][0]["holidays"] = json!(["2027-03-01"]);
    let r = rank(&ds);
    let Verdict::Eligible(g) = &r.candidates[0].verdict else {
        panic!("{:?}", r.candidates[0]);
    };
    let expected = Utc.with_ymd_and_hms(2027, 3, 2, 8, 0, 0).unwrap()
        + chrono::Duration::seconds((g.travel.minutes * 60.0).ceil() as i64);
    assert_eq!(g.earliest_start, expected);
    assert!(g.travel.minutes > 60.0 && g.travel.minutes < 80.0);
}

#[test]
fn daily_job_and_hour_limits_read_the_planned_workload() {
    let mut capped = tech("T-1");
    capped["max_jobs_per_day"] = json!(2);
    let mut ds = with_techs(base(), vec![capped, tech("T-2")]);
    ds["orders"][0]["due"] = json!("2027-03-01T16:00:00Z");
    let mut w = Workload::default();
    w.add("T-1".into(), day(1), DayLoad::new(2, 120.0));
    w.add("T-2".into(), day(1), DayLoad::new(3, 430.0));
    let dispatcher = Dispatcher::default().with_workload(w.clone());
    let r = rank_with(&ds, &dispatcher);
    let e = exclusions(&r, "T-1");
    assert_eq!(e[0].rule, WorkRule::MaxJobsPerDay);
    assert_eq!(e[0].reason, "already 2 of 2 jobs planned on 2027-03-01");
    let e = exclusions(&r, "T-2");
    assert_eq!(e[0].rule, WorkRule::MaxHoursPerDay);
    assert_eq!(
        e[0].reason,
        "2027-03-01: 430 min planned + 60 min needed exceeds the 480 min daily limit"
    );
    // With a window into Tuesday both move to Tuesday.
    ds["orders"][0]["due"] = json!("2027-03-02T16:00:00Z");
    let r = rank_with(&ds, &dispatcher);
    for id in ["T-1", "T-2"] {
        let c = r.candidate(&TechnicianId::new(id)).unwrap();
        let Verdict::Eligible(g) = &c.verdict else {
            panic!("{c:?}")
        };
        assert_eq!(
            g.earliest_start,
            Utc.with_ymd_and_hms(2027, 3, 2, 8, 0, 0).unwrap()
        );
    }
    // Switched off: Monday again.
    let off = policy_with(|p| p.work_rules.daily_limits = false).with_workload(w);
    let r = rank_with(&ds, &off);
    assert!(r.eligible().count() == 2);
}

#[test]
fn a_job_longer_than_a_day_breaks_the_hours_rule_whatever_the_day() {
    let mut ds = with_techs(base(), vec![tech("T-1")]);
    ds["orders"][0]["lines"][0]["quantity"] = json!("9"); // 9 × 60 min
                                                          // A job that may be split over days needs only its first part in one day.
    assert!(eligible(&rank(&ds), "T-1"));
    ds["orders"][0]["split"] = json!(false);
    let r = rank(&ds);
    let e = exclusions(&r, "T-1");
    assert_eq!(e[0].rule, WorkRule::MaxHoursPerDay);
    assert_eq!(
        e[0].reason,
        "job needs 540 min with travel, more than the 480 min daily limit"
    );
    // A zero job limit excludes too.
    let mut zero = tech("T-2");
    zero["max_jobs_per_day"] = json!(0);
    let r = rank(&with_techs(base(), vec![zero]));
    assert_eq!(
        exclusions(&r, "T-2")[0].reason,
        "takes no jobs (limit 0 per day)"
    );
}

#[test]
fn grades_reach_their_bounds() {
    let mut pricey = tech("T-2");
    pricey["hourly_cost"] = json!("500");
    pricey["skills"] = json!({"hvac": 5});
    let mut free = tech("T-1");
    free["hourly_cost"] = json!("0");
    let mut ds = with_techs(base(), vec![free, pricey]);
    ds["orders"][0]["preferred_technician"] = json!("T-1");
    let r = rank(&ds);
    // T-1: at the site, exact skill, preferred, empty day, free, starts at once.
    for objective in [
        "sla_urgency",
        "travel",
        "skill_fit",
        "preferred_technician",
        "workload_balance",
        "cost",
    ] {
        assert_eq!(grade(&r, "T-1", objective), 100.0, "{objective}");
    }
    assert_eq!(r.best().unwrap().score(), Some(100.0));
    // T-2: 500/h × 1 h = cost_worst → 0; two levels over → 80; not preferred → 0.
    assert_eq!(grade(&r, "T-2", "cost"), 0.0);
    assert_eq!(grade(&r, "T-2", "skill_fit"), 80.0);
    assert_eq!(grade(&r, "T-2", "preferred_technician"), 0.0);

    // Far away (≥ 120 min) and a full day: travel and workload 0; the SLA grade falls with
    // the start.
    let mut far = tech("T-3");
    far["home"] = json!({"lat": 53.4, "lon": 13.4}); // ≈ 130 road km ≈ 156 min
    let mut ds = with_techs(base(), vec![far]);
    ds["orders"][0]["due"] = json!("2027-03-01T12:00:00Z");
    let mut w = Workload::default();
    w.add("T-3".into(), day(1), DayLoad::new(0, 480.0 - 60.0 - 157.0));
    let d = policy_with(|p| {
        p.work_rules.max_travel_km = None;
        p.work_rules.daily_limits = false;
    })
    .with_workload(w);
    let r = rank_with(&ds, &d);
    assert_eq!(grade(&r, "T-3", "travel"), 0.0);
    let sla = grade(&r, "T-3", "sla_urgency");
    // Starts ≈ 10:36 on a 08:00–12:00 scale: ≈ 35.
    assert!(sla > 30.0 && sla < 40.0, "{sla}");
    let load = grade(&r, "T-3", "workload_balance");
    assert!(
        (load - 100.0 * (1.0 - 263.0 / 480.0)).abs() < 1e-9,
        "{load}"
    );
}

#[test]
fn weights_change_the_ranking() {
    // T-1 is near and expensive, T-2 is further and cheap.
    let mut near = tech("T-1");
    near["hourly_cost"] = json!("120");
    let mut cheap = tech("T-2");
    cheap["hourly_cost"] = json!("20");
    cheap["home"] = json!({"lat": 52.8, "lon": 13.4});
    let ds = with_techs(base(), vec![near, cheap]);
    let only = |o: Objective| {
        policy_with(move |p| {
            p.weights = Weights::zero();
            p.weights.set(o, 1.0);
        })
    };
    let by_travel = rank_with(&ds, &only(Objective::Travel));
    assert_eq!(by_travel.best().unwrap().technician.as_str(), "T-1");
    let by_cost = rank_with(&ds, &only(Objective::Cost));
    assert_eq!(by_cost.best().unwrap().technician.as_str(), "T-2");
    // A mix tips over as the cost weight grows.
    let mix = |cost: f64| {
        policy_with(move |p| {
            p.weights = Weights::zero();
            p.weights.set(Objective::Travel, 10.0);
            p.weights.set(Objective::Cost, cost);
        })
    };
    assert_eq!(
        rank_with(&ds, &mix(1.0))
            .best()
            .unwrap()
            .technician
            .as_str(),
        "T-1"
    );
    assert_eq!(
        rank_with(&ds, &mix(100.0))
            .best()
            .unwrap()
            .technician
            .as_str(),
        "T-2"
    );
}

#[test]
fn contributions_sum_to_the_total_and_eligible_rank_first_on_the_demo_data() {
    let options = fieldwork::demo::DemoOptions::new(7, day(1));
    let model = Model::from_dataset(fieldwork::demo::generate(&options)).unwrap();
    let ids: Vec<OrderId> = model.orders().iter().map(|o| o.id.clone()).collect();
    let dispatcher = Dispatcher::default();
    let ctx = dispatcher.context(&model, &ids, at()).unwrap();
    let mut eligible_pairs = 0;
    for o in (0..ctx.order_count()).map(OrderIx) {
        let r = ctx.rank(o).unwrap();
        assert_eq!(r.candidates.len(), model.technicians().len());
        let mut seen_excluded = false;
        let mut last = f64::INFINITY;
        for (i, c) in r.candidates.iter().enumerate() {
            match &c.verdict {
                Verdict::Eligible(g) => {
                    assert!(!seen_excluded, "eligible after excluded in {}", r.order);
                    assert_eq!(c.rank, Some(i + 1));
                    let sum: f64 = g.objectives.iter().map(|o| o.contribution).sum();
                    assert_eq!(sum, g.total);
                    assert!(g.total <= last && (0.0..=100.0).contains(&g.total));
                    last = g.total;
                    for obj in &g.objectives {
                        assert!((0.0..=100.0).contains(&obj.grade));
                        let expected = obj.grade * obj.weight / 100.0;
                        assert!((obj.contribution - expected).abs() < 1e-9);
                    }
                    // The scheduler's per-pair score is the explained total.
                    let t = ctx.tech_ix(&c.technician).unwrap();
                    match ctx.evaluate(o, t).unwrap() {
                        Evaluation::Eligible { score, .. } => assert_eq!(score, g.total),
                        Evaluation::Excluded(v) => panic!("{v:?}"),
                    }
                    assert_eq!(ctx.score(o, t).unwrap(), Some(g.total));
                    eligible_pairs += 1;
                }
                Verdict::Excluded { exclusions } => {
                    seen_excluded = true;
                    assert!(!exclusions.is_empty() && c.rank.is_none());
                    let t = ctx.tech_ix(&c.technician).unwrap();
                    // Parts and tools are the scheduler's rule (schedule::field), not the
                    // per-pair hot path's: a technician excluded by them alone still scores.
                    let stock_only = exclusions
                        .iter()
                        .all(|e| e.rule == fieldwork::dispatch::WorkRule::PartsAndTools);
                    assert_eq!(ctx.score(o, t).unwrap().is_none(), !stock_only);
                }
            }
        }
    }
    assert!(eligible_pairs > 20, "{eligible_pairs}");
}

#[test]
fn a_road_graph_replaces_the_great_circle_estimate() {
    // Two zones 30 km apart joined by a slow road: 90 min.
    let mut ds = with_techs(base(), vec![]);
    let mut t = tech("T-1");
    t["home"] = json!({"lat": 52.77, "lon": 13.4});
    ds["technicians"] = json!([t]);
    ds["road_graph"] = json!({
        "zones": [{"id": "city", "location": {"lat": 52.5, "lon": 13.4}},
                  {"id": "north", "location": {"lat": 52.77, "lon": 13.4}}],
        "edges": [{"from": "city", "to": "north", "km": 45, "minutes": 90}]});
    let r = rank(&ds);
    let Verdict::Eligible(g) = &r.candidates[0].verdict else {
        panic!()
    };
    assert!((g.travel.km - 45.0).abs() < 1e-9 && (g.travel.minutes - 90.0).abs() < 1e-9);
    assert_eq!(grade(&r, "T-1", "travel"), 25.0);
    let off = policy_with(|p| p.travel.use_road_graph = false);
    let r = rank_with(&ds, &off);
    let Verdict::Eligible(g) = &r.candidates[0].verdict else {
        panic!()
    };
    assert!(
        (g.travel.km - 0.27 * 111.195 * 1.3).abs() < 0.1,
        "{}",
        g.travel.km
    );
}

#[test]
fn unknown_orders_and_workload_technicians_are_errors() {
    let m = model(&with_techs(base(), vec![tech("T-1")]));
    let err = rank_candidates(&m, &Dispatcher::default(), &OrderId::new("nope"), at()).unwrap_err();
    assert_eq!(err.to_string(), "unknown order `nope`");
    let mut w = Workload::default();
    w.add("T-9".into(), day(1), DayLoad::new(1, 60.0));
    let err = rank_candidates(
        &m,
        &Dispatcher::default().with_workload(w),
        &OrderId::new("SO-1"),
        at(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "workload: unknown technician `T-9`");
}

#[test]
fn scheduler_api_updates_load_and_exposes_travel() {
    let mut capped = tech("T-1");
    capped["max_jobs_per_day"] = json!(1);
    let mut ds = with_techs(base(), vec![capped]);
    ds["orders"][0]["due"] = json!("2027-03-01T16:00:00Z");
    let m = model(&ds);
    let mut ctx = Dispatcher::default()
        .context(&m, &[OrderId::new("SO-1")], at())
        .unwrap();
    let (o, t) = (OrderIx(0), TechIx(0));
    assert!(ctx.check(o, t).is_ok());
    assert_eq!(ctx.travel_from_home(o, t).km, 0.0);
    assert_eq!(ctx.travel_between_orders(o, o).minutes, 0.0);
    ctx.add_load(t, day(1), DayLoad::new(1, 60.0));
    let v = ctx.check(o, t).unwrap_err();
    assert_eq!(v.rule(), WorkRule::MaxJobsPerDay);
    assert_eq!(ctx.violations(o, t), vec![v]);
    assert_eq!(ctx.local_date(t, at()), day(1));
}

/// A crew job's ranking lists the best crews of its size: distinct eligible members, best mean
/// score first, each crew starting together at the latest of its members' earliest starts; a
/// one-technician order lists none.
#[test]
fn a_crew_job_ranks_the_best_crews() {
    let mut far = tech("T-4");
    far["home"] = json!({"lat": 52.8, "lon": 13.4});
    let mut unskilled = tech("T-5");
    unskilled["skills"] = json!({"hvac": 1});
    let mut ds = with_techs(
        base(),
        vec![tech("T-1"), tech("T-2"), tech("T-3"), far, unskilled],
    );
    assert!(rank(&ds).crews.is_empty(), "one technician: no crews");
    ds["orders"][0]["technicians_required"] = json!(2);
    let r = rank(&ds);
    assert_eq!(r.technicians_required, 2);
    // Four eligible technicians: C(4, 2) = 6 crews, the first MAX_CREWS_SHOWN listed.
    assert_eq!(r.crews.len(), MAX_CREWS_SHOWN.min(6));
    for (i, crew) in r.crews.iter().enumerate() {
        assert_eq!(crew.rank, i + 1);
        assert_eq!(crew.technicians.len(), 2);
        assert_ne!(crew.technicians[0], crew.technicians[1]);
        assert!(crew.technicians.iter().all(|t| eligible(&r, t.as_str())));
        assert!(!crew.technicians.iter().any(|t| t.as_str() == "T-5"));
        let scores: Vec<f64> = crew
            .technicians
            .iter()
            .map(|t| r.candidate(t).unwrap().score().unwrap())
            .collect();
        assert!((crew.score - (scores[0] + scores[1]) / 2.0).abs() < 1e-9);
        if i > 0 {
            assert!(r.crews[i - 1].score >= crew.score);
        }
    }
    // The far technician is in no best crew.
    assert!(!r.crews[0].technicians.iter().any(|t| t.as_str() == "T-4"));
    // Eight required, four eligible: no crew.
    ds["orders"][0]["technicians_required"] = json!(8);
    assert!(rank(&ds).crews.is_empty());
    // Nine is refused by validation.
    ds["orders"][0]["technicians_required"] = json!(9);
    let err = Model::from_json(&ds.to_string()).unwrap_err().to_string();
    assert!(err.contains("technicians_required"), "{err}");
}
