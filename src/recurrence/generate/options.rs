//! Options of order generation: grouping, creation instant, id prefix, the native adjustment
//! policy, SLA targets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::recurrence::NonBusinessDay;
use crate::rules::RuleSet;
use crate::sla::SlaCalendars;

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

/// Options of [`generate_orders`](super::generate_orders).
#[derive(Debug, Clone, Copy)]
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
    /// Put SLA targets on the orders (see [`sla`](super::sla)): `due` becomes the earlier of
    /// the end of the planned day and the planned start plus the SLA response target.
    pub sla: bool,
    /// Rules whose `sla_targets` hook sets those targets (the built-in table when `None`) —
    /// the same targets the SLA snapshot of the main job uses.
    pub sla_rules: Option<&'a RuleSet>,
    /// Calendars compiled before (the main job compiles them once per run); compiled from the
    /// model when `None`.
    pub sla_calendars: Option<&'a SlaCalendars>,
}

impl<'a> GenerateOptions<'a> {
    /// Defaults (group by line, prefix `SO`, next business day, SLA targets on) with the given
    /// creation instant.
    pub fn new(created_at: DateTime<Utc>) -> Self {
        Self {
            group_by: GroupBy::Line,
            created_at,
            id_prefix: "SO",
            non_business_day: NonBusinessDay::NextBusinessDay,
            sla: true,
            sla_rules: None,
            sla_calendars: None,
        }
    }

    /// The same options with another grouping.
    pub fn group_by(self, group_by: GroupBy) -> Self {
        Self { group_by, ..self }
    }
}
