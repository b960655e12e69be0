//! The hot loop allocates nothing per request: a run with ten times the
//! requests (same span, same capacity) makes the same number of allocations.
//! A separate test binary, because it installs a counting global allocator.

use meshsim::engine::{SimConfig, simulate};
use meshsim::model::service::ServiceDist;
use meshsim::trace::TraceRow;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // Counted per thread: the test harness's other threads allocate at
    // moments that depend on the machine's load, and must not count.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the slot may be gone while the thread shuts down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_for(rps: f64) -> (u64, u64) {
    let span_s = 3600;
    let mut cfg =
        SimConfig::fixed_pool(8, 4, ServiceDist::Exponential { mean_us: 20_000.0 }, span_s);
    cfg.timeout_us = 2_000_000;
    cfg.queue_limit = 1000;
    cfg.median_interval_us = 60_000_000;
    let rows: Vec<TraceRow> = (0..60)
        .map(|m| TraceRow {
            t_us: m * 60_000_000,
            value: rps * (1.0 + (m % 7) as f64 / 10.0),
            service_us: None,
            tokens_in: None,
            tokens_out: None,
            session: None,
            region: None,
        })
        .collect();
    let before = allocations();
    let out = simulate(cfg, rows.into_iter(), 3);
    let after = allocations();
    (after - before, out.summary.requests_arrived)
}

#[test]
fn allocations_do_not_grow_with_requests() {
    let (small, n_small) = allocations_for(100.0);
    let (large, n_large) = allocations_for(1000.0);
    assert!(n_large > 9 * n_small, "{n_small} vs {n_large} requests");
    // The counter sees the run's own buffers (queue, heap, timeline, histograms).
    assert!(small >= 5, "only {small} allocations counted");
    assert_eq!(
        small, large,
        "{small} allocations for {n_small} requests, {large} for {n_large}"
    );
}
