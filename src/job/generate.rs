//! The generation phase: the recurrence engine creates the orders that fall due in the horizon,
//! and they are written in atomic batches with their generation keys.

use serde::Serialize;
use std::collections::HashSet;

use super::{Engines, JobError, JobOptions, Progress};
use crate::model::Model;
use crate::recurrence::generate::{generate_orders, GenerateOptions, GenerationReport};
use crate::store::{BatchReceipt, GeneratedOrder, Store, StoreError};

/// What persisting a list of generated orders did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PersistSummary {
    /// Orders written.
    pub written: usize,
    /// Orders skipped because their key was already stored.
    pub skipped: usize,
    /// The keys of the skipped orders (another writer stored them after this run read the
    /// model: a concurrent run, or a merge import of the same orders).
    #[serde(skip)]
    pub skipped_keys: Vec<String>,
    /// Batches committed.
    pub batches: usize,
}

/// Writes generated orders in batches of `batch_size` (each batch atomic, with its keys).
///
/// ```
/// use fieldwork::job::{persist_generated, NoProgress};
/// use fieldwork::store::MemoryStore;
/// let mut store = MemoryStore::new();
/// let summary = persist_generated(&mut store, &[], 100, &mut NoProgress).unwrap();
/// assert_eq!(summary.batches, 0);
/// ```
pub fn persist_generated(
    store: &mut dyn Store,
    orders: &[GeneratedOrder],
    batch_size: usize,
    progress: &mut dyn Progress,
) -> Result<PersistSummary, StoreError> {
    let mut summary = PersistSummary::default();
    progress.start("persist", orders.len() as u64);
    // Bounded by the number of orders: one batch per `batch_size` of them.
    for chunk in orders.chunks(batch_size.max(1)) {
        let BatchReceipt {
            batch,
            written,
            skipped,
            skipped_keys,
        } = store.insert_generated(chunk)?;
        summary.written += written;
        summary.skipped += skipped;
        summary.skipped_keys.extend(skipped_keys);
        summary.batches += usize::from(batch.is_some());
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    Ok(summary)
}

/// What the generation phase did: the recurrence engine's report and how its orders were
/// written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerateSummary {
    /// The generation report (created, skipped as existing, moved or skipped by rules,
    /// merged, failed lines).
    pub report: GenerationReport,
    /// How the created orders were written (batches, orders skipped by key).
    pub persisted: PersistSummary,
}

/// Generates the orders of `[options.from, options.to)` into `model` (occurrences already
/// covered by stored orders are skipped) with the rules' `adjust_occurrence` and SLA targets,
/// and writes the new ones in batches of [`JobOptions::batch_size`]; each order's generation
/// key is its deterministic id.
pub fn generate_phase(
    store: &mut dyn Store,
    model: &mut Model,
    engines: &Engines<'_>,
    options: &JobOptions,
    progress: &mut dyn Progress,
) -> Result<GenerateSummary, JobError> {
    options.check()?;
    progress.start("generate", 0);
    let mut report = generate_orders(
        model,
        Some(engines.rules()),
        options.from,
        options.to,
        &GenerateOptions {
            sla: options.sla_on_generated,
            sla_rules: Some(engines.rules()),
            sla_calendars: Some(engines.calendars()),
            ..GenerateOptions::new(options.now).group_by(options.group_by)
        },
    )?;
    progress.finish();
    let generated: Vec<GeneratedOrder> = report
        .created
        .iter()
        .filter_map(|id| model.order(id))
        .map(|order| GeneratedOrder {
            key: order.id.to_string(),
            order: order.clone(),
        })
        .collect();
    let persisted = persist_generated(store, &generated, options.batch_size, progress)?;
    // The report counts what this run wrote: an order another writer stored after the model
    // was read (a concurrent run, a merge import of the same orders) was skipped by the store
    // inside its write transaction, so it counts as already stored, not as created.
    if !persisted.skipped_keys.is_empty() {
        let skipped: HashSet<&str> = persisted.skipped_keys.iter().map(String::as_str).collect();
        let before = report.created.len();
        report.created.retain(|id| !skipped.contains(id.as_str()));
        report.skipped_existing += before - report.created.len();
    }
    Ok(GenerateSummary { report, persisted })
}
