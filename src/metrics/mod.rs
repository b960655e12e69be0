//! What a run produces: bounded-memory latency histograms, the per-minute
//! timeline, scaling events, alerts and the one-row summary. Plain data; the
//! report module writes it out.

pub mod histogram;
pub mod table;

pub use histogram::{LatencyHistogram, SparseHistogram};

/// A quantile of a latency histogram (µs) in ms, `None` when empty.
pub fn quantile_ms(h: &LatencyHistogram, q: f64) -> Option<f64> {
    h.quantile(q).map(crate::units::us_to_ms)
}

/// Always-on costs by component (cumulative where used in the timeline).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FixedCost {
    pub database_usd: f64,
    pub cache_usd: f64,
    pub network_usd: f64,
    pub load_balancer_usd: f64,
    pub storage_usd: f64,
}

impl FixedCost {
    pub fn total(&self) -> f64 {
        self.database_usd
            + self.cache_usd
            + self.network_usd
            + self.load_balancer_usd
            + self.storage_usd
    }
    pub fn plus(&self, o: &FixedCost) -> FixedCost {
        FixedCost {
            database_usd: self.database_usd + o.database_usd,
            cache_usd: self.cache_usd + o.cache_usd,
            network_usd: self.network_usd + o.network_usd,
            load_balancer_usd: self.load_balancer_usd + o.load_balancer_usd,
            storage_usd: self.storage_usd + o.storage_usd,
        }
    }
}

/// One row per minute of simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineRow {
    pub t_s: u64,
    /// Length of this row's interval (60 s except possibly the last).
    pub len_s: f64,
    pub arrived: u64,
    pub served: u64,
    pub dropped: u64,
    pub rejected: u64,
    /// Replica counts at the end of the minute.
    pub replicas_ready: u32,
    pub replicas_total: u32,
    pub replicas_desired: u32,
    pub replicas_spot: u32,
    /// Busy slots / ready slots over the minute (0 without ready capacity).
    pub cpu_util: f64,
    /// Time-averaged number of waiting requests over the minute.
    pub queue_depth: f64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    /// Cumulative cost at the end of the minute (compute: on-demand and spot).
    pub cost_compute_usd: f64,
    /// The spot part of `cost_compute_usd`.
    pub cost_compute_spot_usd: f64,
    pub fixed: FixedCost,
    pub cost_llm_usd: f64,
    /// Cumulative EKS control-plane cost (0 without a cluster).
    pub cost_control_plane_usd: f64,
    /// The node layer at the end of the minute (runs on nodes only).
    pub nodes: Option<NodeTimeline>,
}

/// The node columns of one timeline row (DESIGN §9).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NodeTimeline {
    pub nodes_ready: u32,
    /// Launching, ready and being removed (billed).
    pub nodes_total: u32,
    pub pods_unschedulable: u32,
    /// Requests on Ready nodes / their allocatable, %.
    pub node_cpu_requested_pct: f64,
    pub node_memory_requested_pct: f64,
    /// Nodes per (group, purchase option): index `group × 2 + spot`, the
    /// last pair Karpenter's (see [`NodeSummary::groups`]).
    pub by_group_purchase: Vec<u32>,
}

/// The node columns of the summary (DESIGN §9).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NodeSummary {
    pub nodes_mean: f64,
    pub nodes_max: u32,
    pub node_hours_on_demand: f64,
    pub node_hours_spot: f64,
    pub cost_nodes_usd: f64,
    pub cost_nodes_spot_usd: f64,
    pub cost_control_plane_usd: f64,
    pub pods_unschedulable_seconds: f64,
    /// max(CPU, memory) of requested / allocatable over node-time.
    pub request_utilization_mean: f64,
    pub request_utilization_cpu: f64,
    pub request_utilization_memory: f64,
    pub node_interruptions: u64,
    /// Names of the groups, in [`NodeTimeline::by_group_purchase`] order.
    pub groups: Vec<String>,
    /// Pod-hours of the service (created to stopped).
    pub pod_hours: f64,
    /// The same pod-hours as Fargate tasks: cost and task size.
    pub fargate_equivalent: Option<(f64, String)>,
}

/// One node of a run (`nodes.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeRecord {
    pub node: u32,
    pub group: String,
    pub instance_type: String,
    pub purchase_option: String,
    pub launched_us: u64,
    /// None: it never became Ready.
    pub ready_us: Option<u64>,
    pub removed_us: Option<u64>,
    pub reason: String,
    pub usd_per_hour: f64,
    /// Billed for the run: per second, 60 s minimum once removed; a node still
    /// running at the end for its time inside the run (the meter's rule).
    pub cost_usd: f64,
}

impl TimelineRow {
    pub fn cost_fixed_usd(&self) -> f64 {
        self.fixed.total()
    }
    pub fn cost_total_usd(&self) -> f64 {
        self.cost_compute_usd + self.fixed.total() + self.cost_llm_usd + self.cost_control_plane_usd
    }
}

/// Whether a `scaling.csv` autoscaler is a node autoscaler (its `from` and
/// `to` count nodes, not replicas). Multi-region names (`region/kind`) too.
pub fn is_node_layer(autoscaler: &str) -> bool {
    matches!(
        autoscaler.rsplit('/').next(),
        Some("cluster-autoscaler" | "karpenter" | "ecs-managed-scaling")
    )
}

/// One scaling decision.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingEvent {
    pub t_us: u64,
    pub autoscaler: String,
    pub from: u32,
    pub to: u32,
    pub recommendation: u32,
    pub reason: String,
}

/// A budget alert or an LLM limit hit.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRow {
    pub t_us: u64,
    pub kind: String,
    pub name: String,
    pub threshold: Threshold,
    pub value: f64,
    /// Fired in the part of the budget period past the trace's end (projected).
    pub projected: bool,
}

/// What an alert compared with: a budget's percentage of its amount, or an
/// LLM limit in USD.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    Percent(f64),
    Usd(f64),
}

impl Threshold {
    /// The number, in its own unit (the `threshold` column of `alerts.csv`).
    pub fn value(self) -> f64 {
        match self {
            Threshold::Percent(v) | Threshold::Usd(v) => v,
        }
    }
}

/// The run in one row (`summary.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub sim_seconds: f64,
    pub requests_arrived: u64,
    pub requests_served: u64,
    pub requests_dropped: u64,
    pub requests_rejected: u64,
    pub requests_in_flight: u64,
    pub latency_mean_ms: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p90_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub latency_max_ms: Option<f64>,
    /// Mean time from arrival to start of service over started requests.
    pub wait_mean_ms: Option<f64>,
    /// Share of started requests that waited at all.
    pub wait_probability: Option<f64>,
    pub requests_started: u64,
    pub replica_hours_on_demand: f64,
    pub replica_hours_spot: f64,
    pub replicas_mean: f64,
    pub replicas_max: u32,
    pub spot_interruptions: u64,
    /// Compute, on-demand and spot together.
    pub cost_compute_usd: f64,
    /// The spot part of `cost_compute_usd`.
    pub cost_compute_spot_usd: f64,
    pub fixed: FixedCost,
    pub cost_llm_usd: f64,
    pub llm_calls: u64,
    pub llm_tokens_in: u64,
    pub llm_tokens_out: u64,
    pub llm_rejected: u64,
    pub llm_downgraded: u64,
    /// What the same calls would have cost without the limits.
    pub llm_cost_unlimited_usd: f64,
    /// Cost by model id.
    pub llm_cost_by_model: Vec<(String, f64)>,
    pub budget_alerts_fired: u64,
    /// Alerts that fire in the projected part of the budget month.
    pub budget_alerts_projected: u64,
    /// The node layer's columns (runs on nodes only).
    pub nodes: Option<NodeSummary>,
}

impl Summary {
    pub fn cost_fixed_usd(&self) -> f64 {
        self.fixed.total()
    }

    pub fn cost_total_usd(&self) -> f64 {
        self.cost_compute_usd
            + self.fixed.total()
            + self.cost_llm_usd
            + self
                .nodes
                .as_ref()
                .map_or(0.0, |n| n.cost_control_plane_usd)
    }

    /// Served / (served + dropped + rejected): the share of requests whose fate
    /// is known that were answered. 1 when no request finished its fate.
    pub fn availability(&self) -> f64 {
        let decided = self.requests_served + self.requests_dropped + self.requests_rejected;
        if decided == 0 {
            1.0
        } else {
            self.requests_served as f64 / decided as f64
        }
    }
}

/// Everything one run produces.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub summary: Summary,
    pub timeline: Vec<TimelineRow>,
    pub scaling: Vec<ScalingEvent>,
    pub alerts: Vec<AlertRow>,
    /// Latencies of the whole run (the summary's percentiles come from it).
    pub latency: LatencyHistogram,
    /// Each timeline row's latencies, when the run kept them (multi-region
    /// runs, whose timelines are merged).
    pub minute_latency: Vec<SparseHistogram>,
    /// A multi-region run's regions, each a run of its own.
    pub regions: Vec<RegionOutcome>,
    /// Every node of the run (runs on nodes only).
    pub nodes: Vec<NodeRecord>,
}

/// One region of a multi-region run.
#[derive(Clone, Debug)]
pub struct RegionOutcome {
    pub name: String,
    /// The AWS region its prices come from.
    pub aws_region: String,
    /// Share of the traffic while every region is up.
    pub weight: f64,
    /// Outages, seconds since the trace start (end `None`: no recovery).
    pub outages_s: Vec<(f64, Option<f64>)>,
    pub outcome: RunOutcome,
}
