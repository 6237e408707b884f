//! `engine_metrics.csv`: the engine's own counters (`Engine::metrics`)
//! at the end of each phase, one row per counter: tree height and cache
//! hits of the B+tree, compactions and bloom probes of the LSM, merges of
//! the hash log. Counters are the engine's since it was opened (the load
//! and run phases share one engine), so the run phase's row includes the
//! load's share; the names are the engine's own and differ per engine.

use std::path::Path;

use super::{csv_writer, float};
use crate::error::Result;
use crate::result::PhaseResult;

/// Column names, in file order.
pub const COLUMNS: &[&str] = &["engine", "workload", "phase", "metric", "value"];

/// Write `engine_metrics.csv` into `path`.
pub fn write(path: &Path, results: &[PhaseResult]) -> Result<()> {
    let mut w = csv_writer(path)?;
    w.write_record(COLUMNS)?;
    for r in results {
        for (name, value) in r.engine_metrics.iter() {
            w.write_record([
                r.engine.as_str(),
                r.workload.as_str(),
                r.phase.name(),
                name,
                &float(value, 3),
            ])?;
        }
    }
    w.finish()
}
