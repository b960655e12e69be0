//! The terminal summary of a run, as a writer: what `meshsim run` prints.

use super::{RunInfo, month_seconds, projected_month_usd};
use crate::metrics::{RunOutcome, Threshold};
use std::io::{Result, Write};

/// A latency for people, `n/a` when there is none.
fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1} ms"))
        .unwrap_or_else(|| "n/a".into())
}

/// The summary of a run: traffic, latency, replicas, costs (with `pricing`,
/// how the prices were found), LLM calls, regions, alerts, warnings and the
/// SLO verdict.
pub fn write_run_summary<W: Write>(
    w: &mut W,
    o: &RunOutcome,
    info: &RunInfo,
    pricing: &[String],
) -> Result<()> {
    write_traffic(w, o, info)?;
    write_costs(w, o, info, pricing)?;
    write_llm_and_regions(w, o)?;
    write_alerts(w, o, info)?;
    for warn in &info.about.warnings {
        writeln!(w, "  warning      {warn}")?;
    }
    write_slo(w, o, info)
}

fn write_traffic<W: Write>(w: &mut W, o: &RunOutcome, info: &RunInfo) -> Result<()> {
    let s = &o.summary;
    writeln!(
        w,
        "meshsim run: {} on {} (seed {}), {:.1} h simulated",
        info.scenario,
        info.trace,
        info.seed,
        s.sim_seconds / 3600.0
    )?;
    writeln!(
        w,
        "  requests     {} arrived, {} served, {} dropped (timeout), {} rejected (queue full or LLM limit), {} in flight at the end",
        s.requests_arrived,
        s.requests_served,
        s.requests_dropped,
        s.requests_rejected,
        s.requests_in_flight
    )?;
    writeln!(
        w,
        "  latency      p50 {}, p95 {}, p99 {}, max {}",
        ms(s.latency_p50_ms),
        ms(s.latency_p95_ms),
        ms(s.latency_p99_ms),
        ms(s.latency_max_ms)
    )?;
    writeln!(w, "  availability {:.4} %", s.availability() * 100.0)?;
    if s.nodes.is_some() {
        writeln!(
            w,
            "  replicas     mean {:.2}, max {}, {:.2} pod-hours (billed through their nodes)",
            s.replicas_mean, s.replicas_max, s.replica_hours_on_demand
        )?;
    } else {
        writeln!(
            w,
            "  replicas     mean {:.2}, max {}, {:.2} replica-hours on demand, {:.2} spot, {} spot interruptions",
            s.replicas_mean,
            s.replicas_max,
            s.replica_hours_on_demand,
            s.replica_hours_spot,
            s.spot_interruptions
        )?;
    }
    if let Some(n) = &s.nodes {
        writeln!(
            w,
            "  nodes        mean {:.2}, max {}, {:.2} node-hours on demand, {:.2} spot, {} spot interruptions; requests {:.1} % of allocatable; pods waited {:.0} pod-s for room",
            n.nodes_mean,
            n.nodes_max,
            n.node_hours_on_demand,
            n.node_hours_spot,
            n.node_interruptions,
            n.request_utilization_mean * 100.0,
            n.pods_unschedulable_seconds
        )?;
    }
    Ok(())
}

fn write_costs<W: Write>(
    w: &mut W,
    o: &RunOutcome,
    info: &RunInfo,
    pricing: &[String],
) -> Result<()> {
    let s = &o.summary;
    match &s.nodes {
        Some(n) => writeln!(
            w,
            "  cost         nodes ${:.4}, control plane ${:.4}, fixed ${:.4}, LLM ${:.4}, total ${:.4}",
            s.cost_compute_usd,
            n.cost_control_plane_usd,
            s.cost_fixed_usd(),
            s.cost_llm_usd,
            s.cost_total_usd()
        )?,
        None => writeln!(
            w,
            "  cost         compute ${:.4}, fixed ${:.4}, LLM ${:.4}, total ${:.4}",
            s.cost_compute_usd,
            s.cost_fixed_usd(),
            s.cost_llm_usd,
            s.cost_total_usd()
        )?,
    }
    for p in pricing {
        writeln!(w, "               ({p})")?;
    }
    let f = &s.fixed;
    if f.total() > 0.0 {
        writeln!(
            w,
            "               fixed: database ${:.4}, cache ${:.4}, network ${:.4}, load balancer ${:.4}, storage ${:.4}",
            f.database_usd, f.cache_usd, f.network_usd, f.load_balancer_usd, f.storage_usd
        )?;
    }
    writeln!(
        w,
        "  month        ${:.2} projected for the month (this run's average cost rate over {:.0} days)",
        projected_month_usd(s, info.start_epoch_us),
        month_seconds(info.start_epoch_us) / 86_400.0
    )?;
    Ok(())
}

fn write_llm_and_regions<W: Write>(w: &mut W, o: &RunOutcome) -> Result<()> {
    let s = &o.summary;
    if s.llm_calls + s.llm_rejected > 0 {
        writeln!(
            w,
            "  llm          {} calls, {} tokens in, {} out, ${:.4}; {} rejected, {} downgraded by limits; without limits ${:.4} (saved ${:.4})",
            s.llm_calls,
            s.llm_tokens_in,
            s.llm_tokens_out,
            s.cost_llm_usd,
            s.llm_rejected,
            s.llm_downgraded,
            s.llm_cost_unlimited_usd,
            s.llm_cost_unlimited_usd - s.cost_llm_usd
        )?;
    }
    for r in &o.regions {
        let rs = &r.outcome.summary;
        writeln!(
            w,
            "  region       {} ({:.0} %): {} served, {} dropped, p95 {}, ${:.4}{}",
            r.name,
            r.weight * 100.0,
            rs.requests_served,
            rs.requests_dropped,
            ms(rs.latency_p95_ms),
            rs.cost_total_usd(),
            if r.outages_s.is_empty() {
                String::new()
            } else {
                " (with an outage)".to_string()
            }
        )?;
    }
    Ok(())
}

fn write_alerts<W: Write>(w: &mut W, o: &RunOutcome, info: &RunInfo) -> Result<()> {
    const SHOWN_ALERTS: usize = 6;
    if o.alerts.len() > SHOWN_ALERTS {
        writeln!(
            w,
            "  alerts       {} (the first {SHOWN_ALERTS} below; all in alerts.csv)",
            o.alerts.len()
        )?;
    }
    for a in o.alerts.iter().take(SHOWN_ALERTS) {
        let threshold = match a.threshold {
            Threshold::Usd(v) => format!("${v} limit"),
            Threshold::Percent(v) => format!("{v}%"),
        };
        writeln!(
            w,
            "  alert        {} {} {threshold} at {}{}: ${:.2}",
            a.name,
            a.kind,
            info.time(a.t_us),
            if a.projected {
                " (projected past the trace)"
            } else {
                ""
            },
            a.value
        )?;
    }
    Ok(())
}

fn write_slo<W: Write>(w: &mut W, o: &RunOutcome, info: &RunInfo) -> Result<()> {
    let (_, words) = super::review::slo_verdict(o, info);
    writeln!(w, "  SLO          {words}")?;
    let v = super::verdict(o, info);
    let spans = super::missed_spans(o, info, &v, 4);
    if !spans.is_empty() {
        writeln!(w, "  missed       {}", spans.join("; "))?;
    }
    writeln!(
        w,
        "  goodput      {}",
        super::review::goodput_phrase(o, info)
    )?;
    Ok(())
}
