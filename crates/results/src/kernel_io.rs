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
    /// `engine`: the engine spec, as in summary.csv.
    pub const ENGINE: &str = "engine";
    /// `workload`: the workload name, as in summary.csv.
    pub const WORKLOAD: &str = "workload";
    /// `phase`: `load` or `run`.
    pub const PHASE: &str = "phase";
    /// `io_source`: `vfs` or `kernel`, the accounting of the matching
    /// summary.csv row.
    pub const IO_SOURCE: &str = "io_source";
    /// `vfs_bytes_written`: bytes written through the Vfs, all purposes; empty
    /// on kernel rows.
    pub const VFS_BYTES_WRITTEN: &str = "vfs_bytes_written";
    /// `vfs_query_bytes_read`: Vfs bytes read for gets and scans; empty on
    /// kernel rows.
    pub const VFS_QUERY_BYTES_READ: &str = "vfs_query_bytes_read";
    /// `vfs_compaction_bytes_read`: Vfs bytes read by flush, compaction and
    /// merge; empty on kernel rows.
    pub const VFS_COMPACTION_BYTES_READ: &str = "vfs_compaction_bytes_read";
    /// `rchar`: bytes returned by read-like system calls of the whole process
    /// (`/proc/self/io`), page-cache hits included.
    pub const RCHAR: &str = "rchar";
    /// `wchar`: bytes passed to write-like system calls of the whole process
    /// (`/proc/self/io`).
    pub const WCHAR: &str = "wchar";
    /// `syscr`: read-like system calls of the process (`/proc/self/io`).
    pub const SYSCR: &str = "syscr";
    /// `syscw`: write-like system calls of the process (`/proc/self/io`).
    pub const SYSCW: &str = "syscw";
    /// `read_bytes`: bytes the process caused to be read from the block layer,
    /// i.e. page-cache misses (`/proc/self/io`).
    pub const READ_BYTES: &str = "read_bytes";
    /// `write_bytes`: bytes the process caused to be sent to the block layer,
    /// whole pages counted when first dirtied (`/proc/self/io`).
    pub const WRITE_BYTES: &str = "write_bytes";
    /// `cancelled_write_bytes`: dirty bytes dropped before write-back, from
    /// deleted or truncated files (`/proc/self/io`).
    pub const CANCELLED_WRITE_BYTES: &str = "cancelled_write_bytes";
    /// `wchar_over_vfs_written`: `wchar / vfs_bytes_written` (4 decimals);
    /// empty on kernel rows or with no Vfs writes.
    pub const WCHAR_OVER_VFS_WRITTEN: &str = "wchar_over_vfs_written";
    /// `write_bytes_over_vfs_written`: `write_bytes / vfs_bytes_written` (4
    /// decimals); empty on kernel rows or with no Vfs writes.
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
    /// Engine spec, as in summary.csv.
    pub engine: String,
    /// Workload name, as in summary.csv.
    pub workload: String,
    /// The phase measured.
    pub phase: Phase,
    /// The accounting of the matching summary.csv row.
    pub io_source: IoSource,
    /// Vfs bytes written, all purposes; `None` on a kernel-counted row.
    pub vfs_bytes_written: Option<f64>,
    /// Vfs bytes read for gets and scans; `None` on a kernel-counted row.
    pub vfs_query_bytes_read: Option<f64>,
    /// Vfs bytes read by flush, compaction and merge; `None` on a
    /// kernel-counted row.
    pub vfs_compaction_bytes_read: Option<f64>,
    /// Bytes returned by the process's read-like system calls, page-cache hits
    /// included; `None` where `/proc/self/io` could not be read.
    pub rchar: Option<f64>,
    /// Bytes passed to the process's write-like system calls; `None` where
    /// `/proc/self/io` could not be read.
    pub wchar: Option<f64>,
    /// Read-like system calls of the process; `None` where `/proc/self/io`
    /// could not be read.
    pub syscr: Option<f64>,
    /// Write-like system calls of the process; `None` where `/proc/self/io`
    /// could not be read.
    pub syscw: Option<f64>,
    /// Bytes the process caused to be read from the block layer (page-cache
    /// misses); `None` where `/proc/self/io` could not be read.
    pub read_bytes: Option<f64>,
    /// Bytes the process caused to be sent to the block layer, whole pages when
    /// first dirtied; `None` where `/proc/self/io` could not be read.
    pub write_bytes: Option<f64>,
    /// Dirty bytes dropped before write-back (deleted or truncated files);
    /// `None` where `/proc/self/io` could not be read.
    pub cancelled_write_bytes: Option<f64>,
    /// `wchar / vfs_bytes_written`; `None` on a kernel-counted row, with no Vfs
    /// writes, or without `/proc/self/io`.
    pub wchar_over_vfs_written: Option<f64>,
    /// `write_bytes / vfs_bytes_written`; `None` as for
    /// [`wchar_over_vfs_written`](Self::wchar_over_vfs_written).
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
