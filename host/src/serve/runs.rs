//! The main job through the API: `POST /runs` validates the horizon as `fieldwork run` does
//! (the CLI's `HorizonArgs::options`), answers 202 with the run's id at once and runs
//! `job::run_main_job` on a thread of its own; its progress is a stream of server-sent events
//! (`GET /runs/{id}/events`: `phase`, `progress`, then `done` or `failed`), its summary and
//! plan diff are kept (`GET /runs/{id}`, `GET /runs/{id}/diff`). One run per window at a time:
//! a run whose horizon overlaps a running one's is refused with 409. `GET /plan` is the
//! current schedule of every stored plan.
//!
//! Runs are remembered by this server process (the last [`MAX_RUNS_KEPT`] finished ones); what a
//! run wrote is in the database like any `fieldwork run`'s.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{NaiveDate, SubsecRound, Utc};
use futures_util::stream::{self, Stream, StreamExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

use super::auth::Principal;
use super::{blocking, json, ok, ApiError, Shared};
use crate::cli::context::{parse_at, AtArgs};
use crate::cli::run::{failures, inclusive_json, HorizonArgs};
use crate::format::parse_date;
use crate::sql::access::Role;
use fieldwork::job::{run_main_job, JobOptions, Progress, ScheduleOutcome};
use fieldwork::model::TechnicianId;
use fieldwork::store::current_plan;

/// Finished runs kept in memory (the oldest finished ones are forgotten first).
pub const MAX_RUNS_KEPT: usize = 100;

/// Events kept per run for late subscribers (progress events beyond it are not kept; phase
/// changes and the final event always are).
pub const MAX_EVENTS_KEPT: usize = 1000;

/// The environment variable that delays each run's start by so many milliseconds (a testing
/// aid; at most a minute).
pub const RUN_PAUSE_ENV: &str = "FIELDWORK_SERVE_RUN_PAUSE_MS";

/// Progress events of one phase are sent at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// The body of `POST /runs`: the horizon as `fieldwork run` takes it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// First day (YYYY-MM-DD, a local date of the business, inclusive); needs `to`.
    pub from: Option<String>,
    /// Last day (inclusive); needs `from`.
    pub to: Option<String>,
    /// Horizon of N days from today (default 28 when neither this nor from/to is given).
    pub days_ahead: Option<u32>,
    /// "Now", as `--at`.
    pub at: Option<String>,
    /// Generated orders per write batch.
    pub batch_size: Option<usize>,
}

/// One event of a run's stream.
#[derive(Debug, Clone, Serialize)]
pub struct RunEvent {
    /// 1, 2, … in the order sent.
    pub seq: u64,
    /// `started`, `phase`, `progress`, `done` or `failed`.
    pub kind: &'static str,
    /// The phase (`generate`, `sla`, `schedule`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Steps done of the phase.
    pub done: u64,
    /// Steps expected (0 when unknown).
    pub total: u64,
    /// The error or the failures a finished run completed around.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl RunEvent {
    fn is_final(&self) -> bool {
        matches!(self.kind, "done" | "failed")
    }
}

/// A run's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Going on.
    Running,
    /// Every phase succeeded.
    Succeeded,
    /// Finished; some phase failed (what the others did is committed, as with `fieldwork run`).
    CompletedWithFailures,
    /// The job stopped with an error.
    Failed,
}

struct RunRecord {
    id: String,
    subject: String,
    from: NaiveDate,
    to: NaiveDate,
    started_at: String,
    finished_at: Option<String>,
    state: RunState,
    events: Vec<RunEvent>,
    summary: Option<serde_json::Value>,
    diff: Option<serde_json::Value>,
    error: Option<String>,
    sender: broadcast::Sender<RunEvent>,
}

impl RunRecord {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "subject": self.subject,
            "from": self.from,
            "to": self.to.pred_opt().unwrap_or(self.to),
            "state": self.state,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error,
            "summary": self.summary,
        })
    }
}

/// The runs of this server.
#[derive(Default)]
pub struct Runs {
    inner: Mutex<RunsInner>,
}

#[derive(Default)]
struct RunsInner {
    next: u64,
    runs: BTreeMap<u64, RunRecord>,
}

fn poisoned<T>(_: T) -> ApiError {
    ApiError::internal("the runs registry is poisoned")
}

impl Runs {
    /// Registers a run of `from..to` (exclusive end); 409 when a running run's window
    /// overlaps it.
    fn begin(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        subject: &str,
    ) -> Result<(u64, String), ApiError> {
        let mut inner = self.inner.lock().map_err(poisoned)?;
        if let Some(busy) = inner
            .runs
            .values()
            .find(|r| r.state == RunState::Running && r.from < to && from < r.to)
        {
            return Err(ApiError::conflict(format!(
                "run {} of {} to {} is going on and overlaps this window; one run per window at a time (follow it at /runs/{}/events)",
                busy.id,
                busy.from,
                busy.to.pred_opt().unwrap_or(busy.to),
                busy.id
            )));
        }
        inner.next += 1;
        let key = inner.next;
        let id = format!("run-{key}");
        inner.runs.insert(
            key,
            RunRecord {
                id: id.clone(),
                subject: subject.to_owned(),
                from,
                to,
                started_at: crate::format::rfc3339(Utc::now().trunc_subsecs(0)),
                finished_at: None,
                state: RunState::Running,
                events: Vec::new(),
                summary: None,
                diff: None,
                error: None,
                sender: broadcast::channel(256).0,
            },
        );
        // Forget the oldest finished runs beyond the bound.
        let finished: Vec<u64> = inner
            .runs
            .iter()
            .filter(|(_, r)| r.state != RunState::Running)
            .map(|(k, _)| *k)
            .collect();
        for k in finished
            .iter()
            .take(finished.len().saturating_sub(MAX_RUNS_KEPT))
        {
            inner.runs.remove(k);
        }
        Ok((key, id))
    }

    /// Records and sends one event (under the lock, so a subscriber sees each event once).
    fn emit(&self, key: u64, mut event: RunEvent) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let Some(run) = inner.runs.get_mut(&key) else {
            return;
        };
        event.seq = run.events.last().map_or(1, |e| e.seq + 1);
        if run.events.len() < MAX_EVENTS_KEPT || event.kind != "progress" {
            run.events.push(event.clone());
        }
        let _ = run.sender.send(event);
    }

    fn finish(
        &self,
        key: u64,
        state: RunState,
        summary: Option<serde_json::Value>,
        diff: Option<serde_json::Value>,
        error: Option<String>,
    ) {
        if let Ok(mut inner) = self.inner.lock() {
            if let Some(run) = inner.runs.get_mut(&key) {
                run.state = state;
                run.summary = summary;
                run.diff = diff;
                run.error = error.clone();
                run.finished_at = Some(crate::format::rfc3339(Utc::now().trunc_subsecs(0)));
            }
        }
        let kind = if state == RunState::Failed {
            "failed"
        } else {
            "done"
        };
        self.emit(
            key,
            RunEvent {
                seq: 0,
                kind,
                phase: None,
                done: 0,
                total: 0,
                message: error,
            },
        );
    }

    fn key_of(id: &str) -> Option<u64> {
        id.strip_prefix("run-")?.parse().ok()
    }

    fn with<T>(&self, id: &str, f: impl FnOnce(&RunRecord) -> T) -> Result<T, ApiError> {
        let inner = self.inner.lock().map_err(poisoned)?;
        Self::key_of(id)
            .and_then(|k| inner.runs.get(&k))
            .map(f)
            .ok_or_else(|| ApiError::not_found(format!("unknown run `{id}`")))
    }
}

/// Sends a run's progress as events.
struct RunProgress {
    state: Shared,
    key: u64,
    phase: String,
    total: u64,
    done: u64,
    last: Instant,
}

impl RunProgress {
    fn send(&mut self, kind: &'static str) {
        self.last = Instant::now();
        self.state.runs.emit(
            self.key,
            RunEvent {
                seq: 0,
                kind,
                phase: Some(self.phase.clone()),
                done: self.done,
                total: self.total,
                message: None,
            },
        );
    }
}

impl Progress for RunProgress {
    fn start(&mut self, phase: &str, total: u64) {
        self.phase = phase.to_owned();
        self.total = total;
        self.done = 0;
        self.send("phase");
    }

    fn advance(&mut self, n: u64) {
        self.done = self.done.saturating_add(n);
        if self.last.elapsed() >= PROGRESS_EVERY {
            self.send("progress");
        }
    }

    fn finish(&mut self) {
        self.send("progress");
    }
}

/// Runs the job of a registered run to its end (on the run's own thread).
fn execute(state: Shared, key: u64, at: String, options: JobOptions) {
    // A testing aid: hold the run open this long before it starts (at most a minute), so
    // that a test can see a second run of the same window refused.
    if let Some(ms) = std::env::var(RUN_PAUSE_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        std::thread::sleep(Duration::from_millis(ms.min(60_000)));
    }
    let mut progress = RunProgress {
        state: state.clone(),
        key,
        phase: String::new(),
        total: 0,
        done: 0,
        last: Instant::now(),
    };
    let result = state.context(Some(&at)).and_then(|mut ctx| {
        let ctx = &mut *ctx;
        let summary = run_main_job(ctx.store.as_mut(), &ctx.rules.set, &options, &mut progress)
            .map_err(|e| ApiError::from(crate::cli::CliError::from(e)))?;
        let diff = match &summary.schedule {
            ScheduleOutcome::Planned { diff, .. } => serde_json::to_value(diff).ok(),
            _ => None,
        };
        let failed = failures(&summary).err().map(|e| e.to_string());
        Ok((inclusive_json(ctx.json(&summary)), diff, failed))
    });
    match result {
        Ok((summary, diff, None)) => {
            state
                .runs
                .finish(key, RunState::Succeeded, Some(summary), diff, None)
        }
        Ok((summary, diff, Some(failed))) => state.runs.finish(
            key,
            RunState::CompletedWithFailures,
            Some(summary),
            diff,
            Some(failed),
        ),
        Err(e) => state
            .runs
            .finish(key, RunState::Failed, None, None, Some(e.detail)),
    }
}

/// Starts the main job over a horizon; answers 202 at once with the run's id and where to
/// follow it.
#[utoipa::path(post, path = "/runs", tag = "runs",
    request_body(content = RunRequest, description = "the horizon, as `fieldwork run` takes it (optional)"),
    responses((status = 202, description = "started: id, events and status URLs"),
              (status = 400, body = super::Problem), (status = 403, body = super::Problem),
              (status = 409, body = super::Problem, description = "a run of an overlapping window is going on")))]
pub async fn start_run(
    State(state): State<Shared>,
    principal: Principal,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require_office("start a run")?;
    let request: RunRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RunRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?
    };
    let date = |field: &str, text: &Option<String>| -> Result<Option<NaiveDate>, ApiError> {
        text.as_deref()
            .map(|t| {
                parse_date(t)
                    .map_err(|e| ApiError::bad_request(format!("invalid {field} '{t}': {e}")))
            })
            .transpose()
    };
    let from = date("from", &request.from)?;
    let to = date("to", &request.to)?;
    if from.is_some() != to.is_some() {
        return Err(ApiError::bad_request(
            "give both from and to (inclusive local dates), or days_ahead",
        ));
    }
    if from.is_some() && request.days_ahead.is_some() {
        return Err(ApiError::bad_request(
            "from/to and days_ahead exclude each other",
        ));
    }
    let at = match request.at.as_deref() {
        Some(text) => Some(
            parse_at(text)
                .map_err(|e| ApiError::bad_request(format!("invalid at '{text}': {e}")))?,
        ),
        None => None,
    };
    let horizon = HorizonArgs {
        from,
        to,
        days_ahead: request.days_ahead,
        at: AtArgs { at },
        batch_size: request
            .batch_size
            .unwrap_or(fieldwork::job::DEFAULT_BATCH_SIZE),
    };
    let subject = principal.subject.clone();
    let (key, id, options) = {
        let state = state.clone();
        blocking(move || {
            let ctx = state.context(request.at.as_deref())?;
            let options = horizon.options(&ctx)?;
            let (key, id) = state.runs.begin(options.from, options.to, &subject)?;
            Ok((key, id, options))
        })
        .await?
    };
    state.runs.emit(
        key,
        RunEvent {
            seq: 0,
            kind: "started",
            phase: None,
            done: 0,
            total: 0,
            message: None,
        },
    );
    // "Now" is fixed when the run is accepted.
    let at = crate::format::rfc3339(options.now);
    let stack = fieldwork::rules::Limits::default().stack_size();
    let runner = state.clone();
    let spawned = std::thread::Builder::new()
        .name(id.clone())
        .stack_size(stack)
        .spawn(move || execute(runner, key, at, options));
    if let Err(e) = spawned {
        state.runs.finish(
            key,
            RunState::Failed,
            None,
            None,
            Some(format!("cannot start the run: {e}")),
        );
        return Err(ApiError::internal(format!("cannot start the run: {e}")));
    }
    Ok(json(
        StatusCode::ACCEPTED,
        serde_json::json!({
            "id": id,
            "status": format!("/runs/{id}"),
            "events": format!("/runs/{id}/events"),
            "diff": format!("/runs/{id}/diff"),
        }),
    ))
}

/// The runs this server remembers, newest first.
#[utoipa::path(get, path = "/runs", tag = "runs",
    responses((status = 200, description = "runs: id, window, state, times")))]
pub async fn list_runs(
    State(state): State<Shared>,
    principal: Principal,
) -> Result<Response, ApiError> {
    principal.require_office("list runs")?;
    let inner = state.runs.inner.lock().map_err(poisoned)?;
    let runs: Vec<serde_json::Value> = inner
        .runs
        .values()
        .rev()
        .map(|r| {
            let mut v = r.json();
            v["summary"] = serde_json::Value::Null;
            v
        })
        .collect();
    Ok(ok(serde_json::json!({ "runs": runs })))
}

/// One run: state, window, and once finished its summary (as `fieldwork run --json`).
#[utoipa::path(get, path = "/runs/{id}", tag = "runs",
    params(("id" = String, Path, description = "the run (run-1, …)")),
    responses((status = 200, description = "the run"), (status = 404, body = super::Problem)))]
pub async fn get_run(
    State(state): State<Shared>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_office("read runs")?;
    Ok(ok(state.runs.with(&id, RunRecord::json)?))
}

/// The plan diff of a finished run: visits unchanged, moved, added, removed and newly
/// unassigned, per technician too.
#[utoipa::path(get, path = "/runs/{id}/diff", tag = "runs",
    params(("id" = String, Path, description = "the run")),
    responses((status = 200, description = "the plan diff"),
              (status = 404, body = super::Problem), (status = 409, body = super::Problem, description = "still running, or no plan was made")))]
pub async fn run_diff(
    State(state): State<Shared>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_office("read runs")?;
    let (run_state, diff) = state.runs.with(&id, |r| (r.state, r.diff.clone()))?;
    match (run_state, diff) {
        (RunState::Running, _) => Err(ApiError::conflict(format!("run {id} is still going on"))),
        (_, Some(diff)) => Ok(ok(serde_json::json!({ "run": id, "diff": diff }))),
        (_, None) => Err(ApiError::conflict(format!("run {id} made no plan"))),
    }
}

fn sse_event(event: &RunEvent) -> Result<Event, Infallible> {
    Ok(Event::default()
        .event(event.kind)
        .id(event.seq.to_string())
        .data(serde_json::to_string(event).unwrap_or_default()))
}

/// A run's progress as server-sent events: every event so far, then the new ones, ending with
/// `done` or `failed`.
#[utoipa::path(get, path = "/runs/{id}/events", tag = "runs",
    params(("id" = String, Path, description = "the run")),
    responses((status = 200, description = "text/event-stream: started, phase, progress, done|failed"),
              (status = 404, body = super::Problem)))]
pub async fn run_events(
    State(state): State<Shared>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    principal.require_office("follow runs")?;
    let (past, receiver) = state
        .runs
        .with(&id, |r| (r.events.clone(), r.sender.subscribe()))?;
    let last = past.last().map_or(0, |e| e.seq);
    let finished = past.iter().any(RunEvent::is_final);
    let live = stream::unfold(
        (receiver, finished),
        move |(mut receiver, done)| async move {
            if done {
                return None;
            }
            loop {
                match receiver.recv().await {
                    Ok(event) if event.seq <= last => continue,
                    Ok(event) => {
                        let done = event.is_final();
                        return Some((event, (receiver, done)));
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    let events = stream::iter(past).chain(live).map(|e| sse_event(&e));
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// Filters of `GET /plan`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PlanQuery {
    /// Only this technician's routes (a technician token always gets only their own).
    pub technician: Option<String>,
    /// "Now".
    pub at: Option<String>,
}

/// The current schedule: the newest plan's routes, with earlier plans' visits of days it does
/// not cover, without cancelled or completed-elsewhere orders (`store::current_plan`).
#[utoipa::path(get, path = "/plan", tag = "runs", params(PlanQuery),
    responses((status = 200, description = "the current plan (routes, unassigned, KPIs)"),
              (status = 403, body = super::Problem), (status = 404, body = super::Problem, description = "no plan stored yet")))]
pub async fn plan(
    State(state): State<Shared>,
    principal: Principal,
    Query(query): Query<PlanQuery>,
) -> Result<Response, ApiError> {
    let technician = match (principal.role, &principal.technician, &query.technician) {
        (Role::Technician, Some(own), Some(asked)) if own.as_str() != asked => {
            principal.require_technician(&TechnicianId::new(asked.as_str()))?;
            None
        }
        (Role::Technician, Some(own), _) => Some(own.clone()),
        (Role::Technician, None, _) => {
            return Err(ApiError::forbidden(
                "this technician token names no technician",
            ))
        }
        (_, _, asked) => asked.as_deref().map(TechnicianId::new),
    };
    blocking(move || {
        let ctx = state.context(query.at.as_deref())?;
        let mut plan = current_plan(&ctx.model, &ctx.store.plans()?).ok_or_else(|| {
            ApiError::not_found("no plan stored yet: run `fieldwork run` first (or POST /runs)")
        })?;
        if let Some(t) = &technician {
            plan.routes.retain(|r| &r.technician == t);
            plan.unassigned.clear();
        }
        Ok(ok(ctx.json(&plan)))
    })
    .await
}

/// The run and plan routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/runs", post(start_run).get(list_runs))
        .route("/runs/{id}", get(get_run))
        .route("/runs/{id}/diff", get(run_diff))
        .route("/runs/{id}/events", get(run_events))
        .route("/plan", get(plan))
}
