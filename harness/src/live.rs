//! The live set: which keys exist and how many key+value bytes they hold,
//! tracked by the harness itself so that `space_amp = disk_bytes /
//! live_bytes` does not trust the engine's own accounting.
//!
//! Keeping a map up to date on every write would put a hash-map update
//! (a cache miss or two into a map of every key) on the hot path. Instead
//! each client thread appends `(time, key hash, size)` to its own
//! [`LiveLog`], a plain vector: no lock, no shared cache line, sequential
//! memory. When the phase ends (outside its measured duration) the logs are
//! merged in time order and applied to the [`LiveSet`]'s map. With one
//! thread the order is the thread's own and the result exact. With several,
//! writes to the same key are applied in the order of their completion
//! times, which is the engine's order for all but writes that genuinely
//! overlapped (whose order the engine does not define either).
//!
//! A log that reaches [`LOG_CAPACITY`] entries is applied on the spot, so
//! memory stays bounded (24 bytes per write up to that point).
//!
//! Keys are reduced to a 64-bit hash: no key copy, no allocation. Two
//! distinct keys colliding would merge; with a well-mixed hash and a
//! million keys the chance is about 1 in 10^7, and the effect one key's
//! bytes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use parking_lot::Mutex;

/// Entries a thread's log holds before it is applied mid-phase.
pub const LOG_CAPACITY: usize = 1 << 20;

/// Size marking a delete.
const DELETED: u32 = u32::MAX;

/// Key hash -> key+value bytes of the live version.
type Map = HashMap<u64, u32, BuildHasherDefault<PassThrough>>;

#[derive(Debug, Clone, Copy)]
struct Entry {
    at_ns: u64,
    key: u64,
    size: u32,
}

/// One thread's pending live-set changes.
#[derive(Debug, Default)]
pub struct LiveLog {
    entries: Vec<Entry>,
}

impl LiveLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// `key` got a value of `value_len` bytes at clock time `at_ns`.
    #[inline]
    pub fn put(&mut self, at_ns: u64, key: &[u8], value_len: usize) {
        let size = (key.len() + value_len).min(DELETED as usize - 1) as u32;
        self.entries.push(Entry {
            at_ns,
            key: hash(key),
            size,
        });
    }

    /// `key` was deleted at clock time `at_ns`.
    #[inline]
    pub fn delete(&mut self, at_ns: u64, key: &[u8]) {
        self.entries.push(Entry {
            at_ns,
            key: hash(key),
            size: DELETED,
        });
    }

    /// Time to apply it (see [`LOG_CAPACITY`]).
    #[inline]
    pub fn is_full(&self) -> bool {
        self.entries.len() >= LOG_CAPACITY
    }

    /// Pending entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The live keys of one engine's data set.
#[derive(Default)]
pub struct LiveSet {
    inner: Mutex<(Map, u64)>,
}

impl LiveSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Apply one log (emptying it), in its own order.
    pub fn apply(&self, log: &mut LiveLog) {
        let mut g = self.inner.lock();
        let (map, bytes) = &mut *g;
        for e in log.entries.drain(..) {
            apply_entry(map, bytes, e);
        }
    }

    /// Apply several threads' logs, merged in time order (emptying them).
    pub fn apply_all(&self, logs: &mut [LiveLog]) {
        let mut nonempty = logs.iter_mut().filter(|l| !l.is_empty());
        let (Some(first), None) = (nonempty.next(), nonempty.next()) else {
            let mut all: Vec<Entry> = logs.iter_mut().flat_map(|l| l.entries.drain(..)).collect();
            // Stable: a thread's entries with equal times keep their order.
            all.sort_by_key(|e| e.at_ns);
            let mut g = self.inner.lock();
            let (map, bytes) = &mut *g;
            for e in all {
                apply_entry(map, bytes, e);
            }
            return;
        };
        self.apply(first);
    }

    /// Key+value bytes of the live data (logs applied so far).
    pub fn bytes(&self) -> u64 {
        self.inner.lock().1
    }

    /// Number of live keys.
    pub fn len(&self) -> usize {
        self.inner.lock().0.len()
    }

    /// True when no key is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn apply_entry(map: &mut Map, bytes: &mut u64, e: Entry) {
    let old = if e.size == DELETED {
        map.remove(&e.key)
    } else {
        *bytes += u64::from(e.size);
        map.insert(e.key, e.size)
    };
    *bytes -= old.map_or(0, u64::from);
}

/// A 64-bit hash of a key: 8-byte words folded with a multiply and the
/// murmur3 finaliser, so structured keys (`user` + digits) spread well.
#[inline]
pub fn hash(key: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (key.len() as u64).wrapping_mul(K);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    fmix64(h)
}

fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The keys are already hashes: hash them no further.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed (via write_u64); fold anything else.
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_bytes_through_overwrite_and_delete() {
        let live = LiveSet::new();
        let mut log = LiveLog::new();
        log.put(1, b"user1", 100); // 105
        log.put(2, b"user2", 10); // 15
        log.put(3, b"user1", 50); // 105 -> 55
        log.delete(4, b"user2");
        log.delete(5, b"absent");
        live.apply(&mut log);
        assert!(log.is_empty());
        assert_eq!(live.bytes(), 55);
        assert_eq!(live.len(), 1);
    }

    #[test]
    fn several_logs_apply_in_time_order() {
        let live = LiveSet::new();
        let (mut a, mut b) = (LiveLog::new(), LiveLog::new());
        a.put(10, b"k", 5); // 6 bytes
        b.delete(20, b"k");
        a.put(30, b"k", 9); // 10 bytes, the last word
        b.put(5, b"j", 0); // 1 byte, earliest
        live.apply_all(&mut [a, b]);
        assert_eq!(live.bytes(), 11);
        assert_eq!(live.len(), 2);
    }

    #[test]
    fn distinct_ycsb_keys_do_not_collide() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..200_000u64 {
            let k = format!("user{i}");
            assert!(seen.insert(hash(k.as_bytes())), "collision at {k}");
        }
        // Length is part of the hash: a zero-padded tail is a different key.
        assert_ne!(hash(b"a"), hash(b"a\0"));
        assert_ne!(hash(b""), hash(b"\0"));
    }

    #[test]
    fn empty_key_and_empty_value_are_live() {
        let live = LiveSet::new();
        let mut log = LiveLog::new();
        log.put(0, b"", 0);
        live.apply(&mut log);
        assert_eq!((live.len(), live.bytes()), (1, 0));
        log.put(1, b"k", 0);
        live.apply(&mut log);
        assert_eq!(live.bytes(), 1);
    }
}
