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
mod config;
mod control;
pub mod fluid;
mod heap;
mod node_scaling;
mod nodes;
mod pool;
pub mod progress;
mod record;
mod usage;
mod vpa;
pub use usage::UsageTotals;

pub use config::{PolicySpec, ScalingPlan, SimConfig, SimMode, speed_model};
pub use fluid::erlang_c;

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
use crate::units::{US_PER_MIN, US_PER_MS, US_PER_SEC, us_to_ms};
pub use arrivals::{Arrival, ArrivalProcess, Arrivals};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

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
    /// On nodes: no node has room for its requests yet.
    Unschedulable,
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
    /// The node it is bound to (`nodes::NO_NODE`: none, or no node layer).
    node: u32,
    /// Capacity Rebalancing: the at-risk spot replica this one replaces
    /// (terminated once this one is ready).
    replaces: Option<u32>,
    /// Stopped by an EC2 Spot interruption within its first hour: not charged.
    unbilled: bool,
    /// Capacity Rebalancing: the replacement launched for this at-risk replica.
    replaced_by: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Completion {
    t_us: u64,
    seq: u64,
    replica: u32,
    arrival_us: u64,
}

#[derive(Clone, Copy, Debug)]
struct Waiting {
    arrival_us: u64,
    service_us: u64,
}

/// Counters of one timeline minute. Arrived, served and served within the
/// SLO are the run's totals less their values when the minute began
/// (`*_before`): one counter a request instead of two.
#[derive(Default)]
struct Minute {
    arrived_before: u64,
    served_before: u64,
    within_before: u64,
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
    completions: heap::CompletionHeap,
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
    /// Up to when `slots_int`, `ready_rep_int` and `replicas_int` are summed.
    rep_t: u64,
    ready_rep_int: u128,
    replicas_int: u128,
    queue_int: u128,
    // Totals.
    arrived: u64,
    served: u64,
    dropped: u64,
    rejected: u64,
    /// Served within `cfg.slo_target_us`.
    within: u64,
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
    /// Rebalance recommendations ahead of notices (Capacity Rebalancing with a lead).
    spot_rebalances: BinaryHeap<Reverse<(u64, u32)>>,
    /// Interrupted replicas' deadlines (notice + the platform's delay:
    /// Fargate's stopTimeout, EC2's 2 minutes), in time order.
    spot_deadlines: VecDeque<(u64, u32)>,
    spot_live: u32,
    spot_interruptions: u64,
    /// The sync recorded for `meshsim explain`.
    explained: Option<crate::metrics::ExplainedSync>,
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
    /// The SLO windows so far.
    windows: crate::metrics::WindowAcc,
    /// The node layer (platforms `kubernetes` and `ecs-ec2`).
    nodes: Option<Box<nodes::Nodes>>,
    /// The usage model and the VPA (docs/resources.md).
    usage: Option<Box<usage::Usage>>,
    /// The fluid screen's queue and latencies (`fluid.rs`), in a fluid run.
    fluid: Option<Box<fluid::FluidState>>,
    /// Inside a [`fast_segment`] where every completion in the heap is a
    /// ready replica's: completions past their time may stay in the heap
    /// until an arrival takes their slot or the segment settles (`pool.rs`).
    lazy: bool,
    /// In a lazy segment: the end of the segment (`t_hi`), before which no
    /// replica starts, stops or drains.
    seg_end: u64,
    /// In a lazy segment: when each request booked to wait leaves the queue
    /// (starts, or is dropped at its timeout), in arrival order — the same
    /// order as the times (`pool.rs`, `book`).
    booked: VecDeque<u64>,
}

impl Engine {
    /// A fresh engine for `cfg`; its random streams derive from the run's `seed`
    /// (one stream per purpose, see `rng`).
    fn new(cfg: SimConfig, seed: u64) -> Engine {
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
            completions: heap::CompletionHeap::with_capacity(slots + 1),
            queue: VecDeque::with_capacity(queue_cap),
            seq: 0,
            ready_replicas: 0,
            live_replicas: 0,
            desired: 0,
            busy_ready: 0,
            busy_all: 0,
            busy_int: 0,
            slots_int: 0,
            rep_t: 0,
            ready_rep_int: 0,
            replicas_int: 0,
            queue_int: 0,
            arrived: 0,
            served: 0,
            dropped: 0,
            rejected: 0,
            within: 0,
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
            spot_rng: stream(seed, Stream::SpotInterruptions),
            spot_rebalances: BinaryHeap::new(),
            spot_notices: cfg
                .spot
                .as_ref()
                .map(|s| s.scheduled_notices.iter().map(|&n| Reverse(n)).collect())
                .unwrap_or_default(),
            spot_deadlines: VecDeque::new(),
            spot_live: 0,
            spot_interruptions: 0,
            explained: None,
            llm: cfg.llm.clone().map(crate::model::llm::LlmState::new),
            llm_rng: stream(seed, Stream::Llm),
            session_rng: stream(seed, Stream::Sessions),
            outage_i: 0,
            outage_end_next: false,
            down: false,
            desired_before_outage: 0,
            minute_hists: Vec::new(),
            windows: crate::metrics::WindowAcc::new(cfg.slo_window_minutes),
            nodes: cfg
                .cluster
                .clone()
                .map(|plan| Box::new(nodes::Nodes::new(plan, seed))),
            usage: cfg
                .usage
                .clone()
                .map(|u| Box::new(usage::Usage::new(u, cfg.vpa.clone()))),
            fluid: None,
            lazy: false,
            seg_end: 0,
            booked: VecDeque::with_capacity(queue_cap),
            cfg,
        }
    }
}

/// Runs one simulation. Same config, rows and seed give the same outcome.
pub fn simulate<I: Iterator<Item = TraceRow>>(cfg: SimConfig, rows: I, seed: u64) -> RunOutcome {
    simulate_loop(cfg, rows, seed, true)
}

/// The same simulation one event at a time, every completion an event of the
/// main loop (no [`fast_segment`]): the reference the fast loop must equal
/// exactly (tests/it/engine.rs), and the "before" of the engine benchmarks.
pub fn simulate_event_by_event<I: Iterator<Item = TraceRow>>(
    cfg: SimConfig,
    rows: I,
    seed: u64,
) -> RunOutcome {
    simulate_loop(cfg, rows, seed, false)
}

fn simulate_loop<I: Iterator<Item = TraceRow>>(
    cfg: SimConfig,
    rows: I,
    seed: u64,
    fast: bool,
) -> RunOutcome {
    const NEVER: u64 = u64::MAX;
    assert!(cfg.concurrency > 0, "invariant: concurrency >= 1");
    if cfg.fluid {
        return fluid::simulate_fluid(cfg, rows, seed);
    }
    let end = cfg.end_us;
    let mut arrivals = Arrivals::new(
        rows,
        cfg.trace_kind,
        cfg.median_interval_us,
        cfg.arrivals,
        stream(seed, Stream::Arrivals),
    );
    let mut service_rng = stream(seed, Stream::ServiceTimes);
    let mut e = Engine::new(cfg, seed);
    e.prepare();
    let mut next_arrival = arrivals.next();
    let mut next_tick = 0u64;
    // The request-only stretches between the other events run in
    // `fast_segment` (not with the usage model: its processor sharing and
    // OOM kills reschedule completions).
    let fast = fast && e.usage.is_none();
    loop {
        if fast {
            let t_hi = next_tick
                .min(e.pending.front().map_or(NEVER, |p| p.0))
                .min(e.next_control)
                .min(end);
            fast_segment(
                &mut e,
                t_hi,
                &mut arrivals,
                &mut next_arrival,
                &mut service_rng,
            );
        }
        let t_tick = next_tick;
        let t_ready = e.pending.front().map_or(NEVER, |p| p.0);
        let t_comp = e.completions.peek().map_or(NEVER, |c| c.t_us);
        let t_ctl = e.next_control;
        let t_exp = e.queue.front().map_or(NEVER, |w| e.drop_time(w.arrival_us));
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
    e.finish()
}

/// Runs the requests' events — arrivals, completions, queue timeouts —
/// before `t_hi`, the next tick, replica start or control time, with the
/// same order and effects as the main loop but without its choice among six
/// cursors. While every completion in the heap is a ready replica's and no
/// request waits, completions are not events: a completion past its time
/// stays in the heap until an arrival takes its slot (one sift instead of a
/// pop, a free-slot push and pop, and a push) or the segment ends and
/// [`Engine::settle`] frees it. Nothing outside reads the pool in between.
#[inline]
fn fast_segment<I: Iterator<Item = TraceRow>>(
    e: &mut Engine,
    t_hi: u64,
    arrivals: &mut Arrivals<I>,
    next_arrival: &mut Option<Arrival>,
    service_rng: &mut crate::rng::SimRng,
) {
    const NEVER: u64 = u64::MAX;
    e.lazy = e.completions.len() as u64 == e.busy_ready;
    e.seg_end = t_hi;
    if e.lazy && !e.queue.is_empty() {
        e.book_queue();
    }
    // Whether this segment ran an event. If not, completions due now (after
    // the tick or replica start just run, before a control time) are events
    // the main loop still has to run in order, not lazy slots to settle.
    let mut ran = false;
    // Arrivals that are nothing but a time, into a service without a cost
    // limit or an outage: their own loop below.
    let plain = arrivals.plain() && e.llm.is_none() && !e.down;
    loop {
        if plain
            && e.lazy
            && e.queue.is_empty()
            && e.free_slots == 0
            && e.completions.len() > 0
            && let Some(a) = *next_arrival
            && a.t_us < t_hi
        {
            // One loop per service distribution, so the loop does not
            // choose among them at every request.
            use crate::model::service::{exponential_us, lognormal_us};
            let (t, rng) = (a.t_us, &mut *service_rng);
            match e.cfg.service.clone() {
                ServiceDist::Exponential { mean_us } => {
                    let draw = |r: &mut _| exponential_us(r, mean_us);
                    plain_arrivals(e, t_hi, t, arrivals, next_arrival, rng, draw);
                }
                ServiceDist::LogNormal { d, .. } => {
                    let draw = |r: &mut _| lognormal_us(r, &d);
                    plain_arrivals(e, t_hi, t, arrivals, next_arrival, rng, draw);
                }
                service => {
                    let draw = |r: &mut _| service.sample(r, None);
                    plain_arrivals(e, t_hi, t, arrivals, next_arrival, rng, draw);
                }
            }
            ran = true;
        }
        let t_arr = next_arrival.map_or(NEVER, |a| a.t_us);
        let (t_comp, t_exp) = match e.queue.front() {
            // Requests wait only while no slot is free: nothing is lazy.
            Some(w) => (
                e.completions.peek().map_or(NEVER, |c| c.t_us),
                e.drop_time(w.arrival_us),
            ),
            None if e.lazy => (NEVER, NEVER),
            None => (e.completions.peek().map_or(NEVER, |c| c.t_us), NEVER),
        };
        let t = t_comp.min(t_exp).min(t_arr);
        if t >= t_hi {
            break;
        }
        e.advance(t);
        ran = true;
        if t == t_comp {
            let replica = e.completions.peek().expect("t == t_comp").replica;
            let ready = e.replicas[replica as usize].state == ReplicaState::Ready;
            e.complete_next();
            if !ready {
                // A draining replica may have stopped: its node, its
                // billing and the control times it changes are the main
                // loop's again.
                break;
            }
        } else if t == t_exp {
            e.expire_head();
        } else {
            let a = next_arrival.expect("t == t_arr");
            let service_us = e.cfg.service.sample(service_rng, a.service_us);
            e.on_arrival(a, service_us);
            *next_arrival = arrivals.next();
        }
    }
    if e.lazy && ran {
        e.settle();
    }
    e.lazy = false;
}

/// The arrivals of a lazy segment from `t` (before `t_hi`) while nobody
/// waits in `queue`: then they are its only events (completions are lazy,
/// and nothing can time out), so each one is the next event. Returns when
/// the next arrival is at or past `t_hi`, or a request had to wait in
/// `queue`. The integrals of busy slots and of the queue are not brought up
/// to each arrival: both counts are constant until `admit_plain` changes
/// one, which brings them up first, and they are brought up to the last arrival
/// here (the sums are the same).
#[inline]
fn plain_arrivals<I: Iterator<Item = TraceRow>>(
    e: &mut Engine,
    t_hi: u64,
    mut t: u64,
    arrivals: &mut Arrivals<I>,
    next_arrival: &mut Option<Arrival>,
    service_rng: &mut crate::rng::SimRng,
    draw: impl Fn(&mut crate::rng::SimRng) -> u64,
) {
    // Copies of the arrival cursor and the service stream, kept in
    // registers through the loop and put back after it.
    let mut cur = arrivals.cursor();
    let mut rng = service_rng.clone();
    // Every slot is busy (lazily or not) and stays so: each arrival takes
    // the earliest completion's slot, now or booked, or waits in `queue`
    // (which ends the loop). The completions go into a tournament tree for
    // the loop (`heap.rs`).
    e.completions.enter_tree();
    loop {
        e.now = t;
        e.arrived += 1;
        let service_us = draw(&mut rng);
        e.admit_plain(t, service_us);
        t = match cur.next_in_segment() {
            Some(n) => n,
            None => {
                arrivals.set_cursor(cur);
                let n = arrivals.next_time();
                cur = arrivals.cursor();
                match n {
                    Some(n) => n,
                    None => {
                        *next_arrival = None;
                        break;
                    }
                }
            }
        };
        if t >= t_hi || !e.queue.is_empty() {
            *next_arrival = Some(arrivals.at(t));
            break;
        }
    }
    arrivals.set_cursor(cur);
    *service_rng = rng;
    e.completions.leave_tree();
    e.advance(e.now);
}

impl Engine {
    /// Starts the node layer and collects the first control times (before
    /// the first event).
    fn prepare(&mut self) {
        const NEVER: u64 = u64::MAX;
        let e = self;
        if e.nodes.is_some() {
            e.start_nodes();
            let t = e.nodes.as_ref().map_or(NEVER, |n| n.next_time());
            e.next_control = e.next_control.min(t);
        }
        e.next_control = e.next_control.min(e.next_outage()).min(e.vpa_next());
        e.metrics.usage = e.usage.is_some();
        e.schedule_rebalances();
        if let Some(&Reverse((t, _))) = e.spot_notices.peek() {
            e.next_control = e.next_control.min(t);
        }
        if let Some(&Reverse((t, _))) = e.spot_rebalances.peek() {
            e.next_control = e.next_control.min(t);
        }
    }

    /// The run's outcome at its end (the clock advanced to `cfg.end_us`).
    fn finish(self) -> RunOutcome {
        let mut e = self;
        let end = e.cfg.end_us;
        e.fold_replicas();
        // Requests past the end of the trace are not part of the run.
        let in_flight = e.queue.len() as u64 + e.busy_all;
        assert_eq!(
            e.arrived,
            e.served + e.dropped + e.rejected + in_flight,
            "invariant: arrived = served + dropped + rejected + in flight"
        );
        if let Some(ns) = &mut e.nodes {
            ns.touch(end);
        }
        let pod_hours = e.meter.replica_us(end) as f64 / crate::units::US_PER_HOUR as f64;
        let node_summary = e.nodes.as_ref().map(|ns| {
            let mut s = ns.summary(end);
            s.pod_hours = pod_hours;
            s.fargate_equivalent = ns
                .plan
                .fargate_usd_per_pod_hour
                .as_ref()
                .map(|(rate, size)| (rate * pod_hours, size.clone()));
            s
        });
        let compute_spot = e.spot_meter.accrued_usd(end)
            + node_summary.as_ref().map_or(0.0, |n| n.cost_nodes_spot_usd);
        let compute = e.meter.accrued_usd(end)
            + e.spot_meter.accrued_usd(end)
            + node_summary.as_ref().map_or(0.0, |n| n.cost_nodes_usd);
        if let Some(last) = e.timeline.last() {
            assert!(
                (last.cost_compute_usd - compute).abs() <= 1e-9 * compute.max(1.0),
                "invariant: the timeline's cumulative cost ends at the summary's"
            );
        }
        let served = e.served;
        let usage_summary = e.usage.as_mut().map(|u| {
            let t = u.totals(end);
            let (ev, rs) = u.vpa.as_ref().map_or((0, 0), |v| (v.evictions, v.resizes));
            crate::metrics::UsageSummary {
                oom_kills: u.oom_kills,
                vpa_evictions: ev,
                vpa_resizes: rs,
                cpu_throttled_pct: if e.ready_rep_int > 0 {
                    t.thr_int / e.ready_rep_int as f64 * 100.0
                } else {
                    0.0
                },
            }
        });
        let (vpa_rows, vpa_samples) = e
            .usage
            .as_mut()
            .and_then(|u| u.vpa.as_mut())
            .map(|v| (std::mem::take(&mut v.rows), std::mem::take(&mut v.samples)))
            .unwrap_or_default();
        let llm = e.llm.as_ref();
        let summary = Summary {
            sim_seconds: end as f64 / US_PER_SEC as f64,
            requests_arrived: e.arrived,
            requests_served: served,
            requests_dropped: e.dropped,
            requests_rejected: e.rejected,
            requests_in_flight: in_flight,
            requests_within_slo: e.within,
            latency_mean_ms: (served > 0)
                .then(|| e.latency_sum_us as f64 / served as f64 / US_PER_MS as f64),
            latency_p50_ms: quantile_ms(&e.hist, 0.50),
            latency_p90_ms: quantile_ms(&e.hist, 0.90),
            latency_p95_ms: quantile_ms(&e.hist, 0.95),
            latency_p99_ms: quantile_ms(&e.hist, 0.99),
            latency_max_ms: (served > 0).then(|| us_to_ms(e.latency_max_us)),
            wait_mean_ms: (e.started > 0)
                .then(|| e.wait_sum_us as f64 / e.started as f64 / US_PER_MS as f64),
            wait_probability: (e.started > 0).then(|| e.waited as f64 / e.started as f64),
            requests_started: e.started,
            replica_hours_on_demand: e.meter.replica_us(end) as f64
                / crate::units::US_PER_HOUR as f64,
            replica_hours_spot: e.spot_meter.replica_us(end) as f64
                / crate::units::US_PER_HOUR as f64,
            replicas_mean: if end > 0 {
                e.replicas_int as f64 / end as f64
            } else {
                0.0
            },
            ready_replica_seconds: e.ready_rep_int as f64 / US_PER_SEC as f64,
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
            nodes: node_summary,
            usage: usage_summary,
        };
        let nodes = e.nodes.as_ref().map_or(Vec::new(), |ns| ns.records(end));
        RunOutcome {
            summary,
            timeline: e.timeline,
            alerts: e.llm.map(|l| l.alerts).unwrap_or_default(),
            scaling: e.scaling,
            latency: e.hist,
            minute_latency: e.minute_hists,
            windows: e.windows.finish(),
            regions: Vec::new(),
            nodes,
            explained: e.explained,
            vpa: vpa_rows,
            vpa_samples,
        }
    }
}
