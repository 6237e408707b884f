//! Latency spectrum: latency against percentile for one workload and phase,
//! one panel per operation type, one line per engine, read from the
//! HdrHistogram `.hgrm` files.
//!
//! The x axis is HdrHistogram's: x = log10(1 / (1 - p)), so 0 %, 90 %, 99 %,
//! 99.9 % ... are evenly spaced and the tail, where engines differ most
//! (compaction, page splits, merges), gets as much room as the median. The
//! 100 % point (the maximum) has infinite x; it is drawn at log10(count), the
//! resolution the sample supports.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{count, ChartKind, Output};
use crate::draw::{engine_colour, format, header, legend, text, Axis, DrawResult, Figure};
use crate::error::Result;
use crate::input::{Hgrm, HistogramRef, RunData, OPS};

/// Height of one row of panels.
const PANEL_H: u32 = 440;

struct Panel {
    op: String,
    /// (engine index, points (x, latency µs)).
    series: Vec<(usize, Vec<(f64, f64)>)>,
    x_max: f64,
    y: Axis,
}

struct SpectrumFigure {
    title: String,
    subtitle: String,
    panels: Vec<Panel>,
    legend: Vec<legend::Entry>,
}

impl SpectrumFigure {
    fn columns(&self) -> usize {
        self.panels.len().clamp(1, 2)
    }
}

impl Figure for SpectrumFigure {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.columns()) as u32;
        (1200, 80 + rows.max(1) * PANEL_H)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let body = header(root, &self.title, &self.subtitle)?;
        let plots = legend::beside(&body, "engine", &self.legend)?;
        let cols = self.columns();
        let rows = self.panels.len().div_ceil(cols);
        for (panel, area) in self.panels.iter().zip(plots.split_evenly((rows, cols))) {
            draw_panel(panel, &area)?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(
    panel: &Panel,
    area: &DrawingArea<DB, Shift>,
) -> DrawResult<(), DB> {
    let ticks: Vec<f64> = (0..=panel.x_max as i32).map(f64::from).collect();
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .caption(format!("{} latency", panel.op), text(19.0, BLACK))
        .x_label_area_size(48)
        .y_label_area_size(76)
        .build_cartesian_2d(
            Axis::linear(0.0, panel.x_max).with_ticks(ticks),
            panel.y.clone(),
        )?;
    let x_fmt = |x: &f64| format::percentile_tick(*x);
    let y_fmt = |y: &f64| format::si(*y);
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("latency (µs, log)")
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_labels(12)
        .y_labels(10)
        .label_style(text(14.0, BLACK))
        .axis_desc_style(text(15.0, BLACK))
        .bold_line_style(RGBColor(215, 215, 215))
        .light_line_style(RGBColor(240, 240, 240))
        .draw()?;
    for (engine, points) in &panel.series {
        let colour = engine_colour(*engine);
        chart.draw_series(LineSeries::new(
            points.iter().copied(),
            colour.stroke_width(2),
        ))?;
    }
    Ok(())
}

/// Turns a histogram into (x, latency) points on the spectrum's x axis.
fn spectrum_points(h: &Hgrm) -> Vec<(f64, f64)> {
    let finite_max = h
        .points
        .iter()
        .filter(|(_, p)| *p < 1.0)
        .map(|(_, p)| -(1.0 - p).log10())
        .fold(0.0, f64::max);
    let cap = h
        .total_count
        .filter(|c| *c > 1)
        .map_or(finite_max + 0.5, |c| (c as f64).log10().max(finite_max));
    h.points
        .iter()
        .map(|&(v, p)| {
            let x = if p >= 1.0 {
                cap
            } else {
                (-(1.0 - p).log10()).min(cap)
            };
            (x, v)
        })
        .collect()
}

/// Writes `latency-<workload>-<phase>` for each workload and phase that has
/// histograms.
pub fn render(run: &RunData, out: &mut Output) -> Result<()> {
    let refs = run.histograms();
    if refs.is_empty() {
        out.skip(format!(
            "latency spectrum charts skipped: no histogram files found under {}",
            run.dir.join("histograms").display()
        ));
        return Ok(());
    }
    for workload in &run.workloads {
        for phase in run.phases() {
            let here: Vec<&HistogramRef> = refs
                .iter()
                .filter(|r| &r.workload == workload && r.phase == phase)
                .collect();
            if here.is_empty() {
                continue;
            }
            let mut ops: Vec<&str> = OPS
                .iter()
                .copied()
                .filter(|op| here.iter().any(|r| r.op == *op))
                .collect();
            for r in &here {
                if !ops.contains(&r.op.as_str()) {
                    ops.push(&r.op);
                }
            }
            let mut panels = Vec::new();
            let mut engines_drawn = Vec::new();
            for op in ops {
                let mut series = Vec::new();
                for r in here.iter().filter(|r| r.op == op) {
                    if !r.path.is_file() {
                        out.skip(format!(
                            "{}: not found; {} {} {} {} left out of its latency chart",
                            r.path.display(),
                            r.engine,
                            r.workload,
                            r.phase,
                            r.op
                        ));
                        continue;
                    }
                    let h = Hgrm::read(&r.path)?;
                    let engine = run.engine_index(&r.engine);
                    if !engines_drawn.contains(&engine) {
                        engines_drawn.push(engine);
                    }
                    series.push((engine, spectrum_points(&h)));
                }
                if series.is_empty() {
                    continue;
                }
                series.sort_by_key(|(e, _)| *e);
                let xs = series.iter().flat_map(|(_, p)| p.iter().map(|(x, _)| *x));
                let x_max = xs.fold(2.0, f64::max).ceil();
                let ys: Vec<f64> = series
                    .iter()
                    .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
                    .filter(|y| *y > 0.0)
                    .collect();
                let y_min = ys.iter().copied().fold(f64::INFINITY, f64::min);
                let y_max = ys.iter().copied().fold(0.0, f64::max);
                let y = if ys.is_empty() {
                    Axis::log(0.1, 10.0)
                } else {
                    Axis::log(
                        10f64.powf(y_min.log10().floor()),
                        10f64.powf((y_max * 1.05).log10().ceil()),
                    )
                };
                panels.push(Panel {
                    op: op.to_owned(),
                    series,
                    x_max,
                    y,
                });
            }
            if panels.is_empty() {
                continue;
            }
            engines_drawn.sort_unstable();
            let legend: Vec<legend::Entry> = engines_drawn
                .iter()
                .map(|&index| legend::Entry {
                    label: run.engines.get(index).cloned().unwrap_or_default(),
                    index,
                })
                .collect();
            let title = format!("Latency spectrum: {workload}, {phase} phase");
            let subtitle = format!(
                "latency at each percentile (HdrHistogram) · lower is better · right = rarer, slower operations · {}",
                count(engines_drawn.len(), "engine")
            );
            let ops_list: Vec<&str> = panels.iter().map(|p| p.op.as_str()).collect();
            let caption = format!(
                "Latency by percentile for {workload} ({phase} phase), {} panels, one line per engine; the right end is the tail.",
                ops_list.join(" and ")
            );
            let fig = SpectrumFigure {
                title: title.clone(),
                subtitle,
                panels,
                legend,
            };
            out.write(
                &fig,
                ChartKind::LatencySpectrum,
                &["latency", workload, &phase],
                &title,
                caption,
            )?;
        }
    }
    Ok(())
}
