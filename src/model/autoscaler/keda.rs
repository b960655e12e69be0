//! KEDA ScaledObject semantics (`reference/kubernetes-hpa.md` §9) on top of
//! the HPA:
//!
//! - KEDA creates an HPA with `minReplicas = max(minReplicaCount, 1)`, the
//!   trigger as an External `AverageValue` metric (target = `queue_length` per
//!   replica: `ceil(total / target)`), and the advanced behavior;
//! - the operator polls every `polling_interval_s`: a trigger is active when
//!   its value is strictly above `activation_queue_length` (always active with
//!   `minReplicaCount ≥ 1`); at 0 replicas an active trigger scales to
//!   `max(minReplicaCount, 1)`; an inactive trigger scales to 0 once
//!   `cooldown_period_s` has passed since the last active poll (at once if it
//!   was never active); 1 ↔ N is the HPA's job (it is disabled at 0 replicas).

use super::hpa::policy::{HpaPolicy, HpaPolicySpec, source_value};
use super::{Decision, Observation, Policy};
use crate::scenario::MetricSource;

#[derive(Clone, Debug, PartialEq)]
pub struct KedaSpec {
    /// The HPA KEDA creates (its External metric reads `source`).
    pub hpa: HpaPolicySpec,
    pub source: MetricSource,
    pub min_replica_count: u32,
    pub activation: f64,
    pub polling_us: u64,
    pub cooldown_us: u64,
}

pub struct KedaPolicy {
    spec: KedaSpec,
    hpa: HpaPolicy,
    hpa_period_us: u64,
    period_us: u64,
    last_active_us: Option<u64>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl KedaPolicy {
    pub fn new(spec: KedaSpec) -> Self {
        let hpa = HpaPolicy::new(spec.hpa.clone());
        let hpa_period_us = hpa.period_us();
        let period_us = gcd(hpa_period_us, spec.polling_us.max(1)).max(1);
        KedaPolicy {
            spec,
            hpa,
            hpa_period_us,
            period_us,
            last_active_us: None,
        }
    }
}

impl Policy for KedaPolicy {
    fn name(&self) -> &'static str {
        "keda"
    }

    fn period_us(&self) -> u64 {
        self.period_us
    }

    fn decide(&mut self, obs: &Observation<'_>) -> Option<Decision> {
        let now = obs.now_us;
        let s = &self.spec;
        if now.is_multiple_of(s.polling_us) {
            let value =
                source_value(s.source, obs.metrics, s.hpa.metrics_window_s).map_or(0.0, |v| v.0);
            let active = s.min_replica_count >= 1 || value > s.activation;
            if active {
                self.last_active_us = Some(now);
            }
            if obs.desired == 0 && active {
                let to = s.min_replica_count.max(1);
                return Some(Decision {
                    by: None,
                    desired: to,
                    recommendation: to,
                    reason: format!(
                        "KEDA activation: {:?} {value} > activation threshold {}",
                        s.source, s.activation
                    )
                    .to_lowercase(),
                });
            }
            if !active && obs.desired > 0 && s.min_replica_count == 0 {
                let cooled = self.last_active_us.is_none_or(|t| t + s.cooldown_us < now);
                if cooled {
                    return Some(Decision {
                        by: None,
                        desired: 0,
                        recommendation: 0,
                        reason: format!(
                            "KEDA scale to zero: trigger inactive ({value} <= {}) for more than the {} s cooldown",
                            s.activation,
                            s.cooldown_us / 1_000_000
                        ),
                    });
                }
            }
        }
        if obs.desired > 0 && now.is_multiple_of(self.hpa_period_us) {
            let hpa_obs = Observation {
                now_us: now,
                desired: obs.desired,
                min: obs.min.max(1),
                max: obs.max,
                metrics: obs.metrics,
                replicas: obs.replicas,
            };
            return self.hpa.decide(&hpa_obs).map(|d| Decision {
                by: Some("keda-hpa"),
                ..d
            });
        }
        None
    }
}
