//! The pool: replicas (pending, ready, draining), their slots, the FIFO queue
//! at the load balancer and the completions in flight.

use super::*;

impl Engine {
    /// Starts service of a request on a free slot; the caller checked one exists.
    #[inline]
    pub(super) fn start(&mut self, arrival_us: u64, service_us: u64) {
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
        if self.usage.is_some() {
            self.usage_start(replica, c, service_us);
            return;
        }
        self.completions.push(c);
    }

    /// Wait statistics and the completion of a request starting now on `replica`.
    #[inline]
    pub(super) fn begin(&mut self, arrival_us: u64, service_us: u64, replica: u32) -> Completion {
        self.begin_at(self.now, arrival_us, service_us, replica)
    }

    /// Wait statistics and the completion of a request starting at
    /// `start_us` (now, or later for a booked request) on `replica`.
    #[inline]
    pub(super) fn begin_at(
        &mut self,
        start_us: u64,
        arrival_us: u64,
        service_us: u64,
        replica: u32,
    ) -> Completion {
        let wait = start_us - arrival_us;
        self.started += 1;
        if wait > 0 {
            self.waited += 1;
            self.wait_sum_us += u128::from(wait);
        }
        self.seq += 1;
        Completion {
            t_us: start_us.saturating_add(service_us),
            seq: self.seq,
            replica,
            arrival_us,
        }
    }

    /// The next waiting request that has not waited past its timeout; those
    /// that have are dropped.
    #[inline]
    pub(super) fn next_waiting(&mut self) -> Option<Waiting> {
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
    pub(super) fn serve_queue(&mut self) {
        while self.free_slots > 0 {
            let Some(w) = self.next_waiting() else { break };
            self.start(w.arrival_us, w.service_us);
        }
    }

    /// Completes the request at the top of the completion heap. On a ready
    /// replica the freed slot goes straight to the next waiting request, if
    /// any, by replacing the heap's top (one sift instead of a pop and a push).
    #[inline]
    pub(super) fn complete_next(&mut self) {
        let c = *self.completions.peek().expect("a completion is due");
        if self.replicas[c.replica as usize].state == ReplicaState::Gone {
            // Interrupted spot replica: its in-flight work was dropped at the deadline.
            self.completions.pop();
            return;
        }
        if c.arrival_us == usage::PS_MARK {
            self.ps_complete(c);
            return;
        }
        self.record_served(c.arrival_us);
        match self.replicas[c.replica as usize].state {
            ReplicaState::Ready => {
                // Requests wait only while no slot is free, so this slot is the
                // one the next waiting request gets.
                if let Some(w) = self.next_waiting() {
                    let next = self.begin(w.arrival_us, w.service_us, c.replica);
                    self.completions.replace_top(next);
                    return;
                }
                self.completions.pop();
                self.replicas[c.replica as usize].busy -= 1;
                self.busy_ready -= 1;
                self.busy_all -= 1;
                self.free.push_back(c.replica);
                self.free_slots += 1;
                if self.usage.is_some() {
                    let busy = self.replicas[c.replica as usize].busy;
                    self.usage_busy(c.replica, busy);
                }
            }
            ReplicaState::Draining => {
                self.completions.pop();
                self.busy_all -= 1;
                let r = &mut self.replicas[c.replica as usize];
                r.busy -= 1;
                let busy = r.busy;
                if self.usage.is_some() {
                    self.usage_busy(c.replica, busy);
                }
                if busy == 0 {
                    self.stop_replica(c.replica);
                }
            }
            ReplicaState::Unschedulable | ReplicaState::Pending | ReplicaState::Gone => {
                panic!("invariant: a completion on a replica that was never ready")
            }
        }
    }

    /// Frees the slots of the completions left in the heap past their time
    /// in a lazy [`fast_segment`](super::fast_segment), in the order the
    /// main loop would have (time, then sequence): each is served at its
    /// time, its slot joins the free FIFO, and the busy-slot integral, which
    /// counted the slot busy until now, is brought back to its completion.
    pub(super) fn settle(&mut self) {
        while let Some(&c) = self.completions.peek() {
            if c.t_us > self.now {
                break;
            }
            self.completions.pop();
            self.record_served_at(c.t_us, c.arrival_us);
            self.busy_int -= u128::from(self.now - c.t_us);
            self.replicas[c.replica as usize].busy -= 1;
            self.busy_ready -= 1;
            self.busy_all -= 1;
            self.free.push_back(c.replica);
            self.free_slots += 1;
        }
    }

    /// A request that arrived at `arrival_us` is served now.
    #[inline]
    pub(super) fn record_served(&mut self, arrival_us: u64) {
        self.record_served_at(self.now, arrival_us);
    }

    /// A request that arrived at `arrival_us` is served at `t_us` (now, or
    /// earlier in this second for a lazy completion).
    #[inline]
    pub(super) fn record_served_at(&mut self, t_us: u64, arrival_us: u64) {
        let latency = t_us - arrival_us;
        self.served += 1;
        self.latency_sum_us += u128::from(latency);
        self.latency_max_us = self.latency_max_us.max(latency);
        self.minute_hist.record(latency);
        if latency <= self.cfg.slo_target_us {
            self.within += 1;
        }
    }

    #[inline(always)]
    pub(super) fn on_arrival(&mut self, a: Arrival, service_us: u64) {
        self.arrived += 1;
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
        self.admit(a.t_us, service_us);
    }

    /// A request arriving now (at `t_us`) that the service accepts: it
    /// starts, waits, is booked or is rejected by the queue limit. In a
    /// plain segment the integrals may be behind `now` (`fast_segment`):
    /// they are brought up to now before the busy slots or the queue change.
    #[inline(always)]
    pub(super) fn admit(&mut self, t_us: u64, service_us: u64) {
        if self.free_slots > 0 {
            debug_assert!(
                self.queue.is_empty(),
                "invariant: no free slot while requests wait"
            );
            self.advance(self.now);
            self.start(t_us, service_us);
        } else if self.lazy
            && let Some(&c) = self.completions.peek()
            && c.t_us <= self.now
        {
            self.take_lazy_slot(c, t_us, service_us);
        } else {
            if self.lazy {
                self.prune_booked();
            }
            if ((self.queue.len() + self.booked.len()) as u64) >= self.cfg.queue_limit {
                self.rejected += 1;
                self.minute.rejected += 1;
            } else if !(self.lazy && self.queue.is_empty() && self.book(t_us, service_us, t_us)) {
                self.wait(t_us, service_us);
            }
        }
    }

    /// [`admit`](Self::admit) in a lazy segment while nobody waits in
    /// `queue` (`plain_arrivals`): the same steps without testing either.
    #[inline(always)]
    pub(super) fn admit_plain(&mut self, t_us: u64, service_us: u64) {
        debug_assert!(self.lazy && self.queue.is_empty());
        if self.free_slots > 0 {
            self.advance(self.now);
            self.start(t_us, service_us);
        } else if let Some(&c) = self.completions.peek()
            && c.t_us <= self.now
        {
            self.take_lazy_slot(c, t_us, service_us);
        } else {
            self.prune_booked();
            if self.booked.len() as u64 >= self.cfg.queue_limit {
                self.rejected += 1;
                self.minute.rejected += 1;
            } else if !self.book(t_us, service_us, t_us) {
                self.wait(t_us, service_us);
            }
        }
    }

    /// In a lazy segment, the earliest completion `c` is past its time: its
    /// slot is the one the free FIFO would give (no older free slot is
    /// left). It is served at its time, the busy time counted after it is
    /// taken back, and the request arriving now takes its place.
    /// `t_us` is now (the request arrives now).
    #[inline(always)]
    fn take_lazy_slot(&mut self, c: Completion, t_us: u64, service_us: u64) {
        debug_assert_eq!(t_us, self.now);
        self.record_served_at(c.t_us, c.arrival_us);
        // Wrapping: the integral may be behind `now` here (see `admit`);
        // it is exact again once brought up to now.
        self.busy_int = self.busy_int.wrapping_sub(u128::from(t_us - c.t_us));
        let next = self.begin_at(t_us, t_us, service_us, c.replica);
        self.completions.replace_top(next);
    }

    /// Booked requests that have left the queue by now no longer count
    /// towards its limit.
    #[inline(always)]
    fn prune_booked(&mut self) {
        while self.booked.front().is_some_and(|&t| t <= self.now) {
            self.booked.pop_front();
        }
    }

    /// The request arriving now waits in `queue` (the integrals brought up
    /// to now first: the queue's length changes).
    #[inline]
    fn wait(&mut self, t_us: u64, service_us: u64) {
        self.advance(self.now);
        self.queue.push_back(Waiting {
            arrival_us: t_us,
            service_us,
        });
    }

    /// When a waiting request that arrived at `arrival_us` is dropped if no
    /// slot reaches it: the first microsecond past its timeout.
    #[inline(always)]
    pub(super) fn drop_time(&self, arrival_us: u64) -> u64 {
        arrival_us
            .saturating_add(self.cfg.timeout_us)
            .saturating_add(1)
    }

    /// At the start of a lazy segment, books the requests waiting in `queue`
    /// from its front, as long as each one's start or drop comes before the
    /// segment ends (the rest wait on, in order). The queue integral has
    /// counted their wait up to now; the booking adds the rest.
    pub(super) fn book_queue(&mut self) {
        while let Some(&w) = self.queue.front() {
            if !self.book(w.arrival_us, w.service_us, self.now) {
                return;
            }
            self.queue.pop_front();
        }
    }

    /// A booked request waits until `leave`: kept for the queue limit's
    /// count (without a limit nothing reads it).
    #[inline(always)]
    fn note_booked(&mut self, leave: u64) {
        if self.cfg.queue_limit != u64::MAX {
            self.booked.push_back(leave);
        }
    }

    /// A request that must wait, in a lazy segment with nobody waiting ahead
    /// of it in `queue`: with one FIFO queue its fate is known now (the
    /// Kiefer–Wolfowitz recursion). It gets the slot of the earliest
    /// completion in the heap — the one the main loop would give the front
    /// of the queue — unless that is past its timeout, when it is dropped
    /// at arrival + timeout + 1 µs. Booked only when that happens before the
    /// segment ends (no replica can start or drain in between); otherwise
    /// (false) it waits in `queue` as in the main loop. The completion whose
    /// slot it takes is served now (at its time, in this second), the slot
    /// stays busy, and its wait from `counted_to` (its arrival, or now for
    /// a request the queue integral has counted so far) joins the queue
    /// integral at once.
    #[inline]
    fn book(&mut self, arrival_us: u64, service_us: u64, counted_to: u64) -> bool {
        let Some(&c) = self.completions.peek() else {
            return false; // no ready replica
        };
        let start = c.t_us;
        let drop_at = self.drop_time(arrival_us);
        let served = start < drop_at;
        let leave = if served { start } else { drop_at };
        if leave >= self.seg_end {
            return false;
        }
        if served {
            self.record_served_at(start, c.arrival_us);
            let next = self.begin_at(start, arrival_us, service_us, c.replica);
            self.completions.replace_top(next);
        } else {
            self.dropped += 1;
            self.minute.dropped += 1;
        }
        self.queue_int += u128::from(leave - counted_to);
        self.note_booked(leave);
        true
    }

    pub(super) fn expire_head(&mut self) {
        self.queue.pop_front();
        self.dropped += 1;
        self.minute.dropped += 1;
    }

    pub(super) fn make_ready(&mut self, id: u32) {
        let r = &mut self.replicas[id as usize];
        if r.state != ReplicaState::Pending {
            return; // cancelled while pending
        }
        r.state = ReplicaState::Ready;
        r.ready_us = Some(self.now);
        self.fold_replicas();
        self.ready_replicas += 1;
        if self.usage.is_some() {
            self.usage_ready(id);
        }
        for _ in 0..self.cfg.concurrency {
            self.free.push_back(id);
        }
        self.free_slots += u64::from(self.cfg.concurrency);
        self.serve_queue();
        // Capacity Rebalancing: the replacement passed its health check; the
        // group terminates the at-risk instance, which leaves the load
        // balancer and finishes its work (until EC2 interrupts it).
        if let Some(old) = self.replicas[id as usize].replaces
            && self.replicas[old as usize].state == ReplicaState::Ready
        {
            self.begin_drain(old as usize);
            let d = self.desired;
            self.record_scaling(
                "spot",
                d,
                d,
                d,
                format!(
                    "capacity rebalancing: replacement {id} ready, at-risk replica {old} terminated (leaves the load balancer, finishes its work)"
                ),
            );
        }
    }

    pub(super) fn stop_replica(&mut self, id: u32) {
        self.fold_replicas();
        let r = &mut self.replicas[id as usize];
        let was_draining = r.state == ReplicaState::Draining;
        let was_unschedulable = r.state == ReplicaState::Unschedulable;
        r.state = ReplicaState::Gone;
        self.live_replicas -= 1;
        if r.placed {
            if r.spot {
                let rate = self.cfg.spot.as_ref().map_or(0.0, |s| s.usd_per_hour);
                if r.unbilled {
                    self.spot_meter.stop_unbilled(rate, r.created_us, self.now);
                } else {
                    self.spot_meter.stop(rate, r.created_us, self.now);
                }
                if !was_draining {
                    self.spot_live -= 1;
                }
            } else {
                self.meter
                    .stop(self.cfg.usd_per_hour, r.created_us, self.now);
            }
        }
        if self.nodes.is_some() {
            self.pod_gone(id, was_unschedulable);
        }
    }

    /// Capacity-provider strategy: whether the next replica goes to spot.
    /// The first `base` replicas are on demand; after them each replica goes
    /// to the provider furthest below its weight's share (ties: on demand).
    pub(super) fn next_is_spot(&self) -> bool {
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

    /// Creates one replica, placed by the capacity-provider strategy; returns its id.
    pub(super) fn create_replica(&mut self, initial: bool) -> u32 {
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
            node: nodes::NO_NODE,
            replaces: None,
            unbilled: false,
            replaced_by: None,
        });
        self.fold_replicas();
        self.live_replicas += 1;
        if self.usage.is_some() {
            self.usage_created(id);
        }
        if !placed {
            return id; // waits for spot capacity; ECS does not fall back by itself
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
                let t = t.min(u64::MAX as f64) as u64;
                self.spot_notices.push(Reverse((t, id)));
                self.push_rebalance(t, id);
            }
        } else {
            self.meter.start(self.cfg.usd_per_hour, self.now);
        }
        if self.nodes.is_some() {
            self.schedule_pod(id, initial);
            return id;
        }
        if initial {
            self.make_ready(id);
        } else {
            self.push_pending(self.now.saturating_add(self.cfg.startup_us), id);
        }
        id
    }

    /// Replica `id` becomes ready at `t` (pending replicas are kept in time
    /// order; a restart after an OOM kill can be due after later starts).
    #[inline]
    pub(super) fn push_pending(&mut self, t: u64, id: u32) {
        if self.pending.back().is_none_or(|&(b, _)| b <= t) {
            self.pending.push_back((t, id));
        } else {
            let at = self.pending.partition_point(|&(p, _)| p <= t);
            self.pending.insert(at, (t, id));
        }
    }

    /// A ready replica stops taking work and finishes what it has.
    pub(super) fn begin_drain(&mut self, id: usize) {
        let busy = self.replicas[id].busy;
        if self.usage.is_some() {
            self.usage_unready(id as u32);
        }
        self.replicas[id].state = ReplicaState::Draining;
        if self.replicas[id].spot {
            self.spot_live -= 1;
        }
        self.fold_replicas();
        self.ready_replicas -= 1;
        self.busy_ready -= u64::from(busy);
        self.free_slots -= u64::from(self.cfg.concurrency - busy);
        if busy == 0 {
            self.stop_replica(id as u32);
        }
    }
}
