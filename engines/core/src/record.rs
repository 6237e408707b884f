//! The checksummed record shared by the log-structured engines.
//!
//! A log is a file header followed by records. Every record carries a CRC32C
//! of everything after the checksum field, so a reader can tell a record that
//! was written whole from one that was not.
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
//!      4     1  kind: 1 = put, 2 = delete (tombstone), 3 = marker (clean close)
//!      5     4  key length, u32 LE (at most MAX_KEY_LEN)
//!      9     4  value length, u32 LE (at most MAX_VALUE_LEN; 0 for deletes)
//!     13     k  key bytes
//!   13+k     v  value bytes
//! ```
//!
//! ## Torn tail or corruption?
//!
//! A crash can only damage what was not yet synced, and appends are synced in
//! order, so crash damage is always at the *end* of a log: a record cut short
//! by the end of the file, or a tail the filesystem zero-filled or left as
//! garbage. Damage anywhere else (a bad record with a valid record somewhere
//! after it) is corruption, reported with file and offset and never skipped
//! silently: skipping it would drop acknowledged writes. [`LogReader`]
//! applies exactly this rule: at a bad record it searches the rest of the
//! file for any record that decodes with a valid checksum; if there is one,
//! the bad record is corruption; if not, it is the torn tail.
//!
//! The rule cannot tell a torn last record from a bit flip in the last
//! record of a log that was synced and closed. Engines close the gap with a
//! [`RecordKind::Marker`] record appended and synced at a clean close: a flip
//! in the last data record then has a valid record (the marker) after it.

use std::path::Path;

use crate::error::{Error, Result};
use crate::vfs::{File, Purpose};

/// Bytes in a record header.
pub const RECORD_HEADER_LEN: usize = 13;
/// Bytes in a file header.
pub const FILE_HEADER_LEN: usize = 16;
/// Largest key a record can hold (64 KiB).
pub const MAX_KEY_LEN: usize = 64 << 10;
/// Largest value a record can hold (64 MiB).
pub const MAX_VALUE_LEN: usize = 64 << 20;

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
    Put = 1,
    Delete = 2,
    /// No data: written (empty key and value) when an engine closes a log
    /// cleanly, so that a damaged last record is not mistaken for a torn
    /// one (see "Torn tail or corruption?" above). Readers skip it.
    Marker = 3,
}

impl RecordKind {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(RecordKind::Put),
            2 => Some(RecordKind::Delete),
            3 => Some(RecordKind::Marker),
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
    pub crc: u32,
    pub kind: RecordKind,
    pub key_len: usize,
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
    Incomplete { needed: usize },
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
    if kind == RecordKind::Marker && (key_len != 0 || value_len != 0) {
        return Err(DecodeError::Invalid("marker with a key or value".into()));
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
    pub kind: RecordKind,
    pub key: &'a [u8],
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
            format!("unsupported format version {v}, this build reads {version}"),
        ));
    }
    Ok(())
}

/// One record as read from a log file, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedRecord {
    pub offset: u64,
    pub kind: RecordKind,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// Where reading a log ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogEnd {
    /// Every byte was a whole record.
    Clean { len: u64 },
    /// The log ends in a torn or zero-filled tail starting at `valid_len`;
    /// the writer died there. Truncate to `valid_len` and go on.
    TornTail { valid_len: u64, file_len: u64 },
}

/// Reads a log sequentially in large chunks, telling a torn tail apart from
/// corruption.
pub struct LogReader<'f> {
    file: &'f File,
    purpose: Purpose,
    file_len: u64,
    buf: Vec<u8>,
    buf_start: u64,
    pos: u64,
    end: Option<LogEnd>,
}

const CHUNK: usize = 256 << 10;

impl<'f> LogReader<'f> {
    /// Start reading records at `start` (just past the file header).
    pub fn new(file: &'f File, start: u64, purpose: Purpose) -> Result<Self> {
        let file_len = file.len()?;
        Ok(LogReader {
            file,
            purpose,
            file_len,
            buf: Vec::new(),
            buf_start: start,
            pos: start,
            end: None,
        })
    }

    /// How the log ended, once [`LogReader::next_record`] returned `None`.
    pub fn end(&self) -> Option<LogEnd> {
        self.end
    }

    /// Make sure `[pos, pos+need)` is buffered, as far as the file allows.
    fn fill(&mut self, need: usize) -> Result<()> {
        let have_from = (self.pos - self.buf_start) as usize;
        if self.buf.len() >= have_from + need {
            return Ok(());
        }
        let want = need.max(CHUNK) as u64;
        let to_read = want.min(self.file_len.saturating_sub(self.pos)) as usize;
        self.buf.clear();
        self.buf.resize(to_read, 0);
        self.buf_start = self.pos;
        self.file
            .read_exact_at(&mut self.buf, self.pos, self.purpose)?;
        Ok(())
    }

    /// The next record, `None` at the end (see [`LogReader::end`]), or a
    /// corruption error naming the file and offset.
    pub fn next_record(&mut self) -> Result<Option<OwnedRecord>> {
        if self.end.is_some() {
            return Ok(None);
        }
        if self.pos >= self.file_len {
            self.end = Some(LogEnd::Clean { len: self.pos });
            return Ok(None);
        }
        self.fill(RECORD_HEADER_LEN)?;
        let at = (self.pos - self.buf_start) as usize;
        let result = match decode_header(&self.buf[at..]) {
            Ok(h) => {
                self.fill(h.record_len())?;
                let at = (self.pos - self.buf_start) as usize;
                decode(&self.buf[at..]).map(|(r, len)| {
                    (
                        OwnedRecord {
                            offset: self.pos,
                            kind: r.kind,
                            key: r.key.to_vec(),
                            value: r.value.to_vec(),
                        },
                        len,
                    )
                })
            }
            Err(e) => Err(e),
        };
        match result {
            Ok((rec, len)) => {
                self.pos += len as u64;
                Ok(Some(rec))
            }
            Err(e) => self.bad_record(e),
        }
    }

    fn bad_record(&mut self, e: DecodeError) -> Result<Option<OwnedRecord>> {
        if !self.valid_record_after(self.pos + 1)? {
            self.end = Some(LogEnd::TornTail {
                valid_len: self.pos,
                file_len: self.file_len,
            });
            return Ok(None);
        }
        let what = match e {
            DecodeError::Checksum => "record checksum mismatch".to_string(),
            DecodeError::Invalid(s) => s,
            DecodeError::Incomplete { needed } => format!(
                "record of {needed} bytes runs past the end of the file, and valid records follow it"
            ),
        };
        Err(Error::corruption(self.file.path(), self.pos, what))
    }

    /// Whether any record with a valid checksum starts at or after `from`.
    /// Reads the rest of the file once, in chunks; candidate headers are
    /// filtered by their kind byte before anything else is decoded.
    fn valid_record_after(&self, from: u64) -> Result<bool> {
        let mut off = from;
        let mut window = vec![0u8; CHUNK + RECORD_HEADER_LEN];
        while off + RECORD_HEADER_LEN as u64 <= self.file_len {
            let n = (window.len() as u64).min(self.file_len - off) as usize;
            self.file
                .read_exact_at(&mut window[..n], off, self.purpose)?;
            let last = n - RECORD_HEADER_LEN;
            for i in 0..=last {
                if !matches!(window[i + KIND_OFFSET], 1..=3) {
                    continue;
                }
                if let Ok(h) = decode_header(&window[i..n]) {
                    let at = off + i as u64;
                    if self.is_valid_record(at, h.record_len())? {
                        return Ok(true);
                    }
                }
            }
            off += last as u64 + 1;
        }
        Ok(false)
    }

    fn is_valid_record(&self, at: u64, len: usize) -> Result<bool> {
        if at + len as u64 > self.file_len {
            return Ok(false);
        }
        let mut rec = vec![0u8; len];
        self.file.read_exact_at(&mut rec, at, self.purpose)?;
        Ok(decode(&rec).is_ok())
    }
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
