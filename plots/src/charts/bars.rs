//! Grouped bars, shared by the throughput and amplification charts: one
//! group per category (workload, or metric x phase), one bar per engine,
//! each engine always in the same slot and colour.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::draw::{engine_colour, format, text, Axis, DrawResult, GREY};

/// One group of bars.
pub struct Group {
    /// Label under the group.
    pub label: String,
    /// One value per engine slot; `None` leaves a gap (undefined value).
    pub values: Vec<Option<f64>>,
}

/// A grouped bar chart ready to draw.
pub struct Bars {
    /// Groups left to right.
    pub groups: Vec<Group>,
    /// Engine colour index of each slot.
    pub slots: Vec<usize>,
    /// Value axis.
    pub axis: Axis,
    /// Value axis description, with its unit.
    pub y_desc: String,
    /// Category axis description.
    pub x_desc: String,
    /// How a value is written above its bar.
    pub label: fn(f64) -> String,
    /// A dashed horizontal reference line (e.g. 1x for amplification);
    /// the subtitle says what it means, so no text covers the bars.
    pub reference: Option<f64>,
}

/// Part of each group's width taken by bars (the rest separates groups).
const FILL: f64 = 0.78;
/// Narrowest bar, in pixels, that gets a value label.
const MIN_LABELLED_BAR_PX: f64 = 34.0;

impl Bars {
    /// Draws the bars on `area`.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let n = self.groups.len().max(1);
        let centres: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
        let x_axis = Axis::linear(0.0, n as f64).with_ticks(centres);
        let labels: Vec<String> = self.groups.iter().map(|g| g.label.clone()).collect();
        let mut chart = ChartBuilder::on(area)
            .margin_top(16)
            .margin_right(12)
            .margin_left(24)
            .x_label_area_size(56)
            .y_label_area_size(90)
            .build_cartesian_2d(x_axis, self.axis.clone())?;
        let x_fmt = |x: &f64| {
            let i = x.floor() as usize;
            labels.get(i).cloned().unwrap_or_default()
        };
        let y_fmt = |y: &f64| format::si(*y);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_labels(n)
            .y_labels(8)
            .label_style(text(15.0, BLACK))
            .axis_desc_style(text(16.0, BLACK))
            .bold_line_style(RGBColor(215, 215, 215))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()?;

        let slots = self.slots.len().max(1);
        let bar_w = FILL / slots as f64;
        let plot_px = f64::from(chart.plotting_area().dim_in_pixel().0);
        let bar_px = plot_px / n as f64 * bar_w;
        let floor = self.axis.floor();
        let label_style = text(13.0, BLACK).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Bottom,
        ));

        for (gi, group) in self.groups.iter().enumerate() {
            for (slot, value) in group.values.iter().enumerate() {
                let Some(v) = *value else { continue };
                let x0 = gi as f64 + (1.0 - FILL) / 2.0 + slot as f64 * bar_w;
                let x1 = x0 + bar_w * 0.92;
                let colour = engine_colour(self.slots.get(slot).copied().unwrap_or(slot));
                let top = if self.axis.is_log() { v.max(floor) } else { v };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, floor), (x1, top)],
                    colour.filled(),
                )))?;
                if bar_px >= MIN_LABELLED_BAR_PX {
                    chart.draw_series(std::iter::once(
                        EmptyElement::at(((x0 + x1) / 2.0, top))
                            + Text::new((self.label)(v), (0, -3), label_style.clone()),
                    ))?;
                }
            }
        }

        if let Some(y) = self.reference {
            let line = [(0.0, y), (n as f64, y)];
            chart.draw_series(DashedLineSeries::new(line, 6, 4, GREY.stroke_width(1)))?;
        }
        Ok(())
    }
}
