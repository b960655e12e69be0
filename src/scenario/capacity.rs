//! `[capacity]`: the platform, the replica's price, spot capacity.

use super::{
    Capacity, Platform, Problems, ScenarioFile, Spot, non_negative, positive, price_problem,
};
use crate::billing::spot::{AdvisorRow, advisor, bucket_monthly_probability, rate_per_hour};
use crate::billing::{ComputeRate, PriceBook, PriceError};
use crate::model::spot::{FARGATE_STOP_TIMEOUT_US, Interruption, SpotPlan};

/// from the Amazon ECS developer guide's "Task CPU and memory" table (0.25 vCPU
/// allows 0.5, 1 and 2 GB, which the 0.5 GB step with a 2 GB cap covers except
/// for 1.5 GB, handled below).
const FARGATE_SIZES: &[(f64, f64, f64, f64)] = &[
    (0.25, 0.5, 2.0, 0.5),
    (0.5, 1.0, 4.0, 1.0),
    (1.0, 2.0, 8.0, 1.0),
    (2.0, 4.0, 16.0, 1.0),
    (4.0, 8.0, 30.0, 1.0),
    (8.0, 16.0, 60.0, 4.0),
    (16.0, 32.0, 120.0, 8.0),
];

/// The smallest Fargate task size holding `vcpu` and `gb` (Fargate bills the
/// size of the task, so a pod's requests round up to one), if any.
pub fn fargate_size_for(vcpu: f64, gb: f64) -> Option<(f64, f64)> {
    FARGATE_SIZES.iter().find_map(|&(c, lo, hi, step)| {
        if c + 1e-9 < vcpu || hi + 1e-9 < gb {
            return None;
        }
        let steps = ((gb - lo) / step).max(0.0).ceil();
        let mut m = lo + steps * step;
        if c == 0.25 && (m - 1.5).abs() < 1e-9 {
            m = 2.0;
        }
        (m <= hi + 1e-9).then_some((c, m))
    })
}

pub fn fargate_memory_ok(vcpu: f64, gb: f64) -> Result<(), String> {
    let Some(&(_, lo, hi, step)) = FARGATE_SIZES.iter().find(|s| s.0 == vcpu) else {
        return Err(format!(
            "{vcpu} vCPU is not a Fargate task size (expected 0.25, 0.5, 1, 2, 4, 8 or 16)"
        ));
    };
    let on_step = ((gb - lo) / step).fract().abs() < 1e-9;
    let ok = gb >= lo && gb <= hi && on_step && !(vcpu == 0.25 && gb == 1.5);
    if ok {
        Ok(())
    } else if vcpu == 0.25 {
        Err(format!(
            "{gb} GB is not a valid Fargate memory size for 0.25 vCPU (expected 0.5, 1 or 2 GB)"
        ))
    } else {
        Err(format!(
            "{gb} GB is not a valid Fargate memory size for {vcpu} vCPU (expected {lo} to {hi} GB in {step} GB steps)"
        ))
    }
}

/// Checks the platform and prices one replica.
pub(super) fn compute(f: &ScenarioFile, book: &PriceBook, p: &mut Problems) -> Option<ComputeRate> {
    let c = &f.capacity;
    let mut compute = None;
    match c.platform {
        Platform::Fargate => {
            if c.instance_type.is_some() {
                p.bad(
                    "capacity.instance_type",
                    "Fargate tasks have no instance type".into(),
                    Some("set `platform = \"ec2\"` or remove `instance_type`".into()),
                );
            }
            match (c.cpu, c.memory_gb) {
                (Some(cpu), Some(mem)) => match fargate_memory_ok(cpu, mem) {
                    Ok(()) => {
                        match ComputeRate::fargate(book, &f.region, c.arch.as_str(), cpu, mem) {
                            Ok(r) => compute = Some(r),
                            Err(e) => {
                                let (m, h) = price_problem(e);
                                p.bad("region", m, h);
                            }
                        }
                    }
                    Err(m) => p.bad("capacity.memory_gb", m, None),
                },
                (cpu, _) => p.bad(
                    if cpu.is_none() {
                        "capacity.cpu"
                    } else {
                        "capacity.memory_gb"
                    },
                    "a Fargate task needs `cpu` (vCPU) and `memory_gb`".into(),
                    None,
                ),
            }
        }
        Platform::Local => {
            if c.instance_type.is_some() || c.cpu.is_some() || c.spot.is_some() {
                p.bad(
                    "capacity.platform",
                    "a local service has no instance type, task size or spot capacity".into(),
                    None,
                );
            }
            compute = Some(ComputeRate {
                usd_per_hour: 0.0,
                explanation: "local (outside AWS): no compute billed".into(),
            });
        }
        Platform::Kubernetes | Platform::EcsEc2 => {
            // Pods and tasks are billed through their nodes (`[cluster]`).
            compute = Some(ComputeRate {
                usd_per_hour: 0.0,
                explanation: "replicas billed through their nodes (see [cluster])".into(),
            });
        }
        Platform::Ec2 => match &c.instance_type {
            None => p.bad(
                "capacity.instance_type",
                "an EC2 replica needs `instance_type`".into(),
                None,
            ),
            Some(it) => {
                if !book.knows_sku("EC2", it) {
                    let hint = book
                        .nearest_sku("EC2", it)
                        .map(|h| format!("did you mean `{h}`?"));
                    p.bad(
                        "capacity.instance_type",
                        format!("unknown instance type `{it}` (not in the pricing catalogue)"),
                        hint,
                    );
                } else {
                    match ComputeRate::ec2(book, &f.region, it) {
                        Ok(r) => compute = Some(r),
                        Err(e) => {
                            let (m, h) = price_problem(e);
                            p.bad("region", m, h);
                        }
                    }
                }
            }
        },
    }
    compute
}

/// Checks `[capacity.spot]`.
pub(super) fn check_spot(f: &ScenarioFile, p: &mut Problems) {
    let c = &f.capacity;
    if let Some(spot) = &c.spot {
        if let Some(d) = spot.discount
            && !(0.0..1.0).contains(&d)
        {
            p.bad(
                "capacity.spot.discount",
                format!("{d} is not a discount between 0 and 1"),
                None,
            );
        }
        if spot.on_demand_weight == 0 && spot.spot_weight == 0 {
            p.bad(
                "capacity.spot.spot_weight",
                "on_demand_weight and spot_weight cannot both be 0".into(),
                None,
            );
        }
        if let Some(price) = spot.max_price
            && !positive(price)
        {
            p.bad(
                "capacity.spot.max_price",
                format!("{price} is not a price > 0"),
                None,
            );
        }
        let ec2 = c.platform == Platform::Ec2;
        match spot.interruption_behavior.as_deref() {
            None | Some("terminate") => {}
            Some(b @ ("stop" | "hibernate")) => p.bad(
                "capacity.spot.interruption_behavior",
                format!(
                    "`{b}` cannot happen here: an EC2 Spot Instance stops or hibernates only under a persistent \
                     Spot request, and an Auto Scaling group (or ECS) makes one-time requests and replaces \
                     interrupted instances (EC2 User Guide, \"Behavior of Spot Instance interruptions\"; \
                     AWS::EC2::LaunchTemplate SpotOptions.SpotInstanceType). Set \"terminate\" or remove the key"
                ),
                None,
            ),
            Some(other) => p.bad(
                "capacity.spot.interruption_behavior",
                format!("`{other}` is not an interruption behavior (terminate)"),
                None,
            ),
        }
        if let Some(t) = spot.stop_timeout_s {
            if ec2 {
                p.bad(
                    "capacity.spot.stop_timeout_s",
                    "stop_timeout_s is Fargate Spot's stopTimeout; an EC2 Spot Instance is interrupted 2 minutes after its notice (remove the key)".into(),
                    None,
                );
            } else if !(0.0..=120.0).contains(&t) || t.fract() != 0.0 {
                p.bad(
                    "capacity.spot.stop_timeout_s",
                    format!("{t} is not a whole number of seconds from 0 to 120 (ECS stopTimeout; Fargate allows at most 120)"),
                    None,
                );
            }
        }
        if let Some(lead) = spot.rebalance_lead_s {
            if spot.capacity_rebalance != Some(true) {
                p.bad(
                    "capacity.spot.rebalance_lead_s",
                    "rebalance_lead_s needs capacity_rebalance = true (without Capacity Rebalancing the group ignores rebalance recommendations)".into(),
                    None,
                );
            } else if !non_negative(lead) {
                p.bad(
                    "capacity.spot.rebalance_lead_s",
                    format!("{lead} is not a duration >= 0 s"),
                    None,
                );
            }
        }
        if spot.capacity_rebalance.is_some() && !ec2 {
            p.bad(
                "capacity.spot.capacity_rebalance",
                "capacity_rebalance is an EC2 Auto Scaling group setting (platform = \"ec2\"); Fargate Spot replaces a task at its notice (remove the key)".into(),
                None,
            );
        }
        if let Some(r) = spot.interruptions_per_hour
            && !non_negative(r)
        {
            p.bad(
                "capacity.spot.interruptions_per_hour",
                format!("{r} is not a rate >= 0"),
                None,
            );
        }
    }
}

/// Prices spot capacity (when the scenario has some and its on-demand price is known).
pub(super) fn spot(
    f: &ScenarioFile,
    compute: Option<&ComputeRate>,
    book: &PriceBook,
    p: &mut Problems,
) -> Option<(SpotPlan, String)> {
    let mut spot_plan = None;
    if let (Some(sp), Some(rate)) = (&f.capacity.spot, compute) {
        match spot_plan_of(sp, &f.capacity, &f.region, rate.usd_per_hour, book) {
            Ok(plan) => spot_plan = Some(plan),
            Err(e) => {
                let (m, _) = price_problem(e);
                p.bad(
                    "capacity.spot",
                    m,
                    Some(
                        "set capacity.spot.discount to price spot from the on-demand price".into(),
                    ),
                );
            }
        }
    }
    spot_plan
}

/// Resolves a scenario's spot settings; `on_demand_usd_per_hour` is one replica's price.
fn spot_plan_of(
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
    let (price, how) = spot_price(
        spot,
        cap,
        region,
        on_demand_usd_per_hour,
        book,
        adv.as_ref(),
    )?;
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
            interruption: if cap.platform == Platform::Ec2 {
                Interruption::Ec2 {
                    capacity_rebalance: spot.capacity_rebalance.unwrap_or(false),
                    rebalance_lead_us: spot
                        .rebalance_lead_s
                        .map_or(0, |s| (s * 1e6).round() as u64),
                }
            } else {
                Interruption::Fargate {
                    stop_timeout_us: spot
                        .stop_timeout_s
                        .map_or(FARGATE_STOP_TIMEOUT_US, |s| (s * 1e6) as u64),
                }
            },
            scheduled_notices: Vec::new(),
        },
        explanation,
    ))
}

/// The spot price of one replica and how it was found.
fn spot_price(
    spot: &Spot,
    cap: &Capacity,
    region: &str,
    on_demand_usd_per_hour: f64,
    book: &PriceBook,
    adv: Option<&AdvisorRow>,
) -> Result<(f64, String), PriceError> {
    Ok(match cap.platform {
        Platform::Ec2 => {
            let it = cap.instance_type.as_deref().unwrap_or_default();
            match book.get("EC2", it, region, "spot") {
                Ok(r) => (
                    r.price_usd,
                    format!("EC2 {it} spot ${}/h ({})", r.price_usd, r.source_date),
                ),
                Err(e) => match (spot.discount, adv) {
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
        Platform::Local | Platform::Kubernetes | Platform::EcsEc2 => {
            (0.0, "not billed per replica".into())
        }
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
    })
}
