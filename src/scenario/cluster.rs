//! `[cluster]` (DESIGN §9): node groups, the node autoscaler and prices,
//! checked and resolved into a [`ClusterPlan`].

use super::load::nearest;
use super::{Cluster, Platform, Problems, ScenarioFile, non_negative, positive};
use crate::billing::PriceBook;
use crate::billing::spot::{advisor, bucket_monthly_probability, rate_per_hour};
use crate::model::cluster::{
    CaPlan, CapacityType, ClusterPlan, ConsolidationPolicy, EcsPlan, Expander, GroupPlan,
    KarpenterPlan, NodeAutoscaler, NodeType, OtherPods, Placement, Res, Reserved, allocatable,
    instance, nearest_instance,
};
use crate::units::{US_PER_SEC, secs_to_us};

const AUTOSCALERS: &[&str] = &[
    "cluster-autoscaler",
    "karpenter",
    "ecs-managed-scaling",
    "none",
];
const EXPANDERS: &[(&str, Expander)] = &[
    ("random", Expander::Random),
    ("most-pods", Expander::MostPods),
    ("least-waste", Expander::LeastWaste),
    ("price", Expander::Price),
    ("priority", Expander::Priority),
];

/// The pod's requests (`capacity.cpu`, `capacity.memory_gb`).
fn pod_request(f: &ScenarioFile, p: &mut Problems) -> Option<Res> {
    let c = &f.capacity;
    match (c.cpu, c.memory_gb) {
        (Some(cpu), Some(mem)) if positive(cpu) && positive(mem) => Some(Res::pod(cpu, mem)),
        (cpu, mem) => {
            let key = if cpu.is_none_or(|c| !positive(c)) {
                "capacity.cpu"
            } else {
                "capacity.memory_gb"
            };
            let _ = mem;
            p.bad(
                key,
                format!(
                    "a {} needs its requests: `cpu` (vCPU > 0) and `memory_gb` (GiB > 0)",
                    if c.platform == Platform::EcsEc2 {
                        "task on ECS"
                    } else {
                        "pod on Kubernetes"
                    }
                ),
                Some("e.g. cpu = 0.25 and memory_gb = 0.5 for requests of 250m and 512Mi".into()),
            );
            None
        }
    }
}

/// A node type's prices and spot interruption rate in `region`.
fn node_type(
    name: &str,
    region: &str,
    reserved: Reserved,
    book: &PriceBook,
    interruptions: Option<f64>,
) -> Result<NodeType, String> {
    let spec = instance(name)
        .ok_or_else(|| format!("unknown instance type `{name}` (not in the instance catalogue)"))?;
    let od = match book.get("EC2", name, region, "on_demand") {
        Ok(r) => r.price_usd,
        Err(_) if region == "us-east-1" => spec.on_demand_usd.ok_or_else(|| {
            format!("no on-demand price for `{name}` in the catalogues (us-east-1)")
        })?,
        Err(_) => {
            return Err(format!(
                "no on-demand price for `{name}` in {region} (the instance catalogue has us-east-1 only)"
            ));
        }
    };
    let spot = match book.get("EC2", name, region, "spot") {
        Ok(r) => Some(r.price_usd),
        Err(_) if region == "us-east-1" => spec.spot_usd,
        Err(_) => None,
    };
    let rate = interruptions.unwrap_or_else(|| {
        advisor()
            .into_iter()
            .find(|a| a.region == region && a.instance_type == name)
            .map_or(rate_per_hour(0.05), |a| {
                rate_per_hour(bucket_monthly_probability(a.interruption_index))
            })
    });
    Ok(NodeType {
        name: name.to_string(),
        allocatable: allocatable(spec, reserved),
        vcpu: spec.vcpu,
        memory_gib: spec.memory_gib,
        on_demand_usd: od,
        spot_usd: spot,
        interruptions_per_hour: rate,
    })
}

/// What resolving node types and checking the pod against them needs.
struct Cx<'a> {
    f: &'a ScenarioFile,
    reserved: Reserved,
    book: &'a PriceBook,
    pod: Res,
    daemonset: Res,
}

impl Cx<'_> {
    /// The largest of `idx`'s types when the pod (with the daemonset) fits
    /// none of them, for the "fits no instance type" problem.
    fn none_fits<'t>(&self, idx: &[usize], types: &'t [NodeType]) -> Option<&'t NodeType> {
        let need = self.pod.plus(self.daemonset);
        if idx.is_empty() || idx.iter().any(|&t| types[t].allocatable.holds(need)) {
            return None;
        }
        idx.iter()
            .map(|&t| &types[t])
            .max_by_key(|t| (t.allocatable.cpu_milli, t.allocatable.mem_mib))
    }

    /// The smallest change that makes the pod fit, next to `largest`.
    fn fix(&self, largest: &NodeType) -> String {
        smallest_fix(self.pod, self.daemonset, self.reserved, &largest.name)
    }
}

/// Index of `name` in `types`, adding it when new.
fn type_index(
    cx: &Cx,
    types: &mut Vec<NodeType>,
    name: &str,
    interruptions: Option<f64>,
    key: &str,
    p: &mut Problems,
) -> Option<usize> {
    let (f, reserved, book) = (cx.f, cx.reserved, cx.book);
    if let Some(i) = types
        .iter()
        .position(|t| t.name == name && interruptions.is_none_or(|r| r == t.interruptions_per_hour))
    {
        return Some(i);
    }
    if let Some(spec) = instance(name)
        && spec.arch != f.capacity.arch.as_str()
    {
        p.bad(
            key,
            format!(
                "`{name}` is an {} instance, but the service's images are {} (capacity.arch)",
                spec.arch,
                f.capacity.arch.as_str()
            ),
            Some("use an instance type of the service's architecture, or set capacity.arch".into()),
        );
        return None;
    }
    match node_type(name, &f.region, reserved, book, interruptions) {
        Ok(t) => {
            types.push(t);
            Some(types.len() - 1)
        }
        Err(m) => {
            let hint = instance(name)
                .is_none()
                .then(|| nearest_instance(name).map(|n| format!("did you mean `{n}`?")))
                .flatten();
            p.bad(key, m, hint);
            None
        }
    }
}

fn pod_words(pod: Res) -> String {
    format!(
        "{} vCPU and {} GiB",
        pod.cpu_milli as f64 / 1000.0,
        pod.mem_mib as f64 / 1024.0
    )
}

/// Sections of `[cluster]` the chosen node autoscaler does not read.
fn unused(c: &Cluster, warnings: &mut Vec<String>) {
    let a = c.autoscaler.as_str();
    for (present, section, owner) in [
        (
            c.cluster_autoscaler.is_some(),
            "cluster.cluster_autoscaler",
            "cluster-autoscaler",
        ),
        (c.karpenter.is_some(), "cluster.karpenter", "karpenter"),
        (
            c.ecs_managed_scaling.is_some(),
            "cluster.ecs_managed_scaling",
            "ecs-managed-scaling",
        ),
    ] {
        if present && a != owner {
            warnings.push(format!(
                "[{section}] is not simulated: the node autoscaler is `{a}` (set cluster.autoscaler = \"{owner}\" to use it)"
            ));
        }
    }
    let priority = c
        .cluster_autoscaler
        .as_ref()
        .and_then(|ca| ca.expander.as_deref())
        == Some("priority");
    if !priority && c.node_groups.iter().any(|g| g.priority != 0) {
        warnings.push(
            "node group `priority` is read only by the priority expander (cluster.cluster_autoscaler.expander = \"priority\")".into(),
        );
    }
}

/// Checks `[cluster]` against the platform and resolves it.
pub(super) fn resolve(
    f: &ScenarioFile,
    book: &PriceBook,
    p: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<ClusterPlan> {
    let platform = f.capacity.platform;
    let Some(c) = &f.cluster else {
        if platform.has_nodes() {
            p.bad(
                "capacity.platform",
                format!(
                    "`platform = \"{}\"` runs replicas on nodes, but the scenario has no `[cluster]`",
                    if platform == Platform::EcsEc2 {
                        "ecs-ec2"
                    } else {
                        "kubernetes"
                    }
                ),
                Some(
                    "add `[cluster]` with at least one `[[cluster.node_groups]]` (or `[cluster.karpenter]`), or use `platform = \"fargate\"`".into(),
                ),
            );
        }
        return None;
    };
    if !platform.has_nodes() {
        p.bad(
            "cluster",
            "`[cluster]` describes nodes, which only `platform = \"kubernetes\"` or `\"ecs-ec2\"` has".into(),
            Some("set capacity.platform, or remove [cluster]".into()),
        );
        return None;
    }
    let ecs = platform == Platform::EcsEc2;
    unused(c, warnings);
    if f.capacity.spot.is_some() {
        p.bad(
            "capacity.spot",
            "on nodes, spot is a node group's `capacity_type` (or Karpenter's `capacity_types`), not `[capacity.spot]`".into(),
            None,
        );
    }
    if f.capacity.instance_type.is_some() {
        p.bad(
            "capacity.instance_type",
            "on nodes, instance types belong to `[[cluster.node_groups]]`".into(),
            None,
        );
    }
    if !f.regions.is_empty() {
        p.bad(
            "regions",
            "multi-region scenarios on nodes are not simulated yet (one cluster per region)".into(),
            Some("run each region's cluster as a scenario of its own".into()),
        );
    }
    let pod = pod_request(f, p)?;
    let reserved = c
        .reserved
        .unwrap_or(if ecs { Reserved::Ecs } else { Reserved::Eks });
    let daemonset = match &c.daemonset {
        Some(d) if !(non_negative(d.cpu) && non_negative(d.memory_gb)) => {
            p.bad(
                "cluster.daemonset",
                "daemonset requests must be >= 0".into(),
                None,
            );
            Res::ZERO
        }
        Some(d) => Res {
            pods: d.pods.unwrap_or(2),
            ..Res::pod(d.cpu, d.memory_gb)
        },
        None => Res::ZERO,
    };
    let control_plane_usd_per_hour = control_plane(c, ecs, &f.region, book, p);
    let autoscaler_name = c.autoscaler.as_str();
    if !AUTOSCALERS.contains(&autoscaler_name) {
        p.bad(
            "cluster.autoscaler",
            format!("unknown node autoscaler `{autoscaler_name}`"),
            Some(
                match nearest(autoscaler_name, AUTOSCALERS.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`? (one of {})", AUTOSCALERS.join(", ")),
                    None => format!("one of {}", AUTOSCALERS.join(", ")),
                },
            ),
        );
        return None;
    }
    if let Some(m) = c.provisioning_s.problem() {
        p.bad("cluster.provisioning_s", m, None);
    }
    let placement = c.placement.unwrap_or(if ecs {
        Placement::Binpack
    } else {
        Placement::LeastAllocated
    });
    match (ecs, placement) {
        (true, Placement::LeastAllocated | Placement::MostAllocated) => p.bad(
            "cluster.placement",
            "ECS places tasks by `binpack` or `spread`".into(),
            None,
        ),
        (false, Placement::Binpack | Placement::Spread) => p.bad(
            "cluster.placement",
            "the Kubernetes scheduler scores `least-allocated` or `most-allocated`".into(),
            None,
        ),
        _ => {}
    }
    let mut types = Vec::new();
    let cx = Cx {
        f,
        reserved,
        book,
        pod,
        daemonset,
    };
    let groups = groups(c, &cx, &mut types, p);
    let autoscaler = match autoscaler_name {
        "cluster-autoscaler" => {
            if ecs {
                p.bad(
                    "cluster.autoscaler",
                    "ECS container instances scale by `ecs-managed-scaling`".into(),
                    None,
                );
            }
            ca(c, p).map(NodeAutoscaler::ClusterAutoscaler)
        }
        "karpenter" => {
            if ecs {
                p.bad(
                    "cluster.autoscaler",
                    "Karpenter provisions Kubernetes nodes, not ECS container instances".into(),
                    None,
                );
            }
            karpenter(c, &cx, &mut types, p).map(NodeAutoscaler::Karpenter)
        }
        "ecs-managed-scaling" => {
            if !ecs {
                p.bad(
                    "cluster.autoscaler",
                    "ECS managed scaling scales ECS container instances (`platform = \"ecs-ec2\"`)"
                        .into(),
                    None,
                );
            }
            if groups.len() != 1 {
                p.bad(
                    "cluster.node_groups",
                    format!(
                        "an ECS capacity provider scales one Auto Scaling group; the scenario has {}",
                        groups.len()
                    ),
                    None,
                );
            }
            Some(NodeAutoscaler::EcsManagedScaling(ecs_plan(c, p)))
        }
        _ => Some(NodeAutoscaler::None),
    }?;
    if !matches!(autoscaler, NodeAutoscaler::Karpenter(_))
        && !groups.iter().any(|g| g.hosts_service)
    {
        p.bad(
            "cluster.node_groups",
            "no node group runs the service's pods".into(),
            Some("add a node group (with `service = true`, the default)".into()),
        );
    }
    let other_pods = other(c, &groups, &types, daemonset, p);
    let arch = f.capacity.arch.as_str();
    let fargate_usd_per_pod_hour = super::capacity::fargate_size_for(
        pod.cpu_milli as f64 / 1000.0,
        pod.mem_mib as f64 / 1024.0,
    )
    .and_then(|(cpu, gb)| {
        crate::billing::ComputeRate::fargate(book, &f.region, arch, cpu, gb)
            .ok()
            .map(|r| (r.usd_per_hour, format!("{cpu} vCPU / {gb} GB")))
    });
    Some(ClusterPlan {
        pod,
        daemonset,
        other_pods,
        placement,
        types,
        groups,
        autoscaler,
        provisioning: c.provisioning_s.clone(),
        control_plane_usd_per_hour,
        ecs,
        fargate_usd_per_pod_hour,
    })
}

fn control_plane(c: &Cluster, ecs: bool, region: &str, book: &PriceBook, p: &mut Problems) -> f64 {
    let cp = c
        .control_plane
        .as_deref()
        .unwrap_or(if ecs { "none" } else { "eks" });
    match (cp, ecs) {
        ("none", _) => 0.0,
        ("eks", false) => match book.get("EKS", "cluster-standard-support", region, "on_demand") {
            Ok(r) => r.price_usd,
            Err(e) => {
                p.bad("cluster.control_plane", e.to_string(), None);
                0.0
            }
        },
        ("eks", true) => {
            p.bad(
                "cluster.control_plane",
                "ECS has no control-plane fee; an EKS control plane runs Kubernetes".into(),
                Some("remove control_plane, or set it to \"none\"".into()),
            );
            0.0
        }
        (other, _) => {
            p.bad(
                "cluster.control_plane",
                format!("unknown control plane `{other}`"),
                Some("`eks` (billed per cluster-hour) or `none`".into()),
            );
            0.0
        }
    }
}

fn groups(c: &Cluster, cx: &Cx, types: &mut Vec<NodeType>, p: &mut Problems) -> Vec<GroupPlan> {
    let (f, pod, daemonset) = (cx.f, cx.pod, cx.daemonset);
    let mut out = Vec::new();
    for (i, g) in c.node_groups.iter().enumerate() {
        let key = |k: &str| format!("cluster.node_groups[{i}].{k}");
        if c.node_groups[..i].iter().any(|o| o.name == g.name) {
            p.bad(
                &key("name"),
                format!("two node groups are named `{}`", g.name),
                None,
            );
        }
        if g.instance_types.is_empty() {
            p.bad(
                &key("instance_types"),
                "a node group needs at least one instance type".into(),
                None,
            );
            continue;
        }
        if g.min > g.max {
            p.bad(
                &key("min"),
                format!("node group `{}`: min {} > max {}", g.name, g.min, g.max),
                Some("min <= desired <= max".into()),
            );
        }
        let desired = g.desired.unwrap_or(g.min);
        if g.min <= g.max && (desired < g.min || desired > g.max) {
            p.bad(
                &key("desired"),
                format!(
                    "node group `{}`: desired {desired} is outside min {} .. max {}",
                    g.name, g.min, g.max
                ),
                Some("min <= desired <= max".into()),
            );
        }
        if g.on_demand_percentage_above_base > 100 {
            p.bad(
                &key("on_demand_percentage_above_base"),
                format!(
                    "{} is not a percentage (0 to 100)",
                    g.on_demand_percentage_above_base
                ),
                None,
            );
        }
        if let Some(r) = g.interruptions_per_hour
            && !non_negative(r)
        {
            p.bad(
                &key("interruptions_per_hour"),
                format!("{r} is not a rate >= 0"),
                None,
            );
        }
        let mut idx = Vec::new();
        for (j, name) in g.instance_types.iter().enumerate() {
            if let Some(t) = type_index(
                cx,
                types,
                name,
                g.interruptions_per_hour,
                &format!("cluster.node_groups[{i}].instance_types[{j}]"),
                p,
            ) {
                idx.push(t);
            }
        }
        if idx.len() != g.instance_types.len() {
            continue;
        }
        if g.capacity_type != CapacityType::OnDemand
            && let Some(t) = idx
                .iter()
                .map(|&t| &types[t])
                .find(|t| t.spot_usd.is_none())
        {
            p.bad(
                &key("capacity_type"),
                format!(
                    "node group `{}` uses spot, but no spot price of `{}` in {} is known",
                    g.name, t.name, f.region
                ),
                Some("add a spot row for it in a `pricing` CSV, or use capacity_type = \"on_demand\"".into()),
            );
        }
        if g.service
            && let Some(largest) = cx.none_fits(&idx, types)
        {
            let what = if c.node_groups.len() > 1 || f.capacity.platform == Platform::Kubernetes {
                "node group"
            } else {
                "Auto Scaling group"
            };
            p.bad(
                &key("instance_types"),
                format!(
                    "a {} requesting {} fits no instance type of {what} `{}` ({}: {} allocatable{})",
                    if f.capacity.platform == Platform::EcsEc2 { "task" } else { "pod" },
                    pod_words(pod),
                    g.name,
                    largest.name,
                    largest.allocatable.describe(),
                    if daemonset == Res::ZERO {
                        String::new()
                    } else {
                        format!(", of which the daemonset takes {}", daemonset.describe())
                    }
                ),
                Some(cx.fix(largest)),
            );
        }
        out.push(GroupPlan {
            name: g.name.clone(),
            types: idx,
            min: g.min,
            max: g.max,
            desired,
            capacity_type: g.capacity_type,
            on_demand_base: g.on_demand_base,
            on_demand_percentage_above_base: g.on_demand_percentage_above_base.min(100),
            hosts_service: g.service,
            priority: g.priority,
        });
    }
    out
}

/// The smallest change that makes `pod` fit: the cheapest catalogue type of
/// the same family (or architecture) that holds it.
fn smallest_fix(pod: Res, daemonset: Res, reserved: Reserved, current: &str) -> String {
    let Some(cur) = instance(current) else {
        return "use a larger instance type or smaller requests".into();
    };
    let family = current.split('.').next().unwrap_or_default();
    let fits = |it: &&crate::model::cluster::InstanceSpec| {
        allocatable(it, reserved).holds(pod.plus(daemonset)) && it.on_demand_usd.is_some()
    };
    let cheapest = |same_family: bool| {
        crate::model::cluster::catalogue()
            .iter()
            .filter(|i| {
                i.arch == cur.arch && (!same_family || i.name.split('.').next() == Some(family))
            })
            .filter(fits)
            .min_by(|a, b| {
                a.on_demand_usd
                    .partial_cmp(&b.on_demand_usd)
                    .expect("prices are finite")
            })
    };
    match cheapest(true).or_else(|| cheapest(false)) {
        Some(it) => format!(
            "the smallest change that works: instance type `{}` ({} allocatable, ${}/h), or requests that fit {}",
            it.name,
            allocatable(it, reserved).describe(),
            it.on_demand_usd.unwrap_or_default(),
            current
        ),
        None => "use a larger instance type or smaller requests".into(),
    }
}

fn ca(c: &Cluster, p: &mut Problems) -> Option<CaPlan> {
    let ca = c.cluster_autoscaler.clone().unwrap_or_default();
    let name = ca.expander.as_deref().unwrap_or("random");
    let expander = match EXPANDERS.iter().find(|e| e.0 == name) {
        Some(e) => e.1,
        None => {
            let names: Vec<&str> = EXPANDERS.iter().map(|e| e.0).collect();
            p.bad(
                "cluster.cluster_autoscaler.expander",
                format!("unknown expander `{name}`"),
                Some(match nearest(name, names.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`? (one of {})", names.join(", ")),
                    None => format!("one of {}", names.join(", ")),
                }),
            );
            return None;
        }
    };
    let secs = |key: &str, v: f64, p: &mut Problems| -> u64 {
        if !non_negative(v) {
            p.bad(
                &format!("cluster.cluster_autoscaler.{key}"),
                format!("{v} is not a duration >= 0 s"),
                None,
            );
            return 0;
        }
        secs_to_us(v)
    };
    if !positive(ca.scan_interval_s) {
        p.bad(
            "cluster.cluster_autoscaler.scan_interval_s",
            format!("{} is not an interval > 0 s", ca.scan_interval_s),
            None,
        );
        return None;
    }
    if !(0.0..=1.0).contains(&ca.scale_down_utilization_threshold) {
        p.bad(
            "cluster.cluster_autoscaler.scale_down_utilization_threshold",
            format!(
                "{} is not a ratio in [0, 1]",
                ca.scale_down_utilization_threshold
            ),
            None,
        );
    }
    let scan = secs_to_us(ca.scan_interval_s);
    Some(CaPlan {
        scan_interval_us: scan,
        expander,
        utilization_threshold: ca.scale_down_utilization_threshold,
        unneeded_time_us: if ca.scale_down_enabled {
            secs(
                "scale_down_unneeded_time_s",
                ca.scale_down_unneeded_time_s,
                p,
            )
        } else {
            u64::MAX
        },
        delay_after_add_us: secs(
            "scale_down_delay_after_add_s",
            ca.scale_down_delay_after_add_s,
            p,
        ),
        // Upstream: --scale-down-delay-after-delete defaults to --scan-interval.
        delay_after_delete_us: match ca.scale_down_delay_after_delete_s {
            Some(s) => secs("scale_down_delay_after_delete_s", s, p),
            None => scan,
        },
        delay_after_failure_us: secs(
            "scale_down_delay_after_failure_s",
            ca.scale_down_delay_after_failure_s,
            p,
        ),
        max_node_provision_time_us: secs(
            "max_node_provision_time_s",
            ca.max_node_provision_time_s,
            p,
        ),
        balance_similar_node_groups: ca.balance_similar_node_groups,
        max_empty_bulk_delete: ca.max_empty_bulk_delete.max(1),
        // Upstream --initial-node-group-backoff-duration.
        initial_backoff_us: 300 * US_PER_SEC,
    })
}

fn karpenter(
    c: &Cluster,
    cx: &Cx,
    types: &mut Vec<NodeType>,
    p: &mut Problems,
) -> Option<KarpenterPlan> {
    let pod = cx.pod;
    let Some(k) = &c.karpenter else {
        p.bad(
            "cluster.autoscaler",
            "`autoscaler = \"karpenter\"` needs `[cluster.karpenter]` (its NodePool)".into(),
            None,
        );
        return None;
    };
    let mut idx = Vec::new();
    for (j, name) in k.instance_types.iter().enumerate() {
        if let Some(t) = type_index(
            cx,
            types,
            name,
            k.interruptions_per_hour,
            &format!("cluster.karpenter.instance_types[{j}]"),
            p,
        ) {
            idx.push(t);
        }
    }
    if k.instance_types.is_empty() {
        p.bad(
            "cluster.karpenter.instance_types",
            "a NodePool needs at least one instance type".into(),
            None,
        );
        return None;
    }
    let (mut spot, mut on_demand) = (false, false);
    for ct in &k.capacity_types {
        match ct.as_str() {
            "spot" => spot = true,
            "on_demand" | "on-demand" => on_demand = true,
            other => p.bad(
                "cluster.karpenter.capacity_types",
                format!("unknown capacity type `{other}`"),
                Some("`spot` or `on_demand` (Karpenter's `on-demand` is accepted)".into()),
            ),
        }
    }
    if !spot && !on_demand {
        p.bad(
            "cluster.karpenter.capacity_types",
            "a NodePool needs at least one capacity type".into(),
            None,
        );
    }
    let consolidation = match k.consolidation_policy.as_str() {
        "WhenEmpty" => ConsolidationPolicy::WhenEmpty,
        "WhenEmptyOrUnderutilized" => ConsolidationPolicy::WhenEmptyOrUnderutilized,
        other => {
            p.bad(
                "cluster.karpenter.consolidation_policy",
                format!("unknown consolidation policy `{other}`"),
                Some("`WhenEmpty` or `WhenEmptyOrUnderutilized`".into()),
            );
            ConsolidationPolicy::WhenEmpty
        }
    };
    if idx.len() == k.instance_types.len()
        && let Some(largest) = cx.none_fits(&idx, types)
    {
        p.bad(
            "cluster.karpenter.instance_types",
            format!(
                "a pod requesting {} fits no instance type of the Karpenter NodePool ({}: {} allocatable)",
                pod_words(pod),
                largest.name,
                largest.allocatable.describe()
            ),
            Some(cx.fix(largest)),
        );
    }
    for (key, v) in [
        ("consolidate_after_s", k.consolidate_after_s),
        ("batch_idle_s", k.batch_idle_s),
        ("batch_max_s", k.batch_max_s),
    ] {
        if !non_negative(v) {
            p.bad(
                &format!("cluster.karpenter.{key}"),
                format!("{v} is not a duration >= 0 s"),
                None,
            );
        }
    }
    Some(KarpenterPlan {
        types: idx,
        spot,
        on_demand,
        consolidation,
        consolidate_after_us: secs_to_us(k.consolidate_after_s.max(0.0)),
        budget_nodes_pct: k.disruption_budget_nodes_pct.min(100),
        batch_idle_us: secs_to_us(k.batch_idle_s.max(0.0)),
        batch_max_us: secs_to_us(k.batch_max_s.max(0.0)),
        disruption_poll_us: 10 * US_PER_SEC,
    })
}

fn ecs_plan(c: &Cluster, p: &mut Problems) -> EcsPlan {
    let e = c
        .ecs_managed_scaling
        .clone()
        .unwrap_or(super::EcsManagedScaling {
            target_capacity_pct: 100,
            minimum_scaling_step_size: 1,
            maximum_scaling_step_size: 10_000,
            instance_warmup_s: 300.0,
        });
    if !(1..=100).contains(&e.target_capacity_pct) {
        p.bad(
            "cluster.ecs_managed_scaling.target_capacity_pct",
            format!(
                "{} is not a target capacity between 1 and 100 %",
                e.target_capacity_pct
            ),
            None,
        );
    }
    if e.minimum_scaling_step_size == 0 || e.minimum_scaling_step_size > e.maximum_scaling_step_size
    {
        p.bad(
            "cluster.ecs_managed_scaling.minimum_scaling_step_size",
            "step sizes need 1 <= minimum <= maximum".into(),
            None,
        );
    }
    EcsPlan {
        target_capacity_pct: e.target_capacity_pct.clamp(1, 100),
        min_step: e.minimum_scaling_step_size.max(1),
        max_step: e.maximum_scaling_step_size.max(1),
        warmup_us: secs_to_us(e.instance_warmup_s.max(0.0)),
    }
}

fn other(
    c: &Cluster,
    groups: &[GroupPlan],
    types: &[NodeType],
    daemonset: Res,
    p: &mut Problems,
) -> Vec<OtherPods> {
    let mut out = Vec::new();
    for (i, o) in c.other_pods.iter().enumerate() {
        if !(non_negative(o.cpu) && non_negative(o.memory_gb)) {
            p.bad(
                &format!("cluster.other_pods[{i}].cpu"),
                "requests must be >= 0".into(),
                None,
            );
            continue;
        }
        let group = match &o.group {
            None => None,
            Some(g) => match groups.iter().position(|x| &x.name == g) {
                Some(i) => Some(i),
                None => {
                    p.bad(
                        &format!("cluster.other_pods[{i}].group"),
                        format!("no node group is named `{g}`"),
                        nearest(g, groups.iter().map(|x| x.name.as_str()))
                            .map(|n| format!("did you mean `{n}`?")),
                    );
                    continue;
                }
            },
        };
        let request = Res::pod(o.cpu, o.memory_gb);
        let fits_somewhere = groups
            .iter()
            .enumerate()
            .filter(|(g, _)| group.is_none_or(|x| x == *g))
            .flat_map(|(_, gp)| gp.types.iter())
            .any(|&t| types[t].allocatable.holds(request.plus(daemonset)));
        if !fits_somewhere {
            p.bad(
                &format!("cluster.other_pods[{i}].cpu"),
                format!(
                    "another workload's pod requesting {} fits no instance type of {}",
                    pod_words(request),
                    o.group
                        .as_ref()
                        .map_or("any node group".to_string(), |g| format!(
                            "node group `{g}`"
                        ))
                ),
                Some("smaller requests, or a node group of a larger type".into()),
            );
            continue;
        }
        out.push(OtherPods {
            request,
            count: o.count,
            group,
        });
    }
    out
}
