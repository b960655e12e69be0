//! Autoscaling end to end, with hand-computed times of each change.

use crate::{config, rate_row};
use meshsim::engine::{ArrivalProcess, PolicySpec, ScalingPlan, simulate};
use meshsim::model::autoscaler::target_tracking::TargetTrackingSpec;
use meshsim::model::service::ServiceDist;
use meshsim::scenario::MetricSource;
use meshsim::units::US_PER_SEC;
use std::path::Path;
use std::process::Command;

#[test]
fn target_tracking_scales_out_after_three_minutes_and_in_when_load_drops() {
    // One slot per replica, 100 ms constant service, evenly spaced arrivals:
    // 9 rps keeps one replica exactly 90 % busy. Target 80 %, startup 30 s.
    //  - datapoints at 60, 120, 180 s read 90 % > 80: scale out at 180 s to ceil(1 × 90 / 80) = 2;
    //  - the new replica is ready at 210 s; from then on 45 % (< 72 %, 90 % of the target),
    //    but ceil(2 × 45 / 80) = 2: no scale-in while the load stays;
    //  - at 1200 s the load drops to 3 rps; the datapoint at 1260 s reads 15 %, the low
    //    alarm has held for 15 datapoints since 240 s: scale in to ceil(2 × 15 / 80) = 1.
    let mut cfg = config(1, 1, ServiceDist::Constant(100_000), 1800);
    cfg.arrivals = ArrivalProcess::Uniform;
    cfg.startup_us = 30 * US_PER_SEC;
    cfg.median_interval_us = 600 * US_PER_SEC;
    cfg.scaling = ScalingPlan {
        min: 1,
        max: 3,
        policy: PolicySpec::TargetTracking(TargetTrackingSpec {
            metric: MetricSource::Cpu,
            target: 80.0,
            scale_out_cooldown_us: 60 * US_PER_SEC,
            scale_in_cooldown_us: 300 * US_PER_SEC,
            disable_scale_in: false,
        }),
        schedule: Vec::new(),
    };
    let rows = vec![
        rate_row(0.0, 9.0),
        rate_row(600.0, 9.0),
        rate_row(1200.0, 3.0),
    ];
    let out = simulate(cfg, rows.into_iter(), 1);
    let tt: Vec<(u64, u32, u32)> = out
        .scaling
        .iter()
        .filter(|e| e.autoscaler == "target_tracking")
        .map(|e| (e.t_us / US_PER_SEC, e.from, e.to))
        .collect();
    assert_eq!(tt, vec![(180, 1, 2), (1260, 2, 1)], "{:#?}", out.scaling);
    // The timeline shows the second replica ready from minute 3 (ends at 240 s).
    assert_eq!(out.timeline[3].replicas_ready, 2);
    assert_eq!(out.timeline[21].replicas_ready, 1);
    assert_eq!(
        out.summary.requests_dropped + out.summary.requests_rejected,
        0
    );
}

fn meshsim(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

#[test]
fn schedules_fire_at_wall_clock_times_across_daylight_saving() {
    // New York moves to daylight time on Sunday 2025-03-09. A trace from
    // Saturday 00:00 EST (05:00 UTC) for 48 h; "0 8 * * *" fires at 08:00 local
    // both days: 8 h and 31 h after the start (Sunday has 23 hours).
    // "0 20 * * SAT,SUN" fires Saturday 20:00 (20 h) and Sunday 20:00 (43 h).
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("t.csv");
    let o = meshsim(
        &[
            "trace",
            "gen",
            "--pattern",
            "constant",
            "--mean",
            "2",
            "--duration",
            "48h",
            "--start",
            "2025-03-08T05:00:00Z",
            "--out",
            trace.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success());
    let sc = tmp.path().join("sched.toml");
    std::fs::write(
        &sc,
        r#"timezone = "America/New_York"
[service]
concurrency = 4
service_time = { dist = "constant", mean_ms = 50 }
[capacity]
cpu = 0.25
memory_gb = 0.5
[scaling]
min = 1
max = 4
[[scaling.schedule]]
name = "morning"
cron = "0 8 * * *"
min = 2
desired = 3
[[scaling.schedule]]
name = "evening"
cron = "0 20 * * SAT,SUN"
min = 1
desired = 1
"#,
    )
    .unwrap();
    let o = meshsim(
        &[
            "run",
            sc.to_str().unwrap(),
            "--trace",
            trace.to_str().unwrap(),
            "--out",
            "out",
            "--quiet",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut rdr = csv::Reader::from_path(tmp.path().join("out/scaling.csv")).unwrap();
    let rows: Vec<(String, String, String, String)> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[1].to_string(),
                r[2].to_string(),
                r[3].to_string(),
                r[4].to_string(),
            )
        })
        .collect();
    let sched: Vec<(f64, &str)> = rows
        .iter()
        .filter(|r| r.1 == "schedule")
        .map(|r| (r.0.parse::<f64>().unwrap() / 3600.0, r.3.as_str()))
        .collect();
    assert_eq!(
        sched,
        vec![(8.0, "3"), (20.0, "1"), (31.0, "3"), (43.0, "1")],
        "{rows:?}"
    );
    // Before the first action the latest earlier action (Friday 08:00 "morning") holds.
    assert_eq!(rows[0].1, "fixed");
    assert_eq!(rows[0].3, "3");
}
