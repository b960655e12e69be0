//! `meshsim scenario import`: a Kubernetes bundle (one or more YAML files,
//! each with one or more documents) becomes a scenario TOML that references
//! the manifests it can read as they are (the Deployment through
//! `capacity.deployment`, the HPA through `scaling.hpa.manifest`, a KEDA
//! ScaledObject through `scaling.queue.manifest`) and writes every value
//! the manifests do not give with `# assumed`. Objects meshsim does not
//! simulate (a PodDisruptionBudget, Services, …) are listed.

use super::k8s::{cpu_quantity, memory_quantity};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One document of the bundle.
struct Doc {
    file: PathBuf,
    /// How many documents of its kind the file holds.
    same_kind_in_file: usize,
    value: serde_json::Value,
}

impl Doc {
    fn kind(&self) -> &str {
        self.value
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or("")
    }
    fn name(&self) -> &str {
        self.value
            .pointer("/metadata/name")
            .and_then(|k| k.as_str())
            .unwrap_or("")
    }
    fn at(&self, p: &str) -> Option<&serde_json::Value> {
        self.value.pointer(p)
    }
}

/// What the import wrote and had to assume.
pub struct Imported {
    pub toml: String,
    /// Keys written with an assumed value.
    pub assumed: Vec<String>,
    /// Objects and fields read but not simulated.
    pub notes: Vec<String>,
}

/// The path of `to` relative to the folder `from_dir` (both made absolute).
fn relative(from_dir: &Path, to: &Path) -> PathBuf {
    let abs = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|c| c.join(p))
                .unwrap_or_else(|_| p.to_owned())
        })
    };
    let (a, b) = (abs(from_dir), abs(to));
    let (ac, bc): (Vec<_>, Vec<_>) = (a.components().collect(), b.components().collect());
    let common = ac.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..ac.len() {
        out.push("..");
    }
    for c in &bc[common..] {
        out.push(c);
    }
    out
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Imports the bundle `files` into a scenario to be written at `out`.
/// `workload` picks the Deployment or StatefulSet when there are several.
pub fn kubernetes(
    files: &[PathBuf],
    out: &Path,
    workload: Option<&str>,
) -> Result<Imported, String> {
    let mut docs: Vec<Doc> = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("{}: cannot read: {e}", f.display()))?;
        let json = text.trim_start().starts_with('{') || text.trim_start().starts_with('[');
        if json
            && (text.contains("\"taskDefinition")
                || text.contains("\"services\"")
                || text.contains("\"ScalableTargets\""))
        {
            return Err(format!(
                "{}: ECS describe-* output is not imported yet; describe the service in a scenario TOML (docs/scenarios.md)",
                f.display()
            ));
        }
        let values: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text)
            .map_err(|e| format!("{}: not valid YAML: {e}", f.display()))?;
        let values: Vec<serde_json::Value> = values.into_iter().filter(|v| !v.is_null()).collect();
        for (i, v) in values.iter().enumerate() {
            if v.get("kind").and_then(|k| k.as_str()).is_none() {
                return Err(format!(
                    "{}: document {} has no `kind`: expected Kubernetes objects (Deployment, HorizontalPodAutoscaler, …)",
                    f.display(),
                    i + 1
                ));
            }
        }
        for v in &values {
            let kind = v.get("kind").and_then(|k| k.as_str()).unwrap_or("");
            let same = values
                .iter()
                .filter(|w| w.get("kind").and_then(|k| k.as_str()) == Some(kind))
                .count();
            docs.push(Doc {
                file: f.clone(),
                same_kind_in_file: same,
                value: v.clone(),
            });
        }
    }
    let workloads: Vec<&Doc> = docs
        .iter()
        .filter(|d| matches!(d.kind(), "Deployment" | "StatefulSet"))
        .filter(|d| workload.is_none_or(|w| d.name() == w))
        .collect();
    let names = |ds: &[&Doc]| {
        ds.iter()
            .map(|d| format!("{}/{}", d.kind(), d.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let w = match workloads.as_slice() {
        [w] => *w,
        [] => {
            return Err(match workload {
                Some(n) => format!("no Deployment or StatefulSet named `{n}` in the bundle"),
                None => "the bundle holds no Deployment or StatefulSet (apps/v1): there is nothing to scale".into(),
            });
        }
        many => {
            return Err(format!(
                "the bundle holds {} workloads ({}): pick one with --workload NAME",
                many.len(),
                names(many)
            ));
        }
    };
    let targets = |d: &Doc, kind_default: &str| {
        d.at("/spec/scaleTargetRef/name").and_then(|n| n.as_str()) == Some(w.name())
            && d.at("/spec/scaleTargetRef/kind")
                .and_then(|k| k.as_str())
                .unwrap_or(kind_default)
                == w.kind()
    };
    let hpas: Vec<&Doc> = docs
        .iter()
        .filter(|d| d.kind() == "HorizontalPodAutoscaler" && targets(d, ""))
        .collect();
    let sos: Vec<&Doc> = docs
        .iter()
        .filter(|d| d.kind() == "ScaledObject" && targets(d, "Deployment"))
        .collect();
    let mut notes = Vec::new();
    let mut assumed = Vec::new();
    for d in &docs {
        let used = std::ptr::eq(d, w)
            || hpas.iter().any(|h| std::ptr::eq(*h, d))
            || sos.iter().any(|h| std::ptr::eq(*h, d));
        if !used {
            let what = match d.kind() {
                "PodDisruptionBudget" => format!(
                    "PodDisruptionBudget/{} (minAvailable {}, maxUnavailable {}): noted, not simulated (meshsim does not drain nodes)",
                    d.name(),
                    d.at("/spec/minAvailable")
                        .map_or("-".into(), |v| v.to_string()),
                    d.at("/spec/maxUnavailable")
                        .map_or("-".into(), |v| v.to_string())
                ),
                "Deployment" | "StatefulSet" => format!(
                    "{}/{}: another workload, not imported (--workload picks)",
                    d.kind(),
                    d.name()
                ),
                "HorizontalPodAutoscaler" | "ScaledObject" => format!(
                    "{}/{}: scales another workload, not imported",
                    d.kind(),
                    d.name()
                ),
                k => format!("{k}/{}: not simulated", d.name()),
            };
            notes.push(format!("{}: {what}", d.file.display()));
        }
    }
    let out_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let rel = |p: &Path| relative(out_dir, p).to_string_lossy().replace('\\', "/");
    let mut t = String::new();
    let sources: Vec<String> = {
        let mut s: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        s.dedup();
        s
    };
    writeln!(
        t,
        "# Imported by `meshsim scenario import` from {}.",
        sources.join(", ")
    )
    .ok();
    writeln!(
        t,
        "# Values marked `# assumed` are not in the manifests: check each before trusting a result."
    )
    .ok();
    writeln!(t, "name = {}", toml_str(w.name())).ok();
    writeln!(
        t,
        "description = {}",
        toml_str(&format!(
            "{} {}{} imported from Kubernetes manifests",
            w.kind(),
            w.name(),
            w.at("/metadata/namespace")
                .and_then(|n| n.as_str())
                .map_or(String::new(), |n| format!(" (namespace {n})"))
        ))
    )
    .ok();
    writeln!(t, "region = \"us-east-1\"                 # assumed").ok();
    writeln!(t, "timezone = \"UTC\"                     # assumed").ok();
    assumed.extend(["region".to_string(), "timezone".to_string()]);
    // [service]: nothing of it is in a manifest but the readiness delay.
    let containers = w
        .at("/spec/template/spec/containers")
        .and_then(|c| c.as_array())
        .ok_or_else(|| {
            format!(
                "{}/{}: no spec.template.spec.containers",
                w.kind(),
                w.name()
            )
        })?;
    let readiness = containers
        .iter()
        .filter_map(|c| {
            c.pointer("/readinessProbe/initialDelaySeconds")
                .and_then(|v| v.as_f64())
        })
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    writeln!(t, "\n[service]").ok();
    writeln!(
        t,
        "concurrency = 1                      # assumed: requests one pod serves at once"
    )
    .ok();
    writeln!(
        t,
        "service_time = {{ dist = \"exponential\", mean_ms = 100 }}   # assumed"
    )
    .ok();
    match readiness {
        Some(r) => writeln!(t, "startup_s = {r}                        # readinessProbe.initialDelaySeconds (the app may take longer to be ready: check)").ok(),
        None => {
            assumed.push("service.startup_s".into());
            writeln!(t, "startup_s = 30                       # assumed: no readinessProbe").ok()
        }
    };
    writeln!(t, "timeout_ms = 30000                   # assumed").ok();
    writeln!(t, "queue_limit = 10000                  # assumed").ok();
    writeln!(
        t,
        "memory_base_mb = 128                 # assumed: resident memory of an idle pod"
    )
    .ok();
    writeln!(t, "memory_per_request_mb = 8            # assumed").ok();
    assumed.extend(
        [
            "service.concurrency",
            "service.service_time",
            "service.timeout_ms",
            "service.queue_limit",
            "service.memory_base_mb",
            "service.memory_per_request_mb",
        ]
        .map(String::from),
    );
    // [capacity]
    writeln!(t, "\n[capacity]").ok();
    writeln!(
        t,
        "# assumed: pods priced as EKS Fargate pods of their requests. To simulate the"
    )
    .ok();
    writeln!(t, "# nodes instead, set platform = \"kubernetes\" and describe them in [cluster] (docs/nodes.md).").ok();
    writeln!(t, "platform = \"fargate\"").ok();
    assumed.push("capacity.platform".into());
    let (mut cpu, mut mem) = (0.0, 0.0);
    for c in containers {
        if let Some(q) = c.pointer("/resources/requests/cpu") {
            cpu += cpu_quantity(&q.as_str().map_or(q.to_string(), String::from))
                .map_err(|e| format!("{}/{} resources.requests.cpu: {e}", w.kind(), w.name()))?;
        }
        if let Some(q) = c.pointer("/resources/requests/memory") {
            mem += memory_quantity(&q.as_str().map_or(q.to_string(), String::from))
                .map_err(|e| format!("{}/{} resources.requests.memory: {e}", w.kind(), w.name()))?;
        }
    }
    if cpu == 0.0 || mem == 0.0 {
        return Err(format!(
            "{}/{}: its containers request no {} (resources.requests); a pod's price needs both",
            w.kind(),
            w.name(),
            if cpu == 0.0 { "CPU" } else { "memory" }
        ));
    }
    let fits = super::capacity::fargate_memory_ok(cpu, mem).is_ok();
    let by_file = w.kind() == "Deployment" && w.same_kind_in_file == 1 && fits;
    if by_file {
        writeln!(
            t,
            "# requests ({} CPU, {} GiB) and replicas ({}) read from the Deployment:",
            fmt(cpu),
            fmt(mem),
            w.at("/spec/replicas").map_or("1".into(), |r| r.to_string())
        )
        .ok();
        writeln!(t, "deployment = {}", toml_str(&rel(&w.file))).ok();
    } else {
        let (c, m) = super::capacity::fargate_size_for(cpu, mem).ok_or_else(|| {
            format!(
                "{}/{}: requests of {} CPU / {} GiB exceed the largest Fargate size (16 vCPU, 120 GB); import it and set platform = \"kubernetes\" with [cluster] node groups",
                w.kind(),
                w.name(),
                fmt(cpu),
                fmt(mem)
            )
        })?;
        writeln!(
            t,
            "# {}/{} requests {} CPU / {} GiB (containers summed){}",
            w.kind(),
            w.name(),
            fmt(cpu),
            fmt(mem),
            if fits {
                String::new()
            } else {
                format!(": Fargate bills the size they round up to, {c} vCPU / {m} GB")
            }
        )
        .ok();
        writeln!(t, "cpu = {c}").ok();
        writeln!(t, "memory_gb = {m}").ok();
        if w.kind() == "StatefulSet" {
            notes.push(format!("StatefulSet/{}: simulated as interchangeable replicas (ordered start and stable identities are not)", w.name()));
        }
    }
    writeln!(t, "arch = \"x86_64\"                       # assumed").ok();
    assumed.push("capacity.arch".into());
    // [scaling]
    writeln!(t, "\n[scaling]").ok();
    if sos.len() > 1 || hpas.len() > 1 && sos.is_empty() {
        return Err(format!(
            "{} autoscalers target {}/{} ({}): Kubernetes allows one; remove the others from the bundle",
            sos.len() + hpas.len(),
            w.kind(),
            w.name(),
            names(&[sos.as_slice(), hpas.as_slice()].concat())
        ));
    }
    if let Some(so) = sos.first() {
        if let Some(h) = hpas.first() {
            notes.push(format!(
                "HorizontalPodAutoscaler/{} and ScaledObject/{} both target {}: KEDA creates its own HPA for the ScaledObject and refuses a second one; the ScaledObject is imported",
                h.name(),
                so.name(),
                w.name()
            ));
        }
        writeln!(
            t,
            "# min/max from the ScaledObject (minReplicaCount, maxReplicaCount)"
        )
        .ok();
        writeln!(t, "\n[scaling.queue]").ok();
        writeln!(t, "manifest = {}", toml_str(&rel(&so.file))).ok();
        if so.same_kind_in_file > 1 {
            writeln!(t, "name = {}", toml_str(so.name())).ok();
        }
    } else if let Some(h) = hpas.first() {
        writeln!(t, "# min/max from the HPA (minReplicas, maxReplicas)").ok();
        writeln!(t, "\n[scaling.hpa]").ok();
        writeln!(t, "manifest = {}", toml_str(&rel(&h.file))).ok();
        if h.same_kind_in_file > 1 {
            writeln!(t, "name = {}", toml_str(h.name())).ok();
        }
    } else {
        let r = w.at("/spec/replicas").and_then(|r| r.as_u64()).unwrap_or(1);
        writeln!(
            t,
            "min = {r}                              # spec.replicas (no autoscaler targets {})",
            w.name()
        )
        .ok();
        writeln!(t, "max = {r}").ok();
    }
    writeln!(t, "\n[slo]").ok();
    writeln!(t, "p95_ms = 500                         # assumed").ok();
    writeln!(t, "availability = 0.99                  # assumed").ok();
    assumed.extend(["slo.p95_ms".to_string(), "slo.availability".to_string()]);
    Ok(Imported {
        toml: t,
        assumed,
        notes,
    })
}

fn fmt(x: f64) -> String {
    format!("{x}")
}
