//! KEDA ScaledObject semantics (`reference/kubernetes-hpa.md` §9) on top of
//! the HPA:
//!
//! - KEDA creates an HPA with `minReplicas = max(minReplicaCount, 1)`, the
//!   trigger as an External `AverageValue` metric (target = `queue_length` per
//!   replica: `ceil(total / target)`), and the advanced behavior;
//! - the operator polls every `polling_interval_s`: a trigger is active when
//!   its value is strictly above `activation_queue_length` (always active with
//!   `minReplicaCount ≥ 1`); at 0 replicas an active trigger scales to
//!   `max(minReplicaCount, 1)`; an inactive trigger scales to 0 once
//!   `cooldown_period_s` has passed since the last active poll (at once if it
//!   was never active); 1 ↔ N is the HPA's job (it is disabled at 0 replicas).

use super::hpa::policy::{HpaPolicy, HpaPolicySpec, source_value};
use super::{Decision, Observation, Policy};
use crate::model::autoscaler::MetricSource;

#[derive(Clone, Debug, PartialEq)]
pub struct KedaSpec {
    /// The HPA KEDA creates (its External metric reads `source`).
    pub hpa: HpaPolicySpec,
    pub source: MetricSource,
    pub min_replica_count: u32,
    /// `idleReplicaCount`: with every trigger inactive for the cooldown, the
    /// replicas go to this (below `min_replica_count`), and back to
    /// max(min, 1) when a trigger is active.
    pub idle_replica_count: Option<u32>,
    pub activation: f64,
    pub polling_us: u64,
    pub cooldown_us: u64,
}

pub struct KedaPolicy {
    spec: KedaSpec,
    hpa: HpaPolicy,
    hpa_period_us: u64,
    period_us: u64,
    last_active_us: Option<u64>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl KedaPolicy {
    pub fn new(spec: KedaSpec) -> Self {
        let hpa = HpaPolicy::new(spec.hpa.clone());
        let hpa_period_us = hpa.period_us();
        let period_us = gcd(hpa_period_us, spec.polling_us.max(1)).max(1);
        KedaPolicy {
            spec,
            hpa,
            hpa_period_us,
            period_us,
            last_active_us: None,
        }
    }
}

impl Policy for KedaPolicy {
    fn name(&self) -> &'static str {
        "keda"
    }

    fn period_us(&self) -> u64 {
        self.period_us
    }

    /// KEDA's scale executor (`pkg/scaling/executor/scale_scaledobjects.go`,
    /// `RequestScale`, `scaleToZeroOrIdle`, `scaleFromZeroOrIdle`), once per
    /// polling interval:
    /// - active (a trigger above its activation threshold): with
    ///   `idleReplicaCount` set and fewer replicas than `minReplicaCount`, or
    ///   at 0 replicas, scale to max(minReplicaCount, 1); otherwise the
    ///   last-active time is now;
    /// - inactive: with `idleReplicaCount` set and more replicas than it, or
    ///   without it at `minReplicaCount` 0 and more than 0 replicas, scale to
    ///   the idle count (or 0) once the cooldown has passed since the last
    ///   active poll (at once if never active).
    ///
    /// Without `idleReplicaCount`, `minReplicaCount ≥ 1` keeps the object
    /// active as far as meshsim's decisions go (the HPA owns 1 ↔ N).
    fn decide(&mut self, obs: &Observation<'_>) -> Option<Decision> {
        let now = obs.now_us;
        let s = &self.spec;
        if now.is_multiple_of(s.polling_us) {
            let value =
                source_value(s.source, obs.metrics, s.hpa.metrics_window_s).map_or(0.0, |v| v.0);
            let triggered = value > s.activation;
            let active = triggered || (s.idle_replica_count.is_none() && s.min_replica_count >= 1);
            if active {
                self.last_active_us = Some(now);
            }
            let below_min_from_idle =
                s.idle_replica_count.is_some() && obs.desired < s.min_replica_count;
            if active && (obs.desired == 0 || below_min_from_idle) {
                let to = s.min_replica_count.max(1);
                return Some(Decision {
                    by: None,
                    desired: to,
                    recommendation: to,
                    reason: format!(
                        "KEDA activation: {:?} {value} > activation threshold {}{}",
                        s.source,
                        s.activation,
                        if below_min_from_idle && obs.desired > 0 {
                            format!(", from the idle count {}", obs.desired)
                        } else {
                            String::new()
                        }
                    )
                    .to_lowercase(),
                });
            }
            let idle_to = match s.idle_replica_count {
                Some(idle) if obs.desired > idle => Some(idle),
                None if obs.desired > 0 && s.min_replica_count == 0 => Some(0),
                _ => None,
            };
            if let (false, Some(to)) = (active, idle_to) {
                let cooled = self.last_active_us.is_none_or(|t| t + s.cooldown_us < now);
                if cooled {
                    return Some(Decision {
                        by: None,
                        desired: to,
                        recommendation: to,
                        reason: format!(
                            "KEDA scale to {}: trigger inactive ({value} <= {}) for more than the {} s cooldown",
                            if s.idle_replica_count.is_some() {
                                format!("the idle count {to} (idleReplicaCount)")
                            } else {
                                "zero".to_string()
                            },
                            s.activation,
                            s.cooldown_us / 1_000_000
                        ),
                    });
                }
            }
        }
        if obs.desired > 0 && now.is_multiple_of(self.hpa_period_us) {
            let hpa_obs = Observation {
                now_us: now,
                desired: obs.desired,
                // The HPA KEDA creates has minReplicas = max(minReplicaCount, 1),
                // also when the bounds' floor is the idle count.
                min: obs.min.max(s.min_replica_count).max(1),
                max: obs.max,
                metrics: obs.metrics,
                replicas: obs.replicas,
            };
            return self.hpa.decide(&hpa_obs).map(|d| Decision {
                by: Some("keda-hpa"),
                ..d
            });
        }
        None
    }
}

/// What meshsim reads from a KEDA ScaledObject manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaledObject {
    pub name: String,
    pub min_replica_count: u32,
    pub max_replica_count: u32,
    pub polling_interval_s: f64,
    pub cooldown_period_s: f64,
    /// `idleReplicaCount` (below `minReplicaCount`).
    pub idle_replica_count: Option<u32>,
    pub trigger_type: String,
    pub target: f64,
    pub activation: f64,
    /// `advanced.horizontalPodAutoscalerConfig.behavior`, as written.
    pub behavior: Option<serde_json::Value>,
}

/// Trigger metadata keys that carry the per-replica target, and their
/// activation counterparts, across KEDA's queue-like scalers.
const TARGET_KEYS: &[&str] = &[
    "queueLength",
    "messageCount",
    "listLength",
    "lagThreshold",
    "targetValue",
    "value",
    "threshold",
];

fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Every ScaledObject in a YAML text (`keda.sh/v1alpha1`), with KEDA's defaults
/// (polling 30 s, cooldown 300 s, min 0, max 100, activation 0).
pub fn parse_scaled_objects(text: &str) -> Result<Vec<ScaledObject>, String> {
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let mut out = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        if d.get("kind").and_then(|k| k.as_str()) != Some("ScaledObject") {
            continue;
        }
        let at = if docs.len() > 1 {
            format!("document {}: ", i + 1)
        } else {
            String::new()
        };
        let api = d.get("apiVersion").and_then(|a| a.as_str()).unwrap_or("");
        if !api.starts_with("keda.sh/") {
            return Err(format!(
                "{at}apiVersion: `{api}` is not a KEDA API version (keda.sh/v1alpha1)"
            ));
        }
        let spec = d.get("spec").cloned().unwrap_or_default();
        let get_u32 = |k: &str, default: u32| -> Result<u32, String> {
            match spec.get(k) {
                None => Ok(default),
                Some(v) => number(v)
                    .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                    .map(|n| n as u32)
                    .ok_or_else(|| format!("{at}spec.{k}: expected a whole number >= 0")),
            }
        };
        let min = get_u32("minReplicaCount", 0)?;
        let max = get_u32("maxReplicaCount", 100)?;
        if min > max {
            return Err(format!(
                "{at}spec.minReplicaCount: {min} is greater than spec.maxReplicaCount {max}"
            ));
        }
        let idle = match spec.get("idleReplicaCount") {
            None | Some(serde_json::Value::Null) => None,
            Some(_) => Some(get_u32("idleReplicaCount", 0)?),
        };
        if let Some(i) = idle
            && i >= min
        {
            // KEDA's admission webhook refuses it (`checkReplicaCountBoundsAreValid`).
            return Err(format!(
                "{at}spec.idleReplicaCount: {i} must be less than spec.minReplicaCount {min}"
            ));
        }
        let polling = get_u32("pollingInterval", 30)?;
        let cooldown = get_u32("cooldownPeriod", 300)?;
        let triggers = spec
            .get("triggers")
            .and_then(|t| t.as_array())
            .cloned()
            .unwrap_or_default();
        let Some(trigger) = triggers.first() else {
            return Err(format!(
                "{at}spec.triggers: a ScaledObject needs at least one trigger"
            ));
        };
        let trigger_type = trigger
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("")
            .to_string();
        let meta = trigger.get("metadata").cloned().unwrap_or_default();
        let Some((key, target)) = TARGET_KEYS
            .iter()
            .find_map(|k| meta.get(*k).map(|v| (*k, number(v))))
        else {
            return Err(format!(
                "{at}spec.triggers[0].metadata: no target (expected one of {})",
                TARGET_KEYS.join(", ")
            ));
        };
        let target = target
            .filter(|t| *t > 0.0)
            .ok_or_else(|| format!("{at}spec.triggers[0].metadata.{key}: expected a number > 0"))?;
        let act_key = format!("activation{}{}", key[..1].to_uppercase(), &key[1..]);
        let activation = match meta.get(&act_key) {
            None => 0.0,
            Some(v) => number(v).filter(|a| *a >= 0.0).ok_or_else(|| {
                format!("{at}spec.triggers[0].metadata.{act_key}: expected a number >= 0")
            })?,
        };
        let behavior = spec
            .get("advanced")
            .and_then(|a| a.get("horizontalPodAutoscalerConfig"))
            .and_then(|h| h.get("behavior"))
            .cloned();
        out.push(ScaledObject {
            name: d
                .pointer("/metadata/name")
                .and_then(|n| n.as_str())
                .unwrap_or("scaledobject")
                .to_string(),
            min_replica_count: min,
            max_replica_count: max,
            polling_interval_s: f64::from(polling.max(1)),
            cooldown_period_s: f64::from(cooldown),
            idle_replica_count: idle,
            trigger_type,
            target,
            activation,
            behavior,
        });
    }
    if out.is_empty() {
        return Err("no ScaledObject (apiVersion keda.sh/v1alpha1) in the file".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_object_with_defaults_and_activation() {
        let y = r#"
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: { name: worker }
spec:
  scaleTargetRef: { name: worker }
  minReplicaCount: 0
  maxReplicaCount: 20
  cooldownPeriod: 120
  triggers:
  - type: rabbitmq
    metadata: { queueName: jobs, mode: QueueLength, value: "10", activationValue: "2" }
"#;
        let s = &parse_scaled_objects(y).unwrap()[0];
        assert_eq!((s.min_replica_count, s.max_replica_count), (0, 20));
        assert_eq!((s.polling_interval_s, s.cooldown_period_s), (30.0, 120.0));
        assert_eq!((s.target, s.activation), (10.0, 2.0));
        assert_eq!(s.idle_replica_count, None);
        let idle = y.replace(
            "minReplicaCount: 0",
            "minReplicaCount: 2\n  idleReplicaCount: 0",
        );
        assert_eq!(
            parse_scaled_objects(&idle).unwrap()[0].idle_replica_count,
            Some(0)
        );
        let bad_idle = y.replace(
            "minReplicaCount: 0",
            "minReplicaCount: 2\n  idleReplicaCount: 2",
        );
        assert!(
            parse_scaled_objects(&bad_idle)
                .unwrap_err()
                .contains("idleReplicaCount: 2 must be less than spec.minReplicaCount 2")
        );
        let bad = y.replace("value: \"10\"", "value: \"-1\"");
        assert!(
            parse_scaled_objects(&bad)
                .unwrap_err()
                .contains("metadata.value")
        );
    }
}
