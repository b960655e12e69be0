//! Spot prices and interruption rates. Prices come from the catalogue's spot
//! rows, else the scenario's `discount`, else (EC2) the Spot Instance
//! Advisor's savings percentage for the type and region; interruption rates
//! from the scenario, else the Advisor's monthly interruption-frequency bucket
//! for the type and region (EC2), else 5 % a month (Fargate Spot: AWS
//! publishes no rates; the Advisor's global rate is "<10 %").

use super::{PriceBook, PriceError};
use crate::engine::SpotPlan;
use crate::scenario::{Capacity, Platform, Spot};
use serde::Deserialize;

/// The Spot Instance Advisor snapshot (`pricing/spot_advisor.csv`).
pub const BUILTIN_ADVISOR_CSV: &str = include_str!("../../pricing/spot_advisor.csv");

#[derive(Clone, Debug, Deserialize)]
pub struct AdvisorRow {
    pub region: String,
    pub instance_type: String,
    pub savings_pct_vs_on_demand: f64,
    pub interruption_bucket: String,
    pub interruption_index: u32,
    pub source_date: String,
}

/// The Advisor's rows with known values (rows marked `unknown` are left out).
pub fn advisor() -> Vec<AdvisorRow> {
    csv::Reader::from_reader(BUILTIN_ADVISOR_CSV.as_bytes())
        .deserialize::<AdvisorRow>()
        .filter_map(Result::ok)
        .collect()
}

/// Monthly interruption probability taken for an Advisor bucket: the middle
/// of its range (0-5, 5-11, 11-16, 16-22 %, and 22-40 % for ">20 %").
pub fn bucket_monthly_probability(index: u32) -> f64 {
    match index {
        0 => 0.025,
        1 => 0.08,
        2 => 0.135,
        3 => 0.19,
        _ => 0.31,
    }
}

/// Poisson rate per replica-hour for a monthly probability (730 h month).
pub fn rate_per_hour(monthly_probability: f64) -> f64 {
    -(1.0 - monthly_probability).ln() / 730.0
}

/// Resolves a scenario's spot settings; `on_demand_usd_per_hour` is one replica's price.
pub fn plan(
    spot: &Spot,
    cap: &Capacity,
    region: &str,
    on_demand_usd_per_hour: f64,
    book: &PriceBook,
) -> Result<(SpotPlan, String), PriceError> {
    let adv = match (cap.platform, &cap.instance_type) {
        (Platform::Ec2, Some(it)) => advisor()
            .into_iter()
            .find(|r| r.region == region && &r.instance_type == it),
        _ => None,
    };
    let (price, how) = match cap.platform {
        Platform::Ec2 => {
            let it = cap.instance_type.as_deref().unwrap_or_default();
            match book.get("EC2", it, region, "spot") {
                Ok(r) => (
                    r.price_usd,
                    format!("EC2 {it} spot ${}/h ({})", r.price_usd, r.source_date),
                ),
                Err(e) => match (spot.discount, &adv) {
                    (Some(d), _) => (
                        on_demand_usd_per_hour * (1.0 - d),
                        format!("on-demand × (1 − discount {d})"),
                    ),
                    (None, Some(a)) => (
                        on_demand_usd_per_hour * (1.0 - a.savings_pct_vs_on_demand / 100.0),
                        format!(
                            "on-demand × (1 − {} % Spot Advisor savings, {})",
                            a.savings_pct_vs_on_demand, a.source_date
                        ),
                    ),
                    (None, None) => return Err(e),
                },
            }
        }
        Platform::Local => (0.0, "local: nothing billed".into()),
        Platform::Fargate => {
            let arch = cap.arch.as_str();
            let c = book.get("Fargate", &format!("vcpu-{arch}"), region, "spot");
            let m = book.get("Fargate", &format!("memory-{arch}"), region, "spot");
            match (c, m, spot.discount) {
                (Ok(c), Ok(m), _) => (
                    cap.cpu.unwrap_or(0.0) * c.price_usd
                        + cap.memory_gb.unwrap_or(0.0) * m.price_usd,
                    format!(
                        "Fargate Spot {arch} {region} (source date {})",
                        c.source_date
                    ),
                ),
                (_, _, Some(d)) => (
                    on_demand_usd_per_hour * (1.0 - d),
                    format!("on-demand × (1 − discount {d})"),
                ),
                (Err(e), _, None) | (_, Err(e), None) => return Err(e),
            }
        }
    };
    let rate = spot.interruptions_per_hour.unwrap_or_else(|| match &adv {
        Some(a) => rate_per_hour(bucket_monthly_probability(a.interruption_index)),
        None => rate_per_hour(0.05),
    });
    let available = spot.max_price.is_none_or(|m| price <= m);
    let explanation = format!(
        "spot ${price:.6}/h per replica ({how}); {}; {:.6} interruptions per replica-hour{}",
        if available {
            "available".to_string()
        } else {
            format!(
                "above max_price {} — spot unavailable",
                spot.max_price.unwrap_or(0.0)
            )
        },
        rate,
        match (&adv, spot.interruptions_per_hour) {
            (_, Some(_)) => " (configured)".to_string(),
            (Some(a), None) => format!(
                " (Spot Advisor bucket {} in {region})",
                a.interruption_bucket
            ),
            (None, None) => " (assumed 5 % a month)".to_string(),
        }
    );
    Ok((
        SpotPlan {
            base: spot.base,
            on_demand_weight: spot.on_demand_weight,
            spot_weight: spot.spot_weight,
            usd_per_hour: price,
            available,
            fallback_to_on_demand: spot.fallback_to_on_demand,
            interruptions_per_hour: rate,
        },
        explanation,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisor_snapshot_parses() {
        let a = advisor();
        assert!(a.len() >= 45, "{}", a.len());
        let nano = a
            .iter()
            .find(|r| r.region == "us-east-1" && r.instance_type == "t4g.nano")
            .unwrap();
        assert_eq!(
            (nano.savings_pct_vs_on_demand, nano.interruption_index),
            (56.0, 0)
        );
    }

    #[test]
    fn bucket_rates() {
        // 2.5 % a month ≈ 3.47e-5 per hour.
        assert!((rate_per_hour(0.025) - 3.468e-5).abs() < 1e-8);
    }
}
