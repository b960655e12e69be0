//! The review's "Nodes" section: what the machines under the replicas did
//! and cost, the waste a FinOps reader looks for, and the same pods on Fargate.

use super::html::{Block, Table};
use crate::metrics::{NodeSummary, RunOutcome};
use crate::units::us_to_secs;

/// Appends the section to `b`.
pub fn blocks(b: &mut Vec<Block<'_>>, o: &RunOutcome, n: &NodeSummary) {
    let s = &o.summary;
    b.push(Block::Heading("Nodes".into()));
    let launched = o.nodes.len();
    let removed = o.nodes.iter().filter(|r| r.removed_us.is_some()).count();
    let idle_cpu = (1.0 - n.request_utilization_cpu) * 100.0;
    let idle_mem = (1.0 - n.request_utilization_memory) * 100.0;
    let mut p = format!(
        "{launched} node(s) over the run ({removed} removed); {:.2} on average, {} at most; {:.2} node-hours on demand and {:.2} spot; nodes ${:.4}, control plane ${:.4}. ",
        n.nodes_mean,
        n.nodes_max,
        n.node_hours_on_demand,
        n.node_hours_spot,
        n.cost_nodes_usd,
        n.cost_control_plane_usd
    );
    p.push_str(&format!(
        "Requests filled {:.1} % of the nodes' allocatable CPU and {:.1} % of their memory over node-time: {idle_cpu:.1} % of the CPU and {idle_mem:.1} % of the memory paid for was requested by no pod. ",
        n.request_utilization_cpu * 100.0,
        n.request_utilization_memory * 100.0
    ));
    p.push_str(&format!(
        "Pods waited for a node with room for {:.0} pod-seconds in all",
        n.pods_unschedulable_seconds
    ));
    if n.node_interruptions > 0 {
        p.push_str(&format!(
            "; {} spot node interruption(s)",
            n.node_interruptions
        ));
    }
    p.push('.');
    b.push(Block::Para(p));
    if let Some((usd, size)) = &n.fargate_equivalent {
        let nodes_total = n.cost_nodes_usd + n.cost_control_plane_usd;
        b.push(Block::Para(format!(
            "Against Fargate: the run's {:.2} pod-hours as Fargate tasks of {size} would cost ${usd:.4}, against ${nodes_total:.4} for nodes and control plane here ({}).",
            n.pod_hours,
            if *usd > 0.0 {
                format!("{:.2}× the Fargate cost", nodes_total / usd)
            } else {
                "Fargate would cost nothing".into()
            }
        )));
    }
    // Per group and purchase option.
    let mut rows: Vec<(String, String, String, u32, f64, f64)> = Vec::new();
    let end = (s.sim_seconds * 1e6).round() as u64;
    for r in &o.nodes {
        let until = r.removed_us.unwrap_or(end);
        let hours = us_to_secs(until - r.launched_us) / 3600.0;
        let cost = r.cost_usd;
        match rows
            .iter_mut()
            .find(|x| x.0 == r.group && x.1 == r.instance_type && x.2 == r.purchase_option)
        {
            Some(x) => {
                x.3 += 1;
                x.4 += hours;
                x.5 += cost;
            }
            None => rows.push((
                r.group.clone(),
                r.instance_type.clone(),
                r.purchase_option.clone(),
                1,
                hours,
                cost,
            )),
        }
    }
    b.push(Block::Table(Table {
        id: "nodes",
        head: vec![
            "group".into(),
            "instance type".into(),
            "purchase".into(),
            "nodes".into(),
            "node-hours".into(),
            "cost".into(),
        ],
        rows: rows
            .into_iter()
            .map(|(g, t, p, c, h, usd)| {
                vec![
                    g,
                    t,
                    p,
                    c.to_string(),
                    format!("{h:.2}"),
                    format!("${usd:.4}"),
                ]
            })
            .collect(),
    }));
    b.push(Block::Para(
        "Every node, with its launch, Ready and removal times and why, is in nodes.csv; the node autoscaler's decisions are in scaling.csv.".into(),
    ));
}
