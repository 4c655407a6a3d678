//! Recording and removing a technician's absence, and re-planning only that technician's
//! visits of the scheduling window (a sick day moves the sick technician's work, nobody
//! else's).

use serde::Serialize;

use super::schedule::replan_technicians;
use super::{Engines, JobError, JobOptions, Progress, ScheduleOutcome};
use crate::model::{Absence, Dataset};
use crate::rules::RuleSet;
use crate::store::{ImportMode, Store, StoreError};

/// What adding or removing an absence did.
#[derive(Debug, Serialize)]
pub struct AbsenceChange {
    /// The absence added or removed.
    pub absence: Absence,
    /// Whether it was already stored (adding: its reason was updated; removing: always true).
    pub existed: bool,
    /// The re-planning of the absent technician's visits in the scheduling window.
    pub schedule: ScheduleOutcome,
}

/// Stores `absence` (validated with the stored model: a known technician, end after start; one
/// with the same technician, start and end has its reason updated) and re-plans only its
/// technician's visits of the scheduling window of `options` ([`replan_technicians`]): the
/// visits the absence made infeasible move to free time (the technician's own or another
/// technician's) or become unassigned; every other technician's visit stays where it is.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use fieldwork::demo::{generate, DemoOptions};
/// use fieldwork::job::{add_absence, run_main_job, JobOptions, NoProgress, ScheduleOutcome};
/// use fieldwork::model::Absence;
/// use fieldwork::rules::RuleSet;
/// use fieldwork::store::{ImportMode, MemoryStore, Store};
/// let anchor = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
/// let mut store = MemoryStore::new();
/// store.import(generate(&DemoOptions::new(7, anchor)), ImportMode::Replace).unwrap();
/// let rules = RuleSet::empty();
/// let now = Utc.with_ymd_and_hms(2027, 3, 1, 6, 0, 0).unwrap();
/// let mut options = JobOptions::new(anchor, anchor + chrono::Duration::days(7), now);
/// options.schedule.iterations = Some(50);
/// run_main_job(&mut store, &rules, &options, &mut NoProgress).unwrap();
/// let sick = Absence {
///     technician: "T-009".into(),
///     start: Utc.with_ymd_and_hms(2027, 3, 1, 23, 0, 0).unwrap(),
///     end: Utc.with_ymd_and_hms(2027, 3, 2, 23, 0, 0).unwrap(),
///     reason: "sick".into(),
/// };
/// let change = add_absence(&mut store, &rules, &options, &sick, &mut NoProgress).unwrap();
/// assert!(!change.existed);
/// if let ScheduleOutcome::Planned { diff, .. } = &change.schedule {
///     // Only T-009's visits changed.
///     for c in &diff.changes {
///         assert_eq!(c.before.as_ref().unwrap().technician.as_str(), "T-009");
///     }
/// }
/// ```
///
/// # Errors
/// An invalid absence ([`StoreError::Model`], nothing stored), a store or rules failure.
pub fn add_absence(
    store: &mut dyn Store,
    rules: &RuleSet,
    options: &JobOptions,
    absence: &Absence,
    progress: &mut dyn Progress,
) -> Result<AbsenceChange, JobError> {
    options.check()?;
    let before = store.load_model()?;
    let key = absence.key();
    let existed = before.absences().iter().any(|a| a.key() == key);
    store.import(
        Dataset {
            absences: vec![absence.clone()],
            ..Dataset::default()
        },
        ImportMode::Merge,
    )?;
    replan_after(store, rules, options, absence, existed, progress)
}

/// Removes the stored absence with `absence`'s technician, start and end (its reason is not
/// compared) and re-plans only its technician's visits of the scheduling window, like
/// [`add_absence`] (the time given back is used by the next run, which may add new work).
///
/// # Errors
/// [`StoreError::Conflict`] when no such absence is stored (nothing changes), a store or
/// rules failure.
pub fn remove_absence(
    store: &mut dyn Store,
    rules: &RuleSet,
    options: &JobOptions,
    absence: &Absence,
    progress: &mut dyn Progress,
) -> Result<AbsenceChange, JobError> {
    options.check()?;
    if !store.remove_absence(absence)? {
        return Err(StoreError::Conflict {
            entity: "absence",
            id: absence.key(),
            message: "no such absence is stored (technician, start and end must match)".into(),
        }
        .into());
    }
    replan_after(store, rules, options, absence, true, progress)
}

/// Re-plans `absence`'s technician after the store changed.
fn replan_after(
    store: &mut dyn Store,
    rules: &RuleSet,
    options: &JobOptions,
    absence: &Absence,
    existed: bool,
    progress: &mut dyn Progress,
) -> Result<AbsenceChange, JobError> {
    rules.reset_stopped_hooks();
    let model = store.load_model()?;
    let engines = Engines::new(&model, rules)?;
    let technicians = [absence.technician.clone()];
    let schedule = replan_technicians(store, &model, &engines, options, &technicians, progress)?;
    Ok(AbsenceChange {
        absence: absence.clone(),
        existed,
        schedule,
    })
}
