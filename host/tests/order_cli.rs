//! `fieldwork order …` and `fieldwork rma receive|inspect|execute|close` on the demo database:
//! a day recorded as it happens, exit codes and one-line messages for refused operations
//! (nothing changes), `--dataset` refused — and the concurrency guarantee: an operation that
//! lands while `run` is planning is never lost.

mod support;

use chrono::{TimeZone, Utc};
use fieldwork::job::{run_main_job, JobOptions, Progress, ScheduleOutcome};
use fieldwork::model::{Dataset, OrderAction, OrderId, OrderOperation, OrderStatus};
use fieldwork::rules::RuleSet;
use fieldwork::store::{current_plan, ImportMode, Store};
use fieldwork_host::sqlite::SqliteStore;
use std::path::Path;
use support::{demo_db, fieldwork, fieldwork_json, ok, stderr, stdout};

/// The batch log's length: it grows with every committed write.
fn batches(dir: &Path) -> usize {
    SqliteStore::open(dir.join("d.db"))
        .unwrap()
        .batches()
        .unwrap()
        .len()
}

/// Runs a command that must fail with exit 1 and one `error:` line; returns that line.
fn refused(dir: &Path, args: &[&str]) -> String {
    let before = batches(dir);
    let out = fieldwork(dir, args);
    assert_eq!(out.status.code(), Some(1), "{args:?}\n{}", stdout(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert_eq!(batches(dir), before, "{args:?} changed nothing");
    err.trim_end().to_owned()
}

#[test]
fn a_day_is_recorded_and_refused_operations_name_the_status_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    demo_db(dir);
    let db = ["--db", "d.db"];
    let cmd = |args: &[&'static str]| -> Vec<&'static str> {
        let mut v = args.to_vec();
        v.extend(db);
        v
    };
    // The demo planned SO-B0001 on Monday 1 March 2027 (now 11:00 UTC).
    assert_eq!(
        refused(
            dir,
            &cmd(&[
                "order",
                "complete",
                "SO-B0001",
                "--at",
                "2027-03-01T12:00:00Z"
            ])
        ),
        "error: order SO-B0001 is scheduled: cannot complete \
         (allowed: start, assign, book, priority, repair, cancel)"
    );
    assert_eq!(
        refused(dir, &cmd(&["order", "start", "SO-NOPE"])),
        "error: unknown order `SO-NOPE`"
    );
    for (args, status) in [
        (
            &["order", "start", "SO-B0001", "--at", "2027-03-01T12:00:00Z"][..],
            "in_progress",
        ),
        (
            &[
                "order",
                "hold",
                "SO-B0001",
                "--at",
                "2027-03-01T13:00:00Z",
                "--reason",
                "waiting for parts",
            ][..],
            "on_hold",
        ),
        (
            &[
                "order",
                "resume",
                "SO-B0001",
                "--at",
                "2027-03-02T08:00:00Z",
            ][..],
            "in_progress",
        ),
        (
            &[
                "order",
                "complete",
                "SO-B0001",
                "--at",
                "2027-03-02T09:00:00Z",
            ][..],
            "completed",
        ),
    ] {
        let mut args = cmd(args);
        args.push("--json");
        let done = fieldwork_json(dir, &args);
        assert_eq!(done["status"], status, "{args:?}");
    }
    assert_eq!(
        refused(
            dir,
            &cmd(&[
                "order",
                "cancel",
                "SO-B0001",
                "--at",
                "2027-03-02T10:00:00Z"
            ])
        ),
        "error: order SO-B0001 is completed: cannot cancel (allowed: none, the order is final)"
    );
    // A change before the last one is refused too.
    assert!(refused(
        dir,
        &cmd(&["order", "start", "SO-B0002", "--at", "2027-02-01T10:00:00Z"])
    )
    .contains("before the previous change"));

    let shown = fieldwork_json(
        dir,
        &cmd(&[
            "order",
            "show",
            "SO-B0001",
            "--at",
            "2027-03-03T00:00:00Z",
            "--json",
        ]),
    );
    assert_eq!(shown["status"], "completed");
    assert_eq!(shown["allowed_next"], serde_json::json!([]));
    let history = shown["history"].as_array().unwrap();
    let what: Vec<&str> = history
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        what,
        [
            "created",
            "scheduled",
            "in_progress",
            "on_hold",
            "in_progress",
            "completed"
        ]
    );
    assert_eq!(history[3]["reason"], "waiting for parts");
    assert_eq!(shown["work"]["actual_start"], "2027-03-01T12:00:00Z");
    assert_eq!(shown["work"]["actual_finish"], "2027-03-02T09:00:00Z");
    assert_eq!(shown["work"]["on_site_seconds"], 2 * 3600);
    assert_eq!(shown["work"]["first_time_fix"], false);
    assert!(shown["visit"]["technician"].is_string(), "{shown}");
    let resolution = &shown["sla"]["metrics"][1];
    assert_eq!(resolution["metric"], "resolution");
    assert!(
        ["met", "missed"].contains(&resolution["state"].as_str().unwrap()),
        "{resolution}"
    );

    // Priority, manual assignment and repair are events of the order.
    ok(fieldwork(
        dir,
        &cmd(&[
            "order",
            "priority",
            "SO-B0002",
            "critical",
            "--reason",
            "escalated",
        ]),
    ));
    ok(fieldwork(
        dir,
        &cmd(&[
            "order",
            "assign",
            "SO-B0002",
            "--technician",
            "T-001",
            "--start",
            "2027-03-02T13:00",
        ]),
    ));
    ok(fieldwork(
        dir,
        &cmd(&[
            "order",
            "repair",
            "SO-B0002",
            "--symptom",
            "COOLING/NO-COLD",
            "--stage",
            "DIAG",
        ]),
    ));
    let shown = fieldwork_json(dir, &cmd(&["order", "show", "SO-B0002", "--json"]));
    assert_eq!(shown["priority"], "critical");
    assert_eq!(shown["required_technician"], "T-001");
    assert!(shown["pinned_start"].is_string());
    assert_eq!(shown["repair_stage"], "DIAG");
    assert_eq!(shown["repair_lines"], 1);
    assert_eq!(
        refused(
            dir,
            &cmd(&["order", "assign", "SO-B0002", "--technician", "T-NOPE"])
        ),
        "error: order SO-B0002: unknown technician `T-NOPE`"
    );
    let bad = refused(
        dir,
        &cmd(&["order", "repair", "SO-B0002", "--symptom", "NOSLASH"]),
    );
    assert!(bad.contains("expected AREA/CODE"), "{bad}");

    // The compliance report counts the work done.
    let report = fieldwork_json(
        dir,
        &cmd(&["sla", "report", "--at", "2027-03-03T00:00:00Z", "--json"]),
    );
    assert_eq!(report["work"]["completed"], 1);
    assert_eq!(report["work"]["first_time_fixes"], 0);
    let text = stdout(&ok(fieldwork(
        dir,
        &cmd(&["sla", "report", "--at", "2027-03-03T00:00:00Z"]),
    )));
    assert!(text.contains("Work done"), "{text}");
}

#[test]
fn operations_refuse_a_dataset_file() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    support::demo_json(dir);
    let out = fieldwork(
        dir,
        &["order", "start", "SO-B0001", "--dataset", "demo.json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--dataset file is read-only"),
        "{}",
        stderr(&out)
    );
    let out = fieldwork(
        dir,
        &["rma", "inspect", "RMA-0001", "--dataset", "demo.json"],
    );
    assert_eq!(out.status.code(), Some(1));
    // Showing works on either.
    ok(fieldwork(
        dir,
        &["order", "show", "SO-B0001", "--dataset", "demo.json"],
    ));
}

#[test]
fn a_return_order_is_moved_step_by_step() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    demo_db(dir);
    assert_eq!(
        refused(dir, &["rma", "receive", "RMA-0001", "--db", "d.db"]),
        "error: return order RMA-0001 is received: cannot receive (allowed: inspect)"
    );
    assert_eq!(
        refused(dir, &["rma", "close", "RMA-NOPE", "--db", "d.db"]),
        "error: unknown return order `RMA-NOPE`"
    );
    for (step, status) in [
        ("inspect", "inspected"),
        ("execute", "disposition_executed"),
        ("close", "closed"),
    ] {
        let done = fieldwork_json(
            dir,
            &[
                "rma",
                step,
                "RMA-0001",
                "--db",
                "d.db",
                "--at",
                "2027-03-02T09:00:00Z",
                "--json",
            ],
        );
        assert_eq!(done["status"], status);
    }
    // The old form still shows it.
    let shown = stdout(&ok(fieldwork(
        dir,
        &["rma", "--order", "RMA-0001", "--db", "d.db"],
    )));
    assert!(shown.contains("closed"), "{shown}");
}

/// A progress sink that records operations through a second handle on the database right
/// after the scheduler has computed its plan and before the plan is written — an operation
/// landing while `run` plans.
struct Meanwhile {
    other: SqliteStore,
    phase: String,
    operations: Vec<OrderOperation>,
}

impl Progress for Meanwhile {
    fn start(&mut self, phase: &str, _total: u64) {
        self.phase = phase.to_owned();
    }

    fn finish(&mut self) {
        if self.phase == "schedule" {
            for op in self.operations.drain(..) {
                self.other.apply_operation(&op).unwrap();
            }
        }
    }
}

#[test]
fn an_operation_landing_while_run_plans_is_never_lost() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    demo_db(dir);
    let path = dir.join("d.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let mut other = SqliteStore::open(&path).unwrap();
    let now = Utc.with_ymd_and_hms(2027, 3, 2, 6, 0, 0).unwrap();
    // A new breakdown the run will plan (created → scheduled), and a job under way.
    let mut new: serde_json::Value =
        serde_json::to_value(store.load_model().unwrap().order(&OrderId::new("SO-B0003"))).unwrap();
    new["id"] = "SO-NEW".into();
    new["history"] = serde_json::json!([]);
    new["created_at"] = "2027-03-02T05:00:00Z".into();
    new["priority"] = "critical".into();
    let dataset: Dataset = serde_json::from_value(serde_json::json!({ "orders": [new] })).unwrap();
    store.import(dataset, ImportMode::Merge).unwrap();
    let started = OrderId::new("SO-B0004");
    other
        .apply_operation(&OrderOperation {
            order: started.clone(),
            action: OrderAction::Start,
            at: now,
            reason: None,
        })
        .unwrap();
    let op = |order: &str, action| OrderOperation {
        order: OrderId::new(order),
        action,
        at: now,
        reason: Some("meanwhile".into()),
    };
    let mut meanwhile = Meanwhile {
        other,
        phase: String::new(),
        operations: vec![
            op("SO-NEW", OrderAction::Cancel),
            op("SO-B0004", OrderAction::Complete),
        ],
    };
    let from = now.date_naive();
    let options = JobOptions::new(from, from + chrono::Days::new(7), now);
    let summary = run_main_job(&mut store, &RuleSet::empty(), &options, &mut meanwhile)
        .unwrap_or_else(|e| panic!("the run fails: {e}"));
    assert!(
        matches!(summary.schedule, ScheduleOutcome::Planned { .. }),
        "{:?}",
        summary.schedule
    );
    assert!(
        meanwhile.operations.is_empty(),
        "the operations were recorded"
    );
    let check = |store: &SqliteStore| {
        let model = store.load_model().unwrap();
        let cancelled = model.order(&OrderId::new("SO-NEW")).unwrap();
        assert_eq!(cancelled.status(), OrderStatus::Cancelled);
        assert_eq!(
            cancelled.history.len(),
            1,
            "the plan's `scheduled` was skipped"
        );
        assert_eq!(cancelled.history[0].reason.as_deref(), Some("meanwhile"));
        assert_eq!(
            model.order(&started).unwrap().status(),
            OrderStatus::Completed
        );
        let plans = store.plans().unwrap();
        let newest = plans.iter().max_by_key(|p| p.created_at).unwrap();
        let in_newest = |o: &str| {
            newest
                .plan
                .routes
                .iter()
                .flat_map(|r| &r.visits)
                .any(|v| v.order.as_str() == o)
        };
        assert!(!in_newest("SO-NEW") && !in_newest("SO-B0004"));
        let current = current_plan(&model, &plans).unwrap();
        assert!(current.visit_of(&OrderId::new("SO-NEW")).is_none());
    };
    check(&store);
    // The next run respects them as well.
    let mut quiet = Meanwhile {
        other: SqliteStore::open(&path).unwrap(),
        phase: String::new(),
        operations: vec![],
    };
    let later = JobOptions::new(
        from,
        from + chrono::Days::new(7),
        now + chrono::Duration::hours(1),
    );
    run_main_job(&mut store, &RuleSet::empty(), &later, &mut quiet).unwrap();
    check(&store);
}
