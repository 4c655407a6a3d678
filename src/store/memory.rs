//! [`MemoryStore`]: the [`Store`] kept in memory — for tests, for embedders that persist
//! elsewhere, and as the reference the SQLite store is tested against.

use chrono::Utc;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::{
    merge_datasets, BatchKind, BatchReceipt, BatchRecord, GeneratedOrder, GenerationKey, History,
    ReturnStep, SlaSnapshot, StatusUpdate, Store, StoreError, StoredPlan,
};
use crate::billing::{BillingKey, Transaction, TransactionSource};
use crate::model::{Absence, Dataset, Model, ModelError, OrderId, OrderOperation, ServiceOrder};

/// A store in memory. Writes are atomic: each batch is applied to a copy that replaces the
/// current state only when the whole batch succeeded.
///
/// ```
/// use fieldwork::store::{MemoryStore, Store};
/// let store = MemoryStore::new();
/// assert!(store.load_model().unwrap().orders().is_empty());
/// assert!(store.batches().unwrap().is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    model: Model,
    keys: HashMap<String, OrderId>,
    sla: BTreeMap<(OrderId, String), SlaSnapshot>,
    plans: Vec<StoredPlan>,
    transactions: Vec<Transaction>,
    transaction_ids: HashSet<String>,
    billed: BTreeSet<BillingKey>,
    batches: Vec<BatchRecord>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `model` (no results yet).
    pub fn with_model(model: Model) -> Self {
        Self {
            model,
            ..Self::default()
        }
    }

    /// The stored model, without copying it.
    pub fn model(&self) -> &Model {
        &self.model
    }

    fn log(&mut self, kind: BatchKind, rows: usize) -> Option<i64> {
        if rows == 0 {
            return None;
        }
        let id = self.batches.last().map_or(1, |b| b.id + 1);
        self.batches.push(BatchRecord {
            id,
            kind,
            at: Utc::now(),
            rows: rows as u64,
        });
        Some(id)
    }

    /// Applies status updates; returns how many were written (an update whose expected
    /// status is no longer the order's is skipped).
    fn apply_updates(model: &mut Model, updates: &[StatusUpdate]) -> Result<usize, StoreError> {
        let mut written = 0;
        for update in updates {
            let current = model.order(&update.order).map(|o| o.status());
            if update.expected.is_some() && current.is_some() && current != update.expected {
                continue;
            }
            written += 1;
            model
                .transition_order(&update.order, update.change.status, update.change.at)
                .map_err(|e| conflict(&update.order, e))?;
        }
        Ok(written)
    }
}

/// `plan` without the visits and unassigned entries of orders that are final (completed or
/// cancelled) in `model`: an operation recorded while the plan was computed wins.
pub(crate) fn without_final_orders(model: &Model, plan: &StoredPlan) -> StoredPlan {
    let is_final = |o: &OrderId| model.order(o).is_some_and(|o| o.status().is_final());
    let mut kept = plan.clone();
    for route in &mut kept.plan.routes {
        route.visits.retain(|v| !is_final(&v.order));
    }
    kept.plan.routes.retain(|r| !r.visits.is_empty());
    kept.plan.unassigned.retain(|u| !is_final(&u.order));
    if kept != *plan {
        kept.plan.refresh_kpis();
    }
    kept
}

fn conflict(order: &OrderId, e: ModelError) -> StoreError {
    let message = match &e {
        ModelError::Invalid(issues) if issues.len() == 1 => issues[0].error.to_string(),
        other => other.to_string(),
    };
    StoreError::Conflict {
        entity: "order",
        id: order.to_string(),
        message,
    }
}

impl Store for MemoryStore {
    fn load_model(&self) -> Result<Model, StoreError> {
        Ok(self.model.clone())
    }

    fn replace_model(&mut self, model: &Model, history: &History) -> Result<(), StoreError> {
        history.check(model)?;
        let sections = model.to_dataset().section_counts();
        let count: usize = sections
            .iter()
            .chain(history.counts().iter())
            .map(|(_, n)| n)
            .sum();
        *self = MemoryStore::with_model(model.clone());
        self.keys = history
            .generation_keys
            .iter()
            .map(|k| (k.key.clone(), k.order.clone()))
            .collect();
        self.plans = history.plans.clone();
        self.transactions = history.transactions.clone();
        self.transaction_ids = history.transactions.iter().map(|t| t.id.clone()).collect();
        self.billed = history.billed_periods.iter().cloned().collect();
        self.sla = history
            .sla_snapshots
            .iter()
            .map(|s| ((s.order.clone(), s.metric.clone()), s.clone()))
            .collect();
        self.log(BatchKind::Import, count);
        Ok(())
    }

    fn history(&self) -> Result<History, StoreError> {
        let mut generation_keys: Vec<GenerationKey> = self
            .keys
            .iter()
            .map(|(key, order)| GenerationKey {
                key: key.clone(),
                order: order.clone(),
            })
            .collect();
        generation_keys.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(History {
            generation_keys,
            plans: self.plans.clone(),
            billed_periods: self.billed.iter().cloned().collect(),
            transactions: self.transactions.clone(),
            sla_snapshots: self.sla.values().cloned().collect(),
        })
    }

    fn merge_entities(&mut self, incoming: &Dataset) -> Result<(), StoreError> {
        let (merged, summary) = merge_datasets(self.model.to_dataset(), incoming);
        self.model = Model::from_dataset(merged)?;
        self.log(
            BatchKind::Import,
            summary.total_added() + summary.total_updated(),
        );
        Ok(())
    }

    fn remove_absence(&mut self, absence: &Absence) -> Result<bool, StoreError> {
        let key = absence.key();
        if !self.model.absences().iter().any(|a| a.key() == key) {
            return Ok(false);
        }
        let mut dataset = self.model.to_dataset();
        dataset.absences.retain(|a| a.key() != key);
        self.model = Model::from_dataset(dataset)?;
        self.log(BatchKind::Import, 1);
        Ok(true)
    }

    fn generation_keys(&self) -> Result<HashSet<String>, StoreError> {
        Ok(self.keys.keys().cloned().collect())
    }

    fn insert_generated(&mut self, orders: &[GeneratedOrder]) -> Result<BatchReceipt, StoreError> {
        let mut model = self.model.clone();
        let mut keys = Vec::new();
        let mut seen = HashSet::new();
        let mut skipped_keys = Vec::new();
        for generated in orders {
            let id = &generated.order.id;
            if self.keys.contains_key(&generated.key)
                || !seen.insert(generated.key.as_str())
                || model
                    .order(id)
                    .is_some_and(|stored| stored.origin == generated.order.origin)
            {
                // Stored already: by key, earlier in this batch, or as the same order (same id
                // and origin) that a merge import brought in.
                skipped_keys.push(generated.key.clone());
                continue;
            }
            if model.order(id).is_some() {
                return Err(StoreError::Conflict {
                    entity: "order",
                    id: id.to_string(),
                    message: format!(
                        "id already taken by another order (generation key `{}`)",
                        generated.key
                    ),
                });
            }
            model.add_order(generated.order.clone())?;
            keys.push((generated.key.clone(), id.clone()));
        }
        self.model = model;
        let written = keys.len();
        self.keys.extend(keys);
        Ok(BatchReceipt {
            batch: self.log(BatchKind::Generate, written),
            written,
            skipped: skipped_keys.len(),
            skipped_keys,
        })
    }

    fn record_status_changes(
        &mut self,
        updates: &[StatusUpdate],
    ) -> Result<BatchReceipt, StoreError> {
        let mut model = self.model.clone();
        let written = Self::apply_updates(&mut model, updates)?;
        self.model = model;
        Ok(BatchReceipt {
            batch: self.log(BatchKind::Status, written),
            written,
            skipped: updates.len() - written,
            ..Default::default()
        })
    }

    fn save_sla_snapshots(
        &mut self,
        snapshots: &[SlaSnapshot],
    ) -> Result<BatchReceipt, StoreError> {
        if let Some(s) = snapshots
            .iter()
            .find(|s| self.model.order(&s.order).is_none())
        {
            return Err(StoreError::Conflict {
                entity: "order",
                id: s.order.to_string(),
                message: "SLA snapshot for an order that is not stored".into(),
            });
        }
        for s in snapshots {
            self.sla
                .insert((s.order.clone(), s.metric.clone()), s.clone());
        }
        Ok(BatchReceipt {
            batch: self.log(BatchKind::Sla, snapshots.len()),
            written: snapshots.len(),
            skipped: 0,
            ..Default::default()
        })
    }

    fn sla_snapshots(&self) -> Result<Vec<SlaSnapshot>, StoreError> {
        Ok(self.sla.values().cloned().collect())
    }

    fn save_plan(
        &mut self,
        plan: &StoredPlan,
        updates: &[StatusUpdate],
    ) -> Result<BatchReceipt, StoreError> {
        let visits = plan.plan.routes.iter().flat_map(|r| &r.visits);
        let referenced = visits
            .clone()
            .map(|v| &v.order)
            .chain(plan.plan.unassigned.iter().map(|u| &u.order));
        for order in referenced {
            if self.model.order(order).is_none() {
                return Err(StoreError::Conflict {
                    entity: "plan",
                    id: plan.id.clone(),
                    message: format!("refers to unknown order `{order}`"),
                });
            }
        }
        if let Some(r) = plan
            .plan
            .routes
            .iter()
            .find(|r| self.model.technician(&r.technician).is_none())
        {
            return Err(StoreError::Conflict {
                entity: "plan",
                id: plan.id.clone(),
                message: format!("refers to unknown technician `{}`", r.technician),
            });
        }
        let mut model = self.model.clone();
        let written_updates = Self::apply_updates(&mut model, updates)?;
        let plan = &without_final_orders(&model, plan);
        let visit_count = plan
            .plan
            .routes
            .iter()
            .map(|r| r.visits.len())
            .sum::<usize>();
        self.model = model;
        self.plans.retain(|p| p.id != plan.id);
        let mentioned: HashSet<&OrderId> = plan
            .plan
            .routes
            .iter()
            .flat_map(|r| &r.visits)
            .map(|v| &v.order)
            .chain(plan.plan.unassigned.iter().map(|u| &u.order))
            .collect();
        for older in &mut self.plans {
            for route in &mut older.plan.routes {
                route.visits.retain(|v| !mentioned.contains(&v.order));
            }
            older.plan.routes.retain(|r| !r.visits.is_empty());
        }
        self.plans.push(plan.clone());
        let rows =
            1 + plan.plan.routes.len() + visit_count + plan.plan.unassigned.len() + written_updates;
        Ok(BatchReceipt {
            batch: self.log(BatchKind::Plan, rows),
            written: rows,
            skipped: 0,
            ..Default::default()
        })
    }

    fn apply_operation(&mut self, operation: &OrderOperation) -> Result<ServiceOrder, StoreError> {
        let order = self.model.apply_operation(operation)?.clone();
        self.log(BatchKind::Status, 1);
        Ok(order)
    }

    fn apply_return_step(&mut self, step: &ReturnStep) -> Result<BatchReceipt, StoreError> {
        let id = &step.rma.id;
        let conflict = |message: String| StoreError::Conflict {
            entity: "return order",
            id: id.to_string(),
            message,
        };
        let stored = self
            .model
            .return_order(id)
            .ok_or_else(|| conflict("is not stored".into()))?;
        if stored.status != step.from {
            return Err(conflict(format!(
                "is {}, not {} (changed since it was read)",
                stored.status, step.from
            )));
        }
        let mut model = self.model.clone();
        model.update_return_order(step.rma.clone())?;
        for order in &step.orders {
            if model.order(&order.id).is_some() {
                return Err(conflict(format!("order id `{}` is taken", order.id)));
            }
            model.add_order(order.clone())?;
        }
        let new: Vec<&Transaction> = step
            .transactions
            .iter()
            .filter(|t| !self.transaction_ids.contains(&t.id))
            .collect();
        self.model = model;
        for t in &new {
            self.transaction_ids.insert(t.id.clone());
            self.transactions.push((*t).clone());
        }
        let written = 1 + step.orders.len() + new.len();
        Ok(BatchReceipt {
            batch: self.log(BatchKind::Status, written),
            written,
            skipped: step.transactions.len() - new.len(),
            ..Default::default()
        })
    }

    fn plans(&self) -> Result<Vec<StoredPlan>, StoreError> {
        Ok(self.plans.clone())
    }

    fn save_billing(
        &mut self,
        transactions: &[Transaction],
        billed: &[BillingKey],
    ) -> Result<BatchReceipt, StoreError> {
        let subscriptions =
            billed
                .iter()
                .map(|k| &k.subscription)
                .chain(transactions.iter().filter_map(|t| match &t.source {
                    TransactionSource::Subscription { subscription, .. } => Some(subscription),
                    TransactionSource::ReturnOrder { .. } => None,
                }));
        for sub in subscriptions {
            if self.model.subscription(sub).is_none() {
                return Err(StoreError::Conflict {
                    entity: "subscription",
                    id: sub.to_string(),
                    message: "billed, but not stored".into(),
                });
            }
        }
        if let Some(t) = transactions
            .iter()
            .find(|t| self.model.customer(&t.customer).is_none())
        {
            return Err(StoreError::Conflict {
                entity: "billing transaction",
                id: t.id.clone(),
                message: format!("customer `{}` is not stored", t.customer),
            });
        }
        let (mut written, mut skipped) = (0, 0);
        for t in transactions {
            if self.transaction_ids.insert(t.id.clone()) {
                self.transactions.push(t.clone());
                written += 1;
            } else {
                skipped += 1;
            }
        }
        let periods = billed
            .iter()
            .filter(|k| self.billed.insert((*k).clone()))
            .count();
        Ok(BatchReceipt {
            batch: self.log(BatchKind::Billing, written + periods),
            written,
            skipped,
            ..Default::default()
        })
    }

    fn billed_periods(&self) -> Result<BTreeSet<BillingKey>, StoreError> {
        Ok(self.billed.clone())
    }

    fn transactions(&self) -> Result<Vec<Transaction>, StoreError> {
        Ok(self.transactions.clone())
    }

    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        Ok(self.batches.clone())
    }
}
