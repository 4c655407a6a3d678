//! `fieldwork serve` as a host application meets it: the real binary on a free loopback port,
//! a real HTTP client. Who may do what (401 without a token, 403 across technicians and for a
//! dispatcher replacing the rules), the CLI's messages in problem documents, operations that
//! land in the database, asynchronous runs with their event stream, one run per window (409),
//! atomic rules replacement after a check, the audit log, limits, and the OpenAPI document.

#[path = "support/server.rs"]
mod server;
mod support;

use serde_json::{json, Value};
use server::{token, Server};
use support::{demo_db, fieldwork, stderr};

const AT: &str = "2027-03-01T12:00:00Z";

/// A demo database with a token per role; the technician token belongs to the technician of
/// the first planned visit. Returns (dir, admin, manager, dispatcher, technician, their id).
struct Setup {
    dir: tempfile::TempDir,
    admin: String,
    manager: String,
    dispatcher: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    demo_db(dir.path());
    Setup {
        admin: token(dir.path(), "admin", None, "Ada (admin)"),
        manager: token(dir.path(), "manager", None, "Max (manager)"),
        dispatcher: token(dir.path(), "dispatcher", None, "Dana (dispatch)"),
        dir,
    }
}

/// (technician, order) of the planned visits of the current plan, in route order.
fn visits(plan: &Value) -> Vec<(String, String)> {
    plan["routes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            let tech = r["technician"].as_str().unwrap().to_owned();
            r["visits"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |v| (tech.clone(), v["order"].as_str().unwrap().to_owned()))
        })
        .collect()
}

/// Sends raw request bytes (headers only) and reads the answer's head and body.
fn raw(server: &Server, request: &str) -> String {
    use std::io::{Read, Write};
    let addr = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).unwrap();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

#[test]
fn who_may_do_what_and_operations_speak_the_clis_language() {
    let s = setup();
    let server = Server::start(s.dir.path(), &[], &[]);
    let (dispatcher, admin, manager) = (
        Some(s.dispatcher.as_str()),
        Some(s.admin.as_str()),
        Some(s.manager.as_str()),
    );

    // No token, a wrong token: 401, as problem documents.
    let detail = server.get("/orders", None).problem(401);
    assert!(detail.contains("no token"), "{detail}");
    server.get("/orders", Some("fw_not-a-token")).problem(401);
    // The OpenAPI document needs none.
    let doc = server.get("/openapi.json", None);
    assert_eq!(doc.status, 200);
    assert!(doc.json()["paths"]["/orders/{id}/{action}"]["post"].is_object());

    // Lists are paged.
    let page = server.get("/orders?limit=5", dispatcher).json();
    assert_eq!(page["orders"].as_array().unwrap().len(), 5);
    assert_eq!(page["next_offset"], 5);
    assert!(page["total"].as_u64().unwrap() > 5);
    assert!(
        page["rules"].is_string(),
        "each answer names its rules: {page}"
    );
    let next = server.get("/orders?limit=5&offset=5", dispatcher).json();
    assert_ne!(next["orders"][0]["id"], page["orders"][0]["id"]);
    server.get("/orders?limit=0", dispatcher).problem(400);

    // A refused operation answers with the CLI's message, and changes nothing.
    let cli = fieldwork(
        s.dir.path(),
        &["order", "complete", "SO-B0001", "--at", AT, "--db", "d.db"],
    );
    let cli_error = stderr(&cli)
        .trim()
        .strip_prefix("error: ")
        .unwrap()
        .to_owned();
    let refused = server.post(
        "/orders/SO-B0001/complete",
        dispatcher,
        Some(&json!({ "at": AT })),
    );
    assert_eq!(refused.problem(400), cli_error);
    server
        .post(
            "/orders/SO-NOPE/start",
            dispatcher,
            Some(&json!({ "at": AT })),
        )
        .problem(404);
    server
        .post("/orders/SO-B0001/fly", dispatcher, None)
        .problem(404);

    // An operation lands in the database, as `order show` reads it.
    let started = server.post(
        "/orders/SO-B0001/start",
        dispatcher,
        Some(&json!({ "at": AT, "reason": "on site" })),
    );
    assert_eq!(started.status, 200, "{}", started.text);
    let started = started.json();
    assert_eq!(
        (started["from"].as_str(), started["status"].as_str()),
        (Some("scheduled"), Some("in_progress"))
    );
    let shown = support::fieldwork_json(
        s.dir.path(),
        &[
            "order", "show", "SO-B0001", "--db", "d.db", "--at", AT, "--json",
        ],
    );
    assert_eq!(shown["status"], "in_progress");
    let got = server
        .get(&format!("/orders/SO-B0001?at={AT}"), dispatcher)
        .json();
    assert_eq!(got["status"], "in_progress");
    assert_eq!(got["history"], shown["history"]);

    // Priority, with the CLI's validation.
    server
        .post(
            "/orders/SO-B0002/priority",
            dispatcher,
            Some(&json!({ "priority": "urgent" })),
        )
        .problem(400);
    let p = server.post(
        "/orders/SO-B0002/priority",
        dispatcher,
        Some(&json!({ "priority": "critical", "at": AT })),
    );
    assert_eq!(p.status, 200, "{}", p.text);

    // Candidates: the explained ranking.
    let ranking = server.get(&format!("/orders/SO-B0002/candidates?at={AT}"), dispatcher);
    assert_eq!(ranking.status, 200, "{}", ranking.text);
    assert!(!ranking.json()["candidates"].as_array().unwrap().is_empty());

    // A technician sees their own visits only.
    let plan = server.get("/plan", dispatcher).json();
    let visits = visits(&plan);
    let (tech, own_order) = visits[0].clone();
    let (_, other_order) = visits
        .iter()
        .find(|(t, _)| *t != tech)
        .cloned()
        .expect("two technicians have visits");
    let other_tech = visits.iter().find(|(t, _)| *t != tech).unwrap().0.clone();
    let technician = token(s.dir.path(), "technician", Some(&tech), "Tech phone");
    let t = Some(technician.as_str());
    assert_eq!(server.get(&format!("/orders/{own_order}"), t).status, 200);
    let detail = server
        .get(&format!("/orders/{other_order}"), t)
        .problem(403);
    assert!(detail.contains(&tech), "{detail}");
    let day = server.get(&format!("/technicians/{tech}/today?date=2027-03-01"), t);
    assert_eq!(day.status, 200, "{}", day.text);
    server
        .get(
            &format!("/technicians/{other_tech}/today?date=2027-03-01"),
            t,
        )
        .problem(403);
    server
        .get(&format!("/technicians/{other_tech}/calendar.ics"), t)
        .problem(403);
    let ics = server.get(&format!("/technicians/{tech}/calendar.ics"), t);
    assert_eq!(ics.status, 200);
    assert!(ics.content_type.starts_with("text/calendar"));
    assert!(ics.text.contains("BEGIN:VCALENDAR"));
    server.get("/orders", t).problem(403);
    server
        .post(&format!("/orders/{own_order}/cancel"), t, None)
        .problem(403);
    let mine = server.get("/plan", t).json();
    assert!(mine["routes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["technician"] == tech.as_str()));
    let page = server.get(
        &format!("/me/today?date=2027-03-01&token={technician}"),
        None,
    );
    assert_eq!(page.status, 200);
    assert!(page.text.contains("width=device-width") && page.text.contains(&own_order));

    // Billing and return orders: managers, not dispatchers.
    server
        .post(
            "/billing/runs",
            dispatcher,
            Some(&json!({ "period": "2027-03" })),
        )
        .problem(403);
    let bill = server.post(
        "/billing/runs",
        manager,
        Some(&json!({ "period": "2027-03" })),
    );
    assert_eq!(bill.status, 201, "{}", bill.text);
    let sla = server.get(&format!("/sla?at={AT}"), dispatcher);
    assert_eq!(sla.status, 200, "{}", sla.text);

    // Rules: a dispatcher may not replace them; an admin may, after a successful check.
    let rules_dir = s.dir.path().join("rules");
    support::copy_shipped_rules(&rules_dir);
    let good = json!({ "files": { "sla.rhai": std::fs::read_to_string(rules_dir.join("sla.rhai")).unwrap() } });
    let detail = server.put("/rules", dispatcher, Some(&good)).problem(403);
    assert!(detail.contains("may not replace the rules"), "{detail}");
    let broken = json!({ "files": { "sla.rhai": "fn sla_targets(order) { let x = ; }" } });
    let refused = server.put("/rules", admin, Some(&broken));
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.json()["problems"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("sla.rhai"));
    let files_before = std::fs::read_dir(&rules_dir).unwrap().count();
    assert!(files_before > 1, "a refused replacement changed nothing");
    let checked = server.post("/rules/check", manager, Some(&broken));
    assert_eq!(checked.status, 422);
    let replaced = server.put("/rules", admin, Some(&good));
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.json()["replaced"], true);
    let names: Vec<String> = std::fs::read_dir(&rules_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["sla.rhai".to_owned()]);
    let after = server.get("/orders?limit=1", dispatcher).json();
    assert_eq!(after["rules"], "rules/ (1 file)");

    // Limits: a body announced beyond --max-body (1 MiB) is refused before it is read: 413.
    let head = raw(
        &server,
        &format!(
            "POST /orders/SO-B0003/hold HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            s.dispatcher,
            2 * 1024 * 1024
        ),
    );
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.contains("application/problem+json"), "{head}");

    // The audit log: every changing request with its subject and outcome, refused ones too.
    server.get("/audit", dispatcher).problem(403);
    let log = server.get("/audit?limit=1000", admin).json();
    let lines = log["lines"].as_array().unwrap();
    let start = lines
        .iter()
        .find(|l| {
            l["request"]
                .as_str()
                .unwrap()
                .starts_with("POST /orders/SO-B0001/start")
        })
        .expect("the start is audited");
    assert_eq!(start["subject"], "Dana (dispatch)");
    assert_eq!(start["status"], 200);
    assert_eq!(start["outcome"], "ok");
    let refusal = lines
        .iter()
        .find(|l| l["request"].as_str().unwrap().starts_with("PUT /rules") && l["status"] == 403)
        .expect("the refused replacement is audited");
    assert_eq!(refusal["subject"], "Dana (dispatch)");
    assert!(lines.iter().any(|l| l["request"]
        .as_str()
        .unwrap()
        .starts_with("POST /orders/SO-B0001/complete")
        && l["outcome"].as_str().unwrap() == cli_error));
    assert!(
        !log.to_string().contains(&s.dispatcher),
        "no secret in the log"
    );

    // Revoked: 401 from then on.
    let listed =
        support::fieldwork_json(s.dir.path(), &["token", "list", "--db", "d.db", "--json"]);
    let id = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == "Tech phone")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    support::ok(fieldwork(
        s.dir.path(),
        &["token", "revoke", &id, "--db", "d.db", "--quiet"],
    ));
    server.get(&format!("/orders/{own_order}"), t).problem(401);
}

#[test]
fn runs_are_asynchronous_one_per_window_with_progress_events_and_a_diff() {
    let s = setup();
    // Each run waits 1.5 s before it starts, so the second request finds the first running.
    let server = Server::start(
        s.dir.path(),
        &[],
        &[("FIELDWORK_SERVE_RUN_PAUSE_MS", "1500")],
    );
    let d = Some(s.dispatcher.as_str());
    let window = json!({ "from": "2027-03-02", "to": "2027-03-04", "at": "2027-03-01T18:00:00Z" });
    let started = server.post("/runs", d, Some(&window));
    assert_eq!(started.status, 202, "{}", started.text);
    let id = started.json()["id"].as_str().unwrap().to_owned();
    let overlapping =
        json!({ "from": "2027-03-04", "to": "2027-03-05", "at": "2027-03-01T18:00:00Z" });
    let detail = server.post("/runs", d, Some(&overlapping)).problem(409);
    assert!(detail.contains(&id), "{detail}");
    server
        .post(
            "/runs",
            d,
            Some(&json!({ "from": "2027-03-05", "to": "2027-03-01" })),
        )
        .problem(400);
    server.get(&format!("/runs/{id}/diff"), d).problem(409);

    // The event stream: everything from the start, ending when the run ends.
    let events = server.get(&format!("/runs/{id}/events"), d);
    assert_eq!(events.status, 200);
    assert!(events.content_type.starts_with("text/event-stream"));
    let kinds: Vec<&str> = events
        .text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(kinds.first(), Some(&"started"), "{kinds:?}");
    assert!(kinds.contains(&"phase"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"done"), "{}", events.text);

    let run = server.get(&format!("/runs/{id}"), d).json();
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(run["to"], "2027-03-04");
    assert!(run["summary"]["schedule"].is_object(), "{run}");
    let diff = server.get(&format!("/runs/{id}/diff"), d);
    assert_eq!(diff.status, 200, "{}", diff.text);
    assert!(diff.json()["diff"]["unchanged"].is_u64());
    // The window is free again.
    let again = server.post("/runs", d, Some(&overlapping));
    assert_eq!(again.status, 202, "{}", again.text);
    // A technician may not start runs.
    let plan = server.get("/plan", d).json();
    let tech = visits(&plan)[0].0.clone();
    let technician = token(s.dir.path(), "technician", Some(&tech), "phone");
    server
        .post("/runs", Some(&technician), Some(&window))
        .problem(403);
}

#[test]
fn creating_an_order_validates_it_and_refuses_a_taken_id() {
    let s = setup();
    let server = Server::start(s.dir.path(), &[], &[]);
    let d = Some(s.dispatcher.as_str());
    let existing = server.get("/orders/SO-B0001", d).json();
    let customer = existing["customer"].as_str().unwrap().to_owned();
    let order = json!({
        "id": "SO-API-1",
        "customer": customer,
        "priority": "high",
        "description": "breakdown call",
        "lines": [],
    });
    let created = server.post("/orders", d, Some(&order));
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json()["status"], "created");
    let listed = server
        .get("/orders?status=created&priority=high&limit=1000", d)
        .json();
    assert!(listed["orders"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["id"] == "SO-API-1"));
    server.post("/orders", d, Some(&order)).problem(409);
    let unknown = json!({ "id": "SO-API-2", "customer": "C-NOPE", "priority": "high" });
    let detail = server.post("/orders", d, Some(&unknown)).problem(400);
    assert!(detail.contains("C-NOPE"), "{detail}");
    // Appointment slots, and booking one (as `fieldwork slots` and `order book --slot N`).
    let slots = server.get(&format!("/orders/SO-B0005/slots?at={AT}&count=3"), d);
    assert_eq!(slots.status, 200, "{}", slots.text);
    let offered = slots.json()["slots"].as_array().unwrap().len();
    assert!((1..=3).contains(&offered), "{}", slots.text);
    let booked = server.post(
        "/orders/SO-B0005/book",
        d,
        Some(&json!({ "slot": 1, "count": 3, "at": AT })),
    );
    assert_eq!(booked.status, 200, "{}", booked.text);
    assert_eq!(booked.json()["action"], "book");
    let detail = server
        .post(
            "/orders/SO-B0005/book",
            d,
            Some(&json!({ "slot": 9, "count": 3, "at": AT })),
        )
        .problem(400);
    assert!(detail.starts_with("no slot 9"), "{detail}");
    server
        .post("/orders", d, Some(&json!({ "id": "SO-API-3", "customer": customer, "priority": "high", "history": [{"at": AT, "status": "completed"}] })))
        .problem(400);
}

#[test]
fn tokens_are_bound_as_their_role_requires() {
    let dir = tempfile::tempdir().unwrap();
    demo_db(dir.path());
    let d = dir.path();
    let refused = |args: &[&str]| {
        let out = fieldwork(d, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        stderr(&out)
    };
    let e = refused(&["token", "create", "--db", "d.db", "--role", "technician"]);
    assert!(e.contains("--technician"), "{e}");
    let e = refused(&[
        "token",
        "create",
        "--db",
        "d.db",
        "--role",
        "technician",
        "--technician",
        "T-NOPE",
    ]);
    assert!(e.contains("unknown technician `T-NOPE`"), "{e}");
    let e = refused(&[
        "token",
        "create",
        "--db",
        "d.db",
        "--role",
        "dispatcher",
        "--technician",
        "T-001",
    ]);
    assert!(e.contains("technician tokens only"), "{e}");
    let e = refused(&["token", "create", "--db", "d.db", "--role", "boss"]);
    assert!(
        e.contains("admin, manager, dispatcher or technician"),
        "{e}"
    );
    refused(&["token", "revoke", "99", "--db", "d.db"]);
    // The secret is printed once and stored hashed.
    let secret = token(d, "manager", None, "Max");
    let listed = support::fieldwork_json(d, &["token", "list", "--db", "d.db", "--json"]);
    assert!(!listed.to_string().contains(&secret), "{listed}");
    assert_eq!(listed["tokens"][0]["role"], "manager");
}

/// The same API on the database `db` (a path in `dir` or a `postgres://` URL): the boundaries
/// of the roles, an operation with its audit line, the board's change event, and every
/// committed change seen by the next request — the server's own writes and the CLI's.
fn one_api_on(dir: &std::path::Path, db: &str) {
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--db", db]);
        let out = fieldwork(dir, &all);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    };
    run(&["demo", "--anchor", "2027-03-01", "--weeks", "1", "--quiet"]);
    let admin = server::token_on(dir, db, "admin", None, "Ada (admin)");
    let dispatcher = server::token_on(dir, db, "dispatcher", None, "Dana (dispatch)");
    let server = Server::start_on(dir, db, &[], &[]);
    let (a, d) = (Some(admin.as_str()), Some(dispatcher.as_str()));

    // Who may do what.
    server.get("/orders", None).problem(401);
    let detail = server
        .put("/rules", d, Some(&json!({ "files": {} })))
        .problem(403);
    assert!(detail.contains("may not replace the rules"), "{detail}");
    let visits = visits(&server.get("/plan", d).json());
    let (tech, own) = visits[0].clone();
    let (other_tech, _) = visits
        .iter()
        .find(|(t, _)| *t != tech)
        .cloned()
        .expect("two technicians have visits");
    let technician = server::token_on(dir, db, "technician", Some(&tech), "Tech phone");
    let t = Some(technician.as_str());
    assert_eq!(server.get(&format!("/orders/{own}"), t).status, 200);
    server
        .get(
            &format!("/technicians/{other_tech}/today?date=2027-03-01"),
            t,
        )
        .problem(403);

    // The board's event stream announces an operation made through the API.
    let mut events = server::agent()
        .get(&server.url("/board/events"))
        .header("Authorization", &format!("Bearer {dispatcher}"))
        .call()
        .unwrap()
        .into_body()
        .into_reader();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(&mut events).lines();
        while let Some(Ok(line)) = lines.next() {
            if line.starts_with("event: change") && tx.send(()).is_err() {
                return;
            }
        }
    });
    // Seen once, cached: the next reads must still see every change.
    let before = server.get(&format!("/orders/SO-B0001?at={AT}"), d).json();
    assert_eq!(before["status"], "scheduled");
    let started = server.post(
        "/orders/SO-B0001/start",
        d,
        Some(&json!({ "at": AT, "reason": "on site" })),
    );
    assert_eq!(started.status, 200, "{}", started.text);
    rx.recv_timeout(std::time::Duration::from_secs(5))
        .expect("a change event within 5 s of the operation");
    let after = server.get(&format!("/orders/SO-B0001?at={AT}"), d).json();
    assert_eq!(after["status"], "in_progress");

    // A change by another process (the CLI on the same database) is seen by the next request.
    run(&["order", "hold", "SO-B0001", "--at", AT, "--quiet"]);
    let held = server.get(&format!("/orders/SO-B0001?at={AT}"), d).json();
    assert_eq!(held["status"], "on_hold", "{held}");

    // The operation's audit line names the token's subject; refusals are there too.
    let log = server.get("/audit?limit=100", a).json();
    let lines = log["lines"].as_array().unwrap();
    let start = lines
        .iter()
        .find(|l| {
            l["request"]
                .as_str()
                .unwrap()
                .starts_with("POST /orders/SO-B0001/start")
        })
        .expect("the start is audited");
    assert_eq!(
        (&start["subject"], &start["status"], &start["outcome"]),
        (&json!("Dana (dispatch)"), &json!(200), &json!("ok"))
    );
    assert!(lines
        .iter()
        .any(|l| l["request"].as_str().unwrap().starts_with("PUT /rules") && l["status"] == 403));
}

#[test]
fn the_same_api_on_sqlite_sees_every_committed_change() {
    let dir = tempfile::tempdir().unwrap();
    one_api_on(dir.path(), "d.db");
}

#[test]
fn the_same_api_on_postgres() {
    let Some(url) = support::postgres::server("serve tests") else {
        return;
    };
    let scratch = fieldwork_host::postgres::PgStore::scratch(&url).unwrap();
    let db = support::postgres::with_schema(&url, scratch.schema());
    let dir = tempfile::tempdir().unwrap();
    one_api_on(dir.path(), &db);
}
