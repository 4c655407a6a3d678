//! [`PolicyContext`]: the precomputed, native form of a dispatch policy for a batch of orders
//! and all technicians — the object the batch scheduler queries for every (order, technician)
//! pair.
//!
//! Building it runs every per-run, per-order and per-technician step once: the policy hook,
//! the profile hooks, skill and territory interning, locating sites and homes (and their road
//! zones), order windows, calendar expansion (once per distinct calendar), workload indexing.
//! After that a pair query touches only flat arrays: an id comparison or two, a skill-level
//! lookup per required skill, one great-circle formula (or a road-table lookup), two binary
//! searches in the technician's open stretches, and six grade formulas — no allocation and no
//! Rhai call, unless the rule files define the per-pair `eligible`/`score_<name>` hooks.

use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

use super::error::DispatchError;
use super::objectives::{self as grade, Objective};
use super::policy::DispatchPolicy;
use super::profile::{OrderProfile, TechnicianProfile};
use super::rules::{missing, rule_excluded, rule_required, rule_territory, Kind, Violation};
use super::travel::{Place, Travel, TravelModel};
use super::workload::{DayLoad, Workload};
use crate::calendar::OpenStretches;
use crate::model::{Depot, DepotId, Model, OrderId, ServiceOrder, Technician, TechnicianId};

/// Index of an order in a [`PolicyContext`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderIx(pub usize);

/// Index of a technician in a [`PolicyContext`] (the model's technician order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TechIx(pub usize);

/// The per-pair hooks of a rule set, as the context calls them.
pub(crate) trait PairHooks {
    /// `eligible(order, tech)`: `None` when eligible, else the reason.
    fn eligible(&self, order: OrderIx, tech: TechIx) -> Result<Option<String>, DispatchError>;
    /// `score_<name>(order, tech)` for the `objective`-th custom objective: a grade 0–100.
    fn score(&self, objective: usize, order: OrderIx, tech: TechIx) -> Result<f64, DispatchError>;
}

/// What the native rules found for an eligible pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    /// The trip from the technician's home to the site.
    pub travel: Travel,
    /// Earliest feasible start on site, UTC seconds.
    pub start: i64,
    /// Work already planned on the start's local day.
    pub day_load: DayLoad,
}

/// The outcome of evaluating one pair.
#[derive(Debug, Clone, PartialEq)]
pub enum Evaluation {
    /// The technician may take the order; `score` is the weighted total, 0–100.
    Eligible {
        /// Weighted total score, 0–100 (higher is better).
        score: f64,
        /// Travel, start and day load behind the grades.
        assessment: Assessment,
    },
    /// The first work rule the pair breaks.
    Excluded(Violation),
}

pub(crate) struct OrderFacts {
    pub id: OrderId,
    pub profile: OrderProfile,
    pub skills: Vec<(u16, u8)>,
    pub territory: Option<u32>,
    pub preferred: Vec<usize>,
    /// Every excluded technician (customer's and profile's), sorted.
    pub excluded: Vec<usize>,
    /// Those the customer excludes (for explanations).
    pub customer_excluded: Vec<usize>,
    pub required: Option<usize>,
    pub max_travel_km: Option<f64>,
    pub site: Place,
    pub window_start: i64,
    pub window_end: i64,
    pub duration_secs: i64,
    pub duration_minutes: f64,
    /// The shortest part when the job may be split over days (`None`: never split).
    pub min_part_secs: Option<i64>,
    /// Technicians required together on site.
    pub crew: u32,
    pub sla_scale: f64,
    /// The site's visiting hours: an index into `PolicyContext::site_calendars` (`None`: no
    /// restriction, or the `visiting_hours` rule is off).
    pub site_hours: Option<u32>,
    /// The visiting hours hold no opening for the whole job within the window.
    pub site_closed: bool,
}

impl OrderFacts {
    /// The shortest visit the order can be served in: its duration, or its shortest part
    /// when it may be split over days.
    pub(crate) fn shortest_visit_secs(&self) -> i64 {
        self.min_part_secs
            .map_or(self.duration_secs, |p| p.min(self.duration_secs))
    }
}

/// What the per-pair rules read of a technician, kept small so all technicians stay in cache.
pub(crate) struct TechFacts {
    pub available: bool,
    pub hourly_cost: f64,
    /// `max_daily_minutes` + `overtime_minutes` of the technician profile.
    pub daily_minutes: f64,
    pub max_jobs: Option<u32>,
    /// Territories covered with an index below 64, as bits.
    pub territory_mask: u64,
    /// All territories covered (the mask serves the first 64).
    pub territories: Vec<u32>,
    pub home: Place,
    pub max_travel_km: Option<f64>,
    pub calendar: usize,
    /// Dated skills (certifications) of the skills the orders require.
    pub dated: Vec<DatedSkill>,
    /// Planned load per day index of the calendar's span; empty when nothing is planned.
    pub load: Vec<DayLoad>,
}

/// A certification: `skill` at `level` for starts in `[from, to)` (UTC seconds: local midnight
/// of its first day to local midnight after its last, in the technician's calendar zone).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DatedSkill {
    pub skill: u16,
    pub level: u8,
    pub from: i64,
    pub to: i64,
}

/// What explanations read of a technician.
pub(crate) struct TechInfo {
    pub id: TechnicianId,
    pub name: String,
    pub profile: TechnicianProfile,
    /// Where the technician restocks ([`Model::technician_depot`], found once per context).
    pub depot: Option<DepotId>,
}

/// The inputs a context is built from (see [`super::Dispatcher::context`]).
pub(crate) struct ContextInput<'a, 'w> {
    pub model: &'a Model,
    pub policy: DispatchPolicy,
    pub at: DateTime<Utc>,
    pub orders: Vec<(&'a ServiceOrder, OrderProfile)>,
    pub techs: Vec<(&'a Technician, TechnicianProfile)>,
    pub workload: &'w Workload,
    pub custom: Vec<String>,
}

/// The native, precomputed form of a dispatch policy for a batch of orders and every
/// technician of the model. Build it with [`super::Dispatcher::context`].
///
/// # API for the scheduler
///
/// Indices are dense: orders `0..order_count()` in the order they were given, technicians
/// `0..technician_count()` in model order. Per pair, from cheapest to richest:
///
/// * [`check`](Self::check) — native work rules only, stops at the first broken rule;
///   infallible, allocation-free (O(required skills + log stretches)).
/// * [`score`](Self::score) — rules, custom `eligible` hook and the weighted total score in one
///   pass, `None` when excluded: the leanest call for comparing every pair. Fallible only when
///   rule-file hooks run per pair.
/// * [`evaluate`](Self::evaluate) — the same with the travel, earliest start and day load
///   behind the score, or the broken rule.
/// * [`builtin_grades`](Self::builtin_grades), [`grading`](Self::grading) — the per-objective
///   grades of an eligible pair (the latter with weights, contributions and custom objectives).
/// * [`exclusion`](Self::exclusion) — a violation in words (only for what is shown).
///
/// The scheduler may update the planned workload as it assigns orders with
/// [`add_load`](Self::add_load): later queries see the new load in the daily rules and the
/// workload-balance grade. Travel between two orders' sites (for routes) is
/// [`travel_between_orders`](Self::travel_between_orders).
///
/// A context is not `Send`: it may hold the rule set's per-pair hooks, and the rule runtime is
/// single-threaded. Build one per thread when scoring in parallel.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use fieldwork::dispatch::{Dispatcher, Evaluation, OrderIx, TechIx};
/// use fieldwork::model::{Model, OrderId};
/// let model = Model::from_json(r#"{
///   "calendars": [{"id": "c", "time_zone": "UTC", "weekly": {"mon": [["08:00","17:00"]]}}],
///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
///                  "location": {"lat": 52.50, "lon": 13.40}}],
///   "technicians": [{"id": "T-1", "name": "Ana", "home": {"lat": 52.52, "lon": 13.40},
///                    "calendar": "c", "hourly_cost": "40", "max_hours_per_day": 8}],
///   "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
///               "priority": "high", "created_at": "2027-03-01T08:00:00Z",
///               "lines": [{"kind": "hour", "quantity": "1", "unit_price": "0"}]}]
/// }"#).unwrap();
/// let at = Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap();
/// let ctx = Dispatcher::default().context(&model, &[OrderId::new("SO-1")], at).unwrap();
/// assert!(ctx.check(OrderIx(0), TechIx(0)).is_ok());
/// match ctx.evaluate(OrderIx(0), TechIx(0)).unwrap() {
///     Evaluation::Eligible { score, .. } => assert!(score > 50.0),
///     Evaluation::Excluded(v) => panic!("{}", ctx.exclusion(OrderIx(0), TechIx(0), &v).reason),
/// }
/// ```
pub struct PolicyContext<'a> {
    pub(crate) model: &'a Model,
    pub(crate) policy: DispatchPolicy,
    pub(crate) at: i64,
    pub(crate) travel: TravelModel,
    pub(crate) skills: Vec<String>,
    /// Skill levels, technician-major: `levels[t * skills.len() + s]`.
    pub(crate) levels: Vec<u8>,
    pub(crate) territories: Vec<String>,
    pub(crate) orders: Vec<OrderFacts>,
    pub(crate) order_index: HashMap<OrderId, usize>,
    pub(crate) techs: Vec<TechFacts>,
    pub(crate) tech_info: Vec<TechInfo>,
    pub(crate) tech_index: HashMap<TechnicianId, usize>,
    pub(crate) calendars: Vec<OpenStretches>,
    /// Sites' visiting hours, each distinct calendar expanded once over the span.
    pub(crate) site_calendars: Vec<OpenStretches>,
    /// Built-in weights divided by the total weight.
    pub(crate) weights: [f64; Objective::COUNT],
    /// Custom objectives and their weights divided by the total weight.
    pub(crate) custom: Vec<(String, f64)>,
    pub(crate) hooks: Option<Box<dyn PairHooks + 'a>>,
    /// The available technicians, ascending (see [`PolicyContext::candidates`]).
    pub(crate) available_techs: Vec<u32>,
    /// Per territory index, the available technicians who cover it, ascending.
    pub(crate) territory_techs: Vec<Vec<u32>>,
}

/// The technicians an index lookup leaves for an order (see [`PolicyContext::candidates`]).
#[derive(Debug, Clone)]
pub struct Candidates<'c> {
    list: std::slice::Iter<'c, u32>,
}

impl Iterator for Candidates<'_> {
    type Item = TechIx;

    fn next(&mut self) -> Option<TechIx> {
        self.list.next().map(|&t| TechIx(t as usize))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.list.size_hint()
    }
}

impl<'a> PolicyContext<'a> {
    /// The policy in force.
    pub fn policy(&self) -> &DispatchPolicy {
        &self.policy
    }

    /// The model.
    pub fn model(&self) -> &'a Model {
        self.model
    }

    /// The instant the context was built for ("now").
    pub fn at(&self) -> DateTime<Utc> {
        instant(self.at)
    }

    /// Number of orders.
    pub fn order_count(&self) -> usize {
        self.orders.len()
    }

    /// Number of technicians.
    pub fn technician_count(&self) -> usize {
        self.techs.len()
    }

    /// An order's index.
    pub fn order_ix(&self, id: &OrderId) -> Option<OrderIx> {
        self.order_index.get(id).copied().map(OrderIx)
    }

    /// A technician's index.
    pub fn tech_ix(&self, id: &TechnicianId) -> Option<TechIx> {
        self.tech_index.get(id).copied().map(TechIx)
    }

    /// An order's id.
    pub fn order_id(&self, o: OrderIx) -> &OrderId {
        &self.orders[o.0].id
    }

    /// A technician's id.
    pub fn tech_id(&self, t: TechIx) -> &TechnicianId {
        &self.tech_info[t.0].id
    }

    /// Where a technician restocks ([`Model::technician_depot`], found once when the context
    /// was built; `None` without depots).
    pub fn tech_depot(&self, t: TechIx) -> Option<&'a Depot> {
        let model: &'a Model = self.model;
        self.tech_info[t.0]
            .depot
            .as_ref()
            .and_then(|id| model.depot(id))
    }

    /// The profile an order was graded with (after the `order_profile` hook).
    pub fn order_profile(&self, o: OrderIx) -> &OrderProfile {
        &self.orders[o.0].profile
    }

    /// The profile a technician was graded with (after the `technician_profile` hook).
    pub fn technician_profile(&self, t: TechIx) -> &TechnicianProfile {
        &self.tech_info[t.0].profile
    }

    /// An order's window: earliest and latest start.
    pub fn window(&self, o: OrderIx) -> (DateTime<Utc>, DateTime<Utc>) {
        let f = &self.orders[o.0];
        (instant(f.window_start), instant(f.window_end))
    }

    /// An order's duration on site, minutes.
    pub fn duration_minutes(&self, o: OrderIx) -> f64 {
        self.orders[o.0].duration_minutes
    }

    /// The shortest part of an order that may be split over consecutive working days,
    /// minutes (the order's `min_part_minutes`, else the policy's); `None` when it may not be
    /// split (`split: false`, a crew job, or no `min_part_minutes` in the policy).
    pub fn min_part_minutes(&self, o: OrderIx) -> Option<f64> {
        self.orders[o.0].min_part_secs.map(|s| s as f64 / 60.0)
    }

    /// The technicians an order needs on site together (`technicians_required`, 1 for most).
    pub fn crew_size(&self, o: OrderIx) -> u32 {
        self.orders[o.0].crew
    }

    /// The trip from a technician's home to an order's site.
    pub fn travel_from_home(&self, o: OrderIx, t: TechIx) -> Travel {
        self.travel
            .between(&self.techs[t.0].home, &self.orders[o.0].site)
    }

    /// The trip between two orders' sites.
    pub fn travel_between_orders(&self, from: OrderIx, to: OrderIx) -> Travel {
        self.travel
            .between(&self.orders[from.0].site, &self.orders[to.0].site)
    }

    /// The travel model.
    pub fn travel_model(&self) -> &TravelModel {
        &self.travel
    }

    /// Adds planned work to a technician's local day (as the scheduler assigns orders). Days
    /// outside the span of the batch's windows are ignored.
    pub fn add_load(&mut self, t: TechIx, date: NaiveDate, load: DayLoad) {
        let tech = &mut self.techs[t.0];
        let open = &self.calendars[tech.calendar];
        if let Some(d) = open.day_of_date(date) {
            if tech.load.is_empty() {
                tech.load = vec![DayLoad::default(); open.day_count()];
            }
            tech.load[d] += load;
        }
    }

    /// A technician's open working time `[start, end)` in UTC seconds over the span of the
    /// batch's windows, sorted and disjoint (the batch scheduler builds its shifts from it).
    pub fn open_stretches(&self, t: TechIx) -> &[(i64, i64)] {
        self.calendars[self.techs[t.0].calendar].stretches()
    }

    /// The site's visiting hours of an order `[start, end)` in UTC seconds over the span of the
    /// batch's windows, sorted and disjoint; `None` when the site takes visits whenever the
    /// technician works (no `visiting_hours`, or the `visiting_hours` work rule is off). Every
    /// visit must lie inside one of them, whole.
    pub fn visiting_hours(&self, o: OrderIx) -> Option<&[(i64, i64)]> {
        self.orders[o.0]
            .site_hours
            .map(|c| self.site_calendars[c as usize].stretches())
    }

    /// Whether technician `t` holds every skill order `o` requires at a start `at` (their
    /// `skills` levels, or certifications valid on that local date); always true when the
    /// skills rule is off.
    pub fn qualified_at(&self, o: OrderIx, t: TechIx, at: DateTime<Utc>) -> bool {
        if !self.policy.work_rules.skills {
            return true;
        }
        let (of, tf) = (&self.orders[o.0], &self.techs[t.0]);
        let levels = self.levels_of(t);
        let at = at.timestamp();
        of.skills.iter().all(|&(s, min)| {
            levels[usize::from(s)] >= min
                || tf
                    .dated
                    .iter()
                    .any(|d| d.skill == s && d.level >= min && d.from <= at && at < d.to)
        })
    }

    /// The spans of starts in which technician `t`'s certifications qualify them for order `o`
    /// (sorted, disjoint), `None` when their undated skills do (or the skills rule is off).
    /// O(r · c²) for r required skills and c certifications.
    pub(crate) fn certified_spans(
        &self,
        of: &OrderFacts,
        tf: &TechFacts,
        t: TechIx,
    ) -> Option<Vec<(i64, i64)>> {
        if tf.dated.is_empty() || !self.policy.work_rules.skills {
            return None;
        }
        let levels = self.levels_of(t);
        let mut spans: Option<Vec<(i64, i64)>> = None;
        for &(s, min) in &of.skills {
            if levels[usize::from(s)] >= min {
                continue;
            }
            let mut these: Vec<(i64, i64)> = tf
                .dated
                .iter()
                .filter(|d| d.skill == s && d.level >= min)
                .map(|d| (d.from, d.to))
                .collect();
            these.sort_unstable();
            let mut merged: Vec<(i64, i64)> = Vec::with_capacity(these.len());
            for (a, b) in these {
                match merged.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            spans = Some(match spans {
                None => merged,
                Some(before) => {
                    let mut both = Vec::new();
                    for &(a, b) in &before {
                        for &(c, d) in &merged {
                            let (lo, hi) = (a.max(c), b.min(d));
                            if lo < hi {
                                both.push((lo, hi));
                            }
                        }
                    }
                    both.sort_unstable();
                    both
                }
            });
        }
        spans
    }

    /// The local date (in the technician's calendar zone) of an instant.
    pub fn local_date(&self, t: TechIx, at: DateTime<Utc>) -> NaiveDate {
        self.calendars[self.techs[t.0].calendar].local_date(at.timestamp())
    }

    /// Whether per-pair Rhai hooks (`eligible`, `score_<name>`) take part.
    pub fn has_pair_hooks(&self) -> bool {
        self.hooks.is_some()
    }

    /// The technicians that may be eligible for an order, ascending: a superset of those
    /// [`check`](Self::check) accepts, found by index instead of by testing every technician.
    /// Active technicians only; the required technician alone when the pinned-technician rule
    /// applies; those who cover the order's territory when the territory rule applies.
    /// O(1) to get, O(candidates) to walk — a scan for the eligible technicians of every order
    /// costs Σ candidates rather than orders × technicians.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use fieldwork::dispatch::{Dispatcher, OrderIx, TechIx};
    /// # use fieldwork::model::{Model, OrderId};
    /// # let model = Model::from_json(r#"{
    /// #   "calendars": [{"id": "c", "time_zone": "UTC", "weekly": {"mon": [["08:00","17:00"]]}}],
    /// #   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
    /// #                  "location": {"lat": 52.50, "lon": 13.40}}],
    /// #   "technicians": [{"id": "T-1", "name": "Ana", "home": {"lat": 52.52, "lon": 13.40},
    /// #                    "calendar": "c", "hourly_cost": "40", "max_hours_per_day": 8}],
    /// #   "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
    /// #               "priority": "high", "created_at": "2027-03-01T08:00:00Z",
    /// #               "lines": [{"kind": "hour", "quantity": "1", "unit_price": "0"}]}]
    /// # }"#).unwrap();
    /// # let at = Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap();
    /// let ctx = Dispatcher::default().context(&model, &[OrderId::new("SO-1")], at).unwrap();
    /// let eligible: Vec<TechIx> = ctx
    ///     .candidates(OrderIx(0))
    ///     .filter(|&t| ctx.check(OrderIx(0), t).is_ok())
    ///     .collect();
    /// assert_eq!(eligible, vec![TechIx(0)]);
    /// ```
    pub fn candidates(&self, o: OrderIx) -> Candidates<'_> {
        let of = &self.orders[o.0];
        let rules = &self.policy.work_rules;
        let all = &self.available_techs;
        let list: &[u32] = match (
            rules.required_technician.then_some(of.required).flatten(),
            of.territory,
        ) {
            (Some(r), _) => match all.binary_search(&(r as u32)) {
                Ok(i) => &all[i..=i],
                Err(_) => &[],
            },
            (None, Some(territory)) if rules.territory => self
                .territory_techs
                .get(territory as usize)
                .map_or(&[][..], Vec::as_slice),
            _ => all,
        };
        Candidates { list: list.iter() }
    }

    /// Native work rules only, first broken rule (the `eligible` hook is not called).
    #[inline]
    pub fn check(&self, o: OrderIx, t: TechIx) -> Result<Assessment, Violation> {
        let (of, tf) = (&self.orders[o.0], &self.techs[t.0]);
        let rules = &self.policy.work_rules;
        if !tf.available {
            return Err(self.inactive(t));
        }
        if rules.required_technician {
            if let Some(v) = rule_required(of, t.0) {
                return Err(v);
            }
        }
        if rules.excluded_technicians {
            if let Some(v) = rule_excluded(of, t.0) {
                return Err(v);
            }
        }
        if rules.skills {
            let levels = self.levels_of(t);
            for &(s, min) in &of.skills {
                let has = levels[usize::from(s)];
                // A dated certification may still qualify: on which days is availability's.
                if has < min && !tf.dated.iter().any(|d| d.skill == s && d.level >= min) {
                    return Err(missing(s, min, has));
                }
            }
        }
        if rules.territory {
            if let Some(v) = rule_territory(of, tf) {
                return Err(v);
            }
        }
        if of.site_closed {
            return Err(Violation(Kind::SiteClosed));
        }
        let travel = self.travel.between(&tf.home, &of.site);
        if self.too_far(of, tf, &travel) {
            return Err(Violation(Kind::TooFar));
        }
        if let Some(v) = self.daily_static(of, tf, &travel) {
            return Err(v);
        }
        self.rule_availability(of, tf, t, &travel)
    }

    /// Evaluates a pair: native rules, then the `eligible` hook, then the weighted score
    /// (native grades plus `score_<name>` hooks). This is the per-pair call of the scheduler.
    #[inline]
    pub fn evaluate(&self, o: OrderIx, t: TechIx) -> Result<Evaluation, DispatchError> {
        let assessment = match self.check(o, t) {
            Ok(a) => a,
            Err(v) => return Ok(Evaluation::Excluded(v)),
        };
        if let Some(hooks) = &self.hooks {
            return self.evaluate_with_hooks(hooks.as_ref(), o, t, assessment);
        }
        Ok(Evaluation::Eligible {
            score: self.builtin_score(o, t, &assessment),
            assessment,
        })
    }

    /// The weighted total score of a pair, or `None` when a work rule (or the `eligible`
    /// hook) excludes it: the leanest per-pair call, for a scheduler that only needs to compare
    /// candidates (use [`evaluate`](Self::evaluate) for the start and travel behind the score,
    /// [`check`](Self::check) for the broken rule).
    #[inline]
    pub fn score(&self, o: OrderIx, t: TechIx) -> Result<Option<f64>, DispatchError> {
        let Ok(assessment) = self.check(o, t) else {
            return Ok(None);
        };
        match &self.hooks {
            None => Ok(Some(self.builtin_score(o, t, &assessment))),
            Some(hooks) => Ok(
                match self.evaluate_with_hooks(hooks.as_ref(), o, t, assessment)? {
                    Evaluation::Eligible { score, .. } => Some(score),
                    Evaluation::Excluded(_) => None,
                },
            ),
        }
    }

    #[inline]
    fn builtin_score(&self, o: OrderIx, t: TechIx, a: &Assessment) -> f64 {
        let grades = self.builtin_grades(o, t, a);
        let mut score = 0.0;
        for (g, w) in grades.iter().zip(self.weights) {
            score += w * g;
        }
        score
    }

    #[cold]
    fn evaluate_with_hooks(
        &self,
        hooks: &dyn PairHooks,
        o: OrderIx,
        t: TechIx,
        assessment: Assessment,
    ) -> Result<Evaluation, DispatchError> {
        if let Some(reason) = hooks.eligible(o, t)? {
            return Ok(Evaluation::Excluded(Violation(Kind::Custom(reason.into()))));
        }
        let mut score = self.builtin_score(o, t, &assessment);
        for (i, (_, w)) in self.custom.iter().enumerate() {
            if *w > 0.0 {
                score += w * hooks.score(i, o, t)?;
            }
        }
        Ok(Evaluation::Eligible { score, assessment })
    }

    /// The skill levels of a technician, indexed by the context's skill index.
    #[inline]
    pub(crate) fn levels_of(&self, t: TechIx) -> &[u8] {
        let n = self.skills.len();
        &self.levels[t.0 * n..(t.0 + 1) * n]
    }

    /// The six built-in grades of an eligible pair, in [`Objective::ALL`] order.
    #[inline]
    pub fn builtin_grades(&self, o: OrderIx, t: TechIx, a: &Assessment) -> [f64; Objective::COUNT] {
        let (of, tf) = (&self.orders[o.0], &self.techs[t.0]);
        let scales = &self.policy.scales;
        let levels = self.levels_of(t);
        let mut excess = 0u32;
        for &(s, min) in &of.skills {
            excess += u32::from(levels[usize::from(s)].saturating_sub(min));
        }
        let cost = tf.hourly_cost * of.duration_minutes / 60.0;
        [
            grade::grade_sla_urgency((a.start - of.window_start) as f64, of.sla_scale),
            grade::grade_travel(a.travel.minutes, scales),
            grade::grade_skill_fit(excess, of.skills.len(), scales),
            grade::grade_preferred(of.preferred.contains(&t.0)),
            grade::grade_workload(a.day_load.minutes, tf.daily_minutes),
            grade::grade_cost(cost, scales),
        ]
    }

    /// The grade of the `i`-th custom objective (calls its `score_<name>` hook).
    pub(crate) fn custom_grade(
        &self,
        i: usize,
        o: OrderIx,
        t: TechIx,
    ) -> Result<f64, DispatchError> {
        match &self.hooks {
            Some(hooks) => hooks.score(i, o, t),
            None => Ok(0.0),
        }
    }
}

pub(crate) fn instant(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}
