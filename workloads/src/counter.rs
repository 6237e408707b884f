//! The run phase's insert counter, bounded by acknowledgement.
//!
//! Run-phase inserts take consecutive record numbers from one shared
//! counter. Reads must only choose records that exist, and a record exists
//! once its insert has *returned*, not once its number was handed out: with
//! several threads, the insert of record `n` can still be in flight while
//! another thread already holds `n + 1`. YCSB's
//! `AcknowledgedCounterGenerator` solves this with a window of
//! acknowledgement flags; this is the same idea: [`AckCounter::last`] is
//! the highest number such that it and every number below it were
//! acknowledged.
//!
//! With one client thread an insert is acknowledged before the thread
//! draws its next operation, so the bound is the same as a plain counter's
//! and a single-threaded stream is unchanged.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Numbers that may be handed out but not yet acknowledged. At most one
/// insert per client thread is in flight, so a window far larger than any
/// thread count never wraps onto an unacknowledged slot.
const WINDOW: u64 = 1 << 16;

/// A shared counter whose readable bound only moves past acknowledged
/// numbers.
#[derive(Debug)]
pub struct AckCounter {
    /// The next number to hand out.
    next: AtomicU64,
    /// Every number below this one is acknowledged.
    limit: AtomicU64,
    /// `acked[n % WINDOW]`: `n` was acknowledged and `limit` has not
    /// passed it yet.
    acked: Box<[AtomicBool]>,
    /// Held by the one thread advancing `limit`.
    advance: Mutex<()>,
}

impl AckCounter {
    /// A counter whose first number is `start`; every number below `start`
    /// (the loaded records) counts as acknowledged.
    pub fn new(start: u64) -> AckCounter {
        AckCounter {
            next: AtomicU64::new(start),
            limit: AtomicU64::new(start),
            acked: (0..WINDOW).map(|_| AtomicBool::new(false)).collect(),
            advance: Mutex::new(()),
        }
    }

    /// The next number to insert.
    #[inline]
    pub fn next(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// Mark `n` (from [`next`](Self::next)) as done, whether its insert
    /// succeeded or failed (as YCSB does: a failed insert must not hold
    /// the bound back for the rest of the run).
    pub fn acknowledge(&self, n: u64) {
        debug_assert!(
            n < self.limit.load(Ordering::Acquire) + WINDOW,
            "more inserts in flight than the window holds"
        );
        self.acked[(n % WINDOW) as usize].store(true, Ordering::SeqCst);
        // One thread advances at a time. A thread that finds the lock taken
        // leaves its flag to the holder, which looks once more after
        // letting go, so no flag is left behind. The bound may lag by the
        // inserts in flight, never run ahead of them.
        loop {
            let Ok(guard) = self.advance.try_lock() else {
                return;
            };
            let mut limit = self.limit.load(Ordering::SeqCst);
            while self.acked[(limit % WINDOW) as usize].swap(false, Ordering::SeqCst) {
                limit += 1;
            }
            self.limit.store(limit, Ordering::SeqCst);
            drop(guard);
            if !self.acked[(limit % WINDOW) as usize].load(Ordering::SeqCst) {
                return;
            }
        }
    }

    /// The highest number that, with every number below it, was
    /// acknowledged (`start - 1` before any run-phase insert returns).
    #[inline]
    pub fn last(&self) -> u64 {
        self.limit.load(Ordering::SeqCst).saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_bound_waits_for_the_oldest_insert_in_flight() {
        let c = AckCounter::new(10);
        assert_eq!(c.last(), 9);
        let (a, b, d) = (c.next(), c.next(), c.next());
        assert_eq!((a, b, d), (10, 11, 12));
        c.acknowledge(b);
        c.acknowledge(d);
        assert_eq!(c.last(), 9, "10 is still in flight");
        c.acknowledge(a);
        assert_eq!(c.last(), 12);
    }

    #[test]
    fn threads_never_see_an_unacknowledged_number() {
        let c = Arc::new(AckCounter::new(0));
        let done: Arc<Box<[AtomicBool]>> =
            Arc::new((0..40_000).map(|_| AtomicBool::new(false)).collect());
        std::thread::scope(|s| {
            for _ in 0..4 {
                let (c, done) = (c.clone(), done.clone());
                s.spawn(move || {
                    for _ in 0..10_000 {
                        let last = c.last();
                        if last != u64::MAX && c.limit.load(Ordering::Acquire) > 0 {
                            assert!(done[last as usize].load(Ordering::Acquire), "{last}");
                        }
                        let n = c.next();
                        done[n as usize].store(true, Ordering::Release);
                        c.acknowledge(n);
                    }
                });
            }
        });
        // Everything was acknowledged, and no flag was left behind.
        assert_eq!(c.last(), 39_999);
    }
}
