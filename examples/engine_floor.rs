//! The engine-speed models of issue 19 (`meshsim::engine::speed_model`),
//! once, for instruction counting
//! (`valgrind --tool=callgrind target/release/examples/engine_floor mm8|day`)
//! or timing (`target/release/examples/engine_floor mm8|day [reference]`):
//!
//! - `mm8`: a fixed M/M/8 (100 ms mean service, ρ = 0.8, 64 rps) for 4 h,
//!   ~0.92 M requests;
//! - `day`: the autoscaled diurnal day — mean 200 / peak 600 rps (17.3 M
//!   requests), lognormal service of mean 50 ms and cv 1, 4 slots a
//!   replica, under an HPA on CPU at 60 % between 1 and 40 replicas.
//!
//! `reference` runs the event-by-event loop (`simulate_event_by_event`),
//! every completion an event: the engine before the fast loop.
use meshsim::engine::{simulate, simulate_event_by_event, speed_model};
use std::time::Instant;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "mm8".into());
    let reference = std::env::args().nth(2).as_deref() == Some("reference");
    let Some((cfg, rows)) = speed_model(&mode) else {
        eprintln!("unknown model {mode}: mm8 or day");
        std::process::exit(2);
    };
    let t = Instant::now();
    let s = if reference {
        simulate_event_by_event(cfg, rows.into_iter(), 1).summary
    } else {
        simulate(cfg, rows.into_iter(), 1).summary
    };
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{mode}{}: {} requests in {secs:.3} s = {:.2} M requests/s; p95 {:.1} ms, mean replicas {:.2}",
        if reference { " (reference loop)" } else { "" },
        s.requests_arrived,
        s.requests_arrived as f64 / secs / 1e6,
        s.latency_p95_ms.unwrap_or(f64::NAN),
        s.replicas_mean
    );
}
