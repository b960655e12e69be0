//! A multi-region run by region: `regions.csv` (one row per region) and
//! `timeline_regions.csv` (one row per region and minute).

use super::RunInfo;
use crate::metrics::{RegionOutcome, RunOutcome};
use std::io::Write;

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.3}")).unwrap_or_default()
}

fn outages(r: &RegionOutcome) -> String {
    r.outages_s
        .iter()
        .map(|(a, b)| match b {
            Some(b) => format!("{a}-{b}"),
            None => format!("{a}-"),
        })
        .collect::<Vec<_>>()
        .join(";")
}

pub const REGION_COLUMNS: &[&str] = &[
    "region",
    "aws_region",
    "weight",
    "outages_s",
    "requests_arrived",
    "requests_served",
    "requests_dropped",
    "requests_rejected",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "availability",
    "replicas_mean",
    "replica_hours_on_demand",
    "replica_hours_spot",
    "cost_compute_usd",
    "cost_fixed_usd",
    "cost_network_usd",
    "cost_llm_usd",
    "cost_total_usd",
];

pub fn write_regions<W: Write>(w: W, o: &RunOutcome) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(REGION_COLUMNS)?;
    for r in &o.regions {
        let s = &r.outcome.summary;
        wr.write_record([
            r.name.clone(),
            r.aws_region.clone(),
            format!("{}", r.weight),
            outages(r),
            s.requests_arrived.to_string(),
            s.requests_served.to_string(),
            s.requests_dropped.to_string(),
            s.requests_rejected.to_string(),
            opt(s.latency_p50_ms),
            opt(s.latency_p95_ms),
            opt(s.latency_p99_ms),
            format!("{:.6}", s.availability()),
            format!("{:.4}", s.replicas_mean),
            format!("{:.6}", s.replica_hours_on_demand),
            format!("{:.6}", s.replica_hours_spot),
            format!("{:.6}", s.cost_compute_usd),
            format!("{:.6}", s.cost_fixed_usd()),
            format!("{:.6}", s.fixed.network_usd),
            format!("{:.6}", s.cost_llm_usd),
            format!("{:.6}", s.cost_total_usd()),
        ])?;
    }
    wr.flush()?;
    Ok(())
}

pub fn write_timeline_regions<W: Write>(w: W, o: &RunOutcome, info: &RunInfo) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record([
        "time",
        "t_s",
        "region",
        "rps_offered",
        "served",
        "dropped",
        "rejected",
        "replicas_ready",
        "replicas_desired",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "cost_total_usd",
    ])?;
    let rows = o.timeline.len();
    for k in 0..rows {
        for r in &o.regions {
            let Some(t) = r.outcome.timeline.get(k) else {
                continue;
            };
            wr.write_record([
                info.time(t.t_s * 1_000_000),
                t.t_s.to_string(),
                r.name.clone(),
                format!("{:.4}", t.arrived as f64 / t.len_s),
                t.served.to_string(),
                t.dropped.to_string(),
                t.rejected.to_string(),
                t.replicas_ready.to_string(),
                t.replicas_desired.to_string(),
                opt(t.latency_p50_ms),
                opt(t.latency_p95_ms),
                opt(t.latency_p99_ms),
                format!("{:.6}", t.cost_total_usd()),
            ])?;
        }
    }
    wr.flush()?;
    Ok(())
}
