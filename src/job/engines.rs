//! The engines of one run, built from the rules once: the dispatcher (its policy checked before
//! anything is written) and the SLA calendars (compiled once, shared by every phase).

use chrono_tz::Tz;
use std::collections::BTreeMap;

use super::JobError;
use crate::dispatch::Dispatcher;
use crate::model::Model;
use crate::rules::RuleSet;
use crate::sla::{SlaCalendars, SlaEngine};

/// The rule-driven engines of one run.
///
/// ```
/// use fieldwork::job::Engines;
/// use fieldwork::model::Model;
/// use fieldwork::rules::RuleSet;
/// let model = Model::from_json("{}").unwrap();
/// let rules = RuleSet::empty();
/// let engines = Engines::new(&model, &rules).unwrap();
/// assert!(engines.sla(&model).calendar(&"24x7".into()).is_some());
/// ```
#[derive(Debug)]
pub struct Engines<'r> {
    rules: &'r RuleSet,
    dispatcher: Dispatcher<'r>,
    calendars: SlaCalendars,
}

impl<'r> Engines<'r> {
    /// Builds the dispatcher from `rules` and compiles the model's calendars.
    ///
    /// # Errors
    /// [`JobError::Dispatch`] for an invalid dispatch policy, [`JobError::Sla`] for a calendar
    /// that does not compile.
    pub fn new(model: &Model, rules: &'r RuleSet) -> Result<Self, JobError> {
        Ok(Self {
            rules,
            dispatcher: Dispatcher::from_rules(rules)?,
            calendars: SlaCalendars::compile(model)?,
        })
    }

    /// The rules the engines were built from.
    pub fn rules(&self) -> &'r RuleSet {
        self.rules
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &Dispatcher<'r> {
        &self.dispatcher
    }

    /// The compiled SLA calendars.
    pub fn calendars(&self) -> &SlaCalendars {
        &self.calendars
    }

    /// The SLA engine over `model` (a version of the model the engines were built from, e.g.
    /// with generated orders added), with the rules' `sla_targets`.
    pub fn sla<'m>(&self, model: &'m Model) -> SlaEngine<'m>
    where
        'r: 'm,
    {
        SlaEngine::with_calendars(model, self.calendars.clone()).with_rules(self.rules)
    }
}

/// The business's time zone: the zone most technicians' calendars use (ties broken by name);
/// the zone of most calendars when there is no technician; UTC for an empty model.
///
/// ```
/// use fieldwork::model::Model;
/// let model = Model::from_json(r#"{"calendars": [
///   {"id": "office", "time_zone": "Europe/Berlin", "weekly": {"mon": [["08:00", "17:00"]]}}]}"#)
/// .unwrap();
/// assert_eq!(fieldwork::job::business_zone(&model), chrono_tz::Europe::Berlin);
/// ```
pub fn business_zone(model: &Model) -> Tz {
    let vote = |votes: &mut BTreeMap<String, (usize, Tz)>, tz: Tz| {
        votes.entry(tz.name().to_owned()).or_insert((0, tz)).0 += 1;
    };
    let mut votes = BTreeMap::new();
    for tech in model.technicians() {
        if let Some(tz) = model
            .calendar(&tech.calendar)
            .and_then(|c| c.time_zone.tz().ok())
        {
            vote(&mut votes, tz);
        }
    }
    if votes.is_empty() {
        for tz in model
            .calendars()
            .iter()
            .filter_map(|c| c.time_zone.tz().ok())
        {
            vote(&mut votes, tz);
        }
    }
    // The most votes; among equals the first name (BTreeMap order), so the choice is stable.
    votes
        .values()
        .fold(None::<(usize, Tz)>, |best, &(n, tz)| match best {
            Some((m, _)) if m >= n => best,
            _ => Some((n, tz)),
        })
        .map_or(Tz::UTC, |(_, tz)| tz)
}
