//! The metric sources autoscalers read (DESIGN §5), computed over windows from
//! per-second snapshots of running integrals. Autoscalers see only the
//! [`MetricsView`] trait: never the queue, the RNG or prices.

use crate::units::US_PER_SEC;
use std::collections::VecDeque;

/// What an autoscaler may observe about the service at a sync instant.
pub trait MetricsView {
    /// Current simulated time, µs.
    fn now_us(&self) -> u64;
    /// Replicas ready to serve now.
    fn ready_replicas(&self) -> u32;
    /// Busy slots / slots of ready replicas, averaged over the last `window_s`
    /// seconds, as a fraction (0.8 = 80 %). `None` without ready capacity.
    fn cpu_utilization(&self, window_s: u32) -> Option<f64>;
    /// (`memory_base_mb` + `memory_per_request_mb` × in-flight) / `memory_request_mb`
    /// per ready replica, averaged over the window, as a fraction.
    fn memory_utilization(&self, window_s: u32) -> Option<f64>;
    /// Requests waiting at the load balancer now.
    fn queue_depth(&self) -> u64;
    /// Requests being served now.
    fn in_flight(&self) -> u64;
    /// Arrivals per second per ready replica over the window.
    fn rps_per_replica(&self, window_s: u32) -> Option<f64>;
    /// Arrivals per second over the window (all replicas).
    fn rps(&self, window_s: u32) -> Option<f64>;
    /// Mean cores and MB a ready pod used over the window, under a usage
    /// model (`None` without one: usage is busy slots × the request).
    fn usage_per_pod(&self, _window_s: u32) -> Option<(f64, f64)> {
        None
    }
}

/// Running integrals at one instant (µs-weighted sums).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub t_us: u64,
    /// ∫ busy slots on ready replicas dt.
    pub busy_slot_us: u128,
    /// ∫ slots of ready replicas dt.
    pub ready_slot_us: u128,
    /// ∫ ready replicas dt.
    pub ready_replica_us: u128,
    /// Arrivals so far.
    pub arrivals: u64,
    /// The usage model's integrals over ready pods (zero without one).
    pub usage: UsageTotals,
}

/// Integrals over ready pods' time (µs-weighted): cores used, cores
/// requested, MB used, MB requested, time throttled.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UsageTotals {
    pub cpu_int: f64,
    pub cpu_req_int: f64,
    pub mem_int: f64,
    pub mem_req_int: f64,
    pub thr_int: f64,
}

impl UsageTotals {
    pub fn plus(self, o: UsageTotals) -> UsageTotals {
        UsageTotals {
            cpu_int: self.cpu_int + o.cpu_int,
            cpu_req_int: self.cpu_req_int + o.cpu_req_int,
            mem_int: self.mem_int + o.mem_int,
            mem_req_int: self.mem_req_int + o.mem_req_int,
            thr_int: self.thr_int + o.thr_int,
        }
    }
    pub fn minus(self, o: UsageTotals) -> UsageTotals {
        UsageTotals {
            cpu_int: self.cpu_int - o.cpu_int,
            cpu_req_int: self.cpu_req_int - o.cpu_req_int,
            mem_int: self.mem_int - o.mem_int,
            mem_req_int: self.mem_req_int - o.mem_req_int,
            thr_int: self.thr_int - o.thr_int,
        }
    }
}

/// Memory model parameters (MB).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryModel {
    pub base_mb: f64,
    pub per_request_mb: f64,
    pub request_mb: f64,
}

/// A bounded history of per-second snapshots plus the instantaneous state.
#[derive(Clone, Debug)]
pub struct MetricsWindow {
    history: VecDeque<Snapshot>,
    capacity: usize,
    pub memory: MemoryModel,
    pub now: Snapshot,
    pub ready_replicas: u32,
    pub queue_depth: u64,
    pub in_flight: u64,
    /// The `cpu` and `memory` metrics are usage / request (a usage model).
    pub usage: bool,
}

impl MetricsWindow {
    /// Keeps `max_window_s` seconds of history.
    pub fn new(max_window_s: usize, memory: MemoryModel) -> Self {
        MetricsWindow {
            history: VecDeque::with_capacity(max_window_s + 1),
            capacity: max_window_s + 1,
            memory,
            now: Snapshot::default(),
            ready_replicas: 0,
            queue_depth: 0,
            in_flight: 0,
            usage: false,
        }
    }

    /// Mean cores and MB used per ready pod over the window (usage model).
    pub fn usage_means(&self, window_s: u32) -> Option<(f64, f64)> {
        if !self.usage {
            return None;
        }
        let (d, _) = self.delta(window_s)?;
        (d.ready_replica_us > 0).then(|| {
            let t = d.ready_replica_us as f64;
            (d.usage.cpu_int / t, d.usage.mem_int / t)
        })
    }

    /// Records the snapshot taken at a whole second.
    pub fn push(&mut self, s: Snapshot) {
        if self.history.len() == self.capacity {
            self.history.pop_front();
        }
        self.history.push_back(s);
        self.now = s;
    }

    /// The snapshot `window_s` seconds before now (or the oldest kept).
    fn back(&self, window_s: u32) -> Option<&Snapshot> {
        let target = self
            .now
            .t_us
            .saturating_sub(u64::from(window_s) * US_PER_SEC);
        // The history is in time order: the first at or after `target`.
        let i = self.history.partition_point(|s| s.t_us < target);
        self.history.get(i)
    }

    fn delta(&self, window_s: u32) -> Option<(Snapshot, f64)> {
        let b = self.back(window_s)?;
        let n = self.now;
        let dt = (n.t_us - b.t_us) as f64;
        (dt > 0.0).then(|| {
            (
                Snapshot {
                    t_us: n.t_us - b.t_us,
                    busy_slot_us: n.busy_slot_us - b.busy_slot_us,
                    ready_slot_us: n.ready_slot_us - b.ready_slot_us,
                    ready_replica_us: n.ready_replica_us - b.ready_replica_us,
                    arrivals: n.arrivals - b.arrivals,
                    usage: n.usage.minus(b.usage),
                },
                dt,
            )
        })
    }
}

impl MetricsView for MetricsWindow {
    fn now_us(&self) -> u64 {
        self.now.t_us
    }
    fn ready_replicas(&self) -> u32 {
        self.ready_replicas
    }
    fn cpu_utilization(&self, window_s: u32) -> Option<f64> {
        let (d, _) = self.delta(window_s)?;
        if self.usage {
            return (d.usage.cpu_req_int > 0.0).then(|| d.usage.cpu_int / d.usage.cpu_req_int);
        }
        (d.ready_slot_us > 0).then(|| d.busy_slot_us as f64 / d.ready_slot_us as f64)
    }
    fn memory_utilization(&self, window_s: u32) -> Option<f64> {
        let (d, _) = self.delta(window_s)?;
        if self.usage {
            return (d.usage.mem_req_int > 0.0).then(|| d.usage.mem_int / d.usage.mem_req_int);
        }
        (d.ready_replica_us > 0).then(|| {
            let m = self.memory;
            (m.base_mb * d.ready_replica_us as f64 + m.per_request_mb * d.busy_slot_us as f64)
                / (m.request_mb * d.ready_replica_us as f64)
        })
    }
    fn queue_depth(&self) -> u64 {
        self.queue_depth
    }
    fn in_flight(&self) -> u64 {
        self.in_flight
    }
    fn rps_per_replica(&self, window_s: u32) -> Option<f64> {
        let (d, dt) = self.delta(window_s)?;
        (d.ready_replica_us > 0).then(|| {
            let replicas = d.ready_replica_us as f64 / dt;
            d.arrivals as f64 / (dt / US_PER_SEC as f64) / replicas
        })
    }
    fn rps(&self, window_s: u32) -> Option<f64> {
        let (d, dt) = self.delta(window_s)?;
        Some(d.arrivals as f64 / (dt / US_PER_SEC as f64))
    }
    fn usage_per_pod(&self, window_s: u32) -> Option<(f64, f64)> {
        self.usage_means(window_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_averages_by_hand() {
        let mem = MemoryModel {
            base_mb: 100.0,
            per_request_mb: 10.0,
            request_mb: 200.0,
        };
        let mut w = MetricsWindow::new(60, mem);
        // 2 ready replicas × 4 slots; 6 busy for 10 s, then 2 busy for 10 s; 30 arrivals per 10 s.
        let s = |t: u64, busy: u128, arr: u64| Snapshot {
            t_us: t * US_PER_SEC,
            busy_slot_us: busy * US_PER_SEC as u128,
            ready_slot_us: 8 * t as u128 * US_PER_SEC as u128,
            ready_replica_us: 2 * t as u128 * US_PER_SEC as u128,
            arrivals: arr,
            usage: Default::default(),
        };
        w.push(s(0, 0, 0));
        w.push(s(10, 60, 30));
        w.push(s(20, 80, 60));
        assert!((w.cpu_utilization(10).unwrap() - 2.0 / 8.0).abs() < 1e-12);
        assert!((w.cpu_utilization(20).unwrap() - 4.0 / 8.0).abs() < 1e-12);
        // memory over 20 s: (100 × 2 replicas + 10 × 4 in flight) / (200 × 2) = 0.6
        assert!((w.memory_utilization(20).unwrap() - 0.6).abs() < 1e-12);
        // 60 arrivals / 20 s / 2 replicas = 1.5 rps per replica
        assert!((w.rps_per_replica(20).unwrap() - 1.5).abs() < 1e-12);
        assert!((w.rps(20).unwrap() - 3.0).abs() < 1e-12);
        // A window longer than the history uses the oldest snapshot.
        assert!((w.cpu_utilization(600).unwrap() - 0.5).abs() < 1e-12);
    }
}
