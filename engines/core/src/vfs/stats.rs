//! Per-purpose I/O counters.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::Purpose;

#[derive(Default)]
struct Counters {
    read_bytes: AtomicU64,
    read_calls: AtomicU64,
    write_bytes: AtomicU64,
    write_calls: AtomicU64,
    syncs: AtomicU64,
}

/// Live counters, shared by every file of one [`Vfs`](super::Vfs).
#[derive(Default)]
pub struct IoStats {
    by_purpose: [Counters; Purpose::ALL.len()],
}

impl IoStats {
    pub(crate) fn record_read(&self, p: Purpose, bytes: u64) {
        let c = &self.by_purpose[p.index()];
        c.read_bytes.fetch_add(bytes, Relaxed);
        c.read_calls.fetch_add(1, Relaxed);
    }

    pub(crate) fn record_write(&self, p: Purpose, bytes: u64) {
        let c = &self.by_purpose[p.index()];
        c.write_bytes.fetch_add(bytes, Relaxed);
        c.write_calls.fetch_add(1, Relaxed);
    }

    pub(crate) fn record_sync(&self, p: Purpose) {
        self.by_purpose[p.index()].syncs.fetch_add(1, Relaxed);
    }

    /// A consistent-enough copy of the counters (each counter is read
    /// atomically; the set is exact whenever no I/O is in flight).
    pub fn snapshot(&self) -> IoSnapshot {
        let mut s = IoSnapshot::default();
        for p in Purpose::ALL {
            let c = &self.by_purpose[p.index()];
            s.by_purpose[p.index()] = PurposeSnapshot {
                read_bytes: c.read_bytes.load(Relaxed),
                read_calls: c.read_calls.load(Relaxed),
                write_bytes: c.write_bytes.load(Relaxed),
                write_calls: c.write_calls.load(Relaxed),
                syncs: c.syncs.load(Relaxed),
            };
        }
        s
    }
}

/// Counters of one purpose at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurposeSnapshot {
    /// Bytes that [`File`](super::File) reads returned (fewer than asked
    /// for at end of file); what the engine read, not what the device
    /// moved (see `Backend::device_bytes`).
    pub read_bytes: u64,
    /// Read calls, however many bytes each asked for.
    pub read_calls: u64,
    /// Bytes written through [`File`](super::File) calls.
    pub write_bytes: u64,
    /// Write calls, however many bytes each wrote.
    pub write_calls: u64,
    /// Syncs attempted, failed ones included: file syncs, plus directory
    /// syncs under the `meta` purpose.
    pub syncs: u64,
}

impl PurposeSnapshot {
    fn minus(&self, o: &PurposeSnapshot) -> PurposeSnapshot {
        PurposeSnapshot {
            read_bytes: self.read_bytes - o.read_bytes,
            read_calls: self.read_calls - o.read_calls,
            write_bytes: self.write_bytes - o.write_bytes,
            write_calls: self.write_calls - o.write_calls,
            syncs: self.syncs - o.syncs,
        }
    }
}

/// All counters at one moment; subtract two to measure a phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IoSnapshot {
    by_purpose: [PurposeSnapshot; Purpose::ALL.len()],
}

impl IoSnapshot {
    /// Counters of one purpose.
    pub fn purpose(&self, p: Purpose) -> PurposeSnapshot {
        self.by_purpose[p.index()]
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &IoSnapshot) -> IoSnapshot {
        let mut d = IoSnapshot::default();
        for p in Purpose::ALL {
            d.by_purpose[p.index()] = self.purpose(p).minus(&earlier.purpose(p));
        }
        d
    }

    /// Sum over all purposes.
    pub fn total(&self) -> PurposeSnapshot {
        let mut t = PurposeSnapshot::default();
        for s in &self.by_purpose {
            t.read_bytes += s.read_bytes;
            t.read_calls += s.read_calls;
            t.write_bytes += s.write_bytes;
            t.write_calls += s.write_calls;
            t.syncs += s.syncs;
        }
        t
    }
}
