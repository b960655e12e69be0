//! Billing with hand-computed dollars, each from a cited catalogue price.

use crate::{config, rate_row};
use meshsim::billing::{ComputeRate, PriceBook};
use meshsim::engine::simulate;
use meshsim::model::service::ServiceDist;
use meshsim::units::US_PER_SEC;

fn cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}

#[test]
fn fargate_half_vcpu_one_gb_for_exactly_one_hour() {
    // 0.5 × $0.04048 + 1 × $0.004445 = $0.024685 for the hour (us-east-1 x86, source 2025-07-07).
    let rate =
        ComputeRate::fargate(&PriceBook::builtin(), "us-east-1", "x86_64", 0.5, 1.0).unwrap();
    let mut cfg = config(1, 1, ServiceDist::Constant(1000), 3600);
    cfg.usd_per_hour = rate.usd_per_hour;
    let s = simulate(cfg, vec![rate_row(0.0, 0.0)].into_iter(), 1).summary;
    assert!((s.cost_compute_usd - 0.024685).abs() < 1e-12);
    assert_eq!(cents(s.cost_compute_usd), 0.02);
}

#[test]
fn a_fargate_task_living_20_seconds_is_billed_60() {
    let rate =
        ComputeRate::fargate(&PriceBook::builtin(), "us-east-1", "x86_64", 0.5, 1.0).unwrap();
    let mut cfg = config(0, 1, ServiceDist::Constant(1000), 600);
    cfg.usd_per_hour = rate.usd_per_hour;
    cfg.capacity_steps = vec![(100 * US_PER_SEC, 1), (120 * US_PER_SEC, 0)];
    let s = simulate(cfg, vec![rate_row(0.0, 0.0)].into_iter(), 1).summary;
    assert!((s.cost_compute_usd - 0.024685 * 60.0 / 3600.0).abs() < 1e-12);
}

#[test]
fn an_ec2_t4g_nano_for_an_hour() {
    // $0.0042 per instance-hour (us-east-1 Linux, source 2026-07-20).
    let rate = ComputeRate::ec2(&PriceBook::builtin(), "us-east-1", "t4g.nano").unwrap();
    let mut cfg = config(1, 1, ServiceDist::Constant(1000), 3600);
    cfg.usd_per_hour = rate.usd_per_hour;
    let s = simulate(cfg, vec![rate_row(0.0, 0.0)].into_iter(), 1).summary;
    assert!((s.cost_compute_usd - 0.0042).abs() < 1e-12);
}

#[test]
fn a_scenario_can_bring_its_own_prices() {
    // A negotiated t4g.nano price overrides the catalogue's for this scenario only.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("mine.csv"),
        "service,sku,region,unit,price_usd,purchase_option,description,source,source_date\n\
         EC2,t4g.nano,us-east-1,USD per instance-hour,0.003,on_demand,negotiated,contract 2026-01,2026-01-01\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("s.toml"),
        "pricing = \"mine.csv\"\n[capacity]\nplatform = \"ec2\"\ninstance_type = \"t4g.nano\"\n",
    )
    .unwrap();
    let sc = meshsim::scenario::resolve(
        tmp.path().join("s.toml").to_str().unwrap(),
        &[],
        &[],
        &PriceBook::builtin(),
    )
    .unwrap();
    assert_eq!(sc.compute.usd_per_hour, 0.003);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .args([
            "pricing",
            "--service",
            "EC2",
            "--sku",
            "t4g.nano",
            "--option",
            "on_demand",
            "--file",
            "mine.csv",
            "--csv",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("0.003") && text.contains("contract 2026-01"),
        "{text}"
    );
}
