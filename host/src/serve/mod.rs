//! `fieldwork serve`: an HTTP/JSON API and a live dispatcher board over the same library calls
//! and the same store as the command line (axum on tokio).
//!
//! Every handler resolves its context with the CLI's own
//! [`Context::resolve`](crate::cli::context::Context::resolve) — the database, the rules
//! (`--rules DIR`, else `rules/` when it exists, else built-in) and "now" (`at`, as `--at`) —
//! and calls the same function as the command (`order start` → `cli::order::apply` →
//! `Store::apply_operation`, `candidates` → the dispatcher's ranking, `run` →
//! `job::run_main_job`, …); each JSON answer that depends on the rules names them (`"rules"`)
//! and its "now". The store is synchronous: handlers call it from `spawn_blocking`. Errors are
//! RFC 9457 problem documents whose `detail` is the CLI's error text ([`problem`]).
//!
//! One file per resource: [`orders`] (list, get, create, operations, candidates), [`runs`]
//! (the main job, asynchronous, with progress as server-sent events; the current plan and a
//! run's plan diff), [`sla`], [`billing`], [`returns`], [`rules`] (check, and the admin's
//! atomic replacement), [`board`] (the live board, `/me/today`, calendar feeds), [`auth`]
//! (tokens, roles, the audit log) and [`openapi`] (the document at `/openapi.json`).

pub mod auth;
pub mod billing;
pub mod board;
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

use crate::cli::context::{parse_at, AtArgs, Context, DbArgs, RulesArgs, SourceArgs};
use crate::cli::{CliError, Output};
use crate::sqlite::SqliteStore;
pub use problem::{ApiError, Problem};

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
    /// The database file.
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
    /// SQLite's lock (a run's batches and other processes still meet the busy timeout).
    pub write_lock: Mutex<()>,
    /// The largest request body.
    pub max_body: usize,
}

/// The state behind an `Arc`.
pub type Shared = Arc<State>;

impl State {
    /// The state of a server over `db` with `rules`.
    pub fn new(db: PathBuf, rules: RulesArgs, max_body: usize) -> Self {
        Self {
            db,
            rules,
            rules_lock: RwLock::new(()),
            runs: runs::Runs::default(),
            changes: broadcast::channel(64).0,
            write_lock: Mutex::new(()),
            max_body,
        }
    }

    /// The context of one request: the CLI's [`Context::resolve`] over the database with the
    /// server's rules and `at` ("now", as `--at` is written; the current time when absent).
    pub fn context(&self, at: Option<&str>) -> Result<Context, ApiError> {
        let at = match at {
            Some(text) => Some(
                parse_at(text)
                    .map_err(|e| ApiError::bad_request(format!("invalid at '{text}': {e}")))?,
            ),
            None => None,
        };
        let source = SourceArgs {
            db: DbArgs {
                db: self.db.clone(),
            },
            dataset: None,
        };
        let _rules = self
            .rules_lock
            .read()
            .map_err(|_| ApiError::internal("the rules lock is poisoned"))?;
        Ok(Context::resolve(&source, &self.rules, &AtArgs { at })?)
    }

    /// Runs `f` holding [`State::write_lock`].
    pub fn writing<T>(&self, f: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
        let _writing = self
            .write_lock
            .lock()
            .map_err(|_| ApiError::internal("the write lock is poisoned"))?;
        f()
    }

    /// The database, for the host's own tables (tokens, audit log, calendar ledgers).
    pub fn store(&self) -> Result<SqliteStore, ApiError> {
        Ok(crate::cli::db::open_sqlite(&self.db)?)
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

/// Watches the database for changes by any writer (`PRAGMA data_version` on a connection of
/// its own, every 250 ms) and announces each on `state.changes`; ends when the server does.
fn watch_changes(state: &Shared) -> Result<std::thread::JoinHandle<()>, CliError> {
    let store = crate::cli::db::open_sqlite(&state.db)?;
    let weak = Arc::downgrade(state);
    std::thread::Builder::new()
        .name("fieldwork-watch".into())
        .spawn(move || {
            let version = |s: &SqliteStore| {
                s.connection()
                    .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
                    .ok()
            };
            let mut last = version(&store);
            let mut seq = 0u64;
            loop {
                std::thread::sleep(Duration::from_millis(250));
                let Some(state) = weak.upgrade() else { return };
                let now = version(&store);
                if now != last {
                    last = now;
                    seq += 1;
                    let _ = state.changes.send(seq);
                }
            }
        })
        .map_err(|e| CliError::Internal(format!("cannot start the change watcher: {e}")))
}

/// Runs `fieldwork serve`: opens (and migrates) the database, binds, prints
/// `listening on http://ADDR` and serves until interrupted.
pub fn run(args: ServeArgs, out: &Output) -> Result<(), CliError> {
    // Fails early, with the CLI's message, when there is no database; migrates an old one.
    drop(crate::cli::db::open(&args.db.db)?);
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
                args.db.db.display()
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
