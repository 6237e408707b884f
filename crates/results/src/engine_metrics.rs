//! `engine_metrics.csv`: the engine's own counters (`Engine::metrics`) at
//! the end of each phase, one row per counter (tree height and cache hits
//! of the B+tree, compactions and bloom probes of the LSM, merges of the
//! hash log). Counters are the engine's since it was opened (the load and
//! run phases share one engine), so the run phase's row includes the
//! load's share; the names are the engine's own. Values with 3 decimals.

use std::path::Path;

use crate::error::Result;
use crate::names::Phase;
use crate::table::{float, CsvOut, Table};

/// The column names.
pub mod col {
    /// `engine`: the engine spec, as in summary.csv.
    pub const ENGINE: &str = "engine";
    /// `workload`: the workload name, as in summary.csv.
    pub const WORKLOAD: &str = "workload";
    /// `phase`: `load` or `run`.
    pub const PHASE: &str = "phase";
    /// `metric`: the engine's name for the counter (they differ per engine), or
    /// `device_bytes_read`/`device_bytes_written` added by the harness under
    /// `--io direct`.
    pub const METRIC: &str = "metric";
    /// `value`: the counter at the end of the phase (3 decimals): an engine
    /// counter runs from the engine's open, a `device_bytes_*` row covers
    /// the phase only.
    pub const VALUE: &str = "value";
}

use col::*;

/// Column names, in file order.
pub const COLUMNS: &[&str] = &[ENGINE, WORKLOAD, PHASE, METRIC, VALUE];

/// One counter of one engine x workload x phase.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineMetricRow {
    /// Engine spec, as in summary.csv.
    pub engine: String,
    /// Workload name, as in summary.csv.
    pub workload: String,
    /// The phase measured.
    pub phase: Phase,
    /// The engine's name for the counter.
    pub metric: String,
    /// The counter at the end of the phase. An engine counter runs from the
    /// engine's open, so a run row includes the load's share; a
    /// `device_bytes_*` row covers the phase only.
    pub value: f64,
}

/// Write `engine_metrics.csv` into `path`.
pub fn write(path: &Path, rows: &[EngineMetricRow]) -> Result<()> {
    let mut w = CsvOut::create(path, COLUMNS)?;
    for r in rows {
        w.write_record([
            r.engine.as_str(),
            r.workload.as_str(),
            r.phase.name(),
            r.metric.as_str(),
            &float(r.value, 3),
        ])?;
    }
    w.finish()
}

/// Read and check `engine_metrics.csv`.
pub fn read(path: &Path) -> Result<Vec<EngineMetricRow>> {
    let t = Table::read(path)?;
    t.require(COLUMNS)?;
    let mut out = Vec::with_capacity(t.rows.len());
    for row in &t.rows {
        let c = t.cells(row);
        out.push(EngineMetricRow {
            engine: c.text(t.col(ENGINE)?)?,
            workload: c.text(t.col(WORKLOAD)?)?,
            phase: c.parsed(t.col(PHASE)?, "`load` or `run`", Phase::parse)?,
            metric: c.text(t.col(METRIC)?)?,
            value: c.number(t.col(VALUE)?)?,
        });
    }
    Ok(out)
}
