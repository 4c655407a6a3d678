//! A short version of the load bench (`benches/serve_load.rs`): a few concurrent clients for
//! about two seconds mixing reads, candidates and operations against the demo database; every
//! request is answered 2xx and every accepted operation is recorded exactly once.

#[path = "support/load.rs"]
mod load;
#[path = "support/server.rs"]
mod server;
mod support;

use std::time::Duration;

#[test]
fn concurrent_clients_lose_and_duplicate_no_operation() {
    let dir = tempfile::tempdir().unwrap();
    support::demo_db(dir.path());
    let token = server::token(dir.path(), "dispatcher", None, "load");
    let server = server::Server::start(dir.path(), &[], &[]);
    let (orders, technicians) = load::open_orders_and_technicians(&server, &token);
    let report = load::run_load(
        &server,
        &token,
        &orders,
        &technicians,
        4,
        Duration::from_secs(2),
    );
    eprintln!("{}", report.render(4, 2.0));
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.requests > 8, "{}", report.render(4, 2.0));
    assert!(
        report.accepted.values().sum::<usize>() > 0,
        "some operations ran"
    );
}
