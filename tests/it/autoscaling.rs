//! Autoscaling end to end, with hand-computed times of each change.

use super::meshsim;
use crate::{config, rate_row};
use meshsim::engine::{ArrivalProcess, PolicySpec, ScalingPlan, simulate};
use meshsim::model::autoscaler::target_tracking::TargetTrackingSpec;
use meshsim::model::service::ServiceDist;
use meshsim::scenario::MetricSource;
use meshsim::units::US_PER_SEC;
use std::path::Path;

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

fn scaling_rows(dir: &Path) -> Vec<(u64, String, u32, u32)> {
    let mut rdr = csv::Reader::from_path(dir.join("scaling.csv")).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[1].parse::<f64>().unwrap() as u64,
                r[2].to_string(),
                r[3].parse().unwrap(),
                r[4].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn hpa_behavior_policies_allow_this_replica_sequence_on_a_step_load() {
    // A step from 4 to 40 rps at 300 s and back to 4 rps at 1200 s. The HPA
    // reads an External metric = total rps over a 15 s window, AverageValue
    // target 5 per pod, so it proposes ceil(rps / 5): 1, then 8, then 1.
    // scaleUp: 100 % per 60 s; scaleDown: 300 s window, 50 % per 60 s. Syncs every 15 s.
    //  315 s: proposal 8, limit ceil(1 × 2) = 2           -> 2 (event +1)
    //  330-360 s: period start 2 - 1 = 1, limit 2          -> stays 2
    //  375 s: the +1 event is 60 s old, limit ceil(2 × 2)  -> 4 (event +2)
    //  435 s: limit ceil(4 × 2) = 8                        -> 8
    //  1215 s: proposal 1, but the 300 s window holds 8 (last 8 recorded at 1200 s)
    //  1500 s: window now all 1s; limit int(8 × 0.5) = 4   -> 4 (event -4)
    //  1560 s: the -4 event is 60 s old, limit int(4 × 0.5) -> 2
    //  1620 s:                                             -> 1
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("step.csv");
    std::fs::write(&trace, "timestamp,rps\n0,4\n300,40\n1200,4\n2400,4\n").unwrap();
    let sc = tmp.path().join("hpa.toml");
    std::fs::write(
        &sc,
        r#"[service]
concurrency = 100
service_time = { dist = "constant", mean_ms = 100 }
startup_s = 5
[capacity]
cpu = 0.25
memory_gb = 0.5
[scaling]
min = 1
max = 10
[scaling.hpa]
metrics = [ { type = "External", external = { metric = { name = "requests" }, target = { type = "AverageValue", averageValue = "5" } } } ]
behavior = { scaleUp = { policies = [ { type = "Percent", value = 100, periodSeconds = 60 } ] }, scaleDown = { stabilizationWindowSeconds = 300, policies = [ { type = "Percent", value = 50, periodSeconds = 60 } ] } }
metric_sources = { requests = "rps" }
metrics_window_s = 15
"#,
    )
    .unwrap();
    let o = meshsim(
        &[
            "run",
            sc.to_str().unwrap(),
            "--trace",
            trace.to_str().unwrap(),
            "--arrivals",
            "uniform",
            "--out",
            "out",
            "--quiet",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let hpa: Vec<(u64, u32, u32)> = scaling_rows(&tmp.path().join("out"))
        .into_iter()
        .filter(|r| r.1 == "hpa")
        .map(|r| (r.0, r.2, r.3))
        .collect();
    assert_eq!(
        hpa,
        vec![
            (315, 1, 2),
            (375, 2, 4),
            (435, 4, 8),
            (1500, 8, 4),
            (1560, 4, 2),
            (1620, 2, 1)
        ]
    );
}

#[test]
fn keda_scales_to_zero_after_its_cooldown_and_back_to_one_on_activation() {
    // Bursts of 2 rps at 100-160 s and 600-660 s, nothing else; min 0 (scale
    // to zero), queue_length 5, activation above 0, polling every 30 s,
    // cooldown 300 s, startup 20 s.
    //  120 s: 40 requests waiting, active -> KEDA 0 to 1 (last active 120 s)
    //  135 s: KEDA's HPA (min 1, no behavior: legacy path) sees 70 waiting (the
    //         replica is still starting): ceil(70 / 5) = 14, limited to
    //         max(2 × 1, 4) = 4 -> 1 to 4
    //  150 s: the queue is empty (ready at 140 s), but the 300 s stabilisation
    //         keeps the 14; limit max(2 × 4, 4) = 8, maxReplicas 5 -> 4 to 5
    //  450 s: inactive since the 120 s poll and 120 + 300 < 450 -> KEDA 5 to 0
    //  600 s: the burst starts after the control step: queue empty, inactive
    //  630 s: 60 waiting -> 0 to 1; 645 s: 1 to 4; 660 s: 4 to 5; 960 s: 5 to 0
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("bursts.csv");
    std::fs::write(
        &trace,
        "timestamp,rps\n0,0\n100,2\n160,0\n600,2\n660,0\n1000,0\n",
    )
    .unwrap();
    let sc = tmp.path().join("keda.toml");
    std::fs::write(
        &sc,
        r#"[service]
concurrency = 10
service_time = { dist = "constant", mean_ms = 100 }
startup_s = 20
timeout_ms = 600000
[capacity]
cpu = 0.25
memory_gb = 0.5
[scaling]
min = 0
max = 5
[scaling.queue]
queue_length = 5
activation_queue_length = 0
polling_interval_s = 30
cooldown_period_s = 300
"#,
    )
    .unwrap();
    let o = meshsim(
        &[
            "run",
            sc.to_str().unwrap(),
            "--trace",
            trace.to_str().unwrap(),
            "--arrivals",
            "uniform",
            "--out",
            "out",
            "--quiet",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = scaling_rows(&tmp.path().join("out"));
    let by = |who: &str| -> Vec<(u64, u32, u32)> {
        rows.iter()
            .filter(|r| r.1 == who)
            .map(|r| (r.0, r.2, r.3))
            .collect()
    };
    assert_eq!(
        by("keda"),
        vec![(120, 0, 1), (450, 5, 0), (630, 0, 1), (960, 5, 0)],
        "{rows:?}"
    );
    assert_eq!(
        by("keda-hpa"),
        vec![(135, 1, 4), (150, 4, 5), (645, 1, 4), (660, 4, 5)],
        "{rows:?}"
    );
    let s = std::fs::read_to_string(tmp.path().join("out/summary.csv")).unwrap();
    let row: Vec<&str> = s.lines().nth(1).unwrap().split(',').collect();
    // 240 requests arrived, all served after a cold start (none dropped).
    assert_eq!((row[4], row[5], row[6]), ("240", "240", "0"));
}

#[test]
fn a_keda_scaled_object_manifest_decides_like_the_inline_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("bursts.csv");
    std::fs::write(
        &trace,
        "timestamp,rps\n0,0\n100,2\n160,0\n600,2\n660,0\n1000,0\n",
    )
    .unwrap();
    let head = "[service]\nconcurrency = 10\nservice_time = { dist = \"constant\", mean_ms = 100 }\nstartup_s = 20\ntimeout_ms = 600000\n[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n";
    std::fs::write(
        tmp.path().join("inline.toml"),
        format!("{head}[scaling]\nmin = 0\nmax = 5\n[scaling.queue]\nqueue_length = 5\npolling_interval_s = 30\ncooldown_period_s = 300\n"),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("so.yaml"),
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: { name: worker }\nspec:\n  scaleTargetRef: { name: worker }\n  minReplicaCount: 0\n  maxReplicaCount: 5\n  triggers:\n  - type: rabbitmq\n    metadata: { queueName: jobs, mode: QueueLength, value: \"5\" }\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("manifest.toml"),
        format!("{head}[scaling.queue]\nmanifest = \"so.yaml\"\n"),
    )
    .unwrap();
    for (sc, out) in [("inline.toml", "a"), ("manifest.toml", "b")] {
        let o = meshsim(
            &[
                "run",
                sc,
                "--trace",
                trace.to_str().unwrap(),
                "--arrivals",
                "uniform",
                "--out",
                out,
                "--quiet",
            ],
            tmp.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let a = std::fs::read_to_string(tmp.path().join("a/scaling.csv")).unwrap();
    let b = std::fs::read_to_string(tmp.path().join("b/scaling.csv")).unwrap();
    assert_eq!(a, b);
    assert!(a.contains(",keda,0,1,"));
}

/// KEDA feeds `advanced.horizontalPodAutoscalerConfig.behavior` "directly to
/// the HPA's behavior field" (KEDA docs, ScaledObject specification); the
/// same rules written as the scenario's `scaling.queue.behavior` give the
/// same HPA.
#[test]
fn a_scaled_object_behavior_reaches_kedas_hpa_as_written() {
    use meshsim::billing::PriceBook;
    use meshsim::model::autoscaler::hpa::spec::{PolicyKind, ScalingPolicy, SelectPolicy};
    let tmp = tempfile::tempdir().unwrap();
    let head = "[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n";
    std::fs::write(
        tmp.path().join("so.yaml"),
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: { name: worker }\nspec:\n  scaleTargetRef: { name: worker }\n  minReplicaCount: 1\n  maxReplicaCount: 8\n  advanced:\n    horizontalPodAutoscalerConfig:\n      behavior:\n        scaleDown:\n          stabilizationWindowSeconds: 60\n          selectPolicy: Min\n          policies:\n          - { type: Pods, value: 1, periodSeconds: 30 }\n  triggers:\n  - type: rabbitmq\n    metadata: { queueName: jobs, mode: QueueLength, value: \"5\" }\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("manifest.toml"),
        format!("{head}[scaling.queue]\nmanifest = \"so.yaml\"\n"),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("inline.toml"),
        format!(
            "{head}[scaling]\nmin = 1\nmax = 8\n[scaling.queue]\nqueue_length = 5\n\
             [scaling.queue.behavior.scaleDown]\nstabilizationWindowSeconds = 60\nselectPolicy = \"Min\"\n\
             policies = [{{ type = \"Pods\", value = 1, periodSeconds = 30 }}]\n"
        ),
    )
    .unwrap();
    let book = PriceBook::builtin();
    let keda = |f: &str| {
        let p = tmp.path().join(f);
        meshsim::scenario::resolve(p.to_str().unwrap(), &[], &[], &book)
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .keda
            .expect("a KEDA scenario")
    };
    let (so, mut inline) = (keda("manifest.toml"), keda("inline.toml"));
    // The HPA is named after the scenario (`keda-hpa-<name>`); all else is equal.
    assert_eq!(inline.hpa.spec.name, "keda-hpa-inline");
    inline.hpa.spec.name = so.hpa.spec.name.clone();
    assert_eq!(so.hpa.spec, inline.hpa.spec);
    let down = so
        .hpa
        .spec
        .behavior
        .as_ref()
        .unwrap()
        .scale_down
        .as_ref()
        .unwrap();
    assert_eq!(down.stabilization_window_s, Some(60));
    assert_eq!(down.select_policy, Some(SelectPolicy::Min));
    assert_eq!(
        down.policies.as_deref(),
        Some(
            &[ScalingPolicy {
                kind: PolicyKind::Pods,
                value: 1,
                period_s: 30
            }][..]
        )
    );
    assert!(so.hpa.spec.behavior.as_ref().unwrap().scale_up.is_none());
    // One External metric, 5 messages per replica (5000 milli), 1..8 replicas.
    assert_eq!((so.hpa.spec.min_replicas, so.hpa.spec.max_replicas), (1, 8));
}

/// KEDA `idleReplicaCount` (pkg/scaling/executor/scale_scaledobjects.go,
/// `scaleToZeroOrIdle` / `scaleFromZeroOrIdle`): minReplicaCount 1,
/// idleReplicaCount 0, an rps trigger (activation 0) polled every 30 s over a
/// 30 s window, cooldown 120 s. Load 10 rps until 600 s, none until 1,815 s,
/// then 10 rps again (uniform arrivals).
/// - Polls at 0…600 s see arrivals in (t − 30, t]: active; the last at 600 s.
/// - 630 s sees (600, 630]: nothing, inactive; 1 > idle 0, so after the
///   cooldown: the first poll with 600 + 120 < t is 750 s → 1 → 0.
/// - 1,800 s sees (1,770, 1,800]: nothing. 1,830 s sees 150 arrivals (5 rps):
///   active at 0 replicas (< minReplicaCount) → 0 → max(1, 1) = 1.
///
/// Without `idleReplicaCount` the replica never leaves 1.
#[test]
fn keda_idle_replica_count_goes_one_zero_one_at_hand_derived_times() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("t.csv"),
        "timestamp,rps\n0,10\n600,0\n1815,10\n2415,10\n",
    )
    .unwrap();
    let head = "[service]\nconcurrency = 10\nservice_time = { dist = \"constant\", mean_ms = 100 }\nstartup_s = 20\ntimeout_ms = 600000\n[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n[scaling]\nmin = 1\nmax = 5\n[scaling.queue]\nmetric = \"rps\"\nqueue_length = 100\npolling_interval_s = 30\ncooldown_period_s = 120\n";
    std::fs::write(
        tmp.path().join("idle.toml"),
        format!("{head}idle_replica_count = 0\n"),
    )
    .unwrap();
    std::fs::write(tmp.path().join("plain.toml"), head).unwrap();
    let events = |sc: &str| -> Vec<(f64, String, u32, u32)> {
        let out = format!("{sc}.out");
        let o = meshsim(
            &[
                "run",
                sc,
                "--trace",
                "t.csv",
                "--arrivals",
                "uniform",
                "--out",
                &out,
                "--quiet",
                "--no-charts",
            ],
            tmp.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut r = csv::Reader::from_path(tmp.path().join(&out).join("scaling.csv")).unwrap();
        r.records()
            .map(|r| {
                let r = r.unwrap();
                (
                    r[1].parse().unwrap(),
                    r[2].to_string(),
                    r[3].parse().unwrap(),
                    r[4].parse().unwrap(),
                )
            })
            .filter(|e: &(f64, String, u32, u32)| e.1 != "fixed")
            .collect()
    };
    assert_eq!(
        events("idle.toml"),
        vec![(750.0, "keda".into(), 1, 0), (1830.0, "keda".into(), 0, 1)]
    );
    assert_eq!(events("plain.toml"), vec![]);
    // The idle count must be below minReplicaCount (KEDA's webhook refuses it).
    std::fs::write(
        tmp.path().join("bad.toml"),
        format!("{head}idle_replica_count = 1\n"),
    )
    .unwrap();
    let o = meshsim(&["validate", "bad.toml"], tmp.path());
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("scaling.queue.idle_replica_count") && e.contains("less than scaling.min 1"),
        "{e}"
    );
}

/// Target tracking down to 0 with a backlog metric (queue depth per task),
/// min 0, two warm tasks from a scheduled action before the trace, no load:
/// the datapoint (one a minute, at 60, 120, … s) is 0 < 0.9 × 5, and the 15th
/// low datapoint is at 900 s: AlarmLow sets ceil(2 × 0 / 5) = 0 (AWS: "Setting
/// desired count to 0"), not 1. At 0 tasks a per-task metric has no data, so
/// the load from 1,200 s is never scaled out for (every request times out),
/// and `validate` warns about exactly that.
#[test]
fn target_tracking_scales_a_backlog_metric_to_zero_and_warns_it_cannot_return() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("t.csv"),
        "timestamp,rps\n1800,0\n3000,5\n5400,5\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("tt.toml"),
        "timezone = \"UTC\"\n[service]\nconcurrency = 10\nservice_time = { dist = \"constant\", mean_ms = 100 }\nstartup_s = 20\ntimeout_ms = 10000\n[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n[scaling]\nmin = 0\nmax = 4\n[scaling.target_tracking]\nmetric = \"queue_depth\"\ntarget = 5\n[[scaling.schedule]]\nname = \"midnight\"\ncron = \"0 0 * * *\"\nmin = 0\nmax = 4\ndesired = 2\n",
    )
    .unwrap();
    let o = meshsim(
        &[
            "run",
            "tt.toml",
            "--trace",
            "t.csv",
            "--arrivals",
            "uniform",
            "--out",
            "out",
            "--no-charts",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("cannot scale it out again"), "{text}");
    let mut r = csv::Reader::from_path(tmp.path().join("out/scaling.csv")).unwrap();
    let events: Vec<(String, String, String, String)> = r
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
    assert_eq!(
        events[1..],
        [(
            "900.000".to_string(),
            "target_tracking".to_string(),
            "2".to_string(),
            "0".to_string()
        )]
    );
    let s = std::fs::read_to_string(tmp.path().join("out/summary.json")).unwrap();
    let s: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(s["requests_served"], 0);
    let o = meshsim(&["validate", "tt.toml"], tmp.path());
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(
        out.contains("cannot scale it out again"),
        "validate warns: {out}"
    );
}
