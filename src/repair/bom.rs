//! Versioned bills of materials as a petgraph graph: items are nodes, each BOM line an edge
//! parent → component carrying its quantity, its BOM version and that version's validity.
//!
//! [`Boms::build`] rejects what would make the structure meaningless: duplicate version ids,
//! inverted validity, non-positive quantities, two versions of one item valid on a common day,
//! and cycles — an item containing itself on some day (naming the items around the cycle and
//! the BOM versions of its links). A cycle through links that are never valid on the same day
//! is not a cycle of any actual structure and is accepted.
//!
//! Queries: [`Boms::components`] explodes an item (or a service object's model) as of a date;
//! [`Boms::where_used`] lists every item that contains an item, directly or indirectly, with
//! the days on which it does.

use chrono::NaiveDate;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::{EdgeFiltered, EdgeRef};
use petgraph::Direction;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use super::error::RepairError;
use crate::model::{BomId, BomVersion, ServiceObject};

/// Most rows one query returns (a guard against pathological structures).
pub const MAX_ROWS: usize = 100_000;

/// Validity of a link: both ends inclusive, `None` unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Validity {
    /// First day, `None` since ever.
    pub from: Option<NaiveDate>,
    /// Last day, `None` open-ended.
    pub to: Option<NaiveDate>,
}

impl Validity {
    /// Whether `date` is within.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= date) && self.to.is_none_or(|t| date <= t)
    }

    /// The days both are valid, if any.
    pub fn intersect(&self, other: &Validity) -> Option<Validity> {
        let from = self.from.max(other.from);
        let to = match (self.to, other.to) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match (from, to) {
            (Some(f), Some(t)) if t < f => None,
            _ => Some(Validity { from, to }),
        }
    }
}

#[derive(Debug, Clone)]
struct Link {
    version: BomId,
    quantity: Decimal,
    valid: Validity,
}

/// One row of a BOM explosion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    /// Depth below the exploded item (1 for its direct components).
    pub level: u32,
    /// The component item.
    pub item: String,
    /// The item it is a component of.
    pub parent: String,
    /// The BOM version of the parent that lists it.
    pub version: BomId,
    /// Quantity per unit of the parent.
    pub quantity: Decimal,
    /// Quantity per unit of the exploded item (the product down the path).
    pub total_quantity: Decimal,
}

/// One row of a where-used list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhereUsed {
    /// Height above the queried item (1 for items using it directly).
    pub level: u32,
    /// The item containing the queried item.
    pub item: String,
    /// Its component on the path down to the queried item.
    pub component: String,
    /// The BOM version of `item` listing `component`.
    pub version: BomId,
    /// Quantity of `component` per unit of `item`.
    pub quantity: Decimal,
    /// The days on which `item` contains the queried item along this path.
    pub valid: Validity,
}

/// The BOM graph of a dataset: items are nodes, BOM lines edges carrying their quantity,
/// version and validity. Built by [`Boms::build`], which rejects duplicate version ids, inverted
/// validity, non-positive quantities, overlapping versions of one item, and cycles that exist on
/// some day (naming the items around the cycle and the versions of its links); links never
/// valid on the same day form no cycle.
///
/// ```
/// use fieldwork::model::BomVersion;
/// use fieldwork::repair::Boms;
/// let versions: Vec<BomVersion> = serde_json::from_str(r#"[
///   {"id": "CH-1", "item": "CHILLER", "valid_to": "2026-12-31",
///    "lines": [{"component": "COMP-A", "quantity": "2"}]},
///   {"id": "CH-2", "item": "CHILLER", "valid_from": "2027-01-01",
///    "lines": [{"component": "COMP-B", "quantity": "2"}, {"component": "FAN", "quantity": "4"}]},
///   {"id": "CB-1", "item": "COMP-B", "lines": [{"component": "VALVE", "quantity": "3"}]}
/// ]"#)?;
/// let boms = Boms::build(&versions)?;
/// let as_of = |d: &str| d.parse().unwrap();
/// let old: Vec<String> = boms.components_of("CHILLER", as_of("2026-06-01"))?
///     .into_iter().map(|c| c.item).collect();
/// assert_eq!(old, ["COMP-A"]);
/// let new: Vec<String> = boms.components_of("CHILLER", as_of("2027-06-01"))?
///     .into_iter().map(|c| format!("{} {}", c.item, c.total_quantity)).collect();
/// assert_eq!(new, ["COMP-B 2", "VALVE 6", "FAN 4"]);
/// let users: Vec<String> = boms.where_used("VALVE")?.into_iter().map(|w| w.item).collect();
/// assert_eq!(users, ["COMP-B", "CHILLER"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Boms {
    graph: DiGraph<String, Link>,
    nodes: HashMap<String, NodeIndex>,
}

impl Boms {
    /// Builds and validates the graph.
    ///
    /// # Errors
    /// The first problem found, in this order: duplicate ids, inverted validity, bad
    /// quantities, overlapping versions, cycles.
    pub fn build(versions: &[BomVersion]) -> Result<Self, RepairError> {
        check_versions(versions)?;
        let mut boms = Boms::default();
        for v in versions {
            let parent = boms.node(&v.item);
            let valid = Validity {
                from: v.valid_from,
                to: v.valid_to,
            };
            for line in &v.lines {
                let child = boms.node(&line.component);
                boms.graph.add_edge(
                    parent,
                    child,
                    Link {
                        version: v.id.clone(),
                        quantity: line.quantity,
                        valid,
                    },
                );
            }
        }
        boms.check_cycles(versions)?;
        Ok(boms)
    }

    fn node(&mut self, item: &str) -> NodeIndex {
        if let Some(&n) = self.nodes.get(item) {
            return n;
        }
        let n = self.graph.add_node(item.to_owned());
        self.nodes.insert(item.to_owned(), n);
        n
    }

    /// Links out of `node` valid on `date`, in BOM line order.
    fn links_on(&self, node: NodeIndex, date: NaiveDate) -> Vec<EdgeIndex> {
        let mut edges: Vec<EdgeIndex> = self
            .graph
            .edges(node)
            .filter(|e| e.weight().valid.contains(date))
            .map(|e| e.id())
            .collect();
        // petgraph lists a node's edges newest first.
        edges.sort();
        edges
    }

    /// Checks the structure is acyclic on every day. The links valid on a day change only on
    /// the days versions start or end, so checking those days (and "since ever") suffices.
    fn check_cycles(&self, versions: &[BomVersion]) -> Result<(), RepairError> {
        let mut days: BTreeSet<Option<NaiveDate>> = BTreeSet::new();
        days.insert(None);
        for v in versions {
            days.insert(v.valid_from);
            if let Some(next) = v.valid_to.and_then(|t| t.succ_opt()) {
                days.insert(Some(next));
            }
        }
        for day in days {
            let date = day.unwrap_or(NaiveDate::MIN);
            let filtered = EdgeFiltered::from_fn(&self.graph, |e| e.weight().valid.contains(date));
            for scc in tarjan_scc(&filtered) {
                let self_loop = scc.len() == 1
                    && self
                        .graph
                        .edges_connecting(scc[0], scc[0])
                        .any(|e| e.weight().valid.contains(date));
                if scc.len() > 1 || self_loop {
                    return Err(self.cycle_error(&scc, day, date));
                }
            }
        }
        Ok(())
    }

    /// The shortest cycle through the smallest item of a strongly connected component.
    fn cycle_error(
        &self,
        scc: &[NodeIndex],
        day: Option<NaiveDate>,
        date: NaiveDate,
    ) -> RepairError {
        let members: HashSet<NodeIndex> = scc.iter().copied().collect();
        let Some(start) = scc
            .iter()
            .copied()
            .min_by(|a, b| self.graph[*a].cmp(&self.graph[*b]))
        else {
            return RepairError::Cycle {
                on: day,
                items: Vec::new(),
                versions: Vec::new(),
            };
        };
        // Breadth-first search from `start` back to `start` within the component.
        let mut via: HashMap<NodeIndex, EdgeIndex> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        let mut closing = None;
        'search: while let Some(n) = queue.pop_front() {
            for e in self.links_on(n, date) {
                let Some((_, to)) = self.graph.edge_endpoints(e) else {
                    continue;
                };
                if to == start {
                    closing = Some(e);
                    break 'search;
                }
                if members.contains(&to) && !via.contains_key(&to) {
                    via.insert(to, e);
                    queue.push_back(to);
                }
            }
        }
        let mut edges = Vec::new();
        let mut edge = closing;
        while let Some(e) = edge {
            edges.push(e);
            let from = self.graph.edge_endpoints(e).map(|(f, _)| f);
            edge = from
                .filter(|&f| f != start)
                .and_then(|f| via.get(&f).copied());
        }
        edges.reverse();
        let mut items = vec![self.graph[start].clone()];
        let mut versions = Vec::new();
        for e in edges {
            if let Some((_, to)) = self.graph.edge_endpoints(e) {
                items.push(self.graph[to].clone());
                versions.push(self.graph[e].version.clone());
            }
        }
        RepairError::Cycle {
            on: day,
            items,
            versions,
        }
    }

    /// The components of a service object (of its model item) as of `as_of`.
    ///
    /// # Errors
    /// As [`components_of`](Self::components_of).
    pub fn components(
        &self,
        object: &ServiceObject,
        as_of: NaiveDate,
    ) -> Result<Vec<Component>, RepairError> {
        self.components_of(&object.model, as_of)
    }

    /// The multi-level explosion of `item` as of `as_of`: depth-first, each parent followed
    /// by its components in BOM line order. An item without a valid BOM has no components.
    ///
    /// # Errors
    /// [`RepairError::QuantityOverflow`] or [`RepairError::TooManyRows`] for pathological
    /// structures.
    pub fn components_of(
        &self,
        item: &str,
        as_of: NaiveDate,
    ) -> Result<Vec<Component>, RepairError> {
        let Some(&root) = self.nodes.get(item) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        // (edge, level, quantity per unit of the root of the parent), pushed in reverse so
        // they pop in line order.
        let mut stack: Vec<(EdgeIndex, u32, Decimal)> = Vec::new();
        let push_children = |stack: &mut Vec<_>, node, level, factor| {
            for e in self.links_on(node, as_of).into_iter().rev() {
                stack.push((e, level, factor));
            }
        };
        push_children(&mut stack, root, 1, Decimal::ONE);
        while let Some((e, level, factor)) = stack.pop() {
            let Some((parent, child)) = self.graph.edge_endpoints(e) else {
                continue;
            };
            let link = &self.graph[e];
            let total =
                factor
                    .checked_mul(link.quantity)
                    .ok_or_else(|| RepairError::QuantityOverflow {
                        item: item.to_owned(),
                    })?;
            check_rows(out.len(), item)?;
            out.push(Component {
                level,
                item: self.graph[child].clone(),
                parent: self.graph[parent].clone(),
                version: link.version.clone(),
                quantity: link.quantity,
                total_quantity: total.normalize(),
            });
            push_children(&mut stack, child, level + 1, total);
        }
        Ok(out)
    }

    /// Every item containing `item`, directly (level 1) or through components (level 2…),
    /// across all BOM versions, each with the days on which it does (the intersection of the
    /// validities along the path). Breadth-first by level, in BOM version order within one.
    ///
    /// # Errors
    /// [`RepairError::TooManyRows`] for pathological structures.
    pub fn where_used(&self, item: &str) -> Result<Vec<WhereUsed>, RepairError> {
        let Some(&start) = self.nodes.get(item) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let always = Validity {
            from: None,
            to: None,
        };
        let mut frontier = vec![(start, always)];
        let mut level = 1;
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for (node, valid) in frontier {
                let mut edges: Vec<EdgeIndex> = self
                    .graph
                    .edges_directed(node, Direction::Incoming)
                    .map(|e| e.id())
                    .collect();
                edges.sort();
                for e in edges {
                    let Some((parent, _)) = self.graph.edge_endpoints(e) else {
                        continue;
                    };
                    let link = &self.graph[e];
                    // A path whose links are never valid together is no structure.
                    let Some(valid) = valid.intersect(&link.valid) else {
                        continue;
                    };
                    check_rows(out.len(), item)?;
                    out.push(WhereUsed {
                        level,
                        item: self.graph[parent].clone(),
                        component: self.graph[node].clone(),
                        version: link.version.clone(),
                        quantity: link.quantity,
                        valid,
                    });
                    next.push((parent, valid));
                }
            }
            frontier = next;
            level += 1;
        }
        Ok(out)
    }
}

/// The row limit of one query.
fn check_rows(rows: usize, item: &str) -> Result<(), RepairError> {
    if rows >= MAX_ROWS {
        return Err(RepairError::TooManyRows {
            item: item.to_owned(),
            limit: MAX_ROWS,
        });
    }
    Ok(())
}

/// The per-version checks: ids, validity, quantities, overlaps.
fn check_versions(versions: &[BomVersion]) -> Result<(), RepairError> {
    let mut ids = HashSet::new();
    let mut by_item: HashMap<&str, Vec<&BomVersion>> = HashMap::new();
    for v in versions {
        if !ids.insert(&v.id) {
            return Err(RepairError::DuplicateBom { id: v.id.clone() });
        }
        if let (Some(from), Some(to)) = (v.valid_from, v.valid_to) {
            if to < from {
                return Err(RepairError::InvertedValidity {
                    id: v.id.clone(),
                    from,
                    to,
                });
            }
        }
        if let Some(line) = v.lines.iter().find(|l| l.quantity <= Decimal::ZERO) {
            return Err(RepairError::BadQuantity {
                id: v.id.clone(),
                component: line.component.clone(),
                quantity: line.quantity,
            });
        }
        by_item.entry(v.item.as_str()).or_default().push(v);
    }
    let mut items: Vec<_> = by_item.into_iter().collect();
    items.sort_by_key(|(item, _)| *item);
    for (item, mut list) in items {
        // Sorted by start, two versions overlap iff one starts before the previous ends.
        list.sort_by_key(|v| v.valid_from);
        for pair in list.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let overlap = a
                .valid_to
                .is_none_or(|end| b.valid_from.is_none_or(|s| s <= end));
            if overlap {
                return Err(RepairError::OverlappingVersions {
                    item: item.to_owned(),
                    first: a.id.clone(),
                    second: b.id.clone(),
                    on: b.valid_from,
                });
            }
        }
    }
    Ok(())
}
