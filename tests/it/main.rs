//! The integration tests: one binary, one module per concern.

mod autoscaling;
mod billing;
mod cli;
mod conservation;
mod hpa;
mod lifecycle;
mod llm;
mod parquet;
mod queueing;
mod scenarios;
mod spot;
mod sweep;

use meshsim::engine::{ArrivalProcess, SimConfig};
use meshsim::model::metrics::MemoryModel;
use meshsim::model::service::ServiceDist;
use meshsim::trace::{TraceKind, TraceRow};
use meshsim::units::US_PER_SEC;

/// A fixed-capacity configuration on a rate trace of `span_s` seconds.
pub fn config(replicas: u32, concurrency: u32, service: ServiceDist, span_s: u64) -> SimConfig {
    SimConfig {
        concurrency,
        service,
        startup_us: 30 * US_PER_SEC,
        timeout_us: u64::MAX / 4,
        queue_limit: u64::MAX,
        capacity_steps: vec![(0, replicas)],
        capacity_reason: "test".into(),
        scaling: meshsim::engine::ScalingPlan::fixed(),
        spot: None,
        llm: None,
        usd_per_hour: 1.0,
        memory: MemoryModel {
            base_mb: 100.0,
            per_request_mb: 1.0,
            request_mb: 512.0,
        },
        trace_kind: TraceKind::Rate,
        median_interval_us: span_s * US_PER_SEC,
        end_us: span_s * US_PER_SEC,
        arrivals: ArrivalProcess::Poisson,
        metrics_window_s: 900,
    }
}

pub fn rate_row(t_s: f64, rps: f64) -> TraceRow {
    TraceRow {
        t_us: (t_s * 1e6) as u64,
        value: rps,
        service_us: None,
        tokens_in: None,
        tokens_out: None,
        session: None,
    }
}
