//! Explanations: every work rule a pair breaks, in words, and the per-objective grades, weights
//! and contributions of an eligible pair. Only what is shown to a person is explained; the
//! scheduler's hot path never builds strings.

use serde::Serialize;

use super::availability::local_text;
use super::context::{instant, Assessment, OrderFacts, OrderIx, PolicyContext, TechFacts, TechIx};
use super::error::DispatchError;
use super::objectives::Objective;
use super::rules::{
    missing, more_days, number, rule_excluded, rule_required, rule_territory, Exclusion, Kind,
    Violation,
};
use super::travel::Travel;
use super::workload::DayLoad;
use crate::calendar::OpenStretches;

/// One objective's part in a candidate's total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectiveGrade {
    /// Objective name (`travel`, or a custom `score_<name>` objective's `<name>`).
    pub objective: String,
    /// Grade 0–100.
    pub grade: f64,
    /// Weight from the policy.
    pub weight: f64,
    /// grade × weight ÷ the sum of all weights; the contributions add up to the total.
    pub contribution: f64,
    /// What the grade is based on, in words.
    pub detail: String,
}

/// The graded side of an eligible candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grading {
    /// Weighted total, 0–100: the sum of the contributions.
    pub total: f64,
    /// Every objective with a weight, built-in ones first.
    pub objectives: Vec<ObjectiveGrade>,
    /// Earliest feasible start on site.
    pub earliest_start: chrono::DateTime<chrono::Utc>,
    /// Trip from home.
    pub travel: Travel,
}

impl PolicyContext<'_> {
    /// A violation in words.
    pub fn exclusion(&self, o: OrderIx, t: TechIx, v: &Violation) -> Exclusion {
        let (of, tf) = (&self.orders[o.0], &self.techs[t.0]);
        let open = &self.calendars[tf.calendar];
        let travel = self.travel.between(&tf.home, &of.site);
        let needed = Self::needed_minutes(of, &travel);
        let reason = match &v.0 {
            Kind::Inactive { by_profile: false } => "technician is inactive".to_owned(),
            Kind::Inactive { by_profile: true } => {
                "technician_profile() marks the technician unavailable".to_owned()
            }
            Kind::PinnedElsewhere { required } => format!(
                "order is pinned to technician {}",
                self.tech_info[*required as usize].id
            ),
            Kind::Excluded { by_customer: true } => self
                .model
                .order(&of.id)
                .map(|order| format!("customer {} excludes this technician", order.customer))
                .unwrap_or_else(|| "the customer excludes this technician".into()),
            Kind::Excluded { by_customer: false } => {
                "order_profile() excludes this technician".to_owned()
            }
            Kind::MissingSkill {
                skill,
                required,
                has,
            } => self.missing_skill_reason(*skill, *required, *has),
            Kind::NotCertified { skill, required } => {
                self.not_certified_reason(t, of, *skill, *required)
            }
            Kind::OutsideTerritory { territory } => self.territory_reason(t, *territory),
            Kind::SiteClosed => self.site_closed_reason(of),
            Kind::TooFar => self.too_far_reason(of, tf, &travel),
            Kind::NoOpening => self.no_opening_reason(t, of, open, &travel),
            Kind::DailyJobs { day, more_days } => daily_jobs_reason(tf, open, *day, *more_days),
            Kind::DailyMinutes { day, more_days } => {
                daily_minutes_reason(tf, open, needed, *day, *more_days)
            }
            Kind::PartsAndTools(reason) | Kind::Custom(reason) => reason.to_string(),
        };
        Exclusion {
            rule: v.rule(),
            reason,
        }
    }

    /// Why a missing skill excludes: the level required and the level held.
    fn missing_skill_reason(&self, skill: u16, required: u8, has: u8) -> String {
        let name = &self.skills[usize::from(skill)];
        if has == 0 {
            format!("lacks skill {name} level {required} (has none)")
        } else {
            format!("lacks skill {name} level {required} (has {has})")
        }
    }

    /// Why technician `t` is outside the order's territory: the territories it covers.
    fn territory_reason(&self, t: TechIx, territory: u32) -> String {
        let wanted = &self.territories[territory as usize];
        let covers = &self.tech_info[t.0].profile.territories;
        if covers.is_empty() {
            format!("covers no territory; the order is in {wanted}")
        } else {
            let list: Vec<&str> = covers.iter().map(|t| t.as_str()).collect();
            format!("covers {}; the order is in {wanted}", list.join(", "))
        }
    }

    /// Why no certification qualifies within the window: the certificates held and the
    /// window, e.g. `certificate gas level 2 valid 2027-01-01 – 2027-03-15, not on a day of
    /// the window 2027-03-16 08:00 – 2027-03-30 08:00`.
    fn not_certified_reason(&self, t: TechIx, of: &OrderFacts, skill: u16, required: u8) -> String {
        let name = &self.skills[usize::from(skill)];
        let open = &self.calendars[self.techs[t.0].calendar];
        let day = |d: Option<chrono::NaiveDate>, open_end: &str| {
            d.map_or_else(|| open_end.to_owned(), |d| d.to_string())
        };
        let held: Vec<String> = self
            .model
            .technician(&self.tech_info[t.0].id)
            .map(|tech| {
                tech.certifications
                    .iter()
                    .filter(|c| &c.skill == name && c.level >= required)
                    .map(|c| {
                        format!(
                            "{} – {}",
                            day(c.valid_from, "always"),
                            day(c.valid_to, "open-ended")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        format!(
            "nobody certified on that date: certificate {name} level {required} valid {}, not \
             on a day of the window {} – {}",
            held.join(", "),
            local_text(open, of.window_start),
            local_text(open, of.window_end)
        )
    }

    /// The name of the calendar of an order's visiting hours (empty when it has none).
    fn visiting_hours_name(&self, of: &OrderFacts) -> String {
        self.model
            .order(&of.id)
            .and_then(|order| self.model.order_visiting_hours(order))
            .map(|c| c.id.to_string())
            .unwrap_or_default()
    }

    /// Why the site is closed: its visiting hours and the order's window in the site's zone.
    fn site_closed_reason(&self, of: &OrderFacts) -> String {
        let Some(site) = of.site_hours.map(|c| &self.site_calendars[c as usize]) else {
            return "site closed throughout the window".into();
        };
        format!(
            "site closed throughout the window: visiting hours {} hold no {} min opening \
             between {} and {} ({})",
            self.visiting_hours_name(of),
            number(of.duration_minutes),
            local_text(site, of.window_start),
            local_text(site, of.window_end),
            site.zone().name()
        )
    }

    /// Why the trip is too far: the distance and how far beyond the limit it goes.
    fn too_far_reason(&self, of: &OrderFacts, tf: &TechFacts, travel: &Travel) -> String {
        let km = travel.km;
        let limit = self.travel_limit(of, tf).unwrap_or(f64::INFINITY);
        format!(
            "{km:.1} km from home, {:.1} km beyond the {} km limit",
            km - limit,
            number(limit)
        )
    }

    /// Why technician `t`'s calendar has no opening: the time needed and the order's window in
    /// the calendar's zone.
    fn no_opening_reason(
        &self,
        t: TechIx,
        of: &OrderFacts,
        open: &OpenStretches,
        travel: &Travel,
    ) -> String {
        let when = if of.window_start == of.window_end {
            format!("at {}", local_text(open, of.window_start))
        } else {
            format!(
                "between {} and {}",
                local_text(open, of.window_start),
                local_text(open, of.window_end)
            )
        };
        let calendar = self
            .model
            .technician(&self.tech_info[t.0].id)
            .map(|t| t.calendar.to_string())
            .unwrap_or_default();
        let site = match of.site_hours {
            Some(_) => format!(" inside visiting hours {}", self.visiting_hours_name(of)),
            None => String::new(),
        };
        format!(
            "calendar {calendar} has no open time for {} min travel + {} min work{site} \
             starting {when} ({})",
            number(travel.minutes.round()),
            number(of.duration_minutes),
            open.zone().name()
        )
    }

    /// Every built-in work rule a pair breaks (empty when it passes them all), in checking
    /// order. The `eligible` hook is not consulted.
    pub fn violations(&self, o: OrderIx, t: TechIx) -> Vec<Violation> {
        let (of, tf) = (&self.orders[o.0], &self.techs[t.0]);
        let rules = &self.policy.work_rules;
        let mut out = Vec::new();
        if !tf.available {
            out.push(self.inactive(t));
        }
        if rules.required_technician {
            out.extend(rule_required(of, t.0));
        }
        if rules.excluded_technicians {
            out.extend(rule_excluded(of, t.0));
        }
        if rules.skills {
            let levels = self.levels_of(t);
            for &(s, min) in &of.skills {
                let has = levels[usize::from(s)];
                if has < min && !tf.dated.iter().any(|d| d.skill == s && d.level >= min) {
                    out.push(missing(s, min, has));
                }
            }
        }
        if rules.territory {
            out.extend(rule_territory(of, tf));
        }
        if of.site_closed {
            out.push(Violation(Kind::SiteClosed));
        }
        let travel = self.travel.between(&tf.home, &of.site);
        if self.too_far(of, tf, &travel) {
            out.push(Violation(Kind::TooFar));
        }
        let daily = self.daily_static_all(of, tf, &travel);
        let daily_failed = daily.iter().any(Option::is_some);
        out.extend(daily.into_iter().flatten());
        if let Err(v) = self.rule_availability(of, tf, t, &travel) {
            // A job longer than any day is already explained by the daily rule, a site closed
            // throughout the window by the visiting hours rule.
            let explained =
                of.site_closed || (daily_failed && v.rule() != super::WorkRule::Availability);
            if !explained {
                out.push(v);
            }
        }
        out.extend(self.parts_and_tools(o, t));
        out
    }

    /// What the technician's van and depot cannot supply of the order's parts and tools, as a
    /// violation of [`super::WorkRule::PartsAndTools`] (`None` when they supply everything).
    pub fn parts_and_tools(&self, o: OrderIx, t: TechIx) -> Option<Violation> {
        let order = self.model.order(self.order_id(o))?;
        let tech = self.model.technician(self.tech_id(t))?;
        let short = self
            .model
            .stock_shortfall_at(order, tech, self.tech_depot(t))?;
        Some(Violation(Kind::PartsAndTools(short.to_string().into())))
    }

    /// The grades of an eligible pair with weights and contributions; the total is the sum of
    /// the contributions. Calls the `score_<name>` hooks.
    pub fn grading(&self, o: OrderIx, t: TechIx, a: &Assessment) -> Result<Grading, DispatchError> {
        let grades = self.builtin_grades(o, t, a);
        let mut objectives = Vec::new();
        for obj in Objective::ALL {
            let weight = self.policy.weights.get(obj);
            objectives.push(ObjectiveGrade {
                objective: obj.name().to_owned(),
                grade: grades[obj as usize],
                weight,
                contribution: self.weights[obj as usize] * grades[obj as usize],
                detail: self.detail(obj, o, t, a),
            });
        }
        for (i, (name, share)) in self.custom.iter().enumerate() {
            let weight = self.policy.weights.custom_weight(name).unwrap_or(0.0);
            if weight <= 0.0 {
                continue;
            }
            let g = self.custom_grade(i, o, t)?;
            objectives.push(ObjectiveGrade {
                objective: name.clone(),
                grade: g,
                weight,
                contribution: share * g,
                detail: format!("score_{name}(order, tech)"),
            });
        }
        let total = objectives.iter().map(|g| g.contribution).sum();
        Ok(Grading {
            total,
            objectives,
            earliest_start: instant(a.start),
            travel: a.travel,
        })
    }

    fn detail(&self, obj: Objective, o: OrderIx, t: TechIx, a: &Assessment) -> String {
        let (of, tf) = (&self.orders[o.0], &self.techs[t.0]);
        let open = &self.calendars[tf.calendar];
        match obj {
            Objective::SlaUrgency => {
                let delay = (a.start - of.window_start) as f64 / 3600.0;
                format!(
                    "starts {} ({delay:.1} h after the window start, scale {:.1} h)",
                    local_text(open, a.start),
                    of.sla_scale / 3600.0
                )
            }
            Objective::Travel => format!("{:.0} min, {:.1} km", a.travel.minutes, a.travel.km),
            Objective::SkillFit => {
                if of.skills.is_empty() {
                    "no skills required".into()
                } else {
                    let parts: Vec<String> = of
                        .skills
                        .iter()
                        .map(|&(s, min)| {
                            format!(
                                "{} {} (needs {min})",
                                self.skills[usize::from(s)],
                                self.levels_of(t)[usize::from(s)]
                            )
                        })
                        .collect();
                    parts.join(", ")
                }
            }
            Objective::PreferredTechnician => {
                if of.preferred.contains(&t.0) {
                    "preferred".into()
                } else if of.preferred.is_empty() {
                    "no preference".into()
                } else {
                    "not preferred".into()
                }
            }
            Objective::WorkloadBalance => format!(
                "{} of {} min planned on the start day",
                number(a.day_load.minutes.round()),
                number(tf.daily_minutes)
            ),
            Objective::Cost => format!(
                "{:.2}/h × {:.2} h = {:.2}",
                tf.hourly_cost,
                of.duration_minutes / 60.0,
                tf.hourly_cost * of.duration_minutes / 60.0
            ),
        }
    }
}

/// The technician's planned load on calendar day `day` (empty beyond the known days).
fn day_load(tf: &TechFacts, day: u32) -> DayLoad {
    tf.load.get(day as usize).copied().unwrap_or_default()
}

/// Why the daily job limit excludes: no jobs at all, or the jobs already planned on `day`.
fn daily_jobs_reason(tf: &TechFacts, open: &OpenStretches, day: Option<u32>, more: u32) -> String {
    match day {
        None => format!("takes no jobs (limit {} per day)", tf.max_jobs.unwrap_or(0)),
        Some(day) => format!(
            "already {} of {} jobs planned on {}{}",
            day_load(tf, day).jobs,
            tf.max_jobs.unwrap_or(0),
            open.date(day as usize),
            more_days(more as usize)
        ),
    }
}

/// Why the daily minutes limit excludes: the job alone is too long, or it does not fit the
/// minutes already planned on `day`.
fn daily_minutes_reason(
    tf: &TechFacts,
    open: &OpenStretches,
    needed: f64,
    day: Option<u32>,
    more: u32,
) -> String {
    match day {
        None => format!(
            "job needs {} min with travel, more than the {} min daily limit",
            number(needed.round()),
            number(tf.daily_minutes)
        ),
        Some(day) => format!(
            "{}: {} min planned + {} min needed exceeds the {} min daily limit{}",
            open.date(day as usize),
            number(day_load(tf, day).minutes.round()),
            number(needed.round()),
            number(tf.daily_minutes),
            more_days(more as usize)
        ),
    }
}
