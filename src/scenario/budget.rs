//! `[budget]`: AWS Budgets with alert thresholds.

use super::{Budget, Problems, ScenarioFile, non_negative, positive};
use crate::billing::budget::{AlertKind, BudgetSpec, Scope};

/// Checks `[budget]`.
pub(super) fn check(f: &ScenarioFile, p: &mut Problems) {
    if let Some(b) = &f.budget {
        if !non_negative(b.monthly_usd) {
            p.bad(
                "budget.monthly_usd",
                format!("{} is not an amount >= 0 USD", b.monthly_usd),
                None,
            );
        }
        if let Some(h) = b.evaluation_interval_h
            && !positive(h)
        {
            p.bad(
                "budget.evaluation_interval_h",
                format!("{h} is not a duration > 0 h"),
                None,
            );
        }
        for (i, sb) in b.services.iter().enumerate() {
            if crate::billing::budget::Scope::parse(&sb.service).is_none() {
                p.bad(
                    &format!("budget.services[{i}].service"),
                    format!(
                        "`{}` is not a cost scope (expected compute, EC2, database, RDS, cache, network, load_balancer, storage, llm or total)",
                        sb.service
                    ),
                    None,
                );
            }
            if !non_negative(sb.monthly_usd) {
                p.bad(
                    &format!("budget.services[{i}].monthly_usd"),
                    format!("{} is not an amount >= 0 USD", sb.monthly_usd),
                    None,
                );
            }
        }
        for (i, a) in b.alerts.iter().enumerate() {
            if !(a.threshold_pct > 0.0 && a.threshold_pct <= 1000.0) {
                p.bad(
                    &format!("budget.alerts[{i}].threshold_pct"),
                    format!(
                        "{} is not a percentage in (0, 1000] (AWS Budgets' range)",
                        a.threshold_pct
                    ),
                    None,
                );
            }
        }
    }
}

/// The budgets to evaluate (checked already), and hours between evaluations
/// (AWS: about three times a day; 8 h unless set).
pub(super) fn specs(b: Option<&Budget>) -> (Vec<BudgetSpec>, f64) {
    let budgets = b
        .map(|b| budget_specs(b).expect("validated"))
        .unwrap_or_default();
    let interval_h = b.and_then(|b| b.evaluation_interval_h).unwrap_or(8.0);
    (budgets, interval_h)
}

/// The budgets of a scenario's `[budget]`.
fn budget_specs(b: &Budget) -> Result<Vec<BudgetSpec>, String> {
    let alerts: Vec<(f64, AlertKind)> =
        b.alerts.iter().map(|a| (a.threshold_pct, a.kind)).collect();
    let mut out = vec![BudgetSpec {
        name: "monthly".into(),
        scope: Scope::Total,
        monthly_usd: b.monthly_usd,
        alerts: alerts.clone(),
    }];
    for s in &b.services {
        let scope = Scope::parse(&s.service).ok_or_else(|| {
            format!(
                "`{}` is not a cost scope (expected compute/EC2, database/RDS, cache, network, load_balancer, storage, llm or total)",
                s.service
            )
        })?;
        out.push(BudgetSpec {
            name: s.name.clone().unwrap_or_else(|| s.service.clone()),
            scope,
            monthly_usd: s.monthly_usd,
            alerts: if s.alerts.is_empty() {
                alerts.clone()
            } else {
                s.alerts.iter().map(|a| (a.threshold_pct, a.kind)).collect()
            },
        });
    }
    Ok(out)
}
