//! `regions.png`: each region's offered load and p95, outages shaded.

use super::canvas::*;
use super::canvas::{BLUE, GREEN, ORANGE, PURPLE, SKY, VERMILION};
use super::time_axis::*;
use crate::metrics::RunOutcome;
use crate::report::RunInfo;
use crate::report::format::*;
use plotters::prelude::*;

pub const WIDTH: u32 = 1200;

pub const HEIGHT: u32 = 800;

const COLOURS: [RGBColor; 6] = [BLUE, VERMILION, GREEN, ORANGE, PURPLE, SKY];

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
            .fold(info.slo.p95_ms, f64::min)
            .max(0.001);
        let hi = all.iter().copied().fold(info.slo.p95_ms, f64::max);
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
            [(0.0, info.slo.p95_ms), (end, info.slo.p95_ms)],
            10,
            6,
            BLACK.stroke_width(2),
        ))
        .map_err(err(name))?
        .label(format!("SLO p95 {} ms", info.slo.p95_ms))
        .legend(legend_line(RGBColor(0, 0, 0)));
        house_legend(&mut c, SeriesLabelPosition::UpperLeft, 13, name)?;
        Ok(())
    })
}
