//! Charts and an HTML report from a workbench results directory.
//!
//! The harness writes `results/<run-id>/` (see `docs/output-format.md`);
//! [`render_run`] reads only those files, so any old run can be drawn again,
//! and writes `<run>/charts/*.svg`, `<run>/charts/*.png` and
//! `<run>/report.html`. The `plots` binary does the same from the command
//! line: `cargo run -p plots -- results/latest`.
//!
//! # The charts and what each is for
//!
//! Every chart gives each engine the same colour, fixed by the order in
//! which engines first appear in `summary.csv`, and puts the legend beside
//! the plot so it never hides data. Axes switch to log scale where the values
//! span decades (an in-memory map and a log with no index differ a
//! thousandfold).
//!
//! 1. **Latency spectrum** ([`charts::spectrum`], `latency-<workload>-<phase>`):
//!    latency against percentile from the `.hgrm` files, one panel per
//!    operation type, x = log10(1/(1-p)) as in HdrHistogram's plotter, so the
//!    median and the 99.99th percentile get equal room. For judging tails:
//!    compaction, page splits and merges hide there, not in the mean.
//! 2. **Throughput** ([`charts::throughput`], `throughput-<phase>`): grouped
//!    bars of operations per second, a group per workload, a bar per
//!    engine; the run phase, and the load phase as a second chart. The
//!    first question anyone asks.
//! 3. **Amplification** ([`charts::amplification`], `amplification-<workload>`):
//!    write, read and space amplification per engine and phase, log scale,
//!    with 1x marked. The costs behind the throughput: what each design
//!    pays in extra bytes written, read and stored.
//! 4. **Throughput over time** ([`charts::timeline`], `timeline-<workload>-<phase>`):
//!    operations per second per interval above cumulative bytes written, so
//!    a stall shows as a dip lined up with a compaction's step.
//! 5. **RUM view** ([`charts::rum`], `rum-<workload>`): each engine a point,
//!    write amplification against read I/Os per op, marker size for space
//!    amplification. The read/update/memory trade-off in one picture.
//! 6. **Measured against model** ([`charts::model_fit`],
//!    `model-<engine>-<metric>-<parameter>`): only in a sweep's directory
//!    (one with `sweep.csv`): for each engine, metric and numeric parameter
//!    the sweep varied, the measured figures as points over the model's
//!    line, and in the report a table naming every cell whose measured
//!    figure is more than 20% from its model. Where the designs' textbook
//!    costs and our engines part ways.
//!
//! Undefined values (empty cells in `summary.csv`) are left out of charts,
//! never drawn as zero. Missing optional files (`latency.csv`,
//! `timeseries.csv`, `histograms/`) skip the charts that need them, with a
//! warning in [`Report::warnings`]; missing `summary.csv` or `run.json`, or a
//! malformed row anywhere, is an [`Error`] naming the file, line and column.
//!
//! # Fonts
//!
//! Text is drawn with plotters' pure-Rust `ab_glyph` renderer from DejaVu
//! Sans compiled into the binary (the `dejavu` crate), so drawing needs no
//! system font libraries or font files. SVGs name the `sans-serif` family
//! and let the viewer's font draw the text.

pub mod charts;
pub mod draw;
pub mod error;
pub mod input;
pub mod report;

use std::path::{Path, PathBuf};

pub use charts::{ChartFile, ChartKind};
pub use error::{Error, Result};
pub use input::RunData;

/// What [`render_run`] produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The run directory.
    pub dir: PathBuf,
    /// `<dir>/report.html`.
    pub html: PathBuf,
    /// Every chart written, in report order.
    pub charts: Vec<ChartFile>,
    /// Charts (or parts of charts) skipped and why.
    pub warnings: Vec<String>,
}

/// Reads the run in `dir`, writes its charts into `<dir>/charts/` and its
/// report into `<dir>/report.html`.
pub fn render_run(dir: impl AsRef<Path>) -> Result<Report> {
    let dir = dir.as_ref();
    let run = RunData::load(dir)?;
    let charts_dir = dir.join("charts");
    std::fs::create_dir_all(&charts_dir).map_err(|e| Error::io(&charts_dir, e))?;
    let out = charts::render_all(&run, &charts_dir)?;
    let mut charts = out.charts;
    charts.sort_by_key(|c| c.kind);
    let mut warnings = run.warnings.clone();
    warnings.extend(out.warnings);
    let html = report::write(&run, &charts, &warnings)?;
    Ok(Report {
        dir: dir.to_path_buf(),
        html,
        charts,
        warnings,
    })
}
