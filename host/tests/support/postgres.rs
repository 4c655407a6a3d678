//! The PostgreSQL server the store suite, the worker tests and the persist benchmark run
//! against: `FIELDWORK_TEST_POSTGRES` (a connection URL). Each test makes its own schema
//! (`PgStore::scratch`) or database, so tests run in parallel on one server. When the variable
//! is unset a test prints a skip message and passes — unless `FIELDWORK_REQUIRE_POSTGRES=1`
//! (CI sets both), when it fails, so the suite can never skip silently there.
#![allow(dead_code)]

/// The test server's URL, or `None` (after a skip message) when there is none and none is
/// required. Panics when `FIELDWORK_REQUIRE_POSTGRES=1` and no URL is set.
pub fn server(what: &str) -> Option<String> {
    match std::env::var("FIELDWORK_TEST_POSTGRES") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ => {
            assert!(
                std::env::var("FIELDWORK_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "{what}: FIELDWORK_REQUIRE_POSTGRES=1 but FIELDWORK_TEST_POSTGRES is not set"
            );
            eprintln!("skipping PostgreSQL {what}: FIELDWORK_TEST_POSTGRES is not set");
            None
        }
    }
}

/// `url` with `options=-csearch_path=<schema>` added, so a process connecting with it works in
/// `schema`.
pub fn with_schema(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}
