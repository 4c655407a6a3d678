//! The rule sandbox's stack and memory bounds through the `fieldwork` binary (#14 items 1, 3
//! and 8), with the rule files of the hostile corpus (`tests/hostile/`).

mod support;

use std::path::{Path, PathBuf};

use support::{demo_db, fieldwork, stderr, stdout};

fn case_rules(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/hostile")
        .join(case)
        .join("rules")
}

fn rules_arg(case: &str) -> String {
    case_rules(case).to_string_lossy().into_owned()
}

#[test]
fn a_closure_chain_is_a_located_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_db(dir.path());
    let rules = rules_arg("rule-closure-chain-sla-report");
    for args in [
        vec!["sla", "report", "--db", "d.db", "--rules", &rules],
        vec!["run", "--db", "d.db", "--rules", &rules],
    ] {
        let out = fieldwork(dir.path(), &args);
        let err = stderr(&out);
        // Was SIGABRT (exit 134): "thread 'main' has overflowed its stack".
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("sla.rhai:4:4: in hook `sla_targets`: call depth limit exceeded"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_map_insertion_bomb_is_stopped_by_the_memory_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_db(dir.path());
    let rules = rules_arg("rule-map-memory-sla-report");
    let out = fieldwork(
        dir.path(),
        &["sla", "report", "--db", "d.db", "--rules", &rules],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "sla.rhai:4:4: in hook `sla_targets`: memory limit exceeded (more than 256 MiB"
        ),
        "{err}"
    );
}

#[test]
fn check_runs_the_hooks_on_sample_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = rules_arg("check-misspelt-weight");
    let out = fieldwork(dir.path(), &["check", &rules]);
    // Passed before (exit 0) and failed on the first run.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "dispatch.rhai:3:4: on the sample data: hook `dispatch_policy`: `weights.travle`"
        ),
        "{text}"
    );
    // Every recoverable syntax error, not only the first.
    std::fs::write(
        dir.path().join("a.rhai"),
        "fn dispatch_policy() {\n    let x = ;\n}\n\nfn sla_targets(o, c, a) {\n    1 +* 2\n}\n",
    )
    .expect("write");
    let out = fieldwork(dir.path(), &["check", "."]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("a.rhai:2:13: syntax error"), "{text}");
    assert!(text.contains("a.rhai:6:8: syntax error"), "{text}");
}
