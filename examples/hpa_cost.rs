//! Runs the M/M/16 benchmark model once, fixed, under an HPA, or under an
//! HPA on EKS nodes with the cluster autoscaler, for instruction counting:
//! `valgrind --tool=callgrind target/release/examples/hpa_cost fixed|hpa|hpa-nodes`.
use meshsim::engine::{SimConfig, simulate};
use meshsim::model::service::ServiceDist;
use meshsim::trace::TraceRow;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let hpa = mode.starts_with("hpa");
    let lambda = 256.0;
    let span_s = 2000;
    let mut cfg = SimConfig::fixed_pool(
        16,
        1,
        ServiceDist::Exponential { mean_us: 50_000.0 },
        span_s,
    );
    if hpa {
        cfg = cfg.with_cpu_hpa(16, 16, 80);
    }
    if mode == "hpa-nodes" {
        cfg = cfg.with_nodes(16);
    }
    let row = TraceRow {
        t_us: 0,
        value: lambda,
        service_us: None,
        tokens_in: None,
        tokens_out: None,
        session: None,
        region: None,
    };
    let s = simulate(cfg, std::iter::once(row), 1).summary;
    println!("{} requests", s.requests_arrived);
}
