//! AWS Application Auto Scaling target tracking for an ECS service
//! (`ecs:service:DesiredCount`), as `reference/kubernetes-hpa.md` §10 reads the
//! AWS documentation and the alarms AWS creates:
//!
//! - one datapoint per minute: the metric's 1-minute average;
//! - **AlarmHigh**: 3 consecutive datapoints above the target → scale out to
//!   `ceil(desired × metric / target)` (proportional, "as fast as it can");
//! - **AlarmLow**: 15 consecutive datapoints below 90 % of the target (the
//!   threshold AWS sets for ECS) → scale in to `ceil(desired × metric / target)`,
//!   the smallest count that keeps the metric at or under the target;
//! - scale-out cooldown: the capacity added counts as part of desired, so a
//!   further scale-out during the cooldown is computed from the capacity before
//!   the last one and happens only if it is larger; scale-in cooldown: no
//!   further scale-in, and a scale-out cancels it;
//! - `disable_scale_in`; missing data (no ready replica) scales neither way
//!   and breaks the run of consecutive datapoints;
//! - the scalable target's min/max clamp every result; with min 0 an idle
//!   metric scales in to 0 (ceil(desired × 0 / target) = 0), and at 0 tasks
//!   there is no datapoint (every metric here is per task), so target
//!   tracking does not scale out from 0 — as on AWS, where scale-out from
//!   zero takes a step-scaling policy or a scheduled action.
//!
//! Metrics: `cpu` and `memory` in percent; `rps` in requests per second per
//! ready replica (AWS's `ALBRequestCountPerTarget` counts per minute: divide
//! its target by 60); `queue_depth` and `in_flight` per ready replica
//! (a backlog-per-task custom metric).

use super::{Decision, Observation, Policy};
use crate::model::autoscaler::MetricSource;
use crate::model::metrics::MetricsView;
use crate::units::{US_PER_MIN, US_PER_SEC};

pub const HIGH_DATAPOINTS: u32 = 3;
pub const LOW_DATAPOINTS: u32 = 15;
/// AlarmLow threshold as a fraction of the target (ECS services).
pub const LOW_THRESHOLD: f64 = 0.9;

#[derive(Clone, Debug, PartialEq)]
pub struct TargetTrackingSpec {
    pub metric: MetricSource,
    pub target: f64,
    pub scale_out_cooldown_us: u64,
    pub scale_in_cooldown_us: u64,
    pub disable_scale_in: bool,
}

#[derive(Clone, Debug)]
pub struct TargetTracking {
    spec: TargetTrackingSpec,
    above: u32,
    below: u32,
    /// Time, capacity before, and desired count after the last scale-out.
    last_out: Option<(u64, u32, u32)>,
    /// Time of the last scale-in (cleared by a scale-out).
    last_in: Option<u64>,
    /// Record the next evaluation (`meshsim explain`).
    explaining: bool,
    explanation: Option<serde_json::Value>,
}

impl TargetTracking {
    pub fn new(spec: TargetTrackingSpec) -> Self {
        TargetTracking {
            spec,
            above: 0,
            below: 0,
            last_out: None,
            last_in: None,
            explaining: false,
            explanation: None,
        }
    }

    /// The metric's 1-minute datapoint, in the target's unit.
    pub fn datapoint(&self, m: &dyn MetricsView) -> Option<f64> {
        let ready = m.ready_replicas();
        match self.spec.metric {
            MetricSource::Cpu => m.cpu_utilization(60).map(|u| u * 100.0),
            MetricSource::Memory => m.memory_utilization(60).map(|u| u * 100.0),
            MetricSource::Rps => m.rps_per_replica(60),
            MetricSource::QueueDepth => {
                (ready > 0).then(|| m.queue_depth() as f64 / f64::from(ready))
            }
            MetricSource::InFlight => (ready > 0).then(|| m.in_flight() as f64 / f64::from(ready)),
        }
    }

    fn unit(&self) -> &'static str {
        match self.spec.metric {
            MetricSource::Cpu | MetricSource::Memory => " %",
            MetricSource::Rps => " rps/replica",
            _ => " per replica",
        }
    }

    /// One evaluation with a given datapoint (`None` = insufficient data).
    pub fn evaluate(
        &mut self,
        now_us: u64,
        desired: u32,
        min: u32,
        max: u32,
        point: Option<f64>,
    ) -> Option<Decision> {
        let Some(v) = point else {
            self.above = 0;
            self.below = 0;
            return None;
        };
        let t = self.spec.target;
        self.above = if v > t { self.above + 1 } else { 0 };
        self.below = if v < LOW_THRESHOLD * t {
            self.below + 1
        } else {
            0
        };
        if desired == 0 {
            return None;
        }
        let proportional = (f64::from(desired) * v / t).ceil();
        let proposal = proportional.clamp(0.0, f64::from(u32::MAX)) as u32;
        let metric = format!("{:?}", self.spec.metric).to_lowercase();
        let in_out_cooldown = self
            .last_out
            .filter(|(at, _, _)| now_us < at + self.spec.scale_out_cooldown_us);
        if self.above >= HIGH_DATAPOINTS {
            // During a scale-out cooldown the base is the capacity before the
            // last scale-out: the capacity it added is still starting.
            let (base, floor) = match in_out_cooldown {
                Some((_, before, after)) => (before, after.max(desired)),
                None => (desired, desired),
            };
            let proposal = (f64::from(base) * v / t)
                .ceil()
                .clamp(0.0, f64::from(u32::MAX)) as u32;
            let new = proposal.min(max);
            if new > floor {
                self.last_out = Some((now_us, base, new));
                self.last_in = None;
                return Some(Decision {
                    by: None,
                    desired: new,
                    recommendation: proposal,
                    reason: format!(
                        "AlarmHigh: {metric} {v:.1}{} > target {t} for {HIGH_DATAPOINTS} datapoints; ceil({base} × {v:.1} / {t}) = {proposal}{}{}",
                        self.unit(),
                        if new < proposal {
                            format!(", capped at max {max}")
                        } else {
                            String::new()
                        },
                        if in_out_cooldown.is_some() {
                            " (larger than the scale-out in cooldown)"
                        } else {
                            ""
                        }
                    ),
                });
            }
            return None;
        }
        if self.below >= LOW_DATAPOINTS && !self.spec.disable_scale_in && proposal < desired {
            // Down to the scalable target's minimum, 0 included: with no
            // backlog, ceil(desired × 0 / target) = 0 and AWS sets the desired
            // count to 0 when min allows it ("Setting desired count to 0").
            // Back out of 0 target tracking cannot go: a per-task metric has
            // no data without tasks (see `validate`'s warning).
            let new = proposal.max(min);
            if new >= desired {
                return None;
            }
            if let Some(at) = self.last_in
                && now_us < at + self.spec.scale_in_cooldown_us
            {
                return None;
            }
            self.last_in = Some(now_us);
            return Some(Decision {
                by: None,
                desired: new,
                recommendation: proposal,
                reason: format!(
                    "AlarmLow: {metric} {v:.1}{} < {:.1} ({}% of target {t}) for {LOW_DATAPOINTS} datapoints; ceil({desired} × {v:.1} / {t}) = {proposal}{}",
                    self.unit(),
                    LOW_THRESHOLD * t,
                    LOW_THRESHOLD * 100.0,
                    if new > proposal {
                        format!(", held at min {min}")
                    } else {
                        String::new()
                    }
                ),
            });
        }
        None
    }
}

impl Policy for TargetTracking {
    fn name(&self) -> &'static str {
        "target_tracking"
    }
    fn period_us(&self) -> u64 {
        US_PER_MIN
    }
    fn decide(&mut self, obs: &Observation<'_>) -> Option<Decision> {
        let point = self.datapoint(obs.metrics);
        if !self.explaining {
            return self.evaluate(obs.now_us, obs.desired, obs.min, obs.max, point);
        }
        self.explaining = false;
        // The cooldowns as they stood before this evaluation.
        let (last_out, last_in) = (self.last_out, self.last_in);
        let d = self.evaluate(obs.now_us, obs.desired, obs.min, obs.max, point);
        let now = obs.now_us;
        let s = &self.spec;
        let t = s.target;
        let secs = |us: u64| us as f64 / 1e6;
        let out_until = last_out.map(|(at, _, _)| at + s.scale_out_cooldown_us);
        let in_until = last_in.map(|at| at + s.scale_in_cooldown_us);
        self.explanation = Some(serde_json::json!({
            "metric": format!("{:?}", s.metric).to_lowercase(),
            "datapoint": point,
            "unit": self.unit().trim(),
            "target": t,
            // The alarms' runs of consecutive datapoints, this one included.
            "alarm_high": {
                "threshold": t,
                "consecutive_datapoints_above": self.above,
                "needed": HIGH_DATAPOINTS,
                "in_alarm": self.above >= HIGH_DATAPOINTS,
            },
            "alarm_low": {
                "threshold": LOW_THRESHOLD * t,
                "consecutive_datapoints_below": self.below,
                "needed": LOW_DATAPOINTS,
                "in_alarm": self.below >= LOW_DATAPOINTS,
                "scale_in_disabled": s.disable_scale_in,
            },
            "scale_out_cooldown": {
                "seconds": secs(s.scale_out_cooldown_us),
                "last_scale_out_s": last_out.map(|(at, _, _)| secs(at)),
                "capacity_before_last_scale_out": last_out.map(|(_, before, _)| before),
                "active": out_until.is_some_and(|u| now < u),
            },
            "scale_in_cooldown": {
                "seconds": secs(s.scale_in_cooldown_us),
                "last_scale_in_s": last_in.map(secs),
                "active": in_until.is_some_and(|u| now < u),
            },
            // ceil(desired × datapoint / target): the count either alarm scales to.
            "proposal": point.map(|v| (f64::from(obs.desired) * v / t).ceil()),
            "desired": obs.desired,
            "min": obs.min,
            "max": obs.max,
            "decision": d.as_ref().map(|d| serde_json::json!({
                "desired": d.desired,
                "recommendation": d.recommendation,
                "reason": d.reason,
            })),
        }));
        d
    }

    fn explain_next(&mut self) {
        self.explaining = true;
    }

    fn take_explanation(&mut self) -> Option<serde_json::Value> {
        self.explanation.take()
    }
}

/// Seconds to µs for cooldowns.
pub fn cooldown_us(s: f64) -> u64 {
    (s * US_PER_SEC as f64).round().max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tt() -> TargetTracking {
        // cost-optimized: CPU 80 %, out cooldown 60 s, in cooldown 300 s.
        TargetTracking::new(TargetTrackingSpec {
            metric: MetricSource::Cpu,
            target: 80.0,
            scale_out_cooldown_us: 60 * US_PER_SEC,
            scale_in_cooldown_us: 300 * US_PER_SEC,
            disable_scale_in: false,
        })
    }

    const M: u64 = US_PER_MIN;

    #[test]
    fn scale_out_after_three_high_datapoints() {
        let mut p = tt();
        assert_eq!(p.evaluate(M, 2, 1, 10, Some(95.0)), None);
        assert_eq!(p.evaluate(2 * M, 2, 1, 10, Some(95.0)), None);
        // Third datapoint above 80: ceil(2 × 95 / 80) = 3.
        let d = p.evaluate(3 * M, 2, 1, 10, Some(95.0)).unwrap();
        assert_eq!((d.desired, d.recommendation), (3, 3));
    }

    #[test]
    fn a_datapoint_at_the_target_breaks_the_run() {
        let mut p = tt();
        p.evaluate(M, 2, 1, 10, Some(95.0));
        p.evaluate(2 * M, 2, 1, 10, Some(95.0));
        assert_eq!(p.evaluate(3 * M, 2, 1, 10, Some(80.0)), None);
        assert_eq!(p.evaluate(4 * M, 2, 1, 10, Some(95.0)), None);
    }

    #[test]
    fn scale_out_cooldown_allows_only_larger_scale_outs() {
        let mut p = tt();
        for i in 1..=3 {
            p.evaluate(i * M, 2, 1, 10, Some(120.0));
        }
        // Now at 3 = ceil(2 × 120 / 80). 30 s later the new task is still
        // starting and the metric still reads 120 %: computed from the capacity
        // before the scale-out, ceil(2 × 1.5) = 3 is not larger: no action.
        assert_eq!(
            p.evaluate(3 * M + 30 * US_PER_SEC, 3, 1, 10, Some(120.0)),
            None
        );
        // The load grows to 170 %: ceil(2 × 170 / 80) = 5 > 3, a larger scale-out.
        let d = p
            .evaluate(3 * M + 50 * US_PER_SEC, 3, 1, 10, Some(170.0))
            .unwrap();
        assert_eq!(d.desired, 5);
        // After the cooldown the base is the current capacity again: ceil(5 × 90 / 80) = 6.
        let d = p.evaluate(5 * M, 5, 1, 10, Some(90.0)).unwrap();
        assert_eq!(d.desired, 6);
    }

    #[test]
    fn scale_in_after_fifteen_low_datapoints_respects_cooldown_and_min() {
        let mut p = tt();
        for i in 1..15 {
            assert_eq!(p.evaluate(i * M, 3, 1, 3, Some(30.0)), None, "minute {i}");
        }
        // 15th datapoint below 72 %: ceil(3 × 30 / 80) = 2.
        let d = p.evaluate(15 * M, 3, 1, 3, Some(30.0)).unwrap();
        assert_eq!(d.desired, 2);
        // Still low a minute later, but the 300 s scale-in cooldown holds.
        assert_eq!(p.evaluate(16 * M, 2, 1, 3, Some(20.0)), None);
        // After it: ceil(2 × 20 / 80) = 1.
        assert_eq!(p.evaluate(20 * M, 2, 1, 3, Some(20.0)).unwrap().desired, 1);
        // Never below min: ceil(3 × 5 / 80) = 1 is held at min 2.
        let mut q = tt();
        for i in 1..15 {
            q.evaluate(i * M, 3, 2, 3, Some(5.0));
        }
        let d = q.evaluate(15 * M, 3, 2, 3, Some(5.0)).unwrap();
        assert_eq!((d.desired, d.recommendation), (2, 1));
    }

    #[test]
    fn missing_data_scales_neither_way() {
        let mut p = tt();
        p.evaluate(M, 2, 1, 10, Some(95.0));
        p.evaluate(2 * M, 2, 1, 10, Some(95.0));
        assert_eq!(p.evaluate(3 * M, 2, 1, 10, None), None);
        assert_eq!(p.evaluate(4 * M, 2, 1, 10, Some(95.0)), None);
    }
}
