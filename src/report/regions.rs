//! A multi-region run by region: `regions.csv` (one row per region),
//! `timeline_regions.csv` (one row per region and minute), the regions
//! chart (offered load and p95 of each region, outages shaded) and the
//! report's table.

use super::RunInfo;
use super::chart::{
    BLUE, ChartError, FONT, GREEN, ORANGE, PURPLE, SKY, TimeAxis, VERMILION, err, fmt_count,
    fmt_ms, house_legend, house_mesh, legend_line, nice_top, render_sized, time_desc, time_label,
};
use crate::metrics::{RegionOutcome, RunOutcome};
use plotters::prelude::*;
use std::io::Write;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 800;

const COLOURS: [RGBColor; 6] = [BLUE, VERMILION, GREEN, ORANGE, PURPLE, SKY];

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.3}")).unwrap_or_default()
}

fn outages(r: &RegionOutcome) -> String {
    r.outages_s
        .iter()
        .map(|(a, b)| match b {
            Some(b) => format!("{a}-{b}"),
            None => format!("{a}-"),
        })
        .collect::<Vec<_>>()
        .join(";")
}

pub const REGION_COLUMNS: &[&str] = &[
    "region",
    "aws_region",
    "weight",
    "outages_s",
    "requests_arrived",
    "requests_served",
    "requests_dropped",
    "requests_rejected",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "availability",
    "replicas_mean",
    "replica_hours_on_demand",
    "replica_hours_spot",
    "cost_compute_usd",
    "cost_fixed_usd",
    "cost_network_usd",
    "cost_llm_usd",
    "cost_total_usd",
];

pub fn write_regions<W: Write>(w: W, o: &RunOutcome) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(REGION_COLUMNS)?;
    for r in &o.regions {
        let s = &r.outcome.summary;
        wr.write_record([
            r.name.clone(),
            r.aws_region.clone(),
            format!("{}", r.weight),
            outages(r),
            s.requests_arrived.to_string(),
            s.requests_served.to_string(),
            s.requests_dropped.to_string(),
            s.requests_rejected.to_string(),
            opt(s.latency_p50_ms),
            opt(s.latency_p95_ms),
            opt(s.latency_p99_ms),
            format!("{:.6}", s.availability()),
            format!("{:.4}", s.replicas_mean),
            format!("{:.6}", s.replica_hours_on_demand),
            format!("{:.6}", s.replica_hours_spot),
            format!("{:.6}", s.cost_compute_usd),
            format!("{:.6}", s.cost_fixed_usd()),
            format!("{:.6}", s.fixed.network_usd),
            format!("{:.6}", s.cost_llm_usd),
            format!("{:.6}", s.cost_total_usd()),
        ])?;
    }
    wr.flush()?;
    Ok(())
}

pub fn write_timeline_regions<W: Write>(w: W, o: &RunOutcome, info: &RunInfo) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record([
        "time",
        "t_s",
        "region",
        "rps_offered",
        "served",
        "dropped",
        "rejected",
        "replicas_ready",
        "replicas_desired",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "cost_total_usd",
    ])?;
    let rows = o.timeline.len();
    for k in 0..rows {
        for r in &o.regions {
            let Some(t) = r.outcome.timeline.get(k) else {
                continue;
            };
            wr.write_record([
                info.time(t.t_s * 1_000_000),
                t.t_s.to_string(),
                r.name.clone(),
                format!("{:.4}", t.arrived as f64 / t.len_s),
                t.served.to_string(),
                t.dropped.to_string(),
                t.rejected.to_string(),
                t.replicas_ready.to_string(),
                t.replicas_desired.to_string(),
                opt(t.latency_p50_ms),
                opt(t.latency_p95_ms),
                opt(t.latency_p99_ms),
                format!("{:.6}", t.cost_total_usd()),
            ])?;
        }
    }
    wr.flush()?;
    Ok(())
}

/// The report's regions table: (region, values…).
pub fn table(o: &RunOutcome) -> super::html::Table {
    let ms = |v: Option<f64>| {
        v.map(|x| format!("{x:.1} ms"))
            .unwrap_or_else(|| "n/a".into())
    };
    super::html::Table {
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
                    super::html::int(s.requests_served),
                    super::html::int(s.requests_dropped),
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

/// `regions.png`: each region's offered requests per second (top) and p95
/// per minute (bottom, log scale), outages shaded.
pub fn chart(o: &RunOutcome, info: &RunInfo) -> Result<Vec<u8>, ChartError> {
    let name = "regions.png";
    let end = o
        .timeline
        .last()
        .map(|r| r.t_s as f64 + r.len_s)
        .unwrap_or(1.0)
        .max(1.0);
    render_sized(name, (WIDTH, HEIGHT), |root| {
        let (top, bottom) = root.split_vertically(HEIGHT / 2);
        let label = |x: &f64| time_label(info, *x);
        let rps_max = o
            .regions
            .iter()
            .flat_map(|r| {
                r.outcome
                    .timeline
                    .iter()
                    .map(|t| t.arrived as f64 / t.len_s)
            })
            .fold(0.0, f64::max);
        let mut c = ChartBuilder::on(&top)
            .caption(
                format!(
                    "{} on {}: offered load by region",
                    info.scenario, info.trace
                ),
                (FONT, 20),
            )
            .margin(12)
            .margin_right(40)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(TimeAxis::new(info, end), 0f64..nice_top(rps_max * 1.5))
            .map_err(err(name))?;
        house_mesh(&mut c.configure_mesh(), true)
            .x_label_formatter(&label)
            .y_label_formatter(&|v: &f64| fmt_count(*v))
            .y_desc("offered rps")
            .draw()
            .map_err(err(name))?;
        let y_top = nice_top(rps_max * 1.5);
        for (i, r) in o.regions.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            for (a, b) in &r.outages_s {
                let b = b.unwrap_or(end).min(end);
                c.draw_series(std::iter::once(Rectangle::new(
                    [(*a, 0.0), (b, y_top)],
                    colour.mix(0.12).filled(),
                )))
                .map_err(err(name))?;
            }
            let pts: Vec<(f64, f64)> = r
                .outcome
                .timeline
                .iter()
                .map(|t| (t.t_s as f64 + t.len_s / 2.0, t.arrived as f64 / t.len_s))
                .collect();
            let label = if r.outages_s.is_empty() {
                r.name.clone()
            } else {
                format!("{} (outage shaded)", r.name)
            };
            c.draw_series(LineSeries::new(pts, colour.stroke_width(2)))
                .map_err(err(name))?
                .label(label)
                .legend(legend_line(colour));
        }
        house_legend(&mut c, SeriesLabelPosition::UpperLeft, 13, name)?;
        let all: Vec<f64> = o
            .regions
            .iter()
            .flat_map(|r| r.outcome.timeline.iter().filter_map(|t| t.latency_p95_ms))
            .collect();
        let lo = all
            .iter()
            .copied()
            .fold(info.slo_p95_ms, f64::min)
            .max(0.001);
        let hi = all.iter().copied().fold(info.slo_p95_ms, f64::max);
        let mut c = ChartBuilder::on(&bottom)
            .caption("latency p95 per minute by region", (FONT, 20))
            .margin(12)
            .margin_right(40)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(
                TimeAxis::new(info, end),
                (10f64.powf(lo.log10().floor())..10f64.powf(hi.log10().ceil() + 0.8)).log_scale(),
            )
            .map_err(err(name))?;
        house_mesh(&mut c.configure_mesh(), true)
            .x_label_formatter(&label)
            .y_label_formatter(&|v: &f64| fmt_ms(*v))
            .x_desc(time_desc(info))
            .y_desc("p95, ms (log scale)")
            .draw()
            .map_err(err(name))?;
        for (i, r) in o.regions.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let mut seg: Vec<(f64, f64)> = Vec::new();
            let mut first = true;
            let mut flush = |seg: &mut Vec<(f64, f64)>,
                             c: &mut ChartContext<'_, _, _>|
             -> Result<(), ChartError> {
                if !seg.is_empty() {
                    let s = c
                        .draw_series(LineSeries::new(seg.drain(..), colour.stroke_width(2)))
                        .map_err(err(name))?;
                    if first {
                        s.label(r.name.clone()).legend(legend_line(colour));
                        first = false;
                    }
                }
                Ok(())
            };
            for t in &r.outcome.timeline {
                match t.latency_p95_ms {
                    Some(v) => seg.push((t.t_s as f64 + t.len_s / 2.0, v)),
                    None => flush(&mut seg, &mut c)?,
                }
            }
            flush(&mut seg, &mut c)?;
        }
        c.draw_series(DashedLineSeries::new(
            [(0.0, info.slo_p95_ms), (end, info.slo_p95_ms)],
            10,
            6,
            BLACK.stroke_width(2),
        ))
        .map_err(err(name))?
        .label(format!("SLO p95 {} ms", info.slo_p95_ms))
        .legend(legend_line(RGBColor(0, 0, 0)));
        house_legend(&mut c, SeriesLabelPosition::UpperLeft, 13, name)?;
        Ok(())
    })
}
