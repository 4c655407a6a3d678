//! The load bench of `fieldwork serve` (README "Run it as a service"): 100 concurrent clients
//! for 20 s mixing reads (order pages, one order, a technician's plan), candidate rankings and
//! operations against the demo database, through the real binary on a loopback port. Prints
//! throughput and p50/p99 latency (overall and per kind) and checks that every accepted
//! operation is recorded exactly once.
//!
//! `cargo bench -p fieldwork-host --bench serve_load` (release build of the binary);
//! `SERVE_LOAD_CLIENTS` and `SERVE_LOAD_SECONDS` change the load (bounded to 1000 clients and
//! 600 s).

#[path = "../tests/support/load.rs"]
mod load;
#[path = "../tests/support/server.rs"]
mod server;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

fn env_or(name: &str, default: u64, max: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .clamp(1, max)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that is not ours means another bench is wanted.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "serve_load")
    {
        return;
    }
    let clients = env_or("SERVE_LOAD_CLIENTS", 100, 1000) as usize;
    let seconds = env_or("SERVE_LOAD_SECONDS", 20, 600);
    let dir = tempfile::tempdir().expect("a temporary folder");
    support::demo_db(dir.path());
    let token = server::token(dir.path(), "dispatcher", None, "load bench");
    let server = server::Server::start(dir.path(), &[], &[]);
    let (orders, technicians) = load::open_orders_and_technicians(&server, &token);
    let report = load::run_load(
        &server,
        &token,
        &orders,
        &technicians,
        clients,
        Duration::from_secs(seconds),
    );
    println!("{}", report.render(clients, seconds as f64));
    assert!(
        report.mismatches.is_empty(),
        "operations lost or duplicated: {:?}",
        report.mismatches
    );
}
