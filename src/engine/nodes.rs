//! The node layer (DESIGN §9): nodes, pods bound to them, the scheduler's
//! placement, node billing, spot interruptions of nodes, and the accounting
//! behind the node columns. The node autoscalers (cluster autoscaler,
//! Karpenter, ECS managed scaling) are in `node_scaling`.
//!
//! The layer acts per pod and per node event, never per request: requests
//! see only the replicas it makes ready.

use super::*;
use crate::billing::ReplicaMeter;
use crate::metrics::{NodeRecord, NodeSummary, NodeTimeline};
use crate::model::cluster::{ClusterPlan, NodeAutoscaler, Placement, Purchase, Res};

/// A replica not bound to a node.
pub(super) const NO_NODE: u32 = u32::MAX;
/// A node that belongs to no node group (launched by Karpenter).
pub(super) const NO_GROUP: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NodeState {
    /// Launched, not yet Ready (pods cannot be placed on it).
    Launching,
    Ready,
    /// Being removed: no new pods; terminated when its pods are gone.
    Deleting,
    Gone,
}

#[derive(Clone, Debug)]
pub(super) struct Node {
    pub group: u32,
    pub ty: usize,
    pub purchase: Purchase,
    pub price: f64,
    pub launched_us: u64,
    /// When it becomes (or became) Ready.
    pub ready_us: u64,
    /// It never registers: removed at the max provision time.
    pub fails: bool,
    pub state: NodeState,
    pub removed_us: Option<u64>,
    pub launch_reason: String,
    pub removal_reason: String,
    /// Requested on the node: daemonset, other pods, service pods (draining included).
    pub used: Res,
    pub allocatable: Res,
    pub service_pods: u32,
    /// Other workloads' pods here (indexes into the plan's `other_pods`).
    pub others: Vec<u16>,
    /// Cluster autoscaler: unneeded since.
    pub unneeded_since: Option<u64>,
    /// Last time a pod was bound to or left the node (Karpenter's consolidateAfter).
    pub pods_changed_us: u64,
    /// Spot interruption: the notice came; terminated at this deadline.
    pub interrupted: bool,
    /// Karpenter replacement: the node launched to replace this one.
    pub replaced_by: Option<u32>,
}

impl Node {
    /// Interrupted by EC2 within its first hour: its usage is not charged.
    pub fn unbilled(&self) -> bool {
        self.interrupted
            && self.purchase == Purchase::Spot
            && self.removed_us.is_some_and(|r| {
                crate::billing::meter::interrupted_in_first_hour(self.launched_us, r)
            })
    }
    pub fn live(&self) -> bool {
        matches!(self.state, NodeState::Launching | NodeState::Ready)
    }
    pub fn free(&self) -> Res {
        self.allocatable.minus(self.used)
    }
    pub fn empty(&self) -> bool {
        self.service_pods == 0 && self.others.is_empty()
    }
}

/// The node layer's state.
pub(super) struct Nodes {
    pub plan: ClusterPlan,
    pub nodes: Vec<Node>,
    /// Unschedulable pods in creation order (stale entries skipped).
    pub unsched: VecDeque<u32>,
    pub unsched_count: u32,
    /// Node Ready (or provision timeout) times.
    pub ready_heap: BinaryHeap<Reverse<(u64, u32)>>,
    pub notices: BinaryHeap<Reverse<(u64, u32)>>,
    pub deadlines: VecDeque<(u64, u32)>,
    /// Next periodic evaluation of the node autoscaler.
    pub next_scan: u64,
    pub provisioning_rng: crate::rng::SimRng,
    pub choice_rng: crate::rng::SimRng,
    pub spot_rng: crate::rng::SimRng,
    // Cluster autoscaler.
    pub last_scale_up: Option<u64>,
    pub last_delete: Option<u64>,
    pub last_failure: Option<u64>,
    pub backoff_until: Vec<u64>,
    // Karpenter's provisioning batch: first and latest pending pod seen.
    pub batch: Option<(u64, u64)>,
    pub batch_seen: u32,
    // ECS managed scaling: consecutive minutes below target.
    pub ecs_low_minutes: u32,
    // Billing and accounting.
    pub od_meter: ReplicaMeter,
    pub spot_meter: ReplicaMeter,
    pub last_t: u64,
    pub unsched_int: u128,
    pub nodes_int: u128,
    pub used_cpu_int: u128,
    pub alloc_cpu_int: u128,
    pub used_mem_int: u128,
    pub alloc_mem_int: u128,
    /// Requested and allocatable over nodes not yet terminated.
    pub used_sum: Res,
    pub alloc_sum: Res,
    pub billed_nodes: u32,
    pub nodes_max: u32,
    pub interruptions: u64,
}

impl Nodes {
    pub fn new(plan: ClusterPlan, seed: u64) -> Nodes {
        let groups = plan.groups.len();
        let next_scan = match &plan.autoscaler {
            NodeAutoscaler::ClusterAutoscaler(ca) => ca.scan_interval_us,
            NodeAutoscaler::Karpenter(k) => k.disruption_poll_us,
            NodeAutoscaler::EcsManagedScaling(_) => US_PER_MIN,
            NodeAutoscaler::None => u64::MAX,
        };
        Nodes {
            plan,
            nodes: Vec::new(),
            unsched: VecDeque::new(),
            unsched_count: 0,
            ready_heap: BinaryHeap::new(),
            notices: BinaryHeap::new(),
            deadlines: VecDeque::new(),
            next_scan,
            provisioning_rng: stream(seed, Stream::NodeProvisioning),
            choice_rng: stream(seed, Stream::NodeChoice),
            spot_rng: stream(seed, Stream::NodeInterruptions),
            last_scale_up: None,
            last_delete: None,
            last_failure: None,
            backoff_until: vec![0; groups],
            batch: None,
            batch_seen: 0,
            ecs_low_minutes: 0,
            od_meter: ReplicaMeter::default(),
            spot_meter: ReplicaMeter::default(),
            last_t: 0,
            unsched_int: 0,
            nodes_int: 0,
            used_cpu_int: 0,
            alloc_cpu_int: 0,
            used_mem_int: 0,
            alloc_mem_int: 0,
            used_sum: Res::ZERO,
            alloc_sum: Res::ZERO,
            billed_nodes: 0,
            nodes_max: 0,
            interruptions: 0,
        }
    }

    /// Earliest time the node layer acts by itself.
    pub fn next_time(&self) -> u64 {
        let batch_end = match (&self.plan.autoscaler, self.batch) {
            (NodeAutoscaler::Karpenter(k), Some((first, last))) => {
                (last + k.batch_idle_us).min(first + k.batch_max_us)
            }
            _ => u64::MAX,
        };
        self.ready_heap
            .peek()
            .map_or(u64::MAX, |r| r.0.0)
            .min(self.notices.peek().map_or(u64::MAX, |r| r.0.0))
            .min(self.deadlines.front().map_or(u64::MAX, |d| d.0))
            .min(self.next_scan)
            .min(batch_end)
    }

    /// Integrates the node-time accounting up to `now`.
    pub fn touch(&mut self, now: u64) {
        let dt = u128::from(now.saturating_sub(self.last_t));
        if dt > 0 {
            self.unsched_int += u128::from(self.unsched_count) * dt;
            self.nodes_int += u128::from(self.billed_nodes) * dt;
            self.used_cpu_int += u128::from(self.used_sum.cpu_milli) * dt;
            self.alloc_cpu_int += u128::from(self.alloc_sum.cpu_milli) * dt;
            self.used_mem_int += u128::from(self.used_sum.mem_mib) * dt;
            self.alloc_mem_int += u128::from(self.alloc_sum.mem_mib) * dt;
            self.last_t = now;
        }
    }

    /// Nodes of group `g` launching or ready (the group's current size).
    pub fn group_size(&self, g: usize) -> u32 {
        self.nodes
            .iter()
            .filter(|n| n.group == g as u32 && n.live())
            .count() as u32
    }

    pub fn hosts_service(&self, n: &Node) -> bool {
        n.group == NO_GROUP || self.plan.groups[n.group as usize].hosts_service
    }

    /// Purchase option of the next node of group `g` (ASG MixedInstancesPolicy:
    /// the first `on_demand_base` nodes on demand, then on demand while the
    /// on-demand share above the base is below the percentage, rounded up in
    /// favour of on-demand as Auto Scaling does).
    pub fn next_purchase(&self, g: usize) -> Purchase {
        use crate::model::cluster::CapacityType;
        let gp = &self.plan.groups[g];
        match gp.capacity_type {
            CapacityType::OnDemand => Purchase::OnDemand,
            CapacityType::Spot => Purchase::Spot,
            CapacityType::Mixed => {
                let live = self
                    .nodes
                    .iter()
                    .filter(|n| n.group == g as u32 && n.live());
                let (mut od, mut total) = (0u32, 0u32);
                for n in live {
                    total += 1;
                    if n.purchase == Purchase::OnDemand {
                        od += 1;
                    }
                }
                if od < gp.on_demand_base {
                    return Purchase::OnDemand;
                }
                let above = total + 1 - gp.on_demand_base;
                let want_od = (u64::from(above) * u64::from(gp.on_demand_percentage_above_base))
                    .div_ceil(100) as u32;
                if od - gp.on_demand_base < want_od {
                    Purchase::OnDemand
                } else {
                    Purchase::Spot
                }
            }
        }
    }

    /// Instance type of the next node of group `g`: on demand, the first of
    /// the group's types (EKS managed node groups' `prioritized` strategy);
    /// spot, the cheapest spot price (price-capacity-optimized, simplified).
    pub fn group_type(&self, g: usize, p: Purchase) -> usize {
        let gp = &self.plan.groups[g];
        match p {
            Purchase::OnDemand => gp.types[0],
            Purchase::Spot => *gp
                .types
                .iter()
                .min_by(|&&a, &&b| {
                    let pa = self.plan.types[a].price(Purchase::Spot);
                    let pb = self.plan.types[b].price(Purchase::Spot);
                    pa.partial_cmp(&pb).expect("prices are finite")
                })
                .expect("a group has a type"),
        }
    }

    /// The node the scheduler binds a pod needing `pod` to, among Ready nodes
    /// with room (ties: the lowest node number; kube-scheduler breaks ties at
    /// random).
    pub fn choose(&self, pod: Res) -> Option<u32> {
        let mut best: Option<(i64, u32)> = None;
        for (i, n) in self.nodes.iter().enumerate() {
            if n.state != NodeState::Ready || !self.hosts_service(n) || !n.free().holds(pod) {
                continue;
            }
            let after = n.used.plus(pod);
            let a = n.allocatable;
            // NodeResourcesFit scoring (pkg/scheduler/framework/plugins/noderesources):
            // per resource (capacity − requested) × 100 / capacity (least) or
            // requested × 100 / capacity (most), averaged over CPU and memory.
            let least = |used: u64, cap: u64| ((cap - used) * 100 / cap.max(1)) as i64;
            let most = |used: u64, cap: u64| (used * 100 / cap.max(1)) as i64;
            let score = match self.plan.placement {
                Placement::LeastAllocated => {
                    (least(after.cpu_milli, a.cpu_milli) + least(after.mem_mib, a.mem_mib)) / 2
                }
                Placement::MostAllocated => {
                    (most(after.cpu_milli, a.cpu_milli) + most(after.mem_mib, a.mem_mib)) / 2
                }
                // ECS binpack on memory: the least memory left after placing.
                Placement::Binpack => -((a.mem_mib - after.mem_mib) as i64),
                // ECS spread: the fewest tasks of the service.
                Placement::Spread => -i64::from(n.service_pods),
            };
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, i as u32));
            }
        }
        best.map(|b| b.1)
    }

    /// First node (Ready, not `except`, in `allowed` groups) with room for
    /// `req` in the scratch free space; reserves it there.
    pub fn first_fit(
        &self,
        free: &mut [Res],
        req: Res,
        group: Option<usize>,
        service: bool,
        except: &[bool],
    ) -> Option<usize> {
        for (i, n) in self.nodes.iter().enumerate() {
            if n.state != NodeState::Ready || except[i] {
                continue;
            }
            if service && !self.hosts_service(n) {
                continue;
            }
            if let Some(g) = group
                && n.group != g as u32
            {
                continue;
            }
            if free[i].holds(req) {
                free[i] = free[i].minus(req);
                return Some(i);
            }
        }
        None
    }

    /// Counts for the timeline row.
    pub fn timeline(&self) -> NodeTimeline {
        let groups = self.plan.groups.len();
        // Per group and purchase option; Karpenter's nodes in the last pair.
        let mut by = vec![0u32; (groups + 1) * 2];
        let mut ready = 0;
        let mut total = 0;
        let (mut req, mut alloc) = (Res::ZERO, Res::ZERO);
        for n in &self.nodes {
            if n.state == NodeState::Gone {
                continue;
            }
            total += 1;
            let g = if n.group == NO_GROUP {
                groups
            } else {
                n.group as usize
            };
            by[g * 2 + usize::from(n.purchase == Purchase::Spot)] += 1;
            if n.state == NodeState::Ready {
                ready += 1;
                req = req.plus(n.used);
                alloc = alloc.plus(n.allocatable);
            }
        }
        let pct = |a: u64, b: u64| {
            if b == 0 {
                0.0
            } else {
                a as f64 * 100.0 / b as f64
            }
        };
        NodeTimeline {
            nodes_ready: ready,
            nodes_total: total,
            pods_unschedulable: self.unsched_count,
            node_cpu_requested_pct: pct(req.cpu_milli, alloc.cpu_milli),
            node_memory_requested_pct: pct(req.mem_mib, alloc.mem_mib),
            by_group_purchase: by,
        }
    }

    /// The summary's node columns at the end of the run.
    pub fn summary(&self, end: u64) -> NodeSummary {
        let h = |us: u64| us as f64 / crate::units::US_PER_HOUR as f64;
        let ratio = |a: u128, b: u128| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        NodeSummary {
            nodes_mean: if end > 0 {
                self.nodes_int as f64 / end as f64
            } else {
                0.0
            },
            nodes_max: self.nodes_max,
            node_hours_on_demand: h(self.od_meter.replica_us(end)),
            node_hours_spot: h(self.spot_meter.replica_us(end)),
            cost_nodes_usd: self.od_meter.accrued_usd(end) + self.spot_meter.accrued_usd(end),
            cost_nodes_spot_usd: self.spot_meter.accrued_usd(end),
            cost_control_plane_usd: self.plan.control_plane_usd_per_hour * h(end),
            pods_unschedulable_seconds: self.unsched_int as f64 / US_PER_SEC as f64,
            request_utilization_mean: ratio(self.used_cpu_int, self.alloc_cpu_int)
                .max(ratio(self.used_mem_int, self.alloc_mem_int)),
            request_utilization_cpu: ratio(self.used_cpu_int, self.alloc_cpu_int),
            request_utilization_memory: ratio(self.used_mem_int, self.alloc_mem_int),
            node_interruptions: self.interruptions,
            groups: self
                .plan
                .groups
                .iter()
                .map(|g| g.name.clone())
                .chain(std::iter::once("karpenter".to_string()))
                .collect(),
            pod_hours: 0.0,
            fargate_equivalent: None,
        }
    }

    pub fn records(&self, end: u64) -> Vec<NodeRecord> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| NodeRecord {
                node: i as u32,
                group: if n.group == NO_GROUP {
                    "karpenter".into()
                } else {
                    self.plan.groups[n.group as usize].name.clone()
                },
                instance_type: self.plan.types[n.ty].name.clone(),
                purchase_option: n.purchase.as_str().into(),
                launched_us: n.launched_us,
                ready_us: (!n.fails).then_some(n.ready_us),
                removed_us: n.removed_us,
                reason: if n.removal_reason.is_empty() {
                    n.launch_reason.clone()
                } else {
                    format!("{}; removed: {}", n.launch_reason, n.removal_reason)
                },
                usd_per_hour: n.price,
                cost_usd: if n.unbilled() {
                    0.0
                } else {
                    crate::billing::meter::billed_usd(
                        n.price,
                        n.launched_us,
                        n.removed_us.unwrap_or(end),
                        n.removed_us.is_some(),
                    )
                },
            })
            .collect()
    }
}

impl Engine {
    fn nodes_mut(&mut self) -> &mut Nodes {
        self.nodes.as_mut().expect("node layer on")
    }

    /// Launches a node of type `ty`; Ready after the provisioning delay (or
    /// at once when `ready_now`: nodes running when the trace begins).
    pub(super) fn launch_node(
        &mut self,
        group: u32,
        ty: usize,
        purchase: Purchase,
        ready_now: bool,
        reason: String,
    ) -> u32 {
        let now = self.now;
        let max_provision = match &self.nodes_mut().plan.autoscaler {
            NodeAutoscaler::ClusterAutoscaler(ca) => ca.max_node_provision_time_us,
            _ => u64::MAX,
        };
        let ns = self.nodes_mut();
        ns.touch(now);
        let delay = if ready_now {
            0
        } else {
            ns.plan.provisioning.sample_us(&mut ns.provisioning_rng)
        };
        let t = &ns.plan.types[ty];
        let price = t.price(purchase);
        let rate = t.interruptions_per_hour;
        let allocatable = t.allocatable;
        let fails = delay > max_provision;
        let id = ns.nodes.len() as u32;
        let daemonset = ns.plan.daemonset;
        ns.nodes.push(Node {
            group,
            ty,
            purchase,
            price,
            launched_us: now,
            ready_us: now + delay,
            fails,
            state: NodeState::Launching,
            removed_us: None,
            launch_reason: reason,
            removal_reason: String::new(),
            used: daemonset,
            allocatable,
            service_pods: 0,
            others: Vec::new(),
            unneeded_since: None,
            pods_changed_us: now,
            interrupted: false,
            replaced_by: None,
        });
        ns.used_sum = ns.used_sum.plus(daemonset);
        ns.alloc_sum = ns.alloc_sum.plus(allocatable);
        ns.billed_nodes += 1;
        ns.nodes_max = ns.nodes_max.max(ns.billed_nodes);
        match purchase {
            Purchase::OnDemand => ns.od_meter.start(price, now),
            Purchase::Spot => {
                ns.spot_meter.start(price, now);
                if rate > 0.0 {
                    let e: f64 =
                        rand_distr::Distribution::sample(&rand_distr::Exp1, &mut ns.spot_rng);
                    let at = now as f64 + e / rate * crate::units::US_PER_HOUR as f64;
                    ns.notices
                        .push(Reverse((at.min(u64::MAX as f64) as u64, id)));
                }
            }
        }
        if ready_now {
            ns.nodes[id as usize].state = NodeState::Ready;
        } else {
            let at = if fails {
                now + max_provision
            } else {
                now + delay
            };
            ns.ready_heap.push(Reverse((at, id)));
        }
        id
    }

    /// Launches the next node of group `g`: its purchase option (the group's
    /// capacity type) and instance type chosen as the group does.
    pub(super) fn launch_in_group(&mut self, g: usize, ready_now: bool, reason: &str) -> u32 {
        let ns = self.nodes_mut();
        let p = ns.next_purchase(g);
        let ty = ns.group_type(g, p);
        self.launch_node(g as u32, ty, p, ready_now, reason.into())
    }

    /// Ends a node's life: billing stops, its requests leave the totals.
    pub(super) fn terminate_node(&mut self, id: u32) {
        let now = self.now;
        let ns = self.nodes_mut();
        ns.touch(now);
        let n = &mut ns.nodes[id as usize];
        if n.state == NodeState::Gone {
            return;
        }
        n.state = NodeState::Gone;
        n.removed_us = Some(now);
        let (price, launched, purchase, used, alloc, unbilled) = (
            n.price,
            n.launched_us,
            n.purchase,
            n.used,
            n.allocatable,
            n.unbilled(),
        );
        ns.used_sum = ns.used_sum.minus(used);
        ns.alloc_sum = ns.alloc_sum.minus(alloc);
        ns.billed_nodes -= 1;
        match purchase {
            Purchase::OnDemand => ns.od_meter.stop(price, launched, now),
            // An EC2 Spot Instance that EC2 interrupts in its first hour is
            // not charged (EC2 User Guide, billing for interrupted Spot Instances).
            Purchase::Spot if unbilled => ns.spot_meter.stop_unbilled(price, launched, now),
            Purchase::Spot => ns.spot_meter.stop(price, launched, now),
        }
    }

    /// Binds pod `id` to node `n`.
    fn bind(&mut self, id: u32, n: u32) {
        let now = self.now;
        let pod = self.pod_size(id);
        let ns = self.nodes.as_mut().expect("node layer on");
        ns.touch(now);
        let node = &mut ns.nodes[n as usize];
        assert!(
            node.state == NodeState::Ready && node.free().holds(pod),
            "invariant: a pod is bound only to a Ready node with room for it"
        );
        node.used = node.used.plus(pod);
        node.service_pods += 1;
        node.pods_changed_us = now;
        node.unneeded_since = None;
        ns.used_sum = ns.used_sum.plus(pod);
        self.replicas[id as usize].node = n;
    }

    /// The scheduler's turn for a new pod: bound to a node with room (then
    /// Pending for the start-up time, or Ready at once for the pods running
    /// when the trace begins), else Unschedulable.
    pub(super) fn schedule_pod(&mut self, id: u32, initial: bool) {
        let pod = self.pod_size(id);
        let mut node = self.nodes_mut().choose(pod);
        if node.is_none() && initial {
            // The cluster as it stands at t = 0 holds the initial pods.
            self.bootstrap_node();
            node = self.nodes_mut().choose(pod);
        }
        match node {
            Some(n) => {
                self.bind(id, n);
                if initial {
                    self.make_ready(id);
                } else {
                    self.push_pending(self.now.saturating_add(self.cfg.startup_us), id);
                }
            }
            None => {
                let now = self.now;
                self.replicas[id as usize].state = ReplicaState::Unschedulable;
                let ns = self.nodes_mut();
                ns.touch(now);
                ns.unsched.push_back(id);
                ns.unsched_count += 1;
            }
        }
    }

    /// Places waiting (unschedulable) pods, oldest first, while nodes have room.
    pub(super) fn schedule_waiting(&mut self) {
        while let Some(&id) = self.nodes_mut().unsched.front() {
            if self.replicas[id as usize].state != ReplicaState::Unschedulable {
                self.nodes_mut().unsched.pop_front();
                continue;
            }
            let pod = self.pod_size(id);
            let Some(n) = self.nodes_mut().choose(pod) else {
                break;
            };
            let now = self.now;
            let ns = self.nodes_mut();
            ns.touch(now);
            ns.unsched.pop_front();
            ns.unsched_count -= 1;
            self.replicas[id as usize].state = ReplicaState::Pending;
            self.bind(id, n);
            self.push_pending(self.now.saturating_add(self.cfg.startup_us), id);
        }
    }

    /// A pod leaves the node layer (stopped): its requests are freed, a
    /// deleting node with no pods left terminates, and waiting pods may fit.
    pub(super) fn pod_gone(&mut self, id: u32, was_unschedulable: bool) {
        let now = self.now;
        let n = self.replicas[id as usize].node;
        let ns = self.nodes_mut();
        ns.touch(now);
        if was_unschedulable {
            ns.unsched_count -= 1;
            return;
        }
        if n == NO_NODE {
            return;
        }
        let pod = self.pod_size(id);
        let ns = self.nodes_mut();
        let node = &mut ns.nodes[n as usize];
        node.used = node.used.minus(pod);
        node.service_pods -= 1;
        node.pods_changed_us = now;
        ns.used_sum = ns.used_sum.minus(pod);
        let finish =
            node.state == NodeState::Deleting && node.service_pods == 0 && !node.interrupted;
        self.replicas[id as usize].node = NO_NODE;
        if finish {
            self.terminate_node(n);
        }
        if self.nodes_mut().unsched_count > 0 {
            self.schedule_waiting();
        }
    }

    /// Adds a node to the first group that runs the service and has room
    /// below its max (or, under Karpenter, the cheapest allowed type), Ready
    /// at once: the initial pods did not fit the groups' desired counts.
    fn bootstrap_node(&mut self) {
        let ns = self.nodes_mut();
        let g = (0..ns.plan.groups.len())
            .find(|&g| ns.plan.groups[g].hosts_service && ns.group_size(g) < ns.plan.groups[g].max);
        if let Some(g) = g {
            self.launch_in_group(g, true, "initial (raised so that the initial pods fit)");
        } else if let NodeAutoscaler::Karpenter(_) = ns.plan.autoscaler {
            let need = ns.plan.pod.plus(ns.plan.daemonset);
            if let Some((ty, p)) = self.karpenter_type(need) {
                self.launch_node(NO_GROUP, ty, p, true, "initial (Karpenter)".into());
            }
        }
    }

    /// The nodes running when the trace begins: each group's desired count,
    /// and the other workloads' pods placed first fit.
    pub(super) fn start_nodes(&mut self) {
        let groups = self.nodes_mut().plan.groups.len();
        for g in 0..groups {
            let desired = self.nodes_mut().plan.groups[g].desired;
            for _ in 0..desired {
                self.launch_in_group(g, true, "initial (desired)");
            }
        }
        let others = self.nodes_mut().plan.other_pods.clone();
        for (k, o) in others.iter().enumerate() {
            for _ in 0..o.count {
                self.place_other(k, o.request, o.group, None, true);
            }
        }
    }

    /// Places one pod of another workload: first fit; at t = 0 a node is added
    /// (to its group, within max) when none has room.
    fn place_other(
        &mut self,
        kind: usize,
        req: Res,
        group: Option<usize>,
        except: Option<u32>,
        initial: bool,
    ) -> bool {
        let ns = self.nodes_mut();
        let fits = |n: &Node, i: usize| {
            n.state == NodeState::Ready
                && Some(i as u32) != except
                && group.is_none_or(|g| n.group == g as u32)
                && n.free().holds(req)
        };
        let found = ns.nodes.iter().enumerate().position(|(i, n)| fits(n, i));
        let found = match found {
            Some(i) => Some(i),
            None if initial => {
                let g = group.or_else(|| {
                    (0..ns.plan.groups.len()).find(|&g| ns.group_size(g) < ns.plan.groups[g].max)
                });
                match g {
                    Some(g) if ns.group_size(g) < ns.plan.groups[g].max => {
                        let id = self.launch_in_group(
                            g,
                            true,
                            "initial (raised so that the other pods fit)",
                        );
                        let ns = self.nodes_mut();
                        ns.nodes[id as usize]
                            .free()
                            .holds(req)
                            .then_some(id as usize)
                    }
                    _ => None,
                }
            }
            None => None,
        };
        let now = self.now;
        let ns = self.nodes_mut();
        ns.touch(now);
        match found {
            Some(i) => {
                let n = &mut ns.nodes[i];
                n.used = n.used.plus(req);
                n.others.push(kind as u16);
                ns.used_sum = ns.used_sum.plus(req);
                true
            }
            None => false,
        }
    }

    /// Evicts node `n`'s pods: the service's pods drain (in-flight work
    /// finishes) and are re-created, to start again cold wherever the
    /// scheduler puts them; other workloads' pods move first fit.
    pub(super) fn evict_node(&mut self, n: u32) {
        let others = std::mem::take(&mut self.nodes_mut().nodes[n as usize].others);
        let plan_others = self.nodes_mut().plan.other_pods.clone();
        let now = self.now;
        {
            let ns = self.nodes_mut();
            ns.touch(now);
            for &k in &others {
                let req = plan_others[k as usize].request;
                let node = &mut ns.nodes[n as usize];
                node.used = node.used.minus(req);
                ns.used_sum = ns.used_sum.minus(req);
            }
        }
        for &k in &others {
            let o = &plan_others[k as usize];
            // Fit was checked by the caller's simulation; a pod that finds no
            // room elsewhere (a spot interruption) stays on this node's books
            // until it terminates, and is placed again when room appears.
            if !self.place_other(k as usize, o.request, o.group, Some(n), false) {
                let ns = self.nodes_mut();
                let node = &mut ns.nodes[n as usize];
                node.others.push(k);
                node.used = node.used.plus(o.request);
                ns.used_sum = ns.used_sum.plus(o.request);
            }
        }
        let on_node: Vec<u32> = (0..self.replicas.len() as u32)
            .filter(|&id| {
                let r = &self.replicas[id as usize];
                r.node == n && matches!(r.state, ReplicaState::Pending | ReplicaState::Ready)
            })
            .collect();
        for id in on_node {
            match self.replicas[id as usize].state {
                ReplicaState::Pending => self.stop_replica(id),
                _ => self.begin_drain(id as usize),
            }
            self.create_replica(false);
        }
        let node = &self.nodes_mut().nodes[n as usize];
        if node.service_pods == 0 && !node.interrupted && node.state == NodeState::Deleting {
            self.terminate_node(n);
        }
        self.replicas_max = self.replicas_max.max(self.live_replicas);
    }

    /// A node became Ready (or, one that never registers, reached the max
    /// provision time and is removed).
    fn node_ready(&mut self, n: u32) {
        let now = self.now;
        let ns = self.nodes_mut();
        let node = &ns.nodes[n as usize];
        if node.state != NodeState::Launching {
            return;
        }
        if node.fails {
            let g = node.group;
            let ns = self.nodes_mut();
            // The group's size with this node, before it goes.
            let size = ns.group_size(g as usize);
            ns.nodes[n as usize].state = NodeState::Deleting;
            ns.nodes[n as usize].removal_reason =
                "did not become Ready within max_node_provision_time".into();
            ns.last_failure = Some(now);
            if g != NO_GROUP {
                let backoff = match &ns.plan.autoscaler {
                    NodeAutoscaler::ClusterAutoscaler(ca) => ca.initial_backoff_us,
                    _ => 0,
                };
                ns.backoff_until[g as usize] = now + backoff;
            }
            let name = self.group_name(g);
            self.terminate_node(n);
            self.record_scaling(
                "cluster-autoscaler",
                size,
                size - 1,
                size - 1,
                format!(
                    "node {n} of group {name} did not become Ready within max_node_provision_time; removed, group backed off"
                ),
            );
            return;
        }
        let ns = self.nodes_mut();
        ns.nodes[n as usize].state = NodeState::Ready;
        ns.nodes[n as usize].pods_changed_us = now;
        // A Karpenter replacement is Ready: the node it replaces goes now.
        let replaced = ns
            .nodes
            .iter()
            .position(|o| o.replaced_by == Some(n) && o.state == NodeState::Ready);
        self.schedule_waiting();
        if let Some(old) = replaced {
            self.delete_node(
                old as u32,
                "consolidation: replaced by a cheaper node".into(),
            );
        }
    }

    pub(super) fn group_name(&mut self, g: u32) -> String {
        if g == NO_GROUP {
            "karpenter".into()
        } else {
            self.nodes_mut().plan.groups[g as usize].name.clone()
        }
    }

    /// Starts removing node `n`: no new pods, its pods evicted; it terminates
    /// when they are gone.
    pub(super) fn delete_node(&mut self, n: u32, reason: String) {
        let ns = self.nodes_mut();
        let node = &mut ns.nodes[n as usize];
        if !node.live() {
            return;
        }
        node.state = NodeState::Deleting;
        node.removal_reason = reason;
        self.evict_node(n);
    }

    /// A spot interruption notice for node `n`: 2 minutes to go. Its pods are
    /// evicted (re-created elsewhere); the node terminates at the deadline,
    /// dropping what is still in flight there.
    fn node_notice(&mut self, n: u32) {
        let now = self.now;
        let ns = self.nodes_mut();
        let node = &mut ns.nodes[n as usize];
        if !node.live() {
            return;
        }
        node.interrupted = true;
        let was_launching = node.state == NodeState::Launching;
        node.state = NodeState::Deleting;
        node.removal_reason = "spot interruption".into();
        ns.interruptions += 1;
        ns.deadlines.push_back((now + SPOT_NOTICE_US, n));
        let g = node.group;
        let ty = node.ty;
        let name = self.group_name(g);
        let it = self.nodes_mut().plan.types[ty].name.clone();
        if !was_launching {
            self.evict_node(n);
        }
        let size = self.nodes_mut().group_size(g as usize);
        let who = self.nodes_mut().plan.autoscaler.name();
        self.record_scaling(
            who,
            size + 1,
            size,
            size,
            format!("spot interruption notice for node {n} ({name}, {it}): 2-minute warning, pods evicted"),
        );
    }

    /// The end of a spot notice: the instance is reclaimed. Work still in
    /// flight on it is dropped. An Auto Scaling group launches a replacement
    /// to keep its desired count.
    fn node_deadline(&mut self, n: u32) {
        let on_node: Vec<u32> = (0..self.replicas.len() as u32)
            .filter(|&id| self.replicas[id as usize].node == n)
            .collect();
        for id in on_node {
            // The same end as a spot replica's notice: in-flight work dropped.
            self.drop_in_service(id);
        }
        let g = self.nodes_mut().nodes[n as usize].group;
        self.terminate_node(n);
        let ns = self.nodes_mut();
        if g != NO_GROUP && !matches!(ns.plan.autoscaler, NodeAutoscaler::Karpenter(_)) {
            self.launch_in_group(g as usize, false, "replacement of an interrupted spot node");
        }
        // Other workloads' pods that found no room are placed again.
        let others = std::mem::take(&mut self.nodes_mut().nodes[n as usize].others);
        let plan_others = self.nodes_mut().plan.other_pods.clone();
        for k in others {
            let o = &plan_others[k as usize];
            self.place_other(k as usize, o.request, o.group, Some(n), false);
        }
    }

    /// Runs every node-layer action due now.
    pub(super) fn run_nodes(&mut self) {
        let now = self.now;
        loop {
            let ns = self.nodes_mut();
            if let Some(&Reverse((t, n))) = ns.ready_heap.peek()
                && t <= now
            {
                ns.ready_heap.pop();
                self.node_ready(n);
                continue;
            }
            if let Some(&(t, n)) = ns.deadlines.front()
                && t <= now
            {
                ns.deadlines.pop_front();
                self.node_deadline(n);
                continue;
            }
            if let Some(&Reverse((t, n))) = ns.notices.peek()
                && t <= now
            {
                ns.notices.pop();
                self.node_notice(n);
                continue;
            }
            break;
        }
        self.node_autoscaler();
    }
}
