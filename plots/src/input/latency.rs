//! `latency.csv`: one row per engine x workload x phase x operation type,
//! pointing at that row's histogram file.

use std::path::Path;

use super::table::Table;
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
    /// Operation type (`read`, `update`, `insert`, `scan`, `rmw`, `delete`).
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
    let table = Table::read(path)?;
    let engine = table.col("engine")?;
    let workload = table.col("workload")?;
    let phase = table.col("phase")?;
    let op = table.col("op")?;
    let count = table.col("count")?;
    let p50 = table.col("p50_us")?;
    let p99 = table.col("p99_us")?;
    let p999 = table.col("p999_us")?;
    let max = table.col("max_us")?;
    let hgrm = table.col("hgrm_file")?;
    table
        .iter()
        .map(|row| {
            Ok(LatencyRow {
                engine: row.text(engine)?,
                workload: row.text(workload)?,
                phase: row.text(phase)?,
                op: row.text(op)?,
                count: row.f64(count)?,
                p50_us: row.f64(p50)?,
                p99_us: row.f64(p99)?,
                p999_us: row.f64(p999)?,
                max_us: row.f64(max)?,
                hgrm_file: row.text(hgrm)?,
            })
        })
        .collect()
}
