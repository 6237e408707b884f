//! The engine legend, drawn beside the plot rather than over it so it never
//! hides data, and identical in every chart of a run.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{engine_colour, text, DrawResult, GREY};

const FONT_SIZE: f64 = 16.0;
const ROW: i32 = 26;
const SWATCH: i32 = 18;
/// Longest legend text drawn; longer engine specs are shortened with `…`.
const MAX_TEXT_PX: u32 = 300;

/// One legend row: an engine name and its colour index.
pub struct Entry {
    /// What the row says.
    pub label: String,
    /// Index into the engine order (fixes the colour).
    pub index: usize,
}

/// Width in pixels the legend for `entries` needs on `area`.
pub fn width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
) -> DrawResult<u32, DB> {
    let style = text(FONT_SIZE, BLACK);
    let mut widest = area.estimate_text_size("engine", &style)?.0;
    for e in entries {
        widest = widest.max(area.estimate_text_size(&e.label, &style)?.0);
    }
    Ok(widest.min(MAX_TEXT_PX) + SWATCH as u32 + 56)
}

/// Splits `area` into the plot (left) and the legend (right), draws the
/// legend and returns the plot part.
pub fn beside<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    entries: &[Entry],
) -> DrawResult<DrawingArea<DB, Shift>, DB> {
    let w = width(area, entries)?;
    let total = area.dim_in_pixel().0;
    let (plot, legend) = area.split_horizontally(total.saturating_sub(w));
    draw(&legend, heading, entries)?;
    Ok(plot)
}

/// Pixels from the top of the legend area to just below its last row.
pub fn bottom(entries: &[Entry]) -> i32 {
    30 + ROW * (entries.len() as i32 + 1)
}

/// Draws the legend rows from the top of `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    entries: &[Entry],
) -> DrawResult<(), DB> {
    let style = text(FONT_SIZE, BLACK);
    area.draw_text(heading, &text(FONT_SIZE, GREY), (8, 30))?;
    for (i, e) in entries.iter().enumerate() {
        let y = 30 + ROW * (i as i32 + 1);
        let colour = engine_colour(e.index);
        area.draw(&Rectangle::new(
            [(8, y), (8 + SWATCH, y + SWATCH)],
            colour.filled(),
        ))?;
        let label = fit(area, &e.label, &style)?;
        area.draw_text(&label, &style, (8 + SWATCH + 8, y + 1))?;
    }
    Ok(())
}

/// `label`, shortened with `…` until it fits in [`MAX_TEXT_PX`].
fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    label: &str,
    style: &TextStyle,
) -> DrawResult<String, DB> {
    if area.estimate_text_size(label, style)?.0 <= MAX_TEXT_PX {
        return Ok(label.to_owned());
    }
    let mut chars: Vec<char> = label.chars().collect();
    while chars.len() > 1 {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if area.estimate_text_size(&candidate, style)?.0 <= MAX_TEXT_PX {
            return Ok(candidate);
        }
    }
    Ok(label.to_owned())
}
