//! Reading a table: open (footer, index, filter), point lookups, blocks.
//!
//! A point lookup asks the pinned filter first, binary-searches the pinned
//! index for the one block that could hold the key, and reads that block
//! through the block cache: at most one storage read per table.

use std::path::Path;
use std::sync::Arc;

use engine_core::{Error, File, OpenMode, Purpose, Result, Vfs};

use super::block::Block;
use super::{check_block, FileMeta, Footer, Handle, Index, FOOTER_LEN};
use crate::bloom::Filter;
use crate::cache::BlockCache;

/// An open, immutable table.
pub struct Table {
    /// What the manifest records about the table: number, size, key range.
    pub meta: FileMeta,
    file: File,
    index: Index,
    filter: Option<Vec<u8>>,
    data_end: u64,
    cache: Arc<BlockCache>,
}

/// What one table says about a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Probe {
    /// The bloom filter rules the key out: no block was read.
    Filtered,
    /// The filter said maybe (or there is none) and the key is not here.
    Absent,
    /// The newest entry for the key in this table: its tag and value.
    Found(u64, Vec<u8>),
}

/// Bytes of consecutive blocks read in one call, for sequential readers.
pub struct Readahead {
    start: u64,
    buf: Vec<u8>,
    chunk: usize,
}

impl Readahead {
    /// An empty buffer that refills `chunk` bytes a read (a larger block
    /// whole, never past the data blocks).
    pub fn new(chunk: usize) -> Self {
        Readahead {
            start: 0,
            buf: Vec::new(),
            chunk,
        }
    }
}

impl Table {
    /// Open `path` and check its footer, index and filter.
    pub fn open(
        vfs: &Vfs,
        path: &Path,
        meta: FileMeta,
        cache: Arc<BlockCache>,
        purpose: Purpose,
    ) -> Result<Table> {
        let file = vfs.open(path, OpenMode::Existing)?;
        let len = file.len()?;
        if len != meta.size {
            return Err(Error::corruption(
                path,
                len,
                format!("table is {len} bytes, the manifest says {}", meta.size),
            ));
        }
        if len < FOOTER_LEN as u64 {
            return Err(Error::corruption(path, 0, "table shorter than its footer"));
        }
        let mut fb = [0u8; FOOTER_LEN];
        file.read_exact_at(&mut fb, len - FOOTER_LEN as u64, purpose)?;
        let footer = Footer::decode(path, &fb, len)?;
        let raw = read_raw(&file, footer.index, purpose)?;
        let body = check_block(path, footer.index, &raw)?;
        let data_end = if footer.filter.len == 0 {
            footer.index.offset
        } else {
            footer.filter.offset
        };
        let index = Index::decode(path, footer.index.offset, body, data_end)?;
        let filter = if footer.filter.len == 0 {
            None
        } else {
            let raw = read_raw(&file, footer.filter, purpose)?;
            let body = check_block(path, footer.filter, &raw)?;
            if Filter::parse(body).is_none() {
                return Err(Error::corruption(
                    path,
                    footer.filter.offset,
                    "malformed filter block",
                ));
            }
            Some(body.to_vec())
        };
        if footer.entries != meta.entries || index.is_empty() {
            return Err(Error::corruption(
                path,
                len - FOOTER_LEN as u64,
                "entry count disagrees with the manifest",
            ));
        }
        Ok(Table::from_parts(
            file, meta, index, filter, data_end, cache,
        ))
    }

    /// A table from parts already in memory (what a builder just wrote).
    pub fn from_parts(
        file: File,
        meta: FileMeta,
        index: Index,
        filter: Option<Vec<u8>>,
        data_end: u64,
        cache: Arc<BlockCache>,
    ) -> Table {
        Table {
            meta,
            file,
            index,
            filter,
            data_end,
            cache,
        }
    }

    /// The table file's path, for error messages.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The table's index block, pinned in memory since open.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Memory pinned by this table's index and filter.
    pub fn pinned_bytes(&self) -> usize {
        self.index.charge() + self.filter.as_ref().map_or(0, |f| f.capacity())
    }

    /// Whether the table has a bloom filter.
    pub fn has_filter(&self) -> bool {
        self.filter.is_some()
    }

    /// Whether the filter admits the key hash; `None` without a filter.
    pub fn may_contain(&self, hash: u64) -> Option<bool> {
        let f = self.filter.as_ref()?;
        // Checked when the table was opened or built.
        let f = Filter::parse(f)?;
        Some(f.may_contain(hash))
    }

    /// Look `key` up; `hash` is its bloom hash, `scratch` a reusable buffer.
    pub fn get(&self, key: &[u8], hash: u64, scratch: &mut Vec<u8>) -> Result<Probe> {
        if self.may_contain(hash) == Some(false) {
            return Ok(Probe::Filtered);
        }
        let Some(i) = self.index.find(key) else {
            return Ok(Probe::Absent);
        };
        let block = self.block(i, Purpose::Query, true, None)?;
        let h = self.index.handle(i);
        match block.get(key, scratch) {
            Ok(Some((tag, value))) => Ok(Probe::Found(tag, value.to_vec())),
            Ok(None) => Ok(Probe::Absent),
            Err(_) => Err(Error::corruption(
                self.path(),
                h.offset,
                "malformed data block entry",
            )),
        }
    }

    /// Data block `i`, through the cache when `use_cache`, or through a
    /// readahead buffer for sequential readers.
    pub fn block(
        &self,
        i: usize,
        purpose: Purpose,
        use_cache: bool,
        ra: Option<&mut Readahead>,
    ) -> Result<Arc<Block>> {
        let h = self.index.handle(i);
        let key = (self.meta.number, h.offset);
        if use_cache {
            if let Some(b) = self.cache.get(key) {
                return Ok(b);
            }
        }
        let block = match ra {
            Some(ra) => {
                let in_buf =
                    h.offset >= ra.start && h.offset + h.len <= ra.start + ra.buf.len() as u64;
                if !in_buf {
                    let want = (ra.chunk as u64).max(h.len).min(self.data_end - h.offset);
                    ra.buf.resize(want as usize, 0);
                    ra.start = h.offset;
                    self.file.read_exact_at(&mut ra.buf, h.offset, purpose)?;
                }
                let at = (h.offset - ra.start) as usize;
                let raw = &ra.buf[at..at + h.len as usize];
                self.parse_block(h, check_block(self.path(), h, raw)?.to_vec())?
            }
            None => {
                let mut raw = read_raw(&self.file, h, purpose)?;
                check_block(self.path(), h, &raw)?;
                raw.truncate(raw.len() - 4);
                self.parse_block(h, raw)?
            }
        };
        let block = Arc::new(block);
        if use_cache {
            self.cache.insert(key, block.clone());
        }
        Ok(block)
    }

    fn parse_block(&self, h: Handle, body: Vec<u8>) -> Result<Block> {
        Block::parse(body)
            .map_err(|_| Error::corruption(self.path(), h.offset, "malformed data block trailer"))
    }
}

/// Read a whole block (body and CRC). Handles were checked against the file
/// length when the footer and index were decoded, so the allocation is
/// bounded by the file's size.
fn read_raw(file: &File, h: Handle, purpose: Purpose) -> Result<Vec<u8>> {
    let mut raw = vec![0u8; h.len as usize];
    file.read_exact_at(&mut raw, h.offset, purpose)?;
    Ok(raw)
}
