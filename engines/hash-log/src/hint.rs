//! Hint files: a merge output's keydir entries, so open need not read the
//! segment's values.
//!
//! A merge output holds only live puts. Its hint file lists, for every
//! record, the key and where the record is, so rebuilding the keydir at open
//! reads keys only (a few percent of the segment for 1 KiB values).
//!
//! A hint is redundant: the segment it describes has everything. So a hint
//! that is missing, torn or damaged is never an error; open falls back to
//! reading the segment (and `verify` reports the hint).
//!
//! ## Format (`{id:016x}.hint`)
//!
//! ```text
//! file header (16 bytes): magic "HASHHINT", version u32 LE, CRC-32 of bytes 0..12
//! entry:
//!   offset  size  field
//!        0     4  CRC-32 of bytes 4..20+key_len, u32 LE
//!        4     4  key length, u32 LE (at most MAX_KEY_LEN)
//!        8     8  record offset in the segment, u64 LE
//!       16     4  record length, u32 LE
//!       20     k  key
//! an entry's record lies after the segment's file header (offset >= 16),
//!   is at least 13 + key length bytes and ends within the segment
//!   (offset + length, checked for overflow, <= segment length); an entry
//!   breaking this makes the whole hint unusable.
//! end entry: the same layout with key length 0xFFFF_FFFF, the entry count
//!   in the offset field, record length 0, no key. A hint without it is
//!   incomplete (the merge died while writing it) and is not used.
//! ```

use std::path::Path;

use engine_core::record::{self, FILE_HEADER_LEN, MAX_KEY_LEN, RECORD_HEADER_LEN};
use engine_core::{OpenMode, Purpose, Result, Vfs};

use crate::segment::hint_path;

/// Hint file magic.
pub const MAGIC: &[u8; 8] = b"HASHHINT";
/// Hint format version.
pub const VERSION: u32 = 1;
const ENTRY_HEADER: usize = 20;
const END: u32 = u32::MAX;

/// One keydir entry of a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintEntry {
    /// The record's key, at most `MAX_KEY_LEN` bytes.
    pub key: Vec<u8>,
    /// Where the record starts in the segment: at or after the file header.
    pub offset: u64,
    /// The whole record's encoded length, header included; the record ends
    /// within the segment.
    pub len: u32,
}

fn encode_entry(out: &mut Vec<u8>, key_len: u32, key: &[u8], offset: u64, len: u32) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&key_len.to_le_bytes());
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(key);
    let crc = record::checksum(&out[start + 4..]);
    out[start..start + 4].copy_from_slice(&crc.to_le_bytes());
}

/// The bytes of a complete hint file.
pub fn encode(entries: &[HintEntry]) -> Vec<u8> {
    let mut out = record::encode_file_header(MAGIC, VERSION).to_vec();
    for e in entries {
        encode_entry(&mut out, e.key.len() as u32, &e.key, e.offset, e.len);
    }
    encode_entry(&mut out, END, &[], entries.len() as u64, 0);
    out
}

/// Why a hint cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHint {
    /// Byte offset in the hint file of the entry (or header) that failed.
    pub offset: u64,
    /// What was wrong with it, for `verify`'s report.
    pub what: String,
}

/// Decode a whole hint file. Every length is checked before it is used,
/// and every entry must point at a whole record after the file header.
pub fn decode(b: &[u8]) -> std::result::Result<Vec<HintEntry>, BadHint> {
    decode_within(b, u64::MAX)
}

/// [`decode`], also refusing an entry that points past `seg_len`, the
/// length of the segment the hint describes.
pub fn decode_within(b: &[u8], seg_len: u64) -> std::result::Result<Vec<HintEntry>, BadHint> {
    let bad = |offset: usize, what: &str| BadHint {
        offset: offset as u64,
        what: what.to_string(),
    };
    if b.len() < FILE_HEADER_LEN {
        return Err(bad(0, "shorter than the file header"));
    }
    record::check_file_header(Path::new("hint"), &b[..FILE_HEADER_LEN], MAGIC, VERSION)
        .map_err(|_| bad(0, "bad file header"))?;
    let mut pos = FILE_HEADER_LEN;
    let mut entries = Vec::new();
    loop {
        let h = b
            .get(pos..pos + ENTRY_HEADER)
            .ok_or_else(|| bad(pos, "incomplete: no end entry"))?;
        let u32_at = |o: usize| u32::from_le_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
        let key_len = u32_at(4);
        let key_bytes = if key_len == END { 0 } else { key_len as usize };
        if key_bytes > MAX_KEY_LEN {
            return Err(bad(pos, "key length over the limit"));
        }
        let whole = b
            .get(pos..pos + ENTRY_HEADER + key_bytes)
            .ok_or_else(|| bad(pos, "entry runs past the end"))?;
        if record::checksum(&whole[4..]) != u32_at(0) {
            return Err(bad(pos, "entry checksum mismatch"));
        }
        let mut off = [0u8; 8];
        off.copy_from_slice(&h[8..16]);
        let offset = u64::from_le_bytes(off);
        if key_len == END {
            if offset != entries.len() as u64 || pos + ENTRY_HEADER != b.len() {
                return Err(bad(pos, "end entry does not match the entries"));
            }
            return Ok(entries);
        }
        let len = u32_at(16);
        check_location(offset, len, key_bytes, seg_len).map_err(|what| bad(pos, what))?;
        entries.push(HintEntry {
            key: whole[ENTRY_HEADER..].to_vec(),
            offset,
            len,
        });
        pos += ENTRY_HEADER + key_bytes;
    }
}

/// An entry's location must be a whole put record of its key, after the
/// segment's file header and within the segment. The values come from a
/// file, so the end is computed with checked arithmetic.
fn check_location(offset: u64, len: u32, key_len: usize, seg_len: u64) -> Result<(), &'static str> {
    if offset < FILE_HEADER_LEN as u64 {
        return Err("entry points into the segment's file header");
    }
    if (len as usize) < RECORD_HEADER_LEN + key_len {
        return Err("entry's record length is shorter than its key's record");
    }
    match offset.checked_add(len as u64) {
        None => Err("entry's offset + length overflows"),
        Some(end) if end > seg_len => Err("entry points past the end of its segment"),
        Some(_) => Ok(()),
    }
}

/// Write the hint of segment `id` durably (under a temporary name, synced,
/// renamed; the caller syncs the directory).
pub fn write(vfs: &Vfs, dir: &Path, id: u64, entries: &[HintEntry]) -> Result<()> {
    let path = hint_path(dir, id);
    let tmp = path.with_extension("hint.tmp");
    let file = vfs.open(&tmp, OpenMode::Truncate)?;
    file.write_at(&encode(entries), 0, Purpose::Compaction)?;
    file.sync(Purpose::Compaction)?;
    drop(file);
    vfs.rename(&tmp, &path)
}

/// Read the hint of segment `id`, `seg_len` bytes long: `Ok(None)` when
/// there is none, `Err` in the inner result when it exists but cannot be
/// used.
pub fn read(
    vfs: &Vfs,
    dir: &Path,
    id: u64,
    seg_len: u64,
    purpose: Purpose,
) -> Result<Option<std::result::Result<Vec<HintEntry>, BadHint>>> {
    let path = hint_path(dir, id);
    if !vfs.exists(&path)? {
        return Ok(None);
    }
    let file = vfs.open(&path, OpenMode::Existing)?;
    let len = file.len()?;
    // A hint holds at most one entry per record of a segment no larger
    // than the largest segment; refuse absurd sizes before allocating.
    if len > 1 << 34 {
        return Ok(Some(Err(BadHint {
            offset: 0,
            what: format!("implausible hint size {len}"),
        })));
    }
    let mut bytes = vec![0u8; len as usize];
    file.read_exact_at(&mut bytes, 0, purpose)?;
    Ok(Some(decode_within(&bytes, seg_len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<HintEntry> {
        (0..20u32)
            .map(|i| HintEntry {
                key: format!("key{i}").into_bytes(),
                offset: 16 + i as u64 * 40,
                len: 40,
            })
            .collect()
    }

    #[test]
    fn roundtrip() {
        assert_eq!(decode(&encode(&sample())).unwrap(), sample());
        assert_eq!(decode(&encode(&[])).unwrap(), vec![]);
    }

    #[test]
    fn every_truncation_and_every_bit_flip_is_refused() {
        let bytes = encode(&sample()[..3]);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for bit in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            assert!(decode(&b).is_err(), "flip of bit {bit}");
        }
    }

    #[test]
    fn an_entry_outside_its_segment_is_refused_at_its_offset() {
        let bytes = encode(&sample()[..2]); // records end at 16 + 2 * 40
        assert_eq!(decode_within(&bytes, 96).unwrap(), sample()[..2]);
        let err = decode_within(&bytes, 95).unwrap_err();
        assert_eq!(err.offset, (FILE_HEADER_LEN + ENTRY_HEADER + 4) as u64);
        let short = HintEntry {
            len: 12,
            ..sample()[0].clone()
        };
        assert_eq!(decode(&encode(&[short])).unwrap_err().offset, 16);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let mut b = record::encode_file_header(MAGIC, VERSION).to_vec();
            b.extend_from_slice(&tail);
            let _ = decode(&b);
            let _ = decode(&tail);
        }
    }
}
