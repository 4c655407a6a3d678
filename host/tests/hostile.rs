//! The standing hostile corpus: every folder of `tests/hostile/` is one attack (a hostile rule
//! file, a bad input, a command line a careless administrator could type) with the bounds the
//! debug `fieldwork` binary must meet on it: exit code, wall-clock time, peak resident memory of
//! the child process and the shape of its messages. The format of `case.json` is described in
//! `tests/hostile/README.md`; this runner picks up every folder, so adding a case is adding a
//! folder.
//!
//! Time and memory are measured on the child alone: the runner polls `wait4(2)` (which returns the
//! child's `rusage`, whose `ru_maxrss` is its peak RSS) and kills a child that runs far past its
//! bound, so a regression fails the test instead of hanging it. Cases run one after another, so a
//! case's time is not inflated by the others.

use regex::Regex;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The keys `case.json` may have (any other is a typo and fails the case).
const KEYS: &[&str] = &[
    "about",
    "setup",
    "rules",
    "args",
    "stdin",
    "exit",
    "max_seconds",
    "max_rss_mb",
    "stderr_matches",
    "stdout_matches",
];

/// One case of the corpus, as read from its `case.json`.
struct Case {
    name: String,
    dir: PathBuf,
    setup: String,
    rules: Option<String>,
    args: Vec<String>,
    stdin: Option<String>,
    exit: i32,
    max_seconds: f64,
    max_rss_mb: f64,
    stderr_matches: Option<Regex>,
    stdout_matches: Option<Regex>,
}

/// What one run of the binary did.
struct Outcome {
    /// The exit code, or `None` when a signal ended the process (the `String` names it).
    code: Result<i32, String>,
    seconds: f64,
    rss_mb: f64,
    stdout: String,
    stderr: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile")
}

fn load(dir: &Path) -> Result<Case, String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(dir.join("case.json"))
        .map_err(|e| format!("{name}: cannot read case.json: {e}"))?;
    let v: Value =
        serde_json::from_str(&text).map_err(|e| format!("{name}: case.json is not JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{name}: case.json is not an object"))?;
    for key in obj.keys() {
        if !KEYS.contains(&key.as_str()) {
            return Err(format!("{name}: unknown key `{key}` in case.json"));
        }
    }
    let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
    let f = |k: &str| {
        obj.get(k)
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("{name}: `{k}` (a number) is required"))
    };
    let re = |k: &str| -> Result<Option<Regex>, String> {
        s(k).map(|r| Regex::new(&r).map_err(|e| format!("{name}: `{k}` is not a regex: {e}")))
            .transpose()
    };
    if s("about").is_none_or(|a| a.trim().is_empty()) {
        return Err(format!("{name}: `about` is required"));
    }
    let setup = s("setup").ok_or_else(|| format!("{name}: `setup` is required"))?;
    if setup != "demo-db" && setup != "none" {
        return Err(format!(
            "{name}: setup `{setup}` is neither `demo-db` nor `none`"
        ));
    }
    let args = obj
        .get("args")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{name}: `args` (an array) is required"))?
        .iter()
        .map(|a| {
            a.as_str()
                .map(|a| a.replace("{case}", &dir.to_string_lossy()))
                .ok_or_else(|| format!("{name}: every arg must be a string"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let exit = obj
        .get("exit")
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("{name}: `exit` (an integer) is required"))? as i32;
    Ok(Case {
        dir: dir.to_path_buf(),
        setup,
        rules: s("rules"),
        args,
        stdin: s("stdin"),
        exit,
        max_seconds: f("max_seconds")?,
        max_rss_mb: f("max_rss_mb")?,
        stderr_matches: re("stderr_matches")?,
        stdout_matches: re("stdout_matches")?,
        name,
    })
}

/// A database with the demo dataset (anchor 2027-03-01) imported and not yet run, made once per
/// test process; each case gets its own copy.
fn base_db() -> &'static Path {
    static BASE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &BASE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let run = |args: &[&str]| {
                let out = Command::new(env!("CARGO_BIN_EXE_fieldwork"))
                    .args(args)
                    .current_dir(dir.path())
                    .env_remove("FIELDWORK_DB")
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{args:?}: {out:?}");
            };
            run(&[
                "demo-data",
                "--anchor",
                "2027-03-01",
                "--out",
                "demo.json",
                "--quiet",
            ]);
            run(&["import", "--db", "base.db", "demo.json", "--quiet"]);
            let db = dir.path().join("base.db");
            (dir, db)
        })
        .1
}

/// Runs the binary for `case` in a fresh directory and measures it.
// The child is reaped by `wait4` (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run(case: &Case) -> Outcome {
    let work = tempfile::tempdir().unwrap();
    let mut args = case.args.clone();
    if case.setup == "demo-db" {
        let db = work.path().join("d.db");
        std::fs::copy(base_db(), &db).unwrap();
        args.push("--db".into());
        args.push(db.to_string_lossy().into_owned());
    }
    if let Some(rules) = &case.rules {
        args.push("--rules".into());
        args.push(case.dir.join(rules).to_string_lossy().into_owned());
    }
    let stdin = case
        .stdin
        .as_ref()
        .map(|f| std::fs::read(case.dir.join(f)).unwrap());
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldwork"))
        .args(&args)
        .current_dir(work.path())
        .env_remove("FIELDWORK_DB")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let feeder = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            // The child may stop reading early (that is allowed): ignore a broken pipe.
            let _ = pipe.write_all(&bytes);
        })
    });
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    // A child far past its bound is killed so that the test fails instead of hanging.
    let kill_after = Duration::from_secs_f64((case.max_seconds * 5.0).max(20.0));
    let pid = child.id() as libc::pid_t;
    let (status, usage, seconds) = loop {
        let mut status = 0;
        // SAFETY: `rusage` is plain data; zeroed is a valid value for it.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our own child, not yet reaped (std never waits for it: we don't call
        // `Child::wait`); the pointers are to live locals.
        let got = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        let seconds = started.elapsed().as_secs_f64();
        if got == pid {
            break (status, usage, seconds);
        }
        assert!(got == 0, "wait4 failed for {}", case.name);
        if started.elapsed() > kill_after {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let code = if libc::WIFEXITED(status) {
        Ok(libc::WEXITSTATUS(status))
    } else {
        Err(format!("killed by signal {}", libc::WTERMSIG(status)))
    };
    Outcome {
        code,
        seconds,
        // Linux reports ru_maxrss in KiB.
        rss_mb: usage.ru_maxrss as f64 / 1024.0,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// What `case` exceeded or got wrong, if anything.
fn judge(case: &Case, o: &Outcome) -> Vec<String> {
    let mut bad = Vec::new();
    match &o.code {
        Ok(code) if *code == case.exit => {}
        Ok(code) => bad.push(format!("exit {code}, expected {}", case.exit)),
        Err(signal) => bad.push(format!("{signal}, expected exit {}", case.exit)),
    }
    if o.seconds > case.max_seconds {
        bad.push(format!(
            "took {:.2} s, bound {} s",
            o.seconds, case.max_seconds
        ));
    }
    if o.rss_mb > case.max_rss_mb {
        bad.push(format!(
            "peak RSS {:.0} MB, bound {} MB",
            o.rss_mb, case.max_rss_mb
        ));
    }
    if let Some(re) = &case.stderr_matches {
        if !re.is_match(&o.stderr) {
            bad.push(format!("stderr does not match /{re}/"));
        }
    }
    if let Some(re) = &case.stdout_matches {
        if !re.is_match(&o.stdout) {
            bad.push(format!("stdout does not match /{re}/"));
        }
    }
    bad
}

fn truncated(s: &str) -> String {
    let s: String = s.chars().take(800).collect();
    s.trim_end().to_owned()
}

#[test]
fn every_hostile_case_meets_its_bounds() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 20, "the corpus has only {} cases", dirs.len());
    let mut failures = Vec::new();
    for dir in &dirs {
        let case = match load(dir) {
            Ok(case) => case,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let o = run(&case);
        let code = match &o.code {
            Ok(c) => c.to_string(),
            Err(s) => s.clone(),
        };
        println!(
            "{:<40} exit {:<3} {:>6.2} s {:>6.0} MB",
            case.name, code, o.seconds, o.rss_mb
        );
        let bad = judge(&case, &o);
        if !bad.is_empty() {
            failures.push(format!(
                "{}: {}\n  stdout: {}\n  stderr: {}",
                case.name,
                bad.join("; "),
                truncated(&o.stdout),
                truncated(&o.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile case(s) failed:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}

/// The runner itself can fail: a case whose bounds are wrong is reported with its name.
#[test]
fn the_runner_reports_a_broken_bound_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("too-strict");
    std::fs::create_dir(&case).unwrap();
    std::fs::write(
        case.join("case.json"),
        r#"{"about": "a self-test", "setup": "none", "args": ["recur", "--tz", "Europe/Berlin",
            "--rrule", "FREQ=DAILY", "--dtstart", "2027-01-01T09:00:00", "--from", "2027-01-01",
            "--to", "2027-01-03"], "exit": 1, "max_seconds": 0.0, "max_rss_mb": 0.001,
            "stdout_matches": "never"}"#,
    )
    .unwrap();
    let c = load(&case).unwrap();
    let o = run(&c);
    let bad = judge(&c, &o).join("; ");
    assert!(bad.contains("exit 0, expected 1"), "{bad}");
    assert!(bad.contains("bound 0 s"), "{bad}");
    assert!(bad.contains("peak RSS"), "{bad}");
    assert!(bad.contains("stdout does not match"), "{bad}");
    std::fs::write(
        case.join("case.json"),
        r#"{"about": "x", "setup": "none", "args": [], "exit": 1, "max_seconds": 1,
            "max_rss_mb": 1, "typo": 1}"#,
    )
    .unwrap();
    assert!(load(&case).err().unwrap().contains("unknown key `typo`"));
}
