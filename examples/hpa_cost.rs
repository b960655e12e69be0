//! Runs the M/M/16 benchmark model once, fixed or under an HPA, for
//! instruction counting: `valgrind --tool=callgrind target/release/examples/hpa_cost fixed|hpa`.
use meshsim::engine::{SimConfig, simulate};
use meshsim::model::service::ServiceDist;
use meshsim::trace::TraceRow;

fn main() {
    let hpa = std::env::args().nth(1).as_deref() == Some("hpa");
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
