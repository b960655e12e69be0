//! The usage model (docs/resources.md): what a pod uses of CPU and memory
//! given the requests it has in service, against its requests and limits.
//!
//! A ready pod with `n` requests in service demands `cpu_idle + n ×
//! cpu_per_request` cores and uses `memory_base_mb + n ×
//! memory_per_request_mb` MB. Under a CPU limit (the CFS quota), a pod that
//! demands more than its limit gets the limit, shared by everything running
//! in it in proportion to demand: each request in service progresses at
//! `limit / demand` of full speed (processor sharing inside the pod). Above
//! its memory limit the container is OOM-killed.

/// Requests and limits of one pod (cores, MB).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PodResources {
    pub cpu_request: f64,
    pub cpu_limit: Option<f64>,
    pub memory_request_mb: f64,
    pub memory_limit_mb: Option<f64>,
}

/// The usage model of a scenario, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct UsagePlan {
    /// Cores one request uses while in service.
    pub cpu_per_request: f64,
    /// Cores a ready pod uses with nothing in service.
    pub cpu_idle: f64,
    pub memory_base_mb: f64,
    pub memory_per_request_mb: f64,
    /// A pod's requests and limits before any VPA acts.
    pub pod: PodResources,
    /// Slots per pod (`service.concurrency`).
    pub concurrency: u32,
}

impl UsagePlan {
    /// Cores a pod with `busy` requests in service asks for.
    #[inline]
    pub fn cpu_demand(&self, busy: u32) -> f64 {
        self.cpu_idle + f64::from(busy) * self.cpu_per_request
    }

    /// Cores it gets: its demand, at most its limit.
    #[inline]
    pub fn cpu_usage(&self, busy: u32, limit: Option<f64>) -> f64 {
        let d = self.cpu_demand(busy);
        match limit {
            Some(l) if d > l => l,
            _ => d,
        }
    }

    /// The speed each request in service progresses at (1 = full speed).
    #[inline]
    pub fn speed(&self, busy: u32, limit: Option<f64>) -> f64 {
        let d = self.cpu_demand(busy);
        match limit {
            Some(l) if d > l => l / d,
            _ => 1.0,
        }
    }

    /// MB a pod with `busy` requests in service uses.
    #[inline]
    pub fn memory_mb(&self, busy: u32) -> f64 {
        self.memory_base_mb + f64::from(busy) * self.memory_per_request_mb
    }

    /// Whether a pod of these resources can ever be throttled (its demand
    /// with every slot busy exceeds its CPU limit).
    pub fn can_throttle(&self, pod: &PodResources) -> bool {
        pod.cpu_limit
            .is_some_and(|l| self.cpu_demand(self.concurrency) > l)
    }

    /// Whether a pod of these resources can be OOM-killed.
    pub fn can_oom(&self, pod: &PodResources) -> bool {
        pod.memory_limit_mb
            .is_some_and(|l| self.memory_mb(self.concurrency) > l)
    }
}

/// The kubelet's restart back-off for a container that keeps failing, as the
/// Kubernetes documentation states it (Pod Lifecycle, "Container restarts":
/// "an exponential backoff delay (10s, 20s, 40s, …), that is capped at 300
/// seconds"; reset once the container has run 10 minutes without a
/// problem): the delay before restart number `k` (1-based) of a run of crashes.
pub fn restart_backoff_s(k: u32) -> f64 {
    (10.0 * 2f64.powi(k.saturating_sub(1).min(16) as i32)).min(300.0)
}

/// A container that ran this long without failing has its back-off reset.
pub const BACKOFF_RESET_S: f64 = 600.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> UsagePlan {
        UsagePlan {
            cpu_per_request: 0.2,
            cpu_idle: 0.0,
            memory_base_mb: 256.0,
            memory_per_request_mb: 16.0,
            pod: PodResources {
                cpu_request: 0.5,
                cpu_limit: Some(1.0),
                memory_request_mb: 512.0,
                memory_limit_mb: Some(300.0),
            },
            concurrency: 8,
        }
    }

    #[test]
    fn demand_usage_and_speed() {
        let p = plan();
        // 5 busy × 0.2 = 1.0 core: at the limit, not above it.
        assert_eq!(p.cpu_usage(5, Some(1.0)), 1.0);
        assert_eq!(p.speed(5, Some(1.0)), 1.0);
        // 1.5 cores demanded under a 1-core limit: 2/3 speed, service × 1.5.
        let s = p.speed(7, Some(1.0)) * 1.0;
        assert!((p.cpu_demand(7) - 1.4).abs() < 1e-12);
        assert!((s - 1.0 / 1.4).abs() < 1e-12);
        let q = UsagePlan {
            cpu_per_request: 0.3,
            ..p.clone()
        };
        assert!((q.speed(5, Some(1.0)) - 2.0 / 3.0).abs() < 1e-12);
        assert!((1.0 / q.speed(5, Some(1.0)) - 1.5).abs() < 1e-12);
        assert_eq!(q.cpu_usage(5, Some(1.0)), 1.0);
        assert!((q.cpu_usage(5, None) - 1.5).abs() < 1e-12);
        // Memory: 256 + 3 × 16 = 304 > 300.
        assert_eq!(p.memory_mb(3), 304.0);
        assert!(p.can_oom(&p.pod));
        assert!(p.can_throttle(&p.pod)); // 8 × 0.2 = 1.6 > 1
    }

    #[test]
    fn kubelet_backoff_doubles_to_five_minutes() {
        let d: Vec<f64> = (1..=7).map(restart_backoff_s).collect();
        assert_eq!(d, vec![10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0]);
    }
}
