//! The keydir: every live key's location, in memory.
//!
//! This is the whole index of a Bitcask: a hash map from key to the segment,
//! offset and length of the key's newest record. A get is one map lookup and
//! one storage read. The price is memory: every live key is held in RAM
//! (its bytes plus about 48 bytes of entry and map overhead), so the data
//! set's key count, not its size, bounds the engine.
//!
//! The keydir also keeps, per segment, how many of the segment's bytes are
//! still live; everything else in a segment (overwritten values, deleted
//! keys, tombstones) is dead and is what merge reclaims.

use std::collections::{BTreeMap, HashMap};

/// Where a key's newest record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loc {
    pub seg: u64,
    pub offset: u64,
    pub len: u32,
}

/// Approximate memory per entry beyond the key bytes: the boxed key's
/// pointer and length, the location, and the hash map's slot overhead.
const ENTRY_OVERHEAD: u64 = 48;

/// The in-memory index plus per-segment live-byte accounting.
#[derive(Default)]
pub struct Keydir {
    map: HashMap<Box<[u8]>, Loc>,
    /// Live record bytes per segment.
    live: BTreeMap<u64, u64>,
    key_bytes: u64,
}

impl Keydir {
    pub fn get(&self, key: &[u8]) -> Option<Loc> {
        self.map.get(key).copied()
    }

    /// Point `key` at a new record; the old one (if any) becomes dead.
    pub fn insert(&mut self, key: &[u8], loc: Loc) {
        *self.live.entry(loc.seg).or_default() += loc.len as u64;
        match self.map.get_mut(key) {
            Some(old) => {
                let prev = std::mem::replace(old, loc);
                self.dead(prev);
            }
            None => {
                self.key_bytes += key.len() as u64;
                self.map.insert(key.into(), loc);
            }
        }
    }

    /// Forget `key` (a tombstone was written); its record becomes dead.
    pub fn remove(&mut self, key: &[u8]) {
        if let Some(prev) = self.map.remove(key) {
            self.key_bytes -= key.len() as u64;
            self.dead(prev);
        }
    }

    /// Move `key` to `to` only if it still points at `from` (merge copies a
    /// record; a write that raced it wins).
    pub fn relocate(&mut self, key: &[u8], from: Loc, to: Loc) -> bool {
        match self.map.get_mut(key) {
            Some(cur) if *cur == from => {
                *cur = to;
                self.dead(from);
                *self.live.entry(to.seg).or_default() += to.len as u64;
                true
            }
            _ => false,
        }
    }

    fn dead(&mut self, loc: Loc) {
        if let Some(l) = self.live.get_mut(&loc.seg) {
            *l = l.saturating_sub(loc.len as u64);
        }
    }

    /// Live bytes in segment `seg`.
    pub fn live_bytes(&self, seg: u64) -> u64 {
        self.live.get(&seg).copied().unwrap_or(0)
    }

    /// Drop the accounting of a segment merge removed.
    pub fn forget_segment(&mut self, seg: u64) {
        self.live.remove(&seg);
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Estimated memory held by the keydir.
    pub fn memory_bytes(&self) -> u64 {
        self.key_bytes + self.map.len() as u64 * ENTRY_OVERHEAD
    }

    /// The first `limit` keys >= `start`, sorted. A hash index has no
    /// order, so a scan visits every key: O(n) to collect, plus a partial
    /// selection and a sort of the `limit` smallest.
    pub fn keys_from(&self, start: &[u8], limit: usize) -> Vec<(&[u8], Loc)> {
        let mut keys: Vec<(&[u8], Loc)> = self
            .map
            .iter()
            .filter(|(k, _)| &***k >= start)
            .map(|(k, l)| (&**k, *l))
            .collect();
        if keys.len() > limit {
            if limit == 0 {
                return Vec::new();
            }
            keys.select_nth_unstable_by(limit - 1, |a, b| a.0.cmp(b.0));
            keys.truncate(limit);
        }
        keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
        keys
    }
}
