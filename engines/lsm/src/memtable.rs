//! The memtable: recent writes, sorted, in memory.
//!
//! A lock-free skip list (`crossbeam-skiplist`): readers never block
//! writers or each other, which matters because YCSB A is half reads. The
//! engine serialises writers itself (one writer appends to the WAL and
//! inserts here under the write lock), so the skip list only has to be safe
//! for readers running alongside one writer.
//!
//! A memtable keeps one version per user key, the newest: the engine offers
//! no snapshots, so older versions could never be read. Deletes are stored
//! as tombstones, because older runs on disk may still hold the key.
//!
//! Size is counted as the bytes inserted (keys, values and a per-entry
//! overhead), including versions an overwrite replaced, as an arena-based
//! memtable would; the flush threshold is compared against it.

use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_skiplist::SkipMap;

/// Bytes charged per entry on top of key and value: skip-list node, tower
/// and the two heap headers, roughly.
pub const ENTRY_OVERHEAD: u64 = 64;

/// A value in the memtable: a put or a tombstone, with its sequence number.
#[derive(Debug)]
pub struct MemValue {
    /// The write's sequence number; an insert of the same key replaces
    /// the entry, so this is the newest write of the key.
    pub seq: u64,
    /// The value put, `None` for a tombstone.
    pub value: Option<Box<[u8]>>,
}

/// What the memtable knows about a key.
#[derive(Debug, PartialEq, Eq)]
pub enum MemLookup {
    /// No entry for the key: older memtables and tables decide.
    Missing,
    /// A tombstone: the key is deleted, whatever older data holds.
    Deleted,
    /// The key's newest value.
    Found(Vec<u8>),
}

/// One memtable and the WAL file that holds its writes.
pub struct Memtable {
    map: SkipMap<Vec<u8>, MemValue>,
    bytes: AtomicU64,
    max_seq: AtomicU64,
    /// File number of the WAL that makes this memtable's writes durable.
    pub wal_number: u64,
}

/// An owned entry copied out for a scan: key, sequence, value (`None` =
/// tombstone).
pub type OwnedEntry = (Vec<u8>, u64, Option<Box<[u8]>>);

impl Memtable {
    /// An empty memtable whose writes go to WAL file `wal_number`.
    pub fn new(wal_number: u64) -> Self {
        Memtable {
            map: SkipMap::new(),
            bytes: AtomicU64::new(0),
            max_seq: AtomicU64::new(0),
            wal_number,
        }
    }

    /// Insert or replace; `None` is a tombstone. Callers serialise inserts.
    pub fn insert(&self, key: &[u8], seq: u64, value: Option<&[u8]>) {
        let charge = key.len() as u64 + value.map_or(0, |v| v.len() as u64) + ENTRY_OVERHEAD;
        self.map.insert(
            key.to_vec(),
            MemValue {
                seq,
                value: value.map(Box::from),
            },
        );
        self.bytes.fetch_add(charge, Ordering::Relaxed);
        self.max_seq.fetch_max(seq, Ordering::Relaxed);
    }

    /// Largest sequence number inserted.
    pub fn max_seq(&self) -> u64 {
        self.max_seq.load(Ordering::Relaxed)
    }

    /// What this memtable says about `key` (a copy of the value).
    pub fn get(&self, key: &[u8]) -> MemLookup {
        match self.map.get(key) {
            None => MemLookup::Missing,
            Some(e) => match &e.value().value {
                None => MemLookup::Deleted,
                Some(v) => MemLookup::Found(v.to_vec()),
            },
        }
    }

    /// Bytes charged so far.
    pub fn size(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// True when no key was inserted (nothing to flush).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Distinct keys held, tombstones included.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Every entry in key order (for a flush, once no writer is left).
    pub fn for_each(
        &self,
        mut f: impl FnMut(&[u8], &MemValue) -> engine_core::Result<()>,
    ) -> engine_core::Result<()> {
        for e in self.map.iter() {
            f(e.key(), e.value())?;
        }
        Ok(())
    }

    /// Copy up to `max` entries with keys after `from` into `out`.
    pub fn copy_range(&self, from: Bound<&[u8]>, max: usize, out: &mut Vec<OwnedEntry>) {
        let range = self.map.range::<[u8], _>((from, Bound::Unbounded));
        for e in range.take(max) {
            let v = e.value();
            out.push((e.key().clone(), v.seq, v.value.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_version_and_tombstones() {
        let m = Memtable::new(1);
        m.insert(b"a", 1, Some(b"1"));
        m.insert(b"a", 2, Some(b"2"));
        m.insert(b"b", 3, None);
        assert_eq!(m.get(b"a"), MemLookup::Found(b"2".to_vec()));
        assert_eq!(m.get(b"b"), MemLookup::Deleted);
        assert_eq!(m.get(b"c"), MemLookup::Missing);
        assert_eq!(m.len(), 2);
        assert_eq!(m.size(), 3 * ENTRY_OVERHEAD + 2 + 2 + 1);
        let mut out = Vec::new();
        m.copy_range(Bound::Excluded(&b"a"[..]), 10, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].0.as_slice(), out[0].1, out[0].2.is_none()),
            (&b"b"[..], 3, true)
        );
    }
}
