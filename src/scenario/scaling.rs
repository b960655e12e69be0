//! `[scaling]`: bounds, one autoscaler, scheduled actions, target tracking,
//! KEDA queue scaling.

use super::{MetricSource, Problems, ScenarioFile, non_negative, positive};
use crate::model::autoscaler::hpa::manifest::behavior_from;
use crate::model::autoscaler::hpa::policy::HpaPolicySpec;
use crate::model::autoscaler::hpa::spec::{Behavior, HpaSpec, MetricSpec, ResourceName, Target};
use crate::model::autoscaler::keda::{
    CronTrigger, KedaSpec, KedaTrigger, TriggerConfig, TriggerKind, TriggerValue,
};
use crate::model::autoscaler::schedule::{ScheduleSpec, parse_cron};
use crate::model::autoscaler::target_tracking::{TargetTrackingSpec, cooldown_us};
use crate::units::US_PER_SEC;
use std::collections::BTreeMap;

/// Checks `[scaling]` and parses its scheduled actions.
pub(super) fn check(f: &ScenarioFile, p: &mut Problems) -> Vec<ScheduleSpec> {
    let sc = &f.scaling;
    let policies = [
        sc.target_tracking.is_some(),
        sc.hpa.is_some(),
        sc.queue.is_some(),
    ];
    if policies.iter().filter(|p| **p).count() > 1 {
        p.bad(
            "scaling",
            "more than one autoscaler: choose one of scaling.target_tracking, scaling.hpa, scaling.queue".into(),
            None,
        );
    }
    if sc.min > sc.max {
        p.bad(
            "scaling.min",
            format!("min ({}) is greater than max ({})", sc.min, sc.max),
            Some("min must be <= max".into()),
        );
    }
    if sc.max == 0 {
        p.bad("scaling.max", "must be at least 1".into(), None);
    } else if sc.max > super::MAX_REPLICAS {
        p.bad(
            "scaling.max",
            format!(
                "{} is out of range: at most {} replicas (an ECS service runs at most 5,000 tasks)",
                sc.max,
                super::MAX_REPLICAS
            ),
            None,
        );
    }
    let schedules = schedules(f, p);
    if let Some(tt) = &sc.target_tracking {
        target_tracking(tt, p);
    }
    schedules
}

/// The scheduled actions with their cron expressions parsed.
fn schedules(f: &ScenarioFile, p: &mut Problems) -> Vec<ScheduleSpec> {
    let sc = &f.scaling;
    let mut schedules = Vec::new();
    for (i, sch) in sc.schedule.iter().enumerate() {
        match parse_cron(&sch.cron) {
            Ok(cron) => schedules.push(ScheduleSpec {
                name: sch.name.clone().unwrap_or_else(|| format!("schedule[{i}]")),
                cron,
                min: sch.min,
                max: sch.max,
                desired: sch.desired,
            }),
            Err(m) => p.bad(&format!("scaling.schedule[{i}].cron"), m, None),
        }
        if sch.min.is_none() && sch.max.is_none() && sch.desired.is_none() {
            p.bad(
                &format!("scaling.schedule[{i}]"),
                "a scheduled action needs at least one of min, max, desired".into(),
                None,
            );
        }
        if let (Some(lo), Some(hi)) = (sch.min, sch.max)
            && lo > hi
        {
            p.bad(
                &format!("scaling.schedule[{i}].min"),
                format!("min ({lo}) is greater than max ({hi})"),
                None,
            );
        }
        if let Some(d) = sch.desired
            && (sch.min.is_some_and(|m| d < m) || sch.max.is_some_and(|m| d > m))
        {
            p.bad(
                &format!("scaling.schedule[{i}].desired"),
                format!("desired ({d}) is outside min..max"),
                None,
            );
        }
    }
    schedules
}

fn target_tracking(tt: &super::TargetTracking, p: &mut Problems) {
    if !positive(tt.target) {
        p.bad(
            "scaling.target_tracking.target",
            format!("{} is not a target > 0", tt.target),
            None,
        );
    }
    if matches!(tt.metric, MetricSource::Cpu | MetricSource::Memory) && tt.target > 100.0 {
        p.bad(
            "scaling.target_tracking.target",
            format!("{} % is more than 100 %", tt.target),
            None,
        );
    }
    for (k, v) in [
        (
            "scaling.target_tracking.scale_out_cooldown_s",
            tt.scale_out_cooldown_s,
        ),
        (
            "scaling.target_tracking.scale_in_cooldown_s",
            tt.scale_in_cooldown_s,
        ),
    ] {
        if !non_negative(v) {
            p.bad(k, format!("{v} is not a duration >= 0 s"), None);
        }
    }
}

/// Checks `[scaling.queue]` and resolves it into KEDA's HPA: one metric per
/// trigger (`controllers/keda/hpa.go`) — External for value and cron
/// triggers, Resource for `cpu`/`memory` — between max(min, 1) and
/// max(max, 1) replicas, with the ScaledObject's behavior (`so_behavior`) or
/// the scenario's. A lone trigger's External metric is named `keda-trigger`
/// (the one-trigger shorthand `queue_length` is one), several `s{i}-{type}`.
pub(super) fn keda(
    f: &ScenarioFile,
    name: &str,
    so_behavior: Option<Behavior>,
    p: &mut Problems,
) -> Option<KedaSpec> {
    let (sc, s) = (&f.scaling, &f.service);
    let q = sc.queue.as_ref()?;
    check_queue(q, p);
    if let Some(idle) = q.idle_replica_count
        && idle >= sc.min
    {
        p.bad(
            "scaling.queue.idle_replica_count",
            format!(
                "{idle} must be less than scaling.min {} (KEDA: idleReplicaCount < minReplicaCount; the replicas go to it while every trigger is inactive)",
                sc.min
            ),
            None,
        );
    }
    let configs: Vec<TriggerConfig> = match &q.triggers {
        None => {
            let queue_length = q.queue_length.filter(|l| positive(*l))?;
            vec![TriggerConfig {
                kind: "queue".into(),
                metric: Some(q.metric),
                value: Some(TriggerValue::Number(queue_length)),
                activation_value: Some(q.activation_queue_length),
                ..TriggerConfig::default()
            }]
        }
        Some(toml::Value::Array(items)) => {
            if q.queue_length.is_some() {
                p.bad(
                    "scaling.queue.queue_length",
                    "give either the one-trigger shorthand (queue_length, activation_queue_length, metric) or scaling.queue.triggers, not both".into(),
                    None,
                );
                return None;
            }
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item.clone().try_into::<TriggerConfig>() {
                    Ok(t) => out.push(t),
                    Err(e) => {
                        p.bad(
                            &format!("scaling.queue.triggers[{i}]"),
                            e.message().to_string(),
                            Some("a trigger has type, name, metric, metric_type, value, activation_value (cron: timezone, start, end, desired_replicas)".into()),
                        );
                        return None;
                    }
                }
            }
            if out.is_empty() {
                p.bad(
                    "scaling.queue.triggers",
                    "a ScaledObject needs at least one trigger".into(),
                    None,
                );
                return None;
            }
            out
        }
        Some(_) => {
            p.bad(
                "scaling.queue.triggers",
                "changes by index (triggers.0.value) need a `manifest` whose triggers they change; write the triggers as a list ([[scaling.queue.triggers]])".into(),
                None,
            );
            return None;
        }
    };
    // One trigger keeps the name `keda-trigger`; several are told apart as
    // KEDA names their External metrics, by index and type (`s1-cron`).
    let single = configs.len() == 1;
    let cpu_request_milli = super::k8s::pod_cpu_request_milli(&f.capacity);
    let mut metrics = Vec::new();
    let mut triggers = Vec::new();
    let mut sources = BTreeMap::new();
    for (i, t) in configs.iter().enumerate() {
        let key = format!("scaling.queue.triggers[{i}]");
        let label = if single {
            "keda-trigger".to_string()
        } else {
            format!("s{i}-{}", t.kind)
        };
        let mapped = [
            t.name.as_deref(),
            Some(label.as_str()),
            Some(t.kind.as_str()),
        ]
        .into_iter()
        .flatten()
        .find_map(|k| q.metric_sources.get(k).copied());
        let (trigger, metric) = trigger(t, mapped, &key, label, p)?;
        if let TriggerKind::Measured(src) = trigger.kind {
            sources.insert(trigger.label.clone(), src);
        }
        triggers.push(trigger);
        metrics.push(metric);
    }
    if sc.min == 0 && triggers.iter().all(|t| t.kind == TriggerKind::Resource) {
        // KEDA's admission webhook (`verifyCPUMemoryScalers`).
        p.bad(
            "scaling.min",
            "a ScaledObject with only cpu/memory triggers cannot scale to zero (KEDA refuses minReplicaCount 0 for it): raise scaling.min to 1 or add a trigger that can activate it".into(),
            None,
        );
        return None;
    }
    let behavior = match (so_behavior, &q.behavior) {
        (Some(b), _) => Some(b),
        (None, None) => None,
        (None, Some(t)) => match behavior_from(t.clone(), "behavior") {
            Ok(b) => Some(b),
            Err(e) => {
                p.bad("scaling.queue.behavior", e, None);
                return None;
            }
        },
    };
    let spec = HpaSpec {
        name: format!("keda-hpa-{name}"),
        min_replicas: i32::try_from(sc.min.max(1)).unwrap_or(i32::MAX),
        max_replicas: i32::try_from(sc.max.max(1)).unwrap_or(i32::MAX),
        metrics,
        behavior,
    };
    Some(KedaSpec {
        hpa: HpaPolicySpec {
            spec,
            controller: q.controller.clone(),
            sources,
            cpu_request_milli,
            memory_request_bytes: (s.memory_request_mb * 1_048_576.0).round() as i64,
            metrics_window_s: q.metrics_window_s.max(1),
        },
        triggers,
        min_replica_count: sc.min,
        idle_replica_count: q.idle_replica_count,
        polling_us: (q.polling_interval_s.max(1.0) * US_PER_SEC as f64) as u64,
        cooldown_us: (q.cooldown_period_s.max(0.0) * US_PER_SEC as f64) as u64,
        initial_cooldown_us: (q.initial_cooldown_period_s.max(0.0) * US_PER_SEC as f64) as u64,
    })
}

/// One trigger as KEDA builds it: what it reads and its metric in the HPA
/// (`pkg/scalers/scaler.go` `GetMetricTargetType`/`GetMetricTarget`,
/// `cron_scaler.go`, `cpu_memory_scaler.go`).
fn trigger(
    t: &TriggerConfig,
    mapped: Option<MetricSource>,
    key: &str,
    label: String,
    p: &mut Problems,
) -> Option<(KedaTrigger, MetricSpec)> {
    let kind = t.kind.as_str();
    let metric_type = t.metric_type.as_deref();
    let activation = t.activation_value.unwrap_or(0.0);
    if !non_negative(activation) {
        p.bad(
            &format!("{key}.activation_value"),
            format!("{activation} is not >= 0"),
            None,
        );
        return None;
    }
    let external_target = |p: &mut Problems, milli: i64| -> Option<Target> {
        match metric_type {
            None | Some("AverageValue") => Some(Target::AverageValue(milli)),
            Some("Value") => Some(Target::Value(milli)),
            Some("Utilization") => {
                p.bad(
                    &format!("{key}.metric_type"),
                    format!("Utilization is for cpu and memory triggers only; the {kind} trigger is an External metric (AverageValue or Value), as KEDA refuses it"),
                    None,
                );
                None
            }
            Some(other) => {
                p.bad(
                    &format!("{key}.metric_type"),
                    format!("`{other}` is not a metric type (AverageValue, Value)"),
                    None,
                );
                None
            }
        }
    };
    let value_milli = |p: &mut Problems| -> Option<i64> {
        match &t.value {
            None => {
                p.bad(
                    &format!("{key}.value"),
                    format!("the {kind} trigger needs a target value"),
                    None,
                );
                None
            }
            Some(v) => match v.milli() {
                Ok(m) if m > 0 => Some(m),
                _ => {
                    p.bad(
                        &format!("{key}.value"),
                        format!("{v:?} is not a target of at least 0.001"),
                        None,
                    );
                    None
                }
            },
        }
    };
    match kind {
        "cron" => {
            let (Some(tz), Some(start), Some(end)) = (&t.timezone, &t.start, &t.end) else {
                p.bad(
                    key,
                    "a cron trigger needs timezone, start and end (and desired_replicas)".into(),
                    None,
                );
                return None;
            };
            if jiff::tz::TimeZone::get(tz).is_err() {
                p.bad(
                    &format!("{key}.timezone"),
                    format!("`{tz}` is not an IANA time zone (e.g. Europe/Paris)"),
                    None,
                );
                return None;
            }
            for (k, c) in [("start", start), ("end", end)] {
                if let Err(m) = parse_cron(c) {
                    p.bad(&format!("{key}.{k}"), m, None);
                    return None;
                }
            }
            if start == end {
                p.bad(
                    &format!("{key}.end"),
                    "start and end are the same time (KEDA refuses it)".into(),
                    None,
                );
                return None;
            }
            let desired = match t.desired_replicas {
                Some(d) if d > 0 => d,
                _ => {
                    p.bad(
                        &format!("{key}.desired_replicas"),
                        "a cron trigger needs desired_replicas of at least 1".into(),
                        None,
                    );
                    return None;
                }
            };
            if t.value.is_some() || t.metric.is_some() {
                p.bad(
                    key,
                    "a cron trigger has no value or metric: its value is desired_replicas inside the window against a target of 1".into(),
                    None,
                );
                return None;
            }
            // The cron scaler's target is 1 replica (`specReplicas`).
            let target = external_target(p, 1000)?;
            Some((
                KedaTrigger {
                    label: label.clone(),
                    kind: TriggerKind::Cron(CronTrigger {
                        start: start.clone(),
                        end: end.clone(),
                        timezone: tz.clone(),
                        desired,
                        windows: Vec::new(),
                    }),
                    activation,
                },
                MetricSpec::External {
                    metric: label,
                    target,
                },
            ))
        }
        "cpu" | "memory" => {
            let resource = if kind == "cpu" {
                ResourceName::Cpu
            } else {
                ResourceName::Memory
            };
            let target = match metric_type {
                Some("Utilization") => {
                    let pct = match &t.value {
                        Some(TriggerValue::Number(n)) => Some(*n),
                        Some(TriggerValue::Text(s)) => s.trim().parse::<f64>().ok(),
                        None => None,
                    };
                    match pct {
                        Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= f64::from(i32::MAX) => {
                            Target::Utilization(n as i32)
                        }
                        _ => {
                            p.bad(
                                &format!("{key}.value"),
                                format!("the {kind} trigger's Utilization target is a whole percentage >= 1 (e.g. \"60\")"),
                                None,
                            );
                            return None;
                        }
                    }
                }
                Some("AverageValue") => Target::AverageValue(value_milli(p)?),
                other => {
                    p.bad(
                        &format!("{key}.metric_type"),
                        format!(
                            "{}: a {kind} trigger needs metric_type Utilization or AverageValue (KEDA's cpu/memory scaler refuses anything else)",
                            other.map_or("missing".to_string(), |o| format!("`{o}`"))
                        ),
                        None,
                    );
                    return None;
                }
            };
            if t.activation_value.is_some() {
                p.bad(
                    &format!("{key}.activation_value"),
                    format!("a {kind} trigger has no activation: KEDA leaves cpu/memory out of the activity check"),
                    None,
                );
                return None;
            }
            Some((
                KedaTrigger {
                    label: resource.as_str().to_string(),
                    kind: TriggerKind::Resource,
                    activation,
                },
                MetricSpec::Resource { resource, target },
            ))
        }
        _ => {
            let queue_like = crate::model::autoscaler::keda::QUEUE_SCALERS
                .iter()
                .any(|q| q.0 == kind);
            let Some(src) = t
                .metric
                .or(mapped)
                .or(queue_like.then_some(MetricSource::QueueDepth))
            else {
                p.bad(
                    &format!("{key}.metric"),
                    format!(
                        "the {kind} trigger reads a value meshsim does not simulate; say which meshsim metric stands for it \
                         (scaling.queue.metric_sources.{label} = one of cpu, memory, queue_depth, in_flight, rps — or by the \
                         trigger's name or type — or scaling.queue.triggers.N.metric), or remove the trigger. \
                         Queue-like scalers ({}) read queue_depth without it",
                        crate::model::autoscaler::keda::QUEUE_SCALERS
                            .iter()
                            .map(|q| q.0)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None,
                );
                return None;
            };
            let milli = value_milli(p)?;
            let target = external_target(p, milli)?;
            Some((
                KedaTrigger {
                    label: label.clone(),
                    kind: TriggerKind::Measured(src),
                    activation,
                },
                MetricSpec::External {
                    metric: label,
                    target,
                },
            ))
        }
    }
}

/// The queue's own settings: length, activation, polling, cooldown.
fn check_queue(q: &super::QueueConfig, p: &mut Problems) {
    match q.queue_length {
        None if q.triggers.is_none() => p.bad(
            "scaling.queue.queue_length",
            "required (or give scaling.queue.triggers, or a KEDA ScaledObject `manifest`)".into(),
            None,
        ),
        Some(l) if !positive(l) => p.bad(
            "scaling.queue.queue_length",
            format!("{l} is not a queue length > 0"),
            None,
        ),
        _ => {}
    }
    if !non_negative(q.activation_queue_length) {
        p.bad(
            "scaling.queue.activation_queue_length",
            format!("{} is not >= 0", q.activation_queue_length),
            None,
        );
    }
    if !(q.polling_interval_s >= 1.0 && q.polling_interval_s.fract() == 0.0) {
        p.bad(
            "scaling.queue.polling_interval_s",
            format!(
                "{} is not a whole number of seconds >= 1",
                q.polling_interval_s
            ),
            None,
        );
    }
    for (k, v) in [
        ("scaling.queue.cooldown_period_s", q.cooldown_period_s),
        (
            "scaling.queue.initial_cooldown_period_s",
            q.initial_cooldown_period_s,
        ),
    ] {
        if !non_negative(v) {
            p.bad(k, format!("{v} is not a duration >= 0 s"), None);
        }
    }
}

/// `[scaling.target_tracking]` as the policy reads it (cooldowns in µs).
pub(super) fn target_tracking_spec(tt: &super::TargetTracking) -> TargetTrackingSpec {
    TargetTrackingSpec {
        metric: tt.metric,
        target: tt.target,
        scale_out_cooldown_us: cooldown_us(tt.scale_out_cooldown_s),
        scale_in_cooldown_us: cooldown_us(tt.scale_in_cooldown_s),
        disable_scale_in: tt.disable_scale_in,
    }
}
