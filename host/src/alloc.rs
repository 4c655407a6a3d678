//! The counting global allocator of the `fieldwork` binary: [`std::alloc::System`] plus one
//! atomic counter of the bytes currently allocated, read by the rule sandbox's memory budget
//! ([`fieldwork::rules::Limits::max_memory`]) through [`allocated`].
//!
//! The library cannot choose the global allocator (the program that embeds it does), so the
//! binary installs [`CountingAlloc`] with `#[global_allocator]` and registers [`allocated`]
//! with [`fieldwork::rules::set_memory_gauge`] ([`install_memory_gauge`]). The cost is one
//! relaxed atomic add per allocation and per free.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// [`System`] counting the bytes currently allocated.
///
/// ```no_run
/// #[global_allocator]
/// static GLOBAL: fieldwork_host::alloc::CountingAlloc = fieldwork_host::alloc::CountingAlloc;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

// SAFETY: every method forwards to `System` with the same arguments and only adds counting.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` was allocated by this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::realloc`'s contract.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                ALLOCATED.fetch_add(new_size - layout.size(), Ordering::Relaxed);
            } else {
                ALLOCATED.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

/// Bytes currently allocated through [`CountingAlloc`] (0 when it is not the global
/// allocator).
pub fn allocated() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

/// Registers [`allocated`] as the rule sandbox's memory gauge, so every rule set loaded with
/// default limits enforces the memory budget. Call it once, at start-up, from a binary whose
/// global allocator is [`CountingAlloc`].
pub fn install_memory_gauge() {
    fieldwork::rules::set_memory_gauge(fieldwork::rules::MemoryGauge(allocated));
}
