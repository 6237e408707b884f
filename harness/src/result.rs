//! What one phase of one engine on one workload produced: the raw
//! measurements and the metrics DESIGN.md derives from them.
//!
//! Everything the output files print is a field or a method here, so the
//! definitions live in one place: `write_amp = storage_bytes_written /
//! user_bytes_written`, `read_amp = query_bytes_read / user_bytes_read`,
//! `read_ios_per_op = query_read_ios / lookups` (gets and scans, hits and
//! misses), `space_amp = disk_bytes / live_bytes`, each undefined (empty in
//! the CSV) when its divisor is zero.
//!
//! Reads a write makes (`write_path_*`, a B+tree's descents) are in neither
//! read metric: read amplification is what lookups cost. A miss reads but
//! returns nothing, so its I/O is in read_amp's numerator only; `misses`
//! is printed beside it, and `read_ios_per_op`, whose divisor counts
//! misses, is the figure that stays meaningful on a miss-heavy workload
//! (undefined read_amp on a miss-only one).

use std::time::SystemTime;

use hdrhistogram::Histogram;

use crate::measure::{ratio, Latencies, OpType, StorageIo, Tally};

/// The two phases of a workload (their names are the output contract's).
pub use results::Phase;

/// One timeseries interval. Byte counts are cumulative since the phase
/// started; `ops` and `latencies` are the interval's own.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// End of the interval, seconds since the phase started.
    pub t_s: f64,
    /// Length of the interval, seconds.
    pub interval_s: f64,
    /// Operations completed in the interval.
    pub ops: u64,
    /// Storage bytes written since the phase started.
    pub storage_bytes_written: u64,
    /// User bytes written since the phase started.
    pub user_bytes_written: u64,
    /// Service times of the operations completed in the interval, per
    /// type that completed any, in report order (an rmw's get and put
    /// folded into `read` and `update`, as in latency.csv; see
    /// [`crate::interval`] for which interval an operation lands in).
    pub latencies: Vec<(OpType, Histogram<u64>)>,
}

/// The measurements of one engine x workload x phase.
#[derive(Debug, Clone)]
pub struct PhaseResult {
    /// Engine spec as given on the command line.
    pub engine: String,
    /// Workload name.
    pub workload: String,
    /// Load (inserting the records) or run (the workload's mix).
    pub phase: Phase,
    /// Client threads.
    pub threads: usize,
    /// `recordcount` of the workload.
    pub records: u64,
    /// Wall-clock time the phase started.
    pub started_at: SystemTime,
    /// Wall time of the phase, seconds (excludes warm-up, the final sync
    /// and the quiesce between load and run).
    pub duration_s: f64,
    /// Operations and user bytes, summed over threads.
    pub tally: Tally,
    /// Storage I/O of the phase (including its final sync and, for the
    /// load phase, the quiesce).
    pub io: StorageIo,
    /// Size of the engine's files after the phase and a sync.
    pub disk_bytes: u64,
    /// Key+value bytes of the live data after the phase.
    pub live_bytes: u64,
    /// Peak RSS since the engine was opened (see `measure::reset_peak_rss`).
    pub peak_rss_bytes: u64,
    /// The phase was stopped by `--max-time` (or an engine error) before
    /// its operations were done.
    pub time_limited: bool,
    /// Latency histograms per operation type.
    pub latencies: Latencies,
    /// Throughput and bytes written per interval.
    pub timeseries: Vec<Sample>,
    /// `/proc/self/io` over the phase, and which accounting `io` came from.
    pub kernel: crate::kernel_io::KernelPhase,
    /// The engine's own counters at the end of the phase.
    pub engine_metrics: engine_core::EngineMetrics,
    /// The engine's `quiesce` gave up with background work still running:
    /// after this phase (load), or after the warm-up before it (run). Its
    /// counters then include, or leave out, work of a neighbouring phase.
    pub unsettled: bool,
    /// The repetition (0-based) this row was measured in.
    pub repetition: u32,
    /// Throughput over every repetition of this phase of the cell.
    pub spread: Spread,
    /// The engine's background work that ended during the phase or its
    /// settling (events.csv's rows).
    pub events: Vec<results::events::EventRow>,
}

/// Throughput of one phase over the repetitions of its cell.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spread {
    /// How many repetitions the figures are over (0: none, all figures 0).
    pub repetitions: u32,
    /// The slowest repetition's throughput, ops/s.
    pub min: f64,
    /// The median throughput, ops/s (an even count: the mean of the middle
    /// two).
    pub median: f64,
    /// The fastest repetition's throughput, ops/s.
    pub max: f64,
}

impl Spread {
    /// The spread of `ops_per_sec` values (the median of an even count is
    /// the mean of the middle two).
    pub fn of(mut values: Vec<f64>) -> Spread {
        if values.is_empty() {
            return Spread::default();
        }
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = results::summary::median(&mut values);
        Spread {
            repetitions: n as u32,
            min: values[0],
            median,
            max: values[n - 1],
        }
    }
}

impl PhaseResult {
    /// Operations completed.
    pub fn operations(&self) -> u64 {
        self.tally.ops
    }

    /// Operations per second (0 for an empty phase).
    pub fn ops_per_sec(&self) -> f64 {
        if self.duration_s > 0.0 {
            self.tally.ops as f64 / self.duration_s
        } else {
            0.0
        }
    }

    /// storage_bytes_written / user_bytes_written.
    pub fn write_amp(&self) -> Option<f64> {
        ratio(self.io.bytes_written, self.tally.user_bytes_written)
    }

    /// query_bytes_read / user_bytes_read.
    pub fn read_amp(&self) -> Option<f64> {
        ratio(self.io.query_bytes_read, self.tally.user_bytes_read)
    }

    /// query read calls / lookups (gets and scans, hits and misses).
    pub fn read_ios_per_op(&self) -> Option<f64> {
        ratio(self.io.query_read_ios, self.tally.lookups)
    }

    /// disk_bytes / live_bytes.
    pub fn space_amp(&self) -> Option<f64> {
        ratio(self.disk_bytes, self.live_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(tally: Tally, io: StorageIo, disk: u64, live: u64) -> PhaseResult {
        PhaseResult {
            engine: "e".into(),
            workload: "w".into(),
            phase: Phase::Run,
            threads: 1,
            records: 10,
            started_at: std::time::SystemTime::UNIX_EPOCH,
            duration_s: 2.0,
            tally,
            io,
            disk_bytes: disk,
            live_bytes: live,
            peak_rss_bytes: 0,
            time_limited: false,
            latencies: Latencies::new(false),
            timeseries: Vec::new(),
            kernel: Default::default(),
            engine_metrics: Default::default(),
            unsettled: false,
            repetition: 0,
            spread: Spread::default(),
            events: Vec::new(),
        }
    }

    #[test]
    fn spread_takes_the_middle() {
        let s = Spread::of(vec![3.0, 1.0, 2.0]);
        assert_eq!((s.repetitions, s.min, s.median, s.max), (3, 1.0, 2.0, 3.0));
        let s = Spread::of(vec![4.0, 1.0, 2.0, 10.0]);
        assert_eq!((s.min, s.median, s.max), (1.0, 3.0, 10.0));
    }

    #[test]
    fn metrics_follow_the_definitions() {
        let tally = Tally {
            ops: 10,
            user_bytes_written: 100,
            user_bytes_read: 50,
            lookups: 5,
            misses: 1,
            errors: 0,
            cpu_ns: 0,
        };
        let io = StorageIo {
            bytes_written: 250,
            query_bytes_read: 400,
            query_read_ios: 15,
            ..StorageIo::default()
        };
        let r = result(tally, io, 300, 200);
        assert_eq!(r.ops_per_sec(), 5.0);
        assert_eq!(r.write_amp(), Some(2.5));
        assert_eq!(r.read_amp(), Some(8.0));
        assert_eq!(r.read_ios_per_op(), Some(3.0));
        assert_eq!(r.space_amp(), Some(1.5));
    }

    #[test]
    fn write_path_reads_are_in_no_read_metric_and_misses_divide_read_ios() {
        let tally = Tally {
            ops: 4,
            lookups: 4,
            misses: 4,
            ..Tally::default()
        };
        let io = StorageIo {
            query_bytes_read: 4096,
            query_read_ios: 2,
            write_path_bytes_read: 1 << 20,
            write_path_read_ios: 256,
            ..StorageIo::default()
        };
        let r = result(tally, io, 1, 1);
        // Only misses: nothing returned, so no byte ratio, but the I/Os
        // per lookup are there.
        assert_eq!(r.read_amp(), None);
        assert_eq!(r.read_ios_per_op(), Some(0.5));
    }

    #[test]
    fn undefined_when_nothing_to_divide_by() {
        let r = result(Tally::default(), StorageIo::default(), 10, 0);
        assert_eq!(r.write_amp(), None);
        assert_eq!(r.read_amp(), None);
        assert_eq!(r.read_ios_per_op(), None);
        assert_eq!(r.space_amp(), None);
    }
}
