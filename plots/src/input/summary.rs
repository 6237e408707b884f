//! `summary.csv` as the charts see it: [`results::summary`] reads and
//! checks the file (the same reader the gate uses); this is the projection
//! the charts draw from, phases and I/O sources as their names.

use std::path::Path;

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
        self.io_source.as_deref() == Some(results::IoSource::Kernel.name())
    }
}

/// Every cell as written, for the report's full table.
#[derive(Debug, Clone)]
pub struct Table {
    /// Column names from the header row.
    pub headers: Vec<String>,
    /// Data rows with the line each starts on.
    pub rows: Vec<(u64, Vec<String>)>,
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
        let file = results::summary::Summary::read(path)?;
        let rows = file
            .rows
            .iter()
            .map(|r| SummaryRow {
                engine: r.engine.clone(),
                workload: r.workload.clone(),
                phase: r.phase.name().to_owned(),
                ops_per_sec: r.ops_per_sec,
                write_amp: r.write_amp,
                read_amp: r.read_amp,
                read_ios_per_op: r.read_ios_per_op,
                space_amp: r.space_amp,
                io_source: r.io_source.map(|s| s.name().to_owned()),
                line: r.line,
            })
            .collect();
        let table = Table {
            headers: file.table.header,
            rows: file
                .table
                .rows
                .into_iter()
                .map(|r| (r.line, r.cells))
                .collect(),
        };
        Ok(Summary { rows, table })
    }

    /// The row for one engine, workload and phase, if the run has it.
    pub fn get(&self, engine: &str, workload: &str, phase: &str) -> Option<&SummaryRow> {
        self.rows
            .iter()
            .find(|r| r.engine == engine && r.workload == workload && r.phase == phase)
    }
}
