//! Data blocks: sorted entries with prefix-compressed keys and restart
//! points.
//!
//! Neighbouring keys in sorted order share long prefixes (`user000123`,
//! `user000124`), so each entry stores only the bytes that differ from the
//! previous key. Every `restart_interval` entries the key is stored whole (a
//! *restart point*); the block ends with the offsets of the restart points,
//! so a lookup binary-searches them and then decodes at most one interval.
//!
//! ## Encoding (the block body; the SSTable appends a CRC-32 to it)
//!
//! ```text
//! entry, repeated:
//!   shared     varint  leading key bytes shared with the previous key
//!                      (0 at a restart point)
//!   unshared   varint  key bytes that follow
//!   value_len  varint  0 for a tombstone
//!   tag        varint  sequence number << 1 | 1 for a tombstone
//!   key suffix unshared bytes
//!   value      value_len bytes
//! trailer:
//!   restart    u32 LE, repeated n times: offset of a restart entry
//!   n          u32 LE  number of restart points (at least 1)
//! ```
//!
//! A run holds one version per user key (compaction drops shadowed
//! versions), so a block lookup is "find the first key >= target".

use crate::coding::{put_varint, u32_at, Reader, Short};
use engine_core::record::{MAX_KEY_LEN, MAX_VALUE_LEN};

/// What a key maps to in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The key has the entry's value.
    Put,
    /// A tombstone: the key is deleted; its value is empty.
    Delete,
}

/// Encode a sequence number and kind into one tag.
pub fn tag(seq: u64, kind: Kind) -> u64 {
    (seq << 1) | u64::from(kind == Kind::Delete)
}

/// Split a tag into sequence number and kind.
pub fn untag(t: u64) -> (u64, Kind) {
    let kind = if t & 1 == 1 { Kind::Delete } else { Kind::Put };
    (t >> 1, kind)
}

/// Accumulates sorted entries into one block body.
pub struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    last_key: Vec<u8>,
    since_restart: usize,
    interval: usize,
    entries: usize,
}

impl BlockBuilder {
    /// An empty block with a restart point every `interval` keys.
    pub fn new(interval: usize) -> Self {
        BlockBuilder {
            buf: Vec::new(),
            restarts: Vec::new(),
            last_key: Vec::new(),
            since_restart: 0,
            interval: interval.max(1),
            entries: 0,
        }
    }

    /// Append an entry; keys must arrive strictly increasing.
    pub fn add(&mut self, key: &[u8], seq: u64, kind: Kind, value: &[u8]) {
        debug_assert!(self.entries == 0 || key > &self.last_key[..]);
        let shared = if self.since_restart == 0 || self.since_restart >= self.interval {
            self.restarts.push(self.buf.len() as u32);
            self.since_restart = 0;
            0
        } else {
            key.iter()
                .zip(&self.last_key)
                .take_while(|(a, b)| a == b)
                .count()
        };
        put_varint(&mut self.buf, shared as u64);
        put_varint(&mut self.buf, (key.len() - shared) as u64);
        put_varint(&mut self.buf, value.len() as u64);
        put_varint(&mut self.buf, tag(seq, kind));
        self.buf.extend_from_slice(&key[shared..]);
        self.buf.extend_from_slice(value);
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.since_restart += 1;
        self.entries += 1;
    }

    /// Bytes the finished block would have.
    pub fn size_estimate(&self) -> usize {
        self.buf.len() + 4 * self.restarts.len() + 4
    }

    /// True when no entry was added since the last finish.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The last key added: a table's largest key once its last block is
    /// built.
    pub fn last_key(&self) -> &[u8] {
        &self.last_key
    }

    /// Append the finished body to `out` and reset for the next block.
    pub fn finish_into(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.buf);
        for r in &self.restarts {
            out.extend_from_slice(&r.to_le_bytes());
        }
        out.extend_from_slice(&(self.restarts.len() as u32).to_le_bytes());
        self.buf.clear();
        self.restarts.clear();
        self.since_restart = 0;
        self.entries = 0;
    }
}

/// A parsed block body whose trailer has been checked.
#[derive(Debug)]
pub struct Block {
    data: Vec<u8>,
    restarts_at: usize,
    n_restarts: usize,
}

/// One decoded entry header: where its parts lie in the block.
#[derive(Debug, Clone, Copy)]
struct EntryHead {
    shared: usize,
    suffix: (usize, usize),
    value: (usize, usize),
    tag: u64,
    next: usize,
}

impl Block {
    /// Check the trailer of `data`; entries are checked as they are decoded.
    pub fn parse(data: Vec<u8>) -> Result<Block, Short> {
        if data.len() < 4 {
            return Err(Short);
        }
        let n = u32_at(&data, data.len() - 4) as usize;
        let trailer = n
            .checked_mul(4)
            .and_then(|t| t.checked_add(4))
            .ok_or(Short)?;
        if n == 0 || trailer > data.len() {
            return Err(Short);
        }
        let restarts_at = data.len() - trailer;
        for i in 0..n {
            if u32_at(&data, restarts_at + 4 * i) as usize >= restarts_at {
                return Err(Short);
            }
        }
        Ok(Block {
            data,
            restarts_at,
            n_restarts: n,
        })
    }

    /// Memory this block holds.
    pub fn charge(&self) -> usize {
        self.data.capacity() + std::mem::size_of::<Block>()
    }

    fn restart(&self, i: usize) -> usize {
        u32_at(&self.data, self.restarts_at + 4 * i) as usize
    }

    fn head(&self, at: usize) -> Result<EntryHead, Short> {
        let mut r = Reader::new(&self.data[..self.restarts_at]);
        r.bytes(at)?;
        let shared = r.len(MAX_KEY_LEN)?;
        let unshared = r.len(MAX_KEY_LEN)?;
        let vlen = r.len(MAX_VALUE_LEN)?;
        let tag = r.varint()?;
        let ks = r.pos();
        r.bytes(unshared)?;
        let vs = r.pos();
        r.bytes(vlen)?;
        if shared + unshared > MAX_KEY_LEN || (tag & 1 == 1 && vlen != 0) {
            return Err(Short);
        }
        Ok(EntryHead {
            shared,
            suffix: (ks, ks + unshared),
            value: (vs, vs + vlen),
            tag,
            next: r.pos(),
        })
    }

    /// The whole key stored at a restart point.
    fn restart_key(&self, i: usize) -> Result<&[u8], Short> {
        let h = self.head(self.restart(i))?;
        if h.shared != 0 {
            return Err(Short);
        }
        Ok(&self.data[h.suffix.0..h.suffix.1])
    }

    /// Index of the last restart point whose key is < `target` (0 if none).
    fn restart_before(&self, target: &[u8]) -> Result<usize, Short> {
        let (mut lo, mut hi) = (0, self.n_restarts);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if self.restart_key(mid)? < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// The entry for exactly `target`, as (tag, value range in the block).
    /// `scratch` holds decoded keys so that a lookup allocates nothing.
    pub fn get(&self, target: &[u8], scratch: &mut Vec<u8>) -> Result<Option<(u64, &[u8])>, Short> {
        let mut at = self.restart(self.restart_before(target)?);
        scratch.clear();
        while at < self.restarts_at {
            let h = self.head(at)?;
            if h.shared > scratch.len() {
                return Err(Short);
            }
            scratch.truncate(h.shared);
            scratch.extend_from_slice(&self.data[h.suffix.0..h.suffix.1]);
            match scratch.as_slice().cmp(target) {
                std::cmp::Ordering::Less => at = h.next,
                std::cmp::Ordering::Equal => {
                    return Ok(Some((h.tag, &self.data[h.value.0..h.value.1])))
                }
                std::cmp::Ordering::Greater => return Ok(None),
            }
        }
        Ok(None)
    }
}

/// A cursor over the entries of a shared block.
pub struct BlockIter {
    block: std::sync::Arc<Block>,
    key: Vec<u8>,
    value: (usize, usize),
    tag: u64,
    next: usize,
    valid: bool,
}

impl BlockIter {
    /// Positioned before the first entry; call [`BlockIter::seek`] or
    /// [`BlockIter::advance`].
    pub fn new(block: std::sync::Arc<Block>) -> Self {
        BlockIter {
            block,
            key: Vec::new(),
            value: (0, 0),
            tag: 0,
            next: 0,
            valid: false,
        }
    }

    /// Whether the iterator is at an entry; the accessors need it to be.
    pub fn valid(&self) -> bool {
        self.valid
    }

    /// The current entry's key, prefix compression undone.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The current entry's value; empty for a tombstone.
    pub fn value(&self) -> &[u8] {
        &self.block.data[self.value.0..self.value.1]
    }

    /// The current entry's sequence number and kind, packed by [`tag`].
    pub fn tag(&self) -> u64 {
        self.tag
    }

    /// Step to the next entry (the first, on a fresh iterator).
    pub fn advance(&mut self) -> Result<(), Short> {
        if self.next >= self.block.restarts_at {
            self.valid = false;
            return Ok(());
        }
        let h = self.block.head(self.next)?;
        if h.shared > self.key.len() || (!self.valid && h.shared != 0) {
            return Err(Short);
        }
        self.key.truncate(h.shared);
        self.key
            .extend_from_slice(&self.block.data[h.suffix.0..h.suffix.1]);
        self.value = h.value;
        self.tag = h.tag;
        self.next = h.next;
        self.valid = true;
        Ok(())
    }

    /// Position at the first entry with key >= `target`.
    pub fn seek(&mut self, target: &[u8]) -> Result<(), Short> {
        self.next = self.block.restart(self.block.restart_before(target)?);
        self.valid = false;
        self.key.clear();
        loop {
            self.advance()?;
            if !self.valid || self.key.as_slice() >= target {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn build(n: usize, interval: usize) -> Block {
        let mut b = BlockBuilder::new(interval);
        for i in 0..n {
            let k = format!("key{i:05}");
            if i % 7 == 3 {
                b.add(k.as_bytes(), i as u64, Kind::Delete, b"");
            } else {
                b.add(
                    k.as_bytes(),
                    i as u64,
                    Kind::Put,
                    format!("v{i}").as_bytes(),
                );
            }
        }
        let mut out = Vec::new();
        b.finish_into(&mut out);
        Block::parse(out).unwrap()
    }

    #[test]
    fn get_finds_every_key_and_no_other() {
        for interval in [1, 3, 16] {
            let block = build(100, interval);
            let mut s = Vec::new();
            for i in 0..100 {
                let k = format!("key{i:05}");
                let (t, v) = block.get(k.as_bytes(), &mut s).unwrap().unwrap();
                let (seq, kind) = untag(t);
                assert_eq!(seq, i as u64);
                if i % 7 == 3 {
                    assert_eq!((kind, v), (Kind::Delete, &b""[..]));
                } else {
                    assert_eq!(v, format!("v{i}").as_bytes());
                }
            }
            for k in ["a", "key00000x", "key00099a", "kez"] {
                assert!(block.get(k.as_bytes(), &mut s).unwrap().is_none(), "{k}");
            }
        }
    }

    #[test]
    fn iterator_walks_in_order_and_seeks() {
        let block = Arc::new(build(50, 4));
        let mut it = BlockIter::new(block.clone());
        let mut n = 0;
        it.advance().unwrap();
        while it.valid() {
            assert_eq!(it.key(), format!("key{n:05}").as_bytes());
            n += 1;
            it.advance().unwrap();
        }
        assert_eq!(n, 50);
        let mut it = BlockIter::new(block);
        it.seek(b"key00020a").unwrap();
        assert_eq!(it.key(), b"key00021");
        it.seek(b"zzz").unwrap();
        assert!(!it.valid());
        it.seek(b"").unwrap();
        assert_eq!(it.key(), b"key00000");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut s = Vec::new();
        let mut seed = 1u64;
        for len in 0..300 {
            for _ in 0..20 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        (seed >> 56) as u8
                    })
                    .collect();
                if let Ok(b) = Block::parse(bytes) {
                    let _ = b.get(b"key", &mut s);
                    let mut it = BlockIter::new(Arc::new(b));
                    for _ in 0..len {
                        if it.advance().is_err() || !it.valid() {
                            break;
                        }
                    }
                }
            }
        }
    }
}
