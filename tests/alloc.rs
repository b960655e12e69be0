//! The hot loop allocates nothing per request: a run with ten times the
//! requests (same span, same capacity) makes the same number of allocations.
//! A separate test binary, because it installs a counting global allocator.

use meshsim::engine::{ArrivalProcess, SimConfig, simulate};
use meshsim::model::metrics::MemoryModel;
use meshsim::model::service::ServiceDist;
use meshsim::trace::{TraceKind, TraceRow};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_for(rps: f64) -> (u64, u64) {
    let span_s = 3600;
    let cfg = SimConfig {
        concurrency: 4,
        service: ServiceDist::Exponential { mean_us: 20_000.0 },
        startup_us: 30_000_000,
        timeout_us: 2_000_000,
        queue_limit: 1000,
        capacity_steps: vec![(0, 8)],
        capacity_reason: "test".into(),
        scaling: meshsim::engine::ScalingPlan::fixed(),
        spot: None,
        llm: None,
        usd_per_hour: 1.0,
        memory: MemoryModel {
            base_mb: 128.0,
            per_request_mb: 8.0,
            request_mb: 512.0,
        },
        trace_kind: TraceKind::Rate,
        median_interval_us: 60_000_000,
        end_us: span_s * 1_000_000,
        arrivals: ArrivalProcess::Poisson,
        metrics_window_s: 900,
    };
    let rows: Vec<TraceRow> = (0..60)
        .map(|m| TraceRow {
            t_us: m * 60_000_000,
            value: rps * (1.0 + (m % 7) as f64 / 10.0),
            service_us: None,
            tokens_in: None,
            tokens_out: None,
            session: None,
        })
        .collect();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let out = simulate(cfg, rows.into_iter(), 3);
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    (after - before, out.summary.requests_arrived)
}

#[test]
fn allocations_do_not_grow_with_requests() {
    let (small, n_small) = allocations_for(100.0);
    let (large, n_large) = allocations_for(1000.0);
    assert!(n_large > 9 * n_small, "{n_small} vs {n_large} requests");
    assert_eq!(
        small, large,
        "{small} allocations for {n_small} requests, {large} for {n_large}"
    );
}
