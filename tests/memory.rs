//! Memory is bounded by what is concurrent, not by the trace's length: a
//! request trace of 10 M requests over 10 M distinct sessions peaks within
//! 2× of the same trace over 100 sessions (ARCHITECTURE.md, "What a run holds
//! in memory"). A separate test binary, because it installs a global
//! allocator that tracks the live bytes of the thread that simulates.

use meshsim::engine::{SimConfig, simulate};
use meshsim::model::llm::{LlmPlan, ModelPrice, OnLimit, Strategy};
use meshsim::model::service::ServiceDist;
use meshsim::trace::{TraceKind, TraceRow};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Tracking;

thread_local! {
    // Per thread: the harness's own threads allocate at moments that depend
    // on the machine's load and must not count. The simulation runs on the
    // test's thread and frees what it allocates there.
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn grow(by: i64) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + by;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size() as i64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        grow(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grow(new_size as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

const REQUESTS: u64 = 10_000_000;
const SPAN_S: u64 = 30 * 86_400;

/// Peak bytes above the start while simulating `REQUESTS` requests over 30
/// days whose session ids cycle through `sessions` values, each request an
/// LLM call with a per-session limit (so every session's spending is kept).
fn peak_bytes(sessions: u64) -> (i64, u64, f64) {
    let mut cfg =
        SimConfig::fixed_pool(2, 8, ServiceDist::Exponential { mean_us: 20_000.0 }, SPAN_S);
    cfg.trace_kind = TraceKind::Request;
    cfg.llm = Some(LlmPlan {
        models: vec![ModelPrice {
            id: "anthropic.claude-3-haiku".into(),
            tier: 1,
            input_per_1k: 0.00025,
            output_per_1k: 0.00125,
        }],
        strategy: Strategy::Fixed(0),
        fraction: 1.0,
        tokens_in: None,
        tokens_out: None,
        session_limit_usd: Some(1e9),
        daily_limit_usd: None,
        on_limit: OnLimit::Reject,
        requests_per_session: 10.0,
        // The default `llm.session_timeout_s`: 8 h.
        session_timeout_us: 8 * 3600 * 1_000_000,
        day_starts_us: Vec::new(),
    });
    let gap_us = SPAN_S * 1_000_000 / REQUESTS;
    let rows = (0..REQUESTS).map(move |i| TraceRow {
        t_us: i * gap_us,
        value: 1.0,
        service_us: None,
        tokens_in: Some(400.0),
        tokens_out: Some(100.0),
        // Ids spread over the hash space as the reader's hashes are.
        session: Some((i % sessions).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        region: None,
    });
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = simulate(cfg, rows, 5);
    let peak = PEAK.with(Cell::get) - start;
    let llm = out.summary.cost_llm_usd;
    (peak, out.summary.requests_arrived, llm)
}

#[test]
fn ten_million_sessions_take_the_memory_of_a_hundred() {
    let (few, n_few, cost_few) = peak_bytes(100);
    let (many, n_many, cost_many) = peak_bytes(REQUESTS);
    assert_eq!(n_few, REQUESTS);
    assert_eq!(n_many, REQUESTS);
    // Every call was served and paid for ($0.0001 + $0.000125 each): the
    // sessions were all seen, none cut short by the limit.
    let per_call = 0.4 * 0.00025 + 0.1 * 0.00125;
    for c in [cost_few, cost_many] {
        assert!((c - REQUESTS as f64 * per_call).abs() < 1e-6 * c, "{c}");
    }
    eprintln!("peak: {few} B with 100 sessions, {many} B with {REQUESTS} sessions");
    assert!(
        many <= 2 * few,
        "peak {many} B with {REQUESTS} sessions, {few} B with 100"
    );
}
