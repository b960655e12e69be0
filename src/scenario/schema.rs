//! The scenario file's schema (DESIGN §4). Every struct denies unknown keys,
//! so that a misspelt key is an error and not a silently ignored setting.
//! Defaults here are the "built-in defaults" layer of the configuration.

pub use crate::billing::budget::AlertKind;
pub use crate::model::autoscaler::MetricSource;
pub use crate::model::service::ServiceTime;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: String,
    /// Document and section the scenario's values come from.
    #[serde(default)]
    pub source: Option<String>,
    /// Consumed by the loader; kept so that a merged file still deserialises.
    #[serde(default)]
    pub extends: Option<String>,
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Demand multiplier for growth what-ifs (`--trace-scale`): rate and
    /// count rows × this; each request of a request trace arrives
    /// floor(scale) times, plus once more with probability frac(scale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_scale: Option<f64>,
    /// A pricing CSV (catalogue columns) whose rows replace or add to the
    /// built-in catalogue for this scenario: negotiated discounts, other regions.
    #[serde(default)]
    pub pricing: Option<String>,
    #[serde(default)]
    pub service: Service,
    #[serde(default)]
    pub capacity: Capacity,
    #[serde(default)]
    pub scaling: Scaling,
    #[serde(default)]
    pub fixed: Option<Fixed>,
    #[serde(default)]
    pub llm: Option<Llm>,
    #[serde(default)]
    pub budget: Option<Budget>,
    #[serde(default)]
    pub slo: Slo,
    /// Several regions, each with its share of the traffic (empty: the
    /// scenario runs in `region` alone).
    #[serde(default)]
    pub regions: Vec<RegionSpec>,
    /// Cross-region replication of written data (multi-region scenarios).
    #[serde(default)]
    pub replication: Option<Replication>,
    /// The machines under the replicas (DESIGN §9), for `kubernetes` and `ecs-ec2`.
    #[serde(default)]
    pub cluster: Option<Cluster>,
}

/// `[[regions]]`: one region of a multi-region scenario.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    /// The region's label (an AWS region name, or e.g. `edge-nyc`).
    pub name: String,
    /// The AWS region whose prices apply (default: `name`).
    #[serde(default)]
    pub aws_region: Option<String>,
    /// Share of the traffic while every region is up (the shares sum to 1).
    pub weight: f64,
    /// Values of a request trace's `region` column routed to this region
    /// (requests with other or no values are split by weight).
    #[serde(default)]
    pub route: Vec<String>,
    /// Seconds after the trace start at which the region fails: its replicas
    /// stop, the work they held is dropped, and its traffic moves to the
    /// regions still up in proportion to their weights.
    #[serde(default)]
    pub fail_at_s: Option<f64>,
    /// Seconds after the trace start at which a failed region is back.
    #[serde(default)]
    pub recover_at_s: Option<f64>,
    /// Settings of the scenario that differ in this region (any keys).
    #[serde(default, rename = "override")]
    pub overrides: Option<toml::Table>,
}

/// `[replication]`: written data copied from every region to every other.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Replication {
    /// Bytes each served request writes (replicated to every other region).
    pub bytes_per_request: f64,
}

fn default_region() -> String {
    "us-east-1".into()
}
fn default_timezone() -> String {
    "UTC".into()
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Requests one replica serves at once.
    #[serde(default = "one")]
    pub concurrency: u32,
    #[serde(default)]
    pub service_time: ServiceTime,
    /// Created -> ready, seconds.
    #[serde(default = "default_startup")]
    pub startup_s: f64,
    /// A request waiting longer than this is dropped.
    #[serde(default = "default_timeout")]
    pub timeout_ms: f64,
    /// More requests waiting than this: new arrivals are rejected.
    #[serde(default = "default_queue_limit")]
    pub queue_limit: u64,
    /// Memory model for the `memory` metric (MB per replica).
    #[serde(default = "default_memory_base")]
    pub memory_base_mb: f64,
    #[serde(default = "default_memory_per_request")]
    pub memory_per_request_mb: f64,
    #[serde(default = "default_memory_request")]
    pub memory_request_mb: f64,
    /// The usage model (docs/resources.md): cores one request uses while in
    /// service (default: `capacity.cpu` / `concurrency`, a busy pod uses its
    /// request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_per_request: Option<f64>,
    /// Cores a ready pod uses with nothing in service (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_idle: Option<f64>,
}

fn one() -> u32 {
    1
}
fn default_startup() -> f64 {
    30.0
}
fn default_timeout() -> f64 {
    30_000.0
}
fn default_queue_limit() -> u64 {
    10_000
}
fn default_memory_base() -> f64 {
    128.0
}
fn default_memory_per_request() -> f64 {
    8.0
}
fn default_memory_request() -> f64 {
    512.0
}

impl Default for Service {
    fn default() -> Self {
        Service {
            concurrency: 1,
            service_time: ServiceTime::default(),
            startup_s: default_startup(),
            timeout_ms: default_timeout(),
            queue_limit: default_queue_limit(),
            memory_base_mb: default_memory_base(),
            memory_per_request_mb: default_memory_per_request(),
            memory_request_mb: default_memory_request(),
            cpu_per_request: None,
            cpu_idle: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    #[default]
    Fargate,
    Ec2,
    /// The service runs outside AWS (a developer's machine): no compute is billed.
    Local,
    /// Pods on EKS nodes (`[cluster]` gives the node groups).
    Kubernetes,
    /// ECS tasks on EC2 container instances (`[cluster]` gives the group).
    #[serde(rename = "ecs-ec2")]
    EcsEc2,
}

impl Platform {
    /// Replicas run on nodes the scenario's `[cluster]` describes.
    pub fn has_nodes(self) -> bool {
        matches!(self, Platform::Kubernetes | Platform::EcsEc2)
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
pub enum Arch {
    #[serde(rename = "arm64")]
    Arm64,
    #[default]
    #[serde(rename = "x86_64")]
    X86_64,
}

impl Arch {
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::Arm64 => "arm64",
            Arch::X86_64 => "x86_64",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    #[serde(default)]
    pub platform: Platform,
    /// vCPU per task (Fargate).
    #[serde(default)]
    pub cpu: Option<f64>,
    /// GB per task (Fargate).
    #[serde(default)]
    pub memory_gb: Option<f64>,
    #[serde(default)]
    pub arch: Arch,
    /// EC2: one replica per instance of this type.
    #[serde(default)]
    pub instance_type: Option<String>,
    #[serde(default)]
    pub spot: Option<Spot>,
    /// A Kubernetes Deployment manifest: its containers' requests (summed) are
    /// the pod's, its `replicas` the initial count.
    #[serde(default)]
    pub deployment: Option<String>,
    /// The container's CPU limit, cores (CFS quota): a pod demanding more
    /// serves its requests more slowly (docs/resources.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<f64>,
    /// The container's memory limit, GB (GiB, as Kubernetes' `Gi`): a pod
    /// using more is OOM-killed and restarts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit_gb: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Spot {
    #[serde(default)]
    pub base: u32,
    #[serde(default)]
    pub on_demand_weight: u32,
    #[serde(default)]
    pub spot_weight: u32,
    #[serde(default)]
    pub interruptions_per_hour: Option<f64>,
    #[serde(default)]
    pub discount: Option<f64>,
    #[serde(default)]
    pub max_price: Option<f64>,
    #[serde(default)]
    pub fallback_to_on_demand: bool,
    /// EC2 `instance_interruption_behavior`: only `terminate` (an Auto
    /// Scaling group's one-time Spot requests cannot stop or hibernate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruption_behavior: Option<String>,
    /// Fargate Spot: the container's `stopTimeout`, seconds between the
    /// SIGTERM that comes with the notice and the kill (default 30, at most 120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout_s: Option<f64>,
    /// EC2: the Auto Scaling group's Capacity Rebalancing (default false, as
    /// `CreateAutoScalingGroup`'s `CapacityRebalance`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_rebalance: Option<bool>,
    /// With Capacity Rebalancing: how long before the interruption notice
    /// the rebalance recommendation arrives (default 0: with the notice,
    /// the latest AWS allows; AWS publishes no typical lead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebalance_lead_s: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    #[serde(default = "one")]
    pub min: u32,
    #[serde(default = "one")]
    pub max: u32,
    #[serde(default)]
    pub target_tracking: Option<TargetTracking>,
    /// Kubernetes autoscaling/v2 HPA: inline or `manifest = "hpa.yaml"`.
    #[serde(default)]
    pub hpa: Option<HpaConfig>,
    /// KEDA ScaledObject queue scaling.
    #[serde(default)]
    pub queue: Option<QueueConfig>,
    #[serde(default)]
    pub schedule: Vec<Schedule>,
    /// A VerticalPodAutoscaler: inline or `manifest = "vpa.yaml"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpa: Option<VpaConfig>,
}

/// `[scaling.vpa]`: a VerticalPodAutoscaler (autoscaling.k8s.io/v1), from a
/// manifest or inline (docs/resources.md). Inline keys override the
/// manifest's.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct VpaConfig {
    /// Path to a manifest holding the VerticalPodAutoscaler, relative to the scenario file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Which VPA of the manifest (metadata.name), when it holds several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Off`, `Initial`, `Recreate`, `Auto` or `InPlaceOrRecreate` (default `Auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_mode: Option<String>,
    /// `["cpu", "memory"]` (default both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled_resources: Option<Vec<String>>,
    /// `RequestsAndLimits` (default) or `RequestsOnly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled_values: Option<String>,
    /// `{ cpu = 0.1, memory_gb = 0.25 }` (cores, GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_allowed: Option<VpaResources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_allowed: Option<VpaResources>,
}

/// Resources of a VPA policy: cores and GiB.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct VpaResources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_gb: Option<f64>,
}

impl Default for Scaling {
    fn default() -> Self {
        Scaling {
            min: 1,
            max: 1,
            target_tracking: None,
            hpa: None,
            queue: None,
            schedule: Vec::new(),
            vpa: None,
        }
    }
}

/// `[scaling.queue]`: KEDA ScaledObject semantics. `scaling.min` is
/// `minReplicaCount` (0 allows scale to zero), `scaling.max` is `maxReplicaCount`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// A KEDA ScaledObject manifest (keda.sh/v1alpha1), relative to this file:
    /// its min/max/idle replica counts, polling interval, cooldowns, triggers
    /// and advanced HPA behavior fill the fields below that no layer sets.
    #[serde(default)]
    pub manifest: Option<String>,
    /// Which ScaledObject of the manifest (metadata.name).
    #[serde(default)]
    pub name: Option<String>,
    /// Target queue length per replica (the trigger's `queueLength`): the
    /// one-trigger shorthand; `triggers` gives several.
    #[serde(default)]
    pub queue_length: Option<f64>,
    /// The ScaledObject's triggers (`[[scaling.queue.triggers]]`, see
    /// [`TriggerConfig`](crate::model::autoscaler::keda::TriggerConfig)); with
    /// a `manifest`, a table of changes to its triggers by index
    /// (`triggers.1.value = 5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers: Option<toml::Value>,
    /// `initialCooldownPeriod`: no scale to zero before this long after the
    /// start while no trigger has been active.
    #[serde(default)]
    pub initial_cooldown_period_s: f64,
    /// What a trigger meshsim does not simulate stands for, by the
    /// trigger's `name`, its metric name (`s1-prometheus`) or its type, as
    /// `scaling.hpa.metric_sources` does for an HPA's metrics.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub metric_sources: std::collections::BTreeMap<String, MetricSource>,
    /// Active when the queue is strictly longer than this (`activationQueueLength`).
    #[serde(default)]
    pub activation_queue_length: f64,
    /// KEDA's `idleReplicaCount`: replicas while every trigger is inactive
    /// (below `scaling.min`, which then applies only while active).
    #[serde(default)]
    pub idle_replica_count: Option<u32>,
    #[serde(default = "default_polling")]
    pub polling_interval_s: f64,
    #[serde(default = "default_cooldown")]
    pub cooldown_period_s: f64,
    /// What the trigger measures (default: requests waiting at the load balancer).
    #[serde(default = "default_queue_source")]
    pub metric: MetricSource,
    /// `advanced.horizontalPodAutoscalerConfig.behavior`, as in a manifest.
    #[serde(default)]
    pub behavior: Option<toml::Value>,
    #[serde(default)]
    pub controller: crate::model::autoscaler::hpa::spec::ControllerOptions,
    #[serde(default = "default_metrics_window")]
    pub metrics_window_s: u32,
}

fn default_polling() -> f64 {
    30.0
}

fn default_queue_source() -> MetricSource {
    MetricSource::QueueDepth
}

/// `[scaling.hpa]`: a HorizontalPodAutoscaler, from a manifest or inline.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HpaConfig {
    /// Path to an autoscaling/v2 manifest, relative to the scenario file.
    #[serde(default)]
    pub manifest: Option<String>,
    /// Which HPA of the manifest (metadata.name), when it holds several.
    #[serde(default)]
    pub name: Option<String>,
    /// Inline `spec.metrics`, written as in a manifest (camelCase keys): a
    /// list. With a `manifest`, a table of changes to the manifest's metrics
    /// by index (`metrics.0.resource.target.averageUtilization = 60`).
    #[serde(default)]
    pub metrics: Option<toml::Value>,
    /// Inline `spec.behavior`, written as in a manifest; with a `manifest`,
    /// changes laid over the manifest's behavior.
    #[serde(default)]
    pub behavior: Option<toml::Value>,
    /// Short name: the averageUtilization target of the HPA's Resource metric
    /// on cpu (manifest or inline), %.
    #[serde(default)]
    pub target_cpu_pct: Option<i64>,
    /// Short name: the averageUtilization target of its Resource metric on memory, %.
    #[serde(default)]
    pub target_memory_pct: Option<i64>,
    /// Manifest metric name -> meshsim source (cpu, memory, queue_depth, in_flight, rps).
    #[serde(default)]
    pub metric_sources: std::collections::BTreeMap<String, MetricSource>,
    /// kube-controller-manager options (tolerance, periods, limits).
    #[serde(default)]
    pub controller: crate::model::autoscaler::hpa::spec::ControllerOptions,
    /// CPU request of one pod in millicores (default: `capacity.cpu` × 1000, or 1000).
    #[serde(default)]
    pub cpu_request_milli: Option<i64>,
    /// Window of the resource metrics the HPA reads (metrics-server), seconds.
    #[serde(default = "default_metrics_window")]
    pub metrics_window_s: u32,
}

fn default_metrics_window() -> u32 {
    30
}

/// AWS Application Auto Scaling target tracking.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetTracking {
    pub metric: MetricSource,
    pub target: f64,
    /// AWS's default cooldown is 300 s for both directions.
    #[serde(default = "default_cooldown")]
    pub scale_out_cooldown_s: f64,
    #[serde(default = "default_cooldown")]
    pub scale_in_cooldown_s: f64,
    #[serde(default)]
    pub disable_scale_in: bool,
}

fn default_cooldown() -> f64 {
    300.0
}

/// A scheduled action (EC2/ECS scheduled scaling), cron in the scenario's time zone.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    #[serde(default)]
    pub name: Option<String>,
    pub cron: String,
    #[serde(default)]
    pub min: Option<u32>,
    #[serde(default)]
    pub max: Option<u32>,
    #[serde(default)]
    pub desired: Option<u32>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fixed {
    #[serde(default)]
    pub rds: Option<Rds>,
    #[serde(default)]
    pub elasticache: Option<ElastiCache>,
    #[serde(default)]
    pub nat_gateways: Option<u32>,
    /// Bytes per request processed by the NAT gateways (0 = hourly charge only).
    #[serde(default)]
    pub nat_bytes_per_request: f64,
    #[serde(default)]
    pub alb: Option<Alb>,
    #[serde(default)]
    pub s3: Option<S3>,
    /// CloudWatch Logs ingested per request (Standard class).
    #[serde(default)]
    pub log_bytes_per_request: Option<f64>,
}

/// Application Load Balancers in front of the service.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Alb {
    #[serde(default = "one")]
    pub count: u32,
    /// Request plus response bytes, for the processed-bytes LCU dimension.
    #[serde(default)]
    pub bytes_per_request: f64,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum S3Class {
    Standard,
    StandardIa,
}

fn default_s3_class() -> S3Class {
    S3Class::Standard
}

/// Data kept in S3 (GB, constant over the run).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3 {
    pub storage_gb: f64,
    #[serde(default = "default_s3_class")]
    pub class: S3Class,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rds {
    pub class: String,
    #[serde(default)]
    pub multi_az: bool,
    #[serde(default)]
    pub storage_gb: f64,
    #[serde(default)]
    pub read_replicas: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ElastiCache {
    pub node_type: String,
    #[serde(default = "one")]
    pub nodes: u32,
    /// `redis` (Redis OSS; Memcached is priced the same) or `valkey`.
    #[serde(default = "default_cache_engine")]
    pub engine: String,
}

fn default_cache_engine() -> String {
    "redis".into()
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum TokenDist {
    Constant { mean: f64 },
    Exponential { mean: f64 },
    Lognormal { mean: f64, cv: f64 },
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Llm {
    #[serde(default)]
    pub fraction: f64,
    #[serde(default)]
    pub tokens_in: Option<TokenDist>,
    #[serde(default)]
    pub tokens_out: Option<TokenDist>,
    #[serde(default)]
    pub strategy: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub disabled: Vec<String>,
    #[serde(default)]
    pub session_limit_usd: Option<f64>,
    #[serde(default)]
    pub daily_limit_usd: Option<f64>,
    #[serde(default)]
    pub on_limit: Option<String>,
    /// Mean requests per session when the trace has no `session` column.
    #[serde(default)]
    pub requests_per_session: Option<f64>,
    /// A trace's session ends after this many seconds without a request
    /// (default 28800, 8 h: the seeds' `SESSION_TIMEOUT=8h`); the id seen
    /// again later starts a new session with nothing spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_timeout_s: Option<f64>,
    /// The AWS region of the Bedrock endpoint the service calls (and whose
    /// prices apply); default: the scenario's `region`.
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BudgetAlert {
    pub threshold_pct: f64,
    pub kind: AlertKind,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub monthly_usd: f64,
    #[serde(default)]
    pub alerts: Vec<BudgetAlert>,
    /// Hours between evaluations (default 8).
    #[serde(default)]
    pub evaluation_interval_h: Option<f64>,
    /// Per-service budgets (e.g. the seeds' "EC2 budget").
    #[serde(default)]
    pub services: Vec<ServiceBudget>,
}

/// A budget over one part of the cost.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceBudget {
    #[serde(default)]
    pub name: Option<String>,
    /// compute (EC2, ECS, Fargate), database (RDS), cache, network, load_balancer, storage, llm.
    pub service: String,
    pub monthly_usd: f64,
    /// Defaults to the monthly budget's alerts.
    #[serde(default)]
    pub alerts: Vec<BudgetAlert>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    #[serde(default = "default_p95")]
    pub p95_ms: f64,
    #[serde(default = "default_availability")]
    pub availability: f64,
    /// The window the p95 is also judged over: whole minutes (`1m`, `5m`,
    /// `1h`), counted from the trace's start.
    #[serde(default = "default_window")]
    pub window: String,
    /// The share of windows (with requests) whose p95 must be within
    /// `p95_ms` for the SLO to be met, %.
    #[serde(default = "default_windows_met_pct")]
    pub windows_met_pct: f64,
}

impl Slo {
    /// `window` in minutes (validated: a whole number ≥ 1; 1 if not).
    pub fn window_minutes(&self) -> u32 {
        parse_window_minutes(&self.window).unwrap_or(1)
    }

    /// The windowed verdict holds: `windows_met_pct` of the windows with
    /// requests kept their p95 within the target (no window with requests: holds).
    pub fn windows_met(&self, met_pct: Option<f64>) -> bool {
        met_pct.is_none_or(|p| p >= self.windows_met_pct)
    }

    /// A run's (or a sweep point's mean) p95 is within the target; no
    /// latency (nothing served) or NaN misses it.
    pub fn p95_met(&self, p95_ms: Option<f64>) -> bool {
        p95_ms.is_some_and(|p| p <= self.p95_ms)
    }

    /// Availability at least the target.
    pub fn availability_met(&self, availability: f64) -> bool {
        availability >= self.availability
    }
}

fn default_p95() -> f64 {
    500.0
}
fn default_availability() -> f64 {
    0.99
}
fn default_window() -> String {
    "1m".into()
}
fn default_windows_met_pct() -> f64 {
    99.0
}

/// `slo.window` in minutes: a duration that is a whole number of minutes ≥ 1
/// (the timeline's rows are minutes).
pub fn parse_window_minutes(text: &str) -> Result<u32, String> {
    let s = crate::units::parse_duration_secs(text)?;
    let m = s / 60.0;
    if m >= 1.0 && m.fract() == 0.0 && m <= 1e6 {
        Ok(m as u32)
    } else {
        Err(format!(
            "`{text}` is not a whole number of minutes ≥ 1 (SLO windows are made of the timeline's 1-minute rows): use e.g. \"1m\", \"5m\" or \"1h\""
        ))
    }
}

impl Default for Slo {
    fn default() -> Self {
        Slo {
            p95_ms: default_p95(),
            availability: default_availability(),
            window: default_window(),
            windows_met_pct: default_windows_met_pct(),
        }
    }
}

pub use crate::model::cluster::{CapacityType, Delay, Expander, Placement, Reserved};

/// `[cluster]`: nodes, their groups and the node autoscaler (DESIGN §9).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// `eks` (billed per cluster-hour) or `none` (default: `eks` on
    /// Kubernetes, `none` on ECS, which has no control-plane fee).
    #[serde(default)]
    pub control_plane: Option<String>,
    /// cluster-autoscaler | karpenter | ecs-managed-scaling | none.
    #[serde(default = "default_node_autoscaler")]
    pub autoscaler: String,
    /// Instance launch to node Ready.
    #[serde(default = "default_provisioning")]
    pub provisioning_s: Delay,
    /// Requested on every node besides the service's pods.
    #[serde(default)]
    pub daemonset: Option<PodSize>,
    /// Other workloads' pods, static.
    #[serde(default)]
    pub other_pods: Vec<OtherPods>,
    /// `eks` (default on Kubernetes), `ecs` (default on ECS) or `none`.
    #[serde(default)]
    pub reserved: Option<Reserved>,
    #[serde(default)]
    pub placement: Option<Placement>,
    #[serde(default)]
    pub node_groups: Vec<NodeGroup>,
    #[serde(default)]
    pub cluster_autoscaler: Option<ClusterAutoscaler>,
    #[serde(default)]
    pub karpenter: Option<Karpenter>,
    #[serde(default)]
    pub ecs_managed_scaling: Option<EcsManagedScaling>,
}

fn default_node_autoscaler() -> String {
    "cluster-autoscaler".into()
}
fn default_provisioning() -> Delay {
    // assumed: EC2 launch + EKS bootstrap + node Ready, about 75 s (DESIGN §9's example).
    Delay::Dist(crate::model::cluster::DelayDist::Lognormal {
        mean_s: 75.0,
        cv: 0.3,
    })
}

/// Requests of a pod (or of a node's daemonset pods together).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PodSize {
    pub cpu: f64,
    pub memory_gb: f64,
    /// Pods it counts against the node's max pods (daemonset: default 2,
    /// aws-node and kube-proxy).
    #[serde(default)]
    pub pods: Option<u32>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OtherPods {
    pub cpu: f64,
    pub memory_gb: f64,
    pub count: u32,
    /// The node group they run in (default: any group).
    #[serde(default)]
    pub group: Option<String>,
}

/// `[[cluster.node_groups]]`: an EKS managed node group / an Auto Scaling group.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    pub name: String,
    pub instance_types: Vec<String>,
    pub min: u32,
    pub max: u32,
    #[serde(default)]
    pub desired: Option<u32>,
    #[serde(default)]
    pub capacity_type: CapacityType,
    #[serde(default)]
    pub on_demand_base: u32,
    #[serde(default = "hundred")]
    pub on_demand_percentage_above_base: u32,
    /// Whether the service's pods may run here (false: the group is tainted
    /// for other workloads).
    #[serde(default = "yes")]
    pub service: bool,
    /// The priority expander's priority (higher wins).
    #[serde(default)]
    pub priority: i32,
    /// Spot interruption notices per node-hour (default: the Spot Advisor's
    /// bucket for the type and region, else 5 % a month).
    #[serde(default)]
    pub interruptions_per_hour: Option<f64>,
}

fn hundred() -> u32 {
    100
}
fn yes() -> bool {
    true
}

/// `[cluster.cluster_autoscaler]`: flags as the cluster autoscaler names them
/// (seconds instead of durations); defaults are upstream's.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterAutoscaler {
    #[serde(default = "ten")]
    pub scan_interval_s: f64,
    #[serde(default)]
    pub expander: Option<String>,
    #[serde(default = "half")]
    pub scale_down_utilization_threshold: f64,
    #[serde(default = "six_hundred")]
    pub scale_down_unneeded_time_s: f64,
    #[serde(default = "six_hundred")]
    pub scale_down_delay_after_add_s: f64,
    #[serde(default)]
    pub scale_down_delay_after_delete_s: Option<f64>,
    #[serde(default = "one_eighty")]
    pub scale_down_delay_after_failure_s: f64,
    #[serde(default = "nine_hundred")]
    pub max_node_provision_time_s: f64,
    #[serde(default)]
    pub balance_similar_node_groups: bool,
    #[serde(default = "ten_u")]
    pub max_empty_bulk_delete: u32,
    #[serde(default = "true_")]
    pub scale_down_enabled: bool,
}

impl Default for ClusterAutoscaler {
    fn default() -> Self {
        toml::from_str("").expect("defaults")
    }
}

fn ten() -> f64 {
    10.0
}
fn ten_u() -> u32 {
    10
}
fn half() -> f64 {
    0.5
}
fn six_hundred() -> f64 {
    600.0
}
fn one_eighty() -> f64 {
    180.0
}
fn nine_hundred() -> f64 {
    900.0
}
fn true_() -> bool {
    true
}

/// `[cluster.karpenter]`: one NodePool.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Karpenter {
    pub instance_types: Vec<String>,
    #[serde(default = "default_capacity_types")]
    pub capacity_types: Vec<String>,
    #[serde(default = "default_consolidation")]
    pub consolidation_policy: String,
    #[serde(default)]
    pub consolidate_after_s: f64,
    #[serde(default = "ten_pct")]
    pub disruption_budget_nodes_pct: u32,
    #[serde(default = "one_f")]
    pub batch_idle_s: f64,
    #[serde(default = "ten")]
    pub batch_max_s: f64,
    /// Spot interruption notices per node-hour (default: the Spot Advisor's
    /// bucket for each type and region, else 5 % a month).
    #[serde(default)]
    pub interruptions_per_hour: Option<f64>,
}

fn default_capacity_types() -> Vec<String> {
    vec!["on_demand".into()]
}
fn default_consolidation() -> String {
    "WhenEmptyOrUnderutilized".into()
}
fn ten_pct() -> u32 {
    10
}
fn one_f() -> f64 {
    1.0
}

/// `[cluster.ecs_managed_scaling]`: an ECS capacity provider's managed scaling.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EcsManagedScaling {
    #[serde(default = "hundred")]
    pub target_capacity_pct: u32,
    #[serde(default = "one")]
    pub minimum_scaling_step_size: u32,
    #[serde(default = "ten_thousand")]
    pub maximum_scaling_step_size: u32,
    #[serde(default = "three_hundred")]
    pub instance_warmup_s: f64,
}

fn ten_thousand() -> u32 {
    10_000
}
fn three_hundred() -> f64 {
    300.0
}
