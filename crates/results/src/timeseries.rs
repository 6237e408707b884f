//! `timeseries.csv`: throughput and cumulative bytes written per interval,
//! so a compaction stall shows as a dip lined up with a jump in bytes.
//!
//! Times in seconds with 3 decimals, `ops_per_sec` (the interval's ops over
//! its length) with 2, byte counts cumulative since the phase started.
//! `user_bytes_written` was appended; older files lack it.

use std::path::Path;

use crate::error::Result;
use crate::names::Phase;
use crate::table::{count, float, optional_count, Cells, CsvOut, Table};

/// The column names.
pub mod col {
    /// `engine`: the engine spec, as in summary.csv.
    pub const ENGINE: &str = "engine";
    /// `workload`: the workload name, as in summary.csv.
    pub const WORKLOAD: &str = "workload";
    /// `phase`: `load` or `run`.
    pub const PHASE: &str = "phase";
    /// `t_s`: end of the interval in seconds since the phase started (3
    /// decimals).
    pub const T_S: &str = "t_s";
    /// `interval_s`: length of the interval in seconds (3 decimals); the last
    /// interval may be shorter.
    pub const INTERVAL_S: &str = "interval_s";
    /// `ops`: operations completed in the interval.
    pub const OPS: &str = "ops";
    /// `ops_per_sec`: `ops / interval_s` (2 decimals).
    pub const OPS_PER_SEC: &str = "ops_per_sec";
    /// `storage_bytes_written`: storage bytes written, cumulative since the
    /// phase started.
    pub const STORAGE_BYTES_WRITTEN: &str = "storage_bytes_written";
    /// `user_bytes_written` (appended): user bytes written, cumulative since
    /// the phase started.
    pub const USER_BYTES_WRITTEN: &str = "user_bytes_written";
}

use col::*;

/// Column names, in file order.
pub const COLUMNS: &[&str] = &[
    ENGINE,
    WORKLOAD,
    PHASE,
    T_S,
    INTERVAL_S,
    OPS,
    OPS_PER_SEC,
    STORAGE_BYTES_WRITTEN,
    USER_BYTES_WRITTEN,
];

/// One interval of one engine x workload x phase.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeseriesRow {
    /// Engine spec, as in summary.csv.
    pub engine: String,
    /// Workload name, as in summary.csv.
    pub workload: String,
    /// The phase measured.
    pub phase: Phase,
    /// End of the interval, seconds since the phase started.
    pub t_s: f64,
    /// Length of the interval, seconds.
    pub interval_s: f64,
    /// Operations completed in the interval.
    pub ops: f64,
    /// `ops / interval_s` (0 for an empty interval).
    pub ops_per_sec: f64,
    /// Storage bytes written since the phase started.
    pub storage_bytes_written: f64,
    /// User bytes written since the phase started, if the file has them.
    pub user_bytes_written: Option<f64>,
}

impl TimeseriesRow {
    /// The cells, in [`COLUMNS`] order.
    pub fn record(&self) -> Vec<String> {
        vec![
            self.engine.clone(),
            self.workload.clone(),
            self.phase.name().to_string(),
            float(self.t_s, 3),
            float(self.interval_s, 3),
            count(self.ops),
            float(self.ops_per_sec, 2),
            count(self.storage_bytes_written),
            optional_count(self.user_bytes_written),
        ]
    }
}

/// Write `timeseries.csv` into `path`.
pub fn write(path: &Path, rows: &[TimeseriesRow]) -> Result<()> {
    let mut w = CsvOut::create(path, COLUMNS)?;
    for r in rows {
        w.write_record(r.record())?;
    }
    w.finish()
}

/// Read and check `timeseries.csv`.
pub fn read(path: &Path) -> Result<Vec<TimeseriesRow>> {
    let t = Table::read(path)?;
    // `user_bytes_written`, the last column, was appended.
    t.require(&COLUMNS[..COLUMNS.len() - 1])?;
    t.rows
        .iter()
        .map(|row| parse_row(&t, &t.cells(row)))
        .collect()
}

fn parse_row(t: &Table, c: &Cells<'_>) -> Result<TimeseriesRow> {
    let n = |name: &str| c.number(t.col(name)?);
    Ok(TimeseriesRow {
        engine: c.text(t.col(ENGINE)?)?,
        workload: c.text(t.col(WORKLOAD)?)?,
        phase: c.parsed(t.col(PHASE)?, "`load` or `run`", Phase::parse)?,
        t_s: n(T_S)?,
        interval_s: n(INTERVAL_S)?,
        ops: n(OPS)?,
        ops_per_sec: n(OPS_PER_SEC)?,
        storage_bytes_written: n(STORAGE_BYTES_WRITTEN)?,
        user_bytes_written: c.appended(t.optional_col(USER_BYTES_WRITTEN))?,
    })
}
