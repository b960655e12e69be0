//! Reading a real `autoscaling/v2` HorizontalPodAutoscaler manifest (YAML,
//! multi-document allowed, camelCase fields, Kubernetes quantities such as
//! `500m`, `1Gi`, `"0.05"`). YAML is parsed by `serde-saphyr` (maintained,
//! pure Rust; `serde_yaml` is archived); each document is then read into a
//! strict raw structure whose errors name the field path.

use super::spec::{
    Behavior, HpaSpec, MetricSpec, PolicyKind, ResourceName, Rules, ScalingPolicy, SelectPolicy,
    Target,
};
use serde::Deserialize;

/// Parses a Kubernetes quantity into milli-units: `500m` → 500, `2` → 2000,
/// `0.05` → 50, `1Gi` → 1073741824000, `1k` → 1000000, `1e3` → 1000000.
pub fn parse_quantity(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let bad = || format!("`{text}` is not a Kubernetes quantity (such as 500m, 2, 0.05, 1Gi, 10k)");
    let split = t
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || ((*c == '+' || *c == '-') && *i == 0)))
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    let (num, suffix) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| bad())?;
    let mult: f64 = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s[1..].parse().map_err(|_| bad())?;
            10f64.powi(exp)
        }
        _ => return Err(bad()),
    };
    let m = value * mult * 1000.0;
    if !m.is_finite() {
        return Err(bad());
    }
    // Kubernetes rounds milli-values up.
    Ok(m.ceil().clamp(i64::MIN as f64, i64::MAX as f64) as i64)
}

/// A quantity as YAML writes it: a string (`"500m"`) or a number (`30`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Quantity {
    Text(String),
    Number(f64),
}

impl Quantity {
    fn milli(&self) -> Result<i64, String> {
        match self {
            Quantity::Text(s) => parse_quantity(s),
            Quantity::Number(n) => parse_quantity(&n.to_string()),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Doc {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: serde_json::Value,
    #[serde(default)]
    spec: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawSpec {
    #[serde(default)]
    scale_target_ref: Option<serde_json::Value>,
    #[serde(default)]
    min_replicas: Option<i32>,
    max_replicas: i32,
    #[serde(default)]
    metrics: Vec<RawMetric>,
    #[serde(default)]
    behavior: Option<RawBehavior>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawMetric {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    resource: Option<RawResource>,
    #[serde(default)]
    container_resource: Option<RawResource>,
    #[serde(default)]
    pods: Option<RawNamed>,
    #[serde(default)]
    object: Option<RawNamed>,
    #[serde(default)]
    external: Option<RawNamed>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawResource {
    name: String,
    #[serde(default)]
    container: Option<String>,
    target: RawTarget,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawNamed {
    metric: RawMetricId,
    #[serde(default)]
    described_object: Option<serde_json::Value>,
    target: RawTarget,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawMetricId {
    name: String,
    #[serde(default)]
    selector: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawTarget {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    average_utilization: Option<i32>,
    #[serde(default)]
    average_value: Option<Quantity>,
    #[serde(default)]
    value: Option<Quantity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawBehavior {
    #[serde(default)]
    scale_up: Option<RawRules>,
    #[serde(default)]
    scale_down: Option<RawRules>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    stabilization_window_seconds: Option<i32>,
    #[serde(default)]
    select_policy: Option<String>,
    #[serde(default)]
    policies: Option<Vec<RawPolicy>>,
    #[serde(default)]
    tolerance: Option<Quantity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawPolicy {
    #[serde(rename = "type")]
    kind: String,
    value: i32,
    period_seconds: i32,
}

fn target(t: &RawTarget, path: &str, resource: bool) -> Result<Target, String> {
    let positive = |v: i64, field: &str| {
        if v > 0 {
            Ok(v)
        } else {
            Err(format!("{path}.target.{field}: must be greater than 0"))
        }
    };
    match t.kind.as_str() {
        "Utilization" if resource => {
            let u = t.average_utilization.ok_or_else(|| {
                format!("{path}.target.averageUtilization: required for type Utilization")
            })?;
            positive(i64::from(u), "averageUtilization")?;
            Ok(Target::Utilization(u))
        }
        "AverageValue" => {
            let q = t.average_value.as_ref().ok_or_else(|| {
                format!("{path}.target.averageValue: required for type AverageValue")
            })?;
            let v = q
                .milli()
                .map_err(|e| format!("{path}.target.averageValue: {e}"))?;
            Ok(Target::AverageValue(positive(v, "averageValue")?))
        }
        "Value" if !resource => {
            let q = t
                .value
                .as_ref()
                .ok_or_else(|| format!("{path}.target.value: required for type Value"))?;
            let v = q.milli().map_err(|e| format!("{path}.target.value: {e}"))?;
            Ok(Target::Value(positive(v, "value")?))
        }
        other => Err(format!(
            "{path}.target.type: `{other}` is not valid here (expected {})",
            if resource {
                "Utilization or AverageValue"
            } else {
                "Value or AverageValue"
            }
        )),
    }
}

fn resource_name(name: &str, path: &str) -> Result<ResourceName, String> {
    match name {
        "cpu" => Ok(ResourceName::Cpu),
        "memory" => Ok(ResourceName::Memory),
        other => Err(format!(
            "{path}.name: resource `{other}` is not simulated (expected cpu or memory)"
        )),
    }
}

fn rules(r: &RawRules, path: &str) -> Result<Rules, String> {
    if let Some(w) = r.stabilization_window_seconds
        && !(0..=3600).contains(&w)
    {
        return Err(format!(
            "{path}.stabilizationWindowSeconds: {w} is outside 0..3600"
        ));
    }
    let select_policy = match r.select_policy.as_deref() {
        None => None,
        Some("Max") => Some(SelectPolicy::Max),
        Some("Min") => Some(SelectPolicy::Min),
        Some("Disabled") => Some(SelectPolicy::Disabled),
        Some(o) => {
            return Err(format!(
                "{path}.selectPolicy: `{o}` is not Max, Min or Disabled"
            ));
        }
    };
    let policies = match &r.policies {
        None => None,
        Some(ps) => {
            let mut out = Vec::new();
            for (i, p) in ps.iter().enumerate() {
                let kind = match p.kind.as_str() {
                    "Pods" => PolicyKind::Pods,
                    "Percent" => PolicyKind::Percent,
                    o => {
                        return Err(format!(
                            "{path}.policies[{i}].type: `{o}` is not Pods or Percent"
                        ));
                    }
                };
                if p.value <= 0 {
                    return Err(format!(
                        "{path}.policies[{i}].value: must be greater than 0"
                    ));
                }
                if !(1..=1800).contains(&p.period_seconds) {
                    return Err(format!(
                        "{path}.policies[{i}].periodSeconds: {} is outside 1..1800",
                        p.period_seconds
                    ));
                }
                out.push(ScalingPolicy {
                    kind,
                    value: p.value,
                    period_s: p.period_seconds,
                });
            }
            if out.is_empty() && select_policy != Some(SelectPolicy::Disabled) {
                return Err(format!(
                    "{path}.policies: must not be empty unless selectPolicy is Disabled"
                ));
            }
            Some(out)
        }
    };
    let tolerance = match &r.tolerance {
        None => None,
        Some(q) => {
            let m = q.milli().map_err(|e| format!("{path}.tolerance: {e}"))?;
            if m < 0 {
                return Err(format!("{path}.tolerance: must not be negative"));
            }
            Some(m as f64 / 1000.0)
        }
    };
    Ok(Rules {
        stabilization_window_s: r.stabilization_window_seconds,
        select_policy,
        policies,
        tolerance,
    })
}

/// Converts one HPA document's `spec` (also used for inline scenario specs).
pub fn hpa_from_doc<'de, D: serde::Deserializer<'de>>(
    name: String,
    spec: D,
) -> Result<HpaSpec, String> {
    let raw: RawSpec = serde_path_to_error::deserialize(spec).map_err(|e| {
        let path = e.path().to_string();
        format!("spec.{path}: {}", e.inner())
    })?;
    let _ = &raw.scale_target_ref;
    let min = raw.min_replicas.unwrap_or(1);
    if min < 0 {
        return Err(format!("spec.minReplicas: {min} is negative"));
    }
    if raw.max_replicas < 1 {
        return Err(format!(
            "spec.maxReplicas: {} must be at least 1",
            raw.max_replicas
        ));
    }
    if min > raw.max_replicas {
        return Err(format!(
            "spec.minReplicas: {min} is greater than spec.maxReplicas {}",
            raw.max_replicas
        ));
    }
    let mut metrics = Vec::new();
    for (i, m) in raw.metrics.iter().enumerate() {
        let path = format!("spec.metrics[{i}]");
        let missing = |field: &str| format!("{path}.{field}: required for type {}", m.kind);
        let spec = match m.kind.as_str() {
            "Resource" => {
                let r = m.resource.as_ref().ok_or_else(|| missing("resource"))?;
                let p = format!("{path}.resource");
                MetricSpec::Resource {
                    resource: resource_name(&r.name, &p)?,
                    target: target(&r.target, &p, true)?,
                }
            }
            "ContainerResource" => {
                let r = m
                    .container_resource
                    .as_ref()
                    .ok_or_else(|| missing("containerResource"))?;
                let p = format!("{path}.containerResource");
                MetricSpec::ContainerResource {
                    resource: resource_name(&r.name, &p)?,
                    container: r
                        .container
                        .clone()
                        .ok_or_else(|| format!("{p}.container: required"))?,
                    target: target(&r.target, &p, true)?,
                }
            }
            "Pods" => {
                let r = m.pods.as_ref().ok_or_else(|| missing("pods"))?;
                let p = format!("{path}.pods");
                let t = target(&r.target, &p, false)?;
                if !matches!(t, Target::AverageValue(_)) {
                    return Err(format!(
                        "{p}.target.type: a Pods metric takes an AverageValue target"
                    ));
                }
                let _ = (&r.metric.selector, &r.described_object);
                MetricSpec::Pods {
                    metric: r.metric.name.clone(),
                    target: t,
                }
            }
            "Object" => {
                let r = m.object.as_ref().ok_or_else(|| missing("object"))?;
                MetricSpec::Object {
                    metric: r.metric.name.clone(),
                    target: target(&r.target, &format!("{path}.object"), false)?,
                }
            }
            "External" => {
                let r = m.external.as_ref().ok_or_else(|| missing("external"))?;
                MetricSpec::External {
                    metric: r.metric.name.clone(),
                    target: target(&r.target, &format!("{path}.external"), false)?,
                }
            }
            other => {
                return Err(format!(
                    "{path}.type: unknown metric source type `{other}` (expected Resource, ContainerResource, Pods, Object or External)"
                ));
            }
        };
        metrics.push(spec);
    }
    if metrics.is_empty() {
        // SetDefaults_HorizontalPodAutoscaler: CPU at 80 %.
        metrics.push(MetricSpec::Resource {
            resource: ResourceName::Cpu,
            target: Target::Utilization(80),
        });
    }
    let behavior = raw
        .behavior
        .as_ref()
        .map(|b| behavior(b, "spec.behavior"))
        .transpose()?;
    Ok(HpaSpec {
        name,
        min_replicas: min,
        max_replicas: raw.max_replicas,
        metrics,
        behavior,
    })
}

fn behavior(b: &RawBehavior, path: &str) -> Result<Behavior, String> {
    Ok(Behavior {
        scale_up: b
            .scale_up
            .as_ref()
            .map(|r| rules(r, &format!("{path}.scaleUp")))
            .transpose()?,
        scale_down: b
            .scale_down
            .as_ref()
            .map(|r| rules(r, &format!("{path}.scaleDown")))
            .transpose()?,
    })
}

/// An HPA `behavior` (scaleUp/scaleDown rules) from any serde format (the
/// YAML of a ScaledObject, the TOML of a scenario), defaults applied as
/// upstream applies them; errors name the field under `path`.
pub fn behavior_from<'de, D: serde::Deserializer<'de>>(
    d: D,
    path: &str,
) -> Result<Behavior, String> {
    let raw: RawBehavior = serde_path_to_error::deserialize(d)
        .map_err(|e| format!("{path}.{}: {}", e.path(), e.inner()))?;
    behavior(&raw, path)
}

/// An autoscaling/v2 HorizontalPodAutoscaler manifest (as JSON, which YAML
/// readers accept) that [`hpa_from_doc`] reads back as `spec`: what
/// `meshsim explain` prints so that a decision can be replayed with
/// `meshsim hpa explain --hpa`. An Object metric's `describedObject` is not
/// kept by meshsim; the manifest names a Service called after the HPA.
pub fn to_manifest(spec: &HpaSpec) -> serde_json::Value {
    use super::quantity;
    use serde_json::json;
    let target = |t: &Target| match t {
        Target::Utilization(u) => json!({ "type": "Utilization", "averageUtilization": u }),
        Target::AverageValue(v) => json!({ "type": "AverageValue", "averageValue": quantity(*v) }),
        Target::Value(v) => json!({ "type": "Value", "value": quantity(*v) }),
    };
    let metrics: Vec<serde_json::Value> = spec
        .metrics
        .iter()
        .map(|m| match m {
            MetricSpec::Resource { resource, target: t } => json!({
                "type": "Resource",
                "resource": { "name": resource.as_str(), "target": target(t) }
            }),
            MetricSpec::ContainerResource {
                resource,
                container,
                target: t,
            } => json!({
                "type": "ContainerResource",
                "containerResource": { "name": resource.as_str(), "container": container, "target": target(t) }
            }),
            MetricSpec::Pods { metric, target: t } => json!({
                "type": "Pods",
                "pods": { "metric": { "name": metric }, "target": target(t) }
            }),
            MetricSpec::Object { metric, target: t } => json!({
                "type": "Object",
                "object": {
                    "metric": { "name": metric },
                    "describedObject": { "apiVersion": "v1", "kind": "Service", "name": spec.name },
                    "target": target(t)
                }
            }),
            MetricSpec::External { metric, target: t } => json!({
                "type": "External",
                "external": { "metric": { "name": metric }, "target": target(t) }
            }),
        })
        .collect();
    let rules = |r: &super::spec::Rules| {
        let mut o = serde_json::Map::new();
        if let Some(w) = r.stabilization_window_s {
            o.insert("stabilizationWindowSeconds".into(), json!(w));
        }
        if let Some(p) = r.select_policy {
            o.insert("selectPolicy".into(), json!(p));
        }
        if let Some(ps) = &r.policies {
            o.insert("policies".into(), json!(ps));
        }
        if let Some(t) = r.tolerance {
            o.insert("tolerance".into(), json!(t));
        }
        serde_json::Value::Object(o)
    };
    let mut spec_json = json!({
        "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name },
        "minReplicas": spec.min_replicas,
        "maxReplicas": spec.max_replicas,
        "metrics": metrics,
    });
    if let Some(b) = &spec.behavior {
        let mut o = serde_json::Map::new();
        if let Some(u) = &b.scale_up {
            o.insert("scaleUp".into(), rules(u));
        }
        if let Some(d) = &b.scale_down {
            o.insert("scaleDown".into(), rules(d));
        }
        spec_json["behavior"] = serde_json::Value::Object(o);
    }
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": { "name": spec.name },
        "spec": spec_json,
    })
}

/// Every HorizontalPodAutoscaler in a YAML text (other kinds are skipped).
/// Errors are prefixed with the document number when there are several.
pub fn parse_hpas(text: &str) -> Result<Vec<HpaSpec>, String> {
    hpa_docs(text)?
        .into_iter()
        .map(|d| hpa_from_doc(d.name, d.spec).map_err(|e| format!("{}{e}", d.where_)))
        .collect()
}

/// One HorizontalPodAutoscaler document: its name and its `spec` as an
/// autoscaling/v2 spec (an autoscaling/v1 spec converted), before it is read.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaDoc {
    pub name: String,
    pub spec: serde_json::Value,
    /// `document N: ` when the file holds several, for error messages.
    pub where_: String,
}

/// The HorizontalPodAutoscaler documents of a YAML text, v1 specs converted
/// to v2 (see [`v1_to_v2`]).
pub fn hpa_docs(text: &str) -> Result<Vec<HpaDoc>, String> {
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let many = docs.len() > 1;
    let mut out = Vec::new();
    for (i, d) in docs.into_iter().enumerate() {
        if d.is_null() {
            continue;
        }
        let where_ = if many {
            format!("document {}: ", i + 1)
        } else {
            String::new()
        };
        let doc: Doc = serde_json::from_value(d).map_err(|e| format!("{where_}{e}"))?;
        if doc.kind != "HorizontalPodAutoscaler" {
            continue;
        }
        let spec = match doc.api_version.as_str() {
            v if v.starts_with("autoscaling/v2") => doc.spec,
            "autoscaling/v1" => v1_to_v2(doc.spec).map_err(|e| format!("{where_}{e}"))?,
            other => {
                return Err(format!(
                    "{where_}apiVersion: `{other}` is not supported (expected autoscaling/v2 or autoscaling/v1)"
                ));
            }
        };
        let name = doc
            .metadata
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("hpa")
            .to_string();
        out.push(HpaDoc { name, spec, where_ });
    }
    if out.is_empty() {
        return Err(
            "no HorizontalPodAutoscaler (apiVersion autoscaling/v2 or v1) in the file".into(),
        );
    }
    Ok(out)
}

/// An autoscaling/v1 spec as the v2 spec the API server serves for it
/// (k8s.io/kubernetes pkg/apis/autoscaling/v1/conversion.go,
/// `Convert_v1_HorizontalPodAutoscalerSpec_To_autoscaling_HorizontalPodAutoscalerSpec`):
/// `targetCPUUtilizationPercentage: N` is a Resource metric on cpu with an
/// Utilization target of N; without it the v2 default applies (CPU at 80 %).
/// v1 has no other metrics and no behavior.
pub fn v1_to_v2(spec: serde_json::Value) -> Result<serde_json::Value, String> {
    let serde_json::Value::Object(mut m) = spec else {
        return Err("spec: expected a mapping".into());
    };
    if let Some(k) = m.keys().find(|k| {
        !matches!(
            k.as_str(),
            "scaleTargetRef" | "minReplicas" | "maxReplicas" | "targetCPUUtilizationPercentage"
        )
    }) {
        return Err(format!(
            "spec.{k}: not a field of an autoscaling/v1 HorizontalPodAutoscaler (scaleTargetRef, minReplicas, maxReplicas, targetCPUUtilizationPercentage); metrics and behavior need apiVersion autoscaling/v2"
        ));
    }
    if let Some(t) = m.remove("targetCPUUtilizationPercentage") {
        let Some(pct) = t.as_i64().filter(|p| *p > 0 && *p <= i64::from(i32::MAX)) else {
            return Err(format!(
                "spec.targetCPUUtilizationPercentage: `{t}` is not a whole percentage > 0"
            ));
        };
        m.insert(
            "metrics".into(),
            serde_json::json!([{
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": pct}}
            }]),
        );
    }
    Ok(serde_json::Value::Object(m))
}

/// Lays `patch` over `target`, key by key: a mapping patches a mapping (keys
/// added or replaced) or a list (keys are indices: `metrics.0` is the first
/// metric); anything else replaces. `path` names the place in errors.
pub fn patch_json(
    target: &mut serde_json::Value,
    patch: &serde_json::Value,
    path: &str,
) -> Result<(), String> {
    use serde_json::Value;
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                let sub = format!("{path}.{k}");
                match t.get_mut(k) {
                    Some(tv) => patch_json(tv, v, &sub)?,
                    None => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
            Ok(())
        }
        (Value::Array(items), Value::Object(p)) => {
            for (k, v) in p {
                let i: usize = k.parse().map_err(|_| {
                    format!("{path}.{k}: {path} is a list; address its items by index ({path}.0, {path}.1, …)")
                })?;
                let len = items.len();
                let item = items.get_mut(i).ok_or_else(|| {
                    format!(
                        "{path}.{k}: {path} has {len} item(s) (indices 0..{})",
                        len.saturating_sub(1)
                    )
                })?;
                patch_json(item, v, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (t, p) => {
            *t = p.clone();
            Ok(())
        }
    }
}

/// Sets the Utilization target of the spec's Resource metric on `resource`
/// (`cpu` or `memory`): the short names `scaling.hpa.target_cpu_pct` and
/// `target_memory_pct`. Errors when the spec has no such metric.
pub fn set_utilization_target(
    spec: &mut serde_json::Value,
    resource: &str,
    pct: i64,
) -> Result<(), String> {
    let none = spec
        .get("metrics")
        .and_then(|m| m.as_array())
        .is_none_or(|a| a.is_empty());
    if none
        && resource == "cpu"
        && let Some(m) = spec.as_object_mut()
    {
        // No metrics: the v2 default (CPU at 80 %) with this target instead.
        m.insert(
            "metrics".into(),
            serde_json::json!([{
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": pct}}
            }]),
        );
        return Ok(());
    }
    let metrics = spec.get_mut("metrics").and_then(|m| m.as_array_mut());
    let mut found = false;
    for m in metrics.into_iter().flatten() {
        let is_it = m.get("type").and_then(|t| t.as_str()) == Some("Resource")
            && m.pointer("/resource/name").and_then(|n| n.as_str()) == Some(resource);
        if is_it && let Some(t) = m.pointer_mut("/resource/target") {
            *t = serde_json::json!({"type": "Utilization", "averageUtilization": pct});
            found = true;
        }
    }
    if found {
        Ok(())
    } else {
        Err(format!(
            "the HPA has no Resource metric on {resource} to set the target of; \
             add one, or address the metric by index (scaling.hpa.metrics.N.…)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_as_kubernetes_writes_them() {
        assert_eq!(parse_quantity("500m").unwrap(), 500);
        assert_eq!(parse_quantity("2").unwrap(), 2000);
        assert_eq!(parse_quantity("0.05").unwrap(), 50);
        assert_eq!(parse_quantity("1Gi").unwrap(), 1_073_741_824_000);
        assert_eq!(parse_quantity("10k").unwrap(), 10_000_000);
        assert_eq!(parse_quantity("1e3").unwrap(), 1_000_000);
        assert!(parse_quantity("5 apples").is_err());
    }

    #[test]
    fn a_full_manifest() {
        let y = r#"
apiVersion: v1
kind: Service
metadata: { name: web }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  minReplicas: 3
  maxReplicas: 20
  metrics:
  - type: Resource
    resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }
  - type: External
    external:
      metric: { name: rabbitmq_queue_messages, selector: { matchLabels: { queue: jobs } } }
      target: { type: AverageValue, averageValue: "30" }
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies: [ { type: Percent, value: 25, periodSeconds: 60 } ]
    scaleUp:
      tolerance: "0.05"
"#;
        let h = parse_hpas(y).unwrap();
        assert_eq!(h.len(), 1);
        let h = &h[0];
        assert_eq!(
            (h.name.as_str(), h.min_replicas, h.max_replicas),
            ("web", 3, 20)
        );
        assert_eq!(
            h.metrics[1],
            MetricSpec::External {
                metric: "rabbitmq_queue_messages".into(),
                target: Target::AverageValue(30_000)
            }
        );
        let b = h.behavior.as_ref().unwrap();
        assert_eq!(
            b.scale_down_rules(300).policies[0],
            ScalingPolicy {
                kind: PolicyKind::Percent,
                value: 25,
                period_s: 60
            }
        );
        assert_eq!(b.scale_up.as_ref().unwrap().tolerance, Some(0.05));
    }

    #[test]
    fn bad_manifests_name_the_field() {
        let base = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec:\n  maxReplicas: 5\n";
        let e = parse_hpas(&format!("{base}  metrics:\n  - type: Gauge\n")).unwrap_err();
        assert!(
            e.contains("spec.metrics[0].type") && e.contains("Gauge"),
            "{e}"
        );
        let e = parse_hpas(&format!(
            "{base}  metrics:\n  - type: Resource\n    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: -5}}}}\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("averageUtilization") && e.contains("greater than 0"),
            "{e}"
        );
        let e = parse_hpas(&base.replace("maxReplicas: 5", "maxReplicas: 5\n  minReplicas: 9"))
            .unwrap_err();
        assert!(
            e.contains("spec.minReplicas") && e.contains("greater than"),
            "{e}"
        );
        let e = parse_hpas(&base.replace("maxReplicas: 5", "maxReplicas: 5\n  maxReplica: 4"))
            .unwrap_err();
        assert!(e.contains("maxReplica"), "{e}");
    }
}
