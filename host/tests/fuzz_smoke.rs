//! The stable fuzz driver run by CI: for each target of `fieldwork_host::fuzzing`, replay the
//! committed corpus (`fuzz/corpus/<target>/`: seeds and every input that once failed), then mutate
//! it with the crate's `SplitMix64` for a time budget, asserting that no input panics and that
//! each one finishes within a bound.
//!
//! - `FIELDWORK_FUZZ_SECONDS` (default 12): the mutation budget per target, in seconds (0 only
//!   replays the corpus). Five targets run in parallel test threads.
//! - `FIELDWORK_FUZZ_SEED` (default: fixed per target): the generator's seed; a failure prints the
//!   seed and the input, and writes the input to `target/fuzz-failures/<target>-<n>`, to be
//!   added to the corpus once fixed.
//!
//! Long runs: `FIELDWORK_FUZZ_SECONDS=600 cargo test -p fieldwork-host --test fuzz_smoke
//! --release`, or cargo-fuzz in `fuzz/` (see the README's "Reliability").

use fieldwork::random::SplitMix64;
use fieldwork_host::fuzzing::TARGETS;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Largest mutated input, in bytes.
const MAX_INPUT: usize = 64 * 1024;

/// Tokens spliced into inputs: syntax of JSON, RRULE and Rhai, extreme numbers and dates.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "null",
    "true",
    "-",
    "0",
    "-1",
    "1e309",
    "9223372036854775807",
    "-9223372036854775808",
    "153722867280913",
    "18446744073709551616",
    "0000-01-01",
    "9999-12-31",
    "2027-03-28T02:30:00",
    "1900-01-01T00:00:00Z",
    "2199-12-31T23:59:59Z",
    "24:00",
    "00:00",
    "23:59",
    "\"Europe/Berlin\"",
    "\"UTC\"",
    "Pacific/Kiritimati",
    "FREQ=",
    "SECONDLY",
    "MINUTELY",
    "HOURLY",
    "DAILY",
    "WEEKLY",
    "MONTHLY",
    "YEARLY",
    ";",
    "=",
    "INTERVAL=",
    "COUNT=",
    "UNTIL=",
    "BYDAY=",
    "BYMONTHDAY=",
    "BYSETPOS=",
    "BYWEEKNO=",
    "BYYEARDAY=",
    "BYHOUR=",
    "-53MO",
    "366",
    "RRULE:",
    "\n",
    "\r",
    "\u{0}",
    "\u{202e}",
    "é",
    "loop {}",
    "while true {}",
    "fn ",
    "let ",
    "#{",
    "[a]",
    "+=",
    "..",
    "for i in 0..",
    "1000000000",
    ".pad(",
    "call(",
    "Fn(\"",
    "eval",
    "import ",
    "throw ",
    "return ",
    "this",
    "}}}}",
    "((((",
    "\"minutes\":",
    "\"start\":",
];

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// One to four random edits of `input`, sometimes spliced with `other`.
fn mutate(rng: &mut SplitMix64, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(8) {
            0 if !v.is_empty() => {
                let i = at.min(v.len() - 1);
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = at.min(v.len() - 1);
                v[i] = *rng.pick(b"\0\xff\"{}[]9-\n;=,:#.");
            }
            2 => {
                let len = rng.below(16.min(v.len() - at + 1));
                v.drain(at..at + len);
            }
            3 => {
                let from = rng.below(v.len() + 1);
                let len = rng.below(64.min(v.len() - from + 1));
                let chunk = v[from..from + len].to_vec();
                v.splice(at..at, chunk);
            }
            4 => {
                let from = rng.below(other.len() + 1);
                let len = rng.below(256.min(other.len() - from + 1));
                v.splice(at..at, other[from..from + len].iter().copied());
            }
            5 => {
                // Repeat a short piece many times (nesting, long numbers, long lines).
                let from = rng.below(v.len() + 1);
                let len = 1 + rng.below(8.min(v.len() - from + 1).max(1));
                let end = (from + len).min(v.len());
                let piece = v[from..end].to_vec();
                let times = 1 + rng.below(200);
                let mut grown = Vec::with_capacity(piece.len() * times);
                for _ in 0..times {
                    grown.extend_from_slice(&piece);
                }
                v.splice(at..at, grown);
            }
            _ => {
                let token = rng.pick(TOKENS).as_bytes();
                v.splice(at..at, token.iter().copied());
            }
        }
    }
    v.truncate(MAX_INPUT);
    v
}

fn save_failure(target: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let mut n = 0;
    loop {
        let path = dir.join(format!("{target}-{n}"));
        if !path.exists() {
            std::fs::write(&path, input).unwrap();
            return path;
        }
        n += 1;
    }
}

/// Runs `target` on the corpus and then on mutations for the budget; each input runs in a
/// worker thread so that one that never returns fails the test instead of hanging it.
fn fuzz(name: &str, per_input: Duration) {
    let target = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap();
    let budget = std::env::var("FIELDWORK_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(12.0);
    let seed = std::env::var("FIELDWORK_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            name.bytes()
                .fold(14u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        });
    let seeds = corpus(name);
    let (to_worker, inputs) = mpsc::channel::<Vec<u8>>();
    let (to_driver, results) = mpsc::channel::<(Duration, Result<(), String>)>();
    std::thread::spawn(move || {
        for input in inputs {
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| target(&input)).map_err(|p| {
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            });
            if to_driver.send((started.elapsed(), outcome)).is_err() {
                return;
            }
        }
    });
    let mut rng = SplitMix64::new(seed);
    let started = Instant::now();
    let (mut runs, mut slowest) = (0u64, Duration::ZERO);
    let mut next = 0;
    loop {
        let input = if next < seeds.len() {
            next += 1;
            seeds[next - 1].1.clone()
        } else if started.elapsed().as_secs_f64() < budget {
            let base = &rng.pick(&seeds).1;
            let other = &rng.pick(&seeds).1;
            mutate(&mut rng, base, other)
        } else {
            break;
        };
        to_worker.send(input.clone()).unwrap();
        // Generous: the bound of an input, plus room for a loaded CI machine.
        let (took, outcome) = match results.recv_timeout(per_input * 4) {
            Ok(r) => r,
            Err(_) => {
                let path = save_failure(name, &input);
                panic!(
                    "{name}: an input ran longer than {:?} (seed {seed}); saved to {}",
                    per_input * 4,
                    path.display()
                );
            }
        };
        runs += 1;
        slowest = slowest.max(took);
        if let Err(message) = outcome {
            let path = save_failure(name, &input);
            panic!(
                "{name}: input panicked ({message}) (seed {seed}); saved to {}:\n{}",
                path.display(),
                String::from_utf8_lossy(&input[..input.len().min(2000)])
            );
        }
        assert!(
            took <= per_input,
            "{name}: an input took {took:?}, bound {per_input:?} (seed {seed}); saved to {}",
            save_failure(name, &input).display()
        );
    }
    println!(
        "{name}: {runs} inputs ({} corpus) in {:.1} s, slowest {:.0} ms, seed {seed}",
        seeds.len(),
        started.elapsed().as_secs_f64(),
        slowest.as_secs_f64() * 1000.0
    );
}

#[test]
fn fuzz_dataset() {
    fuzz("dataset", Duration::from_secs(5));
}

#[test]
fn fuzz_rrule() {
    fuzz("rrule", Duration::from_secs(2));
}

#[test]
fn fuzz_calendar() {
    fuzz("calendar", Duration::from_secs(2));
}

#[test]
fn fuzz_rules() {
    // A rule may run up to its wall-clock limit in each hook before it is stopped for the run.
    fuzz("rules", Duration::from_secs(5));
}

#[test]
fn fuzz_sla_batch() {
    fuzz("sla_batch", Duration::from_secs(2));
}

#[test]
fn mutations_are_deterministic_and_bounded() {
    let mut a = SplitMix64::new(1);
    let mut b = SplitMix64::new(1);
    let seed = b"{\"start\":\"2027-03-05T16:00\",\"minutes\":1}".to_vec();
    for _ in 0..1000 {
        let x = mutate(&mut a, &seed, b"FREQ=DAILY");
        assert_eq!(x, mutate(&mut b, &seed, b"FREQ=DAILY"));
        assert!(x.len() <= MAX_INPUT);
    }
}
