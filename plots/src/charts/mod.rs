//! The charts, one file per chart type. Each module turns [`RunData`] into
//! figures and writes them through an [`Output`], which names the files and
//! records what was written (or why a chart was skipped) for the report.

pub mod amplification;
pub mod bars;
pub mod model_fit;
pub mod rum;
pub mod spectrum;
pub mod throughput;
pub mod timeline;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::draw::{self, Figure};
use crate::error::Result;
use crate::input::{hgrm::sanitize, RunData};

/// The kinds of chart, in the order the report shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChartKind {
    /// Operations per second per engine and workload.
    Throughput,
    /// Latency against percentile, from the HdrHistogram files.
    LatencySpectrum,
    /// Write, read and space amplification per engine.
    Amplification,
    /// Write amplification against read I/Os per op, sized by space amplification.
    Rum,
    /// Throughput and bytes written over the phase.
    Timeline,
    /// A sweep's measured figures over its model's predictions.
    ModelFit,
}

impl ChartKind {
    /// Every kind, in report order.
    pub const ALL: [ChartKind; 6] = [
        ChartKind::Throughput,
        ChartKind::LatencySpectrum,
        ChartKind::Amplification,
        ChartKind::Rum,
        ChartKind::Timeline,
        ChartKind::ModelFit,
    ];

    /// Section heading in the report.
    pub fn heading(self) -> &'static str {
        match self {
            ChartKind::Throughput => "Throughput",
            ChartKind::LatencySpectrum => "Latency by percentile",
            ChartKind::Amplification => "Write, read and space amplification",
            ChartKind::Rum => "RUM trade-off (read, update, memory/space)",
            ChartKind::Timeline => "Throughput over time",
            ChartKind::ModelFit => "Measured against model",
        }
    }
}

/// One chart written to disk.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    /// Which chart type.
    pub kind: ChartKind,
    /// The title drawn on the chart.
    pub title: String,
    /// One line saying what the chart shows (used as the report caption).
    pub caption: String,
    /// The SVG file.
    pub svg: PathBuf,
    /// The PNG file.
    pub png: PathBuf,
}

/// Where charts go: names files uniquely and collects results and warnings.
pub struct Output {
    dir: PathBuf,
    used: HashSet<String>,
    /// Charts written so far.
    pub charts: Vec<ChartFile>,
    /// Charts skipped and why.
    pub warnings: Vec<String>,
}

impl Output {
    /// Charts will be written into `dir` (which must exist).
    pub fn new(dir: &Path) -> Output {
        Output {
            dir: dir.to_path_buf(),
            used: HashSet::new(),
            charts: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Writes `fig` as SVG and PNG, named from `parts` (sanitised, joined
    /// with `-`, and made unique), and records it.
    pub fn write<F: Figure>(
        &mut self,
        fig: &F,
        kind: ChartKind,
        parts: &[&str],
        title: &str,
        caption: String,
    ) -> Result<()> {
        let base = parts
            .iter()
            .map(|p| sanitize(p))
            .collect::<Vec<_>>()
            .join("-");
        let mut stem = base.clone();
        let mut n = 2;
        while !self.used.insert(stem.clone()) {
            stem = format!("{base}-{n}");
            n += 1;
        }
        let (svg, png) = draw::emit(fig, &self.dir, &stem)?;
        self.charts.push(ChartFile {
            kind,
            title: title.to_owned(),
            caption,
            svg,
            png,
        });
        Ok(())
    }

    /// Records that a chart was skipped.
    pub fn skip(&mut self, why: String) {
        self.warnings.push(why);
    }
}

/// Renders every chart of `run` into `dir`.
pub fn render_all(run: &RunData, dir: &Path) -> Result<Output> {
    let mut out = Output::new(dir);
    throughput::render(run, &mut out)?;
    spectrum::render(run, &mut out)?;
    amplification::render(run, &mut out)?;
    rum::render(run, &mut out)?;
    timeline::render(run, &mut out)?;
    model_fit::render(run, &mut out)?;
    Ok(out)
}

/// Legend entries for the engines of `run` that satisfy `present`.
pub(crate) fn legend_for(
    run: &RunData,
    present: impl Fn(&str) -> bool,
) -> Vec<draw::legend::Entry> {
    run.engines
        .iter()
        .enumerate()
        .filter(|(_, e)| present(e))
        .map(|(index, e)| draw::legend::Entry {
            label: e.clone(),
            index,
        })
        .collect()
}

/// `1 engine` / `3 engines`.
pub(crate) fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
