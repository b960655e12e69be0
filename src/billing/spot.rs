//! Spot prices and interruption rates. Prices come from the catalogue's spot
//! rows, else the scenario's `discount`, else (EC2) the Spot Instance
//! Advisor's savings percentage for the type and region; interruption rates
//! from the scenario, else the Advisor's monthly interruption-frequency bucket
//! for the type and region (EC2), else 5 % a month (Fargate Spot: AWS
//! publishes no rates; the Advisor's global rate is "<10 %").

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
