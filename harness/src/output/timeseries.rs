//! `timeseries.csv` rows from phase results; the format is
//! [`results::timeseries`]'s.

use std::path::Path;

use results::timeseries::TimeseriesRow;

use crate::error::Result;
use crate::result::PhaseResult;

/// One row per interval of every phase.
pub fn rows(results: &[PhaseResult]) -> Vec<TimeseriesRow> {
    let mut out = Vec::new();
    for r in results {
        for s in &r.timeseries {
            let rate = if s.interval_s > 0.0 {
                s.ops as f64 / s.interval_s
            } else {
                0.0
            };
            out.push(TimeseriesRow {
                engine: r.engine.clone(),
                workload: r.workload.clone(),
                phase: r.phase,
                t_s: s.t_s,
                interval_s: s.interval_s,
                ops: s.ops as f64,
                ops_per_sec: rate,
                storage_bytes_written: s.storage_bytes_written as f64,
                user_bytes_written: Some(s.user_bytes_written as f64),
            });
        }
    }
    out
}

/// Write `timeseries.csv` into `path`.
pub fn write(path: &Path, results: &[PhaseResult]) -> Result<()> {
    Ok(results::timeseries::write(path, &rows(results))?)
}
