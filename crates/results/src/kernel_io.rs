//! `kernel_io.csv`: for every row of summary.csv, our Vfs's counters and
//! the kernel's (`/proc/self/io`) over the same phase, side by side: the
//! cross-check of the two accountings (docs/output-format.md says why
//! they differ).
//!
//! The `vfs_*` cells and the two ratios (4 decimals) are empty on
//! kernel-counted rows (the Vfs saw nothing); the kernel cells are empty
//! where `/proc/self/io` could not be read.

use std::path::Path;

use crate::error::Result;
use crate::names::Phase;
use crate::summary::IoSource;
use crate::table::{optional, optional_count, CsvOut, Table};

/// The column names.
pub mod col {
    pub const ENGINE: &str = "engine";
    pub const WORKLOAD: &str = "workload";
    pub const PHASE: &str = "phase";
    pub const IO_SOURCE: &str = "io_source";
    pub const VFS_BYTES_WRITTEN: &str = "vfs_bytes_written";
    pub const VFS_QUERY_BYTES_READ: &str = "vfs_query_bytes_read";
    pub const VFS_COMPACTION_BYTES_READ: &str = "vfs_compaction_bytes_read";
    pub const RCHAR: &str = "rchar";
    pub const WCHAR: &str = "wchar";
    pub const SYSCR: &str = "syscr";
    pub const SYSCW: &str = "syscw";
    pub const READ_BYTES: &str = "read_bytes";
    pub const WRITE_BYTES: &str = "write_bytes";
    pub const CANCELLED_WRITE_BYTES: &str = "cancelled_write_bytes";
    pub const WCHAR_OVER_VFS_WRITTEN: &str = "wchar_over_vfs_written";
    pub const WRITE_BYTES_OVER_VFS_WRITTEN: &str = "write_bytes_over_vfs_written";
}

use col::*;

/// Column names, in file order.
pub const COLUMNS: &[&str] = &[
    ENGINE,
    WORKLOAD,
    PHASE,
    IO_SOURCE,
    VFS_BYTES_WRITTEN,
    VFS_QUERY_BYTES_READ,
    VFS_COMPACTION_BYTES_READ,
    RCHAR,
    WCHAR,
    SYSCR,
    SYSCW,
    READ_BYTES,
    WRITE_BYTES,
    CANCELLED_WRITE_BYTES,
    WCHAR_OVER_VFS_WRITTEN,
    WRITE_BYTES_OVER_VFS_WRITTEN,
];

/// One row; `None` is an empty cell.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelIoRow {
    pub engine: String,
    pub workload: String,
    pub phase: Phase,
    pub io_source: IoSource,
    pub vfs_bytes_written: Option<f64>,
    pub vfs_query_bytes_read: Option<f64>,
    pub vfs_compaction_bytes_read: Option<f64>,
    pub rchar: Option<f64>,
    pub wchar: Option<f64>,
    pub syscr: Option<f64>,
    pub syscw: Option<f64>,
    pub read_bytes: Option<f64>,
    pub write_bytes: Option<f64>,
    pub cancelled_write_bytes: Option<f64>,
    pub wchar_over_vfs_written: Option<f64>,
    pub write_bytes_over_vfs_written: Option<f64>,
}

impl KernelIoRow {
    /// The cells, in [`COLUMNS`] order.
    pub fn record(&self) -> Vec<String> {
        let c = optional_count;
        vec![
            self.engine.clone(),
            self.workload.clone(),
            self.phase.name().to_string(),
            self.io_source.name().to_string(),
            c(self.vfs_bytes_written),
            c(self.vfs_query_bytes_read),
            c(self.vfs_compaction_bytes_read),
            c(self.rchar),
            c(self.wchar),
            c(self.syscr),
            c(self.syscw),
            c(self.read_bytes),
            c(self.write_bytes),
            c(self.cancelled_write_bytes),
            optional(self.wchar_over_vfs_written, 4),
            optional(self.write_bytes_over_vfs_written, 4),
        ]
    }
}

/// Write `kernel_io.csv` into `path`.
pub fn write(path: &Path, rows: &[KernelIoRow]) -> Result<()> {
    let mut w = CsvOut::create(path, COLUMNS)?;
    for r in rows {
        w.write_record(r.record())?;
    }
    w.finish()
}

/// Read and check `kernel_io.csv`.
pub fn read(path: &Path) -> Result<Vec<KernelIoRow>> {
    let t = Table::read(path)?;
    t.require(COLUMNS)?;
    let mut out = Vec::with_capacity(t.rows.len());
    for row in &t.rows {
        let c = t.cells(row);
        let n = |name: &str| c.opt_number(t.col(name)?);
        out.push(KernelIoRow {
            engine: c.text(t.col(ENGINE)?)?,
            workload: c.text(t.col(WORKLOAD)?)?,
            phase: c.parsed(t.col(PHASE)?, "`load` or `run`", Phase::parse)?,
            io_source: c.parsed(t.col(IO_SOURCE)?, "`vfs` or `kernel`", IoSource::parse)?,
            vfs_bytes_written: n(VFS_BYTES_WRITTEN)?,
            vfs_query_bytes_read: n(VFS_QUERY_BYTES_READ)?,
            vfs_compaction_bytes_read: n(VFS_COMPACTION_BYTES_READ)?,
            rchar: n(RCHAR)?,
            wchar: n(WCHAR)?,
            syscr: n(SYSCR)?,
            syscw: n(SYSCW)?,
            read_bytes: n(READ_BYTES)?,
            write_bytes: n(WRITE_BYTES)?,
            cancelled_write_bytes: n(CANCELLED_WRITE_BYTES)?,
            wchar_over_vfs_written: n(WCHAR_OVER_VFS_WRITTEN)?,
            write_bytes_over_vfs_written: n(WRITE_BYTES_OVER_VFS_WRITTEN)?,
        });
    }
    Ok(out)
}
