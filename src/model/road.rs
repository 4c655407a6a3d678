//! The optional road graph of a dataset: zone nodes (a point each) joined by road edges with a
//! length and a driving time. This module owns the data and its validation; shortest paths and
//! travel estimates live in `crate::dispatch`.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;

use super::common::Location;
use super::error::{EntityKind, ValidationError, ValidationIssue};

/// A zone node: a named point that locations near it are routed through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadZone {
    /// Zone id, unique in the graph.
    pub id: String,
    /// The zone's reference point.
    pub location: Location,
}

/// A road between two zones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadEdge {
    /// Zone the road starts at.
    pub from: String,
    /// Zone the road ends at.
    pub to: String,
    /// Road length in kilometres (≥ 0).
    pub km: f64,
    /// Driving time in minutes (≥ 0); when absent it is `km` at the travel model's average speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<f64>,
    /// A one-way road is only driven from `from` to `to`; by default roads go both ways.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub one_way: bool,
}

/// The `road_graph` dataset section.
///
/// ```
/// use fieldwork::model::Model;
/// let model = Model::from_json(r#"{
///   "road_graph": {
///     "zones": [{"id": "north", "location": {"lat": 52.6, "lon": 13.4}},
///               {"id": "south", "location": {"lat": 52.4, "lon": 13.4}}],
///     "edges": [{"from": "north", "to": "south", "km": 26.5, "minutes": 31}]
///   }
/// }"#).unwrap();
/// assert_eq!(model.road_graph().unwrap().zones.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoadGraphData {
    /// Zone nodes.
    #[serde(default)]
    pub zones: Vec<RoadZone>,
    /// Roads between zones.
    #[serde(default)]
    pub edges: Vec<RoadEdge>,
}

impl RoadGraphData {
    /// Checks zone ids are unique, locations valid, edges name known zones and carry finite,
    /// non-negative lengths and times.
    pub fn validate(&self) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let issue = |field: String, error| {
            ValidationIssue::new(EntityKind::Dataset, "road_graph", field, error)
        };
        let mut ids = HashSet::new();
        for (i, zone) in self.zones.iter().enumerate() {
            if !ids.insert(zone.id.as_str()) {
                issues.push(issue(
                    format!("zones[{i}].id"),
                    ValidationError::DuplicateId,
                ));
            }
            if let Err(e) = zone.location.check() {
                issues.push(issue(format!("zones[{i}].location"), e));
            }
        }
        for (i, edge) in self.edges.iter().enumerate() {
            for (field, zone) in [("from", &edge.from), ("to", &edge.to)] {
                if !ids.contains(zone.as_str()) {
                    issues.push(issue(
                        format!("edges[{i}].{field}"),
                        ValidationError::InvalidValue(format!("unknown zone `{zone}`")),
                    ));
                }
            }
            let values = [("km", Some(edge.km)), ("minutes", edge.minutes)];
            for (field, value) in values {
                if let Some(v) = value.filter(|v| !(v.is_finite() && *v >= 0.0)) {
                    issues.push(issue(
                        format!("edges[{i}].{field}"),
                        ValidationError::InvalidValue(format!("{v} must be finite and >= 0")),
                    ));
                }
            }
        }
        issues
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_duplicate_zones_unknown_ends_and_bad_lengths() {
        let graph: RoadGraphData = serde_json::from_str(
            r#"{"zones": [{"id": "a", "location": {"lat": 0, "lon": 0}},
                          {"id": "a", "location": {"lat": 91, "lon": 0}}],
                "edges": [{"from": "a", "to": "b", "km": -1, "minutes": 5}]}"#,
        )
        .unwrap();
        let fields: Vec<String> = graph.validate().into_iter().map(|i| i.field).collect();
        assert_eq!(
            fields,
            [
                "zones[1].id",
                "zones[1].location",
                "edges[0].to",
                "edges[0].km"
            ]
        );
    }

    #[test]
    fn a_valid_graph_has_no_issues() {
        let graph: RoadGraphData = serde_json::from_str(
            r#"{"zones": [{"id": "a", "location": {"lat": 0, "lon": 0}},
                          {"id": "b", "location": {"lat": 1, "lon": 0}}],
                "edges": [{"from": "a", "to": "b", "km": 120, "one_way": true}]}"#,
        )
        .unwrap();
        assert!(graph.validate().is_empty());
        assert!(graph.edges[0].one_way && graph.edges[0].minutes.is_none());
    }
}
