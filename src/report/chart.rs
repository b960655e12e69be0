//! PNG charts of a run, drawn with plotters into an in-memory RGB buffer and
//! encoded with `png`. Text comes from DejaVu Sans compiled into the binary
//! (the `dejavu` crate, registered once with plotters' `ab_glyph` backend), so
//! a chart renders the same on a machine without any fonts. Time axes are in
//! the scenario's time zone, ticks on round local clock times.
//!
//! Charts read a finished [`RunOutcome`]; they are never in the simulation's
//! hot path.

use super::RunInfo;
use crate::billing::budget::Scope;
use crate::metrics::{RunOutcome, TimelineRow};
use crate::scenario::model::AlertKind;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::prelude::*;
use plotters::style::FontStyle;

/// Size of every chart, pixels.
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 600;

/// The font family name the embedded font is registered under.
pub(crate) const FONT: &str = "sans-serif";

/// Most points a series draws; longer timelines are bucketed (a point per
/// bucket, aggregated so that peaks stay visible).
const MAX_POINTS: usize = 2400;

#[derive(Debug, thiserror::Error)]
#[error("chart {chart}: {message}")]
pub struct ChartError {
    pub chart: String,
    pub message: String,
}

pub(crate) fn err<E: std::fmt::Display>(chart: &str) -> impl Fn(E) -> ChartError + '_ {
    move |e| ChartError {
        chart: chart.to_string(),
        message: e.to_string(),
    }
}

/// Registers the embedded DejaVu Sans (regular and bold) once per process.
fn register_fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped in the `dejavu` crate;
        // a failure here would be a broken build, and charts then fall back
        // to plotters' error, reported as a chart error.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

// Colours (a colour-blind-safe palette: Okabe & Ito).
pub(crate) const BLUE: RGBColor = RGBColor(0, 114, 178);
pub(crate) const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub(crate) const GREEN: RGBColor = RGBColor(0, 158, 115);
pub(crate) const VERMILION: RGBColor = RGBColor(213, 94, 0);
pub(crate) const PURPLE: RGBColor = RGBColor(204, 121, 167);
pub(crate) const SKY: RGBColor = RGBColor(86, 180, 233);
pub(crate) const YELLOW: RGBColor = RGBColor(240, 228, 66);
pub(crate) const GREY: RGBColor = RGBColor(110, 110, 110);
pub(crate) const DARK: RGBColor = RGBColor(40, 40, 40);

/// The three charts of a run, PNG-encoded.
pub struct RunCharts {
    pub load_replicas: Vec<u8>,
    pub latency: Vec<u8>,
    pub cost: Vec<u8>,
    /// Multi-region runs: offered load and p95 by region.
    pub regions: Option<Vec<u8>>,
}

impl RunCharts {
    /// (file name, bytes, size) of each chart, in report order.
    pub fn files(&self) -> Vec<(&'static str, &[u8], (u32, u32))> {
        let mut v: Vec<(&'static str, &[u8], (u32, u32))> = vec![
            ("load_replicas.png", &self.load_replicas, (WIDTH, HEIGHT)),
            ("latency.png", &self.latency, (WIDTH, HEIGHT)),
            ("cost.png", &self.cost, (WIDTH, HEIGHT)),
        ];
        if let Some(r) = &self.regions {
            v.push((
                "regions.png",
                r,
                (super::regions::WIDTH, super::regions::HEIGHT),
            ));
        }
        v
    }
}

pub fn render_all(o: &RunOutcome, info: &RunInfo) -> Result<RunCharts, ChartError> {
    Ok(RunCharts {
        load_replicas: load_replicas(o, info)?,
        latency: latency(o, info)?,
        cost: cost(o, info)?,
        regions: if o.regions.is_empty() {
            None
        } else {
            Some(super::regions::chart(o, info)?)
        },
    })
}

/// Draws a `WIDTH`×`HEIGHT` chart.
fn render<F>(name: &str, draw: F) -> Result<Vec<u8>, ChartError>
where
    F: FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), ChartError>,
{
    render_sized(name, (WIDTH, HEIGHT), draw)
}

/// Draws into a fresh white RGB buffer and returns it PNG-encoded.
pub(crate) fn render_sized<F>(
    name: &str,
    (width, height): (u32, u32),
    draw: F,
) -> Result<Vec<u8>, ChartError>
where
    F: FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), ChartError>,
{
    register_fonts();
    let mut buf = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err(name))?;
        draw(&root)?;
        root.present().map_err(err(name))?;
    }
    let mut png_bytes = Vec::with_capacity(64 * 1024);
    {
        let mut enc = png::Encoder::new(&mut png_bytes, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(err(name))?;
        w.write_image_data(&buf).map_err(err(name))?;
    }
    Ok(png_bytes)
}

/// End of the timeline, seconds since the trace start (at least 1).
pub(crate) fn end_s(rows: &[TimelineRow]) -> f64 {
    rows.last()
        .map(|r| r.t_s as f64 + r.len_s)
        .unwrap_or(1.0)
        .max(1.0)
}

/// Rows per point so that a series has at most `MAX_POINTS` points.
fn bucket_len(n: usize) -> usize {
    n.div_ceil(MAX_POINTS).max(1)
}

/// A step series: each bucket's value held over the bucket's time span.
pub(crate) fn steps(rows: &[TimelineRow], agg: impl Fn(&[TimelineRow]) -> f64) -> Vec<(f64, f64)> {
    let k = bucket_len(rows.len());
    let mut out = Vec::with_capacity(2 * rows.len().div_ceil(k));
    for g in rows.chunks(k) {
        let v = agg(g);
        let last = &g[g.len() - 1];
        out.push((g[0].t_s as f64, v));
        out.push((last.t_s as f64 + last.len_s, v));
    }
    out
}

/// A line series with gaps: a new segment wherever `agg` gives `None`.
fn segments(
    rows: &[TimelineRow],
    agg: impl Fn(&[TimelineRow]) -> Option<f64>,
) -> Vec<Vec<(f64, f64)>> {
    let k = bucket_len(rows.len());
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for g in rows.chunks(k) {
        let mid = g[0].t_s as f64
            + (g[g.len() - 1].t_s as f64 + g[g.len() - 1].len_s - g[0].t_s as f64) / 2.0;
        match agg(g) {
            Some(v) => out.last_mut().expect("never empty").push((mid, v)),
            None => {
                if !out.last().expect("never empty").is_empty() {
                    out.push(Vec::new());
                }
            }
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn max_of(g: &[TimelineRow], f: impl Fn(&TimelineRow) -> f64) -> f64 {
    g.iter().map(f).fold(0.0, f64::max)
}

fn max_opt(g: &[TimelineRow], f: impl Fn(&TimelineRow) -> Option<f64>) -> Option<f64> {
    g.iter()
        .filter_map(f)
        .fold(None, |m, v| Some(m.map_or(v, |m: f64| m.max(v))))
}

/// Local clock ticks for a span of `end_s` seconds from the trace start:
/// round times (every 1, 2, 3, 6 or 12 hours, days, …) in the scenario's
/// time zone, DST-aware (ticks are local wall-clock times).
pub fn time_ticks(info: &RunInfo, end_s: f64) -> Vec<f64> {
    const STEPS: &[i64] = &[
        60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800,
        1_209_600, 2_419_200,
    ];
    let step = STEPS
        .iter()
        .copied()
        .find(|s| end_s / *s as f64 <= 9.0)
        .unwrap_or(2_419_200);
    let Ok(start) = jiff::Timestamp::from_microsecond(info.start_epoch_us) else {
        return Vec::new();
    };
    let start = start.to_zoned(info.tz.clone());
    let first_day = start.date();
    let days = (end_s / 86_400.0).ceil() as i64 + 1;
    let mut ticks = Vec::new();
    let mut push = |dt: jiff::civil::DateTime| {
        if let Ok(z) = dt.to_zoned(info.tz.clone()) {
            let rel = (z.timestamp().as_microsecond() - info.start_epoch_us) as f64 / 1e6;
            if (0.0..=end_s).contains(&rel) {
                ticks.push(rel);
            }
        }
    };
    if step < 86_400 {
        for d in 0..=days {
            let Ok(day) = first_day.checked_add(jiff::Span::new().days(d)) else {
                break;
            };
            let midnight = day.to_datetime(jiff::civil::Time::midnight());
            let mut s = 0;
            while s < 86_400 {
                if let Ok(dt) = midnight.checked_add(jiff::SignedDuration::from_secs(s)) {
                    push(dt);
                }
                s += step;
            }
        }
    } else {
        let every = step / 86_400;
        let mut d = 0;
        while d <= days {
            if let Ok(day) = first_day.checked_add(jiff::Span::new().days(d)) {
                push(day.to_datetime(jiff::civil::Time::midnight()));
            }
            d += every;
        }
    }
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    ticks
}

/// A tick's label: `HH:MM`, or the date at local midnight.
pub fn time_label(info: &RunInfo, t_s: f64) -> String {
    let Ok(ts) = jiff::Timestamp::from_microsecond(info.start_epoch_us + (t_s * 1e6) as i64) else {
        return String::new();
    };
    let z = ts.to_zoned(info.tz.clone());
    if z.hour() == 0 && z.minute() == 0 {
        z.strftime("%a %d %b").to_string()
    } else {
        z.strftime("%H:%M").to_string()
    }
}

/// The house style of a chart's grid and axis text (`small`: the text of the
/// two-panel charts).
pub(crate) fn house_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged>(
    mesh: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, BitMapBackend<'a>>,
    small: bool,
) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, BitMapBackend<'a>> {
    let (label, desc) = if small { (13, 14) } else { (14, 15) };
    mesh.label_style((FONT, label))
        .axis_desc_style((FONT, desc))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
}

/// The house legend: a framed, nearly opaque box at `position`.
pub(crate) fn house_legend<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, CT>,
    position: SeriesLabelPosition,
    font_px: u32,
    name: &str,
) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, font_px))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(err(name))
}

/// An axis with chosen ticks: the time axis (seconds since the trace start,
/// ticks at round local clock times; plotters' own key points would fall on
/// round numbers of seconds) and categorical axes (a tick per cell centre).
#[derive(Clone, Debug)]
pub struct TimeAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl TimeAxis {
    pub(crate) fn new(info: &RunInfo, end_s: f64) -> TimeAxis {
        TimeAxis {
            lo: 0.0,
            hi: end_s,
            ticks: time_ticks(info, end_s),
        }
    }

    /// `lo..hi` with ticks at the given values.
    pub(crate) fn with_ticks(lo: f64, hi: f64, ticks: Vec<f64>) -> TimeAxis {
        TimeAxis { lo, hi, ticks }
    }
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let r = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (r * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            return Vec::new();
        }
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for TimeAxis {
    fn format(v: &f64) -> String {
        format!("{v}")
    }
}

/// The x-axis description: the time zone's name.
pub(crate) fn time_desc(info: &RunInfo) -> String {
    format!(
        "local time ({})",
        info.tz.iana_name().unwrap_or("UTC offset of the trace")
    )
}

fn title(info: &RunInfo, what: &str) -> String {
    format!("{} on {}: {what}", info.scenario, info.trace)
}

pub(crate) fn legend_line(c: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3))
}

fn legend_box(c: RGBAColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 22, y + 6)], c.filled())
}

/// A nice upper bound: `v` with headroom, rounded up to 1, 2 or 5 × 10^k.
pub(crate) fn nice_top(v: f64) -> f64 {
    if v.is_nan() || v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * mag >= v {
            return m * mag;
        }
    }
    10.0 * mag
}

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
            .chain(o.scaling.iter().map(|e| e.to))
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
            .map(|e| e.t_us as f64 / 1e6)
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
            kind != "schedule" && kind != "fixed" && e.from != e.to
        });
        // A decision's marker sits at the replica count it set; in a
        // multi-region run (whose events are per region) at the regions'
        // desired total at the end of that minute.
        let at = |e: &crate::metrics::ScalingEvent| {
            let t = e.t_us as f64 / 1e6;
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
        let lo = all().fold(info.slo_p95_ms, f64::min).max(0.001);
        let hi = all().fold(info.slo_p95_ms, f64::max);
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
                [(0.0, info.slo_p95_ms), (end, info.slo_p95_ms)],
                10,
                6,
                DARK.stroke_width(2),
            ))
            .map_err(err(name))?
            .label(format!("SLO: p95 <= {} ms", fmt_ms(info.slo_p95_ms)))
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

/// Milliseconds for an axis label: `0.5`, `20`, `1,000` → `1 s` above 1000.
pub fn fmt_ms(v: f64) -> String {
    if v >= 1000.0 {
        let s = v / 1000.0;
        if (s - s.round()).abs() < 1e-9 {
            format!("{s:.0} s")
        } else {
            format!("{s:.1} s")
        }
    } else if v >= 1.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A latency with its unit: `334 ms`, `30.1 s`.
pub fn fmt_latency(v: f64) -> String {
    if v >= 1000.0 {
        fmt_ms(v)
    } else {
        format!("{} ms", fmt_ms(v))
    }
}

/// An axis count: no decimals unless the step is fractional.
pub(crate) fn fmt_count(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Dollars for labels: cents below $100, whole dollars above.
pub fn fmt_usd(v: f64) -> String {
    if v == 0.0 {
        "$0".into()
    } else if v.abs() >= 100.0 {
        format!("${v:.0}")
    } else if v.abs() >= 0.1 {
        format!("${v:.2}")
    } else {
        format!("${v:.3}")
    }
}

/// The cost components drawn stacked, bottom first.
#[allow(clippy::type_complexity)]
pub(crate) const COMPONENTS: &[(&str, RGBColor, fn(&TimelineRow) -> f64)] = &[
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
];

/// Total cost at `t_s` (interpolated within its minute).
fn total_at(rows: &[TimelineRow], t_s: f64) -> f64 {
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
    let month_s = super::month_seconds(info.start_epoch_us);
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
        let label = |x: &f64| time_label(info, *x);
        let mut chart = ChartBuilder::on(root)
            .caption(title(info, "cumulative cost"), (FONT, 22))
            .margin(14)
            .margin_right(48)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(TimeAxis::new(info, end), 0f64..y_top)
            .map_err(err(name))?;
        house_mesh(&mut chart.configure_mesh(), false)
            .x_label_formatter(&label)
            .y_label_formatter(&|v: &f64| fmt_usd(*v))
            .x_desc(time_desc(info))
            .y_desc("cumulative cost, USD")
            .draw()
            .map_err(err(name))?;
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
                let t = a.t_us as f64 / 1e6;
                (t, total_at(rows, t))
            })
            .collect();
        let llm_marks: Vec<(f64, f64)> = fired
            .iter()
            .filter(|a| a.kind.starts_with("llm_"))
            .map(|a| {
                let t = a.t_us as f64 / 1e6;
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
fn budget_label(name: &str, scope: Scope) -> String {
    if scope == Scope::Total && name == "monthly" {
        "budget".into()
    } else {
        format!("budget {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(start: &str, tz: &str) -> RunInfo {
        RunInfo {
            scenario: "s".into(),
            trace: "t".into(),
            seed: 1,
            start_epoch_us: start.parse::<jiff::Timestamp>().unwrap().as_microsecond(),
            slo_p95_ms: 500.0,
            slo_availability: 0.99,
            tz: jiff::tz::TimeZone::get(tz).unwrap(),
            budgets: Vec::new(),
            about: Default::default(),
        }
    }

    /// New York leaves daylight saving at 02:00 EDT on 2 Nov 2025: the day has
    /// 25 hours, so local 03:00 is 4 h after local midnight, not 3.
    #[test]
    fn ticks_fall_on_local_clock_times_across_the_dst_change() {
        let i = info("2025-11-02T04:00:00Z", "America/New_York");
        let ticks = time_ticks(&i, 24.0 * 3600.0);
        let hours: Vec<f64> = ticks.iter().map(|t| t / 3600.0).collect();
        assert_eq!(hours, [0.0, 4.0, 7.0, 10.0, 13.0, 16.0, 19.0, 22.0]);
        let labels: Vec<String> = ticks.iter().map(|t| time_label(&i, *t)).collect();
        assert_eq!(
            labels,
            [
                "Sun 02 Nov",
                "03:00",
                "06:00",
                "09:00",
                "12:00",
                "15:00",
                "18:00",
                "21:00"
            ]
        );
    }

    #[test]
    fn ticks_for_short_and_long_spans() {
        // 30 minutes from 10:07 UTC: every 5 minutes on the clock.
        let i = info("2025-06-01T10:07:00Z", "UTC");
        let labels: Vec<String> = time_ticks(&i, 1800.0)
            .iter()
            .map(|t| time_label(&i, *t))
            .collect();
        assert_eq!(
            labels,
            ["10:10", "10:15", "10:20", "10:25", "10:30", "10:35"]
        );
        // 58 days (NASA's trace): one tick a week at midnight.
        let i = info("1995-07-01T04:00:00Z", "UTC");
        let ticks = time_ticks(&i, 58.0 * 86_400.0);
        assert!(ticks.len() >= 5 && ticks.len() <= 9, "{ticks:?}");
        assert!(ticks.windows(2).all(|w| w[1] - w[0] == 7.0 * 86_400.0));
    }

    #[test]
    fn money_and_latency_labels() {
        assert_eq!(fmt_usd(0.0), "$0");
        assert_eq!(fmt_usd(0.05), "$0.050");
        assert_eq!(fmt_usd(2.5), "$2.50");
        assert_eq!(fmt_usd(326.44), "$326");
        assert_eq!(fmt_ms(100.0), "100");
        assert_eq!(fmt_ms(1000.0), "1 s");
        assert_eq!(fmt_ms(2500.0), "2.5 s");
    }
}
