//! Absences: time off of a technician (sick day, training, leave) that removes working time
//! from their calendar, without editing the calendar itself.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::TechnicianId;

/// A technician's absence over `[start, end)` (UTC instants; a whole local day is its local
/// midnight to the next).
///
/// ```
/// use fieldwork::model::Model;
/// let model = Model::from_json(r#"{
///   "calendars": [{"id": "c", "time_zone": "UTC", "weekly": {"mon": [["08:00","17:00"]]}}],
///   "technicians": [{"id": "T-1", "name": "Ana", "home": {"lat": 52.5, "lon": 13.4},
///                    "calendar": "c", "hourly_cost": "40", "max_hours_per_day": 8}],
///   "absences": [{"technician": "T-1", "start": "2027-03-01T00:00:00Z",
///                 "end": "2027-03-02T00:00:00Z", "reason": "sick"}]
/// }"#).unwrap();
/// assert_eq!(model.absences_of(&"T-1".into()).count(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    /// The absent technician.
    pub technician: TechnicianId,
    /// First absent instant.
    pub start: DateTime<Utc>,
    /// End of the absence (exclusive); after `start`.
    pub end: DateTime<Utc>,
    /// Why (free text, shown to dispatchers).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl Absence {
    /// The record's identity for merging and storage: technician, start and end
    /// (`T-1@2027-03-01T00:00:00+00:00/2027-03-02T00:00:00+00:00`).
    pub fn key(&self) -> String {
        format!(
            "{}@{}/{}",
            self.technician,
            self.start.to_rfc3339(),
            self.end.to_rfc3339()
        )
    }
}
