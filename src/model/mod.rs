//! The domain model: customers, calendars, service objects, tasks, technicians, agreements,
//! service orders, subscriptions, repairs and return orders — typed, serde-serialisable, held in
//! a validated [`Model`] indexed by id. Engines read the model; only the model validates it.

mod absence;
mod agreement;
mod bom;
mod calendar;
mod common;
mod customer;
mod dataset;
mod error;
mod ids;
mod limits;
mod object;
mod operation;
mod order;
mod repair;
mod rma;
mod road;
mod stock;
mod subscription;
mod table;
mod task;
mod technician;
mod validate;

pub use absence::Absence;
pub use agreement::{AgreementLine, AgreementStatus, Recurrence, ServiceAgreement};
pub use bom::{BomLine, BomVersion};
pub use calendar::{BusinessCalendar, OpeningInterval, TimeOfDay, WeeklyHours, SECONDS_PER_DAY};
pub use common::{Location, TimeZoneName};
pub use customer::Customer;
pub use dataset::{read_dataset_text, Dataset, DATASET_VERSION, MAX_DATASET_BYTES};
pub use error::{EntityKind, ModelError, ValidationError, ValidationIssue};
pub use ids::*;
pub(crate) use limits::check_rule_text;
pub use limits::{check_rule_limits, END_YEAR, FIRST_YEAR, SUPPORTED_FREQUENCIES};
pub use object::{ObjectHierarchy, ServiceObject};
pub use operation::{
    allowed_actions, OperationError, OrderAction, OrderOperation, WorkFacts,
    MAX_REPAIR_LINES_PER_OPERATION,
};
pub use order::{
    Appointment, LifecycleError, LineKind, OrderEvent, OrderLine, OrderOrigin, OrderStatus,
    Priority, ServiceOrder, StatusChange, MAX_CREW,
};
pub use repair::{Code, CodeArea, RepairCodes, RepairLine, RepairStage};
pub use rma::{DispositionCode, ReturnLine, ReturnOrder, ReturnReason, ReturnStatus};
pub use road::{RoadEdge, RoadGraphData, RoadZone};
pub use stock::{Depot, PartType, PartUnits, Shortfall, ToolType, MAX_PART_UNITS};
pub use subscription::{BillingFrequency, PeriodAlignment, Subscription};
pub use table::{Keyed, Table};
pub use task::{ServiceTask, SkillRequirement};
pub use technician::{Certification, Technician};
pub use validate::rrule_set;
pub use validate::MAX_PART_MINUTES;

use std::collections::{BTreeMap, HashMap};

/// A validated, indexed model of one service business.
///
/// Build it from a [`Dataset`] (or JSON) — every reference is then known to resolve — and read
/// it through the accessors. Orders can be added and moved through their lifecycle; other
/// entities change by re-importing a dataset.
///
/// ```
/// use fieldwork::model::Model;
/// let model = Model::from_json(r#"{
///   "version": 1,
///   "calendars": [{"id": "office", "time_zone": "Europe/Berlin",
///                  "weekly": {"mon": [["08:00","17:00"]]}}],
///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "Europe/Berlin",
///                  "location": {"lat": 52.5, "lon": 13.4}, "calendar": "office"}]
/// }"#).unwrap();
/// assert_eq!(model.customers().len(), 1);
/// assert!(Model::from_json(r#"{"customers": [{"id": "C-1", "name": "Acme", "tier": "gold",
///   "time_zone": "Mars/Base", "location": {"lat": 0, "lon": 0}, "calendar": "nope"}]}"#)
///   .unwrap_err().issues().len() == 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Model {
    calendars: Table<BusinessCalendar>,
    customers: Table<Customer>,
    objects: Table<ServiceObject>,
    tasks: Table<ServiceTask>,
    technicians: Table<Technician>,
    agreements: Table<ServiceAgreement>,
    orders: Table<ServiceOrder>,
    subscriptions: Table<Subscription>,
    return_orders: Table<ReturnOrder>,
    return_reasons: Vec<ReturnReason>,
    repair_codes: RepairCodes,
    boms: Vec<BomVersion>,
    /// agreement line id → (agreement index by id, line position)
    line_index: HashMap<AgreementLineId, (AgreementId, usize)>,
    hierarchy: ObjectHierarchy,
    road_graph: Option<RoadGraphData>,
    absences: Vec<Absence>,
    parts: Table<PartType>,
    tools: Table<ToolType>,
    depots: Table<Depot>,
    extensions: BTreeMap<String, serde_json::Value>,
}

impl Model {
    /// Business calendars.
    pub fn calendars(&self) -> &[BusinessCalendar] {
        self.calendars.as_slice()
    }
    /// A calendar by id.
    pub fn calendar(&self, id: &CalendarId) -> Option<&BusinessCalendar> {
        self.calendars.get(id)
    }
    /// Customers.
    pub fn customers(&self) -> &[Customer] {
        self.customers.as_slice()
    }
    /// A customer by id.
    pub fn customer(&self, id: &CustomerId) -> Option<&Customer> {
        self.customers.get(id)
    }
    /// Service objects.
    pub fn service_objects(&self) -> &[ServiceObject] {
        self.objects.as_slice()
    }
    /// A service object by id.
    pub fn service_object(&self, id: &ServiceObjectId) -> Option<&ServiceObject> {
        self.objects.get(id)
    }
    /// The service-object hierarchy.
    pub fn object_hierarchy(&self) -> &ObjectHierarchy {
        &self.hierarchy
    }
    /// Service tasks.
    pub fn tasks(&self) -> &[ServiceTask] {
        self.tasks.as_slice()
    }
    /// A task by code.
    pub fn task(&self, code: &TaskCode) -> Option<&ServiceTask> {
        self.tasks.get(code)
    }
    /// Technicians' absences, in dataset order.
    pub fn absences(&self) -> &[Absence] {
        &self.absences
    }
    /// The absences of one technician.
    pub fn absences_of<'a>(
        &'a self,
        technician: &'a TechnicianId,
    ) -> impl Iterator<Item = &'a Absence> + 'a {
        self.absences
            .iter()
            .filter(move |a| &a.technician == technician)
    }
    /// Technicians.
    pub fn technicians(&self) -> &[Technician] {
        self.technicians.as_slice()
    }
    /// A technician by id.
    pub fn technician(&self, id: &TechnicianId) -> Option<&Technician> {
        self.technicians.get(id)
    }
    /// Service agreements.
    pub fn agreements(&self) -> &[ServiceAgreement] {
        self.agreements.as_slice()
    }
    /// An agreement by id.
    pub fn agreement(&self, id: &AgreementId) -> Option<&ServiceAgreement> {
        self.agreements.get(id)
    }
    /// An agreement line and its agreement, by line id.
    pub fn agreement_line(
        &self,
        id: &AgreementLineId,
    ) -> Option<(&ServiceAgreement, &AgreementLine)> {
        let (agreement_id, pos) = self.line_index.get(id)?;
        let agreement = self.agreements.get(agreement_id)?;
        Some((agreement, agreement.lines.get(*pos)?))
    }
    /// Service orders.
    pub fn orders(&self) -> &[ServiceOrder] {
        self.orders.as_slice()
    }
    /// An order by id.
    pub fn order(&self, id: &OrderId) -> Option<&ServiceOrder> {
        self.orders.get(id)
    }
    /// Subscriptions.
    pub fn subscriptions(&self) -> &[Subscription] {
        self.subscriptions.as_slice()
    }
    /// A subscription by id.
    pub fn subscription(&self, id: &SubscriptionId) -> Option<&Subscription> {
        self.subscriptions.get(id)
    }
    /// Return orders.
    pub fn return_orders(&self) -> &[ReturnOrder] {
        self.return_orders.as_slice()
    }
    /// A return order by id.
    pub fn return_order(&self, id: &ReturnOrderId) -> Option<&ReturnOrder> {
        self.return_orders.get(id)
    }

    /// Return reason codes (empty: reason codes are free text).
    pub fn return_reasons(&self) -> &[ReturnReason] {
        &self.return_reasons
    }
    /// Repair code tables and repair stages.
    pub fn repair_codes(&self) -> &RepairCodes {
        &self.repair_codes
    }
    /// Versioned bills of materials, as in the dataset (see `repair::Boms` for the
    /// graph and its queries).
    pub fn boms(&self) -> &[BomVersion] {
        &self.boms
    }
    /// The road graph (zone nodes and roads), when the dataset has a `road_graph` section.
    pub fn road_graph(&self) -> Option<&RoadGraphData> {
        self.road_graph.as_ref()
    }

    /// The part-type catalogue.
    pub fn part_types(&self) -> &[PartType] {
        self.parts.as_slice()
    }
    /// A part type by id.
    pub fn part_type(&self, id: &PartId) -> Option<&PartType> {
        self.parts.get(id)
    }
    /// The tool-type catalogue.
    pub fn tool_types(&self) -> &[ToolType] {
        self.tools.as_slice()
    }
    /// A tool type by id.
    pub fn tool_type(&self, id: &ToolId) -> Option<&ToolType> {
        self.tools.get(id)
    }
    /// Depots (warehouses where technicians restock).
    pub fn depots(&self) -> &[Depot] {
        self.depots.as_slice()
    }
    /// A depot by id.
    pub fn depot(&self, id: &DepotId) -> Option<&Depot> {
        self.depots.get(id)
    }
    /// The depot where a technician restocks: its `depot`, else the depot nearest to its home
    /// (great-circle; the first in dataset order on a tie); `None` without depots.
    pub fn technician_depot(&self, technician: &Technician) -> Option<&Depot> {
        match &technician.depot {
            Some(id) => self.depot(id),
            None => self
                .depots
                .iter()
                .map(|d| (technician.home.distance_km(&d.location), d))
                .fold(None::<(f64, &Depot)>, |best, (km, d)| match best {
                    Some((b, _)) if b <= km => best,
                    _ => Some((km, d)),
                })
                .map(|(_, d)| d),
        }
    }

    /// Parts an order needs: its task lines' parts × the line's quantity (rounded up) plus the
    /// order's own `parts`, units per part type (sums saturate at `u32::MAX`).
    ///
    /// ```
    /// use fieldwork::model::Model;
    /// let model = Model::from_json(r#"{"parts": [{"id": "P-filter", "name": "Filter"}],
    ///   "tasks": [{"code": "SWAP", "description": "swap", "duration_minutes": 30,
    ///              "parts": {"P-filter": 1}}]}"#).unwrap();
    /// let mut order = fieldwork::model::ServiceOrder::new("SO-1", "C-1",
    ///     fieldwork::model::Priority::Normal, chrono::Utc::now());
    /// order.lines.push(serde_json::from_str(
    ///     r#"{"kind": "task", "task": "SWAP", "quantity": "2", "unit_price": "0"}"#).unwrap());
    /// order.parts.insert("P-filter".into(), 1);
    /// assert_eq!(model.order_required_parts(&order)[&"P-filter".into()], 3);
    /// ```
    pub fn order_required_parts(&self, order: &ServiceOrder) -> PartUnits {
        use rust_decimal::prelude::ToPrimitive;
        let mut units = order.parts.clone();
        for line in &order.lines {
            let (LineKind::Task, Some(code)) = (line.kind, &line.task) else {
                continue;
            };
            let Some(task) = self.task(code) else {
                continue;
            };
            let qty = line.quantity.ceil().to_u32().unwrap_or(0);
            for (part, n) in &task.parts {
                let add = n.saturating_mul(qty);
                let total = units.entry(part.clone()).or_insert(0);
                *total = total.saturating_add(add);
            }
        }
        units.retain(|_, n| *n > 0);
        units
    }

    /// Tools an order needs: its tasks' tools and its own `tools`, sorted, each once.
    pub fn order_required_tools(&self, order: &ServiceOrder) -> Vec<ToolId> {
        let mut tools: std::collections::BTreeSet<ToolId> = order.tools.iter().cloned().collect();
        for task in order.task_codes().filter_map(|c| self.task(c)) {
            tools.extend(task.tools.iter().cloned());
        }
        tools.into_iter().collect()
    }

    /// Dataset sections this version of the model does not interpret (kept for round trips and
    /// for engines that define their own sections, e.g. repair code tables).
    pub fn extension(&self, name: &str) -> Option<&serde_json::Value> {
        self.extensions.get(name)
    }

    /// Adds a service order after checking its references and history; the model is unchanged
    /// on error.
    pub fn add_order(&mut self, order: ServiceOrder) -> Result<(), ModelError> {
        let mut issues = Vec::new();
        validate::check_order(self, &order, &mut issues);
        if self.orders.contains(&order.id) {
            issues.push(ValidationIssue::new(
                EntityKind::Order,
                &order.id,
                "id",
                ValidationError::DuplicateId,
            ));
        }
        if !issues.is_empty() {
            return Err(ModelError::Invalid(issues));
        }
        self.orders.upsert(order);
        Ok(())
    }

    /// Replaces a stored return order by a new version with the same id (a lifecycle step);
    /// the model is unchanged on error.
    ///
    /// # Errors
    /// [`ModelError::NotFound`] when no return order has that id.
    pub fn update_return_order(&mut self, rma: ReturnOrder) -> Result<(), ModelError> {
        if !self.return_orders.contains(&rma.id) {
            return Err(ModelError::NotFound {
                entity: EntityKind::ReturnOrder,
                id: rma.id.to_string(),
            });
        }
        self.return_orders.upsert(rma);
        Ok(())
    }

    /// Makes room for `additional` more orders before adding many (e.g. order generation):
    /// saves the repeated growth of the order table and its index.
    pub fn reserve_orders(&mut self, additional: usize) {
        self.orders.reserve(additional);
    }

    /// Moves an order through its lifecycle (see [`ServiceOrder::transition`]).
    pub fn transition_order(
        &mut self,
        id: &OrderId,
        to: OrderStatus,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ModelError> {
        let order = self
            .orders
            .get_mut(id)
            .ok_or_else(|| ModelError::NotFound {
                entity: EntityKind::Order,
                id: id.to_string(),
            })?;
        order
            .transition(to, at)
            .map_err(|e| ModelError::Invalid(vec![lifecycle_issue(id, e)]))
    }

    /// Changes an order's priority (SLA targets are recomputed from its creation).
    pub fn set_order_priority(
        &mut self,
        id: &OrderId,
        priority: Priority,
    ) -> Result<(), ModelError> {
        let order = self
            .orders
            .get_mut(id)
            .ok_or_else(|| ModelError::NotFound {
                entity: EntityKind::Order,
                id: id.to_string(),
            })?;
        order.priority = priority;
        Ok(())
    }

    /// Clears an order's booked window and pinned start (to look for new slots for it).
    pub(crate) fn clear_order_booking(&mut self, id: &OrderId) {
        if let Some(order) = self.orders.get_mut(id) {
            order.appointment = None;
            order.pinned_start = None;
        }
    }

    /// Minutes of work on site: task lines' standard durations × quantity plus hour lines.
    pub fn order_duration_minutes(&self, order: &ServiceOrder) -> u32 {
        use rust_decimal::prelude::ToPrimitive;
        let minutes: f64 = order
            .lines
            .iter()
            .map(|line| {
                let qty = line.quantity.to_f64().unwrap_or(0.0).max(0.0);
                match (line.kind, &line.task) {
                    (LineKind::Task, Some(code)) => {
                        self.task(code)
                            .map_or(0.0, |t| f64::from(t.duration_minutes))
                            * qty
                    }
                    (LineKind::Hour, _) => qty * 60.0,
                    _ => 0.0,
                }
            })
            .sum();
        minutes.round().clamp(0.0, f64::from(u32::MAX)) as u32
    }

    /// Skills the order's tasks need, the highest minimum level per skill, sorted by skill.
    pub fn order_required_skills(&self, order: &ServiceOrder) -> Vec<SkillRequirement> {
        let mut levels: BTreeMap<&str, u8> = BTreeMap::new();
        for task in order.task_codes().filter_map(|c| self.task(c)) {
            for req in &task.required_skills {
                let level = levels.entry(req.skill.as_str()).or_insert(0);
                *level = (*level).max(req.min_level);
            }
        }
        levels
            .into_iter()
            .map(|(skill, min_level)| SkillRequirement {
                skill: skill.to_owned(),
                min_level,
            })
            .collect()
    }

    /// The calendar of an order's site visiting hours: its service object's
    /// `visiting_hours`, else its customer's; `None` when neither restricts visits.
    pub fn order_visiting_hours(&self, order: &ServiceOrder) -> Option<&BusinessCalendar> {
        order
            .service_object
            .as_ref()
            .and_then(|o| self.service_object(o))
            .and_then(|o| o.visiting_hours.as_ref())
            .or_else(|| {
                self.customer(&order.customer)
                    .and_then(|c| c.visiting_hours.as_ref())
            })
            .and_then(|c| self.calendar(c))
    }

    /// Where the order's work is done: its object's location, else the customer's site.
    pub fn order_location(&self, order: &ServiceOrder) -> Option<Location> {
        order
            .service_object
            .as_ref()
            .and_then(|o| self.service_object(o))
            .and_then(|o| o.location)
            .or_else(|| self.customer(&order.customer).map(|c| c.location))
    }
}

fn lifecycle_issue(id: &OrderId, e: LifecycleError) -> ValidationIssue {
    ValidationIssue::new(
        EntityKind::Order,
        id,
        "history",
        ValidationError::InvalidValue(e.to_string()),
    )
}
