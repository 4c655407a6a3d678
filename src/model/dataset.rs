//! The JSON dataset: the serialised form of a [`Model`], and loading/saving it.
//! See `docs/dataset.md` for the format.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

use super::error::{EntityKind, ModelError, ValidationError, ValidationIssue};
use super::table::{Keyed, Table};
use super::*;

/// Current dataset format version.
pub const DATASET_VERSION: u32 = 1;

/// Largest dataset file read, in bytes (256 MiB): a larger file, device or endless pipe is an
/// error after reading at most one byte more ([`read_dataset_text`]).
pub const MAX_DATASET_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a dataset file as text, reading at most [`MAX_DATASET_BYTES`] + 1 bytes (through
/// `Read::take`, so a device such as `/dev/zero` or a pipe cannot make it read more).
///
/// # Errors
/// [`ModelError::TooLarge`] for a file over the bound, [`ModelError::Io`] when it cannot be
/// read or is not UTF-8.
pub fn read_dataset_text(path: impl AsRef<Path>) -> Result<String, ModelError> {
    use std::io::Read;
    let path = path.as_ref();
    let io = |source| ModelError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut text = String::new();
    file.take(MAX_DATASET_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > MAX_DATASET_BYTES {
        return Err(ModelError::TooLarge {
            path: path.to_owned(),
            max: MAX_DATASET_BYTES,
        });
    }
    Ok(text)
}

fn version_default() -> u32 {
    DATASET_VERSION
}

/// The JSON dataset: one array per entity kind, in the order they are read and written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Format version (currently 1).
    #[serde(default = "version_default")]
    pub version: u32,
    /// Business calendars.
    #[serde(default)]
    pub calendars: Vec<BusinessCalendar>,
    /// Customers.
    #[serde(default)]
    pub customers: Vec<Customer>,
    /// Service objects.
    #[serde(default)]
    pub service_objects: Vec<ServiceObject>,
    /// Service tasks.
    #[serde(default)]
    pub tasks: Vec<ServiceTask>,
    /// Technicians.
    #[serde(default)]
    pub technicians: Vec<Technician>,
    /// Service agreements with their lines.
    #[serde(default)]
    pub agreements: Vec<ServiceAgreement>,
    /// Service orders.
    #[serde(default)]
    pub orders: Vec<ServiceOrder>,
    /// Subscriptions.
    #[serde(default)]
    pub subscriptions: Vec<Subscription>,
    /// Return orders.
    #[serde(default)]
    pub return_orders: Vec<ReturnOrder>,
    /// Return reason codes (empty: reason codes are free text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub return_reasons: Vec<ReturnReason>,
    /// Repair code tables and repair stages.
    #[serde(default, skip_serializing_if = "RepairCodes::is_empty")]
    pub repair_codes: RepairCodes,
    /// Versioned bills of materials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub boms: Vec<BomVersion>,
    /// Road graph for travel estimates (optional; great-circle estimates are used without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub road_graph: Option<RoadGraphData>,
    /// What a store holds besides the model — generation keys, stored plans, the billing
    /// ledger and its transactions, SLA snapshots — as `store::History` writes it. `export`
    /// fills it and a replacing `import` restores it; the model itself ignores it (the store
    /// decodes and checks it), so it is kept here as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<serde_json::Value>,
    /// Technicians' absences (time off that removes working time).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absences: Vec<Absence>,
    /// The part-type catalogue (ids that stocks, tasks, orders and depots name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartType>,
    /// The tool-type catalogue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolType>,
    /// Depots (warehouses where technicians restock).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depots: Vec<Depot>,
    /// Further sections, kept as they are (used by engines that define their own data).
    #[serde(flatten)]
    pub extensions: BTreeMap<String, serde_json::Value>,
}

fn table_of<T: Keyed>(
    items: Vec<T>,
    entity: EntityKind,
    issues: &mut Vec<ValidationIssue>,
) -> Table<T>
where
    T::Key: std::fmt::Display,
{
    let (table, duplicates) = Table::from_vec(items);
    for dup in duplicates {
        issues.push(ValidationIssue::new(
            entity,
            dup.key(),
            "id",
            ValidationError::DuplicateId,
        ));
    }
    table
}

impl Default for Dataset {
    fn default() -> Self {
        Self {
            version: DATASET_VERSION,
            calendars: Vec::new(),
            customers: Vec::new(),
            service_objects: Vec::new(),
            tasks: Vec::new(),
            technicians: Vec::new(),
            agreements: Vec::new(),
            orders: Vec::new(),
            subscriptions: Vec::new(),
            return_orders: Vec::new(),
            return_reasons: Vec::new(),
            repair_codes: RepairCodes::default(),
            boms: Vec::new(),
            road_graph: None,
            history: None,
            absences: Vec::new(),
            parts: Vec::new(),
            tools: Vec::new(),
            depots: Vec::new(),
            extensions: BTreeMap::new(),
        }
    }
}

impl Dataset {
    /// The model sections with how many entries each holds, in dataset order — the one list
    /// of the dataset's model sections that import summaries and store row counts use (the
    /// store's history has its own list, `store::History::counts`). A new section is added
    /// here, in [`Dataset::duplicate_ids`] and in `store::merge_datasets`.
    ///
    /// ```
    /// use fieldwork::model::Dataset;
    /// let counts = Dataset::default().section_counts();
    /// assert_eq!(counts[0], ("calendars", 0));
    /// assert!(counts.iter().any(|(name, _)| *name == "road_graph"));
    /// ```
    pub fn section_counts(&self) -> Vec<(&'static str, usize)> {
        let codes = &self.repair_codes;
        let area_codes =
            |areas: &[CodeArea]| areas.iter().map(|a| 1 + a.codes.len()).sum::<usize>();
        vec![
            ("calendars", self.calendars.len()),
            ("customers", self.customers.len()),
            ("service_objects", self.service_objects.len()),
            ("tasks", self.tasks.len()),
            ("technicians", self.technicians.len()),
            ("agreements", self.agreements.len()),
            ("orders", self.orders.len()),
            ("subscriptions", self.subscriptions.len()),
            ("return_orders", self.return_orders.len()),
            ("return_reasons", self.return_reasons.len()),
            (
                "repair_codes",
                area_codes(&codes.symptom_areas)
                    + area_codes(&codes.diagnosis_areas)
                    + codes.conditions.len()
                    + codes.resolutions.len()
                    + codes.stages.len(),
            ),
            ("boms", self.boms.len()),
            (
                "road_graph",
                self.road_graph
                    .as_ref()
                    .map_or(0, |g| g.zones.len() + g.edges.len()),
            ),
            ("absences", self.absences.len()),
            ("parts", self.parts.len()),
            ("tools", self.tools.len()),
            ("depots", self.depots.len()),
            ("extensions", self.extensions.len()),
        ]
    }

    /// Every id (or code) used twice within its section of this dataset: the section, the id,
    /// and the issue to report. Agreement lines are unique across agreements, repair codes
    /// within their table (area codes within their area), road zones within the graph.
    pub fn duplicate_ids(&self) -> Vec<ValidationIssue> {
        use std::collections::HashSet;
        fn dups(ids: impl IntoIterator<Item = String>, mut report: impl FnMut(String)) {
            let mut seen = HashSet::new();
            for id in ids {
                if !seen.insert(id.clone()) {
                    report(id);
                }
            }
        }
        let mut issues = Vec::new();
        let entity = |kind: EntityKind, ids: Vec<String>, issues: &mut Vec<ValidationIssue>| {
            dups(ids, |id| {
                issues.push(ValidationIssue::new(
                    kind,
                    id,
                    "id",
                    ValidationError::DuplicateId,
                ))
            });
        };
        fn ids<T: Keyed>(items: &[T]) -> Vec<String>
        where
            T::Key: std::fmt::Display,
        {
            items.iter().map(|i| i.key().to_string()).collect()
        }
        entity(EntityKind::Calendar, ids(&self.calendars), &mut issues);
        entity(EntityKind::Customer, ids(&self.customers), &mut issues);
        entity(
            EntityKind::ServiceObject,
            ids(&self.service_objects),
            &mut issues,
        );
        entity(EntityKind::Task, ids(&self.tasks), &mut issues);
        entity(EntityKind::Technician, ids(&self.technicians), &mut issues);
        entity(EntityKind::Agreement, ids(&self.agreements), &mut issues);
        let lines = self
            .agreements
            .iter()
            .flat_map(|a| a.lines.iter().map(|l| l.id.to_string()))
            .collect();
        entity(EntityKind::AgreementLine, lines, &mut issues);
        entity(EntityKind::Order, ids(&self.orders), &mut issues);
        entity(
            EntityKind::Subscription,
            ids(&self.subscriptions),
            &mut issues,
        );
        entity(
            EntityKind::ReturnOrder,
            ids(&self.return_orders),
            &mut issues,
        );
        entity(EntityKind::Part, ids(&self.parts), &mut issues);
        entity(EntityKind::Tool, ids(&self.tools), &mut issues);
        entity(EntityKind::Depot, ids(&self.depots), &mut issues);
        let section =
            |name: &str, field: &str, ids: Vec<String>, issues: &mut Vec<ValidationIssue>| {
                dups(ids, |id| {
                    let e = ValidationError::InvalidValue(format!("`{id}` defined twice"));
                    issues.push(ValidationIssue::new(EntityKind::Dataset, name, field, e));
                });
            };
        let codes = |list: &[Code]| list.iter().map(|c| c.code.clone()).collect::<Vec<_>>();
        let rc = &self.repair_codes;
        section(
            "return_reasons",
            "code",
            self.return_reasons.iter().map(|r| r.code.clone()).collect(),
            &mut issues,
        );
        for (table, areas) in [
            ("symptom_areas", &rc.symptom_areas),
            ("diagnosis_areas", &rc.diagnosis_areas),
        ] {
            section(
                "repair_codes",
                table,
                areas.iter().map(|a| a.code.clone()).collect(),
                &mut issues,
            );
            for area in areas.iter() {
                let field = format!("{table}[{}].codes", area.code);
                section("repair_codes", &field, codes(&area.codes), &mut issues);
            }
        }
        section(
            "repair_codes",
            "conditions",
            codes(&rc.conditions),
            &mut issues,
        );
        section(
            "repair_codes",
            "resolutions",
            codes(&rc.resolutions),
            &mut issues,
        );
        section(
            "repair_codes",
            "stages",
            rc.stages.iter().map(|s| s.code.clone()).collect(),
            &mut issues,
        );
        section(
            "boms",
            "id",
            self.boms.iter().map(|b| b.id.to_string()).collect(),
            &mut issues,
        );
        if let Some(graph) = &self.road_graph {
            section(
                "road_graph",
                "zones",
                graph.zones.iter().map(|z| z.id.clone()).collect(),
                &mut issues,
            );
        }
        issues
    }

    /// [`Dataset::duplicate_ids`] as an error: one [`ModelError::Invalid`] naming every
    /// duplicate (section and id), or `Ok` when every id is unique within its section.
    ///
    /// ```
    /// use fieldwork::model::Dataset;
    /// let d: Dataset = serde_json::from_str(r#"{"return_reasons": [
    ///   {"code": "DOA", "description": "dead"}, {"code": "DOA", "description": "again"}]}"#).unwrap();
    /// let e = d.check_unique_ids().unwrap_err().to_string();
    /// assert!(e.contains("return_reasons") && e.contains("DOA"), "{e}");
    /// ```
    pub fn check_unique_ids(&self) -> Result<(), ModelError> {
        let issues = self.duplicate_ids();
        if issues.is_empty() {
            Ok(())
        } else {
            Err(ModelError::Invalid(issues))
        }
    }
}

impl Model {
    /// Validates a dataset and builds the model; reports every issue found.
    pub fn from_dataset(dataset: Dataset) -> Result<Model, ModelError> {
        let mut issues = Vec::new();
        if dataset.version != DATASET_VERSION {
            issues.push(ValidationIssue::new(
                EntityKind::Dataset,
                "dataset",
                "version",
                ValidationError::InvalidValue(format!(
                    "unsupported version {} (this build reads {DATASET_VERSION})",
                    dataset.version
                )),
            ));
        }
        let mut model = Model {
            calendars: table_of(dataset.calendars, EntityKind::Calendar, &mut issues),
            customers: table_of(dataset.customers, EntityKind::Customer, &mut issues),
            objects: table_of(
                dataset.service_objects,
                EntityKind::ServiceObject,
                &mut issues,
            ),
            tasks: table_of(dataset.tasks, EntityKind::Task, &mut issues),
            technicians: table_of(dataset.technicians, EntityKind::Technician, &mut issues),
            agreements: table_of(dataset.agreements, EntityKind::Agreement, &mut issues),
            orders: table_of(dataset.orders, EntityKind::Order, &mut issues),
            subscriptions: table_of(dataset.subscriptions, EntityKind::Subscription, &mut issues),
            return_orders: table_of(dataset.return_orders, EntityKind::ReturnOrder, &mut issues),
            return_reasons: dataset.return_reasons,
            repair_codes: dataset.repair_codes,
            boms: dataset.boms,
            road_graph: dataset.road_graph,
            absences: dataset.absences,
            parts: table_of(dataset.parts, EntityKind::Part, &mut issues),
            tools: table_of(dataset.tools, EntityKind::Tool, &mut issues),
            depots: table_of(dataset.depots, EntityKind::Depot, &mut issues),
            extensions: dataset.extensions,
            ..Model::default()
        };
        for agreement in model.agreements.iter() {
            for (pos, line) in agreement.lines.iter().enumerate() {
                if model.line_index.contains_key(&line.id) {
                    issues.push(ValidationIssue::new(
                        EntityKind::AgreementLine,
                        &line.id,
                        "id",
                        ValidationError::DuplicateId,
                    ));
                } else {
                    model
                        .line_index
                        .insert(line.id.clone(), (agreement.id.clone(), pos));
                }
            }
        }
        let (hierarchy, cycles) = ObjectHierarchy::build(model.objects.as_slice());
        model.hierarchy = hierarchy;
        for (id, error) in cycles {
            issues.push(ValidationIssue::new(
                EntityKind::ServiceObject,
                id,
                "parent",
                error,
            ));
        }
        validate::check_model(&model, &mut issues);
        if issues.is_empty() {
            Ok(model)
        } else {
            Err(ModelError::Invalid(issues))
        }
    }

    /// The dataset form of the model (entities in their original order).
    pub fn to_dataset(&self) -> Dataset {
        Dataset {
            version: DATASET_VERSION,
            calendars: self.calendars.as_slice().to_vec(),
            customers: self.customers.as_slice().to_vec(),
            service_objects: self.objects.as_slice().to_vec(),
            tasks: self.tasks.as_slice().to_vec(),
            technicians: self.technicians.as_slice().to_vec(),
            agreements: self.agreements.as_slice().to_vec(),
            orders: self.orders.as_slice().to_vec(),
            subscriptions: self.subscriptions.as_slice().to_vec(),
            return_orders: self.return_orders.as_slice().to_vec(),
            return_reasons: self.return_reasons.clone(),
            repair_codes: self.repair_codes.clone(),
            boms: self.boms.clone(),
            road_graph: self.road_graph.clone(),
            history: None,
            absences: self.absences.clone(),
            parts: self.parts.as_slice().to_vec(),
            tools: self.tools.as_slice().to_vec(),
            depots: self.depots.as_slice().to_vec(),
            extensions: self.extensions.clone(),
        }
    }

    /// Parses and validates a JSON dataset.
    pub fn from_json(json: &str) -> Result<Model, ModelError> {
        Self::from_json_named(json, "<input>")
    }

    fn from_json_named(json: &str, origin: &str) -> Result<Model, ModelError> {
        let dataset: Dataset =
            serde_json::from_str(json).map_err(|e| ModelError::json(origin, &e))?;
        Self::from_dataset(dataset)
    }

    /// The model as pretty-printed JSON (the dataset format).
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(&self.to_dataset()).unwrap_or_default()
    }

    /// Loads and validates a dataset file (at most [`MAX_DATASET_BYTES`] bytes).
    pub fn load(path: impl AsRef<Path>) -> Result<Model, ModelError> {
        let path = path.as_ref();
        let text = read_dataset_text(path)?;
        Self::from_json_named(&text, &path.display().to_string())
    }

    /// Writes the dataset file atomically (a temporary file renamed over the target), so a
    /// crash never leaves a half-written dataset.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelError> {
        write_atomically(path.as_ref(), self.to_json().as_bytes())
    }
}

/// Writes `bytes` to a temporary sibling of `path`, syncs it and renames it over `path`.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    use std::io::Write;
    let io = |source| ModelError::Io {
        path: path.to_owned(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut file = std::fs::File::create(&tmp).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
