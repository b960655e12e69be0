//! `load_replicas.png`.

use super::canvas::*;
use super::canvas::{BLUE, DARK, GREEN, ORANGE, PURPLE, VERMILION};
use super::series::*;
use super::time_axis::*;
use crate::metrics::RunOutcome;
use crate::report::RunInfo;
use crate::report::format::*;
use crate::units::us_to_secs;
use plotters::prelude::*;

/// `load_replicas.png`: offered requests per second (left axis) and ready and
/// desired replicas (right axis), spot replicas shaded, scaling decisions as
/// triangles on the replica line, scheduled actions as vertical lines.
pub fn load_replicas(o: &RunOutcome, info: &RunInfo) -> Result<Vec<u8>, ChartError> {
    let name = "load_replicas.png";
    let rows = &o.timeline;
    let end = end_s(rows);
    render(name, |root| {
        let rps = steps(rows, |g| {
            g.iter().map(|r| r.arrived as f64).sum::<f64>() / g.iter().map(|r| r.len_s).sum::<f64>()
        });
        let rps_max = rps.iter().map(|p| p.1).fold(0.0, f64::max);
        let ready = steps(rows, |g| max_of(g, |r| f64::from(r.replicas_ready)));
        let desired = steps(rows, |g| max_of(g, |r| f64::from(r.replicas_desired)));
        let spot = steps(rows, |g| max_of(g, |r| f64::from(r.replicas_spot)));
        let rep_max = rows
            .iter()
            .map(|r| r.replicas_total.max(r.replicas_desired))
            .chain(
                o.scaling
                    .iter()
                    .filter(|e| !crate::metrics::is_node_layer(&e.autoscaler))
                    .map(|e| e.to),
            )
            .max()
            .unwrap_or(0);
        // Headroom above the data keeps the legend off it.
        let y_top = nice_top(rps_max * 1.4);
        let r_top = (f64::from(rep_max) * 1.4).ceil().max(2.0);
        let label = |x: &f64| time_label(info, *x);
        let mut chart = ChartBuilder::on(root)
            .caption(title(info, "offered load and replicas"), (FONT, 22))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .right_y_label_area_size(60)
            .build_cartesian_2d(TimeAxis::new(info, end), 0f64..y_top)
            .map_err(err(name))?
            .set_secondary_coord(0f64..end, 0f64..r_top);
        house_mesh(&mut chart.configure_mesh(), false)
            .x_label_formatter(&label)
            .x_desc(time_desc(info))
            .y_desc("offered requests per second")
            .y_label_formatter(&|v: &f64| fmt_count(*v))
            .draw()
            .map_err(err(name))?;
        chart
            .configure_secondary_axes()
            .y_desc("replicas")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .y_label_formatter(&|v: &f64| {
                if (v - v.round()).abs() < 1e-9 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            })
            .draw()
            .map_err(err(name))?;
        if spot.iter().any(|p| p.1 > 0.0) {
            chart
                .draw_secondary_series(AreaSeries::new(spot, 0.0, ORANGE.mix(0.35)))
                .map_err(err(name))?
                .label("spot replicas (shaded)")
                .legend(legend_box(ORANGE.mix(0.35)));
        }
        chart
            .draw_series(LineSeries::new(rps, BLUE.stroke_width(1)))
            .map_err(err(name))?
            .label("offered rps (left axis)")
            .legend(legend_line(BLUE));
        chart
            .draw_secondary_series(LineSeries::new(ready, GREEN.stroke_width(3)))
            .map_err(err(name))?
            .label("ready replicas")
            .legend(legend_line(GREEN));
        // Dashed and drawn over the ready line: both stay visible where equal.
        chart
            .draw_secondary_series(DashedLineSeries::new(
                desired,
                8,
                6,
                VERMILION.stroke_width(2),
            ))
            .map_err(err(name))?
            .label("desired replicas")
            .legend(legend_line(VERMILION));
        let scheduled: Vec<f64> = o
            .scaling
            .iter()
            .filter(|e| e.autoscaler.rsplit('/').next() == Some("schedule"))
            .map(|e| us_to_secs(e.t_us))
            .collect();
        for (i, t) in scheduled.iter().enumerate() {
            let s = chart
                .draw_secondary_series(DashedLineSeries::new(
                    [(*t, 0.0), (*t, r_top)],
                    6,
                    4,
                    PURPLE.stroke_width(2),
                ))
                .map_err(err(name))?;
            if i == 0 {
                s.label("scheduled action").legend(legend_line(PURPLE));
            }
        }
        let decisions = o.scaling.iter().filter(|e| {
            // Multi-region events are named `region/autoscaler`.
            let kind = e.autoscaler.rsplit('/').next().unwrap_or("");
            kind != "schedule"
                && kind != "fixed"
                && !crate::metrics::is_node_layer(kind)
                && e.from != e.to
        });
        // A decision's marker sits at the replica count it set; in a
        // multi-region run (whose events are per region) at the regions'
        // desired total at the end of that minute.
        let at = |e: &crate::metrics::ScalingEvent| {
            let t = us_to_secs(e.t_us);
            let y = if o.regions.is_empty() {
                f64::from(e.to)
            } else {
                rows.iter()
                    .find(|r| (r.t_s as f64 + r.len_s) > t)
                    .or(rows.last())
                    .map_or(0.0, |r| f64::from(r.replicas_desired))
            };
            (t, y)
        };
        let ups: Vec<(f64, f64)> = decisions
            .clone()
            .filter(|e| e.to > e.from)
            .map(at)
            .collect();
        let downs: Vec<(f64, f64)> = decisions.filter(|e| e.to < e.from).map(at).collect();
        if !ups.is_empty() {
            chart
                .draw_secondary_series(
                    ups.iter()
                        .map(|p| TriangleMarker::new(*p, 6, DARK.filled())),
                )
                .map_err(err(name))?
                .label(format!("scale-up decision ({})", ups.len()))
                .legend(|(x, y)| TriangleMarker::new((x + 11, y), 6, DARK.filled()));
        }
        if !downs.is_empty() {
            chart
                .draw_secondary_series(downs.iter().map(|p| {
                    EmptyElement::at(*p)
                        + Polygon::new(vec![(-6, -5), (6, -5), (0, 6)], DARK.mix(0.6).filled())
                }))
                .map_err(err(name))?
                .label(format!("scale-down decision ({})", downs.len()))
                .legend(|(x, y)| {
                    EmptyElement::at((x + 11, y))
                        + Polygon::new(vec![(-6, -5), (6, -5), (0, 6)], DARK.mix(0.6).filled())
                });
        }
        house_legend(&mut chart, SeriesLabelPosition::UpperLeft, 14, name)?;
        Ok(())
    })
}
