//! Checkpoints: the page file moves from one consistent tree to the next,
//! atomically, through a doublewrite file.
//!
//! Between checkpoints the page file is never written (the pager keeps
//! changed pages in memory), so it always holds the tree of the last
//! checkpoint. A checkpoint writes every dirty page and the header page in
//! place, which a crash could tear halfway: some pages new, some old, one
//! page half of each. So first it writes the same page images to the
//! doublewrite file `pages.dw` and fsyncs it; only then does it write in
//! place. Recovery finds a complete, checksummed doublewrite file and copies
//! it in place again (idempotent), which completes an interrupted
//! checkpoint and repairs any torn page; an incomplete one means the
//! in-place writes never started, and it is ignored. The cost is every
//! checkpointed page written twice (InnoDB's doublewrite buffer makes the
//! same trade).
//!
//! The order of one checkpoint, the log being at generation `g`:
//!
//! 1. create `wal.(g+1)` and make it durable (no lock held);
//! 2. under the engine's lock: take the dirty pages (pointer copies) and a
//!    header page naming `g+1`, and switch writers to `wal.(g+1)`: every
//!    operation is in the log of the generation it was applied in, and the
//!    pages hold exactly the operations of generations `<= g`;
//! 3. without the lock, while writers go on: fsync `wal.g` (until it is
//!    done, any fsync of `wal.(g+1)` is preceded by one of `wal.g`, and
//!    appends to `wal.(g+1)` stay in its buffer, never written to its file:
//!    a crash could keep those bytes and tear `wal.g`'s tail); write
//!    the pages new to the file (past the durable header's page count) in
//!    place and fsync (Flush): no tree on disk refers to them yet; encode
//!    the others and the header into `pages.dw`, fsync it (Compaction);
//! 4. write those in place, runs of adjacent pages in one write each, fsync
//!    the page file (Flush);
//! 5. truncate `pages.dw`, remove the logs older than `g+1`.
//!
//! Recovery replays every log from the generation the header names upward,
//! in order, so a crash anywhere in 3-5 loses nothing written to `wal.(g+1)`
//! meanwhile. Nothing of `wal.(g+1)` becomes durable before all of `wal.g`
//! is, so the logs on disk always hold a prefix of the operations.
//!
//! ## `pages.dw` format
//!
//! ```text
//! offset size field
//!  0      8   magic "BTREEDW1"
//!  8      4   version (1)
//! 12      4   page size
//! 16      8   checkpoint sequence number
//! 24      4   page images that follow
//! 28      4   CRC-32 of all the images
//! 32      4   CRC-32 of bytes [0, 32)
//! 36     28   zero
//! 64      ..  the images, page_size bytes each (each names its own page id)
//! ```

use std::path::Path;
use std::sync::Arc;

use engine_core::record::checksum;
use engine_core::{File, Purpose, Result, Vfs};

use crate::page::Node;
use crate::pager::Images;
use crate::wal;

const DW_MAGIC: &[u8; 8] = b"BTREEDW1";
const DW_VERSION: u32 = 1;
/// Bytes of the doublewrite header.
pub const DW_HEADER: usize = 64;

/// Encode a doublewrite file holding `pages` (in id order): each page
/// encoded in its slot, so the file is also where the in-place writes copy
/// from.
pub fn encode_dw(page_size: usize, seq: u64, pages: &[(u64, &Node)]) -> Vec<u8> {
    let mut out = vec![0u8; DW_HEADER + pages.len() * page_size];
    encode_pages(pages, &mut out[DW_HEADER..], page_size);
    out[0..8].copy_from_slice(DW_MAGIC);
    out[8..12].copy_from_slice(&DW_VERSION.to_le_bytes());
    out[12..16].copy_from_slice(&(page_size as u32).to_le_bytes());
    out[16..24].copy_from_slice(&seq.to_le_bytes());
    out[24..28].copy_from_slice(&(pages.len() as u32).to_le_bytes());
    let body_crc = checksum(&out[DW_HEADER..]);
    out[28..32].copy_from_slice(&body_crc.to_le_bytes());
    let head_crc = checksum(&out[0..32]);
    out[32..36].copy_from_slice(&head_crc.to_le_bytes());
    out
}

/// A page to write: its id and content.
type PageRef<'a> = (u64, &'a Node);

/// Encode `pages` one after another into `out`.
fn encode_pages(pages: &[(u64, &Node)], out: &mut [u8], page_size: usize) {
    for ((id, node), slot) in pages.iter().zip(out.chunks_mut(page_size)) {
        node.encode(*id, slot);
    }
}

/// Write encoded `pages` (in id order, `bytes` holding their images one
/// after another) in place, each run of adjacent ids in one write.
fn write_in_place(
    file: &File,
    pages: &[(u64, &Node)],
    bytes: &[u8],
    page_size: usize,
) -> Result<()> {
    let mut i = 0;
    while i < pages.len() {
        let mut j = i + 1;
        while j < pages.len() && pages[j].0 == pages[i].0 + (j - i) as u64 {
            j += 1;
        }
        let run = &bytes[i * page_size..j * page_size];
        file.write_at(run, pages[i].0 * page_size as u64, Purpose::Flush)?;
        i = j;
    }
    Ok(())
}

/// A decoded doublewrite file: its checkpoint sequence number and each
/// image with the page id it names.
pub type DwImages<'a> = (u64, Vec<(u64, &'a [u8])>);

/// The page images of a complete doublewrite file, or `None` when it is
/// empty, torn or damaged (then the in-place writes never started).
pub fn decode_dw(bytes: &[u8]) -> Option<DwImages<'_>> {
    if bytes.len() < DW_HEADER || &bytes[0..8] != DW_MAGIC {
        return None;
    }
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
    // The reserved bytes are outside the header checksum, so they must be
    // zero: a flip there is damage like any other.
    let reserved_clear = bytes[36..DW_HEADER].iter().all(|&b| b == 0);
    if u32_at(32) != checksum(&bytes[0..32]) || u32_at(8) != DW_VERSION || !reserved_clear {
        return None;
    }
    let page_size = u32_at(12) as usize;
    let count = u32_at(24) as usize;
    if page_size < crate::page::MIN_PAGE
        || bytes.len() != DW_HEADER + count.checked_mul(page_size)?
    {
        return None;
    }
    if u32_at(28) != checksum(&bytes[DW_HEADER..]) {
        return None;
    }
    let seq = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let images = bytes[DW_HEADER..]
        .chunks(page_size)
        .map(|img| {
            let id = u64::from_le_bytes(img[4..12].try_into().expect("page header"));
            (id, img)
        })
        .collect();
    Some((seq, images))
}

/// Finish an interrupted checkpoint: copy a complete doublewrite file in
/// place. Returns how many pages were copied.
pub fn recover(pages: &File, dw: &File) -> Result<usize> {
    let len = dw.len()?;
    if len < DW_HEADER as u64 {
        return Ok(0);
    }
    let mut bytes = vec![0u8; len as usize];
    dw.read_exact_at(&mut bytes, 0, Purpose::Recovery)?;
    let Some((_, images)) = decode_dw(&bytes) else {
        return Ok(0);
    };
    for (id, img) in &images {
        pages.write_at(img, id * img.len() as u64, Purpose::Recovery)?;
    }
    pages.sync(Purpose::Recovery)?;
    dw.set_len(0)?;
    Ok(images.len())
}

/// The files a checkpoint writes.
pub struct Target<'a> {
    pub vfs: &'a Vfs,
    pub dir: &'a Path,
    /// The page file.
    pub pages: &'a File,
    /// The doublewrite file.
    pub dw: &'a File,
}

/// What one checkpoint writes: the pages (the header page among them) of
/// checkpoint `seq`, whose header names log generation `wal_gen`.
pub struct Snapshot {
    pub images: Arc<Images>,
    pub page_size: usize,
    pub seq: u64,
    pub wal_gen: u64,
    /// The page count of the header on disk (the last checkpoint's): pages
    /// from here on are new to the file.
    pub durable_pages: u64,
    /// The page count of this checkpoint's header.
    pub page_count: u64,
}

/// The rest of steps 3-5 of a checkpoint: make the snapshot's pages the
/// page file's content atomically, then remove the logs older than the
/// generation the new header names. Runs without the engine's lock; on
/// error the page file is still one consistent tree, or `pages.dw` repairs
/// it at the next open.
///
/// Pages at or past the durable page count belong to no tree or free list
/// on disk, so a torn one harms nothing until a header naming them is
/// durable: they skip the doublewrite and are written (and fsynced) in
/// place first. A growing tree (a load) writes its new pages once.
pub fn write_images(to: &Target, snap: &Snapshot) -> Result<()> {
    let Target {
        vfs,
        dir,
        pages,
        dw,
    } = *to;
    let page_size = snap.page_size;
    let (fresh, old): (Vec<PageRef>, Vec<PageRef>) = snap
        .images
        .iter()
        .map(|(&id, node)| (id, &**node))
        // The header (page 0) always goes through pages.dw.
        .partition(|(id, _)| *id != 0 && *id >= snap.durable_pages);
    if !fresh.is_empty() {
        let mut bytes = vec![0u8; fresh.len() * page_size];
        encode_pages(&fresh, &mut bytes, page_size);
        write_in_place(pages, &fresh, &bytes, page_size)?;
        pages.sync(Purpose::Flush)?;
    }

    let dw_bytes = encode_dw(page_size, snap.seq, &old);
    dw.write_at(&dw_bytes, 0, Purpose::Compaction)?;
    dw.sync(Purpose::Compaction)?;
    write_in_place(pages, &old, &dw_bytes[DW_HEADER..], page_size)?;
    pages.sync(Purpose::Flush)?;

    dw.set_len(0)?;
    for gen in wal::list_gens(vfs, dir)? {
        if gen < snap.wal_gen {
            vfs.remove_file(&wal::wal_path(dir, gen))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doublewrite_roundtrips_and_rejects_any_damage() {
        let (a, b) = (Node::Free { next: 3 }, Node::Free { next: 0 });
        let b = encode_dw(512, 9, &[(0, &a), (5, &b)]);
        let (seq, got) = decode_dw(&b).unwrap();
        assert_eq!(seq, 9);
        assert_eq!(got.len(), 2);
        for cut in [0, 10, DW_HEADER, b.len() - 1] {
            assert!(decode_dw(&b[..cut]).is_none(), "cut at {cut}");
        }
        for bit in (0..b.len() * 8).step_by(97) {
            let mut c = b.clone();
            c[bit / 8] ^= 1 << (bit % 8);
            assert!(decode_dw(&c).is_none(), "flip {bit}");
        }
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_doublewrite_bytes_never_panics(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let _ = decode_dw(&bytes);
        }
    }
}
