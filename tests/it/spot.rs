//! Spot capacity: ECS capacity-provider placement, interruptions as a Poisson
//! process with a 2-minute notice, and max price.

use crate::{config, rate_row};
use meshsim::engine::{ArrivalProcess, SPOT_NOTICE_US, SpotPlan, simulate};
use meshsim::model::service::ServiceDist;
use meshsim::model::spot::Interruption;
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
        // Fargate Spot with the largest stopTimeout: 120 s from notice to kill.
        interruption: Interruption::Fargate {
            stop_timeout_us: SPOT_NOTICE_US,
        },
        scheduled_notices: Vec::new(),
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

/// A spot-only plan with one interruption notice scheduled for replica 0.
fn interrupted(interruption: Interruption, notice_s: u64, usd_per_hour: f64) -> SpotPlan {
    SpotPlan {
        usd_per_hour,
        interruption,
        scheduled_notices: vec![(notice_s * US_PER_SEC, 0)],
        ..plan(0, 0, 1, 0.0)
    }
}

fn request_at(t_s: u64) -> meshsim::trace::TraceRow {
    meshsim::trace::TraceRow {
        t_us: t_s * US_PER_SEC,
        value: 1.0,
        ..rate_row(0.0, 0.0)
    }
}

/// Fargate Spot: SIGTERM and out of the load balancer at the notice, killed
/// `stopTimeout` later (Amazon ECS Developer Guide, "Fargate Spot"; the
/// container definition's stopTimeout, 30 s by default, at most 120 s).
///
/// One task of 10 slots, 50 s requests arriving at 40, 60, 85, 95 and 120 s;
/// notice at 100 s; the replacement starts then and is ready 30 s later (130 s).
/// - stopTimeout 30 s: killed at 130 s. The 40 s and 60 s requests finished
///   (90, 110 s); the 85 s and 95 s ones (due 135, 145 s) are dropped; the
///   120 s one waited for the replacement (ready at 130 s) and is served:
///   3 served, 2 dropped.
/// - stopTimeout 120 s (the old fixed model): killed at 220 s, after all of
///   them: 5 served, 0 dropped.
#[test]
fn fargate_spot_stop_timeout_30_s_drops_the_requests_still_in_service() {
    let run = |stop_s: u64| {
        let mut cfg = config(1, 10, ServiceDist::Constant(50 * US_PER_SEC), 300);
        cfg.trace_kind = meshsim::trace::TraceKind::Request;
        cfg.spot = Some(interrupted(
            Interruption::Fargate {
                stop_timeout_us: stop_s * US_PER_SEC,
            },
            100,
            0.3,
        ));
        let rows = [40, 60, 85, 95, 120].map(request_at);
        simulate(cfg, rows.into_iter(), 1)
    };
    let s = run(30).summary;
    assert_eq!(s.requests_arrived, 5);
    assert_eq!((s.requests_served, s.requests_dropped), (3, 2), "{s:?}");
    assert_eq!(s.spot_interruptions, 1);
    let s = run(120).summary;
    assert_eq!((s.requests_served, s.requests_dropped), (5, 0), "{s:?}");
}

/// EC2 Spot in an Auto Scaling group (EC2 Auto Scaling User Guide,
/// "Capacity Rebalancing"). Two instances, no traffic, 1800 s; the notice
/// for instance 0 comes at 600 s; EC2 interrupts it at 720 s; a new
/// instance boots in `startup` seconds. Ready capacity lost, by hand:
/// - without rebalancing, the group replaces it after the interruption:
///   launched 720 s, ready 720 + startup → gap = startup;
/// - with rebalancing, the replacement launches at the notice (the rebalance
///   recommendation comes with it at the latest), ready 600 + startup; the
///   old one is terminated then, or interrupted at 720 s if sooner →
///   gap = max(0, 600 + startup − 720).
///
/// startup 60 s: 60 vs 0 replica-seconds; startup 180 s: 180 vs 60.
/// (The recommendation comes with the notice unless `rebalance_lead_s` says
/// how much earlier.)
#[test]
fn ec2_capacity_rebalancing_closes_the_gap_after_an_interruption() {
    let gap_with_lead = |startup_s: u64, rebalance: bool, lead_s: u64| {
        let mut cfg = config(2, 1, ServiceDist::Constant(US_PER_SEC), 1800);
        cfg.startup_us = startup_s * US_PER_SEC;
        cfg.spot = Some(interrupted(
            Interruption::Ec2 {
                capacity_rebalance: rebalance,
                rebalance_lead_us: lead_s * US_PER_SEC,
            },
            600,
            0.3,
        ));
        let out = simulate(cfg, vec![rate_row(0.0, 0.0)].into_iter(), 1);
        assert_eq!(out.summary.spot_interruptions, 1);
        2.0 * 1800.0 - out.summary.ready_replica_seconds
    };
    let gap = |startup_s: u64, rebalance: bool| gap_with_lead(startup_s, rebalance, 0);
    assert_eq!(gap(60, false), 60.0);
    assert_eq!(gap(60, true), 0.0);
    assert_eq!(gap(180, false), 180.0);
    assert_eq!(gap(180, true), 60.0);
    // A rebalance recommendation `rebalance_lead_s` before the notice:
    // 90 s → replacement launched at 510 s, ready at 690 s, before the
    // interruption at 720 s: no gap; 30 s → ready at 750 s: a 30 s gap.
    assert_eq!(gap_with_lead(180, true, 90), 0.0);
    assert_eq!(gap_with_lead(180, true, 30), 30.0);
}

/// "If Amazon EC2 interrupts your Spot Instance in the first instance hour,
/// you are not charged for that usage" (EC2 User Guide, billing for
/// interrupted Spot Instances). One instance at $0.36/h, notice at 600 s,
/// interrupted at 720 s: $0 for it; its replacement runs 720-1800 s
/// (boot 30 s included, billed from launch): 1080 s × $0.36/h = $0.108.
/// Interrupted after its first hour instead (notice 3600 s, gone at 3720 s,
/// run to 5400 s): 3720 s → $0.372, plus the replacement's 1680 s → $0.168:
/// $0.54. On Fargate the rule does not apply: the drained, idle task stops at
/// the notice, 600 s → $0.06, plus 1200 s → $0.12: $0.18.
#[test]
fn an_ec2_spot_instance_interrupted_in_its_first_hour_is_not_charged() {
    let cost = |model: Interruption, notice_s: u64, span_s: u64| {
        let mut cfg = config(1, 1, ServiceDist::Constant(US_PER_SEC), span_s);
        cfg.spot = Some(interrupted(model, notice_s, 0.36));
        let s = simulate(cfg, vec![rate_row(0.0, 0.0)].into_iter(), 1).summary;
        assert_eq!(s.spot_interruptions, 1);
        s.cost_compute_spot_usd
    };
    let ec2 = Interruption::Ec2 {
        capacity_rebalance: false,
        rebalance_lead_us: 0,
    };
    assert!((cost(ec2, 600, 1800) - 0.108).abs() < 1e-9);
    assert!((cost(ec2, 3600, 5400) - 0.54).abs() < 1e-9);
    let fargate = Interruption::Fargate {
        stop_timeout_us: 30 * US_PER_SEC,
    };
    assert!((cost(fargate, 600, 1800) - 0.18).abs() < 1e-9);
}

/// Settings AWS does not allow where they are given are refused, naming the key.
#[test]
fn spot_settings_that_aws_would_not_apply_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let ec2 = "[capacity]\nplatform = \"ec2\"\ninstance_type = \"t4g.nano\"\narch = \"arm64\"\n[capacity.spot]\nspot_weight = 1\n";
    let fargate = "[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n[capacity.spot]\nspot_weight = 1\n";
    for (name, text, needle) in [
        (
            "hibernate",
            format!("{ec2}interruption_behavior = \"hibernate\"\n"),
            "persistent",
        ),
        (
            "ec2-stop-timeout",
            format!("{ec2}stop_timeout_s = 30\n"),
            "stop_timeout_s is Fargate Spot's",
        ),
        (
            "fargate-rebalance",
            format!("{fargate}capacity_rebalance = true\n"),
            "capacity_rebalance is an EC2 Auto Scaling group setting",
        ),
        (
            "long-stop-timeout",
            format!("{fargate}stop_timeout_s = 150\n"),
            "at most 120",
        ),
        (
            "lead-without-rebalance",
            format!("{ec2}rebalance_lead_s = 60\n"),
            "rebalance_lead_s needs capacity_rebalance = true",
        ),
    ] {
        let f = format!("{name}.toml");
        std::fs::write(d.join(&f), text).unwrap();
        let o = crate::meshsim(&["validate", &f], d);
        let e =
            String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
        assert!(!o.status.success(), "{name}: {e}");
        assert!(e.contains(needle), "{name}: {e}");
    }
    std::fs::write(
        d.join("ok.toml"),
        format!(
            "{ec2}capacity_rebalance = true\nrebalance_lead_s = 60\ninterruption_behavior = \"terminate\"\n"
        ),
    )
    .unwrap();
    let o = crate::meshsim(&["validate", "ok.toml"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
