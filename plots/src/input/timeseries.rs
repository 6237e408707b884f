//! `timeseries.csv`: throughput and cumulative bytes per interval.

use std::path::Path;

use super::table::Table;
use crate::error::Result;

/// One interval of one engine x workload x phase.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeseriesRow {
    /// Engine spec.
    pub engine: String,
    /// Workload name.
    pub workload: String,
    /// `load` or `run`.
    pub phase: String,
    /// End of the interval, seconds since the phase started.
    pub t_s: f64,
    /// Operations per second in the interval.
    pub ops_per_sec: f64,
    /// Storage bytes written since the phase started.
    pub storage_bytes_written: f64,
    /// User bytes written since the phase started, if the file has them.
    pub user_bytes_written: Option<f64>,
}

/// Reads and checks `timeseries.csv`.
pub fn read(path: &Path) -> Result<Vec<TimeseriesRow>> {
    let table = Table::read(path)?;
    let engine = table.col("engine")?;
    let workload = table.col("workload")?;
    let phase = table.col("phase")?;
    let t_s = table.col("t_s")?;
    let ops_per_sec = table.col("ops_per_sec")?;
    let storage = table.col("storage_bytes_written")?;
    let user = table.optional_col("user_bytes_written");
    table
        .iter()
        .map(|row| {
            Ok(TimeseriesRow {
                engine: row.text(engine)?,
                workload: row.text(workload)?,
                phase: row.text(phase)?,
                t_s: row.f64(t_s)?,
                ops_per_sec: row.f64(ops_per_sec)?,
                storage_bytes_written: row.f64(storage)?,
                user_bytes_written: row.maybe_f64(user)?,
            })
        })
        .collect()
}
