//! Engine events: the background work an engine did, and when.
//!
//! A throughput dip or a p99 spike in a timeline means little until it can
//! be lined up with what the engine was doing: a memtable flush, a
//! compaction from L1 to L2, a checkpoint, a merge, writers stalled behind
//! level 0. Counters say how much of that happened in a phase; events say
//! when, so the harness can draw them under the latency curve.
//!
//! An engine owns an [`EventLog`], records one [`Event`] when a piece of
//! work ends (it knows its start then too), and hands the buffered events
//! over in [`Engine::drain_events`](crate::Engine::drain_events). The harness
//! drains every sampling interval, so the buffer stays small; it is bounded
//! all the same ([`EventLog::CAPACITY`]), dropping the oldest and counting
//! what it dropped, so a caller that never drains costs a fixed amount of
//! memory. Recording is a short mutex hold once per flush or compaction,
//! never per operation.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

/// What kind of background work an event was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A memtable written out as a table (LSM).
    Flush,
    /// Tables merged into a lower level or tier (LSM); `detail` names the
    /// levels or tiers.
    Compaction,
    /// Dirty pages written back and the log switched (B+tree).
    Checkpoint,
    /// Sealed segments rewritten without their dead records (hash-log).
    Merge,
    /// A writer waited for background work before it could proceed.
    WriteStall,
}

impl EventKind {
    /// The name in `events.csv`.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Flush => "flush",
            EventKind::Compaction => "compaction",
            EventKind::Checkpoint => "checkpoint",
            EventKind::Merge => "merge",
            EventKind::WriteStall => "write_stall",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One piece of background work, recorded when it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What the work was.
    pub kind: EventKind,
    /// When it began; never after `end`.
    pub start: Instant,
    /// When it ended, which is when the event was recorded.
    pub end: Instant,
    /// Bytes the work read (a flush: the memtable's bytes; a compaction or
    /// merge: its input files' bytes); 0 where it means nothing (a stall).
    pub bytes_in: u64,
    /// Bytes it wrote to storage.
    pub bytes_out: u64,
    /// Free text for the reader of the chart (`L1->L2`, `tier 0 -> 1`,
    /// `12 pages`); no commas are needed, the harness quotes it.
    pub detail: String,
}

/// The bounded buffer an engine records its events in.
#[derive(Debug, Default)]
pub struct EventLog {
    events: Mutex<VecDeque<Event>>,
    dropped: AtomicU64,
}

impl EventLog {
    /// Events kept between two drains; beyond it the oldest go.
    pub const CAPACITY: usize = 4096;

    /// An empty log that has dropped nothing.
    pub fn new() -> EventLog {
        EventLog::default()
    }

    /// Record `event`, dropping the oldest one if the buffer is full.
    pub fn record(&self, event: Event) {
        let mut events = self.events.lock();
        if events.len() == Self::CAPACITY {
            events.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        events.push_back(event);
    }

    /// Record work of `kind` that started at `start` and ends now.
    pub fn record_since(&self, kind: EventKind, start: Instant, io: (u64, u64), detail: String) {
        self.record(Event {
            kind,
            start,
            end: Instant::now(),
            bytes_in: io.0,
            bytes_out: io.1,
            detail,
        });
    }

    /// Every event recorded since the last drain, oldest first.
    pub fn drain(&self) -> Vec<Event> {
        self.events.lock().drain(..).collect()
    }

    /// Events dropped because nobody drained in time, since the start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u64) -> Event {
        let t = Instant::now();
        Event {
            kind: EventKind::Flush,
            start: t,
            end: t,
            bytes_in: n,
            bytes_out: n,
            detail: String::new(),
        }
    }

    #[test]
    fn drain_returns_events_in_order_once() {
        let log = EventLog::new();
        for n in 0..3 {
            log.record(event(n));
        }
        let got: Vec<u64> = log.drain().iter().map(|e| e.bytes_in).collect();
        assert_eq!(got, [0, 1, 2]);
        assert!(log.drain().is_empty());
        assert_eq!(log.dropped(), 0);
    }

    #[test]
    fn a_full_buffer_drops_the_oldest_and_counts_them() {
        let log = EventLog::new();
        let n = EventLog::CAPACITY as u64 + 5;
        for i in 0..n {
            log.record(event(i));
        }
        let got = log.drain();
        assert_eq!(got.len(), EventLog::CAPACITY);
        assert_eq!(got[0].bytes_in, 5);
        assert_eq!(got.last().map(|e| e.bytes_in), Some(n - 1));
        assert_eq!(log.dropped(), 5);
    }
}
