//! Latency histograms per timeseries interval, handed from the client
//! threads to the sampler without a shared lock on the hot path.
//!
//! Each client thread records every operation twice: into its whole-phase
//! [`crate::measure::Latencies`] and into the [`IntervalLatencies`] of the
//! current interval. At an interval boundary the sampler raises the
//! thread's [`IntervalSlot::requested`] epoch; the thread checks it with one
//! relaxed load per operation ([`IntervalRecorder::poll`]) and, when it
//! changed, swaps its interval histograms with the slot's spare set under
//! the slot's own mutex (two pointer swaps: no allocation, no clearing on
//! the client thread) and says so in [`IntervalSlot::answered`]. The
//! sampler waits a moment for the answers, takes the handed-over sets,
//! merges them into the interval's row, clears them and leaves them as the
//! spares for the next boundary.
//!
//! Nothing is lost and nothing is counted twice: a thread busy in a long
//! operation answers late, and its operations go into the next interval
//! (or, at the end, into the last one), and a thread's last histograms come
//! back with the thread when the phase ends. So each op's counts summed
//! over a phase's intervals equal its count in latency.csv; an operation is
//! in the interval in which its thread answered after completing it, at
//! most one operation's length (or the sampler's wait) after its end.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::measure::{new_histogram, Latencies, OpType};

/// Index of an rmw's get and its put after the six types.
const RMW_READ: usize = 6;
const RMW_UPDATE: usize = 7;

/// Service-time histograms of one interval: the six operation types, then
/// an rmw's get and put (folded into `read` and `update` by
/// [`per_op`](Self::per_op), as latency.csv folds them).
#[derive(Debug, Clone)]
pub struct IntervalLatencies {
    hists: [Histogram<u64>; 8],
}

impl Default for IntervalLatencies {
    fn default() -> Self {
        IntervalLatencies {
            hists: std::array::from_fn(|_| new_histogram()),
        }
    }
}

impl IntervalLatencies {
    /// Record one operation's service time.
    #[inline]
    pub fn record(&mut self, op: OpType, ns: u64) {
        self.hists[op.index()].saturating_record(ns);
    }

    /// Record the get and the put of one read-modify-write.
    #[inline]
    pub fn record_rmw_parts(&mut self, t0: u64, mid: u64, t1: u64) {
        self.hists[RMW_READ].saturating_record(mid.saturating_sub(t0));
        self.hists[RMW_UPDATE].saturating_record(t1.saturating_sub(mid));
    }

    /// Add `other`'s counts into these.
    pub fn add(&mut self, other: &IntervalLatencies) {
        for (a, b) in self.hists.iter_mut().zip(&other.hists) {
            if !b.is_empty() {
                // Same bounds (both from `new_histogram`), so it fits.
                a.add(b).expect("histograms share bounds");
            }
        }
    }

    /// Add these service times into a phase's `lat` (the six types'
    /// histograms, and an rmw's get and put into its parts).
    pub fn add_into(&self, lat: &mut Latencies) {
        let (types, parts) = self.hists.split_at(RMW_READ);
        lat.add_service(types, &parts[0], &parts[1]);
    }

    /// Clear every count (the non-empty histograms only: clearing one
    /// writes its whole counts array).
    pub fn clear(&mut self) {
        for h in &mut self.hists {
            if !h.is_empty() {
                h.reset();
            }
        }
    }

    /// Each type that completed an operation, in report order, with its
    /// histogram (rmw's parts folded into `read` and `update`), each copied
    /// into a histogram no larger than its values need.
    pub fn per_op(&self) -> Vec<(OpType, Histogram<u64>)> {
        let mut out = Vec::new();
        for op in OpType::ALL {
            let part = match op {
                OpType::Read => Some(RMW_READ),
                OpType::Update => Some(RMW_UPDATE),
                _ => None,
            };
            let mut h = compact_histogram();
            for i in std::iter::once(op.index()).chain(part) {
                if !self.hists[i].is_empty() {
                    // Auto-resizing: it grows to hold any value.
                    h.add(&self.hists[i]).expect("auto-resizing histogram");
                }
            }
            if !h.is_empty() {
                out.push((op, h));
            }
        }
        out
    }
}

/// An empty auto-resizing histogram with the harness's precision: kept
/// per interval, so sized by its values, not by the one-hour bound.
pub fn compact_histogram() -> Histogram<u64> {
    let mut h = Histogram::new(crate::measure::SIGFIG).expect("constant sigfig");
    h.auto(true);
    h
}

/// Add `from`'s histograms into `into`, per op type, keeping report order.
pub fn merge_per_op(into: &mut Vec<(OpType, Histogram<u64>)>, from: Vec<(OpType, Histogram<u64>)>) {
    for (op, h) in from {
        match into.iter_mut().find(|(o, _)| *o == op) {
            Some((_, a)) => a.add(&h).expect("auto-resizing histogram"),
            None => into.push((op, h)),
        }
    }
    into.sort_by_key(|(op, _)| op.index());
}

/// One client thread's mailbox for the sampler.
#[derive(Debug, Default)]
pub struct IntervalSlot {
    /// The epoch the sampler asks for (raised at each boundary).
    requested: AtomicU64,
    /// The last epoch the thread answered.
    answered: AtomicU64,
    /// The thread has finished its operations.
    done: AtomicBool,
    handover: Mutex<Handover>,
}

#[derive(Debug, Default)]
struct Handover {
    /// A cleared set for the thread to swap in.
    spare: Option<Box<IntervalLatencies>>,
    /// The set the thread handed over, not yet collected.
    handed: Option<Box<IntervalLatencies>>,
}

impl IntervalSlot {
    /// A slot holding a spare set.
    pub fn new() -> Self {
        let slot = IntervalSlot::default();
        slot.lock().spare = Some(Box::default());
        slot
    }

    fn lock(&self) -> MutexGuard<'_, Handover> {
        // A thread that panicked holding it left consistent data (two
        // Options): go on.
        self.handover.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The thread has run its last operation (its last set comes back
    /// with it); the sampler stops waiting for its answers.
    pub fn finish(&self) {
        self.done.store(true, Ordering::Release);
    }

    /// Sampler: ask every thread for its interval histograms, wait up to
    /// `patience` for the answers, and add everything handed over into
    /// `into`.
    pub fn collect_all(
        slots: &[IntervalSlot],
        epoch: u64,
        patience: Duration,
        into: &mut IntervalLatencies,
    ) {
        for s in slots {
            s.requested.store(epoch, Ordering::Relaxed);
        }
        let deadline = Instant::now() + patience;
        while !slots
            .iter()
            .all(|s| s.answered.load(Ordering::Acquire) >= epoch || s.done.load(Ordering::Acquire))
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_micros(100));
        }
        Self::drain_all(slots, into);
    }

    /// Sampler: add every handed-over set into `into` and clear it for
    /// reuse as the spare.
    pub fn drain_all(slots: &[IntervalSlot], into: &mut IntervalLatencies) {
        for s in slots {
            let mut g = s.lock();
            if let Some(mut h) = g.handed.take() {
                into.add(&h);
                h.clear();
                g.spare = Some(h);
            }
        }
    }
}

/// A client thread's current interval set and the last epoch it saw.
#[derive(Debug, Default)]
pub struct IntervalRecorder {
    /// The histograms of the interval in progress, swapped out at each
    /// boundary the sampler announces.
    pub current: Box<IntervalLatencies>,
    seen: u64,
}

impl IntervalRecorder {
    /// One relaxed load; hands the current set over when the sampler asked.
    #[inline]
    pub fn poll(&mut self, slot: &IntervalSlot) {
        let want = slot.requested.load(Ordering::Relaxed);
        if want != self.seen {
            self.hand_over(slot, want);
        }
    }

    #[cold]
    #[inline(never)]
    fn hand_over(&mut self, slot: &IntervalSlot, epoch: u64) {
        self.seen = epoch;
        {
            let mut g = slot.lock();
            // If the sampler has not yet collected the previous set (this
            // thread answered after it stopped waiting), keep recording
            // into the current one: it is handed over next time.
            if g.handed.is_none() {
                if let Some(mut fresh) = g.spare.take() {
                    std::mem::swap(&mut self.current, &mut fresh);
                    g.handed = Some(fresh);
                }
            }
        }
        slot.answered.store(epoch, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handover_moves_counts_once() {
        let slot = IntervalSlot::new();
        let mut rec = IntervalRecorder::default();
        rec.current.record(OpType::Read, 1_000);
        rec.current.record(OpType::Rmw, 5_000);
        rec.current.record_rmw_parts(0, 2_000, 5_000);
        let mut acc = IntervalLatencies::default();
        // Nothing asked yet: nothing handed.
        rec.poll(&slot);
        IntervalSlot::drain_all(std::slice::from_ref(&slot), &mut acc);
        assert!(acc.per_op().is_empty());
        slot.requested.store(1, Ordering::Relaxed);
        rec.poll(&slot);
        IntervalSlot::drain_all(std::slice::from_ref(&slot), &mut acc);
        let got: Vec<(OpType, u64)> = acc.per_op().iter().map(|(o, h)| (*o, h.len())).collect();
        assert_eq!(
            got,
            [(OpType::Read, 2), (OpType::Update, 1), (OpType::Rmw, 1)]
        );
        assert!(rec.current.per_op().is_empty(), "the thread starts afresh");
        // A second request before anything new: an empty handover.
        rec.current.record(OpType::Scan, 9);
        slot.requested.store(2, Ordering::Relaxed);
        rec.poll(&slot);
        let mut next = IntervalLatencies::default();
        IntervalSlot::drain_all(std::slice::from_ref(&slot), &mut next);
        assert_eq!(next.per_op().len(), 1);
    }

    #[test]
    fn an_uncollected_handover_keeps_the_counts_with_the_thread() {
        let slot = IntervalSlot::new();
        let mut rec = IntervalRecorder::default();
        rec.current.record(OpType::Read, 1_000);
        slot.requested.store(1, Ordering::Relaxed);
        rec.poll(&slot);
        rec.current.record(OpType::Read, 2_000);
        slot.requested.store(2, Ordering::Relaxed);
        rec.poll(&slot); // the first set is still uncollected
        let mut acc = IntervalLatencies::default();
        IntervalSlot::drain_all(std::slice::from_ref(&slot), &mut acc);
        assert_eq!(acc.per_op()[0].1.len(), 1);
        assert_eq!(rec.current.per_op()[0].1.len(), 1);
    }
}
