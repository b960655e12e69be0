//! Kubernetes and KEDA manifests named by a scenario: the HPA
//! (`scaling.hpa`) and the ScaledObject (`scaling.queue.manifest`).

use super::{Diagnostic, Loaded, Platform, builtin, load};
use crate::model::autoscaler::MetricSource;
use crate::model::autoscaler::hpa::manifest::behavior_from;
use crate::model::autoscaler::hpa::policy::HpaPolicySpec;
use crate::model::autoscaler::hpa::spec::Behavior;
use crate::model::autoscaler::hpa::spec::{HpaSpec, MetricSpec};
use std::collections::BTreeMap;

/// The text of a manifest named at `key`: relative to the scenario file that
/// sets the key; built-in scenarios' manifests are compiled in.
pub(super) fn read_manifest(loaded: &Loaded, key: &str, path: &str) -> Result<String, Diagnostic> {
    let origin = load::locate_key(&loaded.layers, key).origin;
    if origin.starts_with("built-in:") {
        return builtin::manifest(path)
            .map(str::to_string)
            .ok_or_else(|| hpa_error(loaded, key, format!("no built-in manifest `{path}`")));
    }
    let base = std::path::Path::new(&origin)
        .parent()
        .filter(|_| origin.ends_with(".toml"));
    let full = match base {
        Some(b) if std::path::Path::new(path).is_relative() => b.join(path),
        _ => std::path::PathBuf::from(path),
    };
    std::fs::read_to_string(&full)
        .map_err(|e| hpa_error(loaded, key, format!("cannot read {}: {e}", full.display())))
}

/// Resolves `scaling.queue.manifest` (a KEDA ScaledObject) into the queue
/// fields, its triggers and `scaling.min`/`scaling.max`; returns the
/// ScaledObject's HPA behavior, when it has one, and warnings for fields read
/// but not simulated. A field a layer sets explicitly (`--set
/// scaling.queue.cooldown_period_s=60`, `scaling.max`) wins over the
/// manifest's; `scaling.queue.triggers.N.…` changes trigger N key by key, and
/// the shorthand `queue_length`, `activation_queue_length` and `metric` change
/// trigger 0; `scaling.queue.behavior` is laid over the manifest's behavior
/// key by key: every value of the ScaledObject can be overridden and swept.
pub(super) fn resolve_scaled_object(
    loaded: &mut Loaded,
) -> Result<(Option<Behavior>, Vec<String>), Diagnostic> {
    use crate::model::autoscaler::hpa::manifest::patch_json;
    use crate::model::autoscaler::keda::parse_scaled_objects;
    let Some(q) = loaded.file.scaling.queue.clone() else {
        return Ok((None, Vec::new()));
    };
    let Some(path) = &q.manifest else {
        return Ok((None, Vec::new()));
    };
    const KEY: &str = "scaling.queue.manifest";
    let text = read_manifest(loaded, KEY, path)?;
    let objs =
        parse_scaled_objects(&text).map_err(|e| hpa_error(loaded, KEY, format!("{path}: {e}")))?;
    let so = match &q.name {
        Some(n) => objs.into_iter().find(|o| &o.name == n).ok_or_else(|| {
            hpa_error(
                loaded,
                "scaling.queue.name",
                format!("{path} has no ScaledObject named `{n}`"),
            )
        })?,
        None if objs.len() == 1 => objs.into_iter().next().expect("one"),
        None => {
            return Err(hpa_error(
                loaded,
                KEY,
                format!(
                    "{path} holds {} ScaledObjects; choose one with scaling.queue.name",
                    objs.len()
                ),
            ));
        }
    };
    let table = |t: &[&str]| {
        t.iter()
            .try_fold(&loaded.merged, |m, k| m.get(*k).and_then(|v| v.as_table()))
    };
    let explicitly = |t: &[&str], k: &str| table(t).is_some_and(|t| t.contains_key(k));
    let scaling_set = |k: &str| explicitly(&["scaling"], k);
    let queue_set = |k: &str| explicitly(&["scaling", "queue"], k);
    let (set_min, set_max) = (scaling_set("min"), scaling_set("max"));
    let set: Vec<bool> = [
        "queue_length",
        "activation_queue_length",
        "polling_interval_s",
        "cooldown_period_s",
        "idle_replica_count",
        "metric",
        "initial_cooldown_period_s",
    ]
    .iter()
    .map(|k| queue_set(k))
    .collect();
    let mut behavior_doc = so.behavior.clone();
    if let Some(b) = &q.behavior {
        let patch = serde_json::to_value(b).unwrap_or_default();
        let target = behavior_doc.get_or_insert(serde_json::Value::Object(Default::default()));
        patch_json(target, &patch, "scaling.queue.behavior")
            .map_err(|e| hpa_error(loaded, "scaling.queue.behavior", format!("{path}: {e}")))?;
    }
    let behavior = behavior_doc
        .as_ref()
        .map(|b| behavior_from(b, "behavior"))
        .transpose()
        .map_err(|e| hpa_error(loaded, KEY, format!("{path}: {e}")))?;
    // The manifest's triggers in the scenario's terms, then the changes.
    let mut triggers = serde_json::to_value(&so.triggers).unwrap_or_default();
    const TKEY: &str = "scaling.queue.triggers";
    if let Some(patch) = &q.triggers {
        if patch.is_array() {
            return Err(hpa_error(
                loaded,
                TKEY,
                format!(
                    "with a manifest, scaling.queue.triggers changes the manifest's {} trigger(s) by index \
                     (scaling.queue.triggers.0.value = 20); to replace them all, drop `manifest` and \
                     write the triggers inline",
                    so.triggers.len()
                ),
            ));
        }
        let patch = serde_json::to_value(patch).unwrap_or_default();
        patch_json(&mut triggers, &patch, TKEY)
            .map_err(|e| hpa_error(loaded, TKEY, format!("{path}: {e}")))?;
    }
    if let Some(first) = triggers.get_mut(0).and_then(|t| t.as_object_mut()) {
        if set[0]
            && let Some(l) = q.queue_length
        {
            first.insert("value".into(), serde_json::json!(l));
        }
        if set[1] {
            first.insert(
                "activation_value".into(),
                serde_json::json!(q.activation_queue_length),
            );
        }
        if set[5] {
            first.insert(
                "metric".into(),
                serde_json::to_value(q.metric).unwrap_or_default(),
            );
        }
    }
    let triggers: toml::Value = serde_json::from_value(triggers)
        .map_err(|e| hpa_error(loaded, TKEY, format!("{path}: {e}")))?;
    let sc = &mut loaded.file.scaling;
    if !set_min {
        sc.min = so.min_replica_count;
    }
    if !set_max {
        sc.max = so.max_replica_count;
    }
    let qm = sc.queue.as_mut().expect("checked");
    qm.triggers = Some(triggers);
    qm.queue_length = None;
    if !set[2] {
        qm.polling_interval_s = so.polling_interval_s;
    }
    if !set[3] {
        qm.cooldown_period_s = so.cooldown_period_s;
    }
    if !set[4] {
        qm.idle_replica_count = so.idle_replica_count;
    }
    if !set[6] {
        qm.initial_cooldown_period_s = so.initial_cooldown_period_s;
    }
    let warnings = so
        .warnings
        .iter()
        .map(|w| format!("{path} (scaling.queue.manifest): {w}"))
        .collect();
    Ok((behavior, warnings))
}

pub(super) fn hpa_error(loaded: &Loaded, key: &str, message: String) -> Diagnostic {
    let mut d = load::locate_key(&loaded.layers, key);
    d.message = message;
    d
}

/// Resolves `[scaling.hpa]`: reads the manifest (relative to the file that
/// names it; built-in scenarios' manifests are compiled in) or the inline
/// spec, and checks that every custom metric has a source. With a manifest,
/// its minReplicas/maxReplicas become `scaling.min`/`scaling.max` unless a
/// layer sets those explicitly.
pub(super) fn resolve_hpa(
    loaded: &mut Loaded,
) -> Result<(Option<HpaPolicySpec>, Vec<String>), Diagnostic> {
    use crate::model::autoscaler::hpa::manifest::{
        hpa_docs, hpa_from_doc, patch_json, set_utilization_target,
    };
    let Some(cfg) = loaded.file.scaling.hpa.clone() else {
        return Ok((None, Vec::new()));
    };
    let set_explicitly = |key: &str| {
        loaded
            .merged
            .get("scaling")
            .and_then(|s| s.as_table())
            .is_some_and(|t| t.contains_key(key))
    };
    let to_json = |v: &toml::Value| serde_json::to_value(v).unwrap_or_default();
    // The spec as autoscaling/v2 JSON, where it was read from (for errors),
    // and the key that locates it.
    let (name, mut spec, what, key) = match &cfg.manifest {
        Some(path) => {
            let text = read_manifest(loaded, "scaling.hpa.manifest", path)?;
            let docs = hpa_docs(&text)
                .map_err(|e| hpa_error(loaded, "scaling.hpa.manifest", format!("{path}: {e}")))?;
            let n = docs.len();
            let chosen = match &cfg.name {
                Some(want) => docs.into_iter().find(|h| &h.name == want).ok_or_else(|| {
                    hpa_error(
                        loaded,
                        "scaling.hpa.name",
                        format!("{path} has no HorizontalPodAutoscaler named `{want}`"),
                    )
                })?,
                None if n == 1 => docs.into_iter().next().expect("one"),
                None => {
                    return Err(hpa_error(
                        loaded,
                        "scaling.hpa.manifest",
                        format!("{path} holds {n} HPAs; choose one with scaling.hpa.name"),
                    ));
                }
            };
            let mut spec = chosen.spec;
            // Changes to the manifest: metrics by index, behavior key by key.
            for (field, v) in [("metrics", &cfg.metrics), ("behavior", &cfg.behavior)] {
                let Some(v) = v else { continue };
                let patch = to_json(v);
                let k = format!("scaling.hpa.{field}");
                if field == "metrics" && patch.is_array() {
                    return Err(hpa_error(
                        loaded,
                        &k,
                        "with a manifest, scaling.hpa.metrics changes the manifest's metrics by index \
                         (scaling.hpa.metrics.0.resource.target.averageUtilization = 60); \
                         to replace them all, drop `manifest` and write the HPA inline"
                            .into(),
                    ));
                }
                if let Some(m) = spec.as_object_mut() {
                    let t = m.entry(field).or_insert(serde_json::Value::Null);
                    if t.is_null() && field == "metrics" {
                        *t = serde_json::Value::Array(Vec::new());
                    }
                    patch_json(t, &patch, &k)
                        .map_err(|e| hpa_error(loaded, &k, format!("{path}: {e}")))?;
                }
            }
            (
                chosen.name,
                spec,
                format!("{path}: "),
                "scaling.hpa.manifest",
            )
        }
        None => {
            let mut doc = serde_json::Map::new();
            doc.insert("minReplicas".into(), loaded.file.scaling.min.into());
            doc.insert("maxReplicas".into(), loaded.file.scaling.max.into());
            if let Some(ms) = &cfg.metrics {
                if !ms.is_array() {
                    return Err(hpa_error(
                        loaded,
                        "scaling.hpa.metrics",
                        "an inline HPA's metrics are a list, written as in a manifest's spec.metrics"
                            .into(),
                    ));
                }
                doc.insert("metrics".into(), to_json(ms));
            }
            if let Some(b) = &cfg.behavior {
                doc.insert("behavior".into(), to_json(b));
            }
            (
                loaded.name.clone(),
                serde_json::Value::Object(doc),
                "inline HPA: ".to_string(),
                "scaling.hpa",
            )
        }
    };
    for (k, resource, v) in [
        ("scaling.hpa.target_cpu_pct", "cpu", cfg.target_cpu_pct),
        (
            "scaling.hpa.target_memory_pct",
            "memory",
            cfg.target_memory_pct,
        ),
    ] {
        if let Some(pct) = v {
            if !(1..=i64::from(i32::MAX)).contains(&pct) {
                return Err(hpa_error(
                    loaded,
                    k,
                    format!("{pct} is not a utilization target > 0 %"),
                ));
            }
            set_utilization_target(&mut spec, resource, pct)
                .map_err(|e| hpa_error(loaded, k, format!("{what}{e}")))?;
        }
    }
    let warnings = hpa_warnings(&spec, &what);
    let spec = hpa_from_doc(name, spec).map_err(|e| {
        let e = if cfg.manifest.is_some() {
            e
        } else {
            e.replacen("spec.", "", 1)
        };
        hpa_error(loaded, key, format!("{what}{e}"))
    })?;
    if cfg.manifest.is_some() {
        if !set_explicitly("min") {
            loaded.file.scaling.min = spec.min_replicas.max(0) as u32;
        }
        if !set_explicitly("max") {
            loaded.file.scaling.max = spec.max_replicas.max(0) as u32;
        }
    }
    check_sources(loaded, &spec, &cfg.metric_sources, key, &what)?;
    let c = &loaded.file.capacity;
    let cpu_request_milli = cfg
        .cpu_request_milli
        .unwrap_or_else(|| pod_cpu_request_milli(c));
    Ok((
        Some(HpaPolicySpec {
            spec,
            controller: cfg.controller.clone(),
            sources: cfg.metric_sources.clone(),
            cpu_request_milli,
            memory_request_bytes: (loaded.file.service.memory_request_mb * 1_048_576.0).round()
                as i64,
            metrics_window_s: cfg.metrics_window_s.max(1),
        }),
        warnings,
    ))
}

/// What an HPA spec (autoscaling/v2 JSON) says that meshsim reads but does
/// not simulate: metric selectors (a metric's value comes from
/// `metric_sources` by name) and per-container resources (meshsim's pods
/// have one container).
fn hpa_warnings(spec: &serde_json::Value, what: &str) -> Vec<String> {
    let mut out = Vec::new();
    let metrics = spec
        .get("metrics")
        .and_then(|m| m.as_array())
        .cloned()
        .unwrap_or_default();
    for (i, m) in metrics.iter().enumerate() {
        for kind in ["pods", "object", "external"] {
            if m.pointer(&format!("/{kind}/metric/selector"))
                .is_some_and(|s| !s.is_null())
            {
                out.push(format!(
                    "{what}spec.metrics[{i}].{kind}.metric.selector is read but not applied: the metric's value comes from scaling.hpa.metric_sources by name"
                ));
            }
        }
        if m.get("containerResource").is_some_and(|c| !c.is_null()) {
            out.push(format!(
                "{what}spec.metrics[{i}].containerResource: meshsim's pods have one container, so it reads the pod's usage and request"
            ));
        }
    }
    out
}

/// A pod's CPU request in millicores, as an autoscaler's utilisation reads
/// it: `capacity.cpu` where a replica has one (a task or pod size), else a
/// whole core.
pub(super) fn pod_cpu_request_milli(c: &super::Capacity) -> i64 {
    match (c.platform, c.cpu) {
        (Platform::Fargate | Platform::Kubernetes | Platform::EcsEc2, Some(cpu)) => {
            (cpu * 1000.0).round() as i64
        }
        _ => 1000,
    }
}

/// Every Pods, Object and External metric of the HPA has a source in the simulation.
fn check_sources(
    loaded: &Loaded,
    spec: &HpaSpec,
    sources: &BTreeMap<String, MetricSource>,
    key: &str,
    what: &str,
) -> Result<(), Diagnostic> {
    for m in &spec.metrics {
        if let MetricSpec::Pods { metric, .. }
        | MetricSpec::Object { metric, .. }
        | MetricSpec::External { metric, .. } = m
            && !sources.contains_key(metric)
        {
            // Located where the metric is written (the manifest or the inline
            // spec): `metric_sources` is usually not set at all.
            return Err(hpa_error(
                loaded,
                key,
                format!(
                    "{what}the HPA's metric `{metric}` has no source in the simulation: add scaling.hpa.metric_sources.{metric} = one of \"cpu\", \"memory\", \"queue_depth\", \"in_flight\", \"rps\""
                ),
            ));
        }
    }
    Ok(())
}

/// A Kubernetes quantity of CPU in cores: `250m`, `0.5`, `2`.
pub(crate) fn cpu_quantity(q: &str) -> Result<f64, String> {
    let q = q.trim();
    let v = match q.strip_suffix('m') {
        Some(m) => m.parse::<f64>().map(|v| v / 1000.0),
        None => q.parse::<f64>(),
    };
    v.ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("`{q}` is not a CPU quantity (such as `250m` or `0.5`)"))
}

/// A Kubernetes quantity of memory in GiB: `512Mi`, `1Gi`, `1G`, `500M`, bytes.
pub(crate) fn memory_quantity(q: &str) -> Result<f64, String> {
    let q = q.trim();
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    let units: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1024.0 * 1024.0),
        ("Gi", GIB),
        ("Ti", GIB * 1024.0),
        ("k", 1e3),
        ("K", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    let (num, mult) = units
        .iter()
        .find_map(|(s, m)| q.strip_suffix(s).map(|n| (n, *m)))
        .unwrap_or((q, 1.0));
    num.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v * mult / GIB)
        .ok_or_else(|| format!("`{q}` is not a memory quantity (such as `512Mi` or `1Gi`)"))
}

/// Resolves `capacity.deployment` (an apps/v1 Deployment): the pod's requests
/// are its containers' requests summed (init containers and sidecars the
/// manifest does not list are not counted); its `replicas` is the initial
/// replica count. Returns that count.
/// A Deployment's containers' limits, summed (`None` for a resource some
/// container does not limit), and the first container's name.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct DeploymentLimits {
    pub cpu: Option<f64>,
    pub memory_gb: Option<f64>,
    pub container: Option<String>,
}

pub(super) fn resolve_deployment(
    loaded: &mut Loaded,
) -> Result<(Option<u32>, Vec<String>, DeploymentLimits), Diagnostic> {
    const KEY: &str = "capacity.deployment";
    let Some(path) = loaded.file.capacity.deployment.clone() else {
        return Ok((None, Vec::new(), DeploymentLimits::default()));
    };
    if loaded.file.capacity.cpu.is_some() || loaded.file.capacity.memory_gb.is_some() {
        return Err(hpa_error(
            loaded,
            KEY,
            "give the pod's requests either as `cpu` and `memory_gb` or by `deployment`, not both"
                .into(),
        ));
    }
    let text = read_manifest(loaded, KEY, &path)?;
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text)
        .map_err(|e| hpa_error(loaded, KEY, format!("{path}: not valid YAML: {e}")))?;
    let deployments: Vec<&serde_json::Value> = docs
        .iter()
        .filter(|d| d.get("kind").and_then(|k| k.as_str()) == Some("Deployment"))
        .collect();
    let d = match deployments.as_slice() {
        [d] => *d,
        [] => {
            return Err(hpa_error(
                loaded,
                KEY,
                format!("{path} holds no Deployment (kind: Deployment)"),
            ));
        }
        _ => {
            return Err(hpa_error(
                loaded,
                KEY,
                format!(
                    "{path} holds {} Deployments; give a file with one",
                    deployments.len()
                ),
            ));
        }
    };
    let containers = d
        .pointer("/spec/template/spec/containers")
        .and_then(|c| c.as_array())
        .ok_or_else(|| {
            hpa_error(
                loaded,
                KEY,
                format!("{path}: the Deployment has no spec.template.spec.containers"),
            )
        })?;
    let (mut cpu, mut mem) = (0.0, 0.0);
    let (mut cpu_lim, mut mem_lim) = (Some(0.0), Some(0.0));
    let mut warnings = Vec::new();
    let mut warn = |what: String| warnings.push(format!("{path} (capacity.deployment): {what}"));
    let pod = d.pointer("/spec/template/spec");
    if pod
        .and_then(|p| p.get("initContainers"))
        .is_some_and(|i| i.as_array().is_some_and(|a| !a.is_empty()))
    {
        warn("initContainers are read but not simulated: the pod's requests are its containers' sum (Kubernetes takes the larger of that and the largest init container's)".into());
    }
    if d.pointer("/spec/strategy").is_some() {
        warn("spec.strategy is read but not simulated: meshsim runs no rollouts".into());
    }
    for (i, c) in containers.iter().enumerate() {
        let cname = c.get("name").and_then(|n| n.as_str()).unwrap_or("?");
        for probe in ["readinessProbe", "startupProbe"] {
            if c.get(probe).is_some() {
                warn(format!(
                    "container `{cname}`: {probe} is read but not simulated: a pod is ready service.startup_s after it starts (set that to the time the probe takes to pass)"
                ));
            }
        }
        if c.get("livenessProbe").is_some() {
            warn(format!(
                "container `{cname}`: livenessProbe is read but not simulated: pods never fail"
            ));
        }
        let name = c
            .get("name")
            .and_then(|n| n.as_str())
            .map_or(format!("container {}", i + 1), |n| {
                format!("container `{n}`")
            });
        let req = c.pointer("/resources/requests");
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let get = |k: &str| req.and_then(|r| r.get(k)).map(text);
        let (Some(c_q), Some(m_q)) = (get("cpu"), get("memory")) else {
            return Err(hpa_error(
                loaded,
                KEY,
                format!(
                    "{path}: {name} requests no {}; the node layer places pods by their requests",
                    if get("cpu").is_none() {
                        "cpu"
                    } else {
                        "memory"
                    }
                ),
            ));
        };
        cpu += cpu_quantity(&c_q)
            .map_err(|e| hpa_error(loaded, KEY, format!("{path}: {name}: {e}")))?;
        mem += memory_quantity(&m_q)
            .map_err(|e| hpa_error(loaded, KEY, format!("{path}: {name}: {e}")))?;
        let lim = c.pointer("/resources/limits");
        let lim_of = |k: &str| lim.and_then(|r| r.get(k)).map(text);
        cpu_lim = match (cpu_lim, lim_of("cpu")) {
            (Some(sum), Some(q)) => Some(
                sum + cpu_quantity(&q)
                    .map_err(|e| hpa_error(loaded, KEY, format!("{path}: {name}: limits: {e}")))?,
            ),
            _ => None,
        };
        mem_lim = match (mem_lim, lim_of("memory")) {
            (Some(sum), Some(q)) => Some(
                sum + memory_quantity(&q)
                    .map_err(|e| hpa_error(loaded, KEY, format!("{path}: {name}: limits: {e}")))?,
            ),
            _ => None,
        };
    }
    let limits = DeploymentLimits {
        cpu: cpu_lim,
        memory_gb: mem_lim,
        container: containers
            .first()
            .and_then(|c| c.get("name"))
            .and_then(|n| n.as_str())
            .map(str::to_string),
    };
    let replicas = d
        .pointer("/spec/replicas")
        .map(|r| {
            r.as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| {
                    hpa_error(
                        loaded,
                        KEY,
                        format!("{path}: spec.replicas `{r}` is not a count"),
                    )
                })
        })
        .transpose()?;
    let c = &mut loaded.file.capacity;
    c.cpu = Some(cpu);
    c.memory_gb = Some(mem);
    Ok((Some(replicas.unwrap_or(1)), warnings, limits))
}

#[cfg(test)]
mod quantity_tests {
    use super::*;

    #[test]
    fn kubernetes_quantities() {
        assert_eq!(cpu_quantity("250m").unwrap(), 0.25);
        assert_eq!(cpu_quantity("2").unwrap(), 2.0);
        assert_eq!(memory_quantity("512Mi").unwrap(), 0.5);
        assert_eq!(memory_quantity("1Gi").unwrap(), 1.0);
        // 1G = 10^9 bytes = 0.931 GiB.
        assert!((memory_quantity("1G").unwrap() - 1e9 / 1073741824.0).abs() < 1e-12);
        assert!(cpu_quantity("lots").is_err());
        assert!(memory_quantity("1Zi").is_err());
    }
}
