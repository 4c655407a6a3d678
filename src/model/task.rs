//! Service tasks: the catalogue of work (inspect, repair, replace) with skills and durations.

use serde::{Deserialize, Serialize};

use super::ids::TaskCode;

/// A skill a task needs, at a minimum level (1–5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillRequirement {
    /// Skill name, lower-case by convention (`"hvac"`, `"electrical"`).
    pub skill: String,
    /// Minimum level 1–5.
    pub min_level: u8,
}

/// A standard piece of service work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceTask {
    /// Task code.
    pub code: TaskCode,
    /// What is done.
    pub description: String,
    /// Skills required, with minimum levels.
    #[serde(default)]
    pub required_skills: Vec<SkillRequirement>,
    /// Standard duration on site, minutes.
    pub duration_minutes: u32,
}
