//! `latency.png`.

use super::canvas::*;
use super::canvas::{DARK, GREEN, GREY, ORANGE, VERMILION};
use super::series::*;
use super::time_axis::*;
use crate::metrics::RunOutcome;
use crate::report::RunInfo;
use crate::report::format::*;
use plotters::prelude::*;

/// `latency.png`: p50/p95/p99 per minute on a log scale with the SLO line;
/// requests dropped (timeouts) and rejected per minute as bars on the right
/// axis.
pub fn latency(o: &RunOutcome, info: &RunInfo) -> Result<Vec<u8>, ChartError> {
    let name = "latency.png";
    let rows = &o.timeline;
    let end = end_s(rows);
    render(name, |root| {
        let p50 = segments(rows, |g| max_opt(g, |r| r.latency_p50_ms));
        let p95 = segments(rows, |g| max_opt(g, |r| r.latency_p95_ms));
        let p99 = segments(rows, |g| max_opt(g, |r| r.latency_p99_ms));
        let all = || p50.iter().chain(&p95).chain(&p99).flatten().map(|p| p.1);
        let lo = all().fold(info.slo.p95_ms, f64::min).max(0.001);
        let hi = all().fold(info.slo.p95_ms, f64::max);
        let y_lo = 10f64.powf(lo.log10().floor());
        // Log axis: a decade of headroom above the data for the legend.
        let y_hi = 10f64.powf(hi.log10().ceil() + 1.0);
        let k = bucket_len(rows.len());
        let bars: Vec<(f64, f64, f64, f64)> = rows
            .chunks(k)
            .map(|g| {
                let last = &g[g.len() - 1];
                (
                    g[0].t_s as f64,
                    last.t_s as f64 + last.len_s,
                    g.iter().map(|r| r.dropped as f64).sum::<f64>() / g.len() as f64,
                    g.iter().map(|r| r.rejected as f64).sum::<f64>() / g.len() as f64,
                )
            })
            .collect();
        let lost_max = bars.iter().map(|b| b.2 + b.3).fold(0.0, f64::max);
        // Bars stay in the lower quarter of the plot.
        let b_top = nice_top((lost_max * 4.0).max(1.0));
        let label = |x: &f64| time_label(info, *x);
        let mut chart = ChartBuilder::on(root)
            .caption(title(info, "latency per minute"), (FONT, 22))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .right_y_label_area_size(72)
            .build_cartesian_2d(TimeAxis::new(info, end), (y_lo..y_hi).log_scale())
            .map_err(err(name))?
            .set_secondary_coord(0f64..end, 0f64..b_top);
        house_mesh(&mut chart.configure_mesh(), false)
            .x_label_formatter(&label)
            .y_label_formatter(&|v: &f64| fmt_ms(*v))
            .x_desc(time_desc(info))
            .y_desc("latency, ms (log scale)")
            .draw()
            .map_err(err(name))?;
        chart
            .configure_secondary_axes()
            .y_desc("requests lost per minute")
            .y_label_formatter(&|v: &f64| fmt_count(*v))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(err(name))?;
        let mut drew_dropped = false;
        let mut drew_rejected = false;
        if lost_max > 0.0 {
            let d = chart
                .draw_secondary_series(bars.iter().filter(|b| b.2 > 0.0).map(|b| {
                    Rectangle::new([(b.0, 0.0), (b.1, b.2)], VERMILION.mix(0.45).filled())
                }))
                .map_err(err(name))?;
            if bars.iter().any(|b| b.2 > 0.0) {
                drew_dropped = true;
                d.label("dropped (timeout) per minute, right axis")
                    .legend(legend_box(VERMILION.mix(0.45)));
            }
            let r = chart
                .draw_secondary_series(bars.iter().filter(|b| b.3 > 0.0).map(|b| {
                    Rectangle::new([(b.0, b.2), (b.1, b.2 + b.3)], GREY.mix(0.4).filled())
                }))
                .map_err(err(name))?;
            if bars.iter().any(|b| b.3 > 0.0) {
                drew_rejected = true;
                r.label("rejected (queue full, LLM limit) per minute, right axis")
                    .legend(legend_box(GREY.mix(0.4)));
            }
        }
        for (series, colour, label) in [
            (&p50, GREEN, "p50"),
            (&p95, ORANGE, "p95"),
            (&p99, VERMILION, "p99"),
        ] {
            for (i, seg) in series.iter().enumerate() {
                let s = chart
                    .draw_series(LineSeries::new(seg.iter().copied(), colour.stroke_width(2)))
                    .map_err(err(name))?;
                if i == 0 {
                    s.label(label).legend(legend_line(colour));
                }
            }
        }
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, info.slo.p95_ms), (end, info.slo.p95_ms)],
                10,
                6,
                DARK.stroke_width(2),
            ))
            .map_err(err(name))?
            .label(format!("SLO: p95 <= {} ms", fmt_ms(info.slo.p95_ms)))
            .legend(legend_line(DARK));
        if !drew_dropped && !drew_rejected {
            chart
                .draw_series(std::iter::once(Text::new(
                    "no request dropped or rejected",
                    (end * 0.70, y_lo * 1.5),
                    (FONT, 14).into_font().color(&GREY),
                )))
                .map_err(err(name))?;
        }
        house_legend(&mut chart, SeriesLabelPosition::UpperLeft, 14, name)?;
        Ok(())
    })
}
