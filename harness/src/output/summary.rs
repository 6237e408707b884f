//! `summary.csv` and `repetitions.csv` rows from phase results; the file
//! format (columns, decimals, what an empty cell means) is
//! [`results::summary`]'s.

use std::path::Path;

use results::summary::SummaryRow;

use crate::error::Result;
use crate::kernel_io::IoSource;
use crate::result::PhaseResult;

/// The row of one phase.
pub fn row(r: &PhaseResult) -> SummaryRow {
    // A counter only the Vfs can split out: empty on kernel-counted rows,
    // whose read counters cannot tell a write's reads from a lookup's.
    let vfs_only = |v: u64| (r.kernel.source != IoSource::Kernel).then_some(v as f64);
    SummaryRow {
        engine: r.engine.clone(),
        workload: r.workload.clone(),
        phase: r.phase,
        threads: r.threads as f64,
        records: r.records as f64,
        operations: r.operations() as f64,
        duration_s: r.duration_s,
        ops_per_sec: r.ops_per_sec(),
        user_bytes_written: r.tally.user_bytes_written as f64,
        storage_bytes_written: r.io.bytes_written as f64,
        write_amp: r.write_amp(),
        user_bytes_read: r.tally.user_bytes_read as f64,
        query_bytes_read: r.io.query_bytes_read as f64,
        read_amp: r.read_amp(),
        read_ios_per_op: r.read_ios_per_op(),
        disk_bytes: r.disk_bytes as f64,
        live_bytes: r.live_bytes as f64,
        space_amp: r.space_amp(),
        fsyncs: r.io.fsyncs as f64,
        peak_rss_bytes: r.peak_rss_bytes as f64,
        compaction_bytes_read: r.io.compaction_bytes_read as f64,
        compaction_bytes_written: r.io.compaction_bytes_written as f64,
        errors: r.tally.errors as f64,
        io_source: Some(r.kernel.source),
        time_limited: Some(r.time_limited),
        // Empty where the platform reports no thread CPU time.
        client_cpu_s: (r.tally.cpu_ns > 0).then(|| r.tally.cpu_ns as f64 / 1e9),
        lookups: Some(r.tally.lookups as f64),
        misses: Some(r.tally.misses as f64),
        write_path_bytes_read: vfs_only(r.io.write_path_bytes_read),
        write_path_read_ios: vfs_only(r.io.write_path_read_ios),
        unsettled: Some(r.unsettled),
        repetition: Some(f64::from(r.repetition)),
        repetitions: Some(f64::from(r.spread.repetitions)),
        ops_per_sec_min: Some(r.spread.min),
        ops_per_sec_median: Some(r.spread.median),
        ops_per_sec_max: Some(r.spread.max),
        line: 0,
    }
}

/// Write the rows of `results` to `path`.
pub fn write(path: &Path, results: &[PhaseResult]) -> Result<()> {
    let rows: Vec<SummaryRow> = results.iter().map(row).collect();
    Ok(results::summary::write(path, &rows)?)
}
