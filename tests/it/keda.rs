//! KEDA ScaledObjects with several triggers, metric types, cpu/memory
//! triggers and the initial cooldown, against kedacore/keda's rules
//! (`pkg/scaling/scale_handler.go` `getScaledObjectState`,
//! `pkg/scaling/executor/scale_scaledobjects.go`, `pkg/scalers/cron_scaler.go`,
//! `pkg/scalers/cpu_memory_scaler.go`, `pkg/scalers/scaler.go`) and the HPA's
//! (`pkg/controller/podautoscaler/replica_calculator.go`). Decision times are
//! derived by hand in each test.

use super::meshsim;
use std::path::Path;

/// A service whose replicas serve 10 requests at a time, 100 ms each, with a
/// 0.25 vCPU request.
const HEAD: &str = "[service]\nconcurrency = 10\nservice_time = { dist = \"constant\", mean_ms = 100 }\nstartup_s = 20\ntimeout_ms = 600000\n[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n";

/// Runs `scenario` on `trace` (uniform arrivals) and returns the scaling
/// decisions other than the initial count: (t_s, autoscaler, from, to, reason).
fn decisions(dir: &Path, scenario: &str, trace: &str) -> Vec<(f64, String, u32, u32, String)> {
    let out = format!("{scenario}.out");
    let o = meshsim(
        &[
            "run",
            scenario,
            "--trace",
            trace,
            "--arrivals",
            "uniform",
            "--out",
            &out,
            "--quiet",
            "--no-charts",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut r = csv::Reader::from_path(dir.join(&out).join("scaling.csv")).unwrap();
    r.records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[1].parse().unwrap(),
                r[2].to_string(),
                r[3].parse().unwrap(),
                r[4].parse().unwrap(),
                r[6].to_string(),
            )
        })
        .filter(|e| e.1 != "fixed")
        .collect()
}

fn times(d: &[(f64, String, u32, u32, String)]) -> Vec<(f64, &str, u32, u32)> {
    d.iter()
        .map(|(t, by, a, b, _)| (*t, by.as_str(), *a, *b))
        .collect()
}

fn error_of(dir: &Path, args: &[&str]) -> String {
    let o = meshsim(args, dir);
    assert!(!o.status.success(), "expected a failure: {args:?}");
    String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout)
}

/// A queue trigger first and a cron trigger second (the order that lost the
/// cron floor when only the first trigger was read). The queue stays empty.
///
/// By hand (polling 30 s, cooldown 300 s, HPA sync 15 s, no behavior):
/// - the trace starts Monday 07:50 UTC at 0 replicas (minReplicaCount 0);
/// - cron window `[08:00, 09:00)`: at 08:00 (t = 600 s, a poll) the cron
///   trigger is active (next end 09:00 comes before next start, tomorrow
///   08:00), the object is at 0 → max(min, 1) = 1 (`keda`);
/// - the HPA's next sync, 615 s: External s0-rabbitmq = 0 against
///   AverageValue 5 proposes 0; External s1-cron = 3 against AverageValue 1
///   proposes ceil(3 / 1) = 3; the largest wins → 3 (`keda-hpa`; the default
///   scale-up limit max(2 × 1, 4) allows it);
/// - at 09:00 (4200 s) the window closes; the last active poll was 4170 s;
///   the executor scales to 0 at the first poll with 4170 + 300 < t: 4500 s.
///   (The HPA's 300 s stabilisation would have held 3 until then anyway.)
#[test]
fn cron_trigger_holds_its_floor_while_the_queue_is_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("t.csv"),
        "timestamp,rps\n2025-01-06T07:50:00Z,0\n2025-01-06T09:30:00Z,0\n",
    )
    .unwrap();
    let so = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: { name: worker }\nspec:\n  scaleTargetRef: { name: worker }\n  minReplicaCount: 0\n  maxReplicaCount: 10\n  triggers:\n  - type: rabbitmq\n    metadata: { queueName: jobs, mode: QueueLength, value: \"5\" }\n  - type: cron\n    metadata: { timezone: UTC, start: \"0 8 * * *\", end: \"0 9 * * *\", desiredReplicas: \"3\" }\n";
    std::fs::write(d.join("so.yaml"), so).unwrap();
    std::fs::write(
        d.join("so.toml"),
        format!("{HEAD}[scaling.queue]\nmanifest = \"so.yaml\"\n"),
    )
    .unwrap();
    let got = decisions(d, "so.toml", "t.csv");
    assert_eq!(
        times(&got),
        vec![
            (600.0, "keda", 0, 1),
            (615.0, "keda-hpa", 1, 3),
            (4500.0, "keda", 3, 0)
        ]
    );
    assert!(
        got[0].4.contains("s1-cron inside its window"),
        "{}",
        got[0].4
    );
    assert!(got[1].4.contains("External s1-cron"), "{}", got[1].4);
    // The same ScaledObject written inline gives the same decisions.
    std::fs::write(
        d.join("inline.toml"),
        format!(
            "{HEAD}[scaling]\nmin = 0\nmax = 10\n[scaling.queue]\n\
             [[scaling.queue.triggers]]\ntype = \"rabbitmq\"\nvalue = 5\n\
             [[scaling.queue.triggers]]\ntype = \"cron\"\ntimezone = \"UTC\"\nstart = \"0 8 * * *\"\nend = \"0 9 * * *\"\ndesired_replicas = 3\n"
        ),
    )
    .unwrap();
    assert_eq!(decisions(d, "inline.toml", "t.csv"), got);
    // A change by index reaches the manifest's second trigger: 5 replicas,
    // reached in two steps by the HPA's scale-up limit without behavior,
    // max(2 × current, 4): 1 → 4 at 615 s, 4 → 5 at 630 s.
    let o = meshsim(
        &[
            "run",
            "so.toml",
            "--trace",
            "t.csv",
            "--set",
            "scaling.queue.triggers.1.desired_replicas=5",
            "--out",
            "five",
            "--quiet",
            "--no-charts",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = std::fs::read_to_string(d.join("five/scaling.csv")).unwrap();
    assert!(s.contains("615.000,keda-hpa,1,4,5,"), "{s}");
    assert!(s.contains("630.000,keda-hpa,4,5,5,"), "{s}");
}

/// A `cpu` trigger (`metricType: Utilization`, value "60") is a Resource
/// metric of KEDA's HPA, not a queue length. One replica of 10 slots serving
/// 80 requests/s of 100 ms is 8 busy slots: 80 % of its CPU request (200m of
/// 250m). The HPA's first sync with a full 30 s metrics window (t = 30 s):
/// usage ratio 80 / 60 = 1.33, outside the 0.1 tolerance → ceil(1.33 × 1) = 2.
/// With 2 replicas, 40 % → ceil(0.667 × 2) = 2: it stays. (Read as "60
/// messages per replica", the old misreading, it never left 1.)
#[test]
fn cpu_trigger_at_80_percent_against_60_scales_to_two() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("t.csv"),
        "timestamp,rps\n2025-01-06T08:00:00Z,80\n2025-01-06T08:10:00Z,80\n",
    )
    .unwrap();
    let so = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: { name: api }\nspec:\n  scaleTargetRef: { name: api }\n  minReplicaCount: 1\n  maxReplicaCount: 10\n  triggers:\n  - type: cpu\n    metricType: Utilization\n    metadata: { value: \"60\" }\n";
    std::fs::write(d.join("cpu.yaml"), so).unwrap();
    std::fs::write(
        d.join("cpu.toml"),
        format!("{HEAD}[scaling.queue]\nmanifest = \"cpu.yaml\"\n"),
    )
    .unwrap();
    let got = decisions(d, "cpu.toml", "t.csv");
    assert_eq!(times(&got), vec![(30.0, "keda-hpa", 1, 2)]);
    assert!(
        got[0].4.contains("Resource cpu (averageUtilization 80%"),
        "{}",
        got[0].4
    );
    // Only cpu/memory triggers with minReplicaCount 0: KEDA's webhook refuses it.
    std::fs::write(
        d.join("zero.yaml"),
        so.replace("minReplicaCount: 1", "minReplicaCount: 0"),
    )
    .unwrap();
    std::fs::write(
        d.join("zero.toml"),
        format!("{HEAD}[scaling.queue]\nmanifest = \"zero.yaml\"\n"),
    )
    .unwrap();
    let e = error_of(d, &["validate", "zero.toml"]);
    assert!(
        e.contains("only cpu/memory triggers cannot scale to zero"),
        "{e}"
    );
    // A cpu trigger without metricType is refused, as KEDA's scaler does.
    std::fs::write(
        d.join("nomt.yaml"),
        so.replace("    metricType: Utilization\n", ""),
    )
    .unwrap();
    std::fs::write(
        d.join("nomt.toml"),
        format!("{HEAD}[scaling.queue]\nmanifest = \"nomt.yaml\"\n"),
    )
    .unwrap();
    let e = error_of(d, &["validate", "nomt.toml"]);
    assert!(e.contains("metric_type Utilization or AverageValue"), "{e}");
}

/// `metricType: Value` is the total, not per replica (`GetMetricTarget`):
/// the HPA's External Value rule is ceil(current × total / target).
/// `Utilization` on an External trigger is refused (KEDA's
/// `ErrScalerUnsupportedUtilizationMetricType`).
#[test]
fn metric_type_value_and_utilization_on_external_triggers() {
    use meshsim::billing::PriceBook;
    use meshsim::model::autoscaler::hpa::spec::{MetricSpec, Target};
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let so = |mt: &str| {
        format!(
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{ name: w }}\nspec:\n  scaleTargetRef: {{ name: w }}\n  triggers:\n  - type: aws-sqs-queue\n    metricType: {mt}\n    metadata: {{ queueURL: q, queueLength: \"20\", activationQueueLength: \"3\" }}\n"
        )
    };
    std::fs::write(d.join("value.yaml"), so("Value")).unwrap();
    std::fs::write(d.join("util.yaml"), so("Utilization")).unwrap();
    for f in ["value", "util"] {
        std::fs::write(
            d.join(format!("{f}.toml")),
            format!("{HEAD}[scaling.queue]\nmanifest = \"{f}.yaml\"\n"),
        )
        .unwrap();
    }
    let book = PriceBook::builtin();
    let p = d.join("value.toml");
    let k = meshsim::scenario::resolve(p.to_str().unwrap(), &[], &[], &book)
        .unwrap()
        .keda
        .unwrap();
    assert_eq!(
        k.hpa.spec.metrics,
        vec![MetricSpec::External {
            metric: "keda-trigger".into(),
            target: Target::Value(20_000)
        }]
    );
    assert_eq!(k.triggers[0].activation, 3.0);
    let e = error_of(d, &["validate", "util.toml"]);
    assert!(
        e.contains("Utilization is for cpu and memory triggers only"),
        "{e}"
    );
}

/// A trigger type that reads a system meshsim does not simulate is refused,
/// naming the trigger and the key that maps it; once mapped it is read.
/// `fallback` is read and reported as never applying.
#[test]
fn unknown_trigger_types_are_refused_until_mapped_and_fallback_is_warned() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let so = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: { name: w }\nspec:\n  scaleTargetRef: { name: w }\n  fallback: { failureThreshold: 3, replicas: 6 }\n  triggers:\n  - type: rabbitmq\n    metadata: { queueName: jobs, value: \"10\" }\n  - type: prometheus\n    metadata: { serverAddress: http://prom:9090, query: \"sum(rate(http_requests_total[1m]))\", threshold: \"50\" }\n";
    std::fs::write(d.join("so.yaml"), so).unwrap();
    std::fs::write(
        d.join("so.toml"),
        format!("{HEAD}[scaling.queue]\nmanifest = \"so.yaml\"\n"),
    )
    .unwrap();
    let e = error_of(d, &["validate", "so.toml"]);
    assert!(e.contains("scaling.queue.triggers[1]"), "{e}");
    assert!(
        e.contains("prometheus trigger reads a value meshsim does not simulate"),
        "{e}"
    );
    let o = meshsim(
        &[
            "validate",
            "so.toml",
            "--set",
            "scaling.queue.triggers.1.metric=rps",
        ],
        d,
    );
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("spec.fallback is read but never applies"),
        "{out}"
    );
    // The same mapping through metric_sources, by metric name or by type.
    for set in [
        "scaling.queue.metric_sources.s1-prometheus=rps",
        "scaling.queue.metric_sources.prometheus=rps",
    ] {
        let o = meshsim(&["validate", "so.toml", "--set", set], d);
        assert!(
            o.status.success(),
            "{set}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(
        e.contains("scaling.queue.metric_sources.s1-prometheus"),
        "{e}"
    );
    // scalingModifiers (formula composition) is refused, not ignored.
    std::fs::write(
        d.join("mod.yaml"),
        so.replace(
            "  fallback: { failureThreshold: 3, replicas: 6 }\n",
            "  advanced:\n    scalingModifiers: { formula: \"a + b\", target: \"5\" }\n",
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("mod.toml"),
        format!("{HEAD}[scaling.queue]\nmanifest = \"mod.yaml\"\n"),
    )
    .unwrap();
    let e = error_of(d, &["validate", "mod.toml"]);
    assert!(e.contains("scalingModifiers"), "{e}");
}

/// `initialCooldownPeriod` (`scaleToZeroOrIdle`: with no LastActiveTime,
/// scale in only when creation + initialCooldownPeriod is before now).
/// minReplicaCount 1, idleReplicaCount 0, no traffic, polls every 30 s:
/// without it the first poll (t = 30 s: the engine's first sync is one
/// period after the start) scales 1 → 0; with 120 s, the first poll strictly
/// after 120 s: t = 150 s (at 120 s, creation + 120 s is not before now).
#[test]
fn initial_cooldown_period_delays_the_first_scale_in() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("t.csv"),
        "timestamp,rps\n2025-01-06T08:00:00Z,0\n2025-01-06T08:10:00Z,0\n",
    )
    .unwrap();
    let base = format!(
        "{HEAD}[scaling]\nmin = 1\nmax = 4\n[scaling.queue]\nqueue_length = 5\nidle_replica_count = 0\n"
    );
    std::fs::write(d.join("plain.toml"), &base).unwrap();
    std::fs::write(
        d.join("initial.toml"),
        format!("{base}initial_cooldown_period_s = 120\n"),
    )
    .unwrap();
    assert_eq!(
        times(&decisions(d, "plain.toml", "t.csv")),
        vec![(30.0, "keda", 1, 0)]
    );
    let got = decisions(d, "initial.toml", "t.csv");
    assert_eq!(times(&got), vec![(150.0, "keda", 1, 0)]);
    assert!(
        got[0].4.contains("120 s initialCooldownPeriod"),
        "{}",
        got[0].4
    );
}

/// Manifest fields meshsim reads but does not simulate are said by
/// `validate`, not silently ignored: the i2s-staging Deployment's limits
/// (read into the usage model, but they never bind under its defaults) and
/// probes, the i2s-production HPA's metric selector.
#[test]
fn deployment_fields_read_but_not_simulated_are_warned() {
    let tmp = tempfile::tempdir().unwrap();
    let o = meshsim(&["validate", "i2s-staging"], tmp.path());
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}");
    for needle in [
        "limits cpu 1 memory 1 GiB never bind under the usage model's defaults",
        "readinessProbe is read but not simulated",
        "livenessProbe is read but not simulated",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
    // An HPA metric's selector: the value comes from metric_sources by name.
    let o = meshsim(&["validate", "i2s-production"], tmp.path());
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("spec.metrics[3].external.metric.selector is read but not applied"),
        "{out}"
    );
}
