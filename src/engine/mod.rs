//! The discrete-event engine. [`simulate`] is its single entry point: plain
//! configuration and a stream of trace rows in, a [`RunOutcome`] out. It does
//! no I/O and cannot fail (inputs were validated before); broken invariants
//! are assertions naming the invariant.
//!
//! ```text
//!   trace rows ──> Arrivals (lazy, one pending) ──┐
//!   capacity steps (scale plan) ──────────────────┤   next event = min of the cursors
//!   replica ready FIFO (constant startup) ────────┼─> priority at equal time:
//!   completion heap (time, seq) ──────────────────┤   tick, ready, completion, scale,
//!   queue head timeout ───────────────────────────┤   timeout, arrival
//!   per-second ticks (metrics, timeline) ─────────┘
//! ```
//!
//! Requests wait in one FIFO queue at the load balancer; a free slot on a
//! ready replica takes the next one. Time is integer µs; ties in the
//! completion heap break by insertion sequence.

pub mod arrivals;

use crate::billing::ReplicaMeter;
use crate::metrics::{
    LatencyHistogram, RunOutcome, ScalingEvent, Summary, TimelineRow, quantile_ms,
};
use crate::model::autoscaler::hpa::policy::{HpaPolicy, HpaPolicySpec};
use crate::model::autoscaler::keda::{KedaPolicy, KedaSpec};
use crate::model::autoscaler::schedule::ScheduledAction;
use crate::model::autoscaler::target_tracking::{TargetTracking, TargetTrackingSpec};
use crate::model::autoscaler::{Observation, Policy, ReplicaView};
use crate::model::metrics::{MemoryModel, MetricsWindow, Snapshot};
use crate::model::service::ServiceDist;
pub use crate::model::spot::{SPOT_NOTICE_US, SpotPlan};
use crate::rng::{Stream, stream};
use crate::trace::{TraceKind, TraceRow};
use crate::units::{US_PER_MIN, US_PER_SEC};
pub use arrivals::{Arrival, ArrivalProcess, Arrivals};
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

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
    fn build(&self) -> Option<Box<dyn Policy>> {
        match self {
            PolicySpec::None => None,
            PolicySpec::TargetTracking(s) => Some(Box::new(TargetTracking::new(s.clone()))),
            PolicySpec::Hpa(s) => Some(Box::new(HpaPolicy::new((**s).clone()))),
            PolicySpec::Keda(s) => Some(Box::new(KedaPolicy::new((**s).clone()))),
        }
    }
}

/// Scaling control: forced steps, scheduled actions and the periodic policy.
struct Control {
    steps: Vec<(u64, u32)>,
    step_i: usize,
    step_reason: String,
    schedule: Vec<ScheduledAction>,
    sched_i: usize,
    policy: Option<Box<dyn Policy>>,
    next_sync: u64,
    min: u32,
    max: u32,
    /// Reused buffer of replica views for the policy.
    views: Vec<ReplicaView>,
}

impl Control {
    fn next_time(&self) -> u64 {
        let step = self.steps.get(self.step_i).map_or(u64::MAX, |s| s.0);
        let sched = self.schedule.get(self.sched_i).map_or(u64::MAX, |a| a.t_us);
        let sync = if self.policy.is_some() {
            self.next_sync
        } else {
            u64::MAX
        };
        step.min(sched).min(sync)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReplicaState {
    Pending,
    Ready,
    Draining,
    Gone,
}

#[derive(Clone, Debug)]
struct Replica {
    state: ReplicaState,
    created_us: u64,
    ready_us: Option<u64>,
    busy: u32,
    spot: bool,
    /// False for a spot replica waiting for spot capacity (not billed, never ready).
    placed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Completion {
    t_us: u64,
    seq: u64,
    replica: u32,
    arrival_us: u64,
}

impl Ord for Completion {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.t_us, self.seq).cmp(&(o.t_us, o.seq))
    }
}
impl PartialOrd for Completion {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

#[derive(Clone, Copy, Debug)]
struct Waiting {
    arrival_us: u64,
    service_us: u64,
}

/// Counters of one timeline minute.
#[derive(Default)]
struct Minute {
    arrived: u64,
    served: u64,
    dropped: u64,
    rejected: u64,
    start: Snapshot,
    queue_int_start: u128,
}

struct Engine {
    cfg: SimConfig,
    now: u64,
    last_t: u64,
    replicas: Vec<Replica>,
    /// One entry per free slot of a ready replica (stale entries of replicas
    /// no longer ready are skipped when popped).
    free: VecDeque<u32>,
    free_slots: u64,
    pending: VecDeque<(u64, u32)>,
    completions: BinaryHeap<Reverse<Completion>>,
    queue: VecDeque<Waiting>,
    seq: u64,
    ready_replicas: u32,
    live_replicas: u32,
    desired: u32,
    busy_ready: u64,
    busy_all: u64,
    // Running integrals (µs-weighted).
    busy_int: u128,
    slots_int: u128,
    ready_rep_int: u128,
    replicas_int: u128,
    queue_int: u128,
    // Totals.
    arrived: u64,
    served: u64,
    dropped: u64,
    rejected: u64,
    started: u64,
    waited: u64,
    wait_sum_us: u128,
    latency_sum_us: u128,
    latency_max_us: u64,
    replicas_max: u32,
    /// Latencies of the whole run, merged from `minute_hist` at each minute's end.
    hist: LatencyHistogram,
    minute_hist: LatencyHistogram,
    minute: Minute,
    metrics: MetricsWindow,
    meter: ReplicaMeter,
    timeline: Vec<TimelineRow>,
    scaling: Vec<ScalingEvent>,
    control: Control,
    /// Earliest pending control time (cached).
    next_control: u64,
    spot_meter: ReplicaMeter,
    spot_rng: crate::rng::SimRng,
    /// Next interruption notice of each placed spot replica.
    spot_notices: BinaryHeap<Reverse<(u64, u32)>>,
    /// Interrupted replicas' deadlines (notice + 2 min), in time order.
    spot_deadlines: VecDeque<(u64, u32)>,
    spot_live: u32,
    spot_interruptions: u64,
    llm: Option<crate::model::llm::LlmState>,
    llm_rng: crate::rng::SimRng,
    session_rng: crate::rng::SimRng,
    /// Next outage boundary: index into `cfg.outages` and whether it is the end.
    outage_i: usize,
    outage_end_next: bool,
    down: bool,
    /// Desired replicas when the current outage began.
    desired_before_outage: u32,
    minute_hists: Vec<crate::metrics::SparseHistogram>,
}

impl Engine {
    fn new(cfg: SimConfig) -> Engine {
        let max_replicas = cfg
            .capacity_steps
            .iter()
            .map(|s| s.1)
            .chain(std::iter::once(if cfg.scaling.max == u32::MAX {
                0
            } else {
                cfg.scaling.max
            }))
            .max()
            .unwrap_or(0) as usize;
        let policy = cfg.scaling.policy.build();
        let control = Control {
            steps: cfg.capacity_steps.clone(),
            step_i: 0,
            step_reason: cfg.capacity_reason.clone(),
            schedule: cfg.scaling.schedule.clone(),
            sched_i: 0,
            next_sync: policy.as_ref().map_or(u64::MAX, |p| p.period_us()),
            policy,
            min: cfg.scaling.min,
            max: cfg.scaling.max,
            views: Vec::new(),
        };
        let next_control = control.next_time();
        let slots = max_replicas * cfg.concurrency as usize;
        let queue_cap = cfg.queue_limit.min(1 << 16) as usize + 1;
        let minutes = cfg.end_us.div_ceil(US_PER_MIN) as usize;
        let metrics = MetricsWindow::new(cfg.metrics_window_s, cfg.memory);
        Engine {
            now: 0,
            last_t: 0,
            replicas: Vec::with_capacity(max_replicas * 2),
            free: VecDeque::with_capacity(slots + 1),
            free_slots: 0,
            pending: VecDeque::with_capacity(max_replicas + 1),
            completions: BinaryHeap::with_capacity(slots + 1),
            queue: VecDeque::with_capacity(queue_cap),
            seq: 0,
            ready_replicas: 0,
            live_replicas: 0,
            desired: 0,
            busy_ready: 0,
            busy_all: 0,
            busy_int: 0,
            slots_int: 0,
            ready_rep_int: 0,
            replicas_int: 0,
            queue_int: 0,
            arrived: 0,
            served: 0,
            dropped: 0,
            rejected: 0,
            started: 0,
            waited: 0,
            wait_sum_us: 0,
            latency_sum_us: 0,
            latency_max_us: 0,
            replicas_max: 0,
            hist: LatencyHistogram::new(),
            minute_hist: LatencyHistogram::new(),
            minute: Minute::default(),
            metrics,
            meter: ReplicaMeter::default(),
            timeline: Vec::with_capacity(minutes),
            scaling: Vec::new(),
            control,
            next_control,
            spot_meter: ReplicaMeter::default(),
            spot_rng: stream(0, Stream::SpotInterruptions),
            spot_notices: BinaryHeap::new(),
            spot_deadlines: VecDeque::new(),
            spot_live: 0,
            spot_interruptions: 0,
            llm: cfg.llm.clone().map(crate::model::llm::LlmState::new),
            llm_rng: stream(0, Stream::Llm),
            session_rng: stream(0, Stream::Sessions),
            outage_i: 0,
            outage_end_next: false,
            down: false,
            desired_before_outage: 0,
            minute_hists: Vec::new(),
            cfg,
        }
    }

    /// Time of the next outage boundary.
    fn next_outage(&self) -> u64 {
        self.cfg
            .outages
            .get(self.outage_i)
            .map_or(u64::MAX, |o| if self.outage_end_next { o.1 } else { o.0 })
    }

    /// The region fails: every replica stops now, the work it held and the
    /// queue are dropped.
    fn fail_region(&mut self) {
        self.down = true;
        self.desired_before_outage = self.desired;
        let lost = self.busy_all + self.queue.len() as u64;
        self.dropped += lost;
        self.minute.dropped += lost;
        self.queue.clear();
        for id in 0..self.replicas.len() {
            match self.replicas[id].state {
                ReplicaState::Gone => {}
                ReplicaState::Pending => self.stop_replica(id as u32),
                ReplicaState::Ready | ReplicaState::Draining => {
                    if self.replicas[id].state == ReplicaState::Ready {
                        self.ready_replicas -= 1;
                    }
                    self.replicas[id].busy = 0;
                    self.stop_replica(id as u32);
                }
            }
        }
        // Completions still in the heap belong to gone replicas and are skipped.
        self.busy_all = 0;
        self.busy_ready = 0;
        self.free.clear();
        self.free_slots = 0;
        self.spot_live = 0;
        let from = self.desired;
        self.desired = 0;
        self.record_scaling(
            "region",
            from,
            0,
            0,
            format!("region failure: {from} replicas lost, {lost} requests in service or waiting dropped; traffic moves to the other regions"),
        );
    }

    /// The region is back: the replicas it had start again (cold).
    fn recover_region(&mut self) {
        self.down = false;
        let n = self
            .desired_before_outage
            .clamp(self.control.min, self.control.max.max(self.control.min));
        self.scale_to(n, false);
        self.record_scaling(
            "region",
            0,
            n,
            n,
            format!("region recovered: {n} replicas starting"),
        );
    }

    /// Advances the running integrals to `t`.
    #[inline]
    fn advance(&mut self, t: u64) {
        let dt = u128::from(t - self.last_t);
        if dt > 0 {
            let slots = u128::from(self.ready_replicas) * u128::from(self.cfg.concurrency);
            self.busy_int += u128::from(self.busy_ready) * dt;
            self.slots_int += slots * dt;
            self.ready_rep_int += u128::from(self.ready_replicas) * dt;
            self.replicas_int += u128::from(self.live_replicas) * dt;
            self.queue_int += self.queue.len() as u128 * dt;
            self.last_t = t;
        }
        self.now = t;
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            t_us: self.now,
            busy_slot_us: self.busy_int,
            ready_slot_us: self.slots_int,
            ready_replica_us: self.ready_rep_int,
            arrivals: self.arrived,
        }
    }

    /// Starts service of a request on a free slot; the caller checked one exists.
    #[inline]
    fn start(&mut self, arrival_us: u64, service_us: u64) {
        let replica = loop {
            let r = self
                .free
                .pop_front()
                .expect("invariant: free_slots counts entries in `free`");
            if self.replicas[r as usize].state == ReplicaState::Ready {
                break r;
            }
        };
        self.free_slots -= 1;
        self.replicas[replica as usize].busy += 1;
        self.busy_ready += 1;
        self.busy_all += 1;
        let c = self.begin(arrival_us, service_us, replica);
        self.completions.push(Reverse(c));
    }

    /// Wait statistics and the completion of a request starting now on `replica`.
    #[inline]
    fn begin(&mut self, arrival_us: u64, service_us: u64, replica: u32) -> Completion {
        let wait = self.now - arrival_us;
        self.started += 1;
        if wait > 0 {
            self.waited += 1;
            self.wait_sum_us += u128::from(wait);
        }
        self.seq += 1;
        Completion {
            t_us: self.now.saturating_add(service_us),
            seq: self.seq,
            replica,
            arrival_us,
        }
    }

    /// The next waiting request that has not waited past its timeout; those
    /// that have are dropped.
    #[inline]
    fn next_waiting(&mut self) -> Option<Waiting> {
        while let Some(w) = self.queue.pop_front() {
            if self.now - w.arrival_us > self.cfg.timeout_us {
                self.dropped += 1;
                self.minute.dropped += 1;
                continue;
            }
            return Some(w);
        }
        None
    }

    /// Gives free slots to waiting requests.
    #[inline]
    fn serve_queue(&mut self) {
        while self.free_slots > 0 {
            let Some(w) = self.next_waiting() else { break };
            self.start(w.arrival_us, w.service_us);
        }
    }

    /// Completes the request at the top of the completion heap. On a ready
    /// replica the freed slot goes straight to the next waiting request, if
    /// any, by replacing the heap's top (one sift instead of a pop and a push).
    #[inline]
    fn complete_next(&mut self) {
        let c = self.completions.peek().expect("a completion is due").0;
        if self.replicas[c.replica as usize].state == ReplicaState::Gone {
            // Interrupted spot replica: its in-flight work was dropped at the deadline.
            self.completions.pop();
            return;
        }
        let latency = self.now - c.arrival_us;
        self.served += 1;
        self.minute.served += 1;
        self.latency_sum_us += u128::from(latency);
        self.latency_max_us = self.latency_max_us.max(latency);
        self.minute_hist.record(latency);
        match self.replicas[c.replica as usize].state {
            ReplicaState::Ready => {
                // Requests wait only while no slot is free, so this slot is the
                // one the next waiting request gets.
                if let Some(w) = self.next_waiting() {
                    let next = self.begin(w.arrival_us, w.service_us, c.replica);
                    *self.completions.peek_mut().expect("peeked") = Reverse(next);
                    return;
                }
                self.completions.pop();
                self.replicas[c.replica as usize].busy -= 1;
                self.busy_ready -= 1;
                self.busy_all -= 1;
                self.free.push_back(c.replica);
                self.free_slots += 1;
            }
            ReplicaState::Draining => {
                self.completions.pop();
                self.busy_all -= 1;
                let r = &mut self.replicas[c.replica as usize];
                r.busy -= 1;
                if r.busy == 0 {
                    self.stop_replica(c.replica);
                }
            }
            ReplicaState::Pending | ReplicaState::Gone => {
                panic!("invariant: a completion on a replica that was never ready")
            }
        }
    }

    fn on_arrival(&mut self, a: Arrival, service_us: u64) {
        self.arrived += 1;
        self.minute.arrived += 1;
        if self.down {
            self.rejected += 1;
            self.minute.rejected += 1;
            return;
        }
        if let Some(llm) = &mut self.llm {
            let call = llm.request(
                a.t_us,
                (a.tokens_in, a.tokens_out),
                a.session,
                &mut self.llm_rng,
                &mut self.session_rng,
            );
            if call == crate::model::llm::Call::Rejected {
                // Refused by a Bedrock cost limit: the request is rejected.
                self.rejected += 1;
                self.minute.rejected += 1;
                return;
            }
        }
        if self.free_slots > 0 {
            debug_assert!(
                self.queue.is_empty(),
                "invariant: no free slot while requests wait"
            );
            self.start(a.t_us, service_us);
        } else if (self.queue.len() as u64) < self.cfg.queue_limit {
            self.queue.push_back(Waiting {
                arrival_us: a.t_us,
                service_us,
            });
        } else {
            self.rejected += 1;
            self.minute.rejected += 1;
        }
    }

    fn expire_head(&mut self) {
        self.queue.pop_front();
        self.dropped += 1;
        self.minute.dropped += 1;
    }

    fn make_ready(&mut self, id: u32) {
        let r = &mut self.replicas[id as usize];
        if r.state != ReplicaState::Pending {
            return; // cancelled while pending
        }
        r.state = ReplicaState::Ready;
        r.ready_us = Some(self.now);
        self.ready_replicas += 1;
        for _ in 0..self.cfg.concurrency {
            self.free.push_back(id);
        }
        self.free_slots += u64::from(self.cfg.concurrency);
        self.serve_queue();
    }

    fn stop_replica(&mut self, id: u32) {
        let r = &mut self.replicas[id as usize];
        let was_draining = r.state == ReplicaState::Draining;
        r.state = ReplicaState::Gone;
        self.live_replicas -= 1;
        if r.placed {
            if r.spot {
                let rate = self.cfg.spot.as_ref().map_or(0.0, |s| s.usd_per_hour);
                self.spot_meter.stop(rate, r.created_us, self.now);
                if !was_draining {
                    self.spot_live -= 1;
                }
            } else {
                self.meter
                    .stop(self.cfg.usd_per_hour, r.created_us, self.now);
            }
        }
    }

    /// Capacity-provider strategy: whether the next replica goes to spot.
    /// The first `base` replicas are on demand; after them each replica goes
    /// to the provider furthest below its weight's share (ties: on demand).
    fn next_is_spot(&self) -> bool {
        let Some(sp) = &self.cfg.spot else {
            return false;
        };
        let (mut od, mut spot) = (0u32, 0u32);
        for r in &self.replicas {
            if matches!(r.state, ReplicaState::Pending | ReplicaState::Ready) {
                if r.spot {
                    spot += 1;
                } else {
                    od += 1;
                }
            }
        }
        if od < sp.base {
            return false;
        }
        let total = f64::from(sp.on_demand_weight) + f64::from(sp.spot_weight);
        if total == 0.0 {
            return false;
        }
        let n = f64::from(od - sp.base + spot + 1);
        let deficit_od = f64::from(sp.on_demand_weight) / total * n - f64::from(od - sp.base);
        let deficit_spot = f64::from(sp.spot_weight) / total * n - f64::from(spot);
        deficit_spot > deficit_od
    }

    /// Creates one replica, placed by the capacity-provider strategy.
    fn create_replica(&mut self, initial: bool) {
        let id = self.replicas.len() as u32;
        let mut spot = self.next_is_spot();
        let mut placed = true;
        if spot {
            let sp = self.cfg.spot.as_ref().expect("spot chosen");
            if !sp.available {
                if sp.fallback_to_on_demand {
                    spot = false;
                } else {
                    placed = false;
                }
            }
        }
        self.replicas.push(Replica {
            state: ReplicaState::Pending,
            created_us: self.now,
            ready_us: None,
            busy: 0,
            spot,
            placed,
        });
        self.live_replicas += 1;
        if !placed {
            return; // waits for spot capacity; ECS does not fall back by itself
        }
        if spot {
            let sp = self.cfg.spot.as_ref().expect("spot");
            self.spot_meter.start(sp.usd_per_hour, self.now);
            self.spot_live += 1;
            if sp.interruptions_per_hour > 0.0 {
                let e: f64 =
                    rand_distr::Distribution::sample(&rand_distr::Exp1, &mut self.spot_rng);
                let t = self.now as f64
                    + e / sp.interruptions_per_hour * crate::units::US_PER_HOUR as f64;
                self.spot_notices
                    .push(Reverse((t.min(u64::MAX as f64) as u64, id)));
            }
        } else {
            self.meter.start(self.cfg.usd_per_hour, self.now);
        }
        if initial {
            self.make_ready(id);
        } else {
            self.pending
                .push_back((self.now.saturating_add(self.cfg.startup_us), id));
        }
    }

    /// A ready replica stops taking work and finishes what it has.
    fn begin_drain(&mut self, id: usize) {
        let busy = self.replicas[id].busy;
        self.replicas[id].state = ReplicaState::Draining;
        if self.replicas[id].spot {
            self.spot_live -= 1;
        }
        self.ready_replicas -= 1;
        self.busy_ready -= u64::from(busy);
        self.free_slots -= u64::from(self.cfg.concurrency - busy);
        if busy == 0 {
            self.stop_replica(id as u32);
        }
    }

    /// A spot interruption notice: the replica drains for up to 2 minutes
    /// and a replacement starts now.
    fn spot_notice(&mut self, id: u32) {
        let state = self.replicas[id as usize].state;
        if !matches!(state, ReplicaState::Pending | ReplicaState::Ready) {
            return;
        }
        self.spot_interruptions += 1;
        if state == ReplicaState::Pending {
            self.stop_replica(id);
        } else {
            self.begin_drain(id as usize);
            if self.replicas[id as usize].state == ReplicaState::Draining {
                self.spot_deadlines
                    .push_back((self.now + SPOT_NOTICE_US, id));
            }
        }
        self.create_replica(false);
        let d = self.desired;
        self.record_scaling(
            "spot",
            d,
            d,
            d,
            format!(
                "spot interruption notice for replica {id}: 2-minute warning, replacement started"
            ),
        );
    }

    /// The end of a spot notice: work still in flight is dropped.
    fn spot_deadline(&mut self, id: u32) {
        let r = &mut self.replicas[id as usize];
        if r.state != ReplicaState::Draining {
            return;
        }
        let busy = u64::from(r.busy);
        r.busy = 0;
        self.dropped += busy;
        self.minute.dropped += busy;
        self.busy_all -= busy;
        self.stop_replica(id);
    }

    /// Changes the number of live (pending + ready) replicas to `n`.
    /// Scale-in removes pending replicas first, then the newest ready ones
    /// (Kubernetes' pod deletion order prefers unready and newer pods); a
    /// removed ready replica drains: no new work, in-flight work finishes.
    fn scale_to(&mut self, n: u32, initial: bool) {
        let current = self.desired;
        self.desired = n;
        if n > current {
            for _ in current..n {
                self.create_replica(initial);
            }
        } else {
            let mut remove = current - n;
            for id in (0..self.replicas.len()).rev() {
                if remove == 0 {
                    break;
                }
                if self.replicas[id].state == ReplicaState::Pending {
                    self.stop_replica(id as u32);
                    remove -= 1;
                }
            }
            for id in (0..self.replicas.len()).rev() {
                if remove == 0 {
                    break;
                }
                if self.replicas[id].state == ReplicaState::Ready {
                    self.begin_drain(id);
                    remove -= 1;
                }
            }
        }
        self.replicas_max = self.replicas_max.max(self.live_replicas);
    }

    fn record_scaling(
        &mut self,
        autoscaler: &str,
        from: u32,
        to: u32,
        recommendation: u32,
        reason: String,
    ) {
        self.scaling.push(ScalingEvent {
            t_us: self.now,
            autoscaler: autoscaler.to_string(),
            from,
            to,
            recommendation,
            reason,
        });
    }

    /// Runs every control action due now: forced steps, then scheduled
    /// actions, then the policy's periodic evaluation.
    fn run_control(&mut self) {
        let now = self.now;
        while self.next_outage() <= now {
            if self.outage_end_next {
                self.outage_i += 1;
                self.outage_end_next = false;
                self.recover_region();
            } else {
                self.outage_end_next = true;
                self.fail_region();
            }
        }
        while let Some(&(t, id)) = self.spot_deadlines.front() {
            if t > now {
                break;
            }
            self.spot_deadlines.pop_front();
            self.spot_deadline(id);
        }
        while let Some(&Reverse((t, id))) = self.spot_notices.peek() {
            if t > now {
                break;
            }
            self.spot_notices.pop();
            self.spot_notice(id);
        }
        while let Some(&(t, n)) = self.control.steps.get(self.control.step_i) {
            if t > now {
                break;
            }
            self.control.step_i += 1;
            if self.down {
                self.desired_before_outage = n;
                continue;
            }
            let from = self.desired;
            self.scale_to(n, now == 0);
            let reason = self.control.step_reason.clone();
            self.record_scaling("fixed", from, n, n, reason);
        }
        while let Some(a) = self.control.schedule.get(self.control.sched_i) {
            if a.t_us > now {
                break;
            }
            let a = a.clone();
            self.control.sched_i += 1;
            if let Some(m) = a.min {
                self.control.min = m;
            }
            if let Some(m) = a.max {
                self.control.max = m;
            }
            self.control.max = self.control.max.max(self.control.min);
            if self.down {
                if let Some(d) = a.desired {
                    self.desired_before_outage = d;
                }
                continue;
            }
            let (lo, hi) = (self.control.min, self.control.max);
            let from = self.desired;
            let to = a.desired.unwrap_or(from).clamp(lo, hi);
            if to != from {
                self.scale_to(to, false);
            }
            let fmt = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
            let reason = format!(
                "scheduled action {}: min {} max {} desired {} (bounds now {lo}..{hi})",
                a.name,
                fmt(a.min),
                fmt(a.max),
                fmt(a.desired)
            );
            self.record_scaling("schedule", from, to, a.desired.unwrap_or(to), reason);
        }
        if self.down && self.control.next_sync <= now {
            // No capacity to scale while the region is down.
            if let Some(p) = &self.control.policy {
                self.control.next_sync = now + p.period_us();
            }
        }
        if self.control.next_sync <= now
            && let Some(mut policy) = self.control.policy.take()
        {
            self.control.next_sync = now + policy.period_us();
            let mut views = std::mem::take(&mut self.control.views);
            views.clear();
            views.extend(
                self.replicas
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.state != ReplicaState::Gone)
                    .map(|(id, r)| ReplicaView {
                        id: id as u32,
                        created_us: r.created_us,
                        ready_us: r.ready_us,
                        draining: r.state == ReplicaState::Draining,
                    }),
            );
            let obs = Observation {
                now_us: now,
                desired: self.desired,
                min: self.control.min,
                max: self.control.max,
                metrics: &self.metrics,
                replicas: &views,
            };
            if let Some(d) = policy.decide(&obs) {
                let to = d.desired.clamp(self.control.min, self.control.max);
                let from = self.desired;
                if to != from {
                    self.scale_to(to, false);
                    self.record_scaling(
                        d.by.unwrap_or(policy.name()),
                        from,
                        to,
                        d.recommendation,
                        d.reason,
                    );
                }
            }
            self.control.policy = Some(policy);
            self.control.views = views;
        }
        self.next_control = self
            .control
            .next_time()
            .min(self.spot_notices.peek().map_or(u64::MAX, |r| r.0.0))
            .min(self.spot_deadlines.front().map_or(u64::MAX, |d| d.0))
            .min(self.next_outage());
    }

    fn tick(&mut self) {
        let snap = self.snapshot();
        self.metrics.push(snap);
        self.metrics.ready_replicas = self.ready_replicas;
        self.metrics.queue_depth = self.queue.len() as u64;
        self.metrics.in_flight = self.busy_all;
        if self.now.is_multiple_of(US_PER_MIN) || self.now == self.cfg.end_us {
            self.close_minute(snap);
        }
    }

    fn close_minute(&mut self, snap: Snapshot) {
        let start = self.minute.start;
        if snap.t_us == start.t_us {
            return;
        }
        let len_us = snap.t_us - start.t_us;
        let slots = snap.ready_slot_us - start.ready_slot_us;
        let m = &self.minute;
        let h = &self.minute_hist;
        let compute_spot = self.spot_meter.accrued_usd(self.now);
        let compute = self.meter.accrued_usd(self.now) + compute_spot;
        self.timeline.push(TimelineRow {
            t_s: start.t_us / US_PER_SEC,
            len_s: len_us as f64 / US_PER_SEC as f64,
            arrived: m.arrived,
            served: m.served,
            dropped: m.dropped,
            rejected: m.rejected,
            replicas_ready: self.ready_replicas,
            replicas_total: self.live_replicas,
            replicas_desired: self.desired,
            replicas_spot: self.spot_live,
            cpu_util: if slots > 0 {
                (snap.busy_slot_us - start.busy_slot_us) as f64 / slots as f64
            } else {
                0.0
            },
            queue_depth: (self.queue_int - m.queue_int_start) as f64 / len_us as f64,
            latency_p50_ms: quantile_ms(h, 0.50),
            latency_p95_ms: quantile_ms(h, 0.95),
            latency_p99_ms: quantile_ms(h, 0.99),
            cost_compute_usd: compute,
            cost_compute_spot_usd: compute_spot,
            fixed: Default::default(),
            cost_llm_usd: self.llm.as_ref().map_or(0.0, |l| l.cost_usd),
        });
        self.minute = Minute {
            start: snap,
            queue_int_start: self.queue_int,
            ..Minute::default()
        };
        self.hist.add(&self.minute_hist);
        if self.cfg.keep_minute_histograms {
            self.minute_hists
                .push(crate::metrics::SparseHistogram::of(&self.minute_hist));
        }
        self.minute_hist.reset();
    }
}

/// Runs one simulation. Same config, rows and seed give the same outcome.
pub fn simulate<I: Iterator<Item = TraceRow>>(cfg: SimConfig, rows: I, seed: u64) -> RunOutcome {
    assert!(cfg.concurrency > 0, "invariant: concurrency >= 1");
    let end = cfg.end_us;
    let mut arrivals = Arrivals::new(
        rows,
        cfg.trace_kind,
        cfg.median_interval_us,
        cfg.arrivals,
        stream(seed, Stream::Arrivals),
    );
    let mut service_rng = stream(seed, Stream::ServiceTimes);
    let mut e = Engine::new(cfg);
    e.next_control = e.next_control.min(e.next_outage());
    e.spot_rng = stream(seed, Stream::SpotInterruptions);
    e.llm_rng = stream(seed, Stream::Llm);
    e.session_rng = stream(seed, Stream::Sessions);
    let mut next_arrival = arrivals.next();
    let mut next_tick = 0u64;
    const NEVER: u64 = u64::MAX;
    loop {
        let t_tick = next_tick;
        let t_ready = e.pending.front().map_or(NEVER, |p| p.0);
        let t_comp = e.completions.peek().map_or(NEVER, |c| c.0.t_us);
        let t_ctl = e.next_control;
        let t_exp = e.queue.front().map_or(NEVER, |w| {
            w.arrival_us
                .saturating_add(e.cfg.timeout_us)
                .saturating_add(1)
        });
        let t_arr = next_arrival.map_or(NEVER, |a| a.t_us);
        let t = t_tick
            .min(t_ready)
            .min(t_comp)
            .min(t_ctl)
            .min(t_exp)
            .min(t_arr);
        if t > end || t == NEVER {
            break;
        }
        e.advance(t);
        if t == t_tick {
            e.tick();
            next_tick = if t >= end {
                NEVER
            } else {
                (t + US_PER_SEC).min(end)
            };
            if t >= end {
                break;
            }
        } else if t == t_ready {
            let (_, id) = e.pending.pop_front().expect("peeked");
            e.make_ready(id);
        } else if t == t_comp {
            e.complete_next();
        } else if t == t_ctl {
            e.run_control();
        } else if t == t_exp {
            e.expire_head();
        } else {
            let a = next_arrival.expect("t == t_arr");
            let service_us = e.cfg.service.sample(&mut service_rng, a.service_us);
            e.on_arrival(a, service_us);
            next_arrival = arrivals.next();
        }
    }
    e.advance(end);
    let last_minute = std::mem::take(&mut e.minute_hist);
    e.hist.add(&last_minute);
    // Requests past the end of the trace are not part of the run.
    let in_flight = e.queue.len() as u64 + e.busy_all;
    assert_eq!(
        e.arrived,
        e.served + e.dropped + e.rejected + in_flight,
        "invariant: arrived = served + dropped + rejected + in flight"
    );
    let compute_spot = e.spot_meter.accrued_usd(end);
    let compute = e.meter.accrued_usd(end) + compute_spot;
    if let Some(last) = e.timeline.last() {
        assert!(
            (last.cost_compute_usd - compute).abs() <= 1e-9 * compute.max(1.0),
            "invariant: the timeline's cumulative cost ends at the summary's"
        );
    }
    let served = e.served;
    let llm = e.llm.as_ref();
    let summary = Summary {
        sim_seconds: end as f64 / US_PER_SEC as f64,
        requests_arrived: e.arrived,
        requests_served: served,
        requests_dropped: e.dropped,
        requests_rejected: e.rejected,
        requests_in_flight: in_flight,
        latency_mean_ms: (served > 0).then(|| e.latency_sum_us as f64 / served as f64 / 1e3),
        latency_p50_ms: quantile_ms(&e.hist, 0.50),
        latency_p90_ms: quantile_ms(&e.hist, 0.90),
        latency_p95_ms: quantile_ms(&e.hist, 0.95),
        latency_p99_ms: quantile_ms(&e.hist, 0.99),
        latency_max_ms: (served > 0).then(|| e.latency_max_us as f64 / 1e3),
        wait_mean_ms: (e.started > 0).then(|| e.wait_sum_us as f64 / e.started as f64 / 1e3),
        wait_probability: (e.started > 0).then(|| e.waited as f64 / e.started as f64),
        requests_started: e.started,
        replica_hours_on_demand: e.meter.replica_us(end) as f64 / crate::units::US_PER_HOUR as f64,
        replica_hours_spot: e.spot_meter.replica_us(end) as f64 / crate::units::US_PER_HOUR as f64,
        replicas_mean: if end > 0 {
            e.replicas_int as f64 / end as f64
        } else {
            0.0
        },
        replicas_max: e.replicas_max,
        spot_interruptions: e.spot_interruptions,
        cost_compute_usd: compute,
        cost_compute_spot_usd: compute_spot,
        fixed: Default::default(),
        cost_llm_usd: llm.map_or(0.0, |l| l.cost_usd),
        llm_calls: llm.map_or(0, |l| l.calls),
        llm_tokens_in: llm.map_or(0, |l| l.tokens_in),
        llm_tokens_out: llm.map_or(0, |l| l.tokens_out),
        llm_rejected: llm.map_or(0, |l| l.rejected),
        llm_downgraded: llm.map_or(0, |l| l.downgraded),
        llm_cost_unlimited_usd: llm.map_or(0.0, |l| l.cost_unlimited_usd),
        llm_cost_by_model: llm.map_or(Vec::new(), |l| {
            l.plan
                .models
                .iter()
                .map(|m| m.id.clone())
                .zip(l.cost_by_model.iter().copied())
                .collect()
        }),
        budget_alerts_fired: 0,
        budget_alerts_projected: 0,
    };
    RunOutcome {
        summary,
        timeline: e.timeline,
        alerts: e.llm.map(|l| l.alerts).unwrap_or_default(),
        scaling: e.scaling,
        latency: e.hist,
        minute_latency: e.minute_hists,
        regions: Vec::new(),
    }
}
