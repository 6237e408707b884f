//! `summary.csv`: one row per engine x workload x phase.
//!
//! The columns up to `io_source` are fixed by docs/output-format.md; the
//! harness appends `time_limited` (1 when `--max-time` or an engine error
//! stopped the phase early, so its counters are not comparable with a
//! complete run's; the gate refuses to compare such cells exactly) and
//! `client_cpu_s` (CPU seconds the client threads spent in the phase,
//! empty where the platform does not report it: the gate's throughput
//! measure, since unlike `duration_s` it does not count time other
//! processes held the CPU), then the read accounting of issue 14:
//! `lookups` (gets and scans), `misses` (lookups that found nothing),
//! `write_path_bytes_read` and `write_path_read_ios` (reads made on a
//! write's behalf, in neither read metric). The write-path cells are empty
//! on kernel-counted rows, whose read counters cannot tell a write's reads
//! from a lookup's. New columns go at the end: readers find columns by
//! name, but older scripts may count them.

use std::path::Path;

use super::{csv_writer, float, optional};
use crate::error::Result;
use crate::result::PhaseResult;

/// Column names, in file order.
pub const COLUMNS: &[&str] = &[
    "engine",
    "workload",
    "phase",
    "threads",
    "records",
    "operations",
    "duration_s",
    "ops_per_sec",
    "user_bytes_written",
    "storage_bytes_written",
    "write_amp",
    "user_bytes_read",
    "query_bytes_read",
    "read_amp",
    "read_ios_per_op",
    "disk_bytes",
    "live_bytes",
    "space_amp",
    "fsyncs",
    "peak_rss_bytes",
    "compaction_bytes_read",
    "compaction_bytes_written",
    "errors",
    "io_source",
    "time_limited",
    "client_cpu_s",
    "lookups",
    "misses",
    "write_path_bytes_read",
    "write_path_read_ios",
    "unsettled",
    "repetition",
    "repetitions",
    "ops_per_sec_min",
    "ops_per_sec_median",
    "ops_per_sec_max",
];

/// The cells of one row, in [`COLUMNS`] order.
pub fn row(r: &PhaseResult) -> Vec<String> {
    vec![
        r.engine.clone(),
        r.workload.clone(),
        r.phase.name().to_string(),
        r.threads.to_string(),
        r.records.to_string(),
        r.operations().to_string(),
        float(r.duration_s, 6),
        float(r.ops_per_sec(), 2),
        r.tally.user_bytes_written.to_string(),
        r.io.bytes_written.to_string(),
        optional(r.write_amp(), 6),
        r.tally.user_bytes_read.to_string(),
        r.io.query_bytes_read.to_string(),
        optional(r.read_amp(), 6),
        optional(r.read_ios_per_op(), 6),
        r.disk_bytes.to_string(),
        r.live_bytes.to_string(),
        optional(r.space_amp(), 6),
        r.io.fsyncs.to_string(),
        r.peak_rss_bytes.to_string(),
        r.io.compaction_bytes_read.to_string(),
        r.io.compaction_bytes_written.to_string(),
        r.tally.errors.to_string(),
        r.kernel.source.name().to_string(),
        u8::from(r.time_limited).to_string(),
        if r.tally.cpu_ns > 0 {
            float(r.tally.cpu_ns as f64 / 1e9, 6)
        } else {
            String::new()
        },
        r.tally.lookups.to_string(),
        r.tally.misses.to_string(),
        vfs_only(r, r.io.write_path_bytes_read),
        vfs_only(r, r.io.write_path_read_ios),
        u8::from(r.unsettled).to_string(),
        r.repetition.to_string(),
        r.spread.repetitions.to_string(),
        float(r.spread.min, 2),
        float(r.spread.median, 2),
        float(r.spread.max, 2),
    ]
}

/// A counter only the Vfs can split out: empty on kernel-counted rows.
fn vfs_only(r: &PhaseResult, v: u64) -> String {
    match r.kernel.source {
        crate::kernel_io::IoSource::Kernel => String::new(),
        _ => v.to_string(),
    }
}

/// Write `summary.csv` into `path`.
pub fn write(path: &Path, results: &[PhaseResult]) -> Result<()> {
    let mut w = csv_writer(path)?;
    w.write_record(COLUMNS)?;
    for r in results {
        w.write_record(row(r))?;
    }
    w.finish()
}
