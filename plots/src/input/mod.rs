//! Reading a run directory: only the files the harness wrote, so any old
//! run can be drawn again.
//!
//! `summary.csv` and `run.json` are required. `latency.csv`,
//! `timeseries.csv` and `histograms/` are optional: when one is missing the
//! charts that need it are skipped with a warning. `sweep.csv` is there only
//! in a sweep's directory (`harness sweep`); without it the
//! measured-against-model charts are simply not drawn.

pub mod hgrm;
pub mod latency;
pub mod run_info;
pub mod summary;
pub mod timeseries;

use std::path::{Path, PathBuf};

use results::names;

pub use hgrm::Hgrm;
pub use latency::LatencyRow;
pub use run_info::RunInfo;
pub use summary::{Summary, SummaryRow};
pub use timeseries::TimeseriesRow;

use crate::error::Result;

/// Operation types the harness measures, in the order charts show them
/// (the contract's table, [`results::Op::ALL`]).
pub const OPS: [&str; 6] = {
    use results::Op;
    [
        Op::Read.name(),
        Op::Update.name(),
        Op::Insert.name(),
        Op::Scan.name(),
        Op::Rmw.name(),
        Op::Delete.name(),
    ]
};

/// Everything read from one run directory.
#[derive(Debug, Clone)]
pub struct RunData {
    /// The run directory.
    pub dir: PathBuf,
    /// run.json.
    pub info: RunInfo,
    /// summary.csv.
    pub summary: Summary,
    /// latency.csv, if the run has one.
    pub latency: Option<Vec<LatencyRow>>,
    /// timeseries.csv, if the run has one.
    pub timeseries: Option<Vec<TimeseriesRow>>,
    /// sweep.csv, if the directory is a sweep's.
    pub sweep: Option<Sweep>,
    /// Engines in order of first appearance in summary.csv. This order fixes
    /// each engine's colour in every chart of the run.
    pub engines: Vec<String>,
    /// Workloads in order of first appearance in summary.csv.
    pub workloads: Vec<String>,
    /// Optional files that were missing, for the caller to show.
    pub warnings: Vec<String>,
}

/// A sweep's `sweep.csv`, read by [`results::sweep::read`].
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The parameters the sweep varied, in the file's column order.
    pub params: Vec<String>,
    /// One row per cell x phase x metric.
    pub rows: Vec<results::sweep::SweepRow>,
}

/// The sweep file's name (`results::sweep`'s contract).
pub const SWEEP_FILE: &str = "sweep.csv";

/// Where the histogram of one engine x workload x phase x op lives.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramRef {
    /// Engine spec.
    pub engine: String,
    /// Workload name.
    pub workload: String,
    /// `load` or `run`.
    pub phase: String,
    /// Operation type.
    pub op: String,
    /// The .hgrm file.
    pub path: PathBuf,
}

impl RunData {
    /// Reads the run directory `dir`.
    pub fn load(dir: &Path) -> Result<RunData> {
        if !dir.is_dir() {
            return Err(crate::error::Error::NoRunDir {
                path: dir.to_path_buf(),
            });
        }
        let info = RunInfo::read(&dir.join(names::RUN_JSON))?;
        let summary = Summary::read(&dir.join(names::SUMMARY))?;
        let mut warnings = Vec::new();

        let latency_path = dir.join(names::LATENCY);
        let latency = if latency_path.exists() {
            Some(latency::read(&latency_path)?)
        } else {
            warnings.push(format!(
                "{}: not found; histograms are looked up by their standard names",
                latency_path.display()
            ));
            None
        };
        let ts_path = dir.join(names::TIMESERIES);
        let timeseries = if ts_path.exists() {
            Some(timeseries::read(&ts_path)?)
        } else {
            warnings.push(format!(
                "{}: not found; throughput-over-time charts skipped",
                ts_path.display()
            ));
            None
        };

        let sweep_path = dir.join(SWEEP_FILE);
        let sweep = if sweep_path.exists() {
            let (params, rows) = results::sweep::read(&sweep_path)?;
            Some(Sweep { params, rows })
        } else {
            None
        };

        let engines = first_seen(summary.rows.iter().map(|r| r.engine.as_str()));
        let workloads = first_seen(summary.rows.iter().map(|r| r.workload.as_str()));
        Ok(RunData {
            dir: dir.to_path_buf(),
            info,
            summary,
            latency,
            timeseries,
            sweep,
            engines,
            workloads,
            warnings,
        })
    }

    /// Position of `engine` in the stable engine order (its colour index).
    pub fn engine_index(&self, engine: &str) -> usize {
        self.engines
            .iter()
            .position(|e| e == engine)
            .unwrap_or(self.engines.len())
    }

    /// Phases present in summary.csv, `load` before `run`, others after.
    pub fn phases(&self) -> Vec<String> {
        let mut phases = first_seen(self.summary.rows.iter().map(|r| r.phase.as_str()));
        phases.sort_by_key(|p| match p.as_str() {
            "load" => 0,
            "run" => 1,
            _ => 2,
        });
        phases
    }

    /// Every histogram the run refers to. From latency.csv when present;
    /// otherwise by the contract's file names for every summary row and
    /// operation type, keeping those that exist.
    pub fn histograms(&self) -> Vec<HistogramRef> {
        match &self.latency {
            Some(rows) => rows
                .iter()
                .map(|r| HistogramRef {
                    engine: r.engine.clone(),
                    workload: r.workload.clone(),
                    phase: r.phase.clone(),
                    op: r.op.clone(),
                    path: self.dir.join(&r.hgrm_file),
                })
                .collect(),
            None => {
                let dir = self.dir.join(names::HISTOGRAMS);
                let mut found = Vec::new();
                for r in &self.summary.rows {
                    for op in OPS {
                        let Some(name) = hgrm::file_name(&r.engine, &r.workload, &r.phase, op)
                        else {
                            continue;
                        };
                        let path = dir.join(name);
                        if path.is_file() {
                            found.push(HistogramRef {
                                engine: r.engine.clone(),
                                workload: r.workload.clone(),
                                phase: r.phase.clone(),
                                op: op.to_owned(),
                                path,
                            });
                        }
                    }
                }
                found
            }
        }
    }
}

/// Distinct values in order of first appearance.
fn first_seen<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    }
    out
}
