//! [`Dispatcher`]: the policy source of a run (a native policy, or rule files) plus the planned
//! workload; it builds [`PolicyContext`]s, calling the per-order and per-technician hooks once.

use chrono::{DateTime, Utc};
use rhai::Dynamic;
use std::collections::HashMap;

use super::context::{ContextInput, PolicyContext};
use super::error::DispatchError;
use super::hooks::{self, RhaiPairHooks};
use super::policy::DispatchPolicy;
use super::profile::{OrderProfile, TechnicianProfile};
use super::workload::Workload;
use crate::model::{CustomerId, Model, OrderId};
use crate::rules::{domain, RuleSet, SCORE_PREFIX};

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
    rules: Option<&'r RuleSet>,
    /// Custom objectives (`score_<name>` hooks), by name.
    custom: Vec<String>,
}

impl<'r> Dispatcher<'r> {
    /// A dispatcher with a native policy and no rule hooks (the policy is validated).
    pub fn native(policy: DispatchPolicy) -> Result<Self, DispatchError> {
        policy.validate()?;
        Ok(Self {
            policy,
            workload: Workload::default(),
            rules: None,
            custom: Vec::new(),
        })
    }

    /// A dispatcher driven by rule files: calls `dispatch_policy()` once (the built-in policy
    /// when the hook is absent or returns `()`); contexts then call `order_profile` once per
    /// order, `technician_profile` once per technician, and the per-pair `eligible` and
    /// `score_<name>` hooks only when the rules define them.
    ///
    /// ```
    /// use fieldwork::dispatch::{Dispatcher, Objective};
    /// use fieldwork::rules::RuleSet;
    /// let rules = RuleSet::from_sources(&[("dispatch.rhai",
    ///     "fn dispatch_policy() { #{ weights: #{ travel: 60 }, work_rules: #{ max_travel_km: 50 } } }")])?;
    /// let dispatcher = Dispatcher::from_rules(&rules)?;
    /// assert_eq!(dispatcher.policy().weights.get(Objective::Travel), 60.0);
    /// assert_eq!(dispatcher.policy().work_rules.max_travel_km, Some(50.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_rules(rules: &'r RuleSet) -> Result<Self, DispatchError> {
        let (policy, custom) = hooks::policy_from_rules(rules)?;
        Ok(Self {
            policy,
            workload: Workload::default(),
            rules: Some(rules),
            custom,
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
        let rules = self.rules;
        let pair_hooks = rules.filter(|r| {
            r.has_hook("eligible")
                || self
                    .custom
                    .iter()
                    .any(|c| self.policy.weights.custom_weight(c).unwrap_or(0.0) > 0.0)
        });
        let mut order_rows = Vec::with_capacity(orders.len());
        let mut order_values = Vec::new();
        let has_order_hook = rules.is_some_and(|r| r.has_hook("order_profile"));
        // Rhai values are built once per order and once per customer (Arc-backed: cheap to
        // pass to every call).
        let mut customers: HashMap<&CustomerId, Dynamic> = HashMap::new();
        for id in orders {
            let order = model
                .order(id)
                .ok_or_else(|| DispatchError::unknown_order(id))?;
            let mut profile = OrderProfile::from_model(model, order);
            if let Some(rules) = rules {
                let value = if pair_hooks.is_some() || has_order_hook {
                    hooks::order_value(model, order, &profile)
                } else {
                    Dynamic::UNIT
                };
                if has_order_hook {
                    let customer = customers
                        .entry(&order.customer)
                        .or_insert_with(|| {
                            model
                                .customer(&order.customer)
                                .map_or(Dynamic::UNIT, domain::customer)
                        })
                        .clone();
                    hooks::apply_order_profile(rules, &value, customer, order, &mut profile)?;
                }
                if pair_hooks.is_some() {
                    order_values.push((value, order.id.to_string()));
                }
            }
            order_rows.push((order, profile));
        }
        let mut techs = Vec::with_capacity(model.technicians().len());
        let mut tech_values = Vec::new();
        let has_tech_hook = rules.is_some_and(|r| r.has_hook("technician_profile"));
        for tech in model.technicians() {
            let mut profile = TechnicianProfile::from_model(tech);
            if let Some(rules) = rules {
                let value = if pair_hooks.is_some() || has_tech_hook {
                    hooks::technician_value(tech)
                } else {
                    Dynamic::UNIT
                };
                if has_tech_hook {
                    hooks::apply_technician_profile(rules, &value, tech, &mut profile)?;
                }
                if pair_hooks.is_some() {
                    tech_values.push((value, tech.id.to_string()));
                }
            }
            techs.push((tech, profile));
        }
        let mut ctx = PolicyContext::build(ContextInput {
            model,
            policy: self.policy.clone(),
            at,
            orders: order_rows,
            techs,
            workload: &self.workload,
            custom: self.custom.clone(),
        })?;
        if let Some(rules) = pair_hooks {
            ctx.hooks = Some(Box::new(RhaiPairHooks {
                rules,
                orders: order_values,
                techs: tech_values,
                eligible: rules.has_hook("eligible"),
                scores: self
                    .custom
                    .iter()
                    .map(|c| format!("{SCORE_PREFIX}{c}"))
                    .collect(),
            }));
        }
        Ok(ctx)
    }

    /// The rule set, when the dispatcher is driven by rule files.
    pub fn rules(&self) -> Option<&'r RuleSet> {
        self.rules
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
