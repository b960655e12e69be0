//! Several runs on one trace side by side: the table, `compare.csv` (the
//! runs' summary rows, same columns as `summary.csv`), an overlay chart of
//! replicas and cumulative cost, and `compare.html`/`compare.md` linking each
//! run's own report.

use super::chart::{
    BLUE, ChartError, FONT, GREEN, ORANGE, PURPLE, SKY, TimeAxis, VERMILION, YELLOW,
    cost_over_time, end_s, err, fmt_count, fmt_usd, house_legend, house_mesh, legend_line,
    nice_top, render_sized, steps, time_label,
};
use super::html::{Block, Table};
use super::{RunInfo, SUMMARY_COLUMNS, projected_month_usd, summary_record};
use crate::metrics::RunOutcome;
use plotters::prelude::*;
use std::io::Write;

/// Size of the overlay chart (two panels).
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 900;

/// One run of the comparison.
pub struct Entry<'a> {
    pub info: &'a RunInfo,
    pub outcome: &'a RunOutcome,
}

const COLOURS: [RGBColor; 7] = [BLUE, VERMILION, GREEN, ORANGE, PURPLE, SKY, YELLOW];

fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1} ms"))
        .unwrap_or_else(|| "n/a".into())
}

/// The side-by-side rows: (metric, one value per run).
pub fn table(entries: &[Entry<'_>]) -> Vec<(String, Vec<String>)> {
    type Cell = fn(&Entry<'_>) -> String;
    let rows: &[(&str, Cell)] = &[
        ("requests served", |e| {
            super::html::int(e.outcome.summary.requests_served)
        }),
        ("dropped (timeout)", |e| {
            super::html::int(e.outcome.summary.requests_dropped)
        }),
        ("rejected", |e| {
            super::html::int(e.outcome.summary.requests_rejected)
        }),
        ("latency p50", |e| ms(e.outcome.summary.latency_p50_ms)),
        ("latency p95", |e| ms(e.outcome.summary.latency_p95_ms)),
        ("latency p99", |e| ms(e.outcome.summary.latency_p99_ms)),
        ("availability", |e| {
            format!("{:.4} %", e.outcome.summary.availability() * 100.0)
        }),
        ("replicas mean / max", |e| {
            format!(
                "{:.2} / {}",
                e.outcome.summary.replicas_mean, e.outcome.summary.replicas_max
            )
        }),
        ("compute cost", |e| {
            format!("${:.4}", e.outcome.summary.cost_compute_usd)
        }),
        ("always-on cost", |e| {
            format!("${:.4}", e.outcome.summary.cost_fixed_usd())
        }),
        ("LLM cost", |e| {
            format!("${:.4}", e.outcome.summary.cost_llm_usd)
        }),
        // Shown only when a run is on nodes (EKS bills its control plane).
        ("control plane cost", |e| {
            let n = e.outcome.summary.nodes.as_ref();
            format!("${:.4}", n.map_or(0.0, |n| n.cost_control_plane_usd))
        }),
        ("total cost", |e| {
            format!("${:.4}", e.outcome.summary.cost_total_usd())
        }),
        ("projected month", |e| {
            format!(
                "${:.2}",
                projected_month_usd(&e.outcome.summary, e.info.start_epoch_us)
            )
        }),
        ("SLO target", |e| {
            format!(
                "p95 {} ms, {} %",
                e.info.slo.p95_ms,
                e.info.slo.availability * 100.0
            )
        }),
        ("SLO", |e| {
            let (met, _) = super::review::slo_verdict(e.outcome, e.info);
            if met { "MET" } else { "MISSED" }.to_string()
        }),
        ("budget alerts", |e| {
            e.outcome.summary.budget_alerts_fired.to_string()
        }),
    ];
    let on_nodes = entries.iter().any(|e| e.outcome.summary.nodes.is_some());
    rows.iter()
        .filter(|(label, _)| on_nodes || *label != "control plane cost")
        .map(|(label, f)| (label.to_string(), entries.iter().map(f).collect()))
        .collect()
}

/// The table as aligned text for the terminal.
pub fn print_table<W: Write>(mut w: W, entries: &[Entry<'_>]) -> std::io::Result<()> {
    let rows = table(entries);
    let label_w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..entries.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.1[i].chars().count())
                .chain(std::iter::once(entries[i].info.scenario.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    write!(w, "{:label_w$}", "")?;
    for (e, wd) in entries.iter().zip(&widths) {
        write!(w, "  {:>wd$}", e.info.scenario)?;
    }
    writeln!(w)?;
    for (label, vals) in &rows {
        write!(w, "{label:label_w$}")?;
        for (v, wd) in vals.iter().zip(&widths) {
            write!(w, "  {v:>wd$}")?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// `compare.csv`: one `summary.csv` row per run.
pub fn write_csv<W: Write>(w: W, entries: &[Entry<'_>]) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    let usage = entries.iter().any(|e| e.outcome.summary.usage.is_some());
    if usage {
        wr.write_record(SUMMARY_COLUMNS.iter().chain(super::USAGE_SUMMARY_COLUMNS))?;
    } else {
        wr.write_record(SUMMARY_COLUMNS)?;
    }
    for e in entries {
        let mut r = summary_record(e.outcome, e.info);
        if usage {
            r.extend(super::usage_record(e.outcome));
        }
        wr.write_record(r)?;
    }
    wr.flush()?;
    Ok(())
}

/// `compare.png`: ready replicas (top) and cumulative total cost (bottom) of
/// every run on one time axis (the first run's time zone).
pub fn chart(entries: &[Entry<'_>]) -> Result<Vec<u8>, ChartError> {
    let name = "compare.png";
    let first = entries.first().ok_or_else(|| ChartError {
        chart: name.into(),
        message: "nothing to compare".into(),
    })?;
    let info = first.info;
    let end = entries
        .iter()
        .map(|e| end_s(&e.outcome.timeline))
        .fold(1.0, f64::max);
    render_sized(name, (WIDTH, HEIGHT), |root| {
        let (top, bottom) = root.split_vertically(HEIGHT / 2);
        let label = |x: &f64| time_label(info, *x);
        let trace = &info.trace;
        // Replicas.
        let r_max = entries
            .iter()
            .flat_map(|e| e.outcome.timeline.iter().map(|r| r.replicas_ready))
            .max()
            .unwrap_or(0);
        let r_top = (f64::from(r_max) * 1.5).ceil().max(2.0);
        let mut c = ChartBuilder::on(&top)
            .caption(format!("ready replicas on {trace}"), (FONT, 20))
            .margin(12)
            .margin_right(40)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(TimeAxis::new(info, end), 0f64..r_top)
            .map_err(err(name))?;
        house_mesh(&mut c.configure_mesh(), true)
            .x_label_formatter(&label)
            .y_label_formatter(&|v: &f64| {
                if (v - v.round()).abs() < 1e-9 {
                    fmt_count(*v)
                } else {
                    String::new()
                }
            })
            .y_desc("replicas")
            .draw()
            .map_err(err(name))?;
        for (i, e) in entries.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let pts = steps(&e.outcome.timeline, |g| {
                g.iter()
                    .map(|r| f64::from(r.replicas_ready))
                    .fold(0.0, f64::max)
            });
            c.draw_series(LineSeries::new(pts, colour.stroke_width(2)))
                .map_err(err(name))?
                .label(e.info.scenario.clone())
                .legend(legend_line(colour));
        }
        house_legend(&mut c, SeriesLabelPosition::UpperLeft, 13, name)?;
        // Cumulative cost.
        let c_max = entries
            .iter()
            .filter_map(|e| e.outcome.timeline.last().map(|r| r.cost_total_usd()))
            .fold(0.0, f64::max);
        let y_top = nice_top((c_max * 1.45).max(1e-6));
        let mut c = cost_over_time(
            &bottom,
            format!("cumulative cost on {trace}"),
            true,
            info,
            (end, y_top),
            name,
        )?;
        for (i, e) in entries.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let mut pts = vec![(0.0, 0.0)];
            pts.extend(
                e.outcome
                    .timeline
                    .iter()
                    .map(|r| (r.t_s as f64 + r.len_s, r.cost_total_usd())),
            );
            c.draw_series(LineSeries::new(pts, colour.stroke_width(2)))
                .map_err(err(name))?
                .label(format!(
                    "{} ({})",
                    e.info.scenario,
                    fmt_usd(e.outcome.summary.cost_total_usd())
                ))
                .legend(legend_line(colour));
        }
        house_legend(&mut c, SeriesLabelPosition::UpperLeft, 13, name)?;
        Ok(())
    })
}

/// The comparison page's content. `runs` are the run directories' names
/// (relative links to their `report.html`).
pub fn blocks<'a>(entries: &[Entry<'_>], png: Option<&'a [u8]>, runs: &[String]) -> Vec<Block<'a>> {
    let trace = entries.first().map(|e| e.info.trace.as_str()).unwrap_or("");
    let names: Vec<&str> = entries.iter().map(|e| e.info.scenario.as_str()).collect();
    let mut b = vec![
        Block::Title(format!("Comparison on {trace}: {}", names.join(" vs "))),
        Block::Para(format!(
            "{} scenarios on the same trace, each with seed {}. Cheapest: {}.",
            entries.len(),
            entries.first().map(|e| e.info.seed).unwrap_or(0),
            entries
                .iter()
                .min_by(|a, b| {
                    a.outcome
                        .summary
                        .cost_total_usd()
                        .total_cmp(&b.outcome.summary.cost_total_usd())
                })
                .map(|e| format!(
                    "{} at ${:.4}",
                    e.info.scenario,
                    e.outcome.summary.cost_total_usd()
                ))
                .unwrap_or_default()
        )),
    ];
    let mut head = vec![String::new()];
    head.extend(names.iter().map(|n| n.to_string()));
    b.push(Block::Table(Table {
        id: "compare",
        head,
        rows: table(entries)
            .into_iter()
            .map(|(k, vs)| std::iter::once(k).chain(vs).collect())
            .collect(),
    }));
    if let Some(png) = png {
        b.push(Block::Image {
            file: "compare.png",
            caption: "Ready replicas and cumulative cost of each scenario over the trace.".into(),
            png,
            size: (WIDTH, HEIGHT),
        });
    }
    b.push(Block::Heading("Each run's report".into()));
    b.push(Block::Links(
        entries
            .iter()
            .zip(runs)
            .map(|(e, dir)| (e.info.scenario.clone(), format!("{dir}/report.html")))
            .collect(),
    ));
    b.push(Block::Para(
        "compare.csv holds each run's summary row (the columns of summary.csv).".into(),
    ));
    b
}
