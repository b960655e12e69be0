//! Runs the M/M/16 benchmark model once, fixed or under an HPA, for
//! instruction counting: `valgrind --tool=callgrind target/release/examples/hpa_cost fixed|hpa`.
use meshsim::engine::{PolicySpec, ScalingPlan, SimConfig, simulate};
use meshsim::model::autoscaler::hpa::policy::HpaPolicySpec;
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
        let spec = meshsim::model::autoscaler::hpa::manifest::hpa_from_doc(
            "x".into(),
            serde_json::json!({ "minReplicas": 16, "maxReplicas": 16, "metrics": [
                { "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 80 } } } ] }),
        )
        .unwrap();
        cfg.scaling = ScalingPlan {
            min: 16,
            max: 16,
            policy: PolicySpec::Hpa(Box::new(HpaPolicySpec {
                spec,
                controller: Default::default(),
                sources: Default::default(),
                cpu_request_milli: 1000,
                memory_request_bytes: 512 << 20,
                metrics_window_s: 30,
            })),
            schedule: Vec::new(),
        };
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
