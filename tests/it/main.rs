//! The integration tests: one binary, one module per concern.

mod autoscaling;
mod billing;
mod bounds;
mod cli;
mod conservation;
mod deploy;
mod engine;
mod explain;
mod fluid;
mod hpa;
mod import;
mod import_logs;
mod keda;
mod kills;
mod layers;
mod lifecycle;
mod llm;
mod nodes;
mod parquet;
mod queueing;
mod regions;
mod report;
mod resources;
mod scenario_import;
mod scenarios;
mod spot;
mod sweep;
mod verdicts;

use meshsim::engine::SimConfig;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the meshsim binary in `cwd` with none of the caller's `MESHSIM_*`
/// overrides (a test that wants one sets it on its own command).
pub fn meshsim(args: &[&str], cwd: &Path) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_meshsim"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("MESHSIM_")) {
        c.env_remove(k);
    }
    c.args(args)
        .current_dir(cwd)
        .output()
        .expect("meshsim runs")
}
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

/// `workloads/peak.csv`, scanned (60 s bins) and read into memory.
pub fn peak_trace() -> (meshsim::trace::TraceMeta, Vec<TraceRow>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/peak.csv");
    let meta = meshsim::trace::scan(&path, 60.0).unwrap();
    let mut reader = meshsim::trace::TraceReader::open(&path).unwrap();
    let mut rows = Vec::new();
    while let Some(r) = reader.next_row().unwrap() {
        rows.push(r);
    }
    (meta, rows)
}
