//! What a phase measures: latency histograms per operation type, the
//! harness's own byte tallies, and the metrics derived from the Vfs
//! counters (DESIGN.md, "Metric definitions").
//!
//! Each client thread owns a [`Latencies`] and a [`Tally`] and touches
//! nothing shared on the hot path except its own progress counters
//! ([`Progress`], read by the sampler); the phase merges them once at the
//! end. Latencies are nanoseconds in HdrHistograms with 3 significant
//! digits, clamped at one hour (a longer operation is recorded as one hour,
//! never dropped).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use engine_core::{IoSnapshot, Purpose};
use hdrhistogram::Histogram;

pub use workloads::OpType;

/// Suffix of the op name for latencies measured from the intended start
/// time under `--target` (coordinated-omission corrected).
pub const INTENDED_SUFFIX: &str = "_intended";

/// Suffix of the op name for operations the engine failed (YCSB's
/// `<OP>-FAILED`): their count and how long the failing call took.
pub const FAILED_SUFFIX: &str = "-failed";

/// Highest latency a histogram tracks: one hour, in nanoseconds.
const MAX_TRACKED_NS: u64 = 3_600 * 1_000_000_000;
/// Significant digits of every histogram.
pub const SIGFIG: u8 = 3;

/// A fresh histogram with the harness's bounds.
pub fn new_histogram() -> Histogram<u64> {
    // Bounds are constants that satisfy the crate's preconditions
    // (1 <= low, 2 * low <= high, sigfig <= 5), so creation cannot fail.
    Histogram::new_with_bounds(1, MAX_TRACKED_NS, SIGFIG).expect("constant histogram bounds")
}

/// Latency histograms of one thread (or, merged, of one phase).
///
/// A read-modify-write is recorded three times, as YCSB records it: the
/// whole operation under `rmw`, its get under `read` and its put under
/// `update`. The parts are kept apart from the plain reads and updates
/// (`rmw_parts`) so [`all_ops`](Self::all_ops) counts each operation once,
/// and are folded into the `read` and `update` rows by
/// [`named`](Self::named).
#[derive(Debug, Clone)]
pub struct Latencies {
    /// Service time: from the moment the operation was issued.
    pub service: [Histogram<u64>; 6],
    /// Response time from the intended start (only under `--target`).
    pub intended: Option<[Histogram<u64>; 6]>,
    /// An rmw's get and put, service time and (under `--target`) from the
    /// intended start: `[read, update, read_intended, update_intended]`.
    pub rmw_parts: Option<Box<[Histogram<u64>; 4]>>,
    /// Service time of failed operations, per type; created on the first
    /// failure so a clean run carries no empty histograms.
    pub failed: [Option<Histogram<u64>>; 6],
}

/// Indices into [`Latencies::rmw_parts`].
const PART_READ: usize = 0;
const PART_UPDATE: usize = 1;
const PART_INTENDED: usize = 2;

impl Latencies {
    /// Empty histograms; `intended` only when a target rate is set.
    pub fn new(with_intended: bool) -> Self {
        Latencies {
            service: std::array::from_fn(|_| new_histogram()),
            intended: with_intended.then(|| std::array::from_fn(|_| new_histogram())),
            rmw_parts: None,
            failed: std::array::from_fn(|_| None),
        }
    }

    /// Record the get and the put of one read-modify-write (the whole of
    /// it goes through [`record`](Self::record) under `Rmw`). `due` is the
    /// intended start under `--target`: both parts are measured from it,
    /// as YCSB measures every call of a transaction from its intended start.
    #[inline]
    pub fn record_rmw_parts(&mut self, t0: u64, mid: u64, t1: u64, due: Option<u64>) {
        let parts = self.parts();
        parts[PART_READ].saturating_record(mid.saturating_sub(t0));
        parts[PART_UPDATE].saturating_record(t1.saturating_sub(mid));
        if let Some(due) = due {
            self.record_rmw_intended(mid, t1, due);
        }
    }

    /// Record an rmw's get (ending at `mid`) and put (ending at `t1`) from
    /// the intended start `due` (only under `--target`).
    #[inline]
    pub fn record_rmw_intended(&mut self, mid: u64, t1: u64, due: u64) {
        if self.intended.is_some() {
            let parts = self.parts();
            parts[PART_INTENDED + PART_READ].saturating_record(mid.saturating_sub(due));
            parts[PART_INTENDED + PART_UPDATE].saturating_record(t1.saturating_sub(due));
        }
    }

    fn parts(&mut self) -> &mut [Histogram<u64>; 4] {
        self.rmw_parts
            .get_or_insert_with(|| Box::new(std::array::from_fn(|_| new_histogram())))
    }

    /// Add service times recorded elsewhere: one histogram per type (in
    /// [`OpType::index`] order) and an rmw's get and put.
    pub fn add_service(
        &mut self,
        types: &[Histogram<u64>],
        rmw_read: &Histogram<u64>,
        rmw_update: &Histogram<u64>,
    ) {
        for (a, b) in self.service.iter_mut().zip(types) {
            if !b.is_empty() {
                add(a, b);
            }
        }
        if !rmw_read.is_empty() || !rmw_update.is_empty() {
            let parts = self.parts();
            add(&mut parts[PART_READ], rmw_read);
            add(&mut parts[PART_UPDATE], rmw_update);
        }
    }

    /// Record one failed operation's service time.
    #[inline]
    pub fn record_failed(&mut self, op: OpType, ns: u64) {
        self.failed[op.index()]
            .get_or_insert_with(new_histogram)
            .saturating_record(ns);
    }

    /// Record one operation's service time.
    #[inline]
    pub fn record(&mut self, op: OpType, ns: u64) {
        self.service[op.index()].saturating_record(ns);
    }

    /// Record one operation's time since its intended start.
    #[inline]
    pub fn record_intended(&mut self, op: OpType, ns: u64) {
        if let Some(h) = &mut self.intended {
            h[op.index()].saturating_record(ns);
        }
    }

    /// Add another thread's (or repetition's) histograms into these.
    pub fn merge(&mut self, other: &Latencies) {
        for (a, b) in self.service.iter_mut().zip(&other.service) {
            add(a, b);
        }
        match (&mut self.intended, &other.intended) {
            (Some(a), Some(b)) => {
                for (a, b) in a.iter_mut().zip(b) {
                    add(a, b);
                }
            }
            (None, Some(b)) => self.intended = Some(b.clone()),
            _ => {}
        }
        match (&mut self.rmw_parts, &other.rmw_parts) {
            (Some(a), Some(b)) => {
                for (a, b) in a.iter_mut().zip(b.iter()) {
                    add(a, b);
                }
            }
            (None, Some(b)) => self.rmw_parts = Some(b.clone()),
            _ => {}
        }
        for (a, b) in self.failed.iter_mut().zip(&other.failed) {
            match (a.as_mut(), b) {
                (Some(a), Some(b)) => add(a, b),
                (None, Some(b)) => *a = Some(b.clone()),
                _ => {}
            }
        }
    }

    /// Every non-empty histogram with its latency.csv op name, in report
    /// order: service times, the intended-start ones, then the failed
    /// operations. The `read` and `update` rows include rmw's parts.
    pub fn named(&self) -> Vec<(String, Histogram<u64>)> {
        let mut out = Vec::new();
        self.push_rows(&mut out, &self.service, 0, "");
        if let Some(intended) = &self.intended {
            self.push_rows(&mut out, intended, PART_INTENDED, INTENDED_SUFFIX);
        }
        for op in OpType::ALL {
            if let Some(h) = &self.failed[op.index()] {
                out.push((format!("{}{FAILED_SUFFIX}", op.name()), h.clone()));
            }
        }
        out
    }

    fn push_rows(
        &self,
        out: &mut Vec<(String, Histogram<u64>)>,
        hists: &[Histogram<u64>; 6],
        part_base: usize,
        suffix: &str,
    ) {
        for op in OpType::ALL {
            let mut h = hists[op.index()].clone();
            let part = match op {
                OpType::Read => Some(PART_READ),
                OpType::Update => Some(PART_UPDATE),
                _ => None,
            };
            if let (Some(part), Some(parts)) = (part, &self.rmw_parts) {
                add(&mut h, &parts[part_base + part]);
            }
            if !h.is_empty() {
                out.push((format!("{}{suffix}", op.name()), h));
            }
        }
    }

    /// All service-time histograms in one (for the stdout table's p50/p99).
    pub fn all_ops(&self) -> Histogram<u64> {
        let mut h = new_histogram();
        for s in &self.service {
            add(&mut h, s);
        }
        h
    }
}

fn add(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    // Both histograms come from `new_histogram`, with identical bounds, so
    // every value of `from` is trackable in `into`.
    into.add(from).expect("histograms share bounds");
}

/// Byte and operation tallies one thread keeps privately.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Operations completed (an rmw is one).
    pub ops: u64,
    /// Key+value bytes of puts, key bytes of deletes.
    pub user_bytes_written: u64,
    /// Key+value bytes returned by gets and scans.
    pub user_bytes_read: u64,
    /// Gets (including an rmw's get) and scans, hits and misses alike:
    /// the read_ios_per_op divisor.
    pub lookups: u64,
    /// Lookups that found nothing: a get of an absent key, a scan that
    /// returned no pair. Their I/O is in `query_bytes_read` while they add
    /// nothing to `user_bytes_read`, so read_amp is reported beside them.
    pub misses: u64,
    /// Operations that returned an error.
    pub errors: u64,
    /// CPU time the client thread spent in the phase (engine calls and the
    /// harness's loop), nanoseconds; 0 where the platform does not say.
    pub cpu_ns: u64,
}

impl Tally {
    /// Sum of two tallies.
    pub fn plus(self, o: Tally) -> Tally {
        Tally {
            ops: self.ops + o.ops,
            user_bytes_written: self.user_bytes_written + o.user_bytes_written,
            user_bytes_read: self.user_bytes_read + o.user_bytes_read,
            lookups: self.lookups + o.lookups,
            misses: self.misses + o.misses,
            errors: self.errors + o.errors,
            cpu_ns: self.cpu_ns + o.cpu_ns,
        }
    }
}

/// CPU time of the calling thread so far, nanoseconds
/// (`CLOCK_THREAD_CPUTIME_ID`: time on a CPU, user and system). Unlike wall
/// time it does not grow while other processes hold the CPU, which is what
/// lets the gate compare throughput on a busy shared machine. `None` where
/// the platform has no such clock. Read twice per thread per phase, never
/// per operation.
pub fn thread_cpu_ns() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec for the whole call, and
        // clock_gettime writes nothing else.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        let secs = u64::try_from(ts.tv_sec).ok()?;
        let nanos = u64::try_from(ts.tv_nsec).ok()?;
        (rc == 0).then(|| secs * 1_000_000_000 + nanos)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Counters a client thread publishes for the sampler and progress bar.
/// One cache line per thread so threads do not contend.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Progress {
    /// Operations completed so far ([`Tally::ops`]).
    pub ops: AtomicU64,
    /// User bytes written so far ([`Tally::user_bytes_written`]).
    pub user_bytes_written: AtomicU64,
}

impl Progress {
    /// Publish a thread's tally so far.
    #[inline]
    pub fn publish(&self, t: &Tally) {
        self.ops.store(t.ops, Relaxed);
        self.user_bytes_written.store(t.user_bytes_written, Relaxed);
    }

    /// Sum over threads: (ops, user bytes written).
    pub fn sum(all: &[Progress]) -> (u64, u64) {
        all.iter().fold((0, 0), |(o, b), p| {
            (
                o + p.ops.load(Relaxed),
                b + p.user_bytes_written.load(Relaxed),
            )
        })
    }
}

/// The storage side of one phase, from two Vfs snapshots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageIo {
    /// Bytes written, every purpose.
    pub bytes_written: u64,
    /// Bytes read to answer gets and scans.
    pub query_bytes_read: u64,
    /// Read calls made to answer gets and scans.
    pub query_read_ios: u64,
    /// Bytes read on a write's behalf (`Purpose::WritePath`: a B+tree's
    /// descent to the leaf a put changes, rebalancing).
    pub write_path_bytes_read: u64,
    /// Read calls made on a write's behalf.
    pub write_path_read_ios: u64,
    /// Bytes read by flushes and compactions.
    pub compaction_bytes_read: u64,
    /// Bytes written by flushes and compactions.
    pub compaction_bytes_written: u64,
    /// File and directory syncs, every purpose.
    pub fsyncs: u64,
}

impl StorageIo {
    /// What happened between two snapshots of the same Vfs.
    pub fn between(before: &IoSnapshot, after: &IoSnapshot) -> StorageIo {
        let d = after.since(before);
        let background = [d.purpose(Purpose::Flush), d.purpose(Purpose::Compaction)];
        StorageIo {
            bytes_written: d.total().write_bytes,
            query_bytes_read: d.purpose(Purpose::Query).read_bytes,
            query_read_ios: d.purpose(Purpose::Query).read_calls,
            write_path_bytes_read: d.purpose(Purpose::WritePath).read_bytes,
            write_path_read_ios: d.purpose(Purpose::WritePath).read_calls,
            compaction_bytes_read: background.iter().map(|p| p.read_bytes).sum(),
            compaction_bytes_written: background.iter().map(|p| p.write_bytes).sum(),
            fsyncs: d.total().syncs,
        }
    }
}

/// `a / b`, undefined (None) when `b` is zero.
pub fn ratio(a: u64, b: u64) -> Option<f64> {
    (b != 0).then(|| a as f64 / b as f64)
}

/// Peak resident set size of this process (VmHWM), bytes.
pub fn peak_rss_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Reset the peak RSS mark to the current RSS, so the next engine's peak is
/// its own and not an earlier engine's. Best effort: Linux only (writing
/// `5` to /proc/self/clear_refs); elsewhere the peak is the process's.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_counts_per_type() {
        let mut a = Latencies::new(false);
        let mut b = Latencies::new(true);
        a.record(OpType::Read, 1_000);
        b.record(OpType::Read, 3_000);
        b.record(OpType::Scan, 5_000);
        b.record_intended(OpType::Scan, 9_000);
        a.merge(&b);
        assert_eq!(a.service[OpType::Read.index()].len(), 2);
        assert_eq!(a.service[OpType::Scan.index()].len(), 1);
        let names: Vec<String> = a.named().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["read", "scan", "scan_intended"]);
        assert_eq!(a.all_ops().len(), 3);
    }

    #[test]
    fn huge_latency_is_clamped_not_dropped() {
        let mut a = Latencies::new(false);
        a.record(OpType::Update, u64::MAX);
        assert_eq!(a.service[OpType::Update.index()].len(), 1);
    }

    #[test]
    fn storage_io_splits_purposes() {
        let vfs = engine_core::vfs::SimFs::new(1).vfs();
        let dir = std::path::Path::new("/d");
        vfs.create_dir_all(dir).expect("sim mkdir");
        let f = vfs
            .open(&dir.join("f"), engine_core::OpenMode::Create)
            .expect("sim open");
        let before = vfs.stats().snapshot();
        f.write_at(b"0123456789", 0, Purpose::Wal).expect("write");
        f.write_at(b"abcd", 10, Purpose::Compaction).expect("write");
        let mut buf = [0u8; 4];
        f.read_at(&mut buf, 0, Purpose::Query).expect("read");
        f.read_at(&mut buf, 4, Purpose::Query).expect("read");
        f.read_at(&mut buf, 0, Purpose::Flush).expect("read");
        f.read_at(&mut buf[..3], 2, Purpose::WritePath)
            .expect("read");
        f.sync(Purpose::Wal).expect("sync");
        let io = StorageIo::between(&before, &vfs.stats().snapshot());
        assert_eq!(
            io,
            StorageIo {
                bytes_written: 14,
                query_bytes_read: 8,
                query_read_ios: 2,
                write_path_bytes_read: 3,
                write_path_read_ios: 1,
                compaction_bytes_read: 4,
                compaction_bytes_written: 4,
                fsyncs: 1,
            }
        );
    }

    #[test]
    fn ratio_is_undefined_over_zero() {
        assert_eq!(ratio(3, 0), None);
        assert_eq!(ratio(3, 2), Some(1.5));
    }

    #[test]
    fn peak_rss_is_read() {
        // On Linux VmHWM exists and is at least a page.
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(peak_rss_bytes() >= 4096);
        }
    }
}
