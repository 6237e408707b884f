//! `timeseries.csv`: throughput and cumulative bytes written per interval,
//! so a compaction stall shows as a dip lined up with a jump in bytes.

use std::path::Path;

use super::{csv_writer, float};
use crate::error::Result;
use crate::result::PhaseResult;

/// Column names, in file order.
pub const COLUMNS: &[&str] = &[
    "engine",
    "workload",
    "phase",
    "t_s",
    "interval_s",
    "ops",
    "ops_per_sec",
    "storage_bytes_written",
    "user_bytes_written",
];

/// Write `timeseries.csv` into `path`.
pub fn write(path: &Path, results: &[PhaseResult]) -> Result<()> {
    let mut w = csv_writer(path)?;
    w.write_record(COLUMNS)?;
    for r in results {
        for s in &r.timeseries {
            let rate = if s.interval_s > 0.0 {
                s.ops as f64 / s.interval_s
            } else {
                0.0
            };
            w.write_record([
                r.engine.clone(),
                r.workload.clone(),
                r.phase.name().to_string(),
                float(s.t_s, 3),
                float(s.interval_s, 3),
                s.ops.to_string(),
                float(rate, 2),
                s.storage_bytes_written.to_string(),
                s.user_bytes_written.to_string(),
            ])?;
        }
    }
    w.finish()
}
