//! Technicians: the people dispatched, with skills, home, territory, calendar and cost.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::common::Location;
use super::ids::{CalendarId, TechnicianId, TerritoryId};

/// A field technician.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Technician {
    /// Technician id.
    pub id: TechnicianId,
    /// Display name.
    pub name: String,
    /// Skills by name with level 1 (novice) to 5 (expert).
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
    /// Where the working day starts and ends.
    pub home: Location,
    /// Territory the technician covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub territory: Option<TerritoryId>,
    /// Working-time calendar.
    pub calendar: CalendarId,
    /// Cost per working hour (exact decimal money).
    pub hourly_cost: Decimal,
    /// Most hours of work (jobs and travel) per day.
    pub max_hours_per_day: f64,
    /// Most jobs per day, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_jobs_per_day: Option<u32>,
    /// What the technician's van carries per day, in the units of the orders' parts `demand`
    /// (litres, crates, slots: the dataset's choice); `None` = not limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub van_capacity: Option<f64>,
    /// Inactive technicians are never dispatched.
    #[serde(
        default = "active_default",
        skip_serializing_if = "super::common::is_true"
    )]
    pub active: bool,
}

fn active_default() -> bool {
    true
}

impl Technician {
    /// Level of a skill, 0 when the technician does not have it.
    pub fn skill_level(&self, skill: &str) -> u8 {
        self.skills.get(skill).copied().unwrap_or(0)
    }
}
