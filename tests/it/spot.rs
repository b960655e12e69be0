//! Spot capacity: ECS capacity-provider placement, interruptions as a Poisson
//! process with a 2-minute notice, and max price.

use crate::{config, rate_row};
use meshsim::engine::{ArrivalProcess, SpotPlan, simulate};
use meshsim::model::service::ServiceDist;
use meshsim::units::{US_PER_MIN, US_PER_SEC};

fn plan(base: u32, od: u32, spot: u32, rate: f64) -> SpotPlan {
    SpotPlan {
        base,
        on_demand_weight: od,
        spot_weight: spot,
        usd_per_hour: 0.3,
        available: true,
        fallback_to_on_demand: false,
        interruptions_per_hour: rate,
    }
}

#[test]
fn base_one_and_weights_20_80_place_the_first_eleven_replicas_by_the_ecs_rule() {
    // One more replica each minute, 1 to 11. The first (base) is on demand; the
    // next ten split 2 : 8, each going to the provider furthest below its share.
    let mut cfg = config(0, 1, ServiceDist::Constant(1000), 11 * 60);
    cfg.capacity_steps = (0..11).map(|m| (m * US_PER_MIN, m as u32 + 1)).collect();
    cfg.spot = Some(plan(1, 20, 80, 0.0));
    let out = simulate(cfg, vec![rate_row(0.0, 0.0)].into_iter(), 1);
    let spot: Vec<u32> = out.timeline.iter().map(|r| r.replicas_spot).collect();
    assert_eq!(spot, vec![0, 1, 2, 2, 3, 4, 5, 6, 6, 7, 8]);
    for (n, s) in spot.iter().enumerate() {
        // Never more than one replica away from the weights' split after the base.
        assert!((f64::from(*s) - 0.8 * n as f64).abs() <= 1.0, "{n}: {s}");
    }
    // Billing: 3 on-demand replicas at $1/h, 8 spot at $0.30/h, over their lifetimes.
    let s = &out.summary;
    assert!(s.cost_compute_spot_usd > 0.0 && s.cost_compute_usd > s.cost_compute_spot_usd);
}

#[test]
fn interruptions_follow_their_poisson_rate() {
    // 10 spot replicas for 1000 h at 0.01 interruptions per replica-hour, each
    // replaced at its notice: 100 expected; 99 % Poisson interval [76, 127].
    let mut cfg = config(10, 1, ServiceDist::Constant(1000), 1000 * 3600);
    cfg.spot = Some(plan(0, 0, 1, 0.01));
    let out = simulate(cfg, vec![rate_row(0.0, 0.0)].into_iter(), 7);
    let n = out.summary.spot_interruptions;
    assert!((76..=127).contains(&n), "{n} interruptions");
    assert_eq!(
        out.scaling
            .iter()
            .filter(|e| e.autoscaler == "spot")
            .count() as u64,
        n
    );
    // Replacements keep ten spot replicas (the replacement starts at the notice).
    assert!((out.summary.replica_hours_spot - 10_000.0).abs() < 10.0 + 3.0 * n as f64 / 30.0);
}

#[test]
fn work_in_flight_past_the_notice_is_dropped_and_counted() {
    // One spot replica, 300 s constant service (longer than the 120 s notice),
    // frequent interruptions: some work is dropped; conservation holds.
    let mut cfg = config(1, 1, ServiceDist::Constant(300 * US_PER_SEC), 20 * 3600);
    cfg.spot = Some(plan(0, 0, 1, 1.0));
    cfg.arrivals = ArrivalProcess::Uniform;
    cfg.timeout_us = 3600 * US_PER_SEC;
    cfg.queue_limit = 1000;
    let out = simulate(cfg, vec![rate_row(0.0, 0.002)].into_iter(), 3);
    let s = &out.summary;
    assert!(s.spot_interruptions > 5, "{s:?}");
    assert!(s.requests_dropped > 0, "{s:?}");
    assert_eq!(
        s.requests_arrived,
        s.requests_served + s.requests_dropped + s.requests_rejected + s.requests_in_flight
    );
}

#[test]
fn spot_above_max_price_places_no_spot_replica() {
    let mut cfg = config(3, 1, ServiceDist::Constant(1000), 600);
    let mut p = plan(0, 0, 1, 0.0);
    p.available = false;
    cfg.spot = Some(p.clone());
    let out = simulate(cfg.clone(), vec![rate_row(0.0, 1.0)].into_iter(), 1);
    assert!(
        out.timeline
            .iter()
            .all(|r| r.replicas_spot == 0 && r.replicas_ready == 0)
    );
    assert_eq!(
        out.summary.cost_compute_usd, 0.0,
        "tasks waiting for spot capacity are not billed"
    );
    assert_eq!(out.summary.requests_served, 0);
    // With the opt-in fallback they run on demand.
    p.fallback_to_on_demand = true;
    cfg.spot = Some(p);
    let out = simulate(cfg, vec![rate_row(0.0, 1.0)].into_iter(), 1);
    assert_eq!(out.timeline[0].replicas_ready, 3);
    assert!((out.summary.replica_hours_on_demand - 3.0 * 600.0 / 3600.0).abs() < 1e-9);
}
