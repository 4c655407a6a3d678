//! Service tasks: the catalogue of work (inspect, repair, replace) with skills and durations.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use super::ids::{PartId, TaskCode, ToolId};

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
    /// Parts the task consumes, units per part type (per unit of the order line's quantity).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parts: BTreeMap<PartId, u32>,
    /// Tools the task needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolId>,
}
