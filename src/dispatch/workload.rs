//! Existing workload: jobs and minutes already planned per technician per local day. The daily
//! work rules and the workload-balance objective read it; the scheduler and the host pass it in
//! (it is empty by default, meaning nothing is planned yet).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use crate::model::TechnicianId;

/// Work already planned for one technician on one day.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct DayLoad {
    /// Jobs planned.
    pub jobs: u32,
    /// Minutes of work and travel planned.
    pub minutes: f64,
}

impl DayLoad {
    /// A day load.
    pub fn new(jobs: u32, minutes: f64) -> Self {
        Self { jobs, minutes }
    }
}

impl std::ops::AddAssign for DayLoad {
    fn add_assign(&mut self, other: DayLoad) {
        self.jobs = self.jobs.saturating_add(other.jobs);
        self.minutes += other.minutes;
    }
}

/// Planned work per technician per local date (the date in the zone of the technician's
/// calendar).
///
/// JSON form: `{"T-1": {"2027-03-01": {"jobs": 3, "minutes": 300}}}`.
///
/// ```
/// use chrono::NaiveDate;
/// use fieldwork::dispatch::{DayLoad, Workload};
/// let mut w = Workload::default();
/// let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
/// w.add("T-1".into(), day, DayLoad::new(2, 150.0));
/// w.add("T-1".into(), day, DayLoad::new(1, 60.0));
/// assert_eq!(w.get(&"T-1".into(), day), DayLoad::new(3, 210.0));
/// assert_eq!(w.get(&"T-2".into(), day), DayLoad::default());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Workload {
    days: HashMap<TechnicianId, BTreeMap<NaiveDate, DayLoad>>,
}

impl Workload {
    /// Adds planned work to a technician's day.
    pub fn add(&mut self, technician: TechnicianId, date: NaiveDate, load: DayLoad) {
        *self
            .days
            .entry(technician)
            .or_default()
            .entry(date)
            .or_default() += load;
    }

    /// The planned work of a technician's day (zero when nothing is planned).
    pub fn get(&self, technician: &TechnicianId, date: NaiveDate) -> DayLoad {
        self.days
            .get(technician)
            .and_then(|d| d.get(&date))
            .copied()
            .unwrap_or_default()
    }

    /// The days with planned work of one technician.
    pub fn days_of(
        &self,
        technician: &TechnicianId,
    ) -> impl Iterator<Item = (NaiveDate, DayLoad)> + '_ {
        self.days
            .get(technician)
            .into_iter()
            .flat_map(|d| d.iter().map(|(k, v)| (*k, *v)))
    }

    /// Technicians with planned work.
    pub fn technicians(&self) -> impl Iterator<Item = &TechnicianId> {
        self.days.keys()
    }

    /// Whether nothing is planned.
    pub fn is_empty(&self) -> bool {
        self.days.values().all(BTreeMap::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_json_form() {
        let w: Workload =
            serde_json::from_str(r#"{"T-1": {"2027-03-01": {"jobs": 3, "minutes": 300}}}"#)
                .unwrap();
        let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        assert_eq!(w.get(&"T-1".into(), day), DayLoad::new(3, 300.0));
        assert!(!w.is_empty());
        assert!(Workload::default().is_empty());
    }
}
