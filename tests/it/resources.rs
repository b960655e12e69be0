//! The usage model and the VPA (docs/resources.md) against hand-computed
//! numbers, the upstream HPA formula, processor-sharing queueing theory and
//! the VPA recommender's histogram arithmetic.

use crate::{config, rate_row};
use meshsim::engine::{SimConfig, simulate};
use meshsim::model::autoscaler::hpa::policy::{HpaPolicy, HpaPolicySpec};
use meshsim::model::autoscaler::hpa::spec::{HpaSpec, MetricSpec, ResourceName, Target};
use meshsim::model::autoscaler::{Observation, Policy, ReplicaView};
use meshsim::model::metrics::{MemoryModel, MetricsView, MetricsWindow, Snapshot, UsageTotals};
use meshsim::model::resources::{PodResources, UsagePlan};
use meshsim::model::service::ServiceDist;
use meshsim::model::vpa::{self, Aggregate, Amounts, MIB, PeakWindow, UpdateMode, VpaSpec};
use meshsim::trace::{TraceKind, TraceRow};

fn usage(cpr: f64, cpu_request: f64, cpu_limit: Option<f64>, concurrency: u32) -> UsagePlan {
    UsagePlan {
        cpu_per_request: cpr,
        cpu_idle: 0.0,
        memory_base_mb: 128.0,
        memory_per_request_mb: 8.0,
        pod: PodResources {
            cpu_request,
            cpu_limit,
            memory_request_mb: 512.0,
            memory_limit_mb: None,
        },
        concurrency,
    }
}

/// HPA utilisation is usage / request (kubernetes/kubernetes
/// pkg/controller/podautoscaler/replica_calculator.go `GetResourceReplicas`
/// via metrics.GetResourceUtilizationRatio): with cpu_per_request 0.2 and 5
/// requests in service a pod uses 1.0 core; against a 500m request that is
/// 200 %. Two such pods under a 50 % target: usageRatio = 200 / 50 = 4 (far
/// outside the 10 % tolerance), proposal = ceil(4 × 2 ready pods) = 8; the
/// scale-up limit then holds it to max(2 × 2, 4) = 4 (horizontal.go
/// `calculateScaleUpLimit`, no behavior given).
#[test]
fn hpa_utilisation_is_usage_over_request() {
    let plan = usage(0.2, 0.5, None, 8);
    assert!((plan.cpu_usage(5, None) - 1.0).abs() < 1e-12);
    let mut w = MetricsWindow::new(
        60,
        MemoryModel {
            base_mb: 128.0,
            per_request_mb: 8.0,
            request_mb: 512.0,
        },
    );
    w.usage = true;
    // Two ready pods, each with 5 busy requests, for 60 s.
    let snap = |t_s: u64| {
        let t = t_s as f64 * 1e6;
        Snapshot {
            t_us: t_s * 1_000_000,
            busy_slot_us: 10 * u128::from(t_s) * 1_000_000,
            ready_slot_us: 16 * u128::from(t_s) * 1_000_000,
            ready_replica_us: 2 * u128::from(t_s) * 1_000_000,
            arrivals: 0,
            usage: UsageTotals {
                cpu_int: 2.0 * plan.cpu_usage(5, None) * t,
                cpu_req_int: 2.0 * 0.5 * t,
                mem_int: 2.0 * plan.memory_mb(5) * t,
                mem_req_int: 2.0 * 512.0 * t,
                thr_int: 0.0,
            },
        }
    };
    for t in 0..=60 {
        w.push(snap(t));
    }
    w.ready_replicas = 2;
    assert!((w.cpu_utilization(30).unwrap() - 2.0).abs() < 1e-12);
    let mut hpa = HpaPolicy::new(HpaPolicySpec {
        spec: HpaSpec {
            name: "h".into(),
            min_replicas: 1,
            max_replicas: 20,
            metrics: vec![MetricSpec::Resource {
                resource: ResourceName::Cpu,
                target: Target::Utilization(50),
            }],
            behavior: None,
        },
        controller: Default::default(),
        sources: Default::default(),
        cpu_request_milli: 500,
        memory_request_bytes: 512 << 20,
        metrics_window_s: 30,
    });
    let views: Vec<ReplicaView> = (0..2)
        .map(|id| ReplicaView {
            id,
            created_us: 0,
            ready_us: Some(0),
            draining: false,
            requests: None,
        })
        .collect();
    let obs = Observation {
        now_us: 60_000_000,
        desired: 2,
        min: 1,
        max: 20,
        metrics: &w as &dyn MetricsView,
        replicas: &views,
    };
    let d = hpa.decide(&obs).expect("a decision");
    assert_eq!(d.recommendation, 8, "{}", d.reason);
    assert!(d.reason.contains("proposes 8"), "{}", d.reason);
    assert_eq!(d.desired, 4, "{}", d.reason);
}

/// Five requests started together on a pod with cpu_per_request 0.3 demand
/// 1.5 cores under a 1-core limit: each runs at 1 / 1.5 = 2/3 speed, so a
/// 100 ms request takes 150 ms. Four demand 1.2: 120 ms. Three demand 0.9,
/// under the limit: 100 ms.
#[test]
fn a_throttled_pod_serves_at_limit_over_demand() {
    for (n, want_ms) in [(5u64, 150.0), (4, 120.0), (3, 100.0)] {
        let mut cfg = config(1, 8, ServiceDist::Constant(100_000), 10);
        cfg.trace_kind = TraceKind::Request;
        cfg.usage = Some(usage(0.3, 0.5, Some(1.0), 8));
        let rows: Vec<TraceRow> = (0..n)
            .map(|_| TraceRow {
                t_us: 1_000_000,
                value: 1.0,
                service_us: None,
                tokens_in: None,
                tokens_out: None,
                session: None,
                region: None,
            })
            .collect();
        let s = simulate(cfg, rows.into_iter(), 1).summary;
        assert_eq!(s.requests_served, n);
        let mean = s.latency_mean_ms.unwrap();
        let max = s.latency_max_ms.unwrap();
        assert!(
            (mean - want_ms).abs() < 0.01,
            "{n} requests: mean {mean} ms, want {want_ms}"
        );
        assert!(
            (max - want_ms).abs() < 0.01,
            "{n} requests: max {max} ms, want {want_ms}"
        );
        let u = s.usage.expect("usage summary");
        assert_eq!(u.oom_kills, 0);
    }
}

/// One replica with many slots, CPU-bound requests (cpu_per_request 1.0) and
/// a 1-core limit is an M/G/1 processor-sharing queue: its mean response
/// time is E[S] / (1 − ρ) whatever the service distribution (Kleinrock,
/// Queueing Systems vol. 2, §4.4; the insensitivity of M/G/1-PS).
fn ps_mean(service: ServiceDist, mean_s: f64, rho: f64, requests: f64, seed: u64) -> (f64, f64) {
    let lambda = rho / mean_s;
    let span_s = (requests / lambda).ceil() as u64;
    let mut cfg: SimConfig = config(1, 2000, service, span_s);
    cfg.usage = Some(usage(1.0, 1.0, Some(1.0), 2000));
    let out = simulate(cfg, vec![rate_row(0.0, lambda)].into_iter(), seed);
    let s = &out.summary;
    assert_eq!(
        s.requests_arrived,
        s.requests_served + s.requests_dropped + s.requests_rejected + s.requests_in_flight
    );
    assert_eq!(s.requests_dropped + s.requests_rejected, 0);
    let want = mean_s * 1e3 / (1.0 - rho);
    (s.latency_mean_ms.unwrap(), want)
}

#[test]
fn one_cpu_bound_pod_is_an_mg1_processor_sharing_queue() {
    let mean_s = 0.05;
    let dists = [
        (
            "exponential",
            ServiceDist::Exponential { mean_us: 50_000.0 },
        ),
        ("constant", ServiceDist::Constant(50_000)),
        (
            "lognormal cv 2",
            ServiceDist::from_scenario(&meshsim::model::service::ServiceTime::Lognormal {
                mean_ms: 50.0,
                cv: 2.0,
            }),
        ),
    ];
    // Tolerances: with seed 7 the errors are 0.04-0.36 % at rho 0.5 and
    // 0.05-2.1 % at rho 0.8 (the lognormal's heavy tail is the noisiest);
    // the bounds are about twice the worst.
    for (rho, requests, tol) in [(0.5, 1e6, 0.03), (0.8, 2e6, 0.05)] {
        for (name, d) in dists.iter() {
            let (got, want) = ps_mean(d.clone(), mean_s, rho, requests, 7);
            let err = (got / want - 1.0).abs();
            eprintln!(
                "M/G/1-PS {name} rho={rho}: mean {got:.2} ms vs E[S]/(1-rho) {want:.2} ms ({:.2} %)",
                err * 100.0
            );
            assert!(
                err < tol,
                "{name} at rho {rho}: mean {got} ms, theory {want} ms"
            );
        }
    }
}

/// The recommender's target from a known history (vertical-pod-autoscaler
/// 1.7.1 pkg/recommender/logic): 600 CPU samples of 0.2 cores and one
/// memory peak of 300 MiB.
///
/// CPU buckets start at 0.01 × (1.05^b − 1) / 0.05 cores; 0.2 cores lies in
/// bucket ⌊log_1.05(0.2 × 0.05 / 0.01 + 1)⌋ = ⌊log_1.05 2⌋ = ⌊14.2067⌋ = 14;
/// every percentile is that bucket's end, the start of bucket 15:
/// 0.2 × (1.05^15 − 1) = 0.2 × 1.0789282 = 0.21578564 cores → 215 millicores
/// (truncated) → + ⌊215 × 0.15⌋ = 32 → target 247m.
///
/// Memory: 300 MiB = 314,572,800 bytes lies in bucket
/// ⌊log_1.05(314572800 × 0.05 / 10^7 + 1)⌋ = ⌊log_1.05 2.5728640⌋ = ⌊19.369⌋ = 19;
/// its end is 10^7 × (1.05^20 − 1) / 0.05 = 330,659,541.03 → 330,659,541
/// bytes → + ⌊0.15 × that⌋ = 49,598,931 → 380,258,472 bytes (362.6 MiB).
///
/// Confidence: 600 samples over 599 minutes: min(599/1440, 600/1440) days
/// = 0.41597; upper bound × (1 + 1/0.41597) = × 3.4040; lower bound ×
/// (1 + 0.001/0.41597)^-2 = × 0.99521.
#[test]
fn vpa_target_follows_the_histogram_arithmetic() {
    let mut a = Aggregate::default();
    let mut w = PeakWindow::default();
    for m in 0..600u64 {
        a.add_cpu(0.2, m * 60_000_000);
        a.add_memory(&mut w, 300.0 * MIB, m * 60_000_000, false);
    }
    let r = vpa::recommend(&a);
    assert_eq!(r.target.cpu_milli, 247.0);
    assert_eq!(r.target.memory_bytes, 380_258_472.0);
    let c = a.confidence();
    assert!((c - 599.0 / 1440.0).abs() < 1e-12);
    // Bounds: the same percentile (one bucket) with the confidence factors.
    assert_eq!(r.upper.cpu_milli, (247.0 * (1.0 + 1.0 / c)).trunc());
    assert_eq!(
        r.lower.cpu_milli,
        (247.0 * (1.0 + 0.001 / c).powf(-2.0)).trunc()
    );
    // minAllowed / maxAllowed clamp target and bounds.
    let spec = VpaSpec {
        name: "v".into(),
        update_mode: UpdateMode::Auto,
        cpu: true,
        memory: true,
        requests_only: false,
        min_allowed: Amounts {
            cpu_milli: 100.0,
            memory_bytes: 512.0 * MIB,
        },
        max_allowed: Amounts {
            cpu_milli: 200.0,
            memory_bytes: 2048.0 * MIB,
        },
    };
    let none = Amounts {
        cpu_milli: f64::INFINITY,
        memory_bytes: f64::INFINITY,
    };
    let capped = spec.cap(r, none, Amounts::default());
    assert_eq!(capped.target.cpu_milli, 200.0);
    assert_eq!(capped.upper.cpu_milli, 200.0);
    assert_eq!(capped.target.memory_bytes, 512.0 * MIB);
    assert_eq!(capped.lower.memory_bytes, 512.0 * MIB);
    // A pod requesting 250m / 512Mi is inside [lower, upper] for CPU? Its
    // 250m is above the capped upper bound 200m: outside the range.
    let p = vpa::priority(
        &spec,
        Amounts {
            cpu_milli: 250.0,
            memory_bytes: 512.0 * MIB,
        },
        &capped,
    );
    assert!(p.outside_range);
    assert!(!p.scale_up);
    // resourceDiff = |250 − 200| / 250 + 0 = 0.2.
    assert!((p.resource_diff - 0.2).abs() < 1e-12);
}

fn project() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `scenario` on workloads/peak.csv into `dir/name`; returns the folder.
fn run_peak(scenario: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let out = dir.join(scenario.replace(['/', '.'], "_"));
    let trace = project().join("workloads/peak.csv");
    let o = crate::meshsim(
        &[
            "run",
            scenario,
            "--trace",
            trace.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--force",
        ],
        &project(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn csv_rows(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut rd = csv::Reader::from_path(path).unwrap();
    let h = rd.headers().unwrap().clone();
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            h.iter()
                .zip(r.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &std::collections::HashMap<String, String>, k: &str) -> f64 {
    row.get(k)
        .unwrap_or_else(|| panic!("column {k}"))
        .parse()
        .unwrap_or_else(|_| panic!("{k} = {:?}", row[k]))
}

/// Conservation: arrived = served + dropped + rejected + in flight.
fn conserved(s: &std::collections::HashMap<String, String>) {
    let arrived = num(s, "requests_arrived");
    let rest = num(s, "requests_served")
        + num(s, "requests_dropped")
        + num(s, "requests_rejected")
        + num(s, "requests_in_flight");
    assert_eq!(arrived, rest);
}

/// The seed's HPA (CPU 70 % and memory 80 % Utilization) beside its VPA
/// (Auto on CPU and memory): the VPA lowers the requests the HPA divides
/// by, the HPA sees higher utilisation and scales out, which lowers the
/// usage per pod the VPA samples: the loop the VPA's documentation warns
/// about ("don't use VPA with HPA on the same resource metric",
/// vertical-pod-autoscaler/README.md, Known limitations). With the HPA's
/// targets as AverageValue (usage per pod, independent of the request) the
/// replica count follows the load as with the VPA off.
#[test]
fn the_hpa_and_vpa_loop_shows_and_averagevalue_avoids_it() {
    let tmp = tempfile::tempdir().unwrap();
    let summary = |d: &std::path::Path| csv_rows(&d.join("summary.csv")).remove(0);
    let hpa_events = |d: &std::path::Path| {
        csv_rows(&d.join("scaling.csv"))
            .iter()
            .filter(|r| r["autoscaler"] == "hpa")
            .count()
    };
    let looped = run_peak("i2s-production-vpa", tmp.path());
    let average = run_peak("i2s-production-vpa-averagevalue", tmp.path());
    let off = run_peak("i2s-production-vpa-off", tmp.path());
    let (sl, sa, so) = (summary(&looped), summary(&average), summary(&off));
    for s in [&sl, &sa, &so] {
        conserved(s);
    }
    // The VPA acted: it evicted pods and lowered the CPU request below the
    // Deployment's 250m (the trace's per-pod usage is ~50-110m).
    assert!(num(&sl, "vpa_evictions") >= 1.0);
    let min_req = csv_rows(&looped.join("timeline.csv"))
        .iter()
        .map(|r| num(r, "cpu_request_milli"))
        .filter(|&v| v > 0.0)
        .fold(f64::INFINITY, f64::min);
    assert!(min_req < 200.0, "{min_req}");
    assert!(num(&sl, "vpa_evictions") >= 1.0 && num(&sa, "vpa_evictions") >= 1.0);
    assert_eq!(num(&so, "vpa_evictions"), 0.0);
    // The loop: more than twice the HPA decisions and a higher peak than
    // the same VPA under AverageValue targets.
    let (hl, ha) = (hpa_events(&looped), hpa_events(&average));
    assert!(
        hl > 2 * ha,
        "HPA events: Utilization {hl}, AverageValue {ha}"
    );
    assert!(
        num(&sl, "replicas_max") > num(&sa, "replicas_max") + 2.0,
        "{} vs {}",
        sl["replicas_max"],
        sa["replicas_max"]
    );
    // AverageValue: replicas as with the VPA off (evicted pods restarting
    // cold move the usage a little), within 5 %.
    assert_eq!(num(&sa, "replicas_max"), num(&so, "replicas_max"));
    let (ma, mo) = (num(&sa, "replicas_mean"), num(&so, "replicas_mean"));
    assert!((ma - mo).abs() <= 0.05 * mo, "{ma} vs {mo}");
    assert_eq!(hpa_events(&off), ha);
    // The usage columns exist only in runs with the model.
    let plain = run_peak("i2s-production", tmp.path());
    assert!(!summary(&plain).contains_key("oom_kills"));
    assert!(!plain.join("vpa.csv").exists());
    assert!(looped.join("resources.png").exists());

    // `meshsim vpa explain` on the run's samples recomputes its last
    // recommendation (vpa.csv's last row), capped by the same manifest.
    let o = crate::meshsim(
        &[
            "vpa",
            "explain",
            "--history",
            looped.join("vpa_samples.csv").to_str().unwrap(),
            "--vpa",
            "scenarios/k8s/i2s-production-conductor-vpa.yaml",
        ],
        &project(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ex: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let last = csv_rows(&looped.join("vpa.csv")).pop().unwrap();
    let rec = &ex["recommendation"];
    for (json, col) in [
        ("target", "target_cpu_milli"),
        ("lower_bound", "lower_cpu_milli"),
        ("upper_bound", "upper_cpu_milli"),
    ] {
        assert_eq!(
            rec[json]["cpu_milli"].as_f64().unwrap(),
            num(&last, col),
            "{col}"
        );
    }
    for (json, col) in [
        ("target", "target_memory_mb"),
        ("lower_bound", "lower_memory_mb"),
        ("upper_bound", "upper_memory_mb"),
    ] {
        let mib = rec[json]["memory_mib"].as_f64().unwrap();
        assert!(
            (mib - num(&last, col)).abs() <= 0.05,
            "{col}: {mib} vs {}",
            last[col]
        );
    }
    assert!((ex["confidence_days"].as_f64().unwrap() - num(&last, "confidence_days")).abs() < 1e-4);
}

/// A history with a bad cell names the file, line and column; one out of
/// time order says to sort it.
#[test]
fn vpa_explain_names_the_line_and_column_of_bad_history() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("h.csv");
    std::fs::write(
        &f,
        "t_s,pod,cpu_cores,memory_mb,oom_request_mb\n60,a,0.1,300,\n120,a,lots,300,\n",
    )
    .unwrap();
    let o = crate::meshsim(
        &["vpa", "explain", "--history", f.to_str().unwrap()],
        tmp.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("h.csv: line 3, column cpu_cores: `lots`"),
        "{err}"
    );
    std::fs::write(
        &f,
        "t_s,pod,cpu_cores,memory_mb,oom_request_mb\n120,a,0.1,300,\n60,a,0.1,300,\n",
    )
    .unwrap();
    let o = crate::meshsim(
        &["vpa", "explain", "--history", f.to_str().unwrap()],
        tmp.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 3, column t_s") && err.contains("sort the samples"),
        "{err}"
    );
    // A good one-pod history: 0.2 cores every minute for an hour. CPU p90
    // lies in the bucket holding 0.2: bucket b = floor(ln(0.2·0.05/0.01 + 1)
    // / ln 1.05) = floor(14.21) = 14, whose end is 0.01·(1.05^15 − 1)/0.05
    // = 0.21579 cores → 215m (upstream's CPUAmountFromCores truncates to
    // whole millicores); + 15 % = 247.25m → 247m (truncated again).
    let mut text = String::from("t_s,pod,cpu_cores,memory_mb,oom_request_mb\n");
    for m in 1..=60 {
        text.push_str(&format!("{},a,0.2,300,\n", m * 60));
    }
    std::fs::write(&f, text).unwrap();
    let o = crate::meshsim(
        &["vpa", "explain", "--history", f.to_str().unwrap()],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ex: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        ex["recommendation"]["target"]["cpu_milli"].as_f64(),
        Some(247.0)
    );
}

/// Memory above the limit is an OOM kill: the pod's in-flight requests are
/// dropped (and counted), it restarts after the kubelet's back-off, and
/// every request is still accounted for.
#[test]
fn memory_above_the_limit_is_an_oom_kill() {
    let tmp = tempfile::tempdir().unwrap();
    // 8 slots; 128 MB + 64 MB per request in service: 7 busy use 576 MB,
    // above the 512 MB (0.5 GiB) limit.
    std::fs::write(
        tmp.path().join("oom.toml"),
        r#"extends = "steady"
name = "oom"
[service]
concurrency = 8
memory_base_mb = 128
memory_per_request_mb = 64
memory_request_mb = 256
[capacity]
memory_limit_gb = 0.5
"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let trace = project().join("workloads/peak.csv");
    let o = crate::meshsim(
        &[
            "run",
            "oom.toml",
            "--trace",
            trace.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = csv_rows(&out.join("summary.csv")).remove(0);
    conserved(&s);
    assert!(num(&s, "oom_kills") >= 1.0, "{}", s["oom_kills"]);
    assert!(num(&s, "requests_dropped") >= num(&s, "oom_kills"));
    let v = crate::meshsim(&["validate", "oom.toml"], tmp.path());
    let text = String::from_utf8_lossy(&v.stdout).to_string() + &String::from_utf8_lossy(&v.stderr);
    assert!(text.contains("pods past it are OOM-killed"), "{text}");
}
