//! Property tests of the dispatch policy on random small worlds (technicians with random skills,
//! territories, homes, calendars across DST switches, workloads, exclusions and pins):
//!
//! * no excluded technician ever ranks above an eligible one; ranks are 1..n by score;
//!   contributions sum to the total; the per-pair score equals the explained total;
//! * the fast first-failure check agrees with the full list of violations;
//! * eligibility and the earliest start agree with a simple reference implementation that
//!   checks the calendar minute by minute with the SLA engine's `CompiledCalendar::is_open`,
//!   closed runs shorter than the policy's `max_break_minutes` within one local day counting
//!   as breaks work runs through
//!   (the dispatch engine never scans minutes: it fits jobs into the calendar's
//!   `OpenStretches`; this checks the stretches and the SLA arithmetic agree, across DST
//!   switches).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use fieldwork::calendar::CompiledCalendar;
use fieldwork::dispatch::*;
use fieldwork::model::{Location, Model, OrderId};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;

const SKILLS: [&str; 2] = ["hvac", "electrical"];
const TERRITORIES: [&str; 2] = ["north", "south"];
const CALENDARS: [&str; 4] = ["day", "split", "night", "always"];

fn calendars() -> Value {
    let week = |iv: Value| json!({"mon": iv, "tue": iv, "wed": iv, "thu": iv, "fri": iv, "sat": iv, "sun": iv});
    let mut day = week(json!([["08:00", "17:00"]]));
    day["sat"] = json!([]);
    day["sun"] = json!([]);
    let mut split = week(json!([["07:00", "12:00"], ["12:30", "16:00"]]));
    split["sun"] = json!([]);
    json!([
        {"id": "day", "time_zone": "UTC", "weekly": day, "holidays": ["2027-03-10"]},
        {"id": "split", "time_zone": "Europe/Berlin", "weekly": split},
        {"id": "night", "time_zone": "America/New_York",
         "weekly": week(json!([["00:00", "06:00"], ["20:00", "24:00"]]))},
        {"id": "always", "time_zone": "Europe/Berlin", "weekly": week(json!([["00:00", "24:00"]]))}
    ])
}

#[derive(Debug, Clone)]
struct TechSpec {
    levels: [u8; 2],
    territory: Option<usize>,
    offset: (f64, f64),
    calendar: usize,
    active: bool,
    max_jobs: Option<u32>,
    load: Option<(i64, u32, u32)>,
}

#[derive(Debug, Clone)]
struct World {
    techs: Vec<TechSpec>,
    required: [u8; 2],
    territory: Option<usize>,
    duration_hours: u32,
    at_offset_hours: i64,
    due_hours: Option<i64>,
    excluded: Vec<usize>,
    pinned: Option<usize>,
    preferred: Option<usize>,
    toggles: [bool; 6],
    horizon_days: u32,
    max_break_minutes: u32,
    weights: [u8; 6],
}

fn tech_spec() -> impl Strategy<Value = TechSpec> {
    (
        [0u8..=5, 0u8..=5],
        proptest::option::of(0usize..2),
        (-0.5f64..0.5, -0.7f64..0.7),
        0usize..4,
        prop::bool::weighted(0.9),
        proptest::option::of(0u32..4),
        proptest::option::of((0i64..3, 0u32..4, 0u32..420)),
    )
        .prop_map(
            |(levels, territory, offset, calendar, active, max_jobs, load)| TechSpec {
                levels,
                territory,
                offset,
                calendar,
                active,
                max_jobs,
                load,
            },
        )
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(tech_spec(), 1..7),
        [0u8..=3, 0u8..=2],
        prop::option::weighted(0.4, 0usize..2),
        1u32..=4,
        0i64..(24 * 28),
        proptest::option::of(-5i64..48),
        prop::collection::vec(0usize..7, 0..3),
        prop::option::weighted(0.15, 0usize..7),
        proptest::option::of(0usize..7),
        [prop::bool::weighted(0.85); 6],
        // The split calendar's lunch gap is 30 min: bridged only by a limit above 30.
        (1u32..=2, prop::sample::select(vec![0u32, 30, 31, 120])),
        [0u8..=10, 0u8..=10, 0u8..=10, 0u8..=10, 0u8..=10, 0u8..=10],
    )
        .prop_map(
            |(
                techs,
                required,
                territory,
                duration_hours,
                at_offset_hours,
                due_hours,
                excluded,
                pinned,
                preferred,
                toggles,
                (horizon_days, max_break_minutes),
                weights,
            )| World {
                techs,
                required,
                territory,
                duration_hours,
                at_offset_hours,
                due_hours,
                excluded,
                pinned: pinned.filter(|_| duration_hours < 3),
                preferred,
                toggles,
                horizon_days,
                max_break_minutes,
                weights,
            },
        )
}

const SITE: (f64, f64) = (52.5, 13.4);

/// 2027-03-04 00:00 UTC: the worlds' "now" ranges over 28 days across both DST switches.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 4, 0, 0, 0).unwrap()
}

impl World {
    fn at(&self) -> DateTime<Utc> {
        epoch() + Duration::hours(self.at_offset_hours)
    }

    fn tech_id(i: usize) -> String {
        format!("T-{i}")
    }

    fn dataset(&self) -> Value {
        let n = self.techs.len();
        let techs: Vec<Value> = self
            .techs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut skills = serde_json::Map::new();
                for (s, level) in SKILLS.iter().zip(t.levels) {
                    if level > 0 {
                        skills.insert((*s).into(), json!(level));
                    }
                }
                let mut v = json!({"id": Self::tech_id(i), "name": format!("Tech {i}"),
                    "skills": skills,
                    "home": {"lat": SITE.0 + t.offset.0, "lon": SITE.1 + t.offset.1},
                    "calendar": CALENDARS[t.calendar], "hourly_cost": format!("{}", 20 + 7 * i),
                    "max_hours_per_day": 8, "active": t.active});
                if let Some(terr) = t.territory {
                    v["territory"] = json!(TERRITORIES[terr]);
                }
                if let Some(m) = t.max_jobs {
                    v["max_jobs_per_day"] = json!(m);
                }
                v
            })
            .collect();
        let required: Vec<Value> = SKILLS
            .iter()
            .zip(self.required)
            .filter(|(_, l)| *l > 0)
            .map(|(s, l)| json!({"skill": s, "min_level": l}))
            .collect();
        let mut customer = json!({"id": "C-1", "name": "Acme", "tier": "gold",
            "time_zone": "Europe/Berlin", "location": {"lat": SITE.0, "lon": SITE.1},
            "excluded_technicians": self.excluded.iter().filter(|&&i| i < n)
                .map(|&i| Self::tech_id(i)).collect::<Vec<_>>()});
        if let Some(terr) = self.territory {
            customer["territory"] = json!(TERRITORIES[terr]);
        }
        let at = self.at();
        let mut order = json!({"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
            "priority": "normal", "created_at": "2027-03-01T00:00:00Z",
            "lines": [{"kind": "task", "task": "JOB", "quantity": format!("{}", self.duration_hours),
                       "unit_price": "0"}]});
        if let Some(h) = self.due_hours {
            order["due"] = json!(at + Duration::hours(h));
        }
        if let Some(p) = self.pinned.filter(|&p| p < n) {
            order["required_technician"] = json!(Self::tech_id(p));
            order["pinned_start"] = json!(at + Duration::hours(3));
        }
        if let Some(p) = self.preferred.filter(|&p| p < n) {
            order["preferred_technician"] = json!(Self::tech_id(p));
        }
        json!({
            "calendars": calendars(),
            "customers": [customer],
            "tasks": [{"code": "JOB", "description": "Job", "duration_minutes": 60,
                       "required_skills": required}],
            "technicians": techs,
            "orders": [order]
        })
    }

    fn workload(&self, model: &Model) -> Workload {
        let mut w = Workload::default();
        for (i, t) in self.techs.iter().enumerate() {
            if let Some((day, jobs, minutes)) = t.load {
                let cal = model
                    .calendar(&CALENDARS[t.calendar].into())
                    .unwrap()
                    .time_zone
                    .tz()
                    .unwrap();
                let date = self.at().with_timezone(&cal).date_naive() + Duration::days(day);
                w.add(
                    Self::tech_id(i).into(),
                    date,
                    DayLoad::new(jobs, f64::from(minutes)),
                );
            }
        }
        w
    }

    fn policy(&self) -> DispatchPolicy {
        let mut p = DispatchPolicy::default();
        let t = self.toggles;
        p.work_rules.skills = t[0];
        p.work_rules.territory = t[1];
        p.work_rules.availability = t[2];
        p.work_rules.excluded_technicians = t[3];
        p.work_rules.required_technician = t[4];
        p.work_rules.daily_limits = t[5];
        p.work_rules.horizon_days = self.horizon_days;
        p.work_rules.max_break_minutes = self.max_break_minutes;
        p.weights = Weights::zero();
        for (o, w) in Objective::ALL.iter().zip(self.weights) {
            p.weights.set(*o, f64::from(w));
        }
        p
    }
}

/// Whether a calendar is open at instant `t`, as the SLA engine's business-time arithmetic
/// (`fieldwork::calendar`) sees it: the reference uses the other engine's calendar semantics.
fn open_at(calendars: &HashMap<&str, CompiledCalendar>, calendar: &str, t: i64) -> bool {
    calendars[calendar]
        .is_open(DateTime::from_timestamp(t, 0).unwrap())
        .unwrap()
}

/// A simple reference implementation of the work rules: the static rules as plain boolean
/// logic, availability and daily capacity by sampling the calendar minute by minute.
struct Reference<'a> {
    world: &'a World,
    model: &'a Model,
    workload: &'a Workload,
    policy: DispatchPolicy,
    calendars: HashMap<&'static str, CompiledCalendar>,
}

impl Reference<'_> {
    fn window(&self) -> (i64, i64) {
        let at = self.world.at().timestamp();
        let n = self.world.techs.len();
        if self.world.pinned.is_some_and(|p| p < n) {
            let p = at + 3 * 3600;
            return (p, p);
        }
        let cap = at + i64::from(self.policy.work_rules.horizon_days) * 86_400;
        match self.world.due_hours.map(|h| at + h * 3600) {
            Some(due) if due >= at => (at, due.min(cap)),
            _ => (at, cap),
        }
    }

    fn travel(&self, i: usize) -> (f64, f64) {
        let t = &self.world.techs[i];
        let model = TravelModel::great_circle(&self.policy.travel);
        let home = model.place(Location::new(SITE.0 + t.offset.0, SITE.1 + t.offset.1));
        let trip = model.between(&home, &model.place(Location::new(SITE.0, SITE.1)));
        (trip.km, trip.minutes)
    }

    /// The static rules (everything but the calendar and the per-day capacity).
    fn static_ok(&self, i: usize) -> bool {
        let w = self.world;
        let t = &w.techs[i];
        let r = &self.policy.work_rules;
        let n = w.techs.len();
        let (km, minutes) = self.travel(i);
        let duration = f64::from(w.duration_hours) * 60.0;
        t.active
            && !(r.required_technician && w.pinned.is_some_and(|p| p < n && p != i))
            && !(r.excluded_technicians && w.excluded.contains(&i))
            && !(r.skills && (0..2).any(|s| t.levels[s] < w.required[s]))
            && !(r.territory && w.territory.is_some() && t.territory != w.territory)
            && km <= 80.0
            && !(r.daily_limits && (t.max_jobs == Some(0) || duration + minutes > 480.0))
    }

    /// The local date of `t` in calendar `cal`'s zone.
    fn local_date(&self, cal: &str, t: i64) -> NaiveDate {
        let tz: Tz = self
            .model
            .calendar(&cal.into())
            .unwrap()
            .time_zone
            .tz()
            .unwrap();
        DateTime::from_timestamp(t, 0)
            .unwrap()
            .with_timezone(&tz)
            .date_naive()
    }

    /// Whether technician calendar `cal` is working time at `from + 60 j` for `j < n`: open,
    /// or inside a break — a closed run shorter than the policy's `max_break_minutes` between
    /// two open minutes of one local day (calendar boundaries are whole minutes, so one sample
    /// stands for its minute). The samples extend a break's length beyond both ends to see
    /// whole gaps.
    fn working(&self, cal: &str, from: i64, n: usize) -> Vec<bool> {
        let max_gap = i64::from(self.policy.work_rules.max_break_minutes) * 60;
        let margin = (max_gap / 60 + 1) as usize;
        let first = from - 60 * margin as i64;
        let open: Vec<bool> = (0..n + 2 * margin)
            .map(|j| open_at(&self.calendars, cal, first + 60 * j as i64))
            .collect();
        let mut work = open.clone();
        let mut j = 0;
        while j < open.len() {
            if open[j] {
                j += 1;
                continue;
            }
            let gap_start = j;
            while j < open.len() && !open[j] {
                j += 1;
            }
            let (before, after) = (gap_start.checked_sub(1), (j < open.len()).then_some(j));
            if let (Some(b), Some(a)) = (before, after) {
                let at = |k: usize| first + 60 * k as i64;
                if ((a - gap_start) as i64) * 60 < max_gap
                    && self.local_date(cal, at(b)) == self.local_date(cal, at(a))
                {
                    work[gap_start..a].iter_mut().for_each(|w| *w = true);
                }
            }
        }
        work[margin..margin + n].to_vec()
    }

    /// Whether the technician can start at `c`: working time (open, or a break) from
    /// `c − lead` to `c + duration`, sampled every minute and at the end, and room that day.
    fn feasible(&self, i: usize, c: i64) -> bool {
        let w = self.world;
        let t = &w.techs[i];
        let (_, minutes) = self.travel(i);
        let lead = (minutes * 60.0).ceil() as i64;
        let duration = i64::from(w.duration_hours) * 3600;
        let cal = CALENDARS[t.calendar];
        if self.policy.work_rules.availability {
            let (from, to) = (c - lead, c + duration);
            let n = ((to - from + 59) / 60) as usize;
            if !self.working(cal, from, n).iter().all(|&w| w) || !self.working(cal, to - 1, 1)[0] {
                return false;
            }
        }
        self.feasible_day(i, c)
    }

    /// The earliest start on the minute grid `ws, ws + 60, …, ≤ we` that is feasible: the same
    /// test as [`Self::feasible`], with the calendar sampled once per grid minute.
    fn grid_first(&self, i: usize, ws: i64, we: i64) -> Option<i64> {
        let w = self.world;
        let (_, minutes) = self.travel(i);
        let lead = (minutes * 60.0).ceil() as i64;
        let duration = i64::from(w.duration_hours) * 3600;
        let cal = CALENDARS[w.techs[i].calendar];
        let steps = ((we - ws) / 60 + 1) as usize;
        let per_start = ((lead + duration + 59) / 60) as usize;
        let avail = self.policy.work_rules.availability;
        // closed[j] for samples ws − lead + 60j; prefix sums tell "any closed" per start.
        let samples = steps + per_start;
        let (body, ends) = if avail {
            (
                self.working(cal, ws - lead, samples),
                self.working(cal, ws + duration - 1, steps),
            )
        } else {
            (vec![true; samples], vec![true; steps])
        };
        let mut prefix = vec![0u32; samples + 1];
        for j in 0..samples {
            prefix[j + 1] = prefix[j] + u32::from(!body[j]);
        }
        (0..steps).find_map(|k| {
            let c = ws + 60 * k as i64;
            let body_open = prefix[k + per_start] == prefix[k];
            (body_open && ends[k] && self.feasible_day(i, c)).then_some(c)
        })
    }

    /// The per-day capacity part of [`Self::feasible`].
    fn feasible_day(&self, i: usize, c: i64) -> bool {
        let w = self.world;
        let t = &w.techs[i];
        if !self.policy.work_rules.daily_limits {
            return true;
        }
        let (_, minutes) = self.travel(i);
        let tz: Tz = self
            .model
            .calendar(&CALENDARS[t.calendar].into())
            .unwrap()
            .time_zone
            .tz()
            .unwrap();
        let date: NaiveDate = DateTime::from_timestamp(c, 0)
            .unwrap()
            .with_timezone(&tz)
            .date_naive();
        let load = self.workload.get(&World::tech_id(i).into(), date);
        let needed = f64::from(w.duration_hours) * 60.0 + minutes;
        !(t.max_jobs.is_some_and(|m| load.jobs >= m) || load.minutes + needed > 480.0)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn rankings_are_consistent_and_agree_with_the_reference(world in world()) {
        let model = Model::from_json(&world.dataset().to_string()).unwrap();
        let workload = world.workload(&model);
        let dispatcher = Dispatcher::native(world.policy()).unwrap().with_workload(workload.clone());
        let ctx = dispatcher.context(&model, &[OrderId::new("SO-1")], world.at()).unwrap();
        let o = OrderIx(0);
        let ranking = ctx.rank(o).unwrap();

        // No excluded technician ranks above an eligible one; ranks follow scores.
        let mut seen_excluded = false;
        let mut last = f64::INFINITY;
        for (i, c) in ranking.candidates.iter().enumerate() {
            match &c.verdict {
                Verdict::Eligible(g) => {
                    prop_assert!(!seen_excluded, "eligible {} after an excluded one", c.technician);
                    prop_assert_eq!(c.rank, Some(i + 1));
                    prop_assert!(g.total <= last);
                    last = g.total;
                    let sum: f64 = g.objectives.iter().map(|o| o.contribution).sum();
                    prop_assert_eq!(sum, g.total);
                    prop_assert!((0.0..=100.0).contains(&g.total));
                }
                Verdict::Excluded { exclusions } => {
                    seen_excluded = true;
                    prop_assert!(!exclusions.is_empty());
                }
            }
        }

        let calendars = CALENDARS
            .iter()
            .map(|c| (*c, CompiledCalendar::new(model.calendar(&(*c).into()).unwrap()).unwrap()))
            .collect();
        let reference = Reference { world: &world, model: &model, workload: &workload,
                                    policy: world.policy(), calendars };
        let (ws, we) = reference.window();
        for i in 0..world.techs.len() {
            let t = TechIx(i);
            // The first-failure check agrees with the full list.
            let check = ctx.check(o, t);
            let all = ctx.violations(o, t);
            prop_assert_eq!(check.as_ref().err(), all.first());
            prop_assert_eq!(check.is_ok(), all.is_empty());
            // The candidate index never hides an eligible technician.
            if check.is_ok() {
                prop_assert!(ctx.candidates(o).any(|c| c == t), "T-{} eligible, not a candidate", i);
            }

            // Reference: static rules, then the earliest feasible start on the minute grid.
            let grid = reference.static_ok(i).then(|| reference.grid_first(i, ws, we));
            match (&check, grid) {
                (Ok(a), Some(grid)) => {
                    // The engine's start is feasible, and no grid start before it is.
                    prop_assert!(a.start >= ws && a.start <= we);
                    prop_assert!(reference.feasible(i, a.start), "T-{} start {} infeasible", i, a.start);
                    if let Some(g) = grid {
                        prop_assert!(a.start <= g, "T-{}: engine {} later than grid {}", i, a.start, g);
                    }
                    // The per-pair score is the explained total.
                    let ranked = ranking.candidate(ctx.tech_id(t)).unwrap().score().unwrap();
                    match ctx.evaluate(o, t).unwrap() {
                        Evaluation::Eligible { score, .. } => prop_assert_eq!(score, ranked),
                        Evaluation::Excluded(v) => prop_assert!(false, "{:?}", v),
                    }
                }
                (Err(v), Some(Some(g))) => {
                    prop_assert!(false, "T-{} excluded ({:?}) but the grid finds {}", i, v, g);
                }
                (Ok(_), None) => prop_assert!(false, "T-{} eligible, reference excludes", i),
                _ => {}
            }
        }
    }
}
