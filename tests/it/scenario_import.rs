//! `meshsim scenario import`: Kubernetes bundles become scenarios that
//! reference their manifests; the seed's I2S staging manifests give the
//! built-in run.

use super::meshsim;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let o = meshsim(args, dir);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// Every column but the first (the scenario's name).
fn without_name(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| l.split_once(',').map_or(l, |(_, r)| r).to_string())
        .collect()
}

/// The seed's `k8s/staging/conductor-deployment.yml` and
/// `conductor-hpa.yml` (scenarios/k8s/, ../shared/seeds/003_…). Imported,
/// with the values the built-in `i2s-staging-fargate` assumes given as
/// overrides (the manifests do not hold them: the import lists them as
/// assumed), the run is the built-in's, file for file. The only difference
/// is the reason of the first scaling event, which names where the initial
/// 2 replicas come from (the Deployment's spec.replicas, which the import
/// references, against the built-in's scaling.min = 2). The built-in
/// `i2s-staging` adds the cluster's node groups, which no manifest of the
/// bundle describes.
#[test]
fn the_seed_manifests_import_to_the_built_in_run() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let k8s = root().join("scenarios/k8s");
    let dep = k8s.join("i2s-staging-conductor-deployment.yaml");
    let hpa = k8s.join("i2s-staging-conductor-hpa.yaml");
    let (ok, _, err) = run(
        d,
        &[
            "scenario",
            "import",
            dep.to_str().unwrap(),
            hpa.to_str().unwrap(),
            "-o",
            "conductor.toml",
        ],
    );
    assert!(ok, "{err}");
    let toml = std::fs::read_to_string(d.join("conductor.toml")).unwrap();
    assert!(
        toml.contains("deployment = \"") && toml.contains("[scaling.hpa]"),
        "{toml}"
    );
    assert!(
        toml.contains("concurrency = 1                      # assumed"),
        "{toml}"
    );
    assert!(
        err.contains(
            "assumed (not in the imported files; check them): region, timezone, service.concurrency"
        ),
        "{err}"
    );
    let trace = root().join("workloads/peak.csv");
    let trace = trace.to_str().unwrap();
    let (ok, _, err) = run(
        d,
        &[
            "run",
            "conductor.toml",
            "--trace",
            trace,
            "--no-charts",
            "-q",
            "--out",
            "imported",
            "--set",
            "service.concurrency=8",
            "--set",
            "service.service_time.dist=lognormal",
            "--set",
            "service.service_time.mean_ms=150",
            "--set",
            "service.service_time.cv=1.0",
            "--set",
            "service.startup_s=30",
            "--set",
            "service.memory_base_mb=256",
            "--set",
            "service.memory_per_request_mb=16",
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = run(
        d,
        &[
            "run",
            "i2s-staging-fargate",
            "--trace",
            trace,
            "--no-charts",
            "-q",
            "--out",
            "builtin",
        ],
    );
    assert!(ok, "{err}");
    for f in ["summary.csv", "timeline.csv"] {
        assert_eq!(
            without_name(&d.join("imported").join(f)),
            without_name(&d.join("builtin").join(f)),
            "{f}"
        );
    }
    let (a, b) = (
        std::fs::read_to_string(d.join("imported/scaling.csv")).unwrap(),
        std::fs::read_to_string(d.join("builtin/scaling.csv")).unwrap(),
    );
    let differing: Vec<(&str, &str)> = a.lines().zip(b.lines()).filter(|(x, y)| x != y).collect();
    assert_eq!(a.lines().count(), b.lines().count());
    assert_eq!(
        differing,
        vec![(
            "2025-11-28T05:00:00Z,0.000,fixed,0,2,2,initial replicas: the Deployment's spec.replicas = 2",
            "2025-11-28T05:00:00Z,0.000,fixed,0,2,2,initial replicas: scaling.min = 2"
        )]
    );
}

const BUNDLE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
      - name: api
        image: api:1
        resources: { requests: { cpu: 500m, memory: 1Gi } }
      - name: proxy
        image: envoy:1
        resources: { requests: { cpu: 100m, memory: 128Mi } }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  replicas: 1
  selector: { matchLabels: { app: worker } }
  template:
    metadata: { labels: { app: worker } }
    spec:
      containers:
      - name: worker
        image: worker:1
        resources: { requests: { cpu: "1", memory: 2Gi } }
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker-scaler
spec:
  scaleTargetRef: { name: worker }
  minReplicaCount: 0
  maxReplicaCount: 20
  triggers:
  - type: rabbitmq
    metadata: { queueName: jobs, mode: QueueLength, value: "50" }
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api-pdb
spec:
  minAvailable: 2
  selector: { matchLabels: { app: api } }
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: { app: api }
  ports: [ { port: 80 } ]
"#;

#[test]
fn a_bundle_of_several_workloads_imports_the_one_named() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("bundle.yaml"), BUNDLE).unwrap();
    let (ok, _, err) = run(d, &["scenario", "import", "bundle.yaml", "-o", "x.toml"]);
    assert!(!ok);
    assert!(
        err.contains("2 workloads (Deployment/api, Deployment/worker)")
            && err.contains("--workload"),
        "{err}"
    );
    assert!(!d.join("x.toml").exists());
    // api: requests 500m + 100m = 0.6 CPU, 1 GiB + 128 MiB = 1.125 GiB,
    // which Fargate rounds up to 1 vCPU / 2 GB (1 vCPU takes 2-8 GB in 1 GB
    // steps), written inline; no autoscaler targets it: spec.replicas 3 fixed.
    let (ok, _, err) = run(
        d,
        &[
            "scenario",
            "import",
            "bundle.yaml",
            "--workload",
            "api",
            "-o",
            "api.toml",
        ],
    );
    assert!(ok, "{err}");
    let toml = std::fs::read_to_string(d.join("api.toml")).unwrap();
    assert!(
        toml.contains("requests 0.6 CPU / 1.125 GiB") && toml.contains("cpu = 1\nmemory_gb = 2\n"),
        "{toml}"
    );
    assert!(
        toml.contains("min = 3 ") && toml.contains("max = 3\n"),
        "{toml}"
    );
    assert!(
        err.contains("PodDisruptionBudget/api-pdb (minAvailable 2")
            && err.contains("Service/api: not simulated"),
        "{err}"
    );
    // worker: its ScaledObject is referenced.
    let (ok, _, err) = run(
        d,
        &[
            "scenario",
            "import",
            "bundle.yaml",
            "--workload",
            "worker",
            "-o",
            "worker.toml",
        ],
    );
    assert!(ok, "{err}");
    let toml = std::fs::read_to_string(d.join("worker.toml")).unwrap();
    assert!(
        toml.contains("[scaling.queue]\nmanifest = \"bundle.yaml\""),
        "{toml}"
    );
    let (ok, out, err) = run(d, &["validate", "worker.toml"]);
    assert!(ok, "{err}{out}");
    // Not Kubernetes objects, or not YAML: the file is named.
    std::fs::write(d.join("values.yaml"), "replicaCount: 3\nimage: api\n").unwrap();
    let (ok, _, err) = run(d, &["scenario", "import", "values.yaml", "-o", "v.toml"]);
    assert!(!ok);
    assert!(
        err.contains("values.yaml: document 1 has no `kind`"),
        "{err}"
    );
    std::fs::write(d.join("broken.yaml"), "kind: Deployment\n  metadata: [\n").unwrap();
    let (ok, _, err) = run(d, &["scenario", "import", "broken.yaml", "-o", "b.toml"]);
    assert!(!ok);
    assert!(err.contains("broken.yaml: not valid YAML"), "{err}");
}

/// The same service written by hand as a scenario: what the ECS bundle in
/// tests/data/ecs says, with the import's assumed service values. AWS cron
/// day-of-week 2-6 is MON-FRI (1 = SUN, Application Auto Scaling's
/// "Schedule recurring scaling actions using cron expressions").
const ECS_EXPECTED: &str = r#"name = "expected"
region = "us-east-1"
timezone = "America/New_York"

[service]
concurrency = 1
service_time = { dist = "exponential", mean_ms = 100 }
startup_s = 45
timeout_ms = 30000
queue_limit = 10000

[capacity]
platform = "fargate"
cpu = 0.5
memory_gb = 1.0
arch = "x86_64"

[capacity.spot]
base = 1
on_demand_weight = 20
spot_weight = 80
discount = 0.70
stop_timeout_s = 30

[scaling]
min = 2
max = 6

[scaling.target_tracking]
metric = "cpu"
target = 70
scale_out_cooldown_s = 60
scale_in_cooldown_s = 300

[[scaling.schedule]]
name = "business-hours"
cron = "0 8 * * MON-FRI"
min = 3
max = 6

[slo]
p95_ms = 500
availability = 0.99
"#;

#[test]
fn an_ecs_bundle_imports_to_the_hand_written_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let data = root().join("tests/data/ecs");
    let files: Vec<String> = ["services", "taskdef", "targets", "policies", "actions"]
        .iter()
        .map(|f| data.join(format!("{f}.json")).to_str().unwrap().to_string())
        .collect();
    let mut args = vec!["scenario", "import"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["-o", "api.toml"]);
    let (ok, _, err) = run(d, &args);
    assert!(ok, "{err}");
    assert!(err.contains("capacity.spot.discount"), "{err}");
    std::fs::write(d.join("expected.toml"), ECS_EXPECTED).unwrap();
    let trace = root().join("workloads/peak.csv");
    let trace = trace.to_str().unwrap();
    for (sc, out) in [("api.toml", "imported"), ("expected.toml", "expected")] {
        let (ok, _, err) = run(
            d,
            &[
                "run",
                sc,
                "--trace",
                trace,
                "--no-charts",
                "-q",
                "--out",
                out,
            ],
        );
        assert!(ok, "{err}");
    }
    for f in ["summary.csv", "timeline.csv", "scaling.csv"] {
        assert_eq!(
            without_name(&d.join("imported").join(f)),
            without_name(&d.join("expected").join(f)),
            "{f}"
        );
    }
    // Without the task definition the size is unknown: said, with the command.
    let (ok, _, err) = run(d, &["scenario", "import", &files[0], "-o", "x.toml"]);
    assert!(!ok);
    assert!(err.contains("describe-task-definition --task-definition arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"), "{err}");
    // Malformed JSON names its line.
    std::fs::write(
        d.join("bad.json"),
        "{\n  \"services\": [\n    {\"serviceName\": \"api\",,}\n  ]\n}\n",
    )
    .unwrap();
    let (ok, _, err) = run(d, &["scenario", "import", "bad.json", "-o", "y.toml"]);
    assert!(!ok);
    assert!(err.contains("bad.json: line 3"), "{err}");
}
