//! `fieldwork::job::check_rules_dir` and `probe_rules`: the check runs the hooks on sample
//! data and validates what they return with the engines' own validation (#14 item 8).

use fieldwork::job::{check_rules_dir, probe_rules};
use fieldwork::rules::RuleSet;

fn probe(name: &str, src: &str) -> Vec<String> {
    let rules = RuleSet::from_sources(&[(name, src)]).unwrap_or_else(|e| panic!("{e}"));
    probe_rules(&rules)
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_misspelt_weight_is_caught_by_the_check() {
    // Passed the static check and failed on the first run before.
    let found = probe(
        "dispatch.rhai",
        "// policy\nfn dispatch_policy() {\n    #{ weights: #{ travle: 2.0 } }\n}\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("dispatch.rhai:2:4: on the sample data: "),
        "{}",
        found[0]
    );
    assert!(found[0].contains("weights.travle"), "{}", found[0]);
}

#[test]
fn per_item_hooks_are_called_once_on_a_sample_item() {
    let found = probe(
        "sla.rhai",
        "fn sla_targets(order, customer, agreement) {\n    #{ calendar: \"berln\" }\n}\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("sla.rhai:1:4: "), "{}", found[0]);
    assert!(found[0].contains("berln"), "{}", found[0]);

    let found = probe(
        "billing.rhai",
        "fn subscription_price(subscription, period) {\n    -1\n}\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("a price of at least 0"), "{}", found[0]);

    let found = probe(
        "rma.rhai",
        "fn disposition(rma, line, object) {\n    \"recycle\"\n}\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("rma.rhai:"), "{}", found[0]);

    let found = probe(
        "recurrence.rhai",
        "fn adjust_occurrence(occurrence, line, calendar) {\n    42\n}\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("recurrence.rhai:1:4: "),
        "{}",
        found[0]
    );

    let found = probe(
        "dispatch.rhai",
        "fn technician_profile(tech) {\n    #{ max_jobs_per_day: -3 }\n}\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("max_jobs_per_day"), "{}", found[0]);
}

#[test]
fn a_runtime_error_is_located_where_it_happens() {
    let found = probe(
        "sla.rhai",
        "fn helper(o) {\n    o.no_such_field.len()\n}\nfn sla_targets(order, customer, agreement) {\n    helper(order)\n}\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("sla.rhai:2:"), "{}", found[0]);
}

#[test]
fn the_shipped_rules_pass_the_check() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let found = check_rules_dir(&dir);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_directory_that_does_not_load_is_not_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("a.rhai"),
        "fn dispatch_policy() {\n    let x = ;\n}\n\nfn sla_targets(o, c, a) {\n    1 +* 2\n}\n",
    )
    .expect("write");
    let found: Vec<String> = check_rules_dir(dir.path())
        .iter()
        .map(ToString::to_string)
        .collect();
    // Both syntax errors, nothing from running.
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found.iter().all(|f| f.contains("syntax error")),
        "{found:?}"
    );
}
