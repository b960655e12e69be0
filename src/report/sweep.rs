//! Sweep results read back for people: the cost-vs-p95 Pareto chart, the
//! heatmap of a two-axis grid, and the planner's page. Reads `results.csv`
//! (the sweep's contract) as a [`SweepTable`], never the engine.

use super::chart::{
    BLUE, ChartError, DARK, FONT, GREY, TimeAxis, VERMILION, err, fmt_latency, fmt_ms, fmt_usd,
    house_legend, house_mesh, render_sized,
};
pub use crate::metrics::table::SweepTable;
use plotters::prelude::*;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 600;

/// `pareto.png`: every point's projected monthly cost against its p95
/// (log scale), points meeting the SLO filled, the front joined, 95 %
/// confidence intervals as whiskers.
pub fn pareto_png(t: &SweepTable, title: &str) -> Result<Vec<u8>, ChartError> {
    let name = "pareto.png";
    let month = |r| t.num(r, "projected_month_usd_mean");
    let p95 = |r| t.num(r, "latency_p95_ms_mean");
    let ci = |r| t.num(r, "latency_p95_ms_ci95");
    let shown: Vec<usize> = (0..t.rows.len())
        .filter(|&r| month(r).is_finite() && p95(r).is_finite() && p95(r) > 0.0)
        .collect();
    let front: Vec<usize> = t
        .pareto()
        .into_iter()
        .filter(|r| shown.contains(r))
        .collect();
    render_sized(name, (WIDTH, HEIGHT), |root| {
        let (xmin, xmax) = shown
            .iter()
            .map(|&r| month(r))
            .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (xmin, xmax) = if shown.is_empty() {
            (0.0, 1.0)
        } else {
            let spread = xmax - xmin;
            let pad = if spread > 0.0 {
                spread * 0.08
            } else {
                (xmax.abs() * 0.02).max(1e-6)
            };
            ((xmin - pad).max(0.0), xmax + pad)
        };
        let lo = shown
            .iter()
            .map(|&r| (p95(r) - ci(r).max(0.0)).max(p95(r) * 0.5))
            .fold(f64::INFINITY, f64::min);
        let hi = shown
            .iter()
            .map(|&r| p95(r) + ci(r).max(0.0))
            .fold(0.0, f64::max);
        let (y_lo, y_hi) = if shown.is_empty() {
            (1.0, 1000.0)
        } else {
            (
                10f64.powf(lo.log10().floor()),
                // Headroom for the legend.
                10f64.powf(hi.log10().ceil() + 0.6),
            )
        };
        let mut c = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(14)
            .margin_right(30)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(xmin..xmax, (y_lo..y_hi).log_scale())
            .map_err(err(name))?;
        house_mesh(&mut c.configure_mesh(), false)
            .x_desc("projected monthly cost, USD (mean over replications)")
            .y_desc("latency p95, ms (log scale)")
            .x_label_formatter(&|v: &f64| fmt_usd(*v))
            .y_label_formatter(&|v: &f64| fmt_ms(*v))
            .draw()
            .map_err(err(name))?;
        let whiskers: Vec<usize> = shown.iter().copied().filter(|&r| ci(r) > 0.0).collect();
        c.draw_series(whiskers.iter().map(|&r| {
            let lo = (p95(r) - ci(r)).max(y_lo);
            PathElement::new(vec![(month(r), lo), (month(r), p95(r) + ci(r))], GREY)
        }))
        .map_err(err(name))?;
        let met: Vec<usize> = shown.iter().copied().filter(|&r| t.met(r)).collect();
        let missed: Vec<usize> = shown.iter().copied().filter(|&r| !t.met(r)).collect();
        c.draw_series(
            missed
                .iter()
                .map(|&r| Circle::new((month(r), p95(r)), 5, GREY.stroke_width(2))),
        )
        .map_err(err(name))?
        .label(format!("SLO missed ({})", missed.len()))
        .legend(|(x, y)| Circle::new((x + 11, y), 5, GREY.stroke_width(2)));
        c.draw_series(
            met.iter()
                .map(|&r| Circle::new((month(r), p95(r)), 5, BLUE.filled())),
        )
        .map_err(err(name))?
        .label(format!("SLO met ({})", met.len()))
        .legend(|(x, y)| Circle::new((x + 11, y), 5, BLUE.filled()));
        c.draw_series(LineSeries::new(
            front.iter().map(|&r| (month(r), p95(r))),
            VERMILION.stroke_width(2),
        ))
        .map_err(err(name))?
        .label(format!("Pareto front ({} points)", front.len()))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], VERMILION.stroke_width(2)));
        c.draw_series(
            front
                .iter()
                .map(|&r| Circle::new((month(r), p95(r)), 8, VERMILION.stroke_width(2))),
        )
        .map_err(err(name))?;
        if front.len() <= 8 {
            c.draw_series(front.iter().map(|&r| {
                EmptyElement::at((month(r), p95(r)))
                    + Text::new(
                        format!("#{} {}", t.point(r), short_params(t, r)),
                        (10, -20),
                        (FONT, 12).into_font().color(&DARK),
                    )
            }))
            .map_err(err(name))?;
        }
        house_legend(&mut c, SeriesLabelPosition::UpperRight, 14, name)?;
        Ok(())
    })
}

/// Parameters without the common key prefix, for labels.
fn short_params(t: &SweepTable, r: usize) -> String {
    t.axes
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let short = k.rsplit('.').next().unwrap_or(k);
            format!("{short}={}", t.rows[r][i + 1])
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A colour from green (cheap) through yellow to vermilion (dear).
fn cost_colour(f: f64) -> RGBColor {
    let f = f.clamp(0.0, 1.0);
    let (a, b, g) = if f < 0.5 {
        ((0.0, 158.0, 115.0), (240.0, 228.0, 66.0), f * 2.0)
    } else {
        ((240.0, 228.0, 66.0), (213.0, 94.0, 0.0), (f - 0.5) * 2.0)
    };
    let mix = |x: f64, y: f64| (x + (y - x) * g).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// `heatmap.png` for a two-axis sweep: a cell per point, coloured by its
/// projected monthly cost where it meets the SLO, grey where it misses; the
/// cheapest cell that meets the SLO outlined.
///
/// `axes` are the two varying axes as (position among the sweep's axes,
/// values); the first is drawn vertically.
pub fn heatmap_png(
    t: &SweepTable,
    axes: [(usize, &[String]); 2],
    title: &str,
) -> Result<Vec<u8>, ChartError> {
    let name = "heatmap.png";
    let values = [axes[0].1, axes[1].1];
    let (ny, nx) = (values[0].len(), values[1].len());
    // Cell of each row, by its values on the two axes.
    let cell = |r: usize| -> Option<(usize, usize)> {
        let y = values[0]
            .iter()
            .position(|v| *v == t.rows[r][1 + axes[0].0])?;
        let x = values[1]
            .iter()
            .position(|v| *v == t.rows[r][1 + axes[1].0])?;
        Some((x, y))
    };
    let month = |r| t.num(r, "projected_month_usd_mean");
    let feasible: Vec<usize> = (0..t.rows.len())
        .filter(|&r| t.met(r) && month(r).is_finite())
        .collect();
    let (cmin, cmax) = feasible
        .iter()
        .map(|&r| month(r))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    // The planner's order: cost, then p95, then index.
    let p95_of = |r: usize| t.num(r, "latency_p95_ms_mean");
    let best = feasible.iter().copied().min_by(|a, b| {
        month(*a)
            .total_cmp(&month(*b))
            .then(p95_of(*a).total_cmp(&p95_of(*b)))
            .then(a.cmp(b))
    });
    render_sized(name, (WIDTH, HEIGHT), |root| {
        let xs = TimeAxis::with_ticks(0.0, nx as f64, (0..nx).map(|i| i as f64 + 0.5).collect());
        let ys = TimeAxis::with_ticks(0.0, ny as f64, (0..ny).map(|i| i as f64 + 0.5).collect());
        let mut c = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(14)
            .margin_right(30)
            .margin_bottom(30)
            .x_label_area_size(56)
            .y_label_area_size(90)
            .build_cartesian_2d(xs, ys)
            .map_err(err(name))?;
        let xl = |v: &f64| {
            values[1]
                .get(v.floor() as usize)
                .cloned()
                .unwrap_or_default()
        };
        let yl = |v: &f64| {
            values[0]
                .get(v.floor() as usize)
                .cloned()
                .unwrap_or_default()
        };
        house_mesh(&mut c.configure_mesh(), false)
            .disable_mesh()
            .x_label_formatter(&xl)
            .y_label_formatter(&yl)
            .x_desc(t.axes.get(axes[1].0).cloned().unwrap_or_default())
            .y_desc(t.axes.get(axes[0].0).cloned().unwrap_or_default())
            .draw()
            .map_err(err(name))?;
        let area = c.plotting_area().dim_in_pixel();
        let cell_w = area.0 as f64 / nx as f64;
        let cell_h = area.1 as f64 / ny as f64;
        let text = cell_w >= 70.0 && cell_h >= 22.0;
        let two_lines = text && cell_h >= 44.0;
        for r in 0..t.rows.len() {
            let Some((x, y)) = cell(r) else { continue };
            let (x, y) = (x as f64, y as f64);
            let fill = if t.met(r) && month(r).is_finite() {
                let f = if cmax > cmin {
                    (month(r) - cmin) / (cmax - cmin)
                } else {
                    0.0
                };
                cost_colour(f)
            } else {
                RGBColor(225, 225, 225)
            };
            c.draw_series(std::iter::once(Rectangle::new(
                [(x, y), (x + 1.0, y + 1.0)],
                fill.filled(),
            )))
            .map_err(err(name))?;
            c.draw_series(std::iter::once(Rectangle::new(
                [(x, y), (x + 1.0, y + 1.0)],
                WHITE.stroke_width(1),
            )))
            .map_err(err(name))?;
            if text {
                let p95 = t.num(r, "latency_p95_ms_mean");
                let first = format!("{}/mo", fmt_usd(month(r)));
                let style = (FONT, 13).into_font().color(&DARK).pos(
                    plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Center,
                    ),
                );
                let (l1, l2) = if two_lines {
                    (y + 0.64, Some(y + 0.34))
                } else {
                    (y + 0.5, None)
                };
                c.draw_series(std::iter::once(Text::new(
                    first,
                    (x + 0.5, l1),
                    style.clone(),
                )))
                .map_err(err(name))?;
                if let Some(l2) = l2 {
                    let p95 = if p95.is_finite() {
                        format!("p95 {}", fmt_latency(p95))
                    } else {
                        "p95 n/a".into()
                    };
                    let second = if t.met(r) {
                        p95
                    } else {
                        format!("missed: {p95}")
                    };
                    c.draw_series(std::iter::once(Text::new(second, (x + 0.5, l2), style)))
                        .map_err(err(name))?;
                }
            }
        }
        if let Some(b) = best
            && let Some((x, y)) = cell(b)
        {
            let (x, y) = (x as f64, y as f64);
            c.draw_series(std::iter::once(Rectangle::new(
                [(x + 0.02, y + 0.02), (x + 0.98, y + 0.98)],
                BLACK.stroke_width(3),
            )))
            .map_err(err(name))?;
        }
        let mut note = match best {
            Some(b) => format!(
                "colour: projected month where the SLO is met ({} to {}); grey: SLO missed; outlined: cheapest meeting the SLO ({})",
                fmt_usd(cmin),
                fmt_usd(cmax),
                fmt_usd(month(b))
            ),
            None => "no point meets the SLO (all grey)".to_string(),
        };
        if t.rows.len() < nx * ny {
            note.push_str("; white: not simulated");
        }
        root.draw(&Text::new(
            note,
            (14, HEIGHT as i32 - 16),
            (FONT, 13).into_font().color(&GREY),
        ))
        .map_err(err(name))?;
        Ok(())
    })
}
