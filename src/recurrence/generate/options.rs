//! Options of order generation: grouping, creation instant, id prefix, the native adjustment
//! policy, and the seam through which SLA targets are put on generated orders.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::model::{Model, ServiceOrder};
use crate::recurrence::NonBusinessDay;

/// How work units become orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One order per agreement line and date (the default).
    #[default]
    Line,
    /// One order per agreement and date, with one order line per agreement line.
    Agreement,
    /// One order per service object and date, with one order line per agreement line; lines
    /// without a service object are grouped per agreement and date.
    Object,
}

impl GroupBy {
    /// The name as on the command line (`line`, `agreement`, `object`).
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Line => "line",
            GroupBy::Agreement => "agreement",
            GroupBy::Object => "object",
        }
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// **SLA seam.** Puts SLA targets (response/resolution deadlines) on a freshly generated
/// order before it is added to the model.
///
/// The SLA engine (branch `sla`) has not landed on `main` yet; until it does, generation
/// leaves targets to this seam, and [`GenerateOptions::sla`] is `None` by default (generated
/// orders then carry only the occurrence's day as their time window: `earliest_start` and
/// `due`). Once the SLA engine lands, it implements this trait.
pub trait SlaTargets {
    /// Sets the order's targets; an error drops the order and is reported against its lines.
    ///
    /// # Errors
    /// A message saying why no targets could be set.
    fn apply(&self, model: &Model, order: &mut ServiceOrder) -> Result<(), String>;
}

/// Options of [`generate_orders`](super::generate_orders).
#[derive(Clone, Copy)]
pub struct GenerateOptions<'a> {
    /// Grouping of work units into orders.
    pub group_by: GroupBy,
    /// Creation instant of the generated orders (their SLA clocks start here).
    pub created_at: DateTime<Utc>,
    /// Prefix of generated order ids (`SO` gives `SO-L-<line>-<occurrence>`).
    pub id_prefix: &'a str,
    /// Native adjustment for occurrences on non-business days, applied when no rule set is
    /// given or the rule set has no `adjust_occurrence` hook. The default equals the shipped
    /// rule: move to the next business day.
    pub non_business_day: NonBusinessDay,
    /// The SLA seam (see [`SlaTargets`]); `None`: no SLA targets.
    pub sla: Option<&'a dyn SlaTargets>,
}

impl<'a> GenerateOptions<'a> {
    /// Defaults (group by line, prefix `SO`, next business day, no SLA seam) with the given
    /// creation instant.
    pub fn new(created_at: DateTime<Utc>) -> Self {
        Self {
            group_by: GroupBy::Line,
            created_at,
            id_prefix: "SO",
            non_business_day: NonBusinessDay::NextBusinessDay,
            sla: None,
        }
    }

    /// The same options with another grouping.
    pub fn group_by(self, group_by: GroupBy) -> Self {
        Self { group_by, ..self }
    }
}

impl fmt::Debug for GenerateOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenerateOptions")
            .field("group_by", &self.group_by)
            .field("created_at", &self.created_at)
            .field("id_prefix", &self.id_prefix)
            .field("non_business_day", &self.non_business_day)
            .field("sla", &self.sla.map(|_| "<seam>"))
            .finish()
    }
}
