//! Repair lines: what was wrong with an object and what was done, coded as in Dynamics AX
//! (symptom area and code, condition, diagnosis area and code, resolution).

use serde::{Deserialize, Serialize};

use super::ids::ServiceObjectId;

/// One repair record on a service order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairLine {
    /// Object repaired (defaults to the order's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_object: Option<ServiceObjectId>,
    /// Symptom area (e.g. `"COOLING"`).
    pub symptom_area: String,
    /// Symptom code within the area (e.g. `"NO-COLD"`).
    pub symptom_code: String,
    /// Condition found (e.g. `"LEAK"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Diagnosis area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis_area: Option<String>,
    /// Diagnosis code within the area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis_code: Option<String>,
    /// Resolution applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}
