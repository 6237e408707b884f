//! Merging iterators: one sorted stream out of many runs.
//!
//! A scan reads the memtables and every sorted run at once; a compaction
//! reads its input runs. Each input is a [`Source`] positioned at its next
//! entry. [`MergeIter`] keeps the sources in a binary min-heap ordered by
//! (key, newest first), emits the top, and skips the same key in every
//! other source: those are older, shadowed versions. Tombstones are
//! emitted (a compaction may still need them); a scan skips them.
//!
//! "Newest first" is decided by sequence number, and between equal sequence
//! numbers by source order (sources are given newest first).

use std::ops::Bound;
use std::sync::Arc;

use engine_core::{Purpose, Result};

use crate::memtable::{Memtable, OwnedEntry};
use crate::sstable::block::{tag, untag, Kind};
use crate::sstable::iter::TableIter;
use crate::sstable::reader::Table;

/// A sorted input of a merge.
pub trait Source {
    /// Whether the source is at an entry; the other calls need it to be.
    fn valid(&self) -> bool;
    /// The current entry's key.
    fn key(&self) -> &[u8];
    /// Sequence number and kind, packed as in [`crate::sstable::block::tag`].
    fn tag(&self) -> u64;
    /// The current entry's value; empty for a tombstone.
    fn value(&self) -> &[u8];
    /// Move to the next entry in (key, newest first) order; an error is an
    /// I/O failure or a damaged block.
    fn next(&mut self) -> Result<()>;
}

impl Source for TableIter {
    fn valid(&self) -> bool {
        TableIter::valid(self)
    }
    fn key(&self) -> &[u8] {
        TableIter::key(self)
    }
    fn tag(&self) -> u64 {
        TableIter::tag(self)
    }
    fn value(&self) -> &[u8] {
        TableIter::value(self)
    }
    fn next(&mut self) -> Result<()> {
        TableIter::advance(self)
    }
}

/// The tables of one sorted run, one after another.
pub struct RunIter {
    tables: Vec<Arc<Table>>,
    idx: usize,
    cur: Option<TableIter>,
    purpose: Purpose,
    readahead: usize,
}

impl RunIter {
    /// An iterator over `tables` (in key order, disjoint), unpositioned until
    /// a seek; reads are counted under `purpose`, `readahead` bytes a call.
    pub fn new(tables: Vec<Arc<Table>>, purpose: Purpose, readahead: usize) -> Self {
        RunIter {
            tables,
            idx: 0,
            cur: None,
            purpose,
            readahead,
        }
    }

    fn open(&mut self, i: usize) -> Result<()> {
        self.idx = i;
        self.cur = match self.tables.get(i) {
            Some(t) => Some(TableIter::new(t.clone(), self.purpose, self.readahead)),
            None => None,
        };
        Ok(())
    }

    fn settle(&mut self) -> Result<()> {
        while self.cur.as_ref().is_some_and(|c| !c.valid()) {
            self.open(self.idx + 1)?;
            if let Some(c) = &mut self.cur {
                c.seek_first()?;
            }
        }
        Ok(())
    }

    /// Position at the run's first entry.
    pub fn seek_first(&mut self) -> Result<()> {
        self.open(0)?;
        if let Some(c) = &mut self.cur {
            c.seek_first()?;
        }
        self.settle()
    }

    /// Position at the first key >= `target`, opening only the table that
    /// could hold it.
    pub fn seek(&mut self, target: &[u8]) -> Result<()> {
        let i = self
            .tables
            .partition_point(|t| t.meta.largest.as_slice() < target);
        self.open(i)?;
        if let Some(c) = &mut self.cur {
            c.seek(target)?;
        }
        self.settle()
    }
}

impl Source for RunIter {
    fn valid(&self) -> bool {
        self.cur.as_ref().is_some_and(|c| c.valid())
    }
    fn key(&self) -> &[u8] {
        self.cur.as_ref().map_or(&[], |c| c.key())
    }
    fn tag(&self) -> u64 {
        self.cur.as_ref().map_or(0, |c| c.tag())
    }
    fn value(&self) -> &[u8] {
        self.cur.as_ref().map_or(&[], |c| c.value())
    }
    fn next(&mut self) -> Result<()> {
        if let Some(c) = &mut self.cur {
            c.next()?;
        }
        self.settle()
    }
}

/// A memtable read in batches: the skip list cannot lend entries beyond a
/// borrow, so the iterator copies a batch and resumes after its last key.
pub struct MemIter {
    mem: Arc<Memtable>,
    batch: Vec<OwnedEntry>,
    pos: usize,
    done: bool,
}

const MEM_BATCH: usize = 64;

impl MemIter {
    /// Positioned at the first key >= `start`.
    pub fn new(mem: Arc<Memtable>, start: &[u8]) -> Self {
        let mut it = MemIter {
            mem,
            batch: Vec::with_capacity(MEM_BATCH),
            pos: 0,
            done: false,
        };
        it.mem
            .copy_range(Bound::Included(start), MEM_BATCH, &mut it.batch);
        it.done = it.batch.len() < MEM_BATCH;
        it
    }
}

impl Source for MemIter {
    fn valid(&self) -> bool {
        self.pos < self.batch.len()
    }
    fn key(&self) -> &[u8] {
        &self.batch[self.pos].0
    }
    fn tag(&self) -> u64 {
        let e = &self.batch[self.pos];
        tag(
            e.1,
            if e.2.is_some() {
                Kind::Put
            } else {
                Kind::Delete
            },
        )
    }
    fn value(&self) -> &[u8] {
        self.batch[self.pos].2.as_deref().unwrap_or(&[])
    }
    fn next(&mut self) -> Result<()> {
        self.pos += 1;
        if self.pos == self.batch.len() && !self.done {
            let last = self.batch.pop().map(|e| e.0).unwrap_or_default();
            self.batch.clear();
            self.pos = 0;
            self.mem
                .copy_range(Bound::Excluded(&last), MEM_BATCH, &mut self.batch);
            self.done = self.batch.len() < MEM_BATCH;
        }
        Ok(())
    }
}

/// The merge of several sources, newest version of each key once.
pub struct MergeIter {
    sources: Vec<Box<dyn Source + Send>>,
    heap: Vec<usize>,
    last_key: Vec<u8>,
}

impl MergeIter {
    /// Sources must be positioned already and given newest first.
    pub fn new(sources: Vec<Box<dyn Source + Send>>) -> Self {
        let heap = (0..sources.len()).filter(|&i| sources[i].valid()).collect();
        let mut m = MergeIter {
            sources,
            heap,
            last_key: Vec::new(),
        };
        for i in (0..m.heap.len() / 2).rev() {
            m.sift_down(i);
        }
        m
    }

    /// True when source `a` should come out before source `b`.
    fn before(&self, a: usize, b: usize) -> bool {
        let (sa, sb) = (&self.sources[a], &self.sources[b]);
        sa.key()
            .cmp(sb.key())
            .then_with(|| untag(sb.tag()).0.cmp(&untag(sa.tag()).0))
            .then(a.cmp(&b))
            .is_lt()
    }

    fn sift_down(&mut self, mut i: usize) {
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut m = i;
            if l < self.heap.len() && self.before(self.heap[l], self.heap[m]) {
                m = l;
            }
            if r < self.heap.len() && self.before(self.heap[r], self.heap[m]) {
                m = r;
            }
            if m == i {
                return;
            }
            self.heap.swap(i, m);
            i = m;
        }
    }

    /// Whether some source still has an entry; the other calls need it.
    pub fn valid(&self) -> bool {
        !self.heap.is_empty()
    }

    fn top(&self) -> &dyn Source {
        self.sources[self.heap[0]].as_ref()
    }

    /// The current key: the smallest left, in its newest version.
    pub fn key(&self) -> &[u8] {
        self.top().key()
    }

    /// The newest version's value; empty for a tombstone.
    pub fn value(&self) -> &[u8] {
        self.top().value()
    }

    /// (sequence number, kind) of the current entry.
    pub fn entry(&self) -> (u64, Kind) {
        untag(self.top().tag())
    }

    /// Advance the top source, then drop the heap top while it repeats a key.
    fn pop_top(&mut self) -> Result<()> {
        let s = self.heap[0];
        self.sources[s].next()?;
        if !self.sources[s].valid() {
            let last = self.heap.len() - 1;
            self.heap.swap(0, last);
            self.heap.pop();
        }
        if !self.heap.is_empty() {
            self.sift_down(0);
        }
        Ok(())
    }

    /// Move to the next distinct key.
    pub fn advance(&mut self) -> Result<()> {
        if self.heap.is_empty() {
            return Ok(());
        }
        self.last_key.clear();
        let s = self.heap[0];
        self.last_key.extend_from_slice(self.sources[s].key());
        self.pop_top()?;
        while !self.heap.is_empty() && self.top().key() == self.last_key.as_slice() {
            self.pop_top()?;
        }
        Ok(())
    }
}
