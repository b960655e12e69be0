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
pub mod pr;
pub mod regions;
pub mod resources;
pub mod review;
pub mod sweep;
pub mod text;

use crate::metrics::{RunOutcome, Summary};
use crate::units::us_to_secs;
pub use atomic::{remove_stale_temporaries, write_dir_atomically, write_file_atomically};
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
    /// What made the run: version, overrides, trace checksum, effective scenario.
    pub provenance: Provenance,
}

/// What a run was made from, recorded in `summary.json` and the report, and
/// compared before a run folder is overwritten.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    pub meshsim_version: String,
    /// The scenario as named on the command line.
    pub scenario: String,
    /// Where it was loaded from (`built-in:NAME` or a path).
    pub scenario_origin: String,
    /// `--set` overrides, in the order given.
    pub overrides: Vec<String>,
    /// `MESHSIM_*` environment overrides (sorted).
    pub env_overrides: Vec<(String, String)>,
    pub seed: u64,
    pub arrivals: String,
    pub trace_path: String,
    /// SHA-256 of the trace file.
    pub trace_sha256: String,
    /// Every key of the scenario after layers, overrides and defaults.
    pub effective_scenario: serde_json::Value,
}

impl Provenance {
    /// The settings that name a run: two runs with the same settings may
    /// share a folder (a re-run replaces it); others may not.
    pub fn settings(&self) -> serde_json::Value {
        serde_json::json!({
            "scenario": self.scenario,
            "overrides": self.overrides,
            "env_overrides": self.env_overrides,
            "seed": self.seed,
            "arrivals": self.arrivals,
            "trace_path": self.trace_path,
        })
    }
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
            provenance: Provenance {
                meshsim_version: env!("CARGO_PKG_VERSION").into(),
                scenario: sc.name.clone(),
                scenario_origin: sc.origin.clone(),
                overrides: Vec::new(),
                env_overrides: Vec::new(),
                seed,
                arrivals: String::new(),
                trace_path: meta.path.display().to_string(),
                trace_sha256: crate::trace::sha256_file(&meta.path).unwrap_or_default(),
                effective_scenario: serde_json::to_value(&sc.file).unwrap_or_default(),
            },
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

/// The SLO verdicts of a run: the run's p95 (served requests), the windows,
/// availability, and all three together.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub p95_met: bool,
    pub availability_met: bool,
    pub windows: crate::metrics::WindowVerdict,
    pub windows_met: bool,
    /// The overall verdict (`slo_met`): all of the above hold.
    pub met: bool,
}

pub fn verdict(o: &RunOutcome, info: &RunInfo) -> Verdict {
    let s = &o.summary;
    let p95_met = slo_p95_met(s, info);
    let availability_met = slo_availability_met(s, info);
    let windows =
        crate::metrics::judge_windows(&o.windows, info.slo.p95_ms, info.slo.windows_met_pct);
    let windows_met = info.slo.windows_met(windows.met_pct);
    Verdict {
        met: p95_met && availability_met && windows_met,
        p95_met,
        availability_met,
        windows,
        windows_met,
    }
}

/// The windows that missed, for people: `14:02–14:06 (5 windows of 1m, worst p95 1270.1 ms)`.
/// Consecutive missed windows are joined into one span; at most `max` spans.
pub fn missed_spans(o: &RunOutcome, info: &RunInfo, v: &Verdict, max: usize) -> Vec<String> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for &i in &v.windows.missed {
        match spans.last_mut() {
            Some((_, end)) if *end + 1 == i => *end = i,
            _ => spans.push((i, i)),
        }
    }
    let hm = |t_s: u64| {
        jiff::Timestamp::from_microsecond(info.start_epoch_us + t_s as i64 * 1_000_000)
            .map(|t| {
                t.to_zoned(info.tz.clone())
                    .strftime("%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let mut out: Vec<String> = spans
        .iter()
        .take(max)
        .map(|&(a, b)| {
            let (wa, wb) = (&o.windows[a], &o.windows[b]);
            let worst = o.windows[a..=b]
                .iter()
                .filter(|w| w.counts())
                .map(|w| w.judged_p95_ms())
                .fold(0.0, f64::max);
            format!(
                "{}–{} ({} window{} of {}, worst p95 {})",
                hm(wa.t_s),
                hm(wb.t_s + wb.len_s.round() as u64),
                b - a + 1,
                if a == b { "" } else { "s" },
                info.slo.window,
                if worst.is_finite() {
                    format!("{worst:.1} ms")
                } else {
                    "none served".to_string()
                }
            )
        })
        .collect();
    if spans.len() > max {
        out.push(format!("and {} more", spans.len() - max));
    }
    out
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
    // Windowed SLO and goodput (`slo_met` is the overall verdict: run p95,
    // windows and availability).
    "slo_windows",
    "slo_windows_met_pct",
    "latency_p95_worst_window_ms",
    "requests_within_slo",
    "requests_within_slo_pct",
];

/// `summary.csv`'s columns of the usage model (docs/resources.md), after
/// [`SUMMARY_COLUMNS`], in runs that have one.
pub const USAGE_SUMMARY_COLUMNS: &[&str] = &[
    "oom_kills",
    "vpa_evictions",
    "vpa_resizes",
    "cpu_throttled_pct",
];

/// The usage model's `summary.csv` values (empty strings without one).
pub fn usage_record(o: &RunOutcome) -> Vec<String> {
    match &o.summary.usage {
        None => vec![String::new(); USAGE_SUMMARY_COLUMNS.len()],
        Some(u) => vec![
            u.oom_kills.to_string(),
            u.vpa_evictions.to_string(),
            u.vpa_resizes.to_string(),
            format!("{:.3}", u.cpu_throttled_pct),
        ],
    }
}

/// The `summary.csv` row of a run (columns [`SUMMARY_COLUMNS`]).
pub fn summary_record(o: &RunOutcome, info: &RunInfo) -> Vec<String> {
    let s = &o.summary;
    let v = verdict(o, info);
    let (p95, av) = (v.p95_met, v.availability_met);
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
        v.met.to_string(),
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
    .chain([
        v.windows.windows.to_string(),
        opt(v.windows.met_pct, 3),
        opt_ms(v.windows.worst_p95_ms),
        s.requests_within_slo.to_string(),
        opt(s.requests_within_slo_pct(), 4),
    ])
    .collect()
}

/// A latency in ms with 3 decimals; `inf` for a window with requests and none
/// served; empty for none.
fn opt_ms(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_infinite() => "inf".into(),
        other => opt(other, 3),
    }
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

/// `summary.json`: the summary's fields under `summary.csv`'s names (numbers
/// as numbers, verdicts as booleans, empty as null), the SLO windows that
/// missed, the alerts, and the run's provenance (version, overrides, seed,
/// trace checksum, effective scenario).
pub fn summary_json(o: &RunOutcome, info: &RunInfo) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let mut m = Map::new();
    let mut columns = SUMMARY_COLUMNS.to_vec();
    let mut record = summary_record(o, info);
    if o.summary.usage.is_some() {
        columns.extend(USAGE_SUMMARY_COLUMNS);
        record.extend(usage_record(o));
    }
    for (k, v) in columns.iter().zip(record) {
        let value = match *k {
            "scenario" | "trace" | "llm_cost_by_model" => Value::String(v),
            _ if v.is_empty() || v == "inf" => Value::Null,
            _ if v == "true" || v == "false" => Value::Bool(v == "true"),
            _ => v
                .parse::<u64>()
                .map(Value::from)
                .or_else(|_| v.parse::<f64>().map(Value::from))
                .unwrap_or(Value::String(v)),
        };
        m.insert(k.to_string(), value);
    }
    let v = verdict(o, info);
    let window = |i: &usize| {
        let w = &o.windows[*i];
        json!({
            "start": info.time(w.t_s * 1_000_000),
            "t_s": w.t_s,
            "len_s": w.len_s,
            "arrived": w.arrived,
            "served": w.served,
            "dropped": w.dropped,
            "rejected": w.rejected,
            "served_within_slo": w.served_within_slo,
            // null: requests arrived and none was served in the window.
            "p95_ms": w.p95_ms,
        })
    };
    m.insert(
        "slo".into(),
        json!({
            "p95_ms": info.slo.p95_ms,
            "availability": info.slo.availability,
            "window": info.slo.window,
            "windows_met_pct": info.slo.windows_met_pct,
            "p95_met": v.p95_met,
            "availability_met": v.availability_met,
            "windows_met": v.windows_met,
            "met": v.met,
            "windows_missed": v.windows.missed.iter().map(window).collect::<Vec<_>>(),
        }),
    );
    m.insert(
        "alerts".into(),
        Value::Array(
            o.alerts
                .iter()
                .map(|a| {
                    json!({
                        "time": info.time(a.t_us),
                        "t_s": us_to_secs(a.t_us),
                        "kind": a.kind,
                        "name": a.name,
                        "threshold": a.threshold.value(),
                        "value": a.value,
                        "projected": a.projected,
                    })
                })
                .collect(),
        ),
    );
    m.insert(
        "provenance".into(),
        serde_json::to_value(&info.provenance).unwrap_or_default(),
    );
    Value::Object(m)
}

pub fn write_summary<W: Write>(w: W, o: &RunOutcome, info: &RunInfo) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    if o.summary.usage.is_some() {
        wr.write_record(SUMMARY_COLUMNS.iter().chain(USAGE_SUMMARY_COLUMNS))?;
        wr.write_record(summary_record(o, info).into_iter().chain(usage_record(o)))?;
    } else {
        wr.write_record(SUMMARY_COLUMNS)?;
        wr.write_record(summary_record(o, info))?;
    }
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
    // The SLO: served within the latency target this minute, and the p95 and
    // verdict of the SLO window the minute belongs to.
    "served_within_slo",
    "slo_window_p95_ms",
    "slo_window_met",
];

/// `timeline.csv`'s columns of the usage model, after [`TIMELINE_COLUMNS`],
/// in runs that have one: means per ready pod over the minute.
pub const USAGE_TIMELINE_COLUMNS: &[&str] = &[
    "cpu_usage_milli",
    "cpu_request_milli",
    "memory_usage_mb",
    "memory_request_mb",
    "cpu_throttled_pct",
];

pub fn write_timeline<W: Write>(w: W, o: &RunOutcome, info: &RunInfo) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    let with_usage = o.summary.usage.is_some();
    if with_usage {
        wr.write_record(TIMELINE_COLUMNS.iter().chain(USAGE_TIMELINE_COLUMNS))?;
    } else {
        wr.write_record(TIMELINE_COLUMNS)?;
    }
    let per = info.slo.window_minutes() as usize;
    for (k, r) in o.timeline.iter().enumerate() {
        let w = o.windows.get(k / per);
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
            })
            .chain([
                r.served_within_slo.to_string(),
                opt_ms(w.and_then(|w| w.counts().then(|| w.judged_p95_ms()))),
                w.filter(|w| w.counts())
                    .map(|w| (w.judged_p95_ms() <= info.slo.p95_ms).to_string())
                    .unwrap_or_default(),
            ])
            .chain(match (with_usage, &r.usage) {
                (false, _) => Vec::new(),
                (true, None) => vec![String::new(); USAGE_TIMELINE_COLUMNS.len()],
                (true, Some(u)) => vec![
                    format!("{:.1}", u.cpu_usage_milli),
                    format!("{:.1}", u.cpu_request_milli),
                    format!("{:.1}", u.memory_usage_mb),
                    format!("{:.1}", u.memory_request_mb),
                    format!("{:.2}", u.cpu_throttled_pct),
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

/// `vpa.csv`: the VPA's recommendation at each recommender loop (runs with
/// a VPA): capped target and bounds, the uncapped target, the confidence.
pub fn write_vpa<W: Write>(w: W, o: &RunOutcome, info: &RunInfo) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record([
        "time",
        "t_s",
        "pods_sampled",
        "target_cpu_milli",
        "lower_cpu_milli",
        "upper_cpu_milli",
        "target_memory_mb",
        "lower_memory_mb",
        "upper_memory_mb",
        "uncapped_target_cpu_milli",
        "uncapped_target_memory_mb",
        "confidence_days",
    ])?;
    for r in &o.vpa {
        wr.write_record([
            info.time(r.t_us),
            format!("{:.0}", us_to_secs(r.t_us)),
            r.pods_sampled.to_string(),
            format!("{:.0}", r.target_cpu_milli),
            format!("{:.0}", r.lower_cpu_milli),
            fmt_amount(r.upper_cpu_milli, 0),
            format!("{:.1}", r.target_memory_mb),
            format!("{:.1}", r.lower_memory_mb),
            fmt_amount(r.upper_memory_mb, 1),
            fmt_amount(r.uncapped_target_cpu_milli, 0),
            fmt_amount(r.uncapped_target_memory_mb, 1),
            format!("{:.4}", r.confidence_days),
        ])?;
    }
    wr.flush()?;
    Ok(())
}

/// The columns of `vpa_samples.csv`.
pub const VPA_SAMPLE_COLUMNS: [&str; 6] = [
    "time",
    "t_s",
    "pod",
    "cpu_cores",
    "memory_mb",
    "oom_request_mb",
];

/// `vpa_samples.csv`: every sample the VPA's recommender took, in order: a
/// pod's mean CPU over the last minute and its memory at the sample (empty
/// cells where not sampled), or an OOM kill with the container's memory
/// request. Numbers are written to round-trip exactly, so `meshsim vpa
/// explain --history` on the file rebuilds the run's recommendation.
pub fn write_vpa_samples<W: Write>(w: W, o: &RunOutcome, info: &RunInfo) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(VPA_SAMPLE_COLUMNS)?;
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| x.to_string());
    for s in &o.vpa_samples {
        wr.write_record([
            info.time(s.t_us),
            format!("{}.{:06}", s.t_us / 1_000_000, s.t_us % 1_000_000),
            s.pod.clone(),
            opt(s.cpu_cores),
            opt(s.memory_mb),
            opt(s.oom_request_mb),
        ])?;
    }
    wr.flush()?;
    Ok(())
}

fn fmt_amount(v: f64, prec: usize) -> String {
    if v.is_finite() {
        format!("{v:.prec$}")
    } else {
        "inf".into()
    }
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
    let mut json = serde_json::to_string_pretty(&summary_json(o, info))?;
    json.push('\n');
    std::fs::write(dir.join("summary.json"), json)?;
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
    if !o.vpa.is_empty() {
        write_vpa(file("vpa.csv")?, o, info).map_err(io)?;
        write_vpa_samples(file("vpa_samples.csv")?, o, info).map_err(io)?;
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
