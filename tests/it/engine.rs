//! The engine's fast loop (`engine::fast_segment`: requests' events between
//! the other events, completions left in the heap until an arrival takes
//! their slot) against the reference loop that makes every completion an
//! event (`simulate_event_by_event`). Both must give the same outcome to the
//! bit — summary, timeline, scaling events, histograms — on every built-in
//! scenario and on configurations made to hit the orderings that matter:
//! equal times (constant service and evenly spaced arrivals put completions,
//! arrivals, ticks and minute boundaries on the same microsecond), timeouts
//! and a queue limit under overload, scale-in while replicas still serve
//! (draining decides when billing stops), spot interruptions and an outage.

use super::rate_row;
use meshsim::billing::PriceBook;
use meshsim::engine::{ArrivalProcess, SimConfig, SpotPlan, simulate, simulate_event_by_event};
use meshsim::metrics::RunOutcome;
use meshsim::model::service::ServiceDist;
use meshsim::model::spot::Interruption;
use meshsim::run::sim_config;
use meshsim::trace::TraceRow;

/// Both loops on the same input; the outcomes' full debug forms (every
/// float printed to its last bit) must be equal.
fn same(name: &str, cfg: SimConfig, rows: &[TraceRow], seed: u64) -> RunOutcome {
    let fast = simulate(cfg.clone(), rows.iter().copied(), seed);
    let reference = simulate_event_by_event(cfg, rows.iter().copied(), seed);
    let (f, r) = (format!("{fast:?}"), format!("{reference:?}"));
    if f != r {
        let at = f
            .bytes()
            .zip(r.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(f.len().min(r.len()));
        let from = at.saturating_sub(200);
        panic!(
            "{name}: the fast loop differs from the reference at byte {at}:\n fast: …{}\n  ref: …{}",
            &f[from..(at + 200).min(f.len())],
            &r[from..(at + 200).min(r.len())]
        );
    }
    fast
}

/// A day of rates: quiet, a steep morning ramp, a burst above capacity, the
/// evening fall (so an autoscaler scales out and back in).
fn day_rows(scale: f64) -> Vec<TraceRow> {
    let shape = [
        5.0, 5.0, 8.0, 20.0, 60.0, 120.0, 200.0, 400.0, 160.0, 90.0, 40.0, 10.0,
    ];
    shape
        .iter()
        .enumerate()
        .map(|(i, &r)| rate_row(i as f64 * 600.0, r * scale))
        .collect()
}

#[test]
fn fast_loop_equals_the_reference_on_every_builtin_scenario() {
    let (meta, rows) = super::peak_trace();
    let book = PriceBook::builtin();
    let mut checked = 0;
    for name in meshsim::scenario::builtin::names() {
        let sc = meshsim::scenario::resolve(name, &[], &[], &book).unwrap();
        if !sc.regions.is_empty() {
            continue; // each region runs the same engine on its share
        }
        let rows: Vec<TraceRow> = rows
            .iter()
            .map(|r| TraceRow {
                value: r.value * sc.trace_scale,
                ..*r
            })
            .collect();
        // Poisson arrivals, and evenly spaced ones (`--arrivals uniform`),
        // whose regular times meet ticks and control times more often.
        for arrivals in [ArrivalProcess::Poisson, ArrivalProcess::Uniform] {
            let cfg = sim_config(&sc, &meta, arrivals).unwrap();
            same(&format!("{name} ({arrivals:?})"), cfg, &rows, 1);
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} built-in scenarios checked");
}

#[test]
fn fast_loop_equals_the_reference_on_ties() {
    // 100 ms constant service and 40 evenly spaced arrivals a second (one
    // every 25 ms, from 12.5 ms): completions fall on arrivals' microseconds
    // and on second and minute boundaries.
    for (replicas, conc, rps) in [(1, 4, 40.0), (2, 2, 40.0), (3, 1, 30.0), (1, 4, 44.0)] {
        let mut cfg = SimConfig::fixed_pool(replicas, conc, ServiceDist::Constant(100_000), 1_800);
        cfg.arrivals = ArrivalProcess::Uniform;
        let o = same(
            &format!("ties {replicas}x{conc} at {rps}/s"),
            cfg,
            &[rate_row(0.0, rps)],
            3,
        );
        assert!(o.summary.requests_served > 0);
    }
}

#[test]
fn fast_loop_equals_the_reference_when_control_and_completions_share_a_microsecond() {
    // An HPA syncing every 15 s, constant 250 ms service and evenly spaced
    // arrivals above capacity: requests wait, and completions fall on the
    // very microsecond of a tick and a sync. At that instant the tick comes
    // first, then the completions (each gives its slot to the next waiting
    // request), then the sync: the completions due then are events, not
    // slots freed earlier.
    for (conc, rps) in [(1, 9.0), (2, 12.0), (4, 30.0)] {
        let mut cfg = SimConfig::fixed_pool(1, conc, ServiceDist::Constant(250_000), 1_200)
            .with_cpu_hpa(1, 3, 50);
        cfg.arrivals = ArrivalProcess::Uniform;
        cfg.timeout_us = 30_000_000;
        let o = same(
            &format!("hpa ties, {conc} slots at {rps}/s"),
            cfg,
            &[rate_row(0.0, rps), rate_row(600.0, rps * 3.0)],
            1,
        );
        assert!(o.summary.wait_mean_ms.unwrap() > 0.0, "requests waited");
    }
}

#[test]
fn fast_loop_equals_the_reference_on_timeouts_to_the_microsecond() {
    // One slot, 100 ms constant service, an arrival every 50 ms: the k-th
    // request of a burst waits 50·k ms, so waits land exactly on the
    // timeout (served: a wait equal to the timeout is not past it) and one
    // step beyond (dropped at arrival + timeout + 1 µs); the queue limit
    // then rejects.
    for (timeout_ms, limit) in [(100, u64::MAX), (150, 2), (100, 1)] {
        let mut cfg = SimConfig::fixed_pool(1, 1, ServiceDist::Constant(100_000), 600);
        cfg.arrivals = ArrivalProcess::Uniform;
        cfg.timeout_us = timeout_ms * 1_000;
        cfg.queue_limit = limit;
        let o = same(
            &format!("exact timeouts {timeout_ms} ms, limit {limit}"),
            cfg,
            &[rate_row(0.0, 20.0), rate_row(300.0, 5.0)],
            1,
        );
        let s = o.summary;
        assert!(s.requests_dropped + s.requests_rejected > 0, "overloaded");
        assert!(s.wait_mean_ms.unwrap() > 0.0);
    }
}

#[test]
fn fast_loop_equals_the_reference_under_overload_with_timeouts() {
    for (timeout_ms, limit) in [(200, u64::MAX), (1_000, 50), (50, 5)] {
        let mut cfg = SimConfig::fixed_pool(2, 4, ServiceDist::lognormal(80_000.0, 1.5), 1_800);
        cfg.timeout_us = timeout_ms * 1_000;
        cfg.queue_limit = limit;
        // 150/s against ~100/s of capacity, then 60/s (the queue empties).
        let o = same(
            &format!("timeout {timeout_ms} ms, limit {limit}"),
            cfg,
            &[rate_row(0.0, 150.0), rate_row(900.0, 60.0)],
            5,
        );
        let s = o.summary;
        assert!(s.requests_dropped + s.requests_rejected > 0, "overloaded");
    }
}

#[test]
fn fast_loop_equals_the_reference_while_an_hpa_scales_in_and_out() {
    for (conc, service) in [
        (4, ServiceDist::lognormal(50_000.0, 1.0)),
        (1, ServiceDist::Exponential { mean_us: 200_000.0 }),
        (8, ServiceDist::Constant(40_000)),
    ] {
        let mut cfg = SimConfig::fixed_pool(2, conc, service, 7_200).with_cpu_hpa(1, 30, 60);
        cfg.timeout_us = 2_000_000;
        let o = same(&format!("hpa, {conc} slots"), cfg, &day_rows(3.0), 7);
        assert!(
            o.summary.replicas_max > 3 && o.scaling.len() > 4,
            "the HPA scaled: {:?}, max {}",
            o.scaling,
            o.summary.replicas_max
        );
    }
}

#[test]
fn fast_loop_equals_the_reference_with_spot_interruptions_and_an_outage() {
    for interruption in [
        Interruption::Fargate {
            stop_timeout_us: 30_000_000,
        },
        Interruption::Ec2 {
            capacity_rebalance: true,
            rebalance_lead_us: 60_000_000,
        },
    ] {
        let mut cfg = SimConfig::fixed_pool(6, 2, ServiceDist::lognormal(300_000.0, 2.0), 7_200);
        cfg.spot = Some(SpotPlan {
            base: 1,
            on_demand_weight: 1,
            spot_weight: 3,
            usd_per_hour: 0.3,
            available: true,
            fallback_to_on_demand: true,
            interruptions_per_hour: 6.0,
            interruption,
            scheduled_notices: Vec::new(),
        });
        cfg.outages = vec![(3_000_000_000, 3_600_000_000)];
        let o = same("spot and outage", cfg, &[rate_row(0.0, 25.0)], 11);
        assert!(o.summary.spot_interruptions > 0);
    }
}
