//! The checksummed record shared by the log-structured engines.
//!
//! A log is a file header followed by records. Every record carries a CRC-32
//! of everything after the checksum field, so a reader can tell a record that
//! was written whole from one that was not. How a log is written, read back,
//! and how a torn tail is told from corruption is in [`crate::log`]; this
//! module is the byte layout.
//!
//! ## File header (16 bytes)
//!
//! ```text
//! offset  size  field
//!      0     8  magic: identifies the file kind (engine-chosen, e.g. b"NAIVELOG")
//!      8     4  format version, u32 little-endian
//!     12     4  CRC-32 of bytes 0..12, u32 little-endian
//! ```
//!
//! ## Record (13-byte header + key + value)
//!
//! ```text
//! offset  size  field
//!      0     4  CRC-32 of bytes 4..13+key_len+value_len, u32 LE
//!      4     1  kind: 1 = put, 2 = delete (tombstone), 4 = sync marker
//!               (3 was the clean-close marker of format versions before
//!               the sync marker; it is refused now)
//!      5     4  key length, u32 LE (at most MAX_KEY_LEN)
//!      9     4  value length, u32 LE (at most MAX_VALUE_LEN; 0 for deletes)
//!     13     k  key bytes
//!   13+k     v  value bytes
//! ```
//!
//! ## Sync marker (a record of exactly 33 bytes)
//!
//! Written by [`crate::log::LogWriter`] only, never by an engine: it says
//! "every byte of this file before offset D was durable when I was written".
//!
//! ```text
//! offset  size  field
//!      0     4  CRC-32 of bytes 4..33, u32 LE
//!      4     1  kind = 4
//!      5     4  key length = 0
//!      9     4  value length = 20
//!     13     4  marker magic b"SYNC"
//!     17     8  the marker's own file offset, u64 LE
//!     25     8  D, the durable length it vouches for, u64 LE (D <= own offset)
//! ```
//!
//! The own-offset field is what makes a marker position-bound: the bytes of
//! a marker copied elsewhere (a log file stored as a value) name the wrong
//! offset and are not a marker there.

use std::path::Path;

use crate::error::{Error, Result};

pub use crate::log::{LogEnd, LogReader, OwnedRecord};

/// Bytes in a record header.
pub const RECORD_HEADER_LEN: usize = 13;
/// Bytes in a file header.
pub const FILE_HEADER_LEN: usize = 16;
/// Largest key a record can hold (64 KiB).
pub const MAX_KEY_LEN: usize = 64 << 10;
/// Largest value a record can hold (64 MiB).
pub const MAX_VALUE_LEN: usize = 64 << 20;
/// Bytes in a sync marker record.
pub const MARKER_LEN: usize = RECORD_HEADER_LEN + MARKER_VALUE_LEN;
/// Magic at the start of a sync marker's value.
pub const MARKER_MAGIC: &[u8; 4] = b"SYNC";
/// Value bytes of a sync marker: magic, own offset, durable length.
const MARKER_VALUE_LEN: usize = 4 + 8 + 8;
const MARKER_KIND: u8 = 4;
/// Bytes a marker's checksum covers (everything after the CRC field).
pub const MARKER_CRC_BYTES: usize = MARKER_LEN - KIND_OFFSET;

const CRC_OFFSET: usize = 0;
const KIND_OFFSET: usize = CRC_OFFSET + 4;
const KEY_LEN_OFFSET: usize = KIND_OFFSET + 1;
const VALUE_LEN_OFFSET: usize = KEY_LEN_OFFSET + 4;

/// The checksum used by every on-disk structure in the workbench: CRC-32
/// (IEEE), hardware-accelerated by crc32fast.
pub fn checksum(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// What a record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// The key now has this value.
    Put = 1,
    /// A tombstone: the key has no value from here on. Its value is empty.
    Delete = 2,
    /// A sync marker (see the module docs): written by the log writer only;
    /// [`crate::log::LogReader`] checks it and never hands it out.
    Marker = 4,
}

impl RecordKind {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(RecordKind::Put),
            2 => Some(RecordKind::Delete),
            MARKER_KIND => Some(RecordKind::Marker),
            _ => None,
        }
    }
}

/// Check key and value sizes against the record limits.
pub fn check_sizes(key: &[u8], value: &[u8]) -> Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(Error::TooLarge {
            what: "key",
            len: key.len(),
            max: MAX_KEY_LEN,
        });
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::TooLarge {
            what: "value",
            len: value.len(),
            max: MAX_VALUE_LEN,
        });
    }
    Ok(())
}

/// Encoded length of a record.
pub fn encoded_len(key: &[u8], value: &[u8]) -> usize {
    RECORD_HEADER_LEN + key.len() + value.len()
}

/// Append one encoded record to `out`. Sizes must have passed [`check_sizes`].
pub fn encode(out: &mut Vec<u8>, kind: RecordKind, key: &[u8], value: &[u8]) {
    debug_assert!(key.len() <= MAX_KEY_LEN && value.len() <= MAX_VALUE_LEN);
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(kind as u8);
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(value);
    let crc = checksum(&out[start + KIND_OFFSET..]);
    out[start..start + 4].copy_from_slice(&crc.to_le_bytes());
}

/// A decoded record header: enough to know the record's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The stored CRC-32, to compare with the checksum of the rest of the
    /// record once it has been read.
    pub crc: u32,
    /// The record's kind, already known to be a valid one.
    pub kind: RecordKind,
    /// Key length in bytes, at most [`MAX_KEY_LEN`].
    pub key_len: usize,
    /// Value length in bytes, at most [`MAX_VALUE_LEN`]; 0 for a delete.
    pub value_len: usize,
}

impl Header {
    /// Total encoded length of the record.
    pub fn record_len(&self) -> usize {
        RECORD_HEADER_LEN + self.key_len + self.value_len
    }
}

/// Why bytes are not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the header or the declared lengths need.
    Incomplete {
        /// Bytes from the record's start that decoding needs to go on.
        needed: usize,
    },
    /// Kind byte or a length is impossible.
    Invalid(String),
    /// The record is complete but its checksum does not match.
    Checksum,
}

/// Parse a header from the first [`RECORD_HEADER_LEN`] bytes of `b`.
pub fn decode_header(b: &[u8]) -> std::result::Result<Header, DecodeError> {
    if b.len() < RECORD_HEADER_LEN {
        return Err(DecodeError::Incomplete {
            needed: RECORD_HEADER_LEN,
        });
    }
    let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let kind = RecordKind::from_byte(b[KIND_OFFSET])
        .ok_or_else(|| DecodeError::Invalid(format!("unknown record kind {}", b[KIND_OFFSET])))?;
    let key_len = u32_at(KEY_LEN_OFFSET) as usize;
    let value_len = u32_at(VALUE_LEN_OFFSET) as usize;
    if key_len > MAX_KEY_LEN || value_len > MAX_VALUE_LEN {
        return Err(DecodeError::Invalid(format!(
            "record lengths key={key_len} value={value_len} exceed the limits"
        )));
    }
    if kind == RecordKind::Delete && value_len != 0 {
        return Err(DecodeError::Invalid("tombstone with a value".into()));
    }
    if kind == RecordKind::Marker && (key_len != 0 || value_len != MARKER_VALUE_LEN) {
        return Err(DecodeError::Invalid(format!(
            "sync marker with key length {key_len} and value length {value_len}"
        )));
    }
    Ok(Header {
        crc: u32_at(CRC_OFFSET),
        kind,
        key_len,
        value_len,
    })
}

/// A record borrowed from a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Put, delete or marker.
    pub kind: RecordKind,
    /// The key's bytes in the buffer.
    pub key: &'a [u8],
    /// The value's bytes in the buffer; empty for a delete.
    pub value: &'a [u8],
}

/// Decode one whole record at the start of `b`; returns it and its length.
pub fn decode(b: &[u8]) -> std::result::Result<(Record<'_>, usize), DecodeError> {
    let h = decode_header(b)?;
    let len = h.record_len();
    if b.len() < len {
        return Err(DecodeError::Incomplete { needed: len });
    }
    if checksum(&b[KIND_OFFSET..len]) != h.crc {
        return Err(DecodeError::Checksum);
    }
    let key_end = RECORD_HEADER_LEN + h.key_len;
    Ok((
        Record {
            kind: h.kind,
            key: &b[RECORD_HEADER_LEN..key_end],
            value: &b[key_end..len],
        },
        len,
    ))
}

/// Append a sync marker at file offset `at`, vouching that `[0, durable)`
/// is durable (`durable <= at`).
pub fn encode_marker(out: &mut Vec<u8>, at: u64, durable: u64) {
    debug_assert!(durable <= at);
    let mut value = [0u8; MARKER_VALUE_LEN];
    value[..4].copy_from_slice(MARKER_MAGIC);
    value[4..12].copy_from_slice(&at.to_le_bytes());
    value[12..].copy_from_slice(&durable.to_le_bytes());
    encode(out, RecordKind::Marker, b"", &value);
}

/// The durable length a marker's value vouches for, if the value is a
/// marker's and names `at` as its own offset; `None` otherwise.
pub fn marker_durable(value: &[u8], at: u64) -> Option<u64> {
    if value.len() != MARKER_VALUE_LEN || &value[..4] != MARKER_MAGIC {
        return None;
    }
    let u64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&value[o..o + 8]);
        u64::from_le_bytes(b)
    };
    let (own, durable) = (u64_at(4), u64_at(12));
    (own == at && durable <= at).then_some(durable)
}

/// Whether `b` starts with what a sync marker's fixed bytes look like (kind,
/// lengths, magic), checked before any checksum work. `b` must hold at
/// least [`MARKER_LEN`] bytes.
pub fn looks_like_marker(b: &[u8]) -> bool {
    b[KIND_OFFSET] == MARKER_KIND
        && b[KEY_LEN_OFFSET..VALUE_LEN_OFFSET] == [0; 4]
        && b[VALUE_LEN_OFFSET..RECORD_HEADER_LEN] == (MARKER_VALUE_LEN as u32).to_le_bytes()
        && &b[RECORD_HEADER_LEN..RECORD_HEADER_LEN + 4] == MARKER_MAGIC
}

/// The durable length vouched for by a valid sync marker at the start of
/// `b` (file offset `at`), checking its checksum (a constant
/// [`MARKER_CRC_BYTES`] bytes) and its own offset. `b` must hold at least
/// [`MARKER_LEN`] bytes and pass [`looks_like_marker`].
pub fn check_marker(b: &[u8], at: u64) -> Option<u64> {
    let crc = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    if checksum(&b[KIND_OFFSET..MARKER_LEN]) != crc {
        return None;
    }
    marker_durable(&b[RECORD_HEADER_LEN..MARKER_LEN], at)
}

/// Encode a file header.
pub fn encode_file_header(magic: &[u8; 8], version: u32) -> [u8; FILE_HEADER_LEN] {
    let mut h = [0u8; FILE_HEADER_LEN];
    h[..8].copy_from_slice(magic);
    h[8..12].copy_from_slice(&version.to_le_bytes());
    let crc = checksum(&h[..12]);
    h[12..16].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Check a file header; errors name the file.
pub fn check_file_header(path: &Path, b: &[u8], magic: &[u8; 8], version: u32) -> Result<()> {
    if b.len() < FILE_HEADER_LEN {
        return Err(Error::corruption(path, 0, "file header is cut short"));
    }
    let crc = u32::from_le_bytes([b[12], b[13], b[14], b[15]]);
    if checksum(&b[..12]) != crc {
        return Err(Error::corruption(path, 0, "file header checksum mismatch"));
    }
    if &b[..8] != magic {
        return Err(Error::corruption(
            path,
            0,
            format!(
                "wrong magic {:?}, expected {:?}",
                String::from_utf8_lossy(&b[..8]),
                String::from_utf8_lossy(magic)
            ),
        ));
    }
    let v = u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
    if v != version {
        return Err(Error::corruption(
            path,
            8,
            format!(
                "unsupported format version {v} of {}, this build reads version {version}",
                String::from_utf8_lossy(magic).trim_end_matches('\0')
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_lengths() {
        let mut b = Vec::new();
        encode(&mut b, RecordKind::Put, b"key", b"value");
        encode(&mut b, RecordKind::Delete, b"k2", b"");
        encode(&mut b, RecordKind::Put, b"", b"");
        assert_eq!(b.len(), encoded_len(b"key", b"value") + 13 + 2 + 13);
        let (r, n) = decode(&b).unwrap();
        assert_eq!(
            (r.kind, r.key, r.value),
            (RecordKind::Put, &b"key"[..], &b"value"[..])
        );
        let (r, m) = decode(&b[n..]).unwrap();
        assert_eq!((r.kind, r.key), (RecordKind::Delete, &b"k2"[..]));
        let (r, _) = decode(&b[n + m..]).unwrap();
        assert_eq!((r.key.len(), r.value.len()), (0, 0));
    }

    #[test]
    fn a_marker_is_bound_to_its_offset() {
        let mut b = Vec::new();
        encode_marker(&mut b, 1000, 900);
        assert_eq!(b.len(), MARKER_LEN);
        assert!(looks_like_marker(&b));
        assert_eq!(check_marker(&b, 1000), Some(900));
        // The same bytes anywhere else (a copy inside a value) are not one.
        assert_eq!(check_marker(&b, 1001), None);
        let (r, n) = decode(&b).unwrap();
        assert_eq!((r.kind, n), (RecordKind::Marker, MARKER_LEN));
        // A marker may not vouch for bytes after itself.
        let mut bad = Vec::new();
        let mut value = [0u8; MARKER_VALUE_LEN];
        value[..4].copy_from_slice(MARKER_MAGIC);
        value[4..12].copy_from_slice(&10u64.to_le_bytes());
        value[12..].copy_from_slice(&11u64.to_le_bytes());
        encode(&mut bad, RecordKind::Marker, b"", &value);
        assert_eq!(check_marker(&bad, 10), None);
        // Any other length is not a marker.
        let mut short = Vec::new();
        encode(&mut short, RecordKind::Marker, b"", b"");
        assert!(matches!(decode(&short), Err(DecodeError::Invalid(_))));
    }

    #[test]
    fn an_old_version_is_refused_naming_both_versions() {
        let h = encode_file_header(b"TESTLOG\0", 1);
        let msg = check_file_header(Path::new("/d/old.log"), &h, b"TESTLOG\0", 2)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("/d/old.log") && msg.contains("version 1") && msg.contains("version 2"),
            "{msg}"
        );
    }

    #[test]
    fn every_bit_flip_is_detected() {
        let mut b = Vec::new();
        encode(&mut b, RecordKind::Put, b"some key", b"some value bytes");
        for bit in 0..b.len() * 8 {
            let mut c = b.clone();
            c[bit / 8] ^= 1 << (bit % 8);
            assert!(decode(&c).is_err(), "flip of bit {bit} went undetected");
        }
    }

    #[test]
    fn every_truncation_is_incomplete() {
        let mut b = Vec::new();
        encode(&mut b, RecordKind::Put, b"k", b"vvvv");
        for cut in 0..b.len() {
            assert!(matches!(
                decode(&b[..cut]),
                Err(DecodeError::Incomplete { .. })
            ));
        }
    }

    #[test]
    fn header_rejects_oversized_lengths_without_allocating() {
        let mut h = [0u8; RECORD_HEADER_LEN];
        h[4] = 1;
        h[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode_header(&h), Err(DecodeError::Invalid(_))));
    }

    #[test]
    fn file_header_checks_magic_version_and_crc() {
        let p = Path::new("x.log");
        let h = encode_file_header(b"TESTLOG\0", 3);
        check_file_header(p, &h, b"TESTLOG\0", 3).unwrap();
        assert!(check_file_header(p, &h, b"OTHERLOG", 3).is_err());
        assert!(check_file_header(p, &h, b"TESTLOG\0", 4).is_err());
        let mut bad = h;
        bad[0] ^= 1;
        let msg = check_file_header(p, &bad, b"TESTLOG\0", 3)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("x.log") && msg.contains("checksum"), "{msg}");
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
        }
    }
}
