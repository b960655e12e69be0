//! Spot capacity as the engine applies it.

use crate::units::US_PER_SEC;

/// Spot capacity with ECS capacity-provider strategy semantics: the first
/// `base` replicas on demand, the rest split by the weights as they are
/// placed; a spot replica is unavailable while the spot price is above the
/// maximum price (it stays pending, unbilled, unless `fallback_to_on_demand`);
/// interruptions are a Poisson process per spot replica, each unfolding as
/// `interruption` says.
#[derive(Clone, Debug, PartialEq)]
pub struct SpotPlan {
    pub base: u32,
    pub on_demand_weight: u32,
    pub spot_weight: u32,
    pub usd_per_hour: f64,
    pub available: bool,
    pub fallback_to_on_demand: bool,
    pub interruptions_per_hour: f64,
    pub interruption: Interruption,
    /// Interruption notices at given times to given replicas (µs, replica
    /// id in creation order), besides the Poisson ones: what-if studies and
    /// tests with hand-derived timings.
    pub scheduled_notices: Vec<(u64, u32)>,
}

/// How a spot interruption unfolds, by platform.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Interruption {
    /// Fargate Spot (Amazon ECS Developer Guide, "Fargate Spot"): with the
    /// two-minute warning the task receives SIGTERM and leaves the load
    /// balancer (no new requests) and the service starts a replacement;
    /// `stop_timeout_us` later (the container definition's `stopTimeout`,
    /// 30 s by default, at most 120 s) the container is killed, and requests
    /// still in service are dropped.
    Fargate { stop_timeout_us: u64 },
    /// An EC2 Spot Instance in an Auto Scaling group: EC2 interrupts it two
    /// minutes after the notice, dropping requests still in service.
    /// Without Capacity Rebalancing (the group's default) it serves until
    /// then and the group launches a replacement only once it is gone
    /// (EC2 Auto Scaling User Guide, "Capacity Rebalancing": "does not
    /// replace a Spot Instance until after the Amazon EC2 Spot service
    /// interrupts the instance and its health check fails"); with it, the
    /// rebalance recommendation — which EC2 sends at the latest together with
    /// the notice, meshsim's default, or `rebalance_lead_us` before it —
    /// launches a replacement at once,
    /// and the group terminates the old instance (deregistered from the load
    /// balancer: it finishes its work) once the replacement passes its health
    /// check, if that comes before the interruption. An instance that EC2
    /// interrupts within its first hour is not charged ("If Amazon EC2
    /// interrupts your Spot Instance in the first instance hour, you are not
    /// charged for that usage", EC2 User Guide, "Billing for interrupted
    /// Spot Instances").
    Ec2 {
        capacity_rebalance: bool,
        /// How long before the interruption notice the rebalance
        /// recommendation arrives (0: with it, the latest AWS allows).
        rebalance_lead_us: u64,
    },
}

impl Interruption {
    /// Time from the notice to the end of the replica, µs.
    pub fn deadline_us(self) -> u64 {
        match self {
            Interruption::Fargate { stop_timeout_us } => stop_timeout_us,
            Interruption::Ec2 { .. } => SPOT_NOTICE_US,
        }
    }
}

/// Notice given before a spot interruption, µs.
pub const SPOT_NOTICE_US: u64 = 120 * US_PER_SEC;

/// Fargate's default `stopTimeout`, µs.
pub const FARGATE_STOP_TIMEOUT_US: u64 = 30 * US_PER_SEC;
