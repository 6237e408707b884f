//! `latency.csv` as the charts see it: [`results::latency`] reads and
//! checks the file; this is the charts' projection, one row per engine x
//! workload x phase x operation type, pointing at its histogram file.

use std::path::Path;

use crate::error::Result;

/// One latency row.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyRow {
    /// Engine spec.
    pub engine: String,
    /// Workload name.
    pub workload: String,
    /// `load` or `run`.
    pub phase: String,
    /// Operation (`read`, `update`, ..., `read_intended`, `insert-failed`).
    pub op: String,
    /// Operations measured.
    pub count: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile, microseconds.
    pub p99_us: f64,
    /// 99.9th percentile, microseconds.
    pub p999_us: f64,
    /// Largest latency, microseconds.
    pub max_us: f64,
    /// Histogram file, relative to the run directory.
    pub hgrm_file: String,
}

/// Reads and checks `latency.csv`.
pub fn read(path: &Path) -> Result<Vec<LatencyRow>> {
    let file = results::latency::Latency::read(path)?;
    Ok(file
        .rows
        .into_iter()
        .map(|r| LatencyRow {
            engine: r.engine,
            workload: r.workload,
            phase: r.phase.name().to_owned(),
            op: r.op.to_string(),
            count: r.count,
            p50_us: r.p50_us,
            p99_us: r.p99_us,
            p999_us: r.p999_us,
            max_us: r.max_us,
            hgrm_file: r.hgrm_file,
        })
        .collect())
}
