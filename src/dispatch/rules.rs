//! The hard work rules: their names, the checks of one (order, technician) pair, the compact
//! [`Violation`] the per-pair hot path returns (no allocation), and the human [`Exclusion`] an
//! explanation shows.
//!
//! Rules are checked in the order of [`WorkRule::ALL`]; the hot path stops at the first rule a
//! pair breaks, an explanation lists every built-in rule it breaks. The `eligible(order, tech)`
//! hook runs last, only for pairs that pass every built-in rule.

use serde::Serialize;
use std::fmt;

use super::availability::find_start;
use super::availability::{Fit, FitRequest};
use super::context::{Assessment, OrderFacts, PolicyContext, TechFacts, TechIx};
use super::travel::Travel;
use super::workload::DayLoad;

/// A hard work rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkRule {
    /// The technician is active (and `technician_profile` does not mark it unavailable).
    Active,
    /// An order pinned to a technician goes to that technician only.
    RequiredTechnician,
    /// The customer (or the order profile) excludes the technician.
    ExcludedTechnician,
    /// The technician holds every required skill at its minimum level.
    Skills,
    /// The technician covers the order's territory (orders without one pass).
    Territory,
    /// The site's visiting hours hold the whole job somewhere in the order's window (whoever
    /// does it; the availability rule then needs the technician's time and the site's to
    /// overlap).
    VisitingHours,
    /// The road distance from home to the site is within the travel limit.
    MaxTravelDistance,
    /// The technician's calendar is open for travel and the whole job, starting within the
    /// order's window.
    Availability,
    /// A day with a free job slot (jobs already planned + 1 ≤ the daily limit).
    MaxJobsPerDay,
    /// A day with room for the job and its travel (minutes already planned + needed ≤ limit).
    MaxHoursPerDay,
    /// The van, or the van and the technician's depot, can supply the order's parts and tools
    /// (see `docs/dataset.md`, "Parts and tools"). Checked by the scheduler and explained in
    /// rankings; the per-pair hot path of [`super::PolicyContext::check`] does not test it.
    PartsAndTools,
    /// The rule file's `eligible(order, tech)` hook.
    Custom,
}

impl WorkRule {
    /// Every rule, in checking order.
    pub const ALL: [WorkRule; 12] = [
        WorkRule::Active,
        WorkRule::RequiredTechnician,
        WorkRule::ExcludedTechnician,
        WorkRule::Skills,
        WorkRule::Territory,
        WorkRule::VisitingHours,
        WorkRule::MaxTravelDistance,
        WorkRule::MaxJobsPerDay,
        WorkRule::MaxHoursPerDay,
        WorkRule::Availability,
        WorkRule::PartsAndTools,
        WorkRule::Custom,
    ];

    /// The snake-case name used in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            WorkRule::Active => "active",
            WorkRule::RequiredTechnician => "required_technician",
            WorkRule::ExcludedTechnician => "excluded_technician",
            WorkRule::Skills => "skills",
            WorkRule::Territory => "territory",
            WorkRule::VisitingHours => "visiting_hours",
            WorkRule::MaxTravelDistance => "max_travel_distance",
            WorkRule::Availability => "availability",
            WorkRule::MaxJobsPerDay => "max_jobs_per_day",
            WorkRule::MaxHoursPerDay => "max_hours_per_day",
            WorkRule::PartsAndTools => "parts_and_tools",
            WorkRule::Custom => "eligible",
        }
    }
}

impl fmt::Display for WorkRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a pair is not eligible, in compact form (indices into the [`super::PolicyContext`]);
/// turn it into words with [`super::PolicyContext::exclusion`].
#[derive(Debug, Clone, PartialEq)]
pub struct Violation(pub(crate) Kind);

/// Kept to 24 bytes so the per-pair hot path moves little: details that an explanation needs
/// (distances, loads, limits) are recomputed when the violation is put into words.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Inactive {
        by_profile: bool,
    },
    PinnedElsewhere {
        required: u32,
    },
    Excluded {
        by_customer: bool,
    },
    MissingSkill {
        skill: u16,
        required: u8,
        has: u8,
    },
    /// Only a certification qualifies, and none is valid on a day of the window.
    NotCertified {
        skill: u16,
        required: u8,
    },
    OutsideTerritory {
        territory: u32,
    },
    /// The site's visiting hours never hold the job within the window.
    SiteClosed,
    TooFar,
    NoOpening,
    /// `day`: index of the first full day in the calendar span (`None`: fails on any day).
    DailyJobs {
        day: Option<u32>,
        more_days: u32,
    },
    DailyMinutes {
        day: Option<u32>,
        more_days: u32,
    },
    /// The order's parts or tools (the shortfall in words).
    PartsAndTools(Box<str>),
    Custom(Box<str>),
}

impl Violation {
    /// Whether the technician would qualify by a dated certification, but on no day of the
    /// window ("nobody certified on that date").
    pub fn lacks_certification(&self) -> bool {
        matches!(self.0, Kind::NotCertified { .. })
    }

    /// The rule broken.
    pub fn rule(&self) -> WorkRule {
        match &self.0 {
            Kind::Inactive { .. } => WorkRule::Active,
            Kind::PinnedElsewhere { .. } => WorkRule::RequiredTechnician,
            Kind::Excluded { .. } => WorkRule::ExcludedTechnician,
            Kind::MissingSkill { .. } | Kind::NotCertified { .. } => WorkRule::Skills,
            Kind::OutsideTerritory { .. } => WorkRule::Territory,
            Kind::SiteClosed => WorkRule::VisitingHours,
            Kind::TooFar => WorkRule::MaxTravelDistance,
            Kind::NoOpening => WorkRule::Availability,
            Kind::DailyJobs { .. } => WorkRule::MaxJobsPerDay,
            Kind::DailyMinutes { .. } => WorkRule::MaxHoursPerDay,
            Kind::PartsAndTools(_) => WorkRule::PartsAndTools,
            Kind::Custom(_) => WorkRule::Custom,
        }
    }
}

/// A work rule that excludes a technician, with the reason in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    /// The rule.
    pub rule: WorkRule,
    /// Why, for a dispatcher (e.g. `lacks skill hvac level 3 (has 2)`).
    pub reason: String,
}

impl PolicyContext<'_> {
    #[cold]
    pub(crate) fn inactive(&self, t: TechIx) -> Violation {
        Violation(Kind::Inactive {
            by_profile: self
                .model
                .technician(&self.tech_info[t.0].id)
                .is_some_and(|t| t.active),
        })
    }

    /// The travel limit of a pair: the order's (or the policy's), capped by the technician's
    /// personal limit; `None` for no limit.
    #[inline]
    pub(crate) fn travel_limit(&self, of: &OrderFacts, tf: &TechFacts) -> Option<f64> {
        let base = of.max_travel_km.or(self.policy.work_rules.max_travel_km);
        match (base, tf.max_travel_km) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    #[inline]
    pub(crate) fn too_far(&self, of: &OrderFacts, tf: &TechFacts, travel: &Travel) -> bool {
        self.travel_limit(of, tf)
            .is_some_and(|limit| travel.km > limit)
    }

    /// Minutes a job needs in a day: work plus travel from home.
    #[inline]
    pub(crate) fn needed_minutes(of: &OrderFacts, travel: &Travel) -> f64 {
        of.duration_minutes + travel.minutes
    }

    /// The first daily limit that fails whatever the day: a zero job limit, then a job (with
    /// travel) longer than the day.
    #[inline]
    pub(crate) fn daily_static(
        &self,
        of: &OrderFacts,
        tf: &TechFacts,
        travel: &Travel,
    ) -> Option<Violation> {
        self.daily_static_all(of, tf, travel)
            .into_iter()
            .flatten()
            .next()
    }

    /// Both static daily limits (for explanations).
    #[inline]
    pub(crate) fn daily_static_all(
        &self,
        of: &OrderFacts,
        tf: &TechFacts,
        travel: &Travel,
    ) -> [Option<Violation>; 2] {
        if !self.policy.work_rules.daily_limits {
            return [None, None];
        }
        let jobs = (tf.max_jobs == Some(0)).then_some(Violation(Kind::DailyJobs {
            day: None,
            more_days: 0,
        }));
        // A job that may be split over days needs its shortest part in one day.
        let shortest = (of.shortest_visit_secs() as f64 / 60.0) + travel.minutes;
        let minutes = (shortest > tf.daily_minutes).then_some(Violation(Kind::DailyMinutes {
            day: None,
            more_days: 0,
        }));
        [jobs, minutes]
    }

    /// Availability and the per-day limits: the earliest start in an open stretch of the
    /// window on a day with room.
    pub(crate) fn rule_availability(
        &self,
        of: &OrderFacts,
        tf: &TechFacts,
        t: TechIx,
        travel: &Travel,
    ) -> Result<Assessment, Violation> {
        let open = &self.calendars[tf.calendar];
        let site = of.site_hours.map(|c| &self.site_calendars[c as usize]);
        // A job longer than the technician's day that may be split needs room for its first
        // part (the scheduler places the others on the following working days).
        let split =
            of.min_part_secs.is_some() && Self::needed_minutes(of, travel) > tf.daily_minutes;
        let duration = if split {
            of.shortest_visit_secs()
        } else {
            of.duration_secs
        };
        let req = FitRequest {
            window_start: of.window_start,
            window_end: of.window_end,
            lead: (travel.minutes * 60.0).ceil() as i64,
            duration,
        };
        let needed = if split {
            duration as f64 / 60.0 + travel.minutes
        } else {
            Self::needed_minutes(of, travel)
        };
        let limits = self.policy.work_rules.daily_limits;
        let day_ok = |l: &DayLoad| {
            !limits
                || (tf.max_jobs.is_none_or(|m| l.jobs < m)
                    && l.minutes + needed <= tf.daily_minutes)
        };
        let check_days = !tf.load.is_empty();
        let fit = match self.certified_spans(of, tf, t) {
            None => find_start(open, site, &req, check_days, |d| day_ok(&tf.load[d])),
            Some(spans) => {
                // Only starts on days a certification qualifies the technician: the first fit
                // over those spans of the window.
                let mut fit = None;
                for (from, to) in spans {
                    let clipped = FitRequest {
                        window_start: req.window_start.max(from),
                        window_end: req.window_end.min(to - 1),
                        ..req
                    };
                    if clipped.window_start > clipped.window_end {
                        continue;
                    }
                    let f = find_start(open, site, &clipped, check_days, |d| day_ok(&tf.load[d]));
                    let done = matches!(f, Fit::Start { .. });
                    if done || fit.is_none() || matches!(f, Fit::NoCapacity { .. }) {
                        fit = Some(f);
                    }
                    if done {
                        break;
                    }
                }
                match fit {
                    Some(f) => f,
                    None => return Err(self.not_certified(of, t)),
                }
            }
        };
        match fit {
            Fit::Start { at, day } => Ok(Assessment {
                travel: *travel,
                start: at,
                day_load: day.map(|d| tf.load[d]).unwrap_or_default(),
            }),
            Fit::NoOpening => Err(Violation(Kind::NoOpening)),
            Fit::NoCapacity { day, days } => {
                let full_jobs = tf.max_jobs.is_some_and(|m| tf.load[day].jobs >= m);
                let (day, more_days) = (
                    Some(u32::try_from(day).unwrap_or(u32::MAX)),
                    u32::try_from(days.saturating_sub(1)).unwrap_or(u32::MAX),
                );
                Err(Violation(if full_jobs {
                    Kind::DailyJobs { day, more_days }
                } else {
                    Kind::DailyMinutes { day, more_days }
                }))
            }
        }
    }
}

impl PolicyContext<'_> {
    /// The violation of a technician whose certifications never qualify them within the
    /// window: the first required skill they lack without one.
    #[cold]
    pub(crate) fn not_certified(&self, of: &OrderFacts, t: TechIx) -> Violation {
        let levels = self.levels_of(t);
        let (skill, required) = of
            .skills
            .iter()
            .copied()
            .find(|&(s, min)| levels[usize::from(s)] < min)
            .unwrap_or((0, 0));
        Violation(Kind::NotCertified { skill, required })
    }
}

#[inline]
pub(crate) fn rule_required(of: &OrderFacts, t: usize) -> Option<Violation> {
    of.required.filter(|&r| r != t).map(|required| {
        Violation(Kind::PinnedElsewhere {
            required: required as u32,
        })
    })
}

#[inline]
pub(crate) fn rule_excluded(of: &OrderFacts, t: usize) -> Option<Violation> {
    of.excluded.contains(&t).then(|| {
        Violation(Kind::Excluded {
            by_customer: of.customer_excluded.contains(&t),
        })
    })
}

#[inline]
pub(crate) fn rule_territory(of: &OrderFacts, tf: &TechFacts) -> Option<Violation> {
    let territory = of.territory?;
    let covered = if territory < 64 {
        tf.territory_mask & (1u64 << territory) != 0
    } else {
        tf.territories.contains(&territory)
    };
    (!covered).then_some(Violation(Kind::OutsideTerritory { territory }))
}

#[inline]
pub(crate) fn missing(skill: u16, required: u8, has: u8) -> Violation {
    Violation(Kind::MissingSkill {
        skill,
        required,
        has,
    })
}

/// `1.0` → `1`, `80.5` → `80.5`: limits as a person writes them.
pub(crate) fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// `" (and 2 more days)"` or nothing.
pub(crate) fn more_days(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (and 1 more day of the window)".into(),
        n => format!(" (and {n} more days of the window)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_read_well() {
        assert_eq!(number(80.0), "80");
        assert_eq!(number(42.04), "42.0");
        assert_eq!(more_days(0), "");
        assert_eq!(more_days(2), " (and 2 more days of the window)");
        assert_eq!(WorkRule::Custom.to_string(), "eligible");
        assert_eq!(Violation(Kind::TooFar).rule(), WorkRule::MaxTravelDistance);
        assert!(std::mem::size_of::<Violation>() <= 24);
    }
}
