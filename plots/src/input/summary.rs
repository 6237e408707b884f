//! `summary.csv`: one row per engine x workload x phase.

use std::path::Path;

use super::table::Table;
use crate::error::Result;

/// The values of one summary row that the charts use.
///
/// Amplifications are `None` where the file has an empty cell, which the
/// contract uses for "undefined" (no user writes, nothing read, no live
/// data): such a value is left out of a chart, never drawn as zero.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Engine spec as given to the harness.
    pub engine: String,
    /// Workload name.
    pub workload: String,
    /// `load` or `run`.
    pub phase: String,
    /// Operations per second over the phase.
    pub ops_per_sec: f64,
    /// Storage bytes written per user byte written.
    pub write_amp: Option<f64>,
    /// Storage bytes read per user byte read.
    pub read_amp: Option<f64>,
    /// Storage read calls per get or scan.
    pub read_ios_per_op: Option<f64>,
    /// Bytes on disk per live byte.
    pub space_amp: Option<f64>,
    /// Where the I/O figures came from: `vfs` (the engine's counted I/O)
    /// or `kernel` (`/proc/self/io`, for engines that bypass the Vfs);
    /// `None` in runs written before the column existed (all `vfs`).
    pub io_source: Option<String>,
    /// Line of the row in summary.csv.
    pub line: u64,
}

impl SummaryRow {
    /// True when the I/O figures are the kernel's: such an engine writes
    /// nothing the Vfs sees, so per-interval Vfs bytes are not its bytes.
    pub fn kernel_counted(&self) -> bool {
        self.io_source.as_deref() == Some("kernel")
    }
}

/// The parsed summary plus the raw table (for the report's full table).
#[derive(Debug, Clone)]
pub struct Summary {
    /// Typed rows, in file order.
    pub rows: Vec<SummaryRow>,
    /// Every column as written, including ones this crate does not know.
    pub table: Table,
}

impl Summary {
    /// Reads and checks `summary.csv`.
    pub fn read(path: &Path) -> Result<Summary> {
        let table = Table::read(path)?;
        let engine = table.col("engine")?;
        let workload = table.col("workload")?;
        let phase = table.col("phase")?;
        let ops_per_sec = table.col("ops_per_sec")?;
        let write_amp = table.col("write_amp")?;
        let read_amp = table.col("read_amp")?;
        let read_ios = table.col("read_ios_per_op")?;
        let space_amp = table.col("space_amp")?;
        let io_source = table.optional_col("io_source");
        // Checked so that a broken file is caught here, though no chart uses them.
        let duration = table.col("duration_s")?;
        let operations = table.col("operations")?;

        let mut rows = Vec::with_capacity(table.rows.len());
        for row in table.iter() {
            row.f64(duration)?;
            row.f64(operations)?;
            rows.push(SummaryRow {
                engine: row.text(engine)?,
                workload: row.text(workload)?,
                phase: row.text(phase)?,
                ops_per_sec: row.f64(ops_per_sec)?,
                write_amp: row.opt_f64(write_amp)?,
                read_amp: row.opt_f64(read_amp)?,
                read_ios_per_op: row.opt_f64(read_ios)?,
                space_amp: row.opt_f64(space_amp)?,
                io_source: io_source.map(|c| row.text(c)).transpose()?,
                line: row.line,
            });
        }
        Ok(Summary { rows, table })
    }

    /// The row for one engine, workload and phase, if the run has it.
    pub fn get(&self, engine: &str, workload: &str, phase: &str) -> Option<&SummaryRow> {
        self.rows
            .iter()
            .find(|r| r.engine == engine && r.workload == workload && r.phase == phase)
    }
}
