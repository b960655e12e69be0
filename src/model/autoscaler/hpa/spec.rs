//! The HPA's specification (autoscaling/v2) and the controller's options, as
//! plain data. Quantities are milli-units (`i64`), as Kubernetes compares them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceName {
    Cpu,
    Memory,
}

impl ResourceName {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceName::Cpu => "cpu",
            ResourceName::Memory => "memory",
        }
    }
}

/// A metric target (`spec.metrics[].*.target`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Target {
    /// `type: Utilization`, `averageUtilization` percent of the request.
    Utilization(i32),
    /// `type: AverageValue`, milli-units per pod.
    AverageValue(i64),
    /// `type: Value`, milli-units.
    Value(i64),
}

/// One entry of `spec.metrics`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum MetricSpec {
    Resource {
        resource: ResourceName,
        target: Target,
    },
    ContainerResource {
        resource: ResourceName,
        container: String,
        target: Target,
    },
    Pods {
        metric: String,
        target: Target,
    },
    Object {
        metric: String,
        target: Target,
    },
    External {
        metric: String,
        target: Target,
    },
}

impl MetricSpec {
    /// `Resource cpu`, `Pods requests_per_second`, …
    pub fn label(&self) -> String {
        match self {
            MetricSpec::Resource { resource, .. } => format!("Resource {}", resource.as_str()),
            MetricSpec::ContainerResource {
                resource,
                container,
                ..
            } => {
                format!("ContainerResource {} ({container})", resource.as_str())
            }
            MetricSpec::Pods { metric, .. } => format!("Pods {metric}"),
            MetricSpec::Object { metric, .. } => format!("Object {metric}"),
            MetricSpec::External { metric, .. } => format!("External {metric}"),
        }
    }

    /// The name a snapshot's `failing_metrics` uses for this metric.
    pub fn name(&self) -> &str {
        match self {
            MetricSpec::Resource { resource, .. }
            | MetricSpec::ContainerResource { resource, .. } => resource.as_str(),
            MetricSpec::Pods { metric, .. }
            | MetricSpec::Object { metric, .. }
            | MetricSpec::External { metric, .. } => metric,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyKind {
    Pods,
    Percent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalingPolicy {
    #[serde(rename = "type")]
    pub kind: PolicyKind,
    pub value: i32,
    #[serde(rename = "periodSeconds")]
    pub period_s: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SelectPolicy {
    Max,
    Min,
    Disabled,
}

/// `behavior.scaleUp` / `behavior.scaleDown` as written (unset fields `None`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rules {
    pub stabilization_window_s: Option<i32>,
    pub select_policy: Option<SelectPolicy>,
    pub policies: Option<Vec<ScalingPolicy>>,
    pub tolerance: Option<f64>,
}

/// Rules with every field set (after the API server's defaulting).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResolvedRules {
    pub stabilization_window_s: i32,
    pub select_policy: SelectPolicy,
    pub policies: Vec<ScalingPolicy>,
    pub tolerance: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Behavior {
    pub scale_up: Option<Rules>,
    pub scale_down: Option<Rules>,
}

impl Behavior {
    /// `GenerateHPAScaleUpRules`: window 0, Max, [4 pods / 15 s, 100 % / 15 s];
    /// unset fields are filled one by one.
    pub fn scale_up_rules(&self) -> ResolvedRules {
        let r = self.scale_up.clone().unwrap_or_default();
        ResolvedRules {
            stabilization_window_s: r.stabilization_window_s.unwrap_or(0),
            select_policy: r.select_policy.unwrap_or(SelectPolicy::Max),
            policies: r.policies.unwrap_or_else(|| {
                vec![
                    ScalingPolicy {
                        kind: PolicyKind::Pods,
                        value: 4,
                        period_s: 15,
                    },
                    ScalingPolicy {
                        kind: PolicyKind::Percent,
                        value: 100,
                        period_s: 15,
                    },
                ]
            }),
            tolerance: r.tolerance,
        }
    }

    /// `GenerateHPAScaleDownRules`: window from the controller flag, Max,
    /// [100 % / 15 s].
    pub fn scale_down_rules(&self, downscale_stabilization_s: i32) -> ResolvedRules {
        let r = self.scale_down.clone().unwrap_or_default();
        ResolvedRules {
            stabilization_window_s: r
                .stabilization_window_s
                .unwrap_or(downscale_stabilization_s),
            select_policy: r.select_policy.unwrap_or(SelectPolicy::Max),
            policies: r.policies.unwrap_or_else(|| {
                vec![ScalingPolicy {
                    kind: PolicyKind::Percent,
                    value: 100,
                    period_s: 15,
                }]
            }),
            tolerance: r.tolerance,
        }
    }
}

/// A HorizontalPodAutoscaler's spec.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HpaSpec {
    pub name: String,
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub metrics: Vec<MetricSpec>,
    /// `None` is the common case and takes the legacy normalisation path.
    pub behavior: Option<Behavior>,
}

/// kube-controller-manager options (`--horizontal-pod-autoscaler-*`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControllerOptions {
    pub tolerance: f64,
    pub cpu_initialization_period_s: f64,
    pub initial_readiness_delay_s: f64,
    pub downscale_stabilization_s: f64,
    pub scale_up_limit_factor: f64,
    pub scale_up_limit_minimum: f64,
    /// `--horizontal-pod-autoscaler-sync-period`.
    pub sync_period_s: f64,
}

impl Default for ControllerOptions {
    /// `RecommendedDefaultHPAControllerConfiguration` and the legacy scale-up
    /// limit constants.
    fn default() -> Self {
        ControllerOptions {
            tolerance: 0.1,
            cpu_initialization_period_s: 300.0,
            initial_readiness_delay_s: 30.0,
            downscale_stabilization_s: 300.0,
            scale_up_limit_factor: 2.0,
            scale_up_limit_minimum: 4.0,
            sync_period_s: 15.0,
        }
    }
}
