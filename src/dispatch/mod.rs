//! Dispatch policy: who should take an order, and why.
//!
//! Hard **work rules** filter technicians (skills with minimum level, territory, availability
//! in the technician's calendar, travel distance from home, customer exclusions, pinned
//! technician, jobs and hours per day, plus the rule file's `eligible(order, tech)` hook);
//! weighted **objectives** grade the survivors, each on its own bounded 0–100 scale (SLA
//! urgency, travel, skill fit, preferred technician, workload balance, cost, plus custom
//! `score_<name>(order, tech)` objectives). Every ranking explains itself: each eligible
//! technician's grades, weights and contributions (which sum to its total), each excluded
//! technician's broken rules in words.
//!
//! # Layers
//!
//! * [`DispatchPolicy`] — weights, work-rule settings, grade scales, travel settings.
//! * [`OrderProfile`] / [`TechnicianProfile`] — per-order and per-technician parameters.
//! * [`Dispatcher`] — a policy source (native or rule files) plus the planned [`Workload`].
//! * [`PolicyContext`] — the precomputed native form for a batch of orders; the scheduler's
//!   per-pair API ([`PolicyContext::check`], [`PolicyContext::evaluate`]).
//! * [`rank_candidates`] — the explained [`Ranking`] of one order.
//! * [`TravelModel`] — great-circle distance × circuity at an average speed, or the dataset's
//!   road graph (petgraph shortest paths between zone nodes).
//!
//! # Performance
//!
//! Rules run once per run (policy), once per order and once per technician (profiles); the
//! per-pair work is native and allocation-free unless the rule files define per-pair hooks.
//! See `benches/dispatch_score.rs`.

mod availability;
mod build;
mod context;
mod engine;
mod error;
mod explain;
mod hooks;
mod objectives;
mod policy;
mod profile;
mod rank;
mod rules;
mod travel;
mod workload;

pub use context::{Assessment, Candidates, Evaluation, OrderIx, PolicyContext, TechIx};
pub use engine::Dispatcher;
pub use error::{DispatchError, DispatchErrorKind};
pub use explain::{Grading, ObjectiveGrade};
pub use objectives::{
    grade_cost, grade_preferred, grade_skill_fit, grade_sla_urgency, grade_travel, grade_workload,
    sla_scale_secs, Objective,
};
pub use policy::{
    CostSettings, DispatchPolicy, GradeScales, ReplanningSettings, TravelSettings, Weights,
    WorkRuleSettings, MAX_FREEZE_WORKING_DAYS, MAX_HORIZON_DAYS, MAX_WEIGHT,
};
pub use profile::{OrderProfile, TechnicianProfile, MAX_OVERTIME_MINUTES};
pub use rank::{rank_candidates, Candidate, Crew, Ranking, Verdict, CREW_POOL, MAX_CREWS_SHOWN};
pub use rules::{Exclusion, Violation, WorkRule};
pub use travel::{Place, Travel, TravelModel};
pub use workload::{DayLoad, Workload};
