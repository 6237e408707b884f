//! Writing one SSTable, start to finish, in a single sequential pass.
//!
//! Entries arrive in key order (from a memtable or a merge). Blocks are cut
//! at `block_bytes`; finished blocks collect in a write buffer that goes to
//! the file in large writes, so a table costs few calls however small its
//! blocks. Key hashes for the bloom filter are gathered as keys pass, and
//! the filter, the index and the footer follow the last data block. The
//! table is synced before [`TableBuilder::finish`] returns: the manifest
//! may only name a durable file.

use std::path::PathBuf;
use std::sync::Arc;

use engine_core::record::checksum;
use engine_core::{File, OpenMode, Purpose, Result, Vfs};

use super::block::{BlockBuilder, Kind};
use super::reader::Table;
use super::{FileMeta, Footer, Handle, Index};
use crate::bloom;
use crate::cache::BlockCache;

const WRITE_CHUNK: usize = 256 << 10;

/// Settings that shape a table.
#[derive(Debug, Clone, Copy)]
pub struct TableShape {
    /// A data block is finished once its estimated size reaches this.
    pub block_bytes: usize,
    /// Keys between prefix-compression restart points in a block.
    pub restart_interval: usize,
    /// Filter bits per key; 0 writes no filter.
    pub bloom_bits: u32,
}

/// Builds one table file.
pub struct TableBuilder {
    file: File,
    path: PathBuf,
    number: u64,
    purpose: Purpose,
    shape: TableShape,
    offset: u64,
    out: Vec<u8>,
    block: BlockBuilder,
    index: Vec<u8>,
    index_count: usize,
    hashes: Vec<u64>,
    smallest: Vec<u8>,
    entries: u64,
    max_seq: u64,
}

impl TableBuilder {
    /// Create the file `path` (it must not exist).
    pub fn create(
        vfs: &Vfs,
        path: PathBuf,
        number: u64,
        shape: TableShape,
        purpose: Purpose,
    ) -> Result<Self> {
        let file = vfs.open(&path, OpenMode::CreateNew)?;
        Ok(TableBuilder {
            file,
            path,
            number,
            purpose,
            shape,
            offset: 0,
            out: Vec::with_capacity(WRITE_CHUNK + shape.block_bytes * 2),
            block: BlockBuilder::new(shape.restart_interval),
            index: Vec::new(),
            index_count: 0,
            hashes: Vec::new(),
            smallest: Vec::new(),
            entries: 0,
            max_seq: 0,
        })
    }

    /// Add the next entry; keys strictly increase.
    pub fn add(&mut self, key: &[u8], seq: u64, kind: Kind, value: &[u8]) -> Result<()> {
        if self.entries == 0 {
            self.smallest = key.to_vec();
        }
        if self.shape.bloom_bits > 0 {
            self.hashes.push(bloom::hash(key));
        }
        self.block.add(key, seq, kind, value);
        self.entries += 1;
        self.max_seq = self.max_seq.max(seq);
        if self.block.size_estimate() >= self.shape.block_bytes {
            self.finish_block()?;
        }
        Ok(())
    }

    /// Bytes written or buffered so far: where to split compaction output.
    pub fn estimated_size(&self) -> u64 {
        self.offset + self.out.len() as u64 + self.block.size_estimate() as u64
    }

    /// Entries added so far, tombstones included; 0 means `finish` writes
    /// no table.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    fn finish_block(&mut self) -> Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        let start = self.out.len();
        self.block.finish_into(&mut self.out);
        let h = self.seal(start);
        Index::push_entry(&mut self.index, self.block.last_key(), h);
        self.index_count += 1;
        if self.out.len() >= WRITE_CHUNK {
            self.write_out()?;
        }
        Ok(())
    }

    /// Append the CRC of the body that starts at `start` in `out`.
    fn seal(&mut self, start: usize) -> Handle {
        let crc = checksum(&self.out[start..]);
        self.out.extend_from_slice(&crc.to_le_bytes());
        Handle {
            offset: self.offset + start as u64,
            len: (self.out.len() - start) as u64,
        }
    }

    fn write_out(&mut self) -> Result<()> {
        if !self.out.is_empty() {
            self.file.write_at(&self.out, self.offset, self.purpose)?;
            self.offset += self.out.len() as u64;
            self.out.clear();
        }
        Ok(())
    }

    /// Write filter, index and footer, sync, and return the table ready to
    /// read, with its index and filter taken from memory rather than reread.
    /// `None` when no entry was added (the file is removed).
    pub fn finish(mut self, vfs: &Vfs, cache: Arc<BlockCache>) -> Result<Option<Arc<Table>>> {
        if self.entries == 0 {
            drop(self.file);
            vfs.remove_file(&self.path)?;
            return Ok(None);
        }
        let largest = self.block.last_key().to_vec();
        self.finish_block()?;
        let (filter, filter_body) = if self.shape.bloom_bits > 0 {
            let body = bloom::build(&self.hashes, self.shape.bloom_bits);
            let start = self.out.len();
            self.out.extend_from_slice(&body);
            (self.seal(start), Some(body))
        } else {
            (
                Handle {
                    offset: self.offset + self.out.len() as u64,
                    len: 0,
                },
                None,
            )
        };
        let data_end = filter.offset;
        let index_body = Index::encode(self.index_count, &self.index);
        let start = self.out.len();
        self.out.extend_from_slice(&index_body);
        let index = self.seal(start);
        let footer = Footer {
            index,
            filter,
            entries: self.entries,
        };
        self.out.extend_from_slice(&footer.encode());
        self.write_out()?;
        self.file.sync(self.purpose)?;
        let meta = FileMeta {
            number: self.number,
            size: self.offset,
            entries: self.entries,
            smallest: std::mem::take(&mut self.smallest),
            largest,
            max_seq: self.max_seq,
        };
        let idx = Index::decode(&self.path, index.offset, &index_body, data_end)?;
        Ok(Some(Arc::new(Table::from_parts(
            self.file,
            meta,
            idx,
            filter_body,
            data_end,
            cache,
        ))))
    }
}
