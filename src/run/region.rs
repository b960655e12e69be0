//! Multi-region runs: the trace's traffic split among regions by weight, each
//! region simulated as a scenario of its own (its capacity, autoscaler and
//! prices), a failed region's share moved to the regions still up, written
//! data replicated between regions at inter-region transfer prices, and the
//! regions' outcomes merged into one.
//!
//! Splitting. A rate or count row gives each region `value × share` (Poisson
//! arrivals thinned by independent routing are Poisson with the thinned rate,
//! so this is the same in distribution as routing each request; a rate row
//! that spans a failure or recovery is split there; a count row keeps the
//! share at its start). A request row goes to one region, drawn from the
//! shares at its time with a hash of the run seed and the row's position, so
//! every region's pass agrees on where each request went.
//!
//! Merging. Counts and costs add; latency percentiles come from the regions'
//! histograms added together (the whole run's and each minute's), so they are
//! exact, not averaged. `replicas_max` is the largest sum of the regions'
//! replicas at a minute's end.

use crate::engine::{ArrivalProcess, simulate};
use crate::metrics::{
    AlertRow, FixedCost, LatencyHistogram, RegionOutcome, RunOutcome, Summary, TimelineRow,
    quantile_ms,
};
use crate::rng::{fnv1a, mix64};
use crate::run::{Rows, RunError, sim_config};
use crate::scenario::{RegionPlan, Scenario};
use crate::trace::{TraceKind, TraceMeta, TraceRow};
use crate::units::secs_to_us;
use rayon::prelude::*;

/// Each region's share of the traffic over time.
#[derive(Clone, Debug)]
pub struct Shares {
    /// Times (µs) at which the set of regions up changes, with the shares
    /// from then on; the first entry is at 0.
    pub steps: Vec<(u64, Vec<f64>)>,
}

impl Shares {
    /// Traffic returns to a recovered region once its replicas had time to
    /// start (`service.startup_s` after the recovery), as a load balancer's
    /// health checks would have it.
    pub fn new(regions: &[RegionPlan], end_us: u64) -> Shares {
        let outages: Vec<Vec<(u64, u64)>> = regions
            .iter()
            .map(|r| {
                let warm = secs_to_us(r.scenario.service.startup_s);
                outages_us(r)
                    .into_iter()
                    .map(|(a, b)| (a, b.saturating_add(warm)))
                    .collect()
            })
            .collect();
        let mut times: Vec<u64> = vec![0];
        for o in outages.iter().flatten() {
            for t in [o.0, o.1] {
                if t > 0 && t < end_us {
                    times.push(t);
                }
            }
        }
        times.sort_unstable();
        times.dedup();
        let steps = times
            .into_iter()
            .map(|t| {
                let up: Vec<bool> = outages
                    .iter()
                    .map(|os| !os.iter().any(|&(a, b)| t >= a && t < b))
                    .collect();
                let total: f64 = regions
                    .iter()
                    .zip(&up)
                    .filter(|(_, u)| **u)
                    .map(|(r, _)| r.weight)
                    .sum();
                let shares = regions
                    .iter()
                    .zip(&up)
                    .map(|(r, u)| {
                        if *u && total > 0.0 {
                            r.weight / total
                        } else {
                            0.0
                        }
                    })
                    .collect();
                (t, shares)
            })
            .collect();
        Shares { steps }
    }

    /// The shares in force at `t_us`.
    pub fn at(&self, t_us: u64) -> &[f64] {
        let i = self.steps.partition_point(|s| s.0 <= t_us);
        &self.steps[i.saturating_sub(1)].1
    }

    /// Boundaries strictly inside `(a, b)`.
    fn between(&self, a: u64, b: u64) -> impl Iterator<Item = u64> + '_ {
        self.steps
            .iter()
            .map(|s| s.0)
            .filter(move |&t| t > a && t < b)
    }
}

/// A region's outages in µs (no recovery: `u64::MAX`).
fn outages_us(r: &RegionPlan) -> Vec<(u64, u64)> {
    r.outages_s
        .iter()
        .map(|(a, b)| (secs_to_us(*a), b.map_or(u64::MAX, secs_to_us)))
        .collect()
}

/// The region a request goes to: `u` in [0, 1) against the cumulative shares.
pub fn pick(u: f64, shares: &[f64]) -> usize {
    let mut acc = 0.0;
    for (i, s) in shares.iter().enumerate() {
        acc += s;
        if u < acc {
            return i;
        }
    }
    // Rounding: the last region that is up.
    shares.iter().rposition(|s| *s > 0.0).unwrap_or(0)
}

/// A uniform number in [0, 1) for the `j`-th request of the run with `seed`.
fn route_u(seed: u64, j: u64) -> f64 {
    (mix64(mix64(seed ^ 0x5245_4749_4f4e) ^ j) >> 11) as f64 / (1u64 << 53) as f64
}

/// The rows region `idx` sees.
pub struct RegionRows<'a, I: Iterator<Item = TraceRow>> {
    rows: I,
    /// Trace `region` value hashes routed to each region.
    routes: &'a [Vec<u64>],
    kind: TraceKind,
    shares: &'a Shares,
    idx: usize,
    seed: u64,
    end_us: u64,
    /// Requests seen so far (request traces).
    j: u64,
    prev: Option<TraceRow>,
    out: std::collections::VecDeque<TraceRow>,
    done: bool,
}

impl<'a, I: Iterator<Item = TraceRow>> RegionRows<'a, I> {
    pub fn new(
        rows: I,
        kind: TraceKind,
        shares: &'a Shares,
        routes: &'a [Vec<u64>],
        idx: usize,
        seed: u64,
        end_us: u64,
    ) -> Self {
        RegionRows {
            rows,
            routes,
            kind,
            shares,
            idx,
            seed,
            end_us,
            j: 0,
            prev: None,
            out: Default::default(),
            done: false,
        }
    }

    fn scaled(&self, r: TraceRow, t_us: u64) -> TraceRow {
        TraceRow {
            t_us,
            value: r.value * self.shares.at(t_us)[self.idx],
            ..r
        }
    }
}

impl<I: Iterator<Item = TraceRow>> Iterator for RegionRows<'_, I> {
    type Item = TraceRow;

    fn next(&mut self) -> Option<TraceRow> {
        loop {
            if let Some(r) = self.out.pop_front() {
                return Some(r);
            }
            if self.done {
                return None;
            }
            let Some(r) = self.rows.next() else {
                self.done = true;
                // A rate row running past a boundary to the end.
                if self.kind == TraceKind::Rate
                    && let Some(p) = self.prev
                {
                    let cuts: Vec<u64> = self.shares.between(p.t_us, self.end_us).collect();
                    for b in cuts {
                        let row = self.scaled(p, b);
                        self.out.push_back(row);
                    }
                }
                continue;
            };
            match self.kind {
                TraceKind::Request => {
                    let u = route_u(self.seed, self.j);
                    self.j += 1;
                    let shares = self.shares.at(r.t_us);
                    // Routed by the trace's `region` column to a region that
                    // is up; otherwise by weight.
                    let routed = r.region.and_then(|h| {
                        self.routes
                            .iter()
                            .position(|rs| rs.contains(&h))
                            .filter(|&i| shares[i] > 0.0)
                    });
                    if routed.unwrap_or_else(|| pick(u, shares)) == self.idx {
                        return Some(r);
                    }
                }
                TraceKind::Rate => {
                    if let Some(p) = self.prev {
                        let cuts: Vec<u64> = self.shares.between(p.t_us, r.t_us).collect();
                        for b in cuts {
                            let row = self.scaled(p, b);
                            self.out.push_back(row);
                        }
                    }
                    self.prev = Some(r);
                    let row = self.scaled(r, r.t_us);
                    self.out.push_back(row);
                }
                TraceKind::Count => {
                    return Some(self.scaled(r, r.t_us));
                }
            }
        }
    }
}

/// The seed of one region's run.
fn region_seed(seed: u64, name: &str) -> u64 {
    mix64(seed ^ fnv1a(name.as_bytes()))
}

/// Simulates every region of `scenario` on the trace and merges them. The
/// trace was validated by `meta`'s scan.
pub fn run_regions(
    scenario: &Scenario,
    rows: Rows<'_>,
    meta: &TraceMeta,
    seed: u64,
    arrivals: ArrivalProcess,
    mode: crate::engine::SimMode,
) -> Result<RunOutcome, RunError> {
    let routes: Vec<Vec<u64>> = scenario.regions.iter().map(|r| r.route.clone()).collect();
    if meta.kind != TraceKind::Request && routes.iter().any(|r| !r.is_empty()) {
        return Err(RunError::Incompatible(format!(
            "scenario `{}` routes requests by the trace's `region` column (regions[].route), \
             which needs a request trace (one row per request); {} has a rate or count per row",
            scenario.name,
            meta.path.display()
        )));
    }
    let shares = Shares::new(&scenario.regions, meta.end_us);
    let n = scenario.regions.len();
    let bytes = scenario.replication_bytes_per_request;
    let runs: Vec<RunOutcome> = scenario
        .regions
        .par_iter()
        .enumerate()
        .map(|(i, r)| -> Result<RunOutcome, RunError> {
            let mut cfg = sim_config(&r.scenario, meta, arrivals)?;
            cfg.outages = outages_us(r);
            cfg.keep_minute_histograms = true;
            cfg.fluid = !mode.is_exact();
            let mut pass = rows.open_scaled(meta.kind, scenario.trace_scale, seed)?;
            let split =
                RegionRows::new(&mut pass, meta.kind, &shares, &routes, i, seed, meta.end_us);
            let mut out = simulate(cfg, split, region_seed(seed, &r.name));
            if let Some(e) = pass.failure {
                return Err(e.into());
            }
            crate::billing::fixed::apply(&r.scenario.fixed, &mut out);
            replicate(&mut out, bytes, (n - 1) as f64, r.replication_usd_per_gb);
            Ok(out)
        })
        .collect::<Result<_, _>>()?;
    Ok(merge(
        &scenario.regions,
        runs,
        scenario.slo.window_minutes(),
    ))
}

/// Adds the cost of copying each served request's written bytes to every
/// other region (cumulative, in the network component).
fn replicate(out: &mut RunOutcome, bytes: f64, copies: f64, usd_per_gb: f64) {
    if bytes <= 0.0 || usd_per_gb <= 0.0 {
        return;
    }
    let per_request = bytes * copies / 1e9 * usd_per_gb;
    let mut served = 0u64;
    for row in &mut out.timeline {
        served += row.served;
        row.fixed.network_usd += served as f64 * per_request;
    }
    out.summary.fixed.network_usd += out.summary.requests_served as f64 * per_request;
}

fn weighted(pairs: impl Iterator<Item = (Option<f64>, u64)>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0u64);
    for (v, w) in pairs {
        if let Some(v) = v {
            sum += v * w as f64;
            n += w;
        }
    }
    (n > 0).then(|| sum / n as f64)
}

/// One outcome from the regions' outcomes (same trace, same minute grid).
pub fn merge(regions: &[RegionPlan], runs: Vec<RunOutcome>, window_minutes: u32) -> RunOutcome {
    let mut latency = LatencyHistogram::new();
    for r in &runs {
        latency.add(&r.latency);
    }
    let rows = runs.iter().map(|r| r.timeline.len()).max().unwrap_or(0);
    let mut timeline = Vec::with_capacity(rows);
    let mut minute = LatencyHistogram::new();
    let mut windows = crate::metrics::WindowAcc::new(window_minutes);
    for k in 0..rows {
        let present: Vec<&TimelineRow> = runs.iter().filter_map(|r| r.timeline.get(k)).collect();
        let first = present[0];
        minute.reset();
        for r in &runs {
            if let Some(h) = r.minute_latency.get(k) {
                h.add_to(&mut minute);
            }
        }
        let ready: u32 = present.iter().map(|r| r.replicas_ready).sum();
        let fixed = present
            .iter()
            .fold(FixedCost::default(), |a, r| a.plus(&r.fixed));
        timeline.push(TimelineRow {
            t_s: first.t_s,
            len_s: first.len_s,
            arrived: present.iter().map(|r| r.arrived).sum(),
            served: present.iter().map(|r| r.served).sum(),
            dropped: present.iter().map(|r| r.dropped).sum(),
            rejected: present.iter().map(|r| r.rejected).sum(),
            served_within_slo: present.iter().map(|r| r.served_within_slo).sum(),
            replicas_ready: ready,
            replicas_total: present.iter().map(|r| r.replicas_total).sum(),
            replicas_desired: present.iter().map(|r| r.replicas_desired).sum(),
            replicas_spot: present.iter().map(|r| r.replicas_spot).sum(),
            // Weighted by ready replicas (equal concurrency per replica).
            cpu_util: if ready > 0 {
                present
                    .iter()
                    .map(|r| r.cpu_util * f64::from(r.replicas_ready))
                    .sum::<f64>()
                    / f64::from(ready)
            } else {
                0.0
            },
            queue_depth: present.iter().map(|r| r.queue_depth).sum(),
            latency_p50_ms: quantile_ms(&minute, 0.50),
            latency_p95_ms: quantile_ms(&minute, 0.95),
            latency_p99_ms: quantile_ms(&minute, 0.99),
            cost_compute_usd: present.iter().map(|r| r.cost_compute_usd).sum(),
            cost_compute_spot_usd: present.iter().map(|r| r.cost_compute_spot_usd).sum(),
            fixed,
            cost_llm_usd: present.iter().map(|r| r.cost_llm_usd).sum(),
            // Multi-region scenarios on nodes are refused at validation.
            cost_control_plane_usd: 0.0,
            nodes: None,
            usage: None,
        });
        windows.add_minute(timeline.last().expect("just pushed"), &minute);
    }
    let s: Vec<&Summary> = runs.iter().map(|r| &r.summary).collect();
    let sum_u = |f: fn(&Summary) -> u64| s.iter().map(|x| f(x)).sum::<u64>();
    let sum_f = |f: fn(&Summary) -> f64| s.iter().map(|x| f(x)).sum::<f64>();
    let mut by_model: Vec<(String, f64)> = Vec::new();
    for x in &s {
        for (m, c) in &x.llm_cost_by_model {
            match by_model.iter_mut().find(|(k, _)| k == m) {
                Some(e) => e.1 += c,
                None => by_model.push((m.clone(), *c)),
            }
        }
    }
    let summary = Summary {
        sim_seconds: s[0].sim_seconds,
        requests_arrived: sum_u(|x| x.requests_arrived),
        requests_served: sum_u(|x| x.requests_served),
        requests_dropped: sum_u(|x| x.requests_dropped),
        requests_rejected: sum_u(|x| x.requests_rejected),
        requests_in_flight: sum_u(|x| x.requests_in_flight),
        requests_within_slo: sum_u(|x| x.requests_within_slo),
        latency_mean_ms: weighted(s.iter().map(|x| (x.latency_mean_ms, x.requests_served))),
        latency_p50_ms: quantile_ms(&latency, 0.50),
        latency_p90_ms: quantile_ms(&latency, 0.90),
        latency_p95_ms: quantile_ms(&latency, 0.95),
        latency_p99_ms: quantile_ms(&latency, 0.99),
        latency_max_ms: s.iter().filter_map(|x| x.latency_max_ms).reduce(f64::max),
        wait_mean_ms: weighted(s.iter().map(|x| (x.wait_mean_ms, x.requests_started))),
        wait_probability: weighted(s.iter().map(|x| (x.wait_probability, x.requests_started))),
        requests_started: sum_u(|x| x.requests_started),
        replica_hours_on_demand: sum_f(|x| x.replica_hours_on_demand),
        replica_hours_spot: sum_f(|x| x.replica_hours_spot),
        replicas_mean: sum_f(|x| x.replicas_mean),
        ready_replica_seconds: sum_f(|x| x.ready_replica_seconds),
        replicas_max: timeline.iter().map(|r| r.replicas_total).max().unwrap_or(0),
        spot_interruptions: sum_u(|x| x.spot_interruptions),
        cost_compute_usd: sum_f(|x| x.cost_compute_usd),
        cost_compute_spot_usd: sum_f(|x| x.cost_compute_spot_usd),
        fixed: s.iter().fold(FixedCost::default(), |a, x| a.plus(&x.fixed)),
        cost_llm_usd: sum_f(|x| x.cost_llm_usd),
        llm_calls: sum_u(|x| x.llm_calls),
        llm_tokens_in: sum_u(|x| x.llm_tokens_in),
        llm_tokens_out: sum_u(|x| x.llm_tokens_out),
        llm_rejected: sum_u(|x| x.llm_rejected),
        llm_downgraded: sum_u(|x| x.llm_downgraded),
        llm_cost_unlimited_usd: sum_f(|x| x.llm_cost_unlimited_usd),
        llm_cost_by_model: by_model,
        budget_alerts_fired: 0,
        budget_alerts_projected: 0,
        nodes: None,
        usage: None,
    };
    let mut scaling = Vec::new();
    let mut alerts: Vec<AlertRow> = Vec::new();
    for (r, out) in regions.iter().zip(&runs) {
        for e in &out.scaling {
            let mut e = e.clone();
            e.autoscaler = format!("{}/{}", r.name, e.autoscaler);
            scaling.push(e);
        }
        for a in &out.alerts {
            let mut a = a.clone();
            a.name = format!("{}/{}", r.name, a.name);
            alerts.push(a);
        }
    }
    scaling.sort_by_key(|e| e.t_us);
    alerts.sort_by_key(|a| a.t_us);
    let region_outcomes = regions
        .iter()
        .zip(runs)
        .map(|(r, mut out)| {
            out.minute_latency = Vec::new();
            RegionOutcome {
                name: r.name.clone(),
                aws_region: r.aws_region.clone(),
                weight: r.weight,
                outages_s: r.outages_s.clone(),
                outcome: out,
            }
        })
        .collect();
    RunOutcome {
        summary,
        timeline,
        scaling,
        alerts,
        latency,
        minute_latency: Vec::new(),
        windows: windows.finish(),
        regions: region_outcomes,
        nodes: Vec::new(),
        explained: None,
        vpa: Vec::new(),
        vpa_samples: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_follows_cumulative_shares() {
        let s = [0.5, 0.3, 0.2];
        assert_eq!(pick(0.0, &s), 0);
        assert_eq!(pick(0.49, &s), 0);
        assert_eq!(pick(0.5, &s), 1);
        assert_eq!(pick(0.79, &s), 1);
        assert_eq!(pick(0.81, &s), 2);
        assert_eq!(pick(0.999_999_999, &[0.5, 0.5, 0.0]), 1);
    }
}
