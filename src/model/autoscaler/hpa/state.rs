//! What the controller observes in one reconcile, in the `STATE.json` schema
//! of DESIGN §5 (times in seconds relative to the evaluation instant: 0 = now,
//! negative = past; CPU in millicores, memory in bytes, other metric values
//! as plain numbers).

use super::spec::ControllerOptions;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Phase {
    Pending,
    #[default]
    Running,
    Succeeded,
    Failed,
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Container {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub cpu_request_milli: Option<i64>,
    #[serde(default)]
    pub cpu_usage_milli: Option<i64>,
    #[serde(default)]
    pub memory_request_bytes: Option<i64>,
    #[serde(default)]
    pub memory_usage_bytes: Option<i64>,
}

fn default_window() -> f64 {
    60.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pod {
    pub name: String,
    #[serde(default)]
    pub phase: Phase,
    /// The Ready condition's status; `None` = no Ready condition.
    #[serde(default)]
    pub ready: Option<bool>,
    /// Has a deletion timestamp.
    #[serde(default)]
    pub deleted: bool,
    /// `None` = not started.
    #[serde(default)]
    pub start_time_s: Option<f64>,
    /// The Ready condition's last transition (defaults to the start time).
    #[serde(default)]
    pub ready_transition_time_s: Option<f64>,
    #[serde(default)]
    pub containers: Vec<Container>,
    #[serde(default)]
    pub metrics_timestamp_s: f64,
    #[serde(default = "default_window")]
    pub metrics_window_s: f64,
    /// Custom per-pod metrics (`Pods` metric sources) by name.
    #[serde(default)]
    pub pod_metrics: BTreeMap<String, f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recommendation {
    pub replicas: i32,
    pub age_s: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleEvent {
    pub replica_change: i32,
    pub age_s: f64,
}

/// The snapshot `meshsim hpa explain --state` reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub spec_replicas: i32,
    #[serde(default)]
    pub status_replicas: Option<i32>,
    #[serde(default)]
    pub pods: Vec<Pod>,
    #[serde(default)]
    pub object_metrics: BTreeMap<String, f64>,
    #[serde(default)]
    pub external_metrics: BTreeMap<String, Vec<f64>>,
    #[serde(default)]
    pub failing_metrics: Vec<String>,
    /// `None` (or absent) = the controller has no history for this HPA yet.
    #[serde(default)]
    pub recommendations: Option<Vec<Recommendation>>,
    #[serde(default)]
    pub scale_up_events: Vec<ScaleEvent>,
    #[serde(default)]
    pub scale_down_events: Vec<ScaleEvent>,
    #[serde(default)]
    pub controller: ControllerOptions,
}

impl Snapshot {
    pub fn status_replicas(&self) -> i32 {
        self.status_replicas.unwrap_or(self.spec_replicas)
    }
}

/// Converts a plain number to milli-units, saturating.
pub fn milli(v: f64) -> i64 {
    (v * 1000.0).round().clamp(i64::MIN as f64, i64::MAX as f64) as i64
}
