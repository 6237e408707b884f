//! Measured against model (`model-<engine>-<metric>-<parameter>`), from a
//! sweep's `sweep.csv`: for each engine, metric and numeric parameter the
//! sweep varied, the measured figures as points over the model's
//! predictions as a line, one colour per series (workload, phase and the
//! values of the sweep's other parameters, so that `compaction=leveled`
//! and `compaction=tiered` are two curves on a `size_ratio` chart).
//!
//! The model values are the sweep's own `model` column (what
//! `models::predict` said when the sweep ran), so the chart and the
//! report's gap table show the same numbers as the file. A parameter with
//! fewer than two numeric values has no curve to draw and is skipped.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use results::sweep::SweepRow;

use super::{ChartKind, Output};
use crate::draw::{engine_colour, format, header, legend, text, Axis, DrawResult, Figure};
use crate::error::Result;
use crate::input::RunData;

/// A cell whose measured figure is further than this from its model, in
/// percent of the model, is named in the report's table.
pub const GAP_LIMIT_PCT: f64 = 20.0;

/// `|gap_pct|` as `sweep.csv` writes it (one decimal), so that a gap the
/// file shows as `20.0` is not over a 20% limit by a rounding error.
fn shown_gap(r: &SweepRow) -> Option<f64> {
    r.gap_pct().map(|g| (g.abs() * 10.0).round() / 10.0)
}

/// Rows whose `|gap_pct|` exceeds [`GAP_LIMIT_PCT`], largest gap first.
pub fn large_gaps(rows: &[SweepRow]) -> Vec<&SweepRow> {
    let mut out: Vec<&SweepRow> = rows
        .iter()
        .filter(|r| shown_gap(r).is_some_and(|g| g > GAP_LIMIT_PCT))
        .collect();
    out.sort_by(|a, b| {
        let g = |r: &SweepRow| shown_gap(r).unwrap_or(0.0);
        g(b).total_cmp(&g(a))
    });
    out
}

/// One curve: a workload x phase x other-parameter combination.
struct Series {
    label: String,
    measured: Vec<(f64, f64)>,
    model: Vec<(f64, f64)>,
}

struct FitFigure {
    title: String,
    subtitle: String,
    x_desc: String,
    y_desc: String,
    series: Vec<Series>,
    legend: Vec<legend::Entry>,
}

impl Figure for FitFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let body = header(root, &self.title, &self.subtitle)?;
        let plot = legend::beside(&body, "series", &self.legend)?;
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.measured.iter().chain(&s.model).map(|p| p.0));
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        let pad = ((hi - lo) * 0.05).max(0.5);
        let x = Axis::linear(lo - pad, hi + pad);
        let y = Axis::for_values(
            self.series
                .iter()
                .flat_map(|s| s.measured.iter().chain(&s.model).map(|p| p.1)),
            1.15,
        );
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(x, y)?;
        let fmt = |v: &f64| format::si(*v);
        chart
            .configure_mesh()
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .x_label_formatter(&fmt)
            .y_label_formatter(&fmt)
            .label_style(text(14.0, BLACK))
            .axis_desc_style(text(16.0, BLACK))
            .bold_line_style(RGBColor(215, 215, 215))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()?;
        for (i, s) in self.series.iter().enumerate() {
            let colour = engine_colour(i);
            chart.draw_series(LineSeries::new(
                s.model.iter().copied(),
                colour.stroke_width(2),
            ))?;
            chart.draw_series(
                s.model
                    .iter()
                    .map(|&p| Cross::new(p, 5, colour.stroke_width(2))),
            )?;
            chart.draw_series(
                s.measured
                    .iter()
                    .map(|&p| Circle::new(p, 6, colour.mix(0.6).filled())),
            )?;
            chart.draw_series(
                s.measured
                    .iter()
                    .map(|&p| Circle::new(p, 6, colour.stroke_width(1))),
            )?;
        }
        Ok(())
    }
}

/// The series of `rows` (one engine and metric) along parameter `param`,
/// or `None` when the parameter takes fewer than two numeric values.
fn series_along(rows: &[&SweepRow], param: &str) -> Option<Vec<Series>> {
    let mut by_key: BTreeMap<String, Series> = BTreeMap::new();
    let mut xs: Vec<f64> = Vec::new();
    for r in rows {
        let Some(x) = r.params.get(param).and_then(|v| v.parse::<f64>().ok()) else {
            continue;
        };
        if !xs.contains(&x) {
            xs.push(x);
        }
        let others: Vec<String> = r
            .params
            .iter()
            .filter(|(k, _)| k.as_str() != param)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut label = format!("{} {}", r.workload, r.phase);
        if !others.is_empty() {
            label = format!("{label} · {}", others.join(","));
        }
        let s = by_key.entry(label.clone()).or_insert_with(|| Series {
            label,
            measured: Vec::new(),
            model: Vec::new(),
        });
        if let Some(m) = r.measured.filter(|v| v.is_finite()) {
            s.measured.push((x, m));
        }
        if let Some(m) = r.model.filter(|v| v.is_finite()) {
            s.model.push((x, m));
        }
    }
    if xs.len() < 2 {
        return None;
    }
    let mut series: Vec<Series> = by_key
        .into_values()
        .filter(|s| !s.measured.is_empty() || !s.model.is_empty())
        .collect();
    for s in &mut series {
        s.model.sort_by(|a, b| a.0.total_cmp(&b.0));
        s.measured.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    (!series.is_empty()).then_some(series)
}

/// Distinct values in order of first appearance.
fn first_seen<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Writes a chart per engine x metric x numeric parameter of the run's
/// sweep, if it has one.
pub fn render(run: &RunData, out: &mut Output) -> Result<()> {
    let Some(sweep) = &run.sweep else {
        return Ok(());
    };
    for engine in first_seen(sweep.rows.iter().map(|r| r.engine.as_str())) {
        let of_engine: Vec<&SweepRow> = sweep.rows.iter().filter(|r| r.engine == engine).collect();
        for metric in first_seen(of_engine.iter().map(|r| r.metric.as_str())) {
            let rows: Vec<&SweepRow> = of_engine
                .iter()
                .copied()
                .filter(|r| r.metric == metric)
                .collect();
            for param in &sweep.params {
                let Some(series) = series_along(&rows, param) else {
                    continue;
                };
                let title = format!("{engine}: {metric} against {param}");
                let caption = format!(
                    "Measured {metric} of {engine} (points) over the model's prediction (line) as {param} varies."
                );
                let legend = series
                    .iter()
                    .enumerate()
                    .map(|(index, s)| legend::Entry {
                        label: s.label.clone(),
                        index,
                    })
                    .collect();
                let fig = FitFigure {
                    title: title.clone(),
                    subtitle: "● measured   ✕— model (sweep.csv's model column)".to_owned(),
                    x_desc: param.clone(),
                    y_desc: metric.to_owned(),
                    series,
                    legend,
                };
                out.write(
                    &fig,
                    ChartKind::ModelFit,
                    &["model", engine, metric, param],
                    &title,
                    caption,
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use results::sweep::Kind;

    fn row(cell: &str, ratio: &str, measured: f64, model: Option<f64>) -> SweepRow {
        SweepRow {
            cell: cell.into(),
            engine: "lsm".into(),
            spec: format!("lsm:size_ratio={ratio}"),
            workload: "fill-random".into(),
            phase: "run".into(),
            records: 0,
            seed: 1,
            params: [("size_ratio".to_string(), ratio.to_string())].into(),
            metric: "write_amp".into(),
            measured: Some(measured),
            model,
            kind: Kind::Count,
            line: 0,
        }
    }

    #[test]
    fn gaps_over_the_limit_largest_first() {
        let rows = [
            row("c0", "2", 11.0, Some(10.0)), // 10 %
            row("c1", "4", 12.5, Some(10.0)), // 25 %
            row("c2", "8", 7.0, Some(10.0)),  // -30 %
            row("c3", "16", 3.6, Some(3.0)),  // 20.000000000000004 %, not over
            row("c4", "32", 12.0, None),
        ];
        let names: Vec<&str> = large_gaps(&rows).iter().map(|r| r.cell.as_str()).collect();
        assert_eq!(names, ["c2", "c1"]);
    }

    #[test]
    fn one_value_is_no_curve() {
        let rows = [row("c0", "2", 1.0, Some(1.0)), row("c1", "2", 1.0, None)];
        let refs: Vec<&SweepRow> = rows.iter().collect();
        assert!(series_along(&refs, "size_ratio").is_none());
        let rows = [row("c0", "2", 1.0, Some(1.0)), row("c1", "4", 2.0, None)];
        let refs: Vec<&SweepRow> = rows.iter().collect();
        let s = series_along(&refs, "size_ratio").expect("two values");
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].measured.len(), s[0].model.len()), (2, 1));
    }
}
