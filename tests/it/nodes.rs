//! The node layer (DESIGN §9): packing by the EKS allocatable formula, the
//! cluster autoscaler on a step load, node billing to the cent, Karpenter's
//! choice of instance type and its consolidation, the least-waste expander,
//! and bad input. Expected numbers are derived by hand in the comments from
//! `pricing/instances.csv` and the formula in `model::cluster::allocatable`.

use super::meshsim;
use std::path::Path;

/// Runs `scenario` (TOML text) on `trace` (CSV text) in a temporary folder;
/// returns the folder and the run directory.
fn run(scenario: &str, trace: &str, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("s.toml"), scenario).unwrap();
    std::fs::write(tmp.path().join("t.csv"), trace).unwrap();
    let mut args = vec![
        "run",
        "s.toml",
        "--trace",
        "t.csv",
        "--arrivals",
        "uniform",
        "--out",
        "out",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let o = meshsim(&args, tmp.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = tmp.path().join("out");
    (tmp, out)
}

fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut rd = csv::Reader::from_path(path).unwrap();
    let head = rd.headers().unwrap().clone();
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            head.iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn summary(out: &Path) -> std::collections::HashMap<String, String> {
    rows(&out.join("summary.csv")).remove(0)
}

/// arrived = served + dropped + rejected + in flight, as summary.csv says.
fn assert_conserved(s: &std::collections::HashMap<String, String>) {
    let n = |k: &str| s[k].parse::<u64>().unwrap();
    assert_eq!(
        n("requests_arrived"),
        n("requests_served")
            + n("requests_dropped")
            + n("requests_rejected")
            + n("requests_in_flight")
    );
}

fn f(m: &std::collections::HashMap<String, String>, k: &str) -> f64 {
    m[k].parse().unwrap_or_else(|_| panic!("{k} = {:?}", m[k]))
}

/// (launched, ready, removed) seconds of each node, in node order.
fn node_times(out: &Path) -> Vec<(f64, Option<f64>, Option<f64>)> {
    rows(&out.join("nodes.csv"))
        .iter()
        .map(|r| {
            let o = |k: &str| (!r[k].is_empty()).then(|| r[k].parse::<f64>().unwrap());
            (
                r["launched_t_s"].parse().unwrap(),
                o("ready_t_s"),
                o("removed_t_s"),
            )
        })
        .collect()
}

const FIXED: &str = r#"[service]
concurrency = 10
service_time = { dist = "constant", mean_ms = 100 }
startup_s = 5
[capacity]
platform = "kubernetes"
cpu = 0.5
memory_gb = 1.0
[scaling]
min = 10
max = 10
[cluster]
autoscaler = "none"
[[cluster.node_groups]]
name = "workers"
instance_types = ["m5.large"]
min = 1
max = 10
desired = 1
"#;

#[test]
fn ten_half_core_pods_need_four_m5_large_nodes_or_three_with_nothing_reserved() {
    // m5.large allocatable (EKS AMI formula): 2000m − (6 % of the first core
    // + 1 % of the second = 70m) = 1930m; memory 8192 − ⌈8192 × 7.5 %⌉ − (255 +
    // 11 × 29) − 100 = 6903 MiB. A 500m / 1 GiB pod: 3 fit by CPU (1500m;
    // 2000m > 1930m), 6 by memory → 3 per node, ⌈10 / 3⌉ = 4 nodes, raised
    // from the desired 1 at t = 0 so the initial pods fit. Nothing reserved:
    // 2000m holds 4 → ⌈10 / 4⌉ = 3 nodes.
    let trace = "timestamp,rps\n0,1\n600,1\n";
    let (_t, out) = run(FIXED, trace, &[]);
    assert_eq!(node_times(&out).len(), 4);
    let s = summary(&out);
    assert_eq!(s["nodes_max"], "4");
    // Requests 10 × 500m = 5000m of 4 × 1930m = 7720m: 64.77 % CPU; memory
    // 10 GiB of 4 × 6903 MiB: 37.09 %; the larger is the summary's figure.
    assert!((f(&s, "request_utilization_mean") - 5000.0 / 7720.0).abs() < 1e-6);
    let none = FIXED.replace(
        "autoscaler = \"none\"",
        "autoscaler = \"none\"\nreserved = \"none\"",
    );
    let (_t, out) = run(&none, trace, &[]);
    assert_eq!(node_times(&out).len(), 3);
}

#[test]
fn a_fixed_cluster_bills_nodes_and_control_plane_to_the_cent() {
    // 3 m5.large on demand for 2 h: 3 × 2 × $0.096 = $0.576; the EKS control
    // plane $0.10 per cluster-hour: $0.20; total $0.776.
    let sc = FIXED
        .replace("min = 10\nmax = 10", "min = 2\nmax = 2")
        .replace("desired = 1", "desired = 3");
    let (_t, out) = run(&sc, "timestamp,rps\n0,1\n3600,1\n", &[]);
    let s = summary(&out);
    assert_eq!(s["cost_nodes_usd"], "0.576000");
    assert_eq!(s["cost_compute_usd"], "0.576000");
    assert_eq!(s["cost_control_plane_usd"], "0.200000");
    assert_eq!(s["cost_total_usd"], "0.776000");
    assert_eq!(s["node_hours_on_demand"], "6.000000");
    // nodes.csv's costs add up to the summary's, and the timeline's last row
    // carries the same cumulative cost.
    let per_node: f64 = rows(&out.join("nodes.csv"))
        .iter()
        .map(|r| r["cost_usd"].parse::<f64>().unwrap())
        .sum();
    assert!((per_node - 0.576).abs() < 1e-9);
    let tl = rows(&out.join("timeline.csv"));
    let last = tl.last().unwrap();
    assert_eq!(last["cost_total_usd"], "0.776000");
    assert_eq!(last["nodes_total"], "3");
}

#[test]
fn a_mixed_group_follows_the_on_demand_base_and_percentage() {
    // MixedInstancesPolicy, base 1 and 50 % on demand above it, 4 nodes in
    // launch order: #1 base → on demand; #2 above = 1, want ⌈50 % × 1⌉ = 1 on
    // demand, have 0 → on demand; #3 above = 2, want 1, have 1 → spot; #4
    // above = 3, want ⌈1.5⌉ = 2, have 1 → on demand. Per hour 3 × $0.096 +
    // $0.0537 (m5.large spot) = $0.3417; over 2 h $0.6834, of which spot $0.1074.
    let sc = FIXED
        .replace("min = 10\nmax = 10", "min = 2\nmax = 2")
        .replace(
            "desired = 1",
            "desired = 4\ncapacity_type = \"mixed\"\non_demand_base = 1\non_demand_percentage_above_base = 50\ninterruptions_per_hour = 0",
        );
    let (_t, out) = run(&sc, "timestamp,rps\n0,1\n3600,1\n", &[]);
    let purchase: Vec<String> = rows(&out.join("nodes.csv"))
        .iter()
        .map(|r| r["purchase_option"].clone())
        .collect();
    assert_eq!(purchase, ["on_demand", "on_demand", "spot", "on_demand"]);
    let s = summary(&out);
    assert_eq!(s["cost_nodes_usd"], "0.683400");
    assert_eq!(s["cost_compute_spot_usd"], "0.107400");
    assert_eq!(s["node_hours_spot"], "2.000000");
}

/// The HPA of `autoscaling::hpa_behavior_policies_allow_this_replica_sequence_on_a_step_load`:
/// pods 1 → 2 (315 s) → 4 (375 s) → 8 (435 s), and after the load drops
/// 8 → 4 (1500 s) → 2 (1560 s) → 1 (1620 s). Each pod (1 vCPU, 1 GiB) fills
/// an m5.large (1930m allocatable: one pod per node).
const STEP_HPA: &str = r#"[service]
concurrency = 2
service_time = { dist = "constant", mean_ms = 100 }
startup_s = 5
timeout_ms = 120000
[capacity]
platform = "PLATFORM"
cpu = 1.0
memory_gb = 2.0
[scaling]
min = 1
max = 10
[scaling.hpa]
metrics = [ { type = "External", external = { metric = { name = "requests" }, target = { type = "AverageValue", averageValue = "5" } } } ]
behavior = { scaleUp = { policies = [ { type = "Percent", value = 100, periodSeconds = 60 } ] }, scaleDown = { stabilizationWindowSeconds = 300, policies = [ { type = "Percent", value = 50, periodSeconds = 60 } ] } }
metric_sources = { requests = "rps" }
metrics_window_s = 15
"#;

const STEP_TRACE: &str = "timestamp,rps\n0,4\n300,40\n1200,4\n2400,4\n";

#[test]
fn a_step_load_waits_for_nodes_and_the_cluster_autoscaler_removes_them_later() {
    // Cluster autoscaler: scan every 10 s, nodes Ready 60 s after launch
    // (constant), unneeded after 120 s, no scale-down within 300 s of a scale-up.
    //  315 s: the HPA's 2nd pod is unschedulable; scan at 320: group 1 → 2;
    //         node 1 Ready at 380, the pod placed (Ready at 385).
    //  375 s: pods 3-4 unschedulable; scan at 380 (node 1 just took pod 2):
    //         2 pending → 2 → 4; nodes 2-3 Ready at 440.
    //  435 s: pods 5-8; scan at 440 (nodes 2-3 took pods 3-4): 4 → 8; Ready at 500.
    // Scale-down: pods go newest first (ReplicaSet order), emptying nodes 4-7
    // at 1500 s (the scan at 1500 runs after the HPA's sync), nodes 2-3 at
    // 1560 and node 1 at 1620. Empty = 0 % requested < 50 %, and the pods of
    // an empty node fit anywhere: unneeded from then; removed 120 s later —
    // 1620, 1680, 1740 — all long after 440 + 300 s. Node 0 stays (min 1).
    let eks = STEP_HPA.replace("PLATFORM", "kubernetes")
        + r#"[cluster]
provisioning_s = 60
[[cluster.node_groups]]
name = "workers"
instance_types = ["m5.large"]
min = 1
max = 10
desired = 1
[cluster.cluster_autoscaler]
expander = "most-pods"
scale_down_unneeded_time_s = 120
scale_down_delay_after_add_s = 300
"#;
    let (_t, out) = run(&eks, STEP_TRACE, &[]);
    let ca: Vec<(f64, u32, u32)> = rows(&out.join("scaling.csv"))
        .iter()
        .filter(|r| r["autoscaler"] == "cluster-autoscaler")
        .map(|r| {
            (
                r["t_s"].parse().unwrap(),
                r["from"].parse().unwrap(),
                r["to"].parse().unwrap(),
            )
        })
        .collect();
    let up: Vec<_> = ca.iter().filter(|e| e.2 > e.1).copied().collect();
    assert_eq!(up, [(320.0, 1, 2), (380.0, 2, 4), (440.0, 4, 8)]);
    let times = node_times(&out);
    let expect = [
        (0.0, Some(0.0), None),
        (320.0, Some(380.0), Some(1740.0)),
        (380.0, Some(440.0), Some(1680.0)),
        (380.0, Some(440.0), Some(1680.0)),
        (440.0, Some(500.0), Some(1620.0)),
        (440.0, Some(500.0), Some(1620.0)),
        (440.0, Some(500.0), Some(1620.0)),
        (440.0, Some(500.0), Some(1620.0)),
    ];
    assert_eq!(times, expect);
    // Pods waited for nodes: pod 2 from 315 to 380, pods 3-4 from 375 to
    // 440, pods 5-8 from 435 to 500: 65 + 2 × 65 + 4 × 65 = 455 pod-seconds.
    let s = summary(&out);
    assert_eq!(s["pods_unschedulable_seconds"], "455.000");
    // The same scenario priced as Fargate pods starts them 5 s after the HPA
    // asks: during the wait the queue grows on the node layer and p95 is higher.
    let fargate = STEP_HPA.replace("PLATFORM", "fargate");
    let (_t, fout) = run(&fargate, STEP_TRACE, &[]);
    let p95 = |out: &Path| -> f64 {
        rows(&out.join("timeline.csv"))
            .iter()
            .filter(|r| (360..540).contains(&r["t_s"].parse::<u64>().unwrap()))
            .filter_map(|r| r["latency_p95_ms"].parse::<f64>().ok())
            .fold(0.0, f64::max)
    };
    let (on_nodes, on_fargate) = (p95(&out), p95(&fout));
    assert!(on_nodes > 2.0 * on_fargate, "{on_nodes} vs {on_fargate}");
    // Both served every request or still hold it: conservation.
    for o in [&out, &fout] {
        assert_conserved(&summary(o));
    }
}

#[test]
fn least_waste_picks_the_group_a_hand_computation_picks() {
    // Two groups, 3 pods (1 vCPU, 3 GiB) pending at the scan. Pods per node
    // by allocatable: m5.large (1930m, 6903 MiB) 1; m5.xlarge (3920m, 14162
    // MiB) 3. Waste as expander/waste/waste.go `BestOption` computes it:
    // unused share of the new nodes' capacity (CPU + memory) after the pods'
    // requests.
    //  small: 3 × m5.large = 6000m, 24576 MiB: (6000 − 3000) / 6000 = 0.5
    //    + (24576 − 9216) / 24576 = 0.625 → 1.125.
    //  large: 1 × m5.xlarge = 4000m, 16384 MiB: 0.25 + 0.4375 → 0.6875.
    // least-waste takes `large`.
    let sc = r#"[service]
concurrency = 10
service_time = { dist = "constant", mean_ms = 100 }
[capacity]
platform = "kubernetes"
cpu = 1.0
memory_gb = 3.0
[scaling]
min = 0
max = 3
[cluster]
provisioning_s = 30
[[cluster.node_groups]]
name = "small"
instance_types = ["m5.large"]
min = 0
max = 10
desired = 0
[[cluster.node_groups]]
name = "large"
instance_types = ["m5.xlarge"]
min = 0
max = 10
desired = 0
[cluster.cluster_autoscaler]
expander = "least-waste"
"#;
    // The 3 pods appear at 00:01 (a scheduled action; the 23:30 action before
    // the trace keeps none at the start), so the scan at 60 s sees them.
    let sc = sc.to_string()
        + "[[scaling.schedule]]\nname = \"none\"\ncron = \"30 23 * * *\"\ndesired = 0\n"
        + "[[scaling.schedule]]\nname = \"three\"\ncron = \"1 0 * * *\"\ndesired = 3\n";
    let (_t, out) = run(
        &sc,
        "timestamp,rps\n2025-01-01T00:00:00Z,1\n2025-01-01T00:10:00Z,1\n",
        &[],
    );
    let ca: Vec<_> = rows(&out.join("scaling.csv"))
        .into_iter()
        .filter(|r| r["autoscaler"] == "cluster-autoscaler")
        .collect();
    assert_eq!(ca.len(), 1, "{ca:?}");
    assert!(
        ca[0]["reason"].contains("node group large 0 -> 1"),
        "{}",
        ca[0]["reason"]
    );
    assert!(
        ca[0]["reason"].contains("waste 0.688"),
        "{}",
        ca[0]["reason"]
    );
    assert_eq!(ca[0]["t_s"], "60.000");
}

#[test]
fn karpenter_launches_the_cheapest_fitting_type_and_consolidates_empty_nodes() {
    // Pods of 1 vCPU / 3 GiB; NodePool types m5.xlarge, m5.large, c5.large,
    // spot only. Allocatable: c5.large 1930m, 4096 − 308 − 574 − 100 = 3114Mi
    // (one pod); m5.large 1930m / 6903Mi (one pod); m5.xlarge 3920m /
    // 14162Mi (three pods). Spot prices (2023-08-30 snapshot): c5.large
    // $0.0417, m5.large $0.0537, m5.xlarge $0.0792.
    //  At t = 0 the first pod needs a node: the cheapest holding one is c5.large.
    //  315 s: pod 2 pending; the batch closes 1 s later (batch_idle_s): one
    //    bin of 1 pod → c5.large at 316 (Ready at 376).
    //  375 s: pods 3-4 pending (pod 2 still waits); at 376 the c5.large is
    //    Ready and takes pod 2, then the batch closes: a bin of 2 pods
    //    (2000m) → only m5.xlarge holds it, launched at 376.
    //  435 s: pods 5-8; at 436 that m5.xlarge is Ready and takes pods 3, 4
    //    and 5; the batch closes on 3 pending → one bin of 3 → m5.xlarge.
    let sc = STEP_HPA
        .replace("PLATFORM", "kubernetes")
        .replace("memory_gb = 2.0", "memory_gb = 3.0")
        + r#"[cluster]
autoscaler = "karpenter"
provisioning_s = 60
[cluster.karpenter]
instance_types = ["m5.xlarge", "m5.large", "c5.large"]
capacity_types = ["spot"]
consolidation_policy = "WhenEmpty"
consolidate_after_s = 30
interruptions_per_hour = 0
"#;
    let (_t, out) = run(&sc, STEP_TRACE, &[]);
    let nodes = rows(&out.join("nodes.csv"));
    let launched: Vec<(f64, &str)> = nodes
        .iter()
        .map(|r| {
            (
                r["launched_t_s"].parse().unwrap(),
                r["instance_type"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        launched,
        [
            (0.0, "c5.large"),
            (316.0, "c5.large"),
            (376.0, "m5.xlarge"),
            (436.0, "m5.xlarge"),
        ]
    );
    assert!(nodes.iter().all(|r| r["purchase_option"] == "spot"));
    // Scale-in follows the ReplicaSet ranking: pods on the node with the
    // most of the service's pods first, newest first among equals. Pods 1,
    // 2, 3-5 and 6-8 sit on nodes 0-3. At 1500 s (8 → 4): pod 8 (node 3,
    // 3 pods, newest), pod 5 (node 2 now has more), pod 7, pod 4 — no node
    // empties. At 1560 (4 → 2) every node holds one: the newest, pods 6 and
    // 3, go, emptying nodes 3 and 2; at 1620 (2 → 1) pod 2, emptying node 1.
    // The disruption controller polls every 10 s and deletes an empty node
    // whose pods have not changed for consolidate_after (30 s), one per poll
    // within the budget (10 % of the 4 nodes, rounded up: 1): node 2 at 1590,
    // node 3 at 1600, node 1 at 1650.
    let removed: Vec<Option<f64>> = node_times(&out).iter().map(|t| t.2).collect();
    assert_eq!(removed, [None, Some(1650.0), Some(1590.0), Some(1600.0)]);
}

fn invalid(scenario: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("bad.toml"), scenario).unwrap();
    let o = meshsim(&["validate", "bad.toml"], tmp.path());
    assert!(!o.status.success());
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn bad_node_input_names_file_line_and_key() {
    let base = "[capacity]\nplatform = \"kubernetes\"\ncpu = 8.0\nmemory_gb = 1.0\n[cluster]\n[[cluster.node_groups]]\nname = \"agents\"\ninstance_types = [\"t3.large\"]\nmin = 1\nmax = 3\n";
    // A pod larger than any allowed node: t3.large allocatable 2000 − 70 = 1930m.
    let e = invalid(base);
    assert!(
        e.contains("bad.toml:8: key `cluster.node_groups[0].instance_types`")
            && e.contains("a pod requesting 8 vCPU and 1 GiB fits no instance type of node group `agents` (t3.large: 1.93 vCPU"),
        "{e}"
    );
    // min > max.
    let e = invalid(
        &base
            .replace("cpu = 8.0", "cpu = 0.5")
            .replace("min = 1\nmax = 3", "min = 4\nmax = 3"),
    );
    assert!(
        e.contains(
            "bad.toml:9: key `cluster.node_groups[0].min`: node group `agents`: min 4 > max 3"
        ),
        "{e}"
    );
    // An unknown expander, with did-you-mean.
    let e = invalid(
        &(base.replace("cpu = 8.0", "cpu = 0.5")
            + "[cluster.cluster_autoscaler]\nexpander = \"least_waste\"\n"),
    );
    assert!(
        e.contains(
            "bad.toml:12: key `cluster.cluster_autoscaler.expander`: unknown expander `least_waste`"
        ) && e.contains("did you mean `least-waste`?"),
        "{e}"
    );
    // An unknown instance type, with did-you-mean.
    let e = invalid(
        &base
            .replace("cpu = 8.0", "cpu = 0.5")
            .replace("t3.large", "t3.lage"),
    );
    assert!(
        e.contains("unknown instance type `t3.lage`") && e.contains("did you mean `t3.large`?"),
        "{e}"
    );
    // Kubernetes without [cluster].
    let e = invalid("[capacity]\nplatform = \"kubernetes\"\ncpu = 0.5\nmemory_gb = 1.0\n");
    assert!(
        e.contains("bad.toml:2: key `capacity.platform`") && e.contains("has no `[cluster]`"),
        "{e}"
    );
    // The Diagnyx document's 512 MB task on a t4g.nano.
    let e = invalid(
        "extends = \"diagnyx-dev\"\n[cluster]\nnode_groups = [ { name = \"ecs\", instance_types = [\"t4g.nano\"], min = 0, max = 1, desired = 0 } ]\n",
    );
    assert!(
        e.contains("fits no instance type")
            && e.contains("smallest change that works: instance type `t4g.micro`"),
        "{e}"
    );
}

#[test]
fn spot_nodes_are_reclaimed_two_minutes_after_the_notice_and_replaced() {
    // A spot group of 2 m5.large under no autoscaler, 2 interruption notices
    // per node-hour for 4 hours: each notice evicts the node's pods (they are
    // re-created on the other node or wait), the instance is reclaimed 120 s
    // later (work still in flight there is dropped) and the Auto Scaling
    // group launches a replacement then. Requests are conserved throughout.
    let sc = FIXED
        .replace("min = 10\nmax = 10", "min = 2\nmax = 2")
        .replace("cpu = 0.5", "cpu = 0.25")
        .replace(
            "desired = 1",
            "desired = 2\ncapacity_type = \"spot\"\ninterruptions_per_hour = 2",
        );
    let trace = "timestamp,rps\n0,20\n3600,20\n7200,20\n10800,20\n";
    let (_t, out) = run(&sc, trace, &[]);
    let notices: Vec<(f64, u32)> = rows(&out.join("scaling.csv"))
        .iter()
        .filter(|r| r["reason"].starts_with("spot interruption notice for node"))
        .map(|r| {
            let n = r["reason"]["spot interruption notice for node ".len()..]
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (r["t_s"].parse().unwrap(), n)
        })
        .collect();
    assert!(notices.len() >= 4, "{notices:?}");
    let nodes = rows(&out.join("nodes.csv"));
    for (t, n) in &notices {
        let r = &nodes[*n as usize];
        let removed: f64 = r["removed_t_s"].parse().unwrap();
        assert!((removed - (t + 120.0)).abs() < 1e-3, "{r:?} notice at {t}");
        assert!(r["reason"].ends_with("removed: spot interruption"), "{r:?}");
        // The replacement is launched when the instance is reclaimed.
        assert!(
            nodes
                .iter()
                .any(|m| m["launched_t_s"] == r["removed_t_s"]
                    && m["reason"].starts_with("replacement")),
            "no replacement for {r:?}"
        );
    }
    let s = summary(&out);
    assert_conserved(&s);
    assert_eq!(s["node_hours_on_demand"], "0.000000");
}

#[test]
fn karpenter_replaces_an_underutilized_node_by_a_cheaper_one() {
    // On-demand NodePool of m5.xlarge ($0.192) and m5.large ($0.096); pods
    // of 1 vCPU / 1 GiB (m5.large holds 1, m5.xlarge 3). No pod at the start;
    // 3 wanted from 00:01 (one batch → one bin of 3 → m5.xlarge, launched at
    // 61 s after the 1 s batch window, Ready at 121 s), 1 from 00:10.
    // At 600 s two pods go; the last one's node has not changed for
    // consolidate_after (30 s) at the 630 s poll. Its pod fits on no other
    // node, so WhenEmptyOrUnderutilized replaces the node: the cheapest type
    // holding the pod, m5.large at $0.096 < $0.192, is launched at 630 and,
    // Ready at 690, the m5.xlarge is deleted (its pod re-created there).
    let sc = r#"[service]
concurrency = 10
service_time = { dist = "constant", mean_ms = 100 }
startup_s = 5
[capacity]
platform = "kubernetes"
cpu = 1.0
memory_gb = 1.0
[scaling]
min = 0
max = 3
[[scaling.schedule]]
name = "none"
cron = "30 23 * * *"
desired = 0
[[scaling.schedule]]
name = "three"
cron = "1 0 * * *"
desired = 3
[[scaling.schedule]]
name = "one"
cron = "10 0 * * *"
desired = 1
[cluster]
autoscaler = "karpenter"
provisioning_s = 60
[cluster.karpenter]
instance_types = ["m5.xlarge", "m5.large"]
capacity_types = ["on-demand"]
consolidation_policy = "WhenEmptyOrUnderutilized"
consolidate_after_s = 30
"#;
    let (_t, out) = run(
        sc,
        "timestamp,rps\n2025-01-01T00:00:00Z,1\n2025-01-01T00:20:00Z,1\n",
        &[],
    );
    let nodes = rows(&out.join("nodes.csv"));
    let got: Vec<(&str, &str, &str, &str)> = nodes
        .iter()
        .map(|r| {
            (
                r["instance_type"].as_str(),
                r["launched_t_s"].as_str(),
                r["ready_t_s"].as_str(),
                r["removed_t_s"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("m5.xlarge", "61.000", "121.000", "690.000"),
            ("m5.large", "630.000", "690.000", ""),
        ]
    );
    assert!(nodes[0]["reason"].ends_with("removed: consolidation: replaced by a cheaper node"));
    let s = summary(&out);
    // Billed: m5.xlarge 629 s × $0.192/h + m5.large (2400 − 630) s × $0.096/h
    // (still running at the end of the 40-minute trace: no minimum applies).
    let expect = 629.0 * 0.192 / 3600.0 + 1770.0 * 0.096 / 3600.0;
    assert!(
        (f(&s, "cost_nodes_usd") - expect).abs() < 1e-6,
        "{}",
        s["cost_nodes_usd"]
    );
}

#[test]
fn a_deployment_manifest_gives_the_pods_requests_and_initial_replicas() {
    use meshsim::billing::PriceBook;
    use meshsim::model::cluster::Res;
    // The document's conductor Deployment: requests 250m / 512Mi, replicas 2.
    let st = meshsim::scenario::resolve("i2s-staging", &[], &[], &PriceBook::builtin()).unwrap();
    let c = st.cluster.as_ref().unwrap();
    assert_eq!(c.pod, Res::pod(0.25, 0.5));
    assert_eq!(st.initial_replicas, Some(2));
    // Two containers (an app and a sidecar) are summed: 250m + 100m, 512Mi + 128Mi.
    let tmp = tempfile::tempdir().unwrap();
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 4\n  template:\n    spec:\n      containers:\n      - name: app\n        resources:\n          requests:\n            cpu: 250m\n            memory: 512Mi\n      - name: proxy\n        resources:\n          requests:\n            cpu: \"0.1\"\n            memory: 128Mi\n";
    std::fs::write(tmp.path().join("d.yaml"), deploy).unwrap();
    let sc = "[capacity]\nplatform = \"kubernetes\"\ndeployment = \"d.yaml\"\n[scaling]\nmin = 1\nmax = 10\n[cluster]\nautoscaler = \"none\"\n[[cluster.node_groups]]\nname = \"w\"\ninstance_types = [\"m5.large\"]\nmin = 1\nmax = 3\n";
    std::fs::write(tmp.path().join("s.toml"), sc).unwrap();
    let path = tmp.path().join("s.toml");
    let s = meshsim::scenario::resolve(path.to_str().unwrap(), &[], &[], &PriceBook::builtin())
        .unwrap();
    assert_eq!(s.cluster.as_ref().unwrap().pod, Res::pod(0.35, 0.625));
    assert_eq!(s.initial_replicas, Some(4));
    // A container without requests is an error naming it.
    std::fs::write(
        tmp.path().join("d.yaml"),
        deploy.replace("            cpu: \"0.1\"\n", ""),
    )
    .unwrap();
    let e = meshsim::scenario::resolve(path.to_str().unwrap(), &[], &[], &PriceBook::builtin())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("key `capacity.deployment`") && e.contains("container `proxy` requests no cpu"),
        "{e}"
    );
    // Requests given twice are an error.
    std::fs::write(tmp.path().join("d.yaml"), deploy).unwrap();
    std::fs::write(
        &path,
        sc.replace(
            "deployment = \"d.yaml\"",
            "deployment = \"d.yaml\"\ncpu = 1.0",
        ),
    )
    .unwrap();
    let e = meshsim::scenario::resolve(path.to_str().unwrap(), &[], &[], &PriceBook::builtin())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not both"), "{e}");
}

#[test]
fn a_node_that_never_registers_is_removed_at_the_max_provision_time_and_its_group_backs_off() {
    // Nodes take 1000 s to be Ready, the cluster autoscaler waits 900 s
    // (max_node_provision_time_s). The second pod (from 00:01 = 60 s) is
    // unschedulable; the scan at 60 s launches node 1; it never registers
    // and is removed at 60 + 900 = 960 s, billed for those 900 s; its group
    // backs off for 5 minutes (upstream's initial backoff), so the next
    // launch is at the scan at 960 + 300 = 1260 s, removed in turn at 2160 s.
    let sc = r#"[service]
concurrency = 10
service_time = { dist = "constant", mean_ms = 100 }
[capacity]
platform = "kubernetes"
cpu = 1.0
memory_gb = 1.0
[scaling]
min = 1
max = 2
[[scaling.schedule]]
name = "one"
cron = "30 23 * * *"
desired = 1
[[scaling.schedule]]
name = "two"
cron = "1 0 * * *"
desired = 2
[cluster]
provisioning_s = 1000
[[cluster.node_groups]]
name = "w"
instance_types = ["m5.large"]
min = 1
max = 5
desired = 1
[cluster.cluster_autoscaler]
max_node_provision_time_s = 900
"#;
    let (_t, out) = run(
        sc,
        "timestamp,rps\n2025-01-01T00:00:00Z,1\n2025-01-01T00:20:00Z,1\n",
        &[],
    );
    assert_eq!(
        node_times(&out),
        [
            (0.0, Some(0.0), None),
            (60.0, None, Some(960.0)),
            (1260.0, None, Some(2160.0)),
        ]
    );
    let nodes = rows(&out.join("nodes.csv"));
    assert!(
        nodes[1]["reason"]
            .ends_with("removed: did not become Ready within max_node_provision_time")
    );
    // Billed 900 s at $0.096/h each, plus node 0 all 2400 s.
    let s = summary(&out);
    let expect = 2.0 * 900.0 * 0.096 / 3600.0 + 2400.0 * 0.096 / 3600.0;
    assert!(
        (f(&s, "cost_nodes_usd") - expect).abs() < 1e-9,
        "{}",
        s["cost_nodes_usd"]
    );
    assert_eq!(f(&s, "pods_unschedulable_seconds"), 2400.0 - 60.0);
}

#[test]
fn ecs_managed_scaling_keeps_headroom_below_a_target_capacity_of_50_percent() {
    // One task on one t4g.small (desired 1). CapacityProviderReservation =
    // M / N × 100 = 1 / 1 = 100 % > 50 %: the minute ending at 60 s scales
    // out to ⌈M × 100 / 50⌉ = 2 instances; then 1 / 2 = 50 % = target, and
    // nothing changes (the empty instance is the headroom the target asks for).
    let sc = r#"extends = "diagnyx-production"
[cluster.ecs_managed_scaling]
target_capacity_pct = 50
"#;
    let (_t, out) = run(sc, "timestamp,rps\n0,0.5\n1800,0.5\n", &[]);
    assert_eq!(
        node_times(&out),
        [
            (0.0, Some(0.0), None),
            (60.0, Some(node_ready_at(&out, 1)), None)
        ]
    );
    let ecs: Vec<_> = rows(&out.join("scaling.csv"))
        .into_iter()
        .filter(|r| r["autoscaler"] == "ecs-managed-scaling")
        .collect();
    assert_eq!(ecs.len(), 1, "{ecs:?}");
    assert!(
        ecs[0]["reason"].contains("CapacityProviderReservation 100 % > target 50 % (M = 1, N = 1)"),
        "{}",
        ecs[0]["reason"]
    );
}

/// The Ready time nodes.csv gives node `i` (provisioning delays are drawn).
fn node_ready_at(out: &Path, i: usize) -> f64 {
    rows(&out.join("nodes.csv"))[i]["ready_t_s"]
        .parse()
        .unwrap()
}

mod random {
    //! Random clusters under the HPA: the run ends, requests are conserved
    //! (the engine asserts it, and that no pod is bound where it does not
    //! fit), nodes.csv adds up to the summary and times are ordered.
    use meshsim::engine::{SimConfig, simulate};
    use meshsim::model::cluster::*;
    use meshsim::model::service::ServiceDist;
    use meshsim::trace::TraceRow;
    use meshsim::units::US_PER_SEC;
    use proptest::prelude::*;

    fn node_type(name: &str) -> NodeType {
        let spec = instance(name).unwrap();
        NodeType {
            name: name.into(),
            allocatable: allocatable(spec, Reserved::Eks),
            vcpu: spec.vcpu,
            memory_gib: spec.memory_gib,
            on_demand_usd: spec.on_demand_usd.unwrap(),
            spot_usd: spec.spot_usd,
            interruptions_per_hour: 0.0,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

        #[test]
        fn random_clusters_conserve_requests_and_bill_every_node(
            cpu_milli in prop_oneof![Just(250u64), Just(500), Just(1000), Just(1500)],
            mem_gib in prop_oneof![Just(0.5f64), Just(1.0), Just(2.0), Just(3.0)],
            type_mask in 1u8..16,
            groups in 1usize..3,
            capacity in 0u8..3,
            max_nodes in 1u32..8,
            desired in 0u32..3,
            scaler in 0u8..4,
            provisioning_s in 0.0f64..200.0,
            interruptions in prop_oneof![Just(0.0f64), 0.1f64..6.0],
            hpa_max in 1u32..12,
            rates in proptest::collection::vec(0.0f64..120.0, 2..12),
            seed in any::<u64>(),
        ) {
            let names = ["t3.large", "m5.large", "m5.xlarge", "c5.large"];
            let mut types: Vec<NodeType> = names
                .iter()
                .enumerate()
                .filter(|(i, _)| type_mask & (1 << i) != 0)
                .map(|(_, n)| node_type(n))
                .collect();
            for t in &mut types {
                t.interruptions_per_hour = interruptions;
            }
            let pod = Res { cpu_milli, mem_mib: (mem_gib * 1024.0) as u64, pods: 1 };
            // Only pods some type holds (validation refuses the others).
            prop_assume!(types.iter().any(|t| t.allocatable.holds(pod)));
            let capacity_type = [CapacityType::OnDemand, CapacityType::Spot, CapacityType::Mixed][capacity as usize];
            let idx: Vec<usize> = (0..types.len()).collect();
            let group_plans: Vec<GroupPlan> = (0..groups)
                .map(|g| GroupPlan {
                    name: format!("g{g}"),
                    types: idx.clone(),
                    min: 0,
                    max: max_nodes,
                    desired: desired.min(max_nodes),
                    capacity_type,
                    on_demand_base: 1,
                    on_demand_percentage_above_base: 30,
                    hosts_service: true,
                    priority: g as i32,
                })
                .collect();
            let autoscaler = match scaler {
                0 => NodeAutoscaler::None,
                1 => NodeAutoscaler::ClusterAutoscaler(CaPlan {
                    scan_interval_us: 10 * US_PER_SEC,
                    expander: Expander::LeastWaste,
                    utilization_threshold: 0.5,
                    unneeded_time_us: 60 * US_PER_SEC,
                    delay_after_add_us: 60 * US_PER_SEC,
                    delay_after_delete_us: 10 * US_PER_SEC,
                    delay_after_failure_us: 180 * US_PER_SEC,
                    max_node_provision_time_us: 150 * US_PER_SEC,
                    balance_similar_node_groups: true,
                    max_empty_bulk_delete: 10,
                    initial_backoff_us: 300 * US_PER_SEC,
                }),
                2 => NodeAutoscaler::Karpenter(KarpenterPlan {
                    types: idx.clone(),
                    spot: capacity_type != CapacityType::OnDemand,
                    on_demand: true,
                    consolidation: ConsolidationPolicy::WhenEmptyOrUnderutilized,
                    consolidate_after_us: 30 * US_PER_SEC,
                    budget_nodes_pct: 20,
                    batch_idle_us: US_PER_SEC,
                    batch_max_us: 10 * US_PER_SEC,
                    disruption_poll_us: 10 * US_PER_SEC,
                }),
                _ => NodeAutoscaler::EcsManagedScaling(EcsPlan {
                    target_capacity_pct: 80,
                    min_step: 1,
                    max_step: 3,
                    warmup_us: 120 * US_PER_SEC,
                }),
            };
            let groups = if matches!(autoscaler, NodeAutoscaler::EcsManagedScaling(_)) {
                group_plans.into_iter().take(1).collect()
            } else {
                group_plans
            };
            let interval_s = 300u64;
            let span_s = interval_s * rates.len() as u64;
            let mut cfg = SimConfig::fixed_pool(1, 4, ServiceDist::Exponential { mean_us: 80_000.0 }, span_s)
                .with_cpu_hpa(1, hpa_max, 60);
            cfg.capacity_steps = vec![(0, 1)];
            cfg.usd_per_hour = 0.0;
            cfg.startup_us = 10 * US_PER_SEC;
            cfg.timeout_us = 20 * US_PER_SEC;
            cfg.cluster = Some(ClusterPlan {
                pod,
                daemonset: Res { cpu_milli: 100, mem_mib: 128, pods: 2 },
                other_pods: Vec::new(),
                placement: if seed % 2 == 0 { Placement::LeastAllocated } else { Placement::MostAllocated },
                types,
                groups,
                autoscaler,
                provisioning: Delay::Dist(DelayDist::Uniform { min_s: 0.0, max_s: provisioning_s }),
                control_plane_usd_per_hour: 0.1,
                ecs: false,
                fargate_usd_per_pod_hour: None,
            });
            let rows: Vec<TraceRow> = rates
                .iter()
                .enumerate()
                .map(|(i, r)| crate::rate_row((i as u64 * interval_s) as f64, *r))
                .collect();
            let out = simulate(cfg, rows.into_iter(), seed);
            let s = &out.summary;
            prop_assert_eq!(
                s.requests_arrived,
                s.requests_served + s.requests_dropped + s.requests_rejected + s.requests_in_flight
            );
            let n = s.nodes.as_ref().unwrap();
            let end = span_s * US_PER_SEC;
            // Every node billed by the per-second rule, except a spot node
            // EC2 interrupted in its first hour, which is not charged.
            for r in &out.nodes {
                let rule = meshsim::billing::meter::billed_usd(
                    r.usd_per_hour,
                    r.launched_us,
                    r.removed_us.unwrap_or(end),
                    r.removed_us.is_some(),
                );
                let free = r.purchase_option == "spot"
                    && r.reason.contains("removed: spot interruption")
                    && r.removed_us.is_some_and(|g| g - r.launched_us < 3600 * US_PER_SEC);
                prop_assert_eq!(r.cost_usd, if free { 0.0 } else { rule }, "{:?}", r);
            }
            let billed: f64 = out.nodes.iter().map(|r| r.cost_usd).sum();
            prop_assert!((billed - n.cost_nodes_usd).abs() < 1e-9 * billed.max(1.0), "{} vs {}", billed, n.cost_nodes_usd);
            prop_assert!((s.cost_compute_usd - n.cost_nodes_usd).abs() < 1e-9 * billed.max(1.0));
            for r in &out.nodes {
                if let Some(ready) = r.ready_us {
                    prop_assert!(ready >= r.launched_us);
                }
                if let Some(gone) = r.removed_us {
                    prop_assert!(gone >= r.launched_us && gone <= end);
                }
            }
            // Ready nodes are among the billed ones at every minute.
            for row in &out.timeline {
                let t = row.nodes.as_ref().unwrap();
                prop_assert!(t.nodes_ready <= t.nodes_total);
            }
            prop_assert!(n.request_utilization_mean <= 1.0 + 1e-9);
        }
    }
}
