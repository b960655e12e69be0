//! The machines under the replicas (DESIGN §9): instance specs, the EKS
//! node-allocatable formula, and the resolved cluster plan the engine runs.
//! Plain data and small functions; the engine's `nodes` module acts on them.

use crate::units::US_PER_SEC;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

/// The built-in instance catalogue (`pricing/instances.csv`, provenance in
/// `pricing/README.md`).
pub const BUILTIN_INSTANCES_CSV: &str = include_str!("../../pricing/instances.csv");

/// CPU in millicores, memory in MiB, pods: what a pod requests or a node offers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Res {
    pub cpu_milli: u64,
    pub mem_mib: u64,
    pub pods: u32,
}

impl Res {
    pub const ZERO: Res = Res {
        cpu_milli: 0,
        mem_mib: 0,
        pods: 0,
    };

    /// A request of `cpu` vCPU and `memory_gb` GiB, as one pod (Kubernetes
    /// quantities: `250m` = 0.25, `512Mi` = 0.5 GiB).
    pub fn pod(cpu: f64, memory_gb: f64) -> Res {
        Res {
            cpu_milli: (cpu * 1000.0).round() as u64,
            mem_mib: (memory_gb * 1024.0).round() as u64,
            pods: 1,
        }
    }

    pub fn plus(self, o: Res) -> Res {
        Res {
            cpu_milli: self.cpu_milli + o.cpu_milli,
            mem_mib: self.mem_mib + o.mem_mib,
            pods: self.pods + o.pods,
        }
    }

    /// `self - o`, saturating at zero in each dimension.
    pub fn minus(self, o: Res) -> Res {
        Res {
            cpu_milli: self.cpu_milli.saturating_sub(o.cpu_milli),
            mem_mib: self.mem_mib.saturating_sub(o.mem_mib),
            pods: self.pods.saturating_sub(o.pods),
        }
    }

    pub fn times(self, n: u32) -> Res {
        Res {
            cpu_milli: self.cpu_milli * u64::from(n),
            mem_mib: self.mem_mib * u64::from(n),
            pods: self.pods * n,
        }
    }

    /// Whether `o` fits inside `self` in every dimension.
    pub fn holds(self, o: Res) -> bool {
        o.cpu_milli <= self.cpu_milli && o.mem_mib <= self.mem_mib && o.pods <= self.pods
    }

    /// How many copies of `pod` fit in `self`.
    pub fn fit_count(self, pod: Res) -> u32 {
        let by = |have: u64, need: u64| have.checked_div(need).unwrap_or(u64::MAX);
        by(self.cpu_milli, pod.cpu_milli)
            .min(by(self.mem_mib, pod.mem_mib))
            .min(by(u64::from(self.pods), u64::from(pod.pods)))
            .min(u64::from(u32::MAX)) as u32
    }

    /// `1.93 vCPU, 6.74 GiB, 29 pods` (no pod count when pods are not limited).
    pub fn describe(self) -> String {
        let pods = if self.pods >= UNLIMITED_PODS {
            String::new()
        } else {
            format!(", {} pods", self.pods)
        };
        format!(
            "{} vCPU, {} GiB{pods}",
            trim(self.cpu_milli as f64 / 1000.0),
            trim(self.mem_mib as f64 / 1024.0),
        )
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One row of the instance catalogue.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceSpec {
    pub name: String,
    pub vcpu: u32,
    pub memory_gib: f64,
    pub arch: String,
    pub max_pods: u32,
    /// us-east-1 Linux on-demand, when known.
    pub on_demand_usd: Option<f64>,
    /// us-east-1 spot snapshot (2023-08-30), when known.
    pub spot_usd: Option<f64>,
    pub source_date: String,
}

#[derive(Deserialize)]
struct Row {
    instance_type: String,
    vcpu: u32,
    memory_gib: f64,
    arch: String,
    max_pods_eks: String,
    on_demand_usd_per_hour_us_east_1: String,
    spot_usd_per_hour_us_east_1: String,
    source_date: String,
}

/// Every instance type of the built-in catalogue, in the file's order.
pub fn catalogue() -> &'static [InstanceSpec] {
    static CAT: std::sync::OnceLock<Vec<InstanceSpec>> = std::sync::OnceLock::new();
    CAT.get_or_init(|| {
        let mut rd = csv::Reader::from_reader(BUILTIN_INSTANCES_CSV.as_bytes());
        rd.deserialize::<Row>()
            .map(|r| {
                let r = r.expect("invariant: the built-in instance catalogue parses");
                InstanceSpec {
                    max_pods: r.max_pods_eks.parse().unwrap_or(110),
                    on_demand_usd: r.on_demand_usd_per_hour_us_east_1.parse().ok(),
                    spot_usd: r.spot_usd_per_hour_us_east_1.parse().ok(),
                    name: r.instance_type,
                    vcpu: r.vcpu,
                    memory_gib: r.memory_gib,
                    arch: r.arch,
                    source_date: r.source_date,
                }
            })
            .collect()
    })
}

/// The catalogue's row for `name`.
pub fn instance(name: &str) -> Option<&'static InstanceSpec> {
    catalogue().iter().find(|i| i.name == name)
}

/// The catalogue's type nearest to `name` by edit distance (for did-you-mean).
pub fn nearest_instance(name: &str) -> Option<&'static str> {
    catalogue()
        .iter()
        .map(|i| (strsim::levenshtein(name, &i.name), i.name.as_str()))
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, n)| n)
}

/// How much of a node the kubelet reserves.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Reserved {
    /// The EKS AMI's kube-reserved and eviction threshold (and Karpenter's
    /// 7.5 % VM memory overhead).
    #[default]
    Eks,
    /// Nothing reserved: allocatable = the instance's nominal size.
    None,
    /// An ECS container instance: all its CPU; memory less the 7.5 % the
    /// kernel does not report (assumed, as for EKS); no pod limit (bridge
    /// networking).
    Ecs,
}

/// Karpenter's default `--vm-memory-overhead-percent` (0.075): the share of
/// the nominal memory the kernel does not report.
pub const VM_MEMORY_OVERHEAD: f64 = 0.075;

/// kube-reserved CPU in millicores for `vcpu` cores, by the EKS AMI's tiers
/// (awslabs/amazon-eks-ami `nodeadm/internal/kubelet/config.go`,
/// `getCPUMillicoresToReserve`): 6 % of the first core, 1 % of the second,
/// 0.5 % of cores 3–4 and 0.25 % of every core above 4.
pub fn kube_reserved_cpu_milli(vcpu: u32) -> u64 {
    let cores = u64::from(vcpu) * 1000;
    let tier = |lo: u64, hi: u64, per_10000: u64| -> u64 {
        let span = cores.clamp(lo, hi) - lo;
        span * per_10000 / 10_000
    };
    tier(0, 1000, 600) + tier(1000, 2000, 100) + tier(2000, 4000, 50) + tier(4000, u64::MAX, 25)
}

/// What a node of type `it` offers pods: the EKS AMI formula (`instances.md` §5):
/// capacity − kube-reserved − eviction threshold.
/// - CPU: vCPU × 1000 − [`kube_reserved_cpu_milli`].
/// - Memory: nominal MiB − ⌈7.5 %⌉ (VM overhead) − (255 + 11 × max pods) − 100.
/// - Pods: the VPC CNI's max pods.
pub fn allocatable(it: &InstanceSpec, reserved: Reserved) -> Res {
    let nominal_mib = (it.memory_gib * 1024.0).round() as u64;
    match reserved {
        Reserved::None => Res {
            cpu_milli: u64::from(it.vcpu) * 1000,
            mem_mib: nominal_mib,
            pods: it.max_pods,
        },
        Reserved::Ecs => Res {
            cpu_milli: u64::from(it.vcpu) * 1000,
            mem_mib: nominal_mib - (nominal_mib as f64 * VM_MEMORY_OVERHEAD).ceil() as u64,
            pods: UNLIMITED_PODS,
        },
        Reserved::Eks => {
            let overhead = (nominal_mib as f64 * VM_MEMORY_OVERHEAD).ceil() as u64;
            let kube_mem = 255 + 11 * u64::from(it.max_pods);
            Res {
                cpu_milli: u64::from(it.vcpu) * 1000 - kube_reserved_cpu_milli(it.vcpu),
                mem_mib: nominal_mib.saturating_sub(overhead + kube_mem + 100),
                pods: it.max_pods,
            }
        }
    }
}

/// The pod limit of an ECS container instance (bridge networking: none).
pub const UNLIMITED_PODS: u32 = 1000;

/// A delay (instance launch to node Ready): a constant number of seconds or a
/// distribution (`{ dist = "constant" | "lognormal" | "uniform", ... }`).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Delay {
    Seconds(f64),
    Dist(DelayDist),
}

/// Read by hand so that a wrong key names the distribution's keys (an
/// untagged enum would only say that nothing matched).
impl<'de> Deserialize<'de> for Delay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Delay, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Val {
            Num(f64),
            Text(String),
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(f64),
            Table(std::collections::BTreeMap<String, Val>),
        }
        let table = match Raw::deserialize(d)? {
            Raw::Num(s) => return Ok(Delay::Seconds(s)),
            Raw::Table(t) => t,
        };
        let dist = match table.get("dist") {
            Some(Val::Text(s)) => s.clone(),
            _ => {
                return Err(D::Error::custom(
                    "expected seconds, or a table with `dist = \"constant\" | \"lognormal\" | \"uniform\"`",
                ));
            }
        };
        let keys: &[&str] = match dist.as_str() {
            "constant" => &["mean_s"],
            "lognormal" => &["mean_s", "cv"],
            "uniform" => &["min_s", "max_s"],
            other => {
                return Err(D::Error::custom(format!(
                    "unknown dist `{other}`: expected constant, lognormal or uniform"
                )));
            }
        };
        for k in table.keys().filter(|k| *k != "dist") {
            if !keys.contains(&k.as_str()) {
                return Err(D::Error::custom(format!(
                    "`{k}` is not a key of dist = \"{dist}\" (its keys: {})",
                    keys.join(", ")
                )));
            }
        }
        let num = |k: &str| match table.get(k) {
            Some(Val::Num(v)) => Ok(*v),
            _ => Err(D::Error::custom(format!(
                "dist = \"{dist}\" needs `{k}` (a number); its keys: {}",
                keys.join(", ")
            ))),
        };
        Ok(Delay::Dist(match dist.as_str() {
            "constant" => DelayDist::Constant {
                mean_s: num("mean_s")?,
            },
            "lognormal" => DelayDist::Lognormal {
                mean_s: num("mean_s")?,
                cv: num("cv")?,
            },
            _ => DelayDist::Uniform {
                min_s: num("min_s")?,
                max_s: num("max_s")?,
            },
        }))
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum DelayDist {
    Constant { mean_s: f64 },
    Lognormal { mean_s: f64, cv: f64 },
    Uniform { min_s: f64, max_s: f64 },
}

impl Delay {
    /// A problem with the values, if any.
    pub fn problem(&self) -> Option<String> {
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        match *self {
            Delay::Seconds(s) | Delay::Dist(DelayDist::Constant { mean_s: s }) if !ok(s) => {
                Some(format!("{s} is not a delay >= 0 seconds"))
            }
            Delay::Dist(DelayDist::Lognormal { mean_s, cv })
                if !(mean_s.is_finite() && mean_s > 0.0 && cv.is_finite() && cv > 0.0) =>
            {
                Some(format!(
                    "lognormal needs mean_s > 0 and cv > 0 (got {mean_s}, {cv})"
                ))
            }
            Delay::Dist(DelayDist::Uniform { min_s, max_s })
                if !(ok(min_s) && ok(max_s) && min_s <= max_s) =>
            {
                Some(format!(
                    "uniform needs 0 <= min_s <= max_s (got {min_s}, {max_s})"
                ))
            }
            _ => None,
        }
    }

    pub fn mean_s(&self) -> f64 {
        match *self {
            Delay::Seconds(s) => s,
            Delay::Dist(DelayDist::Constant { mean_s }) => mean_s,
            Delay::Dist(DelayDist::Lognormal { mean_s, .. }) => mean_s,
            Delay::Dist(DelayDist::Uniform { min_s, max_s }) => (min_s + max_s) / 2.0,
        }
    }

    /// One draw, in µs (a constant draws nothing).
    pub fn sample_us<R: Rng>(&self, rng: &mut R) -> u64 {
        let s = match *self {
            Delay::Seconds(s) | Delay::Dist(DelayDist::Constant { mean_s: s }) => s,
            Delay::Dist(DelayDist::Lognormal { mean_s, cv }) => LogNormal::from_mean_cv(mean_s, cv)
                .map(|d| d.sample(rng))
                .unwrap_or(mean_s),
            Delay::Dist(DelayDist::Uniform { min_s, max_s }) => {
                if max_s > min_s {
                    rng.random_range(min_s..max_s)
                } else {
                    min_s
                }
            }
        };
        (s * US_PER_SEC as f64).round().max(0.0) as u64
    }

    pub fn describe(&self) -> String {
        match *self {
            Delay::Seconds(s) | Delay::Dist(DelayDist::Constant { mean_s: s }) => format!("{s} s"),
            Delay::Dist(DelayDist::Lognormal { mean_s, cv }) => {
                format!("lognormal, mean {mean_s} s, cv {cv}")
            }
            Delay::Dist(DelayDist::Uniform { min_s, max_s }) => {
                format!("uniform {min_s}–{max_s} s")
            }
        }
    }
}

/// Where the scheduler puts a pod among the nodes with room.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// kube-scheduler's default NodeResourcesFit scoring: the node left with
    /// the most free CPU and memory (spread).
    #[default]
    LeastAllocated,
    /// NodeResourcesFit `MostAllocated`: the fullest node that fits (bin packing).
    MostAllocated,
    /// ECS `binpack` on memory: the instance with the least memory left.
    Binpack,
    /// ECS `spread` over instances: the instance with the fewest of the service's tasks.
    Spread,
}

/// Purchase option of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purchase {
    OnDemand,
    Spot,
}

impl Purchase {
    pub fn as_str(self) -> &'static str {
        match self {
            Purchase::OnDemand => "on_demand",
            Purchase::Spot => "spot",
        }
    }
}

/// A node group's capacity type.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CapacityType {
    #[default]
    OnDemand,
    Spot,
    /// An Auto Scaling group's MixedInstancesPolicy: `on_demand_base`, then
    /// `on_demand_percentage_above_base` % of the rest on demand.
    Mixed,
}

/// One instance type a group or NodePool may launch, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeType {
    pub name: String,
    pub allocatable: Res,
    pub vcpu: u32,
    pub memory_gib: f64,
    pub on_demand_usd: f64,
    /// None: no spot price is known (spot not allowed for this type).
    pub spot_usd: Option<f64>,
    /// Spot interruption notices per node-hour.
    pub interruptions_per_hour: f64,
}

impl NodeType {
    pub fn price(&self, p: Purchase) -> f64 {
        match p {
            Purchase::OnDemand => self.on_demand_usd,
            Purchase::Spot => self.spot_usd.unwrap_or(self.on_demand_usd),
        }
    }
}

/// A node group (EKS managed node group / Auto Scaling group), resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupPlan {
    pub name: String,
    /// Indexes into [`ClusterPlan::types`], in the group's order.
    pub types: Vec<usize>,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub capacity_type: CapacityType,
    pub on_demand_base: u32,
    pub on_demand_percentage_above_base: u32,
    /// Whether the service's pods may run here (false: tainted for other work).
    pub hosts_service: bool,
    /// The priority expander's priority (higher wins).
    pub priority: i32,
}

/// Cluster autoscaler expanders (`--expander`).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Expander {
    #[default]
    Random,
    MostPods,
    LeastWaste,
    Price,
    Priority,
}

impl Expander {
    pub fn as_str(self) -> &'static str {
        match self {
            Expander::Random => "random",
            Expander::MostPods => "most-pods",
            Expander::LeastWaste => "least-waste",
            Expander::Price => "price",
            Expander::Priority => "priority",
        }
    }
}

/// The cluster autoscaler's flags, in µs and fractions.
#[derive(Clone, Debug, PartialEq)]
pub struct CaPlan {
    pub scan_interval_us: u64,
    pub expander: Expander,
    pub utilization_threshold: f64,
    pub unneeded_time_us: u64,
    pub delay_after_add_us: u64,
    pub delay_after_delete_us: u64,
    pub delay_after_failure_us: u64,
    pub max_node_provision_time_us: u64,
    pub balance_similar_node_groups: bool,
    pub max_empty_bulk_delete: u32,
    pub initial_backoff_us: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsolidationPolicy {
    WhenEmpty,
    WhenEmptyOrUnderutilized,
}

/// One Karpenter NodePool.
#[derive(Clone, Debug, PartialEq)]
pub struct KarpenterPlan {
    /// Indexes into [`ClusterPlan::types`].
    pub types: Vec<usize>,
    pub spot: bool,
    pub on_demand: bool,
    pub consolidation: ConsolidationPolicy,
    pub consolidate_after_us: u64,
    pub budget_nodes_pct: u32,
    pub batch_idle_us: u64,
    pub batch_max_us: u64,
    /// The disruption controller's polling period.
    pub disruption_poll_us: u64,
}

/// An ECS capacity provider with managed scaling over one Auto Scaling group.
#[derive(Clone, Debug, PartialEq)]
pub struct EcsPlan {
    pub target_capacity_pct: u32,
    pub min_step: u32,
    pub max_step: u32,
    pub warmup_us: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeAutoscaler {
    None,
    ClusterAutoscaler(CaPlan),
    Karpenter(KarpenterPlan),
    EcsManagedScaling(EcsPlan),
}

impl NodeAutoscaler {
    pub fn name(&self) -> &'static str {
        match self {
            NodeAutoscaler::None => "none",
            NodeAutoscaler::ClusterAutoscaler(_) => "cluster-autoscaler",
            NodeAutoscaler::Karpenter(_) => "karpenter",
            NodeAutoscaler::EcsManagedScaling(_) => "ecs-managed-scaling",
        }
    }
}

/// Static pods of other workloads.
#[derive(Clone, Debug, PartialEq)]
pub struct OtherPods {
    pub request: Res,
    pub count: u32,
    /// The group they run in (None: any).
    pub group: Option<usize>,
}

/// The resolved node layer of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterPlan {
    /// One pod (task) of the service.
    pub pod: Res,
    /// Requested on every node (daemonset pods).
    pub daemonset: Res,
    pub other_pods: Vec<OtherPods>,
    pub placement: Placement,
    pub types: Vec<NodeType>,
    pub groups: Vec<GroupPlan>,
    pub autoscaler: NodeAutoscaler,
    pub provisioning: Delay,
    pub control_plane_usd_per_hour: f64,
    /// `ecs-ec2` rather than `kubernetes` (words only: tasks and instances).
    pub ecs: bool,
    /// What one pod would cost per hour as a Fargate task of the smallest
    /// size holding its requests, and that size in words (for the review's
    /// "nodes against Fargate" line).
    pub fargate_usd_per_pod_hour: Option<(f64, String)>,
}

impl ClusterPlan {
    /// The node prices in words: one line per instance type, then the control plane.
    pub fn price_lines(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .types
            .iter()
            .map(|t| {
                format!(
                    "{}: ${}/h on demand{}; allocatable {}",
                    t.name,
                    t.on_demand_usd,
                    t.spot_usd
                        .map(|s| format!(", ${s}/h spot"))
                        .unwrap_or_default(),
                    t.allocatable.describe()
                )
            })
            .collect();
        if self.control_plane_usd_per_hour > 0.0 {
            v.push(format!(
                "EKS control plane: ${}/h per cluster",
                self.control_plane_usd_per_hour
            ));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocatable_matches_the_eks_worked_examples() {
        // instances.md §5 (= the Karpenter docs' published allocatable).
        // m5.large: 2000 − (60 + 10) = 1930m; 8192 − ⌈614.4⌉ − (255 + 11·29) − 100 = 6903Mi.
        let a = allocatable(instance("m5.large").unwrap(), Reserved::Eks);
        assert_eq!((a.cpu_milli, a.mem_mib, a.pods), (1930, 6903, 29));
        let g = allocatable(instance("g5.xlarge").unwrap(), Reserved::Eks);
        assert_eq!((g.cpu_milli, g.mem_mib), (3920, 14162));
        let p = allocatable(instance("p4d.24xlarge").unwrap(), Reserved::Eks);
        assert_eq!((p.cpu_milli, p.mem_mib), (95690, 1082712));
        let n = allocatable(instance("m5.large").unwrap(), Reserved::None);
        assert_eq!((n.cpu_milli, n.mem_mib), (2000, 8192));
    }

    #[test]
    fn cpu_reserve_tiers() {
        // 1 core: 60; 2: 70; 4: 80; 8: 80 + 4·2.5 = 90; 96: 80 + 92·2.5 = 310.
        assert_eq!(kube_reserved_cpu_milli(1), 60);
        assert_eq!(kube_reserved_cpu_milli(2), 70);
        assert_eq!(kube_reserved_cpu_milli(4), 80);
        assert_eq!(kube_reserved_cpu_milli(8), 90);
        assert_eq!(kube_reserved_cpu_milli(96), 310);
    }

    #[test]
    fn ten_half_core_pods_pack_three_then_four_per_m5_large() {
        // 500m / 1 GiB pods: 1930m allocatable holds 3 (1500m; 2000m > 1930m),
        // memory 6903Mi holds 6 → 3 per node → 10 pods need ⌈10/3⌉ = 4 nodes.
        // Nothing reserved: 2000m holds 4 → ⌈10/4⌉ = 3 nodes.
        let pod = Res::pod(0.5, 1.0);
        let m5 = instance("m5.large").unwrap();
        assert_eq!(allocatable(m5, Reserved::Eks).fit_count(pod), 3);
        assert_eq!(10u32.div_ceil(3), 4);
        assert_eq!(allocatable(m5, Reserved::None).fit_count(pod), 4);
    }

    #[test]
    fn delays_read_as_seconds_or_a_distribution_with_clear_errors() {
        #[derive(Deserialize)]
        struct T {
            d: Delay,
        }
        let d = |s: &str| {
            toml::from_str::<T>(s)
                .map(|t| t.d)
                .map_err(|e| e.to_string())
        };
        assert_eq!(d("d = 60").unwrap(), Delay::Seconds(60.0));
        assert_eq!(
            d("d = { dist = \"uniform\", min_s = 0, max_s = 2000 }").unwrap(),
            Delay::Dist(DelayDist::Uniform {
                min_s: 0.0,
                max_s: 2000.0
            })
        );
        let e = d("d = { dist = \"uniform\", mean_s = 75, min_s = 0, max_s = 1 }").unwrap_err();
        assert!(
            e.contains("`mean_s` is not a key of dist = \"uniform\" (its keys: min_s, max_s)"),
            "{e}"
        );
        let e = d("d = { dist = \"gamma\", mean_s = 1 }").unwrap_err();
        assert!(e.contains("unknown dist `gamma`"), "{e}");
    }

    #[test]
    fn catalogue_knows_types_and_suggests() {
        let t = instance("t3.large").unwrap();
        assert_eq!((t.vcpu, t.max_pods), (2, 35));
        assert_eq!(t.on_demand_usd, Some(0.0832));
        assert_eq!(nearest_instance("m5.larg"), Some("m5.large"));
    }
}
