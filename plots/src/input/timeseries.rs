//! `timeseries.csv` as the charts see it: [`results::timeseries`] reads
//! and checks the file; this is the charts' projection.

use std::path::Path;

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
    Ok(results::timeseries::read(path)?
        .into_iter()
        .map(|r| TimeseriesRow {
            engine: r.engine,
            workload: r.workload,
            phase: r.phase.name().to_owned(),
            t_s: r.t_s,
            ops_per_sec: r.ops_per_sec,
            storage_bytes_written: r.storage_bytes_written,
            user_bytes_written: r.user_bytes_written,
        })
        .collect())
}
