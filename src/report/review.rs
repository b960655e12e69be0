//! The review of one run: the headline table, the SLO verdict and the page's
//! blocks (scenario and trace, charts, costs, scaling, alerts, LLM, regions),
//! rendered by `html` as a self-contained page and as Markdown.

use super::RunInfo;
use super::chart::{COMPONENTS, RunCharts, fmt_usd};
use super::html::{Block, Table, int};
use crate::metrics::{RunOutcome, Threshold};

pub(crate) fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1} ms"))
        .unwrap_or_else(|| "n/a".into())
}

pub(crate) fn kv(id: &'static str, rows: &[(String, String)]) -> Table {
    Table {
        id,
        head: vec!["".into(), "".into()],
        rows: rows
            .iter()
            .map(|(k, v)| vec![k.clone(), v.clone()])
            .collect(),
    }
}

/// The SLO verdict in words: `MET` or `MISSED`, with each criterion: the
/// run's p95, the share of windows within the target, availability.
pub fn slo_verdict(o: &RunOutcome, info: &RunInfo) -> (bool, String) {
    let s = &o.summary;
    let v = super::verdict(o, info);
    (
        v.met,
        format!(
            "{}: p95 {} {} {} ms; {}; availability {:.4} {} {}",
            if v.met { "MET" } else { "MISSED" },
            ms(s.latency_p95_ms),
            if v.p95_met { "≤" } else { ">" },
            info.slo.p95_ms,
            windows_phrase(&v, info),
            s.availability(),
            if v.availability_met { "≥" } else { "<" },
            info.slo.availability
        ),
    )
}

/// `99.7 % of 1m windows within it (≥ 99 %), worst 612.0 ms`.
pub fn windows_phrase(v: &super::Verdict, info: &RunInfo) -> String {
    let w = &v.windows;
    match w.met_pct {
        None => format!("no {} window had requests", info.slo.window),
        Some(pct) => format!(
            "{pct:.1} % of {} {} windows within it ({} {} %), worst {}",
            w.windows,
            info.slo.window,
            if v.windows_met { "≥" } else { "<" },
            info.slo.windows_met_pct,
            match w.worst_p95_ms {
                Some(x) if x.is_finite() => format!("{x:.1} ms"),
                _ => "a window with none served".into(),
            }
        ),
    }
}

/// Goodput in words: the share of arrived requests served within the target.
pub fn goodput_phrase(o: &RunOutcome, info: &RunInfo) -> String {
    let s = &o.summary;
    match s.requests_within_slo_pct() {
        None => "no request arrived".into(),
        Some(pct) => format!(
            "{pct:.2} % of arrived requests served within {} ms (dropped, rejected and unanswered count as failures; p95 of served requests only: {})",
            info.slo.p95_ms,
            ms(s.latency_p95_ms)
        ),
    }
}

/// The headline rows (metric, value): what a review looks at first.
pub fn headline(o: &RunOutcome, info: &RunInfo) -> Vec<(String, String)> {
    let s = &o.summary;
    let llm_hits = o
        .alerts
        .iter()
        .filter(|a| a.kind.starts_with("llm_"))
        .count();
    let mut alerts = format!("{} budget alert(s) fired", s.budget_alerts_fired);
    if s.budget_alerts_projected > 0 {
        alerts.push_str(&format!(
            ", {} more projected for the rest of the month",
            s.budget_alerts_projected
        ));
    }
    if llm_hits > 0 {
        alerts.push_str(&format!(", {llm_hits} LLM limit hit(s)"));
    }
    vec![
        (
            "requests".into(),
            format!(
                "{} arrived: {} served, {} dropped (timeout), {} rejected, {} in flight at the end",
                int(s.requests_arrived),
                int(s.requests_served),
                int(s.requests_dropped),
                int(s.requests_rejected),
                int(s.requests_in_flight)
            ),
        ),
        (
            "latency".into(),
            format!(
                "p50 {}, p95 {}, p99 {}",
                ms(s.latency_p50_ms),
                ms(s.latency_p95_ms),
                ms(s.latency_p99_ms)
            ),
        ),
        (
            "availability".into(),
            format!("{:.4} %", s.availability() * 100.0),
        ),
        (
            "replicas".into(),
            format!(
                "mean {:.2}, max {}; {:.2} replica-hours on demand, {:.2} spot",
                s.replicas_mean, s.replicas_max, s.replica_hours_on_demand, s.replica_hours_spot
            ),
        ),
        (
            "cost of the run".into(),
            format!(
                "${:.4} over {:.1} h",
                s.cost_total_usd(),
                s.sim_seconds / 3600.0
            ),
        ),
        (
            "projected monthly cost".into(),
            format!(
                "${:.2} (this run's average cost rate over {:.0} days)",
                super::projected_month_usd(s, info.start_epoch_us),
                super::month_seconds(info.start_epoch_us) / 86_400.0
            ),
        ),
        ("SLO".into(), slo_verdict(o, info).1),
        ("goodput".into(), goodput_phrase(o, info)),
        ("SLO windows missed".into(), {
            let v = super::verdict(o, info);
            let spans = super::missed_spans(o, info, &v, 6);
            if spans.is_empty() {
                "none".into()
            } else {
                spans.join("; ")
            }
        }),
        ("alerts".into(), alerts),
    ]
}

/// The report's content.
pub fn blocks<'a>(o: &RunOutcome, info: &RunInfo, charts: Option<&'a RunCharts>) -> Vec<Block<'a>> {
    let s = &o.summary;
    let a = &info.about;
    let mut b = vec![Block::Title(format!(
        "Capacity-planning review: {} on {}",
        info.scenario, info.trace
    ))];
    let mut intro = String::new();
    let d = a.description.trim();
    if !d.is_empty() {
        intro.push_str(d);
        if !d.ends_with(['.', '!', '?']) {
            intro.push('.');
        }
        intro.push(' ');
    }
    if let Some(src) = &a.source {
        intro.push_str(&format!("Values from {src}. "));
    }
    intro.push_str(&format!(
        "Simulated with meshsim {} (seed {}).",
        env!("CARGO_PKG_VERSION"),
        info.seed
    ));
    b.push(Block::Para(intro));
    b.push(Block::Table(Table {
        id: "headline",
        head: vec!["".into(), "".into()],
        rows: headline(o, info)
            .into_iter()
            .map(|(k, v)| vec![k, v])
            .collect(),
    }));

    b.push(Block::Heading("Scenario".into()));
    let mut sc = a.scenario.clone();
    sc.insert(0, ("loaded from".into(), a.origin.clone()));
    b.push(Block::Table(kv("scenario", &sc)));
    b.push(Block::Heading("Trace".into()));
    b.push(Block::Table(kv("trace", &a.trace)));

    if let Some(c) = charts {
        b.push(Block::Heading("Charts".into()));
        let caption = |file: &str| match file {
            "load_replicas.png" => {
                "Offered load (left axis) against ready and desired replicas (right axis); spot replicas shaded; triangles are scaling decisions, dashed vertical lines scheduled actions."
            }
            "latency.png" => {
                "Latency percentiles per minute against the p95 SLO (log scale); bars are requests dropped by timeout or rejected per minute."
            }
            "cost.png" => {
                "Cumulative cost by component, stacked; dashed lines are each budget pro rata over the month and its alert thresholds; diamonds mark alerts as they fired."
            }
            "regions.png" => {
                "Offered load and p95 of each region; shaded: the region's outage (its traffic moves to the others)."
            }
            "nodes.png" => {
                "Nodes by group and purchase option, stacked (left axis), and pods waiting for a node with room (right axis)."
            }
            "resources.png" => {
                "CPU (top) and memory (bottom) per ready pod: used and requested (means over the ready pods per minute) and, with a VPA, its target (line) and lower..upper bounds (band) as each recommender loop left them."
            }
            _ => "",
        };
        for (file, png, size) in c.files() {
            b.push(Block::Image {
                file,
                caption: caption(file).into(),
                png,
                size,
            });
        }
    }

    if !o.regions.is_empty() {
        b.push(Block::Heading("Regions".into()));
        b.push(Block::Para(format!(
            "{} regions; traffic split by share, a failed region's share moving to the regions up; the figures above are all regions together. regions.csv and timeline_regions.csv hold each region's numbers.",
            o.regions.len()
        )));
        b.push(Block::Table(regions_table(o)));
    }
    if let Some(n) = &s.nodes {
        super::nodes::blocks(&mut b, o, n);
    }
    if let Some(u) = &s.usage {
        super::resources::blocks(&mut b, o, info, u);
    }
    b.push(Block::Heading("Cost breakdown".into()));
    let total = s.cost_total_usd();
    let month = super::month_seconds(info.start_epoch_us);
    let per_month = |v: f64| {
        if s.sim_seconds > 0.0 {
            v / s.sim_seconds * month
        } else {
            0.0
        }
    };
    let mut rows = Vec::new();
    let last = o.timeline.last();
    // The timeline's last row holds the run's cumulative cost by component
    // (the engine asserts it ends at the summary's).
    for (name, _, f) in COMPONENTS {
        let v = last.map(f).unwrap_or(0.0);
        if v > 0.0 {
            rows.push(vec![
                name.to_string(),
                format!("${v:.4}"),
                format!("{:.1} %", if total > 0.0 { v / total * 100.0 } else { 0.0 }),
                format!("${:.2}", per_month(v)),
            ]);
        }
    }
    rows.push(vec![
        "total".into(),
        format!("${total:.4}"),
        "100 %".into(),
        format!("${:.2}", per_month(total)),
    ]);
    b.push(Block::Table(Table {
        id: "cost",
        head: vec![
            "component".into(),
            "this run".into(),
            "share".into(),
            "projected month".into(),
        ],
        rows,
    }));

    b.push(Block::Heading("Scaling".into()));
    let decisions: Vec<_> = o.scaling.iter().filter(|e| e.from != e.to).collect();
    let mut by: std::collections::BTreeMap<&str, (u32, u32)> = Default::default();
    for e in &decisions {
        let c = by.entry(e.autoscaler.as_str()).or_default();
        if e.to > e.from {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    }
    let mut p = format!("{} change(s) of the replica count", decisions.len());
    if !by.is_empty() {
        let parts: Vec<String> = by
            .iter()
            .map(|(k, (up, down))| format!("{k}: {up} up, {down} down"))
            .collect();
        p.push_str(&format!(" ({})", parts.join("; ")));
    }
    p.push_str(&format!(
        "; replicas mean {:.2}, max {}; {} spot interruption(s).",
        s.replicas_mean, s.replicas_max, s.spot_interruptions
    ));
    b.push(Block::Para(p));
    const SHOWN: usize = 25;
    if !o.scaling.is_empty() {
        b.push(Block::Table(Table {
            id: "scaling",
            head: vec![
                "time".into(),
                "autoscaler".into(),
                "from → to".into(),
                "reason".into(),
            ],
            rows: o
                .scaling
                .iter()
                .take(SHOWN)
                .map(|e| {
                    vec![
                        info.local_time(e.t_us),
                        e.autoscaler.clone(),
                        format!("{} → {}", e.from, e.to),
                        e.reason.clone(),
                    ]
                })
                .collect(),
        }));
        if o.scaling.len() > SHOWN {
            b.push(Block::Para(format!(
                "The first {SHOWN} of {} events; all are in scaling.csv.",
                o.scaling.len()
            )));
        }
    }

    b.push(Block::Heading("Alerts".into()));
    if o.alerts.is_empty() {
        b.push(Block::Para(if info.budgets.is_empty() {
            "No budget is configured and no LLM limit was reached.".into()
        } else {
            "No alert fired.".into()
        }));
    } else {
        b.push(Block::Table(Table {
            id: "alerts",
            head: vec![
                "time".into(),
                "kind".into(),
                "name".into(),
                "threshold".into(),
                "value".into(),
            ],
            rows: o
                .alerts
                .iter()
                .map(|al| {
                    vec![
                        format!(
                            "{}{}",
                            info.local_time(al.t_us),
                            if al.projected {
                                " (projected past the trace)"
                            } else {
                                ""
                            }
                        ),
                        al.kind.clone(),
                        al.name.clone(),
                        match al.threshold {
                            Threshold::Usd(v) => format!("${v} limit"),
                            Threshold::Percent(v) => format!("{v} %"),
                        },
                        format!("${:.2}", al.value),
                    ]
                })
                .collect(),
        }));
    }

    if s.llm_calls + s.llm_rejected > 0 {
        b.push(Block::Heading("LLM (Amazon Bedrock)".into()));
        b.push(Block::Para(format!(
            "{} calls, {} tokens in, {} tokens out, {}; {} rejected and {} downgraded by the limits. Without the limits the same calls would have cost {} (saved {}).",
            int(s.llm_calls),
            int(s.llm_tokens_in),
            int(s.llm_tokens_out),
            fmt_usd(s.cost_llm_usd),
            int(s.llm_rejected),
            int(s.llm_downgraded),
            fmt_usd(s.llm_cost_unlimited_usd),
            fmt_usd(s.llm_cost_unlimited_usd - s.cost_llm_usd)
        )));
        let rows: Vec<Vec<String>> = s
            .llm_cost_by_model
            .iter()
            .filter(|(_, c)| *c > 0.0)
            .map(|(m, c)| vec![m.clone(), format!("${c:.4}")])
            .collect();
        if !rows.is_empty() {
            b.push(Block::Table(Table {
                id: "llm",
                head: vec!["model".into(), "cost".into()],
                rows,
            }));
        }
    }

    if !a.warnings.is_empty() {
        b.push(Block::Heading("Notes".into()));
        let items: Vec<String> = a.warnings.iter().map(|w| format!("warning: {w}")).collect();
        b.push(Block::List(items));
    }
    b.push(Block::Heading("Provenance".into()));
    b.push(Block::Table(kv(
        "provenance",
        &provenance_rows(&info.provenance),
    )));
    b.push(Block::Para(
        "Files beside this report: summary.csv (one row), summary.json (the same fields, the missed SLO windows, the alerts and this provenance with the effective scenario, every key), timeline.csv (per minute), scaling.csv, alerts.csv and the charts as PNG.".into(),
    ));
    b
}

/// What made the run, for people: version, scenario, overrides, seed, trace and its checksum.
fn provenance_rows(p: &super::Provenance) -> Vec<(String, String)> {
    let none = |v: String| if v.is_empty() { "none".to_string() } else { v };
    vec![
        ("meshsim".into(), p.meshsim_version.clone()),
        (
            "scenario".into(),
            format!("{} ({})", p.scenario, p.scenario_origin),
        ),
        ("--set overrides".into(), none(p.overrides.join(", "))),
        (
            "environment overrides".into(),
            none(
                p.env_overrides
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ),
        ("seed".into(), p.seed.to_string()),
        ("arrivals".into(), none(p.arrivals.clone())),
        ("trace".into(), p.trace_path.clone()),
        ("trace SHA-256".into(), p.trace_sha256.clone()),
    ]
}

/// The review's table of a multi-region run, one row per region.
/// The report's regions table: (region, values…).
pub fn regions_table(o: &RunOutcome) -> Table {
    let ms = |v: Option<f64>| {
        v.map(|x| format!("{x:.1} ms"))
            .unwrap_or_else(|| "n/a".into())
    };
    Table {
        id: "regions",
        head: [
            "region",
            "share",
            "outage",
            "served",
            "dropped",
            "p95",
            "availability",
            "replicas mean",
            "cost",
            "of which replication",
        ]
        .map(String::from)
        .to_vec(),
        rows: o
            .regions
            .iter()
            .map(|r| {
                let s = &r.outcome.summary;
                vec![
                    if r.aws_region == r.name {
                        r.name.clone()
                    } else {
                        format!("{} ({})", r.name, r.aws_region)
                    },
                    format!("{:.0} %", r.weight * 100.0),
                    if r.outages_s.is_empty() {
                        "—".into()
                    } else {
                        r.outages_s
                            .iter()
                            .map(|(a, b)| match b {
                                Some(b) => format!("{:.1} h to {:.1} h", a / 3600.0, b / 3600.0),
                                None => format!("from {:.1} h", a / 3600.0),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                    int(s.requests_served),
                    int(s.requests_dropped),
                    ms(s.latency_p95_ms),
                    format!("{:.4} %", s.availability() * 100.0),
                    format!("{:.2}", s.replicas_mean),
                    format!("${:.4}", s.cost_total_usd()),
                    format!("${:.4}", s.fixed.network_usd),
                ]
            })
            .collect(),
    }
}
