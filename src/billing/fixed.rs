//! Always-on resources, billed per second of simulated time: RDS (instance,
//! Multi-AZ, read replicas, gp3 storage), ElastiCache nodes, NAT gateways
//! (hourly plus data processed), Application Load Balancers (hourly plus LCUs
//! from the request rate), S3 storage and CloudWatch Logs ingestion.
//!
//! These resources do not change the simulation, so their cost is computed
//! from the run's per-minute timeline afterwards: a pure function of the
//! timeline and the plan.
//!
//! Conventions (AWS's): a month is 730 hours for GB-month prices; a GB of data
//! is 2^30 bytes; an ALB's LCUs in a minute are the largest of its dimensions
//! — new connections (25 per second per LCU; every request is counted as a new
//! connection, the conservative case) and processed bytes (1 GB per hour per
//! LCU for instance/IP targets); rule evaluations are within the free 10 rules.

use crate::metrics::{FixedCost, RunOutcome};

pub const HOURS_PER_MONTH: f64 = 730.0;
pub const BYTES_PER_GB: f64 = 1_073_741_824.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    Database,
    Cache,
    Network,
    LoadBalancer,
    Storage,
}

/// One priced always-on resource.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedItem {
    pub component: Component,
    pub label: String,
    pub usd_per_hour: f64,
    /// Data processed per request and its price per GB.
    pub per_request_gb: Option<(f64, f64)>,
    /// ALB: bytes per request and the LCU-hour price.
    pub alb_lcu: Option<(f64, f64)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FixedPlan {
    pub items: Vec<FixedItem>,
}

fn add(c: &mut FixedCost, comp: Component, usd: f64) {
    match comp {
        Component::Database => c.database_usd += usd,
        Component::Cache => c.cache_usd += usd,
        Component::Network => c.network_usd += usd,
        Component::LoadBalancer => c.load_balancer_usd += usd,
        Component::Storage => c.storage_usd += usd,
    }
}

/// Cost of the plan over an interval of `len_s` seconds with `requests` arrivals.
pub fn interval_cost(plan: &FixedPlan, len_s: f64, requests: f64) -> FixedCost {
    let mut c = FixedCost::default();
    let hours = len_s / 3600.0;
    for it in &plan.items {
        let mut usd = it.usd_per_hour * hours;
        if let Some((bytes, per_gb)) = it.per_request_gb {
            usd += requests * bytes / BYTES_PER_GB * per_gb;
        }
        if let Some((bytes, per_lcu_hour)) = it.alb_lcu
            && len_s > 0.0
        {
            let rps = requests / len_s;
            let by_connections = rps / 25.0;
            let by_bytes = rps * bytes * 3600.0 / BYTES_PER_GB;
            usd += by_connections.max(by_bytes) * per_lcu_hour * hours;
        }
        add(&mut c, it.component, usd);
    }
    c
}

/// Fills the always-on costs into the timeline (cumulative) and the summary.
pub fn apply(plan: &FixedPlan, out: &mut RunOutcome) {
    let mut cum = FixedCost::default();
    for row in &mut out.timeline {
        let c = interval_cost(plan, row.len_s, row.arrived as f64);
        cum = cum.plus(&c);
        row.fixed = cum;
    }
    out.summary.fixed = cum;
}
