//! The explained candidate list of one order: every technician, eligible ones first by total
//! score (ties by technician id), each with its per-objective grades, weights and contributions;
//! then the excluded ones (by id), each with every work rule it breaks and why.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::context::{Evaluation, OrderIx, PolicyContext, TechIx};
use super::engine::Dispatcher;
use super::error::DispatchError;
use super::explain::Grading;
use super::rules::{Exclusion, Kind, Violation};
use crate::model::{Model, OrderId, TechnicianId};

/// Whether a candidate may take the order, with the grading or the reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// Eligible, with its grading.
    Eligible(Grading),
    /// Excluded by one or more work rules.
    Excluded {
        /// Every rule broken, in checking order.
        exclusions: Vec<Exclusion>,
    },
}

/// One technician in a ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// 1-based rank among eligible technicians; `None` when excluded.
    pub rank: Option<usize>,
    /// Technician id.
    pub technician: TechnicianId,
    /// Display name.
    pub name: String,
    /// Grading or exclusions.
    #[serde(flatten)]
    pub verdict: Verdict,
}

impl Candidate {
    /// The total score of an eligible candidate.
    pub fn score(&self) -> Option<f64> {
        match &self.verdict {
            Verdict::Eligible(g) => Some(g.total),
            Verdict::Excluded { .. } => None,
        }
    }

    /// Whether the candidate is eligible.
    pub fn is_eligible(&self) -> bool {
        matches!(self.verdict, Verdict::Eligible(_))
    }
}

/// The ranked candidates of one order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    /// The order.
    pub order: OrderId,
    /// When the ranking was made.
    pub at: DateTime<Utc>,
    /// The order's window: earliest start.
    pub window_start: DateTime<Utc>,
    /// The order's window: latest start.
    pub window_end: DateTime<Utc>,
    /// Work on site, minutes.
    pub duration_minutes: f64,
    /// Every technician: eligible ones by score (best first), then excluded ones.
    pub candidates: Vec<Candidate>,
    /// Technicians the order needs on site together (`technicians_required`).
    pub technicians_required: u32,
    /// For a crew job (`technicians_required` > 1), the best crews: combinations of that many
    /// eligible technicians, best first (at most [`MAX_CREWS_SHOWN`]); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub crews: Vec<Crew>,
}

/// Most crews a [`Ranking`] lists.
pub const MAX_CREWS_SHOWN: usize = 5;

/// Eligible technicians (the best by score) whose combinations are ranked as crews: at most
/// C(12, 6) = 924 combinations for any crew size.
pub const CREW_POOL: usize = 12;

/// One crew for a crew job: technicians who would start together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Crew {
    /// 1-based rank.
    pub rank: usize,
    /// The members, by id.
    pub technicians: Vec<TechnicianId>,
    /// The members' mean score (their scores as single technicians).
    pub score: f64,
    /// The earliest start the crew can make together: the latest of its members' earliest
    /// starts (each alone).
    pub earliest_start: DateTime<Utc>,
    /// Why this crew: its members' scores and how long the first to be free waits.
    pub explanation: String,
}

impl Ranking {
    /// The eligible candidates, best first.
    pub fn eligible(&self) -> impl Iterator<Item = &Candidate> {
        self.candidates.iter().filter(|c| c.is_eligible())
    }

    /// The best candidate, if any is eligible.
    pub fn best(&self) -> Option<&Candidate> {
        self.eligible().next()
    }

    /// A candidate by technician id.
    pub fn candidate(&self, id: &TechnicianId) -> Option<&Candidate> {
        self.candidates.iter().find(|c| &c.technician == id)
    }
}

/// Ranks every technician for one order at instant `at`: "who should take this order, and why?"
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use fieldwork::dispatch::{rank_candidates, Dispatcher};
/// use fieldwork::model::{Model, OrderId};
/// let model = Model::from_json(r#"{
///   "calendars": [{"id": "c", "time_zone": "UTC", "weekly": {"mon": [["08:00","17:00"]]}}],
///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
///                  "location": {"lat": 52.50, "lon": 13.40}}],
///   "tasks": [{"code": "HVAC", "description": "Service", "duration_minutes": 60,
///              "required_skills": [{"skill": "hvac", "min_level": 3}]}],
///   "technicians": [
///     {"id": "T-1", "name": "Ana", "skills": {"hvac": 3}, "home": {"lat": 52.52, "lon": 13.40},
///      "calendar": "c", "hourly_cost": "40", "max_hours_per_day": 8},
///     {"id": "T-2", "name": "Ben", "skills": {"hvac": 2}, "home": {"lat": 52.50, "lon": 13.41},
///      "calendar": "c", "hourly_cost": "30", "max_hours_per_day": 8}],
///   "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
///               "priority": "high", "created_at": "2027-03-01T08:00:00Z",
///               "lines": [{"kind": "task", "task": "HVAC", "quantity": "1", "unit_price": "0"}]}]
/// }"#).unwrap();
/// let at = Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap();
/// let ranking = rank_candidates(&model, &Dispatcher::default(), &OrderId::new("SO-1"), at).unwrap();
/// assert_eq!(ranking.best().unwrap().technician.as_str(), "T-1");
/// let ben = &ranking.candidates[1];
/// assert_eq!(ben.rank, None);
/// assert!(serde_json::to_string(ben).unwrap().contains("lacks skill hvac level 3 (has 2)"));
/// ```
pub fn rank_candidates(
    model: &Model,
    dispatcher: &Dispatcher<'_>,
    order: &OrderId,
    at: DateTime<Utc>,
) -> Result<Ranking, DispatchError> {
    let ctx = dispatcher.context(model, std::slice::from_ref(order), at)?;
    ctx.rank(OrderIx(0))
}

/// The best crews of `n` among the eligible candidates (best first): every combination of the
/// best [`CREW_POOL`] by score, ranked by the members' mean score, then the earliest start
/// together, then the members' ids; the first [`MAX_CREWS_SHOWN`].
fn best_crews(eligible: &[Candidate], n: usize) -> Vec<Crew> {
    let pool: Vec<(&Candidate, &Grading)> = eligible
        .iter()
        .filter_map(|c| match &c.verdict {
            Verdict::Eligible(g) => Some((c, g)),
            Verdict::Excluded { .. } => None,
        })
        .take(CREW_POOL)
        .collect();
    if pool.len() < n || n == 0 {
        return Vec::new();
    }
    let mut crews: Vec<Crew> = Vec::new();
    let mut pick: Vec<usize> = (0..n).collect();
    loop {
        let members: Vec<&(&Candidate, &Grading)> = pick.iter().map(|&i| &pool[i]).collect();
        let score = members.iter().map(|m| m.1.total).sum::<f64>() / n as f64;
        let together = members.iter().map(|m| m.1.earliest_start).max();
        let first = members.iter().map(|m| m.1.earliest_start).min();
        if let (Some(together), Some(first)) = (together, first) {
            let mut technicians: Vec<TechnicianId> =
                members.iter().map(|m| m.0.technician.clone()).collect();
            technicians.sort();
            let scores: Vec<String> = members
                .iter()
                .map(|m| format!("{} {:.1}", m.0.technician, m.1.total))
                .collect();
            let wait = (together - first).num_minutes();
            crews.push(Crew {
                rank: 0,
                technicians,
                score,
                earliest_start: together,
                explanation: format!(
                    "mean score {score:.1} ({}); {}",
                    scores.join(", "),
                    if wait == 0 {
                        "all free at the same time".to_string()
                    } else {
                        format!("the first free waits {wait} min for the others")
                    }
                ),
            });
        }
        // Next combination in lexicographic order.
        let Some(i) = (0..n).rev().find(|&i| pick[i] < pool.len() - n + i) else {
            break;
        };
        pick[i] += 1;
        for k in i + 1..n {
            pick[k] = pick[k - 1] + 1;
        }
    }
    crews.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.earliest_start.cmp(&b.earliest_start))
            .then_with(|| a.technicians.cmp(&b.technicians))
    });
    crews.truncate(MAX_CREWS_SHOWN);
    for (i, c) in crews.iter_mut().enumerate() {
        c.rank = i + 1;
    }
    crews
}

impl PolicyContext<'_> {
    /// The explained ranking of one order of the context.
    pub fn rank(&self, o: OrderIx) -> Result<Ranking, DispatchError> {
        let mut eligible = Vec::new();
        let mut excluded = Vec::new();
        for t in (0..self.technician_count()).map(TechIx) {
            let tech = &self.tech_info[t.0];
            let verdict = match self.check(o, t) {
                Ok(assessment) => {
                    let custom = match &self.hooks {
                        Some(h) => h.eligible(o, t)?,
                        None => None,
                    };
                    let stock = self.parts_and_tools(o, t);
                    match (custom, stock) {
                        (Some(reason), _) => Verdict::Excluded {
                            exclusions: vec![self.exclusion(
                                o,
                                t,
                                &Violation(Kind::Custom(reason.into())),
                            )],
                        },
                        (None, Some(v)) => Verdict::Excluded {
                            exclusions: vec![self.exclusion(o, t, &v)],
                        },
                        (None, None) => Verdict::Eligible(self.grading(o, t, &assessment)?),
                    }
                }
                Err(_) => Verdict::Excluded {
                    exclusions: self
                        .violations(o, t)
                        .iter()
                        .map(|v| self.exclusion(o, t, v))
                        .collect(),
                },
            };
            let candidate = Candidate {
                rank: None,
                technician: tech.id.clone(),
                name: tech.name.clone(),
                verdict,
            };
            if candidate.is_eligible() {
                eligible.push(candidate);
            } else {
                excluded.push(candidate);
            }
        }
        eligible.sort_by(|a, b| {
            let (sa, sb) = (a.score().unwrap_or(0.0), b.score().unwrap_or(0.0));
            sb.total_cmp(&sa)
                .then_with(|| a.technician.cmp(&b.technician))
        });
        excluded.sort_by(|a, b| a.technician.cmp(&b.technician));
        for (i, c) in eligible.iter_mut().enumerate() {
            c.rank = Some(i + 1);
        }
        let (window_start, window_end) = self.window(o);
        let crew = self.crew_size(o);
        let crews = if crew > 1 {
            best_crews(&eligible, crew as usize)
        } else {
            Vec::new()
        };
        eligible.extend(excluded);
        Ok(Ranking {
            order: self.order_id(o).clone(),
            at: self.at(),
            window_start,
            window_end,
            duration_minutes: self.duration_minutes(o),
            candidates: eligible,
            technicians_required: crew,
            crews,
        })
    }

    /// Evaluates every pair of the context: for each order, the eligible technicians and their
    /// scores, best first. A convenience over [`PolicyContext::evaluate`].
    pub fn score_all(&self) -> Result<Vec<Vec<(TechIx, f64)>>, DispatchError> {
        let mut out = Vec::with_capacity(self.order_count());
        for o in (0..self.order_count()).map(OrderIx) {
            let mut row = Vec::new();
            for t in (0..self.technician_count()).map(TechIx) {
                if let Evaluation::Eligible { score, .. } = self.evaluate(o, t)? {
                    row.push((t, score));
                }
            }
            row.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            out.push(row);
        }
        Ok(out)
    }
}
