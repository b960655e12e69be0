//! A scenario in words: what was simulated, as (label, text) pairs the
//! reports lay out (`report::describe` adds the trace).

use super::schema::Platform;
use super::{Scenario, ScenarioFile};
use crate::model::autoscaler::MetricSource;
use crate::model::service::ServiceTime;
use crate::units::us_to_secs;

fn metric(m: &MetricSource) -> &'static str {
    match m {
        MetricSource::Cpu => "CPU utilisation",
        MetricSource::Memory => "memory utilisation",
        MetricSource::QueueDepth => "queue depth",
        MetricSource::InFlight => "requests in flight",
        MetricSource::Rps => "requests per second",
    }
}

pub(crate) fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

type Words = Vec<(String, String)>;

fn add(s: &mut Words, k: &str, v: String) {
    s.push((k.to_string(), v));
}

/// The scenario's settings in words, from its effective settings `f` and
/// what validation resolved (prices, autoscalers, regions).
pub(super) fn in_words(sc: &Scenario, f: &ScenarioFile) -> Words {
    let mut s = Words::new();
    compute_and_service(sc, f, &mut s);
    resources(sc, &mut s);
    scaling(sc, f, &mut s);
    schedules(f, &mut s);
    spot_and_fixed(sc, f, &mut s);
    llm_and_budget(f, &mut s);
    regions(sc, f, &mut s);
    add(
        &mut s,
        "SLO",
        format!(
            "p95 ≤ {} ms, availability ≥ {}",
            num(f.slo.p95_ms),
            num(f.slo.availability)
        ),
    );
    add(
        &mut s,
        "time zone",
        sc.tz.iana_name().unwrap_or(&f.timezone).to_string(),
    );
    s
}

/// The platform and its price; the service.
fn compute_and_service(sc: &Scenario, f: &ScenarioFile, s: &mut Words) {
    let platform = match f.capacity.platform {
        Platform::Fargate => "ECS on Fargate",
        Platform::Ec2 => "EC2",
        Platform::Local => "a local machine (no compute billed)",
        Platform::Kubernetes | Platform::EcsEc2 => "",
    };
    match &sc.cluster {
        Some(c) => add(s, "compute", cluster_words(c, &f.region)),
        None => add(
            s,
            "compute",
            format!(
                "{platform} in {}; one replica costs ${:.6}/h ({})",
                f.region, sc.compute.usd_per_hour, sc.compute.explanation
            ),
        ),
    }
    let service_time = match &f.service.service_time {
        ServiceTime::Exponential { mean_ms } => {
            format!("exponential, mean {} ms", num(*mean_ms))
        }
        ServiceTime::Lognormal { mean_ms, cv } => {
            format!("lognormal, mean {} ms, cv {}", num(*mean_ms), num(*cv))
        }
        ServiceTime::Constant { mean_ms } => format!("constant {} ms", num(*mean_ms)),
        ServiceTime::Trace => "from the trace's service_ms column".into(),
    };
    add(
        s,
        "service",
        format!(
            "{} concurrent requests per replica; service time {service_time}; start-up {} s; timeout {} ms; queue limit {}",
            f.service.concurrency,
            num(f.service.startup_s),
            num(f.service.timeout_ms),
            f.service.queue_limit
        ),
    );
}

/// The usage model and the VPA (runs with a usage model only).
fn resources(sc: &Scenario, s: &mut Words) {
    let Some(u) = &sc.usage else { return };
    let p = &u.pod;
    let limit =
        |l: Option<f64>, unit: &str| l.map_or("none".to_string(), |l| format!("{}{unit}", num(l)));
    add(
        s,
        "resources",
        format!(
            "a request in service uses {} cores, an idle pod {}; memory {} MB + {} MB per request in service; a pod requests {} cores and {} MB, limits CPU {} (throttled above: requests share the limit), memory {} (OOM-killed above)",
            num(u.cpu_per_request),
            num(u.cpu_idle),
            num(u.memory_base_mb),
            num(u.memory_per_request_mb),
            num(p.cpu_request),
            num(p.memory_request_mb),
            limit(p.cpu_limit, " cores"),
            limit(p.memory_limit_mb, " MB"),
        ),
    );
    if let Some(v) = &sc.vpa {
        let controlled: Vec<&str> = [v.cpu.then_some("cpu"), v.memory.then_some("memory")]
            .into_iter()
            .flatten()
            .collect();
        let amt = |a: crate::model::vpa::Amounts| {
            let c = if a.cpu_milli.is_finite() && a.cpu_milli > 0.0 {
                format!("{}m", num(a.cpu_milli))
            } else {
                "–".into()
            };
            let m = if a.memory_bytes.is_finite() && a.memory_bytes > 0.0 {
                format!("{}Mi", num(a.memory_bytes / crate::model::vpa::MIB))
            } else {
                "–".into()
            };
            format!("{c} / {m}")
        };
        add(
            s,
            "VPA",
            format!(
                "`{}`: updateMode {}, controls {} ({}), minAllowed {}, maxAllowed {}",
                v.name,
                v.update_mode.name(),
                controlled.join(" and "),
                if v.requests_only {
                    "RequestsOnly"
                } else {
                    "RequestsAndLimits"
                },
                amt(v.min_allowed),
                amt(v.max_allowed),
            ),
        );
    }
}

/// Bounds and the autoscaler.
fn scaling(sc: &Scenario, f: &ScenarioFile, s: &mut Words) {
    let mut scaling = format!("{}–{} replicas", f.scaling.min, f.scaling.max);
    if let Some(h) = &sc.hpa {
        scaling.push_str(&format!(
            "; Kubernetes HPA `{}` ({}–{} replicas, {} metric{}, {})",
            h.spec.name,
            h.spec.min_replicas,
            h.spec.max_replicas,
            h.spec.metrics.len(),
            if h.spec.metrics.len() == 1 { "" } else { "s" },
            if h.spec.behavior.is_some() {
                "with behavior"
            } else {
                "default behavior"
            }
        ));
    }
    if let Some(k) = &sc.keda {
        use crate::model::autoscaler::keda::TriggerKind;
        let on: Vec<String> = k
            .triggers
            .iter()
            .map(|t| match &t.kind {
                TriggerKind::Measured(src) if k.triggers.len() == 1 => metric(src).to_string(),
                TriggerKind::Measured(src) => format!(
                    "{}: {} (activation {})",
                    t.label,
                    metric(src),
                    num(t.activation)
                ),
                TriggerKind::Cron(c) => format!(
                    "{}: {} replicas from `{}` to `{}` {}",
                    t.label, c.desired, c.start, c.end, c.timezone
                ),
                TriggerKind::Resource => format!("{} utilisation", t.label),
            })
            .collect();
        let single_activation = match k.triggers.as_slice() {
            [t] if matches!(t.kind, TriggerKind::Measured(_)) => {
                format!(", activation {}", num(t.activation))
            }
            _ => String::new(),
        };
        scaling.push_str(&format!(
            "; KEDA on {} (min {}{}{single_activation}, polling {} s, cooldown {} s)",
            on.join(", "),
            k.min_replica_count,
            k.idle_replica_count
                .map_or(String::new(), |i| format!(", idle {i}")),
            num(us_to_secs(k.polling_us)),
            num(us_to_secs(k.cooldown_us))
        ));
    }
    if let Some(t) = &f.scaling.target_tracking {
        scaling.push_str(&format!(
            "; AWS target tracking on {} at {} (scale-out cooldown {} s, scale-in {} s{})",
            metric(&t.metric),
            num(t.target),
            num(t.scale_out_cooldown_s),
            num(t.scale_in_cooldown_s),
            if t.disable_scale_in {
                ", scale-in disabled"
            } else {
                ""
            }
        ));
    }
    if sc.hpa.is_none() && sc.keda.is_none() && f.scaling.target_tracking.is_none() {
        scaling.push_str("; no autoscaler");
    }
    add(s, "scaling", scaling);
}

/// Scheduled actions.
fn schedules(f: &ScenarioFile, s: &mut Words) {
    if !f.scaling.schedule.is_empty() {
        let list: Vec<String> = f
            .scaling
            .schedule
            .iter()
            .map(|a| {
                let mut bits = Vec::new();
                if let Some(v) = a.min {
                    bits.push(format!("min {v}"));
                }
                if let Some(v) = a.max {
                    bits.push(format!("max {v}"));
                }
                if let Some(v) = a.desired {
                    bits.push(format!("desired {v}"));
                }
                format!(
                    "{} `{}`: {}",
                    a.name.as_deref().unwrap_or("action"),
                    a.cron,
                    bits.join(", ")
                )
            })
            .collect();
        add(s, "scheduled actions", list.join("; "));
    }
}

/// Spot capacity and the always-on resources.
fn spot_and_fixed(sc: &Scenario, f: &ScenarioFile, s: &mut Words) {
    if let Some((_, how)) = &sc.spot {
        add(s, "spot", how.clone());
    }
    if let Some(fx) = &f.fixed {
        let mut parts = Vec::new();
        if let Some(r) = &fx.rds {
            parts.push(format!(
                "RDS {}{}, {} GB{}",
                r.class,
                if r.multi_az { " Multi-AZ" } else { "" },
                num(r.storage_gb),
                if r.read_replicas > 0 {
                    format!(", {} read replicas", r.read_replicas)
                } else {
                    String::new()
                }
            ));
        }
        if let Some(c) = &fx.elasticache {
            parts.push(format!(
                "ElastiCache {} × {} ({})",
                c.nodes, c.node_type, c.engine
            ));
        }
        if let Some(n) = fx.nat_gateways.filter(|n| *n > 0) {
            parts.push(format!("{n} NAT gateway{}", if n == 1 { "" } else { "s" }));
        }
        if let Some(a) = fx.alb.as_ref().filter(|a| a.count > 0) {
            parts.push(format!("{} ALB", a.count));
        }
        if !parts.is_empty() {
            add(s, "always-on", parts.join("; "));
        }
    }
}

/// Bedrock calls and budgets.
fn llm_and_budget(f: &ScenarioFile, s: &mut Words) {
    if let Some(l) = &f.llm {
        let mut parts = vec![match (&l.strategy, &l.model) {
            (_, Some(m)) => format!("Bedrock model {m}"),
            (Some(st), None) => format!("Bedrock, strategy {st}"),
            (None, None) => "Bedrock".to_string(),
        }];
        if l.fraction > 0.0 {
            parts.push(format!("{} % of requests call it", num(l.fraction * 100.0)));
        }
        if let Some(v) = l.session_limit_usd {
            parts.push(format!("session limit ${}", num(v)));
        }
        if let Some(v) = l.daily_limit_usd {
            parts.push(format!("daily limit ${}", num(v)));
        }
        if let Some(v) = &l.on_limit {
            parts.push(format!("on limit: {v}"));
        }
        if !l.disabled.is_empty() {
            parts.push(format!("disabled: {}", l.disabled.join(", ")));
        }
        add(s, "LLM", parts.join("; "));
    }
    if let Some(b) = &f.budget {
        let alerts: Vec<String> = b
            .alerts
            .iter()
            .map(|a| format!("{} % {:?}", num(a.threshold_pct), a.kind).to_lowercase())
            .collect();
        let mut text = format!("${}/month", num(b.monthly_usd));
        if !alerts.is_empty() {
            text.push_str(&format!(", alerts at {}", alerts.join(", ")));
        }
        for sb in &b.services {
            text.push_str(&format!("; {} ${}/month", sb.service, num(sb.monthly_usd)));
        }
        add(s, "budget", text);
    }
}

/// Regions and replication.
fn regions(sc: &Scenario, f: &ScenarioFile, s: &mut Words) {
    if !sc.regions.is_empty() {
        let list: Vec<String> = sc
            .regions
            .iter()
            .map(|r| {
                let mut t = format!("{} {:.0} %", r.name, r.weight * 100.0);
                if r.aws_region != r.name {
                    t.push_str(&format!(" (priced in {})", r.aws_region));
                }
                for (a, b) in &r.outages_s {
                    match b {
                        Some(b) => t.push_str(&format!(
                            ", down {:.1} h to {:.1} h into the trace",
                            a / 3600.0,
                            b / 3600.0
                        )),
                        None => t.push_str(&format!(", down from {:.1} h", a / 3600.0)),
                    }
                }
                t
            })
            .collect();
        let mut text = list.join("; ");
        if let Some(rep) = &f.replication {
            text.push_str(&format!(
                "; {} bytes per request replicated to the other regions",
                num(rep.bytes_per_request)
            ));
        }
        add(s, "regions", text);
    }
}

/// The node layer in words: what it is, its groups, its autoscaler, its prices.
fn cluster_words(c: &crate::model::cluster::ClusterPlan, region: &str) -> String {
    use crate::model::cluster::{CapacityType, ConsolidationPolicy, NodeAutoscaler};
    let what = if c.ecs {
        "ECS on EC2 container instances"
    } else {
        "EKS"
    };
    let unit = if c.ecs { "task" } else { "pod" };
    let groups: Vec<String> = c
        .groups
        .iter()
        .map(|g| {
            let types: Vec<&str> = g.types.iter().map(|&t| c.types[t].name.as_str()).collect();
            let purchase = match g.capacity_type {
                CapacityType::OnDemand => "on-demand".to_string(),
                CapacityType::Spot => "spot".to_string(),
                CapacityType::Mixed => format!(
                    "mixed: {} on-demand base, {} % on-demand above",
                    g.on_demand_base, g.on_demand_percentage_above_base
                ),
            };
            format!(
                "{} ({}, {}–{} nodes, {} at start, {purchase}{})",
                g.name,
                types.join("/"),
                g.min,
                g.max,
                g.desired,
                if g.hosts_service {
                    ""
                } else {
                    "; not for this service"
                }
            )
        })
        .collect();
    let scaler = match &c.autoscaler {
        NodeAutoscaler::None => "no node autoscaler (fixed node counts)".to_string(),
        NodeAutoscaler::ClusterAutoscaler(ca) => format!(
            "the cluster autoscaler (expander {}, scan every {} s, scale-down below {} % requested after {} s unneeded and {} s after a scale-up{})",
            ca.expander.as_str(),
            ca.scan_interval_us / 1_000_000,
            num(ca.utilization_threshold * 100.0),
            num(ca.unneeded_time_us as f64 / 1e6),
            num(ca.delay_after_add_us as f64 / 1e6),
            if ca.balance_similar_node_groups {
                ", balancing similar node groups"
            } else {
                ""
            }
        ),
        NodeAutoscaler::Karpenter(k) => {
            let types: Vec<&str> = k.types.iter().map(|&t| c.types[t].name.as_str()).collect();
            format!(
                "Karpenter (one NodePool: {}; {}; consolidation {} after {} s, budget {} % of nodes)",
                types.join(", "),
                match (k.spot, k.on_demand) {
                    (true, true) => "spot, else on-demand",
                    (true, false) => "spot only",
                    _ => "on-demand only",
                },
                match k.consolidation {
                    ConsolidationPolicy::WhenEmpty => "WhenEmpty",
                    ConsolidationPolicy::WhenEmptyOrUnderutilized => "WhenEmptyOrUnderutilized",
                },
                num(k.consolidate_after_us as f64 / 1e6),
                k.budget_nodes_pct
            )
        }
        NodeAutoscaler::EcsManagedScaling(e) => format!(
            "ECS managed scaling (target capacity {} %, steps {}–{}, warm-up {} s)",
            e.target_capacity_pct,
            e.min_step,
            e.max_step,
            num(e.warmup_us as f64 / 1e6)
        ),
    };
    format!(
        "{what} in {region}: {unit}s request {} vCPU and {} GiB; {} {}; {}; nodes ready {} after launch; nodes billed per second at their instance price{}",
        num(c.pod.cpu_milli as f64 / 1000.0),
        num(c.pod.mem_mib as f64 / 1024.0),
        if c.groups.len() == 1 {
            "node group"
        } else {
            "node groups"
        },
        if groups.is_empty() {
            "none".to_string()
        } else {
            groups.join(", ")
        },
        scaler,
        c.provisioning.describe(),
        if c.control_plane_usd_per_hour > 0.0 {
            format!(
                ", plus the control plane at ${}/h",
                c.control_plane_usd_per_hour
            )
        } else {
            String::new()
        }
    )
}
