//! `[fixed]`: always-on resources, priced.

use super::{Fixed, Problems, S3Class, ScenarioFile, non_negative, price_problem};
use crate::billing::fixed::{Component, FixedItem, FixedPlan, HOURS_PER_MONTH};
use crate::billing::{PriceBook, PriceError};

/// Checks `[fixed]` and prices it.
pub(super) fn resolve(f: &ScenarioFile, book: &PriceBook, p: &mut Problems) -> FixedPlan {
    let mut fixed_plan = FixedPlan::default();
    if let Some(fx) = &f.fixed {
        if !non_negative(fx.nat_bytes_per_request) {
            p.bad(
                "fixed.nat_bytes_per_request",
                format!("{} is not a size >= 0", fx.nat_bytes_per_request),
                None,
            );
        }
        if let Some(r) = &fx.rds
            && !non_negative(r.storage_gb)
        {
            p.bad(
                "fixed.rds.storage_gb",
                format!("{} is not a size >= 0 GB", r.storage_gb),
                None,
            );
        }
        match plan(fx, &f.region, book) {
            Ok(plan) => fixed_plan = plan,
            Err(e) => {
                let (m, h) = price_problem(e);
                p.bad("fixed", m, h);
            }
        }
    }
    fixed_plan
}

fn hourly(component: Component, label: String, usd_per_hour: f64) -> FixedItem {
    FixedItem {
        component,
        label,
        usd_per_hour,
        per_request_gb: None,
        alb_lcu: None,
    }
}

/// Prices every resource of `[fixed]` in `region`; a missing price is an error.
pub(crate) fn plan(f: &Fixed, region: &str, book: &PriceBook) -> Result<FixedPlan, PriceError> {
    let mut items = Vec::new();
    if let Some(rds) = &f.rds {
        rds_items(rds, region, book, &mut items)?;
    }
    if let Some(ec) = &f.elasticache {
        let node = book.get(
            "ElastiCache",
            &format!("{}/{}", ec.node_type, ec.engine),
            region,
            "on_demand",
        )?;
        items.push(hourly(
            Component::Cache,
            format!("ElastiCache {} {} × {}", ec.node_type, ec.engine, ec.nodes),
            node.price_usd * f64::from(ec.nodes),
        ));
    }
    if let Some(n) = f.nat_gateways.filter(|n| *n > 0) {
        let h = book.get("NAT Gateway", "hour", region, "on_demand")?;
        let mut item = hourly(
            Component::Network,
            format!("NAT gateway × {n}"),
            h.price_usd * f64::from(n),
        );
        if f.nat_bytes_per_request > 0.0 {
            let d = book.get("NAT Gateway", "data-processed", region, "on_demand")?;
            item.per_request_gb = Some((f.nat_bytes_per_request, d.price_usd));
        }
        items.push(item);
    }
    if let Some(alb) = &f.alb {
        let h = book.get("ALB", "hour", region, "on_demand")?;
        let l = book.get("ALB", "lcu-hour", region, "on_demand")?;
        let mut item = hourly(
            Component::LoadBalancer,
            format!("Application Load Balancer × {}", alb.count),
            h.price_usd * f64::from(alb.count),
        );
        item.alb_lcu = Some((alb.bytes_per_request, l.price_usd));
        items.push(item);
    }
    if let Some(s3) = &f.s3 {
        let sku = match s3.class {
            S3Class::Standard => "standard/first-50tb",
            S3Class::StandardIa => "standard-ia",
        };
        let p = book.get("S3", sku, region, "on_demand")?;
        items.push(hourly(
            Component::Storage,
            format!("S3 {sku} {} GB", s3.storage_gb),
            s3.storage_gb * p.price_usd / HOURS_PER_MONTH,
        ));
    }
    if let Some(bytes) = f.log_bytes_per_request.filter(|b| *b > 0.0) {
        let p = book.get("CloudWatch Logs", "ingestion-standard", region, "on_demand")?;
        let mut item = hourly(
            Component::Storage,
            "CloudWatch Logs ingestion (Standard)".into(),
            0.0,
        );
        item.per_request_gb = Some((bytes, p.price_usd));
        items.push(item);
    }
    Ok(FixedPlan { items })
}

/// RDS: the instance (Multi-AZ or not), read replicas and gp3 storage.
fn rds_items(
    rds: &super::Rds,
    region: &str,
    book: &PriceBook,
    items: &mut Vec<FixedItem>,
) -> Result<(), PriceError> {
    let az = if rds.multi_az {
        "multi-az"
    } else {
        "single-az"
    };
    let inst = book.get("RDS", &format!("{}/{az}", rds.class), region, "on_demand")?;
    items.push(hourly(
        Component::Database,
        format!("RDS {} ({az})", rds.class),
        inst.price_usd,
    ));
    if rds.read_replicas > 0 {
        let rr = book.get(
            "RDS",
            &format!("{}/single-az", rds.class),
            region,
            "on_demand",
        )?;
        items.push(hourly(
            Component::Database,
            format!("RDS {} read replicas × {}", rds.class, rds.read_replicas),
            rr.price_usd * f64::from(rds.read_replicas),
        ));
    }
    if rds.storage_gb > 0.0 {
        let st = book.get("RDS storage", &format!("gp3/{az}"), region, "on_demand")?;
        items.push(hourly(
            Component::Database,
            format!("RDS gp3 storage {} GB ({az})", rds.storage_gb),
            rds.storage_gb * st.price_usd / HOURS_PER_MONTH,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Alb, ElastiCache, Rds};
    use super::*;
    use crate::billing::fixed::interval_cost;

    fn fixed() -> Fixed {
        Fixed {
            rds: None,
            elasticache: None,
            nat_gateways: None,
            nat_bytes_per_request: 0.0,
            alb: None,
            s3: None,
            log_bytes_per_request: None,
        }
    }

    #[test]
    fn multi_az_rds_for_a_day_to_the_cent() {
        // db.t4g.micro Multi-AZ $0.032/h × 24 h = $0.768; 20 GB gp3 Multi-AZ
        // $0.23/GB-month × 20 / 730 × 24 = $0.1512 → $0.9192 for the day.
        let mut f = fixed();
        f.rds = Some(Rds {
            class: "db.t4g.micro".into(),
            multi_az: true,
            storage_gb: 20.0,
            read_replicas: 0,
        });
        let p = plan(&f, "us-east-1", &PriceBook::builtin()).unwrap();
        let c = interval_cost(&p, 86_400.0, 0.0);
        assert!((c.database_usd - (0.768 + 0.23 * 20.0 / 730.0 * 24.0)).abs() < 1e-9);
        assert_eq!((c.database_usd * 100.0).round() / 100.0, 0.92);
    }

    #[test]
    fn cache_nat_and_alb_by_hand() {
        let mut f = fixed();
        f.elasticache = Some(ElastiCache {
            node_type: "cache.t4g.micro".into(),
            nodes: 2,
            engine: "redis".into(),
        });
        f.nat_gateways = Some(1);
        f.nat_bytes_per_request = 1_073_741_824.0 / 1000.0; // 1000 requests = 1 GB
        f.alb = Some(Alb {
            count: 1,
            bytes_per_request: 1000.0,
        });
        let p = plan(&f, "us-east-1", &PriceBook::builtin()).unwrap();
        // One hour with 360,000 requests (100 rps).
        let c = interval_cost(&p, 3600.0, 360_000.0);
        assert!((c.cache_usd - 2.0 * 0.016).abs() < 1e-12);
        // NAT: $0.045/h + 360 GB × $0.045.
        assert!((c.network_usd - (0.045 + 360.0 * 0.045)).abs() < 1e-9);
        // ALB: $0.0225/h + LCU = max(100/25, 100 × 1000 × 3600 / 2^30) = 4 → 4 × $0.008.
        assert!((c.load_balancer_usd - (0.0225 + 4.0 * 0.008)).abs() < 1e-12);
    }

    #[test]
    fn a_missing_multi_az_price_is_an_error_not_a_zero() {
        let mut f = fixed();
        f.rds = Some(Rds {
            class: "db.t3.medium".into(),
            multi_az: true,
            storage_gb: 0.0,
            read_replicas: 0,
        });
        let e = plan(&f, "us-east-1", &PriceBook::builtin())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("db.t3.medium/multi-az") && e.contains("us-east-1"),
            "{e}"
        );
    }
}
