//! Replica lifecycle and billing with hand-computed answers.

use crate::{config, rate_row};
use meshsim::engine::simulate;
use meshsim::model::service::ServiceDist;
use meshsim::units::{US_PER_MIN, US_PER_SEC};

#[test]
fn pending_ready_draining_gone_are_billed_per_second() {
    // $1 per replica-hour, no traffic. 2 replicas from t = 0; 4 from t = 600 s
    // (two new, pending for 30 s, billed from creation); 1 from t = 1200 s
    // (the three newest go). r0: 3600 s, r1: 1200 s, r2 and r3: 600 s each.
    // Cost = (3600 + 1200 + 600 + 600) / 3600 = 1.666… USD.
    let mut cfg = config(2, 1, ServiceDist::Constant(1000), 3600);
    cfg.capacity_steps = vec![(0, 2), (600 * US_PER_SEC, 4), (1200 * US_PER_SEC, 1)];
    let out = simulate(cfg, vec![rate_row(0.0, 0.0)].into_iter(), 1);
    let s = &out.summary;
    assert!(
        (s.cost_compute_usd - 6000.0 / 3600.0).abs() < 1e-9,
        "{}",
        s.cost_compute_usd
    );
    assert!((s.replica_hours_on_demand - 6000.0 / 3600.0).abs() < 1e-9);
    assert_eq!(s.replicas_max, 4);
    // Minute 10 (600-660 s) ends with 4 ready: the new ones became ready at 630 s.
    let m10 = &out.timeline[10];
    assert_eq!((m10.replicas_ready, m10.replicas_total), (4, 4));
    let m20 = &out.timeline[20];
    assert_eq!(
        (m20.replicas_ready, m20.replicas_total, m20.replicas_desired),
        (1, 1, 1)
    );
    assert_eq!(out.scaling.len(), 3);
}

#[test]
fn a_replica_stopped_early_is_billed_sixty_seconds() {
    // Created at 100 s, removed at 110 s while still pending: billed 60 s.
    let mut cfg = config(0, 1, ServiceDist::Constant(1000), 600);
    cfg.capacity_steps = vec![(100 * US_PER_SEC, 1), (110 * US_PER_SEC, 0)];
    let s = simulate(cfg, vec![rate_row(0.0, 0.0)].into_iter(), 1).summary;
    assert!(
        (s.cost_compute_usd - 60.0 / 3600.0).abs() < 1e-12,
        "{}",
        s.cost_compute_usd
    );
}

#[test]
fn cold_start_with_zero_replicas_waits_until_timeout() {
    // One request per second (evenly spaced at 0.5, 1.5, …). No replica until
    // a step at 10 s; the new replica is ready at 15 s. Timeout 8 s: requests
    // that arrived before 7 s have waited more than 8 s at 15 s and are
    // dropped (0.5 … 6.5: 7 requests); the rest are served.
    let mut cfg = config(0, 100, ServiceDist::Constant(10_000), 60);
    cfg.arrivals = meshsim::engine::ArrivalProcess::Uniform;
    cfg.timeout_us = 8 * US_PER_SEC;
    cfg.startup_us = 5 * US_PER_SEC;
    cfg.capacity_steps = vec![(10 * US_PER_SEC, 1)];
    let s = simulate(cfg, vec![rate_row(0.0, 1.0)].into_iter(), 1).summary;
    assert_eq!(s.requests_arrived, 60);
    assert_eq!(s.requests_dropped, 7);
    assert_eq!(s.requests_served, 53);
    // The first served request arrived at 7.5 s and started at 15 s: 7.51 s.
    assert!((s.latency_max_ms.unwrap() - 7510.0).abs() < 1e-6);
}

#[test]
fn a_full_queue_rejects_and_a_long_wait_drops() {
    // One slot, constant 1 s service, 10 requests per second for 10 s, queue
    // limit 5, timeout 3 s. Every request is served, dropped or rejected.
    let mut cfg = config(1, 1, ServiceDist::Constant(US_PER_SEC), 20);
    cfg.arrivals = meshsim::engine::ArrivalProcess::Uniform;
    cfg.queue_limit = 5;
    cfg.timeout_us = 3 * US_PER_SEC;
    cfg.median_interval_us = 10 * US_PER_SEC;
    let rows = vec![rate_row(0.0, 10.0), rate_row(10.0, 0.0)];
    let s = simulate(cfg, rows.into_iter(), 1).summary;
    assert_eq!(s.requests_arrived, 100);
    assert!(s.requests_rejected > 50, "{s:?}");
    assert!(s.requests_dropped > 0, "{s:?}");
    assert!(s.requests_served <= 13, "{s:?}");
    assert!(s.latency_max_ms.unwrap() <= 4000.0 + 1e-9);
    assert_eq!(
        s.requests_arrived,
        s.requests_served + s.requests_dropped + s.requests_rejected + s.requests_in_flight
    );
    let _ = US_PER_MIN;
}
