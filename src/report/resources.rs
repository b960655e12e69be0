//! The review's "Resources" section (runs with a usage model): what pods
//! used against what they requested, throttling and OOM kills, the VPA's
//! recommendation and what its updater did, and requests hour by hour.

use super::RunInfo;
use super::html::{Block, Table};
use crate::metrics::{RunOutcome, UsageSummary};

/// Appends the section to `b`.
pub fn blocks(b: &mut Vec<Block<'_>>, o: &RunOutcome, info: &RunInfo, u: &UsageSummary) {
    b.push(Block::Heading("Resources".into()));
    let rows: Vec<_> = o
        .timeline
        .iter()
        .filter_map(|r| r.usage.map(|u| (r, u)))
        .collect();
    // Means over ready-pod time: each row weighs its ready replicas × length.
    let weight = |r: &crate::metrics::TimelineRow| f64::from(r.replicas_ready) * r.len_s;
    let total: f64 = rows.iter().map(|(r, _)| weight(r)).sum();
    let mean = |f: fn(&crate::metrics::UsageRow) -> f64| {
        if total > 0.0 {
            rows.iter().map(|(r, x)| weight(r) * f(x)).sum::<f64>() / total
        } else {
            0.0
        }
    };
    let (cpu_u, cpu_r) = (mean(|x| x.cpu_usage_milli), mean(|x| x.cpu_request_milli));
    let (mem_u, mem_r) = (mean(|x| x.memory_usage_mb), mean(|x| x.memory_request_mb));
    let pct = |a: f64, b: f64| if b > 0.0 { a / b * 100.0 } else { 0.0 };
    let mut p = format!(
        "Per ready pod, over the run: CPU {cpu_u:.0}m used of {cpu_r:.0}m requested ({:.0} %), memory {mem_u:.0} MB of {mem_r:.0} MB ({:.0} %); the HPA's cpu and memory utilisation is this usage over the request. ",
        pct(cpu_u, cpu_r),
        pct(mem_u, mem_r)
    );
    p.push_str(&format!(
        "Pods ran throttled (CPU demand above the limit, in-service requests slowed) {:.3} % of ready-pod time; {} OOM kill(s) (their in-flight requests dropped, counted in `dropped`).",
        u.cpu_throttled_pct, u.oom_kills
    ));
    b.push(Block::Para(p));
    if let Some(last) = o.vpa.last() {
        let first_req = rows.first().map_or(0.0, |(_, x)| x.cpu_request_milli);
        let last_req = rows.last().map_or(0.0, |(_, x)| x.cpu_request_milli);
        let first_mem = rows.first().map_or(0.0, |(_, x)| x.memory_request_mb);
        let last_mem = rows.last().map_or(0.0, |(_, x)| x.memory_request_mb);
        b.push(Block::Para(format!(
            "The VPA: {} recommender loops; at the end its target was CPU {:.0}m (bounds {:.0}m..{}) and memory {:.1} MB (bounds {:.1}..{} MB) at {:.3} days of confidence; the updater evicted {} pod(s) and resized {} in place. Requests per ready pod went from {first_req:.0}m / {first_mem:.0} MB to {last_req:.0}m / {last_mem:.0} MB. vpa.csv holds every recommendation, vpa_samples.csv every usage sample (`meshsim vpa explain --history vpa_samples.csv` recomputes the last one), scaling.csv every request change and eviction (autoscaler `vpa`).",
            o.vpa.len(),
            last.target_cpu_milli,
            last.lower_cpu_milli,
            fmt_bound(last.upper_cpu_milli, "m", 0),
            last.target_memory_mb,
            last.lower_memory_mb,
            fmt_bound(last.upper_memory_mb, "", 1),
            last.confidence_days,
            u.vpa_evictions,
            u.vpa_resizes,
        )));
    }
    let loops: Vec<&String> = info
        .about
        .warnings
        .iter()
        .filter(|w| w.contains("while the VPA"))
        .collect();
    for w in loops {
        b.push(Block::Para(format!("Warning: {w}")));
    }
    b.push(Block::Table(hourly(o, info)));
}

fn fmt_bound(v: f64, unit: &str, prec: usize) -> String {
    if v.is_finite() {
        format!("{v:.prec$}{unit}")
    } else {
        "unbounded".into()
    }
}

/// Requests over time, hour by hour: replicas, CPU and memory used and
/// requested per ready pod, and the VPA's target at the hour's end.
fn hourly(o: &RunOutcome, info: &RunInfo) -> Table {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut hour = 0u64;
    let mut acc = Acc::default();
    let flush = |rows: &mut Vec<Vec<String>>, hour: u64, a: &Acc, end_us: u64| {
        if a.w <= 0.0 && a.len <= 0.0 {
            return;
        }
        let m = |v: f64| if a.w > 0.0 { v / a.w } else { 0.0 };
        let vpa = o.vpa.iter().rev().find(|v| v.t_us <= end_us);
        rows.push(vec![
            info.time(hour * 3_600_000_000),
            format!("{:.2}", if a.len > 0.0 { a.replicas / a.len } else { 0.0 }),
            format!("{:.0}", m(a.cpu_u)),
            format!("{:.0}", m(a.cpu_r)),
            format!("{:.0}", m(a.mem_u)),
            format!("{:.0}", m(a.mem_r)),
            vpa.map_or("–".into(), |v| {
                format!("{:.0}m / {:.0} MB", v.target_cpu_milli, v.target_memory_mb)
            }),
        ]);
    };
    for r in &o.timeline {
        let h = r.t_s / 3600;
        if h != hour {
            flush(&mut rows, hour, &acc, h * 3_600_000_000);
            acc = Acc::default();
            hour = h;
        }
        let Some(u) = r.usage else { continue };
        let w = f64::from(r.replicas_ready) * r.len_s;
        acc.w += w;
        acc.len += r.len_s;
        acc.replicas += f64::from(r.replicas_ready) * r.len_s;
        acc.cpu_u += w * u.cpu_usage_milli;
        acc.cpu_r += w * u.cpu_request_milli;
        acc.mem_u += w * u.memory_usage_mb;
        acc.mem_r += w * u.memory_request_mb;
    }
    let end_us = o
        .timeline
        .last()
        .map_or(0, |r| ((r.t_s as f64 + r.len_s) * 1e6) as u64);
    flush(&mut rows, hour, &acc, end_us);
    Table {
        id: "resources",
        head: vec![
            "hour from".into(),
            "ready replicas".into(),
            "CPU used, m".into(),
            "CPU requested, m".into(),
            "memory used, MB".into(),
            "memory requested, MB".into(),
            "VPA target at the hour's end".into(),
        ],
        rows,
    }
}

#[derive(Default)]
struct Acc {
    w: f64,
    len: f64,
    replicas: f64,
    cpu_u: f64,
    cpu_r: f64,
    mem_u: f64,
    mem_r: f64,
}
