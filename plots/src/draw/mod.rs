//! What every chart shares: the embedded font, engine colours, the axis
//! type, number formats, the header and legend, and writing one figure as
//! both SVG and PNG.

pub mod axis;
pub mod format;
pub mod legend;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};

pub use axis::Axis;

/// Result of drawing on a backend `DB`.
pub type DrawResult<T, DB> =
    std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Font family every text style uses; it is the embedded DejaVu Sans.
pub const FONT: &str = "sans-serif";

/// Default figure size in pixels (the SVG uses the same size in user units).
pub const SIZE: (u32, u32) = (1200, 680);

/// A chart that can draw itself on any plotters backend, so that the same
/// code produces the SVG and the PNG.
pub trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    /// Draws the chart on `root`, which is already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB>;
}

/// Registers the embedded font with plotters (once per process).
///
/// Text is rasterised by `ab_glyph` from DejaVu Sans bytes compiled into the
/// binary, so drawing needs no font files, fontconfig or freetype.
pub fn register_fonts() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Font)
    }
}

/// Writes `fig` as `<dir>/<stem>.svg` and `<dir>/<stem>.png`.
pub fn emit<F: Figure>(fig: &F, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf)> {
    register_fonts()?;
    let size = fig.size();
    let svg_path = dir.join(format!("{stem}.svg"));
    let png_path = dir.join(format!("{stem}.png"));

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_on(fig, &root).map_err(|e| draw_error(&svg_path, e))?;
    }
    std::fs::write(&svg_path, svg).map_err(|e| Error::io(&svg_path, e))?;

    {
        let root = BitMapBackend::new(&png_path, size).into_drawing_area();
        draw_on(fig, &root).map_err(|e| draw_error(&png_path, e))?;
    }
    Ok((svg_path, png_path))
}

fn draw_on<F: Figure, DB: DrawingBackend>(
    fig: &F,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    fig.draw(root)?;
    root.present()
}

fn draw_error<E: std::error::Error + Send + Sync>(
    path: &Path,
    e: DrawingAreaErrorKind<E>,
) -> Error {
    Error::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Ten distinct colours (a common categorical palette); engines beyond ten
/// reuse them darkened.
const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// The colour of the engine at position `index` of the run's engine order.
pub fn engine_colour(index: usize) -> RGBColor {
    let (r, g, b) = PALETTE[index % PALETTE.len()];
    if index < PALETTE.len() {
        RGBColor(r, g, b)
    } else {
        let dark = |c: u8| (f64::from(c) * 0.6) as u8;
        RGBColor(dark(r), dark(g), dark(b))
    }
}

/// Grey for notes and secondary text.
pub const GREY: RGBColor = RGBColor(100, 100, 100);

/// Text style of the given size and colour in the embedded font.
pub fn text(size: f64, colour: RGBColor) -> TextStyle<'static> {
    let style = TextStyle::from((FONT, size).into_font());
    TextStyle {
        color: colour.to_backend_color(),
        ..style
    }
}

/// Draws a title and a grey subtitle at the top of `root` and returns the
/// area below them.
pub fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> DrawResult<DrawingArea<DB, Shift>, DB> {
    let title_style = TextStyle::from((FONT, 26.0, FontStyle::Bold).into_font()).color(&BLACK);
    root.draw_text(title, &title_style, (20, 12))?;
    root.draw_text(subtitle, &text(16.0, GREY), (20, 46))?;
    Ok(root.split_vertically(74).1)
}
