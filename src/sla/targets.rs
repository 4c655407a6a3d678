//! SLA targets of one order ([`SlaTargets`]) and the built-in default table by priority ×
//! customer tier ([`default_targets`]), used when the `sla_targets` rule hook is absent or
//! returns `()`.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::calendar::ALWAYS_OPEN_ID;
use crate::model::{CalendarId, OrderStatus, Priority};

/// The metrics an SLA measures on a service order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// From creation to the first transition into a response status (default: scheduled or
    /// in progress).
    Response,
    /// From creation to completion.
    Resolution,
}

impl Metric {
    /// Both metrics, in report order.
    pub const ALL: [Metric; 2] = [Metric::Response, Metric::Resolution];

    /// Lower-case name as in JSON and rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Response => "response",
            Metric::Resolution => "resolution",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long a metric may take, in business time of the order's SLA calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A fixed number of business minutes.
    Minutes(u32),
    /// By the close of the next business day: the first local date after the creation date that
    /// has opening time, up to its last closing time.
    NextBusinessDay,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Minutes(m) if m % 60 == 0 => write!(f, "{} h", m / 60),
            Target::Minutes(m) => write!(f, "{m} min"),
            Target::NextBusinessDay => f.write_str("next business day"),
        }
    }
}

/// Which calendar SLA time is counted in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarChoice {
    /// The customer's calendar (`"business"` in rules); always open (`"24x7"`) when the
    /// customer has none.
    Customer,
    /// A calendar by id: one of the dataset's, or the built-in [`ALWAYS_OPEN_ID`] (`"24x7"`) when
    /// the dataset has no calendar of that id.
    Id(CalendarId),
}

impl CalendarChoice {
    /// The built-in always-open calendar.
    pub fn always_open() -> Self {
        CalendarChoice::Id(CalendarId::new(ALWAYS_OPEN_ID))
    }
}

/// Where an order's targets came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetSource {
    /// The built-in table (no `sla_targets` hook, or it returned `()`).
    Default,
    /// The `sla_targets` rule hook (fields it left out come from the default table).
    Rule,
}

/// Everything the SLA clocks of one order need besides its history: targets per metric, the
/// calendar, the warning fraction and the statuses that stop and pause the clocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaTargets {
    /// Response target; `None` means the metric is not tracked.
    pub response: Option<Target>,
    /// Resolution target; `None` means the metric is not tracked.
    pub resolution: Option<Target>,
    /// Calendar the targets are counted in.
    pub calendar: CalendarChoice,
    /// Fraction of the target after which a running metric is in warning (0 < w ≤ 1).
    pub warning: f64,
    /// Statuses whose first entry stops the response clock.
    pub response_ends: Vec<OrderStatus>,
    /// Statuses during which no clock counts.
    pub pause_statuses: Vec<OrderStatus>,
    /// Where the values came from.
    pub source: TargetSource,
}

impl SlaTargets {
    /// The target of one metric.
    pub fn target(&self, metric: Metric) -> Option<Target> {
        match metric {
            Metric::Response => self.response,
            Metric::Resolution => self.resolution,
        }
    }
}

/// Default warning fraction: a running metric is in warning from 75% of its target.
pub const DEFAULT_WARNING: f64 = 0.75;
/// Default statuses that end the response metric.
pub const DEFAULT_RESPONSE_ENDS: [OrderStatus; 2] =
    [OrderStatus::Scheduled, OrderStatus::InProgress];
/// Default statuses during which clocks pause.
pub const DEFAULT_PAUSE_STATUSES: [OrderStatus; 1] = [OrderStatus::OnHold];

/// Tiers of the default table; any other tier is read as `standard`.
pub const TIERS: [&str; 4] = ["gold", "silver", "bronze", "standard"];

/// Built-in targets by priority × tier: (response, resolution) in business minutes, counted in
/// the customer's calendar — except critical work, which is counted around the clock (`24x7`).
///
/// | priority | gold | silver | bronze | standard |
/// |---|---|---|---|---|
/// | critical (24×7) | 1 h / 4 h | 2 h / 8 h | 4 h / 24 h | 4 h / 24 h |
/// | high | 4 h / next business day | 8 h / 16 h | 16 h / 40 h | 16 h / 40 h |
/// | normal | 8 h / 24 h | 16 h / 40 h | 24 h / 80 h | 24 h / 80 h |
/// | low | 24 h / 80 h | 40 h / 120 h | 80 h / 160 h | 80 h / 160 h |
///
/// ```
/// use fieldwork::model::Priority;
/// use fieldwork::sla::{default_targets, CalendarChoice, Target};
/// let t = default_targets(Priority::Critical, "gold");
/// assert_eq!(t.response, Some(Target::Minutes(60)));
/// assert_eq!(t.calendar, CalendarChoice::always_open());
/// let t = default_targets(Priority::Normal, "platinum"); // unknown tier: standard
/// assert_eq!(t.resolution, Some(Target::Minutes(80 * 60)));
/// assert_eq!(t.calendar, CalendarChoice::Customer);
/// ```
pub fn default_targets(priority: Priority, tier: &str) -> SlaTargets {
    use Target::{Minutes as M, NextBusinessDay as Nbd};
    const H: u32 = 60;
    let tier = TIERS.iter().position(|t| *t == tier).unwrap_or(3);
    let table: [[(Target, Target); 4]; 4] = [
        // critical
        [
            (M(H), M(4 * H)),
            (M(2 * H), M(8 * H)),
            (M(4 * H), M(24 * H)),
            (M(4 * H), M(24 * H)),
        ],
        // high
        [
            (M(4 * H), Nbd),
            (M(8 * H), M(16 * H)),
            (M(16 * H), M(40 * H)),
            (M(16 * H), M(40 * H)),
        ],
        // normal
        [
            (M(8 * H), M(24 * H)),
            (M(16 * H), M(40 * H)),
            (M(24 * H), M(80 * H)),
            (M(24 * H), M(80 * H)),
        ],
        // low
        [
            (M(24 * H), M(80 * H)),
            (M(40 * H), M(120 * H)),
            (M(80 * H), M(160 * H)),
            (M(80 * H), M(160 * H)),
        ],
    ];
    let row = match priority {
        Priority::Critical => 0,
        Priority::High => 1,
        Priority::Normal => 2,
        Priority::Low => 3,
    };
    let (response, resolution) = table[row][tier];
    SlaTargets {
        response: Some(response),
        resolution: Some(resolution),
        calendar: if priority == Priority::Critical {
            CalendarChoice::always_open()
        } else {
            CalendarChoice::Customer
        },
        warning: DEFAULT_WARNING,
        response_ends: DEFAULT_RESPONSE_ENDS.to_vec(),
        pause_statuses: DEFAULT_PAUSE_STATUSES.to_vec(),
        source: TargetSource::Default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_monotone_in_priority_and_tier() {
        let minutes = |t: Option<Target>| match t {
            Some(Target::Minutes(m)) => m,
            _ => 9 * 60, // next business day is at most a day of work in this table's terms
        };
        let priorities = [
            Priority::Critical,
            Priority::High,
            Priority::Normal,
            Priority::Low,
        ];
        for tier in TIERS {
            for pair in priorities.windows(2) {
                let (a, b) = (
                    default_targets(pair[0], tier),
                    default_targets(pair[1], tier),
                );
                assert!(
                    minutes(a.response) <= minutes(b.response),
                    "{tier} {:?}",
                    pair
                );
            }
        }
        for p in priorities {
            for pair in TIERS.windows(2) {
                let (a, b) = (default_targets(p, pair[0]), default_targets(p, pair[1]));
                assert!(minutes(a.response) <= minutes(b.response), "{p} {:?}", pair);
                assert!(
                    minutes(a.resolution) <= minutes(b.resolution),
                    "{p} {:?}",
                    pair
                );
            }
        }
        assert_eq!(
            default_targets(Priority::High, "gold").resolution,
            Some(Target::NextBusinessDay)
        );
    }
}
