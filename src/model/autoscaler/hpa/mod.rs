//! The Kubernetes HorizontalPodAutoscaler (autoscaling/v2), as the controller
//! in `pkg/controller/podautoscaler` decides (see `reference/kubernetes-hpa.md`):
//! one reconcile = per-metric proposals (`calc`), the maximum of the valid
//! ones, then normalisation — the legacy path when `behavior` is nil
//! (downscale stabilisation, scale-up limit `max(2 × current, 4)`), or the
//! behavior path (stabilisation windows, Pods/Percent policies over periods,
//! selectPolicy). Pure functions over plain data: [`reconcile`] is used both by
//! `meshsim hpa explain` and by the simulation.
//!
//! Where versions differ, meshsim follows current master: missing pods on a
//! utilisation scale-down are filled at max(100 %, target) of their request;
//! Succeeded pods are ignored; per-direction tolerances from `behavior`.

pub mod calc;
pub mod manifest;
mod normalize;
pub mod policy;
pub mod spec;
pub mod state;
pub(crate) use normalize::*;

use calc::{Calc, PodGroups, Tolerances, ceil_i32};
use serde::Serialize;
use spec::{
    ControllerOptions, HpaSpec, MetricSpec, PolicyKind, ResolvedRules, SelectPolicy, Target,
};
use state::{Pod, Snapshot, milli};
use std::collections::BTreeMap;

/// A scale event in the controller's memory (absolute time, seconds).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TimedEvent {
    pub replica_change: i32,
    pub t_s: f64,
    pub outdated: bool,
}

/// What the controller remembers between reconciles of one HPA.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct History {
    /// `None` until the first reconcile records the initial recommendation.
    pub recommendations: Option<Vec<(i32, f64)>>,
    pub scale_up_events: Vec<TimedEvent>,
    pub scale_down_events: Vec<TimedEvent>,
}

/// What the controller observes in one reconcile.
#[derive(Clone, Debug)]
pub struct Observed<'a> {
    pub spec_replicas: i32,
    pub status_replicas: i32,
    pub pods: &'a [Pod],
    pub object_metrics: &'a BTreeMap<String, f64>,
    pub external_metrics: &'a BTreeMap<String, Vec<f64>>,
    pub failing_metrics: &'a [String],
}

/// One metric's part in the decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricExplanation {
    pub metric: String,
    pub target: String,
    /// What the controller would report in `status.currentMetrics`.
    pub current: Option<String>,
    pub usage_ratio: Option<f64>,
    pub proposal: Option<i32>,
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pods: Option<PodGroups>,
}

/// The controller's decision in one reconcile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    pub hpa: String,
    pub current_replicas: i32,
    pub desired_replicas: i32,
    pub rescale: bool,
    pub metrics: Vec<MetricExplanation>,
    /// Maximum of the valid proposals (before normalisation).
    pub recommendation: Option<i32>,
    /// After stabilisation (None when normalisation did not run).
    pub stabilized_recommendation: Option<i32>,
    pub stabilization: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub path: &'static str,
    pub reason: String,
}

/// The replica calculator's pod rules that took part in a proposal
/// (`replica_calculator.go`: on a scale-up unready pods count at 0 % and
/// pods without metrics at 0; on a scale-down pods without metrics count at
/// the target (utilisation: max(100 %, target)) — the rule that can hold a
/// proposal back).
fn rebalancing_note(m: &MetricExplanation) -> String {
    let (Some(g), Some(ratio)) = (&m.pods, m.usage_ratio) else {
        return String::new();
    };
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut notes = Vec::new();
    if ratio > 1.0 && !g.unready.is_empty() {
        notes.push(format!(
            "{} counted at 0 on scale-up",
            plural(g.unready.len(), "unready pod")
        ));
    }
    if !g.missing.is_empty() && ratio != 1.0 {
        notes.push(format!(
            "{} without metrics counted at {} on scale-{}",
            plural(g.missing.len(), "pod"),
            if ratio > 1.0 {
                "0"
            } else {
                "the target (at least 100 % of the request for utilisation)"
            },
            if ratio > 1.0 { "up" } else { "down" }
        ));
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!("; {}", notes.join(", "))
    }
}

fn target_text(t: &Target) -> String {
    match t {
        Target::Utilization(u) => format!("averageUtilization {u}%"),
        Target::AverageValue(v) => format!("averageValue {}", quantity(*v)),
        Target::Value(v) => format!("value {}", quantity(*v)),
    }
}

/// A milli-value written as Kubernetes would (`350m`, `12`).
pub fn quantity(m: i64) -> String {
    if m % 1000 == 0 {
        format!("{}", m / 1000)
    } else {
        format!("{m}m")
    }
}

fn tolerances(spec: &HpaSpec, opts: &ControllerOptions) -> Tolerances {
    let b = spec.behavior.as_ref();
    Tolerances {
        up: b
            .and_then(|b| b.scale_up.as_ref())
            .and_then(|r| r.tolerance)
            .unwrap_or(opts.tolerance),
        down: b
            .and_then(|b| b.scale_down.as_ref())
            .and_then(|r| r.tolerance)
            .unwrap_or(opts.tolerance),
    }
}

/// One metric's proposal (`computeStatusFor*Metric`).
fn metric_proposal(
    m: &MetricSpec,
    obs: &Observed<'_>,
    opts: &ControllerOptions,
    tol: Tolerances,
    now_s: f64,
) -> MetricExplanation {
    let mut ex = MetricExplanation {
        metric: m.label(),
        target: match m {
            MetricSpec::Resource { target, .. }
            | MetricSpec::ContainerResource { target, .. }
            | MetricSpec::Pods { target, .. }
            | MetricSpec::Object { target, .. }
            | MetricSpec::External { target, .. } => target_text(target),
        },
        current: None,
        usage_ratio: None,
        proposal: None,
        error: None,
        pods: None,
    };
    if obs.failing_metrics.iter().any(|f| f == m.name()) {
        ex.error = Some(format!(
            "unable to get metric {}: the metrics API returned an error",
            m.name()
        ));
        return ex;
    }
    let spec_r = obs.spec_replicas;
    let result: Result<(Calc, String), String> = match m {
        MetricSpec::Resource { resource, target }
        | MetricSpec::ContainerResource {
            resource, target, ..
        } => {
            let container = match m {
                MetricSpec::ContainerResource { container, .. } => Some(container.as_str()),
                _ => None,
            };
            match target {
                Target::Utilization(u) => {
                    calc::resource_utilization_replicas(spec_r, *u, *resource, container, obs.pods, opts, tol, now_s).map(|c| {
                        let cur = format!(
                            "averageUtilization {}%, averageValue {}",
                            c.current,
                            quantity(c.raw_average.unwrap_or(0))
                        );
                        (c, cur)
                    })
                }
                Target::AverageValue(v) => {
                    let values = calc::resource_values(obs.pods, *resource, container);
                    if values.is_empty() {
                        Err(format!(
                            "unable to get metrics for resource {}: no metrics returned from resource metrics API",
                            resource.as_str()
                        ))
                    } else {
                        calc::plain_metric_replicas(spec_r, *v, &values, obs.pods, *resource == spec::ResourceName::Cpu, opts, tol, now_s)
                            .map(|c| {
                                let cur = format!("averageValue {}", quantity(c.current));
                                (c, cur)
                            })
                    }
                }
                Target::Value(_) => Err("invalid resource metric source: a resource target is averageUtilization or averageValue".into()),
            }
        }
        MetricSpec::Pods { metric, target } => match target {
            Target::AverageValue(v) => {
                let values = calc::pod_metric_values(obs.pods, metric);
                if values.is_empty() {
                    Err(format!(
                        "unable to get metric {metric}: no metrics returned from custom metrics API"
                    ))
                } else {
                    calc::plain_metric_replicas(
                        spec_r, *v, &values, obs.pods, false, opts, tol, now_s,
                    )
                    .map(|c| {
                        let cur = format!("averageValue {}", quantity(c.current));
                        (c, cur)
                    })
                }
            }
            _ => Err("invalid pods metric source: the target must be an averageValue".into()),
        },
        MetricSpec::Object { metric, target } => match obs.object_metrics.get(metric) {
            None => Err(format!(
                "unable to get metric {metric}: no metrics returned from custom metrics API"
            )),
            Some(v) => value_or_average(milli(*v), target, obs, tol),
        },
        MetricSpec::External { metric, target } => match obs.external_metrics.get(metric) {
            None => Err(format!(
                "unable to get external metric {metric}: no metrics returned from external metrics API"
            )),
            Some(vs) if vs.is_empty() => Err(format!(
                "unable to get external metric {metric}: no metrics returned from external metrics API"
            )),
            Some(vs) => {
                let sum = vs.iter().fold(0i64, |a, v| a.saturating_add(milli(*v)));
                value_or_average(sum, target, obs, tol)
            }
        },
    };
    match result {
        Ok((c, cur)) => {
            ex.proposal = Some(c.replicas);
            ex.usage_ratio = Some(c.ratio);
            ex.current = Some(cur);
            ex.pods = c.groups;
        }
        Err(e) => ex.error = Some(e),
    }
    ex
}

fn value_or_average(
    usage: i64,
    target: &Target,
    obs: &Observed<'_>,
    tol: Tolerances,
) -> Result<(Calc, String), String> {
    match target {
        Target::Value(t) => {
            let ratio = usage as f64 / *t as f64;
            let r = calc::usage_ratio_replica_count(obs.spec_replicas, ratio, obs.pods, tol)?;
            Ok((
                Calc {
                    replicas: r,
                    current: usage,
                    raw_average: None,
                    ratio,
                    groups: None,
                },
                format!("value {}", quantity(usage)),
            ))
        }
        Target::AverageValue(t) => {
            let (r, avg, ratio) = calc::per_pod_replicas(obs.status_replicas, usage, *t, tol);
            Ok((
                Calc {
                    replicas: r,
                    current: avg,
                    raw_average: None,
                    ratio,
                    groups: None,
                },
                format!("averageValue {}", quantity(avg)),
            ))
        }
        Target::Utilization(_) => {
            Err("invalid metric source: averageUtilization applies to resource metrics only".into())
        }
    }
}

/// `computeReplicasForMetrics`: the maximum valid proposal; a failing metric
/// blocks scale-down (returns `Err`) but lets a scale-up through.
fn replicas_for_metrics(
    explanations: &[MetricExplanation],
    spec_replicas: i32,
) -> Result<i32, String> {
    let mut replicas = 0;
    let mut invalid = 0;
    let mut first_error = None;
    for e in explanations {
        match e.proposal {
            Some(p) if replicas == 0 || p > replicas => replicas = p,
            Some(_) => {}
            None => {
                invalid += 1;
                if first_error.is_none() {
                    first_error = e.error.clone();
                }
            }
        }
    }
    let err = first_error.unwrap_or_default();
    if invalid == explanations.len() {
        return Err(format!(
            "invalid metrics ({invalid} invalid out of {}), first error is: {err}",
            explanations.len()
        ));
    }
    if invalid > 0 && replicas < spec_replicas {
        return Err(format!(
            "invalid metrics ({invalid} invalid out of {}), first error is: {err}; a failing metric blocks scale-down",
            explanations.len()
        ));
    }
    Ok(replicas)
}

/// One reconcile of `spec` at `now_s`, updating the controller's memory.
pub fn reconcile(
    spec: &HpaSpec,
    obs: &Observed<'_>,
    history: &mut History,
    opts: &ControllerOptions,
    now_s: f64,
) -> Explanation {
    let current = obs.spec_replicas;
    // recordInitialRecommendation
    let recs = history
        .recommendations
        .get_or_insert_with(|| vec![(current, now_s)]);
    let mut ex = Explanation {
        hpa: spec.name.clone(),
        current_replicas: current,
        desired_replicas: current,
        rescale: false,
        metrics: Vec::new(),
        recommendation: None,
        stabilized_recommendation: None,
        stabilization: None,
        rate_limit: None,
        path: if spec.behavior.is_some() {
            "behavior"
        } else {
            "legacy (behavior: nil)"
        },
        reason: String::new(),
    };
    let (min, max) = (spec.min_replicas, spec.max_replicas);
    if current == 0 && min != 0 {
        ex.desired_replicas = 0;
        ex.reason =
            "ScalingDisabled: scaling is disabled since the replica count of the target is zero"
                .into();
        return ex;
    }
    if current > max {
        ex.desired_replicas = max;
        ex.reason = format!(
            "current replicas {current} above maxReplicas {max}: set to the maximum without reading metrics"
        );
    } else if current < min {
        ex.desired_replicas = min;
        ex.reason = format!(
            "current replicas {current} below minReplicas {min}: set to the minimum without reading metrics"
        );
    } else {
        let tol = tolerances(spec, opts);
        ex.metrics = spec
            .metrics
            .iter()
            .map(|m| metric_proposal(m, obs, opts, tol, now_s))
            .collect();
        let proposal = match replicas_for_metrics(&ex.metrics, current) {
            Ok(p) => p,
            Err(e) => {
                ex.reason = format!("no change: {e}");
                return ex;
            }
        };
        ex.recommendation = Some(proposal);
        let which = ex
            .metrics
            .iter()
            .find(|m| m.proposal == Some(proposal))
            .map(|m| {
                format!(
                    "{} ({} against {}{})",
                    m.metric,
                    m.current.as_deref().unwrap_or("?"),
                    m.target,
                    rebalancing_note(m)
                )
            })
            .unwrap_or_default();
        let (desired, stab_note, limit) = match &spec.behavior {
            None => {
                let stabilized =
                    stabilize_legacy(recs, proposal, opts.downscale_stabilization_s, now_s);
                let note = (stabilized != proposal).then(|| {
                    format!("ScaleDownStabilized: highest recommendation in the last {} s is {stabilized}", opts.downscale_stabilization_s)
                });
                ex.stabilized_recommendation = Some(stabilized);
                let (d, rl) = legacy_rules(stabilized, current, min, max, opts);
                (d, note, rl)
            }
            Some(b) => {
                let up = b.scale_up_rules();
                let down = b.scale_down_rules(opts.downscale_stabilization_s as i32);
                let stabilized = stabilize_behavior(
                    recs,
                    proposal,
                    current,
                    f64::from(up.stabilization_window_s),
                    f64::from(down.stabilization_window_s),
                    now_s,
                );
                let note = (stabilized != proposal).then(|| {
                    if proposal >= current {
                        format!("ScaleUpStabilized: lowest recommendation in the last {} s allows {stabilized}", up.stabilization_window_s)
                    } else {
                        format!("ScaleDownStabilized: highest recommendation in the last {} s holds {stabilized}", down.stabilization_window_s)
                    }
                });
                ex.stabilized_recommendation = Some(stabilized);
                let (d, rl) =
                    behavior_rate(stabilized, current, min, max, history, &up, &down, now_s);
                (d, note, rl)
            }
        };
        ex.desired_replicas = desired;
        ex.stabilization = stab_note.clone();
        let mut reason = format!("{which} proposes {proposal}");
        if let Some(n) = &stab_note {
            reason.push_str(&format!("; {n}"));
        }
        if limit.applied {
            reason.push_str(&format!("; limited to {desired} ({})", limit.condition));
        }
        ex.rate_limit = Some(limit);
        ex.reason = reason;
    }
    ex.rescale = ex.desired_replicas != current;
    if ex.rescale
        && let Some(b) = &spec.behavior
    {
        let up = b.scale_up_rules();
        let down = b.scale_down_rules(opts.downscale_stabilization_s as i32);
        store_event(history, &up, &down, current, ex.desired_replicas, now_s);
    }
    if !ex.rescale && ex.reason.is_empty() {
        ex.reason = "no change".into();
    }
    ex
}

/// `meshsim hpa explain`: one reconcile of a snapshot (now = 0).
pub fn explain(spec: &HpaSpec, snap: &Snapshot) -> Explanation {
    let mut history = History {
        recommendations: snap
            .recommendations
            .as_ref()
            .map(|rs| rs.iter().map(|r| (r.replicas, -r.age_s)).collect()),
        scale_up_events: snap
            .scale_up_events
            .iter()
            .map(|e| TimedEvent {
                replica_change: e.replica_change,
                t_s: -e.age_s,
                outdated: false,
            })
            .collect(),
        scale_down_events: snap
            .scale_down_events
            .iter()
            .map(|e| TimedEvent {
                replica_change: e.replica_change,
                t_s: -e.age_s,
                outdated: false,
            })
            .collect(),
    };
    let obs = Observed {
        spec_replicas: snap.spec_replicas,
        status_replicas: snap.status_replicas(),
        pods: &snap.pods,
        object_metrics: &snap.object_metrics,
        external_metrics: &snap.external_metrics,
        failing_metrics: &snap.failing_metrics,
    };
    reconcile(spec, &obs, &mut history, &snap.controller, 0.0)
}
