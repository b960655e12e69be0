//! Multi-region scenarios: traffic split by weight, a failed region's traffic
//! served elsewhere (with its latency and cost effect in the timeline),
//! recovery, replication cost by hand, and bad input.

use meshsim::billing::PriceBook;
use meshsim::engine::ArrivalProcess;
use meshsim::metrics::RunOutcome;
use std::path::Path;

const BASE: &str = r#"
name = "three-regions"
region = "us-east-1"
timezone = "UTC"
[service]
concurrency = 1
service_time = { dist = "exponential", mean_ms = 100 }
startup_s = 60
timeout_ms = 30000
queue_limit = 100000
[capacity]
platform = "ec2"
instance_type = "c5.large"
[scaling]
min = 4
max = 4
"#;

fn scenario(dir: &Path, regions: &str) -> meshsim::scenario::Scenario {
    let p = dir.join("three-regions.toml");
    std::fs::write(&p, format!("{BASE}\n{regions}")).unwrap();
    meshsim::scenario::resolve(p.to_str().unwrap(), &[], &[], &PriceBook::builtin())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A constant-rate trace: `rps` for `minutes`, one row a minute.
fn constant(dir: &Path, rps: f64, minutes: u64) -> std::path::PathBuf {
    let p = dir.join("constant.csv");
    let mut text = String::from("timestamp,rps\n");
    for m in 0..minutes {
        let t = jiff::Timestamp::from_second(1_764_000_000 + (m * 60) as i64).unwrap();
        text.push_str(&format!("{t},{rps}\n"));
    }
    std::fs::write(&p, text).unwrap();
    p
}

fn run(sc: &meshsim::scenario::Scenario, trace: &Path) -> RunOutcome {
    meshsim::run::run_file(sc, trace, 7, ArrivalProcess::Poisson)
        .unwrap()
        .0
}

const THREE: &str = r#"
[[regions]]
name = "us-east-1"
weight = 0.5
[[regions]]
name = "us-west-2"
weight = 0.3
[[regions]]
name = "eu-west-1"
weight = 0.2
"#;

#[test]
fn traffic_splits_by_weight_on_rate_and_request_traces() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), THREE);
    // 60 rps for an hour: 216,000 requests; a share's standard deviation is
    // at most sqrt(0.25 / 216,000) = 0.0011.
    let o = run(&sc, &constant(tmp.path(), 60.0, 60));
    let total = o.summary.requests_arrived as f64;
    for (r, w) in o.regions.iter().zip([0.5, 0.3, 0.2]) {
        let share = r.outcome.summary.requests_arrived as f64 / total;
        assert!((share - w).abs() < 0.006, "{}: {share} vs {w}", r.name);
    }
    // A request trace: each row goes to one region.
    let p = tmp.path().join("requests.csv");
    let mut text = String::from("timestamp\n");
    for i in 0..40_000u64 {
        let t =
            jiff::Timestamp::from_microsecond(1_764_000_000_000_000 + i as i64 * 50_000).unwrap();
        text.push_str(&format!("{t}\n"));
    }
    std::fs::write(&p, text).unwrap();
    let o = run(&sc, &p);
    assert_eq!(o.summary.requests_arrived, 40_000);
    for (r, w) in o.regions.iter().zip([0.5, 0.3, 0.2]) {
        let share = r.outcome.summary.requests_arrived as f64 / 40_000.0;
        // sd <= 0.0025
        assert!((share - w).abs() < 0.0125, "{}: {share} vs {w}", r.name);
    }
    // Same seed, same split.
    let again = run(&sc, &p);
    for (a, b) in o.regions.iter().zip(&again.regions) {
        assert_eq!(a.outcome.summary, b.outcome.summary);
    }
}

fn mean<T>(rows: &[T], f: impl Fn(&T) -> Option<f64>) -> f64 {
    let v: Vec<f64> = rows.iter().filter_map(f).collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn a_failed_regions_traffic_is_served_elsewhere_and_shows_in_the_timeline() {
    let tmp = tempfile::tempdir().unwrap();
    // 60 rps: us-east-1 30, us-west-2 18, eu-west-1 12 on 4 replicas of
    // 10 rps each (M/M/4 at 0.75, 0.45, 0.3). us-east-1 fails at 60 min and
    // is back at 90 min; meanwhile us-west-2 takes 36 rps (0.9) and
    // eu-west-1 24 (0.6).
    let sc = scenario(
        tmp.path(),
        &THREE.replacen(
            "weight = 0.5",
            "weight = 0.5\nfail_at_s = 3600\nrecover_at_s = 5400",
            1,
        ),
    );
    let o = run(&sc, &constant(tmp.path(), 60.0, 120));
    let s = &o.summary;
    assert_eq!(
        s.requests_arrived,
        s.requests_served + s.requests_dropped + s.requests_rejected + s.requests_in_flight
    );
    let east = &o.regions[0].outcome;
    let west = &o.regions[1].outcome;
    // No traffic to us-east-1 while it is down (60..91 min: back after its 60 s start-up).
    let down: u64 = east.timeline[61..90].iter().map(|r| r.arrived).sum();
    assert_eq!(down, 0);
    assert!(east.timeline[95..].iter().all(|r| r.replicas_ready == 4));
    assert!(east.timeline[62..89].iter().all(|r| r.replicas_total == 0));
    // Its traffic went to the others: us-west-2 doubles (0.3 -> 0.6).
    let before: f64 = west.timeline[10..55]
        .iter()
        .map(|r| r.arrived as f64)
        .sum::<f64>()
        / 45.0;
    let during: f64 = west.timeline[62..88]
        .iter()
        .map(|r| r.arrived as f64)
        .sum::<f64>()
        / 26.0;
    assert!((during / before - 2.0).abs() < 0.1, "{before} -> {during}");
    // The whole keeps its traffic.
    let total_before = mean(&o.timeline[10..55], |r| Some(r.arrived as f64));
    let total_during = mean(&o.timeline[62..88], |r| Some(r.arrived as f64));
    assert!((total_during / total_before - 1.0).abs() < 0.05);
    // Latency: us-west-2 at 0.9 waits far longer than at 0.45.
    let p95_before = mean(&west.timeline[10..55], |r| r.latency_p95_ms);
    let p95_during = mean(&west.timeline[62..88], |r| r.latency_p95_ms);
    assert!(
        p95_during > 1.5 * p95_before,
        "{p95_before} -> {p95_during}"
    );
    let all_before = mean(&o.timeline[10..55], |r| r.latency_p95_ms);
    let all_during = mean(&o.timeline[62..88], |r| r.latency_p95_ms);
    assert!(all_during > all_before, "{all_before} -> {all_during}");
    // Cost: us-east-1's instances are not billed while it is down.
    let c = |k: usize| east.timeline[k].cost_compute_usd;
    assert!((c(88) - c(62)).abs() < 1e-9);
    assert!(c(110) > c(95));
    let rate = |a: usize, b: usize| {
        (o.timeline[b].cost_compute_usd - o.timeline[a].cost_compute_usd) / (b - a) as f64
    };
    // Four c5.large in each region ($0.085/h in us-east-1 and us-west-2,
    // $0.096/h in eu-west-1): while us-east-1 is down the compute rate is
    // (0.085 + 0.096) / (0.085 + 0.085 + 0.096) of what it was.
    let want = (0.085 + 0.096) / (0.085 + 0.085 + 0.096);
    assert!(
        (rate(62, 88) / rate(10, 55) - want).abs() < 1e-6,
        "{}",
        rate(62, 88) / rate(10, 55)
    );
    // The failure is a scaling event of that region.
    assert!(
        o.scaling
            .iter()
            .any(|e| e.autoscaler == "us-east-1/region" && e.to == 0)
    );
}

#[test]
fn replication_costs_the_written_bytes_at_the_inter_region_price() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(
        tmp.path(),
        &format!("{THREE}\n[replication]\nbytes_per_request = 1000000\n"),
    );
    let o = run(&sc, &constant(tmp.path(), 10.0, 30));
    for r in &o.regions {
        // 1 MB copied to each of the two other regions at $0.02/GB.
        let want = r.outcome.summary.requests_served as f64 * 1e6 * 2.0 / 1e9 * 0.02;
        let got = r.outcome.summary.fixed.network_usd;
        assert!((got - want).abs() < 1e-9, "{}: {got} vs {want}", r.name);
    }
    let total: f64 = o
        .regions
        .iter()
        .map(|r| r.outcome.summary.fixed.network_usd)
        .sum();
    assert!((o.summary.fixed.network_usd - total).abs() < 1e-9);
    assert!((o.timeline.last().unwrap().fixed.network_usd - total).abs() < 1e-9);
}

#[test]
fn bad_region_settings_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("bad.toml");
    let check = |regions: &str, expect: &[&str]| {
        std::fs::write(&p, format!("{BASE}\n{regions}")).unwrap();
        let e = meshsim::scenario::resolve(p.to_str().unwrap(), &[], &[], &PriceBook::builtin())
            .err()
            .unwrap_or_else(|| panic!("accepted: {regions}"))
            .to_string();
        for x in expect {
            assert!(e.contains(x), "expected `{x}` in: {e}");
        }
    };
    check(
        &THREE.replace("weight = 0.2", "weight = 0.3"),
        &["regions", "sum to 1.1"],
    );
    check(
        &THREE.replace("name = \"eu-west-1\"", "name = \"us-west-2\""),
        &["named twice"],
    );
    check(
        "[[regions]]\nname = \"us-east-1\"\nweight = 0.5\nfail_at_s = 10\n[[regions]]\nname = \"us-west-2\"\nweight = 0.5\nfail_at_s = 5\n",
        &["every region is down"],
    );
    check(
        &format!("{THREE}\n[regions.override.scaling]\nmni = 2\n"),
        &["regions[2]", "mni"],
    );
    check(
        "[[regions]]\nname = \"ap-southeast-1\"\nweight = 0.5\n[[regions]]\nname = \"us-east-1\"\nweight = 0.5\n",
        &["ap-southeast-1", "c5.large"],
    );
}

#[test]
fn a_request_traces_region_column_routes_requests_and_failover_overrides_it() {
    let tmp = tempfile::tempdir().unwrap();
    // us-east-1 serves "us" (and fails at 30 min), eu-west-1 serves "eu";
    // rows without a known value are split by weight.
    let sc = scenario(
        tmp.path(),
        r#"
[[regions]]
name = "us-east-1"
weight = 0.5
route = ["us"]
fail_at_s = 1800
[[regions]]
name = "eu-west-1"
weight = 0.5
route = ["eu"]
"#,
    );
    let p = tmp.path().join("routed.csv");
    let mut text = String::from("timestamp,region\n");
    // One request every 100 ms for an hour: "us", "eu", "us", "other", ...
    let labels = ["us", "eu", "us", "other"];
    for i in 0..36_000u64 {
        let t =
            jiff::Timestamp::from_microsecond(1_764_000_000_000_000 + i as i64 * 100_000).unwrap();
        text.push_str(&format!("{t},{}\n", labels[(i % 4) as usize]));
    }
    std::fs::write(&p, text).unwrap();
    let o = run(&sc, &p);
    let us = &o.regions[0].outcome;
    let eu = &o.regions[1].outcome;
    // Before the failure: us gets its 2 of 4 rows plus about half of "other".
    let us_before: u64 = us.timeline[..30].iter().map(|r| r.arrived).sum();
    let eu_before: u64 = eu.timeline[..30].iter().map(|r| r.arrived).sum();
    assert_eq!(us_before + eu_before, 18_000);
    let us_share = us_before as f64 / 18_000.0;
    assert!((us_share - 0.625).abs() < 0.01, "{us_share}"); // 0.5 + 0.25 × 0.5
    // After it: everything goes to eu-west-1.
    let us_after: u64 = us.timeline[31..].iter().map(|r| r.arrived).sum();
    assert_eq!(us_after, 0);
    let eu_after: u64 = eu.timeline[31..].iter().map(|r| r.arrived).sum();
    assert_eq!(eu_after, 17_400);
}
