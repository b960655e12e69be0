//! The replica calculator (`replica_calculator.go`): one proposal per metric.
//! Integer arithmetic where Kubernetes uses it (utilisation is a truncated
//! integer percent, per-pod averages are truncated milli-values).

use super::spec::{ControllerOptions, ResourceName};
use super::state::{Phase, Pod};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Tolerance per direction: `(1 − down) ≤ ratio ≤ (1 + up)`, inclusive; NaN is not within.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    pub up: f64,
    pub down: f64,
}

impl Tolerances {
    pub fn is_within(&self, ratio: f64) -> bool {
        (1.0 - self.down) <= ratio && ratio <= (1.0 + self.up)
    }
}

/// A pod's value of the metric being evaluated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PodMetric {
    pub value: i64,
    pub timestamp_s: f64,
    pub window_s: f64,
}

/// `groupPods`: each pod in exactly one bucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PodGroups {
    pub ready_count: i64,
    pub unready: BTreeSet<String>,
    pub missing: BTreeSet<String>,
    pub ignored: BTreeSet<String>,
}

pub fn group_pods(
    pods: &[Pod],
    metrics: &BTreeMap<String, PodMetric>,
    cpu: bool,
    opts: &ControllerOptions,
    now_s: f64,
) -> PodGroups {
    let mut g = PodGroups::default();
    for pod in pods {
        if pod.deleted || matches!(pod.phase, Phase::Failed | Phase::Succeeded) {
            g.ignored.insert(pod.name.clone());
            continue;
        }
        if pod.phase == Phase::Pending {
            g.unready.insert(pod.name.clone());
            continue;
        }
        let Some(metric) = metrics.get(&pod.name) else {
            g.missing.insert(pod.name.clone());
            continue;
        };
        if cpu {
            let unready = match (pod.ready, pod.start_time_s) {
                (None, _) | (_, None) => true,
                (Some(ready), Some(start)) => {
                    let transition = pod.ready_transition_time_s.unwrap_or(start);
                    if start + opts.cpu_initialization_period_s > now_s {
                        // Still initialising: unready, or no full metric window since the transition.
                        !ready || metric.timestamp_s < transition + metric.window_s
                    } else {
                        // Never been ready (strict: at equality the pod counts as ready).
                        !ready && start + opts.initial_readiness_delay_s > transition
                    }
                }
            };
            if unready {
                g.unready.insert(pod.name.clone());
                continue;
            }
        }
        g.ready_count += 1;
    }
    g
}

/// A proposal and what it was computed from.
#[derive(Clone, Debug, PartialEq)]
pub struct Calc {
    pub replicas: i32,
    /// Utilisation percent (Utilization) or milli-value (other targets), pre-rebalancing.
    pub current: i64,
    /// ⌊Σusage / n⌋ for resource utilisation (milli).
    pub raw_average: Option<i64>,
    pub ratio: f64,
    pub groups: Option<PodGroups>,
}

pub fn ceil_i32(x: f64) -> i32 {
    if x.is_nan() {
        return 0;
    }
    x.ceil().clamp(i32::MIN as f64, i32::MAX as f64) as i32
}

/// Per-pod usage of a resource (milli-cores; memory in milli-bytes). The pod
/// is dropped if it has no (matching) containers or any lacks the resource.
pub fn resource_usage(pod: &Pod, res: ResourceName, container: Option<&str>) -> Option<i64> {
    let cs: Vec<_> = pod
        .containers
        .iter()
        .filter(|c| container.is_none_or(|n| c.name == n))
        .collect();
    if cs.is_empty() {
        return None;
    }
    let mut sum = 0i64;
    for c in cs {
        let v = match res {
            ResourceName::Cpu => c.cpu_usage_milli?,
            ResourceName::Memory => c.memory_usage_bytes?.saturating_mul(1000),
        };
        sum = sum.saturating_add(v);
    }
    Some(sum)
}

/// Per-pod request (`calculateRequests`), for every listed pod; a missing request is an error.
pub fn resource_requests(
    pods: &[Pod],
    res: ResourceName,
    container: Option<&str>,
) -> Result<BTreeMap<String, i64>, String> {
    let mut out = BTreeMap::new();
    for pod in pods {
        let mut sum = 0i64;
        let mut found = false;
        for c in pod
            .containers
            .iter()
            .filter(|c| container.is_none_or(|n| c.name == n))
        {
            found = true;
            let v = match res {
                ResourceName::Cpu => c.cpu_request_milli,
                ResourceName::Memory => c.memory_request_bytes.map(|b| b.saturating_mul(1000)),
            };
            match v {
                Some(v) => sum = sum.saturating_add(v),
                None => {
                    return Err(format!(
                        "missing request for {} in container {} of Pod {}",
                        res.as_str(),
                        c.name,
                        pod.name
                    ));
                }
            }
        }
        if !found {
            return Err(format!(
                "missing request for {} in Pod {} (no container{})",
                res.as_str(),
                pod.name,
                container.map(|n| format!(" named {n}")).unwrap_or_default()
            ));
        }
        out.insert(pod.name.clone(), sum);
    }
    Ok(out)
}

/// `GetResourceUtilizationRatio`: (ratio from the truncated percent, percent, raw average).
fn utilization_ratio(
    metrics: &BTreeMap<String, i64>,
    requests: &BTreeMap<String, i64>,
    target: i32,
) -> Result<(f64, i64, i64), String> {
    let (mut total, mut req_total, mut n) = (0i64, 0i64, 0i64);
    for (pod, v) in metrics {
        let Some(r) = requests.get(pod) else { continue };
        total = total.saturating_add(*v);
        req_total = req_total.saturating_add(*r);
        n += 1;
    }
    if req_total == 0 {
        return Err("no metrics returned matched known pods".into());
    }
    let util = ((i128::from(total) * 100) / i128::from(req_total)) as i64;
    let util = util.clamp(i64::from(i32::MIN), i64::from(i32::MAX));
    Ok((util as f64 / f64::from(target), util, total / n))
}

fn metrics_of(pods: &[Pod], f: impl Fn(&Pod) -> Option<i64>) -> BTreeMap<String, PodMetric> {
    pods.iter()
        .filter_map(|p| {
            f(p).map(|v| {
                (
                    p.name.clone(),
                    PodMetric {
                        value: v,
                        timestamp_s: p.metrics_timestamp_s,
                        window_s: p.metrics_window_s,
                    },
                )
            })
        })
        .collect()
}

/// `GetResourceReplicas`: Resource/ContainerResource with an `averageUtilization` target.
#[allow(clippy::too_many_arguments)]
pub fn resource_utilization_replicas(
    current: i32,
    target: i32,
    res: ResourceName,
    container: Option<&str>,
    pods: &[Pod],
    opts: &ControllerOptions,
    tol: Tolerances,
    now_s: f64,
) -> Result<Calc, String> {
    let all = metrics_of(pods, |p| resource_usage(p, res, container));
    if all.is_empty() {
        return Err(format!(
            "unable to get metrics for resource {}: no metrics returned from resource metrics API",
            res.as_str()
        ));
    }
    if pods.is_empty() {
        return Err("no pods returned by selector while calculating replica count".into());
    }
    let groups = group_pods(pods, &all, res == ResourceName::Cpu, opts, now_s);
    let mut m: BTreeMap<String, i64> = all
        .iter()
        .filter(|(k, _)| !groups.ignored.contains(*k) && !groups.unready.contains(*k))
        .map(|(k, v)| (k.clone(), v.value))
        .collect();
    if m.is_empty() {
        return Err("did not receive metrics for targeted pods (pods might be unready)".into());
    }
    let requests = resource_requests(pods, res, container)?;
    let (ratio, util, raw) = utilization_ratio(&m, &requests, target)?;
    let done = |replicas: i32, groups: PodGroups| Calc {
        replicas,
        current: util,
        raw_average: Some(raw),
        ratio,
        groups: Some(groups),
    };
    let r = rebalanced_replicas(
        current,
        ratio,
        &groups,
        &mut m,
        // Recent master: a missing pod counts at max(100 %, target) of its request.
        |p| {
            requests
                .get(p)
                .copied()
                .unwrap_or(0)
                .saturating_mul(i64::from(target.max(100)))
                / 100
        },
        |m| utilization_ratio(m, &requests, target).map(|r| r.0),
        tol,
    )?;
    Ok(done(r, groups))
}

/// `calcPlainMetricReplicas`: Pods metrics and Resource `averageValue` targets.
/// The CPU readiness rules apply only when `cpu` is set.
#[allow(clippy::too_many_arguments)]
pub fn plain_metric_replicas(
    current: i32,
    target: i64,
    all: &BTreeMap<String, PodMetric>,
    pods: &[Pod],
    cpu: bool,
    opts: &ControllerOptions,
    tol: Tolerances,
    now_s: f64,
) -> Result<Calc, String> {
    if pods.is_empty() {
        return Err("no pods returned by selector while calculating replica count".into());
    }
    let groups = group_pods(pods, all, cpu, opts, now_s);
    let mut m: BTreeMap<String, i64> = all
        .iter()
        .filter(|(k, _)| !groups.ignored.contains(*k) && !groups.unready.contains(*k))
        .map(|(k, v)| (k.clone(), v.value))
        .collect();
    if m.is_empty() {
        return Err("did not receive metrics for targeted pods (pods might be unready)".into());
    }
    let usage_ratio = |m: &BTreeMap<String, i64>| {
        let total: i128 = m.values().map(|v| i128::from(*v)).sum();
        let usage = (total / m.len() as i128) as i64;
        (usage as f64 / target as f64, usage)
    };
    let (ratio, usage) = usage_ratio(&m);
    let done = |replicas: i32, groups: PodGroups| Calc {
        replicas,
        current: usage,
        raw_average: None,
        ratio,
        groups: Some(groups),
    };
    let r = rebalanced_replicas(
        current,
        ratio,
        &groups,
        &mut m,
        |_| target,
        |m| Ok(usage_ratio(m).0),
        tol,
    )?;
    Ok(done(r, groups))
}

/// The skeleton `GetResourceReplicas` and `calcPlainMetricReplicas` share:
/// without unready pods on a scale-up and without missing pods, scale by the
/// ready pods (or keep `current` within tolerance). Otherwise fill missing pods
/// (`low_fill` when scaling down, 0 when scaling up) and, on a scale-up,
/// unready pods with 0; recompute the ratio; keep `current` if it is now within
/// tolerance, if the direction flipped, or if the new count moves the wrong way.
#[allow(clippy::too_many_arguments)]
fn rebalanced_replicas(
    current: i32,
    ratio: f64,
    groups: &PodGroups,
    m: &mut BTreeMap<String, i64>,
    low_fill: impl Fn(&str) -> i64,
    recompute: impl Fn(&BTreeMap<String, i64>) -> Result<f64, String>,
    tol: Tolerances,
) -> Result<i32, String> {
    let scale_up_with_unready = !groups.unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && groups.missing.is_empty() {
        return Ok(if tol.is_within(ratio) {
            current
        } else {
            ceil_i32(ratio * groups.ready_count as f64)
        });
    }
    for p in &groups.missing {
        if ratio < 1.0 {
            m.insert(p.clone(), low_fill(p));
        } else if ratio > 1.0 {
            m.insert(p.clone(), 0);
        }
    }
    if scale_up_with_unready {
        for p in &groups.unready {
            m.insert(p.clone(), 0);
        }
    }
    let new_ratio = recompute(m)?;
    if tol.is_within(new_ratio)
        || (ratio < 1.0 && new_ratio > 1.0)
        || (ratio > 1.0 && new_ratio < 1.0)
    {
        return Ok(current);
    }
    let new = ceil_i32(new_ratio * m.len() as f64);
    if (new_ratio < 1.0 && new > current) || (new_ratio > 1.0 && new < current) {
        return Ok(current);
    }
    Ok(new)
}

/// Pods metric values (milli) by pod for a custom metric name.
pub fn pod_metric_values(pods: &[Pod], name: &str) -> BTreeMap<String, PodMetric> {
    metrics_of(pods, |p| {
        p.pod_metrics.get(name).map(|v| super::state::milli(*v))
    })
}

/// Resource usage by pod, for `averageValue` resource targets.
pub fn resource_values(
    pods: &[Pod],
    res: ResourceName,
    container: Option<&str>,
) -> BTreeMap<String, PodMetric> {
    metrics_of(pods, |p| resource_usage(p, res, container))
}

/// `getUsageRatioReplicaCount`: Object and External `value` targets.
pub fn usage_ratio_replica_count(
    current: i32,
    ratio: f64,
    pods: &[Pod],
    tol: Tolerances,
) -> Result<i32, String> {
    if current != 0 {
        if tol.is_within(ratio) {
            return Ok(current);
        }
        if pods.is_empty() {
            return Err("unable to calculate ready pods: no pods returned by selector while calculating replica count".into());
        }
        let ready = pods
            .iter()
            .filter(|p| p.phase == Phase::Running && p.ready == Some(true))
            .count();
        Ok(ceil_i32(ratio * ready as f64))
    } else {
        // Scale from zero: no tolerance.
        Ok(ceil_i32(ratio))
    }
}

/// `Get{Object,External}PerPodMetricReplicas`: `averageValue` targets on
/// Object and External metrics. Returns (replicas, reported average).
pub fn per_pod_replicas(
    status_replicas: i32,
    usage: i64,
    target: i64,
    tol: Tolerances,
) -> (i32, i64, f64) {
    let mut replicas = status_replicas;
    let ratio = usage as f64 / (target as f64 * f64::from(status_replicas));
    if !tol.is_within(ratio) {
        replicas = ceil_i32(usage as f64 / target as f64);
    }
    let avg = if status_replicas == 0 {
        0
    } else {
        (usage as f64 / f64::from(status_replicas)).ceil() as i64
    };
    (replicas, avg, ratio)
}
