//! Merging an incoming dataset into a stored one: entities are matched by id, incoming ones
//! replace stored ones in place and new ones are appended, in dataset order. Shared by every
//! store so that `import --merge` means the same everywhere.

use std::collections::HashMap;

use super::records::{ImportMode, ImportSummary};
use crate::model::{Dataset, Keyed};

/// Upserts `incoming` into `base` by id; returns (added, updated).
fn merge_vec<T: Keyed + Clone>(base: &mut Vec<T>, incoming: &[T]) -> (usize, usize) {
    let mut position: HashMap<T::Key, usize> = base
        .iter()
        .enumerate()
        .map(|(i, item)| (item.key().clone(), i))
        .collect();
    let (mut added, mut updated) = (0, 0);
    for item in incoming {
        match position.get(item.key()) {
            Some(&i) => {
                base[i] = item.clone();
                updated += 1;
            }
            None => {
                position.insert(item.key().clone(), base.len());
                base.push(item.clone());
                added += 1;
            }
        }
    }
    (added, updated)
}

/// Upserts `incoming` into `base` by `key`; returns (added, updated).
fn merge_by<T: Clone>(base: &mut Vec<T>, incoming: &[T], key: fn(&T) -> &str) -> (usize, usize) {
    let mut position: HashMap<String, usize> = base
        .iter()
        .enumerate()
        .map(|(i, item)| (key(item).to_owned(), i))
        .collect();
    let (mut added, mut updated) = (0, 0);
    for item in incoming {
        match position.get(key(item)) {
            Some(&i) => {
                base[i] = item.clone();
                updated += 1;
            }
            None => {
                position.insert(key(item).to_owned(), base.len());
                base.push(item.clone());
                added += 1;
            }
        }
    }
    (added, updated)
}

fn sum((a, b): (usize, usize), (c, d): (usize, usize)) -> (usize, usize) {
    (a + c, b + d)
}

/// The dataset that results from merging `incoming` into `base`, and what changed. The merged
/// dataset carries the incoming format version, so an unsupported version is still refused.
pub fn merge_datasets(mut base: Dataset, incoming: &Dataset) -> (Dataset, ImportSummary) {
    let mut summary = ImportSummary {
        mode: ImportMode::Merge,
        ..ImportSummary::default()
    };
    let mut note = |kind: &str, (added, updated): (usize, usize)| {
        if added > 0 {
            summary.added.insert(kind.to_owned(), added);
        }
        if updated > 0 {
            summary.updated.insert(kind.to_owned(), updated);
        }
    };
    base.version = incoming.version;
    note(
        "calendars",
        merge_vec(&mut base.calendars, &incoming.calendars),
    );
    note(
        "customers",
        merge_vec(&mut base.customers, &incoming.customers),
    );
    note(
        "service_objects",
        merge_vec(&mut base.service_objects, &incoming.service_objects),
    );
    note("tasks", merge_vec(&mut base.tasks, &incoming.tasks));
    note(
        "technicians",
        merge_vec(&mut base.technicians, &incoming.technicians),
    );
    note(
        "agreements",
        merge_vec(&mut base.agreements, &incoming.agreements),
    );
    note("orders", merge_vec(&mut base.orders, &incoming.orders));
    note(
        "subscriptions",
        merge_vec(&mut base.subscriptions, &incoming.subscriptions),
    );
    note(
        "return_orders",
        merge_vec(&mut base.return_orders, &incoming.return_orders),
    );
    note(
        "return_reasons",
        merge_by(&mut base.return_reasons, &incoming.return_reasons, |r| {
            r.code.as_str()
        }),
    );
    // Repair codes merge table by table, by code (an area replaces the stored area whole).
    let (codes, new) = (&mut base.repair_codes, &incoming.repair_codes);
    let mut repair = merge_by(&mut codes.symptom_areas, &new.symptom_areas, |a| &a.code);
    repair = sum(
        repair,
        merge_by(&mut codes.diagnosis_areas, &new.diagnosis_areas, |a| {
            &a.code
        }),
    );
    repair = sum(
        repair,
        merge_by(&mut codes.conditions, &new.conditions, |c| &c.code),
    );
    repair = sum(
        repair,
        merge_by(&mut codes.resolutions, &new.resolutions, |c| &c.code),
    );
    repair = sum(
        repair,
        merge_by(&mut codes.stages, &new.stages, |s| &s.code),
    );
    note("repair_codes", repair);
    note(
        "boms",
        merge_by(&mut base.boms, &incoming.boms, |b| b.id.as_str()),
    );
    note("parts", merge_vec(&mut base.parts, &incoming.parts));
    note("tools", merge_vec(&mut base.tools, &incoming.tools));
    note("depots", merge_vec(&mut base.depots, &incoming.depots));
    // A road graph is one network: an incoming graph replaces the stored one.
    if let Some(graph) = &incoming.road_graph {
        let size = graph.zones.len() + graph.edges.len();
        if base.road_graph.replace(graph.clone()).is_some() {
            note("road_graph", (0, size));
        } else {
            note("road_graph", (size, 0));
        }
    }
    // Absences are matched by technician, start and end (a new reason updates the record).
    let (mut added, mut updated) = (0, 0);
    for absence in &incoming.absences {
        let key = absence.key();
        match base.absences.iter_mut().find(|a| a.key() == key) {
            Some(stored) => {
                *stored = absence.clone();
                updated += 1;
            }
            None => {
                base.absences.push(absence.clone());
                added += 1;
            }
        }
    }
    note("absences", (added, updated));
    let (mut added, mut updated) = (0, 0);
    for (name, value) in &incoming.extensions {
        if base
            .extensions
            .insert(name.clone(), value.clone())
            .is_some()
        {
            updated += 1;
        } else {
            added += 1;
        }
    }
    note("extensions", (added, updated));
    (base, summary)
}

/// The summary of a replacing import: everything in the dataset is added.
pub fn replace_summary(dataset: &Dataset) -> ImportSummary {
    let mut summary = ImportSummary {
        mode: ImportMode::Replace,
        ..ImportSummary::default()
    };
    let counts = dataset.section_counts();
    for (kind, n) in counts {
        if n > 0 {
            summary.added.insert(kind.to_owned(), n);
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Customer, Location, TimeZoneName};

    fn customer(id: &str, name: &str) -> Customer {
        Customer {
            id: id.into(),
            name: name.into(),
            tier: "gold".into(),
            time_zone: TimeZoneName::new("Europe/Berlin"),
            location: Location::new(52.5, 13.4),
            address: None,
            calendar: None,
            visiting_hours: None,
            territory: None,
            excluded_technicians: Vec::new(),
        }
    }

    #[test]
    fn merge_replaces_in_place_and_appends_new_ones() {
        let base = Dataset {
            customers: vec![customer("C-1", "Old"), customer("C-2", "Two")],
            ..Dataset::default()
        };
        let incoming = Dataset {
            customers: vec![customer("C-3", "Three"), customer("C-1", "New")],
            ..Dataset::default()
        };
        let (merged, summary) = merge_datasets(base, &incoming);
        let names: Vec<_> = merged.customers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["New", "Two", "Three"]);
        assert_eq!(summary.added.get("customers"), Some(&1));
        assert_eq!(summary.updated.get("customers"), Some(&1));
        assert_eq!(summary.total_added() + summary.total_updated(), 2);
    }
}
