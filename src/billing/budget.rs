//! AWS Budgets semantics: a monthly cost budget (and optional per-service
//! budgets, e.g. an "EC2 budget" over compute), alerts at percentage
//! thresholds on ACTUAL month-to-date cost and on FORECASTED month-end cost,
//! evaluated every `evaluation_interval` (AWS: about three times a day; default
//! 8 h), each firing at most once per budget period.
//!
//! meshsim's budget period starts at the trace's first timestamp and lasts the
//! days of the calendar month it falls in. The forecast is the month-to-date
//! run rate: `actual / elapsed × month`. A trace shorter than the month is
//! projected past its end at its average cost rate; alerts in that part are
//! marked `projected`.

use crate::metrics::{AlertRow, Summary, Threshold, TimelineRow};
use crate::units::US_PER_SEC;
use serde::{Deserialize, Serialize};

/// What an AWS Budgets alert compares with its threshold: the month-to-date
/// cost (ACTUAL) or the forecast month-end cost (FORECASTED).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    Actual,
    Forecasted,
}

/// Which costs a budget covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Total,
    Compute,
    Database,
    Cache,
    Network,
    LoadBalancer,
    Storage,
    Llm,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s.to_ascii_lowercase().as_str() {
            "total" | "all" => Scope::Total,
            "compute" | "ec2" | "ecs" | "fargate" => Scope::Compute,
            "database" | "rds" => Scope::Database,
            "cache" | "elasticache" => Scope::Cache,
            "network" | "nat" | "vpc" => Scope::Network,
            "load_balancer" | "elb" | "alb" => Scope::LoadBalancer,
            "storage" | "s3" | "cloudwatch" => Scope::Storage,
            "llm" | "bedrock" => Scope::Llm,
            _ => return None,
        })
    }

    pub fn of(self, r: &TimelineRow) -> f64 {
        match self {
            Scope::Total => r.cost_total_usd(),
            Scope::Compute => r.cost_compute_usd,
            Scope::Database => r.fixed.database_usd,
            Scope::Cache => r.fixed.cache_usd,
            Scope::Network => r.fixed.network_usd,
            Scope::LoadBalancer => r.fixed.load_balancer_usd,
            Scope::Storage => r.fixed.storage_usd,
            Scope::Llm => r.cost_llm_usd,
        }
    }
}

/// One budget to evaluate.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetSpec {
    pub name: String,
    pub scope: Scope,
    pub monthly_usd: f64,
    /// (threshold percent, kind).
    pub alerts: Vec<(f64, AlertKind)>,
}

/// The run's cost scaled to the length of the calendar month in which the
/// trace starts (the run's average cost rate over the whole month).
pub fn projected_month_usd(s: &Summary, start_epoch_us: i64) -> f64 {
    if s.sim_seconds <= 0.0 {
        return 0.0;
    }
    s.cost_total_usd() / s.sim_seconds * month_seconds(start_epoch_us)
}

/// Seconds in the calendar month (UTC) containing the instant.
pub fn month_seconds(epoch_us: i64) -> f64 {
    let days = jiff::Timestamp::from_microsecond(epoch_us)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).days_in_month())
        .unwrap_or(30);
    f64::from(days) * 86_400.0
}

/// Cost of `scope` at `t_s` seconds: from the timeline inside the run, then
/// at the run's average rate (projected = true).
fn cost_at(timeline: &[TimelineRow], scope: Scope, t_s: f64, end_s: f64) -> (f64, bool) {
    let Some(last) = timeline.last() else {
        return (0.0, t_s > end_s);
    };
    let total = scope.of(last);
    if t_s >= end_s {
        return (
            if end_s > 0.0 {
                total * t_s / end_s
            } else {
                0.0
            },
            t_s > end_s,
        );
    }
    // The row whose interval ends at or after t; interpolate within it.
    let mut prev_end = 0.0;
    let mut prev_cost = 0.0;
    for r in timeline {
        let start = r.t_s as f64;
        let end = start + r.len_s;
        let c = scope.of(r);
        if end >= t_s {
            let frac = if end > prev_end {
                (t_s - prev_end) / (end - prev_end)
            } else {
                1.0
            };
            return (prev_cost + (c - prev_cost) * frac, false);
        }
        prev_end = end;
        prev_cost = c;
    }
    (total, false)
}

/// Alerts over the budget month, in time order.
pub fn evaluate(
    budgets: &[BudgetSpec],
    timeline: &[TimelineRow],
    end_s: f64,
    month_s: f64,
    interval_s: f64,
) -> Vec<AlertRow> {
    let mut fired: Vec<Vec<bool>> = budgets
        .iter()
        .map(|b| vec![false; b.alerts.len()])
        .collect();
    let mut out = Vec::new();
    let mut k = 1u64;
    while interval_s > 0.0 && (k as f64) * interval_s <= month_s + 1e-9 {
        let t = k as f64 * interval_s;
        for (bi, b) in budgets.iter().enumerate() {
            let (actual, projected) = cost_at(timeline, b.scope, t, end_s);
            let forecast = actual / t * month_s;
            for (ai, (pct, kind)) in b.alerts.iter().enumerate() {
                if fired[bi][ai] {
                    continue;
                }
                let value = match kind {
                    AlertKind::Actual => actual,
                    AlertKind::Forecasted => forecast,
                };
                if value >= pct / 100.0 * b.monthly_usd {
                    fired[bi][ai] = true;
                    out.push(AlertRow {
                        t_us: (t * US_PER_SEC as f64).round() as u64,
                        kind: format!(
                            "budget_{}",
                            if *kind == AlertKind::Actual {
                                "actual"
                            } else {
                                "forecasted"
                            }
                        ),
                        name: b.name.clone(),
                        threshold: Threshold::Percent(*pct),
                        value,
                        projected,
                    });
                }
            }
        }
        k += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::FixedCost;

    /// A constant $1 per hour for `hours`, one row per minute.
    fn constant_spend(hours: u64) -> Vec<TimelineRow> {
        (0..hours * 60)
            .map(|m| TimelineRow {
                t_s: m * 60,
                len_s: 60.0,
                arrived: 0,
                served: 0,
                dropped: 0,
                rejected: 0,
                served_within_slo: 0,
                replicas_ready: 1,
                replicas_total: 1,
                replicas_desired: 1,
                replicas_spot: 0,
                cpu_util: 0.0,
                queue_depth: 0.0,
                latency_p50_ms: None,
                latency_p95_ms: None,
                latency_p99_ms: None,
                cost_compute_usd: (m + 1) as f64 / 60.0,
                cost_compute_spot_usd: 0.0,
                fixed: FixedCost::default(),
                cost_llm_usd: 0.0,
                cost_control_plane_usd: 0.0,
                nodes: None,
                usage: None,
            })
            .collect()
    }

    #[test]
    fn actual_after_crossing_forecast_earlier_never_twice() {
        // $1/h against a $600 budget in a 30-day month (720 h of spend would be $720).
        // 80 % = $480 is reached at 480 h; evaluations every 8 h: actual fires at 480 h.
        // The forecast (run rate × 720 h = $720) is above 100 % at the first evaluation (8 h).
        let tl = constant_spend(720);
        let b = vec![BudgetSpec {
            name: "monthly".into(),
            scope: Scope::Total,
            monthly_usd: 600.0,
            alerts: vec![(80.0, AlertKind::Actual), (100.0, AlertKind::Forecasted)],
        }];
        let a = evaluate(&b, &tl, 720.0 * 3600.0, 720.0 * 3600.0, 8.0 * 3600.0);
        assert_eq!(a.len(), 2, "{a:?}");
        assert_eq!(
            (a[0].kind.as_str(), a[0].t_us / 3_600_000_000),
            ("budget_forecasted", 8)
        );
        assert_eq!(
            (a[1].kind.as_str(), a[1].t_us / 3_600_000_000),
            ("budget_actual", 480)
        );
        assert!((a[1].value - 480.0).abs() < 1e-9);
    }

    #[test]
    fn a_crossing_between_evaluations_fires_at_the_next_one() {
        // $1/h, budget $100, 80 % = $80 at 80 h; evaluations every 24 h: fires at 96 h.
        let tl = constant_spend(200);
        let b = vec![BudgetSpec {
            name: "m".into(),
            scope: Scope::Total,
            monthly_usd: 100.0,
            alerts: vec![(80.0, AlertKind::Actual)],
        }];
        let a = evaluate(&b, &tl, 200.0 * 3600.0, 720.0 * 3600.0, 24.0 * 3600.0);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].t_us / 3_600_000_000, 96);
        assert!(!a[0].projected);
    }

    #[test]
    fn a_short_trace_is_projected() {
        // One day at $1/h; budget $500; 80 % = $400 reached at 400 h in projection.
        let tl = constant_spend(24);
        let b = vec![BudgetSpec {
            name: "m".into(),
            scope: Scope::Total,
            monthly_usd: 500.0,
            alerts: vec![(80.0, AlertKind::Actual)],
        }];
        let a = evaluate(&b, &tl, 24.0 * 3600.0, 720.0 * 3600.0, 8.0 * 3600.0);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].t_us / 3_600_000_000, 400);
        assert!(a[0].projected);
    }
}
