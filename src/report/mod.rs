//! Report writers: read a [`RunOutcome`], never the engine. Every writer takes
//! a `Write`; [`write_run_dir`] puts the files in place atomically (a
//! temporary folder renamed when complete), so that a crash never leaves a
//! half-written report that looks whole.

pub mod atomic;
pub mod chart;
pub mod compare;
pub mod describe;
pub mod format;
pub mod gallery;
pub mod html;
pub mod nodes;
pub mod regions;
pub mod review;
pub mod sweep;
pub mod text;

use crate::metrics::{RunOutcome, Summary};
use crate::units::us_to_secs;
pub use atomic::{write_dir_atomically, write_file_atomically};
use std::io::Write;
use std::path::Path;

/// What the files say about the run besides the outcome.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub scenario: String,
    pub trace: String,
    pub seed: u64,
    /// Wall-clock anchor of simulated time 0, µs since the Unix epoch.
    pub start_epoch_us: i64,
    pub slo: crate::scenario::Slo,
    /// The scenario's time zone: chart axes and report times use it.
    pub tz: jiff::tz::TimeZone,
    /// Budgets drawn on the cost chart.
    pub budgets: Vec<crate::billing::budget::BudgetSpec>,
    /// The scenario and the trace in words, for the report.
    pub about: describe::About,
}

impl RunInfo {
    /// What a report needs to know about the scenario and the trace.
    pub fn new(sc: &crate::scenario::Scenario, meta: &crate::trace::TraceMeta, seed: u64) -> Self {
        RunInfo {
            scenario: sc.name.clone(),
            trace: meta.name(),
            seed,
            start_epoch_us: meta.start_epoch_us,
            slo: sc.slo.clone(),
            tz: sc.tz.clone(),
            budgets: sc.budgets.clone(),
            about: describe::About::new(sc, meta),
        }
    }

    /// A time in the scenario's zone, for people: `2025-11-28 14:49:58 EST`.
    pub fn local_time(&self, t_us: u64) -> String {
        jiff::Timestamp::from_microsecond(self.start_epoch_us + t_us as i64)
            .map(|t| {
                t.to_zoned(self.tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S %Z")
                    .to_string()
            })
            .unwrap_or_default()
    }

    pub fn time(&self, t_us: u64) -> String {
        jiff::Timestamp::from_microsecond(self.start_epoch_us + t_us as i64)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map(|x| format!("{x:.decimals$}")).unwrap_or_default()
}

pub use crate::billing::budget::{month_seconds, projected_month_usd};

pub fn slo_p95_met(s: &Summary, info: &RunInfo) -> bool {
    info.slo.p95_met(s.latency_p95_ms)
}

pub fn slo_availability_met(s: &Summary, info: &RunInfo) -> bool {
    info.slo.availability_met(s.availability())
}

pub const SUMMARY_COLUMNS: &[&str] = &[
    "scenario",
    "trace",
    "seed",
    "sim_seconds",
    "requests_arrived",
    "requests_served",
    "requests_dropped",
    "requests_rejected",
    "requests_in_flight",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "latency_max_ms",
    "slo_p95_met",
    "availability",
    "replica_hours_on_demand",
    "replica_hours_spot",
    "replicas_mean",
    "replicas_max",
    "spot_interruptions",
    "cost_compute_usd",
    "cost_fixed_usd",
    "cost_llm_usd",
    "cost_total_usd",
    "llm_calls",
    "llm_tokens_in",
    "llm_tokens_out",
    "llm_rejected",
    "llm_downgraded",
    "budget_alerts_fired",
    // Added columns (DESIGN §6 allows adding, never renaming).
    "slo_availability_met",
    "slo_met",
    "wait_mean_ms",
    "wait_probability",
    "requests_started",
    "cost_compute_on_demand_usd",
    "cost_compute_spot_usd",
    "cost_database_usd",
    "cost_cache_usd",
    "cost_network_usd",
    "cost_load_balancer_usd",
    "cost_storage_usd",
    "projected_month_usd",
    "budget_alerts_projected",
    "llm_cost_unlimited_usd",
    "llm_saved_usd",
    "llm_cost_by_model",
    // DESIGN §9: the node layer (empty unless the run is on nodes).
    "nodes_mean",
    "nodes_max",
    "node_hours_on_demand",
    "node_hours_spot",
    "cost_nodes_usd",
    "cost_control_plane_usd",
    "pods_unschedulable_seconds",
    "request_utilization_mean",
];

/// The `summary.csv` row of a run (columns [`SUMMARY_COLUMNS`]).
pub fn summary_record(o: &RunOutcome, info: &RunInfo) -> Vec<String> {
    let s = &o.summary;
    let p95 = slo_p95_met(s, info);
    let av = slo_availability_met(s, info);
    vec![
        info.scenario.clone(),
        info.trace.clone(),
        info.seed.to_string(),
        format!("{:.3}", s.sim_seconds),
        s.requests_arrived.to_string(),
        s.requests_served.to_string(),
        s.requests_dropped.to_string(),
        s.requests_rejected.to_string(),
        s.requests_in_flight.to_string(),
        opt(s.latency_mean_ms, 3),
        opt(s.latency_p50_ms, 3),
        opt(s.latency_p90_ms, 3),
        opt(s.latency_p95_ms, 3),
        opt(s.latency_p99_ms, 3),
        opt(s.latency_max_ms, 3),
        p95.to_string(),
        format!("{:.6}", s.availability()),
        format!("{:.6}", s.replica_hours_on_demand),
        format!("{:.6}", s.replica_hours_spot),
        format!("{:.4}", s.replicas_mean),
        s.replicas_max.to_string(),
        s.spot_interruptions.to_string(),
        format!("{:.6}", s.cost_compute_usd),
        format!("{:.6}", s.cost_fixed_usd()),
        format!("{:.6}", s.cost_llm_usd),
        format!("{:.6}", s.cost_total_usd()),
        s.llm_calls.to_string(),
        s.llm_tokens_in.to_string(),
        s.llm_tokens_out.to_string(),
        s.llm_rejected.to_string(),
        s.llm_downgraded.to_string(),
        s.budget_alerts_fired.to_string(),
        av.to_string(),
        (p95 && av).to_string(),
        opt(s.wait_mean_ms, 4),
        opt(s.wait_probability, 6),
        s.requests_started.to_string(),
        format!("{:.6}", s.cost_compute_usd - s.cost_compute_spot_usd),
        format!("{:.6}", s.cost_compute_spot_usd),
        format!("{:.6}", s.fixed.database_usd),
        format!("{:.6}", s.fixed.cache_usd),
        format!("{:.6}", s.fixed.network_usd),
        format!("{:.6}", s.fixed.load_balancer_usd),
        format!("{:.6}", s.fixed.storage_usd),
        format!("{:.6}", projected_month_usd(s, info.start_epoch_us)),
        s.budget_alerts_projected.to_string(),
        format!("{:.6}", s.llm_cost_unlimited_usd),
        format!("{:.6}", s.llm_cost_unlimited_usd - s.cost_llm_usd),
        s.llm_cost_by_model
            .iter()
            .filter(|(_, c)| *c > 0.0)
            .map(|(m, c)| format!("{m}={c:.6}"))
            .collect::<Vec<_>>()
            .join(";"),
    ]
    .into_iter()
    .chain(node_summary_fields(s.nodes.as_ref()))
    .collect()
}

/// The summary's node columns (empty strings for a run without nodes).
fn node_summary_fields(n: Option<&crate::metrics::NodeSummary>) -> Vec<String> {
    match n {
        None => vec![String::new(); 8],
        Some(n) => vec![
            format!("{:.4}", n.nodes_mean),
            n.nodes_max.to_string(),
            format!("{:.6}", n.node_hours_on_demand),
            format!("{:.6}", n.node_hours_spot),
            format!("{:.6}", n.cost_nodes_usd),
            format!("{:.6}", n.cost_control_plane_usd),
            format!("{:.3}", n.pods_unschedulable_seconds),
            format!("{:.6}", n.request_utilization_mean),
        ],
    }
}

pub fn write_summary<W: Write>(w: W, o: &RunOutcome, info: &RunInfo) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(SUMMARY_COLUMNS)?;
    wr.write_record(summary_record(o, info))?;
    wr.flush()?;
    Ok(())
}

pub const TIMELINE_COLUMNS: &[&str] = &[
    "time",
    "t_s",
    "rps_offered",
    "served",
    "dropped",
    "rejected",
    "replicas_ready",
    "replicas_total",
    "replicas_desired",
    "replicas_spot",
    "cpu_util",
    "queue_depth",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "cost_compute_usd",
    "cost_fixed_usd",
    "cost_llm_usd",
    "cost_total_usd",
    "arrived",
    "cost_database_usd",
    "cost_cache_usd",
    "cost_network_usd",
    "cost_load_balancer_usd",
    "cost_storage_usd",
    "cost_compute_on_demand_usd",
    "cost_compute_spot_usd",
    // DESIGN §9: the node layer (empty unless the run is on nodes).
    "nodes_ready",
    "nodes_total",
    "pods_unschedulable",
    "node_cpu_requested_pct",
    "node_memory_requested_pct",
    "cost_control_plane_usd",
];

pub fn write_timeline<W: Write>(w: W, o: &RunOutcome, info: &RunInfo) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(TIMELINE_COLUMNS)?;
    for r in &o.timeline {
        wr.write_record(
            [
                info.time(r.t_s * 1_000_000),
                r.t_s.to_string(),
                format!("{:.4}", r.arrived as f64 / r.len_s),
                r.served.to_string(),
                r.dropped.to_string(),
                r.rejected.to_string(),
                r.replicas_ready.to_string(),
                r.replicas_total.to_string(),
                r.replicas_desired.to_string(),
                r.replicas_spot.to_string(),
                format!("{:.4}", r.cpu_util),
                format!("{:.3}", r.queue_depth),
                opt(r.latency_p50_ms, 3),
                opt(r.latency_p95_ms, 3),
                opt(r.latency_p99_ms, 3),
                format!("{:.6}", r.cost_compute_usd),
                format!("{:.6}", r.cost_fixed_usd()),
                format!("{:.6}", r.cost_llm_usd),
                format!("{:.6}", r.cost_total_usd()),
                r.arrived.to_string(),
                format!("{:.6}", r.fixed.database_usd),
                format!("{:.6}", r.fixed.cache_usd),
                format!("{:.6}", r.fixed.network_usd),
                format!("{:.6}", r.fixed.load_balancer_usd),
                format!("{:.6}", r.fixed.storage_usd),
                format!("{:.6}", r.cost_compute_usd - r.cost_compute_spot_usd),
                format!("{:.6}", r.cost_compute_spot_usd),
            ]
            .into_iter()
            .chain(match &r.nodes {
                None => vec![String::new(); 6],
                Some(n) => vec![
                    n.nodes_ready.to_string(),
                    n.nodes_total.to_string(),
                    n.pods_unschedulable.to_string(),
                    format!("{:.2}", n.node_cpu_requested_pct),
                    format!("{:.2}", n.node_memory_requested_pct),
                    format!("{:.6}", r.cost_control_plane_usd),
                ],
            }),
        )?;
    }
    wr.flush()?;
    Ok(())
}

pub fn write_scaling<W: Write>(w: W, o: &RunOutcome, info: &RunInfo) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record([
        "time",
        "t_s",
        "autoscaler",
        "from",
        "to",
        "recommendation",
        "reason",
    ])?;
    for e in &o.scaling {
        wr.write_record([
            info.time(e.t_us),
            format!("{:.3}", us_to_secs(e.t_us)),
            e.autoscaler.clone(),
            e.from.to_string(),
            e.to.to_string(),
            e.recommendation.to_string(),
            e.reason.clone(),
        ])?;
    }
    wr.flush()?;
    Ok(())
}

pub const NODES_COLUMNS: &[&str] = &[
    "node",
    "group",
    "instance_type",
    "purchase_option",
    "launched_t_s",
    "ready_t_s",
    "removed_t_s",
    "reason",
    "usd_per_hour",
    "cost_usd",
];

/// `nodes.csv`: one row per node (DESIGN §9); `ready_t_s` empty for a node
/// that never became Ready, `removed_t_s` for one still running at the end.
pub fn write_nodes<W: Write>(w: W, o: &RunOutcome) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(NODES_COLUMNS)?;
    let secs = |us: Option<u64>| {
        us.map(|t| format!("{:.3}", us_to_secs(t)))
            .unwrap_or_default()
    };
    for n in &o.nodes {
        wr.write_record([
            n.node.to_string(),
            n.group.clone(),
            n.instance_type.clone(),
            n.purchase_option.clone(),
            secs(Some(n.launched_us)),
            secs(n.ready_us),
            secs(n.removed_us),
            n.reason.clone(),
            format!("{}", n.usd_per_hour),
            format!("{:.6}", n.cost_usd),
        ])?;
    }
    wr.flush()?;
    Ok(())
}

pub fn write_alerts<W: Write>(w: W, o: &RunOutcome, info: &RunInfo) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record([
        "time",
        "t_s",
        "kind",
        "name",
        "threshold",
        "value",
        "projected",
    ])?;
    for a in &o.alerts {
        wr.write_record([
            info.time(a.t_us),
            format!("{:.3}", us_to_secs(a.t_us)),
            a.kind.clone(),
            a.name.clone(),
            format!("{}", a.threshold.value()),
            format!("{:.6}", a.value),
            a.projected.to_string(),
        ])?;
    }
    wr.flush()?;
    Ok(())
}

/// Writes the run directory into `dir` — the CSV files, the charts when given,
/// `report.html` and `report.md` — atomically (see [`write_dir_atomically`]).
pub fn write_run_dir(
    dir: &Path,
    o: &RunOutcome,
    info: &RunInfo,
    charts: Option<&chart::RunCharts>,
) -> std::io::Result<()> {
    write_dir_atomically(dir, |tmp| write_run_files(tmp, o, info, charts))
}

/// The run directory's files, written into an existing folder.
pub fn write_run_files(
    dir: &Path,
    o: &RunOutcome,
    info: &RunInfo,
    charts: Option<&chart::RunCharts>,
) -> std::io::Result<()> {
    let file = |n: &str| -> std::io::Result<std::io::BufWriter<std::fs::File>> {
        Ok(std::io::BufWriter::new(std::fs::File::create(dir.join(n))?))
    };
    let io = |e: csv::Error| std::io::Error::other(e.to_string());
    write_summary(file("summary.csv")?, o, info).map_err(io)?;
    write_timeline(file("timeline.csv")?, o, info).map_err(io)?;
    write_scaling(file("scaling.csv")?, o, info).map_err(io)?;
    write_alerts(file("alerts.csv")?, o, info).map_err(io)?;
    if let Some(c) = charts {
        for (name, png, _) in c.files() {
            std::fs::write(dir.join(name), png)?;
        }
    }
    if o.summary.nodes.is_some() {
        write_nodes(file("nodes.csv")?, o).map_err(io)?;
    }
    if !o.regions.is_empty() {
        regions::write_regions(file("regions.csv")?, o).map_err(io)?;
        regions::write_timeline_regions(file("timeline_regions.csv")?, o, info).map_err(io)?;
    }
    let blocks = review::blocks(o, info, charts);
    std::fs::write(dir.join("report.html"), html::render_html(&blocks))?;
    std::fs::write(dir.join("report.md"), html::render_md(&blocks))?;
    Ok(())
}
