//! The HPA as a simulation policy: every sync period it builds the
//! controller's view of the pods and metrics from the simulation and runs one
//! [`reconcile`](super::reconcile), keeping the controller's memory.
//!
//! The view: each live replica is a pod (Pending while starting, Running and
//! Ready once ready, deleted while draining) with one container whose CPU
//! request is `cpu_request_milli`; its CPU usage is the service's busy-slot
//! fraction over `metrics_window_s` times the request (every ready pod reports
//! the average: the load balancer spreads work evenly), timestamped now with
//! that window — so a pod that became ready less than one window ago is
//! skipped during its CPU initialisation period, as metrics-server data would
//! make it. Memory follows the memory model. Custom metrics come from the
//! scenario's `metric_sources`: Pods metrics get the per-replica value,
//! Object/External metrics the total.

use super::spec::{ControllerOptions, HpaSpec, MetricSpec};
use super::state::Snapshot;
use super::state::{Container, Phase, Pod};
use super::{History, Observed, reconcile};
use crate::model::autoscaler::MetricSource;
use crate::model::autoscaler::{Decision, Observation, Policy};
use crate::model::metrics::MetricsView;
use crate::units::US_PER_SEC;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct HpaPolicySpec {
    pub spec: HpaSpec,
    pub controller: ControllerOptions,
    /// Metric name (as the manifest names it) -> meshsim source.
    pub sources: BTreeMap<String, MetricSource>,
    pub cpu_request_milli: i64,
    pub memory_request_bytes: i64,
    pub metrics_window_s: u32,
}

pub struct HpaPolicy {
    cfg: HpaPolicySpec,
    history: History,
    /// Record the next reconcile (`meshsim explain`).
    explaining: bool,
    explanation: Option<serde_json::Value>,
}

impl HpaPolicy {
    pub fn new(cfg: HpaPolicySpec) -> Self {
        HpaPolicy {
            cfg,
            history: History::default(),
            explaining: false,
            explanation: None,
        }
    }
}

/// The controller's view at `now_s` in `meshsim hpa explain --state`'s
/// schema: times relative to now, the history as ages.
fn snapshot(
    observed: &Observed<'_>,
    history: &History,
    controller: &ControllerOptions,
    now_s: f64,
) -> Snapshot {
    use super::state::{Recommendation, ScaleEvent};
    let rel = |t: Option<f64>| t.map(|t| t - now_s);
    let events = |es: &[super::TimedEvent]| {
        es.iter()
            .filter(|e| !e.outdated)
            .map(|e| ScaleEvent {
                replica_change: e.replica_change,
                age_s: now_s - e.t_s,
            })
            .collect()
    };
    Snapshot {
        spec_replicas: observed.spec_replicas,
        status_replicas: Some(observed.status_replicas),
        pods: observed
            .pods
            .iter()
            .map(|p| Pod {
                start_time_s: rel(p.start_time_s),
                ready_transition_time_s: rel(p.ready_transition_time_s),
                metrics_timestamp_s: p.metrics_timestamp_s - now_s,
                ..p.clone()
            })
            .collect(),
        object_metrics: observed.object_metrics.clone(),
        external_metrics: observed.external_metrics.clone(),
        failing_metrics: observed.failing_metrics.to_vec(),
        recommendations: history.recommendations.as_ref().map(|rs| {
            rs.iter()
                .map(|(r, t)| Recommendation {
                    replicas: *r,
                    age_s: now_s - t,
                })
                .collect()
        }),
        scale_up_events: events(&history.scale_up_events),
        scale_down_events: events(&history.scale_down_events),
        controller: controller.clone(),
    }
}

/// The value of a meshsim source: (total, per ready replica).
pub fn source_value(src: MetricSource, m: &dyn MetricsView, window: u32) -> Option<(f64, f64)> {
    let ready = f64::from(m.ready_replicas());
    let per = |total: f64| if ready > 0.0 { total / ready } else { 0.0 };
    match src {
        MetricSource::Cpu => m.cpu_utilization(window).map(|u| (u * 100.0, u * 100.0)),
        MetricSource::Memory => m.memory_utilization(window).map(|u| (u * 100.0, u * 100.0)),
        MetricSource::QueueDepth => {
            let q = m.queue_depth() as f64;
            Some((q, per(q)))
        }
        MetricSource::InFlight => {
            let f = m.in_flight() as f64;
            Some((f, per(f)))
        }
        MetricSource::Rps => m.rps(window).map(|r| (r, per(r))),
    }
}

impl Policy for HpaPolicy {
    fn name(&self) -> &'static str {
        "hpa"
    }

    fn period_us(&self) -> u64 {
        (self.cfg.controller.sync_period_s * US_PER_SEC as f64)
            .round()
            .max(1.0) as u64
    }

    fn decide(&mut self, obs: &Observation<'_>) -> Option<Decision> {
        self.decide_with(obs, &BTreeMap::new())
    }

    fn explain_next(&mut self) {
        self.explaining = true;
    }

    fn take_explanation(&mut self) -> Option<serde_json::Value> {
        self.explaining = false;
        self.explanation.take()
    }
}

impl HpaPolicy {
    /// One reconcile; `extra_external` gives External metrics whose values
    /// come from the caller rather than a meshsim source (KEDA's cron
    /// triggers).
    pub fn decide_with(
        &mut self,
        obs: &Observation<'_>,
        extra_external: &BTreeMap<String, f64>,
    ) -> Option<Decision> {
        let now_s = obs.now_us as f64 / US_PER_SEC as f64;
        let w = self.cfg.metrics_window_s;
        let cpu_util = obs.metrics.cpu_utilization(w);
        let mem_util = obs.metrics.memory_utilization(w);
        let mut pod_values: BTreeMap<String, f64> = BTreeMap::new();
        let mut object_metrics = BTreeMap::new();
        let mut external_metrics = BTreeMap::new();
        for m in &self.cfg.spec.metrics {
            let (name, kind) = match m {
                MetricSpec::Pods { metric, .. } => (metric, 0),
                MetricSpec::Object { metric, .. } => (metric, 1),
                MetricSpec::External { metric, .. } => (metric, 2),
                _ => continue,
            };
            let Some(src) = self.cfg.sources.get(name) else {
                continue;
            };
            let Some((total, per)) = source_value(*src, obs.metrics, w) else {
                continue;
            };
            match kind {
                0 => {
                    pod_values.insert(name.clone(), per);
                }
                1 => {
                    object_metrics.insert(name.clone(), total);
                }
                _ => {
                    external_metrics.insert(name.clone(), vec![total]);
                }
            }
        }
        for (name, v) in extra_external {
            external_metrics.insert(name.clone(), vec![*v]);
        }
        // Under a usage model every ready pod reports the mean usage of a
        // ready pod over the window (the load balancer spreads work evenly),
        // against its own requests; without one, usage is the busy-slot
        // fraction of the request.
        let per_pod = obs.metrics.usage_per_pod(w);
        let pods: Vec<Pod> = obs
            .replicas
            .iter()
            .map(|r| {
                let (req, mem_req) = r
                    .requests
                    .unwrap_or((self.cfg.cpu_request_milli, self.cfg.memory_request_bytes));
                let ready = r.ready_us.is_some() && !r.draining;
                let created = r.created_us as f64 / US_PER_SEC as f64;
                let (cpu_usage, mem_usage) = match per_pod {
                    Some((cores, mb)) => (
                        Some((cores * 1000.0).round() as i64),
                        Some((mb * 1_048_576.0).round() as i64),
                    ),
                    None => (
                        cpu_util.map(|u| (u * req as f64).round() as i64),
                        mem_util.map(|u| (u * mem_req as f64).round() as i64),
                    ),
                };
                let container = Container {
                    name: "app".into(),
                    cpu_request_milli: Some(req),
                    cpu_usage_milli: if ready { cpu_usage } else { None },
                    memory_request_bytes: Some(mem_req),
                    memory_usage_bytes: if ready { mem_usage } else { None },
                };
                Pod {
                    name: format!("replica-{}", r.id),
                    phase: if r.ready_us.is_some() {
                        Phase::Running
                    } else {
                        Phase::Pending
                    },
                    ready: Some(ready),
                    deleted: r.draining,
                    start_time_s: Some(created),
                    ready_transition_time_s: Some(
                        r.ready_us.map_or(created, |t| t as f64 / US_PER_SEC as f64),
                    ),
                    containers: vec![container],
                    metrics_timestamp_s: now_s,
                    metrics_window_s: f64::from(w),
                    pod_metrics: if ready {
                        pod_values.clone()
                    } else {
                        BTreeMap::new()
                    },
                }
            })
            .collect();
        let live = obs.replicas.iter().filter(|r| !r.draining).count() as i32;
        // Schedules move the bounds; the HPA works inside them.
        let mut spec = self.cfg.spec.clone();
        spec.min_replicas = obs.min as i32;
        spec.max_replicas = obs.max as i32;
        let observed = Observed {
            spec_replicas: obs.desired as i32,
            status_replicas: live,
            pods: &pods,
            object_metrics: &object_metrics,
            external_metrics: &external_metrics,
            failing_metrics: &[],
        };
        let before = self
            .explaining
            .then(|| snapshot(&observed, &self.history, &self.cfg.controller, now_s));
        let ex = reconcile(
            &spec,
            &observed,
            &mut self.history,
            &self.cfg.controller,
            now_s,
        );
        if let Some(state) = before {
            self.explaining = false;
            self.explanation = Some(serde_json::json!({
                "hpa": super::manifest::to_manifest(&spec),
                "state": state,
                "explain": ex,
            }));
        }
        if !ex.rescale {
            return None;
        }
        Some(Decision {
            by: None,
            desired: ex.desired_replicas.max(0) as u32,
            recommendation: ex.recommendation.unwrap_or(ex.desired_replicas).max(0) as u32,
            reason: ex.reason,
        })
    }
}
