//! Per-second compute meter for replicas.
//!
//! AWS rules imitated:
//! - **Fargate**: vCPU-hours plus GB-hours, by architecture; billed per second,
//!   rounded up to the whole second, with a one-minute minimum per task.
//! - **EC2** (Linux): per instance-second, 60 s minimum per instance.
//!
//! Both reduce to "price per hour of one replica, billed per started second,
//! at least 60 s". A replica still running when the simulation ends is billed
//! for the time it ran inside the window (exact to the µs): its minimum is met
//! after the window, so charging it here would overstate the window's cost.

use super::{PriceBook, PriceError};
use crate::units::{US_PER_HOUR, US_PER_SEC};

/// Minimum billed duration of one task or instance, µs.
pub const MINIMUM_BILLED_US: u64 = 60 * US_PER_SEC;

/// What one replica costs per hour, and where the number came from.
#[derive(Clone, Debug, PartialEq)]
pub struct ComputeRate {
    pub usd_per_hour: f64,
    /// Human-readable derivation, e.g. `0.5 vCPU × $0.04048 + 1 GB × $0.004445`.
    pub explanation: String,
}

impl ComputeRate {
    pub fn fargate(
        book: &PriceBook,
        region: &str,
        arch: &str,
        vcpu: f64,
        memory_gb: f64,
    ) -> Result<ComputeRate, PriceError> {
        let c = book.get("Fargate", &format!("vcpu-{arch}"), region, "on_demand")?;
        let m = book.get("Fargate", &format!("memory-{arch}"), region, "on_demand")?;
        Ok(ComputeRate {
            usd_per_hour: vcpu * c.price_usd + memory_gb * m.price_usd,
            explanation: format!(
                "Fargate {arch} {region}: {vcpu} vCPU × ${}/h + {memory_gb} GB × ${}/h (sources: {}; {})",
                c.price_usd, m.price_usd, c.source_date, m.source_date
            ),
        })
    }

    pub fn ec2(
        book: &PriceBook,
        region: &str,
        instance_type: &str,
    ) -> Result<ComputeRate, PriceError> {
        let r = book.get("EC2", instance_type, region, "on_demand")?;
        Ok(ComputeRate {
            usd_per_hour: r.price_usd,
            explanation: format!(
                "EC2 {instance_type} {region} on-demand: ${}/h (source date {})",
                r.price_usd, r.source_date
            ),
        })
    }
}

/// Billed cost of one replica that ran from `start_us` to `stop_us`.
pub fn billed_usd(usd_per_hour: f64, start_us: u64, stop_us: u64, stopped: bool) -> f64 {
    let ran = stop_us.saturating_sub(start_us);
    let billed_us = if stopped {
        ran.div_ceil(US_PER_SEC).max(MINIMUM_BILLED_US / US_PER_SEC) * US_PER_SEC
    } else {
        ran
    };
    usd_per_hour * billed_us as f64 / US_PER_HOUR as f64
}

/// AWS does not charge an EC2 Spot Instance that EC2 interrupts within its
/// first instance hour (EC2 User Guide, billing for interrupted Spot
/// Instances): whether one launched at `start_us` and interrupted at
/// `stop_us` is free.
pub fn interrupted_in_first_hour(start_us: u64, stop_us: u64) -> bool {
    stop_us.saturating_sub(start_us) < US_PER_HOUR
}

/// Accrues the compute cost of replicas as they start and stop.
#[derive(Clone, Debug, Default)]
pub struct ReplicaMeter {
    /// Cost of replicas that have stopped (final, minimum applied).
    closed_usd: f64,
    /// Sum of start times and count of running replicas, per rate, so that the
    /// accrued cost at any time is O(number of distinct rates).
    open: Vec<OpenGroup>,
    closed_replica_us: u64,
}

#[derive(Clone, Debug)]
struct OpenGroup {
    usd_per_hour: f64,
    running: u64,
    start_sum_us: u128,
}

impl ReplicaMeter {
    fn group(&mut self, usd_per_hour: f64) -> &mut OpenGroup {
        let i = match self
            .open
            .iter()
            .position(|g| g.usd_per_hour == usd_per_hour)
        {
            Some(i) => i,
            None => {
                self.open.push(OpenGroup {
                    usd_per_hour,
                    running: 0,
                    start_sum_us: 0,
                });
                self.open.len() - 1
            }
        };
        &mut self.open[i]
    }

    pub fn start(&mut self, usd_per_hour: f64, at_us: u64) {
        let g = self.group(usd_per_hour);
        g.running += 1;
        g.start_sum_us += u128::from(at_us);
    }

    pub fn stop(&mut self, usd_per_hour: f64, started_us: u64, at_us: u64) {
        self.close(usd_per_hour, started_us, at_us);
        self.closed_usd += billed_usd(usd_per_hour, started_us, at_us, true);
    }

    /// Stops a replica whose usage is not charged (an EC2 Spot Instance that
    /// EC2 interrupted in its first hour): its time counts, its cost is 0.
    pub fn stop_unbilled(&mut self, usd_per_hour: f64, started_us: u64, at_us: u64) {
        self.close(usd_per_hour, started_us, at_us);
    }

    /// Takes a replica out of its open group and counts its time.
    fn close(&mut self, usd_per_hour: f64, started_us: u64, at_us: u64) {
        let g = self.group(usd_per_hour);
        assert!(
            g.running > 0,
            "meter: stopping a replica that was not started"
        );
        g.running -= 1;
        g.start_sum_us -= u128::from(started_us);
        self.closed_replica_us += at_us - started_us;
    }

    /// Cost accrued up to `now_us`.
    pub fn accrued_usd(&self, now_us: u64) -> f64 {
        self.closed_usd
            + self
                .open
                .iter()
                .map(|g| {
                    let run_us = u128::from(now_us) * u128::from(g.running) - g.start_sum_us;
                    g.usd_per_hour * run_us as f64 / US_PER_HOUR as f64
                })
                .sum::<f64>()
    }

    /// Replica-time (µs) accrued up to `now_us`.
    pub fn replica_us(&self, now_us: u64) -> u64 {
        self.closed_replica_us
            + self
                .open
                .iter()
                .map(|g| (u128::from(now_us) * u128::from(g.running) - g.start_sum_us) as u64)
                .sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::US_PER_MIN;

    #[test]
    fn fargate_rate_by_hand() {
        // 0.5 vCPU × $0.04048 + 1 GB × $0.004445 = $0.024685 per hour (x86, us-east-1).
        let r =
            ComputeRate::fargate(&PriceBook::builtin(), "us-east-1", "x86_64", 0.5, 1.0).unwrap();
        assert!((r.usd_per_hour - 0.024685).abs() < 1e-12);
        // 1 vCPU × $0.03238 + 2 GB × $0.00356 = $0.0395 (arm64).
        let r =
            ComputeRate::fargate(&PriceBook::builtin(), "us-east-1", "arm64", 1.0, 2.0).unwrap();
        assert!((r.usd_per_hour - 0.0395).abs() < 1e-12);
    }

    #[test]
    fn sixty_second_minimum_and_per_second_rounding() {
        // A task stopped after 10 s is billed 60 s.
        assert!((billed_usd(3.6, 0, 10 * US_PER_SEC, true) - 0.06).abs() < 1e-12);
        // 61.2 s is billed as 62 s.
        assert!((billed_usd(3.6, 0, 61_200_000, true) - 0.062).abs() < 1e-12);
        // Still running at the end of the window: exact time, no minimum.
        assert!((billed_usd(3.6, 0, 10 * US_PER_SEC, false) - 0.01).abs() < 1e-12);
    }

    #[test]
    fn meter_accrues_running_and_stopped_replicas() {
        let mut m = ReplicaMeter::default();
        m.start(1.0, 0);
        m.start(1.0, 30 * US_PER_MIN);
        m.start(2.0, 0);
        m.stop(1.0, 30 * US_PER_MIN, 30 * US_PER_MIN + 5 * US_PER_SEC); // billed 60 s
        let at = 60 * US_PER_MIN;
        let expect = 1.0 + 2.0 + 1.0 / 60.0;
        assert!(
            (m.accrued_usd(at) - expect).abs() < 1e-9,
            "{}",
            m.accrued_usd(at)
        );
        assert_eq!(m.replica_us(at), 2 * 60 * US_PER_MIN + 5 * US_PER_SEC);
    }
}
