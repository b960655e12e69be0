//! `cost.png`.

use super::canvas::*;
use super::canvas::{BLUE, DARK, GREEN, GREY, ORANGE, PURPLE, SKY, VERMILION, YELLOW};
use super::series::*;
use super::time_axis::*;
use crate::billing::budget::{AlertKind, Scope};
use crate::metrics::{RunOutcome, TimelineRow};
use crate::report::RunInfo;
use crate::report::format::*;
use crate::units::us_to_secs;
use plotters::prelude::*;

/// The cost components drawn stacked, bottom first.
#[allow(clippy::type_complexity)]
pub const COMPONENTS: &[(&str, RGBColor, fn(&TimelineRow) -> f64)] = &[
    ("compute on-demand", BLUE, |r| {
        r.cost_compute_usd - r.cost_compute_spot_usd
    }),
    ("compute spot", ORANGE, |r| r.cost_compute_spot_usd),
    ("database", GREEN, |r| r.fixed.database_usd),
    ("cache", SKY, |r| r.fixed.cache_usd),
    ("network", YELLOW, |r| r.fixed.network_usd),
    ("load balancer", GREY, |r| r.fixed.load_balancer_usd),
    ("storage", DARK, |r| r.fixed.storage_usd),
    ("LLM (Bedrock)", PURPLE, |r| r.cost_llm_usd),
    ("control plane (EKS)", VERMILION, |r| {
        r.cost_control_plane_usd
    }),
];

/// Total cost at `t_s` (interpolated within its minute).
pub(crate) fn total_at(rows: &[TimelineRow], t_s: f64) -> f64 {
    let mut prev = (0.0, 0.0);
    for r in rows {
        let end = r.t_s as f64 + r.len_s;
        let c = r.cost_total_usd();
        if end >= t_s {
            let f = if end > prev.0 {
                ((t_s - prev.0) / (end - prev.0)).clamp(0.0, 1.0)
            } else {
                1.0
            };
            return prev.1 + (c - prev.1) * f;
        }
        prev = (end, c);
    }
    prev.1
}

/// `cost.png`: cumulative cost by component, stacked; for each budget its
/// month pro rata (dashed) and its alert thresholds (dotted, when within
/// reach of this run's cost); the moments alerts fired as markers on the
/// total.
pub fn cost(o: &RunOutcome, info: &RunInfo) -> Result<Vec<u8>, ChartError> {
    let name = "cost.png";
    let rows = &o.timeline;
    let end = end_s(rows);
    let month_s = crate::billing::budget::month_seconds(info.start_epoch_us);
    render(name, |root| {
        let last = rows.last();
        let shown: Vec<_> = COMPONENTS
            .iter()
            .filter(|(_, _, f)| last.is_some_and(|r| f(r) > 0.0))
            .collect();
        let total_end = last.map(|r| r.cost_total_usd()).unwrap_or(0.0);
        // Budgets: pro-rata lines; thresholds within 2.5× of what the chart
        // shows are drawn, the others listed in a note.
        let pro_rata_end = info
            .budgets
            .iter()
            .map(|b| b.monthly_usd * end / month_s)
            .fold(0.0, f64::max);
        let data_top = total_end.max(pro_rata_end);
        let mut thresholds = Vec::new();
        let mut off_scale = Vec::new();
        for b in &info.budgets {
            for (pct, kind) in &b.alerts {
                let amount = b.monthly_usd * pct / 100.0;
                let text = format!(
                    "{} {}% {} ({})",
                    budget_label(&b.name, b.scope),
                    pct,
                    fmt_usd(amount),
                    if *kind == AlertKind::Actual {
                        "actual"
                    } else {
                        "forecasted"
                    }
                );
                if amount <= 2.5 * data_top.max(1e-9) {
                    thresholds.push((amount, text));
                } else {
                    off_scale.push(text);
                }
            }
        }
        let y_top = nice_top(
            thresholds
                .iter()
                .map(|t| t.0)
                .fold(data_top, f64::max)
                .max(1e-6)
                * 1.45,
        );
        let mut chart = cost_over_time(
            root,
            title(info, "cumulative cost"),
            false,
            info,
            (end, y_top),
            name,
        )?;
        // Stacked: draw the top of each layer from the highest down, so each
        // lower layer paints over the one above it.
        let k = bucket_len(rows.len());
        let sampled: Vec<&TimelineRow> = rows.chunks(k).map(|g| &g[g.len() - 1]).collect();
        type Layer = (String, RGBColor, Vec<(f64, f64)>);
        let mut layers: Vec<Layer> = Vec::new();
        let mut below = vec![0.0; sampled.len()];
        for (label, colour, f) in &shown {
            let pts: Vec<(f64, f64)> = sampled
                .iter()
                .zip(below.iter_mut())
                .map(|(r, b)| {
                    *b += f(r);
                    (r.t_s as f64 + r.len_s, *b)
                })
                .collect();
            layers.push((label.to_string(), *colour, pts));
        }
        for (label, colour, pts) in layers.iter().rev() {
            let mut pts = pts.clone();
            pts.insert(0, (0.0, 0.0));
            chart
                .draw_series(
                    AreaSeries::new(pts, 0.0, colour.mix(0.55))
                        .border_style(colour.stroke_width(1)),
                )
                .map_err(err(name))?
                .label(label.clone())
                .legend(legend_box(colour.mix(0.55)));
        }
        for (i, b) in info.budgets.iter().enumerate() {
            let per_s = b.monthly_usd / month_s;
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, 0.0), (end, per_s * end)],
                    10,
                    6,
                    VERMILION
                        .mix(if i == 0 { 1.0 } else { 0.6 })
                        .stroke_width(2),
                ))
                .map_err(err(name))?
                .label(format!(
                    "{} {}/month, pro rata",
                    budget_label(&b.name, b.scope),
                    fmt_usd(b.monthly_usd)
                ))
                .legend(legend_line(VERMILION));
        }
        for (amount, text) in &thresholds {
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, *amount), (end, *amount)],
                    3,
                    5,
                    DARK.stroke_width(2),
                ))
                .map_err(err(name))?;
            chart
                .draw_series(std::iter::once(Text::new(
                    text.clone(),
                    (end * 0.995, *amount),
                    (FONT, 13).into_font().color(&DARK).pos(
                        plotters::style::text_anchor::Pos::new(
                            plotters::style::text_anchor::HPos::Right,
                            plotters::style::text_anchor::VPos::Bottom,
                        ),
                    ),
                )))
                .map_err(err(name))?;
        }
        let fired: Vec<_> = o.alerts.iter().filter(|a| !a.projected).collect();
        let budget_marks: Vec<(f64, f64)> = fired
            .iter()
            .filter(|a| a.kind.starts_with("budget_"))
            .map(|a| {
                let t = us_to_secs(a.t_us);
                (t, total_at(rows, t))
            })
            .collect();
        let llm_marks: Vec<(f64, f64)> = fired
            .iter()
            .filter(|a| a.kind.starts_with("llm_"))
            .map(|a| {
                let t = us_to_secs(a.t_us);
                (t, total_at(rows, t))
            })
            .collect();
        macro_rules! diamond {
            ($at:expr, $c:expr) => {
                EmptyElement::at($at)
                    + Polygon::new(vec![(0, -8), (7, 0), (0, 8), (-7, 0)], $c.filled())
                    + PathElement::new(vec![(0, -8), (7, 0), (0, 8), (-7, 0), (0, -8)], BLACK)
            };
        }
        if !budget_marks.is_empty() {
            chart
                .draw_series(budget_marks.iter().map(|p| diamond!(*p, VERMILION)))
                .map_err(err(name))?
                .label(format!("budget alert fired ({})", budget_marks.len()))
                .legend(|(x, y)| diamond!((x + 11, y), VERMILION));
        }
        if !llm_marks.is_empty() {
            chart
                .draw_series(llm_marks.iter().map(|p| diamond!(*p, PURPLE)))
                .map_err(err(name))?
                .label(format!("LLM limit reached ({})", llm_marks.len()))
                .legend(|(x, y)| diamond!((x + 11, y), PURPLE));
        }
        if !off_scale.is_empty() {
            let note = format!("above the chart: {}", off_scale.join("; "));
            chart
                .draw_series(std::iter::once(Text::new(
                    note,
                    (end * 0.995, y_top * 0.985),
                    (FONT, 13).into_font().color(&GREY).pos(
                        plotters::style::text_anchor::Pos::new(
                            plotters::style::text_anchor::HPos::Right,
                            plotters::style::text_anchor::VPos::Top,
                        ),
                    ),
                )))
                .map_err(err(name))?;
        }
        house_legend(&mut chart, SeriesLabelPosition::UpperLeft, 14, name)?;
        Ok(())
    })
}

/// "monthly budget" or "compute budget `name`".
pub(crate) fn budget_label(name: &str, scope: Scope) -> String {
    if scope == Scope::Total && name == "monthly" {
        "budget".into()
    } else {
        format!("budget {name}")
    }
}

/// A chart of cumulative USD over the run's time in the house style: the
/// full-size one of `cost.png`, or (`small`) a panel such as compare.png's.
pub(crate) fn cost_over_time<'a, 'b: 'a>(
    area: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    caption: String,
    small: bool,
    info: &RunInfo,
    (end, y_top): (f64, f64),
    name: &str,
) -> Result<
    ChartContext<
        'a,
        BitMapBackend<'b>,
        Cartesian2d<TimeAxis, plotters::coord::types::RangedCoordf64>,
    >,
    ChartError,
> {
    let (caption_px, margin, margin_right, y_labels) = if small {
        (20, 12, 40, 64)
    } else {
        (22, 14, 48, 80)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, caption_px))
        .margin(margin)
        .margin_right(margin_right)
        .x_label_area_size(48)
        .y_label_area_size(y_labels)
        .build_cartesian_2d(TimeAxis::new(info, end), 0f64..y_top)
        .map_err(err(name))?;
    let label = |x: &f64| time_label(info, *x);
    house_mesh(&mut chart.configure_mesh(), small)
        .x_label_formatter(&label)
        .y_label_formatter(&|v: &f64| fmt_usd(*v))
        .x_desc(time_desc(info))
        .y_desc("cumulative cost, USD")
        .draw()
        .map_err(err(name))?;
    Ok(chart)
}
