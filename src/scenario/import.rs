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
        .fold(None, max_of);
    assumed_service(&mut t, "pod");
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
            cpu,
            mem,
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
                cpu,
                mem
            )
        })?;
        writeln!(
            t,
            "# {}/{} requests {} CPU / {} GiB (containers summed){}",
            w.kind(),
            w.name(),
            cpu,
            mem,
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
    assumed_slo(&mut t, &mut assumed);
    Ok(Imported {
        toml: t,
        assumed,
        notes,
    })
}

/// The larger of a running maximum and `v` (folds from `None`).
fn max_of(m: Option<f64>, v: f64) -> Option<f64> {
    Some(m.map_or(v, |m| m.max(v)))
}

/// The `[service]` values no manifest or task definition gives, written as
/// assumed: one request at a time per `unit` (pod, task), 100 ms service.
fn assumed_service(t: &mut String, unit: &str) {
    writeln!(t, "\n[service]").ok();
    writeln!(
        t,
        "concurrency = 1                      # assumed: requests one {unit} serves at once"
    )
    .ok();
    writeln!(
        t,
        "service_time = {{ dist = \"exponential\", mean_ms = 100 }}   # assumed"
    )
    .ok();
}

/// The default SLO, written as assumed.
fn assumed_slo(t: &mut String, assumed: &mut Vec<String>) {
    writeln!(t, "\n[slo]").ok();
    writeln!(t, "p95_ms = 500                         # assumed").ok();
    writeln!(t, "availability = 0.99                  # assumed").ok();
    assumed.extend(["slo.p95_ms".to_string(), "slo.availability".to_string()]);
}

/// An AWS cron expression (`cron(min hour dom month dow year)`, `?` for
/// "no value", day-of-week 1-7 = SUN-SAT) or `at(yyyy-mm-ddThh:mm:ss)` as a
/// 5-field Unix cron (day-of-week 0-6 = SUN-SAT). `at(...)` becomes a cron
/// of that minute, hour, day and month: it fires once in any trace shorter
/// than a year.
fn aws_cron(expr: &str) -> Result<String, String> {
    let e = expr.trim();
    if let Some(body) = e.strip_prefix("at(").and_then(|b| b.strip_suffix(')')) {
        let dt: jiff::civil::DateTime = body
            .parse()
            .map_err(|_| format!("`{expr}`: expected at(yyyy-mm-ddThh:mm:ss)"))?;
        return Ok(format!(
            "{} {} {} {} *",
            dt.minute(),
            dt.hour(),
            dt.day(),
            dt.month()
        ));
    }
    let body = e
        .strip_prefix("cron(")
        .and_then(|b| b.strip_suffix(')'))
        .ok_or_else(|| {
            format!("`{expr}` is not cron(...) or at(...) (rate(...) schedules are not simulated)")
        })?;
    let f: Vec<&str> = body.split_whitespace().collect();
    if f.len() != 6 {
        return Err(format!(
            "`{expr}`: an AWS cron has 6 fields (minutes hours day-of-month month day-of-week year)"
        ));
    }
    if f[5] != "*" {
        return Err(format!("`{expr}`: a year other than * is not simulated"));
    }
    if f.iter()
        .any(|x| x.contains('L') || x.contains('W') || x.contains('#'))
    {
        return Err(format!("`{expr}`: L, W and # are not simulated"));
    }
    let q = |x: &str| {
        if x == "?" {
            "*".to_string()
        } else {
            x.to_string()
        }
    };
    // Day-of-week numbers 1-7 (SUN-SAT) → 0-6.
    let dow: String = {
        let mut out = String::new();
        let mut num = String::new();
        let flush = |num: &mut String, out: &mut String| -> Result<(), String> {
            if !num.is_empty() {
                let n: u32 = num
                    .parse()
                    .map_err(|_| format!("`{expr}`: day-of-week `{num}`"))?;
                if !(1..=7).contains(&n) {
                    return Err(format!("`{expr}`: day-of-week {n} is not 1-7 (SUN-SAT)"));
                }
                out.push_str(&(n - 1).to_string());
                num.clear();
            }
            Ok(())
        };
        let d = q(f[4]);
        let mut after_slash = false;
        for c in d.chars() {
            if c.is_ascii_digit() && !after_slash {
                num.push(c);
            } else {
                flush(&mut num, &mut out)?;
                after_slash = c == '/' || (after_slash && c.is_ascii_digit());
                out.push(c);
            }
        }
        flush(&mut num, &mut out)?;
        out
    };
    Ok(format!("{} {} {} {} {}", f[0], f[1], q(f[2]), f[3], dow))
}

fn json_file(f: &Path) -> Result<serde_json::Value, String> {
    let text =
        std::fs::read_to_string(f).map_err(|e| format!("{}: cannot read: {e}", f.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: line {}, column {}: not JSON: {e}",
            f.display(),
            e.line(),
            e.column()
        )
    })
}

/// Imports an ECS service from AWS CLI output: `aws ecs describe-services`,
/// `aws ecs describe-task-definition`, and optionally `aws
/// application-autoscaling describe-scalable-targets`,
/// `describe-scaling-policies` and `describe-scheduled-actions` (each
/// file as the CLI prints it, in any order). `service` picks the service
/// when the output holds several.
pub fn ecs(files: &[PathBuf], service: Option<&str>) -> Result<Imported, String> {
    let (mut services, mut taskdefs, mut targets, mut policies, mut actions) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for f in files {
        let v = json_file(f)?;
        let mut known = false;
        if let Some(a) = v.get("services").and_then(|s| s.as_array()) {
            services.extend(a.iter().cloned().map(|s| (f.clone(), s)));
            known = true;
        }
        if let Some(t) = v.get("taskDefinition").filter(|t| t.is_object()) {
            taskdefs.push(t.clone());
            known = true;
        }
        for (key, into) in [
            ("ScalableTargets", &mut targets),
            ("ScalingPolicies", &mut policies),
            ("ScheduledActions", &mut actions),
        ] {
            if let Some(a) = v.get(key).and_then(|s| s.as_array()) {
                into.extend(a.iter().cloned());
                known = true;
            }
        }
        if !known {
            return Err(format!(
                "{}: not ECS or Application Auto Scaling output (expected `services`, `taskDefinition`, `ScalableTargets`, `ScalingPolicies` or `ScheduledActions`)",
                f.display()
            ));
        }
    }
    let s = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let chosen: Vec<&(PathBuf, serde_json::Value)> = services
        .iter()
        .filter(|(_, v)| service.is_none_or(|n| s(v, "serviceName").as_deref() == Some(n)))
        .collect();
    let (_, svc) = match chosen.as_slice() {
        [one] => *one,
        [] => return Err(match service {
            Some(n) => format!("no service named `{n}` in the describe-services output"),
            None => "no `aws ecs describe-services` output among the files (its `services` list names the task definition and launch type)".into(),
        }),
        many => return Err(format!(
            "{} services ({}): pick one with --workload NAME",
            many.len(),
            many.iter().filter_map(|(_, v)| s(v, "serviceName")).collect::<Vec<_>>().join(", ")
        )),
    };
    let name = s(svc, "serviceName").unwrap_or_else(|| "service".into());
    let td_arn = s(svc, "taskDefinition").unwrap_or_default();
    let td = taskdefs
        .iter()
        .find(|t| s(t, "taskDefinitionArn").as_deref() == Some(td_arn.as_str()))
        .or(match taskdefs.as_slice() {
            [one] => Some(one),
            _ => None,
        })
        .ok_or_else(|| format!(
            "no `aws ecs describe-task-definition --task-definition {td_arn}` output among the files (the task size comes from it)"
        ))?;
    let mut notes = Vec::new();
    let mut assumed = Vec::new();
    // The service's ResourceId in Application Auto Scaling.
    let cluster = s(svc, "clusterArn")
        .and_then(|a| a.rsplit('/').next().map(str::to_string))
        .unwrap_or_default();
    let rid = format!("service/{cluster}/{name}");
    let mine = |v: &serde_json::Value| {
        s(v, "ResourceId").as_deref() == Some(rid.as_str())
            && s(v, "ScalableDimension").is_none_or(|d| d == "ecs:service:DesiredCount")
    };
    let mut t = String::new();
    writeln!(
        t,
        "# Imported by `meshsim scenario import` from {}.",
        files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
    .ok();
    writeln!(t, "# Values marked `# assumed` are not in the ECS definitions: check each before trusting a result.").ok();
    writeln!(t, "name = {}", toml_str(&name)).ok();
    writeln!(t, "description = {}", toml_str(&format!("ECS service {name} (cluster {cluster}, task definition {}) imported from AWS CLI output", td_arn.rsplit('/').next().unwrap_or(&td_arn)))).ok();
    let region = td_arn.split(':').nth(3).filter(|r| !r.is_empty());
    match region {
        Some(r) => writeln!(
            t,
            "region = {}                 # from the task definition's ARN",
            toml_str(r)
        )
        .ok(),
        None => {
            assumed.push("region".into());
            writeln!(t, "region = \"us-east-1\"                 # assumed").ok()
        }
    };
    let my_actions: Vec<&serde_json::Value> = actions.iter().filter(|a| mine(a)).collect();
    let zones: Vec<String> = {
        let mut z: Vec<String> = my_actions
            .iter()
            .map(|a| s(a, "Timezone").unwrap_or_else(|| "UTC".into()))
            .collect();
        z.dedup();
        z
    };
    match zones.as_slice() {
        [z] => writeln!(
            t,
            "timezone = {}                     # the scheduled actions' Timezone",
            toml_str(z)
        )
        .ok(),
        [] => {
            assumed.push("timezone".into());
            writeln!(t, "timezone = \"UTC\"                     # assumed").ok()
        }
        many => {
            return Err(format!(
                "the scheduled actions use several time zones ({}); meshsim reads schedules in one (the scenario's timezone)",
                many.join(", ")
            ));
        }
    };
    // [service]
    let containers = td
        .get("containerDefinitions")
        .and_then(|c| c.as_array())
        .cloned()
        .unwrap_or_default();
    let start_period = containers
        .iter()
        .filter_map(|c| {
            c.pointer("/healthCheck/startPeriod")
                .and_then(|v| v.as_f64())
        })
        .fold(None, max_of);
    assumed_service(&mut t, "task");
    match start_period {
        Some(p) => writeln!(t, "startup_s = {p}                       # containerDefinitions healthCheck.startPeriod (check: image pull and start may take longer)").ok(),
        None => {
            assumed.push("service.startup_s".into());
            writeln!(t, "startup_s = 30                       # assumed: no container healthCheck.startPeriod").ok()
        }
    };
    writeln!(t, "timeout_ms = 30000                   # assumed").ok();
    writeln!(t, "queue_limit = 10000                  # assumed").ok();
    assumed.extend(
        [
            "service.concurrency",
            "service.service_time",
            "service.timeout_ms",
            "service.queue_limit",
        ]
        .map(String::from),
    );
    // [capacity]
    let strategy = svc
        .get("capacityProviderStrategy")
        .and_then(|c| c.as_array())
        .cloned()
        .unwrap_or_default();
    let launch = s(svc, "launchType");
    let fargate = launch.as_deref() == Some("FARGATE")
        || (!strategy.is_empty()
            && strategy.iter().all(|p| {
                matches!(
                    s(p, "capacityProvider").as_deref(),
                    Some("FARGATE" | "FARGATE_SPOT")
                )
            }));
    if !fargate {
        return Err(format!(
            "service {name}: launch type {} / capacity providers {}: only Fargate services are imported; for EC2 container instances write a scenario with platform = \"ecs-ec2\" and [cluster] (docs/nodes.md)",
            launch.as_deref().unwrap_or("-"),
            strategy
                .iter()
                .filter_map(|p| s(p, "capacityProvider"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let num = |v: Option<&serde_json::Value>| {
        v.and_then(|x| {
            x.as_str()
                .and_then(|s| s.parse::<f64>().ok())
                .or_else(|| x.as_f64())
        })
    };
    let cpu_units = num(td.get("cpu"))
        .ok_or("the task definition has no task-level `cpu` (Fargate requires it)")?;
    let mem_mib = num(td.get("memory"))
        .ok_or("the task definition has no task-level `memory` (Fargate requires it)")?;
    writeln!(t, "\n[capacity]").ok();
    writeln!(t, "platform = \"fargate\"").ok();
    writeln!(
        t,
        "cpu = {}                            # taskDefinition.cpu {} units",
        cpu_units / 1024.0,
        cpu_units
    )
    .ok();
    writeln!(
        t,
        "memory_gb = {}                      # taskDefinition.memory {} MiB",
        mem_mib / 1024.0,
        mem_mib
    )
    .ok();
    match td
        .pointer("/runtimePlatform/cpuArchitecture")
        .and_then(|a| a.as_str())
    {
        Some("ARM64") => writeln!(
            t,
            "arch = \"arm64\"                       # runtimePlatform.cpuArchitecture"
        )
        .ok(),
        Some(_) => writeln!(
            t,
            "arch = \"x86_64\"                      # runtimePlatform.cpuArchitecture"
        )
        .ok(),
        None => writeln!(
            t,
            "arch = \"x86_64\"                      # no runtimePlatform: Fargate's default, X86_64"
        )
        .ok(),
    };
    let weight = |p: &str| {
        strategy
            .iter()
            .find(|x| s(x, "capacityProvider").as_deref() == Some(p))
    };
    if let Some(spot) = weight("FARGATE_SPOT") {
        let od = weight("FARGATE");
        let g = |v: Option<&serde_json::Value>, k: &str| {
            v.and_then(|x| x.get(k))
                .and_then(|x| x.as_u64())
                .unwrap_or(0)
        };
        if g(Some(spot), "base") > 0 {
            notes.push("FARGATE_SPOT has a base: meshsim places a base on demand (FARGATE) only; the spot base is not simulated".into());
        }
        let stop = containers
            .iter()
            .filter_map(|c| c.get("stopTimeout").and_then(|v| v.as_f64()))
            .fold(None, max_of);
        writeln!(
            t,
            "\n[capacity.spot]                      # capacityProviderStrategy"
        )
        .ok();
        writeln!(
            t,
            "base = {}                             # FARGATE base",
            g(od, "base")
        )
        .ok();
        writeln!(
            t,
            "on_demand_weight = {}                # FARGATE weight",
            g(od, "weight")
        )
        .ok();
        writeln!(
            t,
            "spot_weight = {}                     # FARGATE_SPOT weight",
            g(Some(spot), "weight")
        )
        .ok();
        writeln!(t, "discount = 0.70                      # assumed: AWS's \"up to 70 %\" (no dated Fargate Spot price)").ok();
        assumed.push("capacity.spot.discount".into());
        if let Some(st) = stop {
            writeln!(
                t,
                "stop_timeout_s = {st}                  # containerDefinitions stopTimeout"
            )
            .ok();
        }
    }
    // [scaling]
    let tgt: Vec<&serde_json::Value> = targets.iter().filter(|v| mine(v)).collect();
    writeln!(t, "\n[scaling]").ok();
    match tgt.as_slice() {
        [one] => {
            let g = |k: &str| one.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
            writeln!(
                t,
                "min = {}                              # scalable target MinCapacity",
                g("MinCapacity")
            )
            .ok();
            writeln!(
                t,
                "max = {}                              # MaxCapacity",
                g("MaxCapacity")
            )
            .ok();
            if one.pointer("/SuspendedState").is_some_and(|st| {
                st.as_object()
                    .is_some_and(|o| o.values().any(|v| v == true))
            }) {
                notes.push("the scalable target has a SuspendedState that suspends activity: not simulated (the policies act)".into());
            }
        }
        _ => {
            let d = svc
                .get("desiredCount")
                .and_then(|x| x.as_u64())
                .unwrap_or(1);
            if targets.is_empty() {
                notes.push(format!(
                    "no describe-scalable-targets output: the service keeps its desiredCount of {d}"
                ));
            }
            writeln!(t, "min = {d}                              # desiredCount (no scalable target for {rid})").ok();
            writeln!(t, "max = {d}").ok();
        }
    }
    let tt: Vec<&serde_json::Value> = policies
        .iter()
        .filter(|p| mine(p) && s(p, "PolicyType").as_deref() == Some("TargetTrackingScaling"))
        .collect();
    for p in policies
        .iter()
        .filter(|p| mine(p) && s(p, "PolicyType").as_deref() != Some("TargetTrackingScaling"))
    {
        notes.push(format!(
            "scaling policy {} ({}): not simulated",
            s(p, "PolicyName").unwrap_or_default(),
            s(p, "PolicyType").unwrap_or_default()
        ));
    }
    let mut written = false;
    for p in &tt {
        let c = p
            .get("TargetTrackingScalingPolicyConfiguration")
            .cloned()
            .unwrap_or_default();
        let pname = s(p, "PolicyName").unwrap_or_default();
        let target = c.get("TargetValue").and_then(|x| x.as_f64()).unwrap_or(0.0);
        let metric = match c
            .pointer("/PredefinedMetricSpecification/PredefinedMetricType")
            .and_then(|m| m.as_str())
        {
            Some("ECSServiceAverageCPUUtilization") => {
                Some(("cpu", target, "ECSServiceAverageCPUUtilization".to_string()))
            }
            Some("ECSServiceAverageMemoryUtilization") => Some((
                "memory",
                target,
                "ECSServiceAverageMemoryUtilization".to_string(),
            )),
            Some("ALBRequestCountPerTarget") => Some((
                "rps",
                target / 60.0,
                format!("ALBRequestCountPerTarget {target} per minute / 60"),
            )),
            Some(other) => {
                notes.push(format!(
                    "target tracking policy {pname}: metric {other} is not simulated"
                ));
                None
            }
            None => {
                notes.push(format!(
                    "target tracking policy {pname}: a customized metric is not simulated"
                ));
                None
            }
        };
        let Some((m, target, why)) = metric else {
            continue;
        };
        if written {
            notes.push(format!("target tracking policy {pname}: a second policy is not simulated (meshsim runs one; AWS scales out when any says so and in when all do)"));
            continue;
        }
        written = true;
        let cool = |k: &str| c.get(k).and_then(|x| x.as_f64()).unwrap_or(300.0);
        writeln!(t, "\n[scaling.target_tracking]            # policy {pname}").ok();
        writeln!(t, "metric = \"{m}\"").ok();
        writeln!(t, "target = {}                          # {why}", target).ok();
        writeln!(
            t,
            "scale_out_cooldown_s = {}             # ScaleOutCooldown (AWS default 300)",
            cool("ScaleOutCooldown")
        )
        .ok();
        writeln!(
            t,
            "scale_in_cooldown_s = {}             # ScaleInCooldown (AWS default 300)",
            cool("ScaleInCooldown")
        )
        .ok();
        if c.get("DisableScaleIn").and_then(|x| x.as_bool()) == Some(true) {
            writeln!(t, "disable_scale_in = true").ok();
        }
    }
    for a in &my_actions {
        let aname = s(a, "ScheduledActionName").unwrap_or_default();
        let sched = s(a, "Schedule").unwrap_or_default();
        let cron = match aws_cron(&sched) {
            Ok(c) => c,
            Err(e) => {
                notes.push(format!("scheduled action {aname}: {e}"));
                continue;
            }
        };
        if a.get("StartTime").is_some() || a.get("EndTime").is_some() {
            notes.push(format!("scheduled action {aname}: StartTime/EndTime are not simulated (it fires on every match)"));
        }
        writeln!(t, "\n[[scaling.schedule]]                 # {sched}").ok();
        writeln!(t, "name = {}", toml_str(&aname)).ok();
        writeln!(t, "cron = {}", toml_str(&cron)).ok();
        for (k, key) in [("MinCapacity", "min"), ("MaxCapacity", "max")] {
            if let Some(v) = a
                .pointer(&format!("/ScalableTargetAction/{k}"))
                .and_then(|x| x.as_u64())
            {
                writeln!(t, "{key} = {v}").ok();
            }
        }
    }
    assumed_slo(&mut t, &mut assumed);
    Ok(Imported {
        toml: t,
        assumed,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_cron_becomes_unix_cron() {
        // Application Auto Scaling: "cron(fields)", day-of-week 1-7 = SUN-SAT.
        assert_eq!(
            aws_cron("cron(0 8 ? * MON-FRI *)").unwrap(),
            "0 8 * * MON-FRI"
        );
        assert_eq!(aws_cron("cron(30 22 ? * 2-6 *)").unwrap(), "30 22 * * 1-5");
        assert_eq!(aws_cron("cron(0 0 1 * ? *)").unwrap(), "0 0 1 * *");
        assert_eq!(aws_cron("at(2025-11-28T09:30:00)").unwrap(), "30 9 28 11 *");
        assert!(aws_cron("rate(5 minutes)").is_err());
        assert!(aws_cron("cron(0 8 ? * 2#1 *)").is_err());
    }
}
