//! [`LogReader`]: reads a log back and applies the torn-tail rule of
//! [`crate::log`] at the first bad record.

use crate::error::{Error, Result};
use crate::record::{
    check_marker, decode, decode_header, looks_like_marker, marker_durable, DecodeError,
    RecordKind, MARKER_CRC_BYTES, MARKER_LEN, RECORD_HEADER_LEN,
};
use crate::vfs::{File, Purpose};

/// One record as read from a log file, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedRecord {
    /// Byte offset of the record's first header byte in the file.
    pub offset: u64,
    /// Put or delete; never a marker (the reader consumes those).
    pub kind: RecordKind,
    /// The key's bytes.
    pub key: Vec<u8>,
    /// The value's bytes; empty for a delete.
    pub value: Vec<u8>,
}

/// Where reading a log ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogEnd {
    /// Every byte was a whole record.
    Clean {
        /// The file's length, which is where the next record goes.
        len: u64,
    },
    /// The log ends in a torn or zero-filled tail starting at `valid_len`;
    /// the writer died there. Truncate to `valid_len` and go on.
    TornTail {
        /// End of the last whole record: the length to truncate to.
        valid_len: u64,
        /// The file's length as found, so `file_len - valid_len` bytes are lost.
        file_len: u64,
    },
}

/// Reads a log sequentially in large chunks, telling a torn tail apart from
/// corruption. Sync markers are checked and skipped, never returned.
pub struct LogReader<'f> {
    file: &'f File,
    purpose: Purpose,
    file_len: u64,
    buf: Vec<u8>,
    buf_start: u64,
    pos: u64,
    end: Option<LogEnd>,
    /// The last record read was a marker vouching for every byte before it.
    sealed: bool,
    /// Bytes checksummed so far (records and marker candidates).
    crc_bytes: u64,
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
            sealed: false,
            crc_bytes: 0,
        })
    }

    /// How the log ended, once [`LogReader::next_record`] returned `None`.
    pub fn end(&self) -> Option<LogEnd> {
        self.end
    }

    /// Whether the log ended clean with a marker vouching for every byte
    /// before it (a sealed log, see [`crate::log::LogWriter::seal`]): then
    /// nothing in it was ever unsynced, and a log that must have been
    /// sealed but is not has lost its end.
    pub fn sealed(&self) -> bool {
        self.sealed && matches!(self.end, Some(LogEnd::Clean { .. }))
    }

    /// Bytes checksummed so far: every record once, plus a constant
    /// [`MARKER_CRC_BYTES`] per marker candidate of a torn-tail check. A
    /// deterministic measure of the reader's work, for tests.
    pub fn crc_bytes(&self) -> u64 {
        self.crc_bytes
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
        loop {
            if self.end.is_some() {
                return Ok(None);
            }
            if self.pos >= self.file_len {
                self.end = Some(LogEnd::Clean { len: self.pos });
                return Ok(None);
            }
            match self.decode_next()? {
                Ok((rec, len)) => {
                    self.pos += len as u64;
                    if rec.kind != RecordKind::Marker {
                        self.sealed = false;
                        return Ok(Some(rec));
                    }
                }
                Err(e) => return self.bad_record(e),
            }
        }
    }

    /// Decode the record at `pos` (markers included, checked against their
    /// position).
    fn decode_next(&mut self) -> Result<std::result::Result<(OwnedRecord, usize), DecodeError>> {
        self.fill(RECORD_HEADER_LEN)?;
        let at = (self.pos - self.buf_start) as usize;
        let h = match decode_header(&self.buf[at..]) {
            Ok(h) => h,
            Err(e) => return Ok(Err(e)),
        };
        self.fill(h.record_len())?;
        let at = (self.pos - self.buf_start) as usize;
        if self.buf.len() - at >= h.record_len() {
            self.crc_bytes += h.record_len() as u64;
        }
        let (r, len) = match decode(&self.buf[at..]) {
            Ok(ok) => ok,
            Err(e) => return Ok(Err(e)),
        };
        if r.kind == RecordKind::Marker {
            match marker_durable(r.value, self.pos) {
                Some(durable) => self.sealed = durable == self.pos,
                None => {
                    return Ok(Err(DecodeError::Invalid(
                        "sync marker names another offset, or vouches for bytes after itself"
                            .into(),
                    )))
                }
            }
        }
        let rec = OwnedRecord {
            offset: self.pos,
            kind: r.kind,
            key: r.key.to_vec(),
            value: r.value.to_vec(),
        };
        Ok(Ok((rec, len)))
    }

    /// The rule of [`crate::log`]: the bad record at `pos` is corruption if
    /// a valid marker after it vouches for it, else the torn tail.
    fn bad_record(&mut self, e: DecodeError) -> Result<Option<OwnedRecord>> {
        self.sealed = false;
        let bad = self.pos;
        let Some((marker, durable)) = self.marker_vouching_for(bad)? else {
            self.end = Some(LogEnd::TornTail {
                valid_len: bad,
                file_len: self.file_len,
            });
            return Ok(None);
        };
        let what = match e {
            DecodeError::Checksum => "record checksum mismatch".to_string(),
            DecodeError::Invalid(s) => s,
            DecodeError::Incomplete { needed } => {
                format!("record of {needed} bytes runs past the end of the file")
            }
        };
        Err(Error::corruption(
            self.file.path(),
            bad,
            format!(
                "{what}; the sync marker at offset {marker} says the log was durable \
                 up to offset {durable}, so this is not a torn tail"
            ),
        ))
    }

    /// The first valid marker after `bad` that vouches for it (its durable
    /// length passes `bad`), as (offset, durable length). One pass over the
    /// rest of the file; a candidate costs a few byte compares, and only
    /// one whose fixed bytes match costs a checksum, of constant size.
    fn marker_vouching_for(&mut self, bad: u64) -> Result<Option<(u64, u64)>> {
        let mut off = bad + 1;
        let mut window = vec![0u8; CHUNK + MARKER_LEN - 1];
        while off + MARKER_LEN as u64 <= self.file_len {
            let n = (window.len() as u64).min(self.file_len - off) as usize;
            self.file
                .read_exact_at(&mut window[..n], off, self.purpose)?;
            let last = n - MARKER_LEN;
            for i in 0..=last {
                let b = &window[i..i + MARKER_LEN];
                if !looks_like_marker(b) {
                    continue;
                }
                self.crc_bytes += MARKER_CRC_BYTES as u64;
                let at = off + i as u64;
                if let Some(durable) = check_marker(b, at) {
                    if durable > bad {
                        return Ok(Some((at, durable)));
                    }
                }
            }
            off += last as u64 + 1;
        }
        Ok(None)
    }
}
