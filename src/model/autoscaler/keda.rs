//! KEDA ScaledObject semantics (`reference/kubernetes-hpa.md` §9) on top of
//! the HPA, following kedacore/keda at commit 8b4f083 (2026-08):
//!
//! - KEDA creates an HPA (`controllers/keda/hpa.go`) with `minReplicas =
//!   max(minReplicaCount, 1)` and one metric per trigger, in trigger order:
//!   an External metric `s{index}-{type}` for every scaler that reads a value
//!   (queue-like scalers, cron, and any type mapped to a meshsim metric), with
//!   the trigger's `metricType` (`AverageValue` by default, or `Value`;
//!   `Utilization` is refused for External metrics as
//!   `pkg/scalers/scaler.go` `GetMetricTargetType` does); a Resource metric
//!   for `cpu`/`memory` (`pkg/scalers/cpu_memory_scaler.go`, `Utilization` or
//!   `AverageValue`). The HPA takes the largest proposal of its metrics.
//! - the operator polls every `polling_interval_s`
//!   (`pkg/scaling/scale_handler.go` `getScaledObjectState`): the object is
//!   active when any External trigger is active (a value strictly above its
//!   activation threshold; a cron trigger inside its window); `cpu`/`memory`
//!   triggers are skipped, and an object whose triggers are all `cpu`/`memory`
//!   is always active.
//! - the scale executor (`pkg/scaling/executor/scale_scaledobjects.go`):
//!   see [`KedaPolicy::decide`].
//! - the cron scaler (`pkg/scalers/cron_scaler.go` `GetMetricsAndActivity`):
//!   inside the window when the next `end` occurrence comes no later than the
//!   next `start` occurrence (both strictly after now), i.e. `[start, end)`;
//!   its value is `desiredReplicas` inside and 0 outside, against a target of 1.

use super::hpa::policy::{HpaPolicy, HpaPolicySpec, source_value};
use super::{Decision, Observation, Policy};
use crate::model::autoscaler::MetricSource;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one trigger of a ScaledObject reads.
#[derive(Clone, Debug, PartialEq)]
pub enum TriggerKind {
    /// A value meshsim measures: a queue-like scaler (its backlog), or a
    /// scaler type mapped to a meshsim metric. One External metric.
    Measured(MetricSource),
    /// KEDA's cron scaler. One External metric.
    Cron(CronTrigger),
    /// `cpu`/`memory`: a Resource metric of the HPA; no activity of its own.
    Resource,
}

/// A cron trigger: `desired` replicas inside `[start, end)` in `timezone`.
#[derive(Clone, Debug, PartialEq)]
pub struct CronTrigger {
    pub start: String,
    pub end: String,
    pub timezone: String,
    pub desired: u32,
    /// The spans of the run (µs from its start, `[from, to)`) inside the
    /// window; filled by [`KedaSpec::with_cron_windows`].
    pub windows: Vec<(u64, u64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KedaTrigger {
    /// The External metric's name in the HPA (`s0-rabbitmq`), or the
    /// resource (`cpu`) for a Resource trigger.
    pub label: String,
    pub kind: TriggerKind,
    /// Active when the value is strictly above this (`activation…`).
    pub activation: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KedaSpec {
    /// The HPA KEDA creates: one metric per trigger; its External metrics
    /// read `sources` (measured triggers) or the cron windows.
    pub hpa: HpaPolicySpec,
    pub triggers: Vec<KedaTrigger>,
    pub min_replica_count: u32,
    /// `idleReplicaCount`: with every trigger inactive for the cooldown, the
    /// replicas go to this (below `min_replica_count`), and back to
    /// max(min, 1) when a trigger is active.
    pub idle_replica_count: Option<u32>,
    pub polling_us: u64,
    pub cooldown_us: u64,
    /// `initialCooldownPeriod`: no scale to zero (or idle) before this much
    /// time from the ScaledObject's creation (the start of the run) while no
    /// trigger has been active.
    pub initial_cooldown_us: u64,
}

impl KedaSpec {
    /// The cron triggers' windows over a run starting at `start_epoch_us`
    /// (µs since the Unix epoch) and lasting `end_us`.
    pub fn with_cron_windows(mut self, start_epoch_us: i64, end_us: u64) -> KedaSpec {
        for t in &mut self.triggers {
            if let TriggerKind::Cron(c) = &mut t.kind {
                c.windows = cron_windows(c, start_epoch_us, end_us).unwrap_or_default();
            }
        }
        self
    }
}

/// The `[from, to)` spans (µs from the run's start, up to `end_us`) where a
/// cron trigger is inside its window, by the cron scaler's rule: at time t
/// it is inside when the next `end` occurrence strictly after t comes no
/// later than the next `start` occurrence strictly after t.
pub fn cron_windows(
    c: &CronTrigger,
    start_epoch_us: i64,
    end_us: u64,
) -> Result<Vec<(u64, u64)>, String> {
    use super::schedule::parse_cron;
    let start_cron = parse_cron(&c.start)?;
    let end_cron = parse_cron(&c.end)?;
    let tz = jiff::tz::TimeZone::get(&c.timezone)
        .map_err(|e| format!("`{}` is not an IANA time zone: {e}", c.timezone))?;
    let t0 = jiff::Timestamp::from_microsecond(start_epoch_us)
        .map_err(|e| format!("start time out of range: {e}"))?
        .to_zoned(tz);
    let rel = |z: &jiff::Zoned| (z.timestamp().as_microsecond() - start_epoch_us).max(0) as u64;
    let next = |cron: &croner::Cron, z: &jiff::Zoned| cron.find_next_occurrence(z, false).ok();
    let (mut ns, mut ne) = (next(&start_cron, &t0), next(&end_cron, &t0));
    let mut out: Vec<(u64, u64)> = Vec::new();
    let mut cur = 0u64;
    loop {
        let inside = match (&ns, &ne) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(s), Some(e)) => e <= s,
        };
        let upcoming = match (&ns, &ne) {
            (Some(s), Some(e)) => Some(if e <= s { e.clone() } else { s.clone() }),
            (Some(s), None) => Some(s.clone()),
            (None, Some(e)) => Some(e.clone()),
            (None, None) => None,
        };
        let to = upcoming.as_ref().map_or(u64::MAX, rel);
        if inside && to > cur {
            match out.last_mut() {
                Some(last) if last.1 == cur => last.1 = to,
                _ => out.push((cur, to)),
            }
        }
        let Some(at) = upcoming else { break };
        if to >= end_us {
            break;
        }
        cur = to;
        if ns.as_ref() == Some(&at) {
            ns = next(&start_cron, &at);
        }
        if ne.as_ref() == Some(&at) {
            ne = next(&end_cron, &at);
        }
    }
    Ok(out)
}

pub struct KedaPolicy {
    spec: KedaSpec,
    hpa: HpaPolicy,
    hpa_period_us: u64,
    period_us: u64,
    last_active_us: Option<u64>,
    /// Per trigger, the index of the first cron window not yet over.
    cron_cursor: Vec<usize>,
    /// Record the next evaluation (`meshsim explain`).
    explaining: bool,
    /// The operator's inputs at the recorded evaluation.
    operator: Option<serde_json::Value>,
    explanation: Option<serde_json::Value>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl KedaPolicy {
    pub fn new(spec: KedaSpec) -> Self {
        let hpa = HpaPolicy::new(spec.hpa.clone());
        let hpa_period_us = hpa.period_us();
        let period_us = gcd(hpa_period_us, spec.polling_us.max(1)).max(1);
        let cron_cursor = vec![0; spec.triggers.len()];
        KedaPolicy {
            spec,
            hpa,
            hpa_period_us,
            period_us,
            last_active_us: None,
            cron_cursor,
            explaining: false,
            operator: None,
            explanation: None,
        }
    }

    /// Whether cron trigger `i` is inside its window at `now` (times only
    /// move forward, so a cursor walks the windows).
    fn cron_inside(&mut self, i: usize, now: u64) -> bool {
        let TriggerKind::Cron(c) = &self.spec.triggers[i].kind else {
            return false;
        };
        let k = &mut self.cron_cursor[i];
        while *k < c.windows.len() && c.windows[*k].1 <= now {
            *k += 1;
        }
        c.windows.get(*k).is_some_and(|w| w.0 <= now)
    }

    /// Each trigger's value as the scaler reports it (`None` for Resource
    /// triggers) and whether it is active.
    fn trigger_states(&mut self, obs: &Observation<'_>) -> Vec<Option<(f64, bool)>> {
        let window = self.spec.hpa.metrics_window_s;
        (0..self.spec.triggers.len())
            .map(|i| {
                let t = &self.spec.triggers[i];
                let activation = t.activation;
                match &t.kind {
                    TriggerKind::Measured(src) => {
                        let v = source_value(*src, obs.metrics, window).map_or(0.0, |v| v.0);
                        Some((v, v > activation))
                    }
                    TriggerKind::Cron(c) => {
                        let desired = f64::from(c.desired);
                        let inside = self.cron_inside(i, obs.now_us);
                        Some((if inside { desired } else { 0.0 }, inside))
                    }
                    TriggerKind::Resource => None,
                }
            })
            .collect()
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
    /// - active (any trigger active): with `idleReplicaCount` set and fewer
    ///   replicas than `minReplicaCount`, or at 0 replicas, scale to
    ///   max(minReplicaCount, 1); otherwise the last-active time is now;
    /// - inactive: with `idleReplicaCount` set and more replicas than it, or
    ///   without it at `minReplicaCount` 0 and more than 0 replicas, scale to
    ///   the idle count (or 0) once the cooldown has passed since the last
    ///   active poll — or, if no trigger was ever active, once
    ///   `initialCooldownPeriod` has passed since creation (the run's start;
    ///   strictly after, as `time.Before`; 0 = at once).
    ///
    /// Without `idleReplicaCount`, `minReplicaCount ≥ 1` keeps the object
    /// active as far as meshsim's decisions go (the HPA owns 1 ↔ N).
    fn decide(&mut self, obs: &Observation<'_>) -> Option<Decision> {
        if !self.explaining {
            return self.evaluate(obs);
        }
        let d = self.evaluate(obs);
        self.explaining = false;
        self.explanation = Some(serde_json::json!({
            "operator": self.operator.take(),
            "hpa": self.hpa.take_explanation(),
            "decision": d.as_ref().map(|d| serde_json::json!({
                "by": d.by.unwrap_or("keda"),
                "desired": d.desired,
                "reason": d.reason,
            })),
        }));
        d
    }

    fn explain_next(&mut self) {
        self.explaining = true;
    }

    fn take_explanation(&mut self) -> Option<serde_json::Value> {
        self.explanation.take()
    }
}

impl KedaPolicy {
    /// One evaluation (see [`Policy::decide`] above for the rules).
    fn evaluate(&mut self, obs: &Observation<'_>) -> Option<Decision> {
        let now = obs.now_us;
        let polling = now.is_multiple_of(self.spec.polling_us);
        let hpa_sync = obs.desired > 0 && now.is_multiple_of(self.hpa_period_us);
        if !polling && !hpa_sync {
            return None;
        }
        let states = self.trigger_states(obs);
        if self.explaining {
            self.operator = Some(self.operator_record(obs, &states, polling));
            if hpa_sync {
                self.hpa.explain_next();
            }
        }
        let s = &self.spec;
        if polling {
            let only_resources = states.iter().all(Option::is_none);
            let first_active = states.iter().position(|st| st.is_some_and(|(_, a)| a));
            let active = first_active.is_some()
                || only_resources
                || (s.idle_replica_count.is_none() && s.min_replica_count >= 1);
            if active {
                self.last_active_us = Some(now);
            }
            let below_min_from_idle =
                s.idle_replica_count.is_some() && obs.desired < s.min_replica_count;
            if active && (obs.desired == 0 || below_min_from_idle) {
                let to = s.min_replica_count.max(1);
                let why = match first_active {
                    Some(i) => self.describe(i, states[i].expect("measured").0),
                    None => "only cpu/memory triggers (always active)".to_string(),
                };
                return Some(Decision {
                    by: None,
                    desired: to,
                    recommendation: to,
                    reason: format!(
                        "keda activation: {why}{}",
                        if below_min_from_idle && obs.desired > 0 {
                            format!(", from the idle count {}", obs.desired)
                        } else {
                            String::new()
                        }
                    ),
                });
            }
            let idle_to = match s.idle_replica_count {
                Some(idle) if obs.desired > idle => Some(idle),
                None if obs.desired > 0 && s.min_replica_count == 0 => Some(0),
                _ => None,
            };
            if let (false, Some(to)) = (active, idle_to) {
                let cooled = match self.last_active_us {
                    Some(t) => t + s.cooldown_us < now,
                    None => s.initial_cooldown_us == 0 || s.initial_cooldown_us < now,
                };
                if cooled {
                    let values = self.inactive_values(&states);
                    let since = if self.last_active_us.is_none() && s.initial_cooldown_us > 0 {
                        format!(
                            "since the start, past the {} s initialCooldownPeriod",
                            s.initial_cooldown_us / 1_000_000
                        )
                    } else {
                        format!("for more than the {} s cooldown", s.cooldown_us / 1_000_000)
                    };
                    return Some(Decision {
                        by: None,
                        desired: to,
                        recommendation: to,
                        reason: format!(
                            "KEDA scale to {}: {values} {since}",
                            if s.idle_replica_count.is_some() {
                                format!("the idle count {to} (idleReplicaCount)")
                            } else {
                                "zero".to_string()
                            },
                        ),
                    });
                }
            }
        }
        if hpa_sync {
            let s = &self.spec;
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
            let cron: BTreeMap<String, f64> = s
                .triggers
                .iter()
                .zip(&states)
                .filter(|(t, _)| matches!(t.kind, TriggerKind::Cron(_)))
                .filter_map(|(t, st)| st.map(|(v, _)| (t.label.clone(), v)))
                .collect();
            return self.hpa.decide_with(&hpa_obs, &cron).map(|d| Decision {
                by: Some("keda-hpa"),
                ..d
            });
        }
        None
    }
}

impl KedaPolicy {
    /// What the operator sees at this evaluation, for `meshsim explain`.
    fn operator_record(
        &self,
        obs: &Observation<'_>,
        states: &[Option<(f64, bool)>],
        polling: bool,
    ) -> serde_json::Value {
        let s = &self.spec;
        let us = |t: u64| t as f64 / 1e6;
        let triggers: Vec<serde_json::Value> = s
            .triggers
            .iter()
            .zip(states)
            .map(|(t, st)| {
                let kind = match &t.kind {
                    TriggerKind::Measured(src) => format!("{src:?}").to_lowercase(),
                    TriggerKind::Cron(c) => format!(
                        "cron [{}, {}) {}: {} replicas",
                        c.start, c.end, c.timezone, c.desired
                    ),
                    TriggerKind::Resource => "resource (HPA only, no activity)".into(),
                };
                serde_json::json!({
                    "metric": t.label,
                    "reads": kind,
                    "value": st.map(|(v, _)| v),
                    "activation": t.activation,
                    "active": st.map(|(_, a)| a),
                })
            })
            .collect();
        serde_json::json!({
            "polling": polling,
            "polling_interval_s": us(s.polling_us),
            "replicas": obs.desired,
            "min_replica_count": s.min_replica_count,
            "idle_replica_count": s.idle_replica_count,
            "triggers": triggers,
            "last_active_s": self.last_active_us.map(us),
            "cooldown_s": us(s.cooldown_us),
            "initial_cooldown_s": us(s.initial_cooldown_us),
        })
    }

    /// Why trigger `i` is active, for the reason column.
    fn describe(&self, i: usize, value: f64) -> String {
        let t = &self.spec.triggers[i];
        match &t.kind {
            TriggerKind::Measured(src) => format!(
                "{}{} {value} > activation threshold {}",
                if self.spec.triggers.len() > 1 {
                    format!("{} ", t.label)
                } else {
                    String::new()
                },
                format!("{src:?}").to_lowercase(),
                t.activation
            ),
            TriggerKind::Cron(c) => format!(
                "{} inside its window [{}, {}) {}: {} replicas",
                t.label, c.start, c.end, c.timezone, c.desired
            ),
            TriggerKind::Resource => String::new(),
        }
    }

    /// The inactive triggers' values against their thresholds.
    fn inactive_values(&self, states: &[Option<(f64, bool)>]) -> String {
        let parts: Vec<String> = self
            .spec
            .triggers
            .iter()
            .zip(states)
            .filter_map(|(t, st)| {
                let (v, _) = (*st)?;
                Some(match &t.kind {
                    TriggerKind::Cron(_) => format!("{} outside its window", t.label),
                    _ if self.spec.triggers.len() == 1 => format!("({v} <= {})", t.activation),
                    _ => format!("{} {v} <= {}", t.label, t.activation),
                })
            })
            .collect();
        if self.spec.triggers.len() == 1 && parts.len() == 1 && !parts[0].contains("window") {
            format!("trigger inactive {}", parts[0])
        } else {
            format!("every trigger inactive ({})", parts.join(", "))
        }
    }
}

/// A trigger's value as written: a number, or a Kubernetes quantity string
/// (`"500m"`, `"512Mi"`) for `cpu`/`memory` AverageValue targets.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum TriggerValue {
    Number(f64),
    Text(String),
}

impl TriggerValue {
    /// The value in milli-units, as the HPA's targets hold it.
    pub fn milli(&self) -> Result<i64, String> {
        let text = match self {
            TriggerValue::Number(n) => format!("{n}"),
            TriggerValue::Text(t) => t.trim().to_string(),
        };
        crate::model::autoscaler::hpa::manifest::parse_quantity(&text)
    }
}

/// One trigger of `[scaling.queue]`, in the scenario's terms (a manifest's
/// triggers are read into this form, so `--set scaling.queue.triggers.1.value=5`
/// changes either).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TriggerConfig {
    /// KEDA's scaler type: `cron`, `cpu`, `memory`, a queue-like scaler
    /// (`rabbitmq`, `aws-sqs-queue`, `kafka`, … or `queue`), or any other type
    /// given a `metric`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the trigger measures in the simulation (queue-like scalers:
    /// `queue_depth` unless set; other value scalers must set it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricSource>,
    /// `AverageValue` (default), `Value`, or `Utilization` (`cpu`/`memory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<String>,
    /// The target (per replica for AverageValue; the total for Value; a
    /// percentage of the request for Utilization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<TriggerValue>,
    /// Active when the value is strictly above this (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_value: Option<f64>,
    /// Cron triggers: IANA time zone, 5-field start and end, replicas inside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_replicas: Option<u32>,
}

/// Queue-like scalers: their target key in `metadata` (the activation key is
/// `activation` + the key) — KEDA's scaler documentation, keda.sh/docs/2.18/scalers.
pub const QUEUE_SCALERS: &[(&str, &str)] = &[
    ("rabbitmq", "value"),
    ("aws-sqs-queue", "queueLength"),
    ("azure-queue", "queueLength"),
    ("azure-servicebus", "messageCount"),
    ("redis", "listLength"),
    ("redis-cluster", "listLength"),
    ("redis-sentinel", "listLength"),
    ("redis-streams", "pendingEntriesCount"),
    ("kafka", "lagThreshold"),
    ("apache-kafka", "lagThreshold"),
    ("gcp-pubsub", "value"),
    ("nats-jetstream", "lagThreshold"),
    ("stan", "lagThreshold"),
    ("activemq", "targetQueueSize"),
    ("artemis-queue", "queueLength"),
    ("ibmmq", "queueDepth"),
    ("beanstalkd", "value"),
    ("queue", "value"),
];

/// Target keys of scalers that read some other system's value (Prometheus,
/// CloudWatch, Datadog, …): accepted once the scenario says which meshsim
/// metric stands for it.
const VALUE_KEYS: &[&str] = &[
    "threshold",
    "targetValue",
    "targetMetricValue",
    "queryValue",
    "targetQueryValue",
    "thresholdValue",
    "value",
    "queueLength",
    "messageCount",
    "listLength",
    "lagThreshold",
];

/// What meshsim reads from a KEDA ScaledObject manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaledObject {
    pub name: String,
    pub min_replica_count: u32,
    pub max_replica_count: u32,
    pub polling_interval_s: f64,
    pub cooldown_period_s: f64,
    pub initial_cooldown_period_s: f64,
    /// `idleReplicaCount` (below `minReplicaCount`).
    pub idle_replica_count: Option<u32>,
    pub triggers: Vec<TriggerConfig>,
    /// `advanced.horizontalPodAutoscalerConfig.behavior`, as written.
    pub behavior: Option<serde_json::Value>,
    /// Fields read but not simulated.
    pub warnings: Vec<String>,
}

fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One manifest trigger in the scenario's terms.
fn read_trigger(
    t: &serde_json::Value,
    at: &str,
    warnings: &mut Vec<String>,
) -> Result<TriggerConfig, String> {
    let kind = t
        .get("type")
        .and_then(|k| k.as_str())
        .ok_or_else(|| format!("{at}.type: expected the scaler type (rabbitmq, cron, cpu, …)"))?
        .to_string();
    let meta = t.get("metadata").cloned().unwrap_or_default();
    let text = |k: &str| meta.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let mut c = TriggerConfig {
        kind: kind.clone(),
        name: t.get("name").and_then(|n| n.as_str()).map(str::to_string),
        metric_type: t
            .get("metricType")
            .and_then(|m| m.as_str())
            .map(str::to_string),
        ..TriggerConfig::default()
    };
    if t.get("useCachedMetrics").and_then(|u| u.as_bool()) == Some(true) {
        warnings.push(format!(
            "{at}.useCachedMetrics is read but not simulated: the HPA reads each trigger's value at its own sync, not the last poll's"
        ));
    }
    match kind.as_str() {
        "cron" => {
            c.timezone = text("timezone");
            c.start = text("start");
            c.end = text("end");
            c.desired_replicas = match meta.get("desiredReplicas") {
                None => None,
                Some(v) => Some(
                    number(v)
                        .filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= f64::from(u32::MAX))
                        .map(|n| n as u32)
                        .ok_or_else(|| {
                            format!("{at}.metadata.desiredReplicas: expected a whole number > 0")
                        })?,
                ),
            };
        }
        "cpu" | "memory" => {
            // `metadata.type` is the deprecated spelling of `metricType`.
            if c.metric_type.is_none() {
                c.metric_type = text("type");
            }
            c.value = meta.get("value").map(|v| match v {
                serde_json::Value::Number(n) => TriggerValue::Number(n.as_f64().unwrap_or(0.0)),
                other => TriggerValue::Text(other.as_str().unwrap_or("").to_string()),
            });
            if meta.get("containerName").is_some() {
                warnings.push(format!(
                    "{at}.metadata.containerName: meshsim's pods have one container; the {kind} trigger reads the pod's"
                ));
            }
        }
        _ => {
            let queue_key = QUEUE_SCALERS.iter().find(|(k, _)| *k == kind).map(|q| q.1);
            if queue_key.is_some() {
                // RabbitMQ's MessageRate mode scales on the publish rate.
                let rate = kind == "rabbitmq" && text("mode").as_deref() == Some("MessageRate");
                c.metric = Some(if rate {
                    MetricSource::Rps
                } else {
                    MetricSource::QueueDepth
                });
            }
            let keys = queue_key.into_iter().chain(VALUE_KEYS.iter().copied());
            if let Some((key, v)) = keys.clone().find_map(|k| meta.get(k).map(|v| (k, v))) {
                let n = number(v)
                    .filter(|n| *n > 0.0)
                    .ok_or_else(|| format!("{at}.metadata.{key}: expected a number > 0"))?;
                c.value = Some(TriggerValue::Number(n));
                let act_key = format!("activation{}{}", key[..1].to_uppercase(), &key[1..]);
                c.activation_value = match meta.get(&act_key) {
                    None => None,
                    Some(v) => Some(number(v).filter(|a| *a >= 0.0).ok_or_else(|| {
                        format!("{at}.metadata.{act_key}: expected a number >= 0")
                    })?),
                };
            } else if queue_key.is_some() {
                return Err(format!(
                    "{at}.metadata: no target for the {kind} trigger (expected {})",
                    queue_key.unwrap_or("value")
                ));
            }
        }
    }
    Ok(c)
}

/// Every ScaledObject in a YAML text (`keda.sh/v1alpha1`), with KEDA's defaults
/// (polling 30 s, cooldown 300 s, initial cooldown 0, min 0, max 100,
/// activation 0).
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
                    .filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= f64::from(u32::MAX))
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
        let initial_cooldown = get_u32("initialCooldownPeriod", 0)?;
        let mut warnings = Vec::new();
        if spec.get("fallback").is_some_and(|f| !f.is_null()) {
            warnings.push(format!(
                "{at}spec.fallback is read but never applies: it replaces a failing scaler's value, and meshsim's metrics never fail"
            ));
        }
        if spec
            .pointer("/advanced/scalingModifiers")
            .is_some_and(|m| !m.is_null())
        {
            return Err(format!(
                "{at}spec.advanced.scalingModifiers: meshsim does not simulate KEDA's formula \
                 composition of triggers; remove it (each trigger then scales on its own, the \
                 largest proposal wins) or model the composite as one trigger"
            ));
        }
        let triggers = spec
            .get("triggers")
            .and_then(|t| t.as_array())
            .cloned()
            .unwrap_or_default();
        if triggers.is_empty() {
            return Err(format!(
                "{at}spec.triggers: a ScaledObject needs at least one trigger"
            ));
        }
        let triggers = triggers
            .iter()
            .enumerate()
            .map(|(k, t)| read_trigger(t, &format!("{at}spec.triggers[{k}]"), &mut warnings))
            .collect::<Result<Vec<_>, _>>()?;
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
            initial_cooldown_period_s: f64::from(initial_cooldown),
            idle_replica_count: idle,
            triggers,
            behavior,
            warnings,
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
        assert_eq!(s.triggers.len(), 1);
        let t = &s.triggers[0];
        assert_eq!(t.kind, "rabbitmq");
        assert_eq!(t.metric, Some(MetricSource::QueueDepth));
        assert_eq!(
            (t.value.clone(), t.activation_value),
            (Some(TriggerValue::Number(10.0)), Some(2.0))
        );
        assert_eq!(s.initial_cooldown_period_s, 0.0);
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

    #[test]
    fn cron_windows_follow_the_scalers_rule_across_a_weekend_and_dst() {
        // Europe/Paris, weekdays 08:00-18:00. The run starts Friday
        // 2025-03-28 00:00 UTC (01:00 CET) and lasts 4 days; CEST begins
        // Sunday 30 March. Friday 08:00 CET = 07:00 UTC (7 h); 18:00 CET =
        // 17:00 UTC (17 h). Monday 31 March 08:00 CEST = 06:00 UTC (78 h) to
        // 16:00 UTC (88 h).
        const H: u64 = 3_600_000_000;
        let start = "2025-03-28T00:00:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_microsecond();
        let c = CronTrigger {
            start: "0 8 * * MON-FRI".into(),
            end: "0 18 * * MON-FRI".into(),
            timezone: "Europe/Paris".into(),
            desired: 3,
            windows: Vec::new(),
        };
        assert_eq!(
            cron_windows(&c, start, 96 * H).unwrap(),
            vec![(7 * H, 17 * H), (78 * H, 88 * H)]
        );
        // Starting inside a window (Friday 10:00 UTC): inside from 0, as the
        // next end (17:00 UTC) comes before the next start (Monday).
        let ten = start + 10 * H as i64;
        assert_eq!(cron_windows(&c, ten, 24 * H).unwrap(), vec![(0, 7 * H)]);
    }
}
