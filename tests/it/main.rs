//! The integration tests: one binary, one module per concern.

mod autoscaling;
mod billing;
mod cli;
mod conservation;
mod hpa;
mod layers;
mod lifecycle;
mod llm;
mod parquet;
mod queueing;
mod regions;
mod report;
mod scenarios;
mod spot;
mod sweep;

use meshsim::engine::SimConfig;
use meshsim::model::service::ServiceDist;
use meshsim::trace::TraceRow;

/// A fixed-capacity configuration on a rate trace of `span_s` seconds.
pub fn config(replicas: u32, concurrency: u32, service: ServiceDist, span_s: u64) -> SimConfig {
    SimConfig::fixed_pool(replicas, concurrency, service, span_s)
}

pub fn rate_row(t_s: f64, rps: f64) -> TraceRow {
    TraceRow {
        t_us: (t_s * 1e6) as u64,
        value: rps,
        service_us: None,
        tokens_in: None,
        tokens_out: None,
        session: None,
        region: None,
    }
}
