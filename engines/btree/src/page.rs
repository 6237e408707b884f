//! The page: the unit of the page file, of the cache and of every write back.
//!
//! Every page, whatever it holds, starts with the same 23-byte header, so a
//! page read back can be checked before it is trusted:
//!
//! ```text
//! offset size field
//!  0      4   CRC-32 of bytes [4, page_size): the rest of the page, padding included
//!  4      8   page id (little endian): a page written to the wrong place is caught
//! 12      1   kind: 1 header, 2 leaf, 3 internal, 4 overflow, 5 free
//! 13      2   count: entries in a leaf or internal page, 0 otherwise
//! 15      8   link: leaf -> next leaf (0 = none); internal -> leftmost child;
//!             overflow -> next overflow page (0 = last); free -> next free page
//! 23      ..  body, then zero padding to page_size
//! ```
//!
//! Bodies:
//!
//! - **leaf**: `count` entries `key_len u16 | flag u8 | value_len u32 | key |
//!   value`, where `flag` 0 means the value follows inline and 1 means it
//!   lives in an overflow chain whose first page id (u64) follows instead.
//! - **internal**: `count` entries `key_len u16 | key | child u64`; child `i+1`
//!   holds keys `>= key i`, the leftmost child (in `link`) keys below key 0.
//! - **overflow**: `data_len u32 | data`.
//! - **header** (page 0 only): see [`Meta`].
//!
//! Page 0 is always the header, so 0 doubles as "no page" in links.

use std::path::Path;

use engine_core::record::checksum;
use engine_core::{Error, Result};

/// Bytes of the common page header.
pub const PAGE_HEADER: usize = 23;
/// Magic at the start of the header page's body.
pub const MAGIC: &[u8; 8] = b"BTREEPG1";
/// Format version of the page file.
pub const VERSION: u32 = 1;
/// Smallest page size accepted (the `page_size` option, the header page,
/// a doublewrite file); also what open reads first to learn the page size.
pub const MIN_PAGE: usize = 512;
/// Largest page size accepted, by the same checks as [`MIN_PAGE`]; sizes
/// between must be powers of two.
pub const MAX_PAGE: usize = 65536;

const KIND_HEADER: u8 = 1;
const KIND_LEAF: u8 = 2;
const KIND_INTERNAL: u8 = 3;
const KIND_OVERFLOW: u8 = 4;
const KIND_FREE: u8 = 5;

/// A value as a leaf stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// The value itself, in the leaf entry (flag 0): only while the whole
    /// entry fits a third of the page's body.
    Inline(Vec<u8>),
    /// `len` bytes in a chain of overflow pages starting at `first` (flag 1).
    Overflow {
        /// The value's whole length, stored in the entry's `value_len`; the
        /// chain's pages hold exactly this many bytes between them, all but
        /// the last a full page's worth.
        len: u32,
        /// The chain's first overflow page, stored after the key where an
        /// inline value would be.
        first: u64,
    },
}

/// A leaf: sorted keys, their values, and the next leaf for scans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leaf {
    /// The keys, strictly ascending (decode rejects any other order).
    pub keys: Vec<Vec<u8>>,
    /// `vals[i]` is the value of `keys[i]`; as many as there are keys.
    pub vals: Vec<Val>,
    /// The next leaf to the right, which a scan moves on to (the header's
    /// `link`); 0 for the rightmost leaf.
    pub next: u64,
}

/// An internal page: `children.len() == keys.len() + 1`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Internal {
    /// Separator keys, strictly ascending, at least one on disk: child
    /// `i+1` holds the keys `>= keys[i]`.
    pub keys: Vec<Vec<u8>>,
    /// Child page ids, one more than the keys; `children[0]` (the header's
    /// `link`) holds the keys below `keys[0]`.
    pub children: Vec<u64>,
}

/// The database's root record, kept in page 0.
///
/// ```text
/// body offset size field
///  0          8   magic "BTREEPG1"
///  8          4   format version
/// 12          4   page size
/// 16          8   checkpoint sequence number
/// 24          8   root page id
/// 32          4   tree height (1 = the root is a leaf)
/// 36          8   page count: ids below it are in use or free
/// 44          8   free list head (0 = empty)
/// 52          8   free pages
/// 60          8   WAL generation: the log `wal.<gen>` holds what came after
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meta {
    /// Bytes per page: a power of two in [`MIN_PAGE`]`..=`[`MAX_PAGE`],
    /// fixed when the file is created.
    pub page_size: u32,
    /// Checkpoint sequence number: one more at every checkpoint, and the
    /// number a doublewrite file must carry to be copied back.
    pub seq: u64,
    /// The root page (a leaf when `height` is 1); never 0, below `page_count`.
    pub root: u64,
    /// Levels from the root to the leaves, 1 when the root is a leaf; each
    /// level holds at least one page, so it is below `page_count`.
    pub height: u32,
    /// Pages in the file's tree, the header included: ids below it are in
    /// use or free, and the file is at least this many pages long.
    pub page_count: u64,
    /// The first page of the free list (0 = empty); the rest are chained
    /// through each free page's `link`.
    pub free_head: u64,
    /// Pages on the free list.
    pub free_count: u64,
    /// The log generation: `wal.<wal_gen>` holds the writes that came after
    /// this checkpoint, and older logs are no longer needed.
    pub wal_gen: u64,
}

impl Meta {
    /// Check what a header page says before anything is computed from it:
    /// every counter must be able to go one further, every page id must
    /// have an offset, and (given the page file's length) every page below
    /// the page count must be in the file, which bounds every loop over
    /// pages or levels by the file's size. An error says what is wrong.
    pub fn check(&self, file_len: Option<u64>) -> std::result::Result<(), String> {
        let ps = self.page_size as usize;
        if !(MIN_PAGE..=MAX_PAGE).contains(&ps) || !ps.is_power_of_two() {
            return Err(format!("header page: bad page size {ps}"));
        }
        let Some(end) = page_offset(self.page_count, ps) else {
            return Err(format!(
                "header page: page count {} has no offset",
                self.page_count
            ));
        };
        if let Some(len) = file_len.filter(|&len| end > len) {
            return Err(format!(
                "header page: page count {} past the file's {len} bytes",
                self.page_count
            ));
        }
        let n = self.page_count;
        let bad = if self.root == 0 || self.root >= n {
            Some(format!("root {}", self.root))
        } else if self.height == 0 || u64::from(self.height) >= n {
            // Each level holds at least one page besides the header.
            Some(format!("height {}", self.height))
        } else if self.free_head >= n || self.free_count >= n {
            Some(format!(
                "free list head {} of {}",
                self.free_head, self.free_count
            ))
        } else if self.seq == u64::MAX || self.wal_gen == u64::MAX {
            Some(format!(
                "exhausted counter (seq {}, log {})",
                self.seq, self.wal_gen
            ))
        } else {
            None
        };
        match bad {
            Some(what) => Err(format!("header page: {what} impossible with {n} pages")),
            None => Ok(()),
        }
    }
}

/// The file offset of page `id`, if it has one.
pub fn page_offset(id: u64, page_size: usize) -> Option<u64> {
    id.checked_mul(page_size as u64)
}

/// What a page holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Page 0 (kind 1): the database's root record.
    Header(Meta),
    /// A leaf page (kind 2): keys and values, linked to the next leaf.
    Leaf(Leaf),
    /// An internal page (kind 3): separator keys and child ids.
    Internal(Internal),
    /// An overflow page (kind 4): one piece of a large value.
    Overflow {
        /// The chain's next page (the header's `link`); 0 on the last.
        next: u64,
        /// This page's share of the value: all of the page after the header
        /// and `data_len`, except on the last page of the chain.
        data: Vec<u8>,
    },
    /// A free page (kind 5) on the free list, reused before the file grows.
    Free {
        /// The next free page (the header's `link`); 0 ends the list.
        next: u64,
    },
}

/// Encoded size of one leaf entry.
pub fn leaf_entry_size(key: &[u8], val: &Val) -> usize {
    7 + key.len()
        + match val {
            Val::Inline(v) => v.len(),
            Val::Overflow { .. } => 8,
        }
}

/// Encoded size of one internal entry.
pub fn internal_entry_size(key: &[u8]) -> usize {
    10 + key.len()
}

impl Leaf {
    /// Bytes this leaf needs, page header included.
    pub fn size(&self) -> usize {
        PAGE_HEADER
            + self
                .keys
                .iter()
                .zip(&self.vals)
                .map(|(k, v)| leaf_entry_size(k, v))
                .sum::<usize>()
    }
}

impl Internal {
    /// Bytes this page needs, page header included.
    pub fn size(&self) -> usize {
        PAGE_HEADER
            + self
                .keys
                .iter()
                .map(|k| internal_entry_size(k))
                .sum::<usize>()
    }

    /// The child whose range holds `key`.
    pub fn child_index(&self, key: &[u8]) -> usize {
        self.keys.partition_point(|k| k.as_slice() <= key)
    }
}

impl Node {
    /// Bytes the node needs in a page.
    pub fn size(&self) -> usize {
        match self {
            Node::Leaf(l) => l.size(),
            Node::Internal(n) => n.size(),
            Node::Overflow { data, .. } => PAGE_HEADER + 4 + data.len(),
            Node::Header(_) => PAGE_HEADER + 68,
            Node::Free { .. } => PAGE_HEADER,
        }
    }

    /// Encode into `out` (exactly one page, `out.len()` is the page size).
    /// The node must fit: the tree splits before it writes.
    pub fn encode(&self, id: u64, out: &mut [u8]) {
        debug_assert!(self.size() <= out.len(), "node of {} bytes", self.size());
        out.fill(0);
        out[4..12].copy_from_slice(&id.to_le_bytes());
        let mut w = Writer {
            buf: out,
            pos: PAGE_HEADER,
        };
        let (kind, count, link) = match self {
            Node::Header(m) => {
                w.put(MAGIC);
                w.put(&VERSION.to_le_bytes());
                w.put(&m.page_size.to_le_bytes());
                for v in [m.seq, m.root] {
                    w.put(&v.to_le_bytes());
                }
                w.put(&m.height.to_le_bytes());
                for v in [m.page_count, m.free_head, m.free_count, m.wal_gen] {
                    w.put(&v.to_le_bytes());
                }
                (KIND_HEADER, 0, 0)
            }
            Node::Leaf(l) => {
                for (k, v) in l.keys.iter().zip(&l.vals) {
                    w.put(&(k.len() as u16).to_le_bytes());
                    match v {
                        Val::Inline(b) => {
                            w.put(&[0]);
                            w.put(&(b.len() as u32).to_le_bytes());
                            w.put(k);
                            w.put(b);
                        }
                        Val::Overflow { len, first } => {
                            w.put(&[1]);
                            w.put(&len.to_le_bytes());
                            w.put(k);
                            w.put(&first.to_le_bytes());
                        }
                    }
                }
                (KIND_LEAF, l.keys.len(), l.next)
            }
            Node::Internal(n) => {
                for (k, c) in n.keys.iter().zip(&n.children[1..]) {
                    w.put(&(k.len() as u16).to_le_bytes());
                    w.put(k);
                    w.put(&c.to_le_bytes());
                }
                (KIND_INTERNAL, n.keys.len(), n.children[0])
            }
            Node::Overflow { next, data } => {
                w.put(&(data.len() as u32).to_le_bytes());
                w.put(data);
                (KIND_OVERFLOW, 0, *next)
            }
            Node::Free { next } => (KIND_FREE, 0, *next),
        };
        out[12] = kind;
        out[13..15].copy_from_slice(&(count as u16).to_le_bytes());
        out[15..23].copy_from_slice(&link.to_le_bytes());
        let crc = checksum(&out[4..]);
        out[0..4].copy_from_slice(&crc.to_le_bytes());
    }

    /// Decode and check one page read from `id`. Every length is checked
    /// against the page before it is used, so arbitrary bytes give an error,
    /// never a panic or a large allocation.
    pub fn decode(id: u64, b: &[u8]) -> std::result::Result<Node, String> {
        if b.len() < PAGE_HEADER {
            return Err(format!("page of {} bytes is too short", b.len()));
        }
        let stored = u32::from_le_bytes(b[0..4].try_into().expect("4 bytes"));
        if checksum(&b[4..]) != stored {
            return Err(format!(
                "page {id}: checksum mismatch (torn or damaged page)"
            ));
        }
        let own = u64::from_le_bytes(b[4..12].try_into().expect("8 bytes"));
        if own != id {
            return Err(format!("page {id} holds page {own} (misdirected write)"));
        }
        let count = u16::from_le_bytes(b[13..15].try_into().expect("2 bytes")) as usize;
        let link = u64::from_le_bytes(b[15..23].try_into().expect("8 bytes"));
        let mut r = Reader {
            buf: b,
            pos: PAGE_HEADER,
        };
        match b[12] {
            KIND_HEADER => {
                if r.take(8)? != MAGIC {
                    return Err("header page: bad magic (not a btree page file)".into());
                }
                let version = r.u32()?;
                if version != VERSION {
                    return Err(format!(
                        "header page: format version {version}, expected {VERSION}"
                    ));
                }
                Ok(Node::Header(Meta {
                    page_size: r.u32()?,
                    seq: r.u64()?,
                    root: r.u64()?,
                    height: r.u32()?,
                    page_count: r.u64()?,
                    free_head: r.u64()?,
                    free_count: r.u64()?,
                    wal_gen: r.u64()?,
                }))
            }
            KIND_LEAF => {
                let mut l = Leaf {
                    keys: Vec::with_capacity(count.min(b.len() / 7)),
                    vals: Vec::with_capacity(count.min(b.len() / 7)),
                    next: link,
                };
                for _ in 0..count {
                    let klen = r.u16()? as usize;
                    let flag = r.take(1)?[0];
                    let vlen = r.u32()?;
                    let key = r.take(klen)?.to_vec();
                    let val = match flag {
                        0 => Val::Inline(r.take(vlen as usize)?.to_vec()),
                        1 => Val::Overflow {
                            len: vlen,
                            first: r.u64()?,
                        },
                        f => return Err(format!("page {id}: bad value flag {f}")),
                    };
                    if l.keys.last().is_some_and(|p| *p >= key) {
                        return Err(format!("page {id}: leaf keys out of order"));
                    }
                    l.keys.push(key);
                    l.vals.push(val);
                }
                Ok(Node::Leaf(l))
            }
            KIND_INTERNAL => {
                let mut n = Internal {
                    keys: Vec::with_capacity(count.min(b.len() / 10)),
                    children: Vec::with_capacity(count.min(b.len() / 10) + 1),
                };
                n.children.push(link);
                for _ in 0..count {
                    let klen = r.u16()? as usize;
                    let key = r.take(klen)?.to_vec();
                    if n.keys.last().is_some_and(|p| *p >= key) {
                        return Err(format!("page {id}: separator keys out of order"));
                    }
                    n.keys.push(key);
                    n.children.push(r.u64()?);
                }
                if count == 0 {
                    return Err(format!("page {id}: internal page without keys"));
                }
                Ok(Node::Internal(n))
            }
            KIND_OVERFLOW => {
                let len = r.u32()? as usize;
                let data = r.take(len)?.to_vec();
                Ok(Node::Overflow { next: link, data })
            }
            KIND_FREE => Ok(Node::Free { next: link }),
            k => Err(format!("page {id}: unknown page kind {k}")),
        }
    }
}

/// Turn a decode failure into the engine's corruption error, at page
/// `id`'s offset. An id read from a damaged link may have no offset: the
/// error then names the largest (past any file) and `what` names the id.
pub fn corrupt(path: &Path, id: u64, page_size: usize, what: String) -> Error {
    Error::corruption(path, page_offset(id, page_size).unwrap_or(u64::MAX), what)
}

/// Decode page `id`, naming `path` in the error.
pub fn decode_at(path: &Path, id: u64, b: &[u8]) -> Result<Node> {
    Node::decode(id, b).map_err(|what| corrupt(path, id, b.len(), what))
}

struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(format!(
                "field of {n} bytes at {} runs past the page end",
                self.pos
            )),
        }
    }
    fn u16(&mut self) -> std::result::Result<u16, String> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> std::result::Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> std::result::Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(n: &Node) {
        let mut page = vec![0u8; 512];
        n.encode(7, &mut page);
        assert_eq!(&Node::decode(7, &page).unwrap(), n);
    }

    #[test]
    fn every_kind_roundtrips() {
        roundtrip(&Node::Leaf(Leaf {
            keys: vec![b"".to_vec(), b"a".to_vec(), b"b\0".to_vec()],
            vals: vec![
                Val::Inline(vec![]),
                Val::Inline(b"x".to_vec()),
                Val::Overflow {
                    len: 9000,
                    first: 12,
                },
            ],
            next: 99,
        }));
        roundtrip(&Node::Internal(Internal {
            keys: vec![b"k".to_vec(), b"m".to_vec()],
            children: vec![3, 4, 5],
        }));
        roundtrip(&Node::Overflow {
            next: 3,
            data: vec![1; 100],
        });
        roundtrip(&Node::Free { next: 8 });
        roundtrip(&Node::Header(Meta {
            page_size: 512,
            seq: 1,
            root: 2,
            height: 3,
            page_count: 4,
            free_head: 5,
            free_count: 6,
            wal_gen: 7,
        }));
    }

    #[test]
    fn flips_and_misdirected_pages_are_detected() {
        let mut page = vec![0u8; 512];
        Node::Free { next: 8 }.encode(7, &mut page);
        assert!(Node::decode(8, &page).unwrap_err().contains("misdirected"));
        for bit in (0..512 * 8).step_by(13) {
            let mut c = page.clone();
            c[bit / 8] ^= 1 << (bit % 8);
            assert!(Node::decode(7, &c).is_err(), "flip {bit} undetected");
        }
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            kind in 1u8..6,
        ) {
            let _ = Node::decode(0, &bytes);
            // With a valid checksum and id, the body parser itself is exercised.
            let mut b = bytes.clone();
            if b.len() >= PAGE_HEADER {
                b[4..12].copy_from_slice(&0u64.to_le_bytes());
                b[12] = kind;
                let crc = checksum(&b[4..]);
                b[0..4].copy_from_slice(&crc.to_le_bytes());
                let _ = Node::decode(0, &b);
            }
        }
    }
}
