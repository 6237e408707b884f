//! The live set: which keys exist and how many key+value bytes they hold,
//! tracked by the harness itself so that `space_amp = disk_bytes /
//! live_bytes` does not trust the engine's own accounting.
//!
//! It sits on the hot path (every put and delete updates it), so it is
//! built for that: a key is reduced to a 64-bit hash (no key copy, no
//! allocation once a key is known), the map is split into 64 shards each
//! behind its own uncontended-in-practice lock, and the running total is a
//! per-thread delta that the phase sums at the end. A collision of two
//! distinct keys' 64-bit hashes would merge them; with a well-mixed hash
//! and a million keys the chance is about 1 in 10^7, and the effect would
//! be one key's bytes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

use parking_lot::Mutex;

const SHARDS: usize = 64;

/// Key hash -> key+value bytes of the live version.
type Shard = HashMap<u64, u32, BuildHasherDefault<PassThrough>>;

/// The live keys of one engine's data set.
pub struct LiveSet {
    shards: Vec<Mutex<Shard>>,
    bytes: AtomicI64,
}

impl Default for LiveSet {
    fn default() -> Self {
        LiveSet {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            bytes: AtomicI64::new(0),
        }
    }
}

impl LiveSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// `key` now holds a value of `value_len` bytes. Returns the change in
    /// live bytes, which the caller accumulates privately.
    #[inline]
    pub fn put(&self, key: &[u8], value_len: usize) -> i64 {
        let h = hash(key);
        let size = (key.len() + value_len).min(u32::MAX as usize) as u32;
        let old = self.shard(h).insert(h, size);
        i64::from(size) - old.map_or(0, i64::from)
    }

    /// `key` was deleted. Returns the change in live bytes.
    #[inline]
    pub fn delete(&self, key: &[u8]) -> i64 {
        let h = hash(key);
        -self.shard(h).remove(&h).map_or(0, i64::from)
    }

    /// Add a thread's accumulated delta to the total.
    pub fn add(&self, delta: i64) {
        self.bytes.fetch_add(delta, Relaxed);
    }

    /// Key+value bytes of the live data (deltas added so far).
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Relaxed).max(0) as u64
    }

    /// Number of live keys (for tests and reports).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }

    /// True when no key is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn shard(&self, h: u64) -> parking_lot::MutexGuard<'_, Shard> {
        // The top bits pick the shard; HashMap uses the low bits.
        self.shards[(h >> 58) as usize % SHARDS].lock()
    }
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
        let mut d = 0;
        d += live.put(b"user1", 100); // 105
        d += live.put(b"user2", 10); // 15
        d += live.put(b"user1", 50); // 105 -> 55
        d += live.delete(b"user2");
        d += live.delete(b"absent");
        live.add(d);
        assert_eq!(live.bytes(), 55);
        assert_eq!(live.len(), 1);
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
        live.add(live.put(b"", 0));
        assert_eq!(live.len(), 1);
        assert_eq!(live.bytes(), 0);
        live.add(live.put(b"k", 0));
        assert_eq!(live.bytes(), 1);
    }
}
