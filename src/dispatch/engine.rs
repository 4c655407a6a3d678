//! [`Dispatcher`]: the policy source of a run (a native policy, or rule files) plus the planned
//! workload; it builds [`PolicyContext`]s, calling the per-order and per-technician hooks once.

use chrono::{DateTime, Utc};
use std::marker::PhantomData;

use super::context::{ContextInput, PolicyContext};
use super::error::DispatchError;
use super::policy::DispatchPolicy;
use super::profile::{OrderProfile, TechnicianProfile};
use super::workload::Workload;
use crate::model::{Model, OrderId};

/// A dispatch policy ready to run: the policy, where per-order/per-technician parameters come
/// from, and the workload already planned.
///
/// ```
/// use fieldwork::dispatch::{DispatchPolicy, Dispatcher, Objective, Workload};
/// let mut policy = DispatchPolicy::default();
/// policy.weights.set(Objective::Cost, 40.0);
/// let dispatcher = Dispatcher::native(policy).unwrap().with_workload(Workload::default());
/// assert_eq!(dispatcher.policy().weights.get(Objective::Cost), 40.0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Dispatcher<'r> {
    policy: DispatchPolicy,
    workload: Workload,
    rules: PhantomData<&'r ()>,
}

impl<'r> Dispatcher<'r> {
    /// A dispatcher with a native policy and no rule hooks (the policy is validated).
    pub fn native(policy: DispatchPolicy) -> Result<Self, DispatchError> {
        policy.validate()?;
        Ok(Self {
            policy,
            workload: Workload::default(),
            rules: PhantomData,
        })
    }

    /// Sets the work already planned (used by the daily limits and workload balance).
    pub fn with_workload(mut self, workload: Workload) -> Self {
        self.workload = workload;
        self
    }

    /// The policy in force.
    pub fn policy(&self) -> &DispatchPolicy {
        &self.policy
    }

    /// The planned workload.
    pub fn workload(&self) -> &Workload {
        &self.workload
    }

    /// Builds the precomputed context for a batch of orders (by id) and every technician of
    /// the model, at instant `at`.
    pub fn context<'a>(
        &self,
        model: &'a Model,
        orders: &[OrderId],
        at: DateTime<Utc>,
    ) -> Result<PolicyContext<'a>, DispatchError>
    where
        'r: 'a,
    {
        let mut order_rows = Vec::with_capacity(orders.len());
        for id in orders {
            let order = model
                .order(id)
                .ok_or_else(|| DispatchError::unknown_order(id))?;
            order_rows.push((order, OrderProfile::from_model(model, order)));
        }
        let techs = model
            .technicians()
            .iter()
            .map(|t| (t, TechnicianProfile::from_model(t)))
            .collect();
        PolicyContext::build(ContextInput {
            model,
            policy: self.policy.clone(),
            at,
            orders: order_rows,
            techs,
            workload: &self.workload,
            custom: Vec::new(),
        })
    }

    /// The explained ranking of one order (see [`super::rank_candidates`]).
    pub fn rank(
        &self,
        model: &Model,
        order: &OrderId,
        at: DateTime<Utc>,
    ) -> Result<super::Ranking, DispatchError> {
        super::rank_candidates(model, self, order, at)
    }
}
