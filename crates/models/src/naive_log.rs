//! The append-only log with no index (`engines/naive-log`): the baseline
//! every other design improves on.
//!
//! - **Writes**: one record per put or delete, `13 + key + value` bytes
//!   (`engines/core/src/record.rs`), and a 33-byte sync marker when the
//!   harness syncs at the end of a phase: write amplification
//!   `(13 + k + v) / (k + v)`, whatever the data.
//! - **Space**: nothing is ever reclaimed, so the file holds every record
//!   ever written: `(16 + records x (13 + k + v)) / (live x (k + v))`.
//! - **Reads**: a get reads the whole log from its header on, in reads of
//!   256 KiB (`CHUNK`, `engines/naive-log/src/engine.rs`), each starting at
//!   a record boundary: `ceil((len - 16) / (floor(256 KiB / r) r))` reads
//!   for records of `r` bytes, less the tail still in the writer's buffer
//!   (read from memory). The log grows while the phase writes, so the
//!   figure is averaged over the phase.
//!
//! Assumptions: records no larger than a chunk; the buffered tail is
//! half the writer's 256 KiB buffer on average while a phase writes.

use crate::workload::PhaseWork;
use crate::{Figures, Record, LOG_BUFFER, LOG_FILE_HEADER, LOG_MARKER, LOG_RECORD_HEADER};

/// `CHUNK` of `engines/naive-log/src/engine.rs`.
pub const CHUNK: f64 = (256 << 10) as f64;

/// Storage reads of one get over a log of `len` bytes, `buffered` of them
/// still in the writer's buffer.
pub fn reads_per_get(len: f64, buffered: f64, record: f64) -> f64 {
    let on_file = (len - LOG_FILE_HEADER - buffered).max(0.0);
    let per_read = ((CHUNK / record).floor() * record).max(record);
    (on_file / per_read).ceil()
}

/// Predictions for the load and run phases.
pub fn predict(rec: Record, phases: &[PhaseWork; 2]) -> [Figures; 2] {
    let mut len = LOG_FILE_HEADER;
    phases.each_ref().map(|work| {
        let writes = work.puts() + work.deletes;
        let start = len;
        let written =
            work.puts() * rec.logged() + work.deletes * (LOG_RECORD_HEADER + rec.key) + LOG_MARKER;
        len += written;
        let user = work.puts() * rec.user() + work.deletes * rec.key;
        let reads = (work.lookups > 0.0).then(|| {
            // Average over the phase: the log grows linearly with its writes.
            let buffered = if writes > 0.0 { LOG_BUFFER / 2.0 } else { 0.0 };
            let samples = 32;
            (0..samples)
                .map(|s| {
                    let at = start + (len - start) * (s as f64 + 0.5) / samples as f64;
                    reads_per_get(at, buffered, rec.logged())
                })
                .sum::<f64>()
                / samples as f64
        });
        let live_bytes = work.end_records() * rec.user();
        Figures {
            write_amp: (user > 0.0).then(|| written / user),
            read_ios_per_op: reads,
            space_amp: (live_bytes > 0.0).then(|| len / live_bytes),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload;

    #[test]
    fn reads_by_hand() {
        // 1036-byte records: 253 per 256 KiB read = 262 108 bytes. A log of
        // 16 + 50 000 x 1036 = 51 800 016 bytes takes ceil(51 800 000 /
        // 262 108) = 198 reads.
        assert_eq!(reads_per_get(51_800_016.0, 0.0, 1036.0), 198.0);
        assert_eq!(reads_per_get(16.0, 0.0, 1036.0), 0.0);
    }

    #[test]
    fn write_and_space_by_hand() {
        let rec = Record {
            key: 23.0,
            value: 1000.0,
        };
        let phases = [
            workload::load(1000),
            workload::run(&workload::preset("overwrite").expect("preset"), 1000, 1000),
        ];
        let [load, run] = predict(rec, &phases);
        // (1000 x 1036 + 33) / (1000 x 1023) = 1.012740.
        assert!((load.write_amp.expect("writes") - 1.012_740).abs() < 1e-6);
        // After the overwrites: 16 + 2000 x 1036 + 2 x 33 bytes over
        // 1000 x 1023 = 2 072 082 / 1 023 000 = 2.025496.
        assert!((run.space_amp.expect("data") - 2.025_496).abs() < 1e-6);
        // Every update reads the whole log first: 4 to 8 reads as it grows.
        let r = run.read_ios_per_op.expect("reads");
        assert!((4.0..=8.0).contains(&r), "{r}");
    }
}
