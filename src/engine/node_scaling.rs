//! Node autoscalers (DESIGN §9): the cluster autoscaler, Karpenter and ECS
//! managed scaling, each deciding from the node layer's state at its own
//! period. What each imitates, and where it simplifies, is in
//! `docs/NODES.md`.

use super::nodes::{NO_GROUP, NodeState};
use super::*;
use crate::model::cluster::{
    CaPlan, ConsolidationPolicy, EcsPlan, Expander, KarpenterPlan, NodeAutoscaler, Purchase, Res,
};
use rand::RngExt;

/// One node group's answer to the pending pods (the cluster autoscaler's
/// `expander.Option`).
#[derive(Clone, Debug)]
struct ScaleUpOption {
    group: usize,
    nodes: u32,
    pods: u32,
    /// least-waste: unused CPU share + unused memory share of the new nodes'
    /// capacity.
    waste: f64,
    /// price: cost per hour of the new nodes per pod they take.
    usd_per_pod_hour: f64,
}

impl Engine {
    /// The node autoscaler's periodic turn (and Karpenter's batch), if due.
    pub(super) fn node_autoscaler(&mut self) {
        let now = self.now;
        let plan = self
            .nodes
            .as_ref()
            .expect("node layer")
            .plan
            .autoscaler
            .clone();
        match plan {
            NodeAutoscaler::None => {}
            NodeAutoscaler::ClusterAutoscaler(ca) => {
                let ns = self.nodes.as_mut().expect("node layer");
                if ns.next_scan <= now {
                    ns.next_scan = now + ca.scan_interval_us;
                    self.ca_scan(&ca);
                }
            }
            NodeAutoscaler::Karpenter(k) => {
                self.karpenter_batch(&k);
                let ns = self.nodes.as_mut().expect("node layer");
                if ns.next_scan <= now {
                    ns.next_scan = now + k.disruption_poll_us;
                    self.karpenter_disrupt(&k);
                }
            }
            // Evaluated before the instant's other actions (node_metric_alarm).
            NodeAutoscaler::EcsManagedScaling(_) => {}
        }
    }

    /// ECS managed scaling's alarms, once a minute, on the state the minute
    /// ended with (before the scheduled actions and policies of this instant:
    /// CloudWatch publishes each minute's datapoint after the minute).
    pub(super) fn node_metric_alarm(&mut self) {
        let now = self.now;
        let ns = self.nodes.as_mut().expect("node layer");
        if let NodeAutoscaler::EcsManagedScaling(e) = ns.plan.autoscaler.clone()
            && ns.next_scan <= now
        {
            ns.next_scan = now + US_PER_MIN;
            self.ecs_scale(&e);
        }
    }

    fn unschedulable(&self) -> u32 {
        self.nodes.as_ref().map_or(0, |n| n.unsched_count)
    }

    /// Pods the launching nodes will take when Ready (the cluster autoscaler
    /// and Karpenter count in-flight capacity before adding more; neither
    /// knows a node will fail to register until it times out).
    fn upcoming_room(&self) -> u32 {
        let ns = self.nodes.as_ref().expect("node layer");
        let pod = ns.plan.pod;
        ns.nodes
            .iter()
            .filter(|n| n.state == NodeState::Launching && ns.hosts_service(n))
            .map(|n| n.free().fit_count(pod))
            .sum()
    }

    // ---------------------------------------------------------------- CA --

    /// One cluster-autoscaler loop (kubernetes/autoscaler
    /// `cluster-autoscaler/core/static_autoscaler.go` `RunOnce`): scale up for
    /// unschedulable pods; when nothing was added, track unneeded nodes and
    /// remove those unneeded long enough, outside the cool-downs.
    fn ca_scan(&mut self, ca: &CaPlan) {
        let now = self.now;
        if self.ca_scale_up(ca) {
            self.nodes.as_mut().expect("node layer").last_scale_up = Some(now);
            return;
        }
        let removable = self.ca_unneeded(ca);
        let ns = self.nodes.as_ref().expect("node layer");
        // core/scaledown: `isScaleDownInCooldown`.
        let after = |t: Option<u64>, d: u64| t.is_some_and(|t| now < t.saturating_add(d));
        if after(ns.last_scale_up, ca.delay_after_add_us)
            || after(ns.last_delete, ca.delay_after_delete_us)
            || after(ns.last_failure, ca.delay_after_failure_us)
        {
            return;
        }
        self.ca_scale_down(ca, &removable);
    }

    /// Scale-up (core/scaleup/orchestrator): for each node group, how many
    /// template nodes the pending pods need (first-fit decreasing on the
    /// group's first instance type, estimator/binpacking_estimator.go), capped
    /// at max; the expander picks one; balance_similar_node_groups spreads it.
    fn ca_scale_up(&mut self, ca: &CaPlan) -> bool {
        let now = self.now;
        let pending = self.unschedulable();
        if pending == 0 {
            return false;
        }
        let need = pending.saturating_sub(self.upcoming_room());
        if need == 0 {
            return false;
        }
        let ns = self.nodes.as_ref().expect("node layer");
        let (pod, ds) = (ns.plan.pod, ns.plan.daemonset);
        let mut options = Vec::new();
        for (g, gp) in ns.plan.groups.iter().enumerate() {
            let size = ns.group_size(g);
            if !gp.hosts_service || size >= gp.max || ns.backoff_until[g] > now {
                continue;
            }
            let p = ns.next_purchase(g);
            let t = &ns.plan.types[ns.group_type(g, p)];
            let room = t.allocatable.minus(ds);
            let per = room.fit_count(pod);
            if per == 0 {
                continue;
            }
            let nodes = need.div_ceil(per).min(gp.max - size);
            let pods = need.min(nodes * per);
            // expander/waste/waste.go: the template nodes' capacity (not
            // allocatable) against the scheduled pods' requests.
            let cap_cpu = u64::from(t.vcpu) * 1000 * u64::from(nodes);
            let cap_mem = (t.memory_gib * 1024.0).round() as u64 * u64::from(nodes);
            let used = pod.times(pods);
            let share = |u: u64, a: u64| {
                if a == 0 {
                    0.0
                } else {
                    (a - u.min(a)) as f64 / a as f64
                }
            };
            options.push(ScaleUpOption {
                group: g,
                nodes,
                pods,
                waste: share(used.cpu_milli, cap_cpu) + share(used.mem_mib, cap_mem),
                usd_per_pod_hour: t.price(p) * f64::from(nodes) / f64::from(pods),
            });
        }
        if options.is_empty() {
            return false;
        }
        let (chosen, why) = self.expand(ca.expander, &options);
        let o = options[chosen].clone();
        // Balance: the new nodes go one by one to the smallest similar group
        // (same instance types and capacity type) with room.
        let ns = self.nodes.as_ref().expect("node layer");
        let gp = &ns.plan.groups[o.group];
        let similar: Vec<usize> = if ca.balance_similar_node_groups {
            (0..ns.plan.groups.len())
                .filter(|&h| {
                    let hp = &ns.plan.groups[h];
                    hp.hosts_service
                        && hp.types == gp.types
                        && hp.capacity_type == gp.capacity_type
                        && ns.backoff_until[h] <= now
                })
                .collect()
        } else {
            vec![o.group]
        };
        let mut sizes: Vec<u32> = similar.iter().map(|&h| ns.group_size(h)).collect();
        let mut adds = vec![0u32; similar.len()];
        for _ in 0..o.nodes {
            let pick = (0..similar.len())
                .filter(|&i| sizes[i] < ns.plan.groups[similar[i]].max)
                .min_by_key(|&i| (sizes[i], i));
            let Some(i) = pick else { break };
            sizes[i] += 1;
            adds[i] += 1;
        }
        for (i, &g) in similar.iter().enumerate() {
            if adds[i] == 0 {
                continue;
            }
            let from = self.nodes.as_ref().expect("node layer").group_size(g);
            for _ in 0..adds[i] {
                self.launch_in_group(g, false, "scale-up: pods unschedulable");
            }
            let name = self.group_name(g as u32);
            let to = from + adds[i];
            self.record_scaling(
                "cluster-autoscaler",
                from,
                to,
                to,
                format!(
                    "scale-up of node group {name} {from} -> {to}: {pending} pods unschedulable ({need} beyond the nodes already launching); {}{}",
                    why,
                    if similar.len() > 1 { "; balanced over similar node groups" } else { "" }
                ),
            );
        }
        true
    }

    /// The expander's choice among the options, and why.
    fn expand(&mut self, e: Expander, options: &[ScaleUpOption]) -> (usize, String) {
        // Every expander keeps the options scoring best (lowest key here).
        let best = |key: &dyn Fn(&ScaleUpOption) -> f64| -> Vec<usize> {
            let m = options.iter().map(key).fold(f64::INFINITY, f64::min);
            (0..options.len())
                .filter(|&i| key(&options[i]) <= m + 1e-12)
                .collect()
        };
        let groups = &self.nodes.as_ref().expect("node layer").plan.groups;
        let best: Vec<usize> = match e {
            Expander::Random => (0..options.len()).collect(),
            Expander::MostPods => best(&|o| -f64::from(o.pods)),
            Expander::LeastWaste => best(&|o| o.waste),
            Expander::Price => best(&|o| o.usd_per_pod_hour),
            Expander::Priority => best(&|o| -f64::from(groups[o.group].priority)),
        };
        // Ties (and the random expander) are broken at random, as upstream's
        // fallback to `random` does; seeded, so runs repeat.
        let i = if best.len() == 1 {
            best[0]
        } else {
            let ns = self.nodes.as_mut().expect("node layer");
            best[ns.choice_rng.random_range(0..best.len())]
        };
        let o = &options[i];
        let why = match e {
            Expander::Random => format!(
                "expander random picked {} of {} groups",
                i + 1,
                options.len()
            ),
            Expander::MostPods => {
                format!("expander most-pods: {} pods on {} nodes", o.pods, o.nodes)
            }
            Expander::LeastWaste => format!(
                "expander least-waste: waste {:.3} (unused CPU + memory shares) on {} nodes",
                o.waste, o.nodes
            ),
            Expander::Price => format!(
                "expander price: ${:.6} per pod-hour on {} nodes",
                o.usd_per_pod_hour, o.nodes
            ),
            Expander::Priority => format!("expander priority: {} nodes", o.nodes),
        };
        (i, why)
    }

    /// Unneeded nodes (core/scaledown/eligibility and unneeded): Ready, their
    /// group above min, requests below the threshold of allocatable (CPU and
    /// memory both), and their pods fit on the other nodes (simulated first
    /// fit, each found node's pods reserved for the next). Returns the flags.
    fn ca_unneeded(&mut self, ca: &CaPlan) -> Vec<bool> {
        let now = self.now;
        let ns = self.nodes.as_mut().expect("node layer");
        let count = ns.nodes.len();
        let mut free: Vec<Res> = ns.nodes.iter().map(|n| n.free()).collect();
        let mut removable = vec![false; count];
        let mut group_left: Vec<u32> = (0..ns.plan.groups.len())
            .map(|g| ns.group_size(g))
            .collect();
        let pod = ns.plan.pod;
        for i in 0..count {
            let n = &ns.nodes[i];
            let eligible = n.state == NodeState::Ready
                && n.group != NO_GROUP
                && group_left[n.group as usize] > ns.plan.groups[n.group as usize].min;
            let util = {
                let a = n.allocatable;
                let r = |u: u64, c: u64| if c == 0 { 1.0 } else { u as f64 / c as f64 };
                r(n.used.cpu_milli, a.cpu_milli).max(r(n.used.mem_mib, a.mem_mib))
            };
            let mut ok = eligible && util < ca.utilization_threshold;
            if ok {
                // Its pods must fit elsewhere (not on nodes found removable).
                let mut trial = free.clone();
                let mut except = removable.clone();
                except[i] = true;
                let draining_here = n.service_pods;
                for _ in 0..draining_here {
                    if ns.first_fit(&mut trial, pod, None, true, &except).is_none() {
                        ok = false;
                        break;
                    }
                }
                if ok {
                    for &k in &n.others {
                        let o = &ns.plan.other_pods[k as usize];
                        if ns
                            .first_fit(&mut trial, o.request, o.group, false, &except)
                            .is_none()
                        {
                            ok = false;
                            break;
                        }
                    }
                }
                if ok {
                    free = trial;
                    removable[i] = true;
                    group_left[n.group as usize] -= 1;
                }
            }
            let n = &mut ns.nodes[i];
            if ok {
                n.unneeded_since.get_or_insert(now);
            } else {
                n.unneeded_since = None;
            }
        }
        removable
    }

    /// Removes nodes unneeded for `unneeded_time`: empty ones in bulk (up to
    /// max_empty_bulk_delete), otherwise one non-empty node, its pods evicted.
    fn ca_scale_down(&mut self, ca: &CaPlan, removable: &[bool]) {
        let now = self.now;
        let ns = self.nodes.as_ref().expect("node layer");
        let due = |i: usize| {
            removable[i]
                && ns.nodes[i]
                    .unneeded_since
                    .is_some_and(|t| now.saturating_sub(t) >= ca.unneeded_time_us)
        };
        let empty: Vec<usize> = (0..ns.nodes.len())
            .filter(|&i| due(i) && ns.nodes[i].empty())
            .take(ca.max_empty_bulk_delete as usize)
            .collect();
        let chosen = if empty.is_empty() {
            (0..ns.nodes.len()).find(|&i| due(i)).into_iter().collect()
        } else {
            empty
        };
        if chosen.is_empty() {
            return;
        }
        for i in chosen {
            let ns = self.nodes.as_ref().expect("node layer");
            let n = &ns.nodes[i];
            let g = n.group;
            let from = ns.group_size(g as usize);
            let a = n.allocatable;
            let why = format!(
                "node {i} ({}) unneeded for {:.0} s: requests {:.0} % CPU, {:.0} % memory of allocatable (threshold {:.0} %){}",
                ns.plan.types[n.ty].name,
                (now - n.unneeded_since.unwrap_or(now)) as f64 / US_PER_SEC as f64,
                n.used.cpu_milli as f64 * 100.0 / a.cpu_milli.max(1) as f64,
                n.used.mem_mib as f64 * 100.0 / a.mem_mib.max(1) as f64,
                ca.utilization_threshold * 100.0,
                if n.empty() {
                    String::new()
                } else {
                    format!("; {} pods evicted", n.service_pods + n.others.len() as u32)
                }
            );
            self.delete_node(i as u32, "scale-down: unneeded".into());
            let name = self.group_name(g);
            self.record_scaling(
                "cluster-autoscaler",
                from,
                from - 1,
                from - 1,
                format!(
                    "scale-down of node group {name} {from} -> {}: {why}",
                    from - 1
                ),
            );
        }
        self.nodes.as_mut().expect("node layer").last_delete = Some(now);
    }

    // --------------------------------------------------------- Karpenter --

    /// The cheapest allowed (instance type, capacity type) that holds `need`:
    /// spot first when the NodePool allows it and a spot price is known.
    pub(super) fn karpenter_type(&self, need: Res) -> Option<(usize, Purchase)> {
        let ns = self.nodes.as_ref().expect("node layer");
        let NodeAutoscaler::Karpenter(k) = &ns.plan.autoscaler else {
            return None;
        };
        let cheapest = |p: Purchase| {
            k.types
                .iter()
                .copied()
                .filter(|&t| {
                    let ty = &ns.plan.types[t];
                    ty.allocatable.holds(need) && (p == Purchase::OnDemand || ty.spot_usd.is_some())
                })
                .min_by(|&a, &b| {
                    let (pa, pb) = (ns.plan.types[a].price(p), ns.plan.types[b].price(p));
                    pa.partial_cmp(&pb).expect("finite").then(a.cmp(&b))
                })
        };
        if k.spot
            && let Some(t) = cheapest(Purchase::Spot)
        {
            return Some((t, Purchase::Spot));
        }
        if k.on_demand {
            return cheapest(Purchase::OnDemand).map(|t| (t, Purchase::OnDemand));
        }
        None
    }

    /// Karpenter's provisioner (pkg/controllers/provisioning): pending pods
    /// open a batch that closes after `batch_idle_s` without a new pod or
    /// `batch_max_s` in all; then the pods the launching nodes cannot take
    /// are packed into bins as large as the largest allowed type holds, and
    /// each bin gets the cheapest type that fits it.
    fn karpenter_batch(&mut self, k: &KarpenterPlan) {
        let now = self.now;
        let pending = self.unschedulable();
        let ns = self.nodes.as_mut().expect("node layer");
        if pending == 0 {
            ns.batch = None;
            ns.batch_seen = 0;
            return;
        }
        match ns.batch {
            None => {
                ns.batch = Some((now, now));
                ns.batch_seen = pending;
                return;
            }
            Some((first, _)) if pending > ns.batch_seen => {
                ns.batch = Some((first, now));
                ns.batch_seen = pending;
            }
            _ => {}
        }
        let (first, last) = ns.batch.expect("open");
        if now < (last + k.batch_idle_us).min(first + k.batch_max_us) {
            return;
        }
        ns.batch = None;
        ns.batch_seen = 0;
        let need = pending.saturating_sub(self.upcoming_room());
        if need == 0 {
            return;
        }
        let ns = self.nodes.as_ref().expect("node layer");
        let (pod, ds) = (ns.plan.pod, ns.plan.daemonset);
        let largest = k
            .types
            .iter()
            .map(|&t| ns.plan.types[t].allocatable.minus(ds).fit_count(pod))
            .max()
            .unwrap_or(0);
        if largest == 0 {
            return;
        }
        let before = ns.group_size(NO_GROUP as usize);
        let mut left = need;
        let mut launched = Vec::new();
        while left > 0 {
            let bin = left.min(largest);
            let Some((ty, p)) = self.karpenter_type(ds.plus(pod.times(bin))) else {
                break;
            };
            let id = self.launch_node(
                NO_GROUP,
                ty,
                p,
                false,
                format!("provisioning: {bin} pending pods"),
            );
            launched.push(id);
            left -= bin;
        }
        if launched.is_empty() {
            return;
        }
        let ns = self.nodes.as_ref().expect("node layer");
        let what: Vec<String> = launched
            .iter()
            .map(|&id| {
                let n = &ns.nodes[id as usize];
                format!("{} {}", ns.plan.types[n.ty].name, n.purchase.as_str())
            })
            .collect();
        let after = before + launched.len() as u32;
        self.record_scaling(
            "karpenter",
            before,
            after,
            after,
            format!(
                "provisioning: {pending} pods pending ({need} beyond launching nodes); launched {} (cheapest fitting type)",
                what.join(", ")
            ),
        );
    }

    /// Karpenter's disruption controller (pkg/controllers/disruption): every
    /// poll, within the budget (nodes_pct of the NodePool's nodes, rounded
    /// up, minus those already being disrupted), one action: delete an empty
    /// node whose pods have not changed for consolidate_after; under
    /// WhenEmptyOrUnderutilized, delete a node whose pods fit on the others,
    /// or replace an on-demand node by a cheaper one that holds its pods.
    fn karpenter_disrupt(&mut self, k: &KarpenterPlan) {
        let now = self.now;
        let ns = self.nodes.as_ref().expect("node layer");
        let pool: Vec<usize> = (0..ns.nodes.len())
            .filter(|&i| ns.nodes[i].group == NO_GROUP)
            .collect();
        let total = pool
            .iter()
            .filter(|&&i| ns.nodes[i].state != NodeState::Gone)
            .count() as u64;
        let disrupting = pool
            .iter()
            .filter(|&&i| {
                let n = &ns.nodes[i];
                (n.state == NodeState::Deleting && !n.interrupted) || n.replaced_by.is_some()
            })
            .count() as u64;
        // pkg/apis/v1/nodepool.go `Budget.GetAllowedDisruptions`: a
        // percentage of the NodePool's nodes, rounded up.
        let allowed = (total * u64::from(k.budget_nodes_pct)).div_ceil(100);
        if disrupting >= allowed || ns.unsched_count > 0 {
            return;
        }
        let settled = |i: usize| {
            let n = &ns.nodes[i];
            n.state == NodeState::Ready
                && n.replaced_by.is_none()
                && now.saturating_sub(n.pods_changed_us) >= k.consolidate_after_us
        };
        // Emptiness first.
        if let Some(&i) = pool.iter().find(|&&i| settled(i) && ns.nodes[i].empty()) {
            let it = ns.plan.types[ns.nodes[i].ty].name.clone();
            let from = total as u32;
            self.delete_node(i as u32, "consolidation: empty".into());
            self.record_scaling(
                "karpenter",
                from,
                from - 1,
                from - 1,
                format!("consolidation (empty): node {i} ({it}) had no pods for consolidate_after"),
            );
            return;
        }
        if k.consolidation != ConsolidationPolicy::WhenEmptyOrUnderutilized {
            return;
        }
        // Underutilized: candidates with the fewest pods first (the cheapest to disrupt).
        let mut cands: Vec<usize> = pool.iter().copied().filter(|&i| settled(i)).collect();
        cands.sort_by_key(|&i| {
            (
                ns.nodes[i].service_pods + ns.nodes[i].others.len() as u32,
                i,
            )
        });
        let pod = ns.plan.pod;
        for i in cands {
            let n = &ns.nodes[i];
            let mut free: Vec<Res> = ns.nodes.iter().map(|m| m.free()).collect();
            let mut except = vec![false; ns.nodes.len()];
            except[i] = true;
            let fits_elsewhere = (0..n.service_pods)
                .all(|_| ns.first_fit(&mut free, pod, None, true, &except).is_some())
                && n.others.iter().all(|&o| {
                    let o = &ns.plan.other_pods[o as usize];
                    ns.first_fit(&mut free, o.request, o.group, false, &except)
                        .is_some()
                });
            let it = ns.plan.types[n.ty].name.clone();
            let from = total as u32;
            if fits_elsewhere {
                self.delete_node(i as u32, "consolidation: underutilized".into());
                self.record_scaling(
                    "karpenter",
                    from,
                    from - 1,
                    from - 1,
                    format!(
                        "consolidation (delete): node {i} ({it}); its pods fit on the other nodes"
                    ),
                );
                return;
            }
            if n.purchase == Purchase::Spot {
                continue; // spot-to-spot replacement is off by default upstream
            }
            let need = ns.plan.daemonset.plus(pod.times(n.service_pods));
            let need = n.others.iter().fold(need, |acc, &o| {
                acc.plus(ns.plan.other_pods[o as usize].request)
            });
            if let Some((ty, p)) = self.karpenter_type(need) {
                let ns = self.nodes.as_ref().expect("node layer");
                let (old, new) = (ns.nodes[i].price, ns.plan.types[ty].price(p));
                if new < old {
                    let nt = ns.plan.types[ty].name.clone();
                    let id = self.launch_node(
                        NO_GROUP,
                        ty,
                        p,
                        false,
                        format!("consolidation: replacing node {i}"),
                    );
                    self.nodes.as_mut().expect("node layer").nodes[i].replaced_by = Some(id);
                    self.record_scaling(
                        "karpenter",
                        from,
                        from,
                        from,
                        format!(
                            "consolidation (replace): node {i} ({it}, ${old}/h) by {nt} {} (${new}/h)",
                            p.as_str()
                        ),
                    );
                    return;
                }
            }
        }
    }

    // --------------------------------------------- ECS managed scaling --

    /// ECS cluster auto scaling: CapacityProviderReservation = M / N × 100
    /// (M: instances needed — those running tasks plus those the PROVISIONING
    /// tasks need; N: instances running), tracked at the target with
    /// target-tracking alarms (scale out after 1 minute above, scale in after
    /// 15 minutes below), steps clamped to the step sizes, scale-in only of
    /// instances without tasks (managed termination protection).
    fn ecs_scale(&mut self, e: &EcsPlan) {
        let now = self.now;
        let ns = self.nodes.as_ref().expect("node layer");
        let (pod, ds) = (ns.plan.pod, ns.plan.daemonset);
        let g = 0usize;
        let gp = &ns.plan.groups[g];
        let n_running = ns.group_size(g);
        let busy = ns
            .nodes
            .iter()
            .filter(|n| n.group == 0 && n.live() && !n.empty())
            .count() as u32;
        let pending = ns.unsched_count.saturating_sub(self.upcoming_room());
        let t = &ns.plan.types[gp.types[0]];
        let per = t.allocatable.minus(ds).fit_count(pod).max(1);
        let m = busy + pending.div_ceil(per);
        let cpr = if n_running == 0 {
            if m > 0 { 200.0 } else { 100.0 }
        } else {
            f64::from(m) * 100.0 / f64::from(n_running)
        };
        let target = f64::from(e.target_capacity_pct);
        let wanted = (f64::from(m) * 100.0 / target).ceil() as u32;
        let ns = self.nodes.as_mut().expect("node layer");
        if cpr > target {
            ns.ecs_low_minutes = 0;
            // Instances in warm-up already count toward N; do not add again
            // until the newest has warmed up.
            let warming = ns.nodes.iter().any(|n| {
                // Nodes running when the trace begins are not warming up.
                let launched_in_run = n.ready_us > n.launched_us;
                n.group == 0 && n.live() && launched_in_run && now < n.launched_us + e.warmup_us
            });
            if warming && pending == 0 {
                return;
            }
            let step = wanted
                .saturating_sub(n_running)
                .clamp(e.min_step, e.max_step);
            let to = (n_running + step).min(ns.plan.groups[g].max);
            if to > n_running {
                for _ in n_running..to {
                    self.launch_in_group(g, false, "managed scaling: scale-out");
                }
                self.record_scaling(
                    "ecs-managed-scaling",
                    n_running,
                    to,
                    wanted,
                    format!(
                        "CapacityProviderReservation {cpr:.0} % > target {target:.0} % (M = {m}, N = {n_running}): scale-out"
                    ),
                );
            }
        } else if cpr < target {
            ns.ecs_low_minutes += 1;
            if ns.ecs_low_minutes < 15 {
                return;
            }
            let floor = ns.plan.groups[g].min;
            let step = n_running
                .saturating_sub(wanted.max(floor))
                .clamp(0, e.max_step);
            let empty: Vec<usize> = (0..ns.nodes.len())
                .filter(|&i| {
                    let n = &ns.nodes[i];
                    n.group == 0 && n.state == NodeState::Ready && n.empty()
                })
                .take(step as usize)
                .collect();
            if empty.is_empty() {
                return;
            }
            ns.ecs_low_minutes = 0;
            let to = n_running - empty.len() as u32;
            for i in empty {
                self.delete_node(i as u32, "managed scaling: scale-in".into());
            }
            self.record_scaling(
                "ecs-managed-scaling",
                n_running,
                to,
                wanted,
                format!(
                    "CapacityProviderReservation {cpr:.0} % < target {target:.0} % for 15 minutes (M = {m}, N = {n_running}): scale-in of instances without tasks"
                ),
            );
        } else {
            ns.ecs_low_minutes = 0;
        }
    }
}
