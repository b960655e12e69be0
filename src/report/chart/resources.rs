//! `resources.png`: a pod's CPU and memory, used against requested, and the
//! VPA's recommendation (runs with a usage model).

use super::canvas::*;
use super::canvas::{BLUE, GREEN, VERMILION};
use super::series::*;
use super::time_axis::*;
use crate::metrics::{RunOutcome, TimelineRow, VpaRow};
use crate::report::RunInfo;
use crate::report::format::fmt_count;
use plotters::prelude::*;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 800;

/// One panel's series: what a pod uses and requests (means per ready pod,
/// from the timeline) and the VPA's target and bounds (from vpa.csv).
struct Panel {
    caption: &'static str,
    y_desc: &'static str,
    used: fn(&TimelineRow) -> Option<f64>,
    requested: fn(&TimelineRow) -> Option<f64>,
    target: fn(&VpaRow) -> f64,
    lower: fn(&VpaRow) -> f64,
    upper: fn(&VpaRow) -> f64,
}

/// `resources.png`: CPU (top, millicores) and memory (bottom, MB) per ready
/// pod: used (mean over the pods, per timeline row), requested (the mean
/// request, which the VPA moves) and, with a VPA, its capped target (line)
/// and lower..upper bounds (band), stepped at each recommender loop.
pub fn resources(o: &RunOutcome, info: &RunInfo) -> Result<Vec<u8>, ChartError> {
    let name = "resources.png";
    let rows = &o.timeline;
    let end = end_s(rows);
    let panels = [
        Panel {
            caption: "CPU per ready pod",
            y_desc: "millicores",
            used: |r| r.usage.map(|u| u.cpu_usage_milli),
            requested: |r| r.usage.map(|u| u.cpu_request_milli),
            target: |v| v.target_cpu_milli,
            lower: |v| v.lower_cpu_milli,
            upper: |v| v.upper_cpu_milli,
        },
        Panel {
            caption: "memory per ready pod",
            y_desc: "MB",
            used: |r| r.usage.map(|u| u.memory_usage_mb),
            requested: |r| r.usage.map(|u| u.memory_request_mb),
            target: |v| v.target_memory_mb,
            lower: |v| v.lower_memory_mb,
            upper: |v| v.upper_memory_mb,
        },
    ];
    render_sized(name, (WIDTH, HEIGHT), |root| {
        let (top, bottom) = root.split_vertically(HEIGHT / 2);
        let label = |x: &f64| time_label(info, *x);
        for (i, (p, area)) in panels.iter().zip([&top, &bottom]).enumerate() {
            let used_max = rows.iter().filter_map(p.used).fold(0.0, f64::max);
            let req_max = rows.iter().filter_map(p.requested).fold(0.0, f64::max);
            let target_max = o.vpa.iter().map(p.target).fold(0.0, f64::max);
            let y_top = nice_top(used_max.max(req_max).max(target_max) * 1.35);
            let caption = if i == 0 {
                format!("{}: {}", title(info, "resources"), p.caption)
            } else {
                p.caption.to_string()
            };
            let mut c = ChartBuilder::on(area)
                .caption(caption, (FONT, 20))
                .margin(12)
                .margin_right(40)
                .x_label_area_size(if i == 0 { 36 } else { 48 })
                .y_label_area_size(72)
                .build_cartesian_2d(TimeAxis::new(info, end), 0f64..y_top)
                .map_err(err(name))?;
            let mut mesh = c.configure_mesh();
            house_mesh(&mut mesh, true)
                .x_label_formatter(&label)
                .y_label_formatter(&|v: &f64| fmt_count(*v))
                .y_desc(p.y_desc);
            if i == 1 {
                mesh.x_desc(time_desc(info));
            }
            mesh.draw().map_err(err(name))?;
            if !o.vpa.is_empty() {
                // Each recommendation holds until the next loop.
                let span = |k: usize| {
                    let a = o.vpa[k].t_us as f64 / 1e6;
                    let b = o.vpa.get(k + 1).map_or(end, |n| n.t_us as f64 / 1e6);
                    (a, b)
                };
                let band: Vec<_> = (0..o.vpa.len())
                    .map(|k| {
                        let (a, b) = span(k);
                        let v = &o.vpa[k];
                        Rectangle::new(
                            [(a, (p.lower)(v).min(y_top)), (b, (p.upper)(v).min(y_top))],
                            GREEN.mix(0.15).filled(),
                        )
                    })
                    .collect();
                c.draw_series(band)
                    .map_err(err(name))?
                    .label("VPA lower..upper bound")
                    .legend(legend_box(GREEN.mix(0.3)));
                let mut pts = Vec::with_capacity(2 * o.vpa.len());
                for k in 0..o.vpa.len() {
                    let (a, b) = span(k);
                    let v = (p.target)(&o.vpa[k]).min(y_top);
                    pts.push((a, v));
                    pts.push((b, v));
                }
                c.draw_series(LineSeries::new(pts, GREEN.stroke_width(2)))
                    .map_err(err(name))?
                    .label("VPA target (capped)")
                    .legend(legend_line(GREEN));
            }
            let lines = [
                (p.requested, VERMILION, 2, "requested (mean per ready pod)"),
                (p.used, BLUE, 1, "used (mean per ready pod)"),
            ];
            for (f, colour, width, text) in lines {
                for (k, s) in segments(rows, |g| mean_of(g, f)).into_iter().enumerate() {
                    let series = c
                        .draw_series(LineSeries::new(s, colour.stroke_width(width)))
                        .map_err(err(name))?;
                    if k == 0 {
                        series.label(text).legend(legend_line(colour));
                    }
                }
            }
            house_legend(&mut c, SeriesLabelPosition::UpperLeft, 13, name)?;
        }
        Ok(())
    })
}

/// The mean of the rows' values that have one (None when none has).
fn mean_of(g: &[TimelineRow], f: fn(&TimelineRow) -> Option<f64>) -> Option<f64> {
    let (n, sum) = g
        .iter()
        .filter_map(f)
        .fold((0u32, 0.0), |(n, s), v| (n + 1, s + v));
    (n > 0).then(|| sum / f64::from(n))
}
