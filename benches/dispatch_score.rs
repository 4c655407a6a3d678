//! Scores every (order, technician) pair of 2,000 orders × 200 technicians with the shipped
//! rules (`rules/dispatch.rhai` through the rule runtime and the dispatch engine), against a
//! hand-written native implementation of the same policy, in the same run.
//!
//! Both sides do the whole job from a loaded model: per-run/per-order/per-technician
//! preparation (the engine: Rhai hooks, profiles, calendar expansion; the baseline: the same
//! facts computed by hand-written Rust with the policy's numbers hard-coded), then every pair:
//! work rules, the earliest start in the technician's calendar, six grades and the weighted
//! total. Before measuring, the bench checks both agree on every pair (eligibility and score).
//!
//! The data is generated here, deterministically: a Berlin-sized region, 4 territories,
//! 6 skills, 3 technician calendars (Europe/Berlin, with holidays), due times 4–72 h ahead,
//! preferred and excluded technicians, a few pinned orders, a partly booked workload.

mod support;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use criterion::Criterion;
use fieldwork::dispatch::{DayLoad, Dispatcher, Evaluation, OrderIx, TechIx, Workload};
use fieldwork::model::*;
use fieldwork::random::SplitMix64;
use fieldwork::rules::RuleSet;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::hint::black_box;

const ORDERS: usize = 2_000;
const TECHS: usize = 200;
const SKILLS: [&str; 6] = [
    "hvac",
    "heating",
    "lifts",
    "electrical",
    "fire",
    "refrigeration",
];
const TERRITORIES: [&str; 4] = ["north", "east", "south", "west"];
const CENTER: (f64, f64) = (52.52, 13.405);

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 6, 0, 0).unwrap()
}

fn site(rng: &mut SplitMix64, radius_km: f64) -> (Location, usize) {
    let angle = rng.unit() * std::f64::consts::TAU;
    let r = radius_km * rng.unit().sqrt();
    let lat = CENTER.0 + r * angle.sin() / 111.0;
    let lon = CENTER.1 + r * angle.cos() / (111.0 * CENTER.0.to_radians().cos());
    let quadrant =
        (((angle + std::f64::consts::FRAC_PI_4) / std::f64::consts::FRAC_PI_2) as usize) % 4;
    (Location::new(lat, lon), quadrant)
}

fn calendar(id: &str, from: &str, to: &str, saturday: bool) -> BusinessCalendar {
    let day = vec![OpeningInterval::parse(from, to).unwrap()];
    let mut weekly = WeeklyHours {
        mon: day.clone(),
        tue: day.clone(),
        wed: day.clone(),
        thu: day.clone(),
        fri: day.clone(),
        ..WeeklyHours::default()
    };
    if saturday {
        weekly.sat = vec![OpeningInterval::parse("08:00", "13:00").unwrap()];
    }
    BusinessCalendar {
        id: CalendarId::new(id),
        time_zone: TimeZoneName::new("Europe/Berlin"),
        weekly,
        holidays: [NaiveDate::from_ymd_opt(2027, 3, 8).unwrap()].into(),
        exceptions: BTreeMap::new(),
    }
}

/// The benchmark world and the workload already planned.
fn world() -> (Model, Workload) {
    let mut rng = SplitMix64::new(0xD15_FA7C);
    let mut ds = Dataset {
        calendars: vec![
            calendar("early", "07:00", "15:30", false),
            calendar("late", "10:00", "18:30", false),
            calendar("mixed", "08:00", "16:30", true),
        ],
        ..Dataset::default()
    };
    for (i, skill) in SKILLS.iter().enumerate() {
        for level in 1..=4u8 {
            let mut required = vec![SkillRequirement {
                skill: (*skill).into(),
                min_level: level,
            }];
            if level == 4 {
                required.push(SkillRequirement {
                    skill: SKILLS[(i + 3) % SKILLS.len()].into(),
                    min_level: 2,
                });
            }
            ds.tasks.push(ServiceTask {
                code: TaskCode::new(format!("{skill}-{level}")),
                description: format!("{skill} work, level {level}"),
                required_skills: required,
                duration_minutes: 30 + 30 * u32::from(level),
                parts: Default::default(),
                tools: Vec::new(),
            });
        }
    }
    for i in 0..TECHS {
        let (home, territory) = site(&mut rng, 30.0);
        let mut skills = BTreeMap::new();
        skills.insert(SKILLS[i % SKILLS.len()].to_string(), 2 + rng.below(4) as u8);
        for _ in 0..1 + rng.below(3) {
            skills
                .entry(SKILLS[rng.below(SKILLS.len())].to_string())
                .or_insert(1 + rng.below(4) as u8);
        }
        ds.technicians.push(Technician {
            id: TechnicianId::new(format!("T-{i:03}")),
            name: format!("Technician {i}"),
            skills,
            certifications: Vec::new(),
            home,
            territory: Some(TerritoryId::new(TERRITORIES[territory])),
            calendar: CalendarId::new(["early", "late", "mixed"][i % 3]),
            hourly_cost: Decimal::new(4000 + rng.below(4000) as i64, 2),
            max_hours_per_day: 8.0,
            max_jobs_per_day: Some(6),
            van_capacity: None,
            stock: Default::default(),
            tools: Vec::new(),
            depot: None,
            active: i % 23 != 22,
        });
    }
    let customers = 400;
    for i in 0..customers {
        let (location, territory) = site(&mut rng, 45.0);
        let excluded = if rng.below(20) == 0 {
            vec![TechnicianId::new(format!("T-{:03}", rng.below(TECHS)))]
        } else {
            vec![]
        };
        ds.customers.push(Customer {
            id: CustomerId::new(format!("C-{i:04}")),
            name: format!("Customer {i}"),
            tier: ["gold", "silver", "bronze", "standard"][rng.below(4)].into(),
            time_zone: TimeZoneName::new("Europe/Berlin"),
            location,
            address: None,
            calendar: None,
            visiting_hours: None,
            territory: Some(TerritoryId::new(TERRITORIES[territory])),
            excluded_technicians: excluded,
        });
    }
    for i in 0..ORDERS {
        let customer = CustomerId::new(format!("C-{:04}", rng.below(customers)));
        let priority = [
            Priority::Critical,
            Priority::High,
            Priority::Normal,
            Priority::Normal,
            Priority::Low,
        ][rng.below(5)];
        let mut order = ServiceOrder::new(
            format!("SO-{i:05}"),
            customer,
            priority,
            at() - Duration::hours(2),
        );
        let task = &ds.tasks[rng.below(ds.tasks.len())];
        order.lines.push(OrderLine {
            kind: LineKind::Task,
            task: Some(task.code.clone()),
            agreement_line: None,
            description: String::new(),
            quantity: Decimal::ONE,
            unit_price: Decimal::new(9500, 2),
        });
        order.due = Some(at() + Duration::hours(4 + rng.below(68) as i64));
        if rng.below(4) == 0 {
            order.preferred_technician =
                Some(TechnicianId::new(format!("T-{:03}", rng.below(TECHS))));
        }
        if rng.below(100) == 0 {
            order.required_technician =
                Some(TechnicianId::new(format!("T-{:03}", rng.below(TECHS))));
            order.pinned_start = Some(at() + Duration::hours(3 + rng.below(30) as i64));
        }
        ds.orders.push(order);
    }
    let model = Model::from_dataset(ds).expect("bench data is valid");
    let mut workload = Workload::default();
    for i in (0..TECHS).step_by(3) {
        for d in 0..3 {
            let date = NaiveDate::from_ymd_opt(2027, 3, 1 + d).unwrap();
            let jobs = rng.below(7) as u32;
            workload.add(
                TechnicianId::new(format!("T-{i:03}")),
                date,
                DayLoad::new(jobs, f64::from(jobs) * 70.0),
            );
        }
    }
    (model, workload)
}

/// A hand-written implementation of the shipped policy (`rules/dispatch.rhai`): the numbers
/// and the profile rules of the rule file, hard-coded.
mod native {
    use super::*;
    use chrono_tz::Tz;

    // dispatch_policy()
    const WEIGHTS: [f64; 6] = [35.0, 25.0, 10.0, 15.0, 5.0, 10.0];
    const MAX_KM: f64 = 80.0;
    const HORIZON_SECS: i64 = 14 * 86_400;
    const SPEED_KMH: f64 = 45.0;
    const CIRCUITY: f64 = 1.3;
    const ASAP_SECS: f64 = 72.0 * 3600.0;
    const TRAVEL_WORST: f64 = 120.0;
    const OVERQUALIFIED: f64 = 10.0;
    const COST_WORST: f64 = 500.0;

    struct Point {
        lat: f64,
        lon: f64,
        cos: f64,
    }

    fn point(l: Location) -> Point {
        let lat = l.lat.to_radians();
        Point {
            lat,
            lon: l.lon.to_radians(),
            cos: lat.cos(),
        }
    }

    fn km(a: &Point, b: &Point) -> f64 {
        let h = ((b.lat - a.lat) * 0.5).sin().powi(2)
            + a.cos * b.cos * ((b.lon - a.lon) * 0.5).sin().powi(2);
        2.0 * 6371.0088 * h.sqrt().min(1.0).asin() * CIRCUITY
    }

    struct Order {
        skills: Vec<(usize, u8)>,
        territory: Option<usize>,
        preferred: Option<usize>,
        excluded: Vec<usize>,
        required: Option<usize>,
        max_km: f64,
        site: Point,
        ws: i64,
        we: i64,
        duration: f64,
        sla_scale: f64,
    }

    struct Tech {
        active: bool,
        levels: [u8; 6],
        territory: Option<usize>,
        home: Point,
        cap_km: Option<f64>,
        cost: f64,
        daily: f64,
        max_jobs: Option<u32>,
        calendar: usize,
        /// (local midnight, jobs, minutes) of planned days, ascending.
        load: Vec<(i64, u32, f64)>,
    }

    /// Open stretches and local midnights of one calendar.
    struct Open {
        stretches: Vec<(i64, i64)>,
        days: Vec<i64>,
    }

    fn local(tz: Tz, d: NaiveDate, secs: u32) -> i64 {
        let naive = d.and_hms_opt(0, 0, 0).unwrap() + Duration::seconds(i64::from(secs));
        tz.from_local_datetime(&naive)
            .earliest()
            .unwrap()
            .timestamp()
    }

    fn open(cal: &BusinessCalendar, first: NaiveDate, last: NaiveDate) -> Open {
        let tz = cal.time_zone.tz().unwrap();
        let mut o = Open {
            stretches: vec![],
            days: vec![],
        };
        for d in first.iter_days().take_while(|d| *d <= last) {
            o.days.push(local(tz, d, 0));
            for iv in cal.intervals_on(d) {
                let (s, e) = (
                    local(tz, d, iv.start.seconds()),
                    local(tz, d, iv.end.seconds()),
                );
                match o.stretches.last_mut() {
                    Some(l) if s <= l.1 => l.1 = l.1.max(e),
                    _ => o.stretches.push((s, e)),
                }
            }
        }
        o
    }

    pub struct Prepared {
        orders: Vec<Order>,
        techs: Vec<Tech>,
        opens: Vec<Open>,
    }

    pub fn prepare(model: &Model, workload: &Workload, at: DateTime<Utc>) -> Prepared {
        let now = at.timestamp();
        let skill = |s: &str| SKILLS.iter().position(|k| *k == s).unwrap();
        let terr = |t: &TerritoryId| TERRITORIES.iter().position(|k| *k == t.as_str());
        let tech_ix = |t: &TechnicianId| model.technicians().iter().position(|x| &x.id == t);
        let first = at.date_naive() - Duration::days(1);
        let last = first + Duration::days(20);
        let cal_ids = ["early", "late", "mixed"];
        let opens: Vec<Open> = cal_ids
            .iter()
            .map(|c| open(model.calendar(&CalendarId::new(*c)).unwrap(), first, last))
            .collect();
        let orders = model
            .orders()
            .iter()
            .map(|o| {
                let customer = model.customer(&o.customer).unwrap();
                let gold_critical = customer.tier == "gold" && o.priority == Priority::Critical;
                let skills = model
                    .order_required_skills(o)
                    .iter()
                    .map(|r| {
                        let level = if gold_critical {
                            r.min_level.max(4)
                        } else {
                            r.min_level
                        };
                        (skill(&r.skill), level)
                    })
                    .collect();
                let (ws, we) = match o.pinned_start {
                    Some(p) => (p.timestamp(), p.timestamp()),
                    None => {
                        let due = o.due.unwrap().timestamp();
                        (
                            now,
                            if due >= now {
                                due.min(now + HORIZON_SECS)
                            } else {
                                now + HORIZON_SECS
                            },
                        )
                    }
                };
                let sla_scale = match o.due.filter(|_| o.pinned_start.is_none()) {
                    Some(d) if d.timestamp() > ws => ((d.timestamp() - ws) as f64).min(ASAP_SECS),
                    _ => ASAP_SECS,
                };
                Order {
                    skills,
                    territory: customer.territory.as_ref().and_then(terr),
                    preferred: o.preferred_technician.as_ref().and_then(tech_ix),
                    excluded: customer
                        .excluded_technicians
                        .iter()
                        .filter_map(tech_ix)
                        .collect(),
                    required: o.required_technician.as_ref().and_then(tech_ix),
                    max_km: if o.priority == Priority::Critical {
                        120.0
                    } else {
                        MAX_KM
                    },
                    site: point(model.order_location(o).unwrap()),
                    ws,
                    we,
                    duration: f64::from(model.order_duration_minutes(o)),
                    sla_scale,
                }
            })
            .collect();
        let techs = model
            .technicians()
            .iter()
            .map(|t| {
                let calendar = cal_ids
                    .iter()
                    .position(|c| *c == t.calendar.as_str())
                    .unwrap();
                let mut levels = [0u8; 6];
                for (s, l) in &t.skills {
                    levels[skill(s)] = *l;
                }
                let apprentice = t.skills.values().all(|l| *l <= 2);
                let load = workload
                    .days_of(&t.id)
                    .map(|(d, l)| {
                        let tz = chrono_tz::Europe::Berlin;
                        (local(tz, d, 0), l.jobs, l.minutes)
                    })
                    .collect();
                Tech {
                    active: t.active,
                    levels,
                    territory: t.territory.as_ref().and_then(terr),
                    home: point(t.home),
                    cap_km: apprentice.then_some(40.0),
                    cost: rust_decimal::prelude::ToPrimitive::to_f64(&t.hourly_cost).unwrap(),
                    daily: t.max_hours_per_day * 60.0 + 30.0,
                    max_jobs: t.max_jobs_per_day,
                    calendar,
                    load,
                }
            })
            .collect();
        Prepared {
            orders,
            techs,
            opens,
        }
    }

    fn clamp(g: f64) -> f64 {
        g.clamp(0.0, 100.0)
    }

    impl Prepared {
        /// The weighted score of a pair, or `None` when a work rule excludes it.
        pub fn score(&self, oi: usize, ti: usize) -> Option<f64> {
            let (o, t) = (&self.orders[oi], &self.techs[ti]);
            if !t.active
                || o.required.is_some_and(|r| r != ti)
                || o.excluded.contains(&ti)
                || o.skills.iter().any(|&(s, l)| t.levels[s] < l)
                || o.territory.is_some_and(|x| t.territory != Some(x))
            {
                return None;
            }
            let km = km(&t.home, &o.site);
            let limit = t.cap_km.map_or(o.max_km, |c| c.min(o.max_km));
            let minutes = km / SPEED_KMH * 60.0;
            let needed = o.duration + minutes;
            if km > limit || t.max_jobs == Some(0) || needed > t.daily {
                return None;
            }
            // Earliest start: leave home at an opening, start within the window, finish
            // before closing, on a day with room.
            let open = &self.opens[t.calendar];
            let lead = (minutes * 60.0).ceil() as i64;
            let dur = (o.duration * 60.0) as i64;
            let first = open.stretches.partition_point(|s| s.1 <= o.ws);
            let mut found = None;
            'stretches: for &(s, e) in &open.stretches[first..] {
                let lo = (s + lead).max(o.ws);
                if lo > o.we {
                    break;
                }
                let hi = (e - dur.max(1)).min(o.we);
                if lo > hi {
                    continue;
                }
                if t.load.is_empty() {
                    found = Some((lo, 0.0));
                    break;
                }
                let mut d = open.days.partition_point(|m| *m <= lo) - 1;
                while d < open.days.len() && (open.days[d] <= hi || open.days[d] <= lo) {
                    let (jobs, planned) = t
                        .load
                        .iter()
                        .find(|l| l.0 == open.days[d])
                        .map_or((0, 0.0), |l| (l.1, l.2));
                    if t.max_jobs.is_none_or(|m| jobs < m) && planned + needed <= t.daily {
                        found = Some((lo.max(open.days[d]), planned));
                        break 'stretches;
                    }
                    d += 1;
                }
            }
            let (start, planned) = found?;
            let excess: u32 = o
                .skills
                .iter()
                .map(|&(s, l)| u32::from(t.levels[s] - l))
                .sum();
            let grades = [
                clamp(100.0 * (1.0 - (start - o.ws) as f64 / o.sla_scale)),
                clamp(100.0 * (1.0 - minutes / TRAVEL_WORST)),
                if o.skills.is_empty() {
                    100.0
                } else {
                    clamp(100.0 - OVERQUALIFIED * f64::from(excess) / o.skills.len() as f64)
                },
                if o.preferred == Some(ti) { 100.0 } else { 0.0 },
                clamp(100.0 * (1.0 - planned / t.daily)),
                clamp(100.0 * (1.0 - t.cost * o.duration / 60.0 / COST_WORST)),
            ];
            let total: f64 = WEIGHTS.iter().sum();
            let mut score = 0.0;
            for (g, w) in grades.iter().zip(WEIGHTS) {
                score += w / total * g;
            }
            Some(score)
        }

        pub fn orders(&self) -> usize {
            self.orders.len()
        }

        pub fn techs(&self) -> usize {
            self.techs.len()
        }
    }
}

/// The best technician per order and the number of eligible pairs: what both sides compute.
type Outcome = (Vec<Option<(usize, f64)>>, usize);

fn best(best: &mut Option<(usize, f64)>, t: usize, score: f64) {
    if best.is_none_or(|(_, s)| score > s) {
        *best = Some((t, score));
    }
}

fn run_native(model: &Model, workload: &Workload) -> Outcome {
    let p = native::prepare(model, workload, at());
    let mut out = vec![None; p.orders()];
    let mut eligible = 0;
    for (o, slot) in out.iter_mut().enumerate() {
        for t in 0..p.techs() {
            if let Some(score) = p.score(o, t) {
                eligible += 1;
                best(slot, t, score);
            }
        }
    }
    (out, eligible)
}

fn run_engine(model: &Model, dispatcher: &Dispatcher<'_>, ids: &[OrderId]) -> Outcome {
    let ctx = dispatcher.context(model, ids, at()).expect("context");
    let mut out = vec![None; ctx.order_count()];
    let mut eligible = 0;
    for (o, slot) in out.iter_mut().enumerate() {
        for t in 0..ctx.technician_count() {
            if let Some(score) = ctx.score(OrderIx(o), TechIx(t)).expect("score") {
                eligible += 1;
                best(slot, t, score);
            }
        }
    }
    (out, eligible)
}

/// The shipped rule files (`rules/`), compiled once (as a run does).
fn shipped_rules() -> RuleSet {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    RuleSet::load_dir(dir).unwrap_or_else(|e| panic!("shipped rules must load:\n{e}"))
}

/// One run with the shipped rules: `dispatch_policy()`, then (in `context`) one
/// `order_profile` call per order and one `technician_profile` call per technician, then every
/// pair natively.
fn run_rules(model: &Model, rules: &RuleSet, workload: &Workload, ids: &[OrderId]) -> Outcome {
    let dispatcher = Dispatcher::from_rules(rules)
        .expect("policy")
        .with_workload(workload.clone());
    run_engine(model, &dispatcher, ids)
}

/// Checks, pair by pair, that the engine and the baseline implement the same policy.
fn verify(model: &Model, workload: &Workload, dispatcher: &Dispatcher<'_>, ids: &[OrderId]) {
    let p = native::prepare(model, workload, at());
    let ctx = dispatcher.context(model, ids, at()).expect("context");
    let mut eligible = 0usize;
    for (o, id) in ids.iter().enumerate() {
        for t in 0..p.techs() {
            let engine = match ctx.evaluate(OrderIx(o), TechIx(t)).expect("evaluate") {
                Evaluation::Eligible { score, .. } => Some(score),
                Evaluation::Excluded(_) => None,
            };
            let native = p.score(o, t);
            let lean = ctx.score(OrderIx(o), TechIx(t)).expect("score");
            assert_eq!(lean, engine, "score() and evaluate() agree");
            match (engine, native) {
                (Some(a), Some(b)) if (a - b).abs() < 1e-9 => eligible += 1,
                (None, None) => {}
                _ => panic!(
                    "order {id} technician {}: engine {engine:?} vs native {native:?}",
                    model.technicians()[t].id
                ),
            }
        }
    }
    eprintln!(
        "dispatch_score: {} orders × {} technicians, {eligible} eligible pairs; engine and native agree",
        p.orders(),
        p.techs()
    );
}

fn bench(c: &mut Criterion) {
    let (model, workload) = world();
    let ids: Vec<OrderId> = model.orders().iter().map(|o| o.id.clone()).collect();
    let rules = shipped_rules();
    let dispatcher = Dispatcher::from_rules(&rules)
        .expect("policy")
        .with_workload(workload.clone());
    verify(&model, &workload, &dispatcher, &ids);
    let mut group = c.benchmark_group("dispatch_score_2000x200");
    group.sample_size(10);
    group.bench_function("shipped_rules_engine", |b| {
        b.iter(|| black_box(run_rules(&model, &rules, &workload, &ids)))
    });
    // The share of the preparation (hooks, profiles, calendars) in the engine's time.
    group.bench_function("shipped_rules_context_only", |b| {
        b.iter(|| {
            let d = Dispatcher::from_rules(&rules)
                .expect("policy")
                .with_workload(workload.clone());
            black_box(
                d.context(&model, &ids, at())
                    .expect("context")
                    .order_count(),
            )
        })
    });
    group.bench_function("hand_written_native", |b| {
        b.iter(|| black_box(run_native(&model, &workload)))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    if let (Some(rules), Some(context), Some(native)) = (
        support::criterion_median("dispatch_score_2000x200", "shipped_rules_engine"),
        support::criterion_median("dispatch_score_2000x200", "shipped_rules_context_only"),
        support::criterion_median("dispatch_score_2000x200", "hand_written_native"),
    ) {
        println!(
            "dispatch_score 2,000 orders x 200 technicians (criterion medians): shipped rules \
             {:.1} ms (of which context {:.1} ms), hand-written native {:.1} ms: ratio {:.2}x \
             (goal <= 3x)",
            rules / 1e6,
            context / 1e6,
            native / 1e6,
            rules / native
        );
    }
}
