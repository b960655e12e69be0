//! One run: a validated scenario and a trace file in, an outcome out. The
//! trace is read twice, both times streamed: a validating first pass (nothing
//! is simulated on a trace that fails to parse) and the simulation pass.

use crate::engine::{ArrivalProcess, SimConfig, simulate};
use crate::metrics::RunOutcome;
use crate::model::metrics::MemoryModel;
use crate::model::service::ServiceDist;
use crate::scenario::{Scenario, ServiceTime};
use crate::trace::{TraceError, TraceKind, TraceMeta, TraceReader, scan};
use crate::units::{ms_to_us, secs_to_us};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error("{0}")]
    Incompatible(String),
}

/// Seconds of metric history kept for autoscalers (the longest window any
/// controller reads: AWS target tracking's 15 one-minute datapoints).
pub const METRICS_HISTORY_S: usize = 15 * 60;

/// Engine configuration for `scenario` on the trace described by `meta`.
pub fn sim_config(
    scenario: &Scenario,
    meta: &TraceMeta,
    arrivals: ArrivalProcess,
) -> Result<SimConfig, RunError> {
    let f = &scenario.file;
    let s = &f.service;
    if s.service_time == ServiceTime::Trace
        && !(meta.kind == TraceKind::Request && meta.has_service_ms)
    {
        return Err(RunError::Incompatible(format!(
            "scenario `{}` takes service times from the trace (service_time.dist = \"trace\"), \
             but {} is not a request trace with a `service_ms` column",
            scenario.name,
            meta.path.display()
        )));
    }
    let replicas = scenario.fixed_replicas();
    let reason = if scenario.file.scaling.min == scenario.file.scaling.max {
        format!("fixed capacity: scaling.min = scaling.max = {replicas}")
    } else {
        format!("fixed capacity at scaling.min = {replicas} (autoscaling is not simulated yet)")
    };
    Ok(SimConfig {
        concurrency: s.concurrency,
        service: ServiceDist::from_scenario(&s.service_time),
        startup_us: secs_to_us(s.startup_s),
        timeout_us: ms_to_us(s.timeout_ms),
        queue_limit: s.queue_limit,
        capacity_steps: vec![(0, replicas)],
        capacity_reason: reason,
        usd_per_hour: scenario.compute.usd_per_hour,
        memory: MemoryModel {
            base_mb: s.memory_base_mb,
            per_request_mb: s.memory_per_request_mb,
            request_mb: s.memory_request_mb,
        },
        trace_kind: meta.kind,
        median_interval_us: meta.median_interval_us,
        end_us: meta.end_us,
        arrivals,
        metrics_window_s: METRICS_HISTORY_S,
    })
}

/// Validates the trace, then simulates `scenario` on it.
pub fn run_file(
    scenario: &Scenario,
    trace: &Path,
    seed: u64,
    arrivals: ArrivalProcess,
) -> Result<(RunOutcome, TraceMeta), RunError> {
    let meta = scan(trace, 60.0)?;
    let cfg = sim_config(scenario, &meta, arrivals)?;
    let mut reader = TraceReader::open(trace)?;
    let mut failure: Option<TraceError> = None;
    let rows = std::iter::from_fn(|| match reader.next_row() {
        Ok(r) => r,
        Err(e) => {
            failure = Some(e);
            None
        }
    });
    let outcome = simulate(cfg, rows, seed);
    if let Some(e) = failure {
        // The file changed between the two passes.
        return Err(e.into());
    }
    Ok((outcome, meta))
}
