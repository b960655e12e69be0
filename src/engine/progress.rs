//! How far this process's simulations have come, for a progress bar: the
//! requests that arrived, added once per simulated minute (one relaxed atomic
//! add a minute, nothing per request), whatever the number of runs in
//! parallel. Reading it never changes a result.

use std::sync::atomic::{AtomicU64, Ordering};

static ARRIVED: AtomicU64 = AtomicU64::new(0);

/// Adds a closed minute's arrivals.
pub(super) fn add(arrived: u64) {
    ARRIVED.fetch_add(arrived, Ordering::Relaxed);
}

/// Requests simulated so far by every run of this process.
pub fn simulated() -> u64 {
    ARRIVED.load(Ordering::Relaxed)
}
