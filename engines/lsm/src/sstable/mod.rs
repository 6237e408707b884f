//! Sorted string tables: the immutable files a memtable flush or a
//! compaction writes.
//!
//! ## File layout
//!
//! ```text
//! +--------------+-----+--------------+--------------+-------------+--------+
//! | data block 0 | ... | data block n | filter block | index block | footer |
//! +--------------+-----+--------------+--------------+-------------+--------+
//! ```
//!
//! Every block (data, filter, index) is its body followed by a CRC-32 of
//! the body, `u32` little-endian. A *handle* (offset, length) names a block
//! with its checksum included.
//!
//! - **Data blocks** ([`block`]) hold entries in key order, ~`block_bytes`
//!   each, keys prefix-compressed between restart points.
//! - **Filter block** ([`crate::bloom`]): a bloom filter over every user
//!   key of the table. Absent (length 0) when `bloom_bits=0`.
//! - **Index block**: one entry per data block, in order:
//!
//!   ```text
//!   count        varint   number of data blocks
//!   repeated count times:
//!     key_len    varint   length of the block's last key
//!     key        bytes    the block's last key
//!     offset     varint   block offset in the file
//!     len        varint   block length including its CRC
//!   ```
//!
//! - **Footer**, the last 56 bytes, read first when a table is opened:
//!
//!   ```text
//!   offset  size  field
//!        0     8  index block offset, u64 LE
//!        8     8  index block length incl. CRC, u64 LE
//!       16     8  filter block offset, u64 LE
//!       24     8  filter block length incl. CRC, u64 LE (0 = no filter)
//!       32     8  number of entries, u64 LE
//!       40     4  format version, u32 LE (currently 1)
//!       44     4  CRC-32 of bytes 0..44, u32 LE
//!       48     8  magic b"LSMTABLE"
//!   ```
//!
//! Index and filter blocks are read once, when a table is opened, and stay
//! pinned in memory with it: a point lookup then costs one filter probe and
//! one binary search in memory, and at most one data-block read.

pub mod block;
pub mod builder;
pub mod iter;
pub mod reader;

use std::path::Path;

use crate::coding::{u32_at, Reader};
use engine_core::record::{checksum, MAX_KEY_LEN};
use engine_core::{Error, Result};

/// Footer magic.
pub const MAGIC: &[u8; 8] = b"LSMTABLE";
/// Footer format version.
pub const VERSION: u32 = 1;
/// Bytes in the footer.
pub const FOOTER_LEN: usize = 56;

const INDEX_OFF: usize = 0;
const INDEX_LEN: usize = INDEX_OFF + 8;
const FILTER_OFF: usize = INDEX_LEN + 8;
const FILTER_LEN: usize = FILTER_OFF + 8;
const ENTRIES: usize = FILTER_LEN + 8;
const VERSION_AT: usize = ENTRIES + 8;
const CRC_AT: usize = VERSION_AT + 4;
const MAGIC_AT: usize = CRC_AT + 4;

/// What the manifest records about one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// The file number, which names the table file.
    pub number: u64,
    /// The file's length in bytes, footer included.
    pub size: u64,
    /// Entries in the table, tombstones included (as in the footer).
    pub entries: u64,
    /// The table's first key.
    pub smallest: Vec<u8>,
    /// The table's last key; `smallest <= largest`.
    pub largest: Vec<u8>,
    /// The largest sequence number of any entry in the table.
    pub max_seq: u64,
}

/// Where a block lies in its file (length includes the CRC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle {
    /// The block's first byte in the file.
    pub offset: u64,
    /// Body plus the 4-byte CRC; 0 for an absent filter.
    pub len: u64,
}

/// The decoded footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// Where the index block is.
    pub index: Handle,
    /// Where the filter block is; length 0 when the table has none.
    pub filter: Handle,
    /// Entries in the table, tombstones included.
    pub entries: u64,
}

impl Footer {
    /// The footer's [`FOOTER_LEN`] bytes as laid out in the module docs,
    /// version, checksum and magic included.
    pub fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut b = [0u8; FOOTER_LEN];
        b[INDEX_OFF..INDEX_LEN].copy_from_slice(&self.index.offset.to_le_bytes());
        b[INDEX_LEN..FILTER_OFF].copy_from_slice(&self.index.len.to_le_bytes());
        b[FILTER_OFF..FILTER_LEN].copy_from_slice(&self.filter.offset.to_le_bytes());
        b[FILTER_LEN..ENTRIES].copy_from_slice(&self.filter.len.to_le_bytes());
        b[ENTRIES..VERSION_AT].copy_from_slice(&self.entries.to_le_bytes());
        b[VERSION_AT..CRC_AT].copy_from_slice(&VERSION.to_le_bytes());
        let crc = checksum(&b[..CRC_AT]);
        b[CRC_AT..MAGIC_AT].copy_from_slice(&crc.to_le_bytes());
        b[MAGIC_AT..].copy_from_slice(MAGIC);
        b
    }

    /// Decode and check a footer of a file of `file_len` bytes: checksum,
    /// magic, version, and block handles that lie inside the file.
    pub fn decode(path: &Path, b: &[u8], file_len: u64) -> Result<Footer> {
        let at = file_len.saturating_sub(FOOTER_LEN as u64);
        let bad = |what: &str| Error::corruption(path, at, format!("table footer: {what}"));
        if b.len() != FOOTER_LEN || file_len < FOOTER_LEN as u64 {
            return Err(bad("file too short"));
        }
        if &b[MAGIC_AT..] != MAGIC {
            return Err(bad("wrong magic"));
        }
        if checksum(&b[..CRC_AT]) != u32_at(b, CRC_AT) {
            return Err(bad("checksum mismatch"));
        }
        let version = u32_at(b, VERSION_AT);
        if version != VERSION {
            return Err(bad(&format!("unsupported version {version}")));
        }
        let mut r = Reader::new(b);
        let mut next = || r.u64().map_err(|_| bad("short"));
        let index = Handle {
            offset: next()?,
            len: next()?,
        };
        let filter = Handle {
            offset: next()?,
            len: next()?,
        };
        let entries = next()?;
        let body_end = file_len - FOOTER_LEN as u64;
        let inside = |h: Handle| h.offset.checked_add(h.len).is_some_and(|e| e <= body_end);
        if !inside(index) || index.len < 4 || !inside(filter) || (filter.len != 0 && filter.len < 4)
        {
            return Err(bad("block handle outside the file"));
        }
        Ok(Footer {
            index,
            filter,
            entries,
        })
    }
}

/// Split a block read from disk into its body, checking the CRC.
pub fn check_block<'a>(path: &Path, h: Handle, raw: &'a [u8]) -> Result<&'a [u8]> {
    if raw.len() < 4 {
        return Err(Error::corruption(
            path,
            h.offset,
            "block shorter than its checksum",
        ));
    }
    let (body, crc) = raw.split_at(raw.len() - 4);
    if checksum(body) != u32_at(crc, 0) {
        return Err(Error::corruption(path, h.offset, "block checksum mismatch"));
    }
    Ok(body)
}

/// The index block, decoded into flat arrays for binary search.
#[derive(Debug, Default)]
pub struct Index {
    keys: Vec<u8>,
    key_ends: Vec<u32>,
    handles: Vec<Handle>,
}

impl Index {
    /// Encode index entries (last key, handle) into a block body.
    pub fn encode(count: usize, entries: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(entries.len() + 10);
        crate::coding::put_varint(&mut out, count as u64);
        out.extend_from_slice(entries);
        out
    }

    /// Append one entry to an index under construction.
    pub fn push_entry(out: &mut Vec<u8>, last_key: &[u8], h: Handle) {
        crate::coding::put_varint(out, last_key.len() as u64);
        out.extend_from_slice(last_key);
        crate::coding::put_varint(out, h.offset);
        crate::coding::put_varint(out, h.len);
    }

    /// Decode an index body; handles must lie below `data_end` and be in order.
    pub fn decode(path: &Path, offset: u64, body: &[u8], data_end: u64) -> Result<Index> {
        let bad = || Error::corruption(path, offset, "malformed index block");
        let mut r = Reader::new(body);
        // Each entry takes at least three bytes, which bounds the allocation.
        let count = r.len(body.len() / 3).map_err(|_| bad())?;
        let mut idx = Index {
            keys: Vec::with_capacity(body.len()),
            key_ends: Vec::with_capacity(count),
            handles: Vec::with_capacity(count),
        };
        let mut prev_end = 0u64;
        for _ in 0..count {
            let klen = r.len(MAX_KEY_LEN).map_err(|_| bad())?;
            let key = r.bytes(klen).map_err(|_| bad())?;
            let h = Handle {
                offset: r.varint().map_err(|_| bad())?,
                len: r.varint().map_err(|_| bad())?,
            };
            let end = h.offset.checked_add(h.len).ok_or_else(bad)?;
            if h.offset < prev_end || end > data_end || h.len < 4 {
                return Err(bad());
            }
            if let Some(last) = idx.handles.len().checked_sub(1) {
                if key <= idx.key(last) {
                    return Err(bad());
                }
            }
            prev_end = end;
            idx.keys.extend_from_slice(key);
            idx.key_ends.push(idx.keys.len() as u32);
            idx.handles.push(h);
        }
        if !r.is_empty() {
            return Err(bad());
        }
        Ok(idx)
    }

    /// Data blocks in the table.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// True for a table without data blocks (which no builder writes).
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Last key of block `i`.
    pub fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.key_ends[i - 1] as usize
        };
        &self.keys[start..self.key_ends[i] as usize]
    }

    /// Where data block `i` is; `i < len()`.
    pub fn handle(&self, i: usize) -> Handle {
        self.handles[i]
    }

    /// The first block whose last key is >= `target`, if any.
    pub fn find(&self, target: &[u8]) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.key(mid) < target {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (lo < self.len()).then_some(lo)
    }

    /// Memory held.
    pub fn charge(&self) -> usize {
        self.keys.capacity() + 4 * self.key_ends.capacity() + 16 * self.handles.capacity()
    }
}
