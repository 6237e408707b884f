//! Walking a table in key order, block after block.
//!
//! Scans read through the block cache; compaction reads through a
//! readahead buffer instead (large sequential reads, and the cache keeps
//! serving the foreground working set).

use std::sync::Arc;

use engine_core::{Error, Purpose, Result};

use super::block::BlockIter;
use super::reader::{Readahead, Table};

/// A cursor over one table.
pub struct TableIter {
    table: Arc<Table>,
    block_idx: usize,
    cur: Option<BlockIter>,
    purpose: Purpose,
    use_cache: bool,
    ra: Option<Readahead>,
}

impl TableIter {
    /// An unpositioned cursor; `readahead` bytes > 0 reads that much at once
    /// and bypasses the cache.
    pub fn new(table: Arc<Table>, purpose: Purpose, readahead: usize) -> Self {
        let ra = (readahead > 0).then(|| Readahead::new(readahead));
        TableIter {
            table,
            block_idx: 0,
            cur: None,
            purpose,
            use_cache: ra.is_none(),
            ra,
        }
    }

    fn corrupt(&self) -> Error {
        let off = self.table.index().handle(self.block_idx).offset;
        Error::corruption(self.table.path(), off, "malformed data block entry")
    }

    fn load(&mut self, i: usize) -> Result<()> {
        self.block_idx = i;
        let block = self
            .table
            .block(i, self.purpose, self.use_cache, self.ra.as_mut())?;
        self.cur = Some(BlockIter::new(block));
        Ok(())
    }

    /// Move past exhausted blocks to the next entry, if any.
    fn settle(&mut self) -> Result<()> {
        while let Some(c) = &self.cur {
            if c.valid() {
                return Ok(());
            }
            if self.block_idx + 1 >= self.table.index().len() {
                self.cur = None;
                return Ok(());
            }
            self.load(self.block_idx + 1)?;
            let r = self.cur.as_mut().map(|c| c.advance());
            if let Some(Err(_)) = r {
                return Err(self.corrupt());
            }
        }
        Ok(())
    }

    /// Position at the first entry.
    pub fn seek_first(&mut self) -> Result<()> {
        self.load(0)?;
        if let Some(Err(_)) = self.cur.as_mut().map(|c| c.advance()) {
            return Err(self.corrupt());
        }
        self.settle()
    }

    /// Position at the first entry with key >= `target`.
    pub fn seek(&mut self, target: &[u8]) -> Result<()> {
        match self.table.index().find(target) {
            None => {
                self.cur = None;
                Ok(())
            }
            Some(i) => {
                self.load(i)?;
                if let Some(Err(_)) = self.cur.as_mut().map(|c| c.seek(target)) {
                    return Err(self.corrupt());
                }
                self.settle()
            }
        }
    }

    /// Whether the cursor is at an entry; false past the table's end.
    pub fn valid(&self) -> bool {
        self.cur.as_ref().is_some_and(|c| c.valid())
    }

    /// Key at the cursor; only while [`TableIter::valid`].
    pub fn key(&self) -> &[u8] {
        self.cur.as_ref().map_or(&[], |c| c.key())
    }

    /// Value at the cursor (empty for a tombstone); only while
    /// [`TableIter::valid`].
    pub fn value(&self) -> &[u8] {
        self.cur.as_ref().map_or(&[], |c| c.value())
    }

    /// Sequence number and kind at the cursor, packed by
    /// [`tag`](crate::sstable::block::tag); only while [`TableIter::valid`].
    pub fn tag(&self) -> u64 {
        self.cur.as_ref().map_or(0, |c| c.tag())
    }

    /// Step to the next entry.
    pub fn advance(&mut self) -> Result<()> {
        if let Some(Err(_)) = self.cur.as_mut().map(|c| c.advance()) {
            return Err(self.corrupt());
        }
        self.settle()
    }
}
