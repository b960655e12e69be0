//! The usage model and the VerticalPodAutoscaler (docs/resources.md):
//! `service.cpu_per_request`, `service.cpu_idle`, `capacity.cpu_limit`,
//! `capacity.memory_limit_gb` (or a Deployment's limits) and `[scaling.vpa]`
//! (inline or a manifest).

use super::k8s::{DeploymentLimits, cpu_quantity, hpa_error, memory_quantity, read_manifest};
use super::{Diagnostic, Loaded, Platform, Problems, ScenarioFile, VpaResources};
use crate::model::autoscaler::hpa::policy::HpaPolicySpec;
use crate::model::autoscaler::hpa::spec::{MetricSpec, ResourceName, Target};
use crate::model::resources::{PodResources, UsagePlan};
use crate::model::vpa::{Amounts, MIB, UpdateMode, VpaSpec};

/// The VPA as its manifest gives it (before inline keys).
#[derive(Clone, Debug, Default)]
pub struct VpaManifest {
    pub name: String,
    pub update_mode: Option<String>,
    pub controlled_resources: Option<Vec<String>>,
    pub controlled_values: Option<String>,
    pub min_allowed: Option<VpaResources>,
    pub max_allowed: Option<VpaResources>,
    /// The container policy's `mode: Off`.
    pub container_off: bool,
    pub warnings: Vec<String>,
}

/// Reads `scaling.vpa.manifest`, when given: the VerticalPodAutoscaler
/// (chosen by `scaling.vpa.name` when the file holds several) and the
/// container policy for the Deployment's container (or `*`).
pub(super) fn read_vpa_manifest(
    loaded: &mut Loaded,
    limits: &DeploymentLimits,
) -> Result<Option<VpaManifest>, Diagnostic> {
    const KEY: &str = "scaling.vpa.manifest";
    let Some(cfg) = loaded.file.scaling.vpa.clone() else {
        return Ok(None);
    };
    let Some(path) = cfg.manifest else {
        return Ok(None);
    };
    let text = read_manifest(loaded, KEY, &path)?;
    parse_vpa_manifest(
        &text,
        &path,
        cfg.name.as_deref(),
        limits.container.as_deref(),
    )
    .map(Some)
    .map_err(|(key, e)| hpa_error(loaded, key, e))
}

/// A VerticalPodAutoscaler from manifest text (`path` names it in messages):
/// the one named `name` (or the only one), with the container policy for
/// `container` (or `*`, or the only one). Errors name the scenario key
/// they belong to.
pub fn parse_vpa_manifest(
    text: &str,
    path: &str,
    name: Option<&str>,
    container: Option<&str>,
) -> Result<VpaManifest, (&'static str, String)> {
    const KEY: &str = "scaling.vpa.manifest";
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(text)
        .map_err(|e| (KEY, format!("{path}: not valid YAML: {e}")))?;
    let vpas: Vec<&serde_json::Value> = docs
        .iter()
        .filter(|d| d.get("kind").and_then(|k| k.as_str()) == Some("VerticalPodAutoscaler"))
        .collect();
    let name_of = |d: &serde_json::Value| {
        d.pointer("/metadata/name")
            .and_then(|n| n.as_str())
            .unwrap_or("")
            .to_string()
    };
    let d = match (name, vpas.as_slice()) {
        (_, []) => {
            return Err((
                KEY,
                format!("{path} holds no VerticalPodAutoscaler (kind: VerticalPodAutoscaler)"),
            ));
        }
        (Some(want), all) => *all.iter().find(|d| name_of(d) == want).ok_or_else(|| {
            (
                "scaling.vpa.name",
                format!("{path} has no VerticalPodAutoscaler named `{want}`"),
            )
        })?,
        (None, [one]) => *one,
        (None, all) => {
            return Err((
                KEY,
                format!(
                    "{path} holds {} VerticalPodAutoscalers; choose one with scaling.vpa.name",
                    all.len()
                ),
            ));
        }
    };
    let api = d.get("apiVersion").and_then(|a| a.as_str()).unwrap_or("");
    if !api.starts_with("autoscaling.k8s.io/") {
        return Err((
            KEY,
            format!("{path}: apiVersion `{api}` is not autoscaling.k8s.io/v1"),
        ));
    }
    let mut m = VpaManifest {
        name: name_of(d),
        ..VpaManifest::default()
    };
    let mut warn = |w: String| {
        m.warnings
            .push(format!("{path} (scaling.vpa.manifest): {w}"))
    };
    if let Some(kind) = d.pointer("/spec/targetRef/kind").and_then(|k| k.as_str())
        && kind != "Deployment"
    {
        warn(format!(
            "targetRef.kind `{kind}` is read as the scenario's service (a Deployment)"
        ));
    }
    m.update_mode = d
        .pointer("/spec/updatePolicy/updateMode")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    for (field, what) in [
        ("minReplicas", "updatePolicy.minReplicas"),
        ("evictionRequirements", "updatePolicy.evictionRequirements"),
        ("evictAfterOOMSeconds", "updatePolicy.evictAfterOOMSeconds"),
    ] {
        if d.pointer(&format!("/spec/updatePolicy/{field}")).is_some() {
            warn(format!(
                "{what} is read but not simulated: the updater's defaults apply (at least 2 live pods, evict after an OOM within 10 minutes of start)"
            ));
        }
    }
    for field in ["recommenders", "startupBoost"] {
        if d.pointer(&format!("/spec/{field}")).is_some() {
            warn(format!("spec.{field} is read but not simulated"));
        }
    }
    let policies = d
        .pointer("/spec/resourcePolicy/containerPolicies")
        .and_then(|p| p.as_array())
        .cloned()
        .unwrap_or_default();
    let cname = |p: &serde_json::Value| {
        p.get("containerName")
            .and_then(|n| n.as_str())
            .unwrap_or("")
            .to_string()
    };
    let chosen = policies
        .iter()
        .find(|p| container == Some(cname(p).as_str()))
        .or_else(|| policies.iter().find(|p| cname(p) == "*"))
        .or_else(|| (policies.len() == 1).then(|| &policies[0]));
    if policies.len() > 1 {
        warn(format!(
            "{} container policies: the pod is simulated as one container, under `{}`'s",
            policies.len(),
            chosen.map(cname).unwrap_or_default()
        ));
    }
    if let Some(pol) = chosen {
        m.container_off = pol.get("mode").and_then(|v| v.as_str()) == Some("Off");
        m.controlled_values = pol
            .get("controlledValues")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        m.controlled_resources = pol
            .get("controlledResources")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or("").to_string())
                    .collect()
            });
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        for (field, slot) in [
            ("minAllowed", &mut m.min_allowed),
            ("maxAllowed", &mut m.max_allowed),
        ] {
            let Some(r) = pol.get(field) else { continue };
            let cpu = r
                .get("cpu")
                .map(|q| cpu_quantity(&text(q)))
                .transpose()
                .map_err(|e| (KEY, format!("{path}: {field}.cpu: {e}")))?;
            let memory_gb = r
                .get("memory")
                .map(|q| memory_quantity(&text(q)))
                .transpose()
                .map_err(|e| (KEY, format!("{path}: {field}.memory: {e}")))?;
            *slot = Some(VpaResources { cpu, memory_gb });
        }
    }
    Ok(m)
}

/// Whether a scenario asks for the usage model by its own keys.
fn asks_for_usage(f: &ScenarioFile) -> bool {
    f.service.cpu_per_request.is_some()
        || f.service.cpu_idle.is_some()
        || f.capacity.cpu_limit.is_some()
        || f.capacity.memory_limit_gb.is_some()
        || f.scaling.vpa.is_some()
}

/// Resolves the usage model and the VPA. Limits read from a Deployment turn
/// the model on only when they can bind (a pod with every slot busy demands
/// more than the CPU limit, or uses more memory than the memory limit): the
/// model's defaults reproduce the busy-slot `cpu` metric, so a run whose
/// limits never bind is the run it was before limits were read.
pub(super) fn resolve(
    f: &ScenarioFile,
    deployment: &DeploymentLimits,
    manifest: Option<VpaManifest>,
    hpa: Option<&HpaPolicySpec>,
    p: &mut Problems,
    warnings: &mut Vec<String>,
) -> (Option<UsagePlan>, Option<crate::model::vpa::VpaSpec>) {
    let s = &f.service;
    let c = &f.capacity;
    let cpu_request = hpa.map_or_else(
        || super::k8s::pod_cpu_request_milli(c) as f64 / 1000.0,
        |h| h.cpu_request_milli as f64 / 1000.0,
    );
    let conc = s.concurrency.max(1);
    fn bad_number(p: &mut Problems, key: &str, v: f64, what: &str, ok: bool) -> bool {
        if !ok {
            p.bad(key, format!("{} is not {what}", super::num(v)), None);
        }
        ok
    }
    let cpu_per_request = s.cpu_per_request.unwrap_or(cpu_request / f64::from(conc));
    let cpu_idle = s.cpu_idle.unwrap_or(0.0);
    let mut ok = bad_number(
        p,
        "service.cpu_per_request",
        cpu_per_request,
        "a number of cores in [0, 1000] (0.2 = a request keeps a fifth of a core busy)",
        cpu_per_request.is_finite() && (0.0..=1000.0).contains(&cpu_per_request),
    );
    ok &= bad_number(
        p,
        "service.cpu_idle",
        cpu_idle,
        "a number of cores in [0, 1000]",
        cpu_idle.is_finite() && (0.0..=1000.0).contains(&cpu_idle),
    );
    let from_manifest = c.cpu_limit.is_none() && c.memory_limit_gb.is_none();
    let (cpu_limit, memory_limit_gb) = if from_manifest {
        (deployment.cpu, deployment.memory_gb)
    } else {
        (c.cpu_limit, c.memory_limit_gb)
    };
    if let Some(l) = cpu_limit {
        ok &= bad_number(
            p,
            "capacity.cpu_limit",
            l,
            "a CPU limit in cores > 0 and ≤ 1000",
            l.is_finite() && l > 0.0 && l <= 1000.0,
        );
        if l < cpu_request {
            p.bad(
                "capacity.cpu_limit",
                format!(
                    "the CPU limit {} is below the pod's CPU request {}; Kubernetes rejects a pod whose request exceeds its limit",
                    super::num(l),
                    super::num(cpu_request)
                ),
                Some("raise the limit or lower capacity.cpu".into()),
            );
            ok = false;
        }
    }
    if let Some(l) = memory_limit_gb {
        ok &= bad_number(
            p,
            "capacity.memory_limit_gb",
            l,
            "a memory limit in GiB > 0 and ≤ 1024",
            l.is_finite() && l > 0.0 && l <= 1024.0,
        );
        if l * 1024.0 < s.memory_request_mb {
            p.bad(
                "capacity.memory_limit_gb",
                format!(
                    "the memory limit {} GiB is below the pod's memory request {} MB (service.memory_request_mb); Kubernetes rejects a pod whose request exceeds its limit",
                    super::num(l),
                    super::num(s.memory_request_mb)
                ),
                None,
            );
            ok = false;
        }
    }
    let plan = UsagePlan {
        cpu_per_request,
        cpu_idle,
        memory_base_mb: s.memory_base_mb,
        memory_per_request_mb: s.memory_per_request_mb,
        pod: PodResources {
            cpu_request,
            cpu_limit,
            memory_request_mb: s.memory_request_mb,
            memory_limit_mb: memory_limit_gb.map(|g| g * 1024.0),
        },
        concurrency: conc,
    };
    let binds = plan.can_throttle(&plan.pod) || plan.can_oom(&plan.pod);
    let wanted = asks_for_usage(f) || (from_manifest && binds);
    if !wanted {
        if from_manifest && (deployment.cpu.is_some() || deployment.memory_gb.is_some()) {
            warnings.push(format!(
                "capacity.deployment: limits{}{} never bind under the usage model's defaults (a pod with all {conc} slots busy uses {} cores and {} MB): no throttling or OOM kill; set service.cpu_per_request to model CPU usage (docs/resources.md)",
                deployment
                    .cpu
                    .map_or(String::new(), |l| format!(" cpu {}", super::num(l))),
                deployment
                    .memory_gb
                    .map_or(String::new(), |l| format!(" memory {} GiB", super::num(l))),
                super::num(plan.cpu_demand(conc)),
                super::num(plan.memory_mb(conc)),
            ));
        }
        return (None, None);
    }
    if !f.regions.is_empty() {
        p.bad(
            "regions",
            "multi-region scenarios with a usage model (service.cpu_per_request, limits, a VPA) are not simulated yet".into(),
            Some("run each region as a scenario of its own".into()),
        );
        ok = false;
    }
    if !ok {
        return (None, None);
    }
    if plan.can_oom(&plan.pod) {
        warnings.push(format!(
            "the memory limit ({} MB) is below what a pod with all {conc} slots busy uses ({} MB = {} + {conc} × {}): pods past it are OOM-killed (their requests dropped) and restart",
            super::num(plan.pod.memory_limit_mb.unwrap_or(0.0)),
            super::num(plan.memory_mb(conc)),
            super::num(s.memory_base_mb),
            super::num(s.memory_per_request_mb)
        ));
    }
    let vpa = f
        .scaling
        .vpa
        .as_ref()
        .and_then(|v| vpa_spec(f, v, manifest, hpa, p, warnings));
    (Some(plan), vpa)
}

fn vpa_spec(
    f: &ScenarioFile,
    v: &super::VpaConfig,
    manifest: Option<VpaManifest>,
    hpa: Option<&HpaPolicySpec>,
    p: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<VpaSpec> {
    let m = manifest.unwrap_or_default();
    warnings.extend(m.warnings.iter().cloned());
    if f.capacity.platform != Platform::Kubernetes {
        p.bad(
            "scaling.vpa",
            format!(
                "a VerticalPodAutoscaler needs capacity.platform = \"kubernetes\" (pods on nodes), not `{}`",
                serde_json::to_value(f.capacity.platform)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
            Some("on Fargate a pod's price follows its size; meshsim does not re-price resized pods".into()),
        );
        return None;
    }
    let merged = VpaManifest {
        name: m.name.clone(),
        update_mode: v.update_mode.clone().or(m.update_mode.clone()),
        controlled_resources: v
            .controlled_resources
            .clone()
            .or(m.controlled_resources.clone()),
        controlled_values: v.controlled_values.clone().or(m.controlled_values.clone()),
        min_allowed: Some(pick(v.min_allowed, m.min_allowed)),
        max_allowed: Some(pick(v.max_allowed, m.max_allowed)),
        container_off: m.container_off,
        warnings: Vec::new(),
    };
    if m.container_off {
        warnings
            .push("scaling.vpa: the container policy's mode is Off: recommendations only".into());
    }
    let spec = match build_spec(&merged) {
        Ok(s) => s,
        Err((key, msg, hint)) => {
            p.bad(key, msg, hint);
            return None;
        }
    };
    let (update_mode, cpu, memory) = (spec.update_mode, spec.cpu, spec.memory);
    // The HPA and the VPA on the same resource: the combination the VPA's
    // documentation warns against.
    if let Some(h) = hpa
        && update_mode != UpdateMode::Off
    {
        for m in &h.spec.metrics {
            let (MetricSpec::Resource { resource, target }
            | MetricSpec::ContainerResource {
                resource, target, ..
            }) = m
            else {
                continue;
            };
            let controlled = match resource {
                ResourceName::Cpu => cpu,
                ResourceName::Memory => memory,
            };
            if controlled && matches!(target, Target::Utilization(_)) {
                warnings.push(format!(
                    "the HPA scales on {} utilisation while the VPA ({}) sets the {} request it is measured against: each resize moves the HPA's utilisation and each scaling moves the usage per pod (the VPA's documentation: do not use them together on CPU or memory); see the scenario's scaling.csv and docs/resources.md for ways out",
                    resource.as_str(),
                    update_mode.name(),
                    resource.as_str()
                ));
            }
        }
    }
    Some(spec)
}

fn pick(inline: Option<VpaResources>, man: Option<VpaResources>) -> VpaResources {
    let i = inline.unwrap_or_default();
    let m = man.unwrap_or_default();
    VpaResources {
        cpu: i.cpu.or(m.cpu),
        memory_gb: i.memory_gb.or(m.memory_gb),
    }
}

/// A VPA's resolved spec from its fields (manifest and inline merged), or
/// the scenario key at fault, the message and a hint.
pub fn build_spec(m: &VpaManifest) -> Result<VpaSpec, (&'static str, String, Option<String>)> {
    let mode_s = m.update_mode.clone().unwrap_or_else(|| "Auto".into());
    let Some(mut update_mode) = UpdateMode::parse(&mode_s) else {
        return Err((
            "scaling.vpa.update_mode",
            format!("`{mode_s}` is not an update mode"),
            Some("one of Off, Initial, Recreate, Auto, InPlaceOrRecreate".into()),
        ));
    };
    if m.container_off {
        update_mode = UpdateMode::Off;
    }
    let resources = m
        .controlled_resources
        .clone()
        .unwrap_or_else(|| vec!["cpu".into(), "memory".into()]);
    let (mut cpu, mut memory) = (false, false);
    for r in &resources {
        match r.as_str() {
            "cpu" => cpu = true,
            "memory" => memory = true,
            other => {
                return Err((
                    "scaling.vpa.controlled_resources",
                    format!("`{other}` is not a resource the VPA controls"),
                    Some("a list of \"cpu\" and \"memory\"".into()),
                ));
            }
        }
    }
    let values = m
        .controlled_values
        .clone()
        .unwrap_or_else(|| "RequestsAndLimits".into());
    let requests_only = match values.as_str() {
        "RequestsAndLimits" => false,
        "RequestsOnly" => true,
        other => {
            return Err((
                "scaling.vpa.controlled_values",
                format!("`{other}` is not RequestsAndLimits or RequestsOnly"),
                None,
            ));
        }
    };
    let min = m.min_allowed.unwrap_or_default();
    let max = m.max_allowed.unwrap_or_default();
    for (key, x) in [
        ("scaling.vpa.min_allowed.cpu", min.cpu),
        ("scaling.vpa.min_allowed.memory_gb", min.memory_gb),
        ("scaling.vpa.max_allowed.cpu", max.cpu),
        ("scaling.vpa.max_allowed.memory_gb", max.memory_gb),
    ] {
        if let Some(x) = x
            && !(x.is_finite() && x > 0.0 && x <= 1000.0)
        {
            return Err((
                key,
                format!("{} is not an amount > 0 and ≤ 1000", super::num(x)),
                None,
            ));
        }
    }
    let lo = Amounts {
        cpu_milli: min.cpu.map_or(0.0, |c| (c * 1000.0).round()),
        memory_bytes: min.memory_gb.map_or(0.0, |g| (g * 1024.0 * MIB).round()),
    };
    let hi = Amounts {
        cpu_milli: max.cpu.map_or(f64::INFINITY, |c| (c * 1000.0).round()),
        memory_bytes: max
            .memory_gb
            .map_or(f64::INFINITY, |g| (g * 1024.0 * MIB).round()),
    };
    if lo.cpu_milli > hi.cpu_milli || lo.memory_bytes > hi.memory_bytes {
        return Err((
            "scaling.vpa.min_allowed",
            "min_allowed is above max_allowed".into(),
            None,
        ));
    }
    Ok(VpaSpec {
        name: if m.name.is_empty() {
            "vpa".into()
        } else {
            m.name.clone()
        },
        update_mode,
        cpu,
        memory,
        requests_only,
        min_allowed: lo,
        max_allowed: hi,
    })
}
