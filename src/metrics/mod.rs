//! What a run produces: bounded-memory latency histograms, the per-minute
//! timeline, scaling events, alerts and the one-row summary. Plain data; the
//! report module writes it out.

pub mod histogram;
pub mod table;

pub use histogram::{LatencyHistogram, SparseHistogram, WeightedHistogram};

/// A quantile of a latency histogram (µs) in ms, `None` when empty.
pub fn quantile_ms(h: &LatencyHistogram, q: f64) -> Option<f64> {
    h.quantile(q).map(crate::units::us_to_ms)
}

/// One SLO window (`slo.window`, whole minutes from the trace's start; the
/// last may be shorter): its requests and the p95 of its served latencies.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SloWindow {
    pub t_s: u64,
    pub len_s: f64,
    pub arrived: u64,
    pub served: u64,
    pub dropped: u64,
    pub rejected: u64,
    pub served_within_slo: u64,
    pub p95_ms: Option<f64>,
}

/// Folds timeline minutes into SLO windows of `per` minutes (the engine's
/// rows, or a multi-region run's merged rows with their merged histograms).
pub struct WindowAcc {
    per: u32,
    minutes: u32,
    /// The window's latencies (only when a window spans several minutes).
    hist: Option<LatencyHistogram>,
    /// The window's latencies in a fluid run (several minutes per window).
    whist: Option<WeightedHistogram>,
    cur: SloWindow,
    pub windows: Vec<SloWindow>,
}

impl WindowAcc {
    pub fn new(per_minutes: u32) -> WindowAcc {
        let per = per_minutes.max(1);
        WindowAcc {
            per,
            minutes: 0,
            hist: (per > 1).then(LatencyHistogram::new),
            whist: None,
            cur: SloWindow::default(),
            windows: Vec::new(),
        }
    }

    /// Adds a closed minute: its row and its latencies.
    pub fn add_minute(&mut self, row: &TimelineRow, minute: &LatencyHistogram) {
        self.count_minute(row);
        match &mut self.hist {
            Some(h) => {
                h.add(minute);
                if self.minutes == self.per {
                    self.close();
                }
            }
            None => {
                // A one-minute window is the row: its p95 is the row's.
                self.cur.p95_ms = row.latency_p95_ms;
                self.close();
            }
        }
    }

    /// [`add_minute`](Self::add_minute) for a fluid run's weighted latencies.
    pub fn add_minute_weighted(&mut self, row: &TimelineRow, minute: &WeightedHistogram) {
        self.count_minute(row);
        if self.per == 1 {
            self.cur.p95_ms = row.latency_p95_ms;
            self.close();
            return;
        }
        self.hist = None;
        self.whist
            .get_or_insert_with(WeightedHistogram::new)
            .add(minute);
        if self.minutes == self.per {
            self.close();
        }
    }

    fn count_minute(&mut self, row: &TimelineRow) {
        if self.minutes == 0 {
            self.cur = SloWindow {
                t_s: row.t_s,
                ..SloWindow::default()
            };
        }
        let c = &mut self.cur;
        c.len_s += row.len_s;
        c.arrived += row.arrived;
        c.served += row.served;
        c.dropped += row.dropped;
        c.rejected += row.rejected;
        c.served_within_slo += row.served_within_slo;
        self.minutes += 1;
    }

    fn close(&mut self) {
        if let Some(h) = &mut self.hist {
            self.cur.p95_ms = quantile_ms(h, 0.95);
            h.reset();
        }
        if let Some(h) = &mut self.whist {
            self.cur.p95_ms = h.quantile(0.95).map(crate::units::us_to_ms);
            h.reset();
        }
        self.windows.push(std::mem::take(&mut self.cur));
        self.minutes = 0;
    }

    /// The windows, the last (partial) one closed.
    pub fn finish(mut self) -> Vec<SloWindow> {
        if self.minutes > 0 {
            self.close();
        }
        self.windows
    }
}

/// The windowed verdict of a run: windows that had requests, how many of them
/// kept their p95 within the target, the worst window, and the value that
/// `met_pct` % of the windows stay within (a windowed SLO with target T holds
/// exactly when that value is ≤ T, so a plan can judge any target from it).
#[derive(Clone, Debug, PartialEq)]
pub struct WindowVerdict {
    pub windows: usize,
    pub met: usize,
    /// Windows that missed, in time order.
    pub missed: Vec<usize>,
    /// `None` when no window had requests.
    pub met_pct: Option<f64>,
    /// The highest window p95 (infinite: a window had requests, none served).
    pub worst_p95_ms: Option<f64>,
    pub quantile_p95_ms: Option<f64>,
}

impl SloWindow {
    /// Whether the window counts: requests arrived or finished in it.
    pub fn counts(&self) -> bool {
        self.arrived + self.served + self.dropped + self.rejected > 0
    }

    /// Its p95 for judging: a window with requests and none served has an
    /// infinite p95 (nothing was answered in time).
    pub fn judged_p95_ms(&self) -> f64 {
        self.p95_ms.unwrap_or(f64::INFINITY)
    }
}

/// Judges `windows` against a p95 target (ms), with `required_pct` % of the
/// windows that have requests needing to hold.
pub fn judge_windows(windows: &[SloWindow], target_ms: f64, required_pct: f64) -> WindowVerdict {
    let counted: Vec<(usize, f64)> = windows
        .iter()
        .enumerate()
        .filter(|(_, w)| w.counts())
        .map(|(i, w)| (i, w.judged_p95_ms()))
        .collect();
    let n = counted.len();
    let missed: Vec<usize> = counted
        .iter()
        .filter(|(_, p)| {
            // Missed: above the target, or NaN.
            !matches!(
                p.partial_cmp(&target_ms),
                Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
            )
        })
        .map(|(i, _)| *i)
        .collect();
    let met = n - missed.len();
    let mut sorted: Vec<f64> = counted.iter().map(|(_, p)| *p).collect();
    sorted.sort_by(f64::total_cmp);
    // The smallest k with 100·k/n ≥ required: k windows at or below
    // sorted[k-1] meet any target ≥ it.
    let quantile = (n > 0).then(|| {
        let mut k = ((required_pct / 100.0) * n as f64).ceil().max(1.0) as usize;
        while k > 1 && 100.0 * (k - 1) as f64 / n as f64 >= required_pct {
            k -= 1;
        }
        while k < n && 100.0 * (k as f64) / (n as f64) < required_pct {
            k += 1;
        }
        sorted[k.min(n) - 1]
    });
    WindowVerdict {
        windows: n,
        met,
        missed,
        met_pct: (n > 0).then(|| 100.0 * met as f64 / n as f64),
        worst_p95_ms: sorted.last().copied(),
        quantile_p95_ms: quantile,
    }
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
    /// Requests served within the SLO's latency target (`slo.p95_ms`).
    pub served_within_slo: u64,
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
    /// Means per ready pod over the minute (runs with a usage model only).
    pub usage: Option<UsageRow>,
}

/// The usage model's timeline columns: means per ready pod over a minute.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct UsageRow {
    pub cpu_usage_milli: f64,
    pub cpu_request_milli: f64,
    pub memory_usage_mb: f64,
    pub memory_request_mb: f64,
    /// Share of ready-pod time spent with CPU demand above the limit, %.
    pub cpu_throttled_pct: f64,
}

/// The usage model's summary columns.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct UsageSummary {
    pub oom_kills: u64,
    pub vpa_evictions: u64,
    pub vpa_resizes: u64,
    pub cpu_throttled_pct: f64,
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

/// One usage sample the recommender took (a row of `vpa_samples.csv`, the
/// input of `meshsim vpa explain`): a pod's CPU over the last minute and its
/// memory now, or (with `oom_request_mb`) an OOM kill of a container whose
/// memory request was that.
#[derive(Clone, Debug, PartialEq)]
pub struct VpaSample {
    pub t_us: u64,
    pub pod: String,
    pub cpu_cores: Option<f64>,
    pub memory_mb: Option<f64>,
    pub oom_request_mb: Option<f64>,
}

/// The VPA's recommendation at one recommender loop (`vpa.csv`): capped
/// target and bounds, the uncapped target, the confidence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VpaRow {
    pub t_us: u64,
    pub pods_sampled: u32,
    pub target_cpu_milli: f64,
    pub lower_cpu_milli: f64,
    pub upper_cpu_milli: f64,
    pub target_memory_mb: f64,
    pub lower_memory_mb: f64,
    pub upper_memory_mb: f64,
    pub uncapped_target_cpu_milli: f64,
    pub uncapped_target_memory_mb: f64,
    pub confidence_days: f64,
}

/// One scaling decision (a row of `scaling.csv`).
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
    /// Served within the SLO's latency target (`slo.p95_ms`).
    pub requests_within_slo: u64,
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
    /// Ready replicas integrated over time (replica-seconds): the capacity
    /// that served, without pending and draining replicas.
    pub ready_replica_seconds: f64,
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
    /// The usage model's counts (runs with one only).
    pub usage: Option<UsageSummary>,
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

    /// Goodput: requests served within the latency target / arrived, %
    /// (dropped, rejected and still-unanswered requests count as failures).
    pub fn requests_within_slo_pct(&self) -> Option<f64> {
        (self.requests_arrived > 0)
            .then(|| 100.0 * self.requests_within_slo as f64 / self.requests_arrived as f64)
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
    /// The SLO windows (`slo.window`).
    pub windows: Vec<SloWindow>,
    /// A multi-region run's regions, each a run of its own.
    pub regions: Vec<RegionOutcome>,
    /// Every node of the run (runs on nodes only).
    pub nodes: Vec<NodeRecord>,
    /// The autoscaler's sync asked for by `SimConfig::explain_at_us`.
    pub explained: Option<ExplainedSync>,
    /// The VPA's recommendation at each recommender loop (runs with a VPA).
    pub vpa: Vec<VpaRow>,
    /// Every usage sample the VPA's recommender took, in order
    /// (`vpa_samples.csv`, the input of `meshsim vpa explain`).
    pub vpa_samples: Vec<VpaSample>,
}

/// What the autoscaler saw and decided at one sync (`meshsim explain`).
#[derive(Clone, Debug, PartialEq)]
pub struct ExplainedSync {
    pub t_us: u64,
    /// The policy (`hpa`, `keda`, `target_tracking`).
    pub autoscaler: String,
    /// Replicas asked for before the sync.
    pub desired_before: u32,
    /// The bounds at the sync (scheduled actions move them).
    pub min: u32,
    pub max: u32,
    /// The policy's answer, when it wanted a change: (by, desired, reason).
    pub decided: Option<(String, u32, String)>,
    /// Replicas asked for after the sync.
    pub desired_after: u32,
    /// The policy's record of its inputs.
    pub detail: Option<serde_json::Value>,
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
