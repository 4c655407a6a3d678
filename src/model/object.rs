//! Service objects: the serviced equipment, and their parent/child hierarchy.

use chrono::NaiveDate;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::common::Location;
use super::error::ValidationError;
use super::ids::{CalendarId, CustomerId, ServiceObjectId};

/// A piece of equipment under service (a boiler, a lift, a chiller and its compressor…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceObject {
    /// Object id.
    pub id: ServiceObjectId,
    /// Owning customer.
    pub customer: CustomerId,
    /// Site description (building, floor, room).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Where the object stands, when it differs from the customer's site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// When technicians may reach this object, if it differs from its customer's
    /// `visiting_hours` (a plant room open only in the mornings); overrides them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visiting_hours: Option<CalendarId>,
    /// Serial number.
    pub serial: String,
    /// Model or item number.
    pub model: String,
    /// Last day of warranty (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warranty_end: Option<NaiveDate>,
    /// Parent object in the equipment hierarchy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ServiceObjectId>,
    /// Whether a returned unit can be repaired (drives RMA dispositions).
    #[serde(default = "yes", skip_serializing_if = "super::common::is_true")]
    pub repairable: bool,
}

fn yes() -> bool {
    true
}

impl ServiceObject {
    /// Whether the object is under warranty on a date.
    pub fn under_warranty(&self, on: NaiveDate) -> bool {
        self.warranty_end.is_some_and(|end| on <= end)
    }
}

/// The service-object hierarchy as a petgraph graph (edges parent → child).
#[derive(Debug, Clone, Default)]
pub struct ObjectHierarchy {
    graph: DiGraph<ServiceObjectId, ()>,
    nodes: HashMap<ServiceObjectId, NodeIndex>,
}

impl ObjectHierarchy {
    /// Builds the hierarchy; parents that are not objects are ignored (validation reports them).
    /// Returns the cycles found (each as the ids on it, sorted) as errors.
    pub fn build(objects: &[ServiceObject]) -> (Self, Vec<(ServiceObjectId, ValidationError)>) {
        let mut h = Self::default();
        for o in objects {
            let idx = h.graph.add_node(o.id.clone());
            h.nodes.entry(o.id.clone()).or_insert(idx);
        }
        for o in objects {
            if let (Some(parent), Some(&child)) = (&o.parent, h.nodes.get(&o.id)) {
                if let Some(&p) = h.nodes.get(parent) {
                    h.graph.add_edge(p, child, ());
                }
            }
        }
        let mut cycles = Vec::new();
        for scc in tarjan_scc(&h.graph) {
            let self_loop = scc.len() == 1 && h.graph.contains_edge(scc[0], scc[0]);
            if scc.len() > 1 || self_loop {
                let mut ids: Vec<ServiceObjectId> =
                    scc.iter().map(|&n| h.graph[n].clone()).collect();
                ids.sort();
                let names = ids.iter().map(|i| i.to_string()).collect();
                cycles.push((ids[0].clone(), ValidationError::Cycle(names)));
            }
        }
        (h, cycles)
    }

    /// Direct children of an object.
    pub fn children(&self, id: &ServiceObjectId) -> Vec<&ServiceObjectId> {
        let Some(&n) = self.nodes.get(id) else {
            return Vec::new();
        };
        let mut out: Vec<&ServiceObjectId> =
            self.graph.neighbors(n).map(|c| &self.graph[c]).collect();
        out.sort();
        out
    }

    /// All descendants (children, grandchildren…), depth-first, each once.
    pub fn descendants(&self, id: &ServiceObjectId) -> Vec<&ServiceObjectId> {
        let Some(&start) = self.nodes.get(id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut dfs = petgraph::visit::Dfs::new(&self.graph, start);
        while let Some(n) = dfs.next(&self.graph) {
            if n != start {
                out.push(&self.graph[n]);
            }
        }
        out
    }
}
