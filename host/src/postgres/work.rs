//! Workers sharing one business through PostgreSQL: the coordination of `fieldwork worker`
//! processes running the same main-job run (same horizon, same "now") on one database, on one
//! or several machines.
//!
//! - **Claims are session advisory locks** (`pg_try_advisory_lock`), keyed by the store's
//!   schema, the run and the part: a worker holds a part's lock while it solves it, and a
//!   worker killed mid-part loses its connection and with it the lock, so another worker claims
//!   the part on its next poll. No lease to expire, no row to clean up.
//! - **Done marks are rows** (`work_parts`), written in the same transaction as the part's
//!   plan ([`PartStore`]): a part is either planned and marked done, or neither.
//! - **The shared phases** (order generation, the SLA snapshot) run once per run, by the first
//!   worker to take the run's shared lock; the others poll for the lock and then find
//!   `work_runs.shared_done` set. They are idempotent anyway: a worker killed in the middle
//!   leaves whole batches, and the next one completes them.
//! - **Every part is planned from the run's base** ([`RunBase`]): the business and its stored
//!   plans as the shared phases left them, recorded with the run's parts. A worker that joins
//!   after others stored some parts plans the rest from the base, not from the statuses and
//!   plans those parts wrote since, so the run leaves what one worker leaves. The base is one
//!   JSON document of the business and its current schedule (one plan: its size grows with
//!   the business and the schedule, not with the plans stored over time), written once per
//!   run and cleared when the run's last part is done.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};

use super::error::pg_error;
use super::{get, plans, PgStore};
use crate::sql::codec::{from_doc, instant, to_doc};
use fieldwork::billing::{BillingKey, Transaction as BillingTransaction};
use fieldwork::model::{Absence, Dataset, Model, OrderOperation, ServiceOrder};
use fieldwork::store::{
    BatchReceipt, BatchRecord, GeneratedOrder, History, ReturnStep, SlaSnapshot, StatusUpdate,
    Store, StoreError, StoredPlan,
};

/// The first key of the workers' advisory locks (`"FWK2"`); the second is a hash of the
/// schema, the run and the part.
pub const WORK_LOCK_SPACE: i32 = 0x4657_4B32;

/// What every part of a run is planned from: the business and its current schedule as the
/// run's shared phases left them (see the module documentation).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunBase {
    /// The business ([`Model::to_dataset`]).
    pub dataset: Dataset,
    /// The current schedule as one stored plan (`fieldwork::store::current_plan` of
    /// [`Store::plans`]; none before the first plan).
    pub plans: Vec<StoredPlan>,
}

/// What a claim attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This worker holds the part now; it must plan it and [`PgStore::release`] it.
    Claimed,
    /// Another live worker holds it.
    Taken,
    /// It is planned and marked done for this run.
    Done,
}

/// The lock key of `name` within the store's schema.
const LOCK_KEY: &str = "hashtext(current_schema() || '/' || $2)";

impl PgStore {
    fn lock_call(&self, function: &str, name: &str) -> Result<bool, StoreError> {
        let statement = format!("SELECT {function}($1, {LOCK_KEY})");
        let context = format!("locking {name}");
        let row = self
            .client()
            .query_one(statement.as_str(), &[&WORK_LOCK_SPACE, &name])
            .map_err(pg_error(&self.url, context))?;
        get(&row, 0)
    }

    /// Tries to take the run's shared lock (never waits): `None` while another worker holds it
    /// (running the shared phases), else whether they are done for `run` already. Holding the
    /// lock, call [`PgStore::finish_shared`] after running them, or
    /// [`PgStore::release_shared`] when they were done.
    pub fn try_lock_shared(&self, run: &str) -> Result<Option<bool>, StoreError> {
        if !self.lock_call("pg_try_advisory_lock", &format!("{run}#shared"))? {
            return Ok(None);
        }
        let row = self
            .client()
            .query_opt(
                "SELECT shared_done FROM work_runs WHERE run = $1 AND shared_done IS NOT NULL",
                &[&run],
            )
            .map_err(pg_error(&self.url, "reading the run"))?;
        Ok(Some(row.is_some()))
    }

    /// Records that the shared phases of `run` are done, with the keys of the run's parts and
    /// the base they are planned from, and releases the shared lock.
    pub fn finish_shared(
        &self,
        run: &str,
        parts: &[String],
        base: &RunBase,
    ) -> Result<(), StoreError> {
        let parts = to_doc(&parts, "run", run)?;
        let base = to_doc(base, "run", run)?;
        self.client()
            .execute(
                "INSERT INTO work_runs (run, shared_done, parts, base) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (run) DO UPDATE SET shared_done = excluded.shared_done, \
                 parts = excluded.parts, base = excluded.base",
                &[&run, &instant(&Utc::now()), &parts, &base],
            )
            .map_err(pg_error(&self.url, "recording the run"))?;
        self.release_shared(run)
    }

    /// The base `run`'s parts are planned from, as its shared phases recorded it; `None` before
    /// they did, and once every part is done ([`PgStore::clear_base`]).
    pub fn run_base(&self, run: &str) -> Result<Option<RunBase>, StoreError> {
        self.run_doc(run, "base")
    }

    /// Drops `run`'s base (a copy of the business) once every part of the run is done; a
    /// worker still planning keeps the copy it read.
    pub fn clear_base(&self, run: &str) -> Result<(), StoreError> {
        self.client()
            .execute("UPDATE work_runs SET base = NULL WHERE run = $1", &[&run])
            .map_err(pg_error(&self.url, "clearing the run's base"))
            .map(|_| ())
    }

    /// The keys of `run`'s parts as its shared phases recorded them (none before).
    pub fn run_parts(&self, run: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.run_doc(run, "parts")?.unwrap_or_default())
    }

    /// The JSON document in `column` of `run`'s row (`None` without the row or the document).
    fn run_doc<T: serde::de::DeserializeOwned>(
        &self,
        run: &str,
        column: &'static str,
    ) -> Result<Option<T>, StoreError> {
        let statement = format!("SELECT {column} FROM work_runs WHERE run = $1");
        let row = self
            .client()
            .query_opt(statement.as_str(), &[&run])
            .map_err(pg_error(&self.url, format!("reading the run's {column}")))?;
        let doc: Option<String> = match row {
            Some(row) => get(&row, 0)?,
            None => None,
        };
        doc.map(|d| from_doc(&d, "run", run)).transpose()
    }

    /// Releases the run's shared lock.
    pub fn release_shared(&self, run: &str) -> Result<(), StoreError> {
        self.lock_call("pg_advisory_unlock", &format!("{run}#shared"))
            .map(|_| ())
    }

    /// Tries to claim `part` of `run` (never waits).
    pub fn try_claim(&self, run: &str, part: &str) -> Result<Claim, StoreError> {
        let got = self.lock_call("pg_try_advisory_lock", &format!("{run}/{part}"))?;
        let done = self.is_done(run, part)?;
        match (got, done) {
            (true, true) => {
                self.release(run, part)?;
                Ok(Claim::Done)
            }
            (true, false) => Ok(Claim::Claimed),
            (false, true) => Ok(Claim::Done),
            (false, false) => Ok(Claim::Taken),
        }
    }

    /// Releases a claimed part.
    pub fn release(&self, run: &str, part: &str) -> Result<(), StoreError> {
        self.lock_call("pg_advisory_unlock", &format!("{run}/{part}"))
            .map(|_| ())
    }

    fn is_done(&self, run: &str, part: &str) -> Result<bool, StoreError> {
        let row = self
            .client()
            .query_opt(
                "SELECT 1 FROM work_parts WHERE run = $1 AND part = $2",
                &[&run, &part],
            )
            .map_err(pg_error(&self.url, "reading done parts"))?;
        Ok(row.is_some())
    }

    /// The parts of `run` marked done, with the worker that did each.
    pub fn parts_done(&self, run: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = self
            .client()
            .query(
                "SELECT part, worker FROM work_parts WHERE run = $1 ORDER BY part COLLATE \"C\"",
                &[&run],
            )
            .map_err(pg_error(&self.url, "reading done parts"))?;
        rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
    }

    /// Marks `part` of `run` done by `worker` without a plan (nothing to plan in it).
    pub fn mark_done(&self, run: &str, part: &str, worker: &str) -> Result<(), StoreError> {
        self.write("marking a part done", |tx, url| {
            mark(tx, url, run, part, worker)?;
            Ok(((), true))
        })
    }

    /// The store as the solver of one part sees it: every call goes to this store, but a plan
    /// is saved together with the part's done mark, in one transaction.
    pub fn part_store<'s>(
        &'s mut self,
        run: &'s str,
        part: &'s str,
        worker: &'s str,
    ) -> PartStore<'s> {
        PartStore {
            store: self,
            run,
            part,
            worker,
            saved: false,
        }
    }
}

fn mark(
    tx: &mut postgres::Transaction<'_>,
    url: &str,
    run: &str,
    part: &str,
    worker: &str,
) -> Result<(), StoreError> {
    let err = pg_error(url, "marking a part done");
    tx.execute(
        "INSERT INTO work_runs (run) VALUES ($1) ON CONFLICT (run) DO NOTHING",
        &[&run],
    )
    .map_err(&err)?;
    tx.execute(
        "INSERT INTO work_parts (run, part, worker, done_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (run, part) DO NOTHING",
        &[&run, &part, &worker, &instant(&Utc::now())],
    )
    .map_err(&err)?;
    Ok(())
}

/// A [`PgStore`] seen by the solver of one part: [`Store::save_plan`] writes the plan, its
/// status changes and the part's done mark in one transaction; every other call is the
/// store's own.
pub struct PartStore<'s> {
    store: &'s mut PgStore,
    run: &'s str,
    part: &'s str,
    worker: &'s str,
    saved: bool,
}

impl PartStore<'_> {
    /// Whether a plan was saved (and with it the done mark).
    pub fn saved(&self) -> bool {
        self.saved
    }
}

impl Store for PartStore<'_> {
    fn load_model(&self) -> Result<Model, StoreError> {
        self.store.load_model()
    }
    fn replace_model(&mut self, m: &Model, h: &History) -> Result<(), StoreError> {
        self.store.replace_model(m, h)
    }
    fn history(&self) -> Result<History, StoreError> {
        self.store.history()
    }
    fn merge_entities(&mut self, incoming: &Dataset) -> Result<(), StoreError> {
        self.store.merge_entities(incoming)
    }
    fn remove_absence(&mut self, absence: &Absence) -> Result<bool, StoreError> {
        self.store.remove_absence(absence)
    }
    fn generation_keys(&self) -> Result<HashSet<String>, StoreError> {
        self.store.generation_keys()
    }
    fn insert_generated(&mut self, o: &[GeneratedOrder]) -> Result<BatchReceipt, StoreError> {
        self.store.insert_generated(o)
    }
    fn record_status_changes(&mut self, u: &[StatusUpdate]) -> Result<BatchReceipt, StoreError> {
        self.store.record_status_changes(u)
    }
    fn save_sla_snapshots(&mut self, s: &[SlaSnapshot]) -> Result<BatchReceipt, StoreError> {
        self.store.save_sla_snapshots(s)
    }
    fn sla_snapshots(&self) -> Result<Vec<SlaSnapshot>, StoreError> {
        self.store.sla_snapshots()
    }
    fn apply_operation(&mut self, o: &OrderOperation) -> Result<ServiceOrder, StoreError> {
        self.store.apply_operation(o)
    }
    fn apply_return_step(&mut self, s: &ReturnStep) -> Result<BatchReceipt, StoreError> {
        self.store.apply_return_step(s)
    }
    fn save_plan(
        &mut self,
        plan: &StoredPlan,
        updates: &[StatusUpdate],
    ) -> Result<BatchReceipt, StoreError> {
        let (run, part, worker) = (self.run, self.part, self.worker);
        let receipt = self.store.write("writing a part's plan", |tx, url| {
            let receipt = plans::save(tx, url, plan, updates)?;
            mark(tx, url, run, part, worker)?;
            Ok((receipt, true))
        })?;
        self.saved = true;
        Ok(receipt)
    }
    fn plans(&self) -> Result<Vec<StoredPlan>, StoreError> {
        self.store.plans()
    }
    fn save_billing(
        &mut self,
        t: &[BillingTransaction],
        b: &[BillingKey],
    ) -> Result<BatchReceipt, StoreError> {
        self.store.save_billing(t, b)
    }
    fn billed_periods(&self) -> Result<BTreeSet<BillingKey>, StoreError> {
        self.store.billed_periods()
    }
    fn transactions(&self) -> Result<Vec<BillingTransaction>, StoreError> {
        self.store.transactions()
    }
    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        self.store.batches()
    }
}
