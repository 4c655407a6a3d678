//! Parts and tools in the van: the catalogues of part and tool types, depots (warehouses where a
//! technician restocks) and what an order needs. Technicians carry a standard van stock
//! ([`Technician::stock`](super::Technician::stock)) and tools; orders and tasks list the parts
//! and tools their work needs.
//!
//! **The day model.** Every morning a van holds its standard stock again (replenished
//! overnight, as Dynamics 365 Field Service's truck-stock replenishment does), so each day's
//! route starts from [`Technician::stock`](super::Technician::stock). During the day each visit
//! consumes its order's parts; one visit to the technician's depot in the day refills the van:
//! after it, every part and tool the depot holds is available without limit.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::common::Location;
use super::ids::{CalendarId, DepotId, PartId, ToolId};
use super::{Model, ServiceOrder, Technician};

/// A type of spare part (a filter, a pump seal), counted in whole units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartType {
    /// Part id (`"P-filter"`).
    pub id: PartId,
    /// What it is.
    pub name: String,
}

/// A type of tool (a torque wrench, a refrigerant recovery unit): a technician has it or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolType {
    /// Tool id (`"T-torque-wrench"`).
    pub id: ToolId,
    /// What it is.
    pub name: String,
}

/// A depot (warehouse) where technicians restock during the day.
///
/// ```
/// use fieldwork::model::Depot;
/// let d: Depot = serde_json::from_str(r#"{"id": "D-north", "name": "North depot",
///   "location": {"lat": 52.5, "lon": 13.4}, "calendar": "office",
///   "parts": ["P-filter"], "tools": ["T-torque-wrench"], "service_minutes": 20}"#).unwrap();
/// assert!(d.holds_part(&"P-filter".into()) && !d.holds_tool(&"T-ladder".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Depot {
    /// Depot id.
    pub id: DepotId,
    /// Display name.
    pub name: String,
    /// Where it is.
    pub location: Location,
    /// Opening hours; `None`: open whenever the technician works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarId>,
    /// The part types it holds (without limit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartId>,
    /// The tool types it lends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolId>,
    /// Minutes a restocking stop takes; `None`: the dispatch policy's `depot_service_minutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_minutes: Option<u32>,
}

impl Depot {
    /// Whether the depot holds part type `part`.
    pub fn holds_part(&self, part: &PartId) -> bool {
        self.parts.contains(part)
    }
    /// Whether the depot lends tool type `tool`.
    pub fn holds_tool(&self, tool: &ToolId) -> bool {
        self.tools.contains(tool)
    }
}

/// Units per part type (a van's stock, an order's needs), sorted by part id.
pub type PartUnits = BTreeMap<PartId, u32>;

/// Most units of one part type in one van stock, task or order (validation refuses more), so
/// sums over a day's visits stay meaningful; the scheduler's sums saturate besides.
pub const MAX_PART_UNITS: u32 = 100_000;

/// What keeps a technician from bringing an order's parts or tools, even with a depot stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shortfall {
    /// A tool neither in the van nor at the technician's depot.
    Tool(ToolId),
    /// More units of a part than the van holds, and the depot does not hold it.
    Parts {
        /// The part.
        part: PartId,
        /// Units the order needs.
        needed: u32,
        /// Units in the van's standard stock.
        carried: u32,
    },
}

impl std::fmt::Display for Shortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shortfall::Tool(tool) => {
                write!(f, "needs tool {tool}: not in the van and not at the depot")
            }
            Shortfall::Parts {
                part,
                needed,
                carried,
            } => write!(
                f,
                "needs {needed} × {part}: the van carries {carried} and the depot holds none"
            ),
        }
    }
}

impl Model {
    /// The first of `order`'s needs that `tech` cannot meet even with a stop at its depot
    /// ([`Model::technician_depot`]), tools before parts, in id order; `None` when the van, or
    /// the van and its depot, can bring everything. O(tools + parts of the order · log).
    pub fn stock_shortfall(&self, order: &ServiceOrder, tech: &Technician) -> Option<Shortfall> {
        self.stock_shortfall_at(order, tech, self.technician_depot(tech))
    }

    /// [`Model::stock_shortfall`] with the technician's depot already found (`None`: no
    /// depot), for callers that check many orders: finding the nearest depot costs one
    /// great-circle distance per depot, the rest O(tools + parts of the order · log).
    pub fn stock_shortfall_at(
        &self,
        order: &ServiceOrder,
        tech: &Technician,
        depot: Option<&Depot>,
    ) -> Option<Shortfall> {
        let tools = self.order_required_tools(order);
        if let Some(tool) = tools
            .into_iter()
            .find(|t| !tech.has_tool(t) && !depot.is_some_and(|d| d.holds_tool(t)))
        {
            return Some(Shortfall::Tool(tool));
        }
        self.order_required_parts(order)
            .into_iter()
            .find(|(part, n)| {
                *n > tech.stock_of(part) && !depot.is_some_and(|d| d.holds_part(part))
            })
            .map(|(part, needed)| Shortfall::Parts {
                carried: tech.stock_of(&part),
                part,
                needed,
            })
    }
}
