//! The usage model in the engine (docs/resources.md): each ready pod's CPU
//! and memory usage against its requests and limits, processor sharing
//! inside a pod whose CPU demand exceeds its limit, and OOM kills.
//!
//! Per-pod integrals (usage, requests, throttled time) are advanced when the
//! pod's busy count changes; the run's totals are the integrals of pods that
//! left Ready plus those of the ready pods, summed at each whole second (the
//! snapshot metric windows read), so no running sum drifts.
//!
//! A pod that can be throttled serves its requests by processor sharing: its
//! virtual clock `v` advances at `speed` = limit / demand (1 when not
//! throttled); a request that starts at `v0` with service time S (at full
//! speed) finishes when `v` reaches `v0 + S`. The completion heap holds one
//! entry per such pod, its next finish, marked by `arrival_us = PS_MARK`;
//! an entry whose `seq` is not the pod's current token is stale.

use super::*;
use crate::model::resources::{BACKOFF_RESET_S, PodResources, UsagePlan, restart_backoff_s};
use crate::model::vpa::PeakWindow;

/// `Completion::arrival_us` of a processor-sharing pod's next finish.
pub(super) const PS_MARK: u64 = u64::MAX;

/// One pod's usage state.
#[derive(Clone, Debug)]
pub(super) struct PodUsage {
    pub res: PodResources,
    /// Counted in the ready totals (index into `Usage::ready`).
    pub ready_pos: Option<u32>,
    pub busy: u32,
    pub t_last: u64,
    /// ∫ over ready time: cores used, cores requested, MB used, MB
    /// requested, throttled (1 while demand > limit), µs-weighted.
    pub cpu_int: f64,
    pub cpu_req_int: f64,
    pub mem_int: f64,
    pub mem_req_int: f64,
    pub thr_int: f64,
    /// `cpu_int` and time at the VPA's last sample of this pod.
    pub cpu_int_sampled: f64,
    pub t_sampled: u64,
    /// Processor sharing (the pod can be throttled).
    pub ps: bool,
    pub v: f64,
    /// When `v` last advanced.
    pub ps_t: u64,
    pub jobs: BinaryHeap<Reverse<(u64, u64, u64)>>,
    pub token: u64,
    /// Consecutive OOM kills (the kubelet's back-off) and when the
    /// container last started.
    pub crashes: u32,
    pub started_us: u64,
    /// OOM-killed within 10 minutes of its start (the updater's quick OOM).
    pub quick_oom: bool,
    /// The VPA's memory-peak window of this pod's container.
    pub peak: PeakWindow,
    /// The pod's requests for the node layer when the VPA changed them.
    pub node_res: Option<crate::model::cluster::Res>,
}

pub use crate::model::metrics::UsageTotals;

pub(super) struct Usage {
    pub plan: UsagePlan,
    pub pods: Vec<PodUsage>,
    /// Requests and limits a new pod gets (the VPA's admission changes them).
    pub admit: PodResources,
    pub ready: Vec<u32>,
    /// Integrals of pods no longer ready.
    pub retired: UsageTotals,
    pub oom_kills: u64,
    pub vpa: Option<Box<super::vpa::VpaState>>,
    /// Evictions and resizes of the VPA loop running now.
    pub pending_evictions: u64,
    pub pending_resizes: u64,
}

impl PodUsage {
    /// This pod's integrals since it last became ready.
    fn integrals(&self) -> UsageTotals {
        UsageTotals {
            cpu_int: self.cpu_int,
            cpu_req_int: self.cpu_req_int,
            mem_int: self.mem_int,
            mem_req_int: self.mem_req_int,
            thr_int: self.thr_int,
        }
    }
}

impl Usage {
    pub fn new(plan: UsagePlan, vpa: Option<crate::model::vpa::VpaSpec>) -> Usage {
        Usage {
            admit: plan.pod,
            plan,
            pods: Vec::new(),
            ready: Vec::new(),
            retired: UsageTotals::default(),
            oom_kills: 0,
            vpa: vpa.map(|s| Box::new(super::vpa::VpaState::new(s))),
            pending_evictions: 0,
            pending_resizes: 0,
        }
    }

    /// Advances pod `id`'s integrals to `now`.
    #[inline]
    pub fn touch(&mut self, id: usize, now: u64) {
        let plan = &self.plan;
        let p = &mut self.pods[id];
        if p.ready_pos.is_some() && now > p.t_last {
            let dt = (now - p.t_last) as f64;
            let lim = p.res.cpu_limit;
            p.cpu_int += plan.cpu_usage(p.busy, lim) * dt;
            p.cpu_req_int += p.res.cpu_request * dt;
            p.mem_int += plan.memory_mb(p.busy) * dt;
            p.mem_req_int += p.res.memory_request_mb * dt;
            if lim.is_some_and(|l| plan.cpu_demand(p.busy) > l) {
                p.thr_int += dt;
            }
        }
        p.t_last = now;
    }

    /// The totals over every pod's ready time up to `now`.
    pub fn totals(&mut self, now: u64) -> UsageTotals {
        let mut t = self.retired;
        for i in 0..self.ready.len() {
            let id = self.ready[i] as usize;
            self.touch(id, now);
            t = t.plus(self.pods[id].integrals());
        }
        t
    }

    fn join_ready(&mut self, id: usize, now: u64) {
        let p = &mut self.pods[id];
        debug_assert!(p.ready_pos.is_none());
        p.t_last = now;
        p.cpu_int = 0.0;
        p.cpu_req_int = 0.0;
        p.mem_int = 0.0;
        p.mem_req_int = 0.0;
        p.thr_int = 0.0;
        p.cpu_int_sampled = 0.0;
        p.t_sampled = now;
        p.ready_pos = Some(self.ready.len() as u32);
        self.ready.push(id as u32);
    }

    fn leave_ready(&mut self, id: usize, now: u64) {
        self.touch(id, now);
        let Some(pos) = self.pods[id].ready_pos.take() else {
            return;
        };
        self.retired = self.retired.plus(self.pods[id].integrals());
        self.ready.swap_remove(pos as usize);
        if let Some(&moved) = self.ready.get(pos as usize) {
            self.pods[moved as usize].ready_pos = Some(pos);
        }
    }
}

impl Engine {
    /// A new replica's usage state, with the requests the admission gives it.
    pub(super) fn usage_created(&mut self, id: u32) {
        let now = self.now;
        let Some(u) = &mut self.usage else { return };
        debug_assert_eq!(u.pods.len(), id as usize);
        let res = u.admit;
        let node_res = u.vpa.is_some().then(|| super::vpa::node_res(&res));
        u.pods.push(PodUsage {
            // Any pod with a CPU limit is served by processor sharing (at
            // full speed while under its limit): a resize can move it.
            ps: res.cpu_limit.is_some() && (u.vpa.is_some() || u.plan.can_throttle(&res)),
            res,
            ready_pos: None,
            busy: 0,
            t_last: now,
            cpu_int: 0.0,
            cpu_req_int: 0.0,
            mem_int: 0.0,
            mem_req_int: 0.0,
            thr_int: 0.0,
            cpu_int_sampled: 0.0,
            t_sampled: now,
            v: 0.0,
            ps_t: now,
            jobs: BinaryHeap::new(),
            token: 0,
            crashes: 0,
            started_us: now,
            quick_oom: false,
            peak: PeakWindow::default(),
            node_res,
        });
    }

    pub(super) fn usage_ready(&mut self, id: u32) {
        let now = self.now;
        if let Some(u) = &mut self.usage {
            u.join_ready(id as usize, now);
        }
    }

    pub(super) fn usage_unready(&mut self, id: u32) {
        let now = self.now;
        if let Some(u) = &mut self.usage {
            u.leave_ready(id as usize, now);
        }
    }

    /// Pod `id`'s busy count changed to `busy`.
    #[inline]
    pub(super) fn usage_busy(&mut self, id: u32, busy: u32) {
        let now = self.now;
        if let Some(u) = &mut self.usage {
            u.touch(id as usize, now);
            u.pods[id as usize].busy = busy;
        }
    }

    /// A request starts on pod `replica` (its busy count already raised):
    /// processor sharing, and the memory limit.
    pub(super) fn usage_start(&mut self, replica: u32, c: Completion, service_us: u64) {
        let busy = self.replicas[replica as usize].busy;
        self.usage_busy(replica, busy);
        let u = self.usage.as_mut().expect("usage model");
        let p = &u.pods[replica as usize];
        if p.ps {
            self.ps_advance(replica);
            let u = self.usage.as_mut().expect("usage model");
            let p = &mut u.pods[replica as usize];
            let finish = p.v + service_us as f64;
            p.jobs
                .push(Reverse((finish.to_bits(), c.seq, c.arrival_us)));
            self.ps_reschedule(replica);
        } else {
            self.completions.push(c);
        }
        let u = self.usage.as_ref().expect("usage model");
        let p = &u.pods[replica as usize];
        if p.res
            .memory_limit_mb
            .is_some_and(|l| u.plan.memory_mb(busy) > l)
        {
            self.oom_kill(replica);
        }
    }

    /// Advances a processor-sharing pod's virtual clock to now.
    #[inline]
    pub(super) fn ps_advance(&mut self, id: u32) {
        let now = self.now;
        let u = self.usage.as_mut().expect("usage model");
        let plan = &u.plan;
        let p = &mut u.pods[id as usize];
        // The busy count is already the new one; the speed since the last
        // change was that of the count the jobs heap held.
        let n = p.jobs.len() as u32;
        let speed = plan.speed(n, p.res.cpu_limit);
        if n > 0 {
            p.v += speed * (now - p.ps_t) as f64;
        }
        p.ps_t = now;
    }

    /// Schedules a processor-sharing pod's next finish.
    pub(super) fn ps_reschedule(&mut self, id: u32) {
        let now = self.now;
        let u = self.usage.as_mut().expect("usage model");
        let plan = &u.plan;
        let p = &mut u.pods[id as usize];
        let Some(&Reverse((vf, _, _))) = p.jobs.peek() else {
            p.token = 0;
            return;
        };
        let speed = plan.speed(p.jobs.len() as u32, p.res.cpu_limit);
        let left = (f64::from_bits(vf) - p.v).max(0.0);
        let dt = (left / speed).ceil();
        let t = if dt >= (u64::MAX - now) as f64 {
            u64::MAX - 1
        } else {
            now + dt as u64
        };
        self.seq += 1;
        p.token = self.seq;
        self.completions.push(Completion {
            t_us: t,
            seq: self.seq,
            replica: id,
            arrival_us: PS_MARK,
        });
    }

    /// The finish at the top of the heap, of a processor-sharing pod.
    pub(super) fn ps_complete(&mut self, c: Completion) {
        self.completions.pop();
        let id = c.replica;
        {
            let u = self.usage.as_ref().expect("usage model");
            if u.pods[id as usize].token != c.seq {
                return; // rescheduled since
            }
        }
        self.ps_advance(id);
        let u = self.usage.as_mut().expect("usage model");
        let p = &mut u.pods[id as usize];
        let Reverse((vf, _, arrival_us)) = p.jobs.pop().expect("a job finishes");
        p.v = p.v.max(f64::from_bits(vf));
        self.record_served(arrival_us);
        match self.replicas[id as usize].state {
            ReplicaState::Ready => {
                if let Some(w) = self.next_waiting() {
                    let next = self.begin(w.arrival_us, w.service_us, id);
                    let u = self.usage.as_mut().expect("usage model");
                    let p = &mut u.pods[id as usize];
                    let finish = p.v + w.service_us as f64;
                    p.jobs
                        .push(Reverse((finish.to_bits(), next.seq, w.arrival_us)));
                } else {
                    let r = &mut self.replicas[id as usize];
                    r.busy -= 1;
                    let busy = r.busy;
                    self.busy_ready -= 1;
                    self.busy_all -= 1;
                    self.free.push_back(id);
                    self.free_slots += 1;
                    self.usage_busy(id, busy);
                }
            }
            ReplicaState::Draining => {
                self.busy_all -= 1;
                let r = &mut self.replicas[id as usize];
                r.busy -= 1;
                let busy = r.busy;
                self.usage_busy(id, busy);
                if busy == 0 {
                    self.stop_replica(id);
                }
            }
            ReplicaState::Unschedulable | ReplicaState::Pending | ReplicaState::Gone => {
                panic!("invariant: a processor-sharing finish on a pod not serving")
            }
        }
        self.ps_reschedule(id);
    }

    /// Drops a pod's processor-sharing work (the caller counts the requests).
    pub(super) fn ps_clear(&mut self, id: u32) {
        if let Some(u) = &mut self.usage {
            let p = &mut u.pods[id as usize];
            p.jobs.clear();
            p.token = 0;
            p.v = 0.0;
        }
    }

    /// The container of pod `id` used more memory than its limit: the
    /// kernel kills it, the requests it held are dropped, and the kubelet
    /// restarts it in the same pod after its back-off; it is ready again
    /// `service.startup_s` later.
    pub(super) fn oom_kill(&mut self, id: u32) {
        let now = self.now;
        let busy = self.replicas[id as usize].busy;
        debug_assert_eq!(self.replicas[id as usize].state, ReplicaState::Ready);
        // Out of the ready set: its slots, its work.
        self.usage_busy(id, busy);
        self.usage_unready(id);
        let conc = self.cfg.concurrency;
        self.fold_replicas();
        self.ready_replicas -= 1;
        self.busy_ready -= u64::from(busy);
        self.busy_all -= u64::from(busy);
        self.free_slots -= u64::from(conc - busy);
        self.free.retain(|&r| r != id);
        self.dropped += u64::from(busy);
        self.minute.dropped += u64::from(busy);
        let ps = self.usage.as_ref().is_some_and(|u| u.pods[id as usize].ps);
        if ps {
            self.ps_clear(id);
        } else {
            self.completions.retain(|c| c.replica != id);
        }
        let r = &mut self.replicas[id as usize];
        r.busy = 0;
        r.state = ReplicaState::Pending;
        r.ready_us = None;
        let u = self.usage.as_mut().expect("usage model");
        u.oom_kills += 1;
        let p = &mut u.pods[id as usize];
        p.busy = 0;
        let ran_s = (now - p.started_us) as f64 / US_PER_SEC as f64;
        if ran_s >= BACKOFF_RESET_S {
            p.crashes = 0;
        }
        p.crashes += 1;
        p.quick_oom = ran_s < crate::model::vpa::EVICT_AFTER_OOM_US as f64 / US_PER_SEC as f64;
        let backoff_s = restart_backoff_s(p.crashes);
        let request_mb = p.res.memory_request_mb;
        let restart_us = now.saturating_add(crate::units::secs_to_us(backoff_s));
        p.started_us = restart_us;
        let ready_at = restart_us.saturating_add(self.cfg.startup_us);
        if let Some(v) = &mut u.vpa {
            v.record_oom(&mut u.pods[id as usize].peak, id, request_mb, now);
        }
        self.push_pending(ready_at, id);
    }
}
