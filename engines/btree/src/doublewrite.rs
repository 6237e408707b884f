//! The doublewrite file `pages.dw`: its format, and what recovery may
//! conclude from it.
//!
//! ## Format
//!
//! ```text
//! offset size field
//!  0      8   magic "BTREEDW1"
//!  8      4   version (1)
//! 12      4   page size (that of the page file)
//! 16      8   checkpoint sequence number
//! 24      4   page images that follow
//! 28      4   CRC-32 of all the images
//! 32      4   CRC-32 of bytes [0, 32)
//! 36     28   zero
//! 64      ..  the images, page_size bytes each (each names its own page id),
//!             in ascending id order, the first being the header page (id 0);
//!             every id is below the page count that header states
//! ```
//!
//! The file is durably empty between checkpoints (its truncation is
//! synced), so whatever it holds belongs to the last checkpoint that
//! started.
//!
//! ## Reading it back
//!
//! - Empty: nothing to do.
//! - Complete (both checksums hold): copied in place. Checksums only say
//!   the bytes are the ones written, so the content is checked as well
//!   before a byte is written from it: a page size other than the page
//!   file's, an image that is not a valid page, or an id the header image
//!   does not allow (or far past the page file's end) is corruption, never
//!   a write at a computed offset.
//! - Failing a checksum: the checkpoint died while writing it (before its
//!   fsync, so before any in-place write) and it is ignored, *unless* the
//!   page file shows that in-place writes had begun: the page file's
//!   header already is this checkpoint's (or is damaged), or a page that an
//!   intact image covers fails its own check. Then the doublewrite copy was
//!   the only good one and its damage is corruption.
//!
//! What this cannot see: in-place writes that reached some data pages
//! whole but neither the header page nor any page left torn (a storage
//! that persists later writes without earlier ones). Telling those apart
//! needs each page to carry the sequence number of the checkpoint that
//! wrote it (a page format change, version 2).

use std::path::Path;

use engine_core::record::checksum;
use engine_core::{Error, File, Purpose, Result};

use crate::page::{page_offset, Meta, Node, MAX_PAGE, MIN_PAGE};

const DW_MAGIC: &[u8; 8] = b"BTREEDW1";
const DW_VERSION: u32 = 1;
/// Bytes of the doublewrite header.
pub const DW_HEADER: usize = 64;

/// Encode a doublewrite file holding `pages` (in id order, the header page
/// first): each page encoded in its slot, so the file is also where the
/// in-place writes copy from.
pub fn encode_dw(page_size: usize, seq: u64, pages: &[(u64, &Node)]) -> Vec<u8> {
    let mut out = vec![0u8; DW_HEADER + pages.len() * page_size];
    for ((id, node), slot) in pages.iter().zip(out[DW_HEADER..].chunks_mut(page_size)) {
        node.encode(*id, slot);
    }
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

/// A decoded doublewrite file: its checkpoint sequence number and each
/// image with the page id it names.
pub type DwImages<'a> = (u64, Vec<(u64, &'a [u8])>);

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().expect("callers pass o + 4 <= len"))
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().expect("callers pass o + 8 <= len"))
}

/// The file's header, if it is whole: (page size, sequence, image count).
fn header(bytes: &[u8]) -> Option<(usize, u64, usize)> {
    if bytes.len() < DW_HEADER || &bytes[0..8] != DW_MAGIC {
        return None;
    }
    // The reserved bytes are outside the header checksum, so they must be
    // zero: a flip there is damage like any other.
    let reserved_clear = bytes[36..DW_HEADER].iter().all(|&b| b == 0);
    if u32_at(bytes, 32) != checksum(&bytes[0..32]) || !reserved_clear {
        return None;
    }
    let ps = u32_at(bytes, 12) as usize;
    Some((ps, u64_at(bytes, 16), u32_at(bytes, 24) as usize))
}

/// The page images of a complete doublewrite file at `path`, or `None`
/// when a checksum fails (it is torn or damaged). A file whose checksums
/// hold but whose content is impossible is corruption.
pub fn decode_dw<'a>(path: &Path, bytes: &'a [u8]) -> Result<Option<DwImages<'a>>> {
    let Some((ps, seq, count)) = header(bytes) else {
        return Ok(None);
    };
    let body_len = count.checked_mul(ps).and_then(|n| n.checked_add(DW_HEADER));
    if body_len != Some(bytes.len()) || u32_at(bytes, 28) != checksum(&bytes[DW_HEADER..]) {
        return Ok(None);
    }
    let corrupt = |at: usize, what: String| Error::corruption(path, at as u64, what);
    let bad = |at: usize, what: String| Err(corrupt(at, what));
    if u32_at(bytes, 8) != DW_VERSION {
        return bad(8, format!("doublewrite version {}", u32_at(bytes, 8)));
    }
    if !(MIN_PAGE..=MAX_PAGE).contains(&ps) || !ps.is_power_of_two() {
        return bad(12, format!("doublewrite page size {ps}"));
    }
    let images: Vec<(u64, &[u8])> = bytes[DW_HEADER..]
        .chunks_exact(ps)
        .map(|img| (u64_at(img, 4), img))
        .collect();
    let meta = header_image(&images, ps).map_err(|what| corrupt(DW_HEADER, what))?;
    for (i, &(id, img)) in images.iter().enumerate() {
        let at = DW_HEADER + i * ps;
        Node::decode(id, img).map_err(|what| corrupt(at, what))?;
        if id >= meta.page_count || (i > 0 && id <= images[i - 1].0) {
            return bad(
                at,
                format!(
                    "image of page {id} out of order or past the header's {} pages",
                    meta.page_count
                ),
            );
        }
    }
    Ok(Some((seq, images)))
}

/// The header page that the first image must be, checked.
fn header_image(images: &[(u64, &[u8])], ps: usize) -> std::result::Result<Meta, String> {
    let Some(&(0, img)) = images.first() else {
        return Err("doublewrite file without the header page first".into());
    };
    let Node::Header(meta) = Node::decode(0, img)? else {
        return Err("doublewrite image of page 0 is not a header page".into());
    };
    meta.check(None)?;
    if meta.page_size as usize != ps {
        return Err(format!(
            "header image of page size {}, in a doublewrite file of {ps}",
            meta.page_size
        ));
    }
    Ok(meta)
}

/// What recovery does with `pages.dw`.
pub enum Doublewrite<'a> {
    /// Nothing to copy: empty, or torn before any in-place write.
    Unused,
    /// A complete file whose images go in place.
    Complete(DwImages<'a>),
}

/// Read `bytes`, the content of the doublewrite file at `path`, beside the
/// page file `pages` (whose header is `disk`, if it has a valid one); see
/// the module docs for the rules.
pub fn judge<'a>(
    path: &Path,
    bytes: &'a [u8],
    pages: &File,
    disk: Option<Result<Meta>>,
) -> Result<Doublewrite<'a>> {
    if bytes.is_empty() {
        return Ok(Doublewrite::Unused);
    }
    let Some(dw) = decode_dw(path, bytes)? else {
        // An empty page file (a new database) has nothing in place yet.
        if let Some(disk) = disk {
            never_applied(path, bytes, pages, disk)?;
        }
        return Ok(Doublewrite::Unused);
    };
    // Decoded, so the header is whole and names the images' page size.
    let ps = u32_at(bytes, 12);
    if let Some(Ok(meta)) = disk.filter(|d| d.as_ref().is_ok_and(|m| m.page_size != ps)) {
        return Err(Error::corruption(
            path,
            12,
            format!(
                "doublewrite page size {ps}, the page file's is {}",
                meta.page_size
            ),
        ));
    }
    within_reach(path, &dw, pages.len()? / u64::from(ps))?;
    Ok(Doublewrite::Complete(dw))
}

/// Images replace pages the file has (the first checkpoint of a new
/// database writes its few pages only through the doublewrite), so no id
/// lies past the file's pages by more than the images' count: recovery
/// then writes, and verify allocates, no more than the two files hold.
fn within_reach(path: &Path, dw: &DwImages, file_pages: u64) -> Result<()> {
    let (_, images) = dw;
    let reach = file_pages.saturating_add(images.len() as u64);
    match images.iter().position(|&(id, _)| id >= reach) {
        Some(i) => Err(Error::corruption(
            path,
            (DW_HEADER + i * images[i].1.len()) as u64,
            format!(
                "image of page {}, past the page file's {file_pages} pages",
                images[i].0
            ),
        )),
        None => Ok(()),
    }
}

/// A damaged doublewrite file may be ignored only if its checkpoint never
/// wrote in place; otherwise this is the corruption error naming it.
fn never_applied(path: &Path, bytes: &[u8], pages: &File, disk: Result<Meta>) -> Result<()> {
    let began = |at: usize, what: String| {
        Err(Error::corruption(
            path,
            at as u64,
            format!(
                "damaged doublewrite file of a checkpoint that had begun writing in place: {what}"
            ),
        ))
    };
    let meta = match disk {
        Ok(meta) => meta,
        Err(e) => return began(0, format!("the page file's header is damaged too ({e})")),
    };
    if let Some((_, seq, _)) = header(bytes).filter(|&(_, seq, _)| seq <= meta.seq) {
        return began(
            16,
            format!("checkpoint {seq}, the page file is at {}", meta.seq),
        );
    }
    let ps = meta.page_size as usize;
    let slots = bytes.get(DW_HEADER..).unwrap_or(&[]).chunks_exact(ps);
    let mut disk_page = vec![0u8; ps];
    for (i, img) in slots.enumerate() {
        let at = DW_HEADER + i * ps;
        let id = u64_at(img, 4);
        match Node::decode(id, img) {
            Ok(Node::Header(m)) if m.seq <= meta.seq => {
                return began(
                    at,
                    format!("its header page is the page file's ({})", m.seq),
                );
            }
            Ok(_) if id != 0 && id < meta.page_count => {}
            // A torn image, or one that names no page of the file.
            _ => continue,
        }
        // `check` bounded the page count by the file: the offset exists.
        let Some(offset) = page_offset(id, ps) else {
            continue;
        };
        pages.read_exact_at(&mut disk_page, offset, Purpose::Recovery)?;
        if let Err(what) = Node::decode(id, &disk_page) {
            return began(at, format!("the page it covers is damaged too ({what})"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::Meta;

    fn header_page() -> Node {
        Node::Header(Meta {
            page_size: 512,
            seq: 9,
            root: 1,
            height: 1,
            page_count: 8,
            free_head: 5,
            free_count: 1,
            wal_gen: 3,
        })
    }

    #[test]
    fn doublewrite_roundtrips_and_rejects_any_damage() {
        let (h, b) = (header_page(), Node::Free { next: 0 });
        let b = encode_dw(512, 9, &[(0, &h), (5, &b)]);
        let p = Path::new("pages.dw");
        let (seq, got) = decode_dw(p, &b).unwrap().unwrap();
        assert_eq!(seq, 9);
        assert_eq!(got.len(), 2);
        for cut in [0, 10, DW_HEADER, b.len() - 1] {
            assert!(decode_dw(p, &b[..cut]).unwrap().is_none(), "cut at {cut}");
        }
        for bit in (0..b.len() * 8).step_by(97) {
            let mut c = b.clone();
            c[bit / 8] ^= 1 << (bit % 8);
            assert!(decode_dw(p, &c).unwrap().is_none(), "flip {bit}");
        }
    }

    proptest::proptest! {
        /// Valid checksums around hostile values: decoding never panics,
        /// and whatever it accepts has an offset for every image.
        #[test]
        fn decoding_hostile_but_checksummed_files_never_panics(
            ids in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..4),
            page_count in proptest::prelude::any::<u64>(),
            root in proptest::prelude::any::<u64>(),
            height in proptest::prelude::any::<u32>(),
            ps_shift in 9u32..17,
        ) {
            let ps = 1usize << ps_shift;
            let meta = Meta { page_size: ps as u32, page_count, root, height, ..Meta::default() };
            let (h, f) = (Node::Header(meta), Node::Free { next: 0 });
            let pages: Vec<(u64, &Node)> = std::iter::once((0, &h))
                .chain(ids.iter().map(|&id| (id, &f)))
                .collect();
            let b = encode_dw(ps, 1, &pages);
            if let Ok(Some((_, images))) = decode_dw(Path::new("pages.dw"), &b) {
                for (id, img) in images {
                    proptest::prop_assert!(page_offset(id, img.len()).is_some());
                }
            }
        }

        #[test]
        fn decoding_arbitrary_doublewrite_bytes_never_panics(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let _ = decode_dw(Path::new("pages.dw"), &bytes);
        }
    }
}
