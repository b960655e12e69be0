//! Spot capacity as the engine applies it.

use crate::units::US_PER_SEC;

/// Spot capacity with ECS capacity-provider strategy semantics: the first
/// `base` replicas on demand, the rest split by the weights as they are
/// placed; a spot replica is unavailable while the spot price is above the
/// maximum price (it stays pending, unbilled, unless `fallback_to_on_demand`);
/// interruptions are a Poisson process per spot replica with a 2-minute notice.
#[derive(Clone, Debug, PartialEq)]
pub struct SpotPlan {
    pub base: u32,
    pub on_demand_weight: u32,
    pub spot_weight: u32,
    pub usd_per_hour: f64,
    pub available: bool,
    pub fallback_to_on_demand: bool,
    pub interruptions_per_hour: f64,
}

/// Notice given before a spot interruption, µs.
pub const SPOT_NOTICE_US: u64 = 120 * US_PER_SEC;
