//! Scenarios: TOML -> layered, merged table -> strictly deserialised
//! [`ScenarioFile`] -> validated [`Scenario`] with prices resolved. All
//! semantic problems are collected and reported together.

pub mod builtin;
pub mod load;
pub mod model;

pub use load::{Diagnostic, Diagnostics, Loaded};
pub use model::*;

use crate::billing::fixed::FixedPlan;
use crate::billing::{ComputeRate, PriceBook, PriceError};
use crate::model::autoscaler::hpa::policy::HpaPolicySpec;
use crate::model::autoscaler::hpa::spec::MetricSpec;
use crate::model::autoscaler::keda::KedaSpec;
use crate::model::autoscaler::schedule::{ScheduleSpec, parse_cron};
use std::collections::BTreeMap;

/// A scenario ready to simulate.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub origin: String,
    pub file: ScenarioFile,
    pub tz: jiff::tz::TimeZone,
    /// Price of one replica.
    pub compute: ComputeRate,
    /// Scheduled actions with their cron expressions parsed.
    pub schedules: Vec<ScheduleSpec>,
    /// The HPA, resolved from its manifest or inline spec.
    pub hpa: Option<HpaPolicySpec>,
    /// KEDA queue scaling, resolved.
    pub keda: Option<KedaSpec>,
    /// Always-on resources, priced.
    pub fixed: FixedPlan,
    /// Bedrock calls, resolved (day boundaries are added per trace).
    pub llm: Option<crate::model::llm::LlmPlan>,
    /// Accepted with a warning (e.g. a disabled model Bedrock does not carry).
    pub warnings: Vec<String>,
    /// Spot capacity, priced, with how the price and rate were found.
    pub spot: Option<(crate::engine::SpotPlan, String)>,
    /// Budgets to evaluate, and hours between evaluations.
    pub budgets: Vec<crate::billing::budget::BudgetSpec>,
    pub budget_interval_h: f64,
    /// Settings present in the file that this version does not simulate yet.
    pub not_simulated: Vec<String>,
    /// A multi-region scenario's regions, each a scenario of its own (empty:
    /// one region).
    pub regions: Vec<RegionPlan>,
}

/// One region of a multi-region scenario, resolved.
#[derive(Clone, Debug)]
pub struct RegionPlan {
    pub name: String,
    pub aws_region: String,
    pub weight: f64,
    /// Outages, seconds since the trace start (end `None`: no recovery).
    pub outages_s: Vec<(f64, Option<f64>)>,
    /// Inter-region transfer price out of this region, when replication is on.
    pub replication_usd_per_gb: f64,
    /// Hashes of the trace `region` values routed here.
    pub route: Vec<u64>,
    pub scenario: Scenario,
}

/// Resolves `[[regions]]`: each region is the scenario with its `override`
/// table laid over it and `region` set to its AWS region, validated as a
/// scenario of its own (its prices are that region's).
fn resolve_regions(
    loaded: &Loaded,
    book: &PriceBook,
) -> Result<(Vec<RegionPlan>, Vec<String>), Diagnostics> {
    let f = &loaded.file;
    let mut problems = Vec::new();
    let mut bad = |key: String, message: String| {
        let mut d = load::locate_key(&loaded.layers, &key);
        d.message = message;
        problems.push(d);
    };
    let mut names = std::collections::BTreeSet::new();
    let mut routes = std::collections::BTreeSet::new();
    let mut sum = 0.0;
    for (i, r) in f.regions.iter().enumerate() {
        let at = format!("regions[{i}]");
        if !names.insert(r.name.clone()) {
            bad(
                format!("{at}.name"),
                format!("region `{}` is named twice", r.name),
            );
        }
        for v in &r.route {
            if !routes.insert(v.trim().to_string()) {
                bad(
                    format!("{at}.route"),
                    format!("`{v}` is routed to more than one region"),
                );
            }
        }
        if !(r.weight.is_finite() && r.weight > 0.0) {
            bad(
                format!("{at}.weight"),
                format!("{} is not a share > 0", r.weight),
            );
        } else {
            sum += r.weight;
        }
        match (r.fail_at_s, r.recover_at_s) {
            (Some(a), _) if !(a.is_finite() && a >= 0.0) => bad(
                format!("{at}.fail_at_s"),
                format!("{a} is not a time >= 0 s"),
            ),
            (None, Some(_)) => bad(
                format!("{at}.recover_at_s"),
                "a region recovers only after `fail_at_s`".into(),
            ),
            (Some(a), Some(b)) if b.is_nan() || b <= a => bad(
                format!("{at}.recover_at_s"),
                format!("{b} is not after fail_at_s = {a}"),
            ),
            _ => {}
        }
    }
    if f.regions.len() == 1 {
        bad(
            "regions".into(),
            "a multi-region scenario needs at least two regions".into(),
        );
    }
    if (sum - 1.0).abs() > 1e-6
        && f.regions
            .iter()
            .all(|r| r.weight.is_finite() && r.weight > 0.0)
    {
        bad(
            "regions".into(),
            format!("the regions' weights sum to {sum}, not 1"),
        );
    }
    // Some region must be up whenever one fails.
    for r in &f.regions {
        if let Some(t) = r.fail_at_s {
            let up = f.regions.iter().any(|o| {
                o.fail_at_s
                    .is_none_or(|a| t < a || o.recover_at_s.is_some_and(|b| t >= b))
            });
            if !up {
                bad(
                    "regions".into(),
                    format!("at {t} s every region is down; the traffic has nowhere to go"),
                );
            }
        }
    }
    if let Some(rep) = &f.replication
        && !(rep.bytes_per_request.is_finite() && rep.bytes_per_request >= 0.0)
    {
        bad(
            "replication.bytes_per_request".into(),
            format!("{} is not a size >= 0", rep.bytes_per_request),
        );
    }
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    let mut out = Vec::new();
    let mut all = Vec::new();
    let mut region_warnings = Vec::new();
    for (i, r) in f.regions.iter().enumerate() {
        let aws = r.aws_region.clone().unwrap_or_else(|| r.name.clone());
        let mut t = loaded.merged.clone();
        t.remove("regions");
        t.remove("replication");
        let mut over = r.overrides.clone().unwrap_or_default();
        over.entry("region".to_string())
            .or_insert(toml::Value::String(aws.clone()));
        // A global daily Bedrock limit is shared: each region enforces its
        // share of it (unless the region sets its own).
        if let Some(limit) = f.llm.as_ref().and_then(|l| l.daily_limit_usd) {
            let llm = over
                .entry("llm".to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(t) = llm {
                t.entry("daily_limit_usd".to_string())
                    .or_insert(toml::Value::Float(limit * r.weight));
            }
        }
        load::merge(&mut t, &over);
        let origin = format!("{} regions[{i}] ({})", loaded.origin, r.name);
        let file: ScenarioFile =
            match serde_path_to_error::deserialize(toml::Value::Table(t.clone())) {
                Ok(f) => f,
                Err(e) => {
                    all.push(Diagnostic {
                        origin: origin.clone(),
                        line: None,
                        key: format!("regions[{i}].override.{}", e.path()),
                        message: e.inner().to_string(),
                        hint: None,
                    });
                    continue;
                }
            };
        let mut layers = loaded.layers.clone();
        layers.push(load::Layer {
            origin: origin.clone(),
            table: over,
            text: None,
        });
        let sub = Loaded {
            name: format!("{}/{}", loaded.name, r.name),
            origin,
            layers,
            merged: t,
            file,
        };
        let scenario = match validate(sub, book) {
            Ok(s) => {
                for w in &s.warnings {
                    let w = format!("regions[{i}] ({}): {w}", r.name);
                    if !region_warnings.contains(&w) {
                        region_warnings.push(w);
                    }
                }
                s
            }
            Err(Diagnostics(ds)) => {
                all.extend(ds);
                continue;
            }
        };
        let replication_usd_per_gb = match &f.replication {
            Some(rep) if rep.bytes_per_request > 0.0 => {
                match book.get(
                    "Data Transfer",
                    "inter-region",
                    &scenario.file.region,
                    "on_demand",
                ) {
                    Ok(p) => p.price_usd,
                    Err(e) => {
                        all.push(Diagnostic {
                            origin: loaded.origin.clone(),
                            line: None,
                            key: "replication".into(),
                            message: format!("region `{}`: {e}", r.name),
                            hint: None,
                        });
                        continue;
                    }
                }
            }
            _ => 0.0,
        };
        out.push(RegionPlan {
            name: r.name.clone(),
            aws_region: scenario.file.region.clone(),
            weight: r.weight,
            outages_s: r
                .fail_at_s
                .map(|a| (a, r.recover_at_s))
                .into_iter()
                .collect(),
            replication_usd_per_gb,
            route: r
                .route
                .iter()
                .map(|v| crate::trace::session_hash(v.trim().as_bytes()))
                .collect(),
            scenario,
        });
    }
    if !all.is_empty() {
        return Err(Diagnostics(all));
    }
    Ok((out, region_warnings))
}

/// Loads, merges and validates a scenario.
pub fn resolve(
    spec: &str,
    env: &[(String, String)],
    sets: &[String],
    book: &PriceBook,
) -> Result<Scenario, Diagnostics> {
    let loaded = load::load(spec, env, sets)?;
    validate(loaded, book)
}

/// Valid Fargate task sizes: vCPU, lowest and highest memory (GB), step (GB),
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

/// Semantic checks, all at once; resolves time zone and prices.
pub fn validate(mut loaded: Loaded, book: &PriceBook) -> Result<Scenario, Diagnostics> {
    let own_book;
    let book = match loaded.file.pricing.clone() {
        None => book,
        Some(path) => {
            let text =
                read_manifest(&loaded, "pricing", &path).map_err(|d| Diagnostics(vec![d]))?;
            let mine = PriceBook::from_csv(&text, &path)
                .map_err(|e| Diagnostics(vec![hpa_error(&loaded, "pricing", e.to_string())]))?;
            own_book = book.overlay(&mine);
            &own_book
        }
    };
    let hpa = match resolve_hpa(&mut loaded)
        .and_then(|h| resolve_scaled_object(&mut loaded).map(|()| h))
    {
        Ok(h) => h,
        Err(d) => return Err(Diagnostics(vec![d])),
    };
    let f = &loaded.file;
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut bad = |key: &str, message: String, hint: Option<String>| {
        let mut d = load::locate_key(&loaded.layers, key);
        d.message = message;
        if hint.is_some() {
            d.hint = hint;
        }
        problems.push(d);
    };
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let non_negative = |v: f64| v.is_finite() && v >= 0.0;

    let s = &f.service;
    if s.concurrency == 0 {
        bad("service.concurrency", "must be at least 1".into(), None);
    }
    match &s.service_time {
        ServiceTime::Exponential { mean_ms } | ServiceTime::Constant { mean_ms } => {
            if !positive(*mean_ms) {
                bad(
                    "service.service_time.mean_ms",
                    format!("{mean_ms} is not a time > 0 ms"),
                    None,
                );
            }
        }
        ServiceTime::Lognormal { mean_ms, cv } => {
            if !positive(*mean_ms) {
                bad(
                    "service.service_time.mean_ms",
                    format!("{mean_ms} is not a time > 0 ms"),
                    None,
                );
            }
            if !positive(*cv) {
                bad(
                    "service.service_time.cv",
                    format!("{cv} is not a coefficient of variation > 0"),
                    None,
                );
            }
        }
        ServiceTime::Trace => {}
    }
    if !non_negative(s.startup_s) {
        bad(
            "service.startup_s",
            format!("{} is not a duration >= 0 s", s.startup_s),
            None,
        );
    }
    if !positive(s.timeout_ms) {
        bad(
            "service.timeout_ms",
            format!("{} is not a duration > 0 ms", s.timeout_ms),
            None,
        );
    }
    for (k, v) in [
        ("service.memory_base_mb", s.memory_base_mb),
        ("service.memory_per_request_mb", s.memory_per_request_mb),
    ] {
        if !non_negative(v) {
            bad(k, format!("{v} is not a size >= 0 MB"), None);
        }
    }
    if !positive(s.memory_request_mb) {
        bad(
            "service.memory_request_mb",
            format!("{} is not a size > 0 MB", s.memory_request_mb),
            None,
        );
    }

    let sc = &f.scaling;
    let policies = [
        sc.target_tracking.is_some(),
        sc.hpa.is_some(),
        sc.queue.is_some(),
    ];
    if policies.iter().filter(|p| **p).count() > 1 {
        bad(
            "scaling",
            "more than one autoscaler: choose one of scaling.target_tracking, scaling.hpa, scaling.queue".into(),
            None,
        );
    }
    if sc.min > sc.max {
        bad(
            "scaling.min",
            format!("min ({}) is greater than max ({})", sc.min, sc.max),
            Some("min must be <= max".into()),
        );
    }
    if sc.max == 0 {
        bad("scaling.max", "must be at least 1".into(), None);
    }
    let mut schedules = Vec::new();
    for (i, sch) in sc.schedule.iter().enumerate() {
        match parse_cron(&sch.cron) {
            Ok(cron) => schedules.push(ScheduleSpec {
                name: sch.name.clone().unwrap_or_else(|| format!("schedule[{i}]")),
                cron,
                min: sch.min,
                max: sch.max,
                desired: sch.desired,
            }),
            Err(m) => bad(&format!("scaling.schedule[{i}].cron"), m, None),
        }
        if sch.min.is_none() && sch.max.is_none() && sch.desired.is_none() {
            bad(
                &format!("scaling.schedule[{i}]"),
                "a scheduled action needs at least one of min, max, desired".into(),
                None,
            );
        }
        if let (Some(lo), Some(hi)) = (sch.min, sch.max)
            && lo > hi
        {
            bad(
                &format!("scaling.schedule[{i}].min"),
                format!("min ({lo}) is greater than max ({hi})"),
                None,
            );
        }
        if let Some(d) = sch.desired
            && (sch.min.is_some_and(|m| d < m) || sch.max.is_some_and(|m| d > m))
        {
            bad(
                &format!("scaling.schedule[{i}].desired"),
                format!("desired ({d}) is outside min..max"),
                None,
            );
        }
    }
    if let Some(tt) = &sc.target_tracking {
        if !positive(tt.target) {
            bad(
                "scaling.target_tracking.target",
                format!("{} is not a target > 0", tt.target),
                None,
            );
        }
        if matches!(tt.metric, MetricSource::Cpu | MetricSource::Memory) && tt.target > 100.0 {
            bad(
                "scaling.target_tracking.target",
                format!("{} % is more than 100 %", tt.target),
                None,
            );
        }
        for (k, v) in [
            (
                "scaling.target_tracking.scale_out_cooldown_s",
                tt.scale_out_cooldown_s,
            ),
            (
                "scaling.target_tracking.scale_in_cooldown_s",
                tt.scale_in_cooldown_s,
            ),
        ] {
            if !non_negative(v) {
                bad(k, format!("{v} is not a duration >= 0 s"), None);
            }
        }
    }

    let tz = match jiff::tz::TimeZone::get(&f.timezone) {
        Ok(tz) => Some(tz),
        Err(_) => {
            bad(
                "timezone",
                format!(
                    "`{}` is not an IANA time zone (such as `America/New_York` or `UTC`)",
                    f.timezone
                ),
                None,
            );
            None
        }
    };

    let c = &f.capacity;
    let price_problem = |e: PriceError| match e {
        PriceError::Missing { ref hint, .. } => {
            let h = hint.as_ref().map(|h| format!("did you mean `{h}`?"));
            (e.to_string(), h)
        }
        other => (other.to_string(), None),
    };
    let mut compute = None;
    match c.platform {
        Platform::Fargate => {
            if c.instance_type.is_some() {
                bad(
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
                                bad("region", m, h);
                            }
                        }
                    }
                    Err(m) => bad("capacity.memory_gb", m, None),
                },
                (cpu, _) => bad(
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
                bad(
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
        Platform::Ec2 => match &c.instance_type {
            None => bad(
                "capacity.instance_type",
                "an EC2 replica needs `instance_type`".into(),
                None,
            ),
            Some(it) => {
                if !book.knows_sku("EC2", it) {
                    let hint = book
                        .nearest_sku("EC2", it)
                        .map(|h| format!("did you mean `{h}`?"));
                    bad(
                        "capacity.instance_type",
                        format!("unknown instance type `{it}` (not in the pricing catalogue)"),
                        hint,
                    );
                } else {
                    match ComputeRate::ec2(book, &f.region, it) {
                        Ok(r) => compute = Some(r),
                        Err(e) => {
                            let (m, h) = price_problem(e);
                            bad("region", m, h);
                        }
                    }
                }
            }
        },
    }
    if let Some(spot) = &c.spot {
        if let Some(d) = spot.discount
            && !(0.0..1.0).contains(&d)
        {
            bad(
                "capacity.spot.discount",
                format!("{d} is not a discount between 0 and 1"),
                None,
            );
        }
        if spot.on_demand_weight == 0 && spot.spot_weight == 0 {
            bad(
                "capacity.spot.spot_weight",
                "on_demand_weight and spot_weight cannot both be 0".into(),
                None,
            );
        }
        if let Some(p) = spot.max_price
            && !positive(p)
        {
            bad(
                "capacity.spot.max_price",
                format!("{p} is not a price > 0"),
                None,
            );
        }
        if let Some(r) = spot.interruptions_per_hour
            && !non_negative(r)
        {
            bad(
                "capacity.spot.interruptions_per_hour",
                format!("{r} is not a rate >= 0"),
                None,
            );
        }
    }
    if let Some(llm) = &f.llm {
        if !(0.0..=1.0).contains(&llm.fraction) {
            bad(
                "llm.fraction",
                format!("{} is not a share between 0 and 1", llm.fraction),
                None,
            );
        }
        for (k, v) in [
            ("llm.session_limit_usd", llm.session_limit_usd),
            ("llm.daily_limit_usd", llm.daily_limit_usd),
        ] {
            if let Some(v) = v
                && !non_negative(v)
            {
                bad(k, format!("{v} is not an amount >= 0 USD"), None);
            }
        }
    }
    if let Some(b) = &f.budget {
        if !non_negative(b.monthly_usd) {
            bad(
                "budget.monthly_usd",
                format!("{} is not an amount >= 0 USD", b.monthly_usd),
                None,
            );
        }
        if let Some(h) = b.evaluation_interval_h
            && !positive(h)
        {
            bad(
                "budget.evaluation_interval_h",
                format!("{h} is not a duration > 0 h"),
                None,
            );
        }
        for (i, sb) in b.services.iter().enumerate() {
            if crate::billing::budget::Scope::parse(&sb.service).is_none() {
                bad(
                    &format!("budget.services[{i}].service"),
                    format!(
                        "`{}` is not a cost scope (expected compute, EC2, database, RDS, cache, network, load_balancer, storage, llm or total)",
                        sb.service
                    ),
                    None,
                );
            }
            if !non_negative(sb.monthly_usd) {
                bad(
                    &format!("budget.services[{i}].monthly_usd"),
                    format!("{} is not an amount >= 0 USD", sb.monthly_usd),
                    None,
                );
            }
        }
        for (i, a) in b.alerts.iter().enumerate() {
            if !(a.threshold_pct > 0.0 && a.threshold_pct <= 1000.0) {
                bad(
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
    if !positive(f.slo.p95_ms) {
        bad(
            "slo.p95_ms",
            format!("{} is not a latency > 0 ms", f.slo.p95_ms),
            None,
        );
    }
    if !(f.slo.availability > 0.0 && f.slo.availability <= 1.0) {
        bad(
            "slo.availability",
            format!("{} is not a ratio in (0, 1]", f.slo.availability),
            None,
        );
    }

    let mut warnings = Vec::new();
    let mut llm_plan = None;
    if let Some(l) = &f.llm {
        match resolve_llm(
            l,
            l.region.as_deref().unwrap_or(&f.region),
            book,
            &mut warnings,
        ) {
            Ok(p) => llm_plan = Some(p),
            Err((key, m, h)) => bad(&key, m, h),
        }
    }
    let mut spot_plan = None;
    if let (Some(sp), Some(rate)) = (&f.capacity.spot, &compute) {
        match crate::billing::spot::plan(sp, &f.capacity, &f.region, rate.usd_per_hour, book) {
            Ok(p) => spot_plan = Some(p),
            Err(e) => {
                let (m, _) = price_problem(e);
                bad(
                    "capacity.spot",
                    m,
                    Some(
                        "set capacity.spot.discount to price spot from the on-demand price".into(),
                    ),
                );
            }
        }
    }
    let mut fixed_plan = FixedPlan::default();
    if let Some(fx) = &f.fixed {
        if !non_negative(fx.nat_bytes_per_request) {
            bad(
                "fixed.nat_bytes_per_request",
                format!("{} is not a size >= 0", fx.nat_bytes_per_request),
                None,
            );
        }
        if let Some(r) = &fx.rds
            && !non_negative(r.storage_gb)
        {
            bad(
                "fixed.rds.storage_gb",
                format!("{} is not a size >= 0 GB", r.storage_gb),
                None,
            );
        }
        match crate::billing::fixed::plan(fx, &f.region, book) {
            Ok(p) => fixed_plan = p,
            Err(e) => {
                let (m, h) = price_problem(e);
                bad("fixed", m, h);
            }
        }
    }
    let mut keda = None;
    if let Some(q) = &sc.queue {
        let queue_length = q.queue_length.unwrap_or(0.0);
        match q.queue_length {
            None => bad(
                "scaling.queue.queue_length",
                "required (or give a KEDA ScaledObject `manifest`)".into(),
                None,
            ),
            Some(l) if !positive(l) => bad(
                "scaling.queue.queue_length",
                format!("{l} is not a queue length > 0"),
                None,
            ),
            _ => {}
        }
        if !non_negative(q.activation_queue_length) {
            bad(
                "scaling.queue.activation_queue_length",
                format!("{} is not >= 0", q.activation_queue_length),
                None,
            );
        }
        if !(q.polling_interval_s >= 1.0 && q.polling_interval_s.fract() == 0.0) {
            bad(
                "scaling.queue.polling_interval_s",
                format!(
                    "{} is not a whole number of seconds >= 1",
                    q.polling_interval_s
                ),
                None,
            );
        }
        if !non_negative(q.cooldown_period_s) {
            bad(
                "scaling.queue.cooldown_period_s",
                format!("{} is not a duration >= 0 s", q.cooldown_period_s),
                None,
            );
        }
        let mut doc = serde_json::json!({
            "minReplicas": sc.min.max(1),
            "maxReplicas": sc.max.max(1),
            "metrics": [ { "type": "External", "external": { "metric": { "name": "keda-trigger" },
                "target": { "type": "AverageValue", "averageValue": format!("{queue_length}") } } } ],
        });
        if let Some(b) = &q.behavior {
            doc["behavior"] = serde_json::to_value(b).unwrap_or(serde_json::Value::Null);
        }
        match crate::model::autoscaler::hpa::manifest::hpa_from_doc(
            format!("keda-hpa-{}", loaded.name),
            doc,
        ) {
            Ok(spec) => {
                let mut sources = BTreeMap::new();
                sources.insert("keda-trigger".to_string(), q.metric);
                keda = Some(KedaSpec {
                    hpa: HpaPolicySpec {
                        spec,
                        controller: q.controller.clone(),
                        sources,
                        cpu_request_milli: 1000,
                        memory_request_bytes: (s.memory_request_mb * 1_048_576.0).round() as i64,
                        metrics_window_s: q.metrics_window_s.max(1),
                    },
                    source: q.metric,
                    min_replica_count: sc.min,
                    activation: q.activation_queue_length,
                    polling_us: (q.polling_interval_s.max(1.0) * 1e6) as u64,
                    cooldown_us: (q.cooldown_period_s.max(0.0) * 1e6) as u64,
                });
            }
            Err(e) => bad("scaling.queue.behavior", e.replacen("spec.", "", 1), None),
        }
    }
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    let budgets = f
        .budget
        .as_ref()
        .map(|b| crate::billing::budget::specs(b).expect("validated"))
        .unwrap_or_default();
    let budget_interval_h = f
        .budget
        .as_ref()
        .and_then(|b| b.evaluation_interval_h)
        .unwrap_or(8.0);
    // Every section of the schema is simulated now; the list stays for
    // sections later versions add before they are simulated.
    let not_simulated = Vec::new();
    let regions = if f.regions.is_empty() {
        Vec::new()
    } else {
        let (regions, more) = resolve_regions(&loaded, book)?;
        warnings.extend(more);
        regions
    };
    Ok(Scenario {
        name: loaded.name,
        origin: loaded.origin,
        file: loaded.file,
        tz: tz.expect("checked above"),
        compute: compute.expect("checked above"),
        schedules,
        hpa,
        keda,
        fixed: fixed_plan,
        spot: spot_plan,
        llm: llm_plan,
        warnings,
        budgets,
        budget_interval_h,
        not_simulated,
        regions,
    })
}

/// The Bedrock models priced in `region` (ids without a cross-region prefix).
pub fn bedrock_models(book: &PriceBook, region: &str) -> Vec<crate::model::llm::ModelPrice> {
    use crate::model::llm::{ModelPrice, tier_of};
    let mut out: Vec<ModelPrice> = Vec::new();
    for r in book
        .rows()
        .iter()
        .filter(|r| r.service == "Bedrock" && r.region == region)
    {
        let Some((id, kind)) = r.sku.rsplit_once('/') else {
            continue;
        };
        let id = ["eu.", "us.", "apac."]
            .iter()
            .fold(id, |acc, p| acc.strip_prefix(p).unwrap_or(acc));
        let Some(tier) = tier_of(id) else { continue };
        let i = match out.iter().position(|m| m.id == id) {
            Some(i) => i,
            None => {
                out.push(ModelPrice {
                    id: id.to_string(),
                    tier,
                    input_per_1k: f64::NAN,
                    output_per_1k: 0.0,
                });
                out.len() - 1
            }
        };
        match kind {
            "input" => out[i].input_per_1k = r.price_usd,
            "output" => out[i].output_per_1k = r.price_usd,
            _ => {}
        }
    }
    out.retain(|m| m.input_per_1k.is_finite());
    out
}

type LlmProblem = (String, String, Option<String>);

fn resolve_llm(
    l: &Llm,
    region: &str,
    book: &PriceBook,
    warnings: &mut Vec<String>,
) -> Result<crate::model::llm::LlmPlan, LlmProblem> {
    use crate::model::llm::{LlmPlan, OnLimit, Strategy, Tokens};
    let all = bedrock_models(book, region);
    if all.is_empty() {
        return Err((
            if l.region.is_some() {
                "llm.region"
            } else {
                "region"
            }
            .into(),
            format!(
                "no Bedrock model prices for {region} in the pricing catalogue (llm.region sets the Bedrock endpoint's region)"
            ),
            None,
        ));
    }
    let matches = |name: &str, id: &str| {
        let n = name.to_ascii_lowercase();
        id.eq_ignore_ascii_case(&n) || id.to_ascii_lowercase().contains(&n)
    };
    let ids: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
    let mut enabled = all.clone();
    for d in &l.disabled {
        if !all.iter().any(|m| matches(d, &m.id)) {
            warnings.push(format!(
                "llm.disabled: `{d}` is not a Bedrock model in the catalogue; nothing to disable"
            ));
        }
        enabled.retain(|m| !matches(d, &m.id));
    }
    if enabled.is_empty() {
        return Err((
            "llm.disabled".into(),
            "every model is disabled".into(),
            None,
        ));
    }
    let model = match &l.model {
        None => None,
        Some(name) => match all
            .iter()
            .find(|m| m.id == *name)
            .or_else(|| all.iter().find(|m| matches(name, &m.id)))
        {
            Some(m) => Some(m.clone()),
            None => {
                let hint = load::nearest(name, ids.iter().copied())
                    .map(|n| format!("did you mean `{n}`?"));
                return Err((
                    "llm.model".into(),
                    format!("unknown model `{name}` (not in the Bedrock catalogue for {region})"),
                    hint,
                ));
            }
        },
    };
    const STRATEGIES: &[&str] = &[
        "fixed",
        "cheapest_always",
        "cost_optimized",
        "performance_optimized",
        "performance_only",
    ];
    let strategy_name = l.strategy.as_deref().unwrap_or(if model.is_some() {
        "fixed"
    } else {
        "cheapest_always"
    });
    let strategy = match strategy_name {
        "fixed" => {
            let Some(m) = &model else {
                return Err((
                    "llm.model".into(),
                    "strategy `fixed` needs a `model`".into(),
                    None,
                ));
            };
            match enabled.iter().position(|e| e.id == m.id) {
                Some(i) => Strategy::Fixed(i),
                None => return Err(("llm.model".into(), format!("`{}` is disabled", m.id), None)),
            }
        }
        "cheapest_always" => Strategy::CheapestAlways,
        "cost_optimized" => Strategy::CostOptimized(model.as_ref().map_or(1, |m| m.tier)),
        "performance_optimized" | "performance_only" => Strategy::PerformanceOptimized,
        other => {
            let hint = load::nearest(other, STRATEGIES.iter().copied())
                .map(|n| format!("did you mean `{n}`?"));
            return Err((
                "llm.strategy".into(),
                format!(
                    "unknown strategy `{other}` (expected one of {})",
                    STRATEGIES.join(", ")
                ),
                hint,
            ));
        }
    };
    let on_limit = match l.on_limit.as_deref().unwrap_or("reject") {
        "reject" => OnLimit::Reject,
        "downgrade" => OnLimit::Downgrade,
        "alert_only" => OnLimit::AlertOnly,
        other => {
            return Err((
                "llm.on_limit".into(),
                format!("`{other}` is not reject, downgrade or alert_only"),
                None,
            ));
        }
    };
    let tokens = |d: &Option<TokenDist>, key: &str| -> Result<Option<Tokens>, LlmProblem> {
        Ok(match d {
            None => None,
            Some(TokenDist::Constant { mean }) if *mean >= 0.0 => Some(Tokens::Constant(*mean)),
            Some(TokenDist::Exponential { mean }) if *mean > 0.0 => {
                Some(Tokens::Exponential(*mean))
            }
            Some(TokenDist::Lognormal { mean, cv }) if *mean > 0.0 && *cv > 0.0 => {
                Some(Tokens::LogNormal(
                    rand_distr::LogNormal::from_mean_cv(*mean, *cv).expect("checked"),
                ))
            }
            Some(_) => {
                return Err((
                    key.into(),
                    "token counts need a mean > 0 (and cv > 0)".into(),
                    None,
                ));
            }
        })
    };
    if let Some(r) = l.requests_per_session
        && !(r.is_finite() && r >= 1.0)
    {
        return Err((
            "llm.requests_per_session".into(),
            format!("{r} is not a mean >= 1"),
            None,
        ));
    }
    Ok(LlmPlan {
        models: enabled,
        strategy,
        fraction: l.fraction,
        tokens_in: tokens(&l.tokens_in, "llm.tokens_in")?,
        tokens_out: tokens(&l.tokens_out, "llm.tokens_out")?,
        session_limit_usd: l.session_limit_usd,
        daily_limit_usd: l.daily_limit_usd,
        on_limit,
        requests_per_session: l.requests_per_session.unwrap_or(10.0),
        day_starts_us: Vec::new(),
    })
}

/// The text of a manifest named at `key`: relative to the scenario file that
/// sets the key; built-in scenarios' manifests are compiled in.
fn read_manifest(loaded: &Loaded, key: &str, path: &str) -> Result<String, Diagnostic> {
    let origin = load::locate_key(&loaded.layers, key).origin;
    if origin.starts_with("built-in:") {
        return builtin::manifest(path)
            .map(str::to_string)
            .ok_or_else(|| hpa_error(loaded, key, format!("no built-in manifest `{path}`")));
    }
    let base = std::path::Path::new(&origin)
        .parent()
        .filter(|_| origin.ends_with(".toml"));
    let full = match base {
        Some(b) if std::path::Path::new(path).is_relative() => b.join(path),
        _ => std::path::PathBuf::from(path),
    };
    std::fs::read_to_string(&full)
        .map_err(|e| hpa_error(loaded, key, format!("cannot read {}: {e}", full.display())))
}

/// Resolves `scaling.queue.manifest` (a KEDA ScaledObject) into the queue
/// fields and, unless a layer sets them, `scaling.min`/`scaling.max`.
fn resolve_scaled_object(loaded: &mut Loaded) -> Result<(), Diagnostic> {
    use crate::model::autoscaler::keda::parse_scaled_objects;
    let Some(q) = loaded.file.scaling.queue.clone() else {
        return Ok(());
    };
    let Some(path) = &q.manifest else {
        return Ok(());
    };
    const KEY: &str = "scaling.queue.manifest";
    if q.queue_length.is_some() {
        return Err(hpa_error(
            loaded,
            "scaling.queue.queue_length",
            "give either `manifest` or `queue_length`, not both".into(),
        ));
    }
    let text = read_manifest(loaded, KEY, path)?;
    let objs =
        parse_scaled_objects(&text).map_err(|e| hpa_error(loaded, KEY, format!("{path}: {e}")))?;
    let so = match &q.name {
        Some(n) => objs.into_iter().find(|o| &o.name == n).ok_or_else(|| {
            hpa_error(
                loaded,
                "scaling.queue.name",
                format!("{path} has no ScaledObject named `{n}`"),
            )
        })?,
        None if objs.len() == 1 => objs.into_iter().next().expect("one"),
        None => {
            return Err(hpa_error(
                loaded,
                KEY,
                format!(
                    "{path} holds {} ScaledObjects; choose one with scaling.queue.name",
                    objs.len()
                ),
            ));
        }
    };
    let explicitly = |k: &str| {
        loaded
            .merged
            .get("scaling")
            .and_then(|s| s.as_table())
            .is_some_and(|t| t.contains_key(k))
    };
    let (set_min, set_max) = (explicitly("min"), explicitly("max"));
    let behavior = match &so.behavior {
        None => None,
        Some(b) => Some(
            toml::Value::try_from(b)
                .map_err(|e| hpa_error(loaded, KEY, format!("{path}: behavior: {e}")))?,
        ),
    };
    let sc = &mut loaded.file.scaling;
    if !set_min {
        sc.min = so.min_replica_count;
    }
    if !set_max {
        sc.max = so.max_replica_count;
    }
    let qm = sc.queue.as_mut().expect("checked");
    qm.queue_length = Some(so.target);
    qm.activation_queue_length = so.activation;
    qm.polling_interval_s = so.polling_interval_s;
    qm.cooldown_period_s = so.cooldown_period_s;
    if behavior.is_some() {
        qm.behavior = behavior;
    }
    Ok(())
}

fn hpa_error(loaded: &Loaded, key: &str, message: String) -> Diagnostic {
    let mut d = load::locate_key(&loaded.layers, key);
    d.message = message;
    d
}

/// Resolves `[scaling.hpa]`: reads the manifest (relative to the file that
/// names it; built-in scenarios' manifests are compiled in) or the inline
/// spec, and checks that every custom metric has a source. With a manifest,
/// its minReplicas/maxReplicas become `scaling.min`/`scaling.max` unless a
/// layer sets those explicitly.
fn resolve_hpa(loaded: &mut Loaded) -> Result<Option<HpaPolicySpec>, Diagnostic> {
    use crate::model::autoscaler::hpa::manifest::{hpa_from_doc, parse_hpas};
    let Some(cfg) = loaded.file.scaling.hpa.clone() else {
        return Ok(None);
    };
    let set_explicitly = |key: &str| {
        loaded
            .merged
            .get("scaling")
            .and_then(|s| s.as_table())
            .is_some_and(|t| t.contains_key(key))
    };
    let spec = match (&cfg.manifest, &cfg.metrics) {
        (Some(_), Some(_)) => {
            return Err(hpa_error(
                loaded,
                "scaling.hpa.metrics",
                "give either `manifest` or inline `metrics`, not both".into(),
            ));
        }
        (Some(path), None) => {
            let text = read_manifest(loaded, "scaling.hpa.manifest", path)?;
            let hpas = parse_hpas(&text)
                .map_err(|e| hpa_error(loaded, "scaling.hpa.manifest", format!("{path}: {e}")))?;
            let chosen = match &cfg.name {
                Some(n) => hpas.into_iter().find(|h| &h.name == n).ok_or_else(|| {
                    hpa_error(
                        loaded,
                        "scaling.hpa.name",
                        format!("{path} has no HorizontalPodAutoscaler named `{n}`"),
                    )
                })?,
                None if hpas.len() == 1 => hpas.into_iter().next().expect("one"),
                None => {
                    return Err(hpa_error(
                        loaded,
                        "scaling.hpa.manifest",
                        format!(
                            "{path} holds {} HPAs; choose one with scaling.hpa.name",
                            hpas.len()
                        ),
                    ));
                }
            };
            if !set_explicitly("min") {
                loaded.file.scaling.min = chosen.min_replicas.max(0) as u32;
            }
            if !set_explicitly("max") {
                loaded.file.scaling.max = chosen.max_replicas.max(0) as u32;
            }
            chosen
        }
        (None, metrics) => {
            let to_json =
                |v: &toml::Value| serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
            let mut doc = serde_json::json!({
                "minReplicas": loaded.file.scaling.min,
                "maxReplicas": loaded.file.scaling.max,
            });
            if let Some(ms) = metrics {
                doc["metrics"] = serde_json::Value::Array(ms.iter().map(to_json).collect());
            }
            if let Some(b) = &cfg.behavior {
                doc["behavior"] = to_json(b);
            }
            hpa_from_doc(loaded.name.clone(), doc).map_err(|e| {
                hpa_error(
                    loaded,
                    "scaling.hpa",
                    format!("inline HPA: {}", e.replacen("spec.", "", 1)),
                )
            })?
        }
    };
    for m in &spec.metrics {
        if let MetricSpec::Pods { metric, .. }
        | MetricSpec::Object { metric, .. }
        | MetricSpec::External { metric, .. } = m
            && !cfg.metric_sources.contains_key(metric)
        {
            return Err(hpa_error(
                loaded,
                "scaling.hpa.metric_sources",
                format!(
                    "the HPA's metric `{metric}` has no source: add scaling.hpa.metric_sources.{metric} = one of \"cpu\", \"memory\", \"queue_depth\", \"in_flight\", \"rps\""
                ),
            ));
        }
    }
    let c = &loaded.file.capacity;
    let cpu_request_milli = cfg
        .cpu_request_milli
        .unwrap_or_else(|| match (c.platform, c.cpu) {
            (Platform::Fargate, Some(cpu)) => (cpu * 1000.0).round() as i64,
            _ => 1000,
        });
    Ok(Some(HpaPolicySpec {
        spec,
        controller: cfg.controller.clone(),
        sources: cfg.metric_sources.clone(),
        cpu_request_milli,
        memory_request_bytes: (loaded.file.service.memory_request_mb * 1_048_576.0).round() as i64,
        metrics_window_s: cfg.metrics_window_s.max(1),
    }))
}

/// Every effective setting of a scenario (defaults included) as `key.path -> value`.
pub fn flatten(file: &ScenarioFile) -> BTreeMap<String, String> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            toml::Value::Array(a) if a.iter().any(|x| x.is_table()) => {
                for (i, v) in a.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), v, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(v) = toml::Value::try_from(file) {
        walk("", &v, &mut out);
    }
    out.remove("extends");
    out
}

/// Key-by-key differences: `(key, value in a, value in b)`, `None` where unset.
pub fn diff(a: &ScenarioFile, b: &ScenarioFile) -> Vec<(String, Option<String>, Option<String>)> {
    let fa = flatten(a);
    let fb = flatten(b);
    let mut keys: Vec<&String> = fa.keys().chain(fb.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (va, vb) = (fa.get(k).cloned(), fb.get(k).cloned());
            (va != vb).then(|| (k.clone(), va, vb))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_sizes_follow_the_ecs_table() {
        assert!(fargate_memory_ok(0.25, 0.5).is_ok());
        assert!(fargate_memory_ok(0.5, 0.5).is_err());
        assert!(fargate_memory_ok(1.0, 3.0).is_ok());
        assert!(fargate_memory_ok(8.0, 18.0).is_err());
        assert!(fargate_memory_ok(8.0, 20.0).is_ok());
        assert!(fargate_memory_ok(3.0, 6.0).is_err());
    }

    /// Every file in scenarios/ is compiled in, so `meshsim run NAME` works
    /// from any directory.
    #[test]
    fn every_scenario_file_is_built_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.unwrap().path();
                let stem = p.file_stem()?.to_string_lossy().into_owned();
                (p.extension()? == "toml").then_some(stem)
            })
            .collect();
        files.sort();
        let mut names: Vec<String> = builtin::names().iter().map(|s| s.to_string()).collect();
        names.sort();
        assert_eq!(files, names);
    }

    #[test]
    fn builtins_validate() {
        for name in builtin::names() {
            resolve(name, &[], &[], &PriceBook::builtin())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
