//! Recording: per-second ticks (the integrals metric windows read) and the
//! per-minute timeline rows.

use super::*;

impl Engine {
    /// Advances the running integrals of busy slots and the queue to `t`
    /// (those of the replica counts are folded when a count changes or is
    /// read: [`fold_replicas`](Self::fold_replicas)).
    #[inline]
    pub(super) fn advance(&mut self, t: u64) {
        let dt = u128::from(t - self.last_t);
        if dt > 0 {
            // Wrapping: a lazy completion's correction may have been
            // taken off before this part was added (`admit`).
            self.busy_int = self.busy_int.wrapping_add(u128::from(self.busy_ready) * dt);
            self.queue_int += self.queue.len() as u128 * dt;
            self.last_t = t;
        }
        self.now = t;
    }

    /// Brings the integrals of ready slots, ready replicas and live replicas
    /// up to now; called before either count changes and before the
    /// integrals are read (they are constant in between, so the sums are the
    /// same as folding at every event).
    #[inline]
    pub(super) fn fold_replicas(&mut self) {
        let dt = u128::from(self.now - self.rep_t);
        if dt > 0 {
            let slots = u128::from(self.ready_replicas) * u128::from(self.cfg.concurrency);
            self.slots_int += slots * dt;
            self.ready_rep_int += u128::from(self.ready_replicas) * dt;
            self.replicas_int += u128::from(self.live_replicas) * dt;
            self.rep_t = self.now;
        }
    }

    pub(super) fn snapshot(&mut self) -> Snapshot {
        self.fold_replicas();
        let now = self.now;
        Snapshot {
            t_us: now,
            busy_slot_us: self.busy_int,
            ready_slot_us: self.slots_int,
            ready_replica_us: self.ready_rep_int,
            arrivals: self.arrived,
            usage: self
                .usage
                .as_mut()
                .map_or_else(Default::default, |u| u.totals(now)),
        }
    }

    pub(super) fn tick(&mut self) {
        let snap = self.snapshot();
        self.metrics.push(snap);
        self.metrics.ready_replicas = self.ready_replicas;
        self.metrics.queue_depth = self.queue.len() as u64;
        self.metrics.in_flight = self.busy_all;
        if self.now.is_multiple_of(US_PER_MIN) || self.now == self.cfg.end_us {
            self.close_minute(snap);
        }
    }

    pub(super) fn close_minute(&mut self, snap: Snapshot) {
        let start = self.minute.start;
        if snap.t_us == start.t_us {
            return;
        }
        super::progress::add(self.arrived - self.minute.arrived_before);
        let fluid_q = self.fluid_close_minute();
        let len_us = snap.t_us - start.t_us;
        let slots = snap.ready_slot_us - start.ready_slot_us;
        let usage = self.usage.as_ref().map(|_| {
            let d = snap.usage.minus(start.usage);
            let t = (snap.ready_replica_us - start.ready_replica_us) as f64;
            let per = |x: f64| if t > 0.0 { x / t } else { 0.0 };
            crate::metrics::UsageRow {
                cpu_usage_milli: per(d.cpu_int) * 1000.0,
                cpu_request_milli: per(d.cpu_req_int) * 1000.0,
                memory_usage_mb: per(d.mem_int),
                memory_request_mb: per(d.mem_req_int),
                cpu_throttled_pct: per(d.thr_int) * 100.0,
            }
        });
        let m = &self.minute;
        let q = match fluid_q {
            Some(q) => q,
            None => self
                .minute_hist
                .quantiles([0.50, 0.95, 0.99])
                .map(|v| v.map(crate::units::us_to_ms)),
        };
        let mut compute_spot = self.spot_meter.accrued_usd(self.now);
        let mut compute = self.meter.accrued_usd(self.now) + compute_spot;
        let mut control_plane = 0.0;
        let nodes = self.nodes.as_ref().map(|ns| {
            let node_spot = ns.spot_meter.accrued_usd(self.now);
            compute += ns.od_meter.accrued_usd(self.now) + node_spot;
            compute_spot += node_spot;
            control_plane =
                ns.plan.control_plane_usd_per_hour * crate::units::us_to_hours(self.now);
            ns.timeline()
        });
        self.timeline.push(TimelineRow {
            t_s: start.t_us / US_PER_SEC,
            len_s: len_us as f64 / US_PER_SEC as f64,
            arrived: self.arrived - m.arrived_before,
            served: self.served - m.served_before,
            dropped: m.dropped,
            rejected: m.rejected,
            served_within_slo: self.within - m.within_before,
            replicas_ready: self.ready_replicas,
            replicas_total: self.live_replicas,
            replicas_desired: self.desired,
            replicas_spot: self.spot_live,
            cpu_util: if let Some(u) = &usage {
                if u.cpu_request_milli > 0.0 {
                    u.cpu_usage_milli / u.cpu_request_milli
                } else {
                    0.0
                }
            } else if slots > 0 {
                (snap.busy_slot_us - start.busy_slot_us) as f64 / slots as f64
            } else {
                0.0
            },
            queue_depth: (self.queue_int - m.queue_int_start) as f64 / len_us as f64,
            latency_p50_ms: q[0],
            latency_p95_ms: q[1],
            latency_p99_ms: q[2],
            cost_compute_usd: compute,
            cost_compute_spot_usd: compute_spot,
            fixed: Default::default(),
            cost_llm_usd: self.llm.as_ref().map_or(0.0, |l| l.cost_usd),
            cost_control_plane_usd: control_plane,
            nodes,
            usage,
        });
        self.minute = Minute {
            start: snap,
            queue_int_start: self.queue_int,
            arrived_before: self.arrived,
            served_before: self.served,
            within_before: self.within,
            ..Minute::default()
        };
        let row = self.timeline.last().expect("just pushed");
        if let Some(f) = &mut self.fluid {
            self.windows.add_minute_weighted(row, &f.minute);
            f.end_minute(&mut self.minute_hist, self.cfg.keep_minute_histograms);
        } else {
            self.windows.add_minute(row, &self.minute_hist);
        }
        if self.cfg.keep_minute_histograms {
            self.minute_hists
                .push(crate::metrics::SparseHistogram::of(&self.minute_hist));
        }
        if self.fluid.is_some() {
            // The fluid run's latencies join the run's in `end_minute`.
            self.minute_hist.reset();
        } else {
            self.minute_hist.drain_into(&mut self.hist);
        }
    }
}
