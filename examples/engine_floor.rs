//! The engine-speed targets of issue 19, once, for instruction counting
//! (`valgrind --tool=callgrind target/release/examples/engine_floor mm8|day`)
//! or timing (`target/release/examples/engine_floor mm8|day`):
//!
//! - `mm8`: a fixed M/M/8 (100 ms mean service, ρ = 0.8, 64 rps) for 4 h,
//!   ~0.92 M requests;
//! - `day`: the autoscaled diurnal day — a `trace gen --pattern diurnal`
//!   day of mean 200 / peak 600 rps (17.3 M requests), lognormal service of
//!   mean 50 ms and cv 1 (p95 139 ms), 4 slots a replica, under an HPA on
//!   CPU at 60 % between 1 and 40 replicas.
use meshsim::engine::{SimConfig, simulate};
use meshsim::model::service::ServiceDist;
use meshsim::trace::TraceRow;
use meshsim::trace::r#gen::{GenSpec, Pattern, generate};
use std::time::Instant;

fn row(t_us: u64, rps: f64) -> TraceRow {
    TraceRow {
        t_us,
        value: rps,
        service_us: None,
        tokens_in: None,
        tokens_out: None,
        session: None,
        region: None,
    }
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "mm8".into());
    let (cfg, rows) = match mode.as_str() {
        "mm8" => {
            let cfg = SimConfig::fixed_pool(
                8,
                1,
                ServiceDist::Exponential { mean_us: 100_000.0 },
                4 * 3600,
            );
            (cfg, vec![row(0, 64.0)])
        }
        "day" => {
            let spec = GenSpec {
                pattern: Pattern::Diurnal,
                mean_rps: 200.0,
                peak_rps: Some(600.0),
                duration_s: 86_400.0,
                interval_s: 60.0,
                seed: 1,
                start: "2026-11-02T00:00:00Z".parse().unwrap(),
                noise: 0.03,
            };
            let t0 = spec.start;
            let rows: Vec<TraceRow> = generate(&spec)
                .unwrap()
                .into_iter()
                .map(|(t, rps)| row(t.duration_since(t0).as_micros() as u64, rps))
                .collect();
            let cfg = SimConfig::fixed_pool(2, 4, ServiceDist::lognormal(50_000.0, 1.0), 86_400)
                .with_cpu_hpa(1, 40, 60);
            (cfg, rows)
        }
        other => panic!("unknown model {other}: mm8 or day"),
    };
    let t = Instant::now();
    let s = simulate(cfg, rows.into_iter(), 1).summary;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{mode}: {} requests in {secs:.3} s = {:.2} M requests/s; p95 {:.1} ms, mean replicas {:.2}",
        s.requests_arrived,
        s.requests_arrived as f64 / secs / 1e6,
        s.latency_p95_ms.unwrap_or(f64::NAN),
        s.replicas_mean
    );
}
