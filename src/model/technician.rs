//! Technicians: the people dispatched, with skills, home, territory, calendar and cost.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::common::Location;
use super::ids::{CalendarId, DepotId, PartId, TechnicianId, TerritoryId, ToolId};

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
    /// Dated skills (a gas-safety certificate that lapses): each holds its skill at its level
    /// on the local dates `valid_from..=valid_to` only; outside them the technician has the
    /// skill at its `skills` level (0 without one). Eligibility reads the visit's date.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certifications: Vec<Certification>,
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
    /// The van's standard stock, units per part type: what the van holds at the start of every
    /// working day (replenished overnight; see `docs/dataset.md`, "Parts and tools").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stock: BTreeMap<PartId, u32>,
    /// The tool types in the van.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolId>,
    /// The depot where the technician restocks; `None`: the depot nearest to `home` (when the
    /// dataset has depots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depot: Option<DepotId>,
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

/// A skill held between two local dates (both inclusive; either end open).
///
/// ```
/// use fieldwork::model::Certification;
/// let gas: Certification = serde_json::from_str(
///     r#"{"skill": "gas", "level": 2, "valid_from": "2027-01-01", "valid_to": "2027-03-15"}"#,
/// ).unwrap();
/// assert!(gas.valid_on("2027-03-15".parse().unwrap()));
/// assert!(!gas.valid_on("2027-03-16".parse().unwrap()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    /// The skill (as tasks require it).
    pub skill: String,
    /// Its level, 1–5.
    pub level: u8,
    /// First valid day (inclusive); `None`: always was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last valid day (inclusive); `None`: does not lapse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
}

impl Certification {
    /// Whether the certification is valid on local date `day`.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_to.is_none_or(|t| day <= t)
    }
}

impl Technician {
    /// Whether the van carries tool type `tool`.
    pub fn has_tool(&self, tool: &ToolId) -> bool {
        self.tools.contains(tool)
    }

    /// Units of part type `part` in the van's standard stock.
    pub fn stock_of(&self, part: &PartId) -> u32 {
        self.stock.get(part).copied().unwrap_or(0)
    }

    /// Level of a skill, 0 when the technician does not have it.
    pub fn skill_level(&self, skill: &str) -> u8 {
        self.skills.get(skill).copied().unwrap_or(0)
    }

    /// Level of a skill on local date `day`: the `skills` level, or a certification valid that
    /// day, whichever is higher.
    pub fn skill_level_on(&self, skill: &str, day: NaiveDate) -> u8 {
        self.certifications
            .iter()
            .filter(|c| c.skill == skill && c.valid_on(day))
            .map(|c| c.level)
            .fold(self.skill_level(skill), u8::max)
    }
}
