//! `engine_metrics.csv` rows from phase results (the engine's own counters
//! at the end of each phase); the format is [`results::engine_metrics`]'s.

use std::path::Path;

use results::engine_metrics::EngineMetricRow;

use crate::error::Result;
use crate::result::PhaseResult;

/// One row per counter of every phase.
pub fn rows(results: &[PhaseResult]) -> Vec<EngineMetricRow> {
    let mut out = Vec::new();
    for r in results {
        for (name, value) in r.engine_metrics.iter() {
            out.push(EngineMetricRow {
                engine: r.engine.clone(),
                workload: r.workload.clone(),
                phase: r.phase,
                metric: name.to_string(),
                value,
            });
        }
    }
    out
}

/// Write `engine_metrics.csv` into `path`.
pub fn write(path: &Path, results: &[PhaseResult]) -> Result<()> {
    Ok(results::engine_metrics::write(path, &rows(results))?)
}
