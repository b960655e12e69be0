//! `[scaling]`: bounds, one autoscaler, scheduled actions, target tracking,
//! KEDA queue scaling.

use super::{MetricSource, Problems, ScenarioFile, non_negative, positive};
use crate::model::autoscaler::hpa::manifest::{behavior_from, parse_quantity};
use crate::model::autoscaler::hpa::policy::HpaPolicySpec;
use crate::model::autoscaler::hpa::spec::{Behavior, HpaSpec, MetricSpec, Target};
use crate::model::autoscaler::keda::KedaSpec;
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

/// Checks `[scaling.queue]` and resolves it into KEDA's HPA: one External
/// metric (`keda-trigger`) with an AverageValue target of the queue length
/// per replica, as KEDA's ScaledObject controller writes it, between
/// max(min, 1) and max(max, 1) replicas, with the ScaledObject's behavior
/// (`so_behavior`) or the scenario's.
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
    let queue_length = q.queue_length.filter(|l| positive(*l))?;
    let target = match parse_quantity(&format!("{queue_length}")) {
        Ok(milli) if milli > 0 => milli,
        _ => {
            p.bad(
                "scaling.queue.queue_length",
                format!("{queue_length} is not a queue length of at least 0.001"),
                None,
            );
            return None;
        }
    };
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
        metrics: vec![MetricSpec::External {
            metric: "keda-trigger".into(),
            target: Target::AverageValue(target),
        }],
        behavior,
    };
    Some(KedaSpec {
        hpa: HpaPolicySpec {
            spec,
            controller: q.controller.clone(),
            sources: BTreeMap::from([("keda-trigger".to_string(), q.metric)]),
            cpu_request_milli: 1000,
            memory_request_bytes: (s.memory_request_mb * 1_048_576.0).round() as i64,
            metrics_window_s: q.metrics_window_s.max(1),
        },
        source: q.metric,
        min_replica_count: sc.min,
        idle_replica_count: q.idle_replica_count,
        activation: q.activation_queue_length,
        polling_us: (q.polling_interval_s.max(1.0) * US_PER_SEC as f64) as u64,
        cooldown_us: (q.cooldown_period_s.max(0.0) * US_PER_SEC as f64) as u64,
    })
}

/// The queue's own settings: length, activation, polling, cooldown.
fn check_queue(q: &super::QueueConfig, p: &mut Problems) {
    match q.queue_length {
        None => p.bad(
            "scaling.queue.queue_length",
            "required (or give a KEDA ScaledObject `manifest`)".into(),
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
    if !non_negative(q.cooldown_period_s) {
        p.bad(
            "scaling.queue.cooldown_period_s",
            format!("{} is not a duration >= 0 s", q.cooldown_period_s),
            None,
        );
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
