//! The house canvas: size, the embedded font, the palette, PNG encoding,
//! the mesh and legend style every chart shares.

use crate::report::RunInfo;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// Size of every chart, pixels.
pub const WIDTH: u32 = 1200;

pub const HEIGHT: u32 = 600;

/// The font family name the embedded font is registered under.
pub(crate) const FONT: &str = "sans-serif";

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
pub(crate) fn register_fonts() {
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

/// Draws a `WIDTH`×`HEIGHT` chart.
pub(crate) fn render<F>(name: &str, draw: F) -> Result<Vec<u8>, ChartError>
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

/// The house style of a chart's grid and axis text (`small`: the text of the
/// two-panel charts).
pub(crate) fn house_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
    small: bool,
) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB> {
    let (label, desc) = if small { (13, 14) } else { (14, 15) };
    mesh.label_style((FONT, label))
        .axis_desc_style((FONT, desc))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
}

/// The house legend: a framed, nearly opaque box at `position`.
pub(crate) fn house_legend<'a, 'b: 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, BitMapBackend<'b>, CT>,
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

pub(crate) fn title(info: &RunInfo, what: &str) -> String {
    format!("{} on {}: {what}", info.scenario, info.trace)
}

pub(crate) fn legend_line(c: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3))
}

pub(crate) fn legend_box(c: RGBAColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
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
