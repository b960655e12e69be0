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
//! every completion an event: the engine before the fast loop. A last
//! argument `xN` runs the model N times in one process and reports the
//! best and the median (wall time on these shared machines is noisy; the
//! best of many warm runs is the steadiest figure).
use meshsim::engine::{simulate, simulate_event_by_event, speed_model};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().cloned().unwrap_or_else(|| "mm8".into());
    let reference = args.iter().any(|a| a == "reference");
    let repeat: usize = args
        .iter()
        .find_map(|a| a.strip_prefix('x').and_then(|n| n.parse().ok()))
        .unwrap_or(1);
    let Some((cfg, rows)) = speed_model(&mode) else {
        eprintln!("unknown model {mode}: mm8 or day");
        std::process::exit(2);
    };
    let mut times = Vec::with_capacity(repeat);
    let mut summary = None;
    for _ in 0..repeat.max(1) {
        let (cfg, rows) = (cfg.clone(), rows.clone());
        let t = Instant::now();
        let s = if reference {
            simulate_event_by_event(cfg, rows.into_iter(), 1).summary
        } else {
            simulate(cfg, rows.into_iter(), 1).summary
        };
        times.push(t.elapsed().as_secs_f64());
        summary = Some(s);
    }
    let s = summary.expect("at least one run");
    times.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);
    let rate = |secs: f64| s.requests_arrived as f64 / secs / 1e6;
    println!(
        "{mode}{}: {} requests in {best:.3} s = {:.2} M requests/s{}; p95 {:.1} ms, mean replicas {:.2}",
        if reference { " (reference loop)" } else { "" },
        s.requests_arrived,
        rate(best),
        if times.len() > 1 {
            format!(" (best of {}; median {:.2} M)", times.len(), rate(median))
        } else {
            String::new()
        },
        s.latency_p95_ms.unwrap_or(f64::NAN),
        s.replicas_mean
    );
}
