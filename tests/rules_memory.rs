//! The rule sandbox's memory budget (#14 item 3), in its own test binary because it installs
//! a counting global allocator (as the `fieldwork` binary does) and reads its peak.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use fieldwork::rules::{LimitKind, Limits, MemoryGauge, RuleError, RuleSet};

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: forwards to `System`, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let now = ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            let now = ALLOCATED.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(now, Ordering::Relaxed);
            ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocated() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

const MIB: usize = 1024 * 1024;

/// The attack of #14 item 3: a map filled by index insertion with 60 KB strings, which Rhai's
/// size limits do not see (0.33–0.75 GB in one call before the fix).
const MAP_BOMB: &str = "fn sla_targets(order, customer, agreement) {\n\
                        \x20   let s = \"x\";\n\
                        \x20   s.pad(60000, \"y\");\n\
                        \x20   let m = #{};\n\
                        \x20   let i = 0;\n\
                        \x20   loop { m[`k${i}`] = s + i; i += 1; }\n\
                        }\n";

#[test]
fn map_insertion_bomb_is_stopped_at_the_memory_budget() {
    let budget = 64 * MIB;
    let limits = Limits {
        max_memory: budget,
        memory_gauge: Some(MemoryGauge(allocated)),
        max_duration: std::time::Duration::from_secs(60),
        ..Limits::default()
    };
    let rules = RuleSet::from_sources_with(&[("bomb.rhai", MAP_BOMB)], &limits).expect("loads");
    let before = allocated();
    PEAK.store(before, Ordering::Relaxed);
    let err = rules
        .call_hook("sla_targets", ((), (), ()))
        .expect_err("stopped");
    let peak = PEAK.load(Ordering::Relaxed);
    assert!(
        matches!(&err, RuleError::LimitExceeded { limit: LimitKind::Memory(b), location, .. }
            if *b == budget && location.to_string() == "bomb.rhai:1:4"),
        "{err}"
    );
    assert!(err.to_string().contains("memory limit exceeded"), "{err}");
    // One operation allocates at most a couple of maximal strings past the check.
    assert!(
        peak - before <= budget + MIB,
        "peak {} MiB above the start",
        (peak - before) / MIB
    );
    // Everything the call held is freed.
    assert!(allocated() < before + MIB);
    // The hook is stopped for the rest of the run, like the other runaway limits.
    assert!(matches!(
        rules.call_hook("sla_targets", ((), (), ())),
        Err(RuleError::Stopped { .. })
    ));
}

#[test]
fn the_process_gauge_is_the_default() {
    assert!(fieldwork::rules::set_memory_gauge(MemoryGauge(allocated)));
    assert!(!fieldwork::rules::set_memory_gauge(MemoryGauge(allocated)));
    assert_eq!(
        Limits::default().memory_gauge,
        Some(MemoryGauge(allocated as fn() -> usize))
    );
    assert_eq!(Limits::default().max_memory, 256 * MIB);
}

#[test]
fn calls_within_the_budget_are_unaffected() {
    let limits = Limits {
        memory_gauge: Some(MemoryGauge(allocated)),
        ..Limits::default()
    };
    let src =
        "fn sla_targets(o, c, a) { let m = #{}; for i in 0..100 { m[`k${i}`] = i; } m.len() }";
    let rules = RuleSet::from_sources_with(&[("ok.rhai", src)], &limits).expect("loads");
    let v = rules
        .call_hook("sla_targets", ((), (), ()))
        .expect("runs")
        .expect("defined");
    assert_eq!(v.as_int().ok(), Some(100));
}
