//! Service-time distributions of one request.

use crate::units::{US_PER_MS, ms_to_us};
use rand::Rng;
use rand_distr::{Distribution, Exp1, LogNormal};
use serde::{Deserialize, Serialize};

/// Service-time distribution of one request.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum ServiceTime {
    Exponential {
        mean_ms: f64,
    },
    Lognormal {
        mean_ms: f64,
        cv: f64,
    },
    Constant {
        mean_ms: f64,
    },
    /// From the request trace's `service_ms` column.
    Trace,
}

impl Default for ServiceTime {
    fn default() -> Self {
        ServiceTime::Exponential { mean_ms: 100.0 }
    }
}

/// Nearest whole µs of a non-negative time (an add and a truncation: `f64::round`
/// is a libm call on the hot path).
#[inline]
fn round_us(x: f64) -> u64 {
    crate::units::f64_to_u64(x + 0.5)
}

/// A service-time distribution, in microseconds, ready to sample.
#[derive(Clone, Debug)]
pub enum ServiceDist {
    Exponential {
        mean_us: f64,
    },
    /// `d` draws; `mu` and `sigma` are its normal's parameters (for quantiles).
    LogNormal {
        d: LogNormal<f64>,
        mu: f64,
        sigma: f64,
    },
    Constant(u64),
    /// Taken from the request trace's `service_ms` column.
    Trace,
}

impl ServiceDist {
    pub fn from_scenario(st: &ServiceTime) -> ServiceDist {
        match *st {
            ServiceTime::Exponential { mean_ms } => ServiceDist::Exponential {
                mean_us: mean_ms * US_PER_MS as f64,
            },
            ServiceTime::Lognormal { mean_ms, cv } => {
                ServiceDist::lognormal(mean_ms * US_PER_MS as f64, cv)
            }
            ServiceTime::Constant { mean_ms } => ServiceDist::Constant(ms_to_us(mean_ms)),
            ServiceTime::Trace => ServiceDist::Trace,
        }
    }

    /// A lognormal service time of mean `mean_us` and coefficient of
    /// variation `cv` (both > 0).
    pub fn lognormal(mean_us: f64, cv: f64) -> ServiceDist {
        let sigma2 = (1.0 + cv * cv).ln();
        ServiceDist::LogNormal {
            d: LogNormal::from_mean_cv(mean_us, cv).expect("validated: mean > 0 and cv > 0"),
            mu: mean_us.ln() - sigma2 / 2.0,
            sigma: sigma2.sqrt(),
        }
    }

    /// Mean (µs) and squared coefficient of variation, when the distribution
    /// is known (`None` for service times from the trace).
    pub fn mean_scv(&self) -> Option<(f64, f64)> {
        match *self {
            ServiceDist::Exponential { mean_us } => Some((mean_us, 1.0)),
            ServiceDist::LogNormal { mu, sigma, .. } => Some((
                (mu + sigma * sigma / 2.0).exp(),
                (sigma * sigma).exp() - 1.0,
            )),
            ServiceDist::Constant(c) => Some((c as f64, 0.0)),
            ServiceDist::Trace => None,
        }
    }

    /// The quantile at `p` (0 < p < 1), µs (`None` for service times from the trace).
    pub fn quantile(&self, p: f64) -> Option<f64> {
        match *self {
            ServiceDist::Exponential { mean_us } => Some(-mean_us * (1.0 - p).ln()),
            ServiceDist::LogNormal { mu, sigma, .. } => {
                use statrs::distribution::{ContinuousCDF, Normal};
                let z = Normal::standard().inverse_cdf(p);
                Some((mu + sigma * z).exp())
            }
            ServiceDist::Constant(c) => Some(c as f64),
            ServiceDist::Trace => None,
        }
    }

    /// One service time, µs. `from_trace` is the row's `service_ms`, if any.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, from_trace: Option<u64>) -> u64 {
        match self {
            ServiceDist::Exponential { mean_us } => exponential_us(rng, *mean_us),
            ServiceDist::LogNormal { d, .. } => lognormal_us(rng, d),
            ServiceDist::Constant(c) => *c,
            ServiceDist::Trace => from_trace.expect("validated: trace has service_ms"),
        }
    }
}

/// [`ServiceDist::Exponential`]'s draw, for loops that chose the
/// distribution once (the engine's `plain_arrivals`).
#[inline(always)]
pub fn exponential_us<R: Rng + ?Sized>(rng: &mut R, mean_us: f64) -> u64 {
    let e: f64 = Exp1.sample(rng);
    round_us(e * mean_us)
}

/// [`ServiceDist::LogNormal`]'s draw, as [`exponential_us`].
#[inline(always)]
pub fn lognormal_us<R: Rng + ?Sized>(rng: &mut R, d: &LogNormal<f64>) -> u64 {
    round_us(d.sample(rng))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};

    fn moments(d: &ServiceDist) -> (f64, f64) {
        let mut rng = stream(1, Stream::ServiceTimes);
        let n = 400_000;
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let x = d.sample(&mut rng, None) as f64;
            s += x;
            s2 += x * x;
        }
        let mean = s / n as f64;
        (mean, (s2 / n as f64 - mean * mean).sqrt() / mean)
    }

    #[test]
    fn lognormal_has_the_requested_mean_and_cv() {
        let d = ServiceDist::from_scenario(&ServiceTime::Lognormal {
            mean_ms: 80.0,
            cv: 1.0,
        });
        let (mean, cv) = moments(&d);
        assert!((mean / 80_000.0 - 1.0).abs() < 0.01, "{mean}");
        assert!((cv - 1.0).abs() < 0.05, "{cv}");
    }

    #[test]
    fn exponential_has_cv_one() {
        let d = ServiceDist::from_scenario(&ServiceTime::Exponential { mean_ms: 10.0 });
        let (mean, cv) = moments(&d);
        assert!((mean / 10_000.0 - 1.0).abs() < 0.01, "{mean}");
        assert!((cv - 1.0).abs() < 0.02, "{cv}");
    }
}
