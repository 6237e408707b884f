//! Amplification: for each workload, write, read and space amplification of
//! every engine, per phase. Log scale, because a log without an index can
//! read thousands of bytes per byte returned while a hash index reads about
//! one; a dashed line marks 1x (no overhead).
//!
//! An empty cell in summary.csv means the ratio is undefined (no user
//! writes, nothing read, no live data); its bar is left out, not drawn as 0.
//! A defined value of 0 (an in-memory engine writes nothing) sits on the
//! floor of the axis with its label.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{Bars, Group};
use super::{count, legend_for, ChartKind, Output};
use crate::draw::{format, header, legend, Axis, DrawResult, Figure};
use crate::error::Result;
use crate::input::{RunData, SummaryRow};

/// Reads one ratio from a summary row.
type Metric = fn(&SummaryRow) -> Option<f64>;

/// The three ratios, with how to read each from a summary row.
const METRICS: [(&str, Metric); 3] = [
    ("write", |r| r.write_amp),
    ("read", |r| r.read_amp),
    ("space", |r| r.space_amp),
];

struct AmpFigure {
    title: String,
    subtitle: String,
    bars: Bars,
    legend: Vec<legend::Entry>,
}

impl Figure for AmpFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let body = header(root, &self.title, &self.subtitle)?;
        let plot = legend::beside(&body, "engine", &self.legend)?;
        self.bars.draw(&plot)
    }
}

fn amp_label(v: f64) -> String {
    format!("{}×", format::sig(v, 3))
}

/// Writes `amplification-<workload>` for each workload.
pub fn render(run: &RunData, out: &mut Output) -> Result<()> {
    let phases = run.phases();
    for workload in &run.workloads {
        let engines: Vec<usize> = (0..run.engines.len())
            .filter(|&i| {
                phases
                    .iter()
                    .any(|p| run.summary.get(&run.engines[i], workload, p).is_some())
            })
            .collect();
        let mut groups = Vec::new();
        for phase in &phases {
            for (metric, get) in METRICS {
                let values: Vec<Option<f64>> = engines
                    .iter()
                    .map(|&i| {
                        run.summary
                            .get(&run.engines[i], workload, phase)
                            .and_then(get)
                    })
                    .collect();
                if values.iter().any(Option::is_some) {
                    groups.push(Group {
                        label: format!("{metric} ({phase})"),
                        values,
                    });
                }
            }
        }
        if groups.is_empty() {
            out.skip(format!(
                "amplification chart for {workload} skipped: every amplification is undefined (empty)"
            ));
            continue;
        }
        let values: Vec<f64> = groups
            .iter()
            .flat_map(|g| g.values.iter().flatten().copied())
            .filter(|v| *v > 0.0)
            .collect();
        // Bars grow from 1x (no overhead) unless some ratio is below 1.
        let min = values.iter().copied().fold(1.0, f64::min);
        let max = values.iter().copied().fold(1.0, f64::max);
        let lo = 10f64.powf(min.log10().floor());
        let hi = max * 2.0;
        let title = format!("Amplification: {workload}");
        let subtitle = format!(
            "write, read: storage bytes per user byte · space: disk per live byte · lower is better · dashed = 1× · no bar = undefined · {}",
            count(engines.len(), "engine")
        );
        let fig = AmpFigure {
            title: title.clone(),
            subtitle,
            bars: Bars {
                groups,
                slots: engines,
                axis: Axis::log(lo, hi),
                y_desc: "amplification (×, log)".to_owned(),
                x_desc: "metric (phase)".to_owned(),
                label: amp_label,
                reference: Some(1.0),
            },
            legend: legend_for(run, |e| {
                phases
                    .iter()
                    .any(|p| run.summary.get(e, workload, p).is_some())
            }),
        };
        let caption = format!(
            "Write, read and space amplification of each engine on {workload}, per phase (summary.csv); lower is better, missing bars are undefined."
        );
        out.write(
            &fig,
            ChartKind::Amplification,
            &["amplification", workload],
            &title,
            caption,
        )?;
    }
    Ok(())
}
