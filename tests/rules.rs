//! Integration tests of the sandboxed rule runtime: loading, error positions, sandbox
//! limits, hooks and the shipped rules.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fieldwork::rules::{
    check_dir, LimitKind, Limits, Location, RuleError, RuleLoadError, RuleSet, Severity, Verdict,
};
use rhai::{Dynamic, Map};

fn one(name: &str, src: &str) -> RuleSet {
    match RuleSet::from_sources(&[(name, src)]) {
        Ok(rules) => rules,
        Err(e) => panic!("rules should load:\n{e}"),
    }
}

fn load_err(src: &str) -> Vec<RuleLoadError> {
    match RuleSet::from_sources(&[("t.rhai", src)]) {
        Ok(_) => panic!("rules should not load"),
        Err(e) => e.0,
    }
}

fn call_err(rules: &RuleSet, hook: &str, args: Vec<Dynamic>) -> RuleError {
    match rules.call_hook(hook, args) {
        Ok(v) => panic!("hook {hook} should fail, returned {v:?}"),
        Err(e) => e,
    }
}

/// Calls a hook that must fail on a limit, checking it stops within `max`.
fn limit_err(src: &str, max: Duration) -> LimitKind {
    let rules = one("bomb.rhai", src);
    let start = Instant::now();
    let err = call_err(&rules, "dispatch_policy", vec![]);
    let took = start.elapsed();
    assert!(took < max, "took {took:?}: {err}");
    match err {
        RuleError::LimitExceeded {
            limit, location, ..
        } => {
            assert_eq!(location.path, PathBuf::from("bomb.rhai"));
            limit
        }
        other => panic!("expected a limit error, got {other}"),
    }
}

// ---------------------------------------------------------------- loading

#[test]
fn load_dir_loads_sorted_rhai_files_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("b.rhai"), "fn dispatch_policy() { #{} }").expect("write");
    std::fs::write(dir.path().join("a.rhai"), "fn helper() { 1 }").expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not rhai (").expect("write");
    let rules = RuleSet::load_dir(dir.path()).expect("loads");
    let names: Vec<_> = rules
        .files()
        .iter()
        .map(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(names, ["a.rhai", "b.rhai"]);
    assert!(rules.has_hook("dispatch_policy"));
    assert!(!rules.has_hook("helper"));
    assert_eq!(rules.hook_names(), ["dispatch_policy"]);
}

#[test]
fn load_dir_reports_all_problems_of_all_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.rhai"), "fn eligible(order) { true }").expect("write");
    std::fs::write(dir.path().join("b.rhai"), "fn x() {\n  let = 1;\n}").expect("write");
    std::fs::write(
        dir.path().join("c.rhai"),
        "fn sla_targets(o, c, a) { () }\nlet stray = 1;",
    )
    .expect("write");
    let errors = RuleSet::load_dir(dir.path()).expect_err("must fail");
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 3, "{lines:#?}");
    let a = dir.path().join("a.rhai");
    let b = dir.path().join("b.rhai");
    let c = dir.path().join("c.rhai");
    assert!(lines[0].starts_with(&format!("{}:1:4: hook `eligible` must take 2", a.display())));
    assert!(lines[1].starts_with(&format!("{}:2:7: syntax error:", b.display())));
    assert_eq!(
        lines[2],
        format!(
            "{}:2:1: only `fn` definitions and `const` declarations are allowed at the top level of a rule file",
            c.display()
        )
    );
}

#[test]
fn missing_dir_is_an_io_error() {
    let errors = RuleSet::load_dir("/nonexistent/rules").expect_err("must fail");
    assert!(matches!(errors[0], RuleLoadError::Io { .. }));
    assert!(errors
        .to_string()
        .starts_with("/nonexistent/rules: cannot read"));
}

#[test]
fn empty_rule_set_has_no_hooks() {
    let rules = RuleSet::empty();
    assert!(rules.hook_names().is_empty());
    assert!(matches!(rules.call_hook("dispatch_policy", ()), Ok(None)));
}

#[test]
fn syntax_error_position_is_exact() {
    let errors = load_err("fn dispatch_policy() {\n    let x = 1 +;\n}\n");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].location(), &Location::new("t.rhai", 2, 16));
    assert_eq!(
        errors[0].to_string(),
        "t.rhai:2:16: syntax error: Unexpected ';'"
    );
}

#[test]
fn hook_defined_twice_names_both_files() {
    let errors = RuleSet::from_sources(&[
        ("one.rhai", "fn dispatch_policy() { #{} }"),
        ("two.rhai", "\n\nfn dispatch_policy() { #{} }"),
    ])
    .expect_err("must fail");
    assert_eq!(
        errors.to_string(),
        "two.rhai:3:4: hook `dispatch_policy` is also defined at one.rhai:1:4"
    );
}

#[test]
fn helpers_are_per_file_and_unknown_functions_allowed() {
    let rules = RuleSet::from_sources(&[
        (
            "a.rhai",
            "fn w() { 1 }\nfn dispatch_policy() { #{ a: w() } }",
        ),
        (
            "b.rhai",
            "fn w() { 2 }\nfn order_profile(o, c) { #{ b: w() } }",
        ),
    ])
    .expect("loads");
    let a = rules
        .call_hook("dispatch_policy", ())
        .expect("ok")
        .expect("defined");
    let b = rules
        .call_hook("order_profile", ((), ()))
        .expect("ok")
        .expect("defined");
    assert_eq!(a.to_string(), "#{\"a\": 1}");
    assert_eq!(b.to_string(), "#{\"b\": 2}");
}

#[test]
fn wrong_arity_is_a_load_error_with_position() {
    let errors = load_err("// policy\n  fn  score_travel(order) { 1 }\n");
    assert_eq!(
        errors[0].to_string(),
        "t.rhai:2:7: hook `score_travel` must take 2 parameter(s) (score_<name>(order, tech)), found 1"
    );
}

#[test]
fn constants_are_visible_in_functions_of_all_files() {
    let rules = RuleSet::from_sources(&[
        ("a.rhai", "const RATE = 2;\nconst TIERS = #{ gold: 4 };"),
        (
            "b.rhai",
            "fn order_profile(o, tier) { #{ h: TIERS[tier] * RATE, l: [1, 2].map(|x| x * RATE) } }\n\
             fn technician_profile(RATE) { RATE }",
        ),
    ])
    .expect("loads");
    let v = rules
        .call_hook("order_profile", ((), "gold"))
        .expect("ok")
        .expect("defined");
    assert_eq!(v.to_string(), "#{\"h\": 8, \"l\": [2, 4]}");
    // A parameter shadows a constant of the same name.
    let v = rules
        .call_hook("technician_profile", (7_i64,))
        .expect("ok")
        .expect("defined");
    assert_eq!(v.as_int().ok(), Some(7));
}

#[test]
fn constants_must_be_literal_and_unique() {
    let errors = load_err("const A = 1;\nconst B = A + len(\"x\");\nconst A = 2;");
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].starts_with("t.rhai:2:1: constant `B` must have a literal value"));
    assert_eq!(
        lines[1],
        "t.rhai:3:1: constant `A` is also declared at t.rhai:1:1"
    );
}

#[test]
fn top_level_runs_never() {
    // Only declarations are allowed, so nothing can run at load or at call time.
    let errors = load_err("print(\"hello\");\nfn dispatch_policy() { #{} }");
    assert!(matches!(errors[0], RuleLoadError::TopLevelStatement { .. }));
}

// ---------------------------------------------------------------- calling

#[test]
fn missing_hook_is_none() {
    let rules = one("a.rhai", "fn helper() { 1 }");
    assert!(matches!(rules.call_hook("eligible", ((), ())), Ok(None)));
    assert!(matches!(
        rules.call_hook("score_travel", ((), ())),
        Ok(None)
    ));
}

#[test]
fn host_mistakes_are_reported_even_for_absent_hooks() {
    let rules = RuleSet::empty();
    assert!(matches!(
        rules.call_hook("eligible", ((),)),
        Err(RuleError::ArgumentCount {
            expected: 2,
            found: 1,
            ..
        })
    ));
    assert!(matches!(
        rules.call_hook("helper", ()),
        Err(RuleError::UnknownHook { .. })
    ));
}

#[test]
fn runtime_error_position_inside_nested_function() {
    let src = "fn inner(x) {\n    let m = #{};\n    x + m.missing.len()\n}\n\
               fn outer(x) { inner(x) }\n\
               fn dispatch_policy() {\n    outer(1)\n}";
    let rules = one("pos.rhai", src);
    let err = call_err(&rules, "dispatch_policy", vec![]);
    match &err {
        RuleError::Runtime {
            hook,
            location,
            call_chain,
            ..
        } => {
            assert_eq!(hook, "dispatch_policy");
            assert_eq!(location, &Location::new("pos.rhai", 3, 19));
            assert_eq!(call_chain, &["outer".to_string(), "inner".to_string()]);
        }
        other => panic!("expected runtime error, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("pos.rhai:3:19: in hook `dispatch_policy` (via outer → inner): "),
        "{err}"
    );
}

#[test]
fn throw_is_a_runtime_error_at_the_throw() {
    let rules = one(
        "t.rhai",
        "fn dispatch_policy() {\n  throw \"no policy today\";\n}",
    );
    let err = call_err(&rules, "dispatch_policy", vec![]);
    assert_eq!(
        err.to_string(),
        "t.rhai:2:3: in hook `dispatch_policy`: Runtime error: no policy today"
    );
}

#[test]
fn wrong_return_type_is_clear() {
    let rules = one("s.rhai", "fn score_travel(order, tech) {\n  \"far\"\n}");
    let v = rules
        .call_hook("score_travel", ((), ()))
        .expect("ok")
        .expect("defined");
    let err = rules
        .expect_number("score_travel", v)
        .expect_err("not a number");
    assert_eq!(
        err.to_string(),
        "s.rhai:1:4: hook `score_travel` returned string \"far\", expected number"
    );
    assert!(matches!(err, RuleError::WrongReturnType { .. }));
}

#[test]
fn bool_or_reason() {
    let rules = one(
        "e.rhai",
        "fn eligible(order, tech) { if order == 1 { true } else { `busy with ${order}` } }",
    );
    let yes = rules
        .call_hook("eligible", (1_i64, ()))
        .expect("ok")
        .expect("defined");
    assert_eq!(
        rules.expect_bool_or_reason("eligible", yes).ok(),
        Some(Verdict::Yes)
    );
    let no = rules
        .call_hook("eligible", (2_i64, ()))
        .expect("ok")
        .expect("defined");
    assert_eq!(
        rules.expect_bool_or_reason("eligible", no).ok(),
        Some(Verdict::No("busy with 2".into()))
    );
}

#[test]
fn decimals_work() {
    let rules = one(
        "b.rhai",
        "fn subscription_price(sub, period) { sub * parse_decimal(\"1.02\") }",
    );
    let price = rust_decimal::Decimal::new(10000, 2);
    let v = rules
        .call_hook("subscription_price", (price, ()))
        .expect("ok")
        .expect("defined");
    assert_eq!(
        rules.expect_decimal("subscription_price", v).ok(),
        Some(rust_decimal::Decimal::new(10200, 2))
    );
}

#[test]
fn calls_do_not_share_state() {
    let rules = one("a.rhai", "fn dispatch_policy() { let x = 1; x += 1; x }");
    for _ in 0..3 {
        let v = rules
            .call_hook("dispatch_policy", ())
            .expect("ok")
            .expect("defined");
        assert_eq!(v.as_int().ok(), Some(2));
    }
}

// ---------------------------------------------------------------- sandbox

#[test]
fn infinite_loop_stops_within_a_second() {
    let kind = limit_err("fn dispatch_policy() { loop { } }", Duration::from_secs(1));
    assert_eq!(kind, LimitKind::Operations);
    let kind = limit_err(
        "fn dispatch_policy() { let i = 0; while true { i += 1; } }",
        Duration::from_secs(1),
    );
    assert_eq!(kind, LimitKind::Operations);
}

#[test]
fn wall_clock_backstop() {
    let limits = Limits {
        max_operations: u64::MAX,
        max_duration: Duration::from_millis(100),
        ..Limits::default()
    };
    let rules =
        RuleSet::from_sources_with(&[("t.rhai", "fn dispatch_policy() { loop {} }")], &limits)
            .expect("loads");
    let start = Instant::now();
    let err = call_err(&rules, "dispatch_policy", vec![]);
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(
        matches!(
            err,
            RuleError::LimitExceeded {
                limit: LimitKind::Duration,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "t.rhai:1:4: in hook `dispatch_policy`: time limit exceeded"
    );
    // The deadline does not leak into the next call.
    let ok = RuleSet::from_sources_with(&[("t.rhai", "fn dispatch_policy() { 1 }")], &limits)
        .expect("loads");
    assert!(ok.call_hook("dispatch_policy", ()).is_ok());
}

#[test]
fn string_doubling_bomb() {
    let kind = limit_err(
        "fn dispatch_policy() { let s = \"xxxxxxxx\"; loop { s += s; } }",
        Duration::from_secs(1),
    );
    assert!(matches!(kind, LimitKind::DataSize(_)), "{kind:?}");
}

#[test]
fn array_growth_bomb() {
    let kind = limit_err(
        "fn dispatch_policy() { let a = []; loop { a.push(1); } }",
        Duration::from_secs(1),
    );
    assert!(matches!(kind, LimitKind::DataSize(_)), "{kind:?}");
    let kind = limit_err(
        "fn dispatch_policy() { let a = [1]; loop { a += a; } }",
        Duration::from_secs(1),
    );
    assert!(matches!(kind, LimitKind::DataSize(_)), "{kind:?}");
    let kind = limit_err(
        "fn dispatch_policy() { let a = []; a.pad(1000000000, 0); a }",
        Duration::from_secs(1),
    );
    assert!(matches!(kind, LimitKind::DataSize(_)), "{kind:?}");
}

#[test]
fn map_insertion_bomb_is_stopped_by_the_operation_budget() {
    let kind = limit_err(
        "fn dispatch_policy() { let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; } }",
        Duration::from_secs(1),
    );
    // Rhai 1.27 does not check the map size on `m[k] = v`: the budget must catch it.
    assert!(
        matches!(kind, LimitKind::Operations | LimitKind::DataSize(_)),
        "{kind:?}"
    );
}

#[test]
fn deep_recursion_is_stopped() {
    let kind = limit_err(
        "fn down(n) { down(n + 1) }\nfn dispatch_policy() { down(0) }",
        Duration::from_secs(1),
    );
    assert_eq!(kind, LimitKind::CallLevels);
    // Recursion within the limit works.
    let rules = one(
        "f.rhai",
        "fn fact(n) { if n <= 1 { 1 } else { n * fact(n - 1) } }\nfn dispatch_policy() { fact(20) }",
    );
    let v = rules
        .call_hook("dispatch_policy", ())
        .expect("ok")
        .expect("defined");
    assert_eq!(v.as_int().ok(), Some(2_432_902_008_176_640_000));
}

#[test]
fn deeply_nested_expression_is_a_load_error() {
    let depth = 10_000;
    let src = format!(
        "fn dispatch_policy() {{ {}1{} }}",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let errors = load_err(&src);
    assert!(
        matches!(errors[0], RuleLoadError::Syntax { .. }),
        "{errors:?}"
    );
}

#[test]
fn import_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("evil.rhai"), "fn x() { 1 }").expect("write");
    let src = format!(
        "fn dispatch_policy() {{ import \"{}\" as m; m::x() }}",
        dir.path().join("evil").display()
    );
    let rules = one("i.rhai", &src);
    let err = call_err(&rules, "dispatch_policy", vec![]);
    assert!(
        matches!(
            err,
            RuleError::LimitExceeded {
                limit: LimitKind::Modules,
                ..
            }
        ),
        "{err}"
    );
    // At the top level, `import` is a top-level statement.
    let errors = load_err("import \"x\" as m;\nfn dispatch_policy() { 1 }");
    assert!(matches!(errors[0], RuleLoadError::TopLevelStatement { .. }));
}

#[test]
fn eval_is_refused() {
    let errors = load_err("fn dispatch_policy() { eval(\"1 + 1\") }");
    assert!(
        matches!(errors[0], RuleLoadError::Syntax { .. }),
        "{errors:?}"
    );
    // Not even through a function pointer.
    let rules = one(
        "e.rhai",
        "fn dispatch_policy() { let f = Fn(\"eval\"); f.call(\"1 + 1\") }",
    );
    assert!(rules.call_hook("dispatch_policy", ()).is_err());
}

#[test]
fn sleep_and_other_host_functions_are_absent() {
    for src in [
        "fn dispatch_policy() { sleep(100) }",
        "fn dispatch_policy() { timestamp() }",
        "fn dispatch_policy() { exit(1) }",
        "fn dispatch_policy() { parse_json(\"{}\") }",
    ] {
        let rules = one("s.rhai", src);
        let start = Instant::now();
        let err = call_err(&rules, "dispatch_policy", vec![]);
        assert!(start.elapsed() < Duration::from_millis(500));
        assert!(
            err.to_string().contains("Function not found"),
            "{src}: {err}"
        );
    }
}

#[test]
fn print_and_debug_go_to_the_log() {
    let rules = one(
        "p.rhai",
        "fn dispatch_policy() {\n  print(\"to the log\");\n  debug(42);\n  #{}\n}",
    );
    rules.call_hook("dispatch_policy", ()).expect("ok");
    let log = rules.log().take();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].text, "to the log");
    assert_eq!(log[1].text, "42");
    assert_eq!(log[1].line, Some(3));
    assert!(rules.log().entries().is_empty());
}

#[test]
fn log_is_bounded() {
    let limits = Limits {
        max_log_entries: 10,
        ..Limits::default()
    };
    let rules = RuleSet::from_sources_with(
        &[(
            "p.rhai",
            "fn dispatch_policy() { for i in 0..100 { print(i); } }",
        )],
        &limits,
    )
    .expect("loads");
    rules.call_hook("dispatch_policy", ()).expect("ok");
    assert_eq!(rules.log().entries().len(), 10);
    assert_eq!(rules.log().dropped(), 90);
}

#[test]
fn limit_errors_cannot_be_caught_by_scripts() {
    let kind = limit_err(
        "fn dispatch_policy() { try { loop {} } catch (e) { 1 } }",
        Duration::from_secs(1),
    );
    assert_eq!(kind, LimitKind::Operations);
}

// ---------------------------------------------------------------- check

#[test]
fn check_dir_prints_path_line_col() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("a.rhai"),
        "fn eligble(order, tech) { true }\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("b.rhai"),
        "fn disposition(rma) { \"scrap\" }\n",
    )
    .expect("write");
    let d = check_dir(dir.path());
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(d[0].severity, Severity::Warning);
    assert!(d[0].to_string().starts_with(&format!(
        "{}:1:4: warning: `eligble` is not a hook",
        dir.path().join("a.rhai").display()
    )));
    assert_eq!(
        d[1].to_string(),
        format!(
            "{}:1:4: hook `disposition` must take 3 parameter(s) (disposition(rma, line, object)), found 1",
            dir.path().join("b.rhai").display()
        )
    );
}

#[test]
fn check_dir_on_shipped_rules_is_clean() {
    let d = check_dir(shipped_dir());
    assert!(d.is_empty(), "{d:#?}");
}

fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

#[test]
fn map_helper_types() {
    let mut m = Map::new();
    m.insert("a".into(), 1_i64.into());
    let rules = one("m.rhai", "fn order_profile(o, c) { o }");
    let v = rules
        .call_hook("order_profile", (m, ()))
        .expect("ok")
        .expect("defined");
    let map = rules.expect_map("order_profile", v).expect("map");
    assert_eq!(map.len(), 1);
}
