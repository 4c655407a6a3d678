//! The travel model: how far and how long a technician drives between two locations.
//!
//! By default a trip is the great-circle distance × a circuity factor (road kilometres per
//! straight-line kilometre), driven at an average speed. When the dataset has a `road_graph`
//! section, each location is attached to its nearest zone node and a trip between two zones
//! is: great-circle leg to the origin's zone node + the fastest road path between the zone nodes
//! (petgraph Dijkstra on driving time, kilometres summed along that path) + great-circle leg
//! from the destination's zone node. Trips within one zone, and between zones the graph does
//! not connect, use the great-circle estimate. Shortest paths are computed once per origin zone
//! (all destination zones at once) and cached, so every zone pair is solved at most once.

use petgraph::algo::dijkstra;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use std::collections::HashMap;
use std::ops::Add;
use std::sync::OnceLock;

use super::policy::TravelSettings;
use crate::model::{Location, RoadGraphData};

const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Distance and driving time of one trip.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize)]
pub struct Travel {
    /// Driving time, minutes (first, so that the derived order is fastest-first).
    pub minutes: f64,
    /// Road distance, kilometres.
    pub km: f64,
}

impl Add for Travel {
    type Output = Travel;
    fn add(self, other: Travel) -> Travel {
        Travel {
            minutes: self.minutes + other.minutes,
            km: self.km + other.km,
        }
    }
}

/// A location prepared for fast great-circle distances (radians and cosine of latitude
/// precomputed), with its road-graph zone when there is a graph.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    lat: f64,
    lon: f64,
    cos_lat: f64,
    zone: Option<u32>,
    /// Trip between the place and its zone node.
    access: Travel,
}

impl Place {
    fn point(location: Location) -> Self {
        let lat = location.lat.to_radians();
        Self {
            lat,
            lon: location.lon.to_radians(),
            cos_lat: lat.cos(),
            zone: None,
            access: Travel::default(),
        }
    }

    /// Haversine distance, km (the same formula as [`Location::distance_km`]).
    #[inline]
    fn great_circle_km(&self, other: &Place) -> f64 {
        let dlat = other.lat - self.lat;
        let dlon = other.lon - self.lon;
        let a =
            (dlat * 0.5).sin().powi(2) + self.cos_lat * other.cos_lat * (dlon * 0.5).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }

    /// The road-graph zone the place is attached to, by index.
    pub fn zone(&self) -> Option<usize> {
        self.zone.map(|z| z as usize)
    }
}

/// The road graph with a per-origin-zone shortest-path cache.
#[derive(Debug)]
struct RoadNetwork {
    ids: Vec<String>,
    nodes: Vec<Place>,
    graph: DiGraph<(), Travel>,
    /// `rows[z][y]`: fastest trip from zone `z` to zone `y` (`minutes` infinite if unreachable).
    rows: Vec<OnceLock<Box<[Travel]>>>,
}

impl RoadNetwork {
    fn new(data: &RoadGraphData, speed_kmh: f64) -> Self {
        let mut graph = DiGraph::new();
        let mut index = HashMap::new();
        for (i, zone) in data.zones.iter().enumerate() {
            let node = graph.add_node(());
            index.entry(zone.id.as_str()).or_insert(node);
            debug_assert_eq!(node.index(), i);
        }
        for edge in &data.edges {
            // The model validated the references; an unknown zone is skipped defensively.
            let (Some(&a), Some(&b)) = (index.get(edge.from.as_str()), index.get(edge.to.as_str()))
            else {
                continue;
            };
            let cost = Travel {
                minutes: edge.minutes.unwrap_or(edge.km / speed_kmh * 60.0),
                km: edge.km,
            };
            graph.add_edge(a, b, cost);
            if !edge.one_way {
                graph.add_edge(b, a, cost);
            }
        }
        Self {
            ids: data.zones.iter().map(|z| z.id.clone()).collect(),
            nodes: data
                .zones
                .iter()
                .map(|z| Place::point(z.location))
                .collect(),
            rows: (0..data.zones.len()).map(|_| OnceLock::new()).collect(),
            graph,
        }
    }

    fn row(&self, from: usize) -> &[Travel] {
        self.rows[from].get_or_init(|| {
            let unreachable = Travel {
                minutes: f64::INFINITY,
                km: f64::INFINITY,
            };
            let mut row = vec![unreachable; self.nodes.len()];
            let costs = dijkstra(&self.graph, NodeIndex::new(from), None, |e| *e.weight());
            for (node, cost) in costs {
                row[node.index()] = cost;
            }
            row.into_boxed_slice()
        })
    }

    fn nearest(&self, place: &Place) -> Option<(usize, f64)> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (i, place.great_circle_km(node)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// Estimates trips between places: great-circle by default, road graph when available.
///
/// ```
/// use fieldwork::dispatch::{TravelModel, TravelSettings};
/// use fieldwork::model::Location;
/// let travel = TravelModel::great_circle(&TravelSettings { average_speed_kmh: 60.0, circuity: 1.0,
///                                                          use_road_graph: false });
/// let berlin = travel.place(Location::new(52.52, 13.405));
/// let potsdam = travel.place(Location::new(52.39, 13.065));
/// let trip = travel.between(&berlin, &potsdam);
/// assert!((trip.km - 27.0).abs() < 1.0 && (trip.minutes - trip.km).abs() < 1e-9);
/// ```
#[derive(Debug)]
pub struct TravelModel {
    speed_kmh: f64,
    circuity: f64,
    roads: Option<RoadNetwork>,
}

impl TravelModel {
    /// The great-circle model only.
    pub fn great_circle(settings: &TravelSettings) -> Self {
        Self {
            speed_kmh: settings.average_speed_kmh,
            circuity: settings.circuity,
            roads: None,
        }
    }

    /// The model for a dataset: with its road graph when it has one (with at least one zone)
    /// and `settings.use_road_graph` is on.
    pub fn new(settings: &TravelSettings, road_graph: Option<&RoadGraphData>) -> Self {
        let mut model = Self::great_circle(settings);
        if settings.use_road_graph {
            model.roads = road_graph
                .filter(|g| !g.zones.is_empty())
                .map(|g| RoadNetwork::new(g, settings.average_speed_kmh));
        }
        model
    }

    /// Whether trips use a road graph.
    pub fn has_road_graph(&self) -> bool {
        self.roads.is_some()
    }

    /// The id of a road-graph zone by index.
    pub fn zone_id(&self, zone: usize) -> Option<&str> {
        self.roads.as_ref()?.ids.get(zone).map(String::as_str)
    }

    /// Prepares a location: precomputes its trigonometry and attaches it to its nearest zone.
    pub fn place(&self, location: Location) -> Place {
        let mut place = Place::point(location);
        if let Some(roads) = &self.roads {
            if let Some((zone, km)) = roads.nearest(&place) {
                place.zone = u32::try_from(zone).ok();
                place.access = self.estimate(km);
            }
        }
        place
    }

    #[inline]
    fn estimate(&self, great_circle_km: f64) -> Travel {
        let km = great_circle_km * self.circuity;
        Travel {
            minutes: km / self.speed_kmh * 60.0,
            km,
        }
    }

    /// The trip from `a` to `b`.
    #[inline]
    pub fn between(&self, a: &Place, b: &Place) -> Travel {
        if let (Some(roads), Some(za), Some(zb)) = (&self.roads, a.zone, b.zone) {
            if za != zb {
                let path = roads.row(za as usize)[zb as usize];
                if path.minutes.is_finite() {
                    return a.access + path + b.access;
                }
            }
        }
        self.estimate(a.great_circle_km(b))
    }

    /// Solves (and caches) the shortest paths from the zones of these places, so later trips
    /// from them are table lookups.
    pub fn warm(&self, origins: impl IntoIterator<Item = Place>) {
        if let Some(roads) = &self.roads {
            for place in origins {
                if let Some(z) = place.zone {
                    roads.row(z as usize);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RoadEdge, RoadZone};

    fn settings() -> TravelSettings {
        TravelSettings {
            average_speed_kmh: 60.0,
            circuity: 1.0,
            use_road_graph: true,
        }
    }

    fn zone(id: &str, lat: f64, lon: f64) -> RoadZone {
        RoadZone {
            id: id.into(),
            location: Location::new(lat, lon),
        }
    }

    fn edge(from: &str, to: &str, km: f64, minutes: Option<f64>, one_way: bool) -> RoadEdge {
        RoadEdge {
            from: from.into(),
            to: to.into(),
            km,
            minutes,
            one_way,
        }
    }

    #[test]
    fn great_circle_matches_the_model_formula_times_circuity() {
        let s = TravelSettings {
            circuity: 1.3,
            average_speed_kmh: 50.0,
            use_road_graph: false,
        };
        let t = TravelModel::great_circle(&s);
        let (a, b) = (Location::new(52.52, 13.405), Location::new(53.551, 9.994));
        let trip = t.between(&t.place(a), &t.place(b));
        assert!((trip.km - a.distance_km(&b) * 1.3).abs() < 1e-9);
        assert!((trip.minutes - trip.km / 50.0 * 60.0).abs() < 1e-9);
        assert_eq!(t.between(&t.place(a), &t.place(a)).km, 0.0);
    }

    #[test]
    fn road_graph_takes_the_fastest_path_and_falls_back_when_disconnected() {
        // a — b — c in a line along the equator; a slow direct road a→c; island d.
        let data = RoadGraphData {
            zones: vec![
                zone("a", 0.0, 0.0),
                zone("b", 0.0, 1.0),
                zone("c", 0.0, 2.0),
                zone("d", 10.0, 10.0),
            ],
            edges: vec![
                edge("a", "b", 120.0, Some(60.0), false),
                edge("b", "c", 120.0, None, false), // 120 km at 60 km/h = 120 min
                edge("a", "c", 200.0, Some(500.0), false),
                edge("c", "a", 10.0, Some(1.0), true),
            ],
        };
        let t = TravelModel::new(&settings(), Some(&data));
        let a = t.place(Location::new(0.0, 0.0));
        let c = t.place(Location::new(0.0, 2.0));
        let d = t.place(Location::new(10.0, 10.0));
        assert_eq!(a.zone(), Some(0));
        let trip = t.between(&a, &c);
        assert!((trip.minutes - 180.0).abs() < 1e-9, "{trip:?}");
        assert!((trip.km - 240.0).abs() < 1e-9);
        // The one-way road only serves c → a.
        let back = t.between(&c, &a);
        assert!((back.minutes - 1.0).abs() < 1e-9 && (back.km - 10.0).abs() < 1e-9);
        // d is not connected: great-circle estimate.
        let gc = TravelModel::great_circle(&settings());
        let expected = gc.between(
            &gc.place(Location::new(0.0, 0.0)),
            &gc.place(Location::new(10.0, 10.0)),
        );
        assert!((t.between(&a, &d).km - expected.km).abs() < 1e-9);
    }

    #[test]
    fn access_legs_are_added_to_the_road_path() {
        let data = RoadGraphData {
            zones: vec![zone("a", 0.0, 0.0), zone("b", 0.0, 1.0)],
            edges: vec![edge("a", "b", 100.0, Some(90.0), false)],
        };
        let t = TravelModel::new(&settings(), Some(&data));
        let near_a = t.place(Location::new(0.1, 0.0));
        let b = t.place(Location::new(0.0, 1.0));
        let leg = Location::new(0.1, 0.0).distance_km(&Location::new(0.0, 0.0));
        let trip = t.between(&near_a, &b);
        assert!((trip.km - (100.0 + leg)).abs() < 1e-6, "{trip:?}");
        assert!((trip.minutes - (90.0 + leg)).abs() < 1e-6);
        // Same zone: direct estimate.
        let also_near_a = t.place(Location::new(-0.1, 0.0));
        let direct = Location::new(0.1, 0.0).distance_km(&Location::new(-0.1, 0.0));
        assert!((t.between(&near_a, &also_near_a).km - direct).abs() < 1e-6);
        // Switched off: no graph.
        let off = TravelModel::new(
            &TravelSettings {
                use_road_graph: false,
                ..settings()
            },
            Some(&data),
        );
        assert!(!off.has_road_graph());
    }
}
