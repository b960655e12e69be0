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
/// fields and, unless a layer sets them, `scaling.min`/`scaling.max`; returns
/// the ScaledObject's HPA behavior, when it has one.
pub(super) fn resolve_scaled_object(loaded: &mut Loaded) -> Result<Option<Behavior>, Diagnostic> {
    use crate::model::autoscaler::keda::parse_scaled_objects;
    let Some(q) = loaded.file.scaling.queue.clone() else {
        return Ok(None);
    };
    let Some(path) = &q.manifest else {
        return Ok(None);
    };
    const KEY: &str = "scaling.queue.manifest";
    if q.queue_length.is_some() {
        return Err(hpa_error(
            loaded,
            "scaling.queue.queue_length",
            "give either `manifest` or `queue_length`, not both".into(),
        ));
    }
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
    let explicitly = |k: &str| {
        loaded
            .merged
            .get("scaling")
            .and_then(|s| s.as_table())
            .is_some_and(|t| t.contains_key(k))
    };
    let (set_min, set_max) = (explicitly("min"), explicitly("max"));
    let behavior = so
        .behavior
        .as_ref()
        .map(|b| behavior_from(b, "behavior"))
        .transpose()
        .map_err(|e| hpa_error(loaded, KEY, format!("{path}: {e}")))?;
    let sc = &mut loaded.file.scaling;
    if !set_min {
        sc.min = so.min_replica_count;
    }
    if !set_max {
        sc.max = so.max_replica_count;
    }
    let qm = sc.queue.as_mut().expect("checked");
    qm.queue_length = Some(so.target);
    qm.activation_queue_length = so.activation;
    qm.polling_interval_s = so.polling_interval_s;
    qm.cooldown_period_s = so.cooldown_period_s;
    Ok(behavior)
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
pub(super) fn resolve_hpa(loaded: &mut Loaded) -> Result<Option<HpaPolicySpec>, Diagnostic> {
    use crate::model::autoscaler::hpa::manifest::parse_hpas;
    let Some(cfg) = loaded.file.scaling.hpa.clone() else {
        return Ok(None);
    };
    let set_explicitly = |key: &str| {
        loaded
            .merged
            .get("scaling")
            .and_then(|s| s.as_table())
            .is_some_and(|t| t.contains_key(key))
    };
    let spec = match (&cfg.manifest, &cfg.metrics) {
        (Some(_), Some(_)) => {
            return Err(hpa_error(
                loaded,
                "scaling.hpa.metrics",
                "give either `manifest` or inline `metrics`, not both".into(),
            ));
        }
        (Some(path), None) => {
            let text = read_manifest(loaded, "scaling.hpa.manifest", path)?;
            let hpas = parse_hpas(&text)
                .map_err(|e| hpa_error(loaded, "scaling.hpa.manifest", format!("{path}: {e}")))?;
            let chosen = match &cfg.name {
                Some(n) => hpas.into_iter().find(|h| &h.name == n).ok_or_else(|| {
                    hpa_error(
                        loaded,
                        "scaling.hpa.name",
                        format!("{path} has no HorizontalPodAutoscaler named `{n}`"),
                    )
                })?,
                None if hpas.len() == 1 => hpas.into_iter().next().expect("one"),
                None => {
                    return Err(hpa_error(
                        loaded,
                        "scaling.hpa.manifest",
                        format!(
                            "{path} holds {} HPAs; choose one with scaling.hpa.name",
                            hpas.len()
                        ),
                    ));
                }
            };
            if !set_explicitly("min") {
                loaded.file.scaling.min = chosen.min_replicas.max(0) as u32;
            }
            if !set_explicitly("max") {
                loaded.file.scaling.max = chosen.max_replicas.max(0) as u32;
            }
            chosen
        }
        (None, metrics) => inline_hpa(loaded, metrics.as_deref(), cfg.behavior.as_ref())?,
    };
    check_sources(loaded, &spec, &cfg.metric_sources)?;
    let c = &loaded.file.capacity;
    let cpu_request_milli = cfg
        .cpu_request_milli
        .unwrap_or_else(|| match (c.platform, c.cpu) {
            (Platform::Fargate | Platform::Kubernetes | Platform::EcsEc2, Some(cpu)) => {
                (cpu * 1000.0).round() as i64
            }
            _ => 1000,
        });
    Ok(Some(HpaPolicySpec {
        spec,
        controller: cfg.controller.clone(),
        sources: cfg.metric_sources.clone(),
        cpu_request_milli,
        memory_request_bytes: (loaded.file.service.memory_request_mb * 1_048_576.0).round() as i64,
        metrics_window_s: cfg.metrics_window_s.max(1),
    }))
}

/// An inline HPA (`scaling.hpa.metrics`, `behavior`) between `scaling.min` and `scaling.max`.
fn inline_hpa(
    loaded: &Loaded,
    metrics: Option<&[toml::Value]>,
    behavior: Option<&toml::Value>,
) -> Result<HpaSpec, Diagnostic> {
    // The inline spec is an autoscaling/v2 `spec` written in TOML: read by the
    // manifest reader directly (serde), as it reads YAML.
    let mut doc = toml::Table::new();
    doc.insert(
        "minReplicas".into(),
        i64::from(loaded.file.scaling.min).into(),
    );
    doc.insert(
        "maxReplicas".into(),
        i64::from(loaded.file.scaling.max).into(),
    );
    if let Some(ms) = metrics {
        doc.insert("metrics".into(), toml::Value::Array(ms.to_vec()));
    }
    if let Some(b) = behavior {
        doc.insert("behavior".into(), b.clone());
    }
    let doc = toml::Value::Table(doc);
    crate::model::autoscaler::hpa::manifest::hpa_from_doc(loaded.name.clone(), doc).map_err(|e| {
        hpa_error(
            loaded,
            "scaling.hpa",
            format!("inline HPA: {}", e.replacen("spec.", "", 1)),
        )
    })
}

/// Every Pods, Object and External metric of the HPA has a source in the simulation.
fn check_sources(
    loaded: &Loaded,
    spec: &HpaSpec,
    sources: &BTreeMap<String, MetricSource>,
) -> Result<(), Diagnostic> {
    for m in &spec.metrics {
        if let MetricSpec::Pods { metric, .. }
        | MetricSpec::Object { metric, .. }
        | MetricSpec::External { metric, .. } = m
            && !sources.contains_key(metric)
        {
            return Err(hpa_error(
                loaded,
                "scaling.hpa.metric_sources",
                format!(
                    "the HPA's metric `{metric}` has no source: add scaling.hpa.metric_sources.{metric} = one of \"cpu\", \"memory\", \"queue_depth\", \"in_flight\", \"rps\""
                ),
            ));
        }
    }
    Ok(())
}
