//! Autoscalers: policies that look at an [`Observation`] and return a
//! [`Decision`]. They never see the queue, the RNG or prices; the engine
//! applies their decisions and writes each one to `scaling.csv`.
//!
//! - [`target_tracking`]: AWS Application Auto Scaling target tracking (ECS services).
//! - [`schedule`]: EC2/ECS scheduled actions from cron expressions in a time zone.
//! - `hpa` and KEDA arrive with the Kubernetes work.

pub mod hpa;
pub mod keda;
pub mod schedule;
pub mod target_tracking;

use super::metrics::MetricsView;
use serde::{Deserialize, Serialize};

/// What an autoscaler's metric measures (the scenario's `metric` values).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MetricSource {
    Cpu,
    Memory,
    QueueDepth,
    InFlight,
    Rps,
}

/// A replica as a Kubernetes controller would see its pod.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplicaView {
    pub id: u32,
    pub created_us: u64,
    /// When it became ready (`None` while pending).
    pub ready_us: Option<u64>,
    /// Being removed (draining): a pod with a deletion timestamp.
    pub draining: bool,
    /// Its own CPU (millicores) and memory (bytes) requests, when a VPA
    /// gives pods different ones (`None`: the scenario's).
    pub requests: Option<(i64, i64)>,
}

/// What a policy sees at a sync instant.
pub struct Observation<'a> {
    pub now_us: u64,
    /// Replicas asked for (the scalable target's desired count / spec.replicas).
    pub desired: u32,
    /// Current bounds (schedules may change them).
    pub min: u32,
    pub max: u32,
    pub metrics: &'a dyn MetricsView,
    /// Live and draining replicas.
    pub replicas: &'a [ReplicaView],
}

/// A policy's answer: the new desired count, the raw recommendation before
/// clamps and limits, and a one-line reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub desired: u32,
    pub recommendation: u32,
    pub reason: String,
    /// Which part decided, when a policy has several (KEDA's operator or its HPA);
    /// `None` = the policy's name.
    pub by: Option<&'static str>,
}

/// A scaling policy evaluated periodically by the engine.
pub trait Policy {
    /// Name written to `scaling.csv`'s `autoscaler` column.
    fn name(&self) -> &'static str;
    /// Evaluation period, µs; evaluations happen at multiples of it.
    fn period_us(&self) -> u64;
    /// `Some` when the policy wants a different desired count.
    fn decide(&mut self, obs: &Observation<'_>) -> Option<Decision>;
    /// Record what the next evaluation sees and decides (`meshsim explain`).
    fn explain_next(&mut self) {}
    /// The record of the last evaluation after [`explain_next`](Policy::explain_next).
    fn take_explanation(&mut self) -> Option<serde_json::Value> {
        None
    }
}
