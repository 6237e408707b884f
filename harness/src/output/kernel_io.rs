//! `kernel_io.csv` rows from phase results: the Vfs's and the kernel's
//! accounting of the same phase ([`crate::kernel_io`] measures them; the
//! format is [`results::kernel_io`]'s).

use std::path::Path;

use results::kernel_io::KernelIoRow;

use crate::error::Result;
use crate::kernel_io::IoSource;
use crate::result::PhaseResult;

/// The row of one phase.
pub fn row(r: &PhaseResult) -> KernelIoRow {
    let k = &r.kernel.io;
    let vfs = r.kernel.source == IoSource::Vfs;
    let cell = |x: u64| vfs.then_some(x as f64);
    let ratio =
        |x: u64| (vfs && r.io.bytes_written > 0).then(|| x as f64 / r.io.bytes_written as f64);
    let kernel = |x: u64| r.kernel.available.then_some(x as f64);
    KernelIoRow {
        engine: r.engine.clone(),
        workload: r.workload.clone(),
        phase: r.phase,
        io_source: r.kernel.source,
        vfs_bytes_written: cell(r.io.bytes_written),
        vfs_query_bytes_read: cell(r.io.query_bytes_read),
        vfs_compaction_bytes_read: cell(r.io.compaction_bytes_read),
        rchar: kernel(k.rchar),
        wchar: kernel(k.wchar),
        syscr: kernel(k.syscr),
        syscw: kernel(k.syscw),
        read_bytes: kernel(k.read_bytes),
        write_bytes: kernel(k.write_bytes),
        cancelled_write_bytes: kernel(k.cancelled_write_bytes),
        wchar_over_vfs_written: ratio(k.wchar),
        write_bytes_over_vfs_written: ratio(k.write_bytes),
    }
}

/// Write `kernel_io.csv` into `path`.
pub fn write(path: &Path, results: &[PhaseResult]) -> Result<()> {
    let rows: Vec<KernelIoRow> = results.iter().map(row).collect();
    Ok(results::kernel_io::write(path, &rows)?)
}
