//! Embedding fieldwork with a custom store: a host that keeps its data in memory and writes a
//! JSON snapshot file after every committed batch (atomically: temporary file + rename), then
//! runs the main job's phases on it. Any persistence a host already has (a document store, an
//! ERP's tables, a message log) plugs in the same way: implement [`Store`].
//!
//! ```sh
//! cargo run --example custom_store -- /tmp/fieldwork-snapshot.json
//! ```

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use chrono::{NaiveDate, TimeZone, Utc};
use fieldwork::billing::{BillingKey, Transaction};
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::job::{self, JobOptions, NoProgress};
use fieldwork::model::{Absence, Dataset, Model, OrderOperation, ServiceOrder};
use fieldwork::rules::RuleSet;
use fieldwork::store::{
    BatchReceipt, BatchRecord, GeneratedOrder, History, ImportMode, MemoryStore, ReturnStep,
    SlaSnapshot, StatusUpdate, Store, StoreError, StoredPlan,
};

/// A store that delegates to [`MemoryStore`] and snapshots the model to a file after each write.
struct SnapshotStore {
    inner: MemoryStore,
    file: PathBuf,
}

impl SnapshotStore {
    /// Writes the snapshot; called after every successful batch.
    fn persist<T>(&self, result: T) -> Result<T, StoreError> {
        let io = |e: std::io::Error| StoreError::Backend {
            context: format!("writing {}", self.file.display()),
            message: e.to_string(),
        };
        let tmp = self.file.with_extension("tmp");
        std::fs::write(&tmp, self.inner.model().to_json()).map_err(io)?;
        std::fs::rename(&tmp, &self.file).map_err(io)?;
        Ok(result)
    }
}

impl Store for SnapshotStore {
    fn load_model(&self) -> Result<Model, StoreError> {
        self.inner.load_model()
    }
    fn replace_model(&mut self, model: &Model, history: &History) -> Result<(), StoreError> {
        self.inner.replace_model(model, history)?;
        self.persist(())
    }
    fn history(&self) -> Result<History, StoreError> {
        self.inner.history()
    }
    fn merge_entities(&mut self, incoming: &Dataset) -> Result<(), StoreError> {
        self.inner.merge_entities(incoming)?;
        self.persist(())
    }
    fn remove_absence(&mut self, a: &Absence) -> Result<bool, StoreError> {
        let r = self.inner.remove_absence(a)?;
        self.persist(r)
    }
    fn generation_keys(&self) -> Result<HashSet<String>, StoreError> {
        self.inner.generation_keys()
    }
    fn insert_generated(&mut self, o: &[GeneratedOrder]) -> Result<BatchReceipt, StoreError> {
        let r = self.inner.insert_generated(o)?;
        self.persist(r)
    }
    fn record_status_changes(&mut self, u: &[StatusUpdate]) -> Result<BatchReceipt, StoreError> {
        let r = self.inner.record_status_changes(u)?;
        self.persist(r)
    }
    fn save_sla_snapshots(&mut self, s: &[SlaSnapshot]) -> Result<BatchReceipt, StoreError> {
        self.inner.save_sla_snapshots(s)
    }
    fn sla_snapshots(&self) -> Result<Vec<SlaSnapshot>, StoreError> {
        self.inner.sla_snapshots()
    }
    fn save_plan(
        &mut self,
        p: &StoredPlan,
        u: &[StatusUpdate],
    ) -> Result<BatchReceipt, StoreError> {
        let r = self.inner.save_plan(p, u)?;
        self.persist(r)
    }
    fn apply_operation(&mut self, o: &OrderOperation) -> Result<ServiceOrder, StoreError> {
        let r = self.inner.apply_operation(o)?;
        self.persist(r)
    }
    fn apply_return_step(&mut self, s: &ReturnStep) -> Result<BatchReceipt, StoreError> {
        let r = self.inner.apply_return_step(s)?;
        self.persist(r)
    }
    fn plans(&self) -> Result<Vec<StoredPlan>, StoreError> {
        self.inner.plans()
    }
    fn save_billing(
        &mut self,
        t: &[Transaction],
        b: &[BillingKey],
    ) -> Result<BatchReceipt, StoreError> {
        let r = self.inner.save_billing(t, b)?;
        self.persist(r)
    }
    fn billed_periods(&self) -> Result<BTreeSet<BillingKey>, StoreError> {
        self.inner.billed_periods()
    }
    fn transactions(&self) -> Result<Vec<Transaction>, StoreError> {
        self.inner.transactions()
    }
    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        self.inner.batches()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("fieldwork-snapshot.json"));
    let mut store = SnapshotStore {
        inner: MemoryStore::new(),
        file: file.clone(),
    };
    let anchor = NaiveDate::from_ymd_opt(2027, 3, 1).ok_or("date")?;
    store.import(generate(&DemoOptions::new(42, anchor)), ImportMode::Replace)?;

    let now = Utc
        .with_ymd_and_hms(2027, 3, 1, 6, 0, 0)
        .single()
        .ok_or("instant")?;
    let options = JobOptions::new(anchor, anchor + chrono::Duration::days(28), now);
    let rules = RuleSet::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))?;
    let summary = job::run_main_job(&mut store, &rules, &options, &mut NoProgress)?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    println!("snapshot: {}", file.display());
    Ok(())
}
