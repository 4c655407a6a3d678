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
    // Rhai 1.27 does not check the map size on `m[k] = v`: the operation budget catches
    // it (~0.5 s in an unoptimised test build, where the wall clock may come first).
    assert!(
        matches!(kind, LimitKind::Operations | LimitKind::Duration),
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
fn deepest_allowed_nesting_does_not_overflow_the_stack() {
    // Recursion to the call-depth limit with expressions nested to the function depth limit
    // at every level, on a test thread's 2 MiB stack.
    let limits = Limits::default();
    let source = |nest: usize| {
        let body = format!("{}n{}", "(".repeat(nest), ")".repeat(nest));
        format!(
            "fn down(n) {{ if n <= 0 {{ 0 }} else {{ {body} + down(n - 1) }} }}\n\
             fn dispatch_policy() {{ down({}) }}",
            limits.max_call_levels + 10
        )
    };
    // The deepest nesting the parser accepts.
    let nest = (1..=limits.max_function_expr_depth)
        .rev()
        .find(|&n| RuleSet::from_sources(&[("deep.rhai", source(n))]).is_ok())
        .expect("some nesting loads");
    let src = source(nest);
    let result = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            // RuleSet is not Send: build it on the thread.
            let rules = one("deep.rhai", &src);
            rules
                .call_hook("dispatch_policy", ())
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
    assert!(result.is_err_and(|e| e.contains("call depth limit")));
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
fn print_does_not_reach_stdout() {
    const CHILD: &str = "FIELDWORK_RULES_PRINT_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let rules = one(
            "p.rhai",
            "fn dispatch_policy() { print(\"MARK\" + \"ER\"); debug(\"MARK\" + \"ER\"); #{} }",
        );
        rules.call_hook("dispatch_policy", ()).expect("ok");
        assert_eq!(rules.log().entries().len(), 2);
        return;
    }
    // Run this very test in a child process, uncaptured, and look at its real output.
    let exe = std::env::current_exe().expect("test executable");
    let out = std::process::Command::new(exe)
        .args(["--exact", "print_does_not_reach_stdout", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert!(
        !stdout.contains("MARKER") && !stderr.contains("MARKER"),
        "{stdout}\n{stderr}"
    );
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

// ---------------------------------------------------------------- domain and shipped rules

mod fixtures {
    use fieldwork::model::{
        BusinessCalendar, Customer, ReturnOrder, ServiceAgreement, ServiceObject, ServiceOrder,
        SkillRequirement, Subscription, Technician,
    };
    use fieldwork::rules::domain::{self, RuleOrder};
    use rhai::Dynamic;

    fn parse<T: serde::de::DeserializeOwned>(json: &str) -> T {
        match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => panic!("fixture does not parse: {e}\n{json}"),
        }
    }

    pub fn customer(tier: &str) -> Customer {
        parse(&format!(
            r#"{{"id":"C-1","name":"Acme","tier":"{tier}","time_zone":"Europe/Berlin",
                "location":{{"lat":52.5,"lon":13.4}},"calendar":"office","territory":"north",
                "excluded_technicians":["T-9"]}}"#
        ))
    }

    pub fn technician(skills: &str) -> Technician {
        parse(&format!(
            r#"{{"id":"T-1","name":"Ada","skills":{skills},"home":{{"lat":52.5,"lon":13.4}},
                "territory":"north","calendar":"office","hourly_cost":"55.50",
                "max_hours_per_day":8.0}}"#
        ))
    }

    pub fn order(priority: &str) -> ServiceOrder {
        parse(&format!(
            r#"{{"id":"SO-1","customer":"C-1","agreement":"A-1","origin":{{"kind":"manual"}},
                "priority":"{priority}","created_at":"2025-03-07T10:00:00Z",
                "preferred_technician":"T-1"}}"#
        ))
    }

    pub fn rule_order(priority: &str) -> Dynamic {
        Dynamic::from(RuleOrder::from_parts(
            order(priority),
            90,
            vec![SkillRequirement {
                skill: "hvac".into(),
                min_level: 2,
            }],
        ))
    }

    pub fn agreement(status: &str) -> ServiceAgreement {
        parse(&format!(
            r#"{{"id":"A-1","customer":"C-1","valid_from":"2024-01-01","status":"{status}",
                "sla_policy":"gold","lines":[{{"id":"L-1","task":"HVAC-INSP",
                "recurrence":{{"rrule":"FREQ=MONTHLY","dtstart":"2024-01-06T09:00:00"}},
                "price":"120.00","priority":"normal"}}]}}"#
        ))
    }

    pub fn object(warranty_end: &str, repairable: bool) -> ServiceObject {
        parse(&format!(
            r#"{{"id":"OBJ-1","customer":"C-1","serial":"SN1","model":"Chiller 9000",
                "warranty_end":"{warranty_end}","repairable":{repairable}}}"#
        ))
    }

    pub fn rma(reason: &str) -> ReturnOrder {
        parse(&format!(
            r#"{{"id":"RMA-1","customer":"C-1","reason_code":"{reason}","status":"received",
                "created_at":"2025-03-07T10:00:00Z","lines":[{{"line":1,
                "service_object":"OBJ-1","item":"CH-9000","quantity":"1","value":"900"}}]}}"#
        ))
    }

    pub fn subscription() -> Subscription {
        parse(
            r#"{"id":"S-1","customer":"C-1","fee":"100.00","currency":"EUR",
                "frequency":"yearly","start":"2022-03-01"}"#,
        )
    }

    pub fn calendar() -> BusinessCalendar {
        let json = r#"{"id":"office","time_zone":"Europe/Berlin",
            "weekly":{"mon":[["08:00","17:00"]],"tue":[["08:00","17:00"]],
                      "wed":[["08:00","17:00"]],"thu":[["08:00","17:00"]],
                      "fri":[["08:00","12:00"],["13:00","17:00"]]},
            "holidays":["2025-03-10"]}"#;
        match BusinessCalendar::from_json(json) {
            Ok(c) => c,
            Err(e) => panic!("calendar fixture: {e}"),
        }
    }

    pub fn dyn_customer(tier: &str) -> Dynamic {
        domain::customer(&customer(tier))
    }
}

fn shipped() -> RuleSet {
    match RuleSet::load_dir(shipped_dir()) {
        Ok(r) => r,
        Err(e) => panic!("shipped rules must load:\n{e}"),
    }
}

fn call(rules: &RuleSet, hook: &str, args: Vec<Dynamic>) -> fieldwork::rules::HookValue {
    match rules.call_hook(hook, args) {
        Ok(Some(v)) => rules.value(hook, v),
        Ok(None) => panic!("hook {hook} not defined"),
        Err(e) => panic!("hook {hook} failed: {e}"),
    }
}

fn field(v: &fieldwork::rules::HookValue, key: &str) -> fieldwork::rules::HookValue {
    match v.field(key) {
        Ok(Some(f)) => f,
        other => panic!("field {key} of {:?}: {other:?}", v.value()),
    }
}

fn num(v: &fieldwork::rules::HookValue, key: &str) -> f64 {
    field(v, key).number().unwrap_or_else(|e| panic!("{e}"))
}

fn text(v: &fieldwork::rules::HookValue, key: &str) -> String {
    field(v, key).string().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn shipped_rules_define_the_documented_hooks() {
    let rules = shipped();
    assert_eq!(
        rules.hook_names(),
        [
            "adjust_occurrence",
            "dispatch_policy",
            "disposition",
            "order_profile",
            "sla_targets",
            "subscription_price",
            "technician_profile"
        ]
    );
}

#[test]
fn shipped_sla_targets() {
    use fieldwork::rules::domain;
    let rules = shipped();
    let agreement = domain::agreement(&fixtures::agreement("active"));
    let args = |prio: &str, tier: &str| {
        vec![
            fixtures::rule_order(prio),
            fixtures::dyn_customer(tier),
            agreement.clone(),
        ]
    };

    let v = call(&rules, "sla_targets", args("critical", "gold"));
    assert_eq!(num(&v, "response_minutes"), 120.0);
    assert_eq!(num(&v, "resolution_minutes"), 480.0);
    assert_eq!(text(&v, "calendar"), "24x7");

    let v = call(&rules, "sla_targets", args("normal", "gold"));
    assert_eq!(num(&v, "response_minutes"), 240.0);
    assert_eq!(text(&v, "resolution"), "next_business_day");
    assert_eq!(text(&v, "calendar"), "business");

    let v = call(&rules, "sla_targets", args("high", "silver"));
    assert_eq!(num(&v, "response_minutes"), 240.0);
    assert_eq!(num(&v, "resolution_minutes"), 1440.0);

    let v = call(&rules, "sla_targets", args("low", "bronze"));
    assert_eq!(num(&v, "response_minutes"), 960.0);
    assert_eq!(num(&v, "resolution_minutes"), 2400.0);

    // No agreement, or an inactive one: () — the built-in table by priority × tier.
    let none = vec![
        fixtures::rule_order("critical"),
        fixtures::dyn_customer("gold"),
        Dynamic::UNIT,
    ];
    assert!(call(&rules, "sla_targets", none).is_unit());
    let ended = vec![
        fixtures::rule_order("critical"),
        fixtures::dyn_customer("gold"),
        domain::agreement(&fixtures::agreement("ended")),
    ];
    assert!(call(&rules, "sla_targets", ended).is_unit());
}

#[test]
fn shipped_adjust_occurrence() {
    // The recurrence engine's contract (rules/README.md, `adjust_occurrence`): the occurrence is
    // a `DateTime`; return it to keep it, another `DateTime` to move it, `()` to skip it.
    use fieldwork::rules::datetime::RuleDateTime;
    use fieldwork::rules::domain;
    let rules = shipped();
    let agreement = fixtures::agreement("active");
    let line = domain::agreement_line(&agreement, &agreement.lines[0], None);
    let cal = domain::calendar(&fixtures::calendar());
    let at = |text: &str| RuleDateTime(text.parse().unwrap_or_else(|e| panic!("{text}: {e}")));
    let adjust = |occ: &str, cal: Dynamic| {
        rules.call_hook(
            "adjust_occurrence",
            vec![Dynamic::from(at(occ)), line.clone(), cal],
        )
    };
    let moved_to = |occ: &str, cal: Dynamic| match adjust(occ, cal) {
        Ok(Some(v)) => v
            .try_cast::<RuleDateTime>()
            .unwrap_or_else(|| panic!("{occ}: not a DateTime")),
        other => panic!("{occ}: {other:?}"),
    };
    // Saturday → Sunday closed → Monday holiday → Tuesday, same time.
    assert_eq!(
        moved_to("2025-03-08T09:00:00", cal.clone()),
        at("2025-03-11T09:00:00")
    );
    // A business day is kept: the occurrence itself comes back.
    assert_eq!(
        moved_to("2025-03-07T09:00:00", cal.clone()),
        at("2025-03-07T09:00:00")
    );
    // No calendar: Monday to Friday are business days.
    assert_eq!(
        moved_to("2025-03-08T09:00:00", Dynamic::UNIT),
        at("2025-03-10T09:00:00")
    );
    // A calendar that is never open: the rule fails (generation reports the line).
    let mut closed = fixtures::calendar();
    closed.weekly = Default::default();
    let err = adjust("2025-03-08T09:00:00", domain::calendar(&closed));
    assert!(err.is_err(), "{err:?}");
}

#[test]
fn shipped_dispatch_hooks() {
    // The shapes are owned by the dispatch engine (rules/README.md, "Dispatch"); its own tests
    // (tests/dispatch_rules.rs) check how they are read. Here: the shipped values.
    use fieldwork::rules::domain;
    let rules = shipped();

    let policy = call(&rules, "dispatch_policy", vec![]);
    let weights = field(&policy, "weights");
    let entries = weights.entries().unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "cost",
            "preferred_technician",
            "skill_fit",
            "sla_urgency",
            "travel",
            "workload_balance"
        ]
    );
    for (_, w) in &entries {
        assert!(w.number_in(0.0, 1000.0).is_ok());
    }
    assert_eq!(num(&field(&policy, "work_rules"), "max_travel_km"), 80.0);
    assert_eq!(num(&field(&policy, "travel"), "average_speed_kmh"), 45.0);

    // Critical work at gold customers needs level 4; critical work may travel 120 km.
    let profile = call(
        &rules,
        "order_profile",
        vec![
            fixtures::rule_order("critical"),
            fixtures::dyn_customer("gold"),
        ],
    );
    let skills = field(&profile, "required_skills");
    assert_eq!(field(&skills, "hvac").int().ok(), Some(4));
    assert_eq!(num(&profile, "max_travel_km"), 120.0);
    let normal = call(
        &rules,
        "order_profile",
        vec![
            fixtures::rule_order("normal"),
            fixtures::dyn_customer("silver"),
        ],
    );
    assert!(normal.is_unit());

    // 30 minutes of overtime; apprentices (no skill above 2) stay within 40 km.
    let senior = domain::technician(&fixtures::technician(r#"{"hvac":4}"#));
    let tp = call(&rules, "technician_profile", vec![senior]);
    assert_eq!(num(&tp, "overtime_minutes"), 30.0);
    assert!(tp.field("max_daily_minutes").ok().flatten().is_none());
    assert!(tp.field("max_travel_km").ok().flatten().is_none());
    let trainee = domain::technician(&fixtures::technician(r#"{"hvac":2}"#));
    let tp = call(&rules, "technician_profile", vec![trainee]);
    assert_eq!(num(&tp, "max_travel_km"), 40.0);
}

#[test]
fn shipped_disposition() {
    use fieldwork::rules::domain;
    let rules = shipped();
    let rma = fixtures::rma("DEFECT");
    let line = domain::return_line(&rma.lines[0]);
    let decide = |rma: &fieldwork::model::ReturnOrder, object: Dynamic| {
        let v = call(
            &rules,
            "disposition",
            vec![domain::return_order(rma), line.clone(), object],
        );
        (text(&v, "action"), text(&v, "reason"))
    };
    let in_warranty = domain::service_object(&fixtures::object("2026-01-31", true));
    assert_eq!(
        decide(&rma, in_warranty),
        ("replace".into(), "under warranty until 2026-01-31".into())
    );
    let repairable = domain::service_object(&fixtures::object("2025-01-31", true));
    assert_eq!(decide(&rma, repairable).0, "repair");
    let broken = domain::service_object(&fixtures::object("2025-01-31", false));
    assert_eq!(decide(&rma, broken).0, "scrap");
    assert_eq!(decide(&rma, Dynamic::UNIT).0, "scrap");
    assert_eq!(
        decide(&fixtures::rma("WRONG-ITEM"), Dynamic::UNIT).0,
        "credit"
    );
    // Every action is a model disposition code.
    for action in ["replace", "repair", "scrap", "credit"] {
        assert!(fieldwork::model::DispositionCode::parse(action).is_some());
    }
}

#[test]
fn shipped_subscription_price() {
    use chrono::NaiveDate;
    use fieldwork::rules::domain;
    let rules = shipped();
    let sub = domain::subscription(&fixtures::subscription());
    let price = |start: &str, end: &str| {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        call(
            &rules,
            "subscription_price",
            vec![sub.clone(), domain::billing_period(d(start), d(end))],
        )
        .decimal()
        .unwrap_or_else(|e| panic!("{e}"))
    };
    // 2022-03-01 start: two full years before 2025-01-01 → 100 × 1.02² = 104.04. The rule
    // does not round: the billing engine rounds half-up to cents.
    let dec = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap_or_default();
    assert_eq!(price("2025-01-01", "2025-12-31"), dec("104.04"));
    assert_eq!(price("2022-03-01", "2022-12-31"), dec("100.00"));
    assert_eq!(price("2023-03-01", "2023-12-31"), dec("102.00"));
}

#[test]
fn example_per_pair_hooks() {
    use fieldwork::rules::domain;
    let rules = match RuleSet::load_dir(shipped_dir().join("examples")) {
        Ok(r) => r,
        Err(e) => panic!("examples must load:\n{e}"),
    };
    assert_eq!(rules.score_objectives(), ["seniority"]);
    let novice = domain::technician(&fixtures::technician(r#"{"hvac":2}"#));
    let expert = domain::technician(&fixtures::technician(r#"{"hvac":5}"#));
    let verdict = |order: Dynamic, tech: Dynamic| {
        let v = call(&rules, "eligible", vec![order, tech]);
        v.bool_or_reason().unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(
        verdict(fixtures::rule_order("critical"), novice.clone()),
        Verdict::No("critical HVAC work needs HVAC level 3, Ada has 2".into())
    );
    assert!(verdict(fixtures::rule_order("critical"), expert.clone()).is_yes());
    assert!(verdict(fixtures::rule_order("normal"), novice).is_yes());
    let score = call(
        &rules,
        "score_seniority",
        vec![fixtures::rule_order("normal"), expert],
    );
    assert_eq!(score.number_in(0.0, 100.0).ok(), Some(100.0));
}

#[test]
fn domain_getters() {
    use fieldwork::rules::domain;
    let rules = one(
        "d.rhai",
        r#"
fn sla_targets(order, customer, agreement) {
    #{
        id: order.id, priority: order.priority, status: order.status,
        created_at: order.created_at, duration: order.duration_minutes,
        skills: order.required_skills, hvac: order.required_level("hvac"),
        none: order.required_level("plumbing"), due: order.due, origin: order.origin,
        customer: customer.id, tier: customer.tier, tz: customer.time_zone,
        excludes: customer.excludes("T-9"), territory: customer.territory,
        agreement: agreement.id, policy: agreement.sla_policy,
        line_price: agreement.lines[0].price, line_task: agreement.lines[0].task,
        text: `${order} ${customer}`,
    }
}
fn technician_profile(tech) {
    #{ hvac: tech.skill_level("hvac"), plumbing: tech.skill_level("plumbing"),
       cost: tech.hourly_cost, active: tech.active, territory: tech.territory,
       cost_type: type_of(tech.hourly_cost), name: tech.name }
}
"#,
    );
    let v = call(
        &rules,
        "sla_targets",
        vec![
            fixtures::rule_order("high"),
            fixtures::dyn_customer("gold"),
            domain::agreement(&fixtures::agreement("active")),
        ],
    );
    assert_eq!(text(&v, "id"), "SO-1");
    assert_eq!(text(&v, "priority"), "high");
    assert_eq!(text(&v, "status"), "created");
    assert_eq!(text(&v, "created_at"), "2025-03-07T10:00:00Z");
    assert_eq!(num(&v, "duration"), 90.0);
    assert_eq!(num(&v, "hvac"), 2.0);
    assert_eq!(num(&v, "none"), 0.0);
    assert!(v.field("due").ok().flatten().is_none());
    assert_eq!(text(&v, "origin"), "manual");
    assert_eq!(text(&v, "tier"), "gold");
    assert_eq!(text(&v, "tz"), "Europe/Berlin");
    assert_eq!(field(&v, "excludes").bool().ok(), Some(true));
    assert_eq!(text(&v, "territory"), "north");
    assert_eq!(text(&v, "policy"), "gold");
    assert_eq!(
        field(&v, "line_price")
            .decimal()
            .ok()
            .map(|d| d.to_string())
            .as_deref(),
        Some("120.00")
    );
    assert_eq!(text(&v, "line_task"), "HVAC-INSP");
    assert_eq!(text(&v, "text"), "ServiceOrder(SO-1) Customer(C-1)");

    let t = call(
        &rules,
        "technician_profile",
        vec![domain::technician(&fixtures::technician(r#"{"hvac":4}"#))],
    );
    assert_eq!(num(&t, "hvac"), 4.0);
    assert_eq!(num(&t, "plumbing"), 0.0);
    assert_eq!(
        field(&t, "cost")
            .decimal()
            .ok()
            .map(|d| d.to_string())
            .as_deref(),
        Some("55.50")
    );
    assert_eq!(text(&t, "cost_type"), "decimal");
    assert_eq!(text(&t, "name"), "Ada");
}

#[test]
fn domain_values_are_read_only() {
    use fieldwork::rules::domain;
    let rules = one(
        "r.rhai",
        "fn technician_profile(tech) { tech.name = \"Eve\"; tech.name }",
    );
    let err = call_err(
        &rules,
        "technician_profile",
        vec![domain::technician(&fixtures::technician("{}"))],
    );
    assert!(matches!(err, RuleError::Runtime { .. }), "{err}");
}

#[test]
fn bad_date_is_a_runtime_error() {
    use fieldwork::rules::domain;
    let rules = one(
        "c.rhai",
        "fn adjust_occurrence(occ, line, cal) {\n  cal.is_business_day(occ)\n}",
    );
    let err = call_err(
        &rules,
        "adjust_occurrence",
        vec![
            "08/03/2025".into(),
            Dynamic::UNIT,
            domain::calendar(&fixtures::calendar()),
        ],
    );
    assert!(
        err.to_string()
            .starts_with("c.rhai:2:7: in hook `adjust_occurrence`"),
        "{err}"
    );
    assert!(err.to_string().contains("not a date"), "{err}");
}

/// A runaway hook is stopped once per run, not once per call: after it exceeds the operation
/// limit, later calls fail at once with `Stopped` (naming the hook's file:line:col and the
/// limit), so a `loop {}` in a per-order hook costs one limit per run, not one per order.
#[test]
fn a_runaway_hook_is_called_once_per_run() {
    let limits = Limits {
        max_operations: 10_000,
        ..Limits::default()
    };
    let rules = RuleSet::from_sources_with(
        &[(
            "sla.rhai",
            "fn sla_targets(o, c, a) {\n    print(\"called\");\n    loop {}\n}",
        )],
        &limits,
    )
    .unwrap();
    let mut errors = Vec::new();
    for _ in 0..50 {
        errors.push(rules.call_hook("sla_targets", ((), (), ())).unwrap_err());
    }
    assert!(
        matches!(errors[0], RuleError::LimitExceeded { .. }),
        "{}",
        errors[0]
    );
    for e in &errors[1..] {
        assert!(matches!(e, RuleError::Stopped { .. }), "{e}");
        assert!(e.is_limit());
        assert_eq!(
            e.to_string(),
            "sla.rhai:1:4: in hook `sla_targets`: not called again this run (an earlier call \
             stopped: operation limit exceeded)"
        );
    }
    // The script ran once: one `print`.
    assert_eq!(rules.log().entries().len(), 1);
    // A script error (not a runaway) does not stop the hook.
    let throwing =
        RuleSet::from_sources(&[("sla.rhai", "fn sla_targets(o, c, a) { throw 1 }")]).unwrap();
    for _ in 0..3 {
        let e = throwing.call_hook("sla_targets", ((), (), ())).unwrap_err();
        assert!(matches!(e, RuleError::Runtime { .. }), "{e}");
    }
}

// ------------------------------------------------ stack bounds (#14 item 1)

/// A rule that builds a chain of `n` closures, each capturing and calling the previous one
/// (`f = |x| g.call(x)`), then calls the last one when `call` is set.
fn closure_chain(n: usize, call: bool) -> String {
    format!(
        "fn sla_targets(order, customer, agreement) {{\n\
         \x20   let f = |x| x;\n\
         \x20   for i in 0..{n} {{\n\
         \x20       let g = f;\n\
         \x20       f = |x| g.call(x);\n\
         \x20   }}\n\
         \x20   {}\n\
         }}\n",
        if call { "f.call(1)" } else { "()" }
    )
}

/// Calls `sla_targets` of `src` on a thread with the stack [`Limits::stack_size`] asks for.
fn call_on_rule_stack(src: String, limits: Limits) -> Result<Option<String>, RuleError> {
    std::thread::Builder::new()
        .stack_size(limits.stack_size())
        .spawn(move || {
            let rules = RuleSet::from_sources_with(&[("chain.rhai", src)], &limits)
                .expect("the chain loads");
            rules
                .call_hook("sla_targets", ((), (), ()))
                .map(|v| v.map(|v| v.type_name().to_string()))
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow")
}

#[test]
fn closure_chain_is_stopped_by_the_call_depth_not_the_stack() {
    // 50,000 nested closures overflowed the 8 MiB main stack when dropped (SIGABRT): on a
    // thread with the documented stack, calling the chain is a located call-depth error.
    let err = call_on_rule_stack(closure_chain(50_000, true), Limits::default())
        .expect_err("the chain is deeper than the call depth limit");
    assert!(
        matches!(
            &err,
            RuleError::LimitExceeded { limit: LimitKind::CallLevels, location, .. }
                if location.to_string() == "chain.rhai:1:4"
        ),
        "{err}"
    );
    // Built but not called, it is a legitimate value, dropped without overflowing.
    let ok = call_on_rule_stack(closure_chain(50_000, false), Limits::default());
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn longest_closure_chain_the_operation_budget_allows_fits_the_documented_stack() {
    // As many levels as the budget allows: stopped by the operation limit, and the chain is
    // dropped on the way out without overflowing `Limits::stack_size()`.
    let limits = Limits {
        max_duration: Duration::from_secs(60),
        ..Limits::default()
    };
    let src = "fn sla_targets(order, customer, agreement) {\n\
               \x20   let f = || 1;\n\
               \x20   loop { let g = f; f = || g; }\n\
               }\n";
    let err = call_on_rule_stack(src.to_string(), limits).expect_err("runs out of operations");
    assert!(
        matches!(
            err,
            RuleError::LimitExceeded {
                limit: LimitKind::Operations,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn stack_size_grows_with_the_operation_budget() {
    let small = Limits {
        max_operations: 1_000,
        ..Limits::default()
    };
    assert!(small.stack_size() < Limits::default().stack_size());
    assert_eq!(
        Limits::default().stack_size(),
        1_000_000 * fieldwork::rules::STACK_BYTES_PER_OPERATION
            + fieldwork::rules::BASE_STACK_BYTES
    );
}
