//! `nodes.png`: the node layer over time.

use super::canvas::*;
use super::canvas::{BLUE, DARK, GREEN, GREY, ORANGE, PURPLE, SKY, VERMILION, YELLOW};
use super::series::*;
use super::time_axis::*;
use crate::metrics::RunOutcome;
use crate::report::RunInfo;
use plotters::prelude::*;

/// `nodes.png`: nodes by group and purchase option (stacked areas, left
/// axis) and pods waiting for room (unschedulable, right axis).
pub fn nodes(o: &RunOutcome, info: &RunInfo) -> Result<Vec<u8>, ChartError> {
    let name = "nodes.png";
    let rows = &o.timeline;
    let end = end_s(rows);
    let groups = o
        .summary
        .nodes
        .as_ref()
        .map(|n| n.groups.clone())
        .unwrap_or_default();
    let width = rows
        .iter()
        .filter_map(|r| r.nodes.as_ref().map(|n| n.by_group_purchase.len()))
        .max()
        .unwrap_or(0);
    // Series that ever have a node, in group order, on-demand before spot.
    let series: Vec<usize> = (0..width)
        .filter(|&k| {
            rows.iter().any(|r| {
                r.nodes
                    .as_ref()
                    .is_some_and(|n| n.by_group_purchase.get(k).copied().unwrap_or(0) > 0)
            })
        })
        .collect();
    let count = |r: &crate::metrics::TimelineRow, k: usize| {
        r.nodes.as_ref().map_or(0.0, |n| {
            f64::from(n.by_group_purchase.get(k).copied().unwrap_or(0))
        })
    };
    let node_max = rows
        .iter()
        .map(|r| r.nodes.as_ref().map_or(0, |n| n.nodes_total))
        .max()
        .unwrap_or(0);
    let unsched_max = rows
        .iter()
        .map(|r| r.nodes.as_ref().map_or(0, |n| n.pods_unschedulable))
        .max()
        .unwrap_or(0);
    render(name, |root| {
        let y_top = (f64::from(node_max) * 1.4).ceil().max(2.0);
        let r_top = (f64::from(unsched_max) * 1.4).ceil().max(2.0);
        let label = |x: &f64| time_label(info, *x);
        let mut chart = ChartBuilder::on(root)
            .caption(title(info, "nodes"), (FONT, 22))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .right_y_label_area_size(60)
            .build_cartesian_2d(TimeAxis::new(info, end), 0f64..y_top)
            .map_err(err(name))?
            .set_secondary_coord(0f64..end, 0f64..r_top);
        let whole = |v: &f64| {
            if (v - v.round()).abs() < 1e-9 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        };
        house_mesh(&mut chart.configure_mesh(), false)
            .x_label_formatter(&label)
            .x_desc(time_desc(info))
            .y_desc("nodes (stacked by group and purchase option)")
            .y_label_formatter(&whole)
            .draw()
            .map_err(err(name))?;
        chart
            .configure_secondary_axes()
            .y_desc("pods unschedulable")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .y_label_formatter(&whole)
            .draw()
            .map_err(err(name))?;
        const COLOURS: [RGBColor; 8] = [BLUE, ORANGE, GREEN, SKY, PURPLE, YELLOW, GREY, DARK];
        // Stacked from the top down so that each area covers the ones above it.
        for (i, &k) in series.iter().enumerate().rev() {
            let below: Vec<usize> = series[..=i].to_vec();
            let pts = steps(rows, |g| {
                max_of(g, |r| below.iter().map(|&j| count(r, j)).sum::<f64>())
            });
            // Opaque (a pastel of the palette): each lower band, drawn
            // later, covers the lower part of the ones above it.
            let c = COLOURS[i % COLOURS.len()];
            let pastel = |v: u8| (f64::from(v) * 0.6 + 255.0 * 0.4).round() as u8;
            let colour = RGBColor(pastel(c.0), pastel(c.1), pastel(c.2));
            let group = groups.get(k / 2).cloned().unwrap_or_default();
            let purchase = if k % 2 == 1 { "spot" } else { "on-demand" };
            chart
                .draw_series(AreaSeries::new(pts, 0.0, colour.filled()).border_style(c))
                .map_err(err(name))?
                .label(format!("{group} {purchase}"))
                .legend(legend_box(colour.to_rgba()));
        }
        let unsched = steps(rows, |g| {
            max_of(g, |r| {
                r.nodes
                    .as_ref()
                    .map_or(0.0, |n| f64::from(n.pods_unschedulable))
            })
        });
        chart
            .draw_secondary_series(LineSeries::new(unsched, VERMILION.stroke_width(2)))
            .map_err(err(name))?
            .label("pods unschedulable (right axis)")
            .legend(legend_line(VERMILION));
        house_legend(&mut chart, SeriesLabelPosition::UpperLeft, 14, name)?;
        Ok(())
    })
}
