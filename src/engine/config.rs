//! What one simulation is given: the pool, the service, the scaling plan,
//! prices and the trace's shape (all validated before).

use super::*;

/// Everything the engine needs, resolved from a scenario and a trace.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub concurrency: u32,
    pub service: ServiceDist,
    pub startup_us: u64,
    pub timeout_us: u64,
    pub queue_limit: u64,
    /// Desired replica count over time: `(t_us, replicas)`, sorted by time.
    /// Replicas of a step at t = 0 are ready at once (the service is already
    /// running when the trace begins); later ones start pending.
    pub capacity_steps: Vec<(u64, u32)>,
    pub capacity_reason: String,
    /// Autoscaling: bounds, policy and scheduled actions.
    pub scaling: ScalingPlan,
    /// Spot capacity (ECS capacity-provider strategy), if any.
    pub spot: Option<SpotPlan>,
    /// Bedrock calls made while serving requests, if any.
    pub llm: Option<crate::model::llm::LlmPlan>,
    pub usd_per_hour: f64,
    pub memory: MemoryModel,
    pub trace_kind: TraceKind,
    pub median_interval_us: u64,
    pub end_us: u64,
    pub arrivals: ArrivalProcess,
    /// Seconds of metric history kept for autoscalers.
    pub metrics_window_s: usize,
    /// Region outages `(start_us, end_us)` (end `u64::MAX`: no recovery),
    /// sorted and disjoint. At the start every replica stops (billing ends;
    /// requests in service or waiting are dropped) and the autoscaler's
    /// decisions are ignored; arrivals during an outage are rejected. At the
    /// end the replica count before the outage is started again (cold).
    pub outages: Vec<(u64, u64)>,
    /// Keep each minute's latency histogram (sparse) in the outcome, so that
    /// the timelines of several runs (regions) can be merged exactly.
    pub keep_minute_histograms: bool,
    /// The nodes under the replicas (`kubernetes`, `ecs-ec2`): pods wait for
    /// room on a node, nodes are billed instead of replicas.
    pub cluster: Option<crate::model::cluster::ClusterPlan>,
    /// The SLO's latency target: requests served within it are counted
    /// (goodput, `requests_within_slo`).
    pub slo_target_us: u64,
    /// Minutes per SLO window (`slo.window`).
    pub slo_window_minutes: u32,
    /// Record the autoscaler's last sync at or before this time
    /// (`meshsim explain`; the run is otherwise unchanged).
    pub explain_at_us: Option<u64>,
    /// The usage model (CPU and memory against requests and limits); `None`:
    /// the `cpu` metric is busy slots over slots, as before it existed.
    pub usage: Option<crate::model::resources::UsagePlan>,
    /// A VerticalPodAutoscaler on the pods (needs `usage`).
    pub vpa: Option<crate::model::vpa::VpaSpec>,
    /// Run the fluid screen (per-second model, `fluid.rs`) instead of the
    /// request-level engine.
    pub fluid: bool,
}

impl SimConfig {
    /// A fixed pool on a constant-shape rate trace of `span_s` seconds:
    /// `replicas` warm replicas of `concurrency` slots, no timeouts and no queue
    /// limit, $1 per replica-hour, Poisson arrivals. The building block of the
    /// queueing tests, examples and benchmarks; adjust fields as needed.
    pub fn fixed_pool(
        replicas: u32,
        concurrency: u32,
        service: ServiceDist,
        span_s: u64,
    ) -> SimConfig {
        SimConfig {
            concurrency,
            service,
            startup_us: 30 * US_PER_SEC,
            timeout_us: u64::MAX / 4,
            queue_limit: u64::MAX,
            capacity_steps: vec![(0, replicas)],
            capacity_reason: "fixed pool".into(),
            scaling: ScalingPlan::fixed(),
            spot: None,
            llm: None,
            usd_per_hour: 1.0,
            memory: MemoryModel {
                base_mb: 128.0,
                per_request_mb: 8.0,
                request_mb: 512.0,
            },
            trace_kind: TraceKind::Rate,
            median_interval_us: span_s * US_PER_SEC,
            end_us: span_s * US_PER_SEC,
            arrivals: ArrivalProcess::Poisson,
            metrics_window_s: 900,
            outages: Vec::new(),
            keep_minute_histograms: false,
            cluster: None,
            // The default `[slo]`: p95 ≤ 500 ms over 1-minute windows.
            slo_target_us: 500 * US_PER_MS,
            slo_window_minutes: 1,
            explain_at_us: None,
            usage: None,
            vpa: None,
            fluid: false,
        }
    }
}

impl SimConfig {
    /// The same pool under a Kubernetes HPA on CPU utilisation (`target_pct`)
    /// between `min` and `max` replicas, 1 CPU requested per pod, default
    /// controller options: the HPA benchmark's and example's configuration.
    pub fn with_cpu_hpa(mut self, min: u32, max: u32, target_pct: u32) -> SimConfig {
        use crate::model::autoscaler::hpa::spec::{HpaSpec, MetricSpec, ResourceName, Target};
        let spec = HpaSpec {
            name: "cpu-hpa".into(),
            min_replicas: min as i32,
            max_replicas: max as i32,
            metrics: vec![MetricSpec::Resource {
                resource: ResourceName::Cpu,
                target: Target::Utilization(target_pct as i32),
            }],
            behavior: None,
        };
        self.scaling = ScalingPlan {
            min,
            max,
            policy: PolicySpec::Hpa(Box::new(HpaPolicySpec {
                spec,
                controller: Default::default(),
                sources: Default::default(),
                cpu_request_milli: 1000,
                memory_request_bytes: 512 << 20,
                metrics_window_s: 30,
            })),
            schedule: Vec::new(),
        };
        self
    }
}

impl SimConfig {
    /// The same pool on EKS nodes: each replica a pod of 1 vCPU / 1 GiB on an
    /// m5.large node group (1930m allocatable: one pod per node) sized for
    /// `nodes` at the start, under the cluster autoscaler with its defaults and
    /// a constant 60 s provisioning delay; billed per node. The HPA
    /// benchmark's node-layer variant.
    pub fn with_nodes(mut self, nodes: u32) -> SimConfig {
        use crate::model::cluster::*;
        let spec = instance("m5.large").expect("m5.large is in the catalogue");
        self.cluster = Some(ClusterPlan {
            pod: Res::pod(1.0, 1.0),
            daemonset: Res::ZERO,
            other_pods: Vec::new(),
            placement: Placement::LeastAllocated,
            types: vec![NodeType {
                name: spec.name.clone(),
                allocatable: allocatable(spec, Reserved::Eks),
                vcpu: spec.vcpu,
                memory_gib: spec.memory_gib,
                on_demand_usd: spec.on_demand_usd.unwrap_or(0.0),
                spot_usd: spec.spot_usd,
                interruptions_per_hour: 0.0,
            }],
            groups: vec![GroupPlan {
                name: "workers".into(),
                types: vec![0],
                min: 1,
                max: nodes.max(1) * 2,
                desired: nodes,
                capacity_type: CapacityType::OnDemand,
                on_demand_base: 0,
                on_demand_percentage_above_base: 100,
                hosts_service: true,
                priority: 0,
            }],
            autoscaler: NodeAutoscaler::ClusterAutoscaler(CaPlan {
                scan_interval_us: 10 * US_PER_SEC,
                expander: Expander::Random,
                utilization_threshold: 0.5,
                unneeded_time_us: 600 * US_PER_SEC,
                delay_after_add_us: 600 * US_PER_SEC,
                delay_after_delete_us: 10 * US_PER_SEC,
                delay_after_failure_us: 180 * US_PER_SEC,
                max_node_provision_time_us: 900 * US_PER_SEC,
                balance_similar_node_groups: false,
                max_empty_bulk_delete: 10,
                initial_backoff_us: 300 * US_PER_SEC,
            }),
            provisioning: Delay::Seconds(60.0),
            control_plane_usd_per_hour: 0.10,
            ecs: false,
            fargate_usd_per_pod_hour: None,
        });
        self.usd_per_hour = 0.0;
        self
    }
}

/// How a run simulates requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimMode {
    /// One event per request (the engine).
    #[default]
    Exact,
    /// One step per second (the fluid screen, `fluid.rs`).
    Fluid,
}

impl SimMode {
    pub fn is_exact(&self) -> bool {
        *self == SimMode::Exact
    }
}

/// How capacity is controlled during a run.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingPlan {
    /// Bounds at the start (after the schedule's initial state).
    pub min: u32,
    pub max: u32,
    pub policy: PolicySpec,
    /// Scheduled actions firing during the run, sorted by time.
    pub schedule: Vec<ScheduledAction>,
}

impl ScalingPlan {
    /// No autoscaling: capacity changes only through `capacity_steps`.
    pub fn fixed() -> ScalingPlan {
        ScalingPlan {
            min: 0,
            max: u32::MAX,
            policy: PolicySpec::None,
            schedule: Vec::new(),
        }
    }
}

/// The dynamic policy, as plain data; the engine builds its state machine.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicySpec {
    None,
    TargetTracking(TargetTrackingSpec),
    Hpa(Box<HpaPolicySpec>),
    Keda(Box<KedaSpec>),
}

impl PolicySpec {
    pub(super) fn build(&self) -> Option<Box<dyn Policy>> {
        match self {
            PolicySpec::None => None,
            PolicySpec::TargetTracking(s) => Some(Box::new(TargetTracking::new(s.clone()))),
            PolicySpec::Hpa(s) => Some(Box::new(HpaPolicy::new((**s).clone()))),
            PolicySpec::Keda(s) => Some(Box::new(KedaPolicy::new((**s).clone()))),
        }
    }
}

/// The engine-speed models of issue 19 (docs/performance.md), shared by
/// `examples/engine_floor.rs` and `benches/engine.rs`:
///
/// - `mm8`: a fixed M/M/8 (100 ms mean service, ρ = 0.8, 64 rps) for 4 h,
///   ~0.92 M requests;
/// - `day`: the autoscaled diurnal day — a `trace gen --pattern diurnal`
///   day of mean 200 / peak 600 rps (17.3 M requests), lognormal service of
///   mean 50 ms and cv 1 (p95 139 ms), 4 slots a replica, under an HPA on
///   CPU at 60 % between 1 and 40 replicas.
///
/// `None` for another name.
pub fn speed_model(name: &str) -> Option<(SimConfig, Vec<TraceRow>)> {
    use crate::trace::r#gen::{GenSpec, Pattern, generate};
    let row = |t_us: u64, rps: f64| TraceRow {
        t_us,
        value: rps,
        service_us: None,
        tokens_in: None,
        tokens_out: None,
        session: None,
        region: None,
    };
    match name {
        "mm8" => {
            let cfg = SimConfig::fixed_pool(
                8,
                1,
                ServiceDist::Exponential { mean_us: 100_000.0 },
                4 * 3600,
            );
            Some((cfg, vec![row(0, 64.0)]))
        }
        "day" => {
            let spec = GenSpec {
                pattern: Pattern::Diurnal,
                mean_rps: 200.0,
                peak_rps: Some(600.0),
                duration_s: 86_400.0,
                interval_s: 60.0,
                seed: 1,
                start: "2026-11-02T00:00:00Z"
                    .parse()
                    .expect("a fixed, valid timestamp"),
                noise: 0.03,
            };
            let t0 = spec.start;
            let rows: Vec<TraceRow> = generate(&spec)
                .expect("a fixed, valid generator spec")
                .into_iter()
                .map(|(t, rps)| row(t.duration_since(t0).as_micros() as u64, rps))
                .collect();
            let cfg = SimConfig::fixed_pool(2, 4, ServiceDist::lognormal(50_000.0, 1.0), 86_400)
                .with_cpu_hpa(1, 40, 60);
            Some((cfg, rows))
        }
        _ => None,
    }
}
