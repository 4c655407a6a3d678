//! `fieldwork serve`: an HTTP/JSON API and a live dispatcher board over the same library calls
//! and the same store as the command line (axum on tokio).
//!
//! Every handler gets the CLI's own [`Context`] from [`State::context`] — the database (SQLite
//! or PostgreSQL), the rules (`--rules DIR`, else `rules/` when it exists, else built-in) and
//! "now" (`at`, as `--at`); the model and the compiled rules are cached between requests while
//! the store's revision and the rule files are unchanged ([`cache`]) — and calls the same
//! function as the command (`order start` → `cli::order::apply` → `Store::apply_operation`,
//! `candidates` → the dispatcher's ranking, `run` → `job::run_main_job`, …); each JSON answer
//! that depends on the rules names them (`"rules"`) and its "now". The store is synchronous:
//! handlers call it from `spawn_blocking`. Errors are RFC 9457 problem documents whose
//! `detail` is the CLI's error text ([`problem`]).
//!
//! One file per resource: [`orders`] (list, get, create, operations, candidates), [`runs`]
//! (the main job, asynchronous, with progress as server-sent events; the current plan and a
//! run's plan diff), [`sla`], [`billing`], [`returns`], [`rules`] (check, and the admin's
//! atomic replacement), [`board`] (the live board, `/me/today`, calendar feeds), [`auth`]
//! (tokens, roles, the audit log), [`cache`] (the model and rules kept between requests) and
//! [`openapi`] (the document at `/openapi.json`).

pub mod auth;
pub mod billing;
pub mod board;
pub mod cache;
pub mod openapi;
pub mod orders;
pub mod problem;
pub mod returns;
pub mod rules;
pub mod runs;
pub mod sla;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::broadcast;

use crate::cli::context::{parse_at, AtArgs, Context, DbArgs, RulesArgs, Source};
use crate::cli::{CliError, Output};
use crate::sql::access::HostStore;
use cache::{ModelCache, RequestContext};
use fieldwork::billing::{BillingKey, Transaction};
use fieldwork::model::{Absence, Dataset, Model, OrderOperation, ServiceOrder};
use fieldwork::store::{
    BatchReceipt, BatchRecord, GeneratedOrder, History, ReturnStep, SlaSnapshot, StatusUpdate,
    Store, StoreError, StoredPlan,
};
pub use problem::{ApiError, Problem};
use std::collections::{BTreeSet, HashSet};

/// The default address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Arguments of `fieldwork serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The database (tokens are created in it with `fieldwork token create`).
    #[command(flatten)]
    pub db: DbArgs,
    /// The address to listen on; loopback by default (port 0 picks a free port, printed on
    /// the first line).
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// The rules of every request (and the directory `PUT /rules` replaces).
    #[command(flatten)]
    pub rules: RulesArgs,
    /// A request whose answer takes longer is answered 408 (a run started with `POST /runs`
    /// goes on in the background and is not bound by it).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// The largest request body accepted, in bytes (413 beyond).
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_body: usize,
}

/// What every handler shares.
pub struct State {
    /// The database: a file path or a `postgres://` URL.
    pub db: PathBuf,
    /// The rules as given on the command line.
    pub rules: RulesArgs,
    /// Readers load the rules under it; `PUT /rules` swaps the directory under it, so no
    /// request sees a half-replaced rule set.
    pub rules_lock: RwLock<()>,
    /// The main-job runs started through the API.
    pub runs: runs::Runs,
    /// A new value each time the database changed (any writer, this server or the CLI): the
    /// board's server-sent events.
    pub changes: broadcast::Sender<u64>,
    /// Held by every write of a request (operations, steps, billing, order creation, the
    /// audit line): this server's writers queue here, in order, instead of retrying against
    /// the store's write lock (a run's batches and other processes still meet the busy
    /// timeout).
    pub write_lock: Mutex<()>,
    /// The largest request body.
    pub max_body: usize,
    /// The handle whose [`revision`](crate::sql::access::AccessStore::revision) tells that
    /// the data changed: opened on first use, used for nothing else.
    watch: Mutex<Option<Box<dyn HostStore>>>,
    /// Open database handles, reused between requests (contexts, token look-ups, audit
    /// lines): at most [`MAX_IDLE_HANDLES`] are kept.
    handles: Pool,
    /// The model of the last revision loaded.
    model: ModelCache,
}

/// Idle database handles kept between requests (at most one per blocking thread is in use).
pub const MAX_IDLE_HANDLES: usize = MAX_BLOCKING_THREADS;

/// The state behind an `Arc`.
pub type Shared = Arc<State>;

/// The idle handles of a server.
type Pool = Arc<Mutex<Vec<Box<dyn HostStore>>>>;

/// A database handle of the server's pool, for a request's context and the host's tables
/// (tokens, audit lines, calendar ledgers): derefs to the store, and is the request's
/// [`Store`] by delegation; goes back to the pool when dropped, unless its connection was
/// lost ([`AccessStore::is_usable`](crate::sql::access::AccessStore::is_usable)). Every
/// store method is one transaction of its own, so a handle holds no transaction between
/// requests.
pub struct Handle {
    store: Option<Box<dyn HostStore>>,
    pool: Pool,
}

impl Handle {
    fn inner(&self) -> &(dyn HostStore + 'static) {
        // Some from construction until drop.
        self.store.as_deref().unwrap_or_else(|| unreachable!())
    }

    fn inner_mut(&mut self) -> &mut (dyn HostStore + 'static) {
        self.store.as_deref_mut().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::Deref for Handle {
    type Target = dyn HostStore;

    fn deref(&self) -> &Self::Target {
        self.inner()
    }
}

impl std::ops::DerefMut for Handle {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.inner_mut()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let (Some(store), Ok(mut idle)) = (self.store.take(), self.pool.lock()) {
            if idle.len() < MAX_IDLE_HANDLES && store.is_usable() {
                idle.push(store);
            }
        }
    }
}

impl Store for Handle {
    fn load_model(&self) -> Result<Model, StoreError> {
        self.inner().load_model()
    }
    fn replace_model(&mut self, m: &Model, h: &History) -> Result<(), StoreError> {
        self.inner_mut().replace_model(m, h)
    }
    fn history(&self) -> Result<History, StoreError> {
        self.inner().history()
    }
    fn merge_entities(&mut self, incoming: &Dataset) -> Result<(), StoreError> {
        self.inner_mut().merge_entities(incoming)
    }
    fn remove_absence(&mut self, absence: &Absence) -> Result<bool, StoreError> {
        self.inner_mut().remove_absence(absence)
    }
    fn generation_keys(&self) -> Result<HashSet<String>, StoreError> {
        self.inner().generation_keys()
    }
    fn insert_generated(&mut self, o: &[GeneratedOrder]) -> Result<BatchReceipt, StoreError> {
        self.inner_mut().insert_generated(o)
    }
    fn record_status_changes(&mut self, u: &[StatusUpdate]) -> Result<BatchReceipt, StoreError> {
        self.inner_mut().record_status_changes(u)
    }
    fn save_sla_snapshots(&mut self, s: &[SlaSnapshot]) -> Result<BatchReceipt, StoreError> {
        self.inner_mut().save_sla_snapshots(s)
    }
    fn sla_snapshots(&self) -> Result<Vec<SlaSnapshot>, StoreError> {
        self.inner().sla_snapshots()
    }
    fn save_plan(
        &mut self,
        plan: &StoredPlan,
        updates: &[StatusUpdate],
    ) -> Result<BatchReceipt, StoreError> {
        self.inner_mut().save_plan(plan, updates)
    }
    fn apply_operation(&mut self, operation: &OrderOperation) -> Result<ServiceOrder, StoreError> {
        self.inner_mut().apply_operation(operation)
    }
    fn apply_return_step(&mut self, step: &ReturnStep) -> Result<BatchReceipt, StoreError> {
        self.inner_mut().apply_return_step(step)
    }
    fn plans(&self) -> Result<Vec<StoredPlan>, StoreError> {
        self.inner().plans()
    }
    fn save_billing(
        &mut self,
        transactions: &[Transaction],
        billed: &[BillingKey],
    ) -> Result<BatchReceipt, StoreError> {
        self.inner_mut().save_billing(transactions, billed)
    }
    fn billed_periods(&self) -> Result<BTreeSet<BillingKey>, StoreError> {
        self.inner().billed_periods()
    }
    fn transactions(&self) -> Result<Vec<Transaction>, StoreError> {
        self.inner().transactions()
    }
    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        self.inner().batches()
    }
    // `import` and `export` are the trait's own (neither store overrides them).
}

impl State {
    /// The state of a server over `db` (a path or a `postgres://` URL) with `rules`.
    pub fn new(db: PathBuf, rules: RulesArgs, max_body: usize) -> Self {
        Self {
            db,
            rules,
            rules_lock: RwLock::new(()),
            runs: runs::Runs::default(),
            changes: broadcast::channel(64).0,
            write_lock: Mutex::new(()),
            max_body,
            watch: Mutex::new(None),
            handles: Pool::default(),
            model: ModelCache::default(),
        }
    }

    /// The store's revision now, read on the server's watch handle (opened on first use;
    /// dropped after an error, so the next call reconnects).
    pub fn revision(&self) -> Result<i64, ApiError> {
        let mut watch = self
            .watch
            .lock()
            .map_err(|_| ApiError::internal("the watch lock is poisoned"))?;
        if watch.is_none() {
            *watch = Some(crate::cli::db::open_host(&self.db)?);
        }
        let result = watch.as_ref().map(|w| w.revision()).transpose();
        match result {
            Ok(Some(revision)) => Ok(revision),
            Ok(None) => Err(ApiError::internal("no watch handle")),
            Err(e) => {
                *watch = None;
                Err(e.into())
            }
        }
    }

    /// The context of one request: the CLI's [`Context`] over the database with the server's
    /// rules and `at` ("now", as `--at` is written; the current time when absent). The model
    /// and the compiled rules come from the server's caches when the store's revision and the
    /// rule files are those cached ([`cache`]).
    pub fn context(&self, at: Option<&str>) -> Result<RequestContext, ApiError> {
        let at = match at {
            Some(text) => Some(
                parse_at(text)
                    .map_err(|e| ApiError::bad_request(format!("invalid at '{text}': {e}")))?,
            ),
            None => None,
        };
        let store = self.store()?;
        let (rules, fingerprint) = {
            let _rules = self
                .rules_lock
                .read()
                .map_err(|_| ApiError::internal("the rules lock is poisoned"))?;
            let fingerprint = cache::rules_fingerprint(&self.rules)?;
            (cache::rules_for(&self.rules, fingerprint)?, fingerprint)
        };
        // Read before the model is loaded: the model is then at least as new as the revision.
        let revision = self.revision()?;
        let model: Model = self.model.get_or_load(revision, || store.load_model())?;
        let context = Context::with_model(
            Source::Database(self.db.clone()),
            Box::new(store),
            model,
            rules,
            &AtArgs { at },
        );
        Ok(RequestContext::new(context, fingerprint))
    }

    /// Runs `f` holding [`State::write_lock`].
    pub fn writing<T>(&self, f: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
        let _writing = self
            .write_lock
            .lock()
            .map_err(|_| ApiError::internal("the write lock is poisoned"))?;
        f()
    }

    /// A handle on the database (the store and the host's own tables): an idle one of the
    /// pool, else a new one.
    pub fn store(&self) -> Result<Handle, ApiError> {
        let idle = self.handles.lock().ok().and_then(|mut idle| idle.pop());
        let store = match idle {
            Some(store) => store,
            None => crate::cli::db::open_host(&self.db)?,
        };
        Ok(Handle {
            store: Some(store),
            pool: self.handles.clone(),
        })
    }

    /// The directory `PUT /rules` writes: `--rules DIR`, else `rules/`.
    pub fn rules_dir(&self) -> PathBuf {
        self.rules
            .rules
            .clone()
            .unwrap_or_else(|| PathBuf::from(crate::cli::context::DEFAULT_RULES_DIR))
    }
}

/// Runs `f` (which uses the synchronous store or engines) on tokio's blocking pool.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("internal error: {e}")))?
}

/// A JSON answer, its instants RFC 3339 in UTC with whole seconds as the CLI's `--json`.
pub fn json(status: StatusCode, mut value: serde_json::Value) -> Response {
    crate::format::normalize_json(&mut value);
    (status, axum::Json(value)).into_response()
}

/// A 200 JSON answer.
pub fn ok(value: serde_json::Value) -> Response {
    json(StatusCode::OK, value)
}

/// A page of a list: `limit` (default 100, at most [`MAX_PAGE`]) items after `offset`.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
pub struct Page {
    /// Items per page (1 to 1000, default 100).
    pub limit: Option<usize>,
    /// Items skipped (default 0).
    pub offset: Option<usize>,
}

/// The largest page.
pub const MAX_PAGE: usize = 1000;

impl Page {
    /// `(limit, offset)`, checked.
    pub fn resolve(self) -> Result<(usize, usize), ApiError> {
        let limit = self.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and {MAX_PAGE}, not {limit}"
            )));
        }
        Ok((limit, self.offset.unwrap_or(0)))
    }

    /// The page of `items` and the JSON fields describing it (`total`, `limit`, `offset`,
    /// `next_offset` when more follow).
    pub fn of<T: Clone>(self, items: &[T]) -> Result<(Vec<T>, serde_json::Value), ApiError> {
        let (limit, offset) = self.resolve()?;
        let page: Vec<T> = items.iter().skip(offset).take(limit).cloned().collect();
        let next = (offset + page.len() < items.len()).then_some(offset + page.len());
        Ok((
            page,
            serde_json::json!({
                "total": items.len(),
                "limit": limit,
                "offset": offset,
                "next_offset": next,
            }),
        ))
    }
}

/// The whole application: every route, the auth and audit layers, the body limit and the
/// timeout.
pub fn app(state: Shared, timeout: Duration) -> Router {
    use axum::middleware;
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::timeout::TimeoutLayer;

    let api = Router::new()
        .merge(orders::routes())
        .merge(runs::routes())
        .merge(sla::routes())
        .merge(billing::routes())
        .merge(returns::routes())
        .merge(rules::routes())
        .merge(board::routes())
        .merge(auth::routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    Router::new()
        .merge(api)
        .merge(openapi::routes())
        .fallback(|| async { ApiError::not_found("no such resource (see /openapi.json)") })
        .layer(middleware::from_fn_with_state(state.clone(), auth::audit))
        .layer(RequestBodyLimitLayer::new(state.max_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // Outermost: the plain-text 408 and 413 of the two layers above become problems.
        .layer(middleware::map_response(problem_for_plain_errors))
        .with_state(state)
}

/// The limit and timeout layers answer in plain text: their 408 and 413 become problems too.
async fn problem_for_plain_errors(response: Response) -> Response {
    let status = response.status();
    let plain = !response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if plain && status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(status, "the request body is larger than the server accepts")
            .into_response();
    }
    if plain && status == StatusCode::REQUEST_TIMEOUT {
        return ApiError::new(status, "the request took longer than the server allows")
            .into_response();
    }
    response
}

/// Watches the database for changes by any writer — the store's revision
/// ([`State::revision`]: SQLite's last batch id, PostgreSQL's revision counter),
/// polled every [`WATCH_INTERVAL`] — and announces each on `state.changes`; ends when the
/// server does. Polling one number is as cheap on both stores and needs no connection of its
/// own beyond the watch handle the model cache reads anyway (PostgreSQL's LISTEN/NOTIFY would
/// need a dedicated connection and still a counter for the cache to key on).
fn watch_changes(state: &Shared) -> Result<std::thread::JoinHandle<()>, CliError> {
    let weak = Arc::downgrade(state);
    let mut last = state.revision().ok();
    std::thread::Builder::new()
        .name("fieldwork-watch".into())
        .spawn(move || {
            let mut seq = 0u64;
            loop {
                std::thread::sleep(WATCH_INTERVAL);
                let Some(state) = weak.upgrade() else { return };
                let now = state.revision().ok();
                if now.is_some() && now != last {
                    last = now;
                    seq += 1;
                    let _ = state.changes.send(seq);
                }
            }
        })
        .map_err(|e| CliError::Internal(format!("cannot start the change watcher: {e}")))
}

/// How often the change watcher reads the store's revision.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// Runs `fieldwork serve`: opens (and migrates) the database, binds, prints
/// `listening on http://ADDR` and serves until interrupted.
pub fn run(args: ServeArgs, out: &Output) -> Result<(), CliError> {
    // Fails early, with the CLI's message, when there is no database; migrates an old one.
    drop(crate::cli::db::open_host(&args.db.db)?);
    let stack = fieldwork::rules::Limits::default().stack_size();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Rules run on these threads: as large a stack as the CLI's command thread.
        .thread_stack_size(stack)
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the server runtime: {e}")))?;
    let state: Shared = Arc::new(State::new(
        args.db.db.clone(),
        args.rules.clone(),
        args.max_body,
    ));
    let _watch = watch_changes(&state)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| CliError::User(format!("cannot listen on {}: {e}", args.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Internal(e.to_string()))?;
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "listening on http://{addr}");
        let _ = stdout.flush();
        drop(stdout);
        if !out.quiet {
            eprintln!(
                "fieldwork serve: database {} · API at http://{addr}/ · board at http://{addr}/board?token=… · OpenAPI at http://{addr}/openapi.json",
                crate::cli::db::shown(&args.db.db)
            );
            if !addr.ip().is_loopback() {
                eprintln!(
                    "warning: listening on {addr}, reachable from other machines: put TLS in front (tokens travel in every request)"
                );
            }
        }
        let app = app(state, Duration::from_secs(args.timeout.max(1)));
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
                // Requests in flight get SHUTDOWN_GRACE to finish; event streams (boards,
                // runs) never end by themselves, so the process exits then.
                std::thread::spawn(|| {
                    std::thread::sleep(SHUTDOWN_GRACE);
                    std::process::exit(0);
                });
            })
            .await
            .map_err(|e| CliError::Internal(format!("server error: {e}")))
    })
}

/// After Ctrl-C, requests in flight get this long before the process exits.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// At most this many requests use the store or the engines at once (each on a blocking
/// thread with the rules' stack); more wait for a free thread.
pub const MAX_BLOCKING_THREADS: usize = 32;
